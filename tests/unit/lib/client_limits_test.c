/*
 * client_limits_test.c - the calls of the tag "Limity i ograniczenia"
 * (client_limits.c): every body the setters build holds against its
 * request schema in open-api.json, values out of the schemas' bounds are
 * refused with KSEF_EINVAL before anything is sent, the answers of the
 * three reads (the contract's own examples, themselves held against the
 * response schemas) come out field by field, and answers that break the
 * contract are KSEF_EPARSE. Answers are scripted (ksef__client_script()).
 */
#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "ksef/client.h"
#include "ksef/client_limits.h"
#include "client_int.h"
#include "client_admin.h"
#include "contract.h"

#define OK_EMPTY "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

static int setup(void **state)
{
	(void)state;
	return contract_load();
}

static int teardown(void **state)
{
	(void)state;
	contract_unload();
	return 0;
}

static void assert_matches(const json_t *body, const char *path,
			   const char *method)
{
	char why[512] = "";

	if (contract_check(body, contract_request_schema(path, method), "body",
			   why, sizeof(why)) != 0)
		fail_msg("%s %s: %s", method, path, why);
}

/* A client of a server that is never reached: answers are scripted. */
static ksef_client *client(const char *token)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;

	o.base_url = "http://127.0.0.1:1/v2";
	o.max_retries = 0;
	o.max_rate_limit_waits = 0;
	assert_int_equal(ksef_client_new(&c, &o, NULL), 0);
	if (token != NULL)
		assert_int_equal(ksef_client_set_access_token(c, token, NULL),
				 0);
	return c;
}

static void script(ksef_client *c, const char *s)
{
	ksef__client_script(c, (const unsigned char *)s, strlen(s));
}

static int member(const json_t *o, const char *a, const char *b)
{
	return (int)json_integer_value(json_object_get(json_object_get(o, a),
						       b));
}

/*
 * Session limits
 */

static void session_limits_body_matches_SetSessionLimitsRequest(void **state)
{
	ksef_client_session_limits l = KSEF_CLIENT_SESSION_LIMITS_INIT;
	json_t *body = NULL;

	(void)state;
	assert_int_equal(ksef__client_build_session_limits_body(&body, &l,
								NULL), 0);
	assert_matches(body, "/testdata/limits/context/session", "post");
	assert_int_equal(member(body, "onlineSession", "maxInvoices"), 10000);
	assert_int_equal(member(body, "batchSession", "maxInvoiceSizeInMB"), 1);
	json_decref(body);

	/* The schemas' bounds themselves are accepted. */
	l.online_session.max_invoice_size_in_mb = 5;
	l.online_session.max_invoice_with_attachment_size_in_mb = 10;
	l.online_session.max_invoices = 100000;
	l.batch_session.max_invoice_size_in_mb = 0;
	l.batch_session.max_invoice_with_attachment_size_in_mb = 0;
	l.batch_session.max_invoices = 0;
	assert_int_equal(ksef__client_build_session_limits_body(&body, &l,
								NULL), 0);
	assert_matches(body, "/testdata/limits/context/session", "post");
	assert_int_equal(member(body, "onlineSession",
				"maxInvoiceWithAttachmentSizeInMB"), 10);
	assert_int_equal(member(body, "batchSession", "maxInvoices"), 0);
	json_decref(body);
}

