/*
 * ksefd_certs_fuzz.c - what a KSeF certificate request brings to ksefd
 * (certs_ca.c). Byte 0 picks (even, odd):
 *
 *   a CSR's DER for certs_csr_check() against a fixed subject;
 *   a certificate's DER for certs_subject_json().
 *
 * Checked: an accepted CSR has a 64-digit key hash and a refused one a
 * reason; a subject read is JSON that reads back as an object. KOD II
 * links are libksef's (fuzz target qr_cert).
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "certs_ca.h"
#include "fuzz_support.h"

/* The subject of the seeds' CSRs (C=PL, CN=Jan Kowalski). */
static const char subject[] =
	"{\"commonName\":\"Jan Kowalski\",\"countryName\":\"PL\"}";

static void csr(const uint8_t *p, size_t n)
{
	char hash[STORE_CTX_VALUE_SZ], why[160];
	certs_csr_verdict v = certs_csr_check(p, n, subject, hash, why,
					      sizeof(why));

	if (v == CERTS_CSR_OK && strlen(hash) != 64)
		abort();
	if (v != CERTS_CSR_OK && why[0] == '\0')
		abort();
}

static void subject_of(const uint8_t *p, size_t n)
{
	char out[STORE_CERT_SUBJECT_SZ];
	json_t *o;

	if (certs_subject_json(out, sizeof(out), p, n, NULL) != 0)
		return;
	o = json_loads(out, 0, NULL);
	if (!json_is_object(o))
		abort();
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t which = fuzz_byte(&in);

	if (which % 2 == 0)
		csr(in.p, in.n);
	else
		subject_of(in.p, in.n);
	return 0;
}
