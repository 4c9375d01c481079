/*
 * xml.c - turns untrusted bytes into a libxml2 tree. It owns the parser
 * options, the refusal of DTDs and the process-wide entity loader: no other
 * file calls xmlRead*() or xmlCtxtRead*(). Schema validation belongs to
 * xsd.c, the invoice rules to invoice.c.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlIO.h>
#include <libxml/SAX2.h>
#include "ksef/limits.h"
#include "alloc.h"
#include "budget.h"
#include "internal.h"
#include "xml.h"

_Static_assert(KSEF_INVOICE_MAX_BYTES <= INT_MAX, "libxml2 takes an int");

/* The base types every FA schema imports by absolute URL; their local
 * copies live in FA/bazowe/ of the schema folder (SCHEMAS.md). */
static const char crd_base_url[] =
	"http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/";

static xmlExternalEntityLoader default_loader;
static _Thread_local const char *loader_schema_dir;

void ksef__xml_set_schema_dir(const char *schema_dir)
{
	loader_schema_dir = schema_dir;
}

/*
 * Every external resource libxml2 wants goes through here. Invoices never
 * need one (they have no DTD and schemas are compiled separately), so
 * outside schema compilation everything is refused. During compilation,
 * the crd.gov.pl base-type URLs map to local files and other local files
 * (relative includes) load as usual; any other URL is refused, so the
 * network is never touched whatever a schema says.
 */
static xmlParserInputPtr ksef_loader(const char *url, const char *id,
				     xmlParserCtxtPtr ctxt)
{
	char path[4096];
	const char *name;
	size_t n = sizeof(crd_base_url) - 1;

	if (loader_schema_dir == NULL || url == NULL)
		goto refuse;
	if (strncmp(url, crd_base_url, n) == 0) {
		name = url + n;
		/* Only a plain file name: no way up or sideways. */
		if (*name == '\0' || strchr(name, '/') || strstr(name, ".."))
			goto refuse;
		if (snprintf(path, sizeof(path), "%s/FA/bazowe/%s",
			     loader_schema_dir, name) >= (int)sizeof(path))
			goto refuse;
		return xmlNewInputFromFile(ctxt, path);
	}
	if (strstr(url, "://") != NULL && strncmp(url, "file://", 7) != 0)
		goto refuse;
	return default_loader ? default_loader(url, id, ctxt) : NULL;
refuse:
	(void)ctxt;
	return NULL;
}

void ksef__xml_install_loader(void)
{
	if (default_loader == NULL)
		default_loader = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(ksef_loader);
}

void ksef__xml_uninstall_loader(void)
{
	if (default_loader != NULL)
		xmlSetExternalEntityLoader(default_loader);
	default_loader = NULL;
}

/* Parse state the SAX hooks reach through ctxt->_private. */
struct parse_state {
	ksef__xml_facts facts;
	int first_line;         /* line of the first error */
	char first[200];        /* its message; later errors are consequences */
	const ksef__budget *budget; /* NULL: none */
	unsigned elements;      /* start tags seen, for the budget's pace */
	int over_budget;        /* the parse stopped for it */
};

/*
 * No invoice schema uses a DTD, and DTDs are where entity expansion and
 * external entities live. Stopping at the DOCTYPE means none of its
 * declarations is read, whatever this libxml2 version's defaults are.
 */
static void refuse_doctype(void *ctx, const xmlChar *name,
			   const xmlChar *external_id, const xmlChar *system_id)
{
	(void)name; (void)external_id; (void)system_id;
	xmlStopParser((xmlParserCtxt *)ctx);
}

/* KSeF refuses processing instructions; keep them out of the tree and
 * remember the first one so the caller can say where it was. */
static void note_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	xmlParserCtxt *ctxt = ctx;
	struct parse_state *st = ctxt->_private;
	ksef__xml_facts *facts = st ? &st->facts : NULL;

	(void)target; (void)data;
	if (facts != NULL && !facts->has_pi) {
		facts->has_pi = 1;
		facts->pi_line = xmlSAX2GetLineNumber(ctxt);
	}
}

