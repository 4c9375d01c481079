/*
 * api_certificates.c - the tag "Certyfikaty" (certyfikaty-KSeF.md): the
 * limits of the caller's subject, the data a certificate request must
 * carry, the requests and their status, the certificates issued, their
 * metadata and their revocation. Every operation is the authenticated
 * subject's (its NIP, PESEL or certificate fingerprint), whatever context
 * its token was issued for, so the caller is read from its authentication
 * operation; no permission is required (open-api.json names none).
 *
 * A request is checked when it arrives (the CSR's format, key, algorithm
 * and subject, the limits) and answered 202 with status 100; it is
 * processed when its status is first asked for after
 * --processing-delay: the certificate is issued under the CA key
 * (KEY_USAGE_CA) and stored in the same write that checks the subject's
 * limit of active certificates and that no other subject holds the key.
 * The rules of a CSR and of an issued certificate are certs_ca.c's; the
 * rows store_certs.c's. docs/certificates.md says what is chosen where
 * the documents are silent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "certs_ca.h"
#include "errors.h"
#include "http.h"
#include "ksef/encoding.h"

/* "Status wniosku jest dostępny przez 30 dni." */
#define ENROLLMENT_STATUS_TTL_MS (INT64_C(30) * 86400000)

/* RetrieveCertificatesRequest: 1 to 10 serial numbers. */
#define RETRIEVE_MAX 10

/* The caller's authentication operation: who its subject is and how it
 * authenticated. Answers 500 and returns -1 when it cannot be read. */
static int caller(struct request *req, store_auth *op)
{
	ksef_error err;

	if (store_auth_get(req->srv->store, req->claims.reference, op,
			   &err) != 0) {
		errors_internal(req, &err);
		return -1;
	}
	return 0;
}

/* Only a login signed with a certificate (XAdES) says what a certificate
 * request must carry; a KSeF token does not (certyfikaty-KSeF.md 2). */
static int signed_login(const store_auth *op)
{
	return op->cert_subject[0] != '\0';
}

static const char *type_name(int type)
{
	return type == STORE_CERT_OFFLINE ? "Offline" : "Authentication";
}

static int type_of(const char *name)
{
	if (strcmp(name, "Authentication") == 0)
		return STORE_CERT_AUTHENTICATION;
	if (strcmp(name, "Offline") == 0)
		return STORE_CERT_OFFLINE;
	return 0;
}

/* A 16-digit upper-case hex serial (^[0-9A-F]{16}$). */
static int serial_shaped(const char *s)
{
	size_t i;

	for (i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return s[16] == '\0';
}

/* ---- GET /certificates/limits ---- */

void api_certs_limits(struct request *req)
{
	int64_t enrollments = 0, active = 0;
	int max_enroll, max_certs;
	long long enroll_left, certs_left;
	store_auth op;
	ksef_error err;

	if (caller(req, &op) != 0 ||
	    api_subject_cert_limits(req, op.subject_type, op.subject_value,
				    &max_enroll, &max_certs) != 0)
		return;
	if (store_enroll_count(req->srv->store, op.subject_type,
			       op.subject_value, &enrollments, &err) != 0 ||
	    store_certs_active(req->srv->store, op.subject_type,
			       op.subject_value, server_now_ms(), &active,
			       &err) != 0) {
		errors_internal(req, &err);
		return;
	}
	enroll_left = max_enroll - enrollments;
	certs_left = max_certs - active;
	if (enroll_left < 0)
		enroll_left = 0;
	if (certs_left < 0)
		certs_left = 0;
	http_reply_json(req, 200, json_pack("{s:b,s:{s:i,s:I},s:{s:i,s:I}}",
		"canRequest", signed_login(&op) && enroll_left > 0 &&
			      certs_left > 0,
		"enrollment", "limit", max_enroll, "remaining",
		(json_int_t)enroll_left,
		"certificate", "limit", max_certs, "remaining",
		(json_int_t)certs_left));
}

/* ---- GET /certificates/enrollments/data ---- */

void api_certs_enrollment_data(struct request *req)
{
	store_auth op;
	json_t *o;

	if (caller(req, &op) != 0)
		return;
	if (!signed_login(&op)) {
		errors_reply(req, 400, 25001, "Brak możliwości pobrania danych "
			"do CSR dla wykorzystanego sposobu uwierzytelnienia.");
		return;
	}
	if ((o = json_loads(op.cert_subject, 0, NULL)) == NULL) {
		errors_reply(req, 500, 21405, "internal error: stored subject "
			     "cannot be read");
		return;
	}
	if (json_object_get(o, "commonName") == NULL)
		json_object_set_new(o, "commonName", json_string(""));
	if (json_object_get(o, "countryName") == NULL)
		json_object_set_new(o, "countryName", json_string(""));
	http_reply_json(req, 200, o);
}

/* ---- POST /certificates/enrollments ---- */

/* EnrollCertificateRequest.certificateName: 5 to 100 characters of
 * ^[a-zA-Z0-9_\-\ ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]+$. */
static int name_valid(const char *s)
{
	static const char *const polish[] = {
		"ą", "ć", "ę", "ł", "ń", "ó", "ś", "ź", "ż",
		"Ą", "Ć", "Ę", "Ł", "Ń", "Ó", "Ś", "Ź", "Ż",
	};
	size_t chars = 0, i;

	while (*s != '\0') {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    c == ' ') {
			s++;
		} else {
			for (i = 0; i < sizeof(polish) / sizeof(polish[0]);
			     i++)
				if (strncmp(s, polish[i],
					    strlen(polish[i])) == 0)
					break;
			if (i == sizeof(polish) / sizeof(polish[0]))
				return 0;
			s += strlen(polish[i]);
		}
		chars++;
	}
	return chars >= 5 && chars <= 100;
}

