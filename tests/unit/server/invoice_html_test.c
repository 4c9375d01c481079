/*
 * invoice_html_test.c - the console's invoice view (invoice_html.c): the
 * HTML of every official FA (3) sample and of generated invoices holds
 * what their XML holds; invoice text never becomes markup; and what is
 * not a well-formed FA (3) invoice within the bound is refused.
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include "ksef/ksef.h"
#include "ksef/gen.h"
#include "invoice_html.h"

#define SELLER "5265877635"
#define FA3_NS "http://crd.gov.pl/wzor/2025/06/25/13775/"

static const char *const fa3_samples[] = {
	"ksef-samples/invoices/csharp-invoice-template-fa-3.xml",
	"ksef-samples/invoices/java-invoice-template_v3.xml",
	"ksef-samples/invoices/extra/csharp-invoice-template-fa-3-with-attachment.xml",
	"ksef-samples/invoices/extra/csharp-invoice-template-fa-3-with-custom-Subject2.xml",
	"ksef-samples/invoices/extra/csharp-invoice-template-fa-3-with-custom-Subject3.xml",
	"ksef-samples/invoices/extra/java-invoice-template-fa-3-with-custom-subject_2.xml",
	"ksef-samples/invoices/extra/java-invoice-template-fa-3-with-custom-subject_3.xml",
	"ksef-samples/invoices/extra/java-invoice_template_v3_self_invoicing.xml",
	"ksef-samples/invoices/extra/xsd-invalid/csharp-invoice-template-fa-3-with-multiple-Subject3.xml",
};

static int setup(void **state)
{
	ksef_error err;

	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	if (invoice_html_init(&err) != 0) {
		fprintf(stderr, "%s\n", err.message);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	invoice_html_cleanup();
	return 0;
}

/* A sample with its placeholders filled as the official tests fill them. */
static void load_sample(ksef_buf *buf, const char *rel)
{
	ts_read_file(buf, ts_shared_path(rel));
	ts_replace(buf, "#nip#", SELLER);
	ts_replace(buf, "#invoice_number#", "17");
	ts_replace(buf, "#invoicing_date#", "2025-09-01");
	ts_replace(buf, "#nipOdbiorca#", "1234563218");
	ts_replace(buf, "#subject2nip#", "1234563218");
	ts_replace(buf, "#selfInvocingNip#", "1234563218");
	ts_replace(buf, "#subject3IdentifierValue#", "<NIP>7010012385</NIP>");
	ts_replace(buf, "#nip_podmiot1#", SELLER);
	ts_replace(buf, "#nip_podmiot2#", "1234563218");
	ts_replace(buf, "#nip1_podmiot3#", "7010012385");
	ts_replace(buf, "#nip2_podmiot3#", "7010012385");
	ts_replace(buf, "#idwew1_podmiot3#", "7010012385-00001");
	ts_replace(buf, "#idwew2_podmiot3#", "7010012385-00002");
}

static void gen(ksef_buf *out, ksef_form form, const char *prefix,
		size_t bytes, uint64_t seed, uint64_t index)
{
	ksef_gen_options o = KSEF_GEN_OPTIONS_INIT;
	ksef_error err;

	o.form = form;
	o.seller_nip = SELLER;
	o.issue_date = "2025-09-01";
	o.number_prefix = prefix;
	o.target_bytes = bytes;
	o.seed = seed;
	if (ksef_gen_invoice(out, &o, index, &err) != 0)
		fail_msg("ksef_gen_invoice: %s", err.message);
}

static int render(const ksef_buf *xml, ksef_buf *html, ksef_error *err)
{
	return invoice_html_render(xml->ptr, xml->size, html, err);
}

/* Whether text, escaped as libxml2's HTML serializer escapes text (&, <,
 * >), is somewhere in html. */
