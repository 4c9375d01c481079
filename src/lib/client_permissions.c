/*
 * client_permissions.c - the endpoints of the open-api tags "Nadawanie
 * uprawnień", "Odbieranie uprawnień" and "Operacje" (uprawnienia.md): the
 * seven grants, the two revocations, an operation's status and the
 * consent to invoices with attachments; and the checks of identifiers,
 * texts and permission names that every permission body shares. The
 * lists are client_permissions_query.c's.
 *
 * Every body is checked against its schema before it is sent, so that a
 * mistake is the caller's KSEF_EINVAL naming the field, not a 400 from
 * KSeF after a round trip. What the contract leaves to the server (who
 * may grant what, check digits) stays the server's.
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include "ksef/number.h"
#include "client_permissions_int.h"

/*
 * Names
 */

/* Every permission name of the contract, in the bits' order. */
static const char *const perm_names[] = {
	"InvoiceRead", "InvoiceWrite", "CredentialsRead", "CredentialsManage",
	"SubunitManage", "EnforcementOperations", "Introspection",
	"VatUeManage", "SelfInvoicing", "RRInvoicing", "TaxRepresentative",
	"PefInvoicing",
};

#define PERM_COUNT (sizeof(perm_names) / sizeof(perm_names[0]))
#define PERM_ALL ((1u << PERM_COUNT) - 1)

const char *ksef_permission_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < PERM_COUNT; i++)
		if (bit == 1u << i)
			return perm_names[i];
	return NULL;
}

unsigned ksef_permission_bit(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < PERM_COUNT; i++)
		if (strcmp(name, perm_names[i]) == 0)
			return 1u << i;
	return 0;
}

int ksef__perm_put_names(json_t *obj, const char *key, unsigned bits)
{
	json_t *a = json_array();
	size_t i;

	if (ksef__req_json_set(obj, key, a) < 0)
		return KSEF_ENOMEM;
	for (i = 0; i < PERM_COUNT; i++)
		if ((bits & (1u << i)) &&
		    json_array_append_new(a, json_string(perm_names[i])) < 0)
			return KSEF_ENOMEM;
	return 0;
}

static const char *const id_names[] = {
	NULL, "Nip", "Pesel", "Fingerprint", "InternalId", "NipVatUe",
	"PeppolId", "AllPartners", "System",
};

const char *ksef__perm_id_name(ksef_perm_id_type t)
{
	if ((unsigned)t >= sizeof(id_names) / sizeof(id_names[0]))
		return NULL;
	return id_names[t];
}

/*
 * Values
 */

