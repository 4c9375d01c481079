/*
 * envelope.h - the encryption KSeF requires around invoices (SPEC section 6,
 * sesja-interaktywna.md): a per-session AES-256-CBC key and IV (the
 * envelope), the KSeF public key that wraps that key with RSA-OAEP (a
 * ksef_pubkey, loaded from the certificate GET /security/public-key-
 * certificates returns), and for a server the private key that unwraps it.
 *
 * Ownership: every object here is opaque, made by a _new or _load function
 * and destroyed by its _free; _free(NULL) does nothing. Strings and bytes
 * returned by accessors are borrowed from the object and live until it is
 * freed. Bytes computed for the caller come back in a ksef_buf.
 *
 * Threads: an object may be used from one thread at a time; different
 * objects are independent. Const objects may be shared once made.
 */
#ifndef KSEF_ENVELOPE_H
#define KSEF_ENVELOPE_H

#include <stdint.h>
#include "common.h"
#include "buf.h"
#include "error.h"
#include "encoding.h"

KSEF_BEGIN_DECLS

/** Bytes in the AES-256 key of an envelope. */
#define KSEF_AES_KEY_LEN 32
/** Bytes in the AES-CBC initialisation vector of an envelope. */
#define KSEF_AES_IV_LEN 16

/** One session's key and IV; opaque so it can change without an ABI break. */
typedef struct ksef_envelope ksef_envelope;

/** A KSeF public key with the certificate it came in. */
typedef struct ksef_pubkey ksef_pubkey;

/** An RSA private key, as a KSeF look-alike server holds. */
typedef struct ksef_privkey ksef_privkey;

/**
 * What POST /sessions/online/{ref}/invoices declares about one invoice
 * besides its content (SPEC 4.12, Appendix A.1). Transparent: the caller
 * owns it, usually on the stack.
 *
 * Frozen: the caller owns it and the library writes it whole, so it never
 * grows (docs/abi.md); more would come in a new type.
 */
typedef struct ksef_invoice_meta {
	/** invoiceHash: Base64(SHA-256(plaintext)), NUL-terminated. */
	char invoice_hash[KSEF_SHA256_B64_LEN + 1];
	/** invoiceSize: plaintext bytes. */
	size_t invoice_size;
	/** encryptedInvoiceHash: Base64(SHA-256(ciphertext)). */
	char encrypted_hash[KSEF_SHA256_B64_LEN + 1];
	/** encryptedInvoiceSize: ciphertext bytes. */
	size_t encrypted_size;
} ksef_invoice_meta;

/**
 * Make an envelope with a fresh random key and IV from OpenSSL's CSPRNG,
 * as a client does for each session (SPEC 6.1).
 *
 * @param[out] out  receives the envelope; free it with ksef_envelope_free().
 *                  Set to NULL on failure.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ENOMEM, or KSEF_ECRYPTO if the random
 *         generator cannot be seeded.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_envelope_new(ksef_envelope **out,
	ksef_error *err);

/**
 * Make an envelope from a known key and IV: on a server after unwrapping,
 * or in tests with fixed vectors.
 *
 * @param[out] out  receives the envelope; free it with ksef_envelope_free().
 *                  Set to NULL on failure.
 * @param key       the AES-256 key; copied, so the caller may wipe its own.
 * @param key_len   must be KSEF_AES_KEY_LEN.
 * @param iv        the IV; copied.
 * @param iv_len    must be KSEF_AES_IV_LEN.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL argument or a wrong length, or
 *         KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_envelope_from_key(ksef_envelope **out,
	const unsigned char *key, size_t key_len, const unsigned char *iv,
	size_t iv_len, ksef_error *err);

/**
 * Destroy an envelope, first overwriting its key.
 *
 * @param env the envelope; NULL does nothing.
 */
KSEF_API void ksef_envelope_free(ksef_envelope *env);

/**
 * The envelope's IV, to send Base64-encoded as
 * encryption.initializationVector. Not secret.
 *
 * @param env the envelope.
 * @return KSEF_AES_IV_LEN bytes borrowed from env, or NULL if env is NULL.
 */
KSEF_API const unsigned char *ksef_envelope_iv(const ksef_envelope *env);

