/*
 * client_certificates_int.h - what the files of the certificate calls
 * share (client_certificates.c: the endpoints; client_certificates_csr.c:
 * keys, requests, PKCS#12 and the whole enrolment), and what the unit
 * tests reach: the request builders, which turn a call's inputs into the
 * JSON body (and path) it sends, so that the body can be held against
 * open-api.json without a network.
 */
#ifndef KSEF_CLIENT_CERTIFICATES_INT_H
#define KSEF_CLIENT_CERTIFICATES_INT_H

#include <jansson.h>
#include "ksef/client_certificates.h"
#include "client_int.h"

/* Longest attribute of the enrolment data read, in bytes: X.509 bounds
 * its attributes at 64 to 128 characters (RFC 5280 ub-*), four bytes
 * each at most in UTF-8, with room for a server that goes further. */
#define KSEF__CERT_ATTR_MAX_BYTES 1024

/* Non-zero when s is a certificate serial number: 16 of [0-9A-F]. */
int ksef__cert_serial_ok(const char *s);

/* Non-zero when s is one of the names of KsefCertificateType. */
int ksef__cert_type_ok(const char *s);

/*
 * EnrollCertificateRequest from a caller's ksef_client_enrollment of any
 * version. Returns 0 with *out a new reference, or KSEF_EINVAL naming the
 * field the contract would refuse, or KSEF_ENOMEM; *out is NULL on
 * failure.
 */
int ksef__client_build_enroll_body(json_t **out,
	const ksef_client_enrollment *req, ksef_error *err);

/* RetrieveCertificatesRequest. Same returns. */
int ksef__client_build_retrieve_body(json_t **out,
	const char *const *serials, size_t count, ksef_error *err);

/* QueryCertificatesRequest and its path with pageSize and pageOffset into
 * path (which the caller disposes of). Same returns. */
int ksef__client_build_certificate_query(json_t **out, ksef_buf *path,
	const ksef_client_certificate_query *q, ksef_error *err);

/* RevokeCertificateRequest; reason NULL gives an empty object. Same
 * returns. */
int ksef__client_build_revoke_body(json_t **out, const char *reason,
				   ksef_error *err);

/* The path of GET /peppol/query with its page. 0, KSEF_EINVAL or
 * KSEF_ENOMEM. */
int ksef__client_peppol_path(ksef_buf *path, int page_size, int page_offset,
			     ksef_error *err);

/*
 * Tests only: when not NULL, the key (an EVP_PKEY *, void here so that
 * this header needs no OpenSSL) that ksef_certificate_csr_new() uses
 * instead of making one of key_type, so that a scripted server can answer
 * with a certificate for it. Never set by the library.
 */
extern void *ksef__cert_test_key;

#endif
