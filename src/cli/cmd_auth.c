/*
 * cmd_auth.c - `ksef auth login|refresh|logout|status`: authenticate once
 * (KSeF token, or XAdES with a certificate) and keep the access and
 * refresh tokens in the private state file that `ksef session` and
 * `ksef invoice` use. The state file's format and permissions belong to
 * config.c; this file never prints a token.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "cli.h"
#include "config.h"
#include "ksef/xades.h"

static const char usage_text[] =
"usage: ksef auth login [options]\n"
"       ksef auth refresh|logout|status [--state FILE] [--json]\n"
"\n"
"login authenticates to a NIP context and saves the access and refresh\n"
"tokens in the state file (mode 0600); refresh gets a new access token;\n"
"logout ends the authentication on the server and deletes the file;\n"
"status shows the context and when the tokens expire (never the tokens).\n"
"\n"
"login options:\n"
"  --base-url URL       API base URL (default $KSEF_BASE_URL, base_url)\n"
"  --env test|demo|prd  the Ministry's environments instead of --base-url\n"
"  --allow-production   needed to use prd\n"
"  --nip NIP            the context NIP (default $KSEF_NIP, nip)\n"
"  --token TOKEN        authenticate with a KSeF token ($KSEF_TOKEN, token)\n"
"  --cert FILE --key FILE  authenticate with XAdES: a PEM certificate and\n"
"                       its PEM key ($KSEF_CERT, $KSEF_KEY, cert, key)\n"
"  --key-password PASS  the key's passphrase ($KSEF_KEY_PASSWORD)\n"
"  --p12 FILE           XAdES with a PKCS#12 file instead\n"
"  --password PASS      its password ($KSEF_P12_PASSWORD)\n"
"  --fingerprint        identify the signer by the certificate's SHA-256\n"
"                       fingerprint instead of the NIP/PESEL it names\n"
"  --timeout SECONDS    how long to wait for KSeF to decide (default 60)\n"
"  --config FILE        the config file (default $KSEF_CONFIG or\n"
"                       ~/.config/ksef/config)\n"
"  --state FILE         the state file (default $KSEF_STATE or\n"
"                       ~/.local/state/ksef/auth.json)\n"
"\n"
"exit status: 0 done, 1 refused by KSeF or not logged in, 2 usage,\n"
"3 could not run\n";

#define CMD "auth"

enum { OPT_KEY_PASSWORD = 300, OPT_P12, OPT_PASSWORD, OPT_FINGERPRINT,
       OPT_TIMEOUT, OPT_JSON };

enum method { BY_TOKEN, BY_PEM, BY_P12 };

/* Make the XAdES signer from PEM files or a PKCS#12 file. */
static int load_signer(ksef_xades_signer **out, enum method m,
		       const char *cert, const char *key, const char *pass)
{
	ksef_buf kb = KSEF_BUF_INIT, cb = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	const char *bad = m == BY_P12 ? cert : key;
	int rc = CLI_FAILED;

	if (cli_read_file(&kb, bad, KSEF_CERT_MAX_BYTES, &err) != 0)
		goto out;
	if (m == BY_PEM) {
		bad = cert;
		if (cli_read_file(&cb, cert, KSEF_CERT_MAX_BYTES, &err) != 0)
			goto out;
		rc = ksef_xades_signer_new(out, kb.ptr, kb.size, cb.ptr,
					   cb.size, pass, &err);
	} else {
		rc = ksef_xades_signer_from_pkcs12(out, kb.ptr, kb.size, pass,
						   &err);
	}
	rc = rc == 0 ? CLI_OK : CLI_USAGE;
out:
	if (rc != CLI_OK)
		cli_error(CMD, "%s: %s", bad, err.message);
	ksef_buf_dispose_secure(&kb);
	ksef_buf_dispose(&cb);
	return rc;
}

