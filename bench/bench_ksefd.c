/*
 * bench_ksefd.c - a running ksefd at its ceiling, measured through its
 * whole API, with the ceiling's pieces measured in the same run. The
 * report (docs/benchmarks.md shows one) has:
 *
 *  - the ceiling, before any load: verify-only on 2 threads over the same
 *    generated invoices (verify_ceiling.c, shared with bench_verify), and
 *    the SQLite group-commit insert rate of rows the size of their
 *    ciphertext (sqlite_ceiling.c), in a scratch folder on the server's
 *    disk;
 *  - closed loop (the default): T sessions, each with N sender threads
 *    (--in-flight, default 1), send their invoices as fast as they can,
 *    then read every final status back through the session's invoice
 *    listing: accepted/s, verified/s end to end, the statuses, and
 *    verified/s over verify-only/s;
 *  - open loop (--rate R[,R...]): requests start on a fixed schedule;
 *    the 202's latency percentiles from each scheduled start, the rate
 *    achieved and the errors, for each offered rate;
 *  - with --downloads-per-second D, alongside each open-loop rate: D
 *    downloads a second, on a schedule of their own, of what earlier
 *    sessions stored (load_download.c), with their latency and errors;
 *  - with --server-pid, the server's CPU per invoice and its memory, from
 *    /proc, for each load phase.
 *
 * A benchmark with a report, never a test. scripts/bench-ksefd.sh starts
 * a fresh ksefd and runs this against it; the usage text lists every
 * option.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "load.h"

#define MAX_RATES 16
/* The closed loop's sender threads at most: ksefd's default connection
 * limit (--max-connections), one connection each. */
#define MAX_SENDERS 512
/* ksefd's default --max-connections-per-ip: more senders than this get
 * refused connections unless the server is told otherwise. */
#define KSEFD_CONNECTIONS_PER_IP 64

static const char usage_text[] =
"usage: bench_ksefd --base-url URL[,URL...] --nip NIP --token TOKEN [options]\n"
"  (several URLs: nodes on one store; each client goes to the next)\n"
"  --invoices N         closed loop: invoices in all (default 2000)\n"
"  --threads T          sessions (default 8)\n"
"  --in-flight N        closed loop: sender threads a session, each on its\n"
"                       own connection, so T * N requests in flight\n"
"                       (default 1; T * N at most 512, and ksefd takes\n"
"                       64 connections from one address unless given\n"
"                       --max-connections-per-ip)\n"
"  --size BYTES         invoice size, 2000 to 1000000 (default 10000)\n"
"  --rate R[,R...]      open loop at each offered rate (invoices/s)\n"
"                       instead of the closed loop\n"
"  --duration S         open loop: seconds a rate (default 10)\n"
"  --senders W          open loop: sender threads (default 32)\n"
"  --downloads-per-second D\n"
"                       open loop: also D downloads a second of what\n"
"                       earlier sessions stored: invoices by KSeF number,\n"
"                       invoice and session UPOs, session invoice\n"
"                       listings (default 0: none)\n"
"  --downloaders W      their threads (default 8)\n"
"  --server-pid PID[,PID...] read the server's (the nodes' summed) CPU\n"
"                       and memory from /proc\n"
"  --db-pid PID         the database's postmaster: its and its\n"
"                       children's CPU, per invoice\n"
"  --scratch-dir DIR    where the SQLite ceiling's file goes (default\n"
"                       $TMPDIR or /tmp; use the server's disk)\n"
"  --verify-invoices N  verify-only ceiling's invoices (0 skips it;\n"
"                       default 2000, fewer for large invoices)\n"
"  --verify-threads N   its threads (default 2)\n"
"  --sqlite-rows N      SQLite ceiling's rows (0 skips it; default 4000,\n"
"                       fewer for large invoices)\n"
"  --page-size N        invoice listing page, 10 to 1000 (default 1000)\n"
"  --await-timeout S    longest wait for final statuses (default 120)\n"
"  --schemas DIR        the official schemas (default: as libksef finds\n"
"                       them)\n"
"  --seed N             the invoices' series (default: the time, so that\n"
"                       no run repeats an earlier run's numbers)\n"
"  --json FILE          also write the figures as JSON (- for stdout)\n";

