#!/bin/bash
# test_security — the database's walls (SPEC §9) on a real PostgreSQL 15, populated by a real
# ingest (the golden mails and the sample Maildir: personal data, raw mail, quarantine):
#  * every cell of README's table of roles (security_matrix.py tries each operation as each role);
#  * every function of the schema has search_path = pg_catalog, defectd, pg_temp (and the
#    check finds one that has not), migrations from 009 on write it in their CREATE;
#  * no function is executable by PUBLIC; each role may execute exactly its functions;
#  * row-level security is on and forced, and hides the rows from a role granted a table by
#    mistake;
#  * defectd migrate revokes CREATE on public from PUBLIC; defectctl status warns about roles
#    that may create objects in pg_catalog, defectd or public;
#  * defectctl with the daemon's login cannot re-parse (it reads raw mail) and says which
#    login can.
# Prints "N passed, N failed"; exit 1 on a failure, 77 when it cannot run here.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
BIN=${DEFECTD:-$ROOT/build/defectd}

if [ "$(id -u)" -ne 0 ] || [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
	echo "SKIP: needs root and postgresql-15"
	exit 77
fi
T=$(mktemp -d /tmp/dsec.XXXXXX)
chmod 755 "$T"
cleanup() {
	"$ROOT/tests/env/pg.sh" stop "$T/pg" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

. "$ROOT/tests/integration/lib.sh"

eval "$("$ROOT/tests/env/pg.sh" start "$T/pg")" || { echo "cannot start PostgreSQL"; exit 1; }
export PGHOST PGPORT PGDATABASE=defectd
q() { psql -X -q -U postgres -tAc "$1"; }
psql -X -q -U postgres -d postgres -c "CREATE DATABASE defectd" >/dev/null

mkdir -p "$T/mail/new" "$T/mail/cur" "$T/mail/tmp"
cp tests/corpus/cases/*.eml tests/fixtures/sample-maildir/new/* "$T/mail/new/"
cat > "$T/defectd.yaml" <<YAML
database:
  conninfo: "host=$PGHOST port=$PGPORT dbname=defectd user=defectd_app"
  migrate_conninfo: "host=$PGHOST port=$PGPORT dbname=defectd user=postgres"
  ctl_conninfo: "host=$PGHOST port=$PGPORT dbname=defectd user=defectd_ops"
mailboxes:
  - name: sec
    url: maildir:$T/mail
log:
  level: warning
YAML
grep -v ctl_conninfo "$T/defectd.yaml" > "$T/daemon-login.yaml"

# ---- migrate: the old default of PostgreSQL 14 and older is taken away ----------------------
q "GRANT CREATE ON SCHEMA public TO PUBLIC"
out=$("$BIN" migrate -c "$T/defectd.yaml" --sql-dir sql 2>&1)
echo "$out" | grep -q "revoked CREATE on schema public from PUBLIC" && ok "migrate revokes CREATE on public from PUBLIC" ||
	bad "migrate revokes CREATE on public from PUBLIC" "$out"
expect_eq "PUBLIC can no longer create in public" \
	"$(q "SELECT count(*) FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE'")" 0
q "CREATE ROLE defectd_app LOGIN; GRANT defectd_daemon TO defectd_app;
   CREATE ROLE defectd_ops LOGIN; GRANT defectd_maintainer TO defectd_ops;"

# ---- a populated database -----------------------------------------------------------------
DEFECTD_ALLOW_ROOT=1 "$BIN" run --once -c "$T/defectd.yaml" >"$T/run.log" 2>&1 || bad "ingest" "$(cat "$T/run.log")"
q "INSERT INTO defectd.audit_log (action, object) VALUES ('test.seed', 'security')"
expect_eq "the database holds personal data, raw mail, quarantine entries and defects" \
	"$(q "SELECT (SELECT count(*) > 0 FROM defectd.personal_data) AND (SELECT count(*) > 0 FROM defectd.quarantine)
	      AND (SELECT count(*) > 5 FROM defectd.defects) AND (SELECT count(*) > 0 FROM defectd.repairs)
	      AND (SELECT count(*) > 0 FROM defectd.part_events)")" t

# ---- every cell of README's table of roles --------------------------------------------------
/usr/bin/python3 tests/integration/security_matrix.py README.md > "$T/matrix.log" 2>&1
cat "$T/matrix.log" | grep -v '^matrix:'
mp=$(sed -n 's/^matrix: \([0-9]*\) passed.*/\1/p' "$T/matrix.log")
mf=$(sed -n 's/^matrix: [0-9]* passed, \([0-9]*\) failed.*/\1/p' "$T/matrix.log")
pass=$((pass + ${mp:-0})) fail=$((fail + ${mf:-1}))

# ---- a fixed search_path on every function ----------------------------------------------------
WITHOUT_PATH="SELECT string_agg(p.oid::regprocedure::text, ', ' ORDER BY 1) FROM pg_proc p
	JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'defectd' AND p.prokind IN ('f', 'p', 'w')
	AND NOT coalesce('search_path=pg_catalog, defectd, pg_temp' = ANY (p.proconfig), false)"
expect_eq "every function of the schema runs with search_path = pg_catalog, defectd, pg_temp" "$(q "$WITHOUT_PATH")" ""
q "CREATE FUNCTION defectd.unsafe_probe() RETURNS int LANGUAGE sql AS 'SELECT 1'"
expect_eq "the check finds a function without it" "$(q "$WITHOUT_PATH")" "defectd.unsafe_probe()"
q "DROP FUNCTION defectd.unsafe_probe()"
# new migrations say it in their CREATE (the ones before 009 are fixed by ALTER in 009)
missing=$(/usr/bin/python3 - sql <<'PY'
import os, re, sys
for f in sorted(os.listdir(sys.argv[1])):
    m = re.match(r"(\d+)_.*\.sql$", f)
    if not m or int(m.group(1)) < 9:
        continue
    text = open(os.path.join(sys.argv[1], f), encoding="utf-8").read()
    for c in re.finditer(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s+([\w.]+)(.*?)\bAS\s+\$", text, re.S | re.I):
        if not re.search(r"SET\s+search_path\s*=\s*pg_catalog,\s*defectd,\s*pg_temp\b", c.group(2), re.I):
            print(f"{f}: {c.group(1)}")
PY
)
expect_eq "every CREATE FUNCTION in sql/009 and later carries SET search_path" "$missing" ""

# ---- EXECUTE only where needed ----------------------------------------------------------------
expect_eq "no function of the schema is executable by PUBLIC" \
	"$(q "SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	      WHERE n.nspname = 'defectd' AND (p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0))")" ""
EXEC="SELECT r.rolname || ': ' || coalesce(string_agg(p.proname, ' ' ORDER BY p.proname), '')
	FROM pg_roles r LEFT JOIN (pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname = 'defectd')
	  ON has_function_privilege(r.oid, p.oid, 'EXECUTE')
	WHERE r.rolname IN ('defectd_daemon', 'defectd_maintainer', 'defectd_reader', 'defectd_personal')
	GROUP BY r.rolname ORDER BY r.rolname"
expect_eq "each role may execute exactly the functions it calls" "$(q "$EXEC" | tr '\n' ';')" \
"defectd_daemon: apply_record ingest_message jsonb_merge recompute to_date_or_null to_timestamptz_or_null;defectd_maintainer: apply_record ingest_message jsonb_merge recompute to_date_or_null to_timestamptz_or_null;defectd_personal: ;defectd_reader: ;"

# ---- row-level security, the second wall -------------------------------------------------------
expect_eq "row-level security is enabled and forced on every table with defect or personal data" \
	"$(q "SELECT string_agg(relname || '=' || (relrowsecurity AND relforcerowsecurity), ' ' ORDER BY relname) FROM pg_class
	      WHERE relnamespace = 'defectd'::regnamespace AND relname IN ('messages', 'defects', 'records', 'personal_data',
	      'repairs', 'part_events', 'quarantine')")" \
	"defects=true messages=true part_events=true personal_data=true quarantine=true records=true repairs=true"
q "GRANT SELECT ON defectd.personal_data TO defectd_reader; CREATE ROLE stranger; GRANT USAGE ON SCHEMA defectd TO stranger;
   GRANT SELECT ON defectd.defects, defectd.messages TO stranger"
expect_eq "a reader granted personal_data by mistake still sees none of its rows" \
	"$(q "SET ROLE defectd_reader; SELECT count(*) FROM defectd.personal_data")" 0
expect_eq "a role granted defects and messages by mistake sees none of their rows" \
	"$(q "SET ROLE stranger; SELECT (SELECT count(*) FROM defectd.defects) + (SELECT count(*) FROM defectd.messages)")" 0
q "REVOKE SELECT ON defectd.personal_data FROM defectd_reader; REVOKE ALL ON defectd.defects, defectd.messages FROM stranger;
   REVOKE USAGE ON SCHEMA defectd FROM stranger; DROP ROLE stranger"

# ---- defectctl: status warns, the daemon's login cannot re-parse --------------------------------
out=$("$ROOT/build/defectctl" -c "$T/defectd.yaml" status 2>&1)
echo "$out" | grep -q "^warning: schema" && bad "status has no schema warning on a clean database" "$out" ||
	ok "status has no schema warning on a clean database"
q "GRANT CREATE ON SCHEMA public TO PUBLIC; CREATE ROLE mallory; GRANT CREATE ON SCHEMA defectd TO mallory"
out=$("$ROOT/build/defectctl" -c "$T/defectd.yaml" status 2>&1)
echo "$out" | grep -q "^warning: schema defectd: mallory may create objects there" &&
	echo "$out" | grep -q "^warning: schema public: PUBLIC may create objects there" &&
	ok "status warns about roles that may create objects on the path" ||
	bad "status warns about roles that may create objects on the path" "$out"
q "REVOKE CREATE ON SCHEMA public FROM PUBLIC; REVOKE CREATE ON SCHEMA defectd FROM mallory; DROP ROLE mallory"
before=$(q "SELECT count(*) FROM defectd.records")
out=$("$ROOT/build/defectctl" -c "$T/daemon-login.yaml" reparse --all 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "permission denied" && echo "$out" | grep -q "ctl_conninfo" &&
	ok "defectctl reparse with the daemon's login is refused and names ctl_conninfo" ||
	bad "defectctl reparse with the daemon's login is refused and names ctl_conninfo" "rc=$rc $out"
out=$("$ROOT/build/defectctl" -c "$T/defectd.yaml" reparse --all 2>&1); rc=$?
expect_eq "defectctl reparse with the maintainer's login works and changes nothing" \
	"$rc $(q "SELECT count(*) FROM defectd.records")" "0 $before"

finish
