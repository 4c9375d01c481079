/*
 * store_sqlite.c - the SQLite engine of the store (struct sql_engine,
 * store_int.h): the database file in the data folder, its connections and
 * statements, the checkpointer, and the migrations of store_schema.c run at
 * open. store_core.c runs the writer and the read pool over it.
 *
 * DESIGN
 *
 *  - WAL mode: readers run while a write commits; synchronous=FULL makes
 *    each commit durable (an fsync of the log).
 *
 *  - Copying the log back into the database (a checkpoint, with its own
 *    fsync) is a thread of its own, on its own connection: the writer's
 *    commits only append to the log, and a checkpoint runs beside them
 *    instead of inside one client's commit. The writer tells it how long
 *    the log has grown; it checkpoints passively (never waiting for, or
 *    making wait, a reader or the writer) past CHECKPOINT_PAGES, and at
 *    least every CHECKPOINT_MS.
 *
 *  - Another process (`ksefd keys rotate`) may open the same file with a
 *    writer of its own; BEGIN IMMEDIATE and busy_timeout serialise them.
 *
 * Each connection keeps its statements prepared (on first use), so the SQL
 * of store_schema.c is parsed once per connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "store_int.h"

#define STORE_FILE_NAME "ksefd.sqlite3"
/* Read connections kept at most; more concurrent readers wait for one. */
#define STORE_MAX_READERS 32
/* How long a statement waits for another process's write lock. */
#define STORE_BUSY_MS 10000
/* Log length (pages) past which the checkpointer copies it back, and its
 * longest sleep. SQLite's own automatic checkpoint is at 1000 pages; 4000
 * (16 MB) lets the index pages that every invoice touches be copied once
 * for four times as many invoices. */
#define CHECKPOINT_PAGES 4000
#define CHECKPOINT_MS 1000

/* A connection: the core's part first. */
struct lite {
	struct conn base;
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_COUNT];
};

/* What the engine keeps in st->engine_state: the file, and the
 * checkpointer's thread and connection, woken under st->lock (see
 * checkpointer_main). */
struct lite_state {
	char *path;
	struct lite *cconn;
	pthread_t checkpointer;
	pthread_cond_t wal_grown;
	int wal_pages, started;
	int catch_up; /* the checkpointer has copied the log: the writer
			 copies what came meanwhile (lite_between) */
};

static struct lite *lite(struct conn *c)
{
	return (struct lite *)c;
}

static sqlite3 *lite_db(store *st)
{
	return lite(st->wconn)->db;
}

/* What a failed statement means to the caller. A unique key already
 * taken (a reference, a token secret, a challenge) is STORE_EXISTS; any
 * other constraint is a record the caller should not have written. */
static store_result db_result(sqlite3 *db)
{
	int code = sqlite3_extended_errcode(db);

	if (code == SQLITE_CONSTRAINT_PRIMARYKEY ||
	    code == SQLITE_CONSTRAINT_UNIQUE)
		return STORE_EXISTS;
	if ((code & 0xff) == SQLITE_CONSTRAINT)
		return STORE_INVALID;
	if ((code & 0xff) == SQLITE_NOMEM)
		return STORE_NO_MEMORY;
	return STORE_ERROR;
}

/* SQLite's message names the failure (and at most a column), never a
 * bound value, so it is safe to pass on. */
static int db_fail(ksef_error *err, struct lite *c, enum query q)
{
	return sql_fail(err, db_result(c->db), "database: %s: %s",
			sql_queries[q].name, sqlite3_errmsg(c->db));
}

/* ---- binding and reading columns ---- */

