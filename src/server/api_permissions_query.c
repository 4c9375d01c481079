/*
 * api_permissions_query.c - the tag "Wyszukiwanie nadanych uprawnień"
 * (uprawnienia.md): the caller's own permissions, those of persons and
 * entities in its context, of subunit administrators, those its entity
 * received, its entity's roles and its subordinate entities, entity
 * permissions (self-invoicing and the others) granted and received, and
 * EU entities' administrators and representatives.
 *
 * Each list is one page: pageOffset (a page number from 0) and pageSize
 * (10 to 100), sorted newest first and then by id as open-api.json says,
 * with hasMore when another page follows. Which rows a list holds is the
 * store's statement (store_schema.c); here the filters of each request
 * are checked against their schema and mapped onto the rows' columns,
 * and each row is written in its list's item schema.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api_permissions.h"
#include "errors.h"
#include "http.h"

/* ---- reading a query ---- */

/* A list body: its schemas require nothing at top level (but queryType),
 * so an empty body is an empty filter. */
static json_t *query_body(struct request *req)
{
	if (req->body.size == 0)
		return json_object();
	return api_body_object(req);
}

/* permissionTypes as ",A,B," into buf (*out NULL when absent, null or
 * empty: no filter); each name one of `allowed`. 0, or -1 after
 * answering 21405. */
static int scope_filter(struct request *req, json_t *body,
			const char *const *allowed, char *buf, size_t size,
			const char **out)
{
	json_t *a = json_object_get(body, "permissionTypes"), *e;
	char one[STORE_PERM_SCOPE_SZ + 2];
	size_t i, j;

	*out = NULL;
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > 16) {
		errors_reply(req, 400, 21405, "Pole 'permissionTypes' musi być "
			"listą rodzajów uprawnień.");
		return -1;
	}
	snprintf(buf, size, ",");
	json_array_foreach(a, i, e) {
		for (j = 0; allowed[j] != NULL; j++)
			if (json_is_string(e) &&
			    strcasecmp(json_string_value(e), allowed[j]) == 0)
				break;
		if (allowed[j] == NULL) {
			errors_reply(req, 400, 21405, "Nieznany rodzaj "
				"uprawnienia w polu 'permissionTypes'.");
			return -1;
		}
		/* Each name once: the list then holds at most every name
		 * of `allowed`, which buf is sized for. */
		snprintf(one, sizeof(one), ",%s,", allowed[j]);
		if (strstr(buf, one) != NULL ||
		    strlen(buf) + strlen(allowed[j]) + 2 > size)
			continue;
		strcat(buf, allowed[j]);
		strcat(buf, ",");
	}
	if (json_array_size(a) > 0)
		*out = buf;
	return 0;
}

/* permissionState: 0 (none), 1 Active, 2 Inactive, or -1 answered. */
static int state_filter(struct request *req, json_t *body)
{
	json_t *s = json_object_get(body, "permissionState");

	if (s == NULL || json_is_null(s))
		return 0;
	if (json_is_string(s) && strcasecmp(json_string_value(s),
					    "Active") == 0)
		return 1;
	if (json_is_string(s) && strcasecmp(json_string_value(s),
					    "Inactive") == 0)
		return 2;
	errors_reply(req, 400, 21405, "Pole 'permissionState' musi mieć "
		"wartość Active lub Inactive.");
	return -1;
}

/* An enum member of body; its index in names, or -1 after answering. */
static int enum_member(struct request *req, json_t *body, const char *name,
		       const char *const *names)
{
	json_t *v = json_object_get(body, name);
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (json_is_string(v) &&
		    strcasecmp(json_string_value(v), names[i]) == 0)
			return i;
	errors_reply(req, 400, 21405, "Pole '%s' jest wymagane i musi mieć "
		"jedną z wartości %s, %s.", name, names[0], names[1]);
	return -1;
}

/* A page's query: the caller, the page, one more row than the page to
 * tell whether another follows. 0, or -1 after answering. */
