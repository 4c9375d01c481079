/*
 * api_testdata.c - the "Dane testowe" tag's subjects, persons,
 * attachments and context blocks (open-api.json; the scenarios of
 * dane-testowe-scenariusze.md): reading and checking each request, and
 * turning it into test data in the store. What that data means to
 * authentication and verification is testdata.c's. The test permissions
 * and limits of the same tag are served elsewhere.
 *
 * The operations have no security in the contract: any caller may make
 * test data, as on the TEST environment. They exist only there, so the
 * router answers them 404 under `--profile production` (router.c).
 * Success is 200 with no body, as the contract has it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api.h"
#include "context.h"
#include "errors.h"
#include "http.h"

/* Description lengths of SubjectCreateRequest, Subunit and
 * PersonCreateRequest, in characters. */
#define DESCRIPTION_MIN 5
#define DESCRIPTION_MAX 256

static const char *const subject_types[] = {
	"EnforcementAuthority", "VatGroup", "JST",
};

/* ---- reading the requests ---- */

/* A Nip member (the Nip schema's pattern; checksums are production's,
 * and test data is TEST's). */
static const char *nip_member(struct request *req, json_t *obj,
			      const char *path, const char *name,
			      int *failed)
{
	const char *nip = api_string(req, obj, path, name, 10, 10, 1, failed);

	if (nip != NULL && ksef_nip_validate_pattern(nip, 10, NULL) != 0) {
		*failed = 1;
		errors_reply(req, 400, 21405, "Pole '%s%s' nie jest poprawnym "
			     "numerem NIP.", path, name);
		return NULL;
	}
	return nip;
}

