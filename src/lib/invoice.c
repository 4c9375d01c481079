/*
 * invoice.c - owns invoice verification as faktury/weryfikacja-faktury.md
 * describes it: the byte-level XML rules (UTF-8 without BOM, no other
 * declared encoding, none of the discouraged code points), the parse (via
 * xml.c), processing instructions, the form's schema (via xsd.c), and the
 * rules a server applies to the parsed invoice (attachments, P_1, NIP
 * checksums). It also extracts what duplicate detection and KSeF numbers
 * need. Duplicates and permissions need server state and stay in ksefd.
 *
 * Each rule maps to the invoice status the API reports (SPEC 5.2); the
 * mapping and its reasoning are in docs/verification.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/tree.h>
#include "ksef/invoice.h"
#include "ksef/limits.h"
#include "ksef/number.h"
#include "alloc.h"
#include "internal.h"
#include "options.h"
#include "xml.h"
#include "xsd.h"
#include "invoice_summary.h"

/* Fields longer than this are cut: P_2 is at most 256 characters and every
 * other field extracted is shorter, so only hostile input is affected. */
#define FIELD_MAX 1024
/* FA (3) allows at most 100 Podmiot3; a few more cost nothing. */
#define THIRD_PARTY_MAX 128

struct ksef_verdict {
	int status;
	int line;
	size_t ndetails;
	char *details[KSEF_VERIFY_MAX_DETAILS];
	char *fields[KSEF_FIELD_COUNT];
	int has_attachment;
	size_t nthird;
	char *third[THIRD_PARTY_MAX];
	/* Identifiers whose NIP checksum production KSeF checks. */
	size_t nnips;
	char *nips[THIRD_PARTY_MAX + 3];
	struct ksef__summary summary;
};

static const struct {
	int code;
	const char *description;
} status_descriptions[] = {
	{ 100, "Faktura przyjęta do dalszego przetwarzania" },
	{ 150, "Trwa przetwarzanie" },
	{ 200, "Sukces" },
	{ 405, "Przetwarzanie anulowane z powodu błędu sesji" },
	{ 410, "Nieprawidłowy zakres uprawnień" },
	{ 415, "Brak możliwości wysyłania faktury z załącznikiem" },
	{ 430, "Błąd weryfikacji pliku faktury" },
	{ 435, "Błąd odszyfrowania pliku" },
	{ 440, "Duplikat faktury" },
	{ 450, "Błąd weryfikacji semantyki dokumentu faktury" },
	{ 500, "Nieznany błąd" },
	{ 550, "Operacja została anulowana przez system" },
};

const char *ksef_invoice_status_description(int status)
{
	size_t i;

	for (i = 0; i < sizeof(status_descriptions) /
			    sizeof(status_descriptions[0]); i++)
		if (status_descriptions[i].code == status)
			return status_descriptions[i].description;
	return NULL;
}

/* Adds a detail; the first rejection decides the status and line. Returns
 * KSEF_ENOMEM if the detail cannot be stored, else 0. */
static int reject(ksef_verdict *v, int status, int line, const char *fmt, ...)
	KSEF__PRINTF(4, 5);

static int reject(ksef_verdict *v, int status, int line, const char *fmt, ...)
{
	char msg[KSEF_ERROR_MESSAGE_MAX];
	char *d;
	va_list ap;

	if (v->status == KSEF_INVOICE_STATUS_OK) {
		v->status = status;
		v->line = line;
	}
	if (v->ndetails >= KSEF_VERIFY_MAX_DETAILS)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0) {
		size_t n = strlen(msg) + 32;

		d = malloc(n);
		if (d != NULL)
			snprintf(d, n, "line %d: %s", line, msg);
	} else {
		d = strdup(msg);
	}
	if (d == NULL)
		return KSEF_ENOMEM;
	v->details[v->ndetails++] = d;
	return 0;
}

