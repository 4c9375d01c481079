/*
 * qr_cert.c - owns KOD II (ksef-docs kody-qr.md section 2): the Offline
 * certificate's signer, the text a link signs, signing it, reading a link
 * back strictly and verifying it against a certificate. The base's rules
 * are qr_link.c's (qr_int.h); drawing the code is qr_render.c's.
 *
 * The algorithms are the document's, "Algorytmy podpisu": RSASSA-PSS with
 * SHA-256, MGF1 with SHA-256 and a 32-byte salt, keys of 2048 bits or
 * more; ECDSA on NIST P-256 with SHA-256, the signature as IEEE P1363
 * r || s ("rekomendowany") or ASN.1 DER (RFC 3279). Verification takes
 * both ECDSA forms, told apart by length: P1363 is always 64 bytes, and a
 * DER SEQUENCE of two P-256 integers never is (it is 8 to 72 bytes, and a
 * 64-byte string starting 0x30 0x3e would need integers of 60 bytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "ksef/limits.h"
#include "ksef/qr_cert.h"
#include "internal.h"
#include "qr_int.h"

#define CERT_SEGMENT "/certificate/"
/* kody-qr.md 2: "Długość losowej domieszki (soli): 32 bajty". */
#define PSS_SALT_LEN 32
/* P-256: r and s are 32 bytes each. */
#define P256_HALF 32
/* Base64URL of the longest signature, without padding. */
#define SIG_B64_MAX ((KSEF_QR_CERT_SIG_MAX * 4 + 2) / 3)

struct ksef_qr_signer {
	EVP_PKEY *key;
	int ec; /* 0 RSA, 1 ECDSA P-256 */
	char serial[KSEF_QR_CERT_SERIAL_BUFSZ];
};

static const char *const ctx_names[] = {
	"Nip", "InternalId", "NipVatUe", "PeppolId"
};

/* ---- Base64URL (RFC 4648 section 5, no padding; encoding.h) ---------- */

static int b64url_put(ksef_buf *b, const unsigned char *in, size_t n,
		      size_t max)
{
	ksef_buf text = KSEF_BUF_INIT;
	int error;

	if ((error = ksef_base64url_encode(&text, in, n, NULL)) == 0)
		error = ksef__buf_put(b, text.ptr, text.size, max);
	ksef_buf_dispose(&text);
	return error;
}

/* Strict (one spelling a value): the byte count, or -1. */
static long b64url_decode(unsigned char *out, size_t cap, const char *s,
			  size_t n)
{
	ksef_buf bytes = KSEF_BUF_INIT;
	long k = -1;

	if (ksef_base64url_decode(&bytes, s, n, cap, NULL) == 0) {
		memcpy(out, bytes.ptr, bytes.size);
		k = (long)bytes.size;
	}
	ksef_buf_dispose(&bytes);
	return k;
}

/* ---- the parts ------------------------------------------------------- */

