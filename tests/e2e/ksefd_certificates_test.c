/*
 * ksefd_certificates_test.c - KSeF certificates against the real ksefd
 * (certyfikaty-KSeF.md): a seal logs in by XAdES, reads the data its
 * request must carry, sends a CSR made here with OpenSSL, polls it to 200,
 * retrieves and lists the certificate, logs in with it, revokes it and is
 * refused (460, "Certyfikat odwołany"). CSRs with another subject, a key
 * of another type or size, a broken signature, or no DER at all get their
 * exception codes; a token login gets none of the data; the subject's
 * limits, lowered through the test data, refuse the next request; an
 * Offline certificate does not log in; GET /peppol/query pages the
 * providers of --peppol-providers. Every answer is held against
 * open-api.json.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "contract.h"
#include "e2e.h"
#include "http_raw.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
#define OTHER_NIP "1234563218"

static struct ksefd_proc srv;
/* The server the helpers below talk to: srv, or a test's own. */
static struct ksefd_proc *cur = &srv;

static int setup(void **state)
{
	(void)state;
	if (contract_load() != 0)
		return -1;
	memset(&srv, 0, sizeof(srv));
	ksefd_start(&srv, NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ksefd_stop(&srv);
	ksefd_cleanup(&srv);
	contract_unload();
	return 0;
}

/*
 * One call, its answer held against the contract: the status must be
 * want and one the operation lists, and a JSON body must match its
 * schema (tpath as open-api.json writes it). Returns the parsed body
 * (NULL for none); the caller decrefs it. *code gets the first exception
 * code when not NULL.
 */
static json_t *call(const struct ksefd_proc *p, const char *method,
		    const char *tpath, const char *path, const char *bearer,
		    const char *body, long want, int *code)
{
	struct raw_response r;
	const json_t *schema;
	json_t *doc = NULL;
	const char *ct;
	char lower[8], why[512] = "", status[8];
	size_t i;

	for (i = 0; method[i] != '\0' && i + 1 < sizeof(lower); i++)
		lower[i] = (char)(method[i] | 0x20);
	lower[i] = '\0';
	raw_request(&r, method, url(p, path), bearer, NULL, body,
		    body ? strlen(body) : 0);
	if (r.status != want)
		fail_msg("%s %s: %ld, expected %ld: %s", method, path,
			 r.status, want, r.body);
	if (code != NULL)
		*code = r.len ? raw_error_code(&r) : 0;
	snprintf(status, sizeof(status), "%ld", r.status);
	if (json_object_get(json_object_get(json_object_get(json_object_get(
		json_object_get(contract_api, "paths"), tpath), lower),
		"responses"), status) == NULL)
		fail_msg("%s %s: status %ld is not in the contract", method,
			 tpath, r.status);
	ct = strncmp(r.content_type, "application/problem+json", 24) == 0 ?
	     "application/problem+json" : "application/json";
	if (r.len > 0 && strncmp(r.content_type, ct, strlen(ct)) == 0) {
		schema = contract_response_schema(tpath, lower, (int)r.status,
						  ct);
		if (schema == NULL)
			fail_msg("%s %s: no %s schema for %ld", method, tpath,
				 ct, r.status);
		doc = raw_json(&r);
		if (contract_check(doc, schema, "body", why, sizeof(why)) != 0)
			fail_msg("%s %s (%ld): %s\n%s", method, path, r.status,
				 why, r.body);
	}
	raw_free(&r);
	return doc;
}

static const char *bearer(const struct login *l)
{
	return l->tokens->access_token->token;
}

/* ---- CSRs made here ---- */

enum csr_flaw {
	CSR_GOOD,
	CSR_OTHER_NAME,     /* commonName changed */
	CSR_EXTRA_FIELD,    /* a field the data does not list */
	CSR_BAD_SIGNATURE,  /* a bit of the signature flipped */
};

static const struct { const char *json, *sn; } names[] = {
	{ "countryName", "C" },
	{ "organizationName", "O" },
	{ "organizationIdentifier", "organizationIdentifier" },
	{ "serialNumber", "serialNumber" },
	{ "surname", "SN" },
	{ "givenName", "GN" },
	{ "uniqueIdentifier", "x500UniqueIdentifier" },
	{ "commonName", "CN" },
};

static EVP_PKEY *make_key(const char *kind)
{
	EVP_PKEY *k = strcmp(kind, "ec") == 0 ? EVP_EC_gen("prime256v1") :
		      strcmp(kind, "ec384") == 0 ? EVP_EC_gen("secp384r1") :
		      EVP_RSA_gen(strcmp(kind, "rsa") == 0 ? 2048 : 3072);

	assert_non_null(k);
	return k;
}

/* A CSR of the data's subject (givenName, if there, as one entry), signed
 * with SHA-256 by key, in Base64 DER; caller frees. */
static char *make_csr(const json_t *data, EVP_PKEY *key, enum csr_flaw f)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	ksef_buf b64 = KSEF_BUF_INIT;
	char *out;
	size_t i;
	int n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = json_string_value(json_object_get(data,
							names[i].json));

		if (v == NULL)
			continue;
		if (f == CSR_OTHER_NAME && strcmp(names[i].sn, "CN") == 0)
			v = "Ktoś Inny";
		assert_int_equal(X509_NAME_add_entry_by_txt(name, names[i].sn,
			MBSTRING_UTF8, (const unsigned char *)v, -1, -1, 0), 1);
	}
	if (f == CSR_EXTRA_FIELD)
		assert_int_equal(X509_NAME_add_entry_by_txt(name, "L",
			MBSTRING_UTF8, (const unsigned char *)"Warszawa", -1,
			-1, 0), 1);
	assert_int_equal(X509_REQ_set_subject_name(req, name), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	n = i2d_X509_REQ(req, &der);
	assert_true(n > 0);
	if (f == CSR_BAD_SIGNATURE)
		der[n - 3] ^= 0x01; /* inside the signature's BIT STRING */
	assert_int_equal(ksef_base64_encode(&b64, der, (size_t)n, NULL), 0);
	out = strndup((const char *)b64.ptr, b64.size);
	ksef_buf_dispose(&b64);
	OPENSSL_free(der);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return out;
}

