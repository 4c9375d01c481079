/*
 * load_download.c - the downloads an open loop runs alongside its sends:
 * what earlier sessions stored, fetched back as their owner would fetch
 * it (invoices by KSeF number, invoice and session UPOs, the session's
 * invoice listing). A server that only takes invoices in is not yet
 * soaked: reading old rows while new ones are written is what keeps the
 * database's cold pages, the UPO signing and the response buffers busy.
 *
 * DESIGN: the targets are found on the server itself before the load
 * starts, so that a run needs nothing from the runs before it: the
 * context's processed sessions (GET /sessions, Succeeded), a sample of
 * up to DL_SESSIONS of them spread from the newest to the oldest, and of
 * each its UPO pages (GET /sessions/{ref}) and the KSeF numbers of its
 * first listing page. The schedule is open-loop like the sends'
 * (load_open.c): download j is due at t0 + j / R whatever became of the
 * ones before it, and its latency runs from that time to the end of the
 * 200's body. Its kind follows a fixed mix, and its target a hash of j,
 * so that every run asks for the same spread of old and new rows. W
 * worker threads, each with its own client and connection, take the next
 * slot from an atomic counter, as the senders do.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "load.h"

/* Sessions sampled for targets: enough to reach well back into a long
 * soak's data, few enough that finding them costs a second at most. */
#define DL_SESSIONS 16
/* Session listing pages read to find them, of DL_SESSION_PAGE each. */
#define DL_SESSION_PAGES 10
#define DL_SESSION_PAGE 1000
/* A sampled session's invoices: its first listing page, of this many. */
#define DL_INVOICE_PAGE 1000
/* The listing a download reads: a page as a client browsing would ask
 * for, not the bulk poll's 1000. */
#define DL_LISTING_PAGE 100
/* Sessions closed but not yet processed become Succeeded within one
 * housekeeping tick of ksefd (500 ms), and get their UPO page numbers
 * just after: wait for both, so that the sessions a previous run has just
 * closed are among the targets, whole, whatever the moment it ended. A
 * server that takes longer than this is stuck, and is said to be. */
#define DL_SETTLE_S 30.0
/* A start this much after its schedule counts as late (as the sends'). */
#define LATE_S 0.001

/*
 * The kinds in turn: of every 16 downloads 9 invoices, 4 invoice UPOs, 2
 * listings and one session UPO page, which only every SESSION_UPO_EVERY
 * turns of the table keeps (the others fetch an invoice instead). A
 * session UPO page lists up to 10,000 invoices, megabytes of signed XML,
 * and a client fetches it once a session while it fetches invoices one
 * by one; it still comes early in the table, so that a run of a few
 * seconds fetches one too.
 */
#define SESSION_UPO_EVERY 4
static const unsigned char mix[16] = {
	DL_INVOICE, DL_INVOICE_UPO, DL_INVOICE, DL_LISTING,
	DL_INVOICE, DL_INVOICE_UPO, DL_INVOICE, DL_SESSION_UPO,
	DL_INVOICE, DL_INVOICE_UPO, DL_INVOICE, DL_LISTING,
	DL_INVOICE, DL_INVOICE_UPO, DL_INVOICE, DL_INVOICE,
};

static const char *const kind_names[DL_KINDS] = {
	[DL_INVOICE] = "invoice",
	[DL_INVOICE_UPO] = "invoice_upo",
	[DL_SESSION_UPO] = "session_upo",
	[DL_LISTING] = "listing",
};

struct dl_invoice {
	size_t session;
	char ksef[KSEF_NUMBER_BUFSZ];
};

struct dl_upo {
	size_t session;
	char ref[KSEF_REFNUM_BUFSZ];
};

struct slot {
	unsigned char kind;
	size_t target;     /* index into the kind's targets */
	double lat;        /* due to the 200's end; -1 failed, -2 unsent */
	double lag;        /* due to the actual start */
	int status;        /* the HTTP status of a failure */
	size_t bytes;
};

struct worker {
	struct download_plan *p;
	ksef_client *c;
	pthread_t tid;
	int started;
};

struct download_plan {
	const struct target *t;
	double rate, t0;
	char (*sess)[KSEF_REFNUM_BUFSZ];
	size_t nsess;
	struct dl_invoice *inv;
	size_t ninv;
	struct dl_upo *upo;
	size_t nupo;
	struct slot *slots;
	size_t n;
	atomic_size_t next;
	atomic_int reported;  /* the first failure is printed, once */
	struct worker *w;
	size_t nworkers;
};

const char *download_kind_name(enum download_kind k)
{
	return (unsigned)k < DL_KINDS ? kind_names[k] : "?";
}

