/*
 * ksefd_permissions_test.c - granting and revoking permissions against
 * the real ksefd (uprawnienia.md): a colleague granted in the API logs in
 * with exactly what it was granted, and a revoked permission stops working
 * at its next login or refresh; only CredentialsManage grants, and an
 * administrator may appoint others; delegation needs canDelegate; entity
 * authorizations have their own revocation; subunit administrators work
 * in their subunit; the refusals of malformed requests (400/21405) and of
 * the rules (the documented operation statuses); the test data's grants
 * and their absence in production; `ksefd grant` over the same store; and
 * paging. Every answer is held against open-api.json's schemas.
 */
#include "testsupport.h"
#include "permissions_e2e.h"

#define A "5265877635"          /* the owner's context */
#define B "7010012385"          /* an accounting office */
#define C "1234563218"          /* an administrator's NIP */

static struct ksefd_proc srv;
static struct who owner, office;

static int setup(void **state)
{
	static const char *const extra[] = { "--processing-delay", "0", NULL };

	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	ksefd_start(&srv, NULL, extra);
	who_make(&owner, WHO_SEAL, A);
	who_make(&office, WHO_SEAL, B);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	who_free(&owner);
	who_free(&office);
	ksefd_stop(&srv);
	ksefd_cleanup(&srv);
	contract_unload();
	return 0;
}

/* A grant to a person identified by (type, value). */
static const char *person_body(const char *type, const char *value,
			       const char *perms)
{
	static char b[1024];

	snprintf(b, sizeof(b), "{\"subjectIdentifier\":{\"type\":\"%s\","
		 "\"value\":\"%s\"},\"permissions\":[%s],\"description\":"
		 "\"Opis uprawnienia\",\"subjectDetails\":{"
		 "\"subjectDetailsType\":\"PersonByIdentifier\",\"personById\":"
		 "{\"firstName\":\"Adam\",\"lastName\":\"Abacki\"}}}", type,
		 value, perms);
	return b;
}

static int grant_person(const char *bearer, const char *type,
			const char *value, const char *perms)
{
	return operation(&srv, "POST", "/permissions/persons/grants", bearer,
			 person_body(type, value, perms));
}

/* The id of the grant of scope to (type, value) in the caller's context,
 * into id; 0 if there is none. */
static int grant_id(const char *bearer, const char *type, const char *value,
		    const char *scope, char id[37])
{
	char body[256];
	json_t *list, *e;
	size_t i;
	int found = 0;

	snprintf(body, sizeof(body), "{\"queryType\":"
		 "\"PermissionsInCurrentContext\",\"authorizedIdentifier\":"
		 "{\"type\":\"%s\",\"value\":\"%s\"}}", type, value);
	list = query(&srv, "POST", "/permissions/query/persons/grants",
		     "?pageSize=100", bearer, body);
	json_array_foreach(items(list, "permissions"), i, e)
		if (strcmp(json_string_value(json_object_get(e,
			"permissionScope")), scope) == 0) {
			snprintf(id, 37, "%.36s", json_string_value(
				json_object_get(e, "id")));
			found = 1;
		}
	json_decref(list);
	return found;
}

static int revoke(const char *bearer, const char *id)
{
	char path[128];

	snprintf(path, sizeof(path), "/permissions/common/grants/%.40s", id);
	return operation(&srv, "DELETE", path, bearer, NULL);
}

/* The HTTP status of GET /sessions with this access token: 200 with
 * InvoiceWrite or Introspection, 403 without. */
static long sessions_status(const char *bearer)
{
	struct raw_response r;
	long s;

	call(&r, &srv, "GET", "/sessions?sessionType=Online", bearer, NULL);
	s = r.status;
	raw_free(&r);
	return s;
}

