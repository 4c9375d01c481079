/*
 * envelope.c - owns every cipher and key operation of libksef (SPEC section
 * 6): the session envelope (AES-256-CBC key and IV), the invoice metadata
 * computed while sealing, loading KSeF's public-key certificates and a
 * server's private key, and RSA-OAEP wrapping. It is the only file that
 * calls EVP cipher and EVP_PKEY functions, so the algorithm choices below
 * (OAEP with SHA-256 for both the hash and MGF1, empty label; CBC with
 * PKCS#7) are made in one place. Base64 and SHA-256 belong to encoding.c;
 * choosing which certificate to use (usage, validity) is the client's.
 *
 * Key material lives only in ksef_envelope, in OpenSSL's EVP_PKEY and in
 * short-lived buffers, and each of them is wiped before it is freed.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "ksef/encoding.h"
#include "ksef/envelope.h"
#include "ksef/limits.h"
#include "internal.h"

/* EVP_CipherUpdate and BIO_new_mem_buf take int lengths. */
_Static_assert(KSEF_CIPHERTEXT_MAX_BYTES <= INT_MAX - 32, "EVP takes an int");
_Static_assert(KSEF_CERT_MAX_BYTES <= INT_MAX, "BIO takes an int");

/* KSeF's certificates are at least this strong (the documented examples
 * are RSA-4096); anything weaker is refused rather than used. */
#define RSA_MIN_BITS 2048

/* OAEP with SHA-256 costs two digests and two bytes of each block. */
#define OAEP_OVERHEAD (2 * KSEF_SHA256_LEN + 2)

struct ksef_envelope {
	unsigned char key[KSEF_AES_KEY_LEN];
	unsigned char iv[KSEF_AES_IV_LEN];
};

struct ksef_pubkey {
	X509 *cert;
	EVP_PKEY *key; /* borrowed from cert */
	char key_id[KSEF_SHA256_B64_LEN + 1];
	char cert_id[KSEF_SHA256_B64_LEN + 1];
	int64_t not_before_ms;
	int64_t not_after_ms;
};

struct ksef_privkey {
	EVP_PKEY *key;
};

/* ---- the envelope ---------------------------------------------------- */

int ksef_envelope_new(ksef_envelope **out, ksef_error *err)
{
	ksef_envelope *env;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "envelope: NULL argument");
	*out = NULL;
	if ((env = calloc(1, sizeof(*env))) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	/* The key comes from the private DRBG, which OpenSSL keeps for
	 * secrets; the IV is public and comes from the public one. */
	if (RAND_priv_bytes(env->key, sizeof(env->key)) != 1 ||
	    RAND_bytes(env->iv, sizeof(env->iv)) != 1) {
		ksef_envelope_free(env);
		return ksef__error_openssl(err, KSEF_ECRYPTO,
					   "no random bytes for the session key");
	}
	*out = env;
	return 0;
}

