#!/usr/bin/env bash
# ksef send against a ksefd injecting faults (docs/faults.md): an answer
# lost with its connection is found in the session and reported so, not
# sent again; a proxy's HTML 502 and a failed store write are sent once
# more; 21184 fails the invoice with the code; a bad plan is refused and
# the old one stays.
. "$(dirname "$0")/lib.bash"
need_schemas

KSEFD=$KSEF_BUILD_DIR/ksefd
nip=5265877635
data=$WORK/data
start_ksefd "$data" --processing-delay 0
base=$KSEFD_BASE
token=$("$KSEFD" token create --data "$data" --nip $nip)

# plan NAME JSON: put it in force (ksefd takes it within 100 ms)
plan() {
	printf '%s\n' "$2" >"$WORK/$1.json"
	"$KSEFD" faults set "$WORK/$1.json" --data "$data" || return 1
	sleep 0.3
}

"$KSEF" generate --nip $nip --count 4 --seed 31 --out "$WORK/inv" >/dev/null

plan lost '{"rules": [{"id": "lost", "action": "drop", "when": "after", "group": "send", "count": 1}]}'
check "a lost answer: still exit 0" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK/inv/invoice-1.xml"
expect "reported as found, not sent again" out "invoice-1.xml: 200 $nip-.*(found in the session after a send without a clear answer; not sent again)"
expect "the session holds it once" err "ended with 200"
check "the fault was logged" 0 grep -q "fault injected rule=lost action=drop fired=1 POST /v2/sessions/online/" "$data.log"

plan proxy '{"rules": [{"id": "proxy", "action": "status", "status": 502, "body": "html", "group": "send", "count": 1}]}'
check "an HTML 502: sent once more, exit 0" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK/inv/invoice-2.xml"
expect "accepted, not as found" out "invoice-2.xml: 200 $nip-[^ ]*$"

plan disk '{"rules": [{"id": "disk", "action": "store_failure", "count": 1}]}'
check "a store failure: sent once more, exit 0" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK/inv/invoice-3.xml"
expect "accepted once" out "invoice-3.xml: 200 $nip-[^ ]*$"
check "ksefd answered 500 first" 0 grep -q "POST /v2/sessions/online/[^ ]*/invoices 500" "$data.log"

plan maintenance '{"rules": [{"id": "maintenance", "action": "session_unavailable"}]}'
check "21184: the invoice is not sent, exit 1" 1 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK/inv/invoice-4.xml"
expect "the code is reported" err "invoice-4.xml: not sent: .*21184"

check "a bad plan is refused" 1 "$KSEFD" faults set /dev/null --data "$data"
expect "with the reason" err "fault plan refused"
check "the old plan stays" 0 "$KSEFD" faults show --data "$data"
expect "it is shown" out '"id": "maintenance"'
expect "with its count" out "rule maintenance fired 1"
"$KSEFD" faults clear --data "$data"
sleep 0.3
check "cleared: 21184 no more" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK/inv/invoice-4.xml"
finish
