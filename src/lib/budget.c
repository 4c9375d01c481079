/*
 * budget.c - the thread CPU clock behind ksef__budget. A thread's CPU
 * time is what one request's work costs the machine, whatever else runs
 * beside it; wall time would punish a document for a busy server.
 */
#include <time.h>
#include "budget.h"

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void ksef__budget_start(ksef__budget *b, unsigned ms)
{
	b->limit_ns = (int64_t)ms * 1000000;
	b->start_ns = ms ? thread_cpu_ns() : 0;
}

int ksef__budget_spent(const ksef__budget *b)
{
	if (b == NULL || b->limit_ns == 0)
		return 0;
	return thread_cpu_ns() - b->start_ns >= b->limit_ns;
}