static int query_start(struct request *req, struct perm_caller *c,
		       store_perm_query *q, size_t *page)
{
	size_t offset;

	memset(q, 0, sizeof(*q));
	if (perm_page(req, &offset, page) != 0 ||
	    perm_caller_load(req, c) != 0)
		return -1;
	q->ctx_type = c->ctx_type;
	q->ctx_value = c->ctx_value;
	q->subject_type = c->subject_type;
	q->subject_value = c->subject_value;
	q->owner = c->owner;
	q->offset = offset;
	q->limit = *page + 1;
	return 0;
}

/* ---- writing the items ---- */

/* {type, value}; a type without a value (AllPartners, System) alone. */
static json_t *ident(const char *type, const char *value)
{
	if (value == NULL || *value == '\0')
		return json_pack("{s:s}", "type", type);
	return json_pack("{s:s,s:s}", "type", type, "value", value);
}

/* The members of a row's details that an item's schema has. */
static void add_details(json_t *o, const store_permission *p,
			const char *const *members)
{
	json_t *d = json_loads(p->details, 0, NULL), *v;
	size_t i;

	for (i = 0; members[i] != NULL; i++)
		if ((v = json_object_get(d, members[i])) != NULL)
			json_object_set(o, members[i], v);
	json_decref(d);
}

static const char *const subject_members[] = { "subjectPersonDetails",
					       "subjectEntityDetails", NULL };

/* What every permission item has. */
static json_t *item(const store_permission *p, const char *scope_name)
{
	return json_pack("{s:s,s:s,s:s,s:o}", "id", p->id, scope_name,
			 p->scope, "description", p->description, "startDate",
			 api_time(p->start_ms));
}

static int is_nip_or_internal(const char *type)
{
	return strcmp(type, "Nip") == 0 || strcmp(type, "InternalId") == 0;
}

/* Run the list and answer {<array>: items, hasMore}; each row written by
 * fn. */
static void answer(struct request *req, store_perm_list which,
		   const store_perm_query *q, size_t page, const char *array,
		   json_t *(*fn)(const store_permission *p,
				 const struct perm_caller *c),
		   const struct perm_caller *c)
{
	store_permission *rows = NULL;
	size_t n = 0, i;
	ksef_error err;
	json_t *items;

	if (store_permissions_query(req->srv->store, which, q, &rows, &n,
				    &err) != 0) {
		errors_internal(req, &err);
		return;
	}
	items = json_array();
	for (i = 0; i < n && i < page; i++)
		json_array_append_new(items, fn(&rows[i], c));
	free(rows);
	http_reply_json(req, 200, json_pack("{s:o,s:b}", array, items,
					    "hasMore", n > page));
}

/* ---- POST /permissions/query/personal/grants ---- */

static const char *const personal_scopes[] = {
	"CredentialsManage", "CredentialsRead", "InvoiceWrite", "InvoiceRead",
	"Introspection", "SubunitManage", "EnforcementOperations",
	"VatUeManage", NULL,
};

static json_t *personal_item(const store_permission *p,
			     const struct perm_caller *c)
{
	json_t *o = item(p, "permissionScope");

	/* "Identyfikator kontekstu podmiotu, który nadał uprawnienia" */
	if (is_nip_or_internal(p->grantor_type))
		json_object_set_new(o, "contextIdentifier",
				    ident(p->grantor_type, p->grantor_value));
	/* "... jeżeli jest inny niż identyfikator uwierzytelnionego
	 * klienta API" */
	if (strcmp(p->subject_type, c->subject_type) != 0 ||
	    strcmp(p->subject_value, c->subject_value) != 0)
		json_object_set_new(o, "authorizedIdentifier",
				    ident(p->subject_type, p->subject_value));
	if (p->kind == STORE_PERM_INDIRECT)
		json_object_set_new(o, "targetIdentifier",
				    ident(p->ctx_type, p->ctx_value));
	add_details(o, p, subject_members);
	json_object_set_new(o, "permissionState", json_string(p->inactive ?
		"Inactive" : "Active"));
	json_object_set_new(o, "canDelegate", json_boolean(p->can_delegate));
	return o;
}

