/*
 * state.c - owns the text form of saved state (ksef_conn_export/resume in
 * auth.c, ksef_session_export/resume in session.c): how it is bounded,
 * parsed and checked, and how it is written without leaving copies of its
 * secrets behind. Which members a state has, and what they mean, is left
 * to the two modules.
 *
 * A state is read back by a later process, perhaps after someone edited
 * the file it was kept in, so it is untrusted input like any answer of the
 * server: its length is checked before parsing, duplicates are refused
 * (two "baseUrl" members must not let one check pass and the other be
 * used), members nobody knows are refused rather than ignored, and every
 * value is checked for type, length and syntax before use.
 */
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "internal.h"
#include "state.h"
#include "ksef/number.h"

static const char *const context_names[] = {
	"Nip", "InternalId", "NipVatUe", "PeppolId"
};

const char *ksef__state_context_name(ksef_context_type type)
{
	if ((unsigned)type >= sizeof(context_names) / sizeof(context_names[0]))
		return NULL;
	return context_names[type];
}

/* Overwrite the strings of a jansson value in place: jansson frees its
 * buffers without wiping them, and a state holds tokens and keys. */
static void wipe(json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_string(v)) {
		ksef__wipe((char *)json_string_value(v), json_string_length(v));
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, item)
			wipe(item);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			wipe(item);
	}
}

void ksef__state_free(json_t *v)
{
	if (v == NULL)
		return;
	if (v->refcount == 1)
		wipe(v);
	json_decref(v);
}

int ksef__state_set(json_t *obj, const char *key, json_t *v)
{
	if (v == NULL)
		return -1;
	/* A reference of our own outlives a failed set, for the wipe. */
	json_incref(v);
	if (json_object_set_new(obj, key, v) != 0) {
		ksef__state_free(v);
		return -1;
	}
	json_decref(v);
	return 0;
}

static int known(const char *key, const char *const *members)
{
	size_t i;

	if (strcmp(key, "version") == 0)
		return 1;
	for (i = 0; members[i] != NULL; i++)
		if (strcmp(key, members[i]) == 0)
			return 1;
	return 0;
}

int ksef__state_parse(json_t **out, const char *text, size_t len,
		      size_t max, int version, const char *const *members,
		      const char *what, ksef_error *err)
{
	json_error_t jerr;
	json_t *root, *v, *item;
	const char *key;
	int nomem;

	*out = NULL;
	if (text == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "%s is NULL", what);
	if (len == 0 || len > max)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"%s is %zu bytes; it must be 1 to %zu", what, len,
			max);
	root = ksef__json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr,
				&nomem);
	if (nomem) {
		ksef__state_free(root);
		return ksef__error_set(err, KSEF_ENOMEM,
				       "out of memory reading %s", what);
	}
	if (root == NULL)
		/* jerr.text may quote the input, which holds secrets. */
		return ksef__error_set_line(err, KSEF_EPARSE, jerr.line,
			"%s is not valid JSON (line %d, column %d)", what,
			jerr.line, jerr.column);
	if (!json_is_object(root)) {
		ksef__state_free(root);
		return ksef__error_set(err, KSEF_EFORMAT,
				       "%s is not a JSON object", what);
	}
	v = json_object_get(root, "version");
	if (!json_is_integer(v)) {
		ksef__state_free(root);
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s has no version number", what);
	}
	if (json_integer_value(v) != version) {
		int error = ksef__error_set(err, KSEF_EFORMAT,
			"%s has version %lld; this library reads version %d",
			what, (long long)json_integer_value(v), version);

		ksef__state_free(root);
		return error;
	}
	json_object_foreach(root, key, item) {
		if (!known(key, members)) {
			int error = ksef__error_set(err, KSEF_EFORMAT,
				"%s has an unknown member '%.40s'", what, key);

			ksef__state_free(root);
			return error;
		}
	}
	*out = root;
	return 0;
}

/* Two passes: count the bytes, then write them into one allocation. */
struct dump_ctx {
	ksef_buf *buf;
	size_t count;
};

static int count_cb(const char *p, size_t n, void *data)
{
	struct dump_ctx *d = data;

	(void)p;
	if (__builtin_add_overflow(d->count, n, &d->count))
		return -1;
	return 0;
}

static int write_cb(const char *p, size_t n, void *data)
{
	struct dump_ctx *d = data;

	/* Room was made for exactly the counted bytes. */
	if (n > d->buf->asize - 1 - d->buf->size)
		return -1;
	memcpy(d->buf->ptr + d->buf->size, p, n);
	d->buf->size += n;
	d->buf->ptr[d->buf->size] = '\0';
	return 0;
}

