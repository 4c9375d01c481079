/*
 * api_permissions_common.c - what the permission handlers share: the
 * caller, the identifiers, texts, name lists and subject details of the
 * request bodies, each checked against its schema in open-api.json and
 * answered 400/21405 naming the member when it is not; the grant rows;
 * the operation (an EG reference number and its status) and its 202; and
 * paging by pageOffset and pageSize.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api_permissions.h"
#include "context.h"
#include "errors.h"
#include "http.h"
#include "permissions.h"
#include "util/util.h"

int perm_caller_load(struct request *req, struct perm_caller *out)
{
	store_auth op;
	ksef_error err;

	memset(out, 0, sizeof(*out));
	/* Who authenticated is the operation's; the access token names it.
	 * It outlives every access token it issued (store_auth_purge). */
	if (store_auth_get(req->srv->store, req->claims.reference, &op,
			   &err) != 0) {
		errors_internal(req, &err);
		return -1;
	}
	/* Claims are checked to fit the store's fields when issued. */
	snprintf(out->ctx_type, sizeof(out->ctx_type), "%.*s",
		 (int)sizeof(out->ctx_type) - 1, req->claims.context_type);
	snprintf(out->ctx_value, sizeof(out->ctx_value), "%s",
		 req->claims.context_value);
	snprintf(out->subject_type, sizeof(out->subject_type), "%s",
		 op.subject_type);
	snprintf(out->subject_value, sizeof(out->subject_value), "%s",
		 op.subject_value);
	out->owner = permissions_is_owner(out->ctx_type, out->ctx_value,
					  out->subject_type,
					  out->subject_value);
	return 0;
}

/* ---- identifiers ---- */

static const struct {
	unsigned bit;
	const char *name;
} id_types[] = {
	{ PERM_ID_NIP, "Nip" },
	{ PERM_ID_PESEL, "Pesel" },
	{ PERM_ID_FINGERPRINT, "Fingerprint" },
	{ PERM_ID_INTERNAL_ID, "InternalId" },
	{ PERM_ID_NIP_VAT_UE, "NipVatUe" },
	{ PERM_ID_PEPPOL_ID, "PeppolId" },
	{ PERM_ID_ALL_PARTNERS, "AllPartners" },
	{ PERM_ID_SYSTEM, "System" },
};

static int hex64(char *v)
{
	size_t i;

	if (strlen(v) != 64)
		return 0;
	for (i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)v[i]))
			return 0;
		v[i] = (char)toupper((unsigned char)v[i]);
	}
	return 1;
}

/* Whether v is a value of the type; a fingerprint is upper-cased. NIP and
 * PESEL check digits count on the production profile only, as on the
 * TEST environment, where made-up numbers are common. */
static int id_value_ok(struct request *req, unsigned bit, char *v)
{
	int production = req->srv->cfg.production, rc;

	switch (bit) {
	case PERM_ID_NIP:
		return strlen(v) == 10 && (production ?
			ksef_nip_validate(v, 10, NULL) :
			ksef_nip_validate_pattern(v, 10, NULL)) == 0;
	case PERM_ID_PESEL:
		if (strlen(v) != KSEF_PESEL_LEN)
			return 0;
		rc = ksef_pesel_validate(v, KSEF_PESEL_LEN, NULL);
		return rc == 0 || (rc == KSEF_ECHECKSUM && !production);
	case PERM_ID_FINGERPRINT:
		return hex64(v);
	case PERM_ID_INTERNAL_ID:
		return context_value_ok("InternalId", v);
	case PERM_ID_NIP_VAT_UE:
		return context_value_ok("NipVatUe", v);
	case PERM_ID_PEPPOL_ID:
		return context_value_ok("PeppolId", v);
	default:
		return *v == '\0';
	}
}

