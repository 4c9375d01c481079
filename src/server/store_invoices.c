/*
 * store_invoices.c - invoices in the store: accepted durably into an open
 * session (with the ciphertext, before the 202), given their verdict once
 * (with the plaintext and the duplicate key when accepted), read by
 * reference, KSeF number or hash, and listed per session. The verdicts
 * themselves are reached in worker.c.
 */
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

enum { BLOB_CIPHERTEXT = 0, BLOB_PLAINTEXT = 1 };

/* ---- invoices ---- */

static int invoice_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_invoice *v = dst;

	(void)err;
	COL_TEXT(v->ref, s, 0);
	COL_TEXT(v->session_ref, s, 1);
	v->ordinal = sql_col_int(s, 2);
	COL_TEXT(v->invoice_hash, s, 3);
	v->invoice_size = sql_col_int64(s, 4);
	COL_TEXT(v->encrypted_hash, s, 5);
	v->encrypted_size = sql_col_int64(s, 6);
	v->offline_mode = sql_col_int(s, 7);
	COL_TEXT(v->hash_of_corrected, s, 8);
	v->invoicing_ms = sql_col_int64(s, 9);
	v->status = sql_col_int(s, 10);
	COL_TEXT(v->status_details, s, 11);
	COL_TEXT(v->orig_ksef_number, s, 12);
	COL_TEXT(v->orig_session_ref, s, 13);
	COL_TEXT(v->invoice_number, s, 14);
	COL_TEXT(v->seller_nip, s, 15);
	COL_TEXT(v->invoice_kind, s, 16);
	COL_TEXT(v->ksef_number, s, 17);
	v->acquisition_ms = sql_col_int64(s, 18);
	v->permanent_storage_ms = sql_col_int64(s, 19);
	COL_TEXT(v->invoicing_mode, s, 20);
	COL_TEXT(v->issue_date, s, 21);
	COL_TEXT(v->file_name, s, 22);
	v->meta = NULL;
	return 0;
}

static const struct row_type invoice_rows = { sizeof(store_invoice),
					      invoice_row, NULL };

/* What verification decides about an invoice, after its status: the
 * columns that Q_INVOICE_ADD takes as ?12 to ?22 and Q_INVOICE_FINISH as
 * ?3 to ?13, in the same order. */
#define VERDICT_ARGS(inv)                                                  \
	ARG_FIELD((inv)->status_details), ARG_FIELD((inv)->orig_ksef_number), \
	ARG_FIELD((inv)->orig_session_ref), ARG_FIELD((inv)->invoice_number), \
	ARG_FIELD((inv)->seller_nip), ARG_FIELD((inv)->invoice_kind),     \
	ARG_FIELD((inv)->ksef_number), ARG_INT((inv)->acquisition_ms),    \
	ARG_INT((inv)->permanent_storage_ms),                             \
	ARG_FIELD((inv)->invoicing_mode), ARG_FIELD((inv)->issue_date)

static int blob_add(struct conn *w, const char *ref, int kind,
		    const unsigned char *data, size_t len, ksef_error *err)
{
	/* An empty blob, not NULL: the column is NOT NULL. */
	static const unsigned char empty[1];

	return sql_exec(w, Q_BLOB_ADD, ARGS(ARG_TEXT(ref), ARG_INT(kind),
			ARG_BLOB(data ? data : empty, len)), err);
}

struct accept_args {
	store_invoice *inv;
	const unsigned char *data;
	size_t len;
	int session_status;
};

/* The invoice's place in its session, in the write's transaction: the
 * session must be open (*session_status tells its status) and below its
 * limit; inv->ordinal becomes the next number. */
static int take_slot(struct conn *w, store_invoice *inv, int *session_status,
		     ksef_error *err)
{
	struct session_state state = { 0 };
	int error;

	if ((error = sql_session_state(w, inv->session_ref, &state, err)) < 0)
		return error;
	*session_status = state.status;
	/* 150 is a batch session's processing, whose invoices come from
	 * its package (batch.c); an online session never has it. */
	if (state.status != 100 && state.status != 150)
		return sql_fail(err, STORE_WRONG_STATE, "session status %d "
				"does not allow sending invoices",
				state.status);
	if (state.invoice_count >= state.max_invoices)
		return sql_fail(err, STORE_FULL, "the session holds its limit "
				"of %d invoices", state.max_invoices);
	inv->ordinal = state.invoice_count + 1;
	return 0;
}

