/*
 * client_script_test.c - scripted answers (ksef__client_script(),
 * client_int.h), which the client fuzz target uses to play a hostile
 * server without a socket. They must reach the client as libcurl would
 * hand the same bytes over: the status line, each header through the
 * header callback, the body through the body callback, one answer per
 * attempt, and a used-up or malformed script as a network failure.
 */
#include "testsupport.h"
#include <string.h>
#include "ksef/client.h"
#include "client_int.h"

#define SEP "\n--next-answer--\n"
#define SESSION "20250625-SO-2C3E6C8000-B675CF5D68-07"

static ksef_client *client(int retries)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;

	o.base_url = "http://127.0.0.1:1/v2";
	o.max_retries = retries;
	o.retry_backoff_ms = 0;
	o.max_rate_limit_waits = 0;
	o.max_retry_after_s = 0;
	assert_int_equal(ksef_client_new(&c, &o, NULL), 0);
	assert_int_equal(ksef_client_set_access_token(c, "a.b.c", NULL), 0);
	return c;
}

static void a_scripted_answer_reaches_the_result_reader(void **state)
{
	static const char script[] =
		"HTTP/1.1 200 OK\r\n"
		"Content-Type: application/json\r\n"
		"X-System-Warning: planned maintenance\r\n"
		"\r\n"
		"{\"challenge\":\"20250514-CR-226FB7B000-3ACF9BE4C0-10\","
		"\"timestamp\":\"2025-06-26T10:00:00.000+02:00\","
		"\"timestampMs\":1750924800000,\"clientIp\":\"192.0.2.1\"}";
	ksef_client *c = client(0);
	ksef_api_challenge *ch = NULL;

	(void)state;
	ksef__client_script(c, (const unsigned char *)script,
			    sizeof(script) - 1);
	assert_int_equal(ksef_client_auth_challenge(&ch, c, NULL), 0);
	assert_string_equal(ch->challenge,
			    "20250514-CR-226FB7B000-3ACF9BE4C0-10");
	assert_string_equal(ch->client_ip, "192.0.2.1");
	assert_int_equal(ksef_client_last_http_status(c), 200);
	assert_string_equal(ksef_client_last_warning(c),
			    "planned maintenance");
	ksef_api_challenge_free(ch);
	ksef_client_free(c);
}

static void an_error_answer_is_parsed_with_its_headers(void **state)
{
	static const char script[] =
		"HTTP/1.1 429 Too Many Requests\r\n"
		"Retry-After: 30\r\n"
		"\r\n"
		"{\"status\":{\"code\":429,\"description\":\"Too Many "
		"Requests\",\"details\":[\"Limit\"]}}";
	ksef_client *c = client(0);
	const ksef_api_error *e;
	ksef_error err;

	(void)state;
	ksef__client_script(c, (const unsigned char *)script,
			    sizeof(script) - 1);
	assert_int_equal(ksef_client_session_close(c, SESSION, &err),
			 KSEF_ERATELIMIT);
	e = ksef_client_last_error(c);
	assert_non_null(e);
	assert_int_equal(e->http_status, 429);
	assert_int_equal(e->retry_after, 30);
	ksef_client_free(c);
}

static void each_attempt_takes_the_next_answer(void **state)
{
	/* A 503 to a read that may be repeated is retried: the retry gets
	 * the second answer, after an interim 100 Continue. */
	static const char script[] =
		"HTTP/1.1 503 Service Unavailable\r\n\r\n<html>down</html>"
		SEP
		"HTTP/1.1 100 Continue\r\n\r\n"
		"HTTP/1.1 200 OK\r\n\r\n"
		"{\"status\":{\"code\":170,\"description\":\"closed\"},"
		"\"dateCreated\":\"2025-06-26T10:00:00.000+02:00\","
		"\"dateUpdated\":\"2025-06-26T10:00:00.000+02:00\"}";
	ksef_client *c = client(1);
	ksef_api_session_status *st = NULL;
	ksef_error err;

	(void)state;
	ksef__client_script(c, (const unsigned char *)script,
			    sizeof(script) - 1);
	if (ksef_client_session_status(&st, c, SESSION, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(st->status->code, 170);
	ksef_api_session_status_free(st);
	ksef_client_free(c);
}

static void a_used_up_or_malformed_script_is_a_network_failure(void **state)
{
	static const char bad[] = "HTTP/1.1 2x0 OK\r\n\r\n{}";
	ksef_client *c = client(0);
	ksef_api_challenge *ch = NULL;
	ksef_error err;

	(void)state;
	ksef__client_script(c, (const unsigned char *)"", 0);
	assert_int_equal(ksef_client_auth_challenge(&ch, c, &err),
			 KSEF_ENETWORK);
	assert_null(ch);
	ksef__client_script(c, (const unsigned char *)bad, sizeof(bad) - 1);
	assert_int_equal(ksef_client_auth_challenge(&ch, c, &err),
			 KSEF_ENETWORK);
	assert_null(ch);
	ksef_client_free(c);
}

static void a_body_over_the_bound_is_refused_by_its_length(void **state)
{
	static const char script[] =
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n{}";
	ksef_client *c = client(0);
	ksef_api_challenge *ch = NULL;

	(void)state;
	ksef__client_script(c, (const unsigned char *)script,
			    sizeof(script) - 1);
	assert_int_equal(ksef_client_auth_challenge(&ch, c, NULL),
			 KSEF_ETOOBIG);
	ksef_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_scripted_answer_reaches_the_result_reader),
		cmocka_unit_test(an_error_answer_is_parsed_with_its_headers),
		cmocka_unit_test(each_attempt_takes_the_next_answer),
		cmocka_unit_test(
			a_used_up_or_malformed_script_is_a_network_failure),
		cmocka_unit_test(
			a_body_over_the_bound_is_refused_by_its_length),
	};

	if (ksef_global_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
