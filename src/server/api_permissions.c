/*
 * api_permissions.c - the tag "Nadawanie uprawnień" (uprawnienia.md,
 * open-api.json): grants to persons, entities, authorizations (entity
 * permissions such as self-invoicing), indirect grants, subunit and EU
 * entity administrators and EU entity representatives; and, on the TEST
 * profile, POST /testdata/permissions and /testdata/permissions/revoke.
 *
 * A grant is an asynchronous operation on KSeF: the 202 carries its
 * reference number, and GET /permissions/operations/{ref} tells how it
 * ended. Here it ends at once: the body is checked against its schema
 * (400/21405), then the rules of uprawnienia.md decide, and the grant is
 * stored with its operation in one transaction (200), or only the
 * operation with the status that says why not (410, 430, 440, 450). Who
 * may call each operation at all is the route table's (403 from the
 * access token's permissions, router.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_permissions.h"
#include "errors.h"
#include "http.h"
#include "permissions.h"

/* The most scopes one grant names: every one of PersonPermissionType. */
#define GRANT_MAX 8

/* A grant's parsed body: the grantee, the scopes, the description and
 * what the queries will show of the grantee. */
struct grant {
	struct perm_caller c;
	struct perm_id who;
	const char *scopes[GRANT_MAX];
	int delegate[GRANT_MAX];
	size_t n;
	const char *description;
	json_t *details;          /* owned */
	store_permission rows[GRANT_MAX];
	int status;               /* of the operation: 200 unless refused */
	char why[256];            /* the detail of a refusal */
};