/*
 * With a CPU budget, every 64th start tag asks the clock whether the parse
 * may go on; past the budget it stops as a DOCTYPE does. The pre-scan
 * bounds what happens between two asks (attributes, names, namespaces).
 */
enum { BUDGET_PACE = 64 };

static void start_element_budgeted(void *ctx, const xmlChar *localname,
	const xmlChar *prefix, const xmlChar *uri, int nb_namespaces,
	const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
	const xmlChar **attributes)
{
	xmlParserCtxt *ctxt = ctx;
	struct parse_state *st = ctxt->_private;

	if (++st->elements % BUDGET_PACE == 0 &&
	    ksef__budget_spent(st->budget)) {
		st->over_budget = 1;
		xmlStopParser(ctxt);
		return;
	}
	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces,
			      namespaces, nb_attributes, nb_defaulted,
			      attributes);
}

/* libxml2 reports every error, and the last is often only "premature end
 * of data"; the first is the one a person can act on. */
static void note_error(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxt *ctxt = ctx;
	struct parse_state *st = ctxt ? ctxt->_private : NULL;
	size_t n;

	if (st == NULL || e == NULL || e->level < XML_ERR_ERROR ||
	    st->first[0] != '\0')
		return;
	snprintf(st->first, sizeof(st->first), "%s",
		 e->message ? e->message : "unknown error");
	n = strlen(st->first);
	while (n > 0 && (st->first[n - 1] == '\n' || st->first[n - 1] == ' '))
		st->first[--n] = '\0';
	st->first_line = e->line;
}

/*
 * The pre-scan: one linear pass over the bytes that bounds what libxml2
 * would do superlinear work on, before it sees a byte (the limits and
 * their reasons are in limits.h). It only counts: start tags, their
 * attributes and namespace declarations, and name lengths,
 * stepping over comments, CDATA, processing instructions and quoted
 * values. Depth needs no scan: libxml2 stops at 256 levels in linear
 * time (KSEF_XML_MAX_DEPTH; xml_test pins it). Whatever it cannot follow (malformed markup, a DOCTYPE) it
 * leaves to the parser, which refuses it. It reads the bytes as the
 * parser does: as UTF-8, whatever the prolog says (XML_PARSE_IGNORE_ENC
 * below), so a declared EBCDIC cannot hide markup from it.
 */
struct scan {
	const unsigned char *p;
	size_t len, i;
};

static int scan_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The first needle[0..n) in p[0..len), or NULL; n is at most 3 here, so
 * this stays linear. */
static const unsigned char *find(const unsigned char *p, size_t len,
				 const char *needle, size_t n)
{
	while (len >= n) {
		const unsigned char *c = memchr(p, needle[0], len - n + 1);

		if (c == NULL)
			return NULL;
		if (memcmp(c, needle, n) == 0)
			return c;
		len -= (size_t)(c - p) + 1;
		p = c + 1;
	}
	return NULL;
}

/* Move past the next occurrence of `end`; 0 if there is none. */
static int scan_past(struct scan *s, const char *end)
{
	size_t n = strlen(end);
	const unsigned char *hit = s->i <= s->len ?
		find(s->p + s->i, s->len - s->i, end, n) : NULL;

	if (hit == NULL)
		return 0;
	s->i = (size_t)(hit - s->p) + n;
	return 1;
}

static int scan_starts(const struct scan *s, const char *what)
{
	size_t n = strlen(what);

	return s->len - s->i >= n && memcmp(s->p + s->i, what, n) == 0;
}

/* A name: up to white space, '=', '/', '>' or the end; its length. */
static size_t scan_name(struct scan *s)
{
	size_t start = s->i;

	while (s->i < s->len && !scan_is_space(s->p[s->i]) &&
	       s->p[s->i] != '=' && s->p[s->i] != '/' && s->p[s->i] != '>')
		s->i++;
	return s->i - start;
}

