/*
 * client_certificates_csr.c - the key and paper side of a KSeF
 * certificate (certyfikaty-KSeF.md, sections 3 to 6): a new key pair and
 * its PKCS#10 request for exactly the subject the server gave, the
 * certificate as PEM and, with its key, as PKCS#12, and the whole
 * enrolment from the data to the retrieved certificate. The endpoints
 * themselves are client_certificates.c's; what is written to disk is the
 * caller's. A private key leaves this file only encrypted (PKCS#8 under
 * PBES2, or inside PKCS#12), and every clear copy lives in OpenSSL's
 * secure heap or is wiped before it is freed.
 */
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include "internal.h"
#include "auth.h"
#include "client_certificates_int.h"

/* The bounds of the wait of ksef_client_enroll_options: an hour at most,
 * since a request the server has not processed by then will not be. */
#define WAIT_MAX_MS 3600000

void *ksef__cert_test_key;

static int nomem(ksef_error *err)
{
	return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
}

/* Copy a memory BIO's bytes into out (replacing what it held). */
static int bio_to_buf(ksef_buf *out, BIO *bio, ksef_error *err)
{
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);
	ksef_buf tmp = KSEF_BUF_INIT;

	if (n <= 0 || ksef__buf_put(&tmp, data, (size_t)n, (size_t)n) < 0)
		return nomem(err);
	ksef__buf_swap_in(out, &tmp);
	return 0;
}

/*
 * The request
 */

/* One attribute of the subject, as the server gave it; NULL is absent. */
static int add_attr(X509_NAME *name, int nid, const char *value,
		    const char *field, ksef_error *err)
{
	if (value == NULL)
		return 0;
	/* UTF8String, but where X.520 allows only PrintableString
	 * (countryName, serialNumber): OpenSSL's string table picks it. */
	if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
					(const unsigned char *)value, -1, -1,
					0))
		return ksef__error_openssl(err, KSEF_ECRYPTO, field);
	return 0;
}

/* The subject of the request: every attribute of the enrolment data, none
 * other, since any change makes KSeF refuse the request. */
