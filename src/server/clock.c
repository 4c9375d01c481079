/*
 * clock.c - owns ksefd's reading of the wall clock: every time the API
 * shows or compares (dateCreated, validUntil, token and link expiry, rate
 * windows) comes from server_now_ms(), so there is one place to read it.
 * Durations for the log use the monotonic clock, in http.c.
 */
#include <time.h>
#include "server.h"

int64_t server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
