/*
 * sqlite_ceiling.c - the SQLite group-commit insert ceiling: how many
 * invoice-sized rows a second one writer thread can make durable when
 * several threads each hand it one row and wait for its commit, which is
 * what a durable 202 costs the server at the least. The rows hold a blob
 * the size of an invoice's ciphertext and the few columns a decided
 * invoice needs; the database is in WAL mode with synchronous=FULL, in a
 * temporary file on the disk the caller names (the server's data folder's
 * filesystem, so that both pay the same fsync). The file is removed after.
 *
 * DESIGN: producers queue a request on a list and sleep on a condition
 * variable. The writer takes the whole list, runs it in one BEGIN
 * IMMEDIATE ... COMMIT, marks each request done and wakes everyone. Before
 * taking a list shorter than the number of producers it waits up to
 * GATHER_NS for the ones it just woke, as ksefd's store writer does, so a
 * steady group forms instead of alternating batches of 1 and N - 1.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "load.h"

#define GATHER_NS 50000L

struct request {
	struct request *next;
	size_t producer, ordinal;
	int done, failed;
};

struct ceiling {
	const struct sqlite_ceiling_options *o;
	sqlite3 *db;
	sqlite3_stmt *ins;
	unsigned char *blob;
	pthread_mutex_t mu;
	pthread_cond_t queued, committed;
	struct request *head, **tail;
	size_t pending, live_producers, commits;
	int failed;
};

struct producer {
	struct ceiling *c;
	size_t id, rows;
};

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "bench_ksefd: sqlite: %s: %s\n", sql,
			msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int insert(struct ceiling *c, const struct request *r)
{
	/* A KSeF number and a Base64 SHA-256 are 35 and 44 characters. */
	static const char hash[] =
		"nG1kzI9hr3r1QmnwQOD5w7mFOZ3Pw5X8RZkqa0iTjC4=";
	char ref[48], sref[48], ksef_number[48];
	sqlite3_stmt *s = c->ins;
	int rc;

	snprintf(ref, sizeof(ref), "20251201-EE-%08zX-%010zu", r->producer,
		 r->ordinal);
	snprintf(sref, sizeof(sref), "20251201-SO-%08zX-0000000000",
		 r->producer);
	snprintf(ksef_number, sizeof(ksef_number),
		 "5265877635-20251201-%06zX%08zX-00", r->producer,
		 r->ordinal);
	sqlite3_bind_text(s, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)r->ordinal);
	sqlite3_bind_text(s, 4, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, 200);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)(bench_now() * 1e3));
	sqlite3_bind_text(s, 7, ksef_number, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, c->blob, (int)c->o->blob_bytes,
			  SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void *writer(void *arg)
{
	struct ceiling *c = arg;
	struct request *batch, *r;
	struct timespec until;
	int failed;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (c->head == NULL && c->live_producers > 0)
			pthread_cond_wait(&c->queued, &c->mu);
		if (c->head == NULL)
			break;
		if (c->pending < c->live_producers) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += GATHER_NS;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			while (c->pending < c->live_producers &&
			       pthread_cond_timedwait(&c->queued, &c->mu,
						      &until) != ETIMEDOUT)
				;
		}
		batch = c->head;
		c->head = NULL;
		c->tail = &c->head;
		c->pending = 0;
		pthread_mutex_unlock(&c->mu);

		failed = exec(c->db, "BEGIN IMMEDIATE") != 0;
		for (r = batch; r != NULL && !failed; r = r->next)
			failed = insert(c, r) != 0;
		if (!failed)
			failed = exec(c->db, "COMMIT") != 0;
		else
			(void)exec(c->db, "ROLLBACK");

		pthread_mutex_lock(&c->mu);
		c->commits++;
		for (r = batch; r != NULL; r = r->next) {
			r->failed = failed;
			r->done = 1;
		}
		if (failed)
			c->failed = 1;
		pthread_cond_broadcast(&c->committed);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct ceiling *c = p->c;
	size_t i;

	for (i = 0; i < p->rows; i++) {
		struct request r = { NULL, p->id, i + 1, 0, 0 };

		pthread_mutex_lock(&c->mu);
		*c->tail = &r;
		c->tail = &r.next;
		c->pending++;
		pthread_cond_signal(&c->queued);
		while (!r.done)
			pthread_cond_wait(&c->committed, &c->mu);
		pthread_mutex_unlock(&c->mu);
		if (r.failed)
			break;
	}
	pthread_mutex_lock(&c->mu);
	c->live_producers--;
	pthread_cond_signal(&c->queued);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static int open_db(struct ceiling *c, const char *path)
{
	if (sqlite3_open(path, &c->db) != SQLITE_OK) {
		fprintf(stderr, "bench_ksefd: sqlite: cannot open %s\n", path);
		return -1;
	}
	if (exec(c->db, "PRAGMA journal_mode = WAL") != 0 ||
	    exec(c->db, "PRAGMA synchronous = FULL") != 0 ||
	    exec(c->db, "CREATE TABLE invoices ("
		 " ref TEXT PRIMARY KEY, session_ref TEXT NOT NULL,"
		 " ordinal INTEGER NOT NULL, invoice_hash TEXT NOT NULL,"
		 " status INTEGER NOT NULL, invoicing_ms INTEGER NOT NULL,"
		 " ksef_number TEXT NOT NULL, ciphertext BLOB NOT NULL,"
		 " UNIQUE (session_ref, ordinal))") != 0)
		return -1;
	if (sqlite3_prepare_v2(c->db, "INSERT INTO invoices VALUES "
			       "(?, ?, ?, ?, ?, ?, ?, ?)", -1, &c->ins,
			       NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_ksefd: sqlite: %s\n",
			sqlite3_errmsg(c->db));
		return -1;
	}
	return 0;
}

static void remove_db(const char *path)
{
	char side[4200];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

int sqlite_ceiling_run(struct sqlite_ceiling *out,
		       const struct sqlite_ceiling_options *o)
{
	struct ceiling c;
	struct producer *p = NULL;
	pthread_t wtid, *tid = NULL;
	char path[4096];
	uint64_t x = 0x9E3779B97F4A7C15u;
	size_t i, started = 0;
	double t0;
	int fd, rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.tail = &c.head;
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.queued, NULL);
	pthread_cond_init(&c.committed, NULL);
	if (o->producers == 0 || o->blob_bytes > 0x7fffffff ||
	    snprintf(path, sizeof(path), "%s/bench-sqlite-XXXXXX", o->dir) >=
	    (int)sizeof(path))
		goto out_plain;
	fd = mkstemp(path);
	if (fd < 0) {
		fprintf(stderr, "bench_ksefd: sqlite: cannot create a file "
			"in %s\n", o->dir);
		goto out_plain;
	}
	close(fd);
	c.blob = malloc(o->blob_bytes ? o->blob_bytes : 1);
	p = calloc(o->producers, sizeof(*p));
	tid = calloc(o->producers, sizeof(*tid));
	if (c.blob == NULL || p == NULL || tid == NULL || open_db(&c, path))
		goto out;
	/* Ciphertext looks random, and so must the blob, or a filesystem
	 * that compresses would flatter the figure. */
	for (i = 0; i < o->blob_bytes; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		c.blob[i] = (unsigned char)(x >> 32);
	}

	c.live_producers = o->producers;
	t0 = bench_now();
	if (pthread_create(&wtid, NULL, writer, &c) != 0)
		goto out;
	for (i = 0; i < o->producers; i++) {
		p[i] = (struct producer){ &c, i,
			o->rows * (i + 1) / o->producers -
			o->rows * i / o->producers };
		if (pthread_create(&tid[i], NULL, produce, &p[i]) != 0)
			break;
		started++;
	}
	/* Producers that never started will never leave. */
	pthread_mutex_lock(&c.mu);
	c.live_producers -= o->producers - started;
	pthread_cond_signal(&c.queued);
	pthread_mutex_unlock(&c.mu);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_join(wtid, NULL);
	out->seconds = bench_now() - t0;
	out->commits = c.commits;
	if (started == o->producers && !c.failed) {
		out->rows = o->rows;
		rc = 0;
	}
out:
	sqlite3_finalize(c.ins);
	sqlite3_close(c.db);
	remove_db(path);
	free(c.blob);
	free(p);
	free(tid);
out_plain:
	pthread_cond_destroy(&c.committed);
	pthread_cond_destroy(&c.queued);
	pthread_mutex_destroy(&c.mu);
	return rc;
}