/* The target filter of personal and persons queries: indirect grants of
 * that client, or the general ones. */
static int target_filter(struct request *req, json_t *body,
			 store_perm_query *q, struct perm_id *target)
{
	int rc = perm_ident(req, body, "targetIdentifier", PERM_ID_NIP |
			    PERM_ID_ALL_PARTNERS | PERM_ID_INTERNAL_ID, 0,
			    target);

	if (rc <= 0)
		return rc;
	q->kinds = STORE_PERM_BIT(STORE_PERM_INDIRECT);
	q->row_ctx_type = target->type;
	q->row_ctx_value = target->value;
	return 0;
}

void api_perm_query_personal(struct request *req)
{
	struct perm_caller c;
	struct perm_id ctx, target;
	store_perm_query q;
	char scopes[400];
	json_t *body;
	size_t page;
	int rc;

	if ((body = query_body(req)) == NULL)
		return;
	if (query_start(req, &c, &q, &page) != 0 ||
	    (rc = perm_ident(req, body, "contextIdentifier", PERM_ID_NIP |
			     PERM_ID_INTERNAL_ID, 0, &ctx)) < 0 ||
	    target_filter(req, body, &q, &target) < 0 ||
	    scope_filter(req, body, personal_scopes, scopes, sizeof(scopes),
			 &q.scopes) != 0 ||
	    (q.state = state_filter(req, body)) < 0)
		goto out;
	if (rc == 1) {
		q.grantor_type = ctx.type;
		q.grantor_value = ctx.value;
	}
	answer(req, STORE_PERMS_PERSONAL, &q, page, "permissions",
	       personal_item, &c);
out:
	json_decref(body);
}

/* ---- POST /permissions/query/persons/grants ---- */

static const char *const person_scopes[] = {
	"CredentialsManage", "CredentialsRead", "InvoiceWrite", "InvoiceRead",
	"Introspection", "SubunitManage", "EnforcementOperations", NULL,
};

static json_t *person_item(const store_permission *p,
			   const struct perm_caller *c)
{
	json_t *o = item(p, "permissionScope");

	(void)c;
	json_object_set_new(o, "authorizedIdentifier",
			    ident(p->subject_type, p->subject_value));
	/* "dla uprawnień nadanych administratorom jednostek podrzędnych" */
	if (p->kind == STORE_PERM_SUBUNIT)
		json_object_set_new(o, "contextIdentifier",
				    ident(p->ctx_type, p->ctx_value));
	if (p->kind == STORE_PERM_INDIRECT)
		json_object_set_new(o, "targetIdentifier",
				    ident(p->ctx_type, p->ctx_value));
	json_object_set_new(o, "authorIdentifier",
			    ident(p->author_type, p->author_value));
	add_details(o, p, subject_members);
	json_object_set_new(o, "permissionState", json_string(p->inactive ?
		"Inactive" : "Active"));
	json_object_set_new(o, "canDelegate", json_boolean(p->can_delegate));
	return o;
}

static const char *const person_query_types[] = {
	"PermissionsInCurrentContext", "PermissionsGrantedInCurrentContext",
	NULL,
};

