/*
 * client_batch_test.c - the batch client without a server: the package
 * builder and splitter (entry names, contents, part sizes, the declared
 * sizes and hashes, each part decrypting to its slice of the package),
 * its refusals (no files, a missing or empty file, a name given twice, a
 * name the package cannot hold, too many parts, bad options), the open
 * request held against OpenBatchSessionRequest, and the reading of the
 * open answer (scripted), whose links and headers are used as they come.
 */
#include "testsupport.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include "ksef/ksef.h"
#include "client_batch_int.h"
#include "contract.h"
#include "contract_key.h"

static char *dir;
static ksef_pubkey *key;

static int setup(void **state)
{
	(void)state;
	if (ksef_global_init() != 0 || contract_key_setup(&dir, &key) != 0)
		return -1;
	/* Two folders for files of the same name. */
	return ts_system("cd '%s' && mkdir a b", dir) != 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	contract_key_teardown(dir, key);
	return 0;
}

/* A file of n bytes that deflate cannot shrink much: hex of a counter's
 * hash chain, so that the package is several parts long. */
static char *make_file(const char *name, size_t n, unsigned seed)
{
	char *path = malloc(strlen(dir) + strlen(name) + 2);
	char *data = malloc(n);
	uint64_t x = 0x9E3779B97F4A7C15ull ^ seed;
	size_t i;

	sprintf(path, "%s/%s", dir, name);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		data[i] = "0123456789abcdef"[x & 15];
	}
	ts_write_file(path, data, n);
	free(data);
	return path;
}

/* The parts decrypted and joined: the package itself. */
static void package_of(ksef_buf *pkg, const ksef_batch *b)
{
	size_t i;

	for (i = 0; i < ksef_batch_part_count(b); i++) {
		ksef_buf ct = KSEF_BUF_INIT, pt = KSEF_BUF_INIT;
		char hash[KSEF_SHA256_B64_LEN + 1];
		int64_t plain, enc;
		const char *declared = ksef_batch_part_at(&plain, &enc, b, i);

		assert_non_null(declared);
		assert_int_equal(ksef_batch_part_read(&ct, b, i, 1 << 24, NULL),
				 0);
		/* fileSize and fileHash are of the ciphertext. */
		assert_int_equal((int64_t)ct.size, enc);
		assert_int_equal(enc, (plain / 16 + 1) * 16);
		assert_int_equal(ksef_sha256_base64(hash, ct.ptr, ct.size,
						     NULL), 0);
		assert_string_equal(hash, declared);
		assert_int_equal(ksef_envelope_decrypt(&pt, b->env, ct.ptr,
						       ct.size, NULL), 0);
		assert_int_equal((int64_t)pt.size, plain);
		assert_int_equal(ksef_buf_append(pkg, pt.ptr, pt.size,
						 1 << 26), 0);
		ksef_buf_dispose(&ct);
		ksef_buf_dispose(&pt);
	}
}

