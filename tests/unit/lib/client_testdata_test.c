/*
 * client_testdata_test.c - the calls of the tag "Dane testowe"
 * (client_testdata.c): every body they build holds against its request
 * schema in open-api.json, with the patterns the checker leaves aside
 * (NIP, PESEL, date-time, date) checked here; values that break a schema
 * are refused with KSEF_EINVAL, naming the field, before anything is
 * sent; and the calls work with a client that has no token. Answers are
 * scripted (ksef__client_script()).
 */
#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "ksef/client.h"
#include "ksef/client_testdata.h"
#include "ksef/number.h"
#include "client_int.h"
#include "client_admin.h"
#include "contract.h"

#define NIP "7762811692"
#define NIP2 "5265877635"
#define NIP3 "1234563218"
#define PESEL "15062788702"
#define FINGERPRINT \
	"AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12CD34EF56ab12"
#define OK_EMPTY "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

static int setup(void **state)
{
	(void)state;
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

	if (contract_check(body, contract_request_schema(path, "post"), "body",
			   why, sizeof(why)) != 0)
		fail_msg("POST %s: %s", path, why);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The builder refused with KSEF_EINVAL, naming `field`. */
static void assert_einval(int rc, json_t *body, const ksef_error *err,
			  const char *field)
{
	assert_int_equal(rc, KSEF_EINVAL);
	assert_null(body);
	if (strstr(err->message, field) == NULL)
		fail_msg("'%s' does not name %s", err->message, field);
}

/*
 * Subjects
 */

static void subject_body_matches_SubjectCreateRequest(void **state)
{
	const char *nips[] = { NIP2, NIP3 };
	const char *descs[] = { "Szkoła nr 1", "Żłobek miejski" };
	ksef_client_testdata_subject s = KSEF_CLIENT_TESTDATA_SUBJECT_INIT;
	json_t *body = NULL, *units;
	ksef_time t;

	(void)state;
	s.subject_nip = NIP;
	s.subject_type = "EnforcementAuthority";
	s.description = "Centrala";
	assert_int_equal(ksef__client_build_testdata_subject_body(&body, &s,
								  NULL), 0);
	assert_matches(body, "/testdata/subject");
	assert_string_equal(str(body, "subjectNip"), NIP);
	assert_null(json_object_get(body, "subunits"));
	assert_null(json_object_get(body, "createdDate"));
	json_decref(body);

	s.subject_type = "JST";
	s.subunit_nips = nips;
	s.subunit_descriptions = descs;
	s.subunit_count = 2;
	s.created_date_ms = INT64_C(1756131322000); /* 2025-08-25 14:15:22Z */
	assert_int_equal(ksef__client_build_testdata_subject_body(&body, &s,
								  NULL), 0);
	assert_matches(body, "/testdata/subject");
	units = json_object_get(body, "subunits");
	assert_int_equal(json_array_size(units), 2);
	assert_string_equal(str(json_array_get(units, 1), "subjectNip"), NIP3);
	assert_string_equal(str(json_array_get(units, 0), "description"),
			    "Szkoła nr 1");
	/* A date-time with its offset, the same instant. */
	assert_int_equal(ksef_time_parse(&t, str(body, "createdDate"),
					 strlen(str(body, "createdDate")),
					 NULL), 0);
	assert_int_equal(t.unix_ms, INT64_C(1756131322000));
	json_decref(body);
}

static void subjects_that_break_the_schema_are_einval(void **state)
{
	const char *nips[] = { NIP2, NIP2 };
	const char *descs[] = { "Członek 1", "Członek 2" };
	ksef_client_testdata_subject s = KSEF_CLIENT_TESTDATA_SUBJECT_INIT;
	json_t *body = NULL;
	ksef_error err;

	(void)state;
	s.subject_nip = "0123456789"; /* starts with 0 */
	s.subject_type = "VatGroup";
	s.description = "Grupa VAT";
	assert_einval(ksef__client_build_testdata_subject_body(&body, &s,
		&err), body, &err, "subjectNip");
	s.subject_nip = NIP;
	s.subject_type = "Bank";
	assert_einval(ksef__client_build_testdata_subject_body(&body, &s,
		&err), body, &err, "subjectType");
	s.subject_type = "vatgroup";
	assert_einval(ksef__client_build_testdata_subject_body(&body, &s,
		&err), body, &err, "subjectType");
	s.subject_type = "VatGroup";
	s.description = "Abcd"; /* 4 characters */
	assert_einval(ksef__client_build_testdata_subject_body(&body, &s,
		&err), body, &err, "description");
	s.description = "Ąęółż"; /* 5 characters, 10 bytes: fine */
	assert_int_equal(ksef__client_build_testdata_subject_body(&body, &s,
								  &err), 0);
	json_decref(body);
	body = NULL;
	s.subunit_nips = nips;
	s.subunit_descriptions = descs;
	s.subunit_count = 2;
	assert_einval(ksef__client_build_testdata_subject_body(&body, &s,
		&err), body, &err, "subunits[1].subjectNip");
	nips[1] = NIP;
	assert_einval(ksef__client_build_testdata_subject_body(&body, &s,
		&err), body, &err, "subunits[1].subjectNip");
	nips[1] = NIP3;
	descs[0] = "x";
	assert_einval(ksef__client_build_testdata_subject_body(&body, &s,
		&err), body, &err, "subunits[0].description");
	descs[0] = "Członek 1";
	s.subject_type = "EnforcementAuthority";
	assert_einval(ksef__client_build_testdata_subject_body(&body, &s,
		&err), body, &err, "subunits");
	s.subject_type = "JST";
	s.subunit_count = KSEF_CLIENT_TESTDATA_SUBUNITS_MAX + 1;
	assert_einval(ksef__client_build_testdata_subject_body(&body, &s,
		&err), body, &err, "subunits");
	s.subunit_count = 2;
	s.subunit_descriptions = NULL;
	assert_einval(ksef__client_build_testdata_subject_body(&body, &s,
		&err), body, &err, "subunits");
	s.subunit_descriptions = descs;
	s.version = 2;
	assert_einval(ksef__client_build_testdata_subject_body(&body, &s,
		&err), body, &err, "ksef_client_testdata_subject");
}

static void a_nip_body_is_the_one_member_its_schema_names(void **state)
{
	static const struct { const char *path, *key; } ops[] = {
		{ "/testdata/subject/remove", "subjectNip" },
		{ "/testdata/person/remove", "nip" },
		{ "/testdata/attachment", "nip" },
	};
	json_t *body = NULL;
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		assert_int_equal(ksef__client_build_testdata_nip_body(&body,
					 ops[i].key, NIP, NULL), 0);
		assert_matches(body, ops[i].path);
		assert_string_equal(str(body, ops[i].key), NIP);
		json_decref(body);
		body = NULL;
		assert_einval(ksef__client_build_testdata_nip_body(&body,
			ops[i].key, "776281169", &err), body, &err, ops[i].key);
		assert_einval(ksef__client_build_testdata_nip_body(&body,
			ops[i].key, "77628116921", &err), body, &err,
			ops[i].key);
		assert_einval(ksef__client_build_testdata_nip_body(&body,
			ops[i].key, NULL, &err), body, &err, ops[i].key);
	}
}

