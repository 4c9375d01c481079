/*
 * store_auth.c - the authentication records of the store: challenges
 * (each taken once) and authentication operations, from their start
 * through verification, the once-only redeeming of their tokens, refresh
 * and revocation. What an operation's status means belongs to api_auth.c.
 */
#include <string.h>
#include "store_int.h"

/* ---- challenges ---- */

struct challenge_args {
	const char *challenge;
	int64_t ts_ms;
	const char *client_ip;
};

static int op_challenge_add(struct conn *w, void *arg, ksef_error *err)
{
	struct challenge_args *a = arg;

	return sql_exec(w, Q_CHALLENGE_ADD, ARGS(ARG_TEXT(a->challenge),
			ARG_INT(a->ts_ms), ARG_TEXT(a->client_ip)), err);
}

store_result store_challenge_add(store *st, const char *challenge,
				 int64_t ts_ms, const char *client_ip,
				 ksef_error *err)
{
	struct challenge_args a = { challenge, ts_ms,
				    client_ip ? client_ip : "" };
	int error;

	if ((error = sql_check_len(challenge, STORE_REF_SZ, "challenge",
				   err)) < 0 ||
	    (error = sql_check_len(a.client_ip, STORE_CTX_VALUE_SZ,
				   "client address", err)) < 0)
		return error;
	return sql_submit(st, op_challenge_add, &a, err);
}

struct purge_args {
	int64_t before_ms;
	int count;
};

static int op_challenges_purge(struct conn *w, void *arg, ksef_error *err)
{
	struct purge_args *a = arg;
	int error;

	if ((error = sql_exec(w, Q_CHALLENGES_PURGE,
			      ARGS(ARG_INT(a->before_ms)), err)) < 0)
		return error;
	a->count = sql_changes(w);
	return 0;
}

store_result store_challenges_purge(store *st, int64_t before_ms, int *count,
				    ksef_error *err)
{
	struct purge_args a = { before_ms, 0 };
	int error;

	if ((error = sql_submit(st, op_challenges_purge, &a, err)) < 0)
		return error;
	if (count != NULL)
		*count = a.count;
	return 0;
}

struct purge_batch_args {
	enum query q;
	int64_t a1, a2;
	int count;
};

/* A batch a transaction: a purge after a flood must not hold the writer
 * for long while invoices wait for their commit. */
#define PURGE_BATCH 500
#define PURGE_BATCHES 20

static int op_purge_batch(struct conn *w, void *arg, ksef_error *err)
{
	struct purge_batch_args *a = arg;
	int error;

	if ((error = sql_exec(w, a->q, ARGS(ARG_INT(a->a1), ARG_INT(a->a2),
			      ARG_INT(PURGE_BATCH)), err)) < 0)
		return error;
	a->count = sql_changes(w);
	return 0;
}

int sql_purge(store *st, enum query q, int64_t a1, int64_t a2, int *count,
	      ksef_error *err)
{
	struct purge_batch_args a = { q, a1, a2, 0 };
	int total = 0, i, error = 0;

	for (i = 0; i < PURGE_BATCHES; i++) {
		if ((error = sql_submit(st, op_purge_batch, &a, err)) < 0)
			break;
		total += a.count;
		if (a.count < PURGE_BATCH)
			break;
	}
	if (count != NULL)
		*count = total;
	return error;
}

store_result store_auth_purge(store *st, int64_t before_ms, int64_t now_ms,
			      int *count, ksef_error *err)
{
	return sql_purge(st, Q_AUTH_PURGE, before_ms, now_ms, count, err);
}

static int op_challenge_take(struct conn *w, void *arg, ksef_error *err)
{
	struct challenge_args *a = arg;
	int error = sql_lookup(w, Q_CHALLENGE_TAKE,
			       ARGS(ARG_TEXT(a->challenge)), sql_int64_row,
			       &a->ts_ms, err);

	if (error == SQL_DONE)
		return sql_fail(err, STORE_NOT_FOUND,
				"challenge unknown or already used");
	return error < 0 ? error : 0;
}

store_result store_challenge_take(store *st, const char *challenge,
				  int64_t *ts_ms, ksef_error *err)
{
	struct challenge_args a = { challenge, 0, NULL };
	int error;

	if (challenge == NULL)
		return sql_fail(err, STORE_INVALID, "no challenge given");
	if ((error = sql_submit(st, op_challenge_take, &a, err)) < 0)
		return error;
	if (ts_ms != NULL)
		*ts_ms = a.ts_ms;
	return 0;
}


/* ---- authentication operations ---- */

static int auth_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_auth *a = dst;

	(void)err;
	COL_TEXT(a->ref, s, 0);
	COL_TEXT(a->ctx_type, s, 1);
	COL_TEXT(a->ctx_value, s, 2);
	COL_TEXT(a->subject_type, s, 3);
	COL_TEXT(a->subject_value, s, 4);
	COL_TEXT(a->method, s, 5);
	COL_TEXT(a->token_ref, s, 6);
	COL_TEXT(a->permissions, s, 7);
	COL_TEXT(a->allowed_ips, s, 8);
	a->status = sql_col_int(s, 9);
	COL_TEXT(a->status_details, s, 10);
	a->start_ms = sql_col_int64(s, 11);
	a->redeemed = sql_col_int(s, 12);
	a->refresh_valid_until_ms = sql_col_int64(s, 13);
	a->last_refresh_ms = sql_col_int64(s, 14);
	a->revoked = sql_col_int(s, 15);
	COL_TEXT(a->doc_hash, s, 16);
	COL_TEXT(a->cert_subject, s, 17);
	return 0;
}

