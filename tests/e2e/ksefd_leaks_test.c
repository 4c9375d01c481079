/*
 * ksefd_leaks_test.c - ksefd under valgrind: a session with accepted,
 * rejected and duplicate invoices, some refused requests, then a graceful
 * shutdown; the limits operations and a 429 likewise. valgrind's exit status (99 on any memory error or leak) is
 * ksefd's, so a leak anywhere on these paths fails the test.
 */
#include "testsupport.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "e2e.h"
#include "http_raw.h"
#include "ksefd_harness.h"

#define NIP "5265877635"

static void ksefd_frees_everything_it_allocates(void **state)
{
	struct ksefd_proc p;
	struct login l;
	char tok[256], sref[KSEF_REFNUM_BUFSZ], refs[3][KSEF_REFNUM_BUFSZ];
	ksef_envelope *env = NULL;
	ksef_buf xml = KSEF_BUF_INIT, bad = KSEF_BUF_INIT;
	ksef_api_invoice_status *st;
	struct raw_response r;
	ksef_error err;
	int i;

	(void)state;
	setenv("KSEFD_WRAPPER", "valgrind --quiet --error-exitcode=99 "
	       "--leak-check=full --errors-for-leak-kinds=definite,indirect "
	       "--show-leak-kinds=definite,indirect", 1);
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, NULL);
	ksefd_token(&p, NIP, "InvoiceWrite,InvoiceRead", tok, sizeof(tok));
	login(&l, &p, NIP, tok);
	open_session(&l, KSEF_FORM_FA3, &env, sref);
	gen(&xml, KSEF_FORM_FA3, NIP, "LEAK", 1, NULL);
	gen(&bad, KSEF_FORM_FA3, NIP, "LEAK", 2, NULL);
	ts_replace(&bad, "<P_15>", "<P_15X>");
	ts_replace(&bad, "</P_15>", "</P_15X>");
	send_xml(&l, sref, env, &xml, refs[0]);
	send_xml(&l, sref, env, &bad, refs[1]);
	send_xml(&l, sref, env, &xml, refs[2]);
	for (i = 0; i < 3; i++) {
		st = wait_invoice(&l, sref, refs[i]);
		assert_int_equal(st->status->code, i == 0 ? 200 : i == 1 ? 450 : 440);
		ksef_api_invoice_status_free(st);
	}
	assert_int_equal(ksef_client_session_close(l.c, sref, &err), 0);
	assert_int_equal(wait_session(&l, sref, NULL), 200);
	raw_request(&r, "POST", url(&p, "/sessions/online"),
		    l.tokens->access_token->token, NULL, "{\"x\":", 5);
	assert_int_equal(r.status, 400);
	raw_free(&r);
	raw_request(&r, "GET", url(&p, "/nothing"), NULL, NULL, NULL, 0);
	assert_int_equal(r.status, 404);
	raw_free(&r);
	ksef_envelope_free(env);
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&bad);
	logout(&l);
	if (ksefd_stop(&p) != 0) {
		ts_system("cat '%s' >&2", p.log_path);
		fail_msg("ksefd under valgrind reported errors or leaks");
	}
	ksefd_cleanup(&p);
	unsetenv("KSEFD_WRAPPER");
}

/* The limits operations (api_limits.c, ctx_limits.c, store_limits.c),
 * their refusals and a 429 under a context's own rate limits. */
static void the_limits_operations_free_what_they_allocate(void **state)
{
	static const char *const calls[][3] = {
		{ "GET", "/limits/context", NULL },
		{ "GET", "/limits/subject", NULL },
		{ "GET", "/rate-limits", NULL },
		{ "POST", "/testdata/limits/context/session",
		  "{\"onlineSession\":{\"maxInvoiceSizeInMB\":2,"
		  "\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":5},"
		  "\"batchSession\":{\"maxInvoiceSizeInMB\":1,"
		  "\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":5}}" },
		{ "POST", "/testdata/limits/context/session",
		  "{\"onlineSession\":{}}" },
		{ "GET", "/limits/context", NULL },
		{ "DELETE", "/testdata/limits/context/session", NULL },
		{ "POST", "/testdata/limits/subject/certificate",
		  "{\"certificate\":{\"maxCertificates\":3}}" },
		{ "POST", "/testdata/limits/subject/certificate",
		  "{\"subjectIdentifierType\":\"Pesel\"}" },
		{ "DELETE", "/testdata/limits/subject/certificate", NULL },
		{ "POST", "/testdata/rate-limits", "{\"rateLimits\":{}}" },
		{ "POST", "/testdata/rate-limits/production", NULL },
		{ "GET", "/rate-limits", NULL },
		{ "DELETE", "/testdata/rate-limits", NULL },
	};
	struct ksefd_proc p;
	struct login l;
	struct raw_response r;
	char tok[256];
	size_t i;
	int limited = 0;

	(void)state;
	setenv("KSEFD_WRAPPER", "valgrind --quiet --error-exitcode=99 "
	       "--leak-check=full --errors-for-leak-kinds=definite,indirect "
	       "--show-leak-kinds=definite,indirect", 1);
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, NULL);
	ksefd_token(&p, NIP, "InvoiceWrite,InvoiceRead", tok, sizeof(tok));
	login(&l, &p, NIP, tok);
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		raw_request(&r, calls[i][0], url(&p, calls[i][1]),
			    l.tokens->access_token->token, NULL, calls[i][2],
			    calls[i][2] ? strlen(calls[i][2]) : 0);
		assert_true(r.status == 200 || r.status == 400);
		raw_free(&r);
	}
	/* The production switch is on: sessionList allows 5 a second. */
	raw_request(&r, "POST", url(&p, "/testdata/rate-limits/production"),
		    l.tokens->access_token->token, NULL, NULL, 0);
	assert_int_equal(r.status, 200);
	raw_free(&r);
	for (i = 0; i < 8 && !limited; i++) {
		raw_request(&r, "GET", url(&p, "/sessions?sessionType=Online"),
			    l.tokens->access_token->token, NULL, NULL, 0);
		limited = r.status == 429;
		raw_free(&r);
	}
	assert_true(limited);
	logout(&l);
	if (ksefd_stop(&p) != 0) {
		ts_system("cat '%s' >&2", p.log_path);
		fail_msg("ksefd under valgrind reported errors or leaks");
	}
	ksefd_cleanup(&p);
	unsetenv("KSEFD_WRAPPER");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ksefd_frees_everything_it_allocates),
		cmocka_unit_test(
			the_limits_operations_free_what_they_allocate),
	};
	/* ksefd compiles the FA (3) schema as it starts. */
	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	signal(SIGPIPE, SIG_IGN);
	if (ksef_global_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
