/*
 * options.h - reading an options struct from a caller built against any
 * version of the headers from 1 to the library's own (STYLE: "the library
 * accepts every version from 1 to the current one", as libgit2's
 * GIT_ERROR_CHECK_VERSION does).
 *
 * Every public options struct starts with `int version`, and a field is
 * only ever added at its end together with a new *_VERSION. A caller built
 * against version N allocated only the fields of version N, so the
 * library may read no further: it copies the caller's bytes into a struct
 * of its own, filled beforehand with the defaults of the current version,
 * and then reads only that copy.
 */
#ifndef KSEF_OPTIONS_H
#define KSEF_OPTIONS_H

#include <stddef.h>
#include "ksef/error.h"

/*
 * The bytes version N of an options struct has: up to the end of its
 * last member. Not sizeof of that version: a member a later version adds
 * may lie in the older version's trailing padding, which the caller never
 * wrote.
 */
#define KSEF__OPTIONS_END(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

/*
 * Copy a caller's options struct into dst.
 *
 * @param dst              the library's own struct of the current
 *                         version, holding the defaults; on success the
 *                         caller's fields overwrite those its version
 *                         has, the rest keep their defaults, and its
 *                         version becomes current_version. Unchanged on
 *                         failure.
 * @param dst_size         sizeof(*dst).
 * @param src              the caller's struct; only its first
 *                         size_by_version[src->version - 1] bytes are
 *                         read.
 * @param size_by_version  current_version entries: entry N - 1 is the
 *                         KSEF__OPTIONS_END() of version N.
 * @param current_version  the library's version of the struct, at least 1.
 * @param what             the struct's name, for the message.
 * @param err              receives the reason on failure; may be NULL.
 * @return 0, or KSEF_EINVAL for a NULL src or a version that is 0,
 *         negative or newer than current_version (the message names the
 *         struct and both versions).
 */
int ksef__options_copy(void *dst, size_t dst_size, const void *src,
		       const size_t *size_by_version, int current_version,
		       const char *what, ksef_error *err);

/* A size_by_version table must have one entry per version. */
#define KSEF__OPTIONS_SIZES(sizes, current)                                 \
	_Static_assert(sizeof(sizes) / sizeof((sizes)[0]) == (current),     \
		       #sizes " has one entry per version")

/* ksef__options_copy() into a typed dst, whose size is known. */
#define KSEF__OPTIONS_COPY(dst, src, sizes, current, what, err)            \
	ksef__options_copy((dst), sizeof(*(dst)), (src), (sizes), (current), \
			   (what), (err))

#endif
