/*
 * upo.c - owns the UPO, KSeF's official receipt (SPEC section 9): checking
 * what a receipt says against upo-v4-3.xsd, writing it as XML, and the
 * public signing and verifying calls. The XML-signature work itself is
 * xmldsig.c's; parsing untrusted bytes is xml.c's; number, NIP and date
 * formats are number.c's, nip.c's and timefmt.c's.
 *
 * The document is built with libxml2's tree API, which escapes text, and
 * indented with tabs like the official examples
 * (faktury/upo/przyklady/v4-3/). The indentation is part of the tree
 * rather than added by the serialiser, so a signed UPO is byte for byte
 * the unsigned one plus its ds:Signature: formatting after signing would
 * change what was signed.
 *
 * No schema is compiled here: the UPO schema is not among the fetched
 * official schemas, and checking each value against its XSD type before
 * writing it gives better errors (which element, which Dokument) than a
 * validator's report on the finished document would.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include "ksef/encoding.h"
#include "ksef/number.h"
#include "ksef/upo.h"
#include "alloc.h"
#include "internal.h"
#include "options.h"
#include "xml.h"
#include "xmldsig.h"

/* The longest any text value may be, in bytes, before its characters are
 * counted: four bytes for each of the longest field's 256 characters, and
 * as much again for whitespace the schema would collapse. */
#define TEXT_MAX_BYTES 2048

/* The schema's lower bounds: DataWystawieniaFaktury from 2006-01-01, the
 * two timestamps from 2021-10-01T00:00:00Z (in ms since the epoch). */
static const ksef_date min_issue_date = { 2006, 1, 1 };
#define MIN_TIMESTAMP_MS INT64_C(1633046400000)

struct ksef_upo_signer {
	ksef__dsig_key *key;
};

/* ---- checking values against the schema -------------------------------- */

/*
 * Report a value the schema refuses. doc is the 1-based index of the
 * Dokument at fault, or 0 for the header. Messages name the element and
 * never repeat its value: it may be invoice content.
 */
static int bad(ksef_error *err, int code, size_t doc, const char *element,
	       const char *why)
{
	if (doc > 0)
		return ksef__error_set(err, code, "UPO Dokument %zu: %s %s",
				       doc, element, why);
	return ksef__error_set(err, code, "UPO: %s %s", element, why);
}

/* XML 1.0's Char production: what a document can carry at all. A
 * control character would be written as &#1;, which no parser accepts. */
static int xml_char(unsigned long c)
{
	return c == 0x9 || c == 0xA || c == 0xD ||
	       (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
	       (c >= 0x10000 && c <= 0x10FFFF);
}

/*
 * Check a value of an xsd:token type with length facets: UTF-8, XML
 * characters only, and min to max characters once whitespace is
 * collapsed, which is how the schema counts. Values are written as given;
 * a validator collapses them the same way.
 */
static int check_token(const char *s, size_t min, size_t max, size_t doc,
		       const char *element, ksef_error *err)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, used, chars = 0;
	int started = 0, space = 0;
	unsigned long c;

	if (s == NULL)
		return bad(err, KSEF_EINVAL, doc, element, "is NULL");
	n = strnlen(s, TEXT_MAX_BYTES + 1);
	if (n > TEXT_MAX_BYTES)
		return bad(err, KSEF_EFORMAT, doc, element,
			   "is longer than any UPO value may be");
	while (n > 0) {
		if ((used = ksef__utf8_next(p, n, &c)) == 0)
			return bad(err, KSEF_EFORMAT, doc, element,
				   "is not valid UTF-8");
		if (!xml_char(c))
			return bad(err, KSEF_EFORMAT, doc, element,
				   "holds a character XML cannot carry");
		p += used;
		n -= used;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = started;
			continue;
		}
		chars += 1 + (size_t)space;
		space = 0;
		started = 1;
	}
	if (chars < min || chars > max) {
		char why[96];

		snprintf(why, sizeof(why),
			 "must have %zu to %zu characters (whitespace "
			 "collapsed), not %zu", min, max, chars);
		return bad(err, KSEF_EFORMAT, doc, element, why);
	}
	return 0;
}

/* A NUL-terminated value of at most max bytes; its length via *len. */
static int short_string(const char *s, size_t max, size_t *len, size_t doc,
			const char *element, ksef_error *err)
{
	if (s == NULL)
		return bad(err, KSEF_EINVAL, doc, element, "is NULL");
	*len = strnlen(s, max + 1);
	if (*len > max)
		return bad(err, KSEF_EFORMAT, doc, element, "is too long");
	return 0;
}

