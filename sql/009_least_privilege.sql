-- Least privilege and a fixed search_path (SPEC.md §9; issue: a personal-data leak through
-- search_path).
--
-- The leak: the functions of 007/008 called built-ins unqualified (cardinality, format,
-- array_to_string, the = and || operators …), had no search_path of their own, were
-- executable by PUBLIC, and the daemon's session had "$user", public on its path.  A role
-- that may CREATE in schema public (every database made by PostgreSQL 14 or older, and every
-- one upgraded from such) could create public.cardinality(text[]): an exact-type match beats
-- pg_catalog's cardinality(anyarray), so its code ran as the daemon's role on every ingest —
-- and that role could read every customer's name, address and phone and all raw mail.
--
-- Four walls, each enough on its own against that attack:
--  1. every function here runs with search_path = pg_catalog, defectd, pg_temp (pg_catalog
--     first, so no built-in can be shadowed; pg_temp last and explicit, so no temp object can
--     stand in for a table), and db_connect sets the same path for every session of the
--     daemon, defectctl and migrate;
--  2. EXECUTE is revoked from PUBLIC on every function; each role gets what it calls;
--  3. the daemon writes personal data and raw mail but cannot read either (column grants:
--     personal_data.value, messages.raw and quarantine.raw are not among its columns).  What
--     must read them — re-parsing stored mail, re-parsing or assigning quarantined mail —
--     is defectctl's work under the new role defectd_maintainer;
--  4. row-level security is enabled and forced on every table with defect or personal data,
--     with a policy per role and command: a role missing from the policies sees no row and
--     writes none, even if someone grants it the table by mistake.
--
-- tests/integration/test_security.sh proves every cell of README's table of roles, and
-- tests/integration/test_attack.sh runs the attack.

-- ---- 1. a fixed search_path on every function ---------------------------------------------
-- (new functions carry the SET clause in their CREATE; test_security.sh fails on one without)
ALTER FUNCTION defectd.to_date_or_null(text) SET search_path = pg_catalog, defectd, pg_temp;
ALTER FUNCTION defectd.to_timestamptz_or_null(text) SET search_path = pg_catalog, defectd, pg_temp;
ALTER FUNCTION defectd.assign_ownership() SET search_path = pg_catalog, defectd, pg_temp;
ALTER FUNCTION defectd.recompute(bigint, text[]) SET search_path = pg_catalog, defectd, pg_temp;
ALTER FUNCTION defectd.apply_record(bigint, integer, text, text[], integer, text, text, jsonb, text[],
	text[], text[], bigint, bigint[], bigint) SET search_path = pg_catalog, defectd, pg_temp;
ALTER FUNCTION defectd.ingest_message(text, bytea, text, text, text, text, text[], text[], text, text,
	bigint, text, text, text[], jsonb, jsonb, text[]) SET search_path = pg_catalog, defectd, pg_temp;

-- ---- 2. EXECUTE only where it is called ----------------------------------------------------
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA defectd FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA defectd FROM defectd_reader, defectd_personal, defectd_daemon;
-- functions the migrating role creates from now on are not PUBLIC's either
ALTER DEFAULT PRIVILEGES IN SCHEMA defectd REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
-- ingestion calls ingest_message, which calls apply_record, which calls recompute, all with
-- the caller's rights; the helpers and the merge aggregate are used inside them (and by the
-- re-parse's UPDATE of a message row)
GRANT EXECUTE ON FUNCTION defectd.ingest_message(text, bytea, text, text, text, text, text[], text[],
		text, text, bigint, text, text, text[], jsonb, jsonb, text[]),
	defectd.apply_record(bigint, integer, text, text[], integer, text, text, jsonb, text[], text[],
		text[], bigint, bigint[], bigint),
	defectd.recompute(bigint, text[]),
	defectd.to_date_or_null(text), defectd.to_timestamptz_or_null(text),
	defectd.jsonb_merge(jsonb)
	TO defectd_daemon;

-- ---- 3. the daemon writes what it cannot read ----------------------------------------------
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'defectd_maintainer') THEN
		CREATE ROLE defectd_maintainer NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
	END IF;
END
$$;
GRANT defectd_daemon, defectd_personal TO defectd_maintainer;

