/*
 * client_invoices_test.c - invoice retrieval's client side
 * (client_invoices_query.c, client_invoices_export.c,
 * client_invoices_unzip.c): the filters as JSON, held against the
 * request schemas of POST /invoices/query/metadata and POST
 * /invoices/exports; every filter the contract would refuse is
 * KSEF_EINVAL naming the field, before anything is sent; the contract's
 * own answers read field by field; a package fetched from scripted parts
 * (decrypted, joined, unpacked) and a part that does not match its hash;
 * the unpacker's refusal of hostile entries; where the next window of an
 * incremental retrieval starts.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include "ksef/ksef.h"
#include "ksef/client_invoices.h"
#include "client_invoices_int.h"
#include "contract.h"
#include "contract_key.h"

#define T0 INT64_C(1756372933388) /* 2025-08-28T09:22:13.388Z */

static char *keydir;      /* the test key's folder */
static ksef_pubkey *key;  /* an RSA-2048 certificate's key */

static int setup(void **state)
{
	(void)state;
	return contract_key_setup(&keydir, &key);
}

static int teardown(void **state)
{
	(void)state;
	contract_key_teardown(keydir, key);
	return 0;
}

static void assert_matches(const json_t *body, const json_t *schema)
{
	char why[512] = "";

	assert_non_null(schema);
	if (contract_check(body, schema, "body", why, sizeof(why)) != 0)
		fail_msg("%s", why);
}

static ksef_client *client(void)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;

	o.base_url = "http://127.0.0.1:1/v2";
	o.max_retries = 0;
	o.max_rate_limit_waits = 0;
	assert_int_equal(ksef_client_new(&c, &o, NULL), 0);
	assert_int_equal(ksef_client_set_access_token(c, "tok", NULL), 0);
	return c;
}

static const char *const currencies[] = { "PLN", "EUR" };
static const char *const types[] = { "Vat", "Kor" };

/* Every filter set. */
static ksef_invoice_filters all_filters(void)
{
	ksef_invoice_filters f = KSEF_INVOICE_FILTERS_INIT;

	f.subject = KSEF_SUBJECT_2;
	f.date_type = KSEF_DATE_PERMANENT_STORAGE;
	f.from_ms = T0;
	f.to_ms = T0 + 86400000;
	f.restrict_to_hwm = 1;
	f.ksef_number = "5265877635-20250826-0100001AF629-AF";
	f.invoice_number = "FV/2025/Ż/1";
	f.amount_type = KSEF_AMOUNT_BRUTTO;
	f.amount_from = "100.5";
	f.amount_to = "250";
	f.seller_nip = "5265877635";
	f.buyer_type = KSEF_BUYER_VAT_UE;
	f.buyer_value = "DE123456789";
	f.currency_codes = currencies;
	f.currency_code_count = 2;
	f.invoicing_mode = KSEF_INVOICING_OFFLINE;
	f.is_self_invoicing = 0;
	f.form_type = "FA";
	f.invoice_types = types;
	f.invoice_type_count = 2;
	f.has_attachment = 1;
	return f;
}

static void every_filter_is_encoded_as_InvoiceQueryFilters(void **state)
{
	ksef_invoice_filters f = all_filters();
	json_t *o = NULL, *want;
	json_error_t jerr;

	(void)state;
	assert_int_equal(ksef__invoice_filters_json(&o, &f, NULL), 0);
	assert_matches(o, contract_request_schema("/invoices/query/metadata",
						  "post"));
	want = json_loads("{\"subjectType\":\"Subject2\",\"dateRange\":{"
		"\"dateType\":\"PermanentStorage\","
		"\"from\":\"2025-08-28T09:22:13.388Z\","
		"\"to\":\"2025-08-29T09:22:13.388Z\","
		"\"restrictToPermanentStorageHwmDate\":true},"
		"\"ksefNumber\":\"5265877635-20250826-0100001AF629-AF\","
		"\"invoiceNumber\":\"FV/2025/\\u017b/1\","
		"\"amount\":{\"type\":\"Brutto\",\"from\":100.5,\"to\":250.0},"
		"\"sellerNip\":\"5265877635\","
		"\"buyerIdentifier\":{\"type\":\"VatUe\","
		"\"value\":\"DE123456789\"},"
		"\"currencyCodes\":[\"PLN\",\"EUR\"],"
		"\"invoicingMode\":\"Offline\",\"isSelfInvoicing\":false,"
		"\"formType\":\"FA\",\"invoiceTypes\":[\"Vat\",\"Kor\"],"
		"\"hasAttachment\":true}", 0, &jerr);
	assert_non_null(want);
	if (!json_equal(o, want)) {
		char *got = json_dumps(o, JSON_SORT_KEYS);

		fail_msg("got %s", got);
	}
	json_decref(want);
	json_decref(o);
}

