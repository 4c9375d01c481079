/*
 * alloc_qr_cert.c - KOD II (qr_cert.h) with each allocation failing in
 * turn, by alloc_test.c's driver: a signer made from an EC and from an
 * RSA key, links signed with each, and their verification. A failed
 * allocation never passes for a link of another certificate.
 */
#include <string.h>
#include "testsupport.h"
#include "ksef/qr_cert.h"
#include "ksef/xades.h"
#include "alloc_test.h"

static struct {
	ksef_buf ec_key, ec_cert, rsa_key, rsa_cert, ec_link, rsa_link;
	ksef_qr_signer *ec, *rsa;
	ksef_qr_cert_ref ref;
} q;
static ksef_qr_signer *out_signer;
static ksef_buf out_link;
static ksef_qr_cert_ref out_ref;

static int run_signer_new(ksef_error *err)
{
	return ksef_qr_signer_new(&out_signer, q.ec_key.ptr, q.ec_key.size,
				  q.ec_cert.ptr, q.ec_cert.size, NULL, err);
}

static void done_signer_new(int rc)
{
	assert_true((rc == 0) == (out_signer != NULL));
	if (rc == 0)
		assert_string_equal(ksef_qr_signer_serial(out_signer),
				    ksef_qr_signer_serial(q.ec));
	ksef_qr_signer_free(out_signer);
	out_signer = NULL;
}

static void check_link(int rc, const ksef_buf *cert)
{
	if (rc == 0)
		assert_int_equal(ksef_qr_cert_verify(NULL,
			(const char *)out_link.ptr, out_link.size, cert->ptr,
			cert->size, NULL), 0);
	ksef_buf_dispose(&out_link);
}

static int run_link_ec(ksef_error *err)
{
	return ksef_qr_cert_link(&out_link, KSEF_QR_BASE_TEST, &q.ref, q.ec,
				 0, err);
}

static void done_link_ec(int rc)
{
	check_link(rc, &q.ec_cert);
}

static int run_link_rsa(ksef_error *err)
{
	return ksef_qr_cert_link(&out_link, KSEF_QR_BASE_TEST, &q.ref, q.rsa,
				 0, err);
}

static void done_link_rsa(int rc)
{
	check_link(rc, &q.rsa_cert);
}

static int run_verify_ec(ksef_error *err)
{
	return ksef_qr_cert_verify(&out_ref, (const char *)q.ec_link.ptr,
		q.ec_link.size, q.ec_cert.ptr, q.ec_cert.size, err);
}

static int run_verify_rsa(ksef_error *err)
{
	return ksef_qr_cert_verify(&out_ref, (const char *)q.rsa_link.ptr,
		q.rsa_link.size, q.rsa_cert.ptr, q.rsa_cert.size, err);
}

static void done_verify(int rc)
{
	if (rc == 0)
		assert_string_equal(out_ref.seller_nip, "5265877635");
	memset(&out_ref, 0, sizeof(out_ref));
}

static void make(ksef_buf *key, ksef_buf *cert, ksef_xades_key_type type)
{
	ksef_xades_cert_options o = KSEF_XADES_CERT_OPTIONS_INIT;

	o.key_type = type;
	o.given_name = "Jan";
	o.surname = "Kowalski";
	o.serial_number = "TINPL-5265877635";
	o.common_name = "Jan Kowalski";
	assert_int_equal(ksef_xades_cert_generate(key, cert, &o, NULL), 0);
}

void qr_certs_fail_cleanly(void **state)
{
	/* Another certificate's link (KSEF_ENOTFOUND), a malformed link or
	 * key (KSEF_EFORMAT) and bad arguments are never a want of memory.
	 * Except in the signer: OpenSSL 3.0's X509_check_private_key()
	 * reports some failed allocations only as keys that differ, as for
	 * ksef_xades_signer_new(). */
	static const struct path paths[] = {
		{ "qr_signer_new", run_signer_new, done_signer_new, 1200, 0,
		  { KSEF_EINVAL, 0 } },
		{ "qr_cert_link_ec", run_link_ec, done_link_ec, 0, 0,
		  { KSEF_EFORMAT, KSEF_EINVAL, 0 } },
		{ "qr_cert_link_rsa", run_link_rsa, done_link_rsa, 0, 0,
		  { KSEF_EFORMAT, KSEF_EINVAL, 0 } },
		{ "qr_cert_verify_ec", run_verify_ec, done_verify, 0, 0,
		  { KSEF_ENOTFOUND, KSEF_EINVAL, 0 } },
		{ "qr_cert_verify_rsa", run_verify_rsa, done_verify, 0, 0,
		  { KSEF_ENOTFOUND, KSEF_EINVAL, 0 } },
	};

	(void)state;
	memset(&q, 0, sizeof(q));
	make(&q.ec_key, &q.ec_cert, KSEF_XADES_KEY_EC_P256);
	make(&q.rsa_key, &q.rsa_cert, KSEF_XADES_KEY_RSA_2048);
	assert_int_equal(ksef_qr_signer_new(&q.ec, q.ec_key.ptr,
		q.ec_key.size, q.ec_cert.ptr, q.ec_cert.size, NULL, NULL), 0);
	assert_int_equal(ksef_qr_signer_new(&q.rsa, q.rsa_key.ptr,
		q.rsa_key.size, q.rsa_cert.ptr, q.rsa_cert.size, NULL, NULL),
		0);
	q.ref.context_type = KSEF_CONTEXT_NIP;
	strcpy(q.ref.context_value, "5265877635");
	strcpy(q.ref.seller_nip, "5265877635");
	memset(q.ref.sha256, 0x42, sizeof(q.ref.sha256));
	assert_int_equal(ksef_qr_cert_link(&q.ec_link, KSEF_QR_BASE_TEST,
					   &q.ref, q.ec, 0, NULL), 0);
	assert_int_equal(ksef_qr_cert_link(&q.rsa_link, KSEF_QR_BASE_TEST,
					   &q.ref, q.rsa, 0, NULL), 0);
	exercise_all(paths, sizeof(paths) / sizeof(paths[0]));
	ksef_qr_signer_free(q.ec);
	ksef_qr_signer_free(q.rsa);
	ksef_buf_dispose_secure(&q.ec_key);
	ksef_buf_dispose_secure(&q.rsa_key);
	ksef_buf_dispose(&q.ec_cert);
	ksef_buf_dispose(&q.rsa_cert);
	ksef_buf_dispose(&q.ec_link);
	ksef_buf_dispose(&q.rsa_link);
}