/* splitmix64's finaliser: slot numbers spread evenly over the targets. */
static uint64_t spread(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/*
 * The context's processed sessions that accepted something, newest
 * first, into *refs (n of them); *closing counts those closed but not yet
 * processed (on the first page of those in progress) just before. 0, or
 * -1 if a listing failed.
 */
static int list_sessions(char (**refs)[KSEF_REFNUM_BUFSZ], size_t *n,
			 size_t *closing, ksef_client *c)
{
	ksef_client_session_query q = KSEF_CLIENT_SESSION_QUERY_INIT;
	ksef_api_session_list *page = NULL;
	char *cont = NULL;
	size_t pages = 0, i, cap = 0;
	ksef_error err;
	int rc = -1;

	*refs = NULL;
	*n = *closing = 0;
	q.page_size = DL_SESSION_PAGE;
	/* The closing ones first. A session only moves on, from open (100)
	 * to closed (170) to processed (200), so one that is not closing
	 * now is processed by the next listing, if it ever will be; asked
	 * the other way round, one could pass from 170 to 200 between the
	 * listings and be in neither. InProgress covers open and closed
	 * sessions alike, and only the closed ones are about to finish. */
	q.statuses = KSEF_SESSION_STATUS_IN_PROGRESS;
	if (ksef_client_sessions(&page, c, &q, NULL, &err) != 0) {
		fprintf(stderr, "bench_ksefd: session listing: %s\n",
			err.message);
		return -1;
	}
	for (i = 0; i < ksef_api_session_list_count(page); i++)
		*closing += ksef_api_session_list_at(page, i)->status->code ==
			    170;
	ksef_api_session_list_free(page);
	page = NULL;
	q.statuses = KSEF_SESSION_STATUS_SUCCEEDED;
	do {
		const char *next;
		size_t m;

		if (ksef_client_sessions(&page, c, &q, cont, &err) != 0) {
			fprintf(stderr, "bench_ksefd: session listing: %s\n",
				err.message);
			goto out;
		}
		free(cont);
		cont = NULL;
		m = ksef_api_session_list_count(page);
		if (*n + m > cap) {
			void *grown = realloc(*refs, (*n + m) * sizeof(**refs));

			if (grown == NULL)
				goto out;
			*refs = grown;
			cap = *n + m;
		}
		for (i = 0; i < m; i++) {
			const ksef_api_session_item *s =
				ksef_api_session_list_at(page, i);

			if (s->successful_invoice_count > 0)
				snprintf((*refs)[(*n)++], KSEF_REFNUM_BUFSZ,
					 "%s", s->reference_number);
		}
		next = ksef_api_session_list_continuation(page);
		if (next != NULL && (cont = strdup(next)) == NULL)
			goto out;
		ksef_api_session_list_free(page);
		page = NULL;
	} while (cont != NULL && ++pages < DL_SESSION_PAGES);
	rc = 0;
out:
	ksef_api_session_list_free(page);
	free(cont);
	return rc;
}

/* Session k's UPO pages and its first page of accepted invoices; *paged
 * is 0 if it has no UPO page yet. */
static int add_targets(int *paged, struct download_plan *p, size_t k,
		       ksef_client *c)
{
	ksef_api_session_status *st = NULL;
	ksef_api_invoice_list *page = NULL;
	size_t i, m;
	ksef_error err;
	void *grown;
	int rc = -1;

	if (ksef_client_session_status(&st, c, p->sess[k], &err) != 0 ||
	    ksef_client_session_invoices(&page, c, p->sess[k], 0,
			DL_INVOICE_PAGE, NULL, &err) != 0) {
		fprintf(stderr, "bench_ksefd: download targets: %s\n",
			err.message);
		goto out;
	}
	m = ksef_api_upo_pages_count(st->upo_pages);
	*paged = m > 0;
	grown = realloc(p->upo, (p->nupo + m + 1) * sizeof(*p->upo));
	if (grown == NULL)
		goto out;
	p->upo = grown;
	for (i = 0; i < m; i++) {
		p->upo[p->nupo].session = k;
		snprintf(p->upo[p->nupo++].ref, KSEF_REFNUM_BUFSZ, "%s",
			 ksef_api_upo_pages_at(st->upo_pages, i)->
			 reference_number);
	}
	m = ksef_api_invoice_list_count(page);
	grown = realloc(p->inv, (p->ninv + m + 1) * sizeof(*p->inv));
	if (grown == NULL)
		goto out;
	p->inv = grown;
	for (i = 0; i < m; i++) {
		const ksef_api_invoice_status *s =
			ksef_api_invoice_list_at(page, i);

		if (s->status->code != 200 || s->ksef_number == NULL)
			continue;
		p->inv[p->ninv].session = k;
		snprintf(p->inv[p->ninv++].ksef, KSEF_NUMBER_BUFSZ, "%s",
			 s->ksef_number);
	}
	rc = 0;
out:
	ksef_api_invoice_list_free(page);
	ksef_api_session_status_free(st);
	return rc;
}

/* Forget the targets found so far, to look again. */
static void drop_targets(struct download_plan *p)
{
	free(p->sess);
	free(p->inv);
	free(p->upo);
	p->sess = NULL;
	p->inv = NULL;
	p->upo = NULL;
	p->nsess = p->ninv = p->nupo = 0;
}

static int find_targets(struct download_plan *p, ksef_client *c)
{
	char (*all)[KSEF_REFNUM_BUFSZ] = NULL;
	double deadline = bench_now() + DL_SETTLE_S;
	size_t n, closing, k, unpaged;
	int paged;

	for (;;) {
		drop_targets(p);
		if (list_sessions(&all, &n, &closing, c) != 0)
			goto fail;
		p->nsess = n < DL_SESSIONS ? n : DL_SESSIONS;
		p->sess = calloc(p->nsess ? p->nsess : 1, sizeof(*p->sess));
		if (p->sess == NULL)
			goto fail;
		/* Evenly from the newest to the oldest, both included. */
		for (k = 0; k < p->nsess; k++)
			memcpy(p->sess[k], all[p->nsess > 1 ?
				k * (n - 1) / (p->nsess - 1) : 0],
			       KSEF_REFNUM_BUFSZ);
		free(all);
		all = NULL;
		unpaged = 0;
		for (k = 0; k < p->nsess; k++) {
			if (add_targets(&paged, p, k, c) != 0)
				goto fail;
			unpaged += !paged;
		}
		if (closing == 0 && unpaged == 0)
			return 0;
		if (bench_now() > deadline) {
			fprintf(stderr, "bench_ksefd: after %.0f s, %zu "
				"sessions still closing and %zu without UPO "
				"pages\n", DL_SETTLE_S, closing, unpaged);
			return 0;
		}
		bench_sleep_ms(100);
	}
fail:
	free(all);
	return -1;
}

/* Give each slot its kind and target; a kind with nothing to fetch
 * gives its turn to an invoice. */
static void plan_slots(struct download_plan *p)
{
	size_t j;

	for (j = 0; j < p->n; j++) {
		struct slot *s = &p->slots[j];
		uint64_t h = spread(j);

		s->kind = mix[j % sizeof(mix)];
		if (s->kind == DL_SESSION_UPO &&
		    (p->nupo == 0 || j / sizeof(mix) % SESSION_UPO_EVERY))
			s->kind = DL_INVOICE;
		s->target = (size_t)(h % (s->kind == DL_INVOICE ||
			      s->kind == DL_INVOICE_UPO ? p->ninv :
			      s->kind == DL_SESSION_UPO ? p->nupo : p->nsess));
		s->lat = -2;
	}
}

int download_plan_new(struct download_plan **out, const struct target *t,
		      ksef_client *c, double rate, double duration,
		      size_t workers)
{
	struct download_plan *p = calloc(1, sizeof(*p));
	size_t i;

	*out = NULL;
	if (p == NULL)
		return -1;
	p->t = t;
	p->rate = rate;
	atomic_init(&p->next, 0);
	atomic_init(&p->reported, 0);
	if (find_targets(p, c) != 0)
		goto fail;
	if (p->ninv == 0) {
		fprintf(stderr, "bench_ksefd: nothing stored yet to download; "
			"no downloads at this rate\n");
		*out = p;
		return 0;
	}
	p->n = (size_t)llround(rate * duration);
	p->slots = calloc(p->n ? p->n : 1, sizeof(*p->slots));
	p->w = calloc(workers, sizeof(*p->w));
	if (p->slots == NULL || p->w == NULL)
		goto fail;
	p->nworkers = workers;
	for (i = 0; i < workers; i++) {
		p->w[i].p = p;
		if ((p->w[i].c = load_client_new(t)) == NULL)
			goto fail;
	}
	plan_slots(p);
	*out = p;
	return 0;
fail:
	download_plan_free(p);
	return -1;
}

static int fetch(size_t *bytes, ksef_buf *body, ksef_client *c,
		 const struct download_plan *p, const struct slot *s,
		 ksef_error *err)
{
	ksef_api_invoice_list *page = NULL;
	int rc;

	*bytes = 0;
	switch (s->kind) {
	case DL_INVOICE:
		rc = ksef_client_invoice_download(body, c,
			p->inv[s->target].ksef, err);
		break;
	case DL_INVOICE_UPO:
		rc = ksef_client_upo_by_ksef_number(body, c,
			p->sess[p->inv[s->target].session],
			p->inv[s->target].ksef, err);
		break;
	case DL_SESSION_UPO:
		rc = ksef_client_upo_session_page(body, c,
			p->sess[p->upo[s->target].session],
			p->upo[s->target].ref, err);
		break;
	default:
		rc = ksef_client_session_invoices(&page, c,
			p->sess[s->target], 0, DL_LISTING_PAGE, NULL, err);
		ksef_api_invoice_list_free(page);
		return rc;
	}
	if (rc == 0)
		*bytes = body->size;
	return rc;
}

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	struct download_plan *p = w->p;
	ksef_buf body = KSEF_BUF_INIT;
	ksef_error err;
	size_t j;

	for (;;) {
		struct slot *s;
		double due, start;

		j = atomic_fetch_add(&p->next, 1);
		if (j >= p->n)
			break;
		s = &p->slots[j];
		due = p->t0 + (double)j / p->rate;
		bench_sleep_until(due);
		start = bench_now();
		s->lag = start - due;
		if (fetch(&s->bytes, &body, w->c, p, s, &err) == 0) {
			s->lat = bench_now() - due;
		} else {
			s->lat = -1;
			s->status = ksef_client_last_http_status(w->c);
			if (atomic_exchange(&p->reported, 1) == 0)
				fprintf(stderr, "bench_ksefd: download (%s): "
					"%s\n", kind_names[s->kind],
					err.message);
		}
	}
	ksef_buf_dispose(&body);
	return NULL;
}

