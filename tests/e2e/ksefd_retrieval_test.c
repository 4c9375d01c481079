/*
 * ksefd_retrieval_test.c - invoice retrieval against the real ksefd
 * (pobieranie-faktur.md): invoices sent through an online session are
 * found by POST /invoices/query/metadata exactly, page by page, in either
 * order, by each filter; the buyer's context sees them as Subject2 and
 * not as Subject1; bad filters, paging and the HWM restriction are
 * refused with their codes. An export's parts, downloaded from their
 * pre-signed links, decrypted and unpacked, hold the invoices as sent and
 * _metadata.json; a second export from the first one's HWM holds exactly
 * the invoices sent since; onlyMetadata leaves the invoices out. A third
 * party named in Podmiot3 sees the invoice as Subject3. Every
 * answer is held against open-api.json.
 */
#include "testsupport.h"
#include <math.h>
#include <time.h>
#include "permissions_e2e.h"
#include <archive.h>
#include <archive_entry.h>

#define SELLER "5265877635"
#define BUYER1 "7010012385"
#define BUYER2 "1234563218"
#define COUNT 12                /* 11 to BUYER1, the last to BUYER2 */
#define Q "/invoices/query/metadata"

static struct ksefd_proc srv;
static struct login seller, buyer, writer_only;
static char ksef[COUNT][KSEF_NUMBER_BUFSZ];
static char number[COUNT][64];
static double gross[COUNT];
static ksef_buf sent[COUNT];
static char from_time[40];
static ksef_envelope *export_env;

/* The text of the first <name>...</name> of an invoice. */
static void element(const ksef_buf *xml, const char *name, char *out,
		    size_t size)
{
	char open[32];
	const char *s, *e;

	snprintf(open, sizeof(open), "<%s>", name);
	s = strstr((const char *)xml->ptr, open);
	assert_non_null(s);
	s += strlen(open);
	e = strchr(s, '<');
	snprintf(out, size, "%.*s", (int)(e - s), s);
}

static void send_range(int first, int last, ksef_buf *docs,
		       char (*numbers)[KSEF_NUMBER_BUFSZ])
{
	ksef_gen_options o = KSEF_GEN_OPTIONS_INIT;
	ksef_api_invoice_status *st;
	char sref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ], p15[32];
	ksef_envelope *env;
	ksef_error err;
	int i;

	open_session(&seller, KSEF_FORM_FA3, &env, sref);
	o.seller_nip = SELLER;
	o.number_prefix = "RETR";
	o.seed = (uint64_t)time(NULL) * 2 + (first > 0);
	for (i = first; i < last; i++) {
		o.buyer_nip = i == COUNT - 1 ? BUYER2 : BUYER1;
		if (ksef_gen_invoice(&docs[i - first], &o, (uint64_t)i,
				     &err) != 0)
			fail_msg("gen: %s", err.message);
		send_xml(&seller, sref, env, &docs[i - first], iref);
		st = wait_invoice(&seller, sref, iref);
		assert_int_equal(st->status->code, 200);
		snprintf(numbers[i - first], KSEF_NUMBER_BUFSZ, "%s",
			 st->ksef_number);
		ksef_api_invoice_status_free(st);
		if (i < COUNT) {
			element(&docs[i], "P_2", number[i], sizeof(number[i]));
			element(&docs[i], "P_15", p15, sizeof(p15));
			gross[i] = strtod(p15, NULL);
		}
	}
	ksef_envelope_free(env);
}

static void send_all(void)
{
	send_range(0, COUNT, sent, ksef);
}