/* POST /certificates/enrollments: the reference on 202 (into ref), or
 * the exception code. */
static int enroll(struct login *l, const char *name, const char *type,
		  const char *csr, char ref[KSEF_REFNUM_BUFSZ])
{
	json_t *req = json_pack("{s:s,s:s,s:s}", "certificateName", name,
				"certificateType", type, "csr", csr), *j;
	char *body = json_dumps(req, JSON_COMPACT);
	struct raw_response r;
	int code = 0;

	raw_request(&r, "POST", url(cur, "/certificates/enrollments"),
		    bearer(l), NULL, body, strlen(body));
	if (r.status == 202) {
		j = raw_json(&r);
		snprintf(ref, KSEF_REFNUM_BUFSZ, "%s", json_string_value(
			json_object_get(j, "referenceNumber")));
		json_decref(j);
	} else {
		assert_int_equal(r.status, 400);
		code = raw_error_code(&r);
	}
	raw_free(&r);
	free(body);
	json_decref(req);
	return code;
}

/* Poll a request until it leaves 100; its final status (the body into
 * *out when not NULL). */
static int enrollment_wait(struct login *l, const char *ref, json_t **out)
{
	char path[128];
	json_t *j = NULL;
	int i, code = 100;

	snprintf(path, sizeof(path), "/certificates/enrollments/%s", ref);
	for (i = 0; i < 200 && code == 100; i++) {
		json_decref(j);
		j = call(cur, "GET", "/certificates/enrollments/"
			 "{referenceNumber}", path, bearer(l), NULL, 200, NULL);
		code = (int)json_integer_value(json_object_get(
			json_object_get(j, "status"), "code"));
		if (code == 100)
			e2e_sleep_us(20000);
	}
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return code;
}

/* The certificate of a serial as PEM (POST /certificates/retrieve). */
static void retrieve_pem(struct login *l, const char *serial, ksef_buf *pem,
			 const char *want_type)
{
	char body[128];
	json_t *j, *item;
	ksef_buf der = KSEF_BUF_INIT;
	const unsigned char *p;
	X509 *x;
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	snprintf(body, sizeof(body), "{\"certificateSerialNumbers\":[\"%s\","
		 "\"0000000000000001\"]}", serial);
	j = call(cur, "POST", "/certificates/retrieve",
		 "/certificates/retrieve", bearer(l), body, 200, NULL);
	/* The serial that is no certificate is left out. */
	assert_int_equal(json_array_size(json_object_get(j, "certificates")),
			 1);
	item = json_array_get(json_object_get(j, "certificates"), 0);
	assert_string_equal(json_string_value(json_object_get(item,
		"certificateSerialNumber")), serial);
	assert_string_equal(json_string_value(json_object_get(item,
		"certificateType")), want_type);
	assert_int_equal(ksef_base64_decode(&der, json_string_value(
		json_object_get(item, "certificate")), strlen(json_string_value(
		json_object_get(item, "certificate"))), 1 << 16, NULL), 0);
	p = der.ptr;
	x = d2i_X509(NULL, &p, (long)der.size);
	assert_non_null(x);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_int_equal(ksef_buf_append(pem, data, (size_t)n, 1 << 20), 0);
	BIO_free(bio);
	X509_free(x);
	ksef_buf_dispose(&der);
	json_decref(j);
}

