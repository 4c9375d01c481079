/*
 * client_limits.h - the operations of the open-api tag "Limity i
 * ograniczenia" (limity/limity.md, limity/limity-api.md): the limits in
 * force for the caller's context and subject and the API's rate limits,
 * and the TEST environment's calls that change them, put the defaults
 * back or switch to the production rate limits.
 *
 * Every call here uses the access token (ksef_client_set_access_token()):
 * the limits are those of the authenticated context and subject. The
 * setters exist only on TEST ("Tylko na środowiskach testowych"); other
 * environments answer them 404.
 *
 * Ownership and errors are as client.h states them: results are handed
 * out by pointer only and freed with their _free(), lists are read with
 * their _count() and _at() accessors, and caller-filled inputs are
 * versioned structs started from their _INIT macro.
 */
#ifndef KSEF_CLIENT_LIMITS_H
#define KSEF_CLIENT_LIMITS_H

#include <stdint.h>
#include "common.h"
#include "error.h"
#include "client.h"

KSEF_BEGIN_DECLS

/*
 * Reading the limits
 */

/**
 * The limits of one kind of session (OnlineSessionEffectiveContextLimits,
 * BatchSessionEffectiveContextLimits).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_session_limits {
	/** maxInvoiceSizeInMB: the largest invoice, in MB. */
	int64_t max_invoice_size_in_mb;
	/** maxInvoiceWithAttachmentSizeInMB: the largest invoice with an
	 *  attachment, in MB. */
	int64_t max_invoice_with_attachment_size_in_mb;
	/** maxInvoices: the most invoices one session takes. */
	int64_t max_invoices;
} ksef_api_session_limits;

/**
 * The answer of GET /limits/context (EffectiveContextLimits).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_context_limits {
	/** onlineSession: interactive sessions; never NULL. */
	const ksef_api_session_limits *online_session;
	/** batchSession: batch sessions; never NULL. */
	const ksef_api_session_limits *batch_session;
} ksef_api_context_limits;

/**
 * GET /limits/context: the session limits in force for the context of the
 * access token.
 *
 * @param[out] out  receives the limits; free them with
 *                  ksef_api_context_limits_free(). NULL on failure.
 * @param c         the client, holding an access token.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL without an access token, or a code as for
 *         ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_limits_context(
	ksef_api_context_limits **out, ksef_client *c, ksef_error *err);

/**
 * Free context limits.
 *
 * @param l the limits; NULL does nothing.
 */
KSEF_API void ksef_api_context_limits_free(ksef_api_context_limits *l);

/**
 * The answer of GET /limits/subject (EffectiveSubjectLimits). Both parts
 * are nullable in the contract: a part the server left out is -1.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_subject_limits {
	/** enrollment.maxEnrollments: KSeF certificate requests, or -1. */
	int64_t max_enrollments;
	/** certificate.maxCertificates: active KSeF certificates, or -1. */
	int64_t max_certificates;
} ksef_api_subject_limits;

/**
 * GET /limits/subject: the certificate limits in force for the subject
 * that authenticated (its NIP, PESEL or certificate fingerprint).
 *
 * @param[out] out  receives the limits; free them with
 *                  ksef_api_subject_limits_free(). NULL on failure.
 * @param c         the client, holding an access token.
 * @param err       receives the reason on failure; may be NULL.
 * @return as ksef_client_limits_context().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_limits_subject(
	ksef_api_subject_limits **out, ksef_client *c, ksef_error *err);

/**
 * Free subject limits.
 *
 * @param l the limits; NULL does nothing.
 */
KSEF_API void ksef_api_subject_limits_free(ksef_api_subject_limits *l);

/**
 * The rate limits of one group of endpoints (EffectiveApiRateLimitValues).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_rate_limit {
	/** The group as EffectiveApiRateLimits names it: "onlineSession",
	 *  "batchSession", "invoiceSend", "invoiceStatus", "sessionList",
	 *  "sessionInvoiceList", "sessionMisc", "invoiceMetadata",
	 *  "invoiceExport", "invoiceExportStatus", "invoiceDownload" or
	 *  "other". */
	const char *group;
	int64_t per_second; /**< perSecond */
	int64_t per_minute; /**< perMinute */
	int64_t per_hour;   /**< perHour */
} ksef_api_rate_limit;

/** The answer of GET /rate-limits, one entry per group; opaque. */
typedef struct ksef_api_rate_limits ksef_api_rate_limits;

/**
 * GET /rate-limits: the request limits in force for the context of the
 * access token, per group of endpoints.
 *
 * @param[out] out  receives the list; free it with
 *                  ksef_api_rate_limits_free(). NULL on failure.
 * @param c         the client, holding an access token.
 * @param err       receives the reason on failure; may be NULL.
 * @return as ksef_client_limits_context().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_limits_rate(
	ksef_api_rate_limits **out, ksef_client *c, ksef_error *err);

/**
 * How many groups a list holds.
 *
 * @param l the list; may be NULL.
 * @return the count; 0 for NULL.
 */
