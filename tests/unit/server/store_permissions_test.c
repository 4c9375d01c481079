/*
 * store_permissions_test.c - the permission store (store_permissions.c,
 * store_grants.c): grants with their operations, granting
 * twice, revocation by id and by grantee, what grants give a subject in a
 * context (indirect grants only while the intermediary may delegate), the
 * query lists with their filters and pages, operations, entity roles and
 * the attachment consent as the test data leaves them, the refusals of
 * what does not fit, and the migration of `ksefd grant`'s old table into
 * the new one.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "store.h"
#include "store_fixture.h"

#define A "5265877635"       /* a client */
#define B "7010012385"       /* an intermediary (accounting office) */
#define P "90010112345"      /* a person's PESEL */

/* A grant of `kind`: the grantee (type, value) gets scope in ctx, made in
 * grantor by the owner of grantor. */
static store_permission row(int kind, const char *ctx_type, const char *ctx,
			    const char *grantor, const char *who_type,
			    const char *who, const char *scope,
			    int can_delegate, int64_t start)
{
	store_permission p;

	memset(&p, 0, sizeof(p));
	p.kind = kind;
	snprintf(p.ctx_type, sizeof(p.ctx_type), "%s", ctx_type);
	snprintf(p.ctx_value, sizeof(p.ctx_value), "%s", ctx);
	snprintf(p.grantor_type, sizeof(p.grantor_type), "Nip");
	snprintf(p.grantor_value, sizeof(p.grantor_value), "%s", grantor);
	snprintf(p.subject_type, sizeof(p.subject_type), "%s", who_type);
	snprintf(p.subject_value, sizeof(p.subject_value), "%s", who);
	snprintf(p.scope, sizeof(p.scope), "%s", scope);
	snprintf(p.description, sizeof(p.description), "Opis uprawnienia");
	snprintf(p.author_type, sizeof(p.author_type), "Nip");
	snprintf(p.author_value, sizeof(p.author_value), "%s", grantor);
	p.can_delegate = can_delegate;
	p.start_ms = start;
	return p;
}

static store_perm_op op(const char *ref, const char *ctx, int status)
{
	store_perm_op o;

	memset(&o, 0, sizeof(o));
	snprintf(o.ref, sizeof(o.ref), "%s", ref);
	snprintf(o.ctx_type, sizeof(o.ctx_type), "Nip");
	snprintf(o.ctx_value, sizeof(o.ctx_value), "%s", ctx);
	o.status = status;
	o.created_ms = 1000;
	return o;
}

static void grant(store *st, store_permission *p, size_t n, const char *ref)
{
	store_perm_op o = op(ref, p[0].grantor_value, 200);
	ksef_error err;

	ok(store_permissions_grant(st, p, n, &o, &err), &err);
}

static void effective(store *st, const char *ctx_type, const char *ctx,
		      const char *who_type, const char *who, const char *want)
{
	char got[STORE_PERMS_SZ];
	ksef_error err;

	ok(store_permissions_effective(st, ctx_type, ctx, who_type, who, got,
				       &err), &err);
	assert_string_equal(got, want);
}

static int is_uuid_v4(const char *s)
{
	size_t i;

	if (strlen(s) != 36 || s[14] != '4' || strchr("89ab", s[19]) == NULL)
		return 0;
	for (i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' :
		    strchr("0123456789abcdef", s[i]) == NULL)
			return 0;
	return 1;
}

static void a_grant_is_stored_with_its_operation_and_read_by_id(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_permission p[2], got;
	store_perm_op o;
	ksef_error err;

	(void)state;
	p[0] = row(STORE_PERM_PERSON, "Nip", A, A, "Pesel", P, "InvoiceWrite",
		   0, 5000);
	p[1] = row(STORE_PERM_PERSON, "Nip", A, A, "Pesel", P, "InvoiceRead",
		   0, 5000);
	snprintf(p[1].details, sizeof(p[1].details),
		 "{\"subjectPersonDetails\":{\"firstName\":\"Adam\"}}");
	grant(st, p, 2, "EG-1");
	assert_true(is_uuid_v4(p[0].id));
	assert_true(is_uuid_v4(p[1].id));
	assert_string_not_equal(p[0].id, p[1].id);
	ok(store_permission_get(st, p[1].id, &got, &err), &err);
	assert_int_equal(got.kind, STORE_PERM_PERSON);
	assert_string_equal(got.scope, "InvoiceRead");
	assert_string_equal(got.subject_value, P);
	assert_string_equal(got.author_value, A);
	assert_string_equal(got.details, p[1].details);
	assert_int_equal(got.start_ms, 5000);
	ok(store_perm_op_get(st, "EG-1", &o, &err), &err);
	assert_int_equal(o.status, 200);
	assert_string_equal(o.ctx_value, A);
	assert_int_equal(store_permission_get(st, "no-such-id", &got, &err),
			 STORE_NOT_FOUND);
	/* A reference is one operation's. */
	o = op("EG-1", A, 400);
	assert_int_equal(store_perm_op_add(st, &o, &err), STORE_EXISTS);
	store_close(st);
	ts_rmdir(dir);
}

