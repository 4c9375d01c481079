/*
 * session_api_test.c - the high-level client (session.h) against the real
 * ksefd: a connection logs in with a KSeF token and with a XAdES signature
 * of a generated certificate, renews its access token before every call,
 * after a 401 and after its authentication is revoked; sessions send,
 * close, wait and fetch every UPO, two at once from two threads; a resent
 * invoice names the KSeF number it was accepted under; the reconciling
 * send finds an invoice already in the session instead of sending it
 * twice; a withdrawn key is fetched again.
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "ksef/session.h"
#include "auth.h"
#include "e2e.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
#define WAIT_MS 60000L

static struct ksefd_proc srv;
static char token_main[256];
static char today[KSEF_DATE_BUFSZ];

static int setup(void **state)
{
	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	memset(&srv, 0, sizeof(srv));
	ksefd_start(&srv, NULL, NULL);
	ksefd_token(&srv, NIP, "InvoiceWrite,InvoiceRead", token_main,
		    sizeof(token_main));
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

/* What conn_options() points every connection's client options at. */
static ksef_client_options client_opts;

static void conn_options(ksef_conn_options *o)
{
	conn_options_for(o, &client_opts, &srv, NIP);
}

static ksef_conn *token_conn(long refresh_margin_s)
{
	ksef_conn_options o;
	ksef_conn *c = NULL;
	ksef_error err;

	conn_options(&o);
	o.ksef_token = token_main;
	if (refresh_margin_s >= 0)
		o.refresh_margin_s = refresh_margin_s;
	if (ksef_conn_new(&c, &o, &err) != 0)
		fail_msg("conn: %s", err.message);
	return c;
}

static void gen_invoice(ksef_buf *out, const char *prefix, uint64_t i)
{
	gen(out, KSEF_FORM_FA3, NIP, prefix, i, today);
}

/* Open, send n invoices of a series, close, wait: every one 200. */
static ksef_session *send_series(ksef_conn *c, const char *prefix, int n)
{
	ksef_session *s = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_error err;
	int i;

	if (ksef_session_open(&s, c, KSEF_FORM_FA3, &err) != 0)
		fail_msg("open: %s", err.message);
	for (i = 0; i < n; i++) {
		gen_invoice(&xml, prefix, (uint64_t)i + 1);
		if (ksef_session_send(ref, s, xml.ptr, xml.size, NULL,
				      &err) != 0)
			fail_msg("send: %s", err.message);
		assert_int_equal(ksef_refnum_type_of(ref, strlen(ref)),
				 KSEF_REFNUM_INVOICE);
	}
	if (ksef_session_close(s, &err) != 0 ||
	    ksef_session_wait(s, WAIT_MS, &err) != 0)
		fail_msg("close/wait: %s", err.message);
	assert_int_equal(ksef_session_invoice_count(s), (size_t)n);
	for (i = 0; i < n; i++) {
		const ksef_session_invoice *e = ksef_session_invoice_at(s,
							(size_t)i);

		if (e->status != 200)
			fail_msg("invoice %d: %d %s %s", i, e->status,
				 e->description, e->details ? e->details : "");
		assert_non_null(e->ksef_number);
		assert_null(e->duplicate_of);
		assert_int_equal(e->reconciled, 0);
	}
	assert_int_equal(ksef_session_status(s), KSEF_SESSION_CODE_OK);
	ksef_buf_dispose(&xml);
	return s;
}

static void session_codes_carry_their_official_descriptions(void **state)
{
	(void)state;
	assert_string_equal(ksef_session_status_description(200),
			    "Sesja interaktywna przetworzona pomyślnie");
	assert_string_equal(ksef_session_status_description(445),
			    "Błąd weryfikacji, brak poprawnych faktur");
	assert_string_equal(ksef_session_status_description(170),
			    "Sesja interaktywna zamknięta");
	assert_null(ksef_session_status_description(999));
	assert_false(ksef_session_status_is_final(KSEF_SESSION_CODE_OPEN));
	assert_false(ksef_session_status_is_final(KSEF_SESSION_CODE_CLOSED));
	assert_true(ksef_session_status_is_final(KSEF_SESSION_CODE_CANCELLED));
	assert_string_equal(ksef_invoice_status_description(
				    KSEF_INVOICE_STATUS_DUPLICATE),
			    "Duplikat faktury");
}

