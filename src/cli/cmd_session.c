/*
 * cmd_session.c - `ksef session open|send|close|status|invoices|upo`: an
 * interactive session one step at a time, with the login `ksef auth login`
 * saved. open is libksef's ksef_session_open (fresh key, the server's key
 * chosen by the library) and the session's exported state, key included,
 * goes into the state file; send and close resume it from there; close
 * forgets it. A send that KSeF refuses with 21184 continues in a new
 * session (the library's doing): the state file then follows the new
 * one, and the one left is forgotten as a closed one is. status,
 * invoices and upo read any session through the connection's access
 * token. The state file's members are login.c's;
 * `ksef send` does all steps in one run.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include "cli.h"
#include "config.h"
#include "output.h"

const char cli_usage_session[] =
"usage: ksef session open [--form CODE]\n"
"       ksef session send [--session REF] FILE...\n"
"       ksef session close [REF]\n"
"       ksef session status [REF] [--wait] [--json]\n"
"       ksef session invoices [REF] [--failed] [--json]\n"
"       ksef session upo [REF] --out DIR [--wait]\n"
"\n"
"An interactive session step by step, as the user 'ksef auth login'\n"
"saved. open makes a fresh AES-256 key for the session and keeps it in\n"
"the state file (a secret: the file has mode 0600) until close; send\n"
"encrypts each FILE with it and prints the invoice's reference number;\n"
"status, invoices and upo report on the session, REF or else the last\n"
"one opened. upo saves the session's UPO pages as\n"
"DIR/session-<REF>-<page>.xml and each accepted invoice's UPO as\n"
"DIR/<KSeF number>.xml, as 'ksef send --upo-dir' does.\n"
"\n"
"options:\n"
"  --form CODE        open: 'FA (3)' (default), 'FA (2)', 'PEF (3)',\n"
"                     'PEF_KOR (3)', 'FA_RR (1)' (or fa3, fa2, ...)\n"
"  --session REF      send, close: a session other than the last opened\n"
"  --failed           invoices: only the rejected ones\n"
"  --out DIR          upo: where to write the files (made if missing)\n"
"  --wait             status, upo: wait until the session is processed\n"
"  --timeout SECONDS  how long --wait waits (default 300)\n"
"  --json             JSON on standard output, also when it fails\n"
"  --state FILE       the state file (default $KSEF_STATE or\n"
"                     ~/.local/state/ksef/auth.json)\n"
"\n"
"An access token that has expired is refreshed with the refresh token.\n"
"\n"
"exit status: 0 done, 1 rejected by KSeF (or a failed session or\n"
"invoice), 2 usage, 3 could not run\n";

#define CMD "session"

enum { OPT_FORM = 300, OPT_SESSION, OPT_FAILED, OPT_OUT, OPT_WAIT,
       OPT_TIMEOUT, OPT_JSON };

struct session_opts {
	const char *state, *form, *session, *out;
	int failed, wait, timeout_s;
};

/* Which options each subcommand takes, by option code. */
static int allowed(const char *sub, int opt)
{
	switch (opt) {
	case CLI_OPT_STATE:
	case OPT_JSON:
		return 1;
	case OPT_FORM: return strcmp(sub, "open") == 0;
	case OPT_SESSION:
		return strcmp(sub, "send") == 0 || strcmp(sub, "close") == 0;
	case OPT_FAILED: return strcmp(sub, "invoices") == 0;
	case OPT_OUT: return strcmp(sub, "upo") == 0;
	case OPT_WAIT:
	case OPT_TIMEOUT:
		return strcmp(sub, "status") == 0 || strcmp(sub, "upo") == 0;
	default: return 0;
	}
}

/* Server-given names become file names only if they are harmless. */
static int safe_name(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return i > 0 && i <= 64;
}

