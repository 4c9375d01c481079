/*
 * cmd_send.c - `ksef send`: authenticate (KSeF token or XAdES), open one
 * interactive session for the files' form code, encrypt and send each
 * file, close, wait for verification, print each file's outcome and save
 * the UPOs. Built on libksef's ksef_conn/ksef_session, so tokens are
 * renewed, keys refetched on 21470, and an invoice is never sent twice
 * blindly after an ambiguous failure. Exit 0 only when every invoice is
 * in KSeF.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "send_common.h"
#include "ksef/client.h"

const char cli_usage_send[] =
"usage: ksef send [options] FILE...\n"
"\n"
"Send invoices to KSeF (or a local ksefd) through one interactive session:\n"
"authenticate, open a session for the files' form code, send each file\n"
"encrypted, close, wait for verification, and print per file its status\n"
"and KSeF number or the reasons it was rejected.\n"
"\n"
SEND_USAGE_LOGIN
"  --upo-dir DIR      save each invoice's UPO as DIR/<KSeF number>.xml and\n"
"                     the session UPO as DIR/session-<reference>-<page>.xml\n"
"  --qr-dir DIR       write each accepted invoice's verification code\n"
"                     (KOD I) as DIR/<KSeF number>.png, the number under\n"
"                     it; the folder of --upo-dir puts it beside the UPO\n"
"  --qr-format png|svg  the image format of --qr-dir (default png)\n"
"  --timeout SECONDS  how long to wait for verification (default 300)\n"
SEND_USAGE_OUTPUT
"\n"
"An invoice whose number the seller already used is a duplicate (440). If\n"
"the earlier one has the same bytes (a resend), it is reported as already\n"
"accepted under its KSeF number and counts as accepted.\n"
"\n"
"exit status: 0 all in KSeF, 1 something refused (an invoice, the login),\n"
"2 usage, 3 could not run (network, server, files); see 'man ksef'\n";

/* The session's side of the shared run (send_common.h). */
static int session_invoice_upo(ksef_buf *out, void *obj, size_t file,
			       const ksef_session_invoice *inv, ksef_error *err)
{
	(void)file;
	return ksef_session_invoice_upo(out, obj, inv->reference_number, err);
}

static size_t session_upo_pages(const void *obj)
{
	return ksef_session_upo_page_count(obj);
}

static int session_upo_page(ksef_buf *out, void *obj, size_t page,
			    ksef_error *err)
{
	return ksef_session_upo(out, obj, page, err);
}

static const ksef_api_error *session_last_error(const void *obj)
{
	return ksef_session_last_error(obj);
}

/* Encrypt and send each file; a file that cannot be sent is noted. */
static void send_all(struct send_run *r, ksef_session *s)
{
	ksef_buf doc = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ];
	int i, nsent = 0;

	for (i = 0; i < r->nfiles; i++) {
		struct send_file *o = &r->files[i];
		ksef_error err = { 0, 0, "" };
		int error;

		if ((error = cli_read_file(&doc, o->file,
					   KSEF_INVOICE_MAX_BYTES,
					   &err)) != 0) {
			o->kind = CLI_F_IO;
		} else if ((error = ksef_session_send(ref, s, doc.ptr,
					doc.size, NULL, &err)) != 0) {
			o->kind = cli_failure_of(error,
						 ksef_session_last_error(s));
		} else {
			o->sent = nsent++;
			if (send_progress(r))
				fprintf(stderr, "\rksef: send: %d/%d sent",
					i + 1, r->nfiles);
			continue;
		}
		snprintf(o->error, sizeof(o->error), "%s", err.message);
	}
	if (send_progress(r))
		fputc('\n', stderr);
	ksef_buf_dispose(&doc);
}

int cmd_send(int argc, char **argv)
{
	static const struct option longopts[] = {
		SEND_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct send_run r;
	ksef_session *s = NULL;
	ksef_error err = { 0, 0, "" };
	int c, i, rc = CLI_OK, e, code;

	send_run_init(&r);
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		if ((e = send_option(&r, c, optarg)) < 0)
			return CLI_USAGE;
		if (e > 0)
			continue;
		if (c == 'h') {
			fputs(cli_usage_send, stdout);
			return CLI_OK;
		}
		fputs(cli_usage_send, stderr);
		return CLI_USAGE;
	}
	if ((rc = send_prepare(&r, argc, argv, optind)) != CLI_OK ||
	    (rc = send_login(&r)) != CLI_OK)
		goto out;
	if ((e = ksef_session_open(&s, r.conn, r.form, &err)) != 0) {
		rc = cli_fail_ksef(e, ksef_conn_last_error(r.conn),
				   "opening a session: %s", err.message);
		goto out;
	}
	r.src.obj = s;
	r.src.invoice_upo = session_invoice_upo;
	r.src.upo_pages = session_upo_pages;
	r.src.upo_page = session_upo_page;
	r.src.last_error = session_last_error;
	if (!r.quiet && !cli_out_json())
		fprintf(stderr, "ksef: send: session %s (%s)\n",
			ksef_session_reference(s),
			ksef_form_code_of(r.form).system_code);
	send_all(&r, s);
	if ((e = ksef_session_close(s, &err)) != 0)
		rc = cli_fail_ksef(e, ksef_session_last_error(s),
				   "closing session %s: %s",
				   ksef_session_reference(s), err.message);
	/* A wait that runs out leaves invoices without a verdict: each is
	 * reported below. */
	if ((e = ksef_session_wait(s, (long)r.timeout_s * 1000, &err)) != 0 &&
	    e != KSEF_ENETWORK)
		rc = cli_fail_ksef(e, ksef_session_last_error(s),
				   "waiting for verification: %s",
				   err.message);
	else if (e != 0)
		fprintf(stderr, "ksef: send: waiting for verification: %s\n",
			err.message);
	for (i = 0; i < r.nfiles; i++)
		if (r.files[i].sent >= 0)
			r.files[i].inv = ksef_session_invoice_at(s,
				(size_t)r.files[i].sent);
	if ((e = send_verdicts(&r)) > rc)
		rc = e;
	if ((e = send_session_upos(&r, ksef_session_reference(s))) > rc)
		rc = e;
	code = ksef_session_status(s);
	rc = send_report(&r, rc, ksef_session_reference(s), code,
			 ksef_session_status_description(code));
out:
	ksef_session_free(s);
	send_run_dispose(&r);
	return rc;
}
