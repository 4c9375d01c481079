/*
 * invoice_test.c - invoice verification: the official samples pass, the
 * known-invalid one fails, and every XML rule and hostile input gets the
 * status code the server reports (docs/verification.md).
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/gen.h"
#include "ksef/invoice.h"
#include "ksef/limits.h"

#define SELLER "5265877635"

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
	return 0;
}

/* Load a sample and fill its placeholders the way the official tests do. */
static void load_sample(ksef_buf *buf, const char *rel, const char *number)
{
	ts_read_file(buf, ts_shared_path(rel));
	ts_replace(buf, "#nip#", SELLER);
	ts_replace(buf, "#invoice_number#", number);
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

/* Whether a "#name#" placeholder is left unfilled. */
static int has_placeholder(const char *s)
{
	const char *p, *q;

	for (p = strchr(s, '#'); p != NULL; p = strchr(p + 1, '#')) {
		for (q = p + 1; *q == '_' || (*q >= 'a' && *q <= 'z') ||
				(*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9'); q++)
			;
		if (*q == '#' && q > p + 1)
			return 1;
	}
	return 0;
}

static ksef_verdict *verify_opts(ksef_form form, const void *xml, size_t len,
				 const ksef_verify_options *opts)
{
	ksef_verdict *v = NULL;
	ksef_error err;
	int rc = ksef_invoice_verify(&v, schemas, form, xml, len, opts, &err);

	if (rc != 0)
		fail_msg("ksef_invoice_verify: %s", err.message);
	assert_non_null(v);
	return v;
}

static ksef_verdict *verify(ksef_form form, const void *xml, size_t len)
{
	return verify_opts(form, xml, len, NULL);
}

static void assert_status(ksef_verdict *v, int status)
{
	if (ksef_verdict_status(v) != status)
		fail_msg("status %d, expected %d: %s", ksef_verdict_status(v),
			 status, ksef_verdict_detail_count(v) ?
			 ksef_verdict_detail(v, 0) : "(no detail)");
	if (status != KSEF_INVOICE_STATUS_OK)
		assert_true(ksef_verdict_detail_count(v) > 0);
	else
		assert_int_equal(ksef_verdict_detail_count(v), 0);
}

/* The first detail mentions `needle`. */
static void assert_detail(ksef_verdict *v, const char *needle)
{
	const char *d = ksef_verdict_detail(v, 0);

	if (d == NULL || strstr(d, needle) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", d ? d : "", needle);
}

static void official_fa3_samples_pass_once_filled(void **state)
{
	static const char *const samples[] = {
		"ksef-samples/invoices/csharp-invoice-template-fa-3.xml",
		"ksef-samples/invoices/java-invoice-template_v3.xml",
		"ksef-samples/invoices/extra/csharp-invoice-template-fa-3-with-custom-Subject2.xml",
		"ksef-samples/invoices/extra/csharp-invoice-template-fa-3-with-custom-Subject3.xml",
		"ksef-samples/invoices/extra/java-invoice-template-fa-3-with-custom-subject_2.xml",
		"ksef-samples/invoices/extra/java-invoice-template-fa-3-with-custom-subject_3.xml",
		"ksef-samples/invoices/extra/java-invoice_template_v3_self_invoicing.xml",
		"ksef-samples/invoices/extra/csharp-invoice-template-fa-3-with-attachment.xml",
	};
	size_t i;

	(void)state;
	ts_schema_dir_or_skip();
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		ksef_buf buf = KSEF_BUF_INIT;
		ksef_verdict *v;

		load_sample(&buf, samples[i], "T-42");
		assert_false(has_placeholder((const char *)buf.ptr));
		v = verify(KSEF_FORM_FA3, buf.ptr, buf.size);
		assert_status(v, KSEF_INVOICE_STATUS_OK);
		assert_string_equal(ksef_verdict_field(v,
				    KSEF_FIELD_SELLER_NIP), SELLER);
		assert_non_null(ksef_verdict_field(v, KSEF_FIELD_INVOICE_NUMBER));
		assert_non_null(ksef_verdict_field(v, KSEF_FIELD_ISSUE_DATE));
		assert_non_null(ksef_verdict_field(v, KSEF_FIELD_INVOICE_KIND));
		ksef_verdict_free(v);
		ksef_buf_dispose(&buf);
	}
}

static void extracts_the_fields_duplicate_detection_needs(void **state)
{
	ksef_buf buf = KSEF_BUF_INIT;
	ksef_verdict *v;

	(void)state;
	ts_schema_dir_or_skip();
	load_sample(&buf, "ksef-samples/invoices/csharp-invoice-template-fa-3.xml",
		    "77");
	v = verify(KSEF_FORM_FA3, buf.ptr, buf.size);
	assert_status(v, KSEF_INVOICE_STATUS_OK);
	assert_string_equal(ksef_verdict_field(v, KSEF_FIELD_SELLER_NIP), SELLER);
	assert_string_equal(ksef_verdict_field(v, KSEF_FIELD_INVOICE_KIND), "VAT");
	assert_string_equal(ksef_verdict_field(v, KSEF_FIELD_INVOICE_NUMBER),
			    "FA/GRQMB-77/05/2025");
	assert_string_equal(ksef_verdict_field(v, KSEF_FIELD_ISSUE_DATE),
			    "2025-09-01");
	assert_string_equal(ksef_verdict_field(v, KSEF_FIELD_BUYER_NIP),
			    "1111111111");
	assert_false(ksef_verdict_has_attachment(v));
	assert_int_equal(ksef_verdict_third_party_count(v), 0);
	ksef_verdict_free(v);
	ksef_buf_dispose(&buf);
}

static void extracts_third_party_identifiers(void **state)
{
	ksef_buf buf = KSEF_BUF_INIT;
	ksef_verdict *v;

	(void)state;
	ts_schema_dir_or_skip();
	load_sample(&buf, "ksef-samples/invoices/extra/java-invoice-template-fa-3-with-custom-subject_3.xml", "3");
	v = verify(KSEF_FORM_FA3, buf.ptr, buf.size);
	assert_status(v, KSEF_INVOICE_STATUS_OK);
	assert_int_equal(ksef_verdict_third_party_count(v), 1);
	assert_string_equal(ksef_verdict_third_party(v, 0), "NIP:7010012385");
	assert_null(ksef_verdict_third_party(v, 1));
	ksef_verdict_free(v);
	ksef_buf_dispose(&buf);
}

static void an_attachment_is_found_and_refused_when_asked(void **state)
{
	ksef_verify_options opts = KSEF_VERIFY_OPTIONS_INIT;
	ksef_buf buf = KSEF_BUF_INIT;
	ksef_verdict *v;

	(void)state;
	ts_schema_dir_or_skip();
	load_sample(&buf, "ksef-samples/invoices/extra/csharp-invoice-template-fa-3-with-attachment.xml", "A1");
	v = verify(KSEF_FORM_FA3, buf.ptr, buf.size);
	assert_status(v, KSEF_INVOICE_STATUS_OK);
	assert_true(ksef_verdict_has_attachment(v));
	ksef_verdict_free(v);
	opts.reject_attachments = 1;
	v = verify_opts(KSEF_FORM_FA3, buf.ptr, buf.size, &opts);
	assert_status(v, KSEF_INVOICE_STATUS_ATTACHMENT);
	assert_detail(v, "Zalacznik");
	assert_detail(v, "Wysyłka faktur z załącznikami jest dozwolona tylko "
		      "w trybie wsadowym");
	ksef_verdict_free(v);
	ksef_buf_dispose(&buf);
}

static void the_known_invalid_sample_fails_the_schema_with_a_line(void **state)
{
	ksef_buf buf = KSEF_BUF_INIT;
	ksef_verdict *v;

	(void)state;
	ts_schema_dir_or_skip();
	load_sample(&buf, "ksef-samples/invoices/extra/xsd-invalid/csharp-invoice-template-fa-3-with-multiple-Subject3.xml", "X");
	v = verify(KSEF_FORM_FA3, buf.ptr, buf.size);
	assert_status(v, KSEF_INVOICE_STATUS_SEMANTIC);
	assert_true(ksef_verdict_line(v) > 1);
	assert_non_null(strstr(ksef_verdict_detail(v, 0), "line "));
	/* The fields are still there, so a server can say which invoice. */
	assert_string_equal(ksef_verdict_field(v, KSEF_FIELD_SELLER_NIP), SELLER);
	ksef_verdict_free(v);
	ksef_buf_dispose(&buf);
}

static void a_document_of_another_form_fails_as_a_schema_error(void **state)
{
	ksef_buf buf = KSEF_BUF_INIT;
	ksef_verdict *v;

	(void)state;
	ts_schema_dir_or_skip();
	load_sample(&buf, "ksef-samples/invoices/csharp-invoice-template-fa-3.xml",
		    "F2");
	v = verify(KSEF_FORM_FA2, buf.ptr, buf.size);
	assert_status(v, KSEF_INVOICE_STATUS_SEMANTIC);
	assert_detail(v, "FA (2)");
	ksef_verdict_free(v);
	v = verify(KSEF_FORM_PEF3, buf.ptr, buf.size);
	assert_status(v, KSEF_INVOICE_STATUS_SEMANTIC);
	ksef_verdict_free(v);
	ksef_buf_dispose(&buf);
}

static void a_schema_violation_names_the_element(void **state)
{
	ksef_buf buf = KSEF_BUF_INIT;
	ksef_verdict *v;

	(void)state;
	ts_schema_dir_or_skip();
	load_sample(&buf, "ksef-samples/invoices/csharp-invoice-template-fa-3.xml",
		    "S1");
	ts_replace(&buf, "<RodzajFaktury>VAT</RodzajFaktury>",
		   "<RodzajFaktury>XYZ</RodzajFaktury>");
	v = verify(KSEF_FORM_FA3, buf.ptr, buf.size);
	assert_status(v, KSEF_INVOICE_STATUS_SEMANTIC);
	assert_detail(v, "RodzajFaktury");
	assert_true(ksef_verdict_line(v) > 1);
	ksef_verdict_free(v);
	ksef_buf_dispose(&buf);
}

/* A valid invoice with `before` replaced by `after`, verified as FA (3). */
static ksef_verdict *mutated(const char *before, const char *after)
{
	ksef_buf buf = KSEF_BUF_INIT;
	ksef_verdict *v;

	load_sample(&buf, "ksef-samples/invoices/csharp-invoice-template-fa-3.xml",
		    "H1");
	assert_non_null(strstr((char *)buf.ptr, before));
	ts_replace(&buf, before, after);
	v = verify(KSEF_FORM_FA3, buf.ptr, buf.size);
	ksef_buf_dispose(&buf);
	return v;
}

static void hostile_and_rule_breaking_inputs_get_their_status(void **state)
{
	static const struct {
		const char *what, *before, *after, *needle;
		int status;
	} cases[] = {
		{ "BOM", "<?xml", "\xEF\xBB\xBF<?xml", "byte order mark", 450 },
		{ "encoding other than UTF-8",
		  "encoding=\"UTF-8\"", "encoding=\"ISO-8859-2\"",
		  "ISO-8859-2", 450 },
		{ "encoding in lower case is still UTF-8",
		  "encoding=\"UTF-8\"", "encoding='utf-8'", NULL, 200 },
		{ "processing instruction",
		  "<Naglowek>", "<?xml-stylesheet href=\"a.xsl\"?><Naglowek>",
		  "processing instruction", 450 },
		{ "processing instruction inside an element",
		  "<P_1M>", "<P_1M><?app x?>", "processing instruction", 450 },
		{ "discouraged C1 control U+0080",
		  "Elektrownia S.A.", "Elektrownia\xC2\x80S.A.", "U+0080", 450 },
		{ "discouraged U+009F", "Elektrownia S.A.",
		  "Elektrownia\xC2\x9FS.A.", "U+009F", 450 },
		{ "U+0085 is allowed", "Elektrownia S.A.",
		  "Elektrownia\xC2\x85S.A.", NULL, 200 },
		{ "discouraged noncharacter U+FDD0", "Elektrownia S.A.",
		  "Elektrownia\xEF\xB7\x90S.A.", "U+FDD0", 450 },
		{ "discouraged plane-1 noncharacter U+1FFFE", "Elektrownia S.A.",
		  "Elektrownia\xF0\x9F\xBF\xBES.A.", "U+1FFFE", 450 },
		{ "discouraged U+10FFFF", "Elektrownia S.A.",
		  "Elektrownia\xF4\x8F\xBF\xBFS.A.", "U+10FFFF", 450 },
		{ "discouraged character as a reference", "Elektrownia S.A.",
		  "Elektrownia&#x80;S.A.", "U+0080", 450 },
		{ "discouraged character as a reference in an attribute",
		  "wersjaSchemy=\"1-0E\"", "wersjaSchemy=\"1-0E&#x9F;\"",
		  "U+009F", 450 },
		{ "an ordinary character reference is fine", "Elektrownia S.A.",
		  "Elektrownia&#x41;S.A.", NULL, 200 },
		{ "invalid UTF-8", "Elektrownia S.A.", "Elektrownia\xC3\x28S.A.",
		  "invalid UTF-8", 450 },
		{ "overlong UTF-8", "Elektrownia S.A.", "Elektrownia\xC0\xAFS.A.",
		  "invalid UTF-8", 450 },
		{ "UTF-8 surrogate", "Elektrownia S.A.",
		  "Elektrownia\xED\xA0\x80S.A.", "invalid UTF-8", 450 },
		{ "truncated UTF-8 at the end", "</Faktura>", "</Faktura>\xE2\x82",
		  "invalid UTF-8", 450 },
		{ "NUL byte", "<Naglowek>", "<Naglowek>\x01", NULL, 450 },
		{ "DOCTYPE with a billion laughs", "<Faktura",
		  "<!DOCTYPE Faktura [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
		  "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><Faktura", "DOCTYPE", 450 },
		{ "external entity", "<Faktura",
		  "<!DOCTYPE Faktura [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		  "<Faktura", "DOCTYPE", 450 },
		{ "not well-formed", "</Naglowek>", "</Naglowk>",
		  "not well-formed", 450 },
	};
	size_t i;

	(void)state;
	ts_schema_dir_or_skip();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ksef_verdict *v = mutated(cases[i].before, cases[i].after);

		if (ksef_verdict_status(v) != cases[i].status)
			fail_msg("%s: status %d, expected %d (%s)",
				 cases[i].what, ksef_verdict_status(v),
				 cases[i].status, ksef_verdict_detail(v, 0) ?
				 ksef_verdict_detail(v, 0) : "no detail");
		if (cases[i].needle != NULL)
			assert_detail(v, cases[i].needle);
		/* The live system's words first (SPEC 5.2). */
		if (cases[i].status == 450 &&
		    strncmp(ksef_verdict_detail(v, 0), "Nieprawidłowy XML: ",
			    strlen("Nieprawidłowy XML: ")) != 0)
			fail_msg("%s: detail \"%s\"", cases[i].what,
				 ksef_verdict_detail(v, 0));
		ksef_verdict_free(v);
	}
}

static void refuses_empty_tiny_and_oversized_documents(void **state)
{
	ksef_verify_options opts = KSEF_VERIFY_OPTIONS_INIT;
	ksef_buf buf = KSEF_BUF_INIT;
	ksef_verdict *v;
	const unsigned char one = '<';

	(void)state;
	ts_schema_dir_or_skip();
	/* Not XML: 450 as on the live system; size stays a file error. */
	v = verify(KSEF_FORM_FA3, "", 0);
	assert_status(v, KSEF_INVOICE_STATUS_SEMANTIC);
	assert_detail(v, "Nieprawidłowy XML: invoice is empty");
	ksef_verdict_free(v);

	v = verify(KSEF_FORM_FA3, &one, 1);
	assert_status(v, KSEF_INVOICE_STATUS_SEMANTIC);
	ksef_verdict_free(v);

	/* The length alone decides: the bytes past the first are never read. */
	v = verify(KSEF_FORM_FA3, &one, KSEF_INVOICE_MAX_BYTES_PLAIN + 1);
	assert_status(v, KSEF_INVOICE_STATUS_FILE);
	assert_detail(v, "over the limit of 1000000");
	ksef_verdict_free(v);

	/* A valid invoice just over a caller's limit, then at it. */
	load_sample(&buf, "ksef-samples/invoices/csharp-invoice-template-fa-3.xml",
		    "L");
	opts.max_bytes = buf.size - 1;
	v = verify_opts(KSEF_FORM_FA3, buf.ptr, buf.size, &opts);
	assert_status(v, KSEF_INVOICE_STATUS_FILE);
	ksef_verdict_free(v);
	opts.max_bytes = buf.size;
	v = verify_opts(KSEF_FORM_FA3, buf.ptr, buf.size, &opts);
	assert_status(v, KSEF_INVOICE_STATUS_OK);
	ksef_verdict_free(v);
	ksef_buf_dispose(&buf);
}

static void an_issue_date_after_acceptance_is_refused(void **state)
{
	ksef_verify_options opts = KSEF_VERIFY_OPTIONS_INIT;
	ksef_buf buf = KSEF_BUF_INIT;
	ksef_verdict *v;

	(void)state;
	ts_schema_dir_or_skip();
	load_sample(&buf, "ksef-samples/invoices/csharp-invoice-template-fa-3.xml",
		    "D");
	opts.acceptance_date = "2025-08-31";
	v = verify_opts(KSEF_FORM_FA3, buf.ptr, buf.size, &opts);
	assert_status(v, KSEF_INVOICE_STATUS_SEMANTIC);
	assert_detail(v, "Data wystawienia faktury (P_1) nie może być "
		      "późniejsza niż data przyjęcia dokumentu do systemu KSeF");
	ksef_verdict_free(v);
	opts.acceptance_date = "2025-09-01";
	v = verify_opts(KSEF_FORM_FA3, buf.ptr, buf.size, &opts);
	assert_status(v, KSEF_INVOICE_STATUS_OK);
	ksef_verdict_free(v);
	ksef_buf_dispose(&buf);
}

static void nip_checksums_are_checked_only_when_asked(void **state)
{
	ksef_verify_options opts = KSEF_VERIFY_OPTIONS_INIT;
	ksef_buf buf = KSEF_BUF_INIT;
	ksef_verdict *v;

	(void)state;
	ts_schema_dir_or_skip();
	load_sample(&buf, "ksef-samples/invoices/extra/java-invoice-template-fa-3-with-custom-subject_3.xml", "N");
	/* 7010012384: the pattern holds, the check digit does not. */
	ts_replace(&buf, "<NIP>7010012385</NIP>", "<NIP>7010012384</NIP>");
	v = verify_opts(KSEF_FORM_FA3, buf.ptr, buf.size, &opts);
	assert_status(v, KSEF_INVOICE_STATUS_OK);
	ksef_verdict_free(v);
	opts.check_nip_checksums = 1;
	v = verify_opts(KSEF_FORM_FA3, buf.ptr, buf.size, &opts);
	assert_status(v, KSEF_INVOICE_STATUS_SEMANTIC);
	assert_detail(v, "Nieprawidłowa suma kontrolna NIP 7010012384");
	ksef_verdict_free(v);
	ksef_buf_dispose(&buf);
}

static void form_codes_map_exactly(void **state)
{
	ksef_form_code fa3 = { "FA (3)", "1-0E", "FA" };
	ksef_form_code nospace = { "FA(3)", "1-0E", "FA" };
	ksef_form_code rr = { "FA_RR (1)", "1-1E", "FA_RR" };
	ksef_form form;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_form_from_code(&form, &fa3, &err), 0);
	assert_int_equal(form, KSEF_FORM_FA3);
	assert_int_equal(ksef_form_from_code(&form, &rr, &err), 0);
	assert_int_equal(form, KSEF_FORM_FA_RR1);
	assert_int_equal(ksef_form_from_code(&form, &nospace, &err),
			 KSEF_ENOTFOUND);
	assert_string_equal(ksef_form_code_of(KSEF_FORM_PEF_KOR3).system_code,
			    "PEF_KOR (3)");
	assert_null(ksef_form_namespace(KSEF_FORM_COUNT));
	assert_string_equal(ksef_invoice_status_description(440),
			    "Duplikat faktury");
	assert_null(ksef_invoice_status_description(299));
}

static void every_official_schema_compiles_offline(void **state)
{
	ksef_error err;
	int f;

	(void)state;
	ts_schema_dir_or_skip();
	for (f = 0; f < KSEF_FORM_COUNT; f++)
		if (ksef_schemas_compile(schemas, (ksef_form)f, &err) != 0)
			fail_msg("form %d: %s", f, err.message);
}

static void a_missing_schema_folder_or_file_is_reported(void **state)
{
	ksef_schemas *s = NULL;
	ksef_verdict *v = NULL;
	ksef_error err;
	char *dir;

	(void)state;
	ts_schema_dir_or_skip();
	assert_int_equal(ksef_schemas_new(&s, "/nonexistent/ksef", &err),
			 KSEF_ENOTFOUND);
	assert_null(s);
	assert_non_null(strstr(err.message, "fetch-schemas"));

	/* A folder without FA/bazowe: the crd.gov.pl import must fail
	 * locally rather than be fetched from the network. */
	dir = ts_mkdtemp();
	assert_int_equal(ts_system("mkdir -p %s/FA && cp '%s/FA/schemat_FA(3)_v1-0E.xsd' %s/FA/",
				   dir, ts_schema_dir(), dir), 0);
	assert_int_equal(ksef_schemas_new(&s, dir, &err), 0);
	assert_int_equal(ksef_schemas_compile(s, KSEF_FORM_FA3, &err),
			 KSEF_ESCHEMA);
	/* The failure is remembered, and verification reports it too. */
	assert_int_equal(ksef_invoice_verify(&v, s, KSEF_FORM_FA3,
		(const unsigned char *)"<a/>", 4, NULL, &err), 0);
	assert_int_equal(ksef_verdict_status(v), KSEF_INVOICE_STATUS_SEMANTIC);
	ksef_verdict_free(v);
	assert_int_equal(ksef_schemas_compile(s, KSEF_FORM_FA2, &err),
			 KSEF_ESCHEMA);
	assert_non_null(strstr(err.message, "missing"));
	ksef_schemas_free(s);
	ts_rmdir(dir);
}

static void rejects_broken_api_use(void **state)
{
	ksef_verify_options opts = KSEF_VERIFY_OPTIONS_INIT;
	ksef_verdict *v = NULL;
	ksef_error err;

	(void)state;
	ts_schema_dir_or_skip();
	assert_int_equal(ksef_invoice_verify(NULL, schemas, KSEF_FORM_FA3,
		(const unsigned char *)"<a/>", 4, NULL, &err), KSEF_EINVAL);
	assert_int_equal(ksef_invoice_verify(&v, NULL, KSEF_FORM_FA3,
		(const unsigned char *)"<a/>", 4, NULL, &err), KSEF_EINVAL);
	assert_int_equal(ksef_invoice_verify(&v, schemas, (ksef_form)99,
		(const unsigned char *)"<a/>", 4, NULL, &err), KSEF_EINVAL);
	assert_int_equal(ksef_invoice_verify(&v, schemas, KSEF_FORM_FA3,
		NULL, 4, NULL, &err), KSEF_EINVAL);
	opts.version = 99;
	assert_int_equal(ksef_invoice_verify(&v, schemas, KSEF_FORM_FA3,
		(const unsigned char *)"<a/>", 4, &opts, &err), KSEF_EINVAL);
	assert_null(v);
	ksef_verdict_free(NULL);
}

static int verify_with_budget(const ksef_buf *doc, unsigned ms,
			      char *detail, size_t detail_size)
{
	ksef_verify_options opts = KSEF_VERIFY_OPTIONS_INIT;
	ksef_verdict *v = NULL;
	ksef_error err;
	int status;

	opts.cpu_budget_ms = ms;
	if (ksef_invoice_verify(&v, schemas, KSEF_FORM_FA3, doc->ptr,
				doc->size, &opts, &err) != 0)
		fail_msg("ksef_invoice_verify: %s", err.message);
	status = ksef_verdict_status(v);
	snprintf(detail, detail_size, "%s", ksef_verdict_detail_count(v) ?
		 ksef_verdict_detail(v, 0) : "");
	ksef_verdict_free(v);
	return status;
}

/* A 1 MB invoice takes some tens of milliseconds to verify: with a budget
 * of one it stops while parsing and gets 450 with only the budget's
 * detail; with no budget, or a generous one, the same bytes pass. */
static void an_invoice_past_its_cpu_budget_gets_450(void **state)
{
	ksef_gen_options g = KSEF_GEN_OPTIONS_INIT;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_verify_options v1 = KSEF_VERIFY_OPTIONS_INIT;
	ksef_verdict *v = NULL;
	char detail[KSEF_ERROR_MESSAGE_MAX];
	ksef_error err;

	(void)state;
	ts_schema_dir_or_skip();
	g.seller_nip = SELLER;
	g.issue_date = "2025-09-01";
	g.target_bytes = KSEF_INVOICE_MAX_BYTES_PLAIN;
	assert_int_equal(ksef_gen_invoice(&doc, &g, 1, &err), 0);

	assert_int_equal(verify_with_budget(&doc, 1, detail, sizeof(detail)),
			 KSEF_INVOICE_STATUS_SEMANTIC);
	assert_string_equal(detail, "verification ran past its CPU budget "
		"of 1 ms during parsing; the invoice is too costly to check");
	assert_int_equal(verify_with_budget(&doc, 0, detail, sizeof(detail)),
			 KSEF_INVOICE_STATUS_OK);
	assert_int_equal(verify_with_budget(&doc, 600000, detail,
					    sizeof(detail)),
			 KSEF_INVOICE_STATUS_OK);

	/* A caller built against version 1 has no budget field. */
	v1.version = 1;
	assert_int_equal(ksef_invoice_verify(&v, schemas, KSEF_FORM_FA3,
		doc.ptr, doc.size, &v1, &err), 0);
	assert_int_equal(ksef_verdict_status(v), KSEF_INVOICE_STATUS_OK);
	ksef_verdict_free(v);
	ksef_buf_dispose(&doc);
}

struct worker {
	ksef_buf doc;
	int ok;
};

static void *verify_many(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < 20; i++) {
		ksef_verdict *v = NULL;

		if (ksef_invoice_verify(&v, schemas, KSEF_FORM_FA3, w->doc.ptr,
					w->doc.size, NULL, NULL) == 0 &&
		    ksef_verdict_status(v) == KSEF_INVOICE_STATUS_OK)
			w->ok++;
		ksef_verdict_free(v);
	}
	return NULL;
}

static void threads_share_one_compiled_schema(void **state)
{
	struct worker w[4];
	pthread_t t[4];
	ksef_schemas *saved = schemas;
	ksef_error err;
	int i;

	(void)state;
	ts_schema_dir_or_skip();
	/* A fresh set, so the threads race to compile it as well. */
	assert_int_equal(ksef_schemas_new(&schemas, ts_schema_dir(), &err), 0);
	for (i = 0; i < 4; i++) {
		char num[16];

		memset(&w[i], 0, sizeof(w[i]));
		snprintf(num, sizeof(num), "T%d", i);
		load_sample(&w[i].doc,
			"ksef-samples/invoices/csharp-invoice-template-fa-3.xml",
			num);
		assert_int_equal(pthread_create(&t[i], NULL, verify_many, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].ok, 20);
		ksef_buf_dispose(&w[i].doc);
	}
	ksef_schemas_free(schemas);
	schemas = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rejects_broken_api_use),
		cmocka_unit_test(refuses_empty_tiny_and_oversized_documents),
		cmocka_unit_test(hostile_and_rule_breaking_inputs_get_their_status),
		cmocka_unit_test(the_known_invalid_sample_fails_the_schema_with_a_line),
		cmocka_unit_test(a_document_of_another_form_fails_as_a_schema_error),
		cmocka_unit_test(a_schema_violation_names_the_element),
		cmocka_unit_test(official_fa3_samples_pass_once_filled),
		cmocka_unit_test(extracts_the_fields_duplicate_detection_needs),
		cmocka_unit_test(extracts_third_party_identifiers),
		cmocka_unit_test(an_attachment_is_found_and_refused_when_asked),
		cmocka_unit_test(an_issue_date_after_acceptance_is_refused),
		cmocka_unit_test(nip_checksums_are_checked_only_when_asked),
		cmocka_unit_test(form_codes_map_exactly),
		cmocka_unit_test(every_official_schema_compiles_offline),
		cmocka_unit_test(a_missing_schema_folder_or_file_is_reported),
		cmocka_unit_test(threads_share_one_compiled_schema),
		cmocka_unit_test(an_invoice_past_its_cpu_budget_gets_450),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