/* A who of the issued certificate and its key. */
static void who_of(struct who *w, enum who_kind kind, EVP_PKEY *key,
		   const ksef_buf *cert_pem)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	memset(w, 0, sizeof(*w));
	w->kind = kind;
	assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0,
						  NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_int_equal(ksef_buf_append(&w->key, data, (size_t)n, 1 << 20), 0);
	assert_int_equal(ksef_buf_append(&w->cert, cert_pem->ptr,
					 cert_pem->size, 1 << 20), 0);
	BIO_free(bio);
}

static json_t *enrollment_data(struct login *l)
{
	return call(cur, "GET", "/certificates/enrollments/data",
		    "/certificates/enrollments/data", bearer(l), NULL, 200,
		    NULL);
}

/* Enrol, wait for 200, and give the serial. */
static void issue(struct login *l, const json_t *data, EVP_PKEY *key,
		  const char *type, char serial[17])
{
	char ref[KSEF_REFNUM_BUFSZ], *csr = make_csr(data, key, CSR_GOOD);
	json_t *st = NULL;

	assert_int_equal(enroll(l, "Certyfikat testowy", type, csr, ref), 0);
	assert_int_equal(enrollment_wait(l, ref, &st), 200);
	snprintf(serial, 17, "%s", json_string_value(json_object_get(st,
		 "certificateSerialNumber")));
	assert_int_equal(strlen(serial), 16);
	json_decref(st);
	free(csr);
}


/* ---- KOD II links ---- */

static char *b64url(const unsigned char *d, size_t n)
{
	ksef_buf b = KSEF_BUF_INIT;
	char *out;
	size_t i, k = 0;

	assert_int_equal(ksef_base64_encode(&b, d, n, NULL), 0);
	out = malloc(b.size + 1);
	for (i = 0; i < b.size; i++) {
		char c = ((const char *)b.ptr)[i];

		if (c == '=')
			break;
		out[k++] = c == '+' ? '-' : c == '/' ? '_' : c;
	}
	out[k] = '\0';
	ksef_buf_dispose(&b);
	return out;
}

/* The path of a KOD II link for host, signed with key as kody-qr.md 2
 * says (RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt; or ECDSA P-256
 * as r||s); caller frees. */
static char *kod2_path(const char *host, const char *ctx, const char *seller,
		       const char *serial, EVP_PKEY *key)
{
	unsigned char digest[32], sig[512];
	char signed_part[512], *hash, *s64, *out;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t sig_len = sizeof(sig);

	memset(digest, 0x5a, sizeof(digest));
	hash = b64url(digest, sizeof(digest));
	snprintf(signed_part, sizeof(signed_part), "%s/certificate/Nip/%s/%s/"
		 "%s/%s", host, ctx, seller, serial, hash);
	assert_int_equal(EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL,
					    key), 1);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
	}
	assert_int_equal(EVP_DigestSign(md, sig, &sig_len,
		(const unsigned char *)signed_part, strlen(signed_part)), 1);
	s64 = b64url(sig, sig_len);
	out = malloc(1024);
	snprintf(out, 1024, "%s/%s", strchr(signed_part, '/'), s64);
	free(s64);
	free(hash);
	EVP_MD_CTX_free(md);
	return out;
}

/* GET the link's path at ksefd's root, as JSON: its status, the body. */
static long kod2_get(const char *path, json_t **out)
{
	struct raw_response r;
	char u[1200];
	long status;

	snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", cur->port, path);
	raw_request(&r, "GET", u, NULL, "Accept: application/json", NULL, 0);
	status = r.status;
	*out = r.len ? raw_json(&r) : NULL;
	raw_free(&r);
	return status;
}

static int member_true(const json_t *o, const char *name)
{
	return json_is_true(json_object_get(o, name));
}

/* ---- tests ---- */

