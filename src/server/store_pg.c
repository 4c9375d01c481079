/*
 * store_pg.c - the PostgreSQL engine of the store (struct sql_engine,
 * store_int.h), through libpq: `ksefd --store postgresql://...`. The core
 * (store_core.c) runs the writer and the read pool over it, as over SQLite;
 * several ksefd processes (nodes) may share one database.
 *
 * DESIGN
 *
 *  - Each connection prepares a statement the first time it runs it, with
 *    the types of its parameters (bigint, text, bytea) taken from the
 *    caller's struct param, and sends every value in binary: no value is
 *    ever quoted into SQL, and no text is escaped or copied. Results come
 *    back in binary too (a 10 KB invoice is not hex-encoded and decoded
 *    again); the column readers decode integers of every width, numeric
 *    (a sum) and booleans.
 *
 *  - Durability: every connection sets synchronous_commit = on, so a
 *    COMMIT returns once the database's log is flushed, as SQLite's does
 *    with synchronous=FULL; the writer's group commit is the same.
 *
 *  - Writers are named 'ksefd SCHEMA' (application_name, with the schema
 *    the store lives in) and readers 'ksefd-reader SCHEMA'. Readers are
 *    read-only (default_transaction_read_only). store_hwm_ms asks for
 *    the oldest running transaction of any node's writer of this store
 *    (Q_OTHER_WRITERS); what the writers stamp is on the database's clock
 *    too (begin), so the nodes' clocks need not agree. Each node has one
 *    writer, so counting the writers counts the nodes (Q_NODES), and a
 *    node that dies leaves the count when the database drops its
 *    connection. The schema in the name keeps apart stores that share a
 *    database (the tests run many, one schema each).
 *
 *  - A connection that is lost is opened again the next time it is used;
 *    the transaction it was in is lost, and the core fails its writes.
 *
 *  - Migrations run at open, inside one transaction holding an advisory
 *    lock, so nodes starting together migrate once; a database of a newer
 *    schema is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include "store_int.h"
#include "store_pg.h"

/* Read connections of one node, at most. PostgreSQL serves 100
 * connections by default: three nodes of 16 readers and a writer each
 * leave room for the administrator and a few more nodes. */
#define PG_MAX_READERS 16
/* Parameters of one statement, at most (the widest has 23). */
#define PG_MAX_PARAMS 32

/* The type OIDs the engine sends and decodes (pg_type.h). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_NUMERIC 1700

/* A connection: the core's part first. */
struct pg {
	struct conn base;
	PGconn *db;
	int writer;
	unsigned char prepared[Q_COUNT];
	/* Each prepared statement's parameter types, as prepared: a later
	 * call that binds another type would send bytes PostgreSQL reads as
	 * that type, and is refused instead. */
	unsigned types[Q_COUNT][PG_MAX_PARAMS];
	unsigned char nparams[Q_COUNT];
	/* The database's clock when the writer's transaction began, and the
	 * monotonic clock then (pg_stamp_ms). */
	int64_t began_db_ms, began_mono_ms;
	char sqlstate[6]; /* of the last failure, "" when none */
};

static struct pg *pg(struct conn *c)
{
	return (struct pg *)c;
}

/* ---- failures ---- */

/* What a failed statement means to the caller, as store_sqlite.c's
 * db_result: a unique key already taken is STORE_EXISTS; any other
 * constraint is a record the caller should not have written. */
static store_result pg_result(const char *state)
{
	if (strcmp(state, "23505") == 0)
		return STORE_EXISTS;
	if (strncmp(state, "23", 2) == 0)
		return STORE_INVALID;
	if (strcmp(state, "53200") == 0)
		return STORE_NO_MEMORY;
	return STORE_ERROR;
}

/* The primary message names the failure (and a constraint or column),
 * never a value: the DETAIL that may quote one is left out. */
static int pg_fail(ksef_error *err, struct pg *c, const PGresult *res,
		   const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
				: NULL;
	const char *msg = res ? PQresultErrorField(res,
						   PG_DIAG_MESSAGE_PRIMARY)
			      : NULL;
	size_t n;

	snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state ? state : "");
	if (msg == NULL) {
		msg = PQerrorMessage(c->db);
		n = strcspn(msg, "\n");
	} else {
		n = strlen(msg);
	}
	return sql_fail(err, pg_result(c->sqlstate), "database: %s: %.*s",
			what, (int)n, msg);
}

