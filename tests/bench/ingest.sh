#!/usr/bin/env bash
# End-to-end ingestion benchmark: N generated messages from a local Dovecot into a
# private PostgreSQL by `defectd run --once`; prints messages per second and the
# daemon's peak RSS, for N and N/4 messages (memory must stay flat).
# BIN=path runs another build of defectd (to compare two versions).
set -eu
cd "$(dirname "$0")/../.."
ENV=tests/env
N=${BENCH_INGEST:-10000}
if [ "$(id -u)" -ne 0 ] || ! command -v dovecot >/dev/null; then
	echo "ingest: skipped (needs root and dovecot-imapd)"
	exit 0
fi
T=$(mktemp -d /tmp/bi.XXXXXX)
chmod 755 "$T"
trap '"$ENV/dovecot.sh" stop "$T/imap" >/dev/null 2>&1; "$ENV/pg.sh" stop "$T/pg" >/dev/null 2>&1; rm -rf "$T"' EXIT
eval "$("$ENV/pg.sh" start "$T/pg")" >/dev/null
eval "$("$ENV/dovecot.sh" start "$T/imap")" >/dev/null
psql -X -q -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -c "CREATE DATABASE defectd" >/dev/null
printf 'secret\n' > "$T/pw"; chmod 600 "$T/pw"
mails=build/bench/mails-$N
[ -d "$mails" ] || /usr/bin/python3 tests/bench/gen.py "$mails" "$N" --seed 1 >/dev/null
conf() { # USER
	cat > "$T/$1.yaml" <<YAML
database:
  conninfo: "host=$PGHOST port=$PGPORT dbname=defectd user=defectd_app"
  migrate_conninfo: "host=$PGHOST port=$PGPORT dbname=defectd user=postgres"
mailboxes:
  - {name: $1, url: "imap://127.0.0.1:$IMAP_PORT/INBOX", username: $1, password_file: $T/pw, allow_plaintext: true}
log: {level: warning}
YAML
}
conf small
build/defectd migrate -c "$T/small.yaml" --sql-dir sql >/dev/null
psql -X -q -h "$PGHOST" -p "$PGPORT" -U postgres -d defectd -c "CREATE ROLE defectd_app LOGIN; GRANT defectd_daemon TO defectd_app" >/dev/null
run() { # USER COUNT
	conf "$1"
	ls "$mails"/*.eml | head -n "$2" | xargs "$ENV/dovecot.sh" fill "$T/imap" "$1" >/dev/null
	/usr/bin/python3 - "$1" "$2" "$T/$1.yaml" <<'PY'
import os, sys, time
user, n, conf = sys.argv[1], int(sys.argv[2]), sys.argv[3]
env = dict(os.environ, DEFECTD_ALLOW_ROOT="1")
t0 = time.time()
pid = os.spawnve(os.P_NOWAIT, os.environ.get("BIN", "build/defectd"), ["defectd", "run", "--once", "-c", conf], env)
_, status, ru = os.wait4(pid, 0)
secs = time.time() - t0
print(f"ingest: {n} messages in {secs:.1f} s = {n / secs:,.0f} messages/s; daemon peak RSS {ru.ru_maxrss / 1024:.1f} MiB (exit {os.waitstatus_to_exitcode(status)})")
PY
}
run small $((N / 4))
run big "$N"
echo "ingest: messages stored: $(psql -X -h "$PGHOST" -p "$PGPORT" -U postgres -d defectd -tAc 'SELECT count(*) FROM defectd.messages'), defects: $(psql -X -h "$PGHOST" -p "$PGPORT" -U postgres -d defectd -tAc 'SELECT count(*) FROM defectd.defects')"
