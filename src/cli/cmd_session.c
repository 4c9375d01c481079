/*
 * cmd_session.c - `ksef session open|send|close|status|invoices|upo`: an
 * interactive session one step at a time, with the tokens `ksef auth
 * login` saved. open makes a fresh AES key and keeps it, Base64, in the
 * state file next to the tokens, so that later `ksef session send` calls
 * can encrypt with it; close forgets it. The state file's format and
 * permissions belong to config.c; `ksef send` does all steps in one run.
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

static const char usage_text[] =
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
"  --json             status, invoices, send, open: JSON on standard output\n"
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
	int failed, wait, json, timeout_s;
};

/* Which options each subcommand takes, by option code. */
static int allowed(const char *sub, int opt)
{
	switch (opt) {
	case CLI_OPT_STATE: return 1;
	case OPT_FORM: return strcmp(sub, "open") == 0;
	case OPT_SESSION:
		return strcmp(sub, "send") == 0 || strcmp(sub, "close") == 0;
	case OPT_FAILED: return strcmp(sub, "invoices") == 0;
	case OPT_OUT: return strcmp(sub, "upo") == 0;
	case OPT_WAIT:
	case OPT_TIMEOUT:
		return strcmp(sub, "status") == 0 || strcmp(sub, "upo") == 0;
	case OPT_JSON:
		return strcmp(sub, "upo") != 0 && strcmp(sub, "close") != 0;
	default: return 0;
	}
}

static void print_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(o);
}

/* The session a command is about: REF given, else the last opened. */
static const char *session_ref(const struct cli_state *st, const char *given)
{
	const char *ref = given ? given : cli_json_str(st->root,
						       "currentSession");

	if (ref == NULL)
		cli_error(CMD, "no session: open one with 'ksef session "
			  "open' or name it");
	return ref;
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

static int session_open(struct cli_state *st, ksef_client *c,
			const struct session_opts *o)
{
	ksef_form form = KSEF_FORM_FA3;
	ksef_pubkey *pub = NULL;
	ksef_envelope *env = NULL;
	ksef_api_session_opened *opened = NULL;
	ksef_buf key = KSEF_BUF_INIT, iv = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	json_t *sessions, *entry;
	char reason[512], until[KSEF_TIME_BUFSZ], shown[KSEF_TIME_BUFSZ];
	int rc;

	if (o->form != NULL && cli_parse_form(&form, o->form) != 0) {
		cli_error(CMD, "unknown form '%s'", o->form);
		return CLI_USAGE;
	}
	if ((pub = cli_pick_key(c, KSEF_KEY_USAGE_SYMMETRIC_KEY, &err)) ==
		    NULL ||
	    (rc = ksef_envelope_new(&env, &err)) != 0 ||
	    (rc = ksef_client_session_open(&opened, c, form, env, pub,
					   &err)) != 0) {
		cli_api_reason(reason, sizeof(reason), c, &err);
		cli_error(CMD, "opening a session: %s", reason);
		rc = cli_api_exit(c, err.code);
		goto out;
	}
	if (ksef_base64_encode(&key, ksef_envelope_key(env), KSEF_AES_KEY_LEN,
			       &err) != 0 ||
	    ksef_base64_encode(&iv, ksef_envelope_iv(env), KSEF_AES_IV_LEN,
			       &err) != 0 ||
	    ksef_time_format(until, ksef_time_warsaw(opened->valid_until_ms),
			     &err) != 0) {
		cli_error(CMD, "%s", err.message);
		rc = CLI_FAILED;
		goto out;
	}
	sessions = json_object_get(st->root, "sessions");
	if (!json_is_object(sessions)) {
		sessions = json_object();
		json_object_set_new(st->root, "sessions", sessions);
	}
	entry = json_pack("{s:s,s:s,s:s,s:s}", "formCode",
		ksef_form_code_of(form).system_code, "key",
		(const char *)key.ptr, "iv", (const char *)iv.ptr, "validUntil",
		until);
	if (entry == NULL ||
	    json_object_set_new(sessions, opened->reference_number,
				entry) != 0 ||
	    json_object_set_new(st->root, "currentSession",
			json_string(opened->reference_number)) != 0) {
		cli_error(CMD, "out of memory");
		rc = CLI_FAILED;
		goto out;
	}
	if ((rc = cli_state_save(st, &err)) != CLI_OK) {
		cli_error(CMD, "session %s is open, but its key could not be "
			  "saved: %s", opened->reference_number, err.message);
		goto out;
	}
	cli_time_text(shown, ksef_time_warsaw(opened->valid_until_ms));
	if (o->json)
		print_json(json_pack("{s:s,s:s,s:s}", "referenceNumber",
			opened->reference_number, "formCode",
			ksef_form_code_of(form).system_code, "validUntil",
			until));
	else
		printf("session %s opened for %s, valid until %s\n",
		       opened->reference_number,
		       ksef_form_code_of(form).system_code, shown);
out:
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&iv);
	ksef_api_session_opened_free(opened);
	ksef_envelope_free(env);
	ksef_pubkey_free(pub);
	return rc;
}

