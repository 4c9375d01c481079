/*
 * lanes_test.c - the fair queue (lanes.c): one key's backlog does not hold
 * back another key's items, each key's items keep their order, lanes come
 * and go with their items, and a key longer than the limit is one key.
 */
#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include "lanes.h"

struct item {
	struct lane_item link;
	char key[8];
	int n;
};

static struct item *pop(struct lanes *q)
{
	return (struct item *)lanes_pop(q);
}

static void a_backlog_does_not_hold_back_another_key(void **state)
{
	struct lanes q = LANES_INIT;
	struct item a[100], b;
	struct item *it;
	int i, before_b = 0;

	(void)state;
	for (i = 0; i < 100; i++) {
		a[i].n = i;
		strcpy(a[i].key, "A");
		assert_int_equal(lanes_push(&q, "Nip:1111111111", &a[i].link),
				 0);
	}
	/* The first of A's is taken, then B arrives behind 99 of A's. */
	it = pop(&q);
	assert_ptr_equal(it, &a[0]);
	strcpy(b.key, "B");
	b.n = 0;
	assert_int_equal(lanes_push(&q, "Nip:2222222222", &b.link), 0);
	assert_int_equal(q.count, 100);
	while ((it = pop(&q)) != &b) {
		assert_non_null(it);
		before_b++;
	}
	/* At most one of A's goes before it: the lane already in turn. */
	assert_true(before_b <= 1);
	/* A's come out in their order. */
	for (i = before_b + 1; i < 100; i++)
		assert_ptr_equal(pop(&q), &a[i]);
	assert_null(pop(&q));
	assert_int_equal(q.count, 0);
	assert_null(q.first);
}

static void three_keys_take_turns(void **state)
{
	struct lanes q = LANES_INIT;
	struct item it[9];
	const char *keys[] = { "A", "B", "C" };
	const char *order = "ABCABCABC";
	int i;

	(void)state;
	/* All of A's, then B's, then C's: served in rounds. */
	for (i = 0; i < 9; i++) {
		snprintf(it[i].key, sizeof(it[i].key), "%s", keys[i / 3]);
		it[i].n = i % 3;
		assert_int_equal(lanes_push(&q, it[i].key, &it[i].link), 0);
	}
	for (i = 0; i < 9; i++) {
		struct item *p = pop(&q);

		assert_non_null(p);
		assert_int_equal(p->key[0], order[i]);
		assert_int_equal(p->n, i / 3);
	}
	assert_null(pop(&q));
}

static void an_over_long_key_is_cut_and_still_one_lane(void **state)
{
	struct lanes q = LANES_INIT;
	char longkey[300];
	struct item x, y, z;

	(void)state;
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_int_equal(lanes_push(&q, longkey, &x.link), 0);
	assert_int_equal(lanes_push(&q, longkey, &y.link), 0);
	assert_int_equal(lanes_push(&q, "other", &z.link), 0);
	assert_ptr_equal(pop(&q), &x);
	assert_ptr_equal(pop(&q), &z);
	assert_ptr_equal(pop(&q), &y);
	assert_null(pop(&q));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_backlog_does_not_hold_back_another_key),
		cmocka_unit_test(three_keys_take_turns),
		cmocka_unit_test(an_over_long_key_is_cut_and_still_one_lane),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
