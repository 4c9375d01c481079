/*
 * invoice_html.c - owns the rendering of an FA (3) invoice as HTML for the
 * read-only console (invoice_html.h): the compiled stylesheet, the
 * parse of the invoice for it, and the libxslt settings of every
 * transform. What the HTML shows, and how, belongs to invoice_html.xsl;
 * the console's pages, CSS and HTTP side belong to console*.c.
 *
 * DESIGN
 *
 * The stylesheet is the project's own, written from the FA (3) schema,
 * and compiled into ksefd (cmake/embed.cmake makes a C array of it at
 * build time), so ksefd reads no data file to render and nobody can swap
 * the stylesheet on disk. It is compiled once (invoice_html_init(), or the
 * first render) and then shared read-only: libxslt allows one compiled
 * stylesheet to serve many threads as long as each transform has its own
 * transform context, which each render creates and frees.
 *
 * The invoice is untrusted: a client wrote it. So:
 *  - It is bounded by length before anything reads it
 *    (INVOICE_HTML_MAX_BYTES, the largest invoice ksefd stores).
 *  - libksef's ksef_form_detect() reads it first. That is the library's
 *    one safe parser, with the pre-scan that bounds the attributes,
 *    namespaces and name lengths on which libxml2 would spend superlinear
 *    time (limits.h), the refusal of any DOCTYPE, and the form check: the
 *    root must be Faktura in FA (3)'s namespace
 *    (http://crd.gov.pl/wzor/2025/06/25/13775/, as the schema's
 *    targetNamespace and the official samples have it), else KSEF_EFORMAT.
 *  - Its tree is then parsed here, from the same bytes with the same
 *    options as the library's: XML_PARSE_NONET; never NOENT (entity
 *    substitution), DTDLOAD, DTDATTR (attribute defaults from a DTD),
 *    XINCLUDE or HUGE; the DOCTYPE refused again at the SAX level, before
 *    any declaration in it is read; the bytes read as UTF-8 whatever the
 *    prolog claims (IGNORE_ENC), as the pre-scan read them; libxml2's
 *    default depth limit (256, KSEF_XML_MAX_DEPTH) holds, since HUGE is
 *    off. A second parse costs a few milliseconds on a large invoice,
 *    which a person's page view can afford; in exchange no bound of the
 *    library's has to be copied here.
 *  - The transform gets security preferences that forbid all five things
 *    libxslt can be asked to do outside the documents in hand: read a
 *    file, write a file, create a directory, read from or write to the
 *    network. Our stylesheet asks for none of them (no document(), no
 *    xsl:import or xsl:include, no EXSLT, whose exsl:document writes
 *    files and which is never registered here), so the preferences only
 *    matter if a defect or a future edit of the stylesheet asks.
 *  - libxslt's recursion bounds stay at their defaults, xsltMaxDepth
 *    (3000 nested templates) and xsltMaxVars (15000 variables), which the
 *    transform context copies when it is made. The stylesheet nests a few
 *    templates per level of the invoice, which libxml2 caps at 256
 *    levels, and walks only child paths, so its work grows with the
 *    invoice's size; the defaults are only a backstop.
 *  - Every value reaches the HTML through xsl:value-of as a text node, and
 *    libxml2's HTML serializer escapes it (&, <, >); nothing uses
 *    disable-output-escaping, no value goes into an attribute (so none
 *    into href, src or style), and no <script> or <style> element, whose
 *    text the serializer would not escape, is ever made.
 *
 * Errors of the transform go to the caller's ksef_error, never to stderr.
 * libxml2's and libxslt's process-wide state is left alone at cleanup:
 * as libksef does (global.c), xmlCleanupParser() and xsltCleanupGlobals()
 * are not called, since another part of the process may still use them.
 */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/transform.h>
#include <libxslt/security.h>
#include <libxslt/xsltutils.h>
#include "ksef/invoice.h"
#include "invoice_html.h"

_Static_assert(INVOICE_HTML_MAX_BYTES <= INT_MAX, "libxml2 takes an int");

/*
 * The longest fragment handed back. Each invoice element the stylesheet
 * shows gains a fixed amount of markup (a label, a table cell); the most
 * for the fewest input bytes is a repeated short element, such as
 * <WZ>x</WZ> becoming <dt>Goods issue note (WZ)</dt><dd>x</dd>, under
 * five times its size. Sixteen times the largest input leaves room for
 * every real invoice and still bounds what one request can make.
 */
#define HTML_MAX_BYTES ((size_t)INVOICE_HTML_MAX_BYTES * 16)

