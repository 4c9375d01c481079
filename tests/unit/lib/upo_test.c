/*
 * upo_test.c - the UPO module: what ksef_upo_build() accepts and refuses,
 * that its output is the official examples' shape and validates against
 * upo-v4-3.xsd, and that the XAdES signature is where and what it should
 * be, checks out with the xmlsec1 and openssl commands, and breaks when
 * anything it covers changes.
 *
 * The signing keys are made once per run with `openssl req` in a
 * temporary folder; the XSD is compiled from memory, as the library's
 * entity loader refuses files outside schema compilation.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include "testsupport.h"
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "ksef/number.h"
#include "ksef/upo.h"

#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"
#define XADES_NS "http://uri.etsi.org/01903/v1.3.2#"
#define XMLSEC1_ID_ATTR "--id-attr:Id '" XADES_NS ":SignedProperties'"
#define TE_RECEIVER \
	"Ministerstwo Finans\xc3\xb3w - \xc5\x9brodowisko testowe (TE)"

/* ---- fixture: keys, certificates, the schema --------------------------- */

static struct {
	char *dir;
	ksef_buf key, cert, key2, cert2;
	ksef_upo_signer *signer;
	xmlSchemaPtr xsd;
	char xsd_error[512];
	xmlExternalEntityLoader loader; /* the library's, before xmlsec */
} fx;

static char *path_in(const char *name)
{
	static char path[4][1024];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", fx.dir, name);
	return p;
}

static void read_in(ksef_buf *out, const char *name)
{
	ts_read_file(out, path_in(name));
}

static void write_in(const char *name, const ksef_buf *b)
{
	ts_write_file(path_in(name), b->ptr, b->size);
}

static int group_setup(void **state)
{
	ksef_buf xsd = KSEF_BUF_INIT;
	xmlSchemaParserCtxtPtr pc;
	ksef_error err;

	(void)state;
	fx.dir = ts_mkdtemp();
	/* Two unrelated RSA-2048 identities; the first has a non-ASCII
	 * issuer, as the Ministry's would. */
	assert_int_equal(ts_system("cd '%s' && openssl req -x509 -newkey "
		"rsa:2048 -nodes -keyout key.pem -out cert.pem -days 3650 "
		"-utf8 -subj '/CN=KSeF UPO test/O=Ministerstwo Finans\xc3\xb3w' "
		">/dev/null 2>&1 && openssl req -x509 -newkey rsa:2048 -nodes "
		"-keyout key2.pem -out cert2.pem -days 3650 -subj '/CN=Other' "
		">/dev/null 2>&1", fx.dir), 0);
	read_in(&fx.key, "key.pem");
	read_in(&fx.cert, "cert.pem");
	read_in(&fx.key2, "key2.pem");
	read_in(&fx.cert2, "cert2.pem");
	assert_int_equal(ksef_global_init(), 0);
	fx.loader = xmlGetExternalEntityLoader();
	if (ksef_upo_signer_new(&fx.signer, (const char *)fx.key.ptr,
				fx.key.size, fx.cert.ptr, fx.cert.size, &err))
		fail_msg("signer: %s", err.message);

	ts_read_file(&xsd,
		ts_shared_path("ksef-docs/faktury/upo/schemy/upo-v4-3.xsd"));
	pc = xmlSchemaNewMemParserCtxt((const char *)xsd.ptr, (int)xsd.size);
	assert_non_null(pc);
	fx.xsd = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	ksef_buf_dispose(&xsd);
	assert_non_null(fx.xsd);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ksef_upo_signer_free(fx.signer);
	xmlSchemaFree(fx.xsd);
	ksef_buf_dispose(&fx.key);
	ksef_buf_dispose(&fx.cert);
	ksef_buf_dispose(&fx.key2);
	ksef_buf_dispose(&fx.cert2);
	ts_rmdir(fx.dir);
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

static ksef_time at(const char *iso)
{
	ksef_time t;

	if (ksef_time_parse(&t, iso, strlen(iso), NULL) != 0)
		fail_msg("bad test time %s", iso);
	return t;
}

static ksef_date day(const char *s)
{
	ksef_date d;

	if (ksef_date_parse(&d, s, strlen(s), NULL) != 0)
		fail_msg("bad test date %s", s);
	return d;
}

/* Three accepted invoices, the first two as in upo-sesja-kontekst-id-nip
 * .xml, the third sent offline. */
static ksef_upo_document sample_docs[3];
static const ksef_upo_document *sample_ptrs[3] = {
	&sample_docs[0], &sample_docs[1], &sample_docs[2]
};

/* The array of pointers ksef_upo_desc.documents takes, to docs[0..n);
 * free() it. */
static const ksef_upo_document **pointers_to(const ksef_upo_document *docs,
					     size_t n)
{
	const ksef_upo_document **p = calloc(n, sizeof(*p));
	size_t i;

	assert_non_null(p);
	for (i = 0; i < n; i++)
		p[i] = &docs[i];
	return p;
}
static ksef_upo_page sample_page;

static void sample(ksef_upo_desc *desc, size_t ndocs, int session)
{
	static const ksef_upo_desc init = KSEF_UPO_DESC_INIT;
	ksef_upo_document d[3] = {
		{ "5265877635", "5265877635-20250916-010040741B3E-46",
		  "FA/SIGTF-3388125147/11/2025", day("2025-09-16"),
		  at("2025-09-16T11:02:41.584+02:00"),
		  at("2025-09-16T11:02:42.084+02:00"),
		  "jli86Kp2Kw7jppX59P8VmjWRcwLTvsPK3DcPEB87mNk=",
		  KSEF_UPO_MODE_ONLINE },
		{ "5265877635", "5265877635-20250916-0200A0D6723E-C2",
		  "FA/XVQUD-9997622510/04/2027", day("2025-09-16"),
		  at("2025-09-16T11:05:40.841+02:00"),
		  at("2025-09-16T11:05:41.045+02:00"),
		  "GZMGNVzs3krF6URKgvaw77OOeG3nJ+WGziT5xguliQ8=",
		  KSEF_UPO_MODE_ONLINE },
		{ "7811976573", "7811976573-20250917-02000009FF3E-FB",
		  "3/2025", day("2025-09-15"),
		  at("2025-09-17T08:10:27.818+02:00"),
		  at("2025-09-17T08:10:28.168+02:00"),
		  "kyqH+QUgP8ATWd/95IY632mP4uqibwG66Oqclq9+qno=",
		  KSEF_UPO_MODE_OFFLINE },
	};
	ksef_upo_page p = { 1, 1, 1, ndocs, ndocs };

	memcpy(sample_docs, d, sizeof(d));
	sample_page = p;
	*desc = init;
	desc->session_reference = "20250916-SO-2C0B7B6000-2B5E9B4C11-CC";
	desc->context_type = KSEF_UPO_CONTEXT_NIP;
	desc->context_id = "5265877635";
	desc->auth_type = KSEF_UPO_AUTH_DOCUMENT_HASH;
	desc->auth_value = "kyqH+QUgP8ATWd/95IY632mP4uqibwG66Oqclq9+qno=";
	desc->page = session ? &sample_page : NULL;
	desc->documents = sample_ptrs;
	desc->document_count = ndocs;
}

static void build(ksef_buf *out, const ksef_upo_desc *desc)
{
	ksef_error err;

	if (ksef_upo_build(out, desc, &err) != 0)
		fail_msg("build: %s", err.message);
}

/* A fixed signing time makes the whole signed document reproducible:
 * RSA PKCS#1 v1.5 signatures are deterministic. */
static void build_signed(ksef_buf *out, const ksef_upo_desc *desc)
{
	ksef_time when = at("2025-09-16T12:00:00.000+02:00");
	ksef_error err;

	if (ksef_upo_build_signed(out, desc, fx.signer, &when, &err) != 0)
		fail_msg("build_signed: %s", err.message);
}

static void quiet_schema_error(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	if (fx.xsd_error[0] == '\0' && e != NULL && e->message != NULL)
		snprintf(fx.xsd_error, sizeof(fx.xsd_error), "line %d: %s",
			 e->line, e->message);
}

static xmlDoc *parse(const ksef_buf *b)
{
	xmlDoc *doc = xmlReadMemory((const char *)b->ptr, (int)b->size, NULL,
				    NULL, XML_PARSE_NONET);

	assert_non_null(doc);
	return doc;
}

static int doc_valid(xmlDoc *doc)
{
	xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(fx.xsd);
	int rc;

	assert_non_null(v);
	fx.xsd_error[0] = '\0';
	xmlSchemaSetValidStructuredErrors(v, quiet_schema_error, NULL);
	rc = xmlSchemaValidateDoc(v, doc);
	xmlSchemaFreeValidCtxt(v);
	return rc == 0;
}

static int xsd_valid(const ksef_buf *b)
{
	xmlDoc *doc = parse(b);
	int ok = doc_valid(doc);

	xmlFreeDoc(doc);
	return ok;
}

static void assert_xsd_valid(const ksef_buf *b)
{
	if (!xsd_valid(b))
		fail_msg("not valid against upo-v4-3.xsd: %s\n%s",
			 fx.xsd_error, (const char *)b->ptr);
}

static int is_el(const xmlNode *n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

static xmlNode *first_el(xmlNode *n)
{
	for (n = n ? n->children : NULL; n && n->type != XML_ELEMENT_NODE;)
		n = n->next;
	return n;
}

static xmlNode *next_el(xmlNode *n)
{
	for (n = n ? n->next : NULL; n && n->type != XML_ELEMENT_NODE;)
		n = n->next;
	return n;
}

/* The child of n with this namespace and name; fails the test if none. */
static xmlNode *child(xmlNode *n, const char *ns, const char *name)
{
	xmlNode *c;

	for (c = first_el(n); c != NULL; c = next_el(c))
		if (is_el(c, ns, name))
			return c;
	fail_msg("no %s under %s", name, n ? (const char *)n->name : "NULL");
	return NULL;
}

/* Text of an element, whitespace removed (Base64 may be wrapped). */
static void text_of(char *out, size_t size, xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);
	size_t i, j = 0;

	assert_non_null(t);
	for (i = 0; t[i] != '\0' && j + 1 < size; i++)
		if (t[i] != ' ' && t[i] != '\n' && t[i] != '\r' && t[i] != '\t')
			out[j++] = (char)t[i];
	out[j] = '\0';
	xmlFree(t);
}

static void assert_attr(xmlNode *n, const char *name, const char *value)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);

	assert_non_null(v);
	assert_string_equal((const char *)v, value);
	xmlFree(v);
}

