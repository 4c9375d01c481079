/*
 * ksefd_flow_test.c - the real ksefd on a loopback port, driven by
 * libksef's own client: the whole interactive session with every kind of
 * invoice, the session states, authentication failures, key rotation,
 * both error formats, a kill -9 restart and rate limits. Hostile requests
 * no client would build go through http_raw.
 */
#include "testsupport.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "http_raw.h"
#include "ksefd_harness.h"
#include "e2e.h"

#define NIP "5265877635"
#define OTHER_NIP "1234563218"

static struct ksefd_proc srv;
static char token_main[256], token_other[256];

static int setup(void **state)
{
	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	memset(&srv, 0, sizeof(srv));
	ksefd_start(&srv, NULL, NULL);
	ksefd_token(&srv, NIP, "InvoiceWrite,InvoiceRead,CredentialsManage",
		    token_main, sizeof(token_main));
	ksefd_token(&srv, OTHER_NIP, "InvoiceWrite,InvoiceRead", token_other,
		    sizeof(token_other));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(ksefd_stop(&srv), 0);
	ksefd_cleanup(&srv);
	return 0;
}

static void a_whole_session_gives_each_invoice_its_status(void **state)
{
	struct login l;
	ksef_envelope *env = NULL, *other = NULL;
	char sref[KSEF_REFNUM_BUFSZ], refs[8][KSEF_REFNUM_BUFSZ], future[11],
	     body[4096], path[200];
	ksef_buf valid = KSEF_BUF_INIT, valid2 = KSEF_BUF_INIT,
		 bad = KSEF_BUF_INIT, fut = KSEF_BUF_INIT, att = KSEF_BUF_INIT,
		 ct = KSEF_BUF_INIT, b64 = KSEF_BUF_INIT;
	ksef_invoice_meta meta;
	ksef_api_invoice_status *st;
	ksef_api_session_status *ss = NULL;
	ksef_api_invoice_list *failed = NULL;
	struct raw_response r;
	ksef_error err;
	const int want[8] = { 200, 200, 450, 440, 450, 415, 430, 435 };
	int i;

	(void)state;
	login(&l, &srv, NIP, token_main);
	open_session(&l, KSEF_FORM_FA3, &env, sref);

	gen(&valid, KSEF_FORM_FA3, NIP, "FLOW", 1, NULL);
	gen(&valid2, KSEF_FORM_FA3, NIP, "FLOW", 2, NULL);
	gen(&bad, KSEF_FORM_FA3, NIP, "FLOW", 3, NULL);
	ts_replace(&bad, "<P_15>", "<P_15X>");
	ts_replace(&bad, "</P_15>", "</P_15X>");
	date_from_today(future, 2);
	gen(&fut, KSEF_FORM_FA3, NIP, "FLOW", 4, future);
	ts_read_file(&att, ts_shared_path("ksef-samples/invoices/extra/"
		"csharp-invoice-template-fa-3-with-attachment.xml"));
	ts_replace(&att, "#nip#", NIP);
	ts_replace(&att, "#invoice_number#", "FLOW-ATT-1");

	send_xml(&l, sref, env, &valid, refs[0]);
	send_xml(&l, sref, env, &valid2, refs[1]);
	send_xml(&l, sref, env, &bad, refs[2]);
	send_xml(&l, sref, env, &valid, refs[3]);   /* a duplicate of [0] */
	send_xml(&l, sref, env, &fut, refs[4]);
	send_xml(&l, sref, env, &att, refs[5]);

	/* [6]: the ciphertext is right, the declared plaintext hash is not. */
	assert_int_equal(ksef_envelope_seal(&ct, &meta, env, valid2.ptr,
					    valid2.size, &err), 0);
	assert_int_equal(ksef_base64_encode(&b64, ct.ptr, ct.size, &err), 0);
	snprintf(body, sizeof(body), "{\"invoiceHash\":\"%s\",\"invoiceSize\":%zu,"
		 "\"encryptedInvoiceHash\":\"%s\",\"encryptedInvoiceSize\":%zu,"
		 "\"encryptedInvoiceContent\":\"", meta.encrypted_hash,
		 meta.invoice_size, meta.encrypted_hash, meta.encrypted_size);
	{
		ksef_buf full = KSEF_BUF_INIT;

		ts_replace(&b64, "\n", "");
		full.ptr = malloc(strlen(body) + b64.size + 8);
		sprintf((char *)full.ptr, "%s%s\"}", body, (char *)b64.ptr);
		full.size = strlen((char *)full.ptr);
		snprintf(path, sizeof(path), "/sessions/online/%s/invoices", sref);
		raw_request(&r, "POST", url(&srv, path),
			    l.tokens->access_token->token, NULL,
			    (char *)full.ptr, full.size);
		assert_int_equal(r.status, 202);
		{
			json_t *j = raw_json(&r);

			snprintf(refs[6], KSEF_REFNUM_BUFSZ, "%s",
				 json_string_value(json_object_get(j,
					"referenceNumber")));
			json_decref(j);
		}
		raw_free(&r);
		ksef_buf_dispose(&full);
	}

	/* [7]: 33 bytes cannot be AES-CBC ciphertext: 435 after the 202. */
	{
		unsigned char junk[33];
		char h[KSEF_SHA256_B64_LEN + 1];
		ksef_buf jb = KSEF_BUF_INIT;
		json_t *j;

		memset(junk, 0x5A, sizeof(junk));
		assert_int_equal(ksef_sha256_base64(h, junk, sizeof(junk), &err), 0);
		assert_int_equal(ksef_base64_encode(&jb, junk, sizeof(junk), &err), 0);
		snprintf(body, sizeof(body), "{\"invoiceHash\":\"%s\",\"invoiceSize\":"
			 "20,\"encryptedInvoiceHash\":\"%s\",\"encryptedInvoiceSize\":"
			 "33,\"encryptedInvoiceContent\":\"%s\"}", h, h,
			 (char *)jb.ptr);
		raw_request(&r, "POST", url(&srv, path),
			    l.tokens->access_token->token, NULL, body, strlen(body));
		assert_int_equal(r.status, 202);
		j = raw_json(&r);
		snprintf(refs[7], KSEF_REFNUM_BUFSZ, "%s", json_string_value(
			json_object_get(j, "referenceNumber")));
		json_decref(j);
		raw_free(&r);

		/* Sync checks: size and hash of the encrypted content. */
		snprintf(body, sizeof(body), "{\"invoiceHash\":\"%s\",\"invoiceSize\":"
			 "20,\"encryptedInvoiceHash\":\"%s\",\"encryptedInvoiceSize\":"
			 "34,\"encryptedInvoiceContent\":\"%s\"}", h, h,
			 (char *)jb.ptr);
		raw_request(&r, "POST", url(&srv, path),
			    l.tokens->access_token->token, NULL, body, strlen(body));
		assert_int_equal(r.status, 400);
		assert_int_equal(raw_error_code(&r), 21402);
		raw_free(&r);
		h[0] = h[0] == 'A' ? 'B' : 'A';
		snprintf(body, sizeof(body), "{\"invoiceHash\":\"%s\",\"invoiceSize\":"
			 "20,\"encryptedInvoiceHash\":\"%s\",\"encryptedInvoiceSize\":"
			 "33,\"encryptedInvoiceContent\":\"%s\"}", h, h,
			 (char *)jb.ptr);
		raw_request(&r, "POST", url(&srv, path),
			    l.tokens->access_token->token, NULL, body, strlen(body));
		assert_int_equal(r.status, 400);
		assert_int_equal(raw_error_code(&r), 21403);
		raw_free(&r);
		ksef_buf_dispose(&jb);
	}

	for (i = 0; i < 8; i++) {
		st = wait_invoice(&l, sref, refs[i]);
		if (st->status->code != want[i])
			fail_msg("invoice %d: status %d, expected %d (%s)", i,
				 st->status->code, want[i], st->status->detail_count ?
				 st->status->details[0] : "");
		assert_int_equal(st->ordinal_number, i + 1);
		if (want[i] == 200) {
			assert_non_null(st->ksef_number);
			assert_int_equal(ksef_number_validate(st->ksef_number,
				strlen(st->ksef_number), NULL), 0);
			assert_memory_equal(st->ksef_number, NIP, 10);
			assert_true(st->acquisition_date_ms != KSEF_TIME_UNSET);
			assert_true(st->permanent_storage_date_ms !=
				    KSEF_TIME_UNSET);
			assert_string_equal(st->invoicing_mode, "Online");
		} else {
			assert_null(st->ksef_number);
			assert_true(st->status->detail_count > 0);
		}
		if (i == 3) {
			/* The duplicate names the original (SPEC 5.2). */
			ksef_api_invoice_status *orig = wait_invoice(&l, sref,
								     refs[0]);

			assert_int_equal(ksef_api_pairs_count(st->extensions),
					 2);
			assert_non_null(strstr(st->status->details[0],
					       orig->ksef_number));
			assert_string_equal(st->invoice_number,
					    orig->invoice_number);
			ksef_api_invoice_status_free(orig);
		}
		ksef_api_invoice_status_free(st);
	}

	/* The failed list holds exactly the six rejected ones. */
	assert_int_equal(ksef_client_session_invoices(&failed, l.c, sref, 1, 10,
						      NULL, &err), 0);
	assert_int_equal(ksef_api_invoice_list_count(failed), 6);
	ksef_api_invoice_list_free(failed);

	assert_int_equal(ksef_client_session_close(l.c, sref, &err), 0);
	assert_int_equal(wait_session(&l, sref, &ss), 200);
	assert_int_equal(ss->invoice_count, 8);
	assert_int_equal(ss->successful_invoice_count, 2);
	assert_int_equal(ss->failed_invoice_count, 6);
	ksef_api_session_status_free(ss);

	/* A closed session refuses more invoices and a second close. */
	assert_int_not_equal(ksef_client_invoice_send(refs[0], &meta, l.c, sref,
		env, valid.ptr, valid.size, NULL, &err), 0);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(l.c), 21180));
	assert_int_not_equal(ksef_client_session_close(l.c, sref, &err), 0);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(l.c), 21180));

	ksef_envelope_free(env);
	ksef_envelope_free(other);
	ksef_buf_dispose(&valid);
	ksef_buf_dispose(&valid2);
	ksef_buf_dispose(&bad);
	ksef_buf_dispose(&fut);
	ksef_buf_dispose(&att);
	ksef_buf_dispose(&ct);
	ksef_buf_dispose(&b64);
	logout(&l);
}

