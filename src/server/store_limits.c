/*
 * store_limits.c - the limits a context or a subject set through the test
 * data, in the store: a context's session limits and rate limits (one row
 * of context_limits, deleted once it holds neither), and a subject's
 * certificate limits (subject_limits). Defaults, the meaning of the rate
 * text and the cache the hot path reads belong to ctx_limits.c; the
 * answers to api_limits.c.
 */
#include <string.h>
#include "store_int.h"

/* An integer parameter, or NULL for a negative one (a limit not set). */
#define ARG_OPT_INT(v) { (v) < 0 ? P_NULL_INT : P_INT, NULL, 0, (int64_t)(v) }

/* The key of a row: each part present and within its field. */
static int check_key(const char *type, const char *value, ksef_error *err)
{
	int error;

	if ((error = sql_check_len(type, STORE_CTX_TYPE_SZ, "identifier type",
				   err)) < 0 ||
	    (error = sql_check_len(value, STORE_CTX_VALUE_SZ, "identifier",
				   err)) < 0)
		return error;
	return 0;
}

/* A limit column: -1 for NULL, else its value clamped to an int (the
 * store holds only what the calls below wrote). */
static int col_limit(const sql_row *s, int i)
{
	int64_t v;

	if (sql_col_is_null(s, i))
		return -1;
	v = sql_col_int64(s, i);
	return v < 0 ? -1 : v > INT32_MAX ? INT32_MAX : (int)v;
}

/* ---- contexts ---- */

static int context_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_context_limits *l = dst;

	(void)err;
	memset(l, 0, sizeof(*l));
	l->has_session = !sql_col_is_null(s, 0);
	l->online.max_invoices = col_limit(s, 0);
	l->online.max_invoice_mb = col_limit(s, 1);
	l->online.max_invoice_with_attachment_mb = col_limit(s, 2);
	l->batch.max_invoices = col_limit(s, 3);
	l->batch.max_invoice_mb = col_limit(s, 4);
	l->batch.max_invoice_with_attachment_mb = col_limit(s, 5);
	l->rate_mode = sql_col_int(s, 6);
	COL_TEXT(l->rate, s, 7);
	return 0;
}

store_result store_context_limits_get(store *st, const char *ctx_type,
				      const char *ctx_value,
				      store_context_limits *out,
				      ksef_error *err)
{
	int error;

	if ((error = check_key(ctx_type, ctx_value, err)) < 0)
		return error;
	if (out == NULL)
		return sql_fail(err, STORE_INVALID, "no record given");
	error = sql_read_row(st, Q_CTX_LIMITS_GET, ARGS(ARG_TEXT(ctx_type),
			     ARG_TEXT(ctx_value)), context_row, out, err);
	if (error == SQL_DONE)
		return sql_fail(err, STORE_NOT_FOUND, "no limits set for the "
				"context");
	return error < 0 ? error : 0;
}

static int session_limits_valid(const store_session_limits *l)
{
	return l != NULL && l->max_invoices >= 0 && l->max_invoice_mb >= 0 &&
	       l->max_invoice_with_attachment_mb >= 0;
}

store_result store_context_session_limits_set(store *st, const char *ctx_type,
	const char *ctx_value, const store_session_limits *online,
	const store_session_limits *batch, ksef_error *err)
{
	struct exec_args a = { Q_CTX_SESSION_SET, NULL };
	int error;

	if ((error = check_key(ctx_type, ctx_value, err)) < 0)
		return error;
	if (!session_limits_valid(online) || !session_limits_valid(batch))
		return sql_fail(err, STORE_INVALID, "session limits are "
				"numbers from 0");
	a.p = ARGS(ARG_TEXT(ctx_type), ARG_TEXT(ctx_value),
		   ARG_INT(online->max_invoices),
		   ARG_INT(online->max_invoice_mb),
		   ARG_INT(online->max_invoice_with_attachment_mb),
		   ARG_INT(batch->max_invoices), ARG_INT(batch->max_invoice_mb),
		   ARG_INT(batch->max_invoice_with_attachment_mb));
	return sql_submit(st, sql_op_exec, &a, err);
}

/* Clear one part of a context's row (q), then drop the row if it holds
 * nothing more, in one transaction. */
struct clear_args {
	enum query q;
	const char *type, *value;
};