/* A file the openssl/xmllint commands wrote, without its newline. */
static void command_output(char *out, size_t size, const char *name)
{
	ksef_buf b = KSEF_BUF_INIT;
	size_t n;

	read_in(&b, name);
	n = b.size;
	while (n > 0 && (b.ptr[n - 1] == '\n' || b.ptr[n - 1] == '\r'))
		n--;
	assert_true(n < size);
	memcpy(out, b.ptr, n);
	out[n] = '\0';
	ksef_buf_dispose(&b);
}

/* Change the first occurrence of `from` (which must exist) in place. */
static void tamper(ksef_buf *b, const char *from, const char *to)
{
	char *p = strstr((char *)b->ptr, from);

	assert_non_null(p);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(p, to, strlen(to));
}

static int xmlsec1_verify(const char *file, const char *cert)
{
	return ts_system("xmlsec1 --verify --enabled-reference-uris "
		"empty,same-doc --pubkey-cert-pem '%s' " XMLSEC1_ID_ATTR
		" '%s' >/dev/null 2>&1", path_in(cert), path_in(file));
}

/* ---- building: refusals first --------------------------------------- */

static void build_refuses_null_arguments(void **state)
{
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 1, 0);
	assert_int_equal(ksef_upo_build(NULL, &desc, &err), KSEF_EINVAL);
	assert_int_equal(ksef_upo_build(&out, NULL, &err), KSEF_EINVAL);
	desc.documents = NULL;
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EINVAL);
	sample(&desc, 1, 0);
	desc.version = 2;
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "version"));
	assert_null(out.ptr);
}

static void build_refuses_a_null_document_pointer(void **state)
{
	const ksef_upo_document *ptrs[3];
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 3, 1);
	ptrs[0] = &sample_docs[0];
	ptrs[1] = NULL;
	ptrs[2] = &sample_docs[2];
	desc.documents = ptrs;
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "document 2 is NULL"));
	assert_null(out.ptr);
}

static void build_refuses_zero_and_more_than_10000_documents(void **state)
{
	ksef_upo_document *many;
	const ksef_upo_document **ptrs;
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;
	size_t i;

	(void)state;
	sample(&desc, 1, 0);
	desc.document_count = 0;
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "KSEF_UPO_MAX_DOCUMENTS"));

	many = calloc(KSEF_UPO_MAX_DOCUMENTS + 1, sizeof(*many));
	assert_non_null(many);
	for (i = 0; i <= KSEF_UPO_MAX_DOCUMENTS; i++)
		many[i] = sample_docs[0];
	ptrs = pointers_to(many, KSEF_UPO_MAX_DOCUMENTS + 1);
	desc.documents = ptrs;
	desc.document_count = KSEF_UPO_MAX_DOCUMENTS + 1;
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "KSEF_UPO_MAX_DOCUMENTS"));
	free(ptrs);
	free(many);
	assert_null(out.ptr);
}

enum field {
	F_RECEIVER, F_SESSION, F_CONTEXT, F_AUTH, F_TOKEN, F_STRUCTURE,
	/* the fields of Dokument 2 */
	F_SELLER, F_NUMBER, F_INVOICE, F_HASH
};

/* One value the schema refuses, and the element the error must name. */
static const struct refusal {
	enum field field;
	const char *value;
	int code;
	const char *element;
} refusals[] = {
	{ F_RECEIVER, "", KSEF_EFORMAT, "NazwaPodmiotuPrzyjmujacego" },
	{ F_RECEIVER, " \t\n ", KSEF_EFORMAT, "NazwaPodmiotuPrzyjmujacego" },
	{ F_SESSION, "20250916-SO-2C0B7B6000-2B5E9B4C11", KSEF_EFORMAT,
	  "NumerReferencyjnySesji" },
	{ F_SESSION, "20250916-so-2C0B7B6000-2B5E9B4C11-CC", KSEF_EFORMAT,
	  "NumerReferencyjnySesji" },
	{ F_SESSION, NULL, KSEF_EINVAL, "NumerReferencyjnySesji" },
	{ F_CONTEXT, "0265877635", KSEF_EFORMAT, "Nip" },
	{ F_CONTEXT, "526587763", KSEF_EFORMAT, "Nip" },
	{ F_AUTH, "kyqH+QUgP8ATWd/95IY632mP4uqibwG66Oqclq9+qn=", KSEF_EFORMAT,
	  "SkrotDokumentuUwierzytelniajacego" },
	/* 44 characters, but the last digit carries bits past 256. */
	{ F_AUTH, "kyqH+QUgP8ATWd/95IY632mP4uqibwG66Oqclq9+qnp=", KSEF_EFORMAT,
	  "SkrotDokumentuUwierzytelniajacego" },
	{ F_TOKEN, "20250819-EC-1ECDD12000-5EE71AE5E3", KSEF_EFORMAT,
	  "NumerReferencyjnyTokenaKSeF" },
	{ F_STRUCTURE, "", KSEF_EFORMAT, "NazwaStrukturyLogicznej" },
	{ F_SELLER, "5265877635 ", KSEF_EFORMAT, "NipSprzedawcy" },
	{ F_NUMBER, "5265877635-20250916-010040741b3e-46", KSEF_EFORMAT,
	  "NumerKSeFDokumentu" },
	{ F_NUMBER, "", KSEF_EFORMAT, "NumerKSeFDokumentu" },
	{ F_INVOICE, "", KSEF_EFORMAT, "NumerFaktury" },
	{ F_INVOICE, "   ", KSEF_EFORMAT, "NumerFaktury" },
	{ F_INVOICE, "FA\x01" "1", KSEF_EFORMAT, "NumerFaktury" },
	{ F_INVOICE, "FA\xc3", KSEF_EFORMAT, "NumerFaktury" },
	{ F_INVOICE, "FA\xed\xa0\x80", KSEF_EFORMAT, "NumerFaktury" },
	{ F_INVOICE, "FA\xc0\xaf", KSEF_EFORMAT, "NumerFaktury" },
	{ F_INVOICE, "\xef\xbf\xbe", KSEF_EFORMAT, "NumerFaktury" },
	{ F_HASH, "GZMGNVzs3krF6URKgvaw77OOeG3nJ+WGziT5xguliQ8", KSEF_EFORMAT,
	  "SkrotDokumentu" },
	{ F_HASH, "GZMGNVzs3krF6URKgvaw77OOeG3nJ+WGziT5xguli-8=", KSEF_EFORMAT,
	  "SkrotDokumentu" },
};

static void build_refuses_values_the_schema_refuses(void **state)
{
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *r = &refusals[i];

		sample(&desc, 2, 1);
		switch (r->field) {
		case F_RECEIVER: desc.receiver_name = r->value; break;
		case F_SESSION: desc.session_reference = r->value; break;
		case F_CONTEXT: desc.context_id = r->value; break;
		case F_AUTH: desc.auth_value = r->value; break;
		case F_TOKEN:
			desc.auth_type = KSEF_UPO_AUTH_TOKEN;
			desc.auth_value = r->value;
			break;
		case F_STRUCTURE: desc.structure_name = r->value; break;
		case F_SELLER: sample_docs[1].seller_nip = r->value; break;
		case F_NUMBER: sample_docs[1].ksef_number = r->value; break;
		case F_INVOICE: sample_docs[1].invoice_number = r->value; break;
		case F_HASH: sample_docs[1].invoice_hash = r->value; break;
		}
		memset(&err, 0, sizeof(err));
		if (ksef_upo_build(&out, &desc, &err) != r->code)
			fail_msg("row %zu: expected %d, got %d (%s)", i,
				 r->code, err.code, err.message);
		if (strstr(err.message, r->element) == NULL)
			fail_msg("row %zu: message does not name %s: %s", i,
				 r->element, err.message);
		if (r->field >= F_SELLER &&
		    strstr(err.message, "Dokument 2") == NULL)
			fail_msg("row %zu: message does not name Dokument 2: "
				 "%s", i, err.message);
		assert_null(out.ptr);
	}
}