static void fa2_sessions_accept_fa2_invoices(void **state)
{
	struct login l;
	ksef_envelope *env = NULL;
	char sref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ];
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_api_invoice_status *st;
	ksef_error err;

	(void)state;
	login(&l, &srv, NIP, token_main);
	open_session(&l, KSEF_FORM_FA2, &env, sref);
	gen(&xml, KSEF_FORM_FA2, NIP, "FA2FLOW", 1, NULL);
	send_xml(&l, sref, env, &xml, iref);
	st = wait_invoice(&l, sref, iref);
	assert_int_equal(st->status->code, 200);
	ksef_api_invoice_status_free(st);
	assert_int_equal(ksef_client_session_close(l.c, sref, &err), 0);
	assert_int_equal(wait_session(&l, sref, NULL), 200);
	ksef_envelope_free(env);
	ksef_buf_dispose(&xml);
	logout(&l);
}

static void an_empty_session_ends_cancelled_440(void **state)
{
	struct login l;
	ksef_envelope *env = NULL;
	char sref[KSEF_REFNUM_BUFSZ];
	ksef_api_session_status *ss = NULL;
	ksef_error err;

	(void)state;
	login(&l, &srv, NIP, token_main);
	open_session(&l, KSEF_FORM_FA3, &env, sref);
	assert_int_equal(ksef_client_session_close(l.c, sref, &err), 0);
	assert_int_equal(wait_session(&l, sref, &ss), 440);
	assert_int_equal(ss->status->detail_count, 1);
	assert_string_equal(ss->status->details[0], "Nie przesłano faktur");
	assert_int_equal(ss->invoice_count, -1); /* left out while zero */
	ksef_api_session_status_free(ss);
	ksef_envelope_free(env);
	logout(&l);
}