/* The invoice's row, every column as inv has it. */
static int insert_row(struct conn *w, const store_invoice *inv,
		      ksef_error *err)
{
	return sql_exec(w, Q_INVOICE_ADD,
			ARGS(ARG_FIELD(inv->ref), ARG_FIELD(inv->session_ref),
			     ARG_INT(inv->ordinal),
			     ARG_FIELD(inv->invoice_hash),
			     ARG_INT(inv->invoice_size),
			     ARG_FIELD(inv->encrypted_hash),
			     ARG_INT(inv->encrypted_size),
			     ARG_INT(inv->offline_mode != 0),
			     ARG_FIELD(inv->hash_of_corrected),
			     ARG_INT(inv->invoicing_ms),
			     ARG_INT(inv->status), VERDICT_ARGS(inv),
			     ARG_FIELD(inv->file_name)), err);
}

static int op_invoice_accept(struct conn *w, void *arg, ksef_error *err)
{
	struct accept_args *a = arg;
	store_invoice *inv = a->inv;
	int error;

	if ((error = take_slot(w, inv, &a->session_status, err)) < 0 ||
	    (error = sql_exec(w, Q_SESSION_COUNT_ACCEPT,
			      ARGS(ARG_FIELD(inv->session_ref),
				   ARG_INT(inv->invoicing_ms),
				   ARG_INT(inv->status >= 300)), err)) < 0 ||
	    (error = insert_row(w, inv, err)) < 0)
		return error;
	return blob_add(w, inv->ref, BLOB_CIPHERTEXT, a->data, a->len, err);
}

store_result store_invoice_accept(store *st, store_invoice *inv,
				  const unsigned char *ciphertext, size_t len,
				  int *session_status, ksef_error *err)
{
	store_invoice copy;
	struct accept_args a = { &copy, ciphertext, len, 0 };
	int error;

	if (inv == NULL || (ciphertext == NULL && len > 0))
		return sql_fail(err, STORE_INVALID, "no invoice given");
	if (len > KSEF_CIPHERTEXT_MAX_BYTES)
		return sql_fail(err, STORE_TOO_BIG, "ciphertext is %zu bytes, "
				"over KSEF_CIPHERTEXT_MAX_BYTES", len);
	copy = *inv;
	if (copy.status == 0)
		copy.status = 100;
	if (copy.status == 200)
		return sql_fail(err, STORE_INVALID, "an invoice reaches 200 "
				"only through store_invoice_finish");
	error = sql_submit(st, op_invoice_accept, &a, err);
	if (session_status != NULL)
		*session_status = a.session_status;
	if (error < 0)
		return error;
	*inv = copy;
	return 0;
}

store_result store_invoice_get(store *st, const char *ref, store_invoice *out,
			       ksef_error *err)
{
	return sql_read_one(st, Q_INVOICE_GET, ref, out, invoice_row, "invoice",
			    err);
}

store_result store_invoice_by_ksef_number(store *st, const char *ksef_number,
					  store_invoice *out, ksef_error *err)
{
	return sql_read_one(st, Q_INVOICE_BY_KSEF, ksef_number, out,
			    invoice_row, "invoice", err);
}

static int blob_get(store *st, const char *ref, int kind, ksef_buf *out,
		    ksef_error *err)
{
	int error;

	if (ref == NULL || out == NULL)
		return sql_fail(err, STORE_INVALID, "no invoice given");
	error = sql_read_row(st, Q_BLOB_GET, ARGS(ARG_TEXT(ref), ARG_INT(kind)),
			     sql_blob_row, out, err);
	if (error == SQL_DONE)
		return sql_fail(err, STORE_NOT_FOUND, "invoice %s not stored",
				kind == BLOB_PLAINTEXT ? "content" :
				"ciphertext");
	return error < 0 ? error : 0;
}

store_result store_invoice_ciphertext(store *st, const char *ref, ksef_buf *out,
				      ksef_error *err)
{
	return blob_get(st, ref, BLOB_CIPHERTEXT, out, err);
}

store_result store_invoice_plaintext(store *st, const char *ref, ksef_buf *out,
				     ksef_error *err)
{
	return blob_get(st, ref, BLOB_PLAINTEXT, out, err);
}