static void build_refuses_lengths_over_the_schema_limits(void **state)
{
	char name[242], invoice[300];
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	/* 240 characters pass, 241 do not; the schema counts characters,
	 * so a two-byte "\xc3\xb3" counts once. */
	memcpy(name, "\xc3\xb3", 2);
	memset(name + 2, 'x', 239);
	name[241] = '\0';
	sample(&desc, 1, 0);
	desc.receiver_name = name;
	assert_int_equal(ksef_upo_build(&out, &desc, &err), 0);
	ksef_buf_dispose(&out);
	memset(name, 'x', 241);
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "240"));

	sample(&desc, 1, 0);
	sample_docs[0].invoice_number = invoice;
	memset(invoice, 'F', 256);
	invoice[256] = '\0';
	assert_int_equal(ksef_upo_build(&out, &desc, &err), 0);
	assert_xsd_valid(&out);
	ksef_buf_dispose(&out);
	memset(invoice, 'F', 257);
	invoice[257] = '\0';
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "NumerFaktury"));
	/* Whitespace the schema collapses does not count: 256 characters
	 * with a space at each end still pass, and validate. */
	invoice[0] = ' ';
	memset(invoice + 1, 'F', 256);
	invoice[257] = ' ';
	invoice[258] = '\0';
	assert_int_equal(ksef_upo_build(&out, &desc, &err), 0);
	assert_xsd_valid(&out);
	ksef_buf_dispose(&out);
}

static void build_refuses_dates_before_the_schema_minimum(void **state)
{
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;
	ksef_date bad_day = { 2025, 2, 29 };

	(void)state;
	sample(&desc, 1, 0);
	sample_docs[0].issue_date = day("2006-01-01");
	assert_int_equal(ksef_upo_build(&out, &desc, &err), 0);
	ksef_buf_dispose(&out);
	sample_docs[0].issue_date = day("2005-12-31");
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "DataWystawieniaFaktury"));
	sample_docs[0].issue_date = bad_day;
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EFORMAT);

	sample(&desc, 1, 0);
	sample_docs[0].sent_at = at("2021-10-01T02:00:00.000+02:00");
	assert_int_equal(ksef_upo_build(&out, &desc, &err), 0);
	ksef_buf_dispose(&out);
	sample_docs[0].sent_at = at("2021-10-01T01:59:59.999+02:00");
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "DataPrzeslaniaDokumentu"));

	sample(&desc, 1, 0);
	sample_docs[0].numbered_at.offset_minutes = 24 * 60;
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "DataNadaniaNumeruKSeF"));
}

static void build_refuses_a_page_whose_numbers_do_not_add_up(void **state)
{
	static const ksef_upo_page pages[] = {
		{ 0, 1, 1, 3, 3 },   /* page 0 */
		{ 2, 1, 1, 3, 3 },   /* page past the count */
		{ 1, 1, 0, 2, 3 },   /* range from 0 */
		{ 1, 1, 3, 1, 3 },   /* backwards */
		{ 1, 1, 1, 3, 2 },   /* past the total */
		{ 1, 1, 1, 2, 3 },   /* two in range, three listed */
		{ 1, 1, 1, 4, 4 },   /* four in range, three listed */
	};
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		sample(&desc, 3, 1);
		desc.page = &pages[i];
		if (ksef_upo_build(&out, &desc, &err) != KSEF_EINVAL)
			fail_msg("page row %zu accepted", i);
		assert_non_null(strstr(err.message, "OpisPotwierdzenia"));
	}
	/* A later page of a larger session is fine. */
	{
		ksef_upo_page later = { 2, 3, 10001, 10003, 25000 };

		sample(&desc, 3, 1);
		desc.page = &later;
		assert_int_equal(ksef_upo_build(&out, &desc, &err), 0);
		assert_xsd_valid(&out);
		ksef_buf_dispose(&out);
	}
}

static void build_refuses_unknown_enum_values(void **state)
{
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 1, 0);
	desc.context_type = (ksef_upo_context_type)4;
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EINVAL);
	sample(&desc, 1, 0);
	desc.auth_type = (ksef_upo_auth_type)2;
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EINVAL);
	sample(&desc, 1, 0);
	desc.form = KSEF_FORM_COUNT;
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EINVAL);
	sample(&desc, 1, 0);
	sample_docs[0].mode = (ksef_upo_mode)2;
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "TrybWysylki"));
}

static void build_refuses_a_ksef_number_listed_twice(void **state)
{
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 3, 1);
	sample_docs[2].ksef_number = sample_docs[0].ksef_number;
	assert_int_equal(ksef_upo_build(&out, &desc, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "Dokument 3"));
	assert_non_null(strstr(err.message, "NumerKSeFDokumentu"));
}

/*
 * The builder's checks of IdKontekstu must be the schema's: each
 * candidate is built (accepted or not), and also substituted into a valid
 * UPO that the XSD then judges; both must agree.
 */
static const struct context_case {
	ksef_upo_context_type type;
	const char *value;
} context_cases[] = {
	{ KSEF_UPO_CONTEXT_NIP, "5265877635" },
	{ KSEF_UPO_CONTEXT_NIP, "5200000000" },
	{ KSEF_UPO_CONTEXT_NIP, "5005877635" },
	{ KSEF_UPO_CONTEXT_NIP, "0265877635" },
	{ KSEF_UPO_CONTEXT_NIP, "52658776351" },
	{ KSEF_UPO_CONTEXT_NIP, "526587763A" },
	{ KSEF_UPO_CONTEXT_INTERNAL_ID, "5265877635-12345" },
	{ KSEF_UPO_CONTEXT_INTERNAL_ID, "5265877635-1234" },
	{ KSEF_UPO_CONTEXT_INTERNAL_ID, "5265877635-123456" },
	{ KSEF_UPO_CONTEXT_INTERNAL_ID, "5265877635_12345" },
	{ KSEF_UPO_CONTEXT_INTERNAL_ID, "0265877635-12345" },
	{ KSEF_UPO_CONTEXT_INTERNAL_ID, "5265877635-1234a" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-ATU12345678" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-ATU1234567" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-AT12345678" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-BE0123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-BE1123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-BE2123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-BG123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-BG1234567890" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-BG12345678901" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-CY12345678A" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-CY123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-CZ12345678" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-CZ1234567890" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-CZ1234567" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-DE123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-DK12345678" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-EE123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-EL123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-GR123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-ESX12345678" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-ES12345678X" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-ESX1234567X" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-ES123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-FI12345678" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-FRAB123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-FR1B123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-FR12345678" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-HR12345678901" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-HU12345678" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-IE1234567AB" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-IE1+12345A" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-IE1*12345A" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-IE1-12345A" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-IT12345678901" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-LT123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-LT123456789012" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-LT1234567890" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-LU12345678" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-LV12345678901" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-MT12345678" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-NL123456789B01" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-NL*+ABCDEFGH12" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-NL123456789B0" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-PT123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-RO12" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-RO1234567890" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-RO1" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-RO12345678901" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-SE123456789012" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-SI12345678" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-SK1234567890" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-XI123456789" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-XI123456789012" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-XIGD123" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-XIHA123" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-XIAB123" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-PL1234567890" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635-atu12345678" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "5265877635ATU12345678" },
	{ KSEF_UPO_CONTEXT_NIP_VAT_UE, "0265877635-ATU12345678" },
	{ KSEF_UPO_CONTEXT_PEPPOL_ID, "PPL123456" },
	{ KSEF_UPO_CONTEXT_PEPPOL_ID, "PPl123456" },
	{ KSEF_UPO_CONTEXT_PEPPOL_ID, "XPL123456" },
	{ KSEF_UPO_CONTEXT_PEPPOL_ID, "PPL12345" },
	{ KSEF_UPO_CONTEXT_PEPPOL_ID, "PPL1234567" },
};

static void accepts_exactly_the_context_ids_the_xsd_accepts(void **state)
{
	static const char *const placeholders[] = {
		"1111111111", "1111111111-00000", "1111111111-DE000000000",
		"PAA000000"
	};
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT, doc = KSEF_BUF_INIT;
	ksef_error err;
	size_t i;
	int built, valid;

	(void)state;
	for (i = 0; i < sizeof(context_cases) / sizeof(context_cases[0]);
	     i++) {
		const struct context_case *c = &context_cases[i];

		sample(&desc, 1, 0);
		desc.context_type = c->type;
		desc.context_id = c->value;
		built = ksef_upo_build(&out, &desc, &err);
		assert_true(built == 0 || built == KSEF_EFORMAT);
		ksef_buf_dispose(&out);

		desc.context_id = placeholders[c->type];
		build(&doc, &desc);
		assert_xsd_valid(&doc);
		ts_replace(&doc, placeholders[c->type], c->value);
		valid = xsd_valid(&doc);
		ksef_buf_dispose(&doc);
		if ((built == 0) != valid)
			fail_msg("%s: builder %s it, the XSD %s it", c->value,
				 built ? "refuses" : "accepts",
				 valid ? "accepts" : "refuses");
	}
}

/* ---- building: the output -------------------------------------------- */

/* Line ends as written, trailing blanks dropped, and the declaration's
 * encoding spelled one way: what remains must match byte for byte. */
static void normalise(ksef_buf *b)
{
	unsigned char *r, *w;

	ts_replace(b, "encoding=\"utf-8\"", "encoding=\"UTF-8\"");
	for (r = w = b->ptr; r < b->ptr + b->size; r++) {
		if (*r == '\n')
			while (w > b->ptr && (w[-1] == ' ' || w[-1] == '\t'))
				w--;
		*w++ = *r;
	}
	while (w > b->ptr && (w[-1] == '\n' || w[-1] == ' ' || w[-1] == '\t'))
		w--;
	*w = '\0';
	b->size = (size_t)(w - b->ptr);
}

