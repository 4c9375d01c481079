/*
 * util.c - small helpers shared by the programs (see util.h) that the
 * library has no reason to export. What the library already does (setting
 * a ksef_error, bounded buffer growth) programs take from its public API,
 * ksef_error_set() and ksef_buf_append(), never from a copy here.
 */
#include <errno.h>
#include <stdlib.h>
#include "util.h"

int util_parse_i64(int64_t *out, const char *s, int64_t min, int64_t max)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int util_all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}