int ksef_envelope_from_key(ksef_envelope **out, const unsigned char *key,
			   size_t key_len, const unsigned char *iv,
			   size_t iv_len, ksef_error *err)
{
	ksef_envelope *env;

	if (out == NULL || key == NULL || iv == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "envelope: NULL argument");
	*out = NULL;
	if (key_len != KSEF_AES_KEY_LEN || iv_len != KSEF_AES_IV_LEN)
		return ksef__error_set(err, KSEF_EINVAL,
			"envelope: key is %zu bytes and IV %zu; AES-256-CBC "
			"needs %d and %d", key_len, iv_len, KSEF_AES_KEY_LEN,
			KSEF_AES_IV_LEN);
	if ((env = calloc(1, sizeof(*env))) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	memcpy(env->key, key, KSEF_AES_KEY_LEN);
	memcpy(env->iv, iv, KSEF_AES_IV_LEN);
	*out = env;
	return 0;
}

void ksef_envelope_free(ksef_envelope *env)
{
	if (env == NULL)
		return;
	ksef__wipe(env, sizeof(*env));
	free(env);
}

const unsigned char *ksef_envelope_iv(const ksef_envelope *env)
{
	return env != NULL ? env->iv : NULL;
}

const unsigned char *ksef_envelope_key(const ksef_envelope *env)
{
	return env != NULL ? env->key : NULL;
}

/*
 * One AES-256-CBC pass over in, into a fresh buffer. The output never
 * exceeds len + one block, so the buffer is allocated once and never
 * reallocated: realloc would leave a copy of plaintext behind. EVP's
 * context holds the key schedule and EVP_CIPHER_CTX_free() wipes it.
 */
static int aes_cbc(ksef_buf *out, const ksef_envelope *env, int enc,
		   const unsigned char *in, size_t len, ksef_error *err)
{
	ksef_buf tmp = KSEF_BUF_INIT;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t room = len + KSEF_AES_IV_LEN;
	int n = 0, m = 0, error = 0;

	if ((error = ksef__buf_grow(&tmp, room, room)) < 0)
		return ksef__error_set(err, error, "out of memory");
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	if (!EVP_CipherInit_ex(ctx, ksef__aes_256_cbc(), NULL, env->key,
			       env->iv, enc) ||
	    (len > 0 && !EVP_CipherUpdate(ctx, tmp.ptr, &n, in, (int)len))) {
		error = ksef__error_openssl(err, KSEF_ECRYPTO,
					    "AES-256-CBC failed");
		goto done;
	}
	if (!EVP_CipherFinal_ex(ctx, tmp.ptr + n, &m)) {
		/* Only decryption can fail here. CBC has no MAC, so padding
		 * is the only check: the hashes the sender declared are
		 * what proves the plaintext right. */
		error = ksef__error_openssl(err, KSEF_ECRYPTO,
			"invoice does not decrypt: bad PKCS#7 padding (wrong "
			"key or IV, or a corrupted ciphertext)");
		goto done;
	}
	tmp.size = (size_t)n + (size_t)m;
	tmp.ptr[tmp.size] = '\0';
	ksef__buf_swap_in(out, &tmp);
done:
	EVP_CIPHER_CTX_free(ctx);
	ksef_buf_dispose_secure(&tmp);
	return error;
}

int ksef_envelope_encrypt(ksef_buf *out, const ksef_envelope *env,
			  const unsigned char *xml, size_t xml_len,
			  ksef_error *err)
{
	if (out == NULL || env == NULL || (xml == NULL && xml_len > 0))
		return ksef__error_set(err, KSEF_EINVAL,
			"encrypt: NULL argument");
	if (xml_len > KSEF_INVOICE_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"invoice is %zu bytes, over the limit of %d "
			"(KSEF_INVOICE_MAX_BYTES)", xml_len,
			KSEF_INVOICE_MAX_BYTES);
	return aes_cbc(out, env, 1, xml, xml_len, err);
}

int ksef_envelope_decrypt(ksef_buf *out, const ksef_envelope *env,
			  const unsigned char *ct, size_t ct_len,
			  ksef_error *err)
{
	if (out == NULL || env == NULL || (ct == NULL && ct_len > 0))
		return ksef__error_set(err, KSEF_EINVAL,
			"decrypt: NULL argument");
	if (ct_len > KSEF_CIPHERTEXT_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"ciphertext is %zu bytes, over the limit of %d "
			"(KSEF_CIPHERTEXT_MAX_BYTES)", ct_len,
			KSEF_CIPHERTEXT_MAX_BYTES);
	/* PKCS#7 always adds at least one byte, so even an empty invoice
	 * encrypts to one whole block. */
	if (ct_len == 0 || ct_len % KSEF_AES_IV_LEN != 0)
		return ksef__error_set(err, KSEF_ECRYPTO,
			"ciphertext is %zu bytes, not a positive multiple of "
			"the %d-byte AES block", ct_len, KSEF_AES_IV_LEN);
	return aes_cbc(out, env, 0, ct, ct_len, err);
}

/* ---- streams ---------------------------------------------------------- */

struct ksef_envelope_stream {
	EVP_CIPHER_CTX *ctx;
	int finished;
};

int ksef_envelope_stream_new(ksef_envelope_stream **out,
			     const ksef_envelope *env, int encrypt,
			     ksef_error *err)
{
	ksef_envelope_stream *s;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "stream: NULL out");
	*out = NULL;
	if (env == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"stream: NULL envelope");
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->ctx = EVP_CIPHER_CTX_new()) == NULL) {
		free(s);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	if (!EVP_CipherInit_ex(s->ctx, ksef__aes_256_cbc(), NULL, env->key,
			       env->iv, encrypt ? 1 : 0)) {
		ksef_envelope_stream_free(s);
		return ksef__error_openssl(err, KSEF_ECRYPTO,
					   "AES-256-CBC failed");
	}
	*out = s;
	return 0;
}

