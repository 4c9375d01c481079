/*
 * error_test.c - ksef_error_set(), the public way for programs to report
 * a failure in libksef's convention.
 */
#include "testsupport.h"
#include <string.h>
#include "ksef/error.h"

static void set_fills_code_line_and_message_and_returns_the_code(
	void **state)
{
	ksef_error err;

	(void)state;
	memset(&err, 0x5A, sizeof(err));
	err.line = 12;
	assert_int_equal(ksef_error_set(&err, KSEF_EIO, "cannot read %s: %d",
					"inv.xml", 2), KSEF_EIO);
	assert_int_equal(err.code, KSEF_EIO);
	/* A program's error has no input line: an old one is cleared. */
	assert_int_equal(err.line, 0);
	assert_string_equal(err.message, "cannot read inv.xml: 2");
}

static void set_with_a_null_error_only_returns_the_code(void **state)
{
	(void)state;
	assert_int_equal(ksef_error_set(NULL, KSEF_ENOMEM, "out of memory"),
			 KSEF_ENOMEM);
	assert_int_equal(ksef_error_set(NULL, 0, "%s", "fine"), 0);
}

static void set_cuts_a_long_message_at_the_buffer_and_terminates_it(
	void **state)
{
	char longer[KSEF_ERROR_MESSAGE_MAX * 2];
	ksef_error err;

	(void)state;
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(ksef_error_set(&err, KSEF_ETOOBIG, "%s!", longer),
			 KSEF_ETOOBIG);
	assert_int_equal(strlen(err.message), KSEF_ERROR_MESSAGE_MAX - 1);
	assert_int_equal(err.message[0], 'x');
	assert_int_equal(err.message[KSEF_ERROR_MESSAGE_MAX - 2], 'x');
}

static void set_keeps_a_message_of_exactly_the_limit_whole(void **state)
{
	char exact[KSEF_ERROR_MESSAGE_MAX];
	ksef_error err;

	(void)state;
	memset(exact, 'y', sizeof(exact) - 1);
	exact[sizeof(exact) - 1] = '\0';
	ksef_error_set(&err, KSEF_EPARSE, "%s", exact);
	assert_string_equal(err.message, exact);
}

static void set_without_a_format_leaves_the_message_empty(void **state)
{
	/* Through a pointer, which has no format attribute to trip over. */
	int (*set)(ksef_error *, int, const char *, ...) = ksef_error_set;
	ksef_error err;

	(void)state;
	strcpy(err.message, "old");
	assert_int_equal(set(&err, KSEF_EINVAL, NULL), KSEF_EINVAL);
	assert_int_equal(err.code, KSEF_EINVAL);
	assert_string_equal(err.message, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		  set_fills_code_line_and_message_and_returns_the_code),
		cmocka_unit_test(set_with_a_null_error_only_returns_the_code),
		cmocka_unit_test(
		  set_cuts_a_long_message_at_the_buffer_and_terminates_it),
		cmocka_unit_test(
			set_keeps_a_message_of_exactly_the_limit_whole),
		cmocka_unit_test(set_without_a_format_leaves_the_message_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
