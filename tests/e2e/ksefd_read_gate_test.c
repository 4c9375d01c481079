/*
 * ksefd_read_gate_test.c - the read gate (--max-reads, --read-wait-ms)
 * against the real ksefd on a slow disk: the fault library (iofault.c,
 * IOFAULT_OPS=read) makes every read of the store's files wait, as reads
 * of cold rows wait for a disk, and one slot serves them.
 *
 *  - With a long wait, a burst of concurrent downloads (invoices, their
 *    UPOs, the session's listing) is all served, each with the exact
 *    bytes, none lost, while invoices sent meanwhile are answered 202.
 *  - With a wait shorter than one read, the downloads that find the slot
 *    taken are answered 429 with Retry-After: 1 in the API's form, and
 *    every other one 200: no third outcome.
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "e2e.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
/* Invoices stored before the disk turns slow, downloaded in bursts. */
#define STORED 4
#define BURST 8
/* What each read of the store's files waits while the disk is slow. */
#define READ_DELAY_MS "100"

struct world {
	char *dir;
	char data[300];
	char trigger[300];
	struct ksefd_proc p;
	char tok[256];
	struct login l;
	ksef_envelope *env;
	char sref[KSEF_REFNUM_BUFSZ];
	char ksef[STORED][KSEF_NUMBER_BUFSZ];
	ksef_buf plain[STORED];   /* downloaded while the disk was fast */
	ksef_buf upo[STORED];     /* the same for their UPOs */
	ksef_buf xml;
	uint64_t serial;
};

/* The current case's, for teardown() to clean up after a failure. */
static struct world run;

/* What a download fetches. */
enum kind { INVOICE, UPO, LISTING, KINDS };

struct download {
	struct world *w;
	int k;                    /* which stored invoice */
	enum kind kind;
	size_t listed;            /* LISTING: invoices on the page */
	int rc, status;
	long retry_after;
	int code;                 /* the 429's status.code */
	ksef_buf body;
};

static void slow_disk(const struct world *w, int on)
{
	FILE *f;

	if (on) {
		f = fopen(w->trigger, "w");
		assert_non_null(f);
		fclose(f);
	} else {
		assert_int_equal(unlink(w->trigger), 0);
	}
}

static void send_one(struct world *w, char iref[KSEF_REFNUM_BUFSZ])
{
	gen(&w->xml, KSEF_FORM_FA3, NIP, "GATE", ++w->serial, NULL);
	send_xml(&w->l, w->sref, w->env, &w->xml, iref);
}

static void start(struct world *w, const char *wait_ms)
{
	const char *const args[] = { "--max-reads", "1", "--read-wait-ms",
				     wait_ms, "--processing-delay", "0",
				     NULL };
	char preload[1024], prefix[400], iref[KSEF_REFNUM_BUFSZ];
	ksef_api_invoice_status *st;
	ksef_error err;
	int k;

	memset(w, 0, sizeof(*w));
	w->xml = (ksef_buf)KSEF_BUF_INIT;
	w->dir = ts_mkdtemp();
	snprintf(w->data, sizeof(w->data), "%s/data", w->dir);
	snprintf(w->trigger, sizeof(w->trigger), "%s/slow-disk", w->dir);
	assert_int_equal(mkdir(w->data, 0700), 0);
	snprintf(preload, sizeof(preload), "%s%s%s", KSEF_ASAN_RUNTIME,
		 KSEF_ASAN_RUNTIME[0] ? " " : "", KSEF_IOFAULT_LIB);
	snprintf(prefix, sizeof(prefix), "%s/ksefd.sqlite3", w->data);
	assert_int_equal(access(KSEF_IOFAULT_LIB, R_OK), 0);
	setenv("LD_PRELOAD", preload, 1);
	setenv("IOFAULT_PREFIX", prefix, 1);
	setenv("IOFAULT_TRIGGER", w->trigger, 1);
	setenv("IOFAULT_OPS", "read", 1);
	setenv("IOFAULT_READ_DELAY_MS", READ_DELAY_MS, 1);
	ksefd_start(&w->p, w->data, args);
	unsetenv("LD_PRELOAD");
	unsetenv("IOFAULT_PREFIX");
	unsetenv("IOFAULT_TRIGGER");
	unsetenv("IOFAULT_OPS");
	unsetenv("IOFAULT_READ_DELAY_MS");

	ksefd_token(&w->p, NIP, "InvoiceWrite,InvoiceRead", w->tok,
		    sizeof(w->tok));
	login(&w->l, &w->p, NIP, w->tok);
	open_session(&w->l, KSEF_FORM_FA3, &w->env, w->sref);
	for (k = 0; k < STORED; k++) {
		send_one(w, iref);
		st = wait_invoice(&w->l, w->sref, iref);
		assert_int_equal(st->status->code, 200);
		snprintf(w->ksef[k], KSEF_NUMBER_BUFSZ, "%s", st->ksef_number);
		ksef_api_invoice_status_free(st);
		w->plain[k] = (ksef_buf)KSEF_BUF_INIT;
		assert_int_equal(ksef_client_invoice_download(&w->plain[k],
			w->l.c, w->ksef[k], &err), 0);
		w->upo[k] = (ksef_buf)KSEF_BUF_INIT;
		assert_int_equal(ksef_client_upo_by_ksef_number(&w->upo[k],
			w->l.c, w->sref, w->ksef[k], &err), 0);
	}
}

