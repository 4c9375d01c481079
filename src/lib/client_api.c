/*
 * client_api.c - one function per KSeF API endpoint of the interactive
 * workflow (SPEC 4): it checks the caller's arguments, builds the path,
 * query and JSON body (the builders are ksef__client_build_*_body so the
 * unit tests can hold them against open-api.json), hands the exchange to
 * client.c, and turns a successful answer into a typed ksef_api_* result.
 *
 * Answers are untrusted: each is parsed with JSON_REJECT_DUPLICATES and
 * each field's type, length and range is checked before it is used or
 * copied. A required field that is missing, null or of the wrong type
 * fails the call with KSEF_EPARSE naming the field; unknown fields are
 * ignored, as the API asks (SPEC 1.2). Encryption is envelope.c's.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "client_int.h"

/* Longest path with its query that a call builds. */
#define PATH_MAX_BYTES 8192
/* Longest KSeF token (GenerateTokenResponse.token maxLength). */
#define KSEF_TOKEN_MAX_CHARS 160
/* Longest context identifier value accepted from the caller. */
#define CTX_VALUE_MAX 64

/*
 * Names the API uses for the enumerations
 */

static const char *const context_names[] = {
	"Nip", "InternalId", "NipVatUe", "PeppolId"
};

/* A flag of the public API and the name the API gives it. */
struct bit_name {
	unsigned bit;
	const char *name;
};

static const struct bit_name perm_names[] = {
	{ KSEF_TOKEN_PERM_INVOICE_READ, "InvoiceRead" },
	{ KSEF_TOKEN_PERM_INVOICE_WRITE, "InvoiceWrite" },
	{ KSEF_TOKEN_PERM_CREDENTIALS_READ, "CredentialsRead" },
	{ KSEF_TOKEN_PERM_CREDENTIALS_MANAGE, "CredentialsManage" },
	{ KSEF_TOKEN_PERM_SUBUNIT_MANAGE, "SubunitManage" },
	{ KSEF_TOKEN_PERM_ENFORCEMENT_OPERATIONS, "EnforcementOperations" },
	{ KSEF_TOKEN_PERM_INTROSPECTION, "Introspection" },
};

#define PERM_ALL 0x7Fu

static const struct bit_name session_status_names[] = {
	{ KSEF_SESSION_STATUS_IN_PROGRESS, "InProgress" },
	{ KSEF_SESSION_STATUS_SUCCEEDED, "Succeeded" },
	{ KSEF_SESSION_STATUS_FAILED, "Failed" },
	{ KSEF_SESSION_STATUS_CANCELLED, "Cancelled" },
};

static const struct bit_name token_status_names[] = {
	{ KSEF_TOKEN_STATUS_PENDING, "Pending" },
	{ KSEF_TOKEN_STATUS_ACTIVE, "Active" },
	{ KSEF_TOKEN_STATUS_REVOKING, "Revoking" },
	{ KSEF_TOKEN_STATUS_REVOKED, "Revoked" },
	{ KSEF_TOKEN_STATUS_FAILED, "Failed" },
};

/*
 * Checking the caller's arguments
 */

/* Every public call starts so: refuse a NULL argument, then forget what
 * the previous call left (its error answer, status and warning). */
static int begin(ksef_client *c, int args_ok, ksef_error *err)
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

static int check_ref(const char *name, const char *s, ksef_error *err)
{
	return check_segment(name, s, KSEF_REFNUM_LEN, KSEF_REFNUM_LEN, err);
}

/* Page sizes are 10 to max, or 0 for the server's default. */
static int check_page_size(int page_size, int max, ksef_error *err)
{
	if (page_size != 0 && (page_size < 10 || page_size > max))
		return ksef__error_set(err, KSEF_EINVAL,
			"page size must be 10 to %d, or 0", max);
	return 0;
}

static int check_ksef_number(const char *s, ksef_error *err)
{
	/* 36 characters is the KSeF 1.0 form the OpenAPI still admits. */
	return check_segment("KSeF number", s, KSEF_NUMBER_LEN,
			     KSEF_NUMBER_LEN + 1, err);
}

static int printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* UTF-8 characters in a string jansson has already validated. */
static size_t utf8_chars(const char *s, size_t len)
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
			error = ksef__buf_put(b, s, 1, PATH_MAX_BYTES);
		} else {
			char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };

			error = ksef__buf_put(b, e, 3, PATH_MAX_BYTES);
		}
	}
	return error;
}

/* Append "?name=value" or "&name=value". */
static int put_param(ksef_buf *b, const char *name, const char *value)
{
	int error = ksef__buf_printf(b, PATH_MAX_BYTES, "%c%s=",
		b->ptr != NULL && memchr(b->ptr, '?', b->size) ? '&' : '?',
		name);

	return error < 0 ? error : put_escaped(b, value);
}

static int put_int_param(ksef_buf *b, const char *name, int v)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", v);
	return put_param(b, name, num);
}

/* Array parameters repeat the name (SPEC 1.2): name=value for each flag
 * set, in the table's order. */
static int put_flag_params(ksef_buf *b, const char *name,
			   const struct bit_name *names, size_t n,
			   unsigned flags)
{
	size_t i;
	int error;

	for (i = 0; i < n; i++)
		if ((flags & names[i].bit) &&
		    (error = put_param(b, name, names[i].name)) < 0)
			return error;
	return 0;
}

static int put_time_param(ksef_buf *b, const char *name, const ksef_time *t,
			  ksef_error *err)
{
	char text[KSEF_TIME_BUFSZ];
	int error;

	if (t == NULL)
		return 0;
	if ((error = ksef_time_format(text, *t, err)) < 0)
		return error;
	return put_param(b, name, text);
}

static int path_fail(int error, ksef_error *err)
{
	if (error == KSEF_ETOOBIG)
		return ksef__error_set(err, KSEF_EINVAL,
			"the request path is over %d bytes", PATH_MAX_BYTES);
	return ksef__error_set(err, error, "out of memory");
}

/*
 * Exchanges
 */

static void describe(char *out, size_t outsz, const ksef__request *rq)
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
	int error;

	*root = NULL;
	if ((error = ksef__client_perform(c, rq, &rs, err)) < 0)
		return error;
	describe(what, sizeof(what), rq);
	/* The position only: jansson's text quotes the input, which may be
	 * part of a token. */
	*root = json_loadb((const char *)rs.body.ptr, rs.body.size,
			   JSON_REJECT_DUPLICATES, &je);
	ksef__response_dispose(&rs);
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
static int need_token(const char **tok, ksef_client *c, ksef_error *err)
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
	return need_token(&rq->bearer, c, err);
}

/* A call under the access token whose answer has no body we need: the
 * revocations and the closing of a session. */
static int call_simple(ksef_client *c, const char *method, const char *path,
		       int retry_safe, ksef_error *err)
{
	ksef__request rq = { 0 };
	int error = with_token(&rq, c, method, path, retry_safe, err);

	return error < 0 ? error : call_none(c, &rq, err);
}

/* The same about one reference, a public call of its own: the path is
 * prefix, the reference (once check_ref() has passed it as `name`) and
 * suffix. */
static int call_on_ref(ksef_client *c, const char *method,
		       const char *prefix, const char *name, const char *ref,
		       const char *suffix, int retry_safe, ksef_error *err)
{
	char path[96];
	int error;

	if (c == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "client is NULL");
	ksef__client_begin(c);
	if ((error = check_ref(name, ref, err)) < 0)
		return error;
	snprintf(path, sizeof(path), "%s%s%s", prefix, ref, suffix);
	return call_simple(c, method, path, retry_safe, err);
}

