/*
 * ksefd_faults_test.c - the client (libksef's ksef_conn and ksef_session)
 * against the real ksefd under each fault of a plan (docs/faults.md), put
 * in force by `ksefd faults set` while ksefd runs: what the client sees,
 * and for sends that it retries what is safe, looks before sending again
 * after an ambiguous failure, and so never has an invoice accepted twice;
 * a session unavailable with 21184 is continued in a new one, a bounded
 * number of times. Each fault also leaves its "fault injected" line in
 * ksefd's log, and `ksefd faults show` counts it; a bad plan is refused,
 * at start and by the command, and the old plan stays.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "ksef/ksef.h"
#include "ksef/session.h"
#include "e2e.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
#define WAIT_MS 60000L

static struct ksefd_proc srv;
static char token[256];
static char today[KSEF_DATE_BUFSZ];
static struct login admin;   /* a low-level client of the context */
static ksef_client_options client_opts;

static const char *const serve_args[] = { "--processing-delay", "0",
					  NULL };

static int setup(void **state)
{
	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	memset(&srv, 0, sizeof(srv));
	ksefd_start(&srv, NULL, serve_args);
	ksefd_token(&srv, NIP, "InvoiceWrite,InvoiceRead", token,
		    sizeof(token));
	date_from_today(today, 0);
	login(&admin, &srv, NIP, token);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	logout(&admin);
	assert_int_equal(ksefd_stop(&srv), 0);
	ksefd_cleanup(&srv);
	return 0;
}

static int set_plan(const char *json)
{
	return ksefd_faults_set(&srv, json);
}

static void clear_plan(void)
{
	char out[256];

	assert_int_equal(ksefd_command(&srv, "faults clear", out,
				       sizeof(out)), 0);
	e2e_sleep_us(250000);
}

/* How many lines of ksefd's log hold `needle`. */
static int log_lines(const char *needle)
{
	char line[4096];
	FILE *f = fopen(srv.log_path, "r");
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	fclose(f);
	return n;
}

/* ksefd writes a request's log line when it has finished with the request,
 * a moment after its client has the answer: a count the test expects may
 * still be one short when it looks. Waits up to 5 s for want, and returns
 * the count last seen. */
static int log_lines_reach(const char *needle, int want)
{
	int n = log_lines(needle), waited;

	for (waited = 0; n != want && waited < 5000; waited += 20) {
		e2e_sleep_us(20000);
		n = log_lines(needle);
	}
	return n;
}

/* A connection; reopens < 0 keeps the default max_session_reopens, and
 * poll_ms 0 the support's poll_initial_ms (also the pause before a send
 * without a clear answer is looked up). */
static ksef_conn *conn_make(long timeout_ms, long max_retry_after_s,
			    int reopens, long poll_ms)
{
	ksef_conn_options o;
	ksef_conn *c = NULL;
	ksef_error err;

	conn_options_for(&o, &client_opts, &srv, NIP);
	o.ksef_token = token;
	if (reopens >= 0)
		o.max_session_reopens = reopens;
	if (poll_ms > 0) {
		o.poll_initial_ms = poll_ms;
		o.poll_max_ms = poll_ms;
	}
	client_opts.retry_backoff_ms = 50;
	if (timeout_ms > 0)
		client_opts.timeout_ms = timeout_ms;
	client_opts.max_retry_after_s = max_retry_after_s;
	if (ksef_conn_new(&c, &o, &err) != 0)
		fail_msg("conn: %s", err.message);
	return c;
}

static ksef_conn *conn_new(long timeout_ms, long max_retry_after_s)
{
	return conn_make(timeout_ms, max_retry_after_s, -1, 0);
}

static ksef_session *session_new(ksef_conn *c)
{
	ksef_session *s = NULL;
	ksef_error err;

	if (ksef_session_open(&s, c, KSEF_FORM_FA3, &err) != 0)
		fail_msg("open: %s", err.message);
	return s;
}

/* How many invoices of the last listed() were duplicates (440). */
static int listed_duplicates;

/* The session's invoices with this hash, as the server lists them: how
 * many, and how many of them were accepted (200). */
static int listed(const char *sref, const ksef_buf *xml, int *accepted)
{
	char hash[KSEF_SHA256_B64_LEN + 1];
	ksef_api_invoice_list *l = NULL;
	ksef_error err;
	size_t i;
	int n = 0;

	if (ksef_sha256_base64(hash, xml->ptr, xml->size, &err) != 0 ||
	    ksef_client_session_invoices(&l, admin.c, sref, 0, 100, NULL,
					 &err) != 0)
		fail_msg("list: %s", err.message);
	*accepted = 0;
	listed_duplicates = 0;
	for (i = 0; i < ksef_api_invoice_list_count(l); i++) {
		const ksef_api_invoice_status *st =
			ksef_api_invoice_list_at(l, i);

		if (strcmp(st->invoice_hash, hash) != 0)
			continue;
		n++;
		*accepted += st->status->code == 200;
		listed_duplicates += st->status->code == 440;
	}
	ksef_api_invoice_list_free(l);
	return n;
}

