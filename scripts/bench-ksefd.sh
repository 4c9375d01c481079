#!/usr/bin/env bash
# Start a fresh ksefd on a free loopback port and run bench_ksefd against
# it. Arguments go to bench_ksefd (e.g. --invoices 2000 --threads 8).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${KSEF_BUILD:-$here/build}
export KSEF_SCHEMA_DIR=${KSEF_SCHEMA_DIR:-$build/schemas}
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
"$build/ksefd" --data "$work/data" --workers "${KSEFD_WORKERS:-2}" \
	>"$work/out" 2>/dev/null &
pid=$!
for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^ksefd: listening on //p' "$work/out")
token=$("$build/ksefd" token create --data "$work/data" --nip 5265877635)
"$build/bench/bench_ksefd" --base-url "$base" --nip 5265877635 --token "$token" "$@"
