/*
 * session_keys.c - the unwrapped AES keys of interactive sessions: made
 * here from the wrapped keys, kept, used and wiped only here (see
 * session_keys.h). Which server key the client named, and what a key that
 * does not unwrap means to the session (415), are the API's (api_sessions.c);
 * which sessions have ended is the housekeeper's (worker.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "session_keys.h"

struct kept_key {
	char ref[STORE_REF_SZ];
	ksef_envelope *env;       /* owned; its free wipes the key */
};

struct session_keys {
	struct server *srv;
	pthread_mutex_t lock;     /* keys, nkeys, cap, and every env's use */
	struct kept_key *keys;
	size_t nkeys, cap;
};

int session_keys_new(session_keys **out, struct server *srv,
		     ksef_error *err)
{
	session_keys *sk = calloc(1, sizeof(*sk));

	*out = NULL;
	if (sk == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	sk->srv = srv;
	pthread_mutex_init(&sk->lock, NULL);
	*out = sk;
	return 0;
}

void session_keys_free(session_keys *sk)
{
	size_t i;

	if (sk == NULL)
		return;
	for (i = 0; i < sk->nkeys; i++)
		ksef_envelope_free(sk->keys[i].env);
	free(sk->keys);
	pthread_mutex_destroy(&sk->lock);
	free(sk);
}

/* The kept key of a session, under the lock, or NULL. */
static struct kept_key *find(session_keys *sk, const char *ref)
{
	size_t i;

	for (i = 0; i < sk->nkeys; i++)
		if (strcmp(sk->keys[i].ref, ref) == 0)
			return &sk->keys[i];
	return NULL;
}

/* Keep env under ref; the set owns env from here on, kept or not. A key
 * another thread kept first for the same session wins: both unwrapped the
 * same wrapped key. If memory runs out the key is wiped, and unwrapped
 * again when it is needed. */
static void keep(session_keys *sk, const char *ref, ksef_envelope *env)
{
	struct kept_key *k;

	pthread_mutex_lock(&sk->lock);
	if (find(sk, ref) != NULL)
		goto drop;
	if (sk->nkeys == sk->cap) {
		size_t ncap = sk->cap ? sk->cap * 2 : 64;

		k = realloc(sk->keys, ncap * sizeof(*k));
		if (k == NULL)
			goto drop;
		sk->keys = k;
		sk->cap = ncap;
	}
	k = &sk->keys[sk->nkeys++];
	snprintf(k->ref, sizeof(k->ref), "%s", ref);
	k->env = env;
	pthread_mutex_unlock(&sk->lock);
	return;
drop:
	pthread_mutex_unlock(&sk->lock);
	ksef_envelope_free(env);
}

static int unwrap(ksef_envelope **out, const store_session *s,
		  const ksef_privkey *key, ksef_error *err)
{
	return ksef_envelope_unwrap_key(out, key, s->wrapped_key,
					s->wrapped_key_len, s->iv,
					sizeof(s->iv), err);
}

int session_keys_open(session_keys *sk, const store_session *s,
		      const ksef_privkey *key, ksef_error *err)
{
	ksef_envelope *env = NULL;
	int error;

	if (sk == NULL || s == NULL || key == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no session key given");
	if ((error = unwrap(&env, s, key, err)) != 0)
		return error;
	keep(sk, s->ref, env);
	return 0;
}

/* After a restart: unwrap the stored key again with the server key that
 * wrapped it, which the keyring still has even when it is retired. */
static int unwrap_again(ksef_envelope **out, session_keys *sk,
			const store_session *s, ksef_error *err)
{
	struct server *srv = sk->srv;
	struct ring_key *rk;
	int error;

	*out = NULL;
	if ((error = keyring_refresh(srv, err)) != 0)
		return error;
	keyring_lock(srv);
	rk = keyring_by_id(srv, s->key_id);
	if (rk == NULL)
		error = ksef_error_set(err, KSEF_ENOTFOUND, "server key %lld "
				       "of session %s is gone",
				       (long long)s->key_id, s->ref);
	else
		error = unwrap(out, s, rk->key->priv, err);
	keyring_unlock(srv);
	return error;
}

int session_keys_decrypt(session_keys *sk, const store_session *s,
			 const unsigned char *ct, size_t len, ksef_buf *plain,
			 ksef_error *err)
{
	ksef_envelope *env = NULL;
	struct kept_key *k;
	int error;

	if (sk == NULL || s == NULL || plain == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no session given");
	pthread_mutex_lock(&sk->lock);
	if ((k = find(sk, s->ref)) != NULL) {
		error = ksef_envelope_decrypt(plain, k->env, ct, len, err);
		pthread_mutex_unlock(&sk->lock);
		return error;
	}
	pthread_mutex_unlock(&sk->lock);

	if ((error = unwrap_again(&env, sk, s, err)) != 0)
		return error;
	error = ksef_envelope_decrypt(plain, env, ct, len, err);
	keep(sk, s->ref, env);
	return error;
}

int session_keys_stream(session_keys *sk, const store_session *s,
			ksef_envelope_stream **out, ksef_error *err)
{
	ksef_envelope *env = NULL;
	struct kept_key *k;
	int error;

	if (sk == NULL || s == NULL || out == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no session given");
	pthread_mutex_lock(&sk->lock);
	if ((k = find(sk, s->ref)) != NULL) {
		error = ksef_envelope_stream_new(out, k->env, 0, err);
		pthread_mutex_unlock(&sk->lock);
		return error;
	}
	pthread_mutex_unlock(&sk->lock);

	if ((error = unwrap_again(&env, sk, s, err)) != 0)
		return error;
	error = ksef_envelope_stream_new(out, env, 0, err);
	keep(sk, s->ref, env);
	return error;
}

void session_keys_evict(session_keys *sk, const char *session_ref)
{
	struct kept_key *k;

	if (sk == NULL || session_ref == NULL)
		return;
	pthread_mutex_lock(&sk->lock);
	if ((k = find(sk, session_ref)) != NULL) {
		ksef_envelope_free(k->env);
		*k = sk->keys[--sk->nkeys];
	}
	pthread_mutex_unlock(&sk->lock);
}

size_t session_keys_count(session_keys *sk)
{
	size_t n;

	pthread_mutex_lock(&sk->lock);
	n = sk->nkeys;
	pthread_mutex_unlock(&sk->lock);
	return n;
}
