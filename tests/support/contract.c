/*
 * contract.c - open-api.json and the schema checker of contract.h.
 */
#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include "ksef/encoding.h"
#include "contract.h"

json_t *contract_api;

int contract_load(void)
{
	json_error_t je;

	contract_api = json_load_file(ts_shared_path(
		"ksef-docs/open-api.json"), JSON_REJECT_DUPLICATES, &je);
	if (contract_api == NULL) {
		fprintf(stderr, "open-api.json: %s\n", je.text);
		return -1;
	}
	return 0;
}

void contract_unload(void)
{
	json_decref(contract_api);
	contract_api = NULL;
}

/*
 * The schema walker
 */

static const json_t *deref(const json_t *s)
{
	const char *ref = json_string_value(json_object_get(s, "$ref"));
	const char *prefix = "#/components/schemas/";

	if (ref == NULL)
		return s;
	if (strncmp(ref, prefix, strlen(prefix)) != 0)
		fail_msg("unsupported $ref %s", ref);
	s = json_object_get(json_object_get(json_object_get(contract_api,
		"components"), "schemas"), ref + strlen(prefix));
	if (s == NULL)
		fail_msg("dangling $ref %s", ref);
	return s;
}

/* Fold a schema, its $ref and its allOf parts into one flat object:
 * properties and required are united, other keywords kept from the first
 * part that has them. */
static void merge_into(json_t *out, const json_t *s)
{
	const json_t *v, *all;
	const char *k;
	size_t i;

	if (json_object_get(s, "$ref") != NULL)
		merge_into(out, deref(s));
	all = json_object_get(s, "allOf");
	for (i = 0; i < json_array_size(all); i++)
		merge_into(out, json_array_get(all, i));
	json_object_foreach((json_t *)s, k, v) {
		if (strcmp(k, "$ref") == 0 || strcmp(k, "allOf") == 0)
			continue;
		if (strcmp(k, "properties") == 0) {
			json_t *p = json_object_get(out, "properties");

			if (p == NULL) {
				p = json_object();
				json_object_set_new(out, "properties", p);
			}
			json_object_update_missing(p, (json_t *)v);
		} else if (strcmp(k, "required") == 0) {
			json_t *r = json_object_get(out, "required");

			if (r == NULL) {
				r = json_array();
				json_object_set_new(out, "required", r);
			}
			json_array_extend(r, (json_t *)v);
		} else if (json_object_get(out, k) == NULL) {
			json_object_set(out, k, (json_t *)v);
		}
	}
}

static json_t *flatten(const json_t *s)
{
	json_t *out = json_object();

	merge_into(out, s);
	return out;
}

/* Check v against schema s; on a mismatch, describe it in why and
 * return -1. */