KSEF_API size_t ksef_api_rate_limits_count(const ksef_api_rate_limits *l);

/**
 * One group of a list, in the contract's order of the groups.
 *
 * @param l the list; may be NULL.
 * @param i from 0 to ksef_api_rate_limits_count() - 1.
 * @return the group's limits, borrowed from l until
 *         ksef_api_rate_limits_free(); NULL when i is out of range or l is
 *         NULL.
 */
KSEF_API const ksef_api_rate_limit *ksef_api_rate_limits_at(
	const ksef_api_rate_limits *l, size_t i);

/**
 * One group of a list by its name.
 *
 * @param l     the list; may be NULL.
 * @param group the group's name, e.g. "invoiceSend".
 * @return the group's limits, borrowed from l; NULL when l has no such
 *         group or an argument is NULL.
 */
KSEF_API const ksef_api_rate_limit *ksef_api_rate_limits_find(
	const ksef_api_rate_limits *l, const char *group);

/**
 * Free a list of rate limits.
 *
 * @param l the list; NULL does nothing.
 */
KSEF_API void ksef_api_rate_limits_free(ksef_api_rate_limits *l);

/*
 * Changing the limits (TEST only)
 */

/**
 * The three limits of one kind of session a context may set
 * (OnlineSessionContextLimitsOverride, BatchSessionContextLimitsOverride).
 * Frozen: it never changes within a SONAME.
 */
typedef struct ksef_session_limit_values {
	/** maxInvoiceSizeInMB, 0 to 5. */
	int max_invoice_size_in_mb;
	/** maxInvoiceWithAttachmentSizeInMB, 0 to 10. */
	int max_invoice_with_attachment_size_in_mb;
	/** maxInvoices, 0 to 100000. */
	int max_invoices;
} ksef_session_limit_values;

/**
 * The version of ksef_client_session_limits this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_SESSION_LIMITS_VERSION 1

/** SetSessionLimitsRequest: both kinds of session are always sent. */
typedef struct ksef_client_session_limits {
	int version; /**< KSEF_CLIENT_SESSION_LIMITS_VERSION */
	ksef_session_limit_values online_session; /**< onlineSession */
	ksef_session_limit_values batch_session;  /**< batchSession */
} ksef_client_session_limits;

/** The defaults of limity/limity.md: 1 MB, 3 MB with an attachment and
 *  10,000 invoices for both kinds of session. */
#define KSEF_CLIENT_SESSION_LIMITS_INIT                                    \
	{ KSEF_CLIENT_SESSION_LIMITS_VERSION, { 1, 3, 10000 },               \
	  { 1, 3, 10000 } }

/**
 * POST /testdata/limits/context/session: set the session limits of the
 * access token's context (TEST only). Setting the same values again
 * changes nothing, so a 5xx or a timeout is retried.
 *
 * @param c      the client, holding an access token.
 * @param limits the limits; copied as its version says.
 * @param err    receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL argument, an unknown version or a
 *         value out of the contract's range (named in err), or a code as
 *         for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_limits_session_set(ksef_client *c,
	const ksef_client_session_limits *limits, ksef_error *err);

/**
 * DELETE /testdata/limits/context/session: put the context's session
 * limits back to the defaults (TEST only).
 *
 * @param c   the client, holding an access token.
 * @param err receives the reason on failure; may be NULL.
 * @return as ksef_client_limits_context().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_limits_session_reset(ksef_client *c,
	ksef_error *err);

/**
 * The version of ksef_client_subject_limits this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_SUBJECT_LIMITS_VERSION 1

/**
 * SetSubjectLimitsRequest. Every part is optional: NULL or -1 leaves it
 * out of the request, and the server keeps what was set before.
 */
typedef struct ksef_client_subject_limits {
	int version; /**< KSEF_CLIENT_SUBJECT_LIMITS_VERSION */
	/** subjectIdentifierType: "Nip", "Pesel" or "Fingerprint", the kind
	 *  of identifier that authenticated; or NULL. */
	const char *subject_identifier_type;
	/** enrollment.maxEnrollments, 0 to INT32_MAX; or -1. */
	int64_t max_enrollments;
	/** certificate.maxCertificates, 0 to INT32_MAX; or -1. */
	int64_t max_certificates;
} ksef_client_subject_limits;

/** Nothing to change. */
#define KSEF_CLIENT_SUBJECT_LIMITS_INIT \
	{ KSEF_CLIENT_SUBJECT_LIMITS_VERSION, NULL, -1, -1 }