void api_perm_query_persons(struct request *req)
{
	struct perm_caller c;
	struct perm_id author, grantee, ctx, target;
	store_perm_query q;
	char scopes[400];
	json_t *body;
	size_t page;
	int type, ra, rg, rc;

	if ((body = query_body(req)) == NULL)
		return;
	if ((type = enum_member(req, body, "queryType",
				person_query_types)) < 0 ||
	    query_start(req, &c, &q, &page) != 0 ||
	    (ra = perm_ident(req, body, "authorIdentifier", PERM_ID_NIP |
			     PERM_ID_PESEL | PERM_ID_FINGERPRINT |
			     PERM_ID_SYSTEM, 0, &author)) < 0 ||
	    (rg = perm_ident(req, body, "authorizedIdentifier", PERM_ID_NIP |
			     PERM_ID_PESEL | PERM_ID_FINGERPRINT, 0,
			     &grantee)) < 0 ||
	    (rc = perm_ident(req, body, "contextIdentifier", PERM_ID_NIP |
			     PERM_ID_INTERNAL_ID, 0, &ctx)) < 0 ||
	    target_filter(req, body, &q, &target) < 0 ||
	    scope_filter(req, body, person_scopes, scopes, sizeof(scopes),
			 &q.scopes) != 0 ||
	    (q.state = state_filter(req, body)) < 0)
		goto out;
	if (ra == 1) {
		q.author_type = author.type;
		q.author_value = author.value;
	}
	if (rg == 1) {
		q.grantee_type = grantee.type;
		q.grantee_value = grantee.value;
	}
	if (rc == 1) {
		/* A context and a target name two kinds of grant (a
		 * subunit administrator's, an indirect one): never both. */
		if (q.kinds != 0) {
			errors_reply(req, 400, 21405, "Pola "
				"'contextIdentifier' i 'targetIdentifier' "
				"wykluczają się.");
			goto out;
		}
		q.kinds = STORE_PERM_BIT(STORE_PERM_SUBUNIT);
		q.row_ctx_type = ctx.type;
		q.row_ctx_value = ctx.value;
	}
	answer(req, type == 0 ? STORE_PERMS_IN_CONTEXT : STORE_PERMS_GRANTED,
	       &q, page, "permissions", person_item, &c);
out:
	json_decref(body);
}

/* ---- POST /permissions/query/subunits/grants ---- */

static json_t *subunit_item(const store_permission *p,
			    const struct perm_caller *c)
{
	static const char *const members[] = { "subjectPersonDetails",
					       "subunitName", NULL };
	json_t *o = item(p, "permissionScope");

	(void)c;
	json_object_set_new(o, "authorizedIdentifier",
			    ident(p->subject_type, p->subject_value));
	json_object_set_new(o, "subunitIdentifier",
			    ident(p->ctx_type, p->ctx_value));
	json_object_set_new(o, "authorIdentifier",
			    ident(p->author_type, p->author_value));
	add_details(o, p, members);
	return o;
}

/* A list filtered by the context its rows work in, named by the body's
 * member (a Nip or an InternalId; absent: every one). */
static void query_in_row_context(struct request *req, const char *member,
				 store_perm_list which,
				 json_t *(*fn)(const store_permission *p,
					       const struct perm_caller *c))
{
	struct perm_caller c;
	struct perm_id ctx;
	store_perm_query q;
	json_t *body;
	size_t page;
	int rc;

	if ((body = query_body(req)) == NULL)
		return;
	if (query_start(req, &c, &q, &page) != 0 ||
	    (rc = perm_ident(req, body, member, PERM_ID_NIP |
			     PERM_ID_INTERNAL_ID, 0, &ctx)) < 0)
		goto out;
	if (rc == 1) {
		q.row_ctx_type = ctx.type;
		q.row_ctx_value = ctx.value;
	}
	answer(req, which, &q, page, "permissions", fn, &c);
out:
	json_decref(body);
}

void api_perm_query_subunits(struct request *req)
{
	query_in_row_context(req, "subunitIdentifier", STORE_PERMS_SUBUNITS,
			     subunit_item);
}

/* ---- POST /permissions/query/entities/grants ---- */

static json_t *entity_item(const store_permission *p,
			   const struct perm_caller *c)
{
	json_t *o = item(p, "permissionScope");

	(void)c;
	json_object_set_new(o, "contextIdentifier",
			    ident(p->ctx_type, p->ctx_value));
	json_object_set_new(o, "canDelegate", json_boolean(p->can_delegate));
	return o;
}

void api_perm_query_entities(struct request *req)
{
	query_in_row_context(req, "contextIdentifier", STORE_PERMS_ENTITIES,
			     entity_item);
}

/* ---- POST /permissions/query/authorizations/grants ---- */

static const char *const authorization_scopes[] = {
	"SelfInvoicing", "TaxRepresentative", "RRInvoicing", "PefInvoicing",
	NULL,
};

