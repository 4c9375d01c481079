/*
 * ksefd_presign_fuzz.c - untrusted pre-signed download links (presign.c):
 * the path, the "se" expiry and the "sig" signature a client presents,
 * and the Host header a link is made for. An input is four lines:
 *
 *   <path>\n<se>\n<sig>\n<host>
 *
 * Checked: a link the fuzzer made is never accepted (it cannot know the
 * secret); a link presign_link() makes is accepted until it expires and
 * refused after, whatever the path and host; and its URL holds the path
 * and no Host text that could change where it points.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_support.h"
#include "presign.h"

static const unsigned char secret[32] = "fuzz-presign-secret-0123456789a";
static const int64_t now_ms = 1750000000000LL;

/* The value of "name=" in url's query, copied into out. */
static int query_value(const char *url, const char *name, char *out,
		       size_t size)
{
	const char *q = strrchr(url, '?'), *p, *end;
	size_t n = strlen(name);

	if (q == NULL)
		return -1;
	for (p = q + 1; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if ((size_t)(end - p) > n && strncmp(p, name, n) == 0 &&
		    p[n] == '=') {
			snprintf(out, size, "%.*s", (int)(end - p - n - 1),
				 p + n + 1);
			return 0;
		}
	}
	return -1;
}

static void check_link(const char *path, const char *host, int64_t exp_ms)
{
	char *url = presign_link(secret, sizeof(secret), 1, host, path,
				 exp_ms);
	char se[32], sig[PRESIGN_SIG_BUFSZ + 8];
	const char *h;
	size_t hlen;

	if (url == NULL)
		return; /* a path too long to sign */
	if (strncmp(url, "https://", 8) != 0)
		abort();
	/* The host part ends at the first '/', which starts the path: a
	 * Host header cannot add a userinfo, a port path or a query. */
	h = url + 8;
	hlen = strcspn(h, "/?#@ \r\n");
	if (strncmp(h + hlen, path, strlen(path)) != 0)
		abort();
	if (query_value(url, "se", se, sizeof(se)) != 0 ||
	    query_value(url, "sig", sig, sizeof(sig)) != 0)
		abort();
	if (presign_verify(secret, sizeof(secret), path, se, sig, now_ms) !=
	    (exp_ms / 1000 * 1000 > now_ms ? 0 : -1)) {
		fprintf(stderr, "link %s judged wrongly\n", url);
		abort();
	}
	free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	const uint8_t *p;
	size_t n;
	char *path, *se, *sig, *host;

	fuzz_global_init();
	p = fuzz_take(&in, '\n', &n);
	path = fuzz_strndup(p, n);
	p = fuzz_take(&in, '\n', &n);
	se = fuzz_strndup(p, n);
	p = fuzz_take(&in, '\n', &n);
	sig = fuzz_strndup(p, n);
	p = fuzz_take(&in, '\n', &n);
	host = fuzz_strndup(p, n);

	if (presign_verify(secret, sizeof(secret), path, se, sig, now_ms) ==
	    0) {
		fprintf(stderr, "a signature the fuzzer made verified\n");
		abort();
	}
	(void)presign_verify(secret, sizeof(secret), path, NULL, sig, now_ms);
	/* ksefd makes the paths it signs ("/storage/..."); the host is the
	 * client's. */
	if (path[0] == '/') {
		check_link(path, host, now_ms + 3600 * 1000);
		check_link(path, *host ? host : NULL, now_ms - 1000);
	}
	free(path);
	free(se);
	free(sig);
	free(host);
	return 0;
}