void api_certs_enroll(struct request *req)
{
	struct server *srv = req->srv;
	ksef_buf csr = KSEF_BUF_INIT;
	store_enrollment *e = NULL;
	const char *name, *type, *csr_b64, *from;
	char why[160], key_hash[STORE_CTX_VALUE_SZ];
	int failed = 0, max_enroll, max_certs, rc, t;
	int64_t now = server_now_ms(), active = 0;
	certs_csr_verdict v;
	store_auth op;
	ksef_error err;
	json_t *body;

	if ((body = api_body_object(req)) == NULL)
		return;
	name = api_string(req, body, "", "certificateName", 5, 400, 1,
			  &failed);
	type = api_string(req, body, "", "certificateType", 1, 32, 1,
			  &failed);
	csr_b64 = api_string(req, body, "", "csr", 1,
			     4 * ((CERTS_CSR_MAX_BYTES + 2) / 3), 1, &failed);
	from = api_string(req, body, "", "validFrom", 1, 64, 0, &failed);
	if (failed)
		goto out;
	if (!name_valid(name)) {
		errors_reply(req, 400, 21405, "Pole 'certificateName' musi mieć "
			"od 5 do 100 znaków: litery, cyfry, spacje, '_' i "
			"'-'.");
		goto out;
	}
	if ((t = type_of(type)) == 0) {
		errors_reply(req, 400, 21405, "Pole 'certificateType' musi mieć "
			"jedną z wartości: Authentication, Offline.");
		goto out;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		errors_reply(req, 500, 21405, "internal error: out of memory");
		goto out;
	}
	if (from != NULL) {
		ksef_time ft;

		if (ksef_time_parse(&ft, from, strlen(from), NULL) != 0 ||
		    ft.unix_ms > CERTS_VALID_FROM_MAX_MS) {
			errors_reply(req, 400, 21405, "Pole 'validFrom' musi "
				"być datą i czasem ISO 8601 (najpóźniej dwa "
				"lata przed 9999-12-31).");
			goto out;
		}
		/* A start already past (a client's "now" on its way here)
		 * is the moment of issue. */
		e->valid_from_ms = ft.unix_ms > now ? ft.unix_ms : 0;
	}
	if (ksef_base64_decode(&csr, csr_b64, strlen(csr_b64),
			       CERTS_CSR_MAX_BYTES, NULL) != 0) {
		errors_reply(req, 400, 21405, "Pole 'csr' musi być poprawnym "
			"Base64 (najwyżej %d bajtów).", CERTS_CSR_MAX_BYTES);
		goto out;
	}
	if (caller(req, &op) != 0)
		goto out;
	if (!signed_login(&op)) {
		errors_reply(req, 400, 25002, "Brak możliwości złożenia "
			"wniosku certyfikacyjnego dla wykorzystanego sposobu "
			"uwierzytelnienia.");
		goto out;
	}
	v = certs_csr_check(csr.ptr, csr.size, op.cert_subject, key_hash,
			    why, sizeof(why));
	if (v != CERTS_CSR_OK) {
		errors_reply(req, 400, (int)v, "%s", why);
		goto out;
	}
	if (api_subject_cert_limits(req, op.subject_type, op.subject_value,
				    &max_enroll, &max_certs) != 0)
		goto out;
	if (store_certs_active(srv->store, op.subject_type, op.subject_value,
			       now, &active, &err) != 0) {
		errors_internal(req, &err);
		goto out;
	}
	if (active >= max_certs) {
		errors_reply(req, 400, 25007, "Aktywne certyfikaty: %lld z %d.",
			     (long long)active, max_certs);
		goto out;
	}
	if (ksef_refnum_generate(e->ref, KSEF_REFNUM_OPERATION,
				 ksef_time_warsaw(now), &err) != 0) {
		errors_internal(req, &err);
		goto out;
	}
	snprintf(e->subject_type, sizeof(e->subject_type), "%s",
		 op.subject_type);
	snprintf(e->subject_value, sizeof(e->subject_value), "%s",
		 op.subject_value);
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->type = t;
	memcpy(e->csr, csr.ptr, csr.size);
	e->csr_len = csr.size;
	e->requested_ms = now;
	e->status = 100;
	request_log_ref(req, e->ref);
	rc = store_enroll_add(srv->store, e, max_enroll, &err);
	if (rc == STORE_FULL) {
		errors_reply(req, 400, 25006, "Limit wniosków: %d.",
			     max_enroll);
		goto out;
	}
	if (rc != 0) {
		errors_internal(req, &err);
		goto out;
	}
	http_reply_json(req, 202, json_pack("{s:s,s:o}", "referenceNumber",
		e->ref, "timestamp", api_time(now)));
out:
	ksef_buf_dispose(&csr);
	free(e);
	json_decref(body);
}

