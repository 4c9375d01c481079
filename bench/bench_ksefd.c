/*
 * bench_ksefd.c - throughput of a running ksefd through its whole API:
 * T client threads, each with its own interactive session, send N
 * distinct FA (3) invoices of a chosen size (encrypt, POST, 202), then
 * every invoice is polled until verified. Reports the accept rate (202s
 * per second) and the end-to-end rate (invoices verified per second). A
 * benchmark with a report, never a test.
 *
 *   bench_ksefd --base-url URL --nip NIP --token TOKEN
 *               [--invoices N] [--threads T] [--size BYTES]
 *
 * scripts/bench-ksefd.sh starts a fresh ksefd and runs this against it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ksef/ksef.h"

static const char *base, *nip, *token;
static size_t per_thread = 250, size = 10000;
static char access_token[8192];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static ksef_client *new_client(void)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;

	o.base_url = base;
	if (ksef_client_new(&c, &o, NULL) != 0)
		return NULL;
	if (access_token[0] &&
	    ksef_client_set_access_token(c, access_token, NULL) != 0) {
		ksef_client_free(c);
		return NULL;
	}
	return c;
}

static ksef_pubkey *key_for(ksef_client *c, unsigned usage)
{
	ksef_api_pubkey_certs *certs = NULL;
	const ksef_api_pubkey_cert *pick;
	ksef_pubkey *k = NULL;

	if (ksef_client_pubkey_certs(&certs, c, NULL) != 0)
		return NULL;
	pick = ksef_api_pubkey_certs_pick(certs, usage,
					  ksef_time_now().unix_ms);
	if (pick != NULL &&
	    ksef_pubkey_load(&k, (const unsigned char *)pick->certificate,
			     strlen(pick->certificate), NULL) != 0)
		k = NULL;
	ksef_api_pubkey_certs_free(certs);
	return k;
}

static int login(void)
{
	ksef_client *c = new_client();
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	ksef_api_auth_status *st = NULL;
	ksef_api_tokens *t = NULL;
	ksef_pubkey *k = c ? key_for(c, KSEF_KEY_USAGE_KSEF_TOKEN) : NULL;
	ksef_error err;
	int rc = -1;

	if (k == NULL || ksef_client_auth_challenge(&ch, c, &err) != 0 ||
	    ksef_client_auth_ksef_token(&init, c, ch, KSEF_CONTEXT_NIP, nip,
					token, k, NULL, &err) != 0)
		goto out;
	do {
		ksef_api_auth_status_free(st);
		st = NULL;
		if (ksef_client_auth_status(&st, c, init->reference_number,
			init->authentication_token->token, &err) != 0)
			goto out;
	} while (st->status->code == 100);
	if (st->status->code == 200 &&
	    ksef_client_auth_redeem(&t, c, init->authentication_token->token,
				    &err) == 0) {
		snprintf(access_token, sizeof(access_token), "%s",
			 t->access_token->token);
		rc = 0;
	}
out:
	ksef_api_tokens_free(t);
	ksef_api_auth_status_free(st);
	ksef_api_auth_init_free(init);
	ksef_api_challenge_free(ch);
	ksef_pubkey_free(k);
	ksef_client_free(c);
	return rc;
}

struct job {
	int id;
	char sref[KSEF_REFNUM_BUFSZ];
	char (*refs)[KSEF_REFNUM_BUFSZ];
	ksef_buf *docs;
	size_t sent, ok, failed;
	double send_done;
};

static void *sender(void *arg)
{
	struct job *j = arg;
	ksef_client *c = new_client();
	ksef_pubkey *k = c ? key_for(c, KSEF_KEY_USAGE_SYMMETRIC_KEY) : NULL;
	ksef_envelope *env = NULL;
	ksef_api_session_opened *s = NULL;
	ksef_invoice_meta meta;
	ksef_error err;
	size_t i;

	if (k == NULL || ksef_envelope_new(&env, &err) != 0 ||
	    ksef_client_session_open(&s, c, KSEF_FORM_FA3, env, k, &err) != 0) {
		fprintf(stderr, "bench_ksefd: open failed\n");
		goto out;
	}
	snprintf(j->sref, sizeof(j->sref), "%s", s->reference_number);
	for (i = 0; i < per_thread; i++) {
		if (ksef_client_invoice_send(j->refs[i], &meta, c, j->sref, env,
				j->docs[i].ptr, j->docs[i].size, NULL, &err) != 0) {
			fprintf(stderr, "bench_ksefd: send: %s\n", err.message);
			break;
		}
		j->sent++;
	}
	j->send_done = now_s();
	/* Every invoice to its verdict. */
	for (i = 0; i < j->sent; i++) {
		ksef_api_invoice_status *st = NULL;

		for (;;) {
			if (ksef_client_session_invoice(&st, c, j->sref,
					j->refs[i], &err) != 0)
				break;
			if (st->status->code >= 200)
				break;
			ksef_api_invoice_status_free(st);
			st = NULL;
			pause_ms(5);
		}
		if (st != NULL && st->status->code == 200)
			j->ok++;
		else
			j->failed++;
		ksef_api_invoice_status_free(st);
	}
	if (ksef_client_session_close(c, j->sref, &err) != 0)
		fprintf(stderr, "bench_ksefd: close: %s\n", err.message);
