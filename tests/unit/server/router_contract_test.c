/*
 * router_contract_test.c - the route table (router.c) held against
 * open-api.json: every operation of the contract is routed, except the
 * ones not served yet, which are named here, so that a route that goes
 * missing, or one served without this list shrinking, fails; and the
 * permission operations (tags "Nadawanie uprawnień", "Odbieranie
 * uprawnień", "Operacje", "Wyszukiwanie nadanych uprawnień") each take an
 * access token, require exactly the permissions its
 * x-required-permissions lists (any one of them) and count in the
 * rate-limit group "other"; the test data's permission operations take
 * no token.
 */
#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "router.h"

static const char *const tags[] = {
	"Nadawanie uprawnień", "Odbieranie uprawnień", "Operacje",
	"Wyszukiwanie nadanych uprawnień",
};

static int tagged(json_t *op)
{
	json_t *t;
	size_t i, j;

	json_array_foreach(json_object_get(op, "tags"), i, t)
		for (j = 0; j < sizeof(tags) / sizeof(tags[0]); j++)
			if (strcmp(json_string_value(t), tags[j]) == 0)
				return 1;
	return 0;
}

/* The route of (method, path), each {parameter} a 36-character value. */
static const struct route *route_of(const char *method, const char *path)
{
	static struct request req;
	const struct route *r = NULL;
	const char *p;
	size_t o;

	memset(&req, 0, sizeof(req));
	snprintf(req.method, sizeof(req.method), "%s", method);
	o = (size_t)snprintf(req.path, sizeof(req.path), "/v2");
	for (p = path; *p != '\0' && o + 40 < sizeof(req.path); p++) {
		if (*p != '{') {
			req.path[o++] = *p;
			continue;
		}
		memset(req.path + o, 'A', 36);
		o += 36;
		p = strchr(p, '}');
	}
	req.path[o] = '\0';
	if (router_find(&req, &r) != 0)
		r = NULL;
	return r;
}

/* Whether "A|B" holds exactly the names of the JSON array. */
static int same_names(const char *any, json_t *names)
{
	char buf[256], one[64];
	json_t *n;
	size_t i, count = 0;
	const char *p;

	snprintf(buf, sizeof(buf), "|%s|", any);
	json_array_foreach(names, i, n) {
		snprintf(one, sizeof(one), "|%s|", json_string_value(n));
		if (strstr(buf, one) == NULL)
			return 0;
	}
	for (p = any; *p; p++)
		count += *p == '|';
	return count + 1 == json_array_size(names);
}

static void every_permission_operation_is_routed_as_the_contract_says(
	void **state)
{
	json_error_t je;
	json_t *api, *ops, *op, *need;
	const char *path, *method;
	const struct route *r;
	char m[8];
	size_t i, n = 0;

	(void)state;
	api = json_load_file(ts_shared_path("ksef-docs/open-api.json"), 0,
			     &je);
	if (api == NULL)
		fail_msg("open-api.json: %s", je.text);
	json_object_foreach(json_object_get(api, "paths"), path, ops) {
		json_object_foreach(ops, method, op) {
			if (!json_is_object(op) || !tagged(op))
				continue;
			for (i = 0; method[i] && i + 1 < sizeof(m); i++)
				m[i] = (char)(method[i] & ~0x20);
			m[i] = '\0';
			r = route_of(m, path);
			if (r == NULL)
				fail_msg("%s %s: not routed", m, path);
			assert_int_equal(r->auth, AUTH_ACCESS);
			assert_int_equal(r->group, RATELIMIT_OTHER);
			need = json_object_get(op, "x-required-permissions");
			if (need == NULL || json_array_size(need) == 0)
				assert_null(r->permissions);
			else if (r->permissions == NULL ||
				 !same_names(r->permissions, need))
				fail_msg("%s %s: requires %s", m, path,
					 r->permissions ? r->permissions :
					 "nothing");
			n++;
		}
	}
	/* 7 grants, 2 revocations, 2 statuses, 8 queries. */
	assert_int_equal(n, 19);
	r = route_of("POST", "/testdata/permissions");
	assert_non_null(r);
	assert_int_equal(r->auth, AUTH_NONE);
	r = route_of("POST", "/testdata/permissions/revoke");
	assert_non_null(r);
	assert_int_equal(r->auth, AUTH_NONE);
	json_decref(api);
}

/* The operations not served yet: none (the list stays for the next
 * operation the contract adds). */
static const char *const not_yet[] = {
	NULL,
};

static int listed(const char *m, const char *path)
{
	char one[256];
	size_t i;

	snprintf(one, sizeof(one), "%s %s", m, path);
	for (i = 0; i < sizeof(not_yet) / sizeof(not_yet[0]); i++)
		if (not_yet[i] != NULL && strcmp(not_yet[i], one) == 0)
			return 1;
	return 0;
}

