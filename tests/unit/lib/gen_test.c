/*
 * gen_test.c - the invoice generator: what it makes passes the official
 * FA (3) and FA (2) schemas (through the library's own verifier and,
 * where xmllint is installed, through xmllint as an independent judge),
 * numbers never repeat within a series, sizes follow the target, amounts
 * add up in whole grosze, the same options give the same bytes, and bad
 * options are refused before anything is written.
 */
#include "testsupport.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ksef/gen.h"
#include "ksef/invoice.h"
#include "ksef/limits.h"
#include "ksef/number.h"

/* Both NIPs have correct check digits, so the verifier may check them. */
#define SELLER "5265877635"
#define BUYER "1234563218"

static ksef_schemas *schemas;

static int setup(void **state)
{
	ksef_error err;

	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	/* Without them, the tests that need them skip. */
	if (ts_schemas_missing())
		return 0;
	if (ksef_schemas_new(&schemas, ts_schema_dir(), &err) != 0) {
		fprintf(stderr, "%s\n", err.message);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ksef_schemas_free(schemas);
	ksef_global_cleanup();
	return 0;
}

static ksef_gen_options options(ksef_form form, uint64_t seed)
{
	ksef_gen_options o = KSEF_GEN_OPTIONS_INIT;

	o.form = form;
	o.seller_nip = SELLER;
	o.issue_date = "2026-02-16";
	o.number_prefix = "TEST";
	o.seed = seed;
	return o;
}

static void generate(ksef_buf *out, const ksef_gen_options *o, uint64_t i)
{
	ksef_error err;
	int rc = ksef_gen_invoice(out, o, i, &err);

	if (rc != 0)
		fail_msg("ksef_gen_invoice: %d %s", rc, err.message);
}

/* The text of the first <tag> in a document, into a static buffer. */
static const char *element(const ksef_buf *doc, const char *tag)
{
	static char text[512];
	char open[64], close[64];
	const char *s, *e;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	s = strstr((const char *)doc->ptr, open);
	if (s == NULL)
		return NULL;
	s += strlen(open);
	e = strstr(s, close);
	assert_non_null(e);
	assert_true((size_t)(e - s) < sizeof(text));
	memcpy(text, s, (size_t)(e - s));
	text[e - s] = '\0';
	return text;
}

/* Verify with the library as a server would, NIP checksums included; the
 * verdict must be 200 and carry the numbers the options promised. */
static void assert_verifies(const ksef_buf *doc, ksef_form form,
			    const char *number)
{
	ksef_verify_options vo = KSEF_VERIFY_OPTIONS_INIT;
	ksef_verdict *v = NULL;
	ksef_error err;

	vo.check_nip_checksums = 1;
	vo.reject_attachments = 1;
	if (ksef_invoice_verify(&v, schemas, form, doc->ptr, doc->size, &vo,
				&err) != 0)
		fail_msg("ksef_invoice_verify: %s", err.message);
	if (ksef_verdict_status(v) != KSEF_INVOICE_STATUS_OK)
		fail_msg("status %d: %s", ksef_verdict_status(v),
			 ksef_verdict_detail_count(v) ?
			 ksef_verdict_detail(v, 0) : "");
	assert_string_equal(ksef_verdict_field(v, KSEF_FIELD_SELLER_NIP),
			    SELLER);
	assert_string_equal(ksef_verdict_field(v, KSEF_FIELD_INVOICE_KIND),
			    "VAT");
	assert_non_null(ksef_verdict_field(v, KSEF_FIELD_BUYER_NIP));
	if (number != NULL)
		assert_string_equal(ksef_verdict_field(v,
			KSEF_FIELD_INVOICE_NUMBER), number);
	ksef_verdict_free(v);
}

/*
 * Validate every .xml file in dir against a form's schema with xmllint,
 * the reference implementation nobody here wrote. A catalog maps the
 * schemas' absolute import URL to the local bazowe/ folder, so nothing is
 * fetched. Skipped (with a note) where xmllint is not installed.
 */
static void assert_xmllint_accepts(const char *dir, const char *xsd)
{
	const char *sd = ts_schema_dir();
	char path[4096];
	FILE *f;

	if (ts_system("command -v xmllint >/dev/null 2>&1") != 0) {
		print_message("xmllint not installed; schema checked by "
			      "ksef_invoice_verify only\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/catalog", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"<?xml version=\"1.0\"?>\n"
		"<catalog xmlns=\"urn:oasis:names:tc:entity:xmlns:xml:catalog\">\n"
		"<rewriteURI uriStartString=\"http://crd.gov.pl/xml/schematy/"
		"dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/\" "
		"rewritePrefix=\"file://%s/FA/bazowe/\"/>\n"
		"<rewriteSystem systemIdStartString=\"http://crd.gov.pl/xml/"
		"schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/\" "
		"rewritePrefix=\"file://%s/FA/bazowe/\"/>\n"
		"</catalog>\n", sd, sd);
	fclose(f);
	if (ts_system("cd '%s' && XML_CATALOG_FILES='%s/catalog' xmllint "
		      "--nonet --noout --schema '%s/FA/%s' *.xml "
		      "2> xmllint.log", dir, dir, sd, xsd) != 0) {
		ts_system("grep -v validates '%s/xmllint.log' | head -5 >&2",
			  dir);
		fail_msg("xmllint rejects a generated invoice (%s)", xsd);
	}
}

static void save(const char *dir, const char *name, const ksef_buf *doc)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ts_write_file(path, doc->ptr, doc->size);
}

/* An amount such as "1234.05" in grosze. */
static int64_t grosze(const char *s)
{
	int64_t zl = 0;
	int frac = 0;

	assert_non_null(s);
	for (; *s >= '0' && *s <= '9'; s++)
		zl = zl * 10 + (*s - '0');
	assert_int_equal(*s++, '.');
	assert_true(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9');
	frac = (s[0] - '0') * 10 + (s[1] - '0');
	assert_int_equal(s[2], '\0');
	return zl * 100 + frac;
}

/* Re-add an invoice: each rate's P_11 to its P_13_x, P_14_x as the rate of
 * that sum rounded half up, P_15 as all of it. */
static void assert_totals_add_up(const ksef_buf *doc)
{
	static const struct {
		const char *p12, *net, *vat;
		int percent;
	} rate[] = {
		{ "23", "P_13_1", "P_14_1", 23 }, { "8", "P_13_2", "P_14_2", 8 },
		{ "5", "P_13_3", "P_14_3", 5 }, { "0 KR", "P_13_6_1", NULL, 0 },
		{ "0", "P_13_6_1", NULL, 0 }, { "zw", "P_13_7", NULL, 0 },
	};
	int64_t net[6] = { 0 }, gross = 0;
	const char *p = (const char *)doc->ptr;
	size_t i, lines = 0;

	while ((p = strstr(p, "<P_11>")) != NULL) {
		char value[32], code[16];

		assert_int_equal(sscanf(p, "<P_11>%31[0-9.]</P_11>\n"
					"<P_12>%15[^<]</P_12>", value, code), 2);
		for (i = 0; i < 6; i++)
			if (strcmp(code, rate[i].p12) == 0)
				break;
		assert_true(i < 6);
		net[i] += grosze(value);
		lines++;
		p++;
	}
	assert_true(lines >= 1);
	net[3] += net[4]; /* "0 KR" in FA (3), "0" in FA (2) */
	net[4] = 0;
	for (i = 0; i < 6; i++) {
		int64_t vat = (net[i] * rate[i].percent + 50) / 100;

		if (i == 4)
			continue;
		if (net[i] == 0) {
			assert_null(element(doc, rate[i].net));
			continue;
		}
		assert_int_equal(grosze(element(doc, rate[i].net)), net[i]);
		if (rate[i].vat != NULL)
			assert_int_equal(grosze(element(doc, rate[i].vat)),
					 vat);
		gross += net[i] + vat;
	}
	assert_int_equal(grosze(element(doc, "P_15")), gross);
}

/* ---- refusals ----------------------------------------------------------- */

static void refuses_a_nip_that_breaks_the_schema_pattern(void **state)
{
	static const char *const bad[] = {
		"", "123456789", "12345678901", "12345678a0", "0123456789",
		"1002345678", "526 587 76", " 526587763",
	};
	ksef_gen_options o = options(KSEF_FORM_FA3, 1);
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.seller_nip = bad[i];
		assert_int_equal(ksef_gen_invoice(&out, &o, 1, &err),
				 KSEF_EINVAL);
		assert_non_null(strstr(err.message, "seller_nip"));
		o.seller_nip = SELLER;
		o.buyer_nip = bad[i];
		assert_int_equal(ksef_gen_invoice(&out, &o, 1, &err),
				 KSEF_EINVAL);
		assert_non_null(strstr(err.message, "buyer_nip"));
		o.buyer_nip = NULL;
	}
	o.seller_nip = NULL;
	assert_int_equal(ksef_gen_invoice(&out, &o, 1, &err), KSEF_EINVAL);
	assert_null(out.ptr);
}

static void refuses_an_issue_date_that_is_no_day_in_range(void **state)
{
	static const char *const bad[] = {
		"", "2026-02-1", "2026-2-16", "2026/02/16", "2026-02-16 ",
		"20260216", "2026-13-01", "2026-00-10", "2026-02-30",
		"2025-02-29", "2026-04-31", "2016-06-30", "2049-12-02",
		"2100-01-01",
	};
	ksef_gen_options o = options(KSEF_FORM_FA3, 1);
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.issue_date = bad[i];
		if (ksef_gen_invoice(&out, &o, 1, &err) != KSEF_EINVAL)
			fail_msg("accepted issue_date \"%s\"", bad[i]);
		assert_non_null(strstr(err.message, "issue_date"));
	}
	assert_null(out.ptr);
	/* The ends of the range and a leap day are fine. */
	o.issue_date = "2016-07-01";
	generate(&out, &o, 1);
	o.issue_date = "2049-12-01";
	generate(&out, &o, 1);
	assert_string_equal(element(&out, "Termin"), "2049-12-15");
	o.issue_date = "2028-02-29";
	generate(&out, &o, 1);
	assert_string_equal(element(&out, "P_1"), "2028-02-29");
	ksef_buf_dispose(&out);
}

