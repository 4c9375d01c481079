/*
 * ksefd_permissions_query_test.c - the permission queries, the roles of
 * entities and what they allow, EU entities and the attachment consent,
 * against the real ksefd: the details of a grantee come back in the item
 * schemas of open-api.json; a VAT group's members are listed and may get
 * administrators; a bailiff's context may grant EnforcementOperations; an
 * EU entity's administrator logs in to the composite context and appoints
 * representatives; entity permissions are listed as granted and as
 * received; the attachment consent is read from the store. Roles and the
 * consent are what the test data sets, written here into the store.
 */
#include "testsupport.h"
#include "permissions_e2e.h"

#define A "5265877635"          /* a VAT group, the owner's context */
#define M "7010012385"          /* a member of the group */
#define K "1234563218"          /* a court bailiff */
#define VATUE A "-DE123456789"  /* A with an EU entity */

static struct ksefd_proc srv;
static struct who owner, member;

static int setup(void **state)
{
	static const char *const extra[] = { "--processing-delay", "0", NULL };

	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	ksefd_start(&srv, NULL, extra);
	who_make(&owner, WHO_SEAL, A);
	who_make(&member, WHO_SEAL, M);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	who_free(&owner);
	who_free(&member);
	ksefd_stop(&srv);
	ksefd_cleanup(&srv);
	contract_unload();
	return 0;
}

static long status_of(const char *method, const char *path,
		      const char *bearer, const char *body)
{
	struct raw_response r;
	long s;

	if (body != NULL)
		call(&r, &srv, method, path, bearer, "%s", body);
	else
		call(&r, &srv, method, path, bearer, NULL);
	s = r.status;
	raw_free(&r);
	return s;
}

static json_t *member_of(json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

/* The checker every answer goes through finds what the contract lacks. */
static void the_contract_checker_finds_what_breaks_a_schema(void **state)
{
	static const char *const broken[] = {
		/* a member the schema does not have */
		"{\"permissions\":[],\"hasMore\":false,\"extra\":1}",
		/* a required member missing */
		"{\"permissions\":[]}",
		/* a wrong type */
		"{\"permissions\":[],\"hasMore\":\"no\"}",
		/* an item without its required members */
		"{\"permissions\":[{\"id\":\"x\"}],\"hasMore\":false}",
		/* a value out of its enum */
		"{\"permissions\":[{\"id\":\"0c9a72e8-f344-457f-9c16-"
		"7c640eb60242\",\"permissionScope\":\"Owner\","
		"\"description\":\"Opis uprawnienia\",\"permissionState\":"
		"\"Active\",\"startDate\":\"2025-06-22T10:41:11+00:00\","
		"\"canDelegate\":false}],\"hasMore\":false}",
	};
	const json_t *s = schema_named("QueryPersonalPermissionsResponse");
	json_t *v;
	size_t i;

	(void)state;
	assert_non_null(s);
	v = json_loads("{\"permissions\":[],\"hasMore\":false}", 0, NULL);
	assert_int_equal(check(v, s, "ok"), 0);
	json_decref(v);
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		v = json_loads(broken[i], 0, NULL);
		assert_non_null(v);
		assert_int_not_equal(check(v, s, "broken"), 0);
		json_decref(v);
	}
}

