/*
 * store_grants.c - the `ksefd grant` shortcuts over the permission store
 * (store_permissions.c): a subject's direct grants in a context, made by
 * the system, set, read and withdrawn as one comma-separated list. What
 * they give at authentication is decided by permissions.c.
 */
#include <stdio.h>
#include <string.h>
#include "store_int.h"

/* ---- the `ksefd grant` shortcuts ---- */

static const char *const grant_subject_types[] = {
	"Nip", "Pesel", "Fingerprint",
};

/* The most scopes one list may name: every permission a person can hold
 * fits many times over. */
#define GRANT_MAX_SCOPES 32

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

struct grant_set_args {
	const char *ctx_type, *ctx_value, *subject_type, *subject_value;
	char list[STORE_PERMS_SZ + 2];            /* ",A,B," */
	char scopes[GRANT_MAX_SCOPES][STORE_PERM_SCOPE_SZ];
	char ids[GRANT_MAX_SCOPES][STORE_PERM_ID_SZ];
	size_t n;
	int64_t now_ms;
};

/* Drop the direct grants not in the list, then add those missing: one
 * transaction, so a login never sees half of the change. */
static int op_grant_set(struct conn *w, void *arg, ksef_error *err)
{
	const struct grant_set_args *a = arg;
	size_t i;
	int error;

	if ((error = sql_exec(w, Q_GRANT_TRIM, ARGS(ARG_TEXT(a->ctx_type),
			ARG_TEXT(a->ctx_value), ARG_TEXT(a->subject_type),
			ARG_TEXT(a->subject_value), ARG_TEXT(a->list)),
			err)) < 0)
		return error;
	for (i = 0; i < a->n; i++)
		if ((error = sql_exec(w, Q_GRANT_SET, ARGS(ARG_TEXT(a->ids[i]),
				ARG_TEXT(a->ctx_type), ARG_TEXT(a->ctx_value),
				ARG_TEXT(a->subject_type),
				ARG_TEXT(a->subject_value),
				ARG_TEXT(a->scopes[i]), ARG_INT(a->now_ms)),
				err)) < 0)
			return error;
	return 0;
}

/* Split "A,B" into a->scopes and a->list; empty names are skipped. */
static int split_scopes(struct grant_set_args *a, const char *permissions,
			ksef_error *err)
{
	const char *p = permissions, *e;
	size_t len;
	int error;

	a->n = 0;
	snprintf(a->list, sizeof(a->list), ",");
	for (; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		if (len == 0)
			continue;
		if (len >= STORE_PERM_SCOPE_SZ || a->n == GRANT_MAX_SCOPES)
			return sql_fail(err, STORE_INVALID, "too many or too "
					"long permission names");
		memcpy(a->scopes[a->n], p, len);
		a->scopes[a->n][len] = '\0';
		if ((error = sql_permission_id(a->ids[a->n], err)) < 0)
			return error;
		a->n++;
		/* list is as long as permissions plus two commas. */
		strncat(a->list, p, len);
		strcat(a->list, ",");
	}
	return 0;
}

store_result store_grant_set(store *st, const char *ctx_type,
			     const char *ctx_value, const char *subject_type,
			     const char *subject_value, const char *permissions,
			     ksef_error *err)
{
	struct grant_set_args a;
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
			break;
	if (i == sizeof(grant_subject_types) / sizeof(grant_subject_types[0]))
		return sql_fail(err, STORE_INVALID, "permissions are granted "
				"to a Nip, Pesel or Fingerprint");
	memset(&a, 0, sizeof(a));
	a.ctx_type = ctx_type;
	a.ctx_value = ctx_value;
	a.subject_type = subject_type;
	a.subject_value = subject_value;
	a.now_ms = ksef_time_now().unix_ms;
	if ((error = split_scopes(&a, permissions, err)) < 0)
		return error;
	return sql_submit(st, op_grant_set, &a, err);
}

store_result store_grant_get(store *st, const char *ctx_type,
			     const char *ctx_value, const char *subject_type,
			     const char *subject_value,
			     char permissions[STORE_PERMS_SZ], ksef_error *err)
{
	int error, none;

	if ((error = check_grant_key(ctx_type, ctx_value, subject_type,
				     subject_value, err)) < 0)
		return error;
	if (permissions == NULL)
		return sql_fail(err, STORE_INVALID, "no buffer given");
	if ((error = sql_read_list_text(st, Q_GRANT_GET,
			ARGS(ARG_TEXT(ctx_type), ARG_TEXT(ctx_value),
			     ARG_TEXT(subject_type), ARG_TEXT(subject_value)),
			permissions, STORE_PERMS_SZ, &none, err)) < 0)
		return error;
	if (none)
		return sql_fail(err, STORE_NOT_FOUND,
				"permission grant not found");
	return 0;
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
