/*
 * cmd_auth.c - `ksef auth login|refresh|logout|status`: authenticate once
 * (KSeF token, or XAdES with a certificate) and keep the login in the
 * private state file that `ksef session` and `ksef invoice` use. The login
 * itself, its refresh and the choice of keys are libksef's ksef_conn; the
 * state file's permissions are config.c's and its members login.c's. This
 * file never prints a token.
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
#include "output.h"
#include "ksef/xades.h"

const char cli_usage_auth[] =
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
"  --json               JSON on standard output, also when it fails\n"
"\n"
"exit status: 0 done, 1 refused by KSeF or not logged in, 2 usage,\n"
"3 could not run (network, server, files); see 'man ksef'\n";

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
	/* A key or certificate that does not load is a bad argument. */
	rc = rc == 0 ? CLI_OK : CLI_USAGE;
out:
	if (rc != CLI_OK)
		rc = cli_fail(rc == CLI_USAGE ? CLI_F_USAGE : CLI_F_IO, NULL,
			      "%s: %s", bad, err.message);
	ksef_buf_dispose_secure(&kb);
	ksef_buf_dispose(&cb);
	return rc;
}

/*
 * The state after a login: the connection's, the method, and the sessions
 * of an older state of the same server and context, so that a login in
 * the middle of a session does not lose its key.
 */
static int new_state(struct cli_state *st, ksef_conn *conn,
		     const char *method)
{
	struct cli_login old = CLI_LOGIN_INIT;
	ksef_conn_options same = KSEF_CONN_OPTIONS_INIT;
	ksef_client_options same_client = KSEF_CLIENT_OPTIONS_INIT;
	ksef_buf text = KSEF_BUF_INIT;
	ksef_error err;
	json_t *keep = NULL;
	int rc;

	/* The old state is kept only if the library would resume it for
	 * this very server and context. */
	same_client.base_url = ksef_conn_base_url(conn);
	same.client = &same_client;
	same.context_value = ksef_conn_context(&same.context_type, conn);
	if (cli_state_load(&old.st, st->path, &err) == CLI_OK &&
	    cli_login_conn_text(&text, old.st.root) == 0 &&
	    ksef_conn_resume(&old.conn, &same, (const char *)text.ptr,
			     text.size, NULL) == 0)
		keep = json_pack("{s:O*,s:O*}", "sessions",
				 json_object_get(old.st.root, "sessions"),
				 "currentSession",
				 json_object_get(old.st.root, "currentSession"));
	ksef_buf_dispose_secure(&text);
	rc = cli_login_set(st, conn, keep);
	json_decref(keep);
	cli_login_dispose(&old);
	if (rc == CLI_OK && json_object_set_new(st->root, "method",
						json_string(method)) != 0)
		rc = cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
	return rc;
}

