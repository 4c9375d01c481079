/*
 * buf.c - owns ksef_buf: bounded growth, appends, and disposal (plain or
 * wiping). Every buffer in libksef grows only through ksef__buf_grow, so
 * one place enforces that no input can make the library allocate without
 * a bound; ksef_buf_append() gives programs the same bounded append.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "internal.h"

void ksef__wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

void ksef_buf_dispose(ksef_buf *buf)
{
	if (buf == NULL)
		return;
	free(buf->ptr);
	buf->ptr = NULL;
	buf->size = buf->asize = 0;
}

void ksef_buf_dispose_secure(ksef_buf *buf)
{
	if (buf == NULL)
		return;
	ksef__wipe(buf->ptr, buf->asize);
	ksef_buf_dispose(buf);
}

int ksef__buf_grow(ksef_buf *buf, size_t extra, size_t max)
{
	size_t need, nsize;
	unsigned char *p;

	if (__builtin_add_overflow(buf->size, extra, &need) || need > max)
		return KSEF_ETOOBIG;
	if (need + 1 <= buf->asize)
		return 0;
	/* Grow by half again to keep appends amortised O(1). */
	nsize = buf->asize + buf->asize / 2;
	if (nsize < need + 1)
		nsize = need + 1;
	if (nsize < 64)
		nsize = 64;
	p = realloc(buf->ptr, nsize);
	if (p == NULL)
		return KSEF_ENOMEM;
	buf->ptr = p;
	buf->asize = nsize;
	return 0;
}

int ksef__buf_put(ksef_buf *buf, const void *data, size_t len, size_t max)
{
	int error = ksef__buf_grow(buf, len, max);

	if (error < 0)
		return error;
	if (len > 0)
		memcpy(buf->ptr + buf->size, data, len);
	buf->size += len;
	buf->ptr[buf->size] = '\0';
	return 0;
}

int ksef_buf_append(ksef_buf *buf, const void *data, size_t len, size_t max)
{
	if (buf == NULL || (data == NULL && len > 0))
		return KSEF_EINVAL;
	return ksef__buf_put(buf, data, len, max);
}

int ksef_buf_reserve(ksef_buf *buf, size_t extra, size_t max)
{
	if (buf == NULL)
		return KSEF_EINVAL;
	return ksef__buf_grow(buf, extra, max);
}

int ksef__buf_printf(ksef_buf *buf, size_t max, const char *fmt, ...)
{
	va_list ap;
	int n, error;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return KSEF_EINVAL;
	if ((error = ksef__buf_grow(buf, (size_t)n, max)) < 0)
		return error;
	va_start(ap, fmt);
	vsnprintf((char *)buf->ptr + buf->size, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->size += (size_t)n;
	return 0;
}

void ksef__buf_swap_in(ksef_buf *dst, ksef_buf *src)
{
	ksef_buf_dispose(dst);
	*dst = *src;
	src->ptr = NULL;
	src->size = src->asize = 0;
}
