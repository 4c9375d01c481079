/*
 * console_pages.c - the console's pages, each made from the store as it is
 * at that moment (docs/console.md):
 *
 *   /                               the contexts the store holds
 *   /contexts/{type}/{value}        a context's KSeF tokens, the grants
 *                                   that work in it and its sessions
 *   /sessions/{ref}                 a session: status, its history, UPO
 *                                   pages, its invoices
 *   /sessions/{ref}/upo/{n}         page n of its UPO (a download)
 *   /invoices/{ref}                 an invoice: status, details, KSeF
 *                                   number, and the invoice itself
 *   /invoices/{ref}/invoice.xml     its XML (a download)
 *   /invoices/{ref}/upo.xml         its UPO (a download)
 *   /faults                         the fault plan and its rules' counts
 *
 * Statuses are the stored ones: what the API shows with a processing delay
 * or a fault's hold (150 for a while) is the API's presentation, and the
 * console shows what is decided. Every list is paged, so one page reads a
 * bounded number of rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "api.h"
#include "console_int.h"
#include "context.h"
#include "util/util.h"
#include "invoice_html.h"
#include "upo_service.h"

/* Rows on one page of each list. */
#define CONTEXTS_PAGE 50
#define SESSIONS_PAGE 50
#define INVOICES_PAGE 100
#define TOKENS_MAX 100
#define GRANTS_MAX 200

/* Path segments: the longest path has four, none longer than a
 * reference number or a context's value. */
#define SEGMENTS_MAX 4
#define SEGMENT_SZ 80

/* ---- small pieces ---- */

/* A query argument, or NULL (also when the request has none at all). */
static const char *query(struct console_req *r, const char *name)
{
	return r->arg != NULL ? r->arg(r->arg_cls, name) : NULL;
}

/* The class that colours a status: decided well, refused, or waiting. */
static const char *status_class(int status)
{
	return status == 200 ? "ok" : status >= 300 ? "bad" : "wait";
}

static void status_cell(struct console_req *r, int status, const char *desc)
{
	console_fmt(r, "<span class=\"%s\">%d</span> ", status_class(status),
		    status);
	console_text(r, desc);
}

/* Open a definition row of a <dl>. */
static void term(struct console_req *r, const char *name)
{
	console_raw(r, "<dt>");
	console_raw(r, name);
	console_raw(r, "</dt><dd>");
}

static void term_text(struct console_req *r, const char *name,
		      const char *text)
{
	term(r, name);
	if (text[0] == '\0')
		console_raw(r, "<span class=\"empty\">none</span>");
	else
		console_text(r, text);
	console_raw(r, "</dd>");
}

static void term_time(struct console_req *r, const char *name, int64_t ms)
{
	term(r, name);
	console_time(r, ms);
	console_raw(r, "</dd>");
}

/* A status's details as stored: a JSON array of strings, one item each. */
static void details_list(struct console_req *r, const char *details)
{
	json_t *arr = details[0] ? json_loads(details, 0, NULL) : NULL;
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		console_raw(r, "<span class=\"empty\">none</span>");
		json_decref(arr);
		return;
	}
	console_raw(r, "<ul class=\"details\">");
	for (i = 0; i < json_array_size(arr); i++) {
		const char *s = json_string_value(json_array_get(arr, i));

		console_raw(r, "<li>");
		console_text(r, s ? s : "");
		console_raw(r, "</li>");
	}
	console_raw(r, "</ul>");
	json_decref(arr);
}

static void empty_row(struct console_req *r, int columns, const char *what)
{
	console_fmt(r, "<tr><td colspan=\"%d\" class=\"empty\">", columns);
	console_text(r, what);
	console_raw(r, "</td></tr>");
}

static int valid_ref(const char *s)
{
	return ksef_refnum_validate(s, strlen(s), NULL) == 0;
}

static void store_problem(struct console_req *r, const ksef_error *err)
{
	/* The store's own words go to the log, not to the page. */
	fprintf(stderr, "ksefd: console: %s\n", err->message);
	console_problem(r, 500, "The store could not be read",
			"Reading the store failed; ksefd's log says why.");
}

