/*
 * store_batch.c - the store's records of batch sessions (store.h, "batch
 * sessions"): the package a session declared, its parts and their
 * arrival, and the session's moves into and out of processing (150).
 */
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

struct batch_add_args {
	const char *ref;
	const store_batch_file *f;
	const store_batch_part *parts;
	size_t n;
};

static int op_batch_add(struct conn *w, void *arg, ksef_error *err)
{
	struct batch_add_args *a = arg;
	size_t i;
	int error;

	error = sql_exec(w, Q_BATCH_FILE_ADD,
			 ARGS(ARG_TEXT(a->ref), ARG_INT(a->f->file_size),
			      ARG_FIELD(a->f->file_hash),
			      ARG_FIELD(a->f->compression),
			      ARG_INT(a->f->part_count),
			      ARG_INT(a->f->offline != 0)), err);
	if (error == STORE_EXISTS)
		return sql_fail(err, STORE_EXISTS, "batch package exists");
	if (error < 0)
		return error;
	for (i = 0; i < a->n; i++)
		if ((error = sql_exec(w, Q_BATCH_PART_ADD,
				      ARGS(ARG_TEXT(a->ref),
					   ARG_INT(a->parts[i].ordinal),
					   ARG_INT(a->parts[i].file_size),
					   ARG_FIELD(a->parts[i].file_hash)),
				      err)) < 0)
			return error;
	return 0;
}

store_result store_batch_add(store *st, const char *session_ref,
			     const store_batch_file *f,
			     const store_batch_part *parts, size_t n,
			     ksef_error *err)
{
	struct batch_add_args a = { session_ref, f, parts, n };

	if (session_ref == NULL || f == NULL || (n > 0 && parts == NULL) ||
	    sql_check_len(session_ref, STORE_REF_SZ, "session", err) != 0)
		return sql_fail(err, STORE_INVALID, "bad batch package");
	return sql_submit(st, op_batch_add, &a, err);
}

static int file_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_batch_file *f = dst;

	(void)err;
	f->file_size = sql_col_int64(s, 0);
	COL_TEXT(f->file_hash, s, 1);
	COL_TEXT(f->compression, s, 2);
	f->part_count = sql_col_int(s, 3);
	f->offline = sql_col_int(s, 4);
	COL_TEXT(f->details, s, 5);
	return 0;
}

store_result store_batch_get(store *st, const char *session_ref,
			     store_batch_file *out, ksef_error *err)
{
	memset(out, 0, sizeof(*out));
	return sql_read_one(st, Q_BATCH_FILE_GET, session_ref, out, file_row,
			    "batch package", err);
}

static int part_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_batch_part *p = dst;

	(void)err;
	p->ordinal = sql_col_int(s, 0);
	p->file_size = sql_col_int64(s, 1);
	COL_TEXT(p->file_hash, s, 2);
	p->received_ms = sql_col_int64(s, 3);
	return 0;
}

static const struct row_type part_rows = { sizeof(store_batch_part),
					   part_row, NULL };

store_result store_batch_parts(store *st, const char *session_ref,
			       store_batch_part **out, size_t *count,
			       ksef_error *err)
{
	*out = NULL;
	*count = 0;
	return sql_read_rows(st, Q_BATCH_PARTS, ARGS(ARG_TEXT(session_ref)),
			     &part_rows, (void **)out, count, err);
}

store_result store_batch_part_received(store *st, const char *session_ref,
				       int ordinal, int64_t now_ms,
				       ksef_error *err)
{
	struct update_args a = { Q_BATCH_PART_RECEIVED,
				 ARGS(ARG_TEXT(session_ref), ARG_INT(ordinal),
				      ARG_INT(now_ms)),
				 "batch part" };

	return sql_submit(st, sql_op_update, &a, err);
}

struct batch_close_args {
	const char *ref;
	int64_t now_ms;
	int status, missing;
};

static int op_batch_close(struct conn *w, void *arg, ksef_error *err)
{
	struct batch_close_args *a = arg;
	struct session_state state = { 0 };
	int64_t missing = 0;
	int error;

	if ((error = sql_session_state(w, a->ref, &state, err)) < 0)
		return error;
	a->status = state.status;
	if (state.status != 100)
		return sql_fail(err, STORE_WRONG_STATE, "session status %d "
				"does not allow closing it", state.status);
	if ((error = sql_lookup(w, Q_BATCH_MISSING, ARGS(ARG_TEXT(a->ref)),
				sql_int64_row, &missing, err)) < 0)
		return error;
	if (missing > 0) {
		a->missing = (int)missing;
		return sql_fail(err, STORE_INVALID, "part %d not received",
				a->missing);
	}
	if ((error = sql_update(w, Q_BATCH_CLOSE, ARGS(ARG_TEXT(a->ref),
				ARG_INT(a->now_ms)), "session", err)) < 0)
		return error;
	/* Any node's batcher may take the package (claimed): wake them. */
	if ((error = sql_notify_work(w, err)) < 0)
		return error;
	a->status = 150;
	return 0;
}

store_result store_batch_close(store *st, const char *session_ref,
			       int64_t now_ms, int *status, int *missing,
			       ksef_error *err)
{
	struct batch_close_args a = { session_ref, now_ms, 0, 0 };
	int error;

	if (session_ref == NULL)
		return sql_fail(err, STORE_INVALID, "no session given");
	error = sql_submit(st, op_batch_close, &a, err);
	if (status != NULL)
		*status = a.status;
	if (missing != NULL)
		*missing = a.missing;
	return error;
}

struct status_args {
	const char *ref, *details;
	int status;
	int64_t now_ms;
};

static int op_set_status(struct conn *w, void *arg, ksef_error *err)
{
	struct status_args *a = arg;
	int error;

	if ((error = sql_update(w, Q_BATCH_SET_STATUS,
				ARGS(ARG_TEXT(a->ref), ARG_INT(a->status),
				     ARG_INT(a->now_ms)),
				"session in processing", err)) < 0)
		return error;
	return sql_exec(w, Q_BATCH_DETAILS,
			ARGS(ARG_TEXT(a->ref),
			     ARG_TEXT(a->details ? a->details : "")), err);
}

store_result store_batch_set_status(store *st, const char *session_ref,
				    int status, const char *details,
				    int64_t now_ms, ksef_error *err)
{
	struct status_args a = { session_ref, details, status, now_ms };

	if (session_ref == NULL || (details != NULL &&
	    strlen(details) >= STORE_DETAILS_SZ))
		return sql_fail(err, STORE_INVALID, "bad batch status");
	return sql_submit(st, op_set_status, &a, err);
}

store_result store_batch_processing(store *st, char (**refs)[STORE_REF_SZ],
				    size_t *count, ksef_error *err)
{
	*refs = NULL;
	*count = 0;
	return sql_read_rows(st, Q_BATCH_PROCESSING, NULL, &sql_ref_rows,
			     (void **)refs, count, err);
}
