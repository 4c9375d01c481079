/*
 * store_testdata.c - the test data of the store (store.h, "test data"):
 * subjects with their subunits and roles, persons, the consent to
 * invoices with attachments, and blocks of authentication, as the TEST
 * profile's /testdata operations leave them. Which request makes which
 * record, and what a record means to authentication and verification,
 * belong to api_testdata.c and testdata.c.
 *
 * Subjects and persons are never deleted, only marked removed: their
 * creation date outlives them, since a later creation of the same NIP
 * with an explicit createdDate must give a later one (open-api.json,
 * SubjectCreateRequest and PersonCreateRequest).
 */
#include <string.h>
#include "store_int.h"

/* ---- subjects and subunits ---- */

/* The state of an entity or person row: when created, and whether it
 * was removed since. */
struct row_state {
	int64_t created_ms;
	int removed;
};

static int state_row(void *dst, const sql_row *s, ksef_error *err)
{
	struct row_state *r = dst;

	(void)err;
	r->created_ms = sql_col_int64(s, 0);
	r->removed = sql_col_int(s, 1) != 0;
	return 0;
}

/*
 * Whether a row (read by q, keyed by nip) may be created at created_ms:
 * 0, STORE_EXISTS while it lives, or STORE_WRONG_STATE when date_given
 * and its last creation was not earlier.
 */
static int may_create(struct conn *w, enum query q, const char *nip,
		      int64_t created_ms, int date_given, ksef_error *err)
{
	struct row_state r;
	int rc = sql_lookup(w, q, ARGS(ARG_TEXT(nip)), state_row, &r, err);

	if (rc < 0)
		return rc;
	if (rc == SQL_DONE)
		return 0;
	if (!r.removed)
		return sql_fail(err, STORE_EXISTS, "%s already exists", nip);
	if (date_given && created_ms <= r.created_ms)
		return sql_fail(err, STORE_WRONG_STATE, "%s was created at "
				"%lld before", nip, (long long)r.created_ms);
	return 0;
}

struct entities_args {
	const store_entity *e;
	size_t n;
	int date_given;
	size_t conflict;
};

static int op_entities_add(struct conn *w, void *arg, ksef_error *err)
{
	struct entities_args *a = arg;
	const store_entity *e;
	size_t i;
	int error;

	/* All checked before any is written: a failure leaves nothing. */
	for (i = 0; i < a->n; i++) {
		a->conflict = i;
		if ((error = may_create(w, Q_TD_ENTITY_STATE, a->e[i].nip,
					a->e[i].created_ms, a->date_given,
					err)) < 0)
			return error;
	}
	for (i = 0; i < a->n; i++) {
		e = &a->e[i];
		if ((error = sql_exec(w, Q_TD_ENTITY_PUT, ARGS(
				ARG_FIELD(e->nip), ARG_FIELD(e->role),
				ARG_FIELD(e->parent_nip),
				ARG_FIELD(e->description),
				ARG_INT(e->created_ms)), err)) < 0)
			return error;
	}
	return 0;
}

static int check_entity(const store_entity *e, ksef_error *err)
{
	int error;

	if ((error = sql_check_len(e->nip, sizeof(e->nip), "NIP", err)) < 0 ||
	    (error = sql_check_len(e->role, sizeof(e->role), "role",
				   err)) < 0 ||
	    (error = sql_check_len(e->parent_nip, sizeof(e->parent_nip),
				   "parent NIP", err)) < 0 ||
	    (error = sql_check_len(e->description, sizeof(e->description),
				   "description", err)) < 0)
		return error;
	if (e->nip[0] == '\0' || e->role[0] == '\0')
		return sql_fail(err, STORE_INVALID, "an entity needs a NIP and "
				"a role");
	return 0;
}

store_result store_entities_add(store *st, const store_entity *e, size_t n,
				int date_given, size_t *conflict,
				ksef_error *err)
{
	struct entities_args a = { e, n, date_given, 0 };
	size_t i;
	int error;

	if (e == NULL || n == 0 || n > STORE_TESTDATA_SUBUNITS_MAX + 1)
		return sql_fail(err, STORE_INVALID, "1 to %d entities at once",
				STORE_TESTDATA_SUBUNITS_MAX + 1);
	for (i = 0; i < n; i++)
		if ((error = check_entity(&e[i], err)) < 0)
			return error;
	error = sql_submit(st, op_entities_add, &a, err);
	if (conflict != NULL)
		*conflict = a.conflict;
	return error;
}

