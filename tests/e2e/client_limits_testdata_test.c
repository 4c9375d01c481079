/*
 * client_limits_testdata_test.c - libksef's calls of the tags "Limity i
 * ograniczenia" and "Dane testowe" (client_limits.h, client_testdata.h)
 * against the real ksefd, each checked by its effect: session,
 * certificate and rate limits set are read back and put back, a lowered
 * invoice limit refuses the next invoice; a test subject is seen as an
 * entity role and goes with its removal, a test person's PESEL owns its
 * NIP's context until removed, a test permission lets a colleague in
 * until revoked, the attachment consent shows in its status, a blocked
 * context refuses authentication with 480 until unblocked. The test data
 * calls go from a client without a token. Under --profile production the
 * test data and the limit setters are 404, the reads still work.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "ksef/client_limits.h"
#include "ksef/client_testdata.h"
#include "e2e.h"
#include "http_raw.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
#define COLLEAGUE "1234563218"
#define JST "7762811692"
#define SCHOOL "8225900795"
#define PERSON_NIP "4972530874"
#define BLOCKED "3755747347"
#define PESEL "30112206276"

static struct ksefd_proc srv;

static int setup(void **state)
{
	static const char *const args[] = { "--processing-delay", "0", NULL };

	(void)state;
	memset(&srv, 0, sizeof(srv));
	ksefd_start(&srv, NULL, args);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ksefd_stop(&srv);
	ksefd_cleanup(&srv);
	return 0;
}

/* A login by KSeF token into nip's context of p, with perms. */
static void token_login(struct login *l, const struct ksefd_proc *p,
			const char *nip, const char *perms)
{
	char token[512];

	ksefd_token(p, nip, perms, token, sizeof(token));
	login(l, p, nip, token);
}

/* A client of srv without any token, as the test data calls need. */
static ksef_client *anonymous(void)
{
	return client_for(&srv);
}

/* Fail the test with the call's message unless it succeeded. */
static void ok(int rc, const ksef_error *err, const char *what)
{
	if (rc != 0)
		fail_msg("%s: %s", what, err->message);
}

/* The call was refused by the server with HTTP status and code. */
static void refused(ksef_client *c, int rc, int status, int code)
{
	const ksef_api_error *e = ksef_client_last_error(c);

	assert_int_equal(rc, KSEF_EHTTP);
	assert_non_null(e);
	assert_int_equal(e->http_status, status);
	if (code != 0)
		assert_int_equal(ksef_api_error_has_code(e, code), 1);
}

static void assert_session(const ksef_api_session_limits *l, int mb,
			   int att_mb, int invoices)
{
	assert_int_equal(l->max_invoice_size_in_mb, mb);
	assert_int_equal(l->max_invoice_with_attachment_size_in_mb, att_mb);
	assert_int_equal(l->max_invoices, invoices);
}

/*
 * Limits
 */

static void session_limits_are_set_read_back_and_reset(void **state)
{
	ksef_client_session_limits in = KSEF_CLIENT_SESSION_LIMITS_INIT;
	ksef_api_context_limits *cl = NULL;
	ksef_error err;
	struct login l;

	(void)state;
	token_login(&l, &srv, NIP, "InvoiceWrite,InvoiceRead");
	ok(ksef_client_limits_context(&cl, l.c, &err), &err, "limits");
	assert_session(cl->online_session, 1, 3, 10000);
	assert_session(cl->batch_session, 1, 3, 10000);
	ksef_api_context_limits_free(cl);

	in.online_session.max_invoice_size_in_mb = 2;
	in.online_session.max_invoice_with_attachment_size_in_mb = 4;
	in.online_session.max_invoices = 5;
	in.batch_session.max_invoice_size_in_mb = 3;
	in.batch_session.max_invoice_with_attachment_size_in_mb = 6;
	in.batch_session.max_invoices = 7;
	ok(ksef_client_limits_session_set(l.c, &in, &err), &err, "set");
	ok(ksef_client_limits_context(&cl, l.c, &err), &err, "limits");
	assert_session(cl->online_session, 2, 4, 5);
	assert_session(cl->batch_session, 3, 6, 7);
	ksef_api_context_limits_free(cl);

	ok(ksef_client_limits_session_reset(l.c, &err), &err, "reset");
	ok(ksef_client_limits_context(&cl, l.c, &err), &err, "limits");
	assert_session(cl->online_session, 1, 3, 10000);
	assert_session(cl->batch_session, 1, 3, 10000);
	ksef_api_context_limits_free(cl);
	logout(&l);
}

