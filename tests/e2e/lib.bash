# Shared by the e2e scripts: where things are, a scratch folder removed on
# exit, check/fail helpers that count and report like a test runner, and
# skipping (exit 77) when the official schemas are absent.
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

# The official schemas, as scripts/fetch-schemas.sh puts them in
# $KSEF_SCHEMA_DIR: each form's schema file (src/lib/xsd.c's table).
schema_files=("FA/schemat_FA(2)_v1-0E.xsd" "FA/schemat_FA(3)_v1-0E.xsd"
	"PEF/Schemat_PEF(3)_v2-1.xsd" "PEF/Schemat_PEF_KOR(3)_v2-1.xsd"
	"RR/schemat_FA_RR(1)_v1-1E.xsd")

# schemas_present: whether they are all there; when not, says so.
schemas_present() {
	local f all=0
	if [ -n "${KSEF_SCHEMA_DIR:-}" ]; then
		all=1
		for f in "${schema_files[@]}"; do
			[ -f "$KSEF_SCHEMA_DIR/$f" ] || all=0
		done
	fi
	[ "$all" -eq 1 ] && return 0
	echo "skipped: the official schemas are not in" \
		"${KSEF_SCHEMA_DIR:-\$KSEF_SCHEMA_DIR (unset)};" \
		"run scripts/fetch-schemas.sh"
	return 1
}

# need_schemas: a script that cannot run without them stops here with
# exit status 77, which tests/CMakeLists.txt tells CTest means skipped.
need_schemas() {
	schemas_present || exit 77
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# start_ksefd DATA_DIR [ARGS...]: a ksefd on a free loopback port; sets
# KSEFD_PID, KSEFD_BASE (its /v2 base URL) and, with --console,
# KSEFD_CONSOLE (the console's root URL). It is stopped on exit.
start_ksefd() {
	local data=$1
	shift
	start_ksefd_args "$data.log" --data "$data" --listen 127.0.0.1:0 "$@"
}

# own_home: a HOME of the test's own, and none of the user's ksef settings
# or state in the environment, so nothing of theirs leaks in or is touched.
own_home() {
	export HOME=$WORK/home XDG_CONFIG_HOME= XDG_STATE_HOME=
	unset KSEF_ENV KSEF_BASE_URL KSEF_NIP KSEF_TOKEN KSEF_CERT KSEF_KEY \
		KSEF_CONFIG KSEF_STATE KSEF_KEY_PASSWORD KSEF_P12_PASSWORD
	mkdir -p "$HOME"
}

# store_sql DATA_DIR SQL: one value of a query on ksefd's store, its SQLite
# file or, on the PostgreSQL store (tests/support/ksefd_pg.sh left the
# schema's name in the folder), its schema.
store_sql() {
	if [ -f "$1/.pg-schema" ]; then
		psql "$KSEF_TEST_PG options='-c search_path=$(cat "$1/.pg-schema")'" \
			-qAtX -c "$2"
	else
		sqlite3 "file:$1/ksefd.sqlite3?mode=ro" "$2"
	fi
}

# start_ksefd_args LOG ARGS...: the same with exactly these arguments (the
# settings of a --config file, say), its standard error appended to LOG.
start_ksefd_args() {
	local log=$1 out
	shift
	need_schemas # ksefd compiles the FA (3) schema as it starts
	out=$(mktemp -p "$WORK")
	"${KSEFD:-$KSEF_BUILD_DIR/ksefd}" "$@" >"$out" 2>>"$log" &
	KSEFD_PID=$!
	KSEFD_PIDS="${KSEFD_PIDS:-} $KSEFD_PID"
	trap 'for p in $KSEFD_PIDS; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$WORK"' EXIT
	for _ in $(seq 200); do grep -q listening "$out" 2>/dev/null && break; sleep 0.05; done
	KSEFD_BASE=$(sed -n 's/^ksefd: listening on //p' "$out")
	# With --console: its address, else empty.
	KSEFD_CONSOLE=$(sed -n 's/^ksefd: console on //p' "$out")
	[ -n "$KSEFD_BASE" ] || { echo "ksefd did not start"; cat "$log"; exit 1; }
}
