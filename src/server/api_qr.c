/*
 * api_qr.c - GET /invoice/{nip}/{date}/{hash}, the path of a KOD I link
 * (kody-qr.md section 1) under ksefd's own root, outside /v2: what the
 * public verification page does for ksefd's own invoices. It says whether
 * an invoice with the seller's NIP, issue date (P_1) and SHA-256 of the
 * link is in KSeF (status 200), with its basic data, as a minimal HTML
 * page or, when the caller asks for application/json, as JSON.
 *
 * No token (the page is public) and the rate limit of unauthenticated
 * calls, per client IP (router.c). The path is read by libksef's strict
 * ksef_qr_invoice_path_parse(), so nothing of it reaches the page or the
 * store unchecked; the invoice's own text (P_2) is HTML-escaped. Fetching
 * the invoice's XML, which the real page offers after more questions, is
 * not served (docs/ksefd.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api.h"
#include "errors.h"
#include "http.h"
#include "ksef/qr.h"
#include "ksef/qr_cert.h"
#include "permissions.h"

/* Whether the caller asked for JSON rather than a page: application/json
 * named in Accept and text/html not. */
static int wants_json(struct request *req)
{
	const char *a = http_header(req, "Accept");
	const char *p;
	int json = 0, html = 0;

	for (p = a; p != NULL && *p != '\0'; p++) {
		if (strncasecmp(p, "application/json", 16) == 0)
			json = 1;
		else if (strncasecmp(p, "text/html", 9) == 0)
			html = 1;
	}
	return json && !html;
}

/* Text into an HTML page: &, <, >, " and ' escaped; cut to fit. */
static void html_escape(char *out, size_t size, const char *in)
{
	size_t n = 0;

	for (; *in != '\0'; in++) {
		const char *e = NULL;
		char one[2] = { *in, '\0' };
		size_t k;

		switch (*in) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: e = one;
		}
		k = strlen(e);
		if (n + k + 1 > size)
			break;
		memcpy(out + n, e, k);
		n += k;
	}
	out[n] = '\0';
}

/* Room for a page: the longest P_2 escaped (6 bytes a byte at worst)
 * and the rest, which is short and fixed. */
#define ROWS_MAX (STORE_P2_SZ * 6 + 1024)
#define PAGE_MAX (ROWS_MAX + 512)

static void reply_page(struct request *req, unsigned status,
		       const char *title, const char *rows)
{
	char *page = malloc(PAGE_MAX);
	int n;

	if (page == NULL) {
		errors_internal(req, NULL);
		return;
	}
	n = snprintf(page, PAGE_MAX,
		"<!DOCTYPE html>\n<html lang=\"pl\"><head><meta charset=\"utf-8\">"
		"<title>KSeF: weryfikacja faktury</title></head><body>\n"
		"<h1>%s</h1>\n%s</body></html>\n", title, rows);
	if (n < 0 || n >= PAGE_MAX)
		n = (int)strlen(page);
	http_reply_bytes(req, status, "text/html; charset=utf-8", page,
			 (size_t)n, NULL);
	free(page);
}

