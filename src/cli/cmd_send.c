/*
 * cmd_send.c - `ksef send`: authenticate with a KSeF token, open one
 * interactive session for the files' form code, encrypt and send each
 * file, close, wait for verification and print each file's outcome. Exit 0
 * only when every invoice got a KSeF number.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "cli.h"
#include "ksef/client.h"
#include "ksef/xades.h"

static const char usage_text[] =
"usage: ksef send [options] FILE...\n"
"\n"
"Send invoices to KSeF (or a local ksefd) through one interactive session:\n"
"authenticate with a KSeF token, open a session for the files' form code,\n"
"send each file encrypted, close, wait for verification, and print per\n"
"file its status and KSeF number or the reasons it was rejected.\n"
"\n"
"options:\n"
"  --base-url URL     API base URL, e.g. http://127.0.0.1:8080/v2\n"
"                     (default $KSEF_BASE_URL)\n"
"  --env test|demo|prd  the Ministry's environments instead of --base-url\n"
"  --allow-production needed to send to prd\n"
"  --nip NIP          the context (seller) NIP (default $KSEF_NIP)\n"
"  --token TOKEN      the KSeF token (default $KSEF_TOKEN)\n"
"  --cert FILE --key FILE  log in with a XAdES signature instead of a token\n"
"                     (PEM certificate and key; --key-password if encrypted)\n"
"  --upo-dir DIR      save each invoice's UPO as DIR/<KSeF number>.xml and\n"
"                     the session UPO as DIR/session-<reference>-<page>.xml\n"
"  --timeout SECONDS  how long to wait for verification (default 300)\n"
"  --json             one JSON object on standard output\n"
"  -q, --quiet        print only failures\n"
"\n"
"exit status: 0 all accepted, 1 some rejected, 2 usage, 3 could not send\n";

struct sent {
	const char *file;
	char ref[KSEF_REFNUM_BUFSZ];
	int status;
	char ksef_number[KSEF_NUMBER_BUFSZ];
	char detail[512];
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *env_url(const char *env)
{
	if (strcmp(env, "test") == 0)
		return "https://api-test.ksef.mf.gov.pl/v2";
	if (strcmp(env, "demo") == 0)
		return "https://api-demo.ksef.mf.gov.pl/v2";
	if (strcmp(env, "prd") == 0)
		return "https://api.ksef.mf.gov.pl/v2";
	return NULL;
}

/* "code: details" of the last error answer, for messages. */
static void api_reason(char *out, size_t size, ksef_client *c,
		       const ksef_error *err)
{
	const ksef_api_error *e = ksef_client_last_error(c);

	if (e != NULL && e->problem_count > 0)
		snprintf(out, size, "%d %s%s%s", e->problems[0].code,
			 e->problems[0].description ? e->problems[0].description : "",
			 e->problems[0].detail_count ? " " : "",
			 e->problems[0].detail_count ? e->problems[0].details[0] : "");
	else
		snprintf(out, size, "%s", err->message);
}

static ksef_pubkey *pick_key(ksef_client *c, unsigned usage, ksef_error *err)
{
	ksef_api_pubkey_certs *certs = NULL;
	const ksef_api_pubkey_cert *pick;
	ksef_pubkey *key = NULL;

	if (ksef_client_pubkey_certs(&certs, c, err) != 0)
		return NULL;
	pick = ksef_api_pubkey_certs_pick(certs, usage, ksef_time_now());
	if (pick == NULL)
		snprintf(err->message, sizeof(err->message),
			 "the server lists no current key for this purpose");
	else if (ksef_pubkey_load(&key, (const unsigned char *)pick->certificate,
				  strlen(pick->certificate), err) != 0)
		key = NULL;
	ksef_api_pubkey_certs_free(certs);
	return key;
}

/* Sign an AuthTokenRequest for the challenge and send it (SPEC 4.4). */
static int start_xades(ksef_api_auth_init **init, ksef_client *c,
		       const ksef_api_challenge *ch, const char *nip,
		       const ksef_xades_signer *signer, ksef_error *err)
{
	ksef_xades_auth_request ar = KSEF_XADES_AUTH_REQUEST_INIT;
	ksef_buf doc = KSEF_BUF_INIT;
	int rc;

	ar.challenge = ch->challenge;
	ar.context_type = KSEF_CONTEXT_NIP;
	ar.context_value = nip;
	if ((rc = ksef_xades_sign_auth_request(&doc, &ar, signer, err)) == 0)
		rc = ksef_client_auth_xades(init, c, doc.ptr, doc.size, 0, err);
	ksef_buf_dispose(&doc);
	return rc;
}

/* Authenticate (KSeF token, or XAdES when signer is set) and set the
 * access token on c. */
