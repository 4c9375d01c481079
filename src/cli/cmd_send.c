/*
 * cmd_send.c - `ksef send`: authenticate (KSeF token or XAdES), open one
 * interactive session for the files' form code, encrypt and send each
 * file, close, wait for verification, print each file's outcome and save
 * the UPOs. Built on libksef's ksef_conn/ksef_session, so tokens are
 * renewed, keys refetched on 21470, an invoice is never sent twice
 * blindly after an ambiguous failure, and a session refused with 21184
 * is continued in a new one (each session is then reported, and its UPO
 * saved). Exit 0 only when every invoice is in KSeF.
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
"  --offline          the invoices were issued offline (offlineMode): KSeF\n"
"                     then gives their issue date as the invoicing date\n"
"                     ('ksef offline send' sends the registered ones)\n"
SEND_USAGE_OUTPUT
"\n"
"An invoice whose number the seller already used is a duplicate (440). If\n"
"the earlier one has the same bytes (a resend), it is reported as already\n"
"accepted under its KSeF number and counts as accepted.\n"
"\n"
"exit status: 0 all in KSeF, 1 something refused (an invoice, the login),\n"
"2 usage, 3 could not run (network, server, files); see 'man ksef'\n";

/* The session's side of the shared run (send_common.h): the session, and
 * which of its parts (session.h) the UPO pages are asked of. */
struct session_src {
	ksef_session *s;
	size_t part;
};

static int session_invoice_upo(ksef_buf *out, void *obj, size_t file,
			       const ksef_session_invoice *inv, ksef_error *err)
{
	struct session_src *src = obj;

	(void)file;
	return ksef_session_invoice_upo(out, src->s, inv->reference_number,
					err);
}

static size_t session_upo_pages(const void *obj)
{
	const struct session_src *src = obj;

	return ksef_session_part_upo_page_count(src->s, src->part);
}

static int session_upo_page(ksef_buf *out, void *obj, size_t page,
			    ksef_error *err)
{
	struct session_src *src = obj;

	return ksef_session_part_upo(out, src->s, src->part, page, err);
}

static const ksef_api_error *session_last_error(const void *obj)
{
	const struct session_src *src = obj;

	return ksef_session_last_error(src->s);
}

/* A line for each session a send left for a new one after 21184. */
static void say_continued(const struct send_run *r, const ksef_session *s,
			  size_t from)
{
	size_t p;

	for (p = from; p + 1 < ksef_session_part_count(s); p++)
		if (!r->quiet && !cli_out_json())
			fprintf(stderr, "ksef: send: session %s unavailable "
				"(21184): continued in new session %s\n",
				ksef_session_part_reference(s, p),
				ksef_session_part_reference(s, p + 1));
}