struct options {
	struct target t;
	size_t invoices, threads, in_flight, size, senders, downloaders;
	size_t download_rate;
	double rates[MAX_RATES], duration, await_timeout;
	size_t rate_count;
	long server_pid, db_pid;
	const char *server_pids;
	uint64_t seed;
	int have_seed;
	const char *scratch, *schemas, *json;
	long verify_n, sqlite_rows;  /* -1: the default for the size */
	size_t verify_threads;
	int page_size;
};

static int parse_size(size_t *out, const char *s, size_t lo, size_t hi)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_seconds(double *out, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v > 0) || v > 86400)
		return -1;
	*out = v;
	return 0;
}

static int parse_rates(struct options *o, const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int rc = 0;

	if (copy == NULL)
		return -1;
	o->rate_count = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->rate_count == MAX_RATES ||
		    parse_seconds(&o->rates[o->rate_count], tok) != 0)
			rc = -1;
		o->rate_count++;
	}
	free(copy);
	return rc == 0 && o->rate_count > 0 ? 0 : -1;
}

static int parse_args(struct options *o, int argc, char **argv)
{
	size_t v;
	int a;

	for (a = 1; a < argc; a += 2) {
		const char *k = argv[a], *val = a + 1 < argc ? argv[a + 1] :
			NULL;

		if (val == NULL)
			return -1;
		if (strcmp(k, "--base-url") == 0) o->t.base_url = val;
		else if (strcmp(k, "--nip") == 0) o->t.nip = val;
		else if (strcmp(k, "--token") == 0) o->t.token = val;
		else if (strcmp(k, "--invoices") == 0) {
			if (parse_size(&o->invoices, val, 1, 10000000))
				return -1;
		} else if (strcmp(k, "--threads") == 0) {
			if (parse_size(&o->threads, val, 1, 64))
				return -1;
		} else if (strcmp(k, "--in-flight") == 0) {
			if (parse_size(&o->in_flight, val, 1, 64))
				return -1;
		} else if (strcmp(k, "--size") == 0) {
			if (parse_size(&o->size, val, KSEF_GEN_MIN_BYTES,
				       KSEF_INVOICE_MAX_BYTES_PLAIN))
				return -1;
		} else if (strcmp(k, "--rate") == 0) {
			if (parse_rates(o, val))
				return -1;
		} else if (strcmp(k, "--duration") == 0) {
			if (parse_seconds(&o->duration, val))
				return -1;
		} else if (strcmp(k, "--senders") == 0) {
			if (parse_size(&o->senders, val, 1, 256))
				return -1;
		} else if (strcmp(k, "--downloads-per-second") == 0) {
			if (parse_size(&o->download_rate, val, 0, 100000))
				return -1;
		} else if (strcmp(k, "--downloaders") == 0) {
			if (parse_size(&o->downloaders, val, 1, 256))
				return -1;
		} else if (strcmp(k, "--server-pid") == 0) {
			/* One pid, or the nodes' (comma-separated). */
			if (proc_watch(val, o->db_pid) != 0)
				return -1;
			o->server_pids = val;
			o->server_pid = strtol(val, NULL, 10);
		} else if (strcmp(k, "--db-pid") == 0) {
			if (parse_size(&v, val, 1, 0x7fffffff))
				return -1;
			o->db_pid = (long)v;
		} else if (strcmp(k, "--scratch-dir") == 0) o->scratch = val;
		else if (strcmp(k, "--verify-invoices") == 0) {
			if (parse_size(&v, val, 0, 1000000))
				return -1;
			o->verify_n = (long)v;
		} else if (strcmp(k, "--verify-threads") == 0) {
			if (parse_size(&o->verify_threads, val, 1, 64))
				return -1;
		} else if (strcmp(k, "--sqlite-rows") == 0) {
			if (parse_size(&v, val, 0, 10000000))
				return -1;
			o->sqlite_rows = (long)v;
		} else if (strcmp(k, "--page-size") == 0) {
			if (parse_size(&v, val, 10, 1000))
				return -1;
			o->page_size = (int)v;
		} else if (strcmp(k, "--await-timeout") == 0) {
			if (parse_seconds(&o->await_timeout, val))
				return -1;
		} else if (strcmp(k, "--seed") == 0) {
			if (parse_size(&v, val, 0, SIZE_MAX))
				return -1;
			o->seed = v;
			o->have_seed = 1;
		} else if (strcmp(k, "--schemas") == 0) o->schemas = val;
		else if (strcmp(k, "--json") == 0) o->json = val;
		else
			return -1;
	}
	if (o->t.base_url == NULL || o->t.nip == NULL || o->t.token == NULL)
		return -1;
	/* --db-pid may come after --server-pid. */
	if (o->server_pids != NULL && proc_watch(o->server_pids, o->db_pid))
		return -1;
	if (o->rate_count == 0 && o->invoices < o->threads)
		return -1;
	/* Downloads run alongside an open loop's schedule only. */
	if (o->rate_count == 0 && o->download_rate > 0)
		return -1;
	if (o->threads * o->in_flight > MAX_SENDERS)
		return -1;
	return 0;
}

