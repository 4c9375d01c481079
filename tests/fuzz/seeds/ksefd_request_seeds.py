#!/usr/bin/env python3
"""Write the hand-made seeds of the ksefd_request fuzz target for the
routes of batch sessions, invoice retrieval and exports, and permissions
(tests/fuzz/corpus/ksefd_request/{batch,retrieval,export,permissions}-*).
The batch seeds carry a real package: a ZIP (or TarGz) of one invoice,
encrypted under the harness's session key (ksefd_request_fuzz.c,
make_wrapped_key()), with the sizes and hashes its opening declares, so
that the part's PUT to the link the opening gave (@part) is taken. Check
each seed with KSEF_FUZZ_VERBOSE=1 build/tests/replay_ksefd_request FILE.
Needs the `cryptography` package; deterministic."""
import base64
import gzip
import hashlib
import io
import os
import tarfile
import zipfile

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                   "corpus", "ksefd_request")
KEY = b"fuzz-session-key-0123456789abcd\0"
IV = b"fuzz-iv-0123456\0"
SEP = b"\n--next-request--\n"
FORM = ('"formCode":{"systemCode":"FA (3)","schemaVersion":"1-0E",'
        '"value":"FA"}')
ENC = ('"encryption":{"encryptedSymmetricKey":"@wrapped-key",'
       '"initializationVector":"%s"}' % base64.b64encode(IV).decode())
INVOICE = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Faktura xmlns="http://'
           b'crd.gov.pl/wzor/2025/06/25/13775/"><Naglowek/></Faktura>\n')


def req(method, path, body=b"", auth="@access"):
    head = "%s %s\n" % (method, path)
    if auth:
        head += "Authorization: %s\n" % auth
    if body:
        head += "Content-Type: application/json\n"
    return head.encode() + b"\n" + (body.encode() if isinstance(body, str)
                                    else body)


def join(*reqs):
    return SEP.join(reqs)


def b64sha(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def encrypt(data):
    p = padding.PKCS7(128).padder()
    e = Cipher(algorithms.AES(KEY), modes.CBC(IV)).encryptor()
    return e.update(p.update(data) + p.finalize()) + e.finalize()


def zip_package():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("fa1.xml", (2026, 12, 3, 12, 0, 0)),
                   INVOICE, compress_type=zipfile.ZIP_DEFLATED)
    return b.getvalue()


def targz_package():
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        i = tarfile.TarInfo("fa1.xml")
        i.size = len(INVOICE)
        i.mtime = 1764763200
        t.addfile(i, io.BytesIO(INVOICE))
    return gzip.compress(b.getvalue(), mtime=0)


def batch_open(package, part, kind=None, parts=None):
    ct = ',"compressionType":"%s"' % kind if kind else ""
    if parts is None:
        parts = [(len(part), b64sha(part))]
    fp = ",".join('{"ordinalNumber":%d,"fileSize":%d,"fileHash":"%s"}' %
                  (i + 1, n, h) for i, (n, h) in enumerate(parts))
    return ('{%s,"batchFile":{"fileSize":%d,"fileHash":"%s"%s,'
            '"fileParts":[%s]},%s,"offlineMode":false}' %
            (FORM, len(package), b64sha(package), ct, fp, ENC))


FILTERS = ('{"subjectType":"Subject1","dateRange":{"dateType":"Issue",'
           '"from":"2026-10-01T00:00:00+02:00","to":"2026-12-31T00:00:00'
           '+01:00","restrictToPermanentStorageHwmDate":false},'
           '"ksefNumber":"5265877635-20250826-0100001AF629-AF",'
           '"invoiceNumber":"FV/1/2025","amount":{"type":"Brutto","from":0,'
           '"to":10000.5},"sellerNip":"5265877635","buyerIdentifier":'
           '{"type":"Nip","value":"7762811692"},"currencyCodes":["PLN",'
           '"EUR"],"invoicingMode":"Online","isSelfInvoicing":false,'
           '"formType":"FA","invoiceTypes":["Vat","Kor","Zal"],'
           '"hasAttachment":false}')

PERSON = ('{"subjectIdentifier":{"type":"Pesel","value":"15062788702"},'
          '"permissions":["InvoiceRead","InvoiceWrite"],"description":'
          '"Opis uprawnienia","subjectDetails":{"subjectDetailsType":'
          '"PersonByIdentifier","personById":{"firstName":"Adam",'
          '"lastName":"Abacki"}}}')