static void refuse(struct grant *g, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refuse(struct grant *g, int status, const char *fmt, ...)
{
	va_list ap;

	if (g->status != 200)
		return;            /* the first reason found stands */
	g->status = status;
	va_start(ap, fmt);
	vsnprintf(g->why, sizeof(g->why), fmt, ap);
	va_end(ap);
}

/*
 * The members every grant has: subjectIdentifier of the types given, a
 * description of 5 to 256 characters and the subjectDetails of `kind`;
 * then the caller. 0, or -1 after answering.
 */
static int grant_read(struct request *req, json_t *body, struct grant *g,
		      unsigned types, enum perm_details_kind kind)
{
	int failed = 0;

	g->status = 200;
	g->details = json_object();
	if (perm_ident(req, body, "subjectIdentifier", types, 1, &g->who) < 0)
		return -1;
	g->description = perm_text(req, body, "", "description", 5, 256, 1,
				   &failed);
	if (failed || perm_subject_details(req, body, kind, &g->who,
					   g->details) != 0)
		return -1;
	return perm_caller_load(req, &g->c);
}

/* One row per scope, of `kind`, in the caller's context; 0 or -1. */
static int grant_rows(struct request *req, struct grant *g, int kind)
{
	int64_t now = server_now_ms();
	size_t i;

	for (i = 0; i < g->n; i++) {
		perm_row_init(&g->rows[i], kind, &g->c, &g->who,
			      g->description, now);
		snprintf(g->rows[i].scope, sizeof(g->rows[i].scope), "%s",
			 g->scopes[i]);
		g->rows[i].can_delegate = g->delegate[i];
	}
	return perm_rows_details(req, g->rows, g->n, g->details);
}

/* Whether the context's entity has one of the roles; -1 after answering
 * 500. */
static int context_has_role(struct request *req, const char *nip,
			    const char *roles)
{
	ksef_error err;
	int yes;

	if (permissions_has_role(req->srv->store, nip, roles, &yes,
				 &err) != 0) {
		errors_internal(req, &err);
		return -1;
	}
	return yes;
}

static void grant_done(struct request *req, struct grant *g, json_t *body)
{
	if (!req->responded)
		perm_operation(req, &g->c, g->rows, g->n, g->status,
			       g->status == 200 ? NULL : g->why);
	json_decref(g->details);
	json_decref(body);
}

/* ---- POST /permissions/persons/grants ---- */

static const char *const person_scopes[] = {
	"CredentialsManage", "CredentialsRead", "InvoiceWrite", "InvoiceRead",
	"Introspection", "SubunitManage", "EnforcementOperations", NULL,
};

void api_perm_grant_persons(struct request *req)
{
	struct grant g;
	json_t *body;
	size_t i;
	int role;

	memset(&g, 0, sizeof(g));
	if ((body = api_body_object(req)) == NULL)
		return;
	if (perm_names(req, body, "permissions", person_scopes, 0, g.scopes,
		       g.delegate, GRANT_MAX, &g.n) != 0 ||
	    grant_read(req, body, &g, PERM_ID_NIP | PERM_ID_PESEL |
		       PERM_ID_FINGERPRINT, PERM_DETAILS_PERSON) != 0 ||
	    grant_rows(req, &g, STORE_PERM_PERSON) != 0)
		goto out;
	/* "EnforcementOperations może być nadane wyłącznie wtedy, gdy
	 * podmiot kontekstu ma rolę EnforcementAuthority lub CourtBailiff." */
	for (i = 0; i < g.n; i++) {
		if (strcmp(g.scopes[i], "EnforcementOperations") != 0)
			continue;
		role = strcmp(g.c.ctx_type, "Nip") == 0 ?
			context_has_role(req, g.c.ctx_value,
				"EnforcementAuthority,CourtBailiff") : 0;
		if (role < 0)
			goto out;
		if (!role)
			refuse(&g, 430, "Uprawnienie EnforcementOperations "
			       "może być nadane tylko w kontekście organu "
			       "egzekucyjnego lub komornika sądowego.");
	}
out:
	grant_done(req, &g, body);
}

/* ---- POST /permissions/entities/grants ---- */

static const char *const invoice_scopes[] = { "InvoiceWrite", "InvoiceRead",
					      NULL };

/* The caller's context must be an entity's own: Nip or InternalId. */
static void need_entity_context(struct grant *g)
{
	if (strcmp(g->c.ctx_type, "Nip") != 0 &&
	    strcmp(g->c.ctx_type, "InternalId") != 0)
		refuse(g, 430, "Operacja jest dostępna w kontekście typu Nip "
		       "lub InternalId, nie %s.", g->c.ctx_type);
}

void api_perm_grant_entities(struct request *req)
{
	struct grant g;
	json_t *body;

	memset(&g, 0, sizeof(g));
	if ((body = api_body_object(req)) == NULL)
		return;
	if (perm_names(req, body, "permissions", invoice_scopes, 1, g.scopes,
		       g.delegate, GRANT_MAX, &g.n) != 0 ||
	    grant_read(req, body, &g, PERM_ID_NIP, PERM_DETAILS_ENTITY) != 0 ||
	    grant_rows(req, &g, STORE_PERM_ENTITY) != 0)
		goto out;
	need_entity_context(&g);
	if (strncmp(g.who.value, g.c.ctx_value, 10) == 0)
		refuse(&g, 450, "Podmiot %s jest podmiotem bieżącego "
		       "kontekstu.", g.who.value);
out:
	grant_done(req, &g, body);
}

/* ---- POST /permissions/authorizations/grants ---- */

static const char *const authorization_scopes[] = {
	"SelfInvoicing", "RRInvoicing", "TaxRepresentative", "PefInvoicing",
	NULL,
};

void api_perm_grant_authorizations(struct request *req)
{
	struct grant g;
	json_t *body, *one;
	int pef;

	memset(&g, 0, sizeof(g));
	if ((body = api_body_object(req)) == NULL)
		return;
	/* One permission, not a list: read it as a list of one. */
	one = json_pack("{s:[O]}", "permission", json_object_get(body,
		"permission") ? json_object_get(body, "permission") :
		json_null());
	if (perm_names(req, one, "permission", authorization_scopes, 0,
		       g.scopes, g.delegate, 1, &g.n) != 0) {
		json_decref(one);
		goto out;
	}
	json_decref(one);
	if (grant_read(req, body, &g, PERM_ID_NIP | PERM_ID_PEPPOL_ID,
		       PERM_DETAILS_ENTITY) != 0 ||
	    grant_rows(req, &g, STORE_PERM_AUTHORIZATION) != 0)
		goto out;
	if (strcmp(g.c.ctx_type, "Nip") != 0)
		refuse(&g, 430, "Uprawnienia podmiotowe nadaje podmiot w "
		       "kontekście typu Nip.");
	/* PEF invoicing is a Peppol provider's; the others an entity's
	 * (EntityAuthorizationPermissionsSubjectIdentifier). */
	pef = strcmp(g.scopes[0], "PefInvoicing") == 0;
	if (pef != (strcmp(g.who.type, "PeppolId") == 0))
		refuse(&g, 450, "Uprawnienia %s nie można nadać podmiotowi "
		       "identyfikowanemu przez %s.", g.scopes[0], g.who.type);
	if (strcmp(g.who.value, g.c.ctx_value) == 0)
		refuse(&g, 450, "Podmiot %s jest podmiotem bieżącego "
		       "kontekstu.", g.who.value);
out:
	grant_done(req, &g, body);
}

/* ---- POST /permissions/indirect/grants ---- */

void api_perm_grant_indirect(struct request *req)
{
	struct grant g;
	struct perm_id target;
	json_t *body;
	size_t i;
	int rc, yes;
	ksef_error err;

	memset(&g, 0, sizeof(g));
	if ((body = api_body_object(req)) == NULL)
		return;
	if (perm_names(req, body, "permissions", invoice_scopes, 0, g.scopes,
		       g.delegate, GRANT_MAX, &g.n) != 0 ||
	    (rc = perm_ident(req, body, "targetIdentifier", PERM_ID_NIP |
			     PERM_ID_ALL_PARTNERS | PERM_ID_INTERNAL_ID, 0,
			     &target)) < 0 ||
	    grant_read(req, body, &g, PERM_ID_NIP | PERM_ID_PESEL |
		       PERM_ID_FINGERPRINT, PERM_DETAILS_PERSON) != 0)
		goto out;
	/* No target is a general grant: all the intermediary's clients. */
	if (rc == 0)
		snprintf(target.type, sizeof(target.type), "AllPartners");
	if (grant_rows(req, &g, STORE_PERM_INDIRECT) != 0)
		goto out;
	for (i = 0; i < g.n; i++) {
		snprintf(g.rows[i].ctx_type, sizeof(g.rows[i].ctx_type), "%s",
			 target.type);
		snprintf(g.rows[i].ctx_value, sizeof(g.rows[i].ctx_value), "%s",
			 target.value);
	}
	if (strcmp(g.c.ctx_type, "Nip") != 0) {
		refuse(&g, 430, "Uprawnienia w sposób pośredni nadaje "
		       "pośrednik w kontekście typu Nip.");
		goto out;
	}
	if (strcmp(target.type, "AllPartners") == 0)
		goto out;
	if (strncmp(target.value, g.c.ctx_value, 10) == 0) {
		refuse(&g, 410, "Podmiot docelowy %s jest podmiotem bieżącego "
		       "kontekstu.", target.value);
		goto out;
	}
	/* A selective grant passes on what the client gave the
	 * intermediary with canDelegate, scope by scope
	 * (uprawnienia.md: "może przekazać to uprawnienie dalej"). */
	for (i = 0; i < g.n; i++) {
		if (store_permission_delegable(req->srv->store, target.type,
					       target.value, g.c.ctx_value,
					       g.scopes[i], &yes, &err) != 0) {
			errors_internal(req, &err);
			goto out;
		}
		if (!yes)
			refuse(&g, 440, "Podmiot %s nie nadał podmiotowi %s "
			       "uprawnienia %s z prawem do dalszego "
			       "przekazywania (canDelegate).", target.value,
			       g.c.ctx_value, g.scopes[i]);
	}
out:
	grant_done(req, &g, body);
}

/* ---- POST /permissions/subunits/grants ---- */

/* The check digit of an InternalId (open-api.json, POST
 * /permissions/subunits/grants): weights 1, 3, 1, 3... over the NIP and
 * the first four digits, the sum mod 10. */
static int internal_id_checked(const char *v)
{
	int sum = 0, i, k = 0;

	for (i = 0; i < 15; i++) {
		if (v[i] == '-')
			continue;
		sum += (v[i] - '0') * (k % 2 ? 3 : 1);
		k++;
	}
	return sum % 10 == v[15] - '0';
}

/* A Nip subunit: the caller is a VAT group or a local government unit,
 * and the NIP one of its members. */
static int check_subordinate(struct request *req, struct grant *g,
			     const char *nip)
{
	store_entity *r = NULL;
	size_t n = 0;
	ksef_error err;
	int role;

	if ((role = context_has_role(req, g->c.ctx_value,
				     "LocalGovernmentUnit,VatGroupUnit")) < 0)
		return -1;
	if (!role) {
		refuse(g, 430, "Podmiot %s nie jest grupą VAT ani nadrzędną "
		       "jednostką samorządu terytorialnego.", g->c.ctx_value);
		return 0;
	}
	if (store_entity_subunits(req->srv->store, g->c.ctx_value, nip, 0, 1,
				  &r, &n, &err) != 0) {
		errors_internal(req, &err);
		return -1;
	}
	free(r);
	if (n == 0)
		refuse(g, 410, "Podmiot %s nie jest podmiotem podrzędnym "
		       "podmiotu %s.", nip, g->c.ctx_value);
	return 0;
}

void api_perm_grant_subunits(struct request *req)
{
	struct grant g;
	struct perm_id unit;
	const char *name;
	json_t *body;
	int failed = 0, internal;

	memset(&g, 0, sizeof(g));
	if ((body = api_body_object(req)) == NULL)
		return;
	if (perm_ident(req, body, "contextIdentifier", PERM_ID_INTERNAL_ID |
		       PERM_ID_NIP, 1, &unit) < 0)
		goto out;
	internal = strcmp(unit.type, "InternalId") == 0;
	if (internal && !internal_id_checked(unit.value)) {
		errors_reply(req, 400, 21405, "Identyfikator wewnętrzny %s ma "
			"nieprawidłową cyfrę kontrolną.", unit.value);
		goto out;
	}
	/* "W przypadku jednostki podrzędnej z identyfikatorem wewnętrznym
	 * pole jest wymagane." */
	name = perm_text(req, body, "", "subunitName", 5, 256, internal,
			 &failed);
	if (failed || grant_read(req, body, &g, PERM_ID_NIP | PERM_ID_PESEL |
				 PERM_ID_FINGERPRINT, PERM_DETAILS_PERSON) != 0)
		goto out;
	if (name != NULL)
		json_object_set_new(g.details, "subunitName",
				    json_string(name));
	/* The administrator's one permission, given without being named. */
	g.scopes[0] = "CredentialsManage";
	g.n = 1;
	if (grant_rows(req, &g, STORE_PERM_SUBUNIT) != 0)
		goto out;
	snprintf(g.rows[0].ctx_type, sizeof(g.rows[0].ctx_type), "%s",
		 unit.type);
	snprintf(g.rows[0].ctx_value, sizeof(g.rows[0].ctx_value), "%s",
		 unit.value);
	if (strcmp(g.c.ctx_type, "Nip") != 0)
		refuse(&g, 430, "Administratora jednostki podrzędnej nadaje "
		       "podmiot nadrzędny w kontekście typu Nip.");
	else if (internal && strncmp(unit.value, g.c.ctx_value, 10) != 0)
		refuse(&g, 410, "Identyfikator wewnętrzny %s nie należy do "
		       "podmiotu %s.", unit.value, g.c.ctx_value);
	else if (!internal)
		check_subordinate(req, &g, unit.value);
out:
	grant_done(req, &g, body);
}

/* ---- POST /permissions/eu-entities/administration/grants ---- */

/* The administrator's permissions, given without being named. */
static const char *const eu_admin_scopes[] = {
	"VatUeManage", "InvoiceWrite", "InvoiceRead", "Introspection",
};

void api_perm_grant_eu_admin(struct request *req)
{
	struct grant g;
	struct perm_id vat;
	const char *eu_name, *full, *address;
	json_t *body, *eu;
	size_t i;
	int failed = 0;

	memset(&g, 0, sizeof(g));
	if ((body = api_body_object(req)) == NULL)
		return;
	if (perm_ident(req, body, "contextIdentifier", PERM_ID_NIP_VAT_UE, 1,
		       &vat) < 0)
		goto out;
	eu_name = perm_text(req, body, "", "euEntityName", 5, 256, 1, &failed);
	eu = json_object_get(body, "euEntityDetails");
	if (!failed && !json_is_object(eu)) {
		errors_reply(req, 400, 21405, "Pole 'euEntityDetails' jest "
			"wymagane.");
		goto out;
	}
	full = perm_text(req, eu, "euEntityDetails.", "fullName", 1, 100, 1,
			 &failed);
	address = perm_text(req, eu, "euEntityDetails.", "address", 1, 512, 1,
			    &failed);
	if (failed || grant_read(req, body, &g, PERM_ID_FINGERPRINT,
				 PERM_DETAILS_EU) != 0)
		goto out;
	json_object_set_new(g.details, "euEntityName", json_string(eu_name));
	json_object_set_new(g.details, "euEntityDetails", json_pack(
		"{s:s,s:s}", "fullName", full, "address", address));
	for (i = 0; i < sizeof(eu_admin_scopes) / sizeof(eu_admin_scopes[0]);
	     i++)
		g.scopes[g.n++] = eu_admin_scopes[i];
	if (grant_rows(req, &g, STORE_PERM_EU_ADMIN) != 0)
		goto out;
	for (i = 0; i < g.n; i++) {
		snprintf(g.rows[i].ctx_type, sizeof(g.rows[i].ctx_type),
			 "NipVatUe");
		snprintf(g.rows[i].ctx_value, sizeof(g.rows[i].ctx_value),
			 "%s", vat.value);
	}
	/* The composite context joins the caller's NIP with the EU
	 * entity's number. */
	if (strcmp(g.c.ctx_type, "Nip") != 0)
		refuse(&g, 430, "Administratora podmiotu unijnego nadaje "
		       "podmiot polski w kontekście typu Nip.");
	else if (strncmp(vat.value, g.c.ctx_value, 10) != 0)
		refuse(&g, 410, "Kontekst złożony %s nie zaczyna się od NIP "
		       "podmiotu %s.", vat.value, g.c.ctx_value);
out:
	grant_done(req, &g, body);
}

/* ---- POST /permissions/eu-entities/grants ---- */

/* The EU entity's name and details, as its administrator's grant has
 * them, onto a representative's (EuEntityPermission requires the name).
 * 0, or -1 after answering 500. */
static int copy_eu_entity(struct request *req, struct grant *g)
{
	store_perm_query q;
	store_permission *admin = NULL;
	size_t n = 0;
	json_t *d, *v;
	ksef_error err;

	memset(&q, 0, sizeof(q));
	q.ctx_type = g->c.ctx_type;
	q.ctx_value = g->c.ctx_value;
	q.kinds = STORE_PERM_BIT(STORE_PERM_EU_ADMIN);
	q.limit = 1;
	if (store_permissions_query(req->srv->store, STORE_PERMS_EU, &q,
				    &admin, &n, &err) != 0) {
		errors_internal(req, &err);
		return -1;
	}
	d = n ? json_loads(admin[0].details, 0, NULL) : NULL;
	if ((v = json_object_get(d, "euEntityName")) != NULL)
		json_object_set(g->details, "euEntityName", v);
	if ((v = json_object_get(d, "euEntityDetails")) != NULL)
		json_object_set(g->details, "euEntityDetails", v);
	json_decref(d);
	free(admin);
	return 0;
}

void api_perm_grant_eu_rep(struct request *req)
{
	struct grant g;
	json_t *body;

	memset(&g, 0, sizeof(g));
	if ((body = api_body_object(req)) == NULL)
		return;
	if (perm_names(req, body, "permissions", invoice_scopes, 0, g.scopes,
		       g.delegate, GRANT_MAX, &g.n) != 0 ||
	    grant_read(req, body, &g, PERM_ID_FINGERPRINT,
		       PERM_DETAILS_EU) != 0 ||
	    copy_eu_entity(req, &g) != 0 ||
	    grant_rows(req, &g, STORE_PERM_EU_REP) != 0)
		goto out;
	if (strcmp(g.c.ctx_type, "NipVatUe") != 0)
		refuse(&g, 430, "Reprezentanta podmiotu unijnego nadaje jego "
		       "administrator w kontekście typu NipVatUe.");
out:
	grant_done(req, &g, body);
}

/* ---- POST /testdata/permissions, /testdata/permissions/revoke ---- */

/* On the production profile the test data does not exist: its paths are
 * as unknown as on KSeF PRD. Returns 1 after answering 404. */
static int test_only(struct request *req)
{
	if (!req->srv->cfg.production)
		return 0;
	errors_no_route(req, 404);
	return 1;
}

static const char *const testdata_scopes[] = {
	"InvoiceRead", "InvoiceWrite", "Introspection", "CredentialsRead",
	"CredentialsManage", "EnforcementOperations", "SubunitManage", NULL,
};

/*
 * What ZAW-FA, the paper form, grants on KSeF (dane-testowe-scenariusze.md,
 * scenario 3): direct grants in the NIP context, made by the system
 * (authorIdentifier "System"), each with its own description.
 */
void api_testdata_permissions(struct request *req)
{
	store_permission rows[GRANT_MAX];
	struct perm_id ctx, who;
	const char *desc[GRANT_MAX], *names[GRANT_MAX];
	json_t *body = NULL, *list, *e;
	size_t i, n = 0;
	int64_t now = server_now_ms();
	ksef_error err;
	int failed = 0;

	if (test_only(req) || (body = api_body_object(req)) == NULL)
		return;
	list = json_object_get(body, "permissions");
	if (perm_ident(req, body, "contextIdentifier", PERM_ID_NIP, 1,
		       &ctx) < 0 ||
	    perm_ident(req, body, "authorizedIdentifier", PERM_ID_NIP |
		       PERM_ID_PESEL | PERM_ID_FINGERPRINT, 1, &who) < 0)
		goto out;
	if (!json_is_array(list) || json_array_size(list) > GRANT_MAX - 1) {
		errors_reply(req, 400, 21405, "Pole 'permissions' musi być "
			"listą uprawnień.");
		goto out;
	}
	json_array_foreach(list, i, e) {
		json_t *one = json_pack("{s:[O]}", "permissionType",
			json_object_get(e, "permissionType") ?
			json_object_get(e, "permissionType") : json_null());
		size_t k, got = 0;

		if (perm_names(req, one, "permissionType", testdata_scopes, 0,
			       names + n, NULL, 1, &got) != 0) {
			json_decref(one);
			goto out;
		}
		json_decref(one);
		for (k = 0; k < n; k++)
			if (names[k] == names[n]) {
				errors_reply(req, 400, 21405, "Uprawnienie %s "
					"występuje więcej niż raz.", names[n]);
				goto out;
			}
		desc[n] = perm_text(req, e, "permissions[].", "description", 5,
				    256, 1, &failed);
		if (failed)
			goto out;
		n++;
	}
	for (i = 0; i < n; i++) {
		memset(&rows[i], 0, sizeof(rows[i]));
		rows[i].kind = STORE_PERM_PERSON;
		snprintf(rows[i].ctx_type, sizeof(rows[i].ctx_type), "Nip");
		snprintf(rows[i].ctx_value, sizeof(rows[i].ctx_value), "%s",
			 ctx.value);
		snprintf(rows[i].grantor_type, sizeof(rows[i].grantor_type),
			 "Nip");
		snprintf(rows[i].grantor_value, sizeof(rows[i].grantor_value),
			 "%s", ctx.value);
		snprintf(rows[i].subject_type, sizeof(rows[i].subject_type),
			 "%s", who.type);
		snprintf(rows[i].subject_value, sizeof(rows[i].subject_value),
			 "%s", who.value);
		snprintf(rows[i].scope, sizeof(rows[i].scope), "%s", names[i]);
		snprintf(rows[i].description, sizeof(rows[i].description),
			 "%s", desc[i]);
		snprintf(rows[i].author_type, sizeof(rows[i].author_type),
			 "System");
		rows[i].start_ms = now;
	}
	if (store_permissions_grant(req->srv->store, rows, n, NULL,
				    &err) != 0) {
		errors_internal(req, &err);
		goto out;
	}
	http_reply_empty(req, 200);
out:
	json_decref(body);
}

/* Every grant the subject holds in the NIP context, whoever made it. */
void api_testdata_permissions_revoke(struct request *req)
{
	struct perm_id ctx, who;
	json_t *body;
	ksef_error err;

	if (test_only(req) || (body = api_body_object(req)) == NULL)
		return;
	if (perm_ident(req, body, "contextIdentifier", PERM_ID_NIP, 1,
		       &ctx) < 0 ||
	    perm_ident(req, body, "authorizedIdentifier", PERM_ID_NIP |
		       PERM_ID_PESEL | PERM_ID_FINGERPRINT, 1, &who) < 0)
		goto out;
	if (store_permissions_revoke_subject(req->srv->store, "Nip", ctx.value,
					     who.type, who.value, 0, NULL,
					     &err) != 0) {
		errors_internal(req, &err);
		goto out;
	}
	http_reply_empty(req, 200);
out:
	json_decref(body);
}