static void session_limits_out_of_bounds_are_einval(void **state)
{
	static const struct {
		int online, which, value;
		const char *field;
	} bad[] = {
		{ 1, 0, 6, "onlineSession.maxInvoiceSizeInMB" },
		{ 1, 0, -1, "onlineSession.maxInvoiceSizeInMB" },
		{ 1, 1, 11, "onlineSession.maxInvoiceWithAttachmentSizeInMB" },
		{ 0, 2, 100001, "batchSession.maxInvoices" },
		{ 0, 2, -1, "batchSession.maxInvoices" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ksef_client_session_limits l = KSEF_CLIENT_SESSION_LIMITS_INIT;
		ksef_session_limit_values *v = bad[i].online ?
			&l.online_session : &l.batch_session;
		json_t *body = (json_t *)(void *)&l; /* must become NULL */
		ksef_error err;

		if (bad[i].which == 0)
			v->max_invoice_size_in_mb = bad[i].value;
		else if (bad[i].which == 1)
			v->max_invoice_with_attachment_size_in_mb =
				bad[i].value;
		else
			v->max_invoices = bad[i].value;
		assert_int_equal(ksef__client_build_session_limits_body(&body,
					 &l, &err), KSEF_EINVAL);
		assert_null(body);
		if (strstr(err.message, bad[i].field) == NULL)
			fail_msg("%zu: '%s' does not name %s", i, err.message,
				 bad[i].field);
	}
}

static void an_unknown_struct_version_is_einval(void **state)
{
	ksef_client_session_limits s = KSEF_CLIENT_SESSION_LIMITS_INIT;
	ksef_client_subject_limits u = KSEF_CLIENT_SUBJECT_LIMITS_INIT;
	ksef_client_rate_limits r = KSEF_CLIENT_RATE_LIMITS_INIT;
	json_t *body = NULL;
	ksef_error err;

	(void)state;
	s.version = 0;
	u.version = KSEF_CLIENT_SUBJECT_LIMITS_VERSION + 1;
	r.version = -1;
	assert_int_equal(ksef__client_build_session_limits_body(&body, &s,
								&err),
			 KSEF_EINVAL);
	assert_non_null(strstr(err.message, "ksef_client_session_limits"));
	assert_int_equal(ksef__client_build_subject_limits_body(&body, &u,
								&err),
			 KSEF_EINVAL);
	assert_int_equal(ksef__client_build_rate_limits_body(&body, &r, &err),
			 KSEF_EINVAL);
	assert_null(body);
	assert_null(ksef_client_rate_limits_group(&r, "other"));
}

/*
 * Certificate limits
 */

static void subject_limits_body_matches_SetSubjectLimitsRequest(void **state)
{
	ksef_client_subject_limits l = KSEF_CLIENT_SUBJECT_LIMITS_INIT;
	json_t *body = NULL;

	(void)state;
	/* Nothing to change is an empty object: every part is optional. */
	assert_int_equal(ksef__client_build_subject_limits_body(&body, &l,
								NULL), 0);
	assert_matches(body, "/testdata/limits/subject/certificate", "post");
	assert_int_equal(json_object_size(body), 0);
	json_decref(body);

	l.subject_identifier_type = "Pesel";
	l.max_enrollments = 0;
	l.max_certificates = 2147483647;
	assert_int_equal(ksef__client_build_subject_limits_body(&body, &l,
								NULL), 0);
	assert_matches(body, "/testdata/limits/subject/certificate", "post");
	assert_string_equal(json_string_value(json_object_get(body,
		"subjectIdentifierType")), "Pesel");
	assert_int_equal(member(body, "enrollment", "maxEnrollments"), 0);
	assert_int_equal(member(body, "certificate", "maxCertificates"),
			 2147483647);
	json_decref(body);

	/* One part alone. */
	l = (ksef_client_subject_limits)KSEF_CLIENT_SUBJECT_LIMITS_INIT;
	l.max_certificates = 3;
	assert_int_equal(ksef__client_build_subject_limits_body(&body, &l,
								NULL), 0);
	assert_matches(body, "/testdata/limits/subject/certificate", "post");
	assert_null(json_object_get(body, "enrollment"));
	json_decref(body);
}

static void subject_limits_out_of_the_schema_are_einval(void **state)
{
	ksef_client_subject_limits l = KSEF_CLIENT_SUBJECT_LIMITS_INIT;
	json_t *body = NULL;
	ksef_error err;

	(void)state;
	l.subject_identifier_type = "nip"; /* the enum is case-sensitive */
	assert_int_equal(ksef__client_build_subject_limits_body(&body, &l,
								&err),
			 KSEF_EINVAL);
	assert_non_null(strstr(err.message, "subjectIdentifierType"));
	l.subject_identifier_type = NULL;
	l.max_enrollments = -2;
	assert_int_equal(ksef__client_build_subject_limits_body(&body, &l,
								&err),
			 KSEF_EINVAL);
	assert_non_null(strstr(err.message, "enrollment.maxEnrollments"));
	l.max_enrollments = -1;
	l.max_certificates = INT64_C(2147483648);
	assert_int_equal(ksef__client_build_subject_limits_body(&body, &l,
								&err),
			 KSEF_EINVAL);
	assert_non_null(strstr(err.message, "certificate.maxCertificates"));
	assert_null(body);
}

/*
 * Rate limits
 */

static const char *const group_names[] = {
	"onlineSession", "batchSession", "invoiceSend", "invoiceStatus",
	"sessionList", "sessionInvoiceList", "sessionMisc", "invoiceMetadata",
	"invoiceExport", "invoiceExportStatus", "invoiceDownload", "other",
};

static void rate_limits_body_matches_SetRateLimitsRequest(void **state)
{
	ksef_client_rate_limits l = KSEF_CLIENT_RATE_LIMITS_INIT;
	ksef_rate_limit_values *v;
	json_t *body = NULL, *all;
	size_t i;

	(void)state;
	v = ksef_client_rate_limits_group(&l, "invoiceSend");
	assert_ptr_equal(v, &l.invoice_send);
	v->per_second = 1;
	v->per_minute = 2;
	v->per_hour = 3;
	assert_int_equal(ksef__client_build_rate_limits_body(&body, &l, NULL),
			 0);
	assert_matches(body, "/testdata/rate-limits", "post");
	all = json_object_get(body, "rateLimits");
	assert_int_equal(json_object_size(all), 12);
	for (i = 0; i < 12; i++)
		assert_non_null(json_object_get(all, group_names[i]));
	assert_int_equal(member(all, "invoiceSend", "perHour"), 3);
	/* The production numbers of INIT. */
	assert_int_equal(member(all, "invoiceStatus", "perHour"), 1200);
	assert_int_equal(member(all, "other", "perSecond"), 10);
	json_decref(body);
}

static void every_group_is_found_by_its_contract_name(void **state)
{
	ksef_client_rate_limits l = KSEF_CLIENT_RATE_LIMITS_INIT;
	ksef_rate_limit_values *seen[12];
	size_t i, k;

	(void)state;
	for (i = 0; i < 12; i++) {
		seen[i] = ksef_client_rate_limits_group(&l, group_names[i]);
		assert_non_null(seen[i]);
		for (k = 0; k < i; k++)
			assert_ptr_not_equal(seen[k], seen[i]);
	}
	assert_ptr_equal(seen[0], &l.online_session);
	assert_ptr_equal(seen[11], &l.other);
	assert_null(ksef_client_rate_limits_group(&l, "unauthenticated"));
	assert_null(ksef_client_rate_limits_group(&l, "InvoiceSend"));
	assert_null(ksef_client_rate_limits_group(NULL, "other"));
	assert_null(ksef_client_rate_limits_group(&l, NULL));
}

static void a_rate_limit_below_one_is_einval(void **state)
{
	ksef_client_rate_limits l = KSEF_CLIENT_RATE_LIMITS_INIT;
	json_t *body = NULL;
	ksef_error err;

	(void)state;
	l.session_misc.per_minute = 0;
	assert_int_equal(ksef__client_build_rate_limits_body(&body, &l, &err),
			 KSEF_EINVAL);
	assert_null(body);
	assert_non_null(strstr(err.message,
			       "rateLimits.sessionMisc.perMinute"));
	l.session_misc.per_minute = 1;
	l.other.per_hour = -5;
	assert_int_equal(ksef__client_build_rate_limits_body(&body, &l, &err),
			 KSEF_EINVAL);
	assert_non_null(strstr(err.message, "rateLimits.other.perHour"));
}

/*
 * The answers of the reads
 */

/* The contract's examples of the three answers. */
static const char context_example[] =
	"{\"onlineSession\":{\"maxInvoiceSizeInMB\":1,"
	"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":10000},"
	"\"batchSession\":{\"maxInvoiceSizeInMB\":5,"
	"\"maxInvoiceWithAttachmentSizeInMB\":10,\"maxInvoices\":7}}";
