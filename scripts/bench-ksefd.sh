#!/usr/bin/env bash
# Start a fresh ksefd on a free loopback port and run bench_ksefd against
# it; docs/benchmarks.md explains the report. Arguments go to bench_ksefd:
#
#   scripts/bench-ksefd.sh --invoices 4000 --threads 8       closed loop
#   scripts/bench-ksefd.sh --invoices 4000 --in-flight 4     4 in flight a session
#   scripts/bench-ksefd.sh --rate 500,1000,1500 --duration 10  open loop
#   scripts/bench-ksefd.sh --invoices 200 --size 1000000     1 MB invoices
#   scripts/bench-ksefd.sh --invoices 10000 --threads 1      one full session
#
# The server gets --workers $KSEFD_WORKERS (default 2), no seeming
# processing time (--processing-delay 0: it is not work), and then the words
# of $KSEFD_ARGS. bench_ksefd gets the server's pid, for its CPU and memory
# from /proc, and a scratch folder beside the server's data, so that the
# SQLite ceiling pays the same disk's fsync. KSEF_BENCH_DIR chooses where
# both live (default: a new folder under $TMPDIR or /tmp).
#
# On PostgreSQL: KSEFD_STORE is a libpq connection string (key=value) of a
# database; the run's store is a new schema in it, dropped at the end.
# KSEFD_NODES (default 1) starts that many nodes on it; bench_ksefd spreads
# its clients over them and sums their CPU. KSEFD_DB_PID, the postmaster's
# pid, adds the database's CPU to the report (it must run on this machine).
#
#   eval "$(scripts/pg-cluster.sh start /tmp/pg)"
#   KSEFD_STORE=$KSEF_TEST_PG KSEFD_NODES=2 \
#   KSEFD_DB_PID=$(head -1 /tmp/pg/data/postmaster.pid) \
#       scripts/bench-ksefd.sh --invoices 16000 --threads 8 --in-flight 4
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${KSEF_BUILD:-$here/build}
export KSEF_SCHEMA_DIR=${KSEF_SCHEMA_DIR:-$build/schemas}
work=$(mktemp -d "${KSEF_BENCH_DIR:-${TMPDIR:-/tmp}}/ksefd-bench.XXXXXX")
nodes=${KSEFD_NODES:-1}
pids=() bases=() store=() schema=
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$schema" ]; then
		psql "$KSEFD_STORE" -qX -c "SET client_min_messages = warning" \
			-c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
if [ -n "${KSEFD_STORE:-}" ]; then
	schema=bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	psql "$KSEFD_STORE" -qX -v ON_ERROR_STOP=1 \
		-c "CREATE SCHEMA $schema" >/dev/null
	store=(--store "$KSEFD_STORE options='-c search_path=$schema'")
elif [ "$nodes" -ne 1 ]; then
	echo "bench-ksefd: KSEFD_NODES needs KSEFD_STORE (PostgreSQL)" >&2
	exit 2
fi
for i in $(seq "$nodes"); do
	# shellcheck disable=SC2086 # KSEFD_ARGS is a list of words by design
	"$build/ksefd" --data "$work/data$i" "${store[@]}" \
		--workers "${KSEFD_WORKERS:-2}" --processing-delay 0 \
		${KSEFD_ARGS:-} >"$work/out$i" 2>"$work/err$i" &
	pids+=($!)
	for _ in $(seq 100); do
		grep -q listening "$work/out$i" 2>/dev/null && break
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	base=$(sed -n 's/^ksefd: listening on //p' "$work/out$i")
	if [ -z "$base" ]; then
		echo "bench-ksefd: ksefd did not start:" >&2
		cat "$work/err$i" >&2
		exit 1
	fi
	bases+=("$base")
done
token=$("$build/ksefd" token create --data "$work/data1" "${store[@]}" \
	--nip 5265877635)
mkdir "$work/scratch"
db=()
[ -z "${KSEFD_DB_PID:-}" ] || db=(--db-pid "$KSEFD_DB_PID")
"$build/bench/bench_ksefd" --base-url "$(IFS=,; echo "${bases[*]}")" \
	--nip 5265877635 --token "$token" "${db[@]}" \
	--server-pid "$(IFS=,; echo "${pids[*]}")" \
	--scratch-dir "$work/scratch" "$@"
