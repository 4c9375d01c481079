/*
 * metrics.c - owns ksefd's counters and their Prometheus text (metrics.h).
 * Whoever sees an event counts it here (http.c a request, worker.c and
 * batch.c an invoice stored, decide.c a verification, the store's writer
 * a group commit, router.c and reads.c a refusal); the handler of GET
 * /metrics (api_health.c) samples the queues and the fault counts and
 * asks for the text. Nothing here calls back into the server.
 *
 * DESIGN. ksefd answers some thousands of requests a second on several
 * threads, so counting must cost no lock and no allocation. Every counter
 * is a relaxed atomic in memory allocated once, at start:
 *
 *  - A status table is a fixed row of slots, each a status code and its
 *    count. A status takes the first free slot with a compare-and-swap,
 *    and keeps it; a thread that loses the race to another status tries
 *    the next slot. A route sees a handful of statuses, so a row of
 *    METRICS_STATUS_SLOTS is never full in practice; if it is, the rest
 *    count as status "other" rather than being lost.
 *  - A histogram counts each observation in one bucket (not the
 *    cumulative buckets of the text format, which are summed when the
 *    text is made), so an observation is one scan of at most
 *    METRICS_BUCKETS bounds and two additions.
 *
 * The text is made from loads that are not one snapshot: a count read a
 * moment before another may be one behind it. Prometheus takes counters
 * this way; a histogram's _count is the sum of its buckets, so the two
 * always agree with each other.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"

/* Statuses one route is counted by before the rest go to "other". */
#define METRICS_STATUS_SLOTS 16
/* Most bounds of a histogram (its +Inf bucket comes on top). */
#define METRICS_BUCKETS 16
/* The longest text metrics_render() makes: some hundred routes with a few
 * statuses each are tens of kilobytes. */
#define METRICS_TEXT_MAX ((size_t)4 << 20)

struct status_table {
	/* status + 1, so that 0 marks a free slot and a request without
	 * an answer (status 0) still has one */
	_Atomic unsigned key[METRICS_STATUS_SLOTS];
	_Atomic uint64_t count[METRICS_STATUS_SLOTS];
	_Atomic uint64_t other;
};

struct histogram {
	const int64_t *bounds;     /* ascending, in the observed unit */
	size_t nbounds;
	_Atomic uint64_t bucket[METRICS_BUCKETS + 1]; /* not cumulative */
	_Atomic uint64_t sum;      /* in the observed unit */
};

struct metrics {
	unsigned nroutes;
	metrics_route_name_fn *name;
	struct status_table *requests;      /* nroutes + 1 */
	struct status_table invoices;
	struct histogram verification;      /* microseconds */
	struct histogram commit_size;       /* writes a transaction */
	_Atomic uint64_t commit_failures;
	_Atomic uint64_t rate_limited[RATELIMIT_GROUP_COUNT];
	_Atomic uint64_t reads_refused;
};

/* An invoice verifies in a few milliseconds (10 KB) to some tens (1 MB),
 * and --invoice-cpu-ms stops it at one second by default: buckets from a
 * millisecond to five seconds cover both ends. */
static const int64_t verification_us[] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000,
};
/* A group commit holds one write when idle, as many as the threads
 * writing under load (16 handlers, the workers, the batch thread). */
static const int64_t commit_ops[] = {
	1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
};

_Static_assert(sizeof(verification_us) / sizeof(verification_us[0]) <=
	       METRICS_BUCKETS, "verification buckets");
_Static_assert(sizeof(commit_ops) / sizeof(commit_ops[0]) <=
	       METRICS_BUCKETS, "commit buckets");

int metrics_new(metrics **out, unsigned nroutes, metrics_route_name_fn *name)
{
	metrics *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (m == NULL ||
	    (m->requests = calloc((size_t)nroutes + 1,
				  sizeof(*m->requests))) == NULL) {
		free(m);
		return KSEF_ENOMEM;
	}
	m->nroutes = nroutes;
	m->name = name;
	m->verification.bounds = verification_us;
	m->verification.nbounds = sizeof(verification_us) /
				   sizeof(verification_us[0]);
	m->commit_size.bounds = commit_ops;
	m->commit_size.nbounds = sizeof(commit_ops) / sizeof(commit_ops[0]);
	*out = m;
	return 0;
}

void metrics_free(metrics *m)
{
	if (m == NULL)
		return;
	free(m->requests);
	free(m);
}

/* ---- counting ---- */

static void add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static void count_status(struct status_table *t, unsigned status)
{
	unsigned key = status + 1, seen;
	size_t i;

	for (i = 0; i < METRICS_STATUS_SLOTS; i++) {
		seen = atomic_load_explicit(&t->key[i], memory_order_relaxed);
		if (seen == 0) {
			/* Free: take it, unless another status just did
			 * (seen then holds that status). */
			if (atomic_compare_exchange_strong_explicit(&t->key[i],
				&seen, key, memory_order_relaxed,
				memory_order_relaxed))
				seen = key;
		}
		if (seen == key) {
			add(&t->count[i], 1);
			return;
		}
	}
	add(&t->other, 1);
}