/* The ciphertext of n plaintext bytes: AES-CBC with PKCS#7 padding. */
static size_t ciphertext_size(size_t n)
{
	return (n / 16 + 1) * 16;
}

static int run_verify(struct run_report *r, const struct options *o,
		      const ksef_gen_options *go)
{
	ksef_schemas *schemas = NULL;
	ksef_buf *docs;
	ksef_error err;
	int rc = -1;

	fprintf(stderr, "bench_ksefd: verify-only ceiling, %zu invoices on "
		"%zu threads\n", r->verify_n, r->verify_threads);
	docs = calloc(r->verify_n, sizeof(*docs));
	if (docs == NULL)
		return -1;
	/* The same series the load sends: the same bytes. */
	if (bench_docs_gen(docs, go, 1, r->verify_n, NULL, &err) != 0 ||
	    ksef_schemas_new(&schemas, o->schemas, &err) != 0 ||
	    ksef_schemas_compile(schemas, KSEF_FORM_FA3, &err) != 0) {
		fprintf(stderr, "bench_ksefd: %s\n", err.message);
		goto out;
	}
	if (verify_ceiling_run(&r->verify, schemas, docs, r->verify_n,
			       r->verify_threads, NULL) == 0) {
		r->have_verify = 1;
		rc = 0;
	}
out:
	bench_docs_free(docs, r->verify_n);
	ksef_schemas_free(schemas);
	return rc;
}

static int run_sqlite(struct run_report *r)
{
	fprintf(stderr, "bench_ksefd: SQLite group-commit ceiling, %zu rows "
		"from %zu thread%s\n", r->sqlite_opts.rows,
		r->sqlite_opts.producers,
		r->sqlite_opts.producers == 1 ? "" : "s");
	if (sqlite_ceiling_run(&r->sqlite, &r->sqlite_opts) != 0)
		return -1;
	r->have_sqlite = 1;
	return 0;
}

/* 0 when every invoice was accepted and ended 200, else 1. */
static int all_good(const struct run_report *r)
{
	size_t i;

	if (r->have_verify && r->verify.failed)
		return 1;
	if (r->have_closed &&
	    (tally_total(&r->closed.send_errors) || r->closed.timed_out ||
	     tally_count(&r->closed.statuses, 200) != r->closed.sent))
		return 1;
	for (i = 0; i < r->open_count; i++)
		if (r->open[i].accepted != r->open[i].scheduled ||
		    r->open[i].dl.ok != r->open[i].dl.scheduled ||
		    r->open[i].timed_out ||
		    tally_count(&r->open[i].statuses, 200) !=
		    r->open[i].accepted)
			return 1;
	return 0;
}

static int write_json(const struct run_report *r, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");

	if (f == NULL) {
		fprintf(stderr, "bench_ksefd: cannot write %s\n", path);
		return -1;
	}
	report_json(f, r);
	return f == stdout ? 0 : fclose(f);
}