static void grantee_details_come_back_in_the_item_schemas(void **state)
{
	struct login own;
	json_t *list, *e;
	char body[1024];
	struct who f;

	(void)state;
	who_make(&f, WHO_FINGERPRINT, "PERSON-1");
	xlogin_ok(&own, &srv, A, &owner);
	/* A person without NIP or PESEL, known by its certificate. */
	snprintf(body, sizeof(body), "{\"subjectIdentifier\":{\"type\":"
		 "\"Fingerprint\",\"value\":\"%s\"},\"permissions\":["
		 "\"InvoiceWrite\"],\"description\":\"Pracownik z zagranicy\","
		 "\"subjectDetails\":{\"subjectDetailsType\":"
		 "\"PersonByFingerprintWithoutIdentifier\",\"personByFpNoId\":{"
		 "\"firstName\":\"Hans\",\"lastName\":\"Müller\",\"birthDate\":"
		 "\"1980-02-29\",\"idDocument\":{\"type\":\"Paszport\","
		 "\"number\":\"C01X00T47\",\"country\":\"DE\"}}}}", f.fp);
	assert_int_equal(operation(&srv, "POST", "/permissions/persons/grants",
				   token_of(&own), body), 200);
	list = query(&srv, "POST", "/permissions/query/persons/grants", NULL,
		     token_of(&own), "{\"queryType\":"
		     "\"PermissionsGrantedInCurrentContext\","
		     "\"permissionTypes\":[\"InvoiceWrite\"]}");
	e = find(items(list, "permissions"), "description",
		 "Pracownik z zagranicy");
	assert_non_null(e);
	assert_string_equal(json_string_value(member_of(e,
		"authorizedIdentifier", "value")), f.fp);
	assert_string_equal(json_string_value(member_of(e,
		"subjectPersonDetails", "lastName")), "Müller");
	assert_string_equal(json_string_value(member_of(e,
		"subjectPersonDetails", "birthDate")), "1980-02-29");
	assert_string_equal(json_string_value(json_object_get(member_of(e,
		"subjectPersonDetails", "idDocument"), "country")), "DE");
	assert_string_equal(json_string_value(member_of(e,
		"authorIdentifier", "value")), A);
	assert_true(json_is_false(json_object_get(e, "canDelegate")));
	json_decref(list);
	/* The certificate logs in by its fingerprint. */
	{
		struct login l;

		xlogin_ok(&l, &srv, A, &f);
		logout(&l);
	}
	logout(&own);
	who_free(&f);
}

