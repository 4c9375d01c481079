/*
 * store_schema.c - the SQLite store's schema: the migrations that build it,
 * version by version, and the text of every statement the store runs. The
 * other store files name a statement by its enum query; none holds SQL.
 *
 * PRAGMA user_version holds the schema version; sql_migrate() in
 * store_sqlite.c runs these migrations to bring an older file up to
 * STORE_SCHEMA_VERSION in one transaction and refuses a newer one.
 * Invoice bytes live in invoice_blobs so that listing invoices never reads
 * megabytes of ciphertext. The duplicate key of invoice
 * verification (seller NIP, RodzajFaktury, P_2; SPEC 8.3) is the primary
 * key of invoice_keys, held only by invoices that reached status 200. The
 * keys table bumps a counter in meta from triggers, so store_keys_version()
 * sees key changes made by any process. A signed UPO is kept in upo_docs
 * under its key and never replaced: the first document stored is the one
 * every later request gets, byte for byte. A session's UPO page references
 * (upo_pages) are likewise written once.
 *
 * All SQL is constant text with bound parameters; optional filters are
 * written as (?N IS NULL OR ...) instead of being assembled at run time.
 */
#include "store_int.h"
#include "store_certs_sql.h"
#include "store_faults_sql.h"
#include "store_retrieval_sql.h"

/* ---- schema ---- */

