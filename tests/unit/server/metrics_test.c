/*
 * metrics_test.c - ksefd's counters (metrics.c) and their Prometheus
 * text: requests by route and status, what happens past the status slots,
 * cumulative histogram buckets, label escaping, counts from many threads
 * at once, and a NULL metrics that counts nothing.
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "metrics.h"

static int name_of(unsigned id, const char **method, const char **prefix,
		   const char **pattern)
{
	static const char *const patterns[] = {
		"/sessions/online/{ref}/invoices", "/health/live",
	};

	if (id < 1 || id > 2)
		return -1;
	*method = id == 1 ? "POST" : "GET";
	*prefix = id == 1 ? "/v2" : "";
	*pattern = patterns[id - 1];
	return 0;
}

/* The text, NUL-terminated; free with ksef_buf_dispose(). */
static void render(ksef_buf *out, metrics *m,
		   const struct metrics_sample *s)
{
	*out = (ksef_buf)KSEF_BUF_INIT;
	assert_int_equal(metrics_render(out, m, s), 0);
	assert_int_equal(ksef_buf_append(out, "", 1, SIZE_MAX), 0);
}

static int has_line(const ksef_buf *text, const char *line)
{
	const char *p = (const char *)text->ptr;
	size_t n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == (const char *)text->ptr || p[-1] == '\n') &&
		    p[n] == '\n')
			return 1;
		p += n;
	}
	return 0;
}

static void requests_are_counted_by_route_template_and_status(void **state)
{
	metrics *m = NULL;
	ksef_buf t;
	int i;

	(void)state;
	assert_int_equal(metrics_new(&m, 2, name_of), 0);
	for (i = 0; i < 3; i++)
		metrics_request(m, 1, 202);
	metrics_request(m, 1, 401);
	metrics_request(m, 2, 200);
	metrics_request(m, 0, 404);
	metrics_request(m, 99, 404); /* past the table: unmatched */
	metrics_request(m, 1, 0);    /* no answer recorded */
	render(&t, m, NULL);
	assert_true(has_line(&t, "# TYPE ksefd_http_requests_total counter"));
	assert_true(has_line(&t, "ksefd_http_requests_total{method=\"POST\","
		"route=\"/v2/sessions/online/{ref}/invoices\",status=\"202\"} "
		"3"));
	assert_true(has_line(&t, "ksefd_http_requests_total{method=\"POST\","
		"route=\"/v2/sessions/online/{ref}/invoices\",status=\"401\"} "
		"1"));
	assert_true(has_line(&t, "ksefd_http_requests_total{method=\"POST\","
		"route=\"/v2/sessions/online/{ref}/invoices\",status=\"0\"} "
		"1"));
	assert_true(has_line(&t, "ksefd_http_requests_total{method=\"GET\","
		"route=\"/health/live\",status=\"200\"} 1"));
	assert_true(has_line(&t, "ksefd_http_requests_total{method=\"\","
		"route=\"(unmatched)\",status=\"404\"} 2"));
	ksef_buf_dispose(&t);
	metrics_free(m);
}

static void statuses_past_the_slots_count_as_other(void **state)
{
	metrics *m = NULL;
	ksef_buf t;
	unsigned s;

	(void)state;
	assert_int_equal(metrics_new(&m, 1, name_of), 0);
	/* 40 distinct statuses: the first 16 get a slot each */
	for (s = 400; s < 440; s++)
		metrics_invoice(m, (int)s);
	metrics_invoice(m, 400);
	render(&t, m, NULL);
	assert_true(has_line(&t, "ksefd_invoices_total{status=\"400\"} 2"));
	assert_true(has_line(&t, "ksefd_invoices_total{status=\"415\"} 1"));
	assert_false(has_line(&t, "ksefd_invoices_total{status=\"416\"} 1"));
	assert_true(has_line(&t, "ksefd_invoices_total{status=\"other\"} "
			     "24"));
	ksef_buf_dispose(&t);
	metrics_free(m);
}

static void histogram_buckets_are_cumulative(void **state)
{
	metrics *m = NULL;
	ksef_buf t;

	(void)state;
	assert_int_equal(metrics_new(&m, 0, NULL), 0);
	metrics_verification(m, 500);      /* 0.0005 s */
	metrics_verification(m, 1000);     /* on the bound: le 0.001 */
	metrics_verification(m, 30000);    /* 0.03 s */
	metrics_verification(m, 60000000); /* a minute: +Inf only */
	metrics_commit(m, 1, 1);
	metrics_commit(m, 8, 1);
	metrics_commit(m, 9, 0);
	render(&t, m, NULL);
	assert_true(has_line(&t, "# TYPE ksefd_invoice_verification_seconds "
			     "histogram"));
	assert_true(has_line(&t, "ksefd_invoice_verification_seconds_bucket"
			     "{le=\"0.001\"} 2"));
	assert_true(has_line(&t, "ksefd_invoice_verification_seconds_bucket"
			     "{le=\"0.025\"} 2"));
	assert_true(has_line(&t, "ksefd_invoice_verification_seconds_bucket"
			     "{le=\"0.05\"} 3"));
	assert_true(has_line(&t, "ksefd_invoice_verification_seconds_bucket"
			     "{le=\"5\"} 3"));
	assert_true(has_line(&t, "ksefd_invoice_verification_seconds_bucket"
			     "{le=\"+Inf\"} 4"));
	assert_true(has_line(&t, "ksefd_invoice_verification_seconds_count "
			     "4"));
	assert_true(has_line(&t, "ksefd_invoice_verification_seconds_sum "
			     "60.031500"));
	assert_true(has_line(&t, "ksefd_store_commit_writes_bucket{le=\"1\"} "
			     "1"));
	assert_true(has_line(&t, "ksefd_store_commit_writes_bucket{le=\"8\"} "
			     "2"));
	assert_true(has_line(&t, "ksefd_store_commit_writes_bucket{le=\"16\"} "
			     "3"));
	assert_true(has_line(&t, "ksefd_store_commit_writes_sum 18"));
	assert_true(has_line(&t, "ksefd_store_commit_writes_count 3"));
	assert_true(has_line(&t, "ksefd_store_commit_failures_total 1"));
	ksef_buf_dispose(&t);
	metrics_free(m);
}

