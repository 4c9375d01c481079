/*
 * ksefd_testdata_test.c - the test data operations against the real
 * ksefd (dane-testowe-scenariusze.md; open-api.json "Dane testowe"):
 * each answers 200 and refuses bad input with its documented codes, and
 * each has its effect: a test person's PESEL owns its NIP's context
 * until removed, a bailiff and an enforcement authority get
 * EnforcementOperations, a deceased person's means end in 470 and its
 * tokens in 21308, a blocked context's authentications in 480 until
 * unblocked, a VAT group member or JST subunit invoices for its parent,
 * and an invoice with an attachment is accepted in an interactive
 * session only as a technical correction in a context with the consent.
 * Under --profile production none of the operations exists (404).
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "e2e.h"
#include "http_raw.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
#define OTHER "1234563218"
#define GROUP "3755747347"
#define MEMBER "4972530874"
#define JST "7762811692"
#define SCHOOL "8225900795"
#define PESEL "30112206276"
#define PESEL2 "15062788702"

static struct ksefd_proc srv;

static int setup(void **state)
{
	static const char *const args[] = { "--processing-delay", "0", NULL };

	(void)state;
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

/* ---- helpers ---- */

/* POST a body to a path of p; the HTTP status, and the first exception
 * code into *code (0 for none; code may be NULL). */
static long post_to(const struct ksefd_proc *p, const char *path,
		    const char *body, int *code)
{
	struct raw_response r;
	long status;

	raw_request(&r, "POST", url(p, path), NULL, NULL, body, strlen(body));
	status = r.status;
	if (code != NULL)
		*code = raw_error_code(&r);
	/* Success is 200 with no body, as the contract has it. */
	if (status == 200)
		assert_int_equal(r.len, 0);
	raw_free(&r);
	return status;
}

static long post(const char *path, const char *body, int *code)
{
	return post_to(&srv, path, body, code);
}

static void post_ok(const char *path, const char *body)
{
	int code = 0;

	if (post(path, body, &code) != 200)
		fail_msg("POST %s %s: %d", path, body, code);
}

/* The request is refused with 400 and exception code `want`. */
static void refused(const char *path, const char *body, int want)
{
	int code = 0;
	long status = post(path, body, &code);

	if (status != 400 || code != want)
		fail_msg("POST %s %s: %ld/%d, expected 400/%d", path, body,
			 status, code, want);
}

static void person(const char *nip, const char *pesel, int bailiff,
		   int deceased)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"nip\":\"%s\",\"pesel\":\"%s\","
		 "\"description\":\"Osoba testowa\",\"isBailiff\":%s,"
		 "\"isDeceased\":%s}", nip, pesel, bailiff ? "true" : "false",
		 deceased ? "true" : "false");
	post_ok("/testdata/person", body);
}

static void person_remove(const char *nip)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"nip\":\"%s\"}", nip);
	post_ok("/testdata/person/remove", body);
}

static void subject_remove(const char *nip)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"subjectNip\":\"%s\"}", nip);
	post_ok("/testdata/subject/remove", body);
}

static void block(const char *path, const char *nip)
{
	char body[128];

	snprintf(body, sizeof(body), "{\"contextIdentifier\":{\"type\":"
		 "\"Nip\",\"value\":\"%s\"}}", nip);
	post_ok(path, body);
}

/*
 * Authenticate by XAdES into the Nip context ctx with a fresh
 * self-signed certificate: a company seal "VATPL-<id>" (person 0) or a
 * person's "PNOPL-<id>" / "TINPL-<id>" (person 1, id with its prefix).
 * Returns the final status; its first detail goes to detail (may be
 * NULL). The tokens are not redeemed.
 */
static int xades(struct login *l, const char *ctx, int is_person,
		 const char *id, char *detail, size_t size)
{
	struct who w;
	int code;

	if (!is_person)
		who_make(&w, WHO_SEAL, id);
	else if (strncmp(id, "PNOPL-", 6) == 0)
		who_make(&w, WHO_PESEL, id + 6);
	else if (strncmp(id, "TINPL-", 6) == 0)
		who_make(&w, WHO_PERSON_NIP, id + 6);
	else
		fail_msg("xades: no prefix in %s", id);
	code = xlogin_ex(l, &srv, KSEF_CONTEXT_NIP, ctx, &w, 0, detail, size);
	who_free(&w);
	return code;
}

