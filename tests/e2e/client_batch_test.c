/*
 * client_batch_test.c - libksef's batch client (client_batch.h) against
 * the real ksefd: generated invoices built into a package of several
 * parts, sent through a ksef_conn with the parts put in parallel, waited
 * for, and each file given its own verdict (matched by its entry name),
 * UPO and the session's UPO; a batch invoice then found by POST
 * /invoices/query/metadata with fields that do not depend on its file
 * name (a raw request, its body and answer held against open-api.json);
 * a package of invoices that all fail ends 445 with each file's reason;
 * a part changed after its hash was declared stops the send at its PUT;
 * a batch is sent once only.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ksef/ksef.h"
#include "client_batch_int.h"
#include "contract.h"
#include "e2e.h"
#include "http_raw.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
#define COUNT 30

static struct ksefd_proc srv;
static struct login user;
static ksef_conn *conn;
static char today[KSEF_DATE_BUFSZ];
static char from_time[40];
static char *dir;

static int setup(void **state)
{
	ksef_conn_options co;
	ksef_client_options cl;
	ksef_time t = ksef_time_now();
	char tok[256];

	(void)state;
	if (ts_schemas_missing() || ksef_global_init() != 0 ||
	    contract_load() != 0)
		return -1;
	t.unix_ms -= 3600 * 1000;
	if (ksef_time_format(from_time, t, NULL) != 0)
		return -1;
	memset(&srv, 0, sizeof(srv));
	ksefd_start(&srv, NULL, NULL);
	ksefd_token(&srv, NIP, "InvoiceWrite,InvoiceRead", tok, sizeof(tok));
	login(&user, &srv, NIP, tok);
	conn_options_for(&co, &cl, &srv, NIP);
	co.ksef_token = tok;
	if (ksef_conn_new(&conn, &co, NULL) != 0)
		return -1;
	date_from_today(today, 0);
	dir = ts_mkdtemp();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ksef_conn_free(conn);
	logout(&user);
	assert_int_equal(ksefd_stop(&srv), 0);
	ksefd_cleanup(&srv);
	ts_rmdir(dir);
	contract_unload();
	return 0;
}

/* n generated invoices as files <dir>/<prefix>-<i>.xml. */
static char **write_invoices(const char *prefix, size_t n, int broken)
{
	char **paths = calloc(n, sizeof(*paths));
	size_t i;

	for (i = 0; i < n; i++) {
		ksef_buf xml = KSEF_BUF_INIT;

		gen(&xml, KSEF_FORM_FA3, NIP, prefix, i + 1, today);
		/* An element the schema does not know: 450 for each. */
		if (broken)
			ts_replace(&xml, "<P_15>", "<P_15X>");
		if (broken)
			ts_replace(&xml, "</P_15>", "</P_15X>");
		paths[i] = malloc(strlen(dir) + 64);
		sprintf(paths[i], "%s/%s-%zu.xml", dir, prefix, i + 1);
		ts_write_file(paths[i], xml.ptr, xml.size);
		ksef_buf_dispose(&xml);
	}
	return paths;
}