/* Poll an authentication until KSeF decides, then redeem its tokens. */
static int finish_login(ksef_api_tokens **out, ksef_client *c,
			const ksef_api_auth_init *init, int timeout_s)
{
	ksef_api_auth_status *st = NULL;
	ksef_error err = { 0, 0, "" };
	char reason[512];
	time_t until = time(NULL) + timeout_s;
	long wait_ms = 200;
	int rc;

	for (;;) {
		rc = ksef_client_auth_status(&st, c, init->reference_number,
			init->authentication_token->token, &err);
		if (rc != 0) {
			cli_api_reason(reason, sizeof(reason), c, &err);
			cli_error(CMD, "authentication %s: %s",
				  init->reference_number, reason);
			return cli_api_exit(c, rc);
		}
		if (st->status->code != 100)
			break;
		ksef_api_auth_status_free(st);
		st = NULL;
		if (time(NULL) >= until) {
			cli_error(CMD, "authentication %s still in progress "
				  "after %d s", init->reference_number,
				  timeout_s);
			return CLI_FAILED;
		}
		cli_sleep_ms(wait_ms);
		if (wait_ms < 2000)
			wait_ms *= 2;
	}
	if (st->status->code != 200) {
		const ksef_api_status *s = st->status;

		cli_error(CMD, "authentication %s: %d %s%s%s",
			  init->reference_number, s->code,
			  s->description ? s->description : "",
			  s->detail_count ? ": " : "",
			  s->detail_count ? s->details[0] : "");
		ksef_api_auth_status_free(st);
		return CLI_REJECTED;
	}
	ksef_api_auth_status_free(st);
	rc = ksef_client_auth_redeem(out, c, init->authentication_token->token,
				     &err);
	if (rc != 0 || (*out)->access_token->token == NULL ||
	    (*out)->refresh_token->token == NULL) {
		cli_api_reason(reason, sizeof(reason), c, &err);
		cli_error(CMD, "redeeming the tokens: %s",
			  rc != 0 ? reason : "the answer lacks a token");
		ksef_api_tokens_free(*out);
		*out = NULL;
		return rc != 0 ? cli_api_exit(c, rc) : CLI_FAILED;
	}
	return CLI_OK;
}

static json_t *token_json(const ksef_api_token_info *t)
{
	char until[KSEF_TIME_BUFSZ];

	if (ksef_time_format(until, ksef_time_warsaw(t->valid_until_ms),
			     NULL) != 0)
		return NULL;
	return json_pack("{s:s,s:s}", "token", t->token, "validUntil", until);
}

/* The new state: tokens and context; the sessions of an older state for
 * the same server and context are kept, so a login in the middle of a
 * session does not lose its key. */
static json_t *new_state(const char *path, const char *base, const char *nip,
			 const char *method, const char *ref,
			 const ksef_api_tokens *t)
{
	struct cli_state old = { NULL, NULL };
	ksef_error err;
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o*,s:o*}", "baseUrl",
		base, "contextType", "Nip", "contextValue", nip, "method",
		method, "authReferenceNumber", ref, "accessToken",
		token_json(t->access_token), "refreshToken",
		token_json(t->refresh_token));

	if (o == NULL || json_object_get(o, "accessToken") == NULL ||
	    json_object_get(o, "refreshToken") == NULL) {
		json_decref(o);
		return NULL;
	}
	if (cli_state_load(&old, path, &err) == CLI_OK &&
	    strcmp(cli_json_str(old.root, "baseUrl"), base) == 0 &&
	    cli_json_str(old.root, "contextValue") != NULL &&
	    strcmp(cli_json_str(old.root, "contextValue"), nip) == 0) {
		json_t *s = json_object_get(old.root, "sessions");
		json_t *cur = json_object_get(old.root, "currentSession");

		/* Copies: the old state is wiped when disposed of. */
		if (json_is_object(s))
			json_object_set_new(o, "sessions", json_deep_copy(s));
		if (json_is_string(cur))
			json_object_set_new(o, "currentSession",
					    json_deep_copy(cur));
	}
	cli_state_dispose(&old);
	return o;
}