static void all_rejected_ends_445(void **state)
{
	struct login l;
	ksef_envelope *env = NULL;
	char sref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ];
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	login(&l, &srv, NIP, token_main);
	open_session(&l, KSEF_FORM_FA3, &env, sref);
	gen(&xml, KSEF_FORM_FA3, OTHER_NIP, "NOTMINE", 1, NULL);
	send_xml(&l, sref, env, &xml, iref);
	assert_int_equal(ksef_client_session_close(l.c, sref, &err), 0);
	assert_int_equal(wait_session(&l, sref, NULL), 445);
	{
		ksef_api_invoice_status *st = wait_invoice(&l, sref, iref);

		/* Another seller's invoice in this context: 410. */
		assert_int_equal(st->status->code, 410);
		ksef_api_invoice_status_free(st);
	}
	ksef_envelope_free(env);
	ksef_buf_dispose(&xml);
	logout(&l);
}

static void a_key_that_does_not_unwrap_ends_the_session_415(void **state)
{
	struct login l;
	ksef_pubkey *key;
	unsigned char junk[256];
	ksef_buf kb = KSEF_BUF_INIT;
	char body[2048], path[128];
	struct raw_response r;
	json_t *j;
	ksef_api_session_status *ss = NULL;
	ksef_error err;
	char sref[KSEF_REFNUM_BUFSZ];

	(void)state;
	login(&l, &srv, NIP, token_main);
	key = server_key(l.c, KSEF_KEY_USAGE_SYMMETRIC_KEY);
	memset(junk, 0x11, sizeof(junk));
	assert_int_equal(ksef_base64_encode(&kb, junk, sizeof(junk), &err), 0);
	snprintf(body, sizeof(body), "{\"formCode\":{\"systemCode\":\"FA (3)\","
		 "\"schemaVersion\":\"1-0E\",\"value\":\"FA\"},\"encryption\":{"
		 "\"encryptedSymmetricKey\":\"%s\",\"initializationVector\":"
		 "\"AAAAAAAAAAAAAAAAAAAAAA==\",\"publicKeyId\":\"%s\"}}",
		 (char *)kb.ptr, ksef_pubkey_id(key));
	raw_request(&r, "POST", url(&srv, "/sessions/online"),
		    l.tokens->access_token->token, NULL, body, strlen(body));
	assert_int_equal(r.status, 201);
	j = raw_json(&r);
	snprintf(sref, sizeof(sref), "%s",
		 json_string_value(json_object_get(j, "referenceNumber")));
	json_decref(j);
	raw_free(&r);
	assert_int_equal(wait_session(&l, sref, &ss), 415);
	ksef_api_session_status_free(ss);
	/* Nothing may be sent to it. */
	snprintf(path, sizeof(path), "/sessions/online/%s/invoices", sref);
	raw_request(&r, "POST", url(&srv, path), l.tokens->access_token->token,
		    NULL, "{}", 2);
	assert_int_equal(raw_error_code(&r), 21180);
	raw_free(&r);
	ksef_buf_dispose(&kb);
	ksef_pubkey_free(key);
	logout(&l);
}

