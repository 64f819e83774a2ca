#!/bin/bash
# A private Dovecot IMAP server for tests: 127.0.0.1 only, any user name, password "secret".
#
#   dovecot.sh start DIR [--tls]        prints `export IMAP_PORT=… [IMAPS_PORT=…] DOVECOT_CONF=…`
#   dovecot.sh stop DIR                 fine if not running
#   dovecot.sh restart DIR              same ports, same --tls choice
#   dovecot.sh status DIR               exit 0 running, 3 not running
#   dovecot.sh deliver DIR USER FILE... through dovecot-lda (server must run)
#   dovecot.sh fill DIR USER FILE...    straight into USER's Maildir new/ (fast; server may run or not)
#   dovecot.sh uidvalidity-reset DIR USER [--renumber]
#                                       new UIDVALIDITY for INBOX; --renumber also forgets the
#                                       UIDs so they restart at 1 (restarts the server)
#
# Runs as root (Dovecot's master must); mail belongs to the system user $DEFECTD_TEST_USER
# (default defectd-test, created if missing). Files: DIR/dovecot.conf, DIR/dovecot.log,
# DIR/mail/USER/Maildir, DIR/imap_port, DIR/imaps_port and DIR/ca.pem (with --tls).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LDA=/usr/lib/dovecot/dovecot-lda
MAILUSER=${DEFECTD_TEST_USER:-defectd-test}
PASSWORD=secret

