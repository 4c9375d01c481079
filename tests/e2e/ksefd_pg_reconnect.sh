#!/usr/bin/env bash
# ksefd on PostgreSQL when the database drops its connections (a restart,
# a failover, an administrator's pg_terminate_backend): nothing
# acknowledged is lost, and ksefd connects again by itself at the next
# use, without a restart. Each of its connections is named after the
# store's schema (application_name 'ksefd SCHEMA', 'ksefd-reader
# SCHEMA'), so the test ends only its own. Runs as pg/e2e/ksefd_pg_reconnect;
# skipped on the embedded store.
. "$(dirname "$0")/lib.bash"
need_schemas
case "${KSEFD:-}" in
*ksefd_pg.sh) ;;
*) echo "needs the PostgreSQL store (pg/e2e/ksefd_pg_reconnect): skipped"; exit 77 ;;
esac

nip=5265877635
start_ksefd "$WORK/data"
token=$("$KSEFD" token create --data "$WORK/data" --nip $nip)
schema=$(cat "$WORK/data/.pg-schema")
own_home
check "login" 0 "$KSEF" auth login --base-url "$KSEFD_BASE" --nip $nip --token "$token"
check "generate 4" 0 "$KSEF" generate --nip $nip --count 4 --seed 11 --out "$WORK/inv"
check "session open" 0 "$KSEF" session open --form 'FA (3)'
sref=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['currentSession'])" "$HOME/.local/state/ksef/auth.json")
check "first invoice sent" 0 "$KSEF" session send "$WORK/inv/$(ls "$WORK/inv" | head -1)"

# kill_conns: end every connection of this store; prints how many.
kill_conns() {
	psql "$KSEF_TEST_PG" -qAtX -c "SELECT count(pg_terminate_backend(pid))
		FROM pg_stat_activity WHERE datname = current_database() AND
		application_name IN (left('ksefd $schema', 63),
				     left('ksefd-reader $schema', 63))"
}
n=$(kill_conns)
check "the database ended the writer and a reader at least" 0 test "$n" -ge 2

# The next uses meet the dead connections once, with a storage error and
# nothing acknowledged; then ksefd has connected again.
sent=0
for f in $(ls "$WORK/inv" | tail -3); do
	for try in 1 2 3 4 5; do
		if "$KSEF" session send "$WORK/inv/$f" >"$WORK/out" 2>"$WORK/err"; then
			sent=$((sent + 1))
			break
		fi
		# A failure is the database's, never the invoice's.
		cp "$WORK/err" "$WORK/failed"
		check "a failed send is a server error" 0 grep -q -E '5[0-9][0-9]|storage|store' "$WORK/failed"
		sed 's/^/  failed send: /' "$WORK/failed"
		sleep 0.3
	done
done
check "the three others are sent after it" 0 test "$sent" -eq 3
check "ksefd is ready again" 0 curl -sf "${KSEFD_BASE%/v2}/health/ready"
check "the connections are open again" 0 test "$(psql "$KSEF_TEST_PG" -qAtX -c \
	"SELECT count(*) FROM pg_stat_activity WHERE application_name = left('ksefd $schema', 63)")" -eq 1
check "session close" 0 "$KSEF" session close
check "all four accepted, none lost" 0 "$KSEF" session status --wait "$sref"
expect "four accepted" out "invoices: 4 (4 accepted, 0 failed)"
finish
