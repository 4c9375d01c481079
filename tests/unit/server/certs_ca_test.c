/*
 * certs_ca_test.c - ksefd as the CA of KSeF certificates (certs_ca.c): the
 * subject a login's certificate gives (repeated givenNames joined, other
 * attributes left out), a CSR's refusals first (nothing, one byte,
 * garbage, bytes after the DER, over the limit, a broken signature, a key
 * of another type or size, a digest not allowed, another subject, an
 * extra attribute), then what is issued: its serial, dates, keyUsage by
 * type, issuer and signature under the CA key that `ksefd keys` makes.
 */
#include "testsupport.h"
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "certs_ca.h"
#include "keys.h"

#define NOW_MS INT64_C(1764000000000)

/* The subject of the login: a person with two given names. */
static X509_NAME *person(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	assert_non_null(n);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8,
				   (const unsigned char *)"PL", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "GN", MBSTRING_UTF8,
				   (const unsigned char *)"Jan", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "GN", MBSTRING_UTF8,
				   (const unsigned char *)"Józef", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "SN", MBSTRING_UTF8,
				   (const unsigned char *)"Kowalski", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_UTF8,
				   (const unsigned char *)"PNOPL-90010112345",
				   -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
				   (const unsigned char *)cn, -1, -1, 0);
	return n;
}

/* The subject JSON of a certificate of person("Jan Kowalski"), with a
 * locality that is no KSeF field. */