static int url_safe(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static int hex_only(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'A' && s[i] <= 'F') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int check_context(ksef_context_type type, const char *v, size_t n,
			 ksef_error *err)
{
	if ((unsigned)type >= sizeof(ctx_names) / sizeof(ctx_names[0]))
		return ksef__error_set(err, KSEF_EINVAL, "unknown context "
				       "type %d", (int)type);
	if (n == 0 || n > KSEF_QR_CONTEXT_MAX || !url_safe(v, n))
		return ksef__error_set(err, KSEF_EFORMAT, "the context value "
			"must be 1 to %d of A-Z, a-z, 0-9 and '-'",
			KSEF_QR_CONTEXT_MAX);
	if (type == KSEF_CONTEXT_NIP &&
	    (n != KSEF_NIP_LEN || ksef_nip_validate_pattern(v, n, NULL) != 0))
		return ksef__error_set(err, KSEF_EFORMAT, "a Nip context "
				       "value must be a NIP");
	return 0;
}

/* The bounded string fields of a caller's ref, checked. */
static int check_ref(const ksef_qr_cert_ref *ref, int need_serial,
		     ksef_error *err)
{
	size_t n;
	int error;

	if (memchr(ref->context_value, '\0', sizeof(ref->context_value)) ==
	    NULL || memchr(ref->seller_nip, '\0', sizeof(ref->seller_nip)) ==
	    NULL || memchr(ref->cert_serial, '\0',
			   sizeof(ref->cert_serial)) == NULL)
		return ksef__error_set(err, KSEF_EFORMAT, "a field of the "
				       "reference is not NUL-terminated");
	if ((error = check_context(ref->context_type, ref->context_value,
				   strlen(ref->context_value), err)) != 0)
		return error;
	if (strlen(ref->seller_nip) != KSEF_NIP_LEN ||
	    ksef_nip_validate_pattern(ref->seller_nip, KSEF_NIP_LEN,
				      NULL) != 0)
		return ksef__error_set(err, KSEF_EFORMAT, "the seller's NIP "
				       "is not 10 digits of a NIP's pattern");
	n = strlen(ref->cert_serial);
	if ((need_serial || n > 0) && (n == 0 ||
	    !hex_only(ref->cert_serial, n)))
		return ksef__error_set(err, KSEF_EFORMAT, "the certificate's "
			"serial number must be 1 to %d hex digits",
			KSEF_QR_CERT_SERIAL_MAX);
	return 0;
}

/* The base without its scheme: where the signed text starts. */
static size_t scheme_len(const char *base)
{
	return strncmp(base, "https://", 8) == 0 ? 8 : 7;
}

/* base + the five named segments, the hash in Base64URL; the serial in
 * upper case. 0, KSEF_ETOOBIG past KSEF_QR_TEXT_MAX, or KSEF_ENOMEM. */
static int put_unsigned(ksef_buf *b, const char *base, size_t n,
			const ksef_qr_cert_ref *ref, const char *serial)
{
	char up[KSEF_QR_CERT_SERIAL_BUFSZ];
	size_t i;
	int error;

	for (i = 0; serial[i] != '\0'; i++)
		up[i] = (char)(serial[i] >= 'a' && serial[i] <= 'f' ?
			       serial[i] - 'a' + 'A' : serial[i]);
	up[i] = '\0';
	if ((error = ksef__buf_put(b, base, n, KSEF_QR_TEXT_MAX)) != 0 ||
	    (error = ksef__buf_printf(b, KSEF_QR_TEXT_MAX, CERT_SEGMENT
			"%s/%s/%s/%s/", ctx_names[ref->context_type],
			ref->context_value, ref->seller_nip, up)) != 0)
		return error;
	return b64url_put(b, ref->sha256, KSEF_SHA256_LEN, KSEF_QR_TEXT_MAX);
}

/* A failure of put_unsigned() or b64url_put(), told. */
static int put_failed(ksef_error *err, int error)
{
	return error == KSEF_ETOOBIG ?
		ksef__error_set(err, KSEF_ETOOBIG, "the link would be over "
				"KSEF_QR_TEXT_MAX (%d bytes)", KSEF_QR_TEXT_MAX) :
		ksef__error_set(err, KSEF_ENOMEM, "out of memory");
}

/* A base checked, with a host after its scheme. */
static int checked_base(size_t *n, const char *base, ksef_error *err)
{
	int error;

	if ((*n = ksef__qr_base_len(base, err, &error)) == 0)
		return error ? error : ksef__error_set(err, KSEF_EINVAL,
			"empty base URL");
	if (*n <= scheme_len(base) || base[scheme_len(base)] == '/')
		return ksef__error_set(err, KSEF_EINVAL, "the base URL has no "
				       "host");
	return 0;
}

int ksef_qr_cert_signed_text(ksef_buf *out, const char *base,
			     const ksef_qr_cert_ref *ref, ksef_error *err)
{
	ksef_buf b = KSEF_BUF_INIT;
	size_t n, s;
	int error;

	if (out == NULL || ref == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output buffer or "
				       "no reference given");
	if ((error = checked_base(&n, base, err)) != 0 ||
	    (error = check_ref(ref, 1, err)) != 0)
		return error;
	s = scheme_len(base);
	if ((error = put_unsigned(&b, base + s, n - s, ref,
				  ref->cert_serial)) != 0) {
		ksef_buf_dispose(&b);
		return put_failed(err, error);
	}
	ksef__buf_swap_in(out, &b);
	return 0;
}

static int assemble(ksef_buf *out, const char *base, size_t n,
		    const ksef_qr_cert_ref *ref, const char *serial,
		    const unsigned char *sig, size_t sig_len, ksef_error *err)
{
	ksef_buf b = KSEF_BUF_INIT;
	int error;

	if ((error = put_unsigned(&b, base, n, ref, serial)) != 0 ||
	    (error = ksef__buf_put(&b, "/", 1, KSEF_QR_TEXT_MAX)) != 0 ||
	    (error = b64url_put(&b, sig, sig_len, KSEF_QR_TEXT_MAX)) != 0) {
		ksef_buf_dispose(&b);
		return put_failed(err, error);
	}
	ksef__buf_swap_in(out, &b);
	return 0;
}

int ksef_qr_cert_link_assemble(ksef_buf *out, const char *base,
			       const ksef_qr_cert_ref *ref,
			       const unsigned char *sig, size_t sig_len,
			       ksef_error *err)
{
	size_t n;
	int error;

	if (out == NULL || ref == NULL || sig == NULL || sig_len == 0)
		return ksef__error_set(err, KSEF_EINVAL, "no output, reference "
				       "or signature given");
	if (sig_len > KSEF_QR_CERT_SIG_MAX)
		return ksef__error_set(err, KSEF_ETOOBIG, "the signature is "
			"over KSEF_QR_CERT_SIG_MAX (%d bytes)",
			KSEF_QR_CERT_SIG_MAX);
	if ((error = checked_base(&n, base, err)) != 0 ||
	    (error = check_ref(ref, 1, err)) != 0)
		return error;
	return assemble(out, base, n, ref, ref->cert_serial, sig, sig_len,
			err);
}

/* ---- keys and certificates ------------------------------------------- */

/* Whether the bytes hold the PEM armour anywhere. */
static int has_armour(const unsigned char *data, size_t len)
{
	static const char armour[] = "-----BEGIN";
	const size_t n = sizeof(armour) - 1;
	size_t i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(data + i, armour, n) == 0)
			return 1;
	return 0;
}

