/*
 * main.c - the ksef command: one table of every subcommand, from which it
 * dispatches and prints its usage, and the helpers all commands share
 * (reading files, making folders, form names). Each cmd_<verb>.c owns its
 * options and what it reports; output.c owns how that reads.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "output.h"

/*
 * Every subcommand, in the order `ksef --help` lists them: the command,
 * its subcommand (NULL for one without), the function, the command's help
 * text, and one line of help.
 */
static const struct command {
	const char *name;
	const char *sub;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *summary;
} commands[] = {
	{ "send", NULL, cmd_send, cli_usage_send,
	  "send invoices in one interactive session, wait, save UPOs" },
	{ "batch", "send", cmd_batch, cli_usage_batch,
	  "send invoices as one batch package (ZIP, parallel parts)" },
	{ "auth", "login", cmd_auth_login, cli_usage_auth,
	  "log in (KSeF token or certificate) and keep the login" },
	{ "auth", "refresh", cmd_auth_refresh, cli_usage_auth,
	  "get a new access token" },
	{ "auth", "logout", cmd_auth_logout, cli_usage_auth,
	  "end the login on the server and delete the state file" },
	{ "auth", "status", cmd_auth_status, cli_usage_auth,
	  "show the login and when its tokens expire" },
	{ "session", "open", cmd_session_step, cli_usage_session,
	  "open an interactive session and keep its key" },
	{ "session", "send", cmd_session_step, cli_usage_session,
	  "encrypt and send invoices in the open session" },
	{ "session", "close", cmd_session_step, cli_usage_session,
	  "close a session and forget its key" },
	{ "session", "status", cmd_session_step, cli_usage_session,
	  "a session's status, invoice counts and UPO pages" },
	{ "session", "invoices", cmd_session_step, cli_usage_session,
	  "a session's invoices and their statuses" },
	{ "session", "upo", cmd_session_step, cli_usage_session,
	  "save a session's UPO and its invoices' UPOs" },
	{ "invoice", "get", cmd_invoice_get, cli_usage_invoice,
	  "download an accepted invoice by KSeF number" },
	{ "cert", "generate", cmd_cert_generate, cli_usage_cert,
	  "make a self-signed TEST certificate and key" },
	/* KSeF certificates (cmd_cert_ksef.c) */
	{ "cert", "enroll", cmd_cert_enroll, cli_usage_cert_ksef,
	  "obtain a KSeF certificate; write it with its encrypted key" },
	{ "cert", "list", cmd_cert_list, cli_usage_cert_ksef,
	  "the subject's KSeF certificates (filters, pages)" },
	{ "cert", "revoke", cmd_cert_revoke, cli_usage_cert_ksef,
	  "revoke a KSeF certificate by its serial number" },
	{ "cert", "limits", cmd_cert_limits, cli_usage_cert_ksef,
	  "how many certificate requests and certificates remain" },
	{ "validate", NULL, cmd_validate, cli_usage_validate,
	  "check invoices offline as KSeF would (rules and schema)" },
	{ "generate", NULL, cmd_generate, cli_usage_generate,
	  "write valid, distinct FA (3) or FA (2) test invoices" },
	{ "number", "check", cmd_number_check, cli_usage_number,
	  "check KSeF numbers, reference numbers and NIPs" },
	{ "schemas", "fetch", cmd_schemas_fetch, cli_usage_schemas,
	  "fetch the official schemas, every SHA-256 checked" },
	{ "limits", NULL, cmd_limits, cli_usage_limits,
	  "the limits in force; set, reset, production (TEST)" },
	{ "testdata", "subject", cmd_testdata, cli_usage_testdata,
	  "TEST: add or remove a test subject (VAT group, JST...)" },
	{ "testdata", "person", cmd_testdata, cli_usage_testdata,
	  "TEST: add or remove a test person" },
	{ "testdata", "permissions", cmd_testdata, cli_usage_testdata,
	  "TEST: grant or revoke test permissions" },
	{ "testdata", "attachment", cmd_testdata, cli_usage_testdata,
	  "TEST: allow or revoke invoices with attachments" },
	{ "testdata", "context", cmd_testdata, cli_usage_testdata,
	  "TEST: block or unblock authentication into a context" },
	{ "permissions", "grant", cmd_permissions_grant,
	  cli_usage_permissions, "grant permissions to a person or entity" },
	{ "permissions", "revoke", cmd_permissions_revoke,
	  cli_usage_permissions, "revoke a granted permission by its id" },
	{ "permissions", "list", cmd_permissions_list, cli_usage_permissions,
	  "list granted permissions or entity roles" },
	{ "permissions", "status", cmd_permissions_status,
	  cli_usage_permissions, "a grant's or revocation's status" },
	/* KOD I (cmd_qr.c) */
	{ "qr", "invoice", cmd_qr, cli_usage_qr,
	  "an invoice's verification link and QR code (PNG, SVG)" },
	/* KOD II (cmd_qr_offline.c) */
	{ "qr", "offline", cmd_qr_offline, cli_usage_qr,
	  "an offline invoice's signed certificate link and QR code" },
	/* Invoices issued offline (cmd_offline.c) */
	{ "offline", "issue", cmd_offline_issue, cli_usage_offline,
	  "codes and deadlines of invoices issued offline, registered" },
	{ "offline", "status", cmd_offline_status, cli_usage_offline,
	  "the registered offline invoices: due, overdue or sent" },
	{ "offline", "send", cmd_offline_send, cli_usage_offline_send,
	  "send the registered offline invoices not sent yet (offlineMode)" },
	{ "offline", "correct", cmd_offline_correct, cli_usage_offline,
	  "register the technical correction of a refused offline invoice" },
	{ "offline", "sent", cmd_offline_sent, cli_usage_offline,
	  "mark registered offline invoices as sent to KSeF" },
	{ "offline", "deadline", cmd_offline_deadline, cli_usage_offline,
	  "the deadline of an offline invoice (tryby-offline.md)" },
	/* Invoice retrieval (cmd_invoices.c, cmd_invoices_sync.c) */
	{ "invoices", "query", cmd_invoices_query, cli_usage_invoices,
	  "find invoices by their metadata (filters, pages)" },
	{ "invoices", "export", cmd_invoices_export, cli_usage_invoices,
	  "have KSeF pack invoices, then fetch and unpack them" },
	{ "invoices", "sync", cmd_invoices_sync, cli_usage_invoices,
	  "keep a folder up to date with new invoices (incremental)" },
	/* Peppol providers (cmd_peppol.c) */
	{ "peppol", "list", cmd_peppol_list, cli_usage_peppol,
	  "the Peppol service providers registered in KSeF" },
	/* End-to-end scenarios (cmd_scenarios.c, scenarios_*.c) */
	{ "scenarios", "list", cmd_scenarios, cli_usage_scenarios,
	  "the end-to-end scenarios written from the official docs" },
	{ "scenarios", "run", cmd_scenarios, cli_usage_scenarios,
	  "run them against a KSeF 2.0 server: PASS/FAIL, JSON, JUnit" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	char name[32];
	size_t i;
	int width = 0, n;

	fprintf(f, "usage: ksef <command> [<subcommand>] [options] [args]\n"
		"\ncommands:\n");
	/* One column for the summaries, however long the longest name. */
	for (i = 0; i < NCOMMANDS; i++) {
		n = snprintf(name, sizeof(name), "%s%s%s", commands[i].name,
			     commands[i].sub ? " " : "",
			     commands[i].sub ? commands[i].sub : "");
		if (n > width)
			width = n;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		snprintf(name, sizeof(name), "%s%s%s", commands[i].name,
			 commands[i].sub ? " " : "",
			 commands[i].sub ? commands[i].sub : "");
		fprintf(f, "  %-*s %s\n", width, name, commands[i].summary);
	}
	fprintf(f, "\n'ksef <command> --help' describes a command.\n");
}

/* The subcommands of a command, "login, refresh, logout, status". */
static void subs_of(char *out, size_t size, const char *name)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < NCOMMANDS && n < size; i++)
		if (strcmp(commands[i].name, name) == 0 && commands[i].sub)
			n += (size_t)snprintf(out + n, size - n, "%s%s",
					      n ? ", " : "", commands[i].sub);
}

