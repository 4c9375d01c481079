#!/usr/bin/env bash
# ksef cert enroll|list|revoke|limits and ksef peppol list against a small
# stand-in server (Python, below), so that the commands are tested before
# ksefd has the certificate endpoints (cli_cert_ksefd.sh runs them against
# ksefd): a saved login made by hand, the whole enrolment (the request's
# signature checked and a certificate issued for its key by a test CA),
# the files it writes (an encrypted PKCS#8 key that opens with the
# password only, a PKCS#12 file of AES-256 under PBKDF2, modes 0600),
# --json, the page and filter options, and the refusals with their exit
# codes: usage (2) before anything is sent, the server's refusals (1).
. "$(dirname "$0")/lib.bash"

command -v python3 >/dev/null && command -v openssl >/dev/null || {
	echo "skipped: needs python3 and openssl"; exit 77; }
unset KSEF_ENV KSEF_BASE_URL KSEF_NIP KSEF_TOKEN KSEF_CERT KSEF_KEY \
	KSEF_CONFIG KSEF_STATE KSEF_KEY_PASSWORD KSEF_P12_PASSWORD \
	XDG_CONFIG_HOME XDG_STATE_HOME
export HOME=$WORK/home
mkdir -p "$HOME" "$WORK/srv"

# A test CA that issues what the stand-in server is asked for.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$WORK/srv/ca.key" -out "$WORK/srv/ca.pem" -days 2 \
	-subj "/CN=Test KSeF CA" 2>/dev/null

cat >"$WORK/srv/server.py" <<'PY'
import base64, json, os, subprocess, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
D = sys.argv[1]
REF = "20251010-EH-1B6C9EB000-4B15D3AEB9-89"
SERIAL = "0321C82DA41B4362"
state = {"polls": 0, "issued": None, "name": None, "type": None,
         "revoked": False}
