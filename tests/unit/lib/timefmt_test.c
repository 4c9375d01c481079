#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include <openssl/rand.h>
#include "ksef/number.h"
#include "ident.h"

/* Instants worked out with Python's datetime. */
#define T_2025_07_11_122356_015Z INT64_C(1752236636015)
#define T_2025_09_16_090540_841Z INT64_C(1758013540841)
#define T_0001_01_01Z INT64_C(-62135596800000)
#define T_9999_12_31_235959_999Z INT64_C(253402300799999)

static int parse(ksef_time *t, const char *s)
{
	return ksef_time_parse(t, s, strlen(s), NULL);
}

static void parse_refuses_malformed_timestamps(void **state)
{
	static const char *const bad[] = {
		"",
		"2",
		"2025-09-16",
		"2025-09-16T11:05:40",          /* no offset */
		"2025-09-16T11:05:40.841",      /* no offset */
		"2025-09-16t11:05:40Z",         /* lower-case t */
		"2025-09-16T11:05:40z",         /* lower-case z */
		"2025-09-16 11:05:40Z",
		"2025-09-16T11:05:40.Z",        /* a dot, no digits */
		"2025-09-16T11:05:40.01543021Z", /* 8 fraction digits */
		"2025-09-16T11:05:40,841Z",
		"2025-09-16T11:05:40+02",
		"2025-09-16T11:05:40+0200",
		"2025-09-16T11:05:40+2:00",
		"2025-09-16T11:05:40+02:0",
		"2025-09-16T11:05:40+24:00",
		"2025-09-16T11:05:40+02:60",
		"2025-09-16T11:05:40+02:00 ",   /* trailing space */
		"2025-09-16T11:05:40ZZ",
		"2025-09-16T11:05:40Z+02:00",
		" 2025-09-16T11:05:40Z",
		"2025-09-16T24:00:00Z",
		"2025-09-16T11:60:00Z",
		"2025-12-31T23:59:60Z",         /* leap second */
		"2025-02-29T00:00:00Z",
		"2024-02-30T00:00:00Z",
		"2025-13-01T00:00:00Z",
		"0000-01-01T00:00:00Z",
		"+2025-09-16T11:05:40Z",
		"2025-9-16T11:05:40Z",
		"2025-09-16T1:05:40Z",
		"2025-09-16T11:05:4Z",
		"-025-09-16T11:05:40Z",
		"2025-09-16T11:05:40.-1Z",
	};
	ksef_time t = { 77, 5 };
	ksef_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ksef_time_parse(&t, bad[i], strlen(bad[i]), &err) !=
		    KSEF_EFORMAT)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(err.code, KSEF_EFORMAT);
	}
	/* A failure leaves the output alone. */
	assert_true(t.unix_ms == 77);
	assert_int_equal(t.offset_minutes, 5);
	/* The length bounds the reading: a NUL inside does not end it. */
	assert_int_equal(ksef_time_parse(&t, "2025-09-16T11:05:40Z\0", 21,
					 NULL), KSEF_EFORMAT);
	assert_int_equal(ksef_time_parse(&t, "2025-09-16T11:05:40Zjunk", 20,
					 NULL), 0);
	assert_int_equal(ksef_time_parse(&t, NULL, 0, NULL), KSEF_EFORMAT);
	assert_int_equal(ksef_time_parse(&t, NULL, 20, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_time_parse(NULL, "2025-09-16T11:05:40Z", 20,
					 NULL), KSEF_EINVAL);
}

