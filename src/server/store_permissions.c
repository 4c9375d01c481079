/*
 * store_permissions.c - permission grants in the store (uprawnienia.md):
 * one row a scope, with its permissionId, written together with the
 * operation that granted or revoked it; the scopes a subject's grants give
 * it in a context; the lists of the query operations; and the operations'
 * outcomes. Which grant is allowed, and how a refusal is worded, belong to
 * permissions.c and api_permissions*.c; the `ksefd grant` shortcuts to
 * store_grants.c.
 */
#include <string.h>
#include <openssl/rand.h>
#include "store_int.h"

/* ---- rows ---- */

static int perm_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_permission *p = dst;

	(void)err;
	COL_TEXT(p->id, s, 0);
	p->kind = sql_col_int(s, 1);
	COL_TEXT(p->ctx_type, s, 2);
	COL_TEXT(p->ctx_value, s, 3);
	COL_TEXT(p->subject_type, s, 4);
	COL_TEXT(p->subject_value, s, 5);
	COL_TEXT(p->scope, s, 6);
	COL_TEXT(p->description, s, 7);
	p->can_delegate = sql_col_int(s, 8);
	COL_TEXT(p->author_type, s, 9);
	COL_TEXT(p->author_value, s, 10);
	COL_TEXT(p->grantor_type, s, 11);
	COL_TEXT(p->grantor_value, s, 12);
	p->start_ms = sql_col_int64(s, 13);
	COL_TEXT(p->details, s, 14);
	p->inactive = sql_col_int(s, 15);
	return 0;
}

static const struct row_type perm_rows = { sizeof(store_permission),
					   perm_row, NULL };

static int op_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_perm_op *o = dst;

	(void)err;
	COL_TEXT(o->ref, s, 0);
	COL_TEXT(o->ctx_type, s, 1);
	COL_TEXT(o->ctx_value, s, 2);
	o->status = sql_col_int(s, 3);
	COL_TEXT(o->details, s, 4);
	o->created_ms = sql_col_int64(s, 5);
	return 0;
}

/*
 * A permissionId: a version-4 UUID as the contract's examples show
 * ("0c9a72e8-f344-457f-9c16-7c640eb60242"), 122 random bits, so that an
 * id says nothing of the grant or of how many there are.
 */