static void a_vat_group_lists_its_members_and_appoints_their_admins(
	void **state)
{
	struct login own, mem, adm;
	struct who a;
	json_t *list, *e;

	(void)state;
	who_make(&a, WHO_PESEL, "80010112345");
	xlogin_ok(&own, &srv, A, &owner);
	/* Without the group in the registers, no role and no member. */
	list = query(&srv, "GET", "/permissions/query/entities/roles", NULL,
		     token_of(&own), NULL);
	assert_int_equal(json_array_size(items(list, "roles")), 0);
	json_decref(list);
	sql(&srv, "INSERT INTO testdata_subjects VALUES ('" A "',"
	    " 'VatGroupUnit', '', 'Grupa VAT " A "', 1000, 0);"
	    "INSERT INTO testdata_subjects VALUES ('" M "', 'VatGroupSubUnit',"
	    " '" A "', 'Członek grupy VAT " A "', 2000, 0);");
	list = query(&srv, "GET", "/permissions/query/entities/roles", NULL,
		     token_of(&own), NULL);
	assert_int_equal(json_array_size(items(list, "roles")), 1);
	assert_non_null(find(items(list, "roles"), "role", "VatGroupUnit"));
	json_decref(list);
	list = query(&srv, "POST",
		     "/permissions/query/subordinate-entities/roles", NULL,
		     token_of(&own), "{}");
	e = json_array_get(items(list, "roles"), 0);
	assert_non_null(e);
	assert_string_equal(json_string_value(member_of(e,
		"subordinateEntityIdentifier", "value")), M);
	assert_string_equal(json_string_value(json_object_get(e, "role")),
			    "VatGroupSubUnit");
	json_decref(list);
	list = query(&srv, "POST",
		     "/permissions/query/subordinate-entities/roles", NULL,
		     token_of(&own), "{\"subordinateEntityIdentifier\":{"
		     "\"type\":\"Nip\",\"value\":\"" K "\"}}");
	assert_int_equal(json_array_size(items(list, "roles")), 0);
	json_decref(list);
	/* The member sees its role and its parent. */
	xlogin_ok(&mem, &srv, M, &member);
	list = query(&srv, "GET", "/permissions/query/entities/roles", NULL,
		     token_of(&mem), NULL);
	e = json_array_get(items(list, "roles"), 0);
	assert_string_equal(json_string_value(member_of(e,
		"parentEntityIdentifier", "value")), A);
	json_decref(list);
	logout(&mem);

	/* The group appoints the member's administrator. */
	assert_int_equal(operation(&srv, "POST",
		"/permissions/subunits/grants", token_of(&own),
		"{\"subjectIdentifier\":{\"type\":\"Pesel\",\"value\":"
		"\"80010112345\"},\"contextIdentifier\":{\"type\":\"Nip\","
		"\"value\":\"" M "\"},\"description\":"
		"\"Administrator członka\","
		"\"subjectDetails\":{\"subjectDetailsType\":"
		"\"PersonByIdentifier\",\"personById\":{\"firstName\":\"Ola\","
		"\"lastName\":\"Lis\"}}}"), 200);
	/* Not a member: 410. */
	assert_int_equal(operation(&srv, "POST",
		"/permissions/subunits/grants", token_of(&own),
		"{\"subjectIdentifier\":{\"type\":\"Pesel\",\"value\":"
		"\"80010112345\"},\"contextIdentifier\":{\"type\":\"Nip\","
		"\"value\":\"" K "\"},\"description\":\"Administrator obcy\","
		"\"subjectDetails\":{\"subjectDetailsType\":"
		"\"PersonByIdentifier\",\"personById\":{\"firstName\":\"Ola\","
		"\"lastName\":\"Lis\"}}}"), 410);
	xlogin_ok(&adm, &srv, M, &a);
	list = query(&srv, "POST", "/permissions/query/personal/grants", NULL,
		     token_of(&adm), NULL);
	e = json_array_get(items(list, "permissions"), 0);
	assert_string_equal(json_string_value(json_object_get(e,
		"permissionScope")), "CredentialsManage");
	assert_string_equal(json_string_value(json_object_get(e,
		"permissionState")), "Active");
	json_decref(list);
	list = query(&srv, "POST", "/permissions/query/subunits/grants", NULL,
		     token_of(&own), "{\"subunitIdentifier\":{\"type\":\"Nip\","
		     "\"value\":\"" M "\"}}");
	assert_int_equal(json_array_size(items(list, "permissions")), 1);
	json_decref(list);
	logout(&adm);
	logout(&own);
	who_free(&a);
}

static void a_bailiffs_context_grants_enforcement_operations(void **state)
{
	struct login own, clerk;
	struct who k, p;

	(void)state;
	who_make(&k, WHO_SEAL, K);
	who_make(&p, WHO_PESEL, "81010112345");
	/* A bailiff person of the NIP (POST /testdata/person, isBailiff). */
	sql(&srv, "INSERT INTO testdata_persons VALUES ('" K "',"
	    " '30112206276', 'Komornik sądowy', 1, 0, 3000, 0);");
	xlogin_ok(&own, &srv, K, &k);
	assert_int_equal(operation(&srv, "POST", "/permissions/persons/grants",
		token_of(&own), "{\"subjectIdentifier\":{\"type\":\"Pesel\","
		"\"value\":\"81010112345\"},\"permissions\":["
		"\"EnforcementOperations\"],\"description\":\"Asesor "
		"komorniczy\",\"subjectDetails\":{\"subjectDetailsType\":"
		"\"PersonByIdentifier\",\"personById\":{\"firstName\":"
		"\"Piotr\","
		"\"lastName\":\"Wrona\"}}}"), 200);
	/* EnforcementOperations opens every session route. */
	xlogin_ok(&clerk, &srv, K, &p);
	assert_int_equal(status_of("GET", "/sessions?sessionType=Online",
				   token_of(&clerk), NULL), 200);
	logout(&clerk);
	logout(&own);
	who_free(&k);
	who_free(&p);
}

