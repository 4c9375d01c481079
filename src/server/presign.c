/*
 * presign.c - owns pre-signed links. The signature is
 * Base64url(HMAC-SHA256(secret, path "\n" expiry)), with a secret of its
 * own in the store (not the token-signing one), compared in constant time.
 * Only the path and the expiry are signed: the host may differ between
 * clients reaching the same server by different names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "http.h"
#include "presign.h"
#include "util/util.h"

static int sign(struct server *srv, const char *path, int64_t exp_s,
		char out[64])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char msg[1024];
	size_t i, o = 0;
	int n = snprintf(msg, sizeof(msg), "%s\n%lld", path, (long long)exp_s);
	static const char b64url[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	if (n < 0 || (size_t)n >= sizeof(msg) ||
	    HMAC(EVP_sha256(), srv->presign_secret, sizeof(srv->presign_secret),
		 (const unsigned char *)msg, (size_t)n, mac, &maclen) == NULL)
		return -1;
	/* 32 bytes -> 43 characters of unpadded Base64url. */
	for (i = 0; i + 2 < maclen; i += 3) {
		unsigned v = (unsigned)mac[i] << 16 | (unsigned)mac[i + 1] << 8 |
			     mac[i + 2];

		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	if (i < maclen) {
		unsigned v = (unsigned)mac[i] << 16 |
			     (i + 1 < maclen ? (unsigned)mac[i + 1] << 8 : 0);

		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		if (i + 1 < maclen)
			out[o++] = b64url[(v >> 6) & 63];
	}
	out[o] = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

char *presign_url(struct request *req, const char *path, int64_t expires_ms)
{
	const char *host = http_header(req, "Host");
	char sig[64], *url;
	int64_t exp_s = expires_ms / 1000;
	size_t n;

	if (sign(req->srv, path, exp_s, sig) != 0)
		return NULL;
	if (host == NULL || strlen(host) > 255 || strpbrk(host, "/?#@ \r\n"))
		host = "127.0.0.1";
	n = strlen(host) + strlen(path) + 128;
	url = malloc(n);
	if (url != NULL)
		snprintf(url, n, "%s://%s%s?se=%lld&sig=%s",
			 req->srv->cfg.tls_cert_path ? "https" : "http", host,
			 path, (long long)exp_s, sig);
	return url;
}

int presign_check(struct request *req)
{
	const char *se = http_query(req, "se"), *got = http_query(req, "sig");
	char want[64];
	int64_t exp_s;

	if (se == NULL || got == NULL ||
	    util_parse_i64(&exp_s, se, 0, INT64_MAX / 1000) != 0 ||
	    sign(req->srv, req->path, exp_s, want) != 0 ||
	    strlen(got) != strlen(want) ||
	    CRYPTO_memcmp(got, want, strlen(want)) != 0)
		return -1;
	return exp_s * 1000 > server_now_ms() ? 0 : -1;
}