static void unknown_and_foreign_sessions_are_not_found(void **state)
{
	struct login mine, theirs;
	ksef_envelope *env = NULL;
	char sref[KSEF_REFNUM_BUFSZ], unknown[KSEF_REFNUM_BUFSZ];
	ksef_api_session_status *ss = NULL;
	ksef_error err;

	(void)state;
	login(&mine, &srv, NIP, token_main);
	login(&theirs, &srv, OTHER_NIP, token_other);
	open_session(&mine, KSEF_FORM_FA3, &env, sref);
	assert_int_equal(ksef_refnum_generate(unknown,
		KSEF_REFNUM_ONLINE_SESSION, ksef_time_now(), &err), 0);
	assert_int_not_equal(ksef_client_session_status(&ss, mine.c, unknown,
							&err), 0);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(mine.c),
					    21173));
	assert_int_not_equal(ksef_client_session_close(mine.c, unknown, &err), 0);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(mine.c),
					    21173));
	/* Another context sees nothing of it. */
	assert_int_not_equal(ksef_client_session_status(&ss, theirs.c, sref,
							&err), 0);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(theirs.c),
					    21173));
	assert_int_not_equal(ksef_client_session_close(theirs.c, sref, &err), 0);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(theirs.c),
					    21173));
	assert_int_equal(ksef_client_session_close(mine.c, sref, &err), 0);
	ksef_envelope_free(env);
	logout(&mine);
	logout(&theirs);
}