/* Text of the named child of n, kept in a pool freed by the caller. */
static const char *field(xmlNode *n, const char *name, char **pool,
			 size_t *npool)
{
	xmlNode *c = child(n, "http://upo.schematy.mf.gov.pl/KSeF/v4-3",
			   name);
	char *t = (char *)xmlNodeGetContent(c);

	assert_non_null(t);
	pool[(*npool)++] = t;
	return t;
}

static size_t size_field(xmlNode *n, const char *name, char **pool,
			 size_t *npool)
{
	return (size_t)strtoul(field(n, name, pool, npool), NULL, 10);
}

/*
 * Read an official example into a description (by element name, so the
 * order is not assumed), build it, and compare the two documents. Only
 * NazwaStrukturyLogicznej and KodFormularza are left for the library to
 * derive from the form.
 */
static void reproduce_example(const char *name)
{
	static const char *const contexts[] = {
		"Nip", "IdWewnetrzny", "IdZlozonyVatUE", "IdDostawcyUslugPeppol"
	};
	const char *ns = "http://upo.schematy.mf.gov.pl/KSeF/v4-3";
	ksef_upo_desc desc = KSEF_UPO_DESC_INIT;
	ksef_upo_document docs[4];
	const ksef_upo_document *ptrs[4];
	ksef_upo_page page;
	ksef_buf file = KSEF_BUF_INIT, out = KSEF_BUF_INIT;
	char *pool[64], path[256];
	size_t npool = 0, ndocs = 0, i;
	xmlDoc *doc;
	xmlNode *root, *n, *id;

	snprintf(path, sizeof(path), "ksef-docs/faktury/upo/przyklady/v4-3/%s",
		 name);
	ts_read_file(&file, ts_shared_path(path));
	doc = parse(&file);
	root = xmlDocGetRootElement(doc);
	desc.receiver_name = field(root, "NazwaPodmiotuPrzyjmujacego", pool,
				   &npool);
	desc.session_reference = field(root, "NumerReferencyjnySesji", pool,
				       &npool);
	n = child(root, ns, "Uwierzytelnienie");
	id = first_el(child(n, ns, "IdKontekstu"));
	for (i = 0; i < 4 && strcmp((const char *)id->name, contexts[i]); i++)
		;
	assert_true(i < 4);
	desc.context_type = (ksef_upo_context_type)i;
	desc.context_id = field(child(n, ns, "IdKontekstu"), contexts[i],
				pool, &npool);
	id = next_el(child(n, ns, "IdKontekstu"));
	desc.auth_type = strcmp((const char *)id->name,
				"NumerReferencyjnyTokenaKSeF") == 0 ?
		KSEF_UPO_AUTH_TOKEN : KSEF_UPO_AUTH_DOCUMENT_HASH;
	desc.auth_value = field(n, (const char *)id->name, pool, &npool);
	for (n = first_el(root); n != NULL; n = next_el(n)) {
		if (strcmp((const char *)n->name, "OpisPotwierdzenia") == 0) {
			page.page = size_field(n, "Strona", pool, &npool);
			page.page_count = size_field(n, "LiczbaStron", pool,
						     &npool);
			page.first = size_field(n, "ZakresDokumentowOd", pool,
						&npool);
			page.last = size_field(n, "ZakresDokumentowDo", pool,
					       &npool);
			page.total = size_field(n, "CalkowitaLiczbaDokumentow",
						pool, &npool);
			desc.page = &page;
		}
		if (strcmp((const char *)n->name, "Dokument") == 0) {
			ksef_upo_document *d = &docs[ndocs++];

			d->seller_nip = field(n, "NipSprzedawcy", pool, &npool);
			d->ksef_number = field(n, "NumerKSeFDokumentu", pool,
					       &npool);
			d->invoice_number = field(n, "NumerFaktury", pool,
						  &npool);
			d->issue_date = day(field(n, "DataWystawieniaFaktury",
						  pool, &npool));
			d->sent_at = at(field(n, "DataPrzeslaniaDokumentu",
					      pool, &npool));
			d->numbered_at = at(field(n, "DataNadaniaNumeruKSeF",
						  pool, &npool));
			d->invoice_hash = field(n, "SkrotDokumentu", pool,
						&npool);
			d->mode = strcmp(field(n, "TrybWysylki", pool, &npool),
					 "Offline") == 0 ?
				KSEF_UPO_MODE_OFFLINE : KSEF_UPO_MODE_ONLINE;
		}
	}
	for (i = 0; i < ndocs; i++)
		ptrs[i] = &docs[i];
	desc.documents = ptrs;
	desc.document_count = ndocs;
	build(&out, &desc);
	normalise(&out);
	normalise(&file);
	if (strcmp((const char *)out.ptr, (const char *)file.ptr) != 0)
		fail_msg("%s differs:\n--- built\n%s\n--- example\n%s", name,
			 (const char *)out.ptr, (const char *)file.ptr);
	for (i = 0; i < npool; i++)
		xmlFree(pool[i]);
	xmlFreeDoc(doc);
	ksef_buf_dispose(&file);
	ksef_buf_dispose(&out);
}

static void reproduces_each_official_example_byte_for_byte(void **state)
{
	(void)state;
	reproduce_example("kontekst-nip/upo-faktura-kontekst-id-nip.xml");
	reproduce_example("kontekst-nip/upo-sesja-kontekst-id-nip.xml");
	reproduce_example("kontekst-internal-id/upo-faktura-internal-id.xml");
	reproduce_example("kontekst-internal-id/upo-sesja-internal-id.xml");
	reproduce_example(
		"kontekst-id-zlozony-vat-ue/upo-faktura-id-zlozony-vat-ue.xml");
	reproduce_example(
		"kontekst-id-zlozony-vat-ue/upo-sesja-id-zlozony-vat-ue.xml");
}

static void per_invoice_upo_validates_and_has_no_page(void **state)
{
	static const char start[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Potwierdzenie "
		"xmlns=\"http://upo.schematy.mf.gov.pl/KSeF/v4-3\">\n\t"
		"<NazwaPodmiotuPrzyjmujacego>Ministerstwo Finans\xc3\xb3w<";
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;
	xmlDoc *doc;

	(void)state;
	sample(&desc, 1, 0);
	build(&out, &desc);
	assert_int_equal(strncmp((const char *)out.ptr, start,
				 strlen(start)), 0);
	assert_null(strstr((const char *)out.ptr, "OpisPotwierdzenia"));
	assert_non_null(strstr((const char *)out.ptr,
		"<NazwaStrukturyLogicznej>Schemat_FA(3)_v1-0E.xsd<"));
	assert_non_null(strstr((const char *)out.ptr,
		"<KodFormularza>FA (3)</KodFormularza>"));
	assert_non_null(strstr((const char *)out.ptr,
		"<DataPrzeslaniaDokumentu>2025-09-16T11:02:41.584+02:00<"));
	doc = parse(&out);
	assert_true(doc_valid(doc));
	xmlFreeDoc(doc);
	ksef_buf_dispose(&out);
}

static void session_page_of_three_documents_validates_in_schema_order(
	void **state)
{
	static const char *const order[] = {
		"NazwaPodmiotuPrzyjmujacego", "NumerReferencyjnySesji",
		"Uwierzytelnienie", "OpisPotwierdzenia",
		"NazwaStrukturyLogicznej", "KodFormularza", "Dokument",
		"Dokument", "Dokument", NULL
	};
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;
	xmlDoc *doc;
	xmlNode *n;
	size_t i = 0;

	(void)state;
	sample(&desc, 3, 1);
	build(&out, &desc);
	assert_xsd_valid(&out);
	doc = parse(&out);
	for (n = first_el(xmlDocGetRootElement(doc)); n; n = next_el(n))
		assert_string_equal((const char *)n->name, order[i++]);
	assert_null(order[i]);
	xmlFreeDoc(doc);
	assert_non_null(strstr((const char *)out.ptr,
		"<OpisPotwierdzenia>\n\t\t<Strona>1</Strona>\n\t\t<LiczbaStron>1"
		"</LiczbaStron>\n\t\t<ZakresDokumentowOd>1</ZakresDokumentowOd>"
		"\n\t\t<ZakresDokumentowDo>3</ZakresDokumentowDo>\n\t\t"
		"<CalkowitaLiczbaDokumentow>3</CalkowitaLiczbaDokumentow>\n\t"
		"</OpisPotwierdzenia>"));
	assert_non_null(strstr((const char *)out.ptr,
		"<TrybWysylki>Offline</TrybWysylki>"));
	assert_non_null(strstr((const char *)out.ptr,
		"<DataWystawieniaFaktury>2025-09-15<"));
	ksef_buf_dispose(&out);
}

static void token_authentication_and_other_forms_validate(void **state)
{
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;

	(void)state;
	sample(&desc, 2, 1);
	desc.auth_type = KSEF_UPO_AUTH_TOKEN;
	desc.auth_value = "20250819-EC-1ECDD12000-5EE71AE5E3-B7";
	desc.context_type = KSEF_UPO_CONTEXT_PEPPOL_ID;
	desc.context_id = "PPL123456";
	desc.form = KSEF_FORM_PEF3;
	build(&out, &desc);
	assert_xsd_valid(&out);
	assert_non_null(strstr((const char *)out.ptr,
		"<NazwaStrukturyLogicznej>Schemat_PEF(3)_v2-1.xsd<"));
	assert_non_null(strstr((const char *)out.ptr,
		"<KodFormularza>PEF (3)</KodFormularza>"));
	assert_non_null(strstr((const char *)out.ptr,
		"<NumerReferencyjnyTokenaKSeF>20250819-EC-"));
	ksef_buf_dispose(&out);

	desc.form = KSEF_FORM_FA_RR1;
	build(&out, &desc);
	assert_non_null(strstr((const char *)out.ptr,
		"<NazwaStrukturyLogicznej>Schemat_FA_RR(1)_v1-1E.xsd<"));
	ksef_buf_dispose(&out);

	desc.structure_name = "Schemat_FA(3)_v1-0E.xsd";
	desc.form_code = "FA (3)";
	build(&out, &desc);
	assert_non_null(strstr((const char *)out.ptr,
		"<KodFormularza>FA (3)</KodFormularza>"));
	assert_xsd_valid(&out);
	ksef_buf_dispose(&out);
}

static void suffixed_receiver_name_is_written_but_breaks_the_fixed_value(
	void **state)
{
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;

	(void)state;
	/* SPEC 13 #6: the test environment's name is not the XSD's. */
	sample(&desc, 1, 0);
	desc.receiver_name = TE_RECEIVER;
	build(&out, &desc);
	assert_non_null(strstr((const char *)out.ptr,
		"<NazwaPodmiotuPrzyjmujacego>" TE_RECEIVER "<"));
	assert_false(xsd_valid(&out));
	assert_non_null(strstr(fx.xsd_error, "NazwaPodmiotuPrzyjmujacego"));
	ksef_buf_dispose(&out);
}

static void escapes_xml_special_characters_and_they_round_trip(void **state)
{
	static const char number[] =
		"FA/<1>&amp;\"2\"'3'/]]>/Za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87\r";
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT, sig = KSEF_BUF_INIT;
	ksef_error err;
	xmlDoc *doc;
	xmlNode *n;
	xmlChar *t;

	(void)state;
	sample(&desc, 2, 1);
	sample_docs[1].invoice_number = number;
	build(&out, &desc);
	assert_non_null(strstr((const char *)out.ptr,
		"<NumerFaktury>FA/&lt;1&gt;&amp;amp;\"2\"'3'/]]&gt;/"
		"Za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87&#13;</NumerFaktury>"));
	assert_xsd_valid(&out);
	doc = parse(&out);
	n = next_el(first_el(xmlDocGetRootElement(doc)));
	while (n != NULL && strcmp((const char *)n->name, "Dokument") != 0)
		n = next_el(n);
	n = child(next_el(n), "http://upo.schematy.mf.gov.pl/KSeF/v4-3",
		  "NumerFaktury");
	t = xmlNodeGetContent(n);
	assert_string_equal((const char *)t, number);
	xmlFree(t);
	xmlFreeDoc(doc);

	/* And through a signature and its verification. */
	build_signed(&sig, &desc);
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size, fx.cert.ptr,
					 fx.cert.size, &err), 0);
	ksef_buf_dispose(&out);
	ksef_buf_dispose(&sig);
}

