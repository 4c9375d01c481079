/*
 * request.c - owns what a handler may ask of or add to a request besides
 * its HTTP side (http.c): the reference numbers that go on its log line,
 * the escaping of whatever a client sent before it goes on that line, the
 * line's JSON form (--log-format json; http.c writes the text one), the
 * request's id, and the permissions of its access token, which router.c
 * has verified and parsed into req->claims before any handler runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

void request_id(const struct request *req, char out[37])
{
	const char *t = req->trace_id;

	if (strlen(t) != 32) {
		snprintf(out, 37, "%s", t);
		return;
	}
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", t, t + 8, t + 12,
		 t + 16, t + 20);
}

/* The reference numbers of the text line (" a b"), as a JSON array. */
static json_t *refs_array(const char *refs)
{
	json_t *a = json_array();
	const char *p = refs, *e;

	while (a != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if (e > p)
			json_array_append_new(a, json_stringn(p,
				(size_t)(e - p)));
		p = e;
	}
	return a;
}

/*
 * One object a line: a log shipper takes each line as it comes, with no
 * parser of ours. Every string of it went through request_log_escape()
 * first, so it is printable ASCII: jansson never refuses it as bad UTF-8
 * (which would lose the field), and its JSON escaping leaves no raw
 * control character, so a %0a or a quote in a path stays inside its
 * string. The query is never logged (it may carry filters), nor a token
 * or a body, as in the text form.
 */
void request_log_json(const struct request *req, double duration_ms,
		      int closed_early)
{
	char when[64], stamp[32], method[4 * sizeof(req->method)],
	     path[4 * REQUEST_PATH_MAX], route[2 * REQUEST_PATH_MAX],
	     id[37], *line;
	struct timespec ts;
	struct tm tm;
	json_t *o;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when, sizeof(when), "%s.%03ldZ", stamp,
		 ts.tv_nsec / 1000000);
	request_log_escape(method, sizeof(method), req->method);
	request_log_escape(path, sizeof(path), req->path);
	request_id(req, id);
	o = json_object();
	if (o == NULL)
		return;
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "method", json_string(method));
	if (req->route_pattern != NULL) {
		snprintf(route, sizeof(route), "%s%s",
			 req->route_prefix ? req->route_prefix : "",
			 req->route_pattern);
		json_object_set_new(o, "route", json_string(route));
	} else {
		json_object_set_new(o, "route", json_null());
	}
	json_object_set_new(o, "path", json_string(path));
	json_object_set_new(o, "status",
			    json_integer(req->responded ? req->status : 0));
	json_object_set_new(o, "duration_ms", json_real(duration_ms));
	json_object_set_new(o, "refs", refs_array(req->log_refs));
	json_object_set_new(o, "ip", json_string(req->ip));
	json_object_set_new(o, "request_id", json_string(id));
	if (closed_early)
		json_object_set_new(o, "closed_early", json_true());
	/* 10 digits: 12345.678 ms reads back as written. */
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
			  JSON_REAL_PRECISION(10));
	json_decref(o);
	if (line == NULL)
		return;
	/* One call: stdio writes the line whole beside other threads'. */
	fprintf(stderr, "%s\n", line);
	free(line);
}