static void parse_reads_the_api_and_upo_examples(void **state)
{
	ksef_time t;

	(void)state;
	/* SPEC 1.2: seven fraction digits, truncated to milliseconds. */
	assert_int_equal(parse(&t, "2025-07-11T12:23:56.0154302+00:00"), 0);
	assert_true(t.unix_ms == T_2025_07_11_122356_015Z);
	assert_int_equal(t.offset_minutes, 0);
	/* A UPO's local time with milliseconds. */
	assert_int_equal(parse(&t, "2025-09-16T11:05:40.841+02:00"), 0);
	assert_true(t.unix_ms == T_2025_09_16_090540_841Z);
	assert_int_equal(t.offset_minutes, 120);
	/* The same instant, other spellings. */
	assert_int_equal(parse(&t, "2025-09-16T09:05:40.841Z"), 0);
	assert_true(t.unix_ms == T_2025_09_16_090540_841Z);
	assert_int_equal(parse(&t, "2025-09-16T09:05:40.841-00:00"), 0);
	assert_true(t.unix_ms == T_2025_09_16_090540_841Z);
	assert_int_equal(t.offset_minutes, 0);
	assert_int_equal(parse(&t, "2025-09-16T03:35:40.8419999-05:30"), 0);
	assert_true(t.unix_ms == T_2025_09_16_090540_841Z);
	assert_int_equal(t.offset_minutes, -330);
	/* Each count of fraction digits from 0 to 7. */
	assert_int_equal(parse(&t, "2025-07-11T12:23:56Z"), 0);
	assert_true(t.unix_ms == T_2025_07_11_122356_015Z - 15);
	assert_int_equal(parse(&t, "2025-07-11T12:23:56.5Z"), 0);
	assert_true(t.unix_ms == T_2025_07_11_122356_015Z - 15 + 500);
	assert_int_equal(parse(&t, "2025-07-11T12:23:56.05Z"), 0);
	assert_true(t.unix_ms == T_2025_07_11_122356_015Z - 15 + 50);
	assert_int_equal(parse(&t, "2025-07-11T12:23:56.015Z"), 0);
	assert_true(t.unix_ms == T_2025_07_11_122356_015Z);
	assert_int_equal(parse(&t, "2025-07-11T12:23:56.0159Z"), 0);
	assert_true(t.unix_ms == T_2025_07_11_122356_015Z);
	assert_int_equal(parse(&t, "2025-07-11T12:23:56.01599Z"), 0);
	assert_int_equal(parse(&t, "2025-07-11T12:23:56.015999Z"), 0);
	assert_int_equal(parse(&t, "2025-07-11T12:23:56.9999999Z"), 0);
	assert_true(t.unix_ms == T_2025_07_11_122356_015Z - 15 + 999);
	/* The extremes of the range, and of the offsets. */
	assert_int_equal(parse(&t, "0001-01-01T00:00:00Z"), 0);
	assert_true(t.unix_ms == T_0001_01_01Z);
	assert_int_equal(parse(&t, "9999-12-31T23:59:59.999Z"), 0);
	assert_true(t.unix_ms == T_9999_12_31_235959_999Z);
	assert_int_equal(parse(&t, "2025-01-01T00:00:00+23:59"), 0);
	assert_int_equal(t.offset_minutes, 23 * 60 + 59);
	assert_int_equal(parse(&t, "2024-02-29T00:00:00-23:59"), 0);
	assert_int_equal(t.offset_minutes, -(23 * 60 + 59));
	assert_int_equal(parse(&t, "1969-12-31T23:59:59.999Z"), 0);
	assert_true(t.unix_ms == -1);
}

static void format_writes_milliseconds_and_offset(void **state)
{
	char out[KSEF_TIME_BUFSZ];
	ksef_time t = { T_2025_09_16_090540_841Z, 120 };

	(void)state;
	assert_int_equal(ksef_time_format(out, t, NULL), 0);
	assert_string_equal(out, "2025-09-16T11:05:40.841+02:00");
	t.offset_minutes = 0;
	assert_int_equal(ksef_time_format(out, t, NULL), 0);
	assert_string_equal(out, "2025-09-16T09:05:40.841+00:00");
	assert_int_equal(ksef_time_format_ext(out, t, KSEF_TIME_FMT_Z, NULL),
			 0);
	assert_string_equal(out, "2025-09-16T09:05:40.841Z");
	assert_int_equal(ksef_time_format_ext(out, t,
		KSEF_TIME_FMT_Z | KSEF_TIME_FMT_SECONDS, NULL), 0);
	assert_string_equal(out, "2025-09-16T09:05:40Z");
	t.offset_minutes = -330;
	assert_int_equal(ksef_time_format_ext(out, t, KSEF_TIME_FMT_SECONDS,
					      NULL), 0);
	assert_string_equal(out, "2025-09-16T03:35:40-05:30");
	/* Before the epoch, division must round down, not toward 0. */
	t.unix_ms = -1;
	t.offset_minutes = 0;
	assert_int_equal(ksef_time_format(out, t, NULL), 0);
	assert_string_equal(out, "1969-12-31T23:59:59.999+00:00");
	/* The longest text fills the buffer exactly. */
	t.unix_ms = T_9999_12_31_235959_999Z;
	t.offset_minutes = -1;
	assert_int_equal(ksef_time_format(out, t, NULL), 0);
	assert_string_equal(out, "9999-12-31T23:58:59.999-00:01");
	assert_int_equal(strlen(out), KSEF_TIME_BUFSZ - 1);
	t.unix_ms = T_0001_01_01Z;
	t.offset_minutes = 0;
	assert_int_equal(ksef_time_format(out, t, NULL), 0);
	assert_string_equal(out, "0001-01-01T00:00:00.000+00:00");
}

