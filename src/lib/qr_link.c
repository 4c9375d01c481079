/*
 * qr_link.c - owns the KOD I link (ksef-docs kody-qr.md section 1): the
 * environments' QR addresses, building a link from its parts, reading the
 * parts from an FA invoice file, and reading a link's path back strictly.
 * Drawing the code is qr_render.c's; Base64 and SHA-256 are encoding.c's.
 *
 * The link is base/invoice/NIP/DD-MM-YYYY/HASH. kody-qr.md lists the parts
 * as date, NIP, hash, but its example (and the official clients) put the
 * NIP first; the example is what the tests hold us to, byte for byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <libxml/tree.h>
#include "ksef/invoice.h"
#include "ksef/limits.h"
#include "ksef/qr.h"
#include "internal.h"
#include "ksef/encoding.h"
#include "qr_int.h"
#include "xml.h"

#define INVOICE_SEGMENT "/invoice/"

/* A base and a link's tail: what a link buffer may ever hold. */
#define LINK_MAX (KSEF_QR_BASE_MAX + 128)

const char *ksef_qr_env_base(ksef_qr_env env)
{
	switch (env) {
	case KSEF_QR_ENV_TEST: return KSEF_QR_BASE_TEST;
	case KSEF_QR_ENV_DEMO: return KSEF_QR_BASE_DEMO;
	case KSEF_QR_ENV_PRD: return KSEF_QR_BASE_PRD;
	default: return NULL;
	}
}

/* A base must be an absolute http(s) URL of bounded length with nothing
 * that would end the link's path early or need escaping in it (qr_int.h;
 * qr_cert.c's KOD II takes the same bases). */
size_t ksef__qr_base_len(const char *base, ksef_error *err, int *error)
{
	size_t n, i;

	*error = 0;
	if (base == NULL) {
		*error = ksef__error_set(err, KSEF_EINVAL, "no base URL");
		return 0;
	}
	n = strnlen(base, KSEF_QR_BASE_MAX + 1);
	if (n > KSEF_QR_BASE_MAX) {
		*error = ksef__error_set(err, KSEF_EINVAL, "the base URL is "
			"over KSEF_QR_BASE_MAX (%d bytes)", KSEF_QR_BASE_MAX);
		return 0;
	}
	if (strncmp(base, "https://", 8) != 0 &&
	    strncmp(base, "http://", 7) != 0) {
		*error = ksef__error_set(err, KSEF_EINVAL, "the base URL must "
			"start with https:// or http://");
		return 0;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)base[i] <= 0x20 ||
		    (unsigned char)base[i] >= 0x7f || base[i] == '?' ||
		    base[i] == '#') {
			*error = ksef__error_set(err, KSEF_EINVAL, "the base "
				"URL has a character a link cannot carry at "
				"byte %zu", i);
			return 0;
		}
	if (base[n - 1] == '/')
		n--;
	return n;
}

int ksef_qr_base_for_api(ksef_buf *out, const char *api_base,
			 ksef_error *err)
{
	static const struct { const char *api; const char *qr; } known[] = {
		{ "https://api-test.ksef.mf.gov.pl", KSEF_QR_BASE_TEST },
		{ "https://api-demo.ksef.mf.gov.pl", KSEF_QR_BASE_DEMO },
		{ "https://api.ksef.mf.gov.pl", KSEF_QR_BASE_PRD },
	};
	ksef_buf b = KSEF_BUF_INIT;
	size_t n, i;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output buffer");
	if ((n = ksef__qr_base_len(api_base, err, &error)) == 0)
		return error ? error : ksef__error_set(err, KSEF_EINVAL,
			"empty base URL");
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		size_t k = strlen(known[i].api);

		if (strncasecmp(api_base, known[i].api, k) == 0 &&
		    (api_base[k] == '/' || api_base[k] == '\0')) {
			if (ksef_buf_append(&b, known[i].qr,
					    strlen(known[i].qr) + 1,
					    LINK_MAX) != 0)
				return ksef__error_set(err, KSEF_ENOMEM,
						       "out of memory");
			b.size--;
			ksef_buf_dispose(out);
			*out = b;
			return 0;
		}
	}
	/* A server of our own serves the links at its root, beside /v2. */
	if (n >= 3 && memcmp(api_base + n - 3, "/v2", 3) == 0)
		n -= 3;
	if (ksef_buf_append(&b, api_base, n, LINK_MAX) != 0 ||
	    ksef_buf_append(&b, "", 1, LINK_MAX) != 0) {
		ksef_buf_dispose(&b);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	b.size--;
	ksef_buf_dispose(out);
	*out = b;
	return 0;
}