static void builds_a_zip_of_base_names_cut_into_parts(void **state)
{
	ksef_batch_options o = KSEF_BATCH_OPTIONS_INIT;
	const char *files[3];
	char *paths[3];
	ksef_batch *b = NULL;
	ksef_buf pkg = KSEF_BUF_INIT, want = KSEF_BUF_INIT;
	char hash[KSEF_SHA256_B64_LEN + 1];
	struct archive *a;
	struct archive_entry *ae;
	int64_t plain, total = 0;
	size_t i, n;

	(void)state;
	paths[0] = make_file("a/first.xml", 30000, 1);
	paths[1] = make_file("b/second.xml", 20000, 2);
	paths[2] = make_file("third.xml", 1, 3);
	for (i = 0; i < 3; i++)
		files[i] = paths[i];
	o.part_size = 8192;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 3, &o, NULL),
			 0);
	/* About 50 KB of hex deflates to about half: four parts or more. */
	n = ksef_batch_part_count(b);
	assert_true(n >= 3);
	for (i = 0; i < n; i++) {
		assert_non_null(ksef_batch_part_at(&plain, NULL, b, i));
		if (i + 1 < n)
			assert_int_equal(plain, 8192);
		else
			assert_true(plain >= 1 && plain <= 8192);
		total += plain;
	}
	assert_null(ksef_batch_part_at(NULL, NULL, b, n));
	assert_int_equal(total, ksef_batch_package_size(b));
	package_of(&pkg, b);
	assert_int_equal((int64_t)pkg.size, ksef_batch_package_size(b));
	assert_int_equal(ksef_sha256_base64(hash, pkg.ptr, pkg.size, NULL), 0);
	assert_string_equal(hash, ksef_batch_package_hash(b));

	/* The package is a ZIP of the files under their base names. */
	a = archive_read_new();
	assert_int_equal(archive_read_support_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_read_open_memory(a, pkg.ptr, pkg.size),
			 ARCHIVE_OK);
	for (i = 0; i < 3; i++) {
		ksef_buf got = KSEF_BUF_INIT;
		char chunk[4096];
		la_ssize_t r;

		assert_int_equal(archive_read_next_header(a, &ae), ARCHIVE_OK);
		assert_string_equal(archive_entry_pathname(ae),
				    ksef_batch_file_name(b, i));
		while ((r = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			assert_int_equal(ksef_buf_append(&got, chunk,
				(size_t)r, 1 << 24), 0);
		assert_int_equal(r, 0);
		ts_read_file(&want, paths[i]);
		assert_int_equal(got.size, want.size);
		assert_memory_equal(got.ptr, want.ptr, want.size);
		/* Each file's invoiceHash is known before sending. */
		assert_int_equal(ksef_sha256_base64(hash, want.ptr, want.size,
						    NULL), 0);
		assert_string_equal(ksef_batch_invoice_at(b, i)->invoice_hash,
				    hash);
		assert_int_equal(ksef_batch_invoice_at(b, i)->status, 0);
		ksef_buf_dispose(&got);
		ksef_buf_dispose(&want);
	}
	assert_int_equal(archive_read_next_header(a, &ae), ARCHIVE_EOF);
	archive_read_free(a);
	assert_string_equal(ksef_batch_file_name(b, 0), "first.xml");
	assert_string_equal(ksef_batch_file_name(b, 1), "second.xml");
	assert_null(ksef_batch_file_name(b, 3));
	assert_int_equal(ksef_batch_invoice_count(b), 3);
	assert_null(ksef_batch_reference(b));
	ksef_buf_dispose(&pkg);
	ksef_batch_free(b);
	for (i = 0; i < 3; i++)
		free(paths[i]);
}

static void one_part_by_default(void **state)
{
	char *path = make_file("one.xml", 5000, 4);
	const char *files[1] = { path };
	ksef_batch *b = NULL;
	int64_t plain;

	(void)state;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA2, files, 1, NULL,
					NULL), 0);
	assert_int_equal(ksef_batch_part_count(b), 1);
	assert_non_null(ksef_batch_part_at(&plain, NULL, b, 0));
	assert_int_equal(plain, ksef_batch_package_size(b));
	ksef_batch_free(b);
	free(path);
}

static void refuses_no_files(void **state)
{
	const char *files[1] = { "x.xml" };
	ksef_batch *b = (ksef_batch *)1;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 0, NULL,
					&err), KSEF_EINVAL);
	assert_null(b);
	assert_non_null(strstr(err.message, "at least one file"));
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, NULL, 1, NULL,
					&err), KSEF_EINVAL);
	assert_int_equal(ksef_batch_new(NULL, KSEF_FORM_FA3, files, 1, NULL,
					&err), KSEF_EINVAL);
}

static void refuses_a_missing_file_naming_it(void **state)
{
	char *ok = make_file("present.xml", 100, 5), missing[512];
	const char *files[2];
	ksef_batch *b = NULL;
	ksef_error err;

	(void)state;
	snprintf(missing, sizeof(missing), "%s/absent.xml", dir);
	files[0] = ok;
	files[1] = missing;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 2, NULL,
					&err), KSEF_EIO);
	assert_null(b);
	assert_non_null(strstr(err.message, "absent.xml"));
	free(ok);
}

static void refuses_two_files_of_one_name(void **state)
{
	char *x = make_file("a/same.xml", 100, 6);
	char *y = make_file("b/same.xml", 100, 7);
	const char *files[2] = { x, y };
	ksef_batch *b = NULL;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 2, NULL,
					&err), KSEF_EINVAL);
	assert_null(b);
	assert_non_null(strstr(err.message, "a/same.xml"));
	assert_non_null(strstr(err.message, "b/same.xml"));
	assert_non_null(strstr(err.message, "same name"));
	free(x);
	free(y);
}

static void refuses_names_and_files_the_package_cannot_hold(void **state)
{
	char *txt = make_file("notes.txt", 10, 8);
	char *colon = make_file("c:d.xml", 10, 9);
	char *empty = make_file("empty.xml", 0, 10);
	const char *files[1];
	ksef_batch *b = NULL;
	ksef_error err;

	(void)state;
	files[0] = txt;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 1, NULL,
					&err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "*.xml"));
	files[0] = colon;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 1, NULL,
					&err), KSEF_EINVAL);
	files[0] = empty;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 1, NULL,
					&err), KSEF_EFORMAT);
	/* A folder is no invoice. */
	files[0] = dir;
	assert_int_not_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 1, NULL,
					    &err), 0);
	assert_null(b);
	free(txt);
	free(colon);
	free(empty);
}

