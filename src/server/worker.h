/*
 * worker.h - the verification pipeline: a pool of threads that take
 * accepted invoices in order, decrypt and verify them, and record the
 * verdict; plus the housekeeping that closes expired sessions and gives
 * closed sessions their final status.
 */
#ifndef KSEFD_WORKER_H
#define KSEFD_WORKER_H

#include "server.h"

/* Start the pool; it first queues every invoice a previous run left
 * unfinished, so nothing accepted is lost or processed twice. */
int workers_start(struct server *srv, int threads, ksef_error *err);
/* Queue an accepted invoice. */
void workers_submit(struct server *srv, const char *invoice_ref);
/* Ask the housekeeper to look at sessions now (after a close). */
void workers_kick(struct server *srv);
/* How many invoices wait in the queue, not yet taken by a thread (for
 * the unit tests; 0 when the pool is not running). */
size_t workers_queued(struct server *srv);
/* Finish the invoice being verified by each thread, then stop. */
void workers_stop(struct server *srv);

#endif