int ksef_envelope_stream_update(ksef_envelope_stream *s, ksef_buf *out,
				const unsigned char *in, size_t len,
				size_t max, ksef_error *err)
{
	int n = 0, error;

	if (s == NULL || out == NULL || (in == NULL && len > 0) ||
	    s->finished)
		return ksef__error_set(err, KSEF_EINVAL,
			"stream: NULL argument or finished stream");
	if (len > KSEF_CIPHERTEXT_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"stream piece is %zu bytes, over %d", len,
			KSEF_CIPHERTEXT_MAX_BYTES);
	if (len == 0)
		return 0;
	/* CBC gives at most one block more than it takes. */
	if ((error = ksef_buf_reserve(out, len + KSEF_AES_IV_LEN, max)) < 0)
		return ksef__error_set(err, error, "stream output over %zu "
			"bytes", max);
	if (!EVP_CipherUpdate(s->ctx, out->ptr + out->size, &n, in,
			      (int)len))
		return ksef__error_openssl(err, KSEF_ECRYPTO,
					   "AES-256-CBC failed");
	out->size += (size_t)n;
	out->ptr[out->size] = '\0';
	return 0;
}

int ksef_envelope_stream_final(ksef_envelope_stream *s, ksef_buf *out,
			       size_t max, ksef_error *err)
{
	int n = 0, error;

	if (s == NULL || out == NULL || s->finished)
		return ksef__error_set(err, KSEF_EINVAL,
			"stream: NULL argument or finished stream");
	s->finished = 1;
	if ((error = ksef_buf_reserve(out, KSEF_AES_IV_LEN, max)) < 0)
		return ksef__error_set(err, error, "stream output over %zu "
			"bytes", max);
	if (!EVP_CipherFinal_ex(s->ctx, out->ptr + out->size, &n))
		return ksef__error_openssl(err, KSEF_ECRYPTO,
			"stream does not decrypt: bad PKCS#7 padding or a "
			"partial block (wrong key or IV, or corrupted data)");
	out->size += (size_t)n;
	out->ptr[out->size] = '\0';
	return 0;
}

void ksef_envelope_stream_free(ksef_envelope_stream *s)
{
	if (s == NULL)
		return;
	/* EVP_CIPHER_CTX_free wipes the expanded key. */
	EVP_CIPHER_CTX_free(s->ctx);
	free(s);
}

int ksef_envelope_seal(ksef_buf *ciphertext, ksef_invoice_meta *meta,
		       const ksef_envelope *env, const unsigned char *xml,
		       size_t xml_len, ksef_error *err)
{
	ksef_buf ct = KSEF_BUF_INIT;
	ksef_invoice_meta m;
	int error;

	if (ciphertext == NULL || meta == NULL || env == NULL ||
	    (xml == NULL && xml_len > 0))
		return ksef__error_set(err, KSEF_EINVAL, "seal: NULL argument");
	/* invoiceSize is declared with minimum 1 in the OpenAPI. */
	if (xml_len == 0)
		return ksef__error_set(err, KSEF_EFORMAT,
			"invoice is empty; KSeF requires at least 1 byte");
	if ((error = ksef_envelope_encrypt(&ct, env, xml, xml_len, err)) < 0)
		return error;
	/* Both hashes are of the exact bytes sent: the plaintext as
	 * encrypted and the raw ciphertext before Base64 (SPEC 6.1). */
	if ((error = ksef_sha256_base64(m.invoice_hash, xml, xml_len,
					err)) < 0 ||
	    (error = ksef_sha256_base64(m.encrypted_hash, ct.ptr, ct.size,
					err)) < 0) {
		ksef_buf_dispose(&ct);
		return error;
	}
	m.invoice_size = xml_len;
	m.encrypted_size = ct.size;
	*meta = m;
	ksef__buf_swap_in(ciphertext, &ct);
	return 0;
}