static const char subject_example[] =
	"{\"enrollment\":{\"maxEnrollments\":12},"
	"\"certificate\":{\"maxCertificates\":6}}";

static void rate_example(char *out, size_t size, const char *skip)
{
	size_t i, n = 0;

	n += (size_t)snprintf(out + n, size - n, "{");
	for (i = 0; i < 12; i++) {
		if (skip != NULL && strcmp(skip, group_names[i]) == 0)
			continue;
		n += (size_t)snprintf(out + n, size - n, "%s\"%s\":{"
			"\"perSecond\":%zu,\"perMinute\":%zu,"
			"\"perHour\":%zu}", n > 1 ? "," : "", group_names[i],
			i + 1, 10 * (i + 1), 100 * (i + 1));
	}
	snprintf(out + n, size - n, "}");
}

static void the_examples_are_valid_answers(void **state)
{
	const char *const paths[] = { "/limits/context", "/limits/subject",
				      "/rate-limits" };
	char rate[2048], why[512];
	const char *bodies[3];
	size_t i;

	(void)state;
	rate_example(rate, sizeof(rate), NULL);
	bodies[0] = context_example;
	bodies[1] = subject_example;
	bodies[2] = rate;
	for (i = 0; i < 3; i++) {
		json_t *j = json_loads(bodies[i], 0, NULL);

		assert_non_null(j);
		if (contract_check(j, contract_response_schema(paths[i], "get",
				   200, "application/json"), "answer", why,
				   sizeof(why)) != 0)
			fail_msg("%s: %s", paths[i], why);
		json_decref(j);
	}
}

