/*
 * client_certificates.h - the operations of the open-api tag
 * "Certyfikaty" (certyfikaty-KSeF.md): the subject's certificate limits,
 * the data a certificate request must carry, the request itself and its
 * status, the retrieval, listing and revocation of KSeF certificates; the
 * making of a key and its PKCS#10 request from that data, and the whole
 * enrolment in one call, which hands back the certificate with its key
 * encrypted (PEM and PKCS#12). Also GET /peppol/query, the public list of
 * Peppol service providers.
 *
 * The certificate calls use the access token (ksef_client_set_access_token())
 * and concern the authenticated subject, not the context of the login.
 * Enrolment data is given only after a login by XAdES signature: a login
 * by KSeF token is refused. GET /peppol/query needs no token.
 *
 * Ownership and errors are as client.h states them: results are handed
 * out by pointer only and freed with their _free(), lists are read with
 * their _count() and _at() accessors, and caller-filled inputs are
 * versioned structs started from their _INIT macro. Results that hold a
 * private key are wiped as they are freed.
 */
#ifndef KSEF_CLIENT_CERTIFICATES_H
#define KSEF_CLIENT_CERTIFICATES_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "error.h"
#include "buf.h"
#include "limits.h"
#include "client.h"
#include "xades.h"

KSEF_BEGIN_DECLS

/** Length of a KSeF certificate's serial number: 16 upper-case hex
 *  digits (certificateSerialNumber, ^[0-9A-F]{16}$). */
#define KSEF_CERTIFICATE_SERIAL_LEN 16

/** RetrieveCertificatesRequest.certificateSerialNumbers maxItems. */
#define KSEF_CERTIFICATE_RETRIEVE_MAX 10

/*
 * Limits and enrolment data
 */

/**
 * The answer of GET /certificates/limits (CertificateLimitsResponse).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_certificate_limits {
	/** canRequest: 1 when the subject may file another request. */
	int can_request;
	int64_t enrollment_limit;        /**< enrollment.limit */
	int64_t enrollment_remaining;    /**< enrollment.remaining */
	int64_t certificate_limit;       /**< certificate.limit */
	int64_t certificate_remaining;   /**< certificate.remaining */
} ksef_api_certificate_limits;

/**
 * GET /certificates/limits: how many requests and active certificates the
 * authenticated subject may still have.
 *
 * @param[out] out  receives the limits; free them with
 *                  ksef_api_certificate_limits_free(). NULL on failure.
 * @param c         the client, holding an access token.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL without an access token, or a code as for
 *         ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_certificates_limits(
	ksef_api_certificate_limits **out, ksef_client *c, ksef_error *err);

/**
 * Free certificate limits.
 *
 * @param l the limits; NULL does nothing.
 */
KSEF_API void ksef_api_certificate_limits_free(ksef_api_certificate_limits *l);

/**
 * The answer of GET /certificates/enrollments/data
 * (CertificateEnrollmentDataResponse): the subject attributes a request
 * must carry, exactly, read from the certificate the caller logged in
 * with. Optional attributes the server left out (or sent as null) are
 * NULL; a person has givenName, surname and serialNumber, a company seal
 * organizationName and organizationIdentifier.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_enrollment_data {
	const char *common_name;             /**< commonName (2.5.4.3) */
	const char *country_name;            /**< countryName (2.5.4.6) */
	const char *given_name;              /**< givenName (2.5.4.42) */
	const char *surname;                 /**< surname (2.5.4.4) */
	const char *serial_number;           /**< serialNumber (2.5.4.5) */
	const char *unique_identifier;       /**< uniqueIdentifier (2.5.4.45) */
	const char *organization_name;       /**< organizationName (2.5.4.10) */
	/** organizationIdentifier (2.5.4.97) */
	const char *organization_identifier;
} ksef_api_enrollment_data;

