/*
 * worker.c - owns the verification threads and session housekeeping.
 *
 * DESIGN. An invoice is written once, with its verdict. The send handler
 * checks what must be answered at once (session, sizes, the encrypted
 * hash) and hands the invoice here as a job; a thread decides it
 * (decide.c) and queues its one durable write (store_invoice_add), whose
 * commit answers the client: the 202 goes out only once the invoice and
 * its verdict are on disk, and neither thread nor connection waits for
 * the fsync meanwhile. So a crash loses only invoices that were never
 * acknowledged, and none can have two statuses.
 *
 * Jobs wait in one lane per context (the session's NIP or identifier),
 * and threads take the lanes in turn: a context that sends a thousand
 * invoices delays another's next one by at most one invoice per thread,
 * not by its whole backlog.
 *
 * Data written by ksefd 0.2 may still hold invoices accepted before their
 * verdict (status 100/150, with their ciphertext). On start the pool
 * queues them by reference and records their verdict as 0.2 did.
 *
 * A housekeeping thread closes sessions past validUntil and gives closed
 * sessions with nothing left to verify their final status (verdict.c
 * decides which), after which their keys are wiped.
 *
 * A batch thread processes the packages of closed batch sessions (150),
 * one at a time (batch.c); their invoices take the same one write, and
 * the session then waits in 170 for the housekeeper like any other.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"
#include "ctx_limits.h"
#include "decide.h"
#include "export_build.h"
#include "faults.h"
#include "lanes.h"
#include "metrics.h"
#include "permissions.h"
#include "session_keys.h"
#include "upo_service.h"
#include "verdict.h"
#include "worker.h"

struct workers {
	struct server *srv;
	pthread_mutex_t lock;
	pthread_cond_t work;          /* a job or a reference, or stopping */
	pthread_cond_t tick;          /* housekeeping wanted */
	struct lanes jobs;            /* invoice jobs, a lane a context */
	char (*queue)[STORE_REF_SZ];  /* ring of references to recover */
	size_t head, count, cap;
	int stopping, kicked;
	pthread_t *threads;
	int nthreads;
	pthread_t housekeeper;
	/* batch packages (batch.c): one thread, woken by a close */
	pthread_t batcher;
	pthread_cond_t batch_tick;
	int batch_kicked;
	int64_t purged_ms;            /* last challenge purge (housekeeper) */
	int64_t trimmed_ms;           /* last malloc_trim() (housekeeper) */
};

/* How often the housekeeper forgets expired challenges, at most. */
#define PURGE_EVERY_MS 10000

/*
 * How often the housekeeper hands freed memory back to the system. glibc
 * gives each busy thread an arena of its own and returns little of an
 * arena's freed middle: a signed session UPO of thousands of documents,
 * built on one handler thread and then on another, left ksefd's RSS
 * growing by some hundred megabytes a minute under downloads, all of it
 * free. malloc_trim() releases the free pages of every arena; once every
 * few seconds costs nothing to measure.
 */
#define TRIM_EVERY_MS 5000

/* ---- the queue ---- */

static int queue_push(struct workers *w, const char *ref)
{
	if (w->count == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 256, i;
		char (*q)[STORE_REF_SZ] = malloc(ncap * sizeof(*q));

		if (q == NULL)
			return -1;
		for (i = 0; i < w->count; i++)
			memcpy(q[i], w->queue[(w->head + i) % w->cap],
			       STORE_REF_SZ);
		free(w->queue);
		w->queue = q;
		w->head = 0;
		w->cap = ncap;
	}
	snprintf(w->queue[(w->head + w->count) % w->cap], STORE_REF_SZ, "%s",
		 ref);
	w->count++;
	return 0;
}

void workers_submit(struct server *srv, const char *invoice_ref)
{
	struct workers *w = srv->workers;

	pthread_mutex_lock(&w->lock);
	/* If memory runs out the invoice still waits in the store (status
	 * 100) and is picked up at the next start. */
	if (queue_push(w, invoice_ref) == 0)
		pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
}

