#!/usr/bin/env bash
# ksef permissions against a real ksefd: the worked example of docs/cli.md
# exactly as it is written there (the owner grants a colleague
# InvoiceWrite; the colleague logs in to the owner's context with her own
# certificate and sends an invoice), each on a computer of their own (a
# HOME each), the server named by KSEF_BASE_URL where the example says
# KSEF_ENV=test; then list, status and revoke, --json, and the refusals
# with their exit codes.
. "$(dirname "$0")/lib.bash"
need_schemas

nip=5265877635
start_ksefd "$WORK/data" --processing-delay 0
unset KSEF_ENV KSEF_NIP KSEF_TOKEN KSEF_CERT KSEF_KEY KSEF_CONFIG KSEF_STATE \
	KSEF_KEY_PASSWORD KSEF_P12_PASSWORD XDG_CONFIG_HOME XDG_STATE_HOME
export KSEF_BASE_URL=$KSEFD_BASE
mkdir -p "$WORK/jan" "$WORK/anna"
# as NAME: run in NAME's home folder, as if on NAME's computer.
as() { local who=$1; shift; (cd "$WORK/$who" && HOME="$WORK/$who" "$@"); }

check "permissions --help" 0 "$KSEF" permissions --help
expect "usage" out "usage: ksef permissions grant"
check "permissions without a subcommand" 2 "$KSEF" permissions
check "not logged in" 1 as jan "$KSEF" permissions list

# --- docs/cli.md: "Granting a colleague InvoiceWrite" ---
# 1. The owner logs in with its own certificate.
check "owner: cert generate" 0 as jan "$KSEF" cert generate --person --nip 5265877635 --name "Jan Kowalski" \
    --out-key jan.key --out-cert jan.pem
check "owner: auth login" 0 as jan "$KSEF" auth login --nip 5265877635 --cert jan.pem --key jan.key
# 2. The owner grants Anna InvoiceWrite.
check "owner: permissions grant" 0 as jan "$KSEF" permissions grant --person pesel:85010112345 \
    --first-name Anna --last-name Nowak \
    --permission InvoiceWrite --description "Wystawianie faktur"
expect "the operation ended 200" out "^granted: operation [0-9]\{8\}-EG-.*: 200 "
check "owner: permissions list persons --granted-here" 0 as jan "$KSEF" permissions list persons --granted-here
expect "lists Anna's grant" out "	InvoiceWrite	Active	Pesel:85010112345	Wystawianie faktur$"
id=$(cut -f1 "$WORK/out")
# 3. Anna, on her computer, with her own certificate.
check "anna: cert generate" 0 as anna "$KSEF" cert generate --person --pesel 85010112345 --name "Anna Nowak" \
    --out-key anna.key --out-cert anna.pem
check "anna: auth login" 0 as anna "$KSEF" auth login --nip 5265877635 --cert anna.pem --key anna.key
check "anna: permissions list" 0 as anna "$KSEF" permissions list
expect "Anna sees her InvoiceWrite" out "	InvoiceWrite	Active	.*	Wystawianie faktur$"
check "anna: generate" 0 as anna sh -c "'$KSEF' generate --nip 5265877635 > faktura.xml"
check "anna: send" 0 as anna "$KSEF" send --nip 5265877635 --cert anna.pem --key anna.key faktura.xml
expect "the invoice is in KSeF" out "^faktura.xml: 200 5265877635-"
# 4. The owner takes it back.
check "owner: permissions revoke" 0 as jan "$KSEF" permissions revoke "$id"
expect "revoked" out "^revoked: operation .*: 200 "
check "anna: no login without it" 1 as anna "$KSEF" auth login --nip 5265877635 --cert anna.pem --key anna.key
expect "415" err "415"
# --- end of the example ---