/* The session's envelope from the key saved at open. */
static int load_envelope(ksef_envelope **out, ksef_form *form,
			 struct cli_state *st, const char *ref)
{
	json_t *entry = json_object_get(json_object_get(st->root, "sessions"),
					ref);
	const char *k = cli_json_str(entry, "key"),
		   *v = cli_json_str(entry, "iv"),
		   *f = cli_json_str(entry, "formCode");
	ksef_buf key = KSEF_BUF_INIT, iv = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	int rc = CLI_FAILED;

	if (entry == NULL) {
		cli_error(CMD, "no key for session %s here: it was closed, or "
			  "opened with another state file", ref);
		return CLI_REJECTED;
	}
	if (k == NULL || v == NULL || f == NULL ||
	    cli_parse_form(form, f) != 0) {
		cli_error(CMD, "%s: session %s is damaged", st->path, ref);
		return CLI_FAILED;
	}
	if (ksef_base64_decode(&key, k, strlen(k), KSEF_AES_KEY_LEN,
			       &err) != 0 ||
	    ksef_base64_decode(&iv, v, strlen(v), KSEF_AES_IV_LEN, &err) != 0 ||
	    ksef_envelope_from_key(out, key.ptr, key.size, iv.ptr, iv.size,
				   &err) != 0)
		cli_error(CMD, "%s: session %s: %s", st->path, ref,
			  err.message);
	else
		rc = CLI_OK;
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&iv);
	return rc;
}

static int session_send(struct cli_state *st, ksef_client *c,
			const struct session_opts *o, int nfiles, char **files)
{
	const char *ref = session_ref(st, o->session);
	ksef_envelope *env = NULL;
	ksef_buf doc = KSEF_BUF_INIT;
	json_t *arr = o->json ? json_array() : NULL;
	ksef_form form, f;
	int i, rc;

	if (ref == NULL)
		return CLI_USAGE;
	if (nfiles == 0) {
		cli_error(CMD, "send needs at least one FILE");
		return CLI_USAGE;
	}
	if ((rc = load_envelope(&env, &form, st, ref)) != CLI_OK)
		return rc;
	for (i = 0; i < nfiles; i++) {
		ksef_error err = { 0, 0, "" };
		char inv_ref[KSEF_REFNUM_BUFSZ], reason[512];
		int r;

		if (cli_read_file(&doc, files[i], KSEF_INVOICE_MAX_BYTES,
				  &err) != 0) {
			snprintf(reason, sizeof(reason), "%s", err.message);
			r = err.code == KSEF_ETOOBIG ? CLI_REJECTED :
						       CLI_FAILED;
		} else if (ksef_form_detect(&f, doc.ptr, doc.size, &err) == 0 &&
			   f != form) {
			snprintf(reason, sizeof(reason),
				 "is %s but the session is for %s",
				 ksef_form_code_of(f).system_code,
				 ksef_form_code_of(form).system_code);
			r = CLI_REJECTED;
		} else if ((r = ksef_client_invoice_send(inv_ref, NULL, c, ref,
					env, doc.ptr, doc.size, NULL,
					&err)) != 0) {
			cli_api_reason(reason, sizeof(reason), c, &err);
			r = cli_api_exit(c, r);
		} else {
			r = CLI_OK;
		}
		if (r != CLI_OK) {
			cli_error(CMD, "%s: %s", files[i], reason);
			if (arr != NULL)
				json_array_append_new(arr, json_pack(
					"{s:s,s:s}", "file", files[i],
					"error", reason));
			/* Could-not-run outranks a rejection. */
			if (rc != CLI_FAILED)
				rc = r;
			continue;
		}
		if (arr != NULL)
			json_array_append_new(arr, json_pack("{s:s,s:s}",
				"file", files[i], "referenceNumber", inv_ref));
		else
			printf("%s: %s\n", files[i], inv_ref);
	}
	if (arr != NULL)
		print_json(json_pack("{s:s,s:o}", "sessionReferenceNumber", ref,
				     "invoices", arr));
	ksef_buf_dispose(&doc);
	ksef_envelope_free(env);
	return rc;
}

