-- Ingestion speed, continued from 007: a message is one statement.
--
-- Correlating a record needs the answers of look-ups (the defect it goes to decides what is
-- written next), so the daemon waited for the server two or three times per message, and the
-- server idled meanwhile (~35 % of the run in make bench).  The rules of SPEC §6 now run here,
-- in three functions that track.c and store.c call; what they do is what track.c did, rule
-- for rule (its comments say why):
--
--   defectd.recompute(defect, required)      a defect's columns and tracks from its history
--   defectd.apply_record(…)                  correlate one record, open or take its defect,
--                                            write it, recompute the defect
--   defectd.ingest_message(…)                the message row, each record, the mailbox item
--
-- The daemon sends BEGIN, ingest_message and COMMIT together and reads the answer while it
-- fetches and parses the next message.  Re-parsing and hand assignment call apply_record
-- themselves, so every path applies records by the same code.
--
-- The functions run with the caller's privileges (SECURITY INVOKER): the daemon's role needs
-- the same table privileges as before, and a reader cannot write through them.

CREATE OR REPLACE FUNCTION defectd.recompute(p_defect bigint, p_required text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	WITH cur AS MATERIALIZED (SELECT defectd.jsonb_merge(fields ORDER BY message_id, idx) AS v
		FROM defectd.records WHERE defect_id = p_defect),
	pd AS MATERIALIZED (SELECT coalesce(array_agg(field), '{}'::text[]) AS fields
		FROM defectd.personal_data WHERE defect_id = p_defect AND current),
	miss AS MATERIALIZED (SELECT coalesce(array_agg(u.f ORDER BY u.n), '{}'::text[]) AS fields
		FROM unnest(p_required) WITH ORDINALITY AS u(f, n), cur, pd
		WHERE NOT cur.v ? u.f AND u.f <> ALL (pd.fields)),
	rep AS MATERIALIZED (SELECT coalesce(e.repair_date, e.reported_on) AS repaired_at
		FROM defectd.repairs e WHERE e.defect_id = p_defect
		ORDER BY e.message_id DESC, e.record_index DESC, e.id DESC LIMIT 1),
	-- the record that gave the current part_return: its repair date, else its mail's
	pend AS MATERIALIZED (SELECT coalesce(defectd.to_date_or_null(r.fields->>'repair_date'),
			m.sent_day, m.received_at::date) AS pending_at
		FROM (SELECT message_id, fields FROM defectd.records
		      WHERE defect_id = p_defect AND fields ? 'part_return'
		      ORDER BY message_id DESC, idx DESC LIMIT 1) r
		JOIN defectd.messages m ON m.id = r.message_id
		WHERE r.fields->>'part_return' = 'true'),
	ev AS MATERIALIZED (SELECT
		(array_agg(coalesce(e.shipped_date, e.reported_on)
			ORDER BY e.message_id DESC, e.record_index DESC, e.id DESC)
			FILTER (WHERE e.kind = 'shipment'))[1] AS shipped_at,
		(array_agg(coalesce(e.received_date, e.reported_on)
			ORDER BY e.message_id DESC, e.record_index DESC, e.id DESC)
			FILTER (WHERE e.kind = 'receipt'))[1] AS received_at,
		(array_agg(e.reported_on ORDER BY e.message_id DESC, e.record_index DESC, e.id DESC)
			FILTER (WHERE e.kind = 'receipt' AND e.analysis_result IS NOT NULL))[1] AS analyzed_at
		FROM defectd.part_events e WHERE e.defect_id = p_defect),
	st AS MATERIALIZED (SELECT miss.fields AS missing, rep.repaired_at, pend.pending_at,
		ev.shipped_at, ev.received_at, ev.analyzed_at,
		CASE WHEN ev.analyzed_at IS NOT NULL THEN 'analyzed' WHEN ev.received_at IS NOT NULL THEN 'received'
			WHEN ev.shipped_at IS NOT NULL THEN 'shipped' WHEN cur.v->>'part_return' = 'true' THEN 'pending'
			ELSE 'not_required' END AS part_status
		FROM cur CROSS JOIN miss CROSS JOIN ev LEFT JOIN rep ON true LEFT JOIN pend ON true),
	fin AS MATERIALIZED (SELECT st.*, (st.repaired_at IS NOT NULL
		AND st.part_status IN ('not_required', 'analyzed')) AS closed FROM st)
	UPDATE defectd.defects d SET
		report_no = cur.v->>'report_no', report_date = defectd.to_date_or_null(cur.v->>'report_date'),
		dealer_code = cur.v->>'dealer_code', dealer_name = cur.v->>'dealer_name',
		dealer_contact = cur.v->>'dealer_contact', product_model = cur.v->>'product_model',
		serial_no = cur.v->>'serial_no', supplier = cur.v->>'supplier', vin = cur.v->>'vin',
		install_date = defectd.to_date_or_null(cur.v->>'install_date'),
		occurred_date = defectd.to_date_or_null(cur.v->>'occurred_date'),
		defect_type = cur.v->>'defect_type', error_code = cur.v->>'error_code',
		symptom = cur.v->>'symptom', installer = cur.v->>'installer',
		replaced_part = cur.v->>'replaced_part', cause = cur.v->>'cause', carrier = cur.v->>'carrier',
		tracking_no = cur.v->>'tracking_no', analysis_result = cur.v->>'analysis_result',
		data_status = CASE WHEN cardinality(fin.missing) = 0 THEN 'complete' ELSE 'missing' END,
		missing_fields = fin.missing,
		data_complete_at = CASE WHEN cardinality(fin.missing) = 0 THEN coalesce(d.data_complete_at, now()) END,
		repair_status = CASE WHEN fin.repaired_at IS NULL THEN 'open' ELSE 'repaired' END,
		repaired_at = fin.repaired_at, part_status = fin.part_status, pending_at = fin.pending_at,
		shipped_at = fin.shipped_at, received_at = fin.received_at, analyzed_at = fin.analyzed_at,
		closed = fin.closed, closed_at = CASE WHEN fin.closed THEN coalesce(d.closed_at, now()) END,
		updated_at = now()
	FROM cur, fin WHERE d.id = p_defect;
END
$$;

-- One record of message p_message (mailbox p_mailbox, NULL: none; p_source_key kept with an
-- uncorrelated record's quarantine entry).  p_thread: In-Reply-To, then References newest
-- first.  p_fields: the non-personal fields (records.fields); p_pkeys/p_pvals: the personal
-- ones, in the record's order.  p_forced: apply to this defect (hand assignment).  Re-parse
-- only: p_reuse, the defects the message opened before (its defect reports take them again,
-- in order, and keep their numbers); p_assigned, the defect this record was assigned to by
-- hand.  Returns the defect (NULL: uncorrelated), its number and the record's outcome.
CREATE OR REPLACE FUNCTION defectd.apply_record(p_message bigint, p_mailbox integer, p_source_key text,
	p_thread text[], p_index integer, p_kind text, p_defect_ref text, p_fields jsonb,
	p_pkeys text[], p_pvals text[], p_required text[], p_forced bigint DEFAULT NULL,
	p_reuse bigint[] DEFAULT NULL, p_assigned bigint DEFAULT NULL,
	OUT defect_id bigint, OUT ref text, OUT outcome text)
LANGUAGE plpgsql AS $$
DECLARE
	v_by text;
	v_notes text[] := '{}';
	v_fresh boolean := false;
	v_own boolean := false;
	v_used integer := 0;
	v_ids bigint[];
	v_serial text := p_fields->>'serial_no';
	v_report text := p_fields->>'report_no';
	v_ship boolean;
	v_recv boolean;
	v_why text;
BEGIN
	outcome := 'applied';
	IF p_forced IS NOT NULL THEN
		SELECT d.id, d.ref INTO defect_id, ref FROM defectd.defects d WHERE d.id = p_forced;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'defect % does not exist', p_forced;
		END IF;
		v_by := 'hand';
		outcome := 'assigned';
	ELSE
		-- re-parse: the message's own defect reports stay its defects (same numbers),
		-- whatever serial or report number they now share with another open defect
		IF cardinality(p_reuse) > 0 AND p_kind = 'defect_report' THEN
			SELECT count(*) INTO v_used FROM defectd.records r
			WHERE r.message_id = p_message AND r.outcome = 'opened';
			v_own := cardinality(p_reuse) > v_used;
		END IF;
		IF p_defect_ref IS NOT NULL THEN
			SELECT d.id, d.ref INTO defect_id, ref FROM defectd.defects d WHERE d.ref = p_defect_ref;
			IF FOUND THEN
				v_by := 'ref';
			ELSE
				v_notes := v_notes || format('defect_ref %s unknown', p_defect_ref);
			END IF;
		END IF;
		IF defect_id IS NULL AND NOT v_own THEN
			-- the thread: the first of its messages that has applied records, other than
			-- this one, gives its defects; more than one and the thread does not decide
			IF cardinality(p_thread) > 0 THEN
				WITH hit AS (
					SELECT t.n, r.defect_id FROM unnest(p_thread) WITH ORDINALITY AS t(mid, n)
					JOIN defectd.messages m ON m.message_id = t.mid AND m.id <> p_message
					JOIN defectd.records r ON r.message_id = m.id AND r.defect_id IS NOT NULL)
				SELECT array_agg(DISTINCT d.id) INTO v_ids
				FROM hit JOIN defectd.defects d ON d.id = hit.defect_id
				WHERE hit.n = (SELECT min(n) FROM hit);
				IF cardinality(v_ids) = 1 THEN
					defect_id := v_ids[1];
					v_by := 'thread';
				ELSIF cardinality(v_ids) > 1 THEN
					v_notes := v_notes || 'the thread leads to several defects'::text;
				END IF;
			END IF;
			-- the open defect with the serial number, then the report number (the most
			-- recently updated)
			IF defect_id IS NULL AND v_serial IS NOT NULL THEN
				SELECT d.id INTO defect_id FROM defectd.defects d
				WHERE d.serial_no = v_serial AND NOT d.closed
				ORDER BY d.updated_at DESC, d.id DESC LIMIT 1;
				IF FOUND THEN
					v_by := 'serial_no';
				END IF;
			END IF;
			IF defect_id IS NULL AND v_report IS NOT NULL THEN
				SELECT d.id INTO defect_id FROM defectd.defects d
				WHERE d.report_no = v_report AND NOT d.closed
				ORDER BY d.updated_at DESC, d.id DESC LIMIT 1;
				IF FOUND THEN
					v_by := 'report_no';
				END IF;
			END IF;
			IF defect_id IS NOT NULL AND ref IS NULL THEN
				SELECT d.ref INTO ref FROM defectd.defects d WHERE d.id = defect_id;
			END IF;
		END IF;
		IF defect_id IS NULL AND p_kind = 'defect_report' THEN
			IF v_own THEN
				defect_id := p_reuse[v_used + 1];
				SELECT d.ref INTO ref FROM defectd.defects d WHERE d.id = defect_id;
				IF NOT FOUND THEN
					RAISE EXCEPTION 'defect % vanished during re-parse', defect_id;
				END IF;
			ELSE
				-- the year of the report date, else of the message's Date, else now; the
				-- counter row stays locked until commit, so numbers are handed out in
				-- commit order without gaps.  The serial and report numbers are the values
				-- the recompute will find, so that its update can be HOT.
				WITH y AS (
					SELECT coalesce(extract(year FROM defectd.to_date_or_null(p_fields->>'report_date'))::int,
						extract(year FROM m.sent_day)::int, extract(year FROM now())::int) AS year
					FROM defectd.messages m WHERE m.id = p_message),
				n AS (INSERT INTO defectd.defect_numbers AS dn (year, last) SELECT y.year, 1 FROM y
					ON CONFLICT (year) DO UPDATE SET last = dn.last + 1 RETURNING dn.year, dn.last)
				INSERT INTO defectd.defects AS d (ref, opened_by, serial_no, report_no)
				SELECT format('MD-%s-%s', lpad(n.year::text, 4, '0'), lpad(n.last::text, 5, '0')),
					p_message, v_serial, v_report FROM n
				RETURNING d.id, d.ref INTO defect_id, ref;
				IF defect_id IS NULL THEN
					RAISE EXCEPTION 'message % not found: cannot open a defect', p_message;
				END IF;
				v_fresh := true;
			END IF;
			v_by := 'new';
			outcome := 'opened';
		ELSIF defect_id IS NULL AND p_assigned IS NOT NULL THEN
			-- re-parse: keep the hand assignment
			SELECT d.id, d.ref INTO defect_id, ref FROM defectd.defects d WHERE d.id = p_assigned;
			IF FOUND THEN
				v_by := 'hand';
				outcome := 'assigned';
			END IF;
		END IF;
	END IF;

	IF defect_id IS NULL THEN
		-- uncorrelated: the record, its personal fields with no defect (for the hand
		-- assignment), and a quarantine entry that says what was tried
		outcome := 'uncorrelated';
		INSERT INTO defectd.records (message_id, idx, kind, defect_ref, defect_id, outcome, matched_by, note, fields)
		VALUES (p_message, p_index, p_kind, p_defect_ref, NULL, outcome, NULL,
			nullif(array_to_string(v_notes, '; '), ''), p_fields);
		IF cardinality(p_pkeys) > 0 THEN
			INSERT INTO defectd.personal_data (defect_id, field, value, message_id, record_index)
			SELECT NULL, u.f, u.v, p_message, p_index FROM unnest(p_pkeys, p_pvals) AS u(f, v);
		END IF;
		v_why := format('%s (record %s): no defect matches', p_kind, p_index)
			|| coalesce('; serial_no ' || v_serial, '') || coalesce('; report_no ' || v_report, '')
			|| coalesce('; ' || nullif(array_to_string(v_notes, '; '), ''), '');
		INSERT INTO defectd.quarantine (message_id, mailbox_id, source_key, record_index, reason_kind, reason)
		VALUES (p_message, p_mailbox, CASE WHEN p_mailbox IS NOT NULL THEN p_source_key END, p_index,
			'uncorrelated', v_why);
		RETURN;
	END IF;

	-- applying to an existing defect: wait for another transaction applying to it, so that
	-- the history read below includes what that one commits
	IF NOT v_fresh THEN
		PERFORM 1 FROM defectd.defects d WHERE d.id = defect_id FOR NO KEY UPDATE;
	END IF;
	INSERT INTO defectd.records (message_id, idx, kind, defect_ref, defect_id, outcome, matched_by, note, fields)
	VALUES (p_message, p_index, p_kind, p_defect_ref, defect_id, outcome, v_by,
		nullif(array_to_string(v_notes, '; '), ''), p_fields);
	-- personal data: older current rows of these fields lose the flag; a new value is
	-- current when no current row is left for its field and it is the last of its field in
	-- the record
	IF cardinality(p_pkeys) > 0 THEN
		IF NOT v_fresh THEN
			UPDATE defectd.personal_data o SET current = false
			WHERE o.defect_id = apply_record.defect_id AND o.current AND o.field = ANY (p_pkeys)
			  AND (o.message_id, o.record_index) <= (p_message, p_index);
		END IF;
		INSERT INTO defectd.personal_data (defect_id, field, value, message_id, record_index, current)
		SELECT apply_record.defect_id, u.f, u.v, p_message, p_index,
			u.n = max(u.n) OVER (PARTITION BY u.f) AND NOT EXISTS (
				SELECT 1 FROM defectd.personal_data o
				WHERE o.defect_id = apply_record.defect_id AND o.field = u.f AND o.current)
		FROM unnest(p_pkeys, p_pvals) WITH ORDINALITY AS u(f, v, n)
		ORDER BY u.n;
	END IF;
	IF p_kind = 'repair_report' THEN
		INSERT INTO defectd.repairs (defect_id, message_id, record_index, reported_on, repair_date,
			repair_action, replaced_part, cause, technician, part_return)
		SELECT apply_record.defect_id, m.id, p_index, coalesce(m.sent_day, m.received_at::date),
			defectd.to_date_or_null(p_fields->>'repair_date'), p_fields->>'repair_action',
			p_fields->>'replaced_part', p_fields->>'cause', p_fields->>'technician',
			CASE p_fields->>'part_return' WHEN 'true' THEN true WHEN 'false' THEN false END
		FROM defectd.messages m WHERE m.id = p_message;
	END IF;
	-- the part's way back: the kind decides, and so do the fields (a repair report that
	-- states the tracking number of the returned part is a shipment too); the note says
	-- when a late event did not move the part status (SPEC: never silently)
	v_ship := p_kind = 'shipment_notice' OR p_fields ?| ARRAY['tracking_no', 'shipped_date'];
	v_recv := p_kind = 'part_receipt' OR p_fields ?| ARRAY['received_date', 'analysis_result'];
	IF v_ship OR v_recv THEN
		INSERT INTO defectd.part_events (defect_id, message_id, record_index, kind, reported_on,
			shipped_date, carrier, tracking_no, destination, received_date, analysis_result, note)
		SELECT d.id, m.id, p_index, k.kind, coalesce(m.sent_day, m.received_at::date),
			defectd.to_date_or_null(p_fields->>'shipped_date'), p_fields->>'carrier',
			p_fields->>'tracking_no', p_fields->>'destination',
			defectd.to_date_or_null(p_fields->>'received_date'), p_fields->>'analysis_result',
			CASE WHEN k.kind = 'shipment' AND d.part_status IN ('received', 'analyzed')
				THEN 'late shipment notice: the part was already ' || d.part_status || '; status kept'
			WHEN k.kind = 'receipt' AND p_fields->>'analysis_result' IS NULL AND d.part_status = 'analyzed'
				THEN 'late receipt: the part was already analyzed; status kept' END
		FROM defectd.defects d, defectd.messages m,
			(VALUES (1, 'shipment', v_ship), (2, 'receipt', v_recv)) AS k(n, kind, wanted)
		WHERE d.id = apply_record.defect_id AND m.id = p_message AND k.wanted
		ORDER BY k.n;
	END IF;
	PERFORM defectd.recompute(defect_id, p_required);
END
$$;

-- A fetched message: its row (none when it was stored before: a duplicate), then each record
-- (p_records: [{"kind", "defect_ref", "fields": {…}, "personal": [[key, value], …]}, …]) or,
-- with a parse error (p_status 'quarantined'), an unparsable entry; then its mailbox item and
-- the mailbox's last UID.  The answer: {"message", "mailbox", "duplicate", "opened",
-- "applied", "uncorrelated", "refs": [the defects it changed, each once]}.
CREATE OR REPLACE FUNCTION defectd.ingest_message(p_message_id text, p_raw bytea, p_from text,
	p_subject text, p_date text, p_in_reply_to text, p_references text[], p_thread text[],
	p_mailbox text, p_source_key text, p_uid bigint, p_status text, p_reason text,
	p_warnings text[], p_parse_json jsonb, p_records jsonb, p_required text[])
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_hash bytea := sha256(p_raw);
	v_identity text;
	v_message bigint;
	v_mailbox integer;
	v_dup boolean := false;
	v_rec record;
	v_res record;
	v_refs text[] := '{}';
	v_opened integer := 0;
	v_applied integer := 0;
	v_uncorrelated integer := 0;