static void refuses_more_than_fifty_parts(void **state)
{
	ksef_batch_options o = KSEF_BATCH_OPTIONS_INIT;
	char *path = make_file("big.xml", 20000, 11);
	const char *files[1] = { path };
	ksef_batch *b = NULL;
	ksef_error err;

	(void)state;
	/* About 10 KB of package: 51 parts of 200 bytes are too few. */
	o.part_size = 100;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 1, &o,
					&err), KSEF_ETOOBIG);
	assert_null(b);
	assert_non_null(strstr(err.message, "KSEF_BATCH_MAX_PARTS"));
	/* Exactly at the limit is fine: find the size that gives 50. */
	o.part_size = 0;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 1, &o,
					NULL), 0);
	o.part_size = (ksef_batch_package_size(b) + 49) / 50;
	ksef_batch_free(b);
	b = NULL;
	if (ksef_batch_new(&b, KSEF_FORM_FA3, files, 1, &o, &err) != 0)
		fail_msg("%lld-byte parts: %s", (long long)o.part_size,
			 err.message);
	assert_true(ksef_batch_part_count(b) <= KSEF_BATCH_MAX_PARTS);
	assert_true(ksef_batch_part_count(b) >= 49);
	ksef_batch_free(b);
	free(path);
}

static void refuses_bad_options(void **state)
{
	ksef_batch_options o = KSEF_BATCH_OPTIONS_INIT;
	char *path = make_file("opt.xml", 10, 12);
	const char *files[1] = { path };
	ksef_batch *b = NULL;
	ksef_error err;

	(void)state;
	o.parallel = 0;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 1, &o,
					&err), KSEF_EINVAL);
	o.parallel = KSEF_BATCH_PARALLEL_MAX + 1;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 1, &o,
					&err), KSEF_EINVAL);
	o.parallel = 1;
	o.part_size = KSEF_BATCH_PART_MAX_BYTES + 1;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 1, &o,
					&err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "KSEF_BATCH_PART_MAX_BYTES"));
	o.part_size = 0;
	o.version = KSEF_BATCH_OPTIONS_VERSION + 1;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 1, &o,
					&err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "ksef_batch_options"));
	o.version = KSEF_BATCH_OPTIONS_VERSION;
	o.temp_dir = "/nonexistent/folder";
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 1, &o,
					&err), KSEF_EIO);
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_COUNT, files, 1, NULL,
					&err), KSEF_EINVAL);
	assert_null(b);
	free(path);
}

static void open_body_matches_OpenBatchSessionRequest(void **state)
{
	ksef_batch_options o = KSEF_BATCH_OPTIONS_INIT;
	char *path = make_file("body.xml", 30000, 13);
	const char *files[1] = { path };
	struct ksef__batch_decl d;
	ksef_batch *b = NULL;
	json_t *body = NULL, *parts;
	char why[512] = "";
	size_t i;

	(void)state;
	o.part_size = 4000;
	o.offline_mode = 1;
	assert_int_equal(ksef_batch_new(&b, KSEF_FORM_FA3, files, 1, &o,
					NULL), 0);
	d.form = b->form;
	d.package_size = b->package_size;
	d.package_hash = b->package_hash;
	d.parts = b->parts;
	d.part_count = b->part_count;
	d.offline_mode = 1;
	assert_int_equal(ksef__client_build_open_batch_body(&body, &d, b->env,
							    key, NULL), 0);
	if (contract_check(body, contract_request_schema("/sessions/batch",
			   "post"), "body", why, sizeof(why)) != 0)
		fail_msg("POST /sessions/batch: %s", why);
	parts = json_object_get(json_object_get(body, "batchFile"),
				"fileParts");
	assert_int_equal(json_array_size(parts), ksef_batch_part_count(b));
	for (i = 0; i < json_array_size(parts); i++) {
		json_t *p = json_array_get(parts, i);
		int64_t enc;

		assert_int_equal(json_integer_value(json_object_get(p,
			"ordinalNumber")), i + 1);
		assert_string_equal(json_string_value(json_object_get(p,
			"fileHash")), ksef_batch_part_at(NULL, &enc, b, i));
		assert_int_equal(json_integer_value(json_object_get(p,
			"fileSize")), enc);
	}
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		body, "batchFile"), "fileSize")), ksef_batch_package_size(b));
	assert_true(json_is_true(json_object_get(body, "offlineMode")));
	json_decref(body);
	ksef_batch_free(b);
	free(path);
}

