#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "ksef/error.h"
#include "ratelimit.h"

/* Some instant in 2025; the limiter only ever subtracts times. */
#define T0 INT64_C(1760000000000)

static ratelimit *enabled_limiter(void)
{
	ratelimit *rl = NULL;

	assert_int_equal(ratelimit_new(&rl, 1), 0);
	assert_non_null(rl);
	return rl;
}

/* Make n requests at the given times (all allowed, or the test fails). */
static void allow_n(ratelimit *rl, ratelimit_group g, const char *key,
		    int n, int64_t first, int64_t step)
{
	int i, retry = -1;

	for (i = 0; i < n; i++) {
		assert_int_equal(ratelimit_check(rl, g, key, first + i * step,
						 &retry), 0);
		assert_int_equal(retry, 0);
	}
}

static void the_11th_request_in_a_second_waits_1_s(void **state)
{
	ratelimit *rl = enabled_limiter();
	ratelimit_block b;
	char msg[RATELIMIT_MESSAGE_BUFSZ];
	int retry = 0;

	(void)state;
	allow_n(rl, RATELIMIT_OTHER, "5265877635|192.0.2.1", 10, T0, 1);
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER,
					 "5265877635|192.0.2.1", T0 + 10,
					 &retry), 1);
	assert_int_equal(retry, 1);
	assert_int_equal(ratelimit_check_ex(rl, RATELIMIT_OTHER,
					    "5265877635|192.0.2.1", T0 + 11,
					    &b), 1);
	assert_int_equal(b.retry_after_s, 1);
	assert_int_equal(b.window, RATELIMIT_SECOND);
	assert_int_equal(b.limit, 10);
	assert_true(ratelimit_message(msg, sizeof(msg), &b) > 0);
	assert_string_equal(msg, "Przekroczono limit 10 żądań na sekundę. "
			    "Spróbuj ponownie po 1 sekundzie.");
	ratelimit_free(rl);
}

static void a_request_leaves_the_second_after_1000_ms(void **state)
{
	ratelimit *rl = enabled_limiter();
	int retry = 0;

	(void)state;
	/* Ten in the same millisecond. */
	allow_n(rl, RATELIMIT_OTHER, "ip", 10, T0, 0);
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER, "ip",
					 T0 + 999, &retry), 1);
	assert_int_equal(retry, 1);
	/* The window is (now - 1000, now]: at T0 + 1000 they are out. */
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER, "ip",
					 T0 + 1000, &retry), 0);
	assert_int_equal(retry, 0);
	ratelimit_free(rl);
}

static void the_31st_in_a_minute_waits_for_the_first(void **state)
{
	ratelimit *rl = enabled_limiter();
	ratelimit_block b;
	char msg[RATELIMIT_MESSAGE_BUFSZ];

	(void)state;
	/* onlineSession is 10/30/120: five a second stays under the first
	 * limit and reaches the second after six seconds. */
	allow_n(rl, RATELIMIT_ONLINE_SESSION, "k", 30, T0, 200);
	assert_int_equal(ratelimit_check_ex(rl, RATELIMIT_ONLINE_SESSION, "k",
					    T0 + 6000, &b), 1);
	assert_int_equal(b.window, RATELIMIT_MINUTE);
	assert_int_equal(b.limit, 30);
	assert_int_equal(b.retry_after_s, 54);
	assert_true(ratelimit_message(msg, sizeof(msg), &b) > 0);
	assert_string_equal(msg, "Przekroczono limit 30 żądań na minutę. "
			    "Spróbuj ponownie po 54 sekundach.");
	/* One millisecond before the first leaves: still full, 1 s. */
	assert_int_equal(ratelimit_check_ex(rl, RATELIMIT_ONLINE_SESSION, "k",
					    T0 + 59999, &b), 1);
	assert_int_equal(b.retry_after_s, 1);
	assert_int_equal(ratelimit_check_ex(rl, RATELIMIT_ONLINE_SESSION, "k",
					    T0 + 60000, &b), 0);
	assert_int_equal(b.retry_after_s, 0);
	/* The second (T0 + 200) is now the oldest in the window. */
	assert_int_equal(ratelimit_check_ex(rl, RATELIMIT_ONLINE_SESSION, "k",
					    T0 + 60001, &b), 1);
	assert_int_equal(b.retry_after_s, 1);
	ratelimit_free(rl);
}