/* ---- signing: shape ---------------------------------------------------- */

static void signature_is_the_last_child_in_the_xades_bes_shape(void **state)
{
	ksef_upo_desc desc;
	ksef_buf out = KSEF_BUF_INIT;
	char text[4096], expect[4096];
	xmlDoc *doc;
	xmlNode *root, *sig, *si, *ref, *tr, *x, *qp, *sp, *ssp, *cert;
	BIGNUM *bn = NULL;
	char *dec;

	(void)state;
	sample(&desc, 3, 1);
	build_signed(&out, &desc);
	doc = parse(&out);
	root = xmlDocGetRootElement(doc);
	sig = root->last; /* the last node, not just the last element */
	assert_true(is_el(sig, DSIG_NS, "Signature"));
	assert_string_equal((const char *)sig->ns->prefix, "ds");
	assert_attr(sig, "Id", "ksef-signature");

	si = child(sig, DSIG_NS, "SignedInfo");
	assert_attr(child(si, DSIG_NS, "CanonicalizationMethod"), "Algorithm",
		    "http://www.w3.org/2001/10/xml-exc-c14n#");
	assert_attr(child(si, DSIG_NS, "SignatureMethod"), "Algorithm",
		    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
	ref = child(si, DSIG_NS, "Reference");
	assert_attr(ref, "URI", "");
	tr = first_el(child(ref, DSIG_NS, "Transforms"));
	assert_attr(tr, "Algorithm",
		    "http://www.w3.org/2000/09/xmldsig#enveloped-signature");
	assert_attr(next_el(tr), "Algorithm",
		    "http://www.w3.org/2001/10/xml-exc-c14n#");
	assert_null(next_el(next_el(tr)));
	assert_attr(child(ref, DSIG_NS, "DigestMethod"), "Algorithm",
		    "http://www.w3.org/2001/04/xmlenc#sha256");
	ref = next_el(ref);
	assert_true(is_el(ref, DSIG_NS, "Reference"));
	assert_attr(ref, "URI", "#ksef-signed-properties");
	assert_attr(ref, "Type", "http://uri.etsi.org/01903#SignedProperties");
	assert_attr(child(ref, DSIG_NS, "DigestMethod"), "Algorithm",
		    "http://www.w3.org/2001/04/xmlenc#sha256");
	assert_null(next_el(ref));

	/* SignedInfo, SignatureValue, KeyInfo, Object, in that order. */
	x = next_el(si);
	assert_true(is_el(x, DSIG_NS, "SignatureValue"));
	x = next_el(x);
	assert_true(is_el(x, DSIG_NS, "KeyInfo"));
	text_of(text, sizeof(text), child(child(x, DSIG_NS, "X509Data"),
					  DSIG_NS, "X509Certificate"));
	assert_int_equal(ts_system("openssl x509 -in '%s' -outform DER | "
		"base64 -w0 > '%s'", path_in("cert.pem"), path_in("der.b64")),
		0);
	command_output(expect, sizeof(expect), "der.b64");
	assert_string_equal(text, expect);
	x = next_el(x);
	assert_true(is_el(x, DSIG_NS, "Object"));
	assert_null(next_el(x));

	qp = child(x, XADES_NS, "QualifyingProperties");
	assert_string_equal((const char *)qp->ns->prefix, "xades");
	assert_attr(qp, "Target", "#ksef-signature");
	sp = child(qp, XADES_NS, "SignedProperties");
	assert_attr(sp, "Id", "ksef-signed-properties");
	ssp = child(sp, XADES_NS, "SignedSignatureProperties");
	text_of(text, sizeof(text), child(ssp, XADES_NS, "SigningTime"));
	assert_string_equal(text, "2025-09-16T12:00:00.000+02:00");
	cert = child(child(ssp, XADES_NS, "SigningCertificate"), XADES_NS,
		     "Cert");
	assert_attr(child(child(cert, XADES_NS, "CertDigest"), DSIG_NS,
			  "DigestMethod"), "Algorithm",
		    "http://www.w3.org/2001/04/xmlenc#sha256");
	/* Known answers from the openssl command. */
	text_of(text, sizeof(text), child(child(cert, XADES_NS, "CertDigest"),
					  DSIG_NS, "DigestValue"));
	assert_int_equal(ts_system("openssl x509 -in '%s' -outform DER | "
		"openssl dgst -sha256 -binary | base64 -w0 > '%s'",
		path_in("cert.pem"), path_in("digest.b64")), 0);
	command_output(expect, sizeof(expect), "digest.b64");
	assert_string_equal(text, expect);
	{
		xmlChar *t = xmlNodeGetContent(child(child(cert, XADES_NS,
			"IssuerSerial"), DSIG_NS, "X509IssuerName"));

		assert_string_equal((const char *)t,
			"O=Ministerstwo Finans\xc3\xb3w,CN=KSeF UPO test");
		xmlFree(t);
	}
	text_of(text, sizeof(text), child(child(cert, XADES_NS,
		"IssuerSerial"), DSIG_NS, "X509SerialNumber"));
	assert_int_equal(ts_system("openssl x509 -in '%s' -noout -serial | "
		"cut -d= -f2 > '%s'", path_in("cert.pem"),
		path_in("serial.hex")), 0);
	command_output(expect, sizeof(expect), "serial.hex");
	assert_true(BN_hex2bn(&bn, expect) > 0);
	dec = BN_bn2dec(bn);
	assert_string_equal(text, dec);
	OPENSSL_free(dec);
	BN_free(bn);
	xmlFreeDoc(doc);
	ksef_buf_dispose(&out);
}

/* The signed document with its ds:Signature removed, serialised again. */
static void strip_signature(ksef_buf *out, const ksef_buf *signed_xml)
{
	xmlDoc *doc = parse(signed_xml);
	xmlNode *sig = xmlDocGetRootElement(doc)->last;
	xmlChar *mem = NULL;
	int len = 0;

	assert_true(is_el(sig, DSIG_NS, "Signature"));
	xmlUnlinkNode(sig);
	xmlFreeNode(sig);
	xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
	assert_non_null(mem);
	ksef_buf_dispose(out);
	out->ptr = malloc((size_t)len + 1);
	assert_non_null(out->ptr);
	memcpy(out->ptr, mem, (size_t)len);
	out->ptr[len] = '\0';
	out->size = (size_t)len;
	out->asize = (size_t)len + 1;
	xmlFree(mem);
	xmlFreeDoc(doc);
}

static void a_full_page_of_10000_documents_builds_signs_and_validates(
	void **state)
{
	static char numbers[KSEF_UPO_MAX_DOCUMENTS][KSEF_NUMBER_BUFSZ];
	ksef_upo_document *docs;
	const ksef_upo_document **ptrs;
	ksef_upo_page page = { 1, 1, 1, KSEF_UPO_MAX_DOCUMENTS,
			       KSEF_UPO_MAX_DOCUMENTS };
	ksef_upo_desc desc;
	ksef_buf sig = KSEF_BUF_INIT, stripped = KSEF_BUF_INIT;
	size_t i;

	(void)state;
	docs = calloc(KSEF_UPO_MAX_DOCUMENTS, sizeof(*docs));
	assert_non_null(docs);
	sample(&desc, 1, 0);
	for (i = 0; i < KSEF_UPO_MAX_DOCUMENTS; i++) {
		assert_int_equal(ksef_number_generate(numbers[i], "5265877635",
			10, day("2025-09-16"), (uint64_t)i * 7919, NULL), 0);
		docs[i] = sample_docs[0];
		docs[i].ksef_number = numbers[i];
	}
	ptrs = pointers_to(docs, KSEF_UPO_MAX_DOCUMENTS);
	desc.documents = ptrs;
	desc.document_count = KSEF_UPO_MAX_DOCUMENTS;
	desc.page = &page;
	build_signed(&sig, &desc);
	write_in("full.xml", &sig);
	assert_int_equal(xmlsec1_verify("full.xml", "cert.pem"), 0);
	strip_signature(&stripped, &sig);
	assert_xsd_valid(&stripped);
	/* Making one number repeat is caught among the 10 000. */
	docs[9876].ksef_number = numbers[1234];
	ksef_buf_dispose(&sig);
	assert_int_equal(ksef_upo_build(&sig, &desc, NULL), KSEF_EFORMAT);
	ksef_buf_dispose(&stripped);
	free(ptrs);
	free(docs);
}

static void removing_the_signature_gives_back_the_valid_unsigned_upo(
	void **state)
{
	ksef_upo_desc desc;
	ksef_buf plain = KSEF_BUF_INIT, sig = KSEF_BUF_INIT;
	ksef_buf stripped = KSEF_BUF_INIT;
	static const char end[] = "</Potwierdzenie>\n";
	size_t keep;
	int per_invoice;

	(void)state;
	for (per_invoice = 0; per_invoice < 2; per_invoice++) {
		sample(&desc, per_invoice ? 1 : 3, !per_invoice);
		build(&plain, &desc);
		build_signed(&sig, &desc);
		/* Byte for byte, the signed UPO is the unsigned one with the
		 * signature inserted before the closing tag. */
		keep = plain.size - (sizeof(end) - 1);
		assert_memory_equal(plain.ptr + keep, end, sizeof(end) - 1);
		assert_memory_equal(sig.ptr, plain.ptr, keep);
		assert_memory_equal(sig.ptr + keep, "<ds:Signature", 13);
		assert_false(xsd_valid(&sig)); /* the XSD has no room for it */
		strip_signature(&stripped, &sig);
		assert_xsd_valid(&stripped);
		assert_string_equal((const char *)stripped.ptr,
				    (const char *)plain.ptr);
		ksef_buf_dispose(&plain);
		ksef_buf_dispose(&sig);
		ksef_buf_dispose(&stripped);
	}
}

static void signing_built_bytes_equals_building_signed(void **state)
{
	ksef_time when = at("2025-09-16T12:00:00.000+02:00");
	ksef_upo_desc desc;
	ksef_buf plain = KSEF_BUF_INIT, a = KSEF_BUF_INIT, b = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 3, 1);
	build(&plain, &desc);
	build_signed(&a, &desc);
	assert_int_equal(ksef_upo_sign(&b, fx.signer, plain.ptr, plain.size,
				       &when, &err), 0);
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.ptr, b.ptr, a.size);
	/* No time given: now, in Polish time, and it still verifies. */
	ksef_buf_dispose(&b);
	assert_int_equal(ksef_upo_sign(&b, fx.signer, plain.ptr, plain.size,
				       NULL, &err), 0);
	assert_true(strstr((const char *)b.ptr, "+01:00</xades:SigningTime>")
		    || strstr((const char *)b.ptr,
			      "+02:00</xades:SigningTime>"));
	assert_int_equal(ksef_upo_verify(b.ptr, b.size, fx.cert.ptr,
					 fx.cert.size, &err), 0);
	ksef_buf_dispose(&plain);
	ksef_buf_dispose(&a);
	ksef_buf_dispose(&b);
}