/* Migration i brings user_version i to i + 1; each ends by setting it. */
const char *const sql_migrations[STORE_SCHEMA_VERSION] = {
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

	/* Version 3: the duplicate key in one b-tree. As a rowid table with
	 * two unique indexes it cost each accepted invoice three random
	 * pages of the write-ahead log; nothing looks a key up by its
	 * invoice. */
	"CREATE TABLE invoice_keys_v3 ("
	"  seller_nip TEXT NOT NULL,"
	"  invoice_kind TEXT NOT NULL,"
	"  invoice_number TEXT NOT NULL,"
	"  invoice_ref TEXT NOT NULL REFERENCES invoices (ref),"
	"  PRIMARY KEY (seller_nip, invoice_kind, invoice_number))"
	"  WITHOUT ROWID;"
	"INSERT INTO invoice_keys_v3 SELECT seller_nip, invoice_kind,"
	"  invoice_number, invoice_ref FROM invoice_keys;"
	"DROP TABLE invoice_keys;"
	"ALTER TABLE invoice_keys_v3 RENAME TO invoice_keys;"

	"PRAGMA user_version = 3;",

	/* Version 4: a session keeps what its UPOs say of its
	 * authentication (the KSeF token's reference or the XAdES
	 * document's hash), so that authentication operations can be purged
	 * once nothing can use them. */
	"ALTER TABLE sessions ADD COLUMN auth_token_ref TEXT NOT NULL"
	"  DEFAULT '';"
	"ALTER TABLE sessions ADD COLUMN auth_doc_hash TEXT NOT NULL"
	"  DEFAULT '';"
	"UPDATE sessions SET"
	"  auth_token_ref = ifnull((SELECT token_ref FROM auth_ops a"
	"    WHERE a.ref = sessions.auth_ref), ''),"
	"  auth_doc_hash = ifnull((SELECT doc_hash FROM auth_ops a"
	"    WHERE a.ref = sessions.auth_ref), '');"
	"CREATE INDEX auth_ops_by_start ON auth_ops (start_ms);"
	/* Technical corrections, found by the original's hash (21166);
	 * partial, so that other invoices pay nothing for it. */
	"CREATE INDEX invoices_by_corrected ON invoices (hash_of_corrected)"
	"  WHERE hash_of_corrected != '';"

	"PRAGMA user_version = 4;",

	/* Version 5: test data (dane-testowe-scenariusze.md, TEST profile
	 * only). testdata_subjects holds the subjects of POST
	 * /testdata/subject and their subunits, each under its EntityRoleType
	 * (a subunit names its parent); testdata_persons the persons of POST
	 * /testdata/person. Removing either only marks the row, which keeps
	 * its createdDate: a later creation of the same NIP must give a
	 * later one (open-api.json, SubjectCreateRequest). The consent to
	 * invoices with attachments and the blocks of authentication are
	 * kept per context. IF NOT EXISTS: a file taken back to an older
	 * version by hand (as the store's tests do) still migrates. */
	"CREATE TABLE IF NOT EXISTS testdata_subjects ("
	"  nip TEXT PRIMARY KEY,"
	"  role TEXT NOT NULL,"
	"  parent_nip TEXT NOT NULL,"
	"  description TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  removed INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS testdata_subjects_by_parent"
	"  ON testdata_subjects (parent_nip) WHERE parent_nip <> '';"

	"CREATE TABLE IF NOT EXISTS testdata_persons ("
	"  nip TEXT PRIMARY KEY,"
	"  pesel TEXT NOT NULL,"
	"  description TEXT NOT NULL,"
	"  is_bailiff INTEGER NOT NULL,"
	"  is_deceased INTEGER NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  removed INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS testdata_persons_by_pesel"
	"  ON testdata_persons (pesel) WHERE removed = 0;"

	/* revoked_ms 0: the consent has no end. */
	"CREATE TABLE IF NOT EXISTS attachment_permissions ("
	"  ctx_type TEXT NOT NULL,"
	"  ctx_value TEXT NOT NULL,"
	"  allowed_ms INTEGER NOT NULL,"
	"  revoked_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (ctx_type, ctx_value));"

	"CREATE TABLE IF NOT EXISTS blocked_contexts ("
	"  ctx_type TEXT NOT NULL,"
	"  ctx_value TEXT NOT NULL,"
	"  blocked_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (ctx_type, ctx_value));"

	"PRAGMA user_version = 5;",

	/* Version 6: limits a context or subject set through the test data
	 * (limity/limity.md, limity-api.md). A context's session limits are
	 * all six columns or none (NULL); rate_mode 0 means no rate limits
	 * of its own. A row that holds nothing is deleted. IF NOT EXISTS:
	 * a file brought back to an older version by hand may still hold
	 * them, and they are only ever added to. */
	"CREATE TABLE IF NOT EXISTS context_limits ("
	"  ctx_type TEXT NOT NULL,"
	"  ctx_value TEXT NOT NULL,"
	"  online_max_invoices INTEGER,"
	"  online_max_mb INTEGER,"
	"  online_max_attachment_mb INTEGER,"
	"  batch_max_invoices INTEGER,"
	"  batch_max_mb INTEGER,"
	"  batch_max_attachment_mb INTEGER,"
	"  rate_mode INTEGER NOT NULL DEFAULT 0,"
	"  rate_limits TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (ctx_type, ctx_value)) WITHOUT ROWID;"
	/* NULL: the subject did not set that limit. */
	"CREATE TABLE IF NOT EXISTS subject_limits ("
	"  subject_type TEXT NOT NULL,"
	"  subject_value TEXT NOT NULL,"
	"  max_enrollments INTEGER,"
	"  max_certificates INTEGER,"
	"  PRIMARY KEY (subject_type, subject_value)) WITHOUT ROWID;"

	"PRAGMA user_version = 6;",

	/* Version 7: permissions (uprawnienia.md). Every grant is a row of
	 * one scope with its permissionId; `grants` (what `ksefd grant`
	 * wrote) becomes direct grants made by the system. Operations keep
	 * how a grant or revocation ended. Entity roles and the attachment
	 * consent are the test data's own tables (version 5). */
	"CREATE TABLE permissions ("
	"  id TEXT PRIMARY KEY,"
	"  kind INTEGER NOT NULL,"
	"  ctx_type TEXT NOT NULL,"
	"  ctx_value TEXT NOT NULL,"
	"  subject_type TEXT NOT NULL,"
	"  subject_value TEXT NOT NULL,"
	"  scope TEXT NOT NULL,"
	"  description TEXT NOT NULL,"
	"  can_delegate INTEGER NOT NULL,"
	"  author_type TEXT NOT NULL,"
	"  author_value TEXT NOT NULL,"
	"  grantor_type TEXT NOT NULL,"
	"  grantor_value TEXT NOT NULL,"
	"  start_ms INTEGER NOT NULL,"
	"  details TEXT NOT NULL,"
	"  UNIQUE (kind, ctx_type, ctx_value, grantor_type, grantor_value,"
	"    subject_type, subject_value, scope));"
	"CREATE INDEX permissions_by_subject ON permissions"
	"  (subject_type, subject_value, ctx_type, ctx_value);"
	"CREATE INDEX permissions_by_context ON permissions"
	"  (ctx_type, ctx_value, start_ms);"
	"CREATE INDEX permissions_by_grantor ON permissions"
	"  (grantor_type, grantor_value, start_ms);"
	"WITH RECURSIVE split (ctx_type, ctx_value, subject_type,"
	"  subject_value, scope, rest) AS ("
	"  SELECT ctx_type, ctx_value, subject_type, subject_value, '',"
	"    permissions || ',' FROM grants"
	"  UNION ALL SELECT ctx_type, ctx_value, subject_type, subject_value,"
	"    substr(rest, 1, instr(rest, ',') - 1),"
	"    substr(rest, instr(rest, ',') + 1) FROM split WHERE rest <> '')"
	"INSERT OR IGNORE INTO permissions SELECT"
	"  lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2)))"
	"  || '-4' || substr(lower(hex(randomblob(2))), 2) || '-a'"
	"  || substr(lower(hex(randomblob(2))), 2) || '-'"
	"  || lower(hex(randomblob(6))),"
	"  1, ctx_type, ctx_value, subject_type, subject_value, scope,"
	"  'Nadane przez ksefd grant', 0, 'System', '', ctx_type, ctx_value,"
	"  CAST(strftime('%s', 'now') AS INTEGER) * 1000, ''"
	"  FROM split WHERE scope <> '';"
	"DROP TABLE grants;"

	"CREATE TABLE permission_ops ("
	"  ref TEXT PRIMARY KEY,"
	"  ctx_type TEXT NOT NULL,"
	"  ctx_value TEXT NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  details TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE INDEX permission_ops_by_created ON permission_ops"
	"  (created_ms);"

	"PRAGMA user_version = 7;",

	/* batch sessions (store_batch.c): the package a batch session
	 * declared, its parts and when each came in; an invoice's file
	 * name in its package. */
	"CREATE TABLE batch_files ("
	"  session_ref TEXT PRIMARY KEY,"
	"  file_size INTEGER NOT NULL,"
	"  file_hash TEXT NOT NULL,"
	"  compression TEXT NOT NULL,"
	"  part_count INTEGER NOT NULL,"
	"  offline INTEGER NOT NULL,"
	"  details TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE batch_parts ("
	"  session_ref TEXT NOT NULL,"
	"  ordinal INTEGER NOT NULL,"
	"  file_size INTEGER NOT NULL,"
	"  file_hash TEXT NOT NULL,"
	"  received_ms INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (session_ref, ordinal));"
	"ALTER TABLE invoices ADD COLUMN file_name TEXT NOT NULL DEFAULT '';"
	"PRAGMA user_version = 8;",

	/* invoice retrieval (store_retrieval_sql.h) */
	SQL_RETRIEVAL_MIGRATION
	"PRAGMA user_version = 9;",

	/* fault injection (store_faults_sql.h) */
	SQL_FAULTS_MIGRATION
	"PRAGMA user_version = 10;",

	/* KSeF certificates (store_certs_sql.h) */
	SQL_CERTS_MIGRATION
	"PRAGMA user_version = 11;",
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
	"last_refresh_ms, revoked, doc_hash, cert_subject"
#define SESSION_COLS "ref, auth_ref, ctx_type, ctx_value, subject_value, " \
	"form, key_id, wrapped_key, iv, status, created_ms, updated_ms, " \
	"valid_until_ms, closed_ms, invoice_count, success_count, " \
	"failed_count, max_invoices, upo_ref, auth_token_ref, auth_doc_hash"
#define INVOICE_COLS "ref, session_ref, ordinal, invoice_hash, " \
	"invoice_size, encrypted_hash, encrypted_size, offline_mode, " \
	"hash_of_corrected, invoicing_ms, status, status_details, " \
	"orig_ksef_number, orig_session_ref, invoice_number, seller_nip, " \
	"invoice_kind, ksef_number, acquisition_ms, permanent_storage_ms, " \
	"invoicing_mode, issue_date, file_name"

#define PERM_COLS "id, kind, ctx_type, ctx_value, subject_type, " \
	"subject_value, scope, description, can_delegate, author_type, " \
	"author_value, grantor_type, grantor_value, start_ms, details"
/* Inactive: an indirect grant whose intermediary no longer holds its
 * scope from the client (or, for AllPartners, from anyone) with
 * canDelegate. */
/* 1 or 0, an integer in either engine (PostgreSQL's comparison is a
 * boolean). */
#define PERM_INACTIVE "CASE WHEN p.kind = 4 AND NOT EXISTS (SELECT 1" \
	" FROM permissions d WHERE d.kind = 2 AND d.subject_type = 'Nip'" \
	" AND d.subject_value = p.grantor_value AND d.scope = p.scope" \
	" AND d.can_delegate = 1 AND (p.ctx_type = 'AllPartners'" \
	" OR (d.ctx_type = p.ctx_type AND d.ctx_value = p.ctx_value)))" \
	" THEN 1 ELSE 0 END"
/*
 * A permission list: the rows `which` selects, then the filters every list
 * shares, bound in the same places for all (store_perm_query):
 * ?1-?4 the caller's context and subject, ?5 owner, ?6 kinds, ?7-?8
 * author, ?9-?10 grantee, ?11-?12 the row's context, ?13-?14 grantor,
 * ?15 scopes (",A,B,"), ?16 state (1 Active, 2 Inactive), ?17 a
 * substring of the grantee, ?18 the VAT UE part of a NipVatUe context,
 * ?19 limit, ?20 offset. Sorted as open-api.json says: startDate
 * descending, then id. The state is a CASE, not "?16 = 0 OR ...": SQLite
 * 3.40 loses rows of that OR once it pushes it into the subquery whose
 * WHERE is itself an OR over two indexes (store_permissions_test pins
 * the rows down).
 */
#define PERM_LIST(which) \
	"SELECT * FROM (SELECT " PERM_COLS ", " PERM_INACTIVE \
	" AS inactive FROM permissions p WHERE (" which ")" \
	" AND (?6 = 0 OR ((?6 >> CAST(p.kind AS INTEGER)) & 1) = 1)" \
	" AND (?7 IS NULL OR p.author_type = ?7)" \
	" AND (?8 IS NULL OR p.author_value = ?8)" \
	" AND (?9 IS NULL OR p.subject_type = ?9)" \
	" AND (?10 IS NULL OR p.subject_value = ?10)" \
	" AND (?11 IS NULL OR p.ctx_type = ?11)" \
	" AND (?12 IS NULL OR p.ctx_value = ?12)" \
	" AND (?13 IS NULL OR p.grantor_type = ?13)" \
	" AND (?14 IS NULL OR p.grantor_value = ?14)" \
	" AND (?15 IS NULL OR instr(?15, ',' || p.scope || ',') > 0)" \
	" AND (?17 IS NULL OR instr(p.subject_value, ?17) > 0)" \
	" AND (?18 IS NULL OR substr(p.ctx_value, 12) = ?18)) AS listed" \
	" WHERE CASE WHEN ?16 = 0 THEN 1 WHEN ?16 = 2 THEN inactive" \
	" ELSE 1 - inactive END = 1" \
	" ORDER BY start_ms DESC, id LIMIT ?19 OFFSET ?20"

/* Keyset paging, newest first: rows strictly after the cursor (t, ref). */
#define AFTER_CURSOR(col, t, r) \
	"(" t " = 0 OR " col " < " t " OR (" col " = " t \
	" AND ref < ifnull(" r ", '')))"

const struct query_text sql_queries[Q_COUNT] = {
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
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id" },
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
	[Q_CHALLENGES_PURGE] = { "purge challenges",
		"DELETE FROM challenges WHERE ts_ms < ?1" },
	[Q_AUTH_PURGE] = { "purge authentications",
		"DELETE FROM auth_ops WHERE rowid IN (SELECT rowid"
		" FROM auth_ops WHERE start_ms < ?1"
		" AND refresh_valid_until_ms < ?2 LIMIT ?3)" },

	[Q_AUTH_ADD] = { "add authentication",
		"INSERT INTO auth_ops (" AUTH_COLS ") VALUES (?1, ?2, ?3, ?4,"
		" ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)" },
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
		"UPDATE auth_ops SET revoked = 1, status = 425,"
		" status_details = '[\"Uwierzytelnienie i powiązane refresh"
		" tokeny zostały unieważnione przez użytkownika\"]'"
		" WHERE ref = ?1" },
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
		" ?17, ?18, ?19, ?20, ?21)" },
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
	[Q_SESSION_COUNT_ADD] = { "count decided invoice",
		"UPDATE sessions SET invoice_count = invoice_count + 1,"
		" success_count = success_count + ?2,"
		" failed_count = failed_count + ?3, updated_ms = ?4"
		" WHERE ref = ?1" },
	[Q_SESSIONS_EXPIRE] = { "expire sessions",
		"UPDATE sessions SET status = 170, closed_ms = ?1,"
		" updated_ms = ?1 WHERE status = 100 AND valid_until_ms <= ?1" },
	[Q_SESSIONS_DONE] = { "find finished sessions",
		"SELECT ref, invoice_count, success_count, failed_count"
		" FROM sessions WHERE status = 170"
		" AND NOT EXISTS (SELECT 1 FROM invoices i"
		"   WHERE i.session_ref = sessions.ref"
		"   AND i.status IN (100, 150))" },
	[Q_SESSION_FINISH] = { "finish session",
		"UPDATE sessions SET status = ?2, updated_ms = ?3"
		" WHERE ref = ?1 AND status = 170" },
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
		"   OR ((?11 & 1) <> 0 AND status IN (100, 150, 170))"
		"   OR ((?11 & 2) <> 0 AND status = 200)"
		"   OR ((?11 & 4) <> 0"
		"     AND status IN (405, 415, 420, 430, 435, 445, 500))"
		"   OR ((?11 & 8) <> 0 AND status = 440))"
		" AND (?15 IS NULL OR substr(ref, 10, 2) = ?15)"
		" AND " AFTER_CURSOR("created_ms", "?12", "?13")
		" ORDER BY created_ms DESC, ref DESC LIMIT ?14" },

	[Q_INVOICE_ADD] = { "add invoice",
		"INSERT INTO invoices (" INVOICE_COLS ") VALUES (?1, ?2, ?3,"
		" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		" ?17, ?18, ?19, ?20, ?21, ?22, ?23)" },
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
	[Q_CORRECTION_ACCEPTED] = { "find accepted correction",
		"SELECT 1 FROM invoices WHERE hash_of_corrected = ?2"
		" AND hash_of_corrected != '' AND status = 200"
		" AND EXISTS (SELECT 1 FROM sessions s"
		"   WHERE s.ref = invoices.session_ref AND s.ctx_value = ?1)"
		" LIMIT 1" },
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

	/* The `ksefd grant` shortcuts: direct grants by the system. */
	[Q_GRANT_SET] = { "grant permissions",
		"INSERT INTO permissions (" PERM_COLS ") VALUES (?1, 1, ?2,"
		" ?3, ?4, ?5, ?6, 'Nadane przez ksefd grant', 0, 'System', '',"
		" ?2, ?3, ?7, '') ON CONFLICT DO NOTHING" },
	[Q_GRANT_GET] = { "read permissions",
		"SELECT group_concat(scope, ',') FROM (SELECT scope"
		" FROM permissions WHERE kind = 1 AND ctx_type = ?1"
		" AND ctx_value = ?2 AND subject_type = ?3"
		" AND subject_value = ?4 ORDER BY scope) AS granted" },
	[Q_GRANT_REVOKE] = { "revoke permissions",
		"DELETE FROM permissions WHERE kind = 1 AND ctx_type = ?1"
		" AND ctx_value = ?2 AND subject_type = ?3"
		" AND subject_value = ?4" },

	/* ---- permissions ---- */
	[Q_PERM_UPSERT] = { "grant permission",
		"INSERT INTO permissions (" PERM_COLS ") VALUES (?1, ?2, ?3,"
		" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
		" ON CONFLICT (kind, ctx_type, ctx_value, grantor_type,"
		"   grantor_value, subject_type, subject_value, scope)"
		" DO UPDATE SET description = excluded.description,"
		" can_delegate = excluded.can_delegate,"
		" details = excluded.details" },
	[Q_PERM_GET] = { "read permission",
		"SELECT " PERM_COLS ", 0 FROM permissions WHERE id = ?1" },
	[Q_PERM_DELETE] = { "revoke permission",
		"DELETE FROM permissions WHERE id = ?1" },
	[Q_PERM_DELETE_SUBJECT] = { "revoke permissions",
		"DELETE FROM permissions WHERE ctx_type = ?1 AND ctx_value = ?2"
		" AND subject_type = ?3 AND subject_value = ?4"
		" AND (?5 = 0 OR ((?5 >> CAST(kind AS INTEGER)) & 1) = 1)" },
	[Q_PERM_EFFECTIVE] = { "read effective permissions",
		"SELECT group_concat(scope, ',') FROM (SELECT DISTINCT scope"
		" FROM permissions p WHERE p.subject_type = ?3"
		" AND p.subject_value = ?4 AND ("
		"   (p.kind IN (1, 2, 5, 6, 7) AND p.ctx_type = ?1"
		"     AND p.ctx_value = ?2)"
		"   OR (p.kind = 4 AND (p.ctx_type = 'AllPartners'"
		"     OR (p.ctx_type = ?1 AND p.ctx_value = ?2))"
		"     AND EXISTS (SELECT 1 FROM permissions d WHERE d.kind = 2"
		"       AND d.ctx_type = ?1 AND d.ctx_value = ?2"
		"       AND d.subject_type = 'Nip'"
		"       AND d.subject_value = p.grantor_value"
		"       AND d.scope = p.scope AND d.can_delegate = 1)))"
		" ORDER BY scope) AS held" },
	[Q_PERM_DELEGABLE] = { "read delegable permission",
		"SELECT 1 FROM permissions WHERE kind = 2 AND ctx_type = ?1"
		" AND ctx_value = ?2 AND subject_type = 'Nip'"
		" AND subject_value = ?3 AND scope = ?4 AND can_delegate = 1" },
	[Q_GRANT_TRIM] = { "replace permissions",
		"DELETE FROM permissions WHERE kind = 1 AND ctx_type = ?1"
		" AND ctx_value = ?2 AND subject_type = ?3"
		" AND subject_value = ?4"
		" AND instr(?5, ',' || scope || ',') = 0" },

	[Q_PERMS_PERSONAL] = { "list own permissions", PERM_LIST(
		"(p.subject_type = ?3 AND p.subject_value = ?4"
		"  AND p.kind IN (1, 2, 5, 6, 7)"
		"  AND p.ctx_type = ?1 AND p.ctx_value = ?2)"
		" OR (p.kind = 4 AND p.subject_type = ?3"
		"  AND p.subject_value = ?4"
		"  AND ((p.grantor_type = ?1 AND p.grantor_value = ?2)"
		"   OR (p.ctx_type = ?1 AND p.ctx_value = ?2)"
		/* a general grant, where the context is the intermediary's
		 * client */
		"   OR (p.ctx_type = 'AllPartners' AND EXISTS (SELECT 1"
		"    FROM permissions d WHERE d.kind = 2 AND d.ctx_type = ?1"
		"    AND d.ctx_value = ?2 AND d.subject_type = 'Nip'"
		"    AND d.subject_value = p.grantor_value))))"
		" OR (?5 = 1 AND ?1 = 'Nip' AND p.kind = 2"
		"  AND p.subject_type = 'Nip' AND p.subject_value = ?2)") },
	[Q_PERMS_IN_CONTEXT] = { "list permissions", PERM_LIST(
		"(p.kind IN (1, 2, 5) AND p.ctx_type = ?1 AND p.ctx_value = ?2)"
		" OR (p.kind = 4 AND p.grantor_type = ?1"
		"  AND p.grantor_value = ?2)") },
	[Q_PERMS_GRANTED] = { "list granted permissions", PERM_LIST(
		"p.kind IN (1, 2, 4, 5) AND p.grantor_type = ?1"
		" AND p.grantor_value = ?2 AND p.author_type = ?3"
		" AND p.author_value = ?4") },
	[Q_PERMS_SUBUNITS] = { "list subunit administrators", PERM_LIST(
		"p.kind = 5 AND p.grantor_type = ?1"
		" AND p.grantor_value = ?2") },
	[Q_PERMS_ENTITIES] = { "list entity permissions", PERM_LIST(
		"p.kind = 2 AND ?1 = 'Nip' AND p.subject_type = 'Nip'"
		" AND p.subject_value = ?2") },
	[Q_PERMS_AUTH_GRANTED] = { "list authorizations", PERM_LIST(
		"p.kind = 3 AND p.ctx_type = ?1 AND p.ctx_value = ?2") },
	[Q_PERMS_AUTH_RECEIVED] = { "list authorizations", PERM_LIST(
		"p.kind = 3 AND p.subject_type = ?1"
		" AND p.subject_value = ?2") },
	[Q_PERMS_EU] = { "list EU entity permissions", PERM_LIST(
		"(?1 = 'Nip' AND p.kind = 6"
		"  AND substr(p.ctx_value, 1, 11) = ?2 || '-')"
		" OR (?1 = 'NipVatUe' AND p.kind IN (6, 7)"
		"  AND p.ctx_type = ?1 AND p.ctx_value = ?2)") },

	[Q_PERM_OP_ADD] = { "add permission operation",
		"INSERT INTO permission_ops (ref, ctx_type, ctx_value, status,"
		" details, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)" },
	[Q_PERM_OP_GET] = { "read permission operation",
		"SELECT ref, ctx_type, ctx_value, status, details, created_ms"
		" FROM permission_ops WHERE ref = ?1" },
	/* ?2 unused: sql_purge() binds it. */
	[Q_PERM_OP_PURGE] = { "purge permission operations",
		"DELETE FROM permission_ops WHERE rowid IN (SELECT rowid"
		" FROM permission_ops WHERE created_ms < ?1 LIMIT ?3)" },


	/* ---- test data (store_testdata.c) ---- */
	[Q_TD_ENTITY_STATE] = { "read test subject",
		"SELECT created_ms, removed FROM testdata_subjects"
		" WHERE nip = ?1" },
	[Q_TD_ENTITY_PUT] = { "add test subject",
		"INSERT INTO testdata_subjects (nip, role, parent_nip,"
		" description, created_ms, removed)"
		" VALUES (?1, ?2, ?3, ?4, ?5, 0)"
		" ON CONFLICT (nip) DO UPDATE SET role = excluded.role,"
		" parent_nip = excluded.parent_nip,"
		" description = excluded.description,"
		" created_ms = excluded.created_ms, removed = 0" },
	[Q_TD_ENTITY_REMOVE] = { "remove test subject",
		"UPDATE testdata_subjects SET removed = 1"
		" WHERE removed = 0 AND (nip = ?1 OR parent_nip = ?1)" },
	[Q_TD_ENTITY_ROLES] = { "list entity roles",
		"SELECT nip, role, parent_nip, description, created_ms"
		" FROM testdata_subjects WHERE nip = ?1 AND removed = 0"
		" UNION ALL"
		" SELECT nip, 'CourtBailiff', '', description, created_ms"
		" FROM testdata_persons WHERE nip = ?1 AND removed = 0"
		" AND is_bailiff = 1"
		" ORDER BY created_ms DESC, role LIMIT ?3 OFFSET ?2" },
	[Q_TD_ENTITY_SUBUNITS] = { "list subordinate entities",
		"SELECT nip, role, parent_nip, description, created_ms"
		" FROM testdata_subjects WHERE parent_nip = ?1 AND removed = 0"
		" AND (?2 IS NULL OR nip = ?2)"
		" ORDER BY created_ms DESC, nip LIMIT ?4 OFFSET ?3" },
	[Q_TD_PERSON_STATE] = { "read test person",
		"SELECT created_ms, removed FROM testdata_persons"
		" WHERE nip = ?1" },
	[Q_TD_PERSON_PUT] = { "add test person",
		"INSERT INTO testdata_persons (nip, pesel, description,"
		" is_bailiff, is_deceased, created_ms, removed)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)"
		" ON CONFLICT (nip) DO UPDATE SET pesel = excluded.pesel,"
		" description = excluded.description,"
		" is_bailiff = excluded.is_bailiff,"
		" is_deceased = excluded.is_deceased,"
		" created_ms = excluded.created_ms, removed = 0" },
	[Q_TD_PERSON_REMOVE] = { "remove test person",
		"UPDATE testdata_persons SET removed = 1"
		" WHERE nip = ?1 AND removed = 0 RETURNING pesel" },
	[Q_TD_PERSON_GET] = { "read test person",
		"SELECT nip, pesel, description, is_bailiff, is_deceased,"
		" created_ms FROM testdata_persons"
		" WHERE nip = ?1 AND removed = 0" },
	[Q_TD_PERSON_FIND] = { "find test person",
		"SELECT nip, pesel, description, is_bailiff, is_deceased,"
		" created_ms FROM testdata_persons WHERE removed = 0"
		" AND ((?1 = 'Nip' AND nip = ?2)"
		"   OR (?1 = 'Pesel' AND pesel = ?2))"
		" ORDER BY is_deceased DESC, created_ms DESC LIMIT 1" },
	[Q_TD_PERSON_GRANTS_DROP] = { "revoke test person's permissions",
		"DELETE FROM permissions WHERE (subject_type = 'Pesel'"
		" AND subject_value = ?2) OR (subject_type = 'Nip'"
		" AND subject_value = ?1)" },
	[Q_TD_ATTACH_ALLOW] = { "allow attachments",
		"INSERT INTO attachment_permissions (ctx_type, ctx_value,"
		" allowed_ms, revoked_ms) VALUES (?1, ?2, ?3, 0)"
		" ON CONFLICT (ctx_type, ctx_value) DO UPDATE SET"
		" allowed_ms = excluded.allowed_ms, revoked_ms = 0" },
	[Q_TD_ATTACH_REVOKE] = { "revoke attachments",
		"UPDATE attachment_permissions SET revoked_ms = ?3"
		" WHERE ctx_type = ?1 AND ctx_value = ?2" },
	[Q_TD_ATTACH_GET] = { "read attachment consent",
		"SELECT allowed_ms, revoked_ms FROM attachment_permissions"
		" WHERE ctx_type = ?1 AND ctx_value = ?2" },
	[Q_TD_BLOCK] = { "block context",
		"INSERT INTO blocked_contexts (ctx_type, ctx_value, blocked_ms)"
		" VALUES (?1, ?2, ?3)"
		" ON CONFLICT (ctx_type, ctx_value) DO NOTHING" },
	[Q_TD_UNBLOCK] = { "unblock context",
		"DELETE FROM blocked_contexts"
		" WHERE ctx_type = ?1 AND ctx_value = ?2" },
	[Q_TD_BLOCKED] = { "read context block",
		"SELECT blocked_ms FROM blocked_contexts"
		" WHERE ctx_type = ?1 AND ctx_value = ?2" },
	/* limits (store_limits.c) */
	[Q_CTX_LIMITS_GET] = { "read context limits",
		"SELECT online_max_invoices, online_max_mb,"
		" online_max_attachment_mb, batch_max_invoices, batch_max_mb,"
		" batch_max_attachment_mb, rate_mode, rate_limits"
		" FROM context_limits WHERE ctx_type = ?1 AND ctx_value = ?2" },
	[Q_CTX_SESSION_SET] = { "set session limits",
		"INSERT INTO context_limits (ctx_type, ctx_value,"
		" online_max_invoices, online_max_mb, online_max_attachment_mb,"
		" batch_max_invoices, batch_max_mb, batch_max_attachment_mb)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		" ON CONFLICT (ctx_type, ctx_value) DO UPDATE SET"
		" online_max_invoices = excluded.online_max_invoices,"
		" online_max_mb = excluded.online_max_mb,"
		" online_max_attachment_mb = excluded.online_max_attachment_mb,"
		" batch_max_invoices = excluded.batch_max_invoices,"
		" batch_max_mb = excluded.batch_max_mb,"
		" batch_max_attachment_mb = excluded.batch_max_attachment_mb" },
	[Q_CTX_SESSION_CLEAR] = { "clear session limits",
		"UPDATE context_limits SET online_max_invoices = NULL,"
		" online_max_mb = NULL, online_max_attachment_mb = NULL,"
		" batch_max_invoices = NULL, batch_max_mb = NULL,"
		" batch_max_attachment_mb = NULL"
		" WHERE ctx_type = ?1 AND ctx_value = ?2" },
	[Q_CTX_RATE_SET] = { "set rate limits",
		"INSERT INTO context_limits (ctx_type, ctx_value, rate_mode,"
		" rate_limits) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (ctx_type, ctx_value) DO UPDATE SET"
		" rate_mode = excluded.rate_mode,"
		" rate_limits = excluded.rate_limits" },
	[Q_CTX_RATE_CLEAR] = { "clear rate limits",
		"UPDATE context_limits SET rate_mode = 0, rate_limits = ''"
		" WHERE ctx_type = ?1 AND ctx_value = ?2" },
	[Q_CTX_LIMITS_PRUNE] = { "prune context limits",
		"DELETE FROM context_limits WHERE ctx_type = ?1"
		" AND ctx_value = ?2 AND online_max_invoices IS NULL"
		" AND rate_mode = 0" },
	[Q_SUBJECT_LIMITS_GET] = { "read subject limits",
		"SELECT max_enrollments, max_certificates FROM subject_limits"
		" WHERE subject_type = ?1 AND subject_value = ?2" },
	[Q_SUBJECT_LIMITS_SET] = { "set subject limits",
		"INSERT INTO subject_limits (subject_type, subject_value,"
		" max_enrollments, max_certificates) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (subject_type, subject_value) DO UPDATE SET"
		" max_enrollments = coalesce(excluded.max_enrollments,"
		"   subject_limits.max_enrollments),"
		" max_certificates = coalesce(excluded.max_certificates,"
		"   subject_limits.max_certificates)" },
	[Q_SUBJECT_LIMITS_CLEAR] = { "clear subject limits",
		"DELETE FROM subject_limits WHERE subject_type = ?1"
		" AND subject_value = ?2" },

	/* KOD I verification: an accepted invoice by what its link names
	 * (kody-qr.md 1); invoices_by_hash finds the few candidates. */
	[Q_QR_VERIFY] = { "find invoice by verification link",
		"SELECT " INVOICE_COLS " FROM invoices WHERE invoice_hash = ?3"
		" AND seller_nip = ?1 AND issue_date = ?2 AND status = 200"
		" ORDER BY invoicing_ms, rowid LIMIT 1" },
	/* ---- batch sessions (store_batch.c) ---- */
	[Q_BATCH_FILE_ADD] = { "add batch package",
		"INSERT INTO batch_files (session_ref, file_size, file_hash,"
		" compression, part_count, offline)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)" },
	[Q_BATCH_PART_ADD] = { "add batch part",
		"INSERT INTO batch_parts (session_ref, ordinal, file_size,"
		" file_hash) VALUES (?1, ?2, ?3, ?4)" },
	[Q_BATCH_FILE_GET] = { "read batch package",
		"SELECT file_size, file_hash, compression, part_count,"
		" offline, details FROM batch_files WHERE session_ref = ?1" },
	[Q_BATCH_PARTS] = { "read batch parts",
		"SELECT ordinal, file_size, file_hash, received_ms"
		" FROM batch_parts WHERE session_ref = ?1 ORDER BY ordinal" },
	[Q_BATCH_PART_RECEIVED] = { "record batch part",
		"UPDATE batch_parts SET received_ms = ?3"
		" WHERE session_ref = ?1 AND ordinal = ?2" },
	[Q_BATCH_MISSING] = { "find missing batch part",
		"SELECT min(ordinal) FROM batch_parts WHERE session_ref = ?1"
		" AND received_ms = 0" },
	[Q_BATCH_CLOSE] = { "close batch session",
		"UPDATE sessions SET status = 150, closed_ms = ?2,"
		" updated_ms = ?2 WHERE ref = ?1 AND status = 100" },
	[Q_BATCH_SET_STATUS] = { "set batch session status",
		"UPDATE sessions SET status = ?2, updated_ms = ?3"
		" WHERE ref = ?1 AND status = 150" },
	[Q_BATCH_PROCESSING] = { "find batch sessions in processing",
		"SELECT ref FROM sessions WHERE status = 150"
		" ORDER BY closed_ms" },
	[Q_BATCH_DETAILS] = { "set batch details",
		"UPDATE batch_files SET details = ?2 WHERE session_ref = ?1" },
	/* ---- invoice retrieval (store_retrieval.c) ---- */
	[Q_META_ADD] = { "add invoice metadata", SQL_META_ADD },
	[Q_META_QUERY] = { "query invoice metadata", SQL_META_QUERY },
	[Q_EXPORT_ADD] = { "add invoice export", SQL_EXPORT_ADD },
	[Q_EXPORT_GET] = { "read invoice export", SQL_EXPORT_GET },
	[Q_EXPORT_RUNNING] = { "count running exports", SQL_EXPORT_RUNNING },
	[Q_EXPORTS_PENDING] = { "list pending exports", SQL_EXPORTS_PENDING },
	[Q_EXPORT_FINISH] = { "finish invoice export", SQL_EXPORT_FINISH },
	[Q_EXPORTS_EXPIRED] = { "list expired exports", SQL_EXPORTS_EXPIRED },
	[Q_EXPORT_FORGET] = { "forget export parts", SQL_EXPORT_FORGET },
	/* ---- fault injection (store_faults.c) ---- */
	[Q_FAULT_PLAN_SET] = { "set fault plan", SQL_FAULT_PLAN_SET },
	[Q_FAULT_PLAN_GET] = { "read fault plan", SQL_FAULT_PLAN_GET },
	[Q_FAULT_VERSION] = { "read fault plan version", SQL_FAULT_VERSION },
	[Q_FAULT_COUNTS_CLEAR] = { "clear fault counts",
				   SQL_FAULT_COUNTS_CLEAR },
	[Q_FAULT_COUNT_SET] = { "count injected fault", SQL_FAULT_COUNT_SET },
	[Q_FAULT_COUNTS] = { "read fault counts", SQL_FAULT_COUNTS },
	/* ---- the console (store_contexts.c) ---- */
	/* Every context something was stored for, the most recently active
	 * first. Each table is grouped on its own (each has an index that
	 * starts with the context) and only the groups are joined. */
	[Q_CONTEXTS_LIST] = { "list contexts",
		"SELECT ctx_type, ctx_value, sum(s), sum(i), sum(t), sum(p),"
		" max(last) FROM ("
		"  SELECT ctx_type, ctx_value, count(*) AS s,"
		"   sum(invoice_count) AS i, 0 AS t, 0 AS p,"
		"   max(updated_ms) AS last FROM sessions GROUP BY 1, 2"
		"  UNION ALL SELECT ctx_type, ctx_value, 0, 0, count(*), 0,"
		"   max(created_ms) FROM tokens GROUP BY 1, 2"
		"  UNION ALL SELECT ctx_type, ctx_value, 0, 0, 0, count(*),"
		"   max(start_ms) FROM permissions WHERE ctx_value <> ''"
		"   GROUP BY 1, 2) AS counted"
		" GROUP BY ctx_type, ctx_value"
		" ORDER BY 7 DESC, ctx_type, ctx_value LIMIT ?1 OFFSET ?2" },
	/* A row of meta of its own, rewritten: the smallest write that
	 * still reaches the disk (store_check_writable). */
	[Q_HEALTH_PROBE] = { "probe the store's writes",
		"INSERT INTO meta (name, value) VALUES ('health_probe', ?1)"
		" ON CONFLICT (name) DO UPDATE SET value = excluded.value" },
	/* One process writes an SQLite file at a time: no other writer is
	 * ever running a transaction that store_hwm_ms must wait for. */
	[Q_OTHER_WRITERS] = { "read other writers", "SELECT NULL" },
	[Q_NODES] = { "count the nodes", "SELECT 1" },
	[Q_SESSION_LOCK] = { "lock a session",
		"SELECT 1 FROM sessions WHERE ref = ?1" },
	[Q_NOTIFY_WORK] = { "notify the nodes", "SELECT 1" },
	/* Nor takes another process a claim (store_claim_take). */
	[Q_CLAIM] = { "take a claim", "SELECT 1" },
	/* KSeF certificates (store_certs_sql.h) */
	[Q_ENROLL_ADD] = { "add certificate enrollment", SQL_ENROLL_ADD },
	[Q_ENROLL_GET] = { "read certificate enrollment", SQL_ENROLL_GET },
	[Q_ENROLL_COUNT] = { "count certificate enrollments",
			     SQL_ENROLL_COUNT },
	[Q_ENROLL_FINISH] = { "finish certificate enrollment",
			      SQL_ENROLL_FINISH },
	[Q_CERT_ADD] = { "add certificate", SQL_CERT_ADD },
	[Q_CERT_GET] = { "read certificate", SQL_CERT_GET },
	[Q_CERT_BY_FINGERPRINT] = { "find certificate",
				    SQL_CERT_BY_FINGERPRINT },
	[Q_CERT_COUNT_ACTIVE] = { "count active certificates",
				  SQL_CERT_COUNT_ACTIVE },
	[Q_CERT_KEY_OTHER] = { "find certified key", SQL_CERT_KEY_OTHER },
	[Q_CERT_REVOKE] = { "revoke certificate", SQL_CERT_REVOKE },
	[Q_CERT_USED] = { "record certificate use", SQL_CERT_USED },
	[Q_CERTS_QUERY] = { "query certificates", SQL_CERTS_QUERY },
};
