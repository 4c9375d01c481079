/*
 * util.h - what ksefd and ksef share and the library does not export:
 * setting a ksef_error from program code, bounded buffer appends, strict
 * integer parsing. Static, never installed.
 */
#ifndef KSEF_UTIL_H
#define KSEF_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "ksef/buf.h"
#include "ksef/error.h"

/* Fill err (when not NULL) and return code. */
int util_error_set(ksef_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append len bytes to buf unless it would pass max bytes in all:
 * 0, KSEF_ETOOBIG or KSEF_ENOMEM. buf stays NUL-terminated. */
int util_buf_put(ksef_buf *buf, const void *data, size_t len, size_t max);

/* Parse a whole decimal integer in [min, max]: 0, or -1 for anything
 * else (empty, sign where none allowed, trailing bytes, overflow). */
int util_parse_i64(int64_t *out, const char *s, int64_t min, int64_t max);

#endif