/**
 * GET /certificates/enrollments/data: the subject attributes for a
 * certificate request.
 *
 * @param[out] out  receives the data; free it with
 *                  ksef_api_enrollment_data_free(). NULL on failure.
 * @param c         the client, holding an access token from a XAdES
 *                  login.
 * @param err       receives the reason on failure; may be NULL.
 * @return as ksef_client_certificates_limits().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_certificates_enrollment_data(
	ksef_api_enrollment_data **out, ksef_client *c, ksef_error *err);

/**
 * Free enrolment data.
 *
 * @param d the data; NULL does nothing.
 */
KSEF_API void ksef_api_enrollment_data_free(ksef_api_enrollment_data *d);

/*
 * Requests
 */

/**
 * The version of ksef_client_enrollment this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_ENROLLMENT_VERSION 1

/** EnrollCertificateRequest. */
typedef struct ksef_client_enrollment {
	int version; /**< KSEF_CLIENT_ENROLLMENT_VERSION */
	/** certificateName: 5 to 100 characters of letters (Polish ones
	 *  too), digits, space, '_' and '-'. */
	const char *certificate_name;
	/** certificateType: "Authentication" or "Offline". */
	const char *certificate_type;
	/** csr: the PKCS#10 request, DER (ksef_certificate_csr_new()). */
	const unsigned char *csr_der;
	size_t csr_len; /**< its length, 1 to KSEF_CERT_MAX_BYTES */
	/** validFrom; KSEF_TIME_UNSET leaves it out (valid from issue). */
	int64_t valid_from_ms;
} ksef_client_enrollment;

/** Nothing filled in yet; validFrom left out. */
#define KSEF_CLIENT_ENROLLMENT_INIT \
	{ KSEF_CLIENT_ENROLLMENT_VERSION, NULL, NULL, NULL, 0, KSEF_TIME_UNSET }

/**
 * The answer of POST /certificates/enrollments (EnrollCertificateResponse).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_enrollment {
	const char *reference_number; /**< referenceNumber */
	int64_t timestamp_ms;         /**< timestamp */
} ksef_api_enrollment;

/**
 * POST /certificates/enrollments: file a certificate request. Not retried:
 * each request counts against the subject's limit.
 *
 * @param[out] out  receives the reference; free it with
 *                  ksef_api_enrollment_free(). NULL on failure.
 * @param c         the client, holding an access token.
 * @param req       the request; copied as its version says.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL argument, an unknown version or a
 *         field the contract refuses (named in err), or a code as for
 *         ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_certificates_enroll(
	ksef_api_enrollment **out, ksef_client *c,
	const ksef_client_enrollment *req, ksef_error *err);

/**
 * Free an enrolment reference.
 *
 * @param e the reference; NULL does nothing.
 */
KSEF_API void ksef_api_enrollment_free(ksef_api_enrollment *e);

/**
 * The answer of GET /certificates/enrollments/{referenceNumber}
 * (CertificateEnrollmentStatusResponse). status->code is 100 while the
 * request is processed, 200 when the certificate was issued, 400, 500 or
 * 550 when it was not.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_enrollment_status {
	int64_t request_date_ms;          /**< requestDate */
	const ksef_api_status *status;    /**< status; never NULL */
	/** certificateSerialNumber once issued, else NULL. */
	const char *certificate_serial_number;
} ksef_api_enrollment_status;

/**
 * GET /certificates/enrollments/{referenceNumber}: a request's status.
 *
 * @param[out] out  receives the status; free it with
 *                  ksef_api_enrollment_status_free(). NULL on failure.
 * @param c         the client, holding an access token.
 * @param ref       the request's reference number.
 * @param err       receives the reason on failure; may be NULL.
 * @return as ksef_client_certificates_limits(); KSEF_EINVAL for a
 *         malformed reference.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_certificates_enrollment_status(
	ksef_api_enrollment_status **out, ksef_client *c, const char *ref,
	ksef_error *err);

/**
 * Free a request's status.
 *
 * @param s the status; NULL does nothing.
 */
KSEF_API void ksef_api_enrollment_status_free(ksef_api_enrollment_status *s);

/*
 * Retrieval
 */

