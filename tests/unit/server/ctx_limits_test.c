/*
 * ctx_limits_test.c - each context's limits in force (ctx_limits.c): the
 * defaults, what the test data set and put back, seen at once through the
 * cache and by a new cache over the same store, the cache's bound, the
 * size limit in bytes, and the text rate limits are stored in (its
 * failures first).
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/limits.h"
#include "ctx_limits.h"

static const store_session_limits defaults = { 10000, 1, 3 };

struct fixture {
	char *dir;
	store *st;
	ctx_limits *cl;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	ksef_error err;

	assert_non_null(f);
	f->dir = ts_mkdtemp();
	if (store_open(&f->st, f->dir, &err) != 0)
		fail_msg("store_open: %s", err.message);
	assert_int_equal(ctx_limits_new(&f->cl, f->st, &defaults, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ctx_limits_free(f->cl);
	store_close(f->st);
	ts_rmdir(f->dir);
	free(f);
	return 0;
}

static void production(ratelimit_limits rate[RATELIMIT_GROUP_COUNT])
{
	int g;

	for (g = 0; g < RATELIMIT_GROUP_COUNT; g++)
		ratelimit_default_limits((ratelimit_group)g, &rate[g]);
}

/* ---- the text ---- */

static void malformed_rate_texts_read_as_production(void **state)
{
	static const char *const bad[] = {
		"other", "other=", "other=1", "other=1/2", "other=1/2/",
		"other=1/2/3x", "other=1/2/3,,", "other=-1/2/3",
		"other=1/2/100001", "other=1/2/3;sessionList=1/1/1",
	};
	ratelimit_limits rate[RATELIMIT_GROUP_COUNT],
			 want[RATELIMIT_GROUP_COUNT];
	size_t i;

	(void)state;
	production(want);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(rate, 0x55, sizeof(rate));
		if (ctx_limits_rate_parse(rate, bad[i]) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_memory_equal(rate, want, sizeof(want));
	}
	assert_int_equal(ctx_limits_rate_parse(rate, NULL), -1);
	assert_int_equal(ctx_limits_rate_parse(NULL, "other=1/1/1"), -1);
}

static void rate_texts_round_trip_and_tolerate_other_versions(void **state)
{
	ratelimit_limits rate[RATELIMIT_GROUP_COUNT],
			 back[RATELIMIT_GROUP_COUNT];
	char text[CTX_LIMITS_RATE_TEXT_MAX], tiny[40];
	int g, n;

	(void)state;
	for (g = 0; g < RATELIMIT_GROUP_COUNT; g++) {
		rate[g].per_second = g + 1;
		rate[g].per_minute = 100 * (g + 1);
		rate[g].per_hour = RATELIMIT_LIMIT_MAX - g;
	}
	n = ctx_limits_rate_format(text, sizeof(text), rate);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(text));
	assert_non_null(strstr(text, "onlineSession=2/200/99999,"));
	/* The unauthenticated counter is never a context's. */
	assert_null(strstr(text, "unauthenticated"));
	assert_int_equal(ctx_limits_rate_parse(back, text), 0);
	for (g = RATELIMIT_UNAUTHENTICATED + 1; g < RATELIMIT_GROUP_COUNT; g++)
		assert_memory_equal(&back[g], &rate[g], sizeof(rate[g]));
	/* Each value at its largest still fits the store's field. */
	for (g = 0; g < RATELIMIT_GROUP_COUNT; g++)
		rate[g].per_second = rate[g].per_minute = rate[g].per_hour =
			RATELIMIT_LIMIT_MAX;
	assert_true(ctx_limits_rate_format(text, sizeof(text), rate) <
		    STORE_RATE_LIMITS_SZ);
	assert_int_equal(ctx_limits_rate_format(tiny, sizeof(tiny), rate), -1);
	rate[RATELIMIT_OTHER].per_hour = RATELIMIT_LIMIT_MAX + 1;
	assert_int_equal(ctx_limits_rate_format(text, sizeof(text), rate), -1);
	rate[RATELIMIT_OTHER].per_hour = -1;
	assert_int_equal(ctx_limits_rate_format(text, sizeof(text), rate), -1);

	/* A group it lacks is production; a name it does not know is
	 * skipped. */
	assert_int_equal(ctx_limits_rate_parse(back, "futureGroup=1/1/1,"
					       "other=2/3/4"), 0);
	assert_int_equal(back[RATELIMIT_OTHER].per_minute, 3);
	assert_int_equal(back[RATELIMIT_SESSION_LIST].per_second, 5);
	assert_int_equal(ctx_limits_rate_parse(back, ""), 0);
	assert_int_equal(back[RATELIMIT_OTHER].per_second, 10);
}

