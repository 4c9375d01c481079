/*
 * ctx_limits.c - each context's limits in force (ctx_limits.h): what the
 * test data set, read from the store (store_limits.c) and cached, or the
 * defaults. It owns the cache, the defaults, and the text a context's
 * rate limits are stored in. Validating requests and wording answers
 * belong to api_limits.c; counting requests to ratelimit.c.
 *
 * DESIGN
 *
 * Every authenticated request asks for its context's rate limits, so the
 * answer must not cost a store read: contexts live in a hash table
 * (seeded, so clients cannot aim at one chain) and on a list, most
 * recently used first, at most max_contexts of them. A context that set
 * nothing is cached too ("defaults"), or each of its requests would read
 * the store.
 *
 * A change goes to the store first; then, under the lock, the context's
 * entry is dropped and the version bumped. A read that missed takes the
 * version before its store read and caches what it read only if the
 * version has not moved since: otherwise a change committed between its
 * read and its insert could be hidden behind the old values.
 */
#include "ctx_limits.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include "ksef/limits.h"
#include "lru.h"

struct entry {
	struct entry *chain;      /* next in the bucket */
	struct lru_link lru;
	uint64_t hash;
	ctx_limits_view view;
	char type[STORE_CTX_TYPE_SZ];
	char value[STORE_CTX_VALUE_SZ];
};

struct ctx_limits {
	pthread_mutex_t lock;
	store *st;
	store_session_limits defaults;
	size_t max, count;
	struct entry **buckets;   /* a power of two of them */
	size_t nbuckets;
	struct lru lru;
	uint64_t seed;
	uint64_t version;         /* bumped by every change */
};

/* ---- the text of a context's rate limits ---- */

int ctx_limits_rate_format(char *out, size_t size,
			   const ratelimit_limits rate[RATELIMIT_GROUP_COUNT])
{
	size_t used = 0;
	int g, n;

	if (out == NULL || rate == NULL || size == 0)
		return -1;
	out[0] = '\0';
	for (g = RATELIMIT_UNAUTHENTICATED + 1; g < RATELIMIT_GROUP_COUNT;
	     g++) {
		const ratelimit_limits *l = &rate[g];

		if (l->per_second < 0 || l->per_second > RATELIMIT_LIMIT_MAX ||
		    l->per_minute < 0 || l->per_minute > RATELIMIT_LIMIT_MAX ||
		    l->per_hour < 0 || l->per_hour > RATELIMIT_LIMIT_MAX)
			return -1;
		n = snprintf(out + used, size - used, "%s%s=%d/%d/%d",
			     used ? "," : "",
			     ratelimit_group_name((ratelimit_group)g),
			     l->per_second, l->per_minute, l->per_hour);
		if (n < 0 || (size_t)n >= size - used)
			return -1;
		used += (size_t)n;
	}
	return (int)used;
}

/* A number of the text: digits only, at most RATELIMIT_LIMIT_MAX. */
static int read_number(const char **p, int *out)
{
	long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s - '0');
		if (v > RATELIMIT_LIMIT_MAX)
			return -1;
		s++;
	}
	*out = (int)v;
	*p = s;
	return 0;
}

static void production(ratelimit_limits rate[RATELIMIT_GROUP_COUNT])
{
	int g;

	for (g = 0; g < RATELIMIT_GROUP_COUNT; g++)
		ratelimit_default_limits((ratelimit_group)g, &rate[g]);
}

/* The group a name stands for (name[0..len)), or RATELIMIT_GROUP_COUNT. */
static ratelimit_group group_named(const char *name, size_t len)
{
	int g;

	for (g = RATELIMIT_UNAUTHENTICATED + 1; g < RATELIMIT_GROUP_COUNT;
	     g++) {
		const char *n = ratelimit_group_name((ratelimit_group)g);

		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return (ratelimit_group)g;
	}
	return RATELIMIT_GROUP_COUNT;
}

