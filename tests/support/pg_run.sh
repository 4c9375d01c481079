#!/usr/bin/env bash
# pg_run.sh COMMAND...: run a test against the PostgreSQL store: ksefd is
# tests/support/ksefd_pg.sh (KSEFD), on the database of KSEF_TEST_PG
# (scripts/pg-cluster.sh starts a throwaway one). Without KSEF_TEST_PG
# the test is skipped (77). The schemas the test made are dropped after.
set -uo pipefail
[ -n "${KSEF_TEST_PG:-}" ] || { echo "no KSEF_TEST_PG: skipped"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
export KSEFD=$here/ksefd_pg.sh
export KSEF_PG_SCHEMAS
KSEF_PG_SCHEMAS=$(mktemp)
"$@"
rc=$?
for s in $(sort -u "$KSEF_PG_SCHEMAS"); do
	psql "$KSEF_TEST_PG" -qX -c "SET client_min_messages = warning" \
		-c "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1
done
rm -f "$KSEF_PG_SCHEMAS"
exit $rc