static void refuses_a_prefix_xml_cannot_carry(void **state)
{
	static const char *const bad[] = {
		"", "a\x01", "tab\there", "a\x7f", "\xc3", "\xc3(", "\xc0\x80",
		"\xe0\x80\x80", "\xed\xa0\x80", "\xef\xbf\xbf", "\xf4\x90\x80\x80",
		"\xff",
		"12345678901234567890123456789012345678901234567890123456789012345",
	};
	ksef_gen_options o = options(KSEF_FORM_FA3, 1);
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.number_prefix = bad[i];
		if (ksef_gen_invoice(&out, &o, 1, &err) != KSEF_EINVAL)
			fail_msg("accepted prefix %zu", i);
		assert_non_null(strstr(err.message, "number_prefix"));
	}
	assert_null(out.ptr);
}

static void refuses_other_broken_options(void **state)
{
	ksef_gen_options o = options(KSEF_FORM_FA3, 1);
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	o.version = 0;
	assert_int_equal(ksef_gen_invoice(&out, &o, 1, &err), KSEF_EINVAL);
	o = options(KSEF_FORM_PEF3, 1);
	assert_int_equal(ksef_gen_invoice(&out, &o, 1, &err), KSEF_EINVAL);
	o = options(KSEF_FORM_FA3, 1);
	o.target_bytes = KSEF_GEN_MIN_BYTES - 1;
	assert_int_equal(ksef_gen_invoice(&out, &o, 1, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "target_bytes"));
	o.target_bytes = KSEF_INVOICE_MAX_BYTES_PLAIN + 1;
	assert_int_equal(ksef_gen_invoice(&out, &o, 1, &err), KSEF_EINVAL);
	assert_int_equal(ksef_gen_invoice(&out, NULL, 1, &err), KSEF_EINVAL);
	assert_int_equal(ksef_gen_invoice(NULL, &o, 1, NULL), KSEF_EINVAL);
	assert_null(out.ptr);
}