static int session_open(struct cli_login *l, const struct session_opts *o)
{
	ksef_form form = KSEF_FORM_FA3;
	ksef_session *s = NULL;
	ksef_error err = { 0, 0, "" };
	char until[KSEF_TIME_BUFSZ];
	const char *code;
	int rc;

	if (o->form != NULL && cli_parse_form(&form, o->form) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "unknown form '%s'",
				o->form);
	if ((rc = cli_login_ready(l)) != CLI_OK)
		return rc;
	/* A fresh key and IV, wrapped with the server's current key. */
	if ((rc = ksef_session_open(&s, l->conn, form, &err)) != 0)
		return cli_fail_ksef(rc, ksef_conn_last_error(l->conn),
				     "opening a session: %s", err.message);
	if ((rc = cli_login_put_session(l, s)) != CLI_OK ||
	    (rc = cli_login_save(l)) != CLI_OK) {
		cli_fail(CLI_F_IO, NULL, "session %s is open, but its key "
			 "could not be saved", ksef_session_reference(s));
		goto out;
	}
	code = ksef_form_code_of(form).system_code;
	cli_time_ms_text(until, ksef_session_valid_until(s));
	if (cli_out_json())
		cli_json_print(json_pack("{s:s,s:s,s:s}", "referenceNumber",
			ksef_session_reference(s), "formCode", code,
			"validUntil", until));
	else
		printf("session %s opened for %s, valid until %s\n",
		       ksef_session_reference(s), code, until);
out:
	ksef_session_free(s);
	return rc;
}

/* Send one file through the session; its status or why not into st. */
static int send_file(ksef_session *s, const char *file, ksef_buf *doc,
		     struct cli_invoice_status *st, char ref[KSEF_REFNUM_BUFSZ])
{
	ksef_error err = { 0, 0, "" };
	ksef_form f, form = ksef_session_form(s);
	int error;

	if ((error = cli_read_file(doc, file, KSEF_INVOICE_MAX_BYTES,
				   &err)) != 0) {
		st->error_kind = error == KSEF_ETOOBIG ? CLI_F_REJECTED :
							 CLI_F_IO;
		return cli_fail(st->error_kind, NULL, "%s: %s", file,
				err.message);
	}
	if (ksef_form_detect(&f, doc->ptr, doc->size, &err) == 0 &&
	    f != form) {
		st->error_kind = CLI_F_REJECTED;
		return cli_fail(CLI_F_REJECTED, NULL, "%s: is %s but the "
				"session is for %s", file,
				ksef_form_code_of(f).system_code,
				ksef_form_code_of(form).system_code);
	}
	/* Never twice blindly: an ambiguous failure is looked up first. */
	if ((error = ksef_session_send(ref, s, doc->ptr, doc->size, NULL,
				       &err)) != 0) {
		const ksef_api_error *api = ksef_session_last_error(s);

		st->error_kind = cli_failure_of(error, api);
		return cli_fail(st->error_kind, api, "%s: %s", file,
				err.message);
	}
	return CLI_OK;
}