static void conn_refuses_none_or_both_credentials(void **state)
{
	ksef_conn_options o;
	ksef_conn *c = (ksef_conn *)&o;
	ksef_error err;

	(void)state;
	conn_options(&o);
	assert_int_equal(ksef_conn_new(&c, &o, &err), KSEF_EINVAL);
	assert_null(c);
	assert_non_null(strstr(err.message, "credential"));
	o.ksef_token = token_main;
	o.signer = (const ksef_xades_signer *)&o; /* never used */
	assert_int_equal(ksef_conn_new(&c, &o, &err), KSEF_EINVAL);
	o.signer = NULL;
	o.version = 99;
	assert_int_equal(ksef_conn_new(&c, &o, &err), KSEF_EINVAL);
	o.version = KSEF_CONN_OPTIONS_VERSION;
	o.poll_max_ms = 1;
	assert_int_equal(ksef_conn_new(&c, &o, &err), KSEF_EINVAL);
	/* max_session_reopens (version 2) is bounded, and a version-1
	 * caller, which has no such field, is not read that far. */
	conn_options(&o);
	o.ksef_token = token_main;
	o.max_session_reopens = KSEF_SESSION_REOPENS_MAX + 1;
	assert_int_equal(ksef_conn_prepare(&c, &o, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "KSEF_SESSION_REOPENS_MAX"));
	o.max_session_reopens = -1;
	assert_int_equal(ksef_conn_prepare(&c, &o, &err), KSEF_EINVAL);
	o.version = 1;
	assert_int_equal(ksef_conn_prepare(&c, &o, &err), 0);
	ksef_conn_free(c);
	c = NULL;
	ksef_conn_free(NULL);
	ksef_session_free(NULL);
}

static void logs_in_with_a_ksef_token(void **state)
{
	ksef_conn *c = token_conn(-1);
	char ref[KSEF_REFNUM_BUFSZ];
	unsigned long auths, refreshes;

	(void)state;
	assert_int_equal(ksef_conn_auth_status(c), 200);
	assert_int_equal(ksef_conn_auth_reference(ref, c), 0);
	assert_int_equal(ksef_refnum_type_of(ref, strlen(ref)),
			 KSEF_REFNUM_AUTH);
	ksef_conn_counters(&auths, &refreshes, c);
	assert_int_equal(auths, 1);
	assert_int_equal(refreshes, 0);
	ksef_conn_free(c);
}

static void a_wrong_token_fails_with_the_auth_status_and_details(void **state)
{
	ksef_conn_options o;
	ksef_conn *c = NULL;
	ksef_error err;

	(void)state;
	conn_options(&o);
	o.ksef_token = "not-a-token-of-this-server";
	assert_int_equal(ksef_conn_new(&c, &o, &err), KSEF_EHTTP);
	assert_null(c);
	assert_non_null(strstr(err.message, "status 450"));
	assert_null(strstr(err.message, "not-a-token"));
}

