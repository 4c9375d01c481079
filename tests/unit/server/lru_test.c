/*
 * lru_test.c - the shared hash and recency order of the bounded tables
 * (lru.c): FNV-1a's published values, the mix spreading one changed byte
 * into the low bits, and the order after pushes, touches and unlinks,
 * from either end.
 */
#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include "lru.h"

struct item {
	int n;
	struct lru_link link;
};

/* The published FNV-1a 64 test vectors: "" and "a", "foobar". */
static void the_hash_is_fnv1a(void **state)
{
	(void)state;
	assert_true(lru_hash_bytes(LRU_HASH_START, "", 0) ==
		    UINT64_C(0xcbf29ce484222325));
	assert_true(lru_hash_bytes(LRU_HASH_START, "a", 1) ==
		    UINT64_C(0xaf63dc4c8601ec8c));
	assert_true(lru_hash_bytes(LRU_HASH_START, "foobar", 6) ==
		    UINT64_C(0x85944171f73967e8));
	/* Hashing in pieces is hashing the whole. */
	assert_true(lru_hash_bytes(lru_hash_bytes(LRU_HASH_START, "foo", 3),
				   "bar", 3) ==
		    lru_hash_bytes(LRU_HASH_START, "foobar", 6));
}

/* Keys that differ in their last byte land in different low bits once
 * mixed, where plain FNV-1a would often share them. */
static void the_mix_spreads_into_the_low_bits(void **state)
{
	char key[16];
	unsigned seen = 0;
	int i;

	(void)state;
	for (i = 0; i < 16; i++) {
		uint64_t h;

		snprintf(key, sizeof(key), "5265877635-%c", 'a' + i);
		h = lru_hash_mix(lru_hash_bytes(LRU_HASH_START, key,
						strlen(key)));
		seen |= 1u << (h & 15);
	}
	/* 16 keys in 16 buckets: a good spread fills most of them. */
	assert_true(__builtin_popcount(seen) >= 8);
	assert_true(lru_hash_mix(0) == 0);
	assert_true(lru_hash_mix(1) != 1);
}

static int order_is(const struct lru *l, const int *want, size_t n)
{
	const struct lru_link *e;
	size_t i = 0;

	for (e = l->newest; e != NULL; e = e->older, i++)
		if (i >= n || LRU_ENTRY(e, const struct item, link)->n != want[i])
			return 0;
	if (i != n)
		return 0;
	/* The same backwards. */
	for (e = l->oldest; e != NULL; e = e->newer)
		if (LRU_ENTRY(e, const struct item, link)->n != want[--i])
			return 0;
	return i == 0;
}

static void the_order_follows_use(void **state)
{
	struct lru l = { NULL, NULL };
	struct item it[4];
	int i;

	(void)state;
	assert_null(LRU_ENTRY(l.oldest, struct item, link));
	for (i = 0; i < 4; i++) {
		it[i].n = i;
		lru_push(&l, &it[i].link);
	}
	assert_true(order_is(&l, (int[]){ 3, 2, 1, 0 }, 4));
	lru_touch(&l, &it[0].link);      /* the oldest becomes the newest */
	assert_true(order_is(&l, (int[]){ 0, 3, 2, 1 }, 4));
	lru_touch(&l, &it[0].link);      /* already the newest */
	assert_true(order_is(&l, (int[]){ 0, 3, 2, 1 }, 4));
	lru_touch(&l, &it[2].link);      /* one from the middle */
	assert_true(order_is(&l, (int[]){ 2, 0, 3, 1 }, 4));
	lru_unlink(&l, &it[1].link);     /* the oldest */
	assert_true(order_is(&l, (int[]){ 2, 0, 3 }, 3));
	lru_unlink(&l, &it[2].link);     /* the newest */
	assert_true(order_is(&l, (int[]){ 0, 3 }, 2));
	lru_unlink(&l, &it[0].link);
	lru_unlink(&l, &it[3].link);
	assert_null(l.newest);
	assert_null(l.oldest);
	lru_push(&l, &it[1].link);
	assert_true(order_is(&l, (int[]){ 1 }, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_hash_is_fnv1a),
		cmocka_unit_test(the_mix_spreads_into_the_low_bits),
		cmocka_unit_test(the_order_follows_use),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
