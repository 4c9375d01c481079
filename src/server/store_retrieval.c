/*
 * store_retrieval.c - owns the metadata of accepted invoices in the store
 * (invoice_meta): written in the transaction that stores an accepted
 * invoice (store_invoices.c calls sql_meta_add), read by the metadata
 * query and the export of POST /invoices/query/metadata and
 * /invoices/exports. Every query is bounded by its LIMIT.
 */
#include <string.h>
#include "store_int.h"

int sql_meta_add(struct conn *w, const store_invoice *inv, ksef_error *err)
{
	const store_invoice_meta *m = inv->meta;

	if (m == NULL)
		return 0;
	return sql_exec(w, Q_META_ADD, ARGS(ARG_FIELD(inv->ref),
		ARG_FIELD(inv->seller_nip), ARG_INT(m->issue_key),
		ARG_INT(inv->invoicing_ms), ARG_INT(inv->permanent_storage_ms),
		ARG_FIELD(m->seller_name), ARG_FIELD(m->buyer_id_type),
		ARG_FIELD(m->buyer_id), ARG_FIELD(m->buyer_name),
		ARG_FIELD(m->currency), ARG_INT(m->net), ARG_INT(m->vat),
		ARG_INT(m->gross), ARG_INT(m->self_invoicing),
		ARG_INT(m->has_attachment), ARG_INT(m->form),
		ARG_FIELD(m->form_type), ARG_FIELD(m->invoice_type),
		ARG_FIELD(m->authorized_nip), ARG_INT(m->authorized_role),
		ARG_FIELD(m->subject3_nips), ARG_FIELD(m->third)), err);
}

static int meta_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_meta_row *r = dst;
	store_invoice_meta *m = &r->meta;

	(void)err;
	COL_TEXT(r->inv.ksef_number, s, 0);
	COL_TEXT(r->inv.invoice_number, s, 1);
	COL_TEXT(r->inv.issue_date, s, 2);
	r->inv.invoicing_ms = sql_col_int64(s, 3);
	r->inv.acquisition_ms = sql_col_int64(s, 4);
	r->inv.permanent_storage_ms = sql_col_int64(s, 5);
	COL_TEXT(r->inv.invoice_hash, s, 6);
	COL_TEXT(r->inv.hash_of_corrected, s, 7);
	COL_TEXT(r->inv.invoicing_mode, s, 8);
	COL_TEXT(r->inv.ref, s, 9);
	COL_TEXT(m->seller_name, s, 10);
	COL_TEXT(m->buyer_id_type, s, 11);
	COL_TEXT(m->buyer_id, s, 12);
	COL_TEXT(m->buyer_name, s, 13);
	COL_TEXT(m->currency, s, 14);
	m->net = sql_col_int64(s, 15);
	m->vat = sql_col_int64(s, 16);
	m->gross = sql_col_int64(s, 17);
	m->self_invoicing = sql_col_int(s, 18);
	m->has_attachment = sql_col_int(s, 19);
	m->form = sql_col_int(s, 20);
	COL_TEXT(m->form_type, s, 21);
	COL_TEXT(m->invoice_type, s, 22);
	COL_TEXT(m->authorized_nip, s, 23);
	m->authorized_role = sql_col_int(s, 24);
	COL_TEXT(m->subject3_nips, s, 25);
	COL_TEXT(m->third, s, 26);
	r->key = sql_col_int64(s, 27);
	COL_TEXT(r->inv.seller_nip, s, 28);
	return 0;
}

static const struct row_type meta_rows = { sizeof(store_meta_row), meta_row,
					   NULL };

/* An optional integer filter: NULL when unset (negative). */
#define OPT_INT(v) { (v) < 0 ? P_NULL_INT : P_INT, NULL, 0, (int64_t)(v) }

store_result store_meta_query_run(store *st, const store_meta_query *q,
				  store_meta_row **out, size_t *count,
				  ksef_error *err)
{
	void *rows = NULL;
	size_t limit;
	int error;

	*out = NULL;
	*count = 0;
	if (q == NULL || q->nip == NULL || q->subject < 1 || q->subject > 4 ||
	    q->date_type < 0 || q->date_type > 2)
		return sql_fail(err, STORE_INVALID, "no metadata query given");
	limit = q->limit < STORE_META_QUERY_MAX ? q->limit :
						  STORE_META_QUERY_MAX;
	error = sql_read_rows(st, Q_META_QUERY, ARGS(ARG_INT(q->subject),
		ARG_TEXT(q->nip), ARG_INT(q->date_type), ARG_INT(q->from),
		ARG_INT(q->to), ARG_TEXT(q->ksef_number),
		ARG_TEXT(q->invoice_number), ARG_TEXT(q->seller_nip),
		ARG_TEXT(q->buyer_type), ARG_TEXT(q->buyer_value),
		OPT_INT(q->amount_type > 0 ? q->amount_type : -1),
		ARG_INT(q->amount_from), ARG_INT(q->amount_to),
		ARG_TEXT(q->currencies), ARG_TEXT(q->invoicing_mode),
		OPT_INT(q->self_invoicing), ARG_TEXT(q->form_type),
		ARG_TEXT(q->invoice_types), OPT_INT(q->has_attachment),
		ARG_INT(q->descending != 0), ARG_INT(limit),
		ARG_INT(limit_arg(q->offset))), &meta_rows, &rows, count, err);
	*out = rows;
	return error;
}