static const char *eu_admin_body(const char *vat, const char *fp)
{
	static char b[1536];

	snprintf(b, sizeof(b), "{\"subjectIdentifier\":{\"type\":"
		 "\"Fingerprint\",\"value\":\"%s\"},\"contextIdentifier\":{"
		 "\"type\":\"NipVatUe\",\"value\":\"%s\"},\"description\":"
		 "\"Administrator podmiotu unijnego\",\"euEntityName\":"
		 "\"Firma G.m.b.H., Berlin\",\"subjectDetails\":{"
		 "\"subjectDetailsType\":\"PersonByFingerprintWithIdentifier\","
		 "\"personByFpWithId\":{\"firstName\":\"Anna\",\"lastName\":"
		 "\"Schmidt\",\"identifier\":{\"type\":\"Pesel\",\"value\":"
		 "\"15062788702\"}}},\"euEntityDetails\":{\"fullName\":"
		 "\"Firma G.m.b.H.\",\"address\":"
		 "\"Berlin, Unter den Linden 1\"}"
		 "}", fp, vat);
	return b;
}

static void an_eu_entity_has_administrators_and_representatives(
	void **state)
{
	struct login own, adm, rep;
	struct who f, g;
	json_t *list, *e;
	char body[1024], path[128], id[37];

	(void)state;
	who_make(&f, WHO_FINGERPRINT, "EU-ADMIN");
	who_make(&g, WHO_FINGERPRINT, "EU-REP");
	xlogin_ok(&own, &srv, A, &owner);
	/* The composite context must start with the caller's NIP: 410. */
	assert_int_equal(operation(&srv, "POST",
		"/permissions/eu-entities/administration/grants",
		token_of(&own), eu_admin_body(M "-DE123456789", f.fp)), 410);
	assert_int_equal(operation(&srv, "POST",
		"/permissions/eu-entities/administration/grants",
		token_of(&own), eu_admin_body(VATUE, f.fp)), 200);
	assert_int_equal(xlogin(&adm, &srv, KSEF_CONTEXT_NIP_VAT_UE, VATUE,
				&f), 200);
	/* Only VatUeManage appoints representatives: not the owner. */
	snprintf(body, sizeof(body), "{\"subjectIdentifier\":{\"type\":"
		 "\"Fingerprint\",\"value\":\"%s\"},\"permissions\":["
		 "\"InvoiceWrite\"],\"description\":\"Reprezentant\","
		 "\"subjectDetails\":{\"subjectDetailsType\":"
		 "\"EntityByFingerprint\",\"entityByFp\":{\"fullName\":"
		 "\"Biuro GmbH\",\"address\":\"Hamburg\"}}}", g.fp);
	assert_int_equal(status_of("POST", "/permissions/eu-entities/grants",
				   token_of(&own), body), 403);
	assert_int_equal(operation(&srv, "POST",
		"/permissions/eu-entities/grants", token_of(&adm), body), 200);
	assert_int_equal(xlogin(&rep, &srv, KSEF_CONTEXT_NIP_VAT_UE, VATUE,
				&g), 200);
	assert_int_equal(status_of("GET", "/sessions?sessionType=Online",
				   token_of(&rep), NULL), 200);
	logout(&rep);

	/* From the Polish context: the administrator's four permissions. */
	list = query(&srv, "POST", "/permissions/query/eu-entities/grants",
		     NULL, token_of(&own), "{}");
	assert_int_equal(json_array_size(items(list, "permissions")), 4);
	e = find(items(list, "permissions"), "permissionScope", "VatUeManage");
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e,
		"vatUeIdentifier")), "DE123456789");
	assert_string_equal(json_string_value(json_object_get(e,
		"authorizedFingerprintIdentifier")), f.fp);
	assert_string_equal(json_string_value(member_of(e, "euEntityDetails",
		"fullName")), "Firma G.m.b.H.");
	json_decref(list);
	/* From the composite one: the representative too, with filters. */
	list = query(&srv, "POST", "/permissions/query/eu-entities/grants",
		     NULL, token_of(&adm), "{\"permissionTypes\":["
		     "\"InvoiceWrite\"]}");
	assert_int_equal(json_array_size(items(list, "permissions")), 2);
	json_decref(list);
	snprintf(body, sizeof(body), "{\"authorizedFingerprintIdentifier\":"
		 "\"%.20s\",\"vatUeIdentifier\":\"DE123456789\"}", g.fp + 10);
	list = query(&srv, "POST", "/permissions/query/eu-entities/grants",
		     NULL, token_of(&adm), body);
	assert_int_equal(json_array_size(items(list, "permissions")), 1);
	e = json_array_get(items(list, "permissions"), 0);
	assert_string_equal(json_string_value(json_object_get(e,
		"euEntityName")), "Firma G.m.b.H., Berlin");
	assert_string_equal(json_string_value(member_of(e,
		"subjectEntityDetails", "subjectDetailsType")),
		"EntityByFingerprint");
	snprintf(id, sizeof(id), "%.36s", json_string_value(json_object_get(e,
		"id")));
	json_decref(list);
	list = query(&srv, "POST", "/permissions/query/eu-entities/grants",
		     NULL, token_of(&adm), "{\"vatUeIdentifier\":"
		     "\"FR00123456789\"}");
	assert_int_equal(json_array_size(items(list, "permissions")), 0);
	json_decref(list);
	/* The administrator takes the representative back. */
	snprintf(path, sizeof(path), "/permissions/common/grants/%s", id);
	assert_int_equal(operation(&srv, "DELETE", path, token_of(&adm), NULL),
			 200);
	assert_int_equal(xlogin(&rep, &srv, KSEF_CONTEXT_NIP_VAT_UE, VATUE,
				&g), 415);
	logout(&rep);
	logout(&adm);
	logout(&own);
	who_free(&f);
	who_free(&g);
}