/* ---- / ---- */

static void page_contexts(struct console_req *r)
{
	const char *off = query(r, "offset");
	int64_t offset = 0;
	store_context_row *rows = NULL;
	size_t n = 0, i;
	ksef_error err;

	if (off != NULL && util_parse_i64(&offset, off, 0, 100000000) != 0) {
		console_problem(r, 400, "Bad request",
				"offset: a number of rows to skip.");
		return;
	}
	if (store_contexts_list(r->srv->store, (size_t)offset,
				CONTEXTS_PAGE + 1, &rows, &n, &err) != 0) {
		store_problem(r, &err);
		return;
	}
	console_begin(r, "Contexts");
	console_raw(r, "<p>Every context ksefd holds sessions, KSeF tokens or "
		    "permissions for, the most recently active first.</p>"
		    "<table id=\"contexts\"><thead><tr><th>Context</th>"
		    "<th>Sessions</th><th>Invoices</th><th>KSeF tokens</th>"
		    "<th>Permissions</th><th>Last activity</th></tr></thead>"
		    "<tbody>");
	for (i = 0; i < n && i < CONTEXTS_PAGE; i++) {
		console_raw(r, "<tr><td><a href=\"/contexts/");
		console_text(r, rows[i].ctx_type);
		console_raw(r, "/");
		console_text(r, rows[i].ctx_value);
		console_raw(r, "\">");
		console_text(r, rows[i].ctx_type);
		console_raw(r, " ");
		console_text(r, rows[i].ctx_value);
		console_fmt(r, "</a></td><td>%lld</td><td>%lld</td>"
			    "<td>%lld</td><td>%lld</td><td>",
			    (long long)rows[i].sessions,
			    (long long)rows[i].invoices,
			    (long long)rows[i].tokens,
			    (long long)rows[i].permissions);
		console_time(r, rows[i].last_ms);
		console_raw(r, "</td></tr>");
	}
	if (n == 0)
		empty_row(r, 6, "Nothing stored yet.");
	console_raw(r, "</tbody></table>");
	if (n > CONTEXTS_PAGE)
		console_fmt(r, "<p><a rel=\"next\" href=\"/?offset=%lld\">"
			    "More contexts</a></p>",
			    (long long)(offset + CONTEXTS_PAGE));
	console_end(r);
	free(rows);
}

/* ---- /contexts/{type}/{value} ---- */

static void tokens_table(struct console_req *r, const char *type,
			 const char *value)
{
	store_token_query q;
	store_token *t = NULL;
	size_t n = 0, i;
	ksef_error err;

	memset(&q, 0, sizeof(q));
	q.ctx_type = type;
	q.ctx_value = value;
	q.limit = TOKENS_MAX;
	console_raw(r, "<h2>KSeF tokens</h2><table id=\"tokens\"><thead><tr>"
		    "<th>Reference</th><th>Description</th><th>Status</th>"
		    "<th>Permissions</th><th>Author</th><th>Created</th>"
		    "<th>Last used</th></tr></thead><tbody>");
	if (store_tokens_list(r->srv->store, &q, &t, &n, &err) != 0) {
		fprintf(stderr, "ksefd: console: %s\n", err.message);
		empty_row(r, 7, "The tokens could not be read.");
		n = 0;
	} else if (n == 0) {
		empty_row(r, 7, "No KSeF token.");
	}
	for (i = 0; i < n; i++) {
		console_raw(r, "<tr><td class=\"num\">");
		console_text(r, t[i].ref);
		console_raw(r, "</td><td>");
		console_text(r, t[i].description);
		console_raw(r, "</td><td>");
		console_text(r, t[i].status);
		console_raw(r, "</td><td>");
		console_text(r, t[i].permissions);
		console_raw(r, "</td><td>");
		console_text(r, t[i].author_type);
		console_raw(r, " ");
		console_text(r, t[i].author_value);
		console_raw(r, "</td><td>");
		console_time(r, t[i].created_ms);
		console_raw(r, "</td><td>");
		console_time(r, t[i].last_use_ms);
		console_raw(r, "</td></tr>");
	}
	console_raw(r, "</tbody></table>");
	if (n == TOKENS_MAX)
		console_fmt(r, "<p>The newest %d tokens.</p>", TOKENS_MAX);
	free(t);
}

