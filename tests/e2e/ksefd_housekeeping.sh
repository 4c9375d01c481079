#!/usr/bin/env bash
# ksefd forgets what can no longer be used: challenges past their lifetime
# are purged by the housekeeper, so a flood of POST /auth/challenge leaves
# the data folder bounded instead of growing forever.
. "$(dirname "$0")/lib.bash"

start_ksefd "$WORK/data" --challenge-ttl 1
count() { store_sql "$WORK/data" "SELECT count(*) FROM challenges"; }

for _ in $(seq 30); do
	curl -s -o /dev/null -X POST "$KSEFD_BASE/auth/challenge"
done
check "the challenges are stored" 0 test "$(count)" -ge 1
# Lifetime 1 s; the housekeeper looks every 500 ms and purges at most once
# per lifetime: within a few seconds every one of them is gone.
for _ in $(seq 50); do
	[ "$(count)" -eq 0 ] && break
	sleep 0.1
done
check "expired challenges purged" 0 test "$(count)" -eq 0
# A fresh one is still there to be used.
curl -s -X POST "$KSEFD_BASE/auth/challenge" >"$WORK/ch.json"
expect "a new challenge is issued" ch.json '"challenge"'
check "and stored" 0 test "$(count)" -eq 1
finish