static void a_lowered_invoice_limit_refuses_the_next_invoice(void **state)
{
	ksef_client_session_limits in = KSEF_CLIENT_SESSION_LIMITS_INIT;
	char sref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ];
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_envelope *env = NULL;
	ksef_invoice_meta meta;
	ksef_error err;
	struct login l;

	(void)state;
	token_login(&l, &srv, NIP, "InvoiceWrite,InvoiceRead");
	in.online_session.max_invoices = 1;
	ok(ksef_client_limits_session_set(l.c, &in, &err), &err, "set");
	open_session(&l, KSEF_FORM_FA3, &env, sref);
	gen(&xml, KSEF_FORM_FA3, NIP, "LIM", 1, NULL);
	send_xml(&l, sref, env, &xml, iref);
	ksef_buf_dispose(&xml);
	gen(&xml, KSEF_FORM_FA3, NIP, "LIM", 2, NULL);
	refused(l.c, ksef_client_invoice_send(iref, &meta, l.c, sref, env,
					      xml.ptr, xml.size, NULL, &err),
		400, 21155);
	ksef_buf_dispose(&xml);
	ok(ksef_client_session_close(l.c, sref, &err), &err, "close");
	ksef_envelope_free(env);
	ok(ksef_client_limits_session_reset(l.c, &err), &err, "reset");
	logout(&l);
}

static void certificate_limits_are_set_read_back_and_reset(void **state)
{
	ksef_client_subject_limits in = KSEF_CLIENT_SUBJECT_LIMITS_INIT;
	ksef_api_subject_limits *sl = NULL;
	int64_t enrollments, certificates;
	ksef_error err;
	struct login l;

	(void)state;
	token_login(&l, &srv, NIP, "InvoiceWrite");
	ok(ksef_client_limits_subject(&sl, l.c, &err), &err, "limits");
	/* A NIP's defaults (limity/limity.md). */
	assert_int_equal(sl->max_enrollments, 300);
	assert_int_equal(sl->max_certificates, 100);
	enrollments = sl->max_enrollments;
	certificates = sl->max_certificates;
	ksef_api_subject_limits_free(sl);

	in.subject_identifier_type = "Nip";
	in.max_enrollments = 4;
	in.max_certificates = 3;
	ok(ksef_client_limits_certificate_set(l.c, &in, &err), &err, "set");
	ok(ksef_client_limits_subject(&sl, l.c, &err), &err, "limits");
	assert_int_equal(sl->max_enrollments, 4);
	assert_int_equal(sl->max_certificates, 3);
	ksef_api_subject_limits_free(sl);

	/* A part left out keeps what was set. */
	in.subject_identifier_type = NULL;
	in.max_enrollments = -1;
	in.max_certificates = 9;
	ok(ksef_client_limits_certificate_set(l.c, &in, &err), &err, "set");
	ok(ksef_client_limits_subject(&sl, l.c, &err), &err, "limits");
	assert_int_equal(sl->max_enrollments, 4);
	assert_int_equal(sl->max_certificates, 9);
	ksef_api_subject_limits_free(sl);

	/* The limits are the authenticated subject's: a NIP, not a PESEL. */
	in.subject_identifier_type = "Pesel";
	refused(l.c, ksef_client_limits_certificate_set(l.c, &in, &err), 400,
		21405);

	ok(ksef_client_limits_certificate_reset(l.c, &err), &err, "reset");
	ok(ksef_client_limits_subject(&sl, l.c, &err), &err, "limits");
	assert_int_equal(sl->max_enrollments, enrollments);
	assert_int_equal(sl->max_certificates, certificates);
	ksef_api_subject_limits_free(sl);
	logout(&l);
}

