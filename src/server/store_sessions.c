/*
 * store_sessions.c - interactive sessions in the store: added with their
 * wrapped key, read, closed, expired, given their final status once
 * nothing is left to verify, and listed per context. The store counts a
 * session's invoices as they are accepted and decided (store_invoices.c);
 * the session's key itself is unwrapped and kept by session_keys.c.
 */
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

/* ---- sessions ---- */

static int session_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_session *x = dst;

	(void)err;
	COL_TEXT(x->ref, s, 0);
	COL_TEXT(x->auth_ref, s, 1);
	COL_TEXT(x->ctx_type, s, 2);
	COL_TEXT(x->ctx_value, s, 3);
	COL_TEXT(x->subject_value, s, 4);
	x->form = sql_col_int(s, 5);
	x->key_id = sql_col_int64(s, 6);
	x->wrapped_key_len = sql_col_blob(s, 7, x->wrapped_key,
					  sizeof(x->wrapped_key));
	if (sql_col_blob(s, 8, x->iv, sizeof(x->iv)) != sizeof(x->iv))
		memset(x->iv, 0, sizeof(x->iv));
	x->status = sql_col_int(s, 9);
	x->created_ms = sql_col_int64(s, 10);
	x->updated_ms = sql_col_int64(s, 11);
	x->valid_until_ms = sql_col_int64(s, 12);
	x->closed_ms = sql_col_int64(s, 13);
	x->invoice_count = sql_col_int(s, 14);
	x->success_count = sql_col_int(s, 15);
	x->failed_count = sql_col_int(s, 16);
	x->max_invoices = sql_col_int(s, 17);
	COL_TEXT(x->upo_ref, s, 18);
	COL_TEXT(x->auth_token_ref, s, 19);
	COL_TEXT(x->auth_doc_hash, s, 20);
	return 0;
}

static const struct row_type session_rows = { sizeof(store_session),
					      session_row, NULL };

static int op_session_add(struct conn *w, void *arg, ksef_error *err)
{
	const store_session *x = arg;

	return sql_exec(w, Q_SESSION_ADD, ARGS(ARG_FIELD(x->ref),
			ARG_FIELD(x->auth_ref), ARG_FIELD(x->ctx_type),
			ARG_FIELD(x->ctx_value), ARG_FIELD(x->subject_value),
			ARG_INT(x->form), ARG_INT(x->key_id),
			ARG_BLOB(x->wrapped_key, x->wrapped_key_len),
			ARG_BLOB(x->iv, sizeof(x->iv)), ARG_INT(x->status),
			ARG_INT(x->created_ms), ARG_INT(x->updated_ms),
			ARG_INT(x->valid_until_ms), ARG_INT(x->closed_ms),
			ARG_INT(x->invoice_count), ARG_INT(x->success_count),
			ARG_INT(x->failed_count), ARG_INT(x->max_invoices),
			ARG_FIELD(x->upo_ref), ARG_FIELD(x->auth_token_ref),
			ARG_FIELD(x->auth_doc_hash)), err);
}

store_result store_session_add(store *st, const store_session *s,
			       ksef_error *err)
{
	if (s == NULL)
		return sql_fail(err, STORE_INVALID, "no session given");
	if (s->wrapped_key_len > sizeof(s->wrapped_key))
		return sql_fail(err, STORE_INVALID, "wrapped key is over %zu "
				"bytes", sizeof(s->wrapped_key));
	return sql_submit(st, op_session_add, (void *)s, err);
}

store_result store_session_get(store *st, const char *ref, store_session *out,
			       ksef_error *err)
{
	return sql_read_one(st, Q_SESSION_GET, ref, out, session_row, "session",
			    err);
}

static int session_state_row(void *dst, const sql_row *s, ksef_error *err)
{
	struct session_state *x = dst;

	(void)err;
	x->status = sql_col_int(s, 0);
	x->invoice_count = sql_col_int(s, 1);
	x->max_invoices = sql_col_int(s, 2);
	return 0;
}

int sql_session_state(struct conn *w, const char *ref,
		      struct session_state *out, ksef_error *err)
{
	int error = sql_lookup(w, Q_SESSION_STATE, ARGS(ARG_TEXT(ref)),
			       session_state_row, out, err);

	if (error == SQL_DONE)
		return sql_fail(err, STORE_NOT_FOUND, "session not found");
	return error < 0 ? error : 0;
}

struct close_args {
	const char *ref;
	int64_t now_ms;
	int status;
};

static int op_session_close(struct conn *w, void *arg, ksef_error *err)
{
	struct close_args *a = arg;
	struct session_state state = { 0 };
	int error;

	if ((error = sql_update(w, Q_SESSION_CLOSE, ARGS(ARG_TEXT(a->ref),
				ARG_INT(a->now_ms)), "session", err)) !=
	    STORE_NOT_FOUND)
		return error;
	if ((error = sql_session_state(w, a->ref, &state, err)) < 0)
		return error;
	a->status = state.status;
	return sql_fail(err, STORE_WRONG_STATE, "session status %d does not "
			"allow closing it", a->status);
}

store_result store_session_close(store *st, const char *ref, int64_t now_ms,
				 int *status, ksef_error *err)
{
	struct close_args a = { ref, now_ms, 0 };
	int error;

	if (ref == NULL)
		return sql_fail(err, STORE_INVALID, "no session given");
	error = sql_submit_locking(st, op_session_close, &a, a.ref, err);
	if (status != NULL)
		*status = error == 0 ? 170 : a.status;
	return error;
}

