-- Ingestion speed, continued from 005: the field history is read from the records.
--
-- Every record applied to a defect already keeps its non-personal fields (records.fields),
-- with its message and position, which is all the history says about a value.  The
-- field_values table stored them a second time, one row per field (~16 rows and ~48 index
-- entries per message), and kept a "current" flag on them with an UPDATE per record: ~22 %
-- of the server's CPU in make bench.  field_values is now a view over records with the same
-- columns (but no id), and "current" is computed: the value of the latest record of the defect
-- that has the field, by message arrival, then record order.  The recompute (track.c) merges
-- the records' fields in that order (defectd.jsonb_merge).
--
-- Records that are not on a defect (uncorrelated, waiting for a hand assignment) are not in
-- the history, as before.  A record keeps one value per field (a JSON object): when a mail
-- repeats a field in one record, the last one is the record's value, as it was the current
-- one before; the earlier duplicate is no longer listed (the raw mail still has it).

-- Before the table goes: every value it holds as the last of its field in its record must be
-- in that record, or the view would show another history.
DO $$
DECLARE
	bad bigint;
BEGIN
	IF (SELECT relkind FROM pg_class WHERE oid = to_regclass('defectd.field_values')) = 'r' THEN
		SELECT count(*) INTO bad
		FROM (SELECT DISTINCT ON (defect_id, message_id, record_index, field) *
		      FROM defectd.field_values ORDER BY defect_id, message_id, record_index, field, id DESC) f
		WHERE NOT EXISTS (SELECT 1 FROM defectd.records r
				  WHERE r.message_id = f.message_id AND r.idx = f.record_index
				    AND r.defect_id = f.defect_id AND r.fields ->> f.field = f.value);
		IF bad > 0 THEN
			RAISE EXCEPTION '% field_values rows are not in their records; not migrated', bad
				USING HINT = 'defectctl reparse the messages they came from, then migrate again';
		END IF;
		DROP TABLE defectd.field_values;
	END IF;
END
$$;

-- jsonb_merge(fields ORDER BY …): the later record's value of a field wins
CREATE OR REPLACE AGGREGATE defectd.jsonb_merge(jsonb) (SFUNC = jsonb_concat, STYPE = jsonb, INITCOND = '{}');

CREATE OR REPLACE VIEW defectd.field_values WITH (security_invoker = true) AS
SELECT r.defect_id, f.key AS field, f.value, r.message_id, r.idx AS record_index,
       r.created_at AS recorded_at,
       row_number() OVER (PARTITION BY r.defect_id, f.key ORDER BY r.message_id DESC, r.idx DESC) = 1
	AS current
FROM defectd.records r CROSS JOIN LATERAL jsonb_each_text(r.fields) AS f(key, value)
WHERE r.defect_id IS NOT NULL;

GRANT SELECT ON defectd.field_values TO defectd_daemon, defectd_reader;
GRANT EXECUTE ON FUNCTION defectd.jsonb_merge(jsonb) TO defectd_daemon, defectd_reader;