static int authenticate(ksef_client *c, const char *nip, const char *token,
			const ksef_xades_signer *signer, int timeout_s,
			char *reason, size_t size)
{
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	ksef_api_auth_status *st = NULL;
	ksef_api_tokens *tokens = NULL;
	ksef_pubkey *key = NULL;
	ksef_error err = { 0, 0, "" };
	time_t until = time(NULL) + timeout_s;
	int rc = -1;

	if (signer != NULL) {
		if (ksef_client_auth_challenge(&ch, c, &err) != 0 ||
		    start_xades(&init, c, ch, nip, signer, &err) != 0) {
			api_reason(reason, size, c, &err);
			goto out;
		}
	} else if ((key = pick_key(c, KSEF_KEY_USAGE_KSEF_TOKEN, &err)) == NULL ||
		   ksef_client_auth_challenge(&ch, c, &err) != 0 ||
		   ksef_client_auth_ksef_token(&init, c, ch, KSEF_CONTEXT_NIP,
					       nip, token, key, NULL,
					       &err) != 0) {
		api_reason(reason, size, c, &err);
		goto out;
	}
	for (;;) {
		if (ksef_client_auth_status(&st, c, init->reference_number,
			init->authentication_token.token, &err) != 0) {
			api_reason(reason, size, c, &err);
			goto out;
		}
		if (st->status.code != 100 || time(NULL) > until)
			break;
		ksef_api_auth_status_free(st);
		st = NULL;
		sleep_ms(250);
	}
	if (st->status.code != 200) {
		snprintf(reason, size, "authentication ended with %d %s%s%s",
			 st->status.code, st->status.description,
			 st->status.detail_count ? ": " : "",
			 st->status.detail_count ? st->status.details[0] : "");
		goto out;
	}
	if (ksef_client_auth_redeem(&tokens, c, init->authentication_token.token,
				    &err) != 0 ||
	    ksef_client_set_access_token(c, tokens->access_token.token,
					 &err) != 0) {
		api_reason(reason, size, c, &err);
		goto out;
	}
	rc = 0;
out:
	ksef_api_tokens_free(tokens);
	ksef_api_auth_status_free(st);
	ksef_api_auth_init_free(init);
	ksef_api_challenge_free(ch);
	ksef_pubkey_free(key);
	return rc;
}

static int save_file(const char *dir, const char *name, const ksef_buf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(b->ptr, 1, b->size, f) != b->size ||
	    fclose(f) != 0) {
		cli_error("send", "%s: cannot write", path);
		return -1;
	}
	return 0;
}

/* The UPO of each accepted invoice and the session's UPO pages. */
static int save_upos(ksef_client *c, const char *sref, const struct sent *sent,
		     int n, const ksef_api_session_status *ss, const char *dir)
{
	ksef_buf upo = KSEF_BUF_INIT;
	ksef_error err;
	char name[128];
	size_t p;
	int i, rc = 0;

	for (i = 0; i < n; i++) {
		if (sent[i].status != 200)
			continue;
		snprintf(name, sizeof(name), "%s.xml", sent[i].ksef_number);
		if (ksef_client_upo_by_invoice_ref(&upo, c, sref, sent[i].ref,
						   &err) != 0) {
			cli_error("send", "%s: UPO: %s", sent[i].file,
				  err.message);
			rc = -1;
		} else if (save_file(dir, name, &upo) != 0) {
			rc = -1;
		}
	}
	for (p = 0; ss != NULL && p < ss->upo_page_count; p++) {
		snprintf(name, sizeof(name), "session-%s-%zu.xml", sref, p + 1);
		if (ksef_client_upo_session_page(&upo, c, sref,
				ss->upo_pages[p].reference_number, &err) != 0) {
			cli_error("send", "session UPO page %zu: %s", p + 1,
				  err.message);
			rc = -1;
		} else if (save_file(dir, name, &upo) != 0) {
			rc = -1;
		}
	}
	ksef_buf_dispose(&upo);
	return rc;
}