static const struct row_type auth_rows = { sizeof(store_auth), auth_row,
					   NULL };

static int op_auth_add(struct conn *w, void *arg, ksef_error *err)
{
	const store_auth *a = arg;

	return sql_exec(w, Q_AUTH_ADD, ARGS(ARG_FIELD(a->ref),
			ARG_FIELD(a->ctx_type), ARG_FIELD(a->ctx_value),
			ARG_FIELD(a->subject_type), ARG_FIELD(a->subject_value),
			ARG_FIELD(a->method), ARG_FIELD(a->token_ref),
			ARG_FIELD(a->permissions), ARG_FIELD(a->allowed_ips),
			ARG_INT(a->status), ARG_FIELD(a->status_details),
			ARG_INT(a->start_ms), ARG_INT(a->redeemed != 0),
			ARG_INT(a->refresh_valid_until_ms),
			ARG_INT(a->last_refresh_ms), ARG_INT(a->revoked != 0),
			ARG_FIELD(a->doc_hash), ARG_FIELD(a->cert_subject)),
			err);
}

store_result store_auth_add(store *st, const store_auth *a, ksef_error *err)
{
	if (a == NULL)
		return sql_fail(err, STORE_INVALID, "no authentication given");
	return sql_submit(st, op_auth_add, (void *)a, err);
}

store_result store_auth_get(store *st, const char *ref, store_auth *out,
			    ksef_error *err)
{
	return sql_read_one(st, Q_AUTH_GET, ref, out, auth_row,
			    "authentication operation", err);
}

static int op_auth_finish(struct conn *w, void *arg, ksef_error *err)
{
	const store_auth *a = arg;

	return sql_update(w, Q_AUTH_FINISH,
			  ARGS(ARG_FIELD(a->ref), ARG_FIELD(a->subject_type),
			       ARG_FIELD(a->subject_value),
			       ARG_FIELD(a->method), ARG_FIELD(a->token_ref),
			       ARG_FIELD(a->permissions), ARG_INT(a->status),
			       ARG_FIELD(a->status_details),
			       ARG_FIELD(a->doc_hash)),
			  "authentication operation", err);
}

store_result store_auth_finish(store *st, const store_auth *a, ksef_error *err)
{
	if (a == NULL)
		return sql_fail(err, STORE_INVALID, "no authentication given");
	return sql_submit(st, op_auth_finish, (void *)a, err);
}

struct redeem_args {
	const char *ref;
	int64_t refresh_until_ms;
};

static int op_auth_redeem(struct conn *w, void *arg, ksef_error *err)
{
	struct redeem_args *a = arg;
	int error;

	if ((error = sql_update(w, Q_AUTH_REDEEM, ARGS(ARG_TEXT(a->ref),
				ARG_INT(a->refresh_until_ms)),
				"authentication operation", err)) !=
	    STORE_NOT_FOUND)
		return error;
	/* Nothing changed: unknown, or redeemed before. */
	error = sql_lookup(w, Q_AUTH_EXISTS, ARGS(ARG_TEXT(a->ref)), NULL, NULL,
			   err);
	if (error == SQL_ROW)
		return sql_fail(err, STORE_WRONG_STATE, "authentication "
				"tokens were already redeemed");
	if (error == SQL_DONE)
		return sql_fail(err, STORE_NOT_FOUND,
				"authentication operation not found");
	return error;
}

store_result store_auth_redeem(store *st, const char *ref,
			       int64_t refresh_until_ms, ksef_error *err)
{
	struct redeem_args a = { ref, refresh_until_ms };

	if (ref == NULL)
		return sql_fail(err, STORE_INVALID, "no authentication given");
	return sql_submit(st, op_auth_redeem, &a, err);
}

store_result store_auth_refreshed(store *st, const char *ref, int64_t now_ms,
				  ksef_error *err)
{
	struct update_args a = { Q_AUTH_REFRESHED,
				 ARGS(ARG_TEXT(ref), ARG_INT(now_ms)),
				 "authentication operation" };

	if (ref == NULL)
		return sql_fail(err, STORE_INVALID, "no authentication given");
	return sql_submit(st, sql_op_update, &a, err);
}

static int op_auth_revoke(struct conn *w, void *arg, ksef_error *err)
{
	return sql_update(w, Q_AUTH_REVOKE, ARGS(ARG_TEXT(arg)),
			  "authentication operation", err);
}

store_result store_auth_revoke(store *st, const char *ref, ksef_error *err)
{
	if (ref == NULL)
		return sql_fail(err, STORE_INVALID, "no authentication given");
	return sql_submit(st, op_auth_revoke, (void *)ref, err);
}

store_result store_auth_list(store *st, const char *ctx_type,
			     const char *ctx_value, int64_t now_ms,
			     int64_t after_start_ms, const char *after_ref,
			     size_t limit, store_auth **out, size_t *count,
			     ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	if (ctx_type == NULL || ctx_value == NULL)
		return sql_fail(err, STORE_INVALID,
				"authentications are listed per context");
	error = sql_read_rows(st, Q_AUTH_LIST, ARGS(ARG_TEXT(ctx_type),
			      ARG_TEXT(ctx_value), ARG_INT(now_ms),
			      ARG_INT(after_start_ms), ARG_TEXT(after_ref),
			      ARG_INT(limit_arg(limit))),
			      &auth_rows, &rows, count, err);
	*out = rows;
	return error;
}