static int setup(void **state)
{
	/* small parts, so that a package of a dozen invoices has several */
	static const char *const extra[] = { "--processing-delay", "0",
		"--export-part-bytes", "4096", NULL };
	char tok[512];
	ksef_time t = ksef_time_now();

	(void)state;
	if (ts_schemas_missing() || ksef_global_init() != 0)
		return -1;
	t.unix_ms -= 3600 * 1000;
	if (ksef_time_format(from_time, t, NULL) != 0)
		return -1;
	ksefd_start(&srv, NULL, extra);
	ksefd_token(&srv, SELLER, "InvoiceWrite,InvoiceRead", tok,
		    sizeof(tok));
	login(&seller, &srv, SELLER, tok);
	ksefd_token(&srv, BUYER1, "InvoiceRead", tok, sizeof(tok));
	login(&buyer, &srv, BUYER1, tok);
	ksefd_token(&srv, SELLER, "InvoiceWrite", tok, sizeof(tok));
	login(&writer_only, &srv, SELLER, tok);
	send_all();
	/* a moment, so that a range ending now ends after them */
	e2e_sleep_us(20 * 1000);
	return 0;
}

static int teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < COUNT; i++)
		ksef_buf_dispose(&sent[i]);
	logout(&seller);
	logout(&buyer);
	logout(&writer_only);
	ksef_envelope_free(export_env);
	ksefd_stop(&srv);
	ksefd_cleanup(&srv);
	contract_unload();
	return 0;
}

/* A query as `who` with the given query string and extra filter members
 * (",\"x\":..." or ""); the answer, checked against the contract. */
static json_t *mquery(struct login *who, const char *args, const char *subject,
		     const char *date_type, const char *extra)
{
	struct raw_response r;
	char path[256];
	json_t *j;

	snprintf(path, sizeof(path), Q "%s", args);
	call(&r, &srv, "POST", path, token_of(who), "{\"subjectType\":\"%s\","
	     "\"dateRange\":{\"dateType\":\"%s\",\"from\":\"%s\"}%s}",
	     subject, date_type, from_time, extra);
	if (r.status != 200)
		fail_msg("query %s %s: %ld %s", args, extra, r.status, r.body);
	matches(&r, "POST", Q);
	j = raw_json(&r);
	raw_free(&r);
	return j;
}

static size_t count_of(json_t *j)
{
	return json_array_size(json_object_get(j, "invoices"));
}

static const char *ksef_at(json_t *j, size_t i)
{
	return json_string_value(json_object_get(json_array_get(
		json_object_get(j, "invoices"), i), "ksefNumber"));
}

static size_t filtered(struct login *who, const char *subject,
		       const char *extra)
{
	json_t *j = mquery(who, "?pageSize=250", subject, "PermanentStorage",
			  extra);
	size_t n = count_of(j);

	json_decref(j);
	return n;
}

static void the_seller_finds_exactly_what_it_sent(void **state)
{
	json_t *j, *inv;
	int i;

	(void)state;
	j = mquery(&seller, "?pageSize=250", "Subject1", "PermanentStorage",
		  "");
	assert_int_equal(count_of(j), COUNT);
	assert_false(json_is_true(json_object_get(j, "hasMore")));
	assert_false(json_is_true(json_object_get(j, "isTruncated")));
	assert_non_null(json_object_get(j, "permanentStorageHwmDate"));
	for (i = 0; i < COUNT; i++) {
		inv = json_array_get(json_object_get(j, "invoices"), i);
		/* ascending by permanent storage: the order of sending */
		assert_string_equal(ksef_at(j, i), ksef[i]);
		assert_string_equal(json_string_value(json_object_get(inv,
			"invoiceNumber")), number[i]);
		assert_true(fabs(json_real_value(json_object_get(inv,
			"grossAmount")) - gross[i]) < 0.001);
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(json_object_get(inv, "buyer"),
			"identifier"), "value")),
			i == COUNT - 1 ? BUYER2 : BUYER1);
		assert_string_equal(json_string_value(json_object_get(inv,
			"currency")), "PLN");
		assert_string_equal(json_string_value(json_object_get(inv,
			"invoiceType")), "Vat");
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(inv, "formCode"), "systemCode")),
			"FA (3)");
	}
	json_decref(j);
	/* Invoicing and Issue dates find them too. */
	j = mquery(&seller, "?pageSize=250", "Subject1", "Invoicing", "");
	assert_int_equal(count_of(j), COUNT);
	assert_null(json_object_get(j, "permanentStorageHwmDate"));
	json_decref(j);
	j = mquery(&seller, "?pageSize=250", "Subject1", "Issue", "");
	assert_int_equal(count_of(j), COUNT);
	json_decref(j);
}

