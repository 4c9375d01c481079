/*
 * client_permissions_test.c - every permission call of libksef
 * (client_permissions.h) against the real ksefd: the seven grants, both
 * revocations, the operation and attachment statuses, the six lists and
 * the two lists of roles. What a grant gives is proven by logging in with
 * it; what the server refuses comes back as the operation's status or as
 * the error answer of the call. Roles and the attachment consent are what
 * the test data sets, written here into the store (permissions_e2e.h).
 */
#include "testsupport.h"
#include "permissions_e2e.h"
#include "ksef/client_permissions.h"

#define A "5265877635"          /* the owner's context */
#define M "7010012385"          /* another entity */
#define VATUE A "-DE123456789"  /* A with an EU entity */
#define COLLEAGUE "85010112345" /* a colleague's PESEL */

static struct ksefd_proc srv;
static struct who owner, other;

static int setup(void **state)
{
	static const char *const extra[] = { "--processing-delay", "0", NULL };

	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	ksefd_start(&srv, NULL, extra);
	who_make(&owner, WHO_SEAL, A);
	who_make(&other, WHO_SEAL, M);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	who_free(&owner);
	who_free(&other);
	ksefd_stop(&srv);
	ksefd_cleanup(&srv);
	contract_unload();
	return 0;
}

/* The final status code of an operation, read through the library. */
static int op_code(ksef_client *c, const char *ref)
{
	ksef_api_permission_operation *op = NULL;
	ksef_error err;
	int code;

	if (ksef_client_permissions_operation(&op, c, ref, &err) != 0)
		fail_msg("operation %s: %s", ref, err.message);
	code = op->status->code;
	ksef_api_permission_operation_free(op);
	return code;
}

/* Grant and return the operation's final status. */
static int grant(ksef_client *c, const ksef_client_grant *g)
{
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_error err;

	if (ksef_client_permissions_grant(ref, c, g, &err) != 0)
		fail_msg("grant: %s", err.message);
	assert_int_equal(memcmp(ref + 9, "EG", 2), 0);
	return op_code(c, ref);
}

static int revoke(ksef_client *c, const char *id, int authorization)
{
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_error err;

	if (ksef_client_permissions_revoke(ref, c, id, authorization,
					   &err) != 0)
		fail_msg("revoke: %s", err.message);
	return op_code(c, ref);
}

/* One page of a list; fails the test on an error. */
static ksef_api_permission_list *list(ksef_client *c,
				      const ksef_client_permission_query *q)
{
	ksef_api_permission_list *l = NULL;
	ksef_error err;

	if (ksef_client_permissions_query(&l, c, q, &err) != 0)
		fail_msg("query %d: %s", (int)q->list, err.message);
	return l;
}

/* The first item of scope `scope` (NULL: any) described as desc (NULL:
 * any), or NULL. */
static const ksef_api_permission *find_item(const ksef_api_permission_list *l,
					    const char *scope,
					    const char *desc)
{
	const ksef_api_permission *p;
	size_t i;

	for (i = 0; i < ksef_api_permission_list_count(l); i++) {
		p = ksef_api_permission_list_at(l, i);
		if ((scope == NULL || strcmp(p->scope, scope) == 0) &&
		    (desc == NULL || strcmp(p->description, desc) == 0))
			return p;
	}
	return NULL;
}

/* A grant of InvoiceWrite to the colleague's PESEL. */
static void colleague_grant(ksef_client_grant *g, const char *desc)
{
	ksef_client_grant init = KSEF_CLIENT_GRANT_INIT;

	*g = init;
	g->subject_type = KSEF_PERM_ID_PESEL;
	g->subject_value = COLLEAGUE;
	g->permissions = KSEF_PERM_INVOICE_WRITE;
	g->description = desc;
	g->first_name = "Anna";
	g->last_name = "Nowak";
}

