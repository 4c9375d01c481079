#include "testsupport.h"
#include <string.h>
#include "internal.h"

static void grows_within_its_bound(void **state)
{
	ksef_buf b = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef__buf_put(&b, "abc", 3, 10), 0);
	assert_int_equal(ksef__buf_put(&b, "defghij", 7, 10), 0);
	assert_int_equal(b.size, 10);
	assert_string_equal((char *)b.ptr, "abcdefghij");
	/* One byte over the bound is refused and leaves the buffer intact. */
	assert_int_equal(ksef__buf_put(&b, "k", 1, 10), KSEF_ETOOBIG);
	assert_int_equal(b.size, 10);
	ksef_buf_dispose(&b);
	assert_null(b.ptr);
	assert_int_equal(b.size, 0);
}

static void refuses_a_length_that_overflows_size_t(void **state)
{
	ksef_buf b = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef__buf_put(&b, "a", 1, 100), 0);
	assert_int_equal(ksef__buf_grow(&b, (size_t)-1, (size_t)-1),
			 KSEF_ETOOBIG);
	ksef_buf_dispose_secure(&b);
}

static void printf_appends_formatted_text(void **state)
{
	ksef_buf b = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef__buf_printf(&b, 100, "%s-%d", "x", 42), 0);
	assert_int_equal(ksef__buf_printf(&b, 100, "/%02X", 7), 0);
	assert_string_equal((char *)b.ptr, "x-42/07");
	assert_int_equal(ksef__buf_printf(&b, 8, "toolong"), KSEF_ETOOBIG);
	ksef_buf_dispose(&b);
}

static void error_messages_carry_code_and_line(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(ksef__error_set_line(&err, KSEF_EPARSE, 12, "bad %s",
					      "P_2"), KSEF_EPARSE);
	assert_int_equal(err.code, KSEF_EPARSE);
	assert_int_equal(err.line, 12);
	assert_string_equal(err.message, "bad P_2");
	/* NULL err is allowed and still returns the code. */
	assert_int_equal(ksef__error_set(NULL, KSEF_EIO, "x"), KSEF_EIO);
	assert_string_equal(ksef_strerror(KSEF_ENOMEM), "out of memory");
	assert_string_equal(ksef_strerror(12345), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grows_within_its_bound),
		cmocka_unit_test(refuses_a_length_that_overflows_size_t),
		cmocka_unit_test(printf_appends_formatted_text),
		cmocka_unit_test(error_messages_carry_code_and_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