static void the_hourly_limit_counts_the_whole_hour(void **state)
{
	ratelimit *rl = enabled_limiter();
	ratelimit_block b;

	(void)state;
	/* invoiceDownload is 8/16/64: one every 4 s is 15 a minute. */
	allow_n(rl, RATELIMIT_INVOICE_DOWNLOAD, "k", 64, T0, 4000);
	assert_int_equal(ratelimit_check_ex(rl, RATELIMIT_INVOICE_DOWNLOAD,
					    "k", T0 + 64 * 4000, &b), 1);
	assert_int_equal(b.window, RATELIMIT_HOUR);
	assert_int_equal(b.limit, 64);
	assert_int_equal(b.retry_after_s, 3600 - 256);
	assert_int_equal(ratelimit_check_ex(rl, RATELIMIT_INVOICE_DOWNLOAD,
					    "k", T0 + 3600000, &b), 0);
	ratelimit_free(rl);
}

static void of_several_full_windows_the_longest_wins(void **state)
{
	ratelimit *rl = enabled_limiter();
	ratelimit_block b;

	(void)state;
	/* sessionList is 5/10/60: five now, five a second later. */
	allow_n(rl, RATELIMIT_SESSION_LIST, "k", 5, T0, 1);
	allow_n(rl, RATELIMIT_SESSION_LIST, "k", 5, T0 + 1000, 1);
	/* Both the second (until T0 + 2000) and the minute (until T0 +
	 * 60000) are full: the minute decides. */
	assert_int_equal(ratelimit_check_ex(rl, RATELIMIT_SESSION_LIST, "k",
					    T0 + 1005, &b), 1);
	assert_int_equal(b.window, RATELIMIT_MINUTE);
	assert_int_equal(b.limit, 10);
	assert_int_equal(b.retry_after_s, 59);
	ratelimit_free(rl);
}

static void refused_requests_are_not_counted(void **state)
{
	ratelimit *rl = enabled_limiter();
	int i, retry;

	(void)state;
	allow_n(rl, RATELIMIT_OTHER, "k", 10, T0, 0);
	for (i = 1; i < 1000; i++)
		assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER, "k",
						 T0 + i, &retry), 1);
	/* Hammering did not extend the block: the Retry-After held. */
	allow_n(rl, RATELIMIT_OTHER, "k", 10, T0 + 1000, 0);
	ratelimit_free(rl);
}

static void keys_and_groups_are_counted_apart(void **state)
{
	ratelimit *rl = enabled_limiter();
	int retry;

	(void)state;
	allow_n(rl, RATELIMIT_OTHER, "5265877635|192.0.2.1", 10, T0, 0);
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER,
					 "5265877635|192.0.2.1", T0, &retry),
			 1);
	/* Another IP, another context, another group: fresh counters. */
	allow_n(rl, RATELIMIT_OTHER, "5265877635|192.0.2.2", 10, T0, 0);
	allow_n(rl, RATELIMIT_OTHER, "7010002101|192.0.2.1", 10, T0, 0);
	allow_n(rl, RATELIMIT_INVOICE_SEND, "5265877635|192.0.2.1", 10, T0,
		0);
	allow_n(rl, RATELIMIT_ONLINE_SESSION, "5265877635|192.0.2.1", 10, T0,
		0);
	/* A key that is a prefix of another is a different key. */
	allow_n(rl, RATELIMIT_OTHER, "5265877635|192.0.2.", 10, T0, 0);
	assert_int_equal(ratelimit_key_count(rl), 6);
	ratelimit_free(rl);
}

