/*
 * client_batch.h - batch sessions (sesja-wsadowa.md; the open-api tag
 * "Wysyłka wsadowa"): many invoice files sent as one ZIP package, split
 * into parts, each part encrypted under the session's key and put to a
 * pre-signed link, then processed by KSeF as a whole.
 *
 * A ksef_batch is one such sending, from the files to the verdicts:
 *
 *   ksef_batch_new()      build the package from the files: a ZIP whose
 *                         entries are the files' base names, streamed
 *                         through the splitter and the encryption into
 *                         an unlinked temporary file, never held whole in
 *                         memory; the package's and each part's size and
 *                         SHA-256 are counted on the way.
 *   ksef_batch_send()     POST /sessions/batch (the key wrapped with
 *                         RSA-OAEP as for an online session), the parts
 *                         PUT to their links several at a time, and
 *                         POST /sessions/batch/{referenceNumber}/close.
 *   ksef_batch_wait()     GET /sessions/{referenceNumber} until its status
 *                         is final, then every page of its invoices, each
 *                         matched to its file by invoiceFileName (or by
 *                         invoiceHash).
 *   ksef_batch_invoice_at(), ksef_batch_invoice_upo(), ksef_batch_upo()
 *                         each file's outcome and the UPOs.
 *
 * Ownership, stated once: a ksef_batch is opaque, made by ksef_batch_new()
 * and destroyed by ksef_batch_free() (which removes its temporary file and
 * wipes its key); _free(NULL) does nothing. It borrows the ksef_conn given
 * to ksef_batch_send() until ksef_batch_free(): free the batch first.
 * Strings and entries it hands out are borrowed from it until the next
 * call on it or its _free. Documents come back in a caller-owned ksef_buf.
 *
 * Threads: a batch is used by one thread at a time (its parts are put by
 * several connections at once inside ksef_batch_send()); batches of one
 * connection are independent.
 *
 * Errors: as in client.h; ksef_batch_last_error() gives the server's
 * answer to the last API call the batch made.
 */
#ifndef KSEF_CLIENT_BATCH_H
#define KSEF_CLIENT_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "buf.h"
#include "error.h"
#include "client.h"
#include "invoice.h"
#include "session.h"

KSEF_BEGIN_DECLS

/** The largest part, in bytes of the package before encryption
 *  (sesja-wsadowa.md: "nie większe niż 100 MB", 100 * 1000 * 1000 in the
 *  documents' example). */
#define KSEF_BATCH_PART_MAX_BYTES 100000000

/** The most parts a package may have (BatchFileInfo.fileParts
 *  maxItems). */
#define KSEF_BATCH_MAX_PARTS 50

/** The largest package, in bytes before encryption (BatchFileInfo.fileSize
 *  maximum, 5 GB). */
#define KSEF_BATCH_PACKAGE_MAX_BYTES 5000000000LL

/** The most files one batch takes: a bound on the memory that tracking
 *  them needs and on the pages of the session's invoice list read. */
#define KSEF_BATCH_MAX_FILES 100000

/** The most parts put at once. */
#define KSEF_BATCH_PARALLEL_MAX 16

/** A batch session's status codes besides session.h's (100 open, 200,
 *  415, 440, 445): 150, the package is being processed. */
#define KSEF_BATCH_CODE_PROCESSING 150

/**
 * The version of ksef_batch_options this header describes. The library
 * takes a struct of any version from 1 to its own, reading only the fields
 * that version has and leaving later ones at their defaults.
 */
#define KSEF_BATCH_OPTIONS_VERSION 1

/**
 * How to build and send a batch. Transparent: start from
 * KSEF_BATCH_OPTIONS_INIT.
 */
typedef struct ksef_batch_options {
	/** KSEF_BATCH_OPTIONS_VERSION. */
	int version;
	/** Bytes of the package in each part before encryption, 1 to
	 *  KSEF_BATCH_PART_MAX_BYTES; 0 for KSEF_BATCH_PART_MAX_BYTES. The
	 *  package is cut into parts of this size, the last one shorter. */
	int64_t part_size;
	/** How many parts are put at once, 1 to KSEF_BATCH_PARALLEL_MAX. */
	int parallel;
	/** The folder of the temporary file (the encrypted parts, as big as
	 *  the package); NULL for $TMPDIR, or /tmp. Copied. */
	const char *temp_dir;
	/** Non-zero declares the invoices issued offline (offlineMode). */
	int offline_mode;
} ksef_batch_options;

/** Defaults: parts of 100 MB, four put at once, online invoices. */
#define KSEF_BATCH_OPTIONS_INIT \
	{ KSEF_BATCH_OPTIONS_VERSION, 0, 4, NULL, 0 }

/** One batch sending; opaque. */
typedef struct ksef_batch ksef_batch;

