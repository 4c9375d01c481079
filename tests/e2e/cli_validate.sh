#!/usr/bin/env bash
# ksef validate / generate / number on real files: exit codes, messages in
# the "ksef: validate: FILE: ..." form, and JSON output.
. "$(dirname "$0")/lib.bash"
need_schemas

nip=5265877635
check "generate 20 invoices" 0 "$KSEF" generate --nip $nip --count 20 --seed 7 --out "$WORK"
check "--out makes missing folders" 0 "$KSEF" generate --nip $nip --count 2 --seed 8 --out "$WORK/new/deeper"
check "both files are there" 0 test -f "$WORK/new/deeper/invoice-2.xml"
check "all 20 are valid" 0 "$KSEF" validate -q "$WORK"/invoice-*.xml
check "FA (2) invoices validate as FA (2)" 0 sh -c \
	"'$KSEF' generate --nip $nip --form 'FA (2)' --seed 3 > '$WORK/fa2.xml' &&
	 '$KSEF' validate --form 'FA (2)' '$WORK/fa2.xml'"
expect "FA (2) is named" out "valid FA (2) invoice"
check "an FA (2) invoice in an FA (3) session fails" 1 "$KSEF" validate --form fa3 "$WORK/fa2.xml"
expect "status 450 for the wrong form" err "status 450"

check "same seed, same bytes" 0 sh -c \
	"'$KSEF' generate --nip $nip --seed 9 --date 2025-01-02 > '$WORK/a.xml' &&
	 '$KSEF' generate --nip $nip --seed 9 --date 2025-01-02 > '$WORK/b.xml' &&
	 cmp '$WORK/a.xml' '$WORK/b.xml'"

# A tampered invoice: the amount element renamed breaks the schema.
sed 's/<P_15>/<P_15X>/; s#</P_15>#</P_15X>#' "$WORK/invoice-1.xml" > "$WORK/bad.xml"
check "a schema violation exits 1" 1 "$KSEF" validate "$WORK/bad.xml"
expect "the message names file and line" err "ksef: validate: $WORK/bad.xml: line [0-9]*: .*P_15X"
check "one bad file among good ones still exits 1" 1 "$KSEF" validate -q "$WORK/invoice-2.xml" "$WORK/bad.xml"

check "json output" 1 "$KSEF" validate --json "$WORK/invoice-3.xml" "$WORK/bad.xml"
cp "$WORK/out" "$WORK/json"
check "json parses and carries the statuses" 0 python3 -c "
import json,sys
r = json.load(open('$WORK/json'))
assert [x['status'] for x in r] == [200, 450], r
assert r[0]['fields']['sellerNip'] == '$nip'
assert r[0]['fields']['invoiceNumber'].endswith('/3')
assert r[1]['line'] > 1 and r[1]['details']
"
check "standard input" 0 sh -c "'$KSEF' validate - < '$WORK/invoice-4.xml'"

check "an official sample passes once filled" 0 sh -c \
	"sed 's/#nip#/$nip/; s/#invoice_number#/E2E-1/' '$SHARED/ksef-samples/invoices/csharp-invoice-template-fa-3.xml' > '$WORK/sample.xml' &&
	 '$KSEF' validate '$WORK/sample.xml'"
check "the attachment sample fails in interactive mode" 1 sh -c \
	"sed 's/#nip#/$nip/; s/#invoice_number#/E2E-2/' '$SHARED/ksef-samples/invoices/extra/csharp-invoice-template-fa-3-with-attachment.xml' > '$WORK/att.xml' &&
	 '$KSEF' validate --interactive '$WORK/att.xml'"
expect "status 415" err "status 415"
check "P_1 after the given date fails" 1 "$KSEF" validate --date 2025-08-31 "$WORK/sample.xml"
expect "status 450 for P_1" err "P_1"

check "a missing file is an error, not a crash" 3 "$KSEF" validate "$WORK/nope.xml"
expect "missing file message" err "ksef: validate: $WORK/nope.xml: No such file"
check "no files is a usage error" 2 "$KSEF" validate
check "unknown form is a usage error" 2 "$KSEF" validate --form XYZ "$WORK/sample.xml"
check "missing schema folder" 3 "$KSEF" validate --schemas "$WORK/none" "$WORK/sample.xml"
expect "points at the fetch script" err "fetch-schemas"
check "generate needs a NIP" 2 "$KSEF" generate
check "generate refuses a bad NIP" 2 "$KSEF" generate --nip 12345
check "unknown command" 2 "$KSEF" frobnicate

check "number check: valid examples" 0 "$KSEF" number check \
	5265877635-20250826-0100001AF629-AF 20250625-SO-2C3E6C8000-B675CF5D68-07 5265877635
check "number check: a wrong check value" 1 "$KSEF" number check 5265877635-20250826-0100001AF629-AE
check "number check: wrong length" 1 "$KSEF" number check 12345

finish
