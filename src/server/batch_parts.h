/*
 * batch_parts.h - the parts of a batch package (sesja-wsadowa.md): the
 * limits a declaration is held to, where each part lives under the data
 * folder and the link it is put to, and the upload of one part, streamed
 * to disk with its size and SHA-256 counted as it comes.
 */
#ifndef KSEFD_BATCH_PARTS_H
#define KSEFD_BATCH_PARTS_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

/* BatchFileInfo.fileParts: at most 50 parts (open-api.json). */
#define BATCH_MAX_PARTS 50
/* A part is at most 100 MB before encryption (sesja-wsadowa.md, as its
 * examples count it: 100 * 1000 * 1000), so at most 16 bytes of PKCS#7
 * more after. */
#define BATCH_MAX_PART_PLAIN ((int64_t)100 * 1000 * 1000)
#define BATCH_MAX_PART_BYTES (BATCH_MAX_PART_PLAIN + 16)
/* BatchFileInfo.fileSize: at most 5 GB (open-api.json). */
#define BATCH_MAX_FILE_BYTES ((int64_t)5000000000)
/* Each part may be put for 20 minutes times the number of parts
 * (sesja-wsadowa.md, "Limit czasu na przesłanie partów"). */
#define BATCH_PART_WINDOW_MS ((int64_t)20 * 60 * 1000)

/*
 * Check a declaration: n parts (1..BATCH_MAX_PARTS) numbered 1..n once
 * each, each of 1..BATCH_MAX_PART_BYTES. Returns 0, or the exception code
 * to answer (21161 too many parts, 21157 a part's size, 21405 the
 * numbering), with why (why_size bytes) its detail.
 */
int batch_parts_check(const store_batch_part *parts, size_t n, char *why,
		      size_t why_size);

/* The path (under the server's root) a part is put to:
 * /storage/{ref}/batch-parts/{ordinal}. 0, or -1 if it does not fit. */
int batch_part_link_path(char *out, size_t size, const char *ref,
			 int ordinal);
/* The folder of a session's parts, data_dir/batch/{ref}, and a part's
 * file in it, {ordinal}.part. 0, or -1 if it does not fit. */
int batch_dir(char *out, size_t size, const char *data_dir, const char *ref);
int batch_part_file(char *out, size_t size, const char *data_dir,
		    const char *ref, int ordinal);
/* Remove a session's parts and folder (its package is processed). */
void batch_dir_remove(const char *data_dir, const char *ref);

/* One part on its way to disk. */
typedef struct batch_upload batch_upload;

enum batch_upload_result {
	BATCH_UPLOAD_OK = 0,
	BATCH_UPLOAD_SIZE = -1,   /* not the declared size */
	BATCH_UPLOAD_HASH = -2,   /* not the declared SHA-256 */
	BATCH_UPLOAD_IO = -3,     /* the disk or memory failed */
};

/* Start the part `ordinal` of session ref, declared of `size` bytes with
 * the Base64 SHA-256 `hash`: a temporary file in its session's folder
 * (made if need be). 0, or BATCH_UPLOAD_IO. */
int batch_upload_open(batch_upload **out, const char *data_dir,
		      const char *ref, int ordinal, int64_t size,
		      const char *hash);
/* Write the next piece. Past the declared size nothing more is written,
 * only counted. 0, or BATCH_UPLOAD_IO. */
int batch_upload_write(batch_upload *u, const void *data, size_t len);
/* All is in: check size and hash, and put the file in its place
 * (durably). A batch_upload_result. */
int batch_upload_finish(batch_upload *u);
/* The bytes received so far. */
int64_t batch_upload_size(const batch_upload *u);
/* Close and free; a part not finished leaves no file. NULL does
 * nothing. */
void batch_upload_free(batch_upload *u);

#endif