static void unset_filters_are_left_out(void **state)
{
	ksef_invoice_filters f = KSEF_INVOICE_FILTERS_INIT;
	json_t *o = NULL;

	(void)state;
	f.subject = KSEF_SUBJECT_1;
	f.date_type = KSEF_DATE_ISSUE;
	f.from_ms = T0;
	f.buyer_type = KSEF_BUYER_NONE;
	assert_int_equal(ksef__invoice_filters_json(&o, &f, NULL), 0);
	assert_matches(o, contract_request_schema("/invoices/query/metadata",
						  "post"));
	assert_int_equal(json_object_size(o), 3);
	assert_int_equal(json_object_size(json_object_get(o, "dateRange")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		o, "buyerIdentifier"), "type")), "None");
	assert_null(json_object_get(json_object_get(o, "buyerIdentifier"),
				    "value"));
	json_decref(o);
}

static void bad_filters_are_einval_naming_the_field(void **state)
{
	static const char *const bad_currency[] = { "pln" };
	static const char *const bad_type[] = { "Faktura" };
	ksef_invoice_filters f;
	json_t *o;
	ksef_error err;
	int i;
	/* Each case breaks one field of an otherwise valid set. */
	static const char *const field[] = {
		"subjectType", "dateRange.dateType", "dateRange.from",
		"dateRange.to", "restrictToPermanentStorageHwmDate",
		"ksefNumber", "invoiceNumber", "amount", "amount",
		"amount.to", "sellerNip", "buyerIdentifier.value",
		"buyerIdentifier.value", "buyerIdentifier",
		"currencyCodes", "currencyCodes", "invoicingMode",
		"isSelfInvoicing", "formType", "invoiceTypes",
		"hasAttachment", "buyerIdentifier.type",
	};

	(void)state;
	for (i = 0; i < (int)(sizeof(field) / sizeof(field[0])); i++) {
		f = all_filters();
		switch (i) {
		case 0: f.subject = KSEF_SUBJECT_NONE; break;
		case 1: f.date_type = (ksef_invoice_date_type)7; break;
		case 2: f.from_ms = KSEF_TIME_UNSET; break;
		case 3: f.to_ms = f.from_ms - 1; break;
		case 4: f.date_type = KSEF_DATE_ISSUE; break;
		case 5: f.ksef_number = "5265877635-20250826-0100001AF629-AA";
			break;
		case 6: f.invoice_number = ""; break;
		case 7: f.amount_type = KSEF_AMOUNT_ANY; break;
		case 8: f.amount_from = "1e5"; break;
		case 9: f.amount_to = "99"; break;
		case 10: f.seller_nip = "0123456789"; break;
		case 11: f.buyer_value = NULL; break;
		case 12: f.buyer_type = KSEF_BUYER_NIP; break;
		case 13: f.buyer_type = KSEF_BUYER_ANY; break;
		case 14: f.currency_codes = bad_currency;
			 f.currency_code_count = 1; break;
		case 15: f.currency_code_count = KSEF_INVOICE_FILTER_LIST_MAX +
					       1; break;
		case 16: f.invoicing_mode = (ksef_invoicing_mode)3; break;
		case 17: f.is_self_invoicing = 2; break;
		case 18: f.form_type = "FA (3)"; break;
		case 19: f.invoice_types = bad_type;
			 f.invoice_type_count = 1; break;
		case 20: f.has_attachment = -2; break;
		case 21: f.buyer_type = (ksef_invoice_buyer_type)9; break;
		}
		o = (json_t *)(void *)&f;
		assert_int_equal(ksef__invoice_filters_json(&o, &f, &err),
				 KSEF_EINVAL);
		assert_null(o);
		if (strstr(err.message, field[i]) == NULL)
			fail_msg("case %d: '%s' does not name %s", i,
				 err.message, field[i]);
	}
	/* A version the library does not know. */
	f = all_filters();
	f.version = KSEF_INVOICE_FILTERS_VERSION + 1;
	assert_int_equal(ksef__invoice_filters_json(&o, &f, &err),
			 KSEF_EINVAL);
	assert_non_null(strstr(err.message, "ksef_invoice_filters"));
}

