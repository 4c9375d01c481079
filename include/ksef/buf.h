/*
 * buf.h - caller-owned byte buffers. Functions that return bytes fill a
 * ksef_buf, so the memory is always released by ksef_buf_dispose() and
 * allocators never mix.
 */
#ifndef KSEF_BUF_H
#define KSEF_BUF_H

#include "common.h"

KSEF_BEGIN_DECLS

/** Bytes owned by a buffer. `ptr` is NUL-terminated past `size` when set. */
typedef struct ksef_buf {
	unsigned char *ptr; /**< the bytes, or NULL when empty */
	size_t size;        /**< how many bytes are used */
	size_t asize;       /**< how many bytes are allocated */
} ksef_buf;

/** A buffer that holds nothing yet. */
#define KSEF_BUF_INIT { NULL, 0, 0 }

/**
 * Release a buffer's memory and leave it empty (as KSEF_BUF_INIT).
 *
 * @param buf the buffer; NULL does nothing.
 */
KSEF_API void ksef_buf_dispose(ksef_buf *buf);

/**
 * As ksef_buf_dispose(), but first overwrite the bytes so that a secret
 * (a decrypted key, a token) does not linger in freed memory.
 *
 * @param buf the buffer; NULL does nothing.
 */
KSEF_API void ksef_buf_dispose_secure(ksef_buf *buf);

KSEF_END_DECLS

#endif
