/*
 * send_common.c - the parts of `ksef send` and `ksef batch send` that do
 * not depend on how the invoices travel (send_common.h): options, checks
 * before the login, the login, and each file's outcome afterwards (the
 * resend check, UPOs, KOD I, the report and its exit code). cmd_send.c
 * owns the interactive session, cmd_batch.c the batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "send_common.h"
#include "ksef/client.h"

void send_run_init(struct send_run *r)
{
	memset(r, 0, sizeof(*r));
	r->qr_format = KSEF_QR_PNG;
	r->timeout_s = 300;
	r->form = KSEF_FORM_FA3;
	r->cmd = "send";
}

void send_run_dispose(struct send_run *r)
{
	ksef_conn_free(r->conn);
	ksef_xades_signer_free(r->signer);
	cli_config_dispose(&r->cfg);
	ksef_buf_dispose(&r->qr_base);
	free(r->files);
	r->conn = NULL;
	r->signer = NULL;
	r->files = NULL;
}

int send_option(struct send_run *r, int c, const char *arg)
{
	if (cli_settings_option(&r->flags, c, arg))
		return 1;
	switch (c) {
	case SEND_OPT_TOKEN: r->flags.token = arg; return 1;
	case SEND_OPT_CERT: r->flags.cert = arg; return 1;
	case SEND_OPT_KEY: r->flags.key = arg; return 1;
	case SEND_OPT_KEY_PASSWORD: r->key_password = arg; return 1;
	case SEND_OPT_UPO_DIR: r->upo_dir = arg; return 1;
	case SEND_OPT_QR_DIR: r->qr_dir = arg; return 1;
	case SEND_OPT_QR_FORMAT:
		if (strcmp(arg, "png") == 0)
			r->qr_format = KSEF_QR_PNG;
		else if (strcmp(arg, "svg") == 0)
			r->qr_format = KSEF_QR_SVG;
		else
			return cli_fail(CLI_F_USAGE, NULL, "--qr-format: png "
					"or svg"), -1;
		return 1;
	case SEND_OPT_TIMEOUT:
		if (cli_parse_seconds(&r->timeout_s, arg, 86400) != 0)
			return cli_fail(CLI_F_USAGE, NULL, "--timeout: 1 to "
					"86400 seconds"), -1;
		return 1;
	case SEND_OPT_JSON: return 1; /* main.c saw it */
	case 'q': r->quiet = 1; return 1;
	default: return 0;
	}
}

int send_progress(const struct send_run *r)
{
	return !r->quiet && !cli_out_json() && isatty(2);
}

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
static int check_files(struct send_run *r)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	struct send_file *out = r->files;
	ksef_form f;
	int i, rc = CLI_OK;

	for (i = 0; i < r->nfiles && rc == CLI_OK; i++) {
		if (cli_read_file(&doc, out[i].file, KSEF_INVOICE_MAX_BYTES,
				  &err) != 0)
			rc = cli_fail(err.code == KSEF_ETOOBIG ?
				      CLI_F_REJECTED : CLI_F_IO, NULL,
				      "%s: %s", out[i].file, err.message);
		else if (ksef_form_detect(&f, doc.ptr, doc.size, &err) != 0)
			rc = cli_fail(CLI_F_REJECTED, NULL, "%s: %s",
				      out[i].file, err.message);
		else if (i > 0 && f != r->form)
			rc = cli_fail(CLI_F_USAGE, NULL, "%s: is %s but %s is "
				      "%s; send them separately", out[i].file,
				      ksef_form_code_of(f).system_code,
				      out[0].file,
				      ksef_form_code_of(r->form).system_code);
		else
			r->form = f;
	}
	ksef_buf_dispose(&doc);
	return rc;
}