/**
 * One certificate of POST /certificates/retrieve
 * (RetrieveCertificatesListItem).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_retrieved_certificate {
	const unsigned char *der;  /**< certificate, decoded from Base64 */
	size_t der_len;            /**< its length in bytes */
	const char *name;          /**< certificateName */
	const char *serial_number; /**< certificateSerialNumber */
	const char *type;          /**< certificateType */
} ksef_api_retrieved_certificate;

/** The answer of POST /certificates/retrieve; opaque. */
typedef struct ksef_api_retrieved_certificates ksef_api_retrieved_certificates;

/**
 * POST /certificates/retrieve: the certificates of some serial numbers.
 *
 * @param[out] out  receives the list; free it with
 *                  ksef_api_retrieved_certificates_free(). NULL on
 *                  failure.
 * @param c         the client, holding an access token.
 * @param serials   the serial numbers (KSEF_CERTIFICATE_SERIAL_LEN hex
 *                  digits each); borrowed for the call.
 * @param count     how many, 1 to KSEF_CERTIFICATE_RETRIEVE_MAX.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a bad serial number or count, or a code as
 *         for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_certificates_retrieve(
	ksef_api_retrieved_certificates **out, ksef_client *c,
	const char *const *serials, size_t count, ksef_error *err);

/**
 * How many certificates a list holds.
 *
 * @param l the list; may be NULL.
 * @return the count; 0 for NULL.
 */
KSEF_API size_t ksef_api_retrieved_certificates_count(
	const ksef_api_retrieved_certificates *l);

/**
 * One certificate of a list.
 *
 * @param l the list; may be NULL.
 * @param i from 0 to ksef_api_retrieved_certificates_count() - 1.
 * @return the certificate, borrowed from l until its _free(); NULL when i
 *         is out of range or l is NULL.
 */
KSEF_API const ksef_api_retrieved_certificate *
ksef_api_retrieved_certificates_at(const ksef_api_retrieved_certificates *l,
				   size_t i);

/**
 * Free a list of retrieved certificates.
 *
 * @param l the list; NULL does nothing.
 */
KSEF_API void ksef_api_retrieved_certificates_free(
	ksef_api_retrieved_certificates *l);

/*
 * Listing and revocation
 */

/**
 * The version of ksef_client_certificate_query this header describes.
 * The library takes a struct of any version from 1 to its own, reading
 * only the fields that version has and leaving later ones at their
 * defaults.
 */
#define KSEF_CLIENT_CERTIFICATE_QUERY_VERSION 1

/** QueryCertificatesRequest and the page asked for; NULL or unset
 *  filters are left out. */
typedef struct ksef_client_certificate_query {
	int version; /**< KSEF_CLIENT_CERTIFICATE_QUERY_VERSION */
	/** certificateSerialNumber: exact match. */
	const char *serial_number;
	/** name: the certificates whose name contains it. */
	const char *name;
	/** type: "Authentication" or "Offline". */
	const char *type;
	/** status: "Active", "Blocked", "Revoked" or "Expired". */
	const char *status;
	/** expiresAfter, or KSEF_TIME_UNSET. */
	int64_t expires_after_ms;
	/** pageSize, 10 to 50; 0 for the server's default (10). */
	int page_size;
	/** pageOffset, 0 or more. */
	int page_offset;
} ksef_client_certificate_query;

/** No filter, the first page of the default size. */
#define KSEF_CLIENT_CERTIFICATE_QUERY_INIT                                 \
	{ KSEF_CLIENT_CERTIFICATE_QUERY_VERSION, NULL, NULL, NULL, NULL,    \
	  KSEF_TIME_UNSET, 0, 0 }

/**
 * One certificate of POST /certificates/query (CertificateListItem).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_certificate_info {
	const char *serial_number;    /**< certificateSerialNumber */
	const char *name;             /**< name */
	const char *type;             /**< type: Authentication, Offline */
	const char *common_name;      /**< commonName */
	/** status: Active, Blocked, Revoked or Expired. */
	const char *status;
	/** subjectIdentifier.type: Nip, Pesel or Fingerprint. */
	const char *subject_identifier_type;
	const char *subject_identifier_value; /**< subjectIdentifier.value */
	int64_t valid_from_ms;        /**< validFrom */
	int64_t valid_to_ms;          /**< validTo */
	/** lastUseDate, or KSEF_TIME_UNSET when never used. */
	int64_t last_use_date_ms;
	int64_t request_date_ms;      /**< requestDate */
} ksef_api_certificate_info;