static void format_refuses_what_it_cannot_write(void **state)
{
	char out[KSEF_TIME_BUFSZ] = "untouched";
	ksef_time t = { T_9999_12_31_235959_999Z, 1 };
	ksef_error err;

	(void)state;
	/* Local year 10000. */
	assert_int_equal(ksef_time_format(out, t, &err), KSEF_EINVAL);
	t.unix_ms = T_0001_01_01Z;
	t.offset_minutes = -1;
	assert_int_equal(ksef_time_format(out, t, NULL), KSEF_EINVAL);
	t.offset_minutes = 24 * 60;
	assert_int_equal(ksef_time_format(out, t, NULL), KSEF_EINVAL);
	t.offset_minutes = -24 * 60;
	assert_int_equal(ksef_time_format(out, t, NULL), KSEF_EINVAL);
	t.unix_ms = INT64_MAX;
	t.offset_minutes = 60;
	assert_int_equal(ksef_time_format(out, t, NULL), KSEF_EINVAL);
	t.unix_ms = INT64_MIN;
	t.offset_minutes = -60;
	assert_int_equal(ksef_time_format(out, t, NULL), KSEF_EINVAL);
	t.offset_minutes = 0;
	assert_int_equal(ksef_time_format(out, t, NULL), KSEF_EINVAL);
	t.unix_ms = 0;
	assert_int_equal(ksef_time_format_ext(out, t, 0x100, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_time_format(NULL, t, NULL), KSEF_EINVAL);
	assert_string_equal(out, "untouched");
}

static void format_and_parse_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		unsigned char r[12];
		uint64_t u = 0;
		uint32_t o = 0;
		ksef_time t, back;
		char out[KSEF_TIME_BUFSZ];
		const uint64_t span = (uint64_t)(T_9999_12_31_235959_999Z -
						 T_0001_01_01Z) - 2 * 86400000;

		assert_int_equal(RAND_bytes(r, sizeof(r)), 1);
		for (int k = 0; k < 8; k++)
			u = u << 8 | r[k];
		for (int k = 8; k < 12; k++)
			o = o << 8 | r[k];
		/* Keep a day's margin so that any offset stays in range. */
		t.unix_ms = T_0001_01_01Z + 86400000 + (int64_t)(u % span);
		t.offset_minutes = (int)(o % (2 * 1439 + 1)) - 1439;
		if (i % 4 == 0)
			t = ksef_time_warsaw(t.unix_ms);
		assert_int_equal(ksef_time_format_ext(out, t,
			(unsigned)i & (KSEF_TIME_FMT_Z), NULL), 0);
		assert_int_equal(parse(&back, out), 0);
		assert_true(back.unix_ms == t.unix_ms);
		assert_int_equal(back.offset_minutes, t.offset_minutes);
	}
}

static void days_from_civil_agrees_with_civil_from_days(void **state)
{
	int64_t first = ksef__time_days_from_civil(1, 1, 1);
	int64_t end = ksef__time_days_from_civil(10000, 1, 1);
	ksef_date prev = { 0, 12, 31 };

	(void)state;
	assert_true(ksef__time_days_from_civil(1970, 1, 1) == 0);
	assert_true(ksef__time_days_from_civil(2000, 3, 1) == 11017);
	assert_true(ksef__time_days_from_civil(2025, 8, 26) == 20326);
	assert_true(first == -719162);
	/* Every day of years 1-9999, each the day after the one before. */
	for (int64_t d = first; d < end; d++) {
		ksef_date c = ksef__time_civil_from_days(d);

		assert_true(ksef_date_is_valid(c));
		assert_true(ksef__time_days_from_civil(c.year, c.month,
						       c.day) == d);
		assert_true(ksef_date_cmp(prev, c) < 0);
		if (c.day != 1)
			assert_true(c.day == prev.day + 1 &&
				    c.month == prev.month);
		prev = c;
	}
	assert_int_equal(prev.year, 9999);
}

/* Parse a "...Z" time, failing the test if it does not parse. */
static int64_t utc(const char *s)
{
	ksef_time t;

	assert_int_equal(parse(&t, s), 0);
	return t.unix_ms;
}