# The same id again: the operation finds nothing to revoke (400).
check "revoking it again" 1 as jan "$KSEF" permissions revoke "$id"
expect "says why" err "ksef: permissions: operation .*: 400 "
check "an unknown id" 1 as jan "$KSEF" permissions revoke 00000000-0000-4000-8000-000000000000
expect "not found" err "Nie znaleziono uprawnienia"
check "an id that is not one" 2 as jan "$KSEF" permissions revoke 123
check "a bad permission name" 2 as jan "$KSEF" permissions grant --person pesel:85010112345 \
    --first-name Anna --last-name Nowak --permission InvoiceWriter --description "Wystawianie faktur"
expect "names it" err "InvoiceWriter: unknown permission"
check "a bad identifier" 2 as jan "$KSEF" permissions grant --person pesel85010112345 \
    --first-name Anna --last-name Nowak --permission InvoiceWrite --description "Wystawianie faktur"
check "a description too short" 2 as jan "$KSEF" permissions grant --person pesel:85010112345 \
    --first-name Anna --last-name Nowak --permission InvoiceWrite --description abc
expect "the library names the field" err "description must be 5 to 256"
check "no kind" 2 as jan "$KSEF" permissions grant --permission InvoiceWrite --description "Opis uprawnienia"
check "--can-delegate is for entities" 2 as jan "$KSEF" permissions grant --person pesel:85010112345 \
    --first-name Anna --last-name Nowak --permission InvoiceWrite --description "Opis uprawnienia" --can-delegate
check "an unknown list" 2 as jan "$KSEF" permissions list everything
check "a filter the list has not" 2 as jan "$KSEF" permissions list personal --vat-ue DE123456789
# A refusal the server decides: EnforcementOperations outside a bailiff's
# context ends in 430, exit 1.
check "a grant KSeF refuses" 1 as jan "$KSEF" permissions grant --person pesel:85010112345 \
    --first-name Anna --last-name Nowak --permission EnforcementOperations --description "Egzekucja"
expect "with the status" err "operation .*: 430 "

# An entity with canDelegate, --no-wait and status, JSON.
check "grant an entity --no-wait" 0 as jan "$KSEF" permissions grant --entity nip:7010012385 --name "Biuro sp. z o.o." \
    --permission InvoiceWrite --permission InvoiceRead --can-delegate --description "Biuro rachunkowe" --no-wait --json
cp "$WORK/out" "$WORK/accepted.json"
ref=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['referenceNumber'])" "$WORK/accepted.json")
check "status of it" 0 as jan "$KSEF" permissions status "$ref" --wait
expect "200" out "operation $ref: 200 "
check "status --json" 0 as jan "$KSEF" permissions status "$ref" --json
cp "$WORK/out" "$WORK/status.json"
check "status json parses" 0 python3 -c "
import json; r = json.load(open('$WORK/status.json'))
assert r['referenceNumber'] == '$ref' and r['status']['code'] == 200, r"
check "list persons --json" 0 as jan "$KSEF" permissions list persons --granted-here --permission-state inactive --json
cp "$WORK/out" "$WORK/persons.json"
check "list json parses" 0 python3 -c "
import json; r = json.load(open('$WORK/persons.json'))
assert r['list'] == 'persons' and r['hasMore'] is False, r
assert all(p['permissionState'] == 'Inactive' for p in r['permissions']), r"
check "grant json of a refusal" 1 as jan "$KSEF" permissions grant --person pesel:85010112345 \
    --first-name Anna --last-name Nowak --permission EnforcementOperations --description "Egzekucja" --json
cp "$WORK/out" "$WORK/refused.json"
check "refusal json parses" 0 python3 -c "
import json; r = json.load(open('$WORK/refused.json'))
assert r['status']['code'] == 430 and r['error']['code'] == 'rejected', r"
check "attachment consent" 0 as jan "$KSEF" permissions status --attachments
expect "none on a fresh context" out "invoices with attachments: not allowed"
check "entity roles" 0 as jan "$KSEF" permissions list entity-roles
check "no roles" 0 test ! -s "$WORK/out"
check "authorizations received" 0 as jan "$KSEF" permissions list authorizations --received --json
finish
