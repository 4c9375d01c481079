/*
 * request_test.c - what request.c adds to a request: the reference numbers
 * on its log line, and the escaping that keeps a client's text from
 * forging log lines or fields.
 */
#include "testsupport.h"
#include <string.h>
#include "server.h"

static void visible_ascii_stays_as_it_is(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(request_log_escape(out, sizeof(out),
		"/v2/sessions/20250625-SO-2C3E6C8000-B675CF5D68-07"), 49);
	assert_string_equal(out,
		"/v2/sessions/20250625-SO-2C3E6C8000-B675CF5D68-07");
}

static void newlines_spaces_and_controls_become_hex(void **state)
{
	char out[64];

	(void)state;
	request_log_escape(out, sizeof(out), "a\nb c\rd\te\x1b[0m");
	assert_string_equal(out, "a\\x0ab\\x20c\\x0dd\\x09e\\x1b[0m");
	/* The escape character itself, so that no output is ambiguous. */
	request_log_escape(out, sizeof(out), "a\\x0a");
	assert_string_equal(out, "a\\x5cx0a");
}

static void bytes_over_ascii_become_hex(void **state)
{
	char out[64];

	(void)state;
	request_log_escape(out, sizeof(out), "\xc5\xbc\xff");
	assert_string_equal(out, "\\xc5\\xbc\\xff");
}

static void output_is_cut_whole_at_the_buffer(void **state)
{
	char out[8];

	(void)state;
	/* Never half an escape: "abc" and then "\x0a" need 8 bytes. */
	assert_int_equal(request_log_escape(out, 6, "abc\nd"), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(request_log_escape(out, sizeof(out), "abc\nd"), 7);
	assert_string_equal(out, "abc\\x0a");
	assert_int_equal(request_log_escape(out, sizeof(out), "abcdefghij"),
			 7);
	assert_string_equal(out, "abcdefg");
	assert_int_equal(request_log_escape(out, 1, "abc"), 0);
	assert_string_equal(out, "");
}

static void a_reference_is_logged_once_and_escaped(void **state)
{
	struct request req;

	(void)state;
	memset(&req, 0, sizeof(req));
	request_log_ref(&req, "20250625-SO-2C3E6C8000-B675CF5D68-07");
	request_log_ref(&req, "20250625-SO-2C3E6C8000-B675CF5D68-07");
	request_log_ref(&req, "");
	request_log_ref(&req, NULL);
	assert_string_equal(req.log_refs,
			    " 20250625-SO-2C3E6C8000-B675CF5D68-07");
	request_log_ref(&req, "x y\n");
	assert_string_equal(req.log_refs,
		" 20250625-SO-2C3E6C8000-B675CF5D68-07 x\\x20y\\x0a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(visible_ascii_stays_as_it_is),
		cmocka_unit_test(newlines_spaces_and_controls_become_hex),
		cmocka_unit_test(bytes_over_ascii_become_hex),
		cmocka_unit_test(output_is_cut_whole_at_the_buffer),
		cmocka_unit_test(a_reference_is_logged_once_and_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