static void a_disabled_limiter_allows_all_counts_none(void **state)
{
	ratelimit *rl = NULL;
	int i, retry = -1;

	(void)state;
	assert_int_equal(ratelimit_new(&rl, 0), 0);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(ratelimit_check(rl, RATELIMIT_SESSION_LIST,
						 "k", T0, &retry), 0);
		assert_int_equal(retry, 0);
	}
	assert_int_equal(ratelimit_key_count(rl), 0);
	/* Switched on, it counts from then. */
	ratelimit_set_enabled(rl, 1);
	allow_n(rl, RATELIMIT_SESSION_LIST, "k", 5, T0, 0);
	assert_int_equal(ratelimit_check(rl, RATELIMIT_SESSION_LIST, "k", T0,
					 &retry), 1);
	ratelimit_set_enabled(rl, 0);
	assert_int_equal(ratelimit_check(rl, RATELIMIT_SESSION_LIST, "k", T0,
					 &retry), 0);
	ratelimit_free(rl);
}

static void unauthenticated_is_60_a_second_only(void **state)
{
	ratelimit *rl = enabled_limiter();
	int s, retry;

	(void)state;
	/* No minute or hour limit: two minutes at the full rate. */
	for (s = 0; s < 120; s++)
		allow_n(rl, RATELIMIT_UNAUTHENTICATED, "198.51.100.7", 60,
			T0 + s * 1000, 1);
	assert_int_equal(ratelimit_check(rl, RATELIMIT_UNAUTHENTICATED,
					 "198.51.100.7", T0 + 119 * 1000 + 60,
					 &retry), 1);
	assert_int_equal(retry, 1);
	ratelimit_free(rl);
}

static void the_number_of_keys_stays_within_its_bound(void **state)
{
	ratelimit *rl = enabled_limiter();
	char key[64];
	int i, retry;

	(void)state;
	ratelimit_set_max_keys(rl, 100);
	allow_n(rl, RATELIMIT_OTHER, "first", 10, T0, 0);
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "ctx|10.0.%d.%d", i / 256, i % 256);
		assert_int_equal(ratelimit_check(rl, RATELIMIT_SESSION_MISC,
						 key, T0 + i, &retry), 0);
		assert_true(ratelimit_key_count(rl) <= 100);
	}
	assert_int_equal(ratelimit_key_count(rl), 100);
	/* The least recently used key went first, and its count with it. */
	allow_n(rl, RATELIMIT_OTHER, "first", 10, T0 + 10000, 0);
	/* A recent key kept its history. */
	allow_n(rl, RATELIMIT_SESSION_MISC, "ctx|10.0.39.15", 9, T0 + 10000,
		0);
	assert_int_equal(ratelimit_check(rl, RATELIMIT_SESSION_MISC,
					 "ctx|10.0.39.15", T0 + 10000, &retry),
			 1);
	ratelimit_free(rl);
}

static void keys_idle_for_an_hour_are_dropped(void **state)
{
	ratelimit *rl = enabled_limiter();
	char key[32];
	int i, retry;

	(void)state;
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "ip%d", i);
		allow_n(rl, RATELIMIT_INVOICE_STATUS, key, 3, T0 + i, 0);
	}
	assert_int_equal(ratelimit_key_count(rl), 50);
	/* Not yet an hour for any of them. */
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER, "late",
					 T0 + 3600000 - 1, &retry), 0);
	assert_int_equal(ratelimit_key_count(rl), 51);
	/* An hour after the first 26: those go, the rest stay. */
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER, "late",
					 T0 + 3600000 + 25, &retry), 0);
	assert_int_equal(ratelimit_key_count(rl), 25);
	ratelimit_free(rl);
}