/*
 * A document that is not the XML KSeF accepts (not well-formed, a BOM,
 * invalid UTF-8, another encoding, a processing instruction, a
 * discouraged character): the live system answers 450 with "Nieprawidłowy
 * XML" (SPEC 5.2's correction; 430 is for size and hash mismatches).
 * Our technical reason follows, for the person who must fix it.
 */
static int reject_xml(ksef_verdict *v, int line, const char *fmt, ...)
	KSEF__PRINTF(3, 4);

static int reject_xml(ksef_verdict *v, int line, const char *fmt, ...)
{
	char msg[KSEF_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The words KSeF uses come first, the line with our reason. */
	if (v->status == KSEF_INVOICE_STATUS_OK) {
		v->status = KSEF_INVOICE_STATUS_SEMANTIC;
		v->line = line;
	}
	if (line > 0)
		return reject(v, KSEF_INVOICE_STATUS_SEMANTIC, 0,
			      "Nieprawidłowy XML: line %d: %s", line, msg);
	return reject(v, KSEF_INVOICE_STATUS_SEMANTIC, 0,
		      "Nieprawidłowy XML: %s", msg);
}

/* 1-based line of byte offset off. */
static int line_at(const unsigned char *data, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (data[i] == '\n')
			line++;
	return line;
}

/*
 * XML 1.0 section 2.2 discourages these; KSeF refuses them
 * (faktury/weryfikacja-faktury.md). U+FFFE and U+FFFF are not XML
 * characters at all, so the parser refuses those itself.
 */
static int discouraged(unsigned long c)
{
	return (c >= 0x7F && c <= 0x84) || (c >= 0x86 && c <= 0x9F) ||
	       (c >= 0xFDD0 && c <= 0xFDEF) ||
	       (c >= 0x1FFFE && (c & 0xFFFE) == 0xFFFE);
}

/*
 * One pass over the bytes for the encoding rules. Returns 0 or KSEF_ENOMEM;
 * a violation is recorded in the verdict.
 */
static int check_bytes(ksef_verdict *v, const unsigned char *data,
		       size_t len)
{
	size_t i = 0, n;
	unsigned long c;

	if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
		return reject_xml(v, 1,
			"document starts with a byte order mark (EF BB BF); "
			"KSeF requires UTF-8 without BOM");
	if (len >= 2 && ((data[0] == 0xFE && data[1] == 0xFF) ||
			 (data[0] == 0xFF && data[1] == 0xFE)))
		return reject_xml(v, 1,
			"document is UTF-16; KSeF requires UTF-8");
	while (i < len) {
		if (data[i] >= 0x20 && data[i] < 0x7F) {
			i++;
			continue;
		}
		if (data[i] == 0)
			return reject_xml(v,
				line_at(data, i),
				"document contains a NUL byte at offset %zu", i);
		n = ksef__utf8_next(data + i, len - i, &c);
		if (n == 0)
			return reject_xml(v,
				line_at(data, i),
				"invalid UTF-8 at byte offset %zu", i);
		if (discouraged(c))
			return reject_xml(v,
				line_at(data, i),
				"document contains the discouraged character "
				"U+%04lX", c);
		i += n;
	}
	return 0;
}

static int ascii_ieq(const unsigned char *a, size_t alen, const char *b)
{
	size_t i;

	if (alen != strlen(b))
		return 0;
	for (i = 0; i < alen; i++) {
		unsigned char x = a[i], y = (unsigned char)b[i];

		if (x >= 'a' && x <= 'z')
			x = (unsigned char)(x - 'a' + 'A');
		if (y >= 'a' && y <= 'z')
			y = (unsigned char)(y - 'a' + 'A');
		if (x != y)
			return 0;
	}
	return 1;
}

/*
 * A prolog may be present but must not declare an encoding other than
 * UTF-8. Only the XML declaration is read: "<?xml" then pseudo-attributes
 * up to "?>" within the first line's worth of bytes.
 */
static int check_prolog(ksef_verdict *v, const unsigned char *data,
			size_t len)
{
	size_t i, end, limit = len < 512 ? len : 512, vs;
	unsigned char q;
	static const char key[] = "encoding";

	if (len < 6 || memcmp(data, "<?xml", 5) != 0 ||
	    !(data[5] == ' ' || data[5] == '\t' || data[5] == '\r' ||
	      data[5] == '\n'))
		return 0;
	for (end = 5; end + 1 < limit; end++)
		if (data[end] == '?' && data[end + 1] == '>')
			break;
	if (end + 1 >= limit)
		return 0; /* the parser will call it malformed */
	for (i = 5; i + sizeof(key) - 1 < end; i++) {
		if (memcmp(data + i, key, sizeof(key) - 1) != 0)
			continue;
		i += sizeof(key) - 1;
		while (i < end && (data[i] == ' ' || data[i] == '\t' ||
				   data[i] == '\r' || data[i] == '\n'))
			i++;
		if (i >= end || data[i] != '=')
			return 0;
		i++;
		while (i < end && (data[i] == ' ' || data[i] == '\t' ||
				   data[i] == '\r' || data[i] == '\n'))
			i++;
		if (i >= end || (data[i] != '"' && data[i] != '\''))
			return 0;
		q = data[i++];
		vs = i;
		while (i < end && data[i] != q)
			i++;
		if (i >= end)
			return 0;
		if (!ascii_ieq(data + vs, i - vs, "UTF-8"))
			return reject_xml(v, 1,
				"the XML declaration names encoding \"%.*s\"; "
				"KSeF accepts only UTF-8",
				(int)(i - vs > 40 ? 40 : i - vs),
				(const char *)data + vs);
		return 0;
	}
	return 0;
}

/* Checks decoded text (character references) for discouraged code points. */
static int check_text(ksef_verdict *v, xmlNode *node)
{
	for (; node != NULL; node = node->next) {
		const unsigned char *s = NULL;
		unsigned long c;
		size_t i, n, len;
		int error;

		if (node->type == XML_TEXT_NODE ||
		    node->type == XML_CDATA_SECTION_NODE)
			s = node->content;
		if (s != NULL) {
			len = strlen((const char *)s);
			for (i = 0; i < len; i += n) {
				n = ksef__utf8_next(s + i, len - i, &c);
				if (n == 0)
					break;
				if (discouraged(c))
					return reject_xml(v,
						xmlGetLineNo(node->parent ?
							node->parent : node) > 0 ?
						(int)xmlGetLineNo(node->parent ?
							node->parent : node) : 0,
						"document contains the discouraged "
						"character U+%04lX (as a character "
						"reference)", c);
			}
		}
		if (node->type == XML_ELEMENT_NODE) {
			if (node->properties != NULL &&
			    (error = check_text(v,
				(xmlNode *)node->properties)) < 0)
				return error;
			if (v->status != KSEF_INVOICE_STATUS_OK)
				return 0;
		}
		if ((node->type == XML_ELEMENT_NODE ||
		     node->type == XML_ATTRIBUTE_NODE) && node->children &&
		    (error = check_text(v, node->children)) < 0)
			return error;
		if (v->status != KSEF_INVOICE_STATUS_OK)
			return 0;
	}
	return 0;
}

xmlNode *ksef__invoice_child(xmlNode *parent, const char *name)
{
	xmlNode *n;

	if (parent == NULL)
		return NULL;
	for (n = parent->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

/* This file's short name for it. */
static xmlNode *child(xmlNode *parent, const char *name)
{
	return ksef__invoice_child(parent, name);
}

static xmlNode *path(xmlNode *node, const char *const *names)
{
	for (; node != NULL && *names != NULL; names++)
		node = child(node, *names);
	return node;
}

char *ksef__invoice_text(xmlNode *node, size_t max, int *oom)
{
	xmlChar *s;
	char *out;
	size_t n;

	if (node == NULL)
		return NULL;
	s = xmlNodeGetContent(node);
	if (s == NULL) {
		*oom = 1;
		return NULL;
	}
	n = strlen((const char *)s);
	if (n > max)
		n = max;
	out = malloc(n + 1);
	if (out == NULL) {
		*oom = 1;
	} else {
		memcpy(out, s, n);
		out[n] = '\0';
	}
	xmlFree(s);
	return out;
}

/* A copy of the node's text, cut at FIELD_MAX; NULL with *oom on failure. */
static char *text_of(xmlNode *node, int *oom)
{
	return ksef__invoice_text(node, FIELD_MAX, oom);
}

static char *joined(const char *a, const char *sep, const char *b, int *oom)
{
	size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
	char *s = malloc(n);

	if (s == NULL)
		*oom = 1;
	else
		snprintf(s, n, "%s%s%s", a, sep, b);
	return s;
}

/*
 * Describe a DaneIdentyfikacyjne block as one identifier string; the NIP
 * (if any) also goes into *nip.
 */
static char *identity_of(xmlNode *ids, char **nip, int *oom)
{
	xmlNode *n;
	char *a = NULL, *b = NULL, *out = NULL;

	*nip = NULL;
	if (ids == NULL)
		return NULL;
	if ((n = child(ids, "NIP")) != NULL) {
		*nip = text_of(n, oom);
		if (*nip != NULL)
			out = joined("NIP:", "", *nip, oom);
	} else if ((n = child(ids, "IDWew")) != NULL) {
		a = text_of(n, oom);
		/* Its first ten digits are a NIP, checked on production. */
		if (a != NULL && strlen(a) >= 10) {
			*nip = strndup(a, 10);
			if (*nip == NULL)
				*oom = 1;
		}
		if (a != NULL)
			out = joined("IDWew:", "", a, oom);
	} else if (child(ids, "NrVatUE") != NULL) {
		a = text_of(child(ids, "KodUE"), oom);
		b = text_of(child(ids, "NrVatUE"), oom);
		out = joined("UE:", a ? a : "", b ? b : "", oom);
	} else if (child(ids, "NrID") != NULL) {
		a = text_of(child(ids, "KodKraju"), oom);
		b = text_of(child(ids, "NrID"), oom);
		out = joined(a ? "ID:" : "ID:", a ? a : "", "", oom);
		if (out != NULL) {
			char *t = joined(out, ":", b ? b : "", oom);

			free(out);
			out = t;
		}
	} else if (child(ids, "BrakID") != NULL) {
		out = strdup("BrakID");
		if (out == NULL)
			*oom = 1;
	}
	free(a);
	free(b);
	return out;
}

static void keep_nip(ksef_verdict *v, char *nip)
{
	if (nip == NULL)
		return;
	if (v->nnips < sizeof(v->nips) / sizeof(v->nips[0]))
		v->nips[v->nnips++] = nip;
	else
		free(nip);
}

static int extract_fa(ksef_verdict *v, xmlNode *root, ksef_form form)
{
	static const char *const seller_nip[] =
		{ "Podmiot1", "DaneIdentyfikacyjne", "NIP", NULL };
	static const char *const fa_p1[] = { "Fa", "P_1", NULL };
	static const char *const fa_p2[] = { "Fa", "P_2", NULL };
	static const char *const fa_kind[] = { "Fa", "RodzajFaktury", NULL };
	static const char *const rr_p1[] = { "FakturaRR", "P_4B", NULL };
	static const char *const rr_p2[] = { "FakturaRR", "P_4C", NULL };
	static const char *const rr_kind[] =
		{ "FakturaRR", "RodzajFaktury", NULL };
	int rr = form == KSEF_FORM_FA_RR1, oom = 0;
	xmlNode *n, *ids;
	char *nip, *id;

	v->fields[KSEF_FIELD_SELLER_NIP] = text_of(path(root, seller_nip), &oom);
	if (v->fields[KSEF_FIELD_SELLER_NIP] != NULL) {
		nip = strdup(v->fields[KSEF_FIELD_SELLER_NIP]);
		if (nip == NULL)
			oom = 1;
		keep_nip(v, nip);
	}
	v->fields[KSEF_FIELD_ISSUE_DATE] =
		text_of(path(root, rr ? rr_p1 : fa_p1), &oom);
	v->fields[KSEF_FIELD_INVOICE_NUMBER] =
		text_of(path(root, rr ? rr_p2 : fa_p2), &oom);
	v->fields[KSEF_FIELD_INVOICE_KIND] =
		text_of(path(root, rr ? rr_kind : fa_kind), &oom);

	ids = child(child(root, "Podmiot2"), "DaneIdentyfikacyjne");
	id = identity_of(ids, &nip, &oom);
	if (id != NULL) {
		if (strncmp(id, "NIP:", 4) == 0)
			v->fields[KSEF_FIELD_BUYER_NIP] = strdup(id + 4);
		else if (strncmp(id, "UE:", 3) == 0)
			v->fields[KSEF_FIELD_BUYER_EU_VAT] = strdup(id + 3);
		else if (strncmp(id, "ID:", 3) == 0)
			v->fields[KSEF_FIELD_BUYER_OTHER_ID] = strdup(id + 3);
		free(id);
	}
	keep_nip(v, nip);

	for (n = root->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)n->name, "Podmiot3") == 0) {
			id = identity_of(child(n, "DaneIdentyfikacyjne"), &nip,
					 &oom);
			keep_nip(v, nip);
			if (id != NULL && v->nthird < THIRD_PARTY_MAX)
				v->third[v->nthird++] = id;
			else
				free(id);
		} else if (strcmp((const char *)n->name,
				  "PodmiotUpowazniony") == 0) {
			id = identity_of(child(n, "DaneIdentyfikacyjne"), &nip,
					 &oom);
			keep_nip(v, nip);
			free(id);
		} else if (strcmp((const char *)n->name, "Zalacznik") == 0) {
			v->has_attachment = 1;
		}
	}
	if (!rr && ksef__summary_extract(&v->summary, root) != 0)
		oom = 1;
	return oom ? KSEF_ENOMEM : 0;
}