/*
 * Persons
 */

static void person_body_matches_PersonCreateRequest(void **state)
{
	ksef_client_testdata_person p = KSEF_CLIENT_TESTDATA_PERSON_INIT;
	json_t *body = NULL;

	(void)state;
	p.nip = NIP;
	p.pesel = PESEL;
	p.description = "TestPerson_01";
	p.is_bailiff = 1;
	assert_int_equal(ksef__client_build_testdata_person_body(&body, &p,
								 NULL), 0);
	assert_matches(body, "/testdata/person");
	assert_true(json_is_true(json_object_get(body, "isBailiff")));
	assert_true(json_is_false(json_object_get(body, "isDeceased")));
	assert_string_equal(str(body, "pesel"), PESEL);
	json_decref(body);

	/* A PESEL with a wrong check digit is made-up test data: sent. */
	p.pesel = "15062788703";
	p.is_bailiff = 0;
	p.is_deceased = 7;
	p.created_date_ms = 0;
	assert_int_equal(ksef__client_build_testdata_person_body(&body, &p,
								 NULL), 0);
	assert_matches(body, "/testdata/person");
	assert_true(json_is_true(json_object_get(body, "isDeceased")));
	assert_non_null(str(body, "createdDate"));
	json_decref(body);
}

static void persons_that_break_the_schema_are_einval(void **state)
{
	ksef_client_testdata_person p = KSEF_CLIENT_TESTDATA_PERSON_INIT;
	json_t *body = NULL;
	ksef_error err;

	(void)state;
	p.nip = NIP;
	p.pesel = "15132788702"; /* month 13 */
	p.description = "Osoba testowa";
	assert_einval(ksef__client_build_testdata_person_body(&body, &p,
		&err), body, &err, "pesel");
	p.pesel = "1506278870";
	assert_einval(ksef__client_build_testdata_person_body(&body, &p,
		&err), body, &err, "pesel");
	p.pesel = PESEL;
	p.nip = "776281169X";
	assert_einval(ksef__client_build_testdata_person_body(&body, &p,
		&err), body, &err, "nip");
	p.nip = NIP;
	p.description = NULL;
	assert_einval(ksef__client_build_testdata_person_body(&body, &p,
		&err), body, &err, "description");
	p.description = "Osoba testowa";
	p.created_date_ms = INT64_MAX;
	assert_einval(ksef__client_build_testdata_person_body(&body, &p,
		&err), body, &err, "createdDate");
	p.created_date_ms = INT64_MIN + 1;
	assert_einval(ksef__client_build_testdata_person_body(&body, &p,
		&err), body, &err, "createdDate");
	p.created_date_ms = KSEF_TIME_UNSET;
	assert_int_equal(ksef__client_build_testdata_person_body(&body, NULL,
								 &err),
			 KSEF_EINVAL);
	assert_null(body);
}

