/*
 * offline_deadline_test.c - the Polish business-day calendar (every
 * statutory holiday, Easter's movable feasts, Christmas Eve from 2025)
 * and the offline deadlines of tryby-offline.md, its own example first,
 * across long weekends and year ends.
 */
#include "testsupport.h"
#include <string.h>
#include "ksef/offline.h"

static ksef_date D(int y, int m, int d)
{
	ksef_date r = { y, m, d };

	return r;
}

static void assert_date(ksef_date got, int y, int m, int d)
{
	assert_int_equal(got.year, y);
	assert_int_equal(got.month, m);
	assert_int_equal(got.day, d);
}

static void every_statutory_holiday_of_2026_and_no_other_weekday(void **state)
{
	/* 2026: Easter 5 April, so Easter Monday 6 April, Pentecost 24 May,
	 * Corpus Christi 4 June. */
	static const int holidays[][2] = {
		{ 1, 1 }, { 1, 6 }, { 4, 5 }, { 4, 6 }, { 5, 1 }, { 5, 3 },
		{ 5, 24 }, { 6, 4 }, { 8, 15 }, { 11, 1 }, { 11, 11 },
		{ 12, 24 }, { 12, 25 }, { 12, 26 },
	};
	size_t i, count = 0;
	int m, d;

	(void)state;
	for (i = 0; i < sizeof(holidays) / sizeof(holidays[0]); i++)
		assert_true(ksef_date_is_pl_holiday(D(2026, holidays[i][0],
						       holidays[i][1])));
	for (m = 1; m <= 12; m++)
		for (d = 1; d <= 31; d++)
			if (ksef_date_is_valid(D(2026, m, d)) &&
			    ksef_date_is_pl_holiday(D(2026, m, d)))
				count++;
	assert_int_equal(count, sizeof(holidays) / sizeof(holidays[0]));
}

static void easter_and_corpus_christi_move_with_the_moon(void **state)
{
	/* Easter: 2025-04-20, 2027-03-28, 2028-04-16, 2038-04-25 (the
	 * latest possible), 2285-03-22 (the earliest). */
	(void)state;
	assert_true(ksef_date_is_pl_holiday(D(2025, 4, 21)));
	assert_true(ksef_date_is_pl_holiday(D(2025, 6, 19)));
	assert_true(ksef_date_is_pl_holiday(D(2027, 3, 28)));
	assert_true(ksef_date_is_pl_holiday(D(2027, 3, 29)));
	assert_true(ksef_date_is_pl_holiday(D(2027, 5, 27)));
	assert_false(ksef_date_is_pl_holiday(D(2027, 3, 26))); /* Good Fri */
	assert_true(ksef_date_is_pl_holiday(D(2028, 4, 17)));
	assert_true(ksef_date_is_pl_holiday(D(2028, 6, 15)));
	assert_true(ksef_date_is_pl_holiday(D(2038, 4, 26)));
	assert_true(ksef_date_is_pl_holiday(D(2285, 3, 23)));
	assert_false(ksef_date_is_pl_holiday(D(2026, 4, 13)));
}

static void christmas_eve_is_a_holiday_from_2025_only(void **state)
{
	(void)state;
	assert_false(ksef_date_is_pl_holiday(D(2024, 12, 24)));
	assert_true(ksef_date_is_business_day(D(2024, 12, 24))); /* Tue */
	assert_true(ksef_date_is_pl_holiday(D(2025, 12, 24)));
	assert_false(ksef_date_is_business_day(D(2025, 12, 24))); /* Wed */
	assert_true(ksef_date_is_pl_holiday(D(2030, 12, 24)));
}

static void weekends_are_not_business_days(void **state)
{
	(void)state;
	assert_false(ksef_date_is_business_day(D(2026, 12, 5))); /* Sat */
	assert_false(ksef_date_is_business_day(D(2026, 12, 6))); /* Sun */
	assert_true(ksef_date_is_business_day(D(2026, 12, 4)));  /* Fri */
	assert_true(ksef_date_is_business_day(D(2026, 12, 7)));  /* Mon */
}

