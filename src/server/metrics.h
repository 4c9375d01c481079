/*
 * metrics.h - ksefd's counters, and their text for Prometheus (GET
 * /metrics, docs/ksefd.md): requests by route template and status,
 * invoices by final status, how long verification takes, the store's
 * group commits, rate-limit and read-gate refusals; and, sampled when
 * the text is made, the queues and the fault plan's counts.
 *
 * Every counting function is lock-free (C11 atomics, relaxed: counts need
 * no order with anything else) and allocates nothing, so the request
 * path pays a few atomic additions. Each takes a NULL metrics and does
 * nothing, so code that runs without a server (unit tests, fuzzers)
 * needs no guard. Only metrics_render() allocates, into the caller's
 * buffer.
 */
#ifndef KSEFD_METRICS_H
#define KSEFD_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "ksef/ksef.h"
#include "ratelimit.h"

typedef struct metrics metrics;

/* Route 0 is a request that matched no route (404, 405, 414). */
#define METRICS_NO_ROUTE 0u

/* The name of route id (1 .. nroutes): its method and its template, as
 * the prefix and the pattern the route table keeps. Returns 0, or -1 for
 * an id it does not know. */
typedef int metrics_route_name_fn(unsigned id, const char **method,
				  const char **prefix, const char **pattern);

/* Room for ids 0 .. nroutes, named by name; 0 or KSEF_ENOMEM. */
int metrics_new(metrics **out, unsigned nroutes, metrics_route_name_fn *name);
void metrics_free(metrics *m);

/* A request answered with status (0: none was recorded, the connection
 * went first); an id past nroutes counts as METRICS_NO_ROUTE. */
void metrics_request(metrics *m, unsigned route, unsigned status);
/* An invoice's final status, once it is durably stored. */
void metrics_invoice(metrics *m, int status);
/* One invoice's verification took us microseconds. */
void metrics_verification(metrics *m, int64_t us);
/* The store's writer ended a transaction of ops writes: committed, or
 * not (every write of it failed). A store_batch_fn (store.h). */
void metrics_commit(void *m, size_t ops, int committed);
/* A request refused 429 by the rate limiter, in group g. */
void metrics_rate_limited(metrics *m, ratelimit_group g);
/* A read refused 429 after waiting for the read gate (reads.c). */
void metrics_read_refused(metrics *m);

/* What is sampled when the text is made, not counted as it happens. */
struct metrics_fault {
	const char *rule;          /* the plan's rule id */
	int64_t fired;
};

struct metrics_sample {
	size_t verification_queue; /* invoices waiting for a worker */
	size_t store_queue;        /* writes waiting for the writer */
	size_t reads_waiting;      /* reads waiting for a slot */
	size_t reads_running;
	int64_t fault_plan;        /* the plan's version; 0: none */
	unsigned nodes;            /* nodes serving the store (rate limits'
				    * share); 0: not shown */
	int shared;                /* the store is shared (PostgreSQL) */
	uint64_t work_notices;     /* store_work_notices(), when shared */
	const struct metrics_fault *faults;
	size_t nfaults;
};

/* The text exposition format 0.0.4 of every metric, appended to out.
 * 0, or KSEF_ENOMEM (out then holds part of it; dispose of it). */
int metrics_render(ksef_buf *out, metrics *m,
		   const struct metrics_sample *sample);

#endif