static void the_export_body_is_an_InvoiceExportRequest(void **state)
{
	ksef_invoice_filters f = all_filters();
	ksef_envelope *env = NULL;
	json_t *o = NULL, *enc;

	(void)state;
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	assert_int_equal(ksef__invoice_export_body(&o, env, key, &f, 1, NULL),
			 0);
	assert_matches(o, contract_request_schema("/invoices/exports",
						  "post"));
	enc = json_object_get(o, "encryption");
	assert_int_equal(json_string_length(json_object_get(enc,
		"encryptedSymmetricKey")), 344);
	assert_string_equal(json_string_value(json_object_get(enc,
		"publicKeyId")), ksef_pubkey_id(key));
	assert_true(json_is_true(json_object_get(o, "onlyMetadata")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		o, "filters"), "subjectType")), "Subject2");
	json_decref(o);
	/* The filters' refusals hold for exports too. */
	f.form_type = "XX";
	assert_int_equal(ksef__invoice_export_body(&o, env, key, &f, 0, NULL),
			 KSEF_EINVAL);
	assert_null(o);
	ksef_envelope_free(env);
}

static void bad_filters_send_nothing(void **state)
{
	ksef_invoice_filters f = all_filters();
	ksef_api_invoice_query *q = NULL;
	ksef_client *c = client();
	ksef_error err;

	(void)state;
	f.seller_nip = "12";
	/* No script: a request would fail as the network, not EINVAL. */
	assert_int_equal(ksef_client_invoices_query(&q, c, &f, 0, 0, 10,
						    &err), KSEF_EINVAL);
	assert_null(q);
	assert_int_equal(ksef_client_last_http_status(c), 0);
	f = all_filters();
	assert_int_equal(ksef_client_invoices_query(&q, c, &f, 0, 0, 5,
						    &err), KSEF_EINVAL);
	assert_int_equal(ksef_client_invoices_query(&q, c, &f, 0, -1, 10,
						    &err), KSEF_EINVAL);
	ksef_client_free(c);
}

static void the_query_path_has_sort_order_and_page(void **state)
{
	ksef_buf p = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef__invoice_query_path(&p, 1, 3, 250, NULL), 0);
	assert_string_equal((char *)p.ptr, "/invoices/query/metadata?"
			    "sortOrder=Desc&pageOffset=3&pageSize=250");
	ksef_buf_dispose(&p);
	assert_int_equal(ksef__invoice_query_path(&p, 0, 0, 0, NULL), 0);
	assert_string_equal((char *)p.ptr, "/invoices/query/metadata?"
			    "sortOrder=Asc&pageOffset=0");
	ksef_buf_dispose(&p);
	assert_int_equal(ksef__invoice_query_path(&p, 0, 0, 251, NULL),
			 KSEF_EINVAL);
	ksef_buf_dispose(&p);
}

static json_t *example(const char *path, const char *method, const char *st)
{
	json_t *op = json_object_get(json_object_get(json_object_get(
		contract_api, "paths"), path), method);

	return json_object_get(json_object_get(json_object_get(
		json_object_get(json_object_get(op, "responses"), st),
		"content"), "application/json"), "example");
}

static void script_json(ksef_client *c, const json_t *body, char **keep)
{
	char *text = json_dumps(body, JSON_COMPACT), *s;
	size_t n = strlen(text) + 200;

	s = malloc(n);
	snprintf(s, n, "HTTP/1.1 200 OK\r\nContent-Type: application/json"
		 "\r\n\r\n%s\n--next-answer--\n", text);
	free(text);
	*keep = s;
	ksef__client_script(c, (const unsigned char *)s, strlen(s));
}