static json_t *authorization_item(const store_permission *p,
				  const struct perm_caller *c)
{
	static const char *const members[] = { "subjectEntityDetails", NULL };
	json_t *o = item(p, "authorizationScope");

	(void)c;
	/* Nullable: the system's grants name no author. */
	if (strcmp(p->author_type, "System") != 0)
		json_object_set_new(o, "authorIdentifier",
				    ident(p->author_type, p->author_value));
	json_object_set_new(o, "authorizedEntityIdentifier",
			    ident(p->subject_type, p->subject_value));
	json_object_set_new(o, "authorizingEntityIdentifier",
			    ident(p->ctx_type, p->ctx_value));
	add_details(o, p, members);
	return o;
}

static const char *const authorization_query_types[] = { "Granted",
							 "Received", NULL };

void api_perm_query_authorizations(struct request *req)
{
	struct perm_caller c;
	struct perm_id authorizing, authorized;
	store_perm_query q;
	char scopes[200];
	json_t *body;
	size_t page;
	int type, ri, rd;

	if ((body = query_body(req)) == NULL)
		return;
	if ((type = enum_member(req, body, "queryType",
				authorization_query_types)) < 0 ||
	    query_start(req, &c, &q, &page) != 0 ||
	    (ri = perm_ident(req, body, "authorizingIdentifier", PERM_ID_NIP,
			     0, &authorizing)) < 0 ||
	    (rd = perm_ident(req, body, "authorizedIdentifier", PERM_ID_NIP |
			     PERM_ID_PEPPOL_ID, 0, &authorized)) < 0 ||
	    scope_filter(req, body, authorization_scopes, scopes,
			 sizeof(scopes), &q.scopes) != 0)
		goto out;
	/* Each filter belongs to one of the lists (its description says
	 * which); on the other it names the caller's own entity and adds
	 * nothing, so it is applied to the row all the same. */
	if (rd == 1) {
		q.grantee_type = authorized.type;
		q.grantee_value = authorized.value;
	}
	if (ri == 1) {
		q.row_ctx_type = authorizing.type;
		q.row_ctx_value = authorizing.value;
	}
	answer(req, type == 0 ? STORE_PERMS_AUTH_GRANTED :
	       STORE_PERMS_AUTH_RECEIVED, &q, page, "authorizationGrants",
	       authorization_item, &c);
out:
	json_decref(body);
}

/* ---- POST /permissions/query/eu-entities/grants ---- */

static const char *const eu_scopes[] = {
	"VatUeManage", "InvoiceWrite", "InvoiceRead", "Introspection", NULL,
};

static json_t *eu_item(const store_permission *p, const struct perm_caller *c)
{
	static const char *const members[] = { "subjectPersonDetails",
		"subjectEntityDetails", "euEntityDetails", "euEntityName",
		NULL };
	json_t *o = item(p, "permissionScope");

	(void)c;
	json_object_set_new(o, "authorIdentifier",
			    ident(p->author_type, p->author_value));
	json_object_set_new(o, "vatUeIdentifier", json_string(
		strlen(p->ctx_value) > 11 ? p->ctx_value + 11 : ""));
	json_object_set_new(o, "authorizedFingerprintIdentifier",
			    json_string(p->subject_value));
	add_details(o, p, members);
	return o;
}

/* An EU VAT number (EuEntityPermissionsQueryRequest.vatUeIdentifier):
 * a country code and 2 to 12 characters. The per-country patterns are
 * the registry's; a number of another form is simply not found. */
static int vat_ue_ok(const char *v)
{
	size_t n = strlen(v), i;

	if (n < 4 || n > 14 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' ||
	    v[1] > 'Z')
		return 0;
	for (i = 2; i < n; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '+' ||
		      v[i] == '*'))
			return 0;
	return 1;
}

