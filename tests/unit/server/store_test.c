#include "testsupport.h"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "ksef/upo.h"
#include "store.h"
#include "store_fixture.h"
#include "store_int.h"   /* STORE_SCHEMA_VERSION */
#include "verdict.h"

/* ---- helpers ---- */

static store_session session(const char *ref, const char *nip,
			     int64_t created_ms, int max_invoices)
{
	store_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.ref, sizeof(s.ref), "%s", ref);
	snprintf(s.auth_ref, sizeof(s.auth_ref), "AU-%s", ref);
	strcpy(s.ctx_type, "Nip");
	snprintf(s.ctx_value, sizeof(s.ctx_value), "%s", nip);
	strcpy(s.subject_value, "5265877635");
	s.form = 3;
	s.key_id = 1;
	memset(s.wrapped_key, 0xA5, 256);
	s.wrapped_key_len = 256;
	memset(s.iv, 0x11, sizeof(s.iv));
	s.status = 100;
	s.created_ms = s.updated_ms = created_ms;
	s.valid_until_ms = created_ms + 12 * 3600 * 1000LL;
	s.max_invoices = max_invoices;
	return s;
}

static void add_session(store *st, const char *ref, const char *nip,
			int64_t created_ms, int max_invoices)
{
	store_session s = session(ref, nip, created_ms, max_invoices);
	ksef_error err;

	ok(store_session_add(st, &s, &err), &err);
}

static store_invoice invoice(const char *ref, const char *session_ref)
{
	store_invoice v;

	memset(&v, 0, sizeof(v));
	snprintf(v.ref, sizeof(v.ref), "%s", ref);
	snprintf(v.session_ref, sizeof(v.session_ref), "%s", session_ref);
	snprintf(v.invoice_hash, sizeof(v.invoice_hash), "H-%s", ref);
	v.invoice_size = 100;
	strcpy(v.encrypted_hash, "EH");
	v.encrypted_size = 112;
	v.invoicing_ms = 5000;
	v.status = 100;
	return v;
}

static int accept_one(store *st, const char *ref, const char *session_ref,
		  int *ordinal, int *session_status)
{
	store_invoice v = invoice(ref, session_ref);
	static const unsigned char ct[32] = { 1, 2, 3 };
	ksef_error err;
	int rc = store_invoice_accept(st, &v, ct, sizeof(ct), session_status,
				      &err);

	if (ordinal != NULL)
		*ordinal = rc == 0 ? v.ordinal : 0;
	return rc;
}

/* Finish an invoice as 200 (with its duplicate key) or as a failure. A
 * 200 whose key another invoice holds is recorded as the worker does: as
 * the 440 verdict.c makes of what the store reports, with *dup = 1. */
static int finish(store *st, const char *ref, int status, const char *p2,
		  const char *ksef_number, store_invoice *out, int *dup)
{
	static const char xml[] = "<Faktura/>";
	store_invoice v;
	ksef_error err;
	int rc;

	memset(&v, 0, sizeof(v));
	snprintf(v.ref, sizeof(v.ref), "%s", ref);
	v.status = status;
	strcpy(v.seller_nip, "5265877635");
	strcpy(v.invoice_kind, "VAT");
	snprintf(v.invoice_number, sizeof(v.invoice_number), "%s", p2);
	if (status == 200) {
		snprintf(v.ksef_number, sizeof(v.ksef_number), "%s",
			 ksef_number);
		v.acquisition_ms = 6000;
		strcpy(v.invoicing_mode, "Online");
	} else {
		strcpy(v.status_details, "[\"bad\"]");
	}
	rc = store_invoice_finish(st, &v, (const unsigned char *)xml,
				  sizeof(xml) - 1, &err);
	if (dup != NULL)
		*dup = rc == STORE_EXISTS;
	if (rc == STORE_EXISTS) {
		verdict_duplicate(&v);
		rc = store_invoice_finish(st, &v, NULL, 0, &err);
	}
	if (out != NULL)
		*out = v;
	return rc;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- opening, persistence, migration ---- */

static void open_creates_a_private_folder_and_reopen_keeps_everything(
	void **state)
{
	char *tmp = ts_mkdtemp(), dir[512], file[600];
	unsigned char s1[32], s2[32];
	store_key key, *keys = NULL;
	store_token tok, got;
	store_auth auth, a2;
	store_session ses;
	store_invoice inv;
	ksef_buf ct = KSEF_BUF_INIT;
	size_t n;
	struct stat sb;
	int64_t ts = 0;
	ksef_error err;
	store *st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/deeper/data", tmp);
	st = open_store(dir);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(file, sizeof(file), "%s/ksefd.sqlite3", dir);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 077, 0);

	memset(&key, 0, sizeof(key));
	key.usage = 3;
	strcpy(key.public_key_id, "PKID");
	key.cert_b64 = "CERT";
	key.key_pem = "-----BEGIN PRIVATE KEY-----";
	ok(store_key_add(st, &key, &err), &err);
	ok(store_secret(st, "jwt", s1, sizeof(s1), &err), &err);
	memset(&tok, 0, sizeof(tok));
	strcpy(tok.ref, "EC-1");
	strcpy(tok.secret_hash, "HASH-1");
	strcpy(tok.status, "Active");
	ok(store_token_add(st, &tok, &err), &err);
	ok(store_challenge_add(st, "CR-1", 1234, "127.0.0.1", &err), &err);
	memset(&auth, 0, sizeof(auth));
	strcpy(auth.ref, "AU-1");
	auth.status = 100;
	ok(store_auth_add(st, &auth, &err), &err);
	add_session(st, "SO-1", "5265877635", 1000, 10);
	assert_int_equal(accept_one(st, "EE-1", "SO-1", NULL, NULL), 0);
	store_close(st);

	st = open_store(dir);
	ok(store_keys_list(st, &keys, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].cert_b64, "CERT");
	assert_string_equal(keys[0].key_pem, "-----BEGIN PRIVATE KEY-----");
	assert_int_equal(keys[0].usage, 3);
	store_keys_free(keys, n);
	ok(store_secret(st, "jwt", s2, sizeof(s2), &err), &err);
	assert_memory_equal(s1, s2, sizeof(s1));
	ok(store_token_get(st, "EC-1", &got, &err), &err);
	assert_string_equal(got.status, "Active");
	ok(store_challenge_take(st, "CR-1", &ts, &err), &err);
	assert_int_equal(ts, 1234);
	ok(store_auth_get(st, "AU-1", &a2, &err), &err);
	assert_int_equal(a2.status, 100);
	ok(store_session_get(st, "SO-1", &ses, &err), &err);
	assert_int_equal(ses.invoice_count, 1);
	assert_int_equal(ses.wrapped_key_len, 256);
	assert_int_equal(ses.wrapped_key[255], 0xA5);
	assert_int_equal(ses.iv[15], 0x11);
	ok(store_invoice_get(st, "EE-1", &inv, &err), &err);
	assert_int_equal(inv.ordinal, 1);
	ok(store_invoice_ciphertext(st, "EE-1", &ct, &err), &err);
	assert_int_equal(ct.size, 32);
	assert_int_equal(ct.ptr[2], 3);
	ksef_buf_dispose(&ct);
	store_close(st);
	ts_rmdir(tmp);
}

static void migration_is_idempotent_and_a_newer_schema_is_refused(
	void **state)
{
	char *dir = ts_mkdtemp(), file[600];
	sqlite3 *db;
	sqlite3_stmt *s;
	ksef_error err;
	store *st;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		st = open_store(dir);
		add_session(st, i == 0 ? "SO-a" : i == 1 ? "SO-b" : "SO-c",
			    "5265877635", 1000 + i, 10);
		store_close(st);
	}
	snprintf(file, sizeof(file), "%s/ksefd.sqlite3", dir);
	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT user_version "
		"FROM pragma_user_version), (SELECT journal_mode FROM "
		"pragma_journal_mode), (SELECT count(*) FROM sessions)", -1,
		&s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), STORE_SCHEMA_VERSION);
	assert_string_equal((const char *)sqlite3_column_text(s, 1), "wal");
	assert_int_equal(sqlite3_column_int(s, 2), 3);
	sqlite3_finalize(s);
	/* A file from a newer ksefd must not be touched. */
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = NULL;
	assert_int_equal(store_open(&st, dir, &err), STORE_ERROR);
	assert_null(st);
	assert_non_null(strstr(err.message, "99"));
	ts_rmdir(dir);
}

/* ---- keys and secrets ---- */

