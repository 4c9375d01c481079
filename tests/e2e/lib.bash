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