/* The stylesheet's bytes, generated from invoice_html.xsl at build time. */
extern const unsigned char invoice_html_xsl[];
extern const size_t invoice_html_xsl_len;

/* Set by init and cleanup under the lock; read under it by render. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static xsltStylesheetPtr style;
static xsltSecurityPrefsPtr prefs;

/* Every option xsltSecurityOption has: all of them are refused. */
static const xsltSecurityOption forbidden[] = {
	XSLT_SECPREF_READ_FILE,
	XSLT_SECPREF_WRITE_FILE,
	XSLT_SECPREF_CREATE_DIRECTORY,
	XSLT_SECPREF_READ_NETWORK,
	XSLT_SECPREF_WRITE_NETWORK,
};

static int init_locked(ksef_error *err)
{
	xsltSecurityPrefsPtr sec = NULL;
	xsltStylesheetPtr st = NULL;
	xmlDoc *doc = NULL;
	size_t i;

	if (style != NULL)
		return 0;
	sec = xsltNewSecurityPrefs();
	if (sec == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		if (xsltSetSecurityPrefs(sec, forbidden[i],
					 xsltSecurityForbid) != 0) {
			xsltFreeSecurityPrefs(sec);
			return ksef_error_set(err, KSEF_ENOMEM,
				"cannot set libxslt's security preferences");
		}
	}
	/* Our own bytes, but parsed as carefully as any: no network, no
	 * entities; libxslt reads them as a stylesheet only if well-formed. */
	doc = xmlReadMemory((const char *)invoice_html_xsl,
		(int)invoice_html_xsl_len, "invoice_html.xsl", NULL,
		XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc != NULL)
		st = xsltParseStylesheetDoc(doc);
	if (st == NULL) {
		/* On failure libxslt leaves the document to us. */
		xmlFreeDoc(doc);
		xsltFreeSecurityPrefs(sec);
		return ksef_error_set(err, KSEF_ESCHEMA, "the built-in invoice "
			"stylesheet (invoice_html.xsl) does not compile");
	}
	style = st; /* owns doc now */
	prefs = sec;
	return 0;
}

int invoice_html_init(ksef_error *err)
{
	int error;

	pthread_mutex_lock(&lock);
	error = init_locked(err);
	pthread_mutex_unlock(&lock);
	return error;
}

void invoice_html_cleanup(void)
{
	pthread_mutex_lock(&lock);
	xsltFreeStylesheet(style);
	xsltFreeSecurityPrefs(prefs);
	style = NULL;
	prefs = NULL;
	pthread_mutex_unlock(&lock);
}

/* Stop at the DOCTYPE: none of its declarations is read, whatever this
 * libxml2 version's defaults are (xml.c in libksef does the same). */
static void refuse_doctype(void *ctx, const xmlChar *name,
			   const xmlChar *external_id, const xmlChar *system_id)
{
	(void)name;
	(void)external_id;
	(void)system_id;
	xmlStopParser((xmlParserCtxt *)ctx);
}

/* The invoice's tree, parsed as the header comment says. The bytes were
 * already accepted by ksef_form_detect(), so a failure here is rare. */
static int parse(xmlDoc **out, const unsigned char *xml, size_t len,
		 ksef_error *err)
{
	xmlParserCtxt *ctxt;
	xmlDoc *doc;
	int error = 0;

	*out = NULL;
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	ctxt->sax->internalSubset = refuse_doctype;
	doc = xmlCtxtReadMemory(ctxt, len ? (const char *)xml : "", (int)len,
		NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR |
		XML_PARSE_NOWARNING | XML_PARSE_NOCDATA |
		XML_PARSE_IGNORE_ENC);
	if (ctxt->errNo == XML_ERR_USER_STOP ||
	    (doc != NULL && doc->intSubset != NULL))
		error = ksef_error_set(err, KSEF_EPARSE, "document has a "
			"DOCTYPE; DTDs are not accepted");
	else if (doc == NULL || !ctxt->wellFormed)
		error = ksef_error_set(err, KSEF_EPARSE,
			"document is not well-formed XML");
	if (error == 0) {
		*out = doc;
		doc = NULL; /* the caller's now */
	}
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return error;
}

/* Whether the root is FA (3)'s Faktura; ksef_form_detect() said so of the
 * same bytes, and the stylesheet matches nothing else. */
static int is_fa3(xmlDoc *doc)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	const char *ns = ksef_form_namespace(KSEF_FORM_FA3);

	return root != NULL && root->ns != NULL && ns != NULL &&
	       strcmp((const char *)root->name, "Faktura") == 0 &&
	       strcmp((const char *)root->ns->href, ns) == 0;
}