static void an_issued_certificate_logs_in_until_it_is_revoked(void **state)
{
	struct who seal, mine;
	struct login l, l2, l3;
	EVP_PKEY *key = make_key("ec");
	ksef_buf pem = KSEF_BUF_INIT;
	char serial[17], path[128], detail[128];
	json_t *data, *j, *item;
	int code;

	(void)state;
	who_make(&seal, WHO_SEAL, NIP);
	assert_int_equal(xlogin(&l, &srv, KSEF_CONTEXT_NIP, NIP, &seal), 200);

	j = call(&srv, "GET", "/certificates/limits",
		 "/certificates/limits", bearer(&l), NULL, 200, NULL);
	assert_true(json_is_true(json_object_get(j, "canRequest")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
		"certificate"), "limit")), 100);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
		"enrollment"), "limit")), 300);
	json_decref(j);

	/* The data are the seal's own subject. */
	data = enrollment_data(&l);
	assert_string_equal(json_string_value(json_object_get(data,
		"organizationIdentifier")), "VATPL-" NIP);
	assert_string_equal(json_string_value(json_object_get(data,
		"commonName")), "Test Testowy");

	issue(&l, data, key, "Authentication", serial);
	retrieve_pem(&l, serial, &pem, "Authentication");

	j = call(&srv, "POST", "/certificates/query",
		 "/certificates/query", bearer(&l), "{}", 200, NULL);
	assert_false(json_is_true(json_object_get(j, "hasMore")));
	item = json_array_get(json_object_get(j, "certificates"), 0);
	assert_string_equal(json_string_value(json_object_get(item,
		"certificateSerialNumber")), serial);
	assert_string_equal(json_string_value(json_object_get(item,
		"status")), "Active");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(item, "subjectIdentifier"), "value")), NIP);
	json_decref(j);

	/* The certificate logs in, as the same subject. */
	who_of(&mine, WHO_SEAL, key, &pem);
	assert_int_equal(xlogin(&l2, &srv, KSEF_CONTEXT_NIP, NIP, &mine), 200);
	j = call(&srv, "POST", "/certificates/query", "/certificates/query",
		 bearer(&l2), "{\"status\":\"Active\"}", 200, NULL);
	item = json_array_get(json_object_get(j, "certificates"), 0);
	assert_string_equal(json_string_value(json_object_get(item,
		"certificateSerialNumber")), serial);
	assert_non_null(json_object_get(item, "lastUseDate"));
	json_decref(j);

	/* Revoked, it is refused. */
	snprintf(path, sizeof(path), "/certificates/%s/revoke", serial);
	j = call(&srv, "POST", "/certificates/{certificateSerialNumber}/revoke",
		 path, bearer(&l), "{\"revocationReason\":\"KeyCompromise\"}",
		 204, NULL);
	json_decref(j);
	j = call(&srv, "POST", "/certificates/{certificateSerialNumber}/revoke",
		 path, bearer(&l), NULL, 400, &code);
	assert_int_equal(code, 25009);
	json_decref(j);
	assert_int_equal(xlogin_ex(&l3, &srv, KSEF_CONTEXT_NIP, NIP, &mine, 0,
				   detail, sizeof(detail)), 460);
	assert_string_equal(detail, "Certyfikat odwołany");
	j = call(&srv, "POST", "/certificates/query", "/certificates/query",
		 bearer(&l), "{\"status\":\"Revoked\"}", 200, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "certificates")),
			 1);
	json_decref(j);

	/* Unknown serials and references. */
	j = call(&srv, "POST", "/certificates/{certificateSerialNumber}/revoke",
		 "/certificates/0123456789ABCDEF/revoke", bearer(&l), NULL,
		 400, &code);
	assert_int_equal(code, 25008);
	json_decref(j);
	j = call(&srv, "GET", "/certificates/enrollments/{referenceNumber}",
		 "/certificates/enrollments/"
		 "20251010-EH-1B6C9EB000-4B15D3AEB9-89", bearer(&l), NULL, 400,
		 &code);
	assert_int_equal(code, 25005);
	json_decref(j);

	json_decref(data);
	ksef_buf_dispose(&pem);
	EVP_PKEY_free(key);
	who_free(&mine);
	who_free(&seal);
	logout(&l3);
	logout(&l2);
	logout(&l);
}

