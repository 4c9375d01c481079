/*
 * api_status.c - the status tag (SPEC 4.14-4.18): the list of sessions, a
 * session's status with its counters, and the statuses of its invoices.
 * Everything is scoped to the caller's context: another context's session
 * is "not found" (21173), never "forbidden", so its existence leaks nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "errors.h"
#include "http.h"
#include "processing.h"
#include "upo_service.h"

/* The wording of the state diagrams (faktury/sesje/, the two diagrams);
 * a batch session's statuses have their own. */
const char *api_session_description(int code, int batch)
{
	switch (code) {
	case 100: return batch ? "Sesja wsadowa rozpoczęta" :
		"Sesja interaktywna otwarta";
	case 150: return "Trwa przetwarzanie";
	case 170: return batch ? "Trwa przetwarzanie" :
		"Sesja interaktywna zamknięta";
	case 200: return batch ? "Sesja wsadowa przetworzona pomyślnie" :
		"Sesja interaktywna przetworzona pomyślnie";
	case 405: return "Błąd weryfikacji poprawności dostarczonych "
		"elementów paczki";
	case 415: return "Błąd odszyfrowania dostarczonego klucza";
	case 420: return "Przekroczony limit faktur w sesji";
	case 430: return "Błąd dekompresji pierwotnego archiwum";
	case 435: return "Błąd odszyfrowania zaszyfrowanych części archiwum";
	case 440: return "Sesja anulowana";
	case 445: return "Błąd weryfikacji, brak poprawnych faktur";
	default: return "Nieznany błąd";
	}
}

static json_t *session_status_info(struct request *req,
				   const store_session *s)
{
	int batch = api_session_is_batch(s);
	store_batch_file f;

	/* A failed batch session says why, as processing found it. */
	if (batch && s->status >= 400 && s->status != 440 &&
	    store_batch_get(req->srv->store, s->ref, &f, NULL) == 0 &&
	    f.details[0] != '\0')
		return api_status_info(s->status,
				       api_session_description(s->status, 1),
				       f.details);
	/* A batch session in 170 is still being processed: its invoices
	 * are stored, its final status not yet set. */
	return api_status_info(batch && s->status == 170 ? 150 : s->status,
			       api_session_description(s->status, batch),
			       s->status == 440 ? batch ?
			       "[\"Brak faktur w paczce\"]" :
			       "[\"Nie przesłano faktur\"]" : "");
}

/* The counters are nullable and left out while zero, as KSeF does. */
static void set_count(json_t *o, const char *name, int n)
{
	if (n > 0)
		json_object_set_new(o, name, json_integer(n));
}

/* upo.pages[] of a processed session, each with a fresh pre-signed link
 * ("regenerated on every status call", SPEC 4.15). */
static void add_upo_pages(struct request *req, json_t *o,
			  const store_session *s)
{
	char (*refs)[STORE_REF_SZ] = NULL;
	size_t n = 0, i;
	json_t *pages;

	/* The housekeeper numbers the pages right after the session reaches
	 * 200; a status call that comes in between numbers them itself (the
	 * first numbering stored wins, so both see the same pages). */
	if (store_upo_pages(req->srv->store, s->ref, &refs, &n, NULL) != 0 &&
	    (upo_assign_pages(req->srv, s->ref, NULL) != 0 ||
	     store_upo_pages(req->srv->store, s->ref, &refs, &n, NULL) != 0))
		return;
	pages = json_array();
	for (i = 0; i < n; i++) {
		int64_t until;
		char *link = upo_page_link(req, s->ref, refs[i], &until);

		if (link == NULL)
			continue;
		json_array_append_new(pages, json_pack("{s:s,s:s,s:o}",
			"referenceNumber", refs[i], "downloadUrl", link,
			"downloadUrlExpirationDate", api_time(until)));
		free(link);
	}
	free(refs);
	json_object_set_new(o, "upo", json_pack("{s:o}", "pages", pages));
}

/* A session decided within the processing delay shows 170 (closed, being
 * processed), without its UPO, as its invoices still show 150. */
static void seem_in_progress(struct request *req, store_session *s)
{
	int64_t now = server_now_ms();

	/* fault injection: a rule's hold (req->fault_hold_ms) is a longer
	 * processing delay for this answer. */
	if (processing_session_pending(req->srv->processing, s, now) ||
	    (s->status >= 200 && s->status != 415 &&
	     now - s->updated_ms < req->fault_hold_ms))
		s->status = 170;
}

