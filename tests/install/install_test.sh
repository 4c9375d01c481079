#!/usr/bin/env bash
# Install the build into a temporary prefix, as a packager would, and use
# it as a vendor would: every file in place, the programs run from the
# prefix, and two consumer programs built against the installed library,
# one with `pkg-config --cflags --libs libksef` and one with
# find_package(ksef), both run.
#
#   tests/install/install_test.sh BUILD_DIR
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: install_test.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "install_test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$work/install.log" ||
	fail "cmake --install failed: $(cat "$work/install.log")"

# The layout: libdir is lib/ or lib/<multiarch>/ as GNUInstallDirs chose.
pc=$(find "$prefix" -name libksef.pc)
[ -n "$pc" ] || fail "no libksef.pc installed"
libdir=$(dirname "$(dirname "$pc")")
soname=$(objdump -p "$libdir/libksef.so" | sed -n 's/^ *SONAME *//p')
for f in "$libdir/$soname" "$libdir/libksef.so" "$libdir/libksef.a" \
	"$libdir/cmake/ksef/ksefConfig.cmake" \
	"$libdir/cmake/ksef/ksefConfigVersion.cmake" \
	"$prefix/include/ksef/ksef.h" "$prefix/include/ksef/version.h" \
	"$prefix/bin/ksef" "$prefix/bin/ksefd" \
	"$prefix/share/man/man1/ksef.1" "$prefix/share/man/man8/ksefd.8" \
	"$prefix/lib/systemd/system/ksefd.service" \
	"$prefix/lib/sysusers.d/ksefd.conf" \
	"$prefix/share/ksef/ksefd.conf.example"; do
	[ -e "$f" ] || fail "$f is not installed"
done
# Nothing private leaks into the installed headers.
[ ! -e "$prefix/include/ksef/internal.h" ] || fail "a private header is installed"
ls "$prefix/include" | grep -qvx ksef && fail "headers outside include/ksef"
# No build folder is compiled into what is installed (the constant data;
# debug information may name where it was built, as it should).
for f in "$libdir/$soname" "$prefix/bin/ksef" "$prefix/bin/ksefd"; do
	if readelf -p .rodata "$f" | grep -F "$build" >/dev/null; then
		fail "$f names the build folder $build"
	fi
done

export LD_LIBRARY_PATH=$libdir
# The installed programs use the installed library.
ldd "$prefix/bin/ksef" | grep -F "$libdir/libksef.so" >/dev/null ||
	fail "ksef does not load $libdir/libksef.so: $(ldd "$prefix/bin/ksef")"
"$prefix/bin/ksef" --version | grep -q "^ksef [0-9]" ||
	fail "ksef --version"
"$prefix/bin/ksefd" --version | grep -q "[0-9]\.[0-9]" ||
	fail "ksefd --version"

# The installed ksef fetches the schemas into the user's data folder and
# validates with them, no build folder and no KSEF_SCHEMA_DIR involved.
if [ -n "${KSEF_SCHEMA_DIR:-}" ] && [ -d "$KSEF_SCHEMA_DIR/FA" ] &&
	[ -r "$prefix/share/ksef/schemas.sha256" ]; then
	from=$KSEF_SCHEMA_DIR
	(
		unset KSEF_SCHEMA_DIR
		export XDG_DATA_HOME=$work/data HOME=$work/home
		# The digest list is looked for under the configured prefix, not
		# this temporary one, so it is named.
		"$prefix/bin/ksef" schemas fetch --from "$from" \
			--sums "$prefix/share/ksef/schemas.sha256" >/dev/null ||
			fail "ksef schemas fetch into the user's data folder"
		[ -r "$work/data/ksef/schemas/FA/schemat_FA(3)_v1-0E.xsd" ] ||
			fail "the schemas are not in \$XDG_DATA_HOME/ksef/schemas"
		"$prefix/bin/ksef" generate --nip 5265877635 >"$work/inv.xml"
		"$prefix/bin/ksef" validate "$work/inv.xml" >/dev/null ||
			fail "the installed ksef does not validate with the fetched schemas"
	) || exit 1
else
	echo "install_test: no schemas or digest list here; fetch not tried"
fi

# 1. pkg-config, with the prefix moved to where it was installed.
export PKG_CONFIG_PATH=$libdir/pkgconfig
flags=$(pkg-config --define-variable=prefix="$prefix" --cflags --libs libksef) ||
	fail "pkg-config does not know libksef"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -o "$work/consumer_pc" \
	"$here/consumer.c" $flags || fail "the pkg-config consumer does not build"
"$work/consumer_pc" || fail "the pkg-config consumer failed"
# pkg-config --static names the dependencies of a static link.
pkg-config --define-variable=prefix="$prefix" --static --libs libksef | grep -q -- -lcrypto ||
	fail "pkg-config --static does not name OpenSSL"

# 2. find_package(ksef): ksef::ksef and ksef::ksef_static.
cmake -S "$here/cmake_consumer" -B "$work/cmake_consumer" \
	-DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake.log" 2>&1 ||
	fail "find_package(ksef) failed: $(cat "$work/cmake.log")"
cmake --build "$work/cmake_consumer" >"$work/build.log" 2>&1 ||
	fail "the CMake consumer does not build: $(cat "$work/build.log")"
"$work/cmake_consumer/consumer_shared" ||
	fail "the CMake consumer (shared) failed"
"$work/cmake_consumer/consumer_static" ||
	fail "the CMake consumer (static) failed"
ldd "$work/cmake_consumer/consumer_static" | grep -q libksef &&
	fail "the static consumer loads libksef.so"
echo "install_test: installed, found by pkg-config and CMake, consumers run"
