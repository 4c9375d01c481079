#!/usr/bin/env bash
# ksef send against a ksefd injecting faults (docs/faults.md): an answer
# lost with its connection is found in the session and reported so, not
# sent again; a connection dropped before the send was taken, a proxy's
# HTML 502 and a failed store write are sent once more; a 21184 continues
# in a new session (ksef send and ksef session send; every invoice once
# across the two, both sessions closed and their UPOs saved), and 21184 in
# every session fails the invoice with the code after three new ones; a
# bad plan is refused and the old one stays.
. "$(dirname "$0")/lib.bash"
need_schemas

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
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

"$KSEF" generate --nip $nip --count 5 --seed 31 --out "$WORK/inv" >/dev/null

plan lost '{"rules": [{"id": "lost", "action": "drop", "when": "after", "group": "send", "count": 1}]}'
check "a lost answer: still exit 0" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK/inv/invoice-1.xml"
expect "reported as found, not sent again" out "invoice-1.xml: 200 $nip-.*(found in the session after a send without a clear answer; not sent again)"
expect "the session holds it once" err "ended with 200"
check "the fault was logged" 0 grep -q "fault injected rule=lost action=drop fired=1 POST /v2/sessions/online/" "$data.log"

plan reset '{"rules": [{"id": "reset", "action": "drop", "group": "send", "count": 1}]}'
check "a send dropped before it was taken: sent once more, exit 0" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK/inv/invoice-5.xml"
expect "accepted, not as found" out "invoice-5.xml: 200 $nip-[^ ]*$"
check "the connection was dropped" 0 grep -q "fault injected rule=reset action=drop fired=1 POST" "$data.log"

plan proxy '{"rules": [{"id": "proxy", "action": "status", "status": 502, "body": "html", "group": "send", "count": 1}]}'
check "an HTML 502: sent once more, exit 0" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK/inv/invoice-2.xml"
expect "accepted, not as found" out "invoice-2.xml: 200 $nip-[^ ]*$"

plan disk '{"rules": [{"id": "disk", "action": "store_failure", "count": 1}]}'
check "a store failure: sent once more, exit 0" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK/inv/invoice-3.xml"
expect "accepted once" out "invoice-3.xml: 200 $nip-[^ ]*$"
check "ksefd answered 500 first" 0 grep -q "POST /v2/sessions/online/[^ ]*/invoices 500" "$data.log"

# The step-by-step commands keep a login of their own, here only.
export HOME=$WORK/home XDG_CONFIG_HOME= XDG_STATE_HOME= KSEF_STATE=$WORK/state.json
unset KSEF_ENV KSEF_BASE_URL KSEF_NIP KSEF_TOKEN KSEF_CERT KSEF_KEY KSEF_CONFIG
mkdir -p "$HOME"
check "auth login" 0 "$KSEF" auth login --base-url "$base" --nip $nip --token "$token"
# current: the session the state file follows.
current() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['currentSession'])" "$KSEF_STATE"; }
# accepted REF: the KSeF numbers of the session's accepted invoices.
accepted() { "$KSEF" session invoices "$1" | awk -F'\t' '$3 == 200 { print $4 }'; }

# 21184 on the second send: ksef send goes on in a new session.
"$KSEF" generate --nip $nip --count 3 --seed 32 --out "$WORK/inv2" >/dev/null
plan window '{"rules": [{"id": "window", "action": "session_unavailable", "group": "send", "nth": 2, "count": 1}]}'
check "21184 on the 2nd send: continued, exit 0" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" --upo-dir "$WORK/upo2" "$WORK"/inv2/*.xml
expect "the continuation is reported" err "ksef: send: session [^ ]* unavailable (21184): continued in new session [^ ]*$"
old=$(sed -n 's/.*session \([^ ]*\) unavailable (21184).*/\1/p' "$WORK/err")
new=$(sed -n 's/.*continued in new session \([^ ]*\)$/\1/p' "$WORK/err")
expect "the old session ended 200" err "session $old ended with 200"
expect "the new session ended 200" err "session $new ended with 200"
check "all three accepted" 0 test "$(grep -c '\.xml: 200 ' "$WORK/out")" -eq 3
check "the fault fired once" 0 grep -q "fault injected rule=window action=session_unavailable fired=1 POST /v2/sessions/online/$old/invoices" "$data.log"
check "both sessions' UPOs saved" 0 test -f "$WORK/upo2/session-$old-1.xml" -a -f "$WORK/upo2/session-$new-1.xml"
check "and the three invoices' UPOs" 0 test "$(ls "$WORK/upo2" | grep -vc '^session-')" -eq 3
check "the old session holds the first invoice" 0 test "$(accepted "$old" | wc -l)" -eq 1
check "the new one the other two" 0 test "$(accepted "$new" | wc -l)" -eq 2
check "each accepted once across the two" 0 test "$( (accepted "$old"; accepted "$new") | sort -u | wc -l)" -eq 3