/* The first error libxslt reports during a transform, one line of it. */
struct transform_errors {
	char first[160];
};

static void KSEF_PRINTF(2, 3) note_transform_error(void *ctx,
						    const char *fmt, ...)
{
	struct transform_errors *te = ctx;
	va_list ap;
	char *nl;

	if (te == NULL || te->first[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(te->first, sizeof(te->first), fmt, ap);
	va_end(ap);
	if ((nl = strchr(te->first, '\n')) != NULL)
		*nl = '\0';
	if (te->first[0] == '\0')
		snprintf(te->first, sizeof(te->first), "unknown error");
}

/* Apply the stylesheet to doc, with this call's own transform context. */
static int transform(ksef_buf *html, xsltStylesheetPtr st,
		     xsltSecurityPrefsPtr sec, xmlDoc *doc, ksef_error *err)
{
	struct transform_errors te = { "" };
	xsltTransformContextPtr tctxt;
	xmlDoc *res = NULL;
	xmlChar *text = NULL;
	int text_len = 0, error = 0;

	tctxt = xsltNewTransformContext(st, doc);
	if (tctxt == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	if (xsltSetCtxtSecurityPrefs(sec, tctxt) != 0) {
		error = ksef_error_set(err, KSEF_ENOMEM,
			"cannot set the transform's security preferences");
		goto done;
	}
	xsltSetTransformErrorFunc(tctxt, &te, note_transform_error);
	res = xsltApplyStylesheetUser(st, doc, NULL, NULL, NULL, tctxt);
	if (res == NULL || tctxt->state != XSLT_STATE_OK) {
		error = ksef_error_set(err, KSEF_ESCHEMA, "rendering the "
			"invoice failed: %s", te.first[0] ? te.first :
			"libxslt gave no result");
		goto done;
	}
	if (xsltSaveResultToString(&text, &text_len, res, st) != 0 ||
	    text == NULL || text_len <= 0) {
		error = ksef_error_set(err, KSEF_ENOMEM,
			"cannot serialize the rendered invoice");
		goto done;
	}
	error = ksef_buf_append(html, text, (size_t)text_len, HTML_MAX_BYTES);
	if (error == KSEF_ETOOBIG)
		ksef_error_set(err, error, "the rendered invoice is over "
			"%zu bytes", HTML_MAX_BYTES);
	else if (error < 0)
		ksef_error_set(err, error, "out of memory");
done:
	xmlFree(text);
	xmlFreeDoc(res);
	xsltFreeTransformContext(tctxt);
	return error;
}

int invoice_html_render(const unsigned char *xml, size_t len, ksef_buf *html,
			ksef_error *err)
{
	ksef_buf out = KSEF_BUF_INIT;
	xsltStylesheetPtr st;
	xsltSecurityPrefsPtr sec;
	xmlDoc *doc = NULL;
	ksef_form form;
	int error;

	if (xml == NULL || html == NULL)
		return ksef_error_set(err, KSEF_EINVAL,
			"rendering needs a document and a buffer");
	if (len > INVOICE_HTML_MAX_BYTES)
		return ksef_error_set(err, KSEF_ETOOBIG, "invoice is %zu "
			"bytes, over INVOICE_HTML_MAX_BYTES (%d)", len,
			INVOICE_HTML_MAX_BYTES);
	error = ksef_form_detect(&form, xml, len, err);
	if (error == KSEF_ENOTFOUND)
		return ksef_error_set(err, KSEF_EFORMAT, "not an FA (3) "
			"invoice: the root element is not Faktura in the "
			"FA (3) namespace");
	if (error < 0)
		return error;
	if (form != KSEF_FORM_FA3)
		return ksef_error_set(err, KSEF_EFORMAT, "not an FA (3) "
			"invoice: the document is of form %s",
			ksef_form_code_of(form).system_code);

	pthread_mutex_lock(&lock);
	error = init_locked(err);
	st = style;
	sec = prefs;
	pthread_mutex_unlock(&lock);
	if (error < 0)
		return error;

	if ((error = parse(&doc, xml, len, err)) < 0)
		return error;
	if (!is_fa3(doc))
		error = ksef_error_set(err, KSEF_EFORMAT, "not an FA (3) "
			"invoice: the root element is not Faktura in the "
			"FA (3) namespace");
	else
		error = transform(&out, st, sec, doc, err);
	xmlFreeDoc(doc);
	if (error < 0) {
		ksef_buf_dispose(&out);
		return error;
	}
	ksef_buf_dispose(html);
	*html = out;
	return 0;
}