static void close_and_wait(ksef_session *s)
{
	ksef_error err;

	if (ksef_session_close(s, &err) != 0 ||
	    ksef_session_wait(s, WAIT_MS, &err) != 0)
		fail_msg("close/wait: %s", err.message);
}

/*
 * One invoice sent with ksef_session_send under the plan in force; it
 * must end accepted, once. Returns whether the client found it in the
 * session instead of sending it again.
 */
static int send_once_accepted(const char *prefix, ksef_conn *c)
{
	ksef_session *s = session_new(c);
	ksef_buf xml = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ], sref[KSEF_REFNUM_BUFSZ];
	const ksef_session_invoice *e;
	ksef_error err;
	int n, ok, reconciled;

	gen(&xml, KSEF_FORM_FA3, NIP, prefix, 1, today);
	if (ksef_session_send(ref, s, xml.ptr, xml.size, NULL, &err) != 0)
		fail_msg("send: %s", err.message);
	snprintf(sref, sizeof(sref), "%s", ksef_session_reference(s));
	close_and_wait(s);
	assert_int_equal(ksef_session_invoice_count(s), 1);
	e = ksef_session_invoice_at(s, 0);
	if (e->status != 200)
		fail_msg("invoice: %d %s", e->status,
			 e->details ? e->details : "");
	assert_string_equal(e->reference_number, ref);
	reconciled = e->reconciled;
	n = listed(sref, &xml, &ok);
	assert_int_equal(n, 1);
	assert_int_equal(ok, 1);
	ksef_session_free(s);
	ksef_buf_dispose(&xml);
	return reconciled;
}

/* A proxy's HTML 502 page on a send: the client cannot know whether the
 * invoice got through, looks, does not find it, sends it once more. A
 * retry-safe read behind a 503 page is simply asked again. */
static void html_502_on_a_send_is_looked_up_then_sent_once(void **state)
{
	ksef_conn *c = conn_new(0, 0);

	(void)state;
	assert_int_equal(set_plan("{\"rules\": ["
		"{\"id\": \"proxy-502\", \"action\": \"status\", "
		"\"status\": 502, \"body\": \"html\", \"group\": \"send\", "
		"\"count\": 1},"
		"{\"id\": \"proxy-503\", \"action\": \"status\", "
		"\"status\": 503, \"body\": \"html\", \"route\": "
		"\"GET /sessions/{ref}/invoices\", \"count\": 1}]}"), 0);
	assert_int_equal(send_once_accepted("F502/", c), 0);
	assert_int_equal(log_lines("fault injected rule=proxy-502 "
				   "action=status fired=1 POST"), 1);
	assert_int_equal(log_lines("fault injected rule=proxy-503 "
				   "action=status fired=1 GET"), 1);
	clear_plan();
	ksef_conn_free(c);
}

/* The answer to a send that ksefd accepted is lost with its connection:
 * the client finds the invoice in the session and does not send it
 * again. */
static void a_send_whose_answer_is_dropped_is_found_not_resent(void **state)
{
	ksef_conn *c = conn_new(0, 0);

	(void)state;
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"lost-answer\", "
		"\"action\": \"drop\", \"when\": \"after\", \"group\": "
		"\"send\", \"count\": 1}]}"), 0);
	assert_int_equal(send_once_accepted("FDROPA/", c), 1);
	assert_int_equal(log_lines("rule=lost-answer action=drop"), 1);
	clear_plan();
	ksef_conn_free(c);
}

/* The connection goes before ksefd took the invoice: looked up, not
 * found, sent once more. */
static void a_send_dropped_before_it_is_taken_is_sent_again(void **state)
{
	ksef_conn *c = conn_new(0, 0);
	ksef_envelope *env = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	char sref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ];
	ksef_error err;
	int ok;

	(void)state;
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"reset\", "
		"\"action\": \"drop\", \"group\": \"send\", \"count\": 2}]}"),
		0);
	/* the low-level client gets no answer at all, and says so */
	open_session(&admin, KSEF_FORM_FA3, &env, sref);
	gen(&xml, KSEF_FORM_FA3, NIP, "FDROPB/", 9, today);
	assert_int_equal(ksef_client_invoice_send(iref, NULL, admin.c, sref,
		env, xml.ptr, xml.size, NULL, &err), KSEF_ENETWORK);
	assert_non_null(strstr(err.message, "not sent again"));
	assert_int_equal(listed(sref, &xml, &ok), 0);
	ksef_envelope_free(env);
	ksef_buf_dispose(&xml);
	assert_int_equal(send_once_accepted("FDROPB/", c), 0);
	assert_int_equal(log_lines("rule=reset action=drop"), 2);
	clear_plan();
	ksef_conn_free(c);
}

/* The store fails: 500, and the invoice was not accepted; nothing is
 * listed, so the client's second send is the only one. */