static int has_text(const char *html, const char *text)
{
	size_t n = strlen(text), i, j = 0;
	char *want = malloc(n * 5 + 1);
	int found;

	assert_non_null(want);
	for (i = 0; i < n; i++) {
		const char *rep = text[i] == '&' ? "&amp;" :
				  text[i] == '<' ? "&lt;" :
				  text[i] == '>' ? "&gt;" : NULL;

		if (rep != NULL) {
			memcpy(want + j, rep, strlen(rep));
			j += strlen(rep);
		} else {
			want[j++] = text[i];
		}
	}
	want[j] = '\0';
	found = strstr(html, want) != NULL;
	free(want);
	return found;
}

/*
 * The shape every rendering has: one <article class="invoice"> and
 * nothing around it, and no attribute but class, whose values are the
 * stylesheet's own names (lower-case words and dashes), and a table
 * cell's colspan. So no invoice value can sit in an href, a src, a style
 * or an event handler.
 */
static void assert_fragment_shape(const char *html)
{
	const char *p, *end;
	size_t n = strlen(html);

	assert_true(strncmp(html, "<article class=\"invoice\">", 25) == 0);
	while (n > 0 && html[n - 1] == '\n')
		n--;
	assert_true(n >= 10 && strncmp(html + n - 10, "</article>", 10) == 0);
	assert_null(strstr(html, "<html"));
	assert_null(strstr(html, "<head>"));
	assert_null(strstr(html, "<head "));
	assert_null(strstr(html, "<body"));
	assert_null(strstr(html, "<!DOCTYPE"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<style"));
	for (p = strchr(html, '<'); p != NULL; p = strchr(end, '<')) {
		const char *a;

		end = strchr(p, '>');
		assert_non_null(end);
		for (a = p + 1; a < end && *a != ' '; a++)
			assert_true((*a >= 'a' && *a <= 'z') ||
				    (*a >= '0' && *a <= '9') || *a == '/');
		/* Attributes: class="..." of fixed names, colspan="<n>". */
		while (a < end) {
			if (strncmp(a, " class=\"", 8) == 0) {
				for (a += 8; *a != '"'; a++)
					assert_true((*a >= 'a' && *a <= 'z') ||
						    *a == '-' || *a == ' ');
			} else if (strncmp(a, " colspan=\"", 10) == 0) {
				for (a += 10; *a != '"'; a++)
					assert_true(*a >= '0' && *a <= '9');
			} else {
				fail_msg("an attribute other than class or "
					 "colspan: %.40s", a);
			}
			a++;
		}
		assert_ptr_equal(a, end);
	}
}

/* The texts of an XPath (f: is FA (3)'s namespace) in a trusted document,
 * one after another; calls fn on each. */
static void each_value(xmlDoc *doc, const char *path,
		       void (*fn)(const char *value, void *arg), void *arg)
{
	xmlXPathContext *x = xmlXPathNewContext(doc);
	xmlXPathObject *r;
	int i;

	assert_non_null(x);
	xmlXPathRegisterNs(x, BAD_CAST "f", BAD_CAST FA3_NS);
	r = xmlXPathEvalExpression(BAD_CAST path, x);
	assert_non_null(r);
	for (i = 0; r->nodesetval != NULL && i < r->nodesetval->nodeNr; i++) {
		xmlChar *s = xmlNodeGetContent(r->nodesetval->nodeTab[i]);

		fn((const char *)s, arg);
		xmlFree(s);
	}
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(x);
}

struct expect {
	const char *html;
	const char *what;
	int seen;
};

static void expect_shown(const char *value, void *arg)
{
	struct expect *e = arg;

	e->seen++;
	if (!has_text(e->html, value))
		fail_msg("%s \"%s\" is not in the HTML", e->what, value);
}

/* What a reader needs, as the XML holds it, is in the HTML. */
static void assert_shows_invoice(const ksef_buf *xml, const char *html)
{
	static const struct {
		const char *what, *path;
		int at_least;
	} fields[] = {
		{ "seller NIP", "/f:Faktura/f:Podmiot1/f:DaneIdentyfikacyjne/f:NIP", 1 },
		{ "seller name", "/f:Faktura/f:Podmiot1/f:DaneIdentyfikacyjne/f:Nazwa", 1 },
		{ "buyer NIP", "/f:Faktura/f:Podmiot2/f:DaneIdentyfikacyjne/f:NIP", 0 },
		{ "buyer name", "/f:Faktura/f:Podmiot2/f:DaneIdentyfikacyjne/f:Nazwa", 0 },
		{ "P_2", "/f:Faktura/f:Fa/f:P_2", 1 },
		{ "P_15", "/f:Faktura/f:Fa/f:P_15", 1 },
		{ "P_1", "/f:Faktura/f:Fa/f:P_1", 1 },
		{ "KodWaluty", "/f:Faktura/f:Fa/f:KodWaluty", 1 },
		{ "P_7", "/f:Faktura/f:Fa/f:FaWiersz/f:P_7", 0 },
		{ "P_11", "/f:Faktura/f:Fa/f:FaWiersz/f:P_11", 0 },
		{ "third party's name", "/f:Faktura/f:Podmiot3/f:DaneIdentyfikacyjne/f:Nazwa", 0 },
		{ "account", "/f:Faktura/f:Fa/f:Platnosc/f:RachunekBankowy/f:NrRB", 0 },
		{ "footer", "/f:Faktura/f:Stopka/f:Informacje/f:StopkaFaktury", 0 },
	};
	xmlDoc *doc = xmlReadMemory((const char *)xml->ptr, (int)xml->size,
				    NULL, NULL, XML_PARSE_NONET);
	size_t i;

	assert_non_null(doc);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct expect e = { html, fields[i].what, 0 };

		each_value(doc, fields[i].path, expect_shown, &e);
		if (e.seen < fields[i].at_least)
			fail_msg("the XML has no %s", fields[i].what);
	}
	xmlFreeDoc(doc);
}

static void renders_every_official_fa3_sample(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fa3_samples) / sizeof(fa3_samples[0]); i++) {
		ksef_buf xml = KSEF_BUF_INIT, html = KSEF_BUF_INIT;
		ksef_error err;

		load_sample(&xml, fa3_samples[i]);
		if (render(&xml, &html, &err) != 0)
			fail_msg("%s: %s", fa3_samples[i], err.message);
		assert_int_equal(strlen((char *)html.ptr), html.size);
		assert_fragment_shape((char *)html.ptr);
		assert_shows_invoice(&xml, (char *)html.ptr);
		ksef_buf_dispose(&xml);
		ksef_buf_dispose(&html);
	}
}

