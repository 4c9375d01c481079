/*
 * store_auth_test.c - authentication operations are forgotten once no
 * token of theirs can be used (past the status retention, refresh token
 * ended or never issued), a batch at a time; the sessions they opened
 * keep what their UPOs name, also in a store migrated from version 3.
 */
#include "testsupport.h"
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include "store.h"
#include "store_fixture.h"

/* An operation started at `start`, redeemed with a refresh token valid
 * until `refresh_until` (0: never redeemed). */
static void add_op(store *st, const char *ref, int64_t start,
		   int64_t refresh_until)
{
	store_auth a;
	ksef_error err;

	memset(&a, 0, sizeof(a));
	snprintf(a.ref, sizeof(a.ref), "%s", ref);
	strcpy(a.ctx_type, "Nip");
	strcpy(a.ctx_value, "5265877635");
	strcpy(a.subject_type, "Token");
	strcpy(a.method, "Token");
	strcpy(a.token_ref, "20250101-EC-1111111111-2222222222-33");
	a.status = 200;
	a.start_ms = start;
	ok(store_auth_add(st, &a, &err), &err);
	if (refresh_until != 0)
		ok(store_auth_redeem(st, ref, refresh_until, &err), &err);
}

static int exists(store *st, const char *ref)
{
	store_auth a;
	ksef_error err;

	return store_auth_get(st, ref, &a, &err) == 0;
}

