/*
 * store_retrieval_sql.h - the schema and the statements of invoice
 * retrieval (store_retrieval.c), which store_schema.c puts in
 * sql_migrations[] and sql_queries[]: kept apart so that the schema file
 * stays readable.
 */
#ifndef KSEFD_STORE_RETRIEVAL_SQL_H
#define KSEFD_STORE_RETRIEVAL_SQL_H

/* invoice_meta: what POST /invoices/query/metadata filters and lists,
 * extracted when an invoice is accepted; the dates are copied from
 * invoices so that one table answers a query's range. invoice_exports:
 * POST /invoices/exports, its wrapped key until the package is built, and
 * the package's description (JSON). */
#define SQL_RETRIEVAL_MIGRATION \
	"CREATE TABLE IF NOT EXISTS invoice_meta (" \
	"  invoice_ref TEXT PRIMARY KEY REFERENCES invoices (ref)," \
	"  seller_nip TEXT NOT NULL," \
	"  issue_key INTEGER NOT NULL," \
	"  invoicing_ms INTEGER NOT NULL," \
	"  permanent_storage_ms INTEGER NOT NULL," \
	"  seller_name TEXT NOT NULL," \
	"  buyer_id_type TEXT NOT NULL," \
	"  buyer_id TEXT NOT NULL," \
	"  buyer_name TEXT NOT NULL," \
	"  currency TEXT NOT NULL," \
	"  net INTEGER NOT NULL," \
	"  vat INTEGER NOT NULL," \
	"  gross INTEGER NOT NULL," \
	"  self_invoicing INTEGER NOT NULL," \
	"  has_attachment INTEGER NOT NULL," \
	"  form INTEGER NOT NULL," \
	"  form_type TEXT NOT NULL," \
	"  invoice_type TEXT NOT NULL," \
	"  authorized_nip TEXT NOT NULL," \
	"  authorized_role INTEGER NOT NULL," \
	"  subject3_nips TEXT NOT NULL," \
	"  third TEXT NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS invoice_meta_seller ON invoice_meta" \
	"  (seller_nip, permanent_storage_ms);" \
	"CREATE INDEX IF NOT EXISTS invoice_meta_buyer ON invoice_meta" \
	"  (buyer_id, permanent_storage_ms);" \
	"CREATE INDEX IF NOT EXISTS invoice_meta_authorized ON invoice_meta" \
	"  (authorized_nip, permanent_storage_ms) WHERE authorized_nip <> '';" \
	"CREATE INDEX IF NOT EXISTS invoice_meta_storage ON invoice_meta" \
	"  (permanent_storage_ms);" \
	"CREATE TABLE IF NOT EXISTS invoice_exports (" \
	"  ref TEXT PRIMARY KEY," \
	"  ctx_type TEXT NOT NULL," \
	"  ctx_value TEXT NOT NULL," \
	"  nip TEXT NOT NULL," \
	"  status INTEGER NOT NULL," \
	"  filters TEXT NOT NULL," \
	"  only_metadata INTEGER NOT NULL," \
	"  key_id INTEGER NOT NULL," \
	"  wrapped_key BLOB NOT NULL," \
	"  iv BLOB NOT NULL," \
	"  created_ms INTEGER NOT NULL," \
	"  completed_ms INTEGER NOT NULL," \
	"  package TEXT NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS invoice_exports_pending ON" \
	"  invoice_exports (ctx_type, ctx_value) WHERE status = 100;"

/* invoice_meta, in the order of store_retrieval.c's binding and reading. */
#define META_COLS \
	"invoice_ref, seller_nip, issue_key, invoicing_ms, " \
	"permanent_storage_ms, seller_name, buyer_id_type, buyer_id, " \
	"buyer_name, currency, net, vat, gross, self_invoicing, " \
	"has_attachment, form, form_type, invoice_type, authorized_nip, " \
	"authorized_role, subject3_nips, third"
/* What a query reads of invoice_meta after the invoices columns. */
#define META_COLS_M \
	"m.seller_name, m.buyer_id_type, m.buyer_id, m.buyer_name, " \
	"m.currency, m.net, m.vat, m.gross, m.self_invoicing, " \
	"m.has_attachment, m.form, m.form_type, m.invoice_type, " \
	"m.authorized_nip, m.authorized_role, m.subject3_nips, m.third"

#define EXPORT_COLS "ref, ctx_type, ctx_value, nip, status, filters, " \
	"only_metadata, key_id, wrapped_key, iv, created_ms, " \
	"completed_ms, package"

#define SQL_META_ADD \
	"INSERT INTO invoice_meta (" META_COLS ") VALUES (?1, ?2, ?3," \
	" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16," \
	" ?17, ?18, ?19, ?20, ?21, ?22)"