int ctx_limits_rate_parse(ratelimit_limits rate[RATELIMIT_GROUP_COUNT],
			  const char *text)
{
	const char *p = text, *eq;
	ratelimit_limits l;
	ratelimit_group g;

	if (rate == NULL)
		return -1;
	production(rate);
	if (text == NULL)
		return -1;
	while (*p != '\0') {
		if ((eq = strchr(p, '=')) == NULL)
			goto bad;
		g = group_named(p, (size_t)(eq - p));
		p = eq + 1;
		if (read_number(&p, &l.per_second) != 0 || *p++ != '/' ||
		    read_number(&p, &l.per_minute) != 0 || *p++ != '/' ||
		    read_number(&p, &l.per_hour) != 0 ||
		    (*p != ',' && *p != '\0'))
			goto bad;
		if (g != RATELIMIT_GROUP_COUNT)
			rate[g] = l;
		if (*p == ',')
			p++;
	}
	return 0;
bad:
	production(rate);
	return -1;
}

/* ---- the cache ---- */

int ctx_limits_new(ctx_limits **out, store *st,
		   const store_session_limits *defaults, size_t max_contexts)
{
	ctx_limits *cl;
	size_t n = 16;

	if (out == NULL)
		return KSEF_EINVAL;
	*out = NULL;
	if (st == NULL || defaults == NULL)
		return KSEF_EINVAL;
	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return KSEF_ENOMEM;
	cl->st = st;
	cl->defaults = *defaults;
	cl->max = max_contexts ? max_contexts : CTX_LIMITS_CACHE_MAX;
	while (n < cl->max && n < ((size_t)1 << 30))
		n <<= 1;
	if ((cl->buckets = calloc(n, sizeof(*cl->buckets))) == NULL ||
	    pthread_mutex_init(&cl->lock, NULL) != 0) {
		free(cl->buckets);
		free(cl);
		return KSEF_ENOMEM;
	}
	cl->nbuckets = n;
	/* Without randomness the table still works, only less spread. */
	if (RAND_bytes((unsigned char *)&cl->seed, sizeof(cl->seed)) != 1)
		cl->seed = UINT64_C(0x9e3779b97f4a7c15);
	*out = cl;
	return 0;
}

void ctx_limits_free(ctx_limits *cl)
{
	struct entry *e, *next;

	if (cl == NULL)
		return;
	for (e = LRU_ENTRY(cl->lru.newest, struct entry, lru); e != NULL;
	     e = next) {
		next = LRU_ENTRY(e->lru.older, struct entry, lru);
		free(e);
	}
	free(cl->buckets);
	pthread_mutex_destroy(&cl->lock);
	free(cl);
}

size_t ctx_limits_cached(ctx_limits *cl)
{
	size_t n;

	if (cl == NULL)
		return 0;
	pthread_mutex_lock(&cl->lock);
	n = cl->count;
	pthread_mutex_unlock(&cl->lock);
	return n;
}

/* The hash of type, a separator no identifier holds, and value, from
 * the seed. */
static uint64_t hash_key(uint64_t seed, const char *type, const char *value)
{
	uint64_t h = lru_hash_bytes(LRU_HASH_START ^ seed, type, strlen(type));

	h = lru_hash_bytes(h, "", 1);
	h = lru_hash_bytes(h, value, strlen(value));
	return lru_hash_mix(h);
}

static struct entry *find(ctx_limits *cl, uint64_t h, const char *type,
			  const char *value)
{
	struct entry *e;

	for (e = cl->buckets[h & (cl->nbuckets - 1)]; e != NULL; e = e->chain)
		if (e->hash == h && strcmp(e->type, type) == 0 &&
		    strcmp(e->value, value) == 0)
			return e;
	return NULL;
}

