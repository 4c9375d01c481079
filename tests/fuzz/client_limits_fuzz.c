/*
 * client_limits_fuzz.c - a hostile or broken server against the readers
 * of the limits (client_limits.c): GET /limits/context, /limits/subject
 * and /rate-limits read their answers from the input instead of the
 * network (ksef__client_script(), client_int.h), and a setter reads an
 * error answer. The first byte picks the call; the rest is its script, as
 * in client_fuzz.c. Every result is read through the public accessors
 * afterwards, so a group name without its NUL or a list miscounted shows
 * under ASan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "client_int.h"
#include "fuzz_client.h"

static size_t touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static size_t call(ksef_client *c, unsigned which)
{
	ksef_client_session_limits in = KSEF_CLIENT_SESSION_LIMITS_INIT;
	size_t i, t = 0;

	switch (which) {
	case 0: {
		ksef_api_context_limits *l = NULL;

		if (ksef_client_limits_context(&l, c, NULL) == 0)
			t += (size_t)(l->online_session->max_invoices +
				      l->batch_session->max_invoices);
		ksef_api_context_limits_free(l);
		break;
	}
	case 1: {
		ksef_api_subject_limits *l = NULL;

		if (ksef_client_limits_subject(&l, c, NULL) == 0)
			t += (size_t)(l->max_enrollments + l->max_certificates);
		ksef_api_subject_limits_free(l);
		break;
	}
	case 2: {
		ksef_api_rate_limits *l = NULL;

		if (ksef_client_limits_rate(&l, c, NULL) == 0) {
			for (i = 0; i <= ksef_api_rate_limits_count(l); i++) {
				const ksef_api_rate_limit *g =
					ksef_api_rate_limits_at(l, i);

				if (g != NULL)
					t += touch(g->group) +
					     (size_t)g->per_hour;
			}
			t += ksef_api_rate_limits_find(l, "other") != NULL;
		}
		ksef_api_rate_limits_free(l);
		break;
	}
	default:
		(void)!ksef_client_limits_session_set(c, &in, NULL);
		break;
	}
	return t + fuzz_touch_last_error(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	ksef_client *c = NULL;
	unsigned first;
	volatile size_t sink;

	fuzz_global_init();
	first = fuzz_byte(&in);
	c = fuzz_scripted_client(&in);
	sink = call(c, first % 4);
	(void)sink;
	ksef_client_free(c);
	return 0;
}
