/*
 * invoice_fuzz.c - untrusted invoice bytes through the whole verification
 * (byte rules, safe parse, FA (3) schema, field extraction). Needs the
 * schemas: $KSEF_SCHEMA_DIR or the build's default; skips (exit 77)
 * without them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "ksef/ksef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ksef_schemas *schemas;
	ksef_verify_options opts = KSEF_VERIFY_OPTIONS_INIT;
	ksef_verdict *v = NULL;

	if (schemas == NULL) {
		if (ksef_global_init() != 0)
			abort();
		/* Without the official schemas every input would stop at the
		 * same refusal: say so, and exit with the code CTest counts
		 * as skipped (SKIP_RETURN_CODE). */
		if (ksef_schemas_new(&schemas, NULL, NULL) != 0 ||
		    ksef_schemas_compile(schemas, KSEF_FORM_FA3, NULL) != 0) {
			const char *dir = getenv("KSEF_SCHEMA_DIR");

			printf("skipped: the official schemas are not in %s; "
			       "run scripts/fetch-schemas.sh\n",
			       dir && *dir ? dir : "the build's schema folder");
			ksef_schemas_free(schemas);
			exit(77);
		}
	}
	opts.reject_attachments = 1;
	opts.acceptance_date = "2030-01-01";
	opts.check_nip_checksums = 1;
	if (ksef_invoice_verify(&v, schemas, KSEF_FORM_FA3, data, size, &opts,
				NULL) == 0) {
		(void)!ksef_verdict_status(v);
		(void)!ksef_verdict_field(v, KSEF_FIELD_INVOICE_NUMBER);
	}
	ksef_verdict_free(v);
	return 0;
}
