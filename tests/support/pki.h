/*
 * pki.h - a certificate hierarchy made in memory for a test: CAs,
 * people's certificates for XAdES logins, and CRLs, on P-256 keys (quick
 * to make, and accepted by KSeF). Each helper fails the test on an error.
 */
#ifndef KSEF_PKI_H
#define KSEF_PKI_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* A certificate and its key, owned: pki_free() releases both. */
struct pki_cert {
	EVP_PKEY *key;
	X509 *cert;
};

/* One entry of a CRL: a serial, and its reason (CRL_REASON_*), or
 * CRL_REASON_NONE for an entry without a reason. */
struct pki_revoked {
	long serial;
	int reason;
};

/*
 * A CA named CN=cn: self-signed when issuer is NULL, else issued by it.
 * keyUsage keyCertSign, plus cRLSign when crl_sign. Valid from an hour ago
 * for two days.
 */
void pki_ca(struct pki_cert *out, const char *cn,
	    const struct pki_cert *issuer, long serial, int crl_sign);

/*
 * A person's certificate for XAdES: C=PL, givenName, surname,
 * serialNumber TINPL-<nip>, CN=cn; keyUsage digitalSignature and
 * nonRepudiation. Valid from an hour ago for two days.
 */
void pki_person(struct pki_cert *out, const char *nip, const char *cn,
		const struct pki_cert *issuer, long serial);

/* Move a certificate's notAfter to now + offset_s and sign it again with
 * issuer's key (an expired certificate: a negative offset). */
void pki_set_not_after(struct pki_cert *c, const struct pki_cert *issuer,
		       long offset_s);

void pki_free(struct pki_cert *c);

/*
 * A CRL of issuer listing rev[0..n): thisUpdate now + this_s, nextUpdate
 * now + next_s. Signed with sign_key, or with issuer's own key when NULL.
 * The caller frees it with X509_CRL_free().
 */
X509_CRL *pki_crl(const struct pki_cert *issuer, const struct pki_revoked *rev,
		  size_t n, long this_s, long next_s, EVP_PKEY *sign_key);

/* Write as PEM to path, mode "w" or "a" (to make bundles). */
void pki_write_cert(const char *path, const char *mode, X509 *cert);
void pki_write_crl(const char *path, const char *mode, X509_CRL *crl);
void pki_write_key(const char *path, EVP_PKEY *key);
/* The CRL as DER, alone in path. */
void pki_write_crl_der(const char *path, X509_CRL *crl);

#endif