# A KSeF-token login: a token, a challenge, and the authentication that
# the access tokens of the rest of the input name (perm_caller_load()
# reads who authenticated from it).
LOGIN = [
    req("POST", "/v2/tokens", '{"permissions":["CredentialsManage",'
        '"InvoiceRead","InvoiceWrite"],"description":"login"}',
        auth="@access-seal"),
    req("POST", "/v2/auth/challenge", auth=None),
    req("POST", "/v2/auth/ksef-token", '{"challenge":"@challenge",'
        '"contextIdentifier":{"type":"Nip","value":"5265877635"},'
        '"encryptedToken":"@encrypted-token"}', auth=None),
]


def main():
    zp, tp = zip_package(), targz_package()
    zpart, tpart = encrypt(zp), encrypt(tp)
    seeds = {
        "batch-open-put-close": join(
            req("POST", "/v2/sessions/batch", batch_open(zp, zpart)),
            req("PUT", "@part", zpart, auth=None),
            req("POST", "/v2/sessions/batch/@session/close"),
            req("GET", "/v2/sessions/@session")),
        "batch-targz-wrong-part": join(
            req("POST", "/v2/sessions/batch",
                batch_open(tp, tpart, "TarGz")),
            req("PUT", "@part", tpart[:-16] + b"\0" * 16, auth=None),
            req("PUT", "@part", tpart[:20], auth=None),
            req("POST", "/v2/sessions/batch/@session/close")),
        "batch-two-parts-one-put": join(
            req("POST", "/v2/sessions/batch", batch_open(
                zp, zpart, parts=[(len(zpart) - 32, b64sha(zpart[:-32])),
                                  (32, b64sha(zpart[-32:]))])),
            req("PUT", "@part", zpart[:-32], auth=None),
            req("POST", "/v2/sessions/batch/@session/close")),
        "batch-put-bad-link": join(
            req("POST", "/v2/sessions/batch", batch_open(zp, zpart)),
            req("PUT", "/storage/@session/batch-parts/1?se=1&sig=AAAA",
                zpart, auth=None),
            req("PUT", "/storage/@session/batch-parts/2", zpart, auth=None),
            req("POST", "/v2/sessions/batch/@session/close")),
        "retrieval-metadata-filters": join(
            req("POST", "/v2/invoices/query/metadata?pageOffset=0&"
                "pageSize=10&sortOrder=Desc", FILTERS),
            req("POST", "/v2/invoices/query/metadata?sortOrder=Asc",
                '{"subjectType":"Subject2","dateRange":{"dateType":'
                '"PermanentStorage","from":"2026-11-01T00:00:00Z"}}'),
            req("POST", "/v2/invoices/query/metadata",
                '{"subjectType":"SubjectAuthorized","dateRange":'
                '{"dateType":"Invoicing","from":"2026-11-01T00:00:00Z",'
                '"to":"2026-12-01T00:00:00Z"},"amount":{"type":"Vat"},'
                '"buyerIdentifier":{"type":"None"},"formType":"PEF",'
                '"invoicingMode":"Offline","hasAttachment":true}')),
        "export-create-status": join(
            req("POST", "/v2/invoices/exports",
                '{%s,"onlyMetadata":false,"filters":%s}' % (ENC, FILTERS)),
            req("GET", "/v2/invoices/exports/@export"),
            req("POST", "/v2/invoices/exports",
                '{%s,"onlyMetadata":true,"compressionType":"Zip",'
                '"filters":{"subjectType":"Subject3","dateRange":'
                '{"dateType":"PermanentStorage","from":'
                '"2026-11-01T00:00:00Z"}}}' % ENC),
            req("GET", "/v2/invoices/exports/@export")),
        "permissions-grants": join(*LOGIN,
            req("POST", "/v2/permissions/persons/grants", PERSON),
            req("GET", "/v2/permissions/operations/@grant"),
            req("POST", "/v2/permissions/entities/grants",
                '{"subjectIdentifier":{"type":"Nip","value":"7762811692"},'
                '"permissions":[{"type":"InvoiceRead","canDelegate":true},'
                '{"type":"InvoiceWrite","canDelegate":false}],'
                '"description":"Biuro rachunkowe","subjectDetails":'
                '{"fullName":"Biuro sp. z o.o."}}'),
            req("POST", "/v2/permissions/authorizations/grants",
                '{"subjectIdentifier":{"type":"Nip","value":"7762811692"},'
                '"permission":"SelfInvoicing","description":'
                '"Samofakturowanie","subjectDetails":{"fullName":'
                '"Firma sp. z o.o."}}'),
            req("GET", "/v2/permissions/operations/@grant")),
        "permissions-grants-more": join(*LOGIN,
            req("POST", "/v2/permissions/indirect/grants",
                '{"subjectIdentifier":{"type":"Pesel","value":'
                '"72030512345"},"targetIdentifier":{"type":"Nip",'
                '"value":"7762811692"},"permissions":["InvoiceRead"],'
                '"description":"Praca dla klienta","subjectDetails":'
                '{"subjectDetailsType":"PersonByIdentifier","personById":'
                '{"firstName":"Ewa","lastName":"Kowalska"}}}'),
            req("POST", "/v2/permissions/subunits/grants",
                '{"subjectIdentifier":{"type":"Pesel","value":'
                '"77070712345"},"contextIdentifier":{"type":"InternalId",'
                '"value":"5265877635-00017"},"subunitName":"Oddzial w '
                'Krakowie","description":"Administrator oddzialu",'
                '"subjectDetails":{"subjectDetailsType":'
                '"PersonByIdentifier","personById":{"firstName":"Jan",'
                '"lastName":"Nowak"}}}'),
            req("GET", "/v2/permissions/operations/@grant"),
            req("DELETE", "/v2/permissions/common/grants/"
                "0c9a72e8-f344-457f-9c16-7c640eb60242"),
            req("GET", "/v2/permissions/operations/@grant")),
        "permissions-eu-grants": join(*LOGIN,
            req("POST", "/v2/permissions/eu-entities/administration/grants",
                '{"subjectIdentifier":{"type":"Fingerprint","value":'
                '"CEB3643BAC2C111ADDE971BDA5A80163441867D65389FC0BC0DFF8B4'
                'C1CD4E59"},"contextIdentifier":{"type":"NipVatUe",'
                '"value":"5265877635-DE123456789"},"description":'
                '"Administrator","euEntityName":"Firma G.m.b.H.",'
                '"euEntityDetails":{"fullName":"Firma G.m.b.H.","address":'
                '"Berlin"},"subjectDetails":{"subjectDetailsType":'
                '"EntityByFingerprint","entityByFp":{"fullName":'
                '"Firma G.m.b.H.","address":"Berlin"}}}'),
            req("POST", "/v2/permissions/eu-entities/grants",
                '{"subjectIdentifier":{"type":"Fingerprint","value":'
                '"AEB3643BAC2C111ADDE971BDA5A80163441867D65389FC0BC0DFF8B4'
                'C1CD4E59"},"permissions":["InvoiceWrite"],"description":'
                '"Reprezentant","subjectDetails":{"subjectDetailsType":'
                '"PersonByFingerprintWithoutIdentifier","personByFpNoId":'
                '{"firstName":"Hans","lastName":"Meier","birthDate":'
                '"1980-01-02","idDocument":{"type":"Paszport","number":'
                '"C01X00T47","country":"DE"}}}}'),
            req("GET", "/v2/permissions/operations/@grant")),
        "permissions-queries": join(*LOGIN,
            req("POST", "/v2/permissions/query/personal/grants?pageSize=10",
                '{"contextIdentifier":{"type":"Nip","value":"5265877635"},'
                '"permissionTypes":["InvoiceRead"],"permissionState":'
                '"Active"}'),
            req("POST", "/v2/permissions/query/persons/grants?pageOffset=0",
                '{"queryType":"PermissionsGrantedInCurrentContext",'
                '"authorIdentifier":{"type":"Nip","value":"5265877635"},'
                '"authorizedIdentifier":{"type":"Pesel","value":'
                '"15062788702"},"permissionTypes":["InvoiceWrite"],'
                '"permissionState":"Active"}'),
            req("POST", "/v2/permissions/query/subunits/grants",
                '{"subunitIdentifier":{"type":"InternalId","value":'
                '"5265877635-00001"}}'),
            req("POST", "/v2/permissions/query/entities/grants",
                '{"contextIdentifier":{"type":"Nip","value":'
                '"7762811692"}}'),
            req("POST", "/v2/permissions/query/authorizations/grants",
                '{"queryType":"Received","authorizingIdentifier":{"type":'
                '"Nip","value":"7762811692"},"permissionTypes":'
                '["SelfInvoicing"]}')),
        "permissions-queries-more": join(*LOGIN,
            req("GET", "/v2/permissions/query/entities/roles?pageSize=10"),
            req("POST", "/v2/permissions/query/subordinate-entities/roles",
                '{"subordinateEntityIdentifier":{"type":"Nip","value":'
                '"7762811692"}}'),
            req("POST", "/v2/permissions/query/eu-entities/grants",
                '{"vatUeIdentifier":"DE123456789",'
                '"authorizedFingerprintIdentifier":"CEB3643BAC",'
                '"permissionTypes":["VatUeManage"]}'),
            req("GET", "/v2/permissions/attachments/status"),
            req("DELETE", "/v2/permissions/authorizations/grants/"
                "0c9a72e8-f344-457f-9c16-7c640eb60242")),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
