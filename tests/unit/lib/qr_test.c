/*
 * qr_test.c - KOD I: the link against kody-qr.md's example byte for byte,
 * its parts read from an invoice and from a link's path, bad input
 * refused, and the PNG and SVG files drawn (tests/e2e/qr_decode.sh reads
 * the PNG back with zbarimg).
 */
#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include "ksef/gen.h"
#include "ksef/invoice.h"
#include "ksef/qr.h"

/* kody-qr.md 1, "Generowanie linku". */
#define DOC_LINK "https://qr-test.ksef.mf.gov.pl/invoice/1111111111/" \
	"01-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"
#define DOC_PATH "/invoice/1111111111/01-02-2026/" \
	"UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"

/* The example's digest, decoded with base64(1) (not with our decoder). */
static const unsigned char doc_sha[KSEF_SHA256_LEN] = {
	0x52, 0xd4, 0x29, 0xf4, 0x6a, 0x5c, 0xe7, 0x5c, 0xbe, 0xbb, 0x7c,
	0x40, 0xa5, 0x98, 0xc8, 0x8e, 0x09, 0x29, 0x67, 0x4d, 0x63, 0xb3,
	0xe2, 0x7c, 0x29, 0xf9, 0x52, 0x3d, 0x6f, 0x16, 0xcc, 0x81
};

static ksef_qr_invoice_ref doc_ref(void)
{
	ksef_qr_invoice_ref r;

	memset(&r, 0, sizeof(r));
	strcpy(r.seller_nip, "1111111111");
	r.issue_date.year = 2026;
	r.issue_date.month = 2;
	r.issue_date.day = 1;
	memcpy(r.sha256, doc_sha, sizeof(doc_sha));
	return r;
}

static void the_docs_example_link_is_built_byte_for_byte(void **state)
{
	ksef_qr_invoice_ref r = doc_ref();
	ksef_buf b = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef_qr_invoice_link(&b, KSEF_QR_BASE_TEST, &r,
					      NULL), 0);
	assert_int_equal(b.size, strlen(DOC_LINK));
	assert_memory_equal(b.ptr, DOC_LINK, b.size);
	assert_int_equal(((char *)b.ptr)[b.size], '\0');
	/* A trailing slash on the base changes nothing. */
	assert_int_equal(ksef_qr_invoice_link(&b, KSEF_QR_BASE_TEST "/", &r,
					      NULL), 0);
	assert_string_equal((char *)b.ptr, DOC_LINK);
	ksef_buf_dispose(&b);
}

static void each_environment_has_the_docs_address(void **state)
{
	ksef_qr_invoice_ref r = doc_ref();
	ksef_buf b = KSEF_BUF_INIT;

	(void)state;
	assert_string_equal(ksef_qr_env_base(KSEF_QR_ENV_TEST),
			    "https://qr-test.ksef.mf.gov.pl");
	assert_string_equal(ksef_qr_env_base(KSEF_QR_ENV_DEMO),
			    "https://qr-demo.ksef.mf.gov.pl");
	assert_string_equal(ksef_qr_env_base(KSEF_QR_ENV_PRD),
			    "https://qr.ksef.mf.gov.pl");
	assert_null(ksef_qr_env_base((ksef_qr_env)3));
	assert_int_equal(ksef_qr_invoice_link(&b,
		ksef_qr_env_base(KSEF_QR_ENV_PRD), &r, NULL), 0);
	assert_string_equal((char *)b.ptr, "https://qr.ksef.mf.gov.pl/invoice/"
		"1111111111/01-02-2026/"
		"UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE");
	ksef_buf_dispose(&b);
}