int cmd_auth_login(int argc, char **argv)
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
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_settings flags = { 0 };
	struct cli_config cfg;
	struct cli_state st = { NULL, NULL };
	const char *state_flag = NULL, *key_pass = getenv("KSEF_KEY_PASSWORD"),
		   *p12 = NULL, *p12_pass = getenv("KSEF_P12_PASSWORD");
	ksef_conn_options co = KSEF_CONN_OPTIONS_INIT;
	ksef_client_options client_opts = KSEF_CLIENT_OPTIONS_INIT;
	ksef_xades_signer *signer = NULL;
	ksef_conn *conn = NULL;
	ksef_error err = { 0, 0, "" };
	enum method m;
	char a[KSEF_TIME_BUFSZ], r[KSEF_TIME_BUFSZ], ref[KSEF_REFNUM_BUFSZ];
	int64_t access_until, refresh_until;
	int c, rc, timeout_s = 60;

	memset(&cfg, 0, sizeof(cfg));
	co.subject_type = KSEF_XADES_SUBJECT_CERTIFICATE;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (cli_settings_option(&flags, c, optarg))
			continue;
		switch (c) {
		case CLI_OPT_STATE: state_flag = optarg; break;
		case OPT_KEY_PASSWORD: key_pass = optarg; break;
		case OPT_P12: p12 = optarg; break;
		case OPT_PASSWORD: p12_pass = optarg; break;
		case OPT_FINGERPRINT:
			co.subject_type = KSEF_XADES_SUBJECT_FINGERPRINT;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_seconds(&timeout_s, optarg, 3600) != 0)
				return cli_fail(CLI_F_USAGE, NULL, "--timeout "
						"must be 1 to 3600 seconds");
			break;
		case OPT_JSON: break; /* main.c saw it */
		case 'h': fputs(cli_usage_auth, stdout); return CLI_OK;
		default: fputs(cli_usage_auth, stderr); return CLI_USAGE;
		}
	}
	if (optind < argc)
		return cli_fail(CLI_F_USAGE, NULL, "login takes no arguments "
				"('%s')", argv[optind]);
	if ((rc = cli_config_resolve(&cfg, &flags, 1, &err)) != CLI_OK) {
		rc = cli_fail(rc == CLI_USAGE ? CLI_F_USAGE : CLI_F_IO, NULL,
			      "%s", err.message);
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
		rc = cli_fail(CLI_F_USAGE, NULL, "login needs --token, --cert "
			      "and --key, or --p12");
		goto out;
	}
	if (m == BY_PEM && (cfg.cert == NULL || cfg.key == NULL)) {
		rc = cli_fail(CLI_F_USAGE, NULL, "XAdES login needs both "
			      "--cert and --key");
		goto out;
	}
	if (cfg.nip == NULL) {
		rc = cli_fail(CLI_F_USAGE, NULL, "login needs --nip (the "
			      "context)");
		goto out;
	}
	if ((rc = cli_login_check(cfg.nip, m == BY_TOKEN ? cfg.token :
				  NULL)) != CLI_OK)
		goto out;
	if (m != BY_TOKEN &&
	    (rc = load_signer(&signer, m, m == BY_P12 ? p12 : cfg.cert,
			      cfg.key, m == BY_P12 ? p12_pass : key_pass)) !=
	    CLI_OK)
		goto out;
	if (cli_state_path(&st.path, state_flag, &err) != CLI_OK) {
		rc = cli_fail(CLI_F_STATE, NULL, "%s", err.message);
		goto out;
	}
	client_opts.base_url = cfg.base_url;
	co.client = &client_opts;
	co.context_type = KSEF_CONTEXT_NIP;
	co.context_value = cfg.nip;
	co.ksef_token = m == BY_TOKEN ? cfg.token : NULL;
	co.signer = signer;
	co.auth_timeout_ms = (long)timeout_s * 1000;
	if (ksef_conn_prepare(&conn, &co, &err) != 0) {
		rc = cli_fail(CLI_F_USAGE, NULL, "%s", err.message);
		goto out;
	}
	/* Its first use logs in: challenge, token or signature, polling,
	 * redeeming, all in the library. */
	if ((rc = ksef_conn_refresh(conn, &err)) != 0) {
		rc = cli_login_refused(conn, rc, &err, "");
		goto out;
	}
	if ((rc = new_state(&st, conn, m == BY_TOKEN ? "token" :
			    "xades")) != CLI_OK)
		goto out;
	if (cli_state_save(&st, &err) != CLI_OK) {
		rc = cli_fail(CLI_F_IO, NULL, "%s", err.message);
		goto out;
	}
	ksef_conn_token_expiry(&access_until, &refresh_until, conn);
	cli_time_ms_text(a, access_until);
	cli_time_ms_text(r, refresh_until);
	if (ksef_conn_auth_reference(ref, conn) != 0)
		ref[0] = '\0';
	if (cli_out_json())
		cli_json_print(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}",
			"baseUrl", cfg.base_url, "contextValue", cfg.nip,
			"authReferenceNumber", ref, "accessTokenValidUntil", a,
			"refreshTokenValidUntil", r, "stateFile", st.path));
	else
		printf("logged in to NIP %s at %s (%s)\naccess token valid "
		       "until %s, refresh token until %s\nsaved in %s\n",
		       cfg.nip, cfg.base_url, ref, a, r, st.path);
out:
	ksef_conn_free(conn);
	cli_state_dispose(&st);
	ksef_xades_signer_free(signer);
	cli_config_dispose(&cfg);
	return rc;
}

/* The options of refresh, logout and status. */
static int simple_opts(int argc, char **argv, const char **state)
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
		case OPT_JSON: break; /* main.c saw it */
		case 'h': fputs(cli_usage_auth, stdout); return -1;
		default: fputs(cli_usage_auth, stderr); return CLI_USAGE;
		}
	}
	if (optind < argc)
		return cli_fail(CLI_F_USAGE, NULL, "%s takes no arguments "
				"('%s')", argv[0], argv[optind]);
	return CLI_OK;
}

