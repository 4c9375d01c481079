/*
 * store_keys.c - the server's secrets and key pairs in the store: a random
 * secret made on first use and kept per name (the JWT and link-signing
 * keys), and the key pairs GET /security/public-key-certificates lists,
 * with the version number that tells a running server another process
 * changed them. Loading and using the keys belongs to keys.c and
 * keyring.c.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include "store_int.h"

/* The longest secret store_secret() hands out. */
#define STORE_SECRET_MAX 1024
#define STORE_SECRET_NAME_MAX 64

/* ---- secrets ---- */

struct secret_args {
	const char *name;
	const unsigned char *fresh; /* used if the name has no secret yet */
	unsigned char *out;
	size_t len;
};

/* A row_fn: copy the secret into a->out, which must hold it exactly. */
static int secret_row(void *dst, const sql_row *s, ksef_error *err)
{
	struct secret_args *a = dst;
	size_t n;
	const void *v = sql_col_bytes(s, 0, &n);

	if (v == NULL || n != a->len)
		return sql_fail(err, STORE_INVALID, "secret %s holds %zu "
				"bytes, not %zu", a->name, n, a->len);
	memcpy(a->out, v, a->len);
	return 0;
}

static int op_secret(struct conn *w, void *arg, ksef_error *err)
{
	struct secret_args *a = arg;
	int error;

	if ((error = sql_exec(w, Q_SECRET_ADD, ARGS(ARG_TEXT(a->name),
			      ARG_BLOB(a->fresh, a->len)), err)) < 0)
		return error;
	/* Read back what is stored: another process may have won. */
	error = sql_lookup(w, Q_SECRET_GET, ARGS(ARG_TEXT(a->name)), secret_row,
			   a, err);
	if (error == SQL_DONE)
		return sql_fail(err, STORE_ERROR, "secret %s vanished",
				a->name);
	return error < 0 ? error : 0;
}

store_result store_secret(store *st, const char *name, unsigned char *out,
			  size_t len, ksef_error *err)
{
	unsigned char fresh[STORE_SECRET_MAX];
	struct secret_args a = { name, fresh, out, len };
	int error;

	if (st == NULL || out == NULL || len == 0 || len > STORE_SECRET_MAX)
		return sql_fail(err, STORE_INVALID, "a secret is 1 to %d bytes",
				STORE_SECRET_MAX);
	if ((error = sql_check_len(name, STORE_SECRET_NAME_MAX + 1,
				   "secret name", err)) < 0)
		return error;

	/* The common case: it exists, and a reader is enough. */
	error = sql_read_row(st, Q_SECRET_GET, ARGS(ARG_TEXT(name)), secret_row,
			     &a, err);
	if (error != SQL_DONE)
		return error < 0 ? error : 0;

	if (RAND_bytes(fresh, (int)len) != 1) {
		ERR_clear_error();
		return sql_fail(err, STORE_ERROR, "cannot make secret %s: no "
				"randomness", name);
	}
	error = sql_submit(st, op_secret, &a, err);
	OPENSSL_cleanse(fresh, len);
	if (error < 0)
		OPENSSL_cleanse(out, len);
	return error;
}


/* ---- keys ---- */

struct key_add_args {
	const store_key *key;
	int64_t id;
};

static int op_key_add(struct conn *w, void *arg, ksef_error *err)
{
	struct key_add_args *a = arg;
	const store_key *k = a->key;
	int rc;

	rc = sql_lookup(w, Q_KEY_ADD, ARGS(ARG_INT(k->usage),
			ARG_FIELD(k->public_key_id), ARG_TEXT(k->cert_b64),
			ARG_TEXT(k->key_pem), ARG_INT(k->valid_from_ms),
			ARG_INT(k->valid_to_ms), ARG_INT(k->retired != 0)),
			sql_int64_row, &a->id, err);
	if (rc == SQL_DONE)
		return sql_fail(err, STORE_ERROR, "database: the key's id "
				"was not returned");
	return rc < 0 ? rc : 0;
}