int download_start(struct download_plan *p, double t0)
{
	size_t i;

	p->t0 = t0;
	for (i = 0; p->n > 0 && i < p->nworkers; i++) {
		if (pthread_create(&p->w[i].tid, NULL, run_worker,
				   &p->w[i]) != 0) {
			fprintf(stderr, "bench_ksefd: cannot start threads\n");
			return -1;
		}
		p->w[i].started = 1;
	}
	return 0;
}

/* Latency quantiles of the 200s of one kind, or of all (kind < 0). */
static void quantiles(double q_out[4], const struct download_plan *p,
		      int kind, double *buf)
{
	size_t j, m = 0;

	for (j = 0; j < p->n; j++)
		if (p->slots[j].lat >= 0 &&
		    (kind < 0 || p->slots[j].kind == kind))
			buf[m++] = p->slots[j].lat;
	bench_sort(buf, m);
	q_out[0] = bench_quantile(buf, m, 0.50);
	q_out[1] = bench_quantile(buf, m, 0.90);
	q_out[2] = bench_quantile(buf, m, 0.99);
	q_out[3] = m ? buf[m - 1] : 0;
}

void download_finish(struct download_result *out, struct download_plan *p)
{
	double *buf, q[4], last = 0;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	out->rate = p->rate;
	out->target_sessions = p->nsess;
	out->target_invoices = p->ninv;
	out->target_upo_pages = p->nupo;
	out->scheduled = p->n;
	for (i = 0; i < p->nworkers; i++)
		if (p->w[i].started) {
			pthread_join(p->w[i].tid, NULL);
			p->w[i].started = 0;
		}
	for (j = 0; j < p->n; j++) {
		const struct slot *s = &p->slots[j];

		out->kind[s->kind].scheduled++;
		if (s->lat >= 0) {
			out->ok++;
			out->kind[s->kind].ok++;
			out->bytes += s->bytes;
			if (p->t0 + (double)j / p->rate + s->lat > last)
				last = p->t0 + (double)j / p->rate + s->lat;
		} else {
			tally_add(&out->errors, s->status, 1);
		}
		if (s->lag > LATE_S)
			out->late++;
		if (s->lag > out->max_lag)
			out->max_lag = s->lag;
	}
	out->achieved = last > p->t0 ? out->ok / (last - p->t0) : 0;
	buf = malloc((p->n ? p->n : 1) * sizeof(*buf));
	if (buf == NULL)
		return;
	quantiles(q, p, -1, buf);
	out->p50 = q[0];
	out->p90 = q[1];
	out->p99 = q[2];
	out->max = q[3];
	for (i = 0; i < DL_KINDS; i++) {
		quantiles(q, p, (int)i, buf);
		out->kind[i].p50 = q[0];
		out->kind[i].p99 = q[2];
	}
	free(buf);
}

void download_plan_free(struct download_plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; p->w != NULL && i < p->nworkers; i++) {
		if (p->w[i].started)
			pthread_join(p->w[i].tid, NULL);
		ksef_client_free(p->w[i].c);
	}
	free(p->w);
	free(p->slots);
	free(p->upo);
	free(p->inv);
	free(p->sess);
	free(p);
}