static void renders_generated_invoices_of_every_size(void **state)
{
	static const size_t sizes[] = { KSEF_GEN_MIN_BYTES, 0, 20000, 200000 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ksef_buf xml = KSEF_BUF_INIT, html = KSEF_BUF_INIT;
		ksef_error err;

		gen(&xml, KSEF_FORM_FA3, NULL, sizes[i], 42 + i, i);
		if (render(&xml, &html, &err) != 0)
			fail_msg("%zu bytes: %s", sizes[i], err.message);
		assert_fragment_shape((char *)html.ptr);
		assert_shows_invoice(&xml, (char *)html.ptr);
		ksef_buf_dispose(&xml);
		ksef_buf_dispose(&html);
	}
}

/* The sample's values that have a word for them come out as words. */
static void shows_codes_and_annotations_in_words(void **state)
{
	ksef_buf xml = KSEF_BUF_INIT, html = KSEF_BUF_INIT;
	const char *h;

	(void)state;
	load_sample(&xml, fa3_samples[0]);
	assert_int_equal(render(&xml, &html, NULL), 0);
	h = (const char *)html.ptr;
	assert_non_null(strstr(h, "FA (3), schema version 1-0E"));
	assert_non_null(strstr(h, "<dt>Kind</dt><dd>VAT invoice</dd>"));
	assert_non_null(strstr(h, "<dt>Period covered</dt><dd>2026-01-01 to 2026-02-28</dd>"));
	assert_non_null(strstr(h, "<dt>Form of payment</dt><dd>Bank transfer</dd>"));
	assert_non_null(strstr(h, "<dt>Due</dt><dd>2026-03-15</dd>"));
	assert_non_null(strstr(h, "<dt>Cash accounting (metoda kasowa)</dt><dd>No</dd>"));
	assert_non_null(strstr(h, "<dt>VAT exemption</dt><dd>No</dd>"));
	assert_non_null(strstr(h, "<dt>Margin scheme</dt><dd>No</dd>"));
	assert_non_null(strstr(h, "<th>Standard rate (23% or 22%)</th>"
		"<td class=\"amount\">43.60</td><td class=\"amount\">10.03</td>"));
	assert_non_null(strstr(h, "<th>Total due</th>"
		"<td class=\"amount\" colspan=\"3\">53.63 PLN</td>"));
	assert_non_null(strstr(h, "<td>23%</td>"));
	assert_non_null(strstr(h, "<dt>KRS (court register)</dt><dd>0000099999</dd>"));
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&html);
}

