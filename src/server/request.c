/*
 * request.c - owns what a handler may ask of or add to a request besides
 * its HTTP side (http.c): the reference numbers that go on its log line,
 * the escaping of whatever a client sent before it goes on that line, and
 * the permissions of its access token, which router.c has verified and
 * parsed into req->claims before any handler runs.
 */
#include <stdio.h>
#include <string.h>
#include "server.h"

size_t request_log_escape(char *out, size_t size, const char *in)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (size == 0)
		return 0;
	/* A client's path or reference goes on a log line that readers split
	 * at spaces and newlines: a %0a in a path must not start a forged
	 * line. Only visible ASCII other than the backslash stays as it is. */
	for (; *in != '\0'; in++) {
		unsigned char c = (unsigned char)*in;

		if (c > 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= size)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= size)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return o;
}

void request_log_ref(struct request *req, const char *ref)
{
	size_t n = strlen(req->log_refs);
	char safe[sizeof(req->log_refs)];

	if (ref == NULL || *ref == '\0')
		return;
	request_log_escape(safe, sizeof(safe), ref);
	if (strstr(req->log_refs, safe))
		return;
	snprintf(req->log_refs + n, sizeof(req->log_refs) - n, " %s", safe);
}

int request_has_permission(const struct request *req, const char *perm)
{
	return req->authed && jwt_has_permission(&req->claims, perm);
}