static void a_person_grant_works_until_it_is_revoked(void **state)
{
	ksef_client_permission_query q = KSEF_CLIENT_PERMISSION_QUERY_INIT;
	ksef_api_permission_list *l;
	const ksef_api_permission *p;
	struct login own, col;
	ksef_client_grant g;
	struct who colleague;
	char id[64];

	(void)state;
	who_make(&colleague, WHO_PESEL, COLLEAGUE);
	xlogin_ok(&own, &srv, A, &owner);
	/* Nothing granted yet: the colleague cannot log in. */
	assert_int_equal(xlogin(&col, &srv, KSEF_CONTEXT_NIP, A, &colleague),
			 415);
	logout(&col);
	colleague_grant(&g, "Wystawianie faktur");
	assert_int_equal(grant(own.c, &g), 200);

	/* The colleague sees its grant among its own. */
	xlogin_ok(&col, &srv, A, &colleague);
	l = list(col.c, &q);
	p = find_item(l, "InvoiceWrite", "Wystawianie faktur");
	assert_non_null(p);
	assert_int_equal(p->scope_bit, KSEF_PERM_INVOICE_WRITE);
	assert_string_equal(p->permission_state, "Active");
	assert_string_equal(p->context->value, A);
	ksef_api_permission_list_free(l);
	logout(&col);

	/* The owner lists what it granted, with the person's details. */
	q.list = KSEF_PERMISSIONS_PERSONS;
	q.query_type = KSEF_PERM_QUERY_GRANTED_IN_CURRENT_CONTEXT;
	q.authorized_type = KSEF_PERM_ID_PESEL;
	q.authorized_value = COLLEAGUE;
	q.permission_types = KSEF_PERM_INVOICE_WRITE;
	q.state = KSEF_PERM_STATE_ACTIVE;
	q.page_size = 10;
	l = list(own.c, &q);
	assert_int_equal(ksef_api_permission_list_count(l), 1);
	assert_int_equal(ksef_api_permission_list_has_more(l), 0);
	p = ksef_api_permission_list_at(l, 0);
	assert_string_equal(p->authorized->type, "Pesel");
	assert_string_equal(p->author->value, A);
	assert_string_equal(p->person_details->first_name, "Anna");
	assert_string_equal(p->person_details->subject_details_type,
			    "PersonByIdentifier");
	assert_int_equal(p->can_delegate, 0);
	snprintf(id, sizeof(id), "%s", p->id);
	ksef_api_permission_list_free(l);

	/* EnforcementOperations outside a bailiff's context: 430. */
	g.permissions = KSEF_PERM_ENFORCEMENT_OPERATIONS;
	assert_int_equal(grant(own.c, &g), 430);

	/* Revoked, the colleague has nothing left; a second revocation
	 * finds nothing (400), as does the authorizations endpoint. */
	assert_int_equal(revoke(own.c, id, 0), 200);
	assert_int_equal(xlogin(&col, &srv, KSEF_CONTEXT_NIP, A, &colleague),
			 415);
	logout(&col);
	assert_int_equal(revoke(own.c, id, 0), 400);
	assert_int_equal(revoke(own.c, "00000000-0000-4000-8000-000000000000",
				1), 400);
	logout(&own);
	who_free(&colleague);
}

