/*
 * faults.h - fault injection in a running ksefd (docs/faults.md): the plan
 * from --faults or `ksefd faults set`, kept in the store and reloaded when
 * its version changes, and the three places it acts: a request once its
 * route's checks passed (router.c), an invoice's verification (decide.c)
 * and its one durable write (worker.c). Every fault injected is logged,
 * one line with its rule's id, and counted in the store.
 */
#ifndef KSEFD_FAULTS_H
#define KSEFD_FAULTS_H

#include "server.h"
#include "faults_plan.h"

typedef struct faults faults;

/* The faults of srv (srv->faults), empty until the store's plan is
 * read; 0 or KSEF_ENOMEM. */
int faults_new(faults **out);
void faults_free(faults *f);

/* Read a plan file, check it, and put it in the store in place of the one
 * in force (NULL path: none). 0, or -1 with the reason in err. */
int faults_install(store *st, const char *path, ksef_error *err);

/* Whether a plan with rules is in force (its routes then all run on
 * handler threads, where a delay holds no event loop). */
int faults_active(struct server *srv);

/*
 * A request whose route's checks passed. Returns 1 when a rule answered
 * it (or dropped it): the handler must not run. A rule may also delay
 * it, rotate the key or hold its status in req->fault_hold_ms, and
 * return 0.
 */
int faults_dispatch(struct request *req, const char *method,
		    const char *pattern);

/* An invoice that passed verification: 1 with *status and detail (size
 * bytes) set when a rule fails it instead. */
int faults_verify(struct server *srv, const store_session *s, int *status,
		  char *detail, size_t size);

/* An invoice about to be written: 1 with err set when a rule makes the
 * write fail (nothing is written; the client gets 500). */
int faults_store(struct server *srv, const store_session *s,
		 ksef_error *err);

#endif
