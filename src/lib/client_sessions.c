/*
 * client_sessions.c - the endpoints of the open-api tag "Status wysylki i
 * UPO" (SPEC 4.14-4.22): a session's state, the sessions of the context,
 * the invoices of a session and their states, and the UPO documents,
 * including those behind a pre-signed URL.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "client_int.h"

static const struct ksef__bit_name session_status_names[] = {
	{ KSEF_SESSION_STATUS_IN_PROGRESS, "InProgress" },
	{ KSEF_SESSION_STATUS_SUCCEEDED, "Succeeded" },
	{ KSEF_SESSION_STATUS_FAILED, "Failed" },
	{ KSEF_SESSION_STATUS_CANCELLED, "Cancelled" },
};

static int parse_upo_page(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_upo_page *p = item;
	int error;

	if ((error = ksef__rd_ref(r, o, "referenceNumber", 1,
				  &p->reference_number)) < 0 ||
	    (error = ksef__rd_header_safe(r, o, "downloadUrl", 1,
					  KSEF_CLIENT_FIELD_MAX,
					  &p->download_url)) < 0)
		return error;
	return ksef__rd_time(r, o, "downloadUrlExpirationDate",
			     &p->download_url_expiration_date_ms);
}

/* SessionStatusResponse. */
static int parse_session_status(struct ksef__rd *r, const json_t *root,
				void *res)
{
	ksef_api_session_status *st = res;
	struct ksef__list *pages;
	const json_t *upo;
	int error;

	if ((error = ksef__rd_status(r, root, "status", &st->status,
				     NULL)) < 0 ||
	    (error = ksef__rd_time(r, root, "dateCreated",
				   &st->date_created_ms)) < 0 ||
	    (error = ksef__rd_time(r, root, "dateUpdated",
				   &st->date_updated_ms)) < 0 ||
	    (error = ksef__rd_opt_time(r, root, "validUntil",
				       &st->valid_until_ms)) < 0 ||
	    (error = ksef__rd_int(r, root, "invoiceCount", 0, 0, INT32_MAX,
				  &st->invoice_count)) < 0 ||
	    (error = ksef__rd_int(r, root, "successfulInvoiceCount", 0, 0,
				  INT32_MAX,
				  &st->successful_invoice_count)) < 0 ||
	    (error = ksef__rd_int(r, root, "failedInvoiceCount", 0, 0,
				  INT32_MAX, &st->failed_invoice_count)) < 0 ||
	    (error = ksef__rd_object(r, root, "upo", 0, &upo)) < 0 ||
	    upo == NULL)
		return error;
	if ((pages = ksef__rd_list_new(r, sizeof(ksef_api_upo_page))) == NULL)
		return KSEF_ENOMEM;
	st->upo_pages = (const ksef_api_upo_pages *)(const void *)pages;
	ksef__rd_push(r, "upo");
	return ksef__rd_items(r, upo, "pages", pages, parse_upo_page);
}

