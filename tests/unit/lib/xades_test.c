#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ksef/error.h"
#include "ksef/xades.h"

/*
 * The certificates are made once per run (group set-up), because RSA key
 * generation is slow under valgrind: a person with a NIP (TINPL, RSA), a
 * seal (VATPL, RSA), a person with a PESEL (PNOPL, EC P-256), and EC
 * certificates that expired or are not valid yet. Each is also written to
 * a folder so that the openssl and xmlsec1 commands, an implementation
 * other than ours, can check what we made and what we signed.
 */
static char *dir;

#define CHALLENGE "20250625-CR-20F5EE4000-DA48AE4124-46"
#define NIP "5265877635"
#define PESEL "88102341294"

enum { PERSON, SEAL, PESEL_EC, EXPIRED, NOT_YET, NCERTS };

static ksef_buf keys[NCERTS], certs[NCERTS];
static ksef_xades_signer *signers[NCERTS];

static const char *at(const char *name)
{
	static char path[4][512];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

static void make_cert(int which, ksef_xades_cert_options *o)
{
	ksef_error err;
	char name[32];

	if (ksef_xades_cert_generate(&keys[which], &certs[which], o, &err) != 0)
		fail_msg("cert %d: %s", which, err.message);
	if (ksef_xades_signer_new(&signers[which], keys[which].ptr,
				  keys[which].size, certs[which].ptr,
				  certs[which].size, NULL, &err) != 0)
		fail_msg("signer %d: %s", which, err.message);
	snprintf(name, sizeof(name), "key%d.pem", which);
	ts_write_file(at(name), keys[which].ptr, keys[which].size);
	snprintf(name, sizeof(name), "cert%d.pem", which);
	ts_write_file(at(name), certs[which].ptr, certs[which].size);
}

static int setup(void **state)
{
	ksef_xades_cert_options o = KSEF_XADES_CERT_OPTIONS_INIT;
	time_t now = time(NULL);

	(void)state;
	dir = ts_mkdtemp();

	/* As CertificateUtils.GetPersonalCertificate("Jan", "Kowalski",
	 * "TINPL", nip, "M B") of the C# client. */
	o.given_name = "Jan";
	o.surname = "Kowalski";
	o.serial_number = "TINPL-" NIP;
	o.common_name = "Jan Kowalski";
	make_cert(PERSON, &o);

	o = (ksef_xades_cert_options)KSEF_XADES_CERT_OPTIONS_INIT;
	o.kind = KSEF_XADES_CERT_SEAL;
	o.organization_name = "Kowalski sp. z o.o.";
	o.organization_identifier = "VATPL-" NIP;
	o.common_name = "Kowalski";
	make_cert(SEAL, &o);

	o = (ksef_xades_cert_options)KSEF_XADES_CERT_OPTIONS_INIT;
	o.key_type = KSEF_XADES_KEY_EC_P256;
	o.given_name = "Anna";
	o.surname = "Nowak";
	o.serial_number = "PNOPL-" PESEL;
	o.common_name = "Anna Nowak";
	make_cert(PESEL_EC, &o);

	o.not_before_ms = ((int64_t)now - 30 * 86400) * 1000;
	o.not_after_ms = ((int64_t)now - 86400) * 1000;
	make_cert(EXPIRED, &o);

	o.not_before_ms = ((int64_t)now + 86400) * 1000;
	o.not_after_ms = ((int64_t)now + 30 * 86400) * 1000;
	make_cert(NOT_YET, &o);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < NCERTS; i++) {
		ksef_xades_signer_free(signers[i]);
		signers[i] = NULL;
		ksef_buf_dispose_secure(&keys[i]);
		ksef_buf_dispose(&certs[i]);
	}
	ts_rmdir(dir);
	dir = NULL;
	return 0;
}

/* A signed request for the NIP context from signer `which`. */
static void sign_with(ksef_buf *out, int which)
{
	ksef_xades_auth_request req = KSEF_XADES_AUTH_REQUEST_INIT;
	ksef_error err;

	req.challenge = CHALLENGE;
	req.context_value = NIP;
	if (ksef_xades_sign_auth_request(out, &req, signers[which], &err) != 0)
		fail_msg("sign: %s", err.message);
}

static int verify_buf(ksef_xades_verified **v, const ksef_buf *doc,
		      ksef_error *err)
{
	return ksef_xades_verify_auth_request(v, doc->ptr, doc->size, NULL,
					      err);
}

static int verify_str(const char *doc, ksef_error *err)
{
	ksef_xades_verified *v = NULL;
	int r = ksef_xades_verify_auth_request(&v, (const unsigned char *)doc,
					       strlen(doc), NULL, err);

	assert_true(r != 0 || v != NULL);
	ksef_xades_verified_free(v);
	return r;
}

/* Replace the first `from` in a NUL-terminated document; it must occur. */
static void replace_first(ksef_buf *b, const char *from, const char *to)
{
	char *p = strstr((char *)b->ptr, from);
	size_t fl = strlen(from), tl = strlen(to), off, tail;
	unsigned char *n;

	if (p == NULL)
		fail_msg("'%s' not in the document", from);
	off = (size_t)(p - (char *)b->ptr);
	tail = b->size - off - fl;
	n = malloc(b->size - fl + tl + 1);
	assert_non_null(n);
	memcpy(n, b->ptr, off);
	memcpy(n + off, to, tl);
	memcpy(n + off + tl, b->ptr + off + fl, tail + 1);
	free(b->ptr);
	b->ptr = n;
	b->size = b->size - fl + tl;
	b->asize = b->size + 1;
}

/* The ds:Signature element of a document we signed, as text. */
static char *signature_text(const ksef_buf *b)
{
	const char *s = strstr((const char *)b->ptr, "<ds:Signature");
	const char *e = strstr((const char *)b->ptr, "</ds:Signature>");

	assert_non_null(s);
	assert_non_null(e);
	e += strlen("</ds:Signature>");
	return strndup(s, (size_t)(e - s));
}