static void a_store_failure_answers_500_and_keeps_nothing(void **state)
{
	ksef_envelope *env = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	char sref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ];
	ksef_conn *c = conn_new(0, 0);
	ksef_error err;
	int ok;

	(void)state;
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"disk\", "
		"\"action\": \"store_failure\", \"context\": \"" NIP "\", "
		"\"count\": 1}]}"), 0);
	/* the low-level client sees the 500 itself */
	open_session(&admin, KSEF_FORM_FA3, &env, sref);
	gen(&xml, KSEF_FORM_FA3, NIP, "FSTORE/", 1, today);
	assert_int_equal(ksef_client_invoice_send(iref, NULL, admin.c, sref,
		env, xml.ptr, xml.size, NULL, &err), KSEF_EHTTP);
	assert_int_equal(ksef_client_last_http_status(admin.c), 500);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(admin.c),
					    21405));
	assert_int_equal(listed(sref, &xml, &ok), 0);
	assert_int_equal(log_lines("rule=disk action=store_failure fired=1 "
				   "session " ), 1);
	/* and the session goes on: the same invoice is taken now */
	send_xml(&admin, sref, env, &xml, iref);
	ksef_api_invoice_status_free(wait_invoice(&admin, sref, iref));
	assert_int_equal(listed(sref, &xml, &ok), 1);
	assert_int_equal(ok, 1);
	ksef_envelope_free(env);
	ksef_buf_dispose(&xml);
	/* the session API looks, finds nothing, sends once more */
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"disk2\", "
		"\"action\": \"store_failure\", \"count\": 1}]}"), 0);
	assert_int_equal(send_once_accepted("FSTORE2/", c), 0);
	assert_int_equal(log_lines("rule=disk2 action=store_failure"), 1);
	clear_plan();
	ksef_conn_free(c);
}

/* A 429 storm: waited out while Retry-After is within the client's cap;
 * past the cap the send fails with the 429, and nothing was taken. */
static void a_429_storm_is_waited_out_within_the_cap(void **state)
{
	ksef_conn *c = conn_new(0, 2);
	ksef_session *s;
	ksef_buf xml = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ];
	const ksef_api_error *e;
	ksef_error err;
	int ok;

	(void)state;
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"storm\", "
		"\"action\": \"rate_limit\", \"retry_after\": 1, \"group\": "
		"\"send\", \"count\": 2}]}"), 0);
	assert_int_equal(send_once_accepted("F429/", c), 0);
	assert_int_equal(log_lines("rule=storm action=rate_limit"), 2);
	ksef_conn_free(c);

	c = conn_new(0, 2);
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"storm-long\", "
		"\"action\": \"rate_limit\", \"retry_after\": 30, \"group\": "
		"\"send\"}]}"), 0);
	s = session_new(c);
	gen(&xml, KSEF_FORM_FA3, NIP, "F429L/", 1, today);
	assert_int_equal(ksef_session_send(ref, s, xml.ptr, xml.size, NULL,
					   &err), KSEF_ERATELIMIT);
	assert_non_null(strstr(err.message, "Retry-After 30"));
	e = ksef_session_last_error(s);
	assert_non_null(e);
	assert_int_equal(listed(ksef_session_reference(s), &xml, &ok), 0);
	clear_plan();
	ksef_session_free(s);
	ksef_buf_dispose(&xml);
	ksef_conn_free(c);
}

/* 21184 with the continuation turned off (max_session_reopens 0): the
 * send fails with the code (a 400: the invoice was not taken, so nothing
 * is looked up or resent), the object stays in its session, and a new
 * session opened by the caller takes the invoice. */
static void a_21184_without_continuation_fails_with_the_code(void **state)
{
	ksef_conn *c = conn_make(0, 0, 0, 0);
	ksef_session *s = session_new(c), *s2;
	ksef_buf xml = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ], plan[512];
	ksef_error err;
	int ok;

	(void)state;
	snprintf(plan, sizeof(plan), "{\"rules\": [{\"id\": \"maintenance\", "
		 "\"action\": \"session_unavailable\", \"session\": \"%s\"}]}",
		 ksef_session_reference(s));
	assert_int_equal(set_plan(plan), 0);
	gen(&xml, KSEF_FORM_FA3, NIP, "F21184/", 1, today);
	assert_int_equal(ksef_session_send(ref, s, xml.ptr, xml.size, NULL,
					   &err), KSEF_EHTTP);
	assert_true(ksef_api_error_has_code(ksef_session_last_error(s),
					    21184));
	assert_non_null(strstr(err.message, "21184"));
	/* and again: the session stays unavailable, and the object in it */
	assert_int_equal(ksef_session_send(ref, s, xml.ptr, xml.size, NULL,
					   &err), KSEF_EHTTP);
	assert_int_equal(ksef_session_part_count(s), 1);
	assert_int_equal(ksef_session_invoice_count(s), 0);
	assert_int_equal(listed(ksef_session_reference(s), &xml, &ok), 0);
	assert_int_equal(log_lines("rule=maintenance "
				   "action=session_unavailable"), 2);
	s2 = session_new(c);
	if (ksef_session_send(ref, s2, xml.ptr, xml.size, NULL, &err) != 0)
		fail_msg("send in a new session: %s", err.message);
	close_and_wait(s2);
	assert_int_equal(ksef_session_invoice_at(s2, 0)->status, 200);
	assert_int_equal(listed(ksef_session_reference(s2), &xml, &ok), 1);
	assert_int_equal(ok, 1);
	clear_plan();
	ksef_session_free(s);
	ksef_session_free(s2);
	ksef_buf_dispose(&xml);
	ksef_conn_free(c);
}

