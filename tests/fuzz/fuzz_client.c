/*
 * fuzz_client.c - owns the scripted client of the client fuzz targets and
 * the reading of its error answers (fuzz_client.h).
 */
#include "fuzz_client.h"
#include <stdlib.h>
#include <string.h>
#include "client_int.h"

ksef_client *fuzz_scripted_client(const struct fuzz_in *in)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;

	/* Nothing listens there: every answer comes from the script. */
	o.base_url = "http://127.0.0.1:1/v2";
	o.max_response_bytes = 1 << 20;
	o.max_retries = 1;
	o.retry_backoff_ms = 0;
	o.max_rate_limit_waits = 1;
	o.max_retry_after_s = 0;
	if (ksef_client_new(&c, &o, NULL) != 0 ||
	    ksef_client_set_access_token(c, "access.token.x", NULL) != 0)
		abort();
	ksef__client_script(c, in->p, in->n);
	return c;
}

static size_t touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

size_t fuzz_touch_last_error(const ksef_client *c)
{
	const ksef_api_error *e = ksef_client_last_error(c);
	size_t t = 0, i;

	if (e == NULL)
		return 0;
	t += touch(e->title) + touch(e->detail) + touch(e->excerpt);
	for (i = 0; i < ksef_api_problems_count(e->problems); i++)
		t += touch(ksef_api_problems_at(e->problems, i)->description);
	return t;
}
