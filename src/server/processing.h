/*
 * processing.h - how long ksefd seems to take (--processing-delay): the
 * live system answers an authentication 100 and an invoice 150 for a
 * while before their final status, and clients must be written to poll.
 * ksefd decides at once (one durable write per invoice) and shows the
 * decision only when the delay has passed; nothing is written for it.
 */
#ifndef KSEFD_PROCESSING_H
#define KSEFD_PROCESSING_H

#include <stdint.h>
#include "store.h"

typedef struct processing processing;

/* delay_ms 0 shows every decision at once. */
int processing_new(processing **out, int64_t delay_ms);
void processing_free(processing *p);

/*
 * Whether GET /auth/{referenceNumber} shows the operation as still in
 * progress (100): within the delay of its start, and at least once for
 * every operation not yet redeemed, however late its first status read
 * comes (`mark` non-zero: this read counts as that one). A NULL p never
 * delays.
 */
int processing_auth_pending(processing *p, const store_auth *op,
			    int64_t now_ms, int mark);

/* Whether an invoice with a final status is still shown as 150: within
 * the delay of its sending. */
int processing_invoice_pending(const processing *p,
			       const store_invoice *inv, int64_t now_ms);

/* Whether a session with a final status is still shown as 170: within
 * the delay of its last change, so that no invoice of a session shown
 * final is itself shown in progress. */
int processing_session_pending(const processing *p, const store_session *s,
			       int64_t now_ms);

#endif
