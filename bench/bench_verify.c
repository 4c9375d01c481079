/*
 * bench_verify.c - how long libksef takes to compile each official schema
 * and to verify a 10 KB FA (3) invoice (XML rules, parse, XSD, extraction),
 * on one thread and on several sharing one compiled schema. A benchmark,
 * not a test: it prints a report and asserts nothing about speed.
 *
 *   bench_verify [--invoices N] [--size BYTES] [--threads T] [--schemas DIR]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ksef/ksef.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct job {
	ksef_schemas *schemas;
	ksef_buf *docs;
	size_t from, to;
	double *lat;  /* per-invoice seconds, or NULL */
	size_t failed;
};

static void *run(void *arg)
{
	struct job *j = arg;
	size_t i;

	for (i = j->from; i < j->to; i++) {
		ksef_verdict *v = NULL;
		double t0 = now_s();

		if (ksef_invoice_verify(&v, j->schemas, KSEF_FORM_FA3,
					j->docs[i].ptr, j->docs[i].size, NULL,
					NULL) != 0 ||
		    ksef_verdict_status(v) != KSEF_INVOICE_STATUS_OK)
			j->failed++;
		if (j->lat != NULL)
			j->lat[i] = now_s() - t0;
		ksef_verdict_free(v);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	size_t n = 2000, size = 10000, threads = 2, i, total = 0, t;
	const char *dir = NULL;
	ksef_gen_options go = KSEF_GEN_OPTIONS_INIT;
	ksef_schemas *schemas = NULL;
	ksef_buf *docs;
	double *lat, t0, el;
	ksef_error err;
	struct job *jobs;
	pthread_t *tid;
	int f, a;

	for (a = 1; a < argc; a++) {
		if (a + 1 < argc && strcmp(argv[a], "--invoices") == 0)
			n = strtoul(argv[++a], NULL, 10);
		else if (a + 1 < argc && strcmp(argv[a], "--size") == 0)
			size = strtoul(argv[++a], NULL, 10);
		else if (a + 1 < argc && strcmp(argv[a], "--threads") == 0)
			threads = strtoul(argv[++a], NULL, 10);
		else if (a + 1 < argc && strcmp(argv[a], "--schemas") == 0)
			dir = argv[++a];
		else {
			fprintf(stderr, "usage: bench_verify [--invoices N] "
				"[--size BYTES] [--threads T] [--schemas DIR]\n");
			return 2;
		}
	}
	if (n == 0 || threads == 0 || threads > 64) {
		fprintf(stderr, "bench_verify: bad --invoices or --threads\n");
		return 2;
	}
	if (ksef_global_init() != 0)
		return 1;

	printf("libksef %s: schema compilation (each in a fresh set)\n",
	       ksef_version_string());
	for (f = 0; f < KSEF_FORM_COUNT; f++) {
		ksef_schemas *s = NULL;

		if (ksef_schemas_new(&s, dir, &err) != 0) {
			fprintf(stderr, "bench_verify: %s\n", err.message);
			return 1;
		}
		t0 = now_s();
		if (ksef_schemas_compile(s, (ksef_form)f, &err) != 0) {
			fprintf(stderr, "bench_verify: %s\n", err.message);
			return 1;
		}
		printf("  %-12s %8.1f ms\n",
		       ksef_form_code_of((ksef_form)f).system_code,
		       (now_s() - t0) * 1e3);
		ksef_schemas_free(s);
	}

	docs = calloc(n, sizeof(*docs));
	lat = calloc(n, sizeof(*lat));
	jobs = calloc(threads, sizeof(*jobs));
	tid = calloc(threads, sizeof(*tid));
	if (!docs || !lat || !jobs || !tid)
		return 1;
	go.seller_nip = "5265877635";
	go.issue_date = "2025-09-01";
	go.number_prefix = "BENCH";
	go.target_bytes = size;
	go.seed = 42;
	for (i = 0; i < n; i++) {
		if (ksef_gen_invoice(&docs[i], &go, i + 1, &err) != 0) {
			fprintf(stderr, "bench_verify: %s\n", err.message);
			return 1;
		}
		total += docs[i].size;
	}
	if (ksef_schemas_new(&schemas, dir, &err) != 0 ||
	    ksef_schemas_compile(schemas, KSEF_FORM_FA3, &err) != 0) {
		fprintf(stderr, "bench_verify: %s\n", err.message);
		return 1;
	}

	/* One thread, timing each invoice. */
	jobs[0] = (struct job){ schemas, docs, 0, n, lat, 0 };
	t0 = now_s();
	run(&jobs[0]);
	el = now_s() - t0;
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("\nverify %zu FA (3) invoices of %zu bytes on average "
	       "(XML rules, parse, XSD, fields)\n", n, total / n);
	printf("  1 thread:  %8.0f invoices/s, %6.1f MB/s; per invoice "
	       "median %.3f ms, p99 %.3f ms; failed %zu\n", n / el,
	       total / el / 1e6, lat[n / 2] * 1e3, lat[n * 99 / 100] * 1e3,
	       jobs[0].failed);

	/* Several threads sharing the compiled schema. */
	t0 = now_s();
	for (t = 0; t < threads; t++) {
		jobs[t] = (struct job){ schemas, docs, n * t / threads,
					n * (t + 1) / threads, NULL, 0 };
		pthread_create(&tid[t], NULL, run, &jobs[t]);
	}
	for (t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	el = now_s() - t0;
	for (t = 1; t < threads; t++)
		jobs[0].failed += jobs[t].failed;
	printf("  %zu threads: %8.0f invoices/s, %6.1f MB/s; failed %zu\n",
	       threads, n / el, total / el / 1e6, jobs[0].failed);

	a = jobs[0].failed ? 1 : 0;
	for (i = 0; i < n; i++)
		ksef_buf_dispose(&docs[i]);
	free(docs);
	free(lat);
	free(jobs);
	free(tid);
	ksef_schemas_free(schemas);
	return a;
}