static void a_clock_stepping_back_does_not_reopen_the_windows(void **state)
{
	ratelimit *rl = enabled_limiter();
	int retry;

	(void)state;
	allow_n(rl, RATELIMIT_OTHER, "k", 10, T0 + 5000, 0);
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER, "k", T0,
					 &retry), 1);
	assert_int_equal(retry, 1);
	ratelimit_free(rl);
}

static void changed_limits_apply_at_once_and_can_be_reset(void **state)
{
	ratelimit *rl = enabled_limiter();
	ratelimit_limits l = { 2, 0, 0 }, got;
	ratelimit_limits bad[] = { { -1, 0, 0 }, { 0, -1, 0 },
				   { 0, 0, RATELIMIT_LIMIT_MAX + 1 } };
	int retry;
	size_t i;

	(void)state;
	allow_n(rl, RATELIMIT_OTHER, "k", 5, T0, 0);
	assert_int_equal(ratelimit_set_limits(rl, RATELIMIT_OTHER, &l), 0);
	ratelimit_get_limits(rl, RATELIMIT_OTHER, &got);
	assert_memory_equal(&got, &l, sizeof(l));
	/* The five made under the old limits are forgotten. */
	allow_n(rl, RATELIMIT_OTHER, "k", 2, T0, 0);
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER, "k", T0,
					 &retry), 1);
	/* All zeros: not limited at all. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(ratelimit_set_limits(rl, RATELIMIT_OTHER, &l), 0);
	allow_n(rl, RATELIMIT_OTHER, "k", 1000, T0, 0);

	ratelimit_reset_limits(rl);
	ratelimit_get_limits(rl, RATELIMIT_OTHER, &got);
	assert_int_equal(got.per_second, 10);
	assert_int_equal(got.per_minute, 30);
	assert_int_equal(got.per_hour, 120);
	allow_n(rl, RATELIMIT_OTHER, "k", 10, T0, 0);
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER, "k", T0,
					 &retry), 1);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ratelimit_set_limits(rl, RATELIMIT_OTHER,
						      &bad[i]), KSEF_EINVAL);
	assert_int_equal(ratelimit_set_limits(rl, RATELIMIT_GROUP_COUNT, &l),
			 KSEF_EINVAL);
	assert_int_equal(ratelimit_set_limits(rl, RATELIMIT_OTHER, NULL),
			 KSEF_EINVAL);
	ratelimit_free(rl);
}

static void production_limits_match_the_spec_table(void **state)
{
	static const struct {
		ratelimit_group g;
		const char *name;
		int s, m, h;
	} want[] = {
		{ RATELIMIT_UNAUTHENTICATED, "unauthenticated", 60, 0, 0 },
		{ RATELIMIT_ONLINE_SESSION, "onlineSession", 10, 30, 120 },
		{ RATELIMIT_BATCH_SESSION, "batchSession", 10, 20, 60 },
		{ RATELIMIT_INVOICE_SEND, "invoiceSend", 10, 30, 180 },
		{ RATELIMIT_INVOICE_STATUS, "invoiceStatus", 30, 120, 1200 },
		{ RATELIMIT_SESSION_LIST, "sessionList", 5, 10, 60 },
		{ RATELIMIT_SESSION_INVOICE_LIST, "sessionInvoiceList", 10, 20,
		  200 },
		{ RATELIMIT_SESSION_MISC, "sessionMisc", 10, 120, 1200 },
		{ RATELIMIT_INVOICE_METADATA, "invoiceMetadata", 8, 16, 20 },
		{ RATELIMIT_INVOICE_EXPORT, "invoiceExport", 8, 16, 20 },
		{ RATELIMIT_INVOICE_EXPORT_STATUS, "invoiceExportStatus", 10,
		  60, 600 },
		{ RATELIMIT_INVOICE_DOWNLOAD, "invoiceDownload", 8, 16, 64 },
		{ RATELIMIT_OTHER, "other", 10, 30, 120 },
	};
	ratelimit_limits l;
	size_t i;

	(void)state;
	assert_int_equal(sizeof(want) / sizeof(want[0]),
			 RATELIMIT_GROUP_COUNT);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(ratelimit_group_name(want[i].g),
				    want[i].name);
		ratelimit_default_limits(want[i].g, &l);
		assert_int_equal(l.per_second, want[i].s);
		assert_int_equal(l.per_minute, want[i].m);
		assert_int_equal(l.per_hour, want[i].h);
	}
	assert_null(ratelimit_group_name(RATELIMIT_GROUP_COUNT));
	assert_null(ratelimit_group_name((ratelimit_group)-1));
	ratelimit_default_limits(RATELIMIT_GROUP_COUNT, &l);
	assert_int_equal(l.per_second + l.per_minute + l.per_hour, 0);
}

static void messages_use_the_right_polish_forms(void **state)
{
	static const struct {
		ratelimit_window w;
		int limit, retry;
		const char *text;
	} cases[] = {
		{ RATELIMIT_MINUTE, 20, 30, "Przekroczono limit 20 żądań na "
		  "minutę. Spróbuj ponownie po 30 sekundach." },
		{ RATELIMIT_HOUR, 1, 1, "Przekroczono limit 1 żądania na "
		  "godzinę. Spróbuj ponownie po 1 sekundzie." },
		{ RATELIMIT_SECOND, 60, 2, "Przekroczono limit 60 żądań na "
		  "sekundę. Spróbuj ponownie po 2 sekundach." },
	};
	ratelimit_block b;
	char msg[RATELIMIT_MESSAGE_BUFSZ], tiny[12];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b.window = cases[i].w;
		b.limit = cases[i].limit;
		b.retry_after_s = cases[i].retry;
		assert_int_equal(ratelimit_message(msg, sizeof(msg), &b),
				 (int)strlen(cases[i].text));
		assert_string_equal(msg, cases[i].text);
	}
	/* Cut short, but always terminated. */
	assert_true(ratelimit_message(tiny, sizeof(tiny), &b) >
		    (int)sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	b.window = RATELIMIT_WINDOW_COUNT;
	assert_int_equal(ratelimit_message(msg, sizeof(msg), &b), -1);
	assert_int_equal(ratelimit_message(msg, sizeof(msg), NULL), -1);
}