store_result store_key_add(store *st, store_key *key, ksef_error *err)
{
	struct key_add_args a = { key, 0 };
	int error;

	if (st == NULL || key == NULL || key->cert_b64 == NULL ||
	    key->key_pem == NULL)
		return sql_fail(err, STORE_INVALID, "a key needs its "
				"certificate and private key");
	if ((error = sql_submit(st, op_key_add, &a, err)) < 0)
		return error;
	key->id = a.id;
	return 0;
}

static void key_clear(store_key *k)
{
	if (k->key_pem != NULL)
		OPENSSL_cleanse(k->key_pem, strlen(k->key_pem));
	free(k->key_pem);
	free(k->cert_b64);
	k->key_pem = k->cert_b64 = NULL;
}

static int key_row(void *dst, const sql_row *s, ksef_error *err)
{
	store_key *k = dst;

	k->id = sql_col_int64(s, 0);
	k->usage = (unsigned)sql_col_int64(s, 1);
	COL_TEXT(k->public_key_id, s, 2);
	k->cert_b64 = sql_col_strdup(s, 3);
	k->key_pem = sql_col_strdup(s, 4);
	k->valid_from_ms = sql_col_int64(s, 5);
	k->valid_to_ms = sql_col_int64(s, 6);
	k->retired = sql_col_int(s, 7);
	if (k->cert_b64 == NULL || k->key_pem == NULL) {
		key_clear(k);
		return sql_fail(err, STORE_NO_MEMORY, "out of memory");
	}
	return 0;
}

/* Keys own their certificate and private key: clear wipes and frees. */
static void key_row_clear(void *row)
{
	key_clear(row);
}

static const struct row_type key_rows = {
	sizeof(store_key), key_row, key_row_clear
};

store_result store_keys_list(store *st, store_key **out, size_t *count,
			     ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	error = sql_read_rows(st, Q_KEYS_LIST, NULL, &key_rows, &rows, count,
			      err);
	*out = rows;
	return error;
}

void store_keys_free(store_key *keys, size_t count)
{
	size_t i;

	if (keys == NULL)
		return;
	for (i = 0; i < count; i++)
		key_clear(&keys[i]);
	free(keys);
}

struct key_retire_args {
	const char *id;
};

/* The id as a row number, if it is one (at most 18 digits, so it fits). */
static int parse_row_id(int64_t *out, const char *id)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; id[i] != '\0'; i++) {
		if (id[i] < '0' || id[i] > '9' || i >= 18)
			return 0;
		v = v * 10 + (id[i] - '0');
	}
	*out = v;
	return i > 0;
}

static int op_key_retire(struct conn *w, void *arg, ksef_error *err)
{
	struct key_retire_args *a = arg;
	int64_t rowid;
	int error;

	/* ?1 is the id as a row number, or NULL (no row) if it is not one. */
	if (parse_row_id(&rowid, a->id))
		error = sql_exec(w, Q_KEY_RETIRE, ARGS(ARG_INT(rowid),
				 ARG_TEXT(a->id)), err);
	else
		error = sql_exec(w, Q_KEY_RETIRE, ARGS(ARG_NULL_INT,
				 ARG_TEXT(a->id)), err);
	if (error < 0)
		return error;
	if (sql_changes(w) == 0)
		return sql_fail(err, STORE_NOT_FOUND, "no key has id %s",
				a->id);
	return 0;
}

store_result store_key_retire(store *st, const char *id, ksef_error *err)
{
	struct key_retire_args a = { id };
	int error;

	if ((error = sql_check_len(id, STORE_B64_SHA_SZ, "key id", err)) < 0)
		return error;
	return sql_submit(st, op_key_retire, &a, err);
}

int64_t store_keys_version(store *st)
{
	int64_t v = -1;

	if (st == NULL)
		return -1;
	sql_read_row(st, Q_KEYS_VERSION, NULL, sql_int64_row, &v, NULL);
	return v;
}