static int load_signer(struct send_run *r)
{
	ksef_buf kb = KSEF_BUF_INIT, cb = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	const struct cli_config *cfg = &r->cfg;
	int rc = CLI_OK;

	if (cli_read_file(&kb, cfg->key, KSEF_CERT_MAX_BYTES, &err) != 0 ||
	    cli_read_file(&cb, cfg->cert, KSEF_CERT_MAX_BYTES, &err) != 0 ||
	    ksef_xades_signer_new(&r->signer, kb.ptr, kb.size, cb.ptr,
				  cb.size, r->key_password, &err) != 0)
		rc = cli_fail(err.code == KSEF_EIO ? CLI_F_IO : CLI_F_USAGE,
			      NULL, "%s / %s: %s", cfg->cert, cfg->key,
			      err.message);
	ksef_buf_dispose_secure(&kb);
	ksef_buf_dispose(&cb);
	return rc;
}

int send_prepare(struct send_run *r, int argc, char **argv, int first)
{
	ksef_error err = { 0, 0, "" };
	int rc, i;

	if ((rc = cli_config_resolve(&r->cfg, &r->flags, 1, &err)) != CLI_OK)
		return cli_fail(rc == CLI_USAGE ? CLI_F_USAGE : CLI_F_IO, NULL,
				"%s", err.message);
	if ((r->cfg.cert == NULL) != (r->cfg.key == NULL))
		return cli_fail(CLI_F_USAGE, NULL, "--cert and --key go "
				"together");
	if (r->cfg.nip == NULL ||
	    (r->cfg.token == NULL && r->cfg.cert == NULL) || first >= argc)
		return cli_fail(CLI_F_USAGE, NULL, "needs --base-url (or "
				"--env), --nip, --token (or --cert and --key) "
				"and at least one file");
	if ((rc = cli_login_check(r->cfg.nip, r->cfg.cert ? NULL :
				  r->cfg.token)) != CLI_OK)
		return rc;
	r->nfiles = argc - first;
	if ((r->files = calloc((size_t)r->nfiles, sizeof(*r->files))) == NULL)
		return cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
	for (i = 0; i < r->nfiles; i++) {
		r->files[i].file = argv[first + i];
		r->files[i].sent = -1;
		r->files[i].no_verdict = "not sent";
	}
	if ((rc = check_files(r)) != CLI_OK ||
	    (r->cfg.cert != NULL && (rc = load_signer(r)) != CLI_OK))
		return rc;
	if (r->upo_dir != NULL && cli_make_dirs(r->upo_dir, 0755, &err) != 0)
		return cli_fail(CLI_F_IO, NULL, "--upo-dir: %s", err.message);
	/* The links go to the verification address of the API's
	 * environment, or to a ksefd's own root. */
	if (r->qr_dir != NULL) {
		if (ksef_qr_base_for_api(&r->qr_base, r->cfg.base_url,
					 &err) != 0)
			return cli_fail(CLI_F_USAGE, NULL, "--qr-dir: %s",
					err.message);
		if (cli_make_dirs(r->qr_dir, 0755, &err) != 0)
			return cli_fail(CLI_F_IO, NULL, "--qr-dir: %s",
					err.message);
	}
	return CLI_OK;
}

int send_login(struct send_run *r)
{
	ksef_conn_options co = KSEF_CONN_OPTIONS_INIT;
	ksef_client_options copts = KSEF_CLIENT_OPTIONS_INIT;
	ksef_error err = { 0, 0, "" };
	int e;

	copts.base_url = r->cfg.base_url;
	co.client = &copts;
	co.context_type = KSEF_CONTEXT_NIP;
	co.context_value = r->cfg.nip;
	co.ksef_token = r->signer ? NULL : r->cfg.token;
	co.signer = r->signer;
	if (ksef_conn_prepare(&r->conn, &co, &err) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "%s", err.message);
	if ((e = ksef_conn_refresh(r->conn, &err)) != 0)
		return cli_login_refused(r->conn, e, &err,
					 "authentication: ");
	return CLI_OK;
}