static void logs_in_with_xades_of_a_generated_person_certificate(void **state)
{
	ksef_xades_cert_options co = KSEF_XADES_CERT_OPTIONS_INIT;
	ksef_buf key = KSEF_BUF_INIT, cert = KSEF_BUF_INIT;
	ksef_xades_signer *signer = NULL;
	ksef_conn_options o;
	ksef_conn *c = NULL;
	ksef_session *s;
	ksef_error err;

	(void)state;
	co.kind = KSEF_XADES_CERT_PERSON;
	co.given_name = "Jan";
	co.surname = "Testowy";
	co.common_name = "Jan Testowy";
	co.serial_number = "TINPL-" NIP;
	if (ksef_xades_cert_generate(&key, &cert, &co, &err) != 0 ||
	    ksef_xades_signer_new(&signer, key.ptr, key.size, cert.ptr,
				  cert.size, NULL, &err) != 0)
		fail_msg("certificate: %s", err.message);
	conn_options(&o);
	o.signer = signer;
	if (ksef_conn_new(&c, &o, &err) != 0)
		fail_msg("xades login: %s", err.message);
	assert_int_equal(ksef_conn_auth_status(c), 200);
	/* The access token it got opens sessions and sends. */
	s = send_series(c, "SX", 1);
	ksef_session_free(s);
	ksef_conn_free(c);
	ksef_xades_signer_free(signer);
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&cert);
}

static void five_invoices_in_one_session_get_200_and_every_upo(void **state)
{
	ksef_conn *c = token_conn(-1);
	ksef_session *s;
	ksef_buf upo = KSEF_BUF_INIT;
	ksef_error err;
	size_t i, p;

	(void)state;
	s = send_series(c, "S5", 5);
	for (i = 0; i < 5; i++) {
		const ksef_session_invoice *e = ksef_session_invoice_at(s, i);

		if (ksef_session_invoice_upo(&upo, s, e->reference_number,
					     &err) != 0)
			fail_msg("invoice UPO: %s", err.message);
		assert_non_null(strstr((const char *)upo.ptr,
				       e->ksef_number));
		assert_non_null(strstr((const char *)upo.ptr,
				       e->invoice_hash));
		assert_non_null(e->invoice_number);
	}
	assert_true(ksef_session_upo_page_count(s) >= 1);
	for (p = 0; p < ksef_session_upo_page_count(s); p++) {
		if (ksef_session_upo(&upo, s, p, &err) != 0)
			fail_msg("session UPO: %s", err.message);
		assert_non_null(strstr((const char *)upo.ptr,
				       ksef_session_reference(s)));
	}
	/* One page here (the server's default holds 10000): all five. */
	for (i = 0; i < 5; i++)
		assert_non_null(strstr((const char *)upo.ptr,
			ksef_session_invoice_at(s, i)->ksef_number));
	assert_int_equal(ksef_session_upo(&upo, s, p, &err), KSEF_EINVAL);
	assert_null(ksef_session_invoice_at(s, 5));
	ksef_buf_dispose(&upo);
	ksef_session_free(s);
	ksef_conn_free(c);
}

struct worker {
	ksef_conn *conn;
	const char *prefix;
	int n;
	int rc;
	int accepted;
	ksef_error err;
};

/* No cmocka assertions here: they longjmp, which only the main thread
 * may do. Results go back in w. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	ksef_session *s = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_gen_options go = KSEF_GEN_OPTIONS_INIT;
	char ref[KSEF_REFNUM_BUFSZ];
	size_t i;
	int k;

	go.seller_nip = NIP;
	go.number_prefix = w->prefix;
	go.issue_date = today;
	go.seed = 1;
	if ((w->rc = ksef_session_open(&s, w->conn, KSEF_FORM_FA3,
				       &w->err)) != 0)
		return NULL;
	for (k = 0; k < w->n && w->rc == 0; k++) {
		if ((w->rc = ksef_gen_invoice(&xml, &go, (uint64_t)k + 1,
					      &w->err)) == 0)
			w->rc = ksef_session_send(ref, s, xml.ptr, xml.size,
						  NULL, &w->err);
	}
	if (w->rc == 0)
		w->rc = ksef_session_close(s, &w->err);
	if (w->rc == 0)
		w->rc = ksef_session_wait(s, WAIT_MS, &w->err);
	for (i = 0; i < ksef_session_invoice_count(s); i++)
		if (ksef_session_invoice_at(s, i)->status == 200)
			w->accepted++;
	ksef_buf_dispose(&xml);
	ksef_session_free(s);
	return NULL;
}

static void two_threads_drive_two_sessions_of_one_conn_at_once(void **state)
{
	/* A margin past the token's life renews it before every call, so
	 * the two threads also contend for the connection's lock. */
	ksef_conn *c = token_conn(86400);
	struct worker w[2] = {
		{ c, "T1", 4, 0, 0, { 0, 0, "" } },
		{ c, "T2", 4, 0, 0, { 0, 0, "" } },
	};
	pthread_t t[2];
	unsigned long auths, refreshes;
	int i;

	(void)state;
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_main,
						&w[i]), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (i = 0; i < 2; i++) {
		if (w[i].rc != 0)
			fail_msg("thread %d: %s", i, w[i].err.message);
		assert_int_equal(w[i].accepted, 4);
	}
	ksef_conn_counters(&auths, &refreshes, c);
	assert_int_equal(auths, 1);
	assert_true(refreshes >= 2 * 6);
	ksef_conn_free(c);
}

