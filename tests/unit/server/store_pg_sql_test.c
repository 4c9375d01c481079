/*
 * store_pg_sql_test.c - every statement of the store, as the PostgreSQL
 * engine runs it (store_schema.c's text with ?N as $N, or store_pg_sql.c's
 * own), is prepared by a real PostgreSQL against the schema's migrations:
 * a statement SQLite takes and PostgreSQL does not fails here, with its
 * name and the server's message, before any test meets it at run time.
 * Needs KSEF_TEST_PG (scripts/pg-cluster.sh); skipped without it.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>
#include "store_int.h"

static PGconn *db;
static char schema[64];

static int setup(void **state)
{
	const char *base = getenv("KSEF_TEST_PG");
	char conninfo[1024];
	PGresult *res;
	int i;

	(void)state;
	if (base == NULL || *base == '\0')
		return 0;
	snprintf(schema, sizeof(schema), "t_sqltest_%ld", (long)getpid());
	snprintf(conninfo, sizeof(conninfo), "%s options='-c search_path=%s'",
		 base, schema);
	db = PQconnectdb(conninfo);
	if (PQstatus(db) != CONNECTION_OK)
		fail_msg("connect: %s", PQerrorMessage(db));
	PQclear(PQexec(db, "SET client_min_messages = warning"));
	res = PQexecParams(db, "SELECT format('CREATE SCHEMA %I', $1::text)",
			   1, NULL, (const char *[]){ schema }, NULL, NULL, 0);
	PQclear(PQexec(db, PQgetvalue(res, 0, 0)));
	PQclear(res);
	for (i = 0; i < STORE_PG_SCHEMA_VERSION; i++) {
		res = PQexec(db, sql_pg_migrations[i]);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			fail_msg("migration %d: %s", i + 1,
				 PQresultErrorMessage(res));
		PQclear(res);
	}
	return 0;
}

static int teardown(void **state)
{
	char sql[128];

	(void)state;
	if (db == NULL)
		return 0;
	snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", schema);
	PQclear(PQexec(db, sql));
	PQfinish(db);
	return 0;
}

/* Each statement, its parameters' types left to PostgreSQL: a type it
 * cannot infer ("could not determine data type of parameter", 42P18 and
 * 42P08) is no failure, as the engine sends every parameter's type; the
 * end-to-end suite on PostgreSQL runs those statements typed. */
static void every_statement_prepares(void **state)
{
	char name[32], *sql;
	PGresult *res;
	const char *code;
	int q, failed = 0;

	(void)state;
	if (db == NULL)
		skip();
	for (q = 0; q < Q_COUNT; q++) {
		if (q == Q_BEGIN || q == Q_COMMIT || q == Q_ROLLBACK ||
		    q == Q_SAVEPOINT || q == Q_ROLLBACK_TO || q == Q_RELEASE)
			continue;
		sql = sql_pg_text((enum query)q);
		assert_non_null(sql);
		snprintf(name, sizeof(name), "t%d", q);
		res = PQprepare(db, name, sql, 0, NULL);
		code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    (code == NULL || (strcmp(code, "42P18") != 0 &&
				      strcmp(code, "42P08") != 0))) {
			print_error("%s (%d): %s %s  %s\n", sql_queries[q].name,
				    q, code ? code : "", PQresultErrorMessage(res),
				    sql);
			failed++;
		}
		PQclear(res);
		free(sql);
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_statement_prepares),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
