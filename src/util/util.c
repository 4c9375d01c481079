/*
 * util.c - small helpers shared by the programs (see util.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

int util_error_set(ksef_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	err->line = 0;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

int util_buf_put(ksef_buf *buf, const void *data, size_t len, size_t max)
{
	size_t need, nsize;
	unsigned char *p;

	if (__builtin_add_overflow(buf->size, len, &need) || need > max)
		return KSEF_ETOOBIG;
	if (need + 1 > buf->asize) {
		nsize = buf->asize + buf->asize / 2;
		if (nsize < need + 1)
			nsize = need + 1;
		if (nsize < 256)
			nsize = 256;
		p = realloc(buf->ptr, nsize);
		if (p == NULL)
			return KSEF_ENOMEM;
		buf->ptr = p;
		buf->asize = nsize;
	}
	if (len > 0)
		memcpy(buf->ptr + buf->size, data, len);
	buf->size = need;
	buf->ptr[need] = '\0';
	return 0;
}

int util_parse_i64(int64_t *out, const char *s, int64_t min, int64_t max)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