BEGIN
	-- the identity: Message-ID, else the content hash; an absurdly long Message-ID is hashed
	-- so that it fits the unique index
	v_identity := CASE WHEN p_message_id IS NULL OR p_message_id = '' THEN 'sha256:' || encode(v_hash, 'hex')
		WHEN octet_length(p_message_id) > 512
			THEN 'message-id-sha256:' || encode(sha256(convert_to(p_message_id, 'UTF8')), 'hex')
		ELSE p_message_id END;
	IF p_mailbox IS NOT NULL THEN
		SELECT b.id INTO v_mailbox FROM defectd.mailboxes b WHERE b.name = p_mailbox;
		IF NOT FOUND THEN
			INSERT INTO defectd.mailboxes (name) VALUES (p_mailbox) ON CONFLICT (name) DO NOTHING;
			SELECT b.id INTO v_mailbox FROM defectd.mailboxes b WHERE b.name = p_mailbox;
		END IF;
	END IF;
	INSERT INTO defectd.messages (identity, message_id, sha256, raw, size, from_addr, subject,
		sent_at, sent_day, in_reply_to, reference_ids, mailbox_id, source_key, status, reason,
		warnings, parse_json)
	VALUES (v_identity, p_message_id, v_hash, p_raw, octet_length(p_raw), p_from, p_subject,
		defectd.to_timestamptz_or_null(p_date), defectd.to_date_or_null(substr(p_date, 1, 10)),
		p_in_reply_to, coalesce(p_references, '{}'), v_mailbox,
		CASE WHEN v_mailbox IS NOT NULL THEN p_source_key END, p_status, p_reason,
		coalesce(p_warnings, '{}'), p_parse_json)
	ON CONFLICT (identity) DO NOTHING RETURNING id INTO v_message;
	IF v_message IS NULL THEN
		-- stored before (this statement sees rows committed since the transaction began)
		SELECT m.id INTO v_message FROM defectd.messages m WHERE m.identity = v_identity;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'message stored concurrently; retry' USING ERRCODE = '40001';
		END IF;
		v_dup := true;
	ELSIF p_status = 'quarantined' THEN
		INSERT INTO defectd.quarantine (message_id, mailbox_id, source_key, reason_kind, reason)
		VALUES (v_message, v_mailbox, CASE WHEN v_mailbox IS NOT NULL THEN p_source_key END,
			'unparsable', coalesce(nullif(p_reason, ''), 'unparsable'));
	ELSE
		FOR v_rec IN SELECT r.value AS rec, r.n - 1 AS idx
			     FROM jsonb_array_elements(coalesce(p_records, '[]')) WITH ORDINALITY AS r(value, n)
		LOOP
			SELECT a.defect_id, a.ref, a.outcome INTO v_res
			FROM defectd.apply_record(v_message, v_mailbox, p_source_key, p_thread, v_rec.idx::integer,
				v_rec.rec->>'kind', v_rec.rec->>'defect_ref', coalesce(v_rec.rec->'fields', '{}'),
				ARRAY(SELECT p->>0 FROM jsonb_array_elements(v_rec.rec->'personal') AS p),
				ARRAY(SELECT p->>1 FROM jsonb_array_elements(v_rec.rec->'personal') AS p),
				p_required) AS a;
			IF v_res.outcome = 'opened' THEN
				v_opened := v_opened + 1;
			ELSIF v_res.outcome = 'uncorrelated' THEN
				v_uncorrelated := v_uncorrelated + 1;
			ELSE
				v_applied := v_applied + 1;
			END IF;
			IF v_res.ref IS NOT NULL AND NOT v_res.ref = ANY (v_refs) THEN
				v_refs := v_refs || v_res.ref;
			END IF;
		END LOOP;
	END IF;
	IF v_mailbox IS NOT NULL THEN
		IF p_uid > 0 THEN
			UPDATE defectd.mailboxes SET last_uid = GREATEST(last_uid, p_uid) WHERE id = v_mailbox;
		END IF;
		INSERT INTO defectd.mailbox_items AS i (mailbox_id, source_key, uid, attempts, state,
			message_id, last_attempt_at, done_at)
		VALUES (v_mailbox, p_source_key, p_uid, 1,
			CASE WHEN NOT v_dup AND p_status = 'quarantined' THEN 'quarantined' ELSE 'done' END,
			v_message, now(), now())
		ON CONFLICT (mailbox_id, source_key) DO UPDATE SET state = EXCLUDED.state,
			message_id = coalesce(EXCLUDED.message_id, i.message_id), uid = EXCLUDED.uid, done_at = now();
	END IF;
	RETURN jsonb_build_object('message', v_message, 'mailbox', v_mailbox, 'duplicate', v_dup,
		'opened', v_opened, 'applied', v_applied, 'uncorrelated', v_uncorrelated, 'refs', to_jsonb(v_refs));
END
$$;

GRANT EXECUTE ON FUNCTION defectd.recompute(bigint, text[]),
	defectd.apply_record(bigint, integer, text, text[], integer, text, text, jsonb, text[], text[],
		text[], bigint, bigint[], bigint),
	defectd.ingest_message(text, bytea, text, text, text, text, text[], text[], text, text, bigint,
		text, text, text[], jsonb, jsonb, text[])
	TO defectd_daemon;