/**
 * Build the package of a batch: a ZIP (deflate) of the files, each entry
 * named after its file's base name, cut into parts of opts->part_size
 * bytes and each part encrypted with AES-256-CBC/PKCS#7 under a fresh
 * session key and IV, into an unlinked temporary file in opts->temp_dir.
 * Memory stays bounded: files are read and the package written a piece
 * at a time. Nothing is sent.
 *
 * @param[out] out  receives the batch; free it with ksef_batch_free().
 *                  NULL on failure.
 * @param form      the form of every invoice (formCode of the session).
 * @param files     paths of the invoice files, in the order results are
 *                  to be read; copied. Each a regular file of 1 to
 *                  KSEF_INVOICE_MAX_BYTES bytes whose base name ends in
 *                  ".xml" and holds no control character, '\' or ':'.
 * @param count     how many, 1 to KSEF_BATCH_MAX_FILES.
 * @param opts      the options, or NULL for the defaults; copied.
 * @param err       receives the reason on failure (naming the file); may
 *                  be NULL.
 * @return 0; KSEF_EINVAL (a NULL argument, no files, a bad option or
 *         version, an unknown form, two files of the same base name, a
 *         name the package cannot hold); KSEF_EIO (a file that cannot be
 *         read or is not a regular file, or the temporary file cannot be
 *         written); KSEF_EFORMAT (an empty file); KSEF_ETOOBIG (a file
 *         over KSEF_INVOICE_MAX_BYTES, more than KSEF_BATCH_MAX_FILES
 *         files, a package over KSEF_BATCH_PACKAGE_MAX_BYTES or needing
 *         more than KSEF_BATCH_MAX_PARTS parts of part_size); KSEF_ECRYPTO
 *         or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_batch_new(ksef_batch **out,
	ksef_form form, const char *const *files, size_t count,
	const ksef_batch_options *opts, ksef_error *err);

/**
 * Destroy a batch: its temporary file is removed and its key wiped.
 * Nothing is sent.
 *
 * @param b the batch; NULL does nothing.
 */
KSEF_API void ksef_batch_free(ksef_batch *b);

/**
 * The package's size before encryption (batchFile.fileSize).
 *
 * @param b the batch.
 * @return bytes, or 0 if b is NULL.
 */
KSEF_API int64_t ksef_batch_package_size(const ksef_batch *b);

/**
 * The package's SHA-256 before encryption (batchFile.fileHash).
 *
 * @param b the batch.
 * @return Base64, borrowed from b; NULL if b is NULL.
 */
KSEF_API const char *ksef_batch_package_hash(const ksef_batch *b);

/**
 * How many parts the package was cut into.
 *
 * @param b the batch.
 * @return 1 to KSEF_BATCH_MAX_PARTS, or 0 if b is NULL.
 */
KSEF_API size_t ksef_batch_part_count(const ksef_batch *b);

/**
 * What batchFile.fileParts declares of one part.
 *
 * @param[out] plain_size     receives its bytes of the package, before
 *                            encryption; may be NULL.
 * @param[out] encrypted_size receives its size once encrypted (fileSize);
 *                            may be NULL.
 * @param b                   the batch.
 * @param i                   from 0 (ordinalNumber 1) to
 *                            ksef_batch_part_count() - 1.
 * @return the encrypted part's SHA-256 in Base64 (fileHash), borrowed
 *         from b; NULL if b is NULL or i out of range.
 */
KSEF_API const char *ksef_batch_part_at(int64_t *plain_size,
	int64_t *encrypted_size, const ksef_batch *b, size_t i);

/**
 * Read the bytes of one encrypted part, as they are put: for tests and
 * for callers that keep their own copy of what was sent.
 *
 * @param[out] out  receives the part, replacing what it held; at most
 *                  max bytes. Unchanged on failure.
 * @param b         the batch.
 * @param i         the part, from 0.
 * @param max       the most bytes accepted.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL (a NULL argument, i out of range), KSEF_ETOOBIG
 *         (the part is over max), KSEF_EIO or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_batch_part_read(ksef_buf *out,
	const ksef_batch *b, size_t i, size_t max, ksef_error *err);

/**
 * The entry name of one file in the package: its base name.
 *
 * @param b the batch.
 * @param i the file, from 0 in the order given to ksef_batch_new().
 * @return a string borrowed from b; NULL if b is NULL or i out of range.
 */
KSEF_API const char *ksef_batch_file_name(const ksef_batch *b, size_t i);

/**
 * Send the batch: open the session (POST /sessions/batch, a fresh key
 * wrapped under the SymmetricKeyEncryption key with the latest
 * validFrom, the keys fetched again and the open retried once on 21470;
 * the access token renewed and the call made again once after a 401),
 * put every part to its pre-signed link with the method and headers the
 * answer gives and without the access token, at most opts->parallel at
 * once, each retried after a network failure or a 5xx as the connection's
 * client options allow, and close the session. The session key is wiped
 * once the session is closed.
 *
 * Call it once; after a failure past the open, ksef_batch_reference()
 * names the session, which KSeF ends by itself.
 *
 * @param b     the batch, from ksef_batch_new().
 * @param conn  the connection, authenticated to the context; borrowed
 *              until ksef_batch_free().
 * @param err   receives the reason on failure (a part's failure names
 *              its ordinal number and HTTP status, never its link); may
 *              be NULL.
 * @return 0; KSEF_EINVAL (a NULL argument, sent already); KSEF_EHTTP
 *         (an error answer to the open, a part's PUT or the close; for
 *         the open and the close ksef_batch_last_error() gives it);
 *         KSEF_EPARSE (an answer not as the contract says: a missing
 *         part link, a method other than PUT, a header that cannot be
 *         sent); or a code as for ksef_conn_new().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_batch_send(ksef_batch *b, ksef_conn *conn,
	ksef_error *err);

/**
 * The session's reference number (type SB), once opened.
 *
 * @param b the batch.
 * @return a string borrowed from b; NULL before ksef_batch_send() opened
 *         the session, or if b is NULL.
 */
