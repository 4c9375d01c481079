/*
 * keys.c - the server's RSA key pairs and their self-signed certificates.
 * It owns key generation, certificate building and the forms a key takes
 * in the API (Base64 DER, certificateId, publicKeyId) and in a store
 * (PKCS#8 PEM). Which keys are current, and their rotation, belong to the
 * callers; the decryption itself is libksef's (ksef_privkey).
 *
 * The real certificates are issued by a qualified CA (SPEC 4.1). Clients
 * take their trust from the TLS connection the list came over, not from
 * the issuer, so a self-signed certificate serves a look-alike as well.
 */
#include "keys.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "ksef/buf.h"
#include "ksef/limits.h"

_Static_assert(KSEF_CERT_MAX_BYTES <= INT_MAX, "d2i and BIO take an int");

/* Base64 of KSEF_CERT_MAX_BYTES bytes of DER. */
#define CERT_B64_MAX (4 * ((KSEF_CERT_MAX_BYTES + 2) / 3))

/* Serial numbers are positive and at most 20 octets (RFC 5280 4.1.2.2);
 * 159 random bits with the top one set fill exactly 20. */
#define SERIAL_BITS 159

#define MS_PER_DAY INT64_C(86400000)

/* Not every time_t can carry a certificate date; X.509 stops at 9999. */
#define MAX_UNIX_MS INT64_C(253402300799000)

/* In ASN.1 order, most general first; RFC 4514 shows it reversed, as
 * "CN=ksefd (KSeF look-alike),O=Ministerstwo Finansów (test),C=PL". */
static const char *const subject_fields[][2] = {
	{ "C", "PL" },
	{ "O", "Ministerstwo Finansów (test)" },
	{ "CN", "ksefd (KSeF look-alike)" },
};

/* The CA's name differs in its CN, so that an issued certificate's
 * issuer names the CA and not one of the encryption keys. */
#define CA_COMMON_NAME "ksefd KSeF CA"

/* Report an OpenSSL failure with its first queued reason, and clear the
 * queue so that it cannot surface in an unrelated later call. */
static int fail_openssl(ksef_error *err, int code, const char *what)
{
	unsigned long e = ERR_peek_error();
	char reason[128];

	if (e != 0) {
		ERR_error_string_n(e, reason, sizeof(reason));
		ksef_error_set(err, code, "%s: %s", what, reason);
	} else {
		ksef_error_set(err, code, "%s", what);
	}
	ERR_clear_error();
	return code;
}

const char *keys_usage_name(unsigned usage_bit)
{
	switch (usage_bit) {
	case KEY_USAGE_SYMMETRIC:
		return "SymmetricKeyEncryption";
	case KEY_USAGE_TOKEN:
		return "KsefTokenEncryption";
	case KEY_USAGE_UPO_SIGNING:
		return "UpoSigning";
	case KEY_USAGE_CA:
		return "CertificateIssuing";
	default:
		return NULL;
	}
}

size_t keys_usage_names(const char *names[2], unsigned mask)
{
	size_t n = 0;

	if (names == NULL)
		return 0;
	/* The order of the OpenAPI enum PublicKeyCertificateUsage. */
	if (mask & KEY_USAGE_TOKEN)
		names[n++] = keys_usage_name(KEY_USAGE_TOKEN);
	if (mask & KEY_USAGE_SYMMETRIC)
		names[n++] = keys_usage_name(KEY_USAGE_SYMMETRIC);
	return n;
}

unsigned keys_usage_from_name(const char *name, size_t len)
{
	static const unsigned bits[] = { KEY_USAGE_SYMMETRIC, KEY_USAGE_TOKEN,
					 KEY_USAGE_UPO_SIGNING, KEY_USAGE_CA };
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		const char *s = keys_usage_name(bits[i]);

		if (strlen(s) == len && memcmp(s, name, len) == 0)
			return bits[i];
	}
	return 0;
}

void keys_free(server_key *key)
{
	if (key == NULL)
		return;
	if (key->key_pem != NULL) {
		OPENSSL_cleanse(key->key_pem, key->key_pem_len);
		free(key->key_pem);
	}
	ksef_privkey_free(key->priv);
	free(key->cert_b64);
	free(key);
}

/* Base64(SHA-256(DER)) of what i2d gave; frees the DER. */
static int hash_der(char out[KSEF_SHA256_B64_LEN + 1], int n,
		    unsigned char *der, const char *what, ksef_error *err)
{
	int error;

	if (n <= 0 || der == NULL)
		return fail_openssl(err, KSEF_ECRYPTO, what);
	error = ksef_sha256_base64(out, der, (size_t)n, err);
	OPENSSL_free(der);
	return error;
}

