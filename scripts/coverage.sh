#!/usr/bin/env bash
# Line and branch coverage of libksef, ksefd and ksef by the whole CTest
# suite (valgrind runs left out: they repeat the same programs), measured
# with gcov and summarised by gcovr. docs/coverage.md states the figure.
#
#   scripts/coverage.sh [--html DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build-coverage
html=
[ "${1:-}" = --html ] && html=${2:?--html needs a folder}

command -v gcovr >/dev/null || {
	sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get install -y -qq --no-install-recommends gcovr >/dev/null
}
"$here/scripts/setup.sh" >/dev/null # packages and the schemas
cmake -S "$here" -B "$build" -DKSEF_COVERAGE=ON -DKSEF_WERROR=ON \
	-DKSEF_BUILD_BENCH=OFF -DKSEF_SCHEMA_DIR="$here/build/schemas" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
find "$build" -name '*.gcda' -delete
(cd "$build" && ctest -j2 -LE 'valgrind|install' >/dev/null) || {
	echo "coverage: some test failed; run ctest in $build" >&2
	exit 1
}
args=(--root "$here" --filter "$here/src/" --exclude-unreachable-branches
	--gcov-ignore-parse-errors --txt "$build/coverage.txt" --print-summary)
[ -n "$html" ] && args+=(--html-details "$html/index.html") && mkdir -p "$html"
gcovr "${args[@]}" "$build" >"$build/summary.txt"
# Lines by folder, then the totals; every file is in coverage.txt.
awk '$1 ~ /^src\// { split($1, p, "/"); d = p[1] "/" p[2];
		lines[d] += $2; run[d] += $3 }
	END { for (d in lines) printf "%-12s %6d lines, %6d run: %5.1f%%\n",
		d, lines[d], run[d], 100 * run[d] / lines[d] }' \
	"$build/coverage.txt" | sort
cat "$build/summary.txt"
echo "coverage: every file in $build/coverage.txt"
