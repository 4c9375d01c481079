#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/buf.h"
#include "ksef/envelope.h"
#include "ksef/error.h"
#include "session_keys.h"

/*
 * One server key, generated once (RSA is slow under valgrind) and kept in
 * a store, so that the keyring finds it as ksefd does after a restart.
 * Each test is a client that wraps a fresh session key under it.
 */
static struct server srv;
static server_key *key;
static int64_t key_id;
static char *dir;

static const char invoice[] = "<Faktura>session key test</Faktura>";

static int set_up(void **state)
{
	store_key row;
	ksef_error err;
	int64_t now = server_now_ms();

	(void)state;
	memset(&srv, 0, sizeof(srv));
	pthread_rwlock_init(&srv.keyring.lock, NULL);
	dir = ts_mkdtemp();
	if (store_open(&srv.store, dir, &err) != 0 ||
	    keys_generate(&key, KEY_USAGE_SYMMETRIC, 2048, now, 30, &err) !=
		    0) {
		fprintf(stderr, "set-up: %s\n", err.message);
		return -1;
	}
	memset(&row, 0, sizeof(row));
	row.usage = KEY_USAGE_SYMMETRIC;
	snprintf(row.public_key_id, sizeof(row.public_key_id), "%s",
		 key->public_key_id);
	row.cert_b64 = key->cert_b64;
	row.key_pem = key->key_pem;
	row.valid_from_ms = key->valid_from_ms;
	row.valid_to_ms = key->valid_to_ms;
	if (store_key_add(srv.store, &row, &err) != 0 ||
	    keyring_refresh(&srv, &err) != 0) {
		fprintf(stderr, "set-up: %s\n", err.message);
		return -1;
	}
	key_id = row.id;
	return 0;
}

static int tear_down(void **state)
{
	(void)state;
	keyring_destroy(&srv);
	pthread_rwlock_destroy(&srv.keyring.lock);
	store_close(srv.store);
	keys_free(key);
	ts_rmdir(dir);
	return 0;
}

/* What a client does: a fresh session key, wrapped under the server key
 * as POST /sessions/online carries it, and one invoice encrypted under
 * it. */
struct client {
	store_session s;
	ksef_buf ct;
};

static void client_open(struct client *c, const char *ref)
{
	ksef_envelope *env = NULL;
	ksef_pubkey *pub = NULL;
	ksef_buf wrapped = KSEF_BUF_INIT;

	memset(c, 0, sizeof(*c));
	c->ct = (ksef_buf)KSEF_BUF_INIT;
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	assert_int_equal(ksef_pubkey_load(&pub,
		(const unsigned char *)key->cert_b64, strlen(key->cert_b64),
		NULL), 0);
	assert_int_equal(ksef_envelope_wrap_key(&wrapped, env, pub, NULL), 0);
	assert_true(wrapped.size <= sizeof(c->s.wrapped_key));
	snprintf(c->s.ref, sizeof(c->s.ref), "%s", ref);
	c->s.key_id = key_id;
	memcpy(c->s.wrapped_key, wrapped.ptr, wrapped.size);
	c->s.wrapped_key_len = wrapped.size;
	memcpy(c->s.iv, ksef_envelope_iv(env), sizeof(c->s.iv));
	assert_int_equal(ksef_envelope_encrypt(&c->ct, env,
		(const unsigned char *)invoice, sizeof(invoice) - 1, NULL), 0);
	ksef_buf_dispose(&wrapped);
	ksef_pubkey_free(pub);
	ksef_envelope_free(env);
}

static void client_close(struct client *c)
{
	ksef_buf_dispose(&c->ct);
}

/* Decrypt c's invoice through sk and check it is the one sent. */
static int decrypts(session_keys *sk, const struct client *c,
		    const store_session *s)
{
	ksef_buf plain = KSEF_BUF_INIT;
	int rc = session_keys_decrypt(sk, s, c->ct.ptr, c->ct.size, &plain,
				      NULL);

	if (rc == 0) {
		assert_int_equal(plain.size, sizeof(invoice) - 1);
		assert_memory_equal(plain.ptr, invoice, plain.size);
	}
	ksef_buf_dispose_secure(&plain);
	return rc;
}

