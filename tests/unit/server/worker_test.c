/*
 * worker_test.c - the verification pool (worker.c) on a real store and no
 * HTTP: invoices a previous run left waiting are taken up at start, a
 * queue longer than its first allocation loses none, a stop with work
 * still queued leaves it in the store for the next start, and invoices
 * that are unknown or already decided are passed over.
 *
 * The sessions here are wrapped under a key the server does not have, so
 * each invoice ends in 435 (cannot decrypt) as soon as a thread takes it:
 * a verdict that needs no schemas and shows the invoice went through the
 * pool and the store.
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "worker.h"

#define SESSION "SO-worker-test"
/* Over the queue's first allocation (256), so it must grow. */
#define MANY 300

struct fixture {
	struct server srv;
	char *dir;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	store_session s;
	ksef_error err;
	int64_t now = server_now_ms();

	assert_non_null(f);
	config_init(&f->srv.cfg);
	pthread_rwlock_init(&f->srv.keyring.lock, NULL);
	f->dir = ts_mkdtemp();
	if (store_open(&f->srv.store, f->dir, &err) != 0)
		fail_msg("store_open: %s", err.message);

	memset(&s, 0, sizeof(s));
	strcpy(s.ref, SESSION);
	strcpy(s.auth_ref, "AU-worker-test");
	strcpy(s.ctx_type, "Nip");
	strcpy(s.ctx_value, "5265877635");
	strcpy(s.subject_value, "5265877635");
	s.form = KSEF_FORM_FA3;
	s.key_id = 999; /* no such server key */
	memset(s.wrapped_key, 0xA5, 256);
	s.wrapped_key_len = 256;
	s.status = 100;
	s.created_ms = s.updated_ms = now;
	s.valid_until_ms = now + 12 * 3600 * 1000LL;
	s.max_invoices = 10000;
	if (store_session_add(f->srv.store, &s, &err) != 0)
		fail_msg("store_session_add: %s", err.message);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	workers_stop(&f->srv);
	keyring_destroy(&f->srv);
	pthread_rwlock_destroy(&f->srv.keyring.lock);
	store_close(f->srv.store);
	ts_rmdir(f->dir);
	free(f);
	return 0;
}

static void ref_of(char *out, size_t size, int i)
{
	snprintf(out, size, "EE-worker-%04d", i);
}

/* Accept n invoices (status 100), as api_sessions.c does before its 202. */
static void accept_invoices(struct fixture *f, int n)
{
	static const unsigned char ct[32] = { 1, 2, 3 };
	store_invoice v;
	ksef_error err;
	int i;

	for (i = 0; i < n; i++) {
		memset(&v, 0, sizeof(v));
		ref_of(v.ref, sizeof(v.ref), i);
		strcpy(v.session_ref, SESSION);
		snprintf(v.invoice_hash, sizeof(v.invoice_hash), "H-%d", i);
		v.invoice_size = 100;
		strcpy(v.encrypted_hash, "EH");
		v.encrypted_size = sizeof(ct);
		v.invoicing_ms = server_now_ms() + i;
		if (store_invoice_accept(f->srv.store, &v, ct, sizeof(ct), NULL,
					 &err) != 0)
			fail_msg("store_invoice_accept: %s", err.message);
	}
}

static int status_of(struct fixture *f, int i)
{
	char ref[STORE_REF_SZ];
	store_invoice v;
	ksef_error err;

	ref_of(ref, sizeof(ref), i);
	if (store_invoice_get(f->srv.store, ref, &v, &err) != 0)
		fail_msg("store_invoice_get %s: %s", ref, err.message);
	return v.status;
}

static size_t pending(struct fixture *f)
{
	char (*refs)[STORE_REF_SZ] = NULL;
	size_t n = 0;
	ksef_error err;

	if (store_invoices_pending(f->srv.store, &refs, &n, &err) != 0)
		fail_msg("store_invoices_pending: %s", err.message);
	free(refs);
	return n;
}

/* Wait until nothing is pending; generous, for valgrind. */
static void wait_until_none_pending(struct fixture *f)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	int tries;

	for (tries = 0; tries < 6000 && pending(f) > 0; tries++)
		nanosleep(&pause, NULL);
	assert_int_equal(pending(f), 0);
}

