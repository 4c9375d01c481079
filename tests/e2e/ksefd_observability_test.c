/*
 * ksefd_observability_test.c - what an operator watches ksefd through, on
 * the real ksefd: /health/live and /health/ready (503 while the store's
 * writes fail, with tests/support/iofault.c preloaded as in
 * ksefd_readonly_test.c), /metrics moving as an invoice goes through a
 * session with libksef's client, a fault injected and a rate limit's 429
 * counted, the service routes untouched by a fault plan and by a rate
 * limit's block, and --log-format json: every request line one JSON
 * object with its fields, a path carrying %0a and a quote included.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "ksef/ksef.h"
#include "ksef/session.h"
#include "e2e.h"
#include "http_raw.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
#define WAIT_MS 60000L

/* The send route's requests with their 202, as /metrics names them. */
#define SENT_202 "ksefd_http_requests_total{method=\"POST\",route=\"/v2/" \
	"sessions/online/{ref}/invoices\",status=\"202\"}"
#define KEYS_ROUTE "route=\"/v2/security/public-key-certificates\""

static struct ksefd_proc srv;      /* --log-format json */
static char token[256];

static const char *const serve_args[] = { "--processing-delay", "0",
					  "--log-format", "json", NULL };

static int setup(void **state)
{
	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	memset(&srv, 0, sizeof(srv));
	ksefd_start(&srv, NULL, serve_args);
	ksefd_token(&srv, NIP, "InvoiceWrite,InvoiceRead", token,
		    sizeof(token));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(ksefd_stop(&srv), 0);
	ksefd_cleanup(&srv);
	ksef_global_cleanup();
	return 0;
}

/* GET a path at p's root (outside /v2). */
static void get(struct raw_response *r, const struct ksefd_proc *p,
		const char *path)
{
	char u[512];

	snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", p->port, path);
	raw_request(r, "GET", u, NULL, NULL, NULL, 0);
}

/* The status of GET path, the body's "status" field checked against it. */
static long health(const struct ksefd_proc *p, const char *path,
		   char *reason, size_t size)
{
	struct raw_response r;
	json_t *o;
	long status;

	get(&r, p, path);
	status = r.status;
	assert_non_null(strstr(r.content_type, "application/json"));
	o = raw_json(&r);
	assert_string_equal(json_string_value(json_object_get(o, "status")),
			    status == 200 ? "ok" : "unavailable");
	if (reason != NULL)
		snprintf(reason, size, "%s", json_string_value(
			json_object_get(o, "reason")) ?
			json_string_value(json_object_get(o, "reason")) : "");
	json_decref(o);
	raw_free(&r);
	return status;
}

/* /metrics, checked to be the text format; free with raw_free(). */
static void scrape(struct raw_response *r, const struct ksefd_proc *p)
{
	get(r, p, "/metrics");
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->content_type, "text/plain"));
	assert_non_null(strstr(r->content_type, "version=0.0.4"));
}

/* The value of the sample named exactly `series` (name and labels), 0
 * when there is none. */
static double sample(const struct raw_response *r, const char *series)
{
	const char *p = r->body;
	size_t n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == r->body || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return 0;
}

static double metric(const struct ksefd_proc *p, const char *series)
{
	struct raw_response r;
	double v;

	scrape(&r, p);
	v = sample(&r, series);
	raw_free(&r);
	return v;
}

/* A request is counted when ksefd has finished with it, which may be a
 * moment after its client has the answer: the value of series once it
 * is want, or after 5 s whatever it is then. */
static double metric_becomes(const struct ksefd_proc *p, const char *series,
			     double want)
{
	double v = metric(p, series);
	int i;

	for (i = 0; i < 250 && v != want; i++) {
		e2e_sleep_us(20000);
		v = metric(p, series);
	}
	return v;
}

static int set_plan(const char *json)
{
	return ksefd_faults_set(&srv, json);
}

static void health_answers_without_a_token_outside_v2(void **state)
{
	struct raw_response r;
	char u[512];

	(void)state;
	assert_int_equal(health(&srv, "/health/live", NULL, 0), 200);
	assert_int_equal(health(&srv, "/health/ready", NULL, 0), 200);
	/* not under /v2, and only GET */
	raw_request(&r, "GET", url(&srv, "/health/live"), NULL, NULL, NULL,
		    0);
	assert_int_equal(r.status, 404);
	raw_free(&r);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/health/ready", srv.port);
	raw_request(&r, "POST", u, NULL, NULL, "{}", 2);
	assert_int_equal(r.status, 405);
	raw_free(&r);
}

/* An invoice sent through a session with the client moves the send
 * route's 202s, the invoices accepted, the verification histogram and
 * the group commits. */
