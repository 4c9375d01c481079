/*
 * load_open.c - the open-loop load at one offered rate: request i starts
 * at t0 + i / R whatever happened to the requests before it, is sent to
 * session i mod S, and its latency runs from that scheduled start to the
 * 202. A closed loop waits for each answer before the next request, so a
 * stalled server also stalls the load and the stall hides in one sample
 * (coordinated omission); timing from the schedule counts the wait of
 * every request that should have started meanwhile.
 *
 * DESIGN: W sender threads, each with its own client and connection, take
 * the next slot from an atomic counter, sleep until its time and send.
 * A slow answer holds one thread only, and the others keep the schedule;
 * when all W are busy the next start is late, which the latency still
 * includes and the report counts as late starts. Invoices are generated
 * and sessions opened before t0; every sender encrypts with its own copy
 * of each session's envelope (same key and IV), since an envelope is used
 * by one thread at a time. After the last send each session's final
 * statuses are read back through the invoice listing, and then the
 * server's CPU is read, so that the verification the rate caused is in
 * its CPU per invoice.
 *
 * With a download rate, downloads of what earlier sessions stored run on
 * their own schedule from the same t0 (load_download.c). Their targets
 * are found before this rate's sessions are opened, so that they are
 * only what was stored before, and the server's CPU then includes their
 * share.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "load.h"

/* A start this much after its schedule counts as late. */
#define LATE_S 0.001
/* The server's per-session limit (limity/limity.md), which the schedule
 * must not exceed in any session. */
#define SESSION_MAX_INVOICES 10000

struct schedule {
	const struct target *t;
	const struct open_options *o;
	const struct session *sessions;
	const ksef_buf *docs;
	size_t n;
	double t0;
	atomic_size_t next;
	double *lat;   /* per slot: schedule to 202; -1 failed, -2 unsent */
	double *lag;   /* per slot: schedule to the actual start */
	pthread_barrier_t bar;
};

struct sender {
	struct schedule *sc;
	int ready;
	struct tally send_errors;
	double last_ok;
};

static void send_slots(struct sender *s, ksef_client *c,
		       ksef_envelope **env)
{
	struct schedule *sc = s->sc;
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_error err;
	size_t i, k;

	for (;;) {
		double due, start, done;

		i = atomic_fetch_add(&sc->next, 1);
		if (i >= sc->n)
			break;
		due = sc->t0 + (double)i / sc->o->rate;
		k = i % sc->o->sessions;
		bench_sleep_until(due);
		start = bench_now();
		sc->lag[i] = start - due;
		if (ksef_client_invoice_send(ref, NULL, c, sc->sessions[k].ref,
				env[k], sc->docs[i].ptr, sc->docs[i].size,
				NULL, &err) == 0) {
			done = bench_now();
			sc->lat[i] = done - due;
			if (done > s->last_ok)
				s->last_ok = done;
		} else {
			sc->lat[i] = -1;
			tally_add(&s->send_errors,
				  ksef_client_last_http_status(c), 1);
			if (tally_total(&s->send_errors) == 1)
				fprintf(stderr, "bench_ksefd: send: %s\n",
					err.message);
		}
	}
}

static void *run_sender(void *arg)
{
	struct sender *s = arg;
	struct schedule *sc = s->sc;
	ksef_client *c = load_client_new(sc->t);
	ksef_envelope **env = load_envelopes_copy(sc->sessions,
						  sc->o->sessions);

	s->ready = c != NULL && env != NULL;
	pthread_barrier_wait(&sc->bar); /* all set up */
	pthread_barrier_wait(&sc->bar); /* t0 chosen */
	if (s->ready)
		send_slots(s, c, env);
	load_envelopes_free(env, sc->o->sessions);
	ksef_client_free(c);
	return NULL;
}

/* Sort the 202s' latencies into the result. */
static void latencies(struct open_result *out, const struct schedule *sc)
{
	double *ok = malloc((sc->n ? sc->n : 1) * sizeof(*ok));
	size_t i, m = 0;

	if (ok == NULL)
		return;
	for (i = 0; i < sc->n; i++) {
		if (sc->lat[i] >= 0)
			ok[m++] = sc->lat[i];
		if (sc->lag[i] > LATE_S)
			out->late++;
		if (sc->lag[i] > out->max_lag)
			out->max_lag = sc->lag[i];
	}
	bench_sort(ok, m);
	out->p50 = bench_quantile(ok, m, 0.50);
	out->p90 = bench_quantile(ok, m, 0.90);
	out->p99 = bench_quantile(ok, m, 0.99);
	out->max = m ? ok[m - 1] : 0;
	free(ok);
}

