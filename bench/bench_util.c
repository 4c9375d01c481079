/*
 * bench_util.c - the small helpers every benchmark program uses: the
 * clock, sleeping to a deadline, quantiles and invoice series. Nothing
 * here measures anything by itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "bench.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_sleep_until(double t)
{
	struct timespec ts;
	double whole;

	if (t <= bench_now())
		return;
	whole = (double)(time_t)t;
	ts.tv_sec = (time_t)whole;
	ts.tv_nsec = (long)((t - whole) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	/* An absolute deadline: a signal or an early wake-up never makes
	 * the schedule drift, which a relative sleep would. */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

void bench_sleep_ms(long ms)
{
	bench_sleep_until(bench_now() + (double)ms / 1e3);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void bench_sort(double *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_double);
}

double bench_quantile(const double *sorted, size_t n, double q)
{
	size_t rank;

	if (n == 0)
		return 0;
	if (q <= 0)
		return sorted[0];
	/* Nearest rank: the smallest sample with at least q of all at or
	 * below it. */
	rank = (size_t)(q * (double)n);
	if ((double)rank < q * (double)n)
		rank++;
	if (rank > n)
		rank = n;
	return sorted[rank ? rank - 1 : 0];
}

int bench_docs_gen(ksef_buf *docs, const ksef_gen_options *opts,
		   uint64_t first, size_t n, size_t *bytes_out,
		   ksef_error *err)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = ksef_gen_invoice(&docs[i], opts, first + i, err);
		if (rc != 0)
			return rc;
		if (bytes_out != NULL)
			*bytes_out += docs[i].size;
	}
	return 0;
}

void bench_docs_free(ksef_buf *docs, size_t n)
{
	size_t i;

	if (docs == NULL)
		return;
	for (i = 0; i < n; i++)
		ksef_buf_dispose(&docs[i]);
	free(docs);
}