static void drop(ctx_limits *cl, struct entry *e)
{
	struct entry **pp = &cl->buckets[e->hash & (cl->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	lru_unlink(&cl->lru, &e->lru);
	cl->count--;
	free(e);
}

/* Cache a view read from the store; call with the lock held. A failed
 * allocation only costs a later read. */
static void insert(ctx_limits *cl, uint64_t h, const char *type,
		   const char *value, const ctx_limits_view *v)
{
	struct entry *e, **bucket;

	if ((e = find(cl, h, type, value)) != NULL) {
		e->view = *v;
		return;
	}
	while (cl->count >= cl->max && cl->lru.oldest != NULL)
		drop(cl, LRU_ENTRY(cl->lru.oldest, struct entry, lru));
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	e->hash = h;
	e->view = *v;
	snprintf(e->type, sizeof(e->type), "%s", type);
	snprintf(e->value, sizeof(e->value), "%s", value);
	bucket = &cl->buckets[h & (cl->nbuckets - 1)];
	e->chain = *bucket;
	*bucket = e;
	lru_push(&cl->lru, &e->lru);
	cl->count++;
}

static void defaults_view(const ctx_limits *cl, ctx_limits_view *v)
{
	memset(v, 0, sizeof(*v));
	v->online = cl->defaults;
	v->batch = cl->defaults;
	v->rate_mode = CTX_RATE_DEFAULT;
}

/* What a stored record means. */
static void view_of(const ctx_limits *cl, const store_context_limits *r,
		    ctx_limits_view *v)
{
	defaults_view(cl, v);
	if (r->has_session) {
		v->online = r->online;
		v->batch = r->batch;
		v->session_set = 1;
	}
	switch (r->rate_mode) {
	case CTX_RATE_CUSTOM:
		v->rate_mode = CTX_RATE_CUSTOM;
		/* A damaged text reads as production limits: still limits
		 * of its own, as the context asked. */
		(void)ctx_limits_rate_parse(v->rate, r->rate);
		break;
	case CTX_RATE_PRODUCTION:
		v->rate_mode = CTX_RATE_PRODUCTION;
		production(v->rate);
		break;
	default:
		break;
	}
	memset(&v->rate[RATELIMIT_UNAUTHENTICATED], 0,
	       sizeof(v->rate[RATELIMIT_UNAUTHENTICATED]));
}

/* Identifiers that fit the store's fields, so they are keys the cache and
 * the store agree on. */
static int key_ok(const char *type, const char *value)
{
	return type != NULL && value != NULL &&
	       strnlen(type, STORE_CTX_TYPE_SZ) < STORE_CTX_TYPE_SZ &&
	       strnlen(value, STORE_CTX_VALUE_SZ) < STORE_CTX_VALUE_SZ;
}

int ctx_limits_get(ctx_limits *cl, const char *ctx_type,
		   const char *ctx_value, ctx_limits_view *out,
		   ksef_error *err)
{
	store_context_limits rec;
	struct entry *e;
	uint64_t h, version;
	int error;

	if (out == NULL)
		return KSEF_EINVAL;
	memset(out, 0, sizeof(*out));
	if (cl == NULL || !key_ok(ctx_type, ctx_value)) {
		if (err != NULL) {
			memset(err, 0, sizeof(*err));
			err->code = KSEF_EINVAL;
			snprintf(err->message, sizeof(err->message),
				 "context limits: no cache or a bad context");
		}
		if (cl != NULL)
			defaults_view(cl, out);
		return KSEF_EINVAL;
	}
	h = hash_key(cl->seed, ctx_type, ctx_value);
	pthread_mutex_lock(&cl->lock);
	if ((e = find(cl, h, ctx_type, ctx_value)) != NULL) {
		lru_touch(&cl->lru, &e->lru);
		*out = e->view;
		pthread_mutex_unlock(&cl->lock);
		return 0;
	}
	version = cl->version;
	pthread_mutex_unlock(&cl->lock);

	error = store_context_limits_get(cl->st, ctx_type, ctx_value, &rec,
					 err);
	if (error == STORE_NOT_FOUND) {
		memset(&rec, 0, sizeof(rec));
		error = 0;
	}
	if (error < 0) {
		defaults_view(cl, out);
		return error;
	}
	view_of(cl, &rec, out);
	pthread_mutex_lock(&cl->lock);
	if (cl->version == version)
		insert(cl, h, ctx_type, ctx_value, out);
	pthread_mutex_unlock(&cl->lock);
	return 0;
}

int ctx_limits_rate(ctx_limits *cl, const char *ctx_type,
		    const char *ctx_value, ratelimit_group g,
		    ratelimit_limits *out)
{
	ctx_limits_view v;

	if (cl == NULL || out == NULL || (unsigned)g >= RATELIMIT_GROUP_COUNT ||
	    g == RATELIMIT_UNAUTHENTICATED ||
	    ctx_limits_get(cl, ctx_type, ctx_value, &v, NULL) != 0 ||
	    v.rate_mode == CTX_RATE_DEFAULT)
		return 0;
	*out = v.rate[g];
	return 1;
}

size_t ctx_limits_invoice_bytes(ctx_limits *cl, const char *ctx_type,
				const char *ctx_value, size_t dflt)
{
	ctx_limits_view v;
	size_t bytes;

	if (cl == NULL ||
	    ctx_limits_get(cl, ctx_type, ctx_value, &v, NULL) != 0)
		return dflt;
	/* SI megabytes (api-changelog.md RC5.3); the schema bounds the MB
	 * to 5, so the product cannot overflow. */
	bytes = (size_t)v.online.max_invoice_mb * 1000000u;
	return bytes < KSEF_INVOICE_MAX_BYTES ? bytes : KSEF_INVOICE_MAX_BYTES;
}

/* After a change is in the store: forget the cached view, and make reads
 * in flight keep what they read to themselves. */
static void invalidate(ctx_limits *cl, const char *type, const char *value)
{
	struct entry *e;
	uint64_t h = hash_key(cl->seed, type, value);

	pthread_mutex_lock(&cl->lock);
	cl->version++;
	if ((e = find(cl, h, type, value)) != NULL)
		drop(cl, e);
	pthread_mutex_unlock(&cl->lock);
}

void ctx_limits_forget_all(ctx_limits *cl)
{
	struct entry *e;

	if (cl == NULL)
		return;
	pthread_mutex_lock(&cl->lock);
	/* Reads in flight keep what they read to themselves (invalidate()). */
	cl->version++;
	while ((e = LRU_ENTRY(cl->lru.newest, struct entry, lru)) != NULL)
		drop(cl, e);
	pthread_mutex_unlock(&cl->lock);
}

static int bad_key(ksef_error *err)
{
	if (err != NULL) {
		memset(err, 0, sizeof(*err));
		err->code = KSEF_EINVAL;
		snprintf(err->message, sizeof(err->message),
			 "context limits: no cache or a bad context");
	}
	return KSEF_EINVAL;
}

/* The end of every change: the store's result, and the cache told. */
static int changed(ctx_limits *cl, const char *type, const char *value,
		   int result)
{
	/* Even a failed write may have committed nothing or everything;
	 * the next read asks the store either way. */
	invalidate(cl, type, value);
	return result;
}

int ctx_limits_set_session(ctx_limits *cl, const char *ctx_type,
			   const char *ctx_value,
			   const store_session_limits *online,
			   const store_session_limits *batch, ksef_error *err)
{
	if (cl == NULL || !key_ok(ctx_type, ctx_value))
		return bad_key(err);
	return changed(cl, ctx_type, ctx_value,
		       store_context_session_limits_set(cl->st, ctx_type,
			       ctx_value, online, batch, err));
}

int ctx_limits_reset_session(ctx_limits *cl, const char *ctx_type,
			     const char *ctx_value, ksef_error *err)
{
	if (cl == NULL || !key_ok(ctx_type, ctx_value))
		return bad_key(err);
	return changed(cl, ctx_type, ctx_value,
		       store_context_session_limits_clear(cl->st, ctx_type,
			       ctx_value, err));
}

int ctx_limits_set_rate(ctx_limits *cl, const char *ctx_type,
			const char *ctx_value,
			const ratelimit_limits rate[RATELIMIT_GROUP_COUNT],
			ksef_error *err)
{
	char text[CTX_LIMITS_RATE_TEXT_MAX];

	if (cl == NULL || !key_ok(ctx_type, ctx_value))
		return bad_key(err);
	if (ctx_limits_rate_format(text, sizeof(text), rate) < 0) {
		if (err != NULL) {
			memset(err, 0, sizeof(*err));
			err->code = KSEF_EINVAL;
			snprintf(err->message, sizeof(err->message),
				 "rate limits out of range");
		}
		return KSEF_EINVAL;
	}
	return changed(cl, ctx_type, ctx_value,
		       store_context_rate_limits_set(cl->st, ctx_type,
			       ctx_value, CTX_RATE_CUSTOM, text, err));
}

int ctx_limits_set_production(ctx_limits *cl, const char *ctx_type,
			      const char *ctx_value, ksef_error *err)
{
	if (cl == NULL || !key_ok(ctx_type, ctx_value))
		return bad_key(err);
	return changed(cl, ctx_type, ctx_value,
		       store_context_rate_limits_set(cl->st, ctx_type,
			       ctx_value, CTX_RATE_PRODUCTION, "", err));
}

int ctx_limits_reset_rate(ctx_limits *cl, const char *ctx_type,
			  const char *ctx_value, ksef_error *err)
{
	if (cl == NULL || !key_ok(ctx_type, ctx_value))
		return bad_key(err);
	return changed(cl, ctx_type, ctx_value,
		       store_context_rate_limits_clear(cl->st, ctx_type,
			       ctx_value, err));
}