static int scan_line(const struct scan *s)
{
	size_t k;
	int line = 1;

	for (k = 0; k < s->i && k < s->len; k++)
		if (s->p[k] == '\n')
			line++;
	return line;
}

static int prescan(const unsigned char *data, size_t len, ksef_error *err)
{
	struct scan s = { data, len, 0 };
	size_t namespaces = 0, attrs, n, name_at;

	for (;;) {
		const unsigned char *lt = s.i < len ?
			memchr(data + s.i, '<', len - s.i) : NULL;

		if (lt == NULL)
			return 0;
		s.i = (size_t)(lt - data);
		if (scan_starts(&s, "<!--")) {
			if (!scan_past(&s, "-->"))
				return 0;
			continue;
		}
		if (scan_starts(&s, "<![CDATA[")) {
			if (!scan_past(&s, "]]>"))
				return 0;
			continue;
		}
		if (scan_starts(&s, "<?")) {
			if (!scan_past(&s, "?>"))
				return 0;
			continue;
		}
		if (scan_starts(&s, "<!"))
			return 0; /* a DOCTYPE: the parser refuses it */
		if (scan_starts(&s, "</")) {
			if (!scan_past(&s, ">"))
				return 0;
			continue;
		}
		/* A start tag. */
		s.i++;
		name_at = s.i;
		if ((n = scan_name(&s)) > KSEF_XML_MAX_NAME)
			goto long_name;
		for (attrs = 0;;) {
			while (s.i < len && scan_is_space(data[s.i]))
				s.i++;
			if (s.i >= len)
				return 0;
			if (data[s.i] == '>') {
				s.i++;
				break;
			}
			if (scan_starts(&s, "/>")) {
				s.i += 2;
				break;
			}
			name_at = s.i;
			if ((n = scan_name(&s)) > KSEF_XML_MAX_NAME)
				goto long_name;
			if (n == 0)
				return 0; /* malformed: the parser says so */
			if (++attrs > KSEF_XML_MAX_ATTRIBUTES)
				return ksef__error_set_line(err, KSEF_ETOOBIG,
					scan_line(&s), "an element has more "
					"than %d attributes "
					"(KSEF_XML_MAX_ATTRIBUTES)",
					KSEF_XML_MAX_ATTRIBUTES);
			if ((n == 5 || (n > 5 && data[name_at + 5] == ':')) &&
			    memcmp(data + name_at, "xmlns", 5) == 0 &&
			    ++namespaces > KSEF_XML_MAX_NAMESPACES)
				return ksef__error_set_line(err, KSEF_ETOOBIG,
					scan_line(&s), "the document declares "
					"more than %d namespaces "
					"(KSEF_XML_MAX_NAMESPACES)",
					KSEF_XML_MAX_NAMESPACES);
			while (s.i < len && scan_is_space(data[s.i]))
				s.i++;
			if (s.i >= len || data[s.i] != '=')
				return 0;
			s.i++;
			while (s.i < len && scan_is_space(data[s.i]))
				s.i++;
			if (s.i >= len ||
			    (data[s.i] != '"' && data[s.i] != '\''))
				return 0;
			s.i++;
			if (!scan_past(&s, data[s.i - 1] == '"' ? "\"" : "'"))
				return 0;
		}
	}
long_name:
	s.i = name_at;
	return ksef__error_set_line(err, KSEF_ETOOBIG, scan_line(&s),
		"a name is longer than %d bytes (KSEF_XML_MAX_NAME)",
		KSEF_XML_MAX_NAME);
}