static void a_colleague_logs_in_with_its_grants_until_they_are_revoked(
	void **state)
{
	struct login own, mate, again;
	ksef_api_tokens *fresh = NULL;
	struct who p;
	char write_id[37], read_id[37];
	json_t *list;
	ksef_error err;

	(void)state;
	who_make(&p, WHO_PESEL, "90010112345");
	xlogin_ok(&own, &srv, A, &owner);
	/* Nothing granted yet: 415, "Brak przypisanych uprawnień". */
	assert_int_equal(xlogin(&mate, &srv, KSEF_CONTEXT_NIP, A, &p), 415);
	logout(&mate);
	assert_int_equal(grant_person(token_of(&own), "Pesel", "90010112345",
		"\"InvoiceWrite\",\"InvoiceRead\""), 200);
	xlogin_ok(&mate, &srv, A, &p);
	assert_int_equal(sessions_status(token_of(&mate)), 200);
	list = query(&srv, "POST", "/permissions/query/personal/grants", NULL,
		     token_of(&mate), "{}");
	assert_int_equal(json_array_size(items(list, "permissions")), 2);
	json_decref(list);

	/* InvoiceWrite revoked: a refreshed access token has only what is
	 * left, and so has a new login. */
	assert_true(grant_id(token_of(&own), "Pesel", "90010112345",
			     "InvoiceWrite", write_id));
	assert_true(grant_id(token_of(&own), "Pesel", "90010112345",
			     "InvoiceRead", read_id));
	assert_int_equal(revoke(token_of(&own), write_id), 200);
	if (ksef_client_auth_refresh(&fresh, mate.c,
				     mate.tokens->refresh_token->token,
				     &err) != 0)
		fail_msg("refresh: %s", err.message);
	assert_int_equal(sessions_status(fresh->access_token->token), 403);
	list = query(&srv, "POST", "/permissions/query/personal/grants", NULL,
		     fresh->access_token->token, NULL);
	assert_int_equal(json_array_size(items(list, "permissions")), 1);
	assert_non_null(find(items(list, "permissions"), "permissionScope",
			     "InvoiceRead"));
	json_decref(list);
	ksef_api_tokens_free(fresh);
	xlogin_ok(&again, &srv, A, &p);
	assert_int_equal(sessions_status(token_of(&again)), 403);
	logout(&again);

	/* The last one revoked: no login at all; a second revocation of the
	 * same grant fails (400). */
	assert_int_equal(revoke(token_of(&own), read_id), 200);
	assert_int_equal(xlogin(&again, &srv, KSEF_CONTEXT_NIP, A, &p), 415);
	logout(&again);
	assert_int_equal(revoke(token_of(&own), read_id), 400);
	logout(&mate);
	logout(&own);
	who_free(&p);
}

static void only_credentials_manage_grants_and_admins_appoint_others(
	void **state)
{
	struct login own, clerk, admin;
	struct raw_response r;
	struct who p, m;
	json_t *j, *list, *e;
	char id[37], body[256];

	(void)state;
	who_make(&p, WHO_PESEL, "85021412345");
	who_make(&m, WHO_PERSON_NIP, C);
	xlogin_ok(&own, &srv, A, &owner);
	assert_int_equal(grant_person(token_of(&own), "Pesel", "85021412345",
				      "\"InvoiceWrite\""), 200);
	xlogin_ok(&clerk, &srv, A, &p);
	/* A grantee without CredentialsManage cannot grant: 403. */
	call(&r, &srv, "POST", "/permissions/persons/grants", token_of(&clerk),
	     "%s", person_body("Pesel", "85021412345", "\"Introspection\""));
	assert_int_equal(r.status, 403);
	j = raw_json(&r);
	assert_string_equal(json_string_value(json_object_get(j,
		"reasonCode")), "missing-permissions");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
		json_object_get(j, "security"), "requiredAnyOfPermissions"),
		0)), "CredentialsManage");
	json_decref(j);
	raw_free(&r);

	/* An administrator the owner appointed grants, and is the author. */
	assert_int_equal(grant_person(token_of(&own), "Nip", C,
				      "\"CredentialsManage\""), 200);
	xlogin_ok(&admin, &srv, A, &m);
	assert_int_equal(grant_person(token_of(&admin), "Pesel", "85021412345",
				      "\"Introspection\""), 200);
	snprintf(body, sizeof(body), "{\"queryType\":"
		 "\"PermissionsInCurrentContext\",\"authorIdentifier\":"
		 "{\"type\":\"Nip\",\"value\":\"" C "\"}}");
	list = query(&srv, "POST", "/permissions/query/persons/grants", NULL,
		     token_of(&own), body);
	assert_int_equal(json_array_size(items(list, "permissions")), 1);
	e = json_array_get(items(list, "permissions"), 0);
	assert_string_equal(json_string_value(json_object_get(e,
		"permissionScope")), "Introspection");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		e, "authorizedIdentifier"), "value")), "85021412345");
	json_decref(list);
	/* What the administrator granted, as it lists it. */
	list = query(&srv, "POST", "/permissions/query/persons/grants", NULL,
		     token_of(&admin), "{\"queryType\":"
		     "\"PermissionsGrantedInCurrentContext\"}");
	assert_int_equal(json_array_size(items(list, "permissions")), 1);
	json_decref(list);
	/* It may revoke the owner's grants in the context too. */
	assert_true(grant_id(token_of(&own), "Pesel", "85021412345",
			     "InvoiceWrite", id));
	assert_int_equal(revoke(token_of(&admin), id), 200);
	/* EnforcementOperations needs a bailiff's or an enforcement
	 * authority's context: 430. */
	assert_int_equal(grant_person(token_of(&own), "Pesel", "85021412345",
				      "\"EnforcementOperations\""), 430);
	logout(&admin);
	logout(&clerk);
	logout(&own);
	who_free(&p);
	who_free(&m);
}

