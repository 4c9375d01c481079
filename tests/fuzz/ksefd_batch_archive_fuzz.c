/*
 * ksefd_batch_archive_fuzz.c - a hostile batch package against ksefd's
 * reader (batch_archive.c): the bytes a client put as its package, read by
 * libarchive as a ZIP or a TarGz and held to the checks against zip bombs,
 * names that leave the package or repeat, links and other non-files,
 * archives within it and too many entries.
 *
 * Byte 0 of an input picks how it is read: bit 0 TarGz (else ZIP), bits 1
 * and 2 one of four sets of limits (small ones, so that a bomb is caught
 * in a few megabytes), bits 3 to 7 the entry at which the walk's callback
 * stops it (31: never). The rest is the package, written to a scratch file
 * as batch.c reads it.
 *
 * Checked: the result is one of batch_archive.h's, with a reason exactly
 * when it is not BATCH_ARCHIVE_OK; a package the check passed is walked to
 * the end by batch_archive_each() (or stopped where the callback said,
 * with BATCH_ARCHIVE_IO), and every entry the walk hands on has a name
 * batch_archive_name_ok() takes, seen once, and bytes within the limits.
 * With KSEF_FUZZ_VERBOSE set, each verdict goes to standard error, to
 * check a seed by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "batch_archive.h"
#include "fuzz_support.h"

#define NEVER_STOP 31u

static const batch_archive_limits limit_sets[4] = {
	{ 0, 3, 4096, 8192, 10 },
	{ 0, 100, 64 * 1024, 256 * 1024, 50 },
	{ 0, 10000, 1024 * 1024, 2 * 1024 * 1024, 200 },
	{ 0, 2, 2 * 1024 * 1024, 3 * 1024 * 1024, 1000 },
};

struct seen {
	const batch_archive_limits *lim;
	unsigned stop_at;
	size_t n;
	unsigned long long total;
	char **names;
};

static int entry(void *arg, const char *name, const unsigned char *data,
		 size_t len)
{
	struct seen *s = arg;
	size_t i;

	if (name == NULL || !batch_archive_name_ok(name) ||
	    (data == NULL && len > 0) || len > s->lim->max_entry_bytes ||
	    s->n >= s->lim->max_entries) {
		fprintf(stderr, "batch_archive_each: entry %zu '%s' (%zu "
			"bytes) should have been refused\n", s->n,
			name ? name : "(null)", len);
		abort();
	}
	s->total += len;
	if (s->total > s->lim->max_total_bytes)
		abort();
	for (i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0) {
			fprintf(stderr, "batch_archive_each: '%s' twice\n",
				name);
			abort();
		}
	s->names[s->n] = strdup(name);
	if (s->names[s->n] == NULL)
		abort();
	return s->n++ == s->stop_at;
}

/* A walk the callback stopped has no reason of its own to give. */
static void check_result(int rc, const char *why, size_t why_size,
			 int stopped)
{
	if (rc > BATCH_ARCHIVE_OK || rc < BATCH_ARCHIVE_IO ||
	    memchr(why, '\0', why_size) == NULL ||
	    (!stopped && (rc == BATCH_ARCHIVE_OK) != (why[0] == '\0'))) {
		fprintf(stderr, "batch_archive: result %d, reason '%.*s'\n",
			rc, (int)why_size, why);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[4200];
	struct fuzz_in in = { data, size };
	batch_archive_limits lim;
	struct seen s;
	char why[512];
	unsigned first;
	size_t i;
	int rc, stopped;

	if (path[0] == '\0') {
		fuzz_global_init();
		snprintf(path, sizeof(path), "%s/package", fuzz_scratch_dir());
	}
	first = fuzz_byte(&in);
	lim = limit_sets[(first >> 1) & 3];
	lim.targz = first & 1;
	fuzz_write_file(path, in.p, in.n, 0600);

	memset(why, 'x', sizeof(why));
	rc = batch_archive_check(path, &lim, why, sizeof(why));
	check_result(rc, why, sizeof(why), 0);
	if (getenv("KSEF_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "%s, limits %u: %d %s\n",
			lim.targz ? "TarGz" : "ZIP", (first >> 1) & 3, rc, why);
	if (rc != BATCH_ARCHIVE_OK)
		return 0;

	memset(&s, 0, sizeof(s));
	s.lim = &lim;
	s.stop_at = first >> 3;
	s.names = calloc(lim.max_entries, sizeof(*s.names));
	if (s.names == NULL)
		abort();
	memset(why, 'x', sizeof(why));
	rc = batch_archive_each(path, &lim, entry, &s, why, sizeof(why));
	stopped = s.stop_at != NEVER_STOP && s.n == s.stop_at + 1;
	check_result(rc, why, sizeof(why), stopped);
	/* The same file, so the same verdict: only the callback stops it. */
	if (stopped) {
		if (rc != BATCH_ARCHIVE_IO)
			abort();
	} else if (rc != BATCH_ARCHIVE_OK || s.n == 0) {
		fprintf(stderr, "batch_archive_each: %d after %zu entries of "
			"a package the check passed: %s\n", rc, s.n, why);
		abort();
	}
	if (getenv("KSEF_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "  walked %zu entries: %d\n", s.n, rc);
	for (i = 0; i < s.n; i++)
		free(s.names[i]);
	free(s.names);
	return 0;
}
