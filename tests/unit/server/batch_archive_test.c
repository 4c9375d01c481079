/*
 * batch_archive_test.c - the checks of a batch package (batch_archive.c),
 * each hostile package built here with libarchive: a bomb by its ratio
 * and by its total, a path out of the package, a nested archive by name
 * and by content, a repeated name, a link, too many entries, no entry, a
 * file that is not a ZIP, a truncated one; and a good ZIP and TarGz whose
 * invoices are handed over in order.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include "batch_archive.h"

struct entry {
	const char *name;
	const char *data;
	size_t len;
	int type;               /* 0 file, 1 symlink, 2 directory */
};

static char path[600];

static void write_archive(int targz, const struct entry *e, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae;
	size_t i;

	if (targz) {
		archive_write_add_filter_gzip(a);
		archive_write_set_format_pax_restricted(a);
	} else {
		archive_write_set_format_zip(a);
	}
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_filetype(ae, e[i].type == 1 ? AE_IFLNK :
			e[i].type == 2 ? AE_IFDIR : AE_IFREG);
		if (e[i].type == 1)
			archive_entry_set_symlink(ae, "/etc/passwd");
		archive_entry_set_size(ae, e[i].type ? 0 :
				       (la_int64_t)e[i].len);
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (e[i].type == 0 && e[i].len > 0)
			assert_int_equal(archive_write_data(a, e[i].data,
				e[i].len), (la_ssize_t)e[i].len);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static batch_archive_limits limits(int targz)
{
	batch_archive_limits l;

	l.targz = targz;
	l.max_entries = 10;
	l.max_entry_bytes = 4u << 20;
	l.max_total_bytes = 16u << 20;
	l.max_ratio = 100;
	return l;
}

static int check(int targz, char *why, size_t n)
{
	batch_archive_limits l = limits(targz);

	return batch_archive_check(path, &l, why, n);
}

static int setup(void **state)
{
	char *dir = ts_mkdtemp();

	*state = dir;
	snprintf(path, sizeof(path), "%s/package", dir);
	return 0;
}

static int teardown(void **state)
{
	ts_rmdir(*state);
	return 0;
}

#define XML "<Faktura/>"

struct seen {
	int n;
	char names[4][32];
};

static int take(void *arg, const char *name, const unsigned char *data,
		size_t len)
{
	struct seen *s = arg;

	assert_int_equal(len, strlen(XML));
	assert_memory_equal(data, XML, len);
	snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", name);
	return 0;
}

static void good_packages_hand_over_their_invoices(void **state)
{
	const struct entry e[] = {
		{ "dir", NULL, 0, 2 },
		{ "dir/a.xml", XML, sizeof(XML) - 1, 0 },
		{ "b.XML", XML, sizeof(XML) - 1, 0 },
	};
	batch_archive_limits l;
	struct seen s;
	char why[256];
	int targz;

	(void)state;
	for (targz = 0; targz < 2; targz++) {
		l = limits(targz);
		write_archive(targz, e, 3);
		assert_int_equal(batch_archive_check(path, &l, why,
						     sizeof(why)), 0);
		memset(&s, 0, sizeof(s));
		assert_int_equal(batch_archive_each(path, &l, take, &s, why,
						    sizeof(why)), 0);
		assert_int_equal(s.n, 2);
		assert_string_equal(s.names[0], "dir/a.xml");
		assert_string_equal(s.names[1], "b.XML");
		/* Read as the other kind, it is not one. */
		assert_int_equal(check(!targz, why, sizeof(why)),
				 BATCH_ARCHIVE_NOT_ARCHIVE);
	}
}

static void a_bomb_is_refused_by_its_ratio_and_its_total(void **state)
{
	size_t big = 3u << 20;
	char *zeros = malloc(big), why[256];
	struct entry e[6];
	batch_archive_limits l = limits(0);
	int i;

	(void)state;
	memset(zeros, ' ', big);
	e[0] = (struct entry){ "bomb.xml", zeros, big, 0 };
	write_archive(0, e, 1);
	assert_int_equal(check(0, why, sizeof(why)), BATCH_ARCHIVE_HOSTILE);
	assert_non_null(strstr(why, "kompresji"));
	/* With no ratio limit, the total still holds. */
	for (i = 0; i < 6; i++) {
		static char names[6][16];

		snprintf(names[i], sizeof(names[i]), "p%d.xml", i);
		e[i] = (struct entry){ names[i], zeros, big, 0 };
	}
	write_archive(0, e, 6);
	l.max_ratio = 1000000;
	assert_int_equal(batch_archive_check(path, &l, why, sizeof(why)),
			 BATCH_ARCHIVE_HOSTILE);
	assert_non_null(strstr(why, "rozpakowaniu"));
	/* ... and so does one entry's size. */
	l.max_entry_bytes = big - 1;
	l.max_total_bytes = (uint64_t)1 << 40;
	assert_int_equal(batch_archive_check(path, &l, why, sizeof(why)),
			 BATCH_ARCHIVE_HOSTILE);
	assert_non_null(strstr(why, "rozmiar faktury"));
	free(zeros);
}

static void names_types_and_nesting_are_checked(void **state)
{
	static const char *const bad_names[] = {
		"../a.xml", "a/../../b.xml", "/abs.xml", "c:\\a.xml",
		"a\\b.xml", "noext", "a.txt", "a//b.xml",
	};
	struct entry e[2];
	char why[256];
	ksef_buf inner = KSEF_BUF_INIT;
	size_t i;

	(void)state;
	e[0] = (struct entry){ "ok.xml", XML, sizeof(XML) - 1, 0 };
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		assert_false(batch_archive_name_ok(bad_names[i]));
		/* libarchive reads a backslash of a ZIP name as a folder
		 * separator, so such a name comes out harmless. */
		if (strcmp(bad_names[i], "a\\b.xml") == 0)
			continue;
		e[1] = (struct entry){ bad_names[i], XML, sizeof(XML) - 1, 0 };
		write_archive(0, e, 2);
		assert_int_equal(check(0, why, sizeof(why)),
				 BATCH_ARCHIVE_HOSTILE);
	}
	assert_true(batch_archive_name_ok("a/b/c.xml"));
	/* A repeated name, even far apart. */
	e[1] = e[0];
	write_archive(0, e, 2);
	assert_int_equal(check(0, why, sizeof(why)), BATCH_ARCHIVE_HOSTILE);
	assert_non_null(strstr(why, "powtarza"));
	/* A link. */
	e[1] = (struct entry){ "link.xml", NULL, 0, 1 };
	write_archive(0, e, 2);
	assert_int_equal(check(0, why, sizeof(why)), BATCH_ARCHIVE_HOSTILE);
	/* An archive inside, by its name and by its bytes. */
	write_archive(0, e, 1);
	ts_read_file(&inner, path);
	e[1] = (struct entry){ "inner.zip", (const char *)inner.ptr,
			       inner.size, 0 };
	write_archive(0, e, 2);
	assert_int_equal(check(0, why, sizeof(why)), BATCH_ARCHIVE_HOSTILE);
	e[1].name = "inner.xml";
	write_archive(0, e, 2);
	assert_int_equal(check(0, why, sizeof(why)), BATCH_ARCHIVE_HOSTILE);
	assert_non_null(strstr(why, "archiwum"));
	ksef_buf_dispose(&inner);
}