REVOKE ALL ON ALL TABLES IN SCHEMA defectd FROM defectd_daemon;
GRANT SELECT ON defectd.schema_migrations TO defectd_daemon;
GRANT SELECT, INSERT, UPDATE ON defectd.mailboxes, defectd.mailbox_items, defectd.defect_numbers,
	defectd.defects TO defectd_daemon;
GRANT SELECT, INSERT ON defectd.records, defectd.repairs, defectd.part_events TO defectd_daemon;
GRANT INSERT ON defectd.messages, defectd.quarantine, defectd.personal_data, defectd.audit_log
	TO defectd_daemon;
GRANT SELECT (id, identity, message_id, sha256, size, from_addr, subject, sent_at, sent_day,
	in_reply_to, reference_ids, mailbox_id, source_key, received_at, status, reason, warnings,
	parse_json, parsed_at) ON defectd.messages TO defectd_daemon;
GRANT SELECT (id, message_id, mailbox_id, source_key, record_index, reason_kind, reason,
	created_at, resolved_at, resolution, defect_id) ON defectd.quarantine TO defectd_daemon;
-- which fields a defect has (the data track's missing list) and which row is current — never
-- the value
GRANT SELECT (id, defect_id, field, message_id, record_index, recorded_at, current),
	UPDATE (current) ON defectd.personal_data TO defectd_daemon;

-- defectctl reparse / quarantine reparse / quarantine assign / mailbox resume: the daemon's
-- writes, reading raw mail and personal data (defectd_personal), and replacing what a message
-- contributed
GRANT UPDATE ON defectd.messages, defectd.quarantine, defectd.personal_data TO defectd_maintainer;
GRANT DELETE ON defectd.defects, defectd.records, defectd.personal_data, defectd.repairs,
	defectd.part_events, defectd.quarantine TO defectd_maintainer;

-- readers use no function (the views are plain SQL); the reader's grants of 002/006/007 stay
GRANT SELECT ON defectd.defect_list, defectd.message_list, defectd.field_values TO defectd_reader;

-- ---- 4. row-level security, forced -------------------------------------------------------
-- One permissive policy per role and command.  The owner (migrations run as it, or as a
-- superuser, who bypasses RLS anyway) keeps everything.  Supplier roles add their own later.
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['messages', 'defects', 'records', 'personal_data', 'repairs',
				 'part_events', 'quarantine']
	LOOP
		EXECUTE format('ALTER TABLE defectd.%I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE defectd.%I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('DROP POLICY IF EXISTS owner_all ON defectd.%I', t);
		EXECUTE format('CREATE POLICY owner_all ON defectd.%I TO defectd_owner USING (true) WITH CHECK (true)', t);
		EXECUTE format('DROP POLICY IF EXISTS daemon_select ON defectd.%I', t);
		EXECUTE format('CREATE POLICY daemon_select ON defectd.%I FOR SELECT TO defectd_daemon USING (true)', t);
		EXECUTE format('DROP POLICY IF EXISTS daemon_insert ON defectd.%I', t);
		EXECUTE format('CREATE POLICY daemon_insert ON defectd.%I FOR INSERT TO defectd_daemon WITH CHECK (true)', t);
		EXECUTE format('DROP POLICY IF EXISTS maintainer_update ON defectd.%I', t);
		EXECUTE format('CREATE POLICY maintainer_update ON defectd.%I FOR UPDATE TO defectd_maintainer'
			' USING (true) WITH CHECK (true)', t);
		EXECUTE format('DROP POLICY IF EXISTS maintainer_delete ON defectd.%I', t);
		EXECUTE format('CREATE POLICY maintainer_delete ON defectd.%I FOR DELETE TO defectd_maintainer USING (true)', t);
		IF t <> 'personal_data' THEN
			EXECUTE format('DROP POLICY IF EXISTS reader_select ON defectd.%I', t);
			EXECUTE format('CREATE POLICY reader_select ON defectd.%I FOR SELECT TO defectd_reader USING (true)', t);
		END IF;
	END LOOP;
END
$$;
-- the daemon updates defects (the recompute) and the current flag of personal data
CREATE POLICY daemon_update ON defectd.defects FOR UPDATE TO defectd_daemon USING (true) WITH CHECK (true);
CREATE POLICY daemon_update ON defectd.personal_data FOR UPDATE TO defectd_daemon USING (true) WITH CHECK (true);
-- personal data: read by defectd_personal (and so by the maintainer) only
CREATE POLICY personal_select ON defectd.personal_data FOR SELECT TO defectd_personal USING (true);
