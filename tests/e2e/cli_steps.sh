#!/usr/bin/env bash
# The step-by-step commands against a real ksefd: auth login with a token
# saves a private state file and prints no token; session open, send 3,
# close, status, invoices, upo; invoice get returns the exact bytes; an
# expired access token is refreshed by itself; auth refresh and logout;
# XAdES login with certificates from `ksef cert generate`; settings from a
# config file, an unknown key naming its line, and production refused
# without --allow-production.
. "$(dirname "$0")/lib.bash"
need_schemas

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
nip=5265877635
start_ksefd "$WORK/data"
base=$KSEFD_BASE
token=$("$KSEFD" token create --data "$WORK/data" --nip $nip)

# Nothing of the user's own settings or state may leak in or be touched.
own_home
state=$HOME/.local/state/ksef/auth.json
: >"$WORK/printed"
# keep: remember what the last check printed, to look for tokens in it.
keep() { cat "$WORK/out" "$WORK/err" >>"$WORK/printed"; }
# field KEY.SUB: a value of the state file.
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'): d=d[k]
print(d)" "$state" "$1"; }

for c in auth session invoice cert; do
	check "$c --help" 0 "$KSEF" $c --help
	expect "$c --help shows usage" out "usage: ksef $c"
done
check "session send --help" 0 "$KSEF" session send --help
check "auth without a subcommand" 2 "$KSEF" auth
check "not logged in" 1 "$KSEF" auth status
expect "says to log in" err "ksef: auth: not logged in"

# Login with a KSeF token, to the default state file.
check "login with a token" 0 "$KSEF" auth login --base-url "$base" --nip $nip --token "$token"
keep
expect "login names the context" out "logged in to NIP $nip"
check "the state file exists" 0 test -f "$state"
check "the state file has mode 600" 0 test "$(stat -c %a "$state")" = 600
check "its folder has mode 700" 0 test "$(stat -c %a "$(dirname "$state")")" = 700
check "auth status" 0 "$KSEF" auth status
keep
expect "status shows the context" out "context: *Nip $nip"
expect "status shows the expiry" out "access token: *valid until 20"
check "auth status --json" 0 "$KSEF" auth status --json
keep
cp "$WORK/out" "$WORK/json"
check "status json parses" 0 python3 -c "
import json; r = json.load(open('$WORK/json'))
assert r['contextValue'] == '$nip' and r['loggedIn'] is True, r
assert 'accessToken' not in r and 'refreshToken' not in r, r"