static const char *perm_kind_name(int kind)
{
	switch (kind) {
	case STORE_PERM_PERSON: return "person";
	case STORE_PERM_ENTITY: return "entity";
	case STORE_PERM_AUTHORIZATION: return "authorization";
	case STORE_PERM_INDIRECT: return "indirect";
	case STORE_PERM_SUBUNIT: return "subunit administrator";
	case STORE_PERM_EU_ADMIN: return "EU entity administrator";
	case STORE_PERM_EU_REP: return "EU entity representative";
	default: return "other";
	}
}

static void grants_table(struct console_req *r, const char *type,
			 const char *value)
{
	store_perm_query q;
	store_permission *p = NULL;
	size_t n = 0, i;
	ksef_error err;

	memset(&q, 0, sizeof(q));
	q.ctx_type = type;
	q.ctx_value = value;
	q.owner = 1;
	q.limit = GRANTS_MAX;
	console_raw(r, "<h2>Permissions</h2><table id=\"permissions\"><thead>"
		    "<tr><th>Granted to</th><th>Permission</th><th>Kind</th>"
		    "<th>May delegate</th><th>Granted by</th><th>Since</th>"
		    "</tr></thead><tbody>");
	if (store_permissions_query(r->srv->store, STORE_PERMS_IN_CONTEXT, &q,
				    &p, &n, &err) != 0) {
		fprintf(stderr, "ksefd: console: %s\n", err.message);
		empty_row(r, 6, "The permissions could not be read.");
		n = 0;
	} else if (n == 0) {
		empty_row(r, 6, "No permission granted in this context "
			  "(its owner needs none).");
	}
	for (i = 0; i < n; i++) {
		console_raw(r, "<tr><td>");
		console_text(r, p[i].subject_type);
		console_raw(r, " ");
		console_text(r, p[i].subject_value);
		console_raw(r, "</td><td>");
		console_text(r, p[i].scope);
		console_raw(r, "</td><td>");
		console_raw(r, perm_kind_name(p[i].kind));
		console_raw(r, p[i].can_delegate ? "</td><td>yes" :
			    "</td><td>no");
		console_raw(r, "</td><td>");
		console_text(r, p[i].author_type);
		console_raw(r, " ");
		console_text(r, p[i].author_value);
		console_raw(r, "</td><td>");
		console_time(r, p[i].start_ms);
		console_raw(r, "</td></tr>");
	}
	console_raw(r, "</tbody></table>");
	free(p);
}

/* The cursor of the sessions list: "MS.REF" of the last row shown. */
static int parse_after(const char *s, int64_t *ms, char ref[STORE_REF_SZ])
{
	const char *dot = strchr(s, '.');
	char num[24];

	if (dot == NULL || (size_t)(dot - s) >= sizeof(num) ||
	    !valid_ref(dot + 1))
		return -1;
	memcpy(num, s, (size_t)(dot - s));
	num[dot - s] = '\0';
	if (util_parse_i64(ms, num, 1, INT64_MAX) != 0)
		return -1;
	snprintf(ref, STORE_REF_SZ, "%s", dot + 1);
	return 0;
}

