/*
 * reads_test.c - the read gate (reads.c) with real threads and reads that
 * take as long as the test says: with N slots and N + k reads at once, at
 * most N run together, the rest wait and are all served, none lost and
 * none twice; a read that waits past the deadline is answered 429 with
 * Retry-After in the API's form (TooManyRequestsResponse) while the slow
 * ones go on; one context's backlog does not hold back another's next
 * read; stopping serves what still waits.
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "http.h"
#include "reads.h"

#define MAX_REQS 64

/* What the fake reads see, under one lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int now_running, peak_running, served[MAX_REQS], open_gate;
static int order[MAX_REQS], norder;

static struct request reqs[MAX_REQS];

static void reset(void)
{
	pthread_mutex_lock(&lock);
	now_running = peak_running = norder = 0;
	open_gate = 0;
	memset(served, 0, sizeof(served));
	pthread_mutex_unlock(&lock);
	memset(reqs, 0, sizeof(reqs));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A read that holds its slot until the test opens the gate. */
static void slow_read(struct request *req)
{
	int i = (int)(req - reqs);

	pthread_mutex_lock(&lock);
	now_running++;
	if (now_running > peak_running)
		peak_running = now_running;
	order[norder++] = i;
	pthread_cond_broadcast(&changed);
	while (!open_gate)
		pthread_cond_wait(&changed, &lock);
	now_running--;
	served[i]++;
	pthread_mutex_unlock(&lock);
	http_reply_empty(req, 200);
}

/* A read that takes a few milliseconds, as one from the disk does. */
static void short_read(struct request *req)
{
	int i = (int)(req - reqs);

	pthread_mutex_lock(&lock);
	now_running++;
	if (now_running > peak_running)
		peak_running = now_running;
	order[norder++] = i;
	pthread_mutex_unlock(&lock);
	sleep_ms(3);
	pthread_mutex_lock(&lock);
	now_running--;
	served[i]++;
	pthread_mutex_unlock(&lock);
	http_reply_empty(req, 200);
}

static void submit(struct reads *g, int i, const char *ctx,
		   void (*fn)(struct request *))
{
	struct request *req = &reqs[i];

	snprintf(req->path, sizeof(req->path), "/v2/invoices/ksef/%d", i);
	snprintf(req->trace_id, sizeof(req->trace_id), "%032x", i);
	strcpy(req->ip, "127.0.0.1");
	if (ctx != NULL) {
		req->authed = 1;
		snprintf(req->claims.context_type,
			 sizeof(req->claims.context_type), "Nip");
		snprintf(req->claims.context_value,
			 sizeof(req->claims.context_value), "%s", ctx);
	}
	reads_submit(g, req, fn);
}

/* Wait until running reads reach n (or 2 s pass). */
static void wait_running(int n)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&lock);
	while (now_running < n &&
	       pthread_cond_timedwait(&changed, &lock, &until) == 0)
		;
	pthread_mutex_unlock(&lock);
}

/* Until nothing waits or runs in g (every answer recorded), or 5 s. */
static void drain(struct reads *g)
{
	size_t waiting, running;
	int i;

	for (i = 0; i < 5000; i++) {
		reads_counts(g, &waiting, &running);
		if (waiting == 0 && running == 0)
			return;
		sleep_ms(1);
	}
	fail_msg("the gate did not drain: %zu waiting, %zu running",
		 waiting, running);
}