/* ?1 subject (1 seller, 2 buyer, 3 third party, 4 authorized), ?2 the
 * caller's NIP, ?3 date type (0 Issue, 1 Invoicing, 2 PermanentStorage),
 * ?4..?5 the range (inclusive), ?6 ksefNumber, ?7 invoiceNumber, ?8
 * sellerNip, ?9 buyer type, ?10 buyer value, ?11 amount (1 Brutto, 2
 * Netto, 3 Vat), ?12..?13 its range in grosze, ?14 ",PLN,EUR,", ?15
 * invoicingMode, ?16 isSelfInvoicing, ?17 formType, ?18 ",Vat,Kor,", ?19
 * hasAttachment, ?20 1 for descending, ?21 limit, ?22 offset. */
#define SQL_META_QUERY \
	"SELECT i.ksef_number, i.invoice_number, i.issue_date," \
	" i.invoicing_ms, i.acquisition_ms, i.permanent_storage_ms," \
	" i.invoice_hash, i.hash_of_corrected, i.invoicing_mode, i.ref," \
	" " META_COLS_M ", m.k, i.seller_nip FROM (SELECT *, CASE" \
	" WHEN ?3 = 0 THEN issue_key WHEN ?3 = 1 THEN invoicing_ms" \
	" ELSE permanent_storage_ms END AS k FROM invoice_meta" \
	" WHERE CASE WHEN ?1 = 1 THEN seller_nip = ?2" \
	"  WHEN ?1 = 2 THEN buyer_id_type = 'Nip' AND buyer_id = ?2" \
	"  WHEN ?1 = 3 THEN instr(subject3_nips, ',' || ?2 || ',') > 0" \
	"  ELSE authorized_nip = ?2 END) AS m" \
	" JOIN invoices AS i ON i.ref = m.invoice_ref" \
	" WHERE m.k BETWEEN ?4 AND ?5" \
	" AND (?6 IS NULL OR i.ksef_number = ?6)" \
	" AND (?7 IS NULL OR i.invoice_number = ?7)" \
	" AND (?8 IS NULL OR m.seller_nip = ?8)" \
	" AND (?9 IS NULL OR (m.buyer_id_type = ?9" \
	"  AND (?10 IS NULL OR m.buyer_id = ?10)))" \
	" AND (?11 IS NULL OR (CASE WHEN ?11 = 1 THEN m.gross" \
	"  WHEN ?11 = 2 THEN m.net ELSE m.vat END) BETWEEN ?12 AND ?13)" \
	" AND (?14 IS NULL OR instr(?14, ',' || m.currency || ',') > 0)" \
	" AND (?15 IS NULL OR i.invoicing_mode = ?15)" \
	" AND (?16 IS NULL OR m.self_invoicing = ?16)" \
	" AND (?17 IS NULL OR m.form_type = ?17)" \
	" AND (?18 IS NULL OR instr(?18, ',' || m.invoice_type || ',') > 0)" \
	" AND (?19 IS NULL OR m.has_attachment = ?19)" \
	" ORDER BY CASE WHEN ?20 = 0 THEN m.k END ASC," \
	" CASE WHEN ?20 = 0 THEN i.ksef_number END ASC," \
	" CASE WHEN ?20 = 1 THEN m.k END DESC," \
	" CASE WHEN ?20 = 1 THEN i.ksef_number END DESC" \
	" LIMIT ?21 OFFSET ?22"

#define SQL_EXPORT_ADD \
	"INSERT INTO invoice_exports (" EXPORT_COLS ") VALUES (?1, ?2," \
	" ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"

#define SQL_EXPORT_GET \
	"SELECT " EXPORT_COLS " FROM invoice_exports WHERE ref = ?1"

#define SQL_EXPORT_RUNNING \
	"SELECT count(*) FROM invoice_exports WHERE ctx_type = ?1" \
	" AND ctx_value = ?2 AND status = 100"

#define SQL_EXPORTS_PENDING \
	"SELECT ref FROM invoice_exports WHERE status = 100" \
	" ORDER BY created_ms LIMIT ?1"

/* The key is not kept once the package is built. */
#define SQL_EXPORT_FINISH \
	"UPDATE invoice_exports SET status = ?2, completed_ms = ?3," \
	" package = ?4, wrapped_key = CAST('' AS BLOB)," \
	" iv = CAST('' AS BLOB)" \
	" WHERE ref = ?1 AND status = 100"

/* Built packages older than ?1 whose parts are still on disk. */
#define SQL_EXPORTS_EXPIRED \
	"SELECT ref FROM invoice_exports WHERE status = 200" \
	" AND completed_ms < ?1 AND package <> '' LIMIT ?2"

/* The parts are gone: the status stays (210 from its age). */
#define SQL_EXPORT_FORGET \
	"UPDATE invoice_exports SET package = '' WHERE ref = ?1"

#endif