/* --json among the options (not after "--"): the contract that JSON
 * comes out even when the command fails holds from its first check. */
static int wants_json(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--json") == 0)
			return 1;
	}
	return 0;
}

static int is_help(const char *s)
{
	return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

/* Find the entry of argv[1] (and argv[2]) and run it. */
static int dispatch(int argc, char **argv)
{
	const struct command *cmd = NULL;
	char subs[128];
	size_t i;
	int rc;

	for (i = 0; i < NCOMMANDS && cmd == NULL; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "ksef: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return CLI_USAGE;
	}
	cli_out_begin(cmd->name, wants_json(argc, argv));
	if (cmd->sub != NULL) {
		subs_of(subs, sizeof(subs), cmd->name);
		if (argc < 3) {
			fputs(cmd->usage, stderr);
			return cli_out_end(cli_fail(CLI_F_USAGE, NULL, "%s "
				"needs a subcommand: %s", cmd->name, subs));
		}
		if (is_help(argv[2])) {
			fputs(cmd->usage, stdout);
			return CLI_OK;
		}
		for (; cmd < commands + NCOMMANDS &&
		       strcmp(cmd->name, argv[1]) == 0; cmd++)
			if (strcmp(cmd->sub, argv[2]) == 0)
				break;
		if (cmd == commands + NCOMMANDS ||
		    strcmp(cmd->name, argv[1]) != 0)
			return cli_out_end(cli_fail(CLI_F_USAGE, NULL,
				"unknown subcommand '%s' (%s)", argv[2],
				subs));
		argc--;
		argv++;
	}
	if (ksef_global_init() != 0)
		return cli_out_end(cli_fail(CLI_F_INTERNAL, NULL,
					    "cannot initialise libksef"));
	optind = 1;
	rc = cmd->run(argc - 1, argv + 1);
	ksef_global_cleanup();
	return cli_out_end(rc);
}

int cli_read_file(ksef_buf *out, const char *path, size_t max,
		  ksef_error *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	unsigned char *p = NULL;
	size_t n = 0, cap = 0, got;

	if (f == NULL) {
		snprintf(err->message, sizeof(err->message), "%s",
			 strerror(errno));
		return err->code = KSEF_EIO;
	}
	for (;;) {
		if (n == cap) {
			unsigned char *q;

			cap = cap ? cap * 2 : 65536;
			q = realloc(p, cap + 1);
			if (q == NULL) {
				free(p);
				if (f != stdin)
					fclose(f);
				snprintf(err->message, sizeof(err->message),
					 "out of memory");
				return err->code = KSEF_ENOMEM;
			}
			p = q;
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
		if (n > max) {
			free(p);
			if (f != stdin)
				fclose(f);
			snprintf(err->message, sizeof(err->message),
				 "file is over the limit of %zu bytes", max);
			return err->code = KSEF_ETOOBIG;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(p);
		if (f != stdin)
			fclose(f);
		snprintf(err->message, sizeof(err->message), "read error");
		return err->code = KSEF_EIO;
	}
	if (f != stdin)
		fclose(f);
	p[n] = '\0';
	ksef_buf_dispose(out);
	out->ptr = p;
	out->size = n;
	out->asize = cap + 1;
	return 0;
}

int cli_make_dirs(const char *dir, unsigned mode, ksef_error *err)
{
	char path[4096];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return ksef_error_set(err, KSEF_EIO, "bad folder name");
	memcpy(path, dir, n + 1);
	/* Each prefix ending at a '/', then the whole path. */
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, (mode_t)mode) != 0 && errno != EEXIST)
			return ksef_error_set(err, KSEF_EIO, "%s: %s", path,
					      strerror(errno));
		if (i < n)
			path[i] = '/';
	}
	return 0;
}

int cli_parse_form(ksef_form *out, const char *s)
{
	static const struct { const char *name; ksef_form form; } names[] = {
		{ "fa2", KSEF_FORM_FA2 }, { "fa3", KSEF_FORM_FA3 },
		{ "pef3", KSEF_FORM_PEF3 }, { "pefkor3", KSEF_FORM_PEF_KOR3 },
		{ "farr1", KSEF_FORM_FA_RR1 },
	};
	char norm[32];
	size_t i, n = 0;

	/* "FA (3)", "FA3", "fa_rr1", "PEF_KOR (3)" all normalise alike. */
	for (i = 0; s[i] != '\0' && n + 1 < sizeof(norm); i++) {
		char c = s[i];

		if (c == ' ' || c == '(' || c == ')' || c == '_' || c == '-')
			continue;
		norm[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	norm[n] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(norm, names[i].name) == 0) {
			*out = names[i].form;
			return 0;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	/* The client library runs libcurl without signals, so a peer that
	 * closes a connection must not end the program with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ksef %s\n", ksef_version_string());
		return CLI_OK;
	}
	return dispatch(argc, argv);
}
