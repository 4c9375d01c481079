/*
 * invoice_fuzz.c - untrusted invoice bytes through the whole verification
 * (byte rules, safe parse, the form's schema, field extraction) of any of
 * the five forms: the first byte of an input picks the form (modulo
 * KSEF_FORM_COUNT: FA (2), FA (3), PEF (3), PEF_KOR (3), FA_RR (1)), the
 * rest is the document. Needs the schemas: $KSEF_SCHEMA_DIR or the
 * build's default; skips (exit 77) without them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "fuzz_support.h"

static ksef_schemas *schemas;

static void setup(void)
{
	int form;

	fuzz_global_init();
	/* Without the official schemas every input would stop at the same
	 * refusal: say so, and exit with the code CTest counts as skipped
	 * (SKIP_RETURN_CODE). */
	if (ksef_schemas_new(&schemas, NULL, NULL) != 0)
		goto missing;
	for (form = 0; form < KSEF_FORM_COUNT; form++)
		if (ksef_schemas_compile(schemas, (ksef_form)form, NULL) != 0)
			goto missing;
	return;
missing:
	{
		const char *dir = getenv("KSEF_SCHEMA_DIR");

		printf("skipped: the official schemas are not in %s; "
		       "run scripts/fetch-schemas.sh\n",
		       dir && *dir ? dir : "the build's schema folder");
		ksef_schemas_free(schemas);
		exit(77);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksef_verify_options opts = KSEF_VERIFY_OPTIONS_INIT;
	struct fuzz_in in = { data, size };
	ksef_verdict *v = NULL;
	ksef_form form;
	int field;

	if (schemas == NULL)
		setup();
	form = (ksef_form)(fuzz_byte(&in) % KSEF_FORM_COUNT);
	opts.reject_attachments = 1;
	opts.acceptance_date = "2030-01-01";
	opts.check_nip_checksums = 1;
	if (ksef_invoice_verify(&v, schemas, form, in.p, in.n, &opts,
				NULL) == 0) {
		const char *s;
		size_t i;

		(void)!ksef_verdict_status(v);
		(void)!ksef_verdict_line(v);
		(void)!ksef_verdict_has_attachment(v);
		/* Read every string: ASan reports one without its NUL. */
		for (field = 0; field < KSEF_FIELD_COUNT; field++)
			if ((s = ksef_verdict_field(v, (ksef_field)field)))
				(void)!strlen(s);
		for (i = 0; i < ksef_verdict_detail_count(v); i++)
			if ((s = ksef_verdict_detail(v, i)))
				(void)!strlen(s);
		for (i = 0; i < ksef_verdict_third_party_count(v); i++)
			if ((s = ksef_verdict_third_party(v, i)))
				(void)!strlen(s);
	}
	ksef_verdict_free(v);
	return 0;
}
