/*
 * retrieval_filters_test.c - InvoiceQueryFilters as ksefd reads them
 * (retrieval_filters.c): each member into the store query, each bad value
 * refused, the 3-month range in UTC or Polish time, dates without an
 * offset as Polish time, Issue ranges as days, and the HWM rule.
 */
#include "testsupport.h"
#include <string.h>
#include <jansson.h>
#include "retrieval.h"

/* 2025-06-15T12:00:00Z */
#define NOW 1749988800000LL

/* The last object parsed: the filters borrow its strings. */
static json_t *kept;

static int parse(struct retrieval_filters *f, const char *text, char *msg)
{
	json_decref(kept);
	kept = json_loads(text, 0, NULL);
	assert_non_null(kept);
	return retrieval_filters_parse(f, kept, NOW, msg, 256);
}

#define BASE "{\"subjectType\":\"Subject2\",\"dateRange\":{\"dateType\":" \
	"\"PermanentStorage\",\"from\":\"2025-06-01T00:00:00Z\"}"

static void every_member_reaches_the_query(void **state)
{
	struct retrieval_filters f;
	char msg[256];

	(void)state;
	assert_int_equal(parse(&f, BASE ",\"ksefNumber\":\"5265877635-"
		"20250828-010080615740-E4\",\"invoiceNumber\":\"FV/1\","
		"\"amount\":{\"type\":\"Netto\",\"from\":100.5,\"to\":250},"
		"\"sellerNip\":\"5265877635\",\"buyerIdentifier\":{\"type\":"
		"\"Nip\",\"value\":\"7010012385\"},\"currencyCodes\":[\"PLN\","
		"\"EUR\"],\"invoicingMode\":\"Offline\",\"isSelfInvoicing\":"
		"true,\"formType\":\"FA_RR\",\"invoiceTypes\":[\"Vat\",\"Kor\"],"
		"\"hasAttachment\":false}", msg), 0);
	assert_int_equal(f.q.subject, 2);
	assert_int_equal(f.q.date_type, 2);
	assert_int_equal(f.q.from, 1748736000000LL);
	assert_int_equal(f.q.to, NOW);  /* no `to`: now */
	assert_string_equal(f.q.invoice_number, "FV/1");
	assert_int_equal(f.q.amount_type, 2);
	assert_int_equal(f.q.amount_from, 10050);
	assert_int_equal(f.q.amount_to, 25000);
	assert_string_equal(f.q.seller_nip, "5265877635");
	assert_string_equal(f.q.buyer_type, "Nip");
	assert_string_equal(f.q.buyer_value, "7010012385");
	assert_string_equal(f.q.currencies, ",PLN,EUR,");
	assert_string_equal(f.q.invoicing_mode, "Offline");
	assert_int_equal(f.q.self_invoicing, 1);
	assert_string_equal(f.q.form_type, "FA_RR");
	assert_string_equal(f.q.invoice_types, ",Vat,Kor,");
	assert_int_equal(f.q.has_attachment, 0);

	/* absent and null members leave their filter out */
	assert_int_equal(parse(&f, BASE ",\"amount\":null,\"hasAttachment\":"
		"null}", msg), 0);
	assert_int_equal(f.q.amount_type, 0);
	assert_int_equal(f.q.has_attachment, -1);
	assert_int_equal(f.q.self_invoicing, -1);
	assert_null(f.q.currencies);
	assert_null(f.q.invoice_types);
}

