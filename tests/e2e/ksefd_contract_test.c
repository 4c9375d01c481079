/*
 * ksefd_contract_test.c - every answer of ksefd held against the contract
 * (ksef-docs/open-api.json): a whole interactive session driven by raw
 * requests whose bodies the client's own builders make, and the errors a
 * client meets in both formats. Each answer's status must be one the
 * operation documents, and a JSON body must match that status's schema:
 * no property the schema lacks, the types, enums and lengths it gives,
 * every required property (tests/support/contract.c).
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "client_int.h"
#include "contract.h"
#include "e2e.h"
#include "http_raw.h"
#include "ksefd_harness.h"

#define NIP "5265877635"

static struct ksefd_proc srv;
static char token_main[256];

static int setup(void **state)
{
	(void)state;
	if (contract_load() != 0)
		return -1;
	ksefd_start(&srv, NULL, NULL);
	ksefd_token(&srv, NIP, "InvoiceWrite,InvoiceRead", token_main,
		    sizeof(token_main));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ksefd_stop(&srv);
	ksefd_cleanup(&srv);
	contract_unload();
	return 0;
}

/*
 * One request and its answer held against the operation `method tpath`
 * (tpath as open-api.json writes it). Returns the parsed JSON body (NULL
 * for none); the caller decrefs it.
 */
static json_t *call(const char *method, const char *tpath, const char *path,
		    const char *bearer, const char *header, const char *body,
		    long want)
{
	struct raw_response r;
	const json_t *schema;
	json_t *doc = NULL;
	const char *ct;
	char lower[8], why[512] = "", code[8];
	size_t i;

	for (i = 0; method[i] != '\0' && i + 1 < sizeof(lower); i++)
		lower[i] = (char)(method[i] | 0x20);
	lower[i] = '\0';
	raw_request(&r, method, url(&srv, path), bearer, header, body,
		    body ? strlen(body) : 0);
	if (r.status != want)
		fail_msg("%s %s: %ld, expected %ld: %s", method, path,
			 r.status, want, r.body);
	snprintf(code, sizeof(code), "%ld", r.status);
	if (json_object_get(json_object_get(json_object_get(json_object_get(
		json_object_get(contract_api, "paths"), tpath), lower),
		"responses"), code) == NULL)
		fail_msg("%s %s: status %ld is not in the contract", method,
			 tpath, r.status);
	ct = strncmp(r.content_type, "application/problem+json", 24) == 0 ?
	     "application/problem+json" : "application/json";
	if (r.len > 0 && strncmp(r.content_type, ct, strlen(ct)) == 0) {
		schema = contract_response_schema(tpath, lower, (int)r.status,
						  ct);
		if (schema == NULL)
			fail_msg("%s %s: no %s schema for %ld", method, tpath,
				 ct, r.status);
		doc = raw_json(&r);
		if (contract_check(doc, schema, "body", why, sizeof(why)) != 0)
			fail_msg("%s %s (%ld): %s\n%s", method, path, r.status,
				 why, r.body);
	}
	raw_free(&r);
	return doc;
}

static const char *str(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	if (!json_is_string(v))
		fail_msg("no %s%s%s in the answer", a, b ? "." : "",
			 b ? b : "");
	return json_string_value(v);
}

static char *dump(json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	return text;
}

/* A KSeF-token authentication, redeemed: the access token into access. */
static void token_login(char *access, size_t asize, char *refresh,
			 size_t rsize)
{
	ksef_client *c = client_for(&srv);
	ksef_pubkey *key = server_key(c, KSEF_KEY_USAGE_KSEF_TOKEN);
	ksef_api_challenge ch;
	json_t *doc, *body = NULL;
	char ref[KSEF_REFNUM_BUFSZ], path[128], *auth_token, *text;
	ksef_error err;
	int tries = 0;

	doc = call("POST", "/auth/challenge", "/auth/challenge", NULL, NULL,
		   NULL, 200);
	memset(&ch, 0, sizeof(ch));
	ch.challenge = str(doc, "challenge", NULL);
	ch.timestamp_ms = json_integer_value(json_object_get(doc,
							     "timestampMs"));
	if (ksef__client_build_ksef_token_body(&body, &ch, KSEF_CONTEXT_NIP,
					       NIP, token_main, key, NULL,
					       &err) != 0)
		fail_msg("ksef-token body: %s", err.message);
	json_decref(doc);
	text = dump(body);
	doc = call("POST", "/auth/ksef-token", "/auth/ksef-token", NULL, NULL,
		   text, 202);
	free(text);
	snprintf(ref, sizeof(ref), "%s", str(doc, "referenceNumber", NULL));
	auth_token = strdup(str(doc, "authenticationToken", "token"));
	json_decref(doc);

	snprintf(path, sizeof(path), "/auth/%s", ref);
	for (;;) {
		doc = call("GET", "/auth/{referenceNumber}", path, auth_token,
			   NULL, NULL, 200);
		if (json_integer_value(json_object_get(json_object_get(doc,
		    "status"), "code")) != 100 || ++tries > 1500)
			break;
		json_decref(doc);
		e2e_sleep_us(20000);
	}
	json_decref(doc);
	doc = call("POST", "/auth/token/redeem", "/auth/token/redeem",
		   auth_token, NULL, NULL, 200);
	snprintf(access, asize, "%s", str(doc, "accessToken", "token"));
	snprintf(refresh, rsize, "%s", str(doc, "refreshToken", "token"));
	json_decref(doc);
	free(auth_token);
	ksef_pubkey_free(key);
	ksef_client_free(c);
}