/* A certificate in PEM (by its armour) or DER. */
static int read_cert(X509 **out, const unsigned char *data, size_t len,
		     ksef_error *err)
{
	const unsigned char *p = data;
	X509 *x = NULL;
	BIO *bio;

	if (data == NULL || len == 0)
		return ksef__error_set(err, KSEF_EINVAL, "no certificate");
	if (len > KSEF_CERT_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG, "the certificate is "
			"over KSEF_CERT_MAX_BYTES (%d)", KSEF_CERT_MAX_BYTES);
	ERR_clear_error();
	if (has_armour(data, len)) {
		if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		x = PEM_read_bio_X509(bio, NULL, ksef__pem_passphrase, NULL);
		BIO_free(bio);
	} else {
		x = d2i_X509(NULL, &p, (long)len);
		if (x != NULL && p != data + len) {
			X509_free(x);
			x = NULL;
		}
	}
	if (x == NULL)
		return ksef__error_openssl(err, KSEF_EPARSE, "cannot read the "
					   "certificate (PEM or DER)");
	*out = x;
	return 0;
}

/* RSA of 2048 to 4096 bits, or EC on P-256: 0 for RSA, 1 for EC, or a
 * KSEF_EFORMAT failure. */
static int key_kind(EVP_PKEY *key, ksef_error *err)
{
	char group[64];
	size_t glen = 0;
	int bits = EVP_PKEY_get_bits(key), nid;

	if (EVP_PKEY_is_a(key, "RSA")) {
		if (bits < KSEF_QR_CERT_RSA_MIN_BITS ||
		    bits > KSEF_QR_CERT_RSA_MAX_BITS)
			return ksef__error_set(err, KSEF_EFORMAT, "the RSA key "
				"has %d bits; KOD II takes %d to %d", bits,
				KSEF_QR_CERT_RSA_MIN_BITS,
				KSEF_QR_CERT_RSA_MAX_BITS);
		return 0;
	}
	if (EVP_PKEY_is_a(key, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(key,
				OSSL_PKEY_PARAM_GROUP_NAME, group,
				sizeof(group), &glen)) {
			if (ksef__openssl_nomem())
				return ksef__error_openssl(err, KSEF_ENOMEM,
							   "out of memory");
			ERR_clear_error();
			return ksef__error_set(err, KSEF_EFORMAT, "the EC key "
					       "names no curve");
		}
		nid = OBJ_sn2nid(group);
		if (nid == NID_undef)
			nid = EC_curve_nist2nid(group);
		if (nid != NID_X9_62_prime256v1)
			return ksef__error_set(err, KSEF_EFORMAT, "the EC key "
				"is on %.40s; KOD II takes P-256 only", group);
		return 1;
	}
	return ksef__error_set(err, KSEF_EFORMAT, "the key is neither RSA "
			       "nor EC; KOD II takes those only");
}

