#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks, in a folder
# of its own: no system service, no port on the network (a Unix socket in
# the folder), trust for local connections, stopped and removed at will.
#
#   scripts/pg-cluster.sh start DIR   start it (initdb first if DIR is new)
#                                     and print the line that points the
#                                     tests at it:
#                                     export KSEF_TEST_PG='host=... dbname=ksef'
#   scripts/pg-cluster.sh stop DIR    stop it and remove DIR
#
#   eval "$(scripts/pg-cluster.sh start /tmp/pg)"; ctest -L pg; ...
#
# KSEF_PG_OPTIONS adds server settings ("-c fsync=off" for a quick local
# run beside a benchmark; the tests' figures never come from such a run).
#
# initdb refuses to run as root: as root, the cluster belongs to the
# 'postgres' user that Debian's postgresql package creates (or to nobody).
set -euo pipefail

cmd=${1:-} dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] ||
	{ echo "usage: $0 start|stop DIR" >&2; exit 2; }
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] ||
	{ echo "$0: no PostgreSQL server (Debian's postgresql)" >&2; exit 1; }

owner=$(id -un)
as() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
	owner=postgres
	id postgres >/dev/null 2>&1 || owner=nobody
	as() { runuser -u "$owner" -- "$@"; }
fi

case "$cmd" in
start)
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		mkdir -p "$dir"
		chown "$owner" "$dir" 2>/dev/null || true
		as "$bin/initdb" -D "$dir/data" -U "$owner" -A trust -E UTF8 \
			--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; exit 1; }
	fi
	# Durable commits as in production (fsync, synchronous_commit on);
	# enough connections for several ksefd nodes and parallel tests.
	as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
		-o "-c listen_addresses='' -c unix_socket_directories='$dir'" \
		-o "-c max_connections=300 -c shared_buffers=128MB" \
		-o "-c fsync=on -c synchronous_commit=on ${KSEF_PG_OPTIONS:-}" \
		start >&2 ||
		{ cat "$dir/server.log" >&2; exit 1; }
	as "$bin/psql" -h "$dir" -U "$owner" -d postgres -qAtX \
		-c "SELECT 1 FROM pg_database WHERE datname = 'ksef'" |
		grep -q 1 ||
		as "$bin/createdb" -h "$dir" -U "$owner" ksef
	echo "export KSEF_TEST_PG='host=$dir user=$owner dbname=ksef'"
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as "$bin/pg_ctl" -D "$dir/data" -m fast -w -s stop >&2 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: $0 start|stop DIR" >&2
	exit 2
	;;
esac
