/*
 * store_contexts.c - facts about a context that KSeF reads from outside
 * the permission operations: the roles of an entity (a bailiff, an
 * enforcement authority, a VAT group or a local government unit and their
 * members) and its consent to invoices with attachments. On TEST the
 * test-data operations set them; the permission rules (permissions.c,
 * api_permissions*.c) read them here. The tables and these functions are
 * the test data store's own (testdata_subjects, testdata_persons,
 * attachment_permissions), so either implementation serves both.
 */
#include <string.h>
#include "store_int.h"

/* ---- entity roles ---- */

static int entity_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	store_entity *e = dst;

	(void)err;
	COL_TEXT(e->nip, s, 0);
	COL_TEXT(e->role, s, 1);
	COL_TEXT(e->parent_nip, s, 2);
	COL_TEXT(e->description, s, 3);
	e->created_ms = sqlite3_column_int64(s, 4);
	return 0;
}

static const struct row_type entity_rows = { sizeof(store_entity),
					     entity_row, NULL };

static int64_t offset_arg(size_t offset)
{
	return offset > (size_t)INT64_MAX ? INT64_MAX : (int64_t)offset;
}

store_result store_entity_roles(store *st, const char *nip, size_t offset,
				size_t limit, store_entity **out,
				size_t *count, ksef_error *err)
{
	int error;

	*out = NULL;
	*count = 0;
	if ((error = sql_check_len(nip, KSEF_NIP_BUFSZ, "NIP", err)) < 0)
		return error;
	return sql_read_rows(st, Q_ENTITY_ROLES, ARGS(ARG_TEXT(nip),
			     ARG_INT(offset_arg(offset)),
			     ARG_INT(limit_arg(limit))), &entity_rows,
			     (void **)out, count, err);
}

store_result store_entity_subunits(store *st, const char *parent_nip,
				   const char *only, size_t offset,
				   size_t limit, store_entity **out,
				   size_t *count, ksef_error *err)
{
	int error;

	*out = NULL;
	*count = 0;
	if ((error = sql_check_len(parent_nip, KSEF_NIP_BUFSZ, "NIP",
				   err)) < 0 ||
	    (only != NULL && (error = sql_check_len(only, KSEF_NIP_BUFSZ,
						    "NIP", err)) < 0))
		return error;
	return sql_read_rows(st, Q_ENTITY_SUBUNITS, ARGS(ARG_TEXT(parent_nip),
			     ARG_TEXT(only), ARG_INT(offset_arg(offset)),
			     ARG_INT(limit_arg(limit))), &entity_rows,
			     (void **)out, count, err);
}

/* ---- attachments ---- */

static int check_context(const char *ctx_type, const char *ctx_value,
			 ksef_error *err)
{
	int error;

	if ((error = sql_check_len(ctx_type, STORE_CTX_TYPE_SZ, "context type",
				   err)) < 0 ||
	    (error = sql_check_len(ctx_value, STORE_CTX_VALUE_SZ, "context",
				   err)) < 0)
		return error;
	return 0;
}

store_result store_attachment_allow(store *st, const char *ctx_type,
				    const char *ctx_value, int64_t allowed_ms,
				    ksef_error *err)
{
	struct exec_args a = { Q_ATTACHMENT_ALLOW,
			       ARGS(ARG_TEXT(ctx_type), ARG_TEXT(ctx_value),
				    ARG_INT(allowed_ms)) };
	int error;

	if ((error = check_context(ctx_type, ctx_value, err)) < 0)
		return error;
	return sql_submit(st, sql_op_exec, &a, err);
}

store_result store_attachment_revoke(store *st, const char *ctx_type,
				     const char *ctx_value, int64_t revoked_ms,
				     ksef_error *err)
{
	struct update_args a = { Q_ATTACHMENT_REVOKE,
				 ARGS(ARG_TEXT(ctx_type), ARG_TEXT(ctx_value),
				      ARG_INT(revoked_ms)),
				 "attachment consent" };
	int error;

	if ((error = check_context(ctx_type, ctx_value, err)) < 0)
		return error;
	return sql_submit(st, sql_op_update, &a, err);
}

struct consent {
	int64_t allowed_ms, revoked_ms;
};

static int consent_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	struct consent *c = dst;

	(void)err;
	c->allowed_ms = sqlite3_column_int64(s, 0);
	c->revoked_ms = sqlite3_column_int64(s, 1);
	return 0;
}

store_result store_attachment_get(store *st, const char *ctx_type,
				  const char *ctx_value, int64_t *allowed_ms,
				  int64_t *revoked_ms, ksef_error *err)
{
	struct consent c = { 0, 0 };
	int error;

	if ((error = check_context(ctx_type, ctx_value, err)) < 0)
		return error;
	error = sql_read_row(st, Q_ATTACHMENT_GET, ARGS(ARG_TEXT(ctx_type),
			     ARG_TEXT(ctx_value)), consent_row, &c, err);
	if (error == SQLITE_DONE)
		return sql_fail(err, STORE_NOT_FOUND,
				"no attachment consent");
	if (error < 0)
		return error;
	if (allowed_ms != NULL)
		*allowed_ms = c.allowed_ms;
	if (revoked_ms != NULL)
		*revoked_ms = c.revoked_ms;
	return 0;
}