/* An entity grant from A to B of InvoiceRead. */
static int grant_office(const char *bearer, int can_delegate)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"subjectIdentifier\":{\"type\":\"Nip\","
		 "\"value\":\"" B "\"},\"permissions\":[{\"type\":"
		 "\"InvoiceRead\",\"canDelegate\":%s}],\"description\":"
		 "\"Biuro rachunkowe\",\"subjectDetails\":{\"fullName\":"
		 "\"Biuro sp. z o.o.\"}}", can_delegate ? "true" : "false");
	return operation(&srv, "POST", "/permissions/entities/grants", bearer,
			 body);
}

static int grant_indirect(const char *bearer, const char *target_json,
			  const char *perms)
{
	char body[1024];

	snprintf(body, sizeof(body), "{\"subjectIdentifier\":{\"type\":"
		 "\"Pesel\",\"value\":\"72030512345\"},%s\"permissions\":[%s],"
		 "\"description\":\"Praca dla klienta\",\"subjectDetails\":{"
		 "\"subjectDetailsType\":\"PersonByIdentifier\",\"personById\":"
		 "{\"firstName\":\"Ewa\",\"lastName\":\"Kowalska\"}}}",
		 target_json, perms);
	return operation(&srv, "POST", "/permissions/indirect/grants", bearer,
			 body);
}

/* A status that only InvoiceRead passes: a KSeF number that is not
 * there is 400/21164, where a caller without InvoiceRead gets 403. */
static long download_status(const char *bearer)
{
	struct raw_response r;
	long s;

	call(&r, &srv, "GET", "/invoices/ksef/" A "-20250101-0123456789AB-CD",
	     bearer, NULL);
	s = r.status;
	raw_free(&r);
	return s;
}

static void delegation_passes_on_only_what_can_be_delegated(void **state)
{
	struct login own, off, emp, seal;
	struct who q;
	json_t *list, *e;
	char id[37];

	(void)state;
	who_make(&q, WHO_PESEL, "72030512345");
	xlogin_ok(&own, &srv, A, &owner);
	xlogin_ok(&off, &srv, B, &office);
	assert_int_equal(grant_office(token_of(&own), 0), 200);
	/* The office itself now works for A. */
	xlogin_ok(&seal, &srv, A, &office);
	assert_int_equal(download_status(token_of(&seal)), 400);
	logout(&seal);
	/* canDelegate false stops the office passing it on: 440. */
	assert_int_equal(grant_indirect(token_of(&off), "\"targetIdentifier\":"
		"{\"type\":\"Nip\",\"value\":\"" A "\"},", "\"InvoiceRead\""),
		440);
	assert_int_equal(xlogin(&emp, &srv, KSEF_CONTEXT_NIP, A, &q), 415);
	logout(&emp);
	/* Granted again with canDelegate: the same grant, now delegable. */
	assert_int_equal(grant_office(token_of(&own), 1), 200);
	list = query(&srv, "POST", "/permissions/query/entities/grants", NULL,
		     token_of(&off), "{\"contextIdentifier\":{\"type\":\"Nip\","
		     "\"value\":\"" A "\"}}");
	assert_int_equal(json_array_size(items(list, "permissions")), 1);
	e = json_array_get(items(list, "permissions"), 0);
	assert_true(json_is_true(json_object_get(e, "canDelegate")));
	snprintf(id, sizeof(id), "%.36s", json_string_value(json_object_get(e,
		"id")));
	json_decref(list);
	assert_int_equal(grant_indirect(token_of(&off), "\"targetIdentifier\":"
		"{\"type\":\"Nip\",\"value\":\"" A "\"},", "\"InvoiceRead\""),
		200);
	/* Not to itself as the client (410); generally, for all clients,
	 * always (no targetIdentifier). */
	assert_int_equal(grant_indirect(token_of(&off), "\"targetIdentifier\":"
		"{\"type\":\"Nip\",\"value\":\"" B "\"},", "\"InvoiceRead\""),
		410);
	assert_int_equal(grant_indirect(token_of(&off), "",
					"\"InvoiceWrite\""), 200);
	xlogin_ok(&emp, &srv, A, &q);
	assert_int_equal(download_status(token_of(&emp)), 400);
	/* InvoiceWrite is the office's to pass on only once A gives it with
	 * canDelegate: the general grant is Inactive meanwhile. */
	assert_int_equal(sessions_status(token_of(&emp)), 403);
	list = query(&srv, "POST", "/permissions/query/personal/grants", NULL,
		     token_of(&emp), "{\"permissionState\":\"Inactive\"}");
	assert_int_equal(json_array_size(items(list, "permissions")), 1);
	e = json_array_get(items(list, "permissions"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		e, "targetIdentifier"), "type")), "AllPartners");
	json_decref(list);
	logout(&emp);
	/* A takes the office's permission back: the employee's goes with it. */
	assert_int_equal(revoke(token_of(&own), id), 200);
	assert_int_equal(xlogin(&emp, &srv, KSEF_CONTEXT_NIP, A, &q), 415);
	logout(&emp);
	list = query(&srv, "POST", "/permissions/query/persons/grants", NULL,
		     token_of(&off), "{\"queryType\":"
		     "\"PermissionsInCurrentContext\",\"permissionState\":"
		     "\"Inactive\",\"targetIdentifier\":{\"type\":\"Nip\","
		     "\"value\":\"" A "\"}}");
	assert_int_equal(json_array_size(items(list, "permissions")), 1);
	json_decref(list);
	logout(&off);
	logout(&own);
	who_free(&q);
}

