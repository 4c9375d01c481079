/*
 * permissions_e2e.h - what the permission end-to-end programs share
 * (ksefd_permissions_test.c, ksefd_permissions_query_test.c), as static
 * functions each includes: XAdES logins of a company seal, a person with
 * a PESEL or a NIP, or a certificate named by its fingerprint, in any
 * kind of context; JSON calls and the operations they start; a checker of
 * response bodies against open-api.json's response schemas; and SQL on
 * the server's store for what only the test data sets (entity roles, the
 * attachment consent).
 */
#ifndef KSEF_PERMISSIONS_E2E_H
#define KSEF_PERMISSIONS_E2E_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sqlite3.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "ksef/xades.h"
#include "e2e.h"
#include "http_raw.h"
#include "ksefd_harness.h"

/* Each program uses some of these: the others are not warned about. */
#define E2E_FN static __attribute__((unused))

/* ---- who logs in ---- */

enum who_kind { WHO_SEAL, WHO_PESEL, WHO_PERSON_NIP, WHO_FINGERPRINT };

/* A certificate and its key, made once, so that its fingerprint stays. */
struct who {
	enum who_kind kind;
	ksef_buf key, cert;
	char fp[KSEF_XADES_FINGERPRINT_LEN + 1];
};

E2E_FN void who_make(struct who *w, enum who_kind kind, const char *id)
{
	ksef_xades_cert_options co = KSEF_XADES_CERT_OPTIONS_INIT;
	ksef_xades_signer *s = NULL;
	char serial[48];
	ksef_error err;

	memset(w, 0, sizeof(*w));
	w->kind = kind;
	co.key_type = KSEF_XADES_KEY_EC_P256;
	co.common_name = "Test Testowy";
	if (kind == WHO_SEAL) {
		co.kind = KSEF_XADES_CERT_SEAL;
		co.organization_name = "Testowa sp. z o.o.";
		snprintf(serial, sizeof(serial), "VATPL-%s", id);
		co.organization_identifier = serial;
	} else {
		co.kind = KSEF_XADES_CERT_PERSON;
		co.given_name = "Test";
		co.surname = "Testowy";
		/* A fingerprint's certificate names no NIP nor PESEL that
		 * KSeF reads. */
		snprintf(serial, sizeof(serial), "%s-%s", kind == WHO_PESEL ?
			 "PNOPL" : kind == WHO_PERSON_NIP ? "TINPL" : "IDCDE",
			 id);
		co.serial_number = serial;
	}
	if (ksef_xades_cert_generate(&w->key, &w->cert, &co, &err) != 0 ||
	    ksef_xades_signer_new(&s, w->key.ptr, w->key.size, w->cert.ptr,
				  w->cert.size, NULL, &err) != 0)
		fail_msg("certificate: %s", err.message);
	snprintf(w->fp, sizeof(w->fp), "%s", ksef_xades_signer_fingerprint(s));
	ksef_xades_signer_free(s);
}

E2E_FN void who_free(struct who *w)
{
	ksef_buf_dispose_secure(&w->key);
	ksef_buf_dispose(&w->cert);
}

/* Log w in to the context; returns the authentication's final status and,
 * on 200, l holds the tokens with the access token set. */
