/*
 * util.h - what ksefd and ksef share and the library does not export:
 * strict integer parsing and digit checks. Static, never installed. Setting a ksef_error
 * and bounded buffer appends are the library's (ksef_error_set(),
 * ksef_buf_append()).
 */
#ifndef KSEF_UTIL_H
#define KSEF_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Parse a whole decimal integer in [min, max]: 0, or -1 for anything
 * else (empty, sign where none allowed, trailing bytes, overflow). */
int util_parse_i64(int64_t *out, const char *s, int64_t min, int64_t max);

/* 1 when the n bytes at s are all ASCII digits (n 0 included), else 0. */
int util_all_digits(const char *s, size_t n);

#endif