static void sessions_table(struct console_req *r, const char *type,
			   const char *value, int64_t after_ms,
			   const char *after_ref)
{
	store_session_query q;
	store_session *s = NULL;
	size_t n = 0, i;
	ksef_error err;

	memset(&q, 0, sizeof(q));
	q.ctx_type = type;
	q.ctx_value = value;
	q.after_created_ms = after_ms;
	q.after_ref = after_ref;
	q.limit = SESSIONS_PAGE + 1;
	console_raw(r, "<h2>Sessions</h2><table id=\"sessions\"><thead><tr>"
		    "<th>Reference</th><th>Kind</th><th>Status</th>"
		    "<th>Opened</th><th>Closed</th><th>Invoices</th>"
		    "<th>Accepted</th><th>Refused</th></tr></thead><tbody>");
	if (store_sessions_list(r->srv->store, &q, &s, &n, &err) != 0) {
		fprintf(stderr, "ksefd: console: %s\n", err.message);
		empty_row(r, 8, "The sessions could not be read.");
		n = 0;
	} else if (n == 0) {
		empty_row(r, 8, after_ms ? "No older session." :
			  "No session.");
	}
	for (i = 0; i < n && i < SESSIONS_PAGE; i++) {
		int batch = api_session_is_batch(&s[i]);

		console_raw(r, "<tr><td class=\"num\"><a href=\"/sessions/");
		console_text(r, s[i].ref);
		console_raw(r, "\">");
		console_text(r, s[i].ref);
		console_raw(r, batch ? "</a></td><td>batch</td><td>" :
			    "</a></td><td>interactive</td><td>");
		status_cell(r, s[i].status,
			    api_session_description(s[i].status, batch));
		console_raw(r, "</td><td>");
		console_time(r, s[i].created_ms);
		console_raw(r, "</td><td>");
		console_time(r, s[i].closed_ms);
		console_fmt(r, "</td><td>%d</td><td>%d</td><td>%d</td></tr>",
			    s[i].invoice_count, s[i].success_count,
			    s[i].failed_count);
	}
	console_raw(r, "</tbody></table>");
	if (n > SESSIONS_PAGE) {
		console_raw(r, "<p><a rel=\"next\" href=\"/contexts/");
		console_text(r, type);
		console_raw(r, "/");
		console_text(r, value);
		console_fmt(r, "?after=%lld.",
			    (long long)s[SESSIONS_PAGE - 1].created_ms);
		console_text(r, s[SESSIONS_PAGE - 1].ref);
		console_raw(r, "\">Older sessions</a></p>");
	}
	free(s);
}

static void page_context(struct console_req *r, const char *type,
			 const char *value)
{
	const char *after = query(r, "after");
	char after_ref[STORE_REF_SZ] = "", title[STORE_CTX_TYPE_SZ +
						      SEGMENT_SZ * 2 + 16];
	int64_t after_ms = 0;

	if (!context_value_ok(type, value)) {
		console_problem(r, 404, "Not found",
				"No such context: the type is Nip, "
				"InternalId, NipVatUe or PeppolId, and the "
				"value one of that type.");
		return;
	}
	if (after != NULL && parse_after(after, &after_ms, after_ref) != 0) {
		console_problem(r, 400, "Bad request",
				"after: the position of the last session "
				"shown, as the \"Older sessions\" link "
				"gives it.");
		return;
	}
	snprintf(title, sizeof(title), "Context %s %s", type, value);
	console_begin(r, title);
	tokens_table(r, type, value);
	grants_table(r, type, value);
	sessions_table(r, type, value, after_ms, after_ms ? after_ref : NULL);
	console_end(r);
}

/* ---- /sessions/{ref} ---- */

/* A 404 page saying why; -1 for the caller to return. */
static int not_found(struct console_req *r, const char *why)
{
	console_problem(r, 404, "Not found", why);
	return -1;
}

/* The outcome of reading one record: 0 when it was found, else the page
 * that says why (404, or 500 for the store's failure) and -1. */
static int found(struct console_req *r, int rc, const ksef_error *err,
		 const char *none)
{
	if (rc == STORE_NOT_FOUND)
		return not_found(r, none);
	if (rc != 0) {
		store_problem(r, err);
		return -1;
	}
	return 0;
}

static int session_of(struct console_req *r, const char *ref,
		      store_session *s)
{
	ksef_error err;

	if (!valid_ref(ref))
		return not_found(r, "That is not a session's reference "
				 "number.");
	return found(r, store_session_get(r->srv->store, ref, s, &err), &err,
		     "No such session.");
}

/* What the store keeps of a session's way is when it opened, closed and
 * last changed: the history is made of those. */