/* Run the xmlsec1 command on a document: the second implementation. */
static int xmlsec1_verify(const ksef_buf *doc, int which)
{
	ts_write_file(at("signed.xml"), doc->ptr, doc->size);
	return ts_system("xmlsec1 --verify --trusted-pem '%s/cert%d.pem' "
		"--id-attr:Id 'http://uri.etsi.org/01903/v1.3.2#:"
		"SignedProperties' --enabled-reference-uris empty,same-doc "
		"'%s/signed.xml' >'%s/xmlsec1.log' 2>&1", dir, which, dir, dir);
}

/* The SHA-256 fingerprint the openssl command computes, colons removed. */
static void openssl_fingerprint(char out[65], int which)
{
	ksef_buf b = KSEF_BUF_INIT;
	const char *eq;
	size_t n = 0;

	assert_int_equal(ts_system("openssl x509 -in '%s/cert%d.pem' -noout "
				   "-fingerprint -sha256 > '%s/fp.txt'", dir,
				   which, dir), 0);
	ts_read_file(&b, at("fp.txt"));
	eq = strchr((const char *)b.ptr, '=');
	assert_non_null(eq);
	for (eq++; *eq && *eq != '\n' && n < 64; eq++)
		if (*eq != ':')
			out[n++] = *eq;
	out[n] = '\0';
	ksef_buf_dispose(&b);
}

/*
 * Failures first: the parser's edges and hostile documents.
 */

static void refuses_empty_and_one_byte_documents(void **state)
{
	ksef_xades_verified *v = NULL;
	const unsigned char one = '<';
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_xades_verify_auth_request(&v, &one, 0, NULL,
							&err), KSEF_EPARSE);
	assert_int_equal(ksef_xades_verify_auth_request(&v, &one, 1, NULL,
							&err), KSEF_EPARSE);
	assert_null(v);
	assert_int_equal(ksef_xades_exception_code(KSEF_EPARSE), 21001);
}

static void refuses_oversized_input_by_its_length_alone(void **state)
{
	/* One real byte, a longer claimed length: reading first trips ASan. */
	const unsigned char one = '<';
	ksef_xades_verified *v = NULL;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_xades_verify_auth_request(&v, &one,
			KSEF_XADES_AUTH_MAX_BYTES + 1, NULL, &err),
			KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "KSEF_XADES_AUTH_MAX_BYTES"));
	assert_null(v);
}

static void refuses_a_doctype_before_expanding_any_entity(void **state)
{
	static const char bomb[] =
		"<!DOCTYPE AuthTokenRequest [<!ENTITY a \"aaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
		"<AuthTokenRequest xmlns=\"http://ksef.mf.gov.pl/auth/token/2.0\">"
		"<Challenge>&b;</Challenge></AuthTokenRequest>";
	ksef_error err;

	(void)state;
	assert_int_equal(verify_str(bomb, &err), KSEF_EPARSE);
	assert_non_null(strstr(err.message, "DOCTYPE"));
}

static void refuses_encodings_other_than_utf8(void **state)
{
	static const char latin2[] =
		"<?xml version=\"1.0\" encoding=\"ISO-8859-2\"?>"
		"<AuthTokenRequest xmlns=\"http://ksef.mf.gov.pl/auth/token/2.0\"/>";
	static const char bad_byte[] =
		"<AuthTokenRequest xmlns=\"http://ksef.mf.gov.pl/auth/token/2.0\">"
		"\n<Challenge>\xB3\xF3</Challenge></AuthTokenRequest>";
	static const unsigned char utf16[] = { 0xFF, 0xFE, '<', 0, 'A', 0 };
	ksef_xades_verified *v = NULL;
	ksef_error err;

	(void)state;
	assert_int_equal(verify_str(latin2, &err), KSEF_EXADES_ENCODING);
	assert_non_null(strstr(err.message, "ISO-8859-2"));
	assert_int_equal(verify_str(bad_byte, &err), KSEF_EXADES_ENCODING);
	assert_int_equal(err.line, 2);
	assert_int_equal(ksef_xades_verify_auth_request(&v, utf16,
			sizeof(utf16), NULL, &err), KSEF_EXADES_ENCODING);
	assert_int_equal(ksef_xades_exception_code(KSEF_EXADES_ENCODING),
			 21217);
}

static void refuses_a_wrong_root_or_namespace(void **state)
{
	static const char wrong_ns[] =
		"<AuthTokenRequest xmlns=\"http://ksef.mf.gov.pl/auth/token/3.0\">"
		"<Challenge>" CHALLENGE "</Challenge></AuthTokenRequest>";
	static const char no_ns[] =
		"<AuthTokenRequest><Challenge>" CHALLENGE "</Challenge>"
		"</AuthTokenRequest>";
	static const char wrong_root[] =
		"<InitSessionRequest xmlns=\"http://ksef.mf.gov.pl/auth/token/2.0\"/>";
	ksef_error err;

	(void)state;
	assert_int_equal(verify_str(wrong_ns, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "auth/token/3.0"));
	assert_int_equal(verify_str(no_ns, &err), KSEF_EFORMAT);
	assert_int_equal(verify_str(wrong_root, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "InitSessionRequest"));
	assert_int_equal(ksef_xades_exception_code(KSEF_EFORMAT), 9101);
}

/*
 * The request's fields, checked by hand against the auth XSD's patterns
 * (SPEC 13 #26). A field that passes reaches the signature count, so an
 * unsigned document that is otherwise right fails with "no signature".
 */
#define OPEN "<AuthTokenRequest xmlns=\"http://ksef.mf.gov.pl/auth/token/2.0\">"
#define OPEN21 "<AuthTokenRequest xmlns=\"http://ksef.mf.gov.pl/auth/token/2.1\">"
#define CH "<Challenge>" CHALLENGE "</Challenge>"
#define CTX(e, v) "<ContextIdentifier><" e ">" v "</" e "></ContextIdentifier>"
#define SUBJ "<SubjectIdentifierType>certificateSubject</SubjectIdentifierType>"
#define CLOSE "</AuthTokenRequest>"
#define IPS(x) "<AuthorizationPolicy><AllowedIps>" x \
	"</AllowedIps></AuthorizationPolicy>"
#define A10 "<Ip4Address>10.0.0.1</Ip4Address>"