static void warsaw_changes_offset_at_0100_utc(void **state)
{
	(void)state;
	/* 2025: 30 March and 26 October. */
	assert_int_equal(ksef_time_warsaw_offset(
		utc("2025-03-30T00:59:59.999Z")), 60);
	assert_int_equal(ksef_time_warsaw_offset(
		utc("2025-03-30T01:00:00Z")), 120);
	assert_int_equal(ksef_time_warsaw_offset(
		utc("2025-10-26T00:59:59.999Z")), 120);
	assert_int_equal(ksef_time_warsaw_offset(
		utc("2025-10-26T01:00:00Z")), 60);
	assert_int_equal(ksef_time_warsaw_offset(utc("2025-01-01T00:00:00Z")),
			 60);
	assert_int_equal(ksef_time_warsaw_offset(utc("2025-07-01T00:00:00Z")),
			 120);
	assert_int_equal(ksef_time_warsaw_offset(utc("2025-12-31T23:59:59Z")),
			 60);
	/* Outside the years a timestamp can show: winter, no overflow. */
	assert_int_equal(ksef_time_warsaw_offset(INT64_MAX), 60);
	assert_int_equal(ksef_time_warsaw_offset(INT64_MIN), 60);
}

static void warsaw_matches_the_tz_database_2020_to_2030(void **state)
{
	/* The transitions of Europe/Warsaw per Python's zoneinfo. */
	static const char *const changes[][2] = {
		{ "2020-03-29T01:00:00Z", "2020-10-25T01:00:00Z" },
		{ "2021-03-28T01:00:00Z", "2021-10-31T01:00:00Z" },
		{ "2022-03-27T01:00:00Z", "2022-10-30T01:00:00Z" },
		{ "2023-03-26T01:00:00Z", "2023-10-29T01:00:00Z" },
		{ "2024-03-31T01:00:00Z", "2024-10-27T01:00:00Z" },
		{ "2025-03-30T01:00:00Z", "2025-10-26T01:00:00Z" },
		{ "2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z" },
		{ "2027-03-28T01:00:00Z", "2027-10-31T01:00:00Z" },
		{ "2028-03-26T01:00:00Z", "2028-10-29T01:00:00Z" },
		{ "2029-03-25T01:00:00Z", "2029-10-28T01:00:00Z" },
		{ "2030-03-31T01:00:00Z", "2030-10-27T01:00:00Z" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		int64_t on = utc(changes[i][0]), off = utc(changes[i][1]);

		assert_int_equal(ksef_time_warsaw_offset(on - 1), 60);
		assert_int_equal(ksef_time_warsaw_offset(on), 120);
		assert_int_equal(ksef_time_warsaw_offset(off - 1), 120);
		assert_int_equal(ksef_time_warsaw_offset(off), 60);
	}
}

static void warsaw_summer_starts_and_ends_on_a_last_sunday(void **state)
{
	(void)state;
	/* Hour by hour through 1996-2100: offsets change only at 01:00 UTC
	 * on a Sunday in 25-31 March (to 120) or 25-31 October (to 60). */
	int64_t t = utc("1996-01-01T00:00:00Z");
	int64_t end = utc("2101-01-01T00:00:00Z");
	int prev = ksef_time_warsaw_offset(t);
	int changes = 0;

	for (; t < end; t += 3600000) {
		int o = ksef_time_warsaw_offset(t);
		ksef_date d;
		int64_t days;

		if (o == prev)
			continue;
		changes++;
		days = t / 86400000;
		d = ksef__time_civil_from_days(days);
		assert_true(t % 86400000 == 3600000);
		assert_true((days + 4) % 7 == 0); /* a Sunday */
		assert_true(d.day >= 25);
		assert_int_equal(d.month, o == 120 ? 3 : 10);
		prev = o;
	}
	assert_int_equal(changes, 2 * 105);
}

static void local_date_follows_the_offset(void **state)
{
	ksef_date d;

	(void)state;
	/* 22:30Z on 30 June is 1 July in Warsaw. */
	d = ksef_time_date(ksef_time_warsaw(utc("2025-06-30T22:30:00Z")));
	assert_int_equal(ksef_date_cmp(d, (ksef_date){ 2025, 7, 1 }), 0);
	/* 23:00Z on New Year's Eve is New Year in Warsaw (winter, +1). */
	d = ksef_time_date(ksef_time_warsaw(utc("2025-12-31T23:00:00Z")));
	assert_int_equal(ksef_date_cmp(d, (ksef_date){ 2026, 1, 1 }), 0);
	d = ksef_time_date(ksef_time_warsaw(utc("2025-12-31T22:59:59Z")));
	assert_int_equal(ksef_date_cmp(d, (ksef_date){ 2025, 12, 31 }), 0);
	/* West of Greenwich the day ends later. */
	d = ksef_time_date((ksef_time){ utc("2025-01-01T04:59:59Z"), -300 });
	assert_int_equal(ksef_date_cmp(d, (ksef_date){ 2024, 12, 31 }), 0);
	/* Out of range gives a date that does not exist. */
	d = ksef_time_date((ksef_time){ INT64_MAX, 60 });
	assert_false(ksef_date_is_valid(d));
	d = ksef_time_date((ksef_time){ 0, 100000 });
	assert_false(ksef_date_is_valid(d));
}

static void now_is_recent_and_in_utc(void **state)
{
	ksef_time t = ksef_time_now();

	(void)state;
	assert_int_equal(t.offset_minutes, 0);
	assert_true(t.unix_ms > utc("2025-01-01T00:00:00Z"));
	assert_true(t.unix_ms < utc("2200-01-01T00:00:00Z"));
}

static void date_parse_refuses_malformed_dates(void **state)
{
	static const char *const bad[] = {
		"", "2", "2025-02-3", "2025-02-300", "2025-02-29",
		"2100-02-29", "2025-04-31", "2025-00-10", "2025-13-10",
		"2025-01-00", "0000-01-01", "20250201", "2025/02/01",
		"2025-02-01Z", "2025-2-013", " 025-02-01", "-025-02-01",
		"2025-02-01T00:00:00Z",
	};
	ksef_date d = { 1, 2, 3 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ksef_date_parse(&d, bad[i], strlen(bad[i]), NULL) !=
		    KSEF_EFORMAT)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(d.year, 1);
	assert_int_equal(ksef_date_parse(&d, NULL, 10, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_date_parse(NULL, "2025-02-01", 10, NULL),
			 KSEF_EINVAL);
}

static void date_format_and_parse_round_trip(void **state)
{
	static const char *const good[] = {
		"2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31",
		"2025-09-16",
	};
	char out[KSEF_DATE_BUFSZ] = "untouched";
	ksef_date d;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(ksef_date_parse(&d, good[i], 10, NULL), 0);
		assert_int_equal(ksef_date_format(out, d, NULL), 0);
		assert_string_equal(out, good[i]);
	}
	assert_int_equal(ksef_date_parse(&d, "2025-09-16", 10, NULL), 0);
	assert_int_equal(d.year, 2025);
	assert_int_equal(d.month, 9);
	assert_int_equal(d.day, 16);
	assert_int_equal(ksef_date_format(out, (ksef_date){ 2025, 2, 29 },
					  NULL), KSEF_EINVAL);
	assert_int_equal(ksef_date_format(out, (ksef_date){ 10000, 1, 1 },
					  NULL), KSEF_EINVAL);
	assert_int_equal(ksef_date_format(NULL, d, NULL), KSEF_EINVAL);
	assert_string_equal(out, "2025-09-16");
}

static void dates_compare_by_calendar_order(void **state)
{
	ksef_date a = { 2025, 9, 16 };

	(void)state;
	assert_int_equal(ksef_date_cmp(a, a), 0);
	assert_true(ksef_date_cmp(a, (ksef_date){ 2025, 9, 17 }) < 0);
	assert_true(ksef_date_cmp(a, (ksef_date){ 2025, 10, 1 }) < 0);
	assert_true(ksef_date_cmp(a, (ksef_date){ 2026, 1, 1 }) < 0);
	assert_true(ksef_date_cmp(a, (ksef_date){ 2024, 12, 31 }) > 0);
	assert_true(ksef_date_cmp(a, (ksef_date){ 2025, 8, 31 }) > 0);
	assert_true(ksef_date_cmp(a, (ksef_date){ 2025, 9, 15 }) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_refuses_malformed_timestamps),
		cmocka_unit_test(parse_reads_the_api_and_upo_examples),
		cmocka_unit_test(format_writes_milliseconds_and_offset),
		cmocka_unit_test(format_refuses_what_it_cannot_write),
		cmocka_unit_test(format_and_parse_round_trip),
		cmocka_unit_test(days_from_civil_agrees_with_civil_from_days),
		cmocka_unit_test(warsaw_changes_offset_at_0100_utc),
		cmocka_unit_test(warsaw_matches_the_tz_database_2020_to_2030),
		cmocka_unit_test(warsaw_summer_starts_and_ends_on_a_last_sunday),
		cmocka_unit_test(local_date_follows_the_offset),
		cmocka_unit_test(now_is_recent_and_in_utc),
		cmocka_unit_test(date_parse_refuses_malformed_dates),
		cmocka_unit_test(date_format_and_parse_round_trip),
		cmocka_unit_test(dates_compare_by_calendar_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