static void a_whole_session_answers_as_the_contract_says(void **state)
{
	char access[4096], refresh[4096], sref[KSEF_REFNUM_BUFSZ],
	     iref[KSEF_REFNUM_BUFSZ], bad_ref[KSEF_REFNUM_BUFSZ], path[256],
	     ksef_number[KSEF_NUMBER_BUFSZ], *text;
	ksef_client *c = client_for(&srv);
	ksef_pubkey *key = server_key(c, KSEF_KEY_USAGE_SYMMETRIC_KEY);
	ksef_envelope *env = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	json_t *doc, *body = NULL;
	ksef_error err;
	int tries = 0, code;

	(void)state;
	json_decref(call("GET", "/security/public-key-certificates",
			 "/security/public-key-certificates", NULL, NULL,
			 NULL, 200));
	token_login(access, sizeof(access), refresh, sizeof(refresh));
	json_decref(call("POST", "/auth/token/refresh", "/auth/token/refresh",
			 refresh, NULL, NULL, 200));
	json_decref(call("GET", "/auth/sessions", "/auth/sessions", access,
			 NULL, NULL, 200));

	if (ksef_envelope_new(&env, &err) != 0 ||
	    ksef__client_build_open_session_body(&body, KSEF_FORM_FA3, env,
						 key, &err) != 0)
		fail_msg("open body: %s", err.message);
	text = dump(body);
	doc = call("POST", "/sessions/online", "/sessions/online", access,
		   NULL, text, 201);
	free(text);
	snprintf(sref, sizeof(sref), "%s", str(doc, "referenceNumber", NULL));
	json_decref(doc);

	snprintf(path, sizeof(path), "/sessions/online/%s/invoices", sref);
	gen(&xml, KSEF_FORM_FA3, NIP, "CONTRACT", 1, NULL);
	if (ksef__client_build_send_invoice_body(&body, NULL, env, xml.ptr,
						 xml.size, NULL, &err) != 0)
		fail_msg("send body: %s", err.message);
	text = dump(body);
	doc = call("POST", "/sessions/online/{referenceNumber}/invoices", path,
		   access, NULL, text, 202);
	free(text);
	snprintf(iref, sizeof(iref), "%s", str(doc, "referenceNumber", NULL));
	json_decref(doc);
	/* One that fails the schema, for the failed list and a 450. */
	ts_replace(&xml, "<P_15>", "<P_15X>");
	ts_replace(&xml, "</P_15>", "</P_15X>");
	if (ksef__client_build_send_invoice_body(&body, NULL, env, xml.ptr,
						 xml.size, NULL, &err) != 0)
		fail_msg("send body: %s", err.message);
	text = dump(body);
	doc = call("POST", "/sessions/online/{referenceNumber}/invoices", path,
		   access, NULL, text, 202);
	free(text);
	snprintf(bad_ref, sizeof(bad_ref), "%s",
		 str(doc, "referenceNumber", NULL));
	json_decref(doc);

	/* Through 150 (the processing delay) to 200, each answer checked. */
	snprintf(path, sizeof(path), "/sessions/%s/invoices/%s", sref, iref);
	for (;;) {
		doc = call("GET", "/sessions/{referenceNumber}/invoices/"
			   "{invoiceReferenceNumber}", path, access, NULL,
			   NULL, 200);
		code = (int)json_integer_value(json_object_get(
			json_object_get(doc, "status"), "code"));
		if (code >= 200 || ++tries > 1500)
			break;
		json_decref(doc);
		e2e_sleep_us(20000);
	}
	assert_int_equal(code, 200);
	snprintf(ksef_number, sizeof(ksef_number), "%s",
		 str(doc, "ksefNumber", NULL));
	json_decref(doc);
	snprintf(path, sizeof(path), "/sessions/%s/invoices/%s", sref,
		 bad_ref);
	tries = 0;
	do {
		doc = call("GET", "/sessions/{referenceNumber}/invoices/"
			   "{invoiceReferenceNumber}", path, access, NULL,
			   NULL, 200);
		code = (int)json_integer_value(json_object_get(
			json_object_get(doc, "status"), "code"));
		json_decref(doc);
	} while (code < 200 && ++tries < 1500 && e2e_sleep_us(20000) == 0);
	assert_int_equal(code, 450);

	snprintf(path, sizeof(path), "/sessions/%s/invoices", sref);
	json_decref(call("GET", "/sessions/{referenceNumber}/invoices", path,
			 access, NULL, NULL, 200));
	snprintf(path, sizeof(path), "/sessions/%s/invoices/failed", sref);
	json_decref(call("GET", "/sessions/{referenceNumber}/invoices/failed",
			 path, access, NULL, NULL, 200));
	snprintf(path, sizeof(path), "/sessions/%s", sref);
	json_decref(call("GET", "/sessions/{referenceNumber}", path, access,
			 NULL, NULL, 200));
	json_decref(call("GET", "/sessions", "/sessions?sessionType=Online",
			 access, NULL, NULL, 200));
	snprintf(path, sizeof(path), "/invoices/ksef/%s", ksef_number);
	json_decref(call("GET", "/invoices/ksef/{ksefNumber}", path, access,
			 NULL, NULL, 200));

	snprintf(path, sizeof(path), "/sessions/online/%s/close", sref);
	json_decref(call("POST", "/sessions/online/{referenceNumber}/close",
			 path, access, NULL, NULL, 204));
	snprintf(path, sizeof(path), "/sessions/%s", sref);
	tries = 0;
	do {
		doc = call("GET", "/sessions/{referenceNumber}", path, access,
			   NULL, NULL, 200);
		code = (int)json_integer_value(json_object_get(
			json_object_get(doc, "status"), "code"));
		json_decref(doc);
	} while (code == 170 && ++tries < 1500 && e2e_sleep_us(20000) == 0);
	assert_int_equal(code, 200);

	json_decref(call("DELETE", "/auth/sessions/current",
			 "/auth/sessions/current", access, NULL, NULL, 204));
	ksef_envelope_free(env);
	ksef_pubkey_free(key);
	ksef_client_free(c);
	ksef_buf_dispose(&xml);
}

