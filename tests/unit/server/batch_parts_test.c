/*
 * batch_parts_test.c - a batch package's parts (batch_parts.c): what a
 * declaration may hold and the codes of what it may not, the links and
 * files of parts, and the upload of a part: streamed in pieces, put in
 * place only with its declared size and hash, leaving nothing otherwise.
 * Also the store's records of a batch session (store_batch.c): its
 * package and parts, their arrival, the close that wants them all, and
 * the moves out of processing.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "batch_parts.h"
#include "store_fixture.h"

static void part(store_batch_part *p, int ord, int64_t size)
{
	memset(p, 0, sizeof(*p));
	p->ordinal = ord;
	p->file_size = size;
	strcpy(p->file_hash, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

static void declarations_are_held_to_the_limits(void **state)
{
	store_batch_part p[BATCH_MAX_PARTS + 1];
	char why[256];
	int i;

	(void)state;
	for (i = 0; i <= BATCH_MAX_PARTS; i++)
		part(&p[i], i + 1, 100);
	assert_int_equal(batch_parts_check(p, 3, why, sizeof(why)), 0);
	assert_int_equal(batch_parts_check(p, BATCH_MAX_PARTS, why,
					   sizeof(why)), 0);
	assert_int_equal(batch_parts_check(p, BATCH_MAX_PARTS + 1, why,
					   sizeof(why)), 21161);
	assert_int_equal(batch_parts_check(p, 0, why, sizeof(why)), 21405);
	p[1].file_size = BATCH_MAX_PART_BYTES + 1;
	assert_int_equal(batch_parts_check(p, 3, why, sizeof(why)), 21157);
	p[1].file_size = 0;
	assert_int_equal(batch_parts_check(p, 3, why, sizeof(why)), 21157);
	p[1].file_size = BATCH_MAX_PART_BYTES;
	assert_int_equal(batch_parts_check(p, 3, why, sizeof(why)), 0);
	/* Numbered 1..n, each once. */
	p[2].ordinal = 2;
	assert_int_equal(batch_parts_check(p, 3, why, sizeof(why)), 21405);
	p[2].ordinal = 4;
	assert_int_equal(batch_parts_check(p, 3, why, sizeof(why)), 21405);
	p[2].ordinal = 0;
	assert_int_equal(batch_parts_check(p, 3, why, sizeof(why)), 21405);
}

static void links_and_files_are_where_they_should_be(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(batch_part_link_path(out, sizeof(out), "REF", 7), 0);
	assert_string_equal(out, "/storage/REF/batch-parts/7");
	assert_int_equal(batch_part_file(out, sizeof(out), "/d", "REF", 3), 0);
	assert_string_equal(out, "/d/batch/REF/3.part");
	assert_int_equal(batch_part_link_path(out, 10, "REF", 7), -1);
}

static void an_upload_lands_only_when_whole_and_right(void **state)
{
	char *dir = ts_mkdtemp(), file[600], hash[KSEF_SHA256_B64_LEN + 1];
	static const char data[] = "0123456789abcdef0123456789abcdef";
	batch_upload *u;
	ksef_buf got = KSEF_BUF_INIT;
	struct stat sb;

	(void)state;
	assert_int_equal(ksef_sha256_base64(hash, (const unsigned char *)data,
					    32, NULL), 0);
	snprintf(file, sizeof(file), "%s/batch/R/1.part", dir);
	/* In pieces, right: in place. */
	assert_int_equal(batch_upload_open(&u, dir, "R", 1, 32, hash), 0);
	assert_int_equal(batch_upload_write(u, data, 10), 0);
	assert_int_equal(batch_upload_write(u, data + 10, 22), 0);
	assert_int_equal(batch_upload_finish(u), BATCH_UPLOAD_OK);
	batch_upload_free(u);
	ts_read_file(&got, file);
	assert_int_equal(got.size, 32);
	assert_memory_equal(got.ptr, data, 32);
	ksef_buf_dispose(&got);
	unlink(file);
	/* Short, long, or of other bytes: nothing. */
	assert_int_equal(batch_upload_open(&u, dir, "R", 1, 32, hash), 0);
	assert_int_equal(batch_upload_write(u, data, 31), 0);
	assert_int_equal(batch_upload_finish(u), BATCH_UPLOAD_SIZE);
	batch_upload_free(u);
	assert_int_equal(batch_upload_open(&u, dir, "R", 1, 32, hash), 0);
	assert_int_equal(batch_upload_write(u, data, 32), 0);
	assert_int_equal(batch_upload_write(u, data, 5), 0);
	assert_int_equal(batch_upload_size(u), 37);
	assert_int_equal(batch_upload_finish(u), BATCH_UPLOAD_SIZE);
	batch_upload_free(u);
	assert_int_equal(batch_upload_open(&u, dir, "R", 1, 32, hash), 0);
	assert_int_equal(batch_upload_write(u, "X", 1), 0);
	assert_int_equal(batch_upload_write(u, data + 1, 31), 0);
	assert_int_equal(batch_upload_finish(u), BATCH_UPLOAD_HASH);
	batch_upload_free(u);
	assert_int_not_equal(stat(file, &sb), 0);
	/* And no temporary file is left either. */
	batch_dir_remove(dir, "R");
	snprintf(file, sizeof(file), "%s/batch/R", dir);
	assert_int_not_equal(stat(file, &sb), 0);
	ts_rmdir(dir);
}