/* Every group of list equals the same group of want. */
static void assert_rates(const ksef_api_rate_limits *list,
			 ksef_client_rate_limits *want)
{
	size_t i;

	assert_int_equal(ksef_api_rate_limits_count(list), 12);
	for (i = 0; i < 12; i++) {
		const ksef_api_rate_limit *g = ksef_api_rate_limits_at(list, i);
		const ksef_rate_limit_values *v =
			ksef_client_rate_limits_group(want, g->group);

		assert_non_null(v);
		if (g->per_second != v->per_second ||
		    g->per_minute != v->per_minute ||
		    g->per_hour != v->per_hour)
			fail_msg("%s: %lld/%lld/%lld, expected %d/%d/%d",
				 g->group, (long long)g->per_second,
				 (long long)g->per_minute,
				 (long long)g->per_hour, v->per_second,
				 v->per_minute, v->per_hour);
	}
}

static void rate_limits_are_set_read_back_switched_and_reset(void **state)
{
	ksef_client_rate_limits in = KSEF_CLIENT_RATE_LIMITS_INIT;
	ksef_client_rate_limits production = KSEF_CLIENT_RATE_LIMITS_INIT;
	ksef_api_rate_limits *rl = NULL;
	ksef_error err;
	struct login l;

	(void)state;
	token_login(&l, &srv, NIP, "InvoiceRead");
	/* This ksefd runs without rate limits, and reports the production
	 * numbers (docs/ksefd.md), which INIT holds. */
	ok(ksef_client_limits_rate(&rl, l.c, &err), &err, "rate limits");
	assert_rates(rl, &production);
	ksef_api_rate_limits_free(rl);

	in.invoice_send.per_second = 1;
	in.invoice_send.per_minute = 2;
	in.invoice_send.per_hour = 3;
	in.other.per_hour = 119;
	ok(ksef_client_rate_limits_set(l.c, &in, &err), &err, "set");
	ok(ksef_client_limits_rate(&rl, l.c, &err), &err, "rate limits");
	assert_rates(rl, &in);
	assert_int_equal(ksef_api_rate_limits_find(rl, "invoiceSend")->per_hour,
			 3);
	ksef_api_rate_limits_free(rl);

	/* Over the group's production limit: the server's refusal. */
	in.invoice_send.per_second = 11;
	refused(l.c, ksef_client_rate_limits_set(l.c, &in, &err), 400, 21405);

	ok(ksef_client_rate_limits_production(l.c, &err), &err, "production");
	ok(ksef_client_limits_rate(&rl, l.c, &err), &err, "rate limits");
	assert_rates(rl, &production);
	ksef_api_rate_limits_free(rl);

	ok(ksef_client_rate_limits_reset(l.c, &err), &err, "reset");
	ok(ksef_client_limits_rate(&rl, l.c, &err), &err, "rate limits");
	assert_rates(rl, &production);
	ksef_api_rate_limits_free(rl);
	logout(&l);
}

static void a_lowered_rate_limit_answers_429(void **state)
{
	ksef_client_rate_limits in = KSEF_CLIENT_RATE_LIMITS_INIT;
	ksef_api_context_limits *cl = NULL;
	ksef_error err;
	struct login l;
	int i, rc = 0;

	(void)state;
	token_login(&l, &srv, NIP, "InvoiceRead");
	/* GET /limits/context is in the group other, with a counter of its
	 * own: one a second lets the second call of a quick pair fail. */
	in.other.per_second = 1;
	ok(ksef_client_rate_limits_set(l.c, &in, &err), &err, "set");
	for (i = 0; i < 5 && rc == 0; i++) {
		rc = ksef_client_limits_context(&cl, l.c, &err);
		ksef_api_context_limits_free(cl);
		cl = NULL;
	}
	assert_int_equal(rc, KSEF_ERATELIMIT);
	assert_int_equal(ksef_client_last_error(l.c)->http_status, 429);
	assert_true(ksef_client_last_error(l.c)->retry_after >= 1);
	/* The reset has its own counter, so it still goes through. */
	ok(ksef_client_rate_limits_reset(l.c, &err), &err, "reset");
	ok(ksef_client_limits_context(&cl, l.c, &err), &err, "limits");
	ksef_api_context_limits_free(cl);
	logout(&l);
}

/*
 * Test data
 */

