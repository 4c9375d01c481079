#!/usr/bin/env bash
# `ksef limits` and `ksef testdata ...` against a real ksefd, as
# docs/cli.md shows them: the limits read, set, read back, reset and
# switched to production; test subjects, persons, permissions (a colleague
# logs in with a certificate only while granted), the attachment consent
# and a blocked context (its login refused with 480 until unblocked);
# --json; and the refusals: DEMO and PRD (exit 2 before anything is sent),
# bad values and flags (2), the server's refusals (1), and ksefd
# --profile production, which has no test data (404, exit 1).
. "$(dirname "$0")/lib.bash"
need_schemas

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
nip=5265877635
colleague=1234563218
jst=7762811692
school=8225900795
blocked=3755747347
start_ksefd "$WORK/data" --processing-delay 0
base=$KSEFD_BASE
token=$("$KSEFD" token create --data "$WORK/data" --nip $nip \
	--permissions InvoiceWrite,InvoiceRead,CredentialsRead)

# Nothing of the user's own settings or state may leak in or be touched.
own_home
state=$HOME/.local/state/ksef/auth.json
# json EXPR: EXPR (Python, on the document d) holds for the output the
# last check printed (copied to $WORK/j first: check truncates out).
json() { python3 -c "import json,sys; d=json.load(open('$WORK/j'))
assert $1, d"; }

check "limits --help" 0 "$KSEF" limits --help
expect "limits usage" out "usage: ksef limits"
check "testdata --help" 0 "$KSEF" testdata --help
expect "testdata usage" out "usage: ksef testdata"
check "ksef --help lists them" 0 "$KSEF" --help
expect "limits listed" out "limits "
expect "testdata listed" out "testdata context"
check "limits without a login" 1 "$KSEF" limits
expect "says to log in" err "not logged in"

check "login" 0 "$KSEF" auth login --base-url "$base" --nip $nip --token "$token"

# ---- reading the limits ----
check "limits" 0 "$KSEF" limits
expect "names the context" out "session limits of context Nip $nip"
expect "online session" out "online session *invoice 1 MB, with attachment 3 MB, 10000 invoices"
expect "certificates" out "certificates *100"
expect "enrollments" out "enrollments *300"
expect "a rate group" out "invoiceSend *10 / 30 / 180"
check "limits --json" 0 "$KSEF" limits --json
cp "$WORK/out" "$WORK/j"
check "json as the contract names it" 0 json "d['contextLimits']['onlineSession']['maxInvoices'] == 10000 and d['contextLimits']['batchSession']['maxInvoiceWithAttachmentSizeInMB'] == 3 and d['subjectLimits']['certificate']['maxCertificates'] == 100 and len(d['rateLimits']) == 12 and d['rateLimits']['invoiceStatus'] == {'perSecond': 30, 'perMinute': 120, 'perHour': 1200} and d['contextIdentifier'] == {'type': 'Nip', 'value': '$nip'}"

# ---- session limits ----
check "set session" 0 "$KSEF" limits set session --online-session --max-invoices 5
expect "the online limit" out "online session *invoice 1 MB, with attachment 3 MB, 5 invoices"
expect "batch kept" out "batch session *invoice 1 MB, with attachment 3 MB, 10000 invoices"
check "read back" 0 "$KSEF" limits --json
cp "$WORK/out" "$WORK/j"
check "read back: online 5, batch unchanged" 0 json "d['contextLimits']['onlineSession']['maxInvoices'] == 5 and d['contextLimits']['batchSession']['maxInvoices'] == 10000"
check "set session both kinds" 0 "$KSEF" limits set session --max-invoice-size-in-mb 2 --json
cp "$WORK/out" "$WORK/j"
check "json of set session" 0 json "d['onlineSession']['maxInvoiceSizeInMB'] == 2 and d['batchSession']['maxInvoiceSizeInMB'] == 2 and d['onlineSession']['maxInvoices'] == 5"
check "a size over the contract's 5 MB" 2 "$KSEF" limits set session --max-invoice-size-in-mb 6
expect "names the field" err "onlineSession.maxInvoiceSizeInMB is 6, not 0 to 5"
check "not a number" 2 "$KSEF" limits set session --max-invoices lots
check "nothing to set" 2 "$KSEF" limits set session
check "reset session" 0 "$KSEF" limits reset session
expect "says so" out "session limits are the defaults again"
check "read back the defaults" 0 "$KSEF" limits --json
cp "$WORK/out" "$WORK/j"
check "defaults again" 0 json "d['contextLimits']['onlineSession'] == {'maxInvoiceSizeInMB': 1, 'maxInvoiceWithAttachmentSizeInMB': 3, 'maxInvoices': 10000}"

# ---- certificate limits ----
check "set certificate" 0 "$KSEF" limits set certificate --max-certificates 3 --subject-identifier-type Nip
check "read back certificates" 0 "$KSEF" limits
expect "3 certificates" out "certificates *3$"
check "another subject type is the server's refusal" 1 "$KSEF" limits set certificate --max-enrollments 1 --subject-identifier-type Pesel
expect "HTTP 400 21405" err "HTTP 400.*21405"
check "reset certificate" 0 "$KSEF" limits reset certificate
check "read back certificates again" 0 "$KSEF" limits
expect "100 certificates" out "certificates *100$"

# ---- rate limits ----
check "set rate" 0 "$KSEF" limits set rate --group invoiceSend --per-second 2 --per-minute 5
expect "the group's limits" out "rate limits of invoiceSend set: 2 / 5 / 180"
check "read back rates" 0 "$KSEF" limits --json
cp "$WORK/out" "$WORK/j"
check "invoiceSend lowered, others kept" 0 json "d['rateLimits']['invoiceSend'] == {'perSecond': 2, 'perMinute': 5, 'perHour': 180} and d['rateLimits']['other'] == {'perSecond': 10, 'perMinute': 30, 'perHour': 120}"
check "an unknown group" 2 "$KSEF" limits set rate --group everything --per-second 1
expect "says which" err "unknown group 'everything'"
check "a limit of 0" 2 "$KSEF" limits set rate --group other --per-hour 0
expect "names the field" err "rateLimits.other.perHour"
check "production" 0 "$KSEF" limits production
expect "says so" out "rate limits are the production ones"
check "read back production" 0 "$KSEF" limits --json
cp "$WORK/out" "$WORK/j"
check "the production numbers" 0 json "d['rateLimits']['invoiceSend'] == {'perSecond': 10, 'perMinute': 30, 'perHour': 180}"
check "reset rate --json" 0 "$KSEF" limits reset rate --json
cp "$WORK/out" "$WORK/j"
check "json of reset" 0 json "d == {'reset': 'rate'}"
check "an option of another subcommand" 2 "$KSEF" limits set rate --group other --max-invoices 1
check "an unknown subcommand" 2 "$KSEF" limits frobnicate
check "reset of nothing" 2 "$KSEF" limits reset

# The setters are TEST's: a login to DEMO is refused before anything is
# sent (its state made from this one, the server's address changed).
python3 -c "import json; s=json.load(open('$state'))
s['baseUrl']='https://api-demo.ksef.mf.gov.pl/v2'
json.dump(s, open('$WORK/demo.json','w'))"
chmod 600 "$WORK/demo.json"
check "limits set on DEMO" 2 "$KSEF" limits set session --max-invoices 5 --state "$WORK/demo.json"
expect "says TEST only" err "only on the TEST environment; the login is to DEMO"
check "limits production on DEMO --json" 2 "$KSEF" limits production --json --state "$WORK/demo.json"
cp "$WORK/out" "$WORK/j"
check "json error code usage" 0 json "d['error']['code'] == 'usage' and d['error']['exitCode'] == 2"

# ---- test data: subjects ----
check "subject add" 0 "$KSEF" testdata subject add --base-url "$base" \
	--subject-nip $jst --subject-type JST --description "Gmina testowa" \
	--subunit "$school:Szkoła Podstawowa nr 1"
expect "done" out "subject add: done (subjectNip $jst)"
check "a subject that exists" 1 "$KSEF" testdata subject add --base-url "$base" \
	--subject-nip $jst --subject-type JST --description "Gmina testowa"
expect "30001" err "HTTP 400.*30001"
check "subject remove --json" 0 "$KSEF" testdata subject remove --base-url "$base" --subject-nip $jst --json
cp "$WORK/out" "$WORK/j"
check "json of remove" 0 json "d == {'operation': 'subject remove', 'path': '/testdata/subject/remove', 'result': 'done', 'subjectNip': '$jst'}"
check "a subject that is gone" 1 "$KSEF" testdata subject remove --base-url "$base" --subject-nip $jst
expect "21405" err "HTTP 400.*21405"
check "a subject type not in the enum" 2 "$KSEF" testdata subject add --base-url "$base" \
	--subject-nip $jst --subject-type Bank --description "Bank testowy"
expect "names the field" err "subjectType"
check "a subunit without its description" 2 "$KSEF" testdata subject add --base-url "$base" \
	--subject-nip $jst --subject-type VatGroup --description "Grupa VAT" --subunit $school
check "a required flag" 2 "$KSEF" testdata subject add --base-url "$base" --subject-nip $jst
expect "names the flag" err "subject-type is required"
check "a flag of another operation" 2 "$KSEF" testdata subject remove --base-url "$base" --nip $jst
expect "names the flag" err "subject remove does not take --nip"
check "no operation" 2 "$KSEF" testdata subject
expect "names them" err "testdata subject needs add or remove"
check "no server" 2 "$KSEF" testdata attachment allow --nip $nip
expect "says how to name one" err "no server"

# ---- persons ----
check "person add" 0 "$KSEF" testdata person add --base-url "$base" --nip $colleague \
	--pesel 30112206276 --description "Osoba testowa" --is-bailiff \
	--created-date 2025-08-25T14:15:22+02:00
check "a person that exists" 1 "$KSEF" testdata person add --base-url "$base" --nip $colleague \
	--pesel 30112206276 --description "Osoba testowa"
check "person remove" 0 "$KSEF" testdata person remove --base-url "$base" --nip $colleague
check "a PESEL off its pattern" 2 "$KSEF" testdata person add --base-url "$base" --nip $colleague \
	--pesel 30132206276 --description "Osoba testowa"
expect "names the field" err "pesel"
check "a date without its offset" 2 "$KSEF" testdata person add --base-url "$base" --nip $colleague \
	--pesel 30112206276 --description "Osoba testowa" --created-date 2025-08-25

# ---- permissions: a colleague's seal logs in only while granted ----
check "colleague's seal" 0 "$KSEF" cert generate --seal --nip $colleague --org "Kolega" \
	--ec --out-key "$WORK/col.key" --out-cert "$WORK/col.pem"
login_colleague() { "$KSEF" auth login --base-url "$base" --nip $nip --cert "$WORK/col.pem" \
	--key "$WORK/col.key" --state "$WORK/col.json"; }
check "the colleague has no permission" 1 login_colleague
check "permissions grant" 0 "$KSEF" testdata permissions grant --base-url "$base" \
	--context-identifier $nip --authorized-identifier $colleague \
	--permission-type InvoiceWrite --permission-type InvoiceRead \
	--description "Kolega z działu"
check "the colleague logs in" 0 login_colleague
check "permissions revoke" 0 "$KSEF" testdata permissions revoke --base-url "$base" \
	--context-identifier $nip --authorized-identifier $colleague
check "the colleague is out again" 1 login_colleague
check "a permission not in the enum" 2 "$KSEF" testdata permissions grant --base-url "$base" \
	--context-identifier $nip --authorized-identifier $colleague \
	--permission-type Everything --description "Kolega z działu"
expect "names the field" err "permissions\[0\].permissionType"
check "an identifier of no known length" 2 "$KSEF" testdata permissions revoke --base-url "$base" \
	--context-identifier $nip --authorized-identifier 12345

# ---- attachments ----
# allowed True|False: what GET /permissions/attachments/status says of
# the logged-in context.
allowed() {
	local at
	at=$(python3 -c "import json; print(json.load(open('$state'))['accessToken']['token'])")
	curl -s -H "Authorization: Bearer $at" "$base/permissions/attachments/status" |
		python3 -c "import json,sys; sys.exit(0 if json.load(sys.stdin)['isAttachmentAllowed'] is $1 else 1)"
}
check "attachment allow" 0 "$KSEF" testdata attachment allow --base-url "$base" --nip $nip
check "the consent shows" 0 allowed True
check "attachment revoke on a day" 0 "$KSEF" testdata attachment revoke --base-url "$base" --nip $nip --expected-end-date 2099-01-01
check "attachment revoke" 0 "$KSEF" testdata attachment revoke --base-url "$base" --nip $nip
check "the consent is gone" 0 allowed False
check "a date that does not exist" 2 "$KSEF" testdata attachment revoke --base-url "$base" --nip $nip --expected-end-date 2026-02-30
expect "names the field" err "expectedEndDate"

# ---- blocked contexts ----
btoken=$("$KSEFD" token create --data "$WORK/data" --nip $blocked)
check "context block" 0 "$KSEF" testdata context block --base-url "$base" --context-identifier $blocked
check "a blocked context's login" 1 "$KSEF" auth login --base-url "$base" --nip $blocked --token "$btoken" --state "$WORK/b.json"
expect "ends in 480" err "480"
check "context unblock" 0 "$KSEF" testdata context unblock --base-url "$base" --context-identifier $blocked --context-identifier-type Nip
check "the login works again" 0 "$KSEF" auth login --base-url "$base" --nip $blocked --token "$btoken" --state "$WORK/b.json"
check "a context type not in the enum" 2 "$KSEF" testdata context block --base-url "$base" --context-identifier $blocked --context-identifier-type Regon

# ---- DEMO and PRD have no test data ----
check "testdata on --env demo" 2 "$KSEF" testdata subject remove --env demo --subject-nip $jst
expect "TEST only" err "test data exists only on the TEST environment; https://api-demo.ksef.mf.gov.pl/v2 is DEMO"
check "testdata on --env prd" 2 "$KSEF" testdata person remove --env prd --nip $colleague
expect "TEST only" err "is PRD"
check "even with --allow-production" 2 "$KSEF" testdata context block --env prd --allow-production --context-identifier $nip
check "a DEMO base URL" 2 "$KSEF" testdata attachment allow --base-url https://API-DEMO.ksef.mf.gov.pl/v2 --nip $nip
check "--json on demo" 2 "$KSEF" testdata attachment allow --env demo --nip $nip --json
cp "$WORK/out" "$WORK/j"
check "json error" 0 json "d['error']['code'] == 'usage'"

# ---- ksefd --profile production answers 404 ----
start_ksefd "$WORK/prd" --profile production
prd=$KSEFD_BASE
check "testdata on ksefd --profile production" 1 "$KSEF" testdata subject remove --base-url "$prd" --subject-nip $jst
expect "404" err "HTTP 404"
expect "says why" err "hint: the server has no test data"
ptoken=$("$KSEFD" token create --data "$WORK/prd" --nip $nip)
check "login to production" 0 "$KSEF" auth login --base-url "$prd" --nip $nip --token "$ptoken" --state "$WORK/p.json"
check "limits are read in production" 0 "$KSEF" limits --state "$WORK/p.json"
check "limits production in production" 1 "$KSEF" limits production --state "$WORK/p.json"
expect "404" err "HTTP 404"
check "limits set in production --json" 1 "$KSEF" limits set session --max-invoices 3 --state "$WORK/p.json" --json
cp "$WORK/out" "$WORK/j"
check "json error http 404" 0 json "d['error']['code'] == 'http' and d['error']['api']['httpStatus'] == 404"

finish