int perm_ident(struct request *req, json_t *obj, const char *name,
	       unsigned types, int required, struct perm_id *out)
{
	json_t *o = json_object_get(obj, name), *t, *v;
	const char *tv;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (o == NULL || json_is_null(o)) {
		if (!required)
			return 0;
		errors_reply(req, 400, 21405, "Pole '%s' jest wymagane.", name);
		return -1;
	}
	t = json_object_get(o, "type");
	v = json_object_get(o, "value");
	if (!json_is_object(o) || !json_is_string(t) ||
	    (v != NULL && !json_is_null(v) && !json_is_string(v))) {
		errors_reply(req, 400, 21405, "Pole '%s' musi być obiektem z "
			"tekstowymi polami 'type' i 'value'.", name);
		return -1;
	}
	tv = json_string_value(t);
	/* Enum names in any case (SPEC 13 #25): the test-data scenarios
	 * themselves write "nip" and "pesel". */
	for (i = 0; i < sizeof(id_types) / sizeof(id_types[0]); i++)
		if ((types & id_types[i].bit) &&
		    strcasecmp(tv, id_types[i].name) == 0)
			break;
	if (i == sizeof(id_types) / sizeof(id_types[0])) {
		errors_reply(req, 400, 21405, "Nieobsługiwany typ "
			"identyfikatora '%.32s' w polu '%s'.", tv, name);
		return -1;
	}
	snprintf(out->type, sizeof(out->type), "%s", id_types[i].name);
	if (json_is_string(v)) {
		if (json_string_length(v) >= sizeof(out->value) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			goto bad;
		snprintf(out->value, sizeof(out->value), "%s",
			 json_string_value(v));
	}
	if (!id_value_ok(req, id_types[i].bit, out->value))
		goto bad;
	return 1;
bad:
	errors_reply(req, 400, 21405, "Nieprawidłowa wartość identyfikatora "
		"typu %s w polu '%s'.", out->type, name);
	return -1;
}

/* ---- texts ---- */

/* Code points of valid UTF-8 (jansson has checked the encoding). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

const char *perm_text(struct request *req, json_t *obj, const char *path,
		      const char *name, size_t min, size_t max, int required,
		      int *failed)
{
	const char *s;
	size_t n;

	/* In bytes first: a character takes at most four. */
	s = api_string(req, obj, path, name, min, max * 4, required, failed);
	if (s == NULL)
		return NULL;
	n = utf8_chars(s);
	if (n < min || n > max) {
		*failed = 1;
		errors_reply(req, 400, 21405, "Pole '%s%s' musi mieć od %zu do "
			"%zu znaków.", path, name, min, max);
		return NULL;
	}
	return s;
}

int perm_names(struct request *req, json_t *obj, const char *name,
	       const char *const *allowed, int with_delegate,
	       const char *out[], int delegate[], size_t max, size_t *n)
{
	json_t *a = json_object_get(obj, name), *e, *t, *d;
	const char *v;
	size_t i, j, k;

	*n = 0;
	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > max) {
		errors_reply(req, 400, 21405, "Pole '%s' musi być niepustą "
			"listą uprawnień.", name);
		return -1;
	}
	json_array_foreach(a, i, e) {
		t = with_delegate ? json_object_get(e, "type") : e;
		d = with_delegate ? json_object_get(e, "canDelegate") : NULL;
		if ((with_delegate && !json_is_object(e)) ||
		    !json_is_string(t) ||
		    (d != NULL && !json_is_null(d) && !json_is_boolean(d))) {
			errors_reply(req, 400, 21405, "Nieprawidłowy element "
				"%zu pola '%s'.", i, name);
			return -1;
		}
		v = json_string_value(t);
		for (j = 0; allowed[j] != NULL; j++)
			if (strcasecmp(v, allowed[j]) == 0)
				break;
		if (allowed[j] == NULL) {
			errors_reply(req, 400, 21405, "Uprawnienie '%.32s' nie "
				"może być nadane w polu '%s'.", v, name);
			return -1;
		}
		/* "Każda wartość może wystąpić tylko raz." */
		for (k = 0; k < *n; k++)
			if (out[k] == allowed[j]) {
				errors_reply(req, 400, 21405, "Uprawnienie %s "
					"występuje w polu '%s' więcej niż raz.",
					allowed[j], name);
				return -1;
			}
		out[*n] = allowed[j];
		if (delegate != NULL)
			delegate[*n] = json_is_true(d);
		(*n)++;
	}
	return 0;
}

/* ---- subject details ---- */

