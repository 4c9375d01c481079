/*
 * client_fuzz.c - a hostile or broken server against the API client:
 * every ksef_client_* call reads its answers from the input instead of the
 * network (ksef__client_script(), client_int.h), through the same header
 * and body callbacks libcurl calls. So the status line, Retry-After,
 * x-ms-meta-hash, X-System-Warning, Content-Length, the JSON results and
 * the error answers (ExceptionResponse and Problem Details) are all the
 * server's word.
 *
 * The first byte picks the call; the rest is its script, raw HTTP answers
 * separated by the line "--next-answer--":
 *
 *   HTTP/1.1 200 OK
 *   Content-Type: application/json
 *
 *   {"challenge": ...}
 *   --next-answer--
 *   HTTP/1.1 202 Accepted
 *   ...
 *
 * Calls that need an earlier answer make the earlier call first from the
 * same script (a challenge before a KSeF-token login). One retry is
 * allowed without waiting, so retries take the next answer. Every result
 * and error answer is read through the public accessors afterwards, so a
 * string without its NUL or a list miscounted shows under ASan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "client_int.h"
#include "fuzz_support.h"

#define SESSION_REF "20250625-SO-2C3E6C8000-B675CF5D68-07"
#define INVOICE_REF "20250625-EE-319D7EE000-B67F415CDC-2C"
#define AUTH_REF "20250514-AU-2DFC46C000-3AC6D5877F-D4"
#define KSEF_NUMBER "5265877635-20250626-010080DD2B5E-26"
#define NIP "5265877635"

static ksef_pubkey *pub;
static ksef_envelope *env;

/* Read every string: ASan reports one without its NUL. */
static size_t touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static size_t touch_all(const char *const *v, size_t n)
{
	size_t i, t = 0;

	for (i = 0; i < n; i++)
		t += touch(v[i]);
	return t;
}

static size_t touch_status(const ksef_api_status *s)
{
	return s == NULL ? 0 : touch(s->description) +
		touch_all(s->details, s->detail_count);
}

static size_t touch_token(const ksef_api_token_info *t)
{
	return t == NULL ? 0 : touch(t->token);
}

static size_t touch_error(const ksef_client *c)
{
	const ksef_api_error *e = ksef_client_last_error(c);
	size_t i, t = 0;

	t += touch(ksef_client_last_warning(c));
	if (e == NULL)
		return t;
	for (i = 0; i <= ksef_api_problems_count(e->problems); i++) {
		const ksef_api_problem *p = ksef_api_problems_at(e->problems,
								 i);

		if (p != NULL)
			t += touch(p->description) +
			     touch_all(p->details, p->detail_count);
	}
	t += touch(e->title) + touch(e->detail) + touch(e->reason_code) +
	     touch(e->security) + touch(e->instance) + touch(e->trace_id) +
	     touch(e->reference_number) + touch(e->excerpt);
	t += (size_t)ksef_api_error_has_code(e, 21405);
	return t;
}

static size_t touch_auth_status(const ksef_api_auth_status *s)
{
	return s == NULL ? 0 : touch(s->reference_number) +
		touch(s->authentication_method) + touch(s->method_category) +
		touch(s->method_code) + touch(s->method_display_name) +
		touch_status(s->status);
}

static size_t touch_invoice(const ksef_api_invoice_status *s)
{
	size_t i, t;

	if (s == NULL)
		return 0;
	t = touch(s->invoice_number) + touch(s->ksef_number) +
	    touch(s->reference_number) + touch(s->invoice_hash) +
	    touch(s->invoice_file_name) + touch(s->upo_download_url) +
	    touch(s->invoicing_mode) + touch_status(s->status);
	for (i = 0; i <= ksef_api_pairs_count(s->extensions); i++) {
		const ksef_api_pair *p = ksef_api_pairs_at(s->extensions, i);

		if (p != NULL)
			t += touch(p->key) + touch(p->value);
	}
	return t;
}

static size_t touch_token_status(const ksef_api_token_status *s)
{
	return s == NULL ? 0 : touch(s->reference_number) +
		touch(s->author_type) + touch(s->author_value) +
		touch(s->context_type) + touch(s->context_value) +
		touch(s->description) + touch(s->status) +
		touch_all(s->status_details, s->status_detail_count);
}

static size_t touch_upo_pages(const ksef_api_upo_pages *l)
{
	size_t i, t = 0;

	for (i = 0; i <= ksef_api_upo_pages_count(l); i++) {
		const ksef_api_upo_page *p = ksef_api_upo_pages_at(l, i);

		if (p != NULL)
			t += touch(p->reference_number) +
			     touch(p->download_url);
	}
	return t;
}