store_result store_invoice_by_hash(store *st, const char *ctx_value,
				   const char *invoice_hash, store_invoice *out,
				   ksef_error *err)
{
	int error;

	if (ctx_value == NULL || invoice_hash == NULL || out == NULL)
		return sql_fail(err, STORE_INVALID, "no context or hash given");
	error = sql_read_row(st, Q_INVOICE_BY_HASH, ARGS(ARG_TEXT(ctx_value),
			     ARG_TEXT(invoice_hash)), invoice_row, out, err);
	if (error == SQL_DONE)
		return sql_fail(err, STORE_NOT_FOUND,
				"no invoice with this hash");
	return error < 0 ? error : 0;
}

store_result store_invoice_by_link(store *st, const char *seller_nip,
				   const char *issue_date,
				   const char *invoice_hash, store_invoice *out,
				   ksef_error *err)
{
	int error;

	if (seller_nip == NULL || issue_date == NULL || invoice_hash == NULL ||
	    out == NULL)
		return sql_fail(err, STORE_INVALID, "no NIP, date or hash given");
	error = sql_read_row(st, Q_QR_VERIFY, ARGS(ARG_TEXT(seller_nip),
			     ARG_TEXT(issue_date), ARG_TEXT(invoice_hash)),
			     invoice_row, out, err);
	if (error == SQL_DONE)
		return sql_fail(err, STORE_NOT_FOUND,
				"no accepted invoice with this link");
	return error < 0 ? error : 0;
}

store_result store_correction_accepted(store *st, const char *ctx_value,
				       const char *corrected_hash,
				       ksef_error *err)
{
	int error;

	if (ctx_value == NULL || corrected_hash == NULL)
		return sql_fail(err, STORE_INVALID, "no context or hash given");
	error = sql_read_row(st, Q_CORRECTION_ACCEPTED,
			     ARGS(ARG_TEXT(ctx_value), ARG_TEXT(corrected_hash)),
			     NULL, NULL, err);
	if (error == SQL_DONE)
		return sql_fail(err, STORE_NOT_FOUND, "no accepted correction");
	return error < 0 ? error : 0;
}

struct finish_args {
	store_invoice *inv;
	const unsigned char *data;
	size_t len;
	int64_t now_ms;
};

/* A row_fn: the number and session of the invoice holding a key. */
static int holder_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_invoice *inv = dst;

	(void)err;
	COL_TEXT(inv->orig_ksef_number, s, 0);
	COL_TEXT(inv->orig_session_ref, s, 1);
	return 0;
}

/* Claim the invoice's duplicate key, or answer STORE_EXISTS with the
 * invoice that holds it in inv->orig_ksef_number and orig_session_ref. */
static int claim_dup_key(struct conn *w, store_invoice *inv,
			 ksef_error *err)
{
	int error;

	if ((error = sql_exec(w, Q_DUPKEY_CLAIM,
			      ARGS(ARG_FIELD(inv->seller_nip),
				   ARG_FIELD(inv->invoice_kind),
				   ARG_FIELD(inv->invoice_number),
				   ARG_FIELD(inv->ref)), err)) < 0)
		return error;
	if (sql_changes(w) == 1)
		return 0;

	error = sql_lookup(w, Q_DUPKEY_HOLDER, ARGS(ARG_FIELD(inv->seller_nip),
			   ARG_FIELD(inv->invoice_kind),
			   ARG_FIELD(inv->invoice_number)), holder_row, inv,
			   err);
	if (error == SQL_DONE)
		return sql_fail(err, STORE_ERROR, "database: duplicate key "
				"held by no invoice");
	if (error < 0)
		return error;
	return sql_fail(err, STORE_EXISTS, "the duplicate key is held by "
			"KSeF number %s of session %s", inv->orig_ksef_number,
			inv->orig_session_ref);
}

/* What op_invoice_finish reads of the invoice as stored: its status
 * and, into the invoice, its session. */
struct invoice_state {
	int status;
	store_invoice *inv;
};

static int invoice_state_row(void *dst, const sql_row *s, ksef_error *err)
{
	struct invoice_state *x = dst;

	(void)err;
	x->status = sql_col_int(s, 0);
	COL_TEXT(x->inv->session_ref, s, 1);
	return 0;
}

