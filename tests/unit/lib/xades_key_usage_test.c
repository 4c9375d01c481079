/*
 * xades_key_usage_test.c - a XAdES signature made with a certificate whose
 * keyUsage allows no signature (keyEncipherment only) is refused as a
 * certificate error naming keyUsage, while the same subject with
 * digitalSignature, or with no keyUsage at all, verifies. The certificates
 * are made here with OpenSSL, as libksef's generator always allows
 * signing.
 */
#include "testsupport.h"
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "ksef/ksef.h"

#define NIP "5265877635"

/* A self-signed P-256 certificate for TINPL-NIP with this keyUsage (NULL:
 * none), and its key, as PEM. */
static void make(ksef_buf *key_pem, ksef_buf *cert_pem, const char *usage)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	char *p;
	long len;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "GN", MBSTRING_UTF8,
				   (const unsigned char *)"Jan", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "SN", MBSTRING_UTF8,
				   (const unsigned char *)"Kowalski", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_UTF8,
				   (const unsigned char *)"TINPL-" NIP, -1,
				   -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
				   (const unsigned char *)"Jan Kowalski", -1,
				   -1, 0);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8,
				   (const unsigned char *)"PL", -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, key);
	if (usage != NULL) {
		X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, usage);
		assert_non_null(ext);
		assert_int_equal(X509_add_ext(x, ext, -1), 1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL,
						  NULL), 1);
	assert_int_equal(PEM_write_bio_X509(cb, x), 1);
	len = BIO_get_mem_data(kb, &p);
	assert_int_equal(ksef_buf_append(key_pem, p, (size_t)len, 1 << 20), 0);
	len = BIO_get_mem_data(cb, &p);
	assert_int_equal(ksef_buf_append(cert_pem, p, (size_t)len, 1 << 20),
			 0);
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* Sign an authentication request with that certificate and verify it. */
static int sign_and_verify(const char *usage, ksef_error *err)
{
	ksef_buf key = KSEF_BUF_INIT, cert = KSEF_BUF_INIT, doc = KSEF_BUF_INIT;
	ksef_xades_auth_request req = KSEF_XADES_AUTH_REQUEST_INIT;
	ksef_xades_signer *signer = NULL;
	ksef_xades_verified *v = NULL;
	int rc;

	make(&key, &cert, usage);
	if (ksef_xades_signer_new(&signer, key.ptr, key.size, cert.ptr,
				  cert.size, NULL, err) != 0)
		fail_msg("signer: %s", err->message);
	req.challenge = "20250625-CR-20F5EE4000-DA48AE4124-46";
	req.context_value = NIP;
	if (ksef_xades_sign_auth_request(&doc, &req, signer, err) != 0)
		fail_msg("sign: %s", err->message);
	rc = ksef_xades_verify_auth_request(&v, doc.ptr, doc.size, NULL, err);
	ksef_xades_verified_free(v);
	ksef_xades_signer_free(signer);
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&cert);
	ksef_buf_dispose(&doc);
	return rc;
}

static void an_encryption_only_certificate_signs_nothing(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(sign_and_verify("critical,keyEncipherment", &err),
			 KSEF_EXADES_CERT);
	assert_non_null(strstr(err.message, "keyUsage"));
}

static void signing_usages_or_none_verify(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(sign_and_verify("critical,digitalSignature", &err), 0);
	assert_int_equal(sign_and_verify("nonRepudiation,keyEncipherment",
					 &err), 0);
	assert_int_equal(sign_and_verify(NULL, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_encryption_only_certificate_signs_nothing),
		cmocka_unit_test(signing_usages_or_none_verify),
	};

	if (ksef_global_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
