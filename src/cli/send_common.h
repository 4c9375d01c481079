/*
 * send_common.h - what `ksef send` (one interactive session) and `ksef
 * batch send` (one batch session) share: their common options, the checks
 * before a login (settings, files, one form code), the login, and after
 * the session each file's verdict, UPO and KOD I, and the report and exit
 * code. The two differ only in how invoices reach KSeF; each file's
 * outcome is a libksef ksef_session_invoice either way.
 */
#ifndef KSEF_CLI_SEND_COMMON_H
#define KSEF_CLI_SEND_COMMON_H

#include <getopt.h>
#include "cli.h"
#include "config.h"
#include "output.h"
#include "ksef/session.h"
#include "ksef/xades.h"

/* The options both commands' usage texts list alike: the login ones
 * first, the output ones last. */
#define SEND_USAGE_LOGIN \
"options:\n" \
"  --base-url URL     API base URL, e.g. http://127.0.0.1:8080/v2\n" \
"  --env test|demo|prd  the Ministry's environments instead of --base-url\n" \
"  --allow-production needed to send to prd\n" \
"  --config FILE      settings file (default ~/.config/ksef/config)\n" \
"  --nip NIP          the context (seller) NIP\n" \
"  --token TOKEN      the KSeF token\n" \
"  --cert FILE --key FILE  log in with a XAdES signature instead of a token\n" \
"                     (PEM certificate and key; --key-password if encrypted)\n"

#define SEND_USAGE_OUTPUT \
"  --json             one JSON object on standard output, also on failure\n" \
"  -q, --quiet        print only failures\n" \
"Settings also come from KSEF_BASE_URL, KSEF_ENV, KSEF_NIP, KSEF_TOKEN,\n" \
"KSEF_CERT, KSEF_KEY and the config file, in that order after the flags.\n"

/* getopt_long values of the shared options; a command's own start at
 * SEND_OPT_OWN. */
enum {
	SEND_OPT_TOKEN = 1000, SEND_OPT_CERT, SEND_OPT_KEY,
	SEND_OPT_KEY_PASSWORD, SEND_OPT_UPO_DIR, SEND_OPT_TIMEOUT,
	SEND_OPT_JSON, SEND_OPT_QR_DIR, SEND_OPT_QR_FORMAT, SEND_OPT_OWN
};

/* The struct option entries of the shared options. */
#define SEND_LONGOPTS                                                      \
	CLI_SETTINGS_LONGOPTS,                                             \
	{ "token", required_argument, NULL, SEND_OPT_TOKEN },              \
	{ "cert", required_argument, NULL, SEND_OPT_CERT },                \
	{ "key", required_argument, NULL, SEND_OPT_KEY },                  \
	{ "key-password", required_argument, NULL, SEND_OPT_KEY_PASSWORD },\
	{ "upo-dir", required_argument, NULL, SEND_OPT_UPO_DIR },          \
	{ "qr-dir", required_argument, NULL, SEND_OPT_QR_DIR },            \
	{ "qr-format", required_argument, NULL, SEND_OPT_QR_FORMAT },      \
	{ "timeout", required_argument, NULL, SEND_OPT_TIMEOUT },          \
	{ "json", no_argument, NULL, SEND_OPT_JSON },                      \
	{ "quiet", no_argument, NULL, 'q' },                               \
	{ "help", no_argument, NULL, 'h' }

/* What became of one file. */
struct send_file {
	const char *file;
	/* A technical correction: the corrected invoice's SHA-256 in Base64
	 * (hashOfCorrectedInvoice), or NULL. */
	const char *corrects;
	int sent;                  /* send: index in the session, or -1 */
	/* Its outcome once known; NULL: it has none (not sent, or not
	 * processed), and error says why. */
	const ksef_session_invoice *inv;
	int already;               /* a resend of an accepted invoice */
	const char *no_verdict;    /* "not sent" or "not processed" */
	enum cli_failure kind;     /* no outcome: why, in the table's terms */
	char error[KSEF_ERROR_MESSAGE_MAX]; /* no outcome: the reason */
	char detail[1024];         /* the verdict's reasons, for the line */
};

/* Where an invoice's UPO and the session's UPO pages come from. */
struct send_source {
	void *obj; /* the ksef_session or ksef_batch */
	int (*invoice_upo)(ksef_buf *out, void *obj, size_t file,
			   const ksef_session_invoice *inv, ksef_error *err);
	size_t (*upo_pages)(const void *obj);
	int (*upo_page)(ksef_buf *out, void *obj, size_t page,
			ksef_error *err);
	const ksef_api_error *(*last_error)(const void *obj);
};

/* A session `ksef send` left after 21184 for a new one, and its status. */
struct send_earlier {
	const char *ref;
	int code;
};

struct send_run {
	const char *cmd;           /* for messages: "send", "batch" */
	struct cli_settings flags;
	struct cli_config cfg;
	const char *key_password;
	const char *upo_dir;
	const char *qr_dir;        /* --qr-dir, or NULL */
	ksef_qr_format qr_format;
	ksef_buf qr_base;          /* the links' address (the API's) */
	int timeout_s;
	int quiet;
	int offline;               /* send: declare offlineMode */
	ksef_xades_signer *signer;
	ksef_conn *conn;
	ksef_form form;            /* of every file */
	struct send_file *files;
	int nfiles;
	struct send_source src;
	/* send: the sessions left after 21184, reported before the last;
	 * borrowed. */
	const struct send_earlier *earlier;
	size_t nearlier;
};

/*
 * The files of a prepared and logged-in run through one interactive
 * session (continued in new ones after 21184): send, close, wait, the
 * verdicts, the UPOs and the report (cmd_send.c). Before the session
 * goes, each(arg, file) sees every file with its outcome (file->inv,
 * NULL when it has none). Returns the exit code.
 */
int send_online(struct send_run *r,
		void (*each)(void *arg, const struct send_file *file),
		void *arg);

/* Defaults: PNG codes, a wait of 300 s. */
void send_run_init(struct send_run *r);

/* Free what the run holds (the connection last). */
void send_run_dispose(struct send_run *r);

/*
 * Take one getopt_long result if it is a shared option: 1 taken, 0 not
 * one, or -1 for a bad value (reported; exit CLI_USAGE).
 */
int send_option(struct send_run *r, int c, const char *arg);

/*
 * After the options: settings, the files (argv[first..argc)), each read
 * once to check it and find the form they share, the signer, the
 * folders. Then the login. Returns CLI_OK or the exit code (reported).
 */
int send_prepare(struct send_run *r, int argc, char **argv, int first);
int send_login(struct send_run *r);

/* Each file's verdict detail, resend check, UPO and KOD I; then the
 * session's UPO pages as session-<ref>-<page>.xml. The worst exit code. */
int send_verdicts(struct send_run *r);
int send_session_upos(struct send_run *r, const char *session_ref);

/* Each file's line or JSON object, and the session's line; rc and the
 * files' outcomes make the exit code. */
int send_report(struct send_run *r, int rc, const char *session_ref,
		int code, const char *description);

/* Progress on standard error, when it is a terminal and not --quiet. */
int send_progress(const struct send_run *r);

#endif