static void entity_authorizations_have_their_own_revocation(void **state)
{
	struct login own;
	char body[512], path[128], id[37], pid[37];
	json_t *list;

	(void)state;
	xlogin_ok(&own, &srv, A, &owner);
#define AUTH_BODY(type, value, perm) "{\"subjectIdentifier\":{\"type\":\"" \
	type "\",\"value\":\"" value "\"},\"permission\":\"" perm "\"," \
	"\"description\":\"Samofakturowanie\",\"subjectDetails\":{" \
	"\"fullName\":\"Firma sp. z o.o.\"}}"
	assert_int_equal(operation(&srv, "POST",
		"/permissions/authorizations/grants", token_of(&own),
		AUTH_BODY("Nip", B, "SelfInvoicing")), 200);
	/* PEF invoicing is a Peppol provider's; nobody authorizes itself. */
	assert_int_equal(operation(&srv, "POST",
		"/permissions/authorizations/grants", token_of(&own),
		AUTH_BODY("Nip", B, "PefInvoicing")), 450);
	assert_int_equal(operation(&srv, "POST",
		"/permissions/authorizations/grants", token_of(&own),
		AUTH_BODY("Nip", A, "RRInvoicing")), 450);
	list = query(&srv, "POST", "/permissions/query/authorizations/grants",
		     NULL, token_of(&own), "{\"queryType\":\"Granted\"}");
	assert_int_equal(json_array_size(items(list, "authorizationGrants")),
			 1);
	snprintf(id, sizeof(id), "%.36s", json_string_value(json_object_get(
		json_array_get(items(list, "authorizationGrants"), 0), "id")));
	json_decref(list);
	/* The common revocation refuses it (450), its own takes it. */
	snprintf(path, sizeof(path), "/permissions/common/grants/%.40s", id);
	assert_int_equal(operation(&srv, "DELETE", path, token_of(&own), NULL),
			 450);
	snprintf(path, sizeof(path), "/permissions/authorizations/grants/%s",
		 id);
	assert_int_equal(operation(&srv, "DELETE", path, token_of(&own), NULL),
			 200);
	/* And the other way round. */
	assert_int_equal(grant_person(token_of(&own), "Pesel", "66060612345",
				      "\"InvoiceRead\""), 200);
	assert_true(grant_id(token_of(&own), "Pesel", "66060612345",
			     "InvoiceRead", pid));
	snprintf(path, sizeof(path), "/permissions/authorizations/grants/%s",
		 pid);
	assert_int_equal(operation(&srv, "DELETE", path, token_of(&own), NULL),
			 450);
	snprintf(body, sizeof(body), "%s", pid);
	assert_int_equal(revoke(token_of(&own), body), 200);
	logout(&own);
}

/* NIP "-" four digits and the check digit of POST
 * /permissions/subunits/grants. */
static void internal_id(char out[17], const char *nip, const char *four)
{
	unsigned sum = 0;
	int i, k = 0;
	char all[15];

	snprintf(all, sizeof(all), "%s%s", nip, four);
	for (i = 0; i < 14; i++, k++)
		sum += (unsigned)(all[i] - '0') * (k % 2 ? 3u : 1u);
	snprintf(out, 17, "%.10s-%.4s%u", nip, four, sum % 10);
}

