/*
 * options.c - the one reader of a caller's options struct version: every
 * *_OPTIONS_VERSION struct of the public headers passes through
 * ksef__options_copy() before the library reads a field of it, so that a
 * caller built against an older version is read only as far as its
 * version goes (see options.h). What the fields mean, and their ranges,
 * remain the business of the module that takes the struct.
 */
#include <string.h>
#include "internal.h"
#include "options.h"

int ksef__options_copy(void *dst, size_t dst_size, const void *src,
		       const size_t *size_by_version, int current_version,
		       const char *what, ksef_error *err)
{
	size_t n;
	int version;

	if (src == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "%s is NULL", what);
	/* Read as bytes: a caller's struct of any version has its int
	 * version first, and nothing else is known about it yet. */
	memcpy(&version, src, sizeof(version));
	if (version < 1 || version > current_version)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s version %d is not supported: this library takes "
			"versions 1 to %d", what, version, current_version);
	n = size_by_version[version - 1];
	/* Our own table is wrong: refuse rather than overrun dst. */
	if (n < sizeof(int) || n > dst_size)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s version %d has a size of %zu bytes, not %zu to %zu",
			what, version, n, sizeof(int), dst_size);
	memcpy(dst, src, n);
	memcpy(dst, &current_version, sizeof(current_version));
	return 0;
}