static void the_right_key_opens_the_session_and_decrypts_its_invoices(
	void **state)
{
	session_keys *sk = NULL;
	struct client c;

	(void)state;
	client_open(&c, "SO-open");
	assert_int_equal(session_keys_new(&sk, &srv, NULL), 0);
	assert_int_equal(session_keys_count(sk), 0);
	assert_int_equal(session_keys_open(sk, &c.s, key->priv, NULL), 0);
	assert_int_equal(session_keys_count(sk), 1);
	assert_int_equal(decrypts(sk, &c, &c.s), 0);
	assert_int_equal(decrypts(sk, &c, &c.s), 0);
	assert_int_equal(session_keys_count(sk), 1);
	session_keys_free(sk);
	client_close(&c);
}

static void a_key_that_does_not_unwrap_is_the_415_path_and_keeps_nothing(
	void **state)
{
	session_keys *sk = NULL;
	struct client c;
	store_session s;
	ksef_error err;

	(void)state;
	client_open(&c, "SO-415");
	assert_int_equal(session_keys_new(&sk, &srv, NULL), 0);

	/* One bit changed: OAEP refuses it. */
	s = c.s;
	s.wrapped_key[s.wrapped_key_len / 2] ^= 0x01;
	assert_int_equal(session_keys_open(sk, &s, key->priv, &err),
			 KSEF_ECRYPTO);
	/* Shorter than the modulus. */
	s = c.s;
	s.wrapped_key_len = 100;
	assert_int_not_equal(session_keys_open(sk, &s, key->priv, NULL), 0);
	/* No wrapped key at all. */
	s.wrapped_key_len = 0;
	assert_int_not_equal(session_keys_open(sk, &s, key->priv, NULL), 0);
	assert_int_equal(session_keys_count(sk), 0);
	assert_int_equal(session_keys_open(sk, NULL, key->priv, NULL),
			 KSEF_EINVAL);
	assert_int_equal(session_keys_open(sk, &c.s, NULL, NULL),
			 KSEF_EINVAL);
	assert_int_equal(session_keys_count(sk), 0);
	session_keys_free(sk);
	client_close(&c);
}

static void a_kept_key_is_used_without_unwrapping_again(void **state)
{
	session_keys *sk = NULL;
	struct client c;
	store_session s;

	(void)state;
	client_open(&c, "SO-kept");
	assert_int_equal(session_keys_new(&sk, &srv, NULL), 0);
	assert_int_equal(session_keys_open(sk, &c.s, key->priv, NULL), 0);
	/* The wrapped key and the server key named are both useless now:
	 * only the kept key can decrypt. */
	s = c.s;
	memset(s.wrapped_key, 0, sizeof(s.wrapped_key));
	s.key_id = key_id + 1000;
	assert_int_equal(decrypts(sk, &c, &s), 0);
	assert_int_equal(session_keys_count(sk), 1);
	/* Another session's key is not this one's. */
	snprintf(s.ref, sizeof(s.ref), "SO-other");
	assert_int_equal(decrypts(sk, &c, &s), KSEF_ENOTFOUND);
	assert_int_equal(session_keys_count(sk), 1);
	session_keys_free(sk);
	client_close(&c);
}