static void shows_a_third_partys_role(void **state)
{
	ksef_buf xml = KSEF_BUF_INIT, html = KSEF_BUF_INIT;

	(void)state;
	load_sample(&xml, fa3_samples[6]);
	assert_int_equal(render(&xml, &html, NULL), 0);
	assert_non_null(strstr((char *)html.ptr, "<h3>Other party</h3>"
		"<dl class=\"invoice-fields\"><dt>Role</dt><dd>"));
	assert_non_null(strstr((char *)html.ptr, "<dd>7010012385</dd>"));
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&html);
}

/* A corrective invoice says what it corrects. */
static void shows_what_a_correction_corrects(void **state)
{
	ksef_buf xml = KSEF_BUF_INIT, html = KSEF_BUF_INIT;
	const char *h;

	(void)state;
	load_sample(&xml, fa3_samples[0]);
	ts_replace(&xml, "<RodzajFaktury>VAT</RodzajFaktury>",
		"<RodzajFaktury>KOR</RodzajFaktury>"
		"<PrzyczynaKorekty>Wrong quantity</PrzyczynaKorekty>"
		"<TypKorekty>2</TypKorekty>"
		"<DaneFaKorygowanej><DataWystFaKorygowanej>2025-08-01"
		"</DataWystFaKorygowanej><NrFaKorygowanej>FA/1/08/2025"
		"</NrFaKorygowanej><NrKSeF>1</NrKSeF><NrKSeFFaKorygowanej>"
		"5265877635-20250801-0100A0B0C0D0-AB</NrKSeFFaKorygowanej>"
		"</DaneFaKorygowanej>");
	assert_int_equal(render(&xml, &html, NULL), 0);
	h = (const char *)html.ptr;
	assert_non_null(strstr(h, "<dd>Corrective invoice</dd>"));
	assert_non_null(strstr(h, "<dt>Reason</dt><dd>Wrong quantity</dd>"));
	assert_non_null(strstr(h, "On the date of this corrective invoice"));
	assert_non_null(strstr(h, "<td>2025-08-01</td><td>FA/1/08/2025</td>"
		"<td>5265877635-20250801-0100A0B0C0D0-AB</td>"));
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&html);
}

/* Names a client chose to be markup stay text, in elements, in CDATA,
 * and through the generator's own escaping of P_2. */