int workers_send(struct server *srv, struct invoice_job *job)
{
	struct workers *w = srv->workers;
	char key[LANES_KEY_SZ];
	int error;

	snprintf(key, sizeof(key), "%s:%s", job->session.ctx_type,
		 job->session.ctx_value);
	pthread_mutex_lock(&w->lock);
	if ((error = lanes_push(&w->jobs, key, &job->link)) == 0)
		pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	return error == 0 ? 0 : KSEF_ENOMEM;
}

/* store_on_work()'s function: a batch package was closed somewhere. */
static void work_notice(void *arg)
{
	workers_kick(arg);
}

void workers_kick(struct server *srv)
{
	struct workers *w = srv->workers;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->kicked = 1;
	pthread_cond_signal(&w->tick);
	w->batch_kicked = 1;
	pthread_cond_signal(&w->batch_tick);
	pthread_mutex_unlock(&w->lock);
}

size_t workers_queued(struct server *srv)
{
	struct workers *w = srv->workers;
	size_t n;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->lock);
	n = w->count + w->jobs.count;
	pthread_mutex_unlock(&w->lock);
	return n;
}

/* ---- one invoice ---- */

static void job_stored(void *arg, int result)
{
	struct invoice_job *job = arg;

	/* The plaintext is on disk (or refused): no copy stays. No session
	 * waits for this invoice to close: it was never pending. */
	ksef_buf_dispose_secure(&job->plain);
	if (result == STORE_OK)
		metrics_invoice(job->srv->metrics, job->inv.status);
	job->done(job, result);
}

static void run_job(struct workers *w, struct invoice_job *job)
{
	struct server *srv = w->srv;
	int error;

	job->srv = srv;
	job->inv.meta = &job->meta;
	decide_invoice(srv, &job->session, job->ciphertext.ptr,
		       job->ciphertext.size, &job->inv, &job->plain);
	/* The ciphertext is not kept: the verdict is. */
	ksef_buf_dispose(&job->ciphertext);
	/* fault injection (faults.c): a rule may fail the write, so that
	 * nothing is stored and the client gets a 5xx. */
	if (faults_store(srv, &job->session, &job->err))
		error = STORE_ERROR;
	else
		error = store_invoice_add(srv->store, &job->inv,
					  job->plain.ptr, job->plain.size,
					  verdict_duplicate,
					  &job->session_status, job_stored,
					  job, &job->err);
	if (error < 0)
		job_stored(job, error);
}

/* An invoice a 0.2 data folder left accepted but undecided. */
static void recover_invoice(struct workers *w, const char *ref)
{
	struct server *srv = w->srv;
	ksef_buf ct = KSEF_BUF_INIT, plain = KSEF_BUF_INIT;
	store_session s;
	store_invoice inv;
	ksef_error err;
	int rc;

	if (store_invoice_get(srv->store, ref, &inv, &err) != 0 ||
	    (inv.status != 100 && inv.status != 150))
		return; /* unknown, or decided before a restart */
	if (store_session_get(srv->store, inv.session_ref, &s, &err) != 0 ||
	    store_invoice_ciphertext(srv->store, ref, &ct, &err) != 0) {
		decide_refuse(&inv, 500, "Nie udało się odczytać faktury.");
	} else {
		decide_invoice(srv, &s, ct.ptr, ct.size, &inv, &plain);
	}
	rc = store_invoice_finish(srv->store, &inv, plain.ptr, plain.size,
				  &err);
	if (rc == STORE_EXISTS) {
		/* Another invoice holds the duplicate key; nothing was
		 * written, and the store names the holder in inv. */
		verdict_duplicate(&inv);
		rc = store_invoice_finish(srv->store, &inv, NULL, 0, &err);
	}
	if (rc != 0)
		fprintf(stderr, "ksefd: worker: %s: %s\n", ref, err.message);
	else
		metrics_invoice(srv->metrics, inv.status);
	ksef_buf_dispose(&ct);
	ksef_buf_dispose_secure(&plain);
	workers_kick(srv);
}

