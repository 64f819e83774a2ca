#!/bin/bash
# test_reconnect — reconnecting on time (issue 20, item 6): `defectd run` with
# daemon.backoff_max 3 s against a real PostgreSQL and a real Dovecot on loopback.
#  1. PostgreSQL killed in the middle of a batch (pg_ctl restart -m immediate);
#  2. PostgreSQL stopped for longer than the backoff needs to reach its cap (8 s and a
#     random part of backoff_max), new mail arriving meanwhile;
#  3. Dovecot stopped during ingestion for as long, new mail arriving meanwhile;
# each time ingestion must resume within backoff_max + 1 s of the server being back, and
# at the end every message is stored exactly once.  Also: allow_plaintext and
# insecure_skip_verify are warned about at start, on reload and in `defectctl status`.
#
# The times are measured on the servers' side, so a slow test shell cannot stretch or
# shrink them: "back" is PostgreSQL's own log line "ready to accept connections" (ms
# timestamps), or for Dovecot the first TCP connection a probe gets (a bash builtin in a
# loop, 20 ms apart); "resumed" is the earliest done_at (now() of the storing
# transaction) after that moment.  Both clocks are this machine's CLOCK_REALTIME.
# Prints "N passed, N failed"; exit 1 on a failure, 77 when it cannot run here.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ENV=$ROOT/tests/env
BIN=${DEFECTD:-$ROOT/build/defectd}
PGBIN=/usr/lib/postgresql/15/bin
BACKOFF_MAX=3	# daemon.backoff_max below, seconds
BOUND=$((BACKOFF_MAX + 1))

if [ "$(id -u)" -ne 0 ] || ! command -v dovecot >/dev/null || [ ! -x "$PGBIN/pg_ctl" ]; then
	echo "SKIP: needs root, dovecot-imapd and postgresql-15"
	exit 77