static void writes_markup_in_invoice_text_as_escaped_text(void **state)
{
	ksef_buf xml = KSEF_BUF_INIT, html = KSEF_BUF_INIT;
	const char *h;

	(void)state;
	load_sample(&xml, fa3_samples[0]);
	ts_replace(&xml, "<Nazwa>Elektrownia S.A.</Nazwa>",
		"<Nazwa>&lt;script&gt;alert(1)&lt;/script&gt;</Nazwa>");
	ts_replace(&xml, "<Nazwa>F.H.U. Jan Kowalski</Nazwa>",
		"<Nazwa>x\"&gt;&lt;img src=x onerror=alert(2)&gt;</Nazwa>");
	ts_replace(&xml, "<P_7>Razem za energię czynną</P_7>",
		"<P_7><![CDATA[<script>alert(3)</script>]]></P_7>");
	ts_replace(&xml, "<FormaPlatnosci>6</FormaPlatnosci>",
		"<FormaPlatnosci>6</FormaPlatnosci>"
		"<LinkDoPlatnosci>javascript:alert(4)</LinkDoPlatnosci>");
	assert_int_equal(render(&xml, &html, NULL), 0);
	h = (const char *)html.ptr;
	assert_fragment_shape(h);
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "\"><img"));
	assert_null(strstr(h, "<img"));
	assert_null(strstr(h, "href"));
	assert_non_null(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(h, "x\"&gt;&lt;img src=x onerror=alert(2)&gt;"));
	assert_non_null(strstr(h, "&lt;script&gt;alert(3)&lt;/script&gt;"));
	assert_non_null(strstr(h, "<dd>javascript:alert(4)</dd>"));
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&html);

	gen(&xml, KSEF_FORM_FA3, "<script>&\"><img", 0, 7, 1);
	assert_int_equal(render(&xml, &html, NULL), 0);
	h = (const char *)html.ptr;
	assert_fragment_shape(h);
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "\"><img"));
	assert_non_null(strstr(h, "FV/&lt;script&gt;&amp;\"&gt;&lt;img/1"));
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&html);
}