store_result store_entity_remove(store *st, const char *nip, ksef_error *err)
{
	struct update_args a = { Q_TD_ENTITY_REMOVE, ARGS(ARG_TEXT(nip)),
				 "test subject" };
	int error;

	if ((error = sql_check_len(nip, KSEF_NIP_BUFSZ, "NIP", err)) < 0)
		return error;
	return sql_submit(st, sql_op_update, &a, err);
}

static int entity_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_entity *e = dst;

	(void)err;
	COL_TEXT(e->nip, s, 0);
	COL_TEXT(e->role, s, 1);
	COL_TEXT(e->parent_nip, s, 2);
	COL_TEXT(e->description, s, 3);
	e->created_ms = sql_col_int64(s, 4);
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
	return sql_read_rows(st, Q_TD_ENTITY_ROLES, ARGS(ARG_TEXT(nip),
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
	return sql_read_rows(st, Q_TD_ENTITY_SUBUNITS, ARGS(
			     ARG_TEXT(parent_nip), ARG_TEXT(only),
			     ARG_INT(offset_arg(offset)),
			     ARG_INT(limit_arg(limit))), &entity_rows,
			     (void **)out, count, err);
}

/* ---- persons ---- */

struct person_args {
	const store_person *p;
	int date_given;
};

static int op_person_add(struct conn *w, void *arg, ksef_error *err)
{
	struct person_args *a = arg;
	const store_person *p = a->p;
	int error;

	if ((error = may_create(w, Q_TD_PERSON_STATE, p->nip, p->created_ms,
				a->date_given, err)) < 0)
		return error;
	return sql_exec(w, Q_TD_PERSON_PUT, ARGS(ARG_FIELD(p->nip),
			ARG_FIELD(p->pesel), ARG_FIELD(p->description),
			ARG_INT(p->is_bailiff != 0),
			ARG_INT(p->is_deceased != 0),
			ARG_INT(p->created_ms)), err);
}

store_result store_person_add(store *st, const store_person *p,
			      int date_given, ksef_error *err)
{
	struct person_args a = { p, date_given };
	int error;

	if (p == NULL)
		return sql_fail(err, STORE_INVALID, "no person given");
	if ((error = sql_check_len(p->nip, sizeof(p->nip), "NIP", err)) < 0 ||
	    (error = sql_check_len(p->pesel, sizeof(p->pesel), "PESEL",
				   err)) < 0 ||
	    (error = sql_check_len(p->description, sizeof(p->description),
				   "description", err)) < 0)
		return error;
	if (p->nip[0] == '\0' || p->pesel[0] == '\0')
		return sql_fail(err, STORE_INVALID, "a person needs a NIP and "
				"a PESEL");
	return sql_submit(st, op_person_add, &a, err);
}

struct person_remove_args {
	const char *nip;
	char pesel[KSEF_PESEL_BUFSZ];
};

static int pesel_row(void *dst, const sql_row *s, ksef_error *err)
{
	(void)err;
	sql_col_text(dst, KSEF_PESEL_BUFSZ, s, 0);
	return 0;
}

/* uprawnienia: "System automatycznie odbierze jej wszystkie uprawnienia"
 * (POST /testdata/person/remove): the person and what was granted to it
 * go together. */
static int op_person_remove(struct conn *w, void *arg, ksef_error *err)
{
	struct person_remove_args *a = arg;
	int error = sql_lookup(w, Q_TD_PERSON_REMOVE, ARGS(ARG_TEXT(a->nip)),
			       pesel_row, a->pesel, err);

	if (error == SQL_DONE)
		return sql_fail(err, STORE_NOT_FOUND, "test person not found");
	if (error < 0)
		return error;
	return sql_exec(w, Q_TD_PERSON_GRANTS_DROP, ARGS(ARG_TEXT(a->nip),
			ARG_FIELD(a->pesel)), err);
}

store_result store_person_remove(store *st, const char *nip,
				 ksef_error *err)
{
	struct person_remove_args a;
	int error;

	if ((error = sql_check_len(nip, KSEF_NIP_BUFSZ, "NIP", err)) < 0)
		return error;
	memset(&a, 0, sizeof(a));
	a.nip = nip;
	return sql_submit(st, op_person_remove, &a, err);
}

static int person_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_person *p = dst;

	(void)err;
	COL_TEXT(p->nip, s, 0);
	COL_TEXT(p->pesel, s, 1);
	COL_TEXT(p->description, s, 2);
	p->is_bailiff = sql_col_int(s, 3) != 0;
	p->is_deceased = sql_col_int(s, 4) != 0;
	p->created_ms = sql_col_int64(s, 5);
	return 0;
}

