/*
 * ksefd_jwt_fuzz.c - untrusted bearer tokens through jwt_verify(), which
 * splits, decodes and parses a token's header and payload before libjwt
 * checks its HMAC. The first byte of an input chooses how the rest is
 * used:
 *   0  the token as a client sends it. The fuzzer cannot know the secret,
 *      so an accepted token is a forgery: abort().
 *   1  "header.payload" in Base64url, signed here with the secret, so that
 *      the signature holds and the claims are read.
 *   2  the payload as plain JSON, put under the header {"alg":"HS256"} and
 *      signed: the fastest way into the claim rules.
 * A token that verifies must give claims that jwt_issue() accepts, and the
 * token it issues must verify to the same claims.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "fuzz_support.h"
#include "jwt_tokens.h"

static const unsigned char secret[32] = "fuzz-jwt-secret-0123456789abcde";
/* 2025-06-15: tokens are judged against a fixed now. */
static const int64_t now_ms = 1750000000000LL;

static size_t b64url(char *out, const unsigned char *in, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
			     in[i + 2];

		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = a[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)in[i] << 16 |
			     (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);

		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = a[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

/* "<signing input>.<HS256 signature>" in a malloc'd string. */
static char *sign(const char *input, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *tok = malloc(len + 64);

	if (tok == NULL || HMAC(EVP_sha256(), secret, sizeof(secret),
				(const unsigned char *)input, len, mac,
				&maclen) == NULL)
		abort();
	memcpy(tok, input, len);
	tok[len] = '.';
	b64url(tok + len + 1, mac, maclen);
	return tok;
}

static void same(const char *a, const char *b)
{
	if (strcmp(a, b) != 0)
		abort();
}

/* A verified token's claims survive being issued again. */
static void round_trip(const jwt_claims *c)
{
	jwt_claims again;
	char *tok = NULL;
	ksef_error err;

	if (jwt_issue(&tok, secret, sizeof(secret), c, &err) != 0) {
		fprintf(stderr, "verified claims not issuable: %s\n",
			err.message);
		abort();
	}
	if (jwt_verify(&again, secret, sizeof(secret), tok, strlen(tok),
		       now_ms, &err) != 0) {
		fprintf(stderr, "re-issued token refused: %s\n", err.message);
		abort();
	}
	if (again.kind != c->kind || again.iat != c->iat ||
	    again.exp != c->exp || again.ip_bound != c->ip_bound)
		abort();
	same(again.reference, c->reference);
	same(again.context_type, c->context_type);
	same(again.context_value, c->context_value);
	same(again.auth_method, c->auth_method);
	same(again.permissions, c->permissions);
	same(again.jti, c->jti);
	free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t mode = fuzz_byte(&in) % 3;
	jwt_claims c;
	ksef_error err;
	char *tok;
	size_t len;
	int rc;

	fuzz_global_init();
	if (mode == 0) {
		rc = jwt_verify(&c, secret, sizeof(secret),
				(const char *)in.p, in.n, now_ms, &err);
		if (rc == 0) {
			fprintf(stderr, "a token the fuzzer made verified\n");
			abort();
		}
		return 0;
	}
	if (in.n > JWT_TOKEN_MAX)
		return 0;
	if (mode == 1) {
		tok = sign((const char *)in.p, in.n);
		len = in.n + 1 + strlen(tok + in.n + 1);
	} else {
		/* {"alg":"HS256"} */
		static const char header[] = "eyJhbGciOiJIUzI1NiJ9.";
		char *input = malloc(sizeof(header) + in.n * 4 / 3 + 4);

		if (input == NULL)
			abort();
		strcpy(input, header);
		len = strlen(header) + b64url(input + strlen(header), in.p,
					      in.n);
		tok = sign(input, len);
		len += 1 + strlen(tok + len + 1);
		free(input);
	}
	rc = jwt_verify(&c, secret, sizeof(secret), tok, len, now_ms, &err);
	free(tok);
	if (rc == 0)
		round_trip(&c);
	return 0;
}