static void setup(void)
{
	static const char cert[] = FUZZ_TEST_CERT_PEM;

	fuzz_global_init();
	if (ksef_pubkey_load(&pub, (const unsigned char *)cert,
			     sizeof(cert) - 1, NULL) != 0 ||
	    ksef_envelope_new(&env, NULL) != 0)
		abort();
}

/* A login by KSeF token: the challenge, then the login itself. */
static size_t ksef_token_login(ksef_client *c)
{
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	size_t t = 0;

	if (ksef_client_auth_challenge(&ch, c, NULL) != 0)
		return touch_error(c);
	t += touch(ch->challenge) + touch(ch->client_ip);
	if (ksef_client_auth_ksef_token(&init, c, ch, KSEF_CONTEXT_NIP, NIP,
			"20250514-EC-2DFC46C000-3AC6D5877F-D4|nip-" NIP
			"|0123456789abcdef0123456789abcdef",
			pub, NULL, NULL) == 0)
		t += touch(init->reference_number) +
		     touch_token(init->authentication_token);
	t += touch_error(c);
	ksef_api_auth_init_free(init);
	ksef_api_challenge_free(ch);
	return t;
}

static size_t call(ksef_client *c, unsigned which)
{
	static const unsigned char xml[] =
		"<?xml version=\"1.0\"?><Faktura>fuzz</Faktura>";
	ksef_buf doc = KSEF_BUF_INIT;
	size_t i, t = 0;

	switch (which) {
	case 0: {
		ksef_api_pubkey_certs *l = NULL;

		if (ksef_client_pubkey_certs(&l, c, NULL) == 0) {
			for (i = 0; i <= ksef_api_pubkey_certs_count(l); i++) {
				const ksef_api_pubkey_cert *k =
					ksef_api_pubkey_certs_at(l, i);

				if (k != NULL)
					t += touch(k->certificate) +
					     touch(k->certificate_id) +
					     touch(k->public_key_id);
			}
			t += ksef_api_pubkey_certs_pick(l, 1,
				1750000000000LL) != NULL;
		}
		ksef_api_pubkey_certs_free(l);
		break;
	}
	case 1:
		t += ksef_token_login(c);
		break;
	case 2: {
		ksef_api_auth_init *init = NULL;

		if (ksef_client_auth_xades(&init, c, xml, sizeof(xml) - 1, 1,
					   NULL) == 0)
			t += touch(init->reference_number) +
			     touch_token(init->authentication_token);
		ksef_api_auth_init_free(init);
		break;
	}
	case 3: {
		ksef_api_auth_status *st = NULL;

		if (ksef_client_auth_status(&st, c, AUTH_REF, "op.token.x",
					    NULL) == 0)
			t += touch_auth_status(st);
		ksef_api_auth_status_free(st);
		break;
	}
	case 4:
	case 5: {
		ksef_api_tokens *tk = NULL;
		int rc = which == 4 ?
			ksef_client_auth_redeem(&tk, c, "op.token.x", NULL) :
			ksef_client_auth_refresh(&tk, c, "refresh.token.x",
						 NULL);

		if (rc == 0)
			t += touch_token(tk->access_token) +
			     touch_token(tk->refresh_token);
		ksef_api_tokens_free(tk);
		break;
	}
	case 6: {
		ksef_api_auth_list *l = NULL;

		if (ksef_client_auth_sessions(&l, c, 10, "c0ntinue", NULL) ==
		    0) {
			for (i = 0; i <= ksef_api_auth_list_count(l); i++)
				t += touch_auth_status(
					ksef_api_auth_list_at(l, i));
			t += touch(ksef_api_auth_list_continuation(l));
		}
		ksef_api_auth_list_free(l);
		break;
	}
	case 7:
		(void)!ksef_client_auth_revoke_current(c, NULL);
		break;
	case 8:
		(void)!ksef_client_auth_revoke(c, AUTH_REF, NULL);
		break;
	case 9: {
		ksef_api_session_opened *s = NULL;

		if (ksef_client_session_open(&s, c, KSEF_FORM_FA3, env, pub,
					     NULL) == 0)
			t += touch(s->reference_number);
		ksef_api_session_opened_free(s);
		break;
	}
	case 10: {
		ksef_client_send_options o = KSEF_CLIENT_SEND_OPTIONS_INIT;
		char ref[KSEF_REFNUM_BUFSZ];
		ksef_invoice_meta meta;

		if (ksef_client_invoice_send(ref, &meta, c, SESSION_REF, env,
					     xml, sizeof(xml) - 1, &o,
					     NULL) == 0)
			t += strnlen(ref, sizeof(ref));
		break;
	}
	case 11:
		(void)!ksef_client_session_close(c, SESSION_REF, NULL);
		break;
	case 12: {
		ksef_api_session_status *st = NULL;

		if (ksef_client_session_status(&st, c, SESSION_REF, NULL) ==
		    0)
			t += touch_status(st->status) +
			     touch_upo_pages(st->upo_pages);
		ksef_api_session_status_free(st);
		break;
	}
	case 13: {
		ksef_client_session_query q = KSEF_CLIENT_SESSION_QUERY_INIT;
		ksef_api_session_list *l = NULL;

		if (ksef_client_sessions(&l, c, &q, NULL, NULL) == 0) {
			for (i = 0; i <= ksef_api_session_list_count(l); i++) {
				const ksef_api_session_item *s =
					ksef_api_session_list_at(l, i);

				if (s != NULL)
					t += touch(s->reference_number) +
					     touch_status(s->status);
			}
			t += touch(ksef_api_session_list_continuation(l));
		}
		ksef_api_session_list_free(l);
		break;
	}
	case 14:
	case 15: {
		ksef_api_invoice_list *l = NULL;

		if (ksef_client_session_invoices(&l, c, SESSION_REF,
						 which == 15, 0, NULL,
						 NULL) == 0) {
			for (i = 0; i <= ksef_api_invoice_list_count(l); i++)
				t += touch_invoice(
					ksef_api_invoice_list_at(l, i));
			t += touch(ksef_api_invoice_list_continuation(l));
		}
		ksef_api_invoice_list_free(l);
		break;
	}
	case 16: {
		ksef_api_invoice_status *st = NULL;

		if (ksef_client_session_invoice(&st, c, SESSION_REF,
						INVOICE_REF, NULL) == 0)
			t += touch_invoice(st);
		ksef_api_invoice_status_free(st);
		break;
	}
	case 17:
		(void)!ksef_client_upo_by_invoice_ref(&doc, c, SESSION_REF,
						      INVOICE_REF, NULL);
		break;
	case 18:
		(void)!ksef_client_upo_by_ksef_number(&doc, c, SESSION_REF,
						      KSEF_NUMBER, NULL);
		break;
	case 19:
		(void)!ksef_client_upo_session_page(&doc, c, SESSION_REF,
						    INVOICE_REF, NULL);
		break;
	case 20:
		(void)!ksef_client_download_url(&doc, c,
			"http://127.0.0.1:1/storage/x/upo/y?se=1&sig=z", NULL);
		break;
	case 21:
		(void)!ksef_client_invoice_download(&doc, c, KSEF_NUMBER,
						    NULL);
		break;
	case 22: {
		ksef_api_token_created *tc = NULL;

		if (ksef_client_token_create(&tc, c,
				KSEF_TOKEN_PERM_INVOICE_WRITE, "fuzz",
				NULL) == 0)
			t += touch(tc->reference_number) + touch(tc->token);
		ksef_api_token_created_free(tc);
		break;
	}
	case 23: {
		ksef_api_token_status *st = NULL;

		if (ksef_client_token_status(&st, c, AUTH_REF, NULL) == 0)
			t += touch_token_status(st);
		ksef_api_token_status_free(st);
		break;
	}
	case 24: {
		ksef_client_token_query q = KSEF_CLIENT_TOKEN_QUERY_INIT;
		ksef_api_token_list *l = NULL;

		if (ksef_client_tokens(&l, c, &q, "c0ntinue", NULL) == 0) {
			for (i = 0; i <= ksef_api_token_list_count(l); i++)
				t += touch_token_status(
					ksef_api_token_list_at(l, i));
			t += touch(ksef_api_token_list_continuation(l));
		}
		ksef_api_token_list_free(l);
		break;
	}
	default:
		(void)!ksef_client_token_revoke(c, AUTH_REF, NULL);
		break;
	}
	t += doc.size;
	ksef_buf_dispose(&doc);
	return t + touch_error(c);
}

#define CALLS 26

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	struct fuzz_in in = { data, size };
	ksef_client *c = NULL;
	unsigned which, first;
	volatile size_t sink;

	if (pub == NULL)
		setup();
	first = fuzz_byte(&in);
	which = first % CALLS;
	o.base_url = "http://127.0.0.1:1/v2";
	o.max_response_bytes = 1 << 20;
	o.max_retries = 1;
	o.retry_backoff_ms = 0;
	o.max_rate_limit_waits = 1;
	o.max_retry_after_s = 0;
	o.problem_details = (first / CALLS) & 1;
	if (ksef_client_new(&c, &o, NULL) != 0 ||
	    ksef_client_set_access_token(c, "access.token.x", NULL) != 0)
		abort();
	ksef__client_script(c, in.p, in.n);
	sink = call(c, which);
	(void)sink;
	(void)ksef_client_last_http_status(c);
	ksef_client_free(c);
	return 0;
}
