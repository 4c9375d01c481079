/*
 * ksefd_visibility_test.c - who sees which session (GET /sessions'
 * description; the official scenario S6): a colleague granted
 * InvoiceWrite sees and acts only on the sessions it opened. The owner's
 * session is to it as one that does not exist (21173) for its status, its
 * invoices, its close and a send, and is not in its list; the owner, who
 * holds Introspection, sees the colleague's session; a second colleague
 * does not.
 */
#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "e2e.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
#define COLLEAGUE "7010012385"
#define OTHER "1234563218"

static struct ksefd_proc srv;

static int setup(void **state)
{
	char out[256];

	(void)state;
	ksefd_start(&srv, NULL, NULL);
	if (ksefd_command(&srv, "grant --nip " NIP " --subject-nip " COLLEAGUE
			  " --permissions InvoiceWrite,InvoiceRead", out,
			  sizeof(out)) != 0 ||
	    ksefd_command(&srv, "grant --nip " NIP " --subject-nip " OTHER
			  " --permissions InvoiceWrite", out,
			  sizeof(out)) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ksefd_stop(&srv);
	ksefd_cleanup(&srv);
	return 0;
}

/* The call failed with 400/21173, the code of a session that is not. */
static void refused_as_unknown(struct login *l, int rc)
{
	const ksef_api_error *e = ksef_client_last_error(l->c);

	assert_int_not_equal(rc, 0);
	assert_int_equal(e->http_status, 400);
	assert_true(ksef_api_error_has_code(e, 21173));
}

static int listed(struct login *l, const char *sref)
{
	ksef_client_session_query q = KSEF_CLIENT_SESSION_QUERY_INIT;
	ksef_api_session_list *list = NULL;
	ksef_error err;
	size_t i;
	int found = 0;

	q.page_size = 1000;
	if (ksef_client_sessions(&list, l->c, &q, NULL, &err) != 0)
		fail_msg("sessions: %s", err.message);
	for (i = 0; i < ksef_api_session_list_count(list); i++)
		found |= strcmp(ksef_api_session_list_at(list, i)->
				reference_number, sref) == 0;
	ksef_api_session_list_free(list);
	return found;
}

static void a_colleague_acts_only_on_its_own_sessions(void **state)
{
	struct login owner, mate, other;
	ksef_envelope *env = NULL, *env2 = NULL;
	char own[KSEF_REFNUM_BUFSZ], mine[KSEF_REFNUM_BUFSZ],
	     iref[KSEF_REFNUM_BUFSZ];
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_api_session_status *ss = NULL;
	ksef_api_invoice_list *inv = NULL;
	ksef_api_invoice_status *st;
	ksef_invoice_meta meta;
	ksef_error err;

	(void)state;
	login_xades(&owner, &srv, NIP, NIP, NULL);
	login_xades(&mate, &srv, NIP, COLLEAGUE, NULL);
	login_xades(&other, &srv, NIP, OTHER, NULL);
	open_session(&owner, KSEF_FORM_FA3, &env, own);
	gen(&xml, KSEF_FORM_FA3, NIP, "S6", 1, NULL);
	send_xml(&owner, own, env, &xml, iref);

	/* The owner's session, to the colleague: not there. */
	refused_as_unknown(&mate, ksef_client_session_status(&ss, mate.c, own,
							     &err));
	refused_as_unknown(&mate, ksef_client_session_invoices(&inv, mate.c,
		own, 0, 10, NULL, &err));
	refused_as_unknown(&mate, ksef_client_invoice_send(iref, &meta, mate.c,
		own, env, xml.ptr, xml.size, NULL, &err));
	refused_as_unknown(&mate, ksef_client_session_close(mate.c, own, &err));
	assert_false(listed(&mate, own));
	/* Still open: the refused close changed nothing. */
	assert_int_equal(ksef_client_session_status(&ss, owner.c, own, &err), 0);
	assert_int_equal(ss->status->code, 100);
	ksef_api_session_status_free(ss);
	ss = NULL;

	/* The colleague's own session: its to use, the owner's to see. */
	open_session(&mate, KSEF_FORM_FA3, &env2, mine);
	gen(&xml, KSEF_FORM_FA3, NIP, "S6", 2, NULL);
	send_xml(&mate, mine, env2, &xml, iref);
	st = wait_invoice(&mate, mine, iref);
	assert_int_equal(st->status->code, 200);
	ksef_api_invoice_status_free(st);
	assert_true(listed(&mate, mine));
	assert_true(listed(&owner, mine));
	assert_true(listed(&owner, own));
	assert_int_equal(ksef_client_session_invoices(&inv, owner.c, mine, 0,
						      10, NULL, &err), 0);
	ksef_api_invoice_list_free(inv);
	inv = NULL;
	/* A second colleague sees neither. */
	refused_as_unknown(&other, ksef_client_session_status(&ss, other.c,
							      mine, &err));
	assert_false(listed(&other, mine));
	assert_false(listed(&other, own));

	assert_int_equal(ksef_client_session_close(mate.c, mine, &err), 0);
	assert_int_equal(ksef_client_session_close(owner.c, own, &err), 0);
	ksef_envelope_free(env);
	ksef_envelope_free(env2);
	ksef_buf_dispose(&xml);
	logout(&owner);
	logout(&mate);
	logout(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_colleague_acts_only_on_its_own_sessions),
	};

	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	return cmocka_run_group_tests(tests, setup, teardown);
}