static void session_history(struct console_req *r, const store_session *s,
			    int batch)
{
	console_raw(r, "<h2>Status history</h2><table id=\"history\"><thead>"
		    "<tr><th>When</th><th>Status</th></tr></thead><tbody>"
		    "<tr><td>");
	console_time(r, s->created_ms);
	console_raw(r, "</td><td>");
	status_cell(r, 100, api_session_description(100, batch));
	console_raw(r, "</td></tr>");
	if (s->closed_ms) {
		console_raw(r, "<tr><td>");
		console_time(r, s->closed_ms);
		console_raw(r, "</td><td>");
		status_cell(r, batch ? 150 : 170,
			    api_session_description(170, batch));
		console_raw(r, "</td></tr>");
	}
	if (s->status >= 200) {
		console_raw(r, "<tr><td>");
		console_time(r, s->updated_ms);
		console_raw(r, "</td><td>");
		status_cell(r, s->status,
			    api_session_description(s->status, batch));
		console_raw(r, "</td></tr>");
	}
	console_raw(r, "</tbody></table>");
}

static void session_upo_links(struct console_req *r, const store_session *s)
{
	char (*refs)[STORE_REF_SZ] = NULL;
	size_t n = 0, i;

	console_raw(r, "<h2>UPO</h2>");
	if (s->status != 200 ||
	    store_upo_pages(r->srv->store, s->ref, &refs, &n, NULL) != 0 ||
	    n == 0) {
		console_raw(r, "<p class=\"empty\">The session's UPO exists "
			    "once it is processed (status 200).</p>");
		free(refs);
		return;
	}
	console_raw(r, "<ul id=\"upo\">");
	for (i = 0; i < n; i++) {
		console_raw(r, "<li><a href=\"/sessions/");
		console_text(r, s->ref);
		console_fmt(r, "/upo/%zu\">UPO page %zu</a> (", i + 1, i + 1);
		console_text(r, refs[i]);
		console_raw(r, ")</li>");
	}
	console_raw(r, "</ul>");
	free(refs);
}

static void invoices_table(struct console_req *r, const store_session *s,
			   int after)
{
	store_invoice *inv = NULL;
	size_t n = 0, i;
	ksef_error err;

	console_raw(r, "<h2>Invoices</h2><table id=\"invoices\"><thead><tr>"
		    "<th>No.</th><th>Invoice number</th><th>Seller</th>"
		    "<th>Status</th><th>KSeF number</th></tr></thead><tbody>");
	if (store_invoices_list(r->srv->store, s->ref, 0, after,
				INVOICES_PAGE + 1, &inv, &n, &err) != 0) {
		fprintf(stderr, "ksefd: console: %s\n", err.message);
		empty_row(r, 5, "The invoices could not be read.");
		n = 0;
	} else if (n == 0) {
		empty_row(r, 5, "No invoice.");
	}
	for (i = 0; i < n && i < INVOICES_PAGE; i++) {
		console_fmt(r, "<tr><td>%d</td><td><a href=\"/invoices/",
			    inv[i].ordinal);
		console_text(r, inv[i].ref);
		console_raw(r, "\">");
		console_text(r, inv[i].invoice_number[0] ?
			     inv[i].invoice_number : inv[i].ref);
		console_raw(r, "</a></td><td>");
		console_text(r, inv[i].seller_nip);
		console_raw(r, "</td><td>");
		status_cell(r, inv[i].status,
			    ksef_invoice_status_description(inv[i].status));
		console_raw(r, "</td><td class=\"num\">");
		console_text(r, inv[i].ksef_number);
		console_raw(r, "</td></tr>");
	}
	console_raw(r, "</tbody></table>");
	if (n > INVOICES_PAGE) {
		console_raw(r, "<p><a rel=\"next\" href=\"/sessions/");
		console_text(r, s->ref);
		console_fmt(r, "?after=%d\">More invoices</a></p>",
			    inv[INVOICES_PAGE - 1].ordinal);
	}
	free(inv);
}