static void checks_fields_against_the_auth_schema(void **state)
{
	static const struct {
		const char *doc;
		int code;
		const char *says;
	} cases[] = {
		{ OPEN CH CTX("Nip", NIP) SUBJ CLOSE, KSEF_EXADES_NOSIG,
		  "no ds:Signature" },
		{ OPEN21 CH CTX("Nip", NIP) SUBJ CLOSE, KSEF_EXADES_NOSIG, NULL },
		{ OPEN "<Challenge>\n  " CHALLENGE "  </Challenge>"
		  CTX("Nip", NIP) SUBJ CLOSE, KSEF_EXADES_NOSIG, NULL },
		{ OPEN CH CTX("InternalId", NIP "-12345") SUBJ CLOSE,
		  KSEF_EXADES_NOSIG, NULL },
		{ OPEN CH CTX("NipVatUe", NIP "-ATU12345678") SUBJ CLOSE,
		  KSEF_EXADES_NOSIG, NULL },
		{ OPEN CH CTX("NipVatUe", NIP "-XIGD123") SUBJ CLOSE,
		  KSEF_EXADES_NOSIG, NULL },
		{ OPEN CH CTX("PeppolId", "PPL123456") SUBJ CLOSE,
		  KSEF_EXADES_NOSIG, NULL },
		{ OPEN CH CTX("Nip", NIP) SUBJ IPS(A10
		  "<Ip4Range>10.0.0.1-10.0.0.254</Ip4Range>"
		  "<Ip4Mask>172.16.0.0/16</Ip4Mask>") CLOSE,
		  KSEF_EXADES_NOSIG, NULL },
		{ OPEN CTX("Nip", NIP) CH SUBJ CLOSE, KSEF_EXADES_CONTENT,
		  "<Challenge> is missing before <ContextIdentifier>" },
		{ OPEN CH CH CTX("Nip", NIP) SUBJ CLOSE, KSEF_EXADES_CONTENT,
		  "<Challenge> is repeated or out of order" },
		{ OPEN CH CTX("Nip", NIP) CLOSE, KSEF_EXADES_CONTENT,
		  "no <SubjectIdentifierType>" },
		{ OPEN CH SUBJ CLOSE, KSEF_EXADES_CONTENT,
		  "<ContextIdentifier> is missing" },
		{ OPEN "<Challenge>20250625-CR-20f5ee4000-DA48AE4124-46"
		  "</Challenge>" CTX("Nip", NIP) SUBJ CLOSE,
		  KSEF_EXADES_CONTENT, "<Challenge> does not match" },
		{ OPEN CH CTX("Nip", "0265877635") SUBJ CLOSE,
		  KSEF_EXADES_CONTENT, "<Nip> does not match" },
		{ OPEN CH CTX("Nip", " " NIP) SUBJ CLOSE, KSEF_EXADES_CONTENT,
		  "<Nip> does not match" },
		{ OPEN CH CTX("NipVatUe", NIP "-AT12345678") SUBJ CLOSE,
		  KSEF_EXADES_CONTENT, "<NipVatUe> does not match" },
		{ OPEN CH CTX("PeppolId", "P1L123456") SUBJ CLOSE,
		  KSEF_EXADES_CONTENT, "<PeppolId> does not match" },
		{ OPEN CH CTX("Pesel", PESEL) SUBJ CLOSE, KSEF_EXADES_CONTENT,
		  "<ContextIdentifier> holds <Pesel>" },
		{ OPEN CH CTX("Nip", NIP)
		  "<SubjectIdentifierType>pesel</SubjectIdentifierType>" CLOSE,
		  KSEF_EXADES_CONTENT, "certificateSubject or" },
		{ OPEN "<Challenge Id=\"x\">" CHALLENGE "</Challenge>"
		  CTX("Nip", NIP) SUBJ CLOSE, KSEF_EXADES_CONTENT,
		  "attribute 'Id'" },
		{ OPEN CH CTX("Nip", NIP) SUBJ
		  IPS("<Ip4Address>256.0.0.1</Ip4Address>") CLOSE,
		  KSEF_EXADES_CONTENT, "<Ip4Address> does not match" },
		{ OPEN CH CTX("Nip", NIP) SUBJ
		  IPS("<Ip4Mask>10.0.0.0/33</Ip4Mask>") CLOSE,
		  KSEF_EXADES_CONTENT, "<Ip4Mask> does not match" },
		{ OPEN CH CTX("Nip", NIP) SUBJ
		  IPS("<Ip4Mask>10.0.0.0/8</Ip4Mask>" A10) CLOSE,
		  KSEF_EXADES_CONTENT, "in that order" },
		{ OPEN CH CTX("Nip", NIP) SUBJ IPS(A10 A10 A10 A10 A10 A10 A10
		  A10 A10 A10 A10) CLOSE, KSEF_EXADES_CONTENT,
		  "more than 10 <Ip4Address>" },
		{ OPEN CH "stray text" CTX("Nip", NIP) SUBJ CLOSE,
		  KSEF_EXADES_CONTENT, "text outside" },
		{ OPEN CH CTX("Nip", NIP) SUBJ "<Extra/>" CLOSE,
		  KSEF_EXADES_CONTENT, "unexpected element <Extra>" },
	};
	ksef_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = verify_str(cases[i].doc, &err);

		if (r != cases[i].code)
			fail_msg("case %zu: got %d (%s), want %d", i, r,
				 err.message, cases[i].code);
		if (cases[i].says && !strstr(err.message, cases[i].says))
			fail_msg("case %zu: '%s' does not say '%s'", i,
				 err.message, cases[i].says);
	}
	assert_int_equal(ksef_xades_exception_code(KSEF_EXADES_CONTENT), 21401);
	assert_int_equal(ksef_xades_exception_code(KSEF_EXADES_NOSIG), 9102);
}