static void leaves_the_output_alone_on_failure(void **state)
{
	ksef_gen_options o = options(KSEF_FORM_FA3, 1);
	ksef_buf out = KSEF_BUF_INIT;
	ksef_buf before = KSEF_BUF_INIT;

	(void)state;
	generate(&out, &o, 1);
	generate(&before, &o, 1);
	o.issue_date = "yesterday";
	assert_int_equal(ksef_gen_invoice(&out, &o, 2, NULL), KSEF_EINVAL);
	assert_int_equal(out.size, before.size);
	assert_memory_equal(out.ptr, before.ptr, out.size);
	ksef_buf_dispose(&out);
	ksef_buf_dispose(&before);
}

/* ---- what it makes ------------------------------------------------------ */

/* The run's numbers, checked for repeats by sorting. */
static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void assert_distinct(char **numbers, size_t n)
{
	size_t i;

	qsort(numbers, n, sizeof(numbers[0]), compare_strings);
	for (i = 1; i < n; i++)
		if (strcmp(numbers[i - 1], numbers[i]) == 0)
			fail_msg("number %s repeats", numbers[i]);
}

/* A series of n invoices of one form: each verifies, with its promised
 * number, adds up, and the numbers are all different; then xmllint
 * judges the whole series. */
static void check_series(ksef_form form, size_t n, const char *xsd)
{
	ksef_gen_options o = options(form, 42);
	ksef_buf doc = KSEF_BUF_INIT;
	char **numbers = calloc(n, sizeof(char *));
	char *dir = ts_mkdtemp(), name[64], want[64];
	size_t i;

	assert_non_null(numbers);
	o.number_prefix = NULL; /* the seed's own tag */
	for (i = 0; i < n; i++) {
		/* Sizes vary over the series, 2 KB to 20 KB. */
		o.target_bytes = i % 5 == 0 ? 0 : 2000 + (i * 3989) % 18000;
		generate(&doc, &o, i);
		assert_non_null(element(&doc, "P_2"));
		numbers[i] = strdup(element(&doc, "P_2"));
		assert_non_null(numbers[i]);
		snprintf(want, sizeof(want), "/%zu", i);
		assert_string_equal(numbers[i] + strlen(numbers[i]) -
				    strlen(want), want);
		assert_verifies(&doc, form, numbers[i]);
		assert_totals_add_up(&doc);
		snprintf(name, sizeof(name), "%03zu.xml", i);
		save(dir, name, &doc);
	}
	assert_distinct(numbers, n);
	assert_xmllint_accepts(dir, xsd);
	for (i = 0; i < n; i++)
		free(numbers[i]);
	free(numbers);
	ksef_buf_dispose(&doc);
	ts_rmdir(dir);
}

