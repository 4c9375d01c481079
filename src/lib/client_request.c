/*
 * client_request.c - what every endpoint of client_*.c does the same way
 * before and around its exchange: checking the caller's arguments,
 * building paths and percent-encoded queries, the exchanges themselves
 * (JSON, no body, a document), and the plumbing of typed results and of
 * paged lists. What a call sends and what its answer means belong to the
 * file of its API tag; reading answers belongs to client_read.c.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "alloc.h"
#include "internal.h"
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "client_int.h"

/*
 * Checking the caller's arguments
 */

/* Every public call starts so: refuse a NULL argument, then forget what
 * the previous call left (its error answer, status and warning). */
int ksef__req_begin(ksef_client *c, int args_ok, ksef_error *err)
{
	if (c == NULL || !args_ok)
		return ksef__error_set(err, KSEF_EINVAL, "NULL argument");
	ksef__client_begin(c);
	return 0;
}

/* A path segment: a reference or KSeF number. Only [0-9A-Za-z-] can
 * appear, so nothing the caller passes can change the path's meaning. */
static int check_segment(const char *name, const char *s, size_t minlen,
			 size_t maxlen, ksef_error *err)
{
	size_t len;

	if (s == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "%s is NULL", name);
	len = strnlen(s, maxlen + 1);
	if (len < minlen || len > maxlen ||
	    strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "abcdefghijklmnopqrstuvwxyz-") != len)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s must be %zu to %zu letters, digits or hyphens",
			name, minlen, maxlen);
	return 0;
}

int ksef__req_check_ref(const char *name, const char *s, ksef_error *err)
{
	return check_segment(name, s, KSEF_REFNUM_LEN, KSEF_REFNUM_LEN, err);
}

/* Page sizes are 10 to max, or 0 for the server's default. */
int ksef__req_check_page_size(int page_size, int max, ksef_error *err)
{
	if (page_size != 0 && (page_size < 10 || page_size > max))
		return ksef__error_set(err, KSEF_EINVAL,
			"page size must be 10 to %d, or 0", max);
	return 0;
}

int ksef__req_check_ksef_number(const char *s, ksef_error *err)
{
	/* 36 characters is the KSeF 1.0 form the OpenAPI still admits. */
	return check_segment("KSeF number", s, KSEF_NUMBER_LEN,
			     KSEF_NUMBER_LEN + 1, err);
}

/* UTF-8 characters in a string jansson has already validated. */
size_t ksef__req_utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/*
 * Building paths and queries
 */

/* Append s percent-encoded: only RFC 3986 unreserved bytes stay as they
 * are, so '+' in an offset or '&' in a filter cannot break the query. */
static int put_escaped(ksef_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int error = 0;

	for (; *s != '\0' && !error; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~') {
			error = ksef__buf_put(b, s, 1, KSEF__PATH_MAX_BYTES);
		} else {
			char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };

			error = ksef__buf_put(b, e, 3, KSEF__PATH_MAX_BYTES);
		}
	}
	return error;
}

/* Append "?name=value" or "&name=value". */
int ksef__req_put_param(ksef_buf *b, const char *name, const char *value)
{
	int error = ksef__buf_printf(b, KSEF__PATH_MAX_BYTES, "%c%s=",
		b->ptr != NULL && memchr(b->ptr, '?', b->size) ? '&' : '?',
		name);

	return error < 0 ? error : put_escaped(b, value);
}

int ksef__req_put_int_param(ksef_buf *b, const char *name, int v)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", v);
	return ksef__req_put_param(b, name, num);
}

/* Array parameters repeat the name (SPEC 1.2): name=value for each flag
 * ksef__req_json_set, in the table's order. */
int ksef__req_put_flag_params(ksef_buf *b, const char *name,
			      const struct ksef__bit_name *names, size_t n,
			      unsigned flags)
{
	size_t i;
	int error;

	for (i = 0; i < n; i++)
		if ((flags & names[i].bit) &&
		    (error = ksef__req_put_param(b, name, names[i].name)) < 0)
			return error;
	return 0;
}

