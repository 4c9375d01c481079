/*
 * client_batch_upload.c - puts a batch's encrypted parts to their
 * pre-signed links (sesja-wsadowa.md step 5), several at once through one
 * libcurl multi handle. Each part is read from the batch's temporary file
 * as libcurl asks for it (pread at the part's offset), so no part is held
 * in memory. The links carry their own credential: no access token goes
 * with them, and no message shows one (the query is the credential);
 * parts are named by their ordinal number.
 *
 * A part whose PUT fails with no answer or a 5xx is put again, as often
 * as the client's max_retries allows, after its backoff: a part may be put
 * again until the session is closed (the last whole one counts). Any
 * other answer but 2xx ends the upload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include "internal.h"
#include "auth.h"
#include "client_batch_int.h"

/* Most of an error answer kept for the message. */
#define EXCERPT_MAX 512

struct put {
	const struct ksef__batch_part *part;
	const struct ksef__batch_upload *up;
	int fd;
	int64_t sent;             /* bytes handed to libcurl this attempt */
	int attempts;
	int64_t not_before_ms;    /* a retry waits for its backoff */
	CURL *curl;
	struct curl_slist *headers;
	char excerpt[EXCERPT_MAX];
	size_t excerpt_len;
	int done;
	int read_error;           /* errno of a failed read, or 0 */
};

static size_t on_read(char *buf, size_t size, size_t nitems, void *ctx)
{
	struct put *p = ctx;
	size_t want = size * nitems;
	int64_t left = p->part->enc_size - p->sent;
	ssize_t r;

	if ((int64_t)want > left)
		want = (size_t)left;
	if (want == 0)
		return 0;
	do
		r = pread(p->fd, buf, want, (off_t)(p->part->offset + p->sent));
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		p->read_error = r < 0 ? errno : EIO;
		return CURL_READFUNC_ABORT;
	}
	p->sent += r;
	return (size_t)r;
}

/* The answer's body matters only for the message of a failure. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct put *p = ctx;
	size_t n = size * nmemb, room = sizeof(p->excerpt) - 1 - p->excerpt_len;

	if (n < room)
		room = n;
	memcpy(p->excerpt + p->excerpt_len, data, room);
	p->excerpt_len += room;
	p->excerpt[p->excerpt_len] = '\0';
	return n;
}

static void put_reset(struct put *p)
{
	if (p->curl != NULL)
		curl_easy_cleanup(p->curl);
	curl_slist_free_all(p->headers);
	p->curl = NULL;
	p->headers = NULL;
}

#define SETOPT(o, v) \
	do { if (curl_easy_setopt(p->curl, o, v) != CURLE_OK) goto nomem; \
	} while (0)

static int put_start(struct put *p, const ksef_client_options *o,
		     ksef_error *err)
{
	struct curl_slist *h;
	char line[KSEF__BATCH_HEADER_NAME_MAX + KSEF__BATCH_HEADER_VALUE_MAX +
		  4];
	size_t i;

	p->sent = 0;
	p->excerpt_len = 0;
	p->excerpt[0] = '\0';
	p->read_error = 0;
	if ((p->curl = curl_easy_init()) == NULL)
		goto nomem;
	/* No Expect: 100-continue round trip; the links take the body. */
	if ((h = curl_slist_append(NULL, "Expect:")) == NULL)
		goto nomem;
	p->headers = h;
	for (i = 0; i < p->up->header_count; i++) {
		snprintf(line, sizeof(line), "%s: %s", p->up->names[i],
			 p->up->values[i]);
		if ((h = curl_slist_append(p->headers, line)) == NULL)
			goto nomem;
		p->headers = h;
	}
	SETOPT(CURLOPT_URL, p->up->url);
	if (ksef__curl_transport(p->curl, o->ca_file, o->ca_path, o->proxy,
				 o->connect_timeout_ms) != CURLE_OK)
		goto nomem;
	/* A part of 100 MB takes longer than one API exchange: the bound is
	 * on a stalled transfer instead, under 1 KB/s for the timeout. */
	SETOPT(CURLOPT_LOW_SPEED_LIMIT, 1024L);
	SETOPT(CURLOPT_LOW_SPEED_TIME, (o->timeout_ms + 999) / 1000);
	if (o->user_agent != NULL)
		SETOPT(CURLOPT_USERAGENT, o->user_agent);
	else
		SETOPT(CURLOPT_USERAGENT, "libksef/" KSEF_VERSION);
	SETOPT(CURLOPT_UPLOAD, 1L);
	SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)p->part->enc_size);
	SETOPT(CURLOPT_READFUNCTION, on_read);
	SETOPT(CURLOPT_READDATA, p);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, p);
	SETOPT(CURLOPT_HTTPHEADER, p->headers);
	SETOPT(CURLOPT_PRIVATE, p);
	p->attempts++;
	return 0;