E2E_FN int xlogin(struct login *l, const struct ksefd_proc *p,
		  ksef_context_type ctx, const char *ctx_value,
		  const struct who *w)
{
	ksef_xades_auth_request ar = KSEF_XADES_AUTH_REQUEST_INIT;
	ksef_xades_signer *signer = NULL;
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_error err;
	int code;

	memset(l, 0, sizeof(*l));
	l->c = client_for(p);
	if (ksef_xades_signer_new(&signer, w->key.ptr, w->key.size,
				  w->cert.ptr, w->cert.size, NULL, &err) != 0 ||
	    ksef_client_auth_challenge(&ch, l->c, &err) != 0)
		fail_msg("xades login: %s", err.message);
	ar.challenge = ch->challenge;
	ar.context_type = ctx;
	ar.context_value = ctx_value;
	ar.subject_type = w->kind == WHO_FINGERPRINT ?
		KSEF_XADES_SUBJECT_FINGERPRINT : KSEF_XADES_SUBJECT_CERTIFICATE;
	if (ksef_xades_sign_auth_request(&doc, &ar, signer, &err) != 0 ||
	    ksef_client_auth_xades(&init, l->c, doc.ptr, doc.size, 0,
				   &err) != 0)
		fail_msg("xades login: %s", err.message);
	snprintf(l->auth_ref, sizeof(l->auth_ref), "%s",
		 init->reference_number);
	snprintf(l->auth_token, sizeof(l->auth_token), "%s",
		 init->authentication_token->token);
	code = auth_wait(l->c, l->auth_ref, l->auth_token);
	if (code == 200 &&
	    (ksef_client_auth_redeem(&l->tokens, l->c, l->auth_token,
				     &err) != 0 ||
	     ksef_client_set_access_token(l->c,
					  l->tokens->access_token->token,
					  &err) != 0))
		fail_msg("redeem: %s", err.message);
	ksef_api_auth_init_free(init);
	ksef_api_challenge_free(ch);
	ksef_xades_signer_free(signer);
	ksef_buf_dispose(&doc);
	return code;
}

/* xlogin into a NIP context that must succeed. */
E2E_FN void xlogin_ok(struct login *l, const struct ksefd_proc *p,
		      const char *nip, const struct who *w)
{
	assert_int_equal(xlogin(l, p, KSEF_CONTEXT_NIP, nip, w), 200);
}

E2E_FN const char *token_of(const struct login *l)
{
	return l->tokens->access_token->token;
}

/* ---- calls ---- */

/* A call to the API (path under /v2) with a JSON body from fmt (NULL:
 * none); fails the test if no answer comes. */