int ksef__req_put_time_param(ksef_buf *b, const char *name, int64_t ms,
			     ksef_error *err)
{
	char text[KSEF_TIME_BUFSZ];
	int error;

	if (ms == KSEF_TIME_UNSET)
		return 0;
	/* Polish local time, as KSeF writes its own dates. */
	if ((error = ksef_time_format(text, ksef_time_warsaw(ms), err)) < 0)
		return error;
	return ksef__req_put_param(b, name, text);
}

int ksef__req_path_fail(int error, ksef_error *err)
{
	if (error == KSEF_ETOOBIG)
		return ksef__error_set(err, KSEF_EINVAL,
				       "the request path is over %d bytes",
				       KSEF__PATH_MAX_BYTES);
	return ksef__error_set(err, error, "out of memory");
}

/*
 * Exchanges
 */

void ksef__req_describe(char *out, size_t outsz, const ksef__request *rq)
{
	snprintf(out, outsz, "%s %.*s", rq->method,
		 (int)strcspn(rq->path, "?"), rq->path);
}

/* An exchange whose answer is a JSON object (or, with want_array, an
 * array). */
static int call_json(json_t **root, ksef_client *c, const ksef__request *rq,
		     int want_array, ksef_error *err)
{
	ksef__response rs = KSEF__RESPONSE_INIT;
	json_error_t je;
	char what[160];
	int error, nomem;

	*root = NULL;
	if ((error = ksef__client_perform(c, rq, &rs, err)) < 0)
		return error;
	ksef__req_describe(what, sizeof(what), rq);
	/* The position only: jansson's text quotes the input, which may be
	 * part of a token. */
	*root = ksef__json_loadb((const char *)rs.body.ptr, rs.body.size,
				 JSON_REJECT_DUPLICATES, &je, &nomem);
	ksef__response_dispose(&rs);
	if (nomem) {
		json_decref(*root);
		*root = NULL;
		return ksef__error_set(err, KSEF_ENOMEM,
			"%s: out of memory reading the response", what);
	}
	if (*root == NULL)
		return ksef__error_set(err, KSEF_EPARSE,
			"%s: the response is not JSON (line %d, column %d)",
			what, je.line, je.column);
	if (want_array ? !json_is_array(*root) : !json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		return ksef__error_set(err, KSEF_EPARSE,
			"%s: the response is not a JSON %s", what,
			want_array ? "array" : "object");
	}
	return 0;
}

/* An exchange whose answer has no body we need (204). */
static int call_none(ksef_client *c, const ksef__request *rq, ksef_error *err)
{
	ksef__response rs = KSEF__RESPONSE_INIT;
	int error = ksef__client_perform(c, rq, &rs, err);

	ksef__response_dispose(&rs);
	return error;
}

/* The access token a call needs, or EINVAL when none is set. */
int ksef__req_need_token(const char **tok, ksef_client *c, ksef_error *err)
{
	*tok = ksef__client_access_token(c);
	if (*tok == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"no access token: call ksef_client_set_access_token()");
	return 0;
}

/* Most calls are one request under the access token: fill rq for it. */
static int with_token(ksef__request *rq, ksef_client *c, const char *method,
		      const char *path, int retry_safe, ksef_error *err)
{
	rq->method = method;
	rq->path = path;
	rq->retry_safe = retry_safe;
	return ksef__req_need_token(&rq->bearer, c, err);
}

/* A call under the access token whose answer has no body we need: the
 * revocations and the closing of a session. */
int ksef__req_call_simple(ksef_client *c, const char *method, const char *path,
			  int retry_safe, ksef_error *err)
{
	ksef__request rq = { 0 };
	int error = with_token(&rq, c, method, path, retry_safe, err);

	return error < 0 ? error : call_none(c, &rq, err);
}