void api_perm_query_eu(struct request *req)
{
	struct perm_caller c;
	store_perm_query q;
	char scopes[200];
	const char *vat, *fp;
	json_t *body;
	size_t page;
	int failed = 0;

	if ((body = query_body(req)) == NULL)
		return;
	if (query_start(req, &c, &q, &page) != 0 ||
	    scope_filter(req, body, eu_scopes, scopes, sizeof(scopes),
			 &q.scopes) != 0)
		goto out;
	vat = api_string(req, body, "", "vatUeIdentifier", 4, 14, 0, &failed);
	fp = api_string(req, body, "", "authorizedFingerprintIdentifier", 1,
			64, 0, &failed);
	if (failed)
		goto out;
	if (vat != NULL && !vat_ue_ok(vat)) {
		errors_reply(req, 400, 21405, "Pole 'vatUeIdentifier' nie jest "
			"numerem VAT UE.");
		goto out;
	}
	q.vat_ue = vat;
	q.grantee_contains = fp;
	answer(req, STORE_PERMS_EU, &q, page, "permissions", eu_item, &c);
out:
	json_decref(body);
}

/* ---- GET /permissions/query/entities/roles ---- */

static const struct {
	const char *role, *description;
} role_names[] = {
	{ "CourtBailiff", "Komornik sądowy" },
	{ "EnforcementAuthority", "Organ egzekucyjny" },
	{ "LocalGovernmentUnit", "Nadrzędna JST" },
	{ "LocalGovernmentSubUnit", "Podrzędna JST" },
	{ "VatGroupUnit", "Grupa VAT" },
	{ "VatGroupSubUnit", "Członek grupy VAT" },
};

/* A role's description: its own, or the role's name in the words of
 * GET /permissions/query/entities/roles when it has none long enough
 * (the schema wants 5 characters). */
static const char *role_description(const store_entity *r)
{
	size_t i;

	if (strlen(r->description) >= 5)
		return r->description;
	for (i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (strcmp(r->role, role_names[i].role) == 0)
			return role_names[i].description;
	return "Rola podmiotu";
}

/* The roles of the caller's entity (nip NULL) or of the entities under
 * it; each item by sub. */
static void answer_roles(struct request *req, const char *nip, int sub)
{
	size_t offset, page, n = 0, i;
	store_entity *r = NULL;
	ksef_error err;
	json_t *items, *o;
	const char *mine = req->claims.context_value;
	int rc = 0;

	if (perm_page(req, &offset, &page) != 0)
		return;
	/* Roles are an entity's: a context of another type has none. */
	if (strcmp(req->claims.context_type, "Nip") == 0)
		rc = sub ? store_entity_subunits(req->srv->store, mine, nip,
						 offset, page + 1, &r, &n,
						 &err) :
			   store_entity_roles(req->srv->store, mine, offset,
					      page + 1, &r, &n, &err);
	if (rc != 0) {
		errors_internal(req, &err);
		return;
	}
	items = json_array();
	for (i = 0; i < n && i < page; i++) {
		o = json_pack("{s:s,s:s,s:o}", "role", r[i].role,
			      "description", role_description(&r[i]),
			      "startDate", api_time(r[i].created_ms));
		if (sub)
			json_object_set_new(o, "subordinateEntityIdentifier",
					    ident("Nip", r[i].nip));
		else if (r[i].parent_nip[0] != '\0')
			json_object_set_new(o, "parentEntityIdentifier",
					    ident("Nip", r[i].parent_nip));
		json_array_append_new(items, o);
	}
	free(r);
	http_reply_json(req, 200, json_pack("{s:o,s:b}", "roles", items,
					    "hasMore", n > page));
}

void api_perm_query_entity_roles(struct request *req)
{
	answer_roles(req, NULL, 0);
}

/* ---- POST /permissions/query/subordinate-entities/roles ---- */

void api_perm_query_subordinates(struct request *req)
{
	struct perm_id nip;
	json_t *body;

	if ((body = query_body(req)) == NULL)
		return;
	if (perm_ident(req, body, "subordinateEntityIdentifier", PERM_ID_NIP, 0,
		       &nip) >= 0)
		answer_roles(req, nip.value[0] ? nip.value : NULL, 1);
	json_decref(body);
}