int sql_permission_id(char out[STORE_PERM_ID_SZ], ksef_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t i, o = 0;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return sql_fail(err, STORE_ERROR, "the random generator "
				"failed");
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
	for (i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

/* Every string of a grant fits its field and the kind is known, so that
 * nothing is stored that could not be read back whole. */
static int check_permission(const store_permission *p, ksef_error *err)
{
	int error;

	if (p->kind < STORE_PERM_PERSON || p->kind > STORE_PERM_EU_REP)
		return sql_fail(err, STORE_INVALID, "unknown permission kind "
				"%d", p->kind);
	if ((error = sql_check_len(p->id, sizeof(p->id), "permission id",
				   err)) < 0 ||
	    (error = sql_check_len(p->ctx_type, sizeof(p->ctx_type),
				   "context type", err)) < 0 ||
	    (error = sql_check_len(p->ctx_value, sizeof(p->ctx_value),
				   "context", err)) < 0 ||
	    (error = sql_check_len(p->subject_type, sizeof(p->subject_type),
				   "grantee type", err)) < 0 ||
	    (error = sql_check_len(p->subject_value, sizeof(p->subject_value),
				   "grantee", err)) < 0 ||
	    (error = sql_check_len(p->scope, sizeof(p->scope), "scope",
				   err)) < 0 ||
	    (error = sql_check_len(p->description, sizeof(p->description),
				   "description", err)) < 0 ||
	    (error = sql_check_len(p->author_type, sizeof(p->author_type),
				   "author type", err)) < 0 ||
	    (error = sql_check_len(p->author_value, sizeof(p->author_value),
				   "author", err)) < 0 ||
	    (error = sql_check_len(p->grantor_type, sizeof(p->grantor_type),
				   "grantor type", err)) < 0 ||
	    (error = sql_check_len(p->grantor_value, sizeof(p->grantor_value),
				   "grantor", err)) < 0 ||
	    (error = sql_check_len(p->details, sizeof(p->details), "details",
				   err)) < 0)
		return error;
	if (p->scope[0] == '\0' || p->subject_value[0] == '\0')
		return sql_fail(err, STORE_INVALID, "a grant needs a scope and "
				"a grantee");
	return 0;
}

static int check_op(const store_perm_op *op, ksef_error *err)
{
	int error;

	if (op == NULL)
		return sql_fail(err, STORE_INVALID, "no operation given");
	if ((error = sql_check_len(op->ref, sizeof(op->ref), "reference",
				   err)) < 0 ||
	    (error = sql_check_len(op->ctx_type, sizeof(op->ctx_type),
				   "context type", err)) < 0 ||
	    (error = sql_check_len(op->ctx_value, sizeof(op->ctx_value),
				   "context", err)) < 0 ||
	    (error = sql_check_len(op->details, sizeof(op->details),
				   "details", err)) < 0)
		return error;
	return 0;
}

static int exec_op_add(struct conn *w, const store_perm_op *op,
		       ksef_error *err)
{
	return sql_exec(w, Q_PERM_OP_ADD, ARGS(ARG_FIELD(op->ref),
			ARG_FIELD(op->ctx_type), ARG_FIELD(op->ctx_value),
			ARG_INT(op->status), ARG_FIELD(op->details),
			ARG_INT(op->created_ms)), err);
}

int sql_permission_upsert(struct conn *w, const store_permission *p,
			  ksef_error *err)
{
	return sql_exec(w, Q_PERM_UPSERT, ARGS(ARG_FIELD(p->id),
			ARG_INT(p->kind), ARG_FIELD(p->ctx_type),
			ARG_FIELD(p->ctx_value), ARG_FIELD(p->subject_type),
			ARG_FIELD(p->subject_value), ARG_FIELD(p->scope),
			ARG_FIELD(p->description),
			ARG_INT(p->can_delegate != 0),
			ARG_FIELD(p->author_type), ARG_FIELD(p->author_value),
			ARG_FIELD(p->grantor_type), ARG_FIELD(p->grantor_value),
			ARG_INT(p->start_ms), ARG_FIELD(p->details)), err);
}

/* ---- grants and revocations ---- */

struct grant_args {
	const store_permission *p;
	size_t n;
	const store_perm_op *op;
};

static int op_grant(struct conn *w, void *arg, ksef_error *err)
{
	const struct grant_args *a = arg;
	size_t i;
	int error;

	for (i = 0; i < a->n; i++)
		if ((error = sql_permission_upsert(w, &a->p[i], err)) < 0)
			return error;
	return a->op != NULL ? exec_op_add(w, a->op, err) : 0;
}

store_result store_permissions_grant(store *st, store_permission *p,
				     size_t n, const store_perm_op *op,
				     ksef_error *err)
{
	struct grant_args a = { p, n, op };
	size_t i;
	int error;

	if (p == NULL && n > 0)
		return sql_fail(err, STORE_INVALID, "no grants given");
	if (op != NULL && (error = check_op(op, err)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		if (p[i].id[0] == '\0' &&
		    (error = sql_permission_id(p[i].id, err)) < 0)
			return error;
		if ((error = check_permission(&p[i], err)) < 0)
			return error;
	}
	return sql_submit(st, op_grant, &a, err);
}

store_result store_permission_get(store *st, const char *id,
				  store_permission *out, ksef_error *err)
{
	return sql_read_one(st, Q_PERM_GET, id, out, perm_row, "permission",
			    err);
}

struct revoke_args {
	const char *id;
	const store_perm_op *op;
};

static int op_revoke(struct conn *w, void *arg, ksef_error *err)
{
	const struct revoke_args *a = arg;
	int error;

	if ((error = sql_update(w, Q_PERM_DELETE, ARGS(ARG_TEXT(a->id)),
				"permission", err)) < 0)
		return error;
	return exec_op_add(w, a->op, err);
}

store_result store_permission_revoke(store *st, const char *id,
				     const store_perm_op *op, ksef_error *err)
{
	struct revoke_args a = { id, op };
	int error;

	if (id == NULL)
		return sql_fail(err, STORE_INVALID, "no permission given");
	if ((error = check_op(op, err)) < 0)
		return error;
	return sql_submit(st, op_revoke, &a, err);
}

struct revoke_subject_args {
	const struct param *p;
	int count;
};

static int op_revoke_subject(struct conn *w, void *arg, ksef_error *err)
{
	struct revoke_subject_args *a = arg;
	int error;

	if ((error = sql_exec(w, Q_PERM_DELETE_SUBJECT, a->p, err)) < 0)
		return error;
	a->count = sql_changes(w);
	return 0;
}

store_result store_permissions_revoke_subject(store *st, const char *ctx_type,
					      const char *ctx_value,
					      const char *subject_type,
					      const char *subject_value,
					      unsigned kinds, int *count,
					      ksef_error *err)
{
	struct revoke_subject_args a = {
		ARGS(ARG_TEXT(ctx_type), ARG_TEXT(ctx_value),
		     ARG_TEXT(subject_type), ARG_TEXT(subject_value),
		     ARG_INT(kinds)), 0 };
	int error;

	if (count != NULL)
		*count = 0;
	if (ctx_type == NULL || ctx_value == NULL || subject_type == NULL ||
	    subject_value == NULL)
		return sql_fail(err, STORE_INVALID, "a context and a grantee "
				"are needed");
	if ((error = sql_submit(st, op_revoke_subject, &a, err)) < 0)
		return error;
	if (count != NULL)
		*count = a.count;
	return 0;
}

/* ---- what the grants give ---- */

struct list_text {
	char *out;
	size_t size;
	int null;
};

/* A row_fn: a group_concat() into a bounded field; NULL is no rows. */
static int list_text_row(void *dst, const sql_row *s, ksef_error *err)
{
	struct list_text *t = dst;
	size_t n;

	(void)sql_col_bytes(s, 0, &n);
	t->null = sql_col_is_null(s, 0);
	if (n >= t->size)
		return sql_fail(err, STORE_TOO_BIG, "the permission list is "
				"longer than %zu bytes", t->size - 1);
	sql_col_text(t->out, t->size, s, 0);
	return 0;
}

int sql_read_list_text(store *st, enum query q, const struct param *p,
		       char *out, size_t size, int *none, ksef_error *err)
{
	struct list_text t = { out, size, 1 };
	int rc;

	out[0] = '\0';
	rc = sql_read_row(st, q, p, list_text_row, &t, err);
	if (rc < 0)
		return rc;
	*none = rc == SQL_DONE || t.null;
	return 0;
}

store_result store_permissions_effective(store *st, const char *ctx_type,
					 const char *ctx_value,
					 const char *subject_type,
					 const char *subject_value,
					 char out[STORE_PERMS_SZ],
					 ksef_error *err)
{
	int none;

	if (out == NULL || ctx_type == NULL || ctx_value == NULL ||
	    subject_type == NULL || subject_value == NULL)
		return sql_fail(err, STORE_INVALID, "a context and a subject "
				"are needed");
	return sql_read_list_text(st, Q_PERM_EFFECTIVE,
				  ARGS(ARG_TEXT(ctx_type), ARG_TEXT(ctx_value),
				       ARG_TEXT(subject_type),
				       ARG_TEXT(subject_value)),
				  out, STORE_PERMS_SZ, &none, err);
}

store_result store_permission_delegable(store *st, const char *ctx_type,
					const char *ctx_value, const char *nip,
					const char *scope, int *yes,
					ksef_error *err)
{
	int rc;

	*yes = 0;
	if (ctx_type == NULL || ctx_value == NULL || nip == NULL ||
	    scope == NULL)
		return sql_fail(err, STORE_INVALID, "a context, an entity and "
				"a scope are needed");
	rc = sql_read_row(st, Q_PERM_DELEGABLE, ARGS(ARG_TEXT(ctx_type),
			  ARG_TEXT(ctx_value), ARG_TEXT(nip), ARG_TEXT(scope)),
			  NULL, NULL, err);
	if (rc < 0)
		return rc;
	*yes = rc == SQL_ROW;
	return 0;
}

/* ---- lists ---- */

static const enum query list_queries[STORE_PERMS_LIST_COUNT] = {
	[STORE_PERMS_PERSONAL] = Q_PERMS_PERSONAL,
	[STORE_PERMS_IN_CONTEXT] = Q_PERMS_IN_CONTEXT,
	[STORE_PERMS_GRANTED] = Q_PERMS_GRANTED,
	[STORE_PERMS_SUBUNITS] = Q_PERMS_SUBUNITS,
	[STORE_PERMS_ENTITIES] = Q_PERMS_ENTITIES,
	[STORE_PERMS_AUTH_GRANTED] = Q_PERMS_AUTH_GRANTED,
	[STORE_PERMS_AUTH_RECEIVED] = Q_PERMS_AUTH_RECEIVED,
	[STORE_PERMS_EU] = Q_PERMS_EU,
};

store_result store_permissions_query(store *st, store_perm_list which,
				     const store_perm_query *q,
				     store_permission **out, size_t *count,
				     ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	if (q == NULL || (unsigned)which >= STORE_PERMS_LIST_COUNT ||
	    q->ctx_type == NULL || q->ctx_value == NULL)
		return sql_fail(err, STORE_INVALID, "permissions are listed "
				"for a context");
	if (q->offset > (size_t)INT64_MAX)
		return sql_fail(err, STORE_INVALID, "offset out of range");
	error = sql_read_rows(st, list_queries[which],
			      ARGS(ARG_TEXT(q->ctx_type),
				   ARG_TEXT(q->ctx_value),
				   ARG_TEXT(q->subject_type),
				   ARG_TEXT(q->subject_value),
				   ARG_INT(q->owner != 0), ARG_INT(q->kinds),
				   ARG_TEXT(q->author_type),
				   ARG_TEXT(q->author_value),
				   ARG_TEXT(q->grantee_type),
				   ARG_TEXT(q->grantee_value),
				   ARG_TEXT(q->row_ctx_type),
				   ARG_TEXT(q->row_ctx_value),
				   ARG_TEXT(q->grantor_type),
				   ARG_TEXT(q->grantor_value),
				   ARG_TEXT(q->scopes), ARG_INT(q->state),
				   ARG_TEXT(q->grantee_contains),
				   ARG_TEXT(q->vat_ue),
				   ARG_INT(limit_arg(q->limit)),
				   ARG_INT(q->offset)),
			      &perm_rows, &rows, count, err);
	*out = rows;
	return error;
}

/* ---- operations ---- */

static int op_op_add(struct conn *w, void *arg, ksef_error *err)
{
	return exec_op_add(w, arg, err);
}

store_result store_perm_op_add(store *st, const store_perm_op *op,
			       ksef_error *err)
{
	int error;

	if ((error = check_op(op, err)) < 0)
		return error;
	return sql_submit(st, op_op_add, (void *)op, err);
}

store_result store_perm_op_get(store *st, const char *ref, store_perm_op *out,
			       ksef_error *err)
{
	return sql_read_one(st, Q_PERM_OP_GET, ref, out, op_row,
			    "permission operation", err);
}

store_result store_perm_ops_purge(store *st, int64_t before_ms, int *count,
				  ksef_error *err)
{
	return sql_purge(st, Q_PERM_OP_PURGE, before_ms, 0, count, err);
}
