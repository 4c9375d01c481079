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
};

/* Find the route, check the bearer token, permissions and rate limits,
 * and call the handler; answers 404/405/401/403/413/414/429 itself. */
void router_dispatch(struct request *req);

/* The route for req's method and path (under /v2 or /storage): 0 with
 * *out set and req->params/nparams captured, or the status to answer:
 * 414 for a path too long to hold, 404 for an unknown path, 405 for a
 * known path with another method. */
unsigned router_find(struct request *req, const struct route **out);

#endif
