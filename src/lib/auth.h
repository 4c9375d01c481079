/*
 * auth.h - what session.c needs from auth.c (the ksef_conn: tokens, their
 * renewal and the key cache), and the one hook the end-to-end tests use to
 * make the server refuse an access token.
 */
#ifndef KSEF_AUTH_H
#define KSEF_AUTH_H

#include <stdint.h>
#include "ksef/session.h"

/*
 * Make sure the connection's access token is current (renewing it under
 * the connection's lock if it is near its end or was refused), and give it
 * to `client` unless *gen says the client holds this one already. *gen is
 * the caller's record of the token generation it last set; start it at 0.
 * Returns 0 or a code as for ksef_conn_new().
 */
int ksef__conn_use(ksef_conn *c, ksef_client *client, unsigned long *gen,
		   ksef_error *err);

/*
 * A call made with generation `gen` of the access token got 401: the next
 * ksef__conn_use() renews it, unless another thread did so already.
 */
void ksef__conn_unauthorized(ksef_conn *c, unsigned long gen);

/*
 * After a call made on `client` with generation `gen` of the token:
 * should it be made again because the token was refused (401)? Once per
 * call, counted in *tried; the next ksef__conn_use() renews the token.
 */
int ksef__conn_retry_unauthorized(ksef_conn *c, ksef_client *client,
				  unsigned long gen, int error, int *tried);

/*
 * The KSeF key for one usage (KSEF_KEY_USAGE_*): of the cached list, the
 * current certificate with the latest validFrom. The list is fetched when
 * there is none yet, when `refetch` is non-zero (after 21470), and once
 * more when it has no current key for the usage. *out is the caller's to
 * free with ksef_pubkey_free(). Returns 0, KSEF_ENOTFOUND, or a code as
 * for ksef_client_pubkey_certs() or ksef_pubkey_load().
 */
int ksef__conn_key(ksef_pubkey **out, ksef_conn *c, unsigned usage,
		   int refetch, ksef_error *err);

/*
 * Make a call on `client` that needs the server's current public key of
 * `usage` (opening an online or a batch session): with a valid token,
 * again once after a 401 (the token renewed), and again once after 21470
 * (the key was withdrawn: the list fetched anew). call(ctx, key, err)
 * gives its own result; the key is the caller's only during the call.
 * *from_call (if not NULL) tells whether the result is the call's own,
 * not the token's renewal or the keys' (answered by the connection's
 * client).
 */
int ksef__conn_call_with_key(ksef_conn *c, ksef_client *client,
			     unsigned long *gen, unsigned usage,
			     int (*call)(void *ctx, const ksef_pubkey *key,
					 ksef_error *err),
			     void *ctx, int *from_call, ksef_error *err);

/*
 * A session could not be opened because the server answered with an
 * error: take its client (*client, which gets the connection's old one in
 * exchange), so that ksef_conn_last_error() gives that answer. The
 * access token it held is dropped from it.
 */
void ksef__conn_keep_error(ksef_conn *c, ksef_client **client);

/* A new client with the connection's client options, for one session. */
int ksef__conn_client_new(ksef_client **out, const ksef_conn *c,
			  ksef_error *err);

/* The connection's poll backoff: first and longest pause, in ms. */
void ksef__conn_poll(const ksef_conn *c, long *initial_ms, long *max_ms);

/* max_session_reopens of its options: how many new sessions one send may
 * open after 21184. */
int ksef__conn_max_session_reopens(const ksef_conn *c);

/* Milliseconds of a monotonic clock, for deadlines. */
int64_t ksef__mono_ms(void);

/* Sleep for ms milliseconds (0 or less returns at once). */
void ksef__sleep_ms(long ms);

/*
 * Tests only: replace the access token with one the server cannot accept,
 * keeping its validUntil, so that the next call gets 401 and has to renew
 * it.
 */
void ksef__conn_spoil_access_token(ksef_conn *c);

#endif