static void a_resent_invoice_names_the_ksef_number_it_has(void **state)
{
	ksef_conn *c = token_conn(-1);
	ksef_session *first, *second = NULL;
	const ksef_session_invoice *orig, *dup;
	ksef_buf xml = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_error err;

	(void)state;
	first = send_series(c, "DUP", 1);
	orig = ksef_session_invoice_at(first, 0);
	gen_invoice(&xml, "DUP", 1);
	if (ksef_session_open(&second, c, KSEF_FORM_FA3, &err) != 0 ||
	    ksef_session_send(ref, second, xml.ptr, xml.size, NULL,
			      &err) != 0 ||
	    ksef_session_close(second, &err) != 0 ||
	    ksef_session_wait(second, WAIT_MS, &err) != 0)
		fail_msg("resend: %s", err.message);
	dup = ksef_session_invoice_at(second, 0);
	assert_int_equal(dup->status, KSEF_INVOICE_STATUS_DUPLICATE);
	assert_string_equal(dup->description, "Duplikat faktury");
	assert_non_null(dup->duplicate_of);
	assert_string_equal(dup->duplicate_of, orig->ksef_number);
	assert_non_null(dup->duplicate_session);
	assert_string_equal(dup->duplicate_session,
			    ksef_session_reference(first));
	assert_null(dup->ksef_number);
	/* No invoice passed in the second session. */
	assert_int_equal(ksef_session_status(second),
			 KSEF_SESSION_CODE_NO_VALID);
	ksef_buf_dispose(&xml);
	ksef_session_free(second);
	ksef_session_free(first);
	ksef_conn_free(c);
}