/*
 * Authenticate by XAdES into the Nip context ctx with a fresh
 * self-signed certificate: a company seal "VATPL-<id>" or a person's
 * "PNOPL-<id>". The final status; on 200 the tokens are redeemed into l.
 */
static int xades(struct login *l, const char *ctx, int is_person,
		 const char *id)
{
	struct who w;
	int code;

	who_make(&w, is_person ? WHO_PESEL : WHO_SEAL, id);
	code = xlogin(l, &srv, KSEF_CONTEXT_NIP, ctx, &w);
	who_free(&w);
	return code;
}

/* A GET of a JSON answer with l's access token. */
static json_t *get_json(struct login *l, const char *path)
{
	struct raw_response r;
	json_t *j;

	raw_request(&r, "GET", url(&srv, path),
		    l->tokens->access_token->token, NULL, NULL, 0);
	if (r.status != 200)
		fail_msg("GET %s: %ld %s", path, r.status, r.body);
	j = raw_json(&r);
	raw_free(&r);
	return j;
}

/* The role of the caller's context among its entity roles, with its
 * parent's NIP into parent (may be NULL); NULL when it has none. */
static const char *entity_role(struct login *l, char *parent, size_t size)
{
	static char role[64];
	json_t *j = get_json(l, "/permissions/query/entities/roles");
	json_t *roles = json_object_get(j, "roles"), *e;
	const char *v;

	role[0] = '\0';
	if (json_array_size(roles) > 0) {
		e = json_array_get(roles, 0);
		snprintf(role, sizeof(role), "%s",
			 json_string_value(json_object_get(e, "role")));
		v = json_string_value(json_object_get(json_object_get(e,
			"parentEntityIdentifier"), "value"));
		if (parent != NULL)
			snprintf(parent, size, "%s", v ? v : "");
	}
	json_decref(j);
	return role[0] ? role : NULL;
}

static void a_test_subject_is_an_entity_role_until_removed(void **state)
{
	const char *nips[] = { SCHOOL }, *descs[] = { "Szkoła Podstawowa" };
	ksef_client_testdata_subject s = KSEF_CLIENT_TESTDATA_SUBJECT_INIT;
	ksef_client *c = anonymous();
	char parent[32];
	const char *role;
	ksef_error err;
	struct login l;

	(void)state;
	token_login(&l, &srv, SCHOOL, "CredentialsRead");
	assert_null(entity_role(&l, NULL, 0));

	s.subject_nip = JST;
	s.subject_type = "JST";
	s.description = "Gmina testowa";
	s.subunit_nips = nips;
	s.subunit_descriptions = descs;
	s.subunit_count = 1;
	ok(ksef_client_testdata_subject_create(c, &s, &err), &err, "subject");
	assert_int_equal(ksef_client_last_http_status(c), 200);
	role = entity_role(&l, parent, sizeof(parent));
	assert_non_null(role);
	assert_string_equal(role, "LocalGovernmentSubUnit");
	assert_string_equal(parent, JST);
	/* It exists now: a second one is 30001. */
	refused(c, ksef_client_testdata_subject_create(c, &s, &err), 400,
		30001);

	ok(ksef_client_testdata_subject_remove(c, JST, &err), &err, "remove");
	assert_null(entity_role(&l, NULL, 0));
	/* Removing what is not there is 21405. */
	refused(c, ksef_client_testdata_subject_remove(c, JST, &err), 400,
		21405);
	logout(&l);
	ksef_client_free(c);
}

static void a_test_persons_pesel_owns_its_context_until_removed(
	void **state)
{
	ksef_client_testdata_person p = KSEF_CLIENT_TESTDATA_PERSON_INIT;
	ksef_client *c = anonymous();
	ksef_error err;
	struct login l;

	(void)state;
	assert_int_equal(xades(&l, PERSON_NIP, 1, PESEL), 415);
	logout(&l);
	p.nip = PERSON_NIP;
	p.pesel = PESEL;
	p.description = "Osoba testowa";
	ok(ksef_client_testdata_person_create(c, &p, &err), &err, "person");
	assert_int_equal(xades(&l, PERSON_NIP, 1, PESEL), 200);
	logout(&l);
	refused(c, ksef_client_testdata_person_create(c, &p, &err), 400,
		30001);
	ok(ksef_client_testdata_person_remove(c, PERSON_NIP, &err), &err,
	   "remove");
	assert_int_equal(xades(&l, PERSON_NIP, 1, PESEL), 415);
	logout(&l);
	ksef_client_free(c);
}