int main(int argc, char **argv)
{
	struct options o = { .invoices = 2000, .threads = 8, .in_flight = 1,
			     .size = 10000, .senders = 32, .duration = 10,
			     .downloaders = 8,
			     .await_timeout = 120, .verify_n = -1,
			     .sqlite_rows = -1, .verify_threads = 2,
			     .page_size = 1000 };
	ksef_gen_options go = KSEF_GEN_OPTIONS_INIT;
	struct run_report r;
	ksef_buf sample = KSEF_BUF_INIT;
	uint64_t next_index;
	size_t i;
	int failed = 0;

	memset(&r, 0, sizeof(r));
	if (parse_args(&o, argc, argv) != 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	o.t.page_size = o.page_size;
	o.t.await_timeout = o.await_timeout;
	if (o.scratch == NULL)
		o.scratch = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	go.seller_nip = o.t.nip;
	go.target_bytes = o.size;
	/* A fresh series each run: a server that keeps its data would
	 * otherwise see the numbers of an earlier run again. */
	go.seed = o.have_seed ? o.seed : (uint64_t)time(NULL);
	if (ksef_global_init() != 0 ||
	    ksef_gen_invoice(&sample, &go, 1, NULL) != 0) {
		fprintf(stderr, "bench_ksefd: cannot generate invoices\n");
		return 1;
	}

	r.base_url = o.t.base_url;
	r.server_pid = o.server_pid;
	r.doc_bytes = sample.size;
	ksef_buf_dispose(&sample);
	/* About 20 MB of invoices to verify, 40 MB of rows to commit: a
	 * second or two each, whatever the size. */
	r.verify_n = o.verify_n >= 0 ? (size_t)o.verify_n :
		     o.size <= 10000 ? 2000 : 20000000 / o.size + 10;
	r.verify_threads = o.verify_threads;
	r.sqlite_opts.dir = o.scratch;
	r.sqlite_opts.blob_bytes = ciphertext_size(r.doc_bytes);
	/* As many writers waiting on a commit as the load has requests in
	 * flight, each of which waits for its durable 202. */
	r.sqlite_opts.producers = o.rate_count ? o.threads :
				  o.threads * o.in_flight;
	r.sqlite_opts.rows = o.sqlite_rows >= 0 ? (size_t)o.sqlite_rows :
			     o.size <= 10000 ? 4000 : 40000000 / o.size + 50;

	if ((r.verify_n && run_verify(&r, &o, &go) != 0) ||
	    (r.sqlite_opts.rows && run_sqlite(&r) != 0))
		return 1;
	if (load_login(&o.t) != 0)
		return 1;

	if (o.rate_count == 0) {
		r.closed_opts = (struct closed_options){ .threads = o.threads,
			.in_flight = o.in_flight,
			.per_thread = o.invoices / o.threads, .gen = go,
			.first_index = 1, .server_pid = o.server_pid };
		fprintf(stderr, "bench_ksefd: closed loop, %zu invoices, "
			"%zu session%s × %zu in flight\n",
			r.closed_opts.per_thread * o.threads, o.threads,
			o.threads == 1 ? "" : "s", o.in_flight);
		if (o.threads * o.in_flight > KSEFD_CONNECTIONS_PER_IP)
			fprintf(stderr, "bench_ksefd: %zu connections; ksefd "
				"takes %d from one address unless given "
				"--max-connections-per-ip\n",
				o.threads * o.in_flight,
				KSEFD_CONNECTIONS_PER_IP);
		if (closed_run(&r.closed, &o.t, &r.closed_opts) != 0)
			failed = 1;
		r.have_closed = 1;
	} else {
		r.open = calloc(o.rate_count, sizeof(*r.open));
		if (r.open == NULL)
			return 1;
		r.open_opts = (struct open_options){ .duration = o.duration,
			.sessions = o.threads, .senders = o.senders,
			.download_rate = (double)o.download_rate,
			.downloaders = o.downloaders, .gen = go,
			.server_pid = o.server_pid };
		next_index = 1;
		for (i = 0; i < o.rate_count; i++) {
			struct open_options step = r.open_opts;

			step.rate = o.rates[i];
			step.first_index = next_index;
			next_index += (uint64_t)(step.rate * step.duration) + 1;
			fprintf(stderr, "bench_ksefd: open loop at %.0f/s for "
				"%.1f s", step.rate, step.duration);
			if (step.download_rate > 0)
				fprintf(stderr, ", %.0f downloads/s",
					step.download_rate);
			fprintf(stderr, "\n");
			if (open_run(&r.open[i], &o.t, &step) != 0)
				failed = 1;
			r.open_count++;
		}
	}
	report_text(stdout, &r);
	if (o.json != NULL && write_json(&r, o.json) != 0)
		failed = 1;
	failed |= all_good(&r);
	free(r.open);
	return failed;
}
