#!/usr/bin/env bash
# The main job, end to end on this machine: set up (packages, build, the
# official schemas), generate a valid FA (3) invoice for a seller, verify
# it exactly as KSeF would on receipt, and show a rejection as well.
#
# While ksefd is being built (issue 3), this is the smaller job the core
# library supports: later it starts ksefd and sends the invoice through a
# whole interactive session with `ksef send`.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh" >/dev/null
ksef=$here/build/ksef
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nip=5265877635

echo "== generate three FA (3) invoices for seller $nip"
"$ksef" generate --nip "$nip" --count 3 --size 10000 --out "$work"
ls -l "$work"

echo "== verify them as KSeF does (XML rules + official XSD)"
"$ksef" validate "$work"/invoice-*.xml

echo "== the same invoice with a byte order mark is refused (status 430)"
printf '\xef\xbb\xbf' | cat - "$work/invoice-1.xml" > "$work/bom.xml"
if "$ksef" validate "$work/bom.xml"; then
	echo "demo: a BOM was accepted" >&2
	exit 1
fi
echo "demo: done"