static void pages_follow_each_other_in_either_order(void **state)
{
	json_t *a, *b;
	size_t i;

	(void)state;
	a = mquery(&seller, "?pageSize=10", "Subject1", "PermanentStorage", "");
	b = mquery(&seller, "?pageSize=10&pageOffset=1", "Subject1",
		  "PermanentStorage", "");
	assert_int_equal(count_of(a), 10);
	assert_true(json_is_true(json_object_get(a, "hasMore")));
	assert_int_equal(count_of(b), COUNT - 10);
	assert_false(json_is_true(json_object_get(b, "hasMore")));
	for (i = 0; i < 10; i++)
		assert_string_equal(ksef_at(a, i), ksef[i]);
	for (i = 0; i < COUNT - 10; i++)
		assert_string_equal(ksef_at(b, i), ksef[10 + i]);
	json_decref(a);
	json_decref(b);
	a = mquery(&seller, "?pageSize=10&sortOrder=Desc", "Subject1",
		  "PermanentStorage", "");
	for (i = 0; i < 10; i++)
		assert_string_equal(ksef_at(a, i), ksef[COUNT - 1 - i]);
	json_decref(a);
}

static void each_filter_narrows_the_list(void **state)
{
	char extra[512];

	(void)state;
	snprintf(extra, sizeof(extra), ",\"ksefNumber\":\"%s\"", ksef[3]);
	assert_int_equal(filtered(&seller, "Subject1", extra), 1);
	snprintf(extra, sizeof(extra), ",\"invoiceNumber\":\"%s\"",
		 number[4]);
	assert_int_equal(filtered(&seller, "Subject1", extra), 1);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"buyerIdentifier\":{\"type\":\"Nip\",\"value\":\"" BUYER2
		"\"}"), 1);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"buyerIdentifier\":{\"type\":\"VatUe\"}"), 0);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"sellerNip\":\"" SELLER "\""), COUNT);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"sellerNip\":\"" BUYER1 "\""), 0);
	snprintf(extra, sizeof(extra), ",\"amount\":{\"type\":\"Brutto\","
		 "\"from\":%.2f,\"to\":%.2f}", gross[5], gross[5]);
	assert_true(filtered(&seller, "Subject1", extra) >= 1);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"amount\":{\"type\":\"Netto\",\"from\":-5,\"to\":-1}"), 0);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"amount\":{\"type\":\"Vat\",\"from\":0}"), COUNT);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"currencyCodes\":[\"EUR\",\"PLN\"]"), COUNT);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"currencyCodes\":[\"EUR\"]"), 0);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"invoiceTypes\":[\"Vat\"]"), COUNT);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"invoiceTypes\":[\"Kor\",\"Zal\"]"), 0);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"invoicingMode\":\"Online\""), COUNT);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"invoicingMode\":\"Offline\""), 0);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"formType\":\"FA\""), COUNT);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"formType\":\"PEF\""), 0);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"hasAttachment\":true"), 0);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"hasAttachment\":false"), COUNT);
	assert_int_equal(filtered(&seller, "Subject1",
		",\"isSelfInvoicing\":true"), 0);
}

static void the_buyer_sees_its_invoices_as_subject2(void **state)
{
	json_t *j;
	int i;

	(void)state;
	j = mquery(&buyer, "?pageSize=250", "Subject2", "PermanentStorage", "");
	assert_int_equal(count_of(j), COUNT - 1);
	for (i = 0; i < COUNT - 1; i++)
		assert_string_equal(ksef_at(j, (size_t)i), ksef[i]);
	json_decref(j);
	assert_int_equal(filtered(&buyer, "Subject1", ""), 0);
	assert_int_equal(filtered(&seller, "Subject2", ""), 0);
	assert_int_equal(filtered(&seller, "Subject3", ""), 0);
	assert_int_equal(filtered(&seller, "SubjectAuthorized", ""), 0);
}

