/*
 * store_grants.c - permission grants in the store: which permissions a
 * subject (a NIP, PESEL or certificate fingerprint) holds in a context.
 * Checking them at authentication belongs to api_auth.c.
 */
#include <string.h>
#include "store_int.h"

/* ---- permission grants ---- */

static const char *const grant_subject_types[] = {
	"Nip", "Pesel", "Fingerprint",
};

/* The key of a grant: each part present and within its field. */
static int check_grant_key(const char *ctx_type, const char *ctx_value,
			   const char *subject_type,
			   const char *subject_value, ksef_error *err)
{
	int error;

	if ((error = sql_check_len(ctx_type, STORE_CTX_TYPE_SZ, "context type",
				   err)) < 0 ||
	    (error = sql_check_len(ctx_value, STORE_CTX_VALUE_SZ, "context",
				   err)) < 0 ||
	    (error = sql_check_len(subject_type, STORE_CTX_TYPE_SZ,
				   "subject type", err)) < 0 ||
	    (error = sql_check_len(subject_value, STORE_CTX_VALUE_SZ, "subject",
				   err)) < 0)
		return error;
	return 0;
}

store_result store_grant_set(store *st, const char *ctx_type,
			     const char *ctx_value, const char *subject_type,
			     const char *subject_value, const char *permissions,
			     ksef_error *err)
{
	struct exec_args a = { Q_GRANT_SET,
			       ARGS(ARG_TEXT(ctx_type), ARG_TEXT(ctx_value),
				    ARG_TEXT(subject_type),
				    ARG_TEXT(subject_value),
				    ARG_TEXT(permissions)) };
	size_t i;
	int error;

	if ((error = check_grant_key(ctx_type, ctx_value, subject_type,
				     subject_value, err)) < 0 ||
	    (error = sql_check_len(permissions, STORE_PERMS_SZ, "permissions",
				   err)) < 0)
		return error;
	for (i = 0; i < sizeof(grant_subject_types) /
			sizeof(grant_subject_types[0]); i++)
		if (strcmp(subject_type, grant_subject_types[i]) == 0)
			return sql_submit(st, sql_op_exec, &a, err);
	return sql_fail(err, STORE_INVALID, "permissions are granted to a "
			"Nip, Pesel or Fingerprint");
}

/* A row_fn: the permissions column into a STORE_PERMS_SZ field. */
static int perms_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	(void)err;
	sql_col_text(dst, STORE_PERMS_SZ, s, 0);
	return 0;
}

store_result store_grant_get(store *st, const char *ctx_type,
			     const char *ctx_value, const char *subject_type,
			     const char *subject_value,
			     char permissions[STORE_PERMS_SZ], ksef_error *err)
{
	int error;

	if ((error = check_grant_key(ctx_type, ctx_value, subject_type,
				     subject_value, err)) < 0)
		return error;
	if (permissions == NULL)
		return sql_fail(err, STORE_INVALID, "no buffer given");
	error = sql_read_row(st, Q_GRANT_GET, ARGS(ARG_TEXT(ctx_type),
			     ARG_TEXT(ctx_value), ARG_TEXT(subject_type),
			     ARG_TEXT(subject_value)), perms_row, permissions,
			     err);
	if (error == SQLITE_DONE)
		return sql_fail(err, STORE_NOT_FOUND,
				"permission grant not found");
	return error < 0 ? error : 0;
}

store_result store_grant_revoke(store *st, const char *ctx_type,
				const char *ctx_value, const char *subject_type,
				const char *subject_value, ksef_error *err)
{
	struct update_args a = { Q_GRANT_REVOKE,
				 ARGS(ARG_TEXT(ctx_type), ARG_TEXT(ctx_value),
				      ARG_TEXT(subject_type),
				      ARG_TEXT(subject_value)),
				 "permission grant" };
	int error;

	if ((error = check_grant_key(ctx_type, ctx_value, subject_type,
				     subject_value, err)) < 0)
		return error;
	return sql_submit(st, sql_op_update, &a, err);
}