static int auth_login(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_SETTINGS_LONGOPTS,
		{ "token", required_argument, NULL, CLI_OPT_TOKEN },
		{ "cert", required_argument, NULL, CLI_OPT_CERT },
		{ "key", required_argument, NULL, CLI_OPT_KEY },
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "key-password", required_argument, NULL, OPT_KEY_PASSWORD },
		{ "p12", required_argument, NULL, OPT_P12 },
		{ "password", required_argument, NULL, OPT_PASSWORD },
		{ "fingerprint", no_argument, NULL, OPT_FINGERPRINT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_settings flags = { 0 };
	struct cli_config cfg;
	struct cli_state st = { NULL, NULL };
	const char *state_flag = NULL, *key_pass = getenv("KSEF_KEY_PASSWORD"),
		   *p12 = NULL, *p12_pass = getenv("KSEF_P12_PASSWORD");
	ksef_xades_subject_type subject = KSEF_XADES_SUBJECT_CERTIFICATE;
	ksef_client *client = NULL;
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	ksef_api_tokens *tokens = NULL;
	ksef_pubkey *pub = NULL;
	ksef_xades_signer *signer = NULL;
	ksef_buf signed_doc = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	enum method m;
	char reason[512], a[KSEF_TIME_BUFSZ], r[KSEF_TIME_BUFSZ];
	int c, rc, timeout_s = 60;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (cli_settings_option(&flags, c, optarg))
			continue;
		switch (c) {
		case CLI_OPT_STATE: state_flag = optarg; break;
		case OPT_KEY_PASSWORD: key_pass = optarg; break;
		case OPT_P12: p12 = optarg; break;
		case OPT_PASSWORD: p12_pass = optarg; break;
		case OPT_FINGERPRINT:
			subject = KSEF_XADES_SUBJECT_FINGERPRINT;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_seconds(&timeout_s, optarg, 3600) != 0) {
				cli_error(CMD, "--timeout must be 1 to 3600 "
					  "seconds");
				return CLI_USAGE;
			}
			break;
		case 'h': fputs(usage_text, stdout); return CLI_OK;
		default: fputs(usage_text, stderr); return CLI_USAGE;
		}
	}
	if (optind < argc) {
		cli_error(CMD, "login takes no arguments ('%s')", argv[optind]);
		return CLI_USAGE;
	}
	rc = cli_config_resolve(&cfg, &flags, 1, &err);
	if (rc != CLI_OK) {
		cli_error(CMD, "%s", err.message);
		goto out;
	}
	/* The flags choose the method first; then what the environment
	 * or the config file provides. */
	if (p12 != NULL)
		m = BY_P12;
	else if (flags.cert != NULL || flags.key != NULL)
		m = BY_PEM;
	else if (cfg.token != NULL)
		m = BY_TOKEN;
	else if (cfg.cert != NULL || cfg.key != NULL)
		m = BY_PEM;
	else {
		cli_error(CMD, "login needs --token, --cert and --key, or "
			  "--p12");
		rc = CLI_USAGE;
		goto out;
	}
	if (m == BY_PEM && (cfg.cert == NULL || cfg.key == NULL)) {
		cli_error(CMD, "XAdES login needs both --cert and --key");
		rc = CLI_USAGE;
		goto out;
	}
	if (cfg.nip == NULL) {
		cli_error(CMD, "login needs --nip (the context)");
		rc = CLI_USAGE;
		goto out;
	}
	if (ksef_nip_validate_pattern(cfg.nip, strlen(cfg.nip), &err) != 0) {
		cli_error(CMD, "--nip: %s", err.message);
		rc = CLI_USAGE;
		goto out;
	}
	if (m != BY_TOKEN &&
	    (rc = load_signer(&signer, m, m == BY_P12 ? p12 : cfg.cert,
			      cfg.key, m == BY_P12 ? p12_pass : key_pass)) !=
	    CLI_OK)
		goto out;
	if ((rc = cli_state_path(&st.path, state_flag, &err)) != CLI_OK) {
		cli_error(CMD, "%s", err.message);
		goto out;
	}
	if (cli_client_new(&client, cfg.base_url, &err) != 0) {
		cli_error(CMD, "%s", err.message);
		rc = CLI_USAGE;
		goto out;
	}
	if (m == BY_TOKEN) {
		if ((pub = cli_pick_key(client, KSEF_KEY_USAGE_KSEF_TOKEN,
					&err)) == NULL ||
		    (rc = ksef_client_auth_challenge(&ch, client, &err)) != 0 ||
		    (rc = ksef_client_auth_ksef_token(&init, client, ch,
				KSEF_CONTEXT_NIP, cfg.nip, cfg.token, pub,
				NULL, &err)) != 0) {
			cli_api_reason(reason, sizeof(reason), client, &err);
			cli_error(CMD, "authentication: %s", reason);
			rc = cli_api_exit(client, err.code);
			goto out;
		}
	} else {
		ksef_xades_auth_request req = KSEF_XADES_AUTH_REQUEST_INIT;

		if ((rc = ksef_client_auth_challenge(&ch, client, &err)) != 0) {
			cli_api_reason(reason, sizeof(reason), client, &err);
			cli_error(CMD, "authentication: %s", reason);
			rc = cli_api_exit(client, rc);
			goto out;
		}
		req.challenge = ch->challenge;
		req.context_type = KSEF_CONTEXT_NIP;
		req.context_value = cfg.nip;
		req.subject_type = subject;
		if (ksef_xades_sign_auth_request(&signed_doc, &req, signer,
						 &err) != 0) {
			cli_error(CMD, "signing the request: %s", err.message);
			rc = CLI_FAILED;
			goto out;
		}
		if ((rc = ksef_client_auth_xades(&init, client, signed_doc.ptr,
						 signed_doc.size, 0,
						 &err)) != 0) {
			cli_api_reason(reason, sizeof(reason), client, &err);
			cli_error(CMD, "authentication: %s", reason);
			rc = cli_api_exit(client, rc);
			goto out;
		}
	}
	if ((rc = finish_login(&tokens, client, init, timeout_s)) != CLI_OK)
		goto out;
	st.root = new_state(st.path, cfg.base_url, cfg.nip,
			    m == BY_TOKEN ? "token" : "xades",
			    init->reference_number, tokens);
	if (st.root == NULL) {
		cli_error(CMD, "out of memory");
		rc = CLI_FAILED;
		goto out;
	}
	if ((rc = cli_state_save(&st, &err)) != CLI_OK) {
		cli_error(CMD, "%s", err.message);
		goto out;
	}
	cli_time_text(a,
		      ksef_time_warsaw(tokens->access_token->valid_until_ms));
	cli_time_text(r,
		      ksef_time_warsaw(tokens->refresh_token->valid_until_ms));
	printf("logged in to NIP %s at %s (%s)\naccess token valid until %s, "
	       "refresh token until %s\nsaved in %s\n", cfg.nip, cfg.base_url,
	       init->reference_number, a, r, st.path);