static void entity_permissions_are_listed_granted_and_received(void **state)
{
	struct login own, mem;
	json_t *list, *e;

	(void)state;
	xlogin_ok(&own, &srv, A, &owner);
	assert_int_equal(operation(&srv, "POST",
		"/permissions/authorizations/grants", token_of(&own),
		"{\"subjectIdentifier\":{\"type\":\"Nip\",\"value\":\"" M "\"},"
		"\"permission\":\"TaxRepresentative\",\"description\":"
		"\"Przedstawiciel podatkowy\",\"subjectDetails\":{\"fullName\":"
		"\"Członek sp. z o.o.\"}}"), 200);
	assert_int_equal(operation(&srv, "POST", "/permissions/entities/grants",
		token_of(&own), "{\"subjectIdentifier\":{\"type\":\"Nip\","
		"\"value\":\"" M "\"},\"permissions\":[{\"type\":"
		"\"InvoiceWrite\"}],\"description\":\"Wystawianie faktur\","
		"\"subjectDetails\":{\"fullName\":\"Członek sp. z o.o.\"}}"),
		200);
	list = query(&srv, "POST", "/permissions/query/authorizations/grants",
		     NULL, token_of(&own), "{\"queryType\":\"Granted\","
		     "\"authorizedIdentifier\":{\"type\":\"Nip\",\"value\":\""
		     M "\"},\"permissionTypes\":[\"TaxRepresentative\"]}");
	assert_int_equal(json_array_size(items(list, "authorizationGrants")),
			 1);
	e = json_array_get(items(list, "authorizationGrants"), 0);
	assert_string_equal(json_string_value(member_of(e,
		"subjectEntityDetails", "fullName")), "Członek sp. z o.o.");
	json_decref(list);

	xlogin_ok(&mem, &srv, M, &member);
	list = query(&srv, "POST", "/permissions/query/authorizations/grants",
		     NULL, token_of(&mem), "{\"queryType\":\"Received\","
		     "\"authorizingIdentifier\":{\"type\":\"Nip\",\"value\":\""
		     A "\"}}");
	assert_int_equal(json_array_size(items(list, "authorizationGrants")),
			 1);
	e = json_array_get(items(list, "authorizationGrants"), 0);
	assert_string_equal(json_string_value(member_of(e,
		"authorizingEntityIdentifier", "value")), A);
	assert_string_equal(json_string_value(member_of(e,
		"authorIdentifier", "value")), A);
	json_decref(list);
	/* The entity's owner sees what its entity received as its own. */
	list = query(&srv, "POST", "/permissions/query/personal/grants", NULL,
		     token_of(&mem), "{\"contextIdentifier\":{\"type\":\"Nip\","
		     "\"value\":\"" A "\"}}");
	e = find(items(list, "permissions"), "permissionScope",
		 "InvoiceWrite");
	assert_non_null(e);
	assert_string_equal(json_string_value(member_of(e,
		"contextIdentifier", "value")), A);
	json_decref(list);
	list = query(&srv, "POST", "/permissions/query/entities/grants", NULL,
		     token_of(&mem), NULL);
	assert_non_null(find(items(list, "permissions"), "permissionScope",
			     "InvoiceWrite"));
	json_decref(list);
	logout(&mem);
	logout(&own);
}

