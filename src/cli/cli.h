/*
 * cli.h - what the ksef subcommands share: the entry point of each, the
 * exit codes, and helpers for files and forms. How errors read is
 * output.h's.
 */
#ifndef KSEF_CLI_H
#define KSEF_CLI_H

#include <stddef.h>
#include "ksef/ksef.h"

/* Exit codes; which failure gives which is output.c's table, documented
 * in docs/ksef.1 (EXIT STATUS) and docs/cli.md. */
#define CLI_OK 0        /* everything succeeded */
#define CLI_REJECTED 1  /* ran, but something was refused */
#define CLI_USAGE 2     /* bad command line or settings */
#define CLI_FAILED 3    /* could not run: network, server, files, memory */

/*
 * The subcommands, each dispatched from main.c's one table. argv[0] is
 * the subcommand's own name ("login" of `ksef auth login`, or "send" of
 * `ksef send`); each parses its own options and returns the exit code.
 */
int cmd_send(int argc, char **argv);
int cmd_batch(int argc, char **argv);        /* batch send */
int cmd_auth_login(int argc, char **argv);
int cmd_auth_refresh(int argc, char **argv);
int cmd_auth_logout(int argc, char **argv);
int cmd_auth_status(int argc, char **argv);
int cmd_session_step(int argc, char **argv); /* open, send, close... */
int cmd_invoice_get(int argc, char **argv);
int cmd_cert_generate(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_number_check(int argc, char **argv);
int cmd_schemas_fetch(int argc, char **argv);
int cmd_permissions_grant(int argc, char **argv);
int cmd_permissions_revoke(int argc, char **argv);
int cmd_permissions_list(int argc, char **argv);
int cmd_permissions_status(int argc, char **argv);

/* Each command's --help text, which its subcommands share. */
extern const char cli_usage_send[], cli_usage_auth[], cli_usage_session[],
	cli_usage_invoice[], cli_usage_cert[], cli_usage_validate[],
	cli_usage_generate[], cli_usage_number[], cli_usage_schemas[];
extern const char cli_usage_permissions[];
extern const char cli_usage_batch[];

/* The limits and the TEST environment's test data (cmd_limits.c,
 * cmd_testdata.c). */
int cmd_limits(int argc, char **argv);   /* show, set, reset, production */
int cmd_testdata(int argc, char **argv); /* subject, person, ... */
extern const char cli_usage_limits[], cli_usage_testdata[];

/* KOD I (cmd_qr.c): `ksef qr invoice`, and the writer `ksef send
 * --qr-dir` shares. cli_qr_write() reads the invoice's NIP and P_1 from
 * xml, puts its link (under qr_base) in *link, and writes the code with
 * ksef_number (NULL: OFFLINE) under it to path: 0 or a KSEF_E* code with
 * err set (KSEF_EIO: the file could not be written). */
int cmd_qr(int argc, char **argv);
extern const char cli_usage_qr[];
int cli_qr_write(ksef_buf *link, const char *path, ksef_qr_format format,
		 const char *qr_base, const ksef_buf *xml,
		 const char *ksef_number, ksef_error *err);
/* The QR address of --env (NULL: test) or --base-url (either, not both):
 * *qr_base points to a static string or into base. CLI_OK, or CLI_USAGE
 * reported. */
int cli_qr_base(ksef_buf *base, const char **qr_base, const char *env,
		const char *api);
/* The format an image's name says (.png, .svg): 0, or -1 for neither. */
int cli_qr_format_of(ksef_qr_format *out, const char *path);

/* KOD II (cmd_qr_offline.c): `ksef qr offline`, and the writer `ksef
 * offline issue` shares. cli_qr_offline_write() builds and signs the KOD
 * II link of the invoice xml in the context (NULL value: Nip, the
 * seller's NIP) into *link and, when path is not NULL, writes its code
 * with CERTYFIKAT under it: 0 or a KSEF_E* code with err set. */
int cmd_qr_offline(int argc, char **argv);
int cli_qr_offline_write(ksef_buf *link, const char *path,
			 ksef_qr_format format, const char *qr_base,
			 const ksef_buf *xml, const ksef_qr_signer *signer,
			 ksef_context_type ctx_type, const char *ctx_value,
			 unsigned flags, ksef_error *err);
/* Read --cert and --key (with its passphrase) into a signer: CLI_OK, or
 * the exit status with the failure reported. */
int cli_qr_signer_load(ksef_qr_signer **out, const char *cert,
		       const char *key, const char *pass);

/* Invoices issued offline (cmd_offline.c): `ksef offline issue`,
 * `status`, `sent` and `deadline`. */
int cmd_offline_issue(int argc, char **argv);
int cmd_offline_status(int argc, char **argv);
int cmd_offline_deadline(int argc, char **argv);
int cmd_offline_sent(int argc, char **argv);
int cmd_offline_send(int argc, char **argv);
int cmd_offline_correct(int argc, char **argv);
extern const char cli_usage_offline[];
extern const char cli_usage_offline_send[];

/* KSeF certificates (cmd_cert_ksef.c): `ksef cert enroll`, `list`,
 * `revoke` and `limits`; and the Peppol providers (cmd_peppol.c). */
int cmd_cert_enroll(int argc, char **argv);
int cmd_cert_list(int argc, char **argv);
int cmd_cert_revoke(int argc, char **argv);
int cmd_cert_limits(int argc, char **argv);
int cmd_peppol_list(int argc, char **argv);
extern const char cli_usage_cert_ksef[], cli_usage_peppol[];

/* Invoice retrieval (cmd_invoices.c, cmd_invoices_sync.c): `ksef invoices
 * query`, `export` and `sync`. */
int cmd_invoices_query(int argc, char **argv);
int cmd_invoices_export(int argc, char **argv);
int cmd_invoices_sync(int argc, char **argv);
extern const char cli_usage_invoices[];

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

/*
 * Write a private file (a key): made with mode 0600 and O_EXCL, so that no
 * file or link already there is reused; with force, an existing one is
 * removed first. Reports a failure (output.h) and returns the exit code.
 */
int cli_write_private(const char *path, const void *data, size_t len,
		      int force);

/* Parse a form name: "FA (3)", "FA3", "fa3", "FA_RR (1)", "pef-kor3"... */
int cli_parse_form(ksef_form *out, const char *s);

/* End-to-end scenarios (cmd_scenarios.c): `ksef scenarios list|run`. */
int cmd_scenarios(int argc, char **argv);
extern const char cli_usage_scenarios[];

#endif