static void keys_are_listed_newest_first_and_retired_by_either_id(
	void **state)
{
	char *dir = ts_mkdtemp(), id[32];
	store_key k1, k2, *keys = NULL;
	store *st = open_store(dir), *other;
	int64_t v0, v1, v2, v3, v4;
	ksef_error err;
	size_t n;

	(void)state;
	v0 = store_keys_version(st);
	assert_true(v0 > 0);
	memset(&k1, 0, sizeof(k1));
	k1.usage = 1;
	strcpy(k1.public_key_id, "AAAA");
	k1.cert_b64 = "C1";
	k1.key_pem = "K1";
	k1.valid_from_ms = 10;
	k1.valid_to_ms = 20;
	k2 = k1;
	k2.usage = 2;
	strcpy(k2.public_key_id, "BBBB");
	k2.cert_b64 = "C2";
	ok(store_key_add(st, &k1, &err), &err);
	v1 = store_keys_version(st);
	assert_true(v1 != v0);
	ok(store_key_add(st, &k2, &err), &err);
	assert_true(k2.id > k1.id);
	v2 = store_keys_version(st);
	assert_true(v2 != v1);

	ok(store_keys_list(st, &keys, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_int_equal(keys[0].id, k2.id);
	assert_string_equal(keys[0].public_key_id, "BBBB");
	assert_int_equal(keys[1].valid_to_ms, 20);
	assert_int_equal(keys[0].retired, 0);
	store_keys_free(keys, n);

	snprintf(id, sizeof(id), "%lld", (long long)k1.id);
	ok(store_key_retire(st, id, &err), &err);
	ok(store_key_retire(st, "BBBB", &err), &err);
	assert_int_equal(store_key_retire(st, "nope", &err), STORE_NOT_FOUND);
	assert_int_equal(store_key_retire(st, "999", &err), STORE_NOT_FOUND);
	v3 = store_keys_version(st);
	assert_true(v3 != v2);
	ok(store_keys_list(st, &keys, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_int_equal(keys[0].retired, 1);
	assert_int_equal(keys[1].retired, 1);
	store_keys_free(keys, n);

	/* `ksefd keys rotate` is another process with its own connections:
	 * a second store on the same file stands in for it. */
	other = open_store(dir);
	k1.key_pem = "K3";
	ok(store_key_add(other, &k1, &err), &err);
	store_close(other);
	v4 = store_keys_version(st);
	assert_true(v4 != v3);
	store_close(st);
	ts_rmdir(dir);
}

static void secrets_are_random_per_name_and_stable_across_reopen(
	void **state)
{
	char *dir = ts_mkdtemp();
	unsigned char a[32], b[32], c[32], zero[32] = { 0 };
	ksef_error err;
	store *st = open_store(dir);

	(void)state;
	ok(store_secret(st, "jwt", a, sizeof(a), &err), &err);
	ok(store_secret(st, "hmac", b, sizeof(b), &err), &err);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	/* The same name asked for with another length is refused. */
	assert_int_equal(store_secret(st, "jwt", c, 16, &err), STORE_INVALID);
	assert_int_equal(store_secret(st, "jwt", c, 0, &err), STORE_INVALID);
	store_close(st);
	st = open_store(dir);
	ok(store_secret(st, "jwt", c, sizeof(c), &err), &err);
	assert_memory_equal(a, c, sizeof(a));
	store_close(st);
	ts_rmdir(dir);
}

/* ---- the writer's health ---- */

struct batches {
	int count, committed;
	size_t writes;
};

static void on_batch(void *arg, size_t writes, int committed)
{
	struct batches *b = arg;

	b->count++;
	b->committed += committed;
	b->writes += writes;
}

static int64_t probe_row(const char *dir)
{
	char path[512];
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int64_t v = -1;

	snprintf(path, sizeof(path), "%s/ksefd.sqlite3", dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM meta "
		"WHERE name = 'health_probe'", -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

/* An idle store proves it takes writes with a write of its own, which
 * the batch observer sees and the file keeps; a commit that changed a
 * row within fresh_ms is proof enough, with no write added. */
static void the_writer_proves_it_takes_writes_and_reports_its_batches(
	void **state)
{
	char *dir = ts_mkdtemp();
	struct batches b = { 0, 0, 0 };
	ksef_error err;
	store *st = open_store(dir);
	int64_t first;

	(void)state;
	store_on_batch(st, on_batch, &b);
	assert_int_equal(store_queued(st), 0);
	assert_int_equal(probe_row(dir), -1);
	ok(store_check_writable(st, 60000, &err), &err);
	assert_int_equal(b.count, 1);
	assert_int_equal(b.committed, 1);
	assert_int_equal(b.writes, 1);
	first = probe_row(dir);
	assert_true(first > 0);
	/* within the minute: the probe's own commit is the proof */
	ok(store_check_writable(st, 60000, &err), &err);
	assert_int_equal(b.count, 1);
	/* no commit is recent enough for -1: another write */
	ok(store_check_writable(st, -1, &err), &err);
	assert_int_equal(b.count, 2);
	assert_int_equal(b.committed, 2);
	assert_true(probe_row(dir) >= first);
	store_on_batch(st, NULL, NULL);
	ok(store_check_writable(st, -1, &err), &err);
	assert_int_equal(b.count, 2);
	store_close(st);
	ts_rmdir(dir);
}

/* ---- tokens ---- */

static void add_token(store *st, const char *ref, const char *hash,
		      const char *status, const char *desc,
		      const char *author, int64_t created)
{
	store_token t;
	ksef_error err;

	memset(&t, 0, sizeof(t));
	strcpy(t.ref, ref);
	strcpy(t.secret_hash, hash);
	strcpy(t.ctx_type, "Nip");
	strcpy(t.ctx_value, "5265877635");
	strcpy(t.author_type, author[0] == 'F' ? "Fingerprint" : "Nip");
	strcpy(t.author_value, author);
	strcpy(t.permissions, "InvoiceRead,InvoiceWrite");
	strcpy(t.description, desc);
	strcpy(t.status, status);
	t.created_ms = created;
	ok(store_token_add(st, &t, &err), &err);
}

static void tokens_are_found_by_hash_filtered_and_paged_newest_first(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_token t, *list = NULL;
	store_token_query q;
	ksef_error err;
	size_t n, total;
	char seen[8][STORE_REF_SZ];

	(void)state;
	add_token(st, "EC-1", "h1", "Pending", "Faktury Biuro", "5265877635",
		  1000);
	add_token(st, "EC-2", "h2", "Active", "biuro rachunkowe",
		  "5265877635", 2000);
	add_token(st, "EC-3", "h3", "Active", "ERP", "FINGERPRINT-AB", 2000);
	add_token(st, "EC-4", "h4", "Revoked", "old ERP", "9999999999",
		  3000);
	add_token(st, "EC-5", "h5", "Failed", "x", "5265877635", 4000);

	/* A duplicate secret or reference is refused; an unknown status too. */
	memset(&t, 0, sizeof(t));
	strcpy(t.ref, "EC-9");
	strcpy(t.secret_hash, "h1");
	strcpy(t.status, "Active");
	assert_int_equal(store_token_add(st, &t, &err), STORE_EXISTS);
	strcpy(t.status, "Sleeping");
	strcpy(t.secret_hash, "h9");
	assert_int_equal(store_token_add(st, &t, &err), STORE_INVALID);

	ok(store_token_find(st, "h3", &t, &err), &err);
	assert_string_equal(t.ref, "EC-3");
	assert_string_equal(t.author_type, "Fingerprint");
	assert_int_equal(store_token_find(st, "nope", &t, &err),
			 STORE_NOT_FOUND);
	ok(store_token_set_status(st, "EC-1", "Active", &err), &err);
	assert_int_equal(store_token_set_status(st, "EC-1", "Bogus", &err),
			 STORE_INVALID);
	assert_int_equal(store_token_set_status(st, "EC-0", "Active", &err),
			 STORE_NOT_FOUND);
	ok(store_token_touch(st, "EC-1", 7777, &err), &err);
	ok(store_token_get(st, "EC-1", &t, &err), &err);
	assert_string_equal(t.status, "Active");
	assert_int_equal(t.last_use_ms, 7777);
	assert_string_equal(t.permissions, "InvoiceRead,InvoiceWrite");

	/* Paging two at a time visits all five, newest first, the two of
	 * the same millisecond by reference. */
	memset(&q, 0, sizeof(q));
	q.ctx_type = "Nip";
	q.ctx_value = "5265877635";
	q.limit = 2;
	total = 0;
	do {
		ok(store_tokens_list(st, &q, &list, &n, &err), &err);
		for (size_t i = 0; i < n; i++)
			strcpy(seen[total++], list[i].ref);
		if (n > 0) {
			q.after_created_ms = list[n - 1].created_ms;
			strcpy(seen[7], list[n - 1].ref);
			q.after_ref = seen[7];
		}
		free(list);
	} while (n == 2);
	assert_int_equal(total, 5);
	assert_string_equal(seen[0], "EC-5");
	assert_string_equal(seen[1], "EC-4");
	assert_string_equal(seen[2], "EC-3");
	assert_string_equal(seen[3], "EC-2");
	assert_string_equal(seen[4], "EC-1");

	/* Status bits: Active is bit 1, Revoked bit 3. */
	memset(&q, 0, sizeof(q));
	q.ctx_type = "Nip";
	q.ctx_value = "5265877635";
	q.limit = 10;
	q.statuses = 1u << 3;
	ok(store_tokens_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].ref, "EC-4");
	free(list);
	q.statuses = (1u << 1) | (1u << 4);
	ok(store_tokens_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 4); /* EC-1 is Active now */
	free(list);
	q.statuses = 0;
	q.description = "BIURO";
	ok(store_tokens_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 2);
	free(list);
	q.description = NULL;
	q.author_value = "PRINT";
	ok(store_tokens_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].ref, "EC-3");
	free(list);
	q.author_value = NULL;
	q.author_type = "Nip";
	ok(store_tokens_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 4);
	free(list);
	q.ctx_value = "1111111111";
	q.author_type = NULL;
	ok(store_tokens_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 0);
	assert_null(list);
	q.ctx_value = NULL;
	assert_int_equal(store_tokens_list(st, &q, &list, &n, &err),
			 STORE_INVALID);
	store_close(st);
	ts_rmdir(dir);
}

/* ---- challenges and authentication ---- */

static void a_challenge_is_taken_once(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	ksef_error err;
	int64_t ts = 0;

	(void)state;
	ok(store_challenge_add(st, "CR-1", 42, "10.0.0.1", &err), &err);
	assert_int_equal(store_challenge_add(st, "CR-1", 43, "", &err),
			 STORE_EXISTS);
	assert_int_equal(store_challenge_take(st, "CR-2", &ts, &err),
			 STORE_NOT_FOUND);
	ok(store_challenge_take(st, "CR-1", &ts, &err), &err);
	assert_int_equal(ts, 42);
	assert_int_equal(store_challenge_take(st, "CR-1", &ts, &err),
			 STORE_NOT_FOUND);
	store_close(st);
	ts_rmdir(dir);
}

static void challenges_past_their_time_are_forgotten(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	ksef_error err;
	int64_t ts = 0;
	int n = -1;

	(void)state;
	ok(store_challenge_add(st, "CR-old", 1000, "10.0.0.1", &err), &err);
	ok(store_challenge_add(st, "CR-used", 1500, "10.0.0.1", &err), &err);
	ok(store_challenge_take(st, "CR-used", &ts, &err), &err);
	ok(store_challenge_add(st, "CR-edge", 2000, "10.0.0.1", &err), &err);
	ok(store_challenge_add(st, "CR-new", 3000, "10.0.0.1", &err), &err);
	/* Issued before 2000, used or not: gone. At 2000 and after: kept. */
	ok(store_challenges_purge(st, 2000, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_int_equal(store_challenge_take(st, "CR-old", &ts, &err),
			 STORE_NOT_FOUND);
	ok(store_challenge_take(st, "CR-edge", &ts, &err), &err);
	assert_int_equal(ts, 2000);
	ok(store_challenge_take(st, "CR-new", &ts, &err), &err);
	/* Nothing left before 2000: a second purge forgets nothing. */
	ok(store_challenges_purge(st, 2000, &n, &err), &err);
	assert_int_equal(n, 0);
	ok(store_challenges_purge(st, 5000, NULL, &err), &err);
	ok(store_challenge_add(st, "CR-new", 6000, "10.0.0.1", &err), &err);
	store_close(st);
	ts_rmdir(dir);
}

static void add_auth(store *st, const char *ref, int64_t start)
{
	store_auth a;
	ksef_error err;

	memset(&a, 0, sizeof(a));
	strcpy(a.ref, ref);
	strcpy(a.ctx_type, "Nip");
	strcpy(a.ctx_value, "5265877635");
	strcpy(a.subject_type, "Token");
	strcpy(a.method, "Token");
	a.status = 100;
	a.start_ms = start;
	ok(store_auth_add(st, &a, &err), &err);
}

static void authentication_is_redeemed_once_revoked_and_listed(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_auth a, *list = NULL;
	ksef_error err;
	size_t n;

	(void)state;
	add_auth(st, "AU-1", 1000);
	add_auth(st, "AU-2", 2000);
	add_auth(st, "AU-3", 2000);
	add_auth(st, "AU-4", 3000); /* never redeemed */

	ok(store_auth_get(st, "AU-1", &a, &err), &err);
	strcpy(a.subject_value, "5265877635");
	strcpy(a.token_ref, "EC-1");
	strcpy(a.permissions, "InvoiceWrite");
	a.status = 200;
	ok(store_auth_finish(st, &a, &err), &err);
	strcpy(a.ref, "AU-0");
	assert_int_equal(store_auth_finish(st, &a, &err), STORE_NOT_FOUND);
	ok(store_auth_get(st, "AU-1", &a, &err), &err);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.token_ref, "EC-1");
	assert_int_equal(a.redeemed, 0);

	ok(store_auth_redeem(st, "AU-1", 100000, &err), &err);
	assert_int_equal(store_auth_redeem(st, "AU-1", 100000, &err),
			 STORE_WRONG_STATE);
	assert_int_equal(store_auth_redeem(st, "AU-0", 100000, &err),
			 STORE_NOT_FOUND);
	ok(store_auth_redeem(st, "AU-2", 100000, &err), &err);
	ok(store_auth_redeem(st, "AU-3", 100000, &err), &err);
	ok(store_auth_refreshed(st, "AU-1", 5000, &err), &err);
	assert_int_equal(store_auth_refreshed(st, "AU-0", 5000, &err),
			 STORE_NOT_FOUND);
	ok(store_auth_get(st, "AU-1", &a, &err), &err);
	assert_int_equal(a.redeemed, 1);
	assert_int_equal(a.refresh_valid_until_ms, 100000);
	assert_int_equal(a.last_refresh_ms, 5000);

	/* Active ones, newest first, paged by (start, ref). */
	ok(store_auth_list(st, "Nip", "5265877635", 6000, 0, NULL, 2, &list,
			   &n, &err), &err);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].ref, "AU-3");
	assert_string_equal(list[1].ref, "AU-2");
	free(list);
	ok(store_auth_list(st, "Nip", "5265877635", 6000, 2000, "AU-2", 2,
			   &list, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].ref, "AU-1");
	free(list);
	/* Past the refresh validity none is active. */
	ok(store_auth_list(st, "Nip", "5265877635", 100000, 0, NULL, 10,
			   &list, &n, &err), &err);
	assert_int_equal(n, 0);

	ok(store_auth_revoke(st, "AU-3", &err), &err);
	assert_int_equal(store_auth_revoke(st, "AU-0", &err), STORE_NOT_FOUND);
	ok(store_auth_get(st, "AU-3", &a, &err), &err);
	assert_int_equal(a.revoked, 1);
	assert_int_equal(a.status, 425);
	ok(store_auth_list(st, "Nip", "5265877635", 6000, 0, NULL, 10, &list,
			   &n, &err), &err);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].ref, "AU-2");
	free(list);
	store_close(st);
	ts_rmdir(dir);
}

/* ---- sessions ---- */

static int has_ref(char (*refs)[STORE_REF_SZ], size_t n, const char *ref)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(refs[i], ref) == 0)
			return 1;
	return 0;
}

