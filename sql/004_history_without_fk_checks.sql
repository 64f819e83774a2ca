-- Ingestion speed (make bench, tests/bench/ingest.sh).
--
-- field_values takes ~16 rows per message, and each row ran two foreign-key checks (one
-- SPI query each, ~17 % of the server's time per message).  Both keys hold without them:
--  * message_id: messages are never deleted (the daemon's role has no DELETE on them,
--    readers no write at all), and each row is written in the transaction that stored
--    or locked its message;
--  * defect_id: the only DELETE of a defect (an emptied one after a re-parse, store.c)
--    checks in the same statement that no field_values row names it, and each row is
--    written after its defect was opened or locked in the same transaction.
-- The indexes stay: they serve the look-ups, not the checks.
ALTER TABLE defectd.field_values DROP CONSTRAINT IF EXISTS field_values_defect_id_fkey;
ALTER TABLE defectd.field_values DROP CONSTRAINT IF EXISTS field_values_message_id_fkey;

-- Raw mail is compressed with lz4 rather than pglz: about as small for mail, and several
-- times cheaper to compress (pglz was ~4 % of the server's time per message).  Applies
-- to rows written from now on; older rows stay as they are and read the same.
ALTER TABLE defectd.messages ALTER COLUMN raw SET COMPRESSION lz4;
ALTER TABLE defectd.quarantine ALTER COLUMN raw SET COMPRESSION lz4;