static void build_refuses_fields_that_break_the_schema(void **state)
{
	ksef_xades_auth_request req = KSEF_XADES_AUTH_REQUEST_INIT;
	const char *bad_ip[] = { "10.0.0.01" };
	ksef_client_ip_policy pol = KSEF_CLIENT_IP_POLICY_INIT;
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_xades_build_auth_request(&out, NULL, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_xades_build_auth_request(&out, &req, &err),
			 KSEF_EINVAL);
	req.challenge = "20250625-CR-20F5EE4000-DA48AE4124-4";
	req.context_value = NIP;
	assert_int_equal(ksef_xades_build_auth_request(&out, &req, &err),
			 KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "challenge"));
	req.challenge = CHALLENGE;
	req.context_type = KSEF_CONTEXT_INTERNAL_ID;
	assert_int_equal(ksef_xades_build_auth_request(&out, &req, &err),
			 KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "<InternalId>"));
	req.context_type = KSEF_CONTEXT_NIP;
	pol.addresses = bad_ip;
	pol.address_count = 1;
	req.ip_policy = &pol;
	assert_int_equal(ksef_xades_build_auth_request(&out, &req, &err),
			 KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "<Ip4Address> 1"));
	assert_null(out.ptr);
}

static void build_writes_the_documented_example(void **state)
{
	ksef_xades_auth_request req = KSEF_XADES_AUTH_REQUEST_INIT;
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	req.challenge = CHALLENGE;
	req.context_value = NIP;
	assert_int_equal(ksef_xades_build_auth_request(&out, &req, &err), 0);
	/* auth/subject-identifier-type-certificate-subject.md, element by
	 * element. */
	assert_non_null(strstr((char *)out.ptr,
		"<AuthTokenRequest xmlns=\"http://ksef.mf.gov.pl/auth/token/2.0\">"));
	assert_non_null(strstr((char *)out.ptr,
		"<Challenge>" CHALLENGE "</Challenge>"));
	assert_non_null(strstr((char *)out.ptr, "<Nip>" NIP "</Nip>"));
	assert_non_null(strstr((char *)out.ptr, SUBJ));
	assert_true(strstr((char *)out.ptr, "<Challenge>") <
		    strstr((char *)out.ptr, "<ContextIdentifier>"));
	ksef_buf_dispose(&out);
}

/*
 * Signing and reading back
 */

static void person_certificate_signs_and_verifies(void **state)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	char fp[65];
	size_t der_len = 0;
	ksef_error err;

	(void)state;
	sign_with(&doc, PERSON);
	/* The shape SPEC 4.4 asks for: ds:Signature the root's last child. */
	assert_non_null(strstr((char *)doc.ptr,
		"</ds:Signature></AuthTokenRequest>"));
	assert_non_null(strstr((char *)doc.ptr, "xmldsig-more#rsa-sha256"));
	assert_non_null(strstr((char *)doc.ptr, "xml-exc-c14n#"));
	assert_non_null(strstr((char *)doc.ptr, "#enveloped-signature"));
	assert_non_null(strstr((char *)doc.ptr, "xades:SigningCertificate"));
	assert_non_null(strstr((char *)doc.ptr, "<ds:X509Certificate>"));

	if (verify_buf(&v, &doc, &err) != 0)
		fail_msg("verify: %s", err.message);
	assert_string_equal(ksef_xades_verified_challenge(v), CHALLENGE);
	assert_int_equal(ksef_xades_verified_context_type(v), KSEF_CONTEXT_NIP);
	assert_string_equal(ksef_xades_verified_context_value(v), NIP);
	assert_int_equal(ksef_xades_verified_subject_type(v),
			 KSEF_XADES_SUBJECT_CERTIFICATE);
	assert_int_equal(ksef_xades_verified_ns_version(v),
			 KSEF_XADES_AUTH_NS_2_0);
	assert_null(ksef_xades_verified_ip_policy(v));
	assert_string_equal(ksef_xades_verified_cert_nip(v), NIP);
	assert_null(ksef_xades_verified_cert_pesel(v));
	assert_false(ksef_xades_verified_cert_is_seal(v));
	assert_true(ksef_xades_verified_cert_self_signed(v));
	assert_non_null(strstr(ksef_xades_verified_cert_subject(v),
			       "CN=Jan Kowalski"));
	assert_true(ksef_xades_verified_cert_not_before(v) <=
		    (int64_t)time(NULL) * 1000);
	assert_true(ksef_xades_verified_cert_not_after(v) >
		    (int64_t)time(NULL) * 1000);
	assert_non_null(ksef_xades_verified_signing_time(v));
	assert_non_null(ksef_xades_verified_cert_der(v, &der_len));
	assert_true(der_len > 100);

	/* The fingerprint, against the openssl command (SPEC 13 #16). */
	openssl_fingerprint(fp, PERSON);
	assert_string_equal(ksef_xades_verified_cert_fingerprint(v), fp);
	assert_string_equal(ksef_xades_signer_fingerprint(signers[PERSON]), fp);
	ksef_xades_verified_free(v);
	ksef_buf_dispose(&doc);
}

static void seal_certificate_gives_the_nip_of_its_organization(void **state)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	ksef_error err;

	(void)state;
	/* organizationIdentifier is 2.5.4.97, as the openssl command reads
	 * it too. */
	assert_int_equal(ts_system("openssl x509 -in '%s/cert%d.pem' -noout "
		"-subject -nameopt oid | grep -q '2.5.4.97=VATPL-" NIP "'",
		dir, SEAL), 0);
	sign_with(&doc, SEAL);
	if (verify_buf(&v, &doc, &err) != 0)
		fail_msg("verify: %s", err.message);
	assert_string_equal(ksef_xades_verified_cert_nip(v), NIP);
	assert_true(ksef_xades_verified_cert_is_seal(v));
	assert_null(ksef_xades_verified_cert_pesel(v));
	ksef_xades_verified_free(v);
	ksef_buf_dispose(&doc);
}

static void ec_p256_person_with_a_pesel_signs_and_verifies(void **state)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	ksef_error err;

	(void)state;
	sign_with(&doc, PESEL_EC);
	assert_non_null(strstr((char *)doc.ptr, "xmldsig-more#ecdsa-sha256"));
	if (verify_buf(&v, &doc, &err) != 0)
		fail_msg("verify: %s", err.message);
	assert_string_equal(ksef_xades_verified_cert_pesel(v), PESEL);
	assert_null(ksef_xades_verified_cert_nip(v));
	assert_false(ksef_xades_verified_cert_is_seal(v));
	ksef_xades_verified_free(v);
	ksef_buf_dispose(&doc);
}