/* ---- GET /certificates/enrollments/{referenceNumber} ---- */

/* Issue the certificate of a request in 100 and record the outcome. */
static void process(struct request *req, const store_enrollment *e,
		    int64_t now)
{
	struct server *srv = req->srv;
	struct ring_key *ca = NULL;
	store_cert *c = calloc(1, sizeof(*c));
	int max_enroll, max_certs, rc = -1;
	ksef_error err;

	if (c == NULL)
		return;
	if (api_subject_cert_limits(req, e->subject_type, e->subject_value,
				    &max_enroll, &max_certs) != 0)
		goto out;
	if (keyring_refresh(srv, &err) == 0) {
		keyring_lock(srv);
		ca = keyring_current(srv, KEY_USAGE_CA, now);
		rc = ca == NULL ? -1 :
		     certs_issue(c, ca->key, e->csr, e->csr_len, e->type,
				 e->valid_from_ms > now ? e->valid_from_ms :
				 now, &err);
		keyring_unlock(srv);
	}
	if (rc != 0) {
		fprintf(stderr, "ksefd: enrollment %s: no certificate issued: "
			"%s\n", e->ref, ca == NULL ? "no CA key" : err.message);
		(void)store_enroll_finish(srv->store, e->ref, NULL, 0, now, 500,
			"[\"Nieznany błąd\"]", NULL);
		goto out;
	}
	memcpy(c->enrollment_ref, e->ref, sizeof(c->enrollment_ref));
	memcpy(c->subject_type, e->subject_type, sizeof(c->subject_type));
	memcpy(c->subject_value, e->subject_value, sizeof(c->subject_value));
	memcpy(c->name, e->name, sizeof(c->name));
	c->requested_ms = e->requested_ms;
	rc = store_enroll_finish(srv->store, e->ref, c, max_certs, now, 200,
				 NULL, &err);
	if (rc == STORE_EXISTS)
		rc = store_enroll_finish(srv->store, e->ref, NULL, 0, now, 400,
			"[\"Klucz publiczny został już certyfikowany przez "
			"inny podmiot.\"]", &err);
	else if (rc == STORE_FULL)
		rc = store_enroll_finish(srv->store, e->ref, NULL, 0, now, 400,
			"[\"Osiągnięto dopuszczalny limit posiadanych "
			"certyfikatów.\"]", &err);
	if (rc != 0 && rc != STORE_WRONG_STATE)
		fprintf(stderr, "ksefd: enrollment %s: %s\n", e->ref,
			err.message);
out:
	free(c);
}

