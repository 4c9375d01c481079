/*
 * router.h - dispatch of a complete request to its API handler. main.c
 * gives router_dispatch() to http_start(); router_find() and struct route
 * are here for the unit tests, which check the table without a server.
 */
#ifndef KSEFD_ROUTER_H
#define KSEFD_ROUTER_H

#include "server.h"

/* One entry of the route table. */
struct route {
	const char *method;
	const char *pattern;          /* under its prefix; {x} a parameter */
	void (*handler)(struct request *req);
	enum auth_kind auth;
	const char *permissions;      /* any one of "A|B|C", or NULL */
	ratelimit_group group;        /* RATELIMIT_GROUP_COUNT: none */
	unsigned flags;               /* ROUTE_* */
};

/* A route that takes an invoice: its body may reach cfg.max_body. */
#define ROUTE_INVOICE_BODY 1u
/* A route that only reads (the store, memory) and never waits for a
 * durable write or long work: http.c runs it on the event loop itself,
 * sparing it two thread hand-offs. */
#define ROUTE_QUICK 2u

/* A route that reads stored documents or long listings, whose rows may
 * be cold: its checks run on the event loop as a quick route's do, then
 * it waits for one of --max-reads slots (reads.h), so that reads never
 * pile up on the disk in front of the writer's fsync. */
#define ROUTE_READ 16u

/* limits: a route of the TEST environment only ("Tylko na środowiskach
 * testowych"): with --profile production it is not there (404). */
#define ROUTE_TEST_ONLY 4u
/* Its body (a batch part) is streamed to disk as it comes
 * (api_batch_upload_traits), never held in memory. */
#define ROUTE_UPLOAD 8u
/* A service route (health, metrics; api_health.c): outside /v2 and the
 * contract, with no token, rate limit, fault or read gate. */
#define ROUTE_SERVICE 32u

/* Bodies of every route but those that carry an invoice: JSON of a few
 * fields, or a signed XAdES request (kilobytes: a certificate and a
 * signature). */
#define ROUTER_SMALL_BODY ((size_t)64 * 1024)

/* What http.c asks of req's route when its headers are in: the most body
 * bytes it takes (ROUTER_SMALL_BODY, or cfg.max_body for a route that
 * carries an invoice, when its bearer token is valid), whether it is quick
 * (ROUTE_QUICK), and whether to refuse it before reading the body (an
 * invoice route without a valid token: router_dispatch answers 401). */
void router_traits(struct request *req, struct http_traits *out);

/* Find the route, check the bearer token, permissions and rate limits,
 * and call the handler; answers 404/405/401/403/413/414/429 itself. */
void router_dispatch(struct request *req);

/* The route for req's method and path (under /v2 or /storage, a KOD I
 * link, or a service route): 0 with *out set, req->params/nparams
 * captured and req->route_id/route_prefix/route_pattern set, or the
 * status to answer: 414 for a path too long to hold, 404 for an unknown
 * path, 405 for a known path with another method. */
unsigned router_find(struct request *req, const struct route **out);

/* Routes are numbered 1 .. router_route_count() across every table, for
 * metrics.c; router_route_name() is a metrics_route_name_fn. */
unsigned router_route_count(void);
int router_route_name(unsigned id, const char **method, const char **prefix,
		      const char **pattern);

/* fault injection: whether "METHOD ROUTE" (method NULL: any) names a
 * route of the table, a storage one under /storage; faults_plan_parse()
 * refuses a plan's route that does not. */
int router_known(const char *method, const char *route);

#endif