/* ---- the cache ---- */

static void a_context_that_set_nothing_has_the_defaults(void **state)
{
	struct fixture *f = *state;
	ratelimit_limits l;
	ctx_limits_view v;
	ksef_error err;

	assert_int_equal(ctx_limits_get(f->cl, "Nip", "5265877635", &v, &err),
			 0);
	assert_memory_equal(&v.online, &defaults, sizeof(defaults));
	assert_memory_equal(&v.batch, &defaults, sizeof(defaults));
	assert_false(v.session_set);
	assert_int_equal(v.rate_mode, CTX_RATE_DEFAULT);
	assert_int_equal(ctx_limits_rate(f->cl, "Nip", "5265877635",
					 RATELIMIT_OTHER, &l), 0);
	/* Cached although nothing was set: no store read a request. */
	assert_int_equal(ctx_limits_cached(f->cl), 1);
	assert_int_equal(ctx_limits_invoice_bytes(f->cl, "Nip", "5265877635",
						  7), 1000000);
}

static void changes_are_seen_at_once_and_after_a_restart(void **state)
{
	struct fixture *f = *state;
	store_session_limits on = { 2, 0, 1 }, ba = { 3, 5, 10 };
	ratelimit_limits rate[RATELIMIT_GROUP_COUNT], l;
	ctx_limits *again = NULL;
	ctx_limits_view v;
	ksef_error err;

	/* Read first, so that the change must pass the cached view. */
	assert_int_equal(ctx_limits_get(f->cl, "Nip", "5265877635", &v, &err),
			 0);
	assert_int_equal(ctx_limits_set_session(f->cl, "Nip", "5265877635",
						&on, &ba, &err), 0);
	production(rate);
	rate[RATELIMIT_SESSION_LIST].per_second = 1;
	assert_int_equal(ctx_limits_set_rate(f->cl, "Nip", "5265877635", rate,
					     &err), 0);
	assert_int_equal(ctx_limits_get(f->cl, "Nip", "5265877635", &v, &err),
			 0);
	assert_true(v.session_set);
	assert_memory_equal(&v.online, &on, sizeof(on));
	assert_memory_equal(&v.batch, &ba, sizeof(ba));
	assert_int_equal(v.rate_mode, CTX_RATE_CUSTOM);
	assert_int_equal(ctx_limits_rate(f->cl, "Nip", "5265877635",
					 RATELIMIT_SESSION_LIST, &l), 1);
	assert_int_equal(l.per_second, 1);
	assert_int_equal(l.per_minute, 10);
	/* Never the unauthenticated counter. */
	assert_int_equal(ctx_limits_rate(f->cl, "Nip", "5265877635",
					 RATELIMIT_UNAUTHENTICATED, &l), 0);
	assert_int_equal(ctx_limits_invoice_bytes(f->cl, "Nip", "5265877635",
						  7), 0);

	/* A new cache over the store: what ksefd sees after a restart. */
	assert_int_equal(ctx_limits_new(&again, f->st, &defaults, 0), 0);
	assert_int_equal(ctx_limits_get(again, "Nip", "5265877635", &v, &err),
			 0);
	assert_memory_equal(&v.batch, &ba, sizeof(ba));
	assert_int_equal(v.rate[RATELIMIT_SESSION_LIST].per_second, 1);
	ctx_limits_free(again);

	/* The production switch, then back to the server's profile. */
	assert_int_equal(ctx_limits_set_production(f->cl, "Nip", "5265877635",
						   &err), 0);
	assert_int_equal(ctx_limits_rate(f->cl, "Nip", "5265877635",
					 RATELIMIT_SESSION_LIST, &l), 1);
	assert_int_equal(l.per_second, 5);
	assert_int_equal(ctx_limits_reset_rate(f->cl, "Nip", "5265877635",
					       &err), 0);
	assert_int_equal(ctx_limits_rate(f->cl, "Nip", "5265877635",
					 RATELIMIT_SESSION_LIST, &l), 0);
	assert_int_equal(ctx_limits_get(f->cl, "Nip", "5265877635", &v, &err),
			 0);
	assert_true(v.session_set);
	assert_int_equal(ctx_limits_reset_session(f->cl, "Nip", "5265877635",
						  &err), 0);
	assert_int_equal(ctx_limits_get(f->cl, "Nip", "5265877635", &v, &err),
			 0);
	assert_false(v.session_set);
	assert_memory_equal(&v.online, &defaults, sizeof(defaults));
	/* Another context saw none of it. */
	assert_int_equal(ctx_limits_get(f->cl, "Nip", "7010001454", &v, &err),
			 0);
	assert_int_equal(v.rate_mode, CTX_RATE_DEFAULT);
}