static int parse(xmlDoc **out, ksef__xml_facts *facts,
		 const unsigned char *data, size_t len, size_t max,
		 int extra_options, const ksef__budget *budget,
		 ksef_error *err)
{
	xmlParserCtxt *ctxt = NULL;
	xmlDoc *doc = NULL;
	struct parse_state st;
	unsigned long mark = ksef__alloc_failures();
	int error = 0;

	*out = NULL;
	/* libxml2 takes an int length; callers set their own, smaller,
	 * limits (an invoice 3 MB, a UPO page 20 MB). */
	if (max > INT_MAX)
		max = INT_MAX;
	if (len > max)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"document is %zu bytes, over the limit of %zu",
			len, max);
	if (data == NULL && len > 0)
		return ksef__error_set(err, KSEF_EINVAL, "no document bytes");
	if ((error = prescan(data, len, err)) < 0)
		return error;
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	ctxt->sax->internalSubset = refuse_doctype;
	ctxt->sax->processingInstruction = note_pi;
	memset(&st, 0, sizeof(st));
	st.budget = budget;
	if (budget != NULL && budget->limit_ns > 0)
		ctxt->sax->startElementNs = start_element_budgeted;
	ctxt->_private = &st;
	ctxt->sax->serror = note_error;
	ctxt->linenumbers = 1;

	/* NOERROR/NOWARNING: errors go to the caller, not to our stderr.
	 * NONET backs up the loader. No NOENT, DTDLOAD, DTDATTR, XINCLUDE or
	 * HUGE: each would widen what an attacker's document can make us do.
	 * The parse is done as UTF-8 whatever the prolog claims (IGNORE_ENC),
	 * as the pre-scan read it; invoice.c refuses other encodings before
	 * this is reached. */
	doc = xmlCtxtReadMemory(ctxt, len ? (const char *)data : "", (int)len,
		NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR |
		XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES |
		XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC | extra_options);
	if (st.over_budget) {
		error = ksef__error_set_line(err, KSEF_ETOOBIG,
			ctxt->input ? ctxt->input->line : 0,
			"parsing ran past its CPU budget");
		goto done;
	}
	if (ctxt->errNo == XML_ERR_USER_STOP) {
		error = ksef__error_set_line(err, KSEF_EPARSE,
			ctxt->input ? ctxt->input->line : 0,
			"document has a DOCTYPE; DTDs are not accepted");
		goto done;
	}
	if (doc == NULL || !ctxt->wellFormed) {
		if (st.first[0] == '\0') {
			const xmlError *x = xmlCtxtGetLastError(ctxt);

			snprintf(st.first, sizeof(st.first), "%s",
				 x && x->message ? x->message : "unknown error");
			st.first_line = x ? x->line : 0;
		}
		error = ksef__error_set_line(err, KSEF_EPARSE, st.first_line,
			"document is not well-formed XML: %s", st.first);
		error = ksef__alloc_check(error, mark, err);
		goto done;
	}
	/* libxml2 2.9 leaves out a node it could not allocate and goes
	 * on: the tree may lack what the document has. */
	if (ksef__alloc_failures() != mark) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory "
					"parsing the document");
		goto done;
	}
	if (facts != NULL)
		*facts = st.facts;
	*out = doc;
	doc = NULL; /* the caller's now */
done:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return error;
}

int ksef__xml_parse(xmlDoc **out, ksef__xml_facts *facts,
		    const unsigned char *data, size_t len, size_t max,
		    ksef_error *err)
{
	return parse(out, facts, data, len, max, 0, NULL, err);
}

/* COMPACT keeps short text in the node itself, a malloc fewer for each of
 * an invoice's hundreds of small values (about 6 % of verification's
 * CPU); libxml2 then wants the tree left as it is, which readers do. */
int ksef__xml_parse_frozen(xmlDoc **out, ksef__xml_facts *facts,
			   const unsigned char *data, size_t len, size_t max,
			   const ksef__budget *budget, ksef_error *err)
{
	return parse(out, facts, data, len, max, XML_PARSE_COMPACT, budget,
		     err);
}
