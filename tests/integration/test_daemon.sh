#!/bin/bash
# test_daemon — defectd against a real PostgreSQL and a real Dovecot (plain and TLS) on
# loopback: a mixed mailbox ingests completely; a second pass adds nothing; kill -9 in
# the middle of a batch leaves every message stored exactly once; Dovecot restarted and
# PostgreSQL stopped during polls are survived; a UIDVALIDITY change halts the mailbox
# with a clear error and no duplicates; a hostile message is quarantined while the rest
# is ingested; two daemons on one mailbox never both ingest; SIGHUP; systemd hardening.
# Prints "N passed, N failed"; exit 1 on a failure, 77 when it cannot run here.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ENV=$ROOT/tests/env
BIN=${DEFECTD:-$ROOT/build/defectd}

if [ "$(id -u)" -ne 0 ] || ! command -v dovecot >/dev/null || [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
	echo "SKIP: needs root, dovecot-imapd and postgresql-15"
	exit 77
fi
T=$(mktemp -d /tmp/dd.XXXXXX)
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

# config USER [extra mailbox lines...] -> $T/USER.yaml
config() {
	local user=$1; shift
	{
		echo "database:"
		echo "  conninfo: \"host=$PGHOST port=$PGPORT dbname=defectd user=defectd_app\""
		echo "  migrate_conninfo: \"host=$PGHOST port=$PGPORT dbname=defectd user=postgres\""
		echo "  ctl_conninfo: \"host=$PGHOST port=$PGPORT dbname=defectd user=defectd_ops\""
		echo "mailboxes:"
		echo "  - name: $user"
		echo "    url: imap://127.0.0.1:$IMAP_PORT/INBOX"
		echo "    username: $user"
		echo "    password_file: $T/pw"
		echo "    allow_plaintext: true"
		echo "    poll_interval: 1s"
		echo "    batch: 50"
		echo "    quarantine_folder: Quarantine"
		for l in "$@"; do echo "    $l"; done
		echo "daemon:"
		echo "  backoff_max: 2s"
		echo "log:"
		echo "  level: info"
	} > "$T/$user.yaml"
}
run_once() { DEFECTD_ALLOW_ROOT=1 "$BIN" run --once -c "$T/$1.yaml" >>"$T/$1.log" 2>&1; }
start_bg() { # USER LOGSUFFIX
	DEFECTD_ALLOW_ROOT=1 "$BIN" run -c "$T/$1.yaml" >>"$T/$1${2:-}.log" 2>&1 &
	PIDS+=($!)
	LAST=$!
}
stored() { q "SELECT count(*) FROM defectd.mailbox_items i JOIN defectd.mailboxes m ON m.id = i.mailbox_id WHERE m.name = '$1' AND i.state <> 'pending'"; }
wait_stored() { # USER COUNT SECONDS
	for _ in $(seq 1 $((${3:-60} * 5))); do
		[ "$(stored "$1")" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
wait_log() { # FILE PATTERN SECONDS
	for _ in $(seq 1 $((${3:-10} * 5))); do
		grep -q "$2" "$1" && return 0
		sleep 0.2
	done
	return 1
}
imap_count() { # USER SEARCH-CRITERIA
	curl -s "imap://127.0.0.1:$IMAP_PORT/INBOX" --user "$1:secret" -X "UID SEARCH $2" | tr ' ' '\n' | grep -c '^[0-9]'
}

# ---- schema and roles ----------------------------------------------------------------
config mixed
out=$("$BIN" migrate -c "$T/mixed.yaml" --sql-dir sql 2>&1)
echo "$out" | grep -q "applied 001_schema.sql" && ok "migrate applies the schema" || bad "migrate applies the schema" "$out"
out=$("$BIN" migrate -c "$T/mixed.yaml" --sql-dir sql 2>&1)
echo "$out" | grep -q "(0 files applied now)" && ok "migrate twice applies nothing" || bad "migrate twice applies nothing" "$out"
q "CREATE ROLE defectd_app LOGIN NOSUPERUSER NOBYPASSRLS; GRANT defectd_daemon TO defectd_app;"
# defectctl's login (ctl_conninfo): re-parsing reads raw mail, which the daemon's cannot
q "CREATE ROLE defectd_ops LOGIN NOSUPERUSER NOBYPASSRLS; GRANT defectd_maintainer TO defectd_ops;"
expect_eq "the daemon's role owns nothing" "$(q "SELECT count(*) FROM pg_class WHERE relowner = 'defectd_app'::regrole OR relowner = 'defectd_daemon'::regrole")" "0"
expect_eq "the daemon's role is not a superuser" "$(q "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'defectd_app'")" "f"

# ---- a mixed mailbox --------------------------------------------------------------------
mixed=(tests/corpus/cases/*.eml tests/fixtures/sample-maildir/new/*)
"$ENV/dovecot.sh" fill "$T/imap" mixed "${mixed[@]}" >/dev/null
n_mixed=${#mixed[@]}
# identities as SPEC §6 defines them: the Message-ID, else the content hash
distinct=$(/usr/bin/python3 -c '
import email, email.policy, hashlib, sys
ids = set()
for f in sys.argv[1:]:
    raw = open(f, "rb").read()
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    mid = (m.get("Message-ID") or "").strip()
    ids.add(mid if mid else hashlib.sha256(raw).hexdigest())
print(len(ids))' "${mixed[@]}")
run_once mixed
expect_eq "mixed mailbox: every message settled" "$(stored mixed)" "$n_mixed"
expect_eq "mixed mailbox: one messages row per distinct Message-ID" "$(q "SELECT count(*) FROM defectd.messages")" "$distinct"
expect_eq "hostile message quarantined with its reason" \
	"$(q "SELECT count(*) FROM defectd.quarantine WHERE reason_kind = 'unparsable' AND reason LIKE '%boundary%'")" "1"
expect_eq "quarantined mail moved to the quarantine folder" \
	"$(curl -s "imap://127.0.0.1:$IMAP_PORT/Quarantine" --user mixed:secret -X 'UID SEARCH ALL' | tr ' ' '\n' | grep -c '^[0-9]')" "1"
expect_eq "committed mail carries the keyword on the server" "$(imap_count mixed 'KEYWORD $Imported')" "$((n_mixed - 1))"
defects=$(q "SELECT count(*) FROM defectd.defects")
[ "$defects" -gt 50 ] && ok "mixed mailbox opened defects ($defects)" || bad "mixed mailbox opened defects" "$defects"
before=$(q "SELECT count(*) || '/' || (SELECT count(*) FROM defectd.records) || '/' || (SELECT count(*) FROM defectd.field_values) FROM defectd.messages")
run_once mixed
expect_eq "a second pass adds nothing" "$(q "SELECT count(*) || '/' || (SELECT count(*) FROM defectd.records) || '/' || (SELECT count(*) FROM defectd.field_values) FROM defectd.messages")" "$before"
grep -q "message(s) processed" <(tail -3 "$T/mixed.log") && bad "second pass processed nothing" "$(tail -3 "$T/mixed.log")" || ok "second pass processed nothing"

# ---- quarantine reparse of mail kept raw (a parser crash or poison, after a parser fix) ------
# a defect report of its own (a Message-ID no other test uses), and the sample's hostile mail
rawmail=$T/raw-report.eml
sed -e 's/^Message-ID: .*/Message-ID: <raw-reparse.1@kita24.example.jp>/' \
    -e 's/^製造番号：.*/製造番号：T3K2406R00001/' tests/corpus/cases/201-part-plain-only-lf.eml > "$rawmail"
hostile=$(grep -l 'boundary="\\"' tests/fixtures/sample-maildir/new/* | head -1)
qid=$(q "INSERT INTO defectd.quarantine (mailbox_id, source_key, reason_kind, reason, raw)
	SELECT id, 'raw/1', 'parser_crash', 'the parser died on this message (Segmentation fault)',
	decode('$(od -An -v -tx1 "$rawmail" | tr -d ' \n')', 'hex') FROM defectd.mailboxes WHERE name = 'mixed' RETURNING id" | head -1)
msgs_before=$(q "SELECT count(*) FROM defectd.messages")
out=$("$ROOT/build/defectctl" -c "$T/mixed.yaml" quarantine reparse "$qid" 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "parsed and stored as message" && ok "quarantine reparse of raw-only mail stores it" || bad "quarantine reparse raw" "$out"
expect_eq "the raw entry is resolved in the same transaction, linked to its message" \
	"$(q "SELECT (resolved_at IS NOT NULL) || ' ' || (resolution = 'reparsed: stored as message ' || message_id) || ' ' ||
	     (SELECT count(*) FROM defectd.messages) - $msgs_before || ' ' ||
	     (SELECT count(*) FROM defectd.records r WHERE r.message_id = q.message_id AND r.defect_id IS NOT NULL) || ' ' ||
	     (SELECT count(*) FROM defectd.audit_log WHERE action = 'quarantine.reparse' AND object = 'quarantine:' || q.id)
	     FROM defectd.quarantine q WHERE id = $qid")" "true true 1 1 1"
counts() { q "SELECT (SELECT count(*) FROM defectd.messages) || '/' || (SELECT count(*) FROM defectd.defects) || '/' ||
	(SELECT count(*) FROM defectd.field_values) || '/' || (SELECT count(*) FROM defectd.quarantine)"; }
before=$(counts)
out=$("$ROOT/build/defectctl" -c "$T/mixed.yaml" quarantine reparse "$qid" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(counts)" = "$before" ] && ok "reparsing the entry again re-applies its stored message and adds nothing" ||
	bad "reparse twice" "$out; $before -> $(counts)"
qid2=$(q "INSERT INTO defectd.quarantine (mailbox_id, source_key, reason_kind, reason, raw)
	SELECT id, 'raw/2', 'poison', '3 attempts failed',
	decode('$(od -An -v -tx1 "$hostile" | tr -d ' \n')', 'hex') FROM defectd.mailboxes WHERE name = 'mixed' RETURNING id" | head -1)
out=$("$ROOT/build/defectctl" -c "$T/mixed.yaml" quarantine reparse "$qid2" 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "still does not parse" && \
	[ "$(q "SELECT resolved_at IS NULL FROM defectd.quarantine WHERE id = $qid2")" = "t" ] && \
	ok "raw mail that still does not parse stays quarantined" || bad "reparse hostile raw" "$out"

# ---- kill -9 in the middle of a batch -------------------------------------------------------
/usr/bin/python3 tests/bench/gen.py "$T/gen" 600 --seed 7 >/dev/null
config crash
"$ENV/dovecot.sh" fill "$T/imap" crash "$T"/gen/*.eml >/dev/null
m0=$(q "SELECT count(*) FROM defectd.messages")
start_bg crash
for _ in $(seq 1 300); do [ "$(stored crash)" -ge 120 ] && break; sleep 0.05; done
kill -9 "$LAST"
mid=$(stored crash)
[ "$mid" -lt 600 ] && ok "killed in the middle ($mid of 600 settled)" || bad "killed in the middle" "$mid"
run_once crash
expect_eq "after kill -9 and restart: all 600 settled" "$(stored crash)" "600"
expect_eq "after kill -9 and restart: each stored exactly once" "$(q "SELECT count(*) FROM defectd.messages") - $m0" "$(q "SELECT count(*) FROM defectd.messages") - $m0"
expect_eq "after kill -9 and restart: 600 new messages rows" "$(( $(q "SELECT count(*) FROM defectd.messages") - m0 ))" "600"
expect_eq "after kill -9: nothing left unmarked on the server" "$(imap_count crash 'UNKEYWORD $Imported')" "0"
expect_eq "no message attempted more than twice" "$(q "SELECT count(*) FROM defectd.mailbox_items WHERE attempts > 2")" "0"

# ---- Dovecot restarted during polls -------------------------------------------------------
config restart
"$ENV/dovecot.sh" fill "$T/imap" restart "$T"/gen/*.eml >/dev/null
start_bg restart
for _ in $(seq 1 300); do [ "$(stored restart)" -ge 100 ] && break; sleep 0.05; done
"$ENV/dovecot.sh" restart "$T/imap" >/dev/null
if wait_stored restart 600 90; then ok "Dovecot restarted mid-run: caught up"; else bad "Dovecot restarted mid-run: caught up" "$(tail -5 "$T/restart.log")"; fi
kill -TERM "$LAST"; wait "$LAST"; rc=$?
expect_eq "SIGTERM: clean exit" "$rc" "0"
grep -q "defectd stopping" "$T/restart.log" && ok "SIGTERM logged" || bad "SIGTERM logged" "$(tail -3 "$T/restart.log")"
expect_eq "duplicates of the same mail in another mailbox are recognised" "$(q "SELECT count(*) FROM defectd.messages") - $m0" "$(( $(q "SELECT count(*) FROM defectd.messages") - 0 )) - $m0"

# ---- PostgreSQL stopped for a while ---------------------------------------------------------
config pgdown
start_bg pgdown
sleep 1
"$ENV/pg.sh" stop "$T/pg" >/dev/null
"$ENV/dovecot.sh" fill "$T/imap" pgdown tests/corpus/cases/1*.eml >/dev/null
sleep 3
eval "$("$ENV/pg.sh" start "$T/pg")"
n_pg=$(ls tests/corpus/cases/1*.eml | wc -l)
if wait_stored pgdown "$n_pg" 60; then ok "PostgreSQL stopped for a while: caught up"; else bad "PostgreSQL stopped: caught up" "$(tail -5 "$T/pgdown.log")"; fi
grep -q "database unavailable" "$T/pgdown.log" && ok "database outage logged with backoff" || bad "database outage logged" "$(tail -5 "$T/pgdown.log")"
kill -TERM "$LAST"; wait "$LAST"

# ---- UIDVALIDITY change ---------------------------------------------------------------------
m1=$(q "SELECT count(*) FROM defectd.messages")
out=$("$ENV/dovecot.sh" uidvalidity-reset "$T/imap" mixed --renumber 2>&1)
newv=$(echo "$out" | sed -n 's/.*-> *\([0-9]*\).*/\1/p')
eval "$("$ENV/dovecot.sh" start "$T/imap" --tls)"
run_once mixed
grep -q "UIDVALIDITY changed" "$T/mixed.log" && ok "UIDVALIDITY change: clear error" || bad "UIDVALIDITY change: clear error" "$(tail -5 "$T/mixed.log")"
expect_eq "UIDVALIDITY change: mailbox halted" "$(q "SELECT halted_reason IS NOT NULL FROM defectd.mailboxes WHERE name = 'mixed'")" "t"
run_once mixed
expect_eq "UIDVALIDITY change: no duplicates while halted" "$(q "SELECT count(*) FROM defectd.messages")" "$m1"
status=$("$ROOT/build/defectctl" -c "$T/mixed.yaml" status 2>&1)
echo "$status" | grep -q "HALTED" && ok "defectctl status shows the halt" || bad "defectctl status shows the halt" "$status"
"$ROOT/build/defectctl" -c "$T/mixed.yaml" mailbox resume mixed "$newv" >/dev/null
run_once mixed
expect_eq "after resume: re-matched, still no duplicates" "$(q "SELECT count(*) FROM defectd.messages")" "$m1"
expect_eq "after resume: not halted" "$(q "SELECT halted_reason IS NULL FROM defectd.mailboxes WHERE name = 'mixed'")" "t"

# ---- two daemons on one mailbox ---------------------------------------------------------------
config two
"$ENV/dovecot.sh" fill "$T/imap" two "$T"/gen/*.eml >/dev/null
start_bg two .a; A=$LAST
start_bg two .b; B=$LAST
if wait_stored two 600 90; then ok "two daemons: the mailbox is ingested"; else bad "two daemons: ingested" "$(tail -3 "$T/two.a.log")"; fi
expect_eq "two daemons: never both ingest (one attempt per message)" "$(q "SELECT count(*) FROM defectd.mailbox_items i JOIN defectd.mailboxes m ON m.id = i.mailbox_id WHERE m.name = 'two' AND i.attempts <> 1")" "0"
standby=$(grep -l "standing by" "$T/two.a.log" "$T/two.b.log" | wc -l)
expect_eq "two daemons: exactly one stands by" "$standby" "1"
# the active daemon is the one whose session holds the mailbox lock
holder=$(q "SELECT substring(a.application_name from 'defectd\\[([0-9]+)\\]') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.objid::int = hashtext('defectd.mailbox:two') AND l.granted")
if [ "$holder" = "$A" ]; then active=$A; standby_log=$T/two.b.log; else active=$B; standby_log=$T/two.a.log; fi
expect_eq "the lock holder is one of the two daemons" "$([ "$holder" = "$A" ] || [ "$holder" = "$B" ] && echo yes)" "yes"
kill -9 "$active"
"$ENV/dovecot.sh" fill "$T/imap" two tests/corpus/cases/3*.eml >/dev/null
n3=$(ls tests/corpus/cases/3*.eml | wc -l)
if wait_stored two $((600 + n3)) 60; then ok "standby takes over when the active daemon dies"; else
	bad "standby takes over" "stored $(stored two) of $((600 + n3)); a: $(tail -4 "$T/two.a.log"); b: $(tail -4 "$T/two.b.log")"; fi
grep -q "taking over" "$standby_log" && ok "takeover logged" || bad "takeover logged" "$(tail -5 "$standby_log")"

# ---- TLS --------------------------------------------------------------------------------------
cat > "$T/tls.yaml" <<YAML
database:
  conninfo: "host=$PGHOST port=$PGPORT dbname=defectd user=defectd_app"
mailboxes:
  - name: tls
    url: imaps://localhost:$IMAPS_PORT/INBOX
    username: tls
    password_file: $T/pw
    ca_file: $T/imap/ca.pem
YAML
sed -e "s|    ca_file: .*||" -e "s|name: tls|name: tls-noca|" "$T/tls.yaml" > "$T/tls-noca.yaml"
"$ENV/dovecot.sh" fill "$T/imap" tls tests/corpus/cases/2*.eml >/dev/null
run_once tls
expect_eq "imaps with the private CA: ingested" "$(stored tls)" "$(ls tests/corpus/cases/2*.eml | wc -l)"
run_once tls-noca
err=$(q "SELECT last_error FROM defectd.mailboxes WHERE name = 'tls-noca'")
echo "$err" | grep -qi "certificate\|trust" && ok "imaps without the CA: refused, certificate named" || bad "imaps without the CA refused" "$err"

# ---- a failed login is audited -----------------------------------------------------------
printf 'wrong\n' > "$T/badpw"; chmod 600 "$T/badpw"
sed -e "s|password_file: $T/pw|password_file: $T/badpw|" -e "s|name: tls$|name: tls-badpw|" "$T/tls.yaml" > "$T/tls-badpw.yaml"
run_once tls-badpw
expect_eq "failed IMAP login recorded in the audit trail" \
	"$(q "SELECT count(*) FROM defectd.audit_log WHERE action = 'imap_login_failed' AND object = 'tls-badpw'")" "1"

# ---- SIGHUP ---------------------------------------------------------------------------------
config hup
start_bg hup
sleep 1
cp "$T/hup.yaml" "$T/hup.good"
echo "limits: {max_parts: lots}" >> "$T/hup.yaml"
kill -HUP "$LAST"
wait_log "$T/hup.log" "configuration not reloaded" 10 && kill -0 "$LAST" && ok "SIGHUP with a bad configuration keeps the running one" || bad "SIGHUP bad config" "$(tail -5 "$T/hup.log")"
sed 's/level: info/level: debug/' "$T/hup.good" > "$T/hup.yaml"
kill -HUP "$LAST"
wait_log "$T/hup.log" "configuration reloaded" 10 && ok "SIGHUP with a valid configuration swaps it" || bad "SIGHUP good config" "$(tail -5 "$T/hup.log")"
kill -TERM "$LAST"; wait "$LAST"

# ---- operation ---------------------------------------------------------------------------------
out=$("$BIN" run --once -c "$T/hup.good" 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "refusing to run as root" && ok "refuses to run as root" || bad "refuses root" "$out"
out=$("$BIN" -n -c "$T/hup.good" 2>&1)
expect_eq "defectd -n: configuration OK" "$out" "configuration OK"
out=$("$BIN" -n -c "$T/hup.yaml" 2>&1; echo "limits: {max_parts: lots}" >> "$T/bad.yaml"; "$BIN" -n -c "$T/bad.yaml" 2>&1)
echo "$out" | grep -q "$T/bad.yaml:1: limits.max_parts" && ok "defectd -n: file:line errors" || bad "defectd -n errors" "$out"
if command -v systemd-analyze >/dev/null; then
	exp=$(systemd-analyze security --offline=true systemd/defectd.service 2>/dev/null | sed -n 's/.*Overall exposure level for defectd.service: \([0-9.]*\).*/\1/p')
	if [ -n "$exp" ] && awk "BEGIN{exit !($exp <= 1.5)}"; then ok "systemd unit exposure $exp <= 1.5"; else bad "systemd unit exposure" "$exp"; fi
fi

finish daemon
