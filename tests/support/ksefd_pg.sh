#!/usr/bin/env bash
# ksefd with its store in PostgreSQL: the tests' stand-in for ksefd when
# they run against the PostgreSQL store (CTest's pg/ tests, through
# tests/support/pg_run.sh). Every --data DIR gets a schema of its own in
# the database KSEF_TEST_PG names (libpq key=value form), the same schema
# for the same folder (a test that restarts ksefd on its folder finds its
# data again), and ksefd runs with --store on it; DIR keeps the files
# (batch parts, export packages, the test's logs).
set -euo pipefail
: "${KSEF_TEST_PG:?no PostgreSQL for the tests (KSEF_TEST_PG)}"
: "${KSEF_BUILD_DIR:?run through ctest}"
args=() data=
while [ $# -gt 0 ]; do
	case "$1" in
	--data)
		[ $# -ge 2 ] || { args+=("$1"); shift; continue; }
		data=$2; args+=("$1" "$2"); shift 2 ;;
	--data=*) data=${1#--data=}; args+=("$1"); shift ;;
	*) args+=("$1"); shift ;;
	esac
done
if [ -n "$data" ]; then
	mkdir -p "$data"
	schema=t_$(realpath -m "$data" | sha256sum | cut -c1-24)
	psql "$KSEF_TEST_PG" -qX -v ON_ERROR_STOP=1 \
		-c "SET client_min_messages = warning" \
		-c "CREATE SCHEMA IF NOT EXISTS $schema" >/dev/null
	# Tests that set test data in the store directly find it here.
	echo "$schema" >"$data/.pg-schema"
	# pg_run.sh drops what the test made.
	[ -z "${KSEF_PG_SCHEMAS:-}" ] || echo "$schema" >>"$KSEF_PG_SCHEMAS"
	args+=(--store "$KSEF_TEST_PG options='-c search_path=$schema'")
fi
exec "$KSEF_BUILD_DIR/ksefd" "${args[@]}"