fi
T=$(mktemp -d /tmp/rc.XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	"$ENV/dovecot.sh" stop "$T/imap" >/dev/null 2>&1
	"$ENV/pg.sh" stop "$T/pg" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

. "$ROOT/tests/integration/lib.sh"

eval "$("$ENV/pg.sh" start "$T/pg")" || { echo "cannot start PostgreSQL"; exit 1; }
eval "$("$ENV/dovecot.sh" start "$T/imap" --tls)" || { echo "cannot start Dovecot"; exit 1; }
q() { psql -X -q -h "$PGHOST" -p "$PGPORT" -U postgres -d defectd -tAc "$1"; }
psql -X -q -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -c "CREATE DATABASE defectd" >/dev/null
printf 'secret\n' > "$T/pw"
chmod 600 "$T/pw"

# two mailboxes: "rc" carries the mail (plain imap://), "rctls" stays empty (imaps://
# without verifying the certificate); each name is also its Dovecot user
CONF=$T/rc.yaml
cat > "$CONF" <<YAML
database:
  conninfo: "host=$PGHOST port=$PGPORT dbname=defectd user=defectd_app"
  migrate_conninfo: "host=$PGHOST port=$PGPORT dbname=defectd user=postgres"
mailboxes:
  - name: rc
    url: imap://127.0.0.1:$IMAP_PORT/INBOX
    username: rc
    password_file: $T/pw
    allow_plaintext: true
    poll_interval: 1s
    batch: 100
  - name: rctls
    url: imaps://127.0.0.1:$IMAPS_PORT/INBOX
    username: rctls
    password_file: $T/pw
    insecure_skip_verify: true
    poll_interval: 1s
daemon:
  backoff_max: ${BACKOFF_MAX}s
log:
  level: info
YAML
LOG=$T/rc.log
out=$("$BIN" migrate -c "$CONF" --sql-dir sql 2>&1) || { echo "migrate failed: $out"; exit 1; }
q "CREATE ROLE defectd_app LOGIN NOSUPERUSER NOBYPASSRLS; GRANT defectd_daemon TO defectd_app;"

stored() { q "SELECT count(*) FROM defectd.mailbox_items i JOIN defectd.mailboxes m ON m.id = i.mailbox_id WHERE m.name = 'rc' AND i.state <> 'pending'" 2>/dev/null; }
wait_stored() { # COUNT SECONDS
	local n
	for _ in $(seq 1 $((${2:-60} * 10))); do
		n=$(stored) && [ -n "$n" ] && [ "$n" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_log() { # PATTERN SECONDS
	for _ in $(seq 1 $((${2:-10} * 10))); do
		grep -q -- "$1" "$LOG" && return 0
		sleep 0.1
	done
	return 1
}
# epoch seconds of PostgreSQL's last "ready to accept connections" (its log has ms stamps)
pg_ready_at() {
	local l
	l=$(grep 'database system is ready to accept connections' "$T/pg/log" | tail -1)
	date -d "$(echo "$l" | awk '{ print $1, $2, $3 }')" +%s.%N
}
# the earliest done_at after epoch $1, as epoch seconds; empty while there is none
first_done_after() {
	q "SELECT extract(epoch FROM min(i.done_at)) FROM defectd.mailbox_items i JOIN defectd.mailboxes m
	   ON m.id = i.mailbox_id WHERE m.name = 'rc' AND i.done_at > to_timestamp($1)" 2>/dev/null
}
# resumed NAME BACK: waits (0.1 s steps, up to 30 s) for a message stored after BACK, then
# asserts it came within BOUND seconds of BACK
RESUMES=()
resumed() {
	local name=$1 back=$2 first='' polled=''
	for _ in $(seq 1 300); do
		first=$(first_done_after "$back")
		if [ -n "$first" ]; then polled=$EPOCHREALTIME; break; fi
		sleep 0.1
	done
	if [ -z "$first" ]; then
		bad "$name: ingestion resumes" "nothing stored within 30 s of the server being back; $(tail -8 "$LOG")"
		return
	fi
	local d p
	d=$(awk -v a="$first" -v b="$back" 'BEGIN { printf "%.2f", a - b }')
	p=$(awk -v a="$polled" -v b="$back" 'BEGIN { printf "%.2f", a - b }')
	RESUMES+=("$name ${d}s")
	if awk -v d="$d" -v m="$BOUND" 'BEGIN { exit !(d <= m) }'; then
		ok "$name: ingestion resumed ${d}s after the server was back (<= ${BOUND}s; seen by polling at ${p}s)"
	else
		bad "$name: ingestion resumed ${d}s after the server was back (want <= ${BOUND}s)" "$(tail -12 "$LOG")"
	fi
}

# `dovecot.sh stop` stops Dovecot's master, but the imap processes it had handed sessions
# to go on serving them for up to half a minute (seen here: STATUS answered after the stop).
# A server that really goes away (systemctl stop kills the whole control group, a crash, a
# reboot) takes its sessions along: so do we, by the pids that hold our ports' connections.
cut_sessions() {
	local pids
	pids=$(ss -Htnp state established "( sport = :$IMAP_PORT or sport = :$IMAPS_PORT )" |
		grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)
	[ -z "$pids" ] || kill -9 $pids 2>/dev/null
	return 0
}

/usr/bin/python3 tests/bench/gen.py "$T/g1" 3000 --seed 21 >/dev/null
/usr/bin/python3 tests/bench/gen.py "$T/g2" 300 --seed 22 >/dev/null
/usr/bin/python3 tests/bench/gen.py "$T/g3" 3000 --seed 23 >/dev/null
/usr/bin/python3 tests/bench/gen.py "$T/g4" 300 --seed 24 >/dev/null
TOTAL=$((3000 + 300 + 3000 + 300))
"$ENV/dovecot.sh" fill "$T/imap" rc "$T"/g1/*.eml >/dev/null
"$ENV/dovecot.sh" fill "$T/imap" rctls tests/corpus/cases/101-*.eml >/dev/null
rm -f "$T/imap/mail/rctls/Maildir/new/"*	# an empty INBOX that exists

DEFECTD_ALLOW_ROOT=1 "$BIN" run -c "$CONF" >>"$LOG" 2>&1 &
DPID=$!
PIDS+=("$DPID")

# ---- the warnings ---------------------------------------------------------------------
wait_log "defectd started" 10
grep -q "mailbox rc: allow_plaintext: true" "$LOG" && ok "start: allow_plaintext warned, naming the mailbox" ||
	bad "start: allow_plaintext warned" "$(head -5 "$LOG")"
grep -q "mailbox rctls: insecure_skip_verify: true" "$LOG" && ok "start: insecure_skip_verify warned, naming the mailbox" ||
	bad "start: insecure_skip_verify warned" "$(head -5 "$LOG")"
st=$("$ROOT/build/defectctl" -c "$CONF" status 2>&1)
echo "$st" | grep -q "^warning: mailbox rc: allow_plaintext: true" && ok "status shows the allow_plaintext warning" ||
	bad "status shows allow_plaintext" "$st"
echo "$st" | grep -q "^warning: mailbox rctls: insecure_skip_verify: true" && ok "status shows the insecure_skip_verify warning" ||
	bad "status shows insecure_skip_verify" "$st"

# ---- 1. PostgreSQL killed in the middle of a batch ----------------------------------------
for _ in $(seq 1 600); do n=$(stored); [ "${n:-0}" -ge 300 ] && break; sleep 0.05; done
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/pg/data" -m immediate -w -t 60 -l "$T/pg/log" restart >/dev/null 2>&1 ||
	{ bad "pg_ctl restart -m immediate"; exit 1; }
mid=$(stored)
[ "$mid" -lt 3000 ] && ok "PostgreSQL killed mid-batch (${mid} of 3000 stored after the restart)" ||
	bad "PostgreSQL killed mid-batch" "all 3000 stored before the restart"
resumed "PostgreSQL restarted -m immediate mid-batch" "$(pg_ready_at)"
grep -q "database connection lost" "$LOG" && ok "the lost connection was noticed and logged" ||
	bad "the lost connection was noticed" "$(tail -5 "$LOG")"
wait_stored 3000 120 && ok "after the restart: all 3000 stored" || bad "after the restart: all 3000 stored" "$(stored) stored; $(tail -5 "$LOG")"

# ---- 2. PostgreSQL stopped for 8-11 s (the backoff reaches its cap), mail arriving meanwhile ----
# The outages last 8 s plus a random part of one capped retry interval, so that over runs the
# server comes back at every point between two tries, the worst (just after one) included.
outage() { awk -v r="$RANDOM" -v m="$BACKOFF_MAX" 'BEGIN { printf "%.2f", 8 + m * r / 32768 }'; }
sleep 1.5	# idle between polls
"$ENV/pg.sh" stop "$T/pg" >/dev/null
"$ENV/dovecot.sh" fill "$T/imap" rc "$T"/g2/*.eml >/dev/null
o=$(outage)
sleep "$o"
port_before=$PGPORT
eval "$("$ENV/pg.sh" start "$T/pg")"
expect_eq "PostgreSQL came back on the same port" "$PGPORT" "$port_before"
resumed "PostgreSQL stopped for ${o}s" "$(pg_ready_at)"
wait_stored 3300 60 && ok "after the outage: all 3300 stored" || bad "after the outage: all 3300 stored" "$(stored) stored; $(tail -5 "$LOG")"
grep -q "database unavailable.*retrying in ${BACKOFF_MAX}s" "$LOG" && ok "the database backoff reached its cap (${BACKOFF_MAX}s)" ||
	bad "database backoff reached its cap" "$(grep database "$LOG" | tail -5)"

# ---- 3. Dovecot stopped for 8-11 s during ingestion, mail arriving meanwhile ----------------
# The bound is backoff_max + 1 s, not + poll_interval: the mail is there when the server is
# back, so the first poll that reaches it (at most backoff_max after the last failed one)
# finds it.
"$ENV/dovecot.sh" fill "$T/imap" rc "$T"/g3/*.eml >/dev/null
for _ in $(seq 1 600); do n=$(stored); [ "${n:-0}" -ge 3500 ] && break; sleep 0.05; done
port_before=$IMAP_PORT
"$ENV/dovecot.sh" stop "$T/imap" &
STOPPER=$!
sleep 0.2
cut_sessions
wait "$STOPPER"
cut_sessions
mid=$(stored)
[ "$mid" -lt 6300 ] && ok "Dovecot stopped during ingestion (${mid} of 6300 stored)" || bad "Dovecot stopped during ingestion" "all stored already"
"$ENV/dovecot.sh" fill "$T/imap" rc "$T"/g4/*.eml >/dev/null
o=$(outage)
sleep "$o"
rm -f "$T/imap.back"
( for _ in $(seq 1 1500); do	# 30 s at most
	if : 2>/dev/null <>"/dev/tcp/127.0.0.1/$port_before"; then echo "$EPOCHREALTIME" > "$T/imap.back"; exit 0; fi
	sleep 0.02
  done; echo 0 > "$T/imap.back" ) &
PROBE=$!
PIDS+=("$PROBE")
eval "$("$ENV/dovecot.sh" start "$T/imap" --tls)"
wait "$PROBE"
[ "$(cat "$T/imap.back")" != 0 ] || { bad "Dovecot accepts connections again within 30 s"; exit 1; }
expect_eq "Dovecot came back on the same port" "$IMAP_PORT" "$port_before"
resumed "Dovecot stopped for ${o}s" "$(cat "$T/imap.back")"
wait_stored "$TOTAL" 120 && ok "after the outage: all $TOTAL stored" || bad "after the outage: all $TOTAL stored" "$(stored) stored; $(tail -5 "$LOG")"
grep -q "retrying in ${BACKOFF_MAX}s" <(grep "imap://" "$LOG") && ok "the IMAP backoff reached its cap (${BACKOFF_MAX}s)" ||
	bad "IMAP backoff reached its cap" "$(grep "imap://" "$LOG" | tail -5)"

waits=$(grep -o "retrying in [0-9]*s" "$LOG" | grep -o "[0-9]*" | sort -n | uniq | tr '\n' ' ')
[ -n "$waits" ] && [ "$(echo $waits | awk '{ print $NF }')" -le "$BACKOFF_MAX" ] &&
	ok "no retry waited longer than backoff_max (waits seen: ${waits% })" || bad "retries within backoff_max" "waits seen: $waits"

# ---- 4. every message stored exactly once ------------------------------------------------
expect_eq "every message has one item, settled" \
	"$(q "SELECT count(*) || ' ' || count(*) FILTER (WHERE state = 'done') FROM defectd.mailbox_items i JOIN defectd.mailboxes m ON m.id = i.mailbox_id WHERE m.name = 'rc'")" \
	"$TOTAL $TOTAL"
expect_eq "one messages row per message, none twice" \
	"$(q "SELECT count(*) || ' ' || count(DISTINCT message_id) FROM defectd.messages")" "$TOTAL $TOTAL"
expect_eq "every item points at its own message" \
	"$(q "SELECT count(DISTINCT message_id) FROM defectd.mailbox_items WHERE message_id IS NOT NULL")" "$TOTAL"
unmarked=$(curl -s "imap://127.0.0.1:$IMAP_PORT/INBOX" --user rc:secret -X 'UID SEARCH UNKEYWORD $Imported' | tr ' ' '\n' | grep -c '^[0-9]')
expect_eq "nothing left unmarked on the server" "$unmarked" "0"

# ---- the warnings again, on reload ----------------------------------------------------------
kill -HUP "$DPID"
wait_log "configuration reloaded" 10
expect_eq "reload: both warnings again" "$(grep -c "mailbox rc: allow_plaintext: true\|mailbox rctls: insecure_skip_verify: true" "$LOG")" "4"
kill -TERM "$DPID"; wait "$DPID"; rc=$?
expect_eq "SIGTERM: clean exit" "$rc" "0"

echo "resume times: ${RESUMES[*]}"
finish reconnect