/* PEF (UBL): the seller's NIP is its CompanyID without the PL prefix. */
static char *ubl_party_nip(xmlNode *party, int *oom)
{
	static const char *const tax[] = { "Party", "PartyTaxScheme",
		"CompanyID", NULL };
	static const char *const legal[] = { "Party", "PartyLegalEntity",
		"CompanyID", NULL };
	char *s;
	xmlNode *n = path(party, tax);

	if (n == NULL)
		n = path(party, legal);
	s = text_of(n, oom);
	if (s != NULL && strncmp(s, "PL", 2) == 0)
		memmove(s, s + 2, strlen(s + 2) + 1);
	return s;
}

static int extract_pef(ksef_verdict *v, xmlNode *root, ksef_form form)
{
	xmlNode *n;
	int oom = 0;

	v->fields[KSEF_FIELD_INVOICE_NUMBER] = text_of(child(root, "ID"), &oom);
	v->fields[KSEF_FIELD_ISSUE_DATE] =
		text_of(child(root, "IssueDate"), &oom);
	v->fields[KSEF_FIELD_INVOICE_KIND] = text_of(child(root,
		form == KSEF_FORM_PEF3 ? "InvoiceTypeCode" :
					 "CreditNoteTypeCode"), &oom);
	v->fields[KSEF_FIELD_SELLER_NIP] =
		ubl_party_nip(child(root, "AccountingSupplierParty"), &oom);
	v->fields[KSEF_FIELD_BUYER_NIP] =
		ubl_party_nip(child(root, "AccountingCustomerParty"), &oom);
	for (n = root->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name,
			   "AdditionalDocumentReference") == 0 &&
		    child(n, "Attachment") != NULL)
			v->has_attachment = 1;
	return oom ? KSEF_ENOMEM : 0;
}