static void the_size_limit_is_capped_at_what_ksefd_can_take(void **state)
{
	struct fixture *f = *state;
	store_session_limits on = { 1, 5, 10 };
	ksef_error err;

	assert_int_equal(ctx_limits_set_session(f->cl, "Nip", "5265877635",
						&on, &on, &err), 0);
	assert_int_equal(ctx_limits_invoice_bytes(f->cl, "Nip", "5265877635",
						  7), KSEF_INVOICE_MAX_BYTES);
	on.max_invoice_mb = 2;
	assert_int_equal(ctx_limits_set_session(f->cl, "Nip", "5265877635",
						&on, &on, &err), 0);
	assert_int_equal(ctx_limits_invoice_bytes(f->cl, "Nip", "5265877635",
						  7), 2000000);
	/* Without a cache, the caller's default. */
	assert_int_equal(ctx_limits_invoice_bytes(NULL, "Nip", "5265877635",
						  7), 7);
}

static void the_cache_holds_at_most_its_bound(void **state)
{
	struct fixture *f = *state;
	store_session_limits on = { 5, 1, 3 };
	ctx_limits *small = NULL;
	ctx_limits_view v;
	char nip[16];
	ksef_error err;
	int i;

	assert_int_equal(ctx_limits_new(&small, f->st, &defaults, 4), 0);
	assert_int_equal(ctx_limits_set_session(small, "Nip", "0000000003",
						&on, &on, &err), 0);
	for (i = 0; i < 50; i++) {
		snprintf(nip, sizeof(nip), "%010d", i);
		assert_int_equal(ctx_limits_get(small, "Nip", nip, &v, &err),
				 0);
		assert_true(ctx_limits_cached(small) <= 4);
		/* Evicted or not, each context reads its own. */
		assert_int_equal(v.online.max_invoices, i == 3 ? 5 : 10000);
	}
	ctx_limits_free(small);
}

