/*
 * internal.h - what the files of libksef share and nobody else sees:
 * setting a ksef_error, growing a ksef_buf within a bound, and turning an
 * OpenSSL error queue into a message. Never installed, never exported.
 */
#ifndef KSEF_INTERNAL_H
#define KSEF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "ksef/buf.h"
#include "ksef/error.h"

#if defined(__GNUC__) || defined(__clang__)
#define KSEF__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define KSEF__PRINTF(f, a)
#endif

/*
 * Fill err (when not NULL) with code, line 0 and a formatted message.
 * @return code, so a failure can be reported in one statement.
 */
int ksef__error_set(ksef_error *err, int code, const char *fmt, ...)
	KSEF__PRINTF(3, 4);

/* As ksef__error_set(), with the input line where the problem was found. */
int ksef__error_set_line(ksef_error *err, int code, int line,
			 const char *fmt, ...) KSEF__PRINTF(4, 5);

/*
 * Report an OpenSSL failure: the message is what, followed by OpenSSL's
 * first queued reason. The queue is cleared so that it cannot leak into
 * an unrelated later call on this thread.
 * @return code, or KSEF_ENOMEM when an allocation failure is queued.
 */
int ksef__error_openssl(ksef_error *err, int code, const char *what);

/* Whether OpenSSL's queue (left as it is) says an allocation failed. */
int ksef__openssl_nomem(void);

/*
 * A copy of an OpenSSL key (EVP_PKEY *, void here so that this header
 * needs no OpenSSL), for one operation: OpenSSL 3.0 keeps RSA blinding
 * values in the key and renews them every 32 uses, and when an allocation
 * fails halfway through, the two no longer match and every later private
 * operation with that key object goes wrong. NULL when it cannot be made,
 * including when OpenSSL queued an error while copying (it may return a
 * key it could not copy whole). Clears OpenSSL's queue first.
 */
void *ksef__pkey_copy(const void *key);

/*
 * OpenSSL's pem_password_cb for a passphrase the caller gave (u, a C
 * string, or NULL for none): OpenSSL's default would prompt on the
 * terminal, which a library must never do. A passphrase longer than
 * OpenSSL's buffer is no passphrase (0), never a cut one.
 */
int ksef__pem_passphrase(char *buf, int size, int rwflag, void *u);

/*
 * Make room for `extra` more bytes (and a NUL) in buf, refusing to grow
 * past `max` used bytes. Returns 0, KSEF_ETOOBIG or KSEF_ENOMEM; buf is
 * unchanged on failure.
 */
int ksef__buf_grow(ksef_buf *buf, size_t extra, size_t max);

/* Append bytes, within max. Same returns as ksef__buf_grow(). */
int ksef__buf_put(ksef_buf *buf, const void *data, size_t len, size_t max);

/* Append a formatted string, within max. */
int ksef__buf_printf(ksef_buf *buf, size_t max, const char *fmt, ...)
	KSEF__PRINTF(3, 4);

/* Move src's bytes into dst (disposing what dst held); src becomes empty. */
void ksef__buf_swap_in(ksef_buf *dst, ksef_buf *src);

/*
 * Decode one UTF-8 sequence strictly: no overlong forms, no surrogates,
 * nothing past U+10FFFF. Returns its length (the code point in *cp when
 * cp is not NULL), or 0 if the bytes at p are not valid UTF-8.
 */
size_t ksef__utf8_next(const unsigned char *p, size_t avail,
		       unsigned long *cp);

/* Overwrite secret bytes in a way the compiler cannot elide. */
void ksef__wipe(void *p, size_t len);

/* Whole seconds since the epoch of an instant in milliseconds, rounded
 * down (towards the past, also before 1970), for OpenSSL's time_t. */
static inline int64_t ksef__ms_to_s(int64_t ms)
{
	return ms >= 0 ? ms / 1000 : -((-(ms + 1)) / 1000) - 1;
}

/* AES-256-CBC and SHA-256, fetched once (algs.c); ksef__algs_free() at
 * ksef_global_cleanup(). */
const struct evp_cipher_st *ksef__aes_256_cbc(void);
const struct evp_md_st *ksef__sha256(void);
void ksef__algs_free(void);

#endif