static void add_session(store *st, const char *ref)
{
	store_session s;
	ksef_error err;

	memset(&s, 0, sizeof(s));
	snprintf(s.ref, sizeof(s.ref), "%s", ref);
	strcpy(s.ctx_type, "Nip");
	strcpy(s.ctx_value, "5265877635");
	s.form = 3;
	s.key_id = 1;
	s.wrapped_key_len = 256;
	s.status = 100;
	s.created_ms = s.updated_ms = 1000;
	s.valid_until_ms = 2000;
	s.max_invoices = 10;
	ok(store_session_add(st, &s, &err), &err);
}

static void the_store_keeps_the_package_and_its_parts(void **state)
{
	char *dir = ts_mkdtemp();
	store *st = open_store(dir);
	store_batch_file f, got;
	store_batch_part p[2], *parts = NULL;
	store_session s;
	char (*refs)[STORE_REF_SZ] = NULL;
	size_t n = 0;
	int status = 0, missing = 0;
	ksef_error err;

	(void)state;
	add_session(st, "SB-1");
	memset(&f, 0, sizeof(f));
	f.file_size = 1234;
	strcpy(f.file_hash, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	strcpy(f.compression, "TarGz");
	f.part_count = 2;
	f.offline = 1;
	part(&p[0], 1, 700);
	part(&p[1], 2, 600);
	ok(store_batch_add(st, "SB-1", &f, p, 2, &err), &err);
	assert_int_equal(store_batch_add(st, "SB-1", &f, p, 2, &err),
			 STORE_EXISTS);
	ok(store_batch_get(st, "SB-1", &got, &err), &err);
	assert_int_equal(got.file_size, 1234);
	assert_string_equal(got.compression, "TarGz");
	assert_int_equal(got.part_count, 2);
	assert_int_equal(got.offline, 1);
	assert_int_equal(store_batch_get(st, "SB-2", &got, &err),
			 STORE_NOT_FOUND);
	/* Closing wants every part. */
	assert_int_equal(store_batch_close(st, "SB-1", 5000, &status,
					   &missing, &err), STORE_INVALID);
	assert_int_equal(missing, 1);
	ok(store_batch_part_received(st, "SB-1", 1, 3000, &err), &err);
	assert_int_equal(store_batch_part_received(st, "SB-1", 3, 3000, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_batch_close(st, "SB-1", 5000, &status,
					   &missing, &err), STORE_INVALID);
	assert_int_equal(missing, 2);
	ok(store_batch_part_received(st, "SB-1", 2, 3100, &err), &err);
	ok(store_batch_parts(st, "SB-1", &parts, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_int_equal(parts[0].received_ms, 3000);
	assert_int_equal(parts[1].file_size, 600);
	free(parts);
	ok(store_batch_close(st, "SB-1", 5000, &status, &missing, &err), &err);
	assert_int_equal(status, 150);
	assert_int_equal(missing, 0);
	/* Once: then it is in processing. */
	assert_int_equal(store_batch_close(st, "SB-1", 5000, &status,
					   &missing, &err), STORE_WRONG_STATE);
	assert_int_equal(status, 150);
	ok(store_batch_processing(st, &refs, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(refs[0], "SB-1");
	free(refs);
	ok(store_batch_set_status(st, "SB-1", 405, "[\"why\"]", 6000, &err),
	   &err);
	ok(store_session_get(st, "SB-1", &s, &err), &err);
	assert_int_equal(s.status, 405);
	ok(store_batch_get(st, "SB-1", &got, &err), &err);
	assert_string_equal(got.details, "[\"why\"]");
	assert_int_equal(s.closed_ms, 5000);
	assert_int_equal(store_batch_set_status(st, "SB-1", 170, NULL, 6000,
						&err), STORE_NOT_FOUND);
	ok(store_batch_processing(st, &refs, &n, &err), &err);
	assert_int_equal(n, 0);
	free(refs);
	store_close(st);
	ts_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(declarations_are_held_to_the_limits),
		cmocka_unit_test(links_and_files_are_where_they_should_be),
		cmocka_unit_test(an_upload_lands_only_when_whole_and_right),
		cmocka_unit_test(the_store_keeps_the_package_and_its_parts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
