#!/usr/bin/env bash
# An offline day's end against a real ksefd: invoices issued offline today
# (`ksef offline issue`) are sent by `ksef offline send`, declared
# offline (offlineMode); each accepted one is marked sent in the register
# with its KSeF number, and ksefd lists them with invoicingMode Offline.
# An entry whose file changed since it was issued is not sent; with
# nothing pending there is nothing to do. `ksef send --offline` declares
# the same for files given by name. The invoices bear today's date, so
# only the declaration makes them Offline (ksefd also takes an invoice
# dated before its sending for one issued offline).
. "$(dirname "$0")/lib.bash"
need_schemas

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
nip=5265877635
reg=$WORK/state/offline.json
start_ksefd "$WORK/data" --processing-delay 0 --console 0
base=$KSEFD_BASE
token=$("$KSEFD" token create --data "$WORK/data" --nip $nip)
login=(--base-url "$base" --nip $nip --token "$token")
today=$(TZ=Europe/Warsaw date +%F)

"$KSEF" cert generate --person --nip $nip --name "Jan Kowalski" --out-key "$WORK/k.pem" --out-cert "$WORK/c.pem" --ec >/dev/null
mkdir -p "$WORK/inv"
"$KSEF" generate --nip $nip --seed 61 --date "$today" --out "$WORK/inv" --count 3 >/dev/null

check "nothing registered: nothing to send" 0 "$KSEF" offline send "${login[@]}" --register "$reg"
expect "  says so" err "nothing to send"
check "issue three today" 0 "$KSEF" offline issue "$WORK"/inv/*.xml --cert "$WORK/c.pem" --key "$WORK/k.pem" --register "$reg"
# The third changes after it was issued: its printed codes no longer
# match its bytes.
sed -i 's#<P_1M>#<P_1M>Zmienione #' "$WORK/inv/invoice-3.xml"
check "send: two go, the changed one is refused (exit 1)" 1 "$KSEF" offline send "${login[@]}" --register "$reg" --upo-dir "$WORK/upo"
expect "  the changed one named" err "invoice-3.xml: changed since it was issued"
expect "  one session" err "offline send: session [0-9]*-SO-"
expect "  both accepted" out "invoice-1.xml: 200 $nip-"
expect "  (the second too)" out "invoice-2.xml: 200 $nip-"
check "  their UPOs saved" 0 test "$(ls "$WORK/upo" | grep -c "^$nip-")" -eq 2
check "status: two sent today, one due" 0 "$KSEF" offline status --register "$reg" --json
cp "$WORK/out" "$WORK/status.json"
check "  each sent one has its KSeF number" 0 python3 -c "
import json; r = json.load(open('$WORK/status.json'))
sent = [i for i in r['invoices'] if i['state'] == 'sent']
assert len(sent) == 2, r
for i in sent:
    assert i['sentOn'] == '$today' and i['ksefNumber'].startswith('$nip-'), i
left = [i for i in r['invoices'] if i['state'] != 'sent']
assert len(left) == 1 and left[0]['file'].endswith('invoice-3.xml'), r"
check "sending again: only the changed one is pending, still refused" 1 "$KSEF" offline send "${login[@]}" --register "$reg"
expect "  nothing was sent" err "nothing to send"

check "auth login" 0 "$KSEF" auth login "${login[@]}"
check "ksefd lists the two as Offline" 0 "$KSEF" invoices query --json --all --invoicing-mode Offline
cp "$WORK/out" "$WORK/q.json"
check "  exactly those" 0 python3 -c "
import json; d = json.load(open('$WORK/q.json')); r = json.load(open('$WORK/status.json'))
want = sorted(i['ksefNumber'] for i in r['invoices'] if i['state'] == 'sent')
got = sorted(i['ksefNumber'] for i in d['invoices'])
assert got == want, (got, want)"

"$KSEF" generate --nip $nip --seed 62 --date "$today" > "$WORK/late.xml"
check "ksef send --offline declares it too" 0 "$KSEF" send "${login[@]}" --offline "$WORK/late.xml"
check "  three Offline now" 0 "$KSEF" invoices query --json --all --invoicing-mode Offline
cp "$WORK/out" "$WORK/q3.json"
check "  (three)" 0 python3 -c "import json; assert len(json.load(open('$WORK/q3.json'))['invoices']) == 3"
# A technical correction (offline/korekta-techniczna.md): an offline
# invoice KSeF refuses (its total is no amount) is marked refused; the
# same invoice made acceptable is registered as its correction and sent
# with hashOfCorrectedInvoice naming the refused one.
"$KSEF" generate --nip $nip --seed 63 --date "$today" > "$WORK/fix.xml"
sed 's#<P_15>[^<]*</P_15>#<P_15>abc</P_15>#' "$WORK/fix.xml" > "$WORK/bad.xml"
check "issue the bad one" 0 "$KSEF" offline issue "$WORK/bad.xml" --cert "$WORK/c.pem" --key "$WORK/k.pem" --register "$reg"
check "send: KSeF refuses it (exit 1)" 1 "$KSEF" offline send "${login[@]}" --register "$reg"
expect "  450" err "bad.xml: 450"
check "status: refused, exit 1" 1 "$KSEF" offline status --register "$reg"
expect "  listed refused" out " refused "
expect "  and why it matters" err "need[s]* a technical correction"
check "a refused invoice is not sent again" 1 "$KSEF" offline send "${login[@]}" --register "$reg"
expect "  (nothing pending)" err "nothing to send"
check "correct: the fixed file corrects the refused one" 0 "$KSEF" offline correct "$WORK/bad.xml" "$WORK/fix.xml" --register "$reg"
check "  only once" 1 "$KSEF" offline correct "$WORK/bad.xml" "$WORK/fix.xml" --register "$reg"
expect "  says so" err "already corrected"
check "send the correction" 1 "$KSEF" offline send "${login[@]}" --register "$reg" --json
cp "$WORK/out" "$WORK/fix.json"
check "  accepted" 0 python3 -c "
import json; d = json.load(open('$WORK/fix.json'))
f = [i for i in d['invoices'] if i['file'].endswith('fix.xml')]
assert len(f) == 1 and f[0]['status'] == 200, d"
ref=$(python3 -c "import json; print([i for i in json.load(open('$WORK/fix.json'))['invoices'] if i['file'].endswith('fix.xml')][0]['referenceNumber'])")
bad_hash=$(openssl dgst -sha256 -binary "$WORK/bad.xml" | base64)
check "  with hashOfCorrectedInvoice naming the refused one (ksefd's console)" 0 sh -c "curl -sf '${KSEFD_CONSOLE}invoices/$ref' | grep -q 'Corrects (SHA-256)</dt><dd>$bad_hash<'"
check "status: corrected and sent" 0 "$KSEF" offline status --register "$reg" --json
cp "$WORK/out" "$WORK/st2.json"
check "  the original corrected, the correction sent with its number" 0 python3 -c "
import json; r = json.load(open('$WORK/st2.json'))
by = {i['file'].rsplit('/', 1)[1]: i for i in r['invoices']}
assert by['bad.xml']['state'] == 'corrected', by['bad.xml']
assert by['fix.xml']['state'] == 'sent' and by['fix.xml']['ksefNumber'], by['fix.xml']
assert by['fix.xml']['corrects'], by['fix.xml']"
finish
