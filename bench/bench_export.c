/*
 * bench_export.c - the throughput of an invoice export, end to end, from
 * the client's side: from POST /invoices/exports until every part is
 * downloaded, decrypted and the package unpacked into a folder
 * (libksef's ksef_client_invoices_export() and
 * ksef_client_invoices_export_fetch()), in invoices/s and MB/s of
 * unpacked invoices. Optionally it first stores N invoices through
 * interactive sessions, so that a fresh ksefd has something to export.
 *
 * A benchmark with a report, never a test: it asserts nothing about
 * speed. Start a ksefd (for several parts, with --export-part-bytes) and
 * a token for the NIP, as scripts/bench-ksefd.sh does, then run e.g.
 *
 *   bench_export --base-url URL --nip NIP --token TOKEN --store 10000
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "ksef/client_invoices.h"
#include "load.h"

static const char usage_text[] =
"usage: bench_export --base-url URL --nip NIP --token TOKEN [options]\n"
"  --store N      first send N generated invoices (default 0: export what\n"
"                 the server holds)\n"
"  --size BYTES   each generated invoice's size (default 4096)\n"
"  --repeat N     exports to time (default 3); the report gives each\n"
"  --from TIME    dateRange.from in ms since the epoch (default: 1 day ago)\n"
"  --scratch DIR  where packages are unpacked (default $TMPDIR or /tmp)\n"
"  --json         the report as JSON\n";

struct opts {
	struct target t;
	size_t store, size;
	int repeat, json;
	int64_t from_ms;
	const char *scratch;
};

static int parse_args(struct opts *o, int argc, char **argv)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->size = 4096;
	o->repeat = 3;
	o->from_ms = (int64_t)time(NULL) * 1000 - 86400000;
	o->t.await_timeout = 600;
	o->t.page_size = 100;
	for (i = 1; i < argc; i++) {
		const char *k = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(k, "--json") == 0) {
			o->json = 1;
			continue;
		}
		if (val == NULL)
			return -1;
		i++;
		if (strcmp(k, "--base-url") == 0) o->t.base_url = val;
		else if (strcmp(k, "--nip") == 0) o->t.nip = val;
		else if (strcmp(k, "--token") == 0) o->t.token = val;
		else if (strcmp(k, "--store") == 0)
			o->store = (size_t)strtoull(val, NULL, 10);
		else if (strcmp(k, "--size") == 0)
			o->size = (size_t)strtoull(val, NULL, 10);
		else if (strcmp(k, "--repeat") == 0) o->repeat = atoi(val);
		else if (strcmp(k, "--from") == 0)
			o->from_ms = strtoll(val, NULL, 10);
		else if (strcmp(k, "--scratch") == 0) o->scratch = val;
		else return -1;
	}
	if (o->t.base_url == NULL || o->t.nip == NULL || o->t.token == NULL ||
	    o->repeat < 1 || o->repeat > 100)
		return -1;
	return 0;
}

/* Send n generated invoices through sessions of at most 10 000 each and
 * wait until all have their final status. */
static int store(struct opts *o, ksef_client *c, const ksef_pubkey *key)
{
	ksef_gen_options go = KSEF_GEN_OPTIONS_INIT;
	size_t done = 0, batch, i, pages;
	struct tally st;
	double at;
	ksef_error err;

	go.seller_nip = o->t.nip;
	go.target_bytes = o->size;
	go.seed = (uint64_t)time(NULL);
	while (done < o->store) {
		struct session s;
		ksef_buf *docs;

		batch = o->store - done < 10000 ? o->store - done : 10000;
		if ((docs = calloc(batch, sizeof(*docs))) == NULL ||
		    bench_docs_gen(docs, &go, done + 1, batch, NULL,
				   &err) != 0 ||
		    load_session_open(&s, c, key) != 0) {
			free(docs);
			fprintf(stderr,
				"bench_export: cannot store invoices\n");
			return -1;
		}
		for (i = 0; i < batch; i++) {
			char ref[KSEF_REFNUM_BUFSZ];

			if (ksef_client_invoice_send(ref, NULL, c, s.ref, s.env,
					docs[i].ptr, docs[i].size, NULL,
					&err) != 0) {
				fprintf(stderr, "bench_export: send: %s\n",
					err.message);
				break;
			}
		}
		memset(&st, 0, sizeof(st));
		pages = 0;
		load_session_await(&st, &pages, &at, &o->t, c, s.ref, i);
		load_session_close(&s, c);
		bench_docs_free(docs, batch);
		if (i < batch)
			return -1;
		done += batch;
	}
	return 0;
}

/* What one export measured. */
struct run {
	double build_s, total_s;  /* until built; until all unpacked */
	int64_t invoices, parts;
	uint64_t bytes;           /* unpacked */
};