static void *worker_main(void *arg)
{
	struct workers *w = arg;
	struct invoice_job *job;
	char ref[STORE_REF_SZ];

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->jobs.count == 0 && w->count == 0 && !w->stopping)
			pthread_cond_wait(&w->work, &w->lock);
		/* Jobs have a client waiting: finish them even when
		 * stopping. References wait in the store for next time. */
		if (w->jobs.count > 0) {
			job = (struct invoice_job *)lanes_pop(&w->jobs);
			pthread_mutex_unlock(&w->lock);
			run_job(w, job);
		} else if (w->count > 0 && !w->stopping) {
			memcpy(ref, w->queue[w->head], STORE_REF_SZ);
			w->head = (w->head + 1) % w->cap;
			w->count--;
			pthread_mutex_unlock(&w->lock);
			recover_invoice(w, ref);
		} else {
			break;
		}
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ---- housekeeping ---- */

static void housekeeping(struct workers *w)
{
	struct server *srv = w->srv;
	char (*refs)[STORE_REF_SZ] = NULL;
	size_t n = 0, i;
	int expired = 0;
	int64_t now;
	ksef_error err;

	if (store_sessions_expire(srv->store, server_now_ms(), &expired,
				  &err) != 0)
		fprintf(stderr, "ksefd: housekeeping: %s\n", err.message);
	/* On a shared store each node holds its share of the rate limits:
	 * count the nodes again (a node that joined, or died). */
	if (store_is_shared(srv->store)) {
		ratelimit_set_nodes(srv->rl,
				    (unsigned)store_nodes(srv->store));
		/* Another node may have changed a context's limits. */
		ctx_limits_forget_all(srv->ctx_limits);
	}
	/* Challenges past their lifetime (uwierzytelnianie.md: 10 minutes)
	 * can never be taken: keep the store bounded under a flood of them.
	 * Every PURGE_EVERY_MS (or lifetime, if shorter) is enough, and spares
	 * the writer a statement every tick. */
	now = server_now_ms();
	if (now - w->purged_ms >= (srv->cfg.challenge_ttl_ms < PURGE_EVERY_MS ?
				   srv->cfg.challenge_ttl_ms : PURGE_EVERY_MS)) {
		if (store_challenges_purge(srv->store,
					   now - srv->cfg.challenge_ttl_ms, NULL,
					   &err) != 0)
			fprintf(stderr, "ksefd: housekeeping: %s\n",
				err.message);
		/* An operation past the status retention whose refresh token
		 * ended can answer no request; its sessions keep what their
		 * UPOs need. */
		if (store_auth_purge(srv->store,
				     now - srv->cfg.auth_retention_ms, now,
				     NULL, &err) != 0)
			fprintf(stderr, "ksefd: housekeeping: %s\n",
				err.message);
		if (store_perm_ops_purge(srv->store,
					 now - PERMISSIONS_OP_FORGET_MS, NULL,
					 &err) != 0)
			fprintf(stderr, "ksefd: housekeeping: %s\n",
				err.message);
		/* Export packages past their 7 days leave the disk. */
		export_purge(srv);
		w->purged_ms = now;
	}
	/* Invoice exports are built here, a few a tick. */
	export_build_pending(srv);
	if (now - w->trimmed_ms >= TRIM_EVERY_MS) {
		malloc_trim(0);
		w->trimmed_ms = now;
	}
	if (store_sessions_finish(srv->store, server_now_ms(),
				  verdict_session_final, &refs, &n, &err) != 0) {
		fprintf(stderr, "ksefd: housekeeping: %s\n", err.message);
		return;
	}
	for (i = 0; i < n; i++) {
		/* Nothing of the session is left to decrypt. */
		session_keys_evict(srv->session_keys, refs[i]);
		/* A processed session gets its UPO page numbers now; the
		 * pages themselves are signed when first asked for. */
		if (upo_assign_pages(srv, refs[i], &err) != 0)
			fprintf(stderr, "ksefd: housekeeping: %s: %s\n",
				refs[i], err.message);
	}
	free(refs);
}

static void *housekeeper_main(void *arg)
{
	struct workers *w = arg;
	struct timespec until;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		if (!w->kicked) {
			/* Sessions expire on the clock too: look every 500 ms. */
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 500000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&w->tick, &w->lock, &until);
		}
		w->kicked = 0;
		pthread_mutex_unlock(&w->lock);
		housekeeping(w);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ---- batch packages ---- */

