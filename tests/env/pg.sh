#!/bin/bash
# A private PostgreSQL 15 cluster for tests and `make run`: Unix socket only (no TCP), in DIR.
#
#   pg.sh start DIR    initdb if needed, start if stopped; prints `export PGHOST=… PGPORT=… PGUSER=…`
#   pg.sh stop DIR     fast shutdown; fine if already stopped or never created
#   pg.sh status DIR   exit 0 running, 3 stopped, 4 no cluster
#
# As root the server runs as the `postgres` system user (DIR is chowned to it); as any other
# user it runs as that user. Starting a running cluster only prints its variables, so
# ./var/pg (make run) persists across runs. Several clusters in different DIRs can run at once.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PGBIN=/usr/lib/postgresql/15/bin

usage() { echo "usage: ${0##*/} start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
DIR=$(abs_dir "$2")
check_plain_path "$DIR"
DATA=$DIR/data
[ -x "$PGBIN/pg_ctl" ] || die "$PGBIN/pg_ctl not found: install postgresql-15"

if [ "$(id -u)" -eq 0 ]; then
	OSUSER=postgres
	id -u "$OSUSER" >/dev/null 2>&1 || die "system user 'postgres' is missing: install postgresql-15"
	as_pg() { (cd / && runuser -u "$OSUSER" -- "$@" 9<&-); }
else
	OSUSER=$(id -un)
	as_pg() { (cd / && "$@" 9<&-); }
fi

postmaster_pid() { head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true; }
# pg_ctl counts a dead postmaster that is still a zombie as running; we do not.
pg_running() {
	as_pg "$PGBIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1 && pid_alive "$(postmaster_pid)"
}

print_env() {
	local port
	port=$(cat "$DIR/port" 2>/dev/null) || die "$DIR/port missing although the server runs"
	echo "export PGHOST=$DIR PGPORT=$port PGUSER=postgres"
}

# A port is usable when no socket (or stale lock) of ours uses it and nothing listens on it.
port_ok() {
	[ ! -e "$DIR/.s.PGSQL.$1" ] && [ ! -e "$DIR/.s.PGSQL.$1.lock" ] && ! port_busy "$1"
}

do_start() {
	# The socket path must fit sun_path (107 bytes + NUL).
	[ $(( ${#DIR} + 17 )) -le 107 ] || die "DIR '$DIR' is too long for a Unix socket path (max 90 characters)"
	if [ "$(id -u)" -eq 0 ]; then
		check_traversable "$OSUSER" "$(dirname "$DIR")"
	fi
	mkdir -p "$DIR"
	if [ "$(id -u)" -eq 0 ]; then
		if [ -e "$DATA" ] && [ "$(stat -c %U "$DATA")" != "$OSUSER" ]; then
			die "$DATA belongs to $(stat -c %U "$DATA"), not $OSUSER; remove it or start as that user"
		fi
		chown "$OSUSER:" "$DIR"
	else
		[ -O "$DIR" ] || die "$DIR belongs to $(stat -c %U "$DIR"), not $OSUSER"
		[ ! -e "$DATA" ] || [ -O "$DATA" ] || die "$DATA belongs to $(stat -c %U "$DATA"), not $OSUSER"
	fi

	# Serialise concurrent starts of the same DIR (make run twice at once). as_pg closes fd 9,
	# so the postmaster does not inherit the lock.
	exec 9<"$DIR"
	flock 9

	if pg_running; then
		print_env
		return 0
	fi

	if [ ! -f "$DATA/PG_VERSION" ]; then
		if [ -e "$DATA" ] && [ -n "$(ls -A "$DATA")" ]; then
			die "$DATA exists, is not empty and holds no cluster; remove it"
		fi
		if ! as_pg "$PGBIN/initdb" -D "$DATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
			>"$DIR/initdb.log" 2>&1; then
			cat "$DIR/initdb.log" >&2
			die "initdb failed (log above, also in $DIR/initdb.log)"
		fi
	fi

	# A postmaster that died moments ago may still be a zombie; PostgreSQL would take its
	# lock file for a live server until it is reaped.
	wait_reaped "$(postmaster_pid)" 5

	local port tried=()
	port=$(cat "$DIR/port" 2>/dev/null || true)
	for _ in 1 2 3 4 5; do
		if [ -z "$port" ] || ! port_ok "$port"; then
			port=
			for _ in $(seq 1 50); do
				port=$(free_port "${tried[@]}")
				port_ok "$port" && break
				tried+=("$port")
				port=
			done
			[ -n "$port" ] || die "no free port for PostgreSQL"
		fi
		tried+=("$port")
		local before=0
		[ -f "$DIR/log" ] && before=$(wc -l <"$DIR/log")
		if as_pg "$PGBIN/pg_ctl" -D "$DATA" -w -t 60 -l "$DIR/log" -o \
			"-c listen_addresses='' -c unix_socket_directories=$DIR -p $port -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
			start >"$DIR/pg_ctl.out" 2>&1; then
			echo "$port" >"$DIR/port"
			print_env
			return 0
		fi
		# Another cluster took the port between our check and the bind: try another one.
		if tail -n +"$((before + 1))" "$DIR/log" 2>/dev/null | grep -qiE 'could not (bind|create lock file)|already in use'; then
			note "port $port taken meanwhile, retrying"
			port=
			continue
		fi
		break
	done
	cat "$DIR/pg_ctl.out" >&2 || true
	echo "--- tail of $DIR/log:" >&2
	tail -n 30 "$DIR/log" >&2 || true
	die "PostgreSQL did not start in $DIR"
}

do_stop() {
	if [ ! -f "$DATA/PG_VERSION" ]; then
		note "no cluster in $DIR; nothing to stop"
		return 0
	fi
	if ! pg_running; then
		return 0
	fi
	as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null \
		|| { pg_running && die "pg_ctl stop failed for $DATA"; }
	return 0
}

do_status() {
	if [ ! -f "$DATA/PG_VERSION" ]; then
		echo "no cluster in $DIR"
		return 4
	fi
	if pg_running; then
		echo "running: $(print_env)"
		return 0
	fi
	echo "stopped ($DIR)"
	return 3
}

case $cmd in
start) do_start;;
stop) do_stop;;
status) do_status;;
*) usage;;
esac
