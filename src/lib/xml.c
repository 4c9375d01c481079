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

int ksef__xml_parse(xmlDoc **out, ksef__xml_facts *facts,
		    const unsigned char *data, size_t len, size_t max,
		    ksef_error *err)
{
	xmlParserCtxt *ctxt = NULL;
	xmlDoc *doc = NULL;
	struct parse_state st;
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
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	ctxt->sax->internalSubset = refuse_doctype;
	ctxt->sax->processingInstruction = note_pi;
	memset(&st, 0, sizeof(st));
	ctxt->_private = &st;
	ctxt->sax->serror = note_error;
	ctxt->linenumbers = 1;

	/* NOERROR/NOWARNING: errors go to the caller, not to our stderr.
	 * NONET backs up the loader. No NOENT, DTDLOAD, DTDATTR, XINCLUDE or
	 * HUGE: each would widen what an attacker's document can make us do.
	 * The parse is done as UTF-8 whatever the prolog claims; invoice.c
	 * refuses other encodings before this is reached. */
	doc = xmlCtxtReadMemory(ctxt, len ? (const char *)data : "", (int)len,
		NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR |
		XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES |
		XML_PARSE_NOCDATA);
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