static void sign_refuses_a_signed_upo_and_other_documents(void **state)
{
	static const char other[] = "<Faktura xmlns=\"http://crd.gov.pl/wzor/"
		"2025/06/25/13775/\"/>";
	static const char bare[] = "<Potwierdzenie/>";
	ksef_upo_desc desc;
	ksef_buf sig = KSEF_BUF_INIT, out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 1, 0);
	build_signed(&sig, &desc);
	assert_int_equal(ksef_upo_sign(&out, fx.signer, sig.ptr, sig.size,
				       NULL, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "signed already"));
	assert_int_equal(ksef_upo_sign(&out, fx.signer,
		(const unsigned char *)other, strlen(other), NULL, &err),
		KSEF_EFORMAT);
	assert_int_equal(ksef_upo_sign(&out, fx.signer,
		(const unsigned char *)bare, strlen(bare), NULL, &err),
		KSEF_EFORMAT);
	assert_int_equal(ksef_upo_sign(&out, fx.signer,
		(const unsigned char *)"<", 1, NULL, &err), KSEF_EPARSE);
	assert_int_equal(ksef_upo_sign(&out, NULL, sig.ptr, sig.size, NULL,
				       &err), KSEF_EINVAL);
	assert_null(out.ptr);
	ksef_buf_dispose(&sig);
}

/* ---- signing: independent checks ---------------------------------------- */

static void xmlsec1_command_verifies_the_signature(void **state)
{
	ksef_upo_desc desc;
	ksef_buf sig = KSEF_BUF_INIT;
	int per_invoice;

	(void)state;
	for (per_invoice = 0; per_invoice < 2; per_invoice++) {
		sample(&desc, per_invoice ? 1 : 3, !per_invoice);
		build_signed(&sig, &desc);
		write_in("signed.xml", &sig);
		assert_int_equal(xmlsec1_verify("signed.xml", "cert.pem"), 0);
		ksef_buf_dispose(&sig);
	}
}

/*
 * The digest of Reference URI="" is SHA-256 over the exclusive c14n of
 * the unsigned document (the enveloped transform's output), and the
 * SignatureValue is RSA over the exclusive c14n of SignedInfo: both
 * recomputed with xmllint and openssl.
 */
static void digests_and_signature_value_match_xmllint_and_openssl(
	void **state)
{
	ksef_upo_desc desc;
	ksef_buf plain = KSEF_BUF_INIT, sig = KSEF_BUF_INIT;
	char text[1024], expect[1024];
	xmlDoc *doc, *si_doc;
	xmlNode *s, *si;

	(void)state;
	sample(&desc, 3, 1);
	build(&plain, &desc);
	build_signed(&sig, &desc);
	write_in("plain.xml", &plain);
	assert_int_equal(ts_system("xmllint --exc-c14n '%s' | openssl dgst "
		"-sha256 -binary | base64 -w0 > '%s'", path_in("plain.xml"),
		path_in("plain.b64")), 0);
	command_output(expect, sizeof(expect), "plain.b64");

	doc = parse(&sig);
	s = xmlDocGetRootElement(doc)->last;
	si = child(s, DSIG_NS, "SignedInfo");
	text_of(text, sizeof(text), child(child(si, DSIG_NS, "Reference"),
					  DSIG_NS, "DigestValue"));
	assert_string_equal(text, expect);

	/* SignedInfo alone, its ds namespace declared on it: its exclusive
	 * c14n is what was signed. */
	si_doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlDocSetRootElement(si_doc, xmlDocCopyNode(si, si_doc, 1));
	assert_int_equal(xmlSaveFile(path_in("si.xml"), si_doc) > 0, 1);
	xmlFreeDoc(si_doc);
	text_of(text, sizeof(text), child(s, DSIG_NS, "SignatureValue"));
	ts_write_file(path_in("sig.b64"), text, strlen(text));
	assert_int_equal(ts_system("cd '%s' && xmllint --exc-c14n si.xml > "
		"si.c14n && base64 -d sig.b64 > sig.bin && openssl x509 -in "
		"cert.pem -pubkey -noout > pub.pem && openssl dgst -sha256 "
		"-verify pub.pem -signature sig.bin si.c14n >/dev/null",
		fx.dir), 0);
	xmlFreeDoc(doc);
	ksef_buf_dispose(&plain);
	ksef_buf_dispose(&sig);
}

/* ---- verifying ---------------------------------------------------------- */

static void verify_accepts_what_the_signer_made(void **state)
{
	ksef_upo_desc desc;
	ksef_buf sig = KSEF_BUF_INIT, der = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 3, 1);
	build_signed(&sig, &desc);
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size, fx.cert.ptr,
					 fx.cert.size, &err), 0);
	/* The certificate may come as DER too. */
	assert_int_equal(ts_system("openssl x509 -in '%s' -outform DER -out "
		"'%s'", path_in("cert.pem"), path_in("cert.der")), 0);
	read_in(&der, "cert.der");
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size, der.ptr, der.size,
					 &err), 0);
	ksef_buf_dispose(&der);
	ksef_buf_dispose(&sig);
}