static void refusals_queues_and_faults_are_shown(void **state)
{
	static const struct metrics_fault faults[] = {
		{ "proxy-502", 3 },
		{ "odd\"rule\\\n", 1 }, /* never a valid id; still escaped */
	};
	struct metrics_sample s;
	metrics *m = NULL;
	ksef_buf t;

	(void)state;
	assert_int_equal(metrics_new(&m, 0, NULL), 0);
	metrics_rate_limited(m, RATELIMIT_INVOICE_SEND);
	metrics_rate_limited(m, RATELIMIT_INVOICE_SEND);
	metrics_rate_limited(m, RATELIMIT_GROUP_COUNT); /* ignored */
	metrics_read_refused(m);
	memset(&s, 0, sizeof(s));
	s.verification_queue = 5;
	s.store_queue = 2;
	s.reads_waiting = 7;
	s.reads_running = 4;
	s.fault_plan = 9;
	s.faults = faults;
	s.nfaults = 2;
	render(&t, m, &s);
	assert_true(has_line(&t, "ksefd_rate_limit_rejections_total"
			     "{group=\"invoiceSend\"} 2"));
	assert_true(has_line(&t, "ksefd_rate_limit_rejections_total"
			     "{group=\"other\"} 0"));
	assert_true(has_line(&t, "ksefd_read_gate_rejections_total 1"));
	assert_true(has_line(&t, "ksefd_queue_depth{queue=\"verification\"} "
			     "5"));
	assert_true(has_line(&t, "ksefd_queue_depth{queue=\"store_writer\"} "
			     "2"));
	assert_true(has_line(&t, "ksefd_queue_depth{queue=\"reads\"} 7"));
	assert_true(has_line(&t, "ksefd_reads_running 4"));
	assert_true(has_line(&t, "ksefd_fault_plan 9"));
	assert_true(has_line(&t, "ksefd_faults_injected_total"
			     "{rule=\"proxy-502\"} 3"));
	assert_true(has_line(&t, "ksefd_faults_injected_total"
			     "{rule=\"odd\\\"rule\\\\\\n\"} 1"));
	ksef_buf_dispose(&t);
	metrics_free(m);
}

#define THREADS 8
#define EACH 20000

static void *hammer(void *arg)
{
	metrics *m = arg;
	int i;

	for (i = 0; i < EACH; i++) {
		/* statuses race for the same free slots */
		metrics_request(m, 1, (unsigned)(200 + i % 4));
		metrics_verification(m, i);
	}
	return NULL;
}

static void counts_from_many_threads_add_up(void **state)
{
	pthread_t th[THREADS];
	metrics *m = NULL;
	char line[160];
	ksef_buf t;
	int i;

	(void)state;
	assert_int_equal(metrics_new(&m, 2, name_of), 0);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, m), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	render(&t, m, NULL);
	for (i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "ksefd_http_requests_total"
			 "{method=\"POST\",route=\"/v2/sessions/online/{ref}/"
			 "invoices\",status=\"%d\"} %d", 200 + i,
			 THREADS * EACH / 4);
		assert_true(has_line(&t, line));
	}
	snprintf(line, sizeof(line), "ksefd_invoice_verification_seconds_"
		 "count %d", THREADS * EACH);
	assert_true(has_line(&t, line));
	ksef_buf_dispose(&t);
	metrics_free(m);
}

static void a_null_metrics_counts_nothing(void **state)
{
	ksef_buf t = KSEF_BUF_INIT;

	(void)state;
	metrics_request(NULL, 1, 200);
	metrics_invoice(NULL, 200);
	metrics_verification(NULL, 1);
	metrics_commit(NULL, 1, 1);
	metrics_rate_limited(NULL, RATELIMIT_OTHER);
	metrics_read_refused(NULL);
	assert_int_equal(metrics_render(&t, NULL, NULL), 0);
	assert_int_equal(t.size, 0);
	metrics_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			requests_are_counted_by_route_template_and_status),
		cmocka_unit_test(statuses_past_the_slots_count_as_other),
		cmocka_unit_test(histogram_buckets_are_cumulative),
		cmocka_unit_test(refusals_queues_and_faults_are_shown),
		cmocka_unit_test(counts_from_many_threads_add_up),
		cmocka_unit_test(a_null_metrics_counts_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