static void the_contract_query_answer_is_read(void **state)
{
	const json_t *ex = example("/invoices/query/metadata", "post", "200");
	ksef_invoice_filters f = all_filters();
	ksef_api_invoice_query *q = NULL;
	const ksef_api_invoice_metadata *m;
	ksef_client *c = client();
	ksef_error err;
	char *s;

	(void)state;
	assert_non_null(ex);
	assert_matches(ex, contract_response_schema("/invoices/query/metadata",
		"post", 200, "application/json"));
	script_json(c, ex, &s);
	if (ksef_client_invoices_query(&q, c, &f, 0, 0, 10, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(q->has_more, 0);
	assert_int_equal(q->is_truncated, 0);
	assert_true(q->permanent_storage_hwm_ms != KSEF_TIME_UNSET);
	assert_int_equal(ksef_api_invoice_metadata_list_count(q->invoices),
			 json_array_size(json_object_get(ex, "invoices")));
	m = ksef_api_invoice_metadata_list_at(q->invoices, 0);
	assert_string_equal(m->ksef_number,
			    "5555555555-20250828-010080615740-E4");
	assert_string_equal(m->issue_date, "2025-08-27");
	assert_non_null(m->json);
	assert_non_null(strstr(m->json, "\"ksefNumber\""));
	assert_null(ksef_api_invoice_metadata_list_at(q->invoices, 99));
	ksef_api_invoice_query_free(q);
	ksef_client_free(c);
	free(s);
}

static void the_contract_export_status_is_read(void **state)
{
	const json_t *ex = example("/invoices/exports/{referenceNumber}",
				   "get", "200");
	ksef_api_export_status *st = NULL;
	const ksef_api_export_part *p;
	ksef_client *c = client();
	ksef_error err;
	char *s;

	(void)state;
	assert_non_null(ex);
	script_json(c, ex, &s);
	if (ksef_client_invoices_export_status(&st, c,
			"20251010-EH-1B6C9EB000-4B15D3AEB9-89", &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(st->status->code, 200);
	assert_non_null(st->package);
	assert_int_equal(st->package->invoice_count, 10000);
	assert_true(ksef_api_export_parts_count(st->package->parts) >= 1);
	p = ksef_api_export_parts_at(st->package->parts, 0);
	assert_int_equal(p->ordinal_number, 1);
	assert_string_equal(p->method, "GET");
	assert_true(p->encrypted_part_size > 0);
	ksef_api_export_status_free(st);
	ksef_client_free(c);
	free(s);
}

static void the_next_window_starts_where_the_documents_say(void **state)
{
	ksef_api_export_package p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.last_permanent_storage_date_ms = 100;
	p.permanent_storage_hwm_ms = 200;
	p.last_invoicing_date_ms = KSEF_TIME_UNSET;
	p.is_truncated = 1;
	assert_true(ksef_export_next_from(&p, 300) == 100);
	p.is_truncated = 0;
	assert_true(ksef_export_next_from(&p, 300) == 200);
	p.permanent_storage_hwm_ms = KSEF_TIME_UNSET;
	assert_true(ksef_export_next_from(&p, 300) == 300);
	assert_true(ksef_export_next_from(NULL, 300) == KSEF_TIME_UNSET);
}

/*
 * Packages
 */

struct entry {
	const char *name;
	unsigned type;       /* AE_IFREG, AE_IFDIR, AE_IFLNK (ZIP has no
			      * hard links) */
	const char *link;    /* symlink target */
	const char *data;
};

/* A ZIP of the entries, in memory. */
static size_t make_zip(unsigned char *out, size_t size,
		       const struct entry *e, size_t n)
{
	struct archive *a = archive_write_new();
	size_t used = 0, i;

	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, out, size, &used),
			 ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		size_t len = e[i].data ? strlen(e[i].data) : 0;

		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_filetype(ae, e[i].type);
		if (e[i].type == AE_IFLNK)
			archive_entry_set_symlink(ae, e[i].link);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)len);
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (len > 0)
			assert_int_equal(archive_write_data(a, e[i].data, len),
					 (la_ssize_t)len);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return used;
}

static int count_files(const char *dir)
{
	char cmd[600];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "find '%s' -mindepth 1 | wc -l", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void hostile_entries_are_refused_and_not_written(void **state)
{
	static const struct entry bad[] = {
		{ "../escape.xml", AE_IFREG, NULL, "x" },
		{ "/tmp/absolute.xml", AE_IFREG, NULL, "x" },
		{ "sub/dir.xml", AE_IFREG, NULL, "x" },
		{ "sub\\dir.xml", AE_IFREG, NULL, "x" },
		{ ".hidden.xml", AE_IFREG, NULL, "x" },
		{ "..", AE_IFREG, NULL, "x" },
		{ "link.xml", AE_IFLNK, "/etc/passwd", NULL },
		{ "folder", AE_IFDIR, NULL, NULL },
	};
	static unsigned char zip[65536];
	char *top = ts_mkdtemp(), dir[512], zpath[512], outside[600];
	size_t i, written, kept;
	uint64_t bytes;
	ksef_error err;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/out", top);
	snprintf(zpath, sizeof(zpath), "%s/p.zip", top);
	snprintf(outside, sizeof(outside), "%s/escape.xml", top);
	assert_int_equal(mkdir(dir, 0700), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct entry two[2] = { { "ok.xml", AE_IFREG, NULL, "<a/>" } };
		size_t n;

		two[1] = bad[i];
		n = make_zip(zip, sizeof(zip), two, 2);
		ts_write_file(zpath, zip, n);
		if (ksef__export_unzip(zpath, dir, 0, NULL, NULL, &written,
				       &kept, &bytes, &err) != KSEF_EFORMAT)
			fail_msg("entry %zu ('%s') was not refused", i,
				 bad[i].name);
		assert_non_null(strstr(err.message, "entry 2"));
		/* The good one before it is there; nothing else anywhere. */
		assert_int_equal(count_files(dir), 1);
		assert_int_equal(access(outside, F_OK), -1);
		assert_int_equal(access("/tmp/absolute.xml", F_OK), -1);
	}
	assert_false(ksef__export_name_ok("a/b"));
	assert_false(ksef__export_name_ok(".."));
	assert_false(ksef__export_name_ok("x y.xml"));
	assert_true(ksef__export_name_ok("_metadata.json"));
	assert_true(ksef__export_name_ok(
		"5265877635-20250826-0100001AF629-AF.xml"));
	ts_rmdir(top);
}

static void existing_files_are_kept_or_replaced(void **state)
{
	static const struct entry e[] = {
		{ "a.xml", AE_IFREG, NULL, "new a" },
		{ "b.xml", AE_IFREG, NULL, "new b" },
		{ "_metadata.json", AE_IFREG, NULL, "{\"invoices\":[]}" },
	};
	static unsigned char zip[65536];
	char *top = ts_mkdtemp(), path[600], zpath[600];
	size_t written, kept, n;
	uint64_t bytes;
	ksef_buf b = KSEF_BUF_INIT;

	(void)state;
	snprintf(zpath, sizeof(zpath), "%s/.p.zip", top);
	n = make_zip(zip, sizeof(zip), e, 3);
	ts_write_file(zpath, zip, n);
	snprintf(path, sizeof(path), "%s/a.xml", top);
	ts_write_file(path, "old a", 5);
	snprintf(path, sizeof(path), "%s/_metadata.json", top);
	ts_write_file(path, "old", 3);
	assert_int_equal(ksef__export_unzip(zpath, top, 1, NULL, NULL,
					    &written, &kept, &bytes, NULL), 0);
	assert_int_equal(written, 2);
	assert_int_equal(kept, 1);
	snprintf(path, sizeof(path), "%s/a.xml", top);
	ts_read_file(&b, path);
	assert_string_equal((char *)b.ptr, "old a");
	ksef_buf_dispose(&b);
	snprintf(path, sizeof(path), "%s/_metadata.json", top);
	ts_read_file(&b, path);
	assert_string_equal((char *)b.ptr, "{\"invoices\":[]}");
	ksef_buf_dispose(&b);
	assert_int_equal(ksef__export_unzip(zpath, top, 0, NULL, NULL,
					    &written, &kept, &bytes, NULL), 0);
	assert_int_equal(written, 3);
	assert_int_equal(bytes, 10 + 15);
	snprintf(path, sizeof(path), "%s/a.xml", top);
	ts_read_file(&b, path);
	assert_string_equal((char *)b.ptr, "new a");
	ksef_buf_dispose(&b);
	ts_rmdir(top);
}

/*
 * A fetch from scripted parts
 */

static char *b64sha(const unsigned char *p, size_t n)
{
	char *out = malloc(KSEF_SHA256_B64_LEN + 1);

	assert_int_equal(ksef_sha256_base64(out, p, n, NULL), 0);
	return out;
}

/* The status of a package of the ZIP cut in two parts, each encrypted
 * under env, and the script that serves both parts. */
static void package(ksef_buf *script, json_t **status, const ksef_envelope *env,
		    const unsigned char *zip, size_t n, int break_hash)
{
	json_t *parts = json_array();
	size_t cut[3] = { 0, n / 2, n }, i;
	char head[128];

	for (i = 0; i < 2; i++) {
		ksef_buf ct = KSEF_BUF_INIT;
		char *ph = b64sha(zip + cut[i], cut[i + 1] - cut[i]), *eh;
		char url[64];

		assert_int_equal(ksef_envelope_encrypt(&ct, env, zip + cut[i],
				 cut[i + 1] - cut[i], NULL), 0);
		eh = b64sha(ct.ptr, ct.size);
		if (break_hash && i == 1)
			eh[0] = eh[0] == 'A' ? 'B' : 'A';
		snprintf(url, sizeof(url), "http://127.0.0.1:1/part/%zu",
			 i + 1);
		json_array_append_new(parts, json_pack("{s:i,s:s,s:s,s:s,"
			"s:I,s:s,s:I,s:s,s:s}", "ordinalNumber", (int)i + 1,
			"partName", "p.zip.aes", "method", "GET", "url", url,
			"partSize", (json_int_t)(cut[i + 1] - cut[i]),
			"partHash", ph, "encryptedPartSize",
			(json_int_t)ct.size, "encryptedPartHash", eh,
			"expirationDate", "2099-01-01T00:00:00Z"));
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
			 "Content-Length: %zu\r\n\r\n", ct.size);
		assert_int_equal(ksef_buf_append(script, head, strlen(head),
				 SIZE_MAX),
				 0);
		assert_int_equal(ksef_buf_append(script, ct.ptr, ct.size,
				 SIZE_MAX), 0);
		assert_int_equal(ksef_buf_append(script, "\n--next-answer--\n",
						 17, SIZE_MAX), 0);
		free(ph);
		free(eh);
		ksef_buf_dispose(&ct);
	}
	*status = json_pack("{s:{s:i,s:s},s:{s:i,s:I,s:o,s:b,"
		"s:s}}", "status", "code", 200, "description", "ok", "package",
		"invoiceCount", 1, "size", (json_int_t)n, "parts", parts,
		"isTruncated", 0, "permanentStorageHwmDate",
		"2025-08-28T09:22:13.388Z");
}

static void a_package_is_fetched_part_by_part(void **state)
{
	static const char meta[] = "{\"invoices\":[{\"ksefNumber\":"
		"\"5265877635-20250826-0100001AF629-AF\",\"invoiceNumber\":"
		"\"FV/1\",\"issueDate\":\"2025-08-26\",\"invoicingDate\":"
		"\"2025-08-26T10:00:00Z\",\"acquisitionDate\":"
		"\"2025-08-26T10:00:00Z\",\"permanentStorageDate\":"
		"\"2025-08-26T10:00:00Z\",\"seller\":{\"nip\":\"5265877635\"},"
		"\"buyer\":{\"identifier\":{\"type\":\"None\"}},"
		"\"netAmount\":1,"
		"\"grossAmount\":1.23,\"vatAmount\":0.23,\"currency\":\"PLN\","
		"\"invoicingMode\":\"Online\",\"invoiceType\":\"Vat\","
		"\"formCode\":{\"systemCode\":\"FA (3)\",\"schemaVersion\":"
		"\"1-0E\",\"value\":\"FA\"},\"isSelfInvoicing\":false,"
		"\"hasAttachment\":false,\"invoiceHash\":"
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}]}";
	static char big[20000];
	struct entry e[] = {
		{ "5265877635-20250826-0100001AF629-AF.xml", AE_IFREG, NULL,
		  big },
		{ "_metadata.json", AE_IFREG, NULL, meta },
	};
	static unsigned char zip[65536];
	ksef_api_export_status *st = NULL;
	ksef_api_export_result *res = NULL;
	ksef_envelope *env = NULL;
	ksef_buf script = KSEF_BUF_INIT, b = KSEF_BUF_INIT;
	char *top = ts_mkdtemp(), path[600], *s;
	ksef_client *c;
	ksef_error err;
	json_t *status;
	size_t n, i;
	int broken;

	(void)state;
	for (i = 0; i + 1 < sizeof(big); i++)
		big[i] = (char)('a' + (i * 7 + i / 13) % 26);
	n = make_zip(zip, sizeof(zip), e, 2);
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	for (broken = 0; broken <= 1; broken++) {
		c = client();
		ksef_buf_dispose(&script);
		package(&script, &status, env, zip, n, broken);
		assert_matches(status, contract_response_schema(
			"/invoices/exports/{referenceNumber}", "get", 200,
			"application/json"));
		script_json(c, status, &s);
		assert_int_equal(ksef_client_invoices_export_status(&st, c,
			"20251010-EH-1B6C9EB000-4B15D3AEB9-89", NULL), 0);
		free(s);
		json_decref(status);
		ksef__client_script(c, script.ptr, script.size);
		if (!broken) {
			if (ksef_client_invoices_export_fetch(&res, c, st, env,
					top, NULL, &err) != 0)
				fail_msg("%s", err.message);
			assert_int_equal(res->files_written, 2);
			assert_int_equal(ksef_api_invoice_metadata_list_count(
						 res->invoices), 1);
			assert_string_equal(ksef_api_invoice_metadata_list_at(
				res->invoices, 0)->invoice_number, "FV/1");
			snprintf(path, sizeof(path), "%s/%s", top, e[0].name);
			ts_read_file(&b, path);
			assert_int_equal(b.size, strlen(big));
			assert_memory_equal(b.ptr, big, b.size);
			ksef_buf_dispose(&b);
			ksef_api_export_result_free(res);
		} else {
			assert_int_equal(ksef_client_invoices_export_fetch(&res,
				c, st, env, top, NULL, &err), KSEF_ECHECKSUM);
			assert_null(res);
			assert_non_null(strstr(err.message, "part 2"));
		}
		/* The joined ZIP never stays behind. */
		assert_int_equal(count_files(top), 2);
		ksef_api_export_status_free(st);
		ksef_client_free(c);
	}
	ksef_buf_dispose(&script);
	ksef_envelope_free(env);
	ts_rmdir(top);
}