/* ---- exports ---- */

static int export_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_export *e = dst;

	(void)err;
	COL_TEXT(e->ref, s, 0);
	COL_TEXT(e->ctx_type, s, 1);
	COL_TEXT(e->ctx_value, s, 2);
	COL_TEXT(e->nip, s, 3);
	e->status = sql_col_int(s, 4);
	COL_TEXT(e->filters, s, 5);
	e->only_metadata = sql_col_int(s, 6);
	e->key_id = sql_col_int64(s, 7);
	e->wrapped_key_len = sql_col_blob(s, 8, e->wrapped_key,
					  sizeof(e->wrapped_key));
	if (sql_col_blob(s, 9, e->iv, sizeof(e->iv)) != sizeof(e->iv))
		memset(e->iv, 0, sizeof(e->iv));
	e->created_ms = sql_col_int64(s, 10);
	e->completed_ms = sql_col_int64(s, 11);
	COL_TEXT(e->package, s, 12);
	return 0;
}

store_result store_export_add(store *st, const store_export *e,
			      ksef_error *err)
{
	const struct param *p = ARGS(ARG_FIELD(e->ref), ARG_FIELD(e->ctx_type),
		ARG_FIELD(e->ctx_value), ARG_FIELD(e->nip), ARG_INT(e->status),
		ARG_FIELD(e->filters), ARG_INT(e->only_metadata),
		ARG_INT(e->key_id), ARG_BLOB(e->wrapped_key,
		e->wrapped_key_len), ARG_BLOB(e->iv, sizeof(e->iv)),
		ARG_INT(e->created_ms), ARG_INT(e->completed_ms),
		ARG_FIELD(e->package));
	struct exec_args a = { Q_EXPORT_ADD, p };

	return sql_submit(st, sql_op_exec, &a, err);
}

store_result store_export_get(store *st, const char *ref, store_export *out,
			      ksef_error *err)
{
	return sql_read_one(st, Q_EXPORT_GET, ref, out, export_row,
			    "invoice export", err);
}

store_result store_exports_running(store *st, const char *ctx_type,
				   const char *ctx_value, int64_t *count,
				   ksef_error *err)
{
	int rc;

	*count = 0;
	rc = sql_read_row(st, Q_EXPORT_RUNNING, ARGS(ARG_TEXT(ctx_type),
			  ARG_TEXT(ctx_value)), sql_int64_row, count, err);
	return rc < 0 ? rc : STORE_OK;
}

store_result store_exports_pending(store *st, size_t limit,
				   char (**refs)[STORE_REF_SZ], size_t *count,
				   ksef_error *err)
{
	void *rows = NULL;
	int error;

	error = sql_read_rows(st, Q_EXPORTS_PENDING,
			      ARGS(ARG_INT(limit_arg(limit))), &sql_ref_rows,
			      &rows, count, err);
	*refs = rows;
	return error;
}

store_result store_export_finish(store *st, const char *ref, int status,
				 int64_t completed_ms, const char *package,
				 ksef_error *err)
{
	const struct param *p = ARGS(ARG_TEXT(ref), ARG_INT(status),
		ARG_INT(completed_ms), ARG_TEXT(package));
	struct update_args a = { Q_EXPORT_FINISH, p, "invoice export" };

	return sql_submit(st, sql_op_update, &a, err);
}

store_result store_exports_expired(store *st, int64_t before_ms, size_t limit,
				   char (**refs)[STORE_REF_SZ], size_t *count,
				   ksef_error *err)
{
	void *rows = NULL;
	int error;

	error = sql_read_rows(st, Q_EXPORTS_EXPIRED, ARGS(ARG_INT(before_ms),
			      ARG_INT(limit_arg(limit))), &sql_ref_rows, &rows,
			      count, err);
	*refs = rows;
	return error;
}

store_result store_export_forget(store *st, const char *ref, ksef_error *err)
{
	const struct param *p = ARGS(ARG_TEXT(ref));
	struct update_args a = { Q_EXPORT_FORGET, p, "invoice export" };

	return sql_submit(st, sql_op_update, &a, err);
}