static void free_paths(char **paths, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

/* A raw request whose body and answer are held against the contract. */
static json_t *checked(const char *method, const char *tpath,
		       const char *path, const char *body, long want)
{
	struct raw_response r;
	const json_t *schema;
	json_t *doc = NULL, *req;
	char lower[8], why[512] = "";
	size_t i;

	for (i = 0; method[i] != '\0' && i + 1 < sizeof(lower); i++)
		lower[i] = (char)(method[i] | 0x20);
	lower[i] = '\0';
	if (body != NULL) {
		req = json_loads(body, 0, NULL);
		assert_non_null(req);
		if (contract_check(req, contract_request_schema(tpath, lower),
				   "body", why, sizeof(why)) != 0)
			fail_msg("%s %s request: %s", method, tpath, why);
		json_decref(req);
	}
	raw_request(&r, method, url(&srv, path),
		    user.tokens->access_token->token, NULL, body,
		    body ? strlen(body) : 0);
	if (r.status != want)
		fail_msg("%s %s: %ld, expected %ld: %s", method, path,
			 r.status, want, r.body);
	doc = raw_json(&r);
	schema = contract_response_schema(tpath, lower, (int)r.status,
					  "application/json");
	if (schema == NULL ||
	    contract_check(doc, schema, "body", why, sizeof(why)) != 0)
		fail_msg("%s %s (%ld): %s\n%s", method, path, r.status, why,
			 r.body);
	raw_free(&r);
	return doc;
}

static void sends_a_package_in_parts_and_gives_each_file_its_verdict(
	void **state)
{
	ksef_batch_options o = KSEF_BATCH_OPTIONS_INIT;
	char **paths = write_invoices("BT", COUNT, 0);
	ksef_batch *b = NULL;
	ksef_buf upo = KSEF_BUF_INIT, doc = KSEF_BUF_INIT;
	ksef_error err;
	char hash[KSEF_SHA256_B64_LEN + 1], path[128], body[512];
	json_t *st, *found, *item;
	size_t i;

	(void)state;
	o.part_size = 16384;
	o.parallel = 3;
	if (ksef_batch_new(&b, KSEF_FORM_FA3, (const char *const *)paths,
			   COUNT, &o, &err) != 0)
		fail_msg("building: %s", err.message);
	assert_true(ksef_batch_part_count(b) >= 3);
	if (ksef_batch_send(b, conn, &err) != 0)
		fail_msg("sending: %s", err.message);
	assert_memory_equal(ksef_batch_reference(b) + 9, "SB", 2);
	/* Sent once: the key is gone with the close. */
	assert_int_equal(ksef_batch_send(b, conn, &err), KSEF_EINVAL);
	/* Thirty invoices in pages of ten: the list is read page by page. */
	ksef__batch_set_page_size(b, 10);
	if (ksef_batch_wait(b, 120000, &err) != 0)
		fail_msg("waiting: %s", err.message);
	assert_int_equal(ksef_batch_status(b), 200);
	assert_non_null(ksef_batch_status_description(NULL, b));
	for (i = 0; i < COUNT; i++) {
		const ksef_session_invoice *inv = ksef_batch_invoice_at(b, i);

		ts_read_file(&doc, paths[i]);
		assert_int_equal(ksef_sha256_base64(hash, doc.ptr, doc.size,
						    NULL), 0);
		ksef_buf_dispose(&doc);
		assert_int_equal(inv->status, 200);
		assert_non_null(inv->ksef_number);
		assert_non_null(inv->reference_number);
		/* Matched by entry name, and it is this file's invoice. */
		assert_string_equal(inv->invoice_hash, hash);
	}
	if (ksef_batch_invoice_upo(&upo, b, 7, &err) != 0)
		fail_msg("UPO: %s", err.message);
	assert_non_null(strstr((const char *)upo.ptr,
			       ksef_batch_invoice_at(b, 7)->ksef_number));
	ksef_buf_dispose(&upo);
	assert_true(ksef_batch_upo_page_count(b) >= 1);
	assert_int_equal(ksef_batch_upo(&upo, b, 0, NULL), 0);
	assert_non_null(strstr((const char *)upo.ptr,
			       ksef_batch_reference(b)));
	ksef_buf_dispose(&upo);
	assert_int_equal(ksef_batch_upo(&upo, b, 99, NULL), KSEF_EINVAL);

	/* The session as the API shows it, held against the contract. */
	snprintf(path, sizeof(path), "/sessions/%s", ksef_batch_reference(b));
	st = checked("GET", "/sessions/{referenceNumber}", path, NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(st,
		"successfulInvoiceCount")), COUNT);
	json_decref(st);

	/* Found by its number and seller, as any invoice is: the file name
	 * plays no part in retrieval. */
	snprintf(body, sizeof(body), "{\"subjectType\":\"Subject1\","
		 "\"dateRange\":{\"dateType\":\"PermanentStorage\",\"from\":"
		 "\"%s\"},\"invoiceNumber\":\"%s\",\"sellerNip\":\"" NIP "\"}",
		 from_time, ksef_batch_invoice_at(b, 11)->invoice_number);
	found = checked("POST", "/invoices/query/metadata",
			"/invoices/query/metadata?pageSize=10", body, 200);
	assert_int_equal(json_array_size(json_object_get(found, "invoices")),
			 1);
	item = json_array_get(json_object_get(found, "invoices"), 0);
	assert_string_equal(json_string_value(json_object_get(item,
		"ksefNumber")), ksef_batch_invoice_at(b, 11)->ksef_number);
	assert_string_equal(json_string_value(json_object_get(item,
		"invoiceHash")), ksef_batch_invoice_at(b, 11)->invoice_hash);
	json_decref(found);
	ksef_batch_free(b);
	free_paths(paths, COUNT);
}

