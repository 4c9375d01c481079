#!/usr/bin/env bash
# Answers that must match the live system's (the client-flow issue's
# "exact answers"): X-Test-System-Warning comes back folded to ASCII as
# X-System-Warning on TEST and never in production; a path of the contract
# not served yet is 404, not 405; ExceptionInfo.referenceNumber has the 36
# characters the schema requires.
. "$(dirname "$0")/lib.bash"
need_schemas

start_ksefd "$WORK/data"
warn='[W1]: Uwaga, zażółć gęślą jaźń | [W2]: druga'
curl -s -D "$WORK/h" -o /dev/null -X POST -H "X-Test-System-Warning: $warn" \
	"$KSEFD_BASE/auth/challenge"
expect "the warning is echoed, folded to ASCII" h \
	'^X-System-Warning: \[W1\]: Uwaga, zazolc gesla jazn | \[W2\]: druga'
curl -s -D "$WORK/h" -o /dev/null -X POST "$KSEFD_BASE/auth/challenge"
check "no warning unless asked" 1 grep -qi '^X-System-Warning' "$WORK/h"

curl -s -o "$WORK/batch" -w '%{http_code}\n' -X POST \
	-H 'Content-Type: application/json' -d '{}' \
	"$KSEFD_BASE/no-such-path" >"$WORK/code"
expect "a path the contract does not have is 404" code '^404$'
# ... and the batch session, served now, wants a token (401).
curl -s -o /dev/null -w '%{http_code}\n' -X POST \
	-H 'Content-Type: application/json' -d '{}' \
	"$KSEFD_BASE/sessions/batch" >"$WORK/code"
expect "POST /sessions/batch without a token is 401" code '^401$'
check "referenceNumber has 36 characters" 0 python3 -c "
import json
e = json.load(open('$WORK/batch'))['exception']
assert len(e['referenceNumber']) == 36, e
assert e['exceptionDetailList'][0]['exceptionCode'] == 21405, e
"
kill "$KSEFD_PID"; wait "$KSEFD_PID" 2>/dev/null || true

# Production needs a trust store; any CA will do for this check.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/ca.key" \
	-out "$WORK/ca.pem" -subj /CN=ca -days 2 2>/dev/null
start_ksefd "$WORK/prod" --profile production --trust-store "$WORK/ca.pem"
curl -s -D "$WORK/h" -o /dev/null -X POST -H "X-Test-System-Warning: $warn" \
	"$KSEFD_BASE/auth/challenge"
check "production never echoes it" 1 grep -qi '^X-System-Warning' "$WORK/h"
finish
