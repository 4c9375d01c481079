/*
 * client_permissions_test.c - the permission calls of the API client
 * (client_permissions.c, client_permissions_query.c): every body a grant
 * or a query builds, held against the request schemas of
 * ksef-docs/open-api.json; what the builders refuse, with KSEF_EINVAL
 * naming the field; and the answers read from scripted servers
 * (ksef__client_script()), each answer first held against its response
 * schema, so that what is read is what the contract sends.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "ksef/client.h"
#include "ksef/client_permissions.h"
#include "client_permissions_int.h"
#include "contract.h"

#define FP "CEB3643BAC2C111ADDE971BDA5A80163441867D65389FC0BC0DFF8B4C1CD4E59"
#define OP_REF "20250625-EG-2C3E6C8000-B675CF5D68-07"
#define PERM_ID "0c9a72e8-f344-457f-9c16-7c640eb60242"

static int setup(void **state)
{
	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	return contract_load();
}

static int teardown(void **state)
{
	(void)state;
	contract_unload();
	return 0;
}

static void assert_matches(const json_t *body, const char *path)
{
	char why[512] = "";

	if (contract_check(body, contract_request_schema(path, "post"),
			   "body", why, sizeof(why)) != 0) {
		char *text = json_dumps(body, JSON_COMPACT);

		fail_msg("POST %s: %s\n%s", path, why, text);
	}
}

/* Build a grant's body, which must match the schema of its path. */
static json_t *grant_ok(const ksef_client_grant *g, const char *want_path)
{
	const char *path = NULL;
	json_t *body = NULL;
	ksef_error err;

	if (ksef__client_build_grant_body(&body, &path, g, &err) != 0)
		fail_msg("grant to %s: %s", want_path, err.message);
	assert_string_equal(path, want_path);
	assert_matches(body, path);
	return body;
}