/**
 * The envelope's AES key. It is a SECRET: never log it, and wipe any copy.
 * Clients do not need it (ksef_envelope_wrap_key() wraps it in place); it
 * exists for servers and tests that compare keys.
 *
 * @param env the envelope.
 * @return KSEF_AES_KEY_LEN bytes borrowed from env, or NULL if env is NULL.
 */
KSEF_API const unsigned char *ksef_envelope_key(const ksef_envelope *env);

/**
 * Encrypt one invoice under the envelope's key: AES-256-CBC with PKCS#7
 * padding, as sesja-interaktywna.md requires. The IV is not prefixed to the
 * ciphertext (SPEC 6.1), so the output is 16 * (xml_len / 16 + 1) bytes.
 *
 * @param[out] out  receives the ciphertext, replacing what it held; release
 *                  it with ksef_buf_dispose(). Unchanged on failure.
 * @param env       the session's envelope, from ksef_envelope_new().
 * @param xml       the invoice document; it need not end in a NUL. May be
 *                  NULL only when xml_len is 0.
 * @param xml_len   its length in bytes, at most KSEF_INVOICE_MAX_BYTES.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_ENOMEM, or KSEF_ECRYPTO if
 *         OpenSSL refuses.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_envelope_encrypt(ksef_buf *out,
	const ksef_envelope *env, const unsigned char *xml, size_t xml_len,
	ksef_error *err);

/**
 * Decrypt one invoice: AES-256-CBC, checking and removing PKCS#7 padding.
 * A wrong key or IV and a corrupted ciphertext all show up as bad padding
 * (about 255 times in 256) or as wrong plaintext; the invoice hash catches
 * the rest.
 *
 * @param[out] out  receives the plaintext (with a NUL after it), replacing
 *                  what it held; release it with ksef_buf_dispose().
 *                  Unchanged on failure; partial plaintext is wiped.
 * @param env       the session's envelope.
 * @param ct        the ciphertext, as Base64-decoded from
 *                  encryptedInvoiceContent.
 * @param ct_len    its length: a positive multiple of 16, at most
 *                  KSEF_CIPHERTEXT_MAX_BYTES.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_ENOMEM, or KSEF_ECRYPTO for a
 *         length that is not a whole number of blocks or bad padding.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_envelope_decrypt(ksef_buf *out,
	const ksef_envelope *env, const unsigned char *ct, size_t ct_len,
	ksef_error *err);

/**
 * AES-256-CBC with PKCS#7 under an envelope's key and IV, fed in pieces:
 * for data too large for one buffer, such as the parts of a batch package
 * (sesja-wsadowa.md: up to 100 MB each, each encrypted on its own with
 * the session's key and IV). The result is the same bytes
 * ksef_envelope_encrypt() or ksef_envelope_decrypt() give for the whole.
 */
typedef struct ksef_envelope_stream ksef_envelope_stream;

/**
 * Start a stream.
 *
 * @param[out] out  receives the stream; free it with
 *                  ksef_envelope_stream_free(). NULL on failure.
 * @param env       the envelope; its key and IV are copied.
 * @param encrypt   non-zero to encrypt, 0 to decrypt.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ENOMEM, or KSEF_ECRYPTO.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_envelope_stream_new(
	ksef_envelope_stream **out, const ksef_envelope *env, int encrypt,
	ksef_error *err);

/**
 * Feed the next piece; what it gives is appended to out.
 *
 * @param s     the stream.
 * @param out   receives the output, appended; it may hold at most max
 *              bytes in all (as ksef_buf_append()).
 * @param in    the piece; may be NULL only when len is 0.
 * @param len   its length, at most KSEF_CIPHERTEXT_MAX_BYTES.
 * @param max   the bound on out.
 * @param err   receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_ENOMEM, or KSEF_ECRYPTO.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_envelope_stream_update(
	ksef_envelope_stream *s, ksef_buf *out, const unsigned char *in,
	size_t len, size_t max, ksef_error *err);

/**
 * End the stream: the padding is added (encrypting) or checked and
 * removed (decrypting), and the last bytes appended to out. The stream
 * takes no more input after this.
 *
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_ENOMEM, or KSEF_ECRYPTO for
 *         bad padding or a length that is not a whole number of blocks.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_envelope_stream_final(
	ksef_envelope_stream *s, ksef_buf *out, size_t max, ksef_error *err);

/**
 * Free a stream, wiping its key.
 *
 * @param s the stream; NULL does nothing.
 */
