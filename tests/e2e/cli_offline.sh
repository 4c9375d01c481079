#!/usr/bin/env bash
# Invoices issued offline: `ksef offline issue` writes KOD I and KOD II
# beside each invoice (zbarimg reads them back to the invoice's links),
# records it in a private register with its deadline, and `ksef offline
# status` reports each as due, overdue or sent (`ksef offline sent`)
# against a given day; `ksef offline deadline` gives tryby-offline.md's
# deadlines, its own example included. Skipped (77) without zbarimg.
. "$(dirname "$0")/lib.bash"
command -v zbarimg >/dev/null || { echo "skipped: no zbarimg (zbar-tools)"; exit 77; }

nip=5265877635
reg=$WORK/state/offline.json
"$KSEF" cert generate --person --nip $nip --name "Jan Kowalski" --out-key "$WORK/k.pem" --out-cert "$WORK/c.pem" --ec >/dev/null
serial=$(openssl x509 -in "$WORK/c.pem" -noout -serial | cut -d= -f2)
mkdir -p "$WORK/inv"
"$KSEF" generate --nip $nip --seed 41 --date 2026-12-23 --out "$WORK/inv" --count 2 >/dev/null
"$KSEF" generate --nip $nip --seed 42 --date 2027-03-26 > "$WORK/inv/easter.xml"
decode() { zbarimg -q --raw "$1" 2>/dev/null; }

check "issue three invoices" 0 "$KSEF" offline issue "$WORK"/inv/*.xml --cert "$WORK/c.pem" --key "$WORK/k.pem" --register "$reg"
expect "  23 December 2026 is due on the 28th" out "invoice-1.xml: issued 2026-12-23, send by 2026-12-28"
expect "  Good Friday 2027 on Easter Tuesday" out "easter.xml: issued 2027-03-26, send by 2027-03-30"
for f in invoice-1 invoice-2 easter; do
	hash=$(openssl dgst -sha256 -binary "$WORK/inv/$f.xml" | base64 | tr '+/' '-_' | tr -d '=')
	check "$f: KOD I decodes to its invoice link" 0 sh -c "zbarimg -q --raw '$WORK/inv/$f-kod1.png' 2>/dev/null | grep -q '^https://qr-test.ksef.mf.gov.pl/invoice/$nip/[0-9-]*/$hash\$'"
	check "$f: KOD II to its certificate link" 0 sh -c "zbarimg -q --raw '$WORK/inv/$f-kod2.png' 2>/dev/null | grep -q '^https://qr-test.ksef.mf.gov.pl/certificate/Nip/$nip/$nip/$serial/$hash/'"
done
check "the register is private" 0 test "$(stat -c %a "$reg")" = 600

check "status on 2026-12-28" 0 "$KSEF" offline status --register "$reg" --today 2026-12-28
expect "  the December invoices are due today" out "2026-12-28 due today"
expect "  the Easter one later" out "2027-03-30 due "
check "status on 2026-12-29: overdue, exit 1" 1 "$KSEF" offline status --register "$reg" --today 2026-12-29
expect "  says how many" err "2 invoices are overdue"
check "status --json" 1 "$KSEF" offline status --register "$reg" --today 2026-12-29 --json
cp "$WORK/out" "$WORK/status.json"
check "  lists each with its state, links and files" 0 python3 -c "
import json; r = json.load(open('$WORK/status.json'))
assert r['overdue'] == 2 and len(r['invoices']) == 3, r
for i in r['invoices']:
    assert i['state'] in ('overdue', 'due'), i
    assert i['mode'] == 'offline24' and i['certSerial'] == '$serial', i
    assert i['kod2'].startswith('https://qr-test.ksef.mf.gov.pl/certificate/'), i
    assert i['file'].startswith('/') and i['kod2Image'].endswith('-kod2.png'), i"

check "mark one as sent" 0 "$KSEF" offline sent "$WORK/inv/invoice-1.xml" --register "$reg" --today 2026-12-28
expect "  on the day given" out "invoice-1.xml: sent on 2026-12-28"
check "then one is overdue on 2026-12-29" 1 "$KSEF" offline status --register "$reg" --today 2026-12-29
expect "  and one sent" out "2026-12-28 sent "
expect "  one overdue" err "1 invoice is overdue"
check "a file not in the register is refused" 1 "$KSEF" offline sent "$WORK/c.pem" --register "$reg"
expect "  saying so" err "not in the register"
check "issuing a file again replaces its entry" 0 "$KSEF" offline issue "$WORK/inv/easter.xml" --cert "$WORK/c.pem" --key "$WORK/k.pem" --register "$reg" --mode emergency --emergency-end 2027-03-31
expect "  7 business days after the emergency" out "send by 2027-04-09"
check "  still three" 0 sh -c "'$KSEF' offline status --register '$reg' --today 2026-12-01 --json | python3 -c 'import json,sys; r = json.load(sys.stdin); assert len(r[\"invoices\"]) == 3, r'"
check "no register: nothing to report" 0 "$KSEF" offline status --register "$WORK/none.json"

# tryby-offline.md's example and the modes.
check "deadline: the docs' example" 0 "$KSEF" offline deadline --issued 2025-07-08 --emergency-announced 2025-07-09 --emergency-end 2025-07-12
expect "  is 2025-07-22" out "^2025-07-22$"
check "deadline: 2025-12-31" 0 "$KSEF" offline deadline --issued 2025-12-31
expect "  is 2026-01-02" out "^2026-01-02$"
check "deadline: an unavailability over on 2026-12-31" 0 "$KSEF" offline deadline --issued 2026-12-30 --mode unavailable --unavailable-end 2026-12-31
expect "  is 2027-01-04" out "^2027-01-04$"
check "deadline: unavailable without its end is usage" 2 "$KSEF" offline deadline --issued 2026-12-30 --mode unavailable
check "deadline: an unknown mode is usage" 2 "$KSEF" offline deadline --issued 2026-12-30 --mode offline48
check "deadline: a bad date is usage" 2 "$KSEF" offline deadline --issued 2026-02-30

check "issue without --key is usage" 2 "$KSEF" offline issue "$WORK/inv/easter.xml" --cert "$WORK/c.pem" --register "$reg"
echo '<a/>' > "$WORK/not.xml"
check "a file that is no invoice is refused" 1 "$KSEF" offline issue "$WORK/not.xml" --cert "$WORK/c.pem" --key "$WORK/k.pem" --register "$reg"
check "  and writes no code" 1 test -e "$WORK/not-kod1.png"
chmod 644 "$reg"
check "a register others may read is not used" 3 "$KSEF" offline status --register "$reg"
finish
