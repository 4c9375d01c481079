/*
 * store_core.c - the part of the store that is the same on every engine:
 * the writer thread and its queue, the read pool, running statements and
 * reading rows through an engine (struct sql_engine, store_int.h), and
 * opening and closing a store. store_sqlite.c and store_pg.c are the
 * engines; store_<entity>.c the records.
 *
 * DESIGN
 *
 * ksefd calls the store from its event loops, its handler pool and its
 * workers at once, and a connection must not be used by two threads at a
 * time (neither SQLite's nor libpq's may), so:
 *
 *  - Reads borrow a connection from a pool (opened on demand, at most
 *    st->max_readers, kept until store_close). Each statement sees the last
 *    commit (SQLite's WAL; PostgreSQL's READ COMMITTED).
 *
 *  - Writes go through one writer thread per process, which owns the only
 *    connection of this process that writes. A caller packs its write
 *    into a struct op (a function and its arguments), queues it and
 *    sleeps. The writer takes everything queued, runs it in one
 *    transaction with each op inside its own SAVEPOINT (so a failing op
 *    rolls back alone), commits, and wakes every caller with its own
 *    result. Each commit is made durable before it returns (SQLite's
 *    synchronous=FULL, PostgreSQL's synchronous_commit=on), and N
 *    concurrent invoice accepts share one: group commit. A write is
 *    durable when its call returns 0; if the commit fails, every op of
 *    the batch gets STORE_ERROR.
 *    Before taking a batch the writer waits up to STORE_GATHER_NS for
 *    the callers it just woke to queue again, which keeps a steady group
 *    (8 threads: batches of 8, not alternating 1 and 7).
 *
 *  - With PostgreSQL, several processes (nodes) write at once, each with
 *    its writer. An op that meets a deadlock or a serialisation failure
 *    against another node's transaction is run again from its savepoint
 *    (at most SQL_OP_TRIES times): the op is a function of its arguments
 *    and of what the database holds, so running it again is running it
 *    once on what the database holds now.
 *
 * Records are copied out of the database into their fixed-size fields;
 * text longer than a field is cut at a UTF-8 character boundary (only a
 * damaged or foreign-written database holds such text, since writes go
 * through the same fields).
 */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "store_int.h"

/* How long the writer waits for the callers of its last batch to queue
 * their next writes (see writer_main). */
#define STORE_GATHER_NS 50000L
/* How often one op is run when another node's transaction keeps making
 * it fail (a deadlock, a serialisation failure). */
#define SQL_OP_TRIES 5

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

/* ---- clocks ---- */

int64_t sql_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sql_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- reading columns ---- */

