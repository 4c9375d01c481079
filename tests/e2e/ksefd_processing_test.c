/*
 * ksefd_processing_test.c - the seeming processing time
 * (--processing-delay): an authentication shows 100 within the delay and
 * to its first status call however late, and cannot be redeemed while it
 * shows 100; an invoice shows 150 with nothing of its verdict, then its
 * final status; a session decided within the delay shows 170 without its
 * UPO. With --processing-delay 0 every decision shows at once.
 */
#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "e2e.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
/* Long enough that a slow (sanitised, or loaded) run still calls within
 * it: 3 s was once too short on a machine busy with other builds. */
#define DELAY_MS 6000
#define DELAY_ARG "6000"

/* The test's ksefd, stopped by the teardown even when an assertion ends
 * the test early. */
static struct ksefd_proc srv;

static int stop_ksefd(void **state)
{
	(void)state;
	if (srv.pid > 0) {
		ksefd_stop(&srv);
		ksefd_cleanup(&srv);
	}
	memset(&srv, 0, sizeof(srv));
	return 0;
}

struct started {
	ksef_client *c;
	char ref[KSEF_REFNUM_BUFSZ];
	char token[4096];
};

/* An authentication started with a KSeF token, not polled yet. */
static void start_auth(struct started *a, const struct ksefd_proc *p,
		       const char *tok)
{
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	ksef_pubkey *key;
	ksef_error err;

	a->c = client_for(p);
	key = server_key(a->c, KSEF_KEY_USAGE_KSEF_TOKEN);
	if (ksef_client_auth_challenge(&ch, a->c, &err) != 0 ||
	    ksef_client_auth_ksef_token(&init, a->c, ch, KSEF_CONTEXT_NIP,
					NIP, tok, key, NULL, &err) != 0)
		fail_msg("auth: %s", err.message);
	snprintf(a->ref, sizeof(a->ref), "%s", init->reference_number);
	snprintf(a->token, sizeof(a->token), "%s",
		 init->authentication_token->token);
	ksef_api_auth_init_free(init);
	ksef_api_challenge_free(ch);
	ksef_pubkey_free(key);
}

static int auth_code(struct started *a)
{
	ksef_api_auth_status *st = NULL;
	ksef_error err;
	int code;

	if (ksef_client_auth_status(&st, a->c, a->ref, a->token, &err) != 0)
		fail_msg("auth status: %s", err.message);
	code = st->status->code;
	ksef_api_auth_status_free(st);
	return code;
}

static void auth_shows_100_first_and_cannot_be_redeemed_meanwhile(
	void **state)
{
	const char *const args[] = { "--processing-delay", DELAY_ARG, NULL };
	struct started a, late;
	ksef_api_tokens *t = NULL;
	ksef_error err;
	char tok[256];

	(void)state;
	ksefd_start(&srv, NULL, args);
	ksefd_token(&srv, NIP, "InvoiceWrite,InvoiceRead", tok, sizeof(tok));
	start_auth(&a, &srv, tok);
	assert_int_equal(auth_code(&a), 100);
	assert_int_not_equal(ksef_client_auth_redeem(&t, a.c, a.token, &err),
			     0);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(a.c),
					    21301));
	assert_int_equal(auth_wait(a.c, a.ref, a.token), 200);
	assert_int_equal(ksef_client_auth_redeem(&t, a.c, a.token, &err), 0);
	ksef_api_tokens_free(t);

	/* Asked first after the delay: 100 once all the same, then 200. */
	start_auth(&late, &srv, tok);
	e2e_sleep_us((DELAY_MS + 300) * 1000u);
	assert_int_equal(auth_code(&late), 100);
	assert_int_equal(auth_code(&late), 200);
	ksef_client_free(late.c);
	ksef_client_free(a.c);
	assert_int_equal(ksefd_stop(&srv), 0);
	ksefd_cleanup(&srv);
	memset(&srv, 0, sizeof(srv));
}

static void an_invoice_shows_150_then_its_verdict(void **state)
{
	const char *const args[] = { "--processing-delay", DELAY_ARG, NULL };
	struct login l;
	ksef_envelope *env = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_api_invoice_status *st = NULL;
	ksef_api_session_status *ss = NULL;
	char tok[256], sref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ];
	ksef_error err;

	(void)state;
	ksefd_start(&srv, NULL, args);
	ksefd_token(&srv, NIP, "InvoiceWrite,InvoiceRead", tok, sizeof(tok));
	login(&l, &srv, NIP, tok);
	open_session(&l, KSEF_FORM_FA3, &env, sref);
	gen(&xml, KSEF_FORM_FA3, NIP, "DELAY", 1, NULL);
	send_xml(&l, sref, env, &xml, iref);
	if (ksef_client_session_invoice(&st, l.c, sref, iref, &err) != 0)
		fail_msg("invoice status: %s", err.message);
	assert_int_equal(st->status->code, 150);
	assert_null(st->ksef_number);
	assert_null(st->upo_download_url);
	ksef_api_invoice_status_free(st);
	/* Closed at once: decided, but shown 170 while its invoice is 150. */
	assert_int_equal(ksef_client_session_close(l.c, sref, &err), 0);
	e2e_sleep_us(1000000); /* the housekeeper decides it meanwhile */
	if (ksef_client_session_status(&ss, l.c, sref, &err) != 0)
		fail_msg("session status: %s", err.message);
	assert_int_equal(ss->status->code, 170);
	assert_int_equal(ksef_api_upo_pages_count(ss->upo_pages), 0);
	ksef_api_session_status_free(ss);

	st = wait_invoice(&l, sref, iref);
	assert_int_equal(st->status->code, 200);
	assert_non_null(st->ksef_number);
	ksef_api_invoice_status_free(st);
	assert_int_equal(wait_session(&l, sref, NULL), 200);
	ksef_envelope_free(env);
	ksef_buf_dispose(&xml);
	logout(&l);
	assert_int_equal(ksefd_stop(&srv), 0);
	ksefd_cleanup(&srv);
	memset(&srv, 0, sizeof(srv));
}

static void no_delay_shows_every_decision_at_once(void **state)
{
	const char *const args[] = { "--processing-delay", "0", NULL };
	struct started a;
	char tok[256];

	(void)state;
	ksefd_start(&srv, NULL, args);
	ksefd_token(&srv, NIP, "InvoiceWrite,InvoiceRead", tok, sizeof(tok));
	start_auth(&a, &srv, tok);
	assert_int_equal(auth_code(&a), 200);
	ksef_client_free(a.c);
	assert_int_equal(ksefd_stop(&srv), 0);
	ksefd_cleanup(&srv);
	memset(&srv, 0, sizeof(srv));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(
			auth_shows_100_first_and_cannot_be_redeemed_meanwhile,
			stop_ksefd),
		cmocka_unit_test_teardown(an_invoice_shows_150_then_its_verdict,
					  stop_ksefd),
		cmocka_unit_test_teardown(no_delay_shows_every_decision_at_once,
					  stop_ksefd),
	};

	if (ts_schemas_missing())
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
