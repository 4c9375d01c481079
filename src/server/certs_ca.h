/*
 * certs_ca.h - ksefd as the issuing CA of its environment
 * (certyfikaty-KSeF.md): what a login's certificate says of its subject
 * (the data of GET /certificates/enrollments/data), what a certificate
 * request (PKCS#10) must be to be accepted, and the certificates issued
 * from it under the CA key (keys.h, KEY_USAGE_CA). Pure functions over
 * bytes: the store and the answers are others'.
 */
#ifndef KSEFD_CERTS_CA_H
#define KSEFD_CERTS_CA_H

#include <stddef.h>
#include <stdint.h>
#include "keys.h"
#include "store.h"

/** A CSR's largest DER: a P-256 or RSA-2048 request with a long subject
 *  is under 2 KB; the rest is room for attributes. */
#define CERTS_CSR_MAX_BYTES STORE_CSR_MAX

/** How long an issued certificate is valid: two years, as the example of
 *  POST /certificates/query shows (validFrom 2025-08-24, validTo
 *  2027-08-24); the documents name no period. */
#define CERTS_VALIDITY_DAYS 730

/** The latest validFrom a certificate may have: its validTo must still
 *  be a date X.509 can carry (9999-12-31T23:59:59Z). */
#define CERTS_VALID_FROM_MAX_MS \
	(INT64_C(253402300799000) - INT64_C(86400000) * CERTS_VALIDITY_DAYS)

/** What certs_csr_check() found of a request; the values are the
 *  exception codes of POST /certificates/enrollments. */
typedef enum certs_csr_verdict {
	CERTS_CSR_OK = 0,
	CERTS_CSR_SUBJECT = 25003,   /**< its subject is not the login's */
	CERTS_CSR_FORMAT = 25004,    /**< not PKCS#10 DER, or bad signature */
	CERTS_CSR_KEY = 25010,       /**< not RSA-2048 nor EC P-256 */
	CERTS_CSR_ALGORITHM = 25011, /**< a signature algorithm not allowed */
} certs_csr_verdict;

/**
 * The subject attributes of a DER certificate that a KSeF certificate
 * request must repeat (certyfikaty-KSeF.md 2, the table with OIDs): a JSON
 * object with commonName, countryName, givenName (repeated ones joined by
 * one space), surname, serialNumber, uniqueIdentifier, organizationName and
 * organizationIdentifier, each only when the certificate has it.
 *
 * @param[out] out  the JSON text, NUL-terminated.
 * @param size      its size; STORE_CERT_SUBJECT_SZ is always enough for
 *                  names within X.520's bounds.
 * @return 0, KSEF_EPARSE if der is no certificate, KSEF_ETOOBIG if the
 *         text does not fit, KSEF_ENOMEM.
 */
int certs_subject_json(char *out, size_t size, const unsigned char *der,
		       size_t len, ksef_error *err);

/**
 * Judge a certificate request against the subject it must carry.
 *
 * @param der          the request's DER; untrusted.
 * @param len          its length.
 * @param subject_json what certs_subject_json() gave for the login.
 * @param[out] key_hash SHA-256 of its SubjectPublicKeyInfo, hex, set when
 *                     CERTS_CSR_OK.
 * @param why          a one-line reason (printable), unless CERTS_CSR_OK.
 * @return the verdict.
 */
certs_csr_verdict certs_csr_check(const unsigned char *der, size_t len,
				  const char *subject_json,
				  char key_hash[STORE_CTX_VALUE_SZ],
				  char *why, size_t why_size);

/**
 * Issue a certificate for a request that certs_csr_check() accepted: its
 * subject and key, a random 64-bit serial (16 hex digits), the CA's name
 * as issuer, validity from from_ms for CERTS_VALIDITY_DAYS, keyUsage
 * digitalSignature (Authentication) or nonRepudiation (Offline), critical,
 * signed with SHA-256 by the CA key.
 *
 * @param[in,out] cert  serial, der, der_len, fingerprint, key_hash,
 *                      common_name, type, valid_from_ms and valid_to_ms are filled; the rest
 *                      is left for the caller.
 * @param ca            the CA key (KEY_USAGE_CA).
 * @param type          STORE_CERT_AUTHENTICATION or STORE_CERT_OFFLINE.
 * @return 0, KSEF_EINVAL, KSEF_EPARSE, KSEF_ENOMEM or KSEF_ECRYPTO.
 */
int certs_issue(store_cert *cert, const server_key *ca,
		const unsigned char *csr, size_t csr_len, int type,
		int64_t from_ms, ksef_error *err);

/** SHA-256 of bytes as 64 upper-case hex digits. */
int certs_sha256_hex(char out[65], const unsigned char *data, size_t len);

#endif
