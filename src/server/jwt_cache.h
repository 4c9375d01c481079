/*
 * jwt_cache.h - bearer tokens already verified, remembered by their
 * SHA-256, so that a client sending thousands of invoices with one access
 * token has it decoded and its HMAC checked once, not on every request.
 * Verification is a pure function of the token, the server's secret (fixed
 * for the life of the process) and the clock, so an entry holds exactly
 * what jwt_verify() would answer, until the token's exp; an access token
 * is never withdrawn before it (revoking an authentication ends its
 * refresh token, SPEC 2.3). Only successes are kept: a failure costs its
 * sender the full check every time.
 */
#ifndef KSEFD_JWT_CACHE_H
#define KSEFD_JWT_CACHE_H

#include "jwt_tokens.h"

typedef struct jwt_cache jwt_cache;

int jwt_cache_new(jwt_cache **out);
void jwt_cache_free(jwt_cache *c);

/* jwt_verify(), answered from the cache when this token verified before
 * and has not expired; c may be NULL (no cache). */
int jwt_cache_verify(jwt_cache *c, jwt_claims *out,
		     const unsigned char *secret, size_t secret_len,
		     const char *token, size_t len, int64_t now_ms,
		     ksef_error *err);

#endif