static void xmlsec1_command_verifies_what_we_sign(void **state)
{
	ksef_buf doc = KSEF_BUF_INIT;

	(void)state;
	sign_with(&doc, PERSON);
	if (xmlsec1_verify(&doc, PERSON) != 0)
		fail_msg("xmlsec1 refused the RSA signature, see %s",
			 at("xmlsec1.log"));
	ksef_buf_dispose(&doc);
	sign_with(&doc, PESEL_EC);
	if (xmlsec1_verify(&doc, PESEL_EC) != 0)
		fail_msg("xmlsec1 refused the ECDSA signature, see %s",
			 at("xmlsec1.log"));
	/* And it sees a tampered one as we do. */
	replace_first(&doc, NIP, "5265877636");
	assert_int_not_equal(xmlsec1_verify(&doc, PESEL_EC), 0);
	ksef_buf_dispose(&doc);
}

static void reads_back_the_namespace_2_1_and_the_ip_policy(void **state)
{
	const char *addr[] = { "192.168.0.1", "192.222.111.1" };
	const char *range[] = { "222.111.0.1-222.111.0.255" };
	const char *mask[] = { "192.168.1.0/24" };
	ksef_client_ip_policy pol = KSEF_CLIENT_IP_POLICY_INIT;
	ksef_xades_auth_request req = KSEF_XADES_AUTH_REQUEST_INIT;
	const ksef_client_ip_policy *got;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	ksef_error err;

	(void)state;
	pol.addresses = addr;
	pol.address_count = 2;
	pol.ranges = range;
	pol.range_count = 1;
	pol.masks = mask;
	pol.mask_count = 1;
	req.challenge = CHALLENGE;
	req.context_type = KSEF_CONTEXT_NIP_VAT_UE;
	req.context_value = NIP "-DE123456789";
	req.subject_type = KSEF_XADES_SUBJECT_FINGERPRINT;
	req.ip_policy = &pol;
	req.ns_version = KSEF_XADES_AUTH_NS_2_1;
	if (ksef_xades_sign_auth_request(&doc, &req, signers[SEAL], &err) != 0)
		fail_msg("sign: %s", err.message);
	if (verify_buf(&v, &doc, &err) != 0)
		fail_msg("verify: %s", err.message);
	assert_int_equal(ksef_xades_verified_ns_version(v),
			 KSEF_XADES_AUTH_NS_2_1);
	assert_int_equal(ksef_xades_verified_context_type(v),
			 KSEF_CONTEXT_NIP_VAT_UE);
	assert_string_equal(ksef_xades_verified_context_value(v),
			    NIP "-DE123456789");
	assert_int_equal(ksef_xades_verified_subject_type(v),
			 KSEF_XADES_SUBJECT_FINGERPRINT);
	got = ksef_xades_verified_ip_policy(v);
	assert_non_null(got);
	assert_int_equal(got->address_count, 2);
	assert_string_equal(got->addresses[1], "192.222.111.1");
	assert_int_equal(got->range_count, 1);
	assert_string_equal(got->ranges[0], range[0]);
	assert_int_equal(got->mask_count, 1);
	assert_string_equal(got->masks[0], mask[0]);
	ksef_xades_verified_free(v);
	ksef_buf_dispose(&doc);
}

static void pkcs12_file_signs_like_its_pem_parts(void **state)
{
	ksef_xades_signer *s = NULL;
	ksef_xades_auth_request req = KSEF_XADES_AUTH_REQUEST_INIT;
	ksef_buf p12 = KSEF_BUF_INIT, doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	ksef_error err;

	(void)state;
	assert_int_equal(ts_system("openssl pkcs12 -export -inkey '%s/key%d.pem' "
		"-in '%s/cert%d.pem' -passout pass:tajne -out '%s/c.p12'",
		dir, PERSON, dir, PERSON, dir), 0);
	ts_read_file(&p12, at("c.p12"));
	assert_int_equal(ksef_xades_signer_from_pkcs12(&s, p12.ptr, p12.size,
			 "wrong", &err), KSEF_EPARSE);
	assert_null(s);
	if (ksef_xades_signer_from_pkcs12(&s, p12.ptr, p12.size, "tajne",
					  &err) != 0)
		fail_msg("p12: %s", err.message);
	assert_string_equal(ksef_xades_signer_fingerprint(s),
			    ksef_xades_signer_fingerprint(signers[PERSON]));
	req.challenge = CHALLENGE;
	req.context_value = NIP;
	assert_int_equal(ksef_xades_sign_auth_request(&doc, &req, s, &err), 0);
	if (verify_buf(&v, &doc, &err) != 0)
		fail_msg("verify: %s", err.message);
	assert_string_equal(ksef_xades_verified_cert_nip(v), NIP);
	ksef_xades_verified_free(v);
	ksef_xades_signer_free(s);
	ksef_buf_dispose(&doc);
	ksef_buf_dispose(&p12);
}

static void signer_refuses_weak_mismatched_or_encrypted_keys(void **state)
{
	ksef_xades_signer *s = NULL;
	ksef_buf key = KSEF_BUF_INIT, cert = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	assert_int_equal(ts_system("cd '%s' && openssl req -x509 -newkey "
		"rsa:1024 -noenc -keyout weak_key.pem -out weak_cert.pem "
		"-subj /CN=weak -days 1 2>/dev/null && openssl pkey -in "
		"key%d.pem -aes256 -passout pass:tajne -out enc_key.pem", dir,
		PERSON), 0);
	ts_read_file(&key, at("weak_key.pem"));
	ts_read_file(&cert, at("weak_cert.pem"));
	assert_int_equal(ksef_xades_signer_new(&s, key.ptr, key.size, cert.ptr,
			 cert.size, NULL, &err), KSEF_EXADES_CERT);
	assert_non_null(strstr(err.message, "1024 bits"));
	/* The seal's certificate with the person's key. */
	assert_int_equal(ksef_xades_signer_new(&s, keys[PERSON].ptr,
			 keys[PERSON].size, certs[SEAL].ptr, certs[SEAL].size,
			 NULL, &err), KSEF_EXADES_CERT);
	assert_non_null(strstr(err.message, "does not belong"));
	ksef_buf_dispose_secure(&key);
	ts_read_file(&key, at("enc_key.pem"));
	assert_int_equal(ksef_xades_signer_new(&s, key.ptr, key.size,
			 certs[PERSON].ptr, certs[PERSON].size, NULL, &err),
			 KSEF_EPARSE);
	assert_int_equal(ksef_xades_signer_new(&s, key.ptr, key.size,
			 certs[PERSON].ptr, certs[PERSON].size, "tajne", &err),
			 0);
	ksef_xades_signer_free(s);
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&cert);
}

