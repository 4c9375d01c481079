/*
 * reads.h - the read gate: the routes that read stored documents and
 * long listings (invoice and UPO downloads, session listings, metadata
 * queries, storage links, KOD I) run on at most --max-reads threads at
 * once, so that reads of cold rows can never queue without bound on the
 * disk in front of the writer's fsync, nor stall an event loop. A request
 * over the limit waits, suspended and holding no thread, in a lane of its
 * context; one that has waited --read-wait-ms is answered 429 with
 * Retry-After, the API's form for "not now" (docs/ksefd.md).
 */
#ifndef KSEFD_READS_H
#define KSEFD_READS_H

#include "server.h"

struct reads;

/* The Retry-After of a request refused for waiting too long: the gate
 * frees a slot within milliseconds once a burst has passed. */
#define READS_RETRY_AFTER_S 1

/* Start max reader threads (at least 1) and the thread that refuses what
 * waited wait_ms (0: whatever finds no free slot at once). 0, or a
 * negative KSEF_E* with err set. */
int reads_start(struct reads **out, int max, int wait_ms, ksef_error *err);

/* Run fn(req) on a reader thread, after what waits before it, and complete
 * req there; or refuse it with 429 if it waits too long. req was checked
 * (token, permissions, rate limits) and is deferred here (http_defer), so
 * the caller must not touch it again. On a request without a connection
 * (unit tests) the same happens; whoever waits for its answer watches
 * req->responded under its own synchronisation. */
void reads_submit(struct reads *g, struct request *req,
		  void (*fn)(struct request *req));

/* Requests waiting for a slot, and those being answered now (reads
 * running, and refusals being recorded). Both 0: every request handed
 * in has its answer recorded. */
void reads_counts(struct reads *g, size_t *waiting, size_t *running);

/* Serve or refuse what still waits, then stop the threads. Called after
 * http_stop() has stopped new requests; NULL does nothing. */
void reads_stop(struct reads *g);

#endif
