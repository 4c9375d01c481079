/*
 * config.h - what the ksef subcommands know before they talk to KSeF: the
 * settings (flags, then environment, then the config file) and the saved
 * state of the step-by-step commands (tokens and open sessions, in a
 * private file). config.c owns both files' formats and permissions.
 */
#ifndef KSEF_CLI_CONFIG_H
#define KSEF_CLI_CONFIG_H

#include <getopt.h>
#include <jansson.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "ksef/session.h"

/* The Ministry's environments (srodowiska.md). */
#define CLI_URL_TEST "https://api-test.ksef.mf.gov.pl/v2"
#define CLI_URL_DEMO "https://api-demo.ksef.mf.gov.pl/v2"
#define CLI_URL_PRD "https://api.ksef.mf.gov.pl/v2"

/* Largest config file read, in bytes: it is a few lines; and largest
 * state file: a login and a few sessions of the most invoices. */
#define CLI_CONFIG_MAX_BYTES 65536
#define CLI_STATE_MAX_BYTES (8 * KSEF_SESSION_STATE_MAX_BYTES)

/*
 * getopt_long codes of the shared settings flags; above any character so
 * that they never clash with a command's own short options.
 */
enum {
	CLI_OPT_CONFIG = 256,
	CLI_OPT_ENV,
	CLI_OPT_BASE_URL,
	CLI_OPT_ALLOW_PRD,
	CLI_OPT_NIP,
	CLI_OPT_TOKEN,
	CLI_OPT_CERT,
	CLI_OPT_KEY,
	CLI_OPT_STATE,
};

/* The struct option entries of the flags cli_settings_option() takes. */
#define CLI_SETTINGS_LONGOPTS                                              \
	{ "config", required_argument, NULL, CLI_OPT_CONFIG },             \
	{ "env", required_argument, NULL, CLI_OPT_ENV },                   \
	{ "base-url", required_argument, NULL, CLI_OPT_BASE_URL },         \
	{ "allow-production", no_argument, NULL, CLI_OPT_ALLOW_PRD },      \
	{ "nip", required_argument, NULL, CLI_OPT_NIP }

/*
 * Settings as the command line gave them; NULL (or 0) where a flag was
 * not given. The strings are borrowed from argv.
 */
struct cli_settings {
	const char *config_file; /* --config FILE */
	const char *env;         /* --env test|demo|prd */
	const char *base_url;    /* --base-url URL */
	const char *nip;         /* --nip NIP */
	const char *token;       /* --token TOKEN: a SECRET */
	const char *cert;        /* --cert FILE */
	const char *key;         /* --key FILE */
	int allow_production;    /* --allow-production */
};

/*
 * Settings after flags, environment and config file were merged. Every
 * string is owned (NULL when no source set it); token is a SECRET, which
 * cli_config_dispose() wipes.
 */
struct cli_config {
	char *env;      /* "test", "demo", "prd" or NULL */
	char *base_url; /* never NULL after a successful resolve */
	char *nip;
	char *token;
	char *cert;
	char *key;
	char *file;     /* the config file that was read, or NULL */
};

/*
 * Take one getopt_long result if it is a shared settings flag.
 * Returns 1 if c was one (and stored optarg), else 0.
 */
int cli_settings_option(struct cli_settings *s, int c, const char *arg);

/*
 * Merge the settings, each from the first source that has it: flags, the
 * environment (KSEF_ENV, KSEF_BASE_URL, KSEF_NIP, KSEF_TOKEN, KSEF_CERT,
 * KSEF_KEY), then the config file (--config, else $KSEF_CONFIG, else
 * $XDG_CONFIG_HOME/ksef/config or ~/.config/ksef/config if it exists).
 * The base URL comes from the first source that names base_url or env;
 * where one source names both, base_url wins. A base URL of production
 * needs allow_production.
 *
 * @param[out] out  receives the settings; dispose of them with
 *                  cli_config_dispose() whatever the result.
 * @param flags     the command line's settings.
 * @param need_url  non-zero: fail when no source gives a base URL.
 * @param err       receives the reason, naming the file and line of a
 *                  config file error.
 * @return CLI_OK, CLI_USAGE for a bad or missing setting (or a bad config
 *         file), or CLI_FAILED when the config file cannot be read.
 */
