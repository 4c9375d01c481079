/*
 * api_invoices.c - GET /invoices/ksef/{ksefNumber} (SPEC 4.22): exactly
 * the bytes the seller sent, with x-ms-meta-hash, to the seller's context
 * with InvoiceRead. Another context gets "no such invoice" (21164), so the
 * existence of someone else's invoice leaks nothing.
 */
#include <string.h>
#include "api.h"
#include "errors.h"
#include "http.h"

/* The seller may read its invoices in its own context (or the NIP part of
 * an InternalId / NipVatUe context). */
static int readable(const struct request *req, const store_invoice *inv)
{
	const char *v = req->claims.context_value;

	if (strcmp(req->claims.context_type, "Nip") == 0)
		return strcmp(v, inv->seller_nip) == 0;
	return strncmp(v, inv->seller_nip, 10) == 0;
}

void api_invoice_download(struct request *req)
{
	const char *k = req->params[0];
	char hash[KSEF_SHA256_B64_LEN + 1];
	ksef_buf xml = KSEF_BUF_INIT;
	store_invoice inv;
	ksef_error err;

	if (!api_ksef_number_shaped(k)) {
		errors_reply(req, 400, 21405, "Numer KSeF '%.40s' ma "
			"nieprawidłowy format.", k);
		return;
	}
	request_log_ref(req, k);
	if (store_invoice_by_ksef_number(req->srv->store, k, &inv, NULL) != 0 ||
	    inv.status != 200 || !readable(req, &inv)) {
		errors_reply(req, 400, 21164, "Faktura o numerze KSeF %s nie "
			"została znaleziona.", k);
		return;
	}
	if (inv.permanent_storage_ms > server_now_ms()) {
		errors_reply(req, 400, 21165, "Faktura o numerze KSeF %s została "
			"przetworzona, ale nie jest jeszcze dostępna do pobrania. "
			"Spróbuj ponownie później.", k);
		return;
	}
	if (store_invoice_plaintext(req->srv->store, inv.ref, &xml, &err) != 0 ||
	    ksef_sha256_base64(hash, xml.ptr, xml.size, &err) != 0) {
		ksef_buf_dispose(&xml);
		errors_internal(req, &err);
		return;
	}
	http_reply_bytes(req, 200, "application/xml", xml.ptr, xml.size, hash);
	ksef_buf_dispose(&xml);
}