KSEF_API void ksef_envelope_stream_free(ksef_envelope_stream *s);

/**
 * Encrypt one invoice and compute what its send request declares: both
 * hashes and both sizes (SPEC 6.1, Appendix A.1).
 *
 * @param[out] ciphertext receives the ciphertext as ksef_envelope_encrypt()
 *                  gives it; unchanged on failure.
 * @param[out] meta receives invoiceHash, invoiceSize, encryptedInvoiceHash
 *                  and encryptedInvoiceSize; unchanged on failure.
 * @param env       the session's envelope.
 * @param xml       the invoice exactly as it is to be sent.
 * @param xml_len   its length, from 1 (invoiceSize >= 1) to
 *                  KSEF_INVOICE_MAX_BYTES.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_EFORMAT for an empty invoice,
 *         KSEF_ETOOBIG, KSEF_ENOMEM, or KSEF_ECRYPTO.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_envelope_seal(ksef_buf *ciphertext,
	ksef_invoice_meta *meta, const ksef_envelope *env,
	const unsigned char *xml, size_t xml_len, ksef_error *err);

/**
 * Load a KSeF public key from its X.509 certificate, given as DER, as PEM,
 * or as Base64 DER without armour (the `certificate` field of
 * GET /security/public-key-certificates). DER is recognised by its first
 * byte (0x30), PEM by a "-----BEGIN " line (its first CERTIFICATE block is
 * used), and anything else is taken as Base64. Trailing whitespace after
 * Base64 is allowed, so that a value saved to a file with a newline still
 * loads; trailing bytes after DER are not. The key must be RSA of at least
 * 2048 bits, since KSeF only defines RSA-OAEP. The certificate's issuer
 * and validity are not checked here: trust comes from the TLS connection
 * it was fetched over, and validity is for the caller to compare
 * (ksef_pubkey_not_before()).
 *
 * @param[out] out  receives the key; free it with ksef_pubkey_free(). Set
 *                  to NULL on failure.
 * @param data      the certificate; it need not end in a NUL.
 * @param len       its length, 1 to KSEF_CERT_MAX_BYTES.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_EPARSE for input that is no
 *         certificate in any of the three forms, KSEF_EFORMAT for a
 *         certificate whose key KSeF cannot use, or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_pubkey_load(ksef_pubkey **out,
	const unsigned char *data, size_t len, ksef_error *err);

/**
 * Destroy a public key.
 *
 * @param pub the key; NULL does nothing.
 */
KSEF_API void ksef_pubkey_free(ksef_pubkey *pub);

/**
 * The key's publicKeyId: Base64(SHA-256(DER SubjectPublicKeyInfo)), the
 * same across re-certifications of one key (SPEC 6.3).
 *
 * @param pub the key.
 * @return KSEF_SHA256_B64_LEN characters and a NUL, borrowed from pub, or
 *         NULL if pub is NULL.
 */
KSEF_API const char *ksef_pubkey_id(const ksef_pubkey *pub);

/**
 * The certificate's certificateId: Base64(SHA-256(certificate DER)).
 *
 * @param pub the key.
 * @return KSEF_SHA256_B64_LEN characters and a NUL, borrowed from pub, or
 *         NULL if pub is NULL.
 */
KSEF_API const char *ksef_pubkey_certificate_id(const ksef_pubkey *pub);

/**
 * When the certificate becomes valid (validFrom).
 *
 * @param pub the key.
 * @return milliseconds since the Unix epoch (a whole number of seconds, as
 *         X.509 has no finer time), or 0 if pub is NULL.
 */
KSEF_API int64_t ksef_pubkey_not_before(const ksef_pubkey *pub);

/**
 * When the certificate stops being valid (validTo).
 *
 * @param pub the key.
 * @return milliseconds since the Unix epoch (a whole number of seconds),
 *         or 0 if pub is NULL.
 */
KSEF_API int64_t ksef_pubkey_not_after(const ksef_pubkey *pub);