def log(s):
    with open(os.path.join(D, "requests"), "a") as f:
        f.write(s + "\n")
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, status, body=None):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def refuse(self, status, code, text):
        self.send(status, {"exception": {"exceptionDetailList": [
            {"exceptionCode": code, "exceptionDescription": text}],
            "serviceCode": "x", "referenceNumber": REF,
            "timestamp": "2026-01-01T00:00:00+00:00"}})
    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(n) or b"{}")
    def authorised(self):
        if self.headers.get("Authorization") != "Bearer a.b.c":
            self.send(401, None)
            return False
        return True
    def do_GET(self):
        p = self.path
        log("GET " + p + " auth=" + str(self.headers.get("Authorization")))
        if p.startswith("/v2/peppol/query"):
            return self.send(200, {"peppolProviders": [
                {"id": "PPL000002", "name": "Drugi dostawca",
                 "dateCreated": "2026-02-01T10:00:00+01:00"},
                {"id": "PPL000001", "name": "Dostawca usług Peppol",
                 "dateCreated": "2025-07-11T12:23:56.0154302+00:00"}],
                "hasMore": "pageOffset=1" not in p})
        if not self.authorised():
            return
        if p == "/v2/certificates/limits":
            return self.send(200, {"canRequest": True,
                "enrollment": {"remaining": 5, "limit": 6},
                "certificate": {"remaining": 1, "limit": 2}})
        if p == "/v2/certificates/enrollments/data":
            return self.send(200, {"commonName": "Jan Kowalski",
                "countryName": "PL", "givenName": "Jan",
                "surname": "Kowalski", "serialNumber": "TINPL-5265877635"})
        if p == "/v2/certificates/enrollments/" + REF:
            state["polls"] += 1
            if state["polls"] < 2:
                return self.send(200, {"requestDate":
                    "2026-01-01T00:00:00+00:00", "status": {"code": 100,
                    "description": "Wniosek przyjęty do realizacji"}})
            return self.send(200, {"requestDate": "2026-01-01T00:00:00+00:00",
                "status": {"code": 200, "description": "Wniosek obsłużony"},
                "certificateSerialNumber": SERIAL})
        self.send(404, None)
    def do_POST(self):
        p = self.path
        b = self.body()
        log("POST " + p + " " + json.dumps(b, ensure_ascii=False)[:200])
        if not self.authorised():
            return
        if p == "/v2/certificates/enrollments":
            csr = os.path.join(D, "csr.der")
            with open(csr, "wb") as f:
                f.write(base64.b64decode(b["csr"]))
            ok = subprocess.run(["openssl", "req", "-inform", "DER", "-in",
                csr, "-noout", "-verify"], capture_output=True)
            subj = subprocess.run(["openssl", "req", "-inform", "DER", "-in",
                csr, "-noout", "-subject", "-nameopt", "RFC2253"],
                capture_output=True, text=True).stdout.strip()
            log("SUBJECT " + subj)
            if ok.returncode != 0:
                return self.refuse(400, 25001, "bad CSR signature")
            subprocess.run(["openssl", "x509", "-req", "-inform", "DER",
                "-in", csr, "-CA", os.path.join(D, "ca.pem"), "-CAkey",
                os.path.join(D, "ca.key"), "-set_serial", "0x" + SERIAL,
                "-days", "1", "-outform", "DER", "-out",
                os.path.join(D, "cert.der")], check=True,
                capture_output=True)
            state.update(issued=True, name=b["certificateName"],
                         type=b["certificateType"])
            return self.send(202, {"referenceNumber": REF,
                "timestamp": "2026-01-01T00:00:00+00:00"})
        if p == "/v2/certificates/retrieve":
            with open(os.path.join(D, "cert.der"), "rb") as f:
                der = base64.b64encode(f.read()).decode()
            return self.send(200, {"certificates": [{"certificate": der,
                "certificateName": state["name"],
                "certificateSerialNumber": SERIAL,
                "certificateType": state["type"]}]})
        if p.startswith("/v2/certificates/query"):
            items = []
            if state["issued"]:
                items.append({"certificateSerialNumber": SERIAL,
                    "name": state["name"], "type": state["type"],
                    "commonName": "Jan Kowalski",
                    "status": "Revoked" if state["revoked"] else "Active",
                    "subjectIdentifier": {"type": "Nip",
                                          "value": "5265877635"},
                    "validFrom": "2026-01-01T00:00:00+00:00",
                    "validTo": "2027-01-01T00:00:00+00:00",
                    "requestDate": "2026-01-01T00:00:00+00:00"})
            return self.send(200, {"certificates": items, "hasMore": False})
        if p == "/v2/certificates/%s/revoke" % SERIAL:
            state["revoked"] = True
            return self.send(204)
        if p.endswith("/revoke"):
            return self.refuse(400, 25012, "Certyfikat nie istnieje")
        self.send(404, None)
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(os.path.join(D, "port"), "w") as f:
    f.write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$WORK/srv/server.py" "$WORK/srv" 2>"$WORK/srv/log" &
SRV=$!
trap 'kill $SRV 2>/dev/null; wait $SRV 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do [ -s "$WORK/srv/port" ] && break; sleep 0.05; done
base=http://127.0.0.1:$(cat "$WORK/srv/port")/v2