/* The UPO of part `part`'s page 0, and of one invoice: both fetched. */
static void fetch_upos(ksef_session *s, size_t part, const char *invoice_ref)
{
	ksef_buf upo = KSEF_BUF_INIT;
	ksef_error err;

	assert_true(ksef_session_part_upo_page_count(s, part) >= 1);
	if (ksef_session_part_upo(&upo, s, part, 0, &err) != 0)
		fail_msg("session UPO of part %zu: %s", part, err.message);
	assert_non_null(strstr((const char *)upo.ptr,
			       ksef_session_part_reference(s, part)));
	if (ksef_session_invoice_upo(&upo, s, invoice_ref, &err) != 0)
		fail_msg("invoice UPO in part %zu: %s", part, err.message);
	assert_true(upo.size > 0);
	ksef_buf_dispose(&upo);
}

/* 21184 on the second send (a maintenance window that begins then): the
 * object continues in a new session, which takes that invoice and the
 * next; the first stays in the first session, which was closed when the
 * object left it. Every invoice is accepted exactly once across the two,
 * as both sessions' invoice lists show, and both sessions' UPOs come. */
static void a_21184_continues_in_a_new_session_each_invoice_once(
	void **state)
{
	ksef_conn *c = conn_new(0, 0);
	ksef_session *s = session_new(c), *back = NULL;
	ksef_buf xml[3] = { KSEF_BUF_INIT, KSEF_BUF_INIT, KSEF_BUF_INIT };
	ksef_buf saved = KSEF_BUF_INIT;
	char ref[3][KSEF_REFNUM_BUFSZ], first[KSEF_REFNUM_BUFSZ];
	const char *second;
	ksef_error err;
	int i, ok;

	(void)state;
	snprintf(first, sizeof(first), "%s", ksef_session_reference(s));
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"window\", "
		"\"action\": \"session_unavailable\", \"group\": \"send\", "
		"\"nth\": 2, \"count\": 1}]}"), 0);
	for (i = 0; i < 3; i++) {
		gen(&xml[i], KSEF_FORM_FA3, NIP, "FCONT/", i + 1, today);
		if (ksef_session_send(ref[i], s, xml[i].ptr, xml[i].size, NULL,
				      &err) != 0)
			fail_msg("send %d: %s", i + 1, err.message);
	}
	assert_int_equal(log_lines("rule=window action=session_unavailable"),
			 1);
	/* the object moved on, and says where each invoice went */
	assert_int_equal(ksef_session_part_count(s), 2);
	assert_string_equal(ksef_session_part_reference(s, 0), first);
	second = ksef_session_reference(s);
	assert_string_equal(ksef_session_part_reference(s, 1), second);
	assert_string_not_equal(second, first);
	assert_null(ksef_session_part_reference(s, 2));
	assert_string_equal(ksef_session_invoice_at(s, 0)->session_reference,
			    first);
	assert_string_equal(ksef_session_invoice_at(s, 1)->session_reference,
			    second);
	assert_string_equal(ksef_session_invoice_at(s, 2)->session_reference,
			    second);
	/* the first session was closed when the object left it */
	assert_int_equal(ksef_session_part_status(s, 0),
			 KSEF_SESSION_CODE_CLOSED);
	assert_int_equal(ksef_session_status(s), KSEF_SESSION_CODE_OPEN);
	/* the saved state is the new session's, with its own invoices */
	if (ksef_session_export(&saved, s, &err) != 0 ||
	    ksef_session_resume(&back, c, (const char *)saved.ptr, saved.size,
				&err) != 0)
		fail_msg("export/resume: %s", err.message);
	assert_string_equal(ksef_session_reference(back), second);
	assert_int_equal(ksef_session_invoice_count(back), 2);
	ksef_session_free(back);
	ksef_buf_dispose_secure(&saved);

	close_and_wait(s);
	assert_int_equal(ksef_session_invoice_count(s), 3);
	for (i = 0; i < 3; i++) {
		const ksef_session_invoice *e = ksef_session_invoice_at(s,
							(size_t)i);

		if (e->status != 200)
			fail_msg("invoice %d: %d %s", i + 1, e->status,
				 e->details ? e->details : "");
		assert_string_equal(e->reference_number, ref[i]);
		assert_int_equal(e->reconciled, 0);
	}
	assert_int_equal(ksef_session_part_status(s, 0), 200);
	assert_int_equal(ksef_session_part_status(s, 1), 200);
	assert_int_equal(ksef_session_status(s), 200);
	/* once each, across the two sessions */
	assert_int_equal(listed(first, &xml[0], &ok), 1);
	assert_int_equal(ok, 1);
	assert_int_equal(listed(second, &xml[0], &ok), 0);
	for (i = 1; i < 3; i++) {
		assert_int_equal(listed(first, &xml[i], &ok), 0);
		assert_int_equal(listed(second, &xml[i], &ok), 1);
		assert_int_equal(ok, 1);
	}
	fetch_upos(s, 0, ref[0]);
	fetch_upos(s, 1, ref[1]);
	clear_plan();
	ksef_session_free(s);
	for (i = 0; i < 3; i++)
		ksef_buf_dispose(&xml[i]);
	ksef_conn_free(c);
}

