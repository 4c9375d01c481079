/*
 * cli.h - what the ksef subcommands share: the entry point of each, and
 * the error printing convention "ksef: <cmd>: <file>[:<line>]: <reason>".
 */
#ifndef KSEF_CLI_H
#define KSEF_CLI_H

#include <stddef.h>
#include "ksef/ksef.h"

/* Exit codes, documented in docs/cli.md. */
#define CLI_OK 0        /* everything succeeded */
#define CLI_REJECTED 1  /* ran, but an input was rejected or invalid */
#define CLI_USAGE 2     /* bad command line */
#define CLI_FAILED 3    /* could not run: missing schemas, I/O, memory */

int cmd_validate(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_number(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_auth(int argc, char **argv);
int cmd_session(int argc, char **argv);
int cmd_invoice(int argc, char **argv);
int cmd_cert(int argc, char **argv);

/* Print "ksef: <cmd>: <fmt...>" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Read a whole file ("-" is standard input) into out, refusing more than
 * max bytes. Returns 0 or a KSEF_E* code with err set.
 */
int cli_read_file(ksef_buf *out, const char *path, size_t max,
		  ksef_error *err);

/*
 * mkdir -p: make dir and any missing parents with `mode` (0700 for private
 * state, 0755 for output folders). 0, or KSEF_EIO with err set.
 */
int cli_make_dirs(const char *dir, unsigned mode, ksef_error *err);

/* Parse a form name: "FA (3)", "FA3", "fa3", "FA_RR (1)", "pef-kor3"... */
int cli_parse_form(ksef_form *out, const char *s);

#endif
