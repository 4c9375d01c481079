/*
 * lru.h - what ksefd's bounded in-memory tables share (ratelimit.c's keys,
 * ctx_limits.c's cached limits, processing.c's marks): the hash of a key
 * and an order of entries from the most to the least recently used, which
 * says what to drop when a table is full. The tables keep their own
 * buckets and locks; an entry embeds a struct lru_link and is found again
 * from it with LRU_ENTRY.
 */
#ifndef KSEFD_LRU_H
#define KSEFD_LRU_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a's start: lru_hash_bytes(LRU_HASH_START ^ seed, ...). */
#define LRU_HASH_START UINT64_C(0xcbf29ce484222325)

/* FNV-1a of p[0..n), continued from h. Spread, not secrecy: a table that
 * a client's keys fill starts from a random seed, so that nobody can
 * choose keys that share a bucket. */
uint64_t lru_hash_bytes(uint64_t h, const void *p, size_t n);

/* MurmurHash3's final mix of h, so that the low bits (a bucket) depend on
 * every byte hashed. */
uint64_t lru_hash_mix(uint64_t h);

struct lru_link {
	struct lru_link *newer;   /* towards the most recently used */
	struct lru_link *older;   /* towards the least */
};

/* An order of links; all NULL is empty. */
struct lru {
	struct lru_link *newest;
	struct lru_link *oldest;
};

/* Put a link that is in no order at the newest end. */
void lru_push(struct lru *l, struct lru_link *e);

/* Take a link out of the order. */
void lru_unlink(struct lru *l, struct lru_link *e);

/* Make e the newest (it is in the order). */
void lru_touch(struct lru *l, struct lru_link *e);

/* The entry of type `type` whose member `member` is the link e, or NULL
 * when e is NULL. */
#define LRU_ENTRY(e, type, member) \
	((e) == NULL ? NULL : \
	 (type *)(void *)((char *)(e) - offsetof(type, member)))

#endif
