/*
 * load_closed.c - the closed-loop load: T sessions, each shared by N
 * sender threads (--in-flight, default 1), each sender with its own client
 * and connection, send their invoices one after another as fast as the
 * server answers (encrypt with the session's envelope, POST, 202). At most
 * T * N requests are in flight: with N = 1 the load waits on every answer
 * and measures the server's latency as much as its capacity; a larger N
 * keeps the server's queue full. Then each session's first sender reads
 * every invoice's final status back through the session's invoice listing,
 * once its siblings are done sending. The clock runs from the common start
 * to the last 202 (accepted/s) and to the last final status (verified/s,
 * end to end).
 *
 * DESIGN: a session's first sender opens it; each sender then makes its
 * own copy of the session's envelope (load_envelopes_copy(), as the open
 * loop's senders do) and sends a contiguous slice of the session's
 * invoices under the one session reference. Invoices are generated and
 * sessions opened before the start, and sessions are closed after the
 * server's CPU is read, so that neither generation nor RSA nor UPO making
 * is in the figures.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "load.h"

/* This many failed sends in a row end a thread's sending: the server is
 * gone, and trying the rest only delays the report. */
#define MAX_FAILURES_IN_A_ROW 20

/* What all senders share: the phases and the count of sends under way. */
struct shared {
	pthread_barrier_t bar;
	atomic_size_t now_in_flight, peak_in_flight;
};

struct sender;

/* One session and its N senders; senders[0] opens, reads back, closes. */
struct group {
	struct session sess;
	pthread_barrier_t sent;  /* the group's senders, done sending */
	struct sender *senders;
	size_t id;
};

struct sender {
	const struct target *t;
	const struct closed_options *o;
	struct shared *sh;
	struct group *g;
	size_t slot;             /* in the group */
	size_t first, n;         /* its slice of the session's invoices */
	int ready;
	ksef_buf *docs;
	size_t doc_bytes, sent, pages;
	struct tally send_errors, statuses;
	double send_done, final_at;
	int awaited;  /* load_session_await()'s result */
};

/* The first sender of a session opens it. */
static int open_session(struct sender *s, ksef_client *c)
{
	ksef_pubkey *k = load_key(c, KSEF_KEY_USAGE_SYMMETRIC_KEY);
	int rc = k != NULL && load_session_open(&s->g->sess, c, k) == 0 ?
		 0 : -1;

	ksef_pubkey_free(k);
	return rc;
}

static int make_docs(struct sender *s)
{
	const struct closed_options *o = s->o;
	ksef_error err;

	s->docs = calloc(s->n ? s->n : 1, sizeof(*s->docs));
	if (s->docs == NULL)
		return -1;
	if (bench_docs_gen(s->docs, &o->gen, o->first_index +
			   s->g->id * o->per_thread + s->first, s->n,
			   &s->doc_bytes, &err) != 0) {
		fprintf(stderr, "bench_ksefd: generate: %s\n", err.message);
		return -1;
	}
	return 0;
}

static void count_in_flight(struct shared *sh)
{
	size_t now = atomic_fetch_add(&sh->now_in_flight, 1) + 1;
	size_t peak = atomic_load(&sh->peak_in_flight);

	while (now > peak &&
	       !atomic_compare_exchange_weak(&sh->peak_in_flight, &peak, now))
		;
}

static void send_all(struct sender *s, ksef_client *c,
		     const ksef_envelope *env)
{
	char ref[KSEF_REFNUM_BUFSZ];
	size_t i, in_a_row = 0;
	ksef_error err;
	int rc;

	for (i = 0; i < s->n; i++) {
		count_in_flight(s->sh);
		rc = ksef_client_invoice_send(ref, NULL, c, s->g->sess.ref,
				env, s->docs[i].ptr, s->docs[i].size, NULL,
				&err);
		atomic_fetch_sub(&s->sh->now_in_flight, 1);
		if (rc == 0) {
			s->sent++;
			in_a_row = 0;
			continue;
		}
		tally_add(&s->send_errors, ksef_client_last_http_status(c), 1);
		if (tally_total(&s->send_errors) == 1)
			fprintf(stderr, "bench_ksefd: send: %s\n", err.message);
		if (++in_a_row == MAX_FAILURES_IN_A_ROW)
			break;
	}
}

/* The first sender, once its siblings are done: every final status. */
static void read_back(struct sender *s, ksef_client *c)
{
	size_t j, expected = 0;

	for (j = 0; j < s->o->in_flight; j++)
		expected += s->g->senders[j].sent;
	s->awaited = load_session_await(&s->statuses, &s->pages,
			&s->final_at, s->t, c, s->g->sess.ref, expected);
}