/* UTF-8 characters of a valid UTF-8 string (jansson's are). */
static size_t characters(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* A description member: 5 to 256 characters, required. Its bytes are
 * bounded first: 256 characters of UTF-8 are at most 1,024 of them. */
static const char *description_member(struct request *req, json_t *obj,
				      const char *path, int *failed)
{
	/* Any length a body can carry passes here (only an embedded NUL
	 * does not), so that the message below speaks of characters. */
	const char *d = api_string(req, obj, path, "description", 0,
				   (size_t)64 * 1024, 1, failed);
	size_t n;

	if (d == NULL)
		return NULL;
	n = strlen(d) < STORE_DESCRIPTION_SZ ? characters(d) : (size_t)-1;
	if (n < DESCRIPTION_MIN || n > DESCRIPTION_MAX) {
		*failed = 1;
		errors_reply(req, 400, 21405, "Pole '%sdescription' musi mieć "
			     "od %d do %d znaków.", path, DESCRIPTION_MIN,
			     DESCRIPTION_MAX);
		return NULL;
	}
	return d;
}

/* createdDate: absent or null is now (*given 0), else a date-time. */
static int created_member(struct request *req, json_t *body, int64_t *ms,
			  int *given)
{
	int failed = 0;
	const char *s = api_string(req, body, "", "createdDate", 1, 64, 0,
				   &failed);
	ksef_time t;

	*given = 0;
	*ms = server_now_ms();
	if (failed)
		return -1;
	if (s == NULL)
		return 0;
	if (ksef_time_parse(&t, s, strlen(s), NULL) != 0) {
		errors_reply(req, 400, 21405, "Pole 'createdDate' musi być "
			     "datą i czasem ISO 8601.");
		return -1;
	}
	*ms = t.unix_ms;
	*given = 1;
	return 0;
}

/* A required boolean member. */
static int required_boolean(struct request *req, json_t *body,
			    const char *name, int *out)
{
	json_t *v = json_object_get(body, name);

	if (v == NULL || json_is_null(v)) {
		errors_reply(req, 400, 21405, "Pole '%s' jest wymagane.", name);
		return -1;
	}
	return api_boolean(req, body, name, 0, out);
}

/* The wording of the two refusals the store can give a creation. */
static void creation_refused(struct request *req, store_result rc,
			     const char *what, const char *nip,
			     const ksef_error *err)
{
	if (rc == STORE_EXISTS)
		errors_reply(req, 400, 30001, "%s o numerze NIP %s już "
			     "istnieje.", what, nip);
	else if (rc == STORE_WRONG_STATE)
		errors_reply(req, 400, 21405, "Pole 'createdDate' musi być "
			     "późniejsze niż data poprzedniego utworzenia NIP "
			     "%s.", nip);
	else
		errors_internal(req, err);
}

/* ---- subjects ---- */

/* The roles a subject type gives the subject and its subunits
 * (EntityRoleType); subunits only for a VAT group and a JST
 * (POST /testdata/subject). */
static void roles_of(size_t type, const char **own, const char **sub)
{
	static const char *const owns[] = { "EnforcementAuthority",
		"VatGroupUnit", "LocalGovernmentUnit" };
	static const char *const subs[] = { NULL, "VatGroupSubUnit",
		"LocalGovernmentSubUnit" };

	*own = owns[type];
	*sub = subs[type];
}

/* Fill e[1..] from the subunits array; returns their count, or -1 after
 * answering. */
static long read_subunits(struct request *req, json_t *arr,
			  store_entity *e, const char *role)
{
	char path[48];
	json_t *u;
	size_t i, k, n = json_array_size(arr);
	const char *nip, *d;
	int failed = 0;

	if (n > 0 && role == NULL) {
		errors_reply(req, 400, 21405, "Pole 'subunits' jest dozwolone "
			     "tylko dla typów VatGroup i JST.");
		return -1;
	}
	if (n > STORE_TESTDATA_SUBUNITS_MAX) {
		errors_reply(req, 400, 21405, "Pole 'subunits' może mieć "
			     "najwyżej %d elementów.",
			     STORE_TESTDATA_SUBUNITS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		u = json_array_get(arr, i);
		snprintf(path, sizeof(path), "subunits[%zu].", i);
		if (!json_is_object(u)) {
			errors_reply(req, 400, 21405, "Pole 'subunits[%zu]' "
				     "musi być obiektem.", i);
			return -1;
		}
		nip = nip_member(req, u, path, "subjectNip", &failed);
		d = description_member(req, u, path, &failed);
		if (failed)
			return -1;
		for (k = 0; k <= i; k++)
			if (strcmp(e[k].nip, nip) == 0) {
				errors_reply(req, 400, 21405, "NIP %s "
					     "występuje w żądaniu więcej niż "
					     "raz.", nip);
				return -1;
			}
		snprintf(e[i + 1].nip, sizeof(e[i + 1].nip), "%s", nip);
		snprintf(e[i + 1].role, sizeof(e[i + 1].role), "%s", role);
		snprintf(e[i + 1].parent_nip, sizeof(e[i + 1].parent_nip),
			 "%s", e[0].nip);
		snprintf(e[i + 1].description, sizeof(e[i + 1].description),
			 "%s", d);
		e[i + 1].created_ms = e[0].created_ms;
	}
	return (long)n;
}

void api_testdata_subject(struct request *req)
{
	json_t *body, *subunits;
	store_entity *e = NULL;
	const char *nip, *type, *d, *own, *sub;
	size_t t, conflict = 0;
	long n;
	int failed = 0, given;
	ksef_error err;
	store_result rc;

	if ((body = api_body_object(req)) == NULL)
		return;
	nip = nip_member(req, body, "", "subjectNip", &failed);
	type = api_string(req, body, "", "subjectType", 1, 32, 1, &failed);
	d = description_member(req, body, "", &failed);
	if (failed)
		goto out;
	for (t = 0; t < sizeof(subject_types) / sizeof(subject_types[0]); t++)
		if (strcasecmp(type, subject_types[t]) == 0)
			break;
	if (t == sizeof(subject_types) / sizeof(subject_types[0])) {
		errors_reply(req, 400, 21405, "Pole 'subjectType' musi mieć "
			     "wartość EnforcementAuthority, VatGroup lub JST.");
		goto out;
	}
	subunits = json_object_get(body, "subunits");
	if (subunits != NULL && !json_is_null(subunits) &&
	    !json_is_array(subunits)) {
		errors_reply(req, 400, 21405, "Pole 'subunits' musi być "
			     "tablicą.");
		goto out;
	}
	/* Bounded before allocating: the count is checked against
	 * STORE_TESTDATA_SUBUNITS_MAX first. */
	if (json_array_size(subunits) > STORE_TESTDATA_SUBUNITS_MAX) {
		errors_reply(req, 400, 21405, "Pole 'subunits' może mieć "
			     "najwyżej %d elementów.",
			     STORE_TESTDATA_SUBUNITS_MAX);
		goto out;
	}
	if ((e = calloc(json_array_size(subunits) + 1, sizeof(*e))) == NULL) {
		errors_reply(req, 500, 21405, "Brak pamięci.");
		goto out;
	}
	roles_of(t, &own, &sub);
	snprintf(e[0].nip, sizeof(e[0].nip), "%s", nip);
	snprintf(e[0].role, sizeof(e[0].role), "%s", own);
	snprintf(e[0].description, sizeof(e[0].description), "%s", d);
	if (created_member(req, body, &e[0].created_ms, &given) != 0 ||
	    (n = read_subunits(req, subunits, e, sub)) < 0)
		goto out;
	rc = store_entities_add(req->srv->store, e, (size_t)n + 1, given,
				&conflict, &err);
	if (rc != STORE_OK) {
		creation_refused(req, rc, "Podmiot",
				 conflict <= (size_t)n ? e[conflict].nip : nip,
				 &err);
		goto out;
	}
	http_reply_empty(req, 200);
out:
	free(e);
	json_decref(body);
}

/* POST .../remove: the record of the body's NIP member removed by
 * remove; `who` names it in the refusal of a NIP that has none. */
static void remove_by_nip(struct request *req, const char *member,
			  store_result (*remove)(store *, const char *,
						 ksef_error *),
			  const char *who)
{
	json_t *body;
	const char *nip;
	int failed = 0;
	ksef_error err;
	store_result rc;

	if ((body = api_body_object(req)) == NULL)
		return;
	nip = nip_member(req, body, "", member, &failed);
	if (failed)
		goto out;
	rc = remove(req->srv->store, nip, &err);
	if (rc == STORE_NOT_FOUND)
		errors_reply(req, 400, 21405, "%s o numerze NIP %s nie "
			     "istnieje.", who, nip);
	else if (rc != STORE_OK)
		errors_internal(req, &err);
	else
		http_reply_empty(req, 200);
out:
	json_decref(body);
}

void api_testdata_subject_remove(struct request *req)
{
	remove_by_nip(req, "subjectNip", store_entity_remove, "Podmiot");
}

/* ---- persons ---- */

void api_testdata_person(struct request *req)
{
	json_t *body;
	const char *nip, *pesel, *d;
	store_person p;
	int failed = 0, given, rc;
	ksef_error err;

	if ((body = api_body_object(req)) == NULL)
		return;
	memset(&p, 0, sizeof(p));
	nip = nip_member(req, body, "", "nip", &failed);
	pesel = api_string(req, body, "", "pesel", 11, 11, 1, &failed);
	/* The Pesel schema's pattern; its check digit, like a NIP's, is
	 * not the test environment's concern. */
	if (pesel != NULL && (rc = ksef_pesel_validate(pesel, 11, NULL)) != 0 &&
	    rc != KSEF_ECHECKSUM) {
		failed = 1;
		errors_reply(req, 400, 21405, "Pole 'pesel' nie jest poprawnym "
			     "numerem PESEL.");
	}
	d = description_member(req, body, "", &failed);
	if (failed ||
	    required_boolean(req, body, "isBailiff", &p.is_bailiff) != 0 ||
	    api_boolean(req, body, "isDeceased", 0, &p.is_deceased) != 0 ||
	    created_member(req, body, &p.created_ms, &given) != 0)
		goto out;
	snprintf(p.nip, sizeof(p.nip), "%s", nip);
	snprintf(p.pesel, sizeof(p.pesel), "%s", pesel);
	snprintf(p.description, sizeof(p.description), "%s", d);
	rc = store_person_add(req->srv->store, &p, given, &err);
	if (rc != STORE_OK) {
		creation_refused(req, rc, "Osoba", nip, &err);
		goto out;
	}
	http_reply_empty(req, 200);
out:
	json_decref(body);
}

void api_testdata_person_remove(struct request *req)
{
	remove_by_nip(req, "nip", store_person_remove, "Osoba");
}

/* ---- attachments ---- */

/* The consent belongs to the Nip context of the request's NIP
 * (uprawnienia.md: it holds in the context used at authentication). */
void api_testdata_attachment(struct request *req)
{
	json_t *body;
	const char *nip;
	int failed = 0;
	ksef_error err;

	if ((body = api_body_object(req)) == NULL)
		return;
	nip = nip_member(req, body, "", "nip", &failed);
	if (!failed) {
		if (store_attachment_allow(req->srv->store, "Nip", nip,
					   server_now_ms(), &err) != 0)
			errors_internal(req, &err);
		else
			http_reply_empty(req, 200);
	}
	json_decref(body);
}

/*
 * The instant an expectedEndDate (a date) ends the consent: the start of
 * that day in Warsaw, where the system's dates are.
 */
static int end_of_consent(int64_t *out, const char *date)
{
	char text[40];
	ksef_date d;
	ksef_time t;
	int offset;

	if (ksef_date_parse(&d, date, strlen(date), NULL) != 0)
		return -1;
	/* Midnight at winter time's offset, moved an hour back when
	 * Warsaw keeps summer time then (it changes at 02:00 or 03:00
	 * local time, never near midnight). */
	snprintf(text, sizeof(text), "%sT00:00:00+01:00", date);
	if (ksef_time_parse(&t, text, strlen(text), NULL) != 0)
		return -1;
	offset = ksef_time_warsaw_offset(t.unix_ms);
	*out = t.unix_ms - (offset - 60) * 60 * 1000LL;
	return 0;
}

void api_testdata_attachment_revoke(struct request *req)
{
	json_t *body;
	const char *nip, *end;
	int64_t now = server_now_ms(), revoked = now;
	int failed = 0;
	ksef_error err;
	store_result rc;

	if ((body = api_body_object(req)) == NULL)
		return;
	nip = nip_member(req, body, "", "nip", &failed);
	end = api_string(req, body, "", "expectedEndDate", 1, 10, 0, &failed);
	if (failed)
		goto out;
	if (end != NULL && end_of_consent(&revoked, end) != 0) {
		errors_reply(req, 400, 21405, "Pole 'expectedEndDate' musi być "
			     "datą w formacie RRRR-MM-DD.");
		goto out;
	}
	/* A date already passed ends the consent now. */
	if (revoked < now)
		revoked = now;
	rc = store_attachment_revoke(req->srv->store, "Nip", nip, revoked,
				     &err);
	/* Nothing to withdraw is no error: the context has no consent,
	 * which is what was asked. */
	if (rc != STORE_OK && rc != STORE_NOT_FOUND)
		errors_internal(req, &err);
	else
		http_reply_empty(req, 200);
out:
	json_decref(body);
}

/* ---- context blocks ---- */

/* contextIdentifier of Block/UnblockContextAuthenticationRequest: nullable
 * in the schema, but the operation names no other context (it has no
 * authentication to take one from), so it is required. */
static int block_context(struct request *req, json_t *body,
			 struct context_id *cid)
{
	json_t *ctx = json_object_get(body, "contextIdentifier");

	if (!json_is_object(ctx)) {
		errors_reply(req, 400, 21405,
			     "Pole 'contextIdentifier' jest wymagane.");
		return -1;
	}
	if (context_from_json(req, ctx, cid) != 0)
		return -1;
	if (!context_value_ok(cid->type, cid->value)) {
		errors_reply(req, 400, 21405, "Wartość '%.64s' nie jest "
			     "poprawnym identyfikatorem typu %s.", cid->value,
			     cid->type);
		return -1;
	}
	return 0;
}

void api_testdata_context_block(struct request *req)
{
	struct context_id cid;
	json_t *body;
	ksef_error err;

	if ((body = api_body_object(req)) == NULL)
		return;
	if (block_context(req, body, &cid) == 0) {
		if (store_context_block(req->srv->store, cid.type, cid.value,
					server_now_ms(), &err) != 0)
			errors_internal(req, &err);
		else
			http_reply_empty(req, 200);
	}
	json_decref(body);
}

void api_testdata_context_unblock(struct request *req)
{
	struct context_id cid;
	json_t *body;
	ksef_error err;
	store_result rc;

	if ((body = api_body_object(req)) == NULL)
		return;
	if (block_context(req, body, &cid) == 0) {
		rc = store_context_unblock(req->srv->store, cid.type,
					   cid.value, &err);
		/* An unblocked context is what was asked for. */
		if (rc != STORE_OK && rc != STORE_NOT_FOUND)
			errors_internal(req, &err);
		else
			http_reply_empty(req, 200);
	}
	json_decref(body);
}