/*
 * Test permissions
 */

static void grant_body_matches_TestDataPermissionsGrantRequest(void **state)
{
	static const char *const types[] = { "Pesel", "Nip", "Fingerprint" };
	static const char *const values[] = { PESEL, NIP2, FINGERPRINT };
	const char *perms[] = { "InvoiceRead", "InvoiceWrite", "Introspection",
				"CredentialsRead", "CredentialsManage",
				"EnforcementOperations", "SubunitManage" };
	const char *descs[7];
	ksef_client_testdata_permissions p =
		KSEF_CLIENT_TESTDATA_PERMISSIONS_INIT;
	json_t *body = NULL, *list;
	size_t i;

	(void)state;
	for (i = 0; i < 7; i++)
		descs[i] = "Opis testowy";
	p.context_identifier = NIP;
	p.permission_types = perms;
	p.descriptions = descs;
	p.permission_count = 7;
	for (i = 0; i < 3; i++) {
		p.authorized_identifier_type = types[i];
		p.authorized_identifier = values[i];
		assert_int_equal(ksef__client_build_testdata_grant_body(&body,
					 &p, NULL), 0);
		assert_matches(body, "/testdata/permissions");
		assert_string_equal(str(json_object_get(body,
			"contextIdentifier"), "type"), "Nip");
		assert_string_equal(str(json_object_get(body,
			"authorizedIdentifier"), "value"), values[i]);
		list = json_object_get(body, "permissions");
		assert_int_equal(json_array_size(list), 7);
		assert_string_equal(str(json_array_get(list, 5),
					"permissionType"),
				    "EnforcementOperations");
		json_decref(body);
	}
}