static int make_subject(X509_NAME *name, const ksef_api_enrollment_data *d,
			ksef_error *err)
{
	const struct {
		int nid;
		const char *value, *what;
	} a[] = {
		{ NID_countryName, d->country_name, "cannot use countryName" },
		{ NID_organizationName, d->organization_name,
		  "cannot use organizationName" },
		{ NID_organizationIdentifier, d->organization_identifier,
		  "cannot use organizationIdentifier" },
		{ NID_givenName, d->given_name, "cannot use givenName" },
		{ NID_surname, d->surname, "cannot use surname" },
		{ NID_serialNumber, d->serial_number,
		  "cannot use serialNumber" },
		{ NID_x500UniqueIdentifier, d->unique_identifier,
		  "cannot use uniqueIdentifier" },
		{ NID_commonName, d->common_name, "cannot use commonName" },
	};
	size_t i;
	int error;

	for (i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		if ((error = add_attr(name, a[i].nid, a[i].value, a[i].what,
				      err)) < 0)
			return error;
	return 0;
}

int ksef_certificate_csr_new(ksef_buf *csr_der, ksef_buf *key_pem,
			     const ksef_api_enrollment_data *data,
			     ksef_xades_key_type key_type,
			     const char *passphrase, ksef_error *err)
{
	ksef_buf kbuf = KSEF_BUF_INIT, cbuf = KSEF_BUF_INIT;
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	BIO *kbio = NULL;
	unsigned char *der = NULL;
	int n, error;

	if (csr_der == NULL || key_pem == NULL || data == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output buffer or "
				       "no enrolment data");
	if (passphrase == NULL || passphrase[0] == '\0')
		return ksef__error_set(err, KSEF_EINVAL, "the key needs a "
				       "passphrase: it is kept encrypted");
	if (data->common_name == NULL || data->country_name == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "the enrolment data "
				       "has no commonName or countryName");
	if (key_type != KSEF_XADES_KEY_RSA_2048 &&
	    key_type != KSEF_XADES_KEY_EC_P256)
		return ksef__error_set(err, KSEF_EINVAL, "unknown key type %d",
				       (int)key_type);
	/* The two kinds certyfikaty-KSeF.md admits. */
	if (ksef__cert_test_key != NULL &&
	    EVP_PKEY_up_ref((EVP_PKEY *)ksef__cert_test_key))
		key = ksef__cert_test_key;
	else
		key = key_type == KSEF_XADES_KEY_EC_P256 ?
		      EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") :
		      EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (key == NULL)
		return ksef__error_openssl(err, KSEF_ECRYPTO,
					   "cannot make a key");
	error = KSEF_ENOMEM;
	if ((req = X509_REQ_new()) == NULL || (name = X509_NAME_new()) == NULL)
		goto oom;
	if ((error = make_subject(name, data, err)) < 0)
		goto done;
	if (!X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		goto crypto;
	if ((n = i2d_X509_REQ(req, &der)) <= 0)
		goto crypto;
	if (ksef__buf_put(&cbuf, der, (size_t)n, (size_t)n) < 0)
		goto oom;
	/* PKCS#8 under PBES2: AES-256-CBC, its key from the passphrase by
	 * PBKDF2 with HMAC-SHA-256 (OpenSSL 3's default for PKCS#8). The
	 * clear key passes only through secure memory. */
	if ((kbio = BIO_new(BIO_s_secmem())) == NULL)
		goto oom;
	if (!PEM_write_bio_PKCS8PrivateKey(kbio, key, EVP_aes_256_cbc(),
					   passphrase,
					   (int)strlen(passphrase), NULL,
					   NULL))
		goto crypto;
	if ((error = bio_to_buf(&kbuf, kbio, err)) < 0)
		goto done;
	ksef__buf_swap_in(csr_der, &cbuf);
	ksef__buf_swap_in(key_pem, &kbuf);
	error = 0;
	goto done;
crypto:
	error = ksef__error_openssl(err, KSEF_ECRYPTO,
				    "cannot make the certificate request");
	goto done;
oom:
	error = nomem(err);
done:
	OPENSSL_free(der);
	BIO_free(kbio);
	X509_NAME_free(name);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	ksef_buf_dispose(&cbuf);
	ksef_buf_dispose_secure(&kbuf);
	return error;
}

/*
 * The certificate's files
 */

/* A DER certificate, whole: trailing bytes are refused. */
static int read_der(X509 **out, const unsigned char *der, size_t len,
		    ksef_error *err)
{
	const unsigned char *p = der;

	*out = NULL;
	if (der == NULL || len == 0)
		return ksef__error_set(err, KSEF_EINVAL, "no certificate");
	if (len > KSEF_CERT_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG, "certificate is %zu "
			"bytes, over KSEF_CERT_MAX_BYTES (%d)", len,
			KSEF_CERT_MAX_BYTES);
	if ((*out = d2i_X509(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		X509_free(*out);
		*out = NULL;
		return ksef__error_openssl(err, KSEF_EPARSE,
					   "not an X.509 certificate");
	}
	return 0;
}

int ksef_certificate_der_to_pem(ksef_buf *out, const unsigned char *der,
				size_t len, ksef_error *err)
{
	X509 *x = NULL;
	BIO *bio = NULL;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output buffer");
	if ((error = read_der(&x, der, len, err)) < 0)
		return error;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		error = nomem(err);
	else if (!PEM_write_bio_X509(bio, x))
		error = ksef__error_openssl(err, KSEF_ENOMEM,
					    "cannot write the PEM");
	else
		error = bio_to_buf(out, bio, err);
	BIO_free(bio);
	X509_free(x);
	return error;
}

/*
 * Open a PKCS#12 file just made, as its reader will: OpenSSL 3.0's
 * PKCS12_create() can absorb a failed allocation and still return a file
 * whose MAC or bags do not open, and a file that holds the only copy of a
 * new key must not be handed out unread.
 */
static int check_pkcs12(const ksef_buf *file, const char *passphrase,
			const EVP_PKEY *key, X509 *x, ksef_error *err)
{
	const unsigned char *p = file->ptr;
	PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)file->size);
	EVP_PKEY *k = NULL;
	X509 *c = NULL;
	int ok;

	ERR_clear_error();
	ok = p12 != NULL && PKCS12_parse(p12, passphrase, &k, &c, NULL) &&
	     k != NULL && c != NULL && EVP_PKEY_eq(k, key) == 1 &&
	     X509_cmp(c, x) == 0;
	EVP_PKEY_free(k);
	X509_free(c);
	PKCS12_free(p12);
	if (ok)
		return 0;
	/* Nothing queued: a failure OpenSSL absorbed, which is memory. */
	if (ksef__openssl_nomem() || !ERR_peek_error())
		return nomem(err);
	return ksef__error_openssl(err, KSEF_ECRYPTO, "the PKCS#12 file made "
				   "does not open");
}

int ksef_certificate_pkcs12(ksef_buf *out, const unsigned char *key_pem,
			    size_t key_len, const char *key_passphrase,
			    const unsigned char *cert_der, size_t cert_len,
			    const char *passphrase, const char *friendly_name,
			    ksef_error *err)
{
	ksef_buf tmp = KSEF_BUF_INIT;
	EVP_PKEY *key = NULL, *pub;
	X509 *x = NULL;
	PKCS12 *p12 = NULL;
	BIO *bio = NULL;
	unsigned char *der = NULL;
	int n = 0, eq, error;

	if (out == NULL || key_pem == NULL || key_len == 0)
		return ksef__error_set(err, KSEF_EINVAL, "no output buffer or "
				       "no key");
	if (passphrase == NULL || passphrase[0] == '\0')
		return ksef__error_set(err, KSEF_EINVAL, "the PKCS#12 file "
				       "needs a passphrase");
	if (key_len > KSEF_CERT_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG, "key is over "
			"KSEF_CERT_MAX_BYTES (%d)", KSEF_CERT_MAX_BYTES);
	if ((error = read_der(&x, cert_der, cert_len, err)) < 0)
		return error;
	if ((bio = BIO_new_mem_buf(key_pem, (int)key_len)) == NULL) {
		error = nomem(err);
		goto done;
	}
	/* Without a passphrase, an encrypted key must fail, not prompt. */
	key = PEM_read_bio_PrivateKey(bio, NULL, ksef__pem_passphrase,
				      (void *)key_passphrase);
	if (key == NULL) {
		error = ksef__error_openssl(err, KSEF_EPARSE, "cannot read the "
			"private key (or its passphrase is wrong)");
		goto done;
	}
	/* The certificate's key decoded anew: d2i_X509() leaves it out
	 * without a word when decoding it fails, for want of memory too,
	 * and only a real mismatch may blame the key. */
	ERR_clear_error();
	pub = X509_PUBKEY_get(X509_get_X509_PUBKEY(x));
	eq = pub != NULL ? EVP_PKEY_eq(pub, key) : 0;
	EVP_PKEY_free(pub);
	if (eq != 1) {
		error = ksef__openssl_nomem() ? nomem(err) : pub == NULL ?
			ksef__error_set(err, KSEF_EPARSE, "cannot read the "
					"certificate's public key") :
			ksef__error_set(err, KSEF_EXADES_CERT, "the private "
					"key is not the certificate's");
		ERR_clear_error();
		goto done;
	}
	/* AES-256-CBC for both bags, their keys from PBKDF2 (PBES2), the
	 * default iteration counts and OpenSSL 3's MAC, HMAC-SHA-256: the
	 * legacy RC2 and 3DES of PKCS#12 v1 are not used. */
	p12 = PKCS12_create(passphrase, friendly_name, key, x, NULL,
			    NID_aes_256_cbc, NID_aes_256_cbc, 0, 0, 0);
	if (p12 == NULL || (n = i2d_PKCS12(p12, &der)) <= 0) {
		error = ksef__error_openssl(err, KSEF_ECRYPTO,
					    "cannot make the PKCS#12 file");
		goto done;
	}
	if (ksef__buf_put(&tmp, der, (size_t)n, (size_t)n) < 0) {
		error = nomem(err);
		goto done;
	}
	if ((error = check_pkcs12(&tmp, passphrase, key, x, err)) < 0)
		goto done;
	ksef__buf_swap_in(out, &tmp);
	error = 0;
done:
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)n);
	PKCS12_free(p12);
	BIO_free(bio);
	EVP_PKEY_free(key);
	X509_free(x);
	ksef_buf_dispose_secure(&tmp);
	return error;
}

