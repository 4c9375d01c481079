/*
 * xades_cert.c - owns making TEST certificates like the official clients'
 * (auth/testowe-certyfikaty-i-podpisy-xades.md): a self-signed
 * certificate and its new key, for a person (givenName, surname and a
 * serialNumber such as TINPL-<NIP> or PNOPL-<PESEL>) or for a seal
 * (organizationName and an organizationIdentifier such as VATPL-<NIP>),
 * with the subject attributes podpis-xades.md requires. KSeF's test
 * environment accepts them; production does not.
 *
 * Loading a certificate into a signer, and judging its key, are
 * xades_sign.c's; reading what a certificate says about its holder when a
 * signature is verified is xades_verify.c's.
 */
#include <limits.h>
#include <string.h>
#include <time.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "ksef/xades.h"
#include "internal.h"
#include "options.h"

/* The bytes of each version of ksef_xades_cert_options (options.h). */
static const size_t cert_options_sizes[] = {
	KSEF__OPTIONS_END(ksef_xades_cert_options, not_after_ms), /* 1 */
};
KSEF__OPTIONS_SIZES(cert_options_sizes, KSEF_XADES_CERT_OPTIONS_VERSION);

/* Copy a caller's options into o, then check them. */
static int check_cert_options(ksef_xades_cert_options *o,
			      const ksef_xades_cert_options *given,
			      ksef_error *err)
{
	int error;

	if (given == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no options");
	if ((error = KSEF__OPTIONS_COPY(o, given, cert_options_sizes,
					KSEF_XADES_CERT_OPTIONS_VERSION,
					"ksef_xades_cert_options", err)) < 0)
		return error;
	if (o->common_name == NULL || *o->common_name == '\0')
		return ksef__error_set(err, KSEF_EINVAL,
			"a test certificate needs a common name");
	switch (o->kind) {
	case KSEF_XADES_CERT_PERSON:
		if (!o->given_name || !*o->given_name || !o->surname ||
		    !*o->surname || !o->serial_number || !*o->serial_number)
			return ksef__error_set(err, KSEF_EINVAL,
				"a person's certificate needs givenName, "
				"surname and serialNumber (podpis-xades.md)");
		break;
	case KSEF_XADES_CERT_SEAL:
		if (!o->organization_name || !*o->organization_name ||
		    !o->organization_identifier ||
		    !*o->organization_identifier)
			return ksef__error_set(err, KSEF_EINVAL,
				"a seal needs organizationName and "
				"organizationIdentifier (podpis-xades.md)");
		break;
	default:
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown certificate kind %d", (int)o->kind);
	}
	if (o->key_type != KSEF_XADES_KEY_RSA_2048 &&
	    o->key_type != KSEF_XADES_KEY_EC_P256)
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown key type %d", (int)o->key_type);
	return 0;
}

static int add_name(X509_NAME *name, int nid, const char *value,
		    const char *what, ksef_error *err)
{
	if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
					(const unsigned char *)value, -1, -1, 0))
		return ksef__error_openssl(err, KSEF_EINVAL, what);
	return 0;
}

/* Copy a memory BIO's bytes into a fresh buffer, then into out. */
static int bio_to_buf(ksef_buf *out, BIO *bio, ksef_error *err)
{
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);
	ksef_buf tmp = KSEF_BUF_INIT;

	if (n <= 0 || ksef__buf_put(&tmp, data, (size_t)n, (size_t)n) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	ksef__buf_swap_in(out, &tmp);
	return 0;
}

