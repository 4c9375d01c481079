/*
 * store_retrieval_test.c - the metadata of accepted invoices in the store
 * (store_retrieval.c): stored with the invoice's one write, only for an
 * accepted invoice; found by the caller's role (seller, buyer, third
 * party, authorized subject) and by each filter; sorted either way by
 * the chosen date; paged; bounded. And the exports' records.
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store.h"
#include "store_fixture.h"
#include "verdict.h"

#define SELLER "5265877635"
#define BUYER "7010012385"
#define THIRD "1234563218"
#define N 6

struct call {
	store_invoice inv;
	store_invoice_meta meta;
	int session_status, result, done;
	ksef_error err;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

static void on_done(void *arg, int result)
{
	struct call *c = arg;

	pthread_mutex_lock(&lock);
	c->result = result;
	c->done = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static const unsigned char xml[] = "<Faktura/>";

/* Invoice i: stored at 10000 + i * 1000 ms (via its invoicing time,
 * which the store keeps before permanent storage), gross (i + 1) * 100
 * PLN, buyer BUYER except i = 5 (no identifier); i = 2 names THIRD as
 * Podmiot3, i = 3 THIRD as authorized subject; i = 4 is EUR, KOR, with
 * an attachment; status 450 for i = N (not accepted). */
static void add(store *st, int i, int status)
{
	struct call c;
	store_invoice *v = &c.inv;
	store_invoice_meta *m = &c.meta;

	memset(&c, 0, sizeof(c));
	snprintf(v->ref, sizeof(v->ref), "EE-%d", i);
	strcpy(v->session_ref, "SO-1");
	snprintf(v->invoice_hash, sizeof(v->invoice_hash), "H-%d", i);
	strcpy(v->encrypted_hash, "EH");
	v->invoice_size = 10;
	v->encrypted_size = 16;
	v->invoicing_ms = 10000 + i * 1000;
	v->status = status;
	strcpy(v->seller_nip, SELLER);
	strcpy(v->invoice_kind, i == 4 ? "KOR" : "VAT");
	snprintf(v->invoice_number, sizeof(v->invoice_number), "FV/%d", i);
	snprintf(v->issue_date, sizeof(v->issue_date), "2025-06-%02d",
		 10 - i);
	if (status == 200) {
		snprintf(v->ksef_number, sizeof(v->ksef_number), "K-%d", i);
		v->acquisition_ms = v->invoicing_ms;
		strcpy(v->invoicing_mode, "Online");
	} else {
		strcpy(v->status_details, "[\"bad\"]");
	}
	/* the issue date runs backwards: sorting by it reverses */
	m->issue_key = (int64_t)(20245 - i) * 86400000;
	strcpy(m->seller_name, "S");
	strcpy(m->buyer_id_type, i == 5 ? "None" : "Nip");
	strcpy(m->buyer_id, i == 5 ? "" : BUYER);
	strcpy(m->currency, i == 4 ? "EUR" : "PLN");
	m->gross = (int64_t)(i + 1) * 10000;
	m->net = m->gross * 100 / 123;
	m->vat = m->gross - m->net;
	m->has_attachment = i == 4;
	m->form = 1;
	strcpy(m->form_type, "FA");
	strcpy(m->invoice_type, i == 4 ? "Kor" : "Vat");
	strcpy(m->subject3_nips, i == 2 ? "," THIRD "," : ",");
	strcpy(m->authorized_nip, i == 3 ? THIRD : "");
	v->meta = m;
	if (store_invoice_add(st, v, status == 200 ? xml : NULL,
			      status == 200 ? sizeof(xml) - 1 : 0,
			      verdict_duplicate, &c.session_status, on_done,
			      &c, &c.err) != 0)
		fail_msg("store_invoice_add: %s", c.err.message);
	pthread_mutex_lock(&lock);
	while (!c.done)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	if (c.result != 0)
		fail_msg("store_invoice_add: %s", c.err.message);
}

static int setup(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_session s;
	ksef_error err;
	int i;

	memset(&s, 0, sizeof(s));
	strcpy(s.ref, "SO-1");
	strcpy(s.auth_ref, "AU-1");
	strcpy(s.ctx_type, "Nip");
	strcpy(s.ctx_value, SELLER);
	strcpy(s.subject_value, SELLER);
	s.form = 1;
	s.key_id = 1;
	s.wrapped_key_len = 256;
	s.status = 100;
	s.created_ms = s.updated_ms = 1000;
	s.valid_until_ms = 1000 + 12 * 3600 * 1000LL;
	s.max_invoices = 100;
	ok(store_session_add(st, &s, &err), &err);
	for (i = 0; i < N; i++)
		add(st, i, 200);
	add(st, N, 450);
	store_close(st);
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	ts_rmdir(*state);
	return 0;
}