/*
 * The whole enrolment
 */

static const size_t enroll_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_enroll_options, poll_max_ms),
};
KSEF__OPTIONS_SIZES(enroll_sizes, KSEF_CLIENT_ENROLL_OPTIONS_VERSION);

static int check_enroll_options(ksef_client_enroll_options *o,
				const ksef_client_enroll_options *given,
				ksef_error *err)
{
	static const unsigned char probe = 0x30;
	ksef_client_enrollment req = KSEF_CLIENT_ENROLLMENT_INIT;
	json_t *body = NULL;
	int error;

	if ((error = KSEF__OPTIONS_COPY(o, given, enroll_sizes,
					KSEF_CLIENT_ENROLL_OPTIONS_VERSION,
					"ksef_client_enroll_options",
					err)) < 0)
		return error;
	if (o->passphrase == NULL || o->passphrase[0] == '\0')
		return ksef__error_set(err, KSEF_EINVAL, "passphrase is "
				       "required: the key is kept encrypted");
	if (o->wait_ms < 1 || o->wait_ms > WAIT_MAX_MS ||
	    o->poll_initial_ms < 1 || o->poll_max_ms < o->poll_initial_ms)
		return ksef__error_set(err, KSEF_EINVAL, "wait_ms must be 1 to "
			"%d, poll_initial_ms 1 or more and poll_max_ms no "
			"less", WAIT_MAX_MS);
	/* The request's own fields, checked before a key is made or
	 * anything is sent: the builder of the real one, with a stand-in
	 * for the request not yet made. */
	req.certificate_name = o->certificate_name;
	req.certificate_type = o->certificate_type;
	req.csr_der = &probe;
	req.csr_len = 1;
	req.valid_from_ms = o->valid_from_ms;
	if ((error = ksef__client_build_enroll_body(&body, &req, err)) < 0)
		return error;
	json_decref(body);
	return 0;
}