static void page_session(struct console_req *r, const char *ref)
{
	const char *a = query(r, "after");
	store_session s;
	int64_t after = 0;
	int batch;
	char title[64];

	if (a != NULL && util_parse_i64(&after, a, 0, INT32_MAX) != 0) {
		console_problem(r, 400, "Bad request",
				"after: the number of the last invoice shown.");
		return;
	}
	if (session_of(r, ref, &s) != 0)
		return;
	batch = api_session_is_batch(&s);
	snprintf(title, sizeof(title), "Session %s", s.ref);
	console_begin(r, title);
	console_raw(r, "<dl id=\"session\">");
	term(r, "Context");
	console_raw(r, "<a href=\"/contexts/");
	console_text(r, s.ctx_type);
	console_raw(r, "/");
	console_text(r, s.ctx_value);
	console_raw(r, "\">");
	console_text(r, s.ctx_type);
	console_raw(r, " ");
	console_text(r, s.ctx_value);
	console_raw(r, "</a></dd>");
	term(r, "Kind");
	console_raw(r, batch ? "batch</dd>" : "interactive</dd>");
	term(r, "Status");
	status_cell(r, s.status, api_session_description(s.status, batch));
	console_raw(r, "</dd>");
	term_text(r, "Opened by", s.subject_value);
	term_text(r, "Authentication", s.auth_ref);
	term_time(r, "Opened", s.created_ms);
	term_time(r, "Valid until", s.valid_until_ms);
	term_time(r, "Closed", s.closed_ms);
	term(r, "Invoices");
	console_fmt(r, "%d sent, %d accepted, %d refused (at most %d)</dd>",
		    s.invoice_count, s.success_count, s.failed_count,
		    s.max_invoices);
	console_raw(r, "</dl>");
	session_history(r, &s, batch);
	session_upo_links(r, &s);
	invoices_table(r, &s, (int)after);
	console_end(r);
}

static void download_session_upo(struct console_req *r, const char *ref,
				 const char *page)
{
	char (*refs)[STORE_REF_SZ] = NULL;
	char name[96];
	size_t n = 0;
	int64_t k;
	store_session s;
	ksef_buf upo = KSEF_BUF_INIT;
	ksef_error err;

	if (session_of(r, ref, &s) != 0)
		return;
	if (util_parse_i64(&k, page, 1, 1000000) != 0 ||
	    store_upo_pages(r->srv->store, s.ref, &refs, &n, NULL) != 0 ||
	    (size_t)k > n) {
		free(refs);
		console_problem(r, 404, "Not found",
				"The session has no such UPO page.");
		return;
	}
	if (upo_for_page(r->srv, &s, refs[k - 1], &upo, &err) != 0) {
		free(refs);
		store_problem(r, &err);
		return;
	}
	snprintf(name, sizeof(name), "UPO-%s-%lld.xml", s.ref, (long long)k);
	console_download(r, "application/xml", name, upo.ptr, upo.size);
	ksef_buf_dispose(&upo);
	free(refs);
}

/* ---- /invoices/{ref} ---- */

static int invoice_of(struct console_req *r, const char *ref,
		      store_invoice *inv)
{
	ksef_error err;

	if (!valid_ref(ref))
		return not_found(r, "That is not an invoice's reference "
				 "number.");
	return found(r, store_invoice_get(r->srv->store, ref, inv, &err),
		     &err, "No such invoice.");
}

/* The invoice itself, readable: FA (3) through the stylesheet; another
 * form (or XML it cannot read) gets a word and the download. */
static void invoice_view(struct console_req *r, const store_invoice *inv)
{
	ksef_buf xml = KSEF_BUF_INIT, html = KSEF_BUF_INIT;
	ksef_error err;

	console_raw(r, "<h2>The invoice</h2>");
	if (inv->status != 200) {
		console_raw(r, "<p class=\"empty\">ksefd keeps the content of "
			    "accepted invoices only.</p>");
		return;
	}
	if (store_invoice_plaintext(r->srv->store, inv->ref, &xml,
				    &err) != 0) {
		fprintf(stderr, "ksefd: console: %s\n", err.message);
		console_raw(r, "<p class=\"empty\">The invoice could not be "
			    "read.</p>");
		return;
	}
	if (invoice_html_render(xml.ptr, xml.size, &html, &err) != 0) {
		console_raw(r, "<p class=\"empty\">No readable view: ");
		console_text(r, err.message);
		console_raw(r, ". Download the XML instead.</p>");
	} else if (!r->failed &&
		   ksef_buf_append(&r->body, html.ptr, html.size,
				   CONSOLE_ANSWER_MAX) != 0) {
		r->failed = 1;
	}
	ksef_buf_dispose(&html);
	ksef_buf_dispose(&xml);
}

