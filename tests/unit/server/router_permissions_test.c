/*
 * router_permissions_test.c - the permission operations in the route
 * table (router.c) held against open-api.json: every operation of the
 * tags "Nadawanie uprawnień", "Odbieranie uprawnień", "Operacje" and
 * "Wyszukiwanie nadanych uprawnień" is routed, takes an access token,
 * requires exactly the permissions its x-required-permissions lists (any
 * one of them) and counts in the rate-limit group "other"; the test
 * data's permission operations take no token.
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
		fail_msg("%s %s: not routed", method, path);
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
	assert_int_equal(r->auth, AUTH_NONE);
	r = route_of("POST", "/testdata/permissions/revoke");
	assert_int_equal(r->auth, AUTH_NONE);
	json_decref(api);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		every_permission_operation_is_routed_as_the_contract_says),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