/* ---- public keys ----------------------------------------------------- */

/* Never prompt: a library must not read the terminal, so an encrypted
 * PEM simply fails to load. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return -1;
}

static int contains(const unsigned char *data, size_t len, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(data + i, s, n) == 0)
			return 1;
	return 0;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): timegm() is not POSIX.1-2008. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* An ASN1_TIME as milliseconds since the epoch: no time_t in between, so
 * a 32-bit time_t cannot fail it for dates past 2038. */
static int asn1_to_ms(int64_t *out, const ASN1_TIME *t)
{
	struct tm tm;
	int64_t secs;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	secs = days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1,
			       tm.tm_mday) * 86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	*out = secs * 1000;
	return 0;
}

/* DER must be one certificate and nothing after it: bytes the hash would
 * not cover have no business riding along. */
static int parse_der(X509 **out, const unsigned char *der, size_t len,
		     ksef_error *err)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	if (x == NULL)
		return ksef__error_openssl(err, KSEF_EPARSE,
			"certificate is not valid DER");
	if (p != der + len) {
		X509_free(x);
		return ksef__error_set(err, KSEF_EPARSE,
			"certificate DER is followed by %zu more bytes",
			(size_t)(der + len - p));
	}
	*out = x;
	return 0;
}

static int parse_cert(X509 **out, const unsigned char *data, size_t len,
		      ksef_error *err)
{
	ksef_buf der = KSEF_BUF_INIT;
	ksef_error berr;
	BIO *bio;
	int error;

	*out = NULL;
	/* A DER certificate is a SEQUENCE, tag 0x30, which no PEM or
	 * Base64 text starts with ('0' is 0x30 too, but Base64 of DER
	 * starts 'M'). */
	if (data[0] == 0x30)
		return parse_der(out, data, len, err);
	if (contains(data, len, "-----BEGIN ")) {
		if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		*out = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
		if (*out == NULL)
			return ksef__error_openssl(err, KSEF_EPARSE,
				"PEM holds no readable CERTIFICATE");
		return 0;
	}
	while (len > 0 && is_space(data[len - 1]))
		len--;
	if (ksef_base64_decode(&der, (const char *)data, len,
			       KSEF_CERT_MAX_BYTES, &berr) < 0)
		return ksef__error_set(err, KSEF_EPARSE,
			"certificate is not DER, PEM or Base64 DER: %s",
			berr.message);
	if (der.size == 0)
		error = ksef__error_set(err, KSEF_EPARSE,
					"certificate is blank");
	else
		error = parse_der(out, der.ptr, der.size, err);
	ksef_buf_dispose(&der);
	return error;
}

/* Base64(SHA-256(DER)) of an object OpenSSL can encode with i2d. */
static int hash_der(char out[KSEF_SHA256_B64_LEN + 1], int n,
		    unsigned char *der, const char *what, ksef_error *err)
{
	int error;

	if (n <= 0 || der == NULL)
		return ksef__error_openssl(err, KSEF_ECRYPTO, what);
	error = ksef_sha256_base64(out, der, (size_t)n, err);
	OPENSSL_free(der);
	return error;
}

static int check_rsa(const EVP_PKEY *key, const char *whose, ksef_error *err)
{
	if (!EVP_PKEY_is_a(key, "RSA"))
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s key is %s, not RSA; KSeF encrypts only with "
			"RSA-OAEP", whose, EVP_PKEY_get0_type_name(key) ?
			EVP_PKEY_get0_type_name(key) : "of an unknown type");
	if (EVP_PKEY_get_bits(key) < RSA_MIN_BITS)
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s key is RSA-%d, weaker than the RSA-%d minimum",
			whose, EVP_PKEY_get_bits(key), RSA_MIN_BITS);
	return 0;
}