static int all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int upper_or_digit(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* An EU VAT number: a country code and 2 to 12 characters (the
 * per-country patterns of EuEntityPermissionsQueryRequest are the
 * registry's to apply). */
static int vat_ue_form(const char *s, size_t n)
{
	size_t i;

	if (n < 4 || n > 14 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' ||
	    s[1] > 'Z')
		return 0;
	for (i = 2; i < n; i++)
		if (!upper_or_digit(s[i]) && s[i] != '+' && s[i] != '*')
			return 0;
	return 1;
}

/* Whether v (n bytes) has the form of an identifier of type t. */
static int id_form(ksef_perm_id_type t, const char *v, size_t n)
{
	size_t i;

	switch (t) {
	case KSEF_PERM_ID_NIP:
		return n == KSEF_NIP_LEN &&
		       ksef_nip_validate_pattern(v, n, NULL) == 0;
	case KSEF_PERM_ID_PESEL:
		return n == KSEF_PESEL_LEN && all_digits(v, n);
	case KSEF_PERM_ID_FINGERPRINT:
		/* A SHA-256 in hex, in either case (KSeF upper-cases it). */
		if (n != 64)
			return 0;
		for (i = 0; i < n; i++)
			if (!((v[i] >= '0' && v[i] <= '9') ||
			      (v[i] >= 'A' && v[i] <= 'F') ||
			      (v[i] >= 'a' && v[i] <= 'f')))
				return 0;
		return 1;
	case KSEF_PERM_ID_INTERNAL_ID:
		return n == 16 && v[10] == '-' && all_digits(v + 11, 5) &&
		       ksef_nip_validate_pattern(v, 10, NULL) == 0;
	case KSEF_PERM_ID_NIP_VAT_UE:
		return n >= 15 && n <= 25 && v[10] == '-' &&
		       ksef_nip_validate_pattern(v, 10, NULL) == 0 &&
		       vat_ue_form(v + 11, n - 11);
	case KSEF_PERM_ID_PEPPOL_ID:
		/* EntityAuthorizationPermissionsSubjectIdentifier: 9 to 10
		 * characters, e.g. "PPL123456". */
		if (n < 9 || n > 10)
			return 0;
		for (i = 0; i < n; i++)
			if (!upper_or_digit(v[i]))
				return 0;
		return 1;
	default:
		return 0;
	}
}

int ksef__perm_put_id(json_t *obj, const char *key, ksef_perm_id_type type,
		      const char *value, unsigned types, int required,
		      ksef_error *err)
{
	const char *name = ksef__perm_id_name(type);
	int bare = type == KSEF_PERM_ID_ALL_PARTNERS ||
		   type == KSEF_PERM_ID_SYSTEM;
	json_t *id;
	size_t n;

	if (type == KSEF_PERM_ID_NONE && !required) {
		if (value != NULL)
			return ksef__error_set(err, KSEF_EINVAL, "%s has a "
				"value but no type", key);
		return 0;
	}
	if (name == NULL || !(types & KSEF__PERM_ID(type)))
		return ksef__error_set(err, KSEF_EINVAL, "%s: %s", key,
			type == KSEF_PERM_ID_NONE ? "is required" :
			"this type of identifier is not accepted here");
	if (bare) {
		if (value != NULL)
			return ksef__error_set(err, KSEF_EINVAL, "%s: %s has "
				"no value", key, name);
		id = json_pack("{s:s}", "type", name);
	} else {
		n = value != NULL ? strnlen(value, 65) : 0;
		if (value == NULL || !id_form(type, value, n))
			return ksef__error_set(err, KSEF_EINVAL, "%s: the "
				"value is not a %s", key, name);
		id = json_pack("{s:s}", "type", name);
		if (id != NULL && ksef__req_json_set(id, "value",
					json_stringn(value, n)) < 0) {
			json_decref(id);
			id = NULL;
		}
	}
	if (ksef__req_json_set(obj, key, id) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

int ksef__perm_put_text(json_t *obj, const char *key, const char *s,
			size_t min, size_t max, ksef_error *err)
{
	json_t *v;
	size_t len, chars;

	if (s == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "%s is required",
				       key);
	/* A character takes at most four bytes of UTF-8. */
	len = strnlen(s, 4 * max + 1);
	if ((v = json_stringn(s, len)) == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "%s is not UTF-8 "
			"(or out of memory)", key);
	chars = ksef__req_utf8_chars(s, len);
	if (chars < min || chars > max) {
		json_decref(v);
		return ksef__error_set(err, KSEF_EINVAL, "%s must be %zu to "
			"%zu characters", key, min, max);
	}
	if (ksef__req_json_set(obj, key, v) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

/*
 * Grants
 */

#define K(kind) (1u << (kind))
/* The grants to persons, whose subjectDetails name a person. */
#define PERSON_KINDS (K(KSEF_GRANT_PERSON) | K(KSEF_GRANT_INDIRECT) |      \
	K(KSEF_GRANT_SUBUNIT) | K(KSEF_GRANT_EU_ADMINISTRATION) |          \
	K(KSEF_GRANT_EU_REPRESENTATIVE))
#define EU_KINDS (K(KSEF_GRANT_EU_ADMINISTRATION) |                        \
	K(KSEF_GRANT_EU_REPRESENTATIVE))
#define INVOICE_PERMS (KSEF_PERM_INVOICE_READ | KSEF_PERM_INVOICE_WRITE)
#define AUTHORIZATION_PERMS (KSEF_PERM_SELF_INVOICING |                    \
	KSEF_PERM_RR_INVOICING | KSEF_PERM_TAX_REPRESENTATIVE |           \
	KSEF_PERM_PEF_INVOICING)
#define PERSON_IDS (KSEF__PERM_ID(KSEF_PERM_ID_NIP) |                       \
	KSEF__PERM_ID(KSEF_PERM_ID_PESEL) |                                 \
	KSEF__PERM_ID(KSEF_PERM_ID_FINGERPRINT))

/* What tells one grant operation from another (open-api.json). */
static const struct {
	const char *name;    /* for messages */
	const char *path;
	unsigned subjects;   /* subjectIdentifier types */
	unsigned perms;      /* permission bits it takes; 0 for none */
	unsigned targets;    /* target types; 0 for no target */
	int target_required;
	const char *target_key;
} grant_kinds[] = {
	[KSEF_GRANT_PERSON] = { "a person",
		"/permissions/persons/grants", PERSON_IDS, 0x7Fu, 0, 0,
		NULL },
	[KSEF_GRANT_ENTITY] = { "an entity",
		"/permissions/entities/grants",
		KSEF__PERM_ID(KSEF_PERM_ID_NIP), INVOICE_PERMS, 0, 0, NULL },
	[KSEF_GRANT_AUTHORIZATION] = { "an authorization",
		"/permissions/authorizations/grants",
		KSEF__PERM_ID(KSEF_PERM_ID_NIP) |
		KSEF__PERM_ID(KSEF_PERM_ID_PEPPOL_ID), AUTHORIZATION_PERMS, 0,
		0, NULL },
	[KSEF_GRANT_INDIRECT] = { "an indirect grant",
		"/permissions/indirect/grants", PERSON_IDS, INVOICE_PERMS,
		KSEF__PERM_ID(KSEF_PERM_ID_NIP) |
		KSEF__PERM_ID(KSEF_PERM_ID_INTERNAL_ID) |
		KSEF__PERM_ID(KSEF_PERM_ID_ALL_PARTNERS), 0,
		"targetIdentifier" },
	[KSEF_GRANT_SUBUNIT] = { "a subunit administrator",
		"/permissions/subunits/grants", PERSON_IDS, 0,
		KSEF__PERM_ID(KSEF_PERM_ID_INTERNAL_ID) |
		KSEF__PERM_ID(KSEF_PERM_ID_NIP), 1, "contextIdentifier" },
	[KSEF_GRANT_EU_ADMINISTRATION] = { "an EU entity administrator",
		"/permissions/eu-entities/administration/grants",
		KSEF__PERM_ID(KSEF_PERM_ID_FINGERPRINT), 0,
		KSEF__PERM_ID(KSEF_PERM_ID_NIP_VAT_UE), 1,
		"contextIdentifier" },
	[KSEF_GRANT_EU_REPRESENTATIVE] = { "an EU entity representative",
		"/permissions/eu-entities/grants",
		KSEF__PERM_ID(KSEF_PERM_ID_FINGERPRINT), INVOICE_PERMS, 0, 0,
		NULL },
};

/* The bytes of each version of ksef_client_grant (options.h). */
static const size_t grant_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_grant, eu_entity_address), /* 1 */
};
KSEF__OPTIONS_SIZES(grant_sizes, KSEF_CLIENT_GRANT_VERSION);

