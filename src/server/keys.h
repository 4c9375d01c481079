/*
 * keys.h - the server's encryption key pairs: what GET /security/public-
 * key-certificates lists (SPEC 4.1) and what unwraps the keys and tokens
 * clients encrypt to them (SPEC 6.2-6.4).
 *
 * Ownership: a server_key is made by keys_generate() or keys_load() and
 * destroyed by keys_free(), which wipes its private key. Its fields are
 * for reading only; strings in it live as long as the key.
 *
 * Threads: a made key is never changed, so any number of threads may read
 * it and decrypt with its ksef_privkey at once (OpenSSL's EVP_PKEY is safe
 * for concurrent use); freeing it must wait until they are done.
 */
#ifndef KSEFD_KEYS_H
#define KSEFD_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include "ksef/encoding.h"
#include "ksef/envelope.h"
#include "ksef/error.h"

/** usage "SymmetricKeyEncryption": wraps the AES key of a session. */
#define KEY_USAGE_SYMMETRIC 0x1u
/** usage "KsefTokenEncryption": encrypts "{token}|{timestampMs}". */
#define KEY_USAGE_TOKEN 0x2u
/** Every usage there is; other bits are refused. */
/** Signing UPO receipts (XAdES): not an API usage, never listed by
 *  GET /security/public-key-certificates; alone in its key. */
#define KEY_USAGE_UPO_SIGNING 0x10u
/** Issuing KSeF certificates (certyfikaty-KSeF.md): the CA of the
 *  environment, "CertificateIssuing" in `ksefd keys`; not an API usage,
 *  never listed by GET /security/public-key-certificates; alone in its
 *  key, whose certificate is a self-signed CA certificate. */
#define KEY_USAGE_CA 0x20u
/** The two usages of the API's encryption keys. */
#define KEY_USAGE_ALL (KEY_USAGE_SYMMETRIC | KEY_USAGE_TOKEN)
/** Every usage a key may have. */
#define KEY_USAGE_VALID (KEY_USAGE_ALL | KEY_USAGE_UPO_SIGNING | KEY_USAGE_CA)
/** The usages that must be alone in their key. */
#define KEY_USAGE_ALONE (KEY_USAGE_UPO_SIGNING | KEY_USAGE_CA)

/** Smallest and largest RSA modulus keys_generate() makes, in bits. */
#define KEYS_RSA_MIN_BITS 2048
#define KEYS_RSA_MAX_BITS 8192

/** Longest certificate lifetime keys_generate() accepts, in days. */
#define KEYS_MAX_VALIDITY_DAYS 3650

/**
 * One key pair with its self-signed certificate, in the forms the API and
 * the store need. Transparent for reading; only this module fills it.
 */
typedef struct server_key {
	/** KEY_USAGE_* bits, at least one. */
	unsigned usage;
	/** `certificate`: the DER certificate in Base64, no PEM armour. */
	char *cert_b64;
	/** `certificateId`: Base64(SHA-256(certificate DER)). */
	char certificate_id[KSEF_SHA256_B64_LEN + 1];
	/** `publicKeyId`: Base64(SHA-256(DER SubjectPublicKeyInfo)). */
	char public_key_id[KSEF_SHA256_B64_LEN + 1];
	/** `validFrom` and `validTo`, in milliseconds since the epoch. */
	int64_t valid_from_ms;
	int64_t valid_to_ms;
	/** The private key as PKCS#8 PEM ("BEGIN PRIVATE KEY"), for the
	 *  store. SECRET: never log it; keys_free() wipes it. */
	char *key_pem;
	/** Its length in bytes, without the NUL that follows it. */
	size_t key_pem_len;
	/** The same private key, loaded, for ksef_rsa_oaep_decrypt() and
	 *  ksef_envelope_unwrap_key(). Owned by this struct. */
	ksef_privkey *priv;
} server_key;