out:
	cli_state_dispose(&st);
	ksef_buf_dispose(&signed_doc);
	ksef_xades_signer_free(signer);
	ksef_pubkey_free(pub);
	ksef_api_tokens_free(tokens);
	ksef_api_auth_init_free(init);
	ksef_api_challenge_free(ch);
	ksef_client_free(client);
	cli_config_dispose(&cfg);
	return rc;
}

/* The options of refresh, logout and status. */
static int simple_opts(int argc, char **argv, const char **state, int *json)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case CLI_OPT_STATE: *state = optarg; break;
		case OPT_JSON: *json = 1; break;
		case 'h': fputs(usage_text, stdout); return -1;
		default: fputs(usage_text, stderr); return CLI_USAGE;
		}
	}
	if (optind < argc) {
		cli_error(CMD, "%s takes no arguments ('%s')", argv[0],
			  argv[optind]);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int auth_refresh(int argc, char **argv)
{
	struct cli_state st = { NULL, NULL };
	const char *state = NULL;
	ksef_client *client = NULL;
	ksef_error err = { 0, 0, "" };
	char until[KSEF_TIME_BUFSZ];
	int json = 0, rc = simple_opts(argc, argv, &state, &json);

	if (rc != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if ((rc = cli_state_load(&st, state, &err)) != CLI_OK) {
		cli_error(CMD, "%s", err.message);
		goto out;
	}
	if (cli_client_new(&client, cli_json_str(st.root, "baseUrl"),
			   &err) != 0) {
		cli_error(CMD, "%s: %s", st.path, err.message);
		rc = CLI_FAILED;
		goto out;
	}
	if ((rc = cli_state_refresh(client, &st, CMD)) != CLI_OK)
		goto out;
	snprintf(until, sizeof(until), "%s", cli_json_str(json_object_get(
		 st.root, "accessToken"), "validUntil"));
	if (json)
		printf("{\"accessTokenValidUntil\": \"%s\"}\n", until);
	else
		printf("access token refreshed, valid until %s\n", until);
out:
	ksef_client_free(client);
	cli_state_dispose(&st);
	return rc;
}

static int auth_logout(int argc, char **argv)
{
	struct cli_state st = { NULL, NULL };
	const char *state = NULL;
	ksef_client *client = NULL;
	ksef_error err = { 0, 0, "" };
	char reason[512];
	int json = 0, rc = simple_opts(argc, argv, &state, &json), r;

	if (rc != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if ((rc = cli_state_load(&st, state, &err)) != CLI_OK) {
		cli_error(CMD, "%s", err.message);
		goto out;
	}
	/* A login that has expired is over on the server too: forgetting
	 * it here is all that is left to do. */
	r = cli_state_client(&client, &st, CMD);
	if (r == CLI_OK && (r = ksef_client_auth_revoke_current(client,
								&err)) != 0) {
		cli_api_reason(reason, sizeof(reason), client, &err);
		cli_error(CMD, "ending the authentication on the server: %s",
			  reason);
		rc = cli_api_exit(client, r);
	} else if (r == CLI_FAILED) {
		rc = CLI_FAILED;
	}
	/* The tokens are forgotten here whatever the server said. */
	if (unlink(st.path) != 0 && errno != ENOENT) {
		cli_error(CMD, "%s: %s", st.path, strerror(errno));
		rc = CLI_FAILED;
	} else if (rc == CLI_OK) {
		printf("logged out; removed %s\n", st.path);
	} else {
		fprintf(stderr, "ksef: %s: removed %s all the same\n", CMD,
			st.path);
	}
out:
	ksef_client_free(client);
	cli_state_dispose(&st);
	return rc;
}

/* "until X" with "(expired)" when it has passed. */
static void expiry(char *out, size_t size, json_t *info, int *expired)
{
	const char *s = cli_json_str(info, "validUntil");
	ksef_time t;

	*expired = 1;
	if (s == NULL || ksef_time_parse(&t, s, strlen(s), NULL) != 0) {
		snprintf(out, size, "none");
		return;
	}
	*expired = t.unix_ms <= ksef_time_now().unix_ms;
	snprintf(out, size, "valid until %s%s", s,
		 *expired ? " (expired)" : "");
}

static int auth_status(int argc, char **argv)
{
	struct cli_state st = { NULL, NULL };
	const char *state = NULL, *cur;
	ksef_error err = { 0, 0, "" };
	char acc[128], ref[128];
	int json = 0, rc = simple_opts(argc, argv, &state, &json), ax, rx;
	json_t *access, *refresh, *sessions;

	if (rc != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if ((rc = cli_state_load(&st, state, &err)) != CLI_OK) {
		cli_error(CMD, "%s", err.message);
		goto out;
	}
	access = json_object_get(st.root, "accessToken");
	refresh = json_object_get(st.root, "refreshToken");
	sessions = json_object_get(st.root, "sessions");
	cur = cli_json_str(st.root, "currentSession");
	expiry(acc, sizeof(acc), access, &ax);
	expiry(ref, sizeof(ref), refresh, &rx);
	if (json) {
		json_t *o = json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,"
			"s:b,s:s?}",
			"baseUrl", cli_json_str(st.root, "baseUrl"),
			"contextType", cli_json_str(st.root, "contextType"),
			"contextValue", cli_json_str(st.root, "contextValue"),
			"method", cli_json_str(st.root, "method"),
			"authReferenceNumber",
			cli_json_str(st.root, "authReferenceNumber"),
			"accessTokenValidUntil", cli_json_str(access,
							      "validUntil"),
			"refreshTokenValidUntil", cli_json_str(refresh,
							       "validUntil"),
			"loggedIn", !rx, "currentSession", cur);

		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
	} else {
		printf("server:         %s\n",
		       cli_json_str(st.root, "baseUrl"));
		printf("context:        %s %s\n",
		       cli_json_str(st.root, "contextType") ?
		       cli_json_str(st.root, "contextType") : "?",
		       cli_json_str(st.root, "contextValue") ?
		       cli_json_str(st.root, "contextValue") : "?");
		printf("method:         %s (%s)\n",
		       cli_json_str(st.root, "method") ?
		       cli_json_str(st.root, "method") : "?",
		       cli_json_str(st.root, "authReferenceNumber") ?
		       cli_json_str(st.root, "authReferenceNumber") : "?");
		printf("access token:   %s\n", acc);
		printf("refresh token:  %s\n", ref);
		if (cur != NULL)
			printf("session:        %s%s\n", cur,
			       json_object_get(sessions, cur) ? " (open here)" :
			       "");
		printf("state file:     %s\n", st.path);
	}
	if (rx) {
		cli_error(CMD, "the login has expired; run 'ksef auth login'");
		rc = CLI_REJECTED;
	}
out:
	cli_state_dispose(&st);
	return rc;
}

int cmd_auth(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	optind = 1;
	if (strcmp(argv[1], "login") == 0)
		return auth_login(argc - 1, argv + 1);
	if (strcmp(argv[1], "refresh") == 0)
		return auth_refresh(argc - 1, argv + 1);
	if (strcmp(argv[1], "logout") == 0)
		return auth_logout(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return auth_status(argc - 1, argv + 1);
	cli_error(CMD, "unknown subcommand '%s' (login, refresh, logout, "
		  "status)", argv[1]);
	return CLI_USAGE;
}
