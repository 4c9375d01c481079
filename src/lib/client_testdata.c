/*
 * client_testdata.c - the endpoints of the open-api tag "Dane testowe"
 * (dane-testowe-scenariusze.md): test subjects and persons, test
 * permissions, the consent to invoices with attachments and blocked
 * contexts, all on the TEST environment only. Each call checks its inputs
 * against the request schema, builds the body (the builders are
 * client_admin.h's, for the unit tests) and sends it without a token, as
 * the contract gives these operations no security. It also owns
 * ksef__admin_call(), the bare exchange it shares with client_limits.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include "ksef/number.h"
#include "client_int.h"
#include "client_admin.h"

/* The lengths of every description of the tag (SubjectCreateRequest,
 * Subunit, PersonCreateRequest, TestDataPermission), in characters. */
#define DESCRIPTION_MIN 5
#define DESCRIPTION_MAX 256

/* TestDataAuthorizedIdentifier.value is 10 to 64 characters; a
 * fingerprint, the longest, is a SHA-256 in hex. */
#define FINGERPRINT_LEN 64

/* The instants a date-time can write: 0001-01-01T00:00:00Z to
 * 9999-12-30T00:00:00Z (a day short, for the offset of Polish time). */
#define CREATED_MIN_MS INT64_C(-62135596800000)
#define CREATED_MAX_MS INT64_C(253402128000000)

/* Longest contextIdentifier.value of a block (the auth context's bound in
 * client_auth.c: every ContextIdentifier pattern is shorter). */
#define CTX_VALUE_MAX 64

/* TestDataAuthenticationContextIdentifierType, in ksef_context_type's
 * order. */
static const char *const context_names[] = {
	"Nip", "InternalId", "NipVatUe", "PeppolId"
};

/* TestDataPermissionType. */
static const char *const permission_names[] = {
	"InvoiceRead", "InvoiceWrite", "Introspection", "CredentialsRead",
	"CredentialsManage", "EnforcementOperations", "SubunitManage",
};

/* SubjectType. */
static const char *const subject_types[] = {
	"EnforcementAuthority", "VatGroup", "JST",
};

/* TestDataAuthorizedIdentifierType. */
static const char *const authorized_types[] = { "Nip", "Pesel",
						"Fingerprint" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The exchange
 */

int ksef__admin_call(ksef_client *c, const char *method, const char *path,
		     json_t *body, int with_token, int retry_safe,
		     ksef_error *err)
{
	ksef__request rq = { 0 };
	ksef__response rs = KSEF__RESPONSE_INIT;
	char *text = NULL;
	int error = 0;

	rq.method = method;
	rq.path = path;
	rq.retry_safe = retry_safe;
	if (with_token)
		error = ksef__req_need_token(&rq.bearer, c, err);
	if (error == 0 && body != NULL) {
		if ((text = json_dumps(body, JSON_COMPACT)) == NULL) {
			error = ksef__error_set(err, KSEF_ENOMEM,
						"out of memory");
		} else {
			rq.content_type = "application/json";
			rq.body = (const unsigned char *)text;
			rq.body_len = strlen(text);
		}
	}
	json_decref(body);
	if (error == 0)
		error = ksef__client_perform(c, &rq, &rs, err);
	ksef__response_dispose(&rs);
	free(text);
	return error;
}

/*
 * Checking the caller's values against the schemas
 */

/* The index of s in names, or -1. */
static int name_index(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

/* A Nip: ten digits of the schema's pattern. */
static int check_nip(const char *field, const char *s, ksef_error *err)
{
	if (s == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "%s is NULL", field);
	if (ksef_nip_validate_pattern(s, strnlen(s, 11), NULL) != 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s is not a NIP: it must be 10 digits of the pattern "
			"[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}", field);
	return 0;
}

/* A Pesel: the schema's pattern; a wrong check digit passes, since test
 * data is made-up. */
static int check_pesel(const char *field, const char *s, ksef_error *err)
{
	int rc;

	if (s == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "%s is NULL", field);
	rc = ksef_pesel_validate(s, strnlen(s, 12), NULL);
	if (rc != 0 && rc != KSEF_ECHECKSUM)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s is not a PESEL: it must be 11 digits with a month "
			"of the schema's pattern", field);
	return 0;
}

/* A SHA-256 fingerprint: 64 hex digits. */
static int check_fingerprint(const char *field, const char *s,
			     ksef_error *err)
{
	if (s == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "%s is NULL", field);
	if (strnlen(s, FINGERPRINT_LEN + 1) != FINGERPRINT_LEN ||
	    strspn(s, "0123456789ABCDEFabcdef") != FINGERPRINT_LEN)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s is not a certificate fingerprint: it must be %d "
			"hex digits", field, FINGERPRINT_LEN);
	return 0;
}