/* A YYYY-MM-DD date (format: date). */
static int is_date(const char *s)
{
	int y, m, d;
	char tail;

	return strlen(s) == 10 && s[4] == '-' && s[7] == '-' &&
	       sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
	       y >= 1900 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* {firstName, lastName} of a person's details into out. */
static int person_names(struct request *req, json_t *o, const char *path,
			json_t *out)
{
	const char *first, *last;
	int failed = 0;

	first = perm_text(req, o, path, "firstName", 2, 30, 1, &failed);
	last = perm_text(req, o, path, "lastName", 2, 81, 1, &failed);
	if (failed)
		return -1;
	json_object_set_new(out, "firstName", json_string(first));
	json_object_set_new(out, "lastName", json_string(last));
	return 0;
}

static json_t *details_object(struct request *req, json_t *sd,
			      const char *member, const char *path)
{
	json_t *o = json_object_get(sd, member);

	if (!json_is_object(o)) {
		errors_reply(req, 400, 21405, "Pole '%s' jest wymagane dla "
			"tego rodzaju danych podmiotu.", path);
		return NULL;
	}
	return o;
}

/* personByFpWithId or personByFpNoId into out (subjectPersonDetails). */
static int person_by_fingerprint(struct request *req, json_t *sd, int with_id,
				 json_t *out)
{
	json_t *o, *doc;
	struct perm_id id;
	const char *birth, *type, *number, *country;
	int failed = 0;

	if (with_id) {
		o = details_object(req, sd, "personByFpWithId",
				   "subjectDetails.personByFpWithId");
		if (o == NULL || person_names(req, o,
				"subjectDetails.personByFpWithId.", out) != 0 ||
		    perm_ident(req, o, "identifier", PERM_ID_PESEL |
			       PERM_ID_NIP, 1, &id) < 0)
			return -1;
		json_object_set_new(out, "personIdentifier", json_pack(
			"{s:s,s:s}", "type", id.type, "value", id.value));
		return 0;
	}
	o = details_object(req, sd, "personByFpNoId",
			   "subjectDetails.personByFpNoId");
	if (o == NULL || person_names(req, o, "subjectDetails.personByFpNoId.",
				      out) != 0)
		return -1;
	birth = api_string(req, o, "subjectDetails.personByFpNoId.",
			   "birthDate", 10, 10, 1, &failed);
	doc = json_object_get(o, "idDocument");
	if (!failed && !is_date(birth)) {
		errors_reply(req, 400, 21405, "Pole 'subjectDetails."
			"personByFpNoId.birthDate' musi być datą RRRR-MM-DD.");
		return -1;
	}
	if (!failed && !json_is_object(doc)) {
		errors_reply(req, 400, 21405, "Pole 'subjectDetails."
			"personByFpNoId.idDocument' jest wymagane.");
		return -1;
	}
	type = perm_text(req, doc, "idDocument.", "type", 1, 20, 1, &failed);
	number = perm_text(req, doc, "idDocument.", "number", 1, 20, 1,
			   &failed);
	country = api_string(req, doc, "idDocument.", "country", 2, 2, 1,
			     &failed);
	if (failed)
		return -1;
	if (country[0] < 'A' || country[0] > 'Z' || country[1] < 'A' ||
	    country[1] > 'Z') {
		errors_reply(req, 400, 21405, "Pole 'idDocument.country' musi "
			"być kodem kraju ISO 3166-1 alpha-2.");
		return -1;
	}
	json_object_set_new(out, "birthDate", json_string(birth));
	json_object_set_new(out, "idDocument", json_pack("{s:s,s:s,s:s}",
		"type", type, "number", number, "country", country));
	return 0;
}

static const char *const person_details_types[] = {
	"PersonByIdentifier", "PersonByFingerprintWithIdentifier",
	"PersonByFingerprintWithoutIdentifier", "EntityByFingerprint", NULL,
};

int perm_subject_details(struct request *req, json_t *body,
			 enum perm_details_kind kind,
			 const struct perm_id *grantee, json_t *details)
{
	json_t *sd = json_object_get(body, "subjectDetails"), *out, *o;
	const char *type, *name, *address;
	int failed = 0, fp = strcmp(grantee->type, "Fingerprint") == 0;
	size_t i;

	if (!json_is_object(sd)) {
		errors_reply(req, 400, 21405, "Pole 'subjectDetails' jest "
			"wymagane.");
		return -1;
	}
	if (kind == PERM_DETAILS_ENTITY) {
		name = perm_text(req, sd, "subjectDetails.", "fullName", 5, 90,
				 1, &failed);
		if (failed)
			return -1;
		json_object_set_new(details, "subjectEntityDetails", json_pack(
			"{s:s,s:s}", "subjectDetailsType", "EntityByIdentifier",
			"fullName", name));
		return 0;
	}
	type = api_string(req, sd, "subjectDetails.", "subjectDetailsType", 1,
			  64, 1, &failed);
	if (failed)
		return -1;
	for (i = 0; person_details_types[i] != NULL; i++)
		if (strcmp(type, person_details_types[i]) == 0)
			break;
	/* The kind of details follows from the grantee: a person with a
	 * NIP or PESEL is "by identifier", a certificate fingerprint a
	 * person (or, for EU entities, an entity) "by fingerprint". */
	if (person_details_types[i] == NULL ||
	    (kind == PERM_DETAILS_PERSON && i == 3) ||
	    (kind == PERM_DETAILS_EU && i == 0) || (i == 0) == fp) {
		errors_reply(req, 400, 21405, "Rodzaj danych podmiotu "
			"'%.40s' nie odpowiada identyfikatorowi typu %s.",
			type, grantee->type);
		return -1;
	}
	out = json_pack("{s:s}", "subjectDetailsType", type);
	if (i == 0) {
		o = details_object(req, sd, "personById",
				   "subjectDetails.personById");
		if (o == NULL || person_names(req, o,
				"subjectDetails.personById.", out) != 0)
			goto fail;
		json_object_set_new(out, "personIdentifier", json_pack(
			"{s:s,s:s}", "type", grantee->type, "value",
			grantee->value));
	} else if (i == 3) {
		o = details_object(req, sd, "entityByFp",
				   "subjectDetails.entityByFp");
		name = o ? perm_text(req, o, "subjectDetails.entityByFp.",
				     "fullName", 1, 100, 1, &failed) : NULL;
		address = o ? perm_text(req, o, "subjectDetails.entityByFp.",
					"address", 1, 512, 1, &failed) : NULL;
		if (o == NULL || failed)
			goto fail;
		json_object_set_new(out, "fullName", json_string(name));
		json_object_set_new(out, "address", json_string(address));
		json_object_set_new(details, "subjectEntityDetails", out);
		return 0;
	} else if (person_by_fingerprint(req, sd, i == 1, out) != 0) {
		goto fail;
	}
	json_object_set_new(details, "subjectPersonDetails", out);
	return 0;
fail:
	json_decref(out);
	return -1;
}

/* ---- rows and operations ---- */

void perm_row_init(store_permission *row, int kind,
		   const struct perm_caller *c, const struct perm_id *grantee,
		   const char *description, int64_t now_ms)
{
	memset(row, 0, sizeof(*row));
	row->kind = kind;
	snprintf(row->ctx_type, sizeof(row->ctx_type), "%s", c->ctx_type);
	snprintf(row->ctx_value, sizeof(row->ctx_value), "%s", c->ctx_value);
	snprintf(row->grantor_type, sizeof(row->grantor_type), "%s",
		 c->ctx_type);
	snprintf(row->grantor_value, sizeof(row->grantor_value), "%s",
		 c->ctx_value);
	snprintf(row->author_type, sizeof(row->author_type), "%s",
		 c->subject_type);
	snprintf(row->author_value, sizeof(row->author_value), "%s",
		 c->subject_value);
	snprintf(row->subject_type, sizeof(row->subject_type), "%s",
		 grantee->type);
	snprintf(row->subject_value, sizeof(row->subject_value), "%s",
		 grantee->value);
	snprintf(row->description, sizeof(row->description), "%s",
		 description);
	row->start_ms = now_ms;
}

int perm_rows_details(struct request *req, store_permission *rows, size_t n,
		      json_t *details)
{
	char *text = json_dumps(details, JSON_COMPACT);
	size_t i;

	/* Each field is bounded by its schema, so this always fits. */
	if (text == NULL || strlen(text) >= sizeof(rows[0].details)) {
		free(text);
		errors_reply(req, 400, 21405, "Dane podmiotu są zbyt długie.");
		return -1;
	}
	for (i = 0; i < n; i++)
		snprintf(rows[i].details, sizeof(rows[i].details), "%s", text);
	free(text);
	return 0;
}

static const struct {
	int code;
	const char *description;
} statuses[] = {
	{ 100, "Operacja przyjęta do realizacji" },
	{ 200, "Operacja zakończona sukcesem" },
	{ 400, "Operacja zakończona niepowodzeniem" },
	{ 410, "Podane identyfikatory są niezgodne lub pozostają w "
	       "niewłaściwej relacji" },
	{ 420, "Użyte poświadczenia nie mają uprawnień do wykonania tej "
	       "operacji" },
	{ 430, "Kontekst identyfikatora nie odpowiada wymaganej roli lub "
	       "uprawnieniom" },
	{ 440, "Operacja niedozwolona dla wskazanych powiązań "
	       "identyfikatorów" },
	{ 450, "Operacja niedozwolona dla wskazanego identyfikatora lub jego "
	       "typu" },
	{ 500, "Nieznany błąd" },
	{ 550, "Operacja została anulowana przez system" },
};

const char *perm_status_description(int code)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].code == code)
			return statuses[i].description;
	return "Nieznany błąd";
}

