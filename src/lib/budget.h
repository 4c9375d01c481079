/*
 * budget.h - a CPU budget for one piece of work on one thread: how much
 * of the thread's own CPU time (not wall time, so a busy machine or a
 * lock does not count against it) the work may spend before it gives up.
 */
#ifndef KSEF_BUDGET_H
#define KSEF_BUDGET_H

#include <stdint.h>

typedef struct ksef__budget {
	int64_t limit_ns;  /* 0: no limit */
	int64_t start_ns;  /* the thread's CPU clock when it began */
} ksef__budget;

/* Start a budget of `ms` milliseconds of this thread's CPU; 0 is none. */
void ksef__budget_start(ksef__budget *b, unsigned ms);

/* 1 when the budget is spent, else 0 (always 0 for NULL or no limit).
 * Costs a clock read: callers ask every so many steps, not at each. */
int ksef__budget_spent(const ksef__budget *b);

#endif
