/*
 * reads.c - owns the read gate of reads.h: its reader threads, the lanes
 * of requests waiting for one, and the thread that refuses those that
 * waited too long.
 *
 * DESIGN. A read of a row nobody asked for lately goes to the disk, and a
 * disk serves its queue in turn: the writer's fsync, on which every 202
 * waits, queues behind whatever reads are in flight. With reads run on the
 * event loops (and the UPO downloads on the handler pool) nothing bounded
 * them: a soak whose stored data outgrew the page cache saw the loops sit
 * in disk reads and sends wait seconds for their 202 (docs/benchmarks.md).
 * Here at most max reads run at once, each on a thread of its own, so the
 * disk never holds more than max reads ahead of an fsync, and an event
 * loop only parses, checks and hands over.
 *
 * Waiting requests are suspended connections, not threads, so the wait
 * costs what a connection costs and is bounded as connections are
 * (--max-connections, --max-connections-per-ip). They wait in one lane per
 * context (lanes.h; the client address for the routes without a token),
 * so one context's burst of downloads delays another's next read by at
 * most one read per slot, as the verification lanes do for invoices.
 * Every request also sits in a list in the order it came, so the oldest
 * is always its head: the keeper thread sleeps until that one's deadline
 * and refuses it then, even while every reader is held by a slow read.
 * A request the keeper refused stays in its lane, marked, until a reader
 * pops and frees it; lanes have no removal, and the mark costs nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "errors.h"
#include "http.h"
#include "lanes.h"
#include "metrics.h"
#include "reads.h"

struct read_job {
	struct lane_item item;        /* first: lanes hand it back as this */
	struct read_job *prev, *next; /* arrival order, while it waits */
	struct request *req;
	void (*fn)(struct request *req);
	int64_t deadline_us;          /* monotonic */
	int refused;                  /* answered by the keeper */
};

struct reads {
	pthread_mutex_t lock;
	pthread_cond_t work;          /* a job came, or stopping */
	pthread_cond_t clock;         /* the keeper's: a new oldest job */
	struct lanes lanes;           /* jobs to run, refused ones too */
	struct read_job *oldest, *newest; /* jobs waiting, by arrival */
	size_t waiting, running;
	int64_t wait_us;
	int stopping;
	pthread_t *threads, keeper;
	int nthreads, keeper_started;
};

static int64_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Take job out of the arrival list. Under the lock. */
static void unlink_job(struct reads *g, struct read_job *job)
{
	if (job->prev != NULL)
		job->prev->next = job->next;
	else
		g->oldest = job->next;
	if (job->next != NULL)
		job->next->prev = job->prev;
	else
		g->newest = job->prev;
	job->prev = job->next = NULL;
	g->waiting--;
}

static void refuse(struct reads *g, struct request *req)
{
	char detail[160];

	snprintf(detail, sizeof(detail), "Zbyt wiele jednoczesnych odczytów: "
		 "żądanie czekało na odczyt %lld ms. Spróbuj ponownie po %d "
		 "sekundzie.", (long long)(g->wait_us / 1000),
		 READS_RETRY_AFTER_S);
	errors_too_many(req, READS_RETRY_AFTER_S, detail);
	metrics_read_refused(req->srv != NULL ? req->srv->metrics : NULL);
	http_complete(req);
}