static int session_close(struct cli_state *st, ksef_client *c,
			 const struct session_opts *o)
{
	const char *ref = session_ref(st, o->session);
	json_t *sessions = json_object_get(st->root, "sessions");
	ksef_error err = { 0, 0, "" };
	char reason[512], keep[128];
	int rc;

	if (ref == NULL)
		return CLI_USAGE;
	snprintf(keep, sizeof(keep), "%s", ref);
	if ((rc = ksef_client_session_close(c, keep, &err)) != 0) {
		cli_api_reason(reason, sizeof(reason), c, &err);
		cli_error(CMD, "closing session %s: %s", keep, reason);
		return cli_api_exit(c, rc);
	}
	/* Nothing more can be sent, so the key is of no more use: forget
	 * it. */
	if (json_is_object(sessions)) {
		cli_json_wipe(json_object_get(sessions, keep));
		json_object_del(sessions, keep);
	}
	json_object_set_new(st->root, "currentSession", json_string(keep));
	if (cli_state_save(st, &err) != CLI_OK) {
		cli_error(CMD, "%s", err.message);
		return CLI_FAILED;
	}
	printf("session %s closed; KSeF now verifies its invoices and makes "
	       "the UPO\n", keep);
	return CLI_OK;
}

/* Get the session's status, waiting while it is 100 or 170 if asked. */
static int get_status(ksef_api_session_status **out, ksef_client *c,
		      const char *ref, const struct session_opts *o)
{
	ksef_error err = { 0, 0, "" };
	char reason[512];
	time_t until = time(NULL) + o->timeout_s;
	long wait_ms = 200;
	int rc;

	for (;;) {
		if ((rc = ksef_client_session_status(out, c, ref, &err)) != 0) {
			cli_api_reason(reason, sizeof(reason), c, &err);
			cli_error(CMD, "session %s: %s", ref, reason);
			return cli_api_exit(c, rc);
		}
		if (!o->wait || ((*out)->status->code != 100 &&
				 (*out)->status->code != 170))
			return CLI_OK;
		if (time(NULL) >= until) {
			cli_error(CMD, "session %s still has status %d after "
				  "%d s", ref, (*out)->status->code,
				  o->timeout_s);
			ksef_api_session_status_free(*out);
			*out = NULL;
			return CLI_FAILED;
		}
		ksef_api_session_status_free(*out);
		*out = NULL;
		cli_sleep_ms(wait_ms);
		if (wait_ms < 2000)
			wait_ms *= 2;
	}
}

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
	cli_time_text(created, ksef_time_warsaw(ss->date_created_ms));
	cli_time_text(updated, ksef_time_warsaw(ss->date_updated_ms));
	if (o->json) {
		json_t *obj = json_pack("{s:s,s:o,s:s,s:s,s:I}",
			"referenceNumber", ref,
			"status", status_json(ss->status),
			"dateCreated", created, "dateUpdated", updated,
			"upoPageCount",
			(json_int_t)ksef_api_upo_pages_count(ss->upo_pages));

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
		print_json(obj);
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
		size_t pages = ksef_api_upo_pages_count(ss->upo_pages);

		printf("opened %s, updated %s, %zu UPO page%s\n", created,
		       updated, pages, pages == 1 ? "" : "s");
	}
	rc = ss->status->code >= 400 ? CLI_REJECTED : CLI_OK;
	ksef_api_session_status_free(ss);
	return rc;
}

/*
 * Call fn for every invoice of the session, page by page. Returns CLI_OK
 * or an exit code after printing why.
 */