static long refused(struct login *who, const char *args, const char *body)
{
	struct raw_response r;
	char path[256];
	long code;

	snprintf(path, sizeof(path), Q "%s", args);
	call(&r, &srv, "POST", path, token_of(who), "%s", body);
	code = r.status == 400 ? raw_error_code(&r) : r.status;
	raw_free(&r);
	return code;
}

static void bad_queries_are_refused_with_their_codes(void **state)
{
	char body[512], future[40];
	ksef_time t = ksef_time_now();

	(void)state;
	snprintf(body, sizeof(body), "{\"subjectType\":\"Subject1\","
		 "\"dateRange\":{\"dateType\":\"Issue\",\"from\":\"%s\"}}",
		 from_time);
	assert_int_equal(refused(&seller, "?pageSize=9", body), 21405);
	assert_int_equal(refused(&seller, "?pageSize=251", body), 21405);
	assert_int_equal(refused(&seller, "?sortOrder=Up", body), 21405);
	assert_int_equal(refused(&seller, "?pageOffset=-1", body), 21405);
	assert_int_equal(refused(&seller, "?pageSize=250&pageOffset=40",
				 body), 21405);
	assert_int_equal(refused(&writer_only, "", body), 403);
	assert_int_equal(refused(&seller, "", "{\"dateRange\":{\"dateType\":"
		"\"Issue\",\"from\":\"2025-01-01T00:00:00Z\"}}"), 21405);
	assert_int_equal(refused(&seller, "", "{\"subjectType\":\"Subject9\","
		"\"dateRange\":{\"dateType\":\"Issue\",\"from\":"
		"\"2025-01-01T00:00:00Z\"}}"), 21405);
	/* more than 3 months; to before from */
	assert_int_equal(refused(&seller, "", "{\"subjectType\":\"Subject1\","
		"\"dateRange\":{\"dateType\":\"Issue\",\"from\":"
		"\"2025-01-01T00:00:00Z\",\"to\":\"2025-04-02T00:00:00Z\"}}"),
		21405);
	assert_int_equal(refused(&seller, "", "{\"subjectType\":\"Subject1\","
		"\"dateRange\":{\"dateType\":\"Issue\",\"from\":"
		"\"2025-01-01T00:00:00Z\",\"to\":\"2024-12-01T00:00:00Z\"}}"),
		21405);
	assert_int_equal(refused(&seller, "", "{\"subjectType\":\"Subject1\","
		"\"dateRange\":{\"dateType\":\"Issue\",\"from\":"
		"\"2025-01-01T00:00:00Z\"},\"currencyCodes\":[\"pln\"]}"),
		21405);
	assert_int_equal(refused(&seller, "", "{\"subjectType\":\"Subject1\","
		"\"dateRange\":{\"dateType\":\"Issue\",\"from\":"
		"\"2025-01-01T00:00:00Z\"},\"amount\":{\"from\":1}}"), 21405);
	/* exactly 3 months, and local time without an offset, are fine */
	assert_int_equal(refused(&seller, "", "{\"subjectType\":\"Subject1\","
		"\"dateRange\":{\"dateType\":\"Issue\",\"from\":"
		"\"2025-01-01T00:00:00\",\"to\":\"2025-04-01T00:00:00\"}}"),
		200);
	/* the range starts after the HWM, with the restriction on */
	t.unix_ms += 60 * 1000;
	assert_int_equal(ksef_time_format(future, t, NULL), 0);
	snprintf(body, sizeof(body), "{\"subjectType\":\"Subject1\","
		 "\"dateRange\":{\"dateType\":\"PermanentStorage\",\"from\":"
		 "\"%s\",\"restrictToPermanentStorageHwmDate\":true}}", future);
	assert_int_equal(refused(&seller, "", body), 21183);
}


/* ---- exports ---- */


/* Start an export of the seller's invoices stored from `from`; its
 * reference number. */
