/*
 * output.h - how every ksef subcommand speaks: the one table of failures
 * and their exit codes, error lines on standard error, the JSON document
 * of --json on standard output (with the error in it, or alone, when a
 * command fails), hints, and the one JSON shape of an invoice's status.
 * output.c owns all of it; commands say what happened, not how to show it.
 */
#ifndef KSEF_CLI_OUTPUT_H
#define KSEF_CLI_OUTPUT_H

#include <stddef.h>
#include <jansson.h>
#include "ksef/ksef.h"
#include "ksef/client.h"

/*
 * What went wrong, as far as the user is concerned. Each kind has one exit
 * code and one name, in output.c's table, which docs/ksef.1 (EXIT STATUS)
 * and docs/cli.md copy.
 */
enum cli_failure {
	CLI_F_REJECTED,   /* an invoice or value was refused (1) */
	CLI_F_AUTH,       /* not logged in, login over, login refused (1) */
	CLI_F_HTTP,       /* KSeF refused a request: HTTP 4xx (1) */
	CLI_F_USAGE,      /* command line, settings, config file (2) */
	CLI_F_SERVER,     /* KSeF failed: HTTP 5xx (3) */
	CLI_F_RATE_LIMIT, /* HTTP 429 after every wait allowed (3) */
	CLI_F_NETWORK,    /* no answer: connection, TLS, timeout (3) */
	CLI_F_IO,         /* a file could not be read or written (3) */
	CLI_F_STATE,      /* the state file is not private or damaged (3) */
	CLI_F_INTERNAL,   /* out of memory, crypto, missing schemas (3) */
	CLI_F_COUNT
};

/* The exit code and the JSON "code" of a kind. */
int cli_failure_exit(enum cli_failure kind);
const char *cli_failure_name(enum cli_failure kind);

/*
 * The kind of a libksef failure: by its code, and by the server's answer
 * when there is one (5xx is the server's failure, 4xx a refusal). EPARSE,
 * EFORMAT, ECHECKSUM and ETOOBIG are refused input; EINVAL is usage.
 */
enum cli_failure cli_failure_of(int code, const ksef_api_error *api);

/*
 * Start a run of one subcommand: its name for "ksef: <cmd>: ..." lines,
 * and whether --json was asked for. main.c calls it once.
 */
void cli_out_begin(const char *cmd, int json);

/* Whether --json was asked for. */
int cli_out_json(void);

/*
 * Report a failure: print "ksef: <cmd>: <message>" on standard error and
 * remember it for --json (the first one of the highest exit code is the
 * one shown). api is the server's answer, if any; its details go into the
 * JSON error. Returns the kind's exit code.
 */
int cli_fail(enum cli_failure kind, const ksef_api_error *api,
	     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* As cli_fail(), the kind taken from a libksef code and the answer. */
int cli_fail_ksef(int code, const ksef_api_error *api, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A further line about the failure just reported: "ksef: <cmd>: ..." on
 * standard error only. */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A hint where users stumble: "ksef: <cmd>: hint: <text>" on standard
 * error, and "hint" in the JSON error.
 */
void cli_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Print the command's JSON document on standard output (it is stolen).
 * When a failure was reported and doc is an object, it gets an "error"
 * member as cli_out_end() would print it.
 */
void cli_json_print(json_t *doc);

/*
 * End the run: with --json, a command that failed without printing a
 * document prints { "error": {...} }. Returns rc.
 */
int cli_out_end(int rc);

/*
 * An invoice's status, the same shape wherever it is shown (validate,
 * send, session send/invoices): see docs/cli.md. Start from
 * CLI_INVOICE_STATUS_INIT; every field left empty is left out.
 */
struct cli_invoice_status {
	const char *file;             /* the file it came from */
	long ordinal;                 /* ordinalNumber in the session; 0 */
	const char *reference_number; /* EE reference number */
	const char *invoice_number;   /* P_2 */
	const char *ksef_number;      /* once accepted */
	const char *form_code;        /* "FA (3)" */
	int status;                   /* KSeF's code; 0 when it has none */
	const char *description;      /* NULL: the official one of status */
	const char *const *details;   /* the reasons */
	size_t detail_count;
	int line;                     /* where in the file; 0 */
	int already_accepted;         /* a resend of an invoice in KSeF */
	const char *duplicate_of;     /* 440: the original KSeF number */
	json_t *fields;               /* validate: what was read; stolen */
	int has_attachment;           /* validate: 0 or 1; -1 not known */
	const char *error;            /* no status to give: why */
	enum cli_failure error_kind;  /* and what kind of failure */
};

/* Everything empty; has_attachment not known. */
#define CLI_INVOICE_STATUS_INIT { .has_attachment = -1 }

/* The JSON object of an invoice's status (new reference). */
json_t *cli_invoice_status_json(const struct cli_invoice_status *s);

#endif
