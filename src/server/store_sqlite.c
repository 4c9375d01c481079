/*
 * store_sqlite.c - the core of the SQLite implementation of store.h: the
 * database file, the thread and connections that run every statement, and
 * the helpers the per-record files (store_keys.c, store_tokens.c,
 * store_auth.c, store_sessions.c, store_invoices.c, store_upo.c,
 * store_grants.c) are written with, and running the migrations at open.
 * The schema's migrations and the SQL text live in store_schema.c. What the records mean (status codes, limits,
 * who may see what) belongs to the API handlers and the verification
 * workers; the store keeps the records consistent and durable.
 *
 * DESIGN
 *
 * ksefd serves each HTTP connection on its own thread and verifies invoices
 * on worker threads, so every function here is called from many threads at
 * once. A SQLite connection must not be used by two threads at a time, so:
 *
 *  - Reads borrow a connection from a pool (opened on demand, at most
 *    STORE_MAX_READERS, kept until store_close). WAL mode lets them run
 *    while a write commits; each statement sees the last commit.
 *
 *  - Writes go through one writer thread, which owns the only connection
 *    of this process that writes. A caller packs its write into a struct
 *    op (a function and its arguments), queues it and sleeps. The writer
 *    takes everything queued, runs it in one BEGIN IMMEDIATE ... COMMIT
 *    with each op inside its own SAVEPOINT (so a failing op rolls back
 *    alone), commits, and wakes every caller with its own result. With
 *    synchronous=FULL each commit costs an fsync, and N concurrent invoice
 *    accepts share one: group commit. A write is durable when its call
 *    returns 0; if the commit fails, every op of the batch gets
 *    STORE_ERROR.
 *    Before taking a batch the writer waits up to STORE_GATHER_NS for
 *    the callers it just woke to queue again, which keeps a steady group
 *    (8 threads: batches of 8, not alternating 1 and 7).
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
 *
 * Records are copied out of the database into their fixed-size fields;
 * text longer than a field is cut at a UTF-8 character boundary (only a
 * damaged or foreign-written file holds such text, since writes go through
 * the same fields).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "store_int.h"

#define STORE_FILE_NAME "ksefd.sqlite3"
/* Read connections kept at most; more concurrent readers wait for one. */
#define STORE_MAX_READERS 32
/* How long a statement waits for another process's write lock. */
#define STORE_BUSY_MS 10000
/* How long the writer waits for the callers of its last batch to queue
 * their next writes (see writer_main). */
#define STORE_GATHER_NS 50000L
/* Log length (pages) past which the checkpointer copies it back, and its
 * longest sleep. SQLite's own automatic checkpoint is at 1000 pages; 4000
 * (16 MB) lets the index pages that every invoice touches be copied once
 * for four times as many invoices. */
#define CHECKPOINT_PAGES 4000
#define CHECKPOINT_MS 1000

/* ---- failures ---- */

int store_result_code(store_result r)
{
	switch (r) {
	case STORE_OK:
		return 0;
	case STORE_NOT_FOUND:
		return KSEF_ENOTFOUND;
	case STORE_FULL:
	case STORE_TOO_BIG:
		return KSEF_ETOOBIG;
	case STORE_NO_MEMORY:
		return KSEF_ENOMEM;
	case STORE_EXISTS:
	case STORE_WRONG_STATE:
	case STORE_INVALID:
		return KSEF_EINVAL;
	case STORE_ERROR:
		break;
	}
	return KSEF_EIO;
}

int sql_fail(ksef_error *err, store_result r, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->code = store_result_code(r);
		err->line = 0;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return r;
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
static int db_fail(ksef_error *err, struct conn *c, enum query q)
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
		default:
			rc |= sqlite3_bind_blob64(s, i + 1, p[i].ptr, p[i].len,
						  SQLITE_STATIC);
			break;
		}
	}
	return rc;
}

