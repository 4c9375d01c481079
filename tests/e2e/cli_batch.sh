#!/usr/bin/env bash
# ksef batch send against a real ksefd: 1,000 generated invoices in
# several parts put in parallel, every one 200 with its UPO and the
# session's UPO; the duplicate key across batch and online sessions in
# both orders (docs/scenarios.md S7 and S8); a resend of the same bytes
# reconciled; the package's refusals before any login; --json and --qr-dir.
. "$(dirname "$0")/lib.bash"
need_schemas

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
nip=5265877635
start_ksefd "$WORK/data"
base=$KSEFD_BASE
token=$("$KSEFD" token create --data "$WORK/data" --nip $nip)
send() { "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$@"; }
batch() { "$KSEF" batch send --base-url "$base" --nip $nip --token "$token" "$@"; }

# 1,000 invoices of about 3.5 KB deflate to about 1.7 MB: parts of 200 KB
# make nine of them, four put at once.
mkdir -p "$WORK/big"
check "generate 1000" 0 "$KSEF" generate --nip $nip --count 1000 --seed 41 --out "$WORK/big"
check "batch of 1000 in parts" 0 batch --part-size 200000 --parallel 4 --upo-dir "$WORK/upo" "$WORK"/big/*.xml
expect "several parts" err "1000 file(s), a package of [0-9]* bytes in [2-9] part(s)"
expect "the session ended 200" err "ended with 200"
cp "$WORK/out" "$WORK/big.out"
check "1000 KSeF numbers" 0 test "$(grep -c ": 200 $nip-" "$WORK/big.out")" -eq 1000
check "1000 invoice UPOs and a session UPO saved" 0 test "$(ls "$WORK"/upo/$nip-*.xml | wc -l)" -eq 1000 -a -f "$(ls "$WORK"/upo/session-*-1.xml)"
check "each file got its own number" 0 test "$(cut -d' ' -f3 "$WORK/big.out" | sort -u | wc -l)" -eq 1000
check "a UPO names its invoice" 0 sh -c "f=\$(ls '$WORK'/upo/$nip-*.xml | head -1); n=\$(basename \$f .xml); grep -q \"<NumerKSeFDokumentu>\$n</NumerKSeFDokumentu>\" \$f"

# S7: online, then the same invoice number in a batch: the batch's
# invoice is the duplicate (440) and names the online one's number.
mkdir -p "$WORK/s7" "$WORK/s7b"
"$KSEF" generate --nip $nip --seed 51 --first 1 > "$WORK/s7/s7.xml"
sed 's#<P_1M>#<P_1M>Inne #' "$WORK/s7/s7.xml" > "$WORK/s7b/s7.xml"
check "S7: online first" 0 send "$WORK/s7/s7.xml"
online=$(sed -n 's/.*: 200 \([0-9A-F-]*\).*/\1/p' "$WORK/out")
check "S7: the online invoice has a number" 0 test -n "$online"
check "S7: then in a batch, a duplicate" 1 batch "$WORK/s7b/s7.xml"
expect "S7: the batch invoice is 440 naming the online number" err "s7.xml: 440 .*$online"
# The very same bytes again, in a batch: a resend, in KSeF already.
check "S7: the same bytes in a batch are reconciled" 0 batch "$WORK/s7/s7.xml"
expect "S7: already accepted under the online number" out "s7.xml: 440 $online (already accepted)"

# S8: a batch, then the same invoice number online: the online one is
# the duplicate.
mkdir -p "$WORK/s8" "$WORK/s8b"
"$KSEF" generate --nip $nip --seed 52 --first 1 > "$WORK/s8/s8.xml"
sed 's#<P_1M>#<P_1M>Inne #' "$WORK/s8/s8.xml" > "$WORK/s8b/s8.xml"
check "S8: a batch first" 0 batch "$WORK/s8/s8.xml"
inbatch=$(sed -n 's/.*: 200 \([0-9A-F-]*\).*/\1/p' "$WORK/out")
check "S8: the batch invoice has a number" 0 test -n "$inbatch"
check "S8: then online, a duplicate" 1 send "$WORK/s8b/s8.xml"
expect "S8: the online invoice is 440 naming the batch number" err "s8.xml: 440 .*$inbatch"

# --json and --qr-dir, a valid and an invalid file together.
mkdir -p "$WORK/mixed"
"$KSEF" generate --nip $nip --seed 53 --first 1 > "$WORK/mixed/a-valid.xml"
sed 's/<P_15>/<P_15X>/; s#</P_15>#</P_15X>#' "$WORK/big/invoice-3.xml" > "$WORK/mixed/b-invalid.xml"
check "a mixed batch exits 1" 1 batch --json --qr-dir "$WORK/qr" "$WORK"/mixed/*.xml
cp "$WORK/out" "$WORK/json"
check "json parses and reports each file" 0 python3 -c "
import json
r = json.load(open('$WORK/json'))
assert r['sessionStatus'] == 200, r
assert r['sessionReferenceNumber'][9:11] == 'SB', r
inv = {i['file'].split('/')[-1]: i for i in r['invoices']}
assert inv['a-valid.xml']['status'] == 200, inv
assert inv['b-invalid.xml']['status'] == 450, inv
"
check "the valid one's KOD I" 0 test "$(ls "$WORK"/qr/$nip-*.png | wc -l)" -eq 1

# Refusals before any login.
mkdir -p "$WORK/other"
cp "$WORK/big/invoice-1.xml" "$WORK/other/invoice-1.xml"
check "two files of one name" 2 batch "$WORK/big/invoice-1.xml" "$WORK/other/invoice-1.xml"
expect "names both" err "invoice-1.xml and .*invoice-1.xml have the same name"
check "a missing file" 3 batch "$WORK/none.xml"
check "no files" 2 batch
check "too many parts" 1 batch --part-size 1000 "$WORK"/big/invoice-1*.xml
expect "names the limit" err "more than 50 parts"
check "a part size of 0" 2 batch --part-size 0 "$WORK/big/invoice-1.xml"
check "a part size over 100 MB" 2 batch --part-size 100000001 "$WORK/big/invoice-1.xml"
check "too many in parallel" 2 batch --parallel 17 "$WORK/big/invoice-1.xml"
check "wrong token" 1 "$KSEF" batch send --base-url "$base" --nip $nip --token "nope|x|y" "$WORK/big/invoice-1.xml"
expect "says authentication failed" err "ksef: batch: authentication: .*450"
check "listed in ksef --help" 0 sh -c "'$KSEF' --help | grep -q 'batch send'"
finish