/* The KOD I of an accepted invoice, DIR/<KSeF number>.png (or .svg),
 * its number under the code. The file is read again: the link names the
 * SHA-256 of exactly the bytes sent. */
static int write_qr(struct send_run *r, const char *file, const char *number)
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
	    cli_qr_write(&link, path, r->qr_format,
			 (const char *)r->qr_base.ptr, &doc, number,
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
int send_verdicts(struct send_run *r)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	char name[160];
	int i, e, rc = CLI_OK;

	for (i = 0; i < r->nfiles; i++) {
		struct send_file *o = &r->files[i];
		const ksef_session_invoice *inv = o->inv;

		if (inv == NULL)
			continue;
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

			snprintf(name, sizeof(name), "%s.xml",
				 inv->ksef_number);
			if ((e = r->src.invoice_upo(&upo, r->src.obj, (size_t)i,
						    inv, &err)) != 0)
				rc = cli_fail_ksef(e, r->src.last_error(
					r->src.obj), "%s: UPO: %s", o->file,
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

int send_session_upos(struct send_run *r, const char *session_ref)
{
	ksef_error err = { 0, 0, "" };
	char name[160];
	size_t p, pages = r->src.upo_pages(r->src.obj);
	int rc = CLI_OK, e;

	for (p = 0; r->upo_dir != NULL && p < pages; p++) {
		ksef_buf upo = KSEF_BUF_INIT;

		snprintf(name, sizeof(name), "session-%s-%zu.xml",
			 session_ref, p + 1);
		if ((e = r->src.upo_page(&upo, r->src.obj, p, &err)) != 0)
			rc = cli_fail_ksef(e, r->src.last_error(r->src.obj),
					   "session UPO page %zu: %s", p + 1,
					   err.message);
		else if (save_file(r->upo_dir, name, &upo) != CLI_OK)
			rc = CLI_FAILED;
		ksef_buf_dispose(&upo);
	}
	return rc;
}

/* Each file's line or JSON object, and the exit code they make. */
int send_report(struct send_run *r, int rc, const char *session_ref,
		int code, const char *description)
{
	json_t *arr = cli_out_json() ? json_array() : NULL;
	int i, r1;

	for (i = 0; i < r->nfiles; i++) {
		const struct send_file *o = &r->files[i];
		const ksef_session_invoice *inv = o->inv;
		struct cli_invoice_status st = CLI_INVOICE_STATUS_INIT;
		const char *detail = inv && inv->details ? inv->details : NULL;

		st.file = o->file;
		if (inv == NULL) {
			st.error = o->error;
			st.error_kind = o->kind;
			r1 = cli_fail(o->kind, NULL, "%s: %s: %s", o->file,
				      o->no_verdict, o->error);
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
	if (arr != NULL) {
		json_t *o = json_pack("{s:s?,s:i,s:o}",
			"sessionReferenceNumber", session_ref,
			"sessionStatus", code, "invoices", arr);
		json_t *left = r->nearlier > 0 ? json_array() : NULL;
		size_t k;

		/* Only after a 21184: the sessions left for a new one. */
		for (k = 0; left != NULL && k < r->nearlier; k++)
			json_array_append_new(left, json_pack("{s:s,s:i}",
				"referenceNumber", r->earlier[k].ref,
				"status", r->earlier[k].code));
		if (o != NULL && left != NULL)
			json_object_set_new(o, "earlierSessions", left);
		else
			json_decref(left);
		cli_json_print(o);
	} else if (!r->quiet && session_ref != NULL) {
		size_t k;

		for (k = 0; k < r->nearlier; k++) {
			const char *d = ksef_session_status_description(
				r->earlier[k].code);

			fprintf(stderr, "ksef: %s: session %s ended with %d "
				"%s\n", r->cmd, r->earlier[k].ref,
				r->earlier[k].code, d ? d : "");
		}
		fprintf(stderr, "ksef: %s: session %s ended with %d %s\n",
			r->cmd, session_ref, code,
			description ? description : "");
	}
	return rc;
}
