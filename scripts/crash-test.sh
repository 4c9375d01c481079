#!/usr/bin/env bash
# Kill -9 cycles of ksefd under load, then a count of what the crashes
# cost: invoices answered 202 that were lost, left stuck at 100/150 or
# stored twice, and whether the store passed SQLite's integrity check after
# every crash.
#
#   scripts/crash-test.sh CYCLES [OPTIONS]
#
# OPTIONS go to crash_load (tests/e2e/crash_load.c): --threads T (sessions
# sending at once, 4), --kill-ms MIN-MAX (when the kill comes, 300-2000 ms
# into the load), --settle S (the final wait for verdicts, 120 s),
# --size BYTES (invoice size, 2000), --seed SEED, --nodes N (N nodes on one
# shared store, one killed a cycle: run with KSEFD=tests/support/ksefd_pg.sh
# and KSEF_TEST_PG, as pg/e2e/crash_nodes does).
#
# Exit status: 0 when nothing was lost, stuck or duplicated and every
# integrity check passed, 1 when something was, 2 on a usage or setup
# error, 77 when the official schemas are absent. On failure the data
# folder, ksefd's log (data/ksefd.log) and the client's journal are kept.
# See docs/durability.md.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${KSEF_BUILD:-${KSEF_BUILD_DIR:-$here/build}}
if [ $# -lt 1 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: crash-test.sh CYCLES [--threads T] [--kill-ms MIN-MAX]" \
		"[--settle S] [--size BYTES] [--seed SEED] [--nodes N]" >&2
	exit 2
fi
cycles=$1
shift
prog=$build/tests/crash_load
if [ ! -x "$prog" ] || [ ! -x "$build/ksefd" ]; then
	echo "crash-test.sh: build ksefd and crash_load first" \
		"(cmake --build build --target ksefd crash_load)" >&2
	exit 2
fi
# The harness runs $KSEF_BUILD_DIR/ksefd.
export KSEF_BUILD_DIR=$build
export KSEF_SCHEMA_DIR=${KSEF_SCHEMA_DIR:-$build/schemas}

work=$(mktemp -d "${TMPDIR:-/tmp}/ksef-crash-XXXXXX")
child=
rc=2
# Whatever ends this script, no ksefd of ours outlives it: the one serving
# the data folder has its pid in the lock file (docs/ksefd.md).
finish() {
	local pid
	[ -n "$child" ] && kill "$child" 2>/dev/null
	pid=$(cat "$work/data/ksefd.lock" 2>/dev/null | tr -dc 0-9) || true
	if [ -n "$pid" ] && grep -qF "$work/data" "/proc/$pid/cmdline" \
		2>/dev/null; then
		kill -9 "$pid" 2>/dev/null || true
	fi
	# Nodes on a shared store hold no lock: find them by their folder.
	pkill -9 -f -- "--data $work/data" 2>/dev/null || true
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || [ ! -e "$work/journal" ]; then
		rm -rf "$work"
	else
		echo "crash-test.sh: kept $work (journal, data/ksefd.log)" >&2
	fi
}
trap finish EXIT
trap 'exit 2' INT TERM

"$prog" --cycles "$cycles" --data "$work/data" --journal "$work/journal" \
	"$@" &
child=$!
set +e
wait "$child"
rc=$?
set -e
child=
exit "$rc"