/**
 * POST /testdata/limits/subject/certificate: set the certificate limits
 * of the subject that authenticated (TEST only). Retried like
 * ksef_client_limits_session_set().
 *
 * @param c      the client, holding an access token.
 * @param limits the limits; copied as its version says.
 * @param err    receives the reason on failure; may be NULL.
 * @return as ksef_client_limits_session_set().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_limits_certificate_set(
	ksef_client *c, const ksef_client_subject_limits *limits,
	ksef_error *err);

/**
 * DELETE /testdata/limits/subject/certificate: put the subject's
 * certificate limits back to the defaults (TEST only).
 *
 * @param c   the client, holding an access token.
 * @param err receives the reason on failure; may be NULL.
 * @return as ksef_client_limits_context().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_limits_certificate_reset(
	ksef_client *c, ksef_error *err);

/**
 * The limits of one group of endpoints (ApiRateLimitValuesOverride), each
 * at least 1 (the TEST environment refuses 0). Frozen: it never changes
 * within a SONAME.
 */
typedef struct ksef_rate_limit_values {
	int per_second; /**< perSecond */
	int per_minute; /**< perMinute */
	int per_hour;   /**< perHour */
} ksef_rate_limit_values;

/**
 * The version of ksef_client_rate_limits this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_RATE_LIMITS_VERSION 1

/**
 * SetRateLimitsRequest.rateLimits (ApiRateLimitsOverride): every group is
 * required, so every group is sent. Start from
 * KSEF_CLIENT_RATE_LIMITS_INIT, or from what ksef_client_limits_rate()
 * reports (see ksef_client_rate_limits_group()), and change the groups
 * you need.
 */
typedef struct ksef_client_rate_limits {
	int version; /**< KSEF_CLIENT_RATE_LIMITS_VERSION */
	ksef_rate_limit_values online_session;       /**< onlineSession */
	ksef_rate_limit_values batch_session;        /**< batchSession */
	ksef_rate_limit_values invoice_send;         /**< invoiceSend */
	ksef_rate_limit_values invoice_status;       /**< invoiceStatus */
	ksef_rate_limit_values session_list;         /**< sessionList */
	ksef_rate_limit_values session_invoice_list; /**< sessionInvoiceList */
	ksef_rate_limit_values session_misc;         /**< sessionMisc */
	ksef_rate_limit_values invoice_metadata;     /**< invoiceMetadata */
	ksef_rate_limit_values invoice_export;       /**< invoiceExport */
	/** invoiceExportStatus */
	ksef_rate_limit_values invoice_export_status;
	ksef_rate_limit_values invoice_download;     /**< invoiceDownload */
	ksef_rate_limit_values other;                /**< other */
} ksef_client_rate_limits;

/** The production limits of limity/limity-api.md, group by group. */
#define KSEF_CLIENT_RATE_LIMITS_INIT                                       \
	{ KSEF_CLIENT_RATE_LIMITS_VERSION, { 10, 30, 120 }, { 10, 20, 60 },  \
	  { 10, 30, 180 }, { 30, 120, 1200 }, { 5, 10, 60 },                 \
	  { 10, 20, 200 }, { 10, 120, 1200 }, { 8, 16, 20 }, { 8, 16, 20 },  \
	  { 10, 60, 600 }, { 8, 16, 64 }, { 10, 30, 120 } }

/**
 * The member of a rate-limits struct that holds one group, found by the
 * contract's name of the group, so that a program can copy what
 * ksef_client_limits_rate() reports into the struct.
 *
 * @param limits the struct; only the members its version has are found.
 * @param group  the group's name, e.g. "invoiceSend".
 * @return the member, a pointer into limits; NULL when the group is not
 *         one the struct's version has, or an argument is NULL.
 */
KSEF_API ksef_rate_limit_values *ksef_client_rate_limits_group(
	ksef_client_rate_limits *limits, const char *group);

/**
 * POST /testdata/rate-limits: set the request limits of the access
 * token's context, every group at once (TEST only). Retried like
 * ksef_client_limits_session_set().
 *
 * @param c      the client, holding an access token.
 * @param limits the limits; copied as its version says.
 * @param err    receives the reason on failure; may be NULL.
 * @return as ksef_client_limits_session_set(); a value below 1 is
 *         KSEF_EINVAL.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_rate_limits_set(ksef_client *c,
	const ksef_client_rate_limits *limits, ksef_error *err);

/**
 * DELETE /testdata/rate-limits: put the context's request limits back to
 * the environment's defaults (TEST only).
 *
 * @param c   the client, holding an access token.
 * @param err receives the reason on failure; may be NULL.
 * @return as ksef_client_limits_context().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_rate_limits_reset(ksef_client *c,
	ksef_error *err);

/**
 * POST /testdata/rate-limits/production: hold the context to the
 * production request limits (TEST only).
 *
 * @param c   the client, holding an access token.
 * @param err receives the reason on failure; may be NULL.
 * @return as ksef_client_limits_context().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_rate_limits_production(
	ksef_client *c, ksef_error *err);

KSEF_END_DECLS

#endif