static const char *enroll_description(int code)
{
	switch (code) {
	case 100: return "Wniosek przyjęty do realizacji";
	case 200: return "Wniosek obsłużony (certyfikat wygenerowany)";
	case 400: return "Wniosek odrzucony";
	case 550: return "Operacja została anulowana przez system";
	default: return "Nieznany błąd";
	}
}

void api_certs_enrollment_status(struct request *req)
{
	struct server *srv = req->srv;
	store_enrollment *e;
	int64_t now = server_now_ms();
	store_auth op;
	ksef_error err;
	json_t *o;
	int rc;

	if (api_param_refnum(req, 0) != 0 || caller(req, &op) != 0)
		return;
	if ((e = malloc(sizeof(*e))) == NULL) {
		errors_reply(req, 500, 21405, "internal error: out of memory");
		return;
	}
	rc = store_enroll_get(srv->store, req->params[0], e, &err);
	/* Another subject's request is one that does not exist. */
	if (rc == STORE_NOT_FOUND ||
	    (rc == 0 && (strcmp(e->subject_type, op.subject_type) != 0 ||
			 strcmp(e->subject_value, op.subject_value) != 0))) {
		errors_reply(req, 400, 25005, "%s",
			     errors_description(25005));
		goto out;
	}
	if (rc != 0) {
		errors_internal(req, &err);
		goto out;
	}
	if (now - e->requested_ms > ENROLLMENT_STATUS_TTL_MS) {
		errors_gone(req, "Operacja wygasła i nie jest już dostępna.");
		goto out;
	}
	if (e->status == 100 &&
	    now - e->requested_ms >= srv->cfg.processing_delay_ms) {
		process(req, e, now);
		if (req->responded)
			goto out;
		if ((rc = store_enroll_get(srv->store, req->params[0], e,
					   &err)) != 0) {
			errors_internal(req, &err);
			goto out;
		}
	}
	o = json_pack("{s:o,s:o}", "requestDate", api_time(e->requested_ms),
		      "status", api_status_info(e->status,
			enroll_description(e->status), e->details));
	if (e->status == 200 && e->serial[0] != '\0')
		json_object_set_new(o, "certificateSerialNumber",
				    json_string(e->serial));
	http_reply_json(req, 200, o);
out:
	free(e);
}

/* ---- POST /certificates/retrieve ---- */

/* The caller's own certificate by serial: 0, STORE_NOT_FOUND for one
 * that does not exist or is another subject's, or another store result
 * (answered 500). */
static int own_cert(struct request *req, const store_auth *op,
		    const char *serial, store_cert *c)
{
	ksef_error err;
	int rc = store_cert_get(req->srv->store, serial, c, &err);

	if (rc == 0 && (strcmp(c->subject_type, op->subject_type) != 0 ||
			strcmp(c->subject_value, op->subject_value) != 0))
		return STORE_NOT_FOUND;
	if (rc != 0 && rc != STORE_NOT_FOUND)
		errors_internal(req, &err);
	return rc;
}

