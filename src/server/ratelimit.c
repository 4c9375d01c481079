/*
 * ratelimit.c - the sliding-window request counters of SPEC 2.5. It owns
 * the limits of each group, the per-key history and its memory bound;
 * choosing the group and key of a request, and the 429 answer itself,
 * belong to the router.
 *
 * DESIGN
 *
 * A window of W ms with a limit of L requests is full at time now when the
 * L-th most recent counted request of the key is later than now - W. So
 * a key needs only its last max(L) request times, kept in a ring that
 * grows on demand up to the largest limit of its group, and a check is
 * three look-ups into it: constant time whatever the traffic. When a
 * window is full, the wait is until that L-th most recent request leaves
 * it; refused requests are not counted, so the wait is exact.
 *
 * Keys live in one hash table (seeded, so that clients cannot aim at one
 * chain) and on one list, most recently used first. A new key past the
 * bound pushes out the least recently used one; keys idle for an hour
 * carry nothing the windows could see, and a few are dropped from the
 * tail at each check, so an idle server gives back its memory.
 *
 * One mutex guards it all. Every check holds it for a constant time, and
 * the allocation of a new key's ring is its only trip to malloc, so a
 * finer scheme would buy little.
 *
 * A key remembers the limits its history was counted under. Changing a
 * group's limits bumps the group's generation; a key checked under another
 * generation, or under other limits (a context's own, passed in), drops
 * its history, block and strikes first: they were made under rules no
 * longer in force.
 *
 * Penalties (limity-api.md, "Okres trwania blokady jest dynamiczny"): the
 * request that finds a window full is a strike and sets a block: the wait
 * until that window frees up, doubled for each earlier strike still
 * remembered (an hour past the end of the key's last block), at most an
 * hour. Requests during the block are refused with the time left and are
 * not strikes: a client that obeys Retry-After is penalised for coming
 * back too fast, never for having been told to wait.
 * A key's block and strikes live in its entry, so they cost no memory of
 * their own and go with it when it is evicted.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include "ksef/error.h"
#include "lru.h"

/* Keys dropped for idleness per check, at most: a bound on the time one
 * check holds the lock. */
#define SWEEP_PER_CHECK 64

/* The first ring of a key; rings double from here. */
#define RING_START 8

#define HOUR_MS INT64_C(3600000)

static const int64_t window_ms[RATELIMIT_WINDOW_COUNT] = {
	1000, 60000, 3600000
};

/* SPEC 2.5 and 11.3: the production numbers, which TEST now shares
 * (SPEC 13 #9). */
static const struct {
	const char *name;
	ratelimit_limits limits;
} groups[RATELIMIT_GROUP_COUNT] = {
	[RATELIMIT_UNAUTHENTICATED] = { "unauthenticated", { 60, 0, 0 } },
	[RATELIMIT_ONLINE_SESSION] = { "onlineSession", { 10, 30, 120 } },
	[RATELIMIT_BATCH_SESSION] = { "batchSession", { 10, 20, 60 } },
	[RATELIMIT_INVOICE_SEND] = { "invoiceSend", { 10, 30, 180 } },
	[RATELIMIT_INVOICE_STATUS] = { "invoiceStatus", { 30, 120, 1200 } },
	[RATELIMIT_SESSION_LIST] = { "sessionList", { 5, 10, 60 } },
	[RATELIMIT_SESSION_INVOICE_LIST] = { "sessionInvoiceList",
					     { 10, 20, 200 } },
	[RATELIMIT_SESSION_MISC] = { "sessionMisc", { 10, 120, 1200 } },
	[RATELIMIT_INVOICE_METADATA] = { "invoiceMetadata", { 8, 16, 20 } },
	[RATELIMIT_INVOICE_EXPORT] = { "invoiceExport", { 8, 16, 20 } },
	[RATELIMIT_INVOICE_EXPORT_STATUS] = { "invoiceExportStatus",
					      { 10, 60, 600 } },
	[RATELIMIT_INVOICE_DOWNLOAD] = { "invoiceDownload", { 8, 16, 64 } },
	[RATELIMIT_OTHER] = { "other", { 10, 30, 120 } },
};