static int op_context_clear(struct conn *w, void *arg, ksef_error *err)
{
	const struct clear_args *a = arg;
	int error;

	if ((error = sql_exec(w, a->q, ARGS(ARG_TEXT(a->type),
			      ARG_TEXT(a->value)), err)) < 0)
		return error;
	return sql_exec(w, Q_CTX_LIMITS_PRUNE, ARGS(ARG_TEXT(a->type),
			ARG_TEXT(a->value)), err);
}

store_result store_context_session_limits_clear(store *st,
	const char *ctx_type, const char *ctx_value, ksef_error *err)
{
	struct clear_args a = { Q_CTX_SESSION_CLEAR, ctx_type, ctx_value };
	int error;

	if ((error = check_key(ctx_type, ctx_value, err)) < 0)
		return error;
	return sql_submit(st, op_context_clear, &a, err);
}

store_result store_context_rate_limits_set(store *st, const char *ctx_type,
	const char *ctx_value, int mode, const char *rate, ksef_error *err)
{
	struct exec_args a = { Q_CTX_RATE_SET, NULL };
	int error;

	if ((error = check_key(ctx_type, ctx_value, err)) < 0 ||
	    (error = sql_check_len(rate, STORE_RATE_LIMITS_SZ, "rate limits",
				   err)) < 0)
		return error;
	if (mode < 1)
		return sql_fail(err, STORE_INVALID, "a rate-limit mode is at "
				"least 1");
	a.p = ARGS(ARG_TEXT(ctx_type), ARG_TEXT(ctx_value), ARG_INT(mode),
		   ARG_TEXT(rate));
	return sql_submit(st, sql_op_exec, &a, err);
}

store_result store_context_rate_limits_clear(store *st, const char *ctx_type,
	const char *ctx_value, ksef_error *err)
{
	struct clear_args a = { Q_CTX_RATE_CLEAR, ctx_type, ctx_value };
	int error;

	if ((error = check_key(ctx_type, ctx_value, err)) < 0)
		return error;
	return sql_submit(st, op_context_clear, &a, err);
}

/* ---- subjects ---- */

static int subject_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_subject_limits *l = dst;

	(void)err;
	l->max_enrollments = col_limit(s, 0);
	l->max_certificates = col_limit(s, 1);
	return 0;
}

store_result store_subject_limits_get(store *st, const char *subject_type,
				      const char *subject_value,
				      store_subject_limits *out,
				      ksef_error *err)
{
	int error;

	if ((error = check_key(subject_type, subject_value, err)) < 0)
		return error;
	if (out == NULL)
		return sql_fail(err, STORE_INVALID, "no record given");
	error = sql_read_row(st, Q_SUBJECT_LIMITS_GET,
			     ARGS(ARG_TEXT(subject_type),
				  ARG_TEXT(subject_value)),
			     subject_row, out, err);
	if (error == SQL_DONE)
		return sql_fail(err, STORE_NOT_FOUND, "no limits set for the "
				"subject");
	return error < 0 ? error : 0;
}

store_result store_subject_limits_set(store *st, const char *subject_type,
				      const char *subject_value,
				      const store_subject_limits *l,
				      ksef_error *err)
{
	struct exec_args a = { Q_SUBJECT_LIMITS_SET, NULL };
	int error;

	if ((error = check_key(subject_type, subject_value, err)) < 0)
		return error;
	if (l == NULL)
		return sql_fail(err, STORE_INVALID, "no limits given");
	/* Nothing to set: a row of NULLs would only say "nothing". */
	if (l->max_enrollments < 0 && l->max_certificates < 0)
		return STORE_OK;
	a.p = ARGS(ARG_TEXT(subject_type), ARG_TEXT(subject_value),
		   ARG_OPT_INT(l->max_enrollments),
		   ARG_OPT_INT(l->max_certificates));
	return sql_submit(st, sql_op_exec, &a, err);
}

store_result store_subject_limits_clear(store *st, const char *subject_type,
					const char *subject_value,
					ksef_error *err)
{
	struct exec_args a = { Q_SUBJECT_LIMITS_CLEAR, NULL };
	int error;

	if ((error = check_key(subject_type, subject_value, err)) < 0)
		return error;
	a.p = ARGS(ARG_TEXT(subject_type), ARG_TEXT(subject_value));
	return sql_submit(st, sql_op_exec, &a, err);
}