/* Every refusal leaves the caller's buffer as it was. */
static void assert_refused(const char *doc, size_t len, int code,
			   const char *message_part)
{
	ksef_buf html = KSEF_BUF_INIT;
	ksef_error err;

	assert_int_equal(ksef_buf_append(&html, "old", 3, 10), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(invoice_html_render((const unsigned char *)doc, len,
					     &html, &err), code);
	assert_int_equal(err.code, code);
	if (message_part != NULL && strstr(err.message, message_part) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err.message,
			 message_part);
	assert_int_equal(html.size, 3);
	assert_memory_equal(html.ptr, "old", 3);
	ksef_buf_dispose(&html);
}

static void refuses_empty_and_one_byte_input(void **state)
{
	(void)state;
	assert_refused("", 0, KSEF_EPARSE, "well-formed");
	assert_refused("<", 1, KSEF_EPARSE, "well-formed");
}

static void refuses_missing_arguments(void **state)
{
	ksef_buf html = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(invoice_html_render(NULL, 0, &html, NULL),
			 KSEF_EINVAL);
	assert_int_equal(invoice_html_render((const unsigned char *)"<a/>", 4,
					     NULL, NULL), KSEF_EINVAL);
	assert_null(html.ptr);
}

static void refuses_truncated_xml(void **state)
{
	ksef_buf xml = KSEF_BUF_INIT;

	(void)state;
	load_sample(&xml, fa3_samples[0]);
	assert_refused((char *)xml.ptr, xml.size / 2, KSEF_EPARSE,
		       "not well-formed");
	/* Only the last byte of the root's end tag missing. */
	while (xml.size > 0 && xml.ptr[xml.size - 1] != '>')
		xml.size--;
	assert_refused((char *)xml.ptr, xml.size - 1, KSEF_EPARSE,
		       "not well-formed");
	ksef_buf_dispose(&xml);
}

/* Each entity is ten of the one before: the classic memory bomb, and an
 * external entity that would read a local file. Both stop at the
 * DOCTYPE, before any declaration is read. */
static void refuses_a_doctype_before_reading_its_entities(void **state)
{
	static const char bomb[] =
		"<?xml version=\"1.0\"?>"
		"<!DOCTYPE Faktura [<!ENTITY a \"aaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
		"<Faktura xmlns=\"" FA3_NS "\"><Fa><P_2>&b;</P_2></Fa></Faktura>";
	static const char xxe[] =
		"<!DOCTYPE Faktura [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		"<Faktura xmlns=\"" FA3_NS "\"><Fa><P_2>&x;</P_2></Fa></Faktura>";
	static const char external_subset[] =
		"<!DOCTYPE Faktura SYSTEM \"http://127.0.0.1:9/fa.dtd\">"
		"<Faktura xmlns=\"" FA3_NS "\"/>";

	(void)state;
	assert_refused(bomb, strlen(bomb), KSEF_EPARSE, "DOCTYPE");
	assert_refused(xxe, strlen(xxe), KSEF_EPARSE, "DOCTYPE");
	assert_refused(external_subset, strlen(external_subset), KSEF_EPARSE,
		       "DOCTYPE");
}

static void refuses_an_fa2_invoice_naming_its_form(void **state)
{
	ksef_buf xml = KSEF_BUF_INIT;

	(void)state;
	gen(&xml, KSEF_FORM_FA2, NULL, 0, 1, 1);
	assert_refused((char *)xml.ptr, xml.size, KSEF_EFORMAT,
		       "not an FA (3) invoice: the document is of form FA (2)");
	ksef_buf_dispose(&xml);
}

static void refuses_a_upo_and_other_roots(void **state)
{
	static const char other_ns[] =
		"<Faktura xmlns=\"http://crd.gov.pl/wzor/2023/06/29/12648/\"/>";
	static const char no_ns[] = "<Faktura/>";
	static const char html_doc[] = "<html><body>x</body></html>";
	ksef_buf upo = KSEF_BUF_INIT;

	(void)state;
	ts_read_file(&upo, ts_shared_path("ksef-docs/faktury/upo/przyklady/"
		"v4-3/kontekst-nip/upo-faktura-kontekst-id-nip.xml"));
	assert_refused((char *)upo.ptr, upo.size, KSEF_EFORMAT,
		       "not an FA (3) invoice");
	assert_refused(no_ns, strlen(no_ns), KSEF_EFORMAT,
		       "not an FA (3) invoice");
	assert_refused(html_doc, strlen(html_doc), KSEF_EFORMAT,
		       "not an FA (3) invoice");
	/* FA (2)'s namespace, but an empty Faktura: still not FA (3). */
	assert_refused(other_ns, strlen(other_ns), KSEF_EFORMAT,
		       "not an FA (3) invoice");
	ksef_buf_dispose(&upo);
}

/* An invoice padded to exactly the bound renders; one byte more is
 * refused by its length alone (one real byte, a longer claimed length:
 * reading it would trip valgrind). */
static void renders_at_the_bound_and_refuses_one_byte_over(void **state)
{
	ksef_buf xml = KSEF_BUF_INIT, html = KSEF_BUF_INIT;
	const unsigned char one = '<';
	ksef_error err;
	size_t pad;
	char *spaces;

	(void)state;
	gen(&xml, KSEF_FORM_FA3, NULL, 0, 3, 3);
	pad = INVOICE_HTML_MAX_BYTES - xml.size;
	spaces = malloc(pad);
	assert_non_null(spaces);
	memset(spaces, '\n', pad);
	assert_int_equal(ksef_buf_append(&xml, spaces, pad,
					 INVOICE_HTML_MAX_BYTES), 0);
	free(spaces);
	assert_int_equal(xml.size, INVOICE_HTML_MAX_BYTES);
	if (render(&xml, &html, &err) != 0)
		fail_msg("at the bound: %s", err.message);
	assert_fragment_shape((char *)html.ptr);
	ksef_buf_dispose(&html);
	ksef_buf_dispose(&xml);

	assert_int_equal(invoice_html_render(&one, INVOICE_HTML_MAX_BYTES + 1,
					     &html, &err), KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "INVOICE_HTML_MAX_BYTES"));
	assert_null(html.ptr);
}

