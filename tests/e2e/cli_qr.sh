#!/usr/bin/env bash
# KOD I end to end: `ksef send --qr-dir` against the real ksefd writes each
# accepted invoice's QR code beside its UPO; zbarimg decodes it to a link
# under ksefd's own root; GET on that link finds the invoice (HTML and
# JSON), and a link with a tampered hash, another date or another NIP
# does not. Malformed links get 400, other methods 405, and no token is
# needed. Skipped (77) without zbarimg or the official schemas.
. "$(dirname "$0")/lib.bash"
need_schemas
command -v zbarimg >/dev/null || { echo "skipped: no zbarimg (zbar-tools)"; exit 77; }

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
nip=5265877635
start_ksefd "$WORK/data"
base=$KSEFD_BASE
root=${base%/v2}
token=$("$KSEFD" token create --data "$WORK/data" --nip $nip)

mkdir -p "$WORK/inv"
"$KSEF" generate --nip $nip --seed 31 --date 2026-02-01 --count 2 --out "$WORK/inv" >/dev/null
check "send with --qr-dir beside the UPOs" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" --upo-dir "$WORK/upo" --qr-dir "$WORK/upo" "$WORK"/inv/*.xml
check "two QR codes beside two UPOs" 0 test "$(ls "$WORK"/upo/$nip-*.png | wc -l)" -eq 2 -a "$(ls "$WORK"/upo/$nip-*.xml | wc -l)" -eq 2
for png in "$WORK"/upo/$nip-*.png; do
	check "$(basename "$png") has its UPO" 0 test -f "${png%.png}.xml"
done

# One of the codes, read back; which file it is comes from its hash.
ksef1=$(basename "$(ls "$WORK"/upo/$nip-*.png | head -1)" .png)
link=$(zbarimg -q --raw "$WORK/upo/$ksef1.png" 2>/dev/null)
hash=$(openssl dgst -sha256 -binary "$WORK/inv/invoice-1.xml" | base64 | tr '+/' '-_' | tr -d '=')
hash2=$(openssl dgst -sha256 -binary "$WORK/inv/invoice-2.xml" | base64 | tr '+/' '-_' | tr -d '=')
case $link in
*/$hash) file=invoice-1.xml ;;
*/$hash2) file=invoice-2.xml; hash=$hash2 ;;
*) file= ;;
esac
check "the code decodes to a link under ksefd's root" 0 test "$link" = "$root/invoice/$nip/01-02-2026/$hash"
check "  the link of the file sent" 0 test -n "$file"
check "  and ksef qr invoice gives the same link" 0 test "$("$KSEF" qr invoice "$WORK/inv/$file" --base-url "$base" --out "$WORK/same.png")" = "$link"

code() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }

check "GET the link: 200" 0 test "$(code "$link")" = 200
check "  a page saying the invoice is in KSeF" 0 grep -q "Faktura znajduje się w KSeF" "$WORK/body"
check "  with its KSeF number" 0 grep -q "$ksef1" "$WORK/body"
check "  as HTML" 0 sh -c "curl -s -D - -o /dev/null '$link' | grep -qi '^content-type: text/html'"
check "as JSON: 200" 0 test "$(code -H 'Accept: application/json' "$link")" = 200
cp "$WORK/body" "$WORK/found.json"
check "  found, with the number and the data" 0 python3 -c "
import json; r = json.load(open('$WORK/found.json'))
assert r['found'] is True, r
assert r['ksefNumber'] == '$ksef1', r
assert r['sellerNip'] == '$nip' and r['issueDate'] == '2026-02-01', r
assert r['invoiceNumber'].startswith('FV/'), r"

# A tampered hash: one character changed (kept canonical Base64URL).
first=${hash:0:1}
if [ "$first" = A ]; then other=B; else other=A; fi
tampered="$root/invoice/$nip/01-02-2026/$other${hash:1}"
check "a tampered hash: 404" 0 test "$(code "$tampered")" = 404
check "  a page saying it is not in KSeF" 0 grep -q "nie została znaleziona" "$WORK/body"
check "  as JSON: 404, not found" 0 test "$(code -H 'Accept: application/json' "$tampered")" = 404
cp "$WORK/body" "$WORK/nf.json"
check "  found false" 0 python3 -c "
import json; r = json.load(open('$WORK/nf.json')); assert r['found'] is False, r"
check "another issue date: 404" 0 test "$(code "$root/invoice/$nip/02-02-2026/$hash")" = 404
check "another seller NIP: 404" 0 test "$(code "$root/invoice/1111111111/01-02-2026/$hash")" = 404

check "a malformed link: 400" 0 test "$(code "$root/invoice/$nip/2026-02-01/$hash")" = 400
check "  as JSON, the API's error shape" 0 test "$(code -H 'Accept: application/json' "$root/invoice/$nip/31-02-2026/$hash")" = 400
check "  21405 in the body" 0 grep -q 21405 "$WORK/body"
check "a hash of standard Base64: 400" 0 test "$(code "$root/invoice/$nip/01-02-2026/${hash:0:42}+")" = 400
check "an over-long path: not found" 0 test "$(code "$root/invoice/$nip/01-02-2026/$hash/x")" = 404
check "POST: 405" 0 test "$(code -X POST "$link")" = 405
check "under /v2 it is no API path" 0 test "$(code "$base/invoice/$nip/01-02-2026/$hash")" = 404
check "no token is needed (a bad one is ignored)" 0 test "$(code -H 'Authorization: Bearer x' "$link")" = 200

# A rejected invoice has no QR code and no page.
sed 's/<P_15>/<P_15X>/; s#</P_15>#</P_15X>#' "$WORK/inv/invoice-1.xml" > "$WORK/bad.xml"
check "a rejected invoice: exit 1" 1 "$KSEF" send --base-url "$base" --nip $nip --token "$token" --qr-dir "$WORK/qr2" "$WORK/bad.xml"
check "  and no QR code" 0 test -z "$(ls "$WORK/qr2" 2>/dev/null)"
badhash=$(openssl dgst -sha256 -binary "$WORK/bad.xml" | base64 | tr '+/' '-_' | tr -d '=')
check "  its link is not found" 0 test "$(code "$root/invoice/$nip/01-02-2026/$badhash")" = 404

check "--qr-format svg" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" --qr-dir "$WORK/svg" --qr-format svg "$WORK/inv/$file"
check "  writes the SVG of the (already accepted) invoice" 0 grep -q ">$ksef1</text>" "$WORK/svg/$ksef1.svg"
# Rate-limited as calls without a token are (60 a second per IP, with
# --rate-limits production): 80 requests in a row on one connection.
start_ksefd "$WORK/limited" --rate-limits production
lroot=${KSEFD_BASE%/v2}
urls=()
for _ in $(seq 80); do urls+=(-o /dev/null "$lroot/invoice/$nip/01-02-2026/$hash"); done
curl -s -w '%{http_code}\n' "${urls[@]}" > "$WORK/codes"
check "past the limit: 429" 0 grep -q '^429$' "$WORK/codes"
check "  after answers of its own" 0 grep -q '^404$' "$WORK/codes"

check "--qr-format gif is usage" 2 "$KSEF" send --base-url "$base" --nip $nip --token "$token" --qr-dir "$WORK/x" --qr-format gif "$WORK/inv/invoice-1.xml"
finish
