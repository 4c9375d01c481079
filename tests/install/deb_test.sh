#!/usr/bin/env bash
# Build the Debian packages of a build folder with CPack and check each:
# its name, what it holds and what it depends on.
#
#   tests/install/deb_test.sh BUILD_DIR
set -euo pipefail

build=$(cd "${1:?usage: deb_test.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "deb_test: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/packages") >"$work/cpack.log" 2>&1 ||
	fail "cpack failed: $(cat "$work/cpack.log")"

# holds PACKAGE PATTERN...: the package has a file matching each pattern.
holds() {
	local deb=$1; shift
	dpkg-deb -c "$deb" | awk '{print $6}' >"$work/list"
	for pat in "$@"; do
		grep -Eq "$pat" "$work/list" || fail "$(basename "$deb") lacks $pat"
	done
}
# depends PACKAGE NAME...: the package's Depends names each.
depends() {
	local deb=$1; shift
	local d
	d=$(dpkg-deb -f "$deb" Depends)
	for name in "$@"; do
		grep -q "$name" <<<"$d" || fail "$(basename "$deb") does not depend on $name: $d"
	done
}

debs=("$work"/packages/*.deb)
[ "${#debs[@]}" -eq 4 ] || fail "expected 4 packages, got ${#debs[@]}"
lib=$(ls "$work"/packages/libksef[0-9]*_*.deb)
dev=$(ls "$work"/packages/libksef-dev_*.deb)
tools=$(ls "$work"/packages/ksef_*.deb)
server=$(ls "$work"/packages/ksefd_*.deb)

holds "$lib" '/libksef\.so\.[0-9]+$' '/doc/ksef/LICENSE$'
dpkg-deb -c "$lib" | grep -q 'include/' && fail "the library package holds headers"
holds "$dev" '/include/ksef/ksef\.h$' '/include/ksef/version\.h$' \
	'/libksef\.a$' '/libksef\.so$' '/pkgconfig/libksef\.pc$' \
	'/cmake/ksef/ksefConfig\.cmake$'
holds "$tools" '/bin/ksef$' '/man1/ksef\.1$'
holds "$server" '/bin/ksefd$' '/man8/ksefd\.8$'

libname=$(dpkg-deb -f "$lib" Package)
depends "$lib" libssl3 libxml2 libxmlsec1-openssl libcurl libjansson
depends "$dev" "$libname"
depends "$tools" "$libname"
depends "$server" "$libname" libmicrohttpd libsqlite3 libjwt
echo "deb_test: $(cd "$work/packages" && ls | tr '\n' ' ')"
