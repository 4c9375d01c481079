#!/usr/bin/env bash
# One voice across the ksef subcommands, against a real ksefd: the same
# failure exits alike everywhere (a server that cannot be reached 3, a
# refused login 1, usage 2); --json prints a JSON object on standard output
# even on failure, with the error's code, message, exit code and the API's
# details; an invoice's status has one JSON shape in validate, send and
# session; and the hints: a NIP with a wrong checksum is refused before
# anything is sent, a 404 from a base URL without /v2 says to add it, a
# KSeF token made for another NIP is named, and `session upo` on a
# cancelled (440) or failed (445) session says that no UPO will come.
. "$(dirname "$0")/lib.bash"

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
nip=5265877635
other=7010012385
start_ksefd "$WORK/data"
base=$KSEFD_BASE
token=$("$KSEFD" token create --data "$WORK/data" --nip $nip)
dead=http://127.0.0.1:1/v2

own_home
"$KSEF" generate --nip $nip --seed 31 > "$WORK/one.xml"
sed 's/<P_15>/<P_15X>/; s#</P_15>#</P_15X>#' "$WORK/one.xml" > "$WORK/bad.xml"

# json FILE PYTHON: the last check's standard output parses and passes.
json() {
	cp "$WORK/out" "$WORK/json"
	check "$1" 0 python3 -c "
import json; r = json.load(open('$WORK/json'))
$2"
}

# The same failure, the same exit code.
check "no server: auth login" 3 "$KSEF" auth login --base-url $dead --nip $nip --token "$token" --state "$WORK/s1.json"
check "no server: send" 3 "$KSEF" send --base-url $dead --nip $nip --token "$token" "$WORK/one.xml"
check "refused login: auth login" 1 "$KSEF" auth login --base-url "$base" --nip $nip --token "nope|x|y" --state "$WORK/s1.json"
expect "names the status" err "ksef: auth: authentication .*450"
check "refused login: send" 1 "$KSEF" send --base-url "$base" --nip $nip --token "nope|x|y" "$WORK/one.xml"
expect "names the status" err "ksef: send: authentication: .*450"
check "login for the later checks" 0 "$KSEF" auth login --base-url "$base" --nip $nip --token "$token" --state "$WORK/s.json"
# The saved login pointed at a server that is gone.
python3 -c "
import json; s = json.load(open('$WORK/s.json')); s['baseUrl'] = '$dead'
json.dump(s, open('$WORK/dead.json', 'w'))"
chmod 600 "$WORK/dead.json"
check "no server: invoice get" 3 "$KSEF" invoice get --state "$WORK/dead.json" 5265877635-20250826-0100001AF629-AF
check "no server: session status" 3 "$KSEF" session status --state "$WORK/dead.json" 20250625-SO-2C3E6C8000-B675CF5D68-07
check "not logged in: session open" 1 "$KSEF" session open --state "$WORK/none.json"
check "not logged in: invoice get" 1 "$KSEF" invoice get --state "$WORK/none.json" 5265877635-20250826-0100001AF629-AF
check "usage: session" 2 "$KSEF" session frob
check "usage: send" 2 "$KSEF" send --frob