struct entry {
	struct entry *chain;      /* next in the hash bucket */
	struct lru_link lru;      /* the keys' recency order */
	uint64_t hash;
	int64_t last_ms;          /* latest request, counted or not */
	int64_t *ring;            /* counted request times, oldest first */
	uint32_t cap;             /* slots in ring */
	uint32_t count;           /* slots used */
	uint32_t start;           /* slot of the oldest */
	unsigned gen;             /* the group generation ring belongs to */
	ratelimit_limits lim;     /* the limits ring was counted under */
	int64_t blocked_until_ms; /* refused until then; 0: no block */
	int strikes;              /* violations, see check() */
	int block_limit;          /* what set the block, for the 429 */
	ratelimit_window block_window;
	ratelimit_group group;
	size_t key_len;
	char key[];
};

struct ratelimit {
	pthread_mutex_t lock;
	int enabled;
	size_t max_keys;
	size_t nkeys;
	struct entry **buckets;   /* NULL until the first enabled check */
	size_t nbuckets;          /* a power of two */
	struct lru lru;           /* the keys, most recently used first */
	uint64_t seed;
	ratelimit_limits limits[RATELIMIT_GROUP_COUNT];
	unsigned gen[RATELIMIT_GROUP_COUNT];
	unsigned nodes;           /* the limits' share: ratelimit_set_nodes */
};

static int limit_of(const ratelimit_limits *l, ratelimit_window w)
{
	switch (w) {
	case RATELIMIT_SECOND:
		return l->per_second;
	case RATELIMIT_MINUTE:
		return l->per_minute;
	default:
		return l->per_hour;
	}
}

static uint32_t ring_max(const ratelimit_limits *l)
{
	int m = l->per_second;

	if (l->per_minute > m)
		m = l->per_minute;
	if (l->per_hour > m)
		m = l->per_hour;
	return (uint32_t)m;
}

const char *ratelimit_group_name(ratelimit_group g)
{
	if ((unsigned)g >= RATELIMIT_GROUP_COUNT)
		return NULL;
	return groups[g].name;
}

void ratelimit_default_limits(ratelimit_group g, ratelimit_limits *out)
{
	if (out == NULL)
		return;
	if ((unsigned)g >= RATELIMIT_GROUP_COUNT) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = groups[g].limits;
}

int ratelimit_new(ratelimit **out, int enabled)
{
	ratelimit *rl;
	size_t g;

	if (out == NULL)
		return KSEF_EINVAL;
	*out = NULL;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return KSEF_ENOMEM;
	if (pthread_mutex_init(&rl->lock, NULL) != 0) {
		free(rl);
		return KSEF_ENOMEM;
	}
	rl->enabled = enabled != 0;
	rl->max_keys = RATELIMIT_DEFAULT_MAX_KEYS;
	for (g = 0; g < RATELIMIT_GROUP_COUNT; g++)
		rl->limits[g] = groups[g].limits;
	rl->nodes = 1;
	/* A predictable seed would only weaken the spread of the chains;
	 * without randomness the table still works. */
	if (RAND_bytes((unsigned char *)&rl->seed, sizeof(rl->seed)) != 1)
		rl->seed = UINT64_C(0x9e3779b97f4a7c15);
	*out = rl;
	return 0;
}

static void entry_free(struct entry *e)
{
	free(e->ring);
	free(e);
}

