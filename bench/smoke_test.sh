#!/usr/bin/env bash
# The benchmark still runs and still reports what it measured: tiny closed
# loops (one and two senders a session) and open loops, with and without
# downloads alongside, through scripts/bench-ksefd.sh against a fresh
# ksefd, with every figure checked in the JSON report (not its speed,
# which no test judges); rejected invoices (a series sent twice: 440) and
# refused downloads (403) make the exit status 1; KSEFD_ARGS reaches the
# server; bad arguments exit 2; a two-round soak (scripts/soak.sh) prints
# its columns and sums its errors, also with cold reads (--cold).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${KSEF_BUILD_DIR:?}
export KSEF_BUILD=$build
[ -d "${KSEF_SCHEMA_DIR:-}" ] || { echo "no schemas: skipped"; exit 77; }
work=$(mktemp -d)
pid=
failed=0
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
check() { # name expected-status command...
	local name=$1 want=$2 got
	shift 2
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	if [ "$got" = "$want" ]; then
		echo "ok: $name"
	else
		echo "FAIL: $name: exit $got, expected $want"
		sed 's/^/  | /' "$work/out" "$work/err"
		failed=1
		return 1
	fi
}
json() { # name file python-assertions (d is the report)
	check "$1" 0 python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
$3" "$2"
}

bench=$here/scripts/bench-ksefd.sh
check "closed loop" 0 "$bench" --invoices 16 --threads 2 \
	--verify-invoices 10 --sqlite-rows 20 --json "$work/closed.json"
grep -q "ratio to verify only" "$work/out" ||
	{ echo "FAIL: the text report has no ratio"; failed=1; }
json "closed loop figures" "$work/closed.json" '
v, s, c = d["verify_only"], d["sqlite_group_commit"], d["closed"]
assert 9000 < d["invoice_bytes"] <= 10000, d
assert v["threads"] == 2 and v["invoices"] == 10 and v["failed"] == 0, v
assert v["per_s"] > 0, v
assert s["rows"] == 20 and s["threads"] == 2 and s["rows_per_s"] > 0, s
assert s["blob_bytes"] % 16 == 0 and s["blob_bytes"] > d["invoice_bytes"], s
assert 1 <= s["commits"] <= 20, s
assert c["threads"] == 2 and c["per_thread"] == 8 and c["accepted"] == 16, c
assert c["in_flight"] == 1 and 1 <= c["peak_in_flight"] <= 2, c
assert c["statuses"] == {"200": 16} and c["send_errors"] == {}, c
assert c["timed_out_sessions"] == 0 and c["listing_pages"] >= 2, c
assert 0 < c["accept_s"] <= c["verified_s"], c
assert c["accepted_per_s"] >= c["verified_per_s"] > 0, c
assert abs(c["ratio"] - c["verified_per_s"] / v["per_s"]) < 1e-3, c
assert c["server_cpu_us_per_invoice"] is not None, c
assert c["server_rss_kb"] > 0 and c["server_hwm_kb"] >= c["server_rss_kb"], c
'

# Two senders a session, each on its own connection, share out the
# session's 9 invoices (5 and 4) under its one reference: a slice sent
# twice would end 440, a slice lost would be missing, and a sender on a
# session of its own would leave the first sender's read-back short.
check "closed loop, 2 in flight" 0 "$bench" --invoices 18 --threads 2 \
	--in-flight 2 --verify-invoices 0 --sqlite-rows 20 \
	--json "$work/in-flight.json"
grep -q "2 sessions × 2 in flight" "$work/out" ||
	{ echo "FAIL: the text report has no in-flight count"; failed=1; }
json "closed loop, 2 in flight, figures" "$work/in-flight.json" '
s, c = d["sqlite_group_commit"], d["closed"]
assert s["threads"] == 4, s
assert c["threads"] == 2 and c["in_flight"] == 2 and c["per_thread"] == 9, c
assert c["accepted"] == 18 and c["statuses"] == {"200": 18}, c
assert c["send_errors"] == {} and c["timed_out_sessions"] == 0, c
# Four senders leave one barrier together, each send waiting on a
# durable commit: they overlap.
assert 2 <= c["peak_in_flight"] <= 4, c
'