static void the_attachment_consent_is_the_contexts(void **state)
{
	struct login own, clerk;
	struct raw_response r;
	struct who p;
	json_t *j;

	(void)state;
	who_make(&p, WHO_PESEL, "82010112345");
	xlogin_ok(&own, &srv, A, &owner);
	j = query(&srv, "GET", "/permissions/attachments/status", NULL,
		  token_of(&own), NULL);
	assert_true(json_is_false(json_object_get(j, "isAttachmentAllowed")));
	assert_null(json_object_get(j, "revokedDate"));
	json_decref(j);
	sql(&srv, "INSERT INTO attachment_permissions VALUES ('Nip', '" A "',"
	    " 1000, 0);");
	j = query(&srv, "GET", "/permissions/attachments/status", NULL,
		  token_of(&own), NULL);
	assert_true(json_is_true(json_object_get(j, "isAttachmentAllowed")));
	json_decref(j);
	/* Withdrawn as from a date in the past. */
	sql(&srv, "UPDATE attachment_permissions SET revoked_ms = 1767225600000"
	    " WHERE ctx_value = '" A "';");
	j = query(&srv, "GET", "/permissions/attachments/status", NULL,
		  token_of(&own), NULL);
	assert_true(json_is_false(json_object_get(j, "isAttachmentAllowed")));
	assert_string_equal(json_string_value(json_object_get(j,
		"revokedDate")), "2026-01-01T00:00:00.000+00:00");
	json_decref(j);
	/* CredentialsManage or CredentialsRead only. */
	assert_int_equal(operation(&srv, "POST", "/permissions/persons/grants",
		token_of(&own), "{\"subjectIdentifier\":{\"type\":\"Pesel\","
		"\"value\":\"82010112345\"},\"permissions\":[\"InvoiceWrite\"],"
		"\"description\":\"Fakturzystka\",\"subjectDetails\":{"
		"\"subjectDetailsType\":\"PersonByIdentifier\",\"personById\":{"
		"\"firstName\":\"Iga\",\"lastName\":\"Sowa\"}}}"), 200);
	xlogin_ok(&clerk, &srv, A, &p);
	call(&r, &srv, "GET", "/permissions/attachments/status",
	     token_of(&clerk), NULL);
	assert_int_equal(r.status, 403);
	raw_free(&r);
	logout(&clerk);
	logout(&own);
	who_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			the_contract_checker_finds_what_breaks_a_schema),
		cmocka_unit_test(
			grantee_details_come_back_in_the_item_schemas),
		cmocka_unit_test(
		   a_vat_group_lists_its_members_and_appoints_their_admins),
		cmocka_unit_test(
			a_bailiffs_context_grants_enforcement_operations),
		cmocka_unit_test(
			an_eu_entity_has_administrators_and_representatives),
		cmocka_unit_test(
			entity_permissions_are_listed_granted_and_received),
		cmocka_unit_test(the_attachment_consent_is_the_contexts),
	};

	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	return cmocka_run_group_tests(tests, setup, teardown);
}