static void *run_sender(void *arg)
{
	struct sender *s = arg;
	struct shared *sh = s->sh;
	ksef_client *c = load_client_new(s->t);
	ksef_envelope **env = NULL;

	s->ready = c != NULL && make_docs(s) == 0 &&
		   (s->slot != 0 || open_session(s, c) == 0);
	pthread_barrier_wait(&sh->bar); /* sessions open */
	if (s->g->sess.env != NULL)
		env = load_envelopes_copy(&s->g->sess, 1);
	s->ready = s->ready && env != NULL;
	pthread_barrier_wait(&sh->bar); /* all set up */
	pthread_barrier_wait(&sh->bar); /* the clock started */
	if (s->ready) {
		send_all(s, c, env[0]);
		s->send_done = bench_now();
	}
	pthread_barrier_wait(&s->g->sent);
	/* Even if this sender could not send, its siblings may have. */
	if (s->slot == 0 && c != NULL && s->g->sess.ref[0])
		read_back(s, c);
	pthread_barrier_wait(&sh->bar); /* all final */
	pthread_barrier_wait(&sh->bar); /* the server's CPU read */
	if (s->slot == 0)
		load_session_close(&s->g->sess, c);
	load_envelopes_free(env, 1);
	ksef_client_free(c);
	bench_docs_free(s->docs, s->n);
	s->docs = NULL;
	return NULL;
}

/* Senders and groups, with each group's barrier; 0 or -1. */
static int make_senders(struct sender *s, struct group *g,
			struct shared *sh, const struct target *t,
			const struct closed_options *o)
{
	size_t k, j, per = o->per_thread, n = o->in_flight;

	for (k = 0; k < o->threads; k++) {
		g[k].id = k;
		g[k].senders = &s[k * n];
		if (pthread_barrier_init(&g[k].sent, NULL, (unsigned)n) != 0) {
			while (k-- > 0)
				pthread_barrier_destroy(&g[k].sent);
			return -1;
		}
		for (j = 0; j < n; j++)
			s[k * n + j] = (struct sender){ .t = t, .o = o,
				.sh = sh, .g = &g[k], .slot = j,
				.first = per * j / n,
				.n = per * (j + 1) / n - per * j / n };
	}
	return 0;
}

int closed_run(struct closed_result *out, const struct target *t,
	       const struct closed_options *o)
{
	size_t senders = o->threads * o->in_flight;
	struct sender *s = calloc(senders ? senders : 1, sizeof(*s));
	struct group *g = calloc(o->threads ? o->threads : 1, sizeof(*g));
	pthread_t *tid = calloc(senders ? senders : 1, sizeof(*tid));
	struct shared sh;
	struct proc_sample before, after;
	double t0, last_send = 0, last_final = 0;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	atomic_init(&sh.now_in_flight, 0);
	atomic_init(&sh.peak_in_flight, 0);
	if (s == NULL || g == NULL || tid == NULL || senders == 0 ||
	    make_senders(s, g, &sh, t, o) != 0) {
		free(s);
		free(g);
		free(tid);
		return -1;
	}
	if (pthread_barrier_init(&sh.bar, NULL, (unsigned)senders + 1) != 0) {
		for (i = 0; i < o->threads; i++)
			pthread_barrier_destroy(&g[i].sent);
		free(s);
		free(g);
		free(tid);
		return -1;
	}
	for (i = 0; i < senders; i++)
		if (pthread_create(&tid[i], NULL, run_sender, &s[i]) != 0) {
			/* The barriers count on every thread. */
			fprintf(stderr, "bench_ksefd: cannot start threads\n");
			exit(1);
		}
	pthread_barrier_wait(&sh.bar);
	pthread_barrier_wait(&sh.bar);
	proc_sample(&before, o->server_pid);
	t0 = bench_now();
	pthread_barrier_wait(&sh.bar);
	pthread_barrier_wait(&sh.bar);
	proc_sample(&after, o->server_pid);
	pthread_barrier_wait(&sh.bar);
	for (i = 0; i < senders; i++) {
		pthread_join(tid[i], NULL);
		/* A sender that was not ready has only zeros to add. */
		if (!s[i].ready)
			rc = -1;
		out->sent += s[i].sent;
		out->doc_bytes += s[i].doc_bytes;
		out->pages += s[i].pages;
		tally_merge(&out->send_errors, &s[i].send_errors);
		tally_merge(&out->statuses, &s[i].statuses);
		out->timed_out += s[i].awaited != 0;
		if (s[i].send_done > last_send)
			last_send = s[i].send_done;
		if (s[i].final_at > last_final)
			last_final = s[i].final_at;
	}
	out->accept_s = last_send - t0;
	out->verified_s = last_final - t0;
	out->peak_in_flight = atomic_load(&sh.peak_in_flight);
	server_use_between(&out->server, &before, &after, out->sent);
	pthread_barrier_destroy(&sh.bar);
	for (i = 0; i < o->threads; i++)
		pthread_barrier_destroy(&g[i].sent);
	free(s);
	free(g);
	free(tid);
	return rc;
}