/* Encrypt and send each file; a file that cannot be sent is noted. */
static void send_all(struct send_run *r, ksef_session *s)
{
	ksef_buf doc = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ];
	enum cli_failure unavailable = CLI_F_COUNT;
	ksef_client_send_options so = KSEF_CLIENT_SEND_OPTIONS_INIT;
	int i, nsent = 0;

	so.offline_mode = r->offline;

	for (i = 0; i < r->nfiles; i++) {
		struct send_file *o = &r->files[i];
		ksef_error err = { 0, 0, "" };
		size_t parts = ksef_session_part_count(s);
		int error;

		so.hash_of_corrected_invoice = o->corrects;
		if (unavailable != CLI_F_COUNT) {
			/* The library gave up opening new sessions: each
			 * file would only open as many more. */
			o->kind = unavailable;
			snprintf(o->error, sizeof(o->error), "%s",
				 "KSeF refused every new session (21184)");
			continue;
		}
		if ((error = cli_read_file(&doc, o->file,
					   KSEF_INVOICE_MAX_BYTES,
					   &err)) != 0) {
			o->kind = CLI_F_IO;
		} else if ((error = ksef_session_send(ref, s, doc.ptr,
					doc.size, &so, &err)) != 0) {
			say_continued(r, s, parts - 1);
			o->kind = cli_failure_of(error,
						 ksef_session_last_error(s));
			if (ksef_api_error_has_code(
				    ksef_session_last_error(s), 21184))
				unavailable = o->kind;
		} else {
			say_continued(r, s, parts - 1);
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

int send_online(struct send_run *r,
		void (*each)(void *arg, const struct send_file *file),
		void *arg)
{
	struct session_src src = { NULL, 0 };
	struct send_earlier *earlier = NULL;
	ksef_session *s = NULL;
	ksef_error err = { 0, 0, "" };
	size_t p, nparts;
	int i, rc = CLI_OK, e, code;

	if ((e = ksef_session_open(&s, r->conn, r->form, &err)) != 0)
		return cli_fail_ksef(e, ksef_conn_last_error(r->conn),
				     "opening a session: %s", err.message);
	src.s = s;
	r->src.obj = &src;
	r->src.invoice_upo = session_invoice_upo;
	r->src.upo_pages = session_upo_pages;
	r->src.upo_page = session_upo_page;
	r->src.last_error = session_last_error;
	if (!r->quiet && !cli_out_json())
		fprintf(stderr, "ksef: %s: session %s (%s)\n", r->cmd,
			ksef_session_reference(s),
			ksef_form_code_of(r->form).system_code);
	send_all(r, s);
	if ((e = ksef_session_close(s, &err)) != 0)
		rc = cli_fail_ksef(e, ksef_session_last_error(s),
				   "closing session %s: %s",
				   ksef_session_reference(s), err.message);
	/* A wait that runs out leaves invoices without a verdict: each is
	 * reported below. */
	if ((e = ksef_session_wait(s, (long)r->timeout_s * 1000,
				   &err)) != 0 && e != KSEF_ENETWORK)
		rc = cli_fail_ksef(e, ksef_session_last_error(s),
				   "waiting for verification: %s",
				   err.message);
	else if (e != 0)
		fprintf(stderr, "ksef: %s: waiting for verification: %s\n",
			r->cmd, err.message);
	for (i = 0; i < r->nfiles; i++)
		if (r->files[i].sent >= 0)
			r->files[i].inv = ksef_session_invoice_at(s,
				(size_t)r->files[i].sent);
	if ((e = send_verdicts(r)) > rc)
		rc = e;
	/* Every session's UPO: those left after 21184 were closed then. */
	nparts = ksef_session_part_count(s);
	for (p = 0; p < nparts; p++) {
		src.part = p;
		if ((e = send_session_upos(r, ksef_session_part_reference(s,
							p))) > rc)
			rc = e;
	}
	if (nparts > 1 &&
	    (earlier = calloc(nparts - 1, sizeof(*earlier))) == NULL) {
		rc = cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (p = 0; p + 1 < nparts; p++) {
		earlier[p].ref = ksef_session_part_reference(s, p);
		earlier[p].code = ksef_session_part_status(s, p);
	}
	r->earlier = earlier;
	r->nearlier = nparts - 1;
	code = ksef_session_status(s);
	rc = send_report(r, rc, ksef_session_reference(s), code,
			 ksef_session_status_description(code));
	for (i = 0; each != NULL && i < r->nfiles; i++)
		each(arg, &r->files[i]);
out:
	r->earlier = NULL;
	r->nearlier = 0;
	free(earlier);
	ksef_session_free(s);
	return rc;
}

int cmd_send(int argc, char **argv)
{
	static const struct option longopts[] = {
		SEND_LONGOPTS,
		{ "offline", no_argument, NULL, SEND_OPT_OWN },
		{ NULL, 0, NULL, 0 },
	};
	struct send_run r;
	int c, rc = CLI_OK, e;

	send_run_init(&r);
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		if ((e = send_option(&r, c, optarg)) < 0)
			return CLI_USAGE;
		if (e > 0)
			continue;
		if (c == SEND_OPT_OWN) {
			r.offline = 1;
			continue;
		}
		if (c == 'h') {
			fputs(cli_usage_send, stdout);
			return CLI_OK;
		}
		fputs(cli_usage_send, stderr);
		return CLI_USAGE;
	}
	if ((rc = send_prepare(&r, argc, argv, optind)) == CLI_OK &&
	    (rc = send_login(&r)) == CLI_OK)
		rc = send_online(&r, NULL, NULL);
	send_run_dispose(&r);
	return rc;
}
