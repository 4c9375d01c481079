/*
 * errors_test.c - a failure of the server itself (errors_internal) answers
 * 500 with a detail that names the request, never the failure's own text
 * (which may name the store's tables or files); that text goes to the log.
 * Every exceptionDescription ksefd gives is open-api.json's for its code,
 * and the codes of batch sessions and retrieval have one.
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

/* Whether the contract's table of codes has "| CODE   | DESCRIPTION". */
static int in_contract(const char *api, int code, const char *description)
{
	char key[16];
	const char *p = api, *q;

	snprintf(key, sizeof(key), "%d ", code);
	while ((p = strstr(p, key)) != NULL) {
		q = p + strlen(key);
		while (*q == ' ')
			q++;
		if (*q == '|') {
			q++;
			while (*q == ' ')
				q++;
			if (strncmp(q, description, strlen(description)) == 0)
				return 1;
		}
		p++;
	}
	return 0;
}

static void every_description_is_the_contracts(void **state)
{
	/* Codes the batch and retrieval routes answer with. */
	static const int answered[] = { 21157, 21161, 21175, 21181, 21182,
					21183, 21205, 21208 };
	ksef_buf api = KSEF_BUF_INIT;
	const char *d;
	size_t i, n = 0;
	int code;

	(void)state;
	ts_read_file(&api, ts_shared_path("ksef-docs/open-api.json"));
	for (code = 1; code < 100000; code++) {
		if ((d = errors_description(code)) == NULL)
			continue;
		n++;
		if (!in_contract((const char *)api.ptr, code, d))
			fail_msg("%d \"%s\" is not open-api.json's", code, d);
	}
	assert_true(n >= 30); /* the table is read at all */
	for (i = 0; i < sizeof(answered) / sizeof(answered[0]); i++)
		if (errors_description(answered[i]) == NULL)
			fail_msg("%d has no exceptionDescription", answered[i]);
	ksef_buf_dispose(&api);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_internal_failure_exposes_nothing),
		cmocka_unit_test(every_description_is_the_contracts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