static void page_invoice(struct console_req *r, const char *ref)
{
	store_invoice inv;
	char title[STORE_P2_SZ + 16], size[64];

	if (invoice_of(r, ref, &inv) != 0)
		return;
	snprintf(title, sizeof(title), "Invoice %s",
		 inv.invoice_number[0] ? inv.invoice_number : inv.ref);
	console_begin(r, title);
	console_raw(r, "<dl id=\"invoice\">");
	term(r, "Status");
	status_cell(r, inv.status,
		    ksef_invoice_status_description(inv.status));
	console_raw(r, "</dd>");
	term(r, "Details");
	details_list(r, inv.status_details);
	console_raw(r, "</dd>");
	term_text(r, "KSeF number", inv.ksef_number);
	term_text(r, "Invoice number", inv.invoice_number);
	term_text(r, "Seller NIP", inv.seller_nip);
	term_text(r, "Kind", inv.invoice_kind);
	term_text(r, "Issue date", inv.issue_date);
	term_text(r, "Reference", inv.ref);
	term(r, "Session");
	console_raw(r, "<a href=\"/sessions/");
	console_text(r, inv.session_ref);
	console_raw(r, "\">");
	console_text(r, inv.session_ref);
	console_fmt(r, "</a>, invoice %d</dd>", inv.ordinal);
	term_text(r, "Invoicing mode", inv.invoicing_mode);
	term_time(r, "Sent", inv.invoicing_ms);
	term_time(r, "Acquired", inv.acquisition_ms);
	term_time(r, "Stored permanently", inv.permanent_storage_ms);
	term_text(r, "SHA-256 (Base64)", inv.invoice_hash);
	snprintf(size, sizeof(size), "%lld bytes (%lld encrypted)",
		 (long long)inv.invoice_size, (long long)inv.encrypted_size);
	term_text(r, "Size", size);
	if (inv.hash_of_corrected[0])
		term_text(r, "Corrects (SHA-256)", inv.hash_of_corrected);
	if (inv.orig_ksef_number[0]) {
		term_text(r, "Duplicate of", inv.orig_ksef_number);
		term(r, "Its session");
		console_raw(r, "<a href=\"/sessions/");
		console_text(r, inv.orig_session_ref);
		console_raw(r, "\">");
		console_text(r, inv.orig_session_ref);
		console_raw(r, "</a></dd>");
	}
	console_raw(r, "</dl>");
	if (inv.status == 200) {
		console_raw(r, "<p id=\"downloads\"><a href=\"/invoices/");
		console_text(r, inv.ref);
		console_raw(r, "/invoice.xml\">Download the XML</a> &middot; "
			    "<a href=\"/invoices/");
		console_text(r, inv.ref);
		console_raw(r, "/upo.xml\">Download the UPO</a></p>");
	}
	invoice_view(r, &inv);
	console_end(r);
}

static void download_invoice(struct console_req *r, const char *ref,
			     int upo)
{
	store_invoice inv;
	store_session s;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_error err;
	char name[96];
	int rc;

	if (invoice_of(r, ref, &inv) != 0)
		return;
	if (inv.status != 200) {
		console_problem(r, 404, "Not found", upo ?
				"An invoice has a UPO once it is accepted." :
				"ksefd keeps the content of accepted "
				"invoices only.");
		return;
	}
	if (upo)
		rc = session_of(r, inv.session_ref, &s) != 0 ? 1 :
			upo_for_invoice(r->srv, &s, &inv, &doc, &err);
	else
		rc = store_invoice_plaintext(r->srv->store, inv.ref, &doc,
					     &err);
	if (rc == 1)
		return;
	if (rc != 0) {
		store_problem(r, &err);
		return;
	}
	snprintf(name, sizeof(name), "%s%s.xml", upo ? "UPO-" : "",
		 inv.ksef_number);
	console_download(r, "application/xml", name, doc.ptr, doc.size);
	ksef_buf_dispose(&doc);
}

