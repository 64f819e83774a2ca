-- defectd schema (SPEC.md §6, §9, §10): mail in, defects out.
--
-- Applied by `defectd migrate` (db_migrate): each file runs inside one transaction together
-- with its row in defectd.schema_migrations, so a file holds no BEGIN/COMMIT and sets session
-- state only with SET LOCAL.  Every object lives in schema `defectd`; 002_roles.sql hands them
-- to defectd_owner and grants the daemon, reader and personal-data roles what they need.
--
-- What must never happen here: personal data (customer name, address, phone) outside
-- personal_data and the raw mail (messages.raw, quarantine.raw).

CREATE SCHEMA IF NOT EXISTS defectd;

-- Same definition db_migrate uses to bootstrap it (it exists before this file runs).
CREATE TABLE IF NOT EXISTS defectd.schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
);

-- Values come from the parser as text ('YYYY-MM-DD', ISO 8601); a bad one must not abort a
-- message's transaction, so these return NULL instead of raising.
CREATE FUNCTION defectd.to_date_or_null(t text) RETURNS date
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
	IF t !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
		RETURN NULL;
	END IF;
	RETURN t::date;
EXCEPTION WHEN others THEN
	RETURN NULL;
END
$$;

CREATE FUNCTION defectd.to_timestamptz_or_null(t text) RETURNS timestamptz
LANGUAGE plpgsql STABLE STRICT AS $$
BEGIN
	IF t !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' THEN
		RETURN NULL;
	END IF;
	RETURN t::timestamptz;
EXCEPTION WHEN others THEN
	RETURN NULL;
END
$$;

-- ---- mail sources -------------------------------------------------------------------------

CREATE TABLE defectd.mailboxes (
	id            serial PRIMARY KEY,
	name          text NOT NULL UNIQUE,
	uidvalidity   bigint,				-- NULL until the first poll
	last_uid      bigint NOT NULL DEFAULT 0,	-- every UID <= last_uid is committed or quarantined
	last_poll_at  timestamptz,
	last_ok_at    timestamptz,
	last_error    text,
	last_error_at timestamptz,
	halted_reason text,				-- set: no automatic processing until an operator clears it
	halted_at     timestamptz,
	created_at    timestamptz NOT NULL DEFAULT now()
);

-- messages: one row per distinct mail (identity), however often it was fetched.
CREATE TABLE defectd.messages (
	id            bigserial PRIMARY KEY,
	identity      text NOT NULL UNIQUE,		-- Message-ID, or 'sha256:'||hex of the raw mail
	message_id    text,				-- the Message-ID header, "<…>"
	sha256        bytea NOT NULL,
	raw           bytea NOT NULL,			-- personal data inside: daemon and defectd_personal only
	size          bigint NOT NULL,
	from_addr     text,
	subject       text,
	sent_at       timestamptz,			-- Date header
	sent_day      date,				-- its calendar day in the sender's offset
	in_reply_to   text,
	reference_ids text[] NOT NULL DEFAULT '{}',	-- References header, in order
	mailbox_id    integer REFERENCES defectd.mailboxes,	-- where it was first seen
	source_key    text,
	received_at   timestamptz NOT NULL DEFAULT now(),
	status        text NOT NULL CHECK (status IN ('parsed', 'ignored', 'quarantined')),
	reason        text,				-- why ignored / quarantined
	warnings      text[] NOT NULL DEFAULT '{}',	-- parser warnings; those naming a personal field withheld
	parse_json    jsonb,				-- the parse result WITHOUT personal fields
	parsed_at     timestamptz NOT NULL DEFAULT now()
);
-- thread look-ups (In-Reply-To, References); hash: Message-IDs can be long
CREATE INDEX messages_message_id ON defectd.messages USING hash (message_id);

-- mailbox_items: attempts per fetched message (poison detection) and its final state.
CREATE TABLE defectd.mailbox_items (
	mailbox_id      integer NOT NULL REFERENCES defectd.mailboxes,
	source_key      text NOT NULL,			-- IMAP "UIDVALIDITY/UID", Maildir name, mbox offset/hash
	uid             bigint NOT NULL DEFAULT 0,
	attempts        integer NOT NULL DEFAULT 0,
	state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'quarantined')),
	message_id      bigint REFERENCES defectd.messages,
	first_seen_at   timestamptz NOT NULL DEFAULT now(),
	last_attempt_at timestamptz,
	done_at         timestamptz,
	PRIMARY KEY (mailbox_id, source_key)
);
CREATE INDEX mailbox_items_pending ON defectd.mailbox_items (mailbox_id) WHERE state = 'pending';
CREATE INDEX mailbox_items_message ON defectd.mailbox_items (message_id);

-- ---- defects ------------------------------------------------------------------------------