static void api_urls_map_to_their_qr_address(void **state)
{
	static const struct { const char *api, *qr; } rows[] = {
		{ "https://api-test.ksef.mf.gov.pl/v2", KSEF_QR_BASE_TEST },
		{ "https://api-demo.ksef.mf.gov.pl/v2/", KSEF_QR_BASE_DEMO },
		{ "https://api.ksef.mf.gov.pl/v2", KSEF_QR_BASE_PRD },
		{ "http://127.0.0.1:8080/v2", "http://127.0.0.1:8080" },
		{ "http://127.0.0.1:8080/v2/", "http://127.0.0.1:8080" },
		{ "https://ksef.example.com/ksef/v2",
		  "https://ksef.example.com/ksef" },
		{ "http://localhost:1", "http://localhost:1" },
	};
	ksef_buf b = KSEF_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(ksef_qr_base_for_api(&b, rows[i].api, NULL),
				 0);
		assert_string_equal((char *)b.ptr, rows[i].qr);
	}
	assert_int_equal(ksef_qr_base_for_api(&b, "ftp://x/v2", NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_qr_base_for_api(&b, NULL, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_qr_base_for_api(NULL, "http://x", NULL),
			 KSEF_EINVAL);
	/* Unchanged on failure. */
	assert_string_equal((char *)b.ptr, "http://localhost:1");
	ksef_buf_dispose(&b);
}

static void bad_link_input_is_refused(void **state)
{
	ksef_qr_invoice_ref r = doc_ref();
	ksef_buf b = KSEF_BUF_INIT;
	ksef_error err;
	char longbase[KSEF_QR_BASE_MAX + 20];

	(void)state;
	assert_int_equal(ksef_qr_invoice_link(NULL, KSEF_QR_BASE_TEST, &r,
					      NULL), KSEF_EINVAL);
	assert_int_equal(ksef_qr_invoice_link(&b, KSEF_QR_BASE_TEST, NULL,
					      NULL), KSEF_EINVAL);
	assert_int_equal(ksef_qr_invoice_link(&b, NULL, &r, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_qr_invoice_link(&b, "", &r, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_qr_invoice_link(&b, "qr-test.ksef.mf.gov.pl",
					      &r, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_qr_invoice_link(&b, "https://a b", &r, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_qr_invoice_link(&b, "https://a?x=1", &r, NULL),
			 KSEF_EINVAL);
	memset(longbase, 'a', sizeof(longbase) - 1);
	memcpy(longbase, "https://", 8);
	longbase[sizeof(longbase) - 1] = '\0';
	assert_int_equal(ksef_qr_invoice_link(&b, longbase, &r, &err),
			 KSEF_EINVAL);
	assert_non_null(strstr(err.message, "KSEF_QR_BASE_MAX"));
	strcpy(r.seller_nip, "0111111111");
	assert_int_equal(ksef_qr_invoice_link(&b, KSEF_QR_BASE_TEST, &r,
					      NULL), KSEF_EFORMAT);
	strcpy(r.seller_nip, "111111111");
	assert_int_equal(ksef_qr_invoice_link(&b, KSEF_QR_BASE_TEST, &r,
					      NULL), KSEF_EFORMAT);
	memset(r.seller_nip, '1', sizeof(r.seller_nip)); /* no NUL */
	assert_int_equal(ksef_qr_invoice_link(&b, KSEF_QR_BASE_TEST, &r,
					      NULL), KSEF_EFORMAT);
	r = doc_ref();
	r.issue_date.day = 30; /* 30 February */
	assert_int_equal(ksef_qr_invoice_link(&b, KSEF_QR_BASE_TEST, &r,
					      NULL), KSEF_EINVAL);
	assert_null(b.ptr);
}

static void a_links_path_reads_back_strictly(void **state)
{
	static const char *const bad[] = {
		"",
		"/",
		"/invoice",
		"/invoice/1111111111/01-02-2026",
		/* one character short, one long */
		"/invoice/1111111111/01-02-2026/"
		"UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzI",
		DOC_PATH "E",
		DOC_PATH "/",
		/* standard Base64 instead of Base64URL */
		"/invoice/1111111111/01-02-2026/"
		"UtQp9Gpc51y+u3xApZjIjgkpZ01js+J8KflSPW8WzIE",
		/* the last character's spare bits set: not canonical */
		"/invoice/1111111111/01-02-2026/"
		"UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIF",
		"/invoice/0111111111/01-02-2026/"
		"UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
		"/invoice/1111111111/2026-02-01/"
		"UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
		"/invoice/1111111111/30-02-2026/"
		"UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
		"/invoice/1111111111/01/02/2026/"
		"UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
		"/invoicE/1111111111/01-02-2026/"
		"UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
		"/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/"
		"UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
	};
	ksef_qr_invoice_ref r, want = doc_ref();
	size_t i;

	(void)state;
	assert_int_equal(ksef_qr_invoice_path_parse(&r, DOC_PATH,
		strlen(DOC_PATH), NULL), 0);
	assert_memory_equal(&r, &want, sizeof(r));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0x5a, sizeof(r));
		if (ksef_qr_invoice_path_parse(&r, bad[i], strlen(bad[i]),
					       NULL) != KSEF_EFORMAT)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(r.seller_nip[0], 0x5a);
	}
	assert_int_equal(ksef_qr_invoice_path_parse(NULL, DOC_PATH,
		strlen(DOC_PATH), NULL), KSEF_EINVAL);
	assert_int_equal(ksef_qr_invoice_path_parse(&r, NULL, 3, NULL),
			 KSEF_EINVAL);
}

static void links_of_any_digest_round_trip(void **state)
{
	ksef_qr_invoice_ref r = doc_ref(), back;
	ksef_buf b = KSEF_BUF_INIT;
	const char *path;
	int i, j;

	(void)state;
	for (i = 0; i < 64; i++) {
		for (j = 0; j < KSEF_SHA256_LEN; j++)
			r.sha256[j] = (unsigned char)(i * 37 + j * (i | 1));
		assert_int_equal(ksef_qr_invoice_link(&b,
			"http://127.0.0.1:1", &r, NULL), 0);
		path = strstr((char *)b.ptr, "/invoice/");
		assert_non_null(path);
		assert_int_equal(ksef_qr_invoice_path_parse(&back, path,
			strlen(path), NULL), 0);
		assert_memory_equal(&back, &r, sizeof(r));
	}
	ksef_buf_dispose(&b);
}

static void an_invoice_file_gives_its_parts(void **state)
{
	ksef_gen_options go = KSEF_GEN_OPTIONS_INIT;
	ksef_qr_invoice_ref r;
	unsigned char sha[KSEF_SHA256_LEN];
	ksef_buf xml = KSEF_BUF_INIT, link = KSEF_BUF_INIT;
	char want[200];

	(void)state;
	go.seller_nip = "5265877635";
	go.issue_date = "2026-02-01";
	go.seed = 7;
	assert_int_equal(ksef_gen_invoice(&xml, &go, 1, NULL), 0);
	assert_int_equal(ksef_qr_invoice_ref_from_xml(&r, xml.ptr, xml.size,
						      NULL), 0);
	assert_string_equal(r.seller_nip, "5265877635");
	assert_int_equal(r.issue_date.year, 2026);
	assert_int_equal(r.issue_date.month, 2);
	assert_int_equal(r.issue_date.day, 1);
	assert_int_equal(ksef_sha256(sha, xml.ptr, xml.size, NULL), 0);
	assert_memory_equal(r.sha256, sha, sizeof(sha));
	assert_int_equal(ksef_qr_invoice_link(&link, KSEF_QR_BASE_DEMO, &r,
					      NULL), 0);
	snprintf(want, sizeof(want), "%s/invoice/5265877635/01-02-2026/",
		 KSEF_QR_BASE_DEMO);
	assert_int_equal(strncmp((char *)link.ptr, want, strlen(want)), 0);
	assert_int_equal(link.size, strlen(want) + KSEF_SHA256_B64URL_LEN);
	ksef_buf_dispose(&link);
	ksef_buf_dispose(&xml);
}

static void files_without_the_parts_are_refused(void **state)
{
	static const struct { const char *xml; int code; } rows[] = {
		{ "", KSEF_EPARSE },
		{ "<", KSEF_EPARSE },
		{ "<a/>", KSEF_ENOTFOUND },
		{ "<!DOCTYPE x [<!ENTITY e 'x'>]><x/>", KSEF_EPARSE },
		/* the right root in no namespace */
		{ "<Faktura><Podmiot1><DaneIdentyfikacyjne><NIP>1111111111"
		  "</NIP></DaneIdentyfikacyjne></Podmiot1><Fa><P_1>2026-02-01"
		  "</P_1></Fa></Faktura>", KSEF_ENOTFOUND },
		{ "<Faktura xmlns=\"http://crd.gov.pl/wzor/2025/06/25/13775/\">"
		  "<Fa><P_1>2026-02-01</P_1></Fa></Faktura>", KSEF_ENOTFOUND },
		{ "<Faktura xmlns=\"http://crd.gov.pl/wzor/2025/06/25/13775/\">"
		  "<Podmiot1><DaneIdentyfikacyjne><NIP>1111111111</NIP>"
		  "</DaneIdentyfikacyjne></Podmiot1><Fa><P_1>01-02-2026</P_1>"
		  "</Fa></Faktura>", KSEF_EFORMAT },
		{ "<Faktura xmlns=\"http://crd.gov.pl/wzor/2025/06/25/13775/\">"
		  "<Podmiot1><DaneIdentyfikacyjne><NIP>0111111111</NIP>"
		  "</DaneIdentyfikacyjne></Podmiot1><Fa><P_1>2026-02-01</P_1>"
		  "</Fa></Faktura>", KSEF_EFORMAT },
		{ "<Faktura xmlns=\"http://crd.gov.pl/wzor/2025/06/25/13775/\">"
		  "<Podmiot1><DaneIdentyfikacyjne><NIP>11111111111111111111"
		  "</NIP></DaneIdentyfikacyjne></Podmiot1><Fa><P_1>2026-02-01"
		  "</P_1></Fa></Faktura>", KSEF_ENOTFOUND },
	};
	static const char ok[] =
		"<Faktura xmlns=\"http://crd.gov.pl/wzor/2025/06/25/13775/\">"
		"<Podmiot1><DaneIdentyfikacyjne><NIP> 1111111111 </NIP>"
		"</DaneIdentyfikacyjne></Podmiot1><Fa><P_1>2026-02-01</P_1>"
		"</Fa></Faktura>";
	ksef_qr_invoice_ref r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = ksef_qr_invoice_ref_from_xml(&r,
			(const unsigned char *)rows[i].xml,
			strlen(rows[i].xml), NULL);

		if (rc != rows[i].code)
			fail_msg("row %zu: %d, not %d", i, rc, rows[i].code);
	}
	assert_int_equal(ksef_qr_invoice_ref_from_xml(&r,
		(const unsigned char *)ok, strlen(ok), NULL), 0);
	assert_string_equal(r.seller_nip, "1111111111");
	assert_int_equal(ksef_qr_invoice_ref_from_xml(NULL,
		(const unsigned char *)ok, strlen(ok), NULL), KSEF_EINVAL);
	assert_int_equal(ksef_qr_invoice_ref_from_xml(&r, NULL, 5, NULL),
			 KSEF_EINVAL);
}

static void other_forms_give_their_seller_and_date(void **state)
{
	char xml[1024];
	ksef_qr_invoice_ref r;

	(void)state;
	/* PEF: the supplier's CompanyID without PL, and IssueDate. */
	snprintf(xml, sizeof(xml), "<Invoice xmlns=\"%s\" xmlns:cac=\"urn:"
		"oasis:names:specification:ubl:schema:xsd:CommonAggregate"
		"Components-2\" xmlns:cbc=\"urn:oasis:names:specification:ubl:"
		"schema:xsd:CommonBasicComponents-2\"><cbc:IssueDate>"
		"2025-06-26</cbc:IssueDate><cac:AccountingSupplierParty>"
		"<cac:Party><cac:PartyTaxScheme><cbc:CompanyID>PL5265877635"
		"</cbc:CompanyID></cac:PartyTaxScheme></cac:Party>"
		"</cac:AccountingSupplierParty></Invoice>",
		ksef_form_namespace(KSEF_FORM_PEF3));
	assert_int_equal(ksef_qr_invoice_ref_from_xml(&r,
		(const unsigned char *)xml, strlen(xml), NULL), 0);
	assert_string_equal(r.seller_nip, "5265877635");
	assert_int_equal(r.issue_date.year, 2025);
	assert_int_equal(r.issue_date.month, 6);
	assert_int_equal(r.issue_date.day, 26);
	/* FA_RR: Podmiot1's NIP, as verification reads it, and P_4B. */
	snprintf(xml, sizeof(xml), "<Faktura xmlns=\"%s\"><Podmiot1>"
		"<DaneIdentyfikacyjne><NIP>7010001454</NIP>"
		"</DaneIdentyfikacyjne></Podmiot1><FakturaRR><P_4B>2025-07-01"
		"</P_4B></FakturaRR></Faktura>",
		ksef_form_namespace(KSEF_FORM_FA_RR1));
	assert_int_equal(ksef_qr_invoice_ref_from_xml(&r,
		(const unsigned char *)xml, strlen(xml), NULL), 0);
	assert_string_equal(r.seller_nip, "7010001454");
	assert_int_equal(r.issue_date.month, 7);
	/* FA_RR's P_1 is no issue date of its. */
	snprintf(xml, sizeof(xml), "<Faktura xmlns=\"%s\"><Podmiot1>"
		"<DaneIdentyfikacyjne><NIP>7010001454</NIP>"
		"</DaneIdentyfikacyjne></Podmiot1><Fa><P_1>2025-07-01</P_1>"
		"</Fa></Faktura>", ksef_form_namespace(KSEF_FORM_FA_RR1));
	assert_int_equal(ksef_qr_invoice_ref_from_xml(&r,
		(const unsigned char *)xml, strlen(xml), NULL), KSEF_ENOTFOUND);
}

static void a_png_is_drawn_with_its_label_band(void **state)
{
	ksef_qr_options o = KSEF_QR_OPTIONS_INIT;
	ksef_buf png = KSEF_BUF_INIT, bare = KSEF_BUF_INIT;
	const unsigned char *p;
	uint32_t w, h, bw, bh;

	(void)state;
	o.ksef_number = "5265877635-20250729-01004014E040-00";
	assert_int_equal(ksef_qr_render(&png, DOC_LINK, strlen(DOC_LINK), &o,
					NULL), 0);
	p = png.ptr;
	assert_true(png.size > 100);
	assert_memory_equal(p, "\x89PNG\r\n\x1a\n", 8);
	assert_memory_equal(p + 12, "IHDR", 4);
	w = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 |
	    (uint32_t)p[18] << 8 | p[19];
	h = (uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 |
	    (uint32_t)p[22] << 8 | p[23];
	assert_int_equal(p[24], 8); /* bit depth */
	assert_int_equal(p[25], 0); /* greyscale */
	o.no_label = 1;
	assert_int_equal(ksef_qr_render(&bare, DOC_LINK, strlen(DOC_LINK), &o,
					NULL), 0);
	p = bare.ptr;
	bw = (uint32_t)p[18] << 8 | p[19];
	bh = (uint32_t)p[22] << 8 | p[23];
	/* A bare code is square, a whole number of 5-pixel modules with a
	 * quiet zone of 4 on each side; the label adds a band below. */
	assert_int_equal(bw, bh);
	assert_int_equal(bw % 5, 0);
	assert_true(bw / 5 >= 21 + 8);
	assert_int_equal(w, bw);
	assert_true(h > bh);
	ksef_buf_dispose(&png);
	ksef_buf_dispose(&bare);
}

static void an_svg_carries_the_label_the_docs_prescribe(void **state)
{
	ksef_qr_options o = KSEF_QR_OPTIONS_INIT;
	ksef_buf svg = KSEF_BUF_INIT;

	(void)state;
	o.format = KSEF_QR_SVG;
	assert_int_equal(ksef_qr_render(&svg, DOC_LINK, strlen(DOC_LINK), &o,
					NULL), 0);
	assert_non_null(strstr((char *)svg.ptr, "<svg "));
	assert_non_null(strstr((char *)svg.ptr, ">OFFLINE</text>"));
	assert_non_null(strstr((char *)svg.ptr, "<path "));
	assert_non_null(strstr((char *)svg.ptr, "</svg>\n"));
	assert_int_equal(strlen((char *)svg.ptr), svg.size);
	o.ksef_number = "5265877635-20250729-01004014E040-00";
	assert_int_equal(ksef_qr_render(&svg, DOC_LINK, strlen(DOC_LINK), &o,
					NULL), 0);
	assert_non_null(strstr((char *)svg.ptr,
		">5265877635-20250729-01004014E040-00</text>"));
	assert_null(strstr((char *)svg.ptr, "OFFLINE"));
	o.no_label = 1;
	assert_int_equal(ksef_qr_render(&svg, DOC_LINK, strlen(DOC_LINK), &o,
					NULL), 0);
	assert_null(strstr((char *)svg.ptr, "<text"));
	ksef_buf_dispose(&svg);
}

static void a_label_of_ones_own_says_certyfikat(void **state)
{
	/* kody-qr.md 2: CERTYFIKAT under a KOD II. A version-1 caller, which
	 * has no label field, still gets OFFLINE. */
	ksef_qr_options o = KSEF_QR_OPTIONS_INIT;
	char label[KSEF_QR_LABEL_MAX + 2];
	ksef_buf svg = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	o.format = KSEF_QR_SVG;
	o.label = KSEF_QR_LABEL_CERT;
	o.ksef_number = "5265877635-20250729-01004014E040-00";
	assert_int_equal(ksef_qr_render(&svg, DOC_LINK, strlen(DOC_LINK), &o,
					NULL), 0);
	assert_non_null(strstr((char *)svg.ptr, ">CERTYFIKAT</text>"));
	o.ksef_number = NULL;
	o.version = 1;
	assert_int_equal(ksef_qr_render(&svg, DOC_LINK, strlen(DOC_LINK), &o,
					NULL), 0);
	assert_non_null(strstr((char *)svg.ptr, ">OFFLINE</text>"));
	o.version = KSEF_QR_OPTIONS_VERSION;
	o.label = "KOD II";
	assert_int_equal(ksef_qr_render(&svg, DOC_LINK, strlen(DOC_LINK), &o,
					NULL), 0);
	assert_non_null(strstr((char *)svg.ptr, ">KOD II</text>"));
	o.label = "<b>";
	assert_int_equal(ksef_qr_render(&svg, DOC_LINK, strlen(DOC_LINK), &o,
					&err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "label"));
	memset(label, 'A', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';
	o.label = label;
	assert_int_equal(ksef_qr_render(&svg, DOC_LINK, strlen(DOC_LINK), &o,
					NULL), KSEF_EFORMAT);
	label[KSEF_QR_LABEL_MAX] = '\0';
	assert_int_equal(ksef_qr_render(&svg, DOC_LINK, strlen(DOC_LINK), &o,
					NULL), 0);
	ksef_buf_dispose(&svg);
}

static void bad_render_input_is_refused(void **state)
{
	ksef_qr_options o = KSEF_QR_OPTIONS_INIT;
	ksef_buf b = KSEF_BUF_INIT;
	char big[KSEF_QR_TEXT_MAX + 1];

	(void)state;
	assert_int_equal(ksef_qr_render(NULL, "x", 1, NULL, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_qr_render(&b, NULL, 1, NULL, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_qr_render(&b, "x", 0, NULL, NULL), KSEF_EINVAL);
	memset(big, 'a', sizeof(big));
	assert_int_equal(ksef_qr_render(&b, big, sizeof(big), NULL, NULL),
			 KSEF_ETOOBIG);
	o.ksef_number = "5265877635-20250729-01004014E040-01"; /* bad CRC */
	assert_int_equal(ksef_qr_render(&b, "x", 1, &o, NULL), KSEF_EFORMAT);
	o.ksef_number = "<script>";
	assert_int_equal(ksef_qr_render(&b, "x", 1, &o, NULL), KSEF_EFORMAT);
	o.ksef_number = NULL;
	o.module_px = 41;
	assert_int_equal(ksef_qr_render(&b, "x", 1, &o, NULL), KSEF_EINVAL);
	o.module_px = 1;
	o.quiet_zone = 17;
	assert_int_equal(ksef_qr_render(&b, "x", 1, &o, NULL), KSEF_EINVAL);
	o.quiet_zone = 0;
	o.format = (ksef_qr_format)2;
	assert_int_equal(ksef_qr_render(&b, "x", 1, &o, NULL), KSEF_EINVAL);
	o.format = KSEF_QR_PNG;
	o.version = KSEF_QR_OPTIONS_VERSION + 1;
	assert_int_equal(ksef_qr_render(&b, "x", 1, &o, NULL), KSEF_EINVAL);
	o.version = 0;
	assert_int_equal(ksef_qr_render(&b, "x", 1, &o, NULL), KSEF_EINVAL);
	assert_null(b.ptr);
	/* The smallest settings still make a file. */
	o.version = KSEF_QR_OPTIONS_VERSION;
	assert_int_equal(ksef_qr_render(&b, "x", 1, &o, NULL), 0);
	ksef_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_docs_example_link_is_built_byte_for_byte),
		cmocka_unit_test(each_environment_has_the_docs_address),
		cmocka_unit_test(api_urls_map_to_their_qr_address),
		cmocka_unit_test(bad_link_input_is_refused),
		cmocka_unit_test(a_links_path_reads_back_strictly),
		cmocka_unit_test(links_of_any_digest_round_trip),
		cmocka_unit_test(an_invoice_file_gives_its_parts),
		cmocka_unit_test(files_without_the_parts_are_refused),
		cmocka_unit_test(other_forms_give_their_seller_and_date),
		cmocka_unit_test(a_png_is_drawn_with_its_label_band),
		cmocka_unit_test(an_svg_carries_the_label_the_docs_prescribe),
		cmocka_unit_test(a_label_of_ones_own_says_certyfikat),
		cmocka_unit_test(bad_render_input_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
