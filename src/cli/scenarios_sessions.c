/*
 * scenarios_sessions.c - the scenarios about sessions and who may use
 * them: searching sessions with GET /sessions
 * (sesja-sprawdzenie-stanu-i-pobranie-upo.md), listing and revoking
 * authentications (auth/sesje.md), the technical correction of an offline
 * invoice (offline/korekta-techniczna.md), and a second taxpayer working
 * in a context by a test-data permission (dane-testowe-scenariusze.md).
 * docs/scenarios.md lists their steps; the kit is scenarios_kit.c's.
 */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "config.h"
#include "scenarios.h"

/* Pages read at most by one search: the run's contexts are new, so they
 * hold a handful of sessions; more means the filters were not applied. */
#define SEARCH_MAX_PAGES 20

/* What one GET /sessions search found, over all its pages. */
struct found {
	size_t count;
	int a, b;     /* whether the two sessions of the scenario were in it */
	int a_status; /* the first one's status code, when found */
};

static int search(struct scn_party *p, const ksef_client_session_query *q,
		  const char *a, const char *b, struct found *f,
		  ksef_error *err)
{
	ksef_api_session_list *page = NULL;
	char cont[4096] = "";
	int rc, pages = 0;
	size_t i;

	memset(f, 0, sizeof(*f));
	if ((rc = scn_authorize(p, err)) != 0)
		return rc;
	do {
		const char *next;

		rc = ksef_client_sessions(&page, p->client, q,
					  cont[0] ? cont : NULL, err);
		if (rc != 0)
			return rc;
		for (i = 0; i < ksef_api_session_list_count(page); i++) {
			const ksef_api_session_item *it =
				ksef_api_session_list_at(page, i);

			f->count++;
			if (a != NULL && strcmp(it->reference_number, a) == 0) {
				f->a = 1;
				f->a_status = it->status->code;
			}
			if (b != NULL && strcmp(it->reference_number, b) == 0)
				f->b = 1;
		}
		next = ksef_api_session_list_continuation(page);
		snprintf(cont, sizeof(cont), "%s", next ? next : "");
		ksef_api_session_list_free(page);
		page = NULL;
	} while (cont[0] != '\0' && ++pages < SEARCH_MAX_PAGES);
	return 0;
}

/* One search as a step: it must find exactly `count` sessions, and a and
 * b as wanted (1 found, 0 not). */
static int expect_search(struct scn *s, struct scn_party *p,
			 const char *name, const ksef_client_session_query *q,
			 const char *a, const char *b, size_t count,
			 int want_a, int want_b)
{
	ksef_error err = { 0, 0, "" };
	struct found f;
	int rc = search(p, q, a, b, &f, &err);

	if (rc != 0)
		return scn_call(s, name, rc, &err);
	return scn_check(s, name, f.count == count && f.a == want_a &&
			 f.b == want_b, "%zu found (expected %zu); the closed "
			 "session %s, the open one %s", f.count, count,
			 f.a ? "in" : "not in", f.b ? "in" : "not in");
}

