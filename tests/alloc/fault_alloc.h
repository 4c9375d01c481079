/*
 * fault_alloc.h - a test allocator that fails the nth allocation, as
 * SQLite's fault injector and curl's torture mode do. The program that
 * links fault_alloc.c replaces malloc, calloc, realloc, free and the
 * aligned allocators for the whole process, so that libxml2, OpenSSL,
 * xmlsec, jansson and libcurl allocate through it too; each hands the call
 * on to glibc (__libc_malloc and friends).
 *
 * Blocks are counted all the time; failures happen only while armed, so
 * cmocka and the test's own set-up never see one. Not for a sanitizer
 * build, whose allocator this one would displace, nor under valgrind,
 * which replaces these functions in turn, so that nothing is counted.
 */
#ifndef KSEF_FAULT_ALLOC_H
#define KSEF_FAULT_ALLOC_H

#include <stddef.h>

/* Blocks allocated and not yet freed in the whole process. */
long fa_live(void);

/* Count the allocations from now on, and fail the nth of them (1 is the
 * first) once, with errno ENOMEM; 0 fails none, only counts. */
void fa_arm(long nth);

/* Stop counting and failing. Returns the number of allocations made since
 * fa_arm() (the failed one included). */
long fa_disarm(void);

/* Whether the allocation fa_arm() named was reached and failed. */
int fa_failed(void);

/*
 * Allocations never to fail, each for a dependency's known bug that would
 * crash the program or leak whatever libksef did: one made while one of
 * the functions `in` runs (is on the stack) and, if `with` names any, one
 * of those too, and none of `unless`. The allocation after it fails
 * instead. Functions are given by address (dlsym() for a shared
 * library's, &f for the program's own); unused places are NULL.
 */
#define FA_RULE_FNS 4
struct fa_rule {
	void *in[FA_RULE_FNS];
	void *with[FA_RULE_FNS];
	void *unless[FA_RULE_FNS];
};

/* The rules (n of them) must outlive their use. */
void fa_spare(const struct fa_rule *rules, size_t n);

/* How many allocations were spared since fa_arm(). */
long fa_spared(void);

/*
 * For finding a leak: from fa_arm() on, remember where each block still
 * allocated was made (up to a few thousand); fa_trace_dump() prints the
 * stacks of those not yet freed, to stderr. Off unless turned on.
 */
void fa_trace(int on);
void fa_trace_dump(void);

#endif