void ratelimit_free(ratelimit *rl)
{
	struct entry *e, *next;

	if (rl == NULL)
		return;
	for (e = LRU_ENTRY(rl->lru.newest, struct entry, lru); e != NULL;
	     e = next) {
		next = LRU_ENTRY(e->lru.older, struct entry, lru);
		entry_free(e);
	}
	free(rl->buckets);
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

void ratelimit_set_enabled(ratelimit *rl, int enabled)
{
	if (rl == NULL)
		return;
	pthread_mutex_lock(&rl->lock);
	rl->enabled = enabled != 0;
	pthread_mutex_unlock(&rl->lock);
}

void ratelimit_set_nodes(ratelimit *rl, unsigned nodes)
{
	if (rl == NULL)
		return;
	pthread_mutex_lock(&rl->lock);
	rl->nodes = nodes > 0 ? nodes : 1;
	pthread_mutex_unlock(&rl->lock);
}

unsigned ratelimit_nodes(ratelimit *rl)
{
	unsigned n;

	if (rl == NULL)
		return 1;
	pthread_mutex_lock(&rl->lock);
	n = rl->nodes;
	pthread_mutex_unlock(&rl->lock);
	return n;
}

void ratelimit_set_max_keys(ratelimit *rl, size_t max_keys)
{
	if (rl == NULL)
		return;
	pthread_mutex_lock(&rl->lock);
	rl->max_keys = max_keys > 0 ? max_keys : RATELIMIT_DEFAULT_MAX_KEYS;
	pthread_mutex_unlock(&rl->lock);
}

size_t ratelimit_key_count(ratelimit *rl)
{
	size_t n;

	if (rl == NULL)
		return 0;
	pthread_mutex_lock(&rl->lock);
	n = rl->nkeys;
	pthread_mutex_unlock(&rl->lock);
	return n;
}

static int limits_valid(const ratelimit_limits *l)
{
	return l->per_second >= 0 && l->per_second <= RATELIMIT_LIMIT_MAX &&
	       l->per_minute >= 0 && l->per_minute <= RATELIMIT_LIMIT_MAX &&
	       l->per_hour >= 0 && l->per_hour <= RATELIMIT_LIMIT_MAX;
}

/* Call with the lock held. */
static void put_limits(ratelimit *rl, ratelimit_group g,
		       const ratelimit_limits *l)
{
	if (memcmp(&rl->limits[g], l, sizeof(*l)) == 0)
		return;
	rl->limits[g] = *l;
	rl->gen[g]++;
}

int ratelimit_set_limits(ratelimit *rl, ratelimit_group g,
			 const ratelimit_limits *limits)
{
	if (rl == NULL || limits == NULL ||
	    (unsigned)g >= RATELIMIT_GROUP_COUNT || !limits_valid(limits))
		return KSEF_EINVAL;
	pthread_mutex_lock(&rl->lock);
	put_limits(rl, g, limits);
	pthread_mutex_unlock(&rl->lock);
	return 0;
}

void ratelimit_get_limits(ratelimit *rl, ratelimit_group g,
			  ratelimit_limits *out)
{
	if (out == NULL)
		return;
	if (rl == NULL || (unsigned)g >= RATELIMIT_GROUP_COUNT) {
		memset(out, 0, sizeof(*out));
		return;
	}
	pthread_mutex_lock(&rl->lock);
	*out = rl->limits[g];
	pthread_mutex_unlock(&rl->lock);
}

void ratelimit_reset_limits(ratelimit *rl)
{
	size_t g;

	if (rl == NULL)
		return;
	pthread_mutex_lock(&rl->lock);
	for (g = 0; g < RATELIMIT_GROUP_COUNT; g++)
		put_limits(rl, (ratelimit_group)g, &groups[g].limits);
	pthread_mutex_unlock(&rl->lock);
}

/* The hash of the group and key, from the seed. */
static uint64_t hash_key(uint64_t seed, ratelimit_group g, const char *key,
			 size_t len)
{
	unsigned char group = (unsigned char)g;
	uint64_t h = lru_hash_bytes(LRU_HASH_START ^ seed, &group, 1);

	return lru_hash_mix(lru_hash_bytes(h, key, len));
}

static void forget(ratelimit *rl, struct entry *e)
{
	struct entry **pp = &rl->buckets[e->hash & (rl->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	lru_unlink(&rl->lru, &e->lru);
	rl->nkeys--;
	entry_free(e);
}

/* Whether a key's strikes still count: until RATELIMIT_STRIKE_MEMORY_MS
 * after the end of its last block. */
static int remembers(const struct entry *e, int64_t now_ms)
{
	return e->strikes > 0 &&
	       now_ms - e->blocked_until_ms < RATELIMIT_STRIKE_MEMORY_MS;
}

/* Drop keys whose last request is an hour old: none of their times can
 * fall in any window again, so nothing is lost. A key whose strikes still
 * count is kept (and stepped over) until they do not. */
static void sweep(ratelimit *rl, int64_t now_ms)
{
	struct entry *e = LRU_ENTRY(rl->lru.oldest, struct entry, lru), *newer;
	int n;

	for (n = 0; n < SWEEP_PER_CHECK && e != NULL; n++, e = newer) {
		newer = LRU_ENTRY(e->lru.newer, struct entry, lru);
		if (now_ms - e->last_ms < HOUR_MS)
			break;
		if (!remembers(e, now_ms))
			forget(rl, e);
	}
}

static int make_table(ratelimit *rl)
{
	size_t n = 16;

	while (n < rl->max_keys && n < ((size_t)1 << 30))
		n <<= 1;
	if ((rl->buckets = calloc(n, sizeof(*rl->buckets))) == NULL)
		return KSEF_ENOMEM;
	rl->nbuckets = n;
	return 0;
}

static struct entry *find(ratelimit *rl, uint64_t h, ratelimit_group g,
			  const char *key, size_t len)
{
	struct entry *e;

	for (e = rl->buckets[h & (rl->nbuckets - 1)]; e != NULL; e = e->chain)
		if (e->hash == h && e->group == g && e->key_len == len &&
		    memcmp(e->key, key, len) == 0)
			return e;
	return NULL;
}

static struct entry *add(ratelimit *rl, uint64_t h, ratelimit_group g,
			 const char *key, size_t len, unsigned gen,
			 const ratelimit_limits *lim, int64_t now_ms)
{
	struct entry *e, **bucket;

	while (rl->nkeys >= rl->max_keys && rl->lru.oldest != NULL)
		forget(rl, LRU_ENTRY(rl->lru.oldest, struct entry, lru));
	if ((e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return NULL;
	e->hash = h;
	e->group = g;
	e->gen = gen;
	e->lim = *lim;
	e->last_ms = now_ms;
	e->key_len = len;
	memcpy(e->key, key, len);
	bucket = &rl->buckets[h & (rl->nbuckets - 1)];
	e->chain = *bucket;
	*bucket = e;
	lru_push(&rl->lru, &e->lru);
	rl->nkeys++;
	return e;
}

/* The k-th most recent counted time, 1 <= k <= count. */
static int64_t recent(const struct entry *e, uint32_t k)
{
	return e->ring[(e->start + e->count - k) % e->cap];
}

static int ring_push(struct entry *e, int64_t t, uint32_t max)
{
	if (e->count == e->cap && e->cap < max) {
		uint32_t cap = e->cap == 0 ? RING_START : e->cap * 2, i;
		int64_t *ring;

		if (cap > max)
			cap = max;
		if ((ring = malloc(cap * sizeof(*ring))) == NULL)
			return KSEF_ENOMEM;
		for (i = 0; i < e->count; i++)
			ring[i] = e->ring[(e->start + i) % e->cap];
		free(e->ring);
		e->ring = ring;
		e->cap = cap;
		e->start = 0;
	}
	if (e->count < e->cap) {
		e->ring[(e->start + e->count) % e->cap] = t;
		e->count++;
	} else {
		/* Full at the group's largest limit: the oldest time can no
		 * longer decide any window. */
		e->ring[e->start] = t;
		e->start = (e->start + 1) % e->cap;
	}
	return 0;
}

/* Forget what a key counted under other rules: its history, its block and
 * its strikes. */
static void restart(struct entry *e, unsigned gen, const ratelimit_limits *lim)
{
	free(e->ring);
	e->ring = NULL;
	e->cap = e->count = e->start = 0;
	e->gen = gen;
	e->lim = *lim;
	e->blocked_until_ms = 0;
	e->strikes = 0;
}

/* The block of a key's strike-th violation: the natural wait doubled for
 * each earlier strike, at most RATELIMIT_BLOCK_MAX_MS, never shorter than
 * the wait itself (which an hour's window bounds already). */
static int64_t penalty(int64_t wait, int strikes)
{
	int64_t block = wait;
	int i;

	for (i = 1; i < strikes && block < RATELIMIT_BLOCK_MAX_MS; i++)
		block *= 2;
	if (block > RATELIMIT_BLOCK_MAX_MS)
		block = RATELIMIT_BLOCK_MAX_MS;
	return block > wait ? block : wait;
}

static void report(ratelimit_block *block, const struct entry *e,
		   int64_t now_ms)
{
	if (block == NULL)
		return;
	block->retry_after_s = (int)((e->blocked_until_ms - now_ms + 999) /
				     1000);
	if (block->retry_after_s < 1)
		block->retry_after_s = 1;
	block->window = e->block_window;
	block->limit = e->block_limit;
	block->strikes = e->strikes;
}

/* ratelimit_check_ex() and ratelimit_check_with(): own is the caller's
 * limits, or NULL for the group's. */
static int check(ratelimit *rl, ratelimit_group g, const char *key,
		 const ratelimit_limits *own, int64_t now_ms,
		 ratelimit_block *block)
{
	ratelimit_limits lim;
	ratelimit_window full = RATELIMIT_SECOND;
	struct entry *e;
	size_t len;
	uint64_t h;
	unsigned gen;
	int64_t wait = 0;
	int w, full_limit = 0, error = 0;

	if (block != NULL)
		memset(block, 0, sizeof(*block));
	if (rl == NULL || key == NULL || (unsigned)g >= RATELIMIT_GROUP_COUNT ||
	    (own != NULL && !limits_valid(own)))
		return KSEF_EINVAL;
	if ((len = strnlen(key, RATELIMIT_KEY_MAX + 1)) > RATELIMIT_KEY_MAX)
		return KSEF_EINVAL;

	pthread_mutex_lock(&rl->lock);
	lim = own != NULL ? *own : rl->limits[g];
	if ((own == NULL && !rl->enabled) || ring_max(&lim) == 0)
		goto done;
	if (rl->buckets == NULL && (error = make_table(rl)) < 0)
		goto done;
	sweep(rl, now_ms);

	h = hash_key(rl->seed, g, key, len);
	if ((e = find(rl, h, g, key, len)) != NULL) {
		lru_touch(&rl->lru, &e->lru);
	} else if ((e = add(rl, h, g, key, len, rl->gen[g], &lim,
			    now_ms)) == NULL) {
		error = KSEF_ENOMEM;
		goto done;
	}
	/* A context's own limits do not follow the group's generation. */
	gen = own != NULL ? e->gen : rl->gen[g];
	if (e->gen != gen || memcmp(&e->lim, &lim, sizeof(lim)) != 0)
		restart(e, gen, &lim);
	if (now_ms < e->last_ms)
		now_ms = e->last_ms;
	e->last_ms = now_ms;

	if (now_ms < e->blocked_until_ms) {
		report(block, e, now_ms);
		error = 1;
		goto done;
	}
	/* Of the full windows, the one that frees up last decides: once it
	 * has, all have. With other nodes this one counts to its share of
	 * each limit (rounded up, so never to 0); the answer names the
	 * whole. */
	for (w = 0; w < RATELIMIT_WINDOW_COUNT; w++) {
		int limit = limit_of(&lim, (ratelimit_window)w);
		uint32_t share;
		int64_t t, left;

		if (limit == 0)
			continue;
		share = ((uint32_t)limit + rl->nodes - 1) / rl->nodes;
		if (e->count < share)
			continue;
		t = recent(e, share);
		if (t <= now_ms - window_ms[w])
			continue;
		left = t + window_ms[w] - now_ms;
		if (left > wait) {
			wait = left;
			full = (ratelimit_window)w;
			full_limit = limit;
		}
	}
	if (wait > 0) {
		if (!remembers(e, now_ms))
			e->strikes = 0;
		if (e->strikes < RATELIMIT_STRIKES_MAX)
			e->strikes++;
		e->blocked_until_ms = now_ms + penalty(wait, e->strikes);
		e->block_window = full;
		e->block_limit = full_limit;
		report(block, e, now_ms);
		error = 1;
		goto done;
	}
	error = ring_push(e, now_ms, ring_max(&lim));
done:
	pthread_mutex_unlock(&rl->lock);
	return error;
}

int ratelimit_check_ex(ratelimit *rl, ratelimit_group g, const char *key,
		       int64_t now_ms, ratelimit_block *block)
{
	return check(rl, g, key, NULL, now_ms, block);
}

int ratelimit_check_with(ratelimit *rl, ratelimit_group g, const char *key,
			 const ratelimit_limits *limits, int64_t now_ms,
			 ratelimit_block *block)
{
	if (limits == NULL) {
		if (block != NULL)
			memset(block, 0, sizeof(*block));
		return KSEF_EINVAL;
	}
	return check(rl, g, key, limits, now_ms, block);
}

int ratelimit_check(ratelimit *rl, ratelimit_group g, const char *key,
		    int64_t now_ms, int *retry_after_s)
{
	ratelimit_block block;
	int rc = ratelimit_check_ex(rl, g, key, now_ms, &block);

	if (retry_after_s != NULL)
		*retry_after_s = rc == 1 ? block.retry_after_s : 0;
	return rc;
}

int ratelimit_message(char *out, size_t size, const ratelimit_block *block)
{
	static const char *const per[RATELIMIT_WINDOW_COUNT] = {
		"sekundę", "minutę", "godzinę"
	};

	if (block == NULL || (unsigned)block->window >= RATELIMIT_WINDOW_COUNT)
		return -1;
	/* Genitive after "limit": 1 żądania, N żądań; locative after "po":
	 * 1 sekundzie, N sekundach. */
	return snprintf(out, size, "Przekroczono limit %d %s na %s. "
			"Spróbuj ponownie po %d %s.", block->limit,
			block->limit == 1 ? "żądania" : "żądań",
			per[block->window], block->retry_after_s,
			block->retry_after_s == 1 ? "sekundzie" : "sekundach");
}