int ksef_pubkey_load(ksef_pubkey **out, const unsigned char *data, size_t len,
		     ksef_error *err)
{
	ksef_pubkey *pub = NULL;
	unsigned char *der = NULL;
	int error, n;

	if (out == NULL || (data == NULL && len > 0))
		return ksef__error_set(err, KSEF_EINVAL,
			"certificate: NULL argument");
	*out = NULL;
	if (len == 0)
		return ksef__error_set(err, KSEF_EPARSE, "certificate is empty");
	if (len > KSEF_CERT_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"certificate is %zu bytes, over the limit of %d "
			"(KSEF_CERT_MAX_BYTES)", len, KSEF_CERT_MAX_BYTES);
	if ((pub = calloc(1, sizeof(*pub))) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((error = parse_cert(&pub->cert, data, len, err)) < 0)
		goto fail;
	if ((pub->key = X509_get0_pubkey(pub->cert)) == NULL) {
		error = ksef__error_openssl(err, KSEF_EFORMAT,
			"certificate's public key cannot be decoded");
		goto fail;
	}
	if ((error = check_rsa(pub->key, "certificate", err)) < 0)
		goto fail;

	/* certificateId hashes the certificate as it was received (OpenSSL
	 * keeps the original encoding); publicKeyId hashes its
	 * SubjectPublicKeyInfo, which survives re-certification (SPEC 6.3). */
	der = NULL;
	n = i2d_X509(pub->cert, &der);
	if ((error = hash_der(pub->cert_id, n, der,
			      "certificate cannot be re-encoded", err)) < 0)
		goto fail;
	der = NULL;
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(pub->cert), &der);
	if ((error = hash_der(pub->key_id, n, der,
			      "public key cannot be encoded", err)) < 0)
		goto fail;

	if (asn1_to_ms(&pub->not_before_ms, X509_get0_notBefore(pub->cert)) ||
	    asn1_to_ms(&pub->not_after_ms, X509_get0_notAfter(pub->cert))) {
		ERR_clear_error();
		error = ksef__error_set(err, KSEF_EFORMAT,
			"certificate validity dates cannot be read");
		goto fail;
	}
	*out = pub;
	return 0;
fail:
	ksef_pubkey_free(pub);
	return error;
}

void ksef_pubkey_free(ksef_pubkey *pub)
{
	if (pub == NULL)
		return;
	X509_free(pub->cert);
	free(pub);
}

const char *ksef_pubkey_id(const ksef_pubkey *pub)
{
	return pub != NULL ? pub->key_id : NULL;
}

const char *ksef_pubkey_certificate_id(const ksef_pubkey *pub)
{
	return pub != NULL ? pub->cert_id : NULL;
}

int64_t ksef_pubkey_not_before(const ksef_pubkey *pub)
{
	return pub != NULL ? pub->not_before_ms : 0;
}

int64_t ksef_pubkey_not_after(const ksef_pubkey *pub)
{
	return pub != NULL ? pub->not_after_ms : 0;
}

/* ---- RSA-OAEP -------------------------------------------------------- */

/*
 * A context for RSAES-OAEP as KSeF uses it (SPEC 6.2): SHA-256 for the
 * label hash and for MGF1. OpenSSL's default MGF1 digest follows the OAEP
 * digest, but it is set explicitly so no default can change it; the label
 * stays empty.
 */
static int oaep_ctx(EVP_PKEY_CTX **out, EVP_PKEY *key, int encrypt,
		    ksef_error *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);

	if (ctx == NULL ||
	    (encrypt ? EVP_PKEY_encrypt_init(ctx) :
		       EVP_PKEY_decrypt_init(ctx)) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return ksef__error_openssl(err, KSEF_ECRYPTO,
					   "RSA-OAEP cannot be set up");
	}
	*out = ctx;
	return 0;
}

