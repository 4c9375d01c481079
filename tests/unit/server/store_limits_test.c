/*
 * store_limits_test.c - what the store keeps of the limits a context or
 * subject set (store_limits.c): set, read back, replaced, cleared part by
 * part (a row holding nothing goes), kept across a reopen, and arguments
 * outside the fields refused.
 */
#include "testsupport.h"
#include <stdlib.h>
#include <string.h>
#include "store.h"
#include "store_fixture.h"

struct fixture {
	char *dir;
	store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	ksef_error err;

	assert_non_null(f);
	f->dir = ts_mkdtemp();
	if (store_open(&f->st, f->dir, &err) != 0)
		fail_msg("store_open: %s", err.message);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	ts_rmdir(f->dir);
	free(f);
	return 0;
}

static void a_context_that_set_nothing_is_not_found(void **state)
{
	struct fixture *f = *state;
	store_context_limits l;
	store_subject_limits s;
	ksef_error err;

	assert_int_equal(store_context_limits_get(f->st, "Nip", "5265877635",
						  &l, &err), STORE_NOT_FOUND);
	assert_int_equal(store_subject_limits_get(f->st, "Nip", "5265877635",
						  &s, &err), STORE_NOT_FOUND);
	/* Clearing what is not there is no failure. */
	ok(store_context_session_limits_clear(f->st, "Nip", "5265877635",
					      &err), &err);
	ok(store_context_rate_limits_clear(f->st, "Nip", "5265877635", &err),
	   &err);
	ok(store_subject_limits_clear(f->st, "Nip", "5265877635", &err), &err);
}

static void session_and_rate_limits_are_kept_apart_in_one_row(void **state)
{
	struct fixture *f = *state;
	store_session_limits on = { 7, 2, 5 }, ba = { 100000, 0, 10 };
	store_context_limits l;
	ksef_error err;

	ok(store_context_session_limits_set(f->st, "Nip", "5265877635", &on,
					    &ba, &err), &err);
	ok(store_context_limits_get(f->st, "Nip", "5265877635", &l, &err),
	   &err);
	assert_true(l.has_session);
	assert_memory_equal(&l.online, &on, sizeof(on));
	assert_memory_equal(&l.batch, &ba, sizeof(ba));
	assert_int_equal(l.rate_mode, 0);
	assert_string_equal(l.rate, "");

	ok(store_context_rate_limits_set(f->st, "Nip", "5265877635", 1,
					 "other=1/2/3", &err), &err);
	ok(store_context_limits_get(f->st, "Nip", "5265877635", &l, &err),
	   &err);
	assert_true(l.has_session);
	assert_int_equal(l.online.max_invoices, 7);
	assert_int_equal(l.rate_mode, 1);
	assert_string_equal(l.rate, "other=1/2/3");

	/* Replaced, not added to. */
	on.max_invoices = 8;
	ok(store_context_session_limits_set(f->st, "Nip", "5265877635", &on,
					    &ba, &err), &err);
	ok(store_context_rate_limits_set(f->st, "Nip", "5265877635", 2, "",
					 &err), &err);
	ok(store_context_limits_get(f->st, "Nip", "5265877635", &l, &err),
	   &err);
	assert_int_equal(l.online.max_invoices, 8);
	assert_int_equal(l.rate_mode, 2);
	assert_string_equal(l.rate, "");

	/* Clearing one part keeps the other; clearing both drops the row. */
	ok(store_context_session_limits_clear(f->st, "Nip", "5265877635",
					      &err), &err);
	ok(store_context_limits_get(f->st, "Nip", "5265877635", &l, &err),
	   &err);
	assert_false(l.has_session);
	assert_int_equal(l.online.max_invoices, -1);
	assert_int_equal(l.rate_mode, 2);
	ok(store_context_rate_limits_clear(f->st, "Nip", "5265877635", &err),
	   &err);
	assert_int_equal(store_context_limits_get(f->st, "Nip", "5265877635",
						  &l, &err), STORE_NOT_FOUND);
	/* Another context never saw any of it. */
	assert_int_equal(store_context_limits_get(f->st, "Nip", "7010001454",
						  &l, &err), STORE_NOT_FOUND);
}