static void changing_one_digit_of_a_ksef_number_breaks_the_signature(
	void **state)
{
	ksef_upo_desc desc;
	ksef_buf sig = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 3, 1);
	build_signed(&sig, &desc);
	tamper(&sig, "5265877635-20250916-0200A0D6723E-C2",
		     "5265877635-20250916-0200A0D6724E-C2");
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size, fx.cert.ptr,
					 fx.cert.size, &err), KSEF_ECHECKSUM);
	assert_non_null(strstr(err.message, "digest do not match"));
	write_in("tampered.xml", &sig);
	assert_int_not_equal(xmlsec1_verify("tampered.xml", "cert.pem"), 0);
	ksef_buf_dispose(&sig);
}

static void changing_the_signing_time_breaks_the_signature(void **state)
{
	ksef_upo_desc desc;
	ksef_buf sig = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 1, 0);
	build_signed(&sig, &desc);
	tamper(&sig, "2025-09-16T12:00:00.000+02:00</xades:SigningTime>",
		     "2025-09-16T13:00:00.000+02:00</xades:SigningTime>");
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size, fx.cert.ptr,
					 fx.cert.size, &err), KSEF_ECHECKSUM);
	write_in("tampered.xml", &sig);
	assert_int_not_equal(xmlsec1_verify("tampered.xml", "cert.pem"), 0);
	ksef_buf_dispose(&sig);
}

static void a_different_certificate_fails_verification(void **state)
{
	ksef_upo_desc desc;
	ksef_buf sig = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 3, 1);
	build_signed(&sig, &desc);
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size, fx.cert2.ptr,
					 fx.cert2.size, &err), KSEF_ECHECKSUM);
	assert_non_null(strstr(err.message, "rsa-sha256"));
	write_in("signed.xml", &sig);
	assert_int_not_equal(xmlsec1_verify("signed.xml", "cert2.pem"), 0);
	ksef_buf_dispose(&sig);
}

/* KeyInfo is not what is trusted: swapping the certificate in it for
 * another changes nothing, either way. */
static void verify_trusts_the_callers_certificate_not_keyinfo(void **state)
{
	ksef_upo_desc desc;
	ksef_buf sig = KSEF_BUF_INIT, other = KSEF_BUF_INIT;
	ksef_upo_signer *signer2;
	ksef_time when = at("2025-09-16T12:00:00.000+02:00");
	ksef_error err;
	char *a, *b, *a_end, *b_end;

	(void)state;
	sample(&desc, 1, 0);
	build_signed(&sig, &desc);
	assert_int_equal(ksef_upo_signer_new(&signer2,
		(const char *)fx.key2.ptr, fx.key2.size, fx.cert2.ptr,
		fx.cert2.size, &err), 0);
	assert_int_equal(ksef_upo_build_signed(&other, &desc, signer2, &when,
					       &err), 0);
	ksef_upo_signer_free(signer2);
	/* Put the second certificate into the first signature's KeyInfo. */
	a = strstr((char *)sig.ptr, "<ds:X509Certificate>");
	b = strstr((char *)other.ptr, "<ds:X509Certificate>");
	assert_non_null(a);
	assert_non_null(b);
	a_end = strstr(a, "</ds:X509Certificate>");
	b_end = strstr(b, "</ds:X509Certificate>");
	{
		ksef_buf swapped = KSEF_BUF_INIT;
		size_t n1 = (size_t)(a - (char *)sig.ptr);
		size_t n2 = (size_t)(b_end - b);
		size_t n3 = sig.size - (size_t)(a_end - (char *)sig.ptr);

		swapped.ptr = malloc(n1 + n2 + n3 + 1);
		assert_non_null(swapped.ptr);
		memcpy(swapped.ptr, sig.ptr, n1);
		memcpy(swapped.ptr + n1, b, n2);
		memcpy(swapped.ptr + n1 + n2, a_end, n3);
		swapped.size = n1 + n2 + n3;
		swapped.ptr[swapped.size] = '\0';
		swapped.asize = swapped.size + 1;
		assert_int_equal(ksef_upo_verify(swapped.ptr, swapped.size,
			fx.cert.ptr, fx.cert.size, &err), 0);
		assert_int_equal(ksef_upo_verify(swapped.ptr, swapped.size,
			fx.cert2.ptr, fx.cert2.size, &err), KSEF_ECHECKSUM);
		ksef_buf_dispose(&swapped);
	}
	ksef_buf_dispose(&sig);
	ksef_buf_dispose(&other);
}

static void verify_refuses_unsigned_malformed_and_foreign_documents(
	void **state)
{
	static const char doctype[] = "<!DOCTYPE Potwierdzenie [<!ENTITY a "
		"\"aaaaaaaaaa\">]><Potwierdzenie xmlns=\"http://upo.schematy.mf"
		".gov.pl/KSeF/v4-3\">&a;</Potwierdzenie>";
	static const char foreign[] = "<Potwierdzenie xmlns=\"urn:other\"/>";
	ksef_upo_desc desc;
	ksef_buf plain = KSEF_BUF_INIT, sig = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 1, 0);
	build(&plain, &desc);
	assert_int_equal(ksef_upo_verify(plain.ptr, plain.size, fx.cert.ptr,
					 fx.cert.size, &err), KSEF_ENOTFOUND);
	assert_int_equal(ksef_upo_verify(NULL, 0, fx.cert.ptr, fx.cert.size,
					 &err), KSEF_EPARSE);
	assert_int_equal(ksef_upo_verify((const unsigned char *)"<", 1,
		fx.cert.ptr, fx.cert.size, &err), KSEF_EPARSE);
	assert_int_equal(ksef_upo_verify((const unsigned char *)doctype,
		strlen(doctype), fx.cert.ptr, fx.cert.size, &err), KSEF_EPARSE);
	assert_non_null(strstr(err.message, "DOCTYPE"));
	assert_int_equal(ksef_upo_verify((const unsigned char *)foreign,
		strlen(foreign), fx.cert.ptr, fx.cert.size, &err),
		KSEF_EFORMAT);
	assert_int_equal(ksef_upo_verify(plain.ptr, KSEF_UPO_MAX_BYTES + 1,
		fx.cert.ptr, fx.cert.size, &err), KSEF_ETOOBIG);

	build_signed(&sig, &desc);
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size,
		(const unsigned char *)"junk", 4, &err), KSEF_EPARSE);
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size, NULL, 0, &err),
			 KSEF_EPARSE);
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size, fx.cert.ptr,
		KSEF_CERT_MAX_BYTES + 1, &err), KSEF_ETOOBIG);
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size, NULL, 5, &err),
			 KSEF_EINVAL);
	ksef_buf_dispose(&plain);
	ksef_buf_dispose(&sig);
}

static void verify_refuses_a_signature_that_is_not_last(void **state)
{
	ksef_upo_desc desc;
	ksef_buf sig = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 1, 0);
	build_signed(&sig, &desc);
	ts_replace(&sig, "</ds:Signature></Potwierdzenie>",
		   "</ds:Signature><KodFormularza>X</KodFormularza>"
		   "</Potwierdzenie>");
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size, fx.cert.ptr,
					 fx.cert.size, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "last"));
	ksef_buf_dispose(&sig);
}

static void verify_refuses_a_signature_that_skips_the_document(void **state)
{
	ksef_upo_desc desc;
	ksef_buf sig = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 1, 0);
	build_signed(&sig, &desc);
	/* Without Reference URI="" the receipt itself is not signed. */
	ts_replace(&sig, "<ds:Reference URI=\"\">",
		   "<ds:Reference URI=\"#ksef-signature\">");
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size, fx.cert.ptr,
					 fx.cert.size, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "URI=\"\""));
	ksef_buf_dispose(&sig);

	/* Nor without the SignedProperties reference. */
	build_signed(&sig, &desc);
	ts_replace(&sig, "Type=\"http://uri.etsi.org/01903#SignedProperties\"",
		   "Type=\"http://uri.etsi.org/01903#SignedPropertieZ\"");
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size, fx.cert.ptr,
					 fx.cert.size, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "SignedProperties"));
	ksef_buf_dispose(&sig);
}

/*
 * The classic attack on enveloped signatures: a signer (or anyone who
 * can get a signature made) adds an XPath transform that leaves the
 * Dokument entries out of the digest. xmlsec1 with its defaults then
 * accepts a receipt whose invoices were changed; ksef_upo_verify allows
 * no XPath, so it refuses the signature outright.
 */
static void verify_refuses_an_xpath_transform_that_hides_content(
	void **state)
{
	static const char enveloped[] = "<ds:Transform Algorithm=\"http://www.w3"
		".org/2000/09/xmldsig#enveloped-signature\"/>";
	ksef_upo_desc desc;
	ksef_buf sig = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sample(&desc, 3, 1);
	build_signed(&sig, &desc);
	assert_non_null(strstr((const char *)sig.ptr, enveloped));
	ts_replace(&sig, enveloped, "<ds:Transform Algorithm=\"http://www.w3"
		".org/2000/09/xmldsig#enveloped-signature\"/><ds:Transform "
		"Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\">"
		"<ds:XPath xmlns:u=\"http://upo.schematy.mf.gov.pl/KSeF/v4-3\">"
		"not(ancestor-or-self::u:Dokument)</ds:XPath></ds:Transform>");
	write_in("xpath.xml", &sig);
	assert_int_equal(ts_system("xmlsec1 --sign --privkey-pem '%s' "
		XMLSEC1_ID_ATTR " --output '%s' '%s' >/dev/null 2>&1",
		path_in("key.pem"), path_in("resigned.xml"),
		path_in("xpath.xml")), 0);
	read_in(&sig, "resigned.xml");
	tamper(&sig, "FA/SIGTF-3388125147/11/2025",
		     "FA/SIGTF-9999999999/11/2025");
	write_in("resigned.xml", &sig);
	/* The attack works on a verifier that allows XPath... */
	assert_int_equal(xmlsec1_verify("resigned.xml", "cert.pem"), 0);
	/* ...and not on ours. */
	assert_int_equal(ksef_upo_verify(sig.ptr, sig.size, fx.cert.ptr,
					 fx.cert.size, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "transform is disabled (xpath)"));
	ksef_buf_dispose(&sig);
}

