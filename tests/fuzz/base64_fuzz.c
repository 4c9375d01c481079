/*
 * base64_fuzz.c - untrusted Base64 and certificates: strict decoding and
 * loading a certificate in any of its three accepted forms.
 */
#include <stdint.h>
#include <stdlib.h>
#include "ksef/ksef.h"
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksef_buf out = KSEF_BUF_INIT;
	ksef_pubkey *key = NULL;

	int rc = 0;

	fuzz_global_init();
	rc |= ksef_base64_decode(&out, (const char *)data, size, 1 << 20, NULL);
	ksef_buf_dispose(&out);
	if (ksef_pubkey_load(&key, data, size, NULL) == 0)
		rc |= ksef_pubkey_id(key) == NULL;
	ksef_pubkey_free(key);
	(void)rc;
	return 0;
}
