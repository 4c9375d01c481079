/*
 * store_tokens.c - KSeF tokens in the store: added with the SHA-256 of
 * their secret (never the secret), found by reference or by that hash,
 * their status and last use updated, and listed per context. Making a
 * token and deciding who may see it belong to tokens.c and api_tokens.c.
 */
#include <string.h>
#include "store_int.h"

/* ---- tokens ---- */

static const char *const token_statuses[] = {
	"Pending", "Active", "Revoking", "Revoked", "Failed",
};

static int token_status_known(const char *status)
{
	size_t i;

	for (i = 0; i < sizeof(token_statuses) / sizeof(token_statuses[0]);
	     i++)
		if (status != NULL && strcmp(status, token_statuses[i]) == 0)
			return 1;
	return 0;
}

static int token_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_token *t = dst;

	(void)err;
	COL_TEXT(t->ref, s, 0);
	COL_TEXT(t->secret_hash, s, 1);
	COL_TEXT(t->ctx_type, s, 2);
	COL_TEXT(t->ctx_value, s, 3);
	COL_TEXT(t->author_type, s, 4);
	COL_TEXT(t->author_value, s, 5);
	COL_TEXT(t->permissions, s, 6);
	COL_TEXT(t->description, s, 7);
	COL_TEXT(t->status, s, 8);
	t->created_ms = sql_col_int64(s, 9);
	t->last_use_ms = sql_col_int64(s, 10);
	return 0;
}

static const struct row_type token_rows = { sizeof(store_token), token_row,
					    NULL };

static int op_token_add(struct conn *w, void *arg, ksef_error *err)
{
	const store_token *t = arg;

	return sql_exec(w, Q_TOKEN_ADD, ARGS(ARG_FIELD(t->ref),
			ARG_FIELD(t->secret_hash), ARG_FIELD(t->ctx_type),
			ARG_FIELD(t->ctx_value), ARG_FIELD(t->author_type),
			ARG_FIELD(t->author_value), ARG_FIELD(t->permissions),
			ARG_FIELD(t->description), ARG_FIELD(t->status),
			ARG_INT(t->created_ms), ARG_INT(t->last_use_ms)), err);
}

store_result store_token_add(store *st, const store_token *t, ksef_error *err)
{
	char status[sizeof(t->status) + 1] = "";

	if (t == NULL)
		return sql_fail(err, STORE_INVALID, "no token given");
	memcpy(status, t->status, sizeof(t->status));
	if (!token_status_known(status))
		return sql_fail(err, STORE_INVALID, "unknown token status");
	return sql_submit(st, op_token_add, (void *)t, err);
}

store_result store_token_get(store *st, const char *ref, store_token *out,
			     ksef_error *err)
{
	return sql_read_one(st, Q_TOKEN_GET, ref, out, token_row, "token", err);
}

store_result store_token_find(store *st, const char *secret_hash,
			      store_token *out, ksef_error *err)
{
	return sql_read_one(st, Q_TOKEN_FIND, secret_hash, out, token_row,
			    "token", err);
}

store_result store_token_set_status(store *st, const char *ref,
				    const char *status, ksef_error *err)
{
	struct update_args a = { Q_TOKEN_SET_STATUS,
				 ARGS(ARG_TEXT(ref), ARG_TEXT(status)),
				 "token" };

	if (ref == NULL || !token_status_known(status))
		return sql_fail(err, STORE_INVALID, "unknown token status");
	return sql_submit(st, sql_op_update, &a, err);
}

store_result store_token_touch(store *st, const char *ref, int64_t now_ms,
			       ksef_error *err)
{
	struct update_args a = { Q_TOKEN_TOUCH,
				 ARGS(ARG_TEXT(ref), ARG_INT(now_ms)),
				 "token" };

	if (ref == NULL)
		return sql_fail(err, STORE_INVALID, "no token given");
	return sql_submit(st, sql_op_update, &a, err);
}

store_result store_tokens_list(store *st, const store_token_query *q,
			       store_token **out, size_t *count,
			       ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	if (q == NULL || q->ctx_type == NULL || q->ctx_value == NULL)
		return sql_fail(err, STORE_INVALID, "tokens are listed per "
				"context");
	error = sql_read_rows(st, Q_TOKENS_LIST,
			      ARGS(ARG_TEXT(q->ctx_type),
				   ARG_TEXT(q->ctx_value), ARG_INT(q->statuses),
				   ARG_TEXT(q->description),
				   ARG_TEXT(q->author_value),
				   ARG_TEXT(q->author_type),
				   ARG_INT(q->after_created_ms),
				   ARG_TEXT(q->after_ref),
				   ARG_INT(limit_arg(q->limit))),
			      &token_rows, &rows, count, err);
	*out = rows;
	return error;
}