nomem:
	put_reset(p);
	return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
}

#undef SETOPT

/* After an attempt: 0 when the part is in, 1 to try again, or a code. */
static int put_result(struct put *p, CURLcode rc, int max_retries,
		      ksef_error *err)
{
	char text[EXCERPT_MAX];
	long status = 0;

	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &status);
	if (p->read_error != 0)
		return ksef__error_set(err, KSEF_EIO, "PUT part %d: reading "
			"the temporary file: %s", p->up->ordinal,
			strerror(p->read_error));
	if (rc == CURLE_OK && status >= 200 && status < 300)
		return 0;
	if ((rc != CURLE_OK || status >= 500) && p->attempts <= max_retries)
		return 1;
	if (rc != CURLE_OK)
		return ksef__error_set(err, rc == CURLE_OUT_OF_MEMORY ?
			KSEF_ENOMEM : KSEF_ENETWORK, "PUT part %d: %s",
			p->up->ordinal, curl_easy_strerror(rc));
	ksef__client_excerpt(text, sizeof(text),
			     (const unsigned char *)p->excerpt,
			     p->excerpt_len, 1);
	return ksef__error_set(err, KSEF_EHTTP, "PUT part %d: HTTP %ld%s%s",
			       p->up->ordinal, status, text[0] ? ": " : "",
			       text);
}

int ksef__batch_upload_parts(const ksef_client *c, int fd,
	const struct ksef__batch_part *parts, size_t count,
	const struct ksef__batch_opened *opened, int parallel,
	ksef_error *err)
{
	const ksef_client_options *o = ksef__client_opts(c);
	struct put *puts = NULL;
	CURLM *multi = NULL;
	size_t i, next = 0, done = 0;
	int running = 0, active = 0, error = 0, queued;
	CURLMsg *msg;

	if ((puts = calloc(count, sizeof(*puts))) == NULL ||
	    (multi = curl_multi_init()) == NULL) {
		free(puts);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	for (i = 0; i < count; i++) {
		puts[i].part = &parts[i];
		puts[i].up = ksef__batch_upload_of(opened, (int)i + 1);
		puts[i].fd = fd;
	}
	while (error == 0 && done < count) {
		/* Start what the limit allows: new parts in order, then
		 * retries whose backoff is over. */
		for (i = 0; i < count && active < parallel; i++) {
			struct put *p = &puts[i];

			if (p->done || p->curl != NULL ||
			    (p->attempts == 0 && i != next) ||
			    p->not_before_ms > ksef__mono_ms())
				continue;
			if (p->attempts == 0)
				next++;
			if ((error = put_start(p, o, err)) < 0)
				break;
			if (curl_multi_add_handle(multi, p->curl) != CURLM_OK) {
				error = ksef__error_set(err, KSEF_ENOMEM,
							"out of memory");
				break;
			}
			active++;
		}
		if (error < 0)
			break;
		if (curl_multi_perform(multi, &running) != CURLM_OK ||
		    curl_multi_poll(multi, NULL, 0, 100, NULL) != CURLM_OK) {
			error = ksef__error_set(err, KSEF_ENOMEM,
						"out of memory");
			break;
		}
		while (error == 0 &&
		       (msg = curl_multi_info_read(multi, &queued)) != NULL) {
			struct put *p = NULL;
			int r;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&p);
			r = put_result(p, msg->data.result, o->max_retries,
				       err);
			curl_multi_remove_handle(multi, p->curl);
			put_reset(p);
			active--;
			if (r == 0) {
				p->done = 1;
				done++;
			} else if (r == 1) {
				long wait = o->retry_backoff_ms;
				int k;

				for (k = 1; k < p->attempts && wait < 30000;
				     k++)
					wait *= 2;
				p->not_before_ms = ksef__mono_ms() + wait;
			} else {
				error = r;
			}
		}
	}
	for (i = 0; i < count; i++) {
		if (puts[i].curl != NULL)
			curl_multi_remove_handle(multi, puts[i].curl);
		put_reset(&puts[i]);
	}
	curl_multi_cleanup(multi);
	free(puts);
	return error;
}
