#!/usr/bin/env bash
# ksef cert and ksef peppol against a real ksefd, the way docs/cli.md
# shows them: log in with a TEST certificate, see the limits, enrol an
# Authentication certificate, log in again with what enroll wrote (the
# encrypted PEM key with its password, then the PKCS#12 file), list it,
# revoke it, and list the Peppol providers; a login by KSeF token is
# refused the enrolment data. Skipped (77) while ksefd has no certificate
# endpoints (404 for /certificates/limits); cli_cert.sh tests the same
# commands against a stand-in server meanwhile.
. "$(dirname "$0")/lib.bash"
need_schemas
command -v curl >/dev/null || { echo "skipped: needs curl"; exit 77; }

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
nip=5265877635
start_ksefd "$WORK/data" --processing-delay 0
base=$KSEFD_BASE
probe=$(curl -s -o /dev/null -w '%{http_code}' "$base/certificates/limits")
if [ "$probe" = 404 ]; then
	echo "skipped: ksefd answers 404 for /certificates/limits"
	exit 77
fi

unset KSEF_ENV KSEF_NIP KSEF_TOKEN KSEF_CERT KSEF_KEY KSEF_CONFIG \
	KSEF_STATE KSEF_KEY_PASSWORD KSEF_P12_PASSWORD XDG_CONFIG_HOME \
	XDG_STATE_HOME
export HOME=$WORK/home KSEF_BASE_URL=$base
mkdir -p "$HOME"
cd "$HOME" || exit 1

check "cert generate" 0 "$KSEF" cert generate --person --nip $nip \
	--name "Jan Kowalski" --out-key jan.key --out-cert jan.pem
check "auth login --cert" 0 "$KSEF" auth login --nip $nip --cert jan.pem --key jan.key
check "cert limits" 0 "$KSEF" cert limits
expect "can request" out "can request: yes"

check "cert enroll" 0 "$KSEF" cert enroll --type Authentication --out ksef \
	--key-password sekret --wait 60
expect "the certificate" out "cert.pem: KSeF Authentication certificate [0-9A-F]\{16\}"
serial=$(sed -n 's/.*certificate \([0-9A-F]\{16\}\) .*/\1/p' "$WORK/out" | head -1)
check "key.pem is private" 0 test "$(stat -c %a ksef/key.pem)" = 600
check "cert list" 0 "$KSEF" cert list --type Authentication
expect "lists it" out "^$serial	Authentication	Active	"

check "auth logout" 0 "$KSEF" auth logout
check "login with the enrolled PEM files" 0 env KSEF_KEY_PASSWORD=sekret \
	"$KSEF" auth login --nip $nip --cert ksef/cert.pem --key ksef/key.pem
check "not without the password" 2 "$KSEF" auth login --nip $nip --cert ksef/cert.pem --key ksef/key.pem
check "auth logout" 0 "$KSEF" auth logout
check "login with the PKCS#12 file" 0 "$KSEF" auth login --nip $nip --p12 ksef/cert.p12 --password sekret

check "cert revoke" 0 "$KSEF" cert revoke "$serial" --reason Superseded
check "a revoked certificate no longer logs in" 1 env KSEF_KEY_PASSWORD=sekret \
	"$KSEF" auth login --nip $nip --cert ksef/cert.pem --key ksef/key.pem
expect "  KSeF says why" err "460"
check "cert list --json" 0 "$KSEF" cert list --json
cp "$WORK/out" "$WORK/list.json"
check "no longer active" 0 python3 -c "import json; d=json.load(open('$WORK/list.json'))
assert all(c['status'] != 'Active' for c in d['certificates'] if c['certificateSerialNumber'] == '$serial'), d"

check "peppol list" 0 "$KSEF" peppol list
check "peppol list --json" 0 "$KSEF" peppol list --json
expect "a page" out '"hasMore"'

# A login by KSeF token gets no enrolment data (certyfikaty-KSeF.md).
check "auth logout" 0 "$KSEF" auth logout
token=$("$KSEFD" token create --data "$WORK/data" --nip $nip --permissions InvoiceWrite,CredentialsRead)
check "auth login --token" 0 "$KSEF" auth login --nip $nip --token "$token"
check "enroll refused" 1 "$KSEF" cert enroll --type Offline --out ksef2 --key-password sekret

finish
