#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "verdict.h"

/* An invoice that passed verification, as the worker hands it to the
 * store, which then reports the holder of its duplicate key. */
static store_invoice accepted_but_held(const char *orig_ksef,
				       const char *orig_session)
{
	store_invoice v;

	memset(&v, 0, sizeof(v));
	strcpy(v.ref, "20250626-EE-2F20AD2000-242386DF86-52");
	strcpy(v.session_ref, "20250918-SO-2F20AD2000-242386DF86-11");
	v.status = 200;
	strcpy(v.invoice_number, "FV/2025/1");
	strcpy(v.seller_nip, "5265877635");
	strcpy(v.invoice_kind, "VAT");
	strcpy(v.ksef_number, "5265877635-20250918-010080DD2B5F-27");
	v.acquisition_ms = 1758190000000;
	v.permanent_storage_ms = 1758190000001;
	strcpy(v.invoicing_mode, "Online");
	snprintf(v.orig_ksef_number, sizeof(v.orig_ksef_number), "%s",
		 orig_ksef);
	snprintf(v.orig_session_ref, sizeof(v.orig_session_ref), "%s",
		 orig_session);
	return v;
}

/* The details as JSON: an array of exactly one string, returned. */
static const char *only_detail(json_t **doc, const store_invoice *v)
{
	json_error_t jerr;

	*doc = json_loads(v->status_details, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(*doc);
	assert_true(json_is_array(*doc));
	assert_int_equal(json_array_size(*doc), 1);
	assert_true(json_is_string(json_array_get(*doc, 0)));
	return json_string_value(json_array_get(*doc, 0));
}

static void a_held_key_makes_a_440_worded_as_the_official_example(
	void **state)
{
	/* SPEC 5.2: the failed entry of GET /sessions/{ref}/invoices. */
	store_invoice v = accepted_but_held(
		"5265877635-20250626-010080DD2B5E-26",
		"20250626-SO-2F14610000-242991F8C9-B4");
	json_t *doc;

	(void)state;
	verdict_duplicate(&v);
	assert_int_equal(v.status, 440);
	assert_int_equal(v.status, VERDICT_DUPLICATE);
	assert_string_equal(v.status_details,
		"[\"Duplikat faktury. Faktura o numerze KSeF: "
		"5265877635-20250626-010080DD2B5E-26 została już prawidłowo "
		"przesłana do systemu w sesji: "
		"20250626-SO-2F14610000-242991F8C9-B4\"]");
	assert_string_equal(only_detail(&doc, &v),
		"Duplikat faktury. Faktura o numerze KSeF: "
		"5265877635-20250626-010080DD2B5E-26 została już prawidłowo "
		"przesłana do systemu w sesji: "
		"20250626-SO-2F14610000-242991F8C9-B4");
	json_decref(doc);
	/* The original stays named, for the extensions of the answer. */
	assert_string_equal(v.orig_ksef_number,
			    "5265877635-20250626-010080DD2B5E-26");
	assert_string_equal(v.orig_session_ref,
			    "20250626-SO-2F14610000-242991F8C9-B4");
}

static void a_duplicate_has_no_number_or_dates_but_keeps_what_was_read(
	void **state)
{
	store_invoice v = accepted_but_held("K-1", "SO-1");

	(void)state;
	verdict_duplicate(&v);
	assert_string_equal(v.ksef_number, "");
	assert_int_equal(v.acquisition_ms, 0);
	assert_int_equal(v.permanent_storage_ms, 0);
	assert_string_equal(v.invoice_number, "FV/2025/1");
	assert_string_equal(v.seller_nip, "5265877635");
	assert_string_equal(v.invoice_kind, "VAT");
	assert_string_equal(v.invoicing_mode, "Online");
	assert_string_equal(v.ref, "20250626-EE-2F20AD2000-242386DF86-52");
}

static void a_damaged_holder_cannot_break_the_details_json(void **state)
{
	/* What a damaged or foreign-written row could hold. */
	store_invoice v = accepted_but_held("K\"1\\", "SO\n\x01\"]");
	json_t *doc;
	const char *d;

	(void)state;
	verdict_duplicate(&v);
	d = only_detail(&doc, &v);
	assert_non_null(strstr(d, "KSeF: K\"1\\ została"));
	assert_non_null(strstr(d, "w sesji: SO\n\x01\"]"));
	json_decref(doc);
}

static void a_longest_holder_still_fits_the_details(void **state)
{
	char ksef[KSEF_NUMBER_BUFSZ], sess[STORE_REF_SZ];
	store_invoice v;
	json_t *doc;

	(void)state;
	/* Every byte escaped six times over: the worst a row can be. */
	memset(ksef, 0x01, sizeof(ksef) - 1);
	ksef[sizeof(ksef) - 1] = '\0';
	memset(sess, 0x02, sizeof(sess) - 1);
	sess[sizeof(sess) - 1] = '\0';
	v = accepted_but_held(ksef, sess);
	verdict_duplicate(&v);
	assert_true(strlen(v.status_details) < sizeof(v.status_details));
	(void)only_detail(&doc, &v);
	json_decref(doc);
}

static void a_closed_session_ends_200_440_or_445_by_its_counts(void **state)
{
	static const struct {
		int invoices, succeeded, failed, want;
	} cases[] = {
		/* SPEC 5.1: nothing sent -> 440 "Sesja anulowana" */
		{ 0, 0, 0, 440 },
		/* one accepted is enough for 200 */
		{ 1, 1, 0, 200 },
		{ 5, 1, 4, 200 },
		{ 10000, 10000, 0, 200 },
		/* sent, none accepted -> 445 */
		{ 1, 0, 1, 445 },
		{ 3, 0, 3, 445 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		store_session_tally t = { cases[i].invoices,
					  cases[i].succeeded,
					  cases[i].failed };

		assert_int_equal(verdict_session_final(&t), cases[i].want);
	}
	assert_int_equal(VERDICT_SESSION_PROCESSED, 200);
	assert_int_equal(VERDICT_SESSION_EMPTY, 440);
	assert_int_equal(VERDICT_SESSION_NONE_VALID, 445);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			a_held_key_makes_a_440_worded_as_the_official_example),
		cmocka_unit_test(
			a_duplicate_has_no_number_or_dates_but_keeps_what_was_read),
		cmocka_unit_test(a_damaged_holder_cannot_break_the_details_json),
		cmocka_unit_test(a_longest_holder_still_fits_the_details),
		cmocka_unit_test(
			a_closed_session_ends_200_440_or_445_by_its_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