int cli_config_resolve(struct cli_config *out, const struct cli_settings *flags,
		       int need_url, ksef_error *err);

/* Free a resolved config, wiping the token. */
void cli_config_dispose(struct cli_config *cfg);

/*
 * Overwrite every string in a JSON value in place, before it is freed or
 * replaced: jansson frees its buffers without wiping them, and the state
 * holds tokens and keys.
 */
void cli_json_wipe(json_t *v);

/*
 * The saved state of `ksef auth` and `ksef session`: one JSON object in a
 * file only its owner may read (mode 0600), since it holds the access and
 * refresh tokens and the AES keys of open sessions. It is a ksef_conn's
 * exported state (session.h) with the tool's own members beside it:
 *
 *   { "version", "baseUrl", "contextType", "contextValue",
 *     "authReferenceNumber", "accessToken": { "token", "validUntil" },
 *     "refreshToken": { "token", "validUntil" },       <- ksef_conn_export
 *     "method": "token" | "xades", "currentSession": REF,
 *     "sessions": { REF: <ksef_session_export> } }
 */
struct cli_state {
	char *path;   /* owned */
	json_t *root; /* owned; NULL until loaded or made */
};

/*
 * The state file's path: the flag, else $KSEF_STATE, else
 * $XDG_STATE_HOME/ksef/auth.json or ~/.local/state/ksef/auth.json.
 * Returns CLI_OK or CLI_FAILED (no HOME) with err set; *out is owned.
 */
int cli_state_path(char **out, const char *flag, ksef_error *err);

/*
 * Read the state file. It must be a regular file of ours that no one else
 * may read or write; a symbolic link is refused.
 *
 * @return CLI_OK, CLI_REJECTED if there is none (err says to log in), or
 *         CLI_FAILED if it cannot be read, is not private or is damaged.
 */
int cli_state_load(struct cli_state *st, const char *flag, ksef_error *err);

/*
 * Write the state atomically: a new file made with mode 0600 and O_EXCL
 * next to the old one, then renamed over it. Parent folders are made with
 * mode 0700. Returns CLI_OK or CLI_FAILED.
 */
int cli_state_save(struct cli_state *st, ksef_error *err);

/* Free the state (not the file), wiping the tokens and keys first. */
void cli_state_dispose(struct cli_state *st);

/* A string member of a JSON object, or NULL when obj is NULL or the
 * member is missing or not a string. */
const char *cli_json_str(json_t *obj, const char *key);

/*
 * The login of the step-by-step commands (login.c): the state file, and
 * the ksef_conn resumed from it, without credentials, so that libksef
 * refreshes the access token but never logs in by itself. Every function
 * that fails has reported why (output.h) and returns the exit code.
 */
struct cli_login {
	struct cli_state st;
	ksef_conn *conn;  /* resumed from st.root; NULL until loaded */
	int dirty;        /* the tool's members changed: save */
};

#define CLI_LOGIN_INIT { { NULL, NULL }, NULL, 0 }

/* Load the state file and resume its connection; nothing is sent. */
int cli_login_load(struct cli_login *l, const char *state_flag);

/* A client of the login's server holding a current access token, renewed
 * first when it is near its end (call cli_login_save() afterwards). */
int cli_login_client(ksef_client **out, struct cli_login *l);

/* Renew the access token now if it is near its end, as above. */
int cli_login_ready(struct cli_login *l);

/* Report a failed renewal or login call of l->conn: a login that is over
 * says so and how to log in again. `what` names the step. */
int cli_login_fail(struct cli_login *l, int code, const ksef_error *err,
		   const char *what);

/* Make st's root anew from conn's exported state, with the tool's
 * members copied from `from` (may be NULL). */
