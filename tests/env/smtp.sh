#!/bin/bash
# Start and stop tests/env/smtp.py (aiosmtpd) in the background.
#
#   smtp.sh start DIR [--reject RCPT_SUBSTRING]... [--drop-after-data] [--port PORT]
#       mail goes to DIR/maildir/new/ (dropped ones to DIR/maildir/dropped/); writes
#       DIR/smtp_port, DIR/smtp.pid, DIR/smtp.log; prints `export SMTP_PORT=… SMTP_MAILDIR=…`
#   smtp.sh stop DIR      fine if not running
#   smtp.sh status DIR    exit 0 running, 3 not running
#
# Starting a running server only prints its variables (its options stay as they were:
# stop it first to change them).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '4,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
DIR=$(abs_dir "$2")
shift 2

server_pid() {
	local pid
	pid=$(cat "$DIR/smtp.pid" 2>/dev/null) || return 1
	# Only our smtp.py counts: a stale file may name a pid reused by something else.
	pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'smtp\.py' \
		&& echo "$pid"
}

print_env() { echo "export SMTP_PORT=$(cat "$DIR/smtp_port") SMTP_MAILDIR=$DIR/maildir"; }

do_start() {
	local port=0
	local opts=()
	while [ $# -gt 0 ]; do
		case $1 in
		--reject) [ $# -ge 2 ] || die "--reject needs a value"; opts+=(--reject "$2"); shift;;
		--drop-after-data) opts+=(--drop-after-data);;
		--port) [ $# -ge 2 ] || die "--port needs a value"; port=$2; shift;;
		*) die "unknown option '$1'";;
		esac
		shift
	done
	"$PY" -c 'import aiosmtpd' 2>/dev/null || die "$PY cannot import aiosmtpd: install python3-aiosmtpd"
	mkdir -p "$DIR"
	exec 9<"$DIR"
	flock 9
	if server_pid >/dev/null; then
		print_env
		return 0
	fi
	rm -f "$DIR/smtp_port" "$DIR/smtp.pid"
	"$PY" "$ENV_DIR/smtp.py" --maildir "$DIR/maildir" --port "$port" \
		--port-file "$DIR/smtp_port" --pid-file "$DIR/smtp.pid" ${opts[@]+"${opts[@]}"} \
		</dev/null >/dev/null 2>>"$DIR/smtp.log" 9<&- &
	local bg=$! deadline=$((SECONDS + 15))
	until [ -s "$DIR/smtp_port" ]; do
		if ! pid_alive "$bg"; then
			tail -n 20 "$DIR/smtp.log" >&2
			die "smtp.py exited at start (log above, also in $DIR/smtp.log)"
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			kill "$bg" 2>/dev/null || true
			tail -n 20 "$DIR/smtp.log" >&2
			die "smtp.py did not listen within 15 s"
		fi
		sleep 0.05
	done
	wait_port "$(cat "$DIR/smtp_port")" 15 || die "smtp.py does not accept connections (see $DIR/smtp.log)"
	print_env
}

do_stop() {
	local pid
	pid=$(server_pid) || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait_gone "$pid" 10
	rm -f "$DIR/smtp.pid"
}

do_status() {
	if server_pid >/dev/null; then
		echo "running (pid $(server_pid)): $(print_env)"
		return 0
	fi
	echo "not running ($DIR)"
	return 3
}

case $cmd in
start) do_start "$@";;
stop) do_stop;;
status) do_status;;
*) usage;;
esac