static void bad_arguments_are_refused_without_counting(void **state)
{
	ratelimit *rl = enabled_limiter();
	char long_key[RATELIMIT_KEY_MAX + 2];
	int retry = -1;

	(void)state;
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER, long_key, T0,
					 &retry), KSEF_EINVAL);
	assert_int_equal(retry, 0);
	/* At the limit exactly it is a key like any other. */
	long_key[RATELIMIT_KEY_MAX] = '\0';
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER, long_key, T0,
					 &retry), 0);
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER, NULL, T0,
					 &retry), KSEF_EINVAL);
	assert_int_equal(ratelimit_check(rl, RATELIMIT_GROUP_COUNT, "k", T0,
					 &retry), KSEF_EINVAL);
	assert_int_equal(ratelimit_check(rl, (ratelimit_group)-1, "k", T0,
					 &retry), KSEF_EINVAL);
	assert_int_equal(ratelimit_check(NULL, RATELIMIT_OTHER, "k", T0,
					 &retry), KSEF_EINVAL);
	assert_int_equal(ratelimit_new(NULL, 1), KSEF_EINVAL);
	assert_int_equal(ratelimit_key_count(rl), 1);
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

/* limity-api.md: "Wielokrotne przekroczenia mogą skutkować znacznym
 * wydłużeniem blokady". A key allowed one a second that comes back as its
 * block ends and at once asks twice: each block doubles, up to an hour. */
