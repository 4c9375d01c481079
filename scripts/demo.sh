#!/usr/bin/env bash
# The main job, end to end on this machine: set up (packages, build, the
# official schemas), start ksefd with its embedded SQLite store on a free
# loopback port, make a KSeF token for a seller, generate a valid FA (3)
# invoice and send it through a whole interactive session with `ksef send`
# (authenticate, open, encrypt and send, close, wait for verification),
# then send it again (recognised as already accepted) and send another
# invoice under the same number (refused as a duplicate, 440).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh" >/dev/null
build=$here/build
# The build tree's programs find its schemas through the environment.
export KSEF_SCHEMA_DIR=${KSEF_SCHEMA_DIR:-$build/schemas}
work=$(mktemp -d)
nip=5265877635
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

echo "== start ksefd (data in $work/data)"
"$build/ksefd" --data "$work/data" --listen 127.0.0.1:0 \
	>"$work/ksefd.out" 2>"$work/ksefd.log" &
pid=$!
for _ in $(seq 100); do
	grep -q 'listening on' "$work/ksefd.out" 2>/dev/null && break
	sleep 0.1
done
base=$(sed -n 's/^ksefd: listening on //p' "$work/ksefd.out")
[ -n "$base" ] || { cat "$work/ksefd.log" >&2; exit 1; }
echo "ksefd: $base"

echo "== a KSeF token for seller $nip"
token=$("$build/ksefd" token create --data "$work/data" --nip "$nip")

echo "== generate an FA (3) invoice and check it offline"
"$build/ksef" generate --nip "$nip" --size 10000 > "$work/invoice.xml"
"$build/ksef" validate "$work/invoice.xml"

echo "== send it through an interactive session"
"$build/ksef" send --base-url "$base" --nip "$nip" --token "$token" \
	"$work/invoice.xml"

echo "== the same bytes again: KSeF answers 440, ksef recognises the resend"
"$build/ksef" send --base-url "$base" --nip "$nip" --token "$token" \
	"$work/invoice.xml"

echo "== other content under the same invoice number: a duplicate (440)"
sed 's#<P_1M>#<P_1M>Inne #' "$work/invoice.xml" > "$work/other.xml"
if "$build/ksef" send --base-url "$base" --nip "$nip" --token "$token" \
	"$work/other.xml"; then
	echo "demo: a duplicate was accepted" >&2
	exit 1
fi

echo "== ksefd's log"
cat "$work/ksefd.log"
echo "demo: done"
