/*
 * timefmt.c - owns time as KSeF writes it: calendar dates, ISO 8601
 * timestamps with milliseconds and offsets (SPEC 1.2, 7.5), and Polish
 * local time for UPOs and the date part of KSeF numbers.
 *
 * Nothing here calls localtime, mktime, timegm or setenv("TZ"): those read
 * process-wide state, are not thread-safe and differ between platforms.
 * Dates go through days-from-civil arithmetic instead, and the
 * Europe/Warsaw offset is computed from the EU summer-time rule, which a
 * handful of lines state exactly.
 */
#include <time.h>
#include "ident.h"
#include "internal.h"

#define MS_PER_MINUTE INT64_C(60000)
#define MS_PER_HOUR INT64_C(3600000)
#define MS_PER_DAY INT64_C(86400000)
#define MAX_OFFSET_MINUTES (23 * 60 + 59) /* RFC 3339 allows two digits */

/* Days since the epoch of 0001-01-01 and 10000-01-01: the range a
 * four-digit year can show. */
#define FIRST_DAY INT64_C(-719162)
#define END_DAY INT64_C(2932897)

int64_t ksef__time_days_from_civil(int y, int m, int d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

ksef_date ksef__time_civil_from_days(int64_t days)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	ksef_date d;

	d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	d.year = (int)(yoe + era * 400 + (d.month <= 2));
	return d;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

int ksef_date_is_valid(ksef_date d)
{
	return d.year >= 1 && d.year <= 9999 && d.month >= 1 &&
	       d.month <= 12 && d.day >= 1 &&
	       d.day <= days_in_month(d.year, d.month);
}

int ksef_date_cmp(ksef_date a, ksef_date b)
{
	if (a.year != b.year)
		return a.year < b.year ? -1 : 1;
	if (a.month != b.month)
		return a.month < b.month ? -1 : 1;
	if (a.day != b.day)
		return a.day < b.day ? -1 : 1;
	return 0;
}

/* Write v as exactly width digits; v is known to fit. */
static void put_num(char *out, int v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Read width digits at s, or -1 if one is not a digit. */
static int get_num(const char *s, int width)
{
	int v = 0;

	for (int i = 0; i < width; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static void put_date(char *out, ksef_date d)
{
	put_num(out, d.year, 4);
	out[4] = '-';
	put_num(out + 5, d.month, 2);
	out[7] = '-';
	put_num(out + 8, d.day, 2);
}

/* Read "YYYY-MM-DD" at s (10 bytes known to be there). */
static int get_date(ksef_date *out, const char *s)
{
	ksef_date d;

	if (s[4] != '-' || s[7] != '-')
		return -1;
	d.year = get_num(s, 4);
	d.month = get_num(s + 5, 2);
	d.day = get_num(s + 8, 2);
	if (d.year < 0 || d.month < 0 || d.day < 0 || !ksef_date_is_valid(d))
		return -1;
	*out = d;
	return 0;
}

int ksef_date_format(char out[KSEF_DATE_BUFSZ], ksef_date d, ksef_error *err)
{
	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "date: NULL output");
	if (!ksef_date_is_valid(d))
		return ksef__error_set(err, KSEF_EINVAL,
			"date: year %d, month %d, day %d does not exist",
			d.year, d.month, d.day);
	put_date(out, d);
	out[10] = '\0';
	return 0;
}

int ksef_date_parse(ksef_date *out, const char *s, size_t len,
		    ksef_error *err)
{
	if (out == NULL || (s == NULL && len > 0))
		return ksef__error_set(err, KSEF_EINVAL,
			"date: NULL output or text");
	if (len != 10)
		return ksef__error_set(err, KSEF_EFORMAT,
			"date is %zu characters, not 10 (YYYY-MM-DD)", len);
	if (get_date(out, s) < 0)
		return ksef__error_set(err, KSEF_EFORMAT,
			"date is not a day that exists, as YYYY-MM-DD");
	return 0;
}

ksef_time ksef_time_now(void)
{
	struct timespec ts;
	ksef_time t = { 0, 0 };

	/* CLOCK_REALTIME cannot fail with a valid pointer; time() is the
	 * fallback all the same. */
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
		t.unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	else
		t.unix_ms = (int64_t)time(NULL) * 1000;
	return t;
}

/* 01:00 UTC on the last Sunday of a month with 31 days. */
static int64_t last_sunday_0100z(int year, int month)
{
	int64_t day = ksef__time_days_from_civil(year, month, 31);
	/* 1970-01-01 was a Thursday: with Sunday as 0, it is 4. */
	int64_t weekday = day + 4 - floor_div(day + 4, 7) * 7;

	return (day - weekday) * MS_PER_DAY + MS_PER_HOUR;
}

int ksef_time_warsaw_offset(int64_t unix_ms)
{
	int year;

	/* Outside the years a timestamp can show, keep the arithmetic
	 * below far from int64_t overflow. */
	if (unix_ms < FIRST_DAY * MS_PER_DAY || unix_ms >= END_DAY * MS_PER_DAY)
		return 60;
	/* Both changes happen at 01:00 UTC, far from New Year, so the UTC
	 * year is the year whose rule applies. */
	year = ksef__time_civil_from_days(floor_div(unix_ms, MS_PER_DAY)).year;
	if (unix_ms >= last_sunday_0100z(year, 3) &&
	    unix_ms < last_sunday_0100z(year, 10))
		return 120;
	return 60;
}

ksef_time ksef_time_warsaw(int64_t unix_ms)
{
	ksef_time t;

	t.unix_ms = unix_ms;
	t.offset_minutes = ksef_time_warsaw_offset(unix_ms);
	return t;
}

/* The local time in ms since the epoch, or -1 if the offset is out of
 * range or the sum overflows. */
static int local_ms(int64_t *out, ksef_time t)
{
	if (t.offset_minutes < -MAX_OFFSET_MINUTES ||
	    t.offset_minutes > MAX_OFFSET_MINUTES)
		return -1;
	if (__builtin_add_overflow(t.unix_ms,
				   (int64_t)t.offset_minutes * MS_PER_MINUTE,
				   out))
		return -1;
	return 0;
}

ksef_date ksef_time_date(ksef_time t)
{
	ksef_date none = { 0, 0, 0 };
	int64_t local;

	if (local_ms(&local, t) < 0)
		return none;
	return ksef__time_civil_from_days(floor_div(local, MS_PER_DAY));
}

int ksef_time_format(char out[KSEF_TIME_BUFSZ], ksef_time t, ksef_error *err)
{
	return ksef_time_format_ext(out, t, 0, err);
}

int ksef_time_format_ext(char out[KSEF_TIME_BUFSZ], ksef_time t,
			 unsigned flags, ksef_error *err)
{
	char buf[KSEF_TIME_BUFSZ];
	int64_t local, days, ms;
	int off = t.offset_minutes;
	size_t pos;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"timestamp: NULL output");
	if (flags & ~(KSEF_TIME_FMT_Z | KSEF_TIME_FMT_SECONDS))
		return ksef__error_set(err, KSEF_EINVAL,
			"timestamp: unknown flags 0x%x", flags);
	if (local_ms(&local, t) < 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"timestamp: offset of %d minutes is beyond 23:59",
			off);
	days = floor_div(local, MS_PER_DAY);
	if (days < FIRST_DAY || days >= END_DAY)
		return ksef__error_set(err, KSEF_EINVAL,
			"timestamp: local year is not in 0001-9999");
	ms = local - days * MS_PER_DAY;

	put_date(buf, ksef__time_civil_from_days(days));
	buf[10] = 'T';
	put_num(buf + 11, (int)(ms / MS_PER_HOUR), 2);
	buf[13] = ':';
	put_num(buf + 14, (int)(ms / MS_PER_MINUTE % 60), 2);
	buf[16] = ':';
	put_num(buf + 17, (int)(ms / 1000 % 60), 2);
	pos = 19;
	if (!(flags & KSEF_TIME_FMT_SECONDS)) {
		buf[pos] = '.';
		put_num(buf + pos + 1, (int)(ms % 1000), 3);
		pos += 4;
	}
	if (off == 0 && (flags & KSEF_TIME_FMT_Z)) {
		buf[pos++] = 'Z';
	} else {
		buf[pos] = off < 0 ? '-' : '+';
		if (off < 0)
			off = -off;
		put_num(buf + pos + 1, off / 60, 2);
		buf[pos + 3] = ':';
		put_num(buf + pos + 4, off % 60, 2);
		pos += 6;
	}
	buf[pos] = '\0';
	for (size_t i = 0; i <= pos; i++)
		out[i] = buf[i];
	return 0;
}

int ksef_time_parse(ksef_time *out, const char *s, size_t len,
		    ksef_error *err)
{
	static const char what[] = "timestamp";
	ksef_date d;
	int hh, mi, ss, ms = 0, off = 0;
	size_t pos = 19;

	if (out == NULL || (s == NULL && len > 0))
		return ksef__error_set(err, KSEF_EINVAL,
			"%s: NULL output or text", what);
	/* The shortest form is YYYY-MM-DDTHH:MM:SSZ; checking that first
	 * makes every fixed-position read below stay inside s. */
	if (len < 20)
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s is %zu characters, under the 20 of "
			"YYYY-MM-DDTHH:MM:SSZ", what, len);
	if (get_date(&d, s) < 0)
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s does not start with a YYYY-MM-DD day that exists",
			what);
	if (s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s: expected THH:MM:SS after the date", what);
	hh = get_num(s + 11, 2);
	mi = get_num(s + 14, 2);
	ss = get_num(s + 17, 2);
	/* No leap seconds and no 24:00:00: the API never sends them, and
	 * refusing them keeps every parsed time a real instant. */
	if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59)
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s: time of day is out of range", what);
	if (s[pos] == '.') {
		size_t digits = 0;

		pos++;
		while (pos < len && is_digit(s[pos])) {
			/* Keep three digits and drop the rest: truncation
			 * never carries into the next second. */
			if (digits < 3)
				ms = ms * 10 + (s[pos] - '0');
			digits++;
			pos++;
		}
		if (digits == 0 || digits > 7)
			return ksef__error_set(err, KSEF_EFORMAT,
				"%s: %zu fraction digits, not 1 to 7", what,
				digits);
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (pos < len && s[pos] == 'Z') {
		pos++;
	} else if (pos < len && (s[pos] == '+' || s[pos] == '-') &&
		   len - pos >= 6) {
		int oh = get_num(s + pos + 1, 2);
		int om = get_num(s + pos + 4, 2);

		if (oh < 0 || om < 0 || s[pos + 3] != ':' || oh > 23 ||
		    om > 59)
			return ksef__error_set(err, KSEF_EFORMAT,
				"%s: offset is not +HH:MM or -HH:MM", what);
		off = oh * 60 + om;
		if (s[pos] == '-')
			off = -off;
		pos += 6;
	} else {
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s: expected Z or an offset at character %zu", what,
			pos + 1);
	}
	if (pos != len)
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s: %zu unexpected characters after the offset", what,
			len - pos);

	/* Years 1-9999 and offsets under a day keep this far from overflow. */
	out->unix_ms = ksef__time_days_from_civil(d.year, d.month, d.day) *
			       MS_PER_DAY +
		       hh * MS_PER_HOUR + mi * MS_PER_MINUTE + ss * 1000 + ms -
		       off * MS_PER_MINUTE;
	out->offset_minutes = off;
	return 0;
}
