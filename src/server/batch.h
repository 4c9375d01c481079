/*
 * batch.h - the processing of a closed batch session's package: its parts
 * decrypted and joined, the package checked and unpacked, and each of its
 * invoices verified and stored as an online invoice is.
 */
#ifndef KSEFD_BATCH_H
#define KSEFD_BATCH_H

#include "server.h"

/* A package may decompress to at most this many bytes per byte of it:
 * invoices compress some tens of times; a zip bomb, thousands. */
#define BATCH_MAX_RATIO 100u
/* ... and to at most this much in all, whatever its ratio. */
#define BATCH_MAX_UNPACKED_BYTES ((uint64_t)20 * 1000 * 1000 * 1000)
/* One file of a package: an invoice with attachments at most. */
#define BATCH_MAX_ENTRY_BYTES ((size_t)10 * 1000 * 1000)

/*
 * Process the package of session ref, in status 150: on success its
 * invoices are stored and the session moves to 170, for the housekeeper
 * to give it its final status (200, 440, 445) and UPO; otherwise it ends
 * in 405, 420, 430, 435 or 500 (faktury/sesje/sesja-wsadowa-diagram-
 * stanow.png). Invoices stored by a run that was cut short (a restart)
 * are not stored again. The parts are removed when done.
 */
void batch_process(struct server *srv, const char *ref);

#endif