/** One page of POST /certificates/query; opaque. */
typedef struct ksef_api_certificate_list ksef_api_certificate_list;

/**
 * POST /certificates/query: one page of the subject's certificates.
 *
 * @param[out] out  receives the page; free it with
 *                  ksef_api_certificate_list_free(). NULL on failure.
 * @param c         the client, holding an access token.
 * @param q         the filters and page; copied as its version says.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a filter the contract refuses (named in
 *         err), or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_certificates_query(
	ksef_api_certificate_list **out, ksef_client *c,
	const ksef_client_certificate_query *q, ksef_error *err);

/**
 * How many certificates a page holds.
 *
 * @param l the page; may be NULL.
 * @return the count; 0 for NULL.
 */
KSEF_API size_t ksef_api_certificate_list_count(
	const ksef_api_certificate_list *l);

/**
 * One certificate of a page.
 *
 * @param l the page; may be NULL.
 * @param i from 0 to ksef_api_certificate_list_count() - 1.
 * @return the item, borrowed from l until its _free(); NULL when i is out
 *         of range or l is NULL.
 */
KSEF_API const ksef_api_certificate_info *ksef_api_certificate_list_at(
	const ksef_api_certificate_list *l, size_t i);

/**
 * hasMore: whether a later page (pageOffset + 1) has more.
 *
 * @param l the page; may be NULL.
 * @return 1 or 0; 0 for NULL.
 */
KSEF_API int ksef_api_certificate_list_has_more(
	const ksef_api_certificate_list *l);

/**
 * Free a page of certificates.
 *
 * @param l the page; NULL does nothing.
 */
KSEF_API void ksef_api_certificate_list_free(ksef_api_certificate_list *l);

/**
 * POST /certificates/{certificateSerialNumber}/revoke: revoke a
 * certificate of the subject. Revoking again changes nothing, so a 5xx
 * or a timeout is retried.
 *
 * @param c       the client, holding an access token.
 * @param serial  the serial number, KSEF_CERTIFICATE_SERIAL_LEN hex
 *                digits.
 * @param reason  revocationReason: "Unspecified", "Superseded" or
 *                "KeyCompromise"; NULL leaves it out.
 * @param err     receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a bad serial number or reason, or a code as
 *         for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_certificates_revoke(ksef_client *c,
	const char *serial, const char *reason, ksef_error *err);

/*
 * Keys, requests and the files of a certificate
 */

