/*
 * client_invoices_query.c - POST /invoices/query/metadata and what the
 * exports share with it: the filters (InvoiceQueryFilters), checked
 * against open-api.json before anything is sent, and the reading of
 * InvoiceMetadata, which the query's pages and an export's _metadata.json
 * both hold. Exports themselves are client_invoices_export.c's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include "ksef/limits.h"
#include "client_invoices_int.h"

/* Longest amount text: digits, a sign and a point. */
#define AMOUNT_TEXT_MAX 32

static const char *const subject_names[] = {
	NULL, "Subject1", "Subject2", "Subject3", "SubjectAuthorized"
};
static const char *const date_type_names[] = {
	NULL, "Issue", "Invoicing", "PermanentStorage"
};
static const char *const amount_names[] = {
	NULL, "Brutto", "Netto", "Vat"
};
static const char *const buyer_names[] = {
	NULL, "Nip", "VatUe", "Other", "None"
};
static const char *const mode_names[] = { NULL, "Online", "Offline" };
static const char *const form_names[] = { "FA", "PEF", "FA_RR" };
/* InvoiceType's enum. */
static const char *const invoice_type_names[] = {
	"Vat", "Zal", "Kor", "Roz", "Upr", "KorZal", "KorRoz", "VatPef",
	"VatPefSp", "KorPef", "VatRr", "KorVatRr"
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const char *ksef_invoice_subject_name(ksef_invoice_subject s)
{
	return (int)s > 0 && (size_t)s < N(subject_names) ?
		subject_names[s] : NULL;
}

ksef_invoice_subject ksef_invoice_subject_of(const char *name)
{
	size_t i;

	for (i = 1; name != NULL && i < N(subject_names); i++)
		if (strcmp(name, subject_names[i]) == 0)
			return (ksef_invoice_subject)i;
	return KSEF_SUBJECT_NONE;
}

const char *ksef_invoice_date_type_name(ksef_invoice_date_type t)
{
	return (int)t > 0 && (size_t)t < N(date_type_names) ?
		date_type_names[t] : NULL;
}

ksef_invoice_date_type ksef_invoice_date_type_of(const char *name)
{
	size_t i;

	for (i = 1; name != NULL && i < N(date_type_names); i++)
		if (strcmp(name, date_type_names[i]) == 0)
			return (ksef_invoice_date_type)i;
	return KSEF_DATE_NONE;
}

/*
 * Filters
 */

static const size_t filters_sizes[] = {
	KSEF__OPTIONS_END(ksef_invoice_filters, has_attachment),
};
KSEF__OPTIONS_SIZES(filters_sizes, KSEF_INVOICE_FILTERS_VERSION);

static int bad(ksef_error *err, const char *field, const char *why)
{
	return ksef__error_set(err, KSEF_EINVAL, "filters.%s %s", field, why);
}

static int in_list(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return 1;
	return 0;
}

static int utf8_ok(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if ((n = ksef__utf8_next((const unsigned char *)s + i, len - i,
					 NULL)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

static int tri_ok(int v)
{
	return v >= -1 && v <= 1;
}

/* A decimal amount: optional '-', digits, optionally '.' and digits. */
static int amount_value(double *out, const char *s)
{
	size_t i = 0, digits = 0, len = strnlen(s, AMOUNT_TEXT_MAX + 1);
	char *end;

	if (len == 0 || len > AMOUNT_TEXT_MAX)
		return -1;
	if (s[i] == '-')
		i++;
	for (; s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (s[i] == '.')
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (s[i] != '\0' || digits == 0)
		return -1;
	*out = strtod(s, &end);
	return isfinite(*out) && *end == '\0' ? 0 : -1;
}

static int put_time(json_t *o, const char *key, int64_t ms, ksef_error *err)
{
	char text[KSEF_TIME_BUFSZ];
	ksef_time t;
	int error;

	t.unix_ms = ms;
	t.offset_minutes = 0;
	if ((error = ksef_time_format_ext(text, t, KSEF_TIME_FMT_Z, err)) < 0)
		return bad(err, key, "is not a time the API can write");
	return ksef__req_json_set(o, key, json_string(text));
}

static int put_str(json_t *o, const char *key, const char *s)
{
	return ksef__req_json_set(o, key, json_string(s));
}

static int put_names(json_t *o, const char *key, const char *const *v,
		     size_t n)
{
	json_t *a = json_array();
	size_t i;

	if (a == NULL)
		return KSEF_ENOMEM;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return KSEF_ENOMEM;
		}
	return ksef__req_json_set(o, key, a);
}

/* Checks that need no JSON: every field against the contract. */
static int check_filters(const ksef_invoice_filters *f, ksef_error *err)
{
	size_t i, len;
	double from = 0, to = 0;

	if (ksef_invoice_subject_name(f->subject) == NULL)
		return bad(err, "subjectType", "must be Subject1, Subject2, "
			   "Subject3 or SubjectAuthorized");
	if (ksef_invoice_date_type_name(f->date_type) == NULL)
		return bad(err, "dateRange.dateType", "must be Issue, "
			   "Invoicing or PermanentStorage");
	if (f->from_ms == KSEF_TIME_UNSET)
		return bad(err, "dateRange.from", "is required");
	if (f->to_ms != KSEF_TIME_UNSET && f->to_ms < f->from_ms)
		return bad(err, "dateRange.to", "is before dateRange.from");
	if (!tri_ok(f->restrict_to_hwm))
		return bad(err, "dateRange.restrictToPermanentStorageHwmDate",
			   "must be 1, 0 or -1");
	if (f->restrict_to_hwm == 1 &&
	    f->date_type != KSEF_DATE_PERMANENT_STORAGE)
		return bad(err, "dateRange.restrictToPermanentStorageHwmDate",
			   "applies to dateType PermanentStorage only");
	if (f->ksef_number != NULL &&
	    ksef_number_validate(f->ksef_number, strlen(f->ksef_number),
				 NULL) != 0)
		return bad(err, "ksefNumber", "is not a KSeF number");
	if (f->invoice_number != NULL) {
		len = strlen(f->invoice_number);
		if (len == 0 || !utf8_ok(f->invoice_number, len) ||
		    ksef__req_utf8_chars(f->invoice_number, len) > 256)
			return bad(err, "invoiceNumber", "must be 1 to 256 "
				   "characters of UTF-8");
	}
	if ((int)f->amount_type < 0 || (size_t)f->amount_type >=
	    N(amount_names))
		return bad(err, "amount.type", "must be Brutto, Netto or Vat");
	if (f->amount_type == KSEF_AMOUNT_ANY &&
	    (f->amount_from != NULL || f->amount_to != NULL))
		return bad(err, "amount", "needs a type (Brutto, Netto, Vat)");
	if ((f->amount_from != NULL && amount_value(&from, f->amount_from)) ||
	    (f->amount_to != NULL && amount_value(&to, f->amount_to)))
		return bad(err, "amount", "must be decimal numbers");
	if (f->amount_from != NULL && f->amount_to != NULL && to < from)
		return bad(err, "amount.to", "is below amount.from");
	if (f->seller_nip != NULL &&
	    ksef_nip_validate_pattern(f->seller_nip, strlen(f->seller_nip),
				      NULL) != 0)
		return bad(err, "sellerNip", "is not a NIP");
	if ((int)f->buyer_type < 0 || (size_t)f->buyer_type >= N(buyer_names))
		return bad(err, "buyerIdentifier.type", "must be Nip, VatUe, "
			   "Other or None");
	if (f->buyer_type == KSEF_BUYER_ANY && f->buyer_value != NULL)
		return bad(err, "buyerIdentifier", "needs a type");
	if (f->buyer_type == KSEF_BUYER_NONE && f->buyer_value != NULL)
		return bad(err, "buyerIdentifier.value", "is absent for None");
	if (f->buyer_type != KSEF_BUYER_ANY &&
	    f->buyer_type != KSEF_BUYER_NONE) {
		len = f->buyer_value != NULL ? strlen(f->buyer_value) : 0;
		if (len == 0 || len > 50 ||
		    !ksef__printable_ascii(f->buyer_value, len))
			return bad(err, "buyerIdentifier.value", "must be 1 to "
				   "50 printable characters");
		if (f->buyer_type == KSEF_BUYER_NIP &&
		    ksef_nip_validate_pattern(f->buyer_value, len, NULL) != 0)
			return bad(err, "buyerIdentifier.value", "is not a "
				   "NIP");
	}
	if (f->currency_code_count > KSEF_INVOICE_FILTER_LIST_MAX ||
	    (f->currency_code_count > 0 && f->currency_codes == NULL))
		return bad(err, "currencyCodes", "has too many codes "
			   "(KSEF_INVOICE_FILTER_LIST_MAX) or none");
	for (i = 0; i < f->currency_code_count; i++) {
		const char *s = f->currency_codes[i];

		if (s == NULL || strlen(s) != 3 || s[0] < 'A' || s[0] > 'Z' ||
		    s[1] < 'A' || s[1] > 'Z' || s[2] < 'A' || s[2] > 'Z')
			return bad(err, "currencyCodes", "must be three "
				   "capital letters each");
	}
	if ((int)f->invoicing_mode < 0 ||
	    (size_t)f->invoicing_mode >= N(mode_names))
		return bad(err, "invoicingMode", "must be Online or Offline");
	if (!tri_ok(f->is_self_invoicing))
		return bad(err, "isSelfInvoicing", "must be 1, 0 or -1");
	if (f->form_type != NULL &&
	    !in_list(f->form_type, form_names, N(form_names)))
		return bad(err, "formType", "must be FA, PEF or FA_RR");
	if (f->invoice_type_count > KSEF_INVOICE_FILTER_LIST_MAX ||
	    (f->invoice_type_count > 0 && f->invoice_types == NULL))
		return bad(err, "invoiceTypes", "has too many types "
			   "(KSEF_INVOICE_FILTER_LIST_MAX) or none");
	for (i = 0; i < f->invoice_type_count; i++)
		if (f->invoice_types[i] == NULL ||
		    !in_list(f->invoice_types[i], invoice_type_names,
			     N(invoice_type_names)))
			return bad(err, "invoiceTypes", "must be InvoiceType "
				   "values (Vat, Zal, Kor, Roz, Upr, KorZal, "
				   "KorRoz, VatPef, VatPefSp, KorPef, VatRr, "
				   "KorVatRr)");
	if (!tri_ok(f->has_attachment))
		return bad(err, "hasAttachment", "must be 1, 0 or -1");
	return 0;
}

static int build_filters(json_t *o, const ksef_invoice_filters *f,
			 ksef_error *err)
{
	json_t *range, *sub;
	double v;
	int error = 0;

	if ((error = put_str(o, "subjectType", subject_names[f->subject])) < 0)
		return error;
	if ((range = json_object()) == NULL ||
	    (error = ksef__req_json_set(o, "dateRange", range)) < 0)
		return KSEF_ENOMEM;
	if ((error = put_str(range, "dateType",
			     date_type_names[f->date_type])) < 0 ||
	    (error = put_time(range, "from", f->from_ms, err)) < 0 ||
	    (f->to_ms != KSEF_TIME_UNSET &&
	     (error = put_time(range, "to", f->to_ms, err)) < 0) ||
	    (f->restrict_to_hwm >= 0 &&
	     (error = ksef__req_json_set(range,
			"restrictToPermanentStorageHwmDate",
			json_boolean(f->restrict_to_hwm))) < 0))
		return error;
	if ((f->ksef_number != NULL &&
	     (error = put_str(o, "ksefNumber", f->ksef_number)) < 0) ||
	    (f->invoice_number != NULL &&
	     (error = put_str(o, "invoiceNumber", f->invoice_number)) < 0))
		return error;
	if (f->amount_type != KSEF_AMOUNT_ANY) {
		if ((sub = json_object()) == NULL ||
		    ksef__req_json_set(o, "amount", sub) < 0 ||
		    put_str(sub, "type", amount_names[f->amount_type]) < 0)
			return KSEF_ENOMEM;
		if (f->amount_from != NULL &&
		    (amount_value(&v, f->amount_from) < 0 ||
		     ksef__req_json_set(sub, "from", json_real(v)) < 0))
			return KSEF_ENOMEM;
		if (f->amount_to != NULL &&
		    (amount_value(&v, f->amount_to) < 0 ||
		     ksef__req_json_set(sub, "to", json_real(v)) < 0))
			return KSEF_ENOMEM;
	}
	if (f->seller_nip != NULL &&
	    (error = put_str(o, "sellerNip", f->seller_nip)) < 0)
		return error;
	if (f->buyer_type != KSEF_BUYER_ANY) {
		if ((sub = json_object()) == NULL ||
		    ksef__req_json_set(o, "buyerIdentifier", sub) < 0 ||
		    put_str(sub, "type", buyer_names[f->buyer_type]) < 0 ||
		    (f->buyer_value != NULL &&
		     put_str(sub, "value", f->buyer_value) < 0))
			return KSEF_ENOMEM;
	}
	if ((f->currency_code_count > 0 &&
	     (error = put_names(o, "currencyCodes", f->currency_codes,
				f->currency_code_count)) < 0) ||
	    (f->invoicing_mode != KSEF_INVOICING_ANY &&
	     (error = put_str(o, "invoicingMode",
			      mode_names[f->invoicing_mode])) < 0) ||
	    (f->is_self_invoicing >= 0 &&
	     (error = ksef__req_json_set(o, "isSelfInvoicing",
				json_boolean(f->is_self_invoicing))) < 0) ||
	    (f->form_type != NULL &&
	     (error = put_str(o, "formType", f->form_type)) < 0) ||
	    (f->invoice_type_count > 0 &&
	     (error = put_names(o, "invoiceTypes", f->invoice_types,
				f->invoice_type_count)) < 0) ||
	    (f->has_attachment >= 0 &&
	     (error = ksef__req_json_set(o, "hasAttachment",
				json_boolean(f->has_attachment))) < 0))
		return error;
	return 0;
}

int ksef__invoice_filters_json(json_t **out, const ksef_invoice_filters *f,
			       ksef_error *err)
{
	ksef_invoice_filters copy = KSEF_INVOICE_FILTERS_INIT;
	json_t *o;
	int error;

	*out = NULL;
	if ((error = KSEF__OPTIONS_COPY(&copy, f, filters_sizes,
					KSEF_INVOICE_FILTERS_VERSION,
					"ksef_invoice_filters", err)) < 0 ||
	    (error = check_filters(&copy, err)) < 0)
		return error;
	if ((o = json_object()) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((error = build_filters(o, &copy, err)) < 0) {
		json_decref(o);
		if (error == KSEF_ENOMEM)
			ksef__error_set(err, error, "out of memory");
		return error;
	}
	*out = o;
	return 0;
}

int ksef__invoice_query_path(ksef_buf *path, int descending, int page_offset,
			     int page_size, ksef_error *err)
{
	int error;

	if (page_offset < 0)
		return ksef__error_set(err, KSEF_EINVAL,
				       "pageOffset must not be negative");
	if ((error = ksef__req_check_page_size(page_size, 250, err)) < 0)
		return error;
	if ((error = ksef__buf_put(path, "/invoices/query/metadata", 24,
				   KSEF__PATH_MAX_BYTES)) < 0 ||
	    (error = ksef__req_put_param(path, "sortOrder",
					 descending ? "Desc" : "Asc")) < 0 ||
	    (error = ksef__req_put_int_param(path, "pageOffset",
					     page_offset)) < 0 ||
	    (page_size > 0 &&
	     (error = ksef__req_put_int_param(path, "pageSize",
					      page_size)) < 0))
		return ksef__req_path_fail(error, err);
	return 0;
}

/*
 * InvoiceMetadata
 */

static int rd_amount(struct ksef__rd *r, const json_t *o, const char *key,
		     double *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return ksef__rd_fail(r, key, "must be a number");
	*out = json_number_value(v);
	return 0;
}

static int rd_bool(struct ksef__rd *r, const json_t *o, const char *key,
		   int *out)
{
	int error = ksef__rd_opt_bool(r, o, key, out);

	if (error == 0 && *out < 0)
		return ksef__rd_fail(r, key, "is required");
	return error;
}

int ksef__rd_invoice_metadata(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_invoice_metadata *m = item;
	const json_t *seller, *buyer, *id, *form;
	char *text;
	size_t at;
	int error;

	if ((error = ksef__rd_string(r, o, "ksefNumber", 1, 35, 36,
				     &m->ksef_number)) < 0 ||
	    (error = ksef__rd_string(r, o, "invoiceNumber", 1, 0, 1024,
				     &m->invoice_number)) < 0 ||
	    (error = ksef__rd_string(r, o, "issueDate", 1, 10, 10,
				     &m->issue_date)) < 0 ||
	    (error = ksef__rd_time(r, o, "invoicingDate",
				   &m->invoicing_date_ms)) < 0 ||
	    (error = ksef__rd_time(r, o, "acquisitionDate",
				   &m->acquisition_date_ms)) < 0 ||
	    (error = ksef__rd_time(r, o, "permanentStorageDate",
				   &m->permanent_storage_date_ms)) < 0 ||
	    (error = rd_amount(r, o, "netAmount", &m->net_amount)) < 0 ||
	    (error = rd_amount(r, o, "grossAmount", &m->gross_amount)) < 0 ||
	    (error = rd_amount(r, o, "vatAmount", &m->vat_amount)) < 0 ||
	    (error = ksef__rd_string(r, o, "currency", 1, 3, 3,
				     &m->currency)) < 0 ||
	    (error = ksef__rd_string(r, o, "invoicingMode", 1, 1, 16,
				     &m->invoicing_mode)) < 0 ||
	    (error = ksef__rd_string(r, o, "invoiceType", 1, 1, 16,
				     &m->invoice_type)) < 0 ||
	    (error = rd_bool(r, o, "isSelfInvoicing",
			     &m->is_self_invoicing)) < 0 ||
	    (error = rd_bool(r, o, "hasAttachment", &m->has_attachment)) < 0 ||
	    (error = ksef__rd_string(r, o, "invoiceHash", 1, 44, 44,
				     &m->invoice_hash)) < 0 ||
	    (error = ksef__rd_object(r, o, "seller", 1, &seller)) < 0 ||
	    (error = ksef__rd_object(r, o, "buyer", 1, &buyer)) < 0 ||
	    (error = ksef__rd_object(r, o, "formCode", 1, &form)) < 0)
		return error;
	at = ksef__rd_push(r, "seller");
	if ((error = ksef__rd_string(r, seller, "nip", 1, 10, 10,
				     &m->seller_nip)) < 0 ||
	    (error = ksef__rd_string(r, seller, "name", 0, 0, 2048,
				     &m->seller_name)) < 0)
		return error;
	ksef__rd_pop(r, at);
	at = ksef__rd_push(r, "buyer");
	if ((error = ksef__rd_object(r, buyer, "identifier", 1, &id)) < 0 ||
	    (error = ksef__rd_string(r, buyer, "name", 0, 0, 2048,
				     &m->buyer_name)) < 0 ||
	    (error = ksef__rd_string(r, id, "type", 1, 1, 16,
				     &m->buyer_id_type)) < 0 ||
	    (error = ksef__rd_string(r, id, "value", 0, 0, 200,
				     &m->buyer_id_value)) < 0)
		return error;
	ksef__rd_pop(r, at);
	at = ksef__rd_push(r, "formCode");
	if ((error = ksef__rd_string(r, form, "value", 1, 1, 64,
				     &m->form_code)) < 0)
		return error;
	ksef__rd_pop(r, at);
	if ((text = json_dumps(o, JSON_COMPACT)) == NULL)
		return ksef__rd_nomem(r);
	m->json = ksef__result_strndup(r->res, text, strlen(text));
	free(text);
	return m->json == NULL ? ksef__rd_nomem(r) : 0;
}

size_t ksef_api_invoice_metadata_list_count(
	const ksef_api_invoice_metadata_list *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_invoice_metadata *ksef_api_invoice_metadata_list_at(
	const ksef_api_invoice_metadata_list *l, size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

/*
 * The query
 */

static int parse_query(struct ksef__rd *r, const json_t *root, void *res)
{
	ksef_api_invoice_query *q = res;
	struct ksef__list *l;
	int error;

	if ((error = rd_bool(r, root, "hasMore", &q->has_more)) < 0 ||
	    (error = rd_bool(r, root, "isTruncated", &q->is_truncated)) < 0 ||
	    (error = ksef__rd_opt_time(r, root, "permanentStorageHwmDate",
				       &q->permanent_storage_hwm_ms)) < 0)
		return error;
	if ((l = ksef__rd_list_new(r, sizeof(ksef_api_invoice_metadata))) ==
	    NULL)
		return KSEF_ENOMEM;
	q->invoices = (const ksef_api_invoice_metadata_list *)(void *)l;
	return ksef__rd_items(r, root, "invoices", l,
			      ksef__rd_invoice_metadata);
}

int ksef_client_invoices_query(ksef_api_invoice_query **out, ksef_client *c,
			       const ksef_invoice_filters *filters,
			       int descending, int page_offset, int page_size,
			       ksef_error *err)
{
	ksef__request rq = { 0 };
	ksef_buf path = KSEF_BUF_INIT;
	json_t *body = NULL;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL && filters != NULL,
				     err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_need_token(&rq.bearer, c, err)) < 0 ||
	    (error = ksef__invoice_query_path(&path, descending, page_offset,
					      page_size, err)) < 0 ||
	    (error = ksef__invoice_filters_json(&body, filters, err)) < 0)
		goto done;
	rq.path = (const char *)path.ptr;
	/* A query changes nothing: a 5xx or a timeout may be retried. */
	rq.retry_safe = 1;
	if ((error = ksef__req_post_result(&res, c, &rq, body,
					   sizeof(ksef_api_invoice_query),
					   parse_query, err)) == 0)
		*out = res;
done:
	ksef_buf_dispose(&path);
	return error;
}

void ksef_api_invoice_query_free(ksef_api_invoice_query *q)
{
	ksef__result_free(q);
}