/* The query of a seller over every date. */
static store_meta_query base(int subject, const char *nip)
{
	store_meta_query q;

	memset(&q, 0, sizeof(q));
	q.subject = subject;
	q.nip = nip;
	q.date_type = 1;
	q.from = 0;
	q.to = INT64_MAX;
	q.self_invoicing = q.has_attachment = -1;
	q.limit = 100;
	return q;
}

/* The KSeF numbers' indexes of q's rows, as a string ("012345"). */
static void run(store *st, const store_meta_query *q, char *out)
{
	store_meta_row *rows = NULL;
	size_t n = 0, i;
	ksef_error err;

	ok(store_meta_query_run(st, q, &rows, &n, &err), &err);
	for (i = 0; i < n; i++)
		out[i] = rows[i].inv.ksef_number[2];
	out[n] = '\0';
	free(rows);
}

/* Run q and check its rows, as run() writes them; a macro, so that a
 * failure names the line of the case. */
#define expect_rows(st, q, want) do {					\
		char got_[64];						\
									\
		run((st), (q), got_);					\
		assert_string_equal(got_, (want));			\
	} while (0)

static void roles_pick_the_invoices(void **state)
{
	store *st = open_store(*state);
	store_meta_query q;

	q = base(1, SELLER);
	expect_rows(st, &q, "012345");   /* not the refused one */
	q = base(2, BUYER);
	expect_rows(st, &q, "01234");
	q = base(3, THIRD);
	expect_rows(st, &q, "2");
	q = base(4, THIRD);
	expect_rows(st, &q, "3");
	q = base(1, BUYER);
	expect_rows(st, &q, "");
	q = base(2, SELLER);
	expect_rows(st, &q, "");
	store_close(st);
}

static void each_filter_applies(void **state)
{
	store *st = open_store(*state);
	store_meta_query q;

	q = base(1, SELLER);
	q.ksef_number = "K-3";
	expect_rows(st, &q, "3");
	q = base(1, SELLER);
	q.invoice_number = "FV/4";
	expect_rows(st, &q, "4");
	q = base(1, SELLER);
	q.seller_nip = BUYER;
	expect_rows(st, &q, "");
	q = base(1, SELLER);
	q.buyer_type = "None";
	expect_rows(st, &q, "5");
	q = base(1, SELLER);
	q.buyer_type = "Nip";
	q.buyer_value = BUYER;
	expect_rows(st, &q, "01234");
	q = base(1, SELLER);
	q.amount_type = 1;    /* gross 200 to 300 PLN */
	q.amount_from = 20000;
	q.amount_to = 30000;
	expect_rows(st, &q, "12");
	q.amount_type = 2;    /* net: 243.90 only */
	expect_rows(st, &q, "2");
	q.amount_type = 3;    /* VAT: none that high */
	expect_rows(st, &q, "");
	q = base(1, SELLER);
	q.currencies = ",EUR,USD,";
	expect_rows(st, &q, "4");
	q = base(1, SELLER);
	q.invoice_types = ",Vat,";
	expect_rows(st, &q, "01235");
	q = base(1, SELLER);
	q.invoicing_mode = "Offline";
	expect_rows(st, &q, "");
	q = base(1, SELLER);
	q.self_invoicing = 0;
	expect_rows(st, &q, "012345");
	q = base(1, SELLER);
	q.form_type = "PEF";
	expect_rows(st, &q, "");
	q = base(1, SELLER);
	q.has_attachment = 1;
	expect_rows(st, &q, "4");
	/* the range, inclusive at both ends */
	q = base(1, SELLER);
	q.from = 11000;
	q.to = 13000;
	expect_rows(st, &q, "123");
	store_close(st);
}

static void dates_sort_either_way_and_pages_follow(void **state)
{
	store *st = open_store(*state);
	store_meta_query q = base(1, SELLER);

	q.descending = 1;
	expect_rows(st, &q, "543210");
	/* by issue date, which runs the other way */
	q = base(1, SELLER);
	q.date_type = 0;
	expect_rows(st, &q, "543210");
	q.from = 20242LL * 86400000;  /* issue keys 20240..20245 */
	q.to = 20243LL * 86400000;
	expect_rows(st, &q, "32");
	/* permanent storage follows invoicing here */
	q = base(1, SELLER);
	q.date_type = 2;
	q.limit = 4;
	expect_rows(st, &q, "0123");
	q.offset = 4;
	expect_rows(st, &q, "45");
	q.offset = 40;
	expect_rows(st, &q, "");
	store_close(st);
}

