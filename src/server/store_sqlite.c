/*
 * store_sqlite.c - the SQLite implementation of store.h. It owns the
 * database file, its schema and migrations, every SQL statement ksefd runs,
 * and the thread and connections that run them. What the records mean
 * (status codes, limits, who may see what) belongs to the API handlers and
 * the verification workers; this file keeps the records consistent and
 * durable.
 *
 * DESIGN
 *
 * ksefd serves each HTTP connection on its own thread and verifies invoices
 * on worker threads, so every function here is called from many threads at
 * once. A SQLite connection must not be used by two threads at a time, so:
 *
 *  - Reads borrow a connection from a pool (opened on demand, at most
 *    STORE_MAX_READERS, kept until store_close). WAL mode lets them run
 *    while a write commits; each statement sees the last commit.
 *
 *  - Writes go through one writer thread, which owns the only connection
 *    of this process that writes. A caller packs its write into a struct
 *    op (a function and its arguments), queues it and sleeps. The writer
 *    takes everything queued, runs it in one BEGIN IMMEDIATE ... COMMIT
 *    with each op inside its own SAVEPOINT (so a failing op rolls back
 *    alone), commits, and wakes every caller with its own result. With
 *    synchronous=FULL each commit costs an fsync, and N concurrent invoice
 *    accepts share one: group commit. A write is durable when its call
 *    returns 0; if the commit fails, every op of the batch gets KSEF_EIO.
 *    Before taking a batch the writer waits up to STORE_GATHER_NS for
 *    the callers it just woke to queue again, which keeps a steady group
 *    (8 threads: batches of 8, not alternating 1 and 7).
 *
 *  - Another process (`ksefd keys rotate`) may open the same file with a
 *    writer of its own; BEGIN IMMEDIATE and busy_timeout serialise them.
 *
 * Each connection keeps its statements prepared (on first use), so the SQL
 * below is parsed once per connection. All SQL is constant text with bound
 * parameters; optional filters are written as (?N IS NULL OR ...) instead
 * of being assembled at run time.
 *
 * Schema. PRAGMA user_version holds the schema version; migrate() brings an
 * older file up to STORE_SCHEMA_VERSION in one transaction and refuses a
 * newer one. Invoice bytes live in invoice_blobs so that listing invoices
 * never reads megabytes of ciphertext. The duplicate key of invoice
 * verification (seller NIP, RodzajFaktury, P_2; SPEC 8.3) is the primary
 * key of invoice_keys, held only by invoices that reached status 200. The
 * keys table bumps a counter in meta from triggers, so store_keys_version()
 * sees key changes made by any process. A signed UPO is kept in upo_docs
 * under its key and never replaced: the first document stored is the one
 * every later request gets, byte for byte. A session's UPO page references
 * (upo_pages) are likewise written once.
 *
 * Records are copied out of the database into their fixed-size fields;
 * text longer than a field is cut at a UTF-8 character boundary (only a
 * damaged or foreign-written file holds such text, since writes go through
 * the same fields).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include "ksef/upo.h"
#include "store.h"
#include "util/util.h"

#define STORE_SCHEMA_VERSION 2
#define STORE_FILE_NAME "ksefd.sqlite3"
/* Read connections kept at most; more concurrent readers wait for one. */
#define STORE_MAX_READERS 32
/* How long a statement waits for another process's write lock. */
#define STORE_BUSY_MS 10000
/* How long the writer waits for the callers of its last batch to queue
 * their next writes (see writer_main). */
#define STORE_GATHER_NS 50000L
/* The longest secret store_secret() hands out. */
#define STORE_SECRET_MAX 1024
#define STORE_SECRET_NAME_MAX 64

#if defined(__GNUC__) || defined(__clang__)
#define STORE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define STORE_PRINTF(f, a)
#endif

/* ---- schema ---- */

/* Migration i brings user_version i to i + 1; each ends by setting it. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
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

	"PRAGMA user_version = 1;",

	/* Version 2: what UPOs need (the document hash of a XAdES
	 * authentication, the invoice's P_1), the UPOs themselves, and
	 * permission grants. */
	"ALTER TABLE auth_ops ADD COLUMN doc_hash TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE invoices ADD COLUMN issue_date TEXT NOT NULL DEFAULT '';"

	/* key: the invoice's reference (its own UPO) or a page's. */
	"CREATE TABLE upo_docs ("
	"  key TEXT PRIMARY KEY,"
	"  xml BLOB NOT NULL);"

	"CREATE TABLE upo_pages ("
	"  session_ref TEXT NOT NULL REFERENCES sessions (ref),"
	"  page INTEGER NOT NULL,"
	"  ref TEXT NOT NULL,"
	"  PRIMARY KEY (session_ref, page));"

	"CREATE TABLE grants ("
	"  ctx_type TEXT NOT NULL,"
	"  ctx_value TEXT NOT NULL,"
	"  subject_type TEXT NOT NULL,"
	"  subject_value TEXT NOT NULL,"
	"  permissions TEXT NOT NULL,"
	"  PRIMARY KEY (ctx_type, ctx_value, subject_type, subject_value));"

	"PRAGMA user_version = 2;",
};

/* ---- statements ---- */

#define KEY_COLS "id, usage, public_key_id, cert_b64, key_pem, " \
	"valid_from_ms, valid_to_ms, retired"
#define TOKEN_COLS "ref, secret_hash, ctx_type, ctx_value, author_type, " \
	"author_value, permissions, description, status, created_ms, " \
	"last_use_ms"
#define AUTH_COLS "ref, ctx_type, ctx_value, subject_type, subject_value, " \
	"method, token_ref, permissions, allowed_ips, status, " \
	"status_details, start_ms, redeemed, refresh_valid_until_ms, " \
	"last_refresh_ms, revoked, doc_hash"
#define SESSION_COLS "ref, auth_ref, ctx_type, ctx_value, subject_value, " \
	"form, key_id, wrapped_key, iv, status, created_ms, updated_ms, " \
	"valid_until_ms, closed_ms, invoice_count, success_count, " \
	"failed_count, max_invoices, upo_ref"
#define INVOICE_COLS "ref, session_ref, ordinal, invoice_hash, " \
	"invoice_size, encrypted_hash, encrypted_size, offline_mode, " \
	"hash_of_corrected, invoicing_ms, status, status_details, " \
	"orig_ksef_number, orig_session_ref, invoice_number, seller_nip, " \
	"invoice_kind, ksef_number, acquisition_ms, permanent_storage_ms, " \
	"invoicing_mode, issue_date"

/* Keyset paging, newest first: rows strictly after the cursor (t, ref). */
#define AFTER_CURSOR(col, t, r) \
	"(" t " = 0 OR " col " < " t " OR (" col " = " t \
	" AND ref < ifnull(" r ", '')))"

enum query {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_SAVEPOINT, Q_ROLLBACK_TO, Q_RELEASE,
	Q_SECRET_GET, Q_SECRET_ADD,
	Q_KEY_ADD, Q_KEYS_LIST, Q_KEY_RETIRE, Q_KEYS_VERSION,
	Q_TOKEN_ADD, Q_TOKEN_GET, Q_TOKEN_FIND, Q_TOKEN_SET_STATUS,
	Q_TOKEN_TOUCH, Q_TOKENS_LIST,
	Q_CHALLENGE_ADD, Q_CHALLENGE_TAKE,
	Q_AUTH_ADD, Q_AUTH_GET, Q_AUTH_FINISH, Q_AUTH_REDEEM, Q_AUTH_EXISTS,
	Q_AUTH_REFRESHED, Q_AUTH_REVOKE, Q_AUTH_LIST,
	Q_SESSION_ADD, Q_SESSION_GET, Q_SESSION_STATE, Q_SESSION_CLOSE,
	Q_SESSION_SET_UPO, Q_SESSION_COUNT_ACCEPT, Q_SESSION_COUNT_FINISH,
	Q_SESSIONS_EXPIRE, Q_SESSIONS_FINISH, Q_SESSIONS_LIST,
	Q_INVOICE_ADD, Q_INVOICE_GET, Q_INVOICE_BY_KSEF, Q_INVOICE_BY_HASH,
	Q_INVOICE_STATE, Q_INVOICE_FINISH, Q_INVOICES_LIST, Q_INVOICES_PENDING,
	Q_INVOICES_ACCEPTED,
	Q_BLOB_ADD, Q_BLOB_GET, Q_DUPKEY_CLAIM, Q_DUPKEY_HOLDER,
	Q_UPO_ADD, Q_UPO_GET, Q_UPO_PAGE_ADD, Q_UPO_PAGES, Q_UPO_PAGES_SET,
	Q_GRANT_SET, Q_GRANT_GET, Q_GRANT_REVOKE,
	Q_COUNT
};

