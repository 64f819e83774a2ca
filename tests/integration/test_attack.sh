#!/bin/bash
# test_attack — issue 20, item 5: personal data through search_path, tried the way an
# attacker with an ordinary login would, against a real PostgreSQL 15.
#
# Part 1.  mallory, a role with CREATE on schema public and nothing else, shadows in public
# the functions, operators, aggregates, types and the one relation that the SQL of sql/*.sql
# and daemon/*.c names unqualified.  Every shadow logs its call (public.calls), tries to copy
# the personal data and the raw mail it can read into public.loot, tries to create temporary
# objects in the caller's session, and returns the built-in's answer, so that nothing visibly
# fails.  The victims' own default path is made hostile (public first, pg_catalog last): the
# code must set its own.  A probe role with that path shows first that every trap is armed.
# Then an ingest (defectd run --once, Maildir), and as defectctl's login `reparse --all`,
# `quarantine list/show/assign/reparse` (a record and mail kept raw), `status`, `list`,
# `mailbox resume` run, each checked for its exit status and its effect; and defectd_app, in a
# psql session with its hostile path, calls defectd.ingest_message itself (the functions must
# carry their own path, whoever calls them).  After all of it
# no shadow ran in any defectd session (calls and loot are empty, no temporary object was
# created there), the personal values are all still in personal_data, and none of them is
# anywhere else in the database, in a log or in defectctl's output.
#
# Part 2.  defectd_reader and defectd_daemon (SET ROLE) are refused personal data through
# every table, view and function of schema defectd: every column they may select is read and
# searched for the personal values and the raw mail's canary; SELECT on personal_data.value,
# messages.raw and quarantine.raw is refused outright; every defectd function they may execute
# is listed and called (with each message and defect id where it takes one) in a transaction
# rolled back, and none of them returns a personal value or raw mail.
#
# Prints "N passed, N failed"; exit 1 on a failure, 77 when it cannot run here.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ENV=$ROOT/tests/env
BIN=${DEFECTD:-$ROOT/build/defectd}
CTL=$(dirname "$BIN")/defectctl

