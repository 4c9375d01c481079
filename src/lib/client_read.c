/*
 * client_read.c - reading answers into typed results. Answers are
 * untrusted: each field's type, length and range is checked before it is
 * used or copied, a required field that is missing, null or of the wrong
 * type fails the call with KSEF_EPARSE naming the field by its path, and
 * unknown fields are ignored, as the API asks (SPEC 1.2). It also owns the
 * memory of ksef_api_* results (one allocation per result with the blocks
 * its strings, lists and nested structs live in) and the lists behind the
 * opaque list types.
 */
#include <limits.h>
#include <stdalign.h>
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

/*
 * Result memory
 */

/* Each block of a result, the result itself first. */
struct block {
	struct block *next;
	size_t size;
	alignas(max_align_t) unsigned char data[];
};

void *ksef__result_new(size_t size)
{
	struct block *b;

	if (size > SIZE_MAX - sizeof(*b))
		return NULL;
	b = calloc(1, sizeof(*b) + size);
	if (b == NULL)
		return NULL;
	b->size = size;
	return b->data;
}

static struct block *block_of(void *res)
{
	return (struct block *)((unsigned char *)res -
				offsetof(struct block, data));
}

void *ksef__result_alloc(void *res, size_t size)
{
	struct block *head = block_of(res), *b;

	if (size > SIZE_MAX - sizeof(*b))
		return NULL;
	b = calloc(1, sizeof(*b) + (size ? size : 1));
	if (b == NULL)
		return NULL;
	b->size = size;
	b->next = head->next;
	head->next = b;
	return b->data;
}