static void open_all(void)
{
	pthread_mutex_lock(&lock);
	open_gate = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static void n_slots_hold_and_the_rest_wait_and_are_served(void **state)
{
	struct reads *g;
	size_t waiting, running;
	int i;

	(void)state;
	reset();
	assert_int_equal(reads_start(&g, 3, 10000, NULL), 0);
	for (i = 0; i < 10; i++)
		submit(g, i, "5265877635", slow_read);
	wait_running(3);
	sleep_ms(50); /* room for a fourth, were the limit not held */
	reads_counts(g, &waiting, &running);
	assert_int_equal(running, 3);
	assert_int_equal(waiting, 7);
	pthread_mutex_lock(&lock);
	assert_int_equal(now_running, 3);
	pthread_mutex_unlock(&lock);
	/* Those waiting are neither run nor answered yet. */
	for (i = 3; i < 10; i++)
		assert_false(reqs[i].responded);
	open_all();
	drain(g);
	reads_stop(g);
	assert_int_equal(peak_running, 3);
	for (i = 0; i < 10; i++) {
		assert_int_equal(served[i], 1);
		assert_true(reqs[i].responded);
		assert_int_equal(reqs[i].status, 200);
	}
	/* The first three to come held the slots: the others started only
	 * once those were let go. (Among reads started together the order
	 * is the threads'.) */
	assert_true(order[0] < 3 && order[1] < 3 && order[2] < 3);
}

static void many_short_reads_never_pass_the_limit(void **state)
{
	struct reads *g;
	int i;

	(void)state;
	reset();
	assert_int_equal(reads_start(&g, 2, 10000, NULL), 0);
	for (i = 0; i < MAX_REQS; i++)
		submit(g, i, i % 2 ? "5265877635" : "1111111111", short_read);
	drain(g);
	reads_stop(g);
	assert_true(peak_running >= 1 && peak_running <= 2);
	for (i = 0; i < MAX_REQS; i++) {
		assert_int_equal(served[i], 1);
		assert_int_equal(reqs[i].status, 200);
	}
}

static void past_the_deadline_comes_the_documented_429(void **state)
{
	struct reads *g;
	json_t *body, *ex;
	json_error_t jerr;
	size_t waiting, running;
	int i;

	(void)state;
	reset();
	assert_int_equal(reads_start(&g, 1, 100, NULL), 0);
	for (i = 0; i < 4; i++)
		submit(g, i, "5265877635", slow_read);
	wait_running(1);
	/* The slot stays held: the keeper alone answers the others. */
	sleep_ms(400);
	reads_counts(g, &waiting, &running);
	assert_int_equal(waiting, 0);
	assert_int_equal(running, 1);
	for (i = 1; i < 4; i++) {
		assert_true(reqs[i].responded);
		assert_int_equal(reqs[i].status, 429);
		assert_string_equal(reqs[i].reply_header, "Retry-After");
		assert_string_equal(reqs[i].reply_value, "1");
		assert_non_null(strstr(reqs[i].content_type,
				       "application/json"));
		body = json_loadb((const char *)reqs[i].reply.ptr,
				  reqs[i].reply.size, 0, &jerr);
		assert_non_null(body);
		ex = json_object_get(body, "status");
		assert_int_equal(json_integer_value(json_object_get(ex,
				 "code")), 429);
		assert_string_equal(json_string_value(json_object_get(ex,
				    "description")), "Too Many Requests");
		assert_int_equal(json_array_size(json_object_get(ex,
				 "details")), 1);
		json_decref(body);
		assert_int_equal(served[i], 0);
		ksef_buf_dispose(&reqs[i].reply);
	}
	assert_false(reqs[0].responded);
	open_all();
	drain(g);
	reads_stop(g);
	assert_int_equal(reqs[0].status, 200);
	assert_int_equal(served[0], 1);
	for (i = 1; i < 4; i++)
		assert_int_equal(served[i], 0);
}

static void problem_details_when_asked(void **state)
{
	struct reads *g;
	json_t *body;

	(void)state;
	reset();
	assert_int_equal(reads_start(&g, 1, 50, NULL), 0);
	submit(g, 0, "5265877635", slow_read);
	wait_running(1);
	reqs[1].problem_details = 1;
	submit(g, 1, "5265877635", slow_read);
	sleep_ms(300);
	assert_int_equal(reqs[1].status, 429);
	assert_non_null(strstr(reqs[1].content_type, "problem+json"));
	body = json_loadb((const char *)reqs[1].reply.ptr, reqs[1].reply.size,
			  0, NULL);
	assert_non_null(body);
	assert_int_equal(json_integer_value(json_object_get(body, "status")),
			 429);
	assert_non_null(json_object_get(body, "traceId"));
	json_decref(body);
	ksef_buf_dispose(&reqs[1].reply);
	open_all();
	drain(g);
	reads_stop(g);
	assert_int_equal(reqs[0].status, 200);
}

static void a_backlog_does_not_hold_back_another_context(void **state)
{
	struct reads *g;
	int i, pos = -1;

	(void)state;
	reset();
	assert_int_equal(reads_start(&g, 1, 10000, NULL), 0);
	/* Twenty of one context, then one of another. */
	for (i = 0; i < 20; i++)
		submit(g, i, "5265877635", slow_read);
	submit(g, 20, "1111111111", slow_read);
	wait_running(1);
	open_all();
	drain(g);
	reads_stop(g);
	for (i = 0; i < norder; i++)
		if (order[i] == 20)
			pos = i;
	assert_int_equal(norder, 21);
	/* One slot: each context's reads in the order they came. */
	for (i = 1; i < norder; i++)
		if (order[i] != 20 && order[i - 1] != 20)
			assert_int_equal(order[i], order[i - 1] + 1);
	/* The first read had its slot before the other context came; the
	 * other's is the second or third, never the twenty-first. */
	assert_true(pos >= 1 && pos <= 2);
}

static void stopping_serves_what_waits(void **state)
{
	struct reads *g;
	int i;

	(void)state;
	reset();
	assert_int_equal(reads_start(&g, 2, 10000, NULL), 0);
	for (i = 0; i < 8; i++)
		submit(g, i, NULL, short_read);
	reads_stop(g);
	for (i = 0; i < 8; i++)
		assert_int_equal(reqs[i].status, 200);
}

static void bad_settings_are_refused(void **state)
{
	struct reads *g;
	ksef_error err;

	(void)state;
	assert_int_equal(reads_start(&g, 0, 100, &err), KSEF_EINVAL);
	assert_null(g);
	assert_int_equal(reads_start(&g, 1, -1, &err), KSEF_EINVAL);
	assert_null(g);
	reads_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(n_slots_hold_and_the_rest_wait_and_are_served),
		cmocka_unit_test(many_short_reads_never_pass_the_limit),
		cmocka_unit_test(past_the_deadline_comes_the_documented_429),
		cmocka_unit_test(problem_details_when_asked),
		cmocka_unit_test(a_backlog_does_not_hold_back_another_context),
		cmocka_unit_test(stopping_serves_what_waits),
		cmocka_unit_test(bad_settings_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
