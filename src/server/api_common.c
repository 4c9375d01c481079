/*
 * api_common.c - owns reading requests and writing the contract's common
 * shapes: JSON bodies checked member by member, bounded strings, page
 * sizes and continuation tokens, date-times and StatusInfo objects. Each
 * failure is answered here with 400/21405 naming the member, so handlers
 * stay short.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "errors.h"
#include "http.h"
#include "util/util.h"

/* The object in text[0..len), answered 400/21405 when it is none. */
static json_t *parse_object(struct request *req, const char *text,
			    size_t len)
{
	json_error_t jerr;
	json_t *j;

	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		errors_reply(req, 400, 21405,
			"Treść żądania nie jest poprawnym JSON: %s (linia %d).",
			jerr.text, jerr.line);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		errors_reply(req, 400, 21405,
			"Treść żądania musi być obiektem JSON.");
		return NULL;
	}
	return j;
}

json_t *api_body_object(struct request *req)
{
	if (req->body.size == 0) {
		errors_reply(req, 400, 21405, "Brak treści żądania.");
		return NULL;
	}
	return parse_object(req, (const char *)req->body.ptr, req->body.size);
}

static size_t skip_space(const char *b, size_t n, size_t i)
{
	while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' ||
			 b[i] == '\r'))
		i++;
	return i;
}

/* The end of the string whose text starts at b[i] (the index of its
 * closing quote, or n); *escaped tells whether it holds a backslash.
 * memchr, not a loop: the string may be megabytes of Base64. */
static size_t string_end(const char *b, size_t n, size_t i, int *escaped)
{
	const char *q, *bs;

	*escaped = 0;
	while (i < n) {
		if ((q = memchr(b + i, '"', n - i)) == NULL)
			return n;
		bs = memchr(b + i, '\\', (size_t)(q - (b + i)));
		if (bs == NULL)
			return (size_t)(q - b);
		/* An escape: what follows the backslash is not the end. */
		*escaped = 1;
		i = (size_t)(bs - b) + 2;
	}
	return n;
}

/*
 * Where the value of the top-level member `name` is in b, when it is a
 * string written without escapes: its text is b[*start..*end). Only
 * strings and nesting are told apart here, which is all it takes to know
 * where a member starts; jansson still parses, and judges, the rest.
 * Anything unusual (the name twice, a value not a plain string, a broken
 * text) returns 0, and jansson sees the body as it came.
 */
static int find_member(const char *b, size_t n, const char *name,
		       size_t *start, size_t *end)
{
	size_t klen = strlen(name), i, s, j;
	int depth = 0, found = 0, esc;

	for (i = 0; i < n; i++) {
		if (b[i] == '{' || b[i] == '[') {
			depth++;
			continue;
		}
		if (b[i] == '}' || b[i] == ']') {
			depth--;
			continue;
		}
		if (b[i] != '"')
			continue;
		s = i + 1;
		if ((i = string_end(b, n, s, &esc)) == n)
			return 0;
		if (depth != 1 || esc || i - s != klen ||
		    memcmp(b + s, name, klen) != 0)
			continue;
		j = skip_space(b, n, i + 1);
		if (j == n || b[j] != ':')
			continue; /* a value that reads like the name */
		j = skip_space(b, n, j + 1);
		if (j == n || b[j] != '"' || found)
			return 0;
		*start = j + 1;
		if ((*end = string_end(b, n, j + 1, &esc)) == n || esc)
			return 0;
		found = 1;
		i = *end;
	}
	return found;
}

