/*
 * testsupport.c - file and process helpers for the unit tests, and the
 * check that the official schemas are there. Test code only: failures end
 * the test through cmocka's fail_msg.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "ksef/invoice.h"
#include "testsupport.h"

const char *ts_shared_path(const char *rel)
{
	static char path[4096];
	const char *dir = getenv("KSEF_SHARED_DIR");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "../shared", rel);
	return path;
}

const char *ts_schema_dir(void)
{
	const char *dir = getenv("KSEF_SCHEMA_DIR");

	if (dir == NULL)
		fail_msg("KSEF_SCHEMA_DIR is not set; run the tests with ctest");
	return dir;
}

/* Each form's schema file is in dir (the bazowe/ imports are found, or
 * not, when a schema compiles; a folder with the main files is one that
 * scripts/fetch-schemas.sh filled). */
static int schemas_in(const char *dir)
{
	char path[4096];
	struct stat st;

	if (dir == NULL || *dir == '\0')
		return 0;
	for (int f = 0; f < KSEF_FORM_COUNT; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
			 ksef_form_schema_file((ksef_form)f));
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			return 0;
	}
	return 1;
}

int ts_schemas_missing(void)
{
	const char *dir = getenv("KSEF_SCHEMA_DIR");

	if (schemas_in(dir))
		return 0;
	printf("skipped: the official schemas are not in %s; run "
	       "scripts/fetch-schemas.sh\n",
	       dir && *dir ? dir : "$KSEF_SCHEMA_DIR (unset)");
	fflush(stdout);
	return 1;
}

const char *ts_schema_dir_or_skip(void)
{
	if (ts_schemas_missing())
		skip();
	return getenv("KSEF_SCHEMA_DIR");
}

void ts_read_file(ksef_buf *out, const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	ksef_buf_dispose(out);
	out->ptr = malloc((size_t)n + 1);
	assert_non_null(out->ptr);
	if (fread(out->ptr, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read %s", path);
	out->ptr[n] = '\0';
	out->size = (size_t)n;
	out->asize = (size_t)n + 1;
	fclose(f);
}

void ts_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		fail_msg("cannot create %s", path);
	if (len > 0 && fwrite(data, 1, len, f) != len)
		fail_msg("cannot write %s", path);
	fclose(f);
}

char *ts_mkdtemp(void)
{
	char *dir = strdup("/tmp/ksef-test-XXXXXX");

	assert_non_null(dir);
	if (mkdtemp(dir) == NULL)
		fail_msg("mkdtemp failed");
	return dir;
}

void ts_rmdir(char *dir)
{
	if (dir != NULL)
		ts_system("rm -rf '%s'", dir);
	free(dir);
}

int ts_system(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

void ts_replace(ksef_buf *buf, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	const char *p, *s = (const char *)buf->ptr;
	char *out, *o;

	for (p = strstr(s, from); p; p = strstr(p + fl, from))
		n++;
	if (n == 0)
		return;
	out = malloc(buf->size + n * tl + 1);
	assert_non_null(out);
	o = out;
	while ((p = strstr(s, from)) != NULL) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		memcpy(o, to, tl);
		o += tl;
		s = p + fl;
	}
	strcpy(o, s);
	o += strlen(s);
	free(buf->ptr);
	buf->ptr = (unsigned char *)out;
	buf->size = (size_t)(o - out);
	buf->asize = buf->size + 1;
}