static void counts_and_broken_files_are_told_apart(void **state)
{
	struct entry e[11];
	static char names[11][16];
	char why[256];
	ksef_buf zip = KSEF_BUF_INIT;
	FILE *fp;
	int i;

	(void)state;
	for (i = 0; i < 11; i++) {
		snprintf(names[i], sizeof(names[i]), "f%d.xml", i);
		e[i] = (struct entry){ names[i], XML, sizeof(XML) - 1, 0 };
	}
	write_archive(0, e, 11);
	assert_int_equal(check(0, why, sizeof(why)), BATCH_ARCHIVE_TOO_MANY);
	write_archive(0, e, 10);
	assert_int_equal(check(0, why, sizeof(why)), 0);
	/* Only a folder: no invoice. */
	e[0] = (struct entry){ "d", NULL, 0, 2 };
	write_archive(0, e, 1);
	assert_int_equal(check(0, why, sizeof(why)), BATCH_ARCHIVE_EMPTY);
	/* Not an archive. */
	fp = fopen(path, "wb");
	fputs("this is no zip at all, just text", fp);
	fclose(fp);
	assert_int_equal(check(0, why, sizeof(why)),
			 BATCH_ARCHIVE_NOT_ARCHIVE);
	/* A ZIP cut short is not readable whole. */
	e[0] = (struct entry){ "a.xml", XML, sizeof(XML) - 1, 0 };
	write_archive(0, e, 2);
	ts_read_file(&zip, path);
	fp = fopen(path, "wb");
	fwrite(zip.ptr, 1, zip.size / 2, fp);
	fclose(fp);
	assert_true(check(0, why, sizeof(why)) < 0);
	ksef_buf_dispose(&zip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_packages_hand_over_their_invoices),
		cmocka_unit_test(a_bomb_is_refused_by_its_ratio_and_its_total),
		cmocka_unit_test(names_types_and_nesting_are_checked),
		cmocka_unit_test(counts_and_broken_files_are_told_apart),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