/* Log in (status 200 asserted) and redeem. */
static void xades_login(struct login *l, const char *ctx, int is_person,
			const char *id)
{
	assert_int_equal(xades(l, ctx, is_person, id, NULL, 0), 200);
	xlogin_redeem(l);
}

/* Whether the access token of l grants perm (its permissions claim). */
static int has_permission(const struct login *l, const char *perm)
{
	const char *jwt = l->tokens->access_token->token, *a, *b;
	char b64[4096], *tok, *save = NULL;
	ksef_buf payload = KSEF_BUF_INIT;
	json_t *claims;
	const char *perms;
	size_t n, i;
	int found = 0;

	a = strchr(jwt, '.');
	b = a ? strchr(a + 1, '.') : NULL;
	assert_non_null(b);
	n = (size_t)(b - a - 1);
	assert_true(n + 4 < sizeof(b64));
	for (i = 0; i < n; i++)
		b64[i] = a[1 + i] == '-' ? '+' : a[1 + i] == '_' ? '/' :
			 a[1 + i];
	while (n % 4 != 0)
		b64[n++] = '=';
	if (ksef_base64_decode(&payload, b64, n, sizeof(b64), NULL) != 0)
		fail_msg("access token payload is not Base64url");
	claims = json_loadb((const char *)payload.ptr, payload.size, 0, NULL);
	assert_non_null(claims);
	perms = json_string_value(json_object_get(claims, "permissions"));
	assert_non_null(perms);
	snprintf(b64, sizeof(b64), "%s", perms);
	for (tok = strtok_r(b64, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save))
		found |= strcmp(tok, perm) == 0;
	json_decref(claims);
	ksef_buf_dispose(&payload);
	return found;
}

/* Send xml into a new session of l with opts (may be NULL); the final
 * invoice status, its first detail into detail (may be NULL). */
static int send_one(struct login *l, const ksef_buf *xml,
		    const ksef_client_send_options *opts, char *detail,
		    size_t size)
{
	char sref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ];
	ksef_envelope *env = NULL;
	ksef_api_invoice_status *st;
	ksef_invoice_meta meta;
	ksef_error err;
	int code;

	open_session(l, KSEF_FORM_FA3, &env, sref);
	if (ksef_client_invoice_send(iref, &meta, l->c, sref, env, xml->ptr,
				     xml->size, opts, &err) != 0)
		fail_msg("send: %s", err.message);
	st = wait_invoice(l, sref, iref);
	code = st->status->code;
	if (detail != NULL) {
		detail[0] = '\0';
		if (st->status->detail_count > 0)
			snprintf(detail, size, "%s", st->status->details[0]);
	}
	ksef_api_invoice_status_free(st);
	assert_int_equal(ksef_client_session_close(l->c, sref, &err), 0);
	ksef_envelope_free(env);
	return code;
}

/* The status of an invoice whose seller is `seller`, sent by l. */
static int send_as_seller(struct login *l, const char *seller, int index)
{
	ksef_buf xml = KSEF_BUF_INIT;
	int code;

	gen(&xml, KSEF_FORM_FA3, seller, "TD", (uint64_t)index, NULL);
	code = send_one(l, &xml, NULL, NULL, 0);
	ksef_buf_dispose(&xml);
	return code;
}

/* ---- the operations and their refusals ---- */