static void context_limits_are_read_field_by_field(void **state)
{
	char s[1024];
	ksef_client *c = client("a.b.c");
	ksef_api_context_limits *l = NULL;
	ksef_error err;

	(void)state;
	snprintf(s, sizeof(s), "HTTP/1.1 200 OK\r\nContent-Type: "
		 "application/json\r\n\r\n%s", context_example);
	script(c, s);
	if (ksef_client_limits_context(&l, c, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(l->online_session->max_invoice_size_in_mb, 1);
	assert_int_equal(
		l->online_session->max_invoice_with_attachment_size_in_mb, 3);
	assert_int_equal(l->online_session->max_invoices, 10000);
	assert_int_equal(l->batch_session->max_invoice_size_in_mb, 5);
	assert_int_equal(
		l->batch_session->max_invoice_with_attachment_size_in_mb, 10);
	assert_int_equal(l->batch_session->max_invoices, 7);
	ksef_api_context_limits_free(l);
	ksef_client_free(c);
}

static void context_limits_that_break_the_contract_are_eparse(void **state)
{
	static const char *const bad[] = {
		"{\"onlineSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":1}}",
		"{\"onlineSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3},\"batchSession\":{"
		"\"maxInvoiceSizeInMB\":1,\"maxInvoiceWithAttachmentSizeInMB\":"
		"3,\"maxInvoices\":1}}",
		"{\"onlineSession\":{\"maxInvoiceSizeInMB\":-1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":1},"
		"\"batchSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":1}}",
		"{\"onlineSession\":\"1 MB\",\"batchSession\":{}}",
		"[]",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char s[1024];
		ksef_client *c = client("a.b.c");
		ksef_api_context_limits *l = NULL;
		ksef_error err;

		snprintf(s, sizeof(s), "HTTP/1.1 200 OK\r\n\r\n%s", bad[i]);
		script(c, s);
		assert_int_equal(ksef_client_limits_context(&l, c, &err),
				 KSEF_EPARSE);
		assert_null(l);
		assert_non_null(strstr(err.message, "GET /limits/context"));
		ksef_client_free(c);
	}
}

