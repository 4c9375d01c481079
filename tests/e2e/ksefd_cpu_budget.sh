#!/usr/bin/env bash
# An invoice whose verification costs more CPU than --invoice-cpu-ms
# allows ends as 450 with a detail that names the budget (the hardening
# issue: bounded work per request), and the session goes on: a small
# invoice sent after it, to a server with room for it, is accepted.
. "$(dirname "$0")/lib.bash"
need_schemas

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
nip=5265877635
# A 1 MB invoice needs tens of milliseconds of CPU; one is far too few.
start_ksefd "$WORK/data" --invoice-cpu-ms 1
token=$("$KSEFD" token create --data "$WORK/data" --nip $nip)
"$KSEF" generate --nip $nip --seed 21 --size 1000000 >"$WORK/big.xml"
check "a 1 MB invoice past a 1 ms budget fails the send" 1 \
	"$KSEF" send --json --base-url "$KSEFD_BASE" --nip $nip \
	--token "$token" "$WORK/big.xml"
cp "$WORK/out" "$WORK/json"
check "it is 450 with the budget's detail" 0 python3 -c "
import json
r = json.load(open('$WORK/json'))
inv = r['invoices'][0]
assert inv['status'] == 450, inv
d = ' '.join(inv.get('details', []))
assert 'past its CPU budget of 1 ms' in d, inv
"
kill "$KSEFD_PID"; wait "$KSEFD_PID" 2>/dev/null || true

# The same invoice with the default budget is accepted.
start_ksefd "$WORK/data"
check "with the default budget it is accepted" 0 \
	"$KSEF" send --base-url "$KSEFD_BASE" --nip $nip --token "$token" \
	"$WORK/big.xml"
expect "and numbered" out "big.xml: 200 $nip-"
finish