static void refusals_come_back_as_error_answers(void **state)
{
	ksef_api_permission_operation *op = NULL;
	const ksef_api_error *e;
	struct login own, col;
	ksef_client_grant g;
	struct who colleague;
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_error err;

	(void)state;
	who_make(&colleague, WHO_PESEL, "86010112345");
	xlogin_ok(&own, &srv, A, &owner);
	colleague_grant(&g, "Tylko wystawianie");
	g.subject_value = "86010112345";
	assert_int_equal(grant(own.c, &g), 200);
	/* InvoiceWrite does not grant: 403 before anything is decided. */
	xlogin_ok(&col, &srv, A, &colleague);
	g.subject_value = "87010112345";
	assert_int_equal(ksef_client_permissions_grant(ref, col.c, &g, &err),
			 KSEF_EHTTP);
	e = ksef_client_last_error(col.c);
	assert_non_null(e);
	assert_int_equal(e->http_status, 403);
	/* An operation of another context is not found: 400/21405. */
	assert_int_equal(ksef_client_permissions_grant(ref, own.c, &g, &err),
			 0);
	assert_int_equal(ksef_client_permissions_operation(&op, col.c, ref,
							   &err), 0);
	ksef_api_permission_operation_free(op);
	logout(&col);
	xlogin_ok(&col, &srv, M, &other);
	assert_int_equal(ksef_client_permissions_operation(&op, col.c, ref,
							   &err), KSEF_EHTTP);
	assert_null(op);
	assert_true(ksef_api_error_has_code(ksef_client_last_error(col.c),
					    21405));
	/* What the contract forbids is refused before it is sent. */
	g.description = "abc";
	assert_int_equal(ksef_client_permissions_grant(ref, own.c, &g, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_last_http_status(own.c), 0);
	logout(&col);
	logout(&own);
	who_free(&colleague);
}

static void entities_authorizations_and_indirect_grants(void **state)
{
	ksef_client_permission_query q = KSEF_CLIENT_PERMISSION_QUERY_INIT;
	ksef_api_permission_list *l;
	const ksef_api_permission *p;
	struct login own, office, worker;
	ksef_client_grant g = KSEF_CLIENT_GRANT_INIT;
	struct who w;
	char id[64];

	(void)state;
	who_make(&w, WHO_PESEL, "88010112345");
	xlogin_ok(&own, &srv, A, &owner);
	/* The office M may invoice for A and pass it on. */
	g.kind = KSEF_GRANT_ENTITY;
	g.subject_type = KSEF_PERM_ID_NIP;
	g.subject_value = M;
	g.permissions = KSEF_PERM_INVOICE_WRITE | KSEF_PERM_INVOICE_READ;
	g.can_delegate = KSEF_PERM_INVOICE_WRITE;
	g.description = "Biuro rachunkowe";
	g.full_name = "Biuro sp. z o.o.";
	assert_int_equal(grant(own.c, &g), 200);
	/* Self-invoicing, an entity permission. */
	g.kind = KSEF_GRANT_AUTHORIZATION;
	g.permissions = KSEF_PERM_SELF_INVOICING;
	g.can_delegate = 0;
	g.description = "Samofakturowanie";
	assert_int_equal(grant(own.c, &g), 200);

	q.list = KSEF_PERMISSIONS_AUTHORIZATIONS;
	q.query_type = KSEF_PERM_QUERY_GRANTED;
	q.authorized_type = KSEF_PERM_ID_NIP;
	q.authorized_value = M;
	l = list(own.c, &q);
	p = find_item(l, "SelfInvoicing", NULL);
	assert_non_null(p);
	assert_int_equal(p->scope_bit, KSEF_PERM_SELF_INVOICING);
	assert_string_equal(p->authorizing->value, A);
	assert_string_equal(p->entity_details->full_name, "Biuro sp. z o.o.");
	snprintf(id, sizeof(id), "%s", p->id);
	ksef_api_permission_list_free(l);
	/* Entity permissions have their own revocation. */
	assert_int_equal(revoke(own.c, id, 0), 450);

	/* The office sees both from its side. */
	xlogin_ok(&office, &srv, M, &other);
	q = (ksef_client_permission_query)KSEF_CLIENT_PERMISSION_QUERY_INIT;
	q.list = KSEF_PERMISSIONS_AUTHORIZATIONS;
	q.query_type = KSEF_PERM_QUERY_RECEIVED;
	q.authorizing_type = KSEF_PERM_ID_NIP;
	q.authorizing_value = A;
	q.permission_types = KSEF_PERM_SELF_INVOICING;
	l = list(office.c, &q);
	assert_int_equal(ksef_api_permission_list_count(l), 1);
	ksef_api_permission_list_free(l);
	q = (ksef_client_permission_query)KSEF_CLIENT_PERMISSION_QUERY_INIT;
	q.list = KSEF_PERMISSIONS_ENTITIES;
	q.context_type = KSEF_PERM_ID_NIP;
	q.context_value = A;
	l = list(office.c, &q);
	p = find_item(l, "InvoiceWrite", "Biuro rachunkowe");
	assert_non_null(p);
	assert_int_equal(p->can_delegate, 1);
	assert_int_equal(find_item(l, "InvoiceRead", NULL)->can_delegate, 0);
	ksef_api_permission_list_free(l);

	/* The office passes InvoiceWrite for A on to its worker; not
	 * InvoiceRead, which it may not pass on (440). */
	g = (ksef_client_grant)KSEF_CLIENT_GRANT_INIT;
	g.kind = KSEF_GRANT_INDIRECT;
	g.subject_type = KSEF_PERM_ID_PESEL;
	g.subject_value = "88010112345";
	g.permissions = KSEF_PERM_INVOICE_WRITE;
	g.description = "Faktury klienta A";
	g.first_name = "Ewa";
	g.last_name = "Lis";
	g.target_type = KSEF_PERM_ID_NIP;
	g.target_value = A;
	assert_int_equal(grant(office.c, &g), 200);
	g.permissions = KSEF_PERM_INVOICE_READ;
	assert_int_equal(grant(office.c, &g), 440);
	/* A general grant, for every client. */
	g.target_type = KSEF_PERM_ID_NONE;
	g.target_value = NULL;
	g.description = "Wszyscy klienci";
	assert_int_equal(grant(office.c, &g), 200);
	q = (ksef_client_permission_query)KSEF_CLIENT_PERMISSION_QUERY_INIT;
	q.list = KSEF_PERMISSIONS_PERSONS;
	q.query_type = KSEF_PERM_QUERY_GRANTED_IN_CURRENT_CONTEXT;
	q.target_type = KSEF_PERM_ID_NIP;
	q.target_value = A;
	l = list(office.c, &q);
	p = find_item(l, "InvoiceWrite", "Faktury klienta A");
	assert_non_null(p);
	assert_string_equal(p->target->value, A);
	assert_null(find_item(l, NULL, "Wszyscy klienci"));
	ksef_api_permission_list_free(l);
	q.target_type = KSEF_PERM_ID_ALL_PARTNERS;
	q.target_value = NULL;
	l = list(office.c, &q);
	p = find_item(l, NULL, "Wszyscy klienci");
	assert_non_null(p);
	assert_string_equal(p->target->type, "AllPartners");
	assert_null(p->target->value);
	ksef_api_permission_list_free(l);
	/* The worker works in A's context through the office. */
	xlogin_ok(&worker, &srv, A, &w);
	logout(&worker);

	assert_int_equal(revoke(own.c, id, 1), 200);
	logout(&office);
	logout(&own);
	who_free(&w);
}

/* NIP "-" four digits and the check digit of POST
 * /permissions/subunits/grants. */
static void internal_id(char *out, size_t size, const char *nip,
			const char *four)
{
	int sum = 0, i, k = 0;
	char all[15];

	snprintf(all, sizeof(all), "%s%s", nip, four);
	for (i = 0; i < 14; i++, k++)
		sum += (all[i] - '0') * (k % 2 ? 3 : 1);
	snprintf(out, size, "%s-%s%d", nip, four, sum % 10);
}

static void subunit_administrators_and_roles(void **state)
{
	ksef_client_permission_query q = KSEF_CLIENT_PERMISSION_QUERY_INIT;
	ksef_client_grant g = KSEF_CLIENT_GRANT_INIT;
	ksef_api_entity_role_list *roles = NULL;
	const ksef_api_entity_role *r;
	ksef_api_permission_list *l;
	const ksef_api_permission *p;
	struct login own, mem;
	char unit[32];
	ksef_error err;

	(void)state;
	internal_id(unit, sizeof(unit), A, "0042");
	xlogin_ok(&own, &srv, A, &owner);
	g.kind = KSEF_GRANT_SUBUNIT;
	g.subject_type = KSEF_PERM_ID_PESEL;
	g.subject_value = "77070712345";
	g.target_type = KSEF_PERM_ID_INTERNAL_ID;
	g.target_value = unit;
	g.subunit_name = "Oddział Gdańsk";
	g.description = "Administrator oddziału";
	g.first_name = "Jan";
	g.last_name = "Nowak";
	assert_int_equal(grant(own.c, &g), 200);
	q.list = KSEF_PERMISSIONS_SUBUNITS;
	q.subunit_type = KSEF_PERM_ID_INTERNAL_ID;
	q.subunit_value = unit;
	l = list(own.c, &q);
	assert_int_equal(ksef_api_permission_list_count(l), 1);
	p = ksef_api_permission_list_at(l, 0);
	assert_string_equal(p->scope, "CredentialsManage");
	assert_string_equal(p->subunit->value, unit);
	assert_string_equal(p->subunit_name, "Oddział Gdańsk");
	ksef_api_permission_list_free(l);

	/* A VAT group and its member, as the test data registers them. */
	if (ksef_client_permissions_entity_roles(&roles, own.c, 0, 0,
						 &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(ksef_api_entity_role_list_count(roles), 0);
	ksef_api_entity_role_list_free(roles);
	sql(&srv, "INSERT INTO testdata_subjects VALUES ('" A "',"
	    " 'VatGroupUnit', '', 'Grupa VAT " A "', 1000, 0);"
	    "INSERT INTO testdata_subjects VALUES ('" M "', 'VatGroupSubUnit',"
	    " '" A "', 'Członek grupy VAT " A "', 2000, 0);");
	if (ksef_client_permissions_entity_roles(&roles, own.c, 10, 0,
						 &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(ksef_api_entity_role_list_count(roles), 1);
	assert_string_equal(ksef_api_entity_role_list_at(roles, 0)->role,
			    "VatGroupUnit");
	assert_int_equal(ksef_api_entity_role_list_has_more(roles), 0);
	ksef_api_entity_role_list_free(roles);
	if (ksef_client_permissions_subordinate_roles(&roles, own.c, NULL, 0,
						      0, &err) != 0)
		fail_msg("%s", err.message);
	r = ksef_api_entity_role_list_at(roles, 0);
	assert_non_null(r);
	assert_string_equal(r->role, "VatGroupSubUnit");
	assert_string_equal(r->subordinate_entity->value, M);
	ksef_api_entity_role_list_free(roles);
	if (ksef_client_permissions_subordinate_roles(&roles, own.c,
						      "1234563218", 10, 0,
						      &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(ksef_api_entity_role_list_count(roles), 0);
	ksef_api_entity_role_list_free(roles);
	/* The member sees its parent. */
	xlogin_ok(&mem, &srv, M, &other);
	if (ksef_client_permissions_entity_roles(&roles, mem.c, 0, 0,
						 &err) != 0)
		fail_msg("%s", err.message);
	r = ksef_api_entity_role_list_at(roles, 0);
	assert_non_null(r);
	assert_string_equal(r->parent_entity->value, A);
	ksef_api_entity_role_list_free(roles);
	logout(&mem);
	/* Now the group appoints a member's administrator by its NIP. */
	g.target_type = KSEF_PERM_ID_NIP;
	g.target_value = M;
	g.subunit_name = NULL;
	g.description = "Administrator członka";
	assert_int_equal(grant(own.c, &g), 200);
	logout(&own);
}

static void eu_administrators_and_representatives(void **state)
{
	ksef_client_permission_query q = KSEF_CLIENT_PERMISSION_QUERY_INIT;
	ksef_client_grant g = KSEF_CLIENT_GRANT_INIT;
	ksef_api_permission_list *l;
	const ksef_api_permission *p;
	struct login own, adm, rep;
	struct who f, r;

	(void)state;
	who_make(&f, WHO_FINGERPRINT, "EU-ADMIN-C");
	who_make(&r, WHO_FINGERPRINT, "EU-REP-C");
	xlogin_ok(&own, &srv, A, &owner);
	g.kind = KSEF_GRANT_EU_ADMINISTRATION;
	g.subject_type = KSEF_PERM_ID_FINGERPRINT;
	g.subject_value = f.fp;
	g.target_type = KSEF_PERM_ID_NIP_VAT_UE;
	g.target_value = VATUE;
	g.description = "Administrator podmiotu unijnego";
	g.first_name = "Anna";
	g.last_name = "Schmidt";
	g.person_id_type = KSEF_PERM_ID_PESEL;
	g.person_id_value = "15062788702";
	g.eu_entity_name = "Firma G.m.b.H., Berlin";
	g.eu_entity_full_name = "Firma G.m.b.H.";
	g.eu_entity_address = "Berlin, Unter den Linden 1";
	assert_int_equal(grant(own.c, &g), 200);
	assert_int_equal(xlogin(&adm, &srv, KSEF_CONTEXT_NIP_VAT_UE, VATUE,
				&f), 200);
	/* The administrator appoints an entity as representative. */
	g = (ksef_client_grant)KSEF_CLIENT_GRANT_INIT;
	g.kind = KSEF_GRANT_EU_REPRESENTATIVE;
	g.subject_type = KSEF_PERM_ID_FINGERPRINT;
	g.subject_value = r.fp;
	g.permissions = KSEF_PERM_INVOICE_WRITE;
	g.description = "Reprezentant";
	g.full_name = "Biuro GmbH";
	g.address = "Hamburg";
	assert_int_equal(grant(adm.c, &g), 200);
	assert_int_equal(xlogin(&rep, &srv, KSEF_CONTEXT_NIP_VAT_UE, VATUE,
				&r), 200);
	logout(&rep);

	q.list = KSEF_PERMISSIONS_EU_ENTITIES;
	q.vat_ue_identifier = "DE123456789";
	q.permission_types = KSEF_PERM_INVOICE_WRITE;
	l = list(adm.c, &q);
	assert_int_equal(ksef_api_permission_list_count(l), 2);
	p = find_item(l, "InvoiceWrite", "Reprezentant");
	assert_non_null(p);
	assert_string_equal(p->authorized_fingerprint, r.fp);
	assert_string_equal(p->vat_ue_identifier, "DE123456789");
	assert_string_equal(p->eu_entity_name, "Firma G.m.b.H., Berlin");
	assert_string_equal(p->entity_details->subject_details_type,
			    "EntityByFingerprint");
	assert_string_equal(p->eu_entity_details->address,
			    "Berlin, Unter den Linden 1");
	ksef_api_permission_list_free(l);
	q.permission_types = 0;
	q.vat_ue_identifier = NULL;
	q.authorized_fingerprint = f.fp + 20;
	l = list(own.c, &q);
	assert_int_equal(ksef_api_permission_list_count(l), 4);
	p = find_item(l, "VatUeManage", NULL);
	assert_non_null(p);
	assert_string_equal(p->person_details->person_identifier->value,
			    "15062788702");
	ksef_api_permission_list_free(l);
	logout(&adm);
	logout(&own);
	who_free(&f);
	who_free(&r);
}

static void the_attachment_consent_is_read(void **state)
{
	ksef_api_attachment_status *st = NULL;
	struct login own;
	ksef_error err;

	(void)state;
	xlogin_ok(&own, &srv, M, &other);
	if (ksef_client_permissions_attachment_status(&st, own.c, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(st->is_attachment_allowed, 0);
	assert_true(st->revoked_date_ms == KSEF_TIME_UNSET);
	ksef_api_attachment_status_free(st);
	sql(&srv, "INSERT INTO attachment_permissions VALUES ('Nip', '" M "',"
	    " 1000, 4102444800000);");
	if (ksef_client_permissions_attachment_status(&st, own.c, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(st->is_attachment_allowed, 1);
	assert_true(st->revoked_date_ms == 4102444800000LL);
	ksef_api_attachment_status_free(st);
	logout(&own);
}

static void pages_follow_page_offset(void **state)
{
	ksef_client_permission_query q = KSEF_CLIENT_PERMISSION_QUERY_INIT;
	ksef_client_grant g;
	ksef_api_permission_list *l;
	struct login own;
	char pesel[16], desc[32];
	size_t seen = 0;
	int i;

	(void)state;
	xlogin_ok(&own, &srv, M, &other);
	for (i = 0; i < 12; i++) {
		snprintf(pesel, sizeof(pesel), "900101%05d", i);
		snprintf(desc, sizeof(desc), "Strona %02d", i);
		colleague_grant(&g, desc);
		g.subject_value = pesel;
		assert_int_equal(grant(own.c, &g), 200);
	}
	q.list = KSEF_PERMISSIONS_PERSONS;
	q.query_type = KSEF_PERM_QUERY_GRANTED_IN_CURRENT_CONTEXT;
	l = list(own.c, &q);
	assert_int_equal(ksef_api_permission_list_count(l), 10);
	assert_int_equal(ksef_api_permission_list_has_more(l), 1);
	seen += ksef_api_permission_list_count(l);
	ksef_api_permission_list_free(l);
	q.page_offset = 1;
	l = list(own.c, &q);
	assert_int_equal(ksef_api_permission_list_has_more(l), 0);
	seen += ksef_api_permission_list_count(l);
	ksef_api_permission_list_free(l);
	assert_true(seen >= 12);
	logout(&own);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_person_grant_works_until_it_is_revoked),
		cmocka_unit_test(refusals_come_back_as_error_answers),
		cmocka_unit_test(entities_authorizations_and_indirect_grants),
		cmocka_unit_test(subunit_administrators_and_roles),
		cmocka_unit_test(eu_administrators_and_representatives),
		cmocka_unit_test(the_attachment_consent_is_read),
		cmocka_unit_test(pages_follow_page_offset),
	};

	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	return cmocka_run_group_tests(tests, setup, teardown);
}