static void wait_until_queue_empty(struct fixture *f)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int tries;

	for (tries = 0; tries < 6000 && workers_queued(&f->srv) > 0; tries++)
		nanosleep(&pause, NULL);
	assert_int_equal(workers_queued(&f->srv), 0);
}

static void start(struct fixture *f, int threads)
{
	ksef_error err;

	if (workers_start(&f->srv, threads, &err) != 0)
		fail_msg("workers_start: %s", err.message);
}

static void invoices_left_waiting_by_a_previous_run_get_a_verdict_at_start(
	void **state)
{
	struct fixture *f = *state;
	int i;

	accept_invoices(f, 3);
	assert_int_equal(pending(f), 3);
	start(f, 2);
	wait_until_none_pending(f);
	for (i = 0; i < 3; i++)
		assert_int_equal(status_of(f, i), 435);
}

static void a_queue_longer_than_its_first_allocation_loses_no_invoice(
	void **state)
{
	struct fixture *f = *state;
	int i;

	accept_invoices(f, MANY);
	start(f, 1);
	wait_until_none_pending(f);
	for (i = 0; i < MANY; i++)
		assert_int_equal(status_of(f, i), 435);
}

static void invoices_submitted_while_running_are_verified(void **state)
{
	struct fixture *f = *state;
	char ref[STORE_REF_SZ];
	int i;

	start(f, 2);
	accept_invoices(f, MANY);
	for (i = 0; i < MANY; i++) {
		ref_of(ref, sizeof(ref), i);
		workers_submit(&f->srv, ref);
	}
	wait_until_none_pending(f);
	assert_int_equal(workers_queued(&f->srv), 0);
	for (i = 0; i < MANY; i++)
		assert_int_equal(status_of(f, i), 435);
}

static void a_stop_with_work_queued_leaves_it_for_the_next_start(
	void **state)
{
	struct fixture *f = *state;
	size_t left;
	int i, decided = 0;

	accept_invoices(f, MANY);
	start(f, 1);
	workers_stop(&f->srv);
	assert_null(f->srv.workers);

	/* Each invoice either got its verdict or still waits: none is lost
	 * and none is left half done. */
	for (i = 0; i < MANY; i++) {
		int st = status_of(f, i);

		assert_true(st == 100 || st == 435);
		decided += st == 435;
	}
	left = pending(f);
	assert_int_equal(left, (size_t)(MANY - decided));

	start(f, 2);
	wait_until_none_pending(f);
	for (i = 0; i < MANY; i++)
		assert_int_equal(status_of(f, i), 435);
}

static void unknown_and_already_decided_invoices_are_passed_over(
	void **state)
{
	struct fixture *f = *state;
	char ref[STORE_REF_SZ];
	store_invoice before, after;
	ksef_error err;

	accept_invoices(f, 1);
	start(f, 1);
	wait_until_none_pending(f);
	ref_of(ref, sizeof(ref), 0);
	assert_int_equal(store_invoice_get(f->srv.store, ref, &before, &err),
			 0);

	/* Queued again (a retry, a restart's re-queue) and an unknown one.
	 * Once the queue is empty, the stop waits for what a thread took. */
	workers_submit(&f->srv, ref);
	workers_submit(&f->srv, "EE-no-such-invoice");
	workers_kick(&f->srv);
	wait_until_queue_empty(f);
	workers_stop(&f->srv);

	assert_int_equal(store_invoice_get(f->srv.store, ref, &after, &err),
			 0);
	assert_int_equal(after.status, 435);
	assert_string_equal(after.status_details, before.status_details);
	assert_int_equal(store_invoice_get(f->srv.store, "EE-no-such-invoice",
					   &after, &err), STORE_NOT_FOUND);
}

static void a_stop_without_a_running_pool_does_nothing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(workers_queued(&f->srv), 0);
	workers_stop(&f->srv);
	workers_stop(&f->srv);
	assert_null(f->srv.workers);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(invoices_left_waiting_by_a_previous_run_get_a_verdict_at_start
		  ),
		T(a_queue_longer_than_its_first_allocation_loses_no_invoice),
		T(invoices_submitted_while_running_are_verified),
		T(a_stop_with_work_queued_leaves_it_for_the_next_start),
		T(unknown_and_already_decided_invoices_are_passed_over),
		T(a_stop_without_a_running_pool_does_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