/* The same about one reference, a public call of its own: the path is
 * prefix, the reference (once ksef__req_check_ref() has passed it as
 * `name`) and suffix. */
int ksef__req_call_on_ref(ksef_client *c, const char *method,
			  const char *prefix, const char *name, const char *ref,
			  const char *suffix, int retry_safe, ksef_error *err)
{
	char path[96];
	int error;

	if (c == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "client is NULL");
	ksef__client_begin(c);
	if ((error = ksef__req_check_ref(name, ref, err)) < 0)
		return error;
	snprintf(path, sizeof(path), "%s%s%s", prefix, ref, suffix);
	return ksef__req_call_simple(c, method, path, retry_safe, err);
}

/* An exchange whose answer is a document, checked by x-ms-meta-hash. */
int ksef__req_call_bytes(ksef_buf *out, ksef_client *c, ksef__request *rq,
			 ksef_error *err)
{
	ksef__response rs = KSEF__RESPONSE_INIT;
	int error;

	rq->check_meta_hash = 1;
	if (rq->accept == NULL)
		rq->accept = "application/xml, application/json, "
			     "application/problem+json";
	if ((error = ksef__client_perform(c, rq, &rs, err)) < 0)
		return error;
	ksef__buf_swap_in(out, &rs.body);
	return 0;
}

