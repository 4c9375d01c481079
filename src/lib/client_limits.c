/*
 * client_limits.c - the endpoints of the open-api tag "Limity i
 * ograniczenia" (limity/limity.md, limity/limity-api.md): reading the
 * context's session limits, the subject's certificate limits and the
 * rate limits of each group of endpoints, and the TEST environment's
 * calls that change them. Every call uses the access token. The bodies
 * are built by the builders of client_admin.h, checked against the
 * request schemas' bounds first; the bare exchange of the setters is
 * client_testdata.c's ksef__admin_call().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include "client_int.h"
#include "client_admin.h"

/* The bounds of OnlineSessionContextLimitsOverride and
 * BatchSessionContextLimitsOverride. */
#define SESSION_MAX_INVOICE_MB 5
#define SESSION_MAX_ATTACHMENT_MB 10
#define SESSION_MAX_INVOICES 100000

/* Every limit of the tag is an int32 (format int32). */
#define INT32_LIMIT INT64_C(2147483647)

/*
 * The groups of EffectiveApiRateLimits and ApiRateLimitsOverride, in the
 * contract's order, with where each lives in ksef_client_rate_limits.
 */
static const struct {
	const char *name;
	size_t offset;
} groups[] = {
#define G(name, member) { name, offsetof(ksef_client_rate_limits, member) }
	G("onlineSession", online_session),
	G("batchSession", batch_session),
	G("invoiceSend", invoice_send),
	G("invoiceStatus", invoice_status),
	G("sessionList", session_list),
	G("sessionInvoiceList", session_invoice_list),
	G("sessionMisc", session_misc),
	G("invoiceMetadata", invoice_metadata),
	G("invoiceExport", invoice_export),
	G("invoiceExportStatus", invoice_export_status),
	G("invoiceDownload", invoice_download),
	G("other", other),
#undef G
};

#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

struct ksef_api_rate_limits { struct ksef__list l; };

/*
 * Reading the limits
 */

/* OnlineSessionEffectiveContextLimits / BatchSessionEffectiveContextLimits
 * under key, into a new struct of the result. */
static int parse_session_limits(struct ksef__rd *r, const json_t *root,
				const char *key,
				const ksef_api_session_limits **out)
{
	ksef_api_session_limits *l;
	const json_t *o;
	size_t old;
	int error;

	if ((error = ksef__rd_object(r, root, key, 1, &o)) < 0)
		return error;
	if ((l = ksef__result_alloc(r->res, sizeof(*l))) == NULL)
		return ksef__rd_nomem(r);
	old = ksef__rd_push(r, key);
	if ((error = ksef__rd_int(r, o, "maxInvoiceSizeInMB", 1, 0,
				  INT32_LIMIT,
				  &l->max_invoice_size_in_mb)) == 0 &&
	    (error = ksef__rd_int(r, o, "maxInvoiceWithAttachmentSizeInMB", 1,
				  0, INT32_LIMIT,
				  &l->max_invoice_with_attachment_size_in_mb))
		    == 0)
		error = ksef__rd_int(r, o, "maxInvoices", 1, 0, INT32_LIMIT,
				     &l->max_invoices);
	ksef__rd_pop(r, old);
	*out = l;
	return error;
}

/* EffectiveContextLimits. */
static int parse_context_limits(struct ksef__rd *r, const json_t *root,
				void *res)
{
	ksef_api_context_limits *l = res;
	int error = parse_session_limits(r, root, "onlineSession",
					 &l->online_session);

	return error < 0 ? error : parse_session_limits(r, root,
					"batchSession", &l->batch_session);
}