static void a_subject_sets_each_limit_on_its_own(void **state)
{
	struct fixture *f = *state;
	store_subject_limits set = { 15, -1 }, got;
	ksef_error err;

	ok(store_subject_limits_set(f->st, "Pesel", "90010112345", &set,
				    &err), &err);
	ok(store_subject_limits_get(f->st, "Pesel", "90010112345", &got,
				    &err), &err);
	assert_int_equal(got.max_enrollments, 15);
	assert_int_equal(got.max_certificates, -1);
	set.max_enrollments = -1;
	set.max_certificates = 0;
	ok(store_subject_limits_set(f->st, "Pesel", "90010112345", &set,
				    &err), &err);
	ok(store_subject_limits_get(f->st, "Pesel", "90010112345", &got,
				    &err), &err);
	assert_int_equal(got.max_enrollments, 15);
	assert_int_equal(got.max_certificates, 0);
	/* Both -1 changes nothing, and makes no row for a new subject. */
	set.max_certificates = -1;
	ok(store_subject_limits_set(f->st, "Nip", "5265877635", &set, &err),
	   &err);
	assert_int_equal(store_subject_limits_get(f->st, "Nip", "5265877635",
						  &got, &err), STORE_NOT_FOUND);
	/* The same value under another type is another subject. */
	assert_int_equal(store_subject_limits_get(f->st, "Nip", "90010112345",
						  &got, &err), STORE_NOT_FOUND);
	ok(store_subject_limits_clear(f->st, "Pesel", "90010112345", &err),
	   &err);
	assert_int_equal(store_subject_limits_get(f->st, "Pesel",
						  "90010112345", &got, &err),
			 STORE_NOT_FOUND);
}

static void limits_are_kept_across_a_reopen(void **state)
{
	struct fixture *f = *state;
	store_session_limits on = { 1, 1, 1 }, ba = { 2, 2, 2 };
	store_subject_limits s = { 3, 4 };
	store_context_limits l;
	ksef_error err;

	ok(store_context_session_limits_set(f->st, "InternalId",
					    "5265877635-12345", &on, &ba,
					    &err), &err);
	ok(store_subject_limits_set(f->st, "Fingerprint", "AB01", &s, &err),
	   &err);
	store_close(f->st);
	if (store_open(&f->st, f->dir, &err) != 0)
		fail_msg("store_open: %s", err.message);
	ok(store_context_limits_get(f->st, "InternalId", "5265877635-12345",
				    &l, &err), &err);
	assert_memory_equal(&l.batch, &ba, sizeof(ba));
	ok(store_subject_limits_get(f->st, "Fingerprint", "AB01", &s, &err),
	   &err);
	assert_int_equal(s.max_certificates, 4);
}

static void arguments_outside_the_fields_are_refused(void **state)
{
	struct fixture *f = *state;
	store_session_limits good = { 1, 1, 1 }, bad = { -1, 1, 1 };
	store_context_limits l;
	char long_value[STORE_CTX_VALUE_SZ + 1], long_rate[STORE_RATE_LIMITS_SZ
							   + 1];
	ksef_error err;

	memset(long_value, '1', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	memset(long_rate, 'x', sizeof(long_rate) - 1);
	long_rate[sizeof(long_rate) - 1] = '\0';
	assert_int_equal(store_context_limits_get(f->st, "Nip", long_value,
						  &l, &err), STORE_INVALID);
	assert_int_equal(store_context_limits_get(f->st, NULL, "1", &l, &err),
			 STORE_INVALID);
	assert_int_equal(store_context_limits_get(f->st, "Nip", "1", NULL,
						  &err), STORE_INVALID);
	assert_int_equal(store_context_session_limits_set(f->st, "Nip", "1",
		&bad, &good, &err), STORE_INVALID);
	assert_int_equal(store_context_session_limits_set(f->st, "Nip", "1",
		&good, NULL, &err), STORE_INVALID);
	assert_int_equal(store_context_rate_limits_set(f->st, "Nip", "1", 0,
						       "", &err),
			 STORE_INVALID);
	assert_int_equal(store_context_rate_limits_set(f->st, "Nip", "1", 1,
						       long_rate, &err),
			 STORE_INVALID);
	assert_int_equal(store_subject_limits_set(f->st, "Nip", "1", NULL,
						  &err), STORE_INVALID);
	/* None of it wrote a row. */
	assert_int_equal(store_context_limits_get(f->st, "Nip", "1", &l, &err),
			 STORE_NOT_FOUND);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(a_context_that_set_nothing_is_not_found),
		T(session_and_rate_limits_are_kept_apart_in_one_row),
		T(a_subject_sets_each_limit_on_its_own),
		T(limits_are_kept_across_a_reopen),
		T(arguments_outside_the_fields_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