int perm_op_init(struct request *req, const struct perm_caller *c,
		 int status, const char *detail, store_perm_op *op)
{
	int64_t now = server_now_ms();
	json_t *d;
	char *text;
	ksef_error err;

	memset(op, 0, sizeof(*op));
	if (ksef_refnum_generate(op->ref, KSEF_REFNUM_PERMISSION,
				 ksef_time_warsaw(now), &err) != 0) {
		errors_internal(req, &err);
		return -1;
	}
	snprintf(op->ctx_type, sizeof(op->ctx_type), "%s", c->ctx_type);
	snprintf(op->ctx_value, sizeof(op->ctx_value), "%s", c->ctx_value);
	op->status = status;
	op->created_ms = now;
	if (detail != NULL) {
		d = json_pack("[s]", detail);
		text = json_dumps(d, JSON_COMPACT);
		json_decref(d);
		if (text != NULL && strlen(text) < sizeof(op->details))
			snprintf(op->details, sizeof(op->details), "%s", text);
		free(text);
	}
	return 0;
}

void perm_op_reply(struct request *req, const store_perm_op *op)
{
	request_log_ref(req, op->ref);
	http_reply_json(req, 202, json_pack("{s:s}", "referenceNumber",
					    op->ref));
}

void perm_operation(struct request *req, const struct perm_caller *c,
		    store_permission *rows, size_t n, int status,
		    const char *detail)
{
	store_perm_op op;
	ksef_error err;
	int rc;

	if (perm_op_init(req, c, status, detail, &op) != 0)
		return;
	rc = status == 200 ?
		store_permissions_grant(req->srv->store, rows, n, &op, &err) :
		store_perm_op_add(req->srv->store, &op, &err);
	if (rc != 0) {
		errors_internal(req, &err);
		return;
	}
	perm_op_reply(req, &op);
}

/* ---- paging ---- */

int perm_page(struct request *req, size_t *offset, size_t *limit)
{
	const char *s = http_query(req, "pageOffset");
	int64_t page = 0;

	if (api_page_size(req, 10, 100, 10, limit) != 0)
		return -1;
	/* pageOffset is a page number (int32, from 0): the rows skipped
	 * are at most 2^31 * 100, well within an int64. */
	if (s != NULL && util_parse_i64(&page, s, 0, INT32_MAX) != 0) {
		errors_reply(req, 400, 21405, "Parametr 'pageOffset' musi być "
			"liczbą od 0 do %d.", INT32_MAX);
		return -1;
	}
	*offset = (size_t)page * *limit;
	return 0;
}