static void bad_members_are_refused(void **state)
{
	static const char *const bad[] = {
		"{}",
		"[]",
		"{\"subjectType\":\"Subject5\",\"dateRange\":{\"dateType\":"
		"\"Issue\",\"from\":\"2025-06-01T00:00:00Z\"}}",
		"{\"subjectType\":\"Subject1\"}",
		"{\"subjectType\":\"Subject1\",\"dateRange\":{\"from\":"
		"\"2025-06-01T00:00:00Z\"}}",
		"{\"subjectType\":\"Subject1\",\"dateRange\":{\"dateType\":"
		"\"Acquisition\",\"from\":\"2025-06-01T00:00:00Z\"}}",
		"{\"subjectType\":\"Subject1\",\"dateRange\":{\"dateType\":"
		"\"Issue\",\"from\":\"1 June\"}}",
		"{\"subjectType\":\"Subject1\",\"dateRange\":{\"dateType\":"
		"\"Issue\"}}",
		BASE ",\"ksefNumber\":\"123\"}",
		BASE ",\"invoiceNumber\":\"\"}",
		BASE ",\"sellerNip\":\"12345\"}",
		BASE ",\"amount\":{\"from\":1}}",
		BASE ",\"amount\":{\"type\":\"Gross\"}}",
		BASE ",\"amount\":{\"type\":\"Vat\",\"from\":5,\"to\":1}}",
		BASE ",\"amount\":{\"type\":\"Vat\",\"from\":\"5\"}}",
		BASE ",\"buyerIdentifier\":{\"value\":\"1\"}}",
		BASE ",\"buyerIdentifier\":{\"type\":\"Pesel\"}}",
		BASE ",\"buyerIdentifier\":{\"type\":\"Nip\",\"value\":\"x\"}}",
		BASE ",\"currencyCodes\":[\"pln\"]}",
		BASE ",\"currencyCodes\":\"PLN\"}",
		BASE ",\"invoiceTypes\":[\"VAT\"]}",
		BASE ",\"invoicingMode\":\"online\"}",
		BASE ",\"formType\":\"FA3\"}",
		BASE ",\"hasAttachment\":\"yes\"}",
		BASE ",\"isSelfInvoicing\":1}",
	};
	struct retrieval_filters f;
	char msg[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = '\0';
		if (parse(&f, bad[i], msg) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_true(msg[0] != '\0');
	}
}

static void lists_are_bounded(void **state)
{
	struct retrieval_filters f;
	char body[4096], msg[256];
	int i, n;

	(void)state;
	n = snprintf(body, sizeof(body), BASE ",\"currencyCodes\":[");
	for (i = 0; i <= RETRIEVAL_MAX_CURRENCIES; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, "%s\"PLN\"",
			      i ? "," : "");
	snprintf(body + n, sizeof(body) - (size_t)n, "]}");
	assert_int_not_equal(parse(&f, body, msg), 0);
}

static void the_range_is_at_most_three_months(void **state)
{
	struct retrieval_filters f;
	char msg[256];

	(void)state;
	assert_int_equal(parse(&f, "{\"subjectType\":\"Subject1\","
		"\"dateRange\":{\"dateType\":\"Invoicing\",\"from\":"
		"\"2025-01-31T00:00:00Z\",\"to\":\"2025-04-30T00:00:00Z\"}}",
		msg), 0);
	assert_int_not_equal(parse(&f, "{\"subjectType\":\"Subject1\","
		"\"dateRange\":{\"dateType\":\"Invoicing\",\"from\":"
		"\"2025-01-31T00:00:00Z\",\"to\":\"2025-04-30T00:00:01Z\"}}",
		msg), 0);
	/* three months in Polish time though not in UTC */
	assert_int_equal(parse(&f, "{\"subjectType\":\"Subject1\","
		"\"dateRange\":{\"dateType\":\"Invoicing\",\"from\":"
		"\"2025-01-01T00:00:00+01:00\",\"to\":"
		"\"2025-04-01T00:00:00+02:00\"}}", msg), 0);
	assert_int_not_equal(parse(&f, "{\"subjectType\":\"Subject1\","
		"\"dateRange\":{\"dateType\":\"Invoicing\",\"from\":"
		"\"2025-03-01T00:00:00Z\",\"to\":\"2025-02-01T00:00:00Z\"}}",
		msg), 0);
}

static void dates_without_an_offset_are_polish_time(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(retrieval_parse_time("2025-01-15T12:00:00", &ms), 0);
	assert_int_equal(ms, 1736938800000LL);  /* 11:00Z, CET */
	assert_int_equal(retrieval_parse_time("2025-07-15T12:00:00", &ms), 0);
	assert_int_equal(ms, 1752573600000LL);  /* 10:00Z, CEST */
	assert_int_equal(retrieval_parse_time("2025-07-15T12:00:00Z", &ms), 0);
	assert_int_equal(ms, 1752580800000LL);
	assert_int_not_equal(retrieval_parse_time("2025-07-15", &ms), 0);
}

static void issue_ranges_are_days(void **state)
{
	struct retrieval_filters f;
	char msg[256];

	(void)state;
	/* 23:30Z on 31 May is 1 June in Poland */
	assert_int_equal(parse(&f, "{\"subjectType\":\"Subject1\","
		"\"dateRange\":{\"dateType\":\"Issue\",\"from\":"
		"\"2025-05-31T23:30:00Z\",\"to\":\"2025-06-02T10:00:00Z\"}}",
		msg), 0);
	assert_int_equal(f.q.from, 1748736000000LL);  /* 2025-06-01 */
	assert_int_equal(f.q.to, 1748822400000LL);    /* 2025-06-02 */
}

static void the_hwm_bounds_permanent_storage_ranges(void **state)
{
	struct retrieval_filters f;
	char msg[256];
	int64_t hwm;

	(void)state;
	assert_int_equal(parse(&f, "{\"subjectType\":\"Subject1\","
		"\"dateRange\":{\"dateType\":\"PermanentStorage\",\"from\":"
		"\"2025-06-15T11:00:00Z\",\"restrictToPermanentStorageHwmDate\":"
		"true}}", msg), 0);
	assert_int_equal(retrieval_apply_hwm(&f, NOW, &hwm), 0);
	assert_int_equal(hwm, NOW);
	assert_int_equal(f.q.to, hwm);
	/* a range that starts past the HWM */
	assert_int_equal(parse(&f, "{\"subjectType\":\"Subject1\","
		"\"dateRange\":{\"dateType\":\"PermanentStorage\",\"from\":"
		"\"2025-06-15T12:00:00.001Z\",\"restrictToPermanentStorageHwmDate\":"
		"true}}", msg), 0);
	assert_int_equal(retrieval_apply_hwm(&f, NOW, &hwm), -1);
	/* an older range: the HWM is its end */
	assert_int_equal(parse(&f, "{\"subjectType\":\"Subject1\","
		"\"dateRange\":{\"dateType\":\"PermanentStorage\",\"from\":"
		"\"2025-06-01T00:00:00Z\",\"to\":\"2025-06-02T00:00:00Z\"}}",
		msg), 0);
	assert_int_equal(retrieval_apply_hwm(&f, NOW, &hwm), 0);
	assert_int_equal(hwm, 1748822400000LL);
}

static void pages_stop_at_the_record_limit(void **state)
{
	size_t shown;
	int more, trunc;

	(void)state;
	retrieval_page(0, 10, 11, &shown, &more, &trunc);
	assert_int_equal(shown, 10);
	assert_true(more);
	assert_false(trunc);
	retrieval_page(20, 10, 4, &shown, &more, &trunc);
	assert_int_equal(shown, 4);
	assert_false(more);
	assert_false(trunc);
	/* the last page within the limit, more beyond it */
	retrieval_page(RETRIEVAL_MAX_RECORDS - 250, 250, 251, &shown, &more,
		       &trunc);
	assert_int_equal(shown, 250);
	assert_true(more);
	assert_true(trunc);
	/* a page straddling the limit shows up to it */
	retrieval_page(9990, 250, 251, &shown, &more, &trunc);
	assert_int_equal(shown, 10);
	assert_true(more);
	assert_true(trunc);
	/* exactly the limit and nothing more */
	retrieval_page(9990, 250, 10, &shown, &more, &trunc);
	assert_int_equal(shown, 10);
	assert_false(more);
	assert_false(trunc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_member_reaches_the_query),
		cmocka_unit_test(bad_members_are_refused),
		cmocka_unit_test(lists_are_bounded),
		cmocka_unit_test(the_range_is_at_most_three_months),
		cmocka_unit_test(dates_without_an_offset_are_polish_time),
		cmocka_unit_test(issue_ranges_are_days),
		cmocka_unit_test(the_hwm_bounds_permanent_storage_ranges),
		cmocka_unit_test(pages_stop_at_the_record_limit),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	json_decref(kept);
	return rc;
}
