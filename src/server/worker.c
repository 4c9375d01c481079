/*
 * worker.c - owns the verification threads and session housekeeping.
 *
 * DESIGN. An invoice is stored durably (status 100) before its 202, and
 * only then queued here, so the queue is just a fast path: on start the
 * pool re-queues every invoice the store still has in 100/150, and an
 * invoice whose verdict was already recorded is skipped when it comes up,
 * so a crash at any point neither loses an invoice nor verifies one twice.
 * Each thread takes the oldest queued invoice, decrypts it with the
 * session key (session_keys.c, which unwraps it again from the stored
 * wrapped key after a restart), checks metadata, XML rules and schema
 * (libksef), permissions and duplicates, and records the verdict in one
 * store write. A housekeeping thread closes sessions past validUntil and
 * gives closed sessions with nothing left to verify their final status
 * (verdict.c decides which), after which their keys are wiped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include "util/util.h"
#include "session_keys.h"
#include "upo_service.h"
#include "verdict.h"
#include "worker.h"

struct workers {
	struct server *srv;
	pthread_mutex_t lock;
	pthread_cond_t work;          /* queue not empty, or stopping */
	pthread_cond_t tick;          /* housekeeping wanted */
	char (*queue)[STORE_REF_SZ];  /* ring buffer */
	size_t head, count, cap;
	int stopping, kicked;
	pthread_t *threads;
	int nthreads;
	pthread_t housekeeper;
	int64_t purged_ms;            /* last challenge purge (housekeeper) */
};

/* How often the housekeeper forgets expired challenges, at most. */
#define PURGE_EVERY_MS 10000

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

void workers_kick(struct server *srv)
{
	struct workers *w = srv->workers;

	pthread_mutex_lock(&w->lock);
	w->kicked = 1;
	pthread_cond_signal(&w->tick);
	pthread_mutex_unlock(&w->lock);
}

size_t workers_queued(struct server *srv)
{
	struct workers *w = srv->workers;
	size_t n;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->lock);
	n = w->count;
	pthread_mutex_unlock(&w->lock);
	return n;
}

/* details as a JSON array text of one or more strings. */
static void set_details(store_invoice *inv, const char *const *lines,
			size_t n)
{
	json_t *a = json_array();
	char *s;
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(lines[i]));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	inv->status_details[0] = '\0';
	/* Cut whole details off rather than store broken JSON. */
	while (s != NULL && strlen(s) >= sizeof(inv->status_details) && n > 1) {
		free(s);
		n--;
		a = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(a, json_string(lines[i]));
		s = json_dumps(a, JSON_COMPACT);
		json_decref(a);
	}
	if (s != NULL && strlen(s) < sizeof(inv->status_details))
		strcpy(inv->status_details, s);
	free(s);
}

static void set_detail(store_invoice *inv, const char *line)
{
	set_details(inv, &line, 1);
}

static void copy_field(char *dst, size_t size, const ksef_verdict *v,
		       ksef_field f)
{
	const char *s = ksef_verdict_field(v, f);

	if (s != NULL && strlen(s) < size)
		strcpy(dst, s);
}

/* The seller may issue invoices in this context (SPEC 8.10): its NIP is
 * the context's, or the NIP part of an InternalId/NipVatUe context. */
static int seller_allowed(const store_session *s, const char *seller)
{
	if (seller == NULL || strlen(seller) != 10)
		return 0;
	if (strcmp(s->ctx_type, "Nip") == 0)
		return strcmp(s->ctx_value, seller) == 0;
	return strncmp(s->ctx_value, seller, 10) == 0;
}

static void assign_number(store_invoice *inv, const char *p1)
{
	int64_t now = server_now_ms();
	ksef_date today = ksef_time_date(ksef_time_warsaw(now)),
		  invoicing = ksef_time_date(ksef_time_warsaw(inv->invoicing_ms)),
		  issue;
	unsigned char rnd[6];
	uint64_t tech = 0;
	size_t i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		tech = (tech << 8) | rnd[i];
	if (ksef_number_generate(inv->ksef_number, inv->seller_nip,
				 strlen(inv->seller_nip), today, tech,
				 NULL) != 0)
		inv->ksef_number[0] = '\0';
	inv->acquisition_ms = now;
	/* Permanent storage follows acquisition (SPEC 4.16: always later). */
	inv->permanent_storage_ms = now + 1;
	/* offline/automatyczne-okreslanie-trybu-offline.md: an issue date
	 * before the day of sending makes the invoice an offline one. */
	if (inv->offline_mode ||
	    (p1 && ksef_date_parse(&issue, p1, strlen(p1), NULL) == 0 &&
	     ksef_date_cmp(issue, invoicing) < 0))
		strcpy(inv->invoicing_mode, "Offline");
	else
		strcpy(inv->invoicing_mode, "Online");
}