/* Check the request's status with backoff until it leaves 100: its
 * serial number into serial (17 bytes) when it is 200. */
static int wait_issued(char *serial, ksef_client *c, const char *ref,
		       const ksef_client_enroll_options *o, ksef_error *err)
{
	ksef_api_enrollment_status *st = NULL;
	int64_t deadline = ksef__mono_ms() + o->wait_ms, left;
	long delay = o->poll_initial_ms;
	int error = 0;

	for (;;) {
		if ((error = ksef_client_certificates_enrollment_status(&st, c,
						ref, err)) < 0)
			return error;
		if (st->status->code != 100)
			break;
		ksef_api_enrollment_status_free(st);
		st = NULL;
		left = deadline - ksef__mono_ms();
		if (left <= 0)
			return ksef__error_set(err, KSEF_ENETWORK,
				"certificate request %s is still processed "
				"(100) after %d ms", ref, o->wait_ms);
		ksef__sleep_ms(delay < left ? delay : (long)left);
		delay = delay > o->poll_max_ms / 2 ? o->poll_max_ms :
			delay * 2;
	}
	if (st->status->code != 200)
		error = ksef__error_set(err, KSEF_EHTTP, "certificate request "
			"%s ended with status %d (%s)%s%s", ref,
			st->status->code, st->status->description,
			st->status->detail_count ? ": " : "",
			st->status->detail_count ? st->status->details[0] : "");
	else if (st->certificate_serial_number == NULL)
		error = ksef__error_set(err, KSEF_EPARSE, "certificate request "
			"%s was processed (200) without a serial number", ref);
	else
		memcpy(serial, st->certificate_serial_number,
		       KSEF_CERTIFICATE_SERIAL_LEN + 1);
	ksef_api_enrollment_status_free(st);
	return error;
}

/* Copy bytes into the result; a NUL after them, for the PEM texts. */
static const void *keep(void *res, const void *p, size_t len)
{
	unsigned char *q = ksef__result_alloc(res, len + 1);

	if (q != NULL)
		memcpy(q, p, len);
	return q;
}