json_t *api_body_object_lifting(struct request *req, const char *name,
				const char **val, size_t *len)
{
	const char *b = (const char *)req->body.ptr;
	size_t n = req->body.size, start, end;
	char *rest;
	json_t *j;

	*val = NULL;
	*len = 0;
	if (n == 0 || !find_member(b, n, name, &start, &end))
		return api_body_object(req);
	/* The body without the value's text: what jansson reads. */
	if ((rest = malloc(start + (n - end))) == NULL) {
		errors_reply(req, 500, 21405, "Brak pamięci.");
		return NULL;
	}
	memcpy(rest, b, start);
	memcpy(rest + start, b + end, n - end);
	j = parse_object(req, rest, start + (n - end));
	free(rest);
	if (j != NULL) {
		*val = b + start;
		*len = end - start;
	}
	return j;
}

const char *api_string(struct request *req, json_t *obj, const char *path,
		       const char *name, size_t min, size_t max, int required,
		       int *failed)
{
	json_t *v = obj ? json_object_get(obj, name) : NULL;
	size_t len;

	if (*failed)
		return NULL;
	if (v == NULL || json_is_null(v)) {
		if (required) {
			*failed = 1;
			errors_reply(req, 400, 21405,
				"Pole '%s%s' jest wymagane.", path, name);
		}
		return NULL;
	}
	if (!json_is_string(v)) {
		*failed = 1;
		errors_reply(req, 400, 21405,
			"Pole '%s%s' musi być tekstem.", path, name);
		return NULL;
	}
	len = json_string_length(v);
	if (len < min || len > max || strlen(json_string_value(v)) != len) {
		*failed = 1;
		if (min == max)
			errors_reply(req, 400, 21405,
				"Pole '%s%s' musi mieć długość %zu.", path,
				name, min);
		else
			errors_reply(req, 400, 21405,
				"Pole '%s%s' musi mieć długość od %zu do %zu.",
				path, name, min, max);
		return NULL;
	}
	return json_string_value(v);
}

