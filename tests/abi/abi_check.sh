#!/usr/bin/env bash
# Compare the exported ABI of the libksef just built against the committed
# baseline abi/libksef.abi (scripts/abi-baseline.sh), with libabigail's
# abidiff, looking only at types the public headers declare. An
# incompatible change (a function or type changed or removed, the SONAME
# changed) fails; a compatible one (a function added) passes with the
# report, as a reminder to record a new baseline when releasing.
#
#   tests/abi/abi_check.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=${1:?usage: abi_check.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: abi_check.sh SOURCE_DIR BUILD_DIR}
lib=$(readlink -f "$build/libksef.so")
[ -r "$src/abi/libksef.abi" ] || {
	echo "abi_check: no baseline at abi/libksef.abi (scripts/abi-baseline.sh)" >&2
	exit 1
}

# abidiff's exit status is a bit field: 1 error, 2 usage, 4 the ABI
# changed, 8 the change is incompatible (a symbol removed). A changed
# parameter or struct is only "changed" (4) to abidiff, so with added
# symbols left out of the comparison any change at all fails: a release
# may add functions, never alter one.
diff_args=(--headers-dir2 "$src/include/ksef" --headers-dir2 "$build/include/ksef"
	--suppressions "$src/abi/suppressions.ini" --fail-no-debug-info
	"$src/abi/libksef.abi" "$lib")
abidiff --no-added-syms "${diff_args[@]}" >"$build/abidiff.txt" 2>&1
rc=$?
if [ $((rc & 3)) -ne 0 ]; then
	cat "$build/abidiff.txt" >&2
	echo "abi_check: abidiff could not compare (status $rc)" >&2
	exit 1
fi
if [ $((rc & 12)) -ne 0 ]; then
	cat "$build/abidiff.txt" >&2
	echo "abi_check: the ABI differs from abi/libksef.abi beyond additions" >&2
	exit 1
fi
abidiff "${diff_args[@]}" >"$build/abidiff.txt" 2>&1
if [ $(($? & 4)) -ne 0 ]; then
	cat "$build/abidiff.txt"
	echo "abi_check: additions only; record them with scripts/abi-baseline.sh when releasing"
fi
echo "abi_check: compatible with abi/libksef.abi"