static void bad_requests_get_their_codes(void **state)
{
	static const struct {
		const char *key;
		enum csr_flaw flaw;
		int code;
	} cases[] = {
		{ "ec", CSR_OTHER_NAME, 25003 },
		{ "ec", CSR_EXTRA_FIELD, 25003 },
		{ "rsa3072", CSR_GOOD, 25010 },
		{ "ec384", CSR_GOOD, 25010 },
		{ "ec", CSR_BAD_SIGNATURE, 25004 },
		{ "rsa", CSR_BAD_SIGNATURE, 25004 },
	};
	char ref[KSEF_REFNUM_BUFSZ], token[256];
	struct who seal;
	struct login l, lt;
	json_t *data, *j;
	size_t i;
	int code;

	(void)state;
	who_make(&seal, WHO_SEAL, NIP);
	assert_int_equal(xlogin(&l, &srv, KSEF_CONTEXT_NIP, NIP, &seal), 200);
	data = enrollment_data(&l);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EVP_PKEY *key = make_key(cases[i].key);
		char *csr = make_csr(data, key, cases[i].flaw);

		code = enroll(&l, "Certyfikat zły", "Authentication", csr, ref);
		if (code != cases[i].code)
			fail_msg("case %zu: %d, expected %d", i, code,
				 cases[i].code);
		free(csr);
		EVP_PKEY_free(key);
	}
	assert_int_equal(enroll(&l, "Certyfikat zły", "Authentication",
				"AAAA", ref), 25004);
	/* The contract's validation: the name, the type. */
	assert_int_equal(enroll(&l, "abc", "Authentication", "AAAA", ref),
			 21405);
	assert_int_equal(enroll(&l, "Certyfikat <b>", "Authentication",
				"AAAA", ref), 21405);
	assert_int_equal(enroll(&l, "Certyfikat dobry", "Both", "AAAA", ref),
			 21405);
	{
		struct raw_response r;
		static const char body[] = "{\"certificateName\":\"Daleka "
			"data\",\"certificateType\":\"Offline\",\"csr\":"
			"\"AAAA\",\"validFrom\":\"9999-01-01T00:00:00Z\"}";

		raw_request(&r, "POST", url(cur, "/certificates/enrollments"),
			    bearer(&l), NULL, body, strlen(body));
		assert_int_equal(r.status, 400);
		assert_int_equal(raw_error_code(&r), 21405);
		raw_free(&r);
	}

	/* A KSeF token says nothing of a certificate. */
	ksefd_token(&srv, NIP, "InvoiceWrite", token, sizeof(token));
	login(&lt, &srv, NIP, token);
	j = call(&srv, "GET", "/certificates/enrollments/data",
		 "/certificates/enrollments/data", bearer(&lt), NULL, 400,
		 &code);
	assert_int_equal(code, 25001);
	json_decref(j);
	{
		EVP_PKEY *key = make_key("ec");
		char *csr = make_csr(data, key, CSR_GOOD);

		assert_int_equal(enroll(&lt, "Certyfikat tokenu",
					"Authentication", csr, ref), 25002);
		free(csr);
		EVP_PKEY_free(key);
	}
	j = call(&srv, "GET", "/certificates/limits",
		 "/certificates/limits", bearer(&lt), NULL, 200, NULL);
	assert_false(json_is_true(json_object_get(j, "canRequest")));
	json_decref(j);

	json_decref(data);
	who_free(&seal);
	logout(&lt);
	logout(&l);
}