static int op_invoice_finish(struct conn *w, void *arg, ksef_error *err)
{
	struct finish_args *a = arg;
	store_invoice *inv = a->inv;
	struct invoice_state old = { 0, inv };
	int error;

	/* The invoice as stored: its session, and whether it was final. */
	error = sql_lookup(w, Q_INVOICE_STATE, ARGS(ARG_FIELD(inv->ref)),
			   invoice_state_row, &old, err);
	if (error == SQL_DONE)
		return sql_fail(err, STORE_NOT_FOUND, "invoice not found");
	if (error < 0)
		return error;
	if (old.status >= 200)
		return sql_fail(err, STORE_WRONG_STATE, "invoice already has "
				"final status %d", old.status);

	if (inv->status == 200 && inv->invoice_number[0] != '\0' &&
	    (error = claim_dup_key(w, inv, err)) < 0)
		return error;

	error = sql_exec(w, Q_INVOICE_FINISH, ARGS(ARG_FIELD(inv->ref),
			 ARG_INT(inv->status), VERDICT_ARGS(inv)), err);
	/* STORE_EXISTS of this call names the holder of the duplicate key;
	 * a KSeF number given twice is a failure of another kind. */
	if (error == STORE_EXISTS)
		return sql_fail(err, STORE_ERROR, "KSeF number %s is taken",
				inv->ksef_number);
	if (error < 0)
		return error;

	if (inv->status == 200 &&
	    (error = blob_add(w, inv->ref, BLOB_PLAINTEXT, a->data, a->len,
			      err)) < 0)
		return error;

	return sql_exec(w, Q_SESSION_COUNT_FINISH,
			ARGS(ARG_FIELD(inv->session_ref),
			     ARG_INT(inv->status == 200),
			     ARG_INT(inv->status >= 300), ARG_INT(a->now_ms)),
			err);
}

store_result store_invoice_finish(store *st, store_invoice *inv,
				  const unsigned char *plaintext, size_t len,
				  ksef_error *err)
{
	store_invoice copy;
	struct finish_args a = { &copy, plaintext, len, sql_clock_ms() };
	int error;

	if (inv == NULL || inv->status < 100)
		return sql_fail(err, STORE_INVALID, "no invoice status given");
	if (inv->status == 200 && plaintext == NULL)
		return sql_fail(err, STORE_INVALID, "an accepted invoice needs "
				"its content");
	if (len > KSEF_INVOICE_MAX_BYTES)
		return sql_fail(err, STORE_TOO_BIG, "invoice is %zu bytes, "
				"over KSEF_INVOICE_MAX_BYTES", len);
	copy = *inv;
	error = sql_submit(st, op_invoice_finish, &a, err);
	/* On STORE_EXISTS nothing was written, but the caller learns the
	 * holder of the key. */
	if (error < 0 && error != STORE_EXISTS)
		return error;
	*inv = copy;
	return error;
}

/* ---- one write per invoice ---- */

struct add_args {
	store_invoice *inv;
	const unsigned char *data;
	size_t len;
	void (*duplicate)(store_invoice *inv);
	int *session_status;
	int64_t now_ms;
};

static int op_invoice_add(struct conn *w, void *arg, ksef_error *err)
{
	struct add_args *a = arg;
	store_invoice *inv = a->inv;
	int error, ok;

	if ((error = take_slot(w, inv, a->session_status, err)) < 0)
		return error;

	/* The key's holder first, so that a duplicate is stored as what it
	 * is; the key itself is claimed after the row it points to. */
	if (inv->status == 200 && inv->invoice_number[0] != '\0') {
		error = sql_lookup(w, Q_DUPKEY_HOLDER,
				   ARGS(ARG_FIELD(inv->seller_nip),
					ARG_FIELD(inv->invoice_kind),
					ARG_FIELD(inv->invoice_number)),
				   holder_row, inv, err);
		if (error < 0)
			return error;
		if (error == SQL_ROW)
			a->duplicate(inv);
	}
	ok = inv->status == 200;
	if (ok) {
		/* Permanent storage is this write: its time is now, no later
		 * than the commit, so whoever learns the KSeF number (only
		 * after the commit) can download the invoice. Acquisition
		 * stays before it (SPEC 4.16), if need be by a millisecond. */
		inv->permanent_storage_ms = sql_stamp_ms(w);
		if (inv->acquisition_ms >= inv->permanent_storage_ms)
			inv->acquisition_ms = inv->permanent_storage_ms - 1;
	}
	if ((error = sql_exec(w, Q_SESSION_COUNT_ADD,
			      ARGS(ARG_FIELD(inv->session_ref), ARG_INT(ok),
				   ARG_INT(inv->status >= 300),
				   ARG_INT(a->now_ms)), err)) < 0 ||
	    (error = insert_row(w, inv, err)) < 0)
		return error;
	if (!ok)
		return 0;
	if (inv->invoice_number[0] != '\0') {
		if ((error = sql_exec(w, Q_DUPKEY_CLAIM,
				      ARGS(ARG_FIELD(inv->seller_nip),
					   ARG_FIELD(inv->invoice_kind),
					   ARG_FIELD(inv->invoice_number),
					   ARG_FIELD(inv->ref)), err)) < 0)
			return error;
		if (sql_changes(w) != 1)
			return sql_fail(err, STORE_ERROR, "database: duplicate "
					"key taken within the transaction");
	}
	if ((error = sql_meta_add(w, inv, err)) < 0)
		return error;
	return blob_add(w, inv->ref, BLOB_PLAINTEXT, a->data, a->len, err);
}