int cli_login_set(struct cli_state *st, ksef_conn *conn, json_t *from);

/* Put the connection's current tokens into the state, and save the file
 * if anything changed. */
int cli_login_save(struct cli_login *l);

void cli_login_dispose(struct cli_login *l);

/* A command's call under the saved login: cli_login_load() then
 * cli_login_client(); CLI_OK or the exit code (*client NULL then). */
int cli_login_open(struct cli_login *l, ksef_client **client,
		   const char *state_flag);

/* After it: save the login (only if cli_login_open() gave a client), free
 * the client and the login. Returns rc, or the saving's exit code if rc
 * was CLI_OK. */
int cli_login_close(struct cli_login *l, ksef_client *client, int rc);

/* The session a command is about: `given`, else the last one opened;
 * NULL (reported) when there is none. Borrowed from the state. */
const char *cli_login_session_ref(struct cli_login *l, const char *given);

/* The saved state of a session opened here, or NULL. */
json_t *cli_login_session_state(struct cli_login *l, const char *ref);

/* Resume a session opened here (its key is in the state). */
int cli_login_session(ksef_session **out, struct cli_login *l,
		      const char *ref);

/* Keep a session's exported state, and make it the current one. */
int cli_login_put_session(struct cli_login *l, ksef_session *s);

/* Forget a session's key (it was closed); it stays the current one. */
void cli_login_forget_session(struct cli_login *l, const char *ref);

/* The library's part of a state root (all but the tool's members) as
 * text, for ksef_conn_resume(); release it with ksef_buf_dispose_secure. */
int cli_login_conn_text(ksef_buf *out, json_t *root);

/* Before a first login: the NIP's checksum, and that a KSeF token made
 * for a NIP (its "nip-" part) is made for this one. Reports why not. */
int cli_login_check(const char *nip, const char *token);

/* Report the failed first login of a prepared connection, with the hints
 * it calls for; `prefix` goes before the library's message. */
int cli_login_refused(ksef_conn *conn, int code, const ksef_error *err,
		      const char *prefix);

/* The hint for a 404 from a base URL whose path does not end in /v2. */
void cli_base_url_hint(const char *url, const ksef_api_error *api);

/* The API's name of a context type ("Nip"...). */
const char *cli_context_name(ksef_context_type type);

/* Unix ms as "2025-09-16T09:05:40Z"; "?" when it cannot be shown. */
void cli_time_ms_text(char out[KSEF_TIME_BUFSZ], int64_t unix_ms);

/*
 * A JSON value as text in one allocation of its exact size, so that no
 * copy of a secret is left behind by growing a buffer. 0 or KSEF_ENOMEM;
 * release out with ksef_buf_dispose_secure().
 */
int cli_json_dump_secret(ksef_buf *out, const json_t *v, size_t flags);

/* Client options for a base URL, with the defaults of the ksef tool. */
int cli_client_new(ksef_client **out, const char *base_url, ksef_error *err);

/* An instant as "2025-09-16T09:05:40Z", or "?" when t cannot be shown. */
void cli_time_text(char out[KSEF_TIME_BUFSZ], ksef_time t);

/* Write bytes to a file (O_TRUNC; "-" is standard output) with the given
 * mode for a new file. Returns 0 or KSEF_EIO with err set. */
int cli_write_file(const char *path, const void *data, size_t len,
		   unsigned mode, ksef_error *err);

/* Parse a whole number of seconds, 1 to max: 0, or -1. */
int cli_parse_seconds(int *out, const char *s, int max);

/* Sleep for ms milliseconds. */
void cli_sleep_ms(long ms);

/*
 * Test data exists only on the TEST environment (srodowiska.md): the
 * commands that make it refuse the Ministry's other two. "DEMO" or "PRD"
 * when url is one of theirs, else NULL: TEST, or another server (a local
 * ksefd), which decides for itself.
 */
const char *cli_url_not_test(const char *url);

#endif