/* A request body as compact JSON text. */
static int dump_body(char **out, size_t *len, json_t *body, ksef_error *err)
{
	*out = json_dumps(body, JSON_COMPACT);
	if (*out == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	*len = strlen(*out);
	return 0;
}

static void free_body(char *body, size_t len)
{
	if (body != NULL) {
		ksef__wipe(body, len);
		free(body);
	}
}
/* GET a document under the access token. */
int ksef__req_download(ksef_buf *out, ksef_client *c, const char *path,
		       ksef_error *err)
{
	ksef__request rq = { 0 };
	int error = with_token(&rq, c, "GET", path, 1, err);

	return error < 0 ? error : ksef__req_call_bytes(out, c, &rq, err);
}

/* json_object_set_new that reports failure; it steals v either way. */
int ksef__req_json_set(json_t *obj, const char *key, json_t *v)
{
	return v == NULL || json_object_set_new(obj, key, v) < 0 ?
		KSEF_ENOMEM : 0;
}

/*
 * Results. Every call that answers with a typed result makes it the same
 * way: a new result that parse fills from the answer, handed out only
 * when all of it was read, so that a failed call never returns half a
 * result and frees what it had read in one place.
 */

static int parse_result(void **out, const json_t *root, const ksef__request *rq,
			size_t size, ksef__parse_fn parse, ksef_error *err)
{
	char what[160];
	struct ksef__rd r;
	int error;

	ksef__req_describe(what, sizeof(what), rq);
	if ((error = ksef__rd_new(&r, size, what, err)) < 0)
		return error;
	if ((error = parse(&r, root, r.res)) < 0) {
		ksef__result_free(r.res);
		return error;
	}
	*out = r.res;
	return 0;
}

/* An exchange whose JSON answer (an object, or with want_array an array)
 * becomes a result of `size` bytes. */
int ksef__req_call_result(void **out, ksef_client *c, const ksef__request *rq,
			  int want_array, size_t size, ksef__parse_fn parse,
			  ksef_error *err)
{
	json_t *root;
	int error;

	if ((error = call_json(&root, c, rq, want_array, err)) < 0)
		return error;
	error = parse_result(out, root, rq, size, parse, err);
	json_decref(root);
	return error;
}

/* POST a JSON body made by a ksef__client_build_*_body builder (it takes
 * the reference) and read the answer into a result. The body is wiped
 * before the answer is read: it may hold an encrypted token. */
int ksef__req_post_text_result(void **out, ksef_client *c, ksef__request *rq,
			       const char *text, size_t len, size_t size,
			       ksef__parse_fn parse, ksef_error *err)
{
	json_t *root;
	int error;

	rq->method = "POST";
	rq->content_type = "application/json";
	rq->body = (const unsigned char *)text;
	rq->body_len = len;
	error = call_json(&root, c, rq, 0, err);
	rq->body = NULL;
	if (error < 0)
		return error;
	error = parse_result(out, root, rq, size, parse, err);
	json_decref(root);
	return error;
}

int ksef__req_post_result(void **out, ksef_client *c, ksef__request *rq,
			  json_t *body, size_t size, ksef__parse_fn parse,
			  ksef_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int error = dump_body(&text, &len, body, err);

	json_decref(body);
	if (error < 0)
		return error;
	error = ksef__req_post_text_result(out, c, rq, text, len, size, parse,
					   err);
	free_body(text, len);
	return error;
}

/* GET one object under the access token: the status calls. Reads only,
 * so it may be retried. */
int ksef__req_get_one(void **out, ksef_client *c, const char *path, size_t size,
		      ksef__parse_fn parse, ksef_error *err)
{
	ksef__request rq = { 0 };
	int error = with_token(&rq, c, "GET", path, 1, err);

	return error < 0 ? error : ksef__req_call_result(out, c, &rq, 0, size,
							 parse, err);
}

int ksef__req_get_on_ref(void **out, ksef_client *c, const char *prefix,
			 const char *name, const char *ref, size_t size,
			 ksef__parse_fn parse, ksef_error *err)
{
	char path[96];
	int error;

	if ((error = ksef__req_check_ref(name, ref, err)) < 0)
		return error;
	snprintf(path, sizeof(path), "%s%s", prefix, ref);
	return ksef__req_get_one(out, c, path, size, parse, err);
}

/*
 * Lists. The list endpoints answer alike (SPEC 1.3): a continuationToken
 * and an array of objects under a name of their own; the next page is
 * asked for with the token in x-continuation-token.
 */

static int parse_page(void **out, const json_t *root,
		      const ksef__request *rq,
		      const struct ksef__list_kind *kind, ksef_error *err)
{
	char what[160];
	struct ksef__list *l;
	struct ksef__rd r;
	int error;

	ksef__req_describe(what, sizeof(what), rq);
	if ((error = ksef__rd_new(&r, sizeof(*l), what, err)) < 0)
		return error;
	l = r.res;
	l->item_size = kind->item_size;
	if ((error = ksef__rd_continuation(&r, root, &l->continuation)) < 0 ||
	    (error = ksef__rd_items(&r, root, kind->key, l,
				    kind->parse)) < 0) {
		ksef__result_free(r.res);
		return error;
	}
	*out = r.res;
	return 0;
}

/* GET one page of a list under the access token; build makes the path
 * from args, after the token is found. */
int ksef__req_get_page(void **out, ksef_client *c,
		       const struct ksef__list_kind *kind, ksef__path_fn build,
		       const void *args, const char *continuation,
		       ksef_error *err)
{
	ksef__request rq = { 0 };
	ksef_buf path = KSEF_BUF_INIT;
	json_t *root;
	int error;

	if ((error = with_token(&rq, c, "GET", NULL, 1, err)) < 0)
		return error;
	if ((error = build(&path, args, err)) == 0) {
		rq.path = (const char *)path.ptr;
		rq.continuation = continuation;
		error = call_json(&root, c, &rq, 0, err);
	}
	if (error == 0) {
		error = parse_page(out, root, &rq, kind, err);
		json_decref(root);
	}
	ksef_buf_dispose(&path);
	return error;
}

/* The path of a struct ksef__page_query. */
int ksef__req_page_query_path(ksef_buf *path, const void *args, ksef_error *err)
{
	const struct ksef__page_query *q = args;
	int error = ksef__buf_printf(path, KSEF__PATH_MAX_BYTES, "%s", q->base);

	if (error == 0 && q->page_size != 0)
		error = ksef__req_put_int_param(path, "pageSize", q->page_size);
	return error < 0 ? ksef__req_path_fail(error, err) : 0;
}