static void bad_arguments_are_refused(void **state)
{
	struct fixture *f = *state;
	char long_value[STORE_CTX_VALUE_SZ + 1];
	ratelimit_limits rate[RATELIMIT_GROUP_COUNT], l;
	ctx_limits *cl = NULL;
	ctx_limits_view v;
	ksef_error err;

	memset(long_value, '1', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	assert_int_equal(ctx_limits_new(NULL, f->st, &defaults, 0),
			 KSEF_EINVAL);
	assert_int_equal(ctx_limits_new(&cl, NULL, &defaults, 0), KSEF_EINVAL);
	assert_null(cl);
	assert_int_equal(ctx_limits_new(&cl, f->st, NULL, 0), KSEF_EINVAL);
	/* A context that cannot be a key gets the defaults and an error. */
	assert_int_equal(ctx_limits_get(f->cl, "Nip", long_value, &v, &err),
			 KSEF_EINVAL);
	assert_memory_equal(&v.online, &defaults, sizeof(defaults));
	assert_int_equal(ctx_limits_get(NULL, "Nip", "1", &v, &err),
			 KSEF_EINVAL);
	assert_int_equal(ctx_limits_rate(NULL, "Nip", "1", RATELIMIT_OTHER,
					 &l), 0);
	production(rate);
	rate[RATELIMIT_OTHER].per_second = -1;
	assert_int_equal(ctx_limits_set_rate(f->cl, "Nip", "1", rate, &err),
			 KSEF_EINVAL);
	assert_int_equal(ctx_limits_set_production(f->cl, NULL, "1", &err),
			 KSEF_EINVAL);
	assert_int_equal(ctx_limits_get(f->cl, "Nip", "1", &v, &err), 0);
	assert_int_equal(v.rate_mode, CTX_RATE_DEFAULT);
	assert_int_equal(ctx_limits_cached(NULL), 0);
	ctx_limits_free(NULL);
}

struct race {
	ctx_limits *cl;
	int stop;
};

static void *reader(void *arg)
{
	struct race *r = arg;
	ctx_limits_view v;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
		(void)ctx_limits_get(r->cl, "Nip", "5265877635", &v, NULL);
	return NULL;
}

static void readers_racing_changes_never_keep_an_old_view(void **state)
{
	struct fixture *f = *state;
	store_session_limits on = { 0, 1, 3 };
	struct race r = { f->cl, 0 };
	ctx_limits_view v;
	pthread_t t[2];
	ksef_error err;
	int i;

	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, &r), 0);
	for (i = 1; i <= 40; i++) {
		on.max_invoices = i;
		assert_int_equal(ctx_limits_set_session(f->cl, "Nip",
			"5265877635", &on, &on, &err), 0);
		assert_int_equal(ctx_limits_get(f->cl, "Nip", "5265877635", &v,
						&err), 0);
		assert_int_equal(v.online.max_invoices, i);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(ctx_limits_get(f->cl, "Nip", "5265877635", &v, &err),
			 0);
	assert_int_equal(v.online.max_invoices, 40);
}

/* Two caches over one store: two nodes. A change made through one is
 * seen by the other once it forgets what it cached. */
static void a_change_by_another_node_is_seen_after_forget_all(void **state)
{
	struct fixture *f = *state;
	static const store_session_limits on = { 40, 2, 4 };
	ctx_limits *other = NULL;
	ctx_limits_view v;
	ksef_error err;

	assert_int_equal(ctx_limits_new(&other, f->st, &defaults, 0), 0);
	assert_int_equal(ctx_limits_get(other, "Nip", "5265877635", &v, &err),
			 0);
	assert_false(v.session_set);
	assert_int_equal(ctx_limits_set_session(f->cl, "Nip", "5265877635",
						&on, &on, &err), 0);
	/* Still the cached view: the change went through the first. */
	assert_int_equal(ctx_limits_get(other, "Nip", "5265877635", &v, &err),
			 0);
	assert_false(v.session_set);
	ctx_limits_forget_all(other);
	assert_int_equal(ctx_limits_cached(other), 0);
	assert_int_equal(ctx_limits_get(other, "Nip", "5265877635", &v, &err),
			 0);
	assert_true(v.session_set);
	assert_int_equal(v.online.max_invoices, 40);
	ctx_limits_forget_all(NULL);
	ctx_limits_free(other);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(malformed_rate_texts_read_as_production),
		cmocka_unit_test(
			rate_texts_round_trip_and_tolerate_other_versions),
		T(a_context_that_set_nothing_has_the_defaults),
		T(changes_are_seen_at_once_and_after_a_restart),
		T(the_size_limit_is_capped_at_what_ksefd_can_take),
		T(the_cache_holds_at_most_its_bound),
		T(bad_arguments_are_refused),
		T(readers_racing_changes_never_keep_an_old_view),
		T(a_change_by_another_node_is_seen_after_forget_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