/* Read back every session's statuses; the main thread's client. */
static void await_all(struct open_result *out, const struct schedule *sc,
		      ksef_client *c)
{
	size_t k, i, expected;
	double at;

	for (k = 0; k < sc->o->sessions; k++) {
		expected = 0;
		for (i = k; i < sc->n; i += sc->o->sessions)
			expected += sc->lat[i] >= 0;
		if (load_session_await(&out->statuses, &out->pages, &at,
				       sc->t, c, sc->sessions[k].ref,
				       expected) != 0)
			out->timed_out++;
	}
}

static int prepare(struct schedule *sc, struct session *sessions,
		   ksef_client *c, const struct open_options *o)
{
	ksef_pubkey *k = load_key(c, KSEF_KEY_USAGE_SYMMETRIC_KEY);
	ksef_buf *docs = calloc(sc->n ? sc->n : 1, sizeof(*docs));
	ksef_error err;
	size_t i;
	int rc = -1;

	sc->docs = docs;
	sc->lat = calloc(sc->n ? sc->n : 1, sizeof(*sc->lat));
	sc->lag = calloc(sc->n ? sc->n : 1, sizeof(*sc->lag));
	if (k == NULL || docs == NULL || sc->lat == NULL || sc->lag == NULL)
		goto out;
	for (i = 0; i < sc->n; i++)
		sc->lat[i] = -2; /* not sent (yet) */
	if (bench_docs_gen(docs, &o->gen, o->first_index, sc->n, NULL,
			   &err) != 0) {
		fprintf(stderr, "bench_ksefd: generate: %s\n", err.message);
		goto out;
	}
	for (i = 0; i < o->sessions; i++)
		if (load_session_open(&sessions[i], c, k) != 0)
			goto out;
	rc = 0;
out:
	ksef_pubkey_free(k);
	return rc;
}

int open_run(struct open_result *out, const struct target *t,
	     const struct open_options *o)
{
	struct schedule sc;
	struct session *sessions = calloc(o->sessions, sizeof(*sessions));
	struct sender *s = calloc(o->senders, sizeof(*s));
	pthread_t *tid = calloc(o->senders, sizeof(*tid));
	ksef_client *c = load_client_new(t);
	struct download_plan *dl = NULL;
	struct proc_sample before, after;
	double last_ok = 0;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&sc, 0, sizeof(sc));
	out->rate = o->rate;
	sc.t = t;
	sc.o = o;
	sc.sessions = sessions;
	sc.n = (size_t)llround(o->rate * o->duration);
	out->scheduled = sc.n;
	if ((sc.n + o->sessions - 1) / o->sessions > SESSION_MAX_INVOICES) {
		fprintf(stderr, "bench_ksefd: %zu invoices over %zu sessions "
			"pass the server's %d a session; add sessions "
			"(--threads)\n", sc.n, o->sessions,
			SESSION_MAX_INVOICES);
		goto out;
	}
	if (sessions == NULL || s == NULL || tid == NULL || c == NULL ||
	    (o->download_rate > 0 &&
	     download_plan_new(&dl, t, c, o->download_rate, o->duration,
			       o->downloaders) != 0) ||
	    prepare(&sc, sessions, c, o) != 0 ||
	    pthread_barrier_init(&sc.bar, NULL, (unsigned)o->senders + 1))
		goto out;
	atomic_init(&sc.next, 0);
	for (i = 0; i < o->senders; i++) {
		s[i].sc = &sc;
		if (pthread_create(&tid[i], NULL, run_sender, &s[i]) != 0) {
			fprintf(stderr, "bench_ksefd: cannot start threads\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&sc.bar);
	proc_sample(&before, o->server_pid);
	/* A short lead, so that every sender is asleep on its first slot
	 * before the first is due. */
	sc.t0 = bench_now() + 0.05;
	rc = dl != NULL && download_start(dl, sc.t0) != 0 ? -1 : 0;
	pthread_barrier_wait(&sc.bar);
	for (i = 0; i < o->senders; i++) {
		pthread_join(tid[i], NULL);
		if (!s[i].ready)
			rc = -1;
		tally_merge(&out->send_errors, &s[i].send_errors);
		if (s[i].last_ok > last_ok)
			last_ok = s[i].last_ok;
	}
	pthread_barrier_destroy(&sc.bar);
	if (dl != NULL)
		download_finish(&out->dl, dl);
	for (i = 0; i < sc.n; i++)
		out->accepted += sc.lat[i] >= 0;
	out->achieved = last_ok > sc.t0 ? out->accepted / (last_ok - sc.t0)
					: 0;
	latencies(out, &sc);
	await_all(out, &sc, c);
	proc_sample(&after, o->server_pid);
	server_use_between(&out->server, &before, &after, out->accepted);
out:
	for (i = 0; sessions != NULL && i < o->sessions; i++)
		load_session_close(&sessions[i], c);
	download_plan_free(dl);
	bench_docs_free((ksef_buf *)sc.docs, sc.n);
	free(sc.lat);
	free(sc.lag);
	free(sessions);
	free(s);
	free(tid);
	ksef_client_free(c);
	return rc;
}