void sql_col_text(char *dst, size_t size, const sql_row *s, int i)
{
	size_t n;
	const unsigned char *t =
		(const unsigned char *)s->c->engine->col_text(s, i, &n);

	if (t == NULL)
		n = 0;
	if (n >= size) {
		n = size - 1;
		while (n > 0 && (t[n] & 0xC0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

char *sql_col_strdup(const sql_row *s, int i)
{
	size_t n;
	const char *t = s->c->engine->col_text(s, i, &n);
	char *p;

	if (t == NULL)
		n = 0;
	if ((p = malloc(n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, t, n);
	p[n] = '\0';
	return p;
}

/* ---- running statements ---- */

struct first_row {
	row_fn fn;
	void *dst;
};

static int take_first(void *ctx, const sql_row *r, ksef_error *err)
{
	struct first_row *f = ctx;
	int error;

	if (f->fn != NULL && (error = f->fn(f->dst, r, err)) < 0)
		return error;
	return 1;
}

int sql_lookup(struct conn *c, enum query q, const struct param *p,
	       row_fn fn, void *dst, ksef_error *err)
{
	struct first_row f = { fn, dst };

	return c->engine->run(c, q, p, take_first, &f, err);
}

int sql_exec(struct conn *c, enum query q, const struct param *p,
	     ksef_error *err)
{
	int rc = c->engine->run(c, q, p, NULL, NULL, err);

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
	if (sql_changes(w) == 0)
		return sql_fail(err, STORE_NOT_FOUND, "%s not found",
				what);
	return 0;
}

/* ---- the read pool ---- */

static int reader_get(struct conn **out, store *st, ksef_error *err)
{
	struct conn *c;
	int error;

	pthread_mutex_lock(&st->rlock);
	while (st->idle == NULL && st->nreaders >= st->max_readers)
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

	if ((error = st->engine->open(out, st, 0, err)) < 0) {
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

/* Run one op inside its savepoint, again while another node's
 * transaction makes it fail in a way that may pass. Returns 0, or < 0
 * (with e set) when the transaction itself is lost. */
static int run_op(struct conn *w, struct op *op, ksef_error *e)
{
	int tries = 0;

	for (;;) {
		if (sql_run(w, Q_SAVEPOINT, e) < 0) {
			op->result = sql_fail(op->err, STORE_ERROR, "%s",
					      e->message);
			return 0;
		}
		op->result = op->fn(w, op->arg, op->err);
		if (op->result >= 0)
			return sql_run(w, Q_RELEASE, e);
		if (!w->engine->in_transaction(w))
			return 0;
		if (sql_run(w, Q_ROLLBACK_TO, e) < 0 ||
		    sql_run(w, Q_RELEASE, e) < 0)
			return -1;
		if (++tries >= SQL_OP_TRIES || w->engine->retryable == NULL ||
		    !w->engine->retryable(w))
			return 0;
	}
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * On a store that several processes share, lock the session rows that
 * the ops from `from` on will lock (an invoice's slot, a close), in one
 * order for every process, before any of them runs. Two nodes' batches
 * that take invoices for the same sessions then wait for each other's
 * commit instead of each locking one row and waiting for the other's:
 * a deadlock, which PostgreSQL finds only after deadlock_timeout (a
 * second by default), and then retries. Without memory for the list,
 * the ops lock their rows as they run.
 */
static int prelock(struct conn *w, struct op *from, ksef_error *e)
{
	const char **keys;
	struct op *op;
	size_t n = 0, i;
	int error = 0;

	if (!w->engine->shared)
		return 0;
	for (op = from; op != NULL; op = op->next)
		n += op->lock_key != NULL;
	if (n == 0 || (keys = malloc(n * sizeof(*keys))) == NULL)
		return 0;
	for (n = 0, op = from; op != NULL; op = op->next)
		if (op->lock_key != NULL)
			keys[n++] = op->lock_key;
	qsort(keys, n, sizeof(*keys), by_key);
	for (i = 0; i < n && error >= 0; i++)
		if (i == 0 || strcmp(keys[i], keys[i - 1]) != 0)
			error = sql_lookup(w, Q_SESSION_LOCK,
					   ARGS(ARG_TEXT(keys[i])), NULL,
					   NULL, e);
	free(keys);
	return error < 0 ? -1 : 0;
}

/* BEGIN, and the batch's session rows from `from` on (prelock), tried
 * again after a deadlock or a serialisation failure. */
static int begin(struct conn *w, struct op *from, ksef_error *e)
{
	int tries = 0;

	for (;;) {
		if (sql_run(w, Q_BEGIN, e) < 0)
			return -1;
		if (prelock(w, from, e) == 0)
			return 0;
		if (w->engine->in_transaction(w))
			sql_run(w, Q_ROLLBACK, NULL);
		if (++tries >= SQL_OP_TRIES || w->engine->retryable == NULL ||
		    !w->engine->retryable(w))
			return -1;
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
			if (begin(w, op, &e) < 0) {
				/* Another process holds the lock past the
				 * busy timeout, or the server is gone:
				 * nothing here can run. */
				for (; op != NULL; op = op->next)
					op->result = sql_fail(op->err,
							      STORE_ERROR, "%s",
							      e.message);
				return 0;
			}
			first = op;
		}
		last = op;
		if (run_op(w, op, &e) < 0)
			goto abort;
		/* Some errors (a full disk, I/O, a lost connection) end the
		 * whole transaction on their own: the ops before are lost. */
		if (!w->engine->in_transaction(w)) {
			fail_batch(first, last, "rolled back by the database");
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
	if (w->engine->in_transaction(w))
		sql_run(w, Q_ROLLBACK, NULL);
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

int64_t sql_stamp_ms(struct conn *w)
{
	return w->engine->stamp_ms != NULL ? w->engine->stamp_ms(w) :
					      sql_clock_ms();
}

int64_t store_hwm_ms(store *st)
{
	int64_t hwm;

	/* Writes stamp their time (an invoice's permanent storage) inside
	 * the batch that commits them: while a batch runs, only what was
	 * stamped before it began is surely committed; otherwise everything
	 * stamped before now. A millisecond less, as a write may begin in
	 * the same one. With several processes the engine knows their
	 * batches (PostgreSQL: every node's writer, on its clock). */
	if (st->engine->hwm_ms != NULL)
		return st->engine->hwm_ms(st) - 1;
	pthread_mutex_lock(&st->lock);
	hwm = st->batch_start_ms != 0 ? st->batch_start_ms : sql_clock_ms();
	pthread_mutex_unlock(&st->lock);
	return hwm - 1;
}

static void *writer_main(void *arg)
{
	store *st = arg;
	struct op *batch, *op, *next;
	int last = 0, committed;
	int64_t changes;
	size_t writes;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		while (st->head == NULL && !st->stopping)
			pthread_cond_wait(&st->queued, &st->lock);
		if (st->head == NULL)
			break; /* stopping, and the queue is drained */
		if (st->engine->between != NULL) {
			pthread_mutex_unlock(&st->lock);
			st->engine->between(st);
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
		st->batch_start_ms = sql_clock_ms();
		pthread_mutex_unlock(&st->lock);

		changes = st->wconn->total_changes;
		committed = run_batch(st->wconn, batch);
		for (writes = 0, op = batch; op != NULL; op = op->next)
			writes++;
		pthread_mutex_lock(&st->lock);
		st->batch_start_ms = 0;
		/* Only a commit that changed a row wrote to the disk: the
		 * housekeeper's updates of nothing commit without a byte
		 * written, and prove nothing (store_check_writable). */
		if (!committed)
			st->failed_mono_ms = sql_mono_ms();
		else if (st->wconn->total_changes != changes)
			st->committed_mono_ms = sql_mono_ms();
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
	return sql_submit_locking(st, fn, arg, NULL, err);
}

int sql_submit_async(store *st, op_fn fn, void *arg, ksef_error *err,
		     store_done_fn *complete, void *complete_arg)
{
	return sql_submit_async_locking(st, fn, arg, NULL, err, complete,
					complete_arg);
}

int sql_submit_locking(store *st, op_fn fn, void *arg, const char *lock_key,
		       ksef_error *err)
{
	struct op op = { fn, arg, err, 0, 0, NULL, NULL, NULL, lock_key };
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

int sql_submit_async_locking(store *st, op_fn fn, void *arg,
			     const char *lock_key, ksef_error *err,
			     store_done_fn *complete, void *complete_arg)
{
	struct op *op = malloc(sizeof(*op));
	int error;

	if (op == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	*op = (struct op){ fn, arg, err, 0, 0, complete, complete_arg,
			   NULL, lock_key };
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
	return sql_exec(w, Q_HEALTH_PROBE, ARGS(ARG_INT(sql_clock_ms())),
			err);
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
	int64_t committed, failed, now = sql_mono_ms();

	pthread_mutex_lock(&st->lock);
	committed = st->committed_mono_ms;
	failed = st->failed_mono_ms;
	pthread_mutex_unlock(&st->lock);
	if (committed != 0 && committed >= failed &&
	    now - committed <= fresh_ms)
		return STORE_OK;
	return sql_submit(st, probe_op, NULL, err);
}

/* ---- open and close ---- */

store *sql_store_new(const struct sql_engine *engine, const char *location,
		     int max_readers)
{
	pthread_condattr_t attr;
	store *st = calloc(1, sizeof(*st));

	if (st == NULL || (st->location = strdup(location)) == NULL) {
		free(st);
		return NULL;
	}
	st->engine = engine;
	st->max_readers = max_readers;
	pthread_mutex_init(&st->lock, NULL);
	/* gather() times its wait on the monotonic clock. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&st->queued, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&st->finished, NULL);
	pthread_mutex_init(&st->rlock, NULL);
	pthread_cond_init(&st->rfree, NULL);
	return st;
}

int sql_start_writer(store *st, ksef_error *err)
{
	if (pthread_create(&st->writer, NULL, writer_main, st) != 0)
		return sql_fail(err, STORE_NO_MEMORY, "cannot start the "
				"writer thread");
	st->writer_started = 1;
	return 0;
}

void sql_store_free(store *st)
{
	struct conn *c, *next;

	if (st == NULL)
		return;
	pthread_mutex_lock(&st->lock);
	st->stopping = 1;
	pthread_cond_signal(&st->queued);
	pthread_mutex_unlock(&st->lock);
	if (st->writer_started)
		pthread_join(st->writer, NULL);
	if (st->engine->unlisten != NULL)
		st->engine->unlisten(st);
	if (st->engine->stop != NULL)
		st->engine->stop(st);
	/* Every reader is back in the pool: no call may still be running. */
	for (c = st->idle; c != NULL; c = next) {
		next = c->next;
		st->engine->close(c);
	}
	if (st->wconn != NULL)
		st->engine->close(st->wconn);
	if (st->engine->free_state != NULL)
		st->engine->free_state(st);
	pthread_cond_destroy(&st->rfree);
	pthread_mutex_destroy(&st->rlock);
	pthread_cond_destroy(&st->finished);
	pthread_cond_destroy(&st->queued);
	pthread_mutex_destroy(&st->lock);
	free(st->location);
	free(st);
}

int store_is_postgresql(const char *where)
{
	size_t n;

	if (where == NULL)
		return 0;
	if (strncmp(where, "postgresql://", 13) == 0 ||
	    strncmp(where, "postgres://", 11) == 0)
		return 1;
	/* libpq's key=value form starts with a keyword (host=, dbname=,
	 * service=...); a folder named so is written ./name. */
	n = strspn(where, "abcdefghijklmnopqrstuvwxyz_");
	return n > 0 && where[n] == '=';
}

store_result store_open(store **out, const char *where, ksef_error *err)
{
	const struct sql_engine *engine;
	store *st;
	int error;

	*out = NULL;
	if (where == NULL || *where == '\0')
		return sql_fail(err, STORE_INVALID, "no data folder given");
	engine = store_is_postgresql(where) ? &sql_pg_engine :
					      &sql_sqlite_engine;
	if ((st = sql_store_new(engine, where, engine->max_readers)) == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	if ((error = engine->start(st, err)) < 0 ||
	    (error = sql_start_writer(st, err)) < 0) {
		sql_store_free(st);
		return error;
	}
	*out = st;
	return 0;
}

void store_close(store *st)
{
	/* The queued writes are finished first (the writer drains the
	 * queue before it stops). */
	sql_store_free(st);
}

/* ---- claims ---- */

struct store_claim {
	store *st;
	struct conn *c;   /* holding the claim between processes, or NULL */
	struct store_claim *next;
	char name[];
};

static int claimed_here(store *st, const char *name)
{
	struct store_claim *c;

	for (c = st->claims; c != NULL; c = c->next)
		if (strcmp(c->name, name) == 0)
			return 1;
	return 0;
}

static int held_row(void *dst, const sql_row *s, ksef_error *err)
{
	(void)err;
	*(int *)dst = sql_col_int64(s, 0) != 0;
	return 0;
}

store_result store_claim_take(store *st, const char *name,
			      store_claim **out, ksef_error *err)
{
	struct store_claim *c;
	size_t n;
	int held = 0, error;

	*out = NULL;
	if (name == NULL || (n = strlen(name)) == 0 || n > 256)
		return sql_fail(err, STORE_INVALID, "no claim's name given");
	if ((c = calloc(1, sizeof(*c) + n + 1)) == NULL)
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	c->st = st;
	memcpy(c->name, name, n + 1);
	pthread_mutex_lock(&st->rlock);
	if (claimed_here(st, name)) {
		pthread_mutex_unlock(&st->rlock);
		free(c);
		return sql_fail(err, STORE_EXISTS, "%s is claimed", name);
	}
	c->next = st->claims;
	st->claims = c;
	pthread_mutex_unlock(&st->rlock);
	if (!st->engine->shared) {
		*out = c;
		return 0;
	}
	/* Between processes: a connection of its own, which holds the
	 * claim until it is released or closed. */
	if ((error = st->engine->open(&c->c, st, 0, err)) < 0 ||
	    (error = sql_lookup(c->c, Q_CLAIM, ARGS(ARG_TEXT(name)),
				held_row, &held, err)) < 0) {
		store_unclaim(c);
		return error;
	}
	if (!held) {
		store_unclaim(c);
		return sql_fail(err, STORE_EXISTS, "%s is claimed by another "
				"node", name);
	}
	*out = c;
	return 0;
}

void store_unclaim(store_claim *c)
{
	struct store_claim **pp;
	store *st;

	if (c == NULL)
		return;
	st = c->st;
	if (c->c != NULL)
		st->engine->close(c->c); /* the lock goes with it */
	pthread_mutex_lock(&st->rlock);
	for (pp = &st->claims; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&st->rlock);
	free(c);
}

int store_is_shared(store *st)
{
	return st->engine->shared;
}

int store_on_work(store *st, void (*fn)(void *arg), void *arg,
		  ksef_error *err)
{
	if (st->engine->listen == NULL)
		return 0;
	/* Stopped first: the listening thread reads work_fn unlocked. */
	st->engine->unlisten(st);
	st->work_fn = fn;
	st->work_arg = arg;
	return fn != NULL ? st->engine->listen(st, err) : 0;
}

uint64_t store_work_notices(store *st)
{
	return __atomic_load_n(&st->work_notices, __ATOMIC_RELAXED);
}

void sql_work_notice(store *st)
{
	__atomic_add_fetch(&st->work_notices, 1, __ATOMIC_RELAXED);
	if (st->work_fn != NULL)
		st->work_fn(st->work_arg);
}

int sql_notify_work(struct conn *w, ksef_error *err)
{
	if (!w->engine->shared)
		return 0;
	int rc = sql_lookup(w, Q_NOTIFY_WORK, NULL, NULL, NULL, err);

	return rc < 0 ? rc : 0;
}

int store_nodes(store *st)
{
	int64_t n = 0;

	if (!st->engine->shared ||
	    sql_read_row(st, Q_NODES, NULL, sql_int64_row, &n, NULL) !=
		    SQL_ROW || n < 1)
		return 1;
	return n > INT_MAX ? INT_MAX : (int)n;
}

/* ---- generic reads ---- */

struct fetch {
	unsigned char *arr;
	size_t n, cap;
	const struct row_type *t;
};

static int fetch_row(void *ctx, const sql_row *r, ksef_error *err)
{
	struct fetch *f = ctx;
	unsigned char *grown;
	size_t ncap, bytes;
	int error;

	if (f->n == f->cap) {
		ncap = f->cap ? f->cap * 2 : 8;
		if (__builtin_mul_overflow(ncap, f->t->size, &bytes) ||
		    (grown = realloc(f->arr, bytes)) == NULL)
			return sql_fail(err, STORE_NO_MEMORY, "out of memory");
		f->arr = grown;
		f->cap = ncap;
	}
	memset(f->arr + f->n * f->t->size, 0, f->t->size);
	if ((error = f->t->copy(f->arr + f->n * f->t->size, r, err)) < 0)
		return error;
	f->n++;
	return 0;
}

int sql_fetch_rows(void **out, size_t *count, struct conn *c, enum query q,
		   const struct param *p, const struct row_type *t,
		   ksef_error *err)
{
	struct fetch f = { NULL, 0, 0, t };
	size_t i;
	int rc;

	rc = c->engine->run(c, q, p, fetch_row, &f, err);
	if (rc < 0) {
		for (i = 0; t->clear != NULL && i < f.n; i++)
			t->clear(f.arr + i * t->size);
		free(f.arr);
		return rc;
	}
	*out = f.arr;
	*count = f.n;
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
	if (rc == SQL_DONE)
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

int sql_int64_row(void *dst, const sql_row *s, ksef_error *err)
{
	(void)err;
	*(int64_t *)dst = sql_col_int64(s, 0);
	return 0;
}

static int ref_row(void *dst, const sql_row *s, ksef_error *err)
{
	(void)err;
	sql_col_text(dst, STORE_REF_SZ, s, 0);
	return 0;
}

const struct row_type sql_ref_rows = { STORE_REF_SZ, ref_row, NULL };

int sql_blob_row(void *dst, const sql_row *s, ksef_error *err)
{
	ksef_buf *out = dst;
	size_t n;
	const void *data = sql_col_bytes(s, 0, &n);
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