check "open loop" 0 "$bench" --rate 40,60 --duration 0.5 --threads 2 \
	--senders 4 --verify-invoices 0 --sqlite-rows 0 --json "$work/open.json"
json "open loop figures" "$work/open.json" '
assert "verify_only" not in d and "closed" not in d, d
o = d["open"]
assert o["sessions"] == 2 and o["senders"] == 4, o
assert [r["offered_per_s"] for r in o["rates"]] == [40, 60], o
for r in o["rates"]:
    n = round(r["offered_per_s"] * 0.5)
    assert r["scheduled"] == n and r["accepted"] == n, r
    assert r["statuses"] == {"200": n} and r["send_errors"] == {}, r
    assert 0 < r["p50_ms"] <= r["p90_ms"] <= r["p99_ms"] <= r["max_ms"], r
    assert 0 < r["achieved_per_s"] <= r["offered_per_s"] * 1.05, r
    assert r["server_rss_kb"] > 0, r
'

# On a fresh server the first rate finds nothing stored and downloads
# nothing; the second fetches what the first stored (its two sessions,
# closed as it ended), every kind of download at least once, all 200.
check "open loop with downloads" 0 "$bench" --rate 40,40 --duration 1 \
	--threads 2 --senders 4 --downloads-per-second 32 --downloaders 2 \
	--verify-invoices 0 --sqlite-rows 0 --json "$work/download.json"
cp "$work/err" "$work/download.err"
grep -q "^Downloads alongside: 2 threads" "$work/out" ||
	{ echo "FAIL: the text report has no downloads"; failed=1; }
json "open loop with downloads, figures" "$work/download.json" '
o = d["open"]
assert o["downloaders"] == 2, o
first, second = [r["downloads"] for r in o["rates"]]
assert first["offered_per_s"] == 32 and first["scheduled"] == 0, first
assert first["target_invoices"] == 0 and first["error_count"] == 0, first
s = second
assert s["target_sessions"] == 2 and s["target_invoices"] == 40, s
assert s["target_upo_pages"] == 2, s
assert s["scheduled"] == 32 and s["ok"] == 32, s
assert s["errors"] == {} and s["error_count"] == 0, s
assert 0 < s["p50_ms"] <= s["p90_ms"] <= s["p99_ms"] <= s["max_ms"], s
assert 0 < s["achieved_per_s"] <= 32 * 1.05 and s["bytes"] > 0, s
k = s["kinds"]
assert sorted(k) == ["invoice", "invoice_upo", "listing", "session_upo"], k
assert sum(v["scheduled"] for v in k.values()) == 32, k
for v in k.values():
    assert v["scheduled"] >= 1 and v["ok"] == v["scheduled"], k
    assert 0 < v["p50_ms"] <= v["p99_ms"], k
for r in o["rates"]:
    assert r["accepted"] == 40 and r["statuses"] == {"200": 40}, r
' || sed 's/^/  | /' "$work/download.err"

check "KSEFD_ARGS reaches the server" 1 env KSEFD_ARGS=--no-such-flag \
	"$bench" --invoices 2 --threads 1
grep -q "did not start" "$work/err" ||
	{ echo "FAIL: no word of the server that did not start"; failed=1; }
check "a bad argument exits 2" 2 "$build/bench/bench_ksefd" --rate x \
	--base-url http://127.0.0.1:1/v2 --nip 5265877635 --token t
check "no sender a session exits 2" 2 "$build/bench/bench_ksefd" \
	--in-flight 0 --base-url http://127.0.0.1:1/v2 --nip 5265877635 \
	--token t
check "over 512 senders exits 2" 2 "$build/bench/bench_ksefd" \
	--threads 64 --in-flight 9 --base-url http://127.0.0.1:1/v2 \
	--nip 5265877635 --token t
check "downloads without an open loop exit 2" 2 \
	"$build/bench/bench_ksefd" --downloads-per-second 5 \
	--base-url http://127.0.0.1:1/v2 --nip 5265877635 --token t

# One series sent twice to one server: the second time every invoice is
# a duplicate (440), which the report counts and the exit status shows.
"$build/ksefd" --data "$work/data" >"$work/ksefd.out" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q listening "$work/ksefd.out" 2>/dev/null && break
	sleep 0.1