/* TNip: [1-9]((\d[1-9])|([1-9]\d))\d{7}. */
static int check_nip(const char *s, size_t doc, const char *element,
		     ksef_error *err)
{
	size_t n = 0;
	int error;

	if ((error = short_string(s, KSEF_NIP_LEN, &n, doc, element, err)) < 0)
		return error;
	if (ksef_nip_validate_pattern(s, n, NULL) < 0)
		return bad(err, KSEF_EFORMAT, doc, element,
			   "is not a NIP (TNip)");
	return 0;
}

static int is_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * The EU VAT numbers of TIdZlozonyVatUE, one shape per alternative of the
 * schema's pattern: 'd' a digit, 'a' a letter A-Z, 'x' a letter or digit,
 * '*' a letter, digit, '+' or '*', 'b' 0 or 1; capitals stand for
 * themselves.
 */
static const struct vat_shape {
	char country[3];
	const char *shape;
} vat_shapes[] = {
	{ "AT", "Udddddddd" },
	{ "BE", "bddddddddd" },
	{ "BG", "ddddddddd" },
	{ "BG", "dddddddddd" },
	{ "CY", "dddddddda" },
	{ "CZ", "dddddddd" },
	{ "CZ", "ddddddddd" },
	{ "CZ", "dddddddddd" },
	{ "DE", "ddddddddd" },
	{ "DK", "dddddddd" },
	{ "EE", "ddddddddd" },
	{ "EL", "ddddddddd" },
	{ "ES", "adddddddd" },
	{ "ES", "dddddddda" },
	{ "ES", "addddddda" },
	{ "FI", "dddddddd" },
	{ "FR", "xxddddddddd" },
	{ "HR", "ddddddddddd" },
	{ "HU", "dddddddd" },
	{ "IE", "dddddddaa" },
	{ "IE", "d*ddddda" },
	{ "IT", "ddddddddddd" },
	{ "LT", "ddddddddd" },
	{ "LT", "dddddddddddd" },
	{ "LU", "dddddddd" },
	{ "LV", "ddddddddddd" },
	{ "MT", "dddddddd" },
	{ "NL", "************" },
	{ "PT", "ddddddddd" },
	{ "RO", "dd" },
	{ "RO", "ddd" },
	{ "RO", "dddd" },
	{ "RO", "ddddd" },
	{ "RO", "dddddd" },
	{ "RO", "ddddddd" },
	{ "RO", "dddddddd" },
	{ "RO", "ddddddddd" },
	{ "RO", "dddddddddd" },
	{ "SE", "dddddddddddd" },
	{ "SI", "dddddddd" },
	{ "SK", "dddddddddd" },
	{ "XI", "ddddddddd" },
	{ "XI", "dddddddddddd" },
	{ "XI", "GDddd" },
	{ "XI", "HAddd" },
};

static int shape_char(char shape, char c)
{
	int digit = c >= '0' && c <= '9', upper = c >= 'A' && c <= 'Z';

	switch (shape) {
	case 'd': return digit;
	case 'a': return upper;
	case 'x': return digit || upper;
	case '*': return digit || upper || c == '+' || c == '*';
	case 'b': return c == '0' || c == '1';
	default: return c == shape;
	}
}

static int vat_ue_matches(const char *s, size_t n)
{
	size_t i, j, len;

	for (i = 0; i < sizeof(vat_shapes) / sizeof(vat_shapes[0]); i++) {
		const struct vat_shape *v = &vat_shapes[i];

		len = strlen(v->shape);
		if (n != 2 + len || memcmp(s, v->country, 2) != 0)
			continue;
		for (j = 0; j < len && shape_char(v->shape[j], s[2 + j]); j++)
			;
		if (j == len)
			return 1;
	}
	return 0;
}

