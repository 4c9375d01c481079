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
#include "cli.h"
#include "output.h"
#include "config.h"
#include "ksef/client.h"
#include "ksef/session.h"
#include "ksef/xades.h"

const char cli_usage_send[] =
"usage: ksef send [options] FILE...\n"
"\n"
"Send invoices to KSeF (or a local ksefd) through one interactive session:\n"
"authenticate, open a session for the files' form code, send each file\n"
"encrypted, close, wait for verification, and print per file its status\n"
"and KSeF number or the reasons it was rejected.\n"
"\n"
"options:\n"
"  --base-url URL     API base URL, e.g. http://127.0.0.1:8080/v2\n"
"  --env test|demo|prd  the Ministry's environments instead of --base-url\n"
"  --allow-production needed to send to prd\n"
"  --config FILE      settings file (default ~/.config/ksef/config)\n"
"  --nip NIP          the context (seller) NIP\n"
"  --token TOKEN      the KSeF token\n"
"  --cert FILE --key FILE  log in with a XAdES signature instead of a token\n"
"                     (PEM certificate and key; --key-password if encrypted)\n"
"  --upo-dir DIR      save each invoice's UPO as DIR/<KSeF number>.xml and\n"
"                     the session UPO as DIR/session-<reference>-<page>.xml\n"
"  --qr-dir DIR       write each accepted invoice's verification code\n"
"                     (KOD I) as DIR/<KSeF number>.png, the number under\n"
"                     it; the folder of --upo-dir puts it beside the UPO\n"
"  --qr-format png|svg  the image format of --qr-dir (default png)\n"
"  --timeout SECONDS  how long to wait for verification (default 300)\n"
"  --json             one JSON object on standard output, also on failure\n"
"  -q, --quiet        print only failures\n"
"Settings also come from KSEF_BASE_URL, KSEF_ENV, KSEF_NIP, KSEF_TOKEN,\n"
"KSEF_CERT, KSEF_KEY and the config file, in that order after the flags.\n"
"\n"
"An invoice whose number the seller already used is a duplicate (440). If\n"
"the earlier one has the same bytes (a resend), it is reported as already\n"
"accepted under its KSeF number and counts as accepted.\n"
"\n"
"exit status: 0 all in KSeF, 1 something refused (an invoice, the login),\n"
"2 usage, 3 could not run (network, server, files); see 'man ksef'\n";

enum { OPT_TOKEN = 1000, OPT_CERT, OPT_KEY, OPT_KEY_PASSWORD, OPT_UPO_DIR,
       OPT_TIMEOUT, OPT_JSON, OPT_QR_DIR, OPT_QR_FORMAT };

/* What became of one file. */
struct outcome {
	const char *file;
	int sent;                  /* index in the session, or -1 */
	int already;               /* a resend of an accepted invoice */
	enum cli_failure kind;     /* not sent: why, in the table's terms */
	char error[KSEF_ERROR_MESSAGE_MAX]; /* not sent: the reason */
	char detail[1024];         /* the verdict's reasons, for the line */
};

struct run {
	ksef_conn *conn;
	ksef_session *s;
	struct outcome *out;
	int nfiles;
	const char *upo_dir;
	int quiet;
	const char *qr_dir;        /* --qr-dir, or NULL */
	ksef_qr_format qr_format;
	const char *qr_base;       /* the links' address (the API's) */
};

static int save_file(const char *dir, const char *name, const ksef_buf *b)
{
	ksef_error err = { 0, 0, "" };
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (cli_write_file(path, b->ptr, b->size, 0644, &err) != 0)
		return cli_fail(CLI_F_IO, NULL, "%s", err.message);
	return CLI_OK;
}

/*
 * A 440 names the invoice that holds the number. If that invoice has our
 * bytes, this was a resend (after a timeout, say): the invoice is in KSeF
 * already. Needs InvoiceRead; without it the duplicate stays a 440.
 */
static int is_resend(ksef_conn *conn, const char *original,
		     const ksef_buf *doc)
{
	ksef_buf orig = KSEF_BUF_INIT;
	int same = 0;

	if (ksef_conn_invoice_download(&orig, conn, original, NULL) == 0)
		same = orig.size == doc->size &&
		       memcmp(orig.ptr, doc->ptr, doc->size) == 0;
	ksef_buf_dispose(&orig);
	return same;
}

