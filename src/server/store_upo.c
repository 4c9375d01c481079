/*
 * store_upo.c - UPO documents in the store, each kept under its key as
 * first stored and never replaced, and the page references of a session's
 * UPO, set once. Making and signing UPOs belongs to upo_service.c.
 */
#include <string.h>
#include "ksef/upo.h"
#include "store_int.h"

/* ---- UPO documents ---- */

store_result store_upo_get(store *st, const char *key, ksef_buf *out,
			   ksef_error *err)
{
	if (out == NULL)
		return sql_fail(err, STORE_INVALID, "no buffer given");
	return sql_read_one(st, Q_UPO_GET, key, out, sql_blob_row, "UPO", err);
}

store_result store_upo_put(store *st, const char *key, const unsigned char *xml,
			   size_t len, ksef_error *err)
{
	/* ON CONFLICT DO NOTHING: two requests that signed the same UPO at
	 * once both succeed, and both read back the first one's bytes. */
	struct exec_args a = { Q_UPO_ADD,
			       ARGS(ARG_TEXT(key), ARG_BLOB(xml, len)) };
	int error;

	if ((error = sql_check_len(key, STORE_REF_SZ, "UPO key", err)) < 0)
		return error;
	if (xml == NULL || len == 0)
		return sql_fail(err, STORE_INVALID, "no UPO given");
	if (len > KSEF_UPO_MAX_BYTES)
		return sql_fail(err, STORE_TOO_BIG, "UPO is %zu bytes, over "
				"KSEF_UPO_MAX_BYTES", len);
	return sql_submit(st, sql_op_exec, &a, err);
}

struct upo_pages_args {
	const char *session_ref;
	char (*refs)[STORE_REF_SZ];
	size_t count;
};

static int op_upo_pages_set(struct conn *w, void *arg, ksef_error *err)
{
	struct upo_pages_args *a = arg;
	struct session_state state = { 0 };
	size_t i;
	int error;

	if ((error = sql_session_state(w, a->session_ref, &state, err)) < 0)
		return error;
	/* Set once: the references may already be in a client's hands, so
	 * a second assignment (a restarted server, a race) keeps the first. */
	error = sql_lookup(w, Q_UPO_PAGES_SET, ARGS(ARG_TEXT(a->session_ref)),
			   NULL, NULL, err);
	if (error != SQL_DONE)
		return error < 0 ? error : 0;
	for (i = 0; i < a->count; i++)
		if ((error = sql_exec(w, Q_UPO_PAGE_ADD,
				      ARGS(ARG_TEXT(a->session_ref),
					   ARG_INT(i + 1),
					   ARG_FIELD(a->refs[i])),
				      err)) < 0)
			return error;
	return 0;
}

store_result store_upo_pages_set(store *st, const char *session_ref,
				 char (*refs)[STORE_REF_SZ], size_t count,
				 ksef_error *err)
{
	struct upo_pages_args a = { session_ref, refs, count };
	size_t i;
	int error;

	if (session_ref == NULL)
		return sql_fail(err, STORE_INVALID, "no session given");
	/* No pages would read back as none set (KSEF_ENOTFOUND). */
	if (refs == NULL || count == 0)
		return sql_fail(err, STORE_INVALID, "a session UPO has at "
				"least one page");
	for (i = 0; i < count; i++)
		if ((error = sql_check_len(refs[i], STORE_REF_SZ,
					   "UPO page reference", err)) < 0)
			return error;
	return sql_submit(st, op_upo_pages_set, &a, err);
}

store_result store_upo_pages(store *st, const char *session_ref,
			     char (**refs)[STORE_REF_SZ], size_t *count,
			     ksef_error *err)
{
	void *rows = NULL;
	int error;

	*refs = NULL;
	*count = 0;
	if (session_ref == NULL)
		return sql_fail(err, STORE_INVALID, "no session given");
	if ((error = sql_read_rows(st, Q_UPO_PAGES, ARGS(ARG_TEXT(session_ref)),
				   &sql_ref_rows, &rows, count, err)) < 0)
		return error;
	if (*count == 0)
		return sql_fail(err, STORE_NOT_FOUND,
				"session UPO pages not found");
	*refs = rows;
	return 0;
}