/* The session left after 21184 refuses to be closed as well (a 503 on
 * its close): the send still goes on in the new session, and the old
 * part keeps status 100 until ksef_session_close(), which closes the
 * current part and asks the old one again; the wait then covers both,
 * and both sessions' UPOs come. */
static void a_21184_whose_old_session_will_not_close_is_closed_later(
	void **state)
{
	ksef_conn *c = conn_new(0, 0);
	ksef_session *s = session_new(c);
	ksef_buf xml[2] = { KSEF_BUF_INIT, KSEF_BUF_INIT };
	char ref[KSEF_REFNUM_BUFSZ], first[KSEF_REFNUM_BUFSZ];
	ksef_error err;
	int i, ok;

	(void)state;
	snprintf(first, sizeof(first), "%s", ksef_session_reference(s));
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"window4\", "
		"\"action\": \"session_unavailable\", \"group\": \"send\", "
		"\"nth\": 2, \"count\": 1}, {\"id\": \"no-close\", "
		"\"action\": \"status\", \"status\": 503, \"route\": "
		"\"POST /sessions/online/{ref}/close\", \"count\": 1}]}"), 0);
	for (i = 0; i < 2; i++) {
		gen(&xml[i], KSEF_FORM_FA3, NIP, "FNOCLOSE/", i + 1, today);
		if (ksef_session_send(ref, s, xml[i].ptr, xml[i].size, NULL,
				      &err) != 0)
			fail_msg("send %d: %s", i + 1, err.message);
	}
	assert_int_equal(log_lines("rule=no-close action=status"), 1);
	assert_int_equal(ksef_session_part_count(s), 2);
	assert_int_equal(ksef_session_part_status(s, 0),
			 KSEF_SESSION_CODE_OPEN);
	/* its invoice is final without the session being closed */
	if (ksef_session_wait(s, WAIT_MS, &err) != 0)
		fail_msg("wait: %s", err.message);
	assert_int_equal(ksef_session_invoice_at(s, 0)->status, 200);
	assert_int_equal(ksef_session_part_status(s, 0),
			 KSEF_SESSION_CODE_OPEN);
	assert_int_equal(ksef_session_part_upo_page_count(s, 0), 0);
	close_and_wait(s);
	assert_int_equal(ksef_session_invoice_at(s, 1)->status, 200);
	assert_int_equal(ksef_session_part_status(s, 0), 200);
	assert_int_equal(ksef_session_status(s), 200);
	assert_int_equal(listed(first, &xml[0], &ok), 1);
	assert_int_equal(ok, 1);
	assert_int_equal(listed(ksef_session_reference(s), &xml[1], &ok), 1);
	assert_int_equal(ok, 1);
	fetch_upos(s, 0, ksef_session_invoice_at(s, 0)->reference_number);
	fetch_upos(s, 1, ksef_session_invoice_at(s, 1)->reference_number);
	clear_plan();
	ksef_session_free(s);
	for (i = 0; i < 2; i++)
		ksef_buf_dispose(&xml[i]);
	ksef_conn_free(c);
}

/* The reconciling send on its own (ksef_session_send_or_find) into an
 * unavailable session: looked up, not found, refused with 21184, and
 * sent into a new session without looking there. */
static void a_find_or_send_into_an_unavailable_session_goes_on(void **state)
{
	ksef_conn *c = conn_new(0, 0);
	ksef_session *s = session_new(c);
	ksef_buf xml = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ], first[KSEF_REFNUM_BUFSZ], plan[512];
	ksef_error err;
	int found = -1, ok;

	(void)state;
	snprintf(first, sizeof(first), "%s", ksef_session_reference(s));
	snprintf(plan, sizeof(plan), "{\"rules\": [{\"id\": \"window5\", "
		 "\"action\": \"session_unavailable\", \"session\": \"%s\"}]}",
		 first);
	assert_int_equal(set_plan(plan), 0);
	gen(&xml, KSEF_FORM_FA3, NIP, "FFIND/", 1, today);
	if (ksef_session_send_or_find(ref, &found, s, xml.ptr, xml.size, NULL,
				      &err) != 0)
		fail_msg("send or find: %s", err.message);
	assert_int_equal(found, 0);
	assert_int_equal(ksef_session_part_count(s), 2);
	assert_string_not_equal(ksef_session_reference(s), first);
	assert_int_equal(log_lines("rule=window5 action=session_unavailable"),
			 1);
	close_and_wait(s);
	assert_int_equal(ksef_session_invoice_at(s, 0)->status, 200);
	assert_int_equal(listed(first, &xml, &ok), 0);
	assert_int_equal(listed(ksef_session_reference(s), &xml, &ok), 1);
	assert_int_equal(ok, 1);
	clear_plan();
	ksef_session_free(s);
	ksef_buf_dispose(&xml);
	ksef_conn_free(c);
}

