/*
 * store_add_test.c - an invoice's one durable write (store_invoice_add):
 * it lands with its verdict, its content and its session's counts in one
 * transaction; a duplicate is stored as the 440 the caller makes of it,
 * also when the original is in the same commit; a session that is closed,
 * full or unknown takes nothing, and says so; the answer comes after the
 * commit, on another thread, and many writes in flight share commits.
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store.h"
#include "store_fixture.h"
#include "verdict.h"

struct wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pending;
};

/* One write in flight: what store_invoice_add needs kept alive. */
struct call {
	store_invoice inv;
	int session_status, result;
	ksef_error err;
	struct wait *w;
};

static void on_done(void *arg, int result)
{
	struct call *c = arg;

	pthread_mutex_lock(&c->w->lock);
	c->result = result;
	c->w->pending--;
	pthread_cond_broadcast(&c->w->cond);
	pthread_mutex_unlock(&c->w->lock);
}

static void wait_all(struct wait *w)
{
	pthread_mutex_lock(&w->lock);
	while (w->pending > 0)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

static void add_session(store *st, const char *ref, int max_invoices)
{
	store_session s;
	ksef_error err;

	memset(&s, 0, sizeof(s));
	snprintf(s.ref, sizeof(s.ref), "%s", ref);
	strcpy(s.auth_ref, "AU-1");
	strcpy(s.ctx_type, "Nip");
	strcpy(s.ctx_value, "5265877635");
	strcpy(s.subject_value, "5265877635");
	s.form = 3;
	s.key_id = 1;
	s.wrapped_key_len = 256;
	s.status = 100;
	s.created_ms = s.updated_ms = 1000;
	s.valid_until_ms = 1000 + 12 * 3600 * 1000LL;
	s.max_invoices = max_invoices;
	if (store_session_add(st, &s, &err) != 0)
		fail_msg("store_session_add: %s", err.message);
}

/* A decided invoice: 200 with P_2 `p2` and a KSeF number, or a refusal. */
static void decided(struct call *c, struct wait *w, const char *ref,
		    const char *session_ref, int status, const char *p2)
{
	store_invoice *v = &c->inv;

	memset(c, 0, sizeof(*c));
	c->w = w;
	snprintf(v->ref, sizeof(v->ref), "%s", ref);
	snprintf(v->session_ref, sizeof(v->session_ref), "%s", session_ref);
	snprintf(v->invoice_hash, sizeof(v->invoice_hash), "H-%s", ref);
	strcpy(v->encrypted_hash, "EH");
	v->invoice_size = 10;
	v->encrypted_size = 16;
	v->invoicing_ms = 5000;
	v->status = status;
	strcpy(v->seller_nip, "5265877635");
	strcpy(v->invoice_kind, "VAT");
	snprintf(v->invoice_number, sizeof(v->invoice_number), "%s", p2);
	if (status == 200) {
		snprintf(v->ksef_number, sizeof(v->ksef_number), "K-%s", ref);
		v->acquisition_ms = 6000;
		strcpy(v->invoicing_mode, "Online");
	} else {
		strcpy(v->status_details, "[\"bad\"]");
	}
}

static const unsigned char xml[] = "<Faktura/>";

static int add(store *st, struct call *c)
{
	int rc;

	pthread_mutex_lock(&c->w->lock);
	c->w->pending++;
	pthread_mutex_unlock(&c->w->lock);
	rc = store_invoice_add(st, &c->inv, c->inv.status == 200 ? xml : NULL,
			       c->inv.status == 200 ? sizeof(xml) - 1 : 0,
			       verdict_duplicate, &c->session_status, on_done,
			       c, &c->err);
	if (rc != 0) {
		pthread_mutex_lock(&c->w->lock);
		c->w->pending--;
		pthread_mutex_unlock(&c->w->lock);
	}
	return rc;
}

static struct wait *new_wait(void)
{
	struct wait *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	return w;
}

static void free_wait(struct wait *w)
{
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void a_decided_invoice_lands_with_content_and_counts(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	struct wait *w = new_wait();
	struct call ok, bad;
	store_invoice got;
	store_session s;
	ksef_buf b = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	add_session(st, "SO-1", 10);
	decided(&ok, w, "EE-1", "SO-1", 200, "FV/1");
	decided(&bad, w, "EE-2", "SO-1", 450, "FV/2");
	assert_int_equal(add(st, &ok), 0);
	assert_int_equal(add(st, &bad), 0);
	wait_all(w);
	assert_int_equal(ok.result, STORE_OK);
	assert_int_equal(bad.result, STORE_OK);
	assert_int_equal(ok.inv.ordinal + bad.inv.ordinal, 3);

	assert_int_equal(store_invoice_get(st, "EE-1", &got, &err), 0);
	assert_int_equal(got.status, 200);
	assert_string_equal(got.ksef_number, "K-EE-1");
	assert_int_equal(store_invoice_plaintext(st, "EE-1", &b, &err), 0);
	assert_memory_equal(b.ptr, xml, sizeof(xml) - 1);
	ksef_buf_dispose(&b);
	assert_int_equal(store_invoice_get(st, "EE-2", &got, &err), 0);
	assert_int_equal(got.status, 450);
	assert_string_equal(got.status_details, "[\"bad\"]");
	/* A refused invoice keeps no content. */
	assert_int_equal(store_invoice_plaintext(st, "EE-2", &b, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_session_get(st, "SO-1", &s, &err), 0);
	assert_int_equal(s.invoice_count, 2);
	assert_int_equal(s.success_count, 1);
	assert_int_equal(s.failed_count, 1);

	store_close(st);
	free_wait(w);
	ts_rmdir(dir);
}

static void a_duplicate_is_stored_as_a_440_even_in_the_same_commit(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	struct wait *w = new_wait();
	struct call c[3];
	store_invoice got;
	store_session s;
	ksef_error err;
	int i, accepted = 0, dups = 0;

	(void)state;
	add_session(st, "SO-1", 10);
	/* Queued back to back: the writer takes them in one batch. */
	decided(&c[0], w, "EE-1", "SO-1", 200, "FV/1");
	decided(&c[1], w, "EE-2", "SO-1", 200, "FV/1");
	decided(&c[2], w, "EE-3", "SO-1", 200, "FV/1");
	for (i = 0; i < 3; i++)
		assert_int_equal(add(st, &c[i]), 0);
	wait_all(w);
	for (i = 0; i < 3; i++) {
		assert_int_equal(c[i].result, STORE_OK);
		assert_int_equal(store_invoice_get(st, c[i].inv.ref, &got,
						   &err), 0);
		if (got.status == 200) {
			accepted++;
			continue;
		}
		assert_int_equal(got.status, VERDICT_DUPLICATE);
		assert_string_equal(got.orig_ksef_number, "K-EE-1");
		assert_string_equal(got.orig_session_ref, "SO-1");
		assert_string_equal(got.ksef_number, "");
		dups++;
	}
	assert_int_equal(accepted, 1);
	assert_int_equal(dups, 2);
	assert_int_equal(store_session_get(st, "SO-1", &s, &err), 0);
	assert_int_equal(s.success_count, 1);
	assert_int_equal(s.failed_count, 2);
	store_close(st);
	free_wait(w);
	ts_rmdir(dir);
}

static void closed_full_or_unknown_sessions_take_nothing(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	struct wait *w = new_wait();
	struct call c;
	store_invoice got;
	ksef_error err;
	int status = 0;

	(void)state;
	add_session(st, "SO-full", 1);
	decided(&c, w, "EE-1", "SO-full", 200, "FV/1");
	assert_int_equal(add(st, &c), 0);
	wait_all(w);
	assert_int_equal(c.result, STORE_OK);
	decided(&c, w, "EE-2", "SO-full", 200, "FV/2");
	assert_int_equal(add(st, &c), 0);
	wait_all(w);
	assert_int_equal(c.result, STORE_FULL);

	add_session(st, "SO-closed", 10);
	assert_int_equal(store_session_close(st, "SO-closed", 7000, &status,
					     &err), 0);
	decided(&c, w, "EE-3", "SO-closed", 200, "FV/3");
	assert_int_equal(add(st, &c), 0);
	wait_all(w);
	assert_int_equal(c.result, STORE_WRONG_STATE);
	assert_int_equal(c.session_status, 170);

	decided(&c, w, "EE-4", "SO-none", 200, "FV/4");
	assert_int_equal(add(st, &c), 0);
	wait_all(w);
	assert_int_equal(c.result, STORE_NOT_FOUND);

	/* None of the refused ones was written. */
	assert_int_equal(store_invoice_get(st, "EE-2", &got, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_invoice_get(st, "EE-3", &got, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_invoice_get(st, "EE-4", &got, &err),
			 STORE_NOT_FOUND);
	/* An undecided invoice is not this call's. */
	decided(&c, w, "EE-5", "SO-closed", 100, "FV/5");
	assert_int_equal(add(st, &c), STORE_INVALID);
	store_close(st);
	free_wait(w);
	ts_rmdir(dir);
}

static void many_writes_in_flight_number_without_gaps(void **state)
{
	enum { N = 400 };
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	struct wait *w = new_wait();
	struct call *c = calloc(N, sizeof(*c));
	char ref[32], p2[32], seen[N + 1];
	int i;

	(void)state;
	assert_non_null(c);
	add_session(st, "SO-1", N);
	for (i = 0; i < N; i++) {
		snprintf(ref, sizeof(ref), "EE-%d", i);
		snprintf(p2, sizeof(p2), "FV/%d", i);
		decided(&c[i], w, ref, "SO-1", 200, p2);
		assert_int_equal(add(st, &c[i]), 0);
	}
	wait_all(w);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < N; i++) {
		assert_int_equal(c[i].result, STORE_OK);
		assert_true(c[i].inv.ordinal >= 1 && c[i].inv.ordinal <= N);
		assert_false(seen[c[i].inv.ordinal]);
		seen[c[i].inv.ordinal] = 1;
	}
	free(c);
	store_close(st);
	free_wait(w);
	ts_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			a_decided_invoice_lands_with_content_and_counts),
		cmocka_unit_test(
			a_duplicate_is_stored_as_a_440_even_in_the_same_commit),
		cmocka_unit_test(closed_full_or_unknown_sessions_take_nothing),
		cmocka_unit_test(many_writes_in_flight_number_without_gaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