static int bind_str(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* A record field need not be NUL-terminated: never read past it. */
static int bind_field(sqlite3_stmt *s, int i, const char *f, size_t size)
{
	return sqlite3_bind_text(s, i, f, (int)strnlen(f, size), SQLITE_STATIC);
}

/* Bind every parameter (p may be NULL: none). SQLite's codes or'ed, as
 * the callers check only for SQLITE_OK. */
static int bind_params(sqlite3_stmt *s, const struct param *p)
{
	int i, rc = SQLITE_OK;

	for (i = 0; p != NULL && p[i].type != P_END; i++) {
		switch (p[i].type) {
		case P_TEXT:
			rc |= bind_str(s, i + 1, p[i].ptr);
			break;
		case P_FIELD:
			rc |= bind_field(s, i + 1, p[i].ptr, p[i].len);
			break;
		case P_INT:
			rc |= sqlite3_bind_int64(s, i + 1, p[i].num);
			break;
		case P_NULL_INT:
			rc |= sqlite3_bind_null(s, i + 1);
			break;
		default:
			rc |= sqlite3_bind_blob64(s, i + 1, p[i].ptr, p[i].len,
						  SQLITE_STATIC);
			break;
		}
	}
	return rc;
}

/* ---- connections ---- */

static int prep(sqlite3_stmt **out, struct lite *c, enum query q,
		ksef_error *err)
{
	if (c->stmt[q] == NULL &&
	    sqlite3_prepare_v3(c->db, sql_queries[q].sql, -1,
			       SQLITE_PREPARE_PERSISTENT, &c->stmt[q],
			       NULL) != SQLITE_OK)
		return db_fail(err, c, q);
	*out = c->stmt[q];
	return 0;
}

/* Reset so the statement ends its read transaction and drops the
 * bindings, which point into the caller's memory. */
static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* SQLITE_ROW, SQLITE_DONE or a negative code with err set. */
static int step(struct lite *c, sqlite3_stmt *s, enum query q,
		ksef_error *err)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	return db_fail(err, c, q);
}

/* Prepare q and bind p. On failure nothing is left bound. */
static int prep_bind(sqlite3_stmt **out, struct lite *c, enum query q,
		     const struct param *p, ksef_error *err)
{
	int error;

	if ((error = prep(out, c, q, err)) < 0)
		return error;
	if (bind_params(*out, p) != SQLITE_OK) {
		/* db_fail first, while SQLite's message is the bind's. */
		error = db_fail(err, c, q);
		done(*out);
		return error;
	}
	return 0;
}

/* ---- running statements and reading rows ---- */

static int lite_run(struct conn *base, enum query q, const struct param *p,
		    each_fn each, void *ctx, ksef_error *err)
{
	struct lite *c = lite(base);
	sqlite3_stmt *s = NULL;
	sql_row row = { base, NULL, 0 };
	int rc, first, more, error;
	int before = sqlite3_total_changes(c->db);

	if ((rc = prep_bind(&s, c, q, p, err)) < 0)
		return rc;
	row.impl = s;
	first = rc = step(c, s, q, err);
	more = each != NULL;
	/* Rows to hand over while each wants them; a statement that writes
	 * (an UPDATE ... RETURNING) is stepped to its end in any case. */
	while (rc == SQLITE_ROW) {
		if (more && (error = each(ctx, &row, err)) != 0) {
			if (error < 0) {
				rc = error;
				break;
			}
			more = 0;
		}
		if (!more && sqlite3_stmt_readonly(s))
			break;
		rc = step(c, s, q, err);
	}
	done(s);
	if (!sqlite3_stmt_readonly(s)) {
		base->changes = sqlite3_changes(c->db);
		base->total_changes += sqlite3_total_changes(c->db) - before;
	}
	if (rc < 0)
		return rc;
	return first == SQLITE_ROW ? SQL_ROW : SQL_DONE;
}

static int lite_in_transaction(struct conn *c)
{
	return !sqlite3_get_autocommit(lite(c)->db);
}

static int64_t lite_col_int64(const sql_row *r, int i)
{
	return sqlite3_column_int64(r->impl, i);
}

static const void *lite_col_bytes(const sql_row *r, int i, size_t *len)
{
	const void *b = sqlite3_column_blob(r->impl, i);

	*len = b != NULL ? (size_t)sqlite3_column_bytes(r->impl, i) : 0;
	return b;
}

