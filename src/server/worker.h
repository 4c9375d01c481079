/*
 * worker.h - the verification pipeline: a pool of threads that take sent
 * invoices, fairly across contexts, decide them and store each with its
 * verdict in one durable write; plus the housekeeping that closes expired
 * sessions and gives closed sessions their final status, and one thread
 * that processes the packages of closed batch sessions (batch.c).
 */
#ifndef KSEFD_WORKER_H
#define KSEFD_WORKER_H

#include "lanes.h"
#include "server.h"

/* An invoice on its way from its POST to its one durable write. The
 * sender fills in req, session, inv (all but the verdict), ciphertext and
 * done; the pipeline owns the job until it calls done(job, result) with
 * the write's store_result (inv->ordinal and the verdict set, and
 * session_status when the session refused it), on the store's writer
 * thread. done answers the request and frees the job. */
struct invoice_job {
	struct lane_item link;        /* worker.c's queue: first member */
	struct request *req;
	store_session session;
	store_invoice inv;
	ksef_buf ciphertext;
	void (*done)(struct invoice_job *job, int result);
	/* the pipeline's */
	struct server *srv;
	ksef_buf plain;
	int session_status;
	ksef_error err;
	store_invoice_meta meta;      /* inv.meta points here */
};

/* Start the pool; it first queues every invoice a previous run (ksefd
 * 0.2) left accepted but undecided, so nothing accepted is lost or
 * processed twice. */
int workers_start(struct server *srv, int threads, ksef_error *err);
/* Queue a sent invoice in its context's lane: 0, or KSEF_ENOMEM (the job
 * stays the caller's). */
int workers_send(struct server *srv, struct invoice_job *job);
/* Queue an accepted, undecided invoice of the store by reference. */
void workers_submit(struct server *srv, const char *invoice_ref);
/* Ask the housekeeper to look at sessions now (after a close). */
void workers_kick(struct server *srv);
/* How many invoices wait in the queues, not yet taken by a thread (for
 * the unit tests; 0 when the pool is not running). */
size_t workers_queued(struct server *srv);
/* Finish every job (a client waits for each) and the invoice being
 * recovered by each thread, then stop. */
void workers_stop(struct server *srv);

#endif