/* A grant the builder must refuse; `expect` is in the message. */
static void grant_refused(const ksef_client_grant *g, const char *expect)
{
	const char *path = NULL;
	json_t *body = json_true();  /* replaced by the call */
	ksef_error err;

	assert_int_equal(ksef__client_build_grant_body(&body, &path, g, &err),
			 KSEF_EINVAL);
	assert_null(body);
	if (strstr(err.message, expect) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", expect, err.message);
}

static const char *member_text(const json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	return json_string_value(json_object_get(o, path));
}

/*
 * Grant bodies
 */

static void a_person_grant_matches_PersonPermissionsGrantRequest(void **state)
{
	ksef_client_grant g = KSEF_CLIENT_GRANT_INIT;
	json_t *body, *perms;

	(void)state;
	g.subject_type = KSEF_PERM_ID_PESEL;
	g.subject_value = "15062788702";
	g.permissions = KSEF_PERM_INVOICE_WRITE | KSEF_PERM_INVOICE_READ |
			KSEF_PERM_INTROSPECTION;
	g.description = "Wystawianie faktur za firmę";
	g.first_name = "Anna";
	g.last_name = "Nowak-Żółć";
	body = grant_ok(&g, "/permissions/persons/grants");
	perms = json_object_get(body, "permissions");
	assert_int_equal(json_array_size(perms), 3);
	assert_string_equal(json_string_value(json_array_get(perms, 0)),
			    "InvoiceRead");
	assert_string_equal(member_text(body, "subjectIdentifier.type"),
			    "Pesel");
	assert_string_equal(member_text(body,
		"subjectDetails.subjectDetailsType"), "PersonByIdentifier");
	assert_string_equal(member_text(body,
		"subjectDetails.personById.lastName"), "Nowak-Żółć");
	json_decref(body);

	/* All seven, to a NIP. */
	g.subject_type = KSEF_PERM_ID_NIP;
	g.subject_value = "7762811692";
	g.permissions = 0x7Fu;
	body = grant_ok(&g, "/permissions/persons/grants");
	assert_int_equal(json_array_size(json_object_get(body,
							 "permissions")), 7);
	json_decref(body);
}

static void fingerprint_grantees_carry_their_owners_details(void **state)
{
	ksef_client_grant g = KSEF_CLIENT_GRANT_INIT;
	json_t *body;

	(void)state;
	g.subject_type = KSEF_PERM_ID_FINGERPRINT;
	g.subject_value = FP;
	g.permissions = KSEF_PERM_INVOICE_READ;
	g.description = "Odczyt faktur";
	g.first_name = "Adam";
	g.last_name = "Abacki";
	g.person_id_type = KSEF_PERM_ID_PESEL;
	g.person_id_value = "15062788702";
	body = grant_ok(&g, "/permissions/persons/grants");
	assert_string_equal(member_text(body,
		"subjectDetails.subjectDetailsType"),
		"PersonByFingerprintWithIdentifier");
	assert_string_equal(member_text(body,
		"subjectDetails.personByFpWithId.identifier.value"),
		"15062788702");
	json_decref(body);

	g.person_id_type = KSEF_PERM_ID_NONE;
	g.person_id_value = NULL;
	g.birth_date = "1980-02-29";
	g.id_document_type = "paszport";
	g.id_document_number = "AB1234567";
	g.id_document_country = "DE";
	body = grant_ok(&g, "/permissions/persons/grants");
	assert_string_equal(member_text(body,
		"subjectDetails.personByFpNoId.idDocument.country"), "DE");
	assert_string_equal(member_text(body,
		"subjectDetails.subjectDetailsType"),
		"PersonByFingerprintWithoutIdentifier");
	json_decref(body);
}

static void entity_and_authorization_grants_match_their_schemas(
	void **state)
{
	ksef_client_grant g = KSEF_CLIENT_GRANT_INIT;
	json_t *body, *first, *second;

	(void)state;
	g.kind = KSEF_GRANT_ENTITY;
	g.subject_type = KSEF_PERM_ID_NIP;
	g.subject_value = "7762811692";
	g.permissions = KSEF_PERM_INVOICE_WRITE | KSEF_PERM_INVOICE_READ;
	g.can_delegate = KSEF_PERM_INVOICE_READ;
	g.description = "Biuro rachunkowe";
	g.full_name = "Firma sp. z o.o.";
	body = grant_ok(&g, "/permissions/entities/grants");
	first = json_array_get(json_object_get(body, "permissions"), 0);
	second = json_array_get(json_object_get(body, "permissions"), 1);
	assert_string_equal(member_text(first, "type"), "InvoiceRead");
	assert_true(json_is_true(json_object_get(first, "canDelegate")));
	assert_string_equal(member_text(second, "type"), "InvoiceWrite");
	assert_true(json_is_false(json_object_get(second, "canDelegate")));
	assert_string_equal(member_text(body, "subjectDetails.fullName"),
			    "Firma sp. z o.o.");
	json_decref(body);

	g.kind = KSEF_GRANT_AUTHORIZATION;
	g.can_delegate = 0;
	g.permissions = KSEF_PERM_SELF_INVOICING;
	body = grant_ok(&g, "/permissions/authorizations/grants");
	assert_string_equal(member_text(body, "permission"),
			    "SelfInvoicing");
	assert_null(json_object_get(body, "permissions"));
	json_decref(body);

	g.subject_type = KSEF_PERM_ID_PEPPOL_ID;
	g.subject_value = "PPL123456";
	g.permissions = KSEF_PERM_PEF_INVOICING;
	json_decref(grant_ok(&g, "/permissions/authorizations/grants"));
}

static void indirect_subunit_and_eu_grants_match_their_schemas(void **state)
{
	ksef_client_grant g = KSEF_CLIENT_GRANT_INIT;
	json_t *body;

	(void)state;
	/* Indirect: general (no target), AllPartners, and one client. */
	g.kind = KSEF_GRANT_INDIRECT;
	g.subject_type = KSEF_PERM_ID_PESEL;
	g.subject_value = "22271569167";
	g.permissions = KSEF_PERM_INVOICE_WRITE;
	g.description = "praca dla klienta";
	g.first_name = "Adam";
	g.last_name = "Abacki";
	body = grant_ok(&g, "/permissions/indirect/grants");
	assert_null(json_object_get(body, "targetIdentifier"));
	json_decref(body);
	g.target_type = KSEF_PERM_ID_ALL_PARTNERS;
	body = grant_ok(&g, "/permissions/indirect/grants");
	assert_string_equal(member_text(body, "targetIdentifier.type"),
			    "AllPartners");
	assert_null(json_object_get(json_object_get(body,
		"targetIdentifier"), "value"));
	json_decref(body);
	g.target_type = KSEF_PERM_ID_NIP;
	g.target_value = "5687926712";
	json_decref(grant_ok(&g, "/permissions/indirect/grants"));

	/* Subunit administrator of an internal unit, with its name. */
	g.kind = KSEF_GRANT_SUBUNIT;
	g.permissions = 0;
	g.target_type = KSEF_PERM_ID_INTERNAL_ID;
	g.target_value = "7762811692-12345";
	g.subunit_name = "Jednostka 014";
	body = grant_ok(&g, "/permissions/subunits/grants");
	assert_string_equal(member_text(body, "contextIdentifier.type"),
			    "InternalId");
	assert_null(json_object_get(body, "permissions"));
	json_decref(body);

	/* EU administrator, the grantee an entity by fingerprint. */
	g.kind = KSEF_GRANT_EU_ADMINISTRATION;
	g.subject_type = KSEF_PERM_ID_FINGERPRINT;
	g.subject_value = FP;
	g.first_name = g.last_name = NULL;
	g.subunit_name = NULL;
	g.target_type = KSEF_PERM_ID_NIP_VAT_UE;
	g.target_value = "7762811692-DE123456789";
	g.full_name = "Firma G.m.b.H.";
	g.address = "Berlin, Unter den Linden 1";
	g.eu_entity_name = "Firma G.m.b.H.";
	g.eu_entity_full_name = "Firma G.m.b.H.";
	g.eu_entity_address = "Berlin, Unter den Linden 1";
	body = grant_ok(&g, "/permissions/eu-entities/administration/grants");
	assert_string_equal(member_text(body,
		"subjectDetails.subjectDetailsType"), "EntityByFingerprint");
	assert_string_equal(member_text(body, "euEntityDetails.address"),
			    "Berlin, Unter den Linden 1");
	json_decref(body);

	/* EU representative, a person with a PESEL. */
	g.kind = KSEF_GRANT_EU_REPRESENTATIVE;
	g.target_type = KSEF_PERM_ID_NONE;
	g.target_value = NULL;
	g.eu_entity_name = g.eu_entity_full_name = g.eu_entity_address = NULL;
	g.full_name = g.address = NULL;
	g.permissions = KSEF_PERM_INVOICE_READ | KSEF_PERM_INVOICE_WRITE;
	g.first_name = "Adam";
	g.last_name = "Abacki";
	g.person_id_type = KSEF_PERM_ID_PESEL;
	g.person_id_value = "15062788702";
	json_decref(grant_ok(&g, "/permissions/eu-entities/grants"));
}

/*
 * What the grant builder refuses
 */

static void grants_the_contract_forbids_are_refused_naming_the_field(
	void **state)
{
	ksef_client_grant ok = KSEF_CLIENT_GRANT_INIT, g;
	char long_text[300];

	(void)state;
	ok.subject_type = KSEF_PERM_ID_PESEL;
	ok.subject_value = "15062788702";
	ok.permissions = KSEF_PERM_INVOICE_WRITE;
	ok.description = "Wystawianie faktur";
	ok.first_name = "Anna";
	ok.last_name = "Nowak";
	json_decref(grant_ok(&ok, "/permissions/persons/grants"));

	g = ok;
	g.subject_value = "1506278870";       /* ten digits */
	grant_refused(&g, "subjectIdentifier");
	g = ok;
	g.subject_type = KSEF_PERM_ID_PEPPOL_ID;
	g.subject_value = "PPL123456";
	grant_refused(&g, "subjectIdentifier");
	g = ok;
	g.subject_type = KSEF_PERM_ID_FINGERPRINT;
	g.subject_value = FP "0";
	grant_refused(&g, "subjectIdentifier");
	g = ok;
	g.description = "abcd";
	grant_refused(&g, "description must be 5 to 256");
	memset(long_text, 'x', 257);
	long_text[257] = '\0';
	g.description = long_text;
	grant_refused(&g, "description");
	g = ok;
	g.description = "\xff\xfe\xfd\xfc\xfb\xfa";
	grant_refused(&g, "UTF-8");
	g = ok;
	g.permissions = 0;
	grant_refused(&g, "non-empty");
	g.permissions = KSEF_PERM_VAT_UE_MANAGE;   /* not a person's */
	grant_refused(&g, "permissions");
	g.permissions = 1u << 12;                   /* no such bit */
	grant_refused(&g, "permissions");
	g = ok;
	g.can_delegate = KSEF_PERM_INVOICE_WRITE;   /* entities only */
	grant_refused(&g, "can_delegate");
	g = ok;
	g.target_type = KSEF_PERM_ID_NIP;
	g.target_value = "5687926712";
	grant_refused(&g, "target");
	g = ok;
	g.first_name = "A";
	grant_refused(&g, "firstName");
	g = ok;
	g.last_name = NULL;
	grant_refused(&g, "lastName is required");
	g = ok;
	g.kind = (ksef_grant_kind)7;
	grant_refused(&g, "unknown grant kind");
	g = ok;
	g.details_type = KSEF_SUBJECT_PERSON_BY_FINGERPRINT_WITH_ID;
	grant_refused(&g, "does not fit");

	/* Entities: one NIP, InvoiceWrite and InvoiceRead, a name. */
	g = ok;
	g.kind = KSEF_GRANT_ENTITY;
	grant_refused(&g, "first_name is not used");
	g.first_name = g.last_name = NULL;
	g.subject_type = KSEF_PERM_ID_NIP;
	g.subject_value = "7762811692";
	g.full_name = "Firm";                       /* 4 of 5 */
	grant_refused(&g, "fullName");
	g.full_name = "Firma sp. z o.o.";
	g.permissions = KSEF_PERM_CREDENTIALS_MANAGE;
	grant_refused(&g, "permissions");
	g.permissions = KSEF_PERM_INVOICE_READ;
	g.can_delegate = KSEF_PERM_INVOICE_WRITE;
	grant_refused(&g, "can_delegate");

	/* Authorizations: exactly one of four. */
	g.kind = KSEF_GRANT_AUTHORIZATION;
	g.can_delegate = 0;
	g.permissions = KSEF_PERM_SELF_INVOICING | KSEF_PERM_RR_INVOICING;
	grant_refused(&g, "exactly one");

	/* A subunit needs its unit, and an internal one its name. */
	g = ok;
	g.kind = KSEF_GRANT_SUBUNIT;
	g.permissions = 0;
	grant_refused(&g, "contextIdentifier: is required");
	g.target_type = KSEF_PERM_ID_INTERNAL_ID;
	g.target_value = "7762811692-12345";
	grant_refused(&g, "subunitName is required");
	g.permissions = KSEF_PERM_CREDENTIALS_MANAGE;
	g.subunit_name = "Jednostka 014";
	grant_refused(&g, "fixed set");
	g.permissions = 0;
	g.target_type = KSEF_PERM_ID_NIP_VAT_UE;
	g.target_value = "7762811692-DE123456789";
	grant_refused(&g, "contextIdentifier");

	/* An EU administrator's grantee is a fingerprint; a fingerprint
	 * with no owner's details cannot be described. */
	g = ok;
	g.kind = KSEF_GRANT_EU_REPRESENTATIVE;
	grant_refused(&g, "subjectIdentifier");
	g.subject_type = KSEF_PERM_ID_FINGERPRINT;
	g.subject_value = FP;
	grant_refused(&g, "subjectDetails");
	g.birth_date = "1980-13-01";
	g.id_document_type = "paszport";
	g.id_document_number = "AB1234567";
	g.id_document_country = "DE";
	grant_refused(&g, "birth_date");
	g.birth_date = "1980-12-01";
	g.id_document_country = "de";
	grant_refused(&g, "id_document_country");

	/* A version this library does not know. */
	g = ok;
	g.version = 2;
	grant_refused(&g, "version 2 is not supported");
	g.version = 0;
	grant_refused(&g, "version 0");
}

/*
 * Query bodies
 */

/* Build a query, which must match its list's schema; *path_out (may be
 * NULL) receives its path and query. */
static json_t *query_ok(const ksef_client_permission_query *q,
			const char *want_path, char *path_out, size_t size)
{
	ksef_buf path = KSEF_BUF_INIT;
	json_t *body = NULL;
	ksef_error err;
	size_t n;

	if (ksef__client_build_permission_query(&body, &path, q, &err) != 0)
		fail_msg("%s: %s", want_path, err.message);
	n = strcspn((const char *)path.ptr, "?");
	if (strlen(want_path) != n ||
	    memcmp(path.ptr, want_path, n) != 0)
		fail_msg("path %s, not %s", (const char *)path.ptr, want_path);
	assert_matches(body, want_path);
	if (path_out != NULL)
		snprintf(path_out, size, "%s", (const char *)path.ptr);
	ksef_buf_dispose(&path);
	return body;
}

static void query_refused(const ksef_client_permission_query *q,
			  const char *expect)
{
	ksef_buf path = KSEF_BUF_INIT;
	json_t *body = json_true();  /* replaced by the call */
	ksef_error err;

	assert_int_equal(ksef__client_build_permission_query(&body, &path, q,
							     &err),
			 KSEF_EINVAL);
	assert_null(body);
	ksef_buf_dispose(&path);
	if (strstr(err.message, expect) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", expect, err.message);
}

static void every_list_query_matches_its_request_schema(void **state)
{
	ksef_client_permission_query q = KSEF_CLIENT_PERMISSION_QUERY_INIT;
	char path[256];
	json_t *body;

	(void)state;
	/* The personal list with no filter at all: {} and no query. */
	body = query_ok(&q, "/permissions/query/personal/grants", path,
			sizeof(path));
	assert_int_equal(json_object_size(body), 0);
	assert_string_equal(path, "/permissions/query/personal/grants");
	json_decref(body);

	q.context_type = KSEF_PERM_ID_NIP;
	q.context_value = "3568707925";
	q.target_type = KSEF_PERM_ID_ALL_PARTNERS;
	q.permission_types = KSEF_PERM_INVOICE_WRITE | KSEF_PERM_VAT_UE_MANAGE;
	q.state = KSEF_PERM_STATE_ACTIVE;
	q.page_size = 25;
	q.page_offset = 2;
	body = query_ok(&q, "/permissions/query/personal/grants", path,
			sizeof(path));
	assert_string_equal(path, "/permissions/query/personal/grants"
			    "?pageOffset=2&pageSize=25");
	assert_string_equal(member_text(body, "permissionState"), "Active");
	json_decref(body);

	q = (ksef_client_permission_query)KSEF_CLIENT_PERMISSION_QUERY_INIT;
	q.list = KSEF_PERMISSIONS_PERSONS;
	body = query_ok(&q, "/permissions/query/persons/grants", NULL, 0);
	assert_string_equal(member_text(body, "queryType"),
			    "PermissionsInCurrentContext");
	json_decref(body);
	q.query_type = KSEF_PERM_QUERY_GRANTED_IN_CURRENT_CONTEXT;
	q.author_type = KSEF_PERM_ID_SYSTEM;
	q.authorized_type = KSEF_PERM_ID_FINGERPRINT;
	q.authorized_value = FP;
	q.target_type = KSEF_PERM_ID_INTERNAL_ID;
	q.target_value = "7762811692-12345";
	q.permission_types = 0x7Fu;
	q.state = KSEF_PERM_STATE_INACTIVE;
	body = query_ok(&q, "/permissions/query/persons/grants", NULL, 0);
	assert_string_equal(member_text(body, "authorIdentifier.type"),
			    "System");
	json_decref(body);

	q = (ksef_client_permission_query)KSEF_CLIENT_PERMISSION_QUERY_INIT;
	q.list = KSEF_PERMISSIONS_SUBUNITS;
	q.subunit_type = KSEF_PERM_ID_INTERNAL_ID;
	q.subunit_value = "7762811692-12345";
	json_decref(query_ok(&q, "/permissions/query/subunits/grants", NULL,
			     0));

	q = (ksef_client_permission_query)KSEF_CLIENT_PERMISSION_QUERY_INIT;
	q.list = KSEF_PERMISSIONS_ENTITIES;
	q.context_type = KSEF_PERM_ID_NIP;
	q.context_value = "3568707925";
	json_decref(query_ok(&q, "/permissions/query/entities/grants", NULL,
			     0));

	q = (ksef_client_permission_query)KSEF_CLIENT_PERMISSION_QUERY_INIT;
	q.list = KSEF_PERMISSIONS_AUTHORIZATIONS;
	q.query_type = KSEF_PERM_QUERY_RECEIVED;
	q.authorizing_type = KSEF_PERM_ID_NIP;
	q.authorizing_value = "7762811692";
	q.authorized_type = KSEF_PERM_ID_PEPPOL_ID;
	q.authorized_value = "PPL123456";
	q.permission_types = KSEF_PERM_SELF_INVOICING |
			     KSEF_PERM_PEF_INVOICING;
	body = query_ok(&q, "/permissions/query/authorizations/grants", NULL,
			0);
	assert_string_equal(member_text(body, "queryType"), "Received");
	json_decref(body);

	q = (ksef_client_permission_query)KSEF_CLIENT_PERMISSION_QUERY_INIT;
	q.list = KSEF_PERMISSIONS_EU_ENTITIES;
	q.vat_ue_identifier = "DE123456789";
	q.authorized_fingerprint = "CEB3643B";
	q.permission_types = KSEF_PERM_VAT_UE_MANAGE |
			     KSEF_PERM_INTROSPECTION;
	json_decref(query_ok(&q, "/permissions/query/eu-entities/grants",
			     NULL, 0));
}

static void subordinate_roles_body_matches_its_schema(void **state)
{
	json_t *body = NULL;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef__client_build_subordinate_roles_body(&body,
		NULL, &err), 0);
	assert_matches(body, "/permissions/query/subordinate-entities/roles");
	assert_int_equal(json_object_size(body), 0);
	json_decref(body);
	assert_int_equal(ksef__client_build_subordinate_roles_body(&body,
		"7762811692", &err), 0);
	assert_matches(body, "/permissions/query/subordinate-entities/roles");
	json_decref(body);
	assert_int_equal(ksef__client_build_subordinate_roles_body(&body,
		"776281169", &err), KSEF_EINVAL);
	assert_null(body);
}

static void queries_the_contract_forbids_are_refused(void **state)
{
	ksef_client_permission_query q = KSEF_CLIENT_PERMISSION_QUERY_INIT;

	(void)state;
	q.page_size = 9;
	query_refused(&q, "page size");
	q.page_size = 101;
	query_refused(&q, "page size");
	q.page_size = 100;
	q.page_offset = -1;
	query_refused(&q, "page offset");
	q.page_offset = 0;
	q.vat_ue_identifier = "DE123456789";   /* the EU list's */
	query_refused(&q, "vatUeIdentifier is not a filter");
	q.vat_ue_identifier = NULL;
	q.query_type = KSEF_PERM_QUERY_GRANTED;
	query_refused(&q, "queryType is not a filter");
	q.query_type = KSEF_PERM_QUERY_DEFAULT;
	q.context_type = KSEF_PERM_ID_PESEL;
	q.context_value = "15062788702";
	query_refused(&q, "contextIdentifier");
	q.context_type = KSEF_PERM_ID_NONE;
	query_refused(&q, "contextIdentifier has a value but no type");
	q.context_value = NULL;
	q.list = KSEF_PERMISSIONS_PERSONS;
	q.query_type = KSEF_PERM_QUERY_RECEIVED;
	query_refused(&q, "queryType");
	q.query_type = KSEF_PERM_QUERY_DEFAULT;
	q.permission_types = KSEF_PERM_SELF_INVOICING;
	query_refused(&q, "permissionTypes");
	q.permission_types = 0;
	q.state = (ksef_permission_state)3;
	query_refused(&q, "permission state");
	q.state = KSEF_PERM_STATE_ANY;
	q.author_type = KSEF_PERM_ID_SYSTEM;
	q.author_value = "1234567890";
	query_refused(&q, "System has no value");
	q = (ksef_client_permission_query)KSEF_CLIENT_PERMISSION_QUERY_INIT;
	q.list = KSEF_PERMISSIONS_EU_ENTITIES;
	q.vat_ue_identifier = "de123";
	query_refused(&q, "vatUeIdentifier");
	q.vat_ue_identifier = NULL;
	q.authorized_fingerprint = "XYZ";
	query_refused(&q, "authorizedFingerprintIdentifier");
	q.list = (ksef_permission_list_kind)6;
	query_refused(&q, "unknown permission list");
}

static void permission_names_and_bits_round_trip(void **state)
{
	unsigned b;
	int n = 0;

	(void)state;
	for (b = 1; ksef_permission_name(b) != NULL; b <<= 1, n++)
		assert_int_equal(ksef_permission_bit(ksef_permission_name(b)),
				 b);
	assert_int_equal(n, 12);
	assert_string_equal(ksef_permission_name(KSEF_PERM_INVOICE_WRITE),
			    "InvoiceWrite");
	assert_int_equal(KSEF_PERM_INVOICE_WRITE,
			 KSEF_TOKEN_PERM_INVOICE_WRITE);
	assert_int_equal(KSEF_PERM_INTROSPECTION,
			 KSEF_TOKEN_PERM_INTROSPECTION);
	assert_null(ksef_permission_name(3));
	assert_null(ksef_permission_name(0));
	assert_int_equal(ksef_permission_bit("invoicewrite"), 0);
	assert_int_equal(ksef_permission_bit(NULL), 0);
}

/*
 * Answers
 */

static ksef_client *client(void)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;

	o.base_url = "http://127.0.0.1:1/v2";
	o.max_retries = 0;
	o.max_rate_limit_waits = 0;
	o.max_retry_after_s = 0;
	assert_int_equal(ksef_client_new(&c, &o, NULL), 0);
	assert_int_equal(ksef_client_set_access_token(c, "a.b.c", NULL), 0);
	return c;
}

