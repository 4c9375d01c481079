#!/usr/bin/env bash
# Set everything up and run the whole test suite four ways:
#   1. the normal build (RelWithDebInfo), through CTest, including the ABI
#      check against abi/libksef.abi and the end-to-end suite a second time
#      on the PostgreSQL store (pg/, on a throwaway cluster of
#      scripts/pg-cluster.sh);
#   2. every unit test program under valgrind (a leak or memory error fails);
#   3. a plain Release build for /usr, installed into a temporary prefix
#      with two consumer programs built against it, and its Debian packages;
#   4. an AddressSanitizer + UndefinedBehaviorSanitizer build, through CTest,
#      on both stores.
#
#   scripts/test.sh [--quick]    (--quick: only the first)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
quick=0
[ "${1:-}" = --quick ] && quick=1

"$here/scripts/setup.sh"
# The cluster lives in a folder its owner (postgres, when this runs as
# root) can reach; it is stopped and removed however the tests end.
pg=$(mktemp -d /tmp/ksef-pg.XXXXXX)
chmod 755 "$pg"
trap '"$here/scripts/pg-cluster.sh" stop "$pg"' EXIT
eval "$("$here/scripts/pg-cluster.sh" start "$pg")"
(cd "$here/build" && ctest --output-on-failure -j2 -LE 'valgrind|install')
[ $quick -eq 1 ] && exit 0

(cd "$here/build" && ctest --output-on-failure -j2 -L valgrind)

KSEF_SCHEMAS_FROM="$here/build/schemas" "$here/scripts/setup.sh" --release
(cd "$here/build-release" && ctest --output-on-failure -L install)

KSEF_SCHEMAS_FROM="$here/build/schemas" "$here/scripts/setup.sh" --sanitize
(cd "$here/build-asan" &&
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --output-on-failure -j2)