/* The result, made of what the enrolment produced. */
static int make_result(ksef_enrolled_certificate **out, const char *ref,
		       const ksef_api_retrieved_certificate *rc,
		       const ksef_buf *pem, const ksef_buf *key,
		       const ksef_buf *p12, ksef_error *err)
{
	ksef_enrolled_certificate *e = ksef__result_new(sizeof(*e));

	if (e == NULL)
		return nomem(err);
	e->cert_der_len = rc->der_len;
	e->cert_pem_len = pem->size;
	e->key_pem_len = key->size;
	e->pkcs12_len = p12->size;
	if ((e->reference_number = ksef__result_strndup(e, ref,
							strlen(ref))) == NULL ||
	    (e->serial_number = ksef__result_strndup(e, rc->serial_number,
				strlen(rc->serial_number))) == NULL ||
	    (e->type = ksef__result_strndup(e, rc->type,
					    strlen(rc->type))) == NULL ||
	    (e->cert_der = keep(e, rc->der, rc->der_len)) == NULL ||
	    (e->cert_pem = keep(e, pem->ptr, pem->size)) == NULL ||
	    (e->key_pem = keep(e, key->ptr, key->size)) == NULL ||
	    (e->pkcs12 = keep(e, p12->ptr, p12->size)) == NULL) {
		ksef__result_free(e);
		return nomem(err);
	}
	*out = e;
	return 0;
}

int ksef_client_certificates_obtain(ksef_enrolled_certificate **out,
				    ksef_client *c,
				    const ksef_client_enroll_options *opts,
				    ksef_error *err)
{
	ksef_client_enroll_options o = KSEF_CLIENT_ENROLL_OPTIONS_INIT;
	ksef_client_enrollment req = KSEF_CLIENT_ENROLLMENT_INIT;
	ksef_api_enrollment_data *data = NULL;
	ksef_api_enrollment *enr = NULL;
	ksef_api_retrieved_certificates *got = NULL;
	const ksef_api_retrieved_certificate *rc = NULL;
	ksef_buf csr = KSEF_BUF_INIT, key = KSEF_BUF_INIT,
		 pem = KSEF_BUF_INIT, p12 = KSEF_BUF_INIT;
	char serial[KSEF_CERTIFICATE_SERIAL_LEN + 1];
	const char *serials[1] = { serial };
	size_t i;
	int error;

	if (out == NULL || c == NULL || opts == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "NULL argument");
	*out = NULL;
	if ((error = check_enroll_options(&o, opts, err)) < 0)
		return error;
	if ((error = ksef_client_certificates_enrollment_data(&data, c,
							      err)) < 0 ||
	    (error = ksef_certificate_csr_new(&csr, &key, data, o.key_type,
					      o.passphrase, err)) < 0)
		goto done;
	req.certificate_name = o.certificate_name;
	req.certificate_type = o.certificate_type;
	req.csr_der = csr.ptr;
	req.csr_len = csr.size;
	req.valid_from_ms = o.valid_from_ms;
	if ((error = ksef_client_certificates_enroll(&enr, c, &req, err)) < 0 ||
	    (error = wait_issued(serial, c, enr->reference_number, &o,
				 err)) < 0 ||
	    (error = ksef_client_certificates_retrieve(&got, c, serials, 1,
						       err)) < 0)
		goto done;
	for (i = 0; i < ksef_api_retrieved_certificates_count(got); i++) {
		rc = ksef_api_retrieved_certificates_at(got, i);
		if (strcmp(rc->serial_number, serial) == 0)
			break;
		rc = NULL;
	}
	if (rc == NULL) {
		error = ksef__error_set(err, KSEF_EPARSE, "POST /certificates/"
			"retrieve did not return certificate %s", serial);
		goto done;
	}
	/* The PKCS#12 file checks that the certificate holds our key. */
	if ((error = ksef_certificate_der_to_pem(&pem, rc->der, rc->der_len,
						 err)) < 0 ||
	    (error = ksef_certificate_pkcs12(&p12, key.ptr, key.size,
					     o.passphrase, rc->der,
					     rc->der_len, o.passphrase,
					     o.certificate_name, err)) < 0)
		goto done;
	error = make_result(out, enr->reference_number, rc, &pem, &key, &p12,
			    err);
done:
	ksef_api_enrollment_data_free(data);
	ksef_api_enrollment_free(enr);
	ksef_api_retrieved_certificates_free(got);
	ksef_buf_dispose(&csr);
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&pem);
	ksef_buf_dispose_secure(&p12);
	return error;
}

void ksef_enrolled_certificate_free(ksef_enrolled_certificate *e)
{
	ksef__result_free(e);
}