void api_certs_retrieve(struct request *req)
{
	json_t *body, *list, *out = NULL, *v;
	store_cert *c = NULL;
	ksef_buf b64 = KSEF_BUF_INIT;
	store_auth op;
	ksef_error err;
	size_t i;
	int rc;

	if ((body = api_body_object(req)) == NULL)
		return;
	list = json_object_get(body, "certificateSerialNumbers");
	if (!json_is_array(list) || json_array_size(list) < 1 ||
	    json_array_size(list) > RETRIEVE_MAX) {
		errors_reply(req, 400, 21405, "Pole 'certificateSerialNumbers' "
			"musi być listą od 1 do %d numerów seryjnych.",
			RETRIEVE_MAX);
		goto done;
	}
	json_array_foreach(list, i, v) {
		if (!json_is_string(v) ||
		    json_string_length(v) != 16 ||
		    !serial_shaped(json_string_value(v))) {
			errors_reply(req, 400, 21405, "Pole "
				"'certificateSerialNumbers[%zu]' musi mieć 16 "
				"cyfr szesnastkowych (0-9, A-F).", i);
			goto done;
		}
	}
	if (caller(req, &op) != 0 || (c = malloc(sizeof(*c))) == NULL)
		goto done;
	out = json_array();
	/* Serials that are not the caller's are left out, as ones that
	 * do not exist (docs/certificates.md). */
	json_array_foreach(list, i, v) {
		rc = own_cert(req, &op, json_string_value(v), c);
		if (rc == STORE_NOT_FOUND)
			continue;
		if (rc != 0)
			goto done;
		if (ksef_base64_encode(&b64, c->der, c->der_len, &err) != 0) {
			errors_internal(req, &err);
			goto done;
		}
		json_array_append_new(out, json_pack("{s:s%,s:s,s:s,s:s}",
			"certificate", (const char *)b64.ptr, b64.size,
			"certificateName", c->name,
			"certificateSerialNumber", c->serial,
			"certificateType", type_name(c->type)));
		ksef_buf_dispose(&b64);
	}
	http_reply_json(req, 200, json_pack("{s:O}", "certificates", out));
done:
	ksef_buf_dispose(&b64);
	json_decref(out);
	free(c);
	json_decref(body);
}

/* ---- POST /certificates/query ---- */

static const char *const status_names[] = { NULL, "Active", "Blocked",
					     "Revoked", "Expired" };

static const char *cert_status(const store_cert *c, int64_t now)
{
	if (c->revoked_ms != 0)
		return "Revoked";
	return c->valid_to_ms <= now ? "Expired" : "Active";
}

/* An optional enum member: 0 when absent or null, else its index in
 * names (from 1), or -1 after answering 21405. */
static int enum_member(struct request *req, json_t *body, const char *name,
		       const char *const *names, size_t n)
{
	json_t *v = json_object_get(body, name);
	size_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	for (i = 1; json_is_string(v) && i < n; i++)
		if (strcmp(json_string_value(v), names[i]) == 0)
			return (int)i;
	errors_reply(req, 400, 21405, "Pole '%s' ma nieznaną wartość.", name);
	return -1;
}