void api_qr_invoice(struct request *req)
{
	ksef_qr_invoice_ref ref;
	ksef_error err;
	store_invoice inv;
	char hash[KSEF_SHA256_B64_LEN + 1], date[KSEF_DATE_BUFSZ];
	char *p2, *rows;
	int json = wants_json(req), rc;

	if (ksef_qr_invoice_path_parse(&ref, req->path, strlen(req->path),
				       &err) != 0) {
		if (json)
			errors_reply(req, 400, 21405, "Nieprawidłowy link "
				     "weryfikacyjny: %s", err.message);
		else
			reply_page(req, 400, "Nieprawidłowy link "
				   "weryfikacyjny", "");
		return;
	}
	if (ksef_date_format(date, ref.issue_date, &err) != 0) {
		errors_internal(req, &err);
		return;
	}
	/* The store keeps the hash as Base64 of the digest (invoiceHash). */
	{
		ksef_buf b = KSEF_BUF_INIT;

		if (ksef_base64_encode(&b, ref.sha256, sizeof(ref.sha256),
				       &err) != 0) {
			errors_internal(req, &err);
			return;
		}
		snprintf(hash, sizeof(hash), "%s", (const char *)b.ptr);
		ksef_buf_dispose(&b);
	}
	rc = store_invoice_by_link(req->srv->store, ref.seller_nip, date, hash,
				   &inv, &err);
	if (rc != 0 && rc != STORE_NOT_FOUND) {
		errors_internal(req, &err);
		return;
	}
	if (rc == 0)
		request_log_ref(req, inv.ksef_number);
	if (json) {
		json_t *o = json_pack("{s:b,s:s,s:s,s:s}", "found", rc == 0,
				      "sellerNip", ref.seller_nip,
				      "issueDate", date, "invoiceHash", hash);

		if (o != NULL && rc == 0) {
			json_object_set_new(o, "ksefNumber",
					    json_string(inv.ksef_number));
			json_object_set_new(o, "invoiceNumber",
					    json_string(inv.invoice_number));
			json_object_set_new(o, "acquisitionDate",
					    api_time(inv.acquisition_ms));
			if (inv.invoicing_mode[0] != '\0')
				json_object_set_new(o, "invoicingMode",
					json_string(inv.invoicing_mode));
		}
		http_reply_json(req, rc == 0 ? 200 : 404, o);
		return;
	}
	p2 = malloc(STORE_P2_SZ * 6);
	rows = malloc(ROWS_MAX);
	if (p2 == NULL || rows == NULL) {
		free(p2);
		free(rows);
		errors_internal(req, NULL);
		return;
	}
	if (rc != 0) {
		snprintf(rows, ROWS_MAX, "<p>Faktura o podanych danych nie "
			"została znaleziona w KSeF.</p>\n<dl><dt>NIP "
			"sprzedawcy</dt><dd>%s</dd><dt>Data wystawienia</dt>"
			"<dd>%s</dd><dt>Skrót SHA-256</dt><dd>%s</dd></dl>\n",
			ref.seller_nip, date, hash);
		reply_page(req, 404, "Faktury nie ma w KSeF", rows);
		goto done;
	}
	html_escape(p2, STORE_P2_SZ * 6, inv.invoice_number);
	snprintf(rows, ROWS_MAX, "<p>Faktura znajduje się w KSeF.</p>\n"
		"<dl><dt>Numer KSeF</dt><dd>%s</dd><dt>Numer faktury</dt>"
		"<dd>%s</dd><dt>NIP sprzedawcy</dt><dd>%s</dd>"
		"<dt>Data wystawienia</dt><dd>%s</dd><dt>Skrót SHA-256</dt>"
		"<dd>%s</dd></dl>\n", inv.ksef_number, p2, ref.seller_nip,
		date, hash);
	reply_page(req, 200, "Faktura jest w KSeF", rows);
done:
	free(p2);
	free(rows);
}

/* ---- KOD II: GET /certificate/... (kody-qr.md 2) ---- */

/* The hosts a link may have been made for: ksefd's own (the Host the
 * link reached, as a client that took ksefd's address for its QR base
 * made it), then KSeF's three (kody-qr.md, "Środowiska"). The host is
 * part of the signed text, so the link is rebuilt with each. */
static const char *const qr_hosts[] = {
	"qr-test.ksef.mf.gov.pl", "qr-demo.ksef.mf.gov.pl",
	"qr.ksef.mf.gov.pl",
};

static const char *const context_names[] = { "Nip", "InternalId",
					     "NipVatUe", "PeppolId" };

/* The link as scanned: https://host + the path asked for. Its length, or
 * 0 when it does not fit. */
static size_t link_for(char out[KSEF_QR_TEXT_MAX + 1], const char *host,
		       const char *path)
{
	int n = snprintf(out, KSEF_QR_TEXT_MAX + 1, "https://%s%s", host,
			 path);

	return n > 0 && n <= KSEF_QR_TEXT_MAX ? (size_t)n : 0;
}

/* Whether the link's signature verifies with the certificate, for any
 * of the hosts (libksef's ksef_qr_cert_verify()). */
static int signature_verifies(struct request *req, const store_cert *c,
			      char link[KSEF_QR_TEXT_MAX + 1])
{
	const char *host = http_header(req, "Host");
	size_t i, n;

	if (host != NULL && strlen(host) < 256 &&
	    (n = link_for(link, host, req->path)) > 0 &&
	    ksef_qr_cert_verify(NULL, link, n, c->der, c->der_len, NULL) == 0)
		return 1;
	for (i = 0; i < sizeof(qr_hosts) / sizeof(qr_hosts[0]); i++)
		if ((n = link_for(link, qr_hosts[i], req->path)) > 0 &&
		    ksef_qr_cert_verify(NULL, link, n, c->der, c->der_len,
					NULL) == 0)
			return 1;
	return 0;
}

/* Whether the context may issue the seller's invoices: its own NIP, or
 * the NIP an InternalId or NipVatUe context begins with. Self-invoicing,
 * tax representatives, VAT groups and the other cases of kody-qr.md 2.4
 * are not decided here (docs/certificates.md). */