static int grant_subunit(const char *bearer, const char *ctx_type,
			 const char *ctx, const char *name_json)
{
	char body[1024];

	snprintf(body, sizeof(body), "{\"subjectIdentifier\":{\"type\":"
		 "\"Pesel\",\"value\":\"77070712345\"},\"contextIdentifier\":{"
		 "\"type\":\"%s\",\"value\":\"%s\"},%s\"description\":"
		 "\"Administrator oddziału\",\"subjectDetails\":{"
		 "\"subjectDetailsType\":\"PersonByIdentifier\",\"personById\":"
		 "{\"firstName\":\"Jan\",\"lastName\":\"Nowak\"}}}", ctx_type,
		 ctx, name_json);
	return operation(&srv, "POST", "/permissions/subunits/grants", bearer,
			 body);
}

static void a_subunit_administrator_works_in_its_subunit(void **state)
{
	struct login own, sub, worker, admin;
	struct who s, t, m;
	struct raw_response r;
	char unit[17], other[17], bad[17], id[37], path[128];
	json_t *list, *e;

	(void)state;
	who_make(&s, WHO_PESEL, "77070712345");
	who_make(&t, WHO_PESEL, "55050512345");
	who_make(&m, WHO_PERSON_NIP, C);
	internal_id(unit, A, "0001");
	internal_id(other, B, "0001");
	snprintf(bad, sizeof(bad), "%s", unit);
	bad[15] = bad[15] == '9' ? '0' : (char)(bad[15] + 1);
	xlogin_ok(&own, &srv, A, &owner);
	/* A wrong check digit and a missing subunitName are malformed. */
	call(&r, &srv, "POST", "/permissions/subunits/grants", token_of(&own),
	     "{\"subjectIdentifier\":{\"type\":\"Pesel\",\"value\":"
	     "\"77070712345\"},\"contextIdentifier\":{\"type\":\"InternalId\","
	     "\"value\":\"%s\"},\"subunitName\":\"Oddział\",\"description\":"
	     "\"Administrator\",\"subjectDetails\":{\"subjectDetailsType\":"
	     "\"PersonByIdentifier\",\"personById\":{\"firstName\":\"Jan\","
	     "\"lastName\":\"Nowak\"}}}", bad);
	assert_int_equal(r.status, 400);
	assert_int_equal(raw_error_code(&r), 21405);
	raw_free(&r);
	call(&r, &srv, "POST", "/permissions/subunits/grants", token_of(&own),
	     "{\"subjectIdentifier\":{\"type\":\"Pesel\",\"value\":"
	     "\"77070712345\"},\"contextIdentifier\":{\"type\":\"InternalId\","
	     "\"value\":\"%s\"},\"description\":\"Administrator\","
	     "\"subjectDetails\":{\"subjectDetailsType\":"
	     "\"PersonByIdentifier\",\"personById\":{\"firstName\":\"Jan\","
	     "\"lastName\":\"Nowak\"}}}", unit);
	assert_int_equal(r.status, 400);
	raw_free(&r);
	/* Another entity's unit (410); a NIP member without a group (430). */
	assert_int_equal(grant_subunit(token_of(&own), "InternalId", other,
		"\"subunitName\":\"Oddział obcy\","), 410);
	assert_int_equal(grant_subunit(token_of(&own), "Nip", B, ""), 430);
	assert_int_equal(grant_subunit(token_of(&own), "InternalId", unit,
		"\"subunitName\":\"Oddział w Gdańsku\","), 200);

	/* The administrator manages its unit's people. */
	assert_int_equal(xlogin(&sub, &srv, KSEF_CONTEXT_INTERNAL_ID, unit,
				&s), 200);
	assert_int_equal(grant_person(token_of(&sub), "Pesel", "55050512345",
				      "\"InvoiceWrite\""), 200);
	assert_int_equal(xlogin(&worker, &srv, KSEF_CONTEXT_INTERNAL_ID, unit,
				&t), 200);
	assert_int_equal(sessions_status(token_of(&worker)), 200);
	logout(&worker);
	/* ... and not the parent's. */
	assert_int_equal(xlogin(&worker, &srv, KSEF_CONTEXT_NIP, A, &t), 415);
	logout(&worker);

	list = query(&srv, "POST", "/permissions/query/subunits/grants", NULL,
		     token_of(&own), NULL);
	e = find(items(list, "permissions"), "subunitName",
		 "Oddział w Gdańsku");
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		e, "subunitIdentifier"), "value")), unit);
	snprintf(id, sizeof(id), "%.36s", json_string_value(json_object_get(e,
		"id")));
	json_decref(list);
	/* CredentialsManage alone cannot revoke an administrator of a
	 * subunit (420); SubunitManage can. */
	assert_int_equal(grant_person(token_of(&own), "Nip", C,
				      "\"CredentialsManage\""), 200);
	xlogin_ok(&admin, &srv, A, &m);
	snprintf(path, sizeof(path), "/permissions/common/grants/%.40s", id);
	assert_int_equal(operation(&srv, "DELETE", path, token_of(&admin),
				   NULL), 420);
	assert_int_equal(operation(&srv, "DELETE", path, token_of(&own),
				   NULL), 200);
	assert_int_equal(xlogin(&worker, &srv, KSEF_CONTEXT_INTERNAL_ID, unit,
				&s), 415);
	logout(&worker);
	logout(&admin);
	logout(&sub);
	logout(&own);
	who_free(&s);
	who_free(&t);
	who_free(&m);
}

