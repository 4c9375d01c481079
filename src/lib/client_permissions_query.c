/*
 * client_permissions_query.c - the endpoints of the open-api tag
 * "Wyszukiwanie nadanych uprawnień" (uprawnienia.md): the six lists of
 * granted permissions, read into one item type that has every member any
 * of them has, and the two lists of entity roles. These lists page by
 * pageOffset and pageSize and say hasMore, unlike the lists of the
 * session endpoints with their continuation tokens, so they have their
 * own page types. Identifiers, texts and names are checked as
 * client_permissions.c checks them.
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include "client_permissions_int.h"

/*
 * Queries
 */

#define ID(t) KSEF__PERM_ID(KSEF_PERM_ID_##t)

/* What tells one list from another: its path, the permission names its
 * permissionTypes take, and which filters it has (a bit per filter
 * below). */
enum {
	F_CONTEXT = 1 << 0, F_TARGET = 1 << 1, F_AUTHOR = 1 << 2,
	F_AUTHORIZED = 1 << 3, F_AUTHORIZING = 1 << 4, F_SUBUNIT = 1 << 5,
	F_TYPES = 1 << 6, F_STATE = 1 << 7, F_QUERY_TYPE = 1 << 8,
	F_VAT_UE = 1 << 9, F_FINGERPRINT = 1 << 10
};

static const struct {
	const char *path;
	unsigned perms;
	unsigned filters;
	unsigned authorized; /* authorizedIdentifier types */
} lists[] = {
	[KSEF_PERMISSIONS_PERSONAL] = { "/permissions/query/personal/grants",
		0xFFu,
		F_CONTEXT | F_TARGET | F_TYPES | F_STATE, 0 },
	[KSEF_PERMISSIONS_PERSONS] = { "/permissions/query/persons/grants",
		0x7Fu, F_CONTEXT | F_TARGET | F_AUTHOR |
		F_AUTHORIZED | F_TYPES | F_STATE | F_QUERY_TYPE,
		ID(NIP) | ID(PESEL) | ID(FINGERPRINT) },
	[KSEF_PERMISSIONS_SUBUNITS] = { "/permissions/query/subunits/grants",
		0, F_SUBUNIT, 0 },
	[KSEF_PERMISSIONS_ENTITIES] = { "/permissions/query/entities/grants",
		0, F_CONTEXT, 0 },
	[KSEF_PERMISSIONS_AUTHORIZATIONS] = {
		"/permissions/query/authorizations/grants",
		0xF00u, F_AUTHORIZED | F_AUTHORIZING |
		F_TYPES | F_QUERY_TYPE, ID(NIP) | ID(PEPPOL_ID) },
	[KSEF_PERMISSIONS_EU_ENTITIES] = {
		"/permissions/query/eu-entities/grants",
		KSEF_PERM_VAT_UE_MANAGE | KSEF_PERM_INVOICE_WRITE |
		KSEF_PERM_INVOICE_READ | KSEF_PERM_INTROSPECTION,
		F_TYPES | F_VAT_UE | F_FINGERPRINT, 0 },
};

#define LIST_COUNT (sizeof(lists) / sizeof(lists[0]))

/* The bytes of each version of ksef_client_permission_query
 * (options.h). */
static const size_t query_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_permission_query,
			  authorized_fingerprint), /* 1 */
};
KSEF__OPTIONS_SIZES(query_sizes, KSEF_CLIENT_PERMISSION_QUERY_VERSION);