static int pg_retryable(struct conn *c)
{
	const char *s = pg(c)->sqlstate;

	/* serialization_failure, deadlock_detected, lock_not_available */
	return strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 ||
	       strcmp(s, "55P03") == 0;
}

/* ---- connections ---- */

static void quiet(void *arg, const char *message)
{
	/* NOTICEs (an object that already exists...) are not ksefd's to
	 * print. */
	(void)arg;
	(void)message;
}

static void pg_close(struct conn *base)
{
	struct pg *c = (struct pg *)base;

	if (c == NULL)
		return;
	PQfinish(c->db);
	free(c);
}

static int setup(struct pg *c, ksef_error *err)
{
	static const char writer_setup[] =
		"SET synchronous_commit = on;"
		" SET default_transaction_isolation = 'read committed';"
		" SELECT set_config('application_name',"
		" left('ksefd ' || current_schema(), 63), false)";
	static const char reader_setup[] =
		"SET synchronous_commit = on;"
		" SET default_transaction_isolation = 'read committed';"
		" SET default_transaction_read_only = on;"
		" SELECT set_config('application_name',"
		" left('ksefd-reader ' || current_schema(), 63), false)";
	PGresult *res = PQexec(c->db, c->writer ? writer_setup : reader_setup);
	int error = 0;

	/* The last statement (the connection's name) returns a row. */
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		error = pg_fail(err, c, res, "set up the connection");
	PQclear(res);
	memset(c->prepared, 0, sizeof(c->prepared));
	return error;
}