/**
 * Encrypt a short message with RSAES-OAEP, SHA-256 and MGF1-SHA-256, empty
 * label (SPEC 6.2, 6.4): for example the KSeF-token string
 * "{token}|{timestampMs}". OAEP is randomised, so two calls differ.
 *
 * @param[out] out  receives the ciphertext (as many bytes as the modulus),
 *                  replacing what it held; Base64-encode it for the API.
 *                  Unchanged on failure.
 * @param pub       the KSeF key for the purpose (usage).
 * @param data      the message.
 * @param len       its length: 1 to KSEF_OAEP_MAX_BYTES, and at most the
 *                  modulus size minus 66 bytes (190 for RSA-2048).
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL (also for an empty message), KSEF_ETOOBIG,
 *         KSEF_ENOMEM, or KSEF_ECRYPTO if OpenSSL refuses.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_rsa_oaep_encrypt(ksef_buf *out,
	const ksef_pubkey *pub, const unsigned char *data, size_t len,
	ksef_error *err);

/**
 * Wrap an envelope's key for POST /sessions/online: RSA-OAEP as in
 * ksef_rsa_oaep_encrypt() of the 32-byte key, to send Base64-encoded as
 * encryption.encryptedSymmetricKey.
 *
 * @param[out] out  receives the wrapped key, replacing what it held;
 *                  unchanged on failure.
 * @param env       the envelope whose key is wrapped.
 * @param pub       the KSeF key with usage SymmetricKeyEncryption.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ENOMEM, or KSEF_ECRYPTO.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_envelope_wrap_key(ksef_buf *out,
	const ksef_envelope *env, const ksef_pubkey *pub, ksef_error *err);

/**
 * Load an RSA private key from PEM, PKCS#8 ("BEGIN PRIVATE KEY") or
 * traditional ("BEGIN RSA PRIVATE KEY"). Encrypted keys are refused rather
 * than prompting for a passphrase on the terminal.
 *
 * @param[out] out  receives the key; free it with ksef_privkey_free(). Set
 *                  to NULL on failure.
 * @param pem       the PEM text; it need not end in a NUL. The caller
 *                  should wipe it once loaded.
 * @param len       its length, 1 to KSEF_CERT_MAX_BYTES.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_EPARSE if no unencrypted
 *         private key is found, KSEF_EFORMAT if it is not RSA of at least
 *         2048 bits, or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_privkey_load_pem(ksef_privkey **out,
	const char *pem, size_t len, ksef_error *err);

/**
 * Destroy a private key; OpenSSL wipes the key material.
 *
 * @param priv the key; NULL does nothing.
 */
KSEF_API void ksef_privkey_free(ksef_privkey *priv);

/**
 * Decrypt an RSAES-OAEP (SHA-256, MGF1-SHA-256, empty label) ciphertext, as
 * a server does with encryptedToken. The plaintext is usually a secret.
 *
 * @param[out] out  receives the plaintext (with a NUL after it), replacing
 *                  what it held; release it with ksef_buf_dispose_secure().
 *                  Unchanged on failure.
 * @param priv      the private key.
 * @param data      the ciphertext, Base64-decoded.
 * @param len       its length, which must equal the modulus size.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ENOMEM, or KSEF_ECRYPTO for a wrong length,
 *         the wrong key or a corrupted ciphertext.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_rsa_oaep_decrypt(ksef_buf *out,
	const ksef_privkey *priv, const unsigned char *data, size_t len,
	ksef_error *err);

/**
 * Rebuild a session's envelope on the server from encryptedSymmetricKey
 * and initializationVector, both Base64-decoded.
 *
 * @param[out] out    receives the envelope; free it with
 *                    ksef_envelope_free(). Set to NULL on failure.
 * @param priv        the private key of the SymmetricKeyEncryption
 *                    certificate.
 * @param wrapped     the wrapped key.
 * @param wrapped_len its length, which must equal the modulus size.
 * @param iv          the IV.
 * @param iv_len      its length, which must be KSEF_AES_IV_LEN.
 * @param err         receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_EFORMAT for an IV of the wrong length,
 *         KSEF_ENOMEM, or KSEF_ECRYPTO if the key does not unwrap to
 *         exactly KSEF_AES_KEY_LEN bytes.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_envelope_unwrap_key(ksef_envelope **out,
	const ksef_privkey *priv, const unsigned char *wrapped,
	size_t wrapped_len, const unsigned char *iv, size_t iv_len,
	ksef_error *err);

KSEF_END_DECLS

#endif