E2E_FN void call(struct raw_response *r, const struct ksefd_proc *p,
		 const char *method, const char *path, const char *bearer,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

E2E_FN void call(struct raw_response *r, const struct ksefd_proc *p,
		 const char *method, const char *path, const char *bearer,
		 const char *fmt, ...)
{
	static char body[16384];
	va_list ap;

	if (fmt == NULL) {
		raw_request(r, method, url(p, path), bearer, NULL, NULL, 0);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	raw_request(r, method, url(p, path), bearer, NULL, body, strlen(body));
}

/* ---- the contract ---- */

/* open-api.json, loaded once */
static json_t *contract __attribute__((unused));

E2E_FN const json_t *deref(const json_t *s)
{
	const char *ref = json_string_value(json_object_get(s, "$ref"));
	const char *prefix = "#/components/schemas/";

	if (ref == NULL)
		return s;
	assert_int_equal(strncmp(ref, prefix, strlen(prefix)), 0);
	s = json_object_get(json_object_get(json_object_get(contract,
		"components"), "schemas"), ref + strlen(prefix));
	assert_non_null(s);
	return s;
}

/* A schema, its $ref and its allOf parts as one object (properties and
 * required united), which the caller decrefs. */
E2E_FN json_t *flat(const json_t *s)
{
	json_t *out = json_object(), *props = json_object(),
	       *req = json_array(), *part;
	const json_t *todo[16];
	size_t n = 0, i;

	todo[n++] = s;
	while (n > 0) {
		json_t *one = (json_t *)deref(todo[--n]), *v;
		const char *k;

		json_object_foreach(one, k, v) {
			if (strcmp(k, "properties") == 0)
				json_object_update(props, v);
			else if (strcmp(k, "required") == 0)
				json_array_extend(req, v);
			else if (strcmp(k, "allOf") == 0) {
				json_array_foreach(v, i, part) {
					if (n < 16)
						todo[n++] = part;
				}
			} else if (json_object_get(out, k) == NULL) {
				json_object_set(out, k, v);
			}
		}
	}
	json_object_set_new(out, "properties", props);
	json_object_set_new(out, "required", req);
	return out;
}

E2E_FN size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* A finding of check(): printed, and counted. */
#define MISMATCH(...) (fprintf(stderr, __VA_ARGS__), \
		       fputc('\n', stderr), bad++)

/* v against schema s: each member known and of its type, enums and
 * lengths held, every required member there. Returns how many findings
 * (each printed). */
E2E_FN int check(const json_t *v, const json_t *s, const char *at)
{
	json_t *f = flat(s), *props = json_object_get(f, "properties"), *x;
	const char *type = json_string_value(json_object_get(f, "type")), *k;
	json_t *en = json_object_get(f, "enum");
	char sub[256];
	size_t i;
	int bad = 0;

	if (json_is_null(v)) {
		if (!json_is_true(json_object_get(f, "nullable")))
			MISMATCH("%s: null where the contract wants a value",
				 at);
		json_decref(f);
		return bad;
	}
	if (en != NULL) {
		int found = 0;

		json_array_foreach(en, i, x)
			found |= json_equal(x, v);
		if (!found)
			MISMATCH("%s: %s is not of its enum", at,
				 json_is_string(v) ? json_string_value(v) :
				 "(not a string)");
	}
	if (type == NULL && json_object_size(props) > 0)
		type = "object";
	if (type == NULL) {
		json_decref(f);
		return bad;
	}
	if (strcmp(type, "object") == 0) {
		if (!json_is_object(v)) {
			MISMATCH("%s: not an object", at);
			json_decref(f);
			return bad;
		}
		json_object_foreach((json_t *)v, k, x) {
			const json_t *ps = json_object_get(props, k);

			snprintf(sub, sizeof(sub), "%s.%s", at, k);
			if (ps == NULL)
				MISMATCH("%s: not in the contract", sub);
			else
				bad += check(x, ps, sub);
		}
		json_array_foreach(json_object_get(f, "required"), i, x)
			if (json_object_get(v, json_string_value(x)) == NULL)
				MISMATCH("%s: required %s missing", at,
					 json_string_value(x));
	} else if (strcmp(type, "array") == 0) {
		if (!json_is_array(v))
			MISMATCH("%s: not an array", at);
		json_array_foreach(v, i, x) {
			snprintf(sub, sizeof(sub), "%s[%zu]", at, i);
			bad += check(x, json_object_get(f, "items"), sub);
		}
	} else if (strcmp(type, "string") == 0) {
		json_t *lo = json_object_get(f, "minLength"),
		       *hi = json_object_get(f, "maxLength");
		size_t len;

		if (!json_is_string(v)) {
			MISMATCH("%s: not a string", at);
		} else {
			len = utf8_len(json_string_value(v));
			if ((lo && len < (size_t)json_integer_value(lo)) ||
			    (hi && len > (size_t)json_integer_value(hi)))
				MISMATCH("%s: length %zu out of the "
					 "contract's", at, len);
		}
	} else if (strcmp(type, "boolean") == 0) {
		if (!json_is_boolean(v))
			MISMATCH("%s: not a boolean", at);
	} else if (strcmp(type, "integer") == 0) {
		if (!json_is_integer(v))
			MISMATCH("%s: not an integer", at);
	}
	json_decref(f);
	return bad;
}

/* The contract, loaded on first use. */
E2E_FN void contract_load(void)
{
	json_error_t je;

	if (contract != NULL)
		return;
	contract = json_load_file(ts_shared_path("ksef-docs/open-api.json"),
				  JSON_REJECT_DUPLICATES, &je);
	if (contract == NULL)
		fail_msg("open-api.json: %s", je.text);
}

/* A schema of components/schemas by name (borrowed). */
E2E_FN const json_t *schema_named(const char *name)
{
	contract_load();
	return json_object_get(json_object_get(json_object_get(contract,
		"components"), "schemas"), name);
}

/* The body of r held against the response schema of (method, path,
 * status) in open-api.json. */
E2E_FN void matches(const struct raw_response *r, const char *method,
		    const char *path)
{
	char status[8], m[8];
	json_t *op, *schema, *body;
	size_t i;

	contract_load();
	for (i = 0; method[i] && i + 1 < sizeof(m); i++)
		m[i] = (char)(method[i] | 0x20);
	m[i] = '\0';
	snprintf(status, sizeof(status), "%ld", r->status);
	op = json_object_get(json_object_get(json_object_get(contract,
		"paths"), path), m);
	assert_non_null(op);
	schema = json_object_get(json_object_get(json_object_get(
		json_object_get(json_object_get(op, "responses"), status),
		"content"), "application/json"), "schema");
	if (schema == NULL)
		fail_msg("%s %s: no %s schema", method, path, status);
	body = raw_json(r);
	if (check(body, schema, path) != 0)
		fail_msg("%s %s: the body is not the contract's: %s", method,
			 path, r->body);
	json_decref(body);
}

/* ---- operations ---- */

/* The reference number of a 202 (which fails the test otherwise). */
E2E_FN void accepted(const struct raw_response *r, char ref[37])
{
	json_t *j;

	if (r->status != 202)
		fail_msg("expected 202, got %ld: %s", r->status, r->body);
	j = raw_json(r);
	snprintf(ref, 37, "%.36s", json_string_value(json_object_get(j,
		"referenceNumber")));
	json_decref(j);
	assert_int_equal(strlen(ref), 36);
	assert_int_equal(memcmp(ref + 9, "EG", 2), 0);
}

/* The status code of an operation, its body checked against the
 * contract. */
E2E_FN int op_status(const struct ksefd_proc *p, const char *bearer,
		     const char *ref)
{
	struct raw_response r;
	char path[128];
	json_t *j;
	int code;

	snprintf(path, sizeof(path), "/permissions/operations/%s", ref);
	call(&r, p, "GET", path, bearer, NULL);
	if (r.status != 200)
		fail_msg("operation %s: %ld %s", ref, r.status, r.body);
	matches(&r, "GET", "/permissions/operations/{referenceNumber}");
	j = raw_json(&r);
	code = (int)json_integer_value(json_object_get(json_object_get(j,
		"status"), "code"));
	json_decref(j);
	raw_free(&r);
	return code;
}

/* POST a grant (or DELETE a revocation) and return its operation's
 * status. */
E2E_FN int operation(const struct ksefd_proc *p, const char *method,
		     const char *path, const char *bearer, const char *body)
{
	struct raw_response r;
	char ref[37];

	if (body != NULL)
		call(&r, p, method, path, bearer, "%s", body);
	else
		call(&r, p, method, path, bearer, NULL);
	accepted(&r, ref);
	matches(&r, method, path[0] == '/' && strncmp(path,
		"/permissions/common/grants/", 27) == 0 ?
		"/permissions/common/grants/{permissionId}" :
		strncmp(path, "/permissions/authorizations/grants/", 35) == 0 ?
		"/permissions/authorizations/grants/{permissionId}" : path);
	raw_free(&r);
	return op_status(p, bearer, ref);
}

/* A list query; its body (the caller decrefs) checked against the
 * contract, its status 200. */
E2E_FN json_t *query(const struct ksefd_proc *p, const char *method,
		     const char *path, const char *params, const char *bearer,
		     const char *body)
{
	struct raw_response r;
	char full[256];
	json_t *j;

	snprintf(full, sizeof(full), "%s%s", path, params ? params : "");
	if (body != NULL)
		call(&r, p, method, full, bearer, "%s", body);
	else
		call(&r, p, method, full, bearer, NULL);
	if (r.status != 200)
		fail_msg("%s %s: %ld %s", method, full, r.status, r.body);
	matches(&r, method, path);
	j = raw_json(&r);
	raw_free(&r);
	return j;
}

/* The items of a list answer (borrowed from it). */
E2E_FN json_t *items(json_t *list, const char *name)
{
	json_t *a = json_object_get(list, name);

	assert_true(json_is_array(a));
	return a;
}

/* The first item whose member `key` is `value`, or NULL. */
E2E_FN json_t *find(json_t *array, const char *key, const char *value)
{
	json_t *e;
	size_t i;

	json_array_foreach(array, i, e)
		if (json_is_string(json_object_get(e, key)) &&
		    strcmp(json_string_value(json_object_get(e, key)),
			   value) == 0)
			return e;
	return NULL;
}

/* ---- the store, for what only test data sets ---- */

E2E_FN void sql(const struct ksefd_proc *p, const char *text)
{
	char file[600];
	sqlite3 *db;
	char *msg = NULL;

	snprintf(file, sizeof(file), "%s/ksefd.sqlite3", p->data_dir);
	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("sql: %s", msg);
	sqlite3_close(db);
}

#endif