static int pg_open(struct conn **out, store *st, int writer,
		   ksef_error *err)
{
	const char *keys[] = { "dbname", "application_name", NULL };
	const char *values[] = { st->location,
				 writer ? "ksefd" : "ksefd-reader", NULL };
	struct pg *c = calloc(1, sizeof(*c));
	int error;

	*out = NULL;
	if (c == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	c->base.engine = &sql_pg_engine;
	c->writer = writer;
	/* expand_dbname: dbname is the whole connection string, and the
	 * application name given after it wins over one inside it. */
	c->db = PQconnectdbParams(keys, values, 1);
	if (c->db == NULL) {
		free(c);
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	}
	if (PQstatus(c->db) != CONNECTION_OK) {
		error = pg_fail(err, c, NULL, "connect");
		pg_close(&c->base);
		return error;
	}
	PQsetNoticeProcessor(c->db, quiet, NULL);
	if ((error = setup(c, err)) < 0) {
		pg_close(&c->base);
		return error;
	}
	*out = &c->base;
	return 0;
}

/* A connection lost since its last use is opened again (its prepared
 * statements and any transaction are gone with it). */
static int alive(struct pg *c, ksef_error *err)
{
	if (PQstatus(c->db) == CONNECTION_OK)
		return 0;
	PQreset(c->db);
	if (PQstatus(c->db) != CONNECTION_OK)
		return pg_fail(err, c, NULL, "connect again");
	return setup(c, err);
}

/* ---- statements ---- */

/* SQLite's ?N as PostgreSQL's $N; the text of store_schema.c has no ?
 * inside a literal. */
static char *translate(const char *sql)
{
	size_t n = strlen(sql), i;
	char *out = malloc(n + 1);

	if (out == NULL)
		return NULL;
	for (i = 0; i <= n; i++)
		out[i] = sql[i] == '?' && sql[i + 1] >= '0' &&
				 sql[i + 1] <= '9' ? '$' : sql[i];
	return out;
}

char *sql_pg_text(enum query q)
{
	return sql_pg_queries[q] ? strdup(sql_pg_queries[q])
				 : translate(sql_queries[q].sql);
}

static int is_transaction_control(enum query q)
{
	return q == Q_BEGIN || q == Q_COMMIT || q == Q_ROLLBACK ||
	       q == Q_SAVEPOINT || q == Q_ROLLBACK_TO || q == Q_RELEASE;
}

static unsigned param_type(const struct param *p)
{
	switch (p->type) {
	case P_INT:
	case P_NULL_INT:
		return OID_INT8;
	case P_BLOB:
		return OID_BYTEA;
	default:
		return OID_TEXT;
	}
}

/* A NULL fits a parameter of any type. */
static int is_null(const struct param *p)
{
	return p->type == P_NULL_INT || (p->type == P_TEXT && p->ptr == NULL);
}

static int prepare(struct pg *c, enum query q, const struct param *p,
		   int n, ksef_error *err)
{
	unsigned types[PG_MAX_PARAMS];
	char name[16], *sql;
	PGresult *res;
	int i, error = 0;

	if (c->prepared[q]) {
		if (n != c->nparams[q])
			return sql_fail(err, STORE_ERROR, "database: %s: %d "
					"parameters, prepared with %d",
					sql_queries[q].name, n, c->nparams[q]);
		for (i = 0; i < n; i++)
			if (!is_null(&p[i]) &&
			    param_type(&p[i]) != c->types[q][i])
				return sql_fail(err, STORE_ERROR, "database: "
						"%s: parameter %d bound as "
						"another type", sql_queries[q].name,
						i + 1);
		return 0;
	}
	if ((sql = sql_pg_text(q)) == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	for (i = 0; i < n; i++)
		types[i] = param_type(&p[i]);
	snprintf(name, sizeof(name), "q%d", (int)q);
	res = PQprepare(c->db, name, sql, n, types);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		error = pg_fail(err, c, res, sql_queries[q].name);
	} else {
		c->prepared[q] = 1;
		c->nparams[q] = (unsigned char)n;
		memcpy(c->types[q], types, sizeof(types[0]) * (size_t)n);
	}
	PQclear(res);
	free(sql);
	return error;
}

static void put_be64(unsigned char *b, int64_t v)
{
	uint64_t u = (uint64_t)v;
	int i;

	for (i = 7; i >= 0; i--, u >>= 8)
		b[i] = (unsigned char)u;
}

/*
 * BEGIN, and the database's clock read in the same round trip: what the
 * transaction's ops stamp (pg_stamp_ms) is on the database's clock, as is
 * the start of the transaction that store_hwm_ms compares it with
 * (pg_stat_activity.xact_start), so the nodes' own clocks never decide
 * whether a stored invoice is before or after the high-water mark.
 */
static int begin(struct pg *c, ksef_error *err)
{
	PGresult *res = PQexec(c->db, "BEGIN; SELECT (extract(epoch FROM"
				      " clock_timestamp()) * 1000)::bigint");
	int rc = SQL_DONE;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		rc = pg_fail(err, c, res, sql_queries[Q_BEGIN].name);
	else
		c->began_db_ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	c->began_mono_ms = sql_mono_ms();
	PQclear(res);
	return rc;
}

static int64_t pg_stamp_ms(struct conn *w)
{
	struct pg *c = pg(w);

	if (c->began_db_ms <= 0)
		return sql_clock_ms();
	return c->began_db_ms + (sql_mono_ms() - c->began_mono_ms);
}

static int pg_run(struct conn *base, enum query q, const struct param *p,
		  each_fn each, void *ctx, ksef_error *err)
{
	struct pg *c = pg(base);
	const char *values[PG_MAX_PARAMS];
	int lengths[PG_MAX_PARAMS], formats[PG_MAX_PARAMS];
	unsigned char ints[PG_MAX_PARAMS][8];
	sql_row row = { base, NULL, 0 };
	char name[16];
	PGresult *res;
	ExecStatusType status;
	int n = 0, i, rc, rows, error;

	c->sqlstate[0] = '\0';
	if ((error = alive(c, err)) < 0)
		return error;
	if (q == Q_BEGIN)
		return begin(c, err);
	if (is_transaction_control(q)) {
		res = PQexec(c->db, sql_queries[q].sql);
		rc = PQresultStatus(res) == PGRES_COMMAND_OK ? SQL_DONE :
			pg_fail(err, c, res, sql_queries[q].name);
		PQclear(res);
		return rc;
	}
	while (p != NULL && p[n].type != P_END)
		if (++n > PG_MAX_PARAMS)
			return sql_fail(err, STORE_INVALID, "database: %s: "
					"too many parameters",
					sql_queries[q].name);
	for (i = 0; i < n; i++) {
		formats[i] = 1;
		switch (p[i].type) {
		case P_INT:
			put_be64(ints[i], p[i].num);
			values[i] = (const char *)ints[i];
			lengths[i] = 8;
			break;
		case P_TEXT:
			values[i] = p[i].ptr;
			lengths[i] = p[i].ptr ? (int)strlen(p[i].ptr) : 0;
			break;
		case P_NULL_INT:
			values[i] = NULL;
			lengths[i] = 0;
			break;
		case P_FIELD:
			values[i] = p[i].ptr;
			lengths[i] = (int)strnlen(p[i].ptr, p[i].len);
			break;
		default:
			/* An empty blob is not NULL. */
			values[i] = p[i].ptr ? p[i].ptr : "";
			if (p[i].len > INT32_MAX)
				return sql_fail(err, STORE_TOO_BIG, "database: "
						"%s: value too big",
						sql_queries[q].name);
			lengths[i] = (int)p[i].len;
			break;
		}
	}
	if ((error = prepare(c, q, p, n, err)) < 0)
		return error;
	snprintf(name, sizeof(name), "q%d", (int)q);
	res = PQexecPrepared(c->db, name, n, values, lengths, formats, 1);
	status = PQresultStatus(res);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
		error = pg_fail(err, c, res, sql_queries[q].name);
		PQclear(res);
		return error;
	}
	if (*PQcmdTuples(res) != '\0' && strncmp(PQcmdStatus(res), "SELECT",
						 6) != 0) {
		base->changes = strtoll(PQcmdTuples(res), NULL, 10);
		base->total_changes += base->changes;
	}
	rows = status == PGRES_TUPLES_OK ? PQntuples(res) : 0;
	row.impl = res;
	rc = rows > 0 ? SQL_ROW : SQL_DONE;
	for (i = 0; each != NULL && i < rows; i++) {
		row.index = i;
		if ((error = each(ctx, &row, err)) != 0) {
			if (error < 0)
				rc = error;
			break;
		}
	}
	PQclear(res);
	return rc;
}