void api_session_status(struct request *req)
{
	store_session s;
	json_t *o;

	if (api_load_session(req, &s, "znaleziona") != 0)
		return;
	seem_in_progress(req, &s);
	o = json_object();
	json_object_set_new(o, "status", session_status_info(req, &s));
	json_object_set_new(o, "dateCreated", api_time(s.created_ms));
	json_object_set_new(o, "dateUpdated", api_time(s.updated_ms));
	json_object_set_new(o, "validUntil", api_time(s.valid_until_ms));
	if (s.status == 200)
		add_upo_pages(req, o, &s);
	set_count(o, "invoiceCount", s.invoice_count);
	set_count(o, "successfulInvoiceCount", s.success_count);
	set_count(o, "failedInvoiceCount", s.failed_count);
	http_reply_json(req, 200, o);
}

static const char *const common_statuses[] = { "InProgress", "Succeeded",
					       "Failed", "Cancelled" };

void api_sessions_list(struct request *req)
{
	struct server *srv = req->srv;
	const char *type = http_query(req, "sessionType"), *vals[8];
	store_session_query q;
	store_session *rows = NULL;
	char after_ref[KSEF_REFNUM_BUFSZ] = "";
	size_t limit, n = 0, i, k, nvals;
	int has;
	store_auth op;
	json_t *arr, *o;
	ksef_error err;

	memset(&q, 0, sizeof(q));
	if (type == NULL || (strcmp(type, "Online") != 0 &&
			     strcmp(type, "Batch") != 0)) {
		errors_reply(req, 400, 21405, "Parametr 'sessionType' jest "
			"wymagany: Online albo Batch.");
		return;
	}
	if (api_page_size(req, 10, 1000, 10, &limit) != 0 ||
	    api_cursor(req, &has, &q.after_created_ms, after_ref,
		       sizeof(after_ref)) != 0 ||
	    api_query_time(req, "dateCreatedFrom", &has, &q.created_from) ||
	    api_query_time(req, "dateCreatedTo", &has, &q.created_to) ||
	    api_query_time(req, "dateClosedFrom", &has, &q.closed_from) ||
	    api_query_time(req, "dateClosedTo", &has, &q.closed_to) ||
	    api_query_time(req, "dateModifiedFrom", &has, &q.updated_from) ||
	    api_query_time(req, "dateModifiedTo", &has, &q.updated_to))
		return;
	nvals = http_query_all(req, "statuses", vals, 8);
	for (i = 0; i < nvals && i < 8; i++) {
		for (k = 0; k < 4 && strcmp(vals[i], common_statuses[k]); k++)
			;
		if (k == 4) {
			errors_reply(req, 400, 21405, "Nieznany status sesji "
				"'%.32s'.", vals[i]);
			return;
		}
		q.statuses |= 1u << k;
	}
	q.ref = http_query(req, "referenceNumber");
	q.ctx_type = req->claims.context_type;
	q.ctx_value = req->claims.context_value;
	q.after_ref = after_ref[0] ? after_ref : NULL;
	q.limit = limit + 1;
	/* With InvoiceWrite alone a caller sees only the sessions its own
	 * subject opened (SPEC 4.14). */
	if (!request_has_permission(req, "Introspection") &&
	    !request_has_permission(req, "EnforcementOperations") &&
	    store_auth_get(srv->store, req->claims.reference, &op, NULL) == 0)
		q.subject_value = op.subject_value;
	q.type = strcmp(type, "Online") == 0 ? "SO" : "SB";
	arr = json_array();
	if (store_sessions_list(srv->store, &q, &rows, &n, &err) != 0) {
		json_decref(arr);
		errors_internal(req, &err);
		return;
	}
	for (i = 0; i < n && i < limit; i++) {
		store_session *s = &rows[i];

		seem_in_progress(req, s);
		json_array_append_new(arr, json_pack(
			"{s:s,s:o,s:o,s:o,s:o,s:i,s:i,s:i}",
			"referenceNumber", s->ref,
			"status", session_status_info(req, s),
			"dateCreated", api_time(s->created_ms),
			"dateUpdated", api_time(s->updated_ms),
			"validUntil", api_time(s->valid_until_ms),
			"totalInvoiceCount", s->invoice_count,
			"successfulInvoiceCount", s->success_count,
			"failedInvoiceCount", s->failed_count));
	}
	o = json_object();
	api_set_continuation(o, n > limit,
			     n > limit ? rows[limit - 1].created_ms : 0,
			     n > limit ? rows[limit - 1].ref : "");
	json_object_set_new(o, "sessions", arr);
	free(rows);
	http_reply_json(req, 200, o);
}