/* 400/21405 for a body its schema refuses. */
static void refused(const char *bearer, const char *path, const char *body)
{
	struct raw_response r;

	call(&r, &srv, "POST", path, bearer, "%s", body);
	if (r.status != 400 || raw_error_code(&r) != 21405)
		fail_msg("%s %s: %ld %s", path, body, r.status, r.body);
	raw_free(&r);
}

static void malformed_requests_are_400_21405(void **state)
{
	static const char *const p = "/permissions/persons/grants";
	char text[2048], body[3072];
	struct raw_response r;
	struct login own, other;
	struct who o;
	size_t i;

	(void)state;
	xlogin_ok(&own, &srv, A, &owner);
	refused(token_of(&own), p, "[]");
	refused(token_of(&own), p, "{\"subjectIdentifier\":{\"type\":\"Pesel\","
		"\"value\":\"1\"},\"permissions\":[\"InvoiceRead\"],"
		"\"description\":\"Opis uprawnienia\"}");
	/* A bad NIP, an unknown permission, one twice, none, no details. */
	refused(token_of(&own), p, person_body("Nip", "0123456789",
					       "\"InvoiceRead\""));
	refused(token_of(&own), p, person_body("Pesel", "90010112345",
					       "\"Owner\""));
	refused(token_of(&own), p, person_body("Pesel", "90010112345",
		"\"InvoiceRead\",\"InvoiceRead\""));
	refused(token_of(&own), p, person_body("Pesel", "90010112345", ""));
	refused(token_of(&own), p, "{\"subjectIdentifier\":{\"type\":\"Pesel\","
		"\"value\":\"90010112345\"},\"permissions\":[\"InvoiceRead\"],"
		"\"description\":\"Opis uprawnienia\"}");
	/* A fingerprint is a person "by fingerprint". */
	refused(token_of(&own), p, person_body("Fingerprint",
		"CEB3643BAC2C111ADDE971BDA5A80163441867D65389FC0BC0DFF8B4C1"
		"CD4E59",
		"\"InvoiceRead\""));
	/* description: 5 to 256 characters, counted as characters (each
	 * "ą" is two bytes of UTF-8). */
	for (i = 0; i < 256; i++)
		memcpy(text + 2 * i, "ą", 2);
	text[2 * 256] = '\0';
	snprintf(body, sizeof(body), "{\"subjectIdentifier\":{\"type\":"
		 "\"Pesel\",\"value\":\"90010112345\"},\"permissions\":["
		 "\"InvoiceRead\"],\"description\":\"%s\",\"subjectDetails\":{"
		 "\"subjectDetailsType\":\"PersonByIdentifier\",\"personById\":"
		 "{\"firstName\":\"Adam\",\"lastName\":\"Abacki\"}}}", text);
	assert_int_equal(operation(&srv, "POST", p, token_of(&own), body), 200);
	memcpy(text + 2 * 256, "ą", 3);      /* 257, and the NUL */
	snprintf(body, sizeof(body), "{\"subjectIdentifier\":{\"type\":"
		 "\"Pesel\",\"value\":\"90010112345\"},\"permissions\":["
		 "\"InvoiceRead\"],\"description\":\"%s\",\"subjectDetails\":{"
		 "\"subjectDetailsType\":\"PersonByIdentifier\",\"personById\":"
		 "{\"firstName\":\"Adam\",\"lastName\":\"Abacki\"}}}", text);
	refused(token_of(&own), p, body);
	refused(token_of(&own), p, "{\"subjectIdentifier\":{\"type\":\"Pesel\","
		"\"value\":\"90010112345\"},\"permissions\":[\"InvoiceRead\"],"
		"\"description\":\"Opis\",\"subjectDetails\":{"
		"\"subjectDetailsType\":\"PersonByIdentifier\",\"personById\":"
		"{\"firstName\":\"Adam\",\"lastName\":\"Abacki\"}}}");
	/* A permissionId has 36 characters; a reference too. */
	call(&r, &srv, "DELETE", "/permissions/common/grants/abc",
	     token_of(&own), NULL);
	assert_int_equal(r.status, 400);
	assert_int_equal(raw_error_code(&r), 21405);
	raw_free(&r);
	call(&r, &srv, "GET", "/permissions/operations/20250101-EG-0000",
	     token_of(&own), NULL);
	assert_int_equal(r.status, 400);
	raw_free(&r);
	/* An id nobody granted: the revocation fails (400). */
	assert_int_equal(revoke(token_of(&own),
		"0c9a72e8-f344-457f-9c16-7c640eb60242"), 400);
	/* Paging: pageSize 10 to 100, pageOffset from 0. */
	call(&r, &srv, "POST", "/permissions/query/persons/grants?pageSize=9",
	     token_of(&own), "{\"queryType\":\"PermissionsInCurrentContext\"}");
	assert_int_equal(r.status, 400);
	raw_free(&r);
	call(&r, &srv, "POST",
	     "/permissions/query/persons/grants?pageOffset=-1", token_of(&own),
	     "{\"queryType\":\"PermissionsInCurrentContext\"}");
	assert_int_equal(r.status, 400);
	raw_free(&r);
	refused(token_of(&own), "/permissions/query/persons/grants", "{}");

	/* Another context's operation is none of this caller's. */
	{
		char ref[37], path[128];

		call(&r, &srv, "POST", p, token_of(&own), "%s",
		     person_body("Pesel", "90010112345", "\"InvoiceRead\""));
		accepted(&r, ref);
		raw_free(&r);
		who_make(&o, WHO_SEAL, C);
		xlogin_ok(&other, &srv, C, &o);
		snprintf(path, sizeof(path), "/permissions/operations/%s", ref);
		call(&r, &srv, "GET", path, token_of(&other), NULL);
		assert_int_equal(r.status, 400);
		assert_int_equal(raw_error_code(&r), 21405);
		raw_free(&r);
		logout(&other);
		who_free(&o);
	}
	logout(&own);
}