int ksef_rsa_oaep_encrypt(ksef_buf *out, const ksef_pubkey *pub,
			  const unsigned char *data, size_t len,
			  ksef_error *err)
{
	ksef_buf tmp = KSEF_BUF_INIT;
	EVP_PKEY_CTX *ctx;
	size_t olen = 0;
	int error = 0, room;

	if (out == NULL || pub == NULL || data == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"RSA-OAEP encrypt: NULL argument");
	if (len == 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"RSA-OAEP encrypt: nothing to encrypt");
	if (len > KSEF_OAEP_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"RSA-OAEP message is %zu bytes, over the limit of %d "
			"(KSEF_OAEP_MAX_BYTES)", len, KSEF_OAEP_MAX_BYTES);
	room = EVP_PKEY_get_size(pub->key) - OAEP_OVERHEAD;
	if (room < 0 || len > (size_t)room)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"RSA-OAEP message is %zu bytes; an RSA-%d key with "
			"SHA-256 takes at most %d", len,
			EVP_PKEY_get_bits(pub->key), room < 0 ? 0 : room);
	if ((error = oaep_ctx(&ctx, pub->key, 1, err)) < 0)
		return error;
	if (EVP_PKEY_encrypt(ctx, NULL, &olen, data, len) <= 0) {
		error = ksef__error_openssl(err, KSEF_ECRYPTO,
					    "RSA-OAEP encryption failed");
		goto done;
	}
	if ((error = ksef__buf_grow(&tmp, olen, olen)) < 0) {
		ksef__error_set(err, error, "out of memory");
		goto done;
	}
	if (EVP_PKEY_encrypt(ctx, tmp.ptr, &olen, data, len) <= 0) {
		error = ksef__error_openssl(err, KSEF_ECRYPTO,
					    "RSA-OAEP encryption failed");
		goto done;
	}
	tmp.size = olen;
	tmp.ptr[olen] = '\0';
	ksef__buf_swap_in(out, &tmp);
done:
	EVP_PKEY_CTX_free(ctx);
	ksef_buf_dispose(&tmp);
	return error;
}

int ksef_envelope_wrap_key(ksef_buf *out, const ksef_envelope *env,
			   const ksef_pubkey *pub, ksef_error *err)
{
	if (env == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"wrap key: NULL argument");
	return ksef_rsa_oaep_encrypt(out, pub, env->key, sizeof(env->key), err);
}

/* ---- private keys (server side) -------------------------------------- */