/* IdKontekstu's value, by the type of its element. */
static int check_context(ksef_upo_context_type type, const char *s,
			 ksef_error *err)
{
	const char *element;
	size_t n = 0;
	int ok, error;

	switch (type) {
	case KSEF_UPO_CONTEXT_NIP:
		return check_nip(s, 0, "Nip", err);
	case KSEF_UPO_CONTEXT_INTERNAL_ID:
		/* TIdWewnetrzny: a NIP, '-', five digits. */
		element = "IdWewnetrzny";
		if ((error = short_string(s, 16, &n, 0, element, err)) < 0)
			return error;
		ok = n == 16 && ksef_nip_validate_pattern(s, 10, NULL) == 0 &&
		     s[10] == '-' && is_digits(s + 11, 5);
		break;
	case KSEF_UPO_CONTEXT_NIP_VAT_UE:
		/* TIdZlozonyVatUE: a NIP, '-', an EU VAT number. */
		element = "IdZlozonyVatUE";
		if ((error = short_string(s, 32, &n, 0, element, err)) < 0)
			return error;
		ok = n > 11 && ksef_nip_validate_pattern(s, 10, NULL) == 0 &&
		     s[10] == '-' && vat_ue_matches(s + 11, n - 11);
		break;
	case KSEF_UPO_CONTEXT_PEPPOL_ID:
		/* TIdDostawcyUslugPeppol: P[A-Z]{2}[0-9]{6}. */
		element = "IdDostawcyUslugPeppol";
		if ((error = short_string(s, 9, &n, 0, element, err)) < 0)
			return error;
		ok = n == 9 && s[0] == 'P' && shape_char('a', s[1]) &&
		     shape_char('a', s[2]) && is_digits(s + 3, 6);
		break;
	default:
		element = "IdKontekstu";
		return bad(err, KSEF_EINVAL, 0, element,
			   "has an unknown context type");
	}
	if (!ok)
		return bad(err, KSEF_EFORMAT, 0, element,
			   "does not match its schema pattern");
	return 0;
}

/*
 * TNumerReferencyjny. The schema checks the pattern only, so a wrong
 * check value (KSEF_ECHECKSUM) passes: the UPO states the number KSeF
 * issued, whatever its check characters.
 */
static int check_refnum(const char *s, size_t doc, const char *element,
			ksef_error *err)
{
	size_t n = 0;
	int error;

	if ((error = short_string(s, KSEF_REFNUM_LEN, &n, doc, element,
				  err)) < 0)
		return error;
	error = ksef_refnum_validate(s, n, NULL);
	if (error < 0 && error != KSEF_ECHECKSUM)
		return bad(err, KSEF_EFORMAT, doc, element,
			   "is not a reference number (TNumerReferencyjny)");
	return 0;
}

/* NumerKSeFDokumentu, with the same rule for the check value. */
static int check_ksef_number(const char *s, size_t doc, ksef_error *err)
{
	size_t n = 0;
	int error;

	if ((error = short_string(s, KSEF_NUMBER_LEN, &n, doc,
				  "NumerKSeFDokumentu", err)) < 0)
		return error;
	error = ksef_number_validate(s, n, NULL);
	if (error < 0 && error != KSEF_ECHECKSUM)
		return bad(err, KSEF_EFORMAT, doc, "NumerKSeFDokumentu",
			   "is not a KSeF number");
	return 0;
}

static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * TSkrotDokumentu is only "44 characters"; what fills it is the Base64 of
 * a SHA-256 digest. Require exactly that, in its one canonical spelling:
 * 43 characters, '=', and the 2 bits past the digest's 256 zero.
 */
static int check_sha256_b64(const char *s, size_t doc, const char *element,
			    ksef_error *err)
{
	size_t n = 0, i;
	int error;

	if ((error = short_string(s, KSEF_SHA256_B64_LEN, &n, doc, element,
				  err)) < 0)
		return error;
	for (i = 0; i < 43 && n == 44 && base64_value(s[i]) >= 0; i++)
		;
	if (i != 43 || s[43] != '=' || (base64_value(s[42]) & 3) != 0)
		return bad(err, KSEF_EFORMAT, doc, element,
			   "is not the Base64 of a SHA-256 digest");
	return 0;
}

static int check_page(const ksef_upo_page *p, size_t count, ksef_error *err)
{
	/* The examples count inclusively: Od 1, Do 2 for two documents. */
	if (p->page < 1 || p->page > p->page_count)
		return bad(err, KSEF_EINVAL, 0, "OpisPotwierdzenia",
			   "needs 1 <= Strona <= LiczbaStron");
	if (p->first < 1 || p->last < p->first || p->last > p->total)
		return bad(err, KSEF_EINVAL, 0, "OpisPotwierdzenia",
			   "needs 1 <= ZakresDokumentowOd <= "
			   "ZakresDokumentowDo <= CalkowitaLiczbaDokumentow");
	if (p->last - p->first != count - 1)
		return bad(err, KSEF_EINVAL, 0, "OpisPotwierdzenia",
			   "range does not hold as many documents as the "
			   "page lists");
	return 0;
}

