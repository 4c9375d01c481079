/*
 * api_limits.c - the tag "Limity i ograniczenia" (limity/limity.md,
 * limity-api.md): the limits in force for the caller's context
 * (GET /limits/context, GET /rate-limits) and subject (GET /limits/subject),
 * and the test data that change them (POST/DELETE
 * /testdata/limits/context/session, /testdata/limits/subject/certificate,
 * /testdata/rate-limits, POST /testdata/rate-limits/production). It checks
 * the bodies and words the answers; what a context's limits are, and their
 * cache, belong to ctx_limits.c; enforcing them to api_sessions.c (session
 * limits) and router.c (rate limits). The test-data routes exist on the
 * TEST profile only (router.c's ROUTE_TEST_ONLY).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "api.h"
#include "ctx_limits.h"
#include "errors.h"
#include "http.h"

/* OnlineSessionContextLimitsOverride / BatchSessionContextLimitsOverride
 * of open-api.json: the bounds of each session limit a context may set. */
#define SESSION_MAX_INVOICES 100000
#define SESSION_MAX_INVOICE_MB 5
#define SESSION_MAX_INVOICE_WITH_ATTACHMENT_MB 10

/* The certificate limits of a subject that set none (limity/limity.md,
 * "Limity na uwierzytelniony podmiot"; api-changelog.md 2.3.0 raised
 * PESEL and fingerprint to 12 and 6). */
#define SUBJECT_NIP_MAX_ENROLLMENTS 300
#define SUBJECT_NIP_MAX_CERTIFICATES 100
#define SUBJECT_PERSON_MAX_ENROLLMENTS 12
#define SUBJECT_PERSON_MAX_CERTIFICATES 6

/* A certificate limit is an int32 from 0 (SetSubjectLimitsRequest). */
#define SUBJECT_LIMIT_MAX 2147483647

/* ---- reading ---- */

static json_t *session_json(const store_session_limits *l)
{
	return json_pack("{s:i,s:i,s:i}",
			 "maxInvoiceSizeInMB", l->max_invoice_mb,
			 "maxInvoiceWithAttachmentSizeInMB",
			 l->max_invoice_with_attachment_mb,
			 "maxInvoices", l->max_invoices);
}

void api_limits_context(struct request *req)
{
	ctx_limits_view v;
	ksef_error err;

	if (ctx_limits_get(req->srv->ctx_limits, req->claims.context_type,
			   req->claims.context_value, &v, &err) != 0) {
		errors_internal(req, &err);
		return;
	}
	http_reply_json(req, 200, json_pack("{s:o,s:o}",
		"onlineSession", session_json(&v.online),
		"batchSession", session_json(&v.batch)));
}

/* The subject of the caller's authentication: the NIP, PESEL or
 * certificate fingerprint that authenticated (for a KSeF token, whoever
 * made the token). Answers 500 and returns -1 when it cannot be read. */
static int caller_subject(struct request *req, store_auth *op)
{
	ksef_error err;

	if (store_auth_get(req->srv->store, req->claims.reference, op,
			   &err) != 0) {
		errors_internal(req, &err);
		return -1;
	}
	return 0;
}

int api_subject_cert_limits(struct request *req, const char *subject_type,
			    const char *subject_value, int *enrollments,
			    int *certificates)
{
	store_subject_limits set;
	ksef_error err;
	int person, rc;

	person = strcmp(subject_type, "Pesel") == 0 ||
		 strcmp(subject_type, "Fingerprint") == 0;
	*enrollments = person ? SUBJECT_PERSON_MAX_ENROLLMENTS :
		       SUBJECT_NIP_MAX_ENROLLMENTS;
	*certificates = person ? SUBJECT_PERSON_MAX_CERTIFICATES :
			SUBJECT_NIP_MAX_CERTIFICATES;
	rc = store_subject_limits_get(req->srv->store, subject_type,
				      subject_value, &set, &err);
	if (rc != 0 && rc != STORE_NOT_FOUND) {
		errors_internal(req, &err);
		return -1;
	}
	if (rc == 0 && set.max_enrollments >= 0)
		*enrollments = set.max_enrollments;
	if (rc == 0 && set.max_certificates >= 0)
		*certificates = set.max_certificates;
	return 0;
}

void api_limits_subject(struct request *req)
{
	store_auth op;
	int enrollments, certificates;

	if (caller_subject(req, &op) != 0 ||
	    api_subject_cert_limits(req, op.subject_type, op.subject_value,
				    &enrollments, &certificates) != 0)
		return;
	http_reply_json(req, 200, json_pack("{s:{s:i},s:{s:i}}",
		"enrollment", "maxEnrollments", enrollments,
		"certificate", "maxCertificates", certificates));
}

