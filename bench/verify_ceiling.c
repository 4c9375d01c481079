/*
 * verify_ceiling.c - the verify-only ceiling: how fast libksef checks
 * invoices (byte rules, parse, XSD, field extraction) with nothing else
 * running, on a chosen number of threads sharing one compiled schema. The
 * server cannot verify faster than this, so bench_ksefd divides its end to
 * end rate by it; bench_verify prints it alone.
 */
#include <pthread.h>
#include <stdlib.h>
#include "bench.h"

struct slice {
	ksef_schemas *schemas;
	const ksef_buf *docs;
	size_t from, to;
	double *lat;  /* per-invoice seconds, or NULL */
	size_t failed;
};

static void *run_slice(void *arg)
{
	struct slice *s = arg;
	size_t i;

	for (i = s->from; i < s->to; i++) {
		ksef_verdict *v = NULL;
		double t0 = s->lat != NULL ? bench_now() : 0;

		if (ksef_invoice_verify(&v, s->schemas, KSEF_FORM_FA3,
					s->docs[i].ptr, s->docs[i].size, NULL,
					NULL) != 0 ||
		    ksef_verdict_status(v) != KSEF_INVOICE_STATUS_OK)
			s->failed++;
		if (s->lat != NULL)
			s->lat[i] = bench_now() - t0;
		ksef_verdict_free(v);
	}
	return NULL;
}

int verify_ceiling_run(struct verify_ceiling *out, ksef_schemas *schemas,
		       const ksef_buf *docs, size_t n, size_t threads,
		       double *lat)
{
	struct slice *s = calloc(threads, sizeof(*s));
	pthread_t *tid = calloc(threads, sizeof(*tid));
	size_t t, started = 0;
	double t0;
	int rc = 0;

	out->seconds = 0;
	out->failed = 0;
	if (s == NULL || tid == NULL || threads == 0) {
		free(s);
		free(tid);
		return -1;
	}
	for (t = 0; t < threads; t++)
		s[t] = (struct slice){ schemas, docs, n * t / threads,
				       n * (t + 1) / threads, lat, 0 };
	t0 = bench_now();
	if (threads == 1) {
		/* No thread to start: the one-thread figure then includes
		 * no thread start-up either. */
		run_slice(&s[0]);
		started = 1;
	} else {
		for (t = 0; t < threads; t++) {
			if (pthread_create(&tid[t], NULL, run_slice,
					   &s[t]) != 0) {
				rc = -1;
				break;
			}
			started++;
		}
		for (t = 0; t < started; t++)
			pthread_join(tid[t], NULL);
	}
	out->seconds = bench_now() - t0;
	for (t = 0; t < started; t++)
		out->failed += s[t].failed;
	free(s);
	free(tid);
	return rc;
}
