/*
 * invoice_summary_test.c - what verification extracts for an invoice's
 * metadata (ksef_verdict_summary, ksef_verdict_third_party_role): the
 * names, the currency, the totals added in grosze, the self-invoicing
 * annotation and the roles of third parties, from a sample and from
 * generated invoices whose totals are known.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/gen.h"
#include "ksef/invoice.h"

static ksef_verdict *verify(ksef_schemas *s, const ksef_buf *b)
{
	ksef_verdict *v = NULL;
	ksef_error err;

	if (ksef_invoice_verify(&v, s, KSEF_FORM_FA3, b->ptr, b->size, NULL,
				&err) != 0)
		fail_msg("verify: %s", err.message);
	assert_int_equal(ksef_verdict_status(v), 200);
	return v;
}

static void the_sample_summary_is_read(void **state)
{
	ksef_schemas *s = NULL;
	ksef_buf b = KSEF_BUF_INIT;
	ksef_verdict *v;

	(void)state;
	assert_int_equal(ksef_schemas_new(&s, ts_schema_dir_or_skip(), NULL),
			 0);
	ts_read_file(&b, ts_shared_path("ksef-samples/invoices/extra/"
		"java-invoice-template-fa-3-with-custom-subject_3.xml"));
	ts_replace(&b, "#nip#", "5265877635");
	ts_replace(&b, "#invoice_number#", "S-1");
	ts_replace(&b, "#invoicing_date#", "2025-09-01");
	ts_replace(&b, "#subject2nip#", "1234563218");
	ts_replace(&b, "#subject3IdentifierValue#", "<NIP>7010012385</NIP>");
	v = verify(s, &b);
	assert_string_equal(ksef_verdict_summary(v, KSEF_SUMMARY_CURRENCY),
			    "PLN");
	assert_string_equal(ksef_verdict_summary(v, KSEF_SUMMARY_NET),
			    "52260.10");
	assert_string_equal(ksef_verdict_summary(v, KSEF_SUMMARY_VAT),
			    "12019.82");
	assert_string_equal(ksef_verdict_summary(v, KSEF_SUMMARY_GROSS),
			    "64279.92");
	assert_string_equal(ksef_verdict_summary(v,
			    KSEF_SUMMARY_SELF_INVOICING), "2");
	assert_string_equal(ksef_verdict_summary(v, KSEF_SUMMARY_SELLER_NAME),
			    "Elektrownia S.A.");
	assert_non_null(ksef_verdict_summary(v, KSEF_SUMMARY_BUYER_NAME));
	assert_null(ksef_verdict_summary(v, KSEF_SUMMARY_AUTHORIZED_NIP));
	assert_int_equal(ksef_verdict_third_party_role(v, 0), 8);
	assert_int_equal(ksef_verdict_third_party_role(v, 1), 0);
	assert_null(ksef_verdict_summary(v, KSEF_SUMMARY_COUNT));
	assert_null(ksef_verdict_summary(NULL, KSEF_SUMMARY_NET));
	ksef_verdict_free(v);
	ksef_buf_dispose(&b);
	ksef_schemas_free(s);
}

/* The text of <name> in a document. */
static void element(const ksef_buf *b, const char *name, char *out)
{
	char open[32];
	const char *p, *e;

	snprintf(open, sizeof(open), "<%s>", name);
	p = strstr((const char *)b->ptr, open);
	assert_non_null(p);
	p += strlen(open);
	e = strchr(p, '<');
	snprintf(out, 32, "%.*s", (int)(e - p), p);
}

/* Generated invoices add up (gen.h): P_15 = net + VAT, as read. */
static void generated_totals_add_up(void **state)
{
	ksef_gen_options o = KSEF_GEN_OPTIONS_INIT;
	ksef_schemas *s = NULL;
	ksef_buf b = KSEF_BUF_INIT;
	ksef_verdict *v;
	char p15[32];
	double net, vat, gross;
	uint64_t i;

	(void)state;
	assert_int_equal(ksef_schemas_new(&s, ts_schema_dir_or_skip(), NULL),
			 0);
	o.seller_nip = "5265877635";
	o.seed = 7;
	for (i = 0; i < 5; i++) {
		assert_int_equal(ksef_gen_invoice(&b, &o, i, NULL), 0);
		v = verify(s, &b);
		element(&b, "P_15", p15);
		gross = strtod(ksef_verdict_summary(v, KSEF_SUMMARY_GROSS),
			       NULL);
		net = strtod(ksef_verdict_summary(v, KSEF_SUMMARY_NET), NULL);
		vat = strtod(ksef_verdict_summary(v, KSEF_SUMMARY_VAT), NULL);
		assert_true(gross == strtod(p15, NULL));
		assert_true(net + vat > gross - 0.005 &&
			    net + vat < gross + 0.005);
		ksef_verdict_free(v);
	}
	ksef_buf_dispose(&b);
	ksef_schemas_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_sample_summary_is_read),
		cmocka_unit_test(generated_totals_add_up),
	};

	if (ksef_global_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