static void sessions_close_expire_and_finish_as_200_440_or_445(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_session s;
	char (*refs)[STORE_REF_SZ] = NULL;
	ksef_error err;
	size_t n;
	int status = 0, count = 0;

	(void)state;
	add_session(st, "SO-ok", "5265877635", 1000, 10);
	add_session(st, "SO-empty", "5265877635", 1000, 10);
	add_session(st, "SO-bad", "5265877635", 1000, 10);
	add_session(st, "SO-busy", "5265877635", 1000, 10);
	add_session(st, "SO-open", "5265877635", 1000, 10);
	s = session("SO-old", "5265877635", 0, 10);
	s.valid_until_ms = 2000;
	ok(store_session_add(st, &s, &err), &err);
	assert_int_equal(store_session_add(st, &s, &err), STORE_EXISTS);

	assert_int_equal(accept_one(st, "EE-ok1", "SO-ok", NULL, NULL), 0);
	assert_int_equal(accept_one(st, "EE-ok2", "SO-ok", NULL, NULL), 0);
	assert_int_equal(accept_one(st, "EE-bad1", "SO-bad", NULL, NULL), 0);
	assert_int_equal(accept_one(st, "EE-bad2", "SO-bad", NULL, NULL), 0);
	assert_int_equal(accept_one(st, "EE-busy", "SO-busy", NULL, NULL), 0);
	assert_int_equal(finish(st, "EE-ok1", 200, "FV/1", "K-1", NULL, NULL),
			 0);
	assert_int_equal(finish(st, "EE-ok2", 450, "FV/2", "", NULL, NULL), 0);
	assert_int_equal(finish(st, "EE-bad1", 430, "", "", NULL, NULL), 0);
	assert_int_equal(finish(st, "EE-bad2", 450, "FV/3", "", NULL, NULL),
			 0);

	ok(store_session_close(st, "SO-ok", 3000, &status, &err), &err);
	assert_int_equal(status, 170);
	assert_int_equal(store_session_close(st, "SO-ok", 3000, &status,
					     &err), STORE_WRONG_STATE);
	assert_int_equal(status, 170);
	assert_non_null(strstr(err.message, "170"));
	assert_int_equal(store_session_close(st, "SO-none", 3000, &status,
					     &err), STORE_NOT_FOUND);
	ok(store_session_close(st, "SO-empty", 3000, NULL, &err), &err);
	ok(store_session_close(st, "SO-bad", 3000, NULL, &err), &err);
	ok(store_session_close(st, "SO-busy", 3000, NULL, &err), &err);

	/* Expiry closes only open sessions past their validity. */
	ok(store_sessions_expire(st, 2000, &count, &err), &err);
	assert_int_equal(count, 1);
	ok(store_session_get(st, "SO-old", &s, &err), &err);
	assert_int_equal(s.status, 170);
	assert_int_equal(s.closed_ms, 2000);
	ok(store_sessions_expire(st, 2000, &count, &err), &err);
	assert_int_equal(count, 0);

	/* SO-busy waits for its invoice; SO-open is not closed. */
	ok(store_sessions_finish(st, 9000, verdict_session_final,
				 &refs, &n, &err), &err);
	assert_int_equal(n, 4);
	assert_true(has_ref(refs, n, "SO-ok"));
	assert_true(has_ref(refs, n, "SO-empty"));
	assert_true(has_ref(refs, n, "SO-bad"));
	assert_true(has_ref(refs, n, "SO-old"));
	free(refs);
	ok(store_session_get(st, "SO-ok", &s, &err), &err);
	assert_int_equal(s.status, 200);
	assert_int_equal(s.updated_ms, 9000);
	assert_int_equal(s.invoice_count, 2);
	assert_int_equal(s.success_count, 1);
	assert_int_equal(s.failed_count, 1);
	ok(store_session_get(st, "SO-empty", &s, &err), &err);
	assert_int_equal(s.status, 440);
	ok(store_session_get(st, "SO-bad", &s, &err), &err);
	assert_int_equal(s.status, 445);
	assert_int_equal(s.failed_count, 2);
	ok(store_session_get(st, "SO-open", &s, &err), &err);
	assert_int_equal(s.status, 100);

	assert_int_equal(finish(st, "EE-busy", 200, "FV/9", "K-9", NULL, NULL),
			 0);
	ok(store_sessions_finish(st, 9500, verdict_session_final,
				 &refs, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(refs[0], "SO-busy");
	free(refs);
	ok(store_sessions_finish(st, 9600, verdict_session_final,
				 &refs, &n, &err), &err);
	assert_int_equal(n, 0);
	assert_null(refs);

	ok(store_session_set_upo(st, "SO-ok", "EU-1", 9700, &err), &err);
	assert_int_equal(store_session_set_upo(st, "SO-no", "EU-1", 9700,
					       &err), STORE_NOT_FOUND);
	ok(store_session_get(st, "SO-ok", &s, &err), &err);
	assert_string_equal(s.upo_ref, "EU-1");
	store_close(st);
	ts_rmdir(dir);
}

static void sessions_are_listed_by_filters_and_paged_newest_first(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_session s, *list = NULL;
	store_session_query q;
	char after[STORE_REF_SZ], (*refs)[STORE_REF_SZ] = NULL;
	ksef_error err;
	size_t n, total = 0;
	int i;

	(void)state;
	for (i = 0; i < 7; i++) {
		char ref[16];

		snprintf(ref, sizeof(ref), "SO-%d", i);
		s = session(ref, "5265877635", 1000 * (i / 2 + 1), 10);
		if (i == 6)
			strcpy(s.subject_value, "1111111111");
		ok(store_session_add(st, &s, &err), &err);
	}
	add_session(st, "SO-x", "9999999999", 1000, 10);
	ok(store_session_close(st, "SO-1", 5000, NULL, &err), &err);
	ok(store_session_close(st, "SO-2", 6000, NULL, &err), &err);
	ok(store_sessions_finish(st, 7000, verdict_session_final,
				 &refs, &n, &err), &err);
	assert_int_equal(n, 2);
	free(refs);

	memset(&q, 0, sizeof(q));
	q.ctx_type = "Nip";
	q.ctx_value = "5265877635";
	q.limit = 3;
	do {
		ok(store_sessions_list(st, &q, &list, &n, &err), &err);
		for (size_t j = 0; j < n; j++, total++)
			if (total == 0)
				assert_string_equal(list[j].ref, "SO-6");
		if (n > 0) {
			q.after_created_ms = list[n - 1].created_ms;
			strcpy(after, list[n - 1].ref);
			q.after_ref = after;
		}
		free(list);
	} while (n == 3);
	assert_int_equal(total, 7);

	memset(&q, 0, sizeof(q));
	q.ctx_type = "Nip";
	q.ctx_value = "5265877635";
	q.limit = 100;
	q.statuses = 8; /* Cancelled: the two closed empty ones are 440 */
	ok(store_sessions_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 2);
	free(list);
	q.statuses = 1; /* InProgress */
	ok(store_sessions_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 5);
	free(list);
	q.statuses = 2 | 4;
	ok(store_sessions_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 0);
	q.statuses = 0;
	q.closed_from = 5500;
	ok(store_sessions_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].ref, "SO-2");
	free(list);
	q.closed_from = 0;
	q.closed_to = 5500;
	ok(store_sessions_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].ref, "SO-1");
	free(list);
	q.closed_to = 0;
	q.created_from = 2000;
	q.created_to = 3000;
	ok(store_sessions_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 4);
	free(list);
	q.created_from = q.created_to = 0;
	q.updated_from = 6500;
	ok(store_sessions_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 2); /* finished at 7000 */
	free(list);
	q.updated_from = 0;
	q.subject_value = "1111111111";
	ok(store_sessions_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].ref, "SO-6");
	free(list);
	q.subject_value = NULL;
	q.ref = "SO-3";
	ok(store_sessions_list(st, &q, &list, &n, &err), &err);
	assert_int_equal(n, 1);
	free(list);
	store_close(st);
	ts_rmdir(dir);
}