static void login_subject(char out[STORE_CERT_SUBJECT_SZ])
{
	EVP_PKEY *k = EVP_EC_gen("prime256v1");
	X509 *x = X509_new();
	X509_NAME *n = person("Jan Kowalski");
	unsigned char *der = NULL;
	int len;

	X509_NAME_add_entry_by_txt(n, "L", MBSTRING_UTF8,
				   (const unsigned char *)"Warszawa", -1, -1, 0);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	len = i2d_X509(x, &der);
	assert_true(len > 0);
	assert_int_equal(certs_subject_json(out, STORE_CERT_SUBJECT_SZ, der,
					    (size_t)len, NULL), 0);
	OPENSSL_free(der);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* A CSR's DER: subject person(cn) with the given names in one entry, as
 * the enrollment data give them, signed with md. */
static unsigned char *csr(size_t *len, EVP_PKEY *k, const char *cn,
			  const EVP_MD *md, int one_given_name)
{
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char *der = NULL;
	int l;

	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8,
				   (const unsigned char *)"PL", -1, -1, 0);
	if (one_given_name) {
		X509_NAME_add_entry_by_txt(n, "GN", MBSTRING_UTF8,
			(const unsigned char *)"Jan Józef", -1, -1, 0);
	} else {
		X509_NAME_add_entry_by_txt(n, "GN", MBSTRING_UTF8,
			(const unsigned char *)"Jan", -1, -1, 0);
		X509_NAME_add_entry_by_txt(n, "GN", MBSTRING_UTF8,
			(const unsigned char *)"Józef", -1, -1, 0);
	}
	X509_NAME_add_entry_by_txt(n, "SN", MBSTRING_UTF8,
				   (const unsigned char *)"Kowalski", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_UTF8,
				   (const unsigned char *)"PNOPL-90010112345",
				   -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_REQ_set_subject_name(r, n);
	X509_REQ_set_pubkey(r, k);
	assert_true(X509_REQ_sign(r, k, md) > 0);
	l = i2d_X509_REQ(r, &der);
	assert_true(l > 0);
	*len = (size_t)l;
	X509_NAME_free(n);
	X509_REQ_free(r);
	return der;
}

static void the_login_subject_joins_given_names_and_drops_others(void **s)
{
	char json[STORE_CERT_SUBJECT_SZ];

	(void)s;
	login_subject(json);
	assert_string_equal(json, "{\"commonName\":\"Jan Kowalski\","
		"\"countryName\":\"PL\",\"givenName\":\"Jan Józef\","
		"\"serialNumber\":\"PNOPL-90010112345\","
		"\"surname\":\"Kowalski\"}");
	assert_int_equal(certs_subject_json(json, sizeof(json),
		(const unsigned char *)"x", 1, NULL), KSEF_EPARSE);
	login_subject(json);
	{
		char tiny[16];
		EVP_PKEY *k = EVP_EC_gen("prime256v1");
		X509 *x = X509_new();
		X509_NAME *n = person("Jan Kowalski");
		unsigned char *der = NULL;
		int len;

		X509_set_subject_name(x, n);
		X509_set_issuer_name(x, n);
		X509_set_pubkey(x, k);
		X509_gmtime_adj(X509_getm_notBefore(x), 0);
		X509_gmtime_adj(X509_getm_notAfter(x), 60);
		X509_sign(x, k, EVP_sha256());
		len = i2d_X509(x, &der);
		assert_int_equal(certs_subject_json(tiny, sizeof(tiny), der,
						    (size_t)len, NULL),
				 KSEF_ETOOBIG);
		OPENSSL_free(der);
		X509_NAME_free(n);
		X509_free(x);
		EVP_PKEY_free(k);
	}
}

static void malformed_requests_are_format_errors(void **s)
{
	static const unsigned char one = 0x30;
	char json[STORE_CERT_SUBJECT_SZ], hash[STORE_CTX_VALUE_SZ], why[128];
	EVP_PKEY *k = EVP_EC_gen("prime256v1");
	unsigned char *der, *longer;
	size_t len;

	(void)s;
	login_subject(json);
	assert_int_equal(certs_csr_check(NULL, 0, json, hash, why,
					 sizeof(why)), CERTS_CSR_FORMAT);
	assert_int_equal(certs_csr_check(&one, 1, json, hash, why,
					 sizeof(why)), CERTS_CSR_FORMAT);
	assert_int_equal(certs_csr_check((const unsigned char *)"garbage!",
					 8, json, hash, why, sizeof(why)),
			 CERTS_CSR_FORMAT);
	der = csr(&len, k, "Jan Kowalski", EVP_sha256(), 1);
	/* Over the limit, by its length alone: nothing past len is read. */
	assert_int_equal(certs_csr_check(der, CERTS_CSR_MAX_BYTES + 1, json,
					 hash, why, sizeof(why)),
			 CERTS_CSR_FORMAT);
	/* A byte after the DER. */
	longer = malloc(len + 1);
	memcpy(longer, der, len);
	longer[len] = 0;
	assert_int_equal(certs_csr_check(longer, len + 1, json, hash, why,
					 sizeof(why)), CERTS_CSR_FORMAT);
	/* A bit of the signature flipped. */
	der[len - 3] ^= 1;
	assert_int_equal(certs_csr_check(der, len, json, hash, why,
					 sizeof(why)), CERTS_CSR_FORMAT);
	assert_non_null(strstr(why, "signature"));
	assert_string_equal(hash, "");
	free(longer);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static void only_rsa_2048_and_p256_keys_are_taken(void **s)
{
	char json[STORE_CERT_SUBJECT_SZ], hash[STORE_CTX_VALUE_SZ], why[128];
	EVP_PKEY *keys[] = { EVP_RSA_gen(3072), EVP_RSA_gen(1024),
			     EVP_EC_gen("secp384r1"), EVP_PKEY_Q_keygen(NULL,
			     NULL, "ED25519") };
	size_t i, len;

	(void)s;
	login_subject(json);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		unsigned char *der;

		assert_non_null(keys[i]);
		der = csr(&len, keys[i], "Jan Kowalski",
			  i == 3 ? NULL : EVP_sha256(), 1);
		assert_int_equal(certs_csr_check(der, len, json, hash, why,
						 sizeof(why)), CERTS_CSR_KEY);
		OPENSSL_free(der);
		EVP_PKEY_free(keys[i]);
	}
}

static void digests_outside_the_list_are_refused(void **s)
{
	char json[STORE_CERT_SUBJECT_SZ], hash[STORE_CTX_VALUE_SZ], why[128];
	EVP_PKEY *k = EVP_EC_gen("prime256v1"), *r = EVP_RSA_gen(2048);
	unsigned char *der;
	size_t len;

	(void)s;
	login_subject(json);
	der = csr(&len, k, "Jan Kowalski", EVP_sha224(), 1);
	assert_int_equal(certs_csr_check(der, len, json, hash, why,
					 sizeof(why)), CERTS_CSR_ALGORITHM);
	OPENSSL_free(der);
	/* SHA-1, 384 and 512 are on the list. */
	der = csr(&len, r, "Jan Kowalski", EVP_sha1(), 1);
	assert_int_equal(certs_csr_check(der, len, json, hash, why,
					 sizeof(why)), CERTS_CSR_OK);
	OPENSSL_free(der);
	der = csr(&len, k, "Jan Kowalski", EVP_sha512(), 1);
	assert_int_equal(certs_csr_check(der, len, json, hash, why,
					 sizeof(why)), CERTS_CSR_OK);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	EVP_PKEY_free(r);
}

static void the_subject_must_be_the_logins(void **s)
{
	char json[STORE_CERT_SUBJECT_SZ], hash[STORE_CTX_VALUE_SZ], why[128];
	EVP_PKEY *k = EVP_EC_gen("prime256v1");
	unsigned char *der;
	size_t len;

	(void)s;
	login_subject(json);
	der = csr(&len, k, "Jan Nowak", EVP_sha256(), 1);
	assert_int_equal(certs_csr_check(der, len, json, hash, why,
					 sizeof(why)), CERTS_CSR_SUBJECT);
	OPENSSL_free(der);
	/* Two givenName entries repeat the login's two as well as one. */
	der = csr(&len, k, "Jan Kowalski", EVP_sha256(), 0);
	assert_int_equal(certs_csr_check(der, len, json, hash, why,
					 sizeof(why)), CERTS_CSR_OK);
	assert_int_equal(strlen(hash), 64);
	OPENSSL_free(der);
	/* No subject to compare with. */
	der = csr(&len, k, "Jan Kowalski", EVP_sha256(), 1);
	assert_int_equal(certs_csr_check(der, len, NULL, hash, why,
					 sizeof(why)), CERTS_CSR_SUBJECT);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static void issued_certificates_carry_their_type_and_the_ca(void **s)
{
	char json[STORE_CERT_SUBJECT_SZ], hash[STORE_CTX_VALUE_SZ], why[128];
	EVP_PKEY *k = EVP_EC_gen("prime256v1");
	server_key *ca = NULL, *none = NULL;
	store_cert *c = calloc(1, sizeof(*c));
	unsigned char *der;
	const unsigned char *p;
	ksef_error err;
	size_t len;
	int type;

	(void)s;
	assert_string_equal(keys_usage_name(KEY_USAGE_CA),
			    "CertificateIssuing");
	assert_int_equal(keys_usage_from_name("CertificateIssuing", 18),
			 KEY_USAGE_CA);
	/* The CA key is alone in its key. */
	assert_int_equal(keys_generate(&none, KEY_USAGE_CA | KEY_USAGE_TOKEN,
				       2048, NOW_MS, 10, NULL), KSEF_EINVAL);
	assert_null(none);
	assert_int_equal(keys_generate(&ca, KEY_USAGE_CA, 2048, NOW_MS, 3650,
				       &err), 0);
	login_subject(json);
	der = csr(&len, k, "Jan Kowalski", EVP_sha256(), 1);
	assert_int_equal(certs_csr_check(der, len, json, hash, why,
					 sizeof(why)), CERTS_CSR_OK);
	for (type = STORE_CERT_AUTHENTICATION; type <= STORE_CERT_OFFLINE;
	     type++) {
		X509 *x, *cax;
		ksef_buf cab = KSEF_BUF_INIT;
		ASN1_BIT_STRING *ku;
		int crit = -1;

		assert_int_equal(certs_issue(c, ca, der, len, type,
					     NOW_MS + 1234, &err), 0);
		assert_int_equal(strlen(c->serial), 16);
		assert_int_equal(strspn(c->serial, "0123456789ABCDEF"), 16);
		assert_string_equal(c->key_hash, hash);
		assert_string_equal(c->common_name, "Jan Kowalski");
		assert_int_equal(c->valid_from_ms, NOW_MS + 1000);
		assert_int_equal(c->valid_to_ms - c->valid_from_ms,
				 INT64_C(730) * 86400000);
		p = c->der;
		x = d2i_X509(NULL, &p, (long)c->der_len);
		assert_non_null(x);
		ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
		assert_non_null(ku);
		assert_int_equal(crit, 1);
		assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 0),
				 type == STORE_CERT_AUTHENTICATION);
		assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 1),
				 type == STORE_CERT_OFFLINE);
		ASN1_BIT_STRING_free(ku);
		/* Signed by the CA, which is one. */
		assert_int_equal(ksef_base64_decode(&cab, ca->cert_b64,
			strlen(ca->cert_b64), 1 << 16, NULL), 0);
		p = cab.ptr;
		cax = d2i_X509(NULL, &p, (long)cab.size);
		assert_non_null(cax);
		assert_int_equal(X509_check_ca(cax), 1);
		assert_int_equal(X509_verify(x, X509_get0_pubkey(cax)), 1);
		assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x),
			X509_get_subject_name(cax)), 0);
		assert_int_equal(X509_check_ca(x), 0);
		X509_free(cax);
		X509_free(x);
		ksef_buf_dispose(&cab);
	}
	assert_int_equal(certs_issue(c, ca, der, len, 3, NOW_MS, NULL),
			 KSEF_EINVAL);
	/* validFrom at its bound still makes a certificate X.509 can
	 * carry; one millisecond later is refused. */
	assert_int_equal(certs_issue(c, ca, der, len, STORE_CERT_OFFLINE,
				     CERTS_VALID_FROM_MAX_MS, &err), 0);
	assert_int_equal(c->valid_to_ms, INT64_C(253402300799000));
	assert_int_equal(certs_issue(c, ca, der, len, STORE_CERT_OFFLINE,
				     CERTS_VALID_FROM_MAX_MS + 1000, NULL),
			 KSEF_EINVAL);
	OPENSSL_free(der);
	free(c);
	keys_free(ca);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			the_login_subject_joins_given_names_and_drops_others),
		cmocka_unit_test(malformed_requests_are_format_errors),
		cmocka_unit_test(only_rsa_2048_and_p256_keys_are_taken),
		cmocka_unit_test(digests_outside_the_list_are_refused),
		cmocka_unit_test(the_subject_must_be_the_logins),
		cmocka_unit_test(issued_certificates_carry_their_type_and_the_ca),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
