#!/bin/bash
# Upgrading a database that holds data: migrations that move data (006: the field history
# from a table to a view over the records) against a throwaway PostgreSQL 15.  A database is
# built with the files before the one under test, filled by hand the way the daemon of that
# version filled it, then `defectd migrate` runs the rest.
#
#   tests/integration/test_upgrade.sh        from the repository root (after make)
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-build/defectd}
[ -x "$BIN" ] || { echo "test_upgrade: build $BIN first"; exit 1; }
T=$(mktemp -d /tmp/dupgrade.XXXXXX)
chmod 755 "$T"
cleanup() {
	tests/env/pg.sh stop "$T/pg" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
eval "$(tests/env/pg.sh start "$T/pg")" || exit 77
export PGHOST PGPORT PGUSER

pass=0 fail=0
check() { # NAME GOT WANT
	if [ "$2" = "$3" ]; then
		pass=$((pass + 1)); echo "ok - $1"
	else
		fail=$((fail + 1)); printf 'FAIL - %s\n  got:  %s\n  want: %s\n' "$1" "$2" "$3"
	fi
}
q() { psql -X -q -tA -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
conf() { # DB
	cat > "$T/$1.yaml" <<YAML
database:
  conninfo: "host=$PGHOST port=$PGPORT dbname=$1 user=postgres"
mailboxes:
  - {name: m, url: "maildir:$T/maildir"}
YAML
}
mkdir -p "$T/maildir/cur" "$T/maildir/new" "$T/maildir/tmp" "$T/sql005"
cp sql/00[1-5]_*.sql "$T/sql005/"

# a database at 005 with one defect: two messages, three records (two on the defect, one
# uncorrelated), each applied field in field_values as the daemon of 005 wrote it
fill() { # DB
	DB=$1
	psql -X -q -d postgres -c "CREATE DATABASE $DB"
	conf "$DB"
	"$BIN" migrate -c "$T/$DB.yaml" --sql-dir "$T/sql005" >/dev/null || return 1
	q "
INSERT INTO defectd.messages (id, identity, sha256, raw, size, status) VALUES
 (1, '<a@x>', '\\x00', 'a', 1, 'parsed'), (2, '<b@x>', '\\x00', 'b', 1, 'parsed');
INSERT INTO defectd.defects (id, ref, opened_by) VALUES (7, 'MD-2026-00001', 1);
INSERT INTO defectd.records (message_id, idx, kind, defect_id, outcome, matched_by, fields) VALUES
 (1, 0, 'defect_report', 7, 'opened', 'new', '{\"product_model\": \"EVC-3K\", \"serial_no\": \"S1\"}'),
 (2, 0, 'repair_report', 7, 'applied', 'serial_no', '{\"product_model\": \"EVC-3K-B\", \"cause\": \"relay\"}'),
 (2, 1, 'part_receipt', NULL, 'uncorrelated', NULL, '{\"serial_no\": \"S9\"}');
INSERT INTO defectd.field_values (defect_id, field, value, message_id, record_index, current) VALUES
 (7, 'product_model', 'EVC-3K', 1, 0, false), (7, 'serial_no', 'S1', 1, 0, true),
 (7, 'product_model', 'EVC-3K-B', 2, 0, true), (7, 'cause', 'relay', 2, 0, true);" >/dev/null
}
history="SELECT string_agg(field || '=' || value || ':' || current || '@' || message_id || '/' || record_index,
	' ' ORDER BY field, message_id, record_index) FROM defectd.field_values"

fill up
before=$(q "$history")
"$BIN" migrate -c "$T/up.yaml" --sql-dir sql >"$T/up.out" 2>&1
rc=$?
check "006 migrates a database whose field_values match its records ($(tr '\n' ' ' <"$T/up.out"))" $rc 0
check "the history reads the same from the records" "$(q "$history")" "$before"
check "field_values is now a view" "$(q "SELECT relkind FROM pg_class WHERE oid = 'defectd.field_values'::regclass")" v
check "the uncorrelated record is not in the history" \
	"$(q "SELECT count(*) FROM defectd.field_values WHERE value = 'S9'")" 0
check "readers can read the history, not only the owner" \
	"$(q "SET ROLE defectd_reader; SELECT count(*) FROM defectd.field_values")" 4
check "merging the records in order gives the current values" \
	"$(q "SELECT defectd.jsonb_merge(fields ORDER BY message_id, idx) FROM defectd.records WHERE defect_id = 7")" \
	'{"cause": "relay", "serial_no": "S1", "product_model": "EVC-3K-B"}'
# 007: the checks are domains now, and still refuse what they refused
refused() { # SQL -> the domain named in the error, or "accepted"
	psql -X -q -tA -d up -c "$1" 2>&1 |
		sed -n 's/.*value for domain defectd\.\([a-z_]*\) violates check constraint.*/\1/p;s/^INSERT.*/accepted/p;s/^UPDATE.*/accepted/p' | head -1
}
check "a record's outcome outside its list is refused" \
	"$(refused "INSERT INTO defectd.records (message_id, idx, kind, outcome) VALUES (1, 5, 'x', 'bogus')")" record_outcome
check "a part status outside its list is refused" \
	"$(refused "UPDATE defectd.defects SET part_status = 'lost' WHERE id = 7")" part_status
check "a defect number of another shape is refused" \
	"$(refused "INSERT INTO defectd.defects (ref) VALUES ('MD-26-1')")" defect_ref
check "a number past 99999 is refused" \
	"$(refused "INSERT INTO defectd.defect_numbers (year, last) VALUES (2026, 100000)")" defect_serial
check "the lists are there again for readers" \
	"$(q "SET ROLE defectd_reader; SELECT (SELECT count(*) FROM defectd.defect_list) || '/' || (SELECT count(*) FROM defectd.message_list)")" 1/2
check "a second migrate applies nothing" "$("$BIN" migrate -c "$T/up.yaml" --sql-dir sql 2>&1 | grep -c '^applied')" 0

# a value the records do not have: the migration stops, and nothing of it is applied
fill bad
DB=bad q "INSERT INTO defectd.field_values (defect_id, field, value, message_id, record_index)
	VALUES (7, 'symptom', 'only here', 2, 0)" >/dev/null
out=$("$BIN" migrate -c "$T/bad.yaml" --sql-dir sql 2>&1)
rc=$?
check "006 refuses when field_values holds a value its record does not (exit $rc)" \
	"$([ $rc -ne 0 ] && printf '%s' "$out" | grep -c 'field_values rows are not in their records')" 1
check "and leaves the table and its rows as they were" \
	"$(DB=bad q "SELECT relkind::text || ' ' || (SELECT count(*) FROM defectd.field_values) FROM pg_class WHERE oid = 'defectd.field_values'::regclass")" "r 5"
check "and records no 006" "$(DB=bad q "SELECT count(*) FROM defectd.schema_migrations WHERE version >= 6")" 0

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