static const struct {
	const char *name; /* for error messages */
	const char *sql;
} queries[Q_COUNT] = {
	[Q_BEGIN] = { "begin", "BEGIN IMMEDIATE" },
	[Q_COMMIT] = { "commit", "COMMIT" },
	[Q_ROLLBACK] = { "rollback", "ROLLBACK" },
	[Q_SAVEPOINT] = { "savepoint", "SAVEPOINT op" },
	[Q_ROLLBACK_TO] = { "rollback to savepoint", "ROLLBACK TO op" },
	[Q_RELEASE] = { "release savepoint", "RELEASE op" },

	[Q_SECRET_GET] = { "read secret",
		"SELECT value FROM secrets WHERE name = ?1" },
	[Q_SECRET_ADD] = { "add secret",
		"INSERT INTO secrets (name, value) VALUES (?1, ?2)"
		" ON CONFLICT (name) DO NOTHING" },

	[Q_KEY_ADD] = { "add key",
		"INSERT INTO keys (usage, public_key_id, cert_b64, key_pem,"
		" valid_from_ms, valid_to_ms, retired)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)" },
	[Q_KEYS_LIST] = { "list keys",
		"SELECT " KEY_COLS " FROM keys ORDER BY id DESC" },
	[Q_KEY_RETIRE] = { "retire key",
		"UPDATE keys SET retired = 1"
		" WHERE id = ?1 OR public_key_id = ?2" },
	[Q_KEYS_VERSION] = { "read key version",
		"SELECT value FROM meta WHERE name = 'keys_version'" },

	[Q_TOKEN_ADD] = { "add token",
		"INSERT INTO tokens (" TOKEN_COLS ")"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)" },
	[Q_TOKEN_GET] = { "read token",
		"SELECT " TOKEN_COLS " FROM tokens WHERE ref = ?1" },
	[Q_TOKEN_FIND] = { "find token",
		"SELECT " TOKEN_COLS " FROM tokens WHERE secret_hash = ?1" },
	[Q_TOKEN_SET_STATUS] = { "set token status",
		"UPDATE tokens SET status = ?2 WHERE ref = ?1" },
	[Q_TOKEN_TOUCH] = { "touch token",
		"UPDATE tokens SET last_use_ms = ?2 WHERE ref = ?1" },
	[Q_TOKENS_LIST] = { "list tokens",
		"SELECT " TOKEN_COLS " FROM tokens"
		" WHERE ctx_type = ?1 AND ctx_value = ?2"
		" AND (?3 = 0 OR ((?3 >> (CASE status"
		"   WHEN 'Pending' THEN 0 WHEN 'Active' THEN 1"
		"   WHEN 'Revoking' THEN 2 WHEN 'Revoked' THEN 3"
		"   WHEN 'Failed' THEN 4 ELSE 62 END)) & 1) = 1)"
		" AND (?4 IS NULL OR instr(lower(description), lower(?4)) > 0)"
		" AND (?5 IS NULL OR instr(author_value, ?5) > 0)"
		" AND (?6 IS NULL OR author_type = ?6)"
		" AND " AFTER_CURSOR("created_ms", "?7", "?8")
		" ORDER BY created_ms DESC, ref DESC LIMIT ?9" },

	[Q_CHALLENGE_ADD] = { "add challenge",
		"INSERT INTO challenges (challenge, ts_ms, client_ip)"
		" VALUES (?1, ?2, ?3)" },
	[Q_CHALLENGE_TAKE] = { "take challenge",
		"UPDATE challenges SET used = 1"
		" WHERE challenge = ?1 AND used = 0 RETURNING ts_ms" },

	[Q_AUTH_ADD] = { "add authentication",
		"INSERT INTO auth_ops (" AUTH_COLS ") VALUES (?1, ?2, ?3, ?4,"
		" ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)" },
	[Q_AUTH_GET] = { "read authentication",
		"SELECT " AUTH_COLS " FROM auth_ops WHERE ref = ?1" },
	[Q_AUTH_FINISH] = { "finish authentication",
		"UPDATE auth_ops SET subject_type = ?2, subject_value = ?3,"
		" method = ?4, token_ref = ?5, permissions = ?6, status = ?7,"
		" status_details = ?8, doc_hash = ?9 WHERE ref = ?1" },
	[Q_AUTH_REDEEM] = { "redeem authentication",
		"UPDATE auth_ops SET redeemed = 1, refresh_valid_until_ms = ?2"
		" WHERE ref = ?1 AND redeemed = 0" },
	[Q_AUTH_EXISTS] = { "read authentication",
		"SELECT 1 FROM auth_ops WHERE ref = ?1" },
	[Q_AUTH_REFRESHED] = { "refresh authentication",
		"UPDATE auth_ops SET last_refresh_ms = ?2 WHERE ref = ?1" },
	[Q_AUTH_REVOKE] = { "revoke authentication",
		"UPDATE auth_ops SET revoked = 1, status = 425 WHERE ref = ?1" },
	[Q_AUTH_LIST] = { "list authentications",
		"SELECT " AUTH_COLS " FROM auth_ops"
		" WHERE ctx_type = ?1 AND ctx_value = ?2"
		" AND redeemed = 1 AND revoked = 0"
		" AND refresh_valid_until_ms > ?3"
		" AND " AFTER_CURSOR("start_ms", "?4", "?5")
		" ORDER BY start_ms DESC, ref DESC LIMIT ?6" },

	[Q_SESSION_ADD] = { "add session",
		"INSERT INTO sessions (" SESSION_COLS ") VALUES (?1, ?2, ?3,"
		" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		" ?17, ?18, ?19)" },
	[Q_SESSION_GET] = { "read session",
		"SELECT " SESSION_COLS " FROM sessions WHERE ref = ?1" },
	[Q_SESSION_STATE] = { "read session",
		"SELECT status, invoice_count, max_invoices FROM sessions"
		" WHERE ref = ?1" },
	[Q_SESSION_CLOSE] = { "close session",
		"UPDATE sessions SET status = 170, closed_ms = ?2,"
		" updated_ms = ?2 WHERE ref = ?1 AND status = 100" },
	[Q_SESSION_SET_UPO] = { "set session UPO",
		"UPDATE sessions SET upo_ref = ?2, updated_ms = ?3"
		" WHERE ref = ?1" },
	[Q_SESSION_COUNT_ACCEPT] = { "count invoice",
		"UPDATE sessions SET invoice_count = invoice_count + 1,"
		" failed_count = failed_count + ?3, updated_ms = ?2"
		" WHERE ref = ?1" },
	[Q_SESSION_COUNT_FINISH] = { "count verdict",
		"UPDATE sessions SET success_count = success_count + ?2,"
		" failed_count = failed_count + ?3, updated_ms = ?4"
		" WHERE ref = ?1" },
	[Q_SESSIONS_EXPIRE] = { "expire sessions",
		"UPDATE sessions SET status = 170, closed_ms = ?1,"
		" updated_ms = ?1 WHERE status = 100 AND valid_until_ms <= ?1" },
	[Q_SESSIONS_FINISH] = { "finish sessions",
		"UPDATE sessions SET updated_ms = ?1, status = CASE"
		"   WHEN success_count > 0 THEN 200"
		"   WHEN invoice_count = 0 THEN 440 ELSE 445 END"
		" WHERE status = 170 AND NOT EXISTS (SELECT 1 FROM invoices i"
		"   WHERE i.session_ref = sessions.ref"
		"   AND i.status IN (100, 150))"
		" RETURNING ref" },
	[Q_SESSIONS_LIST] = { "list sessions",
		"SELECT " SESSION_COLS " FROM sessions"
		" WHERE ctx_type = ?1 AND ctx_value = ?2"
		" AND (?3 IS NULL OR subject_value = ?3)"
		" AND (?4 IS NULL OR ref = ?4)"
		" AND (?5 = 0 OR created_ms >= ?5)"
		" AND (?6 = 0 OR created_ms <= ?6)"
		" AND (?7 = 0 OR closed_ms >= ?7)"
		" AND (?8 = 0 OR (closed_ms <> 0 AND closed_ms <= ?8))"
		" AND (?9 = 0 OR updated_ms >= ?9)"
		" AND (?10 = 0 OR updated_ms <= ?10)"
		" AND (?11 = 0"
		"   OR ((?11 & 1) <> 0 AND status IN (100, 170))"
		"   OR ((?11 & 2) <> 0 AND status = 200)"
		"   OR ((?11 & 4) <> 0 AND status IN (415, 445, 500))"
		"   OR ((?11 & 8) <> 0 AND status = 440))"
		" AND " AFTER_CURSOR("created_ms", "?12", "?13")
		" ORDER BY created_ms DESC, ref DESC LIMIT ?14" },

	[Q_INVOICE_ADD] = { "add invoice",
		"INSERT INTO invoices (" INVOICE_COLS ") VALUES (?1, ?2, ?3,"
		" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		" ?17, ?18, ?19, ?20, ?21, ?22)" },
	[Q_INVOICE_GET] = { "read invoice",
		"SELECT " INVOICE_COLS " FROM invoices WHERE ref = ?1" },
	[Q_INVOICE_BY_KSEF] = { "find invoice by KSeF number",
		"SELECT " INVOICE_COLS " FROM invoices WHERE ksef_number = ?1"
		" AND ksef_number <> ''" },
	[Q_INVOICE_BY_HASH] = { "find invoice by hash",
		"SELECT " INVOICE_COLS " FROM invoices WHERE invoice_hash = ?2"
		" AND EXISTS (SELECT 1 FROM sessions s"
		"   WHERE s.ref = invoices.session_ref AND s.ctx_value = ?1)"
		" ORDER BY invoicing_ms DESC, rowid DESC LIMIT 1" },
	[Q_INVOICE_STATE] = { "read invoice",
		"SELECT status, session_ref FROM invoices WHERE ref = ?1" },
	[Q_INVOICE_FINISH] = { "finish invoice",
		"UPDATE invoices SET status = ?2, status_details = ?3,"
		" orig_ksef_number = ?4, orig_session_ref = ?5,"
		" invoice_number = ?6, seller_nip = ?7, invoice_kind = ?8,"
		" ksef_number = ?9, acquisition_ms = ?10,"
		" permanent_storage_ms = ?11, invoicing_mode = ?12,"
		" issue_date = ?13 WHERE ref = ?1" },
	[Q_INVOICES_LIST] = { "list invoices",
		"SELECT " INVOICE_COLS " FROM invoices"
		" WHERE session_ref = ?1 AND ordinal > ?2"
		" AND (?3 = 0 OR status >= 300)"
		" ORDER BY ordinal LIMIT ?4" },
	[Q_INVOICES_PENDING] = { "list pending invoices",
		"SELECT ref FROM invoices WHERE status IN (100, 150)"
		" ORDER BY invoicing_ms, rowid" },
	[Q_INVOICES_ACCEPTED] = { "list accepted invoices",
		"SELECT " INVOICE_COLS " FROM invoices"
		" WHERE session_ref = ?1 AND ordinal > ?2 AND status = 200"
		" ORDER BY ordinal LIMIT ?3" },

	[Q_BLOB_ADD] = { "store invoice bytes",
		"INSERT INTO invoice_blobs (invoice_ref, kind, data)"
		" VALUES (?1, ?2, ?3)" },
	[Q_BLOB_GET] = { "read invoice bytes",
		"SELECT data FROM invoice_blobs"
		" WHERE invoice_ref = ?1 AND kind = ?2" },
	[Q_DUPKEY_CLAIM] = { "claim duplicate key",
		"INSERT INTO invoice_keys (seller_nip, invoice_kind,"
		" invoice_number, invoice_ref) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT DO NOTHING" },
	[Q_DUPKEY_HOLDER] = { "read duplicate key",
		"SELECT i.ksef_number, i.session_ref FROM invoice_keys k"
		" JOIN invoices i ON i.ref = k.invoice_ref"
		" WHERE k.seller_nip = ?1 AND k.invoice_kind = ?2"
		" AND k.invoice_number = ?3" },

	[Q_UPO_ADD] = { "store UPO",
		"INSERT INTO upo_docs (key, xml) VALUES (?1, ?2)"
		" ON CONFLICT (key) DO NOTHING" },
	[Q_UPO_GET] = { "read UPO",
		"SELECT xml FROM upo_docs WHERE key = ?1" },
	[Q_UPO_PAGE_ADD] = { "add UPO page",
		"INSERT INTO upo_pages (session_ref, page, ref)"
		" VALUES (?1, ?2, ?3)" },
	[Q_UPO_PAGES] = { "list UPO pages",
		"SELECT ref FROM upo_pages WHERE session_ref = ?1"
		" ORDER BY page" },
	[Q_UPO_PAGES_SET] = { "read UPO pages",
		"SELECT 1 FROM upo_pages WHERE session_ref = ?1 LIMIT 1" },

	[Q_GRANT_SET] = { "grant permissions",
		"INSERT INTO grants (ctx_type, ctx_value, subject_type,"
		" subject_value, permissions) VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (ctx_type, ctx_value, subject_type, subject_value)"
		" DO UPDATE SET permissions = excluded.permissions" },
	[Q_GRANT_GET] = { "read permissions",
		"SELECT permissions FROM grants WHERE ctx_type = ?1"
		" AND ctx_value = ?2 AND subject_type = ?3"
		" AND subject_value = ?4" },
	[Q_GRANT_REVOKE] = { "revoke permissions",
		"DELETE FROM grants WHERE ctx_type = ?1 AND ctx_value = ?2"
		" AND subject_type = ?3 AND subject_value = ?4" },
};

enum { BLOB_CIPHERTEXT = 0, BLOB_PLAINTEXT = 1 };

/* ---- the store ---- */

/* One connection and its prepared statements, used by one thread at a
 * time: the writer's, or a reader borrowed from the pool. */
struct conn {
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_COUNT];
	struct conn *next; /* in the idle list */
};

/* A queued write. It lives on the caller's stack; the caller sleeps until
 * the writer sets done, under st->lock. */
struct op {
	int (*fn)(struct conn *w, void *arg, ksef_error *err);
	void *arg;
	ksef_error *err;
	int result;
	int done;
	struct op *next;
};

struct store {
	char *path;

	/* the writer thread and its queue, under lock */
	struct conn *wconn;
	pthread_t writer;
	pthread_mutex_t lock;
	pthread_cond_t queued;   /* the writer waits for work */
	pthread_cond_t finished; /* callers wait for their op */
	struct op *head, *tail;
	int nqueued;
	int stopping;

	/* the read pool, under rlock */
	pthread_mutex_t rlock;
	pthread_cond_t rfree;
	struct conn *idle;
	int nreaders;
};


/* SQLite's message names the failure (and at most a column), never a
 * bound value, so it is safe to pass on. A constraint (a reference or a
 * token secret already taken) is the caller's KSEF_EINVAL, as store.h
 * says; anything else is KSEF_EIO. */