static void dates_outside_the_calendar_are_neither(void **state)
{
	ksef_date out = { 1, 1, 1 };

	(void)state;
	assert_false(ksef_date_is_pl_holiday(D(2010, 1, 1)));
	assert_false(ksef_date_is_business_day(D(2010, 1, 4)));
	assert_false(ksef_date_is_business_day(D(2026, 2, 29)));
	assert_false(ksef_date_is_pl_holiday(D(9999, 1, 1)));
	assert_int_equal(ksef_date_add_business_days(&out, D(2026, 2, 29), 1,
						     NULL), KSEF_EINVAL);
	assert_int_equal(ksef_date_add_business_days(&out, D(2026, 2, 2), 0,
						     NULL), KSEF_EINVAL);
	assert_int_equal(ksef_date_add_business_days(&out, D(2026, 2, 2),
						     367, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_date_add_business_days(NULL, D(2026, 2, 2), 1,
						     NULL), KSEF_EINVAL);
	assert_date(out, 1, 1, 1);
	assert_int_equal(ksef_date_add_business_days(&out, D(2026, 2, 2),
						     366, NULL), 0);
}

/* offline24: the next business day after the issue date. */
static void offline24_is_due_the_next_business_day(void **state)
{
	static const struct {
		int y, m, d; /* issued */
		int wy, wm, wd; /* due */
	} cases[] = {
		{ 2025, 7, 8, 2025, 7, 9 },     /* the docs: Tue -> Wed */
		{ 2026, 12, 4, 2026, 12, 7 },   /* Friday -> Monday */
		{ 2026, 12, 5, 2026, 12, 7 },   /* issued on a Saturday */
		{ 2025, 12, 31, 2026, 1, 2 },   /* New Year, then Friday */
		{ 2026, 12, 23, 2026, 12, 28 }, /* 24-27 Dec off */
		{ 2026, 12, 24, 2026, 12, 28 },
		{ 2026, 12, 31, 2027, 1, 4 },   /* Fri 1 Jan, weekend */
		{ 2027, 1, 5, 2027, 1, 7 },     /* Epiphany, Wednesday */
		{ 2027, 3, 26, 2027, 3, 30 },   /* Good Friday to Tuesday */
		{ 2027, 3, 27, 2027, 3, 30 },
		{ 2027, 3, 28, 2027, 3, 30 },
		{ 2027, 3, 29, 2027, 3, 30 },
		{ 2026, 4, 30, 2026, 5, 4 },    /* 1 May a Friday */
		{ 2026, 6, 3, 2026, 6, 5 },     /* Corpus Christi Thursday */
		{ 2026, 8, 14, 2026, 8, 17 },   /* 15 Aug a Saturday */
		{ 2026, 11, 10, 2026, 11, 12 }, /* Independence Day */
		{ 2026, 10, 30, 2026, 11, 2 },  /* 1 Nov a Sunday */
		{ 2024, 12, 23, 2024, 12, 24 }, /* Christmas Eve 2024 worked */
		{ 2025, 12, 23, 2025, 12, 29 }, /* 24-28 Dec 2025 off */
		{ 2028, 2, 28, 2028, 2, 29 },   /* a leap day */
	};
	ksef_offline_deadline_input in = KSEF_OFFLINE_DEADLINE_INPUT_INIT;
	ksef_date due;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		in.issued = D(cases[i].y, cases[i].m, cases[i].d);
		assert_int_equal(ksef_offline_deadline(&due, &in, NULL), 0);
		assert_date(due, cases[i].wy, cases[i].wm, cases[i].wd);
	}
}

static void unavailability_is_due_the_business_day_after_its_end(void **state)
{
	ksef_offline_deadline_input in = KSEF_OFFLINE_DEADLINE_INPUT_INIT;
	ksef_date due;
	ksef_error err;

	(void)state;
	in.mode = KSEF_OFFLINE_UNAVAILABLE;
	in.issued = D(2026, 12, 22);
	in.unavailable_end = D(2026, 12, 23);
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), 0);
	assert_date(due, 2026, 12, 28);
	in.unavailable_end = D(2026, 12, 22); /* the same day */
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), 0);
	assert_date(due, 2026, 12, 23);
	in.unavailable_end = D(2026, 12, 21);
	assert_int_equal(ksef_offline_deadline(&due, &in, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "before the issue date"));
	in.unavailable_end = D(0, 0, 0);
	assert_int_equal(ksef_offline_deadline(&due, &in, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "needs"));
}

