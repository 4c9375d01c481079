#!/usr/bin/env bash
# Set up a Debian/Ubuntu machine for ksef and build it:
#   1. install the Debian packages the build and tests need (only those
#      missing; apt-get update first),
#   2. configure and build with CMake into the build folder,
#   3. fetch and verify the official invoice schemas into <build>/schemas.
#
#   scripts/setup.sh [--sanitize | --release] [--build-dir DIR]
#
# --sanitize builds with ASan+UBSan into build-asan, --release a plain
# Release build into build-release (the packaging test's).
#
# Environment: KSEF_SCHEMAS_FROM (a folder holding the schemas, instead of
# the npm registry), KSEF_SCHEMAS_SHA256 (the digest list).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
cmake_args=()

while [ $# -gt 0 ]; do
	case $1 in
	--sanitize) cmake_args+=(-DKSEF_SANITIZE=ON); build=$here/build-asan; shift ;;
	--release) cmake_args+=(-DCMAKE_BUILD_TYPE=Release -DKSEF_BUILD_BENCH=OFF
		-DCMAKE_INSTALL_PREFIX=/usr)
		build=$here/build-release; shift ;;
	--build-dir) build=$(realpath -m "${2:?}"); shift 2 ;;
	*) echo "setup: unknown option $1" >&2; exit 2 ;;
	esac
done

packages=(build-essential g++ cmake pkg-config git ca-certificates openssl
	libssl-dev libxml2-dev libxml2-utils libxmlsec1-dev xmlsec1
	libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev libsqlite3-dev
	sqlite3 libjwt-dev libcmocka-dev valgrind npm curl python3 abigail-tools
	dpkg-dev file libqrencode-dev libpng-dev zbar-tools libarchive-dev
	libsystemd-dev libxslt1-dev chromium chromium-driver libpq-dev
	postgresql nginx-light)

missing=()
for p in "${packages[@]}"; do
	# npm may come from elsewhere (nodesource, nvm): the command is enough.
	if [ "$p" = npm ] && command -v npm >/dev/null; then
		continue
	fi
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S "$here" -B "$build" -DKSEF_WERROR=ON -DKSEF_SCHEMA_DIR="$build/schemas" \
	"${cmake_args[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
"$here/scripts/fetch-schemas.sh" "$build/schemas"
echo "setup: built in $build"