static void fifty_fa3_invoices_are_valid_with_distinct_numbers(void **state)
{
	(void)state;
	ts_schema_dir_or_skip();
	check_series(KSEF_FORM_FA3, 50, "schemat_FA(3)_v1-0E.xsd");
}

static void ten_fa2_invoices_are_valid_with_distinct_numbers(void **state)
{
	(void)state;
	ts_schema_dir_or_skip();
	check_series(KSEF_FORM_FA2, 10, "schemat_FA(2)_v1-0E.xsd");
}

static void sizes_stay_within_ten_percent_of_the_target(void **state)
{
	static const size_t targets[] = { 2048, 10240, 102400, 1000000 };
	static const struct {
		ksef_form form;
		const char *xsd;
	} forms[] = {
		{ KSEF_FORM_FA3, "schemat_FA(3)_v1-0E.xsd" },
		{ KSEF_FORM_FA2, "schemat_FA(2)_v1-0E.xsd" },
	};
	ksef_buf doc = KSEF_BUF_INIT;
	size_t f, t;

	(void)state;
	ts_schema_dir_or_skip();
	for (f = 0; f < 2; f++) {
		char *dir = ts_mkdtemp();

		for (t = 0; t < 4; t++) {
			ksef_gen_options o = options(forms[f].form, 7);
			char name[32];

			o.target_bytes = targets[t];
			generate(&doc, &o, t);
			print_message("FA (%d) target %zu: %zu bytes\n",
				      forms[f].form == KSEF_FORM_FA3 ? 3 : 2,
				      targets[t], doc.size);
			assert_true(doc.size * 10 >= targets[t] * 9);
			assert_true(doc.size * 10 <= targets[t] * 11);
			/* KSeF refuses a plain invoice over 10^6 bytes. */
			assert_true(doc.size <= KSEF_INVOICE_MAX_BYTES_PLAIN);
			assert_verifies(&doc, forms[f].form, NULL);
			assert_totals_add_up(&doc);
			snprintf(name, sizeof(name), "%zu.xml", targets[t]);
			save(dir, name, &doc);
		}
		assert_xmllint_accepts(dir, forms[f].xsd);
		ts_rmdir(dir);
	}
	ksef_buf_dispose(&doc);
}