static void export_start(const char *from, int only_metadata, char ref[40])
{
	ksef_pubkey *pub = server_key(seller.c, KSEF_KEY_USAGE_SYMMETRIC_KEY);
	ksef_buf wrapped = KSEF_BUF_INIT, k64 = KSEF_BUF_INIT,
		 iv64 = KSEF_BUF_INIT;
	struct raw_response r;
	json_t *j;

	if (export_env == NULL)
		assert_int_equal(ksef_envelope_new(&export_env, NULL), 0);
	assert_int_equal(ksef_envelope_wrap_key(&wrapped, export_env, pub,
						NULL), 0);
	assert_int_equal(ksef_base64_encode(&k64, wrapped.ptr, wrapped.size,
					    NULL), 0);
	assert_int_equal(ksef_base64_encode(&iv64,
		ksef_envelope_iv(export_env), KSEF_AES_IV_LEN, NULL), 0);
	call(&r, &srv, "POST", "/invoices/exports", token_of(&seller),
	     "{\"encryption\":{\"encryptedSymmetricKey\":\"%s\","
	     "\"initializationVector\":\"%s\",\"publicKeyId\":\"%s\"},"
	     "\"onlyMetadata\":%s,\"filters\":{\"subjectType\":\"Subject1\",\"dateRange\":{"
	     "\"dateType\":\"PermanentStorage\",\"from\":\"%s\","
	     "\"restrictToPermanentStorageHwmDate\":true}}}",
	     (const char *)k64.ptr, (const char *)iv64.ptr,
	     ksef_pubkey_id(pub), only_metadata ? "true" : "false", from);
	if (r.status != 201)
		fail_msg("export: %ld %s", r.status, r.body);
	matches(&r, "POST", "/invoices/exports");
	j = raw_json(&r);
	snprintf(ref, 40, "%s", json_string_value(json_object_get(j,
		 "referenceNumber")));
	json_decref(j);
	raw_free(&r);
	ksef_buf_dispose(&wrapped);
	ksef_buf_dispose(&k64);
	ksef_buf_dispose(&iv64);
	ksef_pubkey_free(pub);
}

/* Poll the export until it is done; its status answer. */
static json_t *export_wait(const char *ref)
{
	struct raw_response r;
	char path[96];
	json_t *j = NULL;
	int i;

	snprintf(path, sizeof(path), "/invoices/exports/%s", ref);
	for (i = 0; i < 200; i++) {
		call(&r, &srv, "GET", path, token_of(&seller), NULL);
		assert_int_equal(r.status, 200);
		matches(&r, "GET", "/invoices/exports/{referenceNumber}");
		j = raw_json(&r);
		raw_free(&r);
		if (json_integer_value(json_object_get(json_object_get(j,
			"status"), "code")) != 100)
			return j;
		json_decref(j);
		e2e_sleep_us(100 * 1000);
	}
	fail_msg("export %s never finished", ref);
	return NULL;
}

/* Download, check and decrypt every part; the ZIP they make. */
static void export_zip(json_t *status, ksef_buf *zip)
{
	json_t *parts = json_object_get(json_object_get(status, "package"),
					"parts"), *p;
	struct raw_response r;
	ksef_buf plain = KSEF_BUF_INIT;
	char hash[KSEF_SHA256_B64_LEN + 1];
	size_t i;

	assert_true(json_array_size(parts) >= 1);
	json_array_foreach(parts, i, p)
		assert_true(json_integer_value(json_object_get(p,
			"partSize")) <= 4096);
	json_array_foreach(parts, i, p) {
		assert_int_equal(json_integer_value(json_object_get(p,
			"ordinalNumber")), (json_int_t)i + 1);
		/* no access token: the link is the credential */
		raw_request(&r, "GET", json_string_value(json_object_get(p,
			    "url")), NULL, NULL, NULL, 0);
		if (r.status != 200)
			fail_msg("%s: %ld %s", json_string_value(
				json_object_get(p, "url")), r.status, r.body);
		assert_int_equal((json_int_t)r.len, json_integer_value(
			json_object_get(p, "encryptedPartSize")));
		assert_int_equal(ksef_sha256_base64(hash,
			(const unsigned char *)r.body, r.len, NULL), 0);
		assert_string_equal(hash, json_string_value(json_object_get(p,
			"encryptedPartHash")));
		assert_int_equal(ksef_envelope_decrypt(&plain, export_env,
			(const unsigned char *)r.body, r.len, NULL), 0);
		assert_int_equal(ksef_sha256_base64(hash, plain.ptr,
			plain.size, NULL), 0);
		assert_string_equal(hash, json_string_value(json_object_get(p,
			"partHash")));
		assert_int_equal(ksef_buf_append(zip, plain.ptr, plain.size,
						 1 << 30), 0);
		raw_free(&r);
		/* a link with its signature altered opens nothing */
		{
			char bad[2048];

			snprintf(bad, sizeof(bad), "%sx", json_string_value(
				json_object_get(p, "url")));
			raw_request(&r, "GET", bad, NULL, NULL, NULL, 0);
			assert_int_equal(r.status, 403);
			raw_free(&r);
		}
	}
	ksef_buf_dispose(&plain);
}