int ksef__state_dump(ksef_buf *out, const json_t *v, size_t max,
		     const char *what, ksef_error *err)
{
	ksef_buf text = KSEF_BUF_INIT;
	struct dump_ctx d = { &text, 0 };
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
	int error;

	if (json_dump_callback(v, count_cb, &d, flags) != 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if (d.count > max)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"%s would be %zu bytes, over the limit of %zu", what,
			d.count, max);
	if ((error = ksef__buf_grow(&text, d.count, max)) != 0)
		return ksef__error_set(err, error, "out of memory");
	if (json_dump_callback(v, write_cb, &d, flags) != 0 ||
	    text.size != d.count) {
		ksef_buf_dispose_secure(&text);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	ksef_buf_dispose_secure(out);
	*out = text;
	return 0;
}

static int printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* A string value: 1 to max bytes of printable ASCII. `label` names it in
 * messages, e.g. "accessToken.validUntil". */
static int check_str(const char **value, const json_t *v, const char *label,
		     size_t max, const char *what, ksef_error *err)
{
	size_t n;

	*value = NULL;
	if (!json_is_string(v))
		return ksef__error_set(err, KSEF_EFORMAT, "%s: %s %s", what,
			label, v == NULL ? "is missing" : "is not a string");
	n = json_string_length(v);
	if (n == 0 || n > max || !printable(json_string_value(v), n))
		return ksef__error_set(err, KSEF_EFORMAT, "%s: %s must be 1 "
			"to %zu printable ASCII characters", what, label, max);
	*value = json_string_value(v);
	return 0;
}

/* The longest time text read: RFC 3339 with seven fraction digits. */
#define TIME_TEXT_MAX 40

static int check_time(int64_t *value, const json_t *v, const char *label,
		      const char *what, ksef_error *err)
{
	const char *s;
	ksef_time t;
	int error;

	*value = 0;
	if ((error = check_str(&s, v, label, TIME_TEXT_MAX, what, err)) != 0)
		return error;
	if (ksef_time_parse(&t, s, strlen(s), NULL) != 0)
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s: %s is not an RFC 3339 time", what, label);
	*value = t.unix_ms;
	return 0;
}

int ksef__state_str(const char **value, const json_t *obj, const char *key,
		    size_t max, int optional, const char *what,
		    ksef_error *err)
{
	const json_t *v = json_object_get(obj, key);

	*value = NULL;
	if (v == NULL && optional)
		return 0;
	return check_str(value, v, key, max, what, err);
}

int ksef__state_refnum(const char **value, const json_t *obj,
		       const char *key, const char *what, ksef_error *err)
{
	int error = ksef__state_str(value, obj, key, KSEF_REFNUM_LEN, 0, what,
				    err);

	if (error == 0 && ksef_refnum_validate(*value, strlen(*value),
					       NULL) != 0) {
		*value = NULL;
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s: %s is not a valid reference number", what, key);
	}
	return error;
}

int ksef__state_time(int64_t *value, const json_t *obj, const char *key,
		     int optional, const char *what, ksef_error *err)
{
	const json_t *v = json_object_get(obj, key);

	*value = KSEF_TIME_UNSET;
	if (v == NULL && optional)
		return 0;
	return check_time(value, v, key, what, err);
}

int ksef__state_token(const char **token, int64_t *until, const json_t *obj,
		      const char *key, int optional, const char *what,
		      ksef_error *err)
{
	const json_t *t = json_object_get(obj, key);
	const char *k, *value;
	json_t *item;
	char label[64];
	int error;

	*token = NULL;
	*until = 0;
	if ((t == NULL || json_is_null(t)) && optional)
		return 0;
	if (!json_is_object(t))
		return ksef__error_set(err, KSEF_EFORMAT, "%s: %s %s", what,
			key, t == NULL ? "is missing" : "is not an object");
	json_object_foreach((json_t *)t, k, item) {
		if (strcmp(k, "token") != 0 && strcmp(k, "validUntil") != 0)
			return ksef__error_set(err, KSEF_EFORMAT,
				"%s: %s has an unknown member '%.40s'", what,
				key, k);
	}
	snprintf(label, sizeof(label), "%.40s.token", key);
	if ((error = check_str(&value, json_object_get(t, "token"), label,
			       KSEF__STATE_TOKEN_MAX, what, err)) != 0)
		return error;
	/* It goes into an Authorization header as it is. */
	if (strchr(value, ' ') != NULL)
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s: %s holds a space", what, label);
	snprintf(label, sizeof(label), "%.40s.validUntil", key);
	if ((error = check_time(until, json_object_get(t, "validUntil"), label,
				what, err)) != 0)
		return error;
	*token = value;
	return 0;
}

json_t *ksef__state_time_json(int64_t unix_ms)
{
	char text[KSEF_TIME_BUFSZ];
	ksef_time t = { unix_ms, 0 };

	if (ksef_time_format_ext(text, t, KSEF_TIME_FMT_Z, NULL) != 0)
		return NULL;
	return json_string(text);
}

json_t *ksef__state_token_json(const char *token, int64_t until)
{
	json_t *o = json_object(), *t = json_string(token),
	       *u = ksef__state_time_json(until);

	if (o == NULL || t == NULL || u == NULL) {
		ksef__state_free(t);
		json_decref(u);
		json_decref(o);
		return NULL;
	}
	/* A failed set has freed t already (so it is not freed again). */
	if (ksef__state_set(o, "token", t) != 0) {
		json_decref(u);
		json_decref(o);
		return NULL;
	}
	if (json_object_set_new(o, "validUntil", u) != 0) {
		ksef__state_free(o);
		return NULL;
	}
	return o;
}

int ksef__state_context(ksef_context_type *out, const json_t *obj,
			const char *key, const char *what, ksef_error *err)
{
	const char *s;
	size_t i;
	int error;

	if ((error = ksef__state_str(&s, obj, key, 32, 0, what, err)) != 0)
		return error;
	for (i = 0; i < sizeof(context_names) / sizeof(context_names[0]);
	     i++) {
		if (strcmp(s, context_names[i]) == 0) {
			*out = (ksef_context_type)i;
			return 0;
		}
	}
	return ksef__error_set(err, KSEF_EFORMAT,
		"%s: %s '%.32s' is not a context type", what, key, s);
}