static void the_default_size_is_about_four_kilobytes(void **state)
{
	ksef_gen_options o = options(KSEF_FORM_FA3, 3);
	ksef_buf doc = KSEF_BUF_INIT;

	(void)state;
	generate(&doc, &o, 0);
	assert_true(doc.size <= KSEF_GEN_DEFAULT_BYTES);
	assert_true(doc.size * 10 >= KSEF_GEN_DEFAULT_BYTES * 9);
	/* Several lines, so several rates. */
	assert_non_null(strstr((char *)doc.ptr, "<NrWierszaFa>3<"));
	ksef_buf_dispose(&doc);
}

static void same_seed_and_index_give_the_same_bytes(void **state)
{
	ksef_gen_options o = options(KSEF_FORM_FA3, 99);
	ksef_buf a = KSEF_BUF_INIT, b = KSEF_BUF_INIT;
	char first[128];

	(void)state;
	o.target_bytes = 50000;
	generate(&a, &o, 12345);
	generate(&b, &o, 12345);
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.ptr, b.ptr, a.size);

	/* Another index is another invoice with another number. */
	snprintf(first, sizeof(first), "%s", element(&a, "P_2"));
	assert_string_equal(first, "FV/TEST/12345");
	generate(&b, &o, 12346);
	assert_string_equal(element(&b, "P_2"), "FV/TEST/12346");
	assert_true(a.size != b.size || memcmp(a.ptr, b.ptr, a.size) != 0);

	/* Another seed changes the content, not the number. */
	o.seed = 100;
	generate(&b, &o, 12345);
	assert_string_equal(element(&b, "P_2"), "FV/TEST/12345");
	assert_true(a.size != b.size || memcmp(a.ptr, b.ptr, a.size) != 0);
	ksef_buf_dispose(&a);
	ksef_buf_dispose(&b);
}

static void without_a_prefix_the_seed_tags_the_run(void **state)
{
	ksef_gen_options o = options(KSEF_FORM_FA3, 1);
	ksef_buf a = KSEF_BUF_INIT, b = KSEF_BUF_INIT;
	char first[128];

	(void)state;
	o.number_prefix = NULL;
	generate(&a, &o, 5);
	generate(&b, &o, 6);
	snprintf(first, sizeof(first), "%s", element(&a, "P_2"));
	/* "FV/" + eight characters + "/5" */
	assert_int_equal(strlen(first), 13);
	assert_memory_equal(first, element(&b, "P_2"), 12);
	o.seed = 2;
	generate(&b, &o, 5);
	assert_string_not_equal(first, element(&b, "P_2"));
	ksef_buf_dispose(&a);
	ksef_buf_dispose(&b);
}