/* A filter the list does not have must be left out. */
static int refuse_foreign(const ksef_client_permission_query *q,
			  ksef_error *err)
{
	const struct {
		const char *name;
		int set;
		unsigned bit;
	} f[] = {
		{ "contextIdentifier", q->context_type != KSEF_PERM_ID_NONE ||
		  q->context_value != NULL, F_CONTEXT },
		{ "targetIdentifier", q->target_type != KSEF_PERM_ID_NONE ||
		  q->target_value != NULL, F_TARGET },
		{ "authorIdentifier", q->author_type != KSEF_PERM_ID_NONE ||
		  q->author_value != NULL, F_AUTHOR },
		{ "authorizedIdentifier",
		  q->authorized_type != KSEF_PERM_ID_NONE ||
		  q->authorized_value != NULL, F_AUTHORIZED },
		{ "authorizingIdentifier",
		  q->authorizing_type != KSEF_PERM_ID_NONE ||
		  q->authorizing_value != NULL, F_AUTHORIZING },
		{ "subunitIdentifier", q->subunit_type != KSEF_PERM_ID_NONE ||
		  q->subunit_value != NULL, F_SUBUNIT },
		{ "permissionTypes", q->permission_types != 0, F_TYPES },
		{ "permissionState", q->state != KSEF_PERM_STATE_ANY,
		  F_STATE },
		{ "queryType", q->query_type != KSEF_PERM_QUERY_DEFAULT,
		  F_QUERY_TYPE },
		{ "vatUeIdentifier", q->vat_ue_identifier != NULL, F_VAT_UE },
		{ "authorizedFingerprintIdentifier",
		  q->authorized_fingerprint != NULL, F_FINGERPRINT },
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].set && !(lists[q->list].filters & f[i].bit))
			return ksef__error_set(err, KSEF_EINVAL, "%s is not a "
				"filter of %s", f[i].name, lists[q->list].path);
	return 0;
}

