/*
 * fake_http.c - headers and query arguments for requests without a
 * connection (fake_http.h). A bounded table: libmicrohttpd too keeps what
 * a client sent, and a table entry over the bound is simply dropped.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fake_http.h"
#include "fuzz_support.h"

#define FAKE_HTTP_MAX 64

enum kind { HEADER, QUERY };

static struct {
	enum kind kind;
	char *name, *value;
} vals[FAKE_HTTP_MAX];
static size_t nvals;

void fake_http_reset(void)
{
	size_t i;

	for (i = 0; i < nvals; i++) {
		free(vals[i].name);
		free(vals[i].value);
	}
	nvals = 0;
}

static void add(enum kind kind, char *name, char *value)
{
	if (nvals == FAKE_HTTP_MAX) {
		free(name);
		free(value);
		return;
	}
	vals[nvals].kind = kind;
	vals[nvals].name = name;
	vals[nvals].value = value;
	nvals++;
}

void fake_http_header(const char *name, size_t name_len, const char *value,
		      size_t value_len)
{
	add(HEADER, fuzz_strndup((const uint8_t *)name, name_len),
	    fuzz_strndup((const uint8_t *)value, value_len));
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t fake_http_unescape(char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && hex(s[i + 1]) >= 0 &&
		    hex(s[i + 2]) >= 0) {
			s[o++] = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
			i += 2;
		} else {
			s[o++] = s[i];
		}
	}
	s[o] = '\0';
	return o;
}

void fake_http_query_string(const char *q, size_t len)
{
	struct fuzz_in in = { (const uint8_t *)q, len };

	while (in.n > 0) {
		size_t n, klen;
		const uint8_t *arg = fuzz_take(&in, '&', &n);
		const uint8_t *eq = memchr(arg, '=', n);
		char *name, *value;

		klen = eq ? (size_t)(eq - arg) : n;
		name = fuzz_strndup(arg, klen);
		value = eq ? fuzz_strndup(eq + 1, n - klen - 1) :
			     fuzz_strndup(arg, 0);
		/* '+' is a space in a query, as in a submitted form. */
		for (n = 0; value[n] != '\0'; n++)
			if (value[n] == '+')
				value[n] = ' ';
		fake_http_unescape(name, strlen(name));
		fake_http_unescape(value, strlen(value));
		add(QUERY, name, value);
	}
}

static const char *find(enum kind kind, const char *name)
{
	size_t i;

	for (i = 0; i < nvals; i++)
		if (vals[i].kind == kind &&
		    (kind == HEADER ? strcasecmp(vals[i].name, name) :
				      strcmp(vals[i].name, name)) == 0)
			return vals[i].value;
	return NULL;
}

const char *__wrap_http_header(struct request *req, const char *name)
{
	(void)req;
	return find(HEADER, name);
}

const char *__wrap_http_query(struct request *req, const char *name)
{
	(void)req;
	return find(QUERY, name);
}

size_t __wrap_http_query_all(struct request *req, const char *name,
			     const char **out, size_t max)
{
	size_t i, n = 0;

	(void)req;
	for (i = 0; i < nvals; i++) {
		if (vals[i].kind != QUERY || strcmp(vals[i].name, name) != 0)
			continue;
		if (n < max)
			out[n] = vals[i].value;
		n++;
	}
	return n;
}