usage() {
	sed -n '4,12p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
[ $# -ge 2 ] || usage
cmd=$1
DIR=$(abs_dir "$2")
shift 2
check_plain_path "$DIR"
CONF=$DIR/dovecot.conf
PIDFILE=$DIR/run/master.pid

[ "$(id -u)" -eq 0 ] || die "must run as root (Dovecot's master process needs it)"
command -v dovecot >/dev/null || die "dovecot not found: install dovecot-imapd"

master_pid() { cat "$PIDFILE" 2>/dev/null || true; }
running() { pid_alive "$(master_pid)"; }

print_env() {
	local line
	line="export IMAP_PORT=$(cat "$DIR/imap_port")"
	[ -f "$DIR/tls" ] && line+=" IMAPS_PORT=$(cat "$DIR/imaps_port")"
	echo "$line DOVECOT_CONF=$CONF"
}

ensure_mail_user() {
	id -u "$MAILUSER" >/dev/null 2>&1 && return 0
	# A parallel run may create it first: then useradd fails and id succeeds.
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$MAILUSER" 2>/dev/null || true
	id -u "$MAILUSER" >/dev/null 2>&1 || die "could not create system user '$MAILUSER' (useradd failed)"
}

make_cert() {
	[ -s "$DIR/cert.pem" ] && [ -s "$DIR/key.pem" ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		-keyout "$DIR/key.pem" -out "$DIR/cert.pem" >"$DIR/openssl.log" 2>&1 \
		|| { cat "$DIR/openssl.log" >&2; die "openssl could not make the test certificate"; }
	chmod 600 "$DIR/key.pem"
	cp "$DIR/cert.pem" "$DIR/ca.pem"
}

# Without DH parameters a client that offers only DHE ciphers fails the handshake with an
# "internal error"; Debian ships a file, otherwise make one (DSA-style: well under a second).
dh_file() {
	if [ -r /usr/share/dovecot/dh.pem ]; then echo /usr/share/dovecot/dh.pem; return 0; fi
	if [ ! -s "$DIR/dh.pem" ]; then
		openssl dhparam -dsaparam -out "$DIR/dh.pem" 2048 >/dev/null 2>&1 \
			|| die "openssl dhparam failed"
	fi
	echo "$DIR/dh.pem"
}

write_conf() { # IMAP_PORT IMAPS_PORT (0 = none)
	local ssl=no tls_lines=''
	if [ -f "$DIR/tls" ]; then
		ssl=yes
		tls_lines="ssl_cert = <$DIR/cert.pem
ssl_key = <$DIR/key.pem
ssl_dh = <$(dh_file)"
	fi
	cat >"$CONF.tmp" <<EOF
# Written by tests/env/dovecot.sh; rewritten at each start.
base_dir = $DIR/run
state_dir = $DIR/state
log_path = $DIR/dovecot.log
info_log_path = $DIR/dovecot.log
listen = 127.0.0.1
protocols = imap
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
ssl = $ssl
$tls_lines
mail_location = maildir:$DIR/mail/%u/Maildir
passdb {
  driver = static
  args = password=$PASSWORD
}
userdb {
  driver = static
  args = uid=$MAILUSER gid=$MAILUSER home=$DIR/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $1
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $2
    ssl = yes
  }
}
protocol imap {
  mail_max_userip_connections = 1000
}
protocol lda {
  postmaster_address = postmaster@localhost
  # LDA runs as the mail user, which cannot open dovecot.log; deliver sends stderr to lda.log.
  log_path = /dev/stderr
  info_log_path = /dev/stderr
}
EOF
	mv "$CONF.tmp" "$CONF"
}

do_start() {
	local want_tls=
	while [ $# -gt 0 ]; do
		case $1 in
		--tls) want_tls=1;;
		*) die "unknown option '$1' (start DIR [--tls])";;
		esac
		shift
	done
	# Unix sockets live in DIR/run/…; their paths must fit in 107 bytes.
	[ $(( ${#DIR} + 30 )) -le 107 ] || die "DIR '$DIR' is too long for Dovecot's socket paths (max 77 characters)"
	ensure_mail_user
	check_traversable "$MAILUSER" "$(dirname "$DIR")"
	mkdir -p "$DIR"
	exec 9<"$DIR"
	flock 9

	if running; then
		[ -n "$want_tls" ] && [ ! -f "$DIR/tls" ] && die "already running without TLS in $DIR; stop it first"
		print_env
		return 0
	fi
	if [ -n "$want_tls" ]; then touch "$DIR/tls"; elif [ "$cmd" = start ]; then rm -f "$DIR/tls"; fi
	[ -f "$DIR/tls" ] && make_cert
	mkdir -p "$DIR/mail" "$DIR/home"
	chown "$MAILUSER:" "$DIR/mail" "$DIR/home"
	chmod 755 "$DIR"

	local attempt imap imaps=0 tried=() before
	imap=$(cat "$DIR/imap_port" 2>/dev/null || true)
	[ -f "$DIR/tls" ] && imaps=$(cat "$DIR/imaps_port" 2>/dev/null || true)
	for attempt in 1 2 3 4 5; do
		if [ -z "$imap" ] || port_busy "$imap"; then imap=$(free_port "${tried[@]}"); fi
		tried+=("$imap")
		if [ -f "$DIR/tls" ]; then
			if [ -z "$imaps" ] || [ "$imaps" = 0 ] || port_busy "$imaps"; then imaps=$(free_port "${tried[@]}"); fi
			tried+=("$imaps")
		else
			imaps=0
		fi
		write_conf "$imap" "$imaps"
		before=0
		[ -f "$DIR/dovecot.log" ] && before=$(wc -l <"$DIR/dovecot.log")
		if dovecot -c "$CONF" 9<&- >"$DIR/dovecot.out" 2>&1; then
			break
		fi
		if cat "$DIR/dovecot.out" <(tail -n +"$((before + 1))" "$DIR/dovecot.log" 2>/dev/null) \
			| grep -q 'Address already in use'; then
			note "port $imap or $imaps taken meanwhile, retrying"
			imap='' imaps=''
			[ "$attempt" -lt 5 ] && continue
		fi
		cat "$DIR/dovecot.out" >&2
		echo "--- tail of $DIR/dovecot.log:" >&2
		tail -n 30 "$DIR/dovecot.log" >&2 2>/dev/null || true
		die "dovecot did not start in $DIR"
	done

	local p
	for p in "$imap" $([ "$imaps" != 0 ] && echo "$imaps"); do
		if ! wait_port "$p" 15; then
			echo "--- tail of $DIR/dovecot.log:" >&2
			tail -n 30 "$DIR/dovecot.log" >&2 2>/dev/null || true
			do_stop
			die "dovecot did not accept connections on 127.0.0.1:$p within 15 s"
		fi
	done
	echo "$imap" >"$DIR/imap_port"
	if [ "$imaps" != 0 ]; then echo "$imaps" >"$DIR/imaps_port"; else rm -f "$DIR/imaps_port"; fi
	print_env
}

do_stop() {
	local pid
	pid=$(master_pid)
	pid_alive "$pid" || return 0
	# This is what `doveadm -c DIR/dovecot.conf stop` does, but doveadm then waits until the
	# master's pid is reaped, which here can take seconds after it has exited (zombie).
	kill -TERM "$pid" 2>/dev/null || true
	# Wait for the master to exit (about 1 s: it pauses for its children), so that a
	# following start can bind the same ports.
	wait_gone "$pid" 15
}

do_status() {
	if running; then
		echo "running (pid $(master_pid)): $(print_env)"
		return 0
	fi
	echo "not running ($DIR)"
	return 3
}

need_user() {
	[ -n "${1:-}" ] || die "missing USER"
	case $1 in *[!A-Za-z0-9._@+-]*) die "user name '$1' has unexpected characters";; esac
}

do_deliver() {
	local user=${1:-} f rc
	need_user "$user"
	shift
	[ $# -gt 0 ] || die "deliver DIR USER FILE...: no files"
	running || die "dovecot is not running in $DIR (dovecot-lda needs its auth socket); start it first"
	[ -x "$LDA" ] || die "$LDA not found"
	sync_inbox "$user"
	for f in "$@"; do
		[ -f "$f" ] || die "no such file: $f"
		rc=0
		"$LDA" -c "$CONF" -d "$user" <"$f" 2>>"$DIR/lda.log" || rc=$?
		[ "$rc" -eq 0 ] || { tail -n 5 "$DIR/lda.log" >&2; die "dovecot-lda failed with status $rc for $f"; }
	done
}

# Maildir file names: SECONDS.M<microseconds>P<pid>Q<n>.host — Dovecot assigns UIDs to new/
# in name order (seconds, then the M number), so files get UIDs in the order given.
do_fill() {
	local user=${1:-}
	need_user "$user"
	shift
	[ $# -gt 0 ] || die "fill DIR USER FILE...: no files"
	ensure_mail_user
	mkdir -p "$DIR/mail"
	chown "$MAILUSER:" "$DIR/mail"
	"$PY" - "$DIR/mail/$user/Maildir" "$MAILUSER" "$@" <<'EOF'
import os, pwd, shutil, socket, sys, time
md, owner, files = sys.argv[1], pwd.getpwnam(sys.argv[2]), sys.argv[3:]
uid, gid = owner.pw_uid, owner.pw_gid
made = []
p = md
while not os.path.isdir(p):
    made.append(p)
    p = os.path.dirname(p)
for d in [md, md + "/new", md + "/cur", md + "/tmp"]:
    if not os.path.isdir(d):
        os.makedirs(d, 0o700, exist_ok=True)
        made.append(d)
for d in made:
    os.chown(d, uid, gid)
pid, host = os.getpid(), socket.gethostname().replace("/", "_").replace(":", "_")
last = 0
for i, f in enumerate(files):
    # Real, strictly increasing times: later fills (and LDA deliveries) sort after this one.
    us = max(time.time_ns() // 1000, last + 1)
    last = us
    size = os.path.getsize(f)
    name = "%d.M%06dP%dQ%d.%s,S=%d" % (us // 1000000, us % 1000000, pid, i, host, size)
    tmp = os.path.join(md, "tmp", name)
    shutil.copyfile(f, tmp)
    os.chown(tmp, uid, gid)
    os.chmod(tmp, 0o600)
    os.rename(tmp, os.path.join(md, "new", name))
EOF
	sync_inbox "$user"
}

# Give UIDs to files waiting in new/ now, so that a later LDA delivery (which numbers its own
# message at once) cannot overtake them. Without a running server, the next access does it.
sync_inbox() {
	running || return 0
	doveadm -c "$CONF" mailbox status -u "$1" messages INBOX >/dev/null \
		|| die "doveadm could not sync INBOX of $1"
}

do_uidvalidity_reset() {
	local user=${1:-} renumber='' old new
	need_user "$user"
	shift
	[ "${1:-}" = --renumber ] && renumber=1
	running || die "dovecot is not running in $DIR; start it first"
	old=$(doveadm -c "$CONF" -f tab mailbox status -u "$user" uidvalidity INBOX | awk -F "\t" "END { print \$NF }") \
		|| die "doveadm could not read INBOX of $user"
	case $old in ''|*[!0-9]*) die "unexpected UIDVALIDITY '$old' from doveadm";; esac
	if [ -n "$renumber" ]; then
		# Forget every UID: Dovecot rebuilds the list from the files, numbering from 1.
		do_stop
		rm -f "$DIR/mail/$user/Maildir/dovecot-uidlist" "$DIR/mail/$user/Maildir"/dovecot.index*
		do_start >/dev/null
	fi
	# Dovecot takes the clock for a fresh UIDVALIDITY, which may equal the old one within the
	# same second; set it explicitly so it always changes.
	new=$(date +%s)
	[ "$new" -gt "$old" ] || new=$((old + 1))
	doveadm -c "$CONF" mailbox update -u "$user" --uid-validity "$new" INBOX \
		|| die "doveadm mailbox update failed"
	echo "UIDVALIDITY $old -> $new"
}

case $cmd in
start) do_start "$@";;
stop) do_stop;;
restart) do_stop; do_start;;
status) do_status;;
deliver) do_deliver "$@";;
fill) do_fill "$@";;
uidvalidity-reset) do_uidvalidity_reset "$@";;
*) usage;;
esac