/* Every session unavailable: the send and three new sessions get 21184,
 * then the send fails with the code and a message that says so; nothing
 * was taken anywhere, and no fourth new session is opened. */
static void a_21184_everywhere_fails_after_three_new_sessions(void **state)
{
	int before = log_lines("POST /v2/sessions/online 201");
	ksef_conn *c = conn_new(0, 0);
	ksef_session *s = session_new(c);
	ksef_buf xml = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ], first[KSEF_REFNUM_BUFSZ];
	ksef_error err;
	size_t p;
	int ok;

	(void)state;
	snprintf(first, sizeof(first), "%s", ksef_session_reference(s));
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"down\", "
		"\"action\": \"session_unavailable\"}]}"), 0);
	gen(&xml, KSEF_FORM_FA3, NIP, "FDOWN/", 1, today);
	assert_int_equal(ksef_session_send(ref, s, xml.ptr, xml.size, NULL,
					   &err), KSEF_EHTTP);
	assert_non_null(strstr(err.message, first));
	assert_non_null(strstr(err.message, "(21184)"));
	assert_non_null(strstr(err.message, "3 new session(s)"));
	assert_true(ksef_api_error_has_code(ksef_session_last_error(s),
					    21184));
	assert_int_equal(log_lines("rule=down action=session_unavailable"),
			 4);
	/* the first session, and three new ones */
	assert_int_equal(log_lines_reach("POST /v2/sessions/online 201",
					 before + 4), before + 4);
	assert_int_equal(ksef_session_part_count(s), 4);
	assert_int_equal(ksef_session_invoice_count(s), 0);
	for (p = 0; p < 4; p++)
		assert_int_equal(listed(ksef_session_part_reference(s, p),
					&xml, &ok), 0);
	for (p = 0; p < 3; p++)
		assert_int_equal(ksef_session_part_status(s, p),
				 KSEF_SESSION_CODE_CLOSED);
	clear_plan();
	/* the last one is still open, and works once the window ends */
	if (ksef_session_send(ref, s, xml.ptr, xml.size, NULL, &err) != 0)
		fail_msg("send after the window: %s", err.message);
	close_and_wait(s);
	assert_int_equal(ksef_session_invoice_at(s, 0)->status, 200);
	assert_int_equal(listed(ksef_session_reference(s), &xml, &ok), 1);
	assert_int_equal(ok, 1);
	ksef_session_free(s);
	ksef_buf_dispose(&xml);
	ksef_conn_free(c);
}

/* ksefd answers a send later than the client waits: the client gives
 * up, looks, and (the first not landed yet) sends again. Whatever the
 * order, one of the two is accepted and the other is a duplicate (440)
 * naming it: never two acceptances. (On a machine slow enough for the
 * first to land before the look, it is found instead: one invoice.) */
static void a_send_past_the_client_timeout_is_never_accepted_twice(
	void **state)
{
	ksef_conn *c = conn_new(1000, 0);
	ksef_session *s = session_new(c);
	ksef_buf xml = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ], sref[KSEF_REFNUM_BUFSZ];
	const ksef_session_invoice *e;
	ksef_error err;
	int n, ok;

	(void)state;
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"slow\", "
		"\"action\": \"delay\", \"delay_ms\": 1500, \"group\": "
		"\"send\", \"count\": 1}]}"), 0);
	gen(&xml, KSEF_FORM_FA3, NIP, "FSLOW/", 1, today);
	if (ksef_session_send(ref, s, xml.ptr, xml.size, NULL, &err) != 0)
		fail_msg("send: %s", err.message);
	snprintf(sref, sizeof(sref), "%s", ksef_session_reference(s));
	e2e_sleep_us(1000000); /* the delayed first send lands */
	close_and_wait(s);
	n = listed(sref, &xml, &ok);
	assert_in_range(n, 1, 2);
	assert_int_equal(ok, 1);
	assert_int_equal(listed_duplicates, n - 1);
	/* and the client's entry says it is in KSeF: accepted, or the
	 * resend's 440 naming the number the first was accepted under */
	e = ksef_session_invoice_at(s, 0);
	assert_non_null(e);
	if (e->status == 440) {
		assert_non_null(e->duplicate_of);
		assert_int_equal(n, 2);
	} else {
		assert_int_equal(e->status, 200);
	}
	assert_int_equal(log_lines("rule=slow action=delay"), 1);
	clear_plan();
	ksef_session_free(s);
	ksef_buf_dispose(&xml);
	ksef_conn_free(c);
}

/* The same, with the client's pause before it looks (poll_initial_ms)
 * longer than the rest of the delay: the first send has landed when the
 * client looks, so it is found and not sent again. The invoice is in the
 * session exactly once, and the entry says it was found. */
