#!/usr/bin/env bash
# Record the exported ABI of libksef as the baseline that the abi/check
# test (tests/abi/abi_check.sh) compares every build against. Run it when a
# release deliberately changes the ABI: a compatible addition, or an
# incompatible change that comes with a new KSEF_ABI_VERSION (docs/abi.md).
#
#   scripts/abi-baseline.sh [BUILD_DIR]   (default: build, RelWithDebInfo)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
lib=$(readlink -f "$build/libksef.so")
abidw --headers-dir "$here/include/ksef" --headers-dir "$build/include/ksef" \
	--no-corpus-path --no-comp-dir-path --drop-undefined-syms \
	--out-file "$here/abi/libksef.abi" "$lib"
echo "abi-baseline: $(grep -c '<elf-symbol ' "$here/abi/libksef.abi") symbols recorded in abi/libksef.abi"