int ksef__qr_digest_text(char out[KSEF_SHA256_B64URL_LEN + 1],
			 const unsigned char md[KSEF_SHA256_LEN],
			 ksef_error *err)
{
	ksef_buf b = KSEF_BUF_INIT;
	int error;

	if ((error = ksef_base64url_encode(&b, md, KSEF_SHA256_LEN, err)) != 0)
		return error;
	memcpy(out, b.ptr, KSEF_SHA256_B64URL_LEN + 1);
	ksef_buf_dispose(&b);
	return 0;
}

int ksef__qr_digest_parse(unsigned char md[KSEF_SHA256_LEN], const char *s,
			  size_t n)
{
	ksef_buf b = KSEF_BUF_INIT;
	int ok;

	ok = n == KSEF_SHA256_B64URL_LEN &&
	     ksef_base64url_decode(&b, s, n, KSEF_SHA256_LEN, NULL) == 0 &&
	     b.size == KSEF_SHA256_LEN;
	if (ok)
		memcpy(md, b.ptr, KSEF_SHA256_LEN);
	ksef_buf_dispose(&b);
	return ok ? 0 : -1;
}

int ksef_qr_invoice_link(ksef_buf *out, const char *base,
			 const ksef_qr_invoice_ref *ref, ksef_error *err)
{
	char hash[KSEF_SHA256_B64URL_LEN + 1], tail[128];
	ksef_buf b = KSEF_BUF_INIT;
	size_t n;
	int error, k;

	if (out == NULL || ref == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output buffer or "
				       "no invoice given");
	if ((n = ksef__qr_base_len(base, err, &error)) == 0)
		return error ? error : ksef__error_set(err, KSEF_EINVAL,
			"empty base URL");
	if (memchr(ref->seller_nip, '\0', sizeof(ref->seller_nip)) == NULL ||
	    (error = ksef_nip_validate_pattern(ref->seller_nip,
			strlen(ref->seller_nip), err)) != 0)
		return ksef__error_set(err, KSEF_EFORMAT, "the seller's NIP "
				       "is not 10 digits of a NIP's pattern");
	if (!ksef_date_is_valid(ref->issue_date))
		return ksef__error_set(err, KSEF_EINVAL, "the issue date "
				       "does not exist");
	if ((error = ksef__qr_digest_text(hash, ref->sha256, err)) != 0)
		return error;
	k = snprintf(tail, sizeof(tail), INVOICE_SEGMENT "%s/%02d-%02d-%04d/%s",
		     ref->seller_nip, ref->issue_date.day,
		     ref->issue_date.month, ref->issue_date.year, hash);
	if (k < 0 || (size_t)k >= sizeof(tail))
		return ksef__error_set(err, KSEF_EINVAL, "link too long");
	if (ksef_buf_append(&b, base, n, LINK_MAX) != 0 ||
	    ksef_buf_append(&b, tail, (size_t)k + 1, LINK_MAX) != 0) {
		ksef_buf_dispose(&b);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	b.size--;
	ksef_buf_dispose(out);
	*out = b;
	return 0;
}

static xmlNode *child(xmlNode *parent, const char *name)
{
	xmlNode *n;

	for (n = parent ? parent->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

/* The element's text with surrounding whitespace trimmed, into buf; 0, or
 * -1 when it is absent or longer than the buffer. */
static int text_into(char *buf, size_t size, xmlNode *node, int *oom)
{
	xmlChar *s;
	const char *p, *e;

	if (node == NULL)
		return -1;
	if ((s = xmlNodeGetContent(node)) == NULL) {
		*oom = 1;
		return -1;
	}
	p = (const char *)s;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		e--;
	if ((size_t)(e - p) >= size) {
		xmlFree(s);
		return -1;
	}
	memcpy(buf, p, (size_t)(e - p));
	buf[e - p] = '\0';
	xmlFree(s);
	return 0;
}

/* The form a root element names, by its namespace and local name, as
 * invoice.c's ksef_form_detect() tells them; -1 for none. */
static int form_of(xmlNode *root)
{
	const char *ns = root->ns ? (const char *)root->ns->href : "";
	const char *name = (const char *)root->name;
	int f;

	for (f = 0; f < KSEF_FORM_COUNT; f++) {
		const char *want = f == KSEF_FORM_PEF3 ? "Invoice" :
				   f == KSEF_FORM_PEF_KOR3 ? "CreditNote" :
				   "Faktura";

		if (strcmp(ns, ksef_form_namespace((ksef_form)f)) == 0 &&
		    strcmp(name, want) == 0)
			return f;
	}
	return -1;
}

/* PEF (UBL): the seller is AccountingSupplierParty, its NIP the
 * CompanyID of its tax scheme (else of its legal entity) without "PL",
 * as ksefd's verification reads it. */
static xmlNode *ubl_seller_id(xmlNode *root)
{
	xmlNode *party = child(child(root, "AccountingSupplierParty"),
			       "Party");
	xmlNode *n = child(child(party, "PartyTaxScheme"), "CompanyID");

	return n ? n : child(child(party, "PartyLegalEntity"), "CompanyID");
}

int ksef_qr_invoice_ref_from_xml(ksef_qr_invoice_ref *out,
				 const unsigned char *xml, size_t len,
				 ksef_error *err)
{
	ksef_qr_invoice_ref r;
	char nip[KSEF_NIP_BUFSZ + 2], p1[32];
	xmlDoc *doc = NULL;
	xmlNode *root, *nip_node, *date_node;
	const char *n;
	int error, oom = 0, form;

	if (out == NULL || (xml == NULL && len > 0))
		return ksef__error_set(err, KSEF_EINVAL, "no output or no "
				       "document given");
	memset(&r, 0, sizeof(r));
	if ((error = ksef__xml_parse(&doc, NULL, xml, len,
				     KSEF_INVOICE_MAX_BYTES, err)) != 0)
		return error;
	root = xmlDocGetRootElement(doc);
	if (root == NULL || (form = form_of(root)) < 0) {
		error = ksef__error_set(err, KSEF_ENOTFOUND, "not an invoice "
			"of a form KSeF takes (FA, FA_RR, PEF)");
		goto out;
	}
	/* The seller's NIP and the issue date, where each form keeps them
	 * (the same places invoice verification reads them from). */
	switch (form) {
	case KSEF_FORM_PEF3:
	case KSEF_FORM_PEF_KOR3:
		nip_node = ubl_seller_id(root);
		date_node = child(root, "IssueDate");
		break;
	case KSEF_FORM_FA_RR1:
		nip_node = child(child(child(root, "Podmiot1"),
				       "DaneIdentyfikacyjne"), "NIP");
		date_node = child(child(root, "FakturaRR"), "P_4B");
		break;
	default:
		nip_node = child(child(child(root, "Podmiot1"),
				       "DaneIdentyfikacyjne"), "NIP");
		date_node = child(child(root, "Fa"), "P_1");
	}
	if (text_into(nip, sizeof(nip), nip_node, &oom) != 0 ||
	    text_into(p1, sizeof(p1), date_node, &oom) != 0) {
		error = oom ? ksef__error_set(err, KSEF_ENOMEM, "out of "
			"memory") : ksef__error_set(err, KSEF_ENOTFOUND, "the "
			"invoice names no seller NIP or no issue date (or one "
			"of the wrong length)");
		goto out;
	}
	n = nip;
	if ((form == KSEF_FORM_PEF3 || form == KSEF_FORM_PEF_KOR3) &&
	    strncmp(n, "PL", 2) == 0)
		n += 2;
	if (strlen(n) != KSEF_NIP_LEN ||
	    ksef_nip_validate_pattern(n, KSEF_NIP_LEN, NULL) != 0) {
		error = ksef__error_set(err, KSEF_EFORMAT, "the seller's NIP "
					"is not a NIP");
		goto out;
	}
	memcpy(r.seller_nip, n, KSEF_NIP_LEN + 1);
	if (ksef_date_parse(&r.issue_date, p1, strlen(p1), NULL) != 0) {
		error = ksef__error_set(err, KSEF_EFORMAT, "the issue date "
					"is not a YYYY-MM-DD date");
		goto out;
	}
	if ((error = ksef_sha256(r.sha256, xml, len, err)) != 0)
		goto out;
	*out = r;
out:
	xmlFreeDoc(doc);
	return error;
}

static int digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int ksef_qr_invoice_path_parse(ksef_qr_invoice_ref *out, const char *path,
			       size_t len, ksef_error *err)
{
	/* "/invoice/" NIP "/" DD-MM-YYYY "/" HASH */
	const size_t seg = sizeof(INVOICE_SEGMENT) - 1;
	const size_t want = seg + KSEF_NIP_LEN + 1 + 10 + 1 +
			    KSEF_SHA256_B64URL_LEN;
	ksef_qr_invoice_ref r;
	const char *p, *d;

	if (out == NULL || path == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output or path");
	if (len != want || memcmp(path, INVOICE_SEGMENT, seg) != 0)
		return ksef__error_set(err, KSEF_EFORMAT, "not a link of the "
			"form /invoice/NIP/DD-MM-YYYY/SHA256 (%zu bytes, not "
			"%zu)", len, want);
	memset(&r, 0, sizeof(r));
	p = path + seg;
	if (ksef_nip_validate_pattern(p, KSEF_NIP_LEN, NULL) != 0 ||
	    p[KSEF_NIP_LEN] != '/')
		return ksef__error_set(err, KSEF_EFORMAT, "the link's NIP is "
				       "not a NIP");
	memcpy(r.seller_nip, p, KSEF_NIP_LEN);
	d = p + KSEF_NIP_LEN + 1;
	if (!digits(d, 2) || d[2] != '-' || !digits(d + 3, 2) ||
	    d[5] != '-' || !digits(d + 6, 4) || d[10] != '/')
		return ksef__error_set(err, KSEF_EFORMAT, "the link's date is "
				       "not DD-MM-YYYY");
	r.issue_date.day = (d[0] - '0') * 10 + (d[1] - '0');
	r.issue_date.month = (d[3] - '0') * 10 + (d[4] - '0');
	r.issue_date.year = (d[6] - '0') * 1000 + (d[7] - '0') * 100 +
			    (d[8] - '0') * 10 + (d[9] - '0');
	if (!ksef_date_is_valid(r.issue_date))
		return ksef__error_set(err, KSEF_EFORMAT, "the link's date "
				       "does not exist");
	if (ksef__qr_digest_parse(r.sha256, d + 11,
				  KSEF_SHA256_B64URL_LEN) != 0)
		return ksef__error_set(err, KSEF_EFORMAT, "the link's hash is "
			"not a SHA-256 in Base64URL");
	*out = r;
	return 0;
}