static void authentication_failures_have_their_codes(void **state)
{
	struct login l;
	ksef_api_tokens *t = NULL;
	ksef_error err;

	(void)state;
	/* A token nobody issued. */
	assert_int_equal(authenticate(&l, &srv, NIP,
		"20250101-EC-0000000000-0000000000-00|nip-5265877635|00", 0), 450);
	logout(&l);
	/* The right token with another timestamp. */
	assert_int_equal(authenticate(&l, &srv, NIP, token_main, -1), 450);
	logout(&l);
	/* The right token for another context: no permissions there. */
	assert_int_equal(authenticate(&l, &srv, OTHER_NIP, token_main, 0), 415);
	assert_int_not_equal(ksef_client_auth_redeem(&t, l.c, l.auth_token,
						     &err), 0);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(l.c), 21301));
	logout(&l);

	/* Redeem twice. */
	login(&l, &srv, NIP, token_main);
	assert_int_not_equal(ksef_client_auth_redeem(&t, l.c, l.auth_token,
						     &err), 0);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(l.c), 21301));
	/* Refresh works, then not after revocation. */
	assert_int_equal(ksef_client_auth_refresh(&t, l.c,
		l.tokens->refresh_token->token, &err), 0);
	assert_non_null(t->access_token->token);
	ksef_api_tokens_free(t);
	t = NULL;
	assert_int_equal(ksef_client_auth_revoke_current(l.c, &err), 0);
	assert_int_not_equal(ksef_client_auth_refresh(&t, l.c,
		l.tokens->refresh_token->token, &err), 0);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(l.c), 21301));
	logout(&l);
}

static void a_used_or_unknown_challenge_is_refused(void **state)
{
	struct login l;
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	ksef_pubkey *key;
	ksef_error err;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.c = client_for(&srv);
	key = server_key(l.c, KSEF_KEY_USAGE_KSEF_TOKEN);
	assert_int_equal(ksef_client_auth_challenge(&ch, l.c, &err), 0);
	assert_int_equal(ksef_client_auth_ksef_token(&init, l.c, ch,
		KSEF_CONTEXT_NIP, NIP, token_main, key, NULL, &err), 0);
	ksef_api_auth_init_free(init);
	init = NULL;
	/* The same challenge again. */
	assert_int_not_equal(ksef_client_auth_ksef_token(&init, l.c, ch,
		KSEF_CONTEXT_NIP, NIP, token_main, key, NULL, &err), 0);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(l.c), 21111));
	ksef_api_challenge_free(ch);
	ksef_pubkey_free(key);
	logout(&l);
}

static void an_expired_challenge_is_refused(void **state)
{
	struct ksefd_proc p;
	static const char *const args[] = { "--challenge-ttl", "1", NULL };
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	char tok[256];
	ksef_client *c;
	ksef_pubkey *key;
	ksef_error err;

	(void)state;
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, args);
	ksefd_token(&p, NIP, "InvoiceWrite", tok, sizeof(tok));
	c = client_for(&p);
	key = server_key(c, KSEF_KEY_USAGE_KSEF_TOKEN);
	assert_int_equal(ksef_client_auth_challenge(&ch, c, &err), 0);
	e2e_sleep_us(1300000);
	assert_int_not_equal(ksef_client_auth_ksef_token(&init, c, ch,
		KSEF_CONTEXT_NIP, NIP, tok, key, NULL, &err), 0);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(c), 21111));
	ksef_api_challenge_free(ch);
	ksef_pubkey_free(key);
	ksef_client_free(c);
	assert_int_equal(ksefd_stop(&p), 0);
	ksefd_cleanup(&p);
}

static void a_retired_key_gets_21470_and_the_new_one_works(void **state)
{
	struct login l;
	ksef_pubkey *old_key, *new_key;
	ksef_envelope *env = NULL;
	ksef_api_session_opened *s = NULL;
	char out[1024], cmd[256];
	ksef_error err;

	(void)state;
	login(&l, &srv, NIP, token_main);
	old_key = server_key(l.c, KSEF_KEY_USAGE_SYMMETRIC_KEY);
	assert_int_equal(ksefd_command(&srv,
		"keys rotate --usage SymmetricKeyEncryption", out, sizeof(out)), 0);
	new_key = server_key(l.c, KSEF_KEY_USAGE_SYMMETRIC_KEY);
	assert_string_not_equal(ksef_pubkey_id(old_key), ksef_pubkey_id(new_key));
	/* Both work while both are listed. */
	assert_int_equal(ksef_envelope_new(&env, &err), 0);
	assert_int_equal(ksef_client_session_open(&s, l.c, KSEF_FORM_FA3, env,
						  old_key, &err), 0);
	ksef_api_session_opened_free(s);
	snprintf(cmd, sizeof(cmd), "keys retire %s", ksef_pubkey_id(old_key));
	assert_int_equal(ksefd_command(&srv, cmd, out, sizeof(out)), 0);
	assert_int_not_equal(ksef_client_session_open(&s, l.c, KSEF_FORM_FA3,
		env, old_key, &err), 0);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(l.c), 21470));
	assert_int_equal(ksef_client_session_open(&s, l.c, KSEF_FORM_FA3, env,
						  new_key, &err), 0);
	ksef_api_session_opened_free(s);
	ksef_envelope_free(env);
	ksef_pubkey_free(old_key);
	ksef_pubkey_free(new_key);
	logout(&l);
}

