/*
 * invoice_html.h - an accepted FA (3) invoice as readable HTML, for the
 * read-only console: one <article class="invoice"> fragment (no <html>,
 * <head> or <body>) that a page embeds and styles by its class names.
 * The stylesheet that shapes it (invoice_html.xsl) is compiled into ksefd.
 *
 * Threads: after ksef_global_init(), invoice_html_init() once before the
 * threads start (render also initialises on first use, under a lock),
 * then any number of threads may call invoice_html_render() at once;
 * invoice_html_cleanup() when none does any more.
 */
#ifndef KSEFD_INVOICE_HTML_H
#define KSEFD_INVOICE_HTML_H

#include <stddef.h>
#include "ksef/buf.h"
#include "ksef/error.h"
#include "ksef/limits.h"

/*
 * The largest document rendered, in bytes: the largest invoice ksefd
 * stores at all (an invoice with attachments, limits.h), so that every
 * accepted invoice can be shown. Above it nothing is parsed.
 */
#define INVOICE_HTML_MAX_BYTES KSEF_INVOICE_MAX_BYTES

/*
 * Compile the built-in stylesheet and the security preferences every
 * transform gets. Call once at start-up, after ksef_global_init() and
 * before the threads that render start; calling it again does nothing.
 * Returns 0, KSEF_ENOMEM, or KSEF_ESCHEMA if the stylesheet does not
 * compile (a build defect: err says so).
 */
int invoice_html_init(ksef_error *err);

/* Release what invoice_html_init() made. No render may be running; a
 * later render initialises again. */
void invoice_html_cleanup(void);

/*
 * Render an invoice's XML as an HTML fragment: one <article
 * class="invoice"> element, UTF-8, every invoice value written as escaped
 * text (never inside an attribute). The document is untrusted: it is
 * parsed without DTDs, entities or network, and the transform may read
 * or write no file and reach no network.
 *
 * @param xml   the invoice; need not end in a NUL. Borrowed for the call.
 * @param len   its length in bytes, at most INVOICE_HTML_MAX_BYTES.
 * @param html  receives the fragment, replacing what it held (NUL-ended
 *              past html->size); release it with ksef_buf_dispose().
 *              Unchanged on failure.
 * @param err   receives the reason on failure; may be NULL. The message
 *              never quotes the invoice's content.
 * @return 0; KSEF_EINVAL (xml or html NULL); KSEF_ETOOBIG (len over
 *         INVOICE_HTML_MAX_BYTES); KSEF_EPARSE (not well-formed XML, or
 *         it has a DOCTYPE); KSEF_EFORMAT (well-formed, but not an FA (3)
 *         invoice: the root is not Faktura in FA (3)'s namespace);
 *         KSEF_ESCHEMA (the stylesheet did not compile, or the transform
 *         failed); KSEF_ENOMEM.
 */
int invoice_html_render(const unsigned char *xml, size_t len, ksef_buf *html,
			ksef_error *err);

#endif