/* All files go into one session, so they must share a form code; each
 * is read once here, so that a missing one stops the run before a login. */
static int check_files(ksef_form *form, struct outcome *out, int n)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	ksef_form f;
	int i, rc = CLI_OK;

	for (i = 0; i < n && rc == CLI_OK; i++) {
		if (cli_read_file(&doc, out[i].file, KSEF_INVOICE_MAX_BYTES,
				  &err) != 0)
			rc = cli_fail(err.code == KSEF_ETOOBIG ?
				      CLI_F_REJECTED : CLI_F_IO, NULL,
				      "%s: %s", out[i].file, err.message);
		else if (ksef_form_detect(&f, doc.ptr, doc.size, &err) != 0)
			rc = cli_fail(CLI_F_REJECTED, NULL, "%s: %s",
				      out[i].file, err.message);
		else if (i > 0 && f != *form)
			rc = cli_fail(CLI_F_USAGE, NULL, "%s: is %s but %s is "
				      "%s; send them separately", out[i].file,
				      ksef_form_code_of(f).system_code,
				      out[0].file,
				      ksef_form_code_of(*form).system_code);
		else
			*form = f;
	}
	ksef_buf_dispose(&doc);
	return rc;
}

static int load_signer(ksef_xades_signer **out, const struct cli_config *cfg,
		       const char *key_password)
{
	ksef_buf kb = KSEF_BUF_INIT, cb = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	int rc = CLI_OK;

	if (cli_read_file(&kb, cfg->key, KSEF_CERT_MAX_BYTES, &err) != 0 ||
	    cli_read_file(&cb, cfg->cert, KSEF_CERT_MAX_BYTES, &err) != 0 ||
	    ksef_xades_signer_new(out, kb.ptr, kb.size, cb.ptr, cb.size,
				  key_password, &err) != 0)
		rc = cli_fail(err.code == KSEF_EIO ? CLI_F_IO : CLI_F_USAGE,
			      NULL, "%s / %s: %s", cfg->cert, cfg->key,
			      err.message);
	ksef_buf_dispose_secure(&kb);
	ksef_buf_dispose(&cb);
	return rc;
}

/* Encrypt and send each file; a file that cannot be sent is noted. */
static void send_all(struct run *r)
{
	ksef_buf doc = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ];
	int i, nsent = 0;

	for (i = 0; i < r->nfiles; i++) {
		struct outcome *o = &r->out[i];
		ksef_error err = { 0, 0, "" };
		int error;

		if ((error = cli_read_file(&doc, o->file,
					   KSEF_INVOICE_MAX_BYTES,
					   &err)) != 0) {
			o->kind = CLI_F_IO;
		} else if ((error = ksef_session_send(ref, r->s, doc.ptr,
					doc.size, NULL, &err)) != 0) {
			o->kind = cli_failure_of(error,
						 ksef_session_last_error(r->s));
		} else {
			o->sent = nsent++;
			if (!r->quiet && !cli_out_json() && isatty(2))
				fprintf(stderr, "\rksef: send: %d/%d sent",
					i + 1, r->nfiles);
			continue;
		}
		snprintf(o->error, sizeof(o->error), "%s", err.message);
	}
	if (!r->quiet && !cli_out_json() && isatty(2))
		fputc('\n', stderr);
	ksef_buf_dispose(&doc);
}

/* The KOD I of an accepted invoice, DIR/<KSeF number>.png (or .svg),
 * its number under the code. The file is read again: the link names the
 * SHA-256 of exactly the bytes sent. */
static int write_qr(struct run *r, const char *file, const char *number)
{
	ksef_buf doc = KSEF_BUF_INIT, link = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	char path[4096];
	int rc = CLI_OK;

	if (number == NULL)
		return CLI_OK;
	snprintf(path, sizeof(path), "%s/%s.%s", r->qr_dir, number,
		 r->qr_format == KSEF_QR_SVG ? "svg" : "png");
	if (cli_read_file(&doc, file, KSEF_INVOICE_MAX_BYTES, &err) != 0 ||
	    cli_qr_write(&link, path, r->qr_format, r->qr_base, &doc, number,
			 &err) != 0)
		rc = cli_fail(err.code == KSEF_EIO ? CLI_F_IO :
			      err.code == KSEF_ENOMEM ? CLI_F_INTERNAL :
			      CLI_F_REJECTED, NULL, "%s: QR code: %s", file,
			      err.message);
	ksef_buf_dispose(&doc);
	ksef_buf_dispose(&link);
	return rc;
}