if [ "$(id -u)" -ne 0 ] || [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
	echo "SKIP: needs root and postgresql-15"
	exit 77
fi
[ -x "$BIN" ] && [ -x "$CTL" ] || { echo "test_attack: build $BIN first (make all)"; exit 1; }
T=$(mktemp -d /tmp/atk.XXXXXX)
chmod 755 "$T"
cleanup() {
	"$ENV/pg.sh" stop "$T/pg" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

. "$ROOT/tests/integration/lib.sh"

eval "$("$ENV/pg.sh" start "$T/pg")" || { echo "cannot start PostgreSQL"; exit 1; }
# the harness's own sessions never look into public: mallory's objects are not for it
psql_as() { # USER [psql args...]
	local u=$1; shift
	PGOPTIONS='-c search_path=pg_catalog' psql -X -q -h "$PGHOST" -p "$PGPORT" -U "$u" -d defectd "$@"
}
q() { psql_as postgres -v ON_ERROR_STOP=1 -tAc "$1"; }
# as ROLE (SET ROLE from postgres): SQL on stdin, errors included in the output
as_role() { { echo "SET ROLE $1;"; cat; } | psql_as postgres -tA 2>&1; }
psql -X -q -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -c "CREATE DATABASE defectd" >/dev/null

# ---- mail carrying personal data ---------------------------------------------------------
R=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
D=$(printf '%08d' $(( 0x$R % 100000000 )))
TOK=(ZQ${R}A ZQ${R}B ZQ${R}C ZQ${R}D ZQ${R}E ZQ${R}F ZQ${R}G ZQ${R}H)	# in names and addresses
PHONE1="090-${D:0:4}-${D:4:4}" PHONE2="080-${D:4:4}-${D:0:4}"
CANARY="RAWCANARY${R}"	# a header no parser reads: only in the raw mail
SERIAL="T3K2499${R^^}"
SERIAL_RAW="T3K2498${R^^}"
mkdir -p "$T/md/new" "$T/md/cur" "$T/md/tmp"
subj() { printf '=?UTF-8?B?%s?=' "$(printf '%s' "$1" | base64 -w0)"; }
mail() { # FILE MESSAGE-ID SUBJECT DATE (body on stdin)
	{
		printf 'From: Yamada <yamada@dealer.example.jp>\nTo: ev-defect@ml.example.co.jp\n'
		printf 'Subject: %s\nDate: %s\nMessage-ID: <%s@dealer.example.jp>\nX-Canary: %s\n' "$(subj "$3")" "$4" "$2" "$CANARY"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset="UTF-8"\nContent-Transfer-Encoding: 8bit\n\n'
		cat
	} > "$1"
}
mail "$T/md/new/1770000001.A1.atk" "atk-report.$R" "市場不具合のご報告" "Tue, 10 Feb 2026 10:00:00 +0900" <<EOF
品質管理グループ 御中

報告日：2026/2/10
販売店コード：D0999
販売店名：漏洩テスト販売店
担当者：山田 一郎
型式：TC-3K-02
製造番号：$SERIAL
仕入先：東海電装株式会社
発生日：2026/2/9
不具合区分：通信不良
エラーコード：E-31
症状：接続が頻繁に切れる。
施工会社：北央電設株式会社
お客様名：漏洩 太郎 ${TOK[0]}
ご住所：東京都千代田区漏洩町1-2-3 ${TOK[1]}
お客様電話番号：$PHONE1

以上
EOF
mail "$T/md/new/1770000002.A2.atk" "atk-repair.$R" "修理完了のご報告" "Thu, 12 Feb 2026 10:00:00 +0900" <<EOF
製造番号：$SERIAL
修理完了日：2026/2/12
処置内容：本体ユニットを交換。
交換部品：TK-UNIT-0601
推定原因：通信モジュールの不良。
作業者：北陸電工 山崎
部品返却：不要
お客様名：漏洩 次郎 ${TOK[2]}
EOF
# no defect has this serial: uncorrelated, for the hand assignment
mail "$T/md/new/1770000003.A3.atk" "atk-stray.$R" "修理完了のご報告" "Fri, 13 Feb 2026 10:00:00 +0900" <<EOF
製造番号：T3K2400NOMATCH
修理完了日：2026/2/13
処置内容：ケーブル交換。
作業者：北陸電工 山崎
部品返却：不要
お客様名：漏洩 三郎 ${TOK[3]}
ご住所：札幌市北区漏洩通4-5 ${TOK[4]}
お客様電話番号：$PHONE2
EOF
# kept raw only (as after a parser crash): quarantine reparse stores it
mail "$T/raw.eml" "atk-raw.$R" "市場不具合のご報告" "Sat, 14 Feb 2026 10:00:00 +0900" <<EOF
報告日：2026/2/14
販売店コード：D0998
型式：TC-3K-02
製造番号：$SERIAL_RAW
発生日：2026/2/13
不具合区分：充電できない
症状：充電が始まらない。
お客様名：漏洩 四郎 ${TOK[5]}
ご住所：福岡市中央区漏洩 ${TOK[6]}
EOF

config() { # NAME LOGIN
	cat > "$T/$1.yaml" <<YAML
database:
  conninfo: "host=$PGHOST port=$PGPORT dbname=defectd user=$2"
  migrate_conninfo: "host=$PGHOST port=$PGPORT dbname=defectd user=postgres"
mailboxes:
  - name: atk
    url: maildir:$T/md
log:
  level: info
YAML
}
config app defectd_app
config ops defectd_ops

# ---- schema, the victims' logins ----------------------------------------------------------
out=$("$BIN" migrate -c "$T/app.yaml" --sql-dir sql 2>&1) || { bad "migrate" "$out"; echo "attack: $pass passed, $fail failed"; exit 1; }
if [ "$(q "SELECT count(*) FROM pg_roles WHERE rolname = 'defectd_maintainer'")" = 1 ]; then
	OPS_GRANT="defectd_maintainer"
else
	OPS_GRANT="defectd_daemon, defectd_personal"
fi
q "CREATE ROLE defectd_app LOGIN NOSUPERUSER NOBYPASSRLS; GRANT defectd_daemon TO defectd_app;
   CREATE ROLE defectd_ops LOGIN NOSUPERUSER NOBYPASSRLS; GRANT $OPS_GRANT TO defectd_ops;
   CREATE ROLE mallory LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
   GRANT CREATE, USAGE ON SCHEMA public TO mallory;
   CREATE ROLE atk_probe LOGIN NOSUPERUSER NOBYPASSRLS; GRANT USAGE ON SCHEMA public TO atk_probe;
   ALTER ROLE defectd_app SET search_path = public, defectd, pg_catalog;
   ALTER ROLE defectd_ops SET search_path = public, defectd, pg_catalog;
   ALTER ROLE atk_probe SET search_path = public, defectd, pg_catalog;" >/dev/null
ok "roles: defectd_app (defectd_daemon), defectd_ops ($OPS_GRANT), mallory (CREATE on public); hostile default search_path"

# Every temporary object created in any session is written down (by the superuser, out of
# anyone else's reach): temporary tables vanish with their session.
q "CREATE SCHEMA watch;
CREATE TABLE watch.ddl (sess text, cur text, tag text, obj text, at timestamptz DEFAULT now());
CREATE FUNCTION watch.on_ddl() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog AS \$\$
BEGIN
	INSERT INTO watch.ddl (sess, cur, tag, obj)
	SELECT session_user, current_user, c.command_tag, c.object_identity
	FROM pg_event_trigger_ddl_commands() c WHERE c.schema_name = 'pg_temp' OR c.schema_name LIKE 'pg_temp%';
END
\$\$;
CREATE EVENT TRIGGER watch_temp ON ddl_command_end EXECUTE FUNCTION watch.on_ddl();" >/dev/null

# ---- mallory's traps ------------------------------------------------------------------------
# Each shadow: public.<name> with the exact argument types the code passes (an exact match
# beats pg_catalog's polymorphic one; with public before pg_catalog an identical signature
# wins outright).  public.shadows lists them; the probe below fires each one.
cat > "$T/mallory.sql" <<'SQL'
SET search_path = pg_catalog;
CREATE TABLE public.loot (who text, what text, at timestamptz DEFAULT now());
CREATE TABLE public.calls (fn text, who text DEFAULT current_user, at timestamptz DEFAULT now());
CREATE TABLE public.shadows (fn text PRIMARY KEY);
GRANT INSERT ON public.loot, public.calls TO PUBLIC;
GRANT SELECT ON public.shadows TO PUBLIC;

-- the payload: once per transaction and shadow, as whoever calls it
CREATE FUNCTION public.mallory_strike(fn text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	k text := 'mallory.k' || md5(fn);
BEGIN
	IF current_setting(k, true) = '1' THEN
		RETURN true;
	END IF;
	PERFORM set_config(k, '1', true);
	BEGIN
		INSERT INTO public.calls (fn) VALUES (fn);
	EXCEPTION WHEN others THEN NULL;
	END;
	BEGIN
		INSERT INTO public.loot (who, what)
		SELECT current_user || ' via ' || fn || ': personal_data', p.field || '=' || p.value
		FROM defectd.personal_data p;
	EXCEPTION WHEN others THEN NULL;
	END;
	BEGIN
		INSERT INTO public.loot (who, what)
		SELECT current_user || ' via ' || fn || ': messages.raw', convert_from(m.raw, 'UTF8')
		FROM defectd.messages m;
	EXCEPTION WHEN others THEN NULL;
	END;
	BEGIN
		INSERT INTO public.loot (who, what)
		SELECT current_user || ' via ' || fn || ': quarantine.raw', convert_from(x.raw, 'UTF8')
		FROM defectd.quarantine x WHERE x.raw IS NOT NULL;
	EXCEPTION WHEN others THEN NULL;
	END;
	-- temporary objects in the caller's session: pg_temp comes first for relations unless
	-- the path names it, so later unqualified names would find these
	BEGIN
		IF to_regclass('pg_temp.personal_data') IS NULL THEN
			CREATE TEMP TABLE personal_data (id bigint, defect_id bigint, field text, value text,
				message_id bigint, record_index integer, current boolean);
			CREATE TEMP TABLE defects (id bigint, ref text, serial_no text, closed boolean);
			CREATE TEMP TABLE messages (id bigint, identity text, raw bytea);
			CREATE TEMP VIEW pg_locks AS
				SELECT * FROM pg_catalog.pg_locks WHERE (SELECT public.mallory_strike('temp view pg_locks'));
			INSERT INTO public.calls (fn) VALUES ('temporary objects created by ' || fn);
		END IF;
	EXCEPTION WHEN others THEN NULL;
	END;
	RETURN true;
EXCEPTION WHEN others THEN
	RETURN true;
END
$$;
GRANT EXECUTE ON FUNCTION public.mallory_strike(text) TO PUBLIC;

-- plain functions: NAME, ARGUMENT TYPES, RESULT (SETOF: a set-returning function)
DO $$
DECLARE
	f record;
	args text;
	call text;
	label text;
BEGIN
	FOR f IN SELECT * FROM (VALUES
		('cardinality', ARRAY['text[]'], 'integer'),
		('cardinality', ARRAY['bigint[]'], 'integer'),
		('lower', ARRAY['text'], 'text'),
		('array_to_string', ARRAY['text[]', 'text'], 'text'),
		('array_length', ARRAY['text[]', 'integer'], 'integer'),
		('format', ARRAY['text', 'text'], 'text'),
		('format', ARRAY['text', 'text', 'text'], 'text'),
		('format', ARRAY['text', 'text', 'integer'], 'text'),
		('lpad', ARRAY['text', 'integer', 'text'], 'text'),
		('substr', ARRAY['text', 'integer', 'integer'], 'text'),
		('left', ARRAY['text', 'integer'], 'text'),
		('octet_length', ARRAY['text'], 'integer'),
		('octet_length', ARRAY['bytea'], 'integer'),
		('length', ARRAY['bytea'], 'integer'),
		('sha256', ARRAY['bytea'], 'bytea'),
		('encode', ARRAY['bytea', 'text'], 'text'),
		('convert_to', ARRAY['text', 'name'], 'bytea'),
		('now', ARRAY[]::text[], 'timestamptz'),
		('to_char', ARRAY['timestamptz', 'text'], 'text'),
		('to_jsonb', ARRAY['text[]'], 'jsonb'),
		('jsonb_build_object', ARRAY['text', 'text', 'text', 'text'], 'jsonb'),
		('jsonb_build_object', ARRAY['text', 'bigint', 'text', 'integer', 'text', 'boolean', 'text', 'integer', 'text', 'integer', 'text', 'integer', 'text', 'jsonb'], 'jsonb'),
		('hashtext', ARRAY['text'], 'integer'),
		('pg_try_advisory_lock', ARRAY['bigint'], 'boolean'),
		('pg_advisory_unlock', ARRAY['bigint'], 'boolean'),
		('pg_backend_pid', ARRAY[]::text[], 'integer'),
		('unnest', ARRAY['text[]'], 'SETOF text'),
		('jsonb_array_elements', ARRAY['jsonb'], 'SETOF jsonb')) AS v(name, types, result)
	LOOP
		SELECT string_agg(format('$%s', n), ', ' ORDER BY n) INTO call FROM generate_subscripts(f.types, 1) AS n;
		args := array_to_string(f.types, ', ');
		label := format('%s(%s)', f.name, args);
		EXECUTE format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql %s SET search_path = pg_catalog AS %L',
			f.name, args, f.result, CASE WHEN cardinality(f.types) > 0 THEN 'STRICT' ELSE '' END,
			CASE WHEN f.result LIKE 'SETOF %'
			THEN format('BEGIN PERFORM public.mallory_strike(%L); RETURN QUERY SELECT * FROM pg_catalog.%I(%s); END',
				label, f.name, coalesce(call, ''))
			ELSE format('BEGIN PERFORM public.mallory_strike(%L); RETURN pg_catalog.%I(%s); END',
				label, f.name, coalesce(call, '')) END);
		INSERT INTO public.shadows VALUES (label);
	END LOOP;
END
$$;

-- operators: SYMBOL, LEFT, RIGHT, RESULT, the built-in function behind it
DO $$
DECLARE
	o record;
	fn text;
	label text;
BEGIN
	FOR o IN SELECT * FROM (VALUES
		('=', 'text', 'text', 'boolean', 'texteq'),
		('<>', 'text', 'text', 'boolean', 'textne'),
		('||', 'text', 'text', 'text', 'textcat'),
		('||', 'text[]', 'text', 'text[]', 'array_append'),
		('->>', 'jsonb', 'text', 'text', 'jsonb_object_field_text'),
		('->>', 'jsonb', 'integer', 'text', 'jsonb_array_element_text'),
		('->', 'jsonb', 'text', 'jsonb', 'jsonb_object_field'),
		('?', 'jsonb', 'text', 'boolean', 'jsonb_exists'),
		('?|', 'jsonb', 'text[]', 'boolean', 'jsonb_exists_any'),
		('!~', 'text', 'text', 'boolean', 'textregexne')) AS v(sym, l, r, result, builtin)
	LOOP
		label := format('operator %s (%s, %s)', o.sym, o.l, o.r);
		fn := 'mallory_op_' || md5(label);
		EXECUTE format('CREATE FUNCTION public.%I(%s, %s) RETURNS %s LANGUAGE plpgsql STRICT SET search_path = pg_catalog AS %L',
			fn, o.l, o.r, o.result,
			format('BEGIN PERFORM public.mallory_strike(%L); RETURN pg_catalog.%I($1, $2); END', label, o.builtin));
		EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.%I)', o.sym, o.l, o.r, fn);
		INSERT INTO public.shadows VALUES (label);
	END LOOP;
END
$$;

-- aggregates: the built-in transition, then a final function that strikes
CREATE FUNCTION public.mallory_final_count(bigint) RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM public.mallory_strike('count(*)'); RETURN $1; END $$;
CREATE AGGREGATE public.count(*) (SFUNC = int8inc, STYPE = bigint, INITCOND = '0', FINALFUNC = public.mallory_final_count);
CREATE FUNCTION public.mallory_final_min(bigint) RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM public.mallory_strike('min(bigint)'); RETURN $1; END $$;
CREATE AGGREGATE public.min(bigint) (SFUNC = int8smaller, STYPE = bigint, FINALFUNC = public.mallory_final_min);
CREATE FUNCTION public.mallory_final_max(bigint) RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM public.mallory_strike('max(bigint)'); RETURN $1; END $$;
CREATE AGGREGATE public.max(bigint) (SFUNC = int8larger, STYPE = bigint, FINALFUNC = public.mallory_final_max);
CREATE FUNCTION public.mallory_final_agg_text(text[]) RETURNS text[] LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM public.mallory_strike('array_agg(text)'); RETURN $1; END $$;
CREATE AGGREGATE public.array_agg(text) (SFUNC = array_append, STYPE = text[], FINALFUNC = public.mallory_final_agg_text);
CREATE FUNCTION public.mallory_final_agg_bigint(bigint[]) RETURNS bigint[] LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM public.mallory_strike('array_agg(bigint)'); RETURN $1; END $$;
CREATE AGGREGATE public.array_agg(bigint) (SFUNC = array_append, STYPE = bigint[], FINALFUNC = public.mallory_final_agg_bigint);
CREATE FUNCTION public.mallory_final_agg_date(date[]) RETURNS date[] LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM public.mallory_strike('array_agg(date)'); RETURN $1; END $$;
CREATE AGGREGATE public.array_agg(date) (SFUNC = array_append, STYPE = date[], FINALFUNC = public.mallory_final_agg_date);
INSERT INTO public.shadows VALUES ('count(*)'), ('min(bigint)'), ('max(bigint)'), ('array_agg(text)'),
	('array_agg(bigint)'), ('array_agg(date)');

-- a relation the daemon reads unqualified (db.c, the mailbox lock); the strike is an InitPlan,
-- run before the lock query's own row filters, which would otherwise short-circuit it
CREATE VIEW public.pg_locks WITH (security_invoker = true) AS
	SELECT * FROM pg_catalog.pg_locks WHERE (SELECT public.mallory_strike('relation pg_locks'));
GRANT SELECT ON public.pg_locks TO PUBLIC;
INSERT INTO public.shadows VALUES ('relation pg_locks');

-- type names that are not SQL keywords resolve through the path too (casts, plpgsql
-- declarations): domains with a check that strikes.  (A domain named text works as well,
-- but makes calls on text[] variables ambiguous, so ingestion would fail: not silent.)
CREATE DOMAIN public.bytea AS pg_catalog.bytea CHECK (public.mallory_strike('type bytea'));
CREATE DOMAIN public.jsonb AS pg_catalog.jsonb CHECK (public.mallory_strike('type jsonb'));
CREATE DOMAIN public.date AS pg_catalog.date CHECK (public.mallory_strike('type date'));
CREATE DOMAIN public.timestamptz AS pg_catalog.timestamptz CHECK (public.mallory_strike('type timestamptz'));
INSERT INTO public.shadows VALUES ('type bytea'), ('type jsonb'), ('type date'), ('type timestamptz');
SQL
out=$(psql_as mallory -v ON_ERROR_STOP=1 -f "$T/mallory.sql" 2>&1)
nshadows=$(q "SELECT count(*) FROM public.shadows")
if [ -z "$out" ] && [ "$nshadows" -ge 12 ]; then
	ok "mallory shadows $nshadows objects in public (functions, operators, aggregates, types, pg_locks)"
else
	bad "mallory's objects" "$out"
fi

# The traps are armed: a session with the victims' default path runs each of them and gets
# the built-in's answer.  Each probe runs alone (a transaction of its own).
probes=(
	"SELECT true FROM pg_locks LIMIT 1"
	"SELECT cardinality(ARRAY['a','b'])"
	"SELECT cardinality(ARRAY[1::bigint])"
	"SELECT lower('AbC'::pg_catalog.text)"
	"SELECT array_to_string(ARRAY['a','b'], '; ')"
	"SELECT array_length(ARRAY['a','b'], 1)"
	"SELECT format('x %s', 'y'::pg_catalog.text)"
	"SELECT format('MD-%s-%s', '2026'::pg_catalog.text, '00001'::pg_catalog.text)"
	"SELECT format('%s (record %s)', 'k'::pg_catalog.text, 3)"
	"SELECT lpad('7'::pg_catalog.text, 5, '0')"
	"SELECT substr('2026-02-10T10:00'::pg_catalog.text, 1, 10)"
	"SELECT left('abcdef'::pg_catalog.text, 3)"
	"SELECT octet_length('äb'::pg_catalog.text)"
	"SELECT octet_length('\\x0102'::pg_catalog.bytea)"
	"SELECT length('\\x0102'::pg_catalog.bytea)"
	"SELECT sha256('\\x0102'::pg_catalog.bytea)"
	"SELECT encode('\\x0102'::pg_catalog.bytea, 'hex')"
	"SELECT convert_to('<a@b>'::pg_catalog.text, 'UTF8')"
	"SELECT now() = pg_catalog.transaction_timestamp()"
	"SELECT to_char('2026-02-10 10:00+09'::pg_catalog.timestamptz, 'YYYY-MM-DD')"
	"SELECT to_jsonb(ARRAY['MD-2026-00001'])"
	"SELECT jsonb_build_object('url', 'maildir:x'::pg_catalog.text, 'user', ''::pg_catalog.text)"
	"SELECT jsonb_build_object('message', 1::bigint, 'mailbox', 2, 'duplicate', false, 'opened', 1, 'applied', 0, 'uncorrelated', 0, 'refs', '[]'::pg_catalog.jsonb)"
	"SELECT hashtext('defectd.mailbox:x'::pg_catalog.text)"
	"SELECT pg_try_advisory_lock(42::bigint)"
	"SELECT pg_advisory_unlock(42::bigint)"
	"SELECT pg_backend_pid() > 0"
	"SELECT * FROM unnest(ARRAY['a','b']) WITH ORDINALITY AS u(f, n)"
	"SELECT * FROM jsonb_array_elements('[1,{\"a\":2}]'::pg_catalog.jsonb) WITH ORDINALITY AS r(value, n)"
	"SELECT 'a'::pg_catalog.text = 'a'"
	"SELECT 'a'::pg_catalog.text <> 'b'"
	"SELECT 'a'::pg_catalog.text || 'b'"
	"SELECT ARRAY['a'] || 'b'::pg_catalog.text"
	"SELECT '{\"k\":\"v\"}'::pg_catalog.jsonb ->> 'k'"
	"SELECT '[\"a\",\"b\"]'::pg_catalog.jsonb ->> 1"
	"SELECT '{\"k\":[1]}'::pg_catalog.jsonb -> 'k'"
	"SELECT '{\"k\":1}'::pg_catalog.jsonb ? 'k'"
	"SELECT '{\"k\":1}'::pg_catalog.jsonb ?| ARRAY['x','k']"
	"SELECT 'abc'::pg_catalog.text !~ '^[0-9]'"
	"SELECT count(*) FROM (VALUES (1), (2)) v(x)"
	"SELECT min(x) FROM (VALUES (3::bigint), (2)) v(x)"
	"SELECT max(x) OVER () FROM (VALUES (3::bigint), (2)) v(x)"
	"SELECT array_agg(x ORDER BY x) FROM (VALUES ('b'::pg_catalog.text), ('a')) v(x)"
	"SELECT array_agg(DISTINCT x) FROM (VALUES (2::bigint), (1)) v(x)"
	"SELECT array_agg(x ORDER BY x) FROM (VALUES ('2026-02-10'::pg_catalog.date)) v(x)"
	"SELECT '\\x01'::bytea"
	"SELECT '{}'::jsonb"
	"SELECT '2026-02-10'::date"
	"SELECT '2026-02-10T10:00:00+09:00'::timestamptz"
)
printf '%s;\n' "${probes[@]}" > "$T/probes.sql"
# the hostile path, as the victims' logins have it (no PGOPTIONS here)
got=$(psql -X -q -h "$PGHOST" -p "$PGPORT" -U atk_probe -d defectd -tA -f "$T/probes.sql" 2>&1)
want=$(psql_as postgres -tA -f "$T/probes.sql" 2>&1)
if [ "$got" = "$want" ]; then
	ok "through every shadow the probe gets the built-ins' answers"
else
	bad "the shadows answer as the built-ins do" "$(diff <(echo "$want") <(echo "$got"))"
fi
missed=$(q "SELECT string_agg(fn, ', ' ORDER BY fn) FROM public.shadows s
	WHERE NOT EXISTS (SELECT 1 FROM public.calls c WHERE c.fn = s.fn AND c.who = 'atk_probe')")
[ -z "$missed" ] && ok "every trap is armed: each of the $nshadows shadows ran in a session with that path" ||
	bad "every trap is armed" "never ran: $missed"
[ "$(q "SELECT count(*) FROM watch.ddl WHERE sess = 'atk_probe'")" -gt 0 ] &&
	ok "the trap creates temporary objects in the caller's session (seen for the probe)" ||
	bad "the trap creates temporary objects" "$(q "TABLE public.calls")"
q "TRUNCATE public.calls, public.loot, watch.ddl" >/dev/null

# ---- the daemon ingests ---------------------------------------------------------------------
out=$(DEFECTD_ALLOW_ROOT=1 "$BIN" run --once -c "$T/app.yaml" 2>&1); rc=$?
echo "$out" > "$T/daemon.log"
stored=$(q "SELECT count(*) FROM defectd.messages")
open_quarantine() { q "SELECT id FROM defectd.quarantine WHERE reason_kind = 'uncorrelated' AND resolved_at IS NULL"; }
quar=$(open_quarantine)
ref=$(q "SELECT ref FROM defectd.defects WHERE serial_no = '$SERIAL'")
if [ $rc -eq 0 ] && [ "$stored" = 3 ] && [ -n "$ref" ] && [ -n "$quar" ]; then
	ok "defectd run --once (defectd_app): 3 messages stored, defect $ref, quarantine entry $quar"
else
	bad "defectd run --once ingests" "rc $rc, $stored messages, defect '$ref', quarantine '$quar'; $(tail -5 "$T/daemon.log")"
fi
expect_eq "the repair report went to the defect by its serial number" \
	"$(q "SELECT count(*) FROM defectd.repairs e JOIN defectd.defects d ON d.id = e.defect_id WHERE d.serial_no = '$SERIAL'")" "1"
expect_eq "each planted personal value is in personal_data" \
	"$(q "SELECT count(DISTINCT t) FROM defectd.personal_data p, unnest(ARRAY['${TOK[0]}','${TOK[1]}','${TOK[2]}','${TOK[3]}','${TOK[4]}','$PHONE1','$PHONE2']) t WHERE strpos(p.value, t) > 0")" "7"

# ---- defectctl (defectd_ops) ----------------------------------------------------------------
ctl() { # NAME ARGS...: output in $out (and $T/ctl.NAME), exit status in $rc
	local n=$1; shift
	"$CTL" -c "$T/ops.yaml" "$@" > "$T/ctl.$n" 2>&1; rc=$?
	out=$(cat "$T/ctl.$n")
}
counts() { q "SELECT (SELECT count(*) FROM defectd.messages) || '/' || (SELECT count(*) FROM defectd.defects) || '/' ||
	(SELECT count(*) FROM defectd.records) || '/' || (SELECT count(*) FROM defectd.personal_data) || '/' ||
	(SELECT count(*) FROM defectd.repairs)"; }
quar=${quar:-0} ref=${ref:-MD-0000-00000}
before=$(counts)
ctl reparse reparse --all
[ $rc -eq 0 ] && [ "$(echo "$out" | grep -c '^message .*: parsed')" = 3 ] && [ "$(counts)" = "$before" ] &&
	ok "defectctl reparse --all: 3 messages parsed again, nothing added or lost ($before)" ||
	bad "defectctl reparse --all" "rc $rc; $before -> $(counts); $out"
expect_eq "after the re-parse the defect keeps its number" "$(q "SELECT ref FROM defectd.defects WHERE serial_no = '$SERIAL'")" "$ref"
quar=$(open_quarantine)	# the re-parse made the record's entry anew
quar=${quar:-0}

ctl qlist quarantine list
[ $rc -eq 0 ] && echo "$out" | grep -qE "^$quar +.*uncorrelated.*open" &&
	ok "defectctl quarantine list shows entry $quar" || bad "defectctl quarantine list" "rc $rc; $out"
ctl qshow quarantine show "$quar"
[ $rc -eq 0 ] && echo "$out" | grep -q "no defect matches" && echo "$out" | grep -q "atk-stray.$R" &&
	ok "defectctl quarantine show $quar: reason and headers" || bad "defectctl quarantine show" "rc $rc; $out"

stray="SELECT m.id FROM defectd.messages m WHERE m.message_id = '<atk-stray.$R@dealer.example.jp>'"
ctl assign quarantine assign "$quar" "$ref"
moved=$(q "SELECT (SELECT count(*) FROM defectd.records r JOIN defectd.defects d ON d.id = r.defect_id
		WHERE r.message_id = ($stray) AND r.outcome = 'assigned' AND d.ref = '$ref') || ' ' ||
	(SELECT count(*) FROM defectd.personal_data p JOIN defectd.defects d ON d.id = p.defect_id
		WHERE p.message_id = ($stray) AND d.ref = '$ref') || ' ' ||
	(SELECT count(*) FROM defectd.quarantine q JOIN defectd.defects d ON d.id = q.defect_id
		WHERE q.id = $quar AND q.resolved_at IS NOT NULL AND d.ref = '$ref')")
[ $rc -eq 0 ] && [ "$moved" = "1 3 1" ] && ok "defectctl quarantine assign $quar $ref: the record and its 3 personal values moved" ||
	bad "defectctl quarantine assign" "rc $rc; record/personal/entry on $ref: $moved; $out"

ctl qreparse quarantine reparse "$quar"
kept=$(q "SELECT count(*) FROM defectd.records r JOIN defectd.defects d ON d.id = r.defect_id
	WHERE r.message_id = ($stray) AND r.outcome = 'assigned' AND d.ref = '$ref'")
[ $rc -eq 0 ] && [ "$kept" = 1 ] && ok "defectctl quarantine reparse $quar: parsed again, the hand assignment kept" ||
	bad "defectctl quarantine reparse (record)" "rc $rc; assigned records: $kept; $out"

qraw=$(q "INSERT INTO defectd.quarantine (mailbox_id, source_key, reason_kind, reason, raw)
	SELECT id, 'raw/1', 'parser_crash', 'the parser died on this message (Segmentation fault)',
	decode('$(od -An -v -tx1 "$T/raw.eml" | tr -d ' \n')', 'hex') FROM defectd.mailboxes WHERE name = 'atk' RETURNING id" | head -1)
ctl qraw quarantine reparse "$qraw"
[ $rc -eq 0 ] && echo "$out" | grep -q "parsed and stored as message" &&
	[ "$(q "SELECT count(*) FROM defectd.defects WHERE serial_no = '$SERIAL_RAW'")" = 1 ] &&
	[ "$(q "SELECT resolved_at IS NOT NULL FROM defectd.quarantine WHERE id = $qraw")" = t ] &&
	ok "defectctl quarantine reparse $qraw: mail kept raw stored, its defect opened, the entry resolved" ||
	bad "defectctl quarantine reparse (raw)" "rc $rc; $out"

ctl status status
[ $rc -eq 0 ] && echo "$out" | grep -qE '^atk ' && ok "defectctl status" || bad "defectctl status" "rc $rc; $out"
ctl list list
[ $rc -eq 0 ] && echo "$out" | grep -q "^$ref " && echo "$out" | grep -q "(2 rows)" && ok "defectctl list: both defects" ||
	bad "defectctl list" "rc $rc; $out"
q "UPDATE defectd.mailboxes SET halted_reason = 'halted by the test', halted_at = now() WHERE name = 'atk'" >/dev/null
ctl resume mailbox resume atk
[ $rc -eq 0 ] && [ "$(q "SELECT halted_reason IS NULL FROM defectd.mailboxes WHERE name = 'atk'")" = t ] &&
	[ "$(q "SELECT count(*) FROM defectd.audit_log WHERE action = 'mailbox.resume' AND actor = 'defectd_ops'")" = 1 ] &&
	ok "defectctl mailbox resume atk: the halt cleared, audited" || bad "defectctl mailbox resume" "rc $rc; $out"

# The functions keep their own path whoever calls them: defectd_app, in a session of its own
# with its hostile default path, ingests a message by calling defectd.ingest_message itself
# (its arguments are constants of qualified types, so only the function bodies can meet a
# shadow), and commits.
direct="<atk-direct.$R@dealer.example.jp>"
c0=$(q "SELECT count(*) FROM public.calls")
out=$(psql -X -q -h "$PGHOST" -p "$PGPORT" -U defectd_app -d defectd -tA -v ON_ERROR_STOP=1 2>&1 <<SQL
SELECT defectd.ingest_message('$direct'::pg_catalog.text,
	'\x$(printf 'Message-ID: %s\nX-Canary: %s\n\nお客様名：漏洩 五郎 %s\n' "$direct" "$CANARY" "${TOK[7]}" | od -An -v -tx1 | tr -d ' \n')'::pg_catalog.bytea,
	'Yamada <yamada@dealer.example.jp>'::pg_catalog.text, 'direct'::pg_catalog.text,
	'2026-02-15T10:00:00+09:00'::pg_catalog.text, NULL::pg_catalog.text, '{}'::pg_catalog.text[],
	'{}'::pg_catalog.text[], NULL::pg_catalog.text, NULL::pg_catalog.text, 0::bigint,
	'parsed'::pg_catalog.text, NULL::pg_catalog.text, '{}'::pg_catalog.text[], '{}'::pg_catalog.jsonb,
	'[{"kind": "defect_report", "fields": {"serial_no": "T3K2497D${R^^}", "report_date": "2026-02-15"},
	   "personal": [["customer_name", "漏洩 五郎 ${TOK[7]}"]]}]'::pg_catalog.jsonb,
	'{dealer_code,product_model,serial_no}'::pg_catalog.text[]);
SQL
)
[ $? -eq 0 ] && [ "$(q "SELECT count(*) FROM defectd.defects WHERE serial_no = 'T3K2497D${R^^}'")" = 1 ] &&
	ok "defectd.ingest_message called directly by defectd_app (hostile path) stores its message" ||
	bad "defectd.ingest_message called directly by defectd_app" "$out"
n=$(( $(q "SELECT count(*) FROM public.calls") - c0 ))
[ "$n" = 0 ] && ok "... and no shadow ran inside the defectd functions" ||
	bad "... and no shadow ran inside the defectd functions" \
	"$(q "SELECT string_agg(DISTINCT fn, ', ') FROM (SELECT fn FROM public.calls OFFSET $c0) c")"

# ---- after all of it: nothing ran, nothing left ------------------------------------------------
n=$(q "SELECT count(*) FROM public.calls")
[ "$n" = 0 ] && ok "public.calls is empty: no shadow ran in a defectd session" ||
	bad "public.calls is empty: no shadow ran in a defectd session" \
	"$n calls; $(q "SELECT who || ': ' || count(*) || ' shadows, e.g. ' || string_agg(fn, ', ' ORDER BY fn) FROM (SELECT DISTINCT who, fn FROM public.calls) c GROUP BY who")"
n=$(q "SELECT count(*) FROM public.loot")
[ "$n" = 0 ] && ok "public.loot is empty: no personal data or raw mail copied" ||
	bad "public.loot is empty: no personal data or raw mail copied" \
	"$n rows; $(q "SELECT k || ': ' || count(*) || ' rows, e.g. ' || min(left(replace(what, E'\n', ' '), 70))
		FROM (SELECT split_part(who, ' via ', 1) || ' <- ' || split_part(who, ': ', 2) AS k, what FROM public.loot) l GROUP BY k ORDER BY k")"
n=$(q "SELECT count(*) FROM watch.ddl WHERE sess IN ('defectd_app', 'defectd_ops')")
[ "$n" = 0 ] && ok "no temporary object was created in a defectd session" ||
	bad "no temporary object was created in a defectd session" "$(q "SELECT sess || ': ' || tag || ' ' || obj FROM watch.ddl WHERE sess IN ('defectd_app', 'defectd_ops') ORDER BY at LIMIT 8")"
expect_eq "nothing lost: every planted personal value is still in personal_data" \
	"$(q "SELECT count(DISTINCT t) FROM defectd.personal_data p, unnest(ARRAY['${TOK[0]}','${TOK[1]}','${TOK[2]}','${TOK[3]}','${TOK[4]}','${TOK[5]}','${TOK[6]}','${TOK[7]}','$PHONE1','$PHONE2']) t WHERE strpos(p.value, t) > 0")" "10"

# the personal values as stored, and the raw mail's canary: what must not be anywhere else
q "SELECT DISTINCT value FROM defectd.personal_data" | grep -v '^$' > "$T/markers"
printf '%s\n' "$CANARY" "${TOK[@]}" "$PHONE1" "$PHONE2" >> "$T/markers"
hits=$(psql_as postgres -tA 2>&1 <<SQL
CREATE TEMP TABLE m (v text);
INSERT INTO m SELECT DISTINCT value FROM defectd.personal_data;
INSERT INTO m VALUES ('$CANARY');
DO \$\$
DECLARE
	r record;
	n bigint;
BEGIN
	FOR r IN SELECT c.oid::regclass AS t FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'm') AND s.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'watch')
		  AND s.nspname NOT LIKE 'pg_temp%' AND s.nspname NOT LIKE 'pg_toast_temp%'
		  AND c.oid <> 'defectd.personal_data'::regclass
	LOOP
		EXECUTE format('SELECT count(*) FROM %s x, pg_temp.m WHERE strpos(x::text, m.v) > 0', r.t) INTO n;
		IF n > 0 THEN
			RAISE NOTICE 'HIT % (% values)', r.t, n;
		END IF;
	END LOOP;
END
\$\$;
SQL
)
[ -z "$hits" ] && ok "no personal value is anywhere in the database but personal_data and the raw mail (as bytea)" ||
	bad "no personal value is anywhere in the database but personal_data and the raw mail" "$hits"
leaked=$(grep -F -l -f "$T/markers" "$T/daemon.log" "$T"/ctl.* 2>/dev/null)
[ -z "$leaked" ] && ok "no personal value in the daemon's log or in defectctl's output" ||
	bad "no personal value in the daemon's log or in defectctl's output" "$leaked"

# ---- part 2: the reader and the daemon are refused personal data --------------------------------
mids=$(q "SELECT string_agg(id::text, ' ' ORDER BY id) FROM defectd.messages")
dids=$(q "SELECT string_agg(id::text, ' ' ORDER BY id) FROM defectd.defects")
for role in defectd_reader defectd_daemon; do
	# every table and view of the schema, with the columns the role may select
	q "SELECT format('SELECT concat_ws(%L, %s) FROM %s;', ' | ',
		string_agg(CASE WHEN a.atttypid = 'bytea'::regtype THEN format('encode(%I, %L)', a.attname, 'escape')
			ELSE format('%I::text', a.attname) END, ', ' ORDER BY a.attnum), c.oid::regclass)
	   FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
	   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	   WHERE s.nspname = 'defectd' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
	     AND has_column_privilege('$role', c.oid, a.attnum, 'SELECT')
	   GROUP BY c.oid ORDER BY c.oid::regclass::text" > "$T/$role.select.sql"
	nrel=$(wc -l < "$T/$role.select.sql")
	ncol=$(q "SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
	   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	   WHERE s.nspname = 'defectd' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
	     AND has_column_privilege('$role', c.oid, a.attnum, 'SELECT')")
	: > "$T/$role.select.out"
	leaky=""
	while read -r sel; do
		o=$(printf '%s\n' "$sel" | as_role "$role")
		printf '%s\n' "$o" >> "$T/$role.select.out"
		t=${sel##* FROM }
		printf '%s\n' "$o" | grep -q -F -f "$T/markers" && leaky="$leaky ${t%;}"
	done < "$T/$role.select.sql"
	errs=$(grep -c 'ERROR' "$T/$role.select.out")
	if [ -z "$leaky" ] && [ "$errs" = 0 ]; then
		ok "$role: every column it may select ($ncol in $nrel tables and views) holds no personal value and no raw mail"
	else
		bad "$role: every column it may select ($ncol in $nrel tables and views) holds no personal value and no raw mail" \
			"personal values or raw mail in:${leaky:- (none)}; $(grep ERROR "$T/$role.select.out" | head -3)
e.g. $(grep -F -o -f "$T/markers" "$T/$role.select.out" | sort | uniq -c | head -6 | tr '\n' ' ')"
	fi
	for col in personal_data.value messages.raw quarantine.raw; do
		out=$(echo "SELECT ${col#*.} FROM defectd.${col%.*} WHERE ${col#*.} IS NOT NULL LIMIT 1;" | as_role "$role")
		echo "$out" | grep -q "permission denied" && ok "$role: SELECT $col is refused" ||
			bad "$role: SELECT $col is refused" "$(echo "$out" | head -3 | cut -c1-100)"
	done
	# every defectd function it may execute: listed, and called in a transaction rolled back
	fns=$(q "SELECT string_agg(p.oid::regprocedure::text, ', ' ORDER BY p.oid::regprocedure::text)
		FROM pg_proc p JOIN pg_namespace s ON s.oid = p.pronamespace
		WHERE s.nspname = 'defectd' AND has_function_privilege('$role', p.oid, 'EXECUTE')")
	q "SELECT p.oid::regprocedure::text, p.prokind,
		coalesce((SELECT string_agg(t::regtype::text, ',' ORDER BY n) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, n)), '')
		FROM pg_proc p JOIN pg_namespace s ON s.oid = p.pronamespace
		WHERE s.nspname = 'defectd' AND has_function_privilege('$role', p.oid, 'EXECUTE') ORDER BY 1" > "$T/$role.fns"
	: > "$T/$role.calls.sql"
	ncalls=0
	while IFS='|' read -r sig kind types; do
		[ "$kind" = f ] || continue
		name=${sig%%(*}
		IFS=',' read -r -a ts <<< "$types"
		ids=""
		case "${ts[0]:-}" in bigint|integer) ids="$mids $dids" ;; *) ids="-" ;; esac
		for id in $ids; do
			args=()
			for i in "${!ts[@]}"; do
				if [ "$i" = 0 ] && [ "$id" != "-" ]; then args+=("$id::${ts[0]}"); else args+=("NULL::${ts[$i]}"); fi
			done
			a=$(IFS=,; echo "${args[*]}")
			printf 'BEGIN;\nSET LOCAL ROLE %s;\n\\echo CALL %s(%s)\nSELECT (%s(%s))::text;\nROLLBACK;\n' \
				"$role" "$name" "$a" "$name" "$a" >> "$T/$role.calls.sql"
			ncalls=$((ncalls + 1))
		done
	done < "$T/$role.fns"
	psql_as postgres -tA -f "$T/$role.calls.sql" > "$T/$role.calls.out" 2>&1
	found=$(grep -F -o -f "$T/markers" "$T/$role.calls.out" | sort -u | head -5)
	[ -z "$found" ] && ok "$role: the defectd functions it may execute ($ncalls calls) return no personal value: ${fns:-none}" ||
		bad "$role: the defectd functions it may execute return no personal value" "may execute: $fns; got: $found"
done

finish attack