int cmd_send(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "base-url", required_argument, NULL, 'b' },
		{ "env", required_argument, NULL, 'e' },
		{ "allow-production", no_argument, NULL, 'P' },
		{ "nip", required_argument, NULL, 'n' },
		{ "token", required_argument, NULL, 't' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "key-password", required_argument, NULL, 'K' },
		{ "upo-dir", required_argument, NULL, 'u' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	ksef_client_options co = KSEF_CLIENT_OPTIONS_INIT;
	const char *base = getenv("KSEF_BASE_URL"), *nip = getenv("KSEF_NIP"),
		   *token = getenv("KSEF_TOKEN"), *envname = NULL,
		   *cert_path = NULL, *key_path = NULL, *key_password = NULL,
		   *upo_dir = NULL;
	ksef_xades_signer *signer = NULL;
	int allow_prd = 0, json = 0, quiet = 0, timeout_s = 300, c, i, nfiles,
	    rc = CLI_OK;
	char reason[512], sref[KSEF_REFNUM_BUFSZ];
	ksef_client *client = NULL;
	ksef_envelope *env = NULL;
	ksef_pubkey *skey = NULL;
	ksef_api_session_opened *opened = NULL;
	ksef_api_session_status *ss = NULL;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	ksef_form form = KSEF_FORM_FA3;
	struct sent *sent = NULL;
	time_t until;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': base = optarg; break;
		case 'e': envname = optarg; break;
		case 'P': allow_prd = 1; break;
		case 'n': nip = optarg; break;
		case 't': token = optarg; break;
		case 'c': cert_path = optarg; break;
		case 'k': key_path = optarg; break;
		case 'K': key_password = optarg; break;
		case 'u': upo_dir = optarg; break;
		case 'T': timeout_s = atoi(optarg); break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return CLI_OK;
		default: fputs(usage_text, stderr); return CLI_USAGE;
		}
	}
	if (envname != NULL && (base = env_url(envname)) == NULL) {
		cli_error("send", "--env must be test, demo or prd");
		return CLI_USAGE;
	}
	if (envname != NULL && strcmp(envname, "prd") == 0 && !allow_prd) {
		cli_error("send", "refusing to send to production without "
			  "--allow-production");
		return CLI_USAGE;
	}
	if ((cert_path == NULL) != (key_path == NULL)) {
		cli_error("send", "--cert and --key go together");
		return CLI_USAGE;
	}
	if (base == NULL || nip == NULL || (token == NULL && cert_path == NULL) ||
	    optind >= argc || timeout_s <= 0) {
		cli_error("send", "needs --base-url (or --env), --nip, --token "
			  "(or --cert and --key) and at least one file");
		return CLI_USAGE;
	}
	nfiles = argc - optind;
	sent = calloc((size_t)nfiles, sizeof(*sent));
	if (sent == NULL)
		return CLI_FAILED;
	/* All files go into one session, so they must share a form code. */
	for (i = 0; i < nfiles; i++) {
		ksef_form f;

		sent[i].file = argv[optind + i];
		if (cli_read_file(&doc, sent[i].file, KSEF_INVOICE_MAX_BYTES,
				  &err) != 0) {
			cli_error("send", "%s: %s", sent[i].file, err.message);
			rc = CLI_FAILED;
			goto out;
		}
		if (ksef_form_detect(&f, doc.ptr, doc.size, &err) != 0) {
			cli_error("send", "%s: %s", sent[i].file, err.message);
			rc = CLI_REJECTED;
			goto out;
		}
		if (i > 0 && f != form) {
			cli_error("send", "%s: is %s but %s is %s; send them "
				  "separately", sent[i].file,
				  ksef_form_code_of(f).system_code, sent[0].file,
				  ksef_form_code_of(form).system_code);
			rc = CLI_USAGE;
			goto out;
		}
		form = f;
	}
	if (cert_path != NULL) {
		ksef_buf kb = KSEF_BUF_INIT, cb = KSEF_BUF_INIT;

		if (cli_read_file(&kb, key_path, 1 << 20, &err) != 0 ||
		    cli_read_file(&cb, cert_path, 1 << 20, &err) != 0 ||
		    ksef_xades_signer_new(&signer, kb.ptr, kb.size, cb.ptr,
					  cb.size, key_password, &err) != 0) {
			cli_error("send", "%s / %s: %s", cert_path, key_path,
				  err.message);
			ksef_buf_dispose_secure(&kb);
			ksef_buf_dispose(&cb);
			rc = CLI_USAGE;
			goto out;
		}
		ksef_buf_dispose_secure(&kb);
		ksef_buf_dispose(&cb);
	}
	co.base_url = base;
	if (ksef_client_new(&client, &co, &err) != 0) {
		cli_error("send", "%s", err.message);
		rc = CLI_USAGE;
		goto out;
	}
	if (authenticate(client, nip, token, signer, timeout_s, reason,
			 sizeof(reason)) != 0) {
		cli_error("send", "authentication: %s", reason);
		rc = CLI_FAILED;
		goto out;
	}
	if ((skey = pick_key(client, KSEF_KEY_USAGE_SYMMETRIC_KEY, &err)) == NULL ||
	    ksef_envelope_new(&env, &err) != 0 ||
	    ksef_client_session_open(&opened, client, form, env, skey,
				     &err) != 0) {
		api_reason(reason, sizeof(reason), client, &err);
		cli_error("send", "opening a session: %s", reason);
		rc = CLI_FAILED;
		goto out;
	}
	snprintf(sref, sizeof(sref), "%s", opened->reference_number);
	if (!quiet && !json)
		fprintf(stderr, "ksef: send: session %s (%s)\n", sref,
			ksef_form_code_of(form).system_code);
	for (i = 0; i < nfiles; i++) {
		ksef_invoice_meta meta;

		if (cli_read_file(&doc, sent[i].file, KSEF_INVOICE_MAX_BYTES,
				  &err) != 0 ||
		    ksef_client_invoice_send(sent[i].ref, &meta, client, sref,
					     env, doc.ptr, doc.size, NULL,
					     &err) != 0) {
			api_reason(sent[i].detail, sizeof(sent[i].detail),
				   client, &err);
			sent[i].status = -1;
		}
	}
	if (ksef_client_session_close(client, sref, &err) != 0) {
		api_reason(reason, sizeof(reason), client, &err);
		cli_error("send", "closing session %s: %s", sref, reason);
		rc = CLI_FAILED;
	}
	/* Wait for every invoice to get its verdict. */
	until = time(NULL) + timeout_s;
	for (i = 0; i < nfiles; i++) {
		ksef_api_invoice_status *st = NULL;

		while (sent[i].status == 0) {
			if (ksef_client_session_invoice(&st, client, sref,
					sent[i].ref, &err) != 0) {
				api_reason(sent[i].detail, sizeof(sent[i].detail),
					   client, &err);
				sent[i].status = -1;
				break;
			}
			if (st->status.code >= 200) {
				sent[i].status = st->status.code;
				if (st->ksef_number)
					snprintf(sent[i].ksef_number,
						 sizeof(sent[i].ksef_number), "%s",
						 st->ksef_number);
				snprintf(sent[i].detail, sizeof(sent[i].detail),
					 "%s%s%s", st->status.description,
					 st->status.detail_count ? ": " : "",
					 st->status.detail_count ?
					 st->status.details[0] : "");
			} else if (time(NULL) > until) {
				sent[i].status = -2;
				snprintf(sent[i].detail, sizeof(sent[i].detail),
					 "still being verified (status %d) after "
					 "%d s", st->status.code, timeout_s);
			} else {
				sleep_ms(200);
			}
			ksef_api_invoice_status_free(st);
			st = NULL;
		}
	}
	while (ksef_client_session_status(&ss, client, sref, &err) == 0 &&
	       (ss->status.code == 100 || ss->status.code == 170) &&
	       time(NULL) <= until) {
		ksef_api_session_status_free(ss);
		ss = NULL;
		sleep_ms(200);
	}
	if (upo_dir != NULL && save_upos(client, sref, sent, nfiles, ss, upo_dir) != 0)
		rc = CLI_FAILED;
	if (json) {
		json_t *o = json_object(), *arr = json_array();

		json_object_set_new(o, "sessionReferenceNumber", json_string(sref));
		json_object_set_new(o, "sessionStatus",
				    json_integer(ss ? ss->status.code : 0));
		for (i = 0; i < nfiles; i++) {
			json_t *f = json_pack("{s:s,s:s,s:i}", "file",
				sent[i].file, "referenceNumber", sent[i].ref,
				"status", sent[i].status);

			if (sent[i].ksef_number[0])
				json_object_set_new(f, "ksefNumber",
					json_string(sent[i].ksef_number));
			if (sent[i].status != 200)
				json_object_set_new(f, "detail",
					json_string(sent[i].detail));
			json_array_append_new(arr, f);
		}
		json_object_set_new(o, "invoices", arr);
		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
	}
	for (i = 0; i < nfiles; i++) {
		if (sent[i].status == 200) {
			if (!json && !quiet)
				printf("%s: 200 %s\n", sent[i].file,
				       sent[i].ksef_number);
			continue;
		}
		if (rc == CLI_OK)
			rc = CLI_REJECTED;
		if (!json)
			cli_error("send", "%s: %d %s", sent[i].file,
				  sent[i].status, sent[i].detail);
	}
	if (!json && !quiet && ss != NULL)
		fprintf(stderr, "ksef: send: session %s ended with %d %s\n", sref,
			ss->status.code, ss->status.description);
out:
	ksef_api_session_status_free(ss);
	ksef_api_session_opened_free(opened);
	ksef_envelope_free(env);
	ksef_pubkey_free(skey);
	ksef_client_free(client);
	ksef_xades_signer_free(signer);
	ksef_buf_dispose(&doc);
	free(sent);
	return rc;
}
