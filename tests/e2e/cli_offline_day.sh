#!/usr/bin/env bash
# An offline day end to end against a real ksefd, command for command as
# docs/cli.md walks it: a person logs in with a certificate and enrols a
# KSeF Offline certificate; invoices issued yesterday while offline get
# KOD I and KOD II (`ksef offline issue`), whose KOD II link ksefd
# verifies (the certificate Active, the signature good); `ksef offline
# send` sends them today, each accepted with invoicingMode Offline and its
# UPO saved (TrybWysylki Offline, its signature verified with xmlsec1);
# the register shows them sent. Revoked, the certificate's
# KOD II link shows it so. Skipped (77) without zbarimg or the schemas.
. "$(dirname "$0")/lib.bash"
need_schemas
command -v zbarimg >/dev/null || { echo "skipped: no zbarimg (zbar-tools)"; exit 77; }

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
nip=5265877635
start_ksefd "$WORK/data" --processing-delay 0
base=$KSEFD_BASE
root=${base%/v2}
unset KSEF_CONFIG KSEF_BASE_URL KSEF_ENV KSEF_NIP KSEF_TOKEN KSEF_CERT KSEF_KEY \
	KSEF_STATE KSEF_KEY_PASSWORD XDG_CONFIG_HOME XDG_STATE_HOME
export HOME=$WORK/home KSEF_BASE_URL=$base KSEF_KEY_PASSWORD=sekret
mkdir -p "$HOME/faktury"
cd "$HOME" || exit 1
yesterday=$(TZ=Europe/Warsaw date -d yesterday +%F)
today=$(TZ=Europe/Warsaw date +%F)

# The morning before: a certificate to log in with, and a KSeF Offline
# certificate enrolled with it.
check "cert generate" 0 "$KSEF" cert generate --person --nip $nip \
	--name "Jan Kowalski" --out-key jan.key --out-cert jan.pem
check "auth login --cert" 0 "$KSEF" auth login --nip $nip --cert jan.pem --key jan.key
check "cert enroll --type Offline" 0 "$KSEF" cert enroll --type Offline --out offline
serial=$(openssl x509 -in offline/cert.pem -noout -serial | cut -d= -f2)

# Yesterday, offline: two invoices, issued with their codes.
"$KSEF" generate --nip $nip --seed 71 --date "$yesterday" --out faktury --count 2 >/dev/null
check "offline issue" 0 "$KSEF" offline issue faktury/*.xml --base-url "$base" --cert offline/cert.pem --key offline/key.pem
expect "  a deadline each" out "invoice-1.xml: issued $yesterday, send by "
check "  KOD II drawn" 0 test -s faktury/invoice-1-kod2.png
kod2=$(zbarimg -q --raw faktury/invoice-1-kod2.png 2>/dev/null)
check "  KOD II is a link to ksefd's verification page" 0 test "${kod2#"$root"/certificate/Nip/$nip/$nip/$serial/}" != "$kod2"
check "ksefd verifies the KOD II link" 0 curl -sf -H 'Accept: application/json' "$kod2"
cp "$WORK/out" "$WORK/kod2.json"
check "  the certificate Active, the signature good, all verified" 0 python3 -c "
import json; d = json.load(open('$WORK/kod2.json'))
assert d['verified'] and d['certificateStatus'] == 'Active' and d['signatureValid'] and d['certificateType'] == 'Offline', d"
check "status: due" 0 "$KSEF" offline status --today "$today"

# Today, online again: send what is pending.
check "offline send" 0 "$KSEF" offline send --nip $nip --cert jan.pem --key jan.key --upo-dir upo
expect "  both accepted" out "invoice-2.xml: 200 $nip-"
check "  their UPOs saved" 0 test "$(ls upo | grep -c "^$nip-")" -eq 2
check "status: both sent" 0 "$KSEF" offline status --json
cp "$WORK/out" "$WORK/status.json"
check "  with their KSeF numbers" 0 python3 -c "
import json; r = json.load(open('$WORK/status.json'))
assert [i['state'] for i in r['invoices']] == ['sent', 'sent'], r
assert all(i['ksefNumber'].startswith('$nip-') for i in r['invoices']), r"
number=$(python3 -c "import json; print(json.load(open('$WORK/status.json'))['invoices'][0]['ksefNumber'])")
check "  its UPO names it" 0 grep -q "<NumerKSeFDokumentu>$number<" "upo/$number.xml"
check "  as sent offline" 0 grep -q "<TrybWysylki>Offline</TrybWysylki>" "upo/$number.xml"
check "  ksefd's UPO certificate" 0 curl -sf -o upo-cert.pem "$root/storage/upo-certificate.pem"
check "  the UPO's signature verifies (xmlsec1)" 0 xmlsec1 --verify --pubkey-cert-pem upo-cert.pem \
	--id-attr:Id 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties' "upo/$number.xml"
check "ksefd classifies both Offline" 0 "$KSEF" invoices query --json --all --invoicing-mode Offline
cp "$WORK/out" "$WORK/q.json"
check "  (two)" 0 python3 -c "import json; assert len(json.load(open('$WORK/q.json'))['invoices']) == 2"

# The certificate revoked: its KOD II link says so.
check "cert revoke" 0 "$KSEF" cert revoke "$serial" --reason Superseded
check "KOD II after the revocation" 0 curl -s -H 'Accept: application/json' "$kod2"
cp "$WORK/out" "$WORK/kod2r.json"
check "  shows it revoked, not verified" 0 python3 -c "
import json; d = json.load(open('$WORK/kod2r.json'))
assert not d['verified'] and d['certificateStatus'] == 'Revoked', d"
finish
