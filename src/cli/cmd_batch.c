/*
 * cmd_batch.c - `ksef batch send`: the files as one batch session
 * (sesja-wsadowa.md) through libksef's ksef_batch: the ZIP package built,
 * split and encrypted into a temporary file, the session opened, the
 * parts put several at once, the session closed and waited for; then
 * each file's outcome, UPOs and KOD I exactly as `ksef send` reports them
 * (send_common.c). Exit codes as `ksef send`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "send_common.h"
#include "ksef/client_batch.h"

const char cli_usage_batch[] =
"usage: ksef batch send [options] FILE...\n"
"\n"
"Send invoices to KSeF (or a local ksefd) in one batch session: build a\n"
"ZIP package of the files (each under its base name, so names must\n"
"differ), split it into parts and encrypt each, open the session, upload\n"
"the parts in parallel, close, wait for the package to be processed, and\n"
"print per file its status and KSeF number or the reasons it was\n"
"rejected, as 'ksef send' does.\n"
"\n"
SEND_USAGE_LOGIN
"  --parallel N       upload at most N parts at once (1-16, default 4)\n"
"  --part-size BYTES  bytes of the package per part before encryption\n"
"                     (1 to 100000000, the default; at most 50 parts)\n"
"  --upo-dir DIR      save each invoice's UPO as DIR/<KSeF number>.xml and\n"
"                     the session UPO as DIR/session-<reference>-<page>.xml\n"
"  --qr-dir DIR       write each accepted invoice's verification code\n"
"                     (KOD I) as DIR/<KSeF number>.png, the number under it\n"
"  --qr-format png|svg  the image format of --qr-dir (default png)\n"
"  --timeout SECONDS  how long to wait for processing (default 300)\n"
SEND_USAGE_OUTPUT
"The package is written to a temporary file in $TMPDIR (or /tmp).\n"
"\n"
"exit status: 0 all in KSeF, 1 something refused (an invoice, the package,\n"
"the login), 2 usage, 3 could not run (network, server, files); see\n"
"'man ksef'\n";

enum { OPT_PARALLEL = SEND_OPT_OWN, OPT_PART_SIZE };

/* The batch's side of the shared run (send_common.h). */
static int batch_invoice_upo(ksef_buf *out, void *obj, size_t file,
			     const ksef_session_invoice *inv, ksef_error *err)
{
	(void)inv;
	return ksef_batch_invoice_upo(out, obj, file, err);
}

static size_t batch_upo_pages(const void *obj)
{
	return ksef_batch_upo_page_count(obj);
}

static int batch_upo_page(ksef_buf *out, void *obj, size_t page,
			  ksef_error *err)
{
	return ksef_batch_upo(out, obj, page, err);
}

static const ksef_api_error *batch_last_error(const void *obj)
{
	return ksef_batch_last_error(obj);
}