/* The entries of a ZIP: each invoice checked against docs/numbers (n of
 * them), and _metadata.json's KSeF numbers against the same. */
static void unpack_and_compare(const ksef_buf *zip, const ksef_buf *docs,
			       char (*numbers)[KSEF_NUMBER_BUFSZ], size_t n)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char name[128], buf[1 << 16];
	ksef_buf data = KSEF_BUF_INIT;
	size_t found = 0, i, seen_meta = 0;
	la_ssize_t got;
	json_t *meta, *list;

	assert_int_equal(archive_read_support_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_read_open_memory(a, zip->ptr, zip->size),
			 ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		snprintf(name, sizeof(name), "%s", archive_entry_pathname(e));
		data.size = 0;
		while ((got = archive_read_data(a, buf, sizeof(buf))) > 0)
			assert_int_equal(ksef_buf_append(&data, buf,
					(size_t)got, 1 << 30), 0);
		if (strcmp(name, "_metadata.json") == 0) {
			seen_meta = 1;
			meta = json_loadb((const char *)data.ptr, data.size, 0,
					  NULL);
			assert_non_null(meta);
			list = json_object_get(meta, "invoices");
			assert_int_equal(json_array_size(list), n);
			for (i = 0; i < n; i++) {
				assert_string_equal(json_string_value(
					json_object_get(json_array_get(list,
					i), "ksefNumber")), numbers[i]);
				assert_int_equal(check(json_array_get(list, i),
					schema_named("InvoiceMetadata"),
					"_metadata.json"), 0);
			}
			json_decref(meta);
			continue;
		}
		/* a metadata-only package holds nothing else */
		assert_non_null(docs);
		for (i = 0; i < n; i++) {
			size_t l = strlen(numbers[i]);

			/* "<KSeF number>.xml" */
			if (strncmp(name, numbers[i], l) != 0 ||
			    strcmp(name + l, ".xml") != 0)
				continue;
			assert_int_equal(data.size, docs[i].size);
			assert_memory_equal(data.ptr, docs[i].ptr, data.size);
			found++;
		}
	}
	assert_int_equal(found, docs != NULL ? n : 0);
	assert_true(seen_meta);
	archive_read_free(a);
	ksef_buf_dispose(&data);
}

