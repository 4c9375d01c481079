/*
 * decide.h - what an invoice's verification makes of it: decrypted with
 * its session's key, checked against what the client declared (size,
 * hash), verified by libksef (XML rules, schema, the form's limits), its
 * seller checked against the session's context, and, when all holds, given
 * its KSeF number and invoicing mode. The verdict lands in the invoice's
 * fields; storing it is the caller's (one write, worker.c), and so is the
 * duplicate check, which needs the store's transaction.
 */
#ifndef KSEFD_DECIDE_H
#define KSEFD_DECIDE_H

#include "server.h"

/*
 * Decide inv (its declared sizes, hashes and invoicing time set) from the
 * ciphertext sent into session s: inv->status becomes 200 with the KSeF
 * number, acquisition and storage dates and invoicing mode, or the refusal
 * (4xx, or 500 when the server itself failed) with status_details; the
 * fields read from the invoice (P_2, seller NIP, RodzajFaktury, P_1) are
 * set whenever it could be read.
 *
 * @param plain receives the plaintext of an accepted invoice, for the
 *              store; empty otherwise. Release with
 *              ksef_buf_dispose_secure().
 */
void decide_invoice(struct server *srv, const store_session *s,
		    const unsigned char *ct, size_t ct_len,
		    store_invoice *inv, ksef_buf *plain);

/*
 * Decide inv from its plaintext, as decide_invoice() does once the
 * plaintext is decrypted and matches what was declared: an invoice of a
 * batch package (inv->file_name set) comes here directly, and may carry
 * attachments where the context has the consent. plain is disposed of
 * unless the invoice is accepted.
 */
void decide_plaintext(struct server *srv, const store_session *s,
		      store_invoice *inv, ksef_buf *plain);

/* A refusal decided outside verification (the invoice could not be
 * read): status, and status_details as the one-line JSON array the status
 * answers show. */
void decide_refuse(store_invoice *inv, int status, const char *line);

#endif