int ksef_privkey_load_pem(ksef_privkey **out, const char *pem, size_t len,
			  ksef_error *err)
{
	ksef_privkey *priv;
	EVP_PKEY *key;
	BIO *bio;
	int error;

	if (out == NULL || (pem == NULL && len > 0))
		return ksef__error_set(err, KSEF_EINVAL,
			"private key: NULL argument");
	*out = NULL;
	if (len == 0)
		return ksef__error_set(err, KSEF_EPARSE, "private key is empty");
	/* An RSA-4096 key is about 3.3 kB of PEM; a certificate's bound is
	 * ample and keeps the two loaders alike. */
	if (len > KSEF_CERT_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"private key is %zu bytes, over the limit of %d "
			"(KSEF_CERT_MAX_BYTES)", len, KSEF_CERT_MAX_BYTES);
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (key == NULL)
		return ksef__error_openssl(err, KSEF_EPARSE,
			"PEM holds no unencrypted private key");
	if ((error = check_rsa(key, "private", err)) < 0) {
		EVP_PKEY_free(key);
		return error;
	}
	if ((priv = calloc(1, sizeof(*priv))) == NULL) {
		EVP_PKEY_free(key);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	priv->key = key;
	*out = priv;
	return 0;
}

void ksef_privkey_free(ksef_privkey *priv)
{
	if (priv == NULL)
		return;
	/* OpenSSL clears RSA private components (BN_clear_free) itself. */
	EVP_PKEY_free(priv->key);
	free(priv);
}

int ksef__pem_passphrase(char *buf, int size, int rwflag, void *u)
{
	const char *pass = u;
	size_t n;

	(void)rwflag;
	if (pass == NULL || size <= 0)
		return 0;
	n = strlen(pass);
	if (n > (size_t)size)
		return 0;
	memcpy(buf, pass, n);
	return (int)n;
}

void *ksef__pkey_copy(const void *key)
{
	EVP_PKEY *copy;

	ERR_clear_error();
	copy = EVP_PKEY_dup((EVP_PKEY *)key);
	if (copy != NULL && ERR_peek_error() != 0) {
		EVP_PKEY_free(copy);
		copy = NULL;
	}
	return copy;
}

int ksef_rsa_oaep_decrypt(ksef_buf *out, const ksef_privkey *priv,
			  const unsigned char *data, size_t len,
			  ksef_error *err)
{
	ksef_buf tmp = KSEF_BUF_INIT;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *key;
	size_t olen = 0;
	int error = 0, k;

	if (out == NULL || priv == NULL || (data == NULL && len > 0))
		return ksef__error_set(err, KSEF_EINVAL,
			"RSA-OAEP decrypt: NULL argument");
	/* An RSA ciphertext is exactly as long as the modulus; checking it
	 * first gives a clear message and keeps odd sizes from OpenSSL. */
	k = EVP_PKEY_get_size(priv->key);
	if (k <= 0 || len != (size_t)k)
		return ksef__error_set(err, KSEF_ECRYPTO,
			"RSA-OAEP ciphertext is %zu bytes; this RSA-%d key "
			"needs %d", len, EVP_PKEY_get_bits(priv->key), k);
	/* A copy per call: a failure while OpenSSL renews the key's RSA
	 * blinding would otherwise spoil every later decryption (see
	 * ksef__pkey_copy). */
	if ((key = ksef__pkey_copy(priv->key)) == NULL)
		return ksef__error_openssl(err, KSEF_ENOMEM,
					   "the private key cannot be copied");
	error = oaep_ctx(&ctx, key, 0, err);
	EVP_PKEY_free(key); /* the context holds its own reference */
	if (error < 0)
		return error;
	if (EVP_PKEY_decrypt(ctx, NULL, &olen, data, len) <= 0) {
		error = ksef__error_openssl(err, KSEF_ECRYPTO,
					    "RSA-OAEP decryption failed");
		goto done;
	}
	if ((error = ksef__buf_grow(&tmp, olen, olen)) < 0) {
		ksef__error_set(err, error, "out of memory");
		goto done;
	}
	/* One message for every failure: telling OAEP's checks apart is
	 * what Manger's attack feeds on. */
	if (EVP_PKEY_decrypt(ctx, tmp.ptr, &olen, data, len) <= 0) {
		error = ksef__error_openssl(err, KSEF_ECRYPTO,
			"RSA-OAEP decryption failed (wrong key or corrupted "
			"ciphertext)");
		goto done;
	}
	tmp.size = olen;
	tmp.ptr[olen] = '\0';
	ksef_buf_dispose_secure(out);
	ksef__buf_swap_in(out, &tmp);
done:
	EVP_PKEY_CTX_free(ctx);
	ksef_buf_dispose_secure(&tmp);
	return error;
}

int ksef_envelope_unwrap_key(ksef_envelope **out, const ksef_privkey *priv,
			     const unsigned char *wrapped, size_t wrapped_len,
			     const unsigned char *iv, size_t iv_len,
			     ksef_error *err)
{
	ksef_buf key = KSEF_BUF_INIT;
	int error;

	if (out == NULL || priv == NULL || iv == NULL ||
	    (wrapped == NULL && wrapped_len > 0))
		return ksef__error_set(err, KSEF_EINVAL,
			"unwrap key: NULL argument");
	*out = NULL;
	if (iv_len != KSEF_AES_IV_LEN)
		return ksef__error_set(err, KSEF_EFORMAT,
			"initializationVector is %zu bytes; AES-CBC needs %d",
			iv_len, KSEF_AES_IV_LEN);
	if ((error = ksef_rsa_oaep_decrypt(&key, priv, wrapped, wrapped_len,
					   err)) < 0)
		return error;
	/* A well-formed OAEP message of another length is not an AES-256
	 * key (SPEC 6.2): say so rather than truncate or pad it. */
	if (key.size != KSEF_AES_KEY_LEN)
		error = ksef__error_set(err, KSEF_ECRYPTO,
			"encryptedSymmetricKey unwraps to %zu bytes; AES-256 "
			"needs %d", key.size, KSEF_AES_KEY_LEN);
	else
		error = ksef_envelope_from_key(out, key.ptr, key.size, iv,
					       iv_len, err);
	ksef_buf_dispose_secure(&key);
	return error;
}