static void repeated_violations_double_the_block_up_to_an_hour(void **state)
{
	static const int retry[] = { 1, 2, 4, 8, 15, 29, 58, 116, 231, 461,
				     922, 1844, 3600 };
	ratelimit *rl = enabled_limiter();
	ratelimit_limits one = { 1, 0, 0 };
	ratelimit_block b;
	int64_t t = T0, block;
	int n, want;

	(void)state;
	for (n = 1; n <= 20; n++) {
		want = n <= 13 ? retry[n - 1] : 3600;
		assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k",
						      &one, t, &b), 0);
		/* 900 ms before the second frees up: the natural wait. */
		assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k",
						      &one, t + 100, &b), 1);
		assert_int_equal(b.retry_after_s, want);
		assert_int_equal(b.strikes, n < RATELIMIT_STRIKES_MAX ? n :
				 RATELIMIT_STRIKES_MAX);
		assert_int_equal(b.window, RATELIMIT_SECOND);
		assert_int_equal(b.limit, 1);
		block = n <= 12 ? (int64_t)900 << (n - 1) :
			RATELIMIT_BLOCK_MAX_MS;
		/* Asking during the block is no strike: only the time left. */
		assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k",
			&one, t + 100 + block - 1, &b), 1);
		assert_int_equal(b.retry_after_s, 1);
		assert_int_equal(b.strikes, n < RATELIMIT_STRIKES_MAX ? n :
				 RATELIMIT_STRIKES_MAX);
		t += 100 + block;
	}
	ratelimit_free(rl);
}

static void strikes_are_forgotten_an_hour_after_the_last_block(void **state)
{
	ratelimit *rl = enabled_limiter();
	ratelimit_limits one = { 1, 0, 0 };
	ratelimit_block b;
	int64_t t;

	(void)state;
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      T0, &b), 0);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      T0 + 100, &b), 1);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      T0 + 1000, &b), 0);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      T0 + 1100, &b), 1);
	assert_int_equal(b.strikes, 2);
	assert_int_equal(b.retry_after_s, 2);
	/* The block ends at T0 + 2900; a violation a millisecond short of
	 * an hour later is still the third. */
	t = T0 + 2900 + RATELIMIT_STRIKE_MEMORY_MS - 101;
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      t, &b), 0);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      t + 100, &b), 1);
	assert_int_equal(b.strikes, 3);
	assert_int_equal(b.retry_after_s, 4);
	/* After an hour of keeping to the limits, a first strike again. */
	t += 100 + 3600 + RATELIMIT_STRIKE_MEMORY_MS;
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      t, &b), 0);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      t + 100, &b), 1);
	assert_int_equal(b.strikes, 1);
	assert_int_equal(b.retry_after_s, 1);
	ratelimit_free(rl);
}

static void an_idle_key_is_kept_while_its_strikes_count(void **state)
{
	ratelimit *rl = enabled_limiter();
	ratelimit_limits one = { 1, 0, 0 };
	ratelimit_block b;
	int retry;

	(void)state;
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      T0, &b), 0);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      T0 + 100, &b), 1);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      T0 + 1000, &b), 0);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      T0 + 1100, &b), 1);
	/* Idle for an hour, but its block ended at T0 + 2900: kept. */
	assert_int_equal(ratelimit_check(rl, RATELIMIT_SESSION_LIST, "late",
					 T0 + 1100 + 3600000, &retry), 0);
	assert_int_equal(ratelimit_key_count(rl), 2);
	/* An hour after its block: nothing of it counts, and it goes. */
	assert_int_equal(ratelimit_check(rl, RATELIMIT_SESSION_LIST, "late",
					 T0 + 2900 + 3600000, &retry), 0);
	assert_int_equal(ratelimit_key_count(rl), 1);
	ratelimit_free(rl);
}