/*
 * Signatures that must fail, each with its own reason.
 */

static void tampered_challenge_fails_the_document_digest(void **state)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	ksef_error err;

	(void)state;
	sign_with(&doc, PERSON);
	/* One character, and still a well-formed challenge. */
	replace_first(&doc, "20F5EE4000", "20F5EE4001");
	assert_int_equal(verify_buf(&v, &doc, &err), KSEF_EXADES_DIGEST);
	assert_null(v);
	assert_non_null(strstr(err.message, "Reference 1, the document"));
	assert_int_equal(ksef_xades_exception_code(KSEF_EXADES_DIGEST), 9105);
	ksef_buf_dispose(&doc);
}

static void tampered_signing_time_fails_the_properties_digest(void **state)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	ksef_error err;

	(void)state;
	sign_with(&doc, PERSON);
	replace_first(&doc, "<xades:SigningTime>2", "<xades:SigningTime>1");
	assert_int_equal(verify_buf(&v, &doc, &err), KSEF_EXADES_DIGEST);
	assert_non_null(strstr(err.message,
			       "Reference 2, xades:SignedProperties"));
	ksef_buf_dispose(&doc);
}

static void tampered_signature_value_fails_as_such(void **state)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	char *p;
	ksef_error err;

	(void)state;
	sign_with(&doc, PERSON);
	p = strstr((char *)doc.ptr, "<ds:SignatureValue>");
	assert_non_null(p);
	p += strlen("<ds:SignatureValue>") + 10;
	*p = *p == 'A' ? 'B' : 'A';
	assert_int_equal(verify_buf(&v, &doc, &err), KSEF_EXADES_SIGVALUE);
	assert_non_null(strstr(err.message, "SignatureValue"));
	ksef_buf_dispose(&doc);
}

static void signature_values_of_the_wrong_form_are_named(void **state)
{
	static const struct {
		const char *from, *to, *says;
	} cases[] = {
		/* 3 bytes more than R||S: the length a DER signature has. */
		{ "<ds:SignatureValue>", "<ds:SignatureValue>AAAA",
		  "67 bytes; an ECDSA signature with this 256-bit key is R||S" },
		{ "<ds:SignatureValue>", "<ds:SignatureValue>!!!!",
		  "ds:SignatureValue is not Base64" },
		{ "<ds:DigestValue>", "<ds:DigestValue>@@",
		  "Reference 1: ds:DigestValue is not Base64" },
	};
	ksef_xades_verified *v = NULL;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_error err;
	char *p;
	int r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sign_with(&doc, PESEL_EC);
		replace_first(&doc, cases[i].from, cases[i].to);
		r = verify_buf(&v, &doc, &err);
		if (r >= 0 || ksef_xades_exception_code(r) != 9105 ||
		    !strstr(err.message, cases[i].says))
			fail_msg("case %zu: got %d '%s'", i, r, err.message);
		ksef_buf_dispose(&doc);
	}
	/* Right length, wrong value. */
	sign_with(&doc, PESEL_EC);
	p = strstr((char *)doc.ptr, "<ds:SignatureValue>");
	p += strlen("<ds:SignatureValue>") + 5;
	*p = *p == 'A' ? 'B' : 'A';
	assert_int_equal(verify_buf(&v, &doc, &err), KSEF_EXADES_SIGVALUE);
	ksef_buf_dispose(&doc);
}

static void removed_signature_is_no_signature(void **state)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	char *sig;
	ksef_error err;

	(void)state;
	sign_with(&doc, PERSON);
	sig = signature_text(&doc);
	replace_first(&doc, sig, "");
	assert_int_equal(verify_buf(&v, &doc, &err), KSEF_EXADES_NOSIG);
	assert_non_null(strstr(err.message, "Brak podpisu"));
	free(sig);
	ksef_buf_dispose(&doc);
}

static void two_signatures_are_too_many(void **state)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	char *sig, *both;
	ksef_error err;

	(void)state;
	sign_with(&doc, PERSON);
	sig = signature_text(&doc);
	both = malloc(2 * strlen(sig) + 1);
	assert_non_null(both);
	strcpy(both, sig);
	strcat(both, sig);
	replace_first(&doc, sig, both);
	assert_int_equal(verify_buf(&v, &doc, &err), KSEF_EXADES_MANYSIG);
	assert_int_equal(ksef_xades_exception_code(KSEF_EXADES_MANYSIG), 9103);
	free(both);
	free(sig);
	ksef_buf_dispose(&doc);
}

static void signature_inside_a_field_is_not_enveloped(void **state)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	char *sig, *moved;
	ksef_error err;

	(void)state;
	sign_with(&doc, PERSON);
	sig = signature_text(&doc);
	replace_first(&doc, sig, "");
	moved = malloc(strlen(sig) + 64);
	assert_non_null(moved);
	sprintf(moved, "<ContextIdentifier>%s", sig);
	replace_first(&doc, "<ContextIdentifier>", moved);
	assert_int_equal(verify_buf(&v, &doc, &err), KSEF_EXADES_NOT_ENVELOPED);
	assert_non_null(strstr(err.message, "inside <ContextIdentifier>"));
	free(moved);
	free(sig);
	ksef_buf_dispose(&doc);
}

static void reference_to_another_resource_is_detached(void **state)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	ksef_error err;

	(void)state;
	sign_with(&doc, PERSON);
	replace_first(&doc, "URI=\"\"", "URI=\"http://example.com/a.xml\"");
	assert_int_equal(verify_buf(&v, &doc, &err), KSEF_EXADES_NOT_ENVELOPED);
	assert_non_null(strstr(err.message, "detached"));
	ksef_buf_dispose(&doc);
}

