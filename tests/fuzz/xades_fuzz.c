/*
 * xades_fuzz.c - untrusted AuthTokenRequest documents through the XAdES
 * verification ksefd runs on POST /auth/xades-signature.
 */
#include <stdint.h>
#include <stdlib.h>
#include "ksef/ksef.h"
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksef_xades_verify_options opts = KSEF_XADES_VERIFY_OPTIONS_INIT;
	ksef_xades_verified *v = NULL;

	fuzz_global_init();
	opts.ignore_validity = 1;
	if (ksef_xades_verify_auth_request(&v, data, size, &opts, NULL) == 0)
		(void)!ksef_xades_verified_challenge(v);
	ksef_xades_verified_free(v);
	return 0;
}