static void a_contexts_own_limits_apply_while_the_limiter_is_off(void **state)
{
	ratelimit *rl = NULL;
	ratelimit_limits two = { 2, 0, 0 }, none = { 0, 0, 0 },
			 bad = { 0, -1, 0 };
	ratelimit_block b;
	int i, retry;

	(void)state;
	assert_int_equal(ratelimit_new(&rl, 0), 0);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_SESSION_LIST,
					      "ctx|ip", &two, T0, &b), 0);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_SESSION_LIST,
					      "ctx|ip", &two, T0, &b), 0);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_SESSION_LIST,
					      "ctx|ip", &two, T0, &b), 1);
	assert_int_equal(b.limit, 2);
	assert_int_equal(b.retry_after_s, 1);
	/* The default profile is off: other contexts are not limited. */
	for (i = 0; i < 100; i++)
		assert_int_equal(ratelimit_check(rl, RATELIMIT_SESSION_LIST,
						 "other|ip", T0, &retry), 0);
	/* All zeros: the context is not limited either. */
	for (i = 0; i < 100; i++)
		assert_int_equal(ratelimit_check_with(rl,
			RATELIMIT_SESSION_LIST, "ctx2|ip", &none, T0, &b), 0);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_SESSION_LIST,
					      "ctx|ip", &bad, T0, &b),
			 KSEF_EINVAL);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_SESSION_LIST,
					      "ctx|ip", NULL, T0, &b),
			 KSEF_EINVAL);
	assert_int_equal(b.retry_after_s, 0);
	assert_int_equal(ratelimit_key_count(rl), 1);
	ratelimit_free(rl);
}

static void new_limits_lift_a_block_and_its_strikes(void **state)
{
	ratelimit *rl = enabled_limiter();
	ratelimit_limits one = { 1, 0, 0 }, two = { 2, 0, 0 },
			 wide = { 20, 0, 0 };
	ratelimit_block b;
	int retry;

	(void)state;
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      T0, &b), 0);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &one,
					      T0 + 100, &b), 1);
	/* The context's limits change: history, block and strike go. */
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &two,
					      T0 + 200, &b), 0);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &two,
					      T0 + 300, &b), 0);
	assert_int_equal(ratelimit_check_with(rl, RATELIMIT_OTHER, "k", &two,
					      T0 + 400, &b), 1);
	assert_int_equal(b.strikes, 1);
	/* Back to the default profile: the same. */
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER, "k", T0 + 500,
					 &retry), 0);
	/* And a change of the profile lifts its blocks. */
	allow_n(rl, RATELIMIT_OTHER, "p", 10, T0, 0);
	assert_int_equal(ratelimit_check(rl, RATELIMIT_OTHER, "p", T0, &retry),
			 1);
	assert_int_equal(ratelimit_set_limits(rl, RATELIMIT_OTHER, &wide), 0);
	allow_n(rl, RATELIMIT_OTHER, "p", 20, T0 + 1, 0);
	ratelimit_free(rl);
}

struct hammer {
	ratelimit *rl;
	int allowed;
};

static void *hammer(void *arg)
{
	struct hammer *h = arg;
	int i, retry;

	for (i = 0; i < 2000; i++)
		if (ratelimit_check(h->rl, RATELIMIT_OTHER, "shared", T0,
				    &retry) == 0)
			h->allowed++;
	return NULL;
}

static void concurrent_checks_let_exactly_the_limit_in(void **state)
{
	ratelimit *rl = enabled_limiter();
	ratelimit_limits l = { 0, 0, 3000 };
	struct hammer h[4];
	pthread_t t[4];
	int i, total = 0;

	(void)state;
	assert_int_equal(ratelimit_set_limits(rl, RATELIMIT_OTHER, &l), 0);
	for (i = 0; i < 4; i++) {
		h[i].rl = rl;
		h[i].allowed = 0;
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &h[i]),
				 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		total += h[i].allowed;
	}
	assert_int_equal(total, 3000);
	ratelimit_free(rl);
}

/* Three nodes share the limits: each lets through its third of every
 * window, rounded up, so that three together let through 10 + 2 at most
 * of "other"'s 10 a second, and the 429 names the whole limit. */