static void metrics_follow_an_invoice_through_a_session(void **state)
{
	ksef_client_options client_opts;
	ksef_conn_options o;
	ksef_conn *c = NULL;
	ksef_session *s = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ], today[KSEF_DATE_BUFSZ];
	struct raw_response before, after;
	ksef_error err;

	(void)state;
	scrape(&before, &srv);
	assert_non_null(strstr(before.body, "# TYPE ksefd_http_requests_total "
			       "counter\n"));
	assert_non_null(strstr(before.body, "# TYPE "
			       "ksefd_invoice_verification_seconds "
			       "histogram\n"));

	conn_options_for(&o, &client_opts, &srv, NIP);
	o.ksef_token = token;
	if (ksef_conn_new(&c, &o, &err) != 0 ||
	    ksef_session_open(&s, c, KSEF_FORM_FA3, &err) != 0)
		fail_msg("session: %s", err.message);
	date_from_today(today, 0);
	gen(&xml, KSEF_FORM_FA3, NIP, "OBS/", 1, today);
	if (ksef_session_send(ref, s, xml.ptr, xml.size, NULL, &err) != 0 ||
	    ksef_session_close(s, &err) != 0 ||
	    ksef_session_wait(s, WAIT_MS, &err) != 0)
		fail_msg("send/close: %s", err.message);
	assert_int_equal(ksef_session_invoice_at(s, 0)->status, 200);

	scrape(&after, &srv);
	assert_true(sample(&after, SENT_202) == sample(&before, SENT_202) + 1);
	assert_true(sample(&after, "ksefd_invoices_total{status=\"200\"}") ==
		    sample(&before, "ksefd_invoices_total{status=\"200\"}") +
		    1);
	assert_true(sample(&after, "ksefd_invoice_verification_seconds_"
			   "count") ==
		    sample(&before, "ksefd_invoice_verification_seconds_"
			   "count") + 1);
	assert_true(sample(&after, "ksefd_invoice_verification_seconds_"
			   "bucket{le=\"+Inf\"}") >= 1);
	assert_true(sample(&after, "ksefd_store_commit_writes_count") >
		    sample(&before, "ksefd_store_commit_writes_count"));
	/* the session's own routes, by template, never by path */
	assert_true(sample(&after, "ksefd_http_requests_total{method="
			   "\"POST\",route=\"/v2/sessions/online\","
			   "status=\"201\"}") >= 1);
	assert_null(strstr(after.body, ref));
	assert_null(strstr(after.body, ksef_session_reference(s)));
	/* the scrape before this one is counted too */
	assert_true(sample(&after, "ksefd_http_requests_total{method=\"GET\","
			   "route=\"/metrics\",status=\"200\"}") >= 1);
	assert_non_null(strstr(after.body,
			       "ksefd_queue_depth{queue=\"verification\"} "));
	assert_non_null(strstr(after.body,
			       "ksefd_queue_depth{queue=\"store_writer\"} "));
	raw_free(&before);
	raw_free(&after);
	ksef_session_free(s);
	ksef_conn_free(c);
	ksef_buf_dispose(&xml);
}

/* A fault a plan injects is counted under its rule; a plan for every
 * route leaves the service routes alone, and cannot name one. */
static void injected_faults_are_counted_and_spare_the_service_routes(
	void **state)
{
	struct raw_response r;
	double answered;

	(void)state;
	answered = metric(&srv, "ksefd_http_requests_total{method=\"GET\","
			  KEYS_ROUTE ",status=\"503\"}");
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"obs-503\", "
		"\"action\": \"status\", \"status\": 503, \"route\": "
		"\"GET /security/public-key-certificates\", \"count\": 1}]}"),
		0);
	raw_request(&r, "GET", url(&srv, "/security/public-key-certificates"),
		    NULL, NULL, NULL, 0);
	assert_int_equal(r.status, 503);
	raw_free(&r);
	assert_true(metric(&srv, "ksefd_faults_injected_total"
			   "{rule=\"obs-503\"}") == 1);
	assert_true(metric_becomes(&srv, "ksefd_http_requests_total"
				   "{method=\"GET\"," KEYS_ROUTE
				   ",status=\"503\"}", answered + 1) ==
		    answered + 1);

	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"everything\", "
		"\"action\": \"status\", \"status\": 500, \"group\": "
		"\"all\"}]}"), 0);
	raw_request(&r, "GET", url(&srv, "/security/public-key-certificates"),
		    NULL, NULL, NULL, 0);
	assert_int_equal(r.status, 500);
	raw_free(&r);
	assert_int_equal(health(&srv, "/health/live", NULL, 0), 200);
	assert_int_equal(health(&srv, "/health/ready", NULL, 0), 200);
	assert_true(metric(&srv, "ksefd_faults_injected_total"
			   "{rule=\"everything\"}") == 1);
	/* a plan cannot aim at them */
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"probe\", "
		"\"action\": \"status\", \"status\": 500, \"route\": "
		"\"GET /health/live\"}]}"), 1);
	assert_int_equal(set_plan(NULL), 0);
}

