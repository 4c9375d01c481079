/*
 * http_raw.h - a bare HTTP request for end-to-end tests that must send
 * what no well-behaved client would (bad hashes, foreign keys, garbage),
 * to check how ksefd answers it. libcurl underneath.
 */
#ifndef KSEF_HTTP_RAW_H
#define KSEF_HTTP_RAW_H

#include <stddef.h>
#include <jansson.h>

struct raw_response {
	long status;
	char *body;            /* NUL-terminated; free with raw_free() */
	size_t len;
	char content_type[128];
	char retry_after[32];
	char meta_hash[64];
};

/*
 * method, full URL, optional bearer token, optional extra header line
 * ("X-Error-Format: problem-details"), optional body (JSON text). Fails the
 * test if no answer comes.
 */
void raw_request(struct raw_response *r, const char *method, const char *url,
		 const char *bearer, const char *header, const char *body,
		 size_t body_len);
void raw_free(struct raw_response *r);

/* The body parsed as JSON (fails the test if it is not); caller decrefs. */
json_t *raw_json(const struct raw_response *r);

/* The first exception code of an ExceptionResponse or Problem Details
 * body, or 0. */
int raw_error_code(const struct raw_response *r);

#endif
