/*
 * fault_alloc.c - see fault_alloc.h. glibc supports replacing malloc by
 * defining it in the program: every library, and glibc's own strdup and
 * fopen, then calls these. Every replacement hands the block to glibc's
 * allocator, so a block from one entry point may be freed by any other,
 * and posix_memalign's blocks are counted like malloc's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the prototypes of reallocarray and memalign */
#endif
#include <errno.h>
#include <execinfo.h>
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unwind.h>
#include "fault_alloc.h"

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);
void *__libc_memalign(size_t align, size_t size);

/* The build hides symbols by default; these must be seen by every shared
 * library, so that their calls come here and not to glibc. */
#define FA_EXPORT __attribute__((visibility("default")))

/* Atomics, since libcurl and OpenSSL may allocate on threads of their
 * own; relaxed, since only the counts matter. */
static long live;
static long calls;
static long fail_at;
static int armed;
static int failed;
static long spared;
static const struct fa_rule *spare_rules;
static size_t spare_n;
static _Thread_local int in_check;

/* fa_trace(): the blocks allocated since fa_arm() and not yet freed. */
#define TRACE_MAX 16384
#define TRACE_DEPTH 12
static struct traced {
	void *p;
	int depth;
	void *frame[TRACE_DEPTH];
} traced[TRACE_MAX];
static int tracing;
static pthread_mutex_t trace_mu = PTHREAD_MUTEX_INITIALIZER;

static void trace_add(void *p)
{
	int i;

	if (p == NULL || !tracing || in_check)
		return;
	pthread_mutex_lock(&trace_mu);
	for (i = 0; i < TRACE_MAX && traced[i].p != NULL; i++)
		;
	if (i < TRACE_MAX) {
		in_check = 1;
		traced[i].p = p;
		traced[i].depth = backtrace(traced[i].frame, TRACE_DEPTH);
		in_check = 0;
	}
	pthread_mutex_unlock(&trace_mu);
}

static void trace_remove(void *p)
{
	int i;

	if (!tracing)
		return;
	pthread_mutex_lock(&trace_mu);
	for (i = 0; i < TRACE_MAX; i++)
		if (traced[i].p == p) {
			traced[i].p = NULL;
			break;
		}
	pthread_mutex_unlock(&trace_mu);
}

void fa_trace(int on)
{
	tracing = on;
}

void fa_trace_dump(void)
{
	int i;

	for (i = 0; i < TRACE_MAX; i++)
		if (traced[i].p != NULL) {
			fprintf(stderr, "block %p made at:\n", traced[i].p);
			backtrace_symbols_fd(traced[i].frame, traced[i].depth,
					     2);
		}
}

long fa_live(void)
{
	return __atomic_load_n(&live, __ATOMIC_SEQ_CST);
}

void fa_spare(const struct fa_rule *rules, size_t n)
{
	void *frame[1];

	/* The first backtrace() loads the unwinder, which allocates: not
	 * while armed. */
	(void)backtrace(frame, 1);
	spare_rules = rules;
	spare_n = n;
}

long fa_spared(void)
{
	return __atomic_load_n(&spared, __ATOMIC_SEQ_CST);
}

void fa_arm(long nth)
{
	if (tracing)
		memset(traced, 0, sizeof(traced));
	__atomic_store_n(&spared, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&calls, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&failed, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&fail_at, nth, __ATOMIC_SEQ_CST);
	__atomic_store_n(&armed, 1, __ATOMIC_SEQ_CST);
}

long fa_disarm(void)
{
	__atomic_store_n(&armed, 0, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&calls, __ATOMIC_SEQ_CST);
}

int fa_failed(void)
{
	return __atomic_load_n(&failed, __ATOMIC_SEQ_CST);
}

/* The start of the function holding pc, from the unwind tables, which
 * know static functions too. Their lookup is slow, and the same return
 * addresses come back run after run. One thread looks (the one whose
 * allocation is to fail, with the test's other threads idle). */
static void *enclosing(void *pc)
{
	static struct {
		void *pc, *fn;
	} cache[4096];
	size_t k = ((uintptr_t)pc >> 2) % (sizeof(cache) / sizeof(cache[0]));

	if (cache[k].pc != pc) {
		cache[k].fn = _Unwind_FindEnclosingFunction((char *)pc - 1);
		cache[k].pc = pc;
	}
	return cache[k].fn;
}

/* Whether a function of the list (FA_RULE_FNS places, NULL for none) is
 * on the stack. */
static int running(void *const *frame, int n, void *const *list)
{
	int i, j;

	for (i = 0; i < n; i++) {
		void *fn = enclosing(frame[i]);

		for (j = 0; fn != NULL && j < FA_RULE_FNS; j++)
			if (list[j] != NULL && fn == list[j])
				return 1;
	}
	return 0;
}

static int in_spared_function(void)
{
	void *frame[64];
	size_t r;
	int n;

	if (spare_n == 0)
		return 0;
	n = backtrace(frame, 64);
	for (r = 0; r < spare_n; r++) {
		const struct fa_rule *u = &spare_rules[r];

		if (running(frame, n, u->in) &&
		    (u->with[0] == NULL || running(frame, n, u->with)) &&
		    !running(frame, n, u->unless))
			return 1;
	}
	return 0;
}

/* Whether this allocation is the one to fail. */
static int fail_now(void)
{
	long n;
	int spare;

	if (!__atomic_load_n(&armed, __ATOMIC_RELAXED) || in_check)
		return 0;
	n = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	if (n != __atomic_load_n(&fail_at, __ATOMIC_RELAXED))
		return 0;
	in_check = 1;
	spare = in_spared_function();
	in_check = 0;
	if (spare) {
		/* The next allocation fails instead. */
		__atomic_add_fetch(&fail_at, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&spared, 1, __ATOMIC_RELAXED);
		return 0;
	}
	__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
	errno = ENOMEM;
	return 1;
}

static void *counted(void *p)
{
	if (p != NULL) {
		__atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
		if (__atomic_load_n(&armed, __ATOMIC_RELAXED))
			trace_add(p);
	}
	return p;
}

FA_EXPORT void *malloc(size_t size)
{
	return fail_now() ? NULL : counted(__libc_malloc(size));
}

FA_EXPORT void *calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : counted(__libc_calloc(n, size));
}

FA_EXPORT void free(void *p)
{
	if (p == NULL)
		return;
	__atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
	trace_remove(p);
	__libc_free(p);
}

FA_EXPORT void *realloc(void *p, size_t size)
{
	void *q;

	if (p == NULL)
		return malloc(size);
	if (size == 0) {
		/* glibc frees the block and returns NULL. */
		free(p);
		return NULL;
	}
	/* A failed realloc leaves p as it was. */
	if (fail_now())
		return NULL;
	if ((q = __libc_realloc(p, size)) != NULL && q != p) {
		trace_remove(p);
		if (__atomic_load_n(&armed, __ATOMIC_RELAXED))
			trace_add(q);
	}
	return q;
}

FA_EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, total);
}

FA_EXPORT void *memalign(size_t align, size_t size)
{
	return fail_now() ? NULL : counted(__libc_memalign(align, size));
}

FA_EXPORT void *aligned_alloc(size_t align, size_t size)
{
	return memalign(align, size);
}

FA_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	if ((p = memalign(align, size)) == NULL)
		return ENOMEM;
	*out = p;
	return 0;
}

FA_EXPORT void *valloc(size_t size)
{
	return memalign(4096, size);
}