static void observe(struct histogram *h, int64_t v)
{
	size_t i = 0;

	while (i < h->nbounds && v > h->bounds[i])
		i++;
	add(&h->bucket[i], 1);
	add(&h->sum, v > 0 ? (uint64_t)v : 0);
}

void metrics_request(metrics *m, unsigned route, unsigned status)
{
	if (m == NULL)
		return;
	if (route > m->nroutes)
		route = METRICS_NO_ROUTE;
	count_status(&m->requests[route], status);
}

void metrics_invoice(metrics *m, int status)
{
	if (m != NULL)
		count_status(&m->invoices, status > 0 ? (unsigned)status : 0);
}

void metrics_verification(metrics *m, int64_t us)
{
	if (m != NULL)
		observe(&m->verification, us);
}

void metrics_commit(void *arg, size_t ops, int committed)
{
	metrics *m = arg;

	if (m == NULL)
		return;
	observe(&m->commit_size, (int64_t)ops);
	if (!committed)
		add(&m->commit_failures, 1);
}

void metrics_rate_limited(metrics *m, ratelimit_group g)
{
	if (m != NULL && (unsigned)g < RATELIMIT_GROUP_COUNT)
		add(&m->rate_limited[g], 1);
}

void metrics_read_refused(metrics *m)
{
	if (m != NULL)
		add(&m->reads_refused, 1);
}

/* ---- the text ---- */

struct text {
	ksef_buf *out;
	int failed;
};

static void put(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (t->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Lines are made of bounded parts; a longer one is a bug, and is
	 * left out rather than cut into something misread. */
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	if (ksef_buf_append(t->out, line, (size_t)n, METRICS_TEXT_MAX) != 0)
		t->failed = 1;
}

/* A label value as the format wants it: backslash, double quote and
 * line feed escaped; anything else outside printable ASCII as '?', since
 * the values here (templates, rule ids) are ASCII by construction. */
static void label(char *out, size_t size, const char *in)
{
	size_t o = 0;

	for (; in != NULL && *in != '\0' && o + 3 < size; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '\\' || c == '"') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
	}
	out[o] = '\0';
}