static int context_is_seller(const ksef_qr_cert_ref *r)
{
	if (r->context_type == KSEF_CONTEXT_PEPPOL_ID)
		return 0;
	return strncmp(r->context_value, r->seller_nip, 10) == 0;
}

void api_qr_certificate(struct request *req)
{
	store_cert *c = malloc(sizeof(*c));
	char *link = malloc(KSEF_QR_TEXT_MAX + 1), perms[STORE_PERMS_SZ];
	char *rows = malloc(ROWS_MAX);
	int64_t now = server_now_ms();
	int json = wants_json(req), rc, found, active = 0, offline = 0,
	    sig = 0, allowed = 0, seller = 0, verified;
	const char *status = "Unknown", *ctx;
	ksef_qr_cert_ref ref;
	ksef_error err;
	size_t n;

	if (c == NULL || link == NULL || rows == NULL) {
		errors_internal(req, NULL);
		goto out;
	}
	n = link_for(link, qr_hosts[0], req->path);
	if (n == 0 || ksef_qr_cert_link_parse(&ref, NULL, link, n, &err) != 0) {
		if (json)
			errors_reply(req, 400, 21405, "Nieprawidłowy link "
				     "weryfikacyjny: %s", n == 0 ?
				     "too long" : err.message);
		else
			reply_page(req, 400, "Nieprawidłowy link "
				   "weryfikacyjny", "");
		goto out;
	}
	ctx = (unsigned)ref.context_type < sizeof(context_names) /
	      sizeof(context_names[0]) ? context_names[ref.context_type] : "";
	rc = store_cert_get(req->srv->store, ref.cert_serial, c, &err);
	if (rc != 0 && rc != STORE_NOT_FOUND) {
		errors_internal(req, &err);
		goto out;
	}
	found = rc == 0;
	if (found) {
		request_log_ref(req, c->serial);
		status = c->revoked_ms != 0 ? "Revoked" :
			 now >= c->valid_to_ms ? "Expired" :
			 now < c->valid_from_ms ? "NotYetValid" : "Active";
		active = strcmp(status, "Active") == 0;
		offline = c->type == STORE_CERT_OFFLINE;
		sig = signature_verifies(req, c, link);
		/* The issuer holds InvoiceWrite in the context now. */
		allowed = permissions_effective(req->srv, ctx,
			ref.context_value, c->subject_type, c->subject_value,
			perms, NULL) == 0 &&
			permissions_list_has(perms, "InvoiceWrite");
		seller = context_is_seller(&ref);
	}
	verified = found && active && offline && sig && allowed && seller;
	if (json) {
		json_t *o = json_pack("{s:b,s:b,s:s,s:s,s:s,s:s}",
			"verified", verified, "certificateFound", found,
			"certificateSerialNumber", ref.cert_serial,
			"certificateStatus", status, "contextType", ctx,
			"sellerNip", ref.seller_nip);

		if (found) {
			json_object_set_new(o, "certificateType", json_string(
				offline ? "Offline" : "Authentication"));
			json_object_set_new(o, "signatureValid",
					    json_boolean(sig));
			json_object_set_new(o, "issuerHasPermission",
					    json_boolean(allowed));
			json_object_set_new(o, "contextMatchesSeller",
					    json_boolean(seller));
			json_object_set_new(o, "validTo",
					    api_time(c->valid_to_ms));
		}
		http_reply_json(req, found ? 200 : 404, o);
		goto out;
	}
	if (!found) {
		snprintf(rows, ROWS_MAX, "<p>Certyfikat KSeF o numerze %s nie "
			 "istnieje.</p>\n", ref.cert_serial);
		reply_page(req, 404, "Certyfikat nieznany", rows);
		goto out;
	}
	snprintf(rows, ROWS_MAX, "<dl><dt>Numer seryjny certyfikatu</dt>"
		"<dd>%s</dd><dt>Typ</dt><dd>%s</dd><dt>Status</dt><dd>%s</dd>"
		"<dt>Podpis linku</dt><dd>%s</dd>"
		"<dt>Uprawnienia wystawcy w kontekście</dt><dd>%s</dd>"
		"<dt>Kontekst a NIP sprzedawcy</dt><dd>%s</dd></dl>\n",
		c->serial, offline ? "Offline" : "Authentication", status,
		sig ? "poprawny" : "niepoprawny",
		allowed ? "tak" : "brak", seller ? "zgodne" : "niezgodne");
	reply_page(req, 200, verified ? "Wystawca zweryfikowany" :
		   "Wystawca niezweryfikowany", rows);
out:
	free(rows);
	free(link);
	free(c);
}