void api_rate_limits(struct request *req)
{
	json_t *o = json_object();
	ctx_limits_view v;
	ratelimit_limits l;
	ksef_error err;
	int g;

	if (ctx_limits_get(req->srv->ctx_limits, req->claims.context_type,
			   req->claims.context_value, &v, &err) != 0) {
		json_decref(o);
		errors_internal(req, &err);
		return;
	}
	/* The context's own limits, or the server's profile. With
	 * --rate-limits off the profile is the production one, counted
	 * nowhere (docs/ksefd.md): the schema has no "unlimited". */
	for (g = RATELIMIT_UNAUTHENTICATED + 1; g < RATELIMIT_GROUP_COUNT;
	     g++) {
		if (v.rate_mode != CTX_RATE_DEFAULT)
			l = v.rate[g];
		else
			ratelimit_get_limits(req->srv->rl, (ratelimit_group)g,
					     &l);
		json_object_set_new(o, ratelimit_group_name((ratelimit_group)g),
			json_pack("{s:i,s:i,s:i}", "perSecond", l.per_second,
				  "perMinute", l.per_minute, "perHour",
				  l.per_hour));
	}
	http_reply_json(req, 200, o);
}

/* ---- test data ---- */

/* An integer member obj.name within [min, max], required; path names the
 * object in the detail. Answers 21405 and returns -1 otherwise. */
