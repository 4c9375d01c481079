#!/usr/bin/env bash
# ksef send against a real ksefd: 20 generated invoices all get KSeF
# numbers; a mixed batch (valid, schema-invalid, duplicate) reports each
# file and exits 1; --json parses; bad arguments and a wrong token fail
# with readable messages.
. "$(dirname "$0")/lib.bash"
need_schemas

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
nip=5265877635
start_ksefd "$WORK/data"
base=$KSEFD_BASE
token=$("$KSEFD" token create --data "$WORK/data" --nip $nip)

mkdir -p "$WORK/batch"
check "generate 20" 0 "$KSEF" generate --nip $nip --count 20 --seed 11 --out "$WORK/batch"
check "send 20 invoices" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" --upo-dir "$WORK/upo" "$WORK"/batch/*.xml
expect "the session ended 200" err "ended with 200"
check "20 KSeF numbers" 0 test "$(grep -c ": 200 $nip-" "$WORK/out")" -eq 20
check "20 invoice UPOs and a session UPO saved" 0 test "$(ls "$WORK"/upo/$nip-*.xml | wc -l)" -eq 20 -a -f "$(ls "$WORK"/upo/session-*-1.xml)"
check "each UPO names its invoice" 0 sh -c "for f in '$WORK'/upo/$nip-*.xml; do n=\$(basename \$f .xml); grep -q \"<NumerKSeFDokumentu>\$n</NumerKSeFDokumentu>\" \$f || exit 1; done"
check "the session UPO lists all 20" 0 test "$(grep -o '<Dokument>' "$WORK"/upo/session-*-1.xml | wc -l)" -eq 20

mkdir -p "$WORK/mixed"
"$KSEF" generate --nip $nip --seed 12 --first 1 > "$WORK/mixed/a-valid.xml"
sed 's/<P_15>/<P_15X>/; s#</P_15>#</P_15X>#' "$WORK/batch/invoice-3.xml" > "$WORK/mixed/b-invalid.xml"
# The same invoice number with other content: a real duplicate.
sed 's#<P_1M>#<P_1M>Inne #' "$WORK/batch/invoice-1.xml" > "$WORK/mixed/c-duplicate.xml"
check "a mixed batch exits 1" 1 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK"/mixed/*.xml
expect "the valid one is accepted" out "a-valid.xml: 200 $nip-"
expect "the invalid one: 450 with the element" err "b-invalid.xml: 450 .*P_15X"
expect "the duplicate: 440 with the original number" err "c-duplicate.xml: 440 .*$nip-"

# The very same bytes sent again (a resend after a timeout, say) are in
# KSeF already: reconciled, reported with the original number, exit 0.
check "a resend is reconciled" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK/batch/invoice-2.xml"
expect "already accepted" out "invoice-2.xml: 440 $nip-.*(already accepted)"

"$KSEF" generate --nip $nip --seed 13 > "$WORK/one.xml"
check "json" 0 "$KSEF" send --json --base-url "$base" --nip $nip --token "$token" "$WORK/one.xml"
cp "$WORK/out" "$WORK/json"
check "json parses" 0 python3 -c "
import json
r = json.load(open('$WORK/json'))
assert r['sessionStatus'] == 200, r
inv = r['invoices'][0]
assert inv['status'] == 200 and inv['ksefNumber'].startswith('$nip-'), inv
assert len(r['sessionReferenceNumber']) == 36
"

# A self-signed person certificate as the TEST environment accepts it.
check "a TEST certificate of the seller" 0 openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	-subj "/C=PL/GN=Jan/SN=Testowy/serialNumber=TINPL-$nip/CN=Jan Testowy" \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem"
"$KSEF" generate --nip $nip --seed 15 > "$WORK/xades.xml"
check "send with a XAdES login" 0 "$KSEF" send --base-url "$base" --nip $nip --cert "$WORK/cert.pem" --key "$WORK/key.pem" "$WORK/xades.xml"
check "a certificate of another NIP has no permissions here" 1 sh -c "openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	-subj '/C=PL/GN=Ewa/SN=Obca/serialNumber=TINPL-7010012385/CN=Ewa Obca' \
	-keyout '$WORK/k2.pem' -out '$WORK/c2.pem' 2>/dev/null &&
	'$KSEF' send --base-url '$base' --nip $nip --cert '$WORK/c2.pem' --key '$WORK/k2.pem' '$WORK/xades.xml'"
expect "says 415" err "authentication: .*ended with status 415"
check "wrong token" 1 "$KSEF" send --base-url "$base" --nip $nip --token "nope|x|y" "$WORK/one.xml"
expect "says authentication failed" err "ksef: send: authentication: .*450"
check "no token" 2 env -u KSEF_TOKEN "$KSEF" send --base-url "$base" --nip $nip "$WORK/one.xml"
check "production needs a flag" 2 "$KSEF" send --env prd --nip $nip --token x "$WORK/one.xml"
expect "explains" err "allow-production"
check "a missing file" 3 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK/none.xml"
"$KSEF" generate --nip $nip --seed 14 > "$WORK/env.xml"
check "environment variables work" 0 env KSEF_BASE_URL="$base" KSEF_NIP=$nip KSEF_TOKEN="$token" \
	"$KSEF" send -q "$WORK/env.xml"
# Production rate limits: invoiceSend allows 10 a second, so the 11th and
# 12th wait out a 429 (Retry-After) and the run still completes.
start_ksefd "$WORK/data2" --rate-limits production
base2=$KSEFD_BASE
token2=$("$KSEFD" token create --data "$WORK/data2" --nip $nip)
mkdir -p "$WORK/rl"
"$KSEF" generate --nip $nip --count 12 --seed 21 --out "$WORK/rl"
check "12 invoices under production rate limits" 0 "$KSEF" send --base-url "$base2" --nip $nip --token "$token2" "$WORK"/rl/*.xml
check "ksefd did answer 429" 0 grep -q " 429 " "$WORK/data2.log"
finish
