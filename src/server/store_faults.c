/*
 * store_faults.c - the store's side of fault injection: the one fault plan
 * in force (its text and a version that every change bumps, so that a
 * running ksefd notices `ksefd faults set` made by another process, as it
 * notices `ksefd keys rotate`) and how often each of its rules fired, for
 * `ksefd faults show`. What a plan means is faults_plan.c's.
 */
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

/* A rule's id is at most this long (faults_plan.h checks it first). */
#define RULE_ID_SZ 65

struct plan_args {
	const char *plan;
};

static int op_plan_set(struct conn *w, void *arg, ksef_error *err)
{
	struct plan_args *a = arg;
	int error;

	if ((error = sql_exec(w, Q_FAULT_PLAN_SET, ARGS(ARG_TEXT(a->plan)),
			      err)) < 0)
		return error;
	return sql_run(w, Q_FAULT_COUNTS_CLEAR, err);
}

store_result store_faults_set(store *st, const char *plan, ksef_error *err)
{
	struct plan_args a = { plan };

	return sql_submit(st, op_plan_set, &a, err);
}

struct plan_row {
	int64_t version;
	char *plan;
};

static int plan_row(void *dst, const sql_row *s, ksef_error *err)
{
	struct plan_row *r = dst;

	r->version = sql_col_int64(s, 0);
	r->plan = NULL;
	if (sql_col_is_null(s, 1))
		return 0;
	if ((r->plan = sql_col_strdup(s, 1)) == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	return 0;
}

store_result store_faults_get(store *st, int64_t *version, char **plan,
			      ksef_error *err)
{
	struct plan_row r = { 0, NULL };
	int rc;

	*version = 0;
	*plan = NULL;
	rc = sql_read_row(st, Q_FAULT_PLAN_GET, NULL, plan_row, &r, err);
	if (rc < 0)
		return rc;
	*version = r.version;
	*plan = r.plan;
	return STORE_OK;
}

int64_t store_faults_version(store *st)
{
	int64_t v = -1;

	if (st == NULL)
		return -1;
	if (sql_read_row(st, Q_FAULT_VERSION, NULL, sql_int64_row, &v,
			 NULL) != SQL_ROW)
		return -1;
	return v;
}

store_result store_faults_count(store *st, int64_t version, const char *rule,
				int64_t fired, ksef_error *err)
{
	struct exec_args a = { Q_FAULT_COUNT_SET,
		ARGS(ARG_INT(version), ARG_TEXT(rule), ARG_INT(fired)) };
	int error;

	if ((error = sql_check_len(rule, RULE_ID_SZ, "rule id", err)) < 0)
		return error;
	return sql_submit(st, sql_op_exec, &a, err);
}

struct count_row {
	char rule[RULE_ID_SZ];
	int64_t fired;
};

static int count_row(void *dst, const sql_row *s, ksef_error *err)
{
	struct count_row *r = dst;

	(void)err;
	COL_TEXT(r->rule, s, 0);
	r->fired = sql_col_int64(s, 1);
	return 0;
}

static const struct row_type count_rows = { sizeof(struct count_row),
					    count_row, NULL };

store_result store_faults_counts(store *st, int64_t version,
				 void (*fn)(void *arg, const char *rule,
					    int64_t fired),
				 void *arg, ksef_error *err)
{
	struct count_row *rows = NULL;
	size_t n = 0, i;
	int error;

	error = sql_read_rows(st, Q_FAULT_COUNTS, ARGS(ARG_INT(version)),
			      &count_rows, (void **)&rows, &n, err);
	if (error < 0)
		return error;
	for (i = 0; i < n; i++)
		fn(arg, rows[i].rule, rows[i].fired);
	free(rows);
	return STORE_OK;
}