void scn_session_search(struct scn *s)
{
	struct scn_party p;
	struct scn_invoice o = { KSEF_FORM_FA3, NULL, NULL, NULL, 1, 0 };
	ksef_client_session_query q = KSEF_CLIENT_SESSION_QUERY_INIT;
	ksef_session *closed = NULL, *open = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	char a[KSEF_REFNUM_BUFSZ], b[KSEF_REFNUM_BUFSZ];
	/* A minute of slack for a server whose clock is a little off. */
	int64_t t0 = ksef_time_now().unix_ms - 60000;

	if (!scn_party_make(s, &p))
		return;
	o.seller = p.nip;
	/* One session closed after an accepted invoice, one left open. */
	if (!scn_login(s, &p, NULL) ||
	    !scn_open(s, &p, KSEF_FORM_FA3, &closed) ||
	    !scn_generate(s, &xml, &o) ||
	    !scn_send_expect(s, closed, "send an invoice: accepted (200)",
			     &xml, NULL, KSEF_INVOICE_STATUS_OK, NULL) ||
	    !scn_close_expect(s, closed, KSEF_SESSION_CODE_OK) ||
	    !scn_open(s, &p, KSEF_FORM_FA3, &open))
		goto out;
	snprintf(a, sizeof(a), "%s", ksef_session_reference(closed));
	snprintf(b, sizeof(b), "%s", ksef_session_reference(open));
	/* The context is the run's own: its sessions are exactly these. */
	if (!expect_search(s, &p, "sessionType Online: both sessions", &q, a,
			   b, 2, 1, 1))
		goto out;
	q.reference_number = a;
	if (!expect_search(s, &p, "referenceNumber: that session alone", &q,
			   a, b, 1, 1, 0))
		goto out;
	q.reference_number = NULL;
	q.statuses = KSEF_SESSION_STATUS_SUCCEEDED;
	if (!expect_search(s, &p, "statuses Succeeded: the closed session",
			   &q, a, b, 1, 1, 0))
		goto out;
	q.statuses = KSEF_SESSION_STATUS_IN_PROGRESS;
	if (!expect_search(s, &p, "statuses InProgress: the open session",
			   &q, a, b, 1, 0, 1))
		goto out;
	q.statuses = KSEF_SESSION_STATUS_FAILED |
		     KSEF_SESSION_STATUS_CANCELLED;
	if (!expect_search(s, &p, "statuses Failed, Cancelled: none", &q, a,
			   b, 0, 0, 0))
		goto out;
	q.statuses = 0;
	q.date_created_from_ms = t0;
	if (!expect_search(s, &p, "dateCreatedFrom before the run: both", &q,
			   a, b, 2, 1, 1))
		goto out;
	q.date_created_from_ms = KSEF_TIME_UNSET;
	q.date_created_to_ms = t0 - 3600000;
	if (!expect_search(s, &p, "dateCreatedTo an hour before: none", &q,
			   a, b, 0, 0, 0))
		goto out;
	q.date_created_to_ms = KSEF_TIME_UNSET;
	q.type = KSEF_SESSION_TYPE_BATCH;
	if (!expect_search(s, &p, "sessionType Batch: none", &q, a, b, 0, 0,
			   0))
		goto out;
	/* Closed with no invoice: cancelled (440), and found so. */
	if (!scn_close_expect(s, open, KSEF_SESSION_CODE_CANCELLED))
		goto out;
	q.type = KSEF_SESSION_TYPE_ONLINE;
	q.statuses = KSEF_SESSION_STATUS_CANCELLED;
	(void)expect_search(s, &p, "statuses Cancelled: the session closed "
			    "empty", &q, a, b, 1, 0, 1);
out:
	ksef_buf_dispose(&xml);
	ksef_session_free(open);
	ksef_session_free(closed);
	scn_party_free(&p);
}

/* Whether GET /auth/sessions lists ref, and whether as the current one:
 * *where gets -1 (absent), 0 or 1. */
static int listed(struct scn_party *p, const char *ref, int *where,
		  ksef_error *err)
{
	ksef_api_auth_list *page = NULL;
	char cont[4096] = "";
	int rc, pages = 0;
	size_t i;

	*where = -1;
	do {
		const char *next;

		rc = ksef_client_auth_sessions(&page, p->client, 0,
					       cont[0] ? cont : NULL, err);
		if (rc != 0)
			return rc;
		for (i = 0; i < ksef_api_auth_list_count(page); i++) {
			const ksef_api_auth_status *it =
				ksef_api_auth_list_at(page, i);

			if (it->reference_number != NULL &&
			    strcmp(it->reference_number, ref) == 0)
				*where = it->is_current == 1;
		}
		next = ksef_api_auth_list_continuation(page);
		snprintf(cont, sizeof(cont), "%s", next ? next : "");
		ksef_api_auth_list_free(page);
		page = NULL;
	} while (cont[0] != '\0' && ++pages < SEARCH_MAX_PAGES);
	return 0;
}

static int expect_listed(struct scn *s, struct scn_party *p,
			 const char *name, const char *ref, int want)
{
	static const char *const words[] = { "absent", "listed",
					     "listed as current" };
	ksef_error err = { 0, 0, "" };
	int rc, where;

	if ((rc = listed(p, ref, &where, &err)) != 0)
		return scn_call(s, name, rc, &err);
	return scn_check(s, name, where == want, "%s is %s, expected %s",
			 ref, words[where + 1], words[want + 1]);
}

/* A saved login of c refreshed anew, without credentials: fails once
 * its authentication was revoked. */
static int refresh_refused(struct scn *s, const char *name,
			   const ksef_buf *state)
{
	ksef_conn *c = NULL;
	ksef_error err = { 0, 0, "" };
	int rc;

	rc = ksef_conn_resume(&c, NULL, (const char *)state->ptr, state->size,
			      &err);
	if (rc != 0)
		return scn_call(s, name, rc, &err);
	rc = ksef_conn_refresh(c, &err);
	ksef_conn_free(c);
	return scn_check(s, name, rc != 0, "the refresh token still works");
}