int ksef_client_limits_context(ksef_api_context_limits **out, ksef_client *c,
			       ksef_error *err)
{
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_get_one(&res, c, "/limits/context",
				       sizeof(ksef_api_context_limits),
				       parse_context_limits, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_context_limits_free(ksef_api_context_limits *l)
{
	ksef__result_free(l);
}

/* One nullable part of EffectiveSubjectLimits: -1 when it or its member
 * is absent or null. */
static int parse_subject_part(struct ksef__rd *r, const json_t *root,
			      const char *key, const char *member,
			      int64_t *out)
{
	const json_t *o = json_object_get(root, key);
	size_t old;
	int error;

	*out = -1;
	if (o == NULL || json_is_null(o))
		return 0;
	if ((error = ksef__rd_object(r, root, key, 1, &o)) < 0)
		return error;
	if (json_is_null(json_object_get(o, member)))
		return 0;
	old = ksef__rd_push(r, key);
	error = ksef__rd_int(r, o, member, 0, 0, INT32_LIMIT, out);
	ksef__rd_pop(r, old);
	return error;
}

/* EffectiveSubjectLimits. */
static int parse_subject_limits(struct ksef__rd *r, const json_t *root,
				void *res)
{
	ksef_api_subject_limits *l = res;
	int error = parse_subject_part(r, root, "enrollment", "maxEnrollments",
				       &l->max_enrollments);

	return error < 0 ? error : parse_subject_part(r, root, "certificate",
				"maxCertificates", &l->max_certificates);
}

int ksef_client_limits_subject(ksef_api_subject_limits **out, ksef_client *c,
			       ksef_error *err)
{
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_get_one(&res, c, "/limits/subject",
				       sizeof(ksef_api_subject_limits),
				       parse_subject_limits, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_subject_limits_free(ksef_api_subject_limits *l)
{
	ksef__result_free(l);
}

/* EffectiveApiRateLimits: every group the contract requires, in its
 * order; a group this version does not know is left out. */
static int parse_rate_limits(struct ksef__rd *r, const json_t *root,
			     void *res)
{
	struct ksef__list *l = res;
	ksef_api_rate_limit *items;
	const json_t *o;
	size_t i, old;
	int error = 0;

	items = ksef__result_alloc(r->res, NGROUPS * sizeof(*items));
	if (items == NULL)
		return ksef__rd_nomem(r);
	l->items = (const unsigned char *)items;
	l->item_size = sizeof(*items);
	for (i = 0; i < NGROUPS && error == 0; i++) {
		if ((error = ksef__rd_object(r, root, groups[i].name, 1,
					     &o)) < 0)
			break;
		items[i].group = groups[i].name;
		old = ksef__rd_push(r, groups[i].name);
		if ((error = ksef__rd_int(r, o, "perSecond", 1, 0, INT32_LIMIT,
					  &items[i].per_second)) == 0 &&
		    (error = ksef__rd_int(r, o, "perMinute", 1, 0, INT32_LIMIT,
					  &items[i].per_minute)) == 0)
			error = ksef__rd_int(r, o, "perHour", 1, 0,
					     INT32_LIMIT, &items[i].per_hour);
		ksef__rd_pop(r, old);
	}
	if (error == 0)
		l->count = NGROUPS;
	return error;
}

int ksef_client_limits_rate(ksef_api_rate_limits **out, ksef_client *c,
			    ksef_error *err)
{
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_get_one(&res, c, "/rate-limits",
				       sizeof(struct ksef__list),
				       parse_rate_limits, err)) == 0)
		*out = res;
	return error;
}

size_t ksef_api_rate_limits_count(const ksef_api_rate_limits *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_rate_limit *ksef_api_rate_limits_at(
	const ksef_api_rate_limits *l, size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

const ksef_api_rate_limit *ksef_api_rate_limits_find(
	const ksef_api_rate_limits *l, const char *group)
{
	const ksef_api_rate_limit *g;
	size_t i;

	for (i = 0; group != NULL && i < ksef_api_rate_limits_count(l); i++)
		if ((g = ksef_api_rate_limits_at(l, i)) != NULL &&
		    strcmp(g->group, group) == 0)
			return g;
	return NULL;
}

void ksef_api_rate_limits_free(ksef_api_rate_limits *l)
{
	ksef__result_free(l);
}

/*
 * Session limits
 */

/* The bytes of each version of ksef_client_session_limits (options.h). */
static const size_t session_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_session_limits, batch_session),
};
KSEF__OPTIONS_SIZES(session_sizes, KSEF_CLIENT_SESSION_LIMITS_VERSION);

/* A value within [0, max], named in the message as kind.name. */
static int check_range(const char *kind, const char *name, int64_t v,
		       int64_t min, int64_t max, ksef_error *err)
{
	if (v < min || v > max)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s%s%s is %lld, not %lld to %lld", kind,
			*kind ? "." : "", name, (long long)v, (long long)min,
			(long long)max);
	return 0;
}

static json_t *session_json(const char *kind,
			    const ksef_session_limit_values *v, int *error,
			    ksef_error *err)
{
	if ((*error = check_range(kind, "maxInvoiceSizeInMB",
				  v->max_invoice_size_in_mb, 0,
				  SESSION_MAX_INVOICE_MB, err)) < 0 ||
	    (*error = check_range(kind, "maxInvoiceWithAttachmentSizeInMB",
				  v->max_invoice_with_attachment_size_in_mb,
				  0, SESSION_MAX_ATTACHMENT_MB, err)) < 0 ||
	    (*error = check_range(kind, "maxInvoices", v->max_invoices, 0,
				  SESSION_MAX_INVOICES, err)) < 0)
		return NULL;
	return json_pack("{s:i,s:i,s:i}", "maxInvoiceSizeInMB",
			 v->max_invoice_size_in_mb,
			 "maxInvoiceWithAttachmentSizeInMB",
			 v->max_invoice_with_attachment_size_in_mb,
			 "maxInvoices", v->max_invoices);
}

int ksef__client_build_session_limits_body(json_t **out,
	const ksef_client_session_limits *limits, ksef_error *err)
{
	ksef_client_session_limits copy = KSEF_CLIENT_SESSION_LIMITS_INIT;
	json_t *online, *batch;
	int error;

	*out = NULL;
	if ((error = KSEF__OPTIONS_COPY(&copy, limits, session_sizes,
					KSEF_CLIENT_SESSION_LIMITS_VERSION,
					"ksef_client_session_limits",
					err)) < 0)
		return error;
	if ((online = session_json("onlineSession", &copy.online_session,
				   &error, err)) == NULL)
		return error < 0 ? error : ksef__error_set(err, KSEF_ENOMEM,
							   "out of memory");
	if ((batch = session_json("batchSession", &copy.batch_session,
				  &error, err)) == NULL) {
		json_decref(online);
		return error < 0 ? error : ksef__error_set(err, KSEF_ENOMEM,
							   "out of memory");
	}
	if ((*out = json_pack("{s:o,s:o}", "onlineSession", online,
			      "batchSession", batch)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

int ksef_client_limits_session_set(ksef_client *c,
				   const ksef_client_session_limits *limits,
				   ksef_error *err)
{
	json_t *body;
	int error;

	if ((error = ksef__req_begin(c, limits != NULL, err)) < 0 ||
	    (error = ksef__client_build_session_limits_body(&body, limits,
							    err)) < 0)
		return error;
	/* Setting the same limits again changes nothing: retried. */
	return ksef__admin_call(c, "POST", "/testdata/limits/context/session",
				body, 1, 1, err);
}

/* A call of the tag without a body: the resets and the production
 * switch, each of which may be repeated without effect. */
static int bare_call(ksef_client *c, const char *method, const char *path,
		     ksef_error *err)
{
	int error = ksef__req_begin(c, 1, err);

	return error < 0 ? error : ksef__admin_call(c, method, path, NULL, 1,
						    1, err);
}

int ksef_client_limits_session_reset(ksef_client *c, ksef_error *err)
{
	return bare_call(c, "DELETE", "/testdata/limits/context/session", err);
}

/*
 * Certificate limits
 */

static const size_t subject_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_subject_limits, max_certificates),
};
KSEF__OPTIONS_SIZES(subject_sizes, KSEF_CLIENT_SUBJECT_LIMITS_VERSION);

/* One optional part {member: v}; nothing when v is -1. */
static int put_subject_part(json_t *body, const char *key, const char *member,
			    int64_t v, ksef_error *err)
{
	int error;

	if (v == -1)
		return 0;
	if ((error = check_range(key, member, v, 0, INT32_LIMIT, err)) < 0)
		return error;
	if (ksef__req_json_set(body, key, json_pack("{s:I}", member,
						    (json_int_t)v)) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

int ksef__client_build_subject_limits_body(json_t **out,
	const ksef_client_subject_limits *limits, ksef_error *err)
{
	ksef_client_subject_limits copy = KSEF_CLIENT_SUBJECT_LIMITS_INIT;
	const char *type;
	json_t *body;
	int error;

	*out = NULL;
	if ((error = KSEF__OPTIONS_COPY(&copy, limits, subject_sizes,
					KSEF_CLIENT_SUBJECT_LIMITS_VERSION,
					"ksef_client_subject_limits",
					err)) < 0)
		return error;
	type = copy.subject_identifier_type;
	if (type != NULL && strcmp(type, "Nip") != 0 &&
	    strcmp(type, "Pesel") != 0 && strcmp(type, "Fingerprint") != 0)
		return ksef__error_set(err, KSEF_EINVAL, "subjectIdentifierType "
				       "must be Nip, Pesel or Fingerprint");
	if ((body = json_object()) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((type != NULL && ksef__req_json_set(body, "subjectIdentifierType",
						json_string(type)) < 0 &&
	     (error = ksef__error_set(err, KSEF_ENOMEM,
				      "out of memory")) < 0) ||
	    (error = put_subject_part(body, "enrollment", "maxEnrollments",
				      copy.max_enrollments, err)) < 0 ||
	    (error = put_subject_part(body, "certificate", "maxCertificates",
				      copy.max_certificates, err)) < 0) {
		json_decref(body);
		return error;
	}
	*out = body;
	return 0;
}

int ksef_client_limits_certificate_set(ksef_client *c,
	const ksef_client_subject_limits *limits, ksef_error *err)
{
	json_t *body;
	int error;

	if ((error = ksef__req_begin(c, limits != NULL, err)) < 0 ||
	    (error = ksef__client_build_subject_limits_body(&body, limits,
							    err)) < 0)
		return error;
	return ksef__admin_call(c, "POST",
				"/testdata/limits/subject/certificate", body,
				1, 1, err);
}

int ksef_client_limits_certificate_reset(ksef_client *c, ksef_error *err)
{
	return bare_call(c, "DELETE", "/testdata/limits/subject/certificate",
			 err);
}

/*
 * Rate limits
 */

static const size_t rate_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_rate_limits, other),
};
KSEF__OPTIONS_SIZES(rate_sizes, KSEF_CLIENT_RATE_LIMITS_VERSION);

ksef_rate_limit_values *ksef_client_rate_limits_group(
	ksef_client_rate_limits *limits, const char *group)
{
	size_t i, have;
	int version;

	if (limits == NULL || group == NULL)
		return NULL;
	/* A caller's older struct ends where its version does. */
	version = limits->version;
	if (version < 1 || version > KSEF_CLIENT_RATE_LIMITS_VERSION)
		return NULL;
	have = rate_sizes[version - 1];
	for (i = 0; i < NGROUPS; i++)
		if (strcmp(groups[i].name, group) == 0 &&
		    groups[i].offset + sizeof(ksef_rate_limit_values) <= have)
			return (ksef_rate_limit_values *)(void *)
				((unsigned char *)limits + groups[i].offset);
	return NULL;
}

int ksef__client_build_rate_limits_body(json_t **out,
	const ksef_client_rate_limits *limits, ksef_error *err)
{
	ksef_client_rate_limits copy = KSEF_CLIENT_RATE_LIMITS_INIT;
	json_t *body = NULL, *all;
	char kind[48];
	size_t i;
	int error;

	*out = NULL;
	if ((error = KSEF__OPTIONS_COPY(&copy, limits, rate_sizes,
					KSEF_CLIENT_RATE_LIMITS_VERSION,
					"ksef_client_rate_limits", err)) < 0)
		return error;
	if ((all = json_object()) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	for (i = 0; i < NGROUPS; i++) {
		const ksef_rate_limit_values *v = (const void *)
			((const unsigned char *)&copy + groups[i].offset);

		snprintf(kind, sizeof(kind), "rateLimits.%s", groups[i].name);
		/* The contract sets no minimum, but the live TEST refuses
		 * 0 with 21405 (docs/ksefd.md): at least 1 is a limit. */
		if ((error = check_range(kind, "perSecond", v->per_second, 1,
					 INT32_LIMIT, err)) < 0 ||
		    (error = check_range(kind, "perMinute", v->per_minute, 1,
					 INT32_LIMIT, err)) < 0 ||
		    (error = check_range(kind, "perHour", v->per_hour, 1,
					 INT32_LIMIT, err)) < 0) {
			json_decref(all);
			return error;
		}
		if (ksef__req_json_set(all, groups[i].name,
				       json_pack("{s:i,s:i,s:i}", "perSecond",
						 v->per_second, "perMinute",
						 v->per_minute, "perHour",
						 v->per_hour)) < 0) {
			json_decref(all);
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		}
	}
	if ((body = json_pack("{s:o}", "rateLimits", all)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	*out = body;
	return 0;
}

int ksef_client_rate_limits_set(ksef_client *c,
				const ksef_client_rate_limits *limits,
				ksef_error *err)
{
	json_t *body;
	int error;

	if ((error = ksef__req_begin(c, limits != NULL, err)) < 0 ||
	    (error = ksef__client_build_rate_limits_body(&body, limits,
							 err)) < 0)
		return error;
	return ksef__admin_call(c, "POST", "/testdata/rate-limits", body, 1, 1,
				err);
}

int ksef_client_rate_limits_reset(ksef_client *c, ksef_error *err)
{
	return bare_call(c, "DELETE", "/testdata/rate-limits", err);
}

int ksef_client_rate_limits_production(ksef_client *c, ksef_error *err)
{
	return bare_call(c, "POST", "/testdata/rate-limits/production", err);
}
