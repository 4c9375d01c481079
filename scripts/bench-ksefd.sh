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
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${KSEF_BUILD:-$here/build}
export KSEF_SCHEMA_DIR=${KSEF_SCHEMA_DIR:-$build/schemas}
work=$(mktemp -d "${KSEF_BENCH_DIR:-${TMPDIR:-/tmp}}/ksefd-bench.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
# shellcheck disable=SC2086 # KSEFD_ARGS is a list of words by design
"$build/ksefd" --data "$work/data" --workers "${KSEFD_WORKERS:-2}" \
	--processing-delay 0 \
	${KSEFD_ARGS:-} >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
	grep -q listening "$work/out" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
base=$(sed -n 's/^ksefd: listening on //p' "$work/out")
if [ -z "$base" ]; then
	echo "bench-ksefd: ksefd did not start:" >&2
	cat "$work/err" >&2
	exit 1
fi
token=$("$build/ksefd" token create --data "$work/data" --nip 5265877635)
mkdir "$work/scratch"
"$build/bench/bench_ksefd" --base-url "$base" --nip 5265877635 \
	--token "$token" --server-pid "$pid" --scratch-dir "$work/scratch" "$@"