static void algorithms_outside_podpis_xades_are_named(void **state)
{
	static const struct {
		const char *from, *to, *says;
	} cases[] = {
		{ "xmldsig-more#rsa-sha256\"", "xmldsig#hmac-sha1\"",
		  "xmldsig#hmac-sha1 is not one podpis-xades.md allows" },
		{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
		  "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
		  "RSASSA-PSS" },
		{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
		  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
		  "the certificate's key is RSA" },
		{ "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>",
		  "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#md5\"/>",
		  "Reference 1 uses the digest" },
		{ "xmldsig#enveloped-signature\"/>",
		  "xmldsig#enveloped-signature\"/><ds:Transform Algorithm="
		  "\"http://www.w3.org/TR/1999/REC-xslt-19991116\"/>",
		  "transform http://www.w3.org/TR/1999/REC-xslt-19991116" },
		{ "xmldsig#enveloped-signature\"/>",
		  "xmldsig#enveloped-signature\"/><ds:Transform Algorithm="
		  "\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><ds:XPath>"
		  "not(self::Challenge)</ds:XPath></ds:Transform>",
		  "XPath transform other than" },
	};
	ksef_xades_verified *v = NULL;
	ksef_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ksef_buf doc = KSEF_BUF_INIT;
		int r;

		sign_with(&doc, PERSON);
		replace_first(&doc, cases[i].from, cases[i].to);
		r = verify_buf(&v, &doc, &err);
		if (r != KSEF_EXADES_ALGORITHM ||
		    !strstr(err.message, cases[i].says))
			fail_msg("case %zu: got %d '%s'", i, r, err.message);
		ksef_buf_dispose(&doc);
	}
}

/* Signature wrapping: a second element claiming the SignedProperties'
 * Id could make the verifier digest one element while the reader reads
 * another. */
static void ids_claimed_twice_are_refused(void **state)
{
	static const struct {
		const char *from, *to, *says;
	} cases[] = {
		{ "<ds:KeyInfo>", "<ds:KeyInfo Id=\"SignedProperties\">",
		  "appears twice" },
		{ "<ds:Object>",
		  "<ds:Object><x xml:id=\"SignedProperties\"/>",
		  "also names another element" },
	};
	ksef_xades_verified *v = NULL;
	ksef_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ksef_buf doc = KSEF_BUF_INIT;
		int r;

		sign_with(&doc, PERSON);
		replace_first(&doc, cases[i].from, cases[i].to);
		r = verify_buf(&v, &doc, &err);
		if (r != KSEF_EXADES_STRUCTURE ||
		    !strstr(err.message, cases[i].says))
			fail_msg("case %zu: got %d '%s'", i, r, err.message);
		ksef_buf_dispose(&doc);
	}
}

static void expired_and_future_certificates_are_invalid(void **state)
{
	ksef_xades_verify_options opts = KSEF_XADES_VERIFY_OPTIONS_INIT;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	ksef_error err;

	(void)state;
	sign_with(&doc, EXPIRED);
	assert_int_equal(verify_buf(&v, &doc, &err), KSEF_EXADES_CERT_EXPIRED);
	assert_non_null(strstr(err.message, "expired on"));
	assert_int_equal(ksef_xades_exception_code(KSEF_EXADES_CERT_EXPIRED),
			 21115);
	/* Its signature is good: only the date was wrong. */
	opts.ignore_validity = 1;
	assert_int_equal(ksef_xades_verify_auth_request(&v, doc.ptr, doc.size,
			 &opts, &err), 0);
	assert_true(ksef_xades_verified_cert_not_after(v) <
		    (int64_t)time(NULL) * 1000);
	ksef_xades_verified_free(v);
	v = NULL;
	/* And at a time when it was valid. */
	opts.ignore_validity = 0;
	opts.now_ms = ((int64_t)time(NULL) - 10 * 86400) * 1000;
	assert_int_equal(ksef_xades_verify_auth_request(&v, doc.ptr, doc.size,
			 &opts, &err), 0);
	ksef_xades_verified_free(v);
	v = NULL;
	ksef_buf_dispose(&doc);

	sign_with(&doc, NOT_YET);
	assert_int_equal(verify_buf(&v, &doc, &err), KSEF_EXADES_CERT_NOT_YET);
	assert_non_null(strstr(err.message, "not valid until"));
	ksef_buf_dispose(&doc);
}

static void certificate_swapped_in_key_info_is_caught(void **state)
{
	ksef_buf doc = KSEF_BUF_INIT, other = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	char *a, *b, *ca, *cb;
	ksef_error err;

	(void)state;
	sign_with(&doc, PERSON);
	sign_with(&other, SEAL);
	a = strstr((char *)doc.ptr, "<ds:X509Certificate>");
	b = strstr((char *)other.ptr, "<ds:X509Certificate>");
	ca = strndup(a, (size_t)(strstr(a, "</ds:X509Certificate>") - a));
	cb = strndup(b, (size_t)(strstr(b, "</ds:X509Certificate>") - b));
	replace_first(&doc, ca, cb);
	assert_int_equal(verify_buf(&v, &doc, &err), KSEF_EXADES_STRUCTURE);
	assert_non_null(strstr(err.message, "CertDigest"));
	/* A certificate that is not one at all. */
	replace_first(&doc, "<ds:X509Certificate>MII",
		      "<ds:X509Certificate>AAA");
	assert_int_equal(verify_buf(&v, &doc, &err), KSEF_EXADES_CERT);
	assert_non_null(strstr(err.message, "X509Certificate 1"));
	free(ca);
	free(cb);
	ksef_buf_dispose(&doc);
	ksef_buf_dispose(&other);
}

/*
 * A signature made by another implementation: the xmlsec1 command signs a
 * plain XML-DSig template. KSeF wants XAdES, so it is refused by default
 * and accepted when plain XML-DSig is allowed.
 */
