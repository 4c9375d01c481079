/*
 * alloc_certificates.c - the certificate client (client_certificates.h)
 * with each allocation failing in turn, by alloc_test.c's driver: a key
 * and its certificate request, a PKCS#12 file of a key and certificate,
 * and the reading of a page of certificates from a scripted answer. A
 * request, key or file that came out is checked whole; a key is never
 * called unreadable (EPARSE) nor the certificate not its own for want of
 * memory.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "testsupport.h"
#include "ksef/client_certificates.h"
#include "client_int.h"
#include "alloc_test.h"

#define PASS "alloc"

static const ksef_api_enrollment_data person = {
	"Jan Kowalski", "PL", "Jan", "Kowalski", "TINPL-5265877635", NULL,
	NULL, NULL
};

static ksef_buf out_csr = KSEF_BUF_INIT, out_key = KSEF_BUF_INIT,
		out_p12 = KSEF_BUF_INIT;
static ksef_buf fx_key = KSEF_BUF_INIT, fx_der = KSEF_BUF_INIT;
static ksef_client *fx_client;
static ksef_api_certificate_list *out_list;

static const char query_answer[] =
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
	"{\"certificates\":[{\"certificateSerialNumber\":\"018209160C631F1E\","
	"\"name\":\"Certyfikat 1\",\"type\":\"Authentication\",\"commonName\":"
	"\"Jan Kowalski\",\"status\":\"Active\",\"subjectIdentifier\":{"
	"\"type\":\"Nip\",\"value\":\"1234445678\"},\"validFrom\":"
	"\"2025-08-24T14:15:22+00:00\",\"validTo\":"
	"\"2027-08-24T14:15:22+00:00\","
	"\"lastUseDate\":\"2025-08-25T14:15:22+00:00\",\"requestDate\":"
	"\"2025-08-24T14:15:22+00:00\"}],\"hasMore\":true}";

static int run_csr_new(ksef_error *err)
{
	return ksef_certificate_csr_new(&out_csr, &out_key, &person,
					KSEF_XADES_KEY_EC_P256, PASS, err);
}

static void done_csr_new(int rc)
{
	const unsigned char *p = out_csr.ptr;
	X509_REQ *req;

	if (rc == 0) {
		req = d2i_X509_REQ(NULL, &p, (long)out_csr.size);
		assert_non_null(req);
		assert_int_equal(X509_REQ_verify(req,
					X509_REQ_get0_pubkey(req)), 1);
		X509_REQ_free(req);
		assert_non_null(strstr((const char *)out_key.ptr,
				       "ENCRYPTED PRIVATE KEY"));
	}
	ksef_buf_dispose(&out_csr);
	ksef_buf_dispose_secure(&out_key);
}

static int run_pkcs12(ksef_error *err)
{
	return ksef_certificate_pkcs12(&out_p12, fx_key.ptr, fx_key.size, PASS,
				       fx_der.ptr, fx_der.size, PASS, "KSeF",
				       err);
}

static void done_pkcs12(int rc)
{
	ksef_xades_signer *s = NULL;

	if (rc == 0)
		assert_int_equal(ksef_xades_signer_from_pkcs12(&s, out_p12.ptr,
					out_p12.size, PASS, NULL), 0);
	ksef_xades_signer_free(s);
	ksef_buf_dispose_secure(&out_p12);
}

static int run_query(ksef_error *err)
{
	ksef_client_certificate_query q = KSEF_CLIENT_CERTIFICATE_QUERY_INIT;

	ksef__client_script(fx_client, (const unsigned char *)query_answer,
			    strlen(query_answer));
	return ksef_client_certificates_query(&out_list, fx_client, &q, err);
}

static void done_query(int rc)
{
	if (rc == 0) {
		assert_int_equal(ksef_api_certificate_list_count(out_list), 1);
		assert_string_equal(ksef_api_certificate_list_at(out_list,
				    0)->subject_identifier_value,
				    "1234445678");
		assert_int_equal(ksef_api_certificate_list_has_more(out_list),
				 1);
	}
	ksef_api_certificate_list_free(out_list);
	out_list = NULL;
}

/* A key (encrypted under PASS) and a self-signed certificate for it. */
static void fixtures(void)
{
	ksef_buf csr = KSEF_BUF_INIT;
	BIO *b;
	EVP_PKEY *k;
	X509 *x = X509_new();
	unsigned char *p = NULL;
	int n;

	assert_int_equal(ksef_certificate_csr_new(&csr, &fx_key, &person,
			 KSEF_XADES_KEY_EC_P256, PASS, NULL), 0);
	ksef_buf_dispose(&csr);
	b = BIO_new_mem_buf(fx_key.ptr, (int)fx_key.size);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)PASS);
	BIO_free(b);
	assert_non_null(k);
	assert_non_null(x);
	assert_true(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
		MBSTRING_UTF8, (const unsigned char *)"Jan", -1, -1, 0));
	assert_true(X509_set_issuer_name(x, X509_get_subject_name(x)));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_true(X509_set_pubkey(x, k));
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	n = i2d_X509(x, &p);
	assert_true(n > 0);
	assert_int_equal(ksef_base64_encode(&csr, p, (size_t)n, NULL), 0);
	assert_int_equal(ksef_base64_decode(&fx_der, (const char *)csr.ptr,
					    csr.size, 65536, NULL), 0);
	ksef_buf_dispose(&csr);
	OPENSSL_free(p);
	X509_free(x);
	EVP_PKEY_free(k);
}

void certificates_fail_cleanly(void **state)
{
	/* Key loading makes thousands of allocations (OpenSSL's decoders):
	 * a spread of them, as alloc_test.c's KEY_RUNS. */
	static const struct path paths[] = {
		{ "certificate_csr_new", run_csr_new, done_csr_new, 1200, 0,
		  { KSEF_EINVAL, 0 } },
		{ "certificate_pkcs12", run_pkcs12, done_pkcs12, 1200, 0,
		  { KSEF_EXADES_CERT, KSEF_EINVAL, 0 } },
		{ "certificates_query", run_query, done_query, 0, 0,
		  { KSEF_EINVAL, 0 } },
	};
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;

	(void)state;
	o.base_url = "http://127.0.0.1:1/v2";
	o.max_retries = 0;
	o.max_rate_limit_waits = 0;
	assert_int_equal(ksef_client_new(&fx_client, &o, NULL), 0);
	assert_int_equal(ksef_client_set_access_token(fx_client, "a.b.c",
						      NULL), 0);
	fixtures();
	exercise_all(paths, sizeof(paths) / sizeof(paths[0]));
	ksef_client_free(fx_client);
	fx_client = NULL;
	ksef_buf_dispose_secure(&fx_key);
	ksef_buf_dispose(&fx_der);
}