static void every_operation_answers_200_and_bad_input_21405(void **state)
{
	(void)state;
	post_ok("/testdata/subject", "{\"subjectNip\":\"" OTHER "\","
		"\"subjectType\":\"EnforcementAuthority\","
		"\"description\":\"Centrala\","
		"\"createdDate\":\"2025-08-25T14:15:22+00:00\"}");
	post_ok("/testdata/subject/remove", "{\"subjectNip\":\"" OTHER "\"}");
	post_ok("/testdata/person", "{\"nip\":\"" OTHER "\",\"pesel\":\""
		PESEL "\",\"isBailiff\":false,\"description\":\"JDG test\"}");
	post_ok("/testdata/person/remove", "{\"nip\":\"" OTHER "\"}");
	post_ok("/testdata/attachment", "{\"nip\":\"" OTHER "\"}");
	post_ok("/testdata/attachment/revoke", "{\"nip\":\"" OTHER "\"}");
	post_ok("/testdata/context/block", "{\"contextIdentifier\":"
		"{\"type\":\"Nip\",\"value\":\"" OTHER "\"}}");
	post_ok("/testdata/context/unblock", "{\"contextIdentifier\":"
		"{\"type\":\"Nip\",\"value\":\"" OTHER "\"}}");

	/* Each request's own refusals. */
	refused("/testdata/subject", "{}", 21405);
	refused("/testdata/subject", "not json", 21405);
	refused("/testdata/subject", "{\"subjectNip\":\"0123456789\","
		"\"subjectType\":\"JST\",\"description\":\"Gmina\"}", 21405);
	refused("/testdata/subject", "{\"subjectNip\":\"" OTHER "\","
		"\"subjectType\":\"Bank\",\"description\":\"Gmina\"}", 21405);
	refused("/testdata/subject", "{\"subjectNip\":\"" OTHER "\","
		"\"subjectType\":\"JST\",\"description\":\"Gm\"}", 21405);
	refused("/testdata/subject", "{\"subjectNip\":\"" OTHER "\","
		"\"subjectType\":\"JST\",\"description\":\"Gmina\","
		"\"createdDate\":\"yesterday\"}", 21405);
	/* Subunits only for a VAT group and a JST. */
	refused("/testdata/subject", "{\"subjectNip\":\"" OTHER "\","
		"\"subjectType\":\"EnforcementAuthority\",\"description\":"
		"\"Urząd\",\"subunits\":[{\"subjectNip\":\"" SCHOOL "\","
		"\"description\":\"Oddział\"}]}", 21405);
	/* A NIP twice in one request. */
	refused("/testdata/subject", "{\"subjectNip\":\"" OTHER "\","
		"\"subjectType\":\"VatGroup\",\"description\":\"Grupa VAT\","
		"\"subunits\":[{\"subjectNip\":\"" OTHER "\","
		"\"description\":\"Członek\"}]}", 21405);
	refused("/testdata/subject/remove", "{\"subjectNip\":\"12\"}", 21405);
	refused("/testdata/person", "{\"nip\":\"" OTHER "\",\"pesel\":"
		"\"30132206276\",\"isBailiff\":false,\"description\":"
		"\"JDG test\"}", 21405);
	/* isBailiff is required. */
	refused("/testdata/person", "{\"nip\":\"" OTHER "\",\"pesel\":\""
		PESEL "\",\"description\":\"JDG test\"}", 21405);
	refused("/testdata/person/remove", "{}", 21405);
	refused("/testdata/attachment", "{\"nip\":5265877635}", 21405);
	refused("/testdata/attachment/revoke", "{\"nip\":\"" OTHER "\","
		"\"expectedEndDate\":\"2025-02-30\"}", 21405);
	refused("/testdata/context/block", "{}", 21405);
	refused("/testdata/context/block", "{\"contextIdentifier\":"
		"{\"type\":\"Nip\",\"value\":\"123\"}}", 21405);
	refused("/testdata/context/unblock", "{\"contextIdentifier\":"
		"{\"type\":\"Regon\",\"value\":\"" OTHER "\"}}", 21405);
}