static void pages_follow_page_offset_and_page_size(void **state)
{
	struct login own;
	char pesel[16];
	json_t *list;
	int i;

	(void)state;
	{
		struct who o;

		who_make(&o, WHO_SEAL, C);
		xlogin_ok(&own, &srv, C, &o);
		who_free(&o);
	}
	for (i = 0; i < 12; i++) {
		snprintf(pesel, sizeof(pesel), "880808123%02d", i);
		assert_int_equal(grant_person(token_of(&own), "Pesel", pesel,
					      "\"InvoiceRead\""), 200);
	}
	list = query(&srv, "POST", "/permissions/query/persons/grants",
		     "?pageOffset=0&pageSize=10", token_of(&own),
		     "{\"queryType\":\"PermissionsInCurrentContext\"}");
	assert_int_equal(json_array_size(items(list, "permissions")), 10);
	assert_true(json_is_true(json_object_get(list, "hasMore")));
	json_decref(list);
	list = query(&srv, "POST", "/permissions/query/persons/grants",
		     "?pageOffset=1&pageSize=10", token_of(&own),
		     "{\"queryType\":\"PermissionsInCurrentContext\"}");
	assert_int_equal(json_array_size(items(list, "permissions")), 2);
	assert_false(json_is_true(json_object_get(list, "hasMore")));
	json_decref(list);
	logout(&own);
}

static void test_data_grants_as_the_system_and_revokes(void **state)
{
	struct raw_response r;
	struct login l, own;
	struct who p;
	json_t *list, *e;

	(void)state;
	who_make(&p, WHO_PESEL, "38092277125");
	call(&r, &srv, "POST", "/testdata/permissions", NULL,
	     "{\"contextIdentifier\":{\"value\":\"" A "\",\"type\":\"nip\"},"
	     "\"authorizedIdentifier\":{\"value\":\"38092277125\",\"type\":"
	     "\"pesel\"},\"permissions\":[{\"permissionType\":\"InvoiceWrite\","
	     "\"description\":\"praca w kontekście " A "\"},{"
	     "\"permissionType\":\"CredentialsRead\",\"description\":"
	     "\"praca w kontekście " A "\"}]}");
	assert_int_equal(r.status, 200);
	raw_free(&r);
	xlogin_ok(&l, &srv, A, &p);
	assert_int_equal(sessions_status(token_of(&l)), 200);
	logout(&l);
	/* ZAW-FA's grants have the system for their author. */
	xlogin_ok(&own, &srv, A, &owner);
	list = query(&srv, "POST", "/permissions/query/persons/grants", NULL,
		     token_of(&own), "{\"queryType\":"
		     "\"PermissionsInCurrentContext\",\"authorIdentifier\":{"
		     "\"type\":\"System\"},\"authorizedIdentifier\":{\"type\":"
		     "\"Pesel\",\"value\":\"38092277125\"}}");
	assert_int_equal(json_array_size(items(list, "permissions")), 2);
	e = json_array_get(items(list, "permissions"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		e, "authorIdentifier"), "type")), "System");
	assert_null(json_object_get(json_object_get(e, "authorIdentifier"),
				    "value"));
	json_decref(list);
	logout(&own);
	call(&r, &srv, "POST", "/testdata/permissions", NULL,
	     "{\"contextIdentifier\":{\"value\":\"" A "\",\"type\":\"Nip\"},"
	     "\"authorizedIdentifier\":{\"value\":\"38092277125\",\"type\":"
	     "\"Pesel\"},\"permissions\":[{\"permissionType\":\"Owner\","
	     "\"description\":\"Nieznane uprawnienie\"}]}");
	assert_int_equal(r.status, 400);
	assert_int_equal(raw_error_code(&r), 21405);
	raw_free(&r);
	call(&r, &srv, "POST", "/testdata/permissions/revoke", NULL,
	     "{\"contextIdentifier\":{\"value\":\"" A "\",\"type\":\"Nip\"},"
	     "\"authorizedIdentifier\":{\"value\":\"38092277125\",\"type\":"
	     "\"Pesel\"}}");
	assert_int_equal(r.status, 200);
	raw_free(&r);
	assert_int_equal(xlogin(&l, &srv, KSEF_CONTEXT_NIP, A, &p), 415);
	logout(&l);
	who_free(&p);
}