done
base=$(sed -n 's/^ksefd: listening on //p' "$work/ksefd.out")
token=$("$build/ksefd" token create --data "$work/data" --nip 5265877635)
run() {
	"$build/bench/bench_ksefd" --base-url "$base" --nip 5265877635 \
		--token "$token" --seed 7 --invoices 4 --threads 1 \
		--verify-invoices 0 --sqlite-rows 0 --json "$work/$1.json"
}
check "a series sent once" 0 run first
check "the same series again fails" 1 run again
grep -q "n/a (no --server-pid)" "$work/out" ||
	{ echo "FAIL: no n/a for the server's CPU"; failed=1; }
json "the duplicates are counted" "$work/again.json" '
c = d["closed"]
assert c["accepted"] == 4 and c["statuses"] == {"440": 4}, c
assert c["server_cpu_us_per_invoice"] is None, c
'

# A download that fails counts as an error: a token without InvoiceRead
# sends, lists and reads UPOs, but each invoice download is refused with
# 403 (9 of every 16 downloads are invoices), and the run exits 1.
write_only=$("$build/ksefd" token create --data "$work/data" \
	--nip 5265877635 --permissions InvoiceWrite)
check "refused downloads fail the run" 1 "$build/bench/bench_ksefd" \
	--base-url "$base" --nip 5265877635 --token "$write_only" \
	--rate 20 --duration 1 --threads 1 --downloads-per-second 16 \
	--verify-invoices 0 --sqlite-rows 0 --json "$work/refused.json"
grep -q "failed by HTTP status 403: 9" "$work/out" ||
	{ echo "FAIL: the text report has no refused downloads"; failed=1; }
json "refused downloads are counted" "$work/refused.json" '
r = d["open"]["rates"][0]
assert r["accepted"] == 20 and r["statuses"] == {"200": 20}, r
s = r["downloads"]
assert s["target_invoices"] == 4 and s["scheduled"] == 16, s
assert s["ok"] == 7 and s["error_count"] == 9, s
assert s["errors"] == {"403": 9}, s
k = s["kinds"]
assert k["invoice"]["scheduled"] == 9 and k["invoice"]["ok"] == 0, k
assert all(v["ok"] == v["scheduled"] for n, v in k.items()
           if n != "invoice"), k
'

# Two short rounds of the soak, each with its downloads; the per-round
# line has every column and the last line sums the errors.
check "a short soak with downloads" 0 "$here/scripts/soak.sh" 1 \
	--rate 20 --round 2 --rounds 2 --downloads 10
cp "$work/out" "$work/soak.out"
check "the soak's rounds" 0 awk '
	/^round .* dl\/s  dl p50  dl p99  dl err  RSS MB  fds  data MB$/ {
		head = 1; next }
	head && $1 ~ /^[0-9]+$/ {
		rows++
		# Rates and latencies are speed, which no test judges:
		# only that they were measured.
		if (NF != 13 || $1 != rows || !($2 > 0) || $6 != 0 ||
		    !($7 > 0) || !($8 > 0) || !($9 >= $8) || $10 != 0 ||
		    !($11 > 0) || !($12 > 0))
			bad = 1
	}
	/^soak: 2 rounds; 0 sends without a 202; 0 of 40 downloads/ &&
	    / without a 200$/ { sum = 1 }
	END { exit !(head && rows == 2 && !bad && sum) }' "$work/soak.out"

# The same with cold reads (the store dropped from the page cache every
# second) and a server with one read slot: every download still ends 200.
check "a short soak with cold reads" 0 env KSEFD_ARGS="--max-reads 1" \
	"$here/scripts/soak.sh" 1 --rate 20 --round 2 --rounds 2 \
	--downloads 10 --cold 1
grep -q "^cold reads: the store leaves the page cache every 1 s$" \
	"$work/out" && grep -q "^soak: 2 rounds; 0 sends without a 202; 0 of 40 downloads without a 200$" "$work/out" ||
	{ echo "FAIL: the cold soak's lines"; failed=1; }
exit $failed