static void operations_no_token_can_use_are_purged(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	ksef_error err;
	int n = -1;

	(void)state;
	add_op(st, "AU-old-unredeemed", 1000, 0);
	add_op(st, "AU-old-refresh-ended", 1000, 4000);
	add_op(st, "AU-old-refresh-valid", 1000, 9000);
	add_op(st, "AU-edge", 2000, 0);
	add_op(st, "AU-new", 3000, 0);
	/* Started before 2000, refresh not valid at 5000: gone. */
	ok(store_auth_purge(st, 2000, 5000, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_false(exists(st, "AU-old-unredeemed"));
	assert_false(exists(st, "AU-old-refresh-ended"));
	assert_true(exists(st, "AU-old-refresh-valid"));
	assert_true(exists(st, "AU-edge"));
	assert_true(exists(st, "AU-new"));
	ok(store_auth_purge(st, 2000, 5000, &n, &err), &err);
	assert_int_equal(n, 0);
	/* Once its refresh token has ended too, the last old one goes. */
	ok(store_auth_purge(st, 2000, 9001, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_false(exists(st, "AU-old-refresh-valid"));
	store_close(st);
	ts_rmdir(dir);
}

/* A flood is purged in batches, up to 10,000 a call. */
static void a_flood_is_purged_in_batches(void **state)
{
	char *dir = ts_mkdtemp(), ref[64];
	store *st = open_store(dir);
	ksef_error err;
	int i, n = -1;

	(void)state;
	for (i = 0; i < 1203; i++) {
		snprintf(ref, sizeof(ref), "AU-%d", i);
		add_op(st, ref, 1000, 0);
	}
	ok(store_auth_purge(st, 2000, 5000, &n, &err), &err);
	assert_int_equal(n, 1203);
	assert_false(exists(st, "AU-0"));
	assert_false(exists(st, "AU-1202"));
	store_close(st);
	ts_rmdir(dir);
}

static void add_session(store *st, const char *ref, const char *auth_ref,
			const char *token_ref, const char *doc_hash)
{
	store_session s;
	ksef_error err;

	memset(&s, 0, sizeof(s));
	snprintf(s.ref, sizeof(s.ref), "%s", ref);
	snprintf(s.auth_ref, sizeof(s.auth_ref), "%s", auth_ref);
	strcpy(s.ctx_type, "Nip");
	strcpy(s.ctx_value, "5265877635");
	s.form = 3;
	s.key_id = 1;
	s.wrapped_key_len = 256;
	s.status = 100;
	s.created_ms = s.updated_ms = 1000;
	s.valid_until_ms = 2000;
	s.max_invoices = 10;
	snprintf(s.auth_token_ref, sizeof(s.auth_token_ref), "%s", token_ref);
	snprintf(s.auth_doc_hash, sizeof(s.auth_doc_hash), "%s", doc_hash);
	ok(store_session_add(st, &s, &err), &err);
}

static void a_session_keeps_its_authentication_past_the_purge(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_session s;
	ksef_error err;

	(void)state;
	add_op(st, "AU-1", 1000, 0);
	add_session(st, "SO-1", "AU-1", "20250101-EC-1111111111-2222222222-33",
		    "");
	add_session(st, "SO-2", "AU-1", "",
		    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	ok(store_auth_purge(st, 2000, 5000, NULL, &err), &err);
	assert_false(exists(st, "AU-1"));
	ok(store_session_get(st, "SO-1", &s, &err), &err);
	assert_string_equal(s.auth_token_ref,
			    "20250101-EC-1111111111-2222222222-33");
	assert_string_equal(s.auth_doc_hash, "");
	ok(store_session_get(st, "SO-2", &s, &err), &err);
	assert_string_equal(s.auth_token_ref, "");
	assert_string_equal(s.auth_doc_hash,
			    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	store_close(st);
	ts_rmdir(dir);
}

/* A store of version 3 had the proof only in auth_ops: migrating copies it
 * into each session. The version-3 file is made by taking version 4's
 * additions away. */
static void migration_copies_the_proof_into_sessions(void **state)
{
	char *dir = ts_mkdtemp(), file[600];
	store *st = open_store(dir);
	store_session s;
	sqlite3 *db;
	ksef_error err;

	(void)state;
	add_op(st, "AU-1", 1000, 0);
	add_session(st, "SO-1", "AU-1", "", "");
	add_session(st, "SO-orphan", "AU-gone", "", "");
	store_close(st);
	snprintf(file, sizeof(file), "%s/ksefd.sqlite3", dir);
	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	/* Version 7's additions (permissions) go first, as its migration
	 * found no permissions and a grants table. */
	assert_int_equal(sqlite3_exec(db,
		"DROP TABLE permissions;"
		"DROP TABLE permission_ops;"
		/* version 8's (batch sessions) */
		"DROP TABLE batch_files;"
		"DROP TABLE batch_parts;"
		"ALTER TABLE invoices DROP COLUMN file_name;"
		/* version 11's (certificates) column; its tables stay */
		"ALTER TABLE auth_ops DROP COLUMN cert_subject;"
		"CREATE TABLE grants (ctx_type TEXT NOT NULL,"
		"  ctx_value TEXT NOT NULL, subject_type TEXT NOT NULL,"
		"  subject_value TEXT NOT NULL, permissions TEXT NOT NULL,"
		"  PRIMARY KEY (ctx_type, ctx_value, subject_type,"
		"  subject_value));"
		"DROP INDEX auth_ops_by_start;"
		"DROP INDEX invoices_by_corrected;"
		"ALTER TABLE sessions DROP COLUMN auth_token_ref;"
		"ALTER TABLE sessions DROP COLUMN auth_doc_hash;"
		"PRAGMA user_version = 3;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	st = open_store(dir);
	ok(store_session_get(st, "SO-1", &s, &err), &err);
	assert_string_equal(s.auth_token_ref,
			    "20250101-EC-1111111111-2222222222-33");
	ok(store_session_get(st, "SO-orphan", &s, &err), &err);
	assert_string_equal(s.auth_token_ref, "");
	assert_string_equal(s.auth_doc_hash, "");
	store_close(st);
	ts_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(operations_no_token_can_use_are_purged),
		cmocka_unit_test(a_flood_is_purged_in_batches),
		cmocka_unit_test(a_session_keeps_its_authentication_past_the_purge),
		cmocka_unit_test(migration_copies_the_proof_into_sessions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