/* ---- invoices ---- */

static void accept_numbers_invoices_and_refuses_closed_full_or_unknown(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_session s;
	store_invoice v;
	ksef_error err;
	int ord = 0, status = 0;

	(void)state;
	add_session(st, "SO-1", "5265877635", 1000, 3);
	for (int i = 1; i <= 3; i++) {
		char ref[16];

		snprintf(ref, sizeof(ref), "EE-%d", i);
		assert_int_equal(accept_one(st, ref, "SO-1", &ord, NULL), 0);
		assert_int_equal(ord, i);
	}
	assert_int_equal(accept_one(st, "EE-4", "SO-1", &ord, &status),
			 STORE_FULL);
	assert_int_equal(store_invoice_get(st, "EE-4", &v, &err),
			 STORE_NOT_FOUND);
	/* The same reference twice is refused, and counts nothing. */
	add_session(st, "SO-2", "5265877635", 1000, 10);
	assert_int_equal(accept_one(st, "EE-1", "SO-2", NULL, &status),
			 STORE_EXISTS);
	assert_int_equal(status, 100);
	ok(store_session_get(st, "SO-2", &s, &err), &err);
	assert_int_equal(s.invoice_count, 0);
	assert_int_equal(accept_one(st, "EE-5", "SO-9", NULL, &status),
			 STORE_NOT_FOUND);
	ok(store_session_close(st, "SO-2", 2000, NULL, &err), &err);
	status = 0;
	assert_int_equal(accept_one(st, "EE-6", "SO-2", NULL, &status),
			 STORE_WRONG_STATE);
	assert_int_equal(status, 170);

	ok(store_session_get(st, "SO-1", &s, &err), &err);
	assert_int_equal(s.invoice_count, 3);
	assert_int_equal(s.updated_ms, 5000);
	ok(store_invoice_get(st, "EE-2", &v, &err), &err);
	assert_int_equal(v.ordinal, 2);
	assert_int_equal(v.status, 100);
	assert_string_equal(v.invoice_hash, "H-EE-2");
	assert_int_equal(v.encrypted_size, 112);
	store_close(st);
	ts_rmdir(dir);
}

static void a_second_invoice_with_the_same_key_is_a_440_duplicate(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_invoice v;
	store_session s;
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_error err;
	int dup = -1;

	(void)state;
	add_session(st, "SO-A", "5265877635", 1000, 10);
	add_session(st, "SO-B", "5265877635", 2000, 10);
	assert_int_equal(accept_one(st, "EE-1", "SO-A", NULL, NULL), 0);
	assert_int_equal(accept_one(st, "EE-2", "SO-B", NULL, NULL), 0);
	assert_int_equal(accept_one(st, "EE-3", "SO-B", NULL, NULL), 0);
	assert_int_equal(accept_one(st, "EE-4", "SO-B", NULL, NULL), 0);

	assert_int_equal(finish(st, "EE-1", 200, "FV/2025/1",
				"5265877635-20250626-010080DD2B5E-26", &v,
				&dup), 0);
	assert_int_equal(dup, 0);
	assert_int_equal(v.status, 200);
	/* A verdict is recorded once. */
	assert_int_equal(finish(st, "EE-1", 450, "FV/2025/1", "", NULL, NULL),
			 STORE_WRONG_STATE);

	assert_int_equal(finish(st, "EE-2", 200, "FV/2025/1",
				"5265877635-20250626-010080DD2B5F-27", &v,
				&dup), 0);
	assert_int_equal(dup, 1);
	assert_int_equal(v.status, 440);
	assert_string_equal(v.orig_ksef_number,
			    "5265877635-20250626-010080DD2B5E-26");
	assert_string_equal(v.orig_session_ref, "SO-A");
	assert_string_equal(v.ksef_number, "");
	assert_non_null(strstr(v.status_details, "SO-A"));

	ok(store_invoice_get(st, "EE-2", &v, &err), &err);
	assert_int_equal(v.status, 440);
	assert_string_equal(v.orig_ksef_number,
			    "5265877635-20250626-010080DD2B5E-26");
	assert_string_equal(v.orig_session_ref, "SO-A");
	assert_string_equal(v.invoice_number, "FV/2025/1");
	assert_int_equal(store_invoice_plaintext(st, "EE-2", &xml, &err),
			 STORE_NOT_FOUND);

	/* Another kind or number is no duplicate. */
	assert_int_equal(finish(st, "EE-3", 200, "FV/2025/2",
				"5265877635-20250626-010080DD2B60-28", &v,
				&dup), 0);
	assert_int_equal(dup, 0);
	/* A failed invoice holds no key: its number stays free. */
	assert_int_equal(finish(st, "EE-4", 450, "FV/2025/3", "", &v, &dup),
			 0);

	ok(store_session_get(st, "SO-B", &s, &err), &err);
	assert_int_equal(s.success_count, 1);
	assert_int_equal(s.failed_count, 2);
	ok(store_invoice_by_ksef_number(st,
		"5265877635-20250626-010080DD2B5E-26", &v, &err), &err);
	assert_string_equal(v.ref, "EE-1");
	assert_int_equal(v.acquisition_ms, 6000);
	assert_string_equal(v.invoicing_mode, "Online");
	assert_int_equal(store_invoice_by_ksef_number(st, "", &v, &err),
			 STORE_NOT_FOUND);
	ok(store_invoice_plaintext(st, "EE-1", &xml, &err), &err);
	assert_string_equal((char *)xml.ptr, "<Faktura/>");
	ksef_buf_dispose(&xml);
	assert_int_equal(finish(st, "EE-9", 200, "x", "y", NULL, NULL),
			 STORE_NOT_FOUND);

	/* Technical correction look-up: by context and plaintext hash. */
	ok(store_invoice_by_hash(st, "5265877635", "H-EE-3", &v, &err), &err);
	assert_string_equal(v.ref, "EE-3");
	assert_int_equal(store_invoice_by_hash(st, "1111111111", "H-EE-3", &v,
					       &err), STORE_NOT_FOUND);
	store_close(st);
	ts_rmdir(dir);
}

static void a_held_duplicate_key_is_reported_and_nothing_is_written(
	void **state)
{
	static const char xml[] = "<Faktura/>";
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	ksef_buf buf = KSEF_BUF_INIT;
	store_invoice v, got;
	store_session s;
	ksef_error err;

	(void)state;
	add_session(st, "SO-A", "5265877635", 1000, 10);
	add_session(st, "SO-B", "5265877635", 2000, 10);
	assert_int_equal(accept_one(st, "EE-1", "SO-A", NULL, NULL), 0);
	assert_int_equal(accept_one(st, "EE-2", "SO-B", NULL, NULL), 0);
	assert_int_equal(finish(st, "EE-1", 200, "FV/1", "K-1", NULL, NULL),
			 0);

	/* The store answers with the holder, and decides nothing: no
	 * status, no wording, no counter. */
	memset(&v, 0, sizeof(v));
	strcpy(v.ref, "EE-2");
	v.status = 200;
	strcpy(v.seller_nip, "5265877635");
	strcpy(v.invoice_kind, "VAT");
	strcpy(v.invoice_number, "FV/1");
	strcpy(v.ksef_number, "K-2");
	assert_int_equal(store_invoice_finish(st, &v,
		(const unsigned char *)xml, sizeof(xml) - 1, &err),
		STORE_EXISTS);
	assert_int_equal(err.code, store_result_code(STORE_EXISTS));
	assert_non_null(strstr(err.message, "K-1"));
	assert_string_equal(v.orig_ksef_number, "K-1");
	assert_string_equal(v.orig_session_ref, "SO-A");
	assert_string_equal(v.session_ref, "SO-B");
	assert_int_equal(v.status, 200);
	assert_string_equal(v.status_details, "");

	ok(store_invoice_get(st, "EE-2", &got, &err), &err);
	assert_int_equal(got.status, 100);
	assert_string_equal(got.status_details, "");
	assert_string_equal(got.ksef_number, "");
	assert_int_equal(store_invoice_plaintext(st, "EE-2", &buf, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_invoice_by_ksef_number(st, "K-2", &got, &err),
			 STORE_NOT_FOUND);
	ok(store_session_get(st, "SO-B", &s, &err), &err);
	assert_int_equal(s.success_count, 0);
	assert_int_equal(s.failed_count, 0);

	/* Asked again, the same answer: a held key is never released. */
	assert_int_equal(store_invoice_finish(st, &v,
		(const unsigned char *)xml, sizeof(xml) - 1, &err),
		STORE_EXISTS);
	assert_string_equal(v.orig_ksef_number, "K-1");

	/* What the caller makes of it is recorded as given. */
	verdict_duplicate(&v);
	ok(store_invoice_finish(st, &v, NULL, 0, &err), &err);
	ok(store_invoice_get(st, "EE-2", &got, &err), &err);
	assert_int_equal(got.status, 440);
	assert_string_equal(got.status_details, v.status_details);
	assert_string_equal(got.orig_ksef_number, "K-1");
	ok(store_session_get(st, "SO-B", &s, &err), &err);
	assert_int_equal(s.failed_count, 1);
	store_close(st);
	ts_rmdir(dir);
}

/* Final-status rules for the test below: one the store must refuse, and
 * one whose every status says which counts it was given. */
static int not_final(const store_session_tally *t)
{
	(void)t;
	return 170;
}

static int status_from_counts(const store_session_tally *t)
{
	return 200 + 100 * t->invoice_count + 10 * t->success_count +
	       t->failed_count;
}

static void finished_sessions_get_the_status_the_caller_decides(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	char (*refs)[STORE_REF_SZ] = NULL;
	store_session s;
	ksef_error err;
	size_t n = 9;

	(void)state;
	add_session(st, "SO-1", "5265877635", 1000, 10);
	add_session(st, "SO-2", "5265877635", 1000, 10);
	assert_int_equal(accept_one(st, "EE-1", "SO-1", NULL, NULL), 0);
	assert_int_equal(accept_one(st, "EE-2", "SO-1", NULL, NULL), 0);
	assert_int_equal(finish(st, "EE-1", 200, "FV/1", "K-1", NULL, NULL),
			 0);
	assert_int_equal(finish(st, "EE-2", 450, "FV/2", "", NULL, NULL), 0);
	ok(store_session_close(st, "SO-1", 3000, NULL, &err), &err);
	ok(store_session_close(st, "SO-2", 3000, NULL, &err), &err);

	/* A status that is not final is refused, and sets none. */
	assert_int_equal(store_sessions_finish(st, 4000, not_final, &refs, &n,
					       &err), STORE_INVALID);
	assert_null(refs);
	assert_int_equal(n, 0);
	assert_int_equal(store_sessions_finish(st, 4000, NULL, &refs, &n,
					       &err), STORE_INVALID);
	ok(store_session_get(st, "SO-1", &s, &err), &err);
	assert_int_equal(s.status, 170);

	ok(store_sessions_finish(st, 5000, status_from_counts, &refs, &n,
				 &err), &err);
	assert_int_equal(n, 2);
	free(refs);
	ok(store_session_get(st, "SO-1", &s, &err), &err);
	assert_int_equal(s.status, 200 + 200 + 10 + 1);
	assert_int_equal(s.updated_ms, 5000);
	ok(store_session_get(st, "SO-2", &s, &err), &err);
	assert_int_equal(s.status, 200);
	/* Once: a finished session is not finished again. */
	ok(store_sessions_finish(st, 6000, status_from_counts, &refs, &n,
				 &err), &err);
	assert_int_equal(n, 0);
	store_close(st);
	ts_rmdir(dir);
}

static void each_result_has_the_nearest_library_code(void **state)
{
	(void)state;
	assert_int_equal(store_result_code(STORE_OK), 0);
	assert_int_equal(store_result_code(STORE_NOT_FOUND), KSEF_ENOTFOUND);
	assert_int_equal(store_result_code(STORE_EXISTS), KSEF_EINVAL);
	assert_int_equal(store_result_code(STORE_WRONG_STATE), KSEF_EINVAL);
	assert_int_equal(store_result_code(STORE_FULL), KSEF_ETOOBIG);
	assert_int_equal(store_result_code(STORE_INVALID), KSEF_EINVAL);
	assert_int_equal(store_result_code(STORE_TOO_BIG), KSEF_ETOOBIG);
	assert_int_equal(store_result_code(STORE_NO_MEMORY), KSEF_ENOMEM);
	assert_int_equal(store_result_code(STORE_ERROR), KSEF_EIO);
}

static void invoices_are_listed_in_ordinal_pages_and_failed_only(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_invoice *list = NULL;
	ksef_error err;
	size_t n;
	int after = 0, total = 0;

	(void)state;
	add_session(st, "SO-1", "5265877635", 1000, 100);
	for (int i = 1; i <= 25; i++) {
		char ref[16], p2[16];

		snprintf(ref, sizeof(ref), "EE-%d", i);
		snprintf(p2, sizeof(p2), "FV/%d", i);
		assert_int_equal(accept_one(st, ref, "SO-1", NULL, NULL), 0);
		if (i % 5 == 0)
			assert_int_equal(finish(st, ref, 450, p2, "", NULL,
						NULL), 0);
	}
	do {
		ok(store_invoices_list(st, "SO-1", 0, after, 10, &list, &n,
				       &err), &err);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(list[i].ordinal, ++total);
		if (n > 0)
			after = list[n - 1].ordinal;
		free(list);
	} while (n == 10);
	assert_int_equal(total, 25);

	ok(store_invoices_list(st, "SO-1", 1, 0, 3, &list, &n, &err), &err);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].ordinal, 5);
	assert_int_equal(list[2].ordinal, 15);
	assert_int_equal(list[2].status, 450);
	free(list);
	ok(store_invoices_list(st, "SO-1", 1, 15, 3, &list, &n, &err), &err);
	assert_int_equal(n, 2);
	free(list);
	ok(store_invoices_list(st, "SO-none", 0, 0, 3, &list, &n, &err), &err);
	assert_int_equal(n, 0);
	store_close(st);
	ts_rmdir(dir);
}