static void the_subject_limits_refuse_the_next_request(void **state)
{
	struct who seal, off;
	struct login l, l2;
	EVP_PKEY *key = make_key("rsa"), *key2 = make_key("ec");
	ksef_buf pem = KSEF_BUF_INIT;
	char serial[17], ref[KSEF_REFNUM_BUFSZ], detail[128], *csr;
	json_t *data, *j;
	int code;

	(void)state;
	who_make(&seal, WHO_SEAL, OTHER_NIP);
	assert_int_equal(xlogin(&l, &srv, KSEF_CONTEXT_NIP, OTHER_NIP, &seal),
			 200);
	data = enrollment_data(&l);
	j = call(&srv, "POST", "/testdata/limits/subject/certificate",
		 "/testdata/limits/subject/certificate", bearer(&l),
		 "{\"subjectIdentifierType\":\"Nip\",\"certificate\":"
		 "{\"maxCertificates\":1},\"enrollment\":"
		 "{\"maxEnrollments\":3}}", 200, NULL);
	json_decref(j);

	/* An Offline certificate (RSA this time) takes the one place... */
	issue(&l, data, key, "Offline", serial);
	retrieve_pem(&l, serial, &pem, "Offline");
	j = call(&srv, "GET", "/certificates/limits",
		 "/certificates/limits", bearer(&l), NULL, 200, NULL);
	assert_false(json_is_true(json_object_get(j, "canRequest")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
		"certificate"), "remaining")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
		"enrollment"), "remaining")), 2);
	json_decref(j);
	/* ...and does not log in. */
	who_of(&off, WHO_SEAL, key, &pem);
	assert_int_equal(xlogin_ex(&l2, &srv, KSEF_CONTEXT_NIP, OTHER_NIP, &off,
				   0, detail, sizeof(detail)), 460);
	assert_string_equal(detail, "Niepoprawny certyfikat");

	/* KOD II: the Offline certificate signs a verification link. */
	{
		char host[64], *path;
		json_t *v;

		path = kod2_path("qr-test.ksef.mf.gov.pl", OTHER_NIP,
				 OTHER_NIP, serial, key);
		assert_int_equal(kod2_get(path, &v), 200);
		assert_true(member_true(v, "verified"));
		assert_true(member_true(v, "signatureValid"));
		assert_string_equal(json_string_value(json_object_get(v,
			"certificateStatus")), "Active");
		json_decref(v);
		/* A flipped character of the hash breaks the signature. */
		path[strlen("/certificate/Nip/") + 22 + 17] ^= 1;
		assert_int_equal(kod2_get(path, &v), 200);
		assert_false(member_true(v, "verified"));
		assert_false(member_true(v, "signatureValid"));
		json_decref(v);
		free(path);
		/* Made for ksefd's own address; another seller. */
		snprintf(host, sizeof(host), "127.0.0.1:%d", cur->port);
		path = kod2_path(host, OTHER_NIP, NIP, serial, key);
		assert_int_equal(kod2_get(path, &v), 200);
		assert_true(member_true(v, "signatureValid"));
		assert_false(member_true(v, "contextMatchesSeller"));
		assert_false(member_true(v, "verified"));
		json_decref(v);
		free(path);
		path = kod2_path(host, OTHER_NIP, OTHER_NIP, "0123456789ABCDEF",
				 key);
		assert_int_equal(kod2_get(path, &v), 404);
		json_decref(v);
		free(path);
		assert_int_equal(kod2_get("/certificate/Nip/x", &v), 400);
		json_decref(v);
	}

	csr = make_csr(data, key2, CSR_GOOD);
	assert_int_equal(enroll(&l, "Certyfikat drugi", "Authentication", csr,
				ref), 25007);
	/* Room for certificates again; the requests are the limit now. */
	j = call(&srv, "POST", "/testdata/limits/subject/certificate",
		 "/testdata/limits/subject/certificate", bearer(&l),
		 "{\"certificate\":{\"maxCertificates\":5},\"enrollment\":"
		 "{\"maxEnrollments\":1}}", 200, NULL);
	json_decref(j);
	assert_int_equal(enroll(&l, "Certyfikat drugi", "Authentication", csr,
				ref), 25006);
	j = call(&srv, "DELETE", "/testdata/limits/subject/certificate",
		 "/testdata/limits/subject/certificate", bearer(&l), NULL,
		 200, NULL);
	json_decref(j);
	/* Back to the defaults: the same key a second time is fine for
	 * the same subject. */
	assert_int_equal(enroll(&l, "Certyfikat drugi", "Authentication", csr,
				ref), 0);
	assert_int_equal(enrollment_wait(&l, ref, NULL), 200);
	/* Revoked, the Offline certificate verifies no link. */
	{
		char rpath[64], *path;
		json_t *v;

		snprintf(rpath, sizeof(rpath), "/certificates/%s/revoke",
			 serial);
		v = call(cur, "POST", "/certificates/{certificateSerialNumber}"
			 "/revoke", rpath, bearer(&l), NULL, 204, &code);
		json_decref(v);
		path = kod2_path("qr-test.ksef.mf.gov.pl", OTHER_NIP,
				 OTHER_NIP, serial, key);
		assert_int_equal(kod2_get(path, &v), 200);
		assert_false(member_true(v, "verified"));
		assert_string_equal(json_string_value(json_object_get(v,
			"certificateStatus")), "Revoked");
		json_decref(v);
		free(path);
	}

	free(csr);
	json_decref(data);
	ksef_buf_dispose(&pem);
	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
	who_free(&off);
	who_free(&seal);
	logout(&l2);
	logout(&l);
}

/* A key certified for one subject is refused to another (status 400 of
 * the request, asynchronously). */