static void queries_are_bounded_and_checked(void **state)
{
	store *st = open_store(*state);
	store_meta_query q = base(1, SELLER);
	store_meta_row *rows = NULL;
	size_t n = 0;
	ksef_error err;

	q.limit = (size_t)-1;  /* capped at STORE_META_QUERY_MAX */
	ok(store_meta_query_run(st, &q, &rows, &n, &err), &err);
	assert_int_equal(n, N);
	assert_string_equal(rows[0].meta.currency, "PLN");
	assert_int_equal(rows[0].meta.gross, 10000);
	assert_string_equal(rows[0].inv.seller_nip, SELLER);
	assert_int_equal(rows[0].key, 10000);
	/* an idle store: everything stamped so far is below its HWM */
	assert_true(store_hwm_ms(st) >= rows[n - 1].inv.permanent_storage_ms);
	free(rows);
	q.subject = 5;
	assert_int_equal(store_meta_query_run(st, &q, &rows, &n, &err),
			 STORE_INVALID);
	q = base(1, NULL);
	assert_int_equal(store_meta_query_run(st, &q, &rows, &n, &err),
			 STORE_INVALID);
	store_close(st);
}

static void exports_are_recorded_and_finished_once(void **state)
{
	store *st = open_store(*state);
	store_export *e = calloc(1, sizeof(*e)), *got = malloc(sizeof(*got));
	char (*refs)[STORE_REF_SZ] = NULL;
	size_t n = 0;
	int64_t running;
	ksef_error err;

	assert_non_null(e);
	assert_non_null(got);
	strcpy(e->ref, "EH-1");
	strcpy(e->ctx_type, "Nip");
	strcpy(e->ctx_value, SELLER);
	strcpy(e->nip, SELLER);
	e->status = 100;
	strcpy(e->filters, "{}");
	e->wrapped_key_len = 3;
	memcpy(e->wrapped_key, "key", 3);
	e->created_ms = 5;
	ok(store_export_add(st, e, &err), &err);
	ok(store_exports_running(st, "Nip", SELLER, &running, &err), &err);
	assert_int_equal(running, 1);
	ok(store_exports_pending(st, 10, &refs, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(refs[0], "EH-1");
	free(refs);
	ok(store_export_get(st, "EH-1", got, &err), &err);
	assert_int_equal(got->wrapped_key_len, 3);
	ok(store_export_finish(st, "EH-1", 200, 9, "{\"parts\":[]}", &err),
	   &err);
	/* only once: a finished export is not finished again */
	assert_int_equal(store_export_finish(st, "EH-1", 500, 10, "", &err),
			 STORE_NOT_FOUND);
	ok(store_export_get(st, "EH-1", got, &err), &err);
	assert_int_equal(got->status, 200);
	assert_int_equal(got->completed_ms, 9);
	assert_int_equal(got->wrapped_key_len, 0);  /* the key is gone */
	assert_string_equal(got->package, "{\"parts\":[]}");
	ok(store_exports_running(st, "Nip", SELLER, &running, &err), &err);
	assert_int_equal(running, 0);
	/* past its days the package's parts are listed once, then forgotten */
	ok(store_exports_expired(st, 9, 10, &refs, &n, &err), &err);
	assert_int_equal(n, 0);
	free(refs);
	ok(store_exports_expired(st, 10, 10, &refs, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(refs[0], "EH-1");
	free(refs);
	ok(store_export_forget(st, "EH-1", &err), &err);
	ok(store_exports_expired(st, 10, 10, &refs, &n, &err), &err);
	assert_int_equal(n, 0);
	free(refs);
	ok(store_export_get(st, "EH-1", got, &err), &err);
	assert_int_equal(got->status, 200);
	assert_string_equal(got->package, "");
	assert_int_equal(store_export_get(st, "EH-2", got, &err),
			 STORE_NOT_FOUND);
	free(e);
	free(got);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roles_pick_the_invoices),
		cmocka_unit_test(each_filter_applies),
		cmocka_unit_test(dates_sort_either_way_and_pages_follow),
		cmocka_unit_test(queries_are_bounded_and_checked),
		cmocka_unit_test(exports_are_recorded_and_finished_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