int ksef_client_session_status(ksef_api_session_status **out,
			       ksef_client *c, const char *session_ref,
			       ksef_error *err)
{
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_get_on_ref(&res, c, "/sessions/",
					  "session reference number",
					  session_ref,
					  sizeof(ksef_api_session_status),
					  parse_session_status, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_session_status_free(ksef_api_session_status *st)
{
	ksef__result_free(st);
}

size_t ksef_api_upo_pages_count(const ksef_api_upo_pages *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_upo_page *ksef_api_upo_pages_at(const ksef_api_upo_pages *l,
					       size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

static int parse_session_item(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_session_item *s = item;
	int error;

	if ((error = ksef__rd_ref(r, o, "referenceNumber", 1,
				  &s->reference_number)) < 0 ||
	    (error = ksef__rd_status(r, o, "status", &s->status, NULL)) < 0 ||
	    (error = ksef__rd_time(r, o, "dateCreated",
				   &s->date_created_ms)) < 0 ||
	    (error = ksef__rd_time(r, o, "dateUpdated",
				   &s->date_updated_ms)) < 0 ||
	    (error = ksef__rd_opt_time(r, o, "validUntil",
				       &s->valid_until_ms)) < 0 ||
	    (error = ksef__rd_int(r, o, "totalInvoiceCount", 1, 0, INT32_MAX,
				  &s->total_invoice_count)) < 0 ||
	    (error = ksef__rd_int(r, o, "successfulInvoiceCount", 1, 0,
				  INT32_MAX, &s->successful_invoice_count)) < 0)
		return error;
	return ksef__rd_int(r, o, "failedInvoiceCount", 1, 0, INT32_MAX,
			    &s->failed_invoice_count);
}

static const struct ksef__list_kind session_list = {
	"sessions", sizeof(ksef_api_session_item), parse_session_item
};

/* The bytes of each version of ksef_client_session_query (options.h). */
static const size_t session_query_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_session_query, statuses), /* 1 */
};
KSEF__OPTIONS_SIZES(session_query_sizes, KSEF_CLIENT_SESSION_QUERY_VERSION);

/* A ksef__path_fn: args is the caller's ksef_client_session_query. */
static int session_query(ksef_buf *path, const void *args, ksef_error *err)
{
	ksef_client_session_query copy = KSEF_CLIENT_SESSION_QUERY_INIT;
	const ksef_client_session_query *q = &copy;
	int error;

	if ((error = KSEF__OPTIONS_COPY(&copy, args, session_query_sizes,
					KSEF_CLIENT_SESSION_QUERY_VERSION,
					"ksef_client_session_query", err)) < 0)
		return error;
	if (q->type != KSEF_SESSION_TYPE_ONLINE &&
	    q->type != KSEF_SESSION_TYPE_BATCH)
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown session type %d", (int)q->type);
	if ((error = ksef__req_check_page_size(q->page_size, 1000, err)) < 0)
		return error;
	if (q->statuses & ~0xFu)
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown session status bits 0x%x", q->statuses);
	if (q->reference_number != NULL &&
	    (error = ksef__req_check_ref("session reference number",
					 q->reference_number, err)) < 0)
		return error;
	if ((error = ksef__buf_printf(path, KSEF__PATH_MAX_BYTES,
				      "/sessions")) < 0 ||
	    (error = ksef__req_put_param(path, "sessionType",
					 q->type == KSEF_SESSION_TYPE_ONLINE ?
					 "Online" : "Batch")) < 0 ||
	    (q->page_size != 0 &&
	     (error = ksef__req_put_int_param(path, "pageSize",
					      q->page_size)) < 0) ||
	    (q->reference_number != NULL &&
	     (error = ksef__req_put_param(path, "referenceNumber",
					  q->reference_number)) < 0))
		return ksef__req_path_fail(error, err);
	if ((error = ksef__req_put_time_param(path, "dateCreatedFrom",
			q->date_created_from_ms, err)) < 0 ||
	    (error = ksef__req_put_time_param(path, "dateCreatedTo",
			q->date_created_to_ms, err)) < 0 ||
	    (error = ksef__req_put_time_param(path, "dateClosedFrom",
			q->date_closed_from_ms, err)) < 0 ||
	    (error = ksef__req_put_time_param(path, "dateClosedTo",
			q->date_closed_to_ms, err)) < 0 ||
	    (error = ksef__req_put_time_param(path, "dateModifiedFrom",
			q->date_modified_from_ms, err)) < 0 ||
	    (error = ksef__req_put_time_param(path, "dateModifiedTo",
			q->date_modified_to_ms, err)) < 0)
		return error == KSEF_EINVAL ? error :
		       ksef__req_path_fail(error, err);
	if ((error = ksef__req_put_flag_params(
		     path, "statuses", session_status_names,
		     sizeof(session_status_names) /
			     sizeof(session_status_names[0]),
		     q->statuses)) < 0)
		return ksef__req_path_fail(error, err);
	return 0;
}

int ksef_client_sessions(ksef_api_session_list **out, ksef_client *c,
			 const ksef_client_session_query *q,
			 const char *continuation, ksef_error *err)
{
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL && q != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_get_page(&res, c, &session_list, session_query,
					q, continuation, err)) < 0)
		return error;
	*out = res;
	return 0;
}