store_result store_person_get(store *st, const char *nip, store_person *out,
			      ksef_error *err)
{
	int error;

	if ((error = sql_check_len(nip, KSEF_NIP_BUFSZ, "NIP", err)) < 0)
		return error;
	return sql_read_one(st, Q_TD_PERSON_GET, nip, out, person_row,
			    "test person", err);
}

store_result store_person_find(store *st, const char *identifier_type,
			       const char *value, store_person *out,
			       ksef_error *err)
{
	int error;

	if ((error = sql_check_len(identifier_type, STORE_CTX_TYPE_SZ,
				   "identifier type", err)) < 0 ||
	    (error = sql_check_len(value, STORE_CTX_VALUE_SZ, "identifier",
				   err)) < 0)
		return error;
	error = sql_read_row(st, Q_TD_PERSON_FIND,
			     ARGS(ARG_TEXT(identifier_type), ARG_TEXT(value)),
			     person_row, out, err);
	if (error == SQL_DONE)
		return sql_fail(err, STORE_NOT_FOUND, "test person not found");
	return error < 0 ? error : 0;
}

/* ---- contexts: attachments and blocks ---- */

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
	struct exec_args a = { Q_TD_ATTACH_ALLOW, ARGS(ARG_TEXT(ctx_type),
			       ARG_TEXT(ctx_value), ARG_INT(allowed_ms)) };
	int error;

	if ((error = check_context(ctx_type, ctx_value, err)) < 0)
		return error;
	return sql_submit(st, sql_op_exec, &a, err);
}

store_result store_attachment_revoke(store *st, const char *ctx_type,
				     const char *ctx_value, int64_t revoked_ms,
				     ksef_error *err)
{
	struct update_args a = { Q_TD_ATTACH_REVOKE, ARGS(ARG_TEXT(ctx_type),
				 ARG_TEXT(ctx_value), ARG_INT(revoked_ms)),
				 "attachment consent" };
	int error;

	if ((error = check_context(ctx_type, ctx_value, err)) < 0)
		return error;
	return sql_submit(st, sql_op_update, &a, err);
}

struct consent {
	int64_t allowed_ms, revoked_ms;
};

static int consent_row(void *dst, const sql_row *s, ksef_error *err)
{
	struct consent *c = dst;

	(void)err;
	c->allowed_ms = sql_col_int64(s, 0);
	c->revoked_ms = sql_col_int64(s, 1);
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
	error = sql_read_row(st, Q_TD_ATTACH_GET, ARGS(ARG_TEXT(ctx_type),
			     ARG_TEXT(ctx_value)), consent_row, &c, err);
	if (error == SQL_DONE)
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

store_result store_context_block(store *st, const char *ctx_type,
				 const char *ctx_value, int64_t now_ms,
				 ksef_error *err)
{
	struct exec_args a = { Q_TD_BLOCK, ARGS(ARG_TEXT(ctx_type),
			       ARG_TEXT(ctx_value), ARG_INT(now_ms)) };
	int error;

	if ((error = check_context(ctx_type, ctx_value, err)) < 0)
		return error;
	return sql_submit(st, sql_op_exec, &a, err);
}

store_result store_context_unblock(store *st, const char *ctx_type,
				   const char *ctx_value, ksef_error *err)
{
	struct update_args a = { Q_TD_UNBLOCK, ARGS(ARG_TEXT(ctx_type),
				 ARG_TEXT(ctx_value)), "context block" };
	int error;

	if ((error = check_context(ctx_type, ctx_value, err)) < 0)
		return error;
	return sql_submit(st, sql_op_update, &a, err);
}

store_result store_context_blocked(store *st, const char *ctx_type,
				   const char *ctx_value, int64_t *blocked_ms,
				   ksef_error *err)
{
	int64_t ms = 0;
	int error;

	if ((error = check_context(ctx_type, ctx_value, err)) < 0)
		return error;
	error = sql_read_row(st, Q_TD_BLOCKED, ARGS(ARG_TEXT(ctx_type),
			     ARG_TEXT(ctx_value)), sql_int64_row, &ms, err);
	if (error == SQL_DONE)
		return sql_fail(err, STORE_NOT_FOUND, "context not blocked");
	if (error < 0)
		return error;
	if (blocked_ms != NULL)
		*blocked_ms = ms;
	return 0;
}
