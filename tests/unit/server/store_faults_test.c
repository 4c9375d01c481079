/*
 * store_faults_test.c - the fault plan in the store (store_faults.c):
 * none at first (version 0); each set bumps the version, another
 * connection (another process, as `ksefd faults set` is) sees the new
 * plan; counts belong to one version, keep the highest reported, and go
 * when the plan changes; clearing leaves no plan.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_fixture.h"

struct counts {
	char rules[4][65];
	int64_t fired[4];
	int n;
};

static void collect(void *arg, const char *rule, int64_t fired)
{
	struct counts *c = arg;

	assert_true(c->n < 4);
	snprintf(c->rules[c->n], sizeof(c->rules[0]), "%s", rule);
	c->fired[c->n++] = fired;
}

static void the_plan_its_version_and_counts_round_trip(void **state)
{
	char *dir = ts_mkdtemp(), *plan = NULL;
	store *st = open_store(dir), *other = open_store(dir);
	struct counts c;
	int64_t v = -1;
	ksef_error err;

	(void)state;
	ok(store_faults_get(st, &v, &plan, &err), &err);
	assert_int_equal(v, 0);
	assert_null(plan);
	assert_int_equal(store_faults_version(st), 0);

	ok(store_faults_set(st, "{\"rules\": []}", &err), &err);
	assert_int_equal(store_faults_version(other), 1);
	ok(store_faults_get(other, &v, &plan, &err), &err);
	assert_int_equal(v, 1);
	assert_string_equal(plan, "{\"rules\": []}");
	free(plan);

	ok(store_faults_count(st, 1, "b", 2, &err), &err);
	ok(store_faults_count(st, 1, "a", 1, &err), &err);
	ok(store_faults_count(st, 1, "b", 3, &err), &err);
	/* a late report of an older count never lowers it */
	ok(store_faults_count(st, 1, "b", 1, &err), &err);
	memset(&c, 0, sizeof(c));
	ok(store_faults_counts(other, 1, collect, &c, &err), &err);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.rules[0], "a");
	assert_int_equal(c.fired[0], 1);
	assert_string_equal(c.rules[1], "b");
	assert_int_equal(c.fired[1], 3);

	/* a new plan starts its counts afresh */
	ok(store_faults_set(other, NULL, &err), &err);
	assert_int_equal(store_faults_version(st), 2);
	ok(store_faults_get(st, &v, &plan, &err), &err);
	assert_int_equal(v, 2);
	assert_null(plan);
	memset(&c, 0, sizeof(c));
	ok(store_faults_counts(st, 1, collect, &c, &err), &err);
	assert_int_equal(c.n, 0);

	/* an id longer than a plan allows is refused */
	assert_int_equal(store_faults_count(st, 2, "0123456789012345678901234"
		"567890123456789012345678901234567890123456789", 1, &err),
		STORE_INVALID);
	store_close(other);
	store_close(st);
	ts_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_plan_its_version_and_counts_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