static void a_key_is_certified_for_one_subject_only(void **state)
{
	struct who a, b;
	struct login la, lb;
	EVP_PKEY *key = make_key("ec");
	char serial[17], ref[KSEF_REFNUM_BUFSZ], *csr;
	json_t *da, *db, *st = NULL, *details;

	(void)state;
	/* A person with the context's NIP (TINPL-) owns it. */
	who_make(&b, WHO_PERSON_NIP, NIP);
	assert_int_equal(xlogin(&lb, &srv, KSEF_CONTEXT_NIP, NIP, &b), 200);
	db = enrollment_data(&lb);
	assert_string_equal(json_string_value(json_object_get(db,
		"serialNumber")), "TINPL-" NIP);
	issue(&lb, db, key, "Authentication", serial);

	who_make(&a, WHO_SEAL, OTHER_NIP);
	assert_int_equal(xlogin(&la, &srv, KSEF_CONTEXT_NIP, OTHER_NIP, &a),
			 200);
	da = enrollment_data(&la);
	csr = make_csr(da, key, CSR_GOOD);
	assert_int_equal(enroll(&la, "Certyfikat cudzy", "Authentication", csr,
				ref), 0);
	assert_int_equal(enrollment_wait(&la, ref, &st), 400);
	details = json_object_get(json_object_get(st, "status"), "details");
	assert_string_equal(json_string_value(json_array_get(details, 0)),
		"Klucz publiczny został już certyfikowany przez inny podmiot.");
	/* Another subject's request is no request of this one. */
	{
		char path[128];
		json_t *j;
		int code;

		snprintf(path, sizeof(path), "/certificates/enrollments/%s",
			 ref);
		j = call(&srv, "GET", "/certificates/enrollments/"
			 "{referenceNumber}", path, bearer(&lb), NULL, 400,
			 &code);
		assert_int_equal(code, 25005);
		json_decref(j);
	}
	json_decref(st);
	free(csr);
	json_decref(da);
	json_decref(db);
	EVP_PKEY_free(key);
	who_free(&a);
	who_free(&b);
	logout(&la);
	logout(&lb);
}

static void peppol_providers_are_paged_newest_first(void **state)
{
	char dir[] = "/tmp/ksef-peppol-XXXXXX", file[64], arg[96];
	const char *extra[] = { arg, NULL };
	struct ksefd_proc p;
	json_t *j, *list;
	FILE *f;
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/peppol.json", dir);
	snprintf(arg, sizeof(arg), "--peppol-providers=%s", file);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("[", f);
	for (i = 0; i < 12; i++)
		fprintf(f, "%s{\"id\":\"PAB%06d\",\"name\":\"Dostawca %d\","
			"\"dateCreated\":\"2025-07-%02dT12:00:00Z\"}",
			i ? "," : "", i, i, 1 + i / 2);
	fputs("]", f);
	fclose(f);
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, extra);

	j = call(&p, "GET", "/peppol/query", "/peppol/query", NULL, NULL,
		 200, NULL);
	list = json_object_get(j, "peppolProviders");
	assert_int_equal(json_array_size(list), 10);
	assert_true(json_is_true(json_object_get(j, "hasMore")));
	/* dateCreated descending, then id ascending. */
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(list, 0), "id")), "PAB000010");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(list, 1), "id")), "PAB000011");
	json_decref(j);
	j = call(&p, "GET", "/peppol/query", "/peppol/query?pageOffset=1",
		 NULL, NULL, 200, NULL);
	assert_int_equal(json_array_size(json_object_get(j,
		"peppolProviders")), 2);
	assert_false(json_is_true(json_object_get(j, "hasMore")));
	json_decref(j);
	j = call(&p, "GET", "/peppol/query", "/peppol/query?pageSize=5",
		 NULL, NULL, 400, NULL);
	json_decref(j);
	ksefd_stop(&p);
	ksefd_cleanup(&p);
	unlink(file);
	rmdir(dir);

	/* Without the option the list is empty. */
	j = call(&srv, "GET", "/peppol/query", "/peppol/query", NULL, NULL,
		 200, NULL);
	assert_int_equal(json_array_size(json_object_get(j,
		"peppolProviders")), 0);
	json_decref(j);
}

/* The authority key identifier of a PEM certificate, as hex. */
static void issuer_key_id(const ksef_buf *pem, char *out, size_t size)
{
	BIO *bio = BIO_new_mem_buf(pem->ptr, (int)pem->size);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	const ASN1_OCTET_STRING *id;
	size_t i;

	assert_non_null(x);
	id = X509_get0_authority_key_id(x);
	assert_non_null(id);
	out[0] = '\0';
	for (i = 0; i < (size_t)ASN1_STRING_length(id) && 2 * i + 3 <= size;
	     i++)
		snprintf(out + 2 * i, 3, "%02X", ASN1_STRING_get0_data(id)[i]);
	X509_free(x);
	BIO_free(bio);
}