static void a_test_permission_lets_a_colleague_in_until_revoked(
	void **state)
{
	const char *types[] = { "InvoiceWrite", "InvoiceRead" };
	const char *descs[] = { "Wystawianie faktur", "Odczyt faktur" };
	ksef_client_testdata_permissions g =
		KSEF_CLIENT_TESTDATA_PERMISSIONS_INIT;
	ksef_client *c = anonymous();
	ksef_error err;
	struct login l;

	(void)state;
	assert_int_equal(xades(&l, NIP, 0, COLLEAGUE), 415);
	logout(&l);
	g.context_identifier = NIP;
	g.authorized_identifier_type = "Nip";
	g.authorized_identifier = COLLEAGUE;
	g.permission_types = types;
	g.descriptions = descs;
	g.permission_count = 2;
	ok(ksef_client_testdata_permissions_grant(c, &g, &err), &err,
	   "grant");
	assert_int_equal(xades(&l, NIP, 0, COLLEAGUE), 200);
	logout(&l);
	ok(ksef_client_testdata_permissions_revoke(c, NIP, "Nip", COLLEAGUE,
						   &err), &err, "revoke");
	assert_int_equal(xades(&l, NIP, 0, COLLEAGUE), 415);
	logout(&l);
	ksef_client_free(c);
}

/* isAttachmentAllowed of the caller's context, and whether a revokedDate
 * is set. */
static int attachment_allowed(struct login *l, int *has_end)
{
	json_t *j = get_json(l, "/permissions/attachments/status");
	json_t *v = json_object_get(j, "isAttachmentAllowed");
	json_t *end = json_object_get(j, "revokedDate");
	int allowed;

	assert_true(json_is_boolean(v));
	allowed = json_is_true(v);
	if (has_end != NULL)
		*has_end = end != NULL && !json_is_null(end);
	json_decref(j);
	return allowed;
}

static void the_attachment_consent_shows_in_its_status(void **state)
{
	char later[KSEF_DATE_BUFSZ];
	ksef_client *c = anonymous();
	ksef_error err;
	struct login l;
	int has_end;

	(void)state;
	token_login(&l, &srv, NIP, "CredentialsRead");
	assert_false(attachment_allowed(&l, NULL));
	ok(ksef_client_testdata_attachment_allow(c, NIP, &err), &err,
	   "allow");
	assert_true(attachment_allowed(&l, &has_end));
	assert_false(has_end);
	/* Ending on a later day: allowed until then. */
	date_from_today(later, 3);
	ok(ksef_client_testdata_attachment_revoke(c, NIP, later, &err), &err,
	   "revoke later");
	assert_true(attachment_allowed(&l, &has_end));
	assert_true(has_end);
	ok(ksef_client_testdata_attachment_revoke(c, NIP, NULL, &err), &err,
	   "revoke");
	assert_false(attachment_allowed(&l, NULL));
	logout(&l);
	ksef_client_free(c);
}

static void a_blocked_context_refuses_authentication_with_480(void **state)
{
	ksef_client *c = anonymous();
	char token[512];
	ksef_error err;
	struct login l;

	(void)state;
	ksefd_token(&srv, BLOCKED, "InvoiceWrite", token, sizeof(token));
	ok(ksef_client_testdata_context_block(c, KSEF_CONTEXT_NIP, BLOCKED,
					      &err), &err, "block");
	assert_int_equal(authenticate(&l, &srv, BLOCKED, token, 0), 480);
	logout(&l);
	assert_int_equal(xades(&l, BLOCKED, 0, BLOCKED), 480);
	logout(&l);
	ok(ksef_client_testdata_context_unblock(c, KSEF_CONTEXT_NIP, BLOCKED,
						&err), &err, "unblock");
	assert_int_equal(authenticate(&l, &srv, BLOCKED, token, 0), 200);
	logout(&l);
	/* Other context types are blocked alike (their value checked by
	 * the server). */
	ok(ksef_client_testdata_context_block(c, KSEF_CONTEXT_INTERNAL_ID,
					      BLOCKED "-00001", &err), &err,
	   "block InternalId");
	ok(ksef_client_testdata_context_unblock(c, KSEF_CONTEXT_INTERNAL_ID,
						BLOCKED "-00001", &err), &err,
	   "unblock InternalId");
	ksef_client_free(c);
}

