#!/bin/bash
# test_source_imap — source_imap.c against a real Dovecot (plain and TLS) on loopback,
# through tests/integration/source_probe.c: scan order, exact bytes, keyword, move,
# quarantine, size limit, certificate checks, wrong password, a server restart between
# two calls, a UIDVALIDITY reset.  Needs root (tests/env/dovecot.sh does).
# Prints "N passed, N failed"; exit 1 on a failure, 77 when it cannot run here.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ENV=$ROOT/tests/env

if [ "$(id -u)" -ne 0 ] || ! command -v dovecot >/dev/null; then
	echo "SKIP: needs root and dovecot-imapd (tests/env/dovecot.sh)"
	exit 77
fi

T=$(mktemp -d /tmp/srcimap.XXXXXX)
chmod 755 "$T"
cleanup() {
	"$ENV/dovecot.sh" stop "$T/imap" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

. "$ROOT/tests/integration/lib.sh"
# check NAME OUTPUT REGEX: OUTPUT matches the extended regular expression
check() { if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok "$1"; else bad "$1" "$2"; fi; }
check_not() { if printf '%s\n' "$2" | grep -Eq -- "$3"; then bad "$1" "$2"; else ok "$1"; fi; }

# ---- build the probe (with the sanitizers: a crash or a leak is a failure) -------------
make -s build/gen/vocab_default.c >/dev/null || { echo "cannot generate build/gen/vocab_default.c"; exit 1; }
PROBE=$T/source_probe
CFLAGS="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
 -Wno-unused-parameter -Werror -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all"
# shellcheck disable=SC2046,SC2086
if ! gcc $CFLAGS -Iparsers -Idaemon -Ibuild/gen -o "$PROBE" tests/integration/source_probe.c \
	daemon/source.c daemon/source_imap.c daemon/imap_ahead.c daemon/imap_wire.c daemon/log.c daemon/source_maildir.c daemon/source_mbox.c daemon/config.c daemon/fileio.c \
	parsers/util.c parsers/vocab.c parsers/ytree.c parsers/text.c build/gen/vocab_default.c \
	$(pkg-config --cflags --libs libcurl libutf8proc yaml-0.1); then
	echo "FAIL - the probe does not build"
	exit 1
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

# ---- the server and the mail -------------------------------------------------------------
eval "$("$ENV/dovecot.sh" start "$T/imap" --tls)" || { echo "FAIL - dovecot does not start"; exit 1; }
H=127.0.0.1
PW=$T/pw
printf 'secret\n' >"$PW"
chmod 600 "$PW"
printf 'wrong\n' >"$T/badpw"
chmod 600 "$T/badpw"

mkdir -p "$T/mail"
for i in 1 2 3 4 5 6; do
	# CRLF throughout, as the server stores and serves it; one 8-bit line, one ">From "
	printf 'From: sender%d@example.com\r\nTo: defects@example.com\r\nSubject: report %d\r\nMessage-ID: <m%d@example.com>\r\n\r\nbody of message %d\r\n>From here on\r\n\xe4\xb8\x8d\xe5\x85\xb7\xe5\x90\x88 %d\r\n' \
		"$i" "$i" "$i" "$i" "$i" >"$T/mail/m$i.eml"
done
# a big one for the size limit
{ printf 'Subject: big\r\n\r\n'; for _ in $(seq 1 2000); do printf '%0100d\r\n' 0; done; } >"$T/mail/big.eml"
"$ENV/dovecot.sh" fill "$T/imap" test "$T/mail/m1.eml" "$T/mail/m2.eml" "$T/mail/m3.eml" || exit 1

PLAIN="imap://$H:$IMAP_PORT"
TLS="imaps://$H:$IMAPS_PORT"
# every probe's output also goes to $T/all.out, checked for sanitizer reports at the end
probe() { "$PROBE" --user test --password-file "$PW" "$@" 2>&1 | tee -a "$T/all.out"; }
# raw IMAP through the curl tool, to look at the server independently
raw() { # MAILBOX COMMAND
	curl -s --max-time 20 "$PLAIN/$1" --user test:secret -X "$2" 2>&1 | tr -d '\r'
}

# ---- scan / fetch, plain ----------------------------------------------------------------------
out=$(probe --url "$PLAIN/INBOX" --plain scan)
UV=$(printf '%s\n' "$out" | sed -n 's/^scan OK uidvalidity=\([0-9]*\).*/\1/p')
check "plain scan lists 3 messages" "$out" "^scan OK uidvalidity=[0-9]+ n=3$"
sizes_ok=1
for i in 1 2 3; do
	printf '%s\n' "$out" | grep -qx "item $UV/$i uid=$i size=$(stat -c %s "$T/mail/m$i.eml")" || sizes_ok=0
done
order=$(printf '%s\n' "$out" | sed -n 's/^item [0-9]*\/\([0-9]*\) .*/\1/p' | tr '\n' ' ')
if [ "$sizes_ok" = 1 ] && [ "$order" = "1 2 3 " ]; then ok "keys UIDVALIDITY/UID in UID order, RFC822.SIZE"; else bad "keys, order, sizes" "$out"; fi

out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" scan fetch 1 "$T/f1" fetch 2 "$T/f2" fetch 3 "$T/f3")
same=1
for i in 1 2 3; do cmp -s "$T/f$i" "$T/mail/m$i.eml" || same=0; done
if [ "$same" = 1 ]; then ok "fetch returns the exact bytes (one connection, three fetches)"; else bad "fetch bytes" "$out"; fi

# fetching ahead: the batch comes on a connection of its own with BODY.PEEK, so no flag
# changes; \Seen still unset afterwards also shows that no message took the ordinary way
# (";UID=n" URLs send BODY[], which sets it)
raw INBOX 'UID STORE 1:3 -FLAGS.SILENT (\Seen)' >/dev/null
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" scan prefetch fetch 1 "$T/p1" fetch 2 "$T/p2" fetch 3 "$T/p3")
same=1
for i in 1 2 3; do cmp -s "$T/p$i" "$T/mail/m$i.eml" || same=0; done
seen=$(raw INBOX 'UID SEARCH SEEN')
if [ "$same" = 1 ] && printf '%s' "$seen" | grep -q 'SEARCH$'; then
	ok "fetch ahead: exact bytes, all three from the batch connection (no flag changed)"
else
	bad "fetch ahead" "$out / $seen"
fi
# mail whose lines look like IMAP answers (tagged OK, untagged FETCH, BYE, a literal) is
# read as the literal it is, in a batch with ordinary mail (another user: own UIDs)
printf 'From: a@example.com\r\nSubject: looks like IMAP\r\n\r\nd2 OK UID FETCH completed\r\n* 1 FETCH (UID 1 BODY[] {5}\r\nA003 OK done\r\n+ go ahead\r\n* BYE\r\nends in a literal {12}\r\n")" (unbalanced\r\n' >"$T/mail/wire.eml"
"$ENV/dovecot.sh" fill "$T/imap" wire "$T/mail/m1.eml" "$T/mail/wire.eml" "$T/mail/m2.eml" || exit 1
out=$("$PROBE" --user wire --password-file "$PW" --url "$PLAIN/INBOX" --plain scan 2>&1)
WUV=$(printf '%s\n' "$out" | sed -n 's/^scan OK uidvalidity=\([0-9]*\).*/\1/p')
# wire_batch NAME OK-TEXT URL-ARGS...: the wire user's three messages fetched ahead, each
# exact, and no \Seen afterwards (so none took the ordinary way)
wire_batch() {
	local name=$1 text=$2
	shift 2
	out=$("$PROBE" --user wire --password-file "$PW" "$@" --uidvalidity "$WUV" scan prefetch \
		fetch 1 "$T/${name}1" fetch 2 "$T/${name}2" fetch 3 "$T/${name}3" 2>&1 | tee -a "$T/all.out")
	seen=$(curl -s --max-time 20 "$PLAIN/INBOX" --user wire:secret -X 'UID SEARCH SEEN' 2>&1 | tr -d '\r')
	if cmp -s "$T/${name}1" "$T/mail/m1.eml" && cmp -s "$T/${name}2" "$T/mail/wire.eml" &&
		cmp -s "$T/${name}3" "$T/mail/m2.eml" && printf '%s' "$seen" | grep -q 'SEARCH$'; then
		ok "$text"
	else
		bad "$text" "$out / $seen"
	fi
}
wire_batch w "fetch ahead: a mail that looks like IMAP answers comes whole, and so does the one after it" \
	--url "$PLAIN/INBOX" --plain

out=$(probe --url "$PLAIN/" --plain --max 2 scan)
check "max 2 keeps the first two" "$out" "^scan OK uidvalidity=$UV n=2$"
check_not "max 2 drops UID 3" "$out" "uid=3 "

out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" --last-uid 2 scan)
check "scan after last_uid 2 lists only UID 3" "$out" "^scan OK uidvalidity=$UV n=1$"
check "  ... and it is UID 3" "$out" "^item $UV/3 uid=3 "
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" --last-uid 3 scan)
check "scan from last_uid 3 returns nothing" "$out" "^scan OK uidvalidity=$UV n=0$"

# ---- mark done: keyword, then keyword + move ---------------------------------------------------
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" --keyword '$Imported' mark 1)
check "mark_done sets the keyword" "$out" "^mark OK$"
flags=$(raw INBOX 'UID FETCH 1 (FLAGS)')
check "  ... server shows \$Imported on UID 1" "$flags" 'FLAGS \([^)]*\$Imported'
flags=$(raw INBOX 'UID FETCH 2 (FLAGS)')
check_not "  ... and not on UID 2" "$flags" 'Imported'

"$ENV/dovecot.sh" fill "$T/imap" test "$T/mail/m4.eml" "$T/mail/m5.eml" "$T/mail/big.eml" || exit 1
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" --keyword '$Imported' --move-to 'Processed Mail' mark 4)
check "mark_done with move_to (folder created on first use)" "$out" "^mark OK$"
inbox=$(raw INBOX 'UID SEARCH ALL')
check_not "  ... UID 4 left INBOX" "$inbox" '^\* SEARCH.* 4( |$)'
moved=$(raw 'Processed%20Mail' 'FETCH 1:* (FLAGS)')
check "  ... and is in 'Processed Mail' with the keyword" "$moved" 'FETCH \(FLAGS \([^)]*\$Imported'
out=$(probe --url "$PLAIN/Processed%20Mail" --plain scan)
check "a mailbox name with a space (URL %20) scans" "$out" "^scan OK uidvalidity=[0-9]+ n=1$"
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" --move-to 'Processed Mail' mark 4 mark 4)
check "mark_done again after the move is harmless" "$out" "^mark OK$"
check_not "  ... no error" "$out" "^mark [A-Z_]+:"

# ---- size limit, missing message -----------------------------------------------------------------
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" --max-bytes 10000 scan fetch 6 "$T/f6" fetch0 6 "$T/f6" fetch 2 "$T/f2b")
check "over the limit by RFC822.SIZE: TOO_BIG" "$out" "^fetch TOO_BIG: "
check "over the limit, size unknown (write callback): TOO_BIG" "$out" "^fetch0 TOO_BIG: "
check "  ... and the next fetch on the same source works" "$out" "^fetch OK len=$(stat -c %s "$T/mail/m2.eml")$"
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" fetch 4 "$T/f4" fetch 99 "$T/f99")
check "fetch of a moved/expunged UID: GONE" "$out" "^fetch GONE: "
check_not "  ... not UIDVALIDITY" "$out" "UIDVALIDITY:"

# ---- quarantine (the big one, as the daemon would) -----------------------------------------------
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" quarantine 6)
check "quarantine without a folder does nothing" "$out" "^quarantine OK$"
check "  ... UID 6 still in INBOX" "$(raw INBOX 'UID SEARCH ALL')" '^\* SEARCH.* 6( |$)'
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" --quarantine Quarantine quarantine 6)
check "quarantine moves to the quarantine folder" "$out" "^quarantine OK$"
check_not "  ... UID 6 left INBOX" "$(raw INBOX 'UID SEARCH ALL')" '^\* SEARCH.* 6( |$)'
check "  ... and is in Quarantine" "$(raw Quarantine 'SEARCH ALL')" '^\* SEARCH 1'

# INBOX holds 1 2 3 5 and UIDNEXT is 7: "UID SEARCH UID 6:*" answers 5 (the highest): filtered
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" --last-uid 5 scan)
check "the highest UID below last_uid+1 is filtered out" "$out" "^scan OK uidvalidity=$UV n=0$"
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" --last-uid 3 scan)
check "scan after last_uid 3 lists only 5" "$out" "^scan OK uidvalidity=$UV n=1$"
check "  ... UID 5" "$out" "^item $UV/5 uid=5 "

# ---- TLS ------------------------------------------------------------------------------------------
out=$(probe --url "$TLS/INBOX" --ca-file "$T/imap/ca.pem" --uidvalidity "$UV" scan fetch 2 "$T/t2")
check "imaps with the right CA: scan" "$out" "^scan OK uidvalidity=$UV n=4$"
if cmp -s "$T/t2" "$T/mail/m2.eml"; then ok "imaps fetch: exact bytes"; else bad "imaps fetch bytes" "$out"; fi
# fetching ahead over TLS (the batch connection verifies the certificate like the others)
wire_batch tw "imaps fetch ahead: exact bytes, all from the batch connection" \
	--url "$TLS/INBOX" --ca-file "$T/imap/ca.pem"
out=$(probe --url "$TLS/INBOX" scan)
check "imaps without the CA (verification on) fails: FATAL" "$out" "^scan FATAL: TLS certificate of $H:$IMAPS_PORT not trusted"
out=$(probe --url "$TLS/INBOX" --insecure scan)
check "imaps with insecure_skip_verify works" "$out" "^scan OK "
out=$(probe --url "imaps://$H:$IMAP_PORT/INBOX" --ca-file "$T/imap/ca.pem" scan)
check "imaps:// to the plain port fails (TLS is never dropped)" "$out" "^scan (TEMP|FATAL): "
# STARTTLS would be possible on the plain port; imap:// must still not use it nor send in clear without allow_plaintext
out=$(probe --url "$PLAIN/INBOX" scan)
check "imap:// without allow_plaintext is refused at open" "$out" "^open FATAL: .*allow_plaintext"

# ---- authentication, configuration --------------------------------------------------------------
out=$("$PROBE" --url "$PLAIN/INBOX" --plain --user test --password-file "$T/badpw" scan 2>&1 | tee -a "$T/all.out")
check "wrong password: FATAL authentication failed for USER at HOST" "$out" "^scan FATAL: authentication failed for test at $H:$IMAP_PORT"
check_not "  ... the password is not in the message" "$out" "wrong"
out=$(probe --url "$PLAIN/NoSuchBox" --plain scan)
check "a mailbox that does not exist: FATAL" "$out" "^scan FATAL: mailbox \"NoSuchBox\""
chmod 644 "$PW"
out=$(probe --url "$PLAIN/INBOX" --plain scan)
check "a password file others can read is refused" "$out" "^open FATAL: .*chmod 600"
chmod 600 "$PW"

# ---- the server restarts between two calls --------------------------------------------------------
rm -f "$T/go"
probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" --keyword '$Imported' \
	scan waitfile "$T/go" scan scan fetch 2 "$T/r2" mark 2 >"$T/restart.out" &
ppid=$!
for _ in $(seq 1 100); do grep -q '^scan OK' "$T/restart.out" 2>/dev/null && break; sleep 0.1; done
"$ENV/dovecot.sh" restart "$T/imap" >/dev/null || bad "dovecot restart"
touch "$T/go"
wait "$ppid"
prc=$?
out=$(cat "$T/restart.out")
if [ "$prc" -eq 0 ] && ! grep -q 'ERROR: AddressSanitizer\|runtime error' "$T/restart.out"; then ok "restart: no crash"; else bad "restart: probe status $prc" "$out"; fi
n_ok=$(grep -c '^scan OK' "$T/restart.out")
n_temp=$(grep -c '^scan TEMP' "$T/restart.out")
if [ "$n_ok" -ge 2 ] && [ $((n_ok + n_temp)) -eq 3 ]; then ok "restart: first call after it TEMP or OK, then OK ($n_ok OK, $n_temp TEMP)"; else bad "restart: scans" "$out"; fi
check "restart: fetch and mark work on the reconnected source" "$out" "^mark OK$"
if cmp -s "$T/r2" "$T/mail/m2.eml"; then ok "restart: fetch bytes"; else bad "restart: fetch bytes" "$out"; fi

# ---- server down ------------------------------------------------------------------------------------
"$ENV/dovecot.sh" stop "$T/imap"
out=$(probe --url "$PLAIN/INBOX" --plain scan)
check "server down: TEMP" "$out" "^scan TEMP: "
eval "$("$ENV/dovecot.sh" start "$T/imap" --tls)" || { echo "FAIL - dovecot does not start again"; exit 1; }

# ---- UIDVALIDITY changes ----------------------------------------------------------------------------
"$ENV/dovecot.sh" uidvalidity-reset "$T/imap" test >/dev/null || bad "uidvalidity-reset"
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" --last-uid 3 scan)
check "scan after a UIDVALIDITY reset: UIDVALIDITY" "$out" "^scan UIDVALIDITY: UIDVALIDITY of \"INBOX\" on $H:$IMAP_PORT changed from $UV to [0-9]+"
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" fetch 2 "$T/u2")
check "fetch with the old UIDVALIDITY: UIDVALIDITY" "$out" "^fetch UIDVALIDITY: "
out=$(probe --url "$PLAIN/INBOX" --plain --uidvalidity "$UV" --keyword '$Stale' mark 3)
check "mark_done with the old UIDVALIDITY: UIDVALIDITY" "$out" "^mark UIDVALIDITY: "
check_not "  ... and no keyword was set" "$(raw INBOX 'UID FETCH 3 (FLAGS)')" 'Stale'
out=$(probe --url "$PLAIN/INBOX" --plain scan)
check "a first poll (uidvalidity 0) after the reset just works" "$out" "^scan OK uidvalidity=[0-9]+ n=4$"
check_not "  ... with the new UIDVALIDITY" "$out" "uidvalidity=$UV "

# ---- a server without MOVE: COPY, \Deleted, UID EXPUNGE (same Dovecot, fewer capabilities) ---------
"$ENV/dovecot.sh" stop "$T/imap"
cp "$T/imap/dovecot.conf" "$T/nomove.conf"
printf 'protocol imap {\n  imap_capability = IMAP4rev1 LITERAL+ UIDPLUS\n}\n' >>"$T/nomove.conf"
if dovecot -c "$T/nomove.conf"; then
	for _ in $(seq 1 50); do raw INBOX NOOP >/dev/null 2>&1 && break; sleep 0.1; done
	check "  (the server now lacks MOVE)" "$(raw '' CAPABILITY)" '^\* CAPABILITY IMAP4rev1 LITERAL\+ UIDPLUS$'
	out=$(probe --url "$PLAIN/INBOX" --plain --keyword '$Imported' --move-to 'Copied' scan mark 2)
	check "no MOVE: mark_done with move_to succeeds" "$out" "^mark OK$"
	check_not "  ... UID 2 left INBOX (UID EXPUNGE)" "$(raw INBOX 'UID SEARCH ALL')" '^\* SEARCH.* 2( |$)'
	check "  ... and the copy has the keyword, not \\Deleted" "$(raw Copied 'FETCH 1 (FLAGS)')" '^\* 1 FETCH \(FLAGS \([^)]*\$Imported'
	check_not "  ... (not \\Deleted)" "$(raw Copied 'FETCH 1 (FLAGS)')" 'Deleted'
	"$ENV/dovecot.sh" stop "$T/imap"
else
	bad "dovecot without MOVE does not start"
fi

cat "$T/restart.out" >>"$T/all.out"
if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/all.out"; then
	bad "sanitizers (ASan, LSan, UBSan) report problems" "$(grep -E -A5 'Sanitizer|runtime error' "$T/all.out" | head -40)"
else
	ok "no sanitizer reports in any probe run"
fi
finish