static int pg_in_transaction(struct conn *c)
{
	PGTransactionStatusType t = PQtransactionStatus(pg(c)->db);

	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

/* ---- columns (binary) ---- */

static int64_t be(const unsigned char *b, int n)
{
	uint64_t u = 0;
	int i;

	for (i = 0; i < n; i++)
		u = u << 8 | b[i];
	/* Sign-extend from n bytes. */
	if (n < 8 && (b[0] & 0x80))
		u |= ~(uint64_t)0 << (8 * n);
	return (int64_t)u;
}

/* The integer part of a numeric: base-10000 digits after a header of
 * ndigits, weight, sign and scale (numeric.c, numeric_send). */
static int64_t numeric_int(const unsigned char *b, int len)
{
	int ndigits, weight, sign, i;
	int64_t v = 0, d;

	if (len < 8)
		return 0;
	ndigits = (int)be(b, 2);
	weight = (int)be(b + 2, 2);
	sign = (int)(be(b + 4, 2) & 0xFFFF);
	if (len < 8 + 2 * ndigits || sign == 0xC000)
		return 0;
	for (i = 0; i <= weight; i++) {
		d = i < ndigits ? be(b + 8 + 2 * i, 2) : 0;
		if (v > (INT64_MAX - d) / 10000)
			return sign == 0x4000 ? INT64_MIN : INT64_MAX;
		v = v * 10000 + d;
	}
	return sign == 0x4000 ? -v : v;
}

static int64_t pg_col_int64(const sql_row *r, int i)
{
	const PGresult *res = r->impl;
	const unsigned char *b;
	int len;

	if (PQgetisnull(res, r->index, i))
		return 0;
	b = (const unsigned char *)PQgetvalue(res, r->index, i);
	len = PQgetlength(res, r->index, i);
	switch (PQftype(res, i)) {
	case OID_INT8:
		return len == 8 ? be(b, 8) : 0;
	case OID_INT4:
		return len == 4 ? be(b, 4) : 0;
	case OID_INT2:
		return len == 2 ? be(b, 2) : 0;
	case OID_BOOL:
		return len == 1 && b[0] != 0;
	case OID_NUMERIC:
		return numeric_int(b, len);
	default:
		/* Text holding a number, as SQLite would read it. */
		return strtoll((const char *)b, NULL, 10);
	}
}

static const void *pg_col_bytes(const sql_row *r, int i, size_t *len)
{
	const PGresult *res = r->impl;

	if (PQgetisnull(res, r->index, i)) {
		*len = 0;
		return NULL;
	}
	*len = (size_t)PQgetlength(res, r->index, i);
	return PQgetvalue(res, r->index, i);
}

static const char *pg_col_text(const sql_row *r, int i, size_t *len)
{
	/* libpq ends every value with a NUL, binary ones too. */
	return pg_col_bytes(r, i, len);
}

static int pg_col_is_null(const sql_row *r, int i)
{
	return PQgetisnull(r->impl, r->index, i);
}

/* ---- the store ---- */

/* The listener (store_pg_listen.c) is all the engine keeps of its own. */
static int pg_listen(store *st, ksef_error *err)
{
	return pg_listen_start(st, &st->engine_state, err);
}

static void pg_unlisten(store *st)
{
	pg_listen_stop(st->engine_state);
	st->engine_state = NULL;
}

/* The start of the oldest transaction of any node's writer, or the
 * database's now when none runs: on the clock of pg_stamp_ms. */
static int64_t pg_hwm_ms(store *st)
{
	int64_t t = 0;

	if (sql_read_row(st, Q_OTHER_WRITERS, NULL, sql_int64_row, &t,
			 NULL) != SQL_ROW || t <= 0)
		return 1; /* unknown: nothing is surely committed */
	return t;
}

static int exec_text(struct pg *c, const char *sql, const char *what,
		     ksef_error *err)
{
	PGresult *res = PQexec(c->db, sql);
	int error = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		error = pg_fail(err, c, res, what);
	PQclear(res);
	return error;
}

/* The schema's version: 0 for an empty database. */
static int read_version(struct pg *c, int64_t *out, ksef_error *err)
{
	PGresult *res = PQexec(c->db, "SELECT to_regclass('meta') IS NULL");
	int error = 0;

	*out = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		error = pg_fail(err, c, res, "read schema version");
	} else if (strcmp(PQgetvalue(res, 0, 0), "f") == 0) {
		PQclear(res);
		res = PQexec(c->db, "SELECT value FROM meta"
				    " WHERE name = 'schema_version'");
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			error = pg_fail(err, c, res, "read schema version");
		else if (PQntuples(res) == 1)
			*out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	}
	PQclear(res);
	return error;
}

