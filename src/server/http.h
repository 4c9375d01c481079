/*
 * http.h - ksefd's HTTP side: the libmicrohttpd daemon, request bodies
 * counted as they arrive, replies, and the one log line per request. It
 * hands each complete request to the dispatcher it was started with and
 * knows nothing of routes or error formats.
 */
#ifndef KSEFD_HTTP_H
#define KSEFD_HTTP_H

#include <stddef.h>
#include <jansson.h>
#include "server.h"

/* What answers a complete request: it records exactly one reply with the
 * http_reply_*() functions before it returns, or calls http_defer() and
 * has the reply recorded and http_complete() called later. */
typedef void http_dispatch_fn(struct request *req);

/* Start listening on cfg.listen_host:cfg.port (0: any free port, stored
 * in srv->port), with TLS when configured, calling dispatch for each
 * complete request: on the event loop for a quick route, else on one of
 * cfg.handlers threads. traits(req) tells, once the headers are in, the
 * most body bytes req's route takes and whether it is quick (NULL:
 * cfg.max_body, not quick). */
int http_start(struct server *srv, http_dispatch_fn *dispatch,
	       void (*traits)(struct request *req, struct http_traits *out),
	       ksef_error *err);

/* The request will be answered after the dispatcher returns: whoever
 * takes it on records the reply and calls http_complete(req), once. From
 * this call on the dispatcher must not touch req again. */
void http_defer(struct request *req);
/* Whether the dispatcher running on this thread deferred its request. */
int http_deferred(void);
/* Run fn(req) on this thread for a request deferred earlier (a read the
 * read gate lets through, reads.c), then complete it unless fn deferred
 * it again. */
void http_run(struct request *req, void (*fn)(struct request *req));
/* Send req's recorded reply (500 if none); any thread. For a request
 * without a connection (unit tests) nothing is sent. */
void http_complete(struct request *req);
/* Stop accepting new connections; requests in flight go on. */
void http_quiesce(struct server *srv);
/* Wait (up to timeout_ms) for requests in flight, then stop the daemon. */
void http_stop(struct server *srv, int timeout_ms);

/* A request header or query argument, or NULL. Borrowed from libmicrohttpd
 * for the life of the request. */
const char *http_header(struct request *req, const char *name);
const char *http_query(struct request *req, const char *name);
/* Every value of a repeated query argument (?statuses=a&statuses=b), up to
 * max; returns how many there were (possibly more than max). */
size_t http_query_all(struct request *req, const char *name,
		      const char **vals, size_t max);

/* Replies; each request gets exactly one: the first recorded wins, and
 * http.c sends it when the dispatcher returns. json is stolen. A
 * content_type is at most 63 bytes, a header name 31 and its value 127. */
void http_reply_json(struct request *req, unsigned status, json_t *json);
void http_reply_json_type(struct request *req, unsigned status,
			  const char *content_type, json_t *json);
void http_reply_empty(struct request *req, unsigned status);
/* Bytes (copied) with a Content-Type and, when meta_hash is set, the
 * x-ms-meta-hash header. */
void http_reply_bytes(struct request *req, unsigned status,
		      const char *content_type, const void *data, size_t len,
		      const char *meta_hash);
/* A reply with an extra header (e.g. Retry-After). */
void http_reply_json_header(struct request *req, unsigned status,
			    const char *content_type, json_t *json,
			    const char *header, const char *value);

#endif