store_result store_session_set_upo(store *st, const char *ref,
				   const char *upo_ref, int64_t now_ms,
				   ksef_error *err)
{
	struct update_args a = { Q_SESSION_SET_UPO,
				 ARGS(ARG_TEXT(ref), ARG_TEXT(upo_ref),
				      ARG_INT(now_ms)),
				 "session" };
	int error;

	if (ref == NULL)
		return sql_fail(err, STORE_INVALID, "no session given");
	if ((error = sql_check_len(upo_ref, STORE_REF_SZ, "UPO reference",
				   err)) < 0)
		return error;
	return sql_submit(st, sql_op_update, &a, err);
}

struct count_args {
	int64_t now_ms;
	int count;
};

static int op_sessions_expire(struct conn *w, void *arg, ksef_error *err)
{
	struct count_args *a = arg;
	int error;

	if ((error = sql_exec(w, Q_SESSIONS_EXPIRE, ARGS(ARG_INT(a->now_ms)),
			      err)) < 0)
		return error;
	a->count = sql_changes(w);
	return 0;
}

store_result store_sessions_expire(store *st, int64_t now_ms, int *count,
				   ksef_error *err)
{
	struct count_args a = { now_ms, 0 };
	int error;

	if ((error = sql_submit(st, op_sessions_expire, &a, err)) < 0)
		return error;
	if (count != NULL)
		*count = a.count;
	return 0;
}

/* A closed session with nothing left to verify, and its counts. */
struct done_row {
	char ref[STORE_REF_SZ];
	store_session_tally tally;
};

static int done_row(void *dst, const sql_row *s, ksef_error *err)
{
	struct done_row *x = dst;

	(void)err;
	COL_TEXT(x->ref, s, 0);
	x->tally.invoice_count = sql_col_int(s, 1);
	x->tally.success_count = sql_col_int(s, 2);
	x->tally.failed_count = sql_col_int(s, 3);
	return 0;
}

static const struct row_type done_rows = { sizeof(struct done_row),
					   done_row, NULL };

struct finish_sessions_args {
	int64_t now_ms;
	store_final_fn decide;
	char (*refs)[STORE_REF_SZ];
	size_t count;
};

/* Read the sessions that are done and give each the status the caller
 * decides, in the one transaction: no invoice can be decided, and no
 * session finished, between the counting and the writing. */
static int op_sessions_finish(struct conn *w, void *arg, ksef_error *err)
{
	struct finish_sessions_args *a = arg;
	struct done_row *rows;
	void *got = NULL;
	size_t n = 0, i;
	int status, error;

	if ((error = sql_fetch_rows(&got, &n, w, Q_SESSIONS_DONE, NULL,
				    &done_rows, err)) < 0)
		return error;
	rows = got;
	if (n > 0 && (a->refs = calloc(n, sizeof(*a->refs))) == NULL) {
		free(rows);
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	}
	for (i = 0; i < n; i++) {
		status = a->decide(&rows[i].tally);
		if (status < 200) {
			error = sql_fail(err, STORE_INVALID, "%d is no final "
					 "status for session %s", status,
					 rows[i].ref);
			break;
		}
		if ((error = sql_exec(w, Q_SESSION_FINISH,
				      ARGS(ARG_FIELD(rows[i].ref),
					   ARG_INT(status), ARG_INT(a->now_ms)),
				      err)) < 0)
			break;
		memcpy(a->refs[i], rows[i].ref, STORE_REF_SZ);
	}
	free(rows);
	a->count = n;
	return error < 0 ? error : 0;
}

store_result store_sessions_finish(store *st, int64_t now_ms,
				   store_final_fn decide,
				   char (**refs)[STORE_REF_SZ], size_t *count,
				   ksef_error *err)
{
	struct finish_sessions_args a = { now_ms, decide, NULL, 0 };
	int error;

	*refs = NULL;
	*count = 0;
	if (decide == NULL)
		return sql_fail(err, STORE_INVALID, "no final status rule "
				"given");
	if ((error = sql_submit(st, op_sessions_finish, &a, err)) < 0) {
		free(a.refs); /* the commit failed after the rows were read */
		return error;
	}
	*refs = a.refs;
	*count = a.count;
	return 0;
}

store_result store_sessions_list(store *st, const store_session_query *q,
				 store_session **out, size_t *count,
				 ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	if (q == NULL || q->ctx_type == NULL || q->ctx_value == NULL)
		return sql_fail(err, STORE_INVALID, "sessions are listed per "
				"context");
	error = sql_read_rows(st, Q_SESSIONS_LIST,
			      ARGS(ARG_TEXT(q->ctx_type),
				   ARG_TEXT(q->ctx_value),
				   ARG_TEXT(q->subject_value),
				   ARG_TEXT(q->ref), ARG_INT(q->created_from),
				   ARG_INT(q->created_to),
				   ARG_INT(q->closed_from),
				   ARG_INT(q->closed_to),
				   ARG_INT(q->updated_from),
				   ARG_INT(q->updated_to),
				   ARG_INT(q->statuses),
				   ARG_INT(q->after_created_ms),
				   ARG_TEXT(q->after_ref),
				   ARG_INT(limit_arg(q->limit)),
				   ARG_TEXT(q->type)),
			      &session_rows, &rows, count, err);
	*out = rows;
	return error;
}