/* ---- /faults ---- */

static void count_row(void *arg, const char *rule, int64_t fired)
{
	struct console_req *r = arg;

	console_raw(r, "<tr><td>");
	console_text(r, rule);
	console_fmt(r, "</td><td>%lld</td></tr>", (long long)fired);
}

static void page_faults(struct console_req *r)
{
	int64_t version;
	char *plan = NULL, *pretty = NULL;
	json_t *j;
	ksef_error err;

	if (store_faults_get(r->srv->store, &version, &plan, &err) != 0) {
		store_problem(r, &err);
		return;
	}
	console_begin(r, "Faults");
	if (plan == NULL) {
		console_fmt(r, "<p id=\"plan-state\">No fault plan is in force "
			    "(version %lld). <code>ksefd faults set FILE"
			    "</code> puts one in force.</p>",
			    (long long)version);
		console_end(r);
		return;
	}
	console_fmt(r, "<p id=\"plan-state\">Plan version %lld is in force."
		    "</p><h2>How often each rule fired</h2>"
		    "<table id=\"fired\"><thead><tr><th>Rule</th><th>Fired</th>"
		    "</tr></thead><tbody>", (long long)version);
	if (store_faults_counts(r->srv->store, version, count_row, r,
				&err) != 0)
		fprintf(stderr, "ksefd: console: %s\n", err.message);
	console_raw(r, "</tbody></table><h2>The plan</h2><pre id=\"plan\">");
	j = json_loads(plan, 0, NULL);
	pretty = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) :
		NULL;
	console_text(r, pretty ? pretty : plan);
	console_raw(r, "</pre>");
	console_end(r);
	free(pretty);
	json_decref(j);
	free(plan);
}

/* ---- routing ---- */

/* Split the path at '/' into at most SEGMENTS_MAX segments; -1 for one
 * too many or too long, or an empty one inside. */
static int split(const char *path, char seg[SEGMENTS_MAX][SEGMENT_SZ])
{
	int n = 0;
	const char *p = path;

	if (*p != '/')
		return -1;
	p++;
	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (n == SEGMENTS_MAX || len == 0 || len >= SEGMENT_SZ)
			return -1;
		memcpy(seg[n], p, len);
		seg[n][len] = '\0';
		n++;
		p += len;
		if (*p == '/')
			p++;
	}
	return n;
}

void console_route(struct console_req *r)
{
	char seg[SEGMENTS_MAX][SEGMENT_SZ];
	int n = split(r->path, seg);

	if (n == 0)
		page_contexts(r);
	else if (n == 3 && strcmp(seg[0], "contexts") == 0)
		page_context(r, seg[1], seg[2]);
	else if (n == 2 && strcmp(seg[0], "sessions") == 0)
		page_session(r, seg[1]);
	else if (n == 4 && strcmp(seg[0], "sessions") == 0 &&
		 strcmp(seg[2], "upo") == 0)
		download_session_upo(r, seg[1], seg[3]);
	else if (n == 2 && strcmp(seg[0], "invoices") == 0)
		page_invoice(r, seg[1]);
	else if (n == 3 && strcmp(seg[0], "invoices") == 0 &&
		 strcmp(seg[2], "invoice.xml") == 0)
		download_invoice(r, seg[1], 0);
	else if (n == 3 && strcmp(seg[0], "invoices") == 0 &&
		 strcmp(seg[2], "upo.xml") == 0)
		download_invoice(r, seg[1], 1);
	else if (n == 1 && strcmp(seg[0], "faults") == 0)
		page_faults(r);
	else
		console_problem(r, 404, "Not found", "No such page.");
}