static int one_export(struct run *r, struct opts *o, ksef_client *c,
		      const ksef_pubkey *key, const char *dir)
{
	ksef_export_fetch_options fo = KSEF_EXPORT_FETCH_OPTIONS_INIT;
	ksef_invoice_filters f = KSEF_INVOICE_FILTERS_INIT;
	ksef_api_export_status *st = NULL;
	ksef_api_export_result *res = NULL;
	ksef_envelope *env = NULL;
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_error err = { 0 };
	double t0;
	int rc = -1;

	f.subject = KSEF_SUBJECT_1;
	f.date_type = KSEF_DATE_PERMANENT_STORAGE;
	f.from_ms = o->from_ms;
	if (ksef_envelope_new(&env, &err) != 0)
		goto out;
	t0 = bench_now();
	if (ksef_client_invoices_export(ref, c, env, key, &f, 0, &err) != 0)
		goto out;
	for (;;) {
		if (ksef_client_invoices_export_status(&st, c, ref, &err) != 0)
			goto out;
		if (st->status->code != 100)
			break;
		ksef_api_export_status_free(st);
		st = NULL;
		bench_sleep_ms(50);
	}
	r->build_s = bench_now() - t0;
	if (st->status->code != 200) {
		snprintf(err.message, sizeof(err.message), "export %s: %d %s",
			 ref, st->status->code, st->status->description);
		goto out;
	}
	if (ksef_client_invoices_export_fetch(&res, c, st, env, dir, &fo,
					      &err) != 0)
		goto out;
	r->total_s = bench_now() - t0;
	r->invoices = st->package->invoice_count;
	r->parts = (int64_t)ksef_api_export_parts_count(st->package->parts);
	r->bytes = res->bytes;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "bench_export: %s\n", err.message);
	ksef_api_export_result_free(res);
	ksef_api_export_status_free(st);
	ksef_envelope_free(env);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct run *runs;
	ksef_client *c = NULL;
	ksef_pubkey *key = NULL, *sym = NULL;
	char dir[4096];
	int i, failed = 0;

	if (parse_args(&o, argc, argv) != 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (o.scratch == NULL)
		o.scratch = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	if ((runs = calloc((size_t)o.repeat, sizeof(*runs))) == NULL ||
	    ksef_global_init() != 0 || load_login(&o.t) != 0 ||
	    (c = load_client_new(&o.t)) == NULL ||
	    (sym = load_key(c, KSEF_KEY_USAGE_SYMMETRIC_KEY)) == NULL) {
		fprintf(stderr, "bench_export: cannot start\n");
		return 1;
	}
	key = sym;
	if (o.store > 0 && store(&o, c, key) != 0)
		return 1;
	for (i = 0; i < o.repeat; i++) {
		snprintf(dir, sizeof(dir), "%s/bench_export.XXXXXX",
			 o.scratch);
		if (mkdtemp(dir) == NULL) {
			fprintf(stderr, "bench_export: %s: %s\n", dir,
				strerror(errno));
			return 1;
		}
		if (one_export(&runs[i], &o, c, key, dir) != 0)
			failed = 1;
		/* The folder's invoices are not the measure: gone. */
		if (fork() == 0) {
			execlp("rm", "rm", "-rf", dir, (char *)NULL);
			_exit(127);
		}
		while (wait(NULL) > 0)
			;
		if (failed)
			break;
	}
	for (i = 0; i < o.repeat && !failed; i++) {
		struct run *r = &runs[i];
		double ips = r->total_s > 0 ?
			(double)r->invoices / r->total_s : 0;
		double mbs = r->total_s > 0 ?
			(double)r->bytes / 1e6 / r->total_s : 0;

		if (o.json)
			printf("{\"run\":%d,\"invoices\":%lld,\"parts\":%lld,"
			       "\"bytes\":%llu,\"buildSeconds\":%.3f,"
			       "\"totalSeconds\":%.3f,"
			       "\"invoicesPerSecond\":%.1f,"
			       "\"mbPerSecond\":%.2f}\n", i + 1,
			       (long long)r->invoices, (long long)r->parts,
			       (unsigned long long)r->bytes, r->build_s,
			       r->total_s, ips, mbs);
		else
			printf("export %d: %lld invoices, %lld parts, %.1f MB "
			       "unpacked; built in %.3f s, all in %.3f s: "
			       "%.1f invoices/s, %.2f MB/s\n", i + 1,
			       (long long)r->invoices, (long long)r->parts,
			       (double)r->bytes / 1e6, r->build_s, r->total_s,
			       ips, mbs);
	}
	ksef_pubkey_free(sym);
	ksef_client_free(c);
	free(runs);
	return failed;
}