void api_certs_query(struct request *req)
{
	static const char *const type_names[] = { NULL, "Authentication",
						  "Offline" };
	store_cert_filter f;
	store_cert *rows = NULL;
	size_t offset, limit, n = 0, i;
	int64_t now = server_now_ms();
	const char *expires;
	json_t *body, *list;
	store_auth op;
	ksef_error err;
	int failed = 0;

	if (api_page(req, 50, &offset, &limit) != 0)
		return;
	/* The filters are optional, and so is the body. */
	body = req->body.size == 0 ? json_object() : api_body_object(req);
	if (body == NULL)
		return;
	memset(&f, 0, sizeof(f));
	f.serial = api_string(req, body, "", "certificateSerialNumber", 16,
			      16, 0, &failed);
	f.name_part = api_string(req, body, "", "name", 1, 400, 0, &failed);
	expires = api_string(req, body, "", "expiresAfter", 1, 64, 0,
			     &failed);
	if (failed)
		goto out;
	if (f.serial != NULL && !serial_shaped(f.serial)) {
		errors_reply(req, 400, 21405, "Pole 'certificateSerialNumber' "
			"musi mieć 16 cyfr szesnastkowych (0-9, A-F).");
		goto out;
	}
	if ((f.type = enum_member(req, body, "type", type_names, 3)) < 0 ||
	    (f.status = enum_member(req, body, "status", status_names,
				    5)) < 0)
		goto out;
	if (expires != NULL) {
		ksef_time t;

		if (ksef_time_parse(&t, expires, strlen(expires), NULL) != 0) {
			errors_reply(req, 400, 21405, "Pole 'expiresAfter' "
				"musi być datą i czasem ISO 8601.");
			goto out;
		}
		f.has_expires_after = 1;
		f.expires_after_ms = t.unix_ms;
	}
	if (caller(req, &op) != 0)
		goto out;
	/* One row more than the page says whether another follows. */
	if (store_certs_query(req->srv->store, op.subject_type,
			      op.subject_value, &f, now, limit + 1, offset,
			      &rows, &n, &err) != 0) {
		errors_internal(req, &err);
		goto out;
	}
	list = json_array();
	for (i = 0; i < n && i < limit; i++) {
		store_cert *c = &rows[i];
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},"
				      "s:o,s:o,s:o}",
			"certificateSerialNumber", c->serial,
			"name", c->name, "type", type_name(c->type),
			"commonName", c->common_name,
			"status", cert_status(c, now),
			"subjectIdentifier", "type", c->subject_type,
			"value", c->subject_value,
			"validFrom", api_time(c->valid_from_ms),
			"validTo", api_time(c->valid_to_ms),
			"requestDate", api_time(c->requested_ms));

		if (c->last_use_ms != 0)
			json_object_set_new(o, "lastUseDate",
					    api_time(c->last_use_ms));
		json_array_append_new(list, o);
	}
	http_reply_json(req, 200, json_pack("{s:o,s:b}", "certificates", list,
					    "hasMore", n > limit));
out:
	free(rows);
	json_decref(body);
}

/* ---- POST /certificates/{certificateSerialNumber}/revoke ---- */

void api_certs_revoke(struct request *req)
{
	static const char *const reasons[] = { NULL, "Unspecified",
					       "Superseded", "KeyCompromise" };
	const char *serial = req->params[0];
	int64_t now = server_now_ms();
	store_cert *c = NULL;
	json_t *body;
	store_auth op;
	ksef_error err;
	int reason, rc;

	body = req->body.size == 0 ? json_object() : api_body_object(req);
	if (body == NULL)
		return;
	if (!serial_shaped(serial)) {
		errors_reply(req, 400, 21405, "Numer seryjny certyfikatu musi "
			"mieć 16 cyfr szesnastkowych (0-9, A-F).");
		goto out;
	}
	if ((reason = enum_member(req, body, "revocationReason", reasons,
				  4)) < 0 ||
	    caller(req, &op) != 0)
		goto out;
	/* "Operacja nie jest dostępna dla podmiotu uwierzytelnionego
	 * tokenem KSeF." */
	if (strcmp(op.method, "Token") == 0) {
		errors_forbidden(req, "auth-method-not-allowed", "Operacja nie "
			"jest dostępna dla podmiotu uwierzytelnionego tokenem "
			"KSeF.", NULL);
		goto out;
	}
	if ((c = malloc(sizeof(*c))) == NULL) {
		errors_reply(req, 500, 21405, "internal error: out of memory");
		goto out;
	}
	rc = own_cert(req, &op, serial, c);
	if (rc == STORE_NOT_FOUND) {
		errors_reply(req, 400, 25008, "%s", errors_description(25008));
		goto out;
	}
	if (rc != 0)
		goto out;
	if (c->revoked_ms != 0 || c->valid_to_ms <= now) {
		errors_reply(req, 400, 25009, "%s", errors_description(25009));
		goto out;
	}
	rc = store_cert_revoke(req->srv->store, serial, now,
			       reasons[reason ? reason : 1], &err);
	if (rc == STORE_NOT_FOUND) {      /* revoked meanwhile */
		errors_reply(req, 400, 25009, "%s", errors_description(25009));
		goto out;
	}
	if (rc != 0) {
		errors_internal(req, &err);
		goto out;
	}
	http_reply_empty(req, 204);
out:
	free(c);
	json_decref(body);
}