static void a_late_send_landing_before_the_look_is_found_not_resent(
	void **state)
{
	ksef_conn *c = conn_make(1000, 0, -1, 1500);
	int before = log_lines("/invoices 202");

	(void)state;
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"slow2\", "
		"\"action\": \"delay\", \"delay_ms\": 1300, \"group\": "
		"\"send\", \"count\": 1}]}"), 0);
	assert_int_equal(send_once_accepted("FSLOW2/", c), 1);
	assert_int_equal(log_lines("rule=slow2 action=delay"), 1);
	/* one send served: the delayed one, whose answer nobody read */
	assert_int_equal(log_lines_reach("/invoices 202", before + 1),
			 before + 1);
	clear_plan();
	ksef_conn_free(c);
}

/* Verification fails with the plan's status and detail; the client
 * reports both. */
static void a_verification_fault_gives_the_chosen_status(void **state)
{
	ksef_conn *c = conn_new(0, 0);
	ksef_session *s = session_new(c);
	ksef_buf xml = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ];
	const ksef_session_invoice *e;
	ksef_error err;

	(void)state;
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"bad-nip\", "
		"\"action\": \"fail_verification\", \"status\": 450, "
		"\"detail\": \"Nieprawidłowy NIP nabywcy.\", \"count\": 1}]}"),
		0);
	gen(&xml, KSEF_FORM_FA3, NIP, "F450/", 1, today);
	if (ksef_session_send(ref, s, xml.ptr, xml.size, NULL, &err) != 0)
		fail_msg("send: %s", err.message);
	close_and_wait(s);
	e = ksef_session_invoice_at(s, 0);
	assert_int_equal(e->status, 450);
	assert_null(e->ksef_number);
	assert_non_null(e->details);
	assert_non_null(strstr(e->details, "Nieprawidłowy NIP nabywcy."));
	assert_int_equal(log_lines("rule=bad-nip action=fail_verification"),
			 1);
	clear_plan();
	ksef_session_free(s);
	ksef_buf_dispose(&xml);
	ksef_conn_free(c);
}

/* A hold shows a decided invoice as 150 and its closed session as 170
 * for the time the plan says; the client keeps polling until it ends. */
static void a_hold_keeps_150_and_170_then_the_verdict_shows(void **state)
{
	ksef_envelope *env = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	char sref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ];
	ksef_api_invoice_status *st = NULL;
	ksef_api_session_status *ss = NULL;
	ksef_error err;

	(void)state;
	open_session(&admin, KSEF_FORM_FA3, &env, sref);
	gen(&xml, KSEF_FORM_FA3, NIP, "FHOLD/", 1, today);
	send_xml(&admin, sref, env, &xml, iref);
	assert_int_equal(ksef_client_session_close(admin.c, sref, &err), 0);
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"stuck\", "
		"\"action\": \"hold\", \"hold_ms\": 4000, \"group\": "
		"\"status\"}]}"), 0);
	if (ksef_client_session_invoice(&st, admin.c, sref, iref, &err) != 0)
		fail_msg("status: %s", err.message);
	assert_int_equal(st->status->code, 150);
	assert_null(st->ksef_number);
	ksef_api_invoice_status_free(st);
	if (ksef_client_session_status(&ss, admin.c, sref, &err) != 0)
		fail_msg("session status: %s", err.message);
	assert_int_equal(ss->status->code, 170);
	ksef_api_session_status_free(ss);
	/* the client waits it out */
	assert_int_equal(wait_session(&admin, sref, NULL), 200);
	st = wait_invoice(&admin, sref, iref);
	assert_int_equal(st->status->code, 200);
	ksef_api_invoice_status_free(st);
	assert_true(log_lines("rule=stuck action=hold") >= 2);
	clear_plan();
	ksef_envelope_free(env);
	ksef_buf_dispose(&xml);
}

/* The key is rotated mid-session: the open session goes on, and the next
 * one, opened with the key the client has cached, gets 21470; the client
 * fetches the keys again and opens it. */
static void a_key_rotated_mid_session_is_fetched_again(void **state)
{
	ksef_conn *c = conn_new(0, 0);
	ksef_session *s = session_new(c), *s2;
	ksef_buf xml = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ], out[4096];
	ksef_error err;
	int before = log_lines("POST /v2/sessions/online 400");

	(void)state;
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"rotate\", "
		"\"action\": \"rotate_key\", \"group\": \"send\", "
		"\"count\": 1}]}"), 0);
	gen(&xml, KSEF_FORM_FA3, NIP, "FKEY/", 1, today);
	if (ksef_session_send(ref, s, xml.ptr, xml.size, NULL, &err) != 0)
		fail_msg("send: %s", err.message);
	gen(&xml, KSEF_FORM_FA3, NIP, "FKEY/", 2, today);
	if (ksef_session_send(ref, s, xml.ptr, xml.size, NULL, &err) != 0)
		fail_msg("send after the rotation: %s", err.message);
	close_and_wait(s);
	assert_int_equal(ksef_session_invoice_at(s, 1)->status, 200);
	assert_int_equal(log_lines("rule=rotate action=rotate_key"), 1);
	assert_int_equal(ksefd_command(&srv, "keys list", out, sizeof(out)),
			 0);
	assert_non_null(strstr(out, "SymmetricKeyEncryption"));
	assert_non_null(strstr(out, " retired"));
	s2 = session_new(c);
	assert_int_equal(log_lines_reach("POST /v2/sessions/online 400",
					 before + 1), before + 1);
	ksef_session_free(s2);
	clear_plan();
	ksef_session_free(s);
	ksef_buf_dispose(&xml);
	ksef_conn_free(c);
}