/* The open answer, scripted: links are taken only as the contract and
 * the documents give them. */
static int open_scripted(const char *answer, size_t nparts,
			 ksef_error *err)
{
	static const struct ksef__batch_part parts[2] = {
		{ 0, 10, 16, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
		{ 16, 10, 16, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	};
	ksef_client_options co = KSEF_CLIENT_OPTIONS_INIT;
	struct ksef__batch_decl d = { KSEF_FORM_FA3, 20,
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", parts, 0, 0 };
	struct ksef__batch_opened *o = NULL;
	ksef_envelope *env = NULL;
	ksef_client *c = NULL;
	int error;

	d.part_count = nparts;
	co.base_url = "http://127.0.0.1:1/v2";
	co.max_retries = 0;
	assert_int_equal(ksef_client_new(&c, &co, NULL), 0);
	assert_int_equal(ksef_client_set_access_token(c, "tok", NULL), 0);
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	ksef__client_script(c, (const unsigned char *)answer, strlen(answer));
	error = ksef__client_batch_open(&o, c, &d, env, key, err);
	if (error == 0) {
		const struct ksef__batch_upload *u =
			ksef__batch_upload_of(o, 1);

		assert_non_null(u);
		assert_string_equal(u->method, "PUT");
		assert_int_equal(u->header_count, 1);
		assert_string_equal(u->names[0], "x-ms-blob-type");
		assert_string_equal(u->values[0], "BlockBlob");
		assert_string_equal(o->reference_number,
				    "20250626-SB-213D593000-4DE10D80A5-E9");
	}
	ksef__result_free(o);
	ksef_envelope_free(env);
	ksef_client_free(c);
	return error;
}

#define ANSWER(parts)                                                     \
	"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\r\n"  \
	"{\"referenceNumber\":\"20250626-SB-213D593000-4DE10D80A5-E9\","  \
	"\"partUploadRequests\":[" parts "]}\n--next-answer--\n"
#define LINK(n, method, headers)                                          \
	"{\"ordinalNumber\":" #n ",\"method\":\"" method "\",\"url\":"    \
	"\"https://storage.example/p/" #n "?sig=abc\",\"headers\":{"      \
	headers "}}"

static void reads_the_open_answer_strictly(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(open_scripted(ANSWER(LINK(1, "PUT",
		"\"x-ms-blob-type\":\"BlockBlob\",\"x-null\":null")), 1, &err),
		0);
	/* A link for each part, once. */
	assert_int_equal(open_scripted(ANSWER(LINK(1, "PUT",
		"\"x-ms-blob-type\":\"BlockBlob\"")), 2, &err), KSEF_EPARSE);
	assert_non_null(strstr(err.message, "1 part links for 2 parts"));
	assert_int_equal(open_scripted(ANSWER(LINK(1, "PUT", "") ","
		LINK(1, "PUT", "")), 2, &err), KSEF_EPARSE);
	assert_non_null(strstr(err.message, "no link for part 2"));
	/* Only PUT, as the documents say. */
	assert_int_equal(open_scripted(ANSWER(LINK(1, "POST", "")), 1, &err),
			 KSEF_EPARSE);
	assert_non_null(strstr(err.message, "method"));
	/* Headers we cannot send, or must not let a link choose. */
	assert_int_equal(open_scripted(ANSWER(LINK(1, "PUT",
		"\"x-a\":\"b\\r\\nInjected: 1\"")), 1, &err), KSEF_EPARSE);
	assert_int_equal(open_scripted(ANSWER(LINK(1, "PUT",
		"\"Bad Name\":\"x\"")), 1, &err), KSEF_EPARSE);
	assert_int_equal(open_scripted(ANSWER(LINK(1, "PUT",
		"\"Authorization\":\"Bearer x\"")), 1, &err), KSEF_EPARSE);
	/* Ordinal numbers past the limit. */
	assert_int_equal(open_scripted(ANSWER(LINK(51, "PUT", "")), 1, &err),
			 KSEF_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builds_a_zip_of_base_names_cut_into_parts),
		cmocka_unit_test(one_part_by_default),
		cmocka_unit_test(refuses_no_files),
		cmocka_unit_test(refuses_a_missing_file_naming_it),
		cmocka_unit_test(refuses_two_files_of_one_name),
		cmocka_unit_test(
			refuses_names_and_files_the_package_cannot_hold),
		cmocka_unit_test(refuses_more_than_fifty_parts),
		cmocka_unit_test(refuses_bad_options),
		cmocka_unit_test(open_body_matches_OpenBatchSessionRequest),
		cmocka_unit_test(reads_the_open_answer_strictly),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