/* ---- the signer --------------------------------------------------------- */

static void signer_refuses_bad_keys_and_certificates(void **state)
{
	ksef_buf enc = KSEF_BUF_INIT, small = KSEF_BUF_INIT;
	ksef_buf small_cert = KSEF_BUF_INIT, ec = KSEF_BUF_INIT;
	ksef_buf ec_cert = KSEF_BUF_INIT, pub = KSEF_BUF_INIT;
	ksef_upo_signer *s = (ksef_upo_signer *)&s;
	ksef_error err;

	(void)state;
	assert_int_equal(ts_system("cd '%s' && openssl genpkey -algorithm RSA "
		"-pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:secret -out "
		"enc.pem 2>/dev/null && openssl req -x509 -newkey rsa:1024 "
		"-nodes -keyout small.pem -out small-cert.pem -subj /CN=small "
		">/dev/null 2>&1 && openssl req -x509 -newkey ec -pkeyopt "
		"ec_paramgen_curve:P-256 -nodes -keyout ec.pem -out "
		"ec-cert.pem -subj /CN=ec >/dev/null 2>&1 && openssl pkey -in "
		"key.pem -pubout -out pub.pem 2>/dev/null", fx.dir), 0);
	read_in(&enc, "enc.pem");
	read_in(&small, "small.pem");
	read_in(&small_cert, "small-cert.pem");
	read_in(&ec, "ec.pem");
	read_in(&ec_cert, "ec-cert.pem");
	read_in(&pub, "pub.pem");

	assert_int_equal(ksef_upo_signer_new(&s, "junk", 4, fx.cert.ptr,
					     fx.cert.size, &err), KSEF_EPARSE);
	assert_null(s);
	assert_int_equal(ksef_upo_signer_new(&s, (const char *)enc.ptr,
		enc.size, fx.cert.ptr, fx.cert.size, &err), KSEF_EPARSE);
	assert_int_equal(ksef_upo_signer_new(&s, (const char *)pub.ptr,
		pub.size, fx.cert.ptr, fx.cert.size, &err), KSEF_EPARSE);
	assert_int_equal(ksef_upo_signer_new(&s, (const char *)small.ptr,
		small.size, small_cert.ptr, small_cert.size, &err),
		KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "2048"));
	assert_int_equal(ksef_upo_signer_new(&s, (const char *)ec.ptr,
		ec.size, ec_cert.ptr, ec_cert.size, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "RSA"));
	assert_int_equal(ksef_upo_signer_new(&s, (const char *)fx.key.ptr,
		fx.key.size, fx.cert2.ptr, fx.cert2.size, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "does not match"));
	assert_int_equal(ksef_upo_signer_new(&s, (const char *)fx.key.ptr,
		fx.key.size, (const unsigned char *)"junk", 4, &err),
		KSEF_EPARSE);
	assert_int_equal(ksef_upo_signer_new(&s, (const char *)fx.key.ptr,
		fx.key.size, fx.cert.ptr, KSEF_CERT_MAX_BYTES + 1, &err),
		KSEF_ETOOBIG);
	assert_int_equal(ksef_upo_signer_new(&s, (const char *)fx.key.ptr,
		KSEF_CERT_MAX_BYTES + 1, fx.cert.ptr, fx.cert.size, &err),
		KSEF_ETOOBIG);
	assert_int_equal(ksef_upo_signer_new(&s, NULL, 0, fx.cert.ptr,
		fx.cert.size, &err), KSEF_EPARSE);
	assert_int_equal(ksef_upo_signer_new(NULL, (const char *)fx.key.ptr,
		fx.key.size, fx.cert.ptr, fx.cert.size, &err), KSEF_EINVAL);
	assert_null(s);
	ksef_upo_signer_free(NULL);
	ksef_buf_dispose(&enc);
	ksef_buf_dispose(&small);
	ksef_buf_dispose(&small_cert);
	ksef_buf_dispose(&ec);
	ksef_buf_dispose(&ec_cert);
	ksef_buf_dispose(&pub);
}

#define THREADS 4
#define ROUNDS 3

static void *sign_and_verify_loop(void *arg)
{
	ksef_upo_desc *desc = arg;
	ksef_buf sig = KSEF_BUF_INIT;
	ksef_error err;
	intptr_t failures = 0;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		if (ksef_upo_build_signed(&sig, desc, fx.signer, NULL, &err) ||
		    ksef_upo_verify(sig.ptr, sig.size, fx.cert.ptr,
				    fx.cert.size, &err))
			failures++;
		ksef_buf_dispose(&sig);
	}
	return (void *)failures;
}

static void one_signer_signs_from_several_threads_at_once(void **state)
{
	pthread_t t[THREADS];
	ksef_upo_desc desc;
	void *failures;
	int i;

	(void)state;
	sample(&desc, 3, 1);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL,
			sign_and_verify_loop, &desc), 0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &failures), 0);
		assert_null(failures);
	}
}

/*
 * xmlSecInit() puts its own entity loader in place of the one xml.c
 * installs; the library's must still be in force after signing, and the
 * FA schemas' imports of their base types must still resolve.
 */
static void xmlsec_leaves_the_library_entity_loader_in_place(void **state)
{
	ksef_schemas *schemas = NULL;
	ksef_error err;

	(void)state;
	assert_non_null(fx.signer); /* xmlsec is initialised by now */
	assert_true(xmlGetExternalEntityLoader() == fx.loader);
	assert_int_equal(ksef_schemas_new(&schemas, ts_schema_dir_or_skip(),
					  &err), 0);
	if (ksef_schemas_compile(schemas, KSEF_FORM_FA3, &err) != 0)
		fail_msg("FA (3) does not compile: %s", err.message);
	ksef_schemas_free(schemas);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build_refuses_null_arguments),
		cmocka_unit_test(build_refuses_zero_and_more_than_10000_documents),
		cmocka_unit_test(build_refuses_a_null_document_pointer),
		cmocka_unit_test(build_refuses_values_the_schema_refuses),
		cmocka_unit_test(build_refuses_lengths_over_the_schema_limits),
		cmocka_unit_test(build_refuses_dates_before_the_schema_minimum),
		cmocka_unit_test(build_refuses_a_page_whose_numbers_do_not_add_up),
		cmocka_unit_test(build_refuses_unknown_enum_values),
		cmocka_unit_test(build_refuses_a_ksef_number_listed_twice),
		cmocka_unit_test(accepts_exactly_the_context_ids_the_xsd_accepts),
		cmocka_unit_test(reproduces_each_official_example_byte_for_byte),
		cmocka_unit_test(per_invoice_upo_validates_and_has_no_page),
		cmocka_unit_test(
			session_page_of_three_documents_validates_in_schema_order),
		cmocka_unit_test(token_authentication_and_other_forms_validate),
		cmocka_unit_test(
			suffixed_receiver_name_is_written_but_breaks_the_fixed_value),
		cmocka_unit_test(
			escapes_xml_special_characters_and_they_round_trip),
		cmocka_unit_test(
			signature_is_the_last_child_in_the_xades_bes_shape),
		cmocka_unit_test(
			removing_the_signature_gives_back_the_valid_unsigned_upo),
		cmocka_unit_test(
			a_full_page_of_10000_documents_builds_signs_and_validates),
		cmocka_unit_test(signing_built_bytes_equals_building_signed),
		cmocka_unit_test(sign_refuses_a_signed_upo_and_other_documents),
		cmocka_unit_test(xmlsec1_command_verifies_the_signature),
		cmocka_unit_test(
			digests_and_signature_value_match_xmllint_and_openssl),
		cmocka_unit_test(verify_accepts_what_the_signer_made),
		cmocka_unit_test(
			changing_one_digit_of_a_ksef_number_breaks_the_signature),
		cmocka_unit_test(changing_the_signing_time_breaks_the_signature),
		cmocka_unit_test(a_different_certificate_fails_verification),
		cmocka_unit_test(
			verify_trusts_the_callers_certificate_not_keyinfo),
		cmocka_unit_test(
			verify_refuses_unsigned_malformed_and_foreign_documents),
		cmocka_unit_test(verify_refuses_a_signature_that_is_not_last),
		cmocka_unit_test(
			verify_refuses_a_signature_that_skips_the_document),
		cmocka_unit_test(
			verify_refuses_an_xpath_transform_that_hides_content),
		cmocka_unit_test(signer_refuses_bad_keys_and_certificates),
		cmocka_unit_test(one_signer_signs_from_several_threads_at_once),
		cmocka_unit_test(xmlsec_leaves_the_library_entity_loader_in_place),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
