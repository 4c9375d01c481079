#!/usr/bin/env bash
# One ksefd per data folder: a second server on the same --data is refused
# with a message naming the first, while the admin commands still work
# beside the running one; after the first dies, even by kill -9, a new one
# starts on the same folder.
. "$(dirname "$0")/lib.bash"

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
start_ksefd "$WORK/data"
first=$KSEFD_PID

check "a second ksefd on the same folder is refused" 1 \
	timeout 10 "$KSEFD" --data "$WORK/data" --listen 127.0.0.1:0
expect "it names the first" err "another ksefd (pid $first) serves"
check "the first still answers" 0 curl -sf -X POST "$KSEFD_BASE/auth/challenge"
check "admin commands run beside it" 0 \
	"$KSEFD" token create --data "$WORK/data" --nip 5265877635

kill -9 "$first"
wait "$first" 2>/dev/null
start_ksefd "$WORK/data"
check "after kill -9 a new ksefd serves the folder" 0 \
	curl -sf -X POST "$KSEFD_BASE/auth/challenge"
finish
