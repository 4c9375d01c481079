/*
 * offline_deadline.c - owns the deadlines of offline invoices
 * (ksef-docs tryby-offline.md) and the Polish business-day calendar they
 * are counted in. The modes' codes (KOD I, KOD II) are qr_link.c's and
 * qr_cert.c's; keeping a register of issued invoices is the CLI's.
 *
 * Dates are counted as days since 1970-01-01 (Howard Hinnant's
 * days_from_civil), which makes weekdays and "the next day" arithmetic.
 */
#include <string.h>
#include "ksef/offline.h"
#include "internal.h"
#include "options.h"

/* The most business days one call counts: a year's worth is more than
 * any deadline of tryby-offline.md needs. */
#define MAX_BUSINESS_DAYS 366

static long days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static ksef_date civil_from_days(long z)
{
	ksef_date r;
	long era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	r.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	r.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	r.year = (int)(y + (r.month <= 2));
	return r;
}

/* 0 Monday .. 6 Sunday; 1970-01-01 was a Thursday. */
static int weekday(long days)
{
	long w = (days + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

/* Easter Sunday of the Gregorian calendar (the anonymous algorithm of
 * Meeus, Jones and Butcher), as days since 1970-01-01. */
static long easter(int y)
{
	int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
	int f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31;
	int day = (h + l - 7 * m + 114) % 31 + 1;

	return days_from_civil(y, month, day);
}

static int covered(ksef_date d)
{
	return ksef_date_is_valid(d) && d.year >= KSEF_OFFLINE_YEAR_MIN &&
	       d.year <= KSEF_OFFLINE_YEAR_MAX;
}

/* The fixed days and the movable feasts of art. 1 of the act of 18
 * January 1951 on public holidays, as amended (Epiphany from 2011,
 * Christmas Eve from 2025). */
static int holiday(int y, int m, int d, long days)
{
	long e;

	switch (m * 100 + d) {
	case 101:  /* Nowy Rok */
	case 106:  /* Trzech Króli */
	case 501:  /* Święto Państwowe */
	case 503:  /* Święto Konstytucji 3 Maja */
	case 815:  /* Wniebowzięcie NMP */
	case 1101: /* Wszystkich Świętych */
	case 1111: /* Święto Niepodległości */
	case 1225: /* Boże Narodzenie, first day */
	case 1226: /* and second day */
		return 1;
	case 1224: /* Wigilia, by the amendment of 6 December 2024 */
		return y >= 2025;
	default:
		break;
	}
	e = easter(y);
	/* Easter Sunday and Monday, Pentecost Sunday (the 50th day),
	 * Corpus Christi (the Thursday 60 days after Easter). */
	return days == e || days == e + 1 || days == e + 49 || days == e + 60;
}

int ksef_date_is_pl_holiday(ksef_date d)
{
	if (!covered(d))
		return 0;
	return holiday(d.year, d.month, d.day,
		       days_from_civil(d.year, d.month, d.day));
}

static int business(long days)
{
	ksef_date d = civil_from_days(days);

	return weekday(days) < 5 && !holiday(d.year, d.month, d.day, days);
}

int ksef_date_is_business_day(ksef_date d)
{
	if (!covered(d))
		return 0;
	return business(days_from_civil(d.year, d.month, d.day));
}

int ksef_date_add_business_days(ksef_date *out, ksef_date d, int n,
				ksef_error *err)
{
	long days;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output date");
	if (!covered(d))
		return ksef__error_set(err, KSEF_EINVAL, "the date does not "
			"exist or is outside the years %d to %d",
			KSEF_OFFLINE_YEAR_MIN, KSEF_OFFLINE_YEAR_MAX);
	if (n < 1 || n > MAX_BUSINESS_DAYS)
		return ksef__error_set(err, KSEF_EINVAL, "%d business days: "
			"from 1 to %d", n, MAX_BUSINESS_DAYS);
	days = days_from_civil(d.year, d.month, d.day);
	while (n > 0)
		if (business(++days))
			n--;
	*out = civil_from_days(days);
	return 0;
}

static int is_set(ksef_date d)
{
	return d.year != 0 || d.month != 0 || d.day != 0;
}

/* A date the input must have, not before the issue date. */
static int check_end(ksef_date end, ksef_date issued, const char *what,
		     ksef_error *err)
{
	if (!is_set(end))
		return ksef__error_set(err, KSEF_EINVAL, "the mode needs %s",
				       what);
	if (!covered(end))
		return ksef__error_set(err, KSEF_EINVAL, "%s does not exist "
			"or is outside the years %d to %d", what,
			KSEF_OFFLINE_YEAR_MIN, KSEF_OFFLINE_YEAR_MAX);
	if (ksef_date_cmp(end, issued) < 0)
		return ksef__error_set(err, KSEF_EINVAL, "%s is before the "
				       "issue date", what);
	return 0;
}

static int read_input(ksef_offline_deadline_input *in,
		      const ksef_offline_deadline_input *given,
		      ksef_error *err)
{
	static const size_t sizes[] = {
		KSEF__OPTIONS_END(ksef_offline_deadline_input, total_failure),
	};
	KSEF__OPTIONS_SIZES(sizes, KSEF_OFFLINE_DEADLINE_INPUT_VERSION);
	const ksef_offline_deadline_input dflt =
		KSEF_OFFLINE_DEADLINE_INPUT_INIT;

	*in = dflt;
	return KSEF__OPTIONS_COPY(in, given, sizes,
		KSEF_OFFLINE_DEADLINE_INPUT_VERSION,
		"ksef_offline_deadline_input", err);
}

int ksef_offline_deadline(ksef_date *out,
			  const ksef_offline_deadline_input *given,
			  ksef_error *err)
{
	ksef_offline_deadline_input in;
	ksef_date due, late;
	int error;

	if (out == NULL || given == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output or input");
	if ((error = read_input(&in, given, err)) != 0)
		return error;
	if (!covered(in.issued))
		return ksef__error_set(err, KSEF_EINVAL, "the issue date does "
			"not exist or is outside the years %d to %d",
			KSEF_OFFLINE_YEAR_MIN, KSEF_OFFLINE_YEAR_MAX);
	/* "Ogłoszenie awarii całkowitej (...) powoduje zniesienie obowiązku
	 * przesyłania faktur do KSeF." */
	if (in.total_failure)
		return ksef__error_set(err, KSEF_ENOTFOUND, "a total failure "
			"was announced: the invoice need not be sent");
	switch (in.mode) {
	case KSEF_OFFLINE_24:
		error = ksef_date_add_business_days(&due, in.issued, 1, err);
		break;
	case KSEF_OFFLINE_UNAVAILABLE:
		if ((error = check_end(in.unavailable_end, in.issued,
				"the end of the unavailability", err)) == 0)
			error = ksef_date_add_business_days(&due,
				in.unavailable_end, 1, err);
		break;
	case KSEF_OFFLINE_EMERGENCY:
		/* A later announcement restarts the count: the caller gives
		 * the end of the last one. */
		if ((error = check_end(in.emergency_end, in.issued,
				"the end of the emergency", err)) == 0)
			error = ksef_date_add_business_days(out,
				in.emergency_end, KSEF_OFFLINE_EMERGENCY_DAYS,
				err);
		return error;
	default:
		return ksef__error_set(err, KSEF_EINVAL, "unknown offline mode "
				       "%d", (int)in.mode);
	}
	if (error != 0)
		return error;
	/* An emergency announced while the invoice was still due moves the
	 * deadline to 7 business days after the emergency's end. */
	if (is_set(in.emergency_announced) || is_set(in.emergency_end)) {
		if (!covered(in.emergency_announced))
			return ksef__error_set(err, KSEF_EINVAL, "an emergency "
				"needs the valid day it was announced");
		if ((error = check_end(in.emergency_end,
				in.emergency_announced,
				"the end of the emergency", err)) != 0)
			return error;
		if (ksef_date_cmp(in.emergency_announced, due) <= 0) {
			if ((error = ksef_date_add_business_days(&late,
					in.emergency_end,
					KSEF_OFFLINE_EMERGENCY_DAYS, err)) != 0)
				return error;
			if (ksef_date_cmp(late, due) > 0)
				due = late;
		}
	}
	*out = due;
	return 0;
}
