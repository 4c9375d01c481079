/*
 * trust.c - owns certificate-chain checks against the --trust-store
 * bundle, with OpenSSL's X509_STORE. Revocation (OCSP, CRL) is not
 * checked: ksefd runs offline.
 */
#include <stdlib.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include "trust.h"

struct trust {
	X509_STORE *store;
};

int trust_load(trust **out, const char *pem_file, ksef_error *err)
{
	trust *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (t == NULL || (t->store = X509_STORE_new()) == NULL) {
		free(t);
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	}
	if (X509_STORE_load_file(t->store, pem_file) != 1) {
		ERR_clear_error();
		trust_free(t);
		return ksef_error_set(err, KSEF_EIO, "--trust-store: cannot "
				      "read CA certificates from %s", pem_file);
	}
	*out = t;
	return 0;
}

void trust_free(trust *t)
{
	if (t == NULL)
		return;
	X509_STORE_free(t->store);
	free(t);
}

int trust_check(const trust *t, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *cert = d2i_X509(NULL, &p, (long)len);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = 0;

	if (cert != NULL && ctx != NULL &&
	    X509_STORE_CTX_init(ctx, t->store, cert, NULL) == 1) {
		/* Validity dates are the caller's to judge and report. */
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
		ok = X509_verify_cert(ctx) == 1;
	}
	X509_STORE_CTX_free(ctx);
	X509_free(cert);
	ERR_clear_error();
	return ok;
}
