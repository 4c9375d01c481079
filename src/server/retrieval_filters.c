/*
 * retrieval_filters.c - owns InvoiceQueryFilters (retrieval.h): every
 * member of the schema read, bounded and turned into a store query; the
 * 3-month range rule (in UTC or in Polish time, as the changelog says);
 * the HWM and restrictToPermanentStorageHwmDate.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "api.h"
#include "invoice_meta.h"
#include "retrieval.h"

#define FAIL(...) (snprintf(msg, size, __VA_ARGS__), -1)

static int one_of(const char *s, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int retrieval_parse_time(const char *s, int64_t *ms)
{
	char buf[48];
	ksef_time t;
	size_t n = strlen(s);
	int off;

	if (ksef_time_parse(&t, s, n, NULL) == 0) {
		*ms = t.unix_ms;
		return 0;
	}
	/* No offset: Polish local time. */
	if (n + 2 > sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	memcpy(buf + n, "Z", 2);
	if (ksef_time_parse(&t, buf, n + 1, NULL) != 0)
		return -1;
	off = ksef_time_warsaw_offset(t.unix_ms - 3600000);
	*ms = t.unix_ms - (int64_t)off * 60000;
	return 0;
}

/* The instant `months` calendar months after ms, read in a zone `off`
 * minutes east of UTC; a day the month lacks becomes its last (as
 * .NET's AddMonths, which the KSeF clients use). */
static int64_t add_months(int64_t ms, int months, int off)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int64_t local = ms + (int64_t)off * 60000, in_day;
	time_t secs = (time_t)(local / 1000);
	struct tm tm;
	char day[16];
	int y, m, d, last;

	gmtime_r(&secs, &tm);
	in_day = local % 86400000;
	y = tm.tm_year + 1900;
	m = tm.tm_mon + months;
	y += m / 12;
	m %= 12;
	last = mdays[m] + (m == 1 && ((y % 4 == 0 && y % 100 != 0) ||
				      y % 400 == 0));
	d = tm.tm_mday < last ? tm.tm_mday : last;
	snprintf(day, sizeof(day), "%04d-%02d-%02d", y, m + 1, d);
	return invoice_meta_day_key(day) + in_day - (int64_t)off * 60000;
}

static const char *opt_string(json_t *o, const char *name, size_t max,
			      int *bad)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v) || json_string_length(v) > max ||
	    json_string_length(v) == 0) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

/* -1 absent, 0 or 1; *bad on a non-boolean. */
static int opt_bool(json_t *o, const char *name, int *bad)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL || json_is_null(v))
		return -1;
	if (!json_is_boolean(v)) {
		*bad = 1;
		return -1;
	}
	return json_is_true(v);
}

static int nip_shaped(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return i == 10 && s[0] != '0';
}

static int parse_range(struct retrieval_filters *f, json_t *r,
		       int64_t now_ms, char *msg, size_t size)
{
	static const char *const types[] = { "Issue", "Invoicing",
		"PermanentStorage", NULL };
	const char *dt, *from, *to;
	int bad = 0, day_off;
	int64_t k;

	if (!json_is_object(r))
		return FAIL("Pole 'dateRange' jest wymagane.");
	dt = opt_string(r, "dateType", 32, &bad);
	if (dt == NULL || (f->q.date_type = one_of(dt, types)) < 0)
		return FAIL("Pole 'dateRange.dateType' musi mieć wartość "
			    "Issue, Invoicing lub PermanentStorage.");
	from = opt_string(r, "from", 40, &bad);
	if (from == NULL || retrieval_parse_time(from, &f->from_ms) != 0)
		return FAIL("Pole 'dateRange.from' musi być datą i czasem "
			    "ISO 8601.");
	to = opt_string(r, "to", 40, &bad);
	if (bad || (to != NULL && retrieval_parse_time(to, &f->to_ms) != 0))
		return FAIL("Pole 'dateRange.to' musi być datą i czasem "
			    "ISO 8601.");
	f->has_to = to != NULL;
	/* A range that starts later than now ends where it starts: it is
	 * empty, and the HWM rule decides whether it is refused. */
	if (!f->has_to)
		f->to_ms = now_ms > f->from_ms ? now_ms : f->from_ms;
	if ((f->restrict_hwm = opt_bool(r, "restrictToPermanentStorageHwmDate",
					&bad)) < 0)
		f->restrict_hwm = 0;
	if (bad)
		return FAIL("Pole 'dateRange.restrictToPermanentStorageHwmDate'"
			    " musi być wartością logiczną.");
	if (f->to_ms < f->from_ms)
		return FAIL("Data 'dateRange.to' jest wcześniejsza niż "
			    "'dateRange.from'.");
	day_off = ksef_time_warsaw_offset(f->from_ms);
	if (f->to_ms > add_months(f->from_ms, RETRIEVAL_MAX_MONTHS, 0) &&
	    f->to_ms > add_months(f->from_ms, RETRIEVAL_MAX_MONTHS, day_off))
		return FAIL("Zakres 'dateRange' przekracza dozwolone %d "
			    "miesiące.", RETRIEVAL_MAX_MONTHS);
	f->q.from = f->from_ms;
	f->q.to = f->to_ms;
	if (f->q.date_type == 0) {
		/* Issue: the days of the range in Polish time. */
		time_t secs;
		struct tm tm;
		char day[16];

		secs = (time_t)((f->from_ms + (int64_t)day_off * 60000) /
				1000);
		gmtime_r(&secs, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		f->q.from = invoice_meta_day_key(day);
		k = f->to_ms + (int64_t)ksef_time_warsaw_offset(f->to_ms) *
			60000;
		secs = (time_t)(k / 1000);
		gmtime_r(&secs, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		f->q.to = invoice_meta_day_key(day);
	}
	return 0;
}

/* An array of enum-like strings into ",a,b," (each checked by ok()). */
static int string_list(json_t *o, const char *name, char *out, size_t outsz,
		       size_t max, int (*ok)(const char *), int *present)
{
	json_t *a = json_object_get(o, name), *v;
	size_t i;

	*present = 0;
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > max)
		return -1;
	if (json_array_size(a) == 0)
		return 0;
	strcpy(out, ",");
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || !ok(json_string_value(v)) ||
		    strlen(out) + json_string_length(v) + 2 > outsz)
			return -1;
		strcat(out, json_string_value(v));
		strcat(out, ",");
	}
	*present = 1;
	return 0;
}