size_t ksef_api_session_list_count(const ksef_api_session_list *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_session_item *ksef_api_session_list_at(
	const ksef_api_session_list *l, size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

const char *ksef_api_session_list_continuation(
	const ksef_api_session_list *l)
{
	return ksef__list_continuation(KSEF__LIST(l));
}

void ksef_api_session_list_free(ksef_api_session_list *list)
{
	ksef__result_free(list);
}

static int parse_extensions(struct ksef__rd *r, const json_t *status,
			    ksef_api_invoice_status *s)
{
	const json_t *ext, *v;
	struct ksef__list *l;
	ksef_api_pair *pairs;
	const char *key;
	size_t n = 0, count;
	int error;

	if ((error = ksef__rd_object(r, status, "extensions", 0, &ext)) < 0 ||
	    ext == NULL)
		return error;
	if ((l = ksef__rd_list_new(r, sizeof(*pairs))) == NULL)
		return KSEF_ENOMEM;
	s->extensions = (const ksef_api_pairs *)(const void *)l;
	count = json_object_size(ext);
	if (count > KSEF_CLIENT_DETAILS_MAX)
		return ksef__rd_fail(r, "extensions", "has over %d entries",
				     KSEF_CLIENT_DETAILS_MAX);
	pairs = ksef__result_alloc(r->res, (count ? count : 1) *
				   sizeof(*pairs));
	if (pairs == NULL)
		return ksef__rd_nomem(r);
	json_object_foreach((json_t *)ext, key, v) {
		size_t klen = strlen(key);

		if (klen > 256)
			return ksef__rd_fail(r, "extensions", "has a long key");
		pairs[n].key = ksef__result_strndup(r->res, key, klen);
		if (pairs[n].key == NULL)
			return ksef__rd_nomem(r);
		if (!json_is_null(v)) {
			if (!json_is_string(v) || json_string_length(v) >
			    KSEF_CLIENT_FIELD_MAX ||
			    memchr(json_string_value(v), '\0',
				   json_string_length(v)))
				return ksef__rd_fail(r, "extensions",
						     "has a value "
						     "that is not a string");
			pairs[n].value = ksef__result_strndup(r->res,
				json_string_value(v), json_string_length(v));
			if (pairs[n].value == NULL)
				return ksef__rd_nomem(r);
		}
		n++;
	}
	l->items = (const unsigned char *)pairs;
	l->count = n;
	return 0;
}

static int parse_invoice_status(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_invoice_status *s = item;
	const json_t *status;
	int64_t ordinal;
	size_t old;
	int error;

	if ((error = ksef__rd_int(r, o, "ordinalNumber", 1, 1, INT32_MAX,
				  &ordinal)) < 0 ||
	    /* 256 characters of UTF-8: at most 1024 bytes. */
	    (error = ksef__rd_string(r, o, "invoiceNumber", 0, 0, 1024,
				     &s->invoice_number)) < 0 ||
	    (error = ksef__rd_string(r, o, "ksefNumber", 0, KSEF_NUMBER_LEN,
				     KSEF_NUMBER_LEN + 1,
				     &s->ksef_number)) < 0 ||
	    (error = ksef__rd_ref(r, o, "referenceNumber", 1,
				  &s->reference_number)) < 0 ||
	    (error = ksef__rd_string(r, o, "invoiceHash", 1,
				     KSEF_SHA256_B64_LEN, KSEF_SHA256_B64_LEN,
				     &s->invoice_hash)) < 0 ||
	    (error = ksef__rd_string(r, o, "invoiceFileName", 0, 0, 512,
				     &s->invoice_file_name)) < 0 ||
	    (error = ksef__rd_opt_time(r, o, "acquisitionDate",
				       &s->acquisition_date_ms)) < 0 ||
	    (error = ksef__rd_time(r, o, "invoicingDate",
				   &s->invoicing_date_ms)) < 0 ||
	    (error = ksef__rd_opt_time(r, o, "permanentStorageDate",
				       &s->permanent_storage_date_ms)) < 0 ||
	    (error = ksef__rd_header_safe(r, o, "upoDownloadUrl", 0,
					  KSEF_CLIENT_FIELD_MAX,
					  &s->upo_download_url)) < 0 ||
	    (error = ksef__rd_opt_time(r, o, "upoDownloadUrlExpirationDate",
			&s->upo_download_url_expiration_date_ms)) < 0 ||
	    (error = ksef__rd_string(r, o, "invoicingMode", 0, 1, 64,
				     &s->invoicing_mode)) < 0 ||
	    (error = ksef__rd_status(r, o, "status", &s->status, &status)) < 0)
		return error;
	s->ordinal_number = (int)ordinal;
	old = ksef__rd_push(r, "status");
	error = parse_extensions(r, status, s);
	ksef__rd_pop(r, old);
	return error;
}

int ksef_client_session_invoice(ksef_api_invoice_status **out,
				ksef_client *c, const char *session_ref,
				const char *invoice_ref, ksef_error *err)
{
	char path[128];
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_check_ref("session reference number",
					 session_ref, err)) < 0 ||
	    (error = ksef__req_check_ref("invoice reference number",
					 invoice_ref, err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/sessions/%s/invoices/%s", session_ref,
		 invoice_ref);
	if ((error = ksef__req_get_one(&res, c, path,
				       sizeof(ksef_api_invoice_status),
				       parse_invoice_status, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_invoice_status_free(ksef_api_invoice_status *st)
{
	ksef__result_free(st);
}

size_t ksef_api_pairs_count(const ksef_api_pairs *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_pair *ksef_api_pairs_at(const ksef_api_pairs *l, size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

static const struct ksef__list_kind invoice_list = {
	"invoices", sizeof(ksef_api_invoice_status), parse_invoice_status
};

int ksef_client_session_invoices(ksef_api_invoice_list **out, ksef_client *c,
				 const char *session_ref, int failed_only,
				 int page_size, const char *continuation,
				 ksef_error *err)
{
	struct ksef__page_query q;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_check_page_size(page_size, 1000, err)) < 0 ||
	    (error = ksef__req_check_ref("session reference number",
					 session_ref, err)) < 0)
		return error;
	snprintf(q.base, sizeof(q.base), "/sessions/%s/invoices%s",
		 session_ref, failed_only ? "/failed" : "");
	q.page_size = page_size;
	if ((error = ksef__req_get_page(&res, c, &invoice_list,
					ksef__req_page_query_path, &q,
					continuation, err)) < 0)
		return error;
	*out = res;
	return 0;
}

size_t ksef_api_invoice_list_count(const ksef_api_invoice_list *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_invoice_status *ksef_api_invoice_list_at(
	const ksef_api_invoice_list *l, size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

const char *ksef_api_invoice_list_continuation(
	const ksef_api_invoice_list *l)
{
	return ksef__list_continuation(KSEF__LIST(l));
}

void ksef_api_invoice_list_free(ksef_api_invoice_list *list)
{
	ksef__result_free(list);
}

/*
 * Documents
 */

int ksef_client_upo_by_invoice_ref(ksef_buf *out, ksef_client *c,
				   const char *session_ref,
				   const char *invoice_ref, ksef_error *err)
{
	char path[160];
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	if ((error = ksef__req_check_ref("session reference number",
					 session_ref, err)) < 0 ||
	    (error = ksef__req_check_ref("invoice reference number",
					 invoice_ref, err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/sessions/%s/invoices/%s/upo",
		 session_ref, invoice_ref);
	return ksef__req_download(out, c, path, err);
}

int ksef_client_upo_by_ksef_number(ksef_buf *out, ksef_client *c,
				   const char *session_ref,
				   const char *ksef_number, ksef_error *err)
{
	char path[160];
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	if ((error = ksef__req_check_ref("session reference number",
					 session_ref, err)) < 0 ||
	    (error = ksef__req_check_ksef_number(ksef_number, err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/sessions/%s/invoices/ksef/%s/upo",
		 session_ref, ksef_number);
	return ksef__req_download(out, c, path, err);
}

int ksef_client_upo_session_page(ksef_buf *out, ksef_client *c,
				 const char *session_ref, const char *upo_ref,
				 ksef_error *err)
{
	char path[160];
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	if ((error = ksef__req_check_ref("session reference number",
					 session_ref, err)) < 0 ||
	    (error = ksef__req_check_ref("UPO reference number", upo_ref,
					 err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/sessions/%s/upo/%s", session_ref,
		 upo_ref);
	return ksef__req_download(out, c, path, err);
}

int ksef_client_download_url(ksef_buf *out, ksef_client *c, const char *url,
			     ksef_error *err)
{
	ksef__request rq = { 0 };
	int error;

	if ((error = ksef__req_begin(c, out != NULL && url != NULL, err)) < 0)
		return error;
	/* No bearer: the URL is its own credential, and a storage host
	 * must never see the access token. */
	rq.method = "GET";
	rq.url = url;
	rq.accept = "*/*";
	rq.retry_safe = 1;
	return ksef__req_call_bytes(out, c, &rq, err);
}