/* What KSeF said of each file sent; the UPOs of those accepted. */
static int verdicts(struct run *r)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	char name[160];
	int i, e, rc = CLI_OK;

	for (i = 0; i < r->nfiles; i++) {
		struct outcome *o = &r->out[i];
		const ksef_session_invoice *inv;

		if (o->sent < 0)
			continue;
		inv = ksef_session_invoice_at(r->s, (size_t)o->sent);
		snprintf(o->detail, sizeof(o->detail), "%s%s%s",
			 inv->description ? inv->description : "",
			 inv->details ? ": " : "",
			 inv->details ? inv->details : "");
		if (inv->status == KSEF_INVOICE_STATUS_DUPLICATE &&
		    inv->duplicate_of != NULL &&
		    cli_read_file(&doc, o->file, KSEF_INVOICE_MAX_BYTES,
				  &err) == 0 &&
		    is_resend(r->conn, inv->duplicate_of, &doc)) {
			o->already = 1;
			snprintf(o->detail, sizeof(o->detail),
				 "already accepted as %s in session %s",
				 inv->duplicate_of, inv->duplicate_session ?
				 inv->duplicate_session : "?");
		}
		if (r->upo_dir != NULL && inv->status == 200) {
			ksef_buf upo = KSEF_BUF_INIT;

			snprintf(name, sizeof(name), "%s.xml", inv->ksef_number);
			if ((e = ksef_session_invoice_upo(&upo, r->s,
					inv->reference_number, &err)) != 0)
				rc = cli_fail_ksef(e, ksef_session_last_error(
					r->s), "%s: UPO: %s", o->file,
					err.message);
			else if (save_file(r->upo_dir, name, &upo) != CLI_OK)
				rc = CLI_FAILED;
			ksef_buf_dispose(&upo);
		}
		if (r->qr_dir != NULL && (inv->status == 200 || o->already) &&
		    (e = write_qr(r, o->file, o->already ?
				  inv->duplicate_of : inv->ksef_number)) > rc)
			rc = e;
	}
	ksef_buf_dispose(&doc);
	return rc;
}

static int session_upos(struct run *r)
{
	ksef_error err = { 0, 0, "" };
	char name[160];
	size_t p, pages = ksef_session_upo_page_count(r->s);
	int rc = CLI_OK, e;

	for (p = 0; r->upo_dir != NULL && p < pages; p++) {
		ksef_buf upo = KSEF_BUF_INIT;

		snprintf(name, sizeof(name), "session-%s-%zu.xml",
			 ksef_session_reference(r->s), p + 1);
		if ((e = ksef_session_upo(&upo, r->s, p, &err)) != 0)
			rc = cli_fail_ksef(e, ksef_session_last_error(r->s),
					   "session UPO page %zu: %s", p + 1,
					   err.message);
		else if (save_file(r->upo_dir, name, &upo) != CLI_OK)
			rc = CLI_FAILED;
		ksef_buf_dispose(&upo);
	}
	return rc;
}