static void grants_that_break_the_schema_are_einval(void **state)
{
	const char *perms[] = { "InvoiceRead", "InvoiceRead" };
	const char *descs[] = { "Opis testowy", "Opis testowy" };
	ksef_client_testdata_permissions p =
		KSEF_CLIENT_TESTDATA_PERMISSIONS_INIT;
	json_t *body = NULL;
	ksef_error err;

	(void)state;
	p.context_identifier = NIP;
	p.authorized_identifier_type = "Nip";
	p.authorized_identifier = NIP2;
	p.permission_types = perms;
	p.descriptions = descs;
	p.permission_count = 2;
	assert_einval(ksef__client_build_testdata_grant_body(&body, &p, &err),
		      body, &err, "permissions[1].permissionType");
	perms[1] = "Everything";
	assert_einval(ksef__client_build_testdata_grant_body(&body, &p, &err),
		      body, &err, "permissions[1].permissionType");
	perms[1] = "InvoiceWrite";
	descs[1] = "1234";
	assert_einval(ksef__client_build_testdata_grant_body(&body, &p, &err),
		      body, &err, "permissions[1].description");
	descs[1] = "Opis testowy";
	p.permission_count = 0;
	assert_einval(ksef__client_build_testdata_grant_body(&body, &p, &err),
		      body, &err, "permissions");
	p.permission_count = 2;
	p.authorized_identifier_type = "Pesel";
	assert_einval(ksef__client_build_testdata_grant_body(&body, &p, &err),
		      body, &err, "authorizedIdentifier.value");
	p.authorized_identifier_type = "Fingerprint";
	assert_einval(ksef__client_build_testdata_grant_body(&body, &p, &err),
		      body, &err, "authorizedIdentifier.value");
	p.authorized_identifier = FINGERPRINT "0";
	assert_einval(ksef__client_build_testdata_grant_body(&body, &p, &err),
		      body, &err, "authorizedIdentifier.value");
	p.authorized_identifier_type = "InternalId";
	assert_einval(ksef__client_build_testdata_grant_body(&body, &p, &err),
		      body, &err, "authorizedIdentifier.type");
	p.authorized_identifier_type = "Nip";
	p.authorized_identifier = NIP2;
	p.context_identifier = "5265877635-00001";
	assert_einval(ksef__client_build_testdata_grant_body(&body, &p, &err),
		      body, &err, "contextIdentifier.value");
}

static void revoke_body_matches_TestDataPermissionsRevokeRequest(
	void **state)
{
	json_t *body = NULL;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef__client_build_testdata_revoke_body(&body, NIP2,
					 "Nip", NIP, NULL), 0);
	assert_matches(body, "/testdata/permissions/revoke");
	assert_null(json_object_get(body, "permissions"));
	json_decref(body);
	body = NULL;
	assert_einval(ksef__client_build_testdata_revoke_body(&body, NIP2,
		"Pesel", NIP, &err), body, &err, "authorizedIdentifier.value");
}

/*
 * Attachments and blocks
 */

static void attachment_revoke_body_matches_its_schema(void **state)
{
	json_t *body = NULL;
	ksef_date d;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef__client_build_attachment_revoke_body(&body, NIP,
					 NULL, NULL), 0);
	assert_matches(body, "/testdata/attachment/revoke");
	assert_null(json_object_get(body, "expectedEndDate"));
	json_decref(body);
	assert_int_equal(ksef__client_build_attachment_revoke_body(&body, NIP,
					 "2026-02-28", NULL), 0);
	assert_matches(body, "/testdata/attachment/revoke");
	/* format: date */
	assert_int_equal(ksef_date_parse(&d, str(body, "expectedEndDate"), 10,
					 NULL), 0);
	json_decref(body);
	body = NULL;
	assert_einval(ksef__client_build_attachment_revoke_body(&body, NIP,
		"2026-02-30", &err), body, &err, "expectedEndDate");
	assert_einval(ksef__client_build_attachment_revoke_body(&body, NIP,
		"2026-02-28T00:00:00Z", &err), body, &err, "expectedEndDate");
	assert_einval(ksef__client_build_attachment_revoke_body(&body, "1",
		"2026-02-28", &err), body, &err, "nip");
}