/* A field a kind of grant does not send must be left empty: a value set
 * there is a mistake the caller should hear about, not one to drop. */
static int refuse_unused(const ksef_client_grant *g, ksef_error *err)
{
	const struct {
		const char *name;
		int set;
		unsigned kinds;
	} f[] = {
		{ "target", g->target_type != KSEF_PERM_ID_NONE ||
		  g->target_value != NULL, K(KSEF_GRANT_INDIRECT) |
		  K(KSEF_GRANT_SUBUNIT) | K(KSEF_GRANT_EU_ADMINISTRATION) },
		{ "can_delegate", g->can_delegate != 0,
		  K(KSEF_GRANT_ENTITY) },
		{ "details_type", g->details_type != KSEF_SUBJECT_DETAILS_AUTO,
		  PERSON_KINDS },
		{ "first_name", g->first_name != NULL, PERSON_KINDS },
		{ "last_name", g->last_name != NULL, PERSON_KINDS },
		{ "person_id", g->person_id_type != KSEF_PERM_ID_NONE ||
		  g->person_id_value != NULL, PERSON_KINDS },
		{ "birth_date", g->birth_date != NULL, PERSON_KINDS },
		{ "id_document", g->id_document_type != NULL ||
		  g->id_document_number != NULL ||
		  g->id_document_country != NULL, PERSON_KINDS },
		{ "full_name", g->full_name != NULL, K(KSEF_GRANT_ENTITY) |
		  K(KSEF_GRANT_AUTHORIZATION) | EU_KINDS },
		{ "address", g->address != NULL, EU_KINDS },
		{ "subunit_name", g->subunit_name != NULL,
		  K(KSEF_GRANT_SUBUNIT) },
		{ "eu_entity_name", g->eu_entity_name != NULL,
		  K(KSEF_GRANT_EU_ADMINISTRATION) },
		{ "eu_entity_full_name", g->eu_entity_full_name != NULL,
		  K(KSEF_GRANT_EU_ADMINISTRATION) },
		{ "eu_entity_address", g->eu_entity_address != NULL,
		  K(KSEF_GRANT_EU_ADMINISTRATION) },
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].set && !(f[i].kinds & K(g->kind)))
			return ksef__error_set(err, KSEF_EINVAL, "%s is not "
				"used by the grant of %s", f[i].name,
				grant_kinds[g->kind].name);
	return 0;
}

