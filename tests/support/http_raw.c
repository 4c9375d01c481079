/*
 * http_raw.c - see http_raw.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include "testsupport.h"
#include "http_raw.h"

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct raw_response *r = ud;
	size_t add = size * n;
	char *b = realloc(r->body, r->len + add + 1);

	if (b == NULL)
		return 0;
	memcpy(b + r->len, p, add);
	r->len += add;
	b[r->len] = '\0';
	r->body = b;
	return add;
}

static void header_value(char *dst, size_t size, const char *line,
			 size_t len, const char *name)
{
	size_t n = strlen(name), end = len;

	if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return;
	line += n + 1;
	end -= n + 1;
	while (end > 0 && (*line == ' ')) {
		line++;
		end--;
	}
	while (end > 0 && (line[end - 1] == '\r' || line[end - 1] == '\n'))
		end--;
	snprintf(dst, size, "%.*s", (int)end, line);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct raw_response *r = ud;
	size_t len = size * n;

	header_value(r->content_type, sizeof(r->content_type), p, len,
		     "Content-Type");
	header_value(r->retry_after, sizeof(r->retry_after), p, len,
		     "Retry-After");
	header_value(r->meta_hash, sizeof(r->meta_hash), p, len,
		     "x-ms-meta-hash");
	return len;
}

void raw_request(struct raw_response *r, const char *method, const char *url,
		 const char *bearer, const char *header, const char *body,
		 size_t body_len)
{
	struct curl_slist *h = NULL;
	char auth[8192];
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (bearer != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		h = curl_slist_append(h, auth);
	}
	if (header != NULL)
		h = curl_slist_append(h, header);
	if (body != NULL) {
		h = curl_slist_append(h, "Content-Type: application/json");
		/* A large body waits for the server's word, as a real
		 * client's does: ksefd refuses one over its route's limit
		 * from Content-Length and closes, and a body sent regardless
		 * meets a reset instead of the 413. */
		if (body_len > 65536)
			h = curl_slist_append(h, "Expect: 100-continue");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)body_len);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		fail_msg("%s %s: %s", method, url, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (r->body == NULL)
		r->body = calloc(1, 1);
}

void raw_free(struct raw_response *r)
{
	free(r->body);
	r->body = NULL;
}

json_t *raw_json(const struct raw_response *r)
{
	json_error_t e;
	json_t *j = json_loadb(r->body, r->len, 0, &e);

	if (j == NULL)
		fail_msg("not JSON (%ld): %.200s", r->status, r->body);
	return j;
}

int raw_error_code(const struct raw_response *r)
{
	json_t *j = json_loadb(r->body, r->len, 0, NULL), *e;
	int code = 0;

	e = json_object_get(json_object_get(j, "exception"),
			    "exceptionDetailList");
	if (json_is_array(e))
		code = (int)json_integer_value(json_object_get(
			json_array_get(e, 0), "exceptionCode"));
	e = json_object_get(j, "errors");
	if (json_is_array(e))
		code = (int)json_integer_value(json_object_get(
			json_array_get(e, 0), "code"));
	json_decref(j);
	return code;
}