static void block_body_matches_BlockContextAuthenticationRequest(
	void **state)
{
	static const struct {
		ksef_context_type type;
		const char *name, *value;
	} ctx[] = {
		{ KSEF_CONTEXT_NIP, "Nip", NIP },
		{ KSEF_CONTEXT_INTERNAL_ID, "InternalId", NIP "-00001" },
		{ KSEF_CONTEXT_NIP_VAT_UE, "NipVatUe", NIP "-DE123456789" },
		{ KSEF_CONTEXT_PEPPOL_ID, "PeppolId", "PPL123456" },
	};
	json_t *body = NULL, *id;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ctx) / sizeof(ctx[0]); i++) {
		assert_int_equal(ksef__client_build_context_block_body(&body,
					 ctx[i].type, ctx[i].value, NULL), 0);
		assert_matches(body, "/testdata/context/block");
		assert_matches(body, "/testdata/context/unblock");
		id = json_object_get(body, "contextIdentifier");
		assert_string_equal(str(id, "type"), ctx[i].name);
		assert_string_equal(str(id, "value"), ctx[i].value);
		json_decref(body);
	}
}

static void blocks_of_bad_contexts_are_einval(void **state)
{
	char longer[80];
	json_t *body = NULL;
	ksef_error err;

	(void)state;
	memset(longer, 'A', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_einval(ksef__client_build_context_block_body(&body,
		KSEF_CONTEXT_NIP, "123", &err), body, &err,
		"contextIdentifier.value");
	assert_einval(ksef__client_build_context_block_body(&body,
		KSEF_CONTEXT_PEPPOL_ID, "", &err), body, &err,
		"contextIdentifier.value");
	assert_einval(ksef__client_build_context_block_body(&body,
		KSEF_CONTEXT_PEPPOL_ID, longer, &err), body, &err,
		"contextIdentifier.value");
	assert_einval(ksef__client_build_context_block_body(&body,
		KSEF_CONTEXT_PEPPOL_ID, "PPL\n23456", &err), body, &err,
		"contextIdentifier.value");
	assert_einval(ksef__client_build_context_block_body(&body,
		(ksef_context_type)4, NIP, &err), body, &err, "context type");
}

/*
 * The calls
 */

static ksef_client *client(void)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;

	o.base_url = "http://127.0.0.1:1/v2";
	o.max_retries = 0;
	o.max_rate_limit_waits = 0;
	assert_int_equal(ksef_client_new(&c, &o, NULL), 0);
	return c;
}

static void every_call_works_without_a_token(void **state)
{
	const char *perm[] = { "InvoiceWrite" }, *desc[] = { "Opis testowy" };
	ksef_client_testdata_subject s = KSEF_CLIENT_TESTDATA_SUBJECT_INIT;
	ksef_client_testdata_person p = KSEF_CLIENT_TESTDATA_PERSON_INIT;
	ksef_client_testdata_permissions g =
		KSEF_CLIENT_TESTDATA_PERMISSIONS_INIT;
	ksef_client *c = client();
	ksef_error err;
	int i, rc;

	(void)state;
	s.subject_nip = NIP;
	s.subject_type = "VatGroup";
	s.description = "Grupa VAT";
	p.nip = NIP;
	p.pesel = PESEL;
	p.description = "Osoba testowa";
	g.context_identifier = NIP;
	g.authorized_identifier_type = "Nip";
	g.authorized_identifier = NIP2;
	g.permission_types = perm;
	g.descriptions = desc;
	g.permission_count = 1;
	for (i = 0; i < 10; i++) {
		ksef__client_script(c, (const unsigned char *)OK_EMPTY,
				    strlen(OK_EMPTY));
		switch (i) {
		case 0: rc = ksef_client_testdata_subject_create(c, &s, &err);
			break;
		case 1: rc = ksef_client_testdata_subject_remove(c, NIP, &err);
			break;
		case 2: rc = ksef_client_testdata_person_create(c, &p, &err);
			break;
		case 3: rc = ksef_client_testdata_person_remove(c, NIP, &err);
			break;
		case 4: rc = ksef_client_testdata_permissions_grant(c, &g,
								    &err);
			break;
		case 5: rc = ksef_client_testdata_permissions_revoke(c, NIP,
				"Nip", NIP2, &err);
			break;
		case 6: rc = ksef_client_testdata_attachment_allow(c, NIP,
								   &err);
			break;
		case 7: rc = ksef_client_testdata_attachment_revoke(c, NIP,
				NULL, &err);
			break;
		case 8: rc = ksef_client_testdata_context_block(c,
				KSEF_CONTEXT_NIP, NIP, &err);
			break;
		default: rc = ksef_client_testdata_context_unblock(c,
				KSEF_CONTEXT_NIP, NIP, &err);
			break;
		}
		if (rc != 0)
			fail_msg("call %d: %s", i, err.message);
		assert_int_equal(ksef_client_last_http_status(c), 200);
	}
	ksef_client_free(c);
}