static int session_send(struct cli_login *l, const struct session_opts *o,
			int nfiles, char **files)
{
	const char *given = cli_login_session_ref(l, o->session);
	ksef_session *s = NULL;
	ksef_buf doc = KSEF_BUF_INIT;
	json_t *arr;
	char ref[KSEF_REFNUM_BUFSZ + 64];
	size_t left;
	int i, rc, gave_up = 0;

	if (given == NULL)
		return CLI_USAGE;
	/* Copied: putting the session back replaces the string. */
	snprintf(ref, sizeof(ref), "%s", given);
	if (nfiles == 0)
		return cli_fail(CLI_F_USAGE, NULL, "send needs at least one "
				"FILE");
	arr = cli_out_json() ? json_array() : NULL;
	if ((rc = cli_login_session(&s, l, ref)) != CLI_OK ||
	    (rc = cli_login_ready(l)) != CLI_OK)
		goto out;
	for (i = 0; i < nfiles; i++) {
		struct cli_invoice_status st = CLI_INVOICE_STATUS_INIT;
		char iref[KSEF_REFNUM_BUFSZ], why[KSEF_ERROR_MESSAGE_MAX];
		size_t p, from = ksef_session_part_count(s) - 1;
		int r;

		if (gave_up) {
			/* KSeF refused every new session the library
			 * opened: each file would only open as many more. */
			st.file = files[i];
			st.error_kind = CLI_F_HTTP;
			st.error = "not sent: KSeF refused every new session "
				   "(21184)";
			if ((r = cli_fail(CLI_F_HTTP, NULL, "%s: %s",
					  files[i], st.error)) > rc)
				rc = r;
			if (arr != NULL)
				json_array_append_new(arr,
					cli_invoice_status_json(&st));
			continue;
		}
		r = send_file(s, files[i], &doc, &st, iref);
		for (p = from; p + 1 < ksef_session_part_count(s); p++)
			if (arr == NULL)
				fprintf(stderr, "ksef: " CMD ": session %s "
					"unavailable (21184): continued in new "
					"session %s\n",
					ksef_session_part_reference(s, p),
					ksef_session_part_reference(s, p + 1));
		gave_up = r != CLI_OK && ksef_api_error_has_code(
			ksef_session_last_error(s), 21184);
		st.file = files[i];
		if (r != CLI_OK) {
			/* Could-not-run outranks a rejection. */
			if (r > rc)
				rc = r;
			snprintf(why, sizeof(why), "not sent");
			st.error = why;
		} else {
			const ksef_session_invoice *e = ksef_session_invoice_at(
				s, ksef_session_invoice_count(s) - 1);

			st.reference_number = iref;
			st.status = e->status;
			st.description = e->description;
			if (arr == NULL)
				printf("%s: %s\n", files[i], iref);
		}
		if (arr != NULL)
			json_array_append_new(arr,
					      cli_invoice_status_json(&st));
	}
	/* The sessions left after 21184 take nothing more: their keys go,
	 * as a closed session's do; their verdicts and UPOs are read
	 * without. The state follows the current one. */
	for (left = 0; left + 1 < ksef_session_part_count(s); left++)
		cli_login_forget_session(l, ksef_session_part_reference(s,
							left));
	/* The invoices sent are the session's, and so is a renewed token. */
	if (cli_login_put_session(l, s) != CLI_OK || cli_login_save(l) !=
	    CLI_OK)
		rc = CLI_FAILED;
	if (arr != NULL)
		cli_json_print(json_pack("{s:s,s:O}", "sessionReferenceNumber",
					 ksef_session_reference(s), "invoices",
					 arr));
out:
	json_decref(arr);
	ksef_buf_dispose(&doc);
	ksef_session_free(s);
	return rc;
}

static int session_close(struct cli_login *l, const char *ref)
{
	ksef_session *s = NULL;
	ksef_client *c = NULL;
	ksef_error err = { 0, 0, "" };
	const ksef_api_error *api;
	char keep[KSEF_REFNUM_BUFSZ + 64];
	int rc;

	snprintf(keep, sizeof(keep), "%s", ref);
	if (cli_login_session_state(l, keep) != NULL) {
		/* Opened here: the library closes its own session. */
		if ((rc = cli_login_session(&s, l, keep)) != CLI_OK ||
		    (rc = cli_login_ready(l)) != CLI_OK)
			goto out;
		rc = ksef_session_close(s, &err);
		api = ksef_session_last_error(s);
	} else {
		/* Opened elsewhere: its key is not needed to close it. */
		if ((rc = cli_login_client(&c, l)) != CLI_OK)
			goto out;
		rc = ksef_client_session_close(c, keep, &err);
		api = ksef_client_last_error(c);
	}
	if (rc != 0) {
		rc = cli_fail_ksef(rc, api, "closing session %s: %s", keep,
				   err.message);
		goto out;
	}
	/* Nothing more can be sent, so the key is of no more use. */
	cli_login_forget_session(l, keep);
	if ((rc = cli_login_save(l)) != CLI_OK)
		goto out;
	if (cli_out_json())
		cli_json_print(json_pack("{s:s,s:b}", "referenceNumber", keep,
					 "closed", 1));
	else
		printf("session %s closed; KSeF now verifies its invoices and "
		       "makes the UPO\n", keep);
out:
	ksef_session_free(s);
	ksef_client_free(c);
	return rc;
}