static const char *root_name(ksef_form form)
{
	switch (form) {
	case KSEF_FORM_PEF3: return "Invoice";
	case KSEF_FORM_PEF_KOR3: return "CreditNote";
	default: return "Faktura";
	}
}

static void report_schema(void *ctx, int line, const char *message)
{
	ksef_verdict *v = ctx;

	/* Out of memory here only loses a detail; the status is still set. */
	(void)reject(v, KSEF_INVOICE_STATUS_SEMANTIC, line, "%s", message);
}

/* YYYY-MM-DD strings compare as dates when both are well-formed. */
static int is_iso_date(const char *s)
{
	int i;

	if (s == NULL || strlen(s) != 10)
		return 0;
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

static int check_business(ksef_verdict *v, const ksef_verify_options *o)
{
	const char *p1 = v->fields[KSEF_FIELD_ISSUE_DATE];
	size_t i;
	int error;

	if (o->reject_attachments && v->has_attachment)
		return reject(v, KSEF_INVOICE_STATUS_ATTACHMENT, 0,
			"Wysyłka faktur z załącznikami jest dozwolona tylko w "
			"trybie wsadowym: the invoice has an attachment "
			"(Zalacznik)");
	if (o->acceptance_date != NULL && is_iso_date(p1) &&
	    strcmp(p1, o->acceptance_date) > 0)
		return reject(v, KSEF_INVOICE_STATUS_SEMANTIC, 0,
			"Data wystawienia faktury (P_1) nie może być późniejsza "
			"niż data przyjęcia dokumentu do systemu KSeF: P_1 %s, "
			"accepted %s", p1, o->acceptance_date);
	if (o->check_nip_checksums) {
		for (i = 0; i < v->nnips; i++) {
			const char *nip = v->nips[i];

			if (ksef_nip_validate(nip, strlen(nip), NULL) == 0)
				continue;
			if ((error = reject(v, KSEF_INVOICE_STATUS_SEMANTIC, 0,
				"Nieprawidłowa suma kontrolna NIP %.10s", nip)) < 0)
				return error;
		}
	}
	return 0;
}

static int has_char_ref(const unsigned char *xml, size_t len)
{
	const unsigned char *p = xml, *end = xml + len;

	while ((p = memchr(p, '&', (size_t)(end - p))) != NULL) {
		if (p + 1 < end && p[1] == '#')
			return 1;
		p++;
	}
	return 0;
}

static void clear_details(ksef_verdict *v)
{
	while (v->ndetails > 0)
		free(v->details[--v->ndetails]);
}

/* The verdict of an invoice whose checking cost more CPU than it may. Any
 * detail an earlier step gave is dropped: it may be a mere consequence of
 * the stop. */
static int over_budget(ksef_verdict *v, const ksef_verify_options *o,
		       const char *during)
{
	clear_details(v);
	v->status = KSEF_INVOICE_STATUS_OK;
	return reject(v, KSEF_INVOICE_STATUS_SEMANTIC, 0,
		"verification ran past its CPU budget of %u ms during %s; "
		"the invoice is too costly to check", o->cpu_budget_ms,
		during);
}

static int verify(ksef_verdict *v, ksef_schemas *schemas, ksef_form form,
		  const unsigned char *xml, size_t len,
		  const ksef_verify_options *o, ksef_error *err)
{
	size_t max = o->max_bytes ? o->max_bytes : KSEF_INVOICE_MAX_BYTES_PLAIN;
	ksef__xml_facts facts = { 0, 0 };
	ksef__budget budget;
	const char *ns;
	xmlDoc *doc = NULL;
	xmlNode *root;
	ksef_error perr;
	int error, rc;

	if (max > KSEF_INVOICE_MAX_BYTES)
		max = KSEF_INVOICE_MAX_BYTES;
	if (len > max)
		return reject(v, KSEF_INVOICE_STATUS_FILE, 0,
			"invoice is %zu bytes, over the limit of %zu bytes",
			len, max);
	if (len == 0)
		return reject_xml(v, 0, "invoice is empty");
	if ((error = check_bytes(v, xml, len)) < 0 ||
	    v->status != KSEF_INVOICE_STATUS_OK)
		return error;
	if ((error = check_prolog(v, xml, len)) < 0 ||
	    v->status != KSEF_INVOICE_STATUS_OK)
		return error;

	/* The schema compiles on a form's first use, once per process: that
	 * is not this invoice's cost, so it is done before the clock starts. */
	if (o->cpu_budget_ms > 0 &&
	    (error = ksef_schemas_compile(schemas, form, err)) < 0)
		return error;
	ksef__budget_start(&budget, o->cpu_budget_ms);
	error = ksef__xml_parse_frozen(&doc, &facts, xml, len, max, &budget,
				       &perr);
	if (error == KSEF_ENOMEM)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if (error < 0 && ksef__budget_spent(&budget))
		return over_budget(v, o, "parsing");
	if (error < 0)
		return reject_xml(v, perr.line, "%s", perr.message);
	if (facts.has_pi) {
		error = reject_xml(v, facts.pi_line,
			"document contains a processing instruction; KSeF "
			"does not accept them");
		goto done;
	}
	root = xmlDocGetRootElement(doc);
	/* Character references decode to characters the byte scan cannot
	 * see; only documents that use them need the tree walk. */
	if (has_char_ref(xml, len) &&
	    ((error = check_text(v, root)) < 0 ||
	     v->status != KSEF_INVOICE_STATUS_OK))
		goto done;

	error = (form == KSEF_FORM_PEF3 || form == KSEF_FORM_PEF_KOR3) ?
		extract_pef(v, root, form) : extract_fa(v, root, form);
	if (error < 0) {
		error = ksef__error_set(err, error, "out of memory");
		goto done;
	}

	ns = root->ns ? (const char *)root->ns->href : "";
	if (strcmp((const char *)root->name, root_name(form)) != 0 ||
	    strcmp(ns, ksef_form_namespace(form)) != 0) {
		error = reject(v, KSEF_INVOICE_STATUS_SEMANTIC,
			(int)xmlGetLineNo(root),
			"document is {%.100s}%.40s, but the session's form "
			"code %s requires {%s}%s", ns, (const char *)root->name,
			ksef_form_code_of(form).system_code,
			ksef_form_namespace(form), root_name(form));
		goto done;
	}
	rc = ksef__xsd_validate(schemas, form, doc, report_schema, v, err);
	if (rc < 0) {
		error = rc;
		goto done;
	}
	/* libxml2 cannot be stopped inside a validation; its work is linear
	 * in the tree, which the parse bounded, so the budget is asked at its
	 * end. Past it, the verdict is the budget's, whatever the schema
	 * said: a client must not learn to ride just under it. */
	if (ksef__budget_spent(&budget)) {
		error = over_budget(v, o, "schema validation");
		goto done;
	}
	if (rc == 0)
		error = check_business(v, o);
done:
	xmlFreeDoc(doc);
	return error;
}

int ksef_form_detect(ksef_form *out, const unsigned char *xml, size_t len,
		     ksef_error *err)
{
	xmlDoc *doc = NULL;
	xmlNode *root;
	const char *ns;
	int f, error;

	if (out == NULL || (xml == NULL && len > 0))
		return ksef__error_set(err, KSEF_EINVAL, "no document");
	error = ksef__xml_parse(&doc, NULL, xml, len, KSEF_INVOICE_MAX_BYTES,
				err);
	if (error < 0)
		return error;
	root = xmlDocGetRootElement(doc);
	ns = root && root->ns ? (const char *)root->ns->href : "";
	error = KSEF_ENOTFOUND;
	for (f = 0; f < KSEF_FORM_COUNT && root != NULL; f++) {
		if (strcmp(ns, ksef_form_namespace((ksef_form)f)) == 0 &&
		    strcmp((const char *)root->name,
			   root_name((ksef_form)f)) == 0) {
			*out = (ksef_form)f;
			error = 0;
			break;
		}
	}
	if (error < 0)
		ksef__error_set(err, error, "root element {%.100s}%.40s is not "
			"an invoice of any form KSeF accepts", ns,
			root ? (const char *)root->name : "");
	xmlFreeDoc(doc);
	return error;
}

/* The bytes of each version of ksef_verify_options (options.h). */
static const size_t options_sizes[] = {
	KSEF__OPTIONS_END(ksef_verify_options, check_nip_checksums), /* 1 */
	KSEF__OPTIONS_END(ksef_verify_options, cpu_budget_ms),       /* 2 */
};
KSEF__OPTIONS_SIZES(options_sizes, KSEF_VERIFY_OPTIONS_VERSION);

int ksef_invoice_verify(ksef_verdict **out, ksef_schemas *schemas,
			ksef_form form, const unsigned char *xml, size_t len,
			const ksef_verify_options *given, ksef_error *err)
{
	ksef_verify_options opts = KSEF_VERIFY_OPTIONS_INIT;
	unsigned long mark = ksef__alloc_failures();
	ksef_verdict *v;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output pointer");
	*out = NULL;
	if (schemas == NULL || (xml == NULL && len > 0) ||
	    ksef_form_namespace(form) == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"verification needs schemas, a form and a document");
	if (given != NULL &&
	    (error = KSEF__OPTIONS_COPY(&opts, given, options_sizes,
					KSEF_VERIFY_OPTIONS_VERSION,
					"ksef_verify_options", err)) < 0)
		return error;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	v->status = KSEF_INVOICE_STATUS_OK;
	error = verify(v, schemas, form, xml, len, &opts, err);
	/* A verdict reached while libxml2 could not allocate may be that
	 * failure's, not the invoice's, whichever way it went; and a
	 * verdict stays. */
	if (ksef__alloc_failures() != mark)
		error = KSEF_ENOMEM;
	if (error < 0) {
		if (error == KSEF_ENOMEM)
			ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		ksef_verdict_free(v);
		return error;
	}
	*out = v;
	return 0;
}

int ksef_verdict_status(const ksef_verdict *v)
{
	return v ? v->status : KSEF_INVOICE_STATUS_UNKNOWN;
}

size_t ksef_verdict_detail_count(const ksef_verdict *v)
{
	return v ? v->ndetails : 0;
}

const char *ksef_verdict_detail(const ksef_verdict *v, size_t i)
{
	return v && i < v->ndetails ? v->details[i] : NULL;
}

int ksef_verdict_line(const ksef_verdict *v)
{
	return v ? v->line : 0;
}

const char *ksef_verdict_field(const ksef_verdict *v, ksef_field field)
{
	if (v == NULL || (int)field < 0 || field >= KSEF_FIELD_COUNT)
		return NULL;
	return v->fields[field];
}

int ksef_verdict_has_attachment(const ksef_verdict *v)
{
	return v ? v->has_attachment : 0;
}

size_t ksef_verdict_third_party_count(const ksef_verdict *v)
{
	return v ? v->nthird : 0;
}

const char *ksef_verdict_third_party(const ksef_verdict *v, size_t i)
{
	return v && i < v->nthird ? v->third[i] : NULL;
}

const char *ksef_verdict_summary(const ksef_verdict *v, ksef_summary which)
{
	if (v == NULL || (int)which < 0 || which >= KSEF_SUMMARY_COUNT)
		return NULL;
	return v->summary.values[which];
}

int ksef_verdict_third_party_role(const ksef_verdict *v, size_t i)
{
	return v && i < v->summary.nroles ? v->summary.roles[i] : 0;
}

void ksef_verdict_free(ksef_verdict *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->ndetails; i++)
		free(v->details[i]);
	for (i = 0; i < KSEF_FIELD_COUNT; i++)
		free(v->fields[i]);
	for (i = 0; i < v->nthird; i++)
		free(v->third[i]);
	for (i = 0; i < v->nnips; i++)
		free(v->nips[i]);
	ksef__summary_clear(&v->summary);
	free(v);
}