static void a_living_subject_or_person_exists_once_30001(void **state)
{
	static const char group[] = "{\"subjectNip\":\"" GROUP "\","
		"\"subjectType\":\"VatGroup\",\"description\":\"Grupa VAT\","
		"\"createdDate\":\"2025-08-25T14:15:22+00:00\","
		"\"subunits\":[{\"subjectNip\":\"" MEMBER "\","
		"\"description\":\"NIP " MEMBER ": członek grupy VAT\"}]}";

	(void)state;
	post_ok("/testdata/subject", group);
	refused("/testdata/subject", group, 30001);
	/* A member is a subject too. */
	refused("/testdata/subject", "{\"subjectNip\":\"" MEMBER "\","
		"\"subjectType\":\"JST\",\"description\":\"Gmina\"}", 30001);
	subject_remove(GROUP);
	/* Its members went with it; created again, only with a later
	 * createdDate. */
	refused("/testdata/subject/remove", "{\"subjectNip\":\"" MEMBER "\"}",
		21405);
	refused("/testdata/subject", group, 21405);
	post_ok("/testdata/subject", "{\"subjectNip\":\"" GROUP "\","
		"\"subjectType\":\"VatGroup\",\"description\":\"Grupa VAT\","
		"\"createdDate\":\"2025-08-26T14:15:22+00:00\"}");
	subject_remove(GROUP);

	person(OTHER, PESEL, 0, 0);
	refused("/testdata/person", "{\"nip\":\"" OTHER "\",\"pesel\":\""
		PESEL2 "\",\"isBailiff\":true,\"description\":\"Komornik\"}",
		30001);
	person_remove(OTHER);
	refused("/testdata/person/remove", "{\"nip\":\"" OTHER "\"}", 21405);
}