KSEF_API const char *ksef_batch_reference(const ksef_batch *b);

/**
 * Wait for the session's final status, polling GET /sessions/{ref} with
 * the connection's backoff, then read every page of its invoices (GET
 * /sessions/{ref}/invoices) and give each file its outcome: the listed
 * invoice whose invoiceFileName is the file's entry name, or failing
 * that whose invoiceHash is the file's SHA-256.
 *
 * @param b           the batch, sent.
 * @param timeout_ms  the longest wait in all, in ms; at least 1.
 * @param err         receives the reason on failure; may be NULL.
 * @return 0 once the session's status is final, whatever it is (read it
 *         with ksef_batch_status()); KSEF_EINVAL (not sent, a bad
 *         timeout); KSEF_ENETWORK when the time ran out (the message gives
 *         the status; a later call waits on); KSEF_ETOOBIG (the server
 *         lists more invoices than the batch has files); or a code as
 *         for ksef_conn_new().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_batch_wait(ksef_batch *b, long timeout_ms,
	ksef_error *err);

/**
 * The session's status code as last seen: 0 before the open,
 * KSEF_SESSION_CODE_OPEN after it, the server's after ksef_batch_wait().
 *
 * @param b the batch.
 * @return the code, or 0 if b is NULL.
 */
KSEF_API int ksef_batch_status(const ksef_batch *b);

/**
 * The session status's description and details as the server gave them,
 * the details joined with "; ".
 *
 * @param[out] details receives the details, or NULL when there are none;
 *                     borrowed from b; may be NULL.
 * @param b            the batch.
 * @return the description, borrowed from b; NULL before ksef_batch_wait()
 *         or if b is NULL.
 */
KSEF_API const char *ksef_batch_status_description(const char **details,
	const ksef_batch *b);

/**
 * How many files the batch holds.
 *
 * @param b the batch.
 * @return the count, or 0 if b is NULL.
 */
KSEF_API size_t ksef_batch_invoice_count(const ksef_batch *b);

/**
 * What became of one file, as a session.h entry (borrowed from b, see the
 * top of this header): invoice_hash is set from the start; the rest once
 * ksef_batch_wait() found the file among the session's invoices. A file
 * the server did not list (a package refused whole, say) keeps status 0
 * and a NULL reference_number.
 *
 * @param b the batch.
 * @param i the file, from 0 in the order given to ksef_batch_new().
 * @return the entry, or NULL if b is NULL or i out of range.
 */
KSEF_API const ksef_session_invoice *ksef_batch_invoice_at(
	const ksef_batch *b, size_t i);

/**
 * GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo:
 * the UPO of one accepted file's invoice, its x-ms-meta-hash checked.
 *
 * @param[out] out  receives the XML, replacing what it held; unchanged on
 *                  failure.
 * @param b         the batch, waited for.
 * @param i         the file, from 0.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL (i out of range, or the file has no invoice
 *         reference), or a code as for ksef_client_upo_by_invoice_ref().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_batch_invoice_upo(ksef_buf *out,
	ksef_batch *b, size_t i, ksef_error *err);

/**
 * How many pages the session's UPO has: 0 until ksef_batch_wait() has
 * seen the session end with 200.
 *
 * @param b the batch.
 * @return the count, or 0 if b is NULL.
 */
KSEF_API size_t ksef_batch_upo_page_count(const ksef_batch *b);

/**
 * GET /sessions/{referenceNumber}/upo/{upoReferenceNumber}: one page of
 * the session's UPO, its x-ms-meta-hash checked.
 *
 * @param[out] out  receives the XML, replacing what it held; unchanged on
 *                  failure.
 * @param b         the batch.
 * @param page      from 0 to ksef_batch_upo_page_count() - 1.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a page past the end, or a code as for
 *         ksef_client_upo_session_page().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_batch_upo(ksef_buf *out, ksef_batch *b,
	size_t page, ksef_error *err);

/**
 * The server's error answer to the last API call the batch made (the
 * open, the close, a status or a list).
 *
 * @param b the batch.
 * @return as ksef_client_last_error(), borrowed until the next call on b;
 *         NULL when there is none.
 */
KSEF_API const ksef_api_error *ksef_batch_last_error(const ksef_batch *b);

/**
 * POST /sessions/batch/{referenceNumber}/close, for a caller that drives
 * the endpoints itself.
 *
 * @param c            the client, with the access token set.
 * @param session_ref  the batch session's number.
 * @param err          receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_batch_close(ksef_client *c,
	const char *session_ref, ksef_error *err);

KSEF_END_DECLS

#endif
