/*
 * bench.h - what the benchmark programs share: a monotonic clock, sleeping
 * until a deadline, quantiles of sorted samples, generating a series of
 * invoices, and the verify-only ceiling. bench_verify reports that ceiling
 * alone; bench_ksefd measures it with the same code in the same run as its
 * load, so that the two figures it divides come from one machine state.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>
#include "ksef/ksef.h"

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/* Sleep until bench_now() reaches t; returns at once if it has. */
void bench_sleep_until(double t);

/* Sleep ms milliseconds. */
void bench_sleep_ms(long ms);

/* Sort n doubles in ascending order. */
void bench_sort(double *v, size_t n);

/*
 * The q-quantile (0 to 1) of n sorted samples by nearest rank: q = 0.99
 * of 1,000 samples is the 990th. 0 when n is 0.
 */
double bench_quantile(const double *sorted, size_t n, double q);

/*
 * Generate invoices first .. first + n - 1 of the series `opts` describes
 * into docs[0 .. n - 1] (ksef_buf_dispose() each, or bench_docs_free()).
 * Adds their total size to *bytes_out when it is not NULL.
 * @return 0, or the generator's code with the reason in err.
 */
int bench_docs_gen(ksef_buf *docs, const ksef_gen_options *opts,
		   uint64_t first, size_t n, size_t *bytes_out,
		   ksef_error *err);

/* Dispose of n documents and free the array. NULL does nothing. */
void bench_docs_free(ksef_buf *docs, size_t n);

/* What one verify-only run measured. */
struct verify_ceiling {
	double seconds;  /* wall time of the whole run */
	size_t failed;   /* invoices whose verdict was not 200 */
};

/*
 * Verify docs[0 .. n - 1] as FA (3) with ksef_invoice_verify() on
 * `threads` threads sharing `schemas` (compiled beforehand, so that the
 * compile is not timed), each thread taking one contiguous slice. With
 * `lat` (n slots) each invoice's own time is stored there too; only
 * sensible on one thread, where the clock reads add nothing shared.
 * @return 0, or -1 if a thread cannot be started.
 */
int verify_ceiling_run(struct verify_ceiling *out, ksef_schemas *schemas,
		       const ksef_buf *docs, size_t n, size_t threads,
		       double *lat);

#endif