static int parse_long(long long *out, const char *s, long long min,
		      long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Build the package: a refusal names the file (exit 1 for a file KSeF
 * would refuse, 3 for one that cannot be read, 2 for names). */
static int build(ksef_batch **b, struct send_run *r,
		 const ksef_batch_options *o)
{
	const char **paths = calloc((size_t)r->nfiles, sizeof(*paths));
	ksef_error err = { 0, 0, "" };
	int i, e;

	if (paths == NULL)
		return cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
	for (i = 0; i < r->nfiles; i++)
		paths[i] = r->files[i].file;
	e = ksef_batch_new(b, r->form, paths, (size_t)r->nfiles, o, &err);
	free(paths);
	if (e == 0)
		return CLI_OK;
	return cli_fail(e == KSEF_EIO ? CLI_F_IO : e == KSEF_EINVAL ?
			CLI_F_USAGE : cli_failure_of(e, NULL),
			NULL, "package: %s", err.message);
}

/* After the wait: each file's outcome, or why it has none. */
static void outcomes(struct send_run *r, ksef_batch *b, int waited)
{
	const char *details = NULL, *desc;
	int i, code = ksef_batch_status(b);

	desc = ksef_batch_status_description(&details, b);
	for (i = 0; i < r->nfiles; i++) {
		struct send_file *o = &r->files[i];
		const ksef_session_invoice *inv = ksef_batch_invoice_at(b,
								(size_t)i);

		o->no_verdict = "not processed";
		if (inv != NULL && inv->reference_number != NULL) {
			o->inv = inv;
			continue;
		}
		o->kind = !waited ? CLI_F_NETWORK : CLI_F_REJECTED;
		if (!waited)
			snprintf(o->error, sizeof(o->error), "session status "
				 "%d, no verdict within --timeout", code);
		else
			snprintf(o->error, sizeof(o->error), "the session "
				 "ended with %d %s%s%s", code, desc ? desc : "",
				 details ? ": " : "", details ? details : "");
	}
}

static int batch_send(int argc, char **argv)
{
	static const struct option longopts[] = {
		SEND_LONGOPTS,
		{ "parallel", required_argument, NULL, OPT_PARALLEL },
		{ "part-size", required_argument, NULL, OPT_PART_SIZE },
		{ NULL, 0, NULL, 0 },
	};
	ksef_batch_options o = KSEF_BATCH_OPTIONS_INIT;
	struct send_run r;
	ksef_batch *b = NULL;
	ksef_error err = { 0, 0, "" };
	const char *desc;
	long long v;
	int c, rc = CLI_OK, e, waited = 0;

	send_run_init(&r);
	r.cmd = "batch";
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		if ((e = send_option(&r, c, optarg)) < 0)
			return CLI_USAGE;
		if (e > 0)
			continue;
		switch (c) {
		case OPT_PARALLEL:
			if (parse_long(&v, optarg, 1,
				       KSEF_BATCH_PARALLEL_MAX) != 0)
				return cli_fail(CLI_F_USAGE, NULL, "--parallel:"
					" 1 to %d", KSEF_BATCH_PARALLEL_MAX);
			o.parallel = (int)v;
			break;
		case OPT_PART_SIZE:
			if (parse_long(&v, optarg, 1,
				       KSEF_BATCH_PART_MAX_BYTES) != 0)
				return cli_fail(CLI_F_USAGE, NULL, "--part-size"
					": 1 to %d bytes",
					KSEF_BATCH_PART_MAX_BYTES);
			o.part_size = v;
			break;
		case 'h':
			fputs(cli_usage_batch, stdout);
			return CLI_OK;
		default:
			fputs(cli_usage_batch, stderr);
			return CLI_USAGE;
		}
	}
	/* The package first: a bad file stops the run before a login. */
	if ((rc = send_prepare(&r, argc, argv, optind)) != CLI_OK ||
	    (rc = build(&b, &r, &o)) != CLI_OK ||
	    (rc = send_login(&r)) != CLI_OK)
		goto out;
	r.src.obj = b;
	r.src.invoice_upo = batch_invoice_upo;
	r.src.upo_pages = batch_upo_pages;
	r.src.upo_page = batch_upo_page;
	r.src.last_error = batch_last_error;
	if (!r.quiet && !cli_out_json())
		fprintf(stderr, "ksef: batch: %d file(s), a package of %lld "
			"bytes in %zu part(s) (%s)\n", r.nfiles,
			(long long)ksef_batch_package_size(b),
			ksef_batch_part_count(b),
			ksef_form_code_of(r.form).system_code);
	if ((e = ksef_batch_send(b, r.conn, &err)) != 0) {
		const char *ref = ksef_batch_reference(b);

		rc = cli_fail_ksef(e, ksef_batch_last_error(b), "sending the "
				   "package%s%s: %s", ref ? " in session " : "",
				   ref ? ref : "", err.message);
		goto out;
	}
	if (!r.quiet && !cli_out_json())
		fprintf(stderr, "ksef: batch: session %s sent and closed\n",
			ksef_batch_reference(b));
	e = ksef_batch_wait(b, (long)r.timeout_s * 1000, &err);
	if (e != 0 && e != KSEF_ENETWORK)
		rc = cli_fail_ksef(e, ksef_batch_last_error(b),
				   "waiting for processing: %s", err.message);
	else if (e != 0)
		fprintf(stderr, "ksef: batch: waiting for processing: %s\n",
			err.message);
	waited = e == 0;
	outcomes(&r, b, waited);
	if ((e = send_verdicts(&r)) > rc)
		rc = e;
	if ((e = send_session_upos(&r, ksef_batch_reference(b))) > rc)
		rc = e;
	desc = ksef_batch_status_description(NULL, b);
	rc = send_report(&r, rc, ksef_batch_reference(b), ksef_batch_status(b),
			 desc ? desc : ksef_session_status_description(
				 ksef_batch_status(b)));
out:
	ksef_batch_free(b);
	send_run_dispose(&r);
	return rc;
}

int cmd_batch(int argc, char **argv)
{
	/* main.c dispatches "batch send" here with argv[0] "send". */
	return batch_send(argc, argv);
}