# --json: an object on standard output, also on failure.
check "json: no server" 3 "$KSEF" send --json --base-url $dead --nip $nip --token "$token" "$WORK/one.xml"
json "the error is JSON" "
e = r['error']
assert e['code'] == 'network' and e['exitCode'] == 3 and e['message'], r"
check "json: not logged in" 1 "$KSEF" auth status --json --state "$WORK/none.json"
json "the error is JSON" "
assert r['error']['code'] == 'auth' and r['error']['exitCode'] == 1, r"
check "json: usage" 2 "$KSEF" session upo --json --state "$WORK/s.json"
json "a usage error is JSON" "
assert r['error']['code'] == 'usage' and r['error']['exitCode'] == 2, r"
check "json: no schemas" 3 "$KSEF" validate --json --schemas "$WORK/none" "$WORK/one.xml"
json "no schemas is JSON" "
assert r['error']['exitCode'] == 3 and 'hint' in r['error'], r"
# Same day, another technical part, its CRC-8 recomputed: unknown to KSeF.
unknown=$(python3 -c "
n = '$nip-20250826-FFFFFFFFFFFF'; c = 0
for b in n.encode():
    c ^= b
    for _ in range(8): c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else c << 1
print(n + '-%02X' % c)")
check "json: the API's details" 1 "$KSEF" invoice get --json --wait 0 --out "$WORK/u.xml" --state "$WORK/s.json" "$unknown"
json "carries the API's answer" "
e = r['error']
assert e['code'] == 'http' and e['exitCode'] == 1, r
assert 400 <= e['api']['httpStatus'] < 500 and e['api']['errors'][0]['code'] > 0, r"
check "json: success is unchanged" 0 "$KSEF" auth status --json --state "$WORK/s.json"
json "status parses" "assert r['loggedIn'] is True and 'error' not in r, r"

# One shape of an invoice's status.
shape="
def same(i):
    assert isinstance(i['status'], int) and isinstance(i['description'], str), i
    assert isinstance(i['details'], list), i
"
check "validate --json" 1 "$KSEF" validate --json "$WORK/one.xml" "$WORK/bad.xml"
json "validate's shape" "$shape
same(r[0]); same(r[1]); assert r[0]['status'] == 200 and r[1]['status'] == 450, r"
check "send --json" 0 "$KSEF" send --json --base-url "$base" --nip $nip --token "$token" "$WORK/one.xml"
json "send's shape" "$shape
i = r['invoices'][0]; same(i); assert i['status'] == 200 and i['ksefNumber'], r"
check "session open" 0 "$KSEF" session open --state "$WORK/s.json"
"$KSEF" generate --nip $nip --seed 32 > "$WORK/two.xml"
check "session send --json" 0 "$KSEF" session send --json --state "$WORK/s.json" "$WORK/two.xml"
json "session send's shape" "$shape
i = r['invoices'][0]; same(i); assert i['status'] == 100 and i['referenceNumber'], r"
check "session close" 0 "$KSEF" session close --state "$WORK/s.json"
check "session status --wait" 0 "$KSEF" session status --wait --state "$WORK/s.json"
check "session invoices --json" 0 "$KSEF" session invoices --json --state "$WORK/s.json"
json "session invoices' shape" "$shape
i = r['invoices'][0]; same(i); assert i['status'] == 200 and i['ksefNumber'], r"

# Hints.
check "a NIP with a wrong checksum" 2 "$KSEF" auth login --base-url $dead --nip 5265877636 --token "$token" --state "$WORK/s2.json"
expect "says so" err "ksef: auth: --nip 5265877636 is not a NIP"
check "the same in send, before anything is sent" 2 "$KSEF" send --base-url $dead --nip 5265877636 --token "$token" "$WORK/one.xml"
check "a token of another NIP" 2 "$KSEF" auth login --base-url $dead --nip $other --token "$token" --state "$WORK/s2.json"
expect "names the token's NIP" err "made for NIP $nip, not for --nip $other"
check "a base URL without /v2" 1 "$KSEF" auth login --base-url "${base%/v2}" --nip $nip --token "$token" --state "$WORK/s2.json"
expect "says to add it" err "hint: .*404.*/v2"
check "json carries the hint" 1 "$KSEF" auth login --json --base-url "${base%/v2}/" --nip $nip --token "$token" --state "$WORK/s2.json"
json "the hint" "assert '/v2' in r['error']['hint'], r"

# session upo on a session that ended without invoices in KSeF.
check "open a session to cancel" 0 "$KSEF" session open --state "$WORK/s.json"
check "close it empty" 0 "$KSEF" session close --state "$WORK/s.json"
check "upo of a cancelled session" 1 "$KSEF" session upo --wait --out "$WORK/upo" --state "$WORK/s.json"
expect "says none will come" err "ended with status 440 .*no UPO will come"
check "open a session to fail" 0 "$KSEF" session open --state "$WORK/s.json"
check "send only an invalid invoice" 0 "$KSEF" session send --state "$WORK/s.json" "$WORK/bad.xml"
check "close it" 0 "$KSEF" session close --state "$WORK/s.json"
check "upo of a failed session" 1 "$KSEF" session upo --wait --out "$WORK/upo" --json --state "$WORK/s.json"
json "says none will come, in JSON" "assert 'no UPO will come' in r['error']['message'] and '445' in r['error']['message'], r"
finish