static const char *lite_col_text(const sql_row *r, int i, size_t *len)
{
	const unsigned char *t = sqlite3_column_text(r->impl, i);

	*len = t != NULL ? (size_t)sqlite3_column_bytes(r->impl, i) : 0;
	return (const char *)t;
}

static int lite_col_is_null(const sql_row *r, int i)
{
	return sqlite3_column_type(r->impl, i) == SQLITE_NULL;
}

/* ---- connections ---- */

static void lite_close(struct conn *base)
{
	struct lite *c = (struct lite *)base;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	sqlite3_close(c->db);
	free(c);
}

static int conn_open(struct lite **out, const char *path, int writer,
		     ksef_error *err)
{
	/* foreign_keys and synchronous are per connection; query_only keeps
	 * a reader from ever taking the write lock by mistake. */
	static const char writer_setup[] =
		"PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
		" PRAGMA temp_store = MEMORY;";
	static const char reader_setup[] =
		"PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
		" PRAGMA temp_store = MEMORY; PRAGMA query_only = ON;";
	struct lite *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (c == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	c->base.engine = &sql_sqlite_engine;
	/* NOMUTEX: the pool and the writer thread already give each
	 * connection to one thread at a time. */
	rc = sqlite3_open_v2(path, &c->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		sql_fail(err, STORE_ERROR, "cannot open %s: %s", path,
			 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		lite_close(&c->base);
		return STORE_ERROR;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, STORE_BUSY_MS);
	if (sqlite3_exec(c->db, writer ? writer_setup : reader_setup, NULL,
			 NULL, NULL) != SQLITE_OK) {
		sql_fail(err, STORE_ERROR, "cannot set up %s: %s", path,
			 sqlite3_errmsg(c->db));
		lite_close(&c->base);
		return STORE_ERROR;
	}
	*out = c;
	return 0;
}

static int lite_open(struct conn **out, store *st, int writer,
		     ksef_error *err)
{
	struct lite_state *ls = st->engine_state;
	struct lite *c;
	int error;

	*out = NULL;
	if ((error = conn_open(&c, ls->path, writer, err)) < 0)
		return error;
	*out = &c->base;
	return 0;
}

/*
 * Copy into the database what the log gained while the checkpointer
 * copied the rest, on the writer's thread between two batches, so that
 * the next batch starts the log again from its beginning.
 *
 * SQLite starts its log again only when a write transaction begins with
 * every frame of it copied and no reader reading from it. Under a steady
 * load the checkpointer alone never gets there: frames arrive while it
 * copies. The log then grew without end (88 MB in 8,000 invoices), and
 * the kernel zeroed every new page of it (7 % of ksefd's CPU). Between
 * two batches no frame can arrive, and what is left to copy is what came
 * during the checkpointer's pass, a fraction of the log. RESTART also
 * waits for the readers still reading from the log, but only briefly: a
 * long read (an export) must not stall every write. When one is still
 * there, the checkpointer's next pass leads to another try.
 */
#define CATCH_UP_WAIT_MS 5

static void lite_between(store *st)
{
	struct lite_state *ls = st->engine_state;
	sqlite3 *db = lite_db(st);
	int catch_up;

	pthread_mutex_lock(&st->lock);
	catch_up = ls->catch_up;
	ls->catch_up = 0;
	pthread_mutex_unlock(&st->lock);
	if (!catch_up)
		return;
	sqlite3_busy_timeout(db, CATCH_UP_WAIT_MS);
	/* A failure or a reader that stays leaves the rest to the
	 * checkpointer's next pass. */
	sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_RESTART, NULL,
				  NULL);
	sqlite3_busy_timeout(db, STORE_BUSY_MS);
}

/* ---- the checkpointer ---- */

/* After each commit of the writer connection (its thread): wake the
 * checkpointer once the log is long enough. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	store *st = arg;
	struct lite_state *ls = st->engine_state;

	(void)db;
	(void)name;
	if (pages >= CHECKPOINT_PAGES) {
		pthread_mutex_lock(&st->lock);
		ls->wal_pages = pages;
		pthread_cond_signal(&ls->wal_grown);
		pthread_mutex_unlock(&st->lock);
	}
	return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
	store *st = arg;
	struct lite_state *ls = st->engine_state;
	struct timespec until;
	int log = 0, copied = 0;

	pthread_mutex_lock(&st->lock);
	while (!st->stopping) {
		/* Wait for a long log, and for the writer to have caught up
		 * with the last pass (lite_between), but copy at least once a
		 * CHECKPOINT_MS: an idle writer catches nothing up. */
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += CHECKPOINT_MS * 1000000L;
		while (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while ((ls->wal_pages < CHECKPOINT_PAGES || ls->catch_up) &&
		       !st->stopping &&
		       pthread_cond_timedwait(&ls->wal_grown, &st->lock,
					      &until) == 0)
			;
		ls->wal_pages = 0;
		if (st->stopping)
			break;
		pthread_mutex_unlock(&st->lock);
		/* A failure (another process's checkpoint, I/O) leaves the
		 * log as it is, to be copied next time; nothing is lost. */
		sqlite3_wal_checkpoint_v2(ls->cconn->db, NULL,
					  SQLITE_CHECKPOINT_PASSIVE, &log,
					  &copied);
		pthread_mutex_lock(&st->lock);
		/* Frames came during the pass, or the log, wholly copied,
		 * did not start again (a reader): the writer's turn. */
		if (log > copied || log >= CHECKPOINT_PAGES)
			ls->catch_up = 1;
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* ---- migrating ---- */

static int read_user_version(int *out, struct lite *c, ksef_error *err)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return sql_fail(err, STORE_ERROR, "database: read schema "
				"version: %s", sqlite3_errmsg(c->db));
	if (sqlite3_step(s) != SQLITE_ROW) {
		sql_fail(err, STORE_ERROR, "database: read schema version: %s",
			 sqlite3_errmsg(c->db));
		sqlite3_finalize(s);
		return STORE_ERROR;
	}
	*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

/* Bring the schema up to STORE_SCHEMA_VERSION. The version is read again
 * inside the write transaction, so two processes opening a new file at
 * once migrate it once. */
static int migrate(struct lite *w, ksef_error *err)
{
	sqlite3_stmt *s = NULL;
	int version = 0, error;

	if (sqlite3_prepare_v2(w->db, "PRAGMA journal_mode = WAL", -1, &s,
			       NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW ||
	    sqlite3_column_text(s, 0) == NULL ||
	    strcmp((const char *)sqlite3_column_text(s, 0), "wal") != 0) {
		sql_fail(err, STORE_ERROR, "database: cannot switch to WAL "
			 "mode: %s", sqlite3_errmsg(w->db));
		sqlite3_finalize(s);
		return STORE_ERROR;
	}
	sqlite3_finalize(s);

	if ((error = sql_run(&w->base, Q_BEGIN, err)) < 0)
		return error;
	if ((error = read_user_version(&version, w, err)) < 0)
		goto rollback;
	if (version < 0 || version > STORE_SCHEMA_VERSION) {
		error = sql_fail(err, STORE_ERROR, "database schema version "
				 "%d is not one this ksefd knows (%d or older)",
				 version, STORE_SCHEMA_VERSION);
		goto rollback;
	}
	for (; version < STORE_SCHEMA_VERSION; version++) {
		if (sqlite3_exec(w->db, sql_migrations[version], NULL, NULL,
				 NULL) != SQLITE_OK) {
			error = sql_fail(err, STORE_ERROR, "database: "
					 "migration to version %d: %s",
					 version + 1, sqlite3_errmsg(w->db));
			goto rollback;
		}
	}
	return sql_run(&w->base, Q_COMMIT, err);
rollback:
	sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	return error;
}

/* ---- open and close ---- */

static int make_dirs(const char *dir, ksef_error *err)
{
	char *p = strdup(dir), *q;
	struct stat sb;
	int error = 0;

	if (p == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	for (q = p + 1; *q != '\0'; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			error = sql_fail(err, STORE_ERROR, "cannot create %s: "
					 "%s", p, strerror(errno));
			goto done;
		}
		*q = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		error = sql_fail(err, STORE_ERROR, "cannot create %s: %s", p,
				 strerror(errno));
	else if (stat(p, &sb) < 0 || !S_ISDIR(sb.st_mode))
		error = sql_fail(err, STORE_ERROR, "%s is not a folder", p);
done:
	free(p);
	return error;
}

static int lite_start(store *st, ksef_error *err)
{
	struct lite_state *ls;
	struct lite *w;
	pthread_condattr_t attr;
	size_t n;
	int fd, error;

	if ((error = make_dirs(st->location, err)) < 0)
		return error;
	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	st->engine_state = ls;
	/* The checkpointer times its wait on the monotonic clock. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ls->wal_grown, &attr);
	pthread_condattr_destroy(&attr);
	n = strlen(st->location) + sizeof("/" STORE_FILE_NAME);
	if ((ls->path = malloc(n)) == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	snprintf(ls->path, n, "%s/%s", st->location, STORE_FILE_NAME);

	/* Create the file ourselves so that it is private (0600) from the
	 * start; SQLite gives its -wal and -shm files the same mode. */
	fd = open(ls->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return sql_fail(err, STORE_ERROR, "cannot create %s: %s",
				ls->path, strerror(errno));
	close(fd);
	if ((error = conn_open(&w, ls->path, 1, err)) < 0)
		return error;
	st->wconn = &w->base;
	if ((error = migrate(w, err)) < 0 ||
	    (error = conn_open(&ls->cconn, ls->path, 1, err)) < 0)
		return error;
	/* Checkpoints are the checkpointer's, not a commit's. */
	sqlite3_wal_autocheckpoint(w->db, 0);
	sqlite3_wal_hook(w->db, on_wal_commit, st);
	if (pthread_create(&ls->checkpointer, NULL, checkpointer_main,
			   st) != 0)
		return sql_fail(err, STORE_NO_MEMORY, "cannot start the "
				"checkpointer thread");
	ls->started = 1;
	return 0;
}

/* After the writer has stopped (st->stopping is set). */
static void lite_stop(store *st)
{
	struct lite_state *ls = st->engine_state;

	if (ls == NULL || !ls->started)
		return;
	pthread_mutex_lock(&st->lock);
	pthread_cond_signal(&ls->wal_grown);
	pthread_mutex_unlock(&st->lock);
	pthread_join(ls->checkpointer, NULL);
	ls->started = 0;
}

static void lite_free_state(store *st)
{
	struct lite_state *ls = st->engine_state;

	if (ls == NULL)
		return;
	if (ls->cconn != NULL)
		lite_close(&ls->cconn->base);
	pthread_cond_destroy(&ls->wal_grown);
	free(ls->path);
	free(ls);
	st->engine_state = NULL;
}

const struct sql_engine sql_sqlite_engine = {
	.name = "SQLite",
	.max_readers = STORE_MAX_READERS,
	.start = lite_start,
	.open = lite_open,
	.close = lite_close,
	.run = lite_run,
	.in_transaction = lite_in_transaction,
	.retryable = NULL,
	.col_int64 = lite_col_int64,
	.col_bytes = lite_col_bytes,
	.col_text = lite_col_text,
	.col_is_null = lite_col_is_null,
	.between = lite_between,
	.stop = lite_stop,
	.free_state = lite_free_state,
	.shared = 0,
	.stamp_ms = NULL,
	.hwm_ms = NULL,
};