/* A 200 (or status) answer with body, the body first held against the
 * response schema of (method, path, status). */
static void script(ksef_client *c, char *buf, size_t size, int status,
		   const char *method, const char *path, const char *body)
{
	const json_t *schema = contract_response_schema(path, method, status,
							"application/json");
	json_t *j = json_loads(body, 0, NULL);
	char why[512];

	assert_non_null(schema);
	assert_non_null(j);
	if (contract_check(j, schema, "answer", why, sizeof(why)) != 0)
		fail_msg("the test's answer breaks the contract: %s", why);
	json_decref(j);
	snprintf(buf, size, "HTTP/1.1 %d X\r\nContent-Type: application/json"
		 "\r\n\r\n%s", status, body);
	ksef__client_script(c, (const unsigned char *)buf, strlen(buf));
}

static void grant_and_revoke_hand_out_the_operations_number(void **state)
{
	ksef_client_grant g = KSEF_CLIENT_GRANT_INIT;
	ksef_client *c = client();
	char buf[512], ref[KSEF_REFNUM_BUFSZ];
	ksef_error err;

	(void)state;
	g.subject_type = KSEF_PERM_ID_NIP;
	g.subject_value = "7762811692";
	g.permissions = KSEF_PERM_INVOICE_WRITE;
	g.description = "Wystawianie faktur";
	g.first_name = "Jan";
	g.last_name = "Kowalski";
	script(c, buf, sizeof(buf), 202, "post",
	       "/permissions/persons/grants",
	       "{\"referenceNumber\":\"" OP_REF "\"}");
	if (ksef_client_permissions_grant(ref, c, &g, &err) != 0)
		fail_msg("%s", err.message);
	assert_string_equal(ref, OP_REF);

	script(c, buf, sizeof(buf), 202, "delete",
	       "/permissions/common/grants/{permissionId}",
	       "{\"referenceNumber\":\"" OP_REF "\"}");
	memset(ref, 0, sizeof(ref));
	assert_int_equal(ksef_client_permissions_revoke(ref, c, PERM_ID, 0,
							&err), 0);
	assert_string_equal(ref, OP_REF);

	/* A bad id goes nowhere; nor does a grant without a token. */
	strcpy(ref, "unchanged");
	assert_int_equal(ksef_client_permissions_revoke(ref, c, "../x", 1,
							&err), KSEF_EINVAL);
	assert_string_equal(ref, "unchanged");
	/* An answer whose number is not one. */
	snprintf(buf, sizeof(buf), "HTTP/1.1 202 Accepted\r\n\r\n"
		 "{\"referenceNumber\":\"not-a-reference\"}");
	ksef__client_script(c, (const unsigned char *)buf, strlen(buf));
	assert_int_equal(ksef_client_permissions_revoke(ref, c, PERM_ID, 1,
							&err), KSEF_EPARSE);
	assert_string_equal(ref, "unchanged");
	assert_int_equal(ksef_client_set_access_token(c, NULL, NULL), 0);
	assert_int_equal(ksef_client_permissions_grant(ref, c, &g, &err),
			 KSEF_EINVAL);
	ksef_client_free(c);
}