/* Get the session's status, waiting while it is 100 or 170 if asked. */
static int get_status(ksef_api_session_status **out, ksef_client *c,
		      const char *ref, const struct session_opts *o)
{
	ksef_error err = { 0, 0, "" };
	time_t until = time(NULL) + o->timeout_s;
	long wait_ms = 200;
	int rc;

	for (;;) {
		if ((rc = ksef_client_session_status(out, c, ref, &err)) != 0)
			return cli_fail_ksef(rc, ksef_client_last_error(c),
					     "session %s: %s", ref,
					     err.message);
		if (!o->wait || ((*out)->status->code != 100 &&
				 (*out)->status->code != 170))
			return CLI_OK;
		if (time(NULL) >= until) {
			rc = cli_fail(CLI_F_NETWORK, NULL, "session %s still "
				      "has status %d after %d s", ref,
				      (*out)->status->code, o->timeout_s);
			ksef_api_session_status_free(*out);
			*out = NULL;
			return rc;
		}
		ksef_api_session_status_free(*out);
		*out = NULL;
		cli_sleep_ms(wait_ms);
		if (wait_ms < 2000)
			wait_ms *= 2;
	}
}

/* A session's status (not an invoice's): code, description, details. */
static json_t *status_json(const ksef_api_status *s)
{
	json_t *o = json_pack("{s:i,s:s?}", "code", s->code, "description",
			      s->description), *d = json_array();
	size_t i;

	for (i = 0; i < s->detail_count; i++)
		json_array_append_new(d, json_string(s->details[i]));
	json_object_set_new(o, "details", d);
	return o;
}

static int session_status(ksef_client *c, const char *ref,
			  const struct session_opts *o)
{
	ksef_api_session_status *ss = NULL;
	char created[KSEF_TIME_BUFSZ], updated[KSEF_TIME_BUFSZ];
	size_t i;
	int rc;

	if ((rc = get_status(&ss, c, ref, o)) != CLI_OK)
		return rc;
	cli_time_ms_text(created, ss->date_created_ms);
	cli_time_ms_text(updated, ss->date_updated_ms);
	/* A failed session is a refusal, whatever the output. */
	if (ss->status->code >= 400)
		rc = cli_fail(CLI_F_REJECTED, NULL, "session %s failed: %d %s",
			      ref, ss->status->code, ss->status->description ?
			      ss->status->description : "");
	if (cli_out_json()) {
		json_t *obj = json_pack("{s:s,s:o,s:s,s:s,s:I}",
			"referenceNumber", ref,
			"status", status_json(ss->status),
			"dateCreated", created, "dateUpdated", updated,
			"upoPageCount", (json_int_t)ksef_api_upo_pages_count(ss->upo_pages));

		/* Counts the server left out stay out. */
		if (ss->invoice_count >= 0)
			json_object_set_new(obj, "invoiceCount",
				json_integer((json_int_t)ss->invoice_count));
		if (ss->successful_invoice_count >= 0)
			json_object_set_new(obj, "successfulInvoiceCount",
				json_integer((json_int_t)
					     ss->successful_invoice_count));
		if (ss->failed_invoice_count >= 0)
			json_object_set_new(obj, "failedInvoiceCount",
				json_integer((json_int_t)
					     ss->failed_invoice_count));
		cli_json_print(obj);
	} else {
		printf("session %s: %d %s\n", ref, ss->status->code,
		       ss->status->description ? ss->status->description : "");
		for (i = 0; i < ss->status->detail_count; i++)
			printf("  %s\n", ss->status->details[i]);
		/* A count the server left out (-1) is shown as none. */
		printf("invoices: %lld (%lld accepted, %lld failed)\n",
		       (long long)(ss->invoice_count > 0 ?
				   ss->invoice_count : 0),
		       (long long)(ss->successful_invoice_count > 0 ?
				   ss->successful_invoice_count : 0),
		       (long long)(ss->failed_invoice_count > 0 ?
				   ss->failed_invoice_count : 0));
		printf("opened %s, updated %s, %zu UPO page%s\n", created,
		       updated, ksef_api_upo_pages_count(ss->upo_pages),
		       ksef_api_upo_pages_count(ss->upo_pages) == 1 ? "" : "s");
	}
	ksef_api_session_status_free(ss);
	return rc;
}

