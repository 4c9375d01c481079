/*
 * bench_verify.c - how long libksef takes to compile each official schema
 * and to verify a 10 KB FA (3) invoice (XML rules, parse, XSD, extraction),
 * on one thread and on several sharing one compiled schema. A benchmark,
 * not a test: it prints a report and asserts nothing about speed. The
 * verification itself is verify_ceiling.c's, which bench_ksefd runs too.
 *
 *   bench_verify [--invoices N] [--size BYTES] [--threads T] [--schemas DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"

int main(int argc, char **argv)
{
	size_t n = 2000, size = 10000, threads = 2, total = 0;
	const char *dir = NULL;
	ksef_gen_options go = KSEF_GEN_OPTIONS_INIT;
	ksef_schemas *schemas = NULL;
	struct verify_ceiling one, many;
	ksef_buf *docs;
	double *lat, t0;
	ksef_error err;
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
				"[--size BYTES] [--threads T] "
				"[--schemas DIR]\n");
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
		t0 = bench_now();
		if (ksef_schemas_compile(s, (ksef_form)f, &err) != 0) {
			fprintf(stderr, "bench_verify: %s\n", err.message);
			return 1;
		}
		printf("  %-12s %8.1f ms\n",
		       ksef_form_code_of((ksef_form)f).system_code,
		       (bench_now() - t0) * 1e3);
		ksef_schemas_free(s);
	}

	docs = calloc(n, sizeof(*docs));
	lat = calloc(n, sizeof(*lat));
	if (!docs || !lat)
		return 1;
	go.seller_nip = "5265877635";
	go.issue_date = "2025-09-01";
	go.number_prefix = "BENCH";
	go.target_bytes = size;
	go.seed = 42;
	if (bench_docs_gen(docs, &go, 1, n, &total, &err) != 0 ||
	    ksef_schemas_new(&schemas, dir, &err) != 0 ||
	    ksef_schemas_compile(schemas, KSEF_FORM_FA3, &err) != 0) {
		fprintf(stderr, "bench_verify: %s\n", err.message);
		return 1;
	}

	/* One thread, timing each invoice; then several threads sharing
	 * the compiled schema. */
	if (verify_ceiling_run(&one, schemas, docs, n, 1, lat) != 0 ||
	    verify_ceiling_run(&many, schemas, docs, n, threads, NULL) != 0) {
		fprintf(stderr, "bench_verify: cannot start threads\n");
		return 1;
	}
	bench_sort(lat, n);
	printf("\nverify %zu FA (3) invoices of %zu bytes on average "
	       "(XML rules, parse, XSD, fields)\n", n, total / n);
	printf("  1 thread:  %8.0f invoices/s, %6.1f MB/s; per invoice "
	       "median %.3f ms, p99 %.3f ms; failed %zu\n", n / one.seconds,
	       total / one.seconds / 1e6, bench_quantile(lat, n, 0.5) * 1e3,
	       bench_quantile(lat, n, 0.99) * 1e3, one.failed);
	printf("  %zu threads: %8.0f invoices/s, %6.1f MB/s; failed %zu\n",
	       threads, n / many.seconds, total / many.seconds / 1e6,
	       many.failed);

	a = one.failed || many.failed ? 1 : 0;
	bench_docs_free(docs, n);
	free(lat);
	ksef_schemas_free(schemas);
	return a;
}
