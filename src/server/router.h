/*
 * router.h - dispatch of a complete request to its API handler.
 */
#ifndef KSEFD_ROUTER_H
#define KSEFD_ROUTER_H

#include "server.h"

/* Find the route, check the bearer token, permissions and rate limits,
 * and call the handler; answers 404/405/401/403/413/429 itself. */
void router_dispatch(struct request *req);

/* Whether the access token carries a permission (router.c parses the
 * claim once). */
int request_has_permission(const struct request *req, const char *perm);

#endif
