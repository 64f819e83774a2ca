-- Ingestion speed, continued from 004 (make bench: 10,000 messages from Dovecot).
--
-- Each message writes ~2 records, ~1 defect (an INSERT, then the UPDATE that recomputes its
-- columns and tracks), personal data rows, repairs and part events.  Measured per message on
-- the server (tests/bench/ingest.sh), three kinds of per-statement or per-row work cost more
-- than the writes themselves:
--
-- 1. Foreign-key checks: one SPI query per row and key (~18 % of the server's CPU).  The keys
--    below hold without them, for the reasons 004 gives for field_values:
--    * message_id, opened_by (-> messages), mailbox_id (-> mailboxes): messages and
--      mailboxes are never deleted (no role has DELETE on them), and every row is written in
--      the transaction that stored or found its message and mailbox;
--    * defect_id (-> defects): the only DELETE of a defect (an emptied one after a re-parse,
--      store.c SQL_DROP_UNUSED_DEFECT) checks in the same statement that no row of records,
--      field_values, personal_data, repairs, part_events or quarantine names it, and every
--      such row is written after its defect was opened or locked in the same transaction.
--    The quarantine keeps its keys: it is written rarely and by hand too (defectctl).
-- 2. CHECK constraints are re-read from the catalogue and planned for every statement that
--    writes the table.  The defect's status columns and its number are written only by
--    track.c's SQL, from constants and the year counter, whose own CHECK (defect_numbers,
--    kept) stops the number at 99999; the defects table's checks go.
-- 3. Indexes on defects that no query uses (the lists filter and sort in the reader's own
--    queries, which can add what they need): each cost an entry per row version, and the
--    recompute writes a new version of the defect for every record applied.  The two
--    correlation indexes no longer include updated_at, so a recompute that changes neither
--    serial_no, report_no nor closed can be a HOT update; fillfactor leaves room for it.

ALTER TABLE defectd.records DROP CONSTRAINT IF EXISTS records_message_id_fkey;
ALTER TABLE defectd.records DROP CONSTRAINT IF EXISTS records_defect_id_fkey;
ALTER TABLE defectd.personal_data DROP CONSTRAINT IF EXISTS personal_data_defect_id_fkey;
ALTER TABLE defectd.personal_data DROP CONSTRAINT IF EXISTS personal_data_message_id_fkey;
ALTER TABLE defectd.repairs DROP CONSTRAINT IF EXISTS repairs_defect_id_fkey;
ALTER TABLE defectd.repairs DROP CONSTRAINT IF EXISTS repairs_message_id_fkey;
ALTER TABLE defectd.part_events DROP CONSTRAINT IF EXISTS part_events_defect_id_fkey;
ALTER TABLE defectd.part_events DROP CONSTRAINT IF EXISTS part_events_message_id_fkey;
ALTER TABLE defectd.mailbox_items DROP CONSTRAINT IF EXISTS mailbox_items_message_id_fkey;
ALTER TABLE defectd.messages DROP CONSTRAINT IF EXISTS messages_mailbox_id_fkey;
ALTER TABLE defectd.defects DROP CONSTRAINT IF EXISTS defects_opened_by_fkey;

ALTER TABLE defectd.defects DROP CONSTRAINT IF EXISTS defects_ref_check;
ALTER TABLE defectd.defects DROP CONSTRAINT IF EXISTS defects_data_status_check;
ALTER TABLE defectd.defects DROP CONSTRAINT IF EXISTS defects_repair_status_check;
ALTER TABLE defectd.defects DROP CONSTRAINT IF EXISTS defects_part_status_check;

DROP INDEX IF EXISTS defectd.defects_updated;
DROP INDEX IF EXISTS defectd.defects_type;
DROP INDEX IF EXISTS defectd.defects_model;
DROP INDEX IF EXISTS defectd.defects_supplier;
DROP INDEX IF EXISTS defectd.defects_dealer;
DROP INDEX IF EXISTS defectd.defects_tracking;
DROP INDEX IF EXISTS defectd.defects_open_serial;
DROP INDEX IF EXISTS defectd.defects_open_report_no;
CREATE INDEX defects_open_serial ON defectd.defects (serial_no) WHERE NOT closed;
CREATE INDEX defects_open_report_no ON defectd.defects (report_no) WHERE NOT closed;
ALTER TABLE defectd.defects SET (fillfactor = 80);
