/*
 * verdict.h - the statuses ksefd decides on its own account from what the
 * store reports, and their wording. The store counts invoices and names
 * the holder of a duplicate key; this module is the one place that turns
 * that into a KSeF status and, where the status carries one, its message:
 *
 *  - an invoice whose duplicate key (seller NIP, RodzajFaktury, P_2;
 *    SPEC 8.3) an accepted invoice already holds: 440 "Duplikat faktury",
 *    with the original's KSeF number and session (SPEC 5.2);
 *  - the final status of a closed session whose invoices are all decided:
 *    200, 440 (no invoice was sent) or 445 (none was accepted), as the
 *    state diagram (faktury/sesje/sesja-interaktywna-diagram-stanow.png,
 *    SPEC 5.1) has it. The API's wording of a session status stays with
 *    the status answers (api_status.c).
 *
 * Verification of the invoice itself (schema, rules) is libksef's and
 * worker.c's.
 */
#ifndef KSEFD_VERDICT_H
#define KSEFD_VERDICT_H

#include "store.h"

/* An invoice whose duplicate key is held by another (SPEC 5.2). */
#define VERDICT_DUPLICATE 440
/* A closed session with at least one accepted invoice. */
#define VERDICT_SESSION_PROCESSED 200
/* A closed session into which no invoice was sent. */
#define VERDICT_SESSION_EMPTY 440
/* A closed session none of whose invoices was accepted. */
#define VERDICT_SESSION_NONE_VALID 445

/*
 * Make inv the duplicate of the invoice that holds its key, as
 * store_invoice_finish() reported it in inv->orig_ksef_number and
 * inv->orig_session_ref: status 440, status_details the JSON array with
 * the message of SPEC 5.2 naming them, and no KSeF number, acquisition or
 * storage date of its own. The rest of inv (its P_2, seller, mode) stays,
 * for the status answers. Record it with store_invoice_finish().
 *
 * @param inv the invoice; the original's number and session must be set.
 */
void verdict_duplicate(store_invoice *inv);

/*
 * The final status of a closed session whose invoices are all decided:
 * 200 when any was accepted, 440 when none was sent, 445 when all were
 * refused. A store_final_fn for store_sessions_finish().
 *
 * @param tally the session's counts, as the store keeps them.
 * @return VERDICT_SESSION_PROCESSED, VERDICT_SESSION_EMPTY or
 *         VERDICT_SESSION_NONE_VALID.
 */
int verdict_session_final(const store_session_tally *tally);

#endif
