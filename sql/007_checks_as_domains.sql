-- Ingestion speed, continued from 006: the value checks become domains, and a message row
-- is stored whole.
--
-- 1. A CHECK constraint is read back from the catalogue (its stored expression tree) and
--    planned again for every statement that writes its table: ~6.5 % of the server's CPU in
--    make bench (ExecConstraints, by perf), for six checks of fixed word lists.  A domain's
--    check is planned once per session and kept in the type cache: ~1 % for the same checks.
--    So the status and kind columns get domains, and the checks 005 dropped from defects
--    (its number's shape, the three tracks) come back the same way.  Nothing changes for a
--    reader: each domain is over text (or integer), and a bad value is refused as before,
--    with the domain's name in the message.
-- 2. messages: toast_tuple_target near its maximum, so that a row under ~8 KB (the raw mail
--    of a report is 2–3 KB) is neither compressed nor moved to the TOAST table:
--    that was ~3.5 % of the server's CPU (a compression attempt, then a TOAST row and its
--    index entry per message).  The price is disk, ~1.1 KB a message (13 MB
--    against 9.8 MB for 3,000 generated messages); larger mail is still
--    compressed and moved out of line as before.  Not the maximum, 8160: a row the toaster
--    brings down to exactly that is a few bytes over the largest row once aligned ("row is
--    too big: size 8168"); 8000 leaves room.
--
-- The two views over the changed columns are made again as 001 made them (a column's type
-- cannot change under a view).

CREATE DOMAIN defectd.message_status AS text
	CHECK (VALUE IN ('parsed', 'ignored', 'quarantined'));
CREATE DOMAIN defectd.item_state AS text
	CHECK (VALUE IN ('pending', 'done', 'quarantined'));
CREATE DOMAIN defectd.record_outcome AS text
	CHECK (VALUE IN ('applied', 'opened', 'uncorrelated', 'assigned'));
CREATE DOMAIN defectd.record_matched_by AS text
	CHECK (VALUE IN ('ref', 'thread', 'serial_no', 'report_no', 'new', 'hand'));
CREATE DOMAIN defectd.part_event_kind AS text
	CHECK (VALUE IN ('shipment', 'receipt'));
CREATE DOMAIN defectd.quarantine_kind AS text
	CHECK (VALUE IN ('unparsable', 'uncorrelated', 'poison', 'too_big', 'parser_crash', 'uidvalidity'));
CREATE DOMAIN defectd.defect_year AS integer CHECK (VALUE BETWEEN 1900 AND 9999);
CREATE DOMAIN defectd.defect_serial AS integer CHECK (VALUE BETWEEN 0 AND 99999);
CREATE DOMAIN defectd.defect_ref AS text CHECK (VALUE ~ '^MD-[0-9]{4}-[0-9]{5}$');
CREATE DOMAIN defectd.data_status AS text CHECK (VALUE IN ('complete', 'missing'));
CREATE DOMAIN defectd.repair_status AS text CHECK (VALUE IN ('open', 'repaired'));
CREATE DOMAIN defectd.part_status AS text
	CHECK (VALUE IN ('not_required', 'pending', 'shipped', 'received', 'analyzed'));

DROP VIEW defectd.message_list;
DROP VIEW defectd.defect_list;

ALTER TABLE defectd.messages DROP CONSTRAINT IF EXISTS messages_status_check,
	ALTER COLUMN status TYPE defectd.message_status;
ALTER TABLE defectd.mailbox_items DROP CONSTRAINT IF EXISTS mailbox_items_state_check,
	ALTER COLUMN state TYPE defectd.item_state;
ALTER TABLE defectd.records DROP CONSTRAINT IF EXISTS records_outcome_check,
	DROP CONSTRAINT IF EXISTS records_matched_by_check,
	ALTER COLUMN outcome TYPE defectd.record_outcome,
	ALTER COLUMN matched_by TYPE defectd.record_matched_by;
ALTER TABLE defectd.part_events DROP CONSTRAINT IF EXISTS part_events_kind_check,
	ALTER COLUMN kind TYPE defectd.part_event_kind;
ALTER TABLE defectd.quarantine DROP CONSTRAINT IF EXISTS quarantine_reason_kind_check,
	ALTER COLUMN reason_kind TYPE defectd.quarantine_kind;
ALTER TABLE defectd.defect_numbers DROP CONSTRAINT IF EXISTS defect_numbers_year_check,
	DROP CONSTRAINT IF EXISTS defect_numbers_last_check,
	ALTER COLUMN year TYPE defectd.defect_year,
	ALTER COLUMN last TYPE defectd.defect_serial;
ALTER TABLE defectd.defects
	ALTER COLUMN ref TYPE defectd.defect_ref,
	ALTER COLUMN data_status TYPE defectd.data_status,
	ALTER COLUMN repair_status TYPE defectd.repair_status,
	ALTER COLUMN part_status TYPE defectd.part_status;

ALTER TABLE defectd.messages SET (toast_tuple_target = 8000);

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

CREATE VIEW defectd.message_list WITH (security_invoker = true) AS
SELECT m.id, m.identity, m.message_id, m.size, m.from_addr, m.subject, m.sent_at, m.in_reply_to,
       m.reference_ids, m.mailbox_id, m.source_key, m.received_at, m.status, m.reason, m.warnings,
       m.parse_json, m.parsed_at
FROM defectd.messages m;

GRANT SELECT ON defectd.defect_list, defectd.message_list TO defectd_daemon, defectd_reader;