/* The console's first page: every context with sessions, tokens or
 * grants, counted, the most recently active first, in pages. */
static void contexts_are_listed_with_counts_newest_activity_first(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_context_row *rows = NULL;
	store_session s;
	store_invoice v;
	ksef_error err;
	size_t n;

	(void)state;
	ok(store_contexts_list(st, 0, 10, &rows, &n, &err), &err);
	assert_int_equal(n, 0);
	free(rows);
	/* 5265877635: two sessions, one with two invoices (which stamp it
	 * with their time, 5000), and a token; 1111111111: one session, at
	 * 3000; 7010002222: a token only, at 9000. */
	add_session(st, "SO-1", "5265877635", 1000, 10);
	add_session(st, "SO-2", "5265877635", 2000, 10);
	for (int i = 1; i <= 2; i++) {
		char ref[16];

		snprintf(ref, sizeof(ref), "EE-%d", i);
		v = invoice(ref, "SO-2");
		ok(store_invoice_accept(st, &v, (const unsigned char *)"x", 1,
					NULL, &err), &err);
	}
	s = session("SO-3", "1111111111", 3000, 10);
	ok(store_session_add(st, &s, &err), &err);
	add_token(st, "EC-1", "hash-1", "Active", "t", "5265877635", 1500);
	{
		store_token t;

		memset(&t, 0, sizeof(t));
		strcpy(t.ref, "EC-2");
		strcpy(t.secret_hash, "hash-2");
		strcpy(t.ctx_type, "Nip");
		strcpy(t.ctx_value, "7010002222");
		strcpy(t.author_type, "Nip");
		strcpy(t.author_value, "7010002222");
		strcpy(t.status, "Active");
		t.created_ms = 9000;
		ok(store_token_add(st, &t, &err), &err);
	}
	ok(store_contexts_list(st, 0, 10, &rows, &n, &err), &err);
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].ctx_value, "7010002222");
	assert_int_equal(rows[0].sessions, 0);
	assert_int_equal(rows[0].tokens, 1);
	assert_int_equal(rows[0].last_ms, 9000);
	assert_string_equal(rows[1].ctx_type, "Nip");
	assert_string_equal(rows[1].ctx_value, "5265877635");
	assert_int_equal(rows[1].sessions, 2);
	assert_int_equal(rows[1].invoices, 2);
	assert_int_equal(rows[1].tokens, 1);
	assert_int_equal(rows[1].permissions, 0);
	assert_int_equal(rows[1].last_ms, 5000);
	assert_string_equal(rows[2].ctx_value, "1111111111");
	assert_int_equal(rows[2].sessions, 1);
	assert_int_equal(rows[2].invoices, 0);
	assert_int_equal(rows[2].last_ms, 3000);
	free(rows);
	/* paged: the second and third, then nothing */
	ok(store_contexts_list(st, 1, 2, &rows, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].ctx_value, "5265877635");
	assert_string_equal(rows[1].ctx_value, "1111111111");
	free(rows);
	ok(store_contexts_list(st, 3, 2, &rows, &n, &err), &err);
	assert_int_equal(n, 0);
	free(rows);
	store_close(st);
	ts_rmdir(dir);
}

static void pending_invoices_are_there_after_reopen_oldest_first(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	char (*refs)[STORE_REF_SZ] = NULL;
	store_invoice v;
	ksef_error err;
	size_t n;

	(void)state;
	add_session(st, "SO-1", "5265877635", 1000, 10);
	for (int i = 1; i <= 4; i++) {
		char ref[16];

		snprintf(ref, sizeof(ref), "EE-%d", i);
		v = invoice(ref, "SO-1");
		v.invoicing_ms = 10000 - i; /* later refs are older */
		ok(store_invoice_accept(st, &v, (const unsigned char *)"x", 1,
					NULL, &err), &err);
	}
	assert_int_equal(finish(st, "EE-2", 200, "FV/1", "K-1", NULL, NULL),
			 0);
	assert_int_equal(finish(st, "EE-3", 150, "", "", NULL, NULL), 0);
	store_close(st);

	st = open_store(dir);
	ok(store_invoices_pending(st, &refs, &n, &err), &err);
	assert_int_equal(n, 3);
	assert_string_equal(refs[0], "EE-4");
	assert_string_equal(refs[1], "EE-3");
	assert_string_equal(refs[2], "EE-1");
	free(refs);
	store_close(st);
	ts_rmdir(dir);
}

/* ---- UPO support: new record fields, accepted invoices ---- */