static void an_evicted_key_is_gone_and_eviction_of_none_does_nothing(
	void **state)
{
	session_keys *sk = NULL;
	struct client a, b;
	store_session s;

	(void)state;
	client_open(&a, "SO-a");
	client_open(&b, "SO-b");
	assert_int_equal(session_keys_new(&sk, &srv, NULL), 0);
	assert_int_equal(session_keys_open(sk, &a.s, key->priv, NULL), 0);
	assert_int_equal(session_keys_open(sk, &b.s, key->priv, NULL), 0);
	assert_int_equal(session_keys_count(sk), 2);

	session_keys_evict(sk, "SO-a");
	assert_int_equal(session_keys_count(sk), 1);
	/* Without the kept key and without a server key to unwrap it again,
	 * SO-a cannot decrypt; SO-b is untouched. */
	s = a.s;
	s.key_id = key_id + 1000;
	assert_int_equal(decrypts(sk, &a, &s), KSEF_ENOTFOUND);
	assert_int_equal(decrypts(sk, &b, &b.s), 0);

	session_keys_evict(sk, "SO-a");
	session_keys_evict(sk, "SO-none");
	session_keys_evict(sk, NULL);
	session_keys_evict(NULL, "SO-b");
	assert_int_equal(session_keys_count(sk), 1);
	session_keys_evict(sk, "SO-b");
	assert_int_equal(session_keys_count(sk), 0);
	session_keys_free(sk);
	session_keys_free(NULL);
	client_close(&a);
	client_close(&b);
}

static void after_a_restart_the_stored_wrapped_key_is_unwrapped_again(
	void **state)
{
	session_keys *before = NULL, *after = NULL;
	struct client c;
	ksef_error err;
	char id[32];

	(void)state;
	client_open(&c, "SO-restart");
	assert_int_equal(session_keys_new(&before, &srv, NULL), 0);
	assert_int_equal(session_keys_open(before, &c.s, key->priv, NULL), 0);
	session_keys_free(before);

	/* A new process: nothing kept, the session as the store has it.
	 * The server key was retired meanwhile; its sessions still need
	 * it, and the keyring (reloaded) still has it. */
	snprintf(id, sizeof(id), "%lld", (long long)key_id);
	assert_int_equal(store_key_retire(srv.store, id, &err), 0);
	assert_int_equal(session_keys_new(&after, &srv, NULL), 0);
	assert_int_equal(decrypts(after, &c, &c.s), 0);
	assert_int_equal(session_keys_count(after), 1);
	/* and kept from then on */
	assert_int_equal(decrypts(after, &c, &c.s), 0);
	assert_int_equal(session_keys_count(after), 1);
	session_keys_free(after);
	client_close(&c);
}

#define RACERS 4

struct racer {
	session_keys *sk;
	const struct client *c;
	int failures;
};

static void *decrypt_many(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < 20; i++)
		if (decrypts(r->sk, r->c, &r->c->s) != 0)
			r->failures++;
	return NULL;
}

static void threads_that_unwrap_the_same_session_at_once_keep_one_key(
	void **state)
{
	session_keys *sk = NULL;
	struct racer racers[RACERS];
	pthread_t tid[RACERS];
	struct client c;

	(void)state;
	client_open(&c, "SO-race");
	assert_int_equal(session_keys_new(&sk, &srv, NULL), 0);
	for (int i = 0; i < RACERS; i++) {
		racers[i].sk = sk;
		racers[i].c = &c;
		racers[i].failures = 0;
		assert_int_equal(pthread_create(&tid[i], NULL, decrypt_many,
						&racers[i]), 0);
	}
	for (int i = 0; i < RACERS; i++) {
		pthread_join(tid[i], NULL);
		assert_int_equal(racers[i].failures, 0);
	}
	assert_int_equal(session_keys_count(sk), 1);
	session_keys_free(sk);
	client_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			the_right_key_opens_the_session_and_decrypts_its_invoices),
		cmocka_unit_test(
			a_key_that_does_not_unwrap_is_the_415_path_and_keeps_nothing),
		cmocka_unit_test(a_kept_key_is_used_without_unwrapping_again),
		cmocka_unit_test(
			an_evicted_key_is_gone_and_eviction_of_none_does_nothing),
		cmocka_unit_test(
			after_a_restart_the_stored_wrapped_key_is_unwrapped_again),
		cmocka_unit_test(
			threads_that_unwrap_the_same_session_at_once_keep_one_key),
	};
	return cmocka_run_group_tests(tests, set_up, tear_down);
}