/* A description as a new JSON string: 5 to 256 characters of UTF-8. Its
 * bytes are bounded first: 256 characters are at most 1,024 bytes. */
static int description_json(json_t **out, const char *field, const char *s,
			    ksef_error *err)
{
	size_t len, chars;

	*out = NULL;
	if (s == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "%s is NULL", field);
	len = strnlen(s, 4 * DESCRIPTION_MAX + 1);
	if (len > 4 * DESCRIPTION_MAX)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s must be %d to %d characters", field,
			DESCRIPTION_MIN, DESCRIPTION_MAX);
	if ((*out = json_stringn(s, len)) == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s is not UTF-8 (or out of memory)", field);
	chars = ksef__req_utf8_chars(s, len);
	if (chars < DESCRIPTION_MIN || chars > DESCRIPTION_MAX) {
		json_decref(*out);
		*out = NULL;
		return ksef__error_set(err, KSEF_EINVAL,
			"%s must be %d to %d characters", field,
			DESCRIPTION_MIN, DESCRIPTION_MAX);
	}
	return 0;
}

/* createdDate: a date-time in Polish local time, as KSeF writes its own;
 * nothing when KSEF_TIME_UNSET. */
static int put_created(json_t *body, int64_t ms, ksef_error *err)
{
	char text[KSEF_TIME_BUFSZ];
	int error;

	if (ms == KSEF_TIME_UNSET)
		return 0;
	/* Years 0001 to 9999, checked before any arithmetic on ms. */
	if (ms < CREATED_MIN_MS || ms > CREATED_MAX_MS ||
	    (error = ksef_time_format(text, ksef_time_warsaw(ms), err)) < 0)
		return ksef__error_set(err, KSEF_EINVAL, "createdDate is out "
				       "of the years a date-time may have");
	return ksef__req_json_set(body, "createdDate", json_string(text));
}

static int nomem(json_t **body, ksef_error *err)
{
	json_decref(*body);
	*body = NULL;
	return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
}

/*
 * Subjects
 */

/* The bytes of each version of ksef_client_testdata_subject (options.h). */
static const size_t subject_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_testdata_subject, created_date_ms),
};
KSEF__OPTIONS_SIZES(subject_sizes, KSEF_CLIENT_TESTDATA_SUBJECT_VERSION);

/* subunits: each a Subunit {subjectNip, description}; a NIP at most once
 * in the request, the subject's own included (ksefd's 21405). */