# The step-by-step session.
check "session open" 0 "$KSEF" session open --form 'FA (3)'
keep
expect "open prints the session" out "session .* opened for FA (3)"
sref=$(field currentSession)
check "the session key is in the private state" 0 test -n "$(field "sessions.$sref.key")"
mkdir -p "$WORK/inv"
check "generate 3" 0 "$KSEF" generate --nip $nip --count 3 --seed 21 --out "$WORK/inv"
check "session send 3" 0 "$KSEF" session send "$WORK"/inv/*.xml
keep
cp "$WORK/out" "$WORK/sent"
check "one reference per invoice" 0 test "$(grep -c '\.xml: .*-EE-' "$WORK/sent")" -eq 3
check "an FA (2) invoice is refused by the session" 1 \
	bash -c "'$KSEF' generate --nip $nip --form fa2 > '$WORK/fa2.xml' && '$KSEF' session send '$WORK/fa2.xml'"
expect "names the form" err "is FA (2) but the session is for FA (3)"
check "session close" 0 "$KSEF" session close
expect "close confirms" out "session $sref closed"
check "the key is forgotten after close" 1 python3 -c "
import json,sys; sys.exit(0 if '$sref' in json.load(open('$state')).get('sessions', {}) else 1)"
check "session status --wait" 0 "$KSEF" session status --wait
expect "the session ended 200" out "session $sref: 200"
expect "with 3 accepted" out "invoices: 3 (3 accepted, 0 failed)"
check "session status --json" 0 "$KSEF" session status --json "$sref"
cp "$WORK/out" "$WORK/json"
check "status json parses" 0 python3 -c "
import json; r = json.load(open('$WORK/json'))
assert r['status']['code'] == 200 and r['successfulInvoiceCount'] == 3, r"
check "session invoices" 0 "$KSEF" session invoices
cp "$WORK/out" "$WORK/list"
check "3 invoices with KSeF numbers" 0 test "$(grep -c "	200	$nip-" "$WORK/list")" -eq 3
check "session invoices --json" 0 "$KSEF" session invoices --json
cp "$WORK/out" "$WORK/json"
check "invoices json parses" 0 python3 -c "
import json; r = json.load(open('$WORK/json'))
assert len(r['invoices']) == 3, r
assert all(i['ksefNumber'].startswith('$nip-') for i in r['invoices']), r"
check "session invoices --failed" 0 "$KSEF" session invoices --failed
check "no failed ones" 0 test ! -s "$WORK/out"
check "session upo" 0 "$KSEF" session upo --out "$WORK/upo"
check "a session UPO and 3 invoice UPOs" 0 test "$(ls "$WORK/upo" | wc -l)" -eq 4
check "session UPO written" 0 test -f "$WORK/upo/session-$sref-1.xml"
check "every UPO is a Potwierdzenie" 0 test "$(grep -l Potwierdzenie "$WORK"/upo/*.xml | wc -l)" -eq 4

# invoice get: the first file sent, by the KSeF number its reference got.
file1=$(sed -n '1s/: .*//p' "$WORK/sent")
iref1=$(sed -n '1s/.*: //p' "$WORK/sent")
knum1=$(awk -F'\t' -v r="$iref1" '$2 == r { print $4 }' "$WORK/list")
check "invoice get" 0 "$KSEF" invoice get "$knum1" --out "$WORK/got.xml"
check "the exact bytes" 0 cmp "$WORK/got.xml" "$file1"
check "invoice get to standard output" 0 "$KSEF" invoice get "$knum1"
cp "$WORK/out" "$WORK/got-stdout.xml"
check "the exact bytes on stdout" 0 cmp "$WORK/got-stdout.xml" "$file1"
check "invoice get of a bad number" 2 "$KSEF" invoice get 123
# Same day, another technical part, its CRC-8 (polynomial 0x07) recomputed.
unknown=$(python3 -c "
import sys
n = sys.argv[1][:20] + 'FFFFFFFFFFFF'; c = 0
for b in n.encode():
    c ^= b
    for _ in range(8): c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else c << 1
print(n + '-%02X' % c)" "$knum1")
check "invoice get of an unknown number" 1 "$KSEF" invoice get --wait 0 "$unknown"

# Tokens: refresh on demand, and by itself once the access token expired.
check "auth refresh" 0 "$KSEF" auth refresh
keep
expect "refresh says until when" out "valid until"
check "the refreshed state is still 600" 0 test "$(stat -c %a "$state")" = 600
python3 -c "
import json; p = '$state'; s = json.load(open(p))
s['accessToken']['validUntil'] = '2001-01-01T00:00:00.000+00:00'
with open(p, 'r+') as f: f.seek(0); f.write(json.dumps(s)); f.truncate()"
check "an expired access token is refreshed by itself" 0 "$KSEF" session status "$sref"
keep
check "and saved" 0 test "$(field accessToken.validUntil | cut -c1-4)" != 2001
check "still 600" 0 test "$(stat -c %a "$state")" = 600
chmod 644 "$state"
check "a state file others may read is refused" 3 "$KSEF" auth status
expect "says it is not private" err "is not private (mode 644)"
chmod 600 "$state"

# Nothing printed so far holds a token.
access=$(field accessToken.token)
refresh=$(field refreshToken.token)
check "no KSeF token printed" 1 grep -qF "$token" "$WORK/printed"
check "no access token printed" 1 grep -qF "$access" "$WORK/printed"
check "no refresh token printed" 1 grep -qF "$refresh" "$WORK/printed"

check "auth logout" 0 "$KSEF" auth logout
check "logout removes the state file" 1 test -e "$state"
check "the old refresh token is revoked" 0 bash -c \
	"curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer $refresh' '$base/auth/token/refresh' | grep -qv '^200$'"
check "logged out" 1 "$KSEF" session status "$sref"

# XAdES: a generated person certificate for the context's NIP.
check "cert generate --person" 0 "$KSEF" cert generate --person --nip $nip \
	--name "Jan Kowalski" --out-key "$WORK/person.key" --out-cert "$WORK/person.pem"
expect "shows the fingerprint" out "SHA-256 fingerprint: [0-9A-F]\{64\}"
check "the key has mode 600" 0 test "$(stat -c %a "$WORK/person.key")" = 600
check "the key is not overwritten" 2 "$KSEF" cert generate --person --nip $nip \
	--name "Jan Kowalski" --out-key "$WORK/person.key" --out-cert "$WORK/person.pem"
check "openssl reads the certificate" 0 bash -c \
	"openssl x509 -in '$WORK/person.pem' -noout -subject | grep -q 'TINPL-$nip'"
xstate=$WORK/xades.json
check "auth login --cert/--key" 0 "$KSEF" auth login --base-url "$base" --nip $nip \
	--cert "$WORK/person.pem" --key "$WORK/person.key" --state "$xstate"
check "XAdES state has mode 600" 0 test "$(stat -c %a "$xstate")" = 600
check "auth status says xades" 0 "$KSEF" auth status --state "$xstate"
expect "method" out "method: *xades"
check "session open after XAdES" 0 "$KSEF" session open --state "$xstate"
"$KSEF" generate --nip $nip --seed 22 > "$WORK/x.xml"
check "send after XAdES" 0 "$KSEF" session send --state "$xstate" "$WORK/x.xml"
check "close after XAdES" 0 "$KSEF" session close --state "$xstate"
check "status after XAdES" 0 "$KSEF" session status --wait --state "$xstate"
expect "processed" out ": 200 "
check "cert generate --seal --ec" 0 "$KSEF" cert generate --seal --nip $nip --org "Firma" \
	--ec --out-key "$WORK/seal.key" --out-cert "$WORK/seal.pem" --days 30
check "auth login with the seal" 0 "$KSEF" auth login --base-url "$base" --nip $nip \
	--cert "$WORK/seal.pem" --key "$WORK/seal.key" --state "$xstate"
check "a certificate of another NIP has no permissions" 1 bash -c \
	"'$KSEF' cert generate --person --nip 1111111111 --name 'Anna Nowak' --out-key '$WORK/o.key' --out-cert '$WORK/o.pem' >/dev/null &&
	 '$KSEF' auth login --base-url '$base' --nip $nip --cert '$WORK/o.pem' --key '$WORK/o.key' --state '$WORK/o.json'"
expect "says why" err "ksef: auth: authentication .*415"
check "--cert without --key" 2 "$KSEF" auth login --base-url "$base" --nip $nip --cert "$WORK/seal.pem"
check "cert generate needs a kind" 2 "$KSEF" cert generate --nip $nip --out-key a --out-cert b

# Settings from a config file: the default place, then --config.
mkdir -p "$HOME/.config/ksef"
printf '# local ksefd\nbase_url = %s\nnip = "%s"\n' "$base" $nip >"$HOME/.config/ksef/config"
check "base_url and nip from the config file" 0 "$KSEF" auth login --token "$token" --state "$WORK/c.json"
check "flags beat the environment" 0 env KSEF_BASE_URL=http://127.0.0.1:1/v2 \
	"$KSEF" auth login --base-url "$base" --token "$token" --state "$WORK/c.json"
check "the environment beats the config file" 3 env KSEF_BASE_URL=http://127.0.0.1:1/v2 \
	"$KSEF" auth login --token "$token" --state "$WORK/c.json"
printf 'base_url = %s\nnipp = %s\n' "$base" $nip >"$WORK/bad.cfg"
check "an unknown key" 2 "$KSEF" auth login --config "$WORK/bad.cfg" --token "$token" --state "$WORK/c.json"
expect "names the line" err "ksef: auth: .*bad.cfg:2: unknown key 'nipp'"
check "KSEF_CONFIG too" 2 env KSEF_CONFIG="$WORK/bad.cfg" "$KSEF" auth login --token "$token" --state "$WORK/c.json"
printf 'base_url = %s\nnip = %s\ntoken = %s\n' "$base" $nip "$token" >"$WORK/tok.cfg"
chmod 644 "$WORK/tok.cfg"
check "a token in a readable config file" 2 "$KSEF" auth login --config "$WORK/tok.cfg" --state "$WORK/c.json"
chmod 600 "$WORK/tok.cfg"
check "a token in a private config file" 0 "$KSEF" auth login --config "$WORK/tok.cfg" --state "$WORK/c.json"
check "a missing --config file" 3 "$KSEF" auth login --config "$WORK/none.cfg" --token x --state "$WORK/c.json"
rm "$HOME/.config/ksef/config"

# Production only on request.
check "prd without --allow-production" 2 "$KSEF" auth login --env prd --nip $nip --token x --state "$WORK/p.json"
expect "explains" err "ksef: auth: .*--allow-production"
check "KSEF_ENV=prd too" 2 env KSEF_ENV=prd "$KSEF" auth login --nip $nip --token x --state "$WORK/p.json"
check "the production URL too" 2 "$KSEF" auth login --base-url https://api.ksef.mf.gov.pl/v2 --nip $nip --token x --state "$WORK/p.json"
check "an unknown --env" 2 "$KSEF" auth login --env prod --nip $nip --token x --state "$WORK/p.json"
check "no server at all" 2 "$KSEF" auth login --nip $nip --token x --state "$WORK/p.json"
check "nothing was saved" 1 test -e "$WORK/p.json"
finish