static void production_has_no_test_data(void **state)
{
	static const char *const extra[] = { "--profile", "production", NULL };
	struct ksefd_proc prd;
	struct raw_response r;

	(void)state;
	memset(&prd, 0, sizeof(prd));
	ksefd_start(&prd, NULL, extra);
	call(&r, &prd, "POST", "/testdata/permissions", NULL,
	     "{\"contextIdentifier\":{\"value\":\"" A "\",\"type\":\"Nip\"},"
	     "\"authorizedIdentifier\":{\"value\":\"" B "\",\"type\":\"Nip\"},"
	     "\"permissions\":[]}");
	assert_int_equal(r.status, 404);
	raw_free(&r);
	call(&r, &prd, "POST", "/testdata/permissions/revoke", NULL, "{}");
	assert_int_equal(r.status, 404);
	raw_free(&r);
	assert_int_equal(ksefd_stop(&prd), 0);
	ksefd_cleanup(&prd);
}

static void ksefd_grant_writes_the_same_store(void **state)
{
	struct login own, l;
	struct who p;
	char out[256], id[37];

	(void)state;
	who_make(&p, WHO_PESEL, "60060612345");
	assert_int_equal(ksefd_command(&srv, "grant --nip " A
		" --subject-pesel 60060612345 --permissions InvoiceWrite", out,
		sizeof(out)), 0);
	xlogin_ok(&l, &srv, A, &p);
	logout(&l);
	/* The API sees it, made by the system, and revokes it. */
	xlogin_ok(&own, &srv, A, &owner);
	assert_true(grant_id(token_of(&own), "Pesel", "60060612345",
			     "InvoiceWrite", id));
	assert_int_equal(revoke(token_of(&own), id), 200);
	assert_int_equal(xlogin(&l, &srv, KSEF_CONTEXT_NIP, A, &p), 415);
	logout(&l);
	/* What the API grants, `ksefd grant revoke` withdraws. */
	assert_int_equal(grant_person(token_of(&own), "Pesel", "60060612345",
				      "\"InvoiceRead\""), 200);
	assert_int_equal(ksefd_command(&srv, "grant revoke --nip " A
		" --subject-pesel 60060612345", out, sizeof(out)), 0);
	assert_int_equal(xlogin(&l, &srv, KSEF_CONTEXT_NIP, A, &p), 415);
	logout(&l);
	logout(&own);
	who_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		   a_colleague_logs_in_with_its_grants_until_they_are_revoked),
		cmocka_unit_test(
		   only_credentials_manage_grants_and_admins_appoint_others),
		cmocka_unit_test(
			delegation_passes_on_only_what_can_be_delegated),
		cmocka_unit_test(
			entity_authorizations_have_their_own_revocation),
		cmocka_unit_test(a_subunit_administrator_works_in_its_subunit),
		cmocka_unit_test(malformed_requests_are_400_21405),
		cmocka_unit_test(pages_follow_page_offset_and_page_size),
		cmocka_unit_test(test_data_grants_as_the_system_and_revokes),
		cmocka_unit_test(production_has_no_test_data),
		cmocka_unit_test(ksefd_grant_writes_the_same_store),
	};

	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	return cmocka_run_group_tests(tests, setup, teardown);
}
