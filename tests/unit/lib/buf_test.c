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
/* ksef_buf_append(): the public bounded append programs use. */

static void append_fills_to_the_limit_and_refuses_one_byte_over(void **state)
{
	ksef_buf b = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef_buf_append(&b, "abcd", 4, 8), 0);
	assert_int_equal(ksef_buf_append(&b, "efgh", 4, 8), 0);
	assert_int_equal(b.size, 8);
	assert_string_equal((char *)b.ptr, "abcdefgh");
	assert_int_equal(ksef_buf_append(&b, "i", 1, 8), KSEF_ETOOBIG);
	/* Refused: the buffer is as it was, still terminated. */
	assert_int_equal(b.size, 8);
	assert_string_equal((char *)b.ptr, "abcdefgh");
	/* Nothing more fits, but appending nothing still does. */
	assert_int_equal(ksef_buf_append(&b, NULL, 0, 8), 0);
	assert_int_equal(b.size, 8);
	ksef_buf_dispose(&b);
}

static void append_of_nothing_leaves_an_empty_terminated_string(
	void **state)
{
	ksef_buf b = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef_buf_append(&b, "", 0, 0), 0);
	assert_non_null(b.ptr);
	assert_int_equal(b.size, 0);
	assert_int_equal(b.ptr[0], '\0');
	assert_int_equal(ksef_buf_append(&b, "x", 1, 0), KSEF_ETOOBIG);
	ksef_buf_dispose(&b);
}

static void append_keeps_binary_bytes_and_grows_past_its_first_block(
	void **state)
{
	unsigned char chunk[100];
	ksef_buf b = KSEF_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = (unsigned char)i; /* with a NUL at 0 */
	for (i = 0; i < 50; i++)
		assert_int_equal(ksef_buf_append(&b, chunk, sizeof(chunk),
						 5000), 0);
	assert_int_equal(b.size, 5000);
	assert_true(b.asize > b.size);
	assert_int_equal(b.ptr[5000], '\0');
	assert_memory_equal(b.ptr + 4900, chunk, sizeof(chunk));
	assert_int_equal(ksef_buf_append(&b, chunk, 1, 5000), KSEF_ETOOBIG);
	ksef_buf_dispose_secure(&b);
}

static void append_refuses_a_length_that_overflows_and_broken_arguments(
	void **state)
{
	ksef_buf b = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef_buf_append(&b, "ab", 2, 10), 0);
	assert_int_equal(ksef_buf_append(&b, "c", (size_t)-1, (size_t)-1),
			 KSEF_ETOOBIG);
	assert_int_equal(b.size, 2);
	assert_int_equal(ksef_buf_append(NULL, "c", 1, 10), KSEF_EINVAL);
	assert_int_equal(ksef_buf_append(&b, NULL, 1, 10), KSEF_EINVAL);
	assert_string_equal((char *)b.ptr, "ab");
	ksef_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grows_within_its_bound),
		cmocka_unit_test(refuses_a_length_that_overflows_size_t),
		cmocka_unit_test(printf_appends_formatted_text),
		cmocka_unit_test(error_messages_carry_code_and_line),
		cmocka_unit_test(
			append_fills_to_the_limit_and_refuses_one_byte_over),
		cmocka_unit_test(
			append_of_nothing_leaves_an_empty_terminated_string),
		cmocka_unit_test(
		  append_keeps_binary_bytes_and_grows_past_its_first_block),
		cmocka_unit_test(
		  append_refuses_a_length_that_overflows_and_broken_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