static void a_package_without_parts_is_empty(void **state)
{
	ksef_api_export_status *st = NULL;
	ksef_api_export_result *res = NULL;
	ksef_envelope *env = NULL;
	ksef_client *c = client();
	char *top = ts_mkdtemp(), *s;
	json_t *status = json_pack("{s:{s:i,s:s},s:{s:i,s:i,s:[],s:b}}",
		"status", "code", 200, "description", "ok", "package",
		"invoiceCount", 0, "size", 0, "parts", "isTruncated", 0);

	(void)state;
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	script_json(c, status, &s);
	assert_int_equal(ksef_client_invoices_export_status(&st, c,
		"20251010-EH-1B6C9EB000-4B15D3AEB9-89", NULL), 0);
	assert_int_equal(ksef_client_invoices_export_fetch(&res, c, st, env,
		top, NULL, NULL), 0);
	assert_int_equal(res->files_written, 0);
	assert_int_equal(ksef_api_invoice_metadata_list_count(res->invoices),
			 0);
	assert_int_equal(count_files(top), 0);
	/* Not built yet: nothing to fetch. */
	ksef_api_export_result_free(res);
	ksef_api_export_status_free(st);
	json_decref(status);
	free(s);
	status = json_pack("{s:{s:i,s:s}}", "status", "code", 100,
			   "description", "w toku");
	script_json(c, status, &s);
	assert_int_equal(ksef_client_invoices_export_status(&st, c,
		"20251010-EH-1B6C9EB000-4B15D3AEB9-89", NULL), 0);
	assert_null(st->package);
	assert_int_equal(ksef_client_invoices_export_fetch(&res, c, st, env,
		top, NULL, NULL), KSEF_EINVAL);
	ksef_api_export_status_free(st);
	json_decref(status);
	free(s);
	ksef_envelope_free(env);
	ksef_client_free(c);
	ts_rmdir(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			every_filter_is_encoded_as_InvoiceQueryFilters),
		cmocka_unit_test(unset_filters_are_left_out),
		cmocka_unit_test(bad_filters_are_einval_naming_the_field),
		cmocka_unit_test(the_export_body_is_an_InvoiceExportRequest),
		cmocka_unit_test(bad_filters_send_nothing),
		cmocka_unit_test(the_query_path_has_sort_order_and_page),
		cmocka_unit_test(the_contract_query_answer_is_read),
		cmocka_unit_test(the_contract_export_status_is_read),
		cmocka_unit_test(
			the_next_window_starts_where_the_documents_say),
		cmocka_unit_test(hostile_entries_are_refused_and_not_written),
		cmocka_unit_test(existing_files_are_kept_or_replaced),
		cmocka_unit_test(a_package_is_fetched_part_by_part),
		cmocka_unit_test(a_package_without_parts_is_empty),
	};

	if (ksef_global_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