/* Each file's line or JSON object, and the exit code they make. */
static int report(struct run *r, int rc)
{
	json_t *arr = cli_out_json() ? json_array() : NULL;
	int i, code = ksef_session_status(r->s), r1;

	for (i = 0; i < r->nfiles; i++) {
		const struct outcome *o = &r->out[i];
		const ksef_session_invoice *inv = o->sent < 0 ? NULL :
			ksef_session_invoice_at(r->s, (size_t)o->sent);
		struct cli_invoice_status st = CLI_INVOICE_STATUS_INIT;
		const char *detail = inv && inv->details ? inv->details : NULL;

		st.file = o->file;
		if (inv == NULL) {
			st.error = o->error;
			st.error_kind = o->kind;
			r1 = cli_fail(o->kind, NULL, "%s: not sent: %s",
				      o->file, o->error);
		} else {
			st.reference_number = inv->reference_number;
			st.invoice_number = inv->invoice_number;
			st.status = inv->status;
			st.description = inv->description;
			st.details = detail ? &detail : NULL;
			st.detail_count = detail ? 1 : 0;
			st.ksef_number = o->already ? inv->duplicate_of :
					 inv->ksef_number;
			st.already_accepted = o->already;
			st.duplicate_of = inv->duplicate_of;
			if (inv->status == 200 || o->already) {
				r1 = CLI_OK;
				if (arr == NULL && !r->quiet)
					printf("%s: %d %s%s%s\n", o->file,
					       inv->status, st.ksef_number,
					       o->already ?
					       " (already accepted)" : "",
					       inv->reconciled ? " (found in "
					       "the session after a send "
					       "without a clear answer; not "
					       "sent again)" : "");
			} else if (inv->status < 200) {
				/* No verdict within --timeout. */
				r1 = cli_fail(CLI_F_NETWORK, NULL, "%s: %d %s "
					      "(no verdict yet)", o->file,
					      inv->status, o->detail);
			} else {
				r1 = cli_fail(CLI_F_REJECTED, NULL, "%s: %d %s",
					      o->file, inv->status, o->detail);
			}
		}
		if (r1 > rc)
			rc = r1;
		if (arr != NULL)
			json_array_append_new(arr,
					      cli_invoice_status_json(&st));
	}
	if (arr != NULL)
		cli_json_print(json_pack("{s:s,s:i,s:o}",
			"sessionReferenceNumber", ksef_session_reference(r->s),
			"sessionStatus", code, "invoices", arr));
	else if (!r->quiet)
		fprintf(stderr, "ksef: send: session %s ended with %d %s\n",
			ksef_session_reference(r->s), code,
			ksef_session_status_description(code) ?
			ksef_session_status_description(code) : "");
	return rc;
}

