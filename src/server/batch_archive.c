/*
 * batch_archive.c - owns the reading of batch packages (batch_archive.h).
 * libarchive does every decompression; this file decides what a package
 * may hold. A package is walked twice: first to check all of it, keeping
 * only names (so a bad entry at its end refuses it before any invoice is
 * stored), then to hand each invoice on. Both walks count the bytes they
 * decompress against the limits, so neither can be made to run away.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <archive.h>
#include <archive_entry.h>
#include "ksef/ksef.h"
#include "batch_archive.h"

/* libarchive's read size: the ratio is measured in steps of it. */
#define BLOCK_BYTES 65536
/* What a tiny package may decompress to before its ratio is held
 * against it: a few invoices compress far better than large ones. */
#define RATIO_SLACK_BYTES (1024 * 1024)

/* Suffixes and leading bytes of archives, which a package may not hold. */
static const char *const nested_suffixes[] = {
	".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz", ".zst",
	".cab", ".jar",
};

int batch_archive_name_ok(const char *name)
{
	size_t n = strlen(name), i;
	const char *seg;

	if (n == 0 || n >= 256 || name[0] == '/' || n < 5 ||
	    strcasecmp(name + n - 4, ".xml") != 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f || c == '\\' || c == ':')
			return 0;
	}
	for (seg = name; seg != NULL; seg = strchr(seg, '/')) {
		if (*seg == '/')
			seg++;
		if (strncmp(seg, "..", 2) == 0 &&
		    (seg[2] == '/' || seg[2] == '\0'))
			return 0;
		if (*seg == '/' || *seg == '\0')
			return 0; /* "a//b" or a trailing slash */
	}
	return 1;
}

static int nested_name(const char *name)
{
	size_t n = strlen(name), i, k;

	for (i = 0; i < sizeof(nested_suffixes) / sizeof(nested_suffixes[0]);
	     i++) {
		k = strlen(nested_suffixes[i]);
		if (n >= k && strcasecmp(name + n - k, nested_suffixes[i]) == 0)
			return 1;
	}
	return 0;
}

static int nested_data(const unsigned char *p, size_t n)
{
	return (n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0) ||
	       (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) ||
	       (n >= 6 && memcmp(p, "7z\xbc\xaf\x27\x1c", 6) == 0) ||
	       (n >= 4 && memcmp(p, "Rar!", 4) == 0) ||
	       (n >= 3 && memcmp(p, "BZh", 3) == 0) ||
	       (n >= 6 && memcmp(p, "\xfd" "7zXZ\x00", 6) == 0);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct walk {
	const batch_archive_limits *lim;
	char *why;
	size_t why_size;
	batch_entry_fn *fn;
	void *arg;
	char **names;
	size_t nnames;
	uint64_t total;
};

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(struct walk *w, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, w->why_size, fmt, ap);
	va_end(ap);
	return rc;
}

/* One entry's bytes: counted against the limits as they come, kept in
 * out only when out is not NULL. */
static int read_entry(struct walk *w, struct archive *a, const char *name,
		      ksef_buf *out)
{
	unsigned char block[BLOCK_BYTES];
	uint64_t size = 0;
	la_ssize_t r;

	for (;;) {
		r = archive_read_data(a, block, sizeof(block));
		if (r == 0)
			break;
		if (r < 0)
			return fail(w, BATCH_ARCHIVE_CORRUPT, "Nie udało się "
				"zdekompresować pliku '%s' paczki.", name);
		if (size == 0 && nested_data(block, (size_t)r))
			return fail(w, BATCH_ARCHIVE_HOSTILE, "Plik '%s' "
				"paczki jest archiwum.", name);
		size += (uint64_t)r;
		w->total += (uint64_t)r;
		if (size > w->lim->max_entry_bytes)
			return fail(w, BATCH_ARCHIVE_HOSTILE, "Plik '%s' "
				"paczki przekracza dozwolony rozmiar faktury.",
				name);
		if (w->total > w->lim->max_total_bytes)
			return fail(w, BATCH_ARCHIVE_HOSTILE, "Rozmiar plików "
				"paczki po rozpakowaniu przekracza limit.");
		if (w->total > RATIO_SLACK_BYTES &&
		    w->total / (uint64_t)w->lim->max_ratio >
		    (uint64_t)archive_filter_bytes(a, -1))
			return fail(w, BATCH_ARCHIVE_HOSTILE, "Stopień "
				"kompresji paczki przekracza limit.");
		if (out != NULL &&
		    ksef_buf_append(out, block, (size_t)r,
				    w->lim->max_entry_bytes) != 0)
			return fail(w, BATCH_ARCHIVE_IO, "Brak pamięci.");
	}
	return BATCH_ARCHIVE_OK;
}