/* `ksefd faults show` counts what fired; a bad plan is refused by the
 * command, which leaves the old one in force, and at start. */
static void plans_are_counted_and_bad_ones_refused(void **state)
{
	char out[8192], cmd[1024], dir[300];
	ksef_api_session_status *ss = NULL;
	ksef_error err;
	int st;

	(void)state;
	assert_int_equal(set_plan("{\"seed\": 1, \"rules\": [{\"id\": "
		"\"every-other\", \"action\": \"status\", \"status\": 503, "
		"\"route\": \"GET /sessions/{ref}\", \"nth\": 2, \"count\": "
		"1, \"code\": 21405, \"detail\": \"Przerwa techniczna.\"}]}"),
		0);
	assert_int_equal(ksefd_command(&srv, "faults set /nonexistent.json",
				       out, sizeof(out)) != 0, 1);
	assert_int_equal(set_plan("{\"rules\": [{\"id\": \"x\", \"action\": "
		"\"status\", \"status\": 502, \"rout\": \"/x\"}]}") != 0, 1);
	assert_int_equal(log_lines("unknown field \\\"rout\\\"") +
			 log_lines("unknown field \"rout\""), 1);
	/* the first plan still holds: the 2nd status read gets its 503 */
	{
		ksef_envelope *env = NULL;
		char sref[KSEF_REFNUM_BUFSZ];

		open_session(&admin, KSEF_FORM_FA3, &env, sref);
		assert_int_equal(ksef_client_session_status(&ss, admin.c, sref,
							    &err), 0);
		ksef_api_session_status_free(ss);
		/* the low-level client retries a 503 on a read by itself */
		assert_int_equal(ksef_client_session_status(&ss, admin.c, sref,
							    &err), 0);
		ksef_api_session_status_free(ss);
		ksef_envelope_free(env);
	}
	assert_int_equal(ksefd_command(&srv, "faults show", out, sizeof(out)),
			 0);
	assert_non_null(strstr(out, "every-other"));
	assert_non_null(strstr(out, "rule every-other fired 1"));
	clear_plan();
	assert_int_equal(ksefd_command(&srv, "faults show", out, sizeof(out)),
			 0);
	assert_non_null(strstr(out, "(none)"));

	/* at start: exit 1, with the reason */
	snprintf(dir, sizeof(dir), "%s/other", srv.data_dir);
	snprintf(cmd, sizeof(cmd), "%s/plan.json", srv.data_dir);
	{
		FILE *f = fopen(cmd, "w");

		assert_non_null(f);
		fputs("{\"rules\": [{\"id\": \"x\", \"action\": \"delay\"}]}",
		      f);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "%s/ksefd --data %s --faults "
		 "%s/plan.json 2>%s/start.err", getenv("KSEF_BUILD_DIR") ?
		 getenv("KSEF_BUILD_DIR") : ".", dir, srv.data_dir,
		 srv.data_dir);
	st = system(cmd);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	snprintf(cmd, sizeof(cmd), "grep -q 'needs delay_ms' %s/start.err",
		 srv.data_dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			html_502_on_a_send_is_looked_up_then_sent_once),
		cmocka_unit_test(
			a_send_whose_answer_is_dropped_is_found_not_resent),
		cmocka_unit_test(
			a_send_dropped_before_it_is_taken_is_sent_again),
		cmocka_unit_test(a_store_failure_answers_500_and_keeps_nothing),
		cmocka_unit_test(a_429_storm_is_waited_out_within_the_cap),
		cmocka_unit_test(
			a_21184_without_continuation_fails_with_the_code),
		cmocka_unit_test(
			a_21184_continues_in_a_new_session_each_invoice_once),
		cmocka_unit_test(
			a_21184_whose_old_session_will_not_close_is_closed_later),
		cmocka_unit_test(
			a_find_or_send_into_an_unavailable_session_goes_on),
		cmocka_unit_test(
			a_21184_everywhere_fails_after_three_new_sessions),
		cmocka_unit_test(
			a_send_past_the_client_timeout_is_never_accepted_twice),
		cmocka_unit_test(
			a_late_send_landing_before_the_look_is_found_not_resent),
		cmocka_unit_test(a_verification_fault_gives_the_chosen_status),
		cmocka_unit_test(
			a_hold_keeps_150_and_170_then_the_verdict_shows),
		cmocka_unit_test(a_key_rotated_mid_session_is_fetched_again),
		cmocka_unit_test(plans_are_counted_and_bad_ones_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