static void auth_doc_hash_and_invoice_issue_date_round_trip(void **state)
{
	static const char hash1[] =
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
	static const char hash2[] =
		"LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_auth a, *auths = NULL;
	store_invoice v, *rows = NULL;
	ksef_error err;
	size_t n;

	(void)state;
	/* An operation without a document (a KSeF token) reads back "". */
	add_auth(st, "AU-0", 1000);
	ok(store_auth_get(st, "AU-0", &a, &err), &err);
	assert_string_equal(a.doc_hash, "");

	memset(&a, 0, sizeof(a));
	strcpy(a.ref, "AU-1");
	strcpy(a.ctx_type, "Nip");
	strcpy(a.ctx_value, "5265877635");
	strcpy(a.method, "QualifiedSignature");
	strcpy(a.doc_hash, hash1);
	a.status = 100;
	a.start_ms = 2000;
	ok(store_auth_add(st, &a, &err), &err);
	memset(&a, 0, sizeof(a));
	ok(store_auth_get(st, "AU-1", &a, &err), &err);
	assert_string_equal(a.doc_hash, hash1);
	/* Finishing writes the hash of the document that was verified. */
	strcpy(a.doc_hash, hash2);
	a.status = 200;
	ok(store_auth_finish(st, &a, &err), &err);
	ok(store_auth_get(st, "AU-1", &a, &err), &err);
	assert_string_equal(a.doc_hash, hash2);
	assert_int_equal(a.status, 200);
	ok(store_auth_redeem(st, "AU-1", 100000, &err), &err);
	ok(store_auth_list(st, "Nip", "5265877635", 3000, 0, NULL, 10, &auths,
			   &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(auths[0].doc_hash, hash2);
	free(auths);

	/* Accept may leave the issue date unknown; the verdict sets it. */
	add_session(st, "SO-1", "5265877635", 1000, 10);
	assert_int_equal(accept_one(st, "EE-1", "SO-1", NULL, NULL), 0);
	v = invoice("EE-2", "SO-1");
	strcpy(v.issue_date, "2025-06-01");
	ok(store_invoice_accept(st, &v, (const unsigned char *)"x", 1, NULL,
				&err), &err);
	ok(store_invoice_get(st, "EE-1", &v, &err), &err);
	assert_string_equal(v.issue_date, "");
	ok(store_invoice_get(st, "EE-2", &v, &err), &err);
	assert_string_equal(v.issue_date, "2025-06-01");

	memset(&v, 0, sizeof(v));
	strcpy(v.ref, "EE-1");
	v.status = 200;
	strcpy(v.seller_nip, "5265877635");
	strcpy(v.invoice_kind, "VAT");
	strcpy(v.invoice_number, "FV/1");
	strcpy(v.ksef_number, "5265877635-20250626-010080DD2B5E-26");
	strcpy(v.invoicing_mode, "Online");
	strcpy(v.issue_date, "2025-06-26");
	ok(store_invoice_finish(st, &v, (const unsigned char *)"<F/>", 4,
				&err), &err);
	memset(&v, 0, sizeof(v));
	ok(store_invoice_get(st, "EE-1", &v, &err), &err);
	assert_string_equal(v.issue_date, "2025-06-26");
	ok(store_invoice_by_ksef_number(st,
		"5265877635-20250626-010080DD2B5E-26", &v, &err), &err);
	assert_string_equal(v.issue_date, "2025-06-26");
	ok(store_invoice_by_hash(st, "5265877635", "H-EE-1", &v, &err), &err);
	assert_string_equal(v.issue_date, "2025-06-26");
	ok(store_invoices_list(st, "SO-1", 0, 0, 10, &rows, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].issue_date, "2025-06-26");
	assert_string_equal(rows[1].issue_date, "2025-06-01");
	free(rows);
	ok(store_invoices_accepted(st, "SO-1", 0, 10, &rows, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].issue_date, "2025-06-26");
	free(rows);

	/* And both survive a reopen. */
	store_close(st);
	st = open_store(dir);
	ok(store_auth_get(st, "AU-1", &a, &err), &err);
	assert_string_equal(a.doc_hash, hash2);
	ok(store_invoice_get(st, "EE-1", &v, &err), &err);
	assert_string_equal(v.issue_date, "2025-06-26");
	store_close(st);
	ts_rmdir(dir);
}

static void accepted_invoices_are_listed_in_ordinal_pages_after_the_cursor(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_invoice *rows = NULL;
	ksef_error err;
	size_t n;
	int after = 0, total = 0, expect = 0;

	(void)state;
	add_session(st, "SO-1", "5265877635", 1000, 100);
	add_session(st, "SO-2", "5265877635", 1000, 100);
	/* Of 20: every fifth fails, every seventh stays pending, the 18th
	 * is a 440 duplicate of the 1st; the rest are accepted. */
	for (int i = 1; i <= 20; i++) {
		char ref[16], p2[16], ksef[48];

		snprintf(ref, sizeof(ref), "EE-%d", i);
		snprintf(p2, sizeof(p2), "FV/%d", i == 18 ? 1 : i);
		snprintf(ksef, sizeof(ksef), "K-%d", i);
		assert_int_equal(accept_one(st, ref, "SO-1", NULL, NULL), 0);
		if (i % 5 == 0)
			assert_int_equal(finish(st, ref, 450, p2, "", NULL,
						NULL), 0);
		else if (i % 7 != 0)
			assert_int_equal(finish(st, ref, 200, p2, ksef, NULL,
						NULL), 0);
	}
	assert_int_equal(accept_one(st, "EE-other", "SO-2", NULL, NULL), 0);
	assert_int_equal(finish(st, "EE-other", 200, "FV/x", "K-x", NULL,
				NULL), 0);

	do {
		ok(store_invoices_accepted(st, "SO-1", after, 4, &rows, &n,
					   &err), &err);
		for (size_t i = 0; i < n; i++) {
			/* The next accepted ordinal after `expect`. */
			do
				expect++;
			while (expect % 5 == 0 || expect % 7 == 0 ||
			       expect == 18);
			assert_int_equal(rows[i].ordinal, expect);
			assert_int_equal(rows[i].status, 200);
			assert_string_equal(rows[i].session_ref, "SO-1");
			total++;
		}
		if (n > 0)
			after = rows[n - 1].ordinal;
		free(rows);
	} while (n == 4);
	assert_int_equal(total, 13);

	ok(store_invoices_accepted(st, "SO-1", 19, 4, &rows, &n, &err), &err);
	assert_int_equal(n, 0);
	assert_null(rows);
	ok(store_invoices_accepted(st, "SO-none", 0, 4, &rows, &n, &err),
	   &err);
	assert_int_equal(n, 0);
	assert_int_equal(store_invoices_accepted(st, NULL, 0, 4, &rows, &n,
						 &err), STORE_INVALID);
	store_close(st);
	ts_rmdir(dir);
}

/* ---- UPO documents and pages ---- */

static void a_upo_key_keeps_its_first_document(void **state)
{
	char *dir = ts_mkdtemp(), key[64];
	store *st = open_store(dir);
	ksef_buf out = KSEF_BUF_INIT;
	static const unsigned char first[] = "<UPO>first\0binary</UPO>";
	ksef_error err;

	(void)state;
	assert_int_equal(store_upo_get(st, "EE-1", &out, &err),
			 STORE_NOT_FOUND);
	assert_null(out.ptr);
	ok(store_upo_put(st, "EE-1", first, sizeof(first) - 1, &err), &err);
	ok(store_upo_put(st, "EE-1", (const unsigned char *)"<UPO>second</UPO>",
			 17, &err), &err);
	ok(store_upo_get(st, "EE-1", &out, &err), &err);
	assert_int_equal(out.size, sizeof(first) - 1);
	assert_memory_equal(out.ptr, first, sizeof(first) - 1);
	assert_int_equal(out.ptr[out.size], '\0');
	/* A second get replaces what the buffer held. */
	ok(store_upo_get(st, "EE-1", &out, &err), &err);
	assert_int_equal(out.size, sizeof(first) - 1);
	ksef_buf_dispose(&out);

	/* Refused: no key, an overlong key, no document, too big. */
	memset(key, 'K', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_int_equal(store_upo_put(st, NULL, first, 3, &err),
			 STORE_INVALID);
	assert_int_equal(store_upo_put(st, key, first, 3, &err), STORE_INVALID);
	assert_int_equal(store_upo_put(st, "EE-2", NULL, 3, &err),
			 STORE_INVALID);
	assert_int_equal(store_upo_put(st, "EE-2", first, 0, &err),
			 STORE_INVALID);
	assert_int_equal(store_upo_put(st, "EE-2", first,
				       (size_t)KSEF_UPO_MAX_BYTES + 1, &err),
			 STORE_TOO_BIG);
	assert_int_equal(store_upo_get(st, "EE-2", &out, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_upo_get(st, NULL, &out, &err), STORE_INVALID);

	store_close(st);
	st = open_store(dir);
	ok(store_upo_get(st, "EE-1", &out, &err), &err);
	assert_memory_equal(out.ptr, first, sizeof(first) - 1);
	ksef_buf_dispose(&out);
	store_close(st);
	ts_rmdir(dir);
}

#define UPO_RACERS 8

struct upo_racer {
	store *st;
	int id;
	int rc;
	ksef_buf got;
};

/* Each racer signs "its own" UPO for the same invoice, keeps it, and
 * reads back what was kept, as upo_service.c does. */
static void *put_then_get(void *arg)
{
	struct upo_racer *r = arg;
	char doc[64];
	int n = snprintf(doc, sizeof(doc), "<UPO signer=\"%d\"/>", r->id);

	r->rc = store_upo_put(r->st, "EE-race", (const unsigned char *)doc,
			      (size_t)n, NULL);
	if (r->rc == 0)
		r->rc = store_upo_get(r->st, "EE-race", &r->got, NULL);
	return NULL;
}

static void concurrent_first_upo_requests_all_get_the_same_bytes(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	struct upo_racer racers[UPO_RACERS];
	pthread_t tid[UPO_RACERS];

	(void)state;
	for (int i = 0; i < UPO_RACERS; i++) {
		racers[i].st = st;
		racers[i].id = i;
		racers[i].rc = -1;
		racers[i].got = (ksef_buf)KSEF_BUF_INIT;
		assert_int_equal(pthread_create(&tid[i], NULL, put_then_get,
						&racers[i]), 0);
	}
	for (int i = 0; i < UPO_RACERS; i++)
		pthread_join(tid[i], NULL);
	for (int i = 0; i < UPO_RACERS; i++) {
		assert_int_equal(racers[i].rc, 0);
		assert_non_null(strstr((const char *)racers[i].got.ptr,
				       "<UPO signer=\""));
		assert_int_equal(racers[i].got.size, racers[0].got.size);
		assert_memory_equal(racers[i].got.ptr, racers[0].got.ptr,
				    racers[0].got.size);
	}
	for (int i = 0; i < UPO_RACERS; i++)
		ksef_buf_dispose(&racers[i].got);
	store_close(st);
	ts_rmdir(dir);
}

static void session_upo_pages_are_set_once_and_read_in_page_order(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	char first[12][STORE_REF_SZ], second[2][STORE_REF_SZ];
	char (*refs)[STORE_REF_SZ] = NULL;
	ksef_error err;
	size_t n = 99;

	(void)state;
	add_session(st, "SO-1", "5265877635", 1000, 10);
	add_session(st, "SO-2", "5265877635", 1000, 10);
	/* Twelve pages: page 10 must come after page 9, not after page 1. */
	for (int i = 0; i < 12; i++)
		snprintf(first[i], sizeof(first[i]), "EU-%c-page", 'L' - i);
	strcpy(second[0], "EU-other-1");
	strcpy(second[1], "EU-other-2");

	assert_int_equal(store_upo_pages(st, "SO-1", &refs, &n, &err),
			 STORE_NOT_FOUND);
	assert_null(refs);
	assert_int_equal(n, 0);
	assert_int_equal(store_upo_pages_set(st, "SO-none", first, 12, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_upo_pages_set(st, "SO-1", first, 0, &err),
			 STORE_INVALID);
	assert_int_equal(store_upo_pages_set(st, NULL, first, 1, &err),
			 STORE_INVALID);

	ok(store_upo_pages_set(st, "SO-1", first, 12, &err), &err);
	/* A second assignment is ignored: the first pages stay. */
	ok(store_upo_pages_set(st, "SO-1", second, 2, &err), &err);
	ok(store_upo_pages(st, "SO-1", &refs, &n, &err), &err);
	assert_int_equal(n, 12);
	for (int i = 0; i < 12; i++)
		assert_string_equal(refs[i], first[i]);
	free(refs);
	refs = NULL;

	/* Another session's pages are its own. */
	assert_int_equal(store_upo_pages(st, "SO-2", &refs, &n, &err),
			 STORE_NOT_FOUND);
	ok(store_upo_pages_set(st, "SO-2", second, 2, &err), &err);
	store_close(st);
	st = open_store(dir);
	ok(store_upo_pages(st, "SO-2", &refs, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_string_equal(refs[0], "EU-other-1");
	assert_string_equal(refs[1], "EU-other-2");
	free(refs);
	store_close(st);
	ts_rmdir(dir);
}

/* ---- permission grants ---- */

static void grants_are_set_replaced_read_and_revoked(void **state)
{
	char *dir = ts_mkdtemp(), perms[STORE_PERMS_SZ], longer[300];
	store *st = open_store(dir);
	ksef_error err;

	(void)state;
	assert_int_equal(store_grant_get(st, "Nip", "5265877635", "Pesel",
					 "90010112345", perms, &err),
			 STORE_NOT_FOUND);
	ok(store_grant_set(st, "Nip", "5265877635", "Pesel", "90010112345",
			   "InvoiceRead", &err), &err);
	ok(store_grant_get(st, "Nip", "5265877635", "Pesel", "90010112345",
			   perms, &err), &err);
	assert_string_equal(perms, "InvoiceRead");
	/* Setting again replaces. */
	ok(store_grant_set(st, "Nip", "5265877635", "Pesel", "90010112345",
			   "InvoiceRead,InvoiceWrite", &err), &err);
	ok(store_grant_get(st, "Nip", "5265877635", "Pesel", "90010112345",
			   perms, &err), &err);
	assert_string_equal(perms, "InvoiceRead,InvoiceWrite");

	/* Each part of the key counts: another type, value or context. */
	ok(store_grant_set(st, "Nip", "5265877635", "Nip", "90010112345",
			   "CredentialsRead", &err), &err);
	assert_int_equal(store_grant_get(st, "Nip", "1111111111", "Pesel",
					 "90010112345", perms, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_grant_get(st, "Nip", "5265877635", "Pesel",
					 "90010112346", perms, &err),
			 STORE_NOT_FOUND);
	ok(store_grant_get(st, "Nip", "5265877635", "Nip", "90010112345",
			   perms, &err), &err);
	assert_string_equal(perms, "CredentialsRead");

	ok(store_grant_revoke(st, "Nip", "5265877635", "Pesel", "90010112345",
			      &err), &err);
	assert_int_equal(store_grant_get(st, "Nip", "5265877635", "Pesel",
					 "90010112345", perms, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_grant_revoke(st, "Nip", "5265877635", "Pesel",
					    "90010112345", &err),
			 STORE_NOT_FOUND);
	/* The other grant is untouched. */
	ok(store_grant_get(st, "Nip", "5265877635", "Nip", "90010112345",
			   perms, &err), &err);

	/* Refused: a subject type grants do not know, overlong fields. */
	assert_int_equal(store_grant_set(st, "Nip", "5265877635", "Token",
					 "EC-1", "InvoiceRead", &err),
			 STORE_INVALID);
	memset(longer, 'P', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(store_grant_set(st, "Nip", "5265877635", "Nip",
					 "90010112345", longer, &err),
			 STORE_INVALID);
	assert_int_equal(store_grant_set(st, "Nip", longer, "Nip",
					 "90010112345", "x", &err),
			 STORE_INVALID);
	assert_int_equal(store_grant_get(st, "Nip", "5265877635", NULL,
					 "90010112345", perms, &err),
			 STORE_INVALID);

	store_close(st);
	st = open_store(dir);
	ok(store_grant_get(st, "Nip", "5265877635", "Nip", "90010112345",
			   perms, &err), &err);
	assert_string_equal(perms, "CredentialsRead");
	store_close(st);
	ts_rmdir(dir);
}

/* ---- migration from an older schema ---- */

/* What ksefd wrote at schema version 1, frozen here: the migration test
 * starts from an old file, not from today's schema. */
static const char schema_v1[] =
	"CREATE TABLE meta ("
	"  name TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL);"
	"INSERT INTO meta (name, value) VALUES ('keys_version', 1);"

	"CREATE TABLE secrets ("
	"  name TEXT PRIMARY KEY,"
	"  value BLOB NOT NULL);"

	"CREATE TABLE keys ("
	"  id INTEGER PRIMARY KEY,"
	"  usage INTEGER NOT NULL,"
	"  public_key_id TEXT NOT NULL,"
	"  cert_b64 TEXT NOT NULL,"
	"  key_pem TEXT NOT NULL,"
	"  valid_from_ms INTEGER NOT NULL,"
	"  valid_to_ms INTEGER NOT NULL,"
	"  retired INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX keys_public_key_id ON keys (public_key_id);"
	"CREATE TRIGGER keys_inserted AFTER INSERT ON keys BEGIN"
	"  UPDATE meta SET value = value + 1 WHERE name = 'keys_version';"
	"END;"
	"CREATE TRIGGER keys_updated AFTER UPDATE ON keys BEGIN"
	"  UPDATE meta SET value = value + 1 WHERE name = 'keys_version';"
	"END;"
	"CREATE TRIGGER keys_deleted AFTER DELETE ON keys BEGIN"
	"  UPDATE meta SET value = value + 1 WHERE name = 'keys_version';"
	"END;"

	"CREATE TABLE tokens ("
	"  ref TEXT PRIMARY KEY,"
	"  secret_hash TEXT NOT NULL UNIQUE,"
	"  ctx_type TEXT NOT NULL,"
	"  ctx_value TEXT NOT NULL,"
	"  author_type TEXT NOT NULL,"
	"  author_value TEXT NOT NULL,"
	"  permissions TEXT NOT NULL,"
	"  description TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  last_use_ms INTEGER NOT NULL);"
	"CREATE INDEX tokens_by_context ON tokens"
	"  (ctx_type, ctx_value, created_ms, ref);"

	"CREATE TABLE challenges ("
	"  challenge TEXT PRIMARY KEY,"
	"  ts_ms INTEGER NOT NULL,"
	"  client_ip TEXT NOT NULL,"
	"  used INTEGER NOT NULL DEFAULT 0);"

	"CREATE TABLE auth_ops ("
	"  ref TEXT PRIMARY KEY,"
	"  ctx_type TEXT NOT NULL,"
	"  ctx_value TEXT NOT NULL,"
	"  subject_type TEXT NOT NULL,"
	"  subject_value TEXT NOT NULL,"
	"  method TEXT NOT NULL,"
	"  token_ref TEXT NOT NULL,"
	"  permissions TEXT NOT NULL,"
	"  allowed_ips TEXT NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  status_details TEXT NOT NULL,"
	"  start_ms INTEGER NOT NULL,"
	"  redeemed INTEGER NOT NULL,"
	"  refresh_valid_until_ms INTEGER NOT NULL,"
	"  last_refresh_ms INTEGER NOT NULL,"
	"  revoked INTEGER NOT NULL);"
	"CREATE INDEX auth_ops_by_context ON auth_ops"
	"  (ctx_type, ctx_value, start_ms, ref);"

	"CREATE TABLE sessions ("
	"  ref TEXT PRIMARY KEY,"
	"  auth_ref TEXT NOT NULL,"
	"  ctx_type TEXT NOT NULL,"
	"  ctx_value TEXT NOT NULL,"
	"  subject_value TEXT NOT NULL,"
	"  form INTEGER NOT NULL,"
	"  key_id INTEGER NOT NULL,"
	"  wrapped_key BLOB NOT NULL,"
	"  iv BLOB NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL,"
	"  valid_until_ms INTEGER NOT NULL,"
	"  closed_ms INTEGER NOT NULL,"
	"  invoice_count INTEGER NOT NULL,"
	"  success_count INTEGER NOT NULL,"
	"  failed_count INTEGER NOT NULL,"
	"  max_invoices INTEGER NOT NULL,"
	"  upo_ref TEXT NOT NULL);"
	"CREATE INDEX sessions_by_context ON sessions"
	"  (ctx_type, ctx_value, created_ms, ref);"
	"CREATE INDEX sessions_by_status ON sessions (status, valid_until_ms);"

	"CREATE TABLE invoices ("
	"  ref TEXT PRIMARY KEY,"
	"  session_ref TEXT NOT NULL REFERENCES sessions (ref),"
	"  ordinal INTEGER NOT NULL,"
	"  invoice_hash TEXT NOT NULL,"
	"  invoice_size INTEGER NOT NULL,"
	"  encrypted_hash TEXT NOT NULL,"
	"  encrypted_size INTEGER NOT NULL,"
	"  offline_mode INTEGER NOT NULL,"
	"  hash_of_corrected TEXT NOT NULL,"
	"  invoicing_ms INTEGER NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  status_details TEXT NOT NULL,"
	"  orig_ksef_number TEXT NOT NULL,"
	"  orig_session_ref TEXT NOT NULL,"
	"  invoice_number TEXT NOT NULL,"
	"  seller_nip TEXT NOT NULL,"
	"  invoice_kind TEXT NOT NULL,"
	"  ksef_number TEXT NOT NULL,"
	"  acquisition_ms INTEGER NOT NULL,"
	"  permanent_storage_ms INTEGER NOT NULL,"
	"  invoicing_mode TEXT NOT NULL,"
	"  UNIQUE (session_ref, ordinal));"
	"CREATE UNIQUE INDEX invoices_by_ksef_number ON invoices (ksef_number)"
	"  WHERE ksef_number <> '';"
	"CREATE INDEX invoices_by_hash ON invoices (invoice_hash);"
	"CREATE INDEX invoices_pending ON invoices (session_ref)"
	"  WHERE status IN (100, 150);"

	/* kind 0: ciphertext as received; kind 1: plaintext of an invoice
	 * that reached 200. */
	"CREATE TABLE invoice_blobs ("
	"  invoice_ref TEXT NOT NULL REFERENCES invoices (ref),"
	"  kind INTEGER NOT NULL,"
	"  data BLOB NOT NULL,"
	"  PRIMARY KEY (invoice_ref, kind));"

	/* The duplicate key of SPEC 8.3, held by the accepted original. */
	"CREATE TABLE invoice_keys ("
	"  seller_nip TEXT NOT NULL,"
	"  invoice_kind TEXT NOT NULL,"
	"  invoice_number TEXT NOT NULL,"
	"  invoice_ref TEXT NOT NULL UNIQUE REFERENCES invoices (ref),"
	"  PRIMARY KEY (seller_nip, invoice_kind, invoice_number));"

	"PRAGMA user_version = 1;";

static void a_version_1_database_migrates_and_keeps_its_rows(void **state)
{
	char *dir = ts_mkdtemp(), file[600];
	store *st;
	store_auth a;
	store_session s;
	store_invoice v, *rows = NULL;
	ksef_buf buf = KSEF_BUF_INIT;
	char perms[STORE_PERMS_SZ];
	ksef_error err;
	sqlite3 *db;
	sqlite3_stmt *q;
	size_t n;
	int ord = 0;

	(void)state;
	snprintf(file, sizeof(file), "%s/ksefd.sqlite3", dir);
	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema_v1, NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"INSERT INTO auth_ops VALUES ('AU-1', 'Nip', '5265877635',"
		" 'Nip', '5265877635', 'Token', 'EC-1', 'InvoiceWrite', '',"
		" 200, '', 1000, 1, 100000, 0, 0);"
		"INSERT INTO sessions VALUES ('SO-1', 'AU-1', 'Nip',"
		" '5265877635', '5265877635', 3, 1, x'A5A5', zeroblob(16), 100,"
		" 1000, 1000, 100000, 0, 1, 1, 0, 10, '');"
		"INSERT INTO invoices VALUES ('EE-1', 'SO-1', 1, 'H-1', 100,"
		" 'EH', 112, 0, '', 5000, 200, '', '', '', 'FV/1', '5265877635',"
		" 'VAT', 'K-1', 6000, 0, 'Online');"
		"INSERT INTO invoice_blobs VALUES ('EE-1', 0, x'010203');"
		"INSERT INTO invoice_keys VALUES ('5265877635', 'VAT', 'FV/1',"
		" 'EE-1');", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	st = open_store(dir);
	/* The old rows, with the new columns empty. */
	ok(store_auth_get(st, "AU-1", &a, &err), &err);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.token_ref, "EC-1");
	assert_int_equal(a.refresh_valid_until_ms, 100000);
	assert_string_equal(a.doc_hash, "");
	ok(store_session_get(st, "SO-1", &s, &err), &err);
	assert_int_equal(s.success_count, 1);
	assert_int_equal(s.wrapped_key_len, 2);
	ok(store_invoice_get(st, "EE-1", &v, &err), &err);
	assert_string_equal(v.ksef_number, "K-1");
	assert_string_equal(v.invoicing_mode, "Online");
	assert_string_equal(v.issue_date, "");
	ok(store_invoice_ciphertext(st, "EE-1", &buf, &err), &err);
	assert_int_equal(buf.size, 3);
	assert_int_equal(buf.ptr[2], 3);
	ksef_buf_dispose(&buf);
	ok(store_invoices_accepted(st, "SO-1", 0, 10, &rows, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].ref, "EE-1");
	free(rows);

	/* The new columns and tables work on the migrated file. */
	strcpy(a.doc_hash, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	ok(store_auth_finish(st, &a, &err), &err);
	ok(store_auth_get(st, "AU-1", &a, &err), &err);
	assert_string_equal(a.doc_hash,
			    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	v = invoice("EE-2", "SO-1");
	strcpy(v.issue_date, "2025-06-26");
	ok(store_invoice_accept(st, &v, (const unsigned char *)"x", 1, NULL,
				&err), &err);
	assert_int_equal(v.ordinal, 2);
	ok(store_invoice_get(st, "EE-2", &v, &err), &err);
	assert_string_equal(v.issue_date, "2025-06-26");
	/* The old duplicate key still holds. */
	assert_int_equal(accept_one(st, "EE-3", "SO-1", &ord, NULL), 0);
	assert_int_equal(ord, 3);
	{
		int dup = 0;

		assert_int_equal(finish(st, "EE-3", 200, "FV/1", "K-3", &v,
					&dup), 0);
		assert_int_equal(dup, 1);
		assert_string_equal(v.orig_ksef_number, "K-1");
	}
	ok(store_upo_put(st, "EE-1", (const unsigned char *)"<UPO/>", 6, &err),
	   &err);
	ok(store_upo_get(st, "EE-1", &buf, &err), &err);
	assert_string_equal((const char *)buf.ptr, "<UPO/>");
	ksef_buf_dispose(&buf);
	ok(store_grant_set(st, "Nip", "5265877635", "Nip", "1111111111",
			   "InvoiceRead", &err), &err);
	ok(store_grant_get(st, "Nip", "5265877635", "Nip", "1111111111", perms,
			   &err), &err);
	assert_string_equal(perms, "InvoiceRead");
	store_close(st);

	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT user_version "
		"FROM pragma_user_version), (SELECT count(*) FROM invoices)",
		-1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), STORE_SCHEMA_VERSION);
	assert_int_equal(sqlite3_column_int(q, 1), 3);
	sqlite3_finalize(q);
	sqlite3_close(db);
	ts_rmdir(dir);
}

/* ---- concurrency and durability ---- */

#define THREADS 8
#define PER_THREAD 200

struct worker {
	store *st;
	int id;
	int failures;
	int ordinals[PER_THREAD];
};

/* Every tenth accept is followed by a refused one (its reference again),
 * which lands in the same commit groups as the others' accepts: its
 * savepoint must roll back alone, leaving no gap in the numbering. */
static void *accept_many(void *arg)
{
	struct worker *w = arg;
	int status;

	for (int i = 0; i < PER_THREAD; i++) {
		char ref[32];

		snprintf(ref, sizeof(ref), "EE-%d-%d", w->id, i);
		if (accept_one(w->st, ref, "SO-1", &w->ordinals[i], NULL) != 0)
			w->failures++;
		if (i % 10 == 0 &&
		    accept_one(w->st, ref, "SO-1", NULL, &status) !=
		    STORE_EXISTS)
			w->failures++;
	}
	return NULL;
}

static void concurrent_accepts_share_commits_and_number_without_gaps(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	static struct worker workers[THREADS];
	pthread_t tid[THREADS];
	unsigned char *seen = calloc(THREADS * PER_THREAD + 1, 1);
	store_session s;
	ksef_error err;
	int64_t t0, ms;

	(void)state;
	assert_non_null(seen);
	add_session(st, "SO-1", "5265877635", 1000, 10000);
	t0 = mono_ms();
	for (int i = 0; i < THREADS; i++) {
		workers[i].st = st;
		workers[i].id = i;
		workers[i].failures = 0;
		assert_int_equal(pthread_create(&tid[i], NULL, accept_many,
						&workers[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	ms = mono_ms() - t0;
	print_message("store: %d accepts (and %d refused) from %d threads "
		      "in %lld ms: %.0f accepts/s\n", THREADS * PER_THREAD,
		      THREADS * PER_THREAD / 10, THREADS,
		      (long long)ms,
		      ms > 0 ? THREADS * PER_THREAD * 1000.0 / (double)ms : 0.0);

	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(workers[i].failures, 0);
		for (int j = 0; j < PER_THREAD; j++) {
			int o = workers[i].ordinals[j];

			assert_true(o >= 1 && o <= THREADS * PER_THREAD);
			assert_int_equal(seen[o], 0);
			seen[o] = 1;
			/* One thread's accepts come back in order. */
			if (j > 0)
				assert_true(o > workers[i].ordinals[j - 1]);
		}
	}
	free(seen);
	ok(store_session_get(st, "SO-1", &s, &err), &err);
	assert_int_equal(s.invoice_count, THREADS * PER_THREAD);
	store_close(st);
	ts_rmdir(dir);
}

/* The child accepts invoices and reports each accepted ordinal through a
 * pipe the moment store_invoice_accept returns; the parent kills it with
 * SIGKILL mid-stream (no store_close, no exit handlers). Every reported
 * invoice must be in the file afterwards. */
static void child_accepts_until_killed(const char *dir, int fd)
{
	store *st = NULL;
	int i;

	if (store_open(&st, dir, NULL) != 0)
		_exit(2);
	for (i = 1; i <= 100000; i++) {
		char ref[32];
		int ord;

		snprintf(ref, sizeof(ref), "EE-%d", i);
		if (accept_one(st, ref, "SO-1", &ord, NULL) != 0 || ord != i)
			_exit(3);
		if (write(fd, &i, sizeof(i)) != (ssize_t)sizeof(i))
			_exit(4);
	}
	_exit(5);
}

static void accepted_invoices_survive_a_killed_process(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_session s;
	store_invoice v;
	ksef_error err;
	int fds[2], got = 0, last = 0, wst;
	pid_t pid;

	(void)state;
	add_session(st, "SO-1", "5265877635", 1000, 100000);
	store_close(st);

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child_accepts_until_killed(dir, fds[1]);
	}
	close(fds[1]);
	while (got < 50 && read(fds[0], &last, sizeof(last)) ==
	       (ssize_t)sizeof(last))
		got++;
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_true(WIFSIGNALED(wst));
	/* What the child reported before it died was accepted too. */
	while (read(fds[0], &last, sizeof(last)) == (ssize_t)sizeof(last))
		got++;
	close(fds[0]);
	assert_true(got >= 50);
	assert_int_equal(last, got);

	st = open_store(dir);
	ok(store_session_get(st, "SO-1", &s, &err), &err);
	assert_true(s.invoice_count >= got);
	for (int i = 1; i <= got; i++) {
		char ref[32];

		snprintf(ref, sizeof(ref), "EE-%d", i);
		ok(store_invoice_get(st, ref, &v, &err), &err);
		assert_int_equal(v.ordinal, i);
	}
	store_close(st);
	ts_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			open_creates_a_private_folder_and_reopen_keeps_everything),
		cmocka_unit_test(
			migration_is_idempotent_and_a_newer_schema_is_refused),
		cmocka_unit_test(
			keys_are_listed_newest_first_and_retired_by_either_id),
		cmocka_unit_test(
			secrets_are_random_per_name_and_stable_across_reopen),
		cmocka_unit_test(
		the_writer_proves_it_takes_writes_and_reports_its_batches),
		cmocka_unit_test(
			tokens_are_found_by_hash_filtered_and_paged_newest_first),
		cmocka_unit_test(a_challenge_is_taken_once),
		cmocka_unit_test(challenges_past_their_time_are_forgotten),
		cmocka_unit_test(
			authentication_is_redeemed_once_revoked_and_listed),
		cmocka_unit_test(
			sessions_close_expire_and_finish_as_200_440_or_445),
		cmocka_unit_test(
			sessions_are_listed_by_filters_and_paged_newest_first),
		cmocka_unit_test(
			accept_numbers_invoices_and_refuses_closed_full_or_unknown),
		cmocka_unit_test(
			a_second_invoice_with_the_same_key_is_a_440_duplicate),
		cmocka_unit_test(
			a_held_duplicate_key_is_reported_and_nothing_is_written),
		cmocka_unit_test(
			finished_sessions_get_the_status_the_caller_decides),
		cmocka_unit_test(each_result_has_the_nearest_library_code),
		cmocka_unit_test(
			invoices_are_listed_in_ordinal_pages_and_failed_only),
		cmocka_unit_test(
			pending_invoices_are_there_after_reopen_oldest_first),
		cmocka_unit_test(
			contexts_are_listed_with_counts_newest_activity_first),
		cmocka_unit_test(
			auth_doc_hash_and_invoice_issue_date_round_trip),
		cmocka_unit_test(
			accepted_invoices_are_listed_in_ordinal_pages_after_the_cursor),
		cmocka_unit_test(a_upo_key_keeps_its_first_document),
		cmocka_unit_test(
			concurrent_first_upo_requests_all_get_the_same_bytes),
		cmocka_unit_test(
			session_upo_pages_are_set_once_and_read_in_page_order),
		cmocka_unit_test(grants_are_set_replaced_read_and_revoked),
		cmocka_unit_test(
			a_version_1_database_migrates_and_keeps_its_rows),
		cmocka_unit_test(
			concurrent_accepts_share_commits_and_number_without_gaps),
		cmocka_unit_test(accepted_invoices_survive_a_killed_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