/* The serial number in upper-case hex, whole bytes. */
static int serial_hex(char out[KSEF_QR_CERT_SERIAL_BUFSZ], X509 *x,
		      ksef_error *err)
{
	const ASN1_INTEGER *ai = X509_get0_serialNumber(x);
	BIGNUM *bn = ai ? ASN1_INTEGER_to_BN(ai, NULL) : NULL;
	char *hex;
	size_t n;

	if (bn == NULL)
		return ksef__error_openssl(err, KSEF_EPARSE, "cannot read "
					   "the certificate's serial number");
	if (BN_is_negative(bn)) {
		BN_free(bn);
		return ksef__error_set(err, KSEF_EFORMAT, "the certificate's "
				       "serial number is negative");
	}
	hex = BN_bn2hex(bn);
	BN_free(bn);
	if (hex == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	/* BN_bn2hex writes whole bytes, and "0" for zero. */
	n = strlen(hex);
	if (n > KSEF_QR_CERT_SERIAL_MAX) {
		OPENSSL_free(hex);
		return ksef__error_set(err, KSEF_EFORMAT, "the certificate's "
			"serial number is over %d hex digits",
			KSEF_QR_CERT_SERIAL_MAX);
	}
	if (n == 1)
		snprintf(out, KSEF_QR_CERT_SERIAL_BUFSZ, "0%s", hex);
	else
		memcpy(out, hex, n + 1);
	OPENSSL_free(hex);
	return 0;
}

int ksef_qr_signer_new(ksef_qr_signer **out, const unsigned char *key_pem,
		       size_t key_len, const unsigned char *cert,
		       size_t cert_len, const char *passphrase,
		       ksef_error *err)
{
	ksef_qr_signer *s = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	BIO *bio;
	int error, kind;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output pointer");
	*out = NULL;
	if (key_pem == NULL || key_len == 0)
		return ksef__error_set(err, KSEF_EINVAL, "no key");
	if (key_len > KSEF_CERT_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG, "the key is over "
			"KSEF_CERT_MAX_BYTES (%d)", KSEF_CERT_MAX_BYTES);
	if ((error = read_cert(&x, cert, cert_len, err)) != 0)
		return error;
	ERR_clear_error();
	if ((bio = BIO_new_mem_buf(key_pem, (int)key_len)) == NULL) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, ksef__pem_passphrase,
				      (void *)passphrase);
	BIO_free(bio);
	if (key == NULL) {
		error = ksef__error_openssl(err, KSEF_EPARSE, passphrase ?
			"cannot read the PEM private key (or the passphrase "
			"is wrong)" : "cannot read the PEM private key");
		goto done;
	}
	if ((kind = key_kind(key, err)) < 0) {
		error = kind;
		goto done;
	}
	if (X509_check_private_key(x, key) != 1) {
		/* Comparing the keys allocates: a failure there is not a
		 * mismatch. */
		error = ksef__openssl_nomem() ?
			ksef__error_openssl(err, KSEF_ENOMEM, "out of memory") :
			ksef__error_set(err, KSEF_EFORMAT, "the private key "
					"does not belong to the certificate");
		ERR_clear_error();
		goto done;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = serial_hex(s->serial, x, err)) != 0)
		goto done;
	s->key = key;
	s->ec = kind;
	key = NULL;
	*out = s;
	s = NULL;
