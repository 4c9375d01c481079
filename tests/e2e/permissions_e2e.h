/*
 * permissions_e2e.h - what the permission end-to-end programs share
 * (ksefd_permissions_test.c, ksefd_permissions_query_test.c), as static
 * functions each includes: XAdES logins that must succeed (the logins
 * themselves are tests/support/e2e.c's); JSON calls and the operations
 * they start; response bodies held against open-api.json (contract.h);
 * and SQL on the server's store for what only the test data sets (entity
 * roles, the attachment consent).
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
#include "contract.h"
#include "e2e.h"
#include "http_raw.h"
#include "ksefd_harness.h"

/* Each program uses some of these: the others are not warned about. */
#define E2E_FN static __attribute__((unused))

/* ---- who logs in: struct who, who_make(), xlogin() (e2e.h) ---- */

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

/* open-api.json (contract.h), loaded on first use. */
E2E_FN void contract_use(void)
{
	if (contract_api == NULL && contract_load() != 0)
		fail_msg("open-api.json could not be read");
}

/* v against schema s (contract.h's checker): 0, or 1 with the mismatch
 * printed. */
E2E_FN int check(const json_t *v, const json_t *s, const char *at)
{
	char why[512];

	if (contract_check(v, s, at, why, sizeof(why)) == 0)
		return 0;
	fprintf(stderr, "%s\n", why);
	return 1;
}

/* A schema of components/schemas by name (borrowed). */
E2E_FN const json_t *schema_named(const char *name)
{
	contract_use();
	return json_object_get(json_object_get(json_object_get(contract_api,
		"components"), "schemas"), name);
}

/* The body of r held against the response schema of (method, path,
 * status) in open-api.json. */
E2E_FN void matches(const struct raw_response *r, const char *method,
		    const char *path)
{
	const json_t *schema;
	json_t *body;
	char m[8];
	size_t i;

	contract_use();
	for (i = 0; method[i] && i + 1 < sizeof(m); i++)
		m[i] = (char)(method[i] | 0x20);
	m[i] = '\0';
	schema = contract_response_schema(path, m, (int)r->status,
					  "application/json");
	if (schema == NULL)
		fail_msg("%s %s: no %ld schema", method, path, r->status);
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

/* Run SQL on ksefd's store: its SQLite file, or, when it runs on the
 * PostgreSQL store (tests/support/ksefd_pg.sh left the schema's name in
 * the data folder), its schema through psql. */
E2E_FN void sql(const struct ksefd_proc *p, const char *text)
{
	char file[600], schema[64] = "", cmd[8192];
	sqlite3 *db;
	char *msg = NULL;
	FILE *f;

	snprintf(file, sizeof(file), "%s/.pg-schema", p->data_dir);
	if ((f = fopen(file, "r")) != NULL) {
		if (fgets(schema, sizeof(schema), f) == NULL)
			schema[0] = '\0';
		fclose(f);
		schema[strcspn(schema, "\n")] = '\0';
		assert_true(schema[0] != '\0' && getenv("KSEF_TEST_PG"));
		/* The text is the test's own: no quote in it. */
		assert_null(strchr(text, '"'));
		assert_true(snprintf(cmd, sizeof(cmd), "psql \"%s options='-c "
				     "search_path=%s'\" -qX -v ON_ERROR_STOP=1"
				     " -c \"%s\" >/dev/null",
				     getenv("KSEF_TEST_PG"), schema,
				     text) < (int)sizeof(cmd));
		if (system(cmd) != 0)
			fail_msg("sql: %s", text);
		return;
	}
	snprintf(file, sizeof(file), "%s/ksefd.sqlite3", p->data_dir);
	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("sql: %s", msg);
	sqlite3_close(db);
}

#endif