static void escapes_markup_in_the_prefix(void **state)
{
	ksef_gen_options o = options(KSEF_FORM_FA3, 1);
	ksef_buf doc = KSEF_BUF_INIT;

	(void)state;
	ts_schema_dir_or_skip();
	o.number_prefix = "a<b&c>\"d'Ż";
	generate(&doc, &o, 7);
	assert_non_null(strstr((char *)doc.ptr,
			       "<P_2>FV/a&lt;b&amp;c&gt;\"d'Ż/7</P_2>"));
	/* Parsed back, the number is what the caller asked for. */
	assert_verifies(&doc, KSEF_FORM_FA3, "FV/a<b&c>\"d'Ż/7");
	ksef_buf_dispose(&doc);
}

static void writes_utf8_with_a_declaration_and_no_bom(void **state)
{
	ksef_gen_options o = options(KSEF_FORM_FA2, 5);
	ksef_buf doc = KSEF_BUF_INIT;
	static const char decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
	static const char fa2[] = "<KodFormularza kodSystemowy=\"FA (2)\" "
				  "wersjaSchemy=\"1-0E\">FA</KodFormularza>";

	(void)state;
	generate(&doc, &o, 1);
	assert_memory_equal(doc.ptr, decl, sizeof(decl) - 1);
	assert_non_null(strstr((char *)doc.ptr, fa2));
	assert_string_equal(element(&doc, "WariantFormularza"), "2");
	assert_null(strstr((char *)doc.ptr, "<JST>"));
	assert_int_equal(strlen((char *)doc.ptr), doc.size);
	ksef_buf_dispose(&doc);
}

/* Today in Poland as "YYYY-MM-DD". */
static void warsaw_today(char out[KSEF_DATE_BUFSZ])
{
	assert_int_equal(ksef_date_format(out, ksef_time_date(
		ksef_time_warsaw(ksef_time_now().unix_ms)), NULL), 0);
}

static void a_given_buyer_and_no_date_are_used_as_said(void **state)
{
	ksef_gen_options o = options(KSEF_FORM_FA3, 1);
	ksef_buf doc = KSEF_BUF_INIT;
	char before[KSEF_DATE_BUFSZ], after[KSEF_DATE_BUFSZ];

	(void)state;
	ts_schema_dir_or_skip();
	o.buyer_nip = BUYER;
	o.issue_date = NULL;
	warsaw_today(before);
	generate(&doc, &o, 1);
	warsaw_today(after);
	/* Today in Poland (KSeF's day, not UTC's: they differ for an hour
	 * or two before midnight UTC), whichever side of midnight the call
	 * fell. */
	if (strcmp(element(&doc, "P_1"), before) != 0)
		assert_string_equal(element(&doc, "P_1"), after);
	assert_non_null(strstr((char *)doc.ptr, "<NIP>" BUYER "</NIP>"));
	assert_verifies(&doc, KSEF_FORM_FA3, "FV/TEST/1");
	ksef_buf_dispose(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refuses_a_nip_that_breaks_the_schema_pattern),
		cmocka_unit_test(refuses_an_issue_date_that_is_no_day_in_range),
		cmocka_unit_test(refuses_a_prefix_xml_cannot_carry),
		cmocka_unit_test(refuses_other_broken_options),
		cmocka_unit_test(leaves_the_output_alone_on_failure),
		cmocka_unit_test(fifty_fa3_invoices_are_valid_with_distinct_numbers),
		cmocka_unit_test(ten_fa2_invoices_are_valid_with_distinct_numbers),
		cmocka_unit_test(sizes_stay_within_ten_percent_of_the_target),
		cmocka_unit_test(the_default_size_is_about_four_kilobytes),
		cmocka_unit_test(same_seed_and_index_give_the_same_bytes),
		cmocka_unit_test(without_a_prefix_the_seed_tags_the_run),
		cmocka_unit_test(escapes_markup_in_the_prefix),
		cmocka_unit_test(writes_utf8_with_a_declaration_and_no_bom),
		cmocka_unit_test(a_given_buyer_and_no_date_are_used_as_said),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