done:
	free(s);
	EVP_PKEY_free(key);
	X509_free(x);
	return error;
}

void ksef_qr_signer_free(ksef_qr_signer *signer)
{
	if (signer == NULL)
		return;
	/* EVP_PKEY_free clears the key material as it frees it. */
	EVP_PKEY_free(signer->key);
	free(signer);
}

const char *ksef_qr_signer_serial(const ksef_qr_signer *signer)
{
	return signer ? signer->serial : NULL;
}

/* ---- signing and verifying ------------------------------------------- */

/* The PSS parameters of kody-qr.md 2 on a signing or verifying context. */
static int set_pss(EVP_PKEY_CTX *pctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, PSS_SALT_LEN) > 0;
}

/* DER ECDSA-Sig-Value to r || s, 32 bytes each. */
static int der_to_p1363(unsigned char out[2 * P256_HALF],
			const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *s;
	int ok;

	if (sig == NULL)
		return -1;
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, out, P256_HALF) == P256_HALF &&
	     BN_bn2binpad(s, out + P256_HALF, P256_HALF) == P256_HALF;
	ECDSA_SIG_free(sig);
	return ok ? 0 : -1;
}

/* r || s back to DER, for OpenSSL's verifier. */
static int p1363_to_der(ksef_buf *out, const unsigned char *rs)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, P256_HALF, NULL);
	BIGNUM *s = BN_bin2bn(rs + P256_HALF, P256_HALF, NULL);
	unsigned char *der = NULL;
	int n = -1;

	if (sig != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(sig, r, s)) {
		r = s = NULL; /* the signature's now */
		n = i2d_ECDSA_SIG(sig, &der);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	if (n <= 0 || ksef_buf_append(out, der, (size_t)n, 256) != 0) {
		OPENSSL_free(der);
		return -1;
	}
	OPENSSL_free(der);
	return 0;
}

static int sign(ksef_buf *sig_out, const ksef_qr_signer *signer,
		const ksef_buf *text, unsigned flags, ksef_error *err)
{
	unsigned char sig[KSEF_QR_CERT_SIG_MAX + 16], rs[2 * P256_HALF];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *key;
	int error = 0;

	/* A copy per signature (internal.h: RSA blinding after a failed
	 * allocation). */
	if ((key = ksef__pkey_copy(signer->key)) == NULL)
		return ksef__error_openssl(err, KSEF_ENOMEM, "cannot copy the "
					   "key");
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, key) != 1 ||
	    (!signer->ec && !set_pss(pctx)) ||
	    EVP_DigestSign(md, sig, &sig_len, text->ptr, text->size) != 1) {
		error = ksef__error_openssl(err, KSEF_ECRYPTO, "cannot sign "
					    "the link");
		goto done;
	}
	if (signer->ec && !(flags & KSEF_QR_CERT_ECDSA_DER)) {
		if (der_to_p1363(rs, sig, sig_len) != 0) {
			error = ksef__error_openssl(err, KSEF_ECRYPTO, "cannot "
				"convert the ECDSA signature to P1363");
			goto done;
		}
		memcpy(sig, rs, sizeof(rs));
		sig_len = sizeof(rs);
	}
	if (ksef_buf_append(sig_out, sig, sig_len, KSEF_QR_CERT_SIG_MAX) != 0)
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
done:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return error;
}