# json EXPR: EXPR (Python, on the document d) holds for the last output.
json() { python3 -c "import json,sys; d=json.load(open('$WORK/j'))
assert $1, d"; }

check "cert enroll --help" 0 "$KSEF" cert enroll --help
expect "usage" out "usage: ksef cert enroll --type Authentication|Offline --out DIR"
check "ksef --help lists them" 0 "$KSEF" --help
expect "cert enroll listed" out "cert enroll"
expect "peppol listed" out "peppol list"
check "not logged in" 1 "$KSEF" cert limits
expect "says to log in" err "not logged in"

# A login as `ksef auth login --cert` leaves it (its token far from its end,
# so that nothing is renewed): the server needs no /auth endpoints.
state=$HOME/.local/state/ksef/auth.json
mkdir -p "$(dirname "$state")"
chmod 700 "$HOME/.local/state/ksef"
cat >"$state" <<JSON
{"version":1,"baseUrl":"$base","contextType":"Nip","contextValue":"5265877635",
 "accessToken":{"token":"a.b.c","validUntil":"2099-01-01T00:00:00.000+00:00"},
 "method":"xades"}
JSON
chmod 600 "$state"

# ---- usage, refused before anything is sent ----
: >"$WORK/srv/requests"
check "enroll without --out" 2 "$KSEF" cert enroll --type Offline --key-password pw
check "enroll without a password" 2 "$KSEF" cert enroll --type Offline --out "$WORK/c"
expect "asks for it" err "KSEF_KEY_PASSWORD"
check "enroll: a bad key type" 2 "$KSEF" cert enroll --type Offline --out "$WORK/c" --key-password pw --key-type dsa
check "enroll: a bad type" 2 "$KSEF" cert enroll --type Signing --out "$WORK/c" --key-password pw
expect "names the field" err "certificateType"
check "enroll: a bad name" 2 "$KSEF" cert enroll --type Offline --out "$WORK/c" --key-password pw --name "a/b/c/d"
expect "names the field" err "certificateName"
check "list: a page too big" 2 "$KSEF" cert list --page-size 51
check "list: --out is enroll's" 2 "$KSEF" cert list --out x
check "revoke without a serial" 2 "$KSEF" cert revoke
check "revoke: a bad serial" 2 "$KSEF" cert revoke ../../limits
check "revoke: a bad reason" 2 "$KSEF" cert revoke 0321C82DA41B4362 --reason Lost
check "nothing was sent" 0 test ! -s "$WORK/srv/requests"

# ---- limits ----
check "cert limits" 0 "$KSEF" cert limits
expect "requests" out "requests: *5 of 6 remain"
expect "certificates" out "certificates: 1 of 2 remain"
check "cert limits --json" 0 "$KSEF" cert limits --json
cp "$WORK/out" "$WORK/j"
check "json as the contract names it" 0 json "d == {'canRequest': True, 'enrollment': {'remaining': 5, 'limit': 6}, 'certificate': {'remaining': 1, 'limit': 2}}"

# ---- enroll ----
check "cert enroll" 0 env KSEF_KEY_PASSWORD=sekret "$KSEF" cert enroll --type Authentication \
	--out "$WORK/c" --name "Mój certyfikat" --key-type rsa
expect "the certificate" out "cert.pem: KSeF Authentication certificate 0321C82DA41B4362"
check "the subject was the enrolment data" 0 grep -q "^SUBJECT subject=CN=Jan Kowalski,serialNumber=TINPL-5265877635,SN=Kowalski,GN=Jan,C=PL$" "$WORK/srv/requests"
check "the name was sent" 0 grep -q '"certificateName": "Mój certyfikat"' "$WORK/srv/requests"
check "key.pem is private" 0 test "$(stat -c %a "$WORK/c/key.pem")" = 600
check "cert.p12 is private" 0 test "$(stat -c %a "$WORK/c/cert.p12")" = 600
check "the key is encrypted PKCS#8" 0 grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$WORK/c/key.pem"
check "it opens with the password" 0 openssl pkey -in "$WORK/c/key.pem" -passin pass:sekret -noout
check "and not without" 1 openssl pkey -in "$WORK/c/key.pem" -passin pass:wrong -noout
check "it is the certificate's key" 0 sh -c "[ \"\$(openssl pkey -in '$WORK/c/key.pem' -passin pass:sekret -pubout)\" = \"\$(openssl x509 -in '$WORK/c/cert.pem' -noout -pubkey)\" ]"
check "the certificate is the CA's" 0 openssl verify -CAfile "$WORK/srv/ca.pem" "$WORK/c/cert.pem"
check "PKCS#12: AES-256 under PBKDF2" 0 sh -c "openssl pkcs12 -in '$WORK/c/cert.p12' -info -noout -passin pass:sekret 2>&1 | grep -q 'PBES2, PBKDF2, AES-256-CBC'"
check "PKCS#12: not without the password" 1 openssl pkcs12 -in "$WORK/c/cert.p12" -noout -passin pass:wrong
check "enroll again: the files are there" 2 env KSEF_KEY_PASSWORD=sekret "$KSEF" cert enroll --type Offline --out "$WORK/c"
expect "says so" err "exists (--force replaces it)"
check "enroll --force --json" 0 "$KSEF" cert enroll --type Offline --out "$WORK/c" --force \
	--key-password sekret --json
cp "$WORK/out" "$WORK/j"
check "json of enroll" 0 json "d['certificateSerialNumber'] == '0321C82DA41B4362' and d['certificateType'] == 'Offline' and d['privateKey'].endswith('/key.pem') and d['referenceNumber'].startswith('20251010-EH-')"
check "an EC key by default" 0 sh -c "openssl pkey -in '$WORK/c/key.pem' -passin pass:sekret -text -noout | grep -q 'P-256'"
# An Offline certificate is what KOD II is signed with (ksef qr offline).
check "an invoice" 0 sh -c "'$KSEF' generate --nip 5265877635 > '$WORK/inv.xml'"
check "KOD II with the enrolled Offline certificate" 0 env KSEF_KEY_PASSWORD=sekret \
	"$KSEF" qr offline "$WORK/inv.xml" --cert "$WORK/c/cert.pem" --key "$WORK/c/key.pem" \
	--out "$WORK/kod2.svg"
expect "the certificate's link" out "/certificate/"

# ---- list, revoke ----
check "cert list" 0 "$KSEF" cert list --type Offline --status Active --page-size 10
expect "a line per certificate" out "^0321C82DA41B4362	Offline	Active	2027-01-01T00:00:00Z	ksef Offline "
check "the filters were sent" 0 grep -q 'POST /v2/certificates/query?pageSize=10 {"type": "Offline", "status": "Active"}' "$WORK/srv/requests"
check "cert revoke" 0 "$KSEF" cert revoke 0321C82DA41B4362 --reason Superseded
expect "says so" out "certificate 0321C82DA41B4362 revoked"
check "the reason was sent" 0 grep -q 'revoke {"revocationReason": "Superseded"}' "$WORK/srv/requests"
check "cert list --json" 0 "$KSEF" cert list --json
cp "$WORK/out" "$WORK/j"
check "json of list" 0 json "d['hasMore'] is False and d['certificates'][0]['status'] == 'Revoked' and d['certificates'][0]['subjectIdentifier'] == {'type': 'Nip', 'value': '5265877635'}"
check "revoke an unknown one" 1 "$KSEF" cert revoke 0000000000000000
expect "the server's reason" err "25012"

# ---- peppol ----
check "peppol list" 0 "$KSEF" peppol list --page-size 10
expect "newest first" out "^PPL000002	2026-02-01T09:00:00Z	Drugi dostawca$"
expect "more to come" err "more on the next page: --page-offset 1"
check "no token is sent" 0 grep -q "GET /v2/peppol/query?pageSize=10 auth=None" "$WORK/srv/requests"
check "peppol list --json, the server named" 0 env HOME="$WORK/nobody" "$KSEF" peppol list --base-url "$base" --page-offset 1 --json
cp "$WORK/out" "$WORK/j"
check "json of peppol" 0 json "d['hasMore'] is False and d['pageOffset'] == 1 and d['peppolProviders'][1]['name'] == 'Dostawca usług Peppol'"
check "peppol list: a page too big" 2 "$KSEF" peppol list --page-size 101

finish
