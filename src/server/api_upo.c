/*
 * api_upo.c - the UPO downloads (SPEC 4.19-4.21) and the pre-signed
 * storage links the statuses hand out (SPEC 4.15, 4.16), which work
 * without an access token, are not rate-limited, and stop working after
 * their expiry or when altered. Every UPO answer carries x-ms-meta-hash,
 * the Base64 SHA-256 of its body.
 */
#include <stdio.h>
#include <string.h>
#include "api.h"
#include "errors.h"
#include "http.h"
#include "presign.h"
#include "upo_service.h"

static void reply_xml(struct request *req, const ksef_buf *xml)
{
	char hash[KSEF_SHA256_B64_LEN + 1];

	if (ksef_sha256_base64(hash, xml->ptr, xml->size, NULL) != 0) {
		errors_reply(req, 500, 21405, "Nie udało się policzyć skrótu.");
		return;
	}
	http_reply_bytes(req, 200, "application/xml", xml->ptr, xml->size,
			 hash);
}

/* Answer with an invoice's UPO, or 21178 when it has none. */
static void invoice_upo(struct request *req, const store_session *s,
			const store_invoice *inv, const char *what)
{
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_error err;

	if (inv == NULL || inv->status != 200 ||
	    strcmp(inv->session_ref, s->ref) != 0) {
		errors_reply(req, 400, 21178, "UPO %s i numerze referencyjnym "
			"sesji %s nie zostało znalezione.", what, s->ref);
		return;
	}
	if (upo_for_invoice(req->srv, s, inv, &xml, &err) != 0) {
		errors_internal(req, &err);
		return;
	}
	reply_xml(req, &xml);
	ksef_buf_dispose(&xml);
}

void api_upo_by_invoice_ref(struct request *req)
{
	store_session s;
	store_invoice inv;
	char what[160];
	int found;

	if (api_load_session(req, &s, "znaleziona") != 0 ||
	    api_param_refnum(req, 1) != 0)
		return;
	found = store_invoice_get(req->srv->store, req->params[1], &inv,
				  NULL) == 0;
	snprintf(what, sizeof(what), "faktury %s", req->params[1]);
	invoice_upo(req, &s, found ? &inv : NULL, what);
}

void api_upo_by_ksef_number(struct request *req)
{
	const char *k = req->params[1];
	store_session s;
	store_invoice inv;
	char what[160];
	int found;

	if (api_load_session(req, &s, "znaleziona") != 0)
		return;
	if (!api_ksef_number_shaped(k)) {
		errors_reply(req, 400, 21405, "Numer KSeF '%.40s' ma "
			"nieprawidłowy format.", k);
		return;
	}
	found = store_invoice_by_ksef_number(req->srv->store, k, &inv,
					     NULL) == 0;
	snprintf(what, sizeof(what), "o numerze KSeF %s", k);
	invoice_upo(req, &s, found ? &inv : NULL, what);
}

void api_upo_session_page(struct request *req)
{
	ksef_buf xml = KSEF_BUF_INIT;
	store_session s;
	ksef_error err;
	int rc;

	if (api_load_session(req, &s, "znaleziona") != 0 ||
	    api_param_refnum(req, 1) != 0)
		return;
	rc = upo_for_page(req->srv, &s, req->params[1], &xml, &err);
	if (rc == KSEF_ENOTFOUND) {
		errors_reply(req, 400, 21178, "UPO o numerze referencyjnym %s "
			"dla sesji %s nie zostało znalezione.", req->params[1],
			s.ref);
		return;
	}
	if (rc != 0) {
		errors_internal(req, &err);
		return;
	}
	reply_xml(req, &xml);
	ksef_buf_dispose(&xml);
}

/* /storage/{sessionRef}/{invoice-upo|session-upo}/{ref}.xml?se=..&sig=.. */
void api_storage(struct request *req)
{
	struct server *srv = req->srv;
	const char *kind = req->params[1];
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_buf xml = KSEF_BUF_INIT;
	store_session s;
	store_invoice inv;
	size_t n = strlen(req->params[2]);
	ksef_error err;
	int rc;

	if (presign_check(req) != 0) {
		errors_forbidden(req, "insufficient-resource-access",
			"Odnośnik jest nieprawidłowy albo wygasł.", NULL);
		return;
	}
	if (n != KSEF_REFNUM_LEN + 4 || strcmp(req->params[2] + KSEF_REFNUM_LEN,
					       ".xml") != 0)
		goto missing;
	rc = store_session_get(srv->store, req->params[0], &s, &err);
	if (api_store_failed(req, rc, &err))
		return;
	if (rc != 0)
		goto missing;
	rc = KSEF_ENOTFOUND;
	memcpy(ref, req->params[2], KSEF_REFNUM_LEN);
	ref[KSEF_REFNUM_LEN] = '\0';
	request_log_ref(req, ref);
	if (strcmp(kind, "invoice-upo") == 0) {
		int got = store_invoice_get(srv->store, ref, &inv, &err);

		if (api_store_failed(req, got, &err))
			return;
		if (got == 0 && strcmp(inv.session_ref, s.ref) == 0)
			rc = upo_for_invoice(srv, &s, &inv, &xml, NULL);
	} else if (strcmp(kind, "session-upo") == 0) {
		rc = upo_for_page(srv, &s, ref, &xml, NULL);
	}
	if (rc != 0)
		goto missing;
	reply_xml(req, &xml);
	ksef_buf_dispose(&xml);
	return;
missing:
	errors_no_route(req, 404);
}

void api_storage_certificate(struct request *req)
{
	const char *pem = upo_certificate_pem(req->srv);

	if (pem == NULL) {
		errors_no_route(req, 404);
		return;
	}
	http_reply_bytes(req, 200, "application/x-pem-file", pem, strlen(pem),
			 NULL);
}