# --json: the session left is in earlierSessions, with its status.
"$KSEF" generate --nip $nip --count 2 --seed 34 --out "$WORK/inv4" >/dev/null
plan window3 '{"rules": [{"id": "window3", "action": "session_unavailable", "group": "send", "nth": 2, "count": 1}]}'
check "21184 with --json: exit 0" 0 "$KSEF" send --json --base-url "$base" --nip $nip --token "$token" "$WORK"/inv4/*.xml
cp "$WORK/out" "$WORK/cont.json"
check "earlierSessions names the session left" 0 python3 -c "
import json; r = json.load(open('$WORK/cont.json'))
e = r['earlierSessions']
assert len(e) == 1 and e[0]['status'] == 200, r
assert e[0]['referenceNumber'] != r['sessionReferenceNumber'], r
assert r['sessionStatus'] == 200, r
assert [i['status'] for i in r['invoices']] == [200, 200], r"

# The same step by step: the state file follows the new session.
"$KSEF" generate --nip $nip --count 2 --seed 33 --out "$WORK/inv3" >/dev/null
"$KSEFD" faults clear --data "$data"
sleep 0.3
check "session open" 0 "$KSEF" session open
s1=$(current)
check "session send, before the window" 0 "$KSEF" session send "$WORK/inv3/invoice-1.xml"
plan window2 "{\"rules\": [{\"id\": \"window2\", \"action\": \"session_unavailable\", \"session\": \"$s1\"}]}"
check "session send into the unavailable session: exit 0" 0 "$KSEF" session send "$WORK/inv3/invoice-2.xml"
s2=$(current)
expect "the continuation is reported" err "ksef: session: session $s1 unavailable (21184): continued in new session $s2\$"
check "the state file follows the new session" 0 test -n "$s2" -a "$s2" != "$s1"
check "the old session's key is forgotten" 1 python3 -c "
import json,sys; sys.exit(0 if '$s1' in json.load(open('$KSEF_STATE')).get('sessions', {}) else 1)"
check "session close closes the new one" 0 "$KSEF" session close
expect "it is named" out "session $s2 closed"
check "the old session's UPO" 0 "$KSEF" session upo "$s1" --out "$WORK/upo3" --wait
check "the new session's UPO" 0 "$KSEF" session upo "$s2" --out "$WORK/upo3" --wait
check "both session UPOs and both invoice UPOs" 0 test -f "$WORK/upo3/session-$s1-1.xml" -a -f "$WORK/upo3/session-$s2-1.xml" -a "$(ls "$WORK/upo3" | wc -l)" -eq 4
check "each session holds one invoice" 0 test "$(accepted "$s1" | wc -l)" -eq 1 -a "$(accepted "$s2" | wc -l)" -eq 1

# 21184 in every session: three new ones, then the invoice fails, and the
# files after it are not sent.
"$KSEF" generate --nip $nip --count 1 --seed 35 --out "$WORK/inv5" >/dev/null
plan maintenance '{"rules": [{"id": "maintenance", "action": "session_unavailable"}]}'
check "21184 everywhere: not sent, exit 1" 1 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK/inv/invoice-4.xml" "$WORK/inv5/invoice-1.xml"
expect "the code is reported" err "invoice-4.xml: not sent: .*21184"
expect "after three new sessions" err "and so were the 3 new session(s) opened after it"
expect "the next file is not sent" err "inv5/invoice-1.xml: not sent: KSeF refused every new session (21184)"
check "each new session was reported" 0 test "$(grep -c 'unavailable (21184): continued in new session' "$WORK/err")" -eq 3

check "a bad plan is refused" 1 "$KSEFD" faults set /dev/null --data "$data"
expect "with the reason" err "fault plan refused"
check "the old plan stays" 0 "$KSEFD" faults show --data "$data"
expect "it is shown" out '"id": "maintenance"'
expect "with its count: the send and three new sessions" out "rule maintenance fired 4"
"$KSEFD" faults clear --data "$data"
sleep 0.3
check "cleared: 21184 no more" 0 "$KSEF" send --base-url "$base" --nip $nip --token "$token" "$WORK/inv/invoice-4.xml"
finish