/*
 * Call fn for every invoice of the session, page by page. Returns CLI_OK
 * or an exit code after reporting why.
 */
static int each_invoice(ksef_client *c, const char *ref, int failed,
	int (*fn)(void *ctx, const ksef_api_invoice_status *inv), void *ctx)
{
	ksef_api_invoice_list *page = NULL;
	ksef_error err = { 0, 0, "" };
	char *cont = NULL;
	size_t i, pages = 0;
	int rc = CLI_OK;

	do {
		if ((rc = ksef_client_session_invoices(&page, c, ref, failed,
						       100, cont, &err)) != 0) {
			rc = cli_fail_ksef(rc, ksef_client_last_error(c),
					   "invoices of session %s: %s", ref,
					   err.message);
			break;
		}
		for (i = 0; i < ksef_api_invoice_list_count(page) && rc == CLI_OK; i++)
			rc = fn(ctx, ksef_api_invoice_list_at(page, i));
		free(cont);
		cont = NULL;
		if (ksef_api_invoice_list_continuation(page) != NULL &&
		    (cont = strdup(ksef_api_invoice_list_continuation(page))) == NULL)
			rc = cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
		ksef_api_invoice_list_free(page);
		page = NULL;
		/* A server that hands out continuations forever must not
		 * keep us here: no session has this many pages. */
		if (++pages > 100000 && cont != NULL)
			rc = cli_fail(CLI_F_SERVER, NULL, "invoices of session "
				      "%s: too many pages", ref);
	} while (rc == CLI_OK && cont != NULL);
	free(cont);
	return rc;
}

struct list_ctx {
	json_t *arr;
	int any_failed;
};

static int list_one(void *ctx, const ksef_api_invoice_status *inv)
{
	struct list_ctx *l = ctx;

	if (inv->status->code >= 400)
		l->any_failed = 1;
	if (l->arr != NULL) {
		struct cli_invoice_status st = CLI_INVOICE_STATUS_INIT;

		st.ordinal = inv->ordinal_number;
		st.reference_number = inv->reference_number;
		st.invoice_number = inv->invoice_number;
		st.ksef_number = inv->ksef_number;
		st.status = inv->status->code;
		st.description = inv->status->description;
		st.details = inv->status->details;
		st.detail_count = inv->status->detail_count;
		json_array_append_new(l->arr, cli_invoice_status_json(&st));
		return CLI_OK;
	}
	printf("%d\t%s\t%d\t%s", inv->ordinal_number,
	       inv->reference_number ? inv->reference_number : "?",
	       inv->status->code, inv->ksef_number ? inv->ksef_number :
	       inv->status->description ? inv->status->description : "");
	if (inv->ksef_number == NULL && inv->status->detail_count > 0)
		printf(": %s", inv->status->details[0]);
	putchar('\n');
	return CLI_OK;
}

static int session_invoices(ksef_client *c, const char *ref,
			    const struct session_opts *o)
{
	struct list_ctx l = { cli_out_json() ? json_array() : NULL, 0 };
	int rc = each_invoice(c, ref, o->failed, list_one, &l);

	if (l.arr != NULL)
		cli_json_print(json_pack("{s:s,s:O}", "sessionReferenceNumber",
					 ref, "invoices", l.arr));
	json_decref(l.arr);
	return rc;
}

struct upo_ctx {
	ksef_client *c;
	const char *ref, *dir;
	json_t *files;
};

static int save(const char *dir, const char *name, const ksef_buf *b,
		json_t *files)
{
	ksef_error err = { 0, 0, "" };
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (cli_write_file(path, b->ptr, b->size, 0644, &err) != 0)
		return cli_fail(CLI_F_IO, NULL, "%s", err.message);
	if (files != NULL)
		json_array_append_new(files, json_string(path));
	else
		printf("%s\n", path);
	return CLI_OK;
}

