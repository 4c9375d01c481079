/*
 * api_retrieval.c - POST /invoices/query/metadata (pobieranie-faktur.md):
 * the caller's invoices, as seller (Subject1), buyer (Subject2), third
 * party (Subject3) or authorized subject (SubjectAuthorized), by the
 * NIP of its context, filtered (retrieval_filters.c), sorted by the
 * filter's date and paged; at most RETRIEVAL_MAX_RECORDS records per set
 * of filters, then isTruncated (open-api.json's description).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "errors.h"
#include "http.h"
#include "invoice_meta.h"
#include "retrieval.h"
#include "util/util.h"

int retrieval_context_nip(const struct request *req, char nip[11])
{
	const char *t = req->claims.context_type;
	const char *v = req->claims.context_value;

	/* An InternalId and a NipVatUe context begin with their NIP. */
	if (strcmp(t, "Nip") != 0 && strcmp(t, "InternalId") != 0 &&
	    strcmp(t, "NipVatUe") != 0)
		return -1;
	if (strlen(v) < 10)
		return -1;
	memcpy(nip, v, 10);
	nip[10] = '\0';
	return 0;
}

int retrieval_read_filters(struct request *req, json_t *obj,
			   struct retrieval_filters *f, int64_t *hwm)
{
	char msg[256];
	int64_t now = server_now_ms();

	if (retrieval_filters_parse(f, obj, now, msg, sizeof(msg)) != 0) {
		errors_reply(req, 400, 21405, "%s", msg);
		return -1;
	}
	if (retrieval_apply_hwm(f, store_hwm_ms(req->srv->store), hwm) != 0) {
		errors_reply(req, 400, 21183, "Parametr dateRange.from jest "
			"późniejszy niż PermanentStorageHwmDate przy włączonym "
			"restrictToPermanentStorageHwmDate.");
		return -1;
	}
	return 0;
}

static int sort_order(struct request *req, int *desc)
{
	const char *s = http_query(req, "sortOrder");

	*desc = 0;
	if (s == NULL || strcmp(s, "Asc") == 0)
		return 0;
	if (strcmp(s, "Desc") == 0) {
		*desc = 1;
		return 0;
	}
	errors_reply(req, 400, 21405, "Parametr 'sortOrder' musi mieć "
		"wartość Asc lub Desc.");
	return -1;
}

static int page_offset(struct request *req, int64_t *page)
{
	const char *s = http_query(req, "pageOffset");

	*page = 0;
	if (s != NULL && util_parse_i64(page, s, 0, INT32_MAX) != 0) {
		errors_reply(req, 400, 21405, "Parametr 'pageOffset' musi być "
			"liczbą od 0 do %d.", INT32_MAX);
		return -1;
	}
	return 0;
}

void api_invoices_query_metadata(struct request *req)
{
	struct retrieval_filters f;
	store_meta_row *rows = NULL;
	size_t size, n = 0, shown, i;
	int64_t page, hwm;
	char nip[11];
	json_t *body, *out, *list;
	ksef_error err;
	int desc, more, truncated;

	if (sort_order(req, &desc) != 0 || page_offset(req, &page) != 0 ||
	    api_page_size(req, 10, 250, 10, &size) != 0 ||
	    (body = api_body_object(req)) == NULL)
		return;
	if (retrieval_read_filters(req, body, &f, &hwm) != 0)
		goto done;
	if ((uint64_t)page * size >= RETRIEVAL_MAX_RECORDS) {
		errors_reply(req, 400, 21405, "pageOffset × pageSize sięga "
			"poza limit %d rekordów na zestaw filtrów; zawęź "
			"dateRange i wyzeruj pageOffset.",
			RETRIEVAL_MAX_RECORDS);
		goto done;
	}
	f.q.descending = desc;
	f.q.offset = (size_t)page * size;
	f.q.limit = size + 1;
	if (retrieval_context_nip(req, nip) == 0) {
		f.q.nip = nip;
		if (store_meta_query_run(req->srv->store, &f.q, &rows, &n,
					 &err) != 0) {
			errors_internal(req, &err);
			goto done;
		}
	}
	retrieval_page(f.q.offset, size, n, &shown, &more, &truncated);
	list = json_array();
	for (i = 0; i < shown; i++)
		json_array_append_new(list, invoice_meta_json(&rows[i]));
	out = json_pack("{s:b,s:b,s:o}", "hasMore", more, "isTruncated",
			truncated, "invoices", list);
	if (f.q.date_type == 2)
		json_object_set_new(out, "permanentStorageHwmDate",
				    api_time(hwm));
	http_reply_json(req, 200, out);
done:
	free(rows);
	json_decref(body);
}