/* The rate limiter's 429s are counted by group; while the client's
 * address is blocked, the service routes still answer. */
static void rate_limit_refusals_are_counted(void **state)
{
	static const char *const args[] = { "--rate-limits", "production",
					    NULL };
	struct ksefd_proc p;
	struct raw_response r;
	char u[512];
	int i, refused = 0;

	(void)state;
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, args);
	snprintf(u, sizeof(u), "%s/security/public-key-certificates",
		 p.base_url);
	/* 60 a second without a token (limity-api.md), per address */
	for (i = 0; i < 200 && refused < 3; i++) {
		raw_request(&r, "GET", u, NULL, NULL, NULL, 0);
		assert_true(r.status == 200 || r.status == 429);
		refused += r.status == 429;
		raw_free(&r);
	}
	assert_int_equal(refused, 3);
	assert_int_equal(health(&p, "/health/live", NULL, 0), 200);
	assert_int_equal(health(&p, "/health/ready", NULL, 0), 200);
	assert_true(metric(&p, "ksefd_rate_limit_rejections_total"
			   "{group=\"unauthenticated\"}") == refused);
	assert_true(metric(&p, "ksefd_rate_limit_rejections_total"
			   "{group=\"invoiceSend\"}") == 0);
	assert_true(metric_becomes(&p, "ksefd_http_requests_total"
				   "{method=\"GET\"," KEYS_ROUTE
				   ",status=\"429\"}", refused) == refused);
	assert_int_equal(ksefd_stop(&p), 0);
	ksefd_cleanup(&p);
}

/* --metrics off: the path is gone, health stays. */
static void metrics_off_takes_the_path_away(void **state)
{
	static const char *const args[] = { "--metrics", "off", NULL };
	struct ksefd_proc p;
	struct raw_response r;

	(void)state;
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, args);
	get(&r, &p, "/metrics");
	assert_int_equal(r.status, 404);
	raw_free(&r);
	assert_int_equal(health(&p, "/health/ready", NULL, 0), 200);
	assert_int_equal(ksefd_stop(&p), 0);
	ksefd_cleanup(&p);
}

/* Ready only while the store takes writes: the writes fail (ENOSPC) and
 * it says 503 within a second, while live stays 200; they work again and
 * so does ready. */
static void ready_is_503_while_the_store_cannot_write(void **state)
{
	struct ksefd_proc p;
	char preload[1024], prefix[400], trigger[400], reason[128];
	char *dir = ts_mkdtemp();
	FILE *f;

	(void)state;
	memset(&p, 0, sizeof(p));
	snprintf(p.data_dir, sizeof(p.data_dir), "%s/data", dir);
	snprintf(trigger, sizeof(trigger), "%s/fail", dir);
	snprintf(prefix, sizeof(prefix), "%s/ksefd.sqlite3", p.data_dir);
	assert_int_equal(mkdir(p.data_dir, 0700), 0);
	snprintf(preload, sizeof(preload), "%s%s%s", KSEF_ASAN_RUNTIME,
		 KSEF_ASAN_RUNTIME[0] ? " " : "", KSEF_IOFAULT_LIB);
	assert_int_equal(access(KSEF_IOFAULT_LIB, R_OK), 0);
	setenv("LD_PRELOAD", preload, 1);
	setenv("IOFAULT_PREFIX", prefix, 1);
	setenv("IOFAULT_TRIGGER", trigger, 1);
	setenv("IOFAULT_ERRNO", "ENOSPC", 1);
	ksefd_start(&p, p.data_dir, NULL);
	unsetenv("LD_PRELOAD");
	unsetenv("IOFAULT_PREFIX");
	unsetenv("IOFAULT_TRIGGER");
	unsetenv("IOFAULT_ERRNO");
	assert_int_equal(health(&p, "/health/ready", NULL, 0), 200);

	f = fopen(trigger, "w");
	assert_non_null(f);
	fclose(f);
	/* past the second in which a commit still proves the writes */
	e2e_sleep_us(1200000);
	assert_int_equal(health(&p, "/health/ready", reason, sizeof(reason)),
			 503);
	assert_string_equal(reason, "store not writable");
	assert_int_equal(health(&p, "/health/live", NULL, 0), 200);
	/* failing again, not answered from what was seen before */
	assert_int_equal(health(&p, "/health/ready", NULL, 0), 503);
	assert_true(metric(&p, "ksefd_store_commit_failures_total") >= 2);

	assert_int_equal(unlink(trigger), 0);
	assert_int_equal(health(&p, "/health/ready", NULL, 0), 200);
	assert_int_equal(ksefd_stop(&p), 0);
	ts_rmdir(dir);
}

