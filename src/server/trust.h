/*
 * trust.h - the optional trust store of ksefd (--trust-store FILE): which
 * CAs a XAdES signer's certificate must chain to, and, once CRLs are given
 * (--crl FILE), which certificates under them are revoked. Without a trust
 * store, any certificate is accepted, self-signed ones included, as on the
 * Ministry's TEST environment.
 *
 * A trust is built at start (trust_load, then trust_add_crls for each
 * --crl) and read-only afterwards, so request threads may call
 * trust_check() on it at the same time.
 */
#ifndef KSEFD_TRUST_H
#define KSEFD_TRUST_H

#include <stddef.h>
#include "ksef/error.h"

typedef struct trust trust;

/* What trust_check() found of a certificate. */
typedef enum trust_verdict {
	TRUST_OK = 0,
	TRUST_UNTRUSTED, /* it chains to no CA of the store */
	TRUST_REVOKED,   /* a CRL lists it, or a CA of its chain */
	TRUST_SUSPENDED, /* the same, with reason certificateHold */
	TRUST_UNDECIDED, /* CRLs are on, and one its chain needs is missing,
			    expired, not yet valid or unusable */
} trust_verdict;

/**
 * Load a PEM bundle of CA certificates.
 *
 * @param[out] out  receives the trust; release it with trust_free().
 * @param pem_file  the bundle's path.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_ENOMEM, or KSEF_EIO if the file holds no certificate.
 */
int trust_load(trust **out, const char *pem_file, ksef_error *err);

/**
 * Add the CRLs of one file, and from then on check every certificate of a
 * chain (the signer's and each CA's) against its issuer's CRL. The file
 * holds one or more PEM CRLs, or one DER CRL. Each CRL must be issued by
 * a CA of the store and verify with its key, so that a mistyped or forged
 * file stops ksefd at start instead of deciding logins.
 *
 * @param t     the trust, from trust_load(); not yet shared.
 * @param file  the file's path, named in errors.
 * @param err   receives the reason on failure; may be NULL.
 * @return 0; KSEF_EIO if it cannot be opened; KSEF_EPARSE if it holds no
 *         CRL or one that cannot be read; KSEF_ENOTFOUND if a CRL's issuer
 *         is no CA of the store; KSEF_ECRYPTO if its signature does not
 *         verify; KSEF_EFORMAT for a delta CRL or an issuer whose keyUsage
 *         forbids signing CRLs; KSEF_ENOMEM.
 */
int trust_add_crls(trust *t, const char *file, ksef_error *err);

/**
 * Report what will refuse logins although every file loaded: a
 * certificate of the store without a CRL of its own (each CA of a chain
 * needs one once CRLs are on), and a CRL out of its dates now. Nothing
 * when no CRL was added.
 *
 * @param t     the trust.
 * @param warn  called once per finding with a one-line message (printable
 *              ASCII), borrowed for the call.
 * @param arg   passed to warn.
 */
void trust_warn(const trust *t, void (*warn)(void *arg, const char *msg),
		void *arg);

/**
 * Judge a DER certificate against the store: does it chain to a CA of it
 * and, when CRLs were added, is any certificate of that chain revoked?
 * Validity dates of certificates are not checked here (the caller judges
 * them with its own message); those of CRLs are.
 *
 * @param t         the trust.
 * @param der       the certificate; untrusted bytes.
 * @param len       their length.
 * @param why       receives, unless the verdict is TRUST_OK, a one-line
 *                  reason for the log: printable ASCII only (names in it
 *                  are escaped), so it may be written out as it is. May be
 *                  NULL.
 * @param why_size  its size.
 * @return the verdict.
 */
trust_verdict trust_check(const trust *t, const unsigned char *der,
			  size_t len, char *why, size_t why_size);

void trust_free(trust *t);

#endif
