#!/usr/bin/env bash
# The crash check finds what it is there to find. One kill -9 cycle passes
# and so does a second check of it; then an acknowledgement the server
# never gave (a real invoice claimed under another session) is counted as
# lost, and a store damaged on disk fails the integrity check. The crash
# run itself is e2e/crash_test (scripts/crash-test.sh).
. "$(dirname "$0")/lib.bash"
need_schemas

LOAD=$KSEF_BUILD_DIR/tests/crash_load
D=$WORK/data
J=$WORK/journal

check "one crash cycle passes" 0 "$LOAD" --cycles 1 --data "$D" \
	--journal "$J" --kill-ms 300-300 --settle 60
expect "it acknowledged invoices" out "^acknowledged: *[1-9]"
expect "and lost none" out "^lost: *0$"
check "checking the same run again passes" 0 "$LOAD" --check-only \
	--data "$D" --journal "$J" --settle 60
expect "with nothing lost" out "^lost: *0$"

# The first acknowledged invoice, claimed by a journal line under another
# session of the run: GET /sessions/{other}/invoices/{iref} cannot know it.
read -r sess iref hash < <(awk -F'\t' '$1 == "ack" { print $3, $4, $5;
	exit }' "$J")
other=$(awk -F'\t' -v s="$sess" '$1 == "open" && $3 != s { print $3;
	exit }' "$J")
if [ -z "$other" ]; then
	echo "FAIL: the run opened a single session"
	exit 1
fi
printf 'ack\t1\t%s\t%s\t%s\t999999999\n' "$other" "$iref" "$hash" >>"$J"
check "an acknowledgement the server never gave fails the check" 1 \
	"$LOAD" --check-only --data "$D" --journal "$J" --settle 60
expect "it is counted as lost" out "^lost: *1$"
expect "and named" err "lost: invoice $iref .* of $other is unknown"

# Four pages of noise past the header page of the stopped server's store.
dd if=/dev/urandom of="$D/ksefd.sqlite3" bs=4096 seek=2 count=4 \
	conv=notrunc status=none
check "a damaged store fails the check" 1 "$LOAD" --check-only \
	--data "$D" --journal "$J"
expect "as an integrity failure" out "^integrity: *FAILED"
finish