static int bounded(struct request *req, json_t *obj, const char *path,
		   const char *name, int64_t min, int64_t max, int *out)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL || json_is_null(v)) {
		errors_reply(req, 400, 21405, "Pole '%s%s' jest wymagane.",
			     path, name);
		return -1;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		errors_reply(req, 400, 21405, "Pole '%s%s' musi być liczbą "
			     "całkowitą od %lld do %lld.", path, name,
			     (long long)min, (long long)max);
		return -1;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

/* A required object member; answers 21405 and returns NULL otherwise. */
static json_t *member_object(struct request *req, json_t *obj,
			     const char *path, const char *name)
{
	json_t *v = json_object_get(obj, name);

	if (!json_is_object(v)) {
		errors_reply(req, 400, 21405, v == NULL || json_is_null(v) ?
			     "Pole '%s%s' jest wymagane." :
			     "Pole '%s%s' musi być obiektem.", path, name);
		return NULL;
	}
	return v;
}

static int session_limits(struct request *req, json_t *body, const char *name,
			  store_session_limits *out)
{
	char path[32];
	json_t *o = member_object(req, body, "", name);

	if (o == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s.", name);
	if (bounded(req, o, path, "maxInvoiceSizeInMB", 0,
		    SESSION_MAX_INVOICE_MB, &out->max_invoice_mb) != 0 ||
	    bounded(req, o, path, "maxInvoiceWithAttachmentSizeInMB", 0,
		    SESSION_MAX_INVOICE_WITH_ATTACHMENT_MB,
		    &out->max_invoice_with_attachment_mb) != 0 ||
	    bounded(req, o, path, "maxInvoices", 0, SESSION_MAX_INVOICES,
		    &out->max_invoices) != 0)
		return -1;
	return 0;
}

/* The end of a change: 200 without a body, or 500. */
static void changed(struct request *req, int rc, const ksef_error *err)
{
	if (rc != 0)
		errors_internal(req, err);
	else
		http_reply_empty(req, 200);
}

void api_testdata_session_limits_set(struct request *req)
{
	store_session_limits online, batch;
	json_t *body;
	ksef_error err;
	int rc;

	if ((body = api_body_object(req)) == NULL)
		return;
	if (session_limits(req, body, "onlineSession", &online) == 0 &&
	    session_limits(req, body, "batchSession", &batch) == 0) {
		rc = ctx_limits_set_session(req->srv->ctx_limits,
					    req->claims.context_type,
					    req->claims.context_value, &online,
					    &batch, &err);
		changed(req, rc, &err);
	}
	json_decref(body);
}

void api_testdata_session_limits_reset(struct request *req)
{
	ksef_error err;

	changed(req, ctx_limits_reset_session(req->srv->ctx_limits,
					      req->claims.context_type,
					      req->claims.context_value, &err),
		&err);
}

/* An optional object member holding an optional limit: -1 when either is
 * absent or null. Answers 21405 and returns -1 for anything else. */
static int subject_limit(struct request *req, json_t *body, const char *obj,
			 const char *name, int *out)
{
	json_t *o = json_object_get(body, obj);
	char path[32];

	*out = -1;
	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_object(o)) {
		errors_reply(req, 400, 21405, "Pole '%s' musi być obiektem.",
			     obj);
		return -1;
	}
	if (json_object_get(o, name) == NULL ||
	    json_is_null(json_object_get(o, name)))
		return 0;
	snprintf(path, sizeof(path), "%s.", obj);
	return bounded(req, o, path, name, 0, SUBJECT_LIMIT_MAX, out);
}

void api_testdata_subject_limits_set(struct request *req)
{
	store_subject_limits l;
	store_auth op;
	json_t *body, *type;
	ksef_error err;

	/* The body is optional (SetSubjectLimitsRequest has no required
	 * member and the request body is not required): none changes
	 * nothing. */
	body = req->body.size == 0 ? json_object() : api_body_object(req);
	if (body == NULL)
		return;
	type = json_object_get(body, "subjectIdentifierType");
	if (type != NULL && !json_is_null(type) &&
	    (!json_is_string(type) ||
	     (strcasecmp(json_string_value(type), "Nip") != 0 &&
	      strcasecmp(json_string_value(type), "Pesel") != 0 &&
	      strcasecmp(json_string_value(type), "Fingerprint") != 0))) {
		errors_reply(req, 400, 21405, "Pole 'subjectIdentifierType' "
			     "musi mieć jedną z wartości: Nip, Pesel, "
			     "Fingerprint.");
		goto out;
	}
	if (subject_limit(req, body, "enrollment", "maxEnrollments",
			  &l.max_enrollments) != 0 ||
	    subject_limit(req, body, "certificate", "maxCertificates",
			  &l.max_certificates) != 0 ||
	    caller_subject(req, &op) != 0)
		goto out;
	/* The limits are the authenticated subject's: a type naming another
	 * kind of identifier names no subject of this authentication. */
	if (json_is_string(type) &&
	    strcasecmp(json_string_value(type), op.subject_type) != 0) {
		errors_reply(req, 400, 21405, "Pole 'subjectIdentifierType' "
			     "(%s) nie odpowiada identyfikatorowi "
			     "uwierzytelnionego podmiotu (%s).",
			     json_string_value(type), op.subject_type);
		goto out;
	}
	changed(req, store_subject_limits_set(req->srv->store, op.subject_type,
					      op.subject_value, &l, &err),
		&err);
out:
	json_decref(body);
}

void api_testdata_subject_limits_reset(struct request *req)
{
	store_auth op;
	ksef_error err;

	if (caller_subject(req, &op) != 0)
		return;
	changed(req, store_subject_limits_clear(req->srv->store,
						op.subject_type,
						op.subject_value, &err),
		&err);
}

void api_testdata_rate_limits_set(struct request *req)
{
	ratelimit_limits rate[RATELIMIT_GROUP_COUNT], max;
	json_t *body, *limits, *o;
	char path[64];
	ksef_error err;
	int g;

	if ((body = api_body_object(req)) == NULL)
		return;
	if ((limits = member_object(req, body, "", "rateLimits")) == NULL)
		goto out;
	memset(rate, 0, sizeof(rate));
	/* Each value from 1 to the group's production limit, as the live
	 * TEST validates (docs/ksefd.md). */
	for (g = RATELIMIT_UNAUTHENTICATED + 1; g < RATELIMIT_GROUP_COUNT;
	     g++) {
		const char *name = ratelimit_group_name((ratelimit_group)g);

		if ((o = member_object(req, limits, "rateLimits.",
				       name)) == NULL)
			goto out;
		ratelimit_default_limits((ratelimit_group)g, &max);
		snprintf(path, sizeof(path), "rateLimits.%s.", name);
		if (bounded(req, o, path, "perSecond", 1, max.per_second,
			    &rate[g].per_second) != 0 ||
		    bounded(req, o, path, "perMinute", 1, max.per_minute,
			    &rate[g].per_minute) != 0 ||
		    bounded(req, o, path, "perHour", 1, max.per_hour,
			    &rate[g].per_hour) != 0)
			goto out;
	}
	changed(req, ctx_limits_set_rate(req->srv->ctx_limits,
					 req->claims.context_type,
					 req->claims.context_value, rate, &err),
		&err);
out:
	json_decref(body);
}

void api_testdata_rate_limits_reset(struct request *req)
{
	ksef_error err;

	changed(req, ctx_limits_reset_rate(req->srv->ctx_limits,
					   req->claims.context_type,
					   req->claims.context_value, &err),
		&err);
}

void api_testdata_rate_limits_production(struct request *req)
{
	ksef_error err;

	changed(req, ctx_limits_set_production(req->srv->ctx_limits,
					       req->claims.context_type,
					       req->claims.context_value,
					       &err),
		&err);
}