static void errors_come_in_both_formats(void **state)
{
	struct login l;
	struct raw_response r;
	json_t *j;

	(void)state;
	login(&l, &srv, NIP, token_main);
	raw_request(&r, "POST", url(&srv, "/sessions/online"),
		    l.tokens->access_token->token, NULL, "{\"formCode\":", 12);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.content_type, "application/json"));
	assert_int_equal(raw_error_code(&r), 21405);
	j = raw_json(&r);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(json_object_get(j, "exception"),
				"exceptionDetailList"), 0),
		"exceptionDescription")), "Błąd walidacji danych wejściowych.");
	json_decref(j);
	raw_free(&r);

	raw_request(&r, "POST", url(&srv, "/sessions/online"),
		    l.tokens->access_token->token,
		    "X-Error-Format: problem-details", "{\"formCode\":", 12);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.content_type, "application/problem+json"));
	j = raw_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "title")),
			    "Bad Request");
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 400);
	assert_string_equal(json_string_value(json_object_get(j, "instance")),
			    "/v2/sessions/online");
	assert_int_equal(raw_error_code(&r), 21405);
	json_decref(j);
	raw_free(&r);

	/* 401 and 403 are always Problem Details. */
	raw_request(&r, "GET", url(&srv, "/sessions?sessionType=Online"), NULL,
		    NULL, NULL, 0);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.content_type, "application/problem+json"));
	raw_free(&r);
	raw_request(&r, "GET", url(&srv, "/sessions?sessionType=Online"),
		    "not-a-jwt", NULL, NULL, 0);
	assert_int_equal(r.status, 401);
	raw_free(&r);
	/* The refresh token is not an access token. */
	raw_request(&r, "GET", url(&srv, "/sessions?sessionType=Online"),
		    l.tokens->refresh_token->token, NULL, NULL, 0);
	assert_int_equal(r.status, 401);
	raw_free(&r);

	/* Unknown route, wrong method, unsupported form code. */
	raw_request(&r, "GET", url(&srv, "/no/such/thing"), NULL, NULL, NULL, 0);
	assert_int_equal(r.status, 404);
	raw_free(&r);
	raw_request(&r, "PUT", url(&srv, "/auth/challenge"), NULL, NULL, NULL, 0);
	assert_int_equal(r.status, 405);
	raw_free(&r);
	{
		static const char bad_form[] =
		    "{\"formCode\":{\"systemCode\":\"FA(3)\",\"schemaVersion\":"
		    "\"1-0E\",\"value\":\"FA\"},\"encryption\":{"
		    "\"encryptedSymmetricKey\":\"AAAA\",\"initializationVector\":"
		    "\"AAAAAAAAAAAAAAAAAAAAAA==\"}}";

		raw_request(&r, "POST", url(&srv, "/sessions/online"),
			    l.tokens->access_token->token, NULL, bad_form,
			    strlen(bad_form));
	}
	assert_int_equal(raw_error_code(&r), 21405);
	assert_non_null(strstr(r.body, "kod formularza"));
	raw_free(&r);
	logout(&l);
}

static void a_token_without_invoice_write_is_forbidden(void **state)
{
	struct login l;
	char tok[256];
	struct raw_response r;
	json_t *j;

	(void)state;
	ksefd_token(&srv, "7010012385", "InvoiceRead", tok, sizeof(tok));
	login(&l, &srv, "7010012385", tok);
	raw_request(&r, "POST", url(&srv, "/sessions/online"),
		    l.tokens->access_token->token, NULL, "{}", 2);
	assert_int_equal(r.status, 403);
	j = raw_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "reasonCode")),
			    "missing-permissions");
	assert_non_null(json_object_get(json_object_get(j, "security"),
					"requiredAnyOfPermissions"));
	json_decref(j);
	raw_free(&r);
	logout(&l);
}