static void emergency_gives_seven_business_days_after_its_end(void **state)
{
	ksef_offline_deadline_input in = KSEF_OFFLINE_DEADLINE_INPUT_INIT;
	ksef_date due;

	(void)state;
	in.mode = KSEF_OFFLINE_EMERGENCY;
	in.issued = D(2025, 7, 10);
	in.emergency_end = D(2025, 7, 12); /* a Saturday */
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), 0);
	assert_date(due, 2025, 7, 22);
	/* Over Christmas and New Year 2026/27: 28, 29, 30, 31 Dec, 4, 5,
	 * 7 Jan (1 Jan and 6 Jan holidays). */
	in.issued = D(2026, 12, 21);
	in.emergency_end = D(2026, 12, 23);
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), 0);
	assert_date(due, 2027, 1, 7);
	/* Over Easter 2027: 26 Mar, 30, 31 Mar, 1, 2, 5, 6 Apr. */
	in.issued = D(2027, 3, 25);
	in.emergency_end = D(2027, 3, 25);
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), 0);
	assert_date(due, 2027, 4, 6);
	in.emergency_end = D(2027, 3, 24);
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), KSEF_EINVAL);
}

/* tryby-offline.md's own example: offline24 on 2025-07-08, due 07-09; an
 * emergency announced on 07-09 ends on Saturday 07-12: due 07-22. */
static void an_emergency_announced_in_time_moves_the_deadline(void **state)
{
	ksef_offline_deadline_input in = KSEF_OFFLINE_DEADLINE_INPUT_INIT;
	ksef_date due;

	(void)state;
	in.issued = D(2025, 7, 8);
	in.emergency_announced = D(2025, 7, 9);
	in.emergency_end = D(2025, 7, 12);
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), 0);
	assert_date(due, 2025, 7, 22);
	/* Announced after the deadline passed: no effect. */
	in.emergency_announced = D(2025, 7, 10);
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), 0);
	assert_date(due, 2025, 7, 9);
	/* In unavailability mode too. */
	in.mode = KSEF_OFFLINE_UNAVAILABLE;
	in.unavailable_end = D(2025, 7, 9);
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), 0);
	assert_date(due, 2025, 7, 22);
	/* An end without the day it was announced is refused. */
	in.emergency_announced = D(0, 0, 0);
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), KSEF_EINVAL);
	in.emergency_announced = D(2025, 7, 9);
	in.emergency_end = D(2025, 7, 8);
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), KSEF_EINVAL);
}

static void a_total_failure_lifts_the_duty_to_send(void **state)
{
	ksef_offline_deadline_input in = KSEF_OFFLINE_DEADLINE_INPUT_INIT;
	ksef_date due = { 1, 2, 3 };
	ksef_error err;

	(void)state;
	in.issued = D(2026, 5, 5);
	in.total_failure = 1;
	assert_int_equal(ksef_offline_deadline(&due, &in, &err),
			 KSEF_ENOTFOUND);
	assert_non_null(strstr(err.message, "need not be sent"));
	assert_date(due, 1, 2, 3);
}

static void bad_inputs_are_refused(void **state)
{
	ksef_offline_deadline_input in = KSEF_OFFLINE_DEADLINE_INPUT_INIT;
	ksef_date due;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_offline_deadline(&due, NULL, NULL), KSEF_EINVAL);
	in.issued = D(2026, 5, 5);
	assert_int_equal(ksef_offline_deadline(NULL, &in, NULL), KSEF_EINVAL);
	in.mode = (ksef_offline_mode)7;
	assert_int_equal(ksef_offline_deadline(&due, &in, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "mode"));
	in.mode = KSEF_OFFLINE_24;
	in.version = 2;
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), KSEF_EINVAL);
	in.version = KSEF_OFFLINE_DEADLINE_INPUT_VERSION;
	in.issued = D(2026, 2, 30);
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), KSEF_EINVAL);
	in.issued = D(2010, 12, 30);
	assert_int_equal(ksef_offline_deadline(&due, &in, NULL), KSEF_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_statutory_holiday_of_2026_and_no_other_weekday),
		cmocka_unit_test(easter_and_corpus_christi_move_with_the_moon),
		cmocka_unit_test(christmas_eve_is_a_holiday_from_2025_only),
		cmocka_unit_test(weekends_are_not_business_days),
		cmocka_unit_test(dates_outside_the_calendar_are_neither),
		cmocka_unit_test(offline24_is_due_the_next_business_day),
		cmocka_unit_test(unavailability_is_due_the_business_day_after_its_end),
		cmocka_unit_test(emergency_gives_seven_business_days_after_its_end),
		cmocka_unit_test(an_emergency_announced_in_time_moves_the_deadline),
		cmocka_unit_test(a_total_failure_lifts_the_duty_to_send),
		cmocka_unit_test(bad_inputs_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