static void subject_limits_take_null_parts_as_minus_one(void **state)
{
	static const struct {
		const char *body;
		int64_t enrollments, certificates;
	} cases[] = {
		{ subject_example, 12, 6 },
		{ "{}", -1, -1 },
		{ "{\"enrollment\":null,\"certificate\":{\"maxCertificates\":"
		  "0}}", -1, 0 },
		{ "{\"enrollment\":{},\"certificate\":{\"maxCertificates\":"
		  "null}}", -1, -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char s[512];
		ksef_client *c = client("a.b.c");
		ksef_api_subject_limits *l = NULL;
		ksef_error err;

		snprintf(s, sizeof(s), "HTTP/1.1 200 OK\r\n\r\n%s",
			 cases[i].body);
		script(c, s);
		if (ksef_client_limits_subject(&l, c, &err) != 0)
			fail_msg("%zu: %s", i, err.message);
		assert_int_equal(l->max_enrollments, cases[i].enrollments);
		assert_int_equal(l->max_certificates, cases[i].certificates);
		ksef_api_subject_limits_free(l);
		ksef_client_free(c);
	}
}

static void subject_limits_of_the_wrong_type_are_eparse(void **state)
{
	ksef_client *c = client("a.b.c");
	ksef_api_subject_limits *l = NULL;
	ksef_error err;

	(void)state;
	script(c, "HTTP/1.1 200 OK\r\n\r\n{\"enrollment\":{\"maxEnrollments\":"
		  "\"12\"}}");
	assert_int_equal(ksef_client_limits_subject(&l, c, &err), KSEF_EPARSE);
	assert_non_null(strstr(err.message, "enrollment.maxEnrollments"));
	assert_null(l);
	ksef_client_free(c);
}

static void rate_limits_are_listed_per_group_in_the_contract_order(
	void **state)
{
	char s[2048];
	ksef_client *c = client("a.b.c");
	ksef_api_rate_limits *l = NULL;
	const ksef_api_rate_limit *g;
	ksef_error err;
	size_t i, n;

	(void)state;
	n = (size_t)snprintf(s, sizeof(s), "HTTP/1.1 200 OK\r\n\r\n");
	rate_example(s + n, sizeof(s) - n, NULL);
	script(c, s);
	if (ksef_client_limits_rate(&l, c, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(ksef_api_rate_limits_count(l), 12);
	for (i = 0; i < 12; i++) {
		g = ksef_api_rate_limits_at(l, i);
		assert_string_equal(g->group, group_names[i]);
		assert_int_equal(g->per_second, (int64_t)i + 1);
		assert_int_equal(g->per_minute, 10 * ((int64_t)i + 1));
		assert_int_equal(g->per_hour, 100 * ((int64_t)i + 1));
	}
	assert_null(ksef_api_rate_limits_at(l, 12));
	g = ksef_api_rate_limits_find(l, "invoiceDownload");
	assert_non_null(g);
	assert_int_equal(g->per_hour, 1100);
	assert_null(ksef_api_rate_limits_find(l, "nothing"));
	assert_null(ksef_api_rate_limits_find(NULL, "other"));
	assert_int_equal(ksef_api_rate_limits_count(NULL), 0);
	ksef_api_rate_limits_free(l);
	ksef_client_free(c);
}

static void rate_limits_without_a_group_are_eparse(void **state)
{
	char s[2048];
	ksef_client *c = client("a.b.c");
	ksef_api_rate_limits *l = NULL;
	ksef_error err;
	size_t n;

	(void)state;
	n = (size_t)snprintf(s, sizeof(s), "HTTP/1.1 200 OK\r\n\r\n");
	rate_example(s + n, sizeof(s) - n, "sessionMisc");
	script(c, s);
	assert_int_equal(ksef_client_limits_rate(&l, c, &err), KSEF_EPARSE);
	assert_non_null(strstr(err.message, "sessionMisc"));
	assert_null(l);
	ksef_client_free(c);
}

/*
 * The calls
 */

static void every_call_needs_the_access_token(void **state)
{
	ksef_client_session_limits s = KSEF_CLIENT_SESSION_LIMITS_INIT;
	ksef_client_subject_limits u = KSEF_CLIENT_SUBJECT_LIMITS_INIT;
	ksef_client_rate_limits r = KSEF_CLIENT_RATE_LIMITS_INIT;
	ksef_client *c = client(NULL);
	ksef_api_context_limits *cl = NULL;
	ksef_api_subject_limits *sl = NULL;
	ksef_api_rate_limits *rl = NULL;
	ksef_error err;

	(void)state;
	/* An answer is ready: a call that sent anything would succeed. */
	script(c, OK_EMPTY);
	assert_int_equal(ksef_client_limits_context(&cl, c, &err),
			 KSEF_EINVAL);
	assert_non_null(strstr(err.message, "no access token"));
	assert_int_equal(ksef_client_limits_subject(&sl, c, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_limits_rate(&rl, c, &err), KSEF_EINVAL);
	assert_int_equal(ksef_client_limits_session_set(c, &s, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_limits_session_reset(c, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_limits_certificate_set(c, &u, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_limits_certificate_reset(c, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_rate_limits_set(c, &r, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_rate_limits_reset(c, &err), KSEF_EINVAL);
	assert_int_equal(ksef_client_rate_limits_production(c, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_last_http_status(c), 0);
	assert_null(cl);
	assert_null(sl);
	assert_null(rl);
	/* NULL arguments. */
	assert_int_equal(ksef_client_limits_context(NULL, c, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_limits_session_set(c, NULL, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_rate_limits_production(NULL, &err),
			 KSEF_EINVAL);
	ksef_client_free(c);
}

static void the_setters_take_a_bare_200_and_report_a_404(void **state)
{
	ksef_client_session_limits s = KSEF_CLIENT_SESSION_LIMITS_INIT;
	ksef_client *c = client("a.b.c");
	const ksef_api_error *e;
	ksef_error err;

	(void)state;
	script(c, OK_EMPTY);
	assert_int_equal(ksef_client_limits_session_set(c, &s, &err), 0);
	assert_int_equal(ksef_client_last_http_status(c), 200);
	script(c, OK_EMPTY);
	assert_int_equal(ksef_client_rate_limits_production(c, &err), 0);
	/* A bad value never reaches the server. */
	s.online_session.max_invoices = -1;
	script(c, OK_EMPTY);
	assert_int_equal(ksef_client_limits_session_set(c, &s, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_last_http_status(c), 0);
	/* Production has no test data: 404, as for any unknown path. */
	script(c, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json"
		  "\r\n\r\n{\"exception\":{\"exceptionDetailList\":[{"
		  "\"exceptionCode\":21405,\"exceptionDescription\":\"x\","
		  "\"details\":[\"y\"]}]}}");
	assert_int_equal(ksef_client_rate_limits_reset(c, &err), KSEF_EHTTP);
	e = ksef_client_last_error(c);
	assert_non_null(e);
	assert_int_equal(e->http_status, 404);
	assert_non_null(strstr(err.message, "DELETE /testdata/rate-limits"));
	ksef_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			session_limits_body_matches_SetSessionLimitsRequest),
		cmocka_unit_test(session_limits_out_of_bounds_are_einval),
		cmocka_unit_test(an_unknown_struct_version_is_einval),
		cmocka_unit_test(
			subject_limits_body_matches_SetSubjectLimitsRequest),
		cmocka_unit_test(subject_limits_out_of_the_schema_are_einval),
		cmocka_unit_test(
			rate_limits_body_matches_SetRateLimitsRequest),
		cmocka_unit_test(every_group_is_found_by_its_contract_name),
		cmocka_unit_test(a_rate_limit_below_one_is_einval),
		cmocka_unit_test(the_examples_are_valid_answers),
		cmocka_unit_test(context_limits_are_read_field_by_field),
		cmocka_unit_test(
			context_limits_that_break_the_contract_are_eparse),
		cmocka_unit_test(subject_limits_take_null_parts_as_minus_one),
		cmocka_unit_test(subject_limits_of_the_wrong_type_are_eparse),
		cmocka_unit_test(
		    rate_limits_are_listed_per_group_in_the_contract_order),
		cmocka_unit_test(rate_limits_without_a_group_are_eparse),
		cmocka_unit_test(every_call_needs_the_access_token),
		cmocka_unit_test(
			the_setters_take_a_bare_200_and_report_a_404),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