static void send_or_find_finds_the_invoice_instead_of_sending_it_twice(
	void **state)
{
	ksef_conn *c = token_conn(-1);
	ksef_session *s = NULL;
	ksef_buf xml = KSEF_BUF_INIT, other = KSEF_BUF_INIT;
	char first[KSEF_REFNUM_BUFSZ], again[KSEF_REFNUM_BUFSZ],
	     third[KSEF_REFNUM_BUFSZ];
	ksef_api_invoice_list *list = NULL;
	struct login l;
	ksef_error err;
	int found = -1;

	(void)state;
	gen_invoice(&xml, "AMB", 1);
	gen_invoice(&other, "AMB", 2);
	if (ksef_session_open(&s, c, KSEF_FORM_FA3, &err) != 0 ||
	    ksef_session_send(first, s, xml.ptr, xml.size, NULL, &err) != 0)
		fail_msg("send: %s", err.message);
	/* As after a send that timed out: the same bytes again. */
	if (ksef_session_send_or_find(again, &found, s, xml.ptr, xml.size,
				      NULL, &err) != 0)
		fail_msg("send_or_find: %s", err.message);
	assert_int_equal(found, 1);
	assert_string_equal(again, first);
	assert_int_equal(ksef_session_invoice_count(s), 1);
	assert_int_equal(ksef_session_invoice_at(s, 0)->reconciled, 1);
	/* An invoice that is not there is sent. */
	if (ksef_session_send_or_find(third, &found, s, other.ptr, other.size,
				      NULL, &err) != 0)
		fail_msg("send_or_find: %s", err.message);
	assert_int_equal(found, 0);
	assert_string_not_equal(third, first);
	assert_int_equal(ksef_session_invoice_count(s), 2);
	if (ksef_session_close(s, &err) != 0 ||
	    ksef_session_wait(s, WAIT_MS, &err) != 0)
		fail_msg("close/wait: %s", err.message);
	assert_int_equal(ksef_session_invoice_at(s, 0)->status, 200);
	assert_int_equal(ksef_session_invoice_at(s, 1)->status, 200);
	/* The server holds two invoices, not three. */
	login(&l, &srv, NIP, token_main);
	if (ksef_client_session_invoices(&list, l.c, ksef_session_reference(s),
					 0, 0, NULL, &err) != 0)
		fail_msg("list: %s", err.message);
	assert_int_equal(ksef_api_invoice_list_count(list), 2);
	ksef_api_invoice_list_free(list);
	logout(&l);
	assert_int_equal(ksef_session_send(first, s, xml.ptr, xml.size, NULL,
					   &err), KSEF_EINVAL);
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&other);
	ksef_session_free(s);
	ksef_conn_free(c);
}

static void a_margin_past_the_token_life_renews_before_every_call(
	void **state)
{
	ksef_conn *c = token_conn(86400);
	ksef_session *s;
	unsigned long auths, refreshes;
	ksef_error err;

	(void)state;
	s = send_series(c, "RF", 2);
	ksef_conn_counters(&auths, &refreshes, c);
	assert_int_equal(auths, 1);
	/* open, two sends, close, at least one wait poll and the session
	 * status: each renewed the token first. */
	assert_true(refreshes >= 5);
	if (ksef_conn_refresh(c, &err) != 0)
		fail_msg("refresh: %s", err.message);
	ksef_conn_counters(&auths, NULL, c);
	assert_int_equal(auths, 1);
	ksef_session_free(s);
	ksef_conn_free(c);
}

static void a_refused_access_token_is_renewed_and_the_call_made_again(
	void **state)
{
	ksef_conn *c = token_conn(-1);
	ksef_session *s = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ];
	unsigned long auths, refreshes;
	ksef_error err;

	(void)state;
	ksef__conn_spoil_access_token(c);
	if (ksef_session_open(&s, c, KSEF_FORM_FA3, &err) != 0)
		fail_msg("open after 401: %s", err.message);
	ksef_conn_counters(&auths, &refreshes, c);
	assert_int_equal(auths, 1);
	assert_int_equal(refreshes, 1);
	/* The session's client picks up a token spoiled mid-session too. */
	ksef__conn_spoil_access_token(c);
	gen_invoice(&xml, "401", 1);
	if (ksef_session_send(ref, s, xml.ptr, xml.size, NULL, &err) != 0)
		fail_msg("send after 401: %s", err.message);
	ksef_conn_counters(NULL, &refreshes, c);
	assert_int_equal(refreshes, 2);
	assert_int_equal(ksef_session_invoice_count(s), 1);
	assert_int_equal(ksef_session_invoice_at(s, 0)->reconciled, 0);
	if (ksef_session_close(s, &err) != 0 ||
	    ksef_session_wait(s, WAIT_MS, &err) != 0)
		fail_msg("close/wait: %s", err.message);
	assert_int_equal(ksef_session_invoice_at(s, 0)->status, 200);
	ksef_buf_dispose(&xml);
	ksef_session_free(s);
	ksef_conn_free(c);
}