int ksef_qr_cert_link(ksef_buf *out, const char *base,
		      const ksef_qr_cert_ref *ref,
		      const ksef_qr_signer *signer, unsigned flags,
		      ksef_error *err)
{
	ksef_buf text = KSEF_BUF_INIT, sig = KSEF_BUF_INIT;
	ksef_qr_cert_ref r;
	size_t n, s;
	int error;

	if (out == NULL || ref == NULL || signer == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output, reference "
				       "or signer given");
	if (flags & ~KSEF_QR_CERT_ECDSA_DER)
		return ksef__error_set(err, KSEF_EINVAL, "unknown flags 0x%x",
				       flags);
	if ((error = checked_base(&n, base, err)) != 0 ||
	    (error = check_ref(ref, 0, err)) != 0)
		return error;
	if (ref->cert_serial[0] != '\0' &&
	    strcasecmp(ref->cert_serial, signer->serial) != 0)
		return ksef__error_set(err, KSEF_EINVAL, "the serial number "
			"given is not the signer's certificate's (%s)",
			signer->serial);
	r = *ref;
	memcpy(r.cert_serial, signer->serial, sizeof(r.cert_serial));
	s = scheme_len(base);
	if ((error = put_unsigned(&text, base + s, n - s, &r,
				  r.cert_serial)) != 0) {
		ksef_buf_dispose(&text);
		return put_failed(err, error);
	}
	if ((error = sign(&sig, signer, &text, flags, err)) == 0)
		error = assemble(out, base, n, &r, r.cert_serial, sig.ptr,
				 sig.size, err);
	ksef_buf_dispose(&text);
	ksef_buf_dispose(&sig);
	return error;
}

/* ---- reading a link back --------------------------------------------- */

/* Where the link's parts are, once ksef_qr_cert_link_parse() read it. */
struct parsed {
	ksef_qr_cert_ref ref;
	size_t text_start, text_end; /* the signed text */
	unsigned char sig[KSEF_QR_CERT_SIG_MAX];
	size_t sig_len;
};