/**
 * Make a new key pair and its PKCS#10 request, whose subject is exactly
 * the enrolment data's attributes (certyfikaty-KSeF.md, section 3), each
 * a UTF8String but countryName and serialNumber (PrintableString, as
 * X.520 has them), signed with SHA-256 (RSA PKCS#1 v1.5 or ECDSA).
 *
 * @param[out] csr_der  receives the request as DER, replacing what it
 *                      held; release it with ksef_buf_dispose().
 * @param[out] key_pem  receives the private key as PKCS#8 PEM encrypted
 *                      with AES-256-CBC under a PBKDF2 key from
 *                      passphrase, replacing what it held; release it
 *                      with ksef_buf_dispose_secure(). Both are unchanged
 *                      on failure.
 * @param data          the subject, from
 *                      ksef_client_certificates_enrollment_data().
 * @param key_type      RSA 2048 or EC P-256 (recommended by the docs).
 * @param passphrase    the key's passphrase, not empty; not kept.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL argument, an empty passphrase or data
 *         without commonName or countryName, KSEF_ECRYPTO if OpenSSL
 *         refuses (an attribute too long for X.509, say), or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_certificate_csr_new(ksef_buf *csr_der,
	ksef_buf *key_pem, const ksef_api_enrollment_data *data,
	ksef_xades_key_type key_type, const char *passphrase,
	ksef_error *err);

/**
 * A DER certificate as PEM ("-----BEGIN CERTIFICATE-----").
 *
 * @param[out] out  receives the PEM text, replacing what it held; release
 *                  it with ksef_buf_dispose(). Unchanged on failure.
 * @param der       the certificate.
 * @param len       its length, 1 to KSEF_CERT_MAX_BYTES.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_EPARSE if it is not an X.509
 *         certificate, or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_certificate_der_to_pem(ksef_buf *out,
	const unsigned char *der, size_t len, ksef_error *err);

/**
 * A PKCS#12 file of a key and its certificate: key and certificate bags
 * encrypted with AES-256-CBC under PBKDF2, the MAC HMAC-SHA-256, all
 * under one passphrase, as ksef_xades_signer_from_pkcs12() reads it.
 *
 * @param[out] out       receives the file, replacing what it held; it
 *                       holds the key (encrypted): release it with
 *                       ksef_buf_dispose_secure(). Unchanged on failure.
 * @param key_pem        the private key, PEM, as ksef_certificate_csr_new()
 *                       makes it.
 * @param key_len        its length, at most KSEF_CERT_MAX_BYTES.
 * @param key_passphrase the key's passphrase, or NULL for a key in clear.
 * @param cert_der       the certificate, DER.
 * @param cert_len       its length, at most KSEF_CERT_MAX_BYTES.
 * @param passphrase     the file's passphrase, not empty.
 * @param friendly_name  the name shown for the key, or NULL.
 * @param err            receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_EPARSE if the key does not
 *         load (wrong passphrase) or the certificate is not X.509,
 *         KSEF_EXADES_CERT if the key is not the certificate's,
 *         KSEF_ECRYPTO, or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_certificate_pkcs12(ksef_buf *out,
	const unsigned char *key_pem, size_t key_len,
	const char *key_passphrase, const unsigned char *cert_der,
	size_t cert_len, const char *passphrase, const char *friendly_name,
	ksef_error *err);

/*
 * The whole enrolment
 */

/**
 * The version of ksef_client_enroll_options this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_ENROLL_OPTIONS_VERSION 1

/** What ksef_client_certificates_obtain() asks for and how long it waits. */
typedef struct ksef_client_enroll_options {
	int version; /**< KSEF_CLIENT_ENROLL_OPTIONS_VERSION */
	/** certificateName, as in ksef_client_enrollment. */
	const char *certificate_name;
	/** certificateType: "Authentication" or "Offline". */
	const char *certificate_type;
	/** The key made: EC P-256 by default, as the docs recommend. */
	ksef_xades_key_type key_type;
	/** The passphrase of the key and of the PKCS#12 file; required, not
	 *  kept. */
	const char *passphrase;
	/** validFrom, or KSEF_TIME_UNSET. */
	int64_t valid_from_ms;
	/** The longest wait for the request to be processed, in ms
	 *  (1 to 3600000; default 120000). */
	int wait_ms;
	/** The first pause between status checks, doubled after each up
	 *  to poll_max_ms (defaults 500 and 5000; 1 or more). */
	int poll_initial_ms;
	int poll_max_ms; /**< see poll_initial_ms */
} ksef_client_enroll_options;

/** The defaults; fill certificate_name, certificate_type, passphrase. */
#define KSEF_CLIENT_ENROLL_OPTIONS_INIT                                    \
	{ KSEF_CLIENT_ENROLL_OPTIONS_VERSION, NULL, NULL,                   \
	  KSEF_XADES_KEY_EC_P256, NULL, KSEF_TIME_UNSET, 120000, 500, 5000 }