/* The subjectDetailsType a grant's details have, chosen or checked. */
static int details_type(ksef_subject_details_type *out,
			const ksef_client_grant *g, ksef_error *err)
{
	int fp = g->subject_type == KSEF_PERM_ID_FINGERPRINT,
	    eu = (EU_KINDS & K(g->kind)) != 0;
	ksef_subject_details_type t = g->details_type;

	if (t == KSEF_SUBJECT_DETAILS_AUTO) {
		if (!fp)
			t = KSEF_SUBJECT_PERSON_BY_IDENTIFIER;
		else if (g->person_id_type != KSEF_PERM_ID_NONE ||
			 g->person_id_value != NULL)
			t = KSEF_SUBJECT_PERSON_BY_FINGERPRINT_WITH_ID;
		else if (g->birth_date != NULL)
			t = KSEF_SUBJECT_PERSON_BY_FINGERPRINT_NO_ID;
		else if (eu && g->full_name != NULL)
			t = KSEF_SUBJECT_ENTITY_BY_FINGERPRINT;
		else
			return ksef__error_set(err, KSEF_EINVAL,
				"subjectDetails: a fingerprint's owner needs "
				"person_id_type and person_id_value, or "
				"birth_date and id_document_*%s", eu ?
				", or full_name and address" : "");
	}
	/* The details follow from the grantee: a NIP or PESEL is a person
	 * "by identifier", a fingerprint a person (or, for EU grants, an
	 * entity) "by fingerprint" (PersonPermissionSubjectDetailsType,
	 * EuEntityPermissionSubjectDetailsType). */
	if (t < KSEF_SUBJECT_PERSON_BY_IDENTIFIER ||
	    t > KSEF_SUBJECT_ENTITY_BY_FINGERPRINT ||
	    (t == KSEF_SUBJECT_PERSON_BY_IDENTIFIER) == fp ||
	    (t == KSEF_SUBJECT_PERSON_BY_IDENTIFIER && eu) ||
	    (t == KSEF_SUBJECT_ENTITY_BY_FINGERPRINT && !eu))
		return ksef__error_set(err, KSEF_EINVAL, "subjectDetails: "
			"details type %d does not fit a %s grantee of this "
			"grant", (int)t, ksef__perm_id_name(g->subject_type));
	*out = t;
	return 0;
}

/* A date of birth: YYYY-MM-DD (format: date). */
static int date_form(const char *s)
{
	return s != NULL && strnlen(s, 11) == 10 && all_digits(s, 4) &&
	       s[4] == '-' && all_digits(s + 5, 2) && s[7] == '-' &&
	       all_digits(s + 8, 2) && memcmp(s + 5, "01", 2) >= 0 &&
	       memcmp(s + 5, "12", 2) <= 0 && memcmp(s + 8, "01", 2) >= 0 &&
	       memcmp(s + 8, "31", 2) <= 0;
}

/* firstName and lastName (PersonDetails). */
static int put_names(json_t *o, const ksef_client_grant *g, ksef_error *err)
{
	int error = ksef__perm_put_text(o, "firstName", g->first_name, 2, 30,
					err);

	return error < 0 ? error : ksef__perm_put_text(o, "lastName",
						       g->last_name, 2, 81,
						       err);
}

static const char *const details_names[][2] = {
	{ NULL, NULL },
	{ "PersonByIdentifier", "personById" },
	{ "PersonByFingerprintWithIdentifier", "personByFpWithId" },
	{ "PersonByFingerprintWithoutIdentifier", "personByFpNoId" },
	{ "EntityByFingerprint", "entityByFp" },
};

/* subjectDetails of a person grant (PersonPermissionSubjectDetails,
 * EuEntityPermissionSubjectDetails). */
