/*
 * crash.h - what the two halves of crash_load share: crash_load.c drives
 * ksefd through kill -9 cycles under load and writes the client's journal;
 * crash_check.c reads the journal back against the restarted server and
 * checks the store's integrity.
 *
 * The journal is the client's durable record, one tab-separated line per
 * event, appended and flushed as it happens:
 *
 *   open      CYCLE SESSION
 *   close     CYCLE SESSION ok|failed
 *   ack       CYCLE SESSION INVOICE HASH INDEX     answered 202
 *   noanswer  CYCLE SESSION -       HASH INDEX     sent, no answer came
 *   refused   CYCLE SESSION -       HASH INDEX HTTP CODE
 *
 * HASH is the invoice's invoiceHash (Base64 SHA-256), INDEX its place in
 * the generated series, so every line names one distinct document.
 */
#ifndef KSEF_CRASH_H
#define KSEF_CRASH_H

#include <stddef.h>
#include "ksefd_harness.h"

/* What the final check found. Every count but the first three and the
 * informational ones is a failure. */
struct crash_report {
	size_t sessions;        /* sessions the journal opened */
	size_t closes;          /* closes the load sent */
	size_t closes_failed;   /* of which got no 204 */
	size_t acked;           /* invoices answered 202 */
	size_t noanswer;        /* sends whose answer never came */
	size_t refused;         /* sends answered with an error */
	size_t stored_unacked;  /* stored although no 202 came (allowed) */
	size_t lost;            /* answered 202, unknown to the server */
	size_t stuck;           /* answered 202, still 100/150 */
	size_t duplicated;      /* two entries, numbers or statuses for one */
	size_t rejected;        /* answered 202, final status neither 200
				 * nor a duplicate */
	size_t inconsistent;    /* listing, status and counters disagree */
	size_t open_left;       /* sessions that never left 100/170 */
};

/*
 * Close every session of the journal that is still open on the running
 * server p (as the context's owner with access token `token`), wait up
 * to settle_s seconds for every session and invoice to reach a final
 * status, and compare the server's invoices with the journal. Problems
 * are printed to stderr, at most a few of each kind. Returns 0, or -1 if
 * the journal cannot be read.
 */
int crash_check(struct crash_report *r, const struct ksefd_proc *p,
		const char *token, const char *journal, unsigned settle_s);

/*
 * PRAGMA integrity_check of ksefd's store in data_dir (ksefd.sqlite3, as
 * docs/ksefd.md names it), run on a copy of the database and its WAL when
 * `copy` is set, so that the check's own WAL recovery leaves the crashed
 * files exactly as the next ksefd will find them. Returns 0 when SQLite
 * answers "ok", else 1 with the first line of its answer (or the reason it
 * could not check) in why.
 */
int crash_integrity(const char *data_dir, int copy, char *why, size_t size);

#endif
