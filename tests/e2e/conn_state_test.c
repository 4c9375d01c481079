/*
 * conn_state_test.c - a login and an interactive session that outlive
 * their objects (session.h, "Saving ... and resuming"), against the real
 * ksefd: a connection logs in with a KSeF token, opens a session and sends
 * one invoice; both are exported and freed, as a process that ends would;
 * they are resumed without any credential, a second invoice is sent with
 * the saved key, the session is closed and waited for, and both invoices
 * get KSeF numbers and UPOs. The resumed access token, once refused,
 * is refreshed with the saved refresh token; after a revocation the
 * refresh is refused and, with no credential, not replaced by a login.
 * A connection prepared without logging in keeps the status of a login
 * that failed, and the answer to a session that could not be opened.
 */
#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include "ksef/ksef.h"
#include "ksef/session.h"
#include "auth.h"
#include "e2e.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
#define WAIT_MS 60000L

static struct ksefd_proc srv;
static char token[256];
static char today[KSEF_DATE_BUFSZ];

static int setup(void **state)
{
	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	memset(&srv, 0, sizeof(srv));
	ksefd_start(&srv, NULL, NULL);
	ksefd_token(&srv, NIP, "InvoiceWrite,InvoiceRead", token,
		    sizeof(token));
	date_from_today(today, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(ksefd_stop(&srv), 0);
	ksefd_cleanup(&srv);
	return 0;
}

/* The client options every connection of this file points to. */
static ksef_client_options client_opts;

static void options(ksef_conn_options *o)
{
	conn_options_for(o, &client_opts, &srv, NIP);
}

static void send_one(ksef_session *s, uint64_t index)
{
	ksef_buf xml = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_error err;

	gen(&xml, KSEF_FORM_FA3, NIP, "RS", index, today);
	if (ksef_session_send(ref, s, xml.ptr, xml.size, NULL, &err) != 0)
		fail_msg("send: %s", err.message);
	ksef_buf_dispose(&xml);
}

static void a_session_goes_on_after_both_objects_are_gone(void **state)
{
	ksef_conn_options o;
	ksef_conn *c = NULL;
	ksef_session *s = NULL;
	ksef_buf cstate = KSEF_BUF_INIT, sstate = KSEF_BUF_INIT,
		 upo = KSEF_BUF_INIT;
	ksef_error err;
	unsigned long auths, refreshes;
	char sref[KSEF_REFNUM_BUFSZ];
	size_t i;

	(void)state;
	/* The first run: log in, open, send one, save, end. */
	options(&o);
	o.ksef_token = token;
	if (ksef_conn_new(&c, &o, &err) != 0 ||
	    ksef_session_open(&s, c, KSEF_FORM_FA3, &err) != 0)
		fail_msg("login/open: %s", err.message);
	send_one(s, 1);
	snprintf(sref, sizeof(sref), "%s", ksef_session_reference(s));
	if (ksef_conn_export(&cstate, c, &err) != 0 ||
	    ksef_session_export(&sstate, s, &err) != 0)
		fail_msg("export: %s", err.message);
	assert_null(strstr((const char *)cstate.ptr, token));
	ksef_session_free(s);
	ksef_conn_free(c);
	s = NULL;
	c = NULL;

	/* The second run: no credential, only the saved state. */
	options(&o);
	o.context_value = NULL;
	if (ksef_conn_resume(&c, &o, (const char *)cstate.ptr, cstate.size,
			     &err) != 0 ||
	    ksef_session_resume(&s, c, (const char *)sstate.ptr, sstate.size,
				&err) != 0)
		fail_msg("resume: %s", err.message);
	assert_string_equal(ksef_session_reference(s), sref);
	assert_int_equal(ksef_session_form(s), KSEF_FORM_FA3);
	assert_true(ksef_session_valid_until(s) > ksef_time_now().unix_ms);
	send_one(s, 2);
	if (ksef_session_close(s, &err) != 0 ||
	    ksef_session_wait(s, WAIT_MS, &err) != 0)
		fail_msg("close/wait: %s", err.message);
	assert_int_equal(ksef_session_status(s), KSEF_SESSION_CODE_OK);
	assert_int_equal(ksef_session_invoice_count(s), 2);
	for (i = 0; i < 2; i++) {
		const ksef_session_invoice *e = ksef_session_invoice_at(s, i);

		if (e->status != 200)
			fail_msg("invoice %zu: %d %s", i, e->status,
				 e->details ? e->details : "");
		if (ksef_session_invoice_upo(&upo, s, e->reference_number,
					     &err) != 0)
			fail_msg("UPO: %s", err.message);
		assert_non_null(strstr((const char *)upo.ptr,
				       e->ksef_number));
	}
	/* No new login was needed for any of it. */
	ksef_conn_counters(&auths, &refreshes, c);
	assert_int_equal(auths, 0);

	/* A refused access token is refreshed with the saved one. */
	ksef__conn_spoil_access_token(c);
	if (ksef_conn_invoice_download(&upo, c,
			ksef_session_invoice_at(s, 0)->ksef_number, &err) != 0)
		fail_msg("download: %s", err.message);
	ksef_conn_counters(&auths, &refreshes, c);
	assert_int_equal(auths, 0);
	assert_int_equal(refreshes, 1);

	/* Revoked, the login cannot be renewed without a credential. */
	if (ksef_conn_revoke(c, &err) != 0)
		fail_msg("revoke: %s", err.message);
	assert_int_equal(ksef_conn_refresh(c, &err), KSEF_ENOTFOUND);
	ksef_conn_counters(&auths, NULL, c);
	assert_int_equal(auths, 0);

	ksef_buf_dispose(&upo);
	ksef_buf_dispose_secure(&cstate);
	ksef_buf_dispose_secure(&sstate);
	ksef_session_free(s);
	ksef_conn_free(c);
}

static void a_revoked_login_resumed_elsewhere_is_refused(void **state)
{
	ksef_conn_options o;
	ksef_conn *c = NULL, *again = NULL;
	ksef_buf cstate = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	options(&o);
	o.ksef_token = token;
	if (ksef_conn_new(&c, &o, &err) != 0 ||
	    ksef_conn_export(&cstate, c, &err) != 0 ||
	    ksef_conn_revoke(c, &err) != 0)
		fail_msg("login/export/revoke: %s", err.message);
	/* Another process still has the state from before the revocation:
	 * its refresh token is refused by the server. */
	if (ksef_conn_resume(&again, NULL, (const char *)cstate.ptr,
			     cstate.size, &err) != 0)
		fail_msg("resume: %s", err.message);
	assert_int_equal(ksef_conn_refresh(again, &err), KSEF_EHTTP);
	ksef_buf_dispose_secure(&cstate);
	ksef_conn_free(again);
	ksef_conn_free(c);
}

static void a_prepared_connection_tells_why_its_login_failed(void **state)
{
	ksef_conn_options o;
	ksef_conn *c = NULL;
	ksef_error err;
	unsigned long auths;

	(void)state;
	options(&o);
	o.ksef_token = "20251010-EC-1DCE3E3000-12ECB5B36E-45|nip-" NIP "|00";
	assert_int_equal(ksef_conn_prepare(&c, &o, &err), 0);
	assert_int_equal(ksef_conn_refresh(c, &err), KSEF_EHTTP);
	assert_int_equal(ksef_conn_auth_status(c), 450);
	/* A right token, and the same object logs in. */
	ksef_conn_free(c);
	o.ksef_token = token;
	assert_int_equal(ksef_conn_prepare(&c, &o, &err), 0);
	if (ksef_conn_refresh(c, &err) != 0)
		fail_msg("login: %s", err.message);
	assert_int_equal(ksef_conn_auth_status(c), 200);
	ksef_conn_counters(&auths, NULL, c);
	assert_int_equal(auths, 1);
	ksef_conn_free(c);
}

static void a_session_that_cannot_open_leaves_its_answer(void **state)
{
	ksef_conn_options o;
	ksef_conn *c = NULL;
	ksef_session *s = NULL;
	const ksef_api_error *e;
	char read_only[256];
	ksef_error err;

	(void)state;
	ksefd_token(&srv, NIP, "InvoiceRead", read_only, sizeof(read_only));
	options(&o);
	o.ksef_token = read_only;
	if (ksef_conn_new(&c, &o, &err) != 0)
		fail_msg("login: %s", err.message);
	assert_null(ksef_conn_last_error(c));
	assert_int_equal(ksef_session_open(&s, c, KSEF_FORM_FA3, &err),
			 KSEF_EHTTP);
	assert_null(s);
	e = ksef_conn_last_error(c);
	assert_non_null(e);
	assert_int_equal(e->http_status, 403);
	/* The connection goes on working with the client it was given. */
	if (ksef_conn_refresh(c, &err) != 0)
		fail_msg("refresh: %s", err.message);
	assert_null(ksef_conn_last_error(c));
	ksef_conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_session_goes_on_after_both_objects_are_gone),
		cmocka_unit_test(a_revoked_login_resumed_elsewhere_is_refused),
		cmocka_unit_test(
			a_prepared_connection_tells_why_its_login_failed),
		cmocka_unit_test(a_session_that_cannot_open_leaves_its_answer),
	};
	/* ksefd needs the official schemas; without them this skips. */
	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	return cmocka_run_group_tests(tests, setup, teardown);
}