static int currency_ok(const char *s)
{
	return strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' &&
	       s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z';
}

static int type_ok(const char *s)
{
	static const char *const types[] = { "Vat", "Zal", "Kor", "Roz",
		"Upr", "KorZal", "KorRoz", "VatPef", "VatPefSp", "KorPef",
		"VatRr", "KorVatRr", NULL };

	return one_of(s, types) >= 0;
}

static int parse_amount(struct retrieval_filters *f, json_t *a, char *msg,
			size_t size)
{
	static const char *const types[] = { "Brutto", "Netto", "Vat",
		NULL };
	json_t *t = json_object_get(a, "type"), *from, *to;
	int i;

	if (!json_is_object(a) || !json_is_string(t) ||
	    (i = one_of(json_string_value(t), types)) < 0)
		return FAIL("Pole 'amount.type' musi mieć wartość Brutto, "
			    "Netto lub Vat.");
	f->q.amount_type = i + 1;
	f->q.amount_from = INT64_MIN;
	f->q.amount_to = INT64_MAX;
	from = json_object_get(a, "from");
	to = json_object_get(a, "to");
	if (from != NULL && !json_is_null(from)) {
		if (!json_is_number(from) ||
		    fabs(json_number_value(from)) > 1e15)
			return FAIL("Pole 'amount.from' musi być liczbą.");
		f->q.amount_from = llround(json_number_value(from) * 100);
	}
	if (to != NULL && !json_is_null(to)) {
		if (!json_is_number(to) || fabs(json_number_value(to)) > 1e15)
			return FAIL("Pole 'amount.to' musi być liczbą.");
		f->q.amount_to = llround(json_number_value(to) * 100);
	}
	if (f->q.amount_from > f->q.amount_to)
		return FAIL("Pole 'amount.from' jest większe niż "
			    "'amount.to'.");
	return 0;
}