int ksef_xades_cert_generate(ksef_buf *key_pem, ksef_buf *cert_pem,
	const ksef_xades_cert_options *given, ksef_error *err)
{
	ksef_xades_cert_options copy = KSEF_XADES_CERT_OPTIONS_INIT,
				*o = &copy;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *name = NULL;
	X509_EXTENSION *ext = NULL;
	X509V3_CTX v3;
	BIGNUM *bn = NULL;
	BIO *kbio = NULL, *cbio = NULL;
	unsigned char serial[16];
	time_t now = time(NULL), nb, na;
	ksef_buf kbuf = KSEF_BUF_INIT, cbuf = KSEF_BUF_INIT;
	int error;

	if (key_pem == NULL || cert_pem == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output buffers");
	if ((error = check_cert_options(&copy, given, err)) < 0)
		return error;
	nb = o->not_before_ms != KSEF_TIME_UNSET ?
	     (time_t)ksef__ms_to_s(o->not_before_ms) : now - 3600;
	na = o->not_after_ms != KSEF_TIME_UNSET ?
	     (time_t)ksef__ms_to_s(o->not_after_ms) : nb + 365L * 86400;
	if (na <= nb)
		return ksef__error_set(err, KSEF_EINVAL,
			"not_after_ms is not after not_before_ms");

	key = o->key_type == KSEF_XADES_KEY_EC_P256 ?
	      EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") :
	      EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (key == NULL)
		return ksef__error_openssl(err, KSEF_ECRYPTO,
			"cannot make a key");
	error = KSEF_ENOMEM;
	if ((x = X509_new()) == NULL || (name = X509_NAME_new()) == NULL)
		goto oom;
	if (!X509_set_version(x, X509_VERSION_3))
		goto crypto;
	/* A positive 128-bit serial: RFC 5280 wants it unique and at most
	 * 20 bytes; random makes two test certificates never clash. */
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto crypto;
	serial[0] = (unsigned char)((serial[0] & 0x7F) | 0x40);
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto crypto;

	/* podpis-xades.md's required attributes; a seal never has
	 * givenName or surname. */
	if ((error = add_name(name, NID_countryName,
			      o->country ? o->country : "PL",
			      "country must be two letters", err)) < 0)
		goto done;
	if (o->kind == KSEF_XADES_CERT_PERSON) {
		if ((error = add_name(name, NID_givenName, o->given_name,
				      "bad givenName", err)) < 0 ||
		    (error = add_name(name, NID_surname, o->surname,
				      "bad surname", err)) < 0 ||
		    (error = add_name(name, NID_serialNumber,
				      o->serial_number,
				      "serialNumber must be printable ASCII",
				      err)) < 0)
			goto done;
	} else {
		if ((error = add_name(name, NID_organizationName,
				      o->organization_name,
				      "bad organizationName", err)) < 0 ||
		    (error = add_name(name, NID_organizationIdentifier,
				      o->organization_identifier,
				      "bad organizationIdentifier", err)) < 0)
			goto done;
	}
	if ((error = add_name(name, NID_commonName, o->common_name,
			      "bad commonName", err)) < 0)
		goto done;
	if (!X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL ||
	    !X509_set_pubkey(x, key))
		goto crypto;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	/* A signing certificate: digitalSignature for the XAdES signature,
	 * nonRepudiation as qualified certificates carry. */
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage,
			"critical,digitalSignature,nonRepudiation")) == NULL ||
	    !X509_add_ext(x, ext, -1))
		goto crypto;
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		goto crypto;

	/* The key goes through secure memory, which is wiped when freed. */
	if ((kbio = BIO_new(BIO_s_secmem())) == NULL ||
	    (cbio = BIO_new(BIO_s_mem())) == NULL)
		goto oom;
	if (!PEM_write_bio_PrivateKey(kbio, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cbio, x))
		goto crypto;
	if ((error = bio_to_buf(&kbuf, kbio, err)) < 0 ||
	    (error = bio_to_buf(&cbuf, cbio, err)) < 0)
		goto done;
	ksef_buf_dispose_secure(key_pem);
	*key_pem = kbuf;
	kbuf.ptr = NULL;
	kbuf.size = kbuf.asize = 0;
	ksef__buf_swap_in(cert_pem, &cbuf);
	error = 0;
	goto done;
crypto:
	error = ksef__error_openssl(err, KSEF_ECRYPTO,
				    "cannot make the certificate");
	goto done;
oom:
	error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
done:
	ksef__wipe(serial, sizeof(serial));
	ksef_buf_dispose_secure(&kbuf);
	ksef_buf_dispose(&cbuf);
	BIO_free(kbio);
	BIO_free(cbio);
	BN_free(bn);
	X509_EXTENSION_free(ext);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
	return error;
}
