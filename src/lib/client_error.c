/*
 * client_error.c - the error model of the API client: an error answer in
 * any of the API's formats (SPEC 2.3, 2.5) becomes a ksef_api_error, and
 * its one-line summary goes into the caller's message. Text from the
 * network is made safe here before anyone shows it: control characters
 * replaced, markup dropped, UTF-8 never cut in two. The exchange that got
 * the answer is client.c's.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "alloc.h"
#include "internal.h"
#include "client_int.h"

/* How many bytes of a non-JSON error body are shown in messages. */
#define EXCERPT_MAX 160
/* Longest string kept from an error answer field. */
#define ERROR_FIELD_MAX 2048

/*
 * Text from the network, made safe to show
 */

/* Copy at most cap bytes of s into a result, control characters replaced
 * by spaces. Used for strings from a parsed JSON error (valid UTF-8). */
static const char *keep_text(void *res, const char *s, size_t len,
			     size_t cap, int *nomem)
{
	char *p;
	size_t i;

	if (len > cap) {
		len = cap;
		/* Do not cut a UTF-8 sequence in two. */
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	p = ksef__result_strndup(res, s, len);
	if (p == NULL) {
		*nomem = 1;
		return NULL;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			p[i] = ' ';
	return p;
}

/*
 * Text from the network made fit for a message: anything but printable
 * ASCII shown as '?', runs of white space as one space, and with
 * strip_tags markup dropped, so an HTML error page reads as its text.
 */
void ksef__client_excerpt(char *out, size_t outsz, const unsigned char *s,
			  size_t len, int strip_tags)
{
	size_t i, n = 0;
	int in_tag = 0, space = 1;

	for (i = 0; i < len && n + 1 < outsz; i++) {
		unsigned char ch = s[i];

		if (ch == '<' && strip_tags) {
			in_tag = 1;
			continue;
		}
		if (in_tag) {
			if (ch == '>') {
				in_tag = 0;
				ch = ' ';
			} else {
				continue;
			}
		}
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			if (!space)
				out[n++] = ' ';
			space = 1;
			continue;
		}
		out[n++] = (ch > 0x20 && ch < 0x7f) ? (char)ch : '?';
		space = 0;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* After snprintf truncated a message, drop a partial UTF-8 sequence. */
void ksef__client_trim_utf8(char *msg)
{
	size_t len = strlen(msg), i = len, need;
	unsigned char lead;

	while (i > 0 && ((unsigned char)msg[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0)
		return;
	lead = (unsigned char)msg[i - 1];
	if (lead < 0xC0)
		return;
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
	if (len - (i - 1) < need)
		msg[i - 1] = '\0';
}

/*
 * Error answers
 */

static const char *jstr(const json_t *obj, const char *key, size_t *len)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return json_string_value(v);
}

static const char *keep_field(void *res, const json_t *obj, const char *key,
			      int *nomem)
{
	size_t len;
	const char *s = jstr(obj, key, &len);

	return s != NULL ? keep_text(res, s, len, ERROR_FIELD_MAX, nomem) :
			   NULL;
}

static int jint(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	json_int_t n;

	if (!json_is_integer(v))
		return 0;
	n = json_integer_value(v);
	return n >= INT_MIN && n <= INT_MAX ? (int)n : 0;
}

/* One problem from {code, description, details} under the given names. */
static void keep_problem(void *res, ksef_api_problem *p, const json_t *o,
			 const char *code_key, const char *desc_key,
			 int *nomem)
{
	const json_t *details = json_object_get(o, "details");
	const char **d;
	size_t i, n = 0, count;

	p->code = jint(o, code_key);
	p->description = keep_field(res, o, desc_key, nomem);
	if (!json_is_array(details))
		return;
	count = json_array_size(details);
	if (count > KSEF_CLIENT_DETAILS_MAX)
		count = KSEF_CLIENT_DETAILS_MAX;
	d = ksef__result_alloc(res, (count ? count : 1) * sizeof(*d));
	if (d == NULL) {
		*nomem = 1;
		return;
	}
	for (i = 0; i < count; i++) {
		const json_t *s = json_array_get(details, i);

		if (json_is_string(s))
			d[n++] = keep_text(res, json_string_value(s),
					   json_string_length(s),
					   ERROR_FIELD_MAX, nomem);
	}
	p->details = d;
	p->detail_count = n;
}

/* The problems of e, room for count of them made in e; NULL when out of
 * memory. */
static ksef_api_problem *new_problems(ksef_api_error *e, size_t count,
				      struct ksef__list **l, int *nomem)
{
	ksef_api_problem *p;

	*l = ksef__result_alloc(e, sizeof(**l));
	p = ksef__result_alloc(e, (count ? count : 1) * sizeof(*p));
	if (*l == NULL || p == NULL) {
		*nomem = 1;
		return NULL;
	}
	(*l)->items = (const unsigned char *)p;
	(*l)->item_size = sizeof(*p);
	e->problems = (const ksef_api_problems *)(const void *)*l;
	return p;
}

static void keep_problems(ksef_api_error *e, const json_t *list,
			  const char *code_key, const char *desc_key,
			  int *nomem)
{
	struct ksef__list *l;
	ksef_api_problem *p;
	size_t i, count;

	if (!json_is_array(list))
		return;
	count = json_array_size(list);
	if (count > KSEF_CLIENT_PROBLEMS_MAX)
		count = KSEF_CLIENT_PROBLEMS_MAX;
	if ((p = new_problems(e, count, &l, nomem)) == NULL)
		return;
	for (i = 0; i < count; i++) {
		const json_t *o = json_array_get(list, i);

		if (json_is_object(o))
			keep_problem(e, &p[l->count++], o, code_key, desc_key,
				     nomem);
	}
}

static void parse_error_json(ksef_api_error *e, const json_t *root,
			     int *nomem)
{
	const json_t *exc = json_object_get(root, "exception");
	const json_t *st = json_object_get(root, "status");
	const json_t *sec;

	if (json_is_object(exc)) {
		/* ExceptionResponse, the default 400 format. */
		e->format = KSEF_API_ERROR_EXCEPTION;
		keep_problems(e, json_object_get(exc, "exceptionDetailList"),
			      "exceptionCode", "exceptionDescription", nomem);
		e->trace_id = keep_field(e, exc, "serviceCode", nomem);
		e->reference_number = keep_field(e, exc, "referenceNumber",
						 nomem);
		return;
	}
	if (json_is_object(st)) {
		/* TooManyRequestsResponse: {"status":{code, description,
		 * details}}. */
		struct ksef__list *l;
		ksef_api_problem *p = new_problems(e, 1, &l, nomem);

		if (p == NULL)
			return;
		e->format = KSEF_API_ERROR_STATUS;
		keep_problem(e, p, st, "code", "description", nomem);
		l->count = 1;
		return;
	}
	if (json_object_get(root, "title") == NULL &&
	    json_object_get(root, "detail") == NULL &&
	    json_object_get(root, "errors") == NULL)
		return; /* JSON of no known form: stays OTHER */
	/* Problem Details: 400 with errors[], 401/403/410/429 without. */
	e->format = KSEF_API_ERROR_PROBLEM;
	keep_problems(e, json_object_get(root, "errors"), "code",
		      "description", nomem);
	e->title = keep_field(e, root, "title", nomem);
	e->detail = keep_field(e, root, "detail", nomem);
	e->reason_code = keep_field(e, root, "reasonCode", nomem);
	e->instance = keep_field(e, root, "instance", nomem);
	e->trace_id = keep_field(e, root, "traceId", nomem);
	sec = json_object_get(root, "security");
	if (json_is_object(sec)) {
		char *text = json_dumps(sec, JSON_COMPACT | JSON_SORT_KEYS);

		if (text == NULL) {
			*nomem = 1;
		} else {
			e->security = keep_text(e, text, strlen(text),
						ERROR_FIELD_MAX, nomem);
			free(text);
		}
	}
}

/* The error answer as a result, or NULL when out of memory. */
ksef_api_error *ksef__api_error_parse(int status, long retry_after,
				      const char *reason, const ksef_buf *body)
{
	ksef_api_error *e = ksef__result_new(sizeof(*e));
	json_error_t je;
	json_t *root = NULL;
	int nomem = 0;
	size_t i = 0;

	if (e == NULL)
		return NULL;
	e->http_status = status;
	e->retry_after = retry_after;
	e->format = KSEF_API_ERROR_OTHER;
	while (i < body->size && (body->ptr[i] == ' ' ||
	       body->ptr[i] == '\t' || body->ptr[i] == '\r' ||
	       body->ptr[i] == '\n'))
		i++;
	if (i == body->size) {
		e->format = KSEF_API_ERROR_EMPTY;
	} else if (body->ptr[i] == '{') {
		root = ksef__json_loadb((const char *)body->ptr, body->size,
					JSON_REJECT_DUPLICATES, &je, &nomem);
		if (!nomem && json_is_object(root))
			parse_error_json(e, root, &nomem);
		json_decref(root);
	}
	if (e->format == KSEF_API_ERROR_OTHER ||
	    e->format == KSEF_API_ERROR_EMPTY) {
		char text[EXCERPT_MAX + 1], both[KSEF__REASON_MAX + 2 +
						 EXCERPT_MAX + 1];

		ksef__client_excerpt(text, sizeof(text), body->ptr, body->size,
				     1);
		snprintf(both, sizeof(both), "%s%s%s", reason,
			 reason[0] && text[0] ? ": " : "", text);
		if (e->format == KSEF_API_ERROR_OTHER || both[0] != '\0')
			e->excerpt = keep_text(e, both, strlen(both),
					       sizeof(both), &nomem);
	}
	if (nomem) {
		ksef__result_free(e);
		return NULL;
	}
	return e;
}

/* The one-line summary of an error answer. */
void ksef__api_error_summarise(char *out, size_t outsz, const ksef_api_error *e)
{
	size_t count = ksef_api_problems_count(e->problems);

	if (count > 0) {
		const ksef_api_problem *p =
			ksef_api_problems_at(e->problems, 0);
		char more[48] = "";

		if (count > 1)
			snprintf(more, sizeof(more), " (and %zu more)",
				 count - 1);
		snprintf(out, outsz, "%d %s%s%s%s%s", p->code,
			 p->description ? p->description : "",
			 p->detail_count ? " [" : "",
			 p->detail_count ? p->details[0] : "",
			 p->detail_count ? "]" : "", more);
	} else if (e->title != NULL || e->detail != NULL) {
		snprintf(out, outsz, "%s%s%s%s%s%s", e->title ? e->title : "",
			 e->title && e->detail ? ": " : "",
			 e->detail ? e->detail : "",
			 e->reason_code ? " (" : "",
			 e->reason_code ? e->reason_code : "",
			 e->reason_code ? ")" : "");
	} else if (e->excerpt != NULL && e->excerpt[0] != '\0') {
		snprintf(out, outsz, "%s", e->excerpt);
	} else {
		snprintf(out, outsz, "no error details");
	}
}

size_t ksef_api_problems_count(const ksef_api_problems *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_problem *ksef_api_problems_at(const ksef_api_problems *l,
					     size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

int ksef_api_error_has_code(const ksef_api_error *e, int code)
{
	const ksef_api_problem *p;
	size_t i;

	if (e == NULL)
		return 0;
	for (i = 0; (p = ksef_api_problems_at(e->problems, i)) != NULL; i++)
		if (p->code == code)
			return 1;
	return 0;
}
