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
holds "$server" '/bin/ksefd$' '/man8/ksefd\.8$' \
	'/lib/systemd/system/ksefd\.service$' '/lib/sysusers\.d/ksefd\.conf$' \
	'/share/ksef/ksefd\.conf\.example$'
# The unit starts the installed ksefd with the settings postinst puts in
# /etc, and postinst is there to do it.
dpkg-deb --fsys-tarfile "$server" | tar -xOf - ./usr/lib/systemd/system/ksefd.service \
	>"$work/unit" || fail "cannot read ksefd.service from $(basename "$server")"
# The paths are the configured prefix's: a package is made from a build
# for /usr (scripts/setup.sh --release), as ksefd's schema folder is.
want='ExecStart=/usr/bin/ksefd --config /etc/ksefd/ksefd.conf'
grep -q '^CMAKE_INSTALL_PREFIX:PATH=/usr$' "$build/CMakeCache.txt" ||
	want="ExecStart=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' \
		"$build/CMakeCache.txt")/bin/ksefd --config .*/ksefd/ksefd.conf"
grep -qx "$want" "$work/unit" ||
	fail "ksefd.service: $(grep ExecStart "$work/unit"), not $want"
dpkg-deb --ctrl-tarfile "$server" | tar -tf - | grep -qx './postinst' ||
	fail "$(basename "$server") has no postinst"

libname=$(dpkg-deb -f "$lib" Package)
depends "$lib" libssl3 libxml2 libxmlsec1-openssl libcurl libjansson
depends "$dev" "$libname"
depends "$tools" "$libname"
depends "$server" "$libname" libmicrohttpd libsqlite3 libjwt
# sd_notify (KSEF_WITH_SYSTEMD): a ksefd that links libsystemd needs it.
if readelf -d "$build/ksefd" | grep -q 'libsystemd\.so'; then
	depends "$server" libsystemd0
fi
echo "deb_test: $(cd "$work/packages" && ls | tr '\n' ' ')"