/* Rendering replaces what the buffer held. */
static void replaces_the_buffers_contents(void **state)
{
	ksef_buf xml = KSEF_BUF_INIT, html = KSEF_BUF_INIT;

	(void)state;
	load_sample(&xml, fa3_samples[1]);
	assert_int_equal(ksef_buf_append(&html, "old", 3, 10), 0);
	assert_int_equal(render(&xml, &html, NULL), 0);
	assert_fragment_shape((char *)html.ptr);
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&html);
}

/* Without invoice_html_init(), or after invoice_html_cleanup(), the first
 * render compiles the stylesheet itself. */
static void renders_after_cleanup_by_initialising_again(void **state)
{
	ksef_buf xml = KSEF_BUF_INIT, html = KSEF_BUF_INIT;

	(void)state;
	invoice_html_cleanup();
	invoice_html_cleanup(); /* twice is harmless */
	load_sample(&xml, fa3_samples[0]);
	assert_int_equal(render(&xml, &html, NULL), 0);
	assert_fragment_shape((char *)html.ptr);
	assert_int_equal(invoice_html_init(NULL), 0);
	assert_int_equal(invoice_html_init(NULL), 0);
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&html);
}

struct worker {
	pthread_t thread;
	const ksef_buf *xml;
	const ksef_buf *want;
	int failures;
};

static void *render_repeatedly(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < 4; i++) {
		ksef_buf html = KSEF_BUF_INIT;

		if (render(w->xml, &html, NULL) != 0 ||
		    html.size != w->want->size ||
		    memcmp(html.ptr, w->want->ptr, html.size) != 0)
			w->failures++;
		ksef_buf_dispose(&html);
	}
	return NULL;
}

/* One compiled stylesheet, several transforms at once: each thread gets
 * exactly what one thread alone gets. */
static void renders_from_several_threads_at_once(void **state)
{
	ksef_buf xml = KSEF_BUF_INIT, want = KSEF_BUF_INIT;
	struct worker w[4];
	size_t i;

	(void)state;
	gen(&xml, KSEF_FORM_FA3, NULL, 20000, 9, 9);
	assert_int_equal(render(&xml, &want, NULL), 0);
	for (i = 0; i < 4; i++) {
		w[i].xml = &xml;
		w[i].want = &want;
		w[i].failures = 0;
		assert_int_equal(pthread_create(&w[i].thread, NULL,
						render_repeatedly, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(w[i].thread, NULL);
		assert_int_equal(w[i].failures, 0);
	}
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refuses_missing_arguments),
		cmocka_unit_test(refuses_empty_and_one_byte_input),
		cmocka_unit_test(refuses_truncated_xml),
		cmocka_unit_test(refuses_a_doctype_before_reading_its_entities),
		cmocka_unit_test(refuses_an_fa2_invoice_naming_its_form),
		cmocka_unit_test(refuses_a_upo_and_other_roots),
		cmocka_unit_test(renders_at_the_bound_and_refuses_one_byte_over),
		cmocka_unit_test(renders_every_official_fa3_sample),
		cmocka_unit_test(renders_generated_invoices_of_every_size),
		cmocka_unit_test(shows_codes_and_annotations_in_words),
		cmocka_unit_test(shows_a_third_partys_role),
		cmocka_unit_test(shows_what_a_correction_corrects),
		cmocka_unit_test(writes_markup_in_invoice_text_as_escaped_text),
		cmocka_unit_test(replaces_the_buffers_contents),
		cmocka_unit_test(renders_after_cleanup_by_initialising_again),
		cmocka_unit_test(renders_from_several_threads_at_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