/* SessionInvoiceStatusResponse (SPEC 4.16). */
static json_t *invoice_json(struct request *req, const store_invoice *given)
{
	json_t *o = json_object(), *st;
	store_invoice shown;
	const store_invoice *inv = given;
	const char *desc;

	/* Within the processing delay an invoice is 150, with nothing its
	 * verdict gave: no number, no dates of it, no details, no UPO. */
	if (processing_invoice_pending(req->srv->processing, given,
				       server_now_ms()) ||
	    (given->status >= 200 &&
	     server_now_ms() - given->invoicing_ms < req->fault_hold_ms)) {
		shown = *given;
		shown.status = 150;
		shown.status_details[0] = '\0';
		shown.ksef_number[0] = '\0';
		shown.acquisition_ms = 0;
		shown.permanent_storage_ms = 0;
		shown.orig_ksef_number[0] = '\0';
		inv = &shown;
	}
	desc = ksef_invoice_status_description(inv->status);

	json_object_set_new(o, "ordinalNumber", json_integer(inv->ordinal));
	if (inv->invoice_number[0])
		json_object_set_new(o, "invoiceNumber",
				    json_string(inv->invoice_number));
	if (inv->ksef_number[0])
		json_object_set_new(o, "ksefNumber",
				    json_string(inv->ksef_number));
	json_object_set_new(o, "referenceNumber", json_string(inv->ref));
	json_object_set_new(o, "invoiceHash", json_string(inv->invoice_hash));
	/* An invoice of a batch package is named by its file in it. */
	if (inv->file_name[0])
		json_object_set_new(o, "invoiceFileName",
				    json_string(inv->file_name));
	if (inv->acquisition_ms)
		json_object_set_new(o, "acquisitionDate",
				    api_time(inv->acquisition_ms));
	json_object_set_new(o, "invoicingDate", api_time(inv->invoicing_ms));
	if (inv->permanent_storage_ms)
		json_object_set_new(o, "permanentStorageDate",
				    api_time(inv->permanent_storage_ms));
	if (inv->status == 200) {
		int64_t until;
		char *link = upo_invoice_link(req, inv, &until);

		if (link != NULL) {
			json_object_set_new(o, "upoDownloadUrl",
					    json_string(link));
			json_object_set_new(o, "upoDownloadUrlExpirationDate",
					    api_time(until));
		}
		free(link);
	}
	if (inv->invoicing_mode[0])
		json_object_set_new(o, "invoicingMode",
				    json_string(inv->invoicing_mode));
	st = api_status_info(inv->status, desc, inv->status_details);
	if (inv->status == 440 && inv->orig_ksef_number[0])
		json_object_set_new(st, "extensions", json_pack("{s:s,s:s}",
			"originalSessionReferenceNumber", inv->orig_session_ref,
			"originalKsefNumber", inv->orig_ksef_number));
	json_object_set_new(o, "status", st);
	return o;
}

static void invoices(struct request *req, int failed_only)
{
	store_session s;
	store_invoice *rows = NULL;
	char cref[KSEF_REFNUM_BUFSZ];
	size_t limit, n = 0, i;
	int64_t after = 0;
	int has;
	json_t *arr, *o;
	ksef_error err;

	if (api_load_session(req, &s, "znaleziona") != 0 ||
	    api_page_size(req, 10, 1000, 10, &limit) != 0 ||
	    api_cursor(req, &has, &after, cref, sizeof(cref)) != 0)
		return;
	if (store_invoices_list(req->srv->store, s.ref, failed_only,
				has ? (int)after : 0, limit + 1, &rows, &n,
				&err) != 0) {
		errors_internal(req, &err);
		return;
	}
	arr = json_array();
	for (i = 0; i < n && i < limit; i++)
		json_array_append_new(arr, invoice_json(req, &rows[i]));
	o = json_object();
	api_set_continuation(o, n > limit,
			     n > limit ? rows[limit - 1].ordinal : 0, "o");
	json_object_set_new(o, "invoices", arr);
	free(rows);
	http_reply_json(req, 200, o);
}

void api_session_invoices(struct request *req)
{
	invoices(req, 0);
}

void api_session_invoices_failed(struct request *req)
{
	invoices(req, 1);
}

void api_session_invoice(struct request *req)
{
	store_session s;
	store_invoice inv;
	ksef_error err;
	int rc;

	if (api_load_session(req, &s, "znaleziona") != 0 || api_param_refnum(req, 1) != 0)
		return;
	rc = store_invoice_get(req->srv->store, req->params[1], &inv, &err);
	if (api_store_failed(req, rc, &err))
		return;
	if (rc != 0 || strcmp(inv.session_ref, s.ref) != 0) {
		errors_reply(req, 400, 21405, "Faktura o numerze referencyjnym "
			"%s nie została znaleziona w sesji %s.", req->params[1],
			s.ref);
		return;
	}
	http_reply_json(req, 200, invoice_json(req, &inv));
}