int cmd_send(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_SETTINGS_LONGOPTS,
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "key-password", required_argument, NULL, OPT_KEY_PASSWORD },
		{ "upo-dir", required_argument, NULL, OPT_UPO_DIR },
		{ "qr-dir", required_argument, NULL, OPT_QR_DIR },
		{ "qr-format", required_argument, NULL, OPT_QR_FORMAT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_settings flags;
	struct cli_config cfg;
	struct run r = { NULL, NULL, NULL, 0, NULL, 0, NULL, KSEF_QR_PNG,
			 NULL };
	ksef_buf qr_base = KSEF_BUF_INIT;
	ksef_conn_options co = KSEF_CONN_OPTIONS_INIT;
	ksef_client_options copts = KSEF_CLIENT_OPTIONS_INIT;
	ksef_xades_signer *signer = NULL;
	ksef_error err = { 0, 0, "" };
	ksef_form form = KSEF_FORM_FA3;
	const char *key_password = NULL;
	int timeout_s = 300, c, i, rc = CLI_OK, e;

	memset(&flags, 0, sizeof(flags));
	memset(&cfg, 0, sizeof(cfg));
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		if (cli_settings_option(&flags, c, optarg))
			continue;
		switch (c) {
		case OPT_TOKEN: flags.token = optarg; break;
		case OPT_CERT: flags.cert = optarg; break;
		case OPT_KEY: flags.key = optarg; break;
		case OPT_KEY_PASSWORD: key_password = optarg; break;
		case OPT_UPO_DIR: r.upo_dir = optarg; break;
		case OPT_QR_DIR: r.qr_dir = optarg; break;
		case OPT_QR_FORMAT:
			if (strcmp(optarg, "png") == 0)
				r.qr_format = KSEF_QR_PNG;
			else if (strcmp(optarg, "svg") == 0)
				r.qr_format = KSEF_QR_SVG;
			else
				return cli_fail(CLI_F_USAGE, NULL, "--qr-format:"
						" png or svg");
			break;
		case OPT_TIMEOUT:
			if (cli_parse_seconds(&timeout_s, optarg, 86400) != 0)
				return cli_fail(CLI_F_USAGE, NULL, "--timeout: "
						"1 to 86400 seconds");
			break;
		case OPT_JSON: break; /* main.c saw it */
		case 'q': r.quiet = 1; break;
		case 'h': fputs(cli_usage_send, stdout); return CLI_OK;
		default: fputs(cli_usage_send, stderr); return CLI_USAGE;
		}
	}
	if ((rc = cli_config_resolve(&cfg, &flags, 1, &err)) != CLI_OK) {
		rc = cli_fail(rc == CLI_USAGE ? CLI_F_USAGE : CLI_F_IO, NULL,
			      "%s", err.message);
		goto out;
	}
	if ((cfg.cert == NULL) != (cfg.key == NULL)) {
		rc = cli_fail(CLI_F_USAGE, NULL, "--cert and --key go "
			      "together");
		goto out;
	}
	if (cfg.nip == NULL || (cfg.token == NULL && cfg.cert == NULL) ||
	    optind >= argc) {
		rc = cli_fail(CLI_F_USAGE, NULL, "needs --base-url (or --env), "
			      "--nip, --token (or --cert and --key) and at "
			      "least one file");
		goto out;
	}
	if ((rc = cli_login_check(cfg.nip, cfg.cert ? NULL : cfg.token)) !=
	    CLI_OK)
		goto out;
	r.nfiles = argc - optind;
	if ((r.out = calloc((size_t)r.nfiles, sizeof(*r.out))) == NULL) {
		rc = cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < r.nfiles; i++) {
		r.out[i].file = argv[optind + i];
		r.out[i].sent = -1;
	}
	if ((rc = check_files(&form, r.out, r.nfiles)) != CLI_OK ||
	    (cfg.cert != NULL &&
	     (rc = load_signer(&signer, &cfg, key_password)) != CLI_OK))
		goto out;
	if (r.upo_dir != NULL && cli_make_dirs(r.upo_dir, 0755, &err) != 0) {
		rc = cli_fail(CLI_F_IO, NULL, "--upo-dir: %s", err.message);
		goto out;
	}
	/* The links go to the verification address of the API's
	 * environment, or to a ksefd's own root. */
	if (r.qr_dir != NULL) {
		if (ksef_qr_base_for_api(&qr_base, cfg.base_url, &err) != 0) {
			rc = cli_fail(CLI_F_USAGE, NULL, "--qr-dir: %s",
				      err.message);
			goto out;
		}
		r.qr_base = (const char *)qr_base.ptr;
		if (cli_make_dirs(r.qr_dir, 0755, &err) != 0) {
			rc = cli_fail(CLI_F_IO, NULL, "--qr-dir: %s",
				      err.message);
			goto out;
		}
	}
	copts.base_url = cfg.base_url;
	co.client = &copts;
	co.context_type = KSEF_CONTEXT_NIP;
	co.context_value = cfg.nip;
	co.ksef_token = signer ? NULL : cfg.token;
	co.signer = signer;
	if (ksef_conn_prepare(&r.conn, &co, &err) != 0) {
		rc = cli_fail(CLI_F_USAGE, NULL, "%s", err.message);
		goto out;
	}
	if ((e = ksef_conn_refresh(r.conn, &err)) != 0) {
		rc = cli_login_refused(r.conn, e, &err, "authentication: ");
		goto out;
	}
	if ((e = ksef_session_open(&r.s, r.conn, form, &err)) != 0) {
		rc = cli_fail_ksef(e, ksef_conn_last_error(r.conn),
				   "opening a session: %s", err.message);
		goto out;
	}
	if (!r.quiet && !cli_out_json())
		fprintf(stderr, "ksef: send: session %s (%s)\n",
			ksef_session_reference(r.s),
			ksef_form_code_of(form).system_code);
	send_all(&r);
	if ((e = ksef_session_close(r.s, &err)) != 0)
		rc = cli_fail_ksef(e, ksef_session_last_error(r.s),
				   "closing session %s: %s",
				   ksef_session_reference(r.s), err.message);
	/* A wait that runs out leaves invoices without a verdict: each is
	 * reported below. */
	if ((e = ksef_session_wait(r.s, (long)timeout_s * 1000, &err)) != 0 &&
	    e != KSEF_ENETWORK)
		rc = cli_fail_ksef(e, ksef_session_last_error(r.s),
				   "waiting for verification: %s",
				   err.message);
	else if (e != 0)
		fprintf(stderr, "ksef: send: waiting for verification: %s\n",
			err.message);
	if ((e = verdicts(&r)) > rc)
		rc = e;
	if ((e = session_upos(&r)) > rc)
		rc = e;
	rc = report(&r, rc);
out:
	ksef_session_free(r.s);
	ksef_conn_free(r.conn);
	ksef_xades_signer_free(signer);
	cli_config_dispose(&cfg);
	ksef_buf_dispose(&qr_base);
	free(r.out);
	return rc;
}