static int migrate(struct pg *w, ksef_error *err)
{
	char sql[128];
	int64_t version;
	int error;

	/* The lock is the transaction's: a second node waits here and
	 * then finds the schema up to date. */
	if ((error = exec_text(w, "BEGIN", "migrate", err)) < 0)
		return error;
	if ((error = exec_text(w, "SELECT pg_advisory_xact_lock("
			       "hashtext('ksefd schema'))", "migrate",
			       err)) < 0 ||
	    (error = read_version(w, &version, err)) < 0)
		goto rollback;
	if (version < 0 || version > STORE_PG_SCHEMA_VERSION) {
		error = sql_fail(err, STORE_ERROR, "database schema version "
				 "%lld is not one this ksefd knows (%d or "
				 "older)", (long long)version,
				 STORE_PG_SCHEMA_VERSION);
		goto rollback;
	}
	if (version == STORE_PG_SCHEMA_VERSION) {
		exec_text(w, "ROLLBACK", "migrate", NULL);
		return 0;
	}
	for (; version < STORE_PG_SCHEMA_VERSION; version++) {
		snprintf(sql, sizeof(sql), "migration to version %lld",
			 (long long)version + 1);
		if ((error = exec_text(w, sql_pg_migrations[version], sql,
				       err)) < 0)
			goto rollback;
	}
	snprintf(sql, sizeof(sql), "UPDATE meta SET value = %d"
		 " WHERE name = 'schema_version'", STORE_PG_SCHEMA_VERSION);
	if ((error = exec_text(w, sql, "migrate", err)) < 0)
		goto rollback;
	return exec_text(w, "COMMIT", "migrate", err);
rollback:
	exec_text(w, "ROLLBACK", "migrate", NULL);
	return error;
}

static int pg_start(store *st, ksef_error *err)
{
	struct conn *w;
	int error;

	if ((error = pg_open(&w, st, 1, err)) < 0)
		return error;
	st->wconn = w;
	return migrate(pg(w), err);
}

const struct sql_engine sql_pg_engine = {
	.name = "PostgreSQL",
	.max_readers = PG_MAX_READERS,
	.start = pg_start,
	.open = pg_open,
	.close = pg_close,
	.run = pg_run,
	.in_transaction = pg_in_transaction,
	.retryable = pg_retryable,
	.col_int64 = pg_col_int64,
	.col_bytes = pg_col_bytes,
	.col_text = pg_col_text,
	.col_is_null = pg_col_is_null,
	.between = NULL,
	.stop = NULL,
	.free_state = NULL,
	.shared = 1,
	.stamp_ms = pg_stamp_ms,
	.hwm_ms = pg_hwm_ms,
	.listen = pg_listen,
	.unlisten = pg_unlisten,
};
