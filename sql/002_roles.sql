-- Roles and privileges (SPEC.md §9).  Idempotent: roles are cluster-wide and may exist
-- already (a second database, a re-run by hand).
--
--   defectd_owner     NOLOGIN; owns the schema and every object in it.
--   defectd_daemon    what defectd needs to ingest and track; an ordinary role (NOSUPERUSER,
--                     NOBYPASSRLS) that owns nothing, so row-level security applies to it.
--                     Created NOLOGIN: the operator grants LOGIN (ALTER ROLE defectd_daemon
--                     LOGIN PASSWORD …) or grants the role to a login role of their own.
--   defectd_reader    quality engineers and tools: defects and their history, the tracks,
--                     the quarantine without raw mail; no personal data, no raw mail.
--   defectd_personal  defectd_reader plus personal_data and the raw mail.
--
-- Raw mail is hidden from readers with column privileges: `SELECT *` on messages or
-- quarantine fails for them; they use defectd.message_list or name the columns.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'defectd_owner') THEN
		CREATE ROLE defectd_owner NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'defectd_daemon') THEN
		CREATE ROLE defectd_daemon NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION;
	ELSIF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'defectd_daemon' AND (rolsuper OR rolbypassrls)) THEN
		-- row-level security and least privilege rely on this
		ALTER ROLE defectd_daemon NOSUPERUSER NOBYPASSRLS;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'defectd_reader') THEN
		CREATE ROLE defectd_reader NOLOGIN NOSUPERUSER NOBYPASSRLS;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'defectd_personal') THEN
		CREATE ROLE defectd_personal NOLOGIN NOSUPERUSER NOBYPASSRLS;
	END IF;
	IF NOT pg_has_role('defectd_personal', 'defectd_reader', 'MEMBER') THEN
		GRANT defectd_reader TO defectd_personal;
	END IF;
END
$$;

-- Hands the schema and everything in it to defectd_owner.  db_migrate calls it after every
-- migration file, so later files need not repeat ALTER … OWNER for what they create.
-- Owned sequences (serial columns) and indexes follow their table.
CREATE OR REPLACE FUNCTION defectd.assign_ownership() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	o record;
BEGIN
	IF (SELECT nspowner FROM pg_namespace WHERE nspname = 'defectd') <> 'defectd_owner'::regrole THEN
		ALTER SCHEMA defectd OWNER TO defectd_owner;
	END IF;
	FOR o IN
		SELECT c.oid::regclass AS obj, c.relkind
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'defectd' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		  AND c.relowner <> 'defectd_owner'::regrole
	LOOP
		EXECUTE format('ALTER %s %s OWNER TO defectd_owner',
			CASE o.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
				WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, o.obj);
	END LOOP;
	-- sequences not owned by a column (the others moved with their table above)
	FOR o IN
		SELECT c.oid::regclass AS obj
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'defectd' AND c.relkind = 'S'
		  AND c.relowner <> 'defectd_owner'::regrole
	LOOP
		EXECUTE format('ALTER SEQUENCE %s OWNER TO defectd_owner', o.obj);
	END LOOP;
	FOR o IN
		SELECT p.oid::regprocedure AS obj
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = 'defectd' AND p.proowner <> 'defectd_owner'::regrole
	LOOP
		EXECUTE format('ALTER ROUTINE %s OWNER TO defectd_owner', o.obj);
	END LOOP;
	FOR o IN
		SELECT t.oid::regtype AS obj
		FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
		WHERE n.nspname = 'defectd' AND t.typtype IN ('d', 'e', 'c')
		  AND t.typrelid = 0 AND t.typowner <> 'defectd_owner'::regrole
	LOOP
		EXECUTE format('ALTER TYPE %s OWNER TO defectd_owner', o.obj);
	END LOOP;
END
$$;
REVOKE ALL ON FUNCTION defectd.assign_ownership() FROM PUBLIC;
SELECT defectd.assign_ownership();

GRANT USAGE ON SCHEMA defectd TO defectd_daemon, defectd_reader, defectd_personal;

-- ---- the daemon ---------------------------------------------------------------------------
GRANT SELECT ON defectd.schema_migrations TO defectd_daemon;
GRANT SELECT, INSERT, UPDATE ON defectd.mailboxes, defectd.mailbox_items, defectd.messages,
	defectd.defect_numbers TO defectd_daemon;
-- DELETE: re-parsing replaces what a message contributed; an emptied defect it opened goes
GRANT SELECT, INSERT, UPDATE, DELETE ON defectd.defects, defectd.records, defectd.field_values,
	defectd.personal_data, defectd.repairs, defectd.part_events, defectd.quarantine TO defectd_daemon;
GRANT SELECT, INSERT ON defectd.audit_log TO defectd_daemon;
GRANT SELECT ON defectd.defect_list, defectd.message_list TO defectd_daemon;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA defectd TO defectd_daemon;
GRANT EXECUTE ON FUNCTION defectd.to_date_or_null(text), defectd.to_timestamptz_or_null(text)
	TO defectd_daemon, defectd_reader;

-- ---- readers: no personal data, no raw mail ----------------------------------------------
GRANT SELECT ON defectd.defects, defectd.field_values, defectd.records, defectd.repairs,
	defectd.part_events, defectd.defect_list, defectd.message_list, defectd.mailboxes,
	defectd.mailbox_items, defectd.schema_migrations TO defectd_reader;
GRANT SELECT (id, message_id, mailbox_id, source_key, record_index, reason_kind, reason,
	created_at, resolved_at, resolution, defect_id) ON defectd.quarantine TO defectd_reader;
GRANT SELECT (id, identity, message_id, sha256, size, from_addr, subject, sent_at, sent_day,
	in_reply_to, reference_ids, mailbox_id, source_key, received_at, status, reason, warnings,
	parse_json, parsed_at) ON defectd.messages TO defectd_reader;

-- ---- personal data ------------------------------------------------------------------------
GRANT SELECT ON defectd.personal_data TO defectd_personal;
GRANT SELECT (raw) ON defectd.messages, defectd.quarantine TO defectd_personal;