static void a_package_of_failing_invoices_ends_445_with_each_reason(
	void **state)
{
	char **paths = write_invoices("BX", 3, 1);
	ksef_batch *b = NULL;
	ksef_buf upo = KSEF_BUF_INIT;
	ksef_error err;
	size_t i;

	(void)state;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3,
		(const char *const *)paths, 3, NULL, &err), 0);
	assert_int_equal(ksef_batch_part_count(b), 1);
	if (ksef_batch_send(b, conn, &err) != 0 ||
	    ksef_batch_wait(b, 120000, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(ksef_batch_status(b), 445);
	for (i = 0; i < 3; i++) {
		const ksef_session_invoice *inv = ksef_batch_invoice_at(b, i);

		assert_int_equal(inv->status, 450);
		assert_null(inv->ksef_number);
		assert_non_null(inv->details);
		assert_non_null(strstr(inv->details, "P_15X"));
	}
	assert_int_equal(ksef_batch_upo_page_count(b), 0);
	/* No UPO for a refused invoice: the server says so. */
	assert_int_not_equal(ksef_batch_invoice_upo(&upo, b, 0, NULL), 0);
	ksef_batch_free(b);
	free_paths(paths, 3);
}

static void a_part_refused_on_its_put_fails_the_send_by_its_number(
	void **state)
{
	ksef_batch_options o = KSEF_BATCH_OPTIONS_INIT;
	char **paths = write_invoices("BP", 4, 0);
	static const unsigned char junk[16] = "not the part....";
	ksef_batch *b = NULL;
	ksef_error err;

	(void)state;
	o.part_size = 4096;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3,
		(const char *const *)paths, 4, &o, NULL), 0);
	assert_true(ksef_batch_part_count(b) >= 2);
	/* Part 2 changes after its hash was declared: ksefd refuses the
	 * PUT (400) and the send stops there, naming the part by number
	 * and never by its link, whose query is a credential. */
	assert_int_equal(pwrite(b->fd, junk, sizeof(junk),
				(off_t)b->parts[1].offset), sizeof(junk));
	assert_int_equal(ksef_batch_send(b, conn, &err), KSEF_EHTTP);
	assert_non_null(strstr(err.message, "PUT part 2: HTTP 400"));
	assert_null(strstr(err.message, "sig="));
	assert_null(strstr(err.message, "/storage/"));
	assert_non_null(ksef_batch_reference(b));
	ksef_batch_free(b);
	free_paths(paths, 4);
}

static void waits_only_for_a_batch_sent(void **state)
{
	char **paths = write_invoices("BW", 1, 0);
	ksef_batch *b = NULL;

	(void)state;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3,
		(const char *const *)paths, 1, NULL, NULL), 0);
	assert_int_equal(ksef_batch_wait(b, 1000, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_batch_send(b, NULL, NULL), KSEF_EINVAL);
	assert_null(ksef_batch_reference(b));
	assert_int_equal(ksef_batch_status(b), 0);
	ksef_batch_free(b);
	free_paths(paths, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		  sends_a_package_in_parts_and_gives_each_file_its_verdict),
		cmocka_unit_test(
		  a_package_of_failing_invoices_ends_445_with_each_reason),
		cmocka_unit_test(
		  a_part_refused_on_its_put_fails_the_send_by_its_number),
		cmocka_unit_test(waits_only_for_a_batch_sent),
	};

	if (ts_schemas_missing())
		return 77;
	return cmocka_run_group_tests(tests, setup, teardown);
}