static void plain_xmldsig_from_xmlsec1_is_refused_unless_allowed(void **state)
{
	static const char tmpl[] =
		OPEN CH CTX("Nip", NIP) SUBJ
		"<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">"
		"<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="
		"\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
		"<ds:SignatureMethod Algorithm="
		"\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>"
		"<ds:Reference URI=\"\"><ds:Transforms><ds:Transform Algorithm="
		"\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
		"</ds:Transforms><ds:DigestMethod Algorithm="
		"\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/>"
		"</ds:Reference></ds:SignedInfo><ds:SignatureValue/>"
		"<ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data>"
		"</ds:KeyInfo></ds:Signature>" CLOSE;
	ksef_xades_verify_options opts = KSEF_XADES_VERIFY_OPTIONS_INIT;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_xades_verified *v = NULL;
	ksef_error err;

	(void)state;
	ts_write_file(at("tmpl.xml"), tmpl, sizeof(tmpl) - 1);
	assert_int_equal(ts_system("cd '%s' && xmlsec1 --sign --privkey-pem "
		"key%d.pem,cert%d.pem --output plain.xml tmpl.xml", dir,
		SEAL, SEAL), 0);
	ts_read_file(&doc, at("plain.xml"));
	assert_int_equal(verify_buf(&v, &doc, &err), KSEF_EXADES_STRUCTURE);
	assert_non_null(strstr(err.message, "plain XML-DSig"));
	opts.allow_plain_xmldsig = 1;
	if (ksef_xades_verify_auth_request(&v, doc.ptr, doc.size, &opts,
					   &err) != 0)
		fail_msg("verify: %s", err.message);
	assert_string_equal(ksef_xades_verified_cert_nip(v), NIP);
	assert_null(ksef_xades_verified_signing_time(v));
	ksef_xades_verified_free(v);
	ksef_buf_dispose(&doc);
}

static void generate_refuses_incomplete_options(void **state)
{
	ksef_xades_cert_options o = KSEF_XADES_CERT_OPTIONS_INIT;
	ksef_buf key = KSEF_BUF_INIT, cert = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_xades_cert_generate(&key, &cert, NULL, &err),
			 KSEF_EINVAL);
	o.common_name = "X";
	assert_int_equal(ksef_xades_cert_generate(&key, &cert, &o, &err),
			 KSEF_EINVAL);
	assert_non_null(strstr(err.message, "givenName"));
	o.kind = KSEF_XADES_CERT_SEAL;
	assert_int_equal(ksef_xades_cert_generate(&key, &cert, &o, &err),
			 KSEF_EINVAL);
	assert_non_null(strstr(err.message, "organizationIdentifier"));
	o.organization_name = "O";
	o.organization_identifier = "VATPL-" NIP;
	o.not_before_ms = 2000000;
	o.not_after_ms = 1000000;
	assert_int_equal(ksef_xades_cert_generate(&key, &cert, &o, &err),
			 KSEF_EINVAL);
	assert_null(key.ptr);
	assert_null(cert.ptr);
}

static void exception_codes_follow_spec_2_7(void **state)
{
	static const int map[][2] = {
		{ KSEF_EXADES_NOSIG, 9102 }, { KSEF_EXADES_MANYSIG, 9103 },
		{ KSEF_EXADES_NOT_ENVELOPED, 9105 },
		{ KSEF_EXADES_STRUCTURE, 9105 }, { KSEF_EXADES_ALGORITHM, 9105 },
		{ KSEF_EXADES_DIGEST, 9105 }, { KSEF_EXADES_SIGVALUE, 9105 },
		{ KSEF_EXADES_CERT, 21115 }, { KSEF_EXADES_CERT_EXPIRED, 21115 },
		{ KSEF_EXADES_CERT_NOT_YET, 21115 },
		{ KSEF_EXADES_ENCODING, 21217 }, { KSEF_EXADES_CONTENT, 21401 },
		{ KSEF_EFORMAT, 9101 }, { KSEF_EPARSE, 21001 },
		{ KSEF_ETOOBIG, 21405 }, { KSEF_ENOMEM, 0 }, { 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		assert_int_equal(ksef_xades_exception_code(map[i][0]),
				 map[i][1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refuses_empty_and_one_byte_documents),
		cmocka_unit_test(refuses_oversized_input_by_its_length_alone),
		cmocka_unit_test(refuses_a_doctype_before_expanding_any_entity),
		cmocka_unit_test(refuses_encodings_other_than_utf8),
		cmocka_unit_test(refuses_a_wrong_root_or_namespace),
		cmocka_unit_test(checks_fields_against_the_auth_schema),
		cmocka_unit_test(build_refuses_fields_that_break_the_schema),
		cmocka_unit_test(build_writes_the_documented_example),
		cmocka_unit_test(person_certificate_signs_and_verifies),
		cmocka_unit_test(seal_certificate_gives_the_nip_of_its_organization),
		cmocka_unit_test(ec_p256_person_with_a_pesel_signs_and_verifies),
		cmocka_unit_test(xmlsec1_command_verifies_what_we_sign),
		cmocka_unit_test(reads_back_the_namespace_2_1_and_the_ip_policy),
		cmocka_unit_test(pkcs12_file_signs_like_its_pem_parts),
		cmocka_unit_test(signer_refuses_weak_mismatched_or_encrypted_keys),
		cmocka_unit_test(tampered_challenge_fails_the_document_digest),
		cmocka_unit_test(tampered_signing_time_fails_the_properties_digest),
		cmocka_unit_test(tampered_signature_value_fails_as_such),
		cmocka_unit_test(signature_values_of_the_wrong_form_are_named),
		cmocka_unit_test(removed_signature_is_no_signature),
		cmocka_unit_test(two_signatures_are_too_many),
		cmocka_unit_test(signature_inside_a_field_is_not_enveloped),
		cmocka_unit_test(reference_to_another_resource_is_detached),
		cmocka_unit_test(algorithms_outside_podpis_xades_are_named),
		cmocka_unit_test(ids_claimed_twice_are_refused),
		cmocka_unit_test(expired_and_future_certificates_are_invalid),
		cmocka_unit_test(certificate_swapped_in_key_info_is_caught),
		cmocka_unit_test(plain_xmldsig_from_xmlsec1_is_refused_unless_allowed),
		cmocka_unit_test(generate_refuses_incomplete_options),
		cmocka_unit_test(exception_codes_follow_spec_2_7),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
