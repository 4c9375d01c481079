/*
 * load_closed.c - the closed-loop load: T threads, each with its own
 * client and interactive session, send their invoices one after another as
 * fast as the server answers (encrypt with the session's envelope, POST,
 * 202), then read every invoice's final status back through the session's
 * invoice listing. The clock runs from the common start to the last 202
 * (accepted/s) and to the last final status (verified/s, end to end).
 *
 * Invoices are generated and sessions opened before the start, and
 * sessions are closed after the server's CPU is read, so that neither
 * generation nor RSA nor UPO making is in the figures.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "load.h"

/* This many failed sends in a row end a thread's sending: the server is
 * gone, and trying the rest only delays the report. */
#define MAX_FAILURES_IN_A_ROW 20

struct sender {
	const struct target *t;
	const struct closed_options *o;
	pthread_barrier_t *bar;
	size_t id;
	int ready;
	ksef_buf *docs;
	size_t doc_bytes, sent, pages;
	struct tally send_errors, statuses;
	double send_done, final_at;
	int awaited;  /* load_session_await()'s result */
};

static int set_up(struct sender *s, ksef_client *c, struct session *sess)
{
	const struct closed_options *o = s->o;
	ksef_pubkey *k = load_key(c, KSEF_KEY_USAGE_SYMMETRIC_KEY);
	ksef_error err;
	int rc = -1;

	s->docs = calloc(o->per_thread ? o->per_thread : 1,
			 sizeof(*s->docs));
	if (k == NULL || s->docs == NULL ||
	    load_session_open(sess, c, k) != 0)
		goto out;
	if (bench_docs_gen(s->docs, &o->gen,
			   o->first_index + s->id * o->per_thread,
			   o->per_thread, &s->doc_bytes, &err) != 0) {
		fprintf(stderr, "bench_ksefd: generate: %s\n", err.message);
		goto out;
	}
	rc = 0;
out:
	ksef_pubkey_free(k);
	return rc;
}

static void send_all(struct sender *s, ksef_client *c,
		     const struct session *sess)
{
	char ref[KSEF_REFNUM_BUFSZ];
	size_t i, in_a_row = 0;
	ksef_error err;

	for (i = 0; i < s->o->per_thread; i++) {
		if (ksef_client_invoice_send(ref, NULL, c, sess->ref, sess->env,
				s->docs[i].ptr, s->docs[i].size, NULL,
				&err) == 0) {
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

static void *run_sender(void *arg)
{
	struct sender *s = arg;
	ksef_client *c = load_client_new(s->t);
	struct session sess = { { 0 }, NULL };

	s->ready = c != NULL && set_up(s, c, &sess) == 0;
	pthread_barrier_wait(s->bar); /* all set up */
	pthread_barrier_wait(s->bar); /* the clock started */
	if (s->ready) {
		send_all(s, c, &sess);
		s->send_done = bench_now();
		s->awaited = load_session_await(&s->statuses, &s->pages,
				&s->final_at, s->t, c, sess.ref, s->sent);
	}
	pthread_barrier_wait(s->bar); /* all final */
	pthread_barrier_wait(s->bar); /* the server's CPU read */
	load_session_close(&sess, c);
	ksef_client_free(c);
	bench_docs_free(s->docs, s->o->per_thread);
	s->docs = NULL;
	return NULL;
}

int closed_run(struct closed_result *out, const struct target *t,
	       const struct closed_options *o)
{
	struct sender *s = calloc(o->threads, sizeof(*s));
	pthread_t *tid = calloc(o->threads, sizeof(*tid));
	pthread_barrier_t bar;
	struct proc_sample before, after;
	double t0, last_send = 0, last_final = 0;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (s == NULL || tid == NULL ||
	    pthread_barrier_init(&bar, NULL, (unsigned)o->threads + 1) != 0) {
		free(s);
		free(tid);
		return -1;
	}
	for (i = 0; i < o->threads; i++) {
		s[i] = (struct sender){ .t = t, .o = o, .bar = &bar, .id = i };
		if (pthread_create(&tid[i], NULL, run_sender, &s[i]) != 0) {
			/* The barrier counts on every thread. */
			fprintf(stderr, "bench_ksefd: cannot start threads\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&bar);
	proc_sample(&before, o->server_pid);
	t0 = bench_now();
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	proc_sample(&after, o->server_pid);
	pthread_barrier_wait(&bar);
	for (i = 0; i < o->threads; i++) {
		pthread_join(tid[i], NULL);
		if (!s[i].ready) {
			rc = -1;
			continue;
		}
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
	server_use_between(&out->server, &before, &after, out->sent);
	pthread_barrier_destroy(&bar);
	free(s);
	free(tid);
	return rc;
}