static void bad_input_is_refused_before_the_network(void **state)
{
	ksef_client_testdata_person p = KSEF_CLIENT_TESTDATA_PERSON_INIT;
	ksef_client_session_limits in = KSEF_CLIENT_SESSION_LIMITS_INIT;
	ksef_client *c = anonymous();
	ksef_api_rate_limits *rl = NULL;
	ksef_error err;

	(void)state;
	p.nip = PERSON_NIP;
	p.pesel = "30132206276"; /* month 13 */
	p.description = "Osoba testowa";
	assert_int_equal(ksef_client_testdata_person_create(c, &p, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_last_http_status(c), 0);
	assert_int_equal(ksef_client_testdata_attachment_allow(c, "123", &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_last_http_status(c), 0);
	/* The limits need a login. */
	assert_int_equal(ksef_client_limits_rate(&rl, c, &err), KSEF_EINVAL);
	in.batch_session.max_invoice_size_in_mb = 6;
	assert_int_equal(ksef_client_limits_session_set(c, &in, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_last_http_status(c), 0);
	ksef_client_free(c);
}

static void production_answers_the_test_calls_404(void **state)
{
	static const char *const args[] = { "--profile", "production", NULL };
	ksef_client_session_limits in = KSEF_CLIENT_SESSION_LIMITS_INIT;
	ksef_api_context_limits *cl = NULL;
	ksef_api_rate_limits *rl = NULL;
	struct ksefd_proc prd;
	ksef_client *c;
	ksef_error err;
	struct login l;

	(void)state;
	memset(&prd, 0, sizeof(prd));
	ksefd_start(&prd, NULL, args);
	c = client_for(&prd);
	refused(c, ksef_client_testdata_subject_remove(c, JST, &err), 404, 0);
	refused(c, ksef_client_testdata_context_block(c, KSEF_CONTEXT_NIP, NIP,
						      &err), 404, 0);
	ksef_client_free(c);

	token_login(&l, &prd, NIP, "InvoiceWrite");
	/* Reading the limits is every environment's. */
	ok(ksef_client_limits_context(&cl, l.c, &err), &err, "limits");
	assert_session(cl->online_session, 1, 3, 10000);
	ksef_api_context_limits_free(cl);
	ok(ksef_client_limits_rate(&rl, l.c, &err), &err, "rate limits");
	ksef_api_rate_limits_free(rl);
	refused(l.c, ksef_client_limits_session_set(l.c, &in, &err), 404, 0);
	refused(l.c, ksef_client_rate_limits_production(l.c, &err), 404, 0);
	refused(l.c, ksef_client_limits_certificate_reset(l.c, &err), 404, 0);
	logout(&l);
	ksefd_stop(&prd);
	ksefd_cleanup(&prd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(session_limits_are_set_read_back_and_reset),
		cmocka_unit_test(
			a_lowered_invoice_limit_refuses_the_next_invoice),
		cmocka_unit_test(
			certificate_limits_are_set_read_back_and_reset),
		cmocka_unit_test(
		    rate_limits_are_set_read_back_switched_and_reset),
		cmocka_unit_test(a_lowered_rate_limit_answers_429),
		cmocka_unit_test(
			a_test_subject_is_an_entity_role_until_removed),
		cmocka_unit_test(
			a_test_persons_pesel_owns_its_context_until_removed),
		cmocka_unit_test(
			a_test_permission_lets_a_colleague_in_until_revoked),
		cmocka_unit_test(the_attachment_consent_shows_in_its_status),
		cmocka_unit_test(
			a_blocked_context_refuses_authentication_with_480),
		cmocka_unit_test(bad_input_is_refused_before_the_network),
		cmocka_unit_test(production_answers_the_test_calls_404),
	};

	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	return cmocka_run_group_tests(tests, setup, teardown);
}