static int check(const json_t *v, const json_t *s, const char *at,
		 char *why, size_t whysz)
{
	json_t *f = flatten(s);
	const char *type = json_string_value(json_object_get(f, "type"));
	const json_t *props = json_object_get(f, "properties");
	int rc = 0;

	if (type == NULL && props != NULL)
		type = "object";
	if (json_is_null(v)) {
		if (!json_is_true(json_object_get(f, "nullable"))) {
			snprintf(why, whysz, "%s is null but not nullable", at);
			rc = -1;
		}
		goto done;
	}
	if (type == NULL) {
		snprintf(why, whysz, "%s: the schema has no type", at);
		rc = -1;
	} else if (strcmp(type, "object") == 0) {
		const json_t *req = json_object_get(f, "required"), *pv,
			     *ap = json_object_get(f, "additionalProperties");
		const char *k;
		size_t i;

		if (!json_is_object(v)) {
			snprintf(why, whysz, "%s is not an object", at);
			rc = -1;
			goto done;
		}
		json_object_foreach((json_t *)v, k, pv) {
			const json_t *ps = json_object_get(props, k);
			char sub[256];

			snprintf(sub, sizeof(sub), "%s.%s", at, k);
			/* additionalProperties admits what properties does
			 * not name: anything when it is true or a schema
			 * without a type, else values of its schema. */
			if (ps == NULL && (json_is_true(ap) ||
			    (json_is_object(ap) && json_object_get(ap,
			     "type") == NULL && json_object_get(ap,
			     "$ref") == NULL)))
				continue;
			if (ps == NULL)
				ps = json_is_object(ap) ? ap : NULL;
			if (ps == NULL) {
				snprintf(why, whysz, "%s is not in the schema",
					 sub);
				rc = -1;
				goto done;
			}
			if ((rc = check(pv, ps, sub, why, whysz)) < 0)
				goto done;
		}
		for (i = 0; i < json_array_size(req); i++) {
			const char *name = json_string_value(
				json_array_get(req, i));

			if (json_object_get(v, name) == NULL) {
				snprintf(why, whysz, "%s.%s is required but "
					 "not sent", at, name);
				rc = -1;
				goto done;
			}
		}
	} else if (strcmp(type, "array") == 0) {
		size_t i;

		if (!json_is_array(v)) {
			snprintf(why, whysz, "%s is not an array", at);
			rc = -1;
			goto done;
		}
		for (i = 0; i < json_array_size(v) && rc == 0; i++) {
			char sub[256];

			snprintf(sub, sizeof(sub), "%s[%zu]", at, i);
			rc = check(json_array_get(v, i),
				   json_object_get(f, "items"), sub, why,
				   whysz);
		}
	} else if (strcmp(type, "string") == 0) {
		const json_t *e = json_object_get(f, "enum");
		const char *fmt = json_string_value(json_object_get(f,
								    "format"));
		json_int_t minl = json_integer_value(
			json_object_get(f, "minLength"));
		const json_t *maxj = json_object_get(f, "maxLength");
		size_t len, i;
		int found = 0;

		if (!json_is_string(v)) {
			snprintf(why, whysz, "%s is not a string", at);
			rc = -1;
			goto done;
		}
		len = json_string_length(v);
		if ((json_int_t)len < minl || (maxj != NULL &&
		    (json_int_t)len > json_integer_value(maxj))) {
			snprintf(why, whysz, "%s has a length out of range",
				 at);
			rc = -1;
			goto done;
		}
		if (e != NULL) {
			for (i = 0; i < json_array_size(e); i++)
				if (json_equal(json_array_get(e, i),
					       (json_t *)v))
					found = 1;
			if (!found) {
				snprintf(why, whysz, "%s is not in the enum",
					 at);
				rc = -1;
				goto done;
			}
		}
		if (fmt != NULL && strcmp(fmt, "byte") == 0) {
			ksef_buf raw = KSEF_BUF_INIT;

			if (ksef_base64_decode(&raw, json_string_value(v), len,
					       len, NULL) != 0) {
				snprintf(why, whysz, "%s is not Base64", at);
				rc = -1;
			}
			ksef_buf_dispose(&raw);
		}
	} else if (strcmp(type, "integer") == 0) {
		const json_t *min = json_object_get(f, "minimum");

		if (!json_is_integer(v) || (min != NULL &&
		    json_integer_value(v) < json_integer_value(min))) {
			snprintf(why, whysz, "%s is not an integer in range",
				 at);
			rc = -1;
		}
	} else if (strcmp(type, "number") == 0) {
		if (!json_is_number(v)) {
			snprintf(why, whysz, "%s is not a number", at);
			rc = -1;
		}
	} else if (strcmp(type, "boolean") == 0) {
		if (!json_is_boolean(v)) {
			snprintf(why, whysz, "%s is not a boolean", at);
			rc = -1;
		}
	} else {
		snprintf(why, whysz, "%s: unexpected schema type %s", at, type);
		rc = -1;
	}
done:
	json_decref(f);
	return rc;
}

int contract_check(const json_t *v, const json_t *s, const char *at,
		   char *why, size_t whysz)
{
	return check(v, s, at, why, whysz);
}

static const json_t *operation(const char *path, const char *method)
{
	return json_object_get(json_object_get(json_object_get(contract_api,
		"paths"), path), method);
}

const json_t *contract_request_schema(const char *path, const char *method)
{
	const json_t *s = json_object_get(json_object_get(json_object_get(
		operation(path, method), "requestBody"), "content"),
		"application/json");

	s = json_object_get(s, "schema");
	if (s == NULL)
		fail_msg("no JSON request schema for %s %s", method, path);
	return s;
}

const json_t *contract_response_schema(const char *path, const char *method,
				       int status, const char *content_type)
{
	char code[8];

	snprintf(code, sizeof(code), "%d", status);
	return json_object_get(json_object_get(json_object_get(
		json_object_get(json_object_get(operation(path, method),
		"responses"), code), "content"), content_type), "schema");
}
