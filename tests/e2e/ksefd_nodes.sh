#!/usr/bin/env bash
# Three ksefd processes on one PostgreSQL database, a client spreading its
# requests across them: logged in on one, the session opened on another,
# each invoice sent to the next node in turn, closed on a third, its status
# and invoices read from every node. Every invoice ends 200 with its own
# KSeF number, and the session's UPO is byte for byte the same from each
# node. Runs as pg/e2e/ksefd_nodes (tests/support/pg_run.sh); skipped on
# the embedded store, whose data folder has one server.
. "$(dirname "$0")/lib.bash"
need_schemas
case "${KSEFD:-}" in
*ksefd_pg.sh) ;;
*) echo "needs the PostgreSQL store (pg/e2e/ksefd_nodes): skipped"; exit 77 ;;
esac

nip=5265877635
data=$WORK/data
bases=()
for i in 1 2 3; do
	# The same folder: the same schema (ksefd_pg.sh), and the files
	# (batch parts) shared as a deployment shares them.
	start_ksefd "$data"
	bases+=("$KSEFD_BASE")
done
check "three nodes listen on three ports" 0 \
	test "$(printf '%s\n' "${bases[@]}" | sort -u | wc -l)" -eq 3
token=$("$KSEFD" token create --data "$data" --nip $nip)

own_home
state=$HOME/.local/state/ksef/auth.json
# on N: the following commands go to node N (0, 1, 2): the saved state
# names the server, as a client behind a balancer would meet another.
# Every baseUrl of the state is the connection's or one of its sessions'.
on() {
	python3 -c "
import json, sys
def point(d):
    if isinstance(d, dict):
        for k in d:
            if k == 'baseUrl': d[k] = sys.argv[2]
            else: point(d[k])
p = sys.argv[1]; s = json.load(open(p)); point(s); json.dump(s, open(p, 'w'))" \
		"$state" "${bases[$1]}"
}
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'): d=d[k]
print(d)" "$state" "$1"; }

check "login on node 1" 0 "$KSEF" auth login --base-url "${bases[0]}" \
	--nip $nip --token "$token"
on 1
check "session open on node 2" 0 "$KSEF" session open --form 'FA (3)'
sref=$(field currentSession)
mkdir -p "$WORK/inv"
check "generate 9" 0 "$KSEF" generate --nip $nip --count 9 --seed 5 \
	--out "$WORK/inv"
n=0
: >"$WORK/sent"
for f in "$WORK"/inv/*.xml; do
	on $((n % 3))
	check "invoice $n sent to node $((n % 3 + 1))" 0 "$KSEF" session send "$f"
	cat "$WORK/out" >>"$WORK/sent"
	n=$((n + 1))
done
check "nine references" 0 test "$(grep -c -- '-EE-' "$WORK/sent")" -eq 9
on 2
check "session close on node 3" 0 "$KSEF" session close
for i in 0 1 2; do
	on $i
	check "status from node $((i + 1))" 0 "$KSEF" session status --wait "$sref"
	expect "ended 200 on node $((i + 1))" out "session $sref: 200"
	expect "nine accepted on node $((i + 1))" out \
		"invoices: 9 (9 accepted, 0 failed)"
	check "invoices from node $((i + 1))" 0 "$KSEF" session invoices "$sref"
	cp "$WORK/out" "$WORK/list$i"
	check "nine KSeF numbers from node $((i + 1))" 0 \
		test "$(grep -c "	200	$nip-" "$WORK/list$i")" -eq 9
	check "UPOs from node $((i + 1))" 0 "$KSEF" session upo "$sref" \
		--out "$WORK/upo$i"
done
check "the numbers are distinct" 0 test "$(awk -F'\t' '{ print $4 }' \
	"$WORK/list0" | sort -u | wc -l)" -eq 9
check "every node lists the same" 0 bash -c \
	"cmp '$WORK/list0' '$WORK/list1' && cmp '$WORK/list0' '$WORK/list2'"
check "a session UPO and nine invoice UPOs" 0 \
	test "$(ls "$WORK/upo0" | wc -l)" -eq 10
check "the UPOs are the same bytes from every node" 0 bash -c \
	"diff -r '$WORK/upo0' '$WORK/upo1' && diff -r '$WORK/upo0' '$WORK/upo2'"

# Rate limits hold across the nodes (docs/store.md): each node counts the
# nodes serving the store and lets a key through to its share of each
# limit, rounded up, so that three together let through what one would.
for i in 0 1 2; do
	check "node $((i + 1)) counts three nodes" 0 bash -c "
		for t in \$(seq 50); do
			curl -sf '${bases[$i]%/v2}/metrics' | grep -qx 'ksefd_nodes 3' && exit 0
			sleep 0.2
		done; exit 1"
done
check "the context's own limit of 9 a minute" 0 "$KSEF" limits set rate \
	--group other --per-second 9 --per-minute 9 --per-hour 120
# Each node forgets the contexts' limits it cached at its next tick.
sleep 1
access=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['accessToken']['token'])" "$state")
# hit N PATH NODE...: N requests of PATH, each to the next of the nodes
# given; the answers' status codes, a line each, in $WORK/codes.
hit() {
	local n=$1 path=$2 k
	shift 2
	local nodes=("$@")
	: >"$WORK/codes"
	for k in $(seq 0 $((n - 1))); do
		curl -s -o "$WORK/body" -w '%{http_code}\n' \
			-H "Authorization: Bearer $access" \
			"${bases[${nodes[$((k % ${#nodes[@]}))]}]}$path" >>"$WORK/codes"
	done
}
hit 30 /limits/subject 0 1 2
check "round robin over three nodes: 9 of 30 let through" 0 \
	test "$(grep -c '^200$' "$WORK/codes")" -eq 9
check "the other 21 answered 429" 0 \
	test "$(grep -c '^429$' "$WORK/codes")" -eq 21
expect "the 429 names the whole limit" body "limit 9 żądań na minutę"
hit 10 /limits/context 1
check "all to one node: its share, 3 of 10" 0 \
	test "$(grep -c '^200$' "$WORK/codes")" -eq 3
finish