static void accepted_invoices_survive_kill_9(void **state)
{
	struct ksefd_proc p;
	struct login l;
	char tok[256], sref[KSEF_REFNUM_BUFSZ], refs[20][KSEF_REFNUM_BUFSZ];
	ksef_envelope *env = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_api_invoice_status *st;
	ksef_error err;
	int i;

	(void)state;
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, NULL);
	ksefd_token(&p, NIP, "InvoiceWrite,InvoiceRead", tok, sizeof(tok));
	login(&l, &p, NIP, tok);
	open_session(&l, KSEF_FORM_FA3, &env, sref);
	for (i = 0; i < 20; i++) {
		gen(&xml, KSEF_FORM_FA3, NIP, "CRASH", (uint64_t)i + 1, NULL);
		send_xml(&l, sref, env, &xml, refs[i]);
	}
	ksefd_kill9(&p);
	ksef_client_free(l.c);
	ksefd_start(&p, p.data_dir, NULL);
	{
		ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;

		o.base_url = p.base_url;
		assert_int_equal(ksef_client_new(&l.c, &o, &err), 0);
		/* The access token outlives the restart: the signing secret
		 * is in the data folder. */
		assert_int_equal(ksef_client_set_access_token(l.c,
			l.tokens->access_token->token, &err), 0);
	}
	for (i = 0; i < 20; i++) {
		st = wait_invoice(&l, sref, refs[i]);
		if (st->status->code != 200)
			fail_msg("invoice %d after restart: %d", i,
				 st->status->code);
		ksef_api_invoice_status_free(st);
	}
	assert_int_equal(ksef_client_session_close(l.c, sref, &err), 0);
	assert_int_equal(wait_session(&l, sref, NULL), 200);
	ksef_envelope_free(env);
	ksef_buf_dispose(&xml);
	logout(&l);
	assert_int_equal(ksefd_stop(&p), 0);
	ksefd_cleanup(&p);
}

static void production_rate_limits_answer_429_with_retry_after(void **state)
{
	struct ksefd_proc p;
	static const char *const args[] = { "--rate-limits", "production", NULL };
	struct raw_response r;
	int i, limited = 0;
	json_t *j;

	(void)state;
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, args);
	/* 60 challenges a second per IP; the 61st within the second waits. */
	for (i = 0; i < 70 && !limited; i++) {
		raw_request(&r, "POST", url(&p, "/auth/challenge"), NULL, NULL,
			    NULL, 0);
		if (r.status == 429) {
			limited = 1;
			assert_true(atoi(r.retry_after) >= 1);
			j = raw_json(&r);
			assert_int_equal(json_integer_value(json_object_get(
				json_object_get(j, "status"), "code")), 429);
			json_decref(j);
		} else {
			assert_int_equal(r.status, 200);
		}
		raw_free(&r);
	}
	assert_true(limited);
	assert_true(i > 60);
	assert_int_equal(ksefd_stop(&p), 0);
	ksefd_cleanup(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_whole_session_gives_each_invoice_its_status),
		cmocka_unit_test(fa2_sessions_accept_fa2_invoices),
		cmocka_unit_test(an_empty_session_ends_cancelled_440),
		cmocka_unit_test(all_rejected_ends_445),
		cmocka_unit_test(a_key_that_does_not_unwrap_ends_the_session_415),
		cmocka_unit_test(unknown_and_foreign_sessions_are_not_found),
		cmocka_unit_test(authentication_failures_have_their_codes),
		cmocka_unit_test(a_used_or_unknown_challenge_is_refused),
		cmocka_unit_test(an_expired_challenge_is_refused),
		cmocka_unit_test(a_retired_key_gets_21470_and_the_new_one_works),
		cmocka_unit_test(errors_come_in_both_formats),
		cmocka_unit_test(a_token_without_invoice_write_is_forbidden),
		cmocka_unit_test(accepted_invoices_survive_kill_9),
		cmocka_unit_test(production_rate_limits_answer_429_with_retry_after),
	};
	/* libcurl runs with CURLOPT_NOSIGNAL (thread safety), so a write to
	 * a server that was just killed must not kill the test. */
	/* ksefd compiles the FA (3) schema as it starts. */
	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