static int check_time(ksef_time t, char out[KSEF_TIME_BUFSZ], size_t doc,
		      const char *element, ksef_error *err)
{
	if (t.unix_ms < MIN_TIMESTAMP_MS)
		return bad(err, KSEF_EFORMAT, doc, element,
			   "is before 2021-10-01T00:00:00Z, the schema's "
			   "minimum");
	if (ksef_time_format(out, t, NULL) < 0)
		return bad(err, KSEF_EINVAL, doc, element,
			   "cannot be written (offset out of range)");
	return 0;
}

/* Each document's own fields. */
static int check_document(const ksef_upo_document *d, size_t doc,
			  ksef_error *err)
{
	char when[KSEF_TIME_BUFSZ];
	int error;

	if ((error = check_nip(d->seller_nip, doc, "NipSprzedawcy", err)) < 0 ||
	    (error = check_ksef_number(d->ksef_number, doc, err)) < 0 ||
	    (error = check_token(d->invoice_number, 1, 256, doc,
				 "NumerFaktury", err)) < 0 ||
	    (error = check_time(d->sent_at, when, doc,
				"DataPrzeslaniaDokumentu", err)) < 0 ||
	    (error = check_time(d->numbered_at, when, doc,
				"DataNadaniaNumeruKSeF", err)) < 0 ||
	    (error = check_sha256_b64(d->invoice_hash, doc, "SkrotDokumentu",
				      err)) < 0)
		return error;
	if (!ksef_date_is_valid(d->issue_date) ||
	    ksef_date_cmp(d->issue_date, min_issue_date) < 0)
		return bad(err, KSEF_EFORMAT, doc, "DataWystawieniaFaktury",
			   "is not a date from 2006-01-01 on");
	if (d->mode != KSEF_UPO_MODE_ONLINE && d->mode != KSEF_UPO_MODE_OFFLINE)
		return bad(err, KSEF_EINVAL, doc, "TrybWysylki",
			   "has an unknown mode");
	return 0;
}

struct number_ref {
	const char *number;
	size_t index;
};