static void a_refusal_is_ehttp_with_the_servers_answer(void **state)
{
	static const char answer[] =
		"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json"
		"\r\n\r\n{\"exception\":{\"exceptionDetailList\":[{"
		"\"exceptionCode\":30001,\"exceptionDescription\":\"Podmiot "
		"lub uprawnienie już istnieje.\",\"details\":[\"x\"]}],"
		"\"referenceNumber\":\"20251010-EH-1B6C9EB000-4B15D3AEB9-89\","
		"\"serviceCode\":\"x\",\"serviceCtx\":\"srvTEMFB\","
		"\"serviceName\":\"x\",\"timestamp\":"
		"\"2025-10-10T12:00:00Z\"}}";
	ksef_client_testdata_person p = KSEF_CLIENT_TESTDATA_PERSON_INIT;
	ksef_client *c = client();
	ksef_error err;

	(void)state;
	p.nip = NIP;
	p.pesel = PESEL;
	p.description = "Osoba testowa";
	ksef__client_script(c, (const unsigned char *)answer,
			    sizeof(answer) - 1);
	assert_int_equal(ksef_client_testdata_person_create(c, &p, &err),
			 KSEF_EHTTP);
	assert_int_equal(ksef_api_error_has_code(ksef_client_last_error(c),
						 30001), 1);
	assert_non_null(strstr(err.message, "POST /testdata/person"));
	/* A bad value is refused before the network: no status. */
	p.pesel = NULL;
	ksef__client_script(c, (const unsigned char *)OK_EMPTY,
			    strlen(OK_EMPTY));
	assert_int_equal(ksef_client_testdata_person_create(c, &p, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_last_http_status(c), 0);
	assert_null(ksef_client_last_error(c));
	assert_int_equal(ksef_client_testdata_person_create(NULL, &p, &err),
			 KSEF_EINVAL);
	ksef_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(subject_body_matches_SubjectCreateRequest),
		cmocka_unit_test(subjects_that_break_the_schema_are_einval),
		cmocka_unit_test(a_nip_body_is_the_one_member_its_schema_names),
		cmocka_unit_test(person_body_matches_PersonCreateRequest),
		cmocka_unit_test(persons_that_break_the_schema_are_einval),
		cmocka_unit_test(
			grant_body_matches_TestDataPermissionsGrantRequest),
		cmocka_unit_test(grants_that_break_the_schema_are_einval),
		cmocka_unit_test(
			revoke_body_matches_TestDataPermissionsRevokeRequest),
		cmocka_unit_test(attachment_revoke_body_matches_its_schema),
		cmocka_unit_test(
			block_body_matches_BlockContextAuthenticationRequest),
		cmocka_unit_test(blocks_of_bad_contexts_are_einval),
		cmocka_unit_test(every_call_works_without_a_token),
		cmocka_unit_test(a_refusal_is_ehttp_with_the_servers_answer),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