static int put_subunits(json_t *body, const ksef_client_testdata_subject *s,
			ksef_error *err)
{
	json_t *arr, *desc, *unit;
	char field[64];
	size_t i, k;
	int error;

	if (s->subunit_count == 0)
		return 0;
	if (s->subunit_count > KSEF_CLIENT_TESTDATA_SUBUNITS_MAX)
		return ksef__error_set(err, KSEF_EINVAL,
			"subunits: %zu are over the limit of %d",
			s->subunit_count, KSEF_CLIENT_TESTDATA_SUBUNITS_MAX);
	if (s->subunit_nips == NULL || s->subunit_descriptions == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "subunits: %zu "
			"announced but the NIPs or descriptions are NULL",
			s->subunit_count);
	if (strcmp(s->subject_type, "EnforcementAuthority") == 0)
		return ksef__error_set(err, KSEF_EINVAL, "subunits: only a "
			"VatGroup or a JST has subunits");
	if ((error = ksef__req_json_set(body, "subunits",
					arr = json_array())) < 0)
		return ksef__error_set(err, error, "out of memory");
	for (i = 0; i < s->subunit_count; i++) {
		snprintf(field, sizeof(field), "subunits[%zu].subjectNip", i);
		if ((error = check_nip(field, s->subunit_nips[i], err)) < 0)
			return error;
		if (strcmp(s->subunit_nips[i], s->subject_nip) == 0)
			return ksef__error_set(err, KSEF_EINVAL,
				"%s is the subject's own NIP", field);
		for (k = 0; k < i; k++)
			if (strcmp(s->subunit_nips[k],
				   s->subunit_nips[i]) == 0)
				return ksef__error_set(err, KSEF_EINVAL,
					"%s repeats subunits[%zu]", field, k);
		snprintf(field, sizeof(field), "subunits[%zu].description", i);
		if ((error = description_json(&desc, field,
				s->subunit_descriptions[i], err)) < 0)
			return error;
		unit = json_pack("{s:s,s:o}", "subjectNip", s->subunit_nips[i],
				 "description", desc);
		if (unit == NULL || json_array_append_new(arr, unit) < 0)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
	}
	return 0;
}

int ksef__client_build_testdata_subject_body(json_t **out,
	const ksef_client_testdata_subject *s, ksef_error *err)
{
	ksef_client_testdata_subject copy = KSEF_CLIENT_TESTDATA_SUBJECT_INIT;
	json_t *body = NULL, *desc;
	int error;

	*out = NULL;
	if ((error = KSEF__OPTIONS_COPY(&copy, s, subject_sizes,
					KSEF_CLIENT_TESTDATA_SUBJECT_VERSION,
					"ksef_client_testdata_subject",
					err)) < 0 ||
	    (error = check_nip("subjectNip", copy.subject_nip, err)) < 0)
		return error;
	if (name_index(copy.subject_type, subject_types,
		       COUNT(subject_types)) < 0)
		return ksef__error_set(err, KSEF_EINVAL, "subjectType must be "
			"EnforcementAuthority, VatGroup or JST");
	if ((error = description_json(&desc, "description", copy.description,
				      err)) < 0)
		return error;
	body = json_pack("{s:s,s:s,s:o}", "subjectNip", copy.subject_nip,
			 "subjectType", copy.subject_type, "description", desc);
	if (body == NULL)
		return nomem(&body, err);
	if ((error = put_subunits(body, &copy, err)) < 0 ||
	    (error = put_created(body, copy.created_date_ms, err)) < 0) {
		json_decref(body);
		return error == KSEF_ENOMEM ? ksef__error_set(err, error,
			"out of memory") : error;
	}
	*out = body;
	return 0;
}

int ksef_client_testdata_subject_create(ksef_client *c,
	const ksef_client_testdata_subject *s, ksef_error *err)
{
	json_t *body;
	int error;

	if ((error = ksef__req_begin(c, s != NULL, err)) < 0 ||
	    (error = ksef__client_build_testdata_subject_body(&body, s,
							      err)) < 0)
		return error;
	return ksef__admin_call(c, "POST", "/testdata/subject", body, 0, 0,
				err);
}