char *ksef__result_strndup(void *res, const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		return NULL;
	p = ksef__result_alloc(res, len + 1);
	if (p == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void ksef__result_free(void *res)
{
	struct block *b, *next;

	if (res == NULL)
		return;
	for (b = block_of(res); b != NULL; b = next) {
		next = b->next;
		ksef__wipe(b->data, b->size);
		free(b);
	}
}

/*
 * Lists
 */

size_t ksef__list_count(const struct ksef__list *l)
{
	return l != NULL ? l->count : 0;
}

const void *ksef__list_at(const struct ksef__list *l, size_t i)
{
	if (l == NULL || i >= l->count)
		return NULL;
	return l->items + i * l->item_size;
}

const char *ksef__list_continuation(const struct ksef__list *l)
{
	return l != NULL ? l->continuation : NULL;
}

/*
 * Reading answers
 */

int ksef__rd_fail(struct ksef__rd *r, const char *key, const char *fmt, ...)
{
	char why[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return ksef__error_set(r->err, KSEF_EPARSE,
		"%s: response field %s%s %s", r->what, r->at, key, why);
}

int ksef__rd_nomem(struct ksef__rd *r)
{
	return ksef__error_set(r->err, KSEF_ENOMEM, "%s: out of memory",
			       r->what);
}

/* A field that must be there, or may be absent/null (then *v is NULL). */
static int field(struct ksef__rd *r, const json_t *obj, const char *key,
		 int required, const json_t **v)
{
	*v = json_object_get(obj, key);
	if (*v != NULL && json_is_null(*v))
		*v = NULL;
	if (*v == NULL && required)
		return ksef__rd_fail(r, key, "is missing");
	return 0;
}

int ksef__rd_string(struct ksef__rd *r, const json_t *obj, const char *key,
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
		return ksef__rd_fail(r, key, "is not a string");
	s = json_string_value(v);
	len = json_string_length(v);
	if (len < minlen || len > maxlen)
		return ksef__rd_fail(r, key, "has %zu bytes, not %zu to %zu",
				     len, minlen, maxlen);
	if (memchr(s, '\0', len) != NULL)
		return ksef__rd_fail(r, key, "holds a NUL character");
	if ((*out = ksef__result_strndup(r->res, s, len)) == NULL)
		return ksef__rd_nomem(r);
	return 0;
}

/* A string that goes back to the server in a header or a path: a token,
 * a continuation token. Printable ASCII only, so it cannot inject one. */
int ksef__rd_header_safe(struct ksef__rd *r, const json_t *obj, const char *key,
			 int required, size_t maxlen, const char **out)
{
	int error = ksef__rd_string(r, obj, key, required, required ? 1 : 0,
				    maxlen, out);

	if (error < 0 || *out == NULL)
		return error;
	if (!ksef__printable_ascii(*out, strlen(*out)) ||
	    strchr(*out, ' ') != NULL) {
		*out = NULL;
		return ksef__rd_fail(r, key, "is not printable ASCII");
	}
	return 0;
}

int ksef__rd_continuation(struct ksef__rd *r, const json_t *obj,
			  const char **out)
{
	int error = ksef__rd_header_safe(r, obj, "continuationToken", 0,
					 KSEF_CLIENT_CONTINUATION_MAX, out);

	/* Empty or null: this was the last page (SPEC 1.3). */
	if (error == 0 && *out != NULL && **out == '\0')
		*out = NULL;
	return error;
}

int ksef__rd_ref(struct ksef__rd *r, const json_t *obj, const char *key,
		 int required, const char **out)
{
	int error = ksef__rd_string(r, obj, key, required, KSEF_REFNUM_LEN,
				    KSEF_REFNUM_LEN, out);

	if (error == 0 && *out != NULL &&
	    strspn(*out, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "abcdefghijklmnopqrstuvwxyz-") != KSEF_REFNUM_LEN) {
		*out = NULL;
		return ksef__rd_fail(r, key, "is not a reference number");
	}
	return error;
}

int ksef__rd_time(struct ksef__rd *r, const json_t *obj, const char *key,
		  int64_t *out_ms)
{
	const json_t *v;
	ksef_time t;
	int error;

	if ((error = field(r, obj, key, 1, &v)) < 0)
		return error;
	if (!json_is_string(v))
		return ksef__rd_fail(r, key, "is not a string");
	if (ksef_time_parse(&t, json_string_value(v), json_string_length(v),
			    NULL) < 0)
		return ksef__rd_fail(r, key,
				     "is not a date-time with an offset");
	*out_ms = t.unix_ms;
	return 0;
}

int ksef__rd_opt_time(struct ksef__rd *r, const json_t *obj, const char *key,
		      int64_t *out_ms)
{
	const json_t *v;
	int error;

	*out_ms = KSEF_TIME_UNSET;
	if ((error = field(r, obj, key, 0, &v)) < 0 || v == NULL)
		return error;
	return ksef__rd_time(r, obj, key, out_ms);
}

/* An integer in [min, max]; when optional and absent, *out is -1. */
int ksef__rd_int(struct ksef__rd *r, const json_t *obj, const char *key,
		 int required, int64_t min, int64_t max, int64_t *out)
{
	const json_t *v;
	json_int_t n;
	int error;

	*out = -1;
	if ((error = field(r, obj, key, required, &v)) < 0 || v == NULL)
		return error;
	if (!json_is_integer(v))
		return ksef__rd_fail(r, key, "is not an integer");
	n = json_integer_value(v);
	if (n < min || n > max)
		return ksef__rd_fail(r, key, "is out of range");
	*out = (int64_t)n;
	return 0;
}

/* 1, 0, or -1 when absent or null. */
int ksef__rd_opt_bool(struct ksef__rd *r, const json_t *obj, const char *key,
		      int *out)
{
	const json_t *v;
	int error;

	*out = -1;
	if ((error = field(r, obj, key, 0, &v)) < 0 || v == NULL)
		return error;
	if (!json_is_boolean(v))
		return ksef__rd_fail(r, key, "is not a boolean");
	*out = json_is_true(v);
	return 0;
}

int ksef__rd_object(struct ksef__rd *r, const json_t *obj, const char *key,
		    int required, const json_t **out)
{
	int error = field(r, obj, key, required, out);

	if (error == 0 && *out != NULL && !json_is_object(*out)) {
		*out = NULL;
		return ksef__rd_fail(r, key, "is not an object");
	}
	return error;
}

int ksef__rd_array(struct ksef__rd *r, const json_t *obj, const char *key,
		   int required, const json_t **out)
{
	int error = field(r, obj, key, required, out);

	if (error < 0 || *out == NULL)
		return error;
	if (!json_is_array(*out)) {
		*out = NULL;
		return ksef__rd_fail(r, key, "is not an array");
	}
	if (json_array_size(*out) > KSEF_CLIENT_LIST_MAX_ITEMS) {
		*out = NULL;
		return ksef__rd_fail(r, key,
				     "has over %d items "
				     "(KSEF_CLIENT_LIST_MAX_ITEMS)",
				     KSEF_CLIENT_LIST_MAX_ITEMS);
	}
	return 0;
}

/* An array of strings, of which the first KSEF_CLIENT_DETAILS_MAX are
 * kept. */
int ksef__rd_strings(struct ksef__rd *r, const json_t *obj, const char *key,
		     const char *const **out, size_t *count)
{
	const json_t *arr;
	const char **v;
	size_t i, n;
	int error;

	*out = NULL;
	*count = 0;
	if ((error = ksef__rd_array(r, obj, key, 0, &arr)) < 0 || arr == NULL)
		return error;
	n = json_array_size(arr);
	if (n > KSEF_CLIENT_DETAILS_MAX)
		n = KSEF_CLIENT_DETAILS_MAX;
	if ((v = ksef__result_alloc(r->res, (n ? n : 1) * sizeof(*v))) == NULL)
		return ksef__rd_nomem(r);
	for (i = 0; i < n; i++) {
		const json_t *s = json_array_get(arr, i);

		if (!json_is_string(s) || json_string_length(s) >
		    KSEF_CLIENT_FIELD_MAX ||
		    memchr(json_string_value(s), '\0', json_string_length(s)))
			return ksef__rd_fail(r, key,
					     "holds an item that is not a "
					     "string of at most %d bytes",
					     KSEF_CLIENT_FIELD_MAX);
		v[i] = ksef__result_strndup(r->res, json_string_value(s),
					    json_string_length(s));
		if (v[i] == NULL)
			return ksef__rd_nomem(r);
	}
	*out = v;
	*count = n;
	return 0;
}

/* Enter a nested object: append "key." to r->at, so that messages name
 * the field as a path. Returns what ksef__rd_pop() needs to leave it
 * again. */
size_t ksef__rd_push(struct ksef__rd *r, const char *key)
{
	size_t old = strlen(r->at);

	snprintf(r->at + old, sizeof(r->at) - old, "%s.", key);
	return old;
}

/* Leave a nested object entered by appending "key." to r->at. */
void ksef__rd_pop(struct ksef__rd *r, size_t old)
{
	r->at[old] = '\0';
}

/* StatusInfo or InvoiceStatusInfo: {code, description, details}. */
int ksef__rd_status(struct ksef__rd *r, const json_t *obj, const char *key,
		    const ksef_api_status **out, const json_t **node)
{
	ksef_api_status *st;
	const json_t *o;
	int64_t code;
	size_t old;
	int error;

	if ((error = ksef__rd_object(r, obj, key, 1, &o)) < 0)
		return error;
	if ((st = ksef__result_alloc(r->res, sizeof(*st))) == NULL)
		return ksef__rd_nomem(r);
	old = ksef__rd_push(r, key);
	if ((error = ksef__rd_int(r, o, "code", 1, INT_MIN, INT_MAX,
				  &code)) == 0 &&
	    (error = ksef__rd_string(r, o, "description", 1, 0,
				     KSEF_CLIENT_FIELD_MAX,
				     &st->description)) == 0)
		error = ksef__rd_strings(r, o, "details", &st->details,
					 &st->detail_count);
	ksef__rd_pop(r, old);
	st->code = (int)code;
	*out = st;
	if (node != NULL)
		*node = o;
	return error;
}

/* TokenInfo: {token, validUntil}; the token is a secret sent in headers. */
int ksef__rd_token_info(struct ksef__rd *r, const json_t *obj, const char *key,
			int required, const ksef_api_token_info **out)
{
	ksef_api_token_info *ti;
	const json_t *o;
	size_t old;
	int error;

	if ((ti = ksef__result_alloc(r->res, sizeof(*ti))) == NULL)
		return ksef__rd_nomem(r);
	ti->valid_until_ms = KSEF_TIME_UNSET;
	*out = ti;
	if ((error = ksef__rd_object(r, obj, key, required, &o)) < 0 ||
	    o == NULL)
		return error;
	old = ksef__rd_push(r, key);
	if ((error = ksef__rd_header_safe(r, o, "token", 1,
					  KSEF_CLIENT_TOKEN_MAX,
					  &ti->token)) == 0)
		error = ksef__rd_time(r, o, "validUntil", &ti->valid_until_ms);
	ksef__rd_pop(r, old);
	return error;
}

struct ksef__list *ksef__rd_list_new(struct ksef__rd *r, size_t size)
{
	struct ksef__list *l = ksef__result_alloc(r->res, sizeof(*l));

	if (l == NULL) {
		ksef__rd_nomem(r);
		return NULL;
	}
	l->item_size = size;
	return l;
}

/* Run parse(r, item, i) over an array of objects into n items of size. */
int ksef__rd_items(struct ksef__rd *r, const json_t *obj, const char *key,
		   struct ksef__list *l, ksef__parse_fn parse)
{
	size_t i, n, old, size = l->item_size;
	const json_t *arr;
	unsigned char *v;
	int error;

	l->items = NULL;
	l->count = 0;
	if ((error = ksef__rd_array(r, obj, key, 1, &arr)) < 0)
		return error;
	n = json_array_size(arr);
	if ((v = ksef__result_alloc(r->res, (n ? n : 1) * size)) == NULL)
		return ksef__rd_nomem(r);
	for (i = 0; i < n; i++) {
		const json_t *o = json_array_get(arr, i);

		old = strlen(r->at);
		snprintf(r->at + old, sizeof(r->at) - old, "%s[%zu].", key, i);
		if (!json_is_object(o))
			error = ksef__rd_fail(r, "", "is not an object");
		else
			error = parse(r, o, v + i * size);
		ksef__rd_pop(r, old);
		if (error < 0)
			return error;
	}
	l->items = v;
	l->count = n;
	return 0;
}

/* Start reading an answer into a new result of `size` bytes, which will
 * own every string and array read into it; `what` names the request in
 * messages (ksef__req_describe()). */
int ksef__rd_new(struct ksef__rd *r, size_t size, const char *what,
		 ksef_error *err)
{
	if ((r->res = ksef__result_new(size)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	snprintf(r->what, sizeof(r->what), "%s", what);
	r->at[0] = '\0';
	r->err = err;
	return 0;
}
