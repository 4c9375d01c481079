/*
 * presign.c - owns pre-signed links. The signature is
 * Base64url(HMAC-SHA256(secret, path "\n" expiry)), with a secret of its
 * own in the store (not the token-signing one), compared in constant time.
 * Only the path and the expiry are signed: the host may differ between
 * clients reaching the same server by different names.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "http.h"
#include "presign.h"
#include "util/util.h"

static int sign(const unsigned char *secret, size_t secret_len,
		const char *path, int64_t exp_s, char out[PRESIGN_SIG_BUFSZ])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char msg[1024];
	int n = snprintf(msg, sizeof(msg), "%s\n%lld", path, (long long)exp_s);
	ksef_buf text = KSEF_BUF_INIT;

	if (n < 0 || (size_t)n >= sizeof(msg) || secret_len > INT_MAX)
		return -1;
	/* SHA-256 gives 32 bytes, which fill out exactly. */
	if (HMAC(EVP_sha256(), secret, (int)secret_len,
		 (const unsigned char *)msg, (size_t)n, mac, &maclen) == NULL ||
	    maclen != 32) {
		OPENSSL_cleanse(mac, sizeof(mac));
		return -1;
	}
	/* 32 bytes -> 43 characters of unpadded Base64url. */
	if (ksef_base64url_encode(&text, mac, maclen, NULL) != 0 ||
	    text.size != PRESIGN_SIG_BUFSZ - 1) {
		OPENSSL_cleanse(mac, sizeof(mac));
		ksef_buf_dispose_secure(&text);
		return -1;
	}
	memcpy(out, text.ptr, PRESIGN_SIG_BUFSZ);
	ksef_buf_dispose_secure(&text);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

char *presign_link(const unsigned char *secret, size_t secret_len,
		   int https, const char *host, const char *path,
		   int64_t expires_ms)
{
	char sig[PRESIGN_SIG_BUFSZ], *url;
	int64_t exp_s = expires_ms / 1000;
	size_t n;

	if (sign(secret, secret_len, path, exp_s, sig) != 0)
		return NULL;
	/* The Host header is the client's word: anything that could change
	 * the link's meaning falls back to the loopback address. */
	if (host == NULL || strlen(host) > 255 || strpbrk(host, "/?#@ \r\n"))
		host = "127.0.0.1";
	n = strlen(host) + strlen(path) + 128;
	url = malloc(n);
	if (url != NULL)
		snprintf(url, n, "%s://%s%s?se=%lld&sig=%s",
			 https ? "https" : "http", host, path,
			 (long long)exp_s, sig);
	return url;
}

char *presign_url(struct request *req, const char *path, int64_t expires_ms)
{
	return presign_link(req->srv->presign_secret,
			    sizeof(req->srv->presign_secret),
			    req->srv->cfg.tls_cert_path != NULL,
			    http_header(req, "Host"), path, expires_ms);
}

int presign_verify(const unsigned char *secret, size_t secret_len,
		   const char *path, const char *se, const char *sig,
		   int64_t now_ms)
{
	char want[PRESIGN_SIG_BUFSZ];
	int64_t exp_s;

	if (se == NULL || sig == NULL ||
	    util_parse_i64(&exp_s, se, 0, INT64_MAX / 1000) != 0 ||
	    sign(secret, secret_len, path, exp_s, want) != 0 ||
	    strlen(sig) != strlen(want) ||
	    CRYPTO_memcmp(sig, want, strlen(want)) != 0)
		return -1;
	return exp_s * 1000 > now_ms ? 0 : -1;
}

int presign_check(struct request *req)
{
	return presign_verify(req->srv->presign_secret,
			      sizeof(req->srv->presign_secret), req->path,
			      http_query(req, "se"), http_query(req, "sig"),
			      server_now_ms());
}