/* `ksefd keys rotate --usage CertificateIssuing` while ksefd runs: the
 * next certificate comes from the new CA key, and the one issued before
 * still logs in. */
static void a_rotated_ca_issues_the_next_certificate(void **state)
{
	struct who seal, first, second;
	struct login l, l2;
	EVP_PKEY *k1 = make_key("ec"), *k2 = make_key("ec");
	ksef_buf pem1 = KSEF_BUF_INIT, pem2 = KSEF_BUF_INIT;
	char serial[17], out[512], id1[64], id2[64];
	json_t *data;

	(void)state;
	who_make(&seal, WHO_PERSON_NIP, NIP);
	assert_int_equal(xlogin(&l, &srv, KSEF_CONTEXT_NIP, NIP, &seal), 200);
	data = enrollment_data(&l);
	issue(&l, data, k1, "Authentication", serial);
	retrieve_pem(&l, serial, &pem1, "Authentication");
	assert_int_equal(ksefd_command(&srv, "keys rotate --usage "
				       "CertificateIssuing", out, sizeof(out)),
			 0);
	assert_non_null(strstr(out, "CertificateIssuing"));
	issue(&l, data, k2, "Authentication", serial);
	retrieve_pem(&l, serial, &pem2, "Authentication");
	issuer_key_id(&pem1, id1, sizeof(id1));
	issuer_key_id(&pem2, id2, sizeof(id2));
	assert_string_not_equal(id1, id2);
	who_of(&first, WHO_PERSON_NIP, k1, &pem1);
	who_of(&second, WHO_PERSON_NIP, k2, &pem2);
	assert_int_equal(xlogin(&l2, &srv, KSEF_CONTEXT_NIP, NIP, &first),
			 200);
	logout(&l2);
	assert_int_equal(xlogin(&l2, &srv, KSEF_CONTEXT_NIP, NIP, &second),
			 200);
	logout(&l2);

	json_decref(data);
	ksef_buf_dispose(&pem1);
	ksef_buf_dispose(&pem2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	who_free(&first);
	who_free(&second);
	who_free(&seal);
	logout(&l);
}

/* The production profile trusts no self-signed seal without a trust
 * store, but trusts the certificates ksefd issued. */
static void issued_certificates_are_trusted_in_production(void **state)
{
	char *dir = ts_mkdtemp(), serial[17], detail[128];
	const char *prod[] = { "--profile", "production", NULL };
	struct ksefd_proc p;
	struct who seal, mine;
	struct login l;
	EVP_PKEY *key = make_key("ec");
	ksef_buf pem = KSEF_BUF_INIT;
	json_t *data;

	(void)state;
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, dir, NULL);
	cur = &p;
	who_make(&seal, WHO_SEAL, NIP);
	assert_int_equal(xlogin(&l, &p, KSEF_CONTEXT_NIP, NIP, &seal), 200);
	data = enrollment_data(&l);
	issue(&l, data, key, "Authentication", serial);
	retrieve_pem(&l, serial, &pem, "Authentication");
	logout(&l);
	assert_int_equal(ksefd_stop(&p), 0);

	memset(&p, 0, sizeof(p));
	ksefd_start(&p, dir, prod);
	assert_int_equal(xlogin_ex(&l, &p, KSEF_CONTEXT_NIP, NIP, &seal, 0,
				   detail, sizeof(detail)), 460);
	assert_string_equal(detail, "Niezaufany łańcuch certyfikatów");
	logout(&l);
	who_of(&mine, WHO_SEAL, key, &pem);
	assert_int_equal(xlogin(&l, &p, KSEF_CONTEXT_NIP, NIP, &mine), 200);
	logout(&l);
	ksefd_stop(&p);
	cur = &srv;

	json_decref(data);
	ksef_buf_dispose(&pem);
	EVP_PKEY_free(key);
	who_free(&mine);
	who_free(&seal);
	ts_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			an_issued_certificate_logs_in_until_it_is_revoked),
		cmocka_unit_test(bad_requests_get_their_codes),
		cmocka_unit_test(the_subject_limits_refuse_the_next_request),
		cmocka_unit_test(a_key_is_certified_for_one_subject_only),
		cmocka_unit_test(peppol_providers_are_paged_newest_first),
		cmocka_unit_test(issued_certificates_are_trusted_in_production),
		cmocka_unit_test(a_rotated_ca_issues_the_next_certificate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