void scn_auth_revoke(struct scn *s)
{
	struct scn_party p;
	ksef_conn *second = NULL;
	ksef_buf state = KSEF_BUF_INIT;
	ksef_client_session_query q = KSEF_CLIENT_SESSION_QUERY_INIT;
	ksef_api_session_list *page = NULL;
	ksef_error err = { 0, 0, "" };
	char first_ref[KSEF_REFNUM_BUFSZ], second_ref[KSEF_REFNUM_BUFSZ];
	int rc;

	if (!scn_party_make(s, &p))
		return;
	if (!scn_login(s, &p, NULL) || !scn_login_again(s, &p, &second))
		goto out;
	if (ksef_conn_auth_reference(first_ref, p.conn) != 0 ||
	    ksef_conn_auth_reference(second_ref, second) != 0) {
		scn_fail(s, "the logins' reference numbers", "none");
		goto out;
	}
	if (!expect_listed(s, &p, "GET /auth/sessions: the first login, "
			   "current", first_ref, 1) ||
	    !expect_listed(s, &p, "GET /auth/sessions: the second login",
			   second_ref, 0))
		goto out;
	/* DELETE /auth/sessions/{referenceNumber}: the second one. */
	rc = ksef_conn_export(&state, second, &err);
	if (rc == 0)
		rc = ksef_client_auth_revoke(p.client, second_ref, &err);
	if (!scn_call(s, "DELETE /auth/sessions/{ref} of the second login",
		      rc, &err) ||
	    !refresh_refused(s, "the second login's refresh token is refused",
			     &state) ||
	    !expect_listed(s, &p, "GET /auth/sessions: the second login is "
			   "gone", second_ref, -1))
		goto out;
	/* DELETE /auth/sessions/current: the first one, whose access token
	 * goes on working until it expires. */
	ksef_buf_dispose_secure(&state);
	rc = ksef_conn_export(&state, p.conn, &err);
	if (rc == 0)
		rc = ksef_conn_revoke(p.conn, &err);
	if (!scn_call(s, "DELETE /auth/sessions/current", rc, &err) ||
	    !refresh_refused(s, "its refresh token is refused", &state))
		goto out;
	rc = ksef_client_sessions(&page, p.client, &q, NULL, &err);
	ksef_api_session_list_free(page);
	(void)scn_call(s, "its access token still works (GET /sessions)", rc,
		       &err);
out:
	ksef_buf_dispose_secure(&state);
	ksef_conn_free(second);
	scn_party_free(&p);
}

/* A send the server refuses at once (400) with an exception code. */
static int send_refused(struct scn *s, ksef_session *ses, const char *name,
			const ksef_buf *xml, const ksef_client_send_options *o,
			int code)
{
	const ksef_api_error *api;
	ksef_error err = { 0, 0, "" };
	char ref[KSEF_REFNUM_BUFSZ];
	int rc = ksef_session_send(ref, ses, xml->ptr, xml->size, o, &err);

	if (rc == 0)
		return scn_fail(s, name, "the server took it as %s", ref);
	api = ksef_session_last_error(ses);
	return scn_check(s, name, rc == KSEF_EHTTP && api != NULL &&
			 api->http_status == 400 &&
			 ksef_api_error_has_code(api, code), "%s: %s",
			 ksef_strerror(rc), err.message);
}

