#!/usr/bin/env bash
# Build the libFuzzer targets (clang, -DKSEF_BUILD_FUZZERS=ON: the library
# and ksefd's core instrumented, ASan and UBSan on) and run each one, then
# print per target what libFuzzer reached: executions, coverage (cov: edges,
# ft: features), the working corpus and the findings. docs/fuzzing.md.
#
#   scripts/fuzz.sh [SECONDS|-runs=N] [--update-corpus] [TARGET...]
#
# SECONDS (default 60) or N executions per target; targets are the names of
# tests/fuzz/<target>_fuzz.c (default: all). Each target starts from its
# committed corpus (tests/fuzz/corpus/<target>) and from what earlier runs
# found (build-fuzz/fuzz-work/<target>/corpus), so runs add up. Findings
# (crash-*, leak-*, timeout-*, oom-*) go to build-fuzz/fuzz-work/<target>/;
# replay one with build-fuzz/fuzz/ksef_fuzz_<target> FILE. With
# --update-corpus the committed corpus is replaced by a minimised merge
# (-merge=1 into a fresh folder, by edges) of itself and the working
# corpus; inputs named by hand (seeds, reproducers) are always kept.
#
# Environment: KSEF_SCHEMA_DIR (the invoice target needs the schemas;
# default build/schemas), KSEF_FUZZ_BUILD (default build-fuzz),
# KSEF_FUZZ_ARGS (more libFuzzer flags). Exit status 1 if anything was
# found.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${KSEF_FUZZ_BUILD:-$here/build-fuzz}
limit=(-max_total_time=60)
update=0
targets=()
for a in "$@"; do
	case $a in
	-runs=*) limit=("$a") ;;
	--update-corpus) update=1 ;;
	-h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*[!0-9]*) targets+=("$a") ;;
	*) limit=(-max_total_time="$a") ;;
	esac
done
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$here"/tests/fuzz/*_fuzz.c; do
		f=${f##*/}
		targets+=("${f%_fuzz.c}")
	done
fi
export KSEF_SCHEMA_DIR=${KSEF_SCHEMA_DIR:-$here/build/schemas}

cc=${CC:-clang}
command -v "$cc" >/dev/null || { echo "fuzz: $cc not found" >&2; exit 2; }
CC=$cc cmake -S "$here" -B "$build" -DKSEF_BUILD_FUZZERS=ON \
	-DKSEF_BUILD_BENCH=OFF -DKSEF_WERROR=ON \
	-DKSEF_SCHEMA_DIR="$KSEF_SCHEMA_DIR" >/dev/null
nice cmake --build "$build" -j"$(nproc)" \
	--target "${targets[@]/#/ksef_fuzz_}" >/dev/null

# The last status line libFuzzer printed: "#N DONE cov: C ft: F corp: K/B".
field() { sed -n "s/.* $1: \([^ ]*\).*/\1/p" <<<"$2"; }

found=0
echo "scripts/fuzz.sh $* ($(date -u +%Y-%m-%d), $("$cc" --version | head -1)," \
	"$(nproc) CPUs)"
printf '%-16s %11s %8s %6s %6s %16s %s\n' target execs exec/s cov ft \
	corpus findings
for t in "${targets[@]}"; do
	bin=$build/fuzz/ksef_fuzz_$t
	work=$build/fuzz-work/$t
	mkdir -p "$work/corpus"
	# shellcheck disable=SC2086 # KSEF_FUZZ_ARGS is a list of flags
	nice "$bin" "${limit[@]}" -timeout=25 -rss_limit_mb=2560 \
		-close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$work/" ${KSEF_FUZZ_ARGS:-} \
		"$work/corpus" "$here/tests/fuzz/corpus/$t" \
		>"$work/log" 2>&1 && rc=0 || rc=$?
	if [ "$rc" -eq 77 ]; then
		printf '%-16s skipped: %s\n' "$t" "$(tail -1 "$work/log")"
		continue
	fi
	last=$(grep -E '^#[0-9]+' "$work/log" | tail -1 || true)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
	n=$(find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o \
		-name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
	[ "$rc" -ne 0 ] && [ "$n" -eq 0 ] && n="exit $rc"
	[ "$n" != 0 ] && found=1
	printf '%-16s %11s %8s %6s %6s %16s %s\n' "$t" "${execs:-${last%% *}}" \
		"${speed:-?}" "$(field cov "$last")" "$(field ft "$last")" \
		"$(field corp "$last")" "$n"
	if [ "$update" -eq 1 ] && [ "$n" = 0 ]; then
		fresh=$work/merged
		rm -rf "$fresh"
		mkdir -p "$fresh"
		# Inputs named by hand (the seeds, and the reproducer of every
		# finding once fixed) stay as they are; only those libFuzzer
		# named by their SHA-1 are merged.
		find "$here/tests/fuzz/corpus/$t" -maxdepth 1 -type f \
			-regextype posix-extended ! -regex '.*/[0-9a-f]{40}' \
			-exec cp {} "$fresh/" \;
		# Edges only (-use_counters=0): the smallest set of inputs
		# that reaches every edge reached, for CTest to replay.
		nice "$bin" -merge=1 -use_counters=0 -close_fd_mask=3 "$fresh" \
			"$here/tests/fuzz/corpus/$t" "$work/corpus" \
			>"$work/merge.log" 2>&1
		rm -rf "$here/tests/fuzz/corpus/$t"
		mv "$fresh" "$here/tests/fuzz/corpus/$t"
		echo "  corpus/$t: $(find "$here/tests/fuzz/corpus/$t" -type f |
			wc -l) inputs after merging"
	fi
done
echo "logs and findings: $build/fuzz-work/<target>/"
exit "$found"
