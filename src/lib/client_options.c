/*
 * client_options.c - the options of a ksef_client: copying a caller's
 * ksef_client_options of any version (options.h) and checking them before
 * client.c makes a client of them, and what a header or a URL may hold.
 */
#include <stdint.h>
#include <string.h>
#include "internal.h"
#include "client_int.h"

/* Printable ASCII without spaces: what may go in a header or a URL. */
int ksef__client_token_text(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int check_base_url(const char *u, ksef_error *err)
{
	size_t len = strlen(u);

	if (len > 2048)
		return ksef__error_set(err, KSEF_EINVAL,
			"base URL is over 2048 characters");
	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"base URL must start with https:// or http://");
	if (!ksef__client_token_text(u, len) || strpbrk(u, "?#") != NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"base URL must be printable ASCII without a query");
	if (strlen(u + (u[4] == 's' ? 8 : 7)) == 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"base URL has no host");
	return 0;
}

/* The bytes of each version of ksef_client_options (options.h). */
static const size_t client_options_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_options, proxy), /* 1 */
};
KSEF__OPTIONS_SIZES(client_options_sizes, KSEF_CLIENT_OPTIONS_VERSION);

int ksef__client_options_copy(ksef_client_options *dst,
			      const ksef_client_options *src, ksef_error *err)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	int error = KSEF__OPTIONS_COPY(&o, src, client_options_sizes,
				       KSEF_CLIENT_OPTIONS_VERSION,
				       "ksef_client_options", err);

	if (error == 0)
		*dst = o;
	return error;
}

int ksef__client_options_check(const ksef_client_options *o, ksef_error *err)
{
	if (o->base_url == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"base_url is required");
	if (o->connect_timeout_ms < 1 || o->timeout_ms < 1)
		return ksef__error_set(err, KSEF_EINVAL,
			"timeouts must be at least 1 ms");
	if (o->max_response_bytes < 1024)
		return ksef__error_set(err, KSEF_EINVAL,
			"max_response_bytes must be at least 1024");
	if (o->max_retries < 0 || o->max_retries > 10 ||
	    o->max_rate_limit_waits < 0 || o->max_rate_limit_waits > 10)
		return ksef__error_set(err, KSEF_EINVAL,
			"retry counts must be 0 to 10");
	if (o->retry_backoff_ms < 0 || o->retry_backoff_ms > 60000)
		return ksef__error_set(err, KSEF_EINVAL,
			"retry_backoff_ms must be 0 to 60000");
	if (o->max_retry_after_s < 0 ||
	    o->max_retry_after_s > KSEF_CLIENT_RETRY_AFTER_CAP)
		return ksef__error_set(err, KSEF_EINVAL,
			"max_retry_after_s must be 0 to %d (KSEF_CLIENT_RETRY_"
			"AFTER_CAP)", KSEF_CLIENT_RETRY_AFTER_CAP);
	if (o->user_agent != NULL &&
	    strcspn(o->user_agent, "\r\n") != strlen(o->user_agent))
		return ksef__error_set(err, KSEF_EINVAL,
			"user_agent must be one line");
	if (o->proxy != NULL &&
	    !ksef__client_token_text(o->proxy, strlen(o->proxy)))
		return ksef__error_set(err, KSEF_EINVAL,
			"proxy must be printable ASCII without spaces");
	return check_base_url(o->base_url, err);
}