/* An exchange whose answer is a document, checked by x-ms-meta-hash. */
static int call_bytes(ksef_buf *out, ksef_client *c, ksef__request *rq,
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

/*
 * Reading answers
 */

/* Where a field is, for messages: "GET /sessions: sessions[3].status". */
struct rd {
	void *res;
	char what[160];
	char at[64];
	ksef_error *err;
};

/* Reads one answer, or one item of a list, into res. */
typedef int (*parse_fn)(struct rd *r, const json_t *obj, void *res);

static int rd_fail(struct rd *r, const char *key, const char *fmt, ...)
	KSEF__PRINTF(3, 4);

static int rd_fail(struct rd *r, const char *key, const char *fmt, ...)
{
	char why[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return ksef__error_set(r->err, KSEF_EPARSE,
		"%s: response field %s%s %s", r->what, r->at, key, why);
}

static int rd_nomem(struct rd *r)
{
	return ksef__error_set(r->err, KSEF_ENOMEM, "%s: out of memory",
			       r->what);
}

/* A field that must be there, or may be absent/null (then *v is NULL). */
static int field(struct rd *r, const json_t *obj, const char *key,
		 int required, const json_t **v)
{
	*v = json_object_get(obj, key);
	if (*v != NULL && json_is_null(*v))
		*v = NULL;
	if (*v == NULL && required)
		return rd_fail(r, key, "is missing");
	return 0;
}

static int get_string(struct rd *r, const json_t *obj, const char *key,
		      int required, size_t minlen, size_t maxlen,
		      const char **out)
{
	const json_t *v;
	const char *s;
	size_t len;
	int error;

	*out = NULL;
	if ((error = field(r, obj, key, required, &v)) < 0 || v == NULL)
		return error;
	if (!json_is_string(v))
		return rd_fail(r, key, "is not a string");
	s = json_string_value(v);
	len = json_string_length(v);
	if (len < minlen || len > maxlen)
		return rd_fail(r, key, "has %zu bytes, not %zu to %zu", len,
			       minlen, maxlen);
	if (memchr(s, '\0', len) != NULL)
		return rd_fail(r, key, "holds a NUL character");
	if ((*out = ksef__result_strndup(r->res, s, len)) == NULL)
		return rd_nomem(r);
	return 0;
}

/* A string that goes back to the server in a header or a path: a token,
 * a continuation token. Printable ASCII only, so it cannot inject one. */
static int get_header_safe(struct rd *r, const json_t *obj, const char *key,
			   int required, size_t maxlen, const char **out)
{
	int error = get_string(r, obj, key, required, required ? 1 : 0,
			       maxlen, out);

	if (error < 0 || *out == NULL)
		return error;
	if (!printable(*out, strlen(*out)) || strchr(*out, ' ') != NULL) {
		*out = NULL;
		return rd_fail(r, key, "is not printable ASCII");
	}
	return 0;
}

static int get_continuation(struct rd *r, const json_t *obj,
			    const char **out)
{
	int error = get_header_safe(r, obj, "continuationToken", 0,
				    KSEF_CLIENT_CONTINUATION_MAX, out);

	/* Empty or null: this was the last page (SPEC 1.3). */
	if (error == 0 && *out != NULL && **out == '\0')
		*out = NULL;
	return error;
}

static int get_ref(struct rd *r, const json_t *obj, const char *key,
		   int required, const char **out)
{
	int error = get_string(r, obj, key, required, KSEF_REFNUM_LEN,
			       KSEF_REFNUM_LEN, out);

	if (error == 0 && *out != NULL &&
	    strspn(*out, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "abcdefghijklmnopqrstuvwxyz-") != KSEF_REFNUM_LEN) {
		*out = NULL;
		return rd_fail(r, key, "is not a reference number");
	}
	return error;
}

static int get_time(struct rd *r, const json_t *obj, const char *key,
		    ksef_time *out)
{
	const json_t *v;
	int error;

	if ((error = field(r, obj, key, 1, &v)) < 0)
		return error;
	if (!json_is_string(v))
		return rd_fail(r, key, "is not a string");
	if (ksef_time_parse(out, json_string_value(v), json_string_length(v),
			    NULL) < 0)
		return rd_fail(r, key, "is not a date-time with an offset");
	return 0;
}

static int get_opt_time(struct rd *r, const json_t *obj, const char *key,
			const ksef_time **out)
{
	const json_t *v;
	ksef_time *t;
	int error;

	*out = NULL;
	if ((error = field(r, obj, key, 0, &v)) < 0 || v == NULL)
		return error;
	if ((t = ksef__result_alloc(r->res, sizeof(*t))) == NULL)
		return rd_nomem(r);
	if ((error = get_time(r, obj, key, t)) < 0)
		return error;
	*out = t;
	return 0;
}

/* An integer in [min, max]; when optional and absent, *out is -1. */
static int get_int(struct rd *r, const json_t *obj, const char *key,
		   int required, int64_t min, int64_t max, int64_t *out)
{
	const json_t *v;
	json_int_t n;
	int error;

	*out = -1;
	if ((error = field(r, obj, key, required, &v)) < 0 || v == NULL)
		return error;
	if (!json_is_integer(v))
		return rd_fail(r, key, "is not an integer");
	n = json_integer_value(v);
	if (n < min || n > max)
		return rd_fail(r, key, "is out of range");
	*out = (int64_t)n;
	return 0;
}

/* 1, 0, or -1 when absent or null. */
static int get_opt_bool(struct rd *r, const json_t *obj, const char *key,
			int *out)
{
	const json_t *v;
	int error;

	*out = -1;
	if ((error = field(r, obj, key, 0, &v)) < 0 || v == NULL)
		return error;
	if (!json_is_boolean(v))
		return rd_fail(r, key, "is not a boolean");
	*out = json_is_true(v);
	return 0;
}

static int get_object(struct rd *r, const json_t *obj, const char *key,
		      int required, const json_t **out)
{
	int error = field(r, obj, key, required, out);

	if (error == 0 && *out != NULL && !json_is_object(*out)) {
		*out = NULL;
		return rd_fail(r, key, "is not an object");
	}
	return error;
}

static int get_array(struct rd *r, const json_t *obj, const char *key,
		     int required, const json_t **out)
{
	int error = field(r, obj, key, required, out);

	if (error < 0 || *out == NULL)
		return error;
	if (!json_is_array(*out)) {
		*out = NULL;
		return rd_fail(r, key, "is not an array");
	}
	if (json_array_size(*out) > KSEF_CLIENT_LIST_MAX_ITEMS) {
		*out = NULL;
		return rd_fail(r, key, "has over %d items "
			       "(KSEF_CLIENT_LIST_MAX_ITEMS)",
			       KSEF_CLIENT_LIST_MAX_ITEMS);
	}
	return 0;
}

/* An array of strings, of which the first KSEF_CLIENT_DETAILS_MAX are
 * kept. */
static int get_strings(struct rd *r, const json_t *obj, const char *key,
		       const char *const **out, size_t *count)
{
	const json_t *arr;
	const char **v;
	size_t i, n;
	int error;

	*out = NULL;
	*count = 0;
	if ((error = get_array(r, obj, key, 0, &arr)) < 0 || arr == NULL)
		return error;
	n = json_array_size(arr);
	if (n > KSEF_CLIENT_DETAILS_MAX)
		n = KSEF_CLIENT_DETAILS_MAX;
	if ((v = ksef__result_alloc(r->res, (n ? n : 1) * sizeof(*v))) == NULL)
		return rd_nomem(r);
	for (i = 0; i < n; i++) {
		const json_t *s = json_array_get(arr, i);

		if (!json_is_string(s) || json_string_length(s) >
		    KSEF_CLIENT_FIELD_MAX ||
		    memchr(json_string_value(s), '\0', json_string_length(s)))
			return rd_fail(r, key, "holds an item that is not a "
				       "string of at most %d bytes",
				       KSEF_CLIENT_FIELD_MAX);
		v[i] = ksef__result_strndup(r->res, json_string_value(s),
					    json_string_length(s));
		if (v[i] == NULL)
			return rd_nomem(r);
	}
	*out = v;
	*count = n;
	return 0;
}

/* Enter a nested object: append "key." to r->at, so that messages name
 * the field as a path. Returns what at_pop() needs to leave it again. */
static size_t at_push(struct rd *r, const char *key)
{
	size_t old = strlen(r->at);

	snprintf(r->at + old, sizeof(r->at) - old, "%s.", key);
	return old;
}

/* Leave a nested object entered by appending "key." to r->at. */
static void at_pop(struct rd *r, size_t old)
{
	r->at[old] = '\0';
}

/* StatusInfo or InvoiceStatusInfo: {code, description, details}. */
static int get_status(struct rd *r, const json_t *obj, const char *key,
		      ksef_api_status *st, const json_t **node)
{
	const json_t *o;
	int64_t code;
	size_t old;
	int error;

	if ((error = get_object(r, obj, key, 1, &o)) < 0)
		return error;
	old = at_push(r, key);
	if ((error = get_int(r, o, "code", 1, INT_MIN, INT_MAX, &code)) == 0 &&
	    (error = get_string(r, o, "description", 1, 0,
				KSEF_CLIENT_FIELD_MAX, &st->description)) == 0)
		error = get_strings(r, o, "details", &st->details,
				    &st->detail_count);
	at_pop(r, old);
	st->code = (int)code;
	if (node != NULL)
		*node = o;
	return error;
}

/* TokenInfo: {token, validUntil}; the token is a secret sent in headers. */
static int get_token_info(struct rd *r, const json_t *obj, const char *key,
			  int required, ksef_api_token_info *out)
{
	const json_t *o;
	size_t old;
	int error;

	if ((error = get_object(r, obj, key, required, &o)) < 0 || o == NULL)
		return error;
	old = at_push(r, key);
	if ((error = get_header_safe(r, o, "token", 1, KSEF_CLIENT_TOKEN_MAX,
				     &out->token)) == 0)
		error = get_time(r, o, "validUntil", &out->valid_until);
	at_pop(r, old);
	return error;
}

/* Run parse(r, item, i) over an array of objects into n items of size. */
static int get_items(struct rd *r, const json_t *obj, const char *key,
		     size_t size, void **items, size_t *count, parse_fn parse)
{
	const json_t *arr;
	unsigned char *v;
	size_t i, n, old;
	int error;

	*items = NULL;
	*count = 0;
	if ((error = get_array(r, obj, key, 1, &arr)) < 0)
		return error;
	n = json_array_size(arr);
	if ((v = ksef__result_alloc(r->res, (n ? n : 1) * size)) == NULL)
		return rd_nomem(r);
	for (i = 0; i < n; i++) {
		const json_t *o = json_array_get(arr, i);

		old = strlen(r->at);
		snprintf(r->at + old, sizeof(r->at) - old, "%s[%zu].", key, i);
		if (!json_is_object(o))
			error = rd_fail(r, "", "is not an object");
		else
			error = parse(r, o, v + i * size);
		at_pop(r, old);
		if (error < 0)
			return error;
	}
	*items = v;
	*count = n;
	return 0;
}

/* Start reading rq's answer into a new result of `size` bytes, which
 * will own every string and array read into it. */
static int rd_new(struct rd *r, size_t size, const ksef__request *rq,
		  ksef_error *err)
{
	if ((r->res = ksef__result_new(size)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	describe(r->what, sizeof(r->what), rq);
	r->at[0] = '\0';
	r->err = err;
	return 0;
}

/*
 * Results. Every call that answers with a typed result makes it the same
 * way: a new result that parse fills from the answer, handed out only
 * when all of it was read, so that a failed call never returns half a
 * result and frees what it had read in one place.
 */

static int parse_result(void **out, const json_t *root,
			const ksef__request *rq, size_t size, parse_fn parse,
			ksef_error *err)
{
	struct rd r;
	int error;

	if ((error = rd_new(&r, size, rq, err)) < 0)
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
static int call_result(void **out, ksef_client *c, const ksef__request *rq,
		       int want_array, size_t size, parse_fn parse,
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
static int post_result(void **out, ksef_client *c, ksef__request *rq,
		       json_t *body, size_t size, parse_fn parse,
		       ksef_error *err)
{
	json_t *root;
	char *text = NULL;
	size_t len = 0;
	int error = dump_body(&text, &len, body, err);

	json_decref(body);
	if (error < 0)
		return error;
	rq->method = "POST";
	rq->content_type = "application/json";
	rq->body = (const unsigned char *)text;
	rq->body_len = len;
	error = call_json(&root, c, rq, 0, err);
	free_body(text, len);
	rq->body = NULL;
	if (error < 0)
		return error;
	error = parse_result(out, root, rq, size, parse, err);
	json_decref(root);
	return error;
}

/* GET one object under the access token: the status calls. Reads only,
 * so it may be retried. */
static int get_one(void **out, ksef_client *c, const char *path, size_t size,
		   parse_fn parse, ksef_error *err)
{
	ksef__request rq = { 0 };
	int error = with_token(&rq, c, "GET", path, 1, err);

	return error < 0 ? error : call_result(out, c, &rq, 0, size, parse,
					       err);
}

/*
 * Lists. The list endpoints answer alike (SPEC 1.3): a continuationToken
 * and an array of objects under a name of their own; the next page is
 * asked for with the token in x-continuation-token.
 */

/* What tells one list endpoint from another. */
struct list_kind {
	const char *key;  /* the answer's member that holds the items */
	size_t res_size;  /* of the typed list result */
	size_t item_size; /* of one item */
	parse_fn parse;   /* reads one item */
};

/* Builds a list call's path and query from its arguments, checking them;
 * on failure err says why. */
typedef int (*path_fn)(ksef_buf *path, const void *args, ksef_error *err);

/* A page as read, before the caller moves it into its typed result: the
 * lists differ in their items' pointer type, so only the caller can. */
struct page {
	void *res;
	void *items;
	size_t count;
	const char *continuation;
};

static int parse_page(struct page *pg, const json_t *root,
		      const ksef__request *rq, const struct list_kind *kind,
		      ksef_error *err)
{
	struct rd r;
	int error;

	if ((error = rd_new(&r, kind->res_size, rq, err)) < 0)
		return error;
	if ((error = get_continuation(&r, root, &pg->continuation)) < 0 ||
	    (error = get_items(&r, root, kind->key, kind->item_size,
			       &pg->items, &pg->count, kind->parse)) < 0) {
		ksef__result_free(r.res);
		return error;
	}
	pg->res = r.res;
	return 0;
}

/* GET one page of a list under the access token; build makes the path
 * from args, after the token is found. */
static int get_page(struct page *pg, ksef_client *c,
		    const struct list_kind *kind, path_fn build,
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
		error = parse_page(pg, root, &rq, kind, err);
		json_decref(root);
	}
	ksef_buf_dispose(&path);
	return error;
}

/* Move a page into its typed list result, as PAGE_TO(*out, pg). A macro
 * because the four list types differ only in their items' pointer type,
 * which no one function can take. */
#define PAGE_TO(list, pg)                                                  \
	((list) = (pg).res, (list)->items = (pg).items,                    \
	 (list)->count = (pg).count,                                       \
	 (list)->continuation_token = (pg).continuation)

/*
 * Public keys
 */

static int parse_pubkey_cert(struct rd *r, const json_t *o, void *item)
{
	ksef_api_pubkey_cert *k = item;
	const json_t *usage;
	size_t i;
	int error;

	if ((error = get_string(r, o, "certificate", 1, 1,
				2 * KSEF_CERT_MAX_BYTES,
				&k->certificate)) < 0 ||
	    (error = get_string(r, o, "certificateId", 1, 1, 256,
				&k->certificate_id)) < 0 ||
	    (error = get_string(r, o, "publicKeyId", 1, 1, 256,
				&k->public_key_id)) < 0 ||
	    (error = get_time(r, o, "validFrom", &k->valid_from)) < 0 ||
	    (error = get_time(r, o, "validTo", &k->valid_to)) < 0 ||
	    (error = get_array(r, o, "usage", 1, &usage)) < 0)
		return error;
	for (i = 0; i < json_array_size(usage); i++) {
		const char *u = json_string_value(json_array_get(usage, i));

		if (u == NULL)
			return rd_fail(r, "usage", "holds a non-string");
		if (strcmp(u, "KsefTokenEncryption") == 0)
			k->usage |= KSEF_KEY_USAGE_KSEF_TOKEN;
		else if (strcmp(u, "SymmetricKeyEncryption") == 0)
			k->usage |= KSEF_KEY_USAGE_SYMMETRIC_KEY;
	}
	return 0;
}

/* The answer is a bare array: wrap it to reuse get_items. jansson's
 * json_object_set() takes a reference of its own, so root is not
 * changed, only its reference count. */
static int parse_pubkey_certs(struct rd *r, const json_t *root, void *res)
{
	ksef_api_pubkey_certs *certs = res;
	json_t *wrap = json_object();
	void *items;
	int error;

	if (wrap == NULL || json_object_set(wrap, "certificates",
					    (json_t *)root) < 0)
		error = rd_nomem(r);
	else
		error = get_items(r, wrap, "certificates",
				  sizeof(ksef_api_pubkey_cert), &items,
				  &certs->count, parse_pubkey_cert);
	json_decref(wrap);
	if (error == 0)
		certs->items = items;
	return error;
}

int ksef_client_pubkey_certs(ksef_api_pubkey_certs **out, ksef_client *c,
			     ksef_error *err)
{
	ksef__request rq = { 0 };
	void *res;
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	rq.method = "GET";
	rq.path = "/security/public-key-certificates";
	rq.retry_safe = 1;
	if ((error = call_result(&res, c, &rq, 1,
				 sizeof(ksef_api_pubkey_certs),
				 parse_pubkey_certs, err)) == 0)
		*out = res;
	return error;
}

const ksef_api_pubkey_cert *ksef_api_pubkey_certs_pick(
	const ksef_api_pubkey_certs *certs, unsigned usage, ksef_time now)
{
	const ksef_api_pubkey_cert *best = NULL;
	size_t i;

	if (certs == NULL || usage == 0)
		return NULL;
	for (i = 0; i < certs->count; i++) {
		const ksef_api_pubkey_cert *k = &certs->items[i];

		if ((k->usage & usage) != usage ||
		    k->valid_from.unix_ms > now.unix_ms ||
		    k->valid_to.unix_ms < now.unix_ms)
			continue;
		if (best == NULL ||
		    k->valid_from.unix_ms > best->valid_from.unix_ms)
			best = k;
	}
	return best;
}

void ksef_api_pubkey_certs_free(ksef_api_pubkey_certs *certs)
{
	ksef__result_free(certs);
}

/*
 * Authentication
 */

/* AuthenticationChallengeResponse. */
static int parse_challenge(struct rd *r, const json_t *root, void *res)
{
	ksef_api_challenge *ch = res;
	int error;

	if ((error = get_string(r, root, "challenge", 1, 36, 36,
				&ch->challenge)) < 0 ||
	    (error = get_time(r, root, "timestamp", &ch->timestamp)) < 0 ||
	    (error = get_int(r, root, "timestampMs", 1, 0, INT64_MAX,
			     &ch->timestamp_ms)) < 0)
		return error;
	return get_string(r, root, "clientIp", 1, 0, 256, &ch->client_ip);
}

int ksef_client_auth_challenge(ksef_api_challenge **out, ksef_client *c,
			       ksef_error *err)
{
	ksef__request rq = { 0 };
	void *res;
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	rq.method = "POST";
	rq.path = "/auth/challenge";
	rq.retry_safe = 1; /* a new challenge replaces nothing */
	if ((error = call_result(&res, c, &rq, 0, sizeof(ksef_api_challenge),
				 parse_challenge, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_challenge_free(ksef_api_challenge *ch)
{
	ksef__result_free(ch);
}

/* json_object_set_new that reports failure; it steals v either way. */
static int set(json_t *obj, const char *key, json_t *v)
{
	return v == NULL || json_object_set_new(obj, key, v) < 0 ?
		KSEF_ENOMEM : 0;
}

static int add_ip_list(json_t *allowed, const char *key,
		       const char *const *list, size_t n, ksef_error *err)
{
	json_t *arr;
	size_t i;

	if (n == 0)
		return 0;
	if (n > 10 || list == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"authorization policy: %s must have 0 to 10 entries",
			key);
	if ((arr = json_array()) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		size_t len = list[i] ? strnlen(list[i], 40) : 0;

		if (len == 0 || len > 31 || !printable(list[i], len)) {
			json_decref(arr);
			return ksef__error_set(err, KSEF_EINVAL,
				"authorization policy: %s[%zu] is not an "
				"IPv4 address, range or mask", key, i);
		}
		if (json_array_append_new(arr, json_string(list[i])) < 0) {
			json_decref(arr);
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		}
	}
	if (set(allowed, key, arr) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

static int build_policy(json_t *body, const ksef_client_ip_policy *p,
			ksef_error *err)
{
	json_t *policy, *allowed;
	int error;

	if (p == NULL || (p->address_count == 0 && p->range_count == 0 &&
			  p->mask_count == 0))
		return 0;
	if (p->version != KSEF_CLIENT_IP_POLICY_VERSION)
		return ksef__error_set(err, KSEF_EINVAL,
			"IP policy version %d is not %d", p->version,
			KSEF_CLIENT_IP_POLICY_VERSION);
	allowed = json_object();
	policy = json_object();
	if (allowed == NULL || policy == NULL ||
	    set(policy, "allowedIps", allowed) < 0 ||
	    set(body, "authorizationPolicy", policy) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((error = add_ip_list(allowed, "ip4Addresses", p->addresses,
				 p->address_count, err)) < 0 ||
	    (error = add_ip_list(allowed, "ip4Ranges", p->ranges,
				 p->range_count, err)) < 0)
		return error;
	return add_ip_list(allowed, "ip4Masks", p->masks, p->mask_count, err);
}

int ksef__client_build_ksef_token_body(json_t **out,
	const ksef_api_challenge *challenge, ksef_context_type ctx_type,
	const char *ctx_value, const char *ksef_token, const ksef_pubkey *key,
	const ksef_client_ip_policy *policy, ksef_error *err)
{
	/* "{token}|{timestampMs}": at most 160 + 1 + 19 characters. */
	char plain[KSEF_TOKEN_MAX_CHARS + 32];
	ksef_buf ct = KSEF_BUF_INIT, b64 = KSEF_BUF_INIT;
	json_t *body = NULL, *ctx;
	size_t tlen, vlen;
	int n, error;

	*out = NULL;
	if (challenge == NULL || challenge->challenge == NULL ||
	    ctx_value == NULL || ksef_token == NULL || key == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "NULL argument");
	if (strnlen(challenge->challenge, 37) != 36 ||
	    !printable(challenge->challenge, 36))
		return ksef__error_set(err, KSEF_EINVAL,
			"challenge must be 36 printable ASCII characters");
	if ((unsigned)ctx_type > KSEF_CONTEXT_PEPPOL_ID)
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown context type %d", (int)ctx_type);
	vlen = strnlen(ctx_value, CTX_VALUE_MAX + 1);
	if (vlen == 0 || vlen > CTX_VALUE_MAX ||
	    !printable(ctx_value, vlen) || strchr(ctx_value, ' ') != NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"context identifier must be 1 to %d printable ASCII "
			"characters", CTX_VALUE_MAX);
	tlen = strnlen(ksef_token, KSEF_TOKEN_MAX_CHARS + 1);
	if (tlen == 0 || tlen > KSEF_TOKEN_MAX_CHARS ||
	    !printable(ksef_token, tlen))
		return ksef__error_set(err, KSEF_EINVAL,
			"KSeF token must be 1 to %d printable ASCII "
			"characters", KSEF_TOKEN_MAX_CHARS);
	if (challenge->timestamp_ms < 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"challenge timestampMs is negative");
	n = snprintf(plain, sizeof(plain), "%s|%lld", ksef_token,
		     (long long)challenge->timestamp_ms);
	error = ksef_rsa_oaep_encrypt(&ct, key, (const unsigned char *)plain,
				      (size_t)n, err);
	ksef__wipe(plain, sizeof(plain));
	if (error < 0)
		return error;
	if ((error = ksef_base64_encode(&b64, ct.ptr, ct.size, err)) < 0)
		goto done;
	error = KSEF_ENOMEM;
	if ((body = json_object()) == NULL || (ctx = json_object()) == NULL ||
	    set(body, "challenge", json_string(challenge->challenge)) < 0 ||
	    set(body, "contextIdentifier", ctx) < 0 ||
	    set(ctx, "type", json_string(context_names[ctx_type])) < 0 ||
	    set(ctx, "value", json_string(ctx_value)) < 0 ||
	    set(body, "encryptedToken", json_string((char *)b64.ptr)) < 0 ||
	    set(body, "publicKeyId", json_string(ksef_pubkey_id(key))) < 0) {
		ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = build_policy(body, policy, err)) < 0)
		goto done;
	*out = body;
	body = NULL;
	error = 0;
done:
	json_decref(body);
	ksef_buf_dispose(&ct);
	ksef_buf_dispose(&b64);
	return error;
}

/* AuthenticationInitResponse: the same for both ways in. */
static int parse_auth_init(struct rd *r, const json_t *root, void *res)
{
	ksef_api_auth_init *init = res;
	int error = get_ref(r, root, "referenceNumber", 1,
			    &init->reference_number);

	if (error == 0)
		error = get_token_info(r, root, "authenticationToken", 1,
				       &init->authentication_token);
	return error;
}

int ksef_client_auth_ksef_token(ksef_api_auth_init **out, ksef_client *c,
	const ksef_api_challenge *challenge, ksef_context_type ctx_type,
	const char *ctx_value, const char *ksef_token, const ksef_pubkey *key,
	const ksef_client_ip_policy *policy, ksef_error *err)
{
	ksef__request rq = { 0 };
	json_t *body;
	void *res;
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__client_build_ksef_token_body(&body, challenge,
			ctx_type, ctx_value, ksef_token, key, policy, err)) < 0)
		return error;
	rq.path = "/auth/ksef-token";
	if ((error = post_result(&res, c, &rq, body,
				 sizeof(ksef_api_auth_init), parse_auth_init,
				 err)) == 0)
		*out = res;
	return error;
}

int ksef_client_auth_xades(ksef_api_auth_init **out, ksef_client *c,
			   const unsigned char *xml, size_t len,
			   int verify_chain, ksef_error *err)
{
	ksef__request rq = { 0 };
	void *res;
	int error;

	if ((error = begin(c, out != NULL && xml != NULL, err)) < 0)
		return error;
	*out = NULL;
	if (len == 0 || len > KSEF_INVOICE_MAX_BYTES)
		return ksef__error_set(err, KSEF_EINVAL,
			"signed document must be 1 to %d bytes "
			"(KSEF_INVOICE_MAX_BYTES)", KSEF_INVOICE_MAX_BYTES);
	rq.method = "POST";
	rq.path = verify_chain ?
		"/auth/xades-signature?verifyCertificateChain=true" :
		"/auth/xades-signature";
	rq.content_type = "application/xml";
	rq.body = xml;
	rq.body_len = len;
	if ((error = call_result(&res, c, &rq, 0, sizeof(ksef_api_auth_init),
				 parse_auth_init, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_auth_init_free(ksef_api_auth_init *init)
{
	ksef__result_free(init);
}

static int parse_auth_status(struct rd *r, const json_t *o, void *item)
{
	ksef_api_auth_status *st = item;
	const json_t *info;
	size_t old;
	int error;

	if ((error = get_time(r, o, "startDate", &st->start_date)) < 0 ||
	    /* Deprecated (removal planned 2026-11-16): optional here. */
	    (error = get_string(r, o, "authenticationMethod", 0, 1, 256,
				&st->authentication_method)) < 0 ||
	    (error = get_object(r, o, "authenticationMethodInfo", 1,
				&info)) < 0)
		return error;
	old = at_push(r, "authenticationMethodInfo");
	if ((error = get_string(r, info, "category", 1, 1, 256,
				&st->method_category)) == 0 &&
	    (error = get_string(r, info, "code", 1, 0, 256,
				&st->method_code)) == 0)
		error = get_string(r, info, "displayName", 1, 0, 1024,
				   &st->method_display_name);
	at_pop(r, old);
	if (error < 0 ||
	    (error = get_status(r, o, "status", &st->status, NULL)) < 0 ||
	    (error = get_opt_bool(r, o, "isTokenRedeemed",
				  &st->is_token_redeemed)) < 0 ||
	    (error = get_opt_time(r, o, "lastTokenRefreshDate",
				  &st->last_token_refresh_date)) < 0 ||
	    (error = get_opt_time(r, o, "refreshTokenValidUntil",
				  &st->refresh_token_valid_until)) < 0 ||
	    (error = get_opt_bool(r, o, "isCurrent", &st->is_current)) < 0)
		return error;
	return 0;
}

static int parse_auth_list_item(struct rd *r, const json_t *o, void *item)
{
	ksef_api_auth_status *st = item;
	int error = parse_auth_status(r, o, item);

	if (error == 0)
		error = get_ref(r, o, "referenceNumber", 1,
				&st->reference_number);
	return error;
}

int ksef_client_auth_status(ksef_api_auth_status **out, ksef_client *c,
			    const char *reference, const char *auth_token,
			    ksef_error *err)
{
	ksef__request rq = { 0 };
	char path[64];
	void *res;
	int error;

	if ((error = begin(c, out != NULL && auth_token != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = check_ref("reference number", reference, err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/auth/%s", reference);
	rq.method = "GET";
	rq.path = path;
	rq.bearer = auth_token;
	rq.retry_safe = 1;
	if ((error = call_result(&res, c, &rq, 0, sizeof(ksef_api_auth_status),
				 parse_auth_status, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_auth_status_free(ksef_api_auth_status *st)
{
	ksef__result_free(st);
}

/* AuthenticationTokensResponse; a refresh answers without refreshToken,
 * a redeem with it. */
static int parse_tokens(struct rd *r, const json_t *root,
			ksef_api_tokens *t, int redeem)
{
	int error = get_token_info(r, root, "accessToken", 1,
				   &t->access_token);

	if (error == 0)
		error = get_token_info(r, root, "refreshToken", redeem,
				       &t->refresh_token);
	return error;
}

static int parse_redeemed(struct rd *r, const json_t *root, void *res)
{
	return parse_tokens(r, root, res, 1);
}

static int parse_refreshed(struct rd *r, const json_t *root, void *res)
{
	return parse_tokens(r, root, res, 0);
}

static int token_call(ksef_api_tokens **out, ksef_client *c,
		      const char *path, const char *bearer, int redeem,
		      ksef_error *err)
{
	ksef__request rq = { 0 };
	void *res;
	int error;

	if ((error = begin(c, out != NULL && bearer != NULL, err)) < 0)
		return error;
	*out = NULL;
	rq.method = "POST";
	rq.path = path;
	rq.bearer = bearer;
	/* A refresh only mints another access token; a redeem works once. */
	rq.retry_safe = !redeem;
	if ((error = call_result(&res, c, &rq, 0, sizeof(ksef_api_tokens),
				 redeem ? parse_redeemed : parse_refreshed,
				 err)) == 0)
		*out = res;
	return error;
}

int ksef_client_auth_redeem(ksef_api_tokens **out, ksef_client *c,
			    const char *auth_token, ksef_error *err)
{
	return token_call(out, c, "/auth/token/redeem", auth_token, 1, err);
}

int ksef_client_auth_refresh(ksef_api_tokens **out, ksef_client *c,
			     const char *refresh_token, ksef_error *err)
{
	return token_call(out, c, "/auth/token/refresh", refresh_token, 0,
			  err);
}

void ksef_api_tokens_free(ksef_api_tokens *t)
{
	ksef__result_free(t);
}

static const struct list_kind auth_list = {
	"items", sizeof(ksef_api_auth_list), sizeof(ksef_api_auth_status),
	parse_auth_list_item
};

/* The query of the lists that take only a page size. */
struct page_query {
	char base[96]; /* the path, its references checked */
	int page_size; /* 0 for the server's default */
};

static int page_query_path(ksef_buf *path, const void *args,
			   ksef_error *err)
{
	const struct page_query *q = args;
	int error = ksef__buf_printf(path, PATH_MAX_BYTES, "%s", q->base);

	if (error == 0 && q->page_size != 0)
		error = put_int_param(path, "pageSize", q->page_size);
	return error < 0 ? path_fail(error, err) : 0;
}

int ksef_client_auth_sessions(ksef_api_auth_list **out, ksef_client *c,
			      int page_size, const char *continuation,
			      ksef_error *err)
{
	struct page_query q = { "/auth/sessions", 0 };
	struct page pg;
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = check_page_size(page_size, 100, err)) < 0)
		return error;
	q.page_size = page_size;
	if ((error = get_page(&pg, c, &auth_list, page_query_path, &q,
			      continuation, err)) < 0)
		return error;
	PAGE_TO(*out, pg);
	return 0;
}

void ksef_api_auth_list_free(ksef_api_auth_list *list)
{
	ksef__result_free(list);
}

int ksef_client_auth_revoke_current(ksef_client *c, ksef_error *err)
{
	if (c == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "client is NULL");
	ksef__client_begin(c);
	return call_simple(c, "DELETE", "/auth/sessions/current", 1, err);
}

int ksef_client_auth_revoke(ksef_client *c, const char *reference,
			    ksef_error *err)
{
	return call_on_ref(c, "DELETE", "/auth/sessions/", "reference number",
			   reference, "", 1, err);
}

/*
 * Sessions
 */

int ksef__client_build_open_session_body(json_t **out, ksef_form form,
	const ksef_envelope *env, const ksef_pubkey *key, ksef_error *err)
{
	ksef_form_code fc = ksef_form_code_of(form);
	ksef_buf wrapped = KSEF_BUF_INIT, kb64 = KSEF_BUF_INIT,
		 ivb64 = KSEF_BUF_INIT;
	json_t *body = NULL, *fcj, *enc;
	int error;

	*out = NULL;
	if (env == NULL || key == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "NULL argument");
	if (fc.system_code == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "unknown form %d",
				       (int)form);
	if ((error = ksef_envelope_wrap_key(&wrapped, env, key, err)) < 0 ||
	    (error = ksef_base64_encode(&kb64, wrapped.ptr, wrapped.size,
					err)) < 0 ||
	    (error = ksef_base64_encode(&ivb64, ksef_envelope_iv(env),
					KSEF_AES_IV_LEN, err)) < 0)
		goto done;
	error = KSEF_ENOMEM;
	if ((body = json_object()) == NULL || (fcj = json_object()) == NULL ||
	    set(body, "formCode", fcj) < 0 ||
	    set(fcj, "systemCode", json_string(fc.system_code)) < 0 ||
	    set(fcj, "schemaVersion", json_string(fc.schema_version)) < 0 ||
	    set(fcj, "value", json_string(fc.value)) < 0 ||
	    (enc = json_object()) == NULL ||
	    set(body, "encryption", enc) < 0 ||
	    set(enc, "encryptedSymmetricKey",
		json_string((char *)kb64.ptr)) < 0 ||
	    set(enc, "initializationVector",
		json_string((char *)ivb64.ptr)) < 0 ||
	    set(enc, "publicKeyId", json_string(ksef_pubkey_id(key))) < 0) {
		ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	*out = body;
	body = NULL;
	error = 0;
done:
	json_decref(body);
	ksef_buf_dispose(&wrapped);
	ksef_buf_dispose(&kb64);
	ksef_buf_dispose(&ivb64);
	return error;
}

/* OpenOnlineSessionResponse. */
static int parse_session_opened(struct rd *r, const json_t *root, void *res)
{
	ksef_api_session_opened *s = res;
	int error = get_ref(r, root, "referenceNumber", 1,
			    &s->reference_number);

	return error < 0 ? error : get_time(r, root, "validUntil",
					    &s->valid_until);
}

int ksef_client_session_open(ksef_api_session_opened **out, ksef_client *c,
			     ksef_form form, const ksef_envelope *env,
			     const ksef_pubkey *key, ksef_error *err)
{
	ksef__request rq = { 0 };
	json_t *body;
	void *res;
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = need_token(&rq.bearer, c, err)) < 0 ||
	    (error = ksef__client_build_open_session_body(&body, form, env,
							  key, err)) < 0)
		return error;
	rq.path = "/sessions/online";
	if ((error = post_result(&res, c, &rq, body,
				 sizeof(ksef_api_session_opened),
				 parse_session_opened, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_session_opened_free(ksef_api_session_opened *s)
{
	ksef__result_free(s);
}

static int check_sha256_b64(const char *name, const char *s, ksef_error *err)
{
	ksef_buf raw = KSEF_BUF_INIT;
	size_t len = strnlen(s, KSEF_SHA256_B64_LEN + 1);
	int error;

	if (len != KSEF_SHA256_B64_LEN)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s must be %d characters of Base64", name,
			KSEF_SHA256_B64_LEN);
	error = ksef_base64_decode(&raw, s, len, KSEF_SHA256_LEN, NULL);
	if (error == 0 && raw.size != KSEF_SHA256_LEN)
		error = KSEF_EPARSE;
	ksef_buf_dispose(&raw);
	if (error < 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s is not the Base64 of a SHA-256 digest", name);
	return 0;
}

int ksef__client_build_send_invoice_body(json_t **out,
	ksef_invoice_meta *meta_out, const ksef_envelope *env,
	const unsigned char *xml, size_t len,
	const ksef_client_send_options *opts, ksef_error *err)
{
	ksef_client_send_options none = KSEF_CLIENT_SEND_OPTIONS_INIT;
	ksef_buf ct = KSEF_BUF_INIT, b64 = KSEF_BUF_INIT;
	ksef_invoice_meta meta;
	json_t *body = NULL;
	int error;

	*out = NULL;
	if (opts == NULL)
		opts = &none;
	if (opts->version != KSEF_CLIENT_SEND_OPTIONS_VERSION)
		return ksef__error_set(err, KSEF_EINVAL,
			"send options version %d is not %d", opts->version,
			KSEF_CLIENT_SEND_OPTIONS_VERSION);
	if (opts->hash_of_corrected_invoice != NULL &&
	    (error = check_sha256_b64("hash of the corrected invoice",
				      opts->hash_of_corrected_invoice,
				      err)) < 0)
		return error;
	if ((error = ksef_envelope_seal(&ct, &meta, env, xml, len, err)) < 0)
		return error;
	if ((error = ksef_base64_encode(&b64, ct.ptr, ct.size, err)) < 0)
		goto done;
	/* Sizes are at most KSEF_CIPHERTEXT_MAX_BYTES: they fit json_int_t. */
	error = KSEF_ENOMEM;
	if ((body = json_object()) == NULL ||
	    set(body, "invoiceHash", json_string(meta.invoice_hash)) < 0 ||
	    set(body, "invoiceSize",
		json_integer((json_int_t)meta.invoice_size)) < 0 ||
	    set(body, "encryptedInvoiceHash",
		json_string(meta.encrypted_hash)) < 0 ||
	    set(body, "encryptedInvoiceSize",
		json_integer((json_int_t)meta.encrypted_size)) < 0 ||
	    set(body, "encryptedInvoiceContent",
		json_stringn((char *)b64.ptr, b64.size)) < 0 ||
	    set(body, "offlineMode", json_boolean(opts->offline_mode)) < 0 ||
	    (opts->hash_of_corrected_invoice != NULL &&
	     set(body, "hashOfCorrectedInvoice",
		 json_string(opts->hash_of_corrected_invoice)) < 0)) {
		ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	if (meta_out != NULL)
		*meta_out = meta;
	*out = body;
	body = NULL;
	error = 0;
done:
	json_decref(body);
	ksef_buf_dispose(&ct);
	ksef_buf_dispose(&b64);
	return error;
}

/* SendInvoiceResponse: only the reference is kept, in the caller's
 * buffer, so the result is scratch. */
struct sent {
	const char *ref;
};

static int parse_sent(struct rd *r, const json_t *root, void *res)
{
	struct sent *sent = res;

	return get_ref(r, root, "referenceNumber", 1, &sent->ref);
}

int ksef_client_invoice_send(char ref_out[KSEF_REFNUM_BUFSZ],
			     ksef_invoice_meta *meta_out, ksef_client *c,
			     const char *session_ref, const ksef_envelope *env,
			     const unsigned char *xml, size_t len,
			     const ksef_client_send_options *opts,
			     ksef_error *err)
{
	ksef__request rq = { 0 };
	ksef_invoice_meta meta;
	struct sent *sent;
	json_t *body;
	char path[96];
	void *res;
	int error;

	if ((error = begin(c, ref_out != NULL, err)) < 0)
		return error;
	if ((error = check_ref("session reference number", session_ref,
			       err)) < 0 ||
	    (error = need_token(&rq.bearer, c, err)) < 0 ||
	    (error = ksef__client_build_send_invoice_body(&body, &meta, env,
							  xml, len, opts,
							  err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/sessions/online/%s/invoices",
		 session_ref);
	rq.path = path;
	if ((error = post_result(&res, c, &rq, body, sizeof(struct sent),
				 parse_sent, err)) < 0)
		return error;
	sent = res;
	memcpy(ref_out, sent->ref, KSEF_REFNUM_LEN + 1);
	if (meta_out != NULL)
		*meta_out = meta;
	ksef__result_free(res);
	return 0;
}

int ksef_client_session_close(ksef_client *c, const char *session_ref,
			      ksef_error *err)
{
	return call_on_ref(c, "POST", "/sessions/online/",
			   "session reference number", session_ref, "/close", 0,
			   err);
}

static int parse_upo_page(struct rd *r, const json_t *o, void *item)
{
	ksef_api_upo_page *p = item;
	int error;

	if ((error = get_ref(r, o, "referenceNumber", 1,
			     &p->reference_number)) < 0 ||
	    (error = get_header_safe(r, o, "downloadUrl", 1,
				     KSEF_CLIENT_FIELD_MAX,
				     &p->download_url)) < 0)
		return error;
	return get_time(r, o, "downloadUrlExpirationDate",
			&p->download_url_expiration_date);
}

/* SessionStatusResponse. */
static int parse_session_status(struct rd *r, const json_t *root, void *res)
{
	ksef_api_session_status *st = res;
	const json_t *upo;
	void *pages;
	int error;

	if ((error = get_status(r, root, "status", &st->status, NULL)) < 0 ||
	    (error = get_time(r, root, "dateCreated",
			      &st->date_created)) < 0 ||
	    (error = get_time(r, root, "dateUpdated",
			      &st->date_updated)) < 0 ||
	    (error = get_opt_time(r, root, "validUntil",
				  &st->valid_until)) < 0 ||
	    (error = get_int(r, root, "invoiceCount", 0, 0, INT32_MAX,
			     &st->invoice_count)) < 0 ||
	    (error = get_int(r, root, "successfulInvoiceCount", 0, 0,
			     INT32_MAX, &st->successful_invoice_count)) < 0 ||
	    (error = get_int(r, root, "failedInvoiceCount", 0, 0, INT32_MAX,
			     &st->failed_invoice_count)) < 0 ||
	    (error = get_object(r, root, "upo", 0, &upo)) < 0 || upo == NULL)
		return error;
	at_push(r, "upo");
	error = get_items(r, upo, "pages", sizeof(ksef_api_upo_page), &pages,
			  &st->upo_page_count, parse_upo_page);
	if (error == 0)
		st->upo_pages = pages;
	return error;
}

int ksef_client_session_status(ksef_api_session_status **out,
			       ksef_client *c, const char *session_ref,
			       ksef_error *err)
{
	char path[64];
	void *res;
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = check_ref("session reference number", session_ref,
			       err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/sessions/%s", session_ref);
	if ((error = get_one(&res, c, path, sizeof(ksef_api_session_status),
			     parse_session_status, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_session_status_free(ksef_api_session_status *st)
{
	ksef__result_free(st);
}

static int parse_session_item(struct rd *r, const json_t *o, void *item)
{
	ksef_api_session_item *s = item;
	int error;

	if ((error = get_ref(r, o, "referenceNumber", 1,
			     &s->reference_number)) < 0 ||
	    (error = get_status(r, o, "status", &s->status, NULL)) < 0 ||
	    (error = get_time(r, o, "dateCreated", &s->date_created)) < 0 ||
	    (error = get_time(r, o, "dateUpdated", &s->date_updated)) < 0 ||
	    (error = get_opt_time(r, o, "validUntil", &s->valid_until)) < 0 ||
	    (error = get_int(r, o, "totalInvoiceCount", 1, 0, INT32_MAX,
			     &s->total_invoice_count)) < 0 ||
	    (error = get_int(r, o, "successfulInvoiceCount", 1, 0, INT32_MAX,
			     &s->successful_invoice_count)) < 0)
		return error;
	return get_int(r, o, "failedInvoiceCount", 1, 0, INT32_MAX,
		       &s->failed_invoice_count);
}

static const struct list_kind session_list = {
	"sessions", sizeof(ksef_api_session_list),
	sizeof(ksef_api_session_item), parse_session_item
};

/* A path_fn: args is the caller's ksef_client_session_query. */
static int session_query(ksef_buf *path, const void *args, ksef_error *err)
{
	const ksef_client_session_query *q = args;
	int error;

	if (q->version != KSEF_CLIENT_SESSION_QUERY_VERSION)
		return ksef__error_set(err, KSEF_EINVAL,
			"session query version %d is not %d", q->version,
			KSEF_CLIENT_SESSION_QUERY_VERSION);
	if (q->type != KSEF_SESSION_TYPE_ONLINE &&
	    q->type != KSEF_SESSION_TYPE_BATCH)
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown session type %d", (int)q->type);
	if ((error = check_page_size(q->page_size, 1000, err)) < 0)
		return error;
	if (q->statuses & ~0xFu)
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown session status bits 0x%x", q->statuses);
	if (q->reference_number != NULL &&
	    (error = check_ref("session reference number",
			       q->reference_number, err)) < 0)
		return error;
	if ((error = ksef__buf_printf(path, PATH_MAX_BYTES, "/sessions")) < 0 ||
	    (error = put_param(path, "sessionType",
			       q->type == KSEF_SESSION_TYPE_ONLINE ?
			       "Online" : "Batch")) < 0 ||
	    (q->page_size != 0 &&
	     (error = put_int_param(path, "pageSize", q->page_size)) < 0) ||
	    (q->reference_number != NULL &&
	     (error = put_param(path, "referenceNumber",
				q->reference_number)) < 0))
		return path_fail(error, err);
	if ((error = put_time_param(path, "dateCreatedFrom",
				    q->date_created_from, err)) < 0 ||
	    (error = put_time_param(path, "dateCreatedTo",
				    q->date_created_to, err)) < 0 ||
	    (error = put_time_param(path, "dateClosedFrom",
				    q->date_closed_from, err)) < 0 ||
	    (error = put_time_param(path, "dateClosedTo",
				    q->date_closed_to, err)) < 0 ||
	    (error = put_time_param(path, "dateModifiedFrom",
				    q->date_modified_from, err)) < 0 ||
	    (error = put_time_param(path, "dateModifiedTo",
				    q->date_modified_to, err)) < 0)
		return error == KSEF_EINVAL ? error : path_fail(error, err);
	if ((error = put_flag_params(path, "statuses", session_status_names,
				     sizeof(session_status_names) /
				     sizeof(session_status_names[0]),
				     q->statuses)) < 0)
		return path_fail(error, err);
	return 0;
}

int ksef_client_sessions(ksef_api_session_list **out, ksef_client *c,
			 const ksef_client_session_query *q,
			 const char *continuation, ksef_error *err)
{
	struct page pg;
	int error;

	if ((error = begin(c, out != NULL && q != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = get_page(&pg, c, &session_list, session_query, q,
			      continuation, err)) < 0)
		return error;
	PAGE_TO(*out, pg);
	return 0;
}

void ksef_api_session_list_free(ksef_api_session_list *list)
{
	ksef__result_free(list);
}

static int parse_extensions(struct rd *r, const json_t *status,
			    ksef_api_invoice_status *s)
{
	const json_t *ext, *v;
	ksef_api_pair *pairs;
	const char *key;
	size_t n = 0, count;
	int error;

	if ((error = get_object(r, status, "extensions", 0, &ext)) < 0 ||
	    ext == NULL)
		return error;
	count = json_object_size(ext);
	if (count > KSEF_CLIENT_DETAILS_MAX)
		return rd_fail(r, "extensions", "has over %d entries",
			       KSEF_CLIENT_DETAILS_MAX);
	pairs = ksef__result_alloc(r->res, (count ? count : 1) *
				   sizeof(*pairs));
	if (pairs == NULL)
		return rd_nomem(r);
	json_object_foreach((json_t *)ext, key, v) {
		size_t klen = strlen(key);

		if (klen > 256)
			return rd_fail(r, "extensions", "has a long key");
		pairs[n].key = ksef__result_strndup(r->res, key, klen);
		if (pairs[n].key == NULL)
			return rd_nomem(r);
		if (!json_is_null(v)) {
			if (!json_is_string(v) || json_string_length(v) >
			    KSEF_CLIENT_FIELD_MAX ||
			    memchr(json_string_value(v), '\0',
				   json_string_length(v)))
				return rd_fail(r, "extensions", "has a value "
					       "that is not a string");
			pairs[n].value = ksef__result_strndup(r->res,
				json_string_value(v), json_string_length(v));
			if (pairs[n].value == NULL)
				return rd_nomem(r);
		}
		n++;
	}
	s->extensions = pairs;
	s->extension_count = n;
	return 0;
}

static int parse_invoice_status(struct rd *r, const json_t *o, void *item)
{
	ksef_api_invoice_status *s = item;
	const json_t *status;
	int64_t ordinal;
	size_t old;
	int error;

	if ((error = get_int(r, o, "ordinalNumber", 1, 1, INT32_MAX,
			     &ordinal)) < 0 ||
	    /* 256 characters of UTF-8: at most 1024 bytes. */
	    (error = get_string(r, o, "invoiceNumber", 0, 0, 1024,
				&s->invoice_number)) < 0 ||
	    (error = get_string(r, o, "ksefNumber", 0, KSEF_NUMBER_LEN,
				KSEF_NUMBER_LEN + 1, &s->ksef_number)) < 0 ||
	    (error = get_ref(r, o, "referenceNumber", 1,
			     &s->reference_number)) < 0 ||
	    (error = get_string(r, o, "invoiceHash", 1, KSEF_SHA256_B64_LEN,
				KSEF_SHA256_B64_LEN, &s->invoice_hash)) < 0 ||
	    (error = get_string(r, o, "invoiceFileName", 0, 0, 512,
				&s->invoice_file_name)) < 0 ||
	    (error = get_opt_time(r, o, "acquisitionDate",
				  &s->acquisition_date)) < 0 ||
	    (error = get_time(r, o, "invoicingDate",
			      &s->invoicing_date)) < 0 ||
	    (error = get_opt_time(r, o, "permanentStorageDate",
				  &s->permanent_storage_date)) < 0 ||
	    (error = get_header_safe(r, o, "upoDownloadUrl", 0,
				     KSEF_CLIENT_FIELD_MAX,
				     &s->upo_download_url)) < 0 ||
	    (error = get_opt_time(r, o, "upoDownloadUrlExpirationDate",
				  &s->upo_download_url_expiration_date)) < 0 ||
	    (error = get_string(r, o, "invoicingMode", 0, 1, 64,
				&s->invoicing_mode)) < 0 ||
	    (error = get_status(r, o, "status", &s->status, &status)) < 0)
		return error;
	s->ordinal_number = (int)ordinal;
	old = at_push(r, "status");
	error = parse_extensions(r, status, s);
	at_pop(r, old);
	return error;
}

int ksef_client_session_invoice(ksef_api_invoice_status **out,
				ksef_client *c, const char *session_ref,
				const char *invoice_ref, ksef_error *err)
{
	char path[128];
	void *res;
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = check_ref("session reference number", session_ref,
			       err)) < 0 ||
	    (error = check_ref("invoice reference number", invoice_ref,
			       err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/sessions/%s/invoices/%s", session_ref,
		 invoice_ref);
	if ((error = get_one(&res, c, path, sizeof(ksef_api_invoice_status),
			     parse_invoice_status, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_invoice_status_free(ksef_api_invoice_status *st)
{
	ksef__result_free(st);
}

static const struct list_kind invoice_list = {
	"invoices", sizeof(ksef_api_invoice_list),
	sizeof(ksef_api_invoice_status), parse_invoice_status
};

int ksef_client_session_invoices(ksef_api_invoice_list **out, ksef_client *c,
				 const char *session_ref, int failed_only,
				 int page_size, const char *continuation,
				 ksef_error *err)
{
	struct page_query q;
	struct page pg;
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = check_page_size(page_size, 1000, err)) < 0 ||
	    (error = check_ref("session reference number", session_ref,
			       err)) < 0)
		return error;
	snprintf(q.base, sizeof(q.base), "/sessions/%s/invoices%s",
		 session_ref, failed_only ? "/failed" : "");
	q.page_size = page_size;
	if ((error = get_page(&pg, c, &invoice_list, page_query_path, &q,
			      continuation, err)) < 0)
		return error;
	PAGE_TO(*out, pg);
	return 0;
}

void ksef_api_invoice_list_free(ksef_api_invoice_list *list)
{
	ksef__result_free(list);
}

/*
 * Documents
 */

static int download(ksef_buf *out, ksef_client *c, const char *path,
		    ksef_error *err)
{
	ksef__request rq = { 0 };
	int error = with_token(&rq, c, "GET", path, 1, err);

	return error < 0 ? error : call_bytes(out, c, &rq, err);
}

int ksef_client_upo_by_invoice_ref(ksef_buf *out, ksef_client *c,
				   const char *session_ref,
				   const char *invoice_ref, ksef_error *err)
{
	char path[160];
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	if ((error = check_ref("session reference number", session_ref,
			       err)) < 0 ||
	    (error = check_ref("invoice reference number", invoice_ref,
			       err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/sessions/%s/invoices/%s/upo",
		 session_ref, invoice_ref);
	return download(out, c, path, err);
}

int ksef_client_upo_by_ksef_number(ksef_buf *out, ksef_client *c,
				   const char *session_ref,
				   const char *ksef_number, ksef_error *err)
{
	char path[160];
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	if ((error = check_ref("session reference number", session_ref,
			       err)) < 0 ||
	    (error = check_ksef_number(ksef_number, err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/sessions/%s/invoices/ksef/%s/upo",
		 session_ref, ksef_number);
	return download(out, c, path, err);
}

int ksef_client_upo_session_page(ksef_buf *out, ksef_client *c,
				 const char *session_ref, const char *upo_ref,
				 ksef_error *err)
{
	char path[160];
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	if ((error = check_ref("session reference number", session_ref,
			       err)) < 0 ||
	    (error = check_ref("UPO reference number", upo_ref, err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/sessions/%s/upo/%s", session_ref,
		 upo_ref);
	return download(out, c, path, err);
}

int ksef_client_download_url(ksef_buf *out, ksef_client *c, const char *url,
			     ksef_error *err)
{
	ksef__request rq = { 0 };
	int error;

	if ((error = begin(c, out != NULL && url != NULL, err)) < 0)
		return error;
	/* No bearer: the URL is its own credential, and a storage host
	 * must never see the access token. */
	rq.method = "GET";
	rq.url = url;
	rq.accept = "*/*";
	rq.retry_safe = 1;
	return call_bytes(out, c, &rq, err);
}

int ksef_client_invoice_download(ksef_buf *out, ksef_client *c,
				 const char *ksef_number, ksef_error *err)
{
	char path[96];
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	if ((error = check_ksef_number(ksef_number, err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/invoices/ksef/%s", ksef_number);
	return download(out, c, path, err);
}

/*
 * KSeF tokens
 */

int ksef__client_build_token_body(json_t **out, unsigned permissions,
				  const char *description, ksef_error *err)
{
	json_t *body = NULL, *perms, *desc;
	size_t i, len, chars;

	*out = NULL;
	if (description == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "description is NULL");
	if (permissions == 0 || (permissions & ~PERM_ALL) != 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"permissions must be a non-empty set of "
			"KSEF_TOKEN_PERM_* bits");
	len = strnlen(description, 4 * 256 + 1);
	desc = json_stringn(description, len);
	if (desc == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"description is not UTF-8 (or out of memory)");
	chars = utf8_chars(description, len);
	if (chars < 5 || chars > 256) {
		json_decref(desc);
		return ksef__error_set(err, KSEF_EINVAL,
			"description must be 5 to 256 characters");
	}
	if ((body = json_object()) == NULL) {
		json_decref(desc);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	if (set(body, "description", desc) < 0 ||
	    set(body, "permissions", perms = json_array()) < 0) {
		json_decref(body);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	for (i = 0; i < sizeof(perm_names) / sizeof(perm_names[0]); i++)
		if ((permissions & perm_names[i].bit) &&
		    json_array_append_new(perms,
			json_string(perm_names[i].name)) < 0) {
			json_decref(body);
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		}
	*out = body;
	return 0;
}

/* GenerateTokenResponse. */
static int parse_token_created(struct rd *r, const json_t *root, void *res)
{
	ksef_api_token_created *t = res;
	int error = get_ref(r, root, "referenceNumber", 1,
			    &t->reference_number);

	return error < 0 ? error : get_string(r, root, "token", 1, 1,
					      KSEF_TOKEN_MAX_CHARS, &t->token);
}

int ksef_client_token_create(ksef_api_token_created **out, ksef_client *c,
			     unsigned permissions, const char *description,
			     ksef_error *err)
{
	ksef__request rq = { 0 };
	json_t *body;
	void *res;
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = need_token(&rq.bearer, c, err)) < 0 ||
	    (error = ksef__client_build_token_body(&body, permissions,
						   description, err)) < 0)
		return error;
	rq.path = "/tokens";
	if ((error = post_result(&res, c, &rq, body,
				 sizeof(ksef_api_token_created),
				 parse_token_created, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_token_created_free(ksef_api_token_created *t)
{
	ksef__result_free(t);
}

static int parse_identifier(struct rd *r, const json_t *o, const char *key,
			    const char **type, const char **value)
{
	const json_t *id;
	size_t old;
	int error;

	if ((error = get_object(r, o, key, 1, &id)) < 0)
		return error;
	old = at_push(r, key);
	if ((error = get_string(r, id, "type", 1, 1, 64, type)) == 0)
		error = get_string(r, id, "value", 1, 0, 256, value);
	at_pop(r, old);
	return error;
}

static int parse_token_status(struct rd *r, const json_t *o, void *item)
{
	ksef_api_token_status *t = item;
	const json_t *perms;
	size_t i, j;
	int error;

	if ((error = get_ref(r, o, "referenceNumber", 1,
			     &t->reference_number)) < 0 ||
	    (error = parse_identifier(r, o, "authorIdentifier",
				      &t->author_type,
				      &t->author_value)) < 0 ||
	    (error = parse_identifier(r, o, "contextIdentifier",
				      &t->context_type,
				      &t->context_value)) < 0 ||
	    (error = get_string(r, o, "description", 1, 0, 1024,
				&t->description)) < 0 ||
	    (error = get_array(r, o, "requestedPermissions", 1, &perms)) < 0 ||
	    (error = get_time(r, o, "dateCreated", &t->date_created)) < 0 ||
	    (error = get_opt_time(r, o, "lastUseDate",
				  &t->last_use_date)) < 0 ||
	    (error = get_string(r, o, "status", 1, 1, 64, &t->status)) < 0 ||
	    (error = get_strings(r, o, "statusDetails", &t->status_details,
				 &t->status_detail_count)) < 0)
		return error;
	for (i = 0; i < json_array_size(perms); i++) {
		const char *p = json_string_value(json_array_get(perms, i));

		if (p == NULL)
			return rd_fail(r, "requestedPermissions",
				       "holds a non-string");
		for (j = 0; j < sizeof(perm_names) / sizeof(perm_names[0]); j++)
			if (strcmp(p, perm_names[j].name) == 0)
				t->requested_permissions |= perm_names[j].bit;
	}
	return 0;
}

int ksef_client_token_status(ksef_api_token_status **out, ksef_client *c,
			     const char *reference, ksef_error *err)
{
	char path[64];
	void *res;
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = check_ref("token reference number", reference,
			       err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/tokens/%s", reference);
	if ((error = get_one(&res, c, path, sizeof(ksef_api_token_status),
			     parse_token_status, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_token_status_free(ksef_api_token_status *st)
{
	ksef__result_free(st);
}

static const struct list_kind token_list = {
	"tokens", sizeof(ksef_api_token_list), sizeof(ksef_api_token_status),
	parse_token_status
};

/* A path_fn: args is the caller's ksef_client_token_query, or NULL. */
static int token_query(ksef_buf *path, const void *args, ksef_error *err)
{
	const ksef_client_token_query *q = args;
	int error;

	if ((error = ksef__buf_printf(path, PATH_MAX_BYTES, "/tokens")) < 0)
		return path_fail(error, err);
	if (q == NULL)
		return 0;
	if (q->version != KSEF_CLIENT_TOKEN_QUERY_VERSION)
		return ksef__error_set(err, KSEF_EINVAL,
			"token query version %d is not %d", q->version,
			KSEF_CLIENT_TOKEN_QUERY_VERSION);
	if ((error = check_page_size(q->page_size, 100, err)) < 0)
		return error;
	if (q->statuses & ~0x1Fu)
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown token status bits 0x%x", q->statuses);
	if ((q->description != NULL &&
	     strnlen(q->description, 3) < 3) ||
	    (q->author_identifier != NULL &&
	     strnlen(q->author_identifier, 3) < 3))
		return ksef__error_set(err, KSEF_EINVAL,
			"text filters must have at least 3 characters");
	if (q->author_identifier_type != NULL &&
	    strcmp(q->author_identifier_type, "Nip") != 0 &&
	    strcmp(q->author_identifier_type, "Pesel") != 0 &&
	    strcmp(q->author_identifier_type, "Fingerprint") != 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"author identifier type must be Nip, Pesel or "
			"Fingerprint");
	if ((error = put_flag_params(path, "status", token_status_names,
				     sizeof(token_status_names) /
				     sizeof(token_status_names[0]),
				     q->statuses)) < 0)
		return path_fail(error, err);
	if ((q->description != NULL &&
	     (error = put_param(path, "description", q->description)) < 0) ||
	    (q->author_identifier != NULL &&
	     (error = put_param(path, "authorIdentifier",
				q->author_identifier)) < 0) ||
	    (q->author_identifier_type != NULL &&
	     (error = put_param(path, "authorIdentifierType",
				q->author_identifier_type)) < 0) ||
	    (q->page_size != 0 &&
	     (error = put_int_param(path, "pageSize", q->page_size)) < 0))
		return path_fail(error, err);
	return 0;
}

int ksef_client_tokens(ksef_api_token_list **out, ksef_client *c,
		       const ksef_client_token_query *q,
		       const char *continuation, ksef_error *err)
{
	struct page pg;
	int error;

	if ((error = begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = get_page(&pg, c, &token_list, token_query, q,
			      continuation, err)) < 0)
		return error;
	PAGE_TO(*out, pg);
	return 0;
}

void ksef_api_token_list_free(ksef_api_token_list *list)
{
	ksef__result_free(list);
}

int ksef_client_token_revoke(ksef_client *c, const char *reference,
			     ksef_error *err)
{
	return call_on_ref(c, "DELETE", "/tokens/", "token reference number",
			   reference, "", 1, err);
}