static int parse(struct parsed *p, const char *link, size_t len,
		 ksef_error *err)
{
	const char *seg[7];
	size_t seglen[7], s, i, end = len;
	long k;
	int t;

	if (link == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no link");
	if (len > KSEF_QR_TEXT_MAX)
		return ksef__error_set(err, KSEF_ETOOBIG, "the link is over "
			"KSEF_QR_TEXT_MAX (%d bytes)", KSEF_QR_TEXT_MAX);
	memset(p, 0, sizeof(*p));
	if (len > 8 && memcmp(link, "https://", 8) == 0)
		s = 8;
	else if (len > 7 && memcmp(link, "http://", 7) == 0)
		s = 7;
	else
		return ksef__error_set(err, KSEF_EFORMAT, "not an http(s) "
				       "link");
	for (i = s; i < len; i++)
		if ((unsigned char)link[i] <= 0x20 ||
		    (unsigned char)link[i] >= 0x7f || link[i] == '?' ||
		    link[i] == '#')
			return ksef__error_set(err, KSEF_EFORMAT, "the link has "
				"a character it cannot carry at byte %zu", i);
	/* The last seven segments, from the end. */
	for (t = 6; t >= 0; t--) {
		i = end;
		while (i > s && link[i - 1] != '/')
			i--;
		if (i <= s)
			return ksef__error_set(err, KSEF_EFORMAT, "not a link "
				"of the form .../certificate/TYPE/CONTEXT/NIP/"
				"SERIAL/HASH/SIGNATURE");
		seg[t] = link + i;
		seglen[t] = end - i;
		end = i - 1;
	}
	/* Something of a host must come before "/certificate", and not a
	 * '/': a base's final '/' is not written (ksef_qr_invoice_link()'s
	 * rule), so "//certificate" is no link's spelling. */
	if (end <= s || link[s] == '/' || link[end - 1] == '/' ||
	    seglen[0] != 11 ||
	    memcmp(seg[0], "certificate", 11) != 0)
		return ksef__error_set(err, KSEF_EFORMAT, "not a link of the "
			"form HOST/certificate/TYPE/CONTEXT/NIP/SERIAL/HASH/"
			"SIGNATURE");
	for (t = 0; t < 4; t++)
		if (strlen(ctx_names[t]) == seglen[1] &&
		    memcmp(ctx_names[t], seg[1], seglen[1]) == 0)
			break;
	if (t == 4)
		return ksef__error_set(err, KSEF_EFORMAT, "unknown context "
			"type (Nip, InternalId, NipVatUe or PeppolId)");
	p->ref.context_type = (ksef_context_type)t;
	if (check_context(p->ref.context_type, seg[2], seglen[2], err) != 0)
		return ksef__error_set(err, KSEF_EFORMAT, "the link's context "
			"value is not one of its type");
	memcpy(p->ref.context_value, seg[2], seglen[2]);
	if (seglen[3] != KSEF_NIP_LEN ||
	    ksef_nip_validate_pattern(seg[3], KSEF_NIP_LEN, NULL) != 0)
		return ksef__error_set(err, KSEF_EFORMAT, "the link's seller "
				       "NIP is not a NIP");
	memcpy(p->ref.seller_nip, seg[3], KSEF_NIP_LEN);
	/* The serial as ksef_qr_cert_link() writes it: upper case. */
	if (seglen[4] == 0 || seglen[4] > KSEF_QR_CERT_SERIAL_MAX ||
	    !hex_only(seg[4], seglen[4]))
		return ksef__error_set(err, KSEF_EFORMAT, "the link's serial "
			"number is not 1 to %d hex digits",
			KSEF_QR_CERT_SERIAL_MAX);
	for (i = 0; i < seglen[4]; i++)
		if (seg[4][i] >= 'a' && seg[4][i] <= 'f')
			return ksef__error_set(err, KSEF_EFORMAT, "the link's "
				"serial number is not in upper case");
	memcpy(p->ref.cert_serial, seg[4], seglen[4]);
	if (seglen[5] != KSEF_SHA256_B64URL_LEN ||
	    b64url_decode(p->ref.sha256, sizeof(p->ref.sha256), seg[5],
			  seglen[5]) != KSEF_SHA256_LEN)
		return ksef__error_set(err, KSEF_EFORMAT, "the link's hash is "
				       "not a SHA-256 in Base64URL");
	if (seglen[6] == 0 || seglen[6] > SIG_B64_MAX ||
	    (k = b64url_decode(p->sig, sizeof(p->sig), seg[6],
			       seglen[6])) <= 0)
		return ksef__error_set(err, KSEF_EFORMAT, "the link's signature "
			"is not Base64URL of 1 to %d bytes",
			KSEF_QR_CERT_SIG_MAX);
	p->sig_len = (size_t)k;
	p->text_start = s;
	p->text_end = (size_t)(seg[6] - link) - 1;
	return 0;
}

int ksef_qr_cert_link_parse(ksef_qr_cert_ref *out, ksef_buf *sig_out,
			    const char *link, size_t len, ksef_error *err)
{
	struct parsed p;
	ksef_buf b = KSEF_BUF_INIT;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output");
	if ((error = parse(&p, link, len, err)) != 0)
		return error;
	if (sig_out != NULL) {
		if (ksef_buf_append(&b, p.sig, p.sig_len,
				    KSEF_QR_CERT_SIG_MAX) != 0)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		ksef__buf_swap_in(sig_out, &b);
	}
	*out = p.ref;
	return 0;
}

static int verify_sig(EVP_PKEY *key, int ec, const struct parsed *p,
		      const char *link, ksef_error *err)
{
	ksef_buf der = KSEF_BUF_INIT;
	const unsigned char *sig = p->sig, *q;
	size_t sig_len = p->sig_len;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	ECDSA_SIG *es = NULL;
	unsigned char *re = NULL;
	int error = 0, rc, n;

	if (ec && sig_len == 2 * P256_HALF) {
		if (p1363_to_der(&der, p->sig) != 0) {
			error = ksef__error_openssl(err, KSEF_ENOMEM,
				"cannot convert the P1363 signature");
			goto done;
		}
		sig = der.ptr;
		sig_len = der.size;
	} else if (ec) {
		/* DER must be DER: re-encoding gives the same bytes, so that
		 * one signature has one spelling in a link. */
		q = p->sig;
		es = d2i_ECDSA_SIG(NULL, &q, (long)p->sig_len);
		n = es ? i2d_ECDSA_SIG(es, &re) : -1;
		if (es == NULL || q != p->sig + p->sig_len || n < 0 ||
		    (size_t)n != p->sig_len || memcmp(re, p->sig, n) != 0) {
			ERR_clear_error();
			error = ksef__error_set(err, KSEF_ECHECKSUM, "the "
				"signature is neither P1363 nor DER ECDSA");
			goto done;
		}
	}
	ERR_clear_error();
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key) != 1 ||
	    (!ec && !set_pss(pctx))) {
		error = ksef__error_openssl(err, KSEF_ECRYPTO, "cannot set up "
					    "the verification");
		goto done;
	}
	rc = EVP_DigestVerify(md, sig, sig_len,
			      (const unsigned char *)link + p->text_start,
			      p->text_end - p->text_start);
	if (rc != 1) {
		error = ksef__openssl_nomem() ?
			ksef__error_openssl(err, KSEF_ENOMEM, "out of memory") :
			ksef__error_set(err, KSEF_ECHECKSUM, "the link's "
				"signature does not verify with the "
				"certificate's key (%s)", ec ? "ECDSA P-256" :
				"RSASSA-PSS");
		ERR_clear_error();
	}