/* What the caller's done() needs besides the result: the arguments are
 * freed before it runs. */
struct add_call {
	struct add_args args;
	store_done_fn *done;
	void *arg;
};

static void add_done(void *arg, int result)
{
	struct add_call *call = arg;
	store_done_fn *done = call->done;
	void *done_arg = call->arg;

	free(call);
	done(done_arg, result);
}

store_result store_invoice_add(store *st, store_invoice *inv,
			       const unsigned char *plaintext, size_t len,
			       void (*duplicate)(store_invoice *inv),
			       int *session_status, store_done_fn *done,
			       void *arg, ksef_error *err)
{
	struct add_call *call;
	int error;

	if (inv == NULL || inv->status < 200 || duplicate == NULL ||
	    session_status == NULL || done == NULL)
		return sql_fail(err, STORE_INVALID, "no decided invoice given");
	if (inv->status == 200 && plaintext == NULL)
		return sql_fail(err, STORE_INVALID, "an accepted invoice needs "
				"its content");
	if (len > KSEF_INVOICE_MAX_BYTES)
		return sql_fail(err, STORE_TOO_BIG, "invoice is %zu bytes, "
				"over KSEF_INVOICE_MAX_BYTES", len);
	if ((call = malloc(sizeof(*call))) == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	*session_status = 0;
	call->args = (struct add_args){ inv, plaintext, len, duplicate,
					session_status, sql_clock_ms() };
	call->done = done;
	call->arg = arg;
	if ((error = sql_submit_async_locking(st, op_invoice_add, &call->args,
					      inv->session_ref, err, add_done,
					      call)) < 0)
		free(call);
	return error;
}

store_result store_invoices_list(store *st, const char *session_ref,
				 int failed_only, int after_ordinal,
				 size_t limit, store_invoice **out,
				 size_t *count, ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	if (session_ref == NULL)
		return sql_fail(err, STORE_INVALID, "no session given");
	error = sql_read_rows(st, Q_INVOICES_LIST, ARGS(ARG_TEXT(session_ref),
			      ARG_INT(after_ordinal), ARG_INT(failed_only != 0),
			      ARG_INT(limit_arg(limit))),
			      &invoice_rows, &rows, count, err);
	*out = rows;
	return error;
}

store_result store_invoices_pending(store *st, char (**refs)[STORE_REF_SZ],
				    size_t *count, ksef_error *err)
{
	void *rows = NULL;
	int error;

	*refs = NULL;
	*count = 0;
	error = sql_read_rows(st, Q_INVOICES_PENDING, NULL, &sql_ref_rows,
			      &rows, count, err);
	*refs = rows;
	return error;
}

store_result store_invoices_accepted(store *st, const char *session_ref,
				     int after_ordinal, size_t limit,
				     store_invoice **out, size_t *count,
				     ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	if (session_ref == NULL)
		return sql_fail(err, STORE_INVALID, "no session given");
	error = sql_read_rows(st, Q_INVOICES_ACCEPTED,
			      ARGS(ARG_TEXT(session_ref),
				   ARG_INT(after_ordinal),
				   ARG_INT(limit_arg(limit))),
			      &invoice_rows, &rows, count, err);
	*out = rows;
	return error;
}