static void an_export_then_one_from_its_hwm_hold_exactly_the_invoices(
	void **state)
{
	char ref[40], hwm[48];
	ksef_buf zip = KSEF_BUF_INIT, more[2] = { KSEF_BUF_INIT,
						   KSEF_BUF_INIT };
	char more_ksef[2][KSEF_NUMBER_BUFSZ];
	json_t *st, *pkg;

	(void)state;
	export_start(from_time, 0, ref);
	st = export_wait(ref);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		st, "status"), "code")), 200);
	pkg = json_object_get(st, "package");
	assert_int_equal(json_integer_value(json_object_get(pkg,
		"invoiceCount")), COUNT);
	assert_false(json_is_true(json_object_get(pkg, "isTruncated")));
	snprintf(hwm, sizeof(hwm), "%s", json_string_value(json_object_get(
		pkg, "permanentStorageHwmDate")));
	/* a dozen invoices of 4 KB do not fit in one 4 KB part */
	assert_true(json_array_size(json_object_get(pkg, "parts")) > 1);
	export_zip(st, &zip);
	assert_int_equal((json_int_t)zip.size, json_integer_value(
		json_object_get(pkg, "size")));
	unpack_and_compare(&zip, sent, ksef, COUNT);
	json_decref(st);

	/* two more invoices; the export from the HWM has them only */
	send_range(COUNT, COUNT + 2, more, more_ksef);
	e2e_sleep_us(20 * 1000);
	export_start(hwm, 0, ref);
	st = export_wait(ref);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		st, "package"), "invoiceCount")), 2);
	zip.size = 0;
	export_zip(st, &zip);
	unpack_and_compare(&zip, more, more_ksef, 2);
	json_decref(st);

	/* onlyMetadata: _metadata.json alone, for every invoice */
	export_start(from_time, 1, ref);
	st = export_wait(ref);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		st, "package"), "invoiceCount")), COUNT + 2);
	zip.size = 0;
	export_zip(st, &zip);
	{
		char all[COUNT + 2][KSEF_NUMBER_BUFSZ];
		int i;

		for (i = 0; i < COUNT; i++)
			memcpy(all[i], ksef[i], KSEF_NUMBER_BUFSZ);
		memcpy(all[COUNT], more_ksef[0], KSEF_NUMBER_BUFSZ);
		memcpy(all[COUNT + 1], more_ksef[1], KSEF_NUMBER_BUFSZ);
		unpack_and_compare(&zip, NULL, all, COUNT + 2);
	}
	json_decref(st);
	ksef_buf_dispose(&zip);
	ksef_buf_dispose(&more[0]);
	ksef_buf_dispose(&more[1]);
}

static void bad_exports_are_refused_with_their_codes(void **state)
{
	struct raw_response r;
	char future[40];
	ksef_time t = ksef_time_now();
	ksef_buf k = KSEF_BUF_INIT;
	json_t *st;
	char ref[40];

	(void)state;
	/* another context's export, and a number never given */
	call(&r, &srv, "GET", "/invoices/exports/"
	     "20251010-EH-1B6C9EB000-4B15D3AEB9-89", token_of(&seller), NULL);
	assert_int_equal(raw_error_code(&r), 21175);
	raw_free(&r);
	export_start(from_time, 0, ref);
	{
		char path[96];

		snprintf(path, sizeof(path), "/invoices/exports/%s", ref);
		call(&r, &srv, "GET", path, token_of(&buyer), NULL);
		assert_int_equal(raw_error_code(&r), 21175);
		raw_free(&r);
	}
	json_decref(export_wait(ref));
	/* an unknown server key */
	call(&r, &srv, "POST", "/invoices/exports", token_of(&seller),
	     "{\"encryption\":{\"encryptedSymmetricKey\":\"AAAA\","
	     "\"initializationVector\":\"AAAAAAAAAAAAAAAAAAAAAA==\","
	     "\"publicKeyId\":\"tmtCidSRzR4fvNpLU5hMOM6FzamxJf0BBR8IkXIAwsY=\"},"
	     "\"filters\":{\"subjectType\":\"Subject1\",\"dateRange\":{"
	     "\"dateType\":\"Issue\",\"from\":\"%s\"}}}", from_time);
	assert_int_equal(raw_error_code(&r), 21470);
	raw_free(&r);
	/* no filters; bad filters; no InvoiceRead */
	call(&r, &srv, "POST", "/invoices/exports", token_of(&seller),
	     "{\"encryption\":{\"encryptedSymmetricKey\":\"AAAA\","
	     "\"initializationVector\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}}");
	assert_int_equal(raw_error_code(&r), 21405);
	raw_free(&r);
	call(&r, &srv, "POST", "/invoices/exports", token_of(&seller),
	     "{\"encryption\":{\"encryptedSymmetricKey\":\"AAAA\","
	     "\"initializationVector\":\"AAAAAAAAAAAAAAAAAAAAAA==\"},"
	     "\"filters\":{\"subjectType\":\"Subject1\"}}");
	assert_int_equal(raw_error_code(&r), 21405);
	raw_free(&r);
	call(&r, &srv, "POST", "/invoices/exports", token_of(&writer_only),
	     "{}");
	assert_int_equal(r.status, 403);
	raw_free(&r);
	/* a key that does not unwrap: the export ends in 415 */
	call(&r, &srv, "POST", "/invoices/exports", token_of(&seller),
	     "{\"encryption\":{\"encryptedSymmetricKey\":\"AAAA\","
	     "\"initializationVector\":\"AAAAAAAAAAAAAAAAAAAAAA==\"},"
	     "\"filters\":{\"subjectType\":\"Subject1\",\"dateRange\":{"
	     "\"dateType\":\"Issue\",\"from\":\"%s\"}}}", from_time);
	assert_int_equal(r.status, 201);
	st = raw_json(&r);
	snprintf(ref, sizeof(ref), "%s", json_string_value(json_object_get(st,
		 "referenceNumber")));
	json_decref(st);
	raw_free(&r);
	st = export_wait(ref);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		st, "status"), "code")), 415);
	assert_null(json_object_get(st, "package"));
	json_decref(st);
	/* a range after the HWM, with the restriction on: status 420 */
	t.unix_ms += 60 * 1000;
	assert_int_equal(ksef_time_format(future, t, NULL), 0);
	export_start(future, 0, ref);
	st = export_wait(ref);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		st, "status"), "code")), 420);
	json_decref(st);
	ksef_buf_dispose(&k);
}

