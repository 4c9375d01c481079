/*
 * peppol.c - the list of Peppol service providers from --peppol-providers
 * (peppol.h). open-api.json gives no operation that registers a provider,
 * and the documents name none, so the list is ksefd's configuration
 * (docs/ksefd.md).
 */
#include <stdlib.h>
#include <string.h>
#include "peppol.h"
#include "server.h"

/* PeppolId: ^P[A-Z]{2}[0-9]{6}$. */
static int id_valid(const char *s)
{
	int i;

	if (strlen(s) != 9 || s[0] != 'P')
		return 0;
	for (i = 1; i < 3; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	for (i = 3; i < 9; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* PeppolProvider.name: at most 256 characters. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

struct entry {
	int64_t ms;
	json_t *o;
};

static int newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms < y->ms ? 1 : -1;
	return strcmp(json_string_value(json_object_get(x->o, "id")),
		      json_string_value(json_object_get(y->o, "id")));
}

int peppol_load(json_t **out, const char *path, ksef_error *err)
{
	json_t *doc, *v, *list = NULL;
	struct entry *e = NULL;
	json_error_t jerr;
	size_t i, n;
	int error = 0;

	*out = NULL;
	if (path == NULL) {
		*out = json_array();
		return *out ? 0 : ksef_error_set(err, KSEF_ENOMEM,
						 "out of memory");
	}
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return ksef_error_set(err, KSEF_EPARSE, "%s:%d: %s", path,
				      jerr.line, jerr.text);
	if (!json_is_array(doc) ||
	    json_array_size(doc) > PEPPOL_MAX_PROVIDERS) {
		error = ksef_error_set(err, KSEF_EPARSE, "%s: a JSON array "
			"of at most %d providers is expected", path,
			PEPPOL_MAX_PROVIDERS);
		goto done;
	}
	n = json_array_size(doc);
	if ((e = calloc(n ? n : 1, sizeof(*e))) == NULL ||
	    (list = json_array()) == NULL) {
		error = ksef_error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	json_array_foreach(doc, i, v) {
		json_t *id = json_object_get(v, "id"),
		       *name = json_object_get(v, "name"),
		       *date = json_object_get(v, "dateCreated");
		ksef_time t;

		if (!json_is_string(id) || !id_valid(json_string_value(id))) {
			error = ksef_error_set(err, KSEF_EPARSE, "%s: provider "
				"%zu: id must match ^P[A-Z]{2}[0-9]{6}$",
				path, i);
			goto done;
		}
		if (!json_is_string(name) ||
		    utf8_chars(json_string_value(name)) > 256) {
			error = ksef_error_set(err, KSEF_EPARSE, "%s: provider "
				"%zu: name must be a string of at most 256 "
				"characters", path, i);
			goto done;
		}
		if (!json_is_string(date) ||
		    ksef_time_parse(&t, json_string_value(date),
				    json_string_length(date), NULL) != 0) {
			error = ksef_error_set(err, KSEF_EPARSE, "%s: provider "
				"%zu: dateCreated must be an ISO 8601 date and "
				"time", path, i);
			goto done;
		}
		e[i].ms = t.unix_ms;
		e[i].o = v;
	}
	qsort(e, n, sizeof(*e), newest_first);
	for (i = 0; i < n; i++) {
		ksef_time t = { e[i].ms, 0 };
		char buf[KSEF_TIME_BUFSZ];

		if (ksef_time_format(buf, t, NULL) != 0 ||
		    json_array_append_new(list, json_pack("{s:O,s:O,s:s}",
			"id", json_object_get(e[i].o, "id"),
			"name", json_object_get(e[i].o, "name"),
			"dateCreated", buf)) != 0) {
			error = ksef_error_set(err, KSEF_ENOMEM,
					       "out of memory");
			goto done;
		}
	}
	*out = list;
	list = NULL;
done:
	free(e);
	json_decref(list);
	json_decref(doc);
	return error;
}
