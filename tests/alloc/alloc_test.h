/*
 * alloc_test.h - what the files of the allocation-failure test share
 * (alloc_test.c runs the paths; alloc_batch.c is the batch client's):
 * one path of the library, and the driver that fails each of its
 * allocations in turn.
 */
#ifndef KSEF_ALLOC_TEST_H
#define KSEF_ALLOC_TEST_H

#include <stddef.h>
#include "ksef/error.h"

struct path {
	const char *name;
	/* The measured call; armed. */
	int (*run)(ksef_error *err);
	/* After it, disarmed: check a success (fa_failed() says whether an
	 * allocation failed on the way), free what run made. */
	void (*done)(int rc);
	/* Runs allowed before sampling; 0 means every allocation. */
	long max_runs;
	/* Non-zero: KSEF_ENOMEM is the only failure allowed. */
	int strict;
	/* Codes a failed allocation must never give; 0 ends the list. */
	int forbidden[6];
};

/* Run each path with each allocation failing in turn (alloc_test.c). */
void exercise_all(const struct path *paths, size_t n);

/* The batch client's package (alloc_batch.c). */
void batches_fail_cleanly(void **state);

/* KOD II's signer, links and verification (alloc_qr_cert.c). */
void qr_certs_fail_cleanly(void **state);

/* The certificate client's key, request, PKCS#12 file and a page of
 * certificates (alloc_certificates.c). */
void certificates_fail_cleanly(void **state);

#endif
