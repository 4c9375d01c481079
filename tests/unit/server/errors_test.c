/*
 * errors_test.c - a failure of the server itself (errors_internal) answers
 * 500 with a detail that names the request, never the failure's own text
 * (which may name the store's tables or files); that text goes to the log.
 */
#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include "errors.h"
#include "server.h"

static void an_internal_failure_exposes_nothing(void **state)
{
	struct server srv;
	struct request req;
	ksef_error err;
	const char *body;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	memset(&req, 0, sizeof(req));
	req.srv = &srv;
	strcpy(req.trace_id, "0123456789abcdef0123456789abcdef");
	snprintf(err.message, sizeof(err.message),
		 "database: add invoice: disk I/O error in invoice_blobs");
	errors_internal(&req, &err);
	assert_true(req.responded);
	assert_int_equal(req.status, 500);
	body = (const char *)req.reply.ptr;
	assert_non_null(body);
	assert_null(strstr(body, "invoice_blobs"));
	assert_null(strstr(body, "database"));
	assert_non_null(strstr(body, "21405"));
	/* ExceptionInfo.referenceNumber: 36 characters, the trace id as a
	 * UUID, named in the detail too. */
	assert_non_null(strstr(body, "\"referenceNumber\":"
		"\"01234567-89ab-cdef-0123-456789abcdef\""));
	assert_non_null(strstr(body, "podaj referenceNumber "
		"01234567-89ab-cdef-0123-456789abcdef"));
	ksef_buf_dispose(&req.reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_internal_failure_exposes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
