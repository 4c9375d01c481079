/*
 * lru.c - the key hash and the recency order of lru.h.
 */
#include "lru.h"

uint64_t lru_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(0x100000001b3);
	return h;
}

uint64_t lru_hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

void lru_push(struct lru *l, struct lru_link *e)
{
	e->newer = NULL;
	e->older = l->newest;
	if (l->newest != NULL)
		l->newest->newer = e;
	l->newest = e;
	if (l->oldest == NULL)
		l->oldest = e;
}

void lru_unlink(struct lru *l, struct lru_link *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		l->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		l->oldest = e->newer;
	e->newer = e->older = NULL;
}

void lru_touch(struct lru *l, struct lru_link *e)
{
	if (l->newest == e)
		return;
	lru_unlink(l, e);
	lru_push(l, e);
}
