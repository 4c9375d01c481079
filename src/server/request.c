/*
 * request.c - owns what a handler may ask of or add to a request besides
 * its HTTP side (http.c): the reference numbers that go on its log line,
 * and the permissions of its access token, which router.c has verified
 * and parsed into req->claims before any handler runs.
 */
#include <stdio.h>
#include <string.h>
#include "server.h"

void request_log_ref(struct request *req, const char *ref)
{
	size_t n = strlen(req->log_refs);

	if (ref == NULL || *ref == '\0' || strstr(req->log_refs, ref))
		return;
	snprintf(req->log_refs + n, sizeof(req->log_refs) - n, " %s", ref);
}

int request_has_permission(const struct request *req, const char *perm)
{
	return req->authed && jwt_has_permission(&req->claims, perm);
}