void scn_technical_correction(struct scn *s)
{
	struct scn_party p;
	struct scn_invoice o = { KSEF_FORM_FA3, NULL, NULL, NULL, 1, 0 };
	ksef_client_send_options opts = KSEF_CLIENT_SEND_OPTIONS_INIT;
	struct scn_sent refused, fixed;
	ksef_session *ses = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	char buyer[KSEF_NIP_BUFSZ], from[32], to[32];

	if (!scn_party_make(s, &p))
		return;
	o.seller = p.nip;
	o.buyer = buyer;
	if (ksef_nip_generate(buyer, &err) != 0) {
		scn_call(s, "a random buyer NIP", KSEF_ECRYPTO, &err);
		goto out;
	}
	opts.offline_mode = 1;
	if (!scn_login(s, &p, NULL) ||
	    !scn_open(s, &p, KSEF_FORM_FA3, &ses) ||
	    !scn_generate(s, &xml, &o))
		goto out;
	/* The seller's software made the offline invoice against the
	 * schema (here: the buyer's NIP), so KSeF refuses it... */
	snprintf(from, sizeof(from), "<NIP>%s</NIP>", buyer);
	snprintf(to, sizeof(to), "<NIP>0%s</NIP>", buyer + 1);
	if (scn_replace(&xml, "<Podmiot2>", from, to) != 0) {
		scn_fail(s, "break the offline invoice", "no Podmiot2 NIP");
		goto out;
	}
	if (!scn_send_expect(s, ses, "an offline invoice against the schema: "
			     "450", &xml, &opts, KSEF_INVOICE_STATUS_SEMANTIC,
			     &refused))
		goto out;
	/* ...then makes it again, the same content but valid, and sends it
	 * with offlineMode and hashOfCorrectedInvoice. */
	opts.hash_of_corrected_invoice = refused.hash;
	if (!scn_generate(s, &xml, &o) ||
	    !scn_send_expect(s, ses, "its technical correction: 200", &xml,
			     &opts, KSEF_INVOICE_STATUS_OK, &fixed) ||
	    !scn_mode_is(s, &p, ksef_session_reference(ses), &fixed,
			"Offline"))
		goto out;
	/* One accepted correction per invoice, and none of an accepted
	 * invoice (open-api.json: 21166, 21167). */
	o.index = 2;
	if (!scn_generate(s, &xml, &o) ||
	    !send_refused(s, ses, "a second correction of it: 400/21166",
			  &xml, &opts, 21166))
		goto out;
	opts.hash_of_corrected_invoice = fixed.hash;
	if (!send_refused(s, ses, "a correction of an accepted invoice: "
			  "400/21167", &xml, &opts, 21167))
		goto out;
	(void)scn_close_expect(s, ses, KSEF_SESSION_CODE_OK);
out:
	ksef_buf_dispose(&xml);
	ksef_session_free(ses);
	scn_party_free(&p);
}

/* A login of b into a's context that must be refused. */
static int login_refused(struct scn *s, const char *name,
			 struct scn_party *b, const char *ctx)
{
	ksef_error err = { 0, 0, "" };
	int code, rc = scn_try_login(b, ctx, s->base_url, &code, &err);

	if (rc == 0)
		return scn_fail(s, name, "the login succeeded");
	return scn_pass(s, name, "status %d: %s", code, err.message);
}

void scn_second_person(struct scn *s)
{
	static const char *const types[] = { "InvoiceWrite", "InvoiceRead" };
	static const char *const descs[] = {
		"Scenariusz: wystawianie faktur w kontekscie",
		"Scenariusz: odczyt faktur w kontekscie" };
	ksef_client_testdata_permissions g =
		KSEF_CLIENT_TESTDATA_PERMISSIONS_INIT;
	struct scn_party a, b;
	struct scn_invoice o = { KSEF_FORM_FA3, NULL, NULL, NULL, 1, 0 };
	ksef_client *td = NULL;
	ksef_session *ses = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	int rc;

	if (!scn_party_make(s, &a))
		return;
	if (!scn_party_make(s, &b)) {
		scn_party_free(&a);
		return;
	}
	o.seller = a.nip;
	if (!login_refused(s, "the second logs into the first's context "
			   "without a permission: refused", &b, a.nip))
		goto out;
	/* POST /testdata/permissions, no token (dane-testowe-scenariusze.md,
	 * scenario 3's request, for a NIP). */
	g.context_identifier = a.nip;
	g.authorized_identifier_type = "Nip";
	g.authorized_identifier = b.nip;
	g.permission_types = types;
	g.descriptions = descs;
	g.permission_count = 2;
	rc = cli_client_new(&td, s->base_url, &err);
	if (rc == 0)
		rc = ksef_client_testdata_permissions_grant(td, &g, &err);
	if (!scn_call(s, "POST /testdata/permissions: InvoiceWrite, "
		      "InvoiceRead in the first's context", rc, &err) ||
	    !scn_login(s, &b, a.nip) ||
	    !scn_open(s, &b, KSEF_FORM_FA3, &ses) ||
	    !scn_generate(s, &xml, &o) ||
	    !scn_send_expect(s, ses, "the second sends the first's invoice: "
			     "200", &xml, NULL, KSEF_INVOICE_STATUS_OK, NULL) ||
	    !scn_close_expect(s, ses, KSEF_SESSION_CODE_OK))
		goto out;
	rc = ksef_client_testdata_permissions_revoke(td, a.nip, "Nip", b.nip,
						     &err);
	if (!scn_call(s, "POST /testdata/permissions/revoke", rc, &err))
		goto out;
	(void)login_refused(s, "after the revocation the second's login is "
			    "refused", &b, a.nip);
out:
	ksef_buf_dispose(&xml);
	ksef_session_free(ses);
	ksef_client_free(td);
	scn_party_free(&b);
	scn_party_free(&a);
}