/* queryType: the persons list's two, or the authorizations list's. */
static int put_query_type(json_t *body, const ksef_client_permission_query *q,
			  ksef_error *err)
{
	static const char *const names[] = { NULL,
		"PermissionsInCurrentContext",
		"PermissionsGrantedInCurrentContext", "Granted", "Received" };
	int persons = q->list == KSEF_PERMISSIONS_PERSONS;
	ksef_permission_query_type t = q->query_type;

	if (t == KSEF_PERM_QUERY_DEFAULT)
		t = persons ? KSEF_PERM_QUERY_IN_CURRENT_CONTEXT :
			      KSEF_PERM_QUERY_GRANTED;
	if ((unsigned)t >= sizeof(names) / sizeof(names[0]) ||
	    (persons != (t == KSEF_PERM_QUERY_IN_CURRENT_CONTEXT ||
			 t == KSEF_PERM_QUERY_GRANTED_IN_CURRENT_CONTEXT)))
		return ksef__error_set(err, KSEF_EINVAL, "queryType %d is not "
			"one of this list's", (int)q->query_type);
	if (ksef__req_json_set(body, "queryType", json_string(names[t])) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

/* The members of the eu-entities list's body. */
static int put_eu_filters(json_t *body, const ksef_client_permission_query *q,
			  ksef_error *err)
{
	const char *v = q->vat_ue_identifier, *fp = q->authorized_fingerprint;
	size_t n, i;

	if (v != NULL) {
		n = strnlen(v, 15);
		/* A country code and 2 to 12 characters; the pattern of each
		 * country is the registry's business. */
		for (i = 2; i < n && n <= 14; i++)
			if (!((v[i] >= 'A' && v[i] <= 'Z') ||
			      (v[i] >= '0' && v[i] <= '9') || v[i] == '+' ||
			      v[i] == '*'))
				break;
		if (n < 4 || n > 14 || i != n || v[0] < 'A' || v[0] > 'Z' ||
		    v[1] < 'A' || v[1] > 'Z')
			return ksef__error_set(err, KSEF_EINVAL,
				"vatUeIdentifier is not an EU VAT number");
		if (ksef__req_json_set(body, "vatUeIdentifier",
				       json_string(v)) < 0)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
	}
	if (fp != NULL) {
		/* Any part of a fingerprint: 1 to 64 hex digits. */
		n = strnlen(fp, 65);
		for (i = 0; i < n; i++)
			if (!((fp[i] >= '0' && fp[i] <= '9') ||
			      (fp[i] >= 'A' && fp[i] <= 'F') ||
			      (fp[i] >= 'a' && fp[i] <= 'f')))
				break;
		if (n == 0 || n > 64 || i != n)
			return ksef__error_set(err, KSEF_EINVAL,
				"authorizedFingerprintIdentifier must be 1 to "
				"64 hex digits");
		if (ksef__req_json_set(body, "authorizedFingerprintIdentifier",
				       json_string(fp)) < 0)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
	}
	return 0;
}

/* Every member of a query's body that its list has, each checked. */
static int put_filters(json_t *body, const ksef_client_permission_query *q,
		       ksef_error *err)
{
	static const char *const states[] = { NULL, "Active", "Inactive" };
	unsigned f = lists[q->list].filters,
		 ctx = ID(NIP) | ID(INTERNAL_ID),
		 target = ID(NIP) | ID(INTERNAL_ID) | ID(ALL_PARTNERS),
		 author = ID(NIP) | ID(PESEL) | ID(FINGERPRINT) | ID(SYSTEM);
	int error;

	if ((f & F_QUERY_TYPE) && (error = put_query_type(body, q, err)) < 0)
		return error;
	if ((f & F_CONTEXT) && (error = ksef__perm_put_id(body,
			"contextIdentifier", q->context_type, q->context_value,
			ctx, 0, err)) < 0)
		return error;
	if ((f & F_TARGET) && (error = ksef__perm_put_id(body,
			"targetIdentifier", q->target_type, q->target_value,
			target, 0, err)) < 0)
		return error;
	if ((f & F_AUTHOR) && (error = ksef__perm_put_id(body,
			"authorIdentifier", q->author_type, q->author_value,
			author, 0, err)) < 0)
		return error;
	if ((f & F_AUTHORIZED) && (error = ksef__perm_put_id(body,
			"authorizedIdentifier", q->authorized_type,
			q->authorized_value, lists[q->list].authorized, 0,
			err)) < 0)
		return error;
	if ((f & F_AUTHORIZING) && (error = ksef__perm_put_id(body,
			"authorizingIdentifier", q->authorizing_type,
			q->authorizing_value, ID(NIP), 0, err)) < 0)
		return error;
	if ((f & F_SUBUNIT) && (error = ksef__perm_put_id(body,
			"subunitIdentifier", q->subunit_type, q->subunit_value,
			ctx, 0, err)) < 0)
		return error;
	if (q->permission_types != 0) {
		if ((q->permission_types & ~lists[q->list].perms) != 0)
			return ksef__error_set(err, KSEF_EINVAL,
				"permissionTypes 0x%x are not all of this "
				"list's (0x%x)", q->permission_types,
				lists[q->list].perms);
		if (ksef__perm_put_names(body, "permissionTypes",
					 q->permission_types) < 0)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
	}
	if (q->state != KSEF_PERM_STATE_ANY) {
		if ((unsigned)q->state > KSEF_PERM_STATE_INACTIVE)
			return ksef__error_set(err, KSEF_EINVAL, "unknown "
				"permission state %d", (int)q->state);
		if (ksef__req_json_set(body, "permissionState",
				       json_string(states[q->state])) < 0)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
	}
	return put_eu_filters(body, q, err);
}

/* "?pageOffset=N&pageSize=M" after base, each only when not the
 * default. */
static int page_path(ksef_buf *path, const char *base, int page_size,
		     int page_offset, ksef_error *err)
{
	int error;

	if ((error = ksef__req_check_page_size(page_size, 100, err)) < 0)
		return error;
	if (page_offset < 0)
		return ksef__error_set(err, KSEF_EINVAL, "page offset must be "
				       "0 or more");
	if ((error = ksef__buf_printf(path, KSEF__PATH_MAX_BYTES, "%s",
				      base)) < 0 ||
	    (page_offset > 0 && (error = ksef__req_put_int_param(path,
				"pageOffset", page_offset)) < 0) ||
	    (page_size > 0 && (error = ksef__req_put_int_param(path,
				"pageSize", page_size)) < 0))
		return ksef__req_path_fail(error, err);
	return 0;
}

int ksef__client_build_permission_query(json_t **out, ksef_buf *path,
	const ksef_client_permission_query *q, ksef_error *err)
{
	ksef_client_permission_query copy = KSEF_CLIENT_PERMISSION_QUERY_INIT;
	json_t *body;
	int error;

	*out = NULL;
	if ((error = KSEF__OPTIONS_COPY(&copy, q, query_sizes,
					KSEF_CLIENT_PERMISSION_QUERY_VERSION,
					"ksef_client_permission_query",
					err)) < 0)
		return error;
	if ((unsigned)copy.list >= LIST_COUNT)
		return ksef__error_set(err, KSEF_EINVAL, "unknown permission "
				       "list %d", (int)copy.list);
	if ((error = refuse_foreign(&copy, err)) < 0 ||
	    (error = page_path(path, lists[copy.list].path, copy.page_size,
			       copy.page_offset, err)) < 0)
		return error;
	if ((body = json_object()) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((error = put_filters(body, &copy, err)) < 0) {
		json_decref(body);
		return error;
	}
	*out = body;
	return 0;
}

int ksef__client_build_subordinate_roles_body(json_t **out,
					      const char *subordinate_nip,
					      ksef_error *err)
{
	json_t *body = json_object();
	int error;

	*out = NULL;
	if (body == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if (subordinate_nip != NULL &&
	    (error = ksef__perm_put_id(body, "subordinateEntityIdentifier",
				       KSEF_PERM_ID_NIP, subordinate_nip,
				       ID(NIP), 1, err)) < 0) {
		json_decref(body);
		return error;
	}
	*out = body;
	return 0;
}

/*
 * Reading the answers
 */

/* An identifier {type, value}; *out NULL when absent. */
static int parse_id(struct ksef__rd *r, const json_t *o, const char *key,
		    const ksef_api_identifier **out)
{
	ksef_api_identifier *id;
	const json_t *v;
	size_t old;
	int error;

	*out = NULL;
	if ((error = ksef__rd_object(r, o, key, 0, &v)) < 0 || v == NULL)
		return error;
	if ((id = ksef__result_alloc(r->res, sizeof(*id))) == NULL)
		return ksef__rd_nomem(r);
	old = ksef__rd_push(r, key);
	if ((error = ksef__rd_string(r, v, "type", 1, 1, 64,
				     &id->type)) == 0)
		error = ksef__rd_string(r, v, "value", 0, 0, 256, &id->value);
	ksef__rd_pop(r, old);
	*out = id;
	return error;
}

/* Texts of up to 256 characters: at most 1024 bytes of UTF-8. */
#define TEXT_MAX 1024

/* subjectPersonDetails. */
static int parse_person(struct ksef__rd *r, const json_t *o,
			const ksef_api_person_details **out)
{
	ksef_api_person_details *d;
	const json_t *v, *doc;
	size_t old;
	int error;

	*out = NULL;
	if ((error = ksef__rd_object(r, o, "subjectPersonDetails", 0,
				     &v)) < 0 || v == NULL)
		return error;
	if ((d = ksef__result_alloc(r->res, sizeof(*d))) == NULL)
		return ksef__rd_nomem(r);
	*out = d;
	old = ksef__rd_push(r, "subjectPersonDetails");
	if ((error = ksef__rd_string(r, v, "subjectDetailsType", 1, 1, 64,
				     &d->subject_details_type)) < 0 ||
	    (error = ksef__rd_string(r, v, "firstName", 1, 0, TEXT_MAX,
				     &d->first_name)) < 0 ||
	    (error = ksef__rd_string(r, v, "lastName", 1, 0, TEXT_MAX,
				     &d->last_name)) < 0 ||
	    (error = parse_id(r, v, "personIdentifier",
			      &d->person_identifier)) < 0 ||
	    (error = ksef__rd_string(r, v, "birthDate", 0, 0, 32,
				     &d->birth_date)) < 0 ||
	    (error = ksef__rd_object(r, v, "idDocument", 0, &doc)) < 0)
		goto out;
	if (doc != NULL) {
		ksef__rd_push(r, "idDocument");
		if ((error = ksef__rd_string(r, doc, "type", 1, 0, TEXT_MAX,
					     &d->id_document_type)) == 0 &&
		    (error = ksef__rd_string(r, doc, "number", 1, 0, TEXT_MAX,
					     &d->id_document_number)) == 0)
			error = ksef__rd_string(r, doc, "country", 1, 0, 8,
						&d->id_document_country);
	}
out:
	ksef__rd_pop(r, old);
	return error;
}

/* subjectEntityDetails or euEntityDetails. */
static int parse_entity(struct ksef__rd *r, const json_t *o, const char *key,
			const ksef_api_entity_details **out)
{
	ksef_api_entity_details *d;
	const json_t *v;
	size_t old;
	int error;

	*out = NULL;
	if ((error = ksef__rd_object(r, o, key, 0, &v)) < 0 || v == NULL)
		return error;
	if ((d = ksef__result_alloc(r->res, sizeof(*d))) == NULL)
		return ksef__rd_nomem(r);
	*out = d;
	old = ksef__rd_push(r, key);
	if ((error = ksef__rd_string(r, v, "subjectDetailsType", 0, 1, 64,
				     &d->subject_details_type)) == 0 &&
	    (error = ksef__rd_string(r, v, "fullName", 1, 0, TEXT_MAX,
				     &d->full_name)) == 0)
		error = ksef__rd_string(r, v, "address", 0, 0, 4 * 512,
					&d->address);
	ksef__rd_pop(r, old);
	return error;
}

/* One item of any permission list. */
static int parse_permission(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_permission *p = item;
	const char *auth_scope;
	int error;

	if ((error = ksef__rd_string(r, o, "id", 1, 1, 64, &p->id)) < 0 ||
	    (error = ksef__rd_string(r, o, "permissionScope", 0, 1, 64,
				     &p->scope)) < 0 ||
	    (error = ksef__rd_string(r, o, "authorizationScope", 0, 1, 64,
				     &auth_scope)) < 0 ||
	    (error = ksef__rd_string(r, o, "description", 1, 0, TEXT_MAX,
				     &p->description)) < 0 ||
	    (error = ksef__rd_time(r, o, "startDate",
				   &p->start_date_ms)) < 0 ||
	    (error = ksef__rd_opt_bool(r, o, "canDelegate",
				       &p->can_delegate)) < 0 ||
	    (error = ksef__rd_string(r, o, "permissionState", 0, 1, 64,
				     &p->permission_state)) < 0 ||
	    (error = parse_id(r, o, "contextIdentifier", &p->context)) < 0 ||
	    (error = parse_id(r, o, "authorizedIdentifier",
			      &p->authorized)) < 0 ||
	    (p->authorized == NULL &&
	     (error = parse_id(r, o, "authorizedEntityIdentifier",
			       &p->authorized)) < 0) ||
	    (error = parse_id(r, o, "authorizingEntityIdentifier",
			      &p->authorizing)) < 0 ||
	    (error = parse_id(r, o, "targetIdentifier", &p->target)) < 0 ||
	    (error = parse_id(r, o, "authorIdentifier", &p->author)) < 0 ||
	    (error = parse_id(r, o, "subunitIdentifier", &p->subunit)) < 0 ||
	    (error = ksef__rd_string(r, o, "subunitName", 0, 0, TEXT_MAX,
				     &p->subunit_name)) < 0 ||
	    (error = ksef__rd_string(r, o, "vatUeIdentifier", 0, 0, 64,
				     &p->vat_ue_identifier)) < 0 ||
	    (error = ksef__rd_string(r, o, "euEntityName", 0, 0, TEXT_MAX,
				     &p->eu_entity_name)) < 0 ||
	    (error = ksef__rd_string(r, o, "authorizedFingerprintIdentifier",
				     0, 0, 64, &p->authorized_fingerprint)) <
	    0 ||
	    (error = parse_person(r, o, &p->person_details)) < 0 ||
	    (error = parse_entity(r, o, "subjectEntityDetails",
				  &p->entity_details)) < 0 ||
	    (error = parse_entity(r, o, "euEntityDetails",
				  &p->eu_entity_details)) < 0)
		return error;
	if (p->scope == NULL)
		p->scope = auth_scope;
	if (p->scope == NULL)
		return ksef__rd_fail(r, "permissionScope", "is missing");
	p->scope_bit = ksef_permission_bit(p->scope);
	return 0;
}

/* hasMore, which every page of these lists must have. */
static int parse_has_more(struct ksef__rd *r, const json_t *root, int *out)
{
	int error = ksef__rd_opt_bool(r, root, "hasMore", out);

	if (error == 0 && *out < 0)
		return ksef__rd_fail(r, "hasMore", "is missing");
	return error;
}

static int parse_page(struct ksef__rd *r, const json_t *root, void *res,
		      const char *array)
{
	struct ksef_api_permission_list *l = res;

	int error;

	l->l.item_size = sizeof(ksef_api_permission);
	if ((error = ksef__rd_items(r, root, array, &l->l,
				    parse_permission)) < 0)
		return error;
	return parse_has_more(r, root, &l->has_more);
}

static int parse_permissions_page(struct ksef__rd *r, const json_t *root,
				  void *res)
{
	return parse_page(r, root, res, "permissions");
}

static int parse_authorizations_page(struct ksef__rd *r, const json_t *root,
				     void *res)
{
	return parse_page(r, root, res, "authorizationGrants");
}

int ksef_client_permissions_query(ksef_api_permission_list **out,
				  ksef_client *c,
				  const ksef_client_permission_query *q,
				  ksef_error *err)
{
	ksef__request rq = { 0 };
	ksef_buf path = KSEF_BUF_INIT;
	json_t *body;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL && q != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_need_token(&rq.bearer, c, err)) < 0 ||
	    (error = ksef__client_build_permission_query(&body, &path, q,
							 err)) < 0)
		goto done;
	rq.path = (const char *)path.ptr;
	/* A query changes nothing: a 5xx or a timeout may be retried. */
	rq.retry_safe = 1;
	error = ksef__req_post_result(&res, c, &rq, body,
		sizeof(struct ksef_api_permission_list),
		strstr(rq.path, "/authorizations/") != NULL ?
		parse_authorizations_page : parse_permissions_page, err);
	if (error == 0)
		*out = res;
done:
	ksef_buf_dispose(&path);
	return error;
}

size_t ksef_api_permission_list_count(const ksef_api_permission_list *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_permission *ksef_api_permission_list_at(
	const ksef_api_permission_list *l, size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

int ksef_api_permission_list_has_more(const ksef_api_permission_list *l)
{
	return l != NULL && l->has_more > 0;
}

void ksef_api_permission_list_free(ksef_api_permission_list *list)
{
	ksef__result_free(list);
}

/*
 * Entity roles
 */

static int parse_role(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_entity_role *e = item;
	int error;

	if ((error = ksef__rd_string(r, o, "role", 1, 1, 64, &e->role)) < 0 ||
	    (error = ksef__rd_string(r, o, "description", 1, 0, TEXT_MAX,
				     &e->description)) < 0 ||
	    (error = ksef__rd_time(r, o, "startDate",
				   &e->start_date_ms)) < 0 ||
	    (error = parse_id(r, o, "parentEntityIdentifier",
			      &e->parent_entity)) < 0)
		return error;
	return parse_id(r, o, "subordinateEntityIdentifier",
			&e->subordinate_entity);
}

static int parse_roles_page(struct ksef__rd *r, const json_t *root, void *res)
{
	struct ksef_api_entity_role_list *l = res;

	int error;

	l->l.item_size = sizeof(ksef_api_entity_role);
	if ((error = ksef__rd_items(r, root, "roles", &l->l,
				    parse_role)) < 0)
		return error;
	return parse_has_more(r, root, &l->has_more);
}

int ksef_client_permissions_entity_roles(ksef_api_entity_role_list **out,
					 ksef_client *c, int page_size,
					 int page_offset, ksef_error *err)
{
	ksef_buf path = KSEF_BUF_INIT;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = page_path(&path, "/permissions/query/entities/roles",
			       page_size, page_offset, err)) == 0 &&
	    (error = ksef__req_get_one(&res, c, (const char *)path.ptr,
			sizeof(struct ksef_api_entity_role_list),
			parse_roles_page, err)) == 0)
		*out = res;
	ksef_buf_dispose(&path);
	return error;
}

int ksef_client_permissions_subordinate_roles(ksef_api_entity_role_list **out,
					      ksef_client *c,
					      const char *subordinate_nip,
					      int page_size, int page_offset,
					      ksef_error *err)
{
	ksef__request rq = { 0 };
	ksef_buf path = KSEF_BUF_INIT;
	json_t *body;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_need_token(&rq.bearer, c, err)) < 0 ||
	    (error = page_path(&path,
			       "/permissions/query/subordinate-entities/roles",
			       page_size, page_offset, err)) < 0 ||
	    (error = ksef__client_build_subordinate_roles_body(&body,
				subordinate_nip, err)) < 0)
		goto done;
	rq.path = (const char *)path.ptr;
	rq.retry_safe = 1;
	if ((error = ksef__req_post_result(&res, c, &rq, body,
			sizeof(struct ksef_api_entity_role_list),
			parse_roles_page, err)) == 0)
		*out = res;
done:
	ksef_buf_dispose(&path);
	return error;
}

size_t ksef_api_entity_role_list_count(const ksef_api_entity_role_list *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_entity_role *ksef_api_entity_role_list_at(
	const ksef_api_entity_role_list *l, size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

int ksef_api_entity_role_list_has_more(const ksef_api_entity_role_list *l)
{
	return l != NULL && l->has_more > 0;
}

void ksef_api_entity_role_list_free(ksef_api_entity_role_list *list)
{
	ksef__result_free(list);
}
