/*
 * store_contexts.c - facts about a context that KSeF reads from outside
 * the permission operations: the roles of an entity (a bailiff, an
 * enforcement authority, a VAT group or a local government unit and their
 * members) and whether it may send invoices with attachments. On TEST the
 * test-data operations set them; the permission rules (permissions.c) and
 * the queries read them.
 */
#include <string.h>
#include "store_int.h"

/* ---- entity roles ---- */

static int role_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	store_role *r = dst;

	(void)err;
	COL_TEXT(r->nip, s, 0);
	COL_TEXT(r->role, s, 1);
	COL_TEXT(r->parent_nip, s, 2);
	COL_TEXT(r->description, s, 3);
	r->start_ms = sqlite3_column_int64(s, 4);
	return 0;
}

static const struct row_type role_rows = { sizeof(store_role), role_row,
					   NULL };

store_result store_role_set(store *st, const store_role *r, ksef_error *err)
{
	struct exec_args a = { Q_ROLE_SET, NULL };
	int error;

	if (r == NULL)
		return sql_fail(err, STORE_INVALID, "no role given");
	if ((error = sql_check_len(r->nip, sizeof(r->nip), "NIP", err)) < 0 ||
	    (error = sql_check_len(r->role, sizeof(r->role), "role",
				   err)) < 0 ||
	    (error = sql_check_len(r->parent_nip, sizeof(r->parent_nip),
				   "parent NIP", err)) < 0 ||
	    (error = sql_check_len(r->description, sizeof(r->description),
				   "description", err)) < 0)
		return error;
	a.p = ARGS(ARG_FIELD(r->nip), ARG_FIELD(r->role),
		   ARG_FIELD(r->parent_nip), ARG_FIELD(r->description),
		   ARG_INT(r->start_ms));
	return sql_submit(st, sql_op_exec, &a, err);
}

struct role_remove_args {
	const char *nip, *role;
	int count;
};

static int op_role_remove(struct conn *w, void *arg, ksef_error *err)
{
	struct role_remove_args *a = arg;
	int error;

	if ((error = sql_exec(w, Q_ROLE_REMOVE, ARGS(ARG_TEXT(a->nip),
			      ARG_TEXT(a->role)), err)) < 0)
		return error;
	a->count = sqlite3_changes(w->db);
	return 0;
}

store_result store_role_remove(store *st, const char *nip, const char *role,
			       int *count, ksef_error *err)
{
	struct role_remove_args a = { nip, role, 0 };
	int error;

	if (count != NULL)
		*count = 0;
	if (nip == NULL)
		return sql_fail(err, STORE_INVALID, "no NIP given");
	if ((error = sql_submit(st, op_role_remove, &a, err)) < 0)
		return error;
	if (count != NULL)
		*count = a.count;
	return 0;
}

store_result store_roles_list(store *st, const char *nip, const char *parent,
			      size_t offset, size_t limit, store_role **out,
			      size_t *count, ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	if ((nip == NULL && parent == NULL) || offset > (size_t)INT64_MAX)
		return sql_fail(err, STORE_INVALID, "roles are listed of an "
				"entity or under a parent");
	if (parent != NULL)
		error = sql_read_rows(st, Q_ROLES_UNDER, ARGS(ARG_TEXT(parent),
				      ARG_TEXT(nip), ARG_INT(limit_arg(limit)),
				      ARG_INT(offset)), &role_rows, &rows,
				      count, err);
	else
		error = sql_read_rows(st, Q_ROLES_OF, ARGS(ARG_TEXT(nip),
				      ARG_INT(limit_arg(limit)),
				      ARG_INT(offset)), &role_rows, &rows,
				      count, err);
	*out = rows;
	return error;
}

/* ---- attachments ---- */

store_result store_attachments_set(store *st, const char *ctx_type,
				   const char *ctx_value, int allowed,
				   int64_t end_ms, ksef_error *err)
{
	struct exec_args a = { Q_ATTACHMENTS_SET,
			       ARGS(ARG_TEXT(ctx_type), ARG_TEXT(ctx_value),
				    ARG_INT(allowed != 0), ARG_INT(end_ms)) };
	int error;

	if ((error = sql_check_len(ctx_type, STORE_CTX_TYPE_SZ, "context type",
				   err)) < 0 ||
	    (error = sql_check_len(ctx_value, STORE_CTX_VALUE_SZ, "context",
				   err)) < 0)
		return error;
	return sql_submit(st, sql_op_exec, &a, err);
}

struct consent {
	int allowed;
	int64_t end_ms;
};

static int consent_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	struct consent *c = dst;

	(void)err;
	c->allowed = sqlite3_column_int(s, 0);
	c->end_ms = sqlite3_column_int64(s, 1);
	return 0;
}

store_result store_attachments_get(store *st, const char *ctx_type,
				   const char *ctx_value, int *allowed,
				   int64_t *end_ms, ksef_error *err)
{
	struct consent c = { 0, 0 };
	int rc;

	*allowed = 0;
	*end_ms = 0;
	if (ctx_type == NULL || ctx_value == NULL)
		return sql_fail(err, STORE_INVALID, "no context given");
	rc = sql_read_row(st, Q_ATTACHMENTS_GET, ARGS(ARG_TEXT(ctx_type),
			  ARG_TEXT(ctx_value)), consent_row, &c, err);
	if (rc < 0)
		return rc;
	*allowed = c.allowed;
	*end_ms = c.end_ms;
	return 0;
}
