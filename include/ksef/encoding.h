/*
 * encoding.h - the text forms KSeF puts bytes in: standard Base64 (RFC 4648
 * section 4, with padding) and the 44-character Base64 SHA-256 digests that
 * name invoices, ciphertexts, certificates and keys.
 */
#ifndef KSEF_ENCODING_H
#define KSEF_ENCODING_H

#include "common.h"
#include "buf.h"
#include "error.h"

KSEF_BEGIN_DECLS

/** Bytes in a SHA-256 digest. */
#define KSEF_SHA256_LEN 32

/** Characters in the Base64 form of a SHA-256 digest (OpenAPI's
 *  Sha256HashBase64), without the NUL; an array holding one needs
 *  KSEF_SHA256_B64_LEN + 1 chars. */
#define KSEF_SHA256_B64_LEN 44

/**
 * Encode bytes as standard Base64 with '=' padding and no line breaks.
 *
 * @param[out] out  receives the text, NUL-terminated, replacing what it
 *                  held; release it with ksef_buf_dispose(). Unchanged on
 *                  failure. Empty input gives an empty (but allocated)
 *                  string.
 * @param data      the bytes; may be NULL only when len is 0.
 * @param len       how many bytes.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG if the text would not fit in a
 *         size_t, or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_base64_encode(ksef_buf *out,
	const unsigned char *data, size_t len, ksef_error *err);

/**
 * Decode standard Base64, strictly: the length must be a multiple of 4, only
 * the 64 alphabet characters may appear, and '=' only as one or two final
 * padding characters. Whitespace, line breaks, the URL-safe alphabet and a
 * missing pad are all refused, because every Base64 field in the KSeF API
 * is a single unbroken string and a lenient decoder would let two
 * different strings stand for one value. The empty string decodes to zero
 * bytes; callers that need data must check the size themselves.
 *
 * @param[out] out  receives the bytes (with a NUL after them), replacing
 *                  what it held; release it with ksef_buf_dispose().
 *                  Unchanged on failure.
 * @param b64       the text; it need not end in a NUL. May be NULL only
 *                  when len is 0.
 * @param len       its length in characters.
 * @param max       the most decoded bytes the caller accepts; checked from
 *                  the length before anything is allocated.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_EPARSE if the text is not strict Base64,
 *         KSEF_ETOOBIG if it decodes to more than max bytes, or
 *         KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_base64_decode(ksef_buf *out,
	const char *b64, size_t len, size_t max, ksef_error *err);

/**
 * Encode bytes as Base64URL (RFC 4648 section 5: '-' and '_' for '+' and
 * '/') without padding: the form of the hashes and signatures in KOD I
 * and KOD II links.
 *
 * @param[out] out  receives the text, NUL-terminated, replacing what it
 *                  held; release it with ksef_buf_dispose(). Unchanged on
 *                  failure.
 * @param data      the bytes; may be NULL only when len is 0.
 * @param len       how many bytes.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG or KSEF_ENOMEM, as
 *         ksef_base64_encode().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_base64url_encode(ksef_buf *out,
	const unsigned char *data, size_t len, ksef_error *err);

/**
 * Decode unpadded Base64URL strictly: only the URL alphabet (no '+', '/'
 * or '='), no length that no encoding has (len % 4 == 1), and one
 * spelling a value: the bits the last character has to spare are zero.
 *
 * @param[out] out  receives the bytes, replacing what it held; release it
 *                  with ksef_buf_dispose(). Unchanged on failure.
 * @param text      the Base64URL; need not end in a NUL.
 * @param len       its length in characters.
 * @param max       the most bytes it may decode to.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL (NULL arguments), KSEF_EPARSE (not strict
 *         Base64URL), KSEF_ETOOBIG (over max) or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_base64url_decode(ksef_buf *out,
	const char *text, size_t len, size_t max, ksef_error *err);

/**
 * The SHA-256 digest of some bytes.
 *
 * @param[out] out  receives the KSEF_SHA256_LEN digest bytes.
 * @param data      the bytes; may be NULL only when len is 0.
 * @param len       how many bytes.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, or KSEF_ECRYPTO if OpenSSL refuses.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_sha256(
	unsigned char out[KSEF_SHA256_LEN], const unsigned char *data,
	size_t len, ksef_error *err);

/**
 * The Base64 of the SHA-256 digest of some bytes: the form of invoiceHash,
 * encryptedInvoiceHash, certificateId and publicKeyId.
 *
 * @param[out] out  receives KSEF_SHA256_B64_LEN characters and a NUL; on
 *                  failure it holds the empty string.
 * @param data      the bytes; may be NULL only when len is 0.
 * @param len       how many bytes.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, or KSEF_ECRYPTO if OpenSSL refuses.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_sha256_base64(
	char out[KSEF_SHA256_B64_LEN + 1], const unsigned char *data,
	size_t len, ksef_error *err);

KSEF_END_DECLS

#endif