static void operation_and_attachment_status_are_read(void **state)
{
	ksef_api_permission_operation *op = NULL;
	ksef_api_attachment_status *st = NULL;
	ksef_client *c = client();
	char buf[512];
	ksef_error err;

	(void)state;
	script(c, buf, sizeof(buf), 200, "get",
	       "/permissions/operations/{referenceNumber}",
	       "{\"status\":{\"code\":430,\"description\":\"Kontekst "
	       "identyfikatora nie odpowiada wymaganej roli\",\"details\":"
	       "[\"Operacja jest dostępna w kontekście typu Nip\"]}}");
	if (ksef_client_permissions_operation(&op, c, OP_REF, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(op->status->code, 430);
	assert_int_equal(op->status->detail_count, 1);
	ksef_api_permission_operation_free(op);

	script(c, buf, sizeof(buf), 200, "get",
	       "/permissions/attachments/status",
	       "{\"isAttachmentAllowed\":true,\"revokedDate\":"
	       "\"2026-01-01T00:00:00+01:00\"}");
	assert_int_equal(ksef_client_permissions_attachment_status(&st, c,
								   &err), 0);
	assert_int_equal(st->is_attachment_allowed, 1);
	assert_true(st->revoked_date_ms == 1767222000000LL);
	ksef_api_attachment_status_free(st);
	script(c, buf, sizeof(buf), 200, "get",
	       "/permissions/attachments/status", "{}");
	assert_int_equal(ksef_client_permissions_attachment_status(&st, c,
								   &err), 0);
	assert_int_equal(st->is_attachment_allowed, -1);
	assert_true(st->revoked_date_ms == KSEF_TIME_UNSET);
	ksef_api_attachment_status_free(st);
	ksef_client_free(c);
}

static void every_member_of_a_list_item_is_read(void **state)
{
	static const char persons[] =
		"{\"permissions\":[{\"id\":\"" PERM_ID "\","
		"\"authorizedIdentifier\":{\"type\":\"Fingerprint\","
		"\"value\":\"" FP "\"},"
		"\"targetIdentifier\":{\"type\":\"AllPartners\"},"
		"\"authorIdentifier\":{\"type\":\"System\"},"
		"\"permissionScope\":\"InvoiceWrite\","
		"\"description\":\"Wystawianie faktur\","
		"\"subjectPersonDetails\":{\"subjectDetailsType\":"
		"\"PersonByFingerprintWithoutIdentifier\",\"firstName\":"
		"\"Adam\",\"lastName\":\"Abacki\",\"birthDate\":\"1980-01-02\","
		"\"idDocument\":{\"type\":\"paszport\",\"number\":\"AB1\","
		"\"country\":\"DE\"}},"
		"\"permissionState\":\"Inactive\","
		"\"startDate\":\"2025-06-26T10:00:00+02:00\","
		"\"canDelegate\":false}],\"hasMore\":true}";
	static const char authz[] =
		"{\"authorizationGrants\":[{\"id\":\"" PERM_ID "\","
		"\"authorizedEntityIdentifier\":{\"type\":\"Nip\","
		"\"value\":\"7762811692\"},\"authorizingEntityIdentifier\":"
		"{\"type\":\"Nip\",\"value\":\"5265877635\"},"
		"\"authorizationScope\":\"SelfInvoicing\","
		"\"description\":\"Samofakturowanie\",\"subjectEntityDetails\":"
		"{\"subjectDetailsType\":\"EntityByIdentifier\",\"fullName\":"
		"\"Firma sp. z o.o.\"},"
		"\"startDate\":\"2025-06-26T10:00:00+02:00\"}],"
		"\"hasMore\":false}";
	static const char eu[] =
		"{\"permissions\":[{\"id\":\"" PERM_ID "\","
		"\"authorIdentifier\":{\"type\":\"Pesel\",\"value\":"
		"\"15062788702\"},\"vatUeIdentifier\":\"DE123456789\","
		"\"euEntityName\":\"Firma G.m.b.H.\","
		"\"authorizedFingerprintIdentifier\":\"" FP "\","
		"\"permissionScope\":\"VatUeManage\",\"description\":"
		"\"Administrator\",\"euEntityDetails\":{\"fullName\":"
		"\"Firma G.m.b.H.\",\"address\":\"Berlin\"},"
		"\"startDate\":\"2025-06-26T10:00:00+02:00\"}],"
		"\"hasMore\":false}";
	ksef_client_permission_query q = KSEF_CLIENT_PERMISSION_QUERY_INIT;
	ksef_api_permission_list *l = NULL;
	const ksef_api_permission *p;
	ksef_client *c = client();
	char buf[2048];
	ksef_error err;

	(void)state;
	q.list = KSEF_PERMISSIONS_PERSONS;
	script(c, buf, sizeof(buf), 200, "post",
	       "/permissions/query/persons/grants", persons);
	if (ksef_client_permissions_query(&l, c, &q, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(ksef_api_permission_list_count(l), 1);
	assert_int_equal(ksef_api_permission_list_has_more(l), 1);
	p = ksef_api_permission_list_at(l, 0);
	assert_string_equal(p->id, PERM_ID);
	assert_string_equal(p->scope, "InvoiceWrite");
	assert_int_equal(p->scope_bit, KSEF_PERM_INVOICE_WRITE);
	assert_string_equal(p->authorized->type, "Fingerprint");
	assert_string_equal(p->target->type, "AllPartners");
	assert_null(p->target->value);
	assert_string_equal(p->author->type, "System");
	assert_null(p->context);
	assert_string_equal(p->permission_state, "Inactive");
	assert_int_equal(p->can_delegate, 0);
	assert_string_equal(p->person_details->birth_date, "1980-01-02");
	assert_string_equal(p->person_details->id_document_country, "DE");
	assert_null(p->person_details->person_identifier);
	assert_null(p->entity_details);
	assert_true(p->start_date_ms == 1750924800000LL);
	assert_null(ksef_api_permission_list_at(l, 1));
	ksef_api_permission_list_free(l);

	q.list = KSEF_PERMISSIONS_AUTHORIZATIONS;
	script(c, buf, sizeof(buf), 200, "post",
	       "/permissions/query/authorizations/grants", authz);
	if (ksef_client_permissions_query(&l, c, &q, &err) != 0)
		fail_msg("%s", err.message);
	p = ksef_api_permission_list_at(l, 0);
	assert_string_equal(p->scope, "SelfInvoicing");
	assert_string_equal(p->authorized->value, "7762811692");
	assert_string_equal(p->authorizing->value, "5265877635");
	assert_string_equal(p->entity_details->full_name, "Firma sp. z o.o.");
	assert_int_equal(p->can_delegate, -1);
	assert_int_equal(ksef_api_permission_list_has_more(l), 0);
	ksef_api_permission_list_free(l);

	q.list = KSEF_PERMISSIONS_EU_ENTITIES;
	script(c, buf, sizeof(buf), 200, "post",
	       "/permissions/query/eu-entities/grants", eu);
	if (ksef_client_permissions_query(&l, c, &q, &err) != 0)
		fail_msg("%s", err.message);
	p = ksef_api_permission_list_at(l, 0);
	assert_string_equal(p->vat_ue_identifier, "DE123456789");
	assert_string_equal(p->authorized_fingerprint, FP);
	assert_string_equal(p->eu_entity_details->address, "Berlin");
	assert_null(p->eu_entity_details->subject_details_type);
	assert_int_equal(p->scope_bit, KSEF_PERM_VAT_UE_MANAGE);
	ksef_api_permission_list_free(l);
	ksef_client_free(c);
}

static void roles_are_read_with_their_entities(void **state)
{
	ksef_api_entity_role_list *l = NULL;
	const ksef_api_entity_role *r;
	ksef_client *c = client();
	char buf[1024];
	ksef_error err;

	(void)state;
	script(c, buf, sizeof(buf), 200, "get",
	       "/permissions/query/entities/roles",
	       "{\"roles\":[{\"parentEntityIdentifier\":{\"type\":\"Nip\","
	       "\"value\":\"7762811692\"},\"role\":\"VatGroupSubUnit\","
	       "\"description\":\"Członek grupy VAT\",\"startDate\":"
	       "\"2025-06-26T10:00:00+02:00\"}],\"hasMore\":false}");
	if (ksef_client_permissions_entity_roles(&l, c, 10, 0, &err) != 0)
		fail_msg("%s", err.message);
	r = ksef_api_entity_role_list_at(l, 0);
	assert_string_equal(r->role, "VatGroupSubUnit");
	assert_string_equal(r->parent_entity->value, "7762811692");
	assert_null(r->subordinate_entity);
	ksef_api_entity_role_list_free(l);

	script(c, buf, sizeof(buf), 200, "post",
	       "/permissions/query/subordinate-entities/roles",
	       "{\"roles\":[{\"subordinateEntityIdentifier\":{\"type\":"
	       "\"Nip\",\"value\":\"7762811692\"},\"role\":"
	       "\"LocalGovernmentSubUnit\",\"description\":\"Podrzędna JST\","
	       "\"startDate\":\"2025-06-26T10:00:00+02:00\"}],"
	       "\"hasMore\":true}");
	if (ksef_client_permissions_subordinate_roles(&l, c, "7762811692", 0,
						      3, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(ksef_api_entity_role_list_has_more(l), 1);
	r = ksef_api_entity_role_list_at(l, 0);
	assert_string_equal(r->subordinate_entity->value, "7762811692");
	ksef_api_entity_role_list_free(l);
	assert_int_equal(ksef_client_permissions_entity_roles(&l, c, 5, 0,
							      &err),
			 KSEF_EINVAL);
	assert_null(l);
	ksef_client_free(c);
}

static void answers_that_break_the_contract_are_refused(void **state)
{
	static const char *const bad[] = {
		/* no hasMore */
		"{\"permissions\":[]}",
		/* an item without its id */
		"{\"permissions\":[{\"permissionScope\":\"InvoiceRead\","
		"\"description\":\"abcde\",\"startDate\":"
		"\"2025-06-26T10:00:00+02:00\"}],\"hasMore\":false}",
		/* an item without a scope */
		"{\"permissions\":[{\"id\":\"" PERM_ID "\",\"description\":"
		"\"abcde\",\"startDate\":\"2025-06-26T10:00:00+02:00\"}],"
		"\"hasMore\":false}",
		/* an identifier that is not an object */
		"{\"permissions\":[{\"id\":\"" PERM_ID "\",\"permissionScope\":"
		"\"InvoiceRead\",\"description\":\"abcde\",\"startDate\":"
		"\"2025-06-26T10:00:00+02:00\",\"contextIdentifier\":\"x\"}],"
		"\"hasMore\":false}",
		/* hasMore of the wrong type */
		"{\"permissions\":[],\"hasMore\":\"no\"}",
		/* the items not an array */
		"{\"permissions\":{},\"hasMore\":false}",
	};
	ksef_client_permission_query q = KSEF_CLIENT_PERMISSION_QUERY_INIT;
	ksef_api_permission_list *l = NULL;
	ksef_client *c = client();
	char buf[1024];
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n\r\n%s",
			 bad[i]);
		ksef__client_script(c, (const unsigned char *)buf,
				    strlen(buf));
		if (ksef_client_permissions_query(&l, c, &q, &err) !=
		    KSEF_EPARSE)
			fail_msg("answer %zu was accepted", i);
		assert_null(l);
	}
	ksef_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			a_person_grant_matches_PersonPermissionsGrantRequest),
		cmocka_unit_test(
			fingerprint_grantees_carry_their_owners_details),
		cmocka_unit_test(
			entity_and_authorization_grants_match_their_schemas),
		cmocka_unit_test(
			indirect_subunit_and_eu_grants_match_their_schemas),
		cmocka_unit_test(
		grants_the_contract_forbids_are_refused_naming_the_field),
		cmocka_unit_test(every_list_query_matches_its_request_schema),
		cmocka_unit_test(subordinate_roles_body_matches_its_schema),
		cmocka_unit_test(queries_the_contract_forbids_are_refused),
		cmocka_unit_test(permission_names_and_bits_round_trip),
		cmocka_unit_test(
			grant_and_revoke_hand_out_the_operations_number),
		cmocka_unit_test(operation_and_attachment_status_are_read),
		cmocka_unit_test(every_member_of_a_list_item_is_read),
		cmocka_unit_test(roles_are_read_with_their_entities),
		cmocka_unit_test(answers_that_break_the_contract_are_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
