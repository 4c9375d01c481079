# Shared by the e2e scripts: where things are, a scratch folder removed on
# exit, and check/fail helpers that count and report like a test runner.
set -uo pipefail
: "${KSEF_BUILD_DIR:?run through ctest}"
KSEF=$KSEF_BUILD_DIR/ksef
SHARED=${KSEF_SHARED_DIR:-$KSEF_SOURCE_DIR/../shared}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0

# check NAME EXPECTED_STATUS COMMAND...: runs COMMAND, compares exit status.
check() {
	local name=$1 want=$2 got
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $name: exit $got, expected $want"
		sed 's/^/  out: /' "$WORK/out" | head -20
		sed 's/^/  err: /' "$WORK/err" | head -20
	fi
}

# expect NAME FILE PATTERN: FILE (out or err of the last check) matches.
expect() {
	if grep -q -- "$3" "$WORK/$2"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $1: $2 lacks '$3'"
		sed "s/^/  $2: /" "$WORK/$2" | head -20
	fi
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# start_ksefd DATA_DIR [ARGS...]: a ksefd on a free loopback port; sets
# KSEFD_PID and KSEFD_BASE (its /v2 base URL). It is stopped on exit.
start_ksefd() {
	local data=$1 out
	shift
	out=$(mktemp -p "$WORK")
	"$KSEF_BUILD_DIR/ksefd" --data "$data" --listen 127.0.0.1:0 "$@" \
		>"$out" 2>>"$data.log" &
	KSEFD_PID=$!
	KSEFD_PIDS="${KSEFD_PIDS:-} $KSEFD_PID"
	trap 'for p in $KSEFD_PIDS; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$WORK"' EXIT
	for _ in $(seq 200); do grep -q listening "$out" 2>/dev/null && break; sleep 0.05; done
	KSEFD_BASE=$(sed -n 's/^ksefd: listening on //p' "$out")
	[ -n "$KSEFD_BASE" ] || { echo "ksefd did not start"; cat "$data.log"; exit 1; }
}