void sql_col_text(char *dst, size_t size, sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(s, i) : 0;

	if (n >= size) {
		n = size - 1;
		while (n > 0 && (t[n] & 0xC0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

char *sql_col_strdup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(s, i) : 0;
	char *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, t, n);
	p[n] = '\0';
	return p;
}

/* ---- connections ---- */

static int prep(sqlite3_stmt **out, struct conn *c, enum query q,
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
static int step(struct conn *c, sqlite3_stmt *s, enum query q,
		ksef_error *err)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	return db_fail(err, c, q);
}

/* Prepare q and bind p. On failure nothing is left bound. */
static int prep_bind(sqlite3_stmt **out, struct conn *c, enum query q,
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

int sql_lookup(struct conn *c, enum query q, const struct param *p,
	       row_fn fn, void *dst, ksef_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, error;

	if ((rc = prep_bind(&s, c, q, p, err)) < 0)
		return rc;
	rc = step(c, s, q, err);
	if (rc == SQLITE_ROW && fn != NULL && (error = fn(dst, s, err)) < 0)
		rc = error;
	else if (rc == SQLITE_ROW && !sqlite3_stmt_readonly(s) &&
		 (error = step(c, s, q, err)) < 0)
		rc = error;
	done(s);
	return rc;
}

int sql_exec(struct conn *c, enum query q, const struct param *p,
	     ksef_error *err)
{
	int rc = sql_lookup(c, q, p, NULL, NULL, err);

	return rc < 0 ? rc : 0;
}

int sql_run(struct conn *c, enum query q, ksef_error *err)
{
	return sql_exec(c, q, NULL, err);
}

int sql_update(struct conn *w, enum query q, const struct param *p,
	       const char *what, ksef_error *err)
{
	int error = sql_exec(w, q, p, err);

	if (error < 0)
		return error;
	if (sqlite3_changes(w->db) == 0)
		return sql_fail(err, STORE_NOT_FOUND, "%s not found",
				what);
	return 0;
}

static void conn_close(struct conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	sqlite3_close(c->db);
	free(c);
}

static int conn_open(struct conn **out, const char *path, int writer,
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
	struct conn *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (c == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	/* NOMUTEX: the pool and the writer thread already give each
	 * connection to one thread at a time. */
	rc = sqlite3_open_v2(path, &c->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		sql_fail(err, STORE_ERROR, "cannot open %s: %s", path,
			 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		conn_close(c);
		return STORE_ERROR;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, STORE_BUSY_MS);
	if (sqlite3_exec(c->db, writer ? writer_setup : reader_setup, NULL,
			 NULL, NULL) != SQLITE_OK) {
		sql_fail(err, STORE_ERROR, "cannot set up %s: %s", path,
			 sqlite3_errmsg(c->db));
		conn_close(c);
		return STORE_ERROR;
	}
	*out = c;
	return 0;
}

static int reader_get(struct conn **out, store *st, ksef_error *err)
{
	struct conn *c;
	int error;

	pthread_mutex_lock(&st->rlock);
	while (st->idle == NULL && st->nreaders >= STORE_MAX_READERS)
		pthread_cond_wait(&st->rfree, &st->rlock);
	if (st->idle != NULL) {
		c = st->idle;
		st->idle = c->next;
		pthread_mutex_unlock(&st->rlock);
		*out = c;
		return 0;
	}
	st->nreaders++;
	pthread_mutex_unlock(&st->rlock);

	if ((error = conn_open(out, st->path, 0, err)) < 0) {
		pthread_mutex_lock(&st->rlock);
		st->nreaders--;
		pthread_cond_signal(&st->rfree);
		pthread_mutex_unlock(&st->rlock);
	}
	return error;
}

static void reader_put(store *st, struct conn *c)
{
	pthread_mutex_lock(&st->rlock);
	c->next = st->idle;
	st->idle = c;
	pthread_cond_signal(&st->rfree);
	pthread_mutex_unlock(&st->rlock);
}

/* ---- the writer thread ---- */

/* The transaction holding ops first..last (inclusive) is gone: fail every
 * op in it, with the reason. Those that had failed too, since what they
 * answered (a key already held, a session not open) may rest on an
 * earlier op of the lost transaction; an op's own STORE_ERROR keeps its
 * message. */
static void fail_batch(struct op *first, struct op *last, const char *why)
{
	struct op *op;

	for (op = first; op != NULL; op = op->next) {
		if (op->result != STORE_ERROR)
			op->result = sql_fail(op->err, STORE_ERROR,
					      "database: transaction failed: "
					      "%s", why);
		if (op == last)
			break;
	}
}

/* Run the batch; returns 1 when its transaction committed, 0 when a
 * failure lost it (or part of it). */
static int run_batch(struct conn *w, struct op *batch)
{
	struct op *op, *first = NULL, *last = NULL;
	int lost = 0;
	ksef_error e;

	for (op = batch; op != NULL; op = op->next) {
		if (first == NULL) {
			if (sql_run(w, Q_BEGIN, &e) < 0) {
				/* Another process holds the lock past the
				 * busy timeout: nothing here can run. */
				for (; op != NULL; op = op->next)
					op->result = sql_fail(op->err,
							      STORE_ERROR, "%s",
							      e.message);
				return 0;
			}
			first = op;
		}
		last = op;
		if (sql_run(w, Q_SAVEPOINT, &e) < 0) {
			op->result = sql_fail(op->err, STORE_ERROR, "%s",
					      e.message);
		} else {
			op->result = op->fn(w, op->arg, op->err);
			if (op->result < 0) {
				if (!sqlite3_get_autocommit(w->db) &&
				    (sql_run(w, Q_ROLLBACK_TO, &e) < 0 ||
				     sql_run(w, Q_RELEASE, &e) < 0))
					goto abort;
			} else if (sql_run(w, Q_RELEASE, &e) < 0) {
				goto abort;
			}
		}
		/* Some errors (a full disk, I/O) make SQLite roll back the
		 * whole transaction on its own: the ops before are lost. */
		if (sqlite3_get_autocommit(w->db)) {
			fail_batch(first, last, "rolled back by SQLite");
			first = NULL;
			lost = 1;
		}
	}
	if (first == NULL)
		return !lost;
	if (sql_run(w, Q_COMMIT, &e) < 0)
		goto abort;
	return !lost;
abort:
	if (!sqlite3_get_autocommit(w->db))
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	/* From first on: the ops of the lost transaction, and those after
	 * `last` that never ran. */
	fail_batch(first, NULL, e.message);
	return 0;
}

/* Wait (briefly) until n writes are queued. */
static void gather(store *st, int n)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += STORE_GATHER_NS;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (st->nqueued < n && !st->stopping &&
	       pthread_cond_timedwait(&st->queued, &st->lock, &until) == 0)
		;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t store_hwm_ms(store *st)
{
	int64_t hwm;

	/* Writes stamp their time (an invoice's permanent storage) inside
	 * the batch that commits them: while a batch runs, only what was
	 * stamped before it began is surely on disk; otherwise everything
	 * stamped before now. A millisecond less, as a write may begin in
	 * the same one. */
	pthread_mutex_lock(&st->lock);
	hwm = st->batch_start_ms != 0 ? st->batch_start_ms : clock_ms();
	pthread_mutex_unlock(&st->lock);
	return hwm - 1;
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

static void catch_up(store *st)
{
	sqlite3 *db = st->wconn->db;

	sqlite3_busy_timeout(db, CATCH_UP_WAIT_MS);
	/* A failure or a reader that stays leaves the rest to the
	 * checkpointer's next pass. */
	sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_RESTART, NULL,
				  NULL);
	sqlite3_busy_timeout(db, STORE_BUSY_MS);
}

static void *writer_main(void *arg)
{
	store *st = arg;
	struct op *batch, *op, *next;
	int last = 0, committed;
	sqlite3_int64 changes;
	size_t writes;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		while (st->head == NULL && !st->stopping)
			pthread_cond_wait(&st->queued, &st->lock);
		if (st->head == NULL)
			break; /* stopping, and the queue is drained */
		if (st->catch_up) {
			st->catch_up = 0;
			pthread_mutex_unlock(&st->lock);
			catch_up(st);
			pthread_mutex_lock(&st->lock);
		}
		/* The callers just woken tend to come back at once (a worker
		 * with the next invoice), a moment after the first of them.
		 * Committing that first one alone would split the group in
		 * two fsyncs, so wait a little (far less than an fsync) for
		 * as many as the last batch had. A lone caller never waits. */
		if (st->nqueued < last)
			gather(st, last);
		last = st->nqueued;
		st->nqueued = 0;
		batch = st->head;
		st->head = st->tail = NULL;
		st->batch_start_ms = clock_ms();
		pthread_mutex_unlock(&st->lock);

		changes = sqlite3_total_changes64(st->wconn->db);
		committed = run_batch(st->wconn, batch);
		for (writes = 0, op = batch; op != NULL; op = op->next)
			writes++;
		pthread_mutex_lock(&st->lock);
		st->batch_start_ms = 0;
		/* Only a commit that changed a row wrote to the disk: the
		 * housekeeper's updates of nothing commit without a byte
		 * written, and prove nothing (store_check_writable). */
		if (!committed)
			st->failed_mono_ms = mono_ms();
		else if (sqlite3_total_changes64(st->wconn->db) != changes)
			st->committed_mono_ms = mono_ms();
		if (st->on_batch != NULL)
			st->on_batch(st->on_batch_arg, writes, committed);
		pthread_mutex_unlock(&st->lock);

		/* Asynchronous writes first, outside the lock: their
		 * completions answer clients and may queue more writes. Each
		 * is unlinked before it runs, as it may free what arg points
		 * to. */
		for (op = batch, batch = NULL; op != NULL; op = next) {
			next = op->next;
			if (op->complete == NULL) {
				op->next = batch;
				batch = op;
				continue;
			}
			op->complete(op->complete_arg, op->result);
			free(op);
		}
		pthread_mutex_lock(&st->lock);
		/* Read next before done: a woken caller's op leaves the
		 * stack as soon as the lock is released. */
		for (op = batch; op != NULL; op = next) {
			next = op->next;
			op->done = 1;
		}
		pthread_cond_broadcast(&st->finished);
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* Put op at the end of the queue, under st->lock; STORE_ERROR when the
 * store is closing. */
static int enqueue(store *st, struct op *op)
{
	if (st->stopping)
		return sql_fail(op->err, STORE_ERROR, "the store is closing");
	if (st->tail != NULL)
		st->tail->next = op;
	else
		st->head = op;
	st->tail = op;
	st->nqueued++;
	pthread_cond_signal(&st->queued);
	return 0;
}

int sql_submit(store *st, op_fn fn, void *arg, ksef_error *err)
{
	struct op op = { fn, arg, err, 0, 0, NULL, NULL, NULL };
	int error;

	pthread_mutex_lock(&st->lock);
	if ((error = enqueue(st, &op)) < 0) {
		pthread_mutex_unlock(&st->lock);
		return error;
	}
	while (!op.done)
		pthread_cond_wait(&st->finished, &st->lock);
	pthread_mutex_unlock(&st->lock);
	return op.result;
}

int sql_submit_async(store *st, op_fn fn, void *arg, ksef_error *err,
		     store_done_fn *complete, void *complete_arg)
{
	struct op *op = malloc(sizeof(*op));
	int error;

	if (op == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	*op = (struct op){ fn, arg, err, 0, 0, complete, complete_arg,
			   NULL };
	pthread_mutex_lock(&st->lock);
	error = enqueue(st, op);
	pthread_mutex_unlock(&st->lock);
	if (error < 0)
		free(op);
	return error;
}

/* ---- the writer's health ---- */

void store_on_batch(store *st, store_batch_fn *fn, void *arg)
{
	pthread_mutex_lock(&st->lock);
	st->on_batch = fn;
	st->on_batch_arg = arg;
	pthread_mutex_unlock(&st->lock);
}

size_t store_queued(store *st)
{
	size_t n;

	pthread_mutex_lock(&st->lock);
	n = st->nqueued > 0 ? (size_t)st->nqueued : 0;
	pthread_mutex_unlock(&st->lock);
	return n;
}

static int probe_op(struct conn *w, void *arg, ksef_error *err)
{
	(void)arg;
	return sql_exec(w, Q_HEALTH_PROBE, ARGS(ARG_INT(clock_ms())), err);
}

/*
 * A busy server commits every few milliseconds, and those commits are the
 * proof: no write of its own is added to them. An idle one (or one whose
 * last transaction failed) is asked for one real write, which goes
 * through the queue, the transaction and the fsync that an invoice's
 * would: a disk that is full, read-only or failing refuses it as it
 * would refuse the invoice. A writer stuck behind another process's lock
 * answers late, and a caller with a deadline of its own sees that too.
 */
store_result store_check_writable(store *st, int64_t fresh_ms,
				  ksef_error *err)
{
	int64_t committed, failed, now = mono_ms();

	pthread_mutex_lock(&st->lock);
	committed = st->committed_mono_ms;
	failed = st->failed_mono_ms;
	pthread_mutex_unlock(&st->lock);
	if (committed != 0 && committed >= failed &&
	    now - committed <= fresh_ms)
		return STORE_OK;
	return sql_submit(st, probe_op, NULL, err);
}

/* ---- the checkpointer ---- */

/* After each commit of the writer connection (its thread): wake the
 * checkpointer once the log is long enough. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	store *st = arg;

	(void)db;
	(void)name;
	if (pages >= CHECKPOINT_PAGES) {
		pthread_mutex_lock(&st->lock);
		st->wal_pages = pages;
		pthread_cond_signal(&st->wal_grown);
		pthread_mutex_unlock(&st->lock);
	}
	return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
	store *st = arg;
	struct timespec until;
	int log = 0, copied = 0;

	pthread_mutex_lock(&st->lock);
	while (!st->stopping) {
		/* Wait for a long log, and for the writer to have caught up
		 * with the last pass (catch_up), but copy at least once a
		 * CHECKPOINT_MS: an idle writer catches nothing up. */
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += CHECKPOINT_MS * 1000000L;
		while (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while ((st->wal_pages < CHECKPOINT_PAGES || st->catch_up) &&
		       !st->stopping &&
		       pthread_cond_timedwait(&st->wal_grown, &st->lock,
					      &until) == 0)
			;
		st->wal_pages = 0;
		if (st->stopping)
			break;
		pthread_mutex_unlock(&st->lock);
		/* A failure (another process's checkpoint, I/O) leaves the
		 * log as it is, to be copied next time; nothing is lost. */
		sqlite3_wal_checkpoint_v2(st->cconn->db, NULL,
					  SQLITE_CHECKPOINT_PASSIVE, &log,
					  &copied);
		pthread_mutex_lock(&st->lock);
		/* Frames came during the pass, or the log, wholly copied,
		 * did not start again (a reader): the writer's turn. */
		if (log > copied || log >= CHECKPOINT_PAGES)
			st->catch_up = 1;
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* ---- migrating ---- */

static int read_user_version(int *out, struct conn *c, ksef_error *err)
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
int sql_migrate(struct conn *w, ksef_error *err)
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

	if ((error = sql_run(w, Q_BEGIN, err)) < 0)
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
	return sql_run(w, Q_COMMIT, err);
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

static void store_free(store *st)
{
	struct conn *c, *next;

	for (c = st->idle; c != NULL; c = next) {
		next = c->next;
		conn_close(c);
	}
	conn_close(st->wconn);
	conn_close(st->cconn);
	pthread_cond_destroy(&st->wal_grown);
	pthread_cond_destroy(&st->rfree);
	pthread_mutex_destroy(&st->rlock);
	pthread_cond_destroy(&st->finished);
	pthread_cond_destroy(&st->queued);
	pthread_mutex_destroy(&st->lock);
	free(st->path);
	free(st);
}

store_result store_open(store **out, const char *data_dir, ksef_error *err)
{
	pthread_condattr_t attr;
	store *st;
	size_t n;
	int fd, error;

	*out = NULL;
	if (data_dir == NULL || *data_dir == '\0')
		return sql_fail(err, STORE_INVALID, "no data folder given");
	if ((error = make_dirs(data_dir, err)) < 0)
		return error;
	st = calloc(1, sizeof(*st));
	n = strlen(data_dir) + sizeof("/" STORE_FILE_NAME);
	if (st == NULL || (st->path = malloc(n)) == NULL) {
		free(st);
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	}
	snprintf(st->path, n, "%s/%s", data_dir, STORE_FILE_NAME);
	pthread_mutex_init(&st->lock, NULL);
	/* gather() times its wait on the monotonic clock. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&st->queued, &attr);
	pthread_cond_init(&st->wal_grown, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&st->finished, NULL);
	pthread_mutex_init(&st->rlock, NULL);
	pthread_cond_init(&st->rfree, NULL);

	/* Create the file ourselves so that it is private (0600) from the
	 * start; SQLite gives its -wal and -shm files the same mode. */
	fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		error = sql_fail(err, STORE_ERROR, "cannot create %s: %s",
				 st->path, strerror(errno));
		goto fail;
	}
	close(fd);
	if ((error = conn_open(&st->wconn, st->path, 1, err)) < 0 ||
	    (error = sql_migrate(st->wconn, err)) < 0 ||
	    (error = conn_open(&st->cconn, st->path, 1, err)) < 0)
		goto fail;
	/* Checkpoints are the checkpointer's, not a commit's. */
	sqlite3_wal_autocheckpoint(st->wconn->db, 0);
	sqlite3_wal_hook(st->wconn->db, on_wal_commit, st);
	if (pthread_create(&st->checkpointer, NULL, checkpointer_main,
			   st) != 0) {
		error = sql_fail(err, STORE_NO_MEMORY, "cannot start the "
				 "checkpointer thread");
		goto fail;
	}
	st->checkpointer_started = 1;
	if (pthread_create(&st->writer, NULL, writer_main, st) != 0) {
		error = sql_fail(err, STORE_NO_MEMORY, "cannot start the "
				 "writer thread");
		goto fail;
	}
	*out = st;
	return 0;
fail:
	if (st->checkpointer_started) {
		pthread_mutex_lock(&st->lock);
		st->stopping = 1;
		pthread_cond_signal(&st->wal_grown);
		pthread_mutex_unlock(&st->lock);
		pthread_join(st->checkpointer, NULL);
	}
	store_free(st);
	return error;
}

void store_close(store *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&st->lock);
	st->stopping = 1;
	pthread_cond_signal(&st->queued);
	pthread_cond_signal(&st->wal_grown);
	pthread_mutex_unlock(&st->lock);
	pthread_join(st->writer, NULL);
	pthread_join(st->checkpointer, NULL);
	/* Every reader is back in the pool: no call may still be running. */
	store_free(st);
}

/* ---- generic reads ---- */

int sql_fetch_rows(void **out, size_t *count, struct conn *c, enum query q,
		   const struct param *p, const struct row_type *t,
		   ksef_error *err)
{
	unsigned char *arr = NULL, *grown;
	sqlite3_stmt *s = NULL;
	size_t n = 0, cap = 0, ncap, bytes, i;
	int rc;

	if ((rc = prep_bind(&s, c, q, p, err)) < 0)
		return rc;
	while ((rc = step(c, s, q, err)) == SQLITE_ROW) {
		if (n == cap) {
			ncap = cap ? cap * 2 : 8;
			if (__builtin_mul_overflow(ncap, t->size, &bytes) ||
			    (grown = realloc(arr, bytes)) == NULL) {
				rc = sql_fail(err, STORE_NO_MEMORY,
					      "out of memory");
				break;
			}
			arr = grown;
			cap = ncap;
		}
		memset(arr + n * t->size, 0, t->size);
		if ((rc = t->copy(arr + n * t->size, s, err)) < 0)
			break;
		n++;
	}
	done(s);
	if (rc < 0) {
		for (i = 0; t->clear != NULL && i < n; i++)
			t->clear(arr + i * t->size);
		free(arr);
		return rc;
	}
	*out = arr;
	*count = n;
	return 0;
}

int sql_read_rows(store *st, enum query q, const struct param *p,
		  const struct row_type *t, void **out, size_t *count,
		  ksef_error *err)
{
	struct conn *c;
	int error;

	if ((error = reader_get(&c, st, err)) < 0)
		return error;
	error = sql_fetch_rows(out, count, c, q, p, t, err);
	reader_put(st, c);
	return error;
}

int sql_read_row(store *st, enum query q, const struct param *p, row_fn fn,
		 void *dst, ksef_error *err)
{
	struct conn *c;
	int rc;

	if ((rc = reader_get(&c, st, err)) < 0)
		return rc;
	rc = sql_lookup(c, q, p, fn, dst, err);
	reader_put(st, c);
	return rc;
}

int sql_read_one(store *st, enum query q, const char *key, void *out,
		 row_fn fn, const char *what, ksef_error *err)
{
	int rc;

	if (key == NULL)
		return sql_fail(err, STORE_INVALID, "no %s given", what);
	rc = sql_read_row(st, q, ARGS(ARG_TEXT(key)), fn, out, err);
	if (rc == SQLITE_DONE)
		return sql_fail(err, STORE_NOT_FOUND, "%s not found",
				what);
	return rc < 0 ? rc : 0;
}

int sql_check_len(const char *v, size_t size, const char *what,
		  ksef_error *err)
{
	if (v == NULL)
		return sql_fail(err, STORE_INVALID, "no %s given", what);
	if (strnlen(v, size) >= size)
		return sql_fail(err, STORE_INVALID, "%s is longer than %zu "
				"bytes", what, size - 1);
	return 0;
}

int sql_int64_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	(void)err;
	*(int64_t *)dst = sqlite3_column_int64(s, 0);
	return 0;
}

static int ref_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	(void)err;
	sql_col_text(dst, STORE_REF_SZ, s, 0);
	return 0;
}

const struct row_type sql_ref_rows = { STORE_REF_SZ, ref_row, NULL };

int sql_blob_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	ksef_buf *out = dst;
	const void *data = sqlite3_column_blob(s, 0);
	size_t n = (size_t)sqlite3_column_bytes(s, 0);
	unsigned char *p;

	if ((p = malloc(n + 1)) == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	if (n > 0)
		memcpy(p, data, n);
	p[n] = '\0';
	ksef_buf_dispose(out);
	out->ptr = p;
	out->size = n;
	out->asize = n + 1;
	return 0;
}

/* ---- generic writes ---- */

int sql_op_update(struct conn *w, void *arg, ksef_error *err)
{
	struct update_args *a = arg;

	return sql_update(w, a->q, a->p, a->what, err);
}

int sql_op_exec(struct conn *w, void *arg, ksef_error *err)
{
	struct exec_args *a = arg;

	return sql_exec(w, a->q, a->p, err);
}