/**
 * Make a new RSA key pair and a self-signed X.509 v3 certificate for it:
 * a random 159-bit serial number, subject and issuer "CN=ksefd (KSeF
 * look-alike), O=Ministerstwo Finansów (test), C=PL" in UTF-8, validity
 * from now (rounded down to the second, as X.509 times are) for
 * validity_days, basicConstraints CA:FALSE and keyUsage keyEncipherment,
 * both critical, signed with SHA-256. KEY_USAGE_CA makes the CA instead:
 * subject "CN=ksefd KSeF CA, O=Ministerstwo Finansów (test), C=PL",
 * basicConstraints CA:TRUE with pathlen 0 and keyUsage keyCertSign and
 * cRLSign.
 *
 * @param[out] out      receives the key; free it with keys_free(). Set to
 *                      NULL on failure.
 * @param usage_mask    KEY_USAGE_* bits: one or both.
 * @param rsa_bits      KEYS_RSA_MIN_BITS to KEYS_RSA_MAX_BITS; KSeF's
 *                      own keys are RSA-2048 or larger.
 * @param now_ms        the current time, milliseconds since the epoch
 *                      (not negative): the start of validFrom.
 * @param validity_days 1 to KEYS_MAX_VALIDITY_DAYS.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL out or an argument out of range,
 *         KSEF_ENOMEM, or KSEF_ECRYPTO if OpenSSL refuses.
 */
int keys_generate(server_key **out, unsigned usage_mask, int rsa_bits,
		  int64_t now_ms, int validity_days, ksef_error *err);

/**
 * Rebuild a key from the strings a store kept: the certificate in Base64
 * DER and the private key in PEM (PKCS#8 or traditional). The key must be
 * the certificate's, which is checked, so that a mix-up between two
 * stored keys fails at start-up rather than at the first decryption. The
 * PEM is re-encoded as PKCS#8 in key_pem. validFrom and validTo are taken
 * as given, not from the certificate, so that a store can withdraw a key
 * early (SPEC 4.1, emergency rotation).
 *
 * @param[out] out      receives the key; free it with keys_free(). Set to
 *                      NULL on failure.
 * @param usage_mask    KEY_USAGE_* bits: one or both.
 * @param cert_b64      the certificate, NUL-terminated Base64 DER, at most
 *                      4/3 of KSEF_CERT_MAX_BYTES characters.
 * @param key_pem       the private key, NUL-terminated PEM, at most
 *                      KSEF_CERT_MAX_BYTES bytes. The caller should wipe
 *                      its copy.
 * @param valid_from_ms validFrom, milliseconds since the epoch.
 * @param valid_to_ms   validTo; must be later than valid_from_ms.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL argument, a bad usage or reversed
 *         dates, KSEF_ETOOBIG for an over-long string, KSEF_EPARSE if the
 *         certificate or key cannot be read, KSEF_EFORMAT if the key is
 *         not RSA of at least 2048 bits, KSEF_ECHECKSUM if the key is not
 *         the certificate's, KSEF_ENOMEM, or KSEF_ECRYPTO.
 */
int keys_load(server_key **out, unsigned usage_mask, const char *cert_b64,
	      const char *key_pem, int64_t valid_from_ms, int64_t valid_to_ms,
	      ksef_error *err);

/**
 * Destroy a key, first overwriting its PEM.
 *
 * @param key the key; NULL does nothing.
 */
void keys_free(server_key *key);

/**
 * The API name of one usage bit.
 *
 * @param usage_bit KEY_USAGE_SYMMETRIC or KEY_USAGE_TOKEN.
 * @return "SymmetricKeyEncryption" or "KsefTokenEncryption", static, or
 *         NULL for anything else (including both bits at once).
 */
const char *keys_usage_name(unsigned usage_bit);

/**
 * The API names of the usages in a mask, in the order the API lists them
 * ("KsefTokenEncryption" first), for the `usage` array.
 *
 * @param[out] names receives up to two static strings; the rest of the
 *                   array is left alone.
 * @param mask       KEY_USAGE_* bits; unknown bits are ignored.
 * @return how many names were written, 0 to 2.
 */
size_t keys_usage_names(const char *names[2], unsigned mask);

/**
 * The usage bit of an API name, compared exactly.
 *
 * @param name the name; it need not end in a NUL.
 * @param len  its length.
 * @return KEY_USAGE_SYMMETRIC, KEY_USAGE_TOKEN, or 0 if it is neither.
 */
unsigned keys_usage_from_name(const char *name, size_t len);

#endif
