#!/usr/bin/env bash
# KOD II drawn and read back: `ksef qr offline` signs an invoice's
# certificate link with an Offline certificate's key (RSA, EC, encrypted),
# writes a PNG that zbarimg (Debian zbar-tools) decodes to exactly the
# printed link, and the openssl command verifies the signature with
# kody-qr.md 2's parameters over the link without its scheme and its last
# segment. The docs' own image decodes to the docs' example link. Bad input
# exits with the documented codes. Skipped (77) without zbarimg.
. "$(dirname "$0")/lib.bash"
command -v zbarimg >/dev/null || { echo "skipped: no zbarimg (zbar-tools)"; exit 77; }

nip=5265877635
"$KSEF" generate --nip $nip --seed 21 --date 2026-02-01 > "$WORK/inv.xml"
hash=$(openssl dgst -sha256 -binary "$WORK/inv.xml" | base64 | tr '+/' '-_' | tr -d '=')

decode() { zbarimg -q --raw "$1" 2>/dev/null; }
# b64url_decode TEXT FILE: the bytes of unpadded Base64URL into FILE.
b64url_decode() {
	local s=$1
	s=$(printf '%s' "$s" | tr -- '-_' '+/')
	while [ $(( ${#s} % 4 )) -ne 0 ]; do s="$s="; done
	printf '%s' "$s" | base64 -d > "$2"
}
# openssl_verifies LINK CERT [pss]: the last segment verifies over the rest.
openssl_verifies() {
	local link=$1 cert=$2 text sig
	text=${link#https://}
	sig=${text##*/}
	text=${text%/*}
	printf '%s' "$text" > "$WORK/text"
	b64url_decode "$sig" "$WORK/sig"
	openssl x509 -in "$cert" -pubkey -noout > "$WORK/pub.pem"
	if [ "${3:-}" = pss ]; then
		openssl dgst -sha256 -verify "$WORK/pub.pem" -sigopt rsa_padding_mode:pss \
			-sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256 \
			-signature "$WORK/sig" "$WORK/text"
	else
		openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig" "$WORK/text"
	fi
}

"$KSEF" cert generate --person --nip $nip --name "Jan Kowalski" --out-key "$WORK/rsa.key" --out-cert "$WORK/rsa.pem" >/dev/null
"$KSEF" cert generate --person --nip $nip --name "Jan Kowalski" --out-key "$WORK/ec.key" --out-cert "$WORK/ec.pem" --ec >/dev/null
rsa_serial=$(openssl x509 -in "$WORK/rsa.pem" -noout -serial | cut -d= -f2)
ec_serial=$(openssl x509 -in "$WORK/ec.pem" -noout -serial | cut -d= -f2)

want_rsa="https://qr-test.ksef.mf.gov.pl/certificate/Nip/$nip/$nip/$rsa_serial/$hash/"
check "RSA: a PNG" 0 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/rsa.pem" --key "$WORK/rsa.key" --out "$WORK/rsa.png"
link=$(cat "$WORK/out")
check "  the printed link names the context, seller, serial and hash" 0 test "${link:0:${#want_rsa}}" = "$want_rsa"
check "  the PNG decodes to the link" 0 test "$(decode "$WORK/rsa.png")" = "$link"
check "  openssl verifies RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32)" 0 openssl_verifies "$link" "$WORK/rsa.pem" pss

check "EC: P1363 by default" 0 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/ec.pem" --key "$WORK/ec.key" --env prd --out "$WORK/ec.png"
link=$(cat "$WORK/out")
b64url_decode "${link##*/}" "$WORK/p1363"
check "  a signature of 64 bytes" 0 test "$(stat -c %s "$WORK/p1363")" -eq 64
check "  under the production address" 0 test "${link%%/certificate/*}" = https://qr.ksef.mf.gov.pl
check "  the PNG decodes to the link" 0 test "$(decode "$WORK/ec.png")" = "$link"
check "EC with --ecdsa-der" 0 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/ec.pem" --key "$WORK/ec.key" --ecdsa-der
link=$(cat "$WORK/out")
check "  openssl verifies the DER ECDSA signature" 0 openssl_verifies "$link" "$WORK/ec.pem"
check "  and the serial is the certificate's" 0 test "$(echo "$link" | cut -d/ -f8)" = "$ec_serial"

# An encrypted key, its passphrase given on the command line or in the
# environment; a DER certificate.
openssl pkcs8 -topk8 -in "$WORK/ec.key" -out "$WORK/enc.key" -v2 aes-256-cbc -passout pass:tajne 2>/dev/null
openssl x509 -in "$WORK/ec.pem" -outform DER -out "$WORK/ec.der"
check "an encrypted key with --key-password" 0 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/ec.der" --key "$WORK/enc.key" --key-password tajne
check "  and with KSEF_KEY_PASSWORD" 0 env KSEF_KEY_PASSWORD=tajne "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/ec.pem" --key "$WORK/enc.key"
check "  a wrong passphrase is usage" 2 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/ec.pem" --key "$WORK/enc.key" --key-password zle
expect "  saying so" err "passphrase"

check "another context: InternalId" 0 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/ec.pem" --key "$WORK/ec.key" --context-type InternalId --context $nip-00001 --base-url http://127.0.0.1:9/v2 --out "$WORK/ctx.svg"
cp "$WORK/out" "$WORK/ctx.link"
check "  named in the link, under a ksefd's root" 0 grep -q "^http://127.0.0.1:9/certificate/InternalId/$nip-00001/$nip/$ec_serial/$hash/" "$WORK/ctx.link"
check "  an SVG says CERTYFIKAT" 0 grep -q '>CERTYFIKAT</text>' "$WORK/ctx.svg"
check "--json" 0 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/rsa.pem" --key "$WORK/rsa.key" --json
cp "$WORK/out" "$WORK/json"
check "  gives the link, the serial and the label" 0 python3 -c "
import json; r = json.load(open('$WORK/json'))
assert '/certificate/Nip/$nip/$nip/$rsa_serial/$hash/' in r['link'], r
assert r['serial'] == '$rsa_serial' and r['label'] == 'CERTYFIKAT', r"

if [ -f "$SHARED/ksef-docs/qr/qr-cert.png" ]; then
	check "the docs' KOD II image decodes to the docs' link" 0 test "$(decode "$SHARED/ksef-docs/qr/qr-cert.png")" = \
		"https://qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE/mSkm_XmM9fq7PgAJwiL32L9ujhyguOEV48cDB0ncemD2r9TMGa3lr0iRoFk588agCi8QPsOuscUY1rZ7ff76STbGquO-gZtQys5_fHdf2HUfDqPqVTnUS6HknBu0zLkyf9ygoW7WbH06Ty_8BgQTlOmJFzNWSt9WZa7tAGuAE9JOooNps-KG2PYkkIP4q4jPMp3FKypAygHVnXtS0RDGgOxhhM7LWtFP7D-dWINbh5yXD8Lr-JVbeOpyQjHa6WmMYavCDQJ3X_Z-iS01LZu2s1B3xuOykl1h0sLObCdADrbxOONsXrvQa61Xt_rxyprVraj2Uf9pANQgR4-12HEcMw"
fi

check "no --key is usage" 2 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/ec.pem"
check "a key not the certificate's is usage" 2 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/rsa.pem" --key "$WORK/ec.key"
expect "  saying so" err "does not belong"
check "an unknown context type is usage" 2 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/ec.pem" --key "$WORK/ec.key" --context-type Pesel --context 1
check "a context type without --context is usage" 2 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/ec.pem" --key "$WORK/ec.key" --context-type PeppolId
check "a Nip context that is no NIP is refused" 1 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/ec.pem" --key "$WORK/ec.key" --context 12345
check "an unknown image type is usage" 2 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/ec.pem" --key "$WORK/ec.key" --out "$WORK/x.gif"
echo '<a/>' > "$WORK/not.xml"
check "a file that is no invoice is refused" 1 "$KSEF" qr offline "$WORK/not.xml" --cert "$WORK/ec.pem" --key "$WORK/ec.key" --out "$WORK/x.png"
expect "  saying why" err "not an invoice"
check "  and no image is written" 1 test -e "$WORK/x.png"
check "a missing key file cannot run" 3 "$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/ec.pem" --key "$WORK/none.key"
check "a missing invoice cannot run" 3 "$KSEF" qr offline "$WORK/none.xml" --cert "$WORK/ec.pem" --key "$WORK/ec.key"
finish