static void stop(struct world *w)
{
	int k;

	assert_int_equal(ksefd_stop(&w->p), 0);
	w->p.pid = 0;
	logout(&w->l);
	ksef_envelope_free(w->env);
	ksef_buf_dispose(&w->xml);
	for (k = 0; k < STORED; k++) {
		ksef_buf_dispose(&w->plain[k]);
		ksef_buf_dispose(&w->upo[k]);
	}
	ts_rmdir(w->dir);
	w->dir = NULL;
}

static int fetch(struct download *d, ksef_client *c, ksef_error *err)
{
	ksef_api_invoice_list *page = NULL;
	int rc;

	switch (d->kind) {
	case UPO:
		return ksef_client_upo_by_ksef_number(&d->body, c, d->w->sref,
						      d->w->ksef[d->k], err);
	case LISTING:
		rc = ksef_client_session_invoices(&page, c, d->w->sref, 0, 100,
						  NULL, err);
		d->listed = ksef_api_invoice_list_count(page);
		ksef_api_invoice_list_free(page);
		return rc;
	default:
		return ksef_client_invoice_download(&d->body, c,
						    d->w->ksef[d->k], err);
	}
}

/* One download on a client of its own (a connection of its own), which
 * shows a 429 instead of waiting it out. */
static void *download_main(void *arg)
{
	struct download *d = arg;
	const ksef_api_error *e;
	ksef_client *c = client_for(&d->w->p);
	ksef_error err;

	d->body = (ksef_buf)KSEF_BUF_INIT;
	d->retry_after = -1;
	if (ksef_client_set_access_token(c,
			d->w->l.tokens->access_token->token, &err) != 0) {
		d->rc = -1;
	} else {
		d->rc = fetch(d, c, &err);
		d->status = ksef_client_last_http_status(c);
		if (d->rc != 0 && (e = ksef_client_last_error(c)) != NULL)
			d->retry_after = e->retry_after;
	}
	ksef_client_free(c);
	return NULL;
}

static void burst(struct world *w, struct download *d, pthread_t *t,
		  int mixed)
{
	int i;

	for (i = 0; i < BURST; i++) {
		d[i].w = w;
		d[i].k = i % STORED;
		d[i].kind = mixed ? (enum kind)(i % KINDS) : INVOICE;
		assert_int_equal(pthread_create(&t[i], NULL, download_main,
						&d[i]), 0);
	}
}

static void queued_downloads_are_served_and_sends_go_on(void **state)
{
	struct world *w = &run;
	struct download d[BURST];
	pthread_t t[BURST];
	char iref[3][KSEF_REFNUM_BUFSZ];
	ksef_api_invoice_status *st;
	int i;

	(void)state;
	memset(d, 0, sizeof(d));
	start(w, "60000");
	slow_disk(w, 1);
	burst(w, d, t, 1);
	/* Sent while the downloads queue for the one slot: each is answered
	 * 202 (send_xml fails the test otherwise). */
	for (i = 0; i < 3; i++)
		send_one(w, iref[i]);
	for (i = 0; i < BURST; i++)
		pthread_join(t[i], NULL);
	slow_disk(w, 0);
	for (i = 0; i < BURST; i++) {
		const ksef_buf *want = d[i].kind == UPO ? &w->upo[d[i].k] :
			&w->plain[d[i].k];

		assert_int_equal(d[i].rc, 0);
		assert_int_equal(d[i].status, 200);
		if (d[i].kind == LISTING) {
			assert_true(d[i].listed >= STORED);
			continue;
		}
		assert_int_equal(d[i].body.size, want->size);
		assert_memory_equal(d[i].body.ptr, want->ptr, want->size);
		ksef_buf_dispose(&d[i].body);
	}
	for (i = 0; i < 3; i++) {
		st = wait_invoice(&w->l, w->sref, iref[i]);
		assert_int_equal(st->status->code, 200);
		ksef_api_invoice_status_free(st);
	}
	stop(w);
}

static void past_the_wait_comes_429_and_nothing_else(void **state)
{
	struct world *w = &run;
	struct download d[BURST];
	pthread_t t[BURST];
	char iref[KSEF_REFNUM_BUFSZ];
	int i, ok = 0, refused = 0;

	(void)state;
	memset(d, 0, sizeof(d));
	start(w, "50");
	slow_disk(w, 1);
	/* A commit: every reader's page cache is stale now, so the first
	 * download reads the disk, and holds the slot past the wait. */
	send_one(w, iref);
	burst(w, d, t, 0);
	for (i = 0; i < BURST; i++)
		pthread_join(t[i], NULL);
	slow_disk(w, 0);
	for (i = 0; i < BURST; i++) {
		if (d[i].rc == 0) {
			assert_int_equal(d[i].status, 200);
			assert_memory_equal(d[i].body.ptr,
					    w->plain[d[i].k].ptr,
					    w->plain[d[i].k].size);
			ok++;
		} else {
			assert_int_equal(d[i].rc, KSEF_ERATELIMIT);
			assert_int_equal(d[i].status, 429);
			assert_int_equal(d[i].retry_after, 1);
			refused++;
		}
		ksef_buf_dispose(&d[i].body);
	}
	assert_int_equal(ok + refused, BURST);
	assert_true(ok >= 1);
	assert_true(refused >= 1);
	stop(w);
}

/* A failed case leaves its ksefd running and its folder behind. */
static int teardown(void **state)
{
	(void)state;
	if (run.p.pid > 0)
		ksefd_kill9(&run.p);
	if (run.dir != NULL)
		ts_rmdir(run.dir);
	run.dir = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(
			queued_downloads_are_served_and_sends_go_on, teardown),
		cmocka_unit_test_teardown(
			past_the_wait_comes_429_and_nothing_else, teardown),
	};

	if (ksef_global_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
