# shellcheck shell=bash
# Shared helpers for the throwaway test servers (sourced, not run).
# Loopback only; nothing here may touch a system-wide server or its files.

# shellcheck disable=SC2034  # used by the scripts that source this file
ENV_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3   # Debian's: the one that has python3-aiosmtpd

die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# abs_dir DIR: absolute path without requiring it to exist.
abs_dir() { realpath -m -- "$1"; }

# A path that goes into a config file or a command line unquoted must be plain.
check_plain_path() {
	case $1 in
	*[!A-Za-z0-9._/+@=-]*) die "path '$1' has characters these scripts do not quote (use [A-Za-z0-9._/+@=-] only)";;
	esac
}

# check_traversable USER DIR: DIR and each of its ancestors must be searchable by USER,
# otherwise a server that drops to USER cannot reach its files. Reports the topmost culprit.
check_traversable() {
	local user=$1 p='' part
	[ "$(id -u)" -eq 0 ] || return 0
	local IFS=/
	for part in $2; do
		[ -n "$part" ] || continue
		p=$p/$part
		[ -d "$p" ] || break
		if ! runuser -u "$user" -- test -x "$p" 2>/dev/null; then
			die "'$p' is not searchable by user '$user' (mode $(stat -c %a "$p"), owner $(stat -c %U "$p")); use a directory elsewhere or run: chmod o+x '$p'"
		fi
	done
	return 0
}

# port_busy PORT: true if something listens on TCP PORT (any address) or it cannot be bound.
port_busy() {
	local p=$1
	if [ -n "$(ss -Htln "sport = :$p" 2>/dev/null)" ]; then return 0; fi
	! "$PY" - "$p" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
EOF
}

# free_port [EXCLUDE...]: print a free TCP port in 20000-32767 (below Linux's ephemeral
# range, so outgoing connections do not take it). Random start: parallel runs rarely collide,
# and the callers retry when the server still fails to bind.
free_port() {
	local p x skip
	for _ in $(seq 1 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12768))
		skip=
		for x in "$@"; do [ "$x" = "$p" ] && skip=1; done
		[ -z "$skip" ] || continue
		port_busy "$p" || { echo "$p"; return 0; }
	done
	die "no free TCP port found in 20000-32767"
}

# wait_port PORT SECONDS: wait until 127.0.0.1:PORT accepts a connection.
wait_port() {
	local port=$1 deadline=$((SECONDS + $2))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	return 1
}

# pid_alive PID: running and not a zombie (this machine's PID 1 reaps orphans only about once
# a second, and kill -0 succeeds on a zombie).
pid_alive() {
	local state
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "${state%% *}" != Z ]
}

# wait_reaped PID SECONDS: wait until PID no longer exists at all (not even as a zombie).
wait_reaped() {
	local deadline=$((SECONDS + $2))
	while kill -0 "$1" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
}

# wait_gone PID SECONDS: wait for PID to exit; SIGKILL after SECONDS.
wait_gone() {
	local pid=$1 deadline=$((SECONDS + $2))
	while pid_alive "$pid"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			note "pid $pid did not exit in $2 s; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			sleep 0.2
			return 0
		fi
		sleep 0.1
	done
}