int cmd_auth_refresh(int argc, char **argv)
{
	struct cli_login l = CLI_LOGIN_INIT;
	const char *state = NULL;
	ksef_error err = { 0, 0, "" };
	char until[KSEF_TIME_BUFSZ];
	int64_t access_until;
	int rc = simple_opts(argc, argv, &state);

	if (rc != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if ((rc = cli_login_load(&l, state)) != CLI_OK)
		goto out;
	if ((rc = ksef_conn_refresh(l.conn, &err)) != 0) {
		rc = cli_login_fail(&l, rc, &err,
				    "refreshing the access token");
		goto out;
	}
	if ((rc = cli_login_save(&l)) != CLI_OK)
		goto out;
	ksef_conn_token_expiry(&access_until, NULL, l.conn);
	cli_time_ms_text(until, access_until);
	if (cli_out_json())
		cli_json_print(json_pack("{s:s}", "accessTokenValidUntil",
					 until));
	else
		printf("access token refreshed, valid until %s\n", until);
out:
	cli_login_dispose(&l);
	return rc;
}

/* Whether the login can no longer be used or renewed. */
static int login_over(ksef_conn *conn)
{
	int64_t a, r, now = ksef_time_now().unix_ms;

	ksef_conn_token_expiry(&a, &r, conn);
	return a <= now && r <= now;
}

int cmd_auth_logout(int argc, char **argv)
{
	struct cli_login l = CLI_LOGIN_INIT;
	const char *state = NULL;
	ksef_error err = { 0, 0, "" };
	int rc = simple_opts(argc, argv, &state), r;

	if (rc != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	rc = cli_login_load(&l, state);
	if (l.st.root == NULL) /* no file, or not ours to read */
		goto out;
	/* A login that is over is over on the server too: forgetting it
	 * here is all that is left to do. */
	if (rc == CLI_OK && !login_over(l.conn) &&
	    (r = ksef_conn_revoke(l.conn, &err)) != 0)
		rc = cli_login_fail(&l, r, &err, "ending the authentication "
				    "on the server");
	/* The tokens are forgotten here whatever the server said. */
	if (unlink(l.st.path) != 0 && errno != ENOENT) {
		rc = cli_fail(CLI_F_IO, NULL, "%s: %s", l.st.path,
			      strerror(errno));
	} else if (rc == CLI_OK) {
		if (cli_out_json())
			cli_json_print(json_pack("{s:b,s:s}", "loggedOut", 1,
						 "removed", l.st.path));
		else
			printf("logged out; removed %s\n", l.st.path);
	} else {
		fprintf(stderr, "ksef: %s: removed %s all the same\n", CMD,
			l.st.path);
	}
out:
	cli_login_dispose(&l);
	return rc;
}

/* "valid until X", with "(expired)" when it has passed; "none" for 0. */
static void expiry(char *out, size_t size, int64_t until, int *expired)
{
	char t[KSEF_TIME_BUFSZ];

	*expired = until <= ksef_time_now().unix_ms;
	if (until == 0) {
		snprintf(out, size, "none");
		return;
	}
	cli_time_ms_text(t, until);
	snprintf(out, size, "valid until %s%s", t,
		 *expired ? " (expired)" : "");
}

int cmd_auth_status(int argc, char **argv)
{
	struct cli_login l = CLI_LOGIN_INIT;
	const char *state = NULL, *cur, *method, *ctx_value;
	ksef_context_type ctx_type;
	char acc[128], ref[128], at[KSEF_TIME_BUFSZ], rt[KSEF_TIME_BUFSZ],
	     auth_ref[KSEF_REFNUM_BUFSZ];
	int64_t access_until, refresh_until;
	int rc = simple_opts(argc, argv, &state), ax, rx;
	json_t *sessions;

	if (rc != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if ((rc = cli_login_load(&l, state)) != CLI_OK)
		goto out;
	sessions = json_object_get(l.st.root, "sessions");
	cur = cli_json_str(l.st.root, "currentSession");
	method = cli_json_str(l.st.root, "method");
	ctx_value = ksef_conn_context(&ctx_type, l.conn);
	if (ksef_conn_auth_reference(auth_ref, l.conn) != 0)
		auth_ref[0] = '\0';
	ksef_conn_token_expiry(&access_until, &refresh_until, l.conn);
	expiry(acc, sizeof(acc), access_until, &ax);
	expiry(ref, sizeof(ref), refresh_until, &rx);
	cli_time_ms_text(at, access_until);
	cli_time_ms_text(rt, refresh_until);
	if (cli_out_json()) {
		cli_json_print(json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s,s:s?,"
			"s:b,s:s?}",
			"baseUrl", ksef_conn_base_url(l.conn),
			"contextType", cli_context_name(ctx_type),
			"contextValue", ctx_value, "method", method,
			"authReferenceNumber", auth_ref[0] ? auth_ref : NULL,
			"accessTokenValidUntil", at,
			"refreshTokenValidUntil", refresh_until ? rt : NULL,
			"loggedIn", !rx, "currentSession", cur));
	} else {
		printf("server:         %s\n", ksef_conn_base_url(l.conn));
		printf("context:        %s %s\n", cli_context_name(ctx_type),
		       ctx_value);
		printf("method:         %s (%s)\n", method ? method : "?",
		       auth_ref[0] ? auth_ref : "?");
		printf("access token:   %s\n", acc);
		printf("refresh token:  %s\n", ref);
		if (cur != NULL)
			printf("session:        %s%s\n", cur,
			       json_object_get(sessions, cur) ? " (open here)" :
			       "");
		printf("state file:     %s\n", l.st.path);
	}
	if (rx)
		rc = cli_fail(CLI_F_AUTH, NULL, "the login has expired; run "
			      "'ksef auth login'");
out:
	cli_login_dispose(&l);
	return rc;
}