static void granting_twice_keeps_the_id_and_takes_the_new_terms(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_permission p, again, got;
	store_perm_query q;
	store_permission *rows = NULL;
	size_t n = 0;
	ksef_error err;

	(void)state;
	p = row(STORE_PERM_ENTITY, "Nip", A, A, "Nip", B, "InvoiceRead", 0,
		1000);
	grant(st, &p, 1, "EG-1");
	again = row(STORE_PERM_ENTITY, "Nip", A, A, "Nip", B, "InvoiceRead", 1,
		    9000);
	snprintf(again.description, sizeof(again.description), "Nowy opis");
	grant(st, &again, 1, "EG-2");
	ok(store_permission_get(st, p.id, &got, &err), &err);
	assert_int_equal(got.can_delegate, 1);
	assert_string_equal(got.description, "Nowy opis");
	assert_int_equal(got.start_ms, 1000);
	/* Still one row. */
	memset(&q, 0, sizeof(q));
	q.ctx_type = "Nip";
	q.ctx_value = B;
	q.limit = 10;
	ok(store_permissions_query(st, STORE_PERMS_ENTITIES, &q, &rows, &n,
				   &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].id, p.id);
	free(rows);
	store_close(st);
	ts_rmdir(dir);
}

static void a_revoked_grant_is_gone_and_its_operation_kept(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_permission p, got;
	store_perm_op o = op("EG-2", A, 200), r;
	ksef_error err;

	(void)state;
	p = row(STORE_PERM_PERSON, "Nip", A, A, "Pesel", P, "InvoiceWrite", 0,
		1000);
	grant(st, &p, 1, "EG-1");
	effective(st, "Nip", A, "Pesel", P, "InvoiceWrite");
	ok(store_permission_revoke(st, p.id, &o, &err), &err);
	assert_int_equal(store_permission_get(st, p.id, &got, &err),
			 STORE_NOT_FOUND);
	effective(st, "Nip", A, "Pesel", P, "");
	ok(store_perm_op_get(st, "EG-2", &r, &err), &err);
	/* Twice: not found, and nothing recorded. */
	o = op("EG-3", A, 200);
	assert_int_equal(store_permission_revoke(st, p.id, &o, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_perm_op_get(st, "EG-3", &r, &err),
			 STORE_NOT_FOUND);
	store_close(st);
	ts_rmdir(dir);
}

static void indirect_grants_work_only_while_the_client_lets_delegate(
	void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_permission e, sel, gen, rep;
	store_perm_query q;
	store_permission *rows = NULL;
	size_t n = 0;
	ksef_error err;
	int yes;

	(void)state;
	/* A gives B InvoiceRead without canDelegate; B passes it on to P,
	 * selectively for A and generally. */
	e = row(STORE_PERM_ENTITY, "Nip", A, A, "Nip", B, "InvoiceRead", 0,
		1000);
	grant(st, &e, 1, "EG-1");
	sel = row(STORE_PERM_INDIRECT, "Nip", A, B, "Pesel", P, "InvoiceRead",
		  0, 2000);
	gen = row(STORE_PERM_INDIRECT, "AllPartners", "", B, "Pesel", P,
		  "InvoiceWrite", 0, 3000);
	grant(st, &sel, 1, "EG-2");
	grant(st, &gen, 1, "EG-3");
	ok(store_permission_delegable(st, "Nip", A, B, "InvoiceRead", &yes,
				      &err), &err);
	assert_false(yes);
	effective(st, "Nip", A, "Pesel", P, "");
	/* B itself, logging in to A, has what A gave it. */
	effective(st, "Nip", A, "Nip", B, "InvoiceRead");
	/* With canDelegate the selective grant works in A; the general
	 * one only for a scope B may delegate there. */
	e.can_delegate = 1;
	grant(st, &e, 1, "EG-4");
	ok(store_permission_delegable(st, "Nip", A, B, "InvoiceRead", &yes,
				      &err), &err);
	assert_true(yes);
	effective(st, "Nip", A, "Pesel", P, "InvoiceRead");
	rep = row(STORE_PERM_ENTITY, "Nip", A, A, "Nip", B, "InvoiceWrite", 1,
		  4000);
	grant(st, &rep, 1, "EG-5");
	effective(st, "Nip", A, "Pesel", P, "InvoiceRead,InvoiceWrite");
	/* Nowhere else. */
	effective(st, "Nip", "1234563218", "Pesel", P, "");

	/* The intermediary's list shows them; revoking the delegation makes
	 * the selective one Inactive. */
	memset(&q, 0, sizeof(q));
	q.ctx_type = "Nip";
	q.ctx_value = B;
	q.limit = 10;
	ok(store_permission_revoke(st, e.id, &(store_perm_op){ "EG-6", "Nip",
				   A, 200, "", 1 }, &err), &err);
	effective(st, "Nip", A, "Pesel", P, "InvoiceWrite");
	q.state = 2;
	ok(store_permissions_query(st, STORE_PERMS_IN_CONTEXT, &q, &rows, &n,
				   &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].id, sel.id);
	assert_int_equal(rows[0].inactive, 1);
	free(rows);
	q.state = 1;
	ok(store_permissions_query(st, STORE_PERMS_IN_CONTEXT, &q, &rows, &n,
				   &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].id, gen.id);
	free(rows);
	store_close(st);
	ts_rmdir(dir);
}

static void each_kind_gives_its_scopes_in_its_own_context(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_permission p[5];
	const char *fp = "CEB3643BAC2C111ADDE971BDA5A80163441867D65389FC0BC0DF"
			 "F8B4C1CD4E59";
	ksef_error err;
	int count;

	(void)state;
	p[0] = row(STORE_PERM_SUBUNIT, "InternalId", A "-12343", A, "Pesel",
		   P, "CredentialsManage", 0, 1);
	p[1] = row(STORE_PERM_EU_ADMIN, "NipVatUe", A "-DE123456789", A,
		   "Fingerprint", fp, "VatUeManage", 0, 2);
	p[2] = row(STORE_PERM_EU_ADMIN, "NipVatUe", A "-DE123456789", A,
		   "Fingerprint", fp, "InvoiceRead", 0, 2);
	p[3] = row(STORE_PERM_AUTHORIZATION, "Nip", A, A, "Nip", B,
		   "SelfInvoicing", 0, 3);
	p[4] = row(STORE_PERM_PERSON, "Nip", A, A, "Pesel", P, "Introspection",
		   0, 4);
	grant(st, p, 5, "EG-1");
	effective(st, "InternalId", A "-12343", "Pesel", P,
		  "CredentialsManage");
	effective(st, "Nip", A, "Pesel", P, "Introspection");
	effective(st, "NipVatUe", A "-DE123456789", "Fingerprint", fp,
		  "InvoiceRead,VatUeManage");
	/* Self-invoicing is about invoices, not an access right. */
	effective(st, "Nip", A, "Nip", B, "");
	/* By grantee, of some kinds only. */
	ok(store_permissions_revoke_subject(st, "Nip", A, "Pesel", P,
		STORE_PERM_BIT(STORE_PERM_ENTITY), &count, &err), &err);
	assert_int_equal(count, 0);
	ok(store_permissions_revoke_subject(st, "Nip", A, "Pesel", P, 0,
					    &count, &err), &err);
	assert_int_equal(count, 1);
	effective(st, "Nip", A, "Pesel", P, "");
	effective(st, "InternalId", A "-12343", "Pesel", P,
		  "CredentialsManage");
	store_close(st);
	ts_rmdir(dir);
}

static void lists_filter_and_page_newest_first_then_by_id(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_permission p[25], *rows = NULL;
	store_perm_query q;
	size_t n = 0, i, seen = 0;
	char who[16];
	ksef_error err;

	(void)state;
	for (i = 0; i < 25; i++) {
		snprintf(who, sizeof(who), "900101%05zu", i);
		/* Two at each time: the id decides between them. */
		p[i] = row(STORE_PERM_PERSON, "Nip", A, A, "Pesel", who,
			   i % 3 ? "InvoiceRead" : "InvoiceWrite", 0,
			   1000 + (int64_t)(i / 2));
	}
	grant(st, p, 25, "EG-1");
	memset(&q, 0, sizeof(q));
	q.ctx_type = "Nip";
	q.ctx_value = A;
	q.limit = 10;
	for (q.offset = 0; q.offset < 30; q.offset += 10) {
		ok(store_permissions_query(st, STORE_PERMS_IN_CONTEXT, &q,
					   &rows, &n, &err), &err);
		for (i = 0; i < n; i++, seen++)
			if (seen > 0 && i > 0)
				assert_true(rows[i - 1].start_ms >
					    rows[i].start_ms ||
					    (rows[i - 1].start_ms ==
					     rows[i].start_ms &&
					     strcmp(rows[i - 1].id,
						    rows[i].id) < 0));
		free(rows);
	}
	assert_int_equal(seen, 25);
	/* Scopes and grantee. */
	q.offset = 0;
	q.limit = 100;
	q.scopes = ",InvoiceWrite,";
	ok(store_permissions_query(st, STORE_PERMS_IN_CONTEXT, &q, &rows, &n,
				   &err), &err);
	assert_int_equal(n, 9);
	free(rows);
	q.scopes = NULL;
	q.grantee_type = "Pesel";
	q.grantee_value = "90010100007";
	ok(store_permissions_query(st, STORE_PERMS_IN_CONTEXT, &q, &rows, &n,
				   &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].id, p[7].id);
	free(rows);
	/* Granted by the caller: the author counts. */
	memset(&q, 0, sizeof(q));
	q.ctx_type = "Nip";
	q.ctx_value = A;
	q.subject_type = "Nip";
	q.subject_value = B;
	q.limit = 100;
	ok(store_permissions_query(st, STORE_PERMS_GRANTED, &q, &rows, &n,
				   &err), &err);
	assert_int_equal(n, 0);
	q.subject_value = A;
	ok(store_permissions_query(st, STORE_PERMS_GRANTED, &q, &rows, &n,
				   &err), &err);
	assert_int_equal(n, 25);
	free(rows);
	/* A list is of a context. */
	q.ctx_type = NULL;
	assert_int_equal(store_permissions_query(st, STORE_PERMS_GRANTED, &q,
						 &rows, &n, &err),
			 STORE_INVALID);
	store_close(st);
	ts_rmdir(dir);
}

static void what_does_not_fit_is_refused(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_permission p;
	store_perm_op o = op("EG-1", A, 200);
	ksef_error err;

	(void)state;
	p = row(99, "Nip", A, A, "Pesel", P, "InvoiceRead", 0, 1);
	assert_int_equal(store_permissions_grant(st, &p, 1, &o, &err),
			 STORE_INVALID);
	p = row(STORE_PERM_PERSON, "Nip", A, A, "Pesel", P, "InvoiceRead", 0,
		1);
	memset(p.scope, 'S', sizeof(p.scope));
	assert_int_equal(store_permissions_grant(st, &p, 1, &o, &err),
			 STORE_INVALID);
	p = row(STORE_PERM_PERSON, "Nip", A, A, "Pesel", "", "InvoiceRead", 0,
		1);
	assert_int_equal(store_permissions_grant(st, &p, 1, &o, &err),
			 STORE_INVALID);
	/* Nothing of it, the operation included, was written. */
	assert_int_equal(store_perm_op_get(st, "EG-1", &o, &err),
			 STORE_NOT_FOUND);
	store_close(st);
	ts_rmdir(dir);
}

/* Write SQL into a closed store's file, as the test data would. */
static void sql_into(const char *dir, const char *text)
{
	char file[600];
	sqlite3 *db;

	snprintf(file, sizeof(file), "%s/ksefd.sqlite3", dir);
	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, text, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Operations made before the cut are forgotten, in batches, and the
 * newer ones stay; over 10,000 old ones take more than one call. */
static void old_operations_are_purged(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_perm_op o;
	ksef_error err;
	int n = -1;

	(void)state;
	o = op("EG-old", A, 200);
	o.created_ms = 1000;
	ok(store_perm_op_add(st, &o, &err), &err);
	o = op("EG-new", A, 200);
	o.created_ms = 5000;
	ok(store_perm_op_add(st, &o, &err), &err);
	ok(store_perm_ops_purge(st, 1000, &n, &err), &err);
	assert_int_equal(n, 0);
	ok(store_perm_ops_purge(st, 2000, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_int_equal(store_perm_op_get(st, "EG-old", &o, &err),
			 STORE_NOT_FOUND);
	ok(store_perm_op_get(st, "EG-new", &o, &err), &err);
	store_close(st);
	/* A flood: 10,001 old operations. */
	sql_into(dir, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
		 " FROM n WHERE i < 10001) INSERT INTO permission_ops"
		 " SELECT 'EG-' || i, 'Nip', '" A "', 200, '', 10 FROM n;");
	st = open_store(dir);
	ok(store_perm_ops_purge(st, 2000, &n, &err), &err);
	assert_int_equal(n, 10000);
	ok(store_perm_ops_purge(st, 2000, &n, &err), &err);
	assert_int_equal(n, 1);
	ok(store_perm_op_get(st, "EG-new", &o, &err), &err);
	store_close(st);
	ts_rmdir(dir);
}

static void roles_and_the_attachment_consent_are_read(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_entity *rows = NULL;
	size_t n = 0;
	ksef_error err;
	int64_t from, end;

	(void)state;
	store_close(st);
	sql_into(dir, "INSERT INTO testdata_subjects VALUES ('" A "',"
		 " 'VatGroupUnit', '', 'Grupa VAT', 1, 0);"
		 "INSERT INTO testdata_subjects VALUES ('" B "',"
		 " 'VatGroupSubUnit', '" A "', 'Członek', 2, 0);"
		 "INSERT INTO testdata_subjects VALUES ('1234563218',"
		 " 'VatGroupSubUnit', '" A "', 'Były członek', 3, 1);"
		 "INSERT INTO testdata_persons VALUES ('" A "', '" P "',"
		 " 'Komornik', 1, 0, 4, 0);");
	st = open_store(dir);
	/* Its own role, and a bailiff person's. */
	ok(store_entity_roles(st, A, 0, 10, &rows, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].role, "CourtBailiff");
	assert_string_equal(rows[1].role, "VatGroupUnit");
	free(rows);
	ok(store_entity_roles(st, A, 1, 10, &rows, &n, &err), &err);
	assert_int_equal(n, 1);
	free(rows);
	/* Members, but not a removed one. */
	ok(store_entity_subunits(st, A, NULL, 0, 10, &rows, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].nip, B);
	assert_string_equal(rows[0].parent_nip, A);
	free(rows);
	ok(store_entity_subunits(st, A, "1234563218", 0, 10, &rows, &n, &err),
	   &err);
	assert_int_equal(n, 0);
	assert_int_equal(store_entity_roles(st, "not a NIP, far too long",
					    0, 10, &rows, &n, &err),
			 STORE_INVALID);

	assert_int_equal(store_attachment_get(st, "Nip", A, &from, &end, &err),
			 STORE_NOT_FOUND);
	ok(store_attachment_allow(st, "Nip", A, 100, &err), &err);
	ok(store_attachment_get(st, "Nip", A, &from, &end, &err), &err);
	assert_int_equal(from, 100);
	assert_int_equal(end, 0);
	ok(store_attachment_revoke(st, "Nip", A, 777, &err), &err);
	ok(store_attachment_get(st, "Nip", A, &from, &end, &err), &err);
	assert_int_equal(end, 777);
	/* Given again: the end is gone. */
	ok(store_attachment_allow(st, "Nip", A, 900, &err), &err);
	ok(store_attachment_get(st, "Nip", A, &from, &end, &err), &err);
	assert_int_equal(end, 0);
	assert_int_equal(store_attachment_revoke(st, "Nip", B, 1, &err),
			 STORE_NOT_FOUND);
	store_close(st);
	ts_rmdir(dir);
}

/* A store of version 6 kept `ksefd grant`'s lists in `grants`: version 7
 * turns each name into a direct grant made by the system. */
static void old_grants_become_direct_grants_by_the_system(void **state)
{
	char *dir = ts_mkdtemp(), file[600], perms[STORE_PERMS_SZ];
	store *st = open_store(dir);
	store_perm_query q;
	store_permission *rows = NULL;
	size_t n = 0;
	sqlite3 *db;
	ksef_error err;

	(void)state;
	store_close(st);
	snprintf(file, sizeof(file), "%s/ksefd.sqlite3", dir);
	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"DROP TABLE permissions; DROP TABLE permission_ops;"
		/* version 8's (batch sessions) */
		"DROP TABLE batch_files; DROP TABLE batch_parts;"
		"ALTER TABLE invoices DROP COLUMN file_name;"
		/* version 11's (certificates) column; its tables stay */
		"ALTER TABLE auth_ops DROP COLUMN cert_subject;"
		"CREATE TABLE grants (ctx_type TEXT NOT NULL,"
		"  ctx_value TEXT NOT NULL, subject_type TEXT NOT NULL,"
		"  subject_value TEXT NOT NULL, permissions TEXT NOT NULL,"
		"  PRIMARY KEY (ctx_type, ctx_value, subject_type,"
		"  subject_value));"
		"INSERT INTO grants VALUES ('Nip', '" A "', 'Nip', '" B "',"
		"  'InvoiceWrite,InvoiceRead');"
		"INSERT INTO grants VALUES ('Nip', '" A "', 'Pesel', '" P "',"
		"  'Introspection');"
		"PRAGMA user_version = 6;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	st = open_store(dir);
	ok(store_grant_get(st, "Nip", A, "Nip", B, perms, &err), &err);
	assert_string_equal(perms, "InvoiceRead,InvoiceWrite");
	effective(st, "Nip", A, "Pesel", P, "Introspection");
	memset(&q, 0, sizeof(q));
	q.ctx_type = "Nip";
	q.ctx_value = A;
	q.limit = 10;
	ok(store_permissions_query(st, STORE_PERMS_IN_CONTEXT, &q, &rows, &n,
				   &err), &err);
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].author_type, "System");
	assert_string_equal(rows[0].author_value, "");
	assert_true(is_uuid_v4(rows[0].id));
	assert_true(strlen(rows[0].description) >= 5);
	free(rows);
	store_close(st);
	ts_rmdir(dir);
}

/* The shortcut replaces a subject's direct grants and leaves the rest. */
static void ksefd_grant_replaces_only_direct_grants(void **state)
{
	char *dir = ts_mkdtemp(), perms[STORE_PERMS_SZ];
	store *st = open_store(dir);
	store_permission e;
	ksef_error err;

	(void)state;
	e = row(STORE_PERM_ENTITY, "Nip", A, A, "Nip", B, "InvoiceRead", 1,
		1);
	grant(st, &e, 1, "EG-1");
	ok(store_grant_set(st, "Nip", A, "Nip", B, "InvoiceWrite,Introspection",
			   &err), &err);
	effective(st, "Nip", A, "Nip", B,
		  "Introspection,InvoiceRead,InvoiceWrite");
	ok(store_grant_set(st, "Nip", A, "Nip", B, "Introspection", &err),
	   &err);
	ok(store_grant_get(st, "Nip", A, "Nip", B, perms, &err), &err);
	assert_string_equal(perms, "Introspection");
	ok(store_grant_revoke(st, "Nip", A, "Nip", B, &err), &err);
	assert_int_equal(store_grant_get(st, "Nip", A, "Nip", B, perms, &err),
			 STORE_NOT_FOUND);
	/* The entity's grant was never the shortcut's. */
	effective(st, "Nip", A, "Nip", B, "InvoiceRead");
	store_close(st);
	ts_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			a_grant_is_stored_with_its_operation_and_read_by_id),
		cmocka_unit_test(
			granting_twice_keeps_the_id_and_takes_the_new_terms),
		cmocka_unit_test(
			a_revoked_grant_is_gone_and_its_operation_kept),
		cmocka_unit_test(
		    indirect_grants_work_only_while_the_client_lets_delegate),
		cmocka_unit_test(
			each_kind_gives_its_scopes_in_its_own_context),
		cmocka_unit_test(
			lists_filter_and_page_newest_first_then_by_id),
		cmocka_unit_test(what_does_not_fit_is_refused),
		cmocka_unit_test(roles_and_the_attachment_consent_are_read),
		cmocka_unit_test(old_grants_become_direct_grants_by_the_system),
		cmocka_unit_test(ksefd_grant_replaces_only_direct_grants),
		cmocka_unit_test(old_operations_are_purged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