/**
 * A certificate obtained by ksef_client_certificates_obtain(), with its
 * key. Every buffer is owned by the result, which wipes them as it is
 * freed.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_enrolled_certificate {
	const char *reference_number; /**< the request's referenceNumber */
	const char *serial_number;    /**< certificateSerialNumber */
	const char *type;             /**< certificateType */
	const unsigned char *cert_der; /**< the certificate, DER */
	size_t cert_der_len;           /**< its length */
	const char *cert_pem;          /**< the certificate, PEM */
	size_t cert_pem_len;           /**< its length */
	/** The private key, encrypted PKCS#8 PEM under the passphrase. */
	const char *key_pem;
	size_t key_pem_len;            /**< its length */
	/** Key and certificate as PKCS#12 under the passphrase. */
	const unsigned char *pkcs12;
	size_t pkcs12_len;             /**< its length */
} ksef_enrolled_certificate;

/**
 * Obtain a KSeF certificate: read the enrolment data, make a key and a
 * request for exactly that subject, file it, check its status with
 * backoff until it is processed or wait_ms passes, retrieve the
 * certificate, and hand it back with its key encrypted, as PEM and as
 * PKCS#12. Writing them anywhere is the caller's choice.
 *
 * @param[out] out  receives the certificate; free it with
 *                  ksef_enrolled_certificate_free(). NULL on failure.
 * @param c         the client, holding an access token from a XAdES
 *                  login.
 * @param opts      what to ask for; copied as its version says.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0; KSEF_EINVAL for a bad option; KSEF_EHTTP when the request
 *         ended with a status other than 200 (the status and its details
 *         in err), KSEF_ENETWORK when it was still processed after
 *         wait_ms (the reference in err, for
 *         ksef_client_certificates_enrollment_status());
 *         KSEF_EXADES_CERT when the certificate retrieved does not hold
 *         the key made; or a code of the calls it makes.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_certificates_obtain(
	ksef_enrolled_certificate **out, ksef_client *c,
	const ksef_client_enroll_options *opts, ksef_error *err);

/**
 * Free an obtained certificate, wiping its key.
 *
 * @param e the certificate; NULL does nothing.
 */
KSEF_API void ksef_enrolled_certificate_free(ksef_enrolled_certificate *e);

/*
 * Peppol
 */

/**
 * One provider of GET /peppol/query (PeppolProvider).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_peppol_provider {
	const char *id;           /**< id, e.g. "PPL000001" */
	const char *name;         /**< name */
	int64_t date_created_ms;  /**< dateCreated */
} ksef_api_peppol_provider;

/** One page of GET /peppol/query; opaque. */
typedef struct ksef_api_peppol_list ksef_api_peppol_list;

/**
 * GET /peppol/query: one page of the Peppol service providers KSeF knows,
 * newest first. The endpoint is public: the access token is not sent.
 *
 * @param[out] out      receives the page; free it with
 *                      ksef_api_peppol_list_free(). NULL on failure.
 * @param c             the client.
 * @param page_size     10 to 100, or 0 for the server's default (10).
 * @param page_offset   0 or more.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a bad page, or a code as for
 *         ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_peppol_query(
	ksef_api_peppol_list **out, ksef_client *c, int page_size,
	int page_offset, ksef_error *err);

/**
 * How many providers a page holds.
 *
 * @param l the page; may be NULL.
 * @return the count; 0 for NULL.
 */
KSEF_API size_t ksef_api_peppol_list_count(const ksef_api_peppol_list *l);

/**
 * One provider of a page.
 *
 * @param l the page; may be NULL.
 * @param i from 0 to ksef_api_peppol_list_count() - 1.
 * @return the provider, borrowed from l until its _free(); NULL when i is
 *         out of range or l is NULL.
 */
KSEF_API const ksef_api_peppol_provider *ksef_api_peppol_list_at(
	const ksef_api_peppol_list *l, size_t i);

/**
 * hasMore: whether a later page has more.
 *
 * @param l the page; may be NULL.
 * @return 1 or 0; 0 for NULL.
 */
KSEF_API int ksef_api_peppol_list_has_more(const ksef_api_peppol_list *l);

/**
 * Free a page of providers.
 *
 * @param l the page; NULL does nothing.
 */
KSEF_API void ksef_api_peppol_list_free(ksef_api_peppol_list *l);

KSEF_END_DECLS

#endif
