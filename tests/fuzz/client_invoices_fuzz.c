/*
 * client_invoices_fuzz.c - a hostile or broken server against invoice
 * retrieval's client side (client_invoices_*.c). The first byte picks:
 * 0, the answer of POST /invoices/query/metadata; 1, the answer of GET
 * /invoices/exports/{ref}, both read from the input instead of the
 * network (ksef__client_script()) and then through every accessor, so a
 * string without its NUL or a list miscounted shows under ASan; 2, the
 * rest as a package's ZIP, unpacked into a scratch folder
 * (ksef__export_unzip()): whatever the entries, nothing may be written
 * outside it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "ksef/ksef.h"
#include "client_invoices_int.h"
#include "fuzz_support.h"

static size_t touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static size_t query(ksef_client *c)
{
	ksef_invoice_filters f = KSEF_INVOICE_FILTERS_INIT;
	ksef_api_invoice_query *q = NULL;
	size_t i, t = 0;

	f.subject = KSEF_SUBJECT_1;
	f.date_type = KSEF_DATE_PERMANENT_STORAGE;
	f.from_ms = 0;
	if (ksef_client_invoices_query(&q, c, &f, 0, 0, 10, NULL) == 0)
		for (i = 0; i <= ksef_api_invoice_metadata_list_count(
			     q->invoices); i++) {
			const ksef_api_invoice_metadata *m =
				ksef_api_invoice_metadata_list_at(q->invoices,
								  i);

			if (m != NULL)
				t += touch(m->ksef_number) + touch(m->json) +
				     touch(m->buyer_id_value) +
				     touch(m->seller_name) +
				     touch(m->form_code);
		}
	ksef_api_invoice_query_free(q);
	return t;
}

static size_t status(ksef_client *c)
{
	ksef_api_export_status *st = NULL;
	size_t i, t = 0;

	if (ksef_client_invoices_export_status(&st, c,
			"20251010-EH-1B6C9EB000-4B15D3AEB9-89", NULL) == 0 &&
	    st->package != NULL) {
		t += touch(st->package->last_issue_date);
		for (i = 0; i <= ksef_api_export_parts_count(
			     st->package->parts); i++) {
			const ksef_api_export_part *p =
				ksef_api_export_parts_at(st->package->parts, i);

			if (p != NULL)
				t += touch(p->url) + touch(p->part_hash) +
				     touch(p->encrypted_part_hash) +
				     touch(p->part_name) + touch(p->method);
		}
		t += (size_t)ksef_export_next_from(st->package, 0);
	}
	ksef_api_export_status_free(st);
	return t;
}

/* Empty a folder of the plain files the unpacker may write. */
static void empty(const char *dir)
{
	char path[4096 + 256];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) != 0)
			abort(); /* a folder: the unpacker made one */
	}
	closedir(d);
}

static size_t unzip(const uint8_t *p, size_t n)
{
	char zip[4096], out[4096];
	size_t written = 0, kept = 0;
	uint64_t bytes = 0;

	snprintf(zip, sizeof(zip), "%s/p.zip", fuzz_scratch_dir());
	snprintf(out, sizeof(out), "%s/out", fuzz_scratch_dir());
	if (mkdir(out, 0700) != 0 && access(out, F_OK) != 0)
		abort();
	fuzz_write_file(zip, p, n, 0600);
	(void)ksef__export_unzip(zip, out, 0, NULL, NULL, &written, &kept,
				 &bytes, NULL);
	empty(out);
	return written + (size_t)bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	struct fuzz_in in = { data, size };
	ksef_client *c = NULL;
	unsigned first;
	volatile size_t sink;

	fuzz_global_init();
	first = fuzz_byte(&in) % 3;
	if (first == 2) {
		sink = unzip(in.p, in.n);
		(void)sink;
		return 0;
	}
	o.base_url = "http://127.0.0.1:1/v2";
	o.max_response_bytes = 1 << 20;
	o.max_retries = 0;
	o.max_rate_limit_waits = 0;
	if (ksef_client_new(&c, &o, NULL) != 0 ||
	    ksef_client_set_access_token(c, "access.token.x", NULL) != 0)
		abort();
	ksef__client_script(c, in.p, in.n);
	sink = first == 0 ? query(c) : status(c);
	(void)sink;
	ksef_client_free(c);
	return 0;
}