/* An invoice naming BUYER1 as Podmiot3 (the official sample, role 8):
 * BUYER1's context finds it as Subject3, with its role. */
static void a_third_party_sees_the_invoice_as_subject3(void **state)
{
	ksef_api_invoice_status *st;
	char sref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ],
	     today[KSEF_DATE_BUFSZ], num[64];
	ksef_envelope *env;
	ksef_buf b = KSEF_BUF_INIT;
	json_t *j, *third;

	(void)state;
	date_from_today(today, 0);
	snprintf(num, sizeof(num), "P3/%lld", (long long)time(NULL));
	ts_read_file(&b, ts_shared_path("ksef-samples/invoices/extra/"
		"java-invoice-template-fa-3-with-custom-subject_3.xml"));
	ts_replace(&b, "#nip#", SELLER);
	ts_replace(&b, "#invoice_number#", num);
	ts_replace(&b, "#invoicing_date#", today);
	ts_replace(&b, "#subject2nip#", BUYER2);
	ts_replace(&b, "#subject3IdentifierValue#", "<NIP>" BUYER1 "</NIP>");
	open_session(&seller, KSEF_FORM_FA3, &env, sref);
	send_xml(&seller, sref, env, &b, iref);
	st = wait_invoice(&seller, sref, iref);
	assert_int_equal(st->status->code, 200);
	e2e_sleep_us(20 * 1000);
	j = mquery(&buyer, "?pageSize=250", "Subject3", "PermanentStorage",
		   "");
	assert_int_equal(count_of(j), 1);
	assert_string_equal(ksef_at(j, 0), st->ksef_number);
	third = json_array_get(json_object_get(json_array_get(
		json_object_get(j, "invoices"), 0), "thirdSubjects"), 0);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(third, "identifier"), "value")), BUYER1);
	assert_int_equal(json_integer_value(json_object_get(third, "role")),
			 8);
	json_decref(j);
	/* the seller's own view is unchanged by the role */
	assert_int_equal(filtered(&seller, "Subject3", ""), 0);
	ksef_api_invoice_status_free(st);
	ksef_envelope_free(env);
	ksef_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_seller_finds_exactly_what_it_sent),
		cmocka_unit_test(pages_follow_each_other_in_either_order),
		cmocka_unit_test(each_filter_narrows_the_list),
		cmocka_unit_test(the_buyer_sees_its_invoices_as_subject2),
		cmocka_unit_test(bad_queries_are_refused_with_their_codes),
		cmocka_unit_test(bad_exports_are_refused_with_their_codes),
		cmocka_unit_test(
		  an_export_then_one_from_its_hwm_hold_exactly_the_invoices),
		cmocka_unit_test(a_third_party_sees_the_invoice_as_subject3),
	};

	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	return cmocka_run_group_tests(tests, setup, teardown);
}
