/*
 * identifiers_fuzz.c - untrusted text through every identifier and time
 * parser: KSeF numbers, reference numbers, NIP, PESEL, dates, times, form
 * detection.
 */
#include <stdint.h>
#include <stdlib.h>
#include "ksef/ksef.h"
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	ksef_number_parts np;
	ksef_refnum_parts rp;
	ksef_time t;
	ksef_date d;
	ksef_form f;

	int rc = 0;

	fuzz_global_init();
	rc |= ksef_number_parse(&np, s, size, NULL);
	rc |= ksef_refnum_parse(&rp, s, size, NULL);
	rc |= ksef_nip_validate(s, size, NULL);
	rc |= ksef_pesel_validate(s, size, NULL);
	rc |= ksef_date_parse(&d, s, size, NULL);
	rc |= ksef_time_parse(&t, s, size, NULL);
	rc |= ksef_form_detect(&f, data, size, NULL);
	(void)rc;
	return 0;
}