int api_integer(struct request *req, json_t *obj, const char *name,
		int64_t min, int64_t max, int required, int64_t *out)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		errors_reply(req, 400, 21405, "Pole '%s' jest wymagane.", name);
		return -1;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		errors_reply(req, 400, 21405,
			"Pole '%s' musi być liczbą całkowitą od %" PRId64
			" do %" PRId64 ".", name, min, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

int api_boolean(struct request *req, json_t *obj, const char *name,
		int dflt, int *out)
{
	json_t *v = json_object_get(obj, name);

	*out = dflt;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		errors_reply(req, 400, 21405,
			"Pole '%s' musi być wartością logiczną.", name);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

int api_page_size(struct request *req, int min, int max, int dflt,
		  size_t *out)
{
	const char *s = http_query(req, "pageSize");
	int64_t v;

	*out = (size_t)dflt;
	if (s == NULL)
		return 0;
	if (util_parse_i64(&v, s, min, max) != 0) {
		errors_reply(req, 400, 21405,
			"Parametr 'pageSize' musi być liczbą od %d do %d.",
			min, max);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

/*
 * Continuation tokens are opaque to clients (SPEC 1.3). Ours are Base64 of
 * "k1|<ms>|<ref>": enough to resume a keyset scan, nothing secret, and
 * strictly parsed so a forged or mangled one is a clean 21418.
 */
char *api_cursor_make(int64_t ms, const char *ref)
{
	ksef_buf out = KSEF_BUF_INIT;
	char plain[128];
	char *s;
	int n = snprintf(plain, sizeof(plain), "k1|%" PRId64 "|%s", ms, ref);

	if (n < 0 || (size_t)n >= sizeof(plain) ||
	    ksef_base64_encode(&out, (const unsigned char *)plain, (size_t)n,
			       NULL) != 0)
		return NULL;
	s = strdup((const char *)out.ptr);
	ksef_buf_dispose(&out);
	return s;
}

int api_cursor(struct request *req, int *has, int64_t *ms, char *ref,
	       size_t ref_size)
{
	const char *tok = http_header(req, "x-continuation-token");
	ksef_buf plain = KSEF_BUF_INIT;
	char *p, *bar;
	int64_t v;

	*has = 0;
	if (tok == NULL || *tok == '\0')
		return 0;
	if (strlen(tok) > 256 ||
	    ksef_base64_decode(&plain, tok, strlen(tok), 128, NULL) != 0)
		goto bad;
	p = (char *)plain.ptr;
	if (strncmp(p, "k1|", 3) != 0 || (bar = strchr(p + 3, '|')) == NULL)
		goto bad;
	*bar = '\0';
	if (util_parse_i64(&v, p + 3, 0, INT64_MAX) != 0 ||
	    strlen(bar + 1) >= ref_size)
		goto bad;
	*ms = v;
	snprintf(ref, ref_size, "%s", bar + 1);
	*has = 1;
	ksef_buf_dispose(&plain);
	return 0;
bad:
	ksef_buf_dispose(&plain);
	errors_reply(req, 400, 21418, "Nieprawidłowy token kontynuacji.");
	return -1;
}

json_t *api_time(int64_t ms)
{
	ksef_time t = { ms, 0 };
	char buf[KSEF_TIME_BUFSZ];

	if (ksef_time_format(buf, t, NULL) != 0)
		return json_null();
	return json_string(buf);
}

json_t *api_status_info(int code, const char *description,
			const char *details_json)
{
	json_t *o = json_object(), *d;

	json_object_set_new(o, "code", json_integer(code));
	json_object_set_new(o, "description", json_string(description ?
		description : "Nieznany błąd"));
	if (details_json != NULL && *details_json != '\0') {
		d = json_loads(details_json, 0, NULL);
		if (json_is_array(d) && json_array_size(d) > 0)
			json_object_set_new(o, "details", d);
		else
			json_decref(d);
	}
	return o;
}

int api_query_time(struct request *req, const char *name, int *has,
		   int64_t *ms)
{
	const char *s = http_query(req, name);
	ksef_time t;

	*has = 0;
	if (s == NULL)
		return 0;
	if (ksef_time_parse(&t, s, strlen(s), NULL) != 0) {
		errors_reply(req, 400, 21405,
			"Parametr '%s' musi być datą i czasem ISO 8601.", name);
		return -1;
	}
	*has = 1;
	*ms = t.unix_ms;
	return 0;
}

int api_param_refnum(struct request *req, size_t i)
{
	const char *p = req->params[i];

	if (strlen(p) != KSEF_REFNUM_LEN ||
	    ksef_refnum_validate(p, KSEF_REFNUM_LEN, NULL) == KSEF_EFORMAT) {
		errors_reply(req, 400, 21405,
			"Numer referencyjny '%.40s' ma nieprawidłowy format.", p);
		return -1;
	}
	request_log_ref(req, p);
	return 0;
}

/*
 * The KsefNumber schema's pattern (open-api.json), and nothing more: a
 * number with a wrong check value, or the 36-character form of KSeF 1.0,
 * is a number to look up, which then is not found (21164, 21178), as on
 * the live system. Checked by hand rather than by regex: the pattern is
 * small and fixed.
 */
static int upper_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

int api_ksef_number_shaped(const char *k)
{
	size_t len = strlen(k), tech;
	int y, m, d;

	/* NIP-YYYYMMDD-HHHHHH[-]HHHHHH-CC */
	if ((len != 35 && len != 36) || k[10] != '-' || k[19] != '-' ||
	    k[len - 3] != '-' || !util_all_digits(k, 10) ||
	    !util_all_digits(k + 11, 8))
		return 0;
	/* [1-9]((\d[1-9])|([1-9]\d))\d{7} */
	if (k[0] == '0' || (k[1] == '0' && k[2] == '0'))
		return 0;
	y = (k[11] - '0') * 1000 + (k[12] - '0') * 100 + (k[13] - '0') * 10 +
	    (k[14] - '0');
	m = (k[15] - '0') * 10 + (k[16] - '0');
	d = (k[17] - '0') * 10 + (k[18] - '0');
	if (y < 2020 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	tech = len - 20 - 3;    /* 12, or 13 with the 1.0 form's hyphen */
	if (tech == 12)
		return upper_hex(k + 20, 12) && upper_hex(k + 33, 2);
	return k[26] == '-' && upper_hex(k + 20, 6) &&
	       upper_hex(k + 27, 6) && upper_hex(k + 34, 2);
}

struct ring_key *api_server_key(struct request *req, unsigned usage,
				const char *key_id)
{
	struct server *srv = req->srv;
	struct ring_key *rk;
	ksef_error err;

	if (keyring_refresh(srv, &err) != 0) {
		errors_internal(req, &err);
		return NULL;
	}
	keyring_lock(srv);
	rk = key_id ? keyring_find(srv, key_id, usage, server_now_ms()) :
		      keyring_current(srv, usage, server_now_ms());
	if (rk == NULL) {
		keyring_unlock(srv);
		errors_reply(req, 400, 21470,
			"Klucz o identyfikatorze %s nie jest wspierany.",
			key_id ? key_id : "(brak)");
	}
	return rk;
}

/*
 * Who sees a session (GET /sessions' description; the official scenario
 * S6): with Introspection or EnforcementOperations, every session of the
 * context; otherwise (InvoiceWrite, PefInvoiceWrite) only those its own
 * subject opened, whichever of its authentications opened them. The
 * context's owner holds Introspection, so it sees all.
 */
static int sees_session(struct request *req, const store_session *s)
{
	store_auth op;

	if (request_has_permission(req, "Introspection") ||
	    request_has_permission(req, "EnforcementOperations"))
		return 1;
	/* The authentication that opened it is its subject's: no read. */
	if (strcmp(s->auth_ref, req->claims.reference) == 0)
		return 1;
	return store_auth_get(req->srv->store, req->claims.reference, &op,
			      NULL) == 0 &&
	       strcmp(op.subject_value, s->subject_value) == 0;
}

int api_store_failed(struct request *req, int rc, const ksef_error *err)
{
	if (rc == STORE_OK || rc == STORE_NOT_FOUND)
		return 0;
	errors_internal(req, err);
	return 1;
}

int api_load_session(struct request *req, store_session *s, const char *verb)
{
	const char *ref = req->params[0];
	ksef_error err;
	int rc;

	if (api_param_refnum(req, 0) != 0)
		return -1;
	rc = store_session_get(req->srv->store, ref, s, &err);
	if (api_store_failed(req, rc, &err))
		return -1;
	/* Another subject's session is answered as one that does not
	 * exist: its number tells a caller nothing. */
	if (rc != 0 ||
	    strcmp(s->ctx_type, req->claims.context_type) != 0 ||
	    strcmp(s->ctx_value, req->claims.context_value) != 0 ||
	    !sees_session(req, s)) {
		errors_reply(req, 400, 21173, "Sesja o numerze referencyjnym "
			"%s nie została %s.", ref, verb);
		return -1;
	}
	return 0;
}

void api_set_continuation(json_t *o, int more, int64_t ms, const char *ref)
{
	char *c;

	if (!more)
		return;
	c = api_cursor_make(ms, ref);
	json_object_set_new(o, "continuationToken", c ? json_string(c) :
			    json_null());
	free(c);
}

int api_page(struct request *req, int max_size, size_t *offset,
	     size_t *limit)
{
	const char *s = http_query(req, "pageOffset");
	int64_t page = 0;

	if (api_page_size(req, 10, max_size, 10, limit) != 0)
		return -1;
	/* pageOffset is a page number (int32, from 0): the rows skipped
	 * are at most 2^31 * max_size, well within an int64. */
	if (s != NULL && util_parse_i64(&page, s, 0, INT32_MAX) != 0) {
		errors_reply(req, 400, 21405, "Parametr 'pageOffset' musi być "
			"liczbą od 0 do %d.", INT32_MAX);
		return -1;
	}
	*offset = (size_t)page * *limit;
	return 0;
}