static void verify_invoice(struct workers *w, const char *ref)
{
	struct server *srv = w->srv;
	ksef_verify_options opts = KSEF_VERIFY_OPTIONS_INIT;
	ksef_buf ct = KSEF_BUF_INIT, plain = KSEF_BUF_INIT;
	char hash[KSEF_SHA256_B64_LEN + 1], date[KSEF_DATE_BUFSZ],
	     line[512];
	const char *details[KSEF_VERIFY_MAX_DETAILS];
	ksef_verdict *v = NULL;
	store_session s;
	store_invoice inv;
	ksef_error err;
	int rc;
	size_t i, n;

	if (store_invoice_get(srv->store, ref, &inv, &err) != 0 ||
	    (inv.status != 100 && inv.status != 150))
		return; /* unknown, or decided before a restart */
	if (store_session_get(srv->store, inv.session_ref, &s, &err) != 0 ||
	    store_invoice_ciphertext(srv->store, ref, &ct, &err) != 0) {
		inv.status = 500;
		set_detail(&inv, "Nie udało się odczytać faktury.");
		goto finish;
	}
	if (session_keys_decrypt(srv->session_keys, &s, ct.ptr, ct.size,
				 &plain, NULL) != 0) {
		inv.status = 435;
		set_detail(&inv, "Nie udało się odszyfrować faktury kluczem "
			   "sesji (AES-256-CBC, PKCS#7).");
		goto finish;
	}
	if ((int64_t)plain.size != inv.invoice_size) {
		inv.status = 430;
		snprintf(line, sizeof(line), "Rozmiar odszyfrowanej faktury "
			 "(%zu) nie zgadza się z invoiceSize (%lld).",
			 plain.size, (long long)inv.invoice_size);
		set_detail(&inv, line);
		goto finish;
	}
	if (ksef_sha256_base64(hash, plain.ptr, plain.size, NULL) != 0 ||
	    strcmp(hash, inv.invoice_hash) != 0) {
		inv.status = 430;
		set_detail(&inv, "Skrót odszyfrowanej faktury nie zgadza się z "
			   "invoiceHash.");
		goto finish;
	}
	opts.max_bytes = srv->cfg.max_invoice_bytes;
	opts.reject_attachments = 1;
	if (ksef_date_format(date, ksef_time_date(ksef_time_warsaw(
			     inv.invoicing_ms)), NULL) == 0)
		opts.acceptance_date = date;
	opts.check_nip_checksums = srv->cfg.production;
	if (ksef_invoice_verify(&v, srv->schemas, (ksef_form)s.form, plain.ptr,
				plain.size, &opts, &err) != 0) {
		inv.status = 500;
		set_detail(&inv, err.message);
		goto finish;
	}
	copy_field(inv.invoice_number, sizeof(inv.invoice_number), v,
		   KSEF_FIELD_INVOICE_NUMBER);
	copy_field(inv.seller_nip, sizeof(inv.seller_nip), v,
		   KSEF_FIELD_SELLER_NIP);
	copy_field(inv.invoice_kind, sizeof(inv.invoice_kind), v,
		   KSEF_FIELD_INVOICE_KIND);
	copy_field(inv.issue_date, sizeof(inv.issue_date), v,
		   KSEF_FIELD_ISSUE_DATE);
	inv.status = ksef_verdict_status(v);
	if (inv.status != KSEF_INVOICE_STATUS_OK) {
		n = ksef_verdict_detail_count(v);
		for (i = 0; i < n; i++)
			details[i] = ksef_verdict_detail(v, i);
		set_details(&inv, details, n);
		goto finish;
	}
	if (!seller_allowed(&s, inv.seller_nip)) {
		inv.status = 410;
		snprintf(line, sizeof(line), "Brak uprawnień do wystawienia "
			 "faktury w imieniu podmiotu %s w kontekście %s %s.",
			 inv.seller_nip, s.ctx_type, s.ctx_value);
		set_detail(&inv, line);
		goto finish;
	}
	assign_number(&inv, ksef_verdict_field(v, KSEF_FIELD_ISSUE_DATE));
finish:
	rc = store_invoice_finish(srv->store, &inv,
				  inv.status == 200 ? plain.ptr : NULL,
				  inv.status == 200 ? plain.size : 0, &err);
	if (rc == STORE_EXISTS) {
		/* Another invoice holds the duplicate key; nothing was
		 * written, and the store names the holder in inv. Record the
		 * 440 that makes of this one (see store_invoice_finish). */
		verdict_duplicate(&inv);
		rc = store_invoice_finish(srv->store, &inv, NULL, 0, &err);
	}
	if (rc != 0)
		fprintf(stderr, "ksefd: worker: %s: %s\n", ref, err.message);
	ksef_verdict_free(v);
	ksef_buf_dispose(&ct);
	ksef_buf_dispose_secure(&plain);
	workers_kick(srv);
}

static void *worker_main(void *arg)
{
	struct workers *w = arg;
	char ref[STORE_REF_SZ];

	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (w->count == 0 && !w->stopping)
			pthread_cond_wait(&w->work, &w->lock);
		if (w->count == 0 && w->stopping) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		if (w->stopping) {
			/* Leave the rest queued in the store for next time. */
			pthread_mutex_unlock(&w->lock);
			break;
		}
		memcpy(ref, w->queue[w->head], STORE_REF_SZ);
		w->head = (w->head + 1) % w->cap;
		w->count--;
		pthread_mutex_unlock(&w->lock);
		verify_invoice(w, ref);
	}
	return NULL;
}

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
		w->purged_ms = now;
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

int workers_start(struct server *srv, int threads, ksef_error *err)
{
	struct workers *w = calloc(1, sizeof(*w));
	char (*pending)[STORE_REF_SZ] = NULL;
	size_t n = 0, i;
	int error;

	if (w == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	w->srv = srv;
	srv->workers = w;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->tick, NULL);
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
	return 0;
}

void workers_stop(struct server *srv)
{
	struct workers *w = srv->workers;
	int t;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->work);
	pthread_cond_broadcast(&w->tick);
	pthread_mutex_unlock(&w->lock);
	for (t = 0; t < w->nthreads; t++)
		pthread_join(w->threads[t], NULL);
	pthread_join(w->housekeeper, NULL);
	free(w->queue);
	free(w->threads);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->tick);
	pthread_mutex_destroy(&w->lock);
	free(w);
	srv->workers = NULL;
}
