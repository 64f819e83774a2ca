#!/usr/bin/env bash
# make run: a private PostgreSQL under ./var/, the schema, the bundled sample Maildir
# ingested once, and the defect list.  Running it again changes nothing.
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
mkdir -p var
chmod 755 var
# the postgres user must reach ./var/pg: make the path searchable if it is not
d=$top
while [ "$d" != "/" ]; do
	[ -x "$d" ] || true
	if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$d" 2>/dev/null; then chmod o+x "$d"; fi
	d=$(dirname "$d")
done
eval "$(tests/env/pg.sh start "$top/var/pg")"
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U postgres "$@"; }
psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'defectd'" | grep -q 1 ||
	psql_admin -d postgres -c "CREATE DATABASE defectd"

cat > var/defectd.yaml <<YAML
# written by make run: a private database and the bundled sample mailbox
database:
  conninfo: "host=$PGHOST port=$PGPORT dbname=defectd user=defectd_app"
  migrate_conninfo: "host=$PGHOST port=$PGPORT dbname=defectd user=postgres"
  ctl_conninfo: "host=$PGHOST port=$PGPORT dbname=defectd user=defectd_ops"
mailboxes:
  - name: sample
    url: maildir:$top/tests/fixtures/sample-maildir
log:
  level: warning
YAML

echo "== defectd migrate"
build/defectd migrate -c var/defectd.yaml --sql-dir sql
# the daemon's login: an ordinary role that owns nothing, member of defectd_daemon
psql_admin -d defectd -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'defectd_app') THEN
    CREATE ROLE defectd_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
  -- defectctl's login (ctl_conninfo): re-parsing and assigning read raw mail and personal
  -- data, which the daemon's login cannot
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'defectd_ops') THEN
    CREATE ROLE defectd_ops LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF; END \$\$; GRANT defectd_daemon TO defectd_app; GRANT defectd_maintainer TO defectd_ops;"

echo "== defectd run --once (sample Maildir: $(ls tests/fixtures/sample-maildir/new | wc -l) messages)"
# the demo runs as root for convenience; under systemd defectd refuses root
DEFECTD_ALLOW_ROOT=1 build/defectd run --once -c var/defectd.yaml
echo
echo "== defectctl status"
build/defectctl -c var/defectd.yaml status
echo
echo "== defectctl list"
build/defectctl -c var/defectd.yaml list
echo
echo "== defectctl quarantine list"
build/defectctl -c var/defectd.yaml quarantine list
echo
echo "PostgreSQL keeps running under ./var/pg (stop: tests/env/pg.sh stop var/pg)."
