/*
 * processing.c - the seeming processing time of processing.h. The delay
 * is judged from times the store already keeps (an operation's start, an
 * invoice's sending, a session's last change). "At least once" for an
 * authentication needs memory of which operations were shown 100: a
 * fixed table of hashed references, where a collision at worst shows one
 * more 100. It is lost on restart, which also only shows one more 100.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "lru.h"
#include "processing.h"

#define SEEN_SLOTS 8192

struct processing {
	int64_t delay_ms;
	_Atomic uint64_t seen[SEEN_SLOTS];
};

int processing_new(processing **out, int64_t delay_ms)
{
	processing *p = calloc(1, sizeof(*p));

	*out = p;
	if (p == NULL)
		return -1;
	p->delay_ms = delay_ms;
	return 0;
}

void processing_free(processing *p)
{
	free(p);
}

/* 0 is kept for "empty". */
static uint64_t ref_hash(const char *ref)
{
	uint64_t h = lru_hash_bytes(LRU_HASH_START, ref, strlen(ref));

	return h ? h : 1;
}

/* 1 if ref was marked before; marks it. */
static int seen_before(processing *p, const char *ref)
{
	uint64_t h = ref_hash(ref);
	_Atomic uint64_t *slot = &p->seen[h % SEEN_SLOTS];

	return atomic_exchange(slot, h) == h;
}

int processing_auth_pending(processing *p, const store_auth *op,
			    int64_t now_ms, int mark)
{
	if (p == NULL || p->delay_ms <= 0 || op->status == 100)
		return 0;
	if (now_ms - op->start_ms < p->delay_ms) {
		if (mark)
			(void)seen_before(p, op->ref);
		return 1;
	}
	/* Once its tokens are taken the operation is plainly over. */
	return mark && !op->redeemed && !seen_before(p, op->ref);
}

int processing_invoice_pending(const processing *p,
			       const store_invoice *inv, int64_t now_ms)
{
	return p != NULL && p->delay_ms > 0 && inv->status >= 200 &&
	       now_ms - inv->invoicing_ms < p->delay_ms;
}

int processing_session_pending(const processing *p, const store_session *s,
			       int64_t now_ms)
{
	return p != NULL && p->delay_ms > 0 && s->status >= 200 &&
	       s->status != 415 &&
	       now_ms - s->updated_ms < p->delay_ms;
}
