/*
 * jwt_cache.c - owns the cache of verified bearer tokens (jwt_cache.h): a
 * fixed table of slots indexed by the token's SHA-256, each under the lock
 * of its stripe. A slot holds the whole digest, so two tokens that share
 * a slot only evict each other; the table never grows, whatever the
 * number of tokens sent at it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include "jwt_cache.h"

#define SLOTS 256
#define STRIPES 16

struct slot {
	int used;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	jwt_claims claims;
};

struct jwt_cache {
	pthread_mutex_t locks[STRIPES];
	struct slot slots[SLOTS];
};

int jwt_cache_new(jwt_cache **out)
{
	jwt_cache *c = calloc(1, sizeof(*c));
	int i;

	*out = NULL;
	if (c == NULL)
		return KSEF_ENOMEM;
	for (i = 0; i < STRIPES; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	*out = c;
	return 0;
}

void jwt_cache_free(jwt_cache *c)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&c->locks[i]);
	/* Claims are not secrets, but there is no reason to leave them. */
	OPENSSL_cleanse(c->slots, sizeof(c->slots));
	free(c);
}

int jwt_cache_verify(jwt_cache *c, jwt_claims *out,
		     const unsigned char *secret, size_t secret_len,
		     const char *token, size_t len, int64_t now_ms,
		     ksef_error *err)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	struct slot *s;
	pthread_mutex_t *lock;
	unsigned idx;
	int hit = 0, error;

	if (c == NULL || token == NULL || len == 0 || len > JWT_TOKEN_MAX)
		return jwt_verify(out, secret, secret_len, token, len, now_ms,
				  err);
	SHA256((const unsigned char *)token, len, d);
	idx = ((unsigned)d[0] << 8 | d[1]) % SLOTS;
	s = &c->slots[idx];
	lock = &c->locks[idx % STRIPES];

	pthread_mutex_lock(lock);
	if (s->used && memcmp(s->digest, d, sizeof(d)) == 0 &&
	    now_ms / 1000 < s->claims.exp) {
		*out = s->claims;
		hit = 1;
	}
	pthread_mutex_unlock(lock);
	if (hit)
		return 0;

	/* Expired, evicted or new: the full check, which also words the
	 * failure. */
	if ((error = jwt_verify(out, secret, secret_len, token, len, now_ms,
				err)) != 0)
		return error;
	pthread_mutex_lock(lock);
	s->used = 1;
	memcpy(s->digest, d, sizeof(d));
	s->claims = *out;
	pthread_mutex_unlock(lock);
	return 0;
}