static int one_entry(struct walk *w, struct archive *a,
		     struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	ksef_buf data = KSEF_BUF_INIT;
	char **grown;
	int rc;

	if (name == NULL)
		return fail(w, BATCH_ARCHIVE_HOSTILE, "Plik paczki bez "
			"nazwy.");
	if (archive_entry_filetype(e) == AE_IFDIR)
		return BATCH_ARCHIVE_OK;
	if (archive_entry_filetype(e) != AE_IFREG ||
	    archive_entry_hardlink(e) != NULL ||
	    archive_entry_symlink(e) != NULL)
		return fail(w, BATCH_ARCHIVE_HOSTILE, "Element '%.200s' "
			"paczki nie jest zwykłym plikiem.", name);
	if (archive_entry_is_encrypted(e))
		return fail(w, BATCH_ARCHIVE_HOSTILE, "Plik '%.200s' paczki "
			"jest zaszyfrowany.", name);
	if (nested_name(name))
		return fail(w, BATCH_ARCHIVE_HOSTILE, "Plik '%.200s' paczki "
			"jest archiwum.", name);
	if (!batch_archive_name_ok(name))
		return fail(w, BATCH_ARCHIVE_HOSTILE, "Niedozwolona nazwa "
			"pliku paczki: '%.200s'.", name);
	if (w->nnames >= w->lim->max_entries)
		return fail(w, BATCH_ARCHIVE_TOO_MANY, "Paczka zawiera więcej "
			"faktur niż dozwolony limit.");
	if (w->fn == NULL) {
		if ((w->nnames & (w->nnames - 1)) == 0) {
			grown = realloc(w->names, (w->nnames ? w->nnames * 2 :
					1) * sizeof(*grown));
			if (grown == NULL)
				return fail(w, BATCH_ARCHIVE_IO,
					    "Brak pamięci.");
			w->names = grown;
		}
		if ((w->names[w->nnames] = strdup(name)) == NULL)
			return fail(w, BATCH_ARCHIVE_IO, "Brak pamięci.");
		w->nnames++;
		return read_entry(w, a, name, NULL);
	}
	w->nnames++;
	if ((rc = read_entry(w, a, name, &data)) == BATCH_ARCHIVE_OK &&
	    w->fn(w->arg, name, data.ptr, data.size) != 0)
		rc = BATCH_ARCHIVE_IO;
	ksef_buf_dispose_secure(&data);
	return rc;
}

static int walk(const char *path, struct walk *w)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t i;
	int r, rc = BATCH_ARCHIVE_OK;

	w->why[0] = '\0';
	if (a == NULL)
		return fail(w, BATCH_ARCHIVE_IO, "Brak pamięci.");
	if (w->lim->targz) {
		archive_read_support_filter_gzip(a);
		archive_read_support_format_tar(a);
	} else {
		archive_read_support_format_zip(a);
	}
	if (archive_read_open_filename(a, path, BLOCK_BYTES) != ARCHIVE_OK) {
		rc = fail(w, BATCH_ARCHIVE_NOT_ARCHIVE, "Paczka nie jest "
			  "archiwum %s.", w->lim->targz ? "TarGz" : "ZIP");
		goto out;
	}
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = fail(w, w->nnames == 0 ?
				  BATCH_ARCHIVE_NOT_ARCHIVE :
				  BATCH_ARCHIVE_CORRUPT, "Paczka nie jest "
				  "poprawnym archiwum %s.",
				  w->lim->targz ? "TarGz" : "ZIP");
			goto out;
		}
		/* A tar.gz must really be gzip'd, as the session said. */
		if (w->lim->targz && archive_filter_count(a) < 2) {
			rc = fail(w, BATCH_ARCHIVE_NOT_ARCHIVE, "Paczka nie "
				  "jest archiwum TarGz.");
			goto out;
		}
		if ((rc = one_entry(w, a, e)) != BATCH_ARCHIVE_OK)
			goto out;
	}
	if (w->nnames == 0) {
		rc = fail(w, BATCH_ARCHIVE_EMPTY, "Brak faktur w paczce.");
		goto out;
	}
	if (w->fn == NULL) {
		qsort(w->names, w->nnames, sizeof(*w->names), cmp_names);
		for (i = 1; i < w->nnames; i++)
			if (strcmp(w->names[i - 1], w->names[i]) == 0) {
				rc = fail(w, BATCH_ARCHIVE_HOSTILE, "Nazwa "
					  "pliku '%.200s' powtarza się w "
					  "paczce.", w->names[i]);
				goto out;
			}
	}
out:
	archive_read_free(a);
	for (i = 0; w->names != NULL && i < w->nnames; i++)
		free(w->names[i]);
	free(w->names);
	w->names = NULL;
	return rc;
}

int batch_archive_check(const char *path, const batch_archive_limits *lim,
			char *why, size_t why_size)
{
	struct walk w = { lim, why, why_size, NULL, NULL, NULL, 0, 0 };

	return walk(path, &w);
}

int batch_archive_each(const char *path, const batch_archive_limits *lim,
		       batch_entry_fn *fn, void *arg, char *why,
		       size_t why_size)
{
	struct walk w = { lim, why, why_size, fn, arg, NULL, 0, 0 };

	return walk(path, &w);
}