int retrieval_filters_parse(struct retrieval_filters *f, json_t *obj,
			    int64_t now_ms, char *msg, size_t size)
{
	static const char *const subjects[] = { "Subject1", "Subject2",
		"Subject3", "SubjectAuthorized", NULL };
	static const char *const buyers[] = { "Nip", "VatUe", "Other",
		"None", NULL };
	static const char *const modes[] = { "Online", "Offline", NULL };
	static const char *const forms[] = { "FA", "PEF", "FA_RR", NULL };
	const char *s;
	json_t *b, *a;
	int bad = 0, present;

	memset(f, 0, sizeof(*f));
	f->q.self_invoicing = f->q.has_attachment = -1;
	if (!json_is_object(obj))
		return FAIL("Treść żądania musi być obiektem JSON.");
	s = opt_string(obj, "subjectType", 32, &bad);
	if (s == NULL || (f->q.subject = one_of(s, subjects) + 1) < 1)
		return FAIL("Pole 'subjectType' musi mieć wartość Subject1, "
			    "Subject2, Subject3 lub SubjectAuthorized.");
	if (parse_range(f, json_object_get(obj, "dateRange"), now_ms, msg,
			size) != 0)
		return -1;
	f->q.ksef_number = opt_string(obj, "ksefNumber", 36, &bad);
	if (bad || (f->q.ksef_number != NULL &&
		    !api_ksef_number_shaped(f->q.ksef_number)))
		return FAIL("Pole 'ksefNumber' ma nieprawidłowy format.");
	f->q.invoice_number = opt_string(obj, "invoiceNumber", 256, &bad);
	if (bad)
		return FAIL("Pole 'invoiceNumber' może mieć od 1 do 256 "
			    "znaków.");
	f->q.seller_nip = opt_string(obj, "sellerNip", 10, &bad);
	if (bad || (f->q.seller_nip && !nip_shaped(f->q.seller_nip)))
		return FAIL("Pole 'sellerNip' musi być numerem NIP.");
	a = json_object_get(obj, "amount");
	if (a != NULL && !json_is_null(a) &&
	    parse_amount(f, a, msg, size) != 0)
		return -1;
	b = json_object_get(obj, "buyerIdentifier");
	if (b != NULL && !json_is_null(b)) {
		s = json_is_object(b) ? opt_string(b, "type", 16, &bad) : NULL;
		if (s == NULL || one_of(s, buyers) < 0)
			return FAIL("Pole 'buyerIdentifier.type' musi mieć "
				    "wartość Nip, VatUe, Other lub None.");
		f->q.buyer_type = s;
		f->q.buyer_value = opt_string(b, "value", 50, &bad);
		if (bad || (strcmp(s, "Nip") == 0 && f->q.buyer_value &&
			    !nip_shaped(f->q.buyer_value)))
			return FAIL("Pole 'buyerIdentifier.value' ma "
				    "nieprawidłowy format.");
	}
	if (string_list(obj, "currencyCodes", f->currencies,
			sizeof(f->currencies), RETRIEVAL_MAX_CURRENCIES,
			currency_ok, &present) != 0)
		return FAIL("Pole 'currencyCodes' musi być listą (do %d) "
			    "kodów walut ISO 4217.", RETRIEVAL_MAX_CURRENCIES);
	f->q.currencies = present ? f->currencies : NULL;
	if (string_list(obj, "invoiceTypes", f->types, sizeof(f->types),
			RETRIEVAL_MAX_TYPES, type_ok, &present) != 0)
		return FAIL("Pole 'invoiceTypes' musi być listą rodzajów "
			    "faktur (InvoiceType).");
	f->q.invoice_types = present ? f->types : NULL;
	s = opt_string(obj, "invoicingMode", 16, &bad);
	if (bad || (s != NULL && one_of(s, modes) < 0))
		return FAIL("Pole 'invoicingMode' musi mieć wartość Online "
			    "lub Offline.");
	f->q.invoicing_mode = s;
	s = opt_string(obj, "formType", 16, &bad);
	if (bad || (s != NULL && one_of(s, forms) < 0))
		return FAIL("Pole 'formType' musi mieć wartość FA, PEF lub "
			    "FA_RR.");
	f->q.form_type = s;
	f->q.self_invoicing = opt_bool(obj, "isSelfInvoicing", &bad);
	if (bad)
		return FAIL("Pole 'isSelfInvoicing' musi być wartością "
			    "logiczną.");
	f->q.has_attachment = opt_bool(obj, "hasAttachment", &bad);
	if (bad)
		return FAIL("Pole 'hasAttachment' musi być wartością "
			    "logiczną.");
	return 0;
}

int retrieval_apply_hwm(struct retrieval_filters *f, int64_t durable_ms,
			int64_t *hwm)
{
	int64_t h = durable_ms;

	*hwm = h;
	if (f->q.date_type != 2)
		return 0;
	if (f->has_to && f->to_ms < h)
		*hwm = f->to_ms;
	if (!f->restrict_hwm)
		return 0;
	if (f->from_ms > h)
		return -1;
	if (f->to_ms > h)
		f->to_ms = f->q.to = h;
	return 0;
}

void retrieval_page(size_t offset, size_t size, size_t got, size_t *shown,
		    int *has_more, int *truncated)
{
	size_t n = got < size ? got : size;

	if (offset >= RETRIEVAL_MAX_RECORDS)
		n = 0;
	else if (offset + n > RETRIEVAL_MAX_RECORDS)
		n = RETRIEVAL_MAX_RECORDS - offset;
	*shown = n;
	*has_more = got > n;
	*truncated = *has_more && offset + n >= RETRIEVAL_MAX_RECORDS;
}