out:
	ksef_api_session_opened_free(s);
	ksef_envelope_free(env);
	ksef_pubkey_free(k);
	ksef_client_free(c);
	return NULL;
}

int main(int argc, char **argv)
{
	size_t threads = 4, total = 1000, t, i, sent = 0, ok = 0, failed = 0;
	ksef_gen_options go = KSEF_GEN_OPTIONS_INIT;
	struct job *jobs;
	pthread_t *tid;
	double t0, t_sent = 0, t_done;
	int a;

	for (a = 1; a + 1 < argc; a += 2) {
		if (strcmp(argv[a], "--base-url") == 0) base = argv[a + 1];
		else if (strcmp(argv[a], "--nip") == 0) nip = argv[a + 1];
		else if (strcmp(argv[a], "--token") == 0) token = argv[a + 1];
		else if (strcmp(argv[a], "--invoices") == 0)
			total = strtoul(argv[a + 1], NULL, 10);
		else if (strcmp(argv[a], "--threads") == 0)
			threads = strtoul(argv[a + 1], NULL, 10);
		else if (strcmp(argv[a], "--size") == 0)
			size = strtoul(argv[a + 1], NULL, 10);
		else
			break;
	}
	if (base == NULL || nip == NULL || token == NULL || threads == 0 ||
	    threads > 64 || total < threads || a < argc) {
		fprintf(stderr, "usage: bench_ksefd --base-url URL --nip NIP "
			"--token TOKEN [--invoices N] [--threads T] "
			"[--size BYTES]\n");
		return 2;
	}
	per_thread = total / threads;
	if (ksef_global_init() != 0 || login() != 0) {
		fprintf(stderr, "bench_ksefd: cannot log in\n");
		return 1;
	}
	jobs = calloc(threads, sizeof(*jobs));
	tid = calloc(threads, sizeof(*tid));
	go.seller_nip = nip;
	go.target_bytes = size;
	go.seed = (uint64_t)time(NULL);
	for (t = 0; t < threads; t++) {
		jobs[t].id = (int)t;
		jobs[t].refs = calloc(per_thread, sizeof(*jobs[t].refs));
		jobs[t].docs = calloc(per_thread, sizeof(ksef_buf));
		for (i = 0; i < per_thread; i++)
			if (ksef_gen_invoice(&jobs[t].docs[i], &go,
					     t * per_thread + i + 1, NULL) != 0)
				return 1;
	}
	t0 = now_s();
	for (t = 0; t < threads; t++)
		pthread_create(&tid[t], NULL, sender, &jobs[t]);
	for (t = 0; t < threads; t++) {
		pthread_join(tid[t], NULL);
		sent += jobs[t].sent;
		ok += jobs[t].ok;
		failed += jobs[t].failed;
		if (jobs[t].send_done > t_sent)
			t_sent = jobs[t].send_done;
	}
	t_done = now_s();
	printf("ksefd at %s: %zu FA (3) invoices of ~%zu bytes, %zu client "
	       "threads (one session each)\n", base, sent, size, threads);
	printf("  accepted (202, durable): %8.0f invoices/s (%.2f s)\n",
	       sent / (t_sent - t0), t_sent - t0);
	printf("  verified end to end:     %8.0f invoices/s (%.2f s); "
	       "200: %zu, other: %zu\n", ok / (t_done - t0), t_done - t0, ok,
	       failed);
	for (t = 0; t < threads; t++) {
		for (i = 0; i < per_thread; i++)
			ksef_buf_dispose(&jobs[t].docs[i]);
		free(jobs[t].docs);
		free(jobs[t].refs);
	}
	free(jobs);
	free(tid);
	return failed ? 1 : 0;
}
