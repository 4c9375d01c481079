/*
 * invoice_fuzz.c - untrusted invoice bytes through the whole verification
 * (byte rules, safe parse, FA (3) schema, field extraction). Needs the
 * schemas: $KSEF_SCHEMA_DIR or the build's default.
 */
#include <stdint.h>
#include <stdlib.h>
#include "ksef/ksef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ksef_schemas *schemas;
	ksef_verify_options opts = KSEF_VERIFY_OPTIONS_INIT;
	ksef_verdict *v = NULL;

	if (schemas == NULL &&
	    (ksef_global_init() != 0 ||
	     ksef_schemas_new(&schemas, NULL, NULL) != 0))
		abort();
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
