#!/usr/bin/env bash
# ksefd behind a balancer it trusts (--trusted-proxy, docs/deploy.md): the
# client's address comes from X-Forwarded-For, the rightmost entry the
# balancer appended, never one a client wrote to its left; from a peer it
# does not trust the header is ignored. The address shows where ksefd
# shows a client's: the challenge's clientIp and the request log.
. "$(dirname "$0")/lib.bash"

ip_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['clientIp'])" "$WORK/out"; }
challenge() { curl -sf -X POST "$KSEFD_BASE/auth/challenge" "$@"; }

check "a list that is not addresses is refused" 1 \
	"${KSEFD:-$KSEF_BUILD_DIR/ksefd}" --data "$WORK/bad" --trusted-proxy balancer
expect "and named" err "trusted-proxy"

start_ksefd "$WORK/trusting" --trusted-proxy 10.89.0.0/24,127.0.0.1 \
	--log-format json
check "a challenge through the balancer" 0 challenge -H 'X-Forwarded-For: 203.0.113.7'
check "counts the client it names" 0 test "$(ip_of)" = 203.0.113.7
check "a client's own entry on the left" 0 challenge \
	-H 'X-Forwarded-For: 198.51.100.66, 203.0.113.8'
check "is not believed" 0 test "$(ip_of)" = 203.0.113.8
check "garbage where an address should be" 0 challenge \
	-H 'X-Forwarded-For: 203.0.113.9, <script>'
check "leaves the balancer's own address" 0 test "$(ip_of)" = 127.0.0.1
check "no header" 0 challenge
check "is the balancer itself" 0 test "$(ip_of)" = 127.0.0.1
check "the log names the client" 0 grep -q '"ip":"203\.0\.113\.7"' "$WORK/trusting.log"
check "and never the forged entry" 1 grep -q '198\.51\.100\.66' "$WORK/trusting.log"

start_ksefd "$WORK/plain"
check "without --trusted-proxy" 0 challenge -H 'X-Forwarded-For: 203.0.113.7'
check "the header is the client's own word" 0 test "$(ip_of)" = 127.0.0.1
finish