int ksef__client_build_testdata_nip_body(json_t **out, const char *key,
					 const char *nip, ksef_error *err)
{
	int error;

	*out = NULL;
	if ((error = check_nip(key, nip, err)) < 0)
		return error;
	if ((*out = json_pack("{s:s}", key, nip)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

/* A call of the tag whose body is one NIP. */
static int nip_call(ksef_client *c, const char *path, const char *key,
		    const char *nip, int retry_safe, ksef_error *err)
{
	json_t *body;
	int error;

	if ((error = ksef__req_begin(c, 1, err)) < 0 ||
	    (error = ksef__client_build_testdata_nip_body(&body, key, nip,
							  err)) < 0)
		return error;
	return ksef__admin_call(c, "POST", path, body, 0, retry_safe, err);
}

int ksef_client_testdata_subject_remove(ksef_client *c,
					const char *subject_nip,
					ksef_error *err)
{
	/* A second removal is 21405: not repeated blindly. */
	return nip_call(c, "/testdata/subject/remove", "subjectNip",
			subject_nip, 0, err);
}

/*
 * Persons
 */

static const size_t person_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_testdata_person, created_date_ms),
};
KSEF__OPTIONS_SIZES(person_sizes, KSEF_CLIENT_TESTDATA_PERSON_VERSION);

int ksef__client_build_testdata_person_body(json_t **out,
	const ksef_client_testdata_person *p, ksef_error *err)
{
	ksef_client_testdata_person copy = KSEF_CLIENT_TESTDATA_PERSON_INIT;
	json_t *body, *desc;
	int error;

	*out = NULL;
	if ((error = KSEF__OPTIONS_COPY(&copy, p, person_sizes,
					KSEF_CLIENT_TESTDATA_PERSON_VERSION,
					"ksef_client_testdata_person",
					err)) < 0 ||
	    (error = check_nip("nip", copy.nip, err)) < 0 ||
	    (error = check_pesel("pesel", copy.pesel, err)) < 0 ||
	    (error = description_json(&desc, "description", copy.description,
				      err)) < 0)
		return error;
	body = json_pack("{s:s,s:s,s:b,s:o,s:b}", "nip", copy.nip, "pesel",
			 copy.pesel, "isBailiff", copy.is_bailiff != 0,
			 "description", desc, "isDeceased",
			 copy.is_deceased != 0);
	if (body == NULL)
		return nomem(&body, err);
	if ((error = put_created(body, copy.created_date_ms, err)) < 0) {
		json_decref(body);
		return error;
	}
	*out = body;
	return 0;
}

int ksef_client_testdata_person_create(ksef_client *c,
				       const ksef_client_testdata_person *p,
				       ksef_error *err)
{
	json_t *body;
	int error;

	if ((error = ksef__req_begin(c, p != NULL, err)) < 0 ||
	    (error = ksef__client_build_testdata_person_body(&body, p,
							     err)) < 0)
		return error;
	return ksef__admin_call(c, "POST", "/testdata/person", body, 0, 0,
				err);
}

int ksef_client_testdata_person_remove(ksef_client *c, const char *nip,
				       ksef_error *err)
{
	return nip_call(c, "/testdata/person/remove", "nip", nip, 0, err);
}

/*
 * Test permissions
 */

/* contextIdentifier {Nip} and authorizedIdentifier, both checked. */
static int identifiers(json_t **out, const char *context,
		       const char *type, const char *value, ksef_error *err)
{
	int error, t;

	*out = NULL;
	if ((error = check_nip("contextIdentifier.value", context, err)) < 0)
		return error;
	if ((t = name_index(type, authorized_types,
			    COUNT(authorized_types))) < 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"authorizedIdentifier.type must be Nip, Pesel or "
			"Fingerprint");
	error = t == 0 ? check_nip("authorizedIdentifier.value", value, err) :
		t == 1 ? check_pesel("authorizedIdentifier.value", value, err) :
		check_fingerprint("authorizedIdentifier.value", value, err);
	if (error < 0)
		return error;
	if ((*out = json_pack("{s:{s:s,s:s},s:{s:s,s:s}}",
			      "contextIdentifier", "type", "Nip", "value",
			      context, "authorizedIdentifier", "type", type,
			      "value", value)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

static const size_t permissions_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_testdata_permissions, permission_count),
};
KSEF__OPTIONS_SIZES(permissions_sizes,
		    KSEF_CLIENT_TESTDATA_PERMISSIONS_VERSION);

int ksef__client_build_testdata_grant_body(json_t **out,
	const ksef_client_testdata_permissions *p, ksef_error *err)
{
	ksef_client_testdata_permissions copy =
		KSEF_CLIENT_TESTDATA_PERMISSIONS_INIT;
	json_t *body = NULL, *arr, *desc, *one;
	char field[48];
	size_t i, k;
	int error;

	*out = NULL;
	if ((error = KSEF__OPTIONS_COPY(&copy, p, permissions_sizes,
					KSEF_CLIENT_TESTDATA_PERMISSIONS_VERSION,
					"ksef_client_testdata_permissions",
					err)) < 0)
		return error;
	if (copy.permission_count == 0 ||
	    copy.permission_count > KSEF_CLIENT_TESTDATA_PERMISSIONS_MAX ||
	    copy.permission_types == NULL || copy.descriptions == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "permissions must "
			"name 1 to %d permissions, each with a description",
			KSEF_CLIENT_TESTDATA_PERMISSIONS_MAX);
	if ((error = identifiers(&body, copy.context_identifier,
				 copy.authorized_identifier_type,
				 copy.authorized_identifier, err)) < 0)
		return error;
	if (ksef__req_json_set(body, "permissions", arr = json_array()) < 0)
		return nomem(&body, err);
	for (i = 0; i < copy.permission_count; i++) {
		const char *type = copy.permission_types[i];

		snprintf(field, sizeof(field), "permissions[%zu]", i);
		if (name_index(type, permission_names,
			       COUNT(permission_names)) < 0) {
			error = ksef__error_set(err, KSEF_EINVAL, "%s."
				"permissionType must be InvoiceRead, "
				"InvoiceWrite, Introspection, CredentialsRead, "
				"CredentialsManage, EnforcementOperations or "
				"SubunitManage", field);
			goto fail;
		}
		for (k = 0; k < i; k++)
			if (strcmp(copy.permission_types[k], type) == 0) {
				error = ksef__error_set(err, KSEF_EINVAL,
					"%s.permissionType repeats "
					"permissions[%zu]", field, k);
				goto fail;
			}
		snprintf(field, sizeof(field), "permissions[%zu].description",
			 i);
		if ((error = description_json(&desc, field,
					      copy.descriptions[i], err)) < 0)
			goto fail;
		one = json_pack("{s:o,s:s}", "description", desc,
				"permissionType", type);
		if (one == NULL || json_array_append_new(arr, one) < 0)
			return nomem(&body, err);
	}
	*out = body;
	return 0;
fail:
	json_decref(body);
	return error;
}

int ksef_client_testdata_permissions_grant(ksef_client *c,
	const ksef_client_testdata_permissions *p, ksef_error *err)
{
	json_t *body;
	int error;

	if ((error = ksef__req_begin(c, p != NULL, err)) < 0 ||
	    (error = ksef__client_build_testdata_grant_body(&body, p,
							    err)) < 0)
		return error;
	return ksef__admin_call(c, "POST", "/testdata/permissions", body, 0, 0,
				err);
}

int ksef__client_build_testdata_revoke_body(json_t **out,
	const char *context_identifier, const char *authorized_identifier_type,
	const char *authorized_identifier, ksef_error *err)
{
	return identifiers(out, context_identifier, authorized_identifier_type,
			   authorized_identifier, err);
}

int ksef_client_testdata_permissions_revoke(ksef_client *c,
	const char *context_identifier, const char *authorized_identifier_type,
	const char *authorized_identifier, ksef_error *err)
{
	json_t *body;
	int error;

	if ((error = ksef__req_begin(c, 1, err)) < 0 ||
	    (error = ksef__client_build_testdata_revoke_body(&body,
			context_identifier, authorized_identifier_type,
			authorized_identifier, err)) < 0)
		return error;
	return ksef__admin_call(c, "POST", "/testdata/permissions/revoke",
				body, 0, 1, err);
}

/*
 * Attachments
 */

int ksef_client_testdata_attachment_allow(ksef_client *c, const char *nip,
					  ksef_error *err)
{
	return nip_call(c, "/testdata/attachment", "nip", nip, 1, err);
}

int ksef__client_build_attachment_revoke_body(json_t **out, const char *nip,
	const char *expected_end_date, ksef_error *err)
{
	ksef_date d;
	int error;

	*out = NULL;
	if (expected_end_date != NULL &&
	    ksef_date_parse(&d, expected_end_date,
			    strnlen(expected_end_date, 11), NULL) != 0)
		return ksef__error_set(err, KSEF_EINVAL, "expectedEndDate must "
				       "be a date, YYYY-MM-DD");
	if ((error = ksef__client_build_testdata_nip_body(out, "nip", nip,
							  err)) < 0)
		return error;
	if (expected_end_date != NULL &&
	    ksef__req_json_set(*out, "expectedEndDate",
			       json_string(expected_end_date)) < 0)
		return nomem(out, err);
	return 0;
}

int ksef_client_testdata_attachment_revoke(ksef_client *c, const char *nip,
					   const char *expected_end_date,
					   ksef_error *err)
{
	json_t *body;
	int error;

	if ((error = ksef__req_begin(c, 1, err)) < 0 ||
	    (error = ksef__client_build_attachment_revoke_body(&body, nip,
			expected_end_date, err)) < 0)
		return error;
	return ksef__admin_call(c, "POST", "/testdata/attachment/revoke", body,
				0, 1, err);
}

/*
 * Blocked contexts
 */

int ksef__client_build_context_block_body(json_t **out,
	ksef_context_type ctx_type, const char *ctx_value, ksef_error *err)
{
	size_t len;

	*out = NULL;
	if ((unsigned)ctx_type >= COUNT(context_names))
		return ksef__error_set(err, KSEF_EINVAL,
				       "unknown context type %d", (int)ctx_type);
	if (ctx_value == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
				       "contextIdentifier.value is NULL");
	len = strnlen(ctx_value, CTX_VALUE_MAX + 1);
	if (len == 0 || len > CTX_VALUE_MAX ||
	    !ksef__printable_ascii(ctx_value, len))
		return ksef__error_set(err, KSEF_EINVAL,
			"contextIdentifier.value must be 1 to %d printable "
			"ASCII characters", CTX_VALUE_MAX);
	/* A Nip is held to its pattern here; the other types' patterns
	 * are left to the server, which knows them all. */
	if (ctx_type == KSEF_CONTEXT_NIP &&
	    check_nip("contextIdentifier.value", ctx_value, err) < 0)
		return KSEF_EINVAL;
	if ((*out = json_pack("{s:{s:s,s:s}}", "contextIdentifier", "value",
			      ctx_value, "type",
			      context_names[ctx_type])) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

static int block_call(ksef_client *c, const char *path,
		      ksef_context_type ctx_type, const char *ctx_value,
		      ksef_error *err)
{
	json_t *body;
	int error;

	if ((error = ksef__req_begin(c, 1, err)) < 0 ||
	    (error = ksef__client_build_context_block_body(&body, ctx_type,
							   ctx_value, err)) < 0)
		return error;
	return ksef__admin_call(c, "POST", path, body, 0, 1, err);
}

int ksef_client_testdata_context_block(ksef_client *c,
				       ksef_context_type ctx_type,
				       const char *ctx_value, ksef_error *err)
{
	return block_call(c, "/testdata/context/block", ctx_type, ctx_value,
			  err);
}

int ksef_client_testdata_context_unblock(ksef_client *c,
					 ksef_context_type ctx_type,
					 const char *ctx_value, ksef_error *err)
{
	return block_call(c, "/testdata/context/unblock", ctx_type, ctx_value,
			  err);
}
