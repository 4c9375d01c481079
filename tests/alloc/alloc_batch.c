/*
 * alloc_batch.c - the batch client's package (client_batch.h) built with
 * each allocation failing in turn, by alloc_test.c's driver: two files,
 * several parts. A file is never called unreadable, empty or too big, nor
 * the package too big, for want of memory.
 */
#include <stdio.h>
#include <string.h>
#include "testsupport.h"
#include "ksef/client_batch.h"
#include "ksef/gen.h"
#include "alloc_test.h"

static char *batch_dir;
static const char *batch_files[2];
static ksef_batch *out_batch;

static int run_batch_new(ksef_error *err)
{
	ksef_batch_options o = KSEF_BATCH_OPTIONS_INIT;

	o.part_size = 1000;
	o.temp_dir = batch_dir;
	return ksef_batch_new(&out_batch, KSEF_FORM_FA3, batch_files, 2, &o,
			      err);
}

static void done_batch_new(int rc)
{
	if (rc == 0) {
		assert_true(ksef_batch_part_count(out_batch) >= 2);
		assert_true(ksef_batch_package_size(out_batch) > 0);
	}
	ksef_batch_free(out_batch);
	out_batch = NULL;
}

void batches_fail_cleanly(void **state)
{
	static const struct path paths[] = {
		{ "batch_new", run_batch_new, done_batch_new, 0, 0,
		  { KSEF_EIO, KSEF_EFORMAT, KSEF_ETOOBIG, KSEF_EINVAL, 0 } },
	};
	static char names[2][512];
	ksef_gen_options go = KSEF_GEN_OPTIONS_INIT;
	ksef_buf inv = KSEF_BUF_INIT;

	(void)state;
	go.seller_nip = "5265877635";
	go.seed = 9;
	assert_int_equal(ksef_gen_invoice(&inv, &go, 1, NULL), 0);
	batch_dir = ts_mkdtemp();
	snprintf(names[0], sizeof(names[0]), "%s/a.xml", batch_dir);
	snprintf(names[1], sizeof(names[1]), "%s/b.xml", batch_dir);
	ts_write_file(names[0], inv.ptr, inv.size);
	ts_write_file(names[1], inv.ptr, inv.size / 2);
	ksef_buf_dispose(&inv);
	batch_files[0] = names[0];
	batch_files[1] = names[1];
	exercise_all(paths, sizeof(paths) / sizeof(paths[0]));
	ts_rmdir(batch_dir);
}