static void head(struct text *t, const char *name, const char *type,
		 const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t load(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* The lines of one status table, labels before the status. */
static void put_statuses(struct text *t, const char *name,
			 const char *labels, struct status_table *s)
{
	unsigned key;
	uint64_t n;
	size_t i;

	for (i = 0; i < METRICS_STATUS_SLOTS; i++) {
		key = atomic_load_explicit(&s->key[i], memory_order_relaxed);
		if (key == 0)
			break;
		n = load(&s->count[i]);
		if (n > 0)
			put(t, "%s{%sstatus=\"%u\"} %llu\n", name, labels,
			    key - 1, (unsigned long long)n);
	}
	if ((n = load(&s->other)) > 0)
		put(t, "%s{%sstatus=\"other\"} %llu\n", name, labels,
		    (unsigned long long)n);
}

static void put_requests(struct text *t, metrics *m)
{
	char labels[3 * 256 + 32], method[32], route[2 * 256];
	const char *meth, *prefix, *pattern;
	char full[256];
	unsigned id;

	head(t, "ksefd_http_requests_total", "counter", "HTTP requests "
	     "answered, by the route's method and template (never the "
	     "path) and the status; route=\"(unmatched)\" is a path no "
	     "route takes.");
	for (id = 0; id <= m->nroutes; id++) {
		if (id == METRICS_NO_ROUTE || m->name == NULL ||
		    m->name(id, &meth, &prefix, &pattern) != 0) {
			snprintf(labels, sizeof(labels),
				 "method=\"\",route=\"(unmatched)\",");
		} else {
			snprintf(full, sizeof(full), "%s%s", prefix, pattern);
			label(method, sizeof(method), meth);
			label(route, sizeof(route), full);
			snprintf(labels, sizeof(labels),
				 "method=\"%s\",route=\"%s\",", method, route);
		}
		put_statuses(t, "ksefd_http_requests_total", labels,
			     &m->requests[id]);
	}
}

/* A bound in the text's unit: scale 1e6 turns microseconds into
 * seconds. Integers print as integers. */
static void bound(char *out, size_t size, int64_t v, double scale)
{
	if (scale == 1.0)
		snprintf(out, size, "%lld", (long long)v);
	else
		snprintf(out, size, "%g", (double)v / scale);
}

static void put_histogram(struct text *t, const char *name, const char *help,
			  struct histogram *h, double scale)
{
	char le[32];
	uint64_t cum = 0;
	size_t i;

	head(t, name, "histogram", help);
	for (i = 0; i <= h->nbounds; i++) {
		cum += load(&h->bucket[i]);
		if (i < h->nbounds)
			bound(le, sizeof(le), h->bounds[i], scale);
		else
			snprintf(le, sizeof(le), "+Inf");
		put(t, "%s_bucket{le=\"%s\"} %llu\n", name, le,
		    (unsigned long long)cum);
	}
	if (scale == 1.0)
		put(t, "%s_sum %llu\n", name,
		    (unsigned long long)load(&h->sum));
	else
		put(t, "%s_sum %.6f\n", name, (double)load(&h->sum) / scale);
	put(t, "%s_count %llu\n", name, (unsigned long long)cum);
}

static void put_gauge(struct text *t, const char *name, const char *help,
		      const char *labels, size_t v)
{
	if (help != NULL)
		head(t, name, "gauge", help);
	put(t, "%s%s %zu\n", name, labels, v);
}

int metrics_render(ksef_buf *out, metrics *m,
		   const struct metrics_sample *s)
{
	struct text t = { out, 0 };
	char rule[2 * 64 + 1];
	unsigned g;
	size_t i;

	if (m == NULL)
		return 0;
	put_requests(&t, m);

	head(&t, "ksefd_invoices_total", "counter", "Invoices stored with "
	     "their final status (200 accepted, 4xx refused), online and "
	     "in batch packages.");
	put_statuses(&t, "ksefd_invoices_total", "", &m->invoices);

	put_histogram(&t, "ksefd_invoice_verification_seconds", "How long "
		      "one invoice's verification took (decryption, schema, "
		      "signature and content checks).", &m->verification,
		      1e6);
	put_histogram(&t, "ksefd_store_commit_writes", "Writes in each "
		      "transaction of the store's writer (its group "
		      "commits).", &m->commit_size, 1.0);
	head(&t, "ksefd_store_commit_failures_total", "counter",
	     "Transactions of the store's writer that failed as a whole.");
	put(&t, "ksefd_store_commit_failures_total %llu\n",
	    (unsigned long long)load(&m->commit_failures));

	head(&t, "ksefd_rate_limit_rejections_total", "counter", "Requests "
	     "refused 429 by the rate limits, by group (limity-api.md).");
	for (g = 0; g < RATELIMIT_GROUP_COUNT; g++)
		put(&t, "ksefd_rate_limit_rejections_total{group=\"%s\"} "
		    "%llu\n", ratelimit_group_name((ratelimit_group)g),
		    (unsigned long long)load(&m->rate_limited[g]));
	head(&t, "ksefd_read_gate_rejections_total", "counter", "Reads "
	     "refused 429 after waiting --read-wait-ms for a slot.");
	put(&t, "ksefd_read_gate_rejections_total %llu\n",
	    (unsigned long long)load(&m->reads_refused));

	if (s != NULL) {
		head(&t, "ksefd_queue_depth", "gauge", "What waits now: "
		     "invoices for a verification thread, writes for the "
		     "store's writer, reads for a slot of the read gate.");
		put_gauge(&t, "ksefd_queue_depth", NULL,
			  "{queue=\"verification\"}", s->verification_queue);
		put_gauge(&t, "ksefd_queue_depth", NULL,
			  "{queue=\"store_writer\"}", s->store_queue);
		put_gauge(&t, "ksefd_queue_depth", NULL,
			  "{queue=\"reads\"}", s->reads_waiting);
		put_gauge(&t, "ksefd_reads_running", "Reads of the read gate "
			  "running now.", "", s->reads_running);
		head(&t, "ksefd_fault_plan", "gauge", "The version of the "
		     "fault plan in the store (docs/faults.md): each start, "
		     "set and clear makes a new one.");
		put(&t, "ksefd_fault_plan %lld\n", (long long)s->fault_plan);
		if (s->nodes > 0) {
			head(&t, "ksefd_nodes", "gauge", "The ksefd nodes "
			     "serving this store, this one included, as last "
			     "counted: each holds its share of the rate "
			     "limits.");
			put(&t, "ksefd_nodes %u\n", s->nodes);
		}
		if (s->nodes > 0 && s->shared) {
			head(&t, "ksefd_store_work_notices_total", "counter",
			     "Notices from the store that a node (this one "
			     "too) closed a batch package that any node may "
			     "take.");
			put(&t, "ksefd_store_work_notices_total %llu\n",
			    (unsigned long long)s->work_notices);
		}
		head(&t, "ksefd_faults_injected_total", "counter", "Faults "
		     "injected by each rule of the plan in force; a new plan "
		     "starts its rules from zero.");
		for (i = 0; i < s->nfaults; i++) {
			label(rule, sizeof(rule), s->faults[i].rule);
			put(&t, "ksefd_faults_injected_total{rule=\"%s\"} "
			    "%lld\n", rule, (long long)s->faults[i].fired);
		}
	}
	return t.failed ? KSEF_ENOMEM : 0;
}