static void every_operation_is_served_but_those_not_yet(void **state)
{
	json_error_t je;
	json_t *api, *ops, *op;
	const char *path, *method;
	char m[8];
	size_t i, served = 0, missing = 0;

	(void)state;
	api = json_load_file(ts_shared_path("ksef-docs/open-api.json"), 0,
			     &je);
	if (api == NULL)
		fail_msg("open-api.json: %s", je.text);
	json_object_foreach(json_object_get(api, "paths"), path, ops) {
		json_object_foreach(ops, method, op) {
			if (!json_is_object(op) || strcmp(method,
							  "parameters") == 0)
				continue;
			for (i = 0; method[i] && i + 1 < sizeof(m); i++)
				m[i] = (char)(method[i] & ~0x20);
			m[i] = '\0';
			if (route_of(m, path) != NULL) {
				if (listed(m, path))
					fail_msg("%s %s is served: take it off "
						 "the list", m, path);
				served++;
			} else if (!listed(m, path)) {
				fail_msg("%s %s: not routed", m, path);
			} else {
				missing++;
			}
		}
	}
	/* The contract's 78 operations, all served. */
	assert_int_equal(missing, 0);
	assert_int_equal(served + missing, 78);
	json_decref(api);
}

/* The route of a path as sent, not under /v2. */
static unsigned find_raw(const char *method, const char *path,
			 const struct route **r)
{
	static struct request req;

	memset(&req, 0, sizeof(req));
	snprintf(req.method, sizeof(req.method), "%s", method);
	snprintf(req.path, sizeof(req.path), "%s", path);
	return router_find(&req, r);
}

/* The service routes (health, metrics) are ksefd's own, outside /v2 and
 * outside the contract: the contract has no such path, so they can never
 * shadow one of its operations, and under /v2 they are unknown. They take
 * no token and no rate-limit group, and carry ROUTE_SERVICE, which
 * keeps faults and the read gate off them. */
static void service_routes_live_outside_the_contract(void **state)
{
	static const char *const service[] = {
		"/health/live", "/health/ready", "/metrics",
	};
	json_error_t je;
	json_t *api, *ops;
	const char *path;
	const struct route *r;
	char under_v2[64];
	size_t i;

	(void)state;
	api = json_load_file(ts_shared_path("ksef-docs/open-api.json"), 0,
			     &je);
	if (api == NULL)
		fail_msg("open-api.json: %s", je.text);
	json_object_foreach(json_object_get(api, "paths"), path, ops) {
		(void)ops;
		if (strncmp(path, "/health", 7) == 0 ||
		    strncmp(path, "/metrics", 8) == 0)
			fail_msg("%s is in the contract now", path);
	}
	json_decref(api);
	for (i = 0; i < sizeof(service) / sizeof(service[0]); i++) {
		assert_int_equal(find_raw("GET", service[i], &r), 0);
		assert_non_null(r);
		assert_string_equal(r->pattern, service[i]);
		assert_int_equal(r->auth, AUTH_NONE);
		assert_int_equal(r->group, RATELIMIT_GROUP_COUNT);
		assert_true(r->flags & ROUTE_SERVICE);
		assert_false(r->flags & ROUTE_READ);
		assert_int_equal(find_raw("POST", service[i], &r), 405);
		snprintf(under_v2, sizeof(under_v2), "/v2%s", service[i]);
		assert_int_equal(find_raw("GET", under_v2, &r), 404);
		/* and a fault plan cannot name one */
		assert_false(router_known("GET", service[i]));
		assert_false(router_known(NULL, service[i]));
	}
	assert_int_equal(find_raw("GET", "/health/", &r), 404);
	assert_int_equal(find_raw("GET", "/health/live/x", &r), 404);
	assert_int_equal(find_raw("GET", "/metrics/", &r), 404);
}

/* Route ids for metrics.c: one per route of every table, each named,
 * and the one router_find() gives names the route it found. */
static void every_route_has_an_id_and_a_name(void **state)
{
	const char *method, *prefix, *pattern;
	const struct route *r;
	unsigned n = router_route_count(), id;
	static struct request req;

	(void)state;
	/* the contract's 70 served operations and ours beside them */
	assert_true(n >= 70 + 3);
	assert_int_equal(router_route_name(0, &method, &prefix, &pattern),
			 -1);
	assert_int_equal(router_route_name(n + 1, &method, &prefix,
					   &pattern), -1);
	for (id = 1; id <= n; id++)
		assert_int_equal(router_route_name(id, &method, &prefix,
						   &pattern), 0);
	memset(&req, 0, sizeof(req));
	strcpy(req.method, "POST");
	strcpy(req.path, "/v2/sessions/online/20250101-SO-0000000000-"
	       "0000000000-00/invoices");
	assert_int_equal(router_find(&req, &r), 0);
	assert_int_equal(router_route_name(req.route_id, &method, &prefix,
					   &pattern), 0);
	assert_string_equal(method, "POST");
	assert_string_equal(prefix, "/v2");
	assert_string_equal(pattern, "/sessions/online/{ref}/invoices");
	assert_string_equal(req.route_prefix, "/v2");
	assert_ptr_equal(req.route_pattern, r->pattern);
	assert_int_equal(find_raw("GET", "/metrics", &r), 0);
	/* an unknown path has no route */
	strcpy(req.path, "/v2/nothing/here");
	assert_int_equal(router_find(&req, &r), 404);
	assert_int_equal(req.route_id, 0);
	assert_null(req.route_pattern);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		every_permission_operation_is_routed_as_the_contract_says),
		cmocka_unit_test(every_operation_is_served_but_those_not_yet),
		cmocka_unit_test(service_routes_live_outside_the_contract),
		cmocka_unit_test(every_route_has_an_id_and_a_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