static void *reader_main(void *arg)
{
	struct reads *g = arg;
	struct read_job *job;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		while (g->lanes.count == 0 && !g->stopping)
			pthread_cond_wait(&g->work, &g->lock);
		if (g->lanes.count == 0)
			break;
		job = (struct read_job *)lanes_pop(&g->lanes);
		if (job->refused) {
			free(job);
			continue;
		}
		/* Whoever takes a job out of the arrival list first, this
		 * reader or the keeper, decides it. */
		unlink_job(g, job);
		g->running++;
		pthread_cond_signal(&g->clock);
		pthread_mutex_unlock(&g->lock);

		http_run(job->req, job->fn);
		free(job);

		pthread_mutex_lock(&g->lock);
		g->running--;
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

/* Refuse each job whose deadline passed while it waited; sleep until the
 * oldest one's, or until a new one is queued. */
static void *keeper_main(void *arg)
{
	struct reads *g = arg;
	struct read_job *job;
	struct request *req;
	struct timespec until;
	int64_t now, at;

	pthread_mutex_lock(&g->lock);
	while (!g->stopping || g->oldest != NULL) {
		job = g->oldest;
		if (job == NULL) {
			pthread_cond_wait(&g->clock, &g->lock);
			continue;
		}
		now = monotonic_us();
		if (now <= job->deadline_us) {
			at = job->deadline_us + 1;
			until.tv_sec = (time_t)(at / 1000000);
			until.tv_nsec = (long)(at % 1000000) * 1000;
			pthread_cond_timedwait(&g->clock, &g->lock, &until);
			continue;
		}
		/* The job stays in its lane, marked, for a reader to free
		 * (perhaps at once: only req is used past the unlock). */
		unlink_job(g, job);
		job->refused = 1;
		req = job->req;
		g->running++; /* counted until its answer is recorded */
		pthread_mutex_unlock(&g->lock);
		refuse(g, req);
		pthread_mutex_lock(&g->lock);
		g->running--;
		pthread_cond_signal(&g->work);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

void reads_submit(struct reads *g, struct request *req,
		  void (*fn)(struct request *req))
{
	char key[LANES_KEY_SZ];
	struct read_job *job = calloc(1, sizeof(*job));

	if (job == NULL) {
		errors_reply(req, 500, 21405, "Brak pamięci.");
		return;
	}
	job->req = req;
	job->fn = fn;
	if (req->authed)
		snprintf(key, sizeof(key), "%s:%s", req->claims.context_type,
			 req->claims.context_value);
	else
		snprintf(key, sizeof(key), "ip:%s", req->ip);
	/* Suspended before anyone else may take it on. */
	http_defer(req);
	pthread_mutex_lock(&g->lock);
	job->deadline_us = monotonic_us() + g->wait_us;
	if (lanes_push(&g->lanes, key, &job->item) != 0) {
		pthread_mutex_unlock(&g->lock);
		free(job);
		errors_reply(req, 500, 21405, "Brak pamięci.");
		http_complete(req);
		return;
	}
	job->prev = g->newest;
	if (g->newest != NULL)
		g->newest->next = job;
	else
		g->oldest = job;
	g->newest = job;
	g->waiting++;
	pthread_cond_signal(&g->work);
	if (g->oldest == job)
		pthread_cond_signal(&g->clock);
	pthread_mutex_unlock(&g->lock);
}

void reads_counts(struct reads *g, size_t *waiting, size_t *running)
{
	pthread_mutex_lock(&g->lock);
	*waiting = g->waiting;
	*running = g->running;
	pthread_mutex_unlock(&g->lock);
}

static void gate_free(struct reads *g)
{
	struct read_job *job;

	while ((job = (struct read_job *)lanes_pop(&g->lanes)) != NULL)
		free(job);
	free(g->threads);
	pthread_cond_destroy(&g->work);
	pthread_cond_destroy(&g->clock);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

void reads_stop(struct reads *g)
{
	int t;

	if (g == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = 1;
	pthread_cond_broadcast(&g->work);
	pthread_cond_broadcast(&g->clock);
	pthread_mutex_unlock(&g->lock);
	/* Readers leave once no lane holds a job; the keeper once none
	 * waits (each is run or refused by then). */
	for (t = 0; t < g->nthreads; t++)
		pthread_join(g->threads[t], NULL);
	if (g->keeper_started) {
		pthread_mutex_lock(&g->lock);
		pthread_cond_broadcast(&g->clock);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->keeper, NULL);
	}
	gate_free(g);
}

int reads_start(struct reads **out, int max, int wait_ms, ksef_error *err)
{
	struct reads *g = calloc(1, sizeof(*g));
	pthread_condattr_t attr;

	*out = NULL;
	if (g == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	if (max < 1 || wait_ms < 0) {
		free(g);
		return ksef_error_set(err, KSEF_EINVAL, "the read gate needs "
				      "a slot and a wait of 0 ms or more");
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->work, NULL);
	/* The keeper's deadlines are on the monotonic clock. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&g->clock, &attr);
	pthread_condattr_destroy(&attr);
	g->lanes = (struct lanes)LANES_INIT;
	g->wait_us = (int64_t)wait_ms * 1000;
	if ((g->threads = calloc((size_t)max, sizeof(*g->threads))) == NULL) {
		gate_free(g);
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	}
	if (pthread_create(&g->keeper, NULL, keeper_main, g) != 0) {
		gate_free(g);
		return ksef_error_set(err, KSEF_ENOMEM,
				      "cannot start the read gate's keeper");
	}
	g->keeper_started = 1;
	for (g->nthreads = 0; g->nthreads < max; g->nthreads++)
		if (pthread_create(&g->threads[g->nthreads], NULL,
				   reader_main, g) != 0) {
			reads_stop(g);
			return ksef_error_set(err, KSEF_ENOMEM,
					      "cannot start a reader thread");
		}
	*out = g;
	return 0;
}
