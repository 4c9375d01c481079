/*
 * fake_http.h - the request headers and query arguments of ksefd requests
 * made without a connection. ksefd's modules ask http.c for them
 * (http_header(), http_query(), http_query_all()), which asks
 * libmicrohttpd; the fuzz targets that use this file are linked with
 * -Wl,--wrap for those three functions, so the calls land here instead
 * and see what the input set. Everything else of http.c (the replies) is
 * the real code.
 */
#ifndef KSEF_FAKE_HTTP_H
#define KSEF_FAKE_HTTP_H

#include <stddef.h>
#include "server.h"

/* Forget every header and argument. */
void fake_http_reset(void);

/* Add a header (names match without regard to case, as in HTTP). */
void fake_http_header(const char *name, size_t name_len, const char *value,
		      size_t value_len);

/* Add the arguments of a query string ("a=1&b=%20"), percent-decoded as
 * libmicrohttpd decodes them. */
void fake_http_query_string(const char *q, size_t len);

/* Percent-decode s in place as libmicrohttpd does (a bad escape stays as
 * it is); returns the new length. The result is NUL-terminated. */
size_t fake_http_unescape(char *s, size_t len);

/* What the wrapped calls reach. */
const char *__wrap_http_header(struct request *req, const char *name);
const char *__wrap_http_query(struct request *req, const char *name);
size_t __wrap_http_query_all(struct request *req, const char *name,
			     const char **vals, size_t max);

#endif
