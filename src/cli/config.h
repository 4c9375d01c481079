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

/* The Ministry's environments (srodowiska.md). */
#define CLI_URL_TEST "https://api-test.ksef.mf.gov.pl/v2"
#define CLI_URL_DEMO "https://api-demo.ksef.mf.gov.pl/v2"
#define CLI_URL_PRD "https://api.ksef.mf.gov.pl/v2"

/* Largest config or state file read, in bytes: both are a few lines. */
#define CLI_CONFIG_MAX_BYTES 65536
#define CLI_STATE_MAX_BYTES 1048576

/* Refresh the access token when it has less than this left, in ms. */
#define CLI_TOKEN_MARGIN_MS 60000

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
 * refresh tokens and the AES keys of open sessions.
 *
 *   { "baseUrl", "contextType", "contextValue", "method",
 *     "authReferenceNumber",
 *     "accessToken": { "token", "validUntil" },
 *     "refreshToken": { "token", "validUntil" },
 *     "currentSession": REF,
 *     "sessions": { REF: { "formCode", "key", "iv", "validUntil" } } }
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
 * Make a client for the state's base URL and give it a current access
 * token, refreshing it first (and saving the state) when it expires within
 * CLI_TOKEN_MARGIN_MS.
 *
 * @return CLI_OK, CLI_REJECTED when the tokens have expired or the server
 *         refuses the refresh (log in again), or CLI_FAILED.
 */
int cli_state_client(ksef_client **out, struct cli_state *st, const char *cmd);

/*
 * Refresh the access token now and save the state. Returns CLI_OK, or an
 * exit code after printing the reason for cmd.
 */
int cli_state_refresh(ksef_client *c, struct cli_state *st, const char *cmd);

/*
 * Fetch the KSeF public keys and load the current one for a usage
 * (KSEF_KEY_USAGE_*), as SPEC 4.1 says to pick it. Returns the key, or
 * NULL with err set.
 */
ksef_pubkey *cli_pick_key(ksef_client *c, unsigned usage, ksef_error *err);

/* Client options for a base URL, with the defaults of the ksef tool. */
int cli_client_new(ksef_client **out, const char *base_url, ksef_error *err);

/*
 * Describe a failed call: the server's first exception code, description
 * and detail when it answered with an error, else err's message.
 */
void cli_api_reason(char *out, size_t size, const ksef_client *c,
		    const ksef_error *err);

/* The exit code for a failed call: CLI_REJECTED when the server refused
 * it with a 4xx answer, else CLI_FAILED (network, 5xx, local trouble). */
int cli_api_exit(const ksef_client *c, int code);

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

#endif