/*
 * One thread processes the packages of closed batch sessions (status
 * 150), oldest close first, one at a time: a package is large and its
 * invoices already go through the store one by one, so a second thread
 * would only contend with the online invoices' workers. At start it
 * takes up what a previous run left in 150, and with a shared store
 * (PostgreSQL) what a node that died left (batch_process claims each).
 */
static void *batcher_main(void *arg)
{
	struct workers *w = arg;
	char (*refs)[STORE_REF_SZ] = NULL;
	struct timespec until;
	size_t n = 0, i;

	pthread_mutex_lock(&w->lock);
	w->batch_kicked = 1;
	while (!w->stopping) {
		if (!w->batch_kicked) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			/* With a shared store, a package that another node
			 * left in processing (it died) is this node's to
			 * take up: look every second, not only when kicked. */
			if (pthread_cond_timedwait(&w->batch_tick, &w->lock,
						   &until) != 0 &&
			    store_is_shared(w->srv->store))
				w->batch_kicked = 1;
			continue;
		}
		w->batch_kicked = 0;
		pthread_mutex_unlock(&w->lock);
		if (store_batch_processing(w->srv->store, &refs, &n,
					   NULL) == 0) {
			for (i = 0; i < n && !w->stopping; i++) {
				batch_process(w->srv, refs[i]);
				workers_kick(w->srv);
			}
			free(refs);
			refs = NULL;
		}
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int workers_start(struct server *srv, int threads, ksef_error *err)
{
	struct workers *w = calloc(1, sizeof(*w));
	char (*pending)[STORE_REF_SZ] = NULL;
	size_t n = 0, i;
	ksef_error lerr;
	int error;

	if (w == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	w->srv = srv;
	srv->workers = w;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->tick, NULL);
	pthread_cond_init(&w->batch_tick, NULL);
	if ((error = store_invoices_pending(srv->store, &pending, &n, err)) != 0)
		return store_result_code(error);
	for (i = 0; i < n; i++)
		if (queue_push(w, pending[i]) != 0) {
			free(pending);
			return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
		}
	free(pending);
	if (n > 0)
		fprintf(stderr, "ksefd: resuming verification of %zu invoices\n",
			n);
	w->threads = calloc((size_t)threads, sizeof(*w->threads));
	if (w->threads == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	for (w->nthreads = 0; w->nthreads < threads; w->nthreads++)
		if (pthread_create(&w->threads[w->nthreads], NULL, worker_main,
				   w) != 0)
			return ksef_error_set(err, KSEF_ENOMEM,
					      "cannot start a worker thread");
	if (pthread_create(&w->housekeeper, NULL, housekeeper_main, w) != 0)
		return ksef_error_set(err, KSEF_ENOMEM,
				      "cannot start the housekeeper");
	if (pthread_create(&w->batcher, NULL, batcher_main, w) != 0)
		return ksef_error_set(err, KSEF_ENOMEM,
				      "cannot start the batch thread");
	/* A package closed on another node wakes this one's batcher too, so
	 * that the nodes share the packages out at once; without the
	 * listener they find them within the batcher's second. */
	if (srv->store != NULL &&
	    store_on_work(srv->store, work_notice, srv, &lerr) != 0)
		fprintf(stderr, "ksefd: %s; packages closed elsewhere are "
			"looked for each second\n", lerr.message);
	return 0;
}

void workers_stop(struct server *srv)
{
	struct workers *w = srv->workers;
	int t;

	if (w == NULL)
		return;
	/* No more wake-ups from the listener into what goes below. */
	if (srv->store != NULL)
		store_on_work(srv->store, NULL, NULL, NULL);
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->work);
	pthread_cond_broadcast(&w->tick);
	pthread_cond_broadcast(&w->batch_tick);
	pthread_mutex_unlock(&w->lock);
	for (t = 0; t < w->nthreads; t++)
		pthread_join(w->threads[t], NULL);
	pthread_join(w->housekeeper, NULL);
	pthread_join(w->batcher, NULL);
	free(w->queue);
	free(w->threads);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->tick);
	pthread_cond_destroy(&w->batch_tick);
	pthread_mutex_destroy(&w->lock);
	free(w);
	srv->workers = NULL;
}