/* The private key as PKCS#8 PEM in a malloc'd, NUL-terminated string.
 * OpenSSL's secure-memory BIO clears its buffer when it is freed, so the
 * only copy left is the one handed out. */
static int key_to_pem(server_key *key, EVP_PKEY *pkey, ksef_error *err)
{
	BIO *bio;
	char *data = NULL;
	long n;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	if (PEM_write_bio_PKCS8PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
					  NULL) != 1) {
		BIO_free(bio);
		return fail_openssl(err, KSEF_ECRYPTO,
				    "private key cannot be written as PKCS#8");
	}
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || data == NULL) {
		BIO_free(bio);
		return fail_openssl(err, KSEF_ECRYPTO,
				    "private key PEM is empty");
	}
	if ((key->key_pem = malloc((size_t)n + 1)) == NULL) {
		BIO_free(bio);
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	}
	memcpy(key->key_pem, data, (size_t)n);
	key->key_pem[n] = '\0';
	key->key_pem_len = (size_t)n;
	BIO_free(bio);
	return 0;
}

/*
 * Fill everything but the dates and usage from a certificate and its
 * private key: the API's three strings, the PEM and the loaded ksef_privkey.
 * Both generate and load end here, so a generated key and the same key
 * reloaded from a store are identical.
 */
static int fill(server_key *key, X509 *cert, EVP_PKEY *pkey, ksef_error *err)
{
	ksef_buf b64 = KSEF_BUF_INIT;
	unsigned char *der = NULL;
	int error, n;

	if (X509_check_private_key(cert, pkey) != 1) {
		ERR_clear_error();
		return ksef_error_set(err, KSEF_ECHECKSUM, "private key does "
				"not belong to the certificate");
	}

	n = i2d_X509(cert, &der);
	if (n <= 0 || der == NULL)
		return fail_openssl(err, KSEF_ECRYPTO,
				    "certificate cannot be encoded");
	error = ksef_base64_encode(&b64, der, (size_t)n, err);
	if (error == 0)
		error = ksef_sha256_base64(key->certificate_id, der, (size_t)n,
					   err);
	OPENSSL_free(der);
	if (error < 0)
		goto done;
	/* A copy of our own, so that keys_free() need not know how libksef
	 * allocates a ksef_buf. */
	if ((key->cert_b64 = malloc(b64.size + 1)) == NULL) {
		error = ksef_error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(key->cert_b64, b64.ptr, b64.size);
	key->cert_b64[b64.size] = '\0';

	/* publicKeyId hashes the SubjectPublicKeyInfo, as libksef's
	 * ksef_pubkey_id() does on the client side (SPEC 6.3). */
	der = NULL;
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	if ((error = hash_der(key->public_key_id, n, der,
			      "public key cannot be encoded", err)) < 0)
		goto done;

	if ((error = key_to_pem(key, pkey, err)) < 0)
		goto done;
	error = ksef_privkey_load_pem(&key->priv, key->key_pem,
				      key->key_pem_len, err);
done:
	ksef_buf_dispose(&b64);
	return error;
}

static int add_ext(X509 *cert, int nid, const char *value, ksef_error *err)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return fail_openssl(err, KSEF_ECRYPTO,
				    "certificate extension cannot be made");
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	if (!ok)
		return fail_openssl(err, KSEF_ECRYPTO,
				    "certificate extension cannot be added");
	return 0;
}

