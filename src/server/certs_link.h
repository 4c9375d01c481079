/*
 * certs_link.h - the KOD II verification link (kody-qr.md 2):
 * /certificate/{contextType}/{contextValue}/{sellerNip}/{serial}/{hash}/
 * {signature}, its strict reading, and the check of its signature with
 * the issuer's KSeF certificate (RSASSA-PSS with SHA-256, MGF1-SHA-256 and
 * a 32-byte salt, or ECDSA P-256 with SHA-256, the signature as IEEE
 * P1363 r||s or as DER). Pure functions over bytes.
 */
#ifndef KSEFD_CERTS_LINK_H
#define KSEFD_CERTS_LINK_H

#include <stddef.h>

/** The prefix of the link's path, ksefd's root as the QR host's. */
#define CERTS_LINK_PREFIX "/certificate/"

/** The longest signature in Base64URL: RSA up to 4096 bits. */
#define CERTS_LINK_SIG_MAX 684

/** A link, read. Strings are NUL-terminated copies. */
typedef struct certs_link {
	char context_type[16];         /**< Nip InternalId NipVatUe PeppolId */
	char context_value[65];
	char seller_nip[11];
	char serial[17];               /**< 16 upper-case hex digits */
	char hash[44];                 /**< Base64URL of the SHA-256, 43 */
	unsigned char sig[CERTS_LINK_SIG_MAX];
	size_t sig_len;
	/** What was signed after the host: "/certificate/.../{hash}". */
	char signed_path[256];
} certs_link;

/**
 * Read a link's path.
 *
 * @param[out] out  the link.
 * @param path      the request's path, NUL-terminated; untrusted.
 * @param why       a one-line reason on failure.
 * @return 0, or -1 for anything that is not such a link.
 */
int certs_link_parse(certs_link *out, const char *path, char *why,
		     size_t why_size);

/**
 * Whether the link's signature verifies with the certificate's key over
 * host + signed_path (host without scheme, e.g. "qr-test.ksef.mf.gov.pl").
 *
 * @return 1 when it does, 0 when it does not or cannot be checked.
 */
int certs_link_verify(const certs_link *l, const char *host,
		      const unsigned char *cert_der, size_t cert_len);

#endif