-- MD-YYYY-NNNNN: one counter per year (of the report date, else the message date, else now).
CREATE TABLE defectd.defect_numbers (
	year integer PRIMARY KEY CHECK (year BETWEEN 1900 AND 9999),
	last integer NOT NULL CHECK (last BETWEEN 0 AND 99999)
);

CREATE TABLE defectd.defects (
	id               bigserial PRIMARY KEY,
	ref              text NOT NULL UNIQUE CHECK (ref ~ '^MD-[0-9]{4}-[0-9]{5}$'),
	opened_at        timestamptz NOT NULL DEFAULT now(),
	opened_by        bigint REFERENCES defectd.messages,
	-- current values (the latest in field_values), for fast lists; never personal data
	report_no        text,
	report_date      date,
	dealer_code      text,
	dealer_name      text,
	dealer_contact   text,
	product_model    text,
	serial_no        text,
	supplier         text,
	vin              text,
	install_date     date,
	occurred_date    date,
	defect_type      text,
	error_code       text,
	symptom          text,
	installer        text,
	replaced_part    text,
	cause            text,
	carrier          text,
	tracking_no      text,
	analysis_result  text,
	-- data track
	data_status      text NOT NULL DEFAULT 'missing' CHECK (data_status IN ('complete', 'missing')),
	missing_fields   text[] NOT NULL DEFAULT '{}',
	data_complete_at timestamptz,
	-- repair track
	repair_status    text NOT NULL DEFAULT 'open' CHECK (repair_status IN ('open', 'repaired')),
	repaired_at      date,
	-- part track; the dates are those of each stage reached, kept when a later stage follows
	part_status      text NOT NULL DEFAULT 'not_required'
		CHECK (part_status IN ('not_required', 'pending', 'shipped', 'received', 'analyzed')),
	pending_at       date,
	shipped_at       date,
	received_at      date,
	analyzed_at      date,
	closed           boolean NOT NULL DEFAULT false,	-- repaired and part not_required or analyzed
	closed_at        timestamptz,
	updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX defects_open_serial ON defectd.defects (serial_no, updated_at DESC) WHERE NOT closed;
CREATE INDEX defects_open_report_no ON defectd.defects (report_no, updated_at DESC) WHERE NOT closed;
CREATE INDEX defects_opened_by ON defectd.defects (opened_by);
CREATE INDEX defects_updated ON defectd.defects (updated_at);
CREATE INDEX defects_type ON defectd.defects (defect_type);
CREATE INDEX defects_model ON defectd.defects (product_model);
CREATE INDEX defects_supplier ON defectd.defects (supplier);
CREATE INDEX defects_dealer ON defectd.defects (dealer_code);
CREATE INDEX defects_tracking ON defectd.defects (tracking_no);

-- records: what each message yielded and where it went.
CREATE TABLE defectd.records (
	id         bigserial PRIMARY KEY,
	message_id bigint NOT NULL REFERENCES defectd.messages,
	idx        integer NOT NULL,				-- position in the message (SPEC §4 order)
	kind       text NOT NULL,
	defect_ref text,					-- as stated in the mail
	defect_id  bigint REFERENCES defectd.defects,		-- NULL while uncorrelated
	outcome    text NOT NULL CHECK (outcome IN ('applied', 'opened', 'uncorrelated', 'assigned')),
	matched_by text CHECK (matched_by IN ('ref', 'thread', 'serial_no', 'report_no', 'new', 'hand')),
	note       text,
	fields     jsonb NOT NULL DEFAULT '{}',			-- non-personal fields only
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (message_id, idx)
);
CREATE INDEX records_defect ON defectd.records (defect_id);

-- field_values: the history of every non-personal field of a defect, each with its source.
-- "current" marks the latest (by message arrival, then record order).
CREATE TABLE defectd.field_values (
	id           bigserial PRIMARY KEY,
	defect_id    bigint NOT NULL REFERENCES defectd.defects,
	field        text NOT NULL,
	value        text NOT NULL,
	message_id   bigint NOT NULL REFERENCES defectd.messages,
	record_index integer NOT NULL,
	recorded_at  timestamptz NOT NULL DEFAULT now(),
	current      boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX field_values_current ON defectd.field_values (defect_id, field) WHERE current;
CREATE INDEX field_values_defect ON defectd.field_values (defect_id, field);
CREATE INDEX field_values_message ON defectd.field_values (message_id);

-- personal_data: customer name, address, phone — apart, readable only by defectd_personal.
-- defect_id is NULL while the record is uncorrelated (kept for the hand assignment).
CREATE TABLE defectd.personal_data (
	id           bigserial PRIMARY KEY,
	defect_id    bigint REFERENCES defectd.defects,
	field        text NOT NULL,
	value        text NOT NULL,
	message_id   bigint NOT NULL REFERENCES defectd.messages,
	record_index integer NOT NULL,
	recorded_at  timestamptz NOT NULL DEFAULT now(),
	current      boolean NOT NULL DEFAULT false
);
CREATE INDEX personal_data_defect ON defectd.personal_data (defect_id, field);
CREATE INDEX personal_data_message ON defectd.personal_data (message_id, record_index);

-- repairs: one row per repair_report record.
CREATE TABLE defectd.repairs (
	id            bigserial PRIMARY KEY,
	defect_id     bigint NOT NULL REFERENCES defectd.defects,
	message_id    bigint NOT NULL REFERENCES defectd.messages,
	record_index  integer NOT NULL,
	reported_on   date NOT NULL,		-- the message's day
	repair_date   date,
	repair_action text,
	replaced_part text,
	cause         text,
	technician    text,
	part_return   boolean,
	recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX repairs_defect ON defectd.repairs (defect_id);
CREATE INDEX repairs_message ON defectd.repairs (message_id);

-- part_events: the returned part's way back (shipment notices, receipts with analysis).
CREATE TABLE defectd.part_events (
	id              bigserial PRIMARY KEY,
	defect_id       bigint NOT NULL REFERENCES defectd.defects,
	message_id      bigint NOT NULL REFERENCES defectd.messages,
	record_index    integer NOT NULL,
	kind            text NOT NULL CHECK (kind IN ('shipment', 'receipt')),
	reported_on     date NOT NULL,
	shipped_date    date,
	carrier         text,
	tracking_no     text,
	destination     text,
	received_date   date,
	analysis_result text,
	note            text,			-- e.g. a late notice that did not move the status back
	recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX part_events_defect ON defectd.part_events (defect_id);
CREATE INDEX part_events_message ON defectd.part_events (message_id);
CREATE INDEX part_events_tracking ON defectd.part_events (tracking_no);

-- quarantine: mail or records that need a person.  raw only for mail that never became a
-- messages row (poison, too big, parser crash); otherwise message_id points at it.
CREATE TABLE defectd.quarantine (
	id           bigserial PRIMARY KEY,
	message_id   bigint REFERENCES defectd.messages,
	mailbox_id   integer REFERENCES defectd.mailboxes,
	source_key   text,
	record_index integer,
	reason_kind  text NOT NULL CHECK (reason_kind IN
		('unparsable', 'uncorrelated', 'poison', 'too_big', 'parser_crash', 'uidvalidity')),
	reason       text NOT NULL,
	raw          bytea,
	created_at   timestamptz NOT NULL DEFAULT now(),
	resolved_at  timestamptz,
	resolution   text,
	defect_id    bigint REFERENCES defectd.defects	-- the defect a record was assigned to
);
CREATE INDEX quarantine_open ON defectd.quarantine (created_at) WHERE resolved_at IS NULL;
CREATE INDEX quarantine_message ON defectd.quarantine (message_id);

CREATE TABLE defectd.audit_log (
	id     bigserial PRIMARY KEY,
	at     timestamptz NOT NULL DEFAULT now(),
	actor  text NOT NULL DEFAULT current_user,
	action text NOT NULL,
	object text,
	detail jsonb
);
CREATE INDEX audit_log_at ON defectd.audit_log (at);

-- ---- views --------------------------------------------------------------------------------

-- Views run with the caller's privileges (security_invoker), so they never widen access and
-- row-level security on the tables (supplier roles, later) applies through them.

-- The list quality engineers work from: the tracks, no personal data.
CREATE VIEW defectd.defect_list WITH (security_invoker = true) AS
SELECT d.id, d.ref, d.opened_at, d.report_no, d.report_date, d.dealer_code, d.dealer_name,
       d.product_model, d.serial_no, d.supplier, d.vin, d.install_date, d.occurred_date,
       d.defect_type, d.error_code, d.symptom, d.installer,
       d.data_status, d.missing_fields, d.data_complete_at,
       d.repair_status, d.repaired_at,
       d.part_status, d.pending_at, d.shipped_at, d.received_at, d.analyzed_at,
       d.replaced_part, d.cause, d.carrier, d.tracking_no, d.analysis_result,
       d.closed, d.closed_at, d.updated_at
FROM defectd.defects d;

-- Messages without the raw mail, for readers.
CREATE VIEW defectd.message_list WITH (security_invoker = true) AS
SELECT m.id, m.identity, m.message_id, m.size, m.from_addr, m.subject, m.sent_at, m.in_reply_to,
       m.reference_ids, m.mailbox_id, m.source_key, m.received_at, m.status, m.reason, m.warnings,
       m.parse_json, m.parsed_at
FROM defectd.messages m;