static int random_serial(X509 *cert, ksef_error *err)
{
	BIGNUM *bn;
	int ok;

	if ((bn = BN_new()) == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	ok = BN_rand(bn, SERIAL_BITS, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
	BN_free(bn);
	if (!ok)
		return fail_openssl(err, KSEF_ECRYPTO,
				    "random serial number cannot be made");
	return 0;
}

static int make_cert(X509 **out, EVP_PKEY *pkey, unsigned usage_mask,
		     int64_t from_s, int64_t to_s,
		     ksef_error *err)
{
	X509 *cert;
	X509_NAME *name;
	size_t i;
	int error;

	if ((cert = X509_new()) == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	if (!X509_set_version(cert, X509_VERSION_3)) {
		error = fail_openssl(err, KSEF_ECRYPTO,
				     "certificate version cannot be set");
		goto fail;
	}
	if ((error = random_serial(cert, err)) < 0)
		goto fail;
	if (ASN1_TIME_set(X509_getm_notBefore(cert), (time_t)from_s) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(cert), (time_t)to_s) == NULL) {
		error = fail_openssl(err, KSEF_ECRYPTO,
				     "certificate validity cannot be set");
		goto fail;
	}
	/* Self-signed: the subject is the issuer. */
	name = X509_get_subject_name(cert);
	for (i = 0; i < sizeof(subject_fields) / sizeof(subject_fields[0]);
	     i++) {
		const char *v = subject_fields[i][1];

		if (usage_mask == KEY_USAGE_CA &&
		    strcmp(subject_fields[i][0], "CN") == 0)
			v = CA_COMMON_NAME;
		if (!X509_NAME_add_entry_by_txt(name, subject_fields[i][0],
				MBSTRING_UTF8, (const unsigned char *)v,
				-1, -1, 0)) {
			error = fail_openssl(err, KSEF_ECRYPTO,
				"certificate subject cannot be set");
			goto fail;
		}
	}
	if (!X509_set_issuer_name(cert, name) || !X509_set_pubkey(cert, pkey)) {
		error = fail_openssl(err, KSEF_ECRYPTO,
				     "certificate issuer or key cannot be set");
		goto fail;
	}
	/* An end-entity key for one job: key transport for the API's keys,
	 * signatures for the UPO key; the CA key signs certificates (and,
	 * should CRLs come, CRLs) and nothing else, and no CA below it. */
	if ((error = add_ext(cert, NID_basic_constraints,
			     usage_mask == KEY_USAGE_CA ?
			     "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE",
			     err)) < 0 ||
	    (error = add_ext(cert, NID_key_usage,
			     usage_mask == KEY_USAGE_CA ?
			     "critical,keyCertSign,cRLSign" :
			     usage_mask == KEY_USAGE_UPO_SIGNING ?
			     "critical,digitalSignature,nonRepudiation" :
			     "critical,keyEncipherment", err)) < 0 ||
	    (error = add_ext(cert, NID_subject_key_identifier, "hash",
			     err)) < 0)
		goto fail;
	if (X509_sign(cert, pkey, EVP_sha256()) <= 0) {
		error = fail_openssl(err, KSEF_ECRYPTO,
				     "certificate cannot be signed");
		goto fail;
	}
	*out = cert;
	return 0;
fail:
	X509_free(cert);
	return error;
}

int keys_generate(server_key **out, unsigned usage_mask, int rsa_bits,
		  int64_t now_ms, int validity_days, ksef_error *err)
{
	server_key *key = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	int64_t from_s, to_s;
	int error;

	if (out == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "keys: NULL argument");
	*out = NULL;
	if (usage_mask == 0 || (usage_mask & ~KEY_USAGE_VALID) != 0 ||
	    ((usage_mask & KEY_USAGE_ALONE) &&
	     (usage_mask & (usage_mask - 1)) != 0))
		return ksef_error_set(err, KSEF_EINVAL, "keys: usage mask 0x%x "
				"is not a set of KEY_USAGE_* bits", usage_mask);
	if (rsa_bits < KEYS_RSA_MIN_BITS || rsa_bits > KEYS_RSA_MAX_BITS)
		return ksef_error_set(err, KSEF_EINVAL, "keys: RSA-%d is "
				"outside %d to %d bits", rsa_bits,
				KEYS_RSA_MIN_BITS, KEYS_RSA_MAX_BITS);
	if (validity_days < 1 || validity_days > KEYS_MAX_VALIDITY_DAYS)
		return ksef_error_set(err, KSEF_EINVAL, "keys: validity of %d "
				"days is outside 1 to %d "
				"(KEYS_MAX_VALIDITY_DAYS)", validity_days,
				KEYS_MAX_VALIDITY_DAYS);
	if (now_ms < 0 ||
	    now_ms > MAX_UNIX_MS - validity_days * MS_PER_DAY)
		return ksef_error_set(err, KSEF_EINVAL, "keys: time %lld ms is "
				"outside what a certificate can carry",
				(long long)now_ms);

	/* X.509 times have whole seconds: round validFrom down so that the
	 * API's dates and the certificate's agree. */
	from_s = now_ms / 1000;
	to_s = from_s + (int64_t)validity_days * 86400;

	if ((pkey = EVP_RSA_gen((unsigned)rsa_bits)) == NULL)
		return fail_openssl(err, KSEF_ECRYPTO,
				    "RSA key cannot be generated");
	if ((error = make_cert(&cert, pkey, usage_mask, from_s, to_s,
			       err)) < 0)
		goto done;
	if ((key = calloc(1, sizeof(*key))) == NULL) {
		error = ksef_error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	key->usage = usage_mask;
	key->valid_from_ms = from_s * 1000;
	key->valid_to_ms = to_s * 1000;
	if ((error = fill(key, cert, pkey, err)) < 0)
		goto done;
	*out = key;
	key = NULL;
done:
	keys_free(key);
	X509_free(cert);
	EVP_PKEY_free(pkey); /* clears the private components */
	return error;
}

static int read_cert(X509 **out, const char *b64, size_t len, ksef_error *err)
{
	ksef_buf der = KSEF_BUF_INIT;
	const unsigned char *p;
	ksef_error berr;
	X509 *cert;

	if (ksef_base64_decode(&der, b64, len, KSEF_CERT_MAX_BYTES, &berr) < 0)
		return ksef_error_set(err, KSEF_EPARSE, "stored certificate is "
				"not Base64: %s", berr.message);
	p = der.ptr;
	cert = der.size > 0 ? d2i_X509(NULL, &p, (long)der.size) : NULL;
	if (cert == NULL) {
		ksef_buf_dispose(&der);
		return fail_openssl(err, KSEF_EPARSE,
				    "stored certificate is not DER X.509");
	}
	if (p != der.ptr + der.size) {
		X509_free(cert);
		ksef_buf_dispose(&der);
		return ksef_error_set(err, KSEF_EPARSE, "stored certificate "
				"has bytes after its DER");
	}
	ksef_buf_dispose(&der);
	*out = cert;
	return 0;
}

/* No passphrase prompt on the terminal: encrypted keys are refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return -1;
}

int keys_load(server_key **out, unsigned usage_mask, const char *cert_b64,
	      const char *key_pem, int64_t valid_from_ms, int64_t valid_to_ms,
	      ksef_error *err)
{
	server_key *key = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	size_t cert_len, pem_len;
	BIO *bio;
	int error;

	if (out == NULL || cert_b64 == NULL || key_pem == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "keys: NULL argument");
	*out = NULL;
	if (usage_mask == 0 || (usage_mask & ~KEY_USAGE_VALID) != 0 ||
	    ((usage_mask & KEY_USAGE_ALONE) &&
	     (usage_mask & (usage_mask - 1)) != 0))
		return ksef_error_set(err, KSEF_EINVAL, "keys: usage mask 0x%x "
				"is not a set of KEY_USAGE_* bits", usage_mask);
	if (valid_from_ms >= valid_to_ms)
		return ksef_error_set(err, KSEF_EINVAL, "keys: validFrom is "
				"not before validTo");
	cert_len = strnlen(cert_b64, CERT_B64_MAX + 1);
	if (cert_len > CERT_B64_MAX)
		return ksef_error_set(err, KSEF_ETOOBIG, "stored certificate "
				"is over %d Base64 characters "
				"(KSEF_CERT_MAX_BYTES)", CERT_B64_MAX);
	pem_len = strnlen(key_pem, KSEF_CERT_MAX_BYTES + 1);
	if (pem_len > KSEF_CERT_MAX_BYTES)
		return ksef_error_set(err, KSEF_ETOOBIG, "stored private key "
				"is over %d bytes (KSEF_CERT_MAX_BYTES)",
				KSEF_CERT_MAX_BYTES);

	if ((error = read_cert(&cert, cert_b64, cert_len, err)) < 0)
		return error;
	if ((bio = BIO_new_mem_buf(key_pem, (int)pem_len)) == NULL) {
		error = ksef_error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		error = fail_openssl(err, KSEF_EPARSE, "stored private key is "
				     "no unencrypted PEM private key");
		goto done;
	}
	if (!EVP_PKEY_is_a(pkey, "RSA") ||
	    EVP_PKEY_get_bits(pkey) < KEYS_RSA_MIN_BITS) {
		error = ksef_error_set(err, KSEF_EFORMAT, "stored private key "
				"is not RSA of at least %d bits",
				KEYS_RSA_MIN_BITS);
		goto done;
	}
	if ((key = calloc(1, sizeof(*key))) == NULL) {
		error = ksef_error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	key->usage = usage_mask;
	key->valid_from_ms = valid_from_ms;
	key->valid_to_ms = valid_to_ms;
	if ((error = fill(key, cert, pkey, err)) < 0)
		goto done;
	*out = key;
	key = NULL;
done:
	keys_free(key);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return error;
}