static int upo_one(void *ctx, const ksef_api_invoice_status *inv)
{
	struct upo_ctx *u = ctx;
	ksef_buf b = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	char name[128];
	int rc;

	if (inv->status->code != 200 || inv->ksef_number == NULL ||
	    inv->reference_number == NULL)
		return CLI_OK;
	if (!safe_name(inv->ksef_number))
		return cli_fail(CLI_F_SERVER, NULL, "session %s: the server "
				"sent an odd KSeF number; not used as a file "
				"name", u->ref);
	if ((rc = ksef_client_upo_by_invoice_ref(&b, u->c, u->ref,
				inv->reference_number, &err)) != 0)
		return cli_fail_ksef(rc, ksef_client_last_error(u->c),
				     "UPO of %s: %s", inv->ksef_number,
				     err.message);
	snprintf(name, sizeof(name), "%s.xml", inv->ksef_number);
	rc = save(u->dir, name, &b, u->files);
	ksef_buf_dispose(&b);
	return rc;
}

static int session_upo(ksef_client *c, const char *ref,
		       const struct session_opts *o)
{
	ksef_api_session_status *ss = NULL;
	struct upo_ctx u = { c, ref, o->out,
			     cli_out_json() ? json_array() : NULL };
	ksef_error err = { 0, 0, "" };
	char name[256];
	size_t i;
	int rc, code;

	if (cli_make_dirs(o->out, 0755, &err) != 0)
		return cli_fail(CLI_F_IO, NULL, "%s", err.message);
	if ((rc = get_status(&ss, c, ref, o)) != CLI_OK)
		goto out;
	code = ss->status->code;
	if (ksef_api_upo_pages_count(ss->upo_pages) == 0 &&
	    (code == KSEF_SESSION_CODE_CANCELLED ||
	     code == KSEF_SESSION_CODE_NO_VALID ||
	     code == KSEF_SESSION_CODE_DECRYPT)) {
		/* A session that ended so has no invoice in KSeF, and KSeF
		 * makes no UPO for it: waiting would be in vain. */
		rc = cli_fail(CLI_F_REJECTED, NULL, "session %s ended with "
			      "status %d (%s): no invoice of it is in KSeF, "
			      "so no UPO will come", ref, code,
			      ss->status->description ? ss->status->description :
			      "");
		goto out;
	}
	if (ksef_api_upo_pages_count(ss->upo_pages) == 0) {
		rc = cli_fail(CLI_F_REJECTED, NULL, "session %s has no UPO "
			      "yet (status %d %s); close it, then try again "
			      "or use --wait", ref, code,
			      ss->status->description ? ss->status->description :
			      "");
		goto out;
	}
	for (i = 0; i < ksef_api_upo_pages_count(ss->upo_pages) && rc == CLI_OK; i++) {
		const ksef_api_upo_page *p = ksef_api_upo_pages_at(ss->upo_pages, i);
		ksef_buf b = KSEF_BUF_INIT;
		int r;

		if (p->reference_number == NULL ||
		    !safe_name(p->reference_number)) {
			rc = cli_fail(CLI_F_SERVER, NULL, "session %s: the "
				      "server sent an odd UPO page number",
				      ref);
			break;
		}
		if ((r = ksef_client_upo_session_page(&b, c, ref,
				p->reference_number, &err)) != 0) {
			rc = cli_fail_ksef(r, ksef_client_last_error(c),
					   "UPO page %s: %s",
					   p->reference_number, err.message);
			break;
		}
		snprintf(name, sizeof(name), "session-%s-%zu.xml", ref, i + 1);
		rc = save(o->out, name, &b, u.files);
		ksef_buf_dispose(&b);
	}
	if (rc == CLI_OK)
		rc = each_invoice(c, ref, 0, upo_one, &u);
out:
	ksef_api_session_status_free(ss);
	if (u.files != NULL)
		cli_json_print(json_pack("{s:s,s:O}", "sessionReferenceNumber",
					 ref, "files", u.files));
	json_decref(u.files);
	return rc;
}

