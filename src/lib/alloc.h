/*
 * alloc.h - noticing when libxml2 or jansson could not allocate (alloc.c).
 */
#ifndef KSEF_ALLOC_H
#define KSEF_ALLOC_H

#include <stddef.h>
#include <jansson.h>
#include "ksef/error.h"

/*
 * Wrap libxml2's and jansson's allocators, forwarding to whatever each had,
 * so that a failed allocation is counted per thread. ksef_global_init()
 * does it, at the point the caller promises is single-threaded; until then
 * nothing is counted and the checks below change nothing.
 */
void ksef__alloc_watch_install(void);

/* Put the allocators back, if they are still the wrappers. */
void ksef__alloc_watch_uninstall(void);

/*
 * How many allocations by libxml2 or jansson have failed on this thread.
 * Take it before a piece of work and compare after: a change means the
 * work's failure may be for want of memory, whatever it says.
 */
unsigned long ksef__alloc_failures(void);

/*
 * The ending of a piece of work begun at `mark`: error itself, unless it is
 * a failure other than KSEF_ENOMEM and an allocation failed meanwhile; then
 * KSEF_ENOMEM, with err saying so. libxml2 2.9 reports many allocation
 * failures as bad input ("not well-formed", a signature that does not
 * verify), and a caller must not refuse for good what a retry would take.
 */
int ksef__alloc_check(int error, unsigned long mark, ksef_error *err);

/*
 * json_loadb(), telling an allocation failure from bad JSON: *nomem is set
 * when one failed while it ran (jansson's lexer drops a byte of a string
 * when its buffer cannot grow, so even a tree it returns is then wrong).
 * With *nomem set the result, if any, is not to be trusted: release it as
 * its secrets require and report KSEF_ENOMEM.
 */
json_t *ksef__json_loadb(const char *text, size_t len, size_t flags,
			 json_error_t *jerr, int *nomem);

#endif
