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

/**
 * Append bytes to a buffer without letting it pass a bound, as libksef's
 * own buffers grow: a program reading untrusted input (an HTTP body, a
 * file) states its limit once and gets KSEF_ETOOBIG past it instead of
 * growing without end. The buffer stays NUL-terminated past `size`, so
 * text can be read from `ptr` directly.
 *
 * @param buf   the buffer to grow (KSEF_BUF_INIT or one used before);
 *              unchanged on failure.
 * @param data  the bytes to append; may be NULL when len is 0. They are
 *              copied.
 * @param len   how many bytes.
 * @param max   the most bytes the buffer may hold in all, NUL excluded.
 * @return 0; KSEF_ETOOBIG if size + len would pass max (or overflow);
 *         KSEF_ENOMEM; KSEF_EINVAL for a NULL buf, or NULL data with a
 *         non-zero len.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_buf_append(ksef_buf *buf, const void *data,
					      size_t len, size_t max);

/**
 * Make room for `extra` more bytes at once, within the same bound as
 * ksef_buf_append(), so that appends of a length known in advance (an
 * HTTP body's Content-Length) allocate once and copy nothing twice.
 *
 * @param buf   the buffer; its bytes are unchanged.
 * @param extra how many more bytes it must hold without growing.
 * @param max   the most bytes the buffer may hold in all, NUL excluded.
 * @return 0; KSEF_ETOOBIG if size + extra would pass max; KSEF_ENOMEM;
 *         KSEF_EINVAL for a NULL buf.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_buf_reserve(ksef_buf *buf, size_t extra,
					       size_t max);

KSEF_END_DECLS

#endif