static int put_person_details(json_t *body, const ksef_client_grant *g,
			      ksef_error *err)
{
	ksef_subject_details_type t = KSEF_SUBJECT_DETAILS_AUTO;
	json_t *sd, *o = NULL, *doc = NULL;
	int error, with_id, no_id, entity;

	if ((error = details_type(&t, g, err)) < 0)
		return error;
	with_id = t == KSEF_SUBJECT_PERSON_BY_FINGERPRINT_WITH_ID;
	no_id = t == KSEF_SUBJECT_PERSON_BY_FINGERPRINT_NO_ID;
	entity = t == KSEF_SUBJECT_ENTITY_BY_FINGERPRINT;
	if (!with_id && (g->person_id_type != KSEF_PERM_ID_NONE ||
			 g->person_id_value != NULL))
		return ksef__error_set(err, KSEF_EINVAL, "person_id is only "
			"for PersonByFingerprintWithIdentifier");
	if (!no_id && (g->birth_date != NULL || g->id_document_type != NULL ||
		       g->id_document_number != NULL ||
		       g->id_document_country != NULL))
		return ksef__error_set(err, KSEF_EINVAL, "birth_date and "
			"id_document are only for "
			"PersonByFingerprintWithoutIdentifier");
	if (entity != (g->full_name != NULL) ||
	    entity != (g->address != NULL))
		return ksef__error_set(err, KSEF_EINVAL, "full_name and "
			"address are %s", entity ? "required for "
			"EntityByFingerprint" : "only for EntityByFingerprint");
	if (entity && (g->first_name != NULL || g->last_name != NULL))
		return ksef__error_set(err, KSEF_EINVAL, "first_name and "
			"last_name are not for EntityByFingerprint");
	sd = json_pack("{s:s}", "subjectDetailsType", details_names[t][0]);
	if (ksef__req_json_set(body, "subjectDetails", sd) < 0 ||
	    ksef__req_json_set(sd, details_names[t][1], o = json_object()) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if (entity) {
		if ((error = ksef__perm_put_text(o, "fullName", g->full_name, 1,
						 100, err)) < 0)
			return error;
		return ksef__perm_put_text(o, "address", g->address, 1, 512,
					   err);
	}
	if ((error = put_names(o, g, err)) < 0)
		return error;
	if (with_id)
		return ksef__perm_put_id(o, "identifier", g->person_id_type,
			g->person_id_value, KSEF__PERM_ID(KSEF_PERM_ID_PESEL) |
			KSEF__PERM_ID(KSEF_PERM_ID_NIP), 1, err);
	if (!no_id)
		return 0;
	if (!date_form(g->birth_date))
		return ksef__error_set(err, KSEF_EINVAL, "birth_date must be "
				       "a date YYYY-MM-DD");
	if (g->id_document_country == NULL ||
	    strnlen(g->id_document_country, 3) != 2 ||
	    g->id_document_country[0] < 'A' ||
	    g->id_document_country[0] > 'Z' ||
	    g->id_document_country[1] < 'A' ||
	    g->id_document_country[1] > 'Z')
		return ksef__error_set(err, KSEF_EINVAL, "id_document_country "
			"must be a country code of two capital letters");
	if (ksef__req_json_set(o, "birthDate", json_string(g->birth_date)) <
	    0 || ksef__req_json_set(o, "idDocument", doc = json_object()) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((error = ksef__perm_put_text(doc, "type", g->id_document_type, 1,
					 20, err)) < 0 ||
	    (error = ksef__perm_put_text(doc, "number", g->id_document_number,
					 1, 20, err)) < 0)
		return error;
	return ksef__perm_put_text(doc, "country", g->id_document_country, 2,
				   2, err);
}

/* permissions (or permission) of a grant, checked against its kind. */
static int put_permissions(json_t *body, const ksef_client_grant *g,
			   ksef_error *err)
{
	unsigned allowed = grant_kinds[g->kind].perms, p = g->permissions;
	json_t *a = NULL, *e;
	size_t i;

	if (allowed == 0) {
		/* The subunit and EU administrators' permissions are
		 * given by the operation itself; the body names none. */
		if (p != 0)
			return ksef__error_set(err, KSEF_EINVAL, "permissions "
				"must be 0: this grant gives a fixed set");
		return 0;
	}
	if (p == 0 || (p & ~allowed) != 0)
		return ksef__error_set(err, KSEF_EINVAL, "permissions must be "
			"a non-empty set of the permissions this grant "
			"takes (0x%x of 0x%x)", p, allowed);
	if (g->kind == KSEF_GRANT_AUTHORIZATION) {
		if ((p & (p - 1)) != 0)
			return ksef__error_set(err, KSEF_EINVAL, "an "
				"authorization grants exactly one permission");
		if (ksef__req_json_set(body, "permission", json_string(
			ksef_permission_name(p))) < 0)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		return 0;
	}
	if (g->kind != KSEF_GRANT_ENTITY)
		return ksef__perm_put_names(body, "permissions", p) < 0 ?
			ksef__error_set(err, KSEF_ENOMEM, "out of memory") : 0;
	/* EntityPermission: {type, canDelegate} each. */
	if ((g->can_delegate & ~p) != 0)
		return ksef__error_set(err, KSEF_EINVAL, "can_delegate names "
			"a permission the grant does not give");
	if (ksef__req_json_set(body, "permissions", a = json_array()) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	for (i = 0; i < PERM_COUNT; i++) {
		if (!(p & (1u << i)))
			continue;
		e = json_pack("{s:s,s:b}", "type", perm_names[i],
			      "canDelegate", (g->can_delegate & (1u << i)) ?
			      1 : 0);
		if (json_array_append_new(a, e) < 0)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
	}
	return 0;
}

/* The members only one kind of grant has. */
static int put_kind_members(json_t *body, const ksef_client_grant *g,
			    ksef_error *err)
{
	json_t *eu = NULL;
	int error;

	switch (g->kind) {
	case KSEF_GRANT_ENTITY:
	case KSEF_GRANT_AUTHORIZATION:
		/* EntityDetails: the entity's full name only. */
		if (ksef__req_json_set(body, "subjectDetails",
				       eu = json_object()) < 0)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		return ksef__perm_put_text(eu, "fullName", g->full_name, 5,
					   90, err);
	case KSEF_GRANT_SUBUNIT:
		/* "W przypadku jednostki podrzędnej z identyfikatorem
		 * wewnętrznym pole jest wymagane." (subunitName) */
		if (g->subunit_name == NULL &&
		    g->target_type != KSEF_PERM_ID_INTERNAL_ID)
			return 0;
		return ksef__perm_put_text(body, "subunitName",
					   g->subunit_name, 5, 256, err);
	case KSEF_GRANT_EU_ADMINISTRATION:
		if ((error = ksef__perm_put_text(body, "euEntityName",
						 g->eu_entity_name, 5, 256,
						 err)) < 0)
			return error;
		if (ksef__req_json_set(body, "euEntityDetails",
				       eu = json_object()) < 0)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		if ((error = ksef__perm_put_text(eu, "fullName",
						 g->eu_entity_full_name, 1,
						 100, err)) < 0)
			return error;
		return ksef__perm_put_text(eu, "address", g->eu_entity_address,
					   1, 512, err);
	default:
		return 0;
	}
}

int ksef__client_build_grant_body(json_t **out, const char **path,
				  const ksef_client_grant *grant,
				  ksef_error *err)
{
	ksef_client_grant g = KSEF_CLIENT_GRANT_INIT;
	json_t *body;
	int error;

	*out = NULL;
	if ((error = KSEF__OPTIONS_COPY(&g, grant, grant_sizes,
					KSEF_CLIENT_GRANT_VERSION,
					"ksef_client_grant", err)) < 0)
		return error;
	if ((unsigned)g.kind >= sizeof(grant_kinds) / sizeof(grant_kinds[0]))
		return ksef__error_set(err, KSEF_EINVAL, "unknown grant kind "
				       "%d", (int)g.kind);
	if ((error = refuse_unused(&g, err)) < 0)
		return error;
	if ((body = json_object()) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((error = ksef__perm_put_id(body, "subjectIdentifier",
				       g.subject_type, g.subject_value,
				       grant_kinds[g.kind].subjects, 1,
				       err)) < 0 ||
	    (grant_kinds[g.kind].target_key != NULL &&
	     (error = ksef__perm_put_id(body, grant_kinds[g.kind].target_key,
					g.target_type, g.target_value,
					grant_kinds[g.kind].targets,
					grant_kinds[g.kind].target_required,
					err)) < 0) ||
	    (error = put_permissions(body, &g, err)) < 0 ||
	    (error = ksef__perm_put_text(body, "description", g.description,
					 5, 256, err)) < 0 ||
	    (error = put_kind_members(body, &g, err)) < 0 ||
	    ((PERSON_KINDS & K(g.kind)) &&
	     (error = put_person_details(body, &g, err)) < 0)) {
		json_decref(body);
		return error;
	}
	*path = grant_kinds[g.kind].path;
	*out = body;
	return 0;
}

/* PermissionsOperationResponse: the operation's reference number. */
struct op_answer {
	const char *reference_number;
};

static int parse_op_answer(struct ksef__rd *r, const json_t *root, void *res)
{
	struct op_answer *a = res;

	return ksef__rd_ref(r, root, "referenceNumber", 1,
			    &a->reference_number);
}

/* Hand out an operation's number and free the answer. */
static void take_ref(char ref_out[KSEF_REFNUM_BUFSZ], void *res)
{
	const struct op_answer *a = res;

	memcpy(ref_out, a->reference_number, KSEF_REFNUM_LEN);
	ref_out[KSEF_REFNUM_LEN] = '\0';
	ksef__result_free(res);
}

int ksef_client_permissions_grant(char ref_out[KSEF_REFNUM_BUFSZ],
				  ksef_client *c,
				  const ksef_client_grant *grant,
				  ksef_error *err)
{
	ksef__request rq = { 0 };
	json_t *body;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, ref_out != NULL && grant != NULL,
				     err)) < 0)
		return error;
	if ((error = ksef__req_need_token(&rq.bearer, c, err)) < 0 ||
	    (error = ksef__client_build_grant_body(&body, &rq.path, grant,
						   err)) < 0)
		return error;
	/* Not retry_safe: a second POST would be a second operation. */
	if ((error = ksef__req_post_result(&res, c, &rq, body,
					   sizeof(struct op_answer),
					   parse_op_answer, err)) < 0)
		return error;
	take_ref(ref_out, res);
	return 0;
}

int ksef_client_permissions_revoke(char ref_out[KSEF_REFNUM_BUFSZ],
				   ksef_client *c, const char *permission_id,
				   int authorization, ksef_error *err)
{
	ksef__request rq = { 0 };
	char path[96];
	void *res;
	int error;

	if ((error = ksef__req_begin(c, ref_out != NULL, err)) < 0)
		return error;
	/* PermissionId: 36 characters, a UUID in the contract's examples;
	 * only letters, digits and hyphens may go into the path. */
	if ((error = ksef__req_check_ref("permission id", permission_id,
					 err)) < 0 ||
	    (error = ksef__req_need_token(&rq.bearer, c, err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/permissions/%s/grants/%s",
		 authorization ? "authorizations" : "common", permission_id);
	rq.method = "DELETE";
	rq.path = path;
	/* Not retry_safe: a second DELETE is an operation of its own, whose
	 * status (not found) would hide how the first one went. */
	if ((error = ksef__req_call_result(&res, c, &rq, 0,
					   sizeof(struct op_answer),
					   parse_op_answer, err)) < 0)
		return error;
	take_ref(ref_out, res);
	return 0;
}

/* PermissionsOperationStatusResponse. */
static int parse_operation(struct ksef__rd *r, const json_t *root, void *res)
{
	ksef_api_permission_operation *op = res;

	return ksef__rd_status(r, root, "status", &op->status, NULL);
}

int ksef_client_permissions_operation(ksef_api_permission_operation **out,
				      ksef_client *c, const char *reference,
				      ksef_error *err)
{
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_get_on_ref(&res, c, "/permissions/operations/",
					  "operation reference number",
					  reference,
					  sizeof(ksef_api_permission_operation),
					  parse_operation, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_permission_operation_free(ksef_api_permission_operation *op)
{
	ksef__result_free(op);
}

/* CheckAttachmentPermissionStatusResponse. */
static int parse_attachment(struct ksef__rd *r, const json_t *root, void *res)
{
	ksef_api_attachment_status *st = res;
	int error = ksef__rd_opt_bool(r, root, "isAttachmentAllowed",
				      &st->is_attachment_allowed);

	return error < 0 ? error : ksef__rd_opt_time(r, root, "revokedDate",
						     &st->revoked_date_ms);
}

int ksef_client_permissions_attachment_status(
	ksef_api_attachment_status **out, ksef_client *c, ksef_error *err)
{
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_get_one(&res, c,
				       "/permissions/attachments/status",
				       sizeof(ksef_api_attachment_status),
				       parse_attachment, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_attachment_status_free(ksef_api_attachment_status *st)
{
	ksef__result_free(st);
}
