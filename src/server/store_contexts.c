/*
 * store_contexts.c - which contexts the store holds anything for: the
 * console's first page (console_pages.c). The API has no such question
 * (every operation works in the caller's one context), so this is the
 * store's only read across contexts.
 */
#include <stdlib.h>
#include "store_int.h"

static int context_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_context_row *r = dst;

	(void)err;
	COL_TEXT(r->ctx_type, s, 0);
	COL_TEXT(r->ctx_value, s, 1);
	r->sessions = sql_col_int64(s, 2);
	r->invoices = sql_col_int64(s, 3);
	r->tokens = sql_col_int64(s, 4);
	r->permissions = sql_col_int64(s, 5);
	r->last_ms = sql_col_int64(s, 6);
	return 0;
}

static const struct row_type context_rows = { sizeof(store_context_row),
					      context_row, NULL };

store_result store_contexts_list(store *st, size_t offset, size_t limit,
				 store_context_row **out, size_t *count,
				 ksef_error *err)
{
	int error;

	*out = NULL;
	*count = 0;
	error = sql_read_rows(st, Q_CONTEXTS_LIST,
			      ARGS(ARG_INT(limit_arg(limit)),
				   ARG_INT(limit_arg(offset))),
			      &context_rows, (void **)out, count, err);
	return error < 0 ? error : STORE_OK;
}
