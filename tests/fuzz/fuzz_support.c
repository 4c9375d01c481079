/*
 * fuzz_support.c - the helpers of fuzz_support.h. Nothing here may hide a
 * bug from a target: a failure of the harness itself abort()s, so it shows
 * as a crash instead of an input that silently did nothing.
 */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ksef/ksef.h"
#include "fuzz_support.h"

void fuzz_global_init(void)
{
	static int done;

	if (!done) {
		if (ksef_global_init() != 0)
			abort();
		done = 1;
	}
}

static char scratch[4096];

static int remove_one(const char *path, const struct stat *sb, int flag,
		      struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_scratch(void)
{
	if (scratch[0] != '\0')
		nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_scratch_dir(void)
{
	const char *base = getenv("KSEF_FUZZ_TMPDIR");

	if (scratch[0] != '\0')
		return scratch;
	if (base == NULL || *base == '\0')
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL;
	if (base == NULL || *base == '\0')
		base = getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(scratch, sizeof(scratch), "%s/ksef-fuzz-XXXXXX", base);
	if (mkdtemp(scratch) == NULL) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(remove_scratch);
	return scratch;
}

void fuzz_write_file(const char *path, const void *data, size_t len,
		     unsigned mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      (mode_t)mode);
	const char *p = data;

	if (fd < 0) {
		perror(path);
		abort();
	}
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w <= 0) {
			perror(path);
			abort();
		}
		p += w;
		len -= (size_t)w;
	}
	close(fd);
}

const uint8_t *fuzz_take(struct fuzz_in *in, uint8_t sep, size_t *len)
{
	const uint8_t *start = in->p;
	const uint8_t *end = in->n > 0 ? memchr(in->p, sep, in->n) : NULL;

	if (end == NULL) {
		*len = in->n;
		in->p += in->n;
		in->n = 0;
	} else {
		*len = (size_t)(end - start);
		in->p = end + 1;
		in->n -= *len + 1;
	}
	return start;
}

uint8_t fuzz_byte(struct fuzz_in *in)
{
	uint8_t b;

	if (in->n == 0)
		return 0;
	b = in->p[0];
	in->p++;
	in->n--;
	return b;
}

char *fuzz_strndup(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}
