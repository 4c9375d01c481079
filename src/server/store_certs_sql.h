/*
 * store_certs_sql.h - the schema and the statements of KSeF certificates
 * (store_certs.c), which store_schema.c puts in sql_migrations[] and
 * sql_queries[]: kept apart so that the schema file stays readable.
 */
#ifndef KSEFD_STORE_CERTS_SQL_H
#define KSEFD_STORE_CERTS_SQL_H

/*
 * cert_enrollments: each request (POST /certificates/enrollments) with its
 * CSR until it is processed, and its status after. certificates: what the
 * CA issued, with the DER the API hands out, the SHA-256 of the DER (how a
 * XAdES login finds one of them) and of its public key (a key certified
 * for one subject is refused to another). auth_ops.cert_subject: the
 * subject attributes of the certificate that signed a XAdES login, as the
 * JSON that GET /certificates/enrollments/data answers, or "".
 */
#define SQL_CERTS_MIGRATION \
	"CREATE TABLE IF NOT EXISTS cert_enrollments (" \
	"  ref TEXT PRIMARY KEY," \
	"  subject_type TEXT NOT NULL," \
	"  subject_value TEXT NOT NULL," \
	"  name TEXT NOT NULL," \
	"  type INTEGER NOT NULL," \
	"  csr BLOB NOT NULL," \
	"  valid_from_ms INTEGER NOT NULL," \
	"  requested_ms INTEGER NOT NULL," \
	"  status INTEGER NOT NULL," \
	"  details TEXT NOT NULL DEFAULT ''," \
	"  serial TEXT NOT NULL DEFAULT '');" \
	"CREATE INDEX IF NOT EXISTS cert_enrollments_subject" \
	"  ON cert_enrollments (subject_type, subject_value);" \
	"CREATE TABLE IF NOT EXISTS certificates (" \
	"  serial TEXT PRIMARY KEY," \
	"  enrollment_ref TEXT NOT NULL," \
	"  subject_type TEXT NOT NULL," \
	"  subject_value TEXT NOT NULL," \
	"  name TEXT NOT NULL," \
	"  type INTEGER NOT NULL," \
	"  common_name TEXT NOT NULL," \
	"  der BLOB NOT NULL," \
	"  fingerprint TEXT NOT NULL," \
	"  key_hash TEXT NOT NULL," \
	"  valid_from_ms INTEGER NOT NULL," \
	"  valid_to_ms INTEGER NOT NULL," \
	"  requested_ms INTEGER NOT NULL," \
	"  revoked_ms INTEGER NOT NULL DEFAULT 0," \
	"  revocation_reason TEXT NOT NULL DEFAULT ''," \
	"  last_use_ms INTEGER NOT NULL DEFAULT 0);" \
	"CREATE INDEX IF NOT EXISTS certificates_subject" \
	"  ON certificates (subject_type, subject_value, requested_ms);" \
	"CREATE INDEX IF NOT EXISTS certificates_fingerprint" \
	"  ON certificates (fingerprint);" \
	"CREATE INDEX IF NOT EXISTS certificates_key ON certificates (key_hash);" \
	"ALTER TABLE auth_ops ADD COLUMN cert_subject TEXT NOT NULL" \
	"  DEFAULT '';"

#define ENROLL_COLS "ref, subject_type, subject_value, name, type, csr, " \
	"valid_from_ms, requested_ms, status, details, serial"
#define CERT_COLS "serial, enrollment_ref, subject_type, subject_value, " \
	"name, type, common_name, der, fingerprint, key_hash, " \
	"valid_from_ms, valid_to_ms, requested_ms, revoked_ms, " \
	"revocation_reason, last_use_ms"

#define SQL_ENROLL_ADD \
	"INSERT INTO cert_enrollments (" ENROLL_COLS ") VALUES (?1, ?2, ?3," \
	" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
#define SQL_ENROLL_GET \
	"SELECT " ENROLL_COLS " FROM cert_enrollments WHERE ref = ?1"
/* Every request counts against the enrollment limit, whatever became of
 * it (docs/certificates.md). */
#define SQL_ENROLL_COUNT \
	"SELECT count(*) FROM cert_enrollments WHERE subject_type = ?1" \
	" AND subject_value = ?2"
#define SQL_ENROLL_FINISH \
	"UPDATE cert_enrollments SET status = ?2, details = ?3, serial = ?4" \
	" WHERE ref = ?1 AND status = 100"
#define SQL_CERT_ADD \
	"INSERT INTO certificates (" CERT_COLS ") VALUES (?1, ?2, ?3, ?4," \
	" ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
#define SQL_CERT_GET \
	"SELECT " CERT_COLS " FROM certificates WHERE serial = ?1"
#define SQL_CERT_BY_FINGERPRINT \
	"SELECT " CERT_COLS " FROM certificates WHERE fingerprint = ?1"
/* Active: not revoked, not yet expired (?3 now). */
#define SQL_CERT_COUNT_ACTIVE \
	"SELECT count(*) FROM certificates WHERE subject_type = ?1" \
	" AND subject_value = ?2 AND revoked_ms = 0 AND valid_to_ms > ?3"
/* Another subject's certificate for the same public key. */
#define SQL_CERT_KEY_OTHER \
	"SELECT 1 FROM certificates WHERE key_hash = ?1" \
	" AND NOT (subject_type = ?2 AND subject_value = ?3)"
#define SQL_CERT_REVOKE \
	"UPDATE certificates SET revoked_ms = ?2, revocation_reason = ?3" \
	" WHERE serial = ?1 AND revoked_ms = 0"
#define SQL_CERT_USED \
	"UPDATE certificates SET last_use_ms = ?2 WHERE serial = ?1"
/*
 * One page of a subject's certificates, newest request first (x-sort of
 * POST /certificates/query): ?3 serial, ?4 a part of the name, ?5 type,
 * ?6 status (1 Active, 3 Revoked, 4 Expired; 2 Blocked matches none, as
 * revocation here is immediate), ?7 expiresAfter, ?8 now, ?9 limit,
 * ?10 offset. NULL or 0 leaves a filter out.
 */
#define SQL_CERTS_QUERY \
	"SELECT " CERT_COLS " FROM certificates WHERE subject_type = ?1" \
	" AND subject_value = ?2" \
	" AND (?3 IS NULL OR serial = ?3)" \
	" AND (?4 IS NULL OR instr(name, ?4) > 0)" \
	" AND (?5 = 0 OR type = ?5)" \
	" AND (?6 = 0" \
	"  OR (?6 = 1 AND revoked_ms = 0 AND valid_to_ms > ?8)" \
	"  OR (?6 = 3 AND revoked_ms <> 0)" \
	"  OR (?6 = 4 AND revoked_ms = 0 AND valid_to_ms <= ?8))" \
	" AND (?7 IS NULL OR valid_to_ms > ?7)" \
	" ORDER BY requested_ms DESC, serial LIMIT ?9 OFFSET ?10"

#endif