static int each_invoice(ksef_client *c, const char *ref, int failed,
	int (*fn)(void *ctx, const ksef_api_invoice_status *inv), void *ctx)
{
	ksef_api_invoice_list *page = NULL;
	ksef_error err = { 0, 0, "" };
	char *cont = NULL, reason[512];
	size_t i, pages = 0;
	int rc = CLI_OK;

	do {
		if ((rc = ksef_client_session_invoices(&page, c, ref, failed,
						       100, cont, &err)) != 0) {
			cli_api_reason(reason, sizeof(reason), c, &err);
			cli_error(CMD, "invoices of session %s: %s", ref,
				  reason);
			rc = cli_api_exit(c, rc);
			break;
		}
		for (i = 0; i < ksef_api_invoice_list_count(page) &&
			    rc == CLI_OK; i++)
			rc = fn(ctx, ksef_api_invoice_list_at(page, i));
		free(cont);
		cont = NULL;
		if (ksef_api_invoice_list_continuation(page) != NULL &&
		    (cont = strdup(ksef_api_invoice_list_continuation(
			    page))) == NULL) {
			cli_error(CMD, "out of memory");
			rc = CLI_FAILED;
		}
		ksef_api_invoice_list_free(page);
		page = NULL;
		/* A server that hands out continuations forever must not
		 * keep us here: no session has this many pages. */
		if (++pages > 100000 && cont != NULL) {
			cli_error(CMD, "invoices of session %s: too many pages",
				  ref);
			rc = CLI_FAILED;
		}
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
		json_t *o = json_pack("{s:i,s:s?,s:s?,s:s?,s:o}",
			"ordinalNumber", inv->ordinal_number, "referenceNumber",
			inv->reference_number, "invoiceNumber",
			inv->invoice_number, "ksefNumber", inv->ksef_number,
			"status", status_json(inv->status));

		json_array_append_new(l->arr, o);
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
	struct list_ctx l = { o->json ? json_array() : NULL, 0 };
	int rc = each_invoice(c, ref, o->failed, list_one, &l);

	if (rc == CLI_OK && l.arr != NULL)
		print_json(json_pack("{s:s,s:O}", "sessionReferenceNumber", ref,
				     "invoices", l.arr));
	json_decref(l.arr);
	return rc;
}

struct upo_ctx {
	ksef_client *c;
	const char *ref, *dir;
	int count;
};

static int save(const char *dir, const char *name, const ksef_buf *b)
{
	ksef_error err = { 0, 0, "" };
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (cli_write_file(path, b->ptr, b->size, 0644, &err) != 0) {
		cli_error(CMD, "%s", err.message);
		return CLI_FAILED;
	}
	printf("%s\n", path);
	return CLI_OK;
}

static int upo_one(void *ctx, const ksef_api_invoice_status *inv)
{
	struct upo_ctx *u = ctx;
	ksef_buf b = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	char name[128], reason[512];
	int rc;

	if (inv->status->code != 200 || inv->ksef_number == NULL ||
	    inv->reference_number == NULL)
		return CLI_OK;
	if (!safe_name(inv->ksef_number)) {
		cli_error(CMD, "session %s: the server sent an odd KSeF "
			  "number; not used as a file name", u->ref);
		return CLI_FAILED;
	}
	if ((rc = ksef_client_upo_by_invoice_ref(&b, u->c, u->ref,
				inv->reference_number, &err)) != 0) {
		cli_api_reason(reason, sizeof(reason), u->c, &err);
		cli_error(CMD, "UPO of %s: %s", inv->ksef_number, reason);
		return cli_api_exit(u->c, rc);
	}
	snprintf(name, sizeof(name), "%s.xml", inv->ksef_number);
	rc = save(u->dir, name, &b);
	ksef_buf_dispose(&b);
	u->count++;
	return rc;
}

static int session_upo(ksef_client *c, const char *ref,
		       const struct session_opts *o)
{
	ksef_api_session_status *ss = NULL;
	struct upo_ctx u = { c, ref, o->out, 0 };
	ksef_error err = { 0, 0, "" };
	char reason[512], name[256];
	size_t i;
	int rc;

	if (o->out == NULL) {
		cli_error(CMD, "upo needs --out DIR");
		return CLI_USAGE;
	}
	if (!safe_name(ref)) {
		cli_error(CMD, "'%s' is not a session reference number", ref);
		return CLI_USAGE;
	}
	if (cli_make_dirs(o->out, 0755, &err) != 0) {
		cli_error(CMD, "%s", err.message);
		return CLI_FAILED;
	}
	if ((rc = get_status(&ss, c, ref, o)) != CLI_OK)
		return rc;
	if (ksef_api_upo_pages_count(ss->upo_pages) == 0) {
		cli_error(CMD, "session %s has no UPO yet (status %d %s); "
			  "close it, then try again or use --wait", ref,
			  ss->status->code, ss->status->description ?
			  ss->status->description : "");
		ksef_api_session_status_free(ss);
		return CLI_REJECTED;
	}
	for (i = 0; i < ksef_api_upo_pages_count(ss->upo_pages) &&
		    rc == CLI_OK; i++) {
		const ksef_api_upo_page *p =
			ksef_api_upo_pages_at(ss->upo_pages, i);
		ksef_buf b = KSEF_BUF_INIT;
		int r;

		if (p->reference_number == NULL ||
		    !safe_name(p->reference_number)) {
			cli_error(CMD, "session %s: the server sent an odd UPO "
				  "page number", ref);
			rc = CLI_FAILED;
			break;
		}
		if ((r = ksef_client_upo_session_page(&b, c, ref,
				p->reference_number, &err)) != 0) {
			cli_api_reason(reason, sizeof(reason), c, &err);
			cli_error(CMD, "UPO page %s: %s", p->reference_number,
				  reason);
			rc = cli_api_exit(c, r);
			break;
		}
		snprintf(name, sizeof(name), "session-%s-%zu.xml", ref, i + 1);
		rc = save(o->out, name, &b);
		ksef_buf_dispose(&b);
	}
	ksef_api_session_status_free(ss);
	if (rc == CLI_OK)
		rc = each_invoice(c, ref, 0, upo_one, &u);
	return rc;
}

int cmd_session(int argc, char **argv)
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
	static const char *const subs[] = { "open", "send", "close", "status",
					    "invoices", "upo" };
	struct session_opts o = { NULL, NULL, NULL, NULL, 0, 0, 0, 300 };
	struct cli_state st = { NULL, NULL };
	ksef_client *client = NULL;
	ksef_error err = { 0, 0, "" };
	const char *sub, *ref = NULL;
	char refbuf[128];
	size_t i;
	int c, rc, nargs;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return CLI_USAGE;
	}
	sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(sub, subs[i]) == 0)
			break;
	if (i == sizeof(subs) / sizeof(subs[0])) {
		cli_error(CMD, "unknown subcommand '%s' (open, send, close, "
			  "status, invoices, upo)", sub);
		return CLI_USAGE;
	}
	optind = 1;
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return CLI_OK;
		}
		if (c == '?' || !allowed(sub, c)) {
			if (c != '?')
				cli_error(CMD, "%s does not take %s", sub,
					  argv[optind - 1]);
			fputs(usage_text, stderr);
			return CLI_USAGE;
		}
		switch (c) {
		case CLI_OPT_STATE: o.state = optarg; break;
		case OPT_FORM: o.form = optarg; break;
		case OPT_SESSION: o.session = optarg; break;
		case OPT_FAILED: o.failed = 1; break;
		case OPT_OUT: o.out = optarg; break;
		case OPT_WAIT: o.wait = 1; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_TIMEOUT:
			if (cli_parse_seconds(&o.timeout_s, optarg,
					      86400) != 0) {
				cli_error(CMD, "--timeout must be 1 to 86400 "
					  "seconds");
				return CLI_USAGE;
			}
			break;
		}
	}
	nargs = argc - optind;
	if (strcmp(sub, "send") != 0) {
		if (nargs > (strcmp(sub, "open") == 0 ? 0 : 1)) {
			cli_error(CMD, "%s: unexpected '%s'", sub,
				  argv[argc - 1]);
			return CLI_USAGE;
		}
		if (nargs == 1)
			ref = argv[optind];
		if (ref == NULL)
			ref = o.session;
	}
	if ((rc = cli_state_load(&st, o.state, &err)) != CLI_OK) {
		cli_error(CMD, "%s", err.message);
		goto out;
	}
	if (strcmp(sub, "open") != 0 && strcmp(sub, "send") != 0) {
		if ((ref = session_ref(&st, ref)) == NULL) {
			rc = CLI_USAGE;
			goto out;
		}
		/* Copied: saving the state may free the string. */
		snprintf(refbuf, sizeof(refbuf), "%s", ref);
		ref = refbuf;
	}
	if ((rc = cli_state_client(&client, &st, CMD)) != CLI_OK)
		goto out;
	if (strcmp(sub, "open") == 0)
		rc = session_open(&st, client, &o);
	else if (strcmp(sub, "send") == 0)
		rc = session_send(&st, client, &o, nargs, argv + optind);
	else if (strcmp(sub, "close") == 0) {
		o.session = ref;
		rc = session_close(&st, client, &o);
	} else if (strcmp(sub, "status") == 0)
		rc = session_status(client, ref, &o);
	else if (strcmp(sub, "invoices") == 0)
		rc = session_invoices(client, ref, &o);
	else
		rc = session_upo(client, ref, &o);
out:
	ksef_client_free(client);
	cli_state_dispose(&st);
	return rc;
}