/* The errors a client meets, in the legacy format and as problem
 * details: each is one the operation documents, in its schema. */
static void errors_answer_as_the_contract_says(void **state)
{
	static const char *const unknown =
		"/sessions/20250101-SO-1111111111-2222222222-33";
	char access[4096], refresh[4096];

	(void)state;
	token_login(access, sizeof(access), refresh, sizeof(refresh));
	/* 400: legacy ExceptionResponse, then BadRequestProblemDetails. */
	json_decref(call("GET", "/sessions/{referenceNumber}", unknown, access,
			 NULL, NULL, 400));
	json_decref(call("GET", "/sessions/{referenceNumber}", unknown, access,
			 "X-Error-Format: problem-details", NULL, 400));
	json_decref(call("POST", "/sessions/online", "/sessions/online",
			 access, NULL, "{\"formCode\":", 400));
	/* 401 without a token; 403 for a permission the token lacks. */
	json_decref(call("GET", "/sessions", "/sessions?sessionType=Online",
			 NULL, NULL, NULL, 401));
	json_decref(call("POST", "/tokens", "/tokens", access, NULL,
			 "{\"permissions\":[\"InvoiceRead\"],"
			 "\"description\":\"Token z kontraktu\"}", 403));
	json_decref(call("DELETE", "/auth/sessions/{referenceNumber}",
			 "/auth/sessions/20250101-AU-1111111111-2222222222-33",
			 access, NULL, NULL, 400));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_whole_session_answers_as_the_contract_says),
		cmocka_unit_test(errors_answer_as_the_contract_says),
	};

	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	return cmocka_run_group_tests(tests, setup, teardown);
}
