/*
 * keyring.c - owns the in-memory view of the server's key pairs: loaded
 * from the store at start, reloaded when the store's key table changes
 * (`ksefd keys rotate` or `retire` run by another process), looked up by
 * usage and by publicKeyId. Retired keys stay loaded: sessions opened
 * under them still need their private key to decrypt invoices.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "server.h"

static void keyring_clear(struct keyring *kr)
{
	size_t i;

	for (i = 0; i < kr->count; i++)
		keys_free(kr->keys[i].key);
	free(kr->keys);
	kr->keys = NULL;
	kr->count = 0;
}

int keyring_refresh(struct server *srv, ksef_error *err)
{
	struct keyring *kr = &srv->keyring;
	int64_t version = store_keys_version(srv->store);
	store_key *rows = NULL;
	struct ring_key *keys = NULL;
	size_t n = 0, i;
	int error;

	pthread_rwlock_rdlock(&kr->lock);
	if (kr->keys != NULL && kr->version == version) {
		pthread_rwlock_unlock(&kr->lock);
		return 0;
	}
	pthread_rwlock_unlock(&kr->lock);

	if ((error = store_keys_list(srv->store, &rows, &n, err)) != 0)
		return store_result_code(error);
	keys = calloc(n ? n : 1, sizeof(*keys));
	if (keys == NULL) {
		store_keys_free(rows, n);
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		keys[i].id = rows[i].id;
		keys[i].retired = rows[i].retired;
		error = keys_load(&keys[i].key, rows[i].usage, rows[i].cert_b64,
				  rows[i].key_pem, rows[i].valid_from_ms,
				  rows[i].valid_to_ms, err);
		if (error != 0)
			break;
	}
	store_keys_free(rows, n);
	if (error != 0) {
		while (i-- > 0)
			keys_free(keys[i].key);
		free(keys);
		return error;
	}
	pthread_rwlock_wrlock(&kr->lock);
	keyring_clear(kr);
	kr->keys = keys;
	kr->count = n;
	kr->version = version;
	pthread_rwlock_unlock(&kr->lock);
	return 0;
}

void keyring_lock(struct server *srv)
{
	pthread_rwlock_rdlock(&srv->keyring.lock);
}

void keyring_unlock(struct server *srv)
{
	pthread_rwlock_unlock(&srv->keyring.lock);
}

static int current(const struct ring_key *k, unsigned usage, int64_t now_ms)
{
	return !k->retired && (k->key->usage & usage) &&
	       k->key->valid_from_ms <= now_ms && now_ms < k->key->valid_to_ms;
}

struct ring_key *keyring_current(struct server *srv, unsigned usage,
				 int64_t now_ms)
{
	struct keyring *kr = &srv->keyring;
	struct ring_key *best = NULL;
	size_t i;

	/* The client's rule (SPEC 4.1): valid now, latest validFrom. */
	for (i = 0; i < kr->count; i++)
		if (current(&kr->keys[i], usage, now_ms) &&
		    (best == NULL || kr->keys[i].key->valid_from_ms >
				     best->key->valid_from_ms))
			best = &kr->keys[i];
	return best;
}

struct ring_key *keyring_find(struct server *srv, const char *public_key_id,
			      unsigned usage, int64_t now_ms)
{
	struct keyring *kr = &srv->keyring;
	size_t i;

	for (i = 0; i < kr->count; i++)
		if (current(&kr->keys[i], usage, now_ms) &&
		    strcmp(kr->keys[i].key->public_key_id, public_key_id) == 0)
			return &kr->keys[i];
	return NULL;
}

struct ring_key *keyring_by_id(struct server *srv, int64_t id)
{
	struct keyring *kr = &srv->keyring;
	size_t i;

	for (i = 0; i < kr->count; i++)
		if (kr->keys[i].id == id)
			return &kr->keys[i];
	return NULL;
}

void keyring_destroy(struct server *srv)
{
	keyring_clear(&srv->keyring);
}

store_result keyring_store_key(store *st, const server_key *k, int64_t *id,
			       ksef_error *err)
{
	store_key row;
	store_result rc;

	memset(&row, 0, sizeof(row));
	row.usage = k->usage;
	snprintf(row.public_key_id, sizeof(row.public_key_id), "%s",
		 k->public_key_id);
	/* Borrowed: store_key_add() only reads them. */
	row.cert_b64 = k->cert_b64;
	row.key_pem = k->key_pem;
	row.valid_from_ms = k->valid_from_ms;
	row.valid_to_ms = k->valid_to_ms;
	rc = store_key_add(st, &row, err);
	if (rc == STORE_OK && id != NULL)
		*id = row.id;
	return rc;
}