/* A VAT group of n members, as a request body (caller frees). */
static char *group_of(size_t n)
{
	size_t size = 128 + n * 64, len, i;
	char *body = malloc(size);

	assert_non_null(body);
	len = (size_t)snprintf(body, size, "{\"subjectNip\":\"9999999999\","
			       "\"subjectType\":\"VatGroup\","
			       "\"description\":\"Duża grupa\","
			       "\"subunits\":[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(body + len, size - len, "%s{"
			"\"subjectNip\":\"%u\",\"description\":\"Członek\"}",
			i ? "," : "", 1100000000u + (unsigned)i);
	snprintf(body + len, size - len, "]}");
	return body;
}

static void a_subject_has_at_most_1000_subunits(void **state)
{
	char *body;

	(void)state;
	body = group_of(1001);
	refused("/testdata/subject", body, 21405);
	free(body);
	body = group_of(1000);
	post_ok("/testdata/subject", body);
	free(body);
	subject_remove("9999999999");
	/* The members went with it. */
	refused("/testdata/subject/remove", "{\"subjectNip\":\"1100000999\"}",
		21405);
}

/* ---- persons ---- */

static void a_persons_pesel_owns_its_nip_context_until_removed(void **state)
{
	struct login l;
	char detail[256];

	(void)state;
	assert_int_equal(xades(&l, NIP, 1, "PNOPL-" PESEL, detail,
			       sizeof(detail)), 415);
	assert_string_equal(detail, "Brak przypisanych uprawnień");
	logout(&l);

	person(NIP, PESEL, 0, 0);
	xades_login(&l, NIP, 1, "PNOPL-" PESEL);
	assert_true(has_permission(&l, "InvoiceWrite"));
	assert_true(has_permission(&l, "CredentialsManage"));
	assert_false(has_permission(&l, "EnforcementOperations"));
	/* The owner's rights in the context: an invoice of its NIP. */
	assert_int_equal(send_as_seller(&l, NIP, 1), 200);
	logout(&l);
	/* Linked to this NIP only. */
	assert_int_equal(xades(&l, OTHER, 1, "PNOPL-" PESEL, NULL, 0), 415);
	logout(&l);

	person_remove(NIP);
	assert_int_equal(xades(&l, NIP, 1, "PNOPL-" PESEL, NULL, 0), 415);
	logout(&l);
	/* The NIP's own owner is no test data's. */
	xades_login(&l, NIP, 0, NIP);
	assert_false(has_permission(&l, "EnforcementOperations"));
	logout(&l);
}

static void a_bailiff_has_enforcement_operations_and_its_debtors(
	void **state)
{
	struct login l;

	(void)state;
	xades_login(&l, OTHER, 1, "TINPL-" OTHER);
	assert_false(has_permission(&l, "EnforcementOperations"));
	/* Another seller's invoice is not its to send. */
	assert_int_equal(send_as_seller(&l, NIP, 2), 410);
	logout(&l);

	person(OTHER, PESEL2, 1, 0);
	/* By NIP or by PESEL (dane-testowe-scenariusze.md, scenario 1). */
	xades_login(&l, OTHER, 1, "TINPL-" OTHER);
	assert_true(has_permission(&l, "EnforcementOperations"));
	assert_true(has_permission(&l, "InvoiceWrite"));
	logout(&l);
	xades_login(&l, OTHER, 1, "PNOPL-" PESEL2);
	assert_true(has_permission(&l, "EnforcementOperations"));
	/* A bailiff invoices for a debtor. */
	assert_int_equal(send_as_seller(&l, NIP, 3), 200);
	logout(&l);

	person_remove(OTHER);
	xades_login(&l, OTHER, 1, "TINPL-" OTHER);
	assert_false(has_permission(&l, "EnforcementOperations"));
	assert_int_equal(send_as_seller(&l, NIP, 4), 410);
	logout(&l);
}

static void an_enforcement_authority_has_enforcement_operations(
	void **state)
{
	struct login l;

	(void)state;
	post_ok("/testdata/subject", "{\"subjectNip\":\"" JST "\","
		"\"subjectType\":\"enforcementauthority\","
		"\"description\":\"Urząd skarbowy\"}");
	xades_login(&l, JST, 0, JST);
	assert_true(has_permission(&l, "EnforcementOperations"));
	logout(&l);
	subject_remove(JST);
	xades_login(&l, JST, 0, JST);
	assert_false(has_permission(&l, "EnforcementOperations"));
	logout(&l);
}

static void a_deceased_person_is_refused_470_and_21308(void **state)
{
	struct login l, early, redeemed;
	ksef_api_tokens *fresh = NULL;
	const ksef_api_error *e;
	char detail[256], token[256];
	ksef_error err;

	(void)state;
	/* Authenticated while alive: one operation left unredeemed, one
	 * redeemed. */
	person(NIP, PESEL, 0, 0);
	assert_int_equal(xades(&early, NIP, 1, "PNOPL-" PESEL, NULL, 0), 200);
	xades_login(&redeemed, NIP, 1, "PNOPL-" PESEL);
	ksefd_token(&srv, NIP, "InvoiceWrite", token, sizeof(token));
	person_remove(NIP);
	person(NIP, PESEL, 0, 1);

	assert_int_equal(xades(&l, NIP, 1, "PNOPL-" PESEL, detail,
			       sizeof(detail)), 470);
	assert_string_equal(detail, "Próba wykorzystania metod "
			    "autoryzacyjnych osoby zmarłej");
	logout(&l);
	/* Its NIP is its means too, and so is a token it made. */
	assert_int_equal(xades(&l, NIP, 1, "TINPL-" NIP, NULL, 0), 470);
	logout(&l);
	assert_int_equal(authenticate(&l, &srv, NIP, token, 0), 470);
	logout(&l);

	assert_int_not_equal(ksef_client_auth_redeem(&early.tokens, early.c,
		early.auth_token, &err), 0);
	e = ksef_client_last_error(early.c);
	assert_int_equal(e->http_status, 400);
	assert_true(ksef_api_error_has_code(e, 21308));
	assert_int_not_equal(ksef_client_auth_refresh(&fresh, redeemed.c,
		redeemed.tokens->refresh_token->token, &err), 0);
	e = ksef_client_last_error(redeemed.c);
	assert_int_equal(e->http_status, 400);
	assert_true(ksef_api_error_has_code(e, 21308));
	logout(&early);
	logout(&redeemed);
	person_remove(NIP);
}

/* ---- context blocks ---- */

static void a_blocked_context_refuses_authentication_with_480(void **state)
{
	ksef_client_session_query q = KSEF_CLIENT_SESSION_QUERY_INIT;
	ksef_api_session_list *list = NULL;
	ksef_api_tokens *fresh = NULL;
	struct login before, l;
	char detail[256], token[256];
	ksef_error err;

	(void)state;
	xades_login(&before, NIP, 0, NIP);
	ksefd_token(&srv, NIP, "InvoiceWrite", token, sizeof(token));
	block("/testdata/context/block", NIP);
	/* Blocking twice is blocking. */
	block("/testdata/context/block", NIP);

	assert_int_equal(xades(&l, NIP, 0, NIP, detail, sizeof(detail)), 480);
	assert_string_equal(detail, "Podejrzenie incydentu bezpieczeństwa. "
			    "Skontaktuj się z Ministerstwem Finansów przez "
			    "formularz zgłoszeniowy.");
	logout(&l);
	assert_int_equal(authenticate(&l, &srv, NIP, token, 0), 480);
	logout(&l);
	/* Another context is not blocked. */
	xades_login(&l, OTHER, 0, OTHER);
	logout(&l);
	/* Only authentication is blocked: tokens already issued work. */
	assert_int_equal(ksef_client_sessions(&list, before.c, &q, NULL, &err),
			 0);
	ksef_api_session_list_free(list);
	assert_int_equal(ksef_client_auth_refresh(&fresh, before.c,
		before.tokens->refresh_token->token, &err), 0);
	ksef_api_tokens_free(fresh);

	block("/testdata/context/unblock", NIP);
	xades_login(&l, NIP, 0, NIP);
	logout(&l);
	assert_int_equal(authenticate(&l, &srv, NIP, token, 0), 200);
	logout(&l);
	/* Unblocking an unblocked context is no error. */
	block("/testdata/context/unblock", NIP);
	logout(&before);
}

/* ---- subunits ---- */

static void members_and_subunits_invoice_for_their_parent(void **state)
{
	struct login l;

	(void)state;
	xades_login(&l, MEMBER, 0, MEMBER);
	assert_int_equal(send_as_seller(&l, GROUP, 5), 410);
	logout(&l);

	post_ok("/testdata/subject", "{\"subjectNip\":\"" GROUP "\","
		"\"subjectType\":\"VatGroup\",\"description\":\"Grupa VAT\","
		"\"subunits\":[{\"subjectNip\":\"" MEMBER "\",\"description\":"
		"\"NIP " MEMBER ": członek grupy VAT dla " GROUP "\"}]}");
	post_ok("/testdata/subject", "{\"subjectNip\":\"" JST "\","
		"\"subjectType\":\"JST\",\"description\":\"Gmina\","
		"\"subunits\":[{\"subjectNip\":\"" SCHOOL "\","
		"\"description\":\"Szkoła podstawowa\"}]}");
	xades_login(&l, MEMBER, 0, MEMBER);
	assert_int_equal(send_as_seller(&l, GROUP, 6), 200);
	/* Its parent's only. */
	assert_int_equal(send_as_seller(&l, JST, 7), 410);
	logout(&l);
	xades_login(&l, SCHOOL, 0, SCHOOL);
	assert_int_equal(send_as_seller(&l, JST, 8), 200);
	logout(&l);
	/* Not the other way round. */
	xades_login(&l, GROUP, 0, GROUP);
	assert_int_equal(send_as_seller(&l, MEMBER, 9), 410);
	logout(&l);

	subject_remove(GROUP);
	subject_remove(JST);
	xades_login(&l, MEMBER, 0, MEMBER);
	assert_int_equal(send_as_seller(&l, GROUP, 10), 410);
	logout(&l);
}

/* ---- attachments ---- */

/* The official invoice with an attachment, of seller NIP, numbered n. */
static void attachment_invoice(ksef_buf *xml, int n)
{
	char number[16];

	snprintf(number, sizeof(number), "ZAL-%d", n);
	ts_read_file(xml, ts_shared_path("ksef-samples/invoices/extra/"
		     "csharp-invoice-template-fa-3-with-attachment.xml"));
	ts_replace(xml, "#nip#", NIP);
	ts_replace(xml, "#invoice_number#", number);
}

/* Send invoice n with an attachment, as a technical correction of an
 * offline invoice (of the made-up hash `fixes`) or not; its status. */
static int send_attachment(struct login *l, int n, const char *fixes,
			   char *detail, size_t size)
{
	ksef_client_send_options o = KSEF_CLIENT_SEND_OPTIONS_INIT;
	ksef_buf xml = KSEF_BUF_INIT;
	int code;

	attachment_invoice(&xml, n);
	o.offline_mode = fixes != NULL;
	o.hash_of_corrected_invoice = fixes;
	code = send_one(l, &xml, &o, detail, size);
	ksef_buf_dispose(&xml);
	return code;
}

#define FIX(c) "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" c "="

static void attachments_only_in_corrections_with_the_consent(void **state)
{
	struct login l;
	char detail[512], end[KSEF_DATE_BUFSZ], body[128];

	(void)state;
	xades_login(&l, NIP, 0, NIP);
	/* An interactive session takes none, consent or not. */
	assert_int_equal(send_attachment(&l, 1, NULL, detail, sizeof(detail)),
			 415);
	assert_non_null(strstr(detail, "trybie wsadowym"));
	/* A technical correction needs the consent. */
	assert_int_equal(send_attachment(&l, 2, FIX("A"), detail,
					 sizeof(detail)), 415);
	assert_non_null(strstr(detail, "Brak zgody"));

	post_ok("/testdata/attachment", "{\"nip\":\"" NIP "\"}");
	assert_int_equal(send_attachment(&l, 3, FIX("B"), NULL, 0), 200);
	assert_int_equal(send_attachment(&l, 4, NULL, NULL, 0), 415);

	/* Withdrawn from a later day: still allowed today. */
	date_from_today(end, 2);
	snprintf(body, sizeof(body), "{\"nip\":\"" NIP "\","
		 "\"expectedEndDate\":\"%s\"}", end);
	post_ok("/testdata/attachment/revoke", body);
	assert_int_equal(send_attachment(&l, 5, FIX("C"), NULL, 0), 200);
	/* Withdrawn now. */
	post_ok("/testdata/attachment/revoke", "{\"nip\":\"" NIP "\"}");
	assert_int_equal(send_attachment(&l, 6, FIX("D"), detail,
					 sizeof(detail)), 415);
	assert_non_null(strstr(detail, "Brak zgody"));
	/* Given again. */
	post_ok("/testdata/attachment", "{\"nip\":\"" NIP "\"}");
	assert_int_equal(send_attachment(&l, 7, FIX("E"), NULL, 0), 200);
	post_ok("/testdata/attachment/revoke", "{\"nip\":\"" NIP "\"}");
	logout(&l);
}

/* ---- the production profile ---- */

static void production_has_no_test_data_404(void **state)
{
	static const char *const args[] = { "--profile", "production", NULL };
	static const char *const paths[] = {
		"/testdata/subject", "/testdata/subject/remove",
		"/testdata/person", "/testdata/person/remove",
		"/testdata/attachment", "/testdata/attachment/revoke",
		"/testdata/context/block", "/testdata/context/unblock",
	};
	struct ksefd_proc prd;
	struct raw_response r;
	size_t i;
	int code;

	(void)state;
	ksefd_start(&prd, NULL, args);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		code = 0;
		assert_int_equal(post_to(&prd, paths[i], "{\"nip\":\"" NIP
					 "\"}", &code), 404);
		assert_int_equal(code, 21405);
	}
	ksefd_stop(&prd);
	ksefd_cleanup(&prd);
	/* On TEST the paths exist: another method is 405. */
	raw_request(&r, "GET", url(&srv, "/testdata/subject"), NULL, NULL,
		    NULL, 0);
	assert_int_equal(r.status, 405);
	raw_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test(name)
		T(every_operation_answers_200_and_bad_input_21405),
		T(a_living_subject_or_person_exists_once_30001),
		T(a_subject_has_at_most_1000_subunits),
		T(a_persons_pesel_owns_its_nip_context_until_removed),
		T(a_bailiff_has_enforcement_operations_and_its_debtors),
		T(an_enforcement_authority_has_enforcement_operations),
		T(a_deceased_person_is_refused_470_and_21308),
		T(a_blocked_context_refuses_authentication_with_480),
		T(members_and_subunits_invoice_for_their_parent),
		T(attachments_only_in_corrections_with_the_consent),
		T(production_has_no_test_data_404),
#undef T
	};

	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	return cmocka_run_group_tests(tests, setup, teardown);
}