done:
	OPENSSL_free(re);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	ksef_buf_dispose(&der);
	return error;
}

int ksef_qr_cert_verify(ksef_qr_cert_ref *out, const char *link,
			size_t len, const unsigned char *cert,
			size_t cert_len, ksef_error *err)
{
	struct parsed p;
	char serial[KSEF_QR_CERT_SERIAL_BUFSZ];
	X509 *x = NULL;
	EVP_PKEY *key;
	int error, kind;

	if ((error = parse(&p, link, len, err)) != 0 ||
	    (error = read_cert(&x, cert, cert_len, err)) != 0)
		return error;
	if ((error = serial_hex(serial, x, err)) != 0)
		goto done;
	if (strcmp(serial, p.ref.cert_serial) != 0) {
		error = ksef__error_set(err, KSEF_ENOTFOUND, "the link names "
			"certificate %s, not this one (%s)",
			p.ref.cert_serial, serial);
		goto done;
	}
	if ((key = X509_get0_pubkey(x)) == NULL) {
		error = ksef__error_openssl(err, KSEF_EPARSE, "cannot read "
					    "the certificate's key");
		goto done;
	}
	if ((kind = key_kind(key, err)) < 0) {
		error = kind;
		goto done;
	}
	if ((error = verify_sig(key, kind, &p, link, err)) == 0 && out != NULL)
		*out = p.ref;
done:
	X509_free(x);
	return error;
}