static void a_revoked_authentication_is_replaced_by_a_new_one(void **state)
{
	ksef_conn *c = token_conn(-1);
	ksef_session *s;
	char first[KSEF_REFNUM_BUFSZ], second[KSEF_REFNUM_BUFSZ];
	unsigned long auths, refreshes;
	struct login l;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_conn_auth_reference(first, c), 0);
	/* Someone else ends this authentication: its refresh token now gets
	 * 21301, so the connection has to start over. */
	login(&l, &srv, NIP, token_main);
	if (ksef_client_auth_revoke(l.c, first, &err) != 0)
		fail_msg("revoke: %s", err.message);
	logout(&l);
	if (ksef_conn_refresh(c, &err) != 0)
		fail_msg("refresh after revoke: %s", err.message);
	ksef_conn_counters(&auths, &refreshes, c);
	assert_int_equal(auths, 2);
	assert_int_equal(refreshes, 0);
	assert_int_equal(ksef_conn_auth_reference(second, c), 0);
	assert_string_not_equal(first, second);
	/* Our own logout: the next renewal authenticates again. */
	if (ksef_conn_revoke(c, &err) != 0 || ksef_conn_refresh(c, &err) != 0)
		fail_msg("revoke/refresh: %s", err.message);
	ksef_conn_counters(&auths, &refreshes, c);
	assert_int_equal(auths, 3);
	s = send_series(c, "RV", 1);
	ksef_session_free(s);
	ksef_conn_free(c);
}

/* Last: it changes the server's SymmetricKeyEncryption key for good. */
static void a_withdrawn_key_is_fetched_again_and_the_open_retried(
	void **state)
{
	ksef_conn *c = token_conn(-1);
	ksef_client *lc = client_for(&srv);
	ksef_pubkey *old = server_key(lc, KSEF_KEY_USAGE_SYMMETRIC_KEY);
	ksef_pubkey *now;
	ksef_session *s;
	char args[256], out[4096];

	(void)state;
	/* c has cached the key list; one session opens with the old key. */
	ksef_session_free(send_series(c, "K1", 1));
	assert_int_equal(ksefd_command(&srv, "keys rotate --usage "
				       "SymmetricKeyEncryption", out,
				       sizeof(out)), 0);
	snprintf(args, sizeof(args), "keys retire '%s'", ksef_pubkey_id(old));
	assert_int_equal(ksefd_command(&srv, args, out, sizeof(out)), 0);
	now = server_key(lc, KSEF_KEY_USAGE_SYMMETRIC_KEY);
	assert_string_not_equal(ksef_pubkey_id(now), ksef_pubkey_id(old));
	/* The cached key gets 21470; the session opens with the new one. */
	s = send_series(c, "K2", 1);
	ksef_session_free(s);
	ksef_pubkey_free(now);
	ksef_pubkey_free(old);
	ksef_client_free(lc);
	ksef_conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(session_codes_carry_their_official_descriptions),
		cmocka_unit_test(conn_refuses_none_or_both_credentials),
		cmocka_unit_test(logs_in_with_a_ksef_token),
		cmocka_unit_test(a_wrong_token_fails_with_the_auth_status_and_details),
		cmocka_unit_test(logs_in_with_xades_of_a_generated_person_certificate),
		cmocka_unit_test(five_invoices_in_one_session_get_200_and_every_upo),
		cmocka_unit_test(two_threads_drive_two_sessions_of_one_conn_at_once),
		cmocka_unit_test(a_resent_invoice_names_the_ksef_number_it_has),
		cmocka_unit_test(send_or_find_finds_the_invoice_instead_of_sending_it_twice),
		cmocka_unit_test(a_margin_past_the_token_life_renews_before_every_call),
		cmocka_unit_test(a_refused_access_token_is_renewed_and_the_call_made_again),
		cmocka_unit_test(a_revoked_authentication_is_replaced_by_a_new_one),
		cmocka_unit_test(a_withdrawn_key_is_fetched_again_and_the_open_retried),
	};
	int rc;

	/* ksefd compiles the FA (3) schema as it starts. */
	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	rc = cmocka_run_group_tests(tests, setup, teardown);

	ksef_global_cleanup();
	return rc;
}