/* Every subcommand: argv[0] is its name; the options are shared and
 * each takes those allowed() lets it. */
static int session_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "form", required_argument, NULL, OPT_FORM },
		{ "session", required_argument, NULL, OPT_SESSION },
		{ "failed", no_argument, NULL, OPT_FAILED },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct session_opts o = { NULL, NULL, NULL, NULL, 0, 0, 300 };
	struct cli_login l = CLI_LOGIN_INIT;
	ksef_client *client = NULL;
	const char *sub = argv[0], *ref = NULL;
	char refbuf[128];
	int c, rc, nargs;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(cli_usage_session, stdout);
			return CLI_OK;
		}
		if (c == '?' || !allowed(sub, c)) {
			if (c != '?')
				cli_fail(CLI_F_USAGE, NULL, "%s does not take "
					 "%s", sub, argv[optind - 1]);
			fputs(cli_usage_session, stderr);
			return CLI_USAGE;
		}
		switch (c) {
		case CLI_OPT_STATE: o.state = optarg; break;
		case OPT_FORM: o.form = optarg; break;
		case OPT_SESSION: o.session = optarg; break;
		case OPT_FAILED: o.failed = 1; break;
		case OPT_OUT: o.out = optarg; break;
		case OPT_WAIT: o.wait = 1; break;
		case OPT_JSON: break; /* main.c saw it */
		case OPT_TIMEOUT:
			if (cli_parse_seconds(&o.timeout_s, optarg,
					      86400) != 0)
				return cli_fail(CLI_F_USAGE, NULL, "--timeout "
						"must be 1 to 86400 seconds");
			break;
		}
	}
	nargs = argc - optind;
	if (strcmp(sub, "send") != 0) {
		if (nargs > (strcmp(sub, "open") == 0 ? 0 : 1))
			return cli_fail(CLI_F_USAGE, NULL, "%s: unexpected "
					"'%s'", sub, argv[argc - 1]);
		if (nargs == 1)
			ref = argv[optind];
		if (ref == NULL)
			ref = o.session;
	}
	if (strcmp(sub, "upo") == 0 && o.out == NULL)
		return cli_fail(CLI_F_USAGE, NULL, "upo needs --out DIR");
	if ((rc = cli_login_load(&l, o.state)) != CLI_OK)
		goto out;
	if (strcmp(sub, "open") != 0 && strcmp(sub, "send") != 0) {
		if ((ref = cli_login_session_ref(&l, ref)) == NULL) {
			rc = CLI_USAGE;
			goto out;
		}
		/* Copied: saving the state may free the string. */
		snprintf(refbuf, sizeof(refbuf), "%s", ref);
		ref = refbuf;
		if (!safe_name(ref) || strlen(ref) != KSEF_REFNUM_LEN) {
			rc = cli_fail(CLI_F_USAGE, NULL, "'%s' is not a "
				      "session reference number", ref);
			goto out;
		}
	}
	if (strcmp(sub, "open") == 0)
		rc = session_open(&l, &o);
	else if (strcmp(sub, "send") == 0)
		rc = session_send(&l, &o, nargs, argv + optind);
	else if (strcmp(sub, "close") == 0)
		rc = session_close(&l, ref);
	else if ((rc = cli_login_client(&client, &l)) != CLI_OK)
		goto out;
	else if (strcmp(sub, "status") == 0)
		rc = session_status(client, ref, &o);
	else if (strcmp(sub, "invoices") == 0)
		rc = session_invoices(client, ref, &o);
	else
		rc = session_upo(client, ref, &o);
	/* A token renewed on the way is kept for the next command. */
	if (cli_login_save(&l) != CLI_OK && rc == CLI_OK)
		rc = CLI_FAILED;
out:
	ksef_client_free(client);
	cli_login_dispose(&l);
	return rc;
}

int cmd_session_step(int argc, char **argv)
{
	return session_main(argc, argv);
}