static void nodes_share_each_limit_rounded_up(void **state)
{
	ratelimit *n[3];
	ratelimit_block b;
	int i, allowed = 0, r;

	(void)state;
	for (i = 0; i < 3; i++) {
		n[i] = enabled_limiter();
		assert_int_equal(ratelimit_nodes(n[i]), 1);
		ratelimit_set_nodes(n[i], 3);
		assert_int_equal(ratelimit_nodes(n[i]), 3);
	}
	/* A balancer's round robin: 30 requests in one millisecond. */
	for (i = 0; i < 30; i++) {
		r = ratelimit_check_ex(n[i % 3], RATELIMIT_OTHER, "k", T0, &b);
		assert_true(r == 0 || r == 1);
		allowed += r == 0;
		if (r == 1) {
			assert_int_equal(b.limit, 10);
			assert_int_equal(b.window, RATELIMIT_SECOND);
		}
	}
	assert_int_equal(allowed, 12);
	/* All to one node: its share only. */
	allow_n(n[0], RATELIMIT_OTHER, "solo", 4, T0, 0);
	assert_int_equal(ratelimit_check(n[0], RATELIMIT_OTHER, "solo", T0,
					 NULL), 1);
	/* A node that is alone again takes the whole limit, and the key's
	 * history counts: 4 made, 6 more. */
	ratelimit_set_nodes(n[1], 0);
	assert_int_equal(ratelimit_nodes(n[1]), 1);
	allow_n(n[1], RATELIMIT_OTHER, "two", 4, T0, 0);
	ratelimit_set_nodes(n[1], 1);
	allow_n(n[1], RATELIMIT_OTHER, "two", 6, T0, 0);
	assert_int_equal(ratelimit_check(n[1], RATELIMIT_OTHER, "two", T0,
					 NULL), 1);
	/* A context's own limits are shared the same way. */
	{
		ratelimit_limits own = { 1, 0, 0 };

		assert_int_equal(ratelimit_check_with(n[2], RATELIMIT_OTHER,
						      "own", &own, T0, NULL),
				 0);
		assert_int_equal(ratelimit_check_with(n[2], RATELIMIT_OTHER,
						      "own", &own, T0, NULL),
				 1);
	}
	for (i = 0; i < 3; i++)
		ratelimit_free(n[i]);
	assert_int_equal(ratelimit_nodes(NULL), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_arguments_are_refused_without_counting),
		cmocka_unit_test(the_11th_request_in_a_second_waits_1_s),
		cmocka_unit_test(a_request_leaves_the_second_after_1000_ms),
		cmocka_unit_test(the_31st_in_a_minute_waits_for_the_first),
		cmocka_unit_test(the_hourly_limit_counts_the_whole_hour),
		cmocka_unit_test(of_several_full_windows_the_longest_wins),
		cmocka_unit_test(refused_requests_are_not_counted),
		cmocka_unit_test(keys_and_groups_are_counted_apart),
		cmocka_unit_test(a_disabled_limiter_allows_all_counts_none),
		cmocka_unit_test(unauthenticated_is_60_a_second_only),
		cmocka_unit_test(the_number_of_keys_stays_within_its_bound),
		cmocka_unit_test(keys_idle_for_an_hour_are_dropped),
		cmocka_unit_test(
			a_clock_stepping_back_does_not_reopen_the_windows),
		cmocka_unit_test(changed_limits_apply_at_once_and_can_be_reset),
		cmocka_unit_test(production_limits_match_the_spec_table),
		cmocka_unit_test(messages_use_the_right_polish_forms),
		cmocka_unit_test(concurrent_checks_let_exactly_the_limit_in),
		cmocka_unit_test(
			repeated_violations_double_the_block_up_to_an_hour),
		cmocka_unit_test(
			strikes_are_forgotten_an_hour_after_the_last_block),
		cmocka_unit_test(an_idle_key_is_kept_while_its_strikes_count),
		cmocka_unit_test(
			a_contexts_own_limits_apply_while_the_limiter_is_off),
		cmocka_unit_test(new_limits_lift_a_block_and_its_strikes),
		cmocka_unit_test(nodes_share_each_limit_rounded_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
