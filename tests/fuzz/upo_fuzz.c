/*
 * upo_fuzz.c - untrusted UPO documents (official receipts, as a client
 * downloads them) through ksef_upo_verify() against a certificate the
 * caller trusts: the safe parse, the shape of the signature, the allowed
 * transforms and URIs, the digests and the signature value. The first
 * byte of an input chooses:
 *   even  verify the rest as it is, against the test certificate
 *         (fuzz_support.h), which signed the committed corpus;
 *   odd   sign the rest with the test key first (ksef_upo_sign() parses
 *         it too), then verify what came out: a UPO this library signed
 *         must verify, so a refusal is a finding.
 */
#include <stdio.h>
#include <stdlib.h>
#include "ksef/ksef.h"
#include "fuzz_support.h"

static ksef_upo_signer *signer;

static const char cert[] = FUZZ_TEST_CERT_PEM;

static void setup(void)
{
	static const char key[] = FUZZ_TEST_KEY_PEM;

	fuzz_global_init();
	if (ksef_upo_signer_new(&signer, key, sizeof(key) - 1,
				(const unsigned char *)cert, sizeof(cert) - 1,
				NULL) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 2025-06-26 10:00 UTC: signatures come out the same every run. */
	static const ksef_time when = { 1750932000000LL, 120 };
	struct fuzz_in in = { data, size };
	ksef_buf signed_upo = KSEF_BUF_INIT;
	ksef_error err;

	if (signer == NULL)
		setup();
	if ((fuzz_byte(&in) & 1) == 0) {
		(void)!ksef_upo_verify(in.p, in.n, (const unsigned char *)cert,
				       sizeof(cert) - 1, NULL);
		return 0;
	}
	if (ksef_upo_sign(&signed_upo, signer, in.p, in.n, &when, NULL) ==
	    0 &&
	    ksef_upo_verify(signed_upo.ptr, signed_upo.size,
			    (const unsigned char *)cert, sizeof(cert) - 1,
			    &err) != 0) {
		fprintf(stderr, "a UPO signed here does not verify: %s\n",
			err.message);
		abort();
	}
	ksef_buf_dispose(&signed_upo);
	return 0;
}
