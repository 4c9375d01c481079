/*
 * main.c - the ksef command: dispatch to one cmd_<verb>.c per subcommand,
 * shared error printing and file reading. Each subcommand owns its options
 * and its output.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "output.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "send", cmd_send,
	  "send invoices through an interactive session and wait for them" },
	{ "auth", cmd_auth,
	  "log in (KSeF token or certificate), refresh, log out, status" },
	{ "session", cmd_session,
	  "step by step: open, send, close, status, invoices, upo" },
	{ "invoice", cmd_invoice, "download an accepted invoice by KSeF number" },
	{ "cert", cmd_cert, "generate self-signed TEST certificates" },
	{ "validate", cmd_validate,
	  "check invoices offline as KSeF would (XML rules and schema)" },
	{ "generate", cmd_generate,
	  "write valid, distinct FA (3) or FA (2) test invoices" },
	{ "number", cmd_number,
	  "check KSeF numbers, reference numbers and NIPs" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ksef <command> [options] [args]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'ksef <command> --help' describes a command.\n");
}

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ksef: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

	if (n == 0 || n >= sizeof(path)) {
		snprintf(err->message, sizeof(err->message), "bad folder name");
		return err->code = KSEF_EIO;
	}
	memcpy(path, dir, n + 1);
	/* Each prefix ending at a '/', then the whole path. */
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, (mode_t)mode) != 0 && errno != EEXIST) {
			snprintf(err->message, sizeof(err->message), "%s: %s",
				 path, strerror(errno));
			return err->code = KSEF_EIO;
		}
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

int main(int argc, char **argv)
{
	size_t i;
	int rc;

	/* The client library runs libcurl without signals, so a peer that
	 * closes a connection must not end the program with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ksef %s\n", ksef_version());
		return CLI_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		cli_out_begin(argv[1], wants_json(argc, argv));
		if (ksef_global_init() != 0)
			return cli_out_end(cli_fail(CLI_F_INTERNAL, NULL,
				"cannot initialise libksef"));
		rc = commands[i].run(argc - 1, argv + 1);
		ksef_global_cleanup();
		return cli_out_end(rc);
	}
	fprintf(stderr, "ksef: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_USAGE;
}