static int db_fail(ksef_error *err, struct conn *c, enum query q)
{
	int code = (sqlite3_errcode(c->db) & 0xff) == SQLITE_CONSTRAINT ?
		   KSEF_EINVAL : KSEF_EIO;

	return ksef_error_set(err, code, "database: %s: %s", queries[q].name,
		    sqlite3_errmsg(c->db));
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- binding and reading columns ---- */

static int bind_str(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* A record field need not be NUL-terminated: never read past it. */
static int bind_field(sqlite3_stmt *s, int i, const char *f, size_t size)
{
	return sqlite3_bind_text(s, i, f, (int)strnlen(f, size), SQLITE_STATIC);
}

/*
 * A statement's parameters ?1, ?2, ... as data: ARGS(ARG_TEXT(ref),
 * ARG_INT(now_ms)). With the parameters passed as a value, the helpers
 * below prepare, bind, step and reset every statement, so no caller can
 * forget the reset (the bindings point into the caller's memory) or
 * report a failed bind differently.
 */
struct param {
	enum { P_END, P_TEXT, P_FIELD, P_INT, P_BLOB } type;
	const void *ptr; /* P_TEXT (NULL binds NULL), P_FIELD or P_BLOB */
	size_t len;      /* P_FIELD: the field's size; P_BLOB: the length */
	int64_t num;     /* P_INT */
};
#define ARG_TEXT(v) { P_TEXT, (v), 0, 0 }
#define ARG_FIELD(f) { P_FIELD, (f), sizeof(f), 0 }
#define ARG_INT(v) { P_INT, NULL, 0, (int64_t)(v) }
#define ARG_BLOB(p, n) { P_BLOB, (p), (n), 0 }
/* The list, ended so that bind_params knows where; it lives until the end
 * of the enclosing block. */
#define ARGS(...) ((const struct param[]){ __VA_ARGS__, { P_END, NULL, 0, 0 } })

/* Bind every parameter (p may be NULL: none). SQLite's codes or'ed, as
 * the callers check only for SQLITE_OK. */
static int bind_params(sqlite3_stmt *s, const struct param *p)
{
	int i, rc = SQLITE_OK;

	for (i = 0; p != NULL && p[i].type != P_END; i++) {
		switch (p[i].type) {
		case P_TEXT:
			rc |= bind_str(s, i + 1, p[i].ptr);
			break;
		case P_FIELD:
			rc |= bind_field(s, i + 1, p[i].ptr, p[i].len);
			break;
		case P_INT:
			rc |= sqlite3_bind_int64(s, i + 1, p[i].num);
			break;
		default:
			rc |= sqlite3_bind_blob64(s, i + 1, p[i].ptr, p[i].len,
						  SQLITE_STATIC);
			break;
		}
	}
	return rc;
}

static int64_t limit_arg(size_t limit)
{
	return limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit;
}

/* Copy a text column into a field of `size` bytes, cutting overlong text
 * before the UTF-8 character that does not fit. */
static void col_text(char *dst, size_t size, sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(s, i) : 0;

	if (n >= size) {
		n = size - 1;
		while (n > 0 && (t[n] & 0xC0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(dst, t, n);
	dst[n] = '\0';
}
#define COL_TEXT(f, s, i) col_text((f), sizeof(f), (s), (i))

static char *col_strdup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(s, i) : 0;
	char *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, t, n);
	p[n] = '\0';
	return p;
}

/* ---- connections ---- */

static int prep(sqlite3_stmt **out, struct conn *c, enum query q,
		ksef_error *err)
{
	if (c->stmt[q] == NULL &&
	    sqlite3_prepare_v3(c->db, queries[q].sql, -1,
			       SQLITE_PREPARE_PERSISTENT, &c->stmt[q],
			       NULL) != SQLITE_OK)
		return db_fail(err, c, q);
	*out = c->stmt[q];
	return 0;
}

/* Reset so the statement ends its read transaction and drops the
 * bindings, which point into the caller's memory. */
static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* SQLITE_ROW, SQLITE_DONE or a negative code with err set. */
static int step(struct conn *c, sqlite3_stmt *s, enum query q,
		ksef_error *err)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	return db_fail(err, c, q);
}

/* Prepare q and bind p. On failure nothing is left bound. */
static int prep_bind(sqlite3_stmt **out, struct conn *c, enum query q,
		     const struct param *p, ksef_error *err)
{
	int error;

	if ((error = prep(out, c, q, err)) < 0)
		return error;
	if (bind_params(*out, p) != SQLITE_OK) {
		/* db_fail first, while SQLite's message is the bind's. */
		error = db_fail(err, c, q);
		done(*out);
		return error;
	}
	return 0;
}

/* Copies the current row of s into dst; sets err when it fails. */
typedef int (*row_fn)(void *dst, sqlite3_stmt *s, ksef_error *err);

/*
 * Run q with p bound and hand its first row, if it has one, to fn (or to
 * no one: fn may be NULL) to copy into dst. Returns SQLITE_ROW,
 * SQLITE_DONE when there was no row, or a negative code with err set.
 * An UPDATE ... RETURNING is stepped to its end, so its write completes.
 */
static int lookup(struct conn *c, enum query q, const struct param *p,
		  row_fn fn, void *dst, ksef_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, error;

	if ((rc = prep_bind(&s, c, q, p, err)) < 0)
		return rc;
	rc = step(c, s, q, err);
	if (rc == SQLITE_ROW && fn != NULL && (error = fn(dst, s, err)) < 0)
		rc = error;
	else if (rc == SQLITE_ROW && !sqlite3_stmt_readonly(s) &&
		 (error = step(c, s, q, err)) < 0)
		rc = error;
	done(s);
	return rc;
}

/* Run a statement whose rows, if any, are not wanted. */
static int exec(struct conn *c, enum query q, const struct param *p,
		ksef_error *err)
{
	int rc = lookup(c, q, p, NULL, NULL, err);

	return rc < 0 ? rc : 0;
}

/* Run a statement that takes no parameters and returns no rows. */
static int run(struct conn *c, enum query q, ksef_error *err)
{
	return exec(c, q, NULL, err);
}

/* Run an UPDATE (or DELETE) of the one row that the parameters name:
 * KSEF_ENOTFOUND, "<what> not found", when it changed none. */
static int update(struct conn *w, enum query q, const struct param *p,
		  const char *what, ksef_error *err)
{
	int error = exec(w, q, p, err);

	if (error < 0)
		return error;
	if (sqlite3_changes(w->db) == 0)
		return ksef_error_set(err, KSEF_ENOTFOUND, "%s not found",
				      what);
	return 0;
}

static void conn_close(struct conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	sqlite3_close(c->db);
	free(c);
}

static int conn_open(struct conn **out, const char *path, int writer,
		     ksef_error *err)
{
	/* foreign_keys and synchronous are per connection; query_only keeps
	 * a reader from ever taking the write lock by mistake. */
	static const char writer_setup[] =
		"PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;";
	static const char reader_setup[] =
		"PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
		" PRAGMA query_only = ON;";
	struct conn *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (c == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	/* NOMUTEX: the pool and the writer thread already give each
	 * connection to one thread at a time. */
	rc = sqlite3_open_v2(path, &c->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		ksef_error_set(err, KSEF_EIO, "cannot open %s: %s", path,
		     c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		conn_close(c);
		return KSEF_EIO;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, STORE_BUSY_MS);
	if (sqlite3_exec(c->db, writer ? writer_setup : reader_setup, NULL,
			 NULL, NULL) != SQLITE_OK) {
		ksef_error_set(err, KSEF_EIO, "cannot set up %s: %s", path,
		     sqlite3_errmsg(c->db));
		conn_close(c);
		return KSEF_EIO;
	}
	*out = c;
	return 0;
}

static int reader_get(struct conn **out, store *st, ksef_error *err)
{
	struct conn *c;
	int error;

	pthread_mutex_lock(&st->rlock);
	while (st->idle == NULL && st->nreaders >= STORE_MAX_READERS)
		pthread_cond_wait(&st->rfree, &st->rlock);
	if (st->idle != NULL) {
		c = st->idle;
		st->idle = c->next;
		pthread_mutex_unlock(&st->rlock);
		*out = c;
		return 0;
	}
	st->nreaders++;
	pthread_mutex_unlock(&st->rlock);

	if ((error = conn_open(out, st->path, 0, err)) < 0) {
		pthread_mutex_lock(&st->rlock);
		st->nreaders--;
		pthread_cond_signal(&st->rfree);
		pthread_mutex_unlock(&st->rlock);
	}
	return error;
}

static void reader_put(store *st, struct conn *c)
{
	pthread_mutex_lock(&st->rlock);
	c->next = st->idle;
	st->idle = c;
	pthread_cond_signal(&st->rfree);
	pthread_mutex_unlock(&st->rlock);
}

/* ---- the writer thread ---- */

/* The transaction holding ops first..last (inclusive) is gone: fail every
 * op in it that had succeeded, with the reason. */
static void fail_batch(struct op *first, struct op *last, const char *why)
{
	struct op *op;

	for (op = first; op != NULL; op = op->next) {
		if (op->result >= 0)
			op->result = ksef_error_set(op->err, KSEF_EIO,
					  "database: transaction failed: %s",
					  why);
		if (op == last)
			break;
	}
}

static void run_batch(struct conn *w, struct op *batch)
{
	struct op *op, *first = NULL, *last = NULL;
	ksef_error e;

	for (op = batch; op != NULL; op = op->next) {
		if (first == NULL) {
			if (run(w, Q_BEGIN, &e) < 0) {
				/* Another process holds the lock past the
				 * busy timeout: nothing here can run. */
				for (; op != NULL; op = op->next)
					op->result = ksef_error_set(op->err, KSEF_EIO,
							  "%s", e.message);
				return;
			}
			first = op;
		}
		last = op;
		if (run(w, Q_SAVEPOINT, &e) < 0) {
			op->result = ksef_error_set(op->err, KSEF_EIO, "%s", e.message);
		} else {
			op->result = op->fn(w, op->arg, op->err);
			if (op->result < 0) {
				if (!sqlite3_get_autocommit(w->db) &&
				    (run(w, Q_ROLLBACK_TO, &e) < 0 ||
				     run(w, Q_RELEASE, &e) < 0))
					goto abort;
			} else if (run(w, Q_RELEASE, &e) < 0) {
				goto abort;
			}
		}
		/* Some errors (a full disk, I/O) make SQLite roll back the
		 * whole transaction on its own: the ops before are lost. */
		if (sqlite3_get_autocommit(w->db)) {
			fail_batch(first, last, "rolled back by SQLite");
			first = NULL;
		}
	}
	if (first == NULL)
		return;
	if (run(w, Q_COMMIT, &e) < 0)
		goto abort;
	return;
abort:
	if (!sqlite3_get_autocommit(w->db))
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	/* From first on: the ops of the lost transaction, and those after
	 * `last` that never ran. */
	fail_batch(first, NULL, e.message);
}

/* Wait (briefly) until n writes are queued. */
static void gather(store *st, int n)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += STORE_GATHER_NS;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (st->nqueued < n && !st->stopping &&
	       pthread_cond_timedwait(&st->queued, &st->lock, &until) == 0)
		;
}

static void *writer_main(void *arg)
{
	store *st = arg;
	struct op *batch, *op, *next;
	int last = 0;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		while (st->head == NULL && !st->stopping)
			pthread_cond_wait(&st->queued, &st->lock);
		if (st->head == NULL)
			break; /* stopping, and the queue is drained */
		/* The callers just woken tend to come back at once (a worker
		 * with the next invoice), a moment after the first of them.
		 * Committing that first one alone would split the group in
		 * two fsyncs, so wait a little (far less than an fsync) for
		 * as many as the last batch had. A lone caller never waits. */
		if (st->nqueued < last)
			gather(st, last);
		last = st->nqueued;
		st->nqueued = 0;
		batch = st->head;
		st->head = st->tail = NULL;
		pthread_mutex_unlock(&st->lock);

		run_batch(st->wconn, batch);

		pthread_mutex_lock(&st->lock);
		/* Read next before done: a woken caller's op leaves the
		 * stack as soon as the lock is released. */
		for (op = batch; op != NULL; op = next) {
			next = op->next;
			op->done = 1;
		}
		pthread_cond_broadcast(&st->finished);
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* Queue a write and wait until it is committed (or failed). */
static int submit(store *st, int (*fn)(struct conn *, void *, ksef_error *),
		  void *arg, ksef_error *err)
{
	struct op op = { fn, arg, err, 0, 0, NULL };

	pthread_mutex_lock(&st->lock);
	if (st->stopping) {
		pthread_mutex_unlock(&st->lock);
		return ksef_error_set(err, KSEF_EIO, "the store is closing");
	}
	if (st->tail != NULL)
		st->tail->next = &op;
	else
		st->head = &op;
	st->tail = &op;
	st->nqueued++;
	pthread_cond_signal(&st->queued);
	while (!op.done)
		pthread_cond_wait(&st->finished, &st->lock);
	pthread_mutex_unlock(&st->lock);
	return op.result;
}

/* ---- open, migrate, close ---- */

static int make_dirs(const char *dir, ksef_error *err)
{
	char *p = strdup(dir), *q;
	struct stat sb;
	int error = 0;

	if (p == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	for (q = p + 1; *q != '\0'; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			error = ksef_error_set(err, KSEF_EIO, "cannot create %s: %s", p,
				     strerror(errno));
			goto done;
		}
		*q = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		error = ksef_error_set(err, KSEF_EIO, "cannot create %s: %s", p,
			     strerror(errno));
	else if (stat(p, &sb) < 0 || !S_ISDIR(sb.st_mode))
		error = ksef_error_set(err, KSEF_EIO, "%s is not a folder", p);
done:
	free(p);
	return error;
}

static int read_user_version(int *out, struct conn *c, ksef_error *err)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return ksef_error_set(err, KSEF_EIO, "database: read schema version: %s",
			    sqlite3_errmsg(c->db));
	if (sqlite3_step(s) != SQLITE_ROW) {
		ksef_error_set(err, KSEF_EIO, "database: read schema version: %s",
		     sqlite3_errmsg(c->db));
		sqlite3_finalize(s);
		return KSEF_EIO;
	}
	*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

/* Bring the schema up to STORE_SCHEMA_VERSION. The version is read again
 * inside the write transaction, so two processes opening a new file at
 * once migrate it once. */
static int migrate(struct conn *w, ksef_error *err)
{
	sqlite3_stmt *s = NULL;
	int version = 0, error;

	if (sqlite3_prepare_v2(w->db, "PRAGMA journal_mode = WAL", -1, &s,
			       NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW ||
	    sqlite3_column_text(s, 0) == NULL ||
	    strcmp((const char *)sqlite3_column_text(s, 0), "wal") != 0) {
		ksef_error_set(err, KSEF_EIO, "database: cannot switch to WAL mode: %s",
		     sqlite3_errmsg(w->db));
		sqlite3_finalize(s);
		return KSEF_EIO;
	}
	sqlite3_finalize(s);

	if ((error = run(w, Q_BEGIN, err)) < 0)
		return error;
	if ((error = read_user_version(&version, w, err)) < 0)
		goto rollback;
	if (version < 0 || version > STORE_SCHEMA_VERSION) {
		error = ksef_error_set(err, KSEF_EIO, "database schema version %d is not"
			     " one this ksefd knows (%d or older)", version,
			     STORE_SCHEMA_VERSION);
		goto rollback;
	}
	for (; version < STORE_SCHEMA_VERSION; version++) {
		if (sqlite3_exec(w->db, migrations[version], NULL, NULL,
				 NULL) != SQLITE_OK) {
			error = ksef_error_set(err, KSEF_EIO, "database: migration to "
				     "version %d: %s", version + 1,
				     sqlite3_errmsg(w->db));
			goto rollback;
		}
	}
	return run(w, Q_COMMIT, err);
rollback:
	sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	return error;
}

static void store_free(store *st)
{
	struct conn *c, *next;

	for (c = st->idle; c != NULL; c = next) {
		next = c->next;
		conn_close(c);
	}
	conn_close(st->wconn);
	pthread_cond_destroy(&st->rfree);
	pthread_mutex_destroy(&st->rlock);
	pthread_cond_destroy(&st->finished);
	pthread_cond_destroy(&st->queued);
	pthread_mutex_destroy(&st->lock);
	free(st->path);
	free(st);
}

int store_open(store **out, const char *data_dir, ksef_error *err)
{
	pthread_condattr_t attr;
	store *st;
	size_t n;
	int fd, error;

	*out = NULL;
	if (data_dir == NULL || *data_dir == '\0')
		return ksef_error_set(err, KSEF_EINVAL, "no data folder given");
	if ((error = make_dirs(data_dir, err)) < 0)
		return error;
	st = calloc(1, sizeof(*st));
	n = strlen(data_dir) + sizeof("/" STORE_FILE_NAME);
	if (st == NULL || (st->path = malloc(n)) == NULL) {
		free(st);
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	}
	snprintf(st->path, n, "%s/%s", data_dir, STORE_FILE_NAME);
	pthread_mutex_init(&st->lock, NULL);
	/* gather() times its wait on the monotonic clock. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&st->queued, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&st->finished, NULL);
	pthread_mutex_init(&st->rlock, NULL);
	pthread_cond_init(&st->rfree, NULL);

	/* Create the file ourselves so that it is private (0600) from the
	 * start; SQLite gives its -wal and -shm files the same mode. */
	fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		error = ksef_error_set(err, KSEF_EIO, "cannot create %s: %s", st->path,
			     strerror(errno));
		goto fail;
	}
	close(fd);
	if ((error = conn_open(&st->wconn, st->path, 1, err)) < 0 ||
	    (error = migrate(st->wconn, err)) < 0)
		goto fail;
	if (pthread_create(&st->writer, NULL, writer_main, st) != 0) {
		error = ksef_error_set(err, KSEF_ENOMEM, "cannot start the writer thread");
		goto fail;
	}
	*out = st;
	return 0;
fail:
	store_free(st);
	return error;
}

void store_close(store *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&st->lock);
	st->stopping = 1;
	pthread_cond_signal(&st->queued);
	pthread_mutex_unlock(&st->lock);
	pthread_join(st->writer, NULL);
	/* Every reader is back in the pool: no call may still be running. */
	store_free(st);
}

/* ---- generic reads ---- */

/* What a list holds: rows of `size` bytes, each made by copy and, if it
 * owns memory, released by clear when the list fails half-read. */
struct row_type {
	size_t size;
	row_fn copy;
	void (*clear)(void *row);
};

/* Run q with p bound, appending each row (built by the row type's copy
 * into a zeroed element) to a growing array. The array grows by doubling,
 * never sized from the caller's limit alone. */
static int fetch_rows(void **out, size_t *count, struct conn *c,
		      enum query q, const struct param *p,
		      const struct row_type *t, ksef_error *err)
{
	unsigned char *arr = NULL, *grown;
	sqlite3_stmt *s = NULL;
	size_t n = 0, cap = 0, ncap, bytes, i;
	int rc;

	if ((rc = prep_bind(&s, c, q, p, err)) < 0)
		return rc;
	while ((rc = step(c, s, q, err)) == SQLITE_ROW) {
		if (n == cap) {
			ncap = cap ? cap * 2 : 8;
			if (__builtin_mul_overflow(ncap, t->size, &bytes) ||
			    (grown = realloc(arr, bytes)) == NULL) {
				rc = ksef_error_set(err, KSEF_ENOMEM, "out of memory");
				break;
			}
			arr = grown;
			cap = ncap;
		}
		memset(arr + n * t->size, 0, t->size);
		if ((rc = t->copy(arr + n * t->size, s, err)) < 0)
			break;
		n++;
	}
	done(s);
	if (rc < 0) {
		for (i = 0; t->clear != NULL && i < n; i++)
			t->clear(arr + i * t->size);
		free(arr);
		return rc;
	}
	*out = arr;
	*count = n;
	return 0;
}

/* fetch_rows on a pooled connection. */
static int read_rows(store *st, enum query q, const struct param *p,
		     const struct row_type *t, void **out, size_t *count,
		     ksef_error *err)
{
	struct conn *c;
	int error;

	if ((error = reader_get(&c, st, err)) < 0)
		return error;
	error = fetch_rows(out, count, c, q, p, t, err);
	reader_put(st, c);
	return error;
}

/* lookup on a pooled connection. */
static int read_row(store *st, enum query q, const struct param *p,
		    row_fn fn, void *dst, ksef_error *err)
{
	struct conn *c;
	int rc;

	if ((rc = reader_get(&c, st, err)) < 0)
		return rc;
	rc = lookup(c, q, p, fn, dst, err);
	reader_put(st, c);
	return rc;
}

/* One row by a text key (?1) on a pooled connection; KSEF_ENOTFOUND with
 * `what` in the message when there is none. */
static int read_one(store *st, enum query q, const char *key, void *out,
		    row_fn fn, const char *what, ksef_error *err)
{
	int rc;

	if (key == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no %s given", what);
	rc = read_row(st, q, ARGS(ARG_TEXT(key)), fn, out, err);
	if (rc == SQLITE_DONE)
		return ksef_error_set(err, KSEF_ENOTFOUND, "%s not found",
				      what);
	return rc < 0 ? rc : 0;
}

/* A field-sized copy of a caller's string, or KSEF_EINVAL if it is longer
 * than the field (so nothing is stored that could not be read back). */
static int check_len(const char *v, size_t size, const char *what,
		     ksef_error *err)
{
	if (v == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no %s given", what);
	if (strnlen(v, size) >= size)
		return ksef_error_set(err, KSEF_EINVAL, "%s is longer than %zu bytes",
			    what, size - 1);
	return 0;
}

/* ---- secrets ---- */

struct secret_args {
	const char *name;
	const unsigned char *fresh; /* used if the name has no secret yet */
	unsigned char *out;
	size_t len;
};

/* A row_fn: copy the secret into a->out, which must hold it exactly. */
static int secret_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	struct secret_args *a = dst;
	const void *v = sqlite3_column_blob(s, 0);
	size_t n = (size_t)sqlite3_column_bytes(s, 0);

	if (v == NULL || n != a->len)
		return ksef_error_set(err, KSEF_EINVAL, "secret %s holds %zu bytes, not %zu",
			    a->name, n, a->len);
	memcpy(a->out, v, a->len);
	return 0;
}

static int op_secret(struct conn *w, void *arg, ksef_error *err)
{
	struct secret_args *a = arg;
	int error;

	if ((error = exec(w, Q_SECRET_ADD, ARGS(ARG_TEXT(a->name),
			  ARG_BLOB(a->fresh, a->len)), err)) < 0)
		return error;
	/* Read back what is stored: another process may have won. */
	error = lookup(w, Q_SECRET_GET, ARGS(ARG_TEXT(a->name)), secret_row,
		       a, err);
	if (error == SQLITE_DONE)
		return ksef_error_set(err, KSEF_EIO, "secret %s vanished",
				      a->name);
	return error < 0 ? error : 0;
}

int store_secret(store *st, const char *name, unsigned char *out, size_t len,
		 ksef_error *err)
{
	unsigned char fresh[STORE_SECRET_MAX];
	struct secret_args a = { name, fresh, out, len };
	int error;

	if (st == NULL || out == NULL || len == 0 || len > STORE_SECRET_MAX)
		return ksef_error_set(err, KSEF_EINVAL, "a secret is 1 to %d bytes",
			    STORE_SECRET_MAX);
	if ((error = check_len(name, STORE_SECRET_NAME_MAX + 1, "secret name",
			       err)) < 0)
		return error;

	/* The common case: it exists, and a reader is enough. */
	error = read_row(st, Q_SECRET_GET, ARGS(ARG_TEXT(name)), secret_row,
			 &a, err);
	if (error != SQLITE_DONE)
		return error < 0 ? error : 0;

	if (RAND_bytes(fresh, (int)len) != 1) {
		ERR_clear_error();
		return ksef_error_set(err, KSEF_ECRYPTO, "cannot make secret %s: no "
			    "randomness", name);
	}
	error = submit(st, op_secret, &a, err);
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
	int error;

	if ((error = exec(w, Q_KEY_ADD, ARGS(ARG_INT(k->usage),
			  ARG_FIELD(k->public_key_id), ARG_TEXT(k->cert_b64),
			  ARG_TEXT(k->key_pem), ARG_INT(k->valid_from_ms),
			  ARG_INT(k->valid_to_ms), ARG_INT(k->retired != 0)),
			  err)) < 0)
		return error;
	a->id = sqlite3_last_insert_rowid(w->db);
	return 0;
}

int store_key_add(store *st, store_key *key, ksef_error *err)
{
	struct key_add_args a = { key, 0 };
	int error;

	if (st == NULL || key == NULL || key->cert_b64 == NULL ||
	    key->key_pem == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "a key needs its certificate "
			    "and private key");
	if ((error = submit(st, op_key_add, &a, err)) < 0)
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

static int key_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	store_key *k = dst;

	k->id = sqlite3_column_int64(s, 0);
	k->usage = (unsigned)sqlite3_column_int64(s, 1);
	COL_TEXT(k->public_key_id, s, 2);
	k->cert_b64 = col_strdup(s, 3);
	k->key_pem = col_strdup(s, 4);
	k->valid_from_ms = sqlite3_column_int64(s, 5);
	k->valid_to_ms = sqlite3_column_int64(s, 6);
	k->retired = sqlite3_column_int(s, 7);
	if (k->cert_b64 == NULL || k->key_pem == NULL) {
		key_clear(k);
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
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

int store_keys_list(store *st, store_key **out, size_t *count,
		    ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	error = read_rows(st, Q_KEYS_LIST, NULL, &key_rows, &rows, count, err);
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
		error = exec(w, Q_KEY_RETIRE, ARGS(ARG_INT(rowid),
			     ARG_TEXT(a->id)), err);
	else
		error = exec(w, Q_KEY_RETIRE, ARGS(ARG_TEXT(NULL),
			     ARG_TEXT(a->id)), err);
	if (error < 0)
		return error;
	if (sqlite3_changes(w->db) == 0)
		return ksef_error_set(err, KSEF_ENOTFOUND, "no key has id %s", a->id);
	return 0;
}

int store_key_retire(store *st, const char *id, ksef_error *err)
{
	struct key_retire_args a = { id };
	int error;

	if ((error = check_len(id, STORE_B64_SHA_SZ, "key id", err)) < 0)
		return error;
	return submit(st, op_key_retire, &a, err);
}

/* A row_fn for a single integer column. */
static int int64_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	(void)err;
	*(int64_t *)dst = sqlite3_column_int64(s, 0);
	return 0;
}

int64_t store_keys_version(store *st)
{
	int64_t v = -1;

	if (st == NULL)
		return -1;
	read_row(st, Q_KEYS_VERSION, NULL, int64_row, &v, NULL);
	return v;
}

/* ---- tokens ---- */

static const char *const token_statuses[] = {
	"Pending", "Active", "Revoking", "Revoked", "Failed",
};

static int token_status_known(const char *status)
{
	size_t i;

	for (i = 0; i < sizeof(token_statuses) / sizeof(token_statuses[0]);
	     i++)
		if (status != NULL && strcmp(status, token_statuses[i]) == 0)
			return 1;
	return 0;
}

static int token_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	store_token *t = dst;

	(void)err;
	COL_TEXT(t->ref, s, 0);
	COL_TEXT(t->secret_hash, s, 1);
	COL_TEXT(t->ctx_type, s, 2);
	COL_TEXT(t->ctx_value, s, 3);
	COL_TEXT(t->author_type, s, 4);
	COL_TEXT(t->author_value, s, 5);
	COL_TEXT(t->permissions, s, 6);
	COL_TEXT(t->description, s, 7);
	COL_TEXT(t->status, s, 8);
	t->created_ms = sqlite3_column_int64(s, 9);
	t->last_use_ms = sqlite3_column_int64(s, 10);
	return 0;
}

static const struct row_type token_rows = { sizeof(store_token), token_row,
					    NULL };

static int op_token_add(struct conn *w, void *arg, ksef_error *err)
{
	const store_token *t = arg;

	return exec(w, Q_TOKEN_ADD, ARGS(ARG_FIELD(t->ref),
		    ARG_FIELD(t->secret_hash), ARG_FIELD(t->ctx_type),
		    ARG_FIELD(t->ctx_value), ARG_FIELD(t->author_type),
		    ARG_FIELD(t->author_value), ARG_FIELD(t->permissions),
		    ARG_FIELD(t->description), ARG_FIELD(t->status),
		    ARG_INT(t->created_ms), ARG_INT(t->last_use_ms)), err);
}

int store_token_add(store *st, const store_token *t, ksef_error *err)
{
	char status[sizeof(t->status) + 1] = "";

	if (t == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no token given");
	memcpy(status, t->status, sizeof(t->status));
	if (!token_status_known(status))
		return ksef_error_set(err, KSEF_EINVAL, "unknown token status");
	return submit(st, op_token_add, (void *)t, err);
}

int store_token_get(store *st, const char *ref, store_token *out,
		    ksef_error *err)
{
	return read_one(st, Q_TOKEN_GET, ref, out, token_row, "token", err);
}

int store_token_find(store *st, const char *secret_hash, store_token *out,
		     ksef_error *err)
{
	return read_one(st, Q_TOKEN_FIND, secret_hash, out, token_row,
			"token", err);
}

/* A write that is one UPDATE of the row ?1 names (see update()). The
 * parameters live in the caller's frame, which waits in submit(). */
struct update_args {
	enum query q;
	const struct param *p;
	const char *what;
};

static int op_update(struct conn *w, void *arg, ksef_error *err)
{
	struct update_args *a = arg;

	return update(w, a->q, a->p, a->what, err);
}

/* A write that is one statement, whatever rows it changes (an insert
 * that may find its row already there). */
struct exec_args {
	enum query q;
	const struct param *p;
};

static int op_exec(struct conn *w, void *arg, ksef_error *err)
{
	struct exec_args *a = arg;

	return exec(w, a->q, a->p, err);
}

int store_token_set_status(store *st, const char *ref, const char *status,
			   ksef_error *err)
{
	struct update_args a = { Q_TOKEN_SET_STATUS,
				 ARGS(ARG_TEXT(ref), ARG_TEXT(status)),
				 "token" };

	if (ref == NULL || !token_status_known(status))
		return ksef_error_set(err, KSEF_EINVAL, "unknown token status");
	return submit(st, op_update, &a, err);
}

int store_token_touch(store *st, const char *ref, int64_t now_ms,
		      ksef_error *err)
{
	struct update_args a = { Q_TOKEN_TOUCH,
				 ARGS(ARG_TEXT(ref), ARG_INT(now_ms)),
				 "token" };

	if (ref == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no token given");
	return submit(st, op_update, &a, err);
}

int store_tokens_list(store *st, const store_token_query *q,
		      store_token **out, size_t *count, ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	if (q == NULL || q->ctx_type == NULL || q->ctx_value == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "tokens are listed per context");
	error = read_rows(st, Q_TOKENS_LIST, ARGS(ARG_TEXT(q->ctx_type),
			  ARG_TEXT(q->ctx_value), ARG_INT(q->statuses),
			  ARG_TEXT(q->description), ARG_TEXT(q->author_value),
			  ARG_TEXT(q->author_type),
			  ARG_INT(q->after_created_ms), ARG_TEXT(q->after_ref),
			  ARG_INT(limit_arg(q->limit))),
			  &token_rows, &rows, count, err);
	*out = rows;
	return error;
}

/* ---- challenges ---- */

struct challenge_args {
	const char *challenge;
	int64_t ts_ms;
	const char *client_ip;
};

static int op_challenge_add(struct conn *w, void *arg, ksef_error *err)
{
	struct challenge_args *a = arg;

	return exec(w, Q_CHALLENGE_ADD, ARGS(ARG_TEXT(a->challenge),
		    ARG_INT(a->ts_ms), ARG_TEXT(a->client_ip)), err);
}

int store_challenge_add(store *st, const char *challenge, int64_t ts_ms,
			const char *client_ip, ksef_error *err)
{
	struct challenge_args a = { challenge, ts_ms,
				    client_ip ? client_ip : "" };
	int error;

	if ((error = check_len(challenge, STORE_REF_SZ, "challenge", err)) < 0 ||
	    (error = check_len(a.client_ip, STORE_CTX_VALUE_SZ, "client address",
			       err)) < 0)
		return error;
	return submit(st, op_challenge_add, &a, err);
}

static int op_challenge_take(struct conn *w, void *arg, ksef_error *err)
{
	struct challenge_args *a = arg;
	int error = lookup(w, Q_CHALLENGE_TAKE, ARGS(ARG_TEXT(a->challenge)),
			   int64_row, &a->ts_ms, err);

	if (error == SQLITE_DONE)
		return ksef_error_set(err, KSEF_ENOTFOUND,
			     "challenge unknown or already used");
	return error < 0 ? error : 0;
}

int store_challenge_take(store *st, const char *challenge, int64_t *ts_ms,
			 ksef_error *err)
{
	struct challenge_args a = { challenge, 0, NULL };
	int error;

	if (challenge == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no challenge given");
	if ((error = submit(st, op_challenge_take, &a, err)) < 0)
		return error;
	if (ts_ms != NULL)
		*ts_ms = a.ts_ms;
	return 0;
}

/* ---- authentication operations ---- */

static int auth_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	store_auth *a = dst;

	(void)err;
	COL_TEXT(a->ref, s, 0);
	COL_TEXT(a->ctx_type, s, 1);
	COL_TEXT(a->ctx_value, s, 2);
	COL_TEXT(a->subject_type, s, 3);
	COL_TEXT(a->subject_value, s, 4);
	COL_TEXT(a->method, s, 5);
	COL_TEXT(a->token_ref, s, 6);
	COL_TEXT(a->permissions, s, 7);
	COL_TEXT(a->allowed_ips, s, 8);
	a->status = sqlite3_column_int(s, 9);
	COL_TEXT(a->status_details, s, 10);
	a->start_ms = sqlite3_column_int64(s, 11);
	a->redeemed = sqlite3_column_int(s, 12);
	a->refresh_valid_until_ms = sqlite3_column_int64(s, 13);
	a->last_refresh_ms = sqlite3_column_int64(s, 14);
	a->revoked = sqlite3_column_int(s, 15);
	COL_TEXT(a->doc_hash, s, 16);
	return 0;
}

static const struct row_type auth_rows = { sizeof(store_auth), auth_row,
					   NULL };

static int op_auth_add(struct conn *w, void *arg, ksef_error *err)
{
	const store_auth *a = arg;

	return exec(w, Q_AUTH_ADD, ARGS(ARG_FIELD(a->ref),
		    ARG_FIELD(a->ctx_type), ARG_FIELD(a->ctx_value),
		    ARG_FIELD(a->subject_type), ARG_FIELD(a->subject_value),
		    ARG_FIELD(a->method), ARG_FIELD(a->token_ref),
		    ARG_FIELD(a->permissions), ARG_FIELD(a->allowed_ips),
		    ARG_INT(a->status), ARG_FIELD(a->status_details),
		    ARG_INT(a->start_ms), ARG_INT(a->redeemed != 0),
		    ARG_INT(a->refresh_valid_until_ms),
		    ARG_INT(a->last_refresh_ms), ARG_INT(a->revoked != 0),
		    ARG_FIELD(a->doc_hash)), err);
}

int store_auth_add(store *st, const store_auth *a, ksef_error *err)
{
	if (a == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no authentication given");
	return submit(st, op_auth_add, (void *)a, err);
}

int store_auth_get(store *st, const char *ref, store_auth *out,
		   ksef_error *err)
{
	return read_one(st, Q_AUTH_GET, ref, out, auth_row,
			"authentication operation", err);
}

static int op_auth_finish(struct conn *w, void *arg, ksef_error *err)
{
	const store_auth *a = arg;

	return update(w, Q_AUTH_FINISH, ARGS(ARG_FIELD(a->ref),
		      ARG_FIELD(a->subject_type), ARG_FIELD(a->subject_value),
		      ARG_FIELD(a->method), ARG_FIELD(a->token_ref),
		      ARG_FIELD(a->permissions), ARG_INT(a->status),
		      ARG_FIELD(a->status_details), ARG_FIELD(a->doc_hash)),
		      "authentication operation", err);
}

int store_auth_finish(store *st, const store_auth *a, ksef_error *err)
{
	if (a == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no authentication given");
	return submit(st, op_auth_finish, (void *)a, err);
}

struct redeem_args {
	const char *ref;
	int64_t refresh_until_ms;
};

static int op_auth_redeem(struct conn *w, void *arg, ksef_error *err)
{
	struct redeem_args *a = arg;
	int error;

	if ((error = update(w, Q_AUTH_REDEEM, ARGS(ARG_TEXT(a->ref),
			    ARG_INT(a->refresh_until_ms)),
			    "authentication operation", err)) != KSEF_ENOTFOUND)
		return error;
	/* Nothing changed: unknown, or redeemed before. */
	error = lookup(w, Q_AUTH_EXISTS, ARGS(ARG_TEXT(a->ref)), NULL, NULL,
		       err);
	if (error == SQLITE_ROW)
		return ksef_error_set(err, KSEF_EINVAL, "authentication "
				      "tokens were already redeemed");
	if (error == SQLITE_DONE)
		return ksef_error_set(err, KSEF_ENOTFOUND,
			     "authentication operation not found");
	return error;
}

int store_auth_redeem(store *st, const char *ref, int64_t refresh_until_ms,
		      ksef_error *err)
{
	struct redeem_args a = { ref, refresh_until_ms };

	if (ref == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no authentication given");
	return submit(st, op_auth_redeem, &a, err);
}

int store_auth_refreshed(store *st, const char *ref, int64_t now_ms,
			 ksef_error *err)
{
	struct update_args a = { Q_AUTH_REFRESHED,
				 ARGS(ARG_TEXT(ref), ARG_INT(now_ms)),
				 "authentication operation" };

	if (ref == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no authentication given");
	return submit(st, op_update, &a, err);
}

static int op_auth_revoke(struct conn *w, void *arg, ksef_error *err)
{
	return update(w, Q_AUTH_REVOKE, ARGS(ARG_TEXT(arg)),
		      "authentication operation", err);
}

int store_auth_revoke(store *st, const char *ref, ksef_error *err)
{
	if (ref == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no authentication given");
	return submit(st, op_auth_revoke, (void *)ref, err);
}

int store_auth_list(store *st, const char *ctx_type, const char *ctx_value,
		    int64_t now_ms, int64_t after_start_ms,
		    const char *after_ref, size_t limit, store_auth **out,
		    size_t *count, ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	if (ctx_type == NULL || ctx_value == NULL)
		return ksef_error_set(err, KSEF_EINVAL,
			    "authentications are listed per context");
	error = read_rows(st, Q_AUTH_LIST, ARGS(ARG_TEXT(ctx_type),
			  ARG_TEXT(ctx_value), ARG_INT(now_ms),
			  ARG_INT(after_start_ms), ARG_TEXT(after_ref),
			  ARG_INT(limit_arg(limit))),
			  &auth_rows, &rows, count, err);
	*out = rows;
	return error;
}

/* ---- sessions ---- */

static int session_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	store_session *x = dst;
	const void *b;
	size_t n;

	(void)err;
	COL_TEXT(x->ref, s, 0);
	COL_TEXT(x->auth_ref, s, 1);
	COL_TEXT(x->ctx_type, s, 2);
	COL_TEXT(x->ctx_value, s, 3);
	COL_TEXT(x->subject_value, s, 4);
	x->form = sqlite3_column_int(s, 5);
	x->key_id = sqlite3_column_int64(s, 6);
	b = sqlite3_column_blob(s, 7);
	n = (size_t)sqlite3_column_bytes(s, 7);
	if (n > sizeof(x->wrapped_key))
		n = 0; /* written by something else: treat as absent */
	if (b != NULL && n > 0)
		memcpy(x->wrapped_key, b, n);
	x->wrapped_key_len = n;
	b = sqlite3_column_blob(s, 8);
	n = (size_t)sqlite3_column_bytes(s, 8);
	memset(x->iv, 0, sizeof(x->iv));
	if (b != NULL && n == sizeof(x->iv))
		memcpy(x->iv, b, n);
	x->status = sqlite3_column_int(s, 9);
	x->created_ms = sqlite3_column_int64(s, 10);
	x->updated_ms = sqlite3_column_int64(s, 11);
	x->valid_until_ms = sqlite3_column_int64(s, 12);
	x->closed_ms = sqlite3_column_int64(s, 13);
	x->invoice_count = sqlite3_column_int(s, 14);
	x->success_count = sqlite3_column_int(s, 15);
	x->failed_count = sqlite3_column_int(s, 16);
	x->max_invoices = sqlite3_column_int(s, 17);
	COL_TEXT(x->upo_ref, s, 18);
	return 0;
}

static const struct row_type session_rows = { sizeof(store_session),
					      session_row, NULL };

static int op_session_add(struct conn *w, void *arg, ksef_error *err)
{
	const store_session *x = arg;

	return exec(w, Q_SESSION_ADD, ARGS(ARG_FIELD(x->ref),
		    ARG_FIELD(x->auth_ref), ARG_FIELD(x->ctx_type),
		    ARG_FIELD(x->ctx_value), ARG_FIELD(x->subject_value),
		    ARG_INT(x->form), ARG_INT(x->key_id),
		    ARG_BLOB(x->wrapped_key, x->wrapped_key_len),
		    ARG_BLOB(x->iv, sizeof(x->iv)), ARG_INT(x->status),
		    ARG_INT(x->created_ms), ARG_INT(x->updated_ms),
		    ARG_INT(x->valid_until_ms), ARG_INT(x->closed_ms),
		    ARG_INT(x->invoice_count), ARG_INT(x->success_count),
		    ARG_INT(x->failed_count), ARG_INT(x->max_invoices),
		    ARG_FIELD(x->upo_ref)), err);
}

int store_session_add(store *st, const store_session *s, ksef_error *err)
{
	if (s == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no session given");
	if (s->wrapped_key_len > sizeof(s->wrapped_key))
		return ksef_error_set(err, KSEF_EINVAL, "wrapped key is over %zu bytes",
			    sizeof(s->wrapped_key));
	return submit(st, op_session_add, (void *)s, err);
}

int store_session_get(store *st, const char *ref, store_session *out,
		      ksef_error *err)
{
	return read_one(st, Q_SESSION_GET, ref, out, session_row, "session",
			err);
}

/* The state of a session as the writer sees it. */
struct session_state {
	int status;
	int invoice_count;
	int max_invoices;
};

static int session_state_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	struct session_state *x = dst;

	(void)err;
	x->status = sqlite3_column_int(s, 0);
	x->invoice_count = sqlite3_column_int(s, 1);
	x->max_invoices = sqlite3_column_int(s, 2);
	return 0;
}

static int session_state(struct conn *w, const char *ref,
			 struct session_state *out, ksef_error *err)
{
	int error = lookup(w, Q_SESSION_STATE, ARGS(ARG_TEXT(ref)),
			   session_state_row, out, err);

	if (error == SQLITE_DONE)
		return ksef_error_set(err, KSEF_ENOTFOUND, "session not found");
	return error < 0 ? error : 0;
}

struct close_args {
	const char *ref;
	int64_t now_ms;
	int status;
};

static int op_session_close(struct conn *w, void *arg, ksef_error *err)
{
	struct close_args *a = arg;
	struct session_state state;
	int error;

	if ((error = update(w, Q_SESSION_CLOSE, ARGS(ARG_TEXT(a->ref),
			    ARG_INT(a->now_ms)), "session", err)) !=
	    KSEF_ENOTFOUND)
		return error;
	if ((error = session_state(w, a->ref, &state, err)) < 0)
		return error;
	a->status = state.status;
	return ksef_error_set(err, KSEF_EINVAL, "session status %d does not allow "
		    "closing it", a->status);
}

int store_session_close(store *st, const char *ref, int64_t now_ms,
			int *status, ksef_error *err)
{
	struct close_args a = { ref, now_ms, 0 };
	int error;

	if (ref == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no session given");
	error = submit(st, op_session_close, &a, err);
	if (status != NULL)
		*status = error == 0 ? 170 : a.status;
	return error;
}

int store_session_set_upo(store *st, const char *ref, const char *upo_ref,
			  int64_t now_ms, ksef_error *err)
{
	struct update_args a = { Q_SESSION_SET_UPO,
				 ARGS(ARG_TEXT(ref), ARG_TEXT(upo_ref),
				      ARG_INT(now_ms)),
				 "session" };
	int error;

	if (ref == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no session given");
	if ((error = check_len(upo_ref, STORE_REF_SZ, "UPO reference",
			       err)) < 0)
		return error;
	return submit(st, op_update, &a, err);
}

struct count_args {
	int64_t now_ms;
	int count;
};

static int op_sessions_expire(struct conn *w, void *arg, ksef_error *err)
{
	struct count_args *a = arg;
	int error;

	if ((error = exec(w, Q_SESSIONS_EXPIRE, ARGS(ARG_INT(a->now_ms)),
			  err)) < 0)
		return error;
	a->count = sqlite3_changes(w->db);
	return 0;
}

int store_sessions_expire(store *st, int64_t now_ms, int *count,
			  ksef_error *err)
{
	struct count_args a = { now_ms, 0 };
	int error;

	if ((error = submit(st, op_sessions_expire, &a, err)) < 0)
		return error;
	if (count != NULL)
		*count = a.count;
	return 0;
}

struct finish_sessions_args {
	int64_t now_ms;
	char (*refs)[STORE_REF_SZ];
	size_t count;
};

static int ref_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	(void)err;
	col_text(dst, STORE_REF_SZ, s, 0);
	return 0;
}

static const struct row_type ref_rows = { STORE_REF_SZ, ref_row, NULL };

static int op_sessions_finish(struct conn *w, void *arg, ksef_error *err)
{
	struct finish_sessions_args *a = arg;
	void *rows = NULL;
	int error;

	error = fetch_rows(&rows, &a->count, w, Q_SESSIONS_FINISH,
			   ARGS(ARG_INT(a->now_ms)), &ref_rows, err);
	a->refs = rows;
	return error;
}

int store_sessions_finish(store *st, int64_t now_ms,
			  char (**refs)[STORE_REF_SZ], size_t *count,
			  ksef_error *err)
{
	struct finish_sessions_args a = { now_ms, NULL, 0 };
	int error;

	*refs = NULL;
	*count = 0;
	if ((error = submit(st, op_sessions_finish, &a, err)) < 0) {
		free(a.refs); /* the commit failed after the rows were read */
		return error;
	}
	*refs = a.refs;
	*count = a.count;
	return 0;
}

int store_sessions_list(store *st, const store_session_query *q,
			store_session **out, size_t *count, ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	if (q == NULL || q->ctx_type == NULL || q->ctx_value == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "sessions are listed per context");
	error = read_rows(st, Q_SESSIONS_LIST, ARGS(ARG_TEXT(q->ctx_type),
			  ARG_TEXT(q->ctx_value), ARG_TEXT(q->subject_value),
			  ARG_TEXT(q->ref), ARG_INT(q->created_from),
			  ARG_INT(q->created_to), ARG_INT(q->closed_from),
			  ARG_INT(q->closed_to), ARG_INT(q->updated_from),
			  ARG_INT(q->updated_to), ARG_INT(q->statuses),
			  ARG_INT(q->after_created_ms), ARG_TEXT(q->after_ref),
			  ARG_INT(limit_arg(q->limit))),
			  &session_rows, &rows, count, err);
	*out = rows;
	return error;
}

/* ---- invoices ---- */

static int invoice_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	store_invoice *v = dst;

	(void)err;
	COL_TEXT(v->ref, s, 0);
	COL_TEXT(v->session_ref, s, 1);
	v->ordinal = sqlite3_column_int(s, 2);
	COL_TEXT(v->invoice_hash, s, 3);
	v->invoice_size = sqlite3_column_int64(s, 4);
	COL_TEXT(v->encrypted_hash, s, 5);
	v->encrypted_size = sqlite3_column_int64(s, 6);
	v->offline_mode = sqlite3_column_int(s, 7);
	COL_TEXT(v->hash_of_corrected, s, 8);
	v->invoicing_ms = sqlite3_column_int64(s, 9);
	v->status = sqlite3_column_int(s, 10);
	COL_TEXT(v->status_details, s, 11);
	COL_TEXT(v->orig_ksef_number, s, 12);
	COL_TEXT(v->orig_session_ref, s, 13);
	COL_TEXT(v->invoice_number, s, 14);
	COL_TEXT(v->seller_nip, s, 15);
	COL_TEXT(v->invoice_kind, s, 16);
	COL_TEXT(v->ksef_number, s, 17);
	v->acquisition_ms = sqlite3_column_int64(s, 18);
	v->permanent_storage_ms = sqlite3_column_int64(s, 19);
	COL_TEXT(v->invoicing_mode, s, 20);
	COL_TEXT(v->issue_date, s, 21);
	return 0;
}

static const struct row_type invoice_rows = { sizeof(store_invoice),
					      invoice_row, NULL };

/* What verification decides about an invoice, after its status: the
 * columns that Q_INVOICE_ADD takes as ?12 to ?22 and Q_INVOICE_FINISH as
 * ?3 to ?13, in the same order. */
#define VERDICT_ARGS(inv)                                                  \
	ARG_FIELD((inv)->status_details), ARG_FIELD((inv)->orig_ksef_number), \
	ARG_FIELD((inv)->orig_session_ref), ARG_FIELD((inv)->invoice_number), \
	ARG_FIELD((inv)->seller_nip), ARG_FIELD((inv)->invoice_kind),     \
	ARG_FIELD((inv)->ksef_number), ARG_INT((inv)->acquisition_ms),    \
	ARG_INT((inv)->permanent_storage_ms),                             \
	ARG_FIELD((inv)->invoicing_mode), ARG_FIELD((inv)->issue_date)

static int blob_add(struct conn *w, const char *ref, int kind,
		    const unsigned char *data, size_t len, ksef_error *err)
{
	/* An empty blob, not NULL: the column is NOT NULL. */
	static const unsigned char empty[1];

	return exec(w, Q_BLOB_ADD, ARGS(ARG_TEXT(ref), ARG_INT(kind),
		    ARG_BLOB(data ? data : empty, len)), err);
}

struct accept_args {
	store_invoice *inv;
	const unsigned char *data;
	size_t len;
	int session_status;
};

static int op_invoice_accept(struct conn *w, void *arg, ksef_error *err)
{
	struct accept_args *a = arg;
	store_invoice *inv = a->inv;
	struct session_state state;
	int error;

	if ((error = session_state(w, inv->session_ref, &state, err)) < 0)
		return error;
	a->session_status = state.status;
	if (a->session_status != 100)
		return ksef_error_set(err, KSEF_EINVAL, "session status %d does not "
			    "allow sending invoices", a->session_status);
	if (state.invoice_count >= state.max_invoices)
		return ksef_error_set(err, KSEF_ETOOBIG, "the session holds its limit "
			    "of %d invoices", state.max_invoices);
	inv->ordinal = state.invoice_count + 1;

	if ((error = exec(w, Q_SESSION_COUNT_ACCEPT,
			  ARGS(ARG_FIELD(inv->session_ref),
			       ARG_INT(inv->invoicing_ms),
			       ARG_INT(inv->status >= 300)), err)) < 0 ||
	    (error = exec(w, Q_INVOICE_ADD, ARGS(ARG_FIELD(inv->ref),
			  ARG_FIELD(inv->session_ref), ARG_INT(inv->ordinal),
			  ARG_FIELD(inv->invoice_hash),
			  ARG_INT(inv->invoice_size),
			  ARG_FIELD(inv->encrypted_hash),
			  ARG_INT(inv->encrypted_size),
			  ARG_INT(inv->offline_mode != 0),
			  ARG_FIELD(inv->hash_of_corrected),
			  ARG_INT(inv->invoicing_ms), ARG_INT(inv->status),
			  VERDICT_ARGS(inv)), err)) < 0)
		return error;
	return blob_add(w, inv->ref, BLOB_CIPHERTEXT, a->data, a->len, err);
}

int store_invoice_accept(store *st, store_invoice *inv,
			 const unsigned char *ciphertext, size_t len,
			 int *session_status, ksef_error *err)
{
	store_invoice copy;
	struct accept_args a = { &copy, ciphertext, len, 0 };
	int error;

	if (inv == NULL || (ciphertext == NULL && len > 0))
		return ksef_error_set(err, KSEF_EINVAL, "no invoice given");
	if (len > KSEF_CIPHERTEXT_MAX_BYTES)
		return ksef_error_set(err, KSEF_ETOOBIG, "ciphertext is %zu bytes, over "
			    "KSEF_CIPHERTEXT_MAX_BYTES", len);
	copy = *inv;
	if (copy.status == 0)
		copy.status = 100;
	if (copy.status == 200)
		return ksef_error_set(err, KSEF_EINVAL, "an invoice reaches 200 only "
			    "through store_invoice_finish");
	error = submit(st, op_invoice_accept, &a, err);
	if (session_status != NULL)
		*session_status = a.session_status;
	if (error < 0)
		return error;
	*inv = copy;
	return 0;
}

int store_invoice_get(store *st, const char *ref, store_invoice *out,
		      ksef_error *err)
{
	return read_one(st, Q_INVOICE_GET, ref, out, invoice_row, "invoice",
			err);
}

int store_invoice_by_ksef_number(store *st, const char *ksef_number,
				 store_invoice *out, ksef_error *err)
{
	return read_one(st, Q_INVOICE_BY_KSEF, ksef_number, out, invoice_row,
			"invoice", err);
}

/* A row_fn: the blob into a ksef_buf, NUL-terminated past its end. */
static int blob_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	ksef_buf *out = dst;
	const void *data = sqlite3_column_blob(s, 0);
	size_t n = (size_t)sqlite3_column_bytes(s, 0);
	unsigned char *p;

	if ((p = malloc(n + 1)) == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	if (n > 0)
		memcpy(p, data, n);
	p[n] = '\0';
	ksef_buf_dispose(out);
	out->ptr = p;
	out->size = n;
	out->asize = n + 1;
	return 0;
}

static int blob_get(store *st, const char *ref, int kind, ksef_buf *out,
		    ksef_error *err)
{
	int error;

	if (ref == NULL || out == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no invoice given");
	error = read_row(st, Q_BLOB_GET, ARGS(ARG_TEXT(ref), ARG_INT(kind)),
			 blob_row, out, err);
	if (error == SQLITE_DONE)
		return ksef_error_set(err, KSEF_ENOTFOUND,
			"invoice %s not stored",
			kind == BLOB_PLAINTEXT ? "content" : "ciphertext");
	return error < 0 ? error : 0;
}

int store_invoice_ciphertext(store *st, const char *ref, ksef_buf *out,
			     ksef_error *err)
{
	return blob_get(st, ref, BLOB_CIPHERTEXT, out, err);
}

int store_invoice_plaintext(store *st, const char *ref, ksef_buf *out,
			    ksef_error *err)
{
	return blob_get(st, ref, BLOB_PLAINTEXT, out, err);
}

int store_invoice_by_hash(store *st, const char *ctx_value,
			  const char *invoice_hash, store_invoice *out,
			  ksef_error *err)
{
	int error;

	if (ctx_value == NULL || invoice_hash == NULL || out == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no context or hash given");
	error = read_row(st, Q_INVOICE_BY_HASH, ARGS(ARG_TEXT(ctx_value),
			 ARG_TEXT(invoice_hash)), invoice_row, out, err);
	if (error == SQLITE_DONE)
		return ksef_error_set(err, KSEF_ENOTFOUND,
				      "no invoice with this hash");
	return error < 0 ? error : 0;
}

struct finish_args {
	store_invoice *inv;
	const unsigned char *data;
	size_t len;
	int dup;
	int64_t now_ms;
};

/* JSON string content for text we made (numbers and references): escape
 * what JSON requires, so a damaged row cannot break the document. */
static void json_escape(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	for (; *src != '\0' && n + 7 < size; src++) {
		unsigned char ch = (unsigned char)*src;

		if (ch == '"' || ch == '\\') {
			dst[n++] = '\\';
			dst[n++] = (char)ch;
		} else if (ch < 0x20) {
			n += (size_t)snprintf(dst + n, size - n, "\\u%04x", ch);
		} else {
			dst[n++] = (char)ch;
		}
	}
	dst[n] = '\0';
}

/* A row_fn: the number and session of the invoice holding a key. */
static int holder_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	store_invoice *inv = dst;

	(void)err;
	COL_TEXT(inv->orig_ksef_number, s, 0);
	COL_TEXT(inv->orig_session_ref, s, 1);
	return 0;
}

/* Claim the invoice's duplicate key, or turn it into the 440 duplicate of
 * the invoice that holds the key. */
static int claim_dup_key(struct conn *w, struct finish_args *a,
			 ksef_error *err)
{
	store_invoice *inv = a->inv;
	char ksef[2 * KSEF_NUMBER_BUFSZ], sess[2 * STORE_REF_SZ];
	int error;

	if ((error = exec(w, Q_DUPKEY_CLAIM, ARGS(ARG_FIELD(inv->seller_nip),
			  ARG_FIELD(inv->invoice_kind),
			  ARG_FIELD(inv->invoice_number), ARG_FIELD(inv->ref)),
			  err)) < 0)
		return error;
	if (sqlite3_changes(w->db) == 1)
		return 0;

	error = lookup(w, Q_DUPKEY_HOLDER, ARGS(ARG_FIELD(inv->seller_nip),
		       ARG_FIELD(inv->invoice_kind),
		       ARG_FIELD(inv->invoice_number)), holder_row, inv, err);
	if (error == SQLITE_DONE)
		return ksef_error_set(err, KSEF_EIO, "database: duplicate "
				      "key held by no invoice");
	if (error < 0)
		return error;

	/* SPEC 5.2: 440 with the original's number and session. */
	json_escape(ksef, sizeof(ksef), inv->orig_ksef_number);
	json_escape(sess, sizeof(sess), inv->orig_session_ref);
	inv->status = 440;
	snprintf(inv->status_details, sizeof(inv->status_details),
		 "[\"Duplikat faktury. Faktura o numerze KSeF: %s została już "
		 "prawidłowo przesłana do systemu w sesji: %s\"]", ksef, sess);
	inv->ksef_number[0] = '\0';
	inv->acquisition_ms = 0;
	inv->permanent_storage_ms = 0;
	a->dup = 1;
	return 0;
}

/* What op_invoice_finish reads of the invoice as stored: its status
 * and, into the invoice, its session. */
struct invoice_state {
	int status;
	store_invoice *inv;
};

static int invoice_state_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	struct invoice_state *x = dst;

	(void)err;
	x->status = sqlite3_column_int(s, 0);
	COL_TEXT(x->inv->session_ref, s, 1);
	return 0;
}

static int op_invoice_finish(struct conn *w, void *arg, ksef_error *err)
{
	struct finish_args *a = arg;
	store_invoice *inv = a->inv;
	struct invoice_state old = { 0, inv };
	int error;

	/* The invoice as stored: its session, and whether it was final. */
	error = lookup(w, Q_INVOICE_STATE, ARGS(ARG_FIELD(inv->ref)),
		       invoice_state_row, &old, err);
	if (error == SQLITE_DONE)
		return ksef_error_set(err, KSEF_ENOTFOUND, "invoice not found");
	if (error < 0)
		return error;
	if (old.status >= 200)
		return ksef_error_set(err, KSEF_EINVAL, "invoice already has final "
			    "status %d", old.status);

	if (inv->status == 200 && inv->invoice_number[0] != '\0' &&
	    (error = claim_dup_key(w, a, err)) < 0)
		return error;

	if ((error = exec(w, Q_INVOICE_FINISH, ARGS(ARG_FIELD(inv->ref),
			  ARG_INT(inv->status), VERDICT_ARGS(inv)), err)) < 0)
		return error;

	if (inv->status == 200 &&
	    (error = blob_add(w, inv->ref, BLOB_PLAINTEXT, a->data, a->len,
			      err)) < 0)
		return error;

	return exec(w, Q_SESSION_COUNT_FINISH, ARGS(ARG_FIELD(inv->session_ref),
		    ARG_INT(inv->status == 200), ARG_INT(inv->status >= 300),
		    ARG_INT(a->now_ms)), err);
}

int store_invoice_finish(store *st, store_invoice *inv,
			 const unsigned char *plaintext, size_t len,
			 int *dup, ksef_error *err)
{
	store_invoice copy;
	struct finish_args a = { &copy, plaintext, len, 0, wall_ms() };
	int error;

	if (dup != NULL)
		*dup = 0;
	if (inv == NULL || inv->status < 100)
		return ksef_error_set(err, KSEF_EINVAL, "no invoice status given");
	if (inv->status == 200 && plaintext == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "an accepted invoice needs its "
			    "content");
	if (len > KSEF_INVOICE_MAX_BYTES)
		return ksef_error_set(err, KSEF_ETOOBIG, "invoice is %zu bytes, over "
			    "KSEF_INVOICE_MAX_BYTES", len);
	copy = *inv;
	if ((error = submit(st, op_invoice_finish, &a, err)) < 0)
		return error;
	*inv = copy;
	if (dup != NULL)
		*dup = a.dup;
	return 0;
}

int store_invoices_list(store *st, const char *session_ref, int failed_only,
			int after_ordinal, size_t limit, store_invoice **out,
			size_t *count, ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	if (session_ref == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no session given");
	error = read_rows(st, Q_INVOICES_LIST, ARGS(ARG_TEXT(session_ref),
			  ARG_INT(after_ordinal), ARG_INT(failed_only != 0),
			  ARG_INT(limit_arg(limit))),
			  &invoice_rows, &rows, count, err);
	*out = rows;
	return error;
}

int store_invoices_pending(store *st, char (**refs)[STORE_REF_SZ],
			   size_t *count, ksef_error *err)
{
	void *rows = NULL;
	int error;

	*refs = NULL;
	*count = 0;
	error = read_rows(st, Q_INVOICES_PENDING, NULL, &ref_rows, &rows, count,
			  err);
	*refs = rows;
	return error;
}

int store_invoices_accepted(store *st, const char *session_ref,
			    int after_ordinal, size_t limit, store_invoice **out,
			    size_t *count, ksef_error *err)
{
	void *rows = NULL;
	int error;

	*out = NULL;
	*count = 0;
	if (session_ref == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no session given");
	error = read_rows(st, Q_INVOICES_ACCEPTED, ARGS(ARG_TEXT(session_ref),
			  ARG_INT(after_ordinal), ARG_INT(limit_arg(limit))),
			  &invoice_rows, &rows, count, err);
	*out = rows;
	return error;
}

/* ---- UPO documents ---- */

int store_upo_get(store *st, const char *key, ksef_buf *out, ksef_error *err)
{
	if (out == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no buffer given");
	return read_one(st, Q_UPO_GET, key, out, blob_row, "UPO", err);
}

int store_upo_put(store *st, const char *key, const unsigned char *xml,
		  size_t len, ksef_error *err)
{
	/* ON CONFLICT DO NOTHING: two requests that signed the same UPO at
	 * once both succeed, and both read back the first one's bytes. */
	struct exec_args a = { Q_UPO_ADD,
			       ARGS(ARG_TEXT(key), ARG_BLOB(xml, len)) };
	int error;

	if ((error = check_len(key, STORE_REF_SZ, "UPO key", err)) < 0)
		return error;
	if (xml == NULL || len == 0)
		return ksef_error_set(err, KSEF_EINVAL, "no UPO given");
	if (len > KSEF_UPO_MAX_BYTES)
		return ksef_error_set(err, KSEF_ETOOBIG, "UPO is %zu bytes, over "
			    "KSEF_UPO_MAX_BYTES", len);
	return submit(st, op_exec, &a, err);
}

struct upo_pages_args {
	const char *session_ref;
	char (*refs)[STORE_REF_SZ];
	size_t count;
};

static int op_upo_pages_set(struct conn *w, void *arg, ksef_error *err)
{
	struct upo_pages_args *a = arg;
	struct session_state state;
	size_t i;
	int error;

	if ((error = session_state(w, a->session_ref, &state, err)) < 0)
		return error;
	/* Set once: the references may already be in a client's hands, so
	 * a second assignment (a restarted server, a race) keeps the first. */
	error = lookup(w, Q_UPO_PAGES_SET, ARGS(ARG_TEXT(a->session_ref)),
		       NULL, NULL, err);
	if (error != SQLITE_DONE)
		return error < 0 ? error : 0;
	for (i = 0; i < a->count; i++)
		if ((error = exec(w, Q_UPO_PAGE_ADD,
				  ARGS(ARG_TEXT(a->session_ref),
				       ARG_INT(i + 1), ARG_FIELD(a->refs[i])),
				  err)) < 0)
			return error;
	return 0;
}

int store_upo_pages_set(store *st, const char *session_ref,
			char (*refs)[STORE_REF_SZ], size_t count,
			ksef_error *err)
{
	struct upo_pages_args a = { session_ref, refs, count };
	size_t i;
	int error;

	if (session_ref == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no session given");
	/* No pages would read back as none set (KSEF_ENOTFOUND). */
	if (refs == NULL || count == 0)
		return ksef_error_set(err, KSEF_EINVAL, "a session UPO has at "
				      "least one page");
	for (i = 0; i < count; i++)
		if ((error = check_len(refs[i], STORE_REF_SZ,
				       "UPO page reference", err)) < 0)
			return error;
	return submit(st, op_upo_pages_set, &a, err);
}

int store_upo_pages(store *st, const char *session_ref,
		    char (**refs)[STORE_REF_SZ], size_t *count,
		    ksef_error *err)
{
	void *rows = NULL;
	int error;

	*refs = NULL;
	*count = 0;
	if (session_ref == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no session given");
	if ((error = read_rows(st, Q_UPO_PAGES, ARGS(ARG_TEXT(session_ref)),
			       &ref_rows, &rows, count, err)) < 0)
		return error;
	if (*count == 0)
		return ksef_error_set(err, KSEF_ENOTFOUND,
				      "session UPO pages not found");
	*refs = rows;
	return 0;
}

/* ---- permission grants ---- */

static const char *const grant_subject_types[] = {
	"Nip", "Pesel", "Fingerprint",
};

/* The key of a grant: each part present and within its field. */
static int check_grant_key(const char *ctx_type, const char *ctx_value,
			   const char *subject_type,
			   const char *subject_value, ksef_error *err)
{
	int error;

	if ((error = check_len(ctx_type, STORE_CTX_TYPE_SZ, "context type",
			       err)) < 0 ||
	    (error = check_len(ctx_value, STORE_CTX_VALUE_SZ, "context",
			       err)) < 0 ||
	    (error = check_len(subject_type, STORE_CTX_TYPE_SZ,
			       "subject type", err)) < 0 ||
	    (error = check_len(subject_value, STORE_CTX_VALUE_SZ, "subject",
			       err)) < 0)
		return error;
	return 0;
}

int store_grant_set(store *st, const char *ctx_type, const char *ctx_value,
		    const char *subject_type, const char *subject_value,
		    const char *permissions, ksef_error *err)
{
	struct exec_args a = { Q_GRANT_SET,
			       ARGS(ARG_TEXT(ctx_type), ARG_TEXT(ctx_value),
				    ARG_TEXT(subject_type),
				    ARG_TEXT(subject_value),
				    ARG_TEXT(permissions)) };
	size_t i;
	int error;

	if ((error = check_grant_key(ctx_type, ctx_value, subject_type,
				     subject_value, err)) < 0 ||
	    (error = check_len(permissions, STORE_PERMS_SZ, "permissions",
			       err)) < 0)
		return error;
	for (i = 0; i < sizeof(grant_subject_types) /
			sizeof(grant_subject_types[0]); i++)
		if (strcmp(subject_type, grant_subject_types[i]) == 0)
			return submit(st, op_exec, &a, err);
	return ksef_error_set(err, KSEF_EINVAL, "permissions are granted to a "
			      "Nip, Pesel or Fingerprint");
}

/* A row_fn: the permissions column into a STORE_PERMS_SZ field. */
static int perms_row(void *dst, sqlite3_stmt *s, ksef_error *err)
{
	(void)err;
	col_text(dst, STORE_PERMS_SZ, s, 0);
	return 0;
}

int store_grant_get(store *st, const char *ctx_type, const char *ctx_value,
		    const char *subject_type, const char *subject_value,
		    char permissions[STORE_PERMS_SZ], ksef_error *err)
{
	int error;

	if ((error = check_grant_key(ctx_type, ctx_value, subject_type,
				     subject_value, err)) < 0)
		return error;
	if (permissions == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no buffer given");
	error = read_row(st, Q_GRANT_GET, ARGS(ARG_TEXT(ctx_type),
			 ARG_TEXT(ctx_value), ARG_TEXT(subject_type),
			 ARG_TEXT(subject_value)), perms_row, permissions,
			 err);
	if (error == SQLITE_DONE)
		return ksef_error_set(err, KSEF_ENOTFOUND,
				      "permission grant not found");
	return error < 0 ? error : 0;
}

int store_grant_revoke(store *st, const char *ctx_type, const char *ctx_value,
		       const char *subject_type, const char *subject_value,
		       ksef_error *err)
{
	struct update_args a = { Q_GRANT_REVOKE,
				 ARGS(ARG_TEXT(ctx_type), ARG_TEXT(ctx_value),
				      ARG_TEXT(subject_type),
				      ARG_TEXT(subject_value)),
				 "permission grant" };
	int error;

	if ((error = check_grant_key(ctx_type, ctx_value, subject_type,
				     subject_value, err)) < 0)
		return error;
	return submit(st, op_update, &a, err);
}