static int number_ref_cmp(const void *a, const void *b)
{
	const struct number_ref *x = a, *y = b;
	int c = strcmp(x->number, y->number);

	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The schema's xsd:unique on NumerKSeFDokumentu, in O(n log n): a page
 * holds up to 10 000 documents. */
static int check_unique_numbers(const ksef_upo_document *const *docs,
				size_t n, ksef_error *err)
{
	struct number_ref *refs;
	size_t i;
	int error = 0;

	if (n < 2)
		return 0;
	if ((refs = malloc(n * sizeof(*refs))) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		refs[i].number = docs[i]->ksef_number;
		refs[i].index = i;
	}
	qsort(refs, n, sizeof(*refs), number_ref_cmp);
	for (i = 1; i < n && error == 0; i++)
		if (strcmp(refs[i - 1].number, refs[i].number) == 0)
			error = bad(err, KSEF_EFORMAT, refs[i].index + 1,
				    "NumerKSeFDokumentu",
				    "repeats an earlier document's; the "
				    "schema requires each once");
	free(refs);
	return error;
}

/*
 * NazwaStrukturyLogicznej for a form: "Schemat_", the system code without
 * its spaces, "_v", the schema version, ".xsd" (SPEC 9.1), e.g.
 * "Schemat_FA(3)_v1-0E.xsd" as in every example.
 */
static void structure_name(char *out, size_t size, ksef_form_code code)
{
	const char *s;
	size_t n = 0;

	n = (size_t)snprintf(out, size, "Schemat_");
	for (s = code.system_code; *s != '\0' && n + 1 < size; s++)
		if (*s != ' ')
			out[n++] = *s;
	out[n] = '\0';
	snprintf(out + n, size - n, "_v%s.xsd", code.schema_version);
}

/* Everything a description says, checked before anything is written. */
static int check_desc(const ksef_upo_desc *d, ksef_error *err)
{
	size_t i;
	int error;

	if (d->documents == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"UPO description has no documents");
	if (d->document_count == 0 ||
	    d->document_count > KSEF_UPO_MAX_DOCUMENTS)
		return ksef__error_set(err, KSEF_EINVAL,
			"a UPO lists 1 to %d documents (KSEF_UPO_MAX_DOCUMENTS)"
			", not %zu", KSEF_UPO_MAX_DOCUMENTS, d->document_count);
	if (ksef_form_code_of(d->form).system_code == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"UPO description has an unknown form");
	if ((d->receiver_name != NULL &&
	     (error = check_token(d->receiver_name, 1, 240, 0,
				  "NazwaPodmiotuPrzyjmujacego", err)) < 0) ||
	    (error = check_refnum(d->session_reference, 0,
				  "NumerReferencyjnySesji", err)) < 0 ||
	    (error = check_context(d->context_type, d->context_id, err)) < 0)
		return error;
	switch (d->auth_type) {
	case KSEF_UPO_AUTH_DOCUMENT_HASH:
		error = check_sha256_b64(d->auth_value, 0,
			"SkrotDokumentuUwierzytelniajacego", err);
		break;
	case KSEF_UPO_AUTH_TOKEN:
		error = check_refnum(d->auth_value, 0,
			"NumerReferencyjnyTokenaKSeF", err);
		break;
	default:
		error = bad(err, KSEF_EINVAL, 0, "Uwierzytelnienie",
			    "has an unknown authentication type");
	}
	if (error < 0)
		return error;
	if (d->page != NULL &&
	    (error = check_page(d->page, d->document_count, err)) < 0)
		return error;
	if ((d->structure_name != NULL &&
	     (error = check_token(d->structure_name, 1, 240, 0,
				  "NazwaStrukturyLogicznej", err)) < 0) ||
	    (d->form_code != NULL &&
	     (error = check_token(d->form_code, 1, 240, 0, "KodFormularza",
				  err)) < 0))
		return error;
	for (i = 0; i < d->document_count; i++)
		if (d->documents[i] == NULL)
			return ksef__error_set(err, KSEF_EINVAL,
				"UPO description's document %zu is NULL",
				i + 1);
		else if ((error = check_document(d->documents[i], i + 1,
						 err)) < 0)
			return error;
	return check_unique_numbers(d->documents, d->document_count, err);
}

/* ---- writing ------------------------------------------------------- */

/* Tree building with one out-of-memory flag instead of a check per call:
 * once set, every later call does nothing. */
struct builder {
	xmlDoc *doc;
	xmlNs *ns;
	int oom;
};

/* A newline and depth tabs, as the examples indent. */
static void indent(struct builder *b, xmlNode *parent, int depth)
{
	static const char tabs[] = "\n\t\t\t\t";
	xmlNode *t;

	if (b->oom || parent == NULL)
		return;
	t = xmlNewDocTextLen(b->doc, (const xmlChar *)tabs, depth + 1);
	/* xmlAddChild may merge t into a text node before it and free it. */
	if (t == NULL || xmlAddChild(parent, t) == NULL) {
		xmlFreeNode(t);
		b->oom = 1;
	}
}

/* A child element on its own line, with text (escaped) or none. */
static xmlNode *element(struct builder *b, xmlNode *parent, int depth,
			const char *name, const char *text)
{
	xmlNode *n;

	if (b->oom || parent == NULL)
		return NULL;
	indent(b, parent, depth);
	n = xmlNewTextChild(parent, b->ns, (const xmlChar *)name,
			    (const xmlChar *)text);
	if (n == NULL)
		b->oom = 1;
	return n;
}

static void element_size(struct builder *b, xmlNode *parent, int depth,
			 const char *name, size_t value)
{
	char text[24];

	snprintf(text, sizeof(text), "%zu", value);
	element(b, parent, depth, name, text);
}

static void write_document(struct builder *b, xmlNode *root,
			   const ksef_upo_document *d)
{
	char date[KSEF_DATE_BUFSZ], sent[KSEF_TIME_BUFSZ];
	char numbered[KSEF_TIME_BUFSZ];
	xmlNode *n;

	/* check_document() made sure these cannot fail. */
	if (ksef_date_format(date, d->issue_date, NULL) < 0 ||
	    ksef_time_format(sent, d->sent_at, NULL) < 0 ||
	    ksef_time_format(numbered, d->numbered_at, NULL) < 0) {
		b->oom = 1;
		return;
	}
	n = element(b, root, 1, "Dokument", NULL);
	element(b, n, 2, "NipSprzedawcy", d->seller_nip);
	element(b, n, 2, "NumerKSeFDokumentu", d->ksef_number);
	element(b, n, 2, "NumerFaktury", d->invoice_number);
	element(b, n, 2, "DataWystawieniaFaktury", date);
	element(b, n, 2, "DataPrzeslaniaDokumentu", sent);
	element(b, n, 2, "DataNadaniaNumeruKSeF", numbered);
	element(b, n, 2, "SkrotDokumentu", d->invoice_hash);
	element(b, n, 2, "TrybWysylki",
		d->mode == KSEF_UPO_MODE_OFFLINE ? "Offline" : "Online");
	indent(b, n, 1);
}

/* The bytes of each version of ksef_upo_desc (options.h). */
static const size_t desc_sizes[] = {
	KSEF__OPTIONS_END(ksef_upo_desc, document_count), /* 1 */
};
KSEF__OPTIONS_SIZES(desc_sizes, KSEF_UPO_DESC_VERSION);

/* Build the tree of a description, checked first, in the schema's
 * order. */
static int build_doc(xmlDoc **out, const ksef_upo_desc *given,
		     ksef_error *err)
{
	static const char *const context_elements[] = {
		"Nip", "IdWewnetrzny", "IdZlozonyVatUE", "IdDostawcyUslugPeppol"
	};
	ksef_upo_desc copy = KSEF_UPO_DESC_INIT, *d = &copy;
	ksef_form_code code;
	char structure[64];
	struct builder b = { NULL, NULL, 0 };
	xmlNode *root, *auth, *n;
	size_t i;
	int error;

	*out = NULL;
	if (ksef_global_init() < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((error = KSEF__OPTIONS_COPY(&copy, given, desc_sizes,
					KSEF_UPO_DESC_VERSION, "ksef_upo_desc",
					err)) < 0 ||
	    (error = check_desc(d, err)) < 0)
		return error;
	code = ksef_form_code_of(d->form);
	structure_name(structure, sizeof(structure), code);

	if ((b.doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	root = xmlNewDocNode(b.doc, NULL, (const xmlChar *)"Potwierdzenie",
			     NULL);
	if (root == NULL) {
		xmlFreeDoc(b.doc);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	xmlDocSetRootElement(b.doc, root);
	/* The schema's elements are qualified: one default namespace on the
	 * root, as the examples have it. */
	if ((b.ns = xmlNewNs(root, (const xmlChar *)KSEF_UPO_NAMESPACE,
			     NULL)) == NULL)
		b.oom = 1;
	else
		xmlSetNs(root, b.ns);

	element(&b, root, 1, "NazwaPodmiotuPrzyjmujacego",
		d->receiver_name ? d->receiver_name :
				   KSEF_UPO_RECEIVER_DEFAULT);
	element(&b, root, 1, "NumerReferencyjnySesji", d->session_reference);
	auth = element(&b, root, 1, "Uwierzytelnienie", NULL);
	n = element(&b, auth, 2, "IdKontekstu", NULL);
	element(&b, n, 3, context_elements[d->context_type], d->context_id);
	indent(&b, n, 2);
	element(&b, auth, 2, d->auth_type == KSEF_UPO_AUTH_TOKEN ?
		"NumerReferencyjnyTokenaKSeF" :
		"SkrotDokumentuUwierzytelniajacego", d->auth_value);
	indent(&b, auth, 1);
	if (d->page != NULL) {
		n = element(&b, root, 1, "OpisPotwierdzenia", NULL);
		element_size(&b, n, 2, "Strona", d->page->page);
		element_size(&b, n, 2, "LiczbaStron", d->page->page_count);
		element_size(&b, n, 2, "ZakresDokumentowOd", d->page->first);
		element_size(&b, n, 2, "ZakresDokumentowDo", d->page->last);
		element_size(&b, n, 2, "CalkowitaLiczbaDokumentow",
			     d->page->total);
		indent(&b, n, 1);
	}
	element(&b, root, 1, "NazwaStrukturyLogicznej",
		d->structure_name ? d->structure_name : structure);
	element(&b, root, 1, "KodFormularza",
		d->form_code ? d->form_code : code.system_code);
	for (i = 0; i < d->document_count && !b.oom; i++)
		write_document(&b, root, d->documents[i]);
	indent(&b, root, 0);
	if (b.oom) {
		xmlFreeDoc(b.doc);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	*out = b.doc;
	return 0;
}

/* Serialiser output goes straight into a bounded ksef_buf. */
struct sink {
	ksef_buf buf;
	int error;
};

static int sink_write(void *ctx, const char *data, int len)
{
	struct sink *s = ctx;
	int error;

	if (len < 0)
		return -1;
	error = ksef__buf_put(&s->buf, data, (size_t)len, KSEF_UPO_MAX_BYTES);
	if (error < 0) {
		s->error = error;
		return -1;
	}
	return len;
}

static int sink_close(void *ctx)
{
	(void)ctx;
	return 0;
}

/* Write a tree as UTF-8 with an XML declaration, without reformatting
 * (that would change a signed document). */
static int save_doc(ksef_buf *out, xmlDoc *doc, ksef_error *err)
{
	struct sink s = { KSEF_BUF_INIT, 0 };
	unsigned long mark = ksef__alloc_failures();
	xmlSaveCtxt *save;
	long written;
	int closed;

	save = xmlSaveToIO(sink_write, sink_close, &s, "UTF-8", 0);
	if (save == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	written = xmlSaveDoc(save, doc);
	closed = xmlSaveClose(save);
	/* The serialiser may skip what it could not allocate for and
	 * report success. */
	if (s.error == 0 && (written < 0 || closed < 0 ||
			     ksef__alloc_failures() != mark))
		s.error = KSEF_ENOMEM;
	if (s.error < 0) {
		ksef_buf_dispose(&s.buf);
		if (s.error == KSEF_ETOOBIG)
			return ksef__error_set(err, KSEF_ETOOBIG,
				"UPO would be over %d bytes "
				"(KSEF_UPO_MAX_BYTES)", KSEF_UPO_MAX_BYTES);
		return ksef__error_set(err, s.error,
			"UPO cannot be written: out of memory");
	}
	ksef__buf_swap_in(out, &s.buf);
	return 0;
}

/* ---- public calls ----------------------------------------------------- */

/* build_doc(), refusing a tree libxml2 built while it could not allocate:
 * it may lack a name or a text it was given. */
static int build_whole(xmlDoc **out, const ksef_upo_desc *desc,
		       ksef_error *err)
{
	unsigned long mark = ksef__alloc_failures();
	int error = build_doc(out, desc, err);

	if (error == 0 && ksef__alloc_failures() != mark) {
		xmlFreeDoc(*out);
		*out = NULL;
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	return error;
}

int ksef_upo_build(ksef_buf *out, const ksef_upo_desc *desc, ksef_error *err)
{
	xmlDoc *doc = NULL;
	int error;

	if (out == NULL || desc == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "UPO: NULL argument");
	if ((error = build_whole(&doc, desc, err)) < 0)
		return error;
	error = save_doc(out, doc, err);
	xmlFreeDoc(doc);
	return error;
}

int ksef_upo_signer_new(ksef_upo_signer **out, const char *key_pem,
			size_t key_len, const unsigned char *cert,
			size_t cert_len, ksef_error *err)
{
	ksef_upo_signer *s;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"UPO signer: NULL argument");
	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((error = ksef__dsig_key_new(&s->key, key_pem, key_len, cert,
					cert_len, err)) < 0) {
		free(s);
		return error;
	}
	*out = s;
	return 0;
}

void ksef_upo_signer_free(ksef_upo_signer *signer)
{
	if (signer == NULL)
		return;
	ksef__dsig_key_free(signer->key);
	free(signer);
}

/* SigningTime: the caller's, or now in Polish local time like every
 * other time in a UPO. */
static ksef_time signing_time_or_now(const ksef_time *t)
{
	return t ? *t : ksef_time_warsaw(ksef_time_now().unix_ms);
}

/* Sign a UPO tree and write it out. */
static int sign_and_save(ksef_buf *out, xmlDoc *doc,
			 const ksef_upo_signer *signer,
			 const ksef_time *signing_time, ksef_error *err)
{
	unsigned long mark = ksef__alloc_failures();
	int error;

	error = ksef__dsig_sign_enveloped(doc, signer->key,
		signing_time_or_now(signing_time), err);
	/* A digest of a canonical form that could not be made whole would
	 * sign less than the document: such a UPO is not handed out. */
	if (error == 0 && ksef__alloc_failures() != mark)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory "
				       "signing the UPO");
	if (error < 0)
		return ksef__alloc_check(error, mark, err);
	return save_doc(out, doc, err);
}

int ksef_upo_build_signed(ksef_buf *out, const ksef_upo_desc *desc,
			  const ksef_upo_signer *signer,
			  const ksef_time *signing_time, ksef_error *err)
{
	xmlDoc *doc = NULL;
	int error;

	if (out == NULL || desc == NULL || signer == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "UPO: NULL argument");
	if ((error = build_whole(&doc, desc, err)) < 0)
		return error;
	error = sign_and_save(out, doc, signer, signing_time, err);
	xmlFreeDoc(doc);
	return error;
}

/* Parse bytes claimed to be a UPO and find its root. */
static int parse_upo(xmlDoc **doc, xmlNode **root, const unsigned char *xml,
		     size_t len, ksef_error *err)
{
	int error;

	if ((error = ksef_global_init()) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	/* The shared parser caps every document at KSEF_INVOICE_MAX_BYTES
	 * whatever it is asked for, so a page of more than about 5 000
	 * documents is refused with KSEF_ETOOBIG here until xml.c takes a
	 * higher cap; building and signing in one step (no parse) have no
	 * such limit. */
	if ((error = ksef__xml_parse(doc, NULL, xml, len, KSEF_UPO_MAX_BYTES,
				     err)) < 0)
		return error;
	*root = xmlDocGetRootElement(*doc);
	if (*root == NULL || (*root)->ns == NULL ||
	    !xmlStrEqual((*root)->ns->href,
			 (const xmlChar *)KSEF_UPO_NAMESPACE) ||
	    !xmlStrEqual((*root)->name, (const xmlChar *)"Potwierdzenie")) {
		xmlFreeDoc(*doc);
		*doc = NULL;
		return ksef__error_set(err, KSEF_EFORMAT,
			"document is not a UPO: its root is not Potwierdzenie "
			"in %s", KSEF_UPO_NAMESPACE);
	}
	return 0;
}

/* The last element child of n, or NULL. */
static xmlNode *last_element(xmlNode *n)
{
	xmlNode *c;

	for (c = n->last; c != NULL; c = c->prev)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	return NULL;
}

int ksef_upo_sign(ksef_buf *out, const ksef_upo_signer *signer,
		  const unsigned char *xml, size_t len,
		  const ksef_time *signing_time, ksef_error *err)
{
	xmlDoc *doc = NULL;
	xmlNode *root, *c;
	int error;

	if (out == NULL || signer == NULL || (xml == NULL && len > 0))
		return ksef__error_set(err, KSEF_EINVAL, "UPO: NULL argument");
	if ((error = parse_upo(&doc, &root, xml, len, err)) < 0)
		return error;
	for (c = root->children; c != NULL; c = c->next)
		if (ksef__dsig_is_signature(c)) {
			xmlFreeDoc(doc);
			return ksef__error_set(err, KSEF_EFORMAT,
				"UPO is signed already");
		}
	error = sign_and_save(out, doc, signer, signing_time, err);
	xmlFreeDoc(doc);
	return error;
}

int ksef_upo_verify(const unsigned char *xml, size_t len,
		    const unsigned char *cert, size_t cert_len,
		    ksef_error *err)
{
	unsigned long mark = ksef__alloc_failures();
	xmlDoc *doc = NULL;
	xmlNode *root, *sig, *c;
	int error;

	if ((xml == NULL && len > 0) || (cert == NULL && cert_len > 0))
		return ksef__error_set(err, KSEF_EINVAL, "UPO: NULL argument");
	if ((error = parse_upo(&doc, &root, xml, len, err)) < 0)
		return error;
	/* The one place an enveloped UPO signature may be: last. One
	 * anywhere else is not ours, and is refused rather than guessed at. */
	sig = last_element(root);
	if (!ksef__dsig_is_signature(sig)) {
		for (c = root->children; c != NULL; c = c->next)
			if (ksef__dsig_is_signature(c))
				break;
		xmlFreeDoc(doc);
		if (c != NULL)
			return ksef__error_set(err, KSEF_EFORMAT,
				"UPO's ds:Signature is not its last element");
		return ksef__error_set(err, KSEF_ENOTFOUND,
			"UPO is not signed (no ds:Signature in Potwierdzenie)");
	}
	error = ksef__dsig_verify_enveloped(doc, sig, cert, cert_len, err);
	xmlFreeDoc(doc);
	/* A UPO is not called forged because xmlsec ran out of memory. */
	return ksef__alloc_check(error, mark, err);
}
