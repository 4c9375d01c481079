#!/usr/bin/env bash
# A long run of ksefd at a steady load, to see that nothing grows that
# should not: every minute (or --round S seconds) a round of open-loop
# sending at RATE invoices a second (8 sessions a round, each invoice's
# final status read back through the session listings), then one line of
# the server's RSS, open file descriptors, data folder size and the
# round's latency percentiles. After the first rounds the columns should
# stay flat; docs/benchmarks.md records a run.
#
#   scripts/soak.sh MINUTES [--rate R] [--round S]
#
# RATE defaults to 80 % of the capacity measured first by a closed loop
# (8 sessions × 4 in flight, 4000 invoices). The server's stderr (its
# request log) goes to /dev/null, as in production it would go to a file.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${KSEF_BUILD:-$here/build}
export KSEF_SCHEMA_DIR=${KSEF_SCHEMA_DIR:-$build/schemas}

usage() {
	echo "usage: scripts/soak.sh MINUTES [--rate R] [--round SECONDS]" >&2
	exit 2
}
[ $# -ge 1 ] || usage
minutes=$1
shift
rate= round=60
while [ $# -gt 0 ]; do
	case $1 in
	--rate) rate=${2:?}; shift 2 ;;
	--round) round=${2:?}; shift 2 ;;
	*) usage ;;
	esac
done
case $minutes$round${rate:-1} in *[!0-9]*) usage ;; esac
rounds=$((minutes * 60 / round))
[ "$rounds" -ge 1 ] || usage

work=$(mktemp -d "${TMPDIR:-/tmp}/ksefd-soak.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
"$build/ksefd" --data "$work/data" >"$work/out" 2>/dev/null &
pid=$!
for _ in $(seq 100); do
	grep -q listening "$work/out" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
base=$(sed -n 's/^ksefd: listening on //p' "$work/out")
[ -n "$base" ] || { echo "soak: ksefd did not start" >&2; exit 1; }
token=$("$build/ksefd" token create --data "$work/data" --nip 5265877635)
bench() {
	"$build/bench/bench_ksefd" --base-url "$base" --nip 5265877635 \
		--token "$token" --server-pid "$pid" --verify-invoices 0 \
		--sqlite-rows 0 "$@"
}

if [ -z "$rate" ]; then
	cap=$(bench --invoices 4000 --threads 8 --in-flight 4 2>/dev/null |
	      sed -n 's/^ *verified end to end *\([0-9]*\) invoices.*/\1/p')
	[ -n "$cap" ] || { echo "soak: capacity not measured" >&2; exit 1; }
	rate=$((cap * 8 / 10))
	echo "capacity: $cap invoices/s verified end to end; soak at $rate/s"
fi

# A session takes 10,000 invoices: enough sessions for a round's.
sessions=$((rate * round / 9000 + 1))
[ "$sessions" -ge 8 ] || sessions=8
echo "round  rate/s  p50 ms  p99 ms  max ms  errors  RSS MB  fds  data MB"
for r in $(seq "$rounds"); do
	line=$(bench --rate "$rate" --duration "$round" \
		--threads "$sessions" 2>/dev/null |
	       awk -v r="$rate" '$1 == r && NF >= 7 { print; exit }') || true
	rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
	fds=$(ls "/proc/$pid/fd" | wc -l)
	data=$(du -sm "$work/data" | cut -f1)
	if [ -z "$line" ]; then
		echo "soak: round $r: no report (is ksefd alive?)" >&2
		exit 1
	fi
	set -- $line
	printf '%5d  %6s  %6s  %6s  %6s  %6s  %6s  %4s  %7s\n' "$r" "$2" \
		"$3" "$5" "$6" "$7" "$rss" "$fds" "$data"
done