/* Every line of the log that is a request's is one JSON object with the
 * fields, and no request line is text. */
static void json_log_lines_are_whole_objects(void **state)
{
	struct raw_response r;
	char u[512], line[16384];
	FILE *f;
	json_t *o, *v;
	json_error_t je;
	int objects = 0, forged = 0, marked = 0, fields;
	size_t n;

	(void)state;
	/* %0a and %22 reach the path as a line feed and a quote */
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/v2/obs%%0aFORGED%%22"
		 "x%%20y", srv.port);
	raw_request(&r, "GET", u, NULL, NULL, NULL, 0);
	assert_int_equal(r.status, 404);
	raw_free(&r);
	e2e_sleep_us(100000); /* the line is written as the request ends */

	f = fopen(srv.log_path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		n = strlen(line);
		assert_true(n > 0 && line[n - 1] == '\n');
		if (strstr(line, "FORGED") != NULL)
			marked++;
		if (line[0] != '{') {
			/* ksefd's other messages stay text; a request's
			 * line never does (its text form is "TIME METHOD") */
			assert_null(strstr(line, "Z GET /"));
			assert_null(strstr(line, "Z POST /"));
			continue;
		}
		o = json_loads(line, JSON_REJECT_DUPLICATES, &je);
		if (o == NULL)
			fail_msg("not JSON: %s (%s)", line, je.text);
		objects++;
		fields = 0;
		v = json_object_get(o, "time");
		assert_true(json_is_string(v));
		/* RFC 3339, UTC, milliseconds */
		assert_int_equal(strlen(json_string_value(v)), 24);
		assert_int_equal(json_string_value(v)[19], '.');
		assert_int_equal(json_string_value(v)[23], 'Z');
		fields += json_is_string(json_object_get(o, "method"));
		v = json_object_get(o, "route");
		fields += json_is_string(v) || json_is_null(v);
		fields += json_is_string(json_object_get(o, "path"));
		fields += json_is_integer(json_object_get(o, "status"));
		fields += json_is_number(json_object_get(o, "duration_ms"));
		fields += json_is_array(json_object_get(o, "refs"));
		fields += json_is_string(json_object_get(o, "ip"));
		v = json_object_get(o, "request_id");
		fields += json_is_string(v) &&
			  strlen(json_string_value(v)) == 36;
		assert_int_equal(fields, 8);
		assert_null(json_object_get(o, "query"));
		v = json_object_get(o, "path");
		if (strstr(json_string_value(v), "FORGED") != NULL) {
			forged++;
			assert_string_equal(json_string_value(v),
					    "/v2/obs\\x0aFORGED\"x\\x20y");
			assert_true(json_is_null(json_object_get(o, "route")));
			assert_int_equal(json_integer_value(
				json_object_get(o, "status")), 404);
			assert_string_equal(json_string_value(
				json_object_get(o, "ip")), "127.0.0.1");
		}
		v = json_object_get(o, "route");
		if (json_is_string(v) && strcmp(json_string_value(v),
			"/v2/sessions/online/{ref}/invoices") == 0) {
			/* the send's references: session and invoice */
			assert_int_equal(json_integer_value(
				json_object_get(o, "status")), 202);
			assert_true(json_array_size(
				json_object_get(o, "refs")) >= 1);
			assert_null(strstr(json_string_value(
				json_object_get(o, "path")), "{ref}"));
		}
		json_decref(o);
	}
	fclose(f);
	/* the requests of the tests before, at least */
	assert_true(objects >= 10);
	assert_int_equal(forged, 1);
	assert_int_equal(marked, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(health_answers_without_a_token_outside_v2),
		cmocka_unit_test(metrics_follow_an_invoice_through_a_session),
		cmocka_unit_test(
		injected_faults_are_counted_and_spare_the_service_routes),
		cmocka_unit_test(rate_limit_refusals_are_counted),
		cmocka_unit_test(metrics_off_takes_the_path_away),
		cmocka_unit_test(ready_is_503_while_the_store_cannot_write),
		/* last: it reads the log of the requests above */
		cmocka_unit_test(json_log_lines_are_whole_objects),
	};

	if (ts_schemas_missing())
		return 77;
	return cmocka_run_group_tests(tests, setup, teardown);
}
