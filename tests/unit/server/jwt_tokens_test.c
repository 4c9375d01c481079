#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "ksef/encoding.h"
#include "ksef/error.h"
#include "ksef/number.h"
#include "jwt_tokens.h"

/* 2025-10-09T08:53:20Z, and a server secret of 32 bytes. */
#define NOW_MS INT64_C(1760000000000)
static const unsigned char secret[] = "ksefd-test-secret-0123456789abcd";
#define SECRET_LEN (sizeof(secret) - 1)
static const unsigned char other_secret[] = "ksefd-test-secret-0123456789abce";

static char au[KSEF_REFNUM_BUFSZ]; /* an AU reference number */
static char so[KSEF_REFNUM_BUFSZ]; /* an SO one, which tokens never hold */

static int make_refs(void **state)
{
	(void)state;
	if (ksef_refnum_generate(au, KSEF_REFNUM_AUTH,
				 ksef_time_warsaw(NOW_MS), NULL) < 0 ||
	    ksef_refnum_generate(so, KSEF_REFNUM_ONLINE_SESSION,
				 ksef_time_warsaw(NOW_MS), NULL) < 0)
		return -1;
	return 0;
}

/* Claims as the auth handlers would fill them. */
static jwt_claims claims(jwt_kind kind, int64_t lifetime_s)
{
	jwt_claims c;

	assert_int_equal(jwt_claims_init(&c, kind, NOW_MS, lifetime_s, NULL),
			 0);
	strcpy(c.reference, au);
	if (kind != JWT_OPERATION) {
		strcpy(c.context_type, "Nip");
		strcpy(c.context_value, "5265877635");
		strcpy(c.auth_method, "QualifiedSeal");
	}
	if (kind == JWT_ACCESS)
		strcpy(c.permissions, "InvoiceWrite,InvoiceRead");
	return c;
}

static char *issue(const jwt_claims *c)
{
	char *token = NULL;
	ksef_error err;

	if (jwt_issue(&token, secret, SECRET_LEN, c, &err) != 0)
		fail_msg("jwt_issue: %s", err.message);
	assert_non_null(token);
	return token;
}

static int verify(jwt_claims *out, const char *token, int64_t now_ms)
{
	return jwt_verify(out, secret, SECRET_LEN, token, strlen(token),
			  now_ms, NULL);
}

/* Base64url without padding, as JWS writes it. */
static void b64url(char *out, size_t size, const unsigned char *data,
		   size_t len)
{
	ksef_buf b = KSEF_BUF_INIT;
	size_t i, n = 0;

	assert_int_equal(ksef_base64_encode(&b, data, len, NULL), 0);
	for (i = 0; i < b.size && b.ptr[i] != '='; i++) {
		char ch = (char)b.ptr[i];

		out[n++] = ch == '+' ? '-' : ch == '/' ? '_' : ch;
		assert_true(n < size);
	}
	out[n] = '\0';
	ksef_buf_dispose(&b);
}

/*
 * A token made by hand with OpenSSL's HMAC, not libjwt: a second
 * implementation for known-answer checks, and the way to sign payloads
 * that jwt_issue() would never make.
 */
static void forge(char *out, size_t size, const char *header,
		  const char *payload, const unsigned char *key, size_t klen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	char sig[128];
	size_t n;

	b64url(out, size, (const unsigned char *)header, strlen(header));
	n = strlen(out);
	out[n++] = '.';
	b64url(out + n, size - n, (const unsigned char *)payload,
	       strlen(payload));
	n = strlen(out);
	assert_non_null(HMAC(EVP_sha256(), key, (int)klen,
			     (const unsigned char *)out, n, mac, &mlen));
	b64url(sig, sizeof(sig), mac, mlen);
	assert_true(n + 1 + strlen(sig) < size);
	out[n++] = '.';
	strcpy(out + n, sig);
}

#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* A complete, valid access-token payload, with one spot to vary. */
static void payload(char *out, size_t size, const char *extra_first,
		    const char *type, const char *perms)
{
	snprintf(out, size,
		 "{%s\"token-type\":\"%s\",\"operation-reference-number\":"
		 "\"%s\",\"context-identifier-type\":\"Nip\","
		 "\"context-identifier-value\":\"5265877635\","
		 "\"authentication-method\":\"Token\",%s"
		 "\"jti\":\"0123456789abcdef0123456789abcdef\","
		 "\"iat\":1760000000,\"exp\":1760000900,"
		 "\"iss\":\"ksefd\",\"aud\":\"ksefd\"}",
		 extra_first, type, au, perms);
}

static void each_kind_of_token_round_trips(void **state)
{
	static const jwt_kind kinds[] = { JWT_OPERATION, JWT_ACCESS,
					  JWT_REFRESH };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		jwt_claims in = claims(kinds[i], 900), out;
		char *token = issue(&in);

		memset(&out, 0x5a, sizeof(out));
		assert_int_equal(verify(&out, token, NOW_MS), 0);
		assert_int_equal(out.kind, kinds[i]);
		assert_string_equal(out.reference, au);
		assert_string_equal(out.context_type, in.context_type);
		assert_string_equal(out.context_value, in.context_value);
		assert_string_equal(out.auth_method, in.auth_method);
		assert_string_equal(out.permissions, in.permissions);
		assert_string_equal(out.jti, in.jti);
		assert_int_equal(out.iat, NOW_MS / 1000);
		assert_int_equal(out.exp, NOW_MS / 1000 + 900);
		assert_int_equal(out.ip_bound, 0);
		free(token);
	}
}

static void an_ip_bound_access_token_says_so(void **state)
{
	jwt_claims in = claims(JWT_ACCESS, 900), out;
	char *token;

	(void)state;
	in.ip_bound = 1;
	token = issue(&in);
	assert_int_equal(verify(&out, token, NOW_MS), 0);
	assert_int_equal(out.ip_bound, 1);
	free(token);
}

static void an_operation_token_may_carry_its_context(void **state)
{
	jwt_claims in = claims(JWT_OPERATION, 2700), out;
	char *token;

	(void)state;
	strcpy(in.context_type, "Nip");
	strcpy(in.context_value, "5265877635");
	token = issue(&in);
	assert_int_equal(verify(&out, token, NOW_MS), 0);
	assert_string_equal(out.context_value, "5265877635");
	assert_string_equal(out.auth_method, "");
	free(token);
}

static void the_header_is_hs256_and_the_mac_is_standard(void **state)
{
	jwt_claims in = claims(JWT_ACCESS, 900);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	char *token = issue(&in), *dot2, sig[128];
	char forged[JWT_TOKEN_MAX];
	jwt_claims out;

	(void)state;
	/* {"alg":"HS256","typ":"JWT"} in either key order. */
	assert_true(strncmp(token, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
			    37) == 0 ||
		    strncmp(token, "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.",
			    37) == 0);
	/* OpenSSL's HMAC over the first two parts is the third. */
	dot2 = strrchr(token, '.');
	assert_non_null(HMAC(EVP_sha256(), secret, (int)SECRET_LEN,
			     (const unsigned char *)token,
			     (size_t)(dot2 - token), mac, &mlen));
	b64url(sig, sizeof(sig), mac, mlen);
	assert_string_equal(dot2 + 1, sig);
	free(token);

	/* And a token signed by OpenSSL alone verifies. */
	payload(forged, sizeof(forged), "", "ContextToken",
		"\"permissions\":\"InvoiceRead\",");
	{
		char t[JWT_TOKEN_MAX];

		forge(t, sizeof(t), HS256_HEADER, forged, secret, SECRET_LEN);
		assert_int_equal(verify(&out, t, NOW_MS), 0);
		assert_string_equal(out.permissions, "InvoiceRead");
		assert_string_equal(out.auth_method, "Token");
	}
}

static void permissions_are_matched_by_whole_names(void **state)
{
	jwt_claims c = claims(JWT_ACCESS, 900);

	(void)state;
	assert_true(jwt_has_permission(&c, "InvoiceWrite"));
	assert_true(jwt_has_permission(&c, "InvoiceRead"));
	assert_false(jwt_has_permission(&c, "Invoice"));
	assert_false(jwt_has_permission(&c, "InvoiceReadX"));
	assert_false(jwt_has_permission(&c, "InvoiceWrite,InvoiceRead"));
	assert_false(jwt_has_permission(&c, ""));
	assert_false(jwt_has_permission(&c, NULL));
	assert_false(jwt_has_permission(NULL, "InvoiceRead"));
	c.permissions[0] = '\0';
	assert_false(jwt_has_permission(&c, "InvoiceRead"));
	/* A refresh token grants nothing by itself. */
	c = claims(JWT_REFRESH, 900);
	strcpy(c.permissions, "InvoiceRead");
	assert_false(jwt_has_permission(&c, "InvoiceRead"));
}

static void an_access_token_without_permissions_keeps_the_claim(
	void **state)
{
	jwt_claims in = claims(JWT_ACCESS, 900), out;
	char *token;

	(void)state;
	in.permissions[0] = '\0';
	token = issue(&in);
	assert_int_equal(verify(&out, token, NOW_MS), 0);
	assert_string_equal(out.permissions, "");
	free(token);
}

static void a_token_expires_at_exp_exactly(void **state)
{
	jwt_claims in = claims(JWT_ACCESS, 900), out, before;
	char *token = issue(&in);
	ksef_error err;

	(void)state;
	assert_int_equal(verify(&out, token, in.exp * 1000 - 1), 0);
	memset(&out, 0x5a, sizeof(out));
	before = out;
	assert_int_equal(jwt_verify(&out, secret, SECRET_LEN, token,
				    strlen(token), in.exp * 1000, &err),
			 JWT_EEXPIRED);
	assert_int_equal(err.code, JWT_EEXPIRED);
	assert_non_null(strstr(err.message, "expired"));
	assert_memory_equal(&out, &before, sizeof(out));
	assert_int_equal(verify(&out, token, in.exp * 1000 + 86400000),
			 JWT_EEXPIRED);
	free(token);
}

static void a_tampered_payload_fails_the_signature(void **state)
{
	jwt_claims in = claims(JWT_ACCESS, 900), out;
	char *token = issue(&in), *dot1, *dot2;
	char body[1024], part[2048], t[JWT_TOKEN_MAX];

	(void)state;
	/* The genuine header and signature around a payload that grants
	 * more: a well-formed token that only the MAC can catch. */
	payload(body, sizeof(body), "", "ContextToken",
		"\"permissions\":\"InvoiceWrite,CredentialsManage\",");
	b64url(part, sizeof(part), (const unsigned char *)body, strlen(body));
	dot1 = strchr(token, '.');
	dot2 = strrchr(token, '.');
	snprintf(t, sizeof(t), "%.*s.%s%s", (int)(dot1 - token), token, part,
		 dot2);
	assert_int_equal(verify(&out, t, NOW_MS), KSEF_ECHECKSUM);
	free(token);
}

static void a_tampered_signature_fails(void **state)
{
	jwt_claims in = claims(JWT_REFRESH, 900), out;
	char *token = issue(&in), *sig, was;
	size_t n = strlen(token);

	(void)state;
	sig = strrchr(token, '.') + 1;
	was = sig[0];
	sig[0] = was == 'A' ? 'B' : 'A';
	assert_int_equal(verify(&out, token, NOW_MS), KSEF_ECHECKSUM);
	sig[0] = was;
	assert_int_equal(verify(&out, token, NOW_MS), 0);
	/* Cut short, or with a byte more. */
	token[n - 1] = '\0';
	assert_int_equal(verify(&out, token, NOW_MS), KSEF_ECHECKSUM);
	free(token);
}

static void another_secret_does_not_verify(void **state)
{
	jwt_claims in = claims(JWT_ACCESS, 900), out;
	char *token = issue(&in);

	(void)state;
	assert_int_equal(jwt_verify(&out, other_secret, SECRET_LEN, token,
				    strlen(token), NOW_MS, NULL),
			 KSEF_ECHECKSUM);
	free(token);
}

static void any_alg_but_hs256_is_refused(void **state)
{
	static const char *const headers[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"None\"}",
		"{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
		"{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
		"{\"alg\":\"hs256\",\"typ\":\"JWT\"}",
		"{\"alg\":\"HS256 \",\"typ\":\"JWT\"}",
		"{\"alg\":\"HS\\u0032\\u0035\\u0036 \",\"typ\":\"JWT\"}",
	};
	char body[1024], h[256], p[2048], t[JWT_TOKEN_MAX];
	jwt_claims out;
	ksef_error err;
	size_t i;

	(void)state;
	payload(body, sizeof(body), "", "ContextToken",
		"\"permissions\":\"InvoiceRead\",");
	b64url(p, sizeof(p), (const unsigned char *)body, strlen(body));
	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		/* Unsigned, as the "none" attack sends it... */
		b64url(h, sizeof(h), (const unsigned char *)headers[i],
		       strlen(headers[i]));
		snprintf(t, sizeof(t), "%s.%s.", h, p);
		assert_int_equal(jwt_verify(&out, secret, SECRET_LEN, t,
					    strlen(t), NOW_MS, &err),
				 KSEF_ECHECKSUM);
		assert_non_null(strstr(err.message, "alg"));
		/* ...and with a valid HMAC over the header that says so. */
		forge(t, sizeof(t), headers[i], body, secret, SECRET_LEN);
		assert_int_equal(verify(&out, t, NOW_MS), KSEF_ECHECKSUM);
	}
	/* HS256 with no signature at all. */
	b64url(h, sizeof(h), (const unsigned char *)HS256_HEADER,
	       strlen(HS256_HEADER));
	snprintf(t, sizeof(t), "%s.%s.", h, p);
	assert_int_equal(verify(&out, t, NOW_MS), KSEF_ECHECKSUM);
}

static void an_over_long_token_is_refused_by_its_length_alone(void **state)
{
	static char big[JWT_TOKEN_MAX + 1];
	const char one = 'e';
	jwt_claims out;

	(void)state;
	/* One real byte and a longer claimed length: reading trips ASan. */
	assert_int_equal(jwt_verify(&out, secret, SECRET_LEN, &one,
				    JWT_TOKEN_MAX + 1, NOW_MS, NULL),
			 KSEF_ETOOBIG);
	/* At the limit it is read, and is simply not a JWT. */
	memset(big, 'a', JWT_TOKEN_MAX);
	assert_int_equal(jwt_verify(&out, secret, SECRET_LEN, big,
				    JWT_TOKEN_MAX, NOW_MS, NULL), KSEF_EPARSE);
}

static void garbage_is_not_a_token(void **state)
{
	static const char *const cases[] = {
		"",
		"e",
		"eyJhbGciOiJIUzI1NiJ9",
		"eyJhbGciOiJIUzI1NiJ9.e30",
		"eyJhbGciOiJIUzI1NiJ9.e30.a.b",
		"..",
		".e30.abc",
		"eyJhbGciOiJIUzI1NiJ9..abc",
		"eyJhbGciOiJIUzI1NiJ9.e30.ab c",
		"eyJhbGciOiJIUzI1NiJ9.e30=.abc",
		"eyJhbGciOiJIUzI1NiJ9.e30.ab+/",
		"Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc",
		"e.e30.abc",                 /* header one char: not Base64 */
		"AAAA.e30.abc",              /* header decodes to zeros */
		"W10.e30.abc",               /* header "[]" */
		"e30.e30.abc",               /* header {} without alg */
		"eyJhbGciOjF9.e30.abc",      /* alg 1, not a string */
		"eyJhbGciOiJIUzI1NiIsImFsZyI6Im5vbmUifQ.e30.abc",
					     /* alg twice */
		"eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.abc", /* "not json" */
		"eyJhbGciOiJIUzI1NiJ9.W10.abc",         /* payload "[]" */
	};
	jwt_claims out;
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = jwt_verify(&out, secret, SECRET_LEN, cases[i],
				    strlen(cases[i]), NOW_MS, &err);

		if (rc != KSEF_EPARSE)
			fail_msg("case %zu (%s): %d", i, cases[i], rc);
	}
	/* A NUL inside the claimed length, and one inside a JSON string,
	 * which jansson refuses to decode. */
	{
		char h[128], t[256];
		static const char nul_alg[] =
			"{\"alg\":\"HS256\\u0000\",\"typ\":\"JWT\"}";

		b64url(h, sizeof(h), (const unsigned char *)nul_alg,
		       strlen(nul_alg));
		snprintf(t, sizeof(t), "%s.e30.abc", h);
		assert_int_equal(jwt_verify(&out, secret, SECRET_LEN, t,
					    strlen(t), NOW_MS, NULL),
				 KSEF_EPARSE);
	}
	assert_int_equal(jwt_verify(&out, secret, SECRET_LEN,
				    "eyJhbGciOiJIUzI1NiJ9\0.e30.abc", 28,
				    NOW_MS, NULL), KSEF_EPARSE);
}

static void genuine_tokens_with_bad_claims_are_refused(void **state)
{
	static const struct {
		const char *extra, *type, *perms;
		int want;
	} cases[] = {
		/* the reference payload, to show the others differ by one */
		{ "", "ContextToken", "\"permissions\":\"A\",", 0 },
		{ "", "ContextToken", "", KSEF_EFORMAT },
		{ "", "RefreshToken", "\"permissions\":\"A\",", KSEF_EFORMAT },
		{ "", "AccessToken", "", KSEF_EFORMAT },
		{ "", "ContextToken", "\"permissions\":\"A,,B\",",
		  KSEF_EFORMAT },
		{ "", "ContextToken", "\"permissions\":[\"A\"],",
		  KSEF_EFORMAT },
		{ "", "ContextToken", "\"permissions\":\"A\",\"jti\":\"x\",",
		  KSEF_EPARSE },               /* a duplicate key */
		{ "\"x\":1,", "ContextToken", "\"permissions\":\"A\",", 0 },
	};
	char body[2048], t[JWT_TOKEN_MAX];
	jwt_claims out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		payload(body, sizeof(body), cases[i].extra, cases[i].type,
			cases[i].perms);
		forge(t, sizeof(t), HS256_HEADER, body, secret, SECRET_LEN);
		rc = verify(&out, t, NOW_MS);
		if (rc != cases[i].want)
			fail_msg("case %zu: %d, not %d", i, rc, cases[i].want);
	}
}

/* Copy tmpl with @REF@ replaced by the AU number and @JTI@ by a jti. */
static void fill(char *out, size_t size, const char *tmpl, const char *ref,
		 const char *jti)
{
	size_t n = 0;

	while (*tmpl != '\0') {
		const char *put = NULL;

		if (strncmp(tmpl, "@REF@", 5) == 0)
			put = ref;
		else if (strncmp(tmpl, "@JTI@", 5) == 0)
			put = jti;
		if (put != NULL) {
			assert_true(n + strlen(put) < size);
			memcpy(out + n, put, strlen(put));
			n += strlen(put);
			tmpl += 5;
		} else {
			assert_true(n + 1 < size);
			out[n++] = *tmpl++;
		}
	}
	out[n] = '\0';
}

#define GOOD_JTI "0123456789abcdef0123456789abcdef"
#define OP_HEAD "{\"token-type\":\"OperationToken\"," \
		"\"operation-reference-number\":\"@REF@\",\"jti\":\"@JTI@\","
#define OP_TAIL "\"iss\":\"ksefd\",\"aud\":\"ksefd\"}"
#define OP_TIMES "\"iat\":1760000000,\"exp\":1760000900,"

static void missing_or_ill_typed_claims_are_refused(void **state)
{
	/* Each is a valid operation token but for one claim. */
	static const char *const tmpls[] = {
		/* the reference payload, to show the others differ by one */
		OP_HEAD OP_TIMES OP_TAIL,
		"{\"operation-reference-number\":\"@REF@\",\"jti\":\"@JTI@\","
		OP_TIMES OP_TAIL,
		"{\"token-type\":\"OperationToken\",\"jti\":\"@JTI@\","
		OP_TIMES OP_TAIL,
		"{\"token-type\":\"OperationToken\","
		"\"operation-reference-number\":\"@REF@\"," OP_TIMES OP_TAIL,
		OP_HEAD "\"exp\":1760000900," OP_TAIL,
		OP_HEAD "\"iat\":1760000000," OP_TAIL,
		OP_HEAD "\"iat\":1760000000,\"exp\":\"1760000900\"," OP_TAIL,
		OP_HEAD "\"iat\":1760000000,\"exp\":1760000900.5," OP_TAIL,
		OP_HEAD "\"iat\":1760000000,\"exp\":null," OP_TAIL,
		OP_HEAD OP_TIMES "\"aud\":\"ksefd\"}",
		OP_HEAD OP_TIMES "\"iss\":\"ksefd\",\"aud\":\"ksef-api-ti\"}",
		OP_HEAD OP_TIMES "\"iss\":\"ksefd\",\"aud\":[\"ksefd\"]}",
		OP_HEAD "\"iat\":1760000901,\"exp\":1760000900," OP_TAIL,
		OP_HEAD "\"iat\":-1,\"exp\":1760000900," OP_TAIL,
		OP_HEAD "\"iat\":0,\"exp\":253402300800," OP_TAIL,
		OP_HEAD OP_TIMES "\"token-type\":\"OperationToken\"," OP_TAIL,
		OP_HEAD OP_TIMES "\"context-identifier-type\":\"Nip\"," OP_TAIL,
		OP_HEAD OP_TIMES "\"context-identifier-type\":\"Nip\","
		"\"context-identifier-value\":\"52658 77635\"," OP_TAIL,
		OP_HEAD OP_TIMES "\"authentication-method\":\"Token\\u0000\","
		OP_TAIL,
		OP_HEAD OP_TIMES "\"authentication-method\":"
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"," OP_TAIL,
		OP_HEAD OP_TIMES "\"permissions\":\"\"," OP_TAIL,
	};
	/* The wrong kind of reference, and jtis of the wrong shape. */
	const char *const refs[][2] = {
		{ so, GOOD_JTI },
		{ "20251009-AU-0000000000-0000000000-00", GOOD_JTI },
		{ "", GOOD_JTI },
		{ au, "0123456789ABCDEF0123456789ABCDEF" },
		{ au, "0123456789abcdef0123456789abcde" },
		{ au, "0123456789abcdef0123456789abcdef0" },
		{ au, "" },
	};
	char body[2048], t[JWT_TOKEN_MAX];
	jwt_claims out;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(tmpls) / sizeof(tmpls[0]); i++) {
		fill(body, sizeof(body), tmpls[i], au, GOOD_JTI);
		forge(t, sizeof(t), HS256_HEADER, body, secret, SECRET_LEN);
		rc = verify(&out, t, NOW_MS);
		/* A repeated claim and a NUL in a string are JSON errors;
		 * the rest are claims. */
		if (rc != (i == 0 ? 0 : i == 15 || i == 18 ? KSEF_EPARSE :
			   KSEF_EFORMAT))
			fail_msg("template %zu: %d", i, rc);
	}
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		fill(body, sizeof(body), OP_HEAD OP_TIMES OP_TAIL, refs[i][0],
		     refs[i][1]);
		forge(t, sizeof(t), HS256_HEADER, body, secret, SECRET_LEN);
		rc = verify(&out, t, NOW_MS);
		if (rc != KSEF_EFORMAT)
			fail_msg("reference/jti %zu: %d", i, rc);
	}
}

static void issue_refuses_claims_it_could_not_verify(void **state)
{
	jwt_claims c;
	char *token = (char *)"untouched";
	ksef_error err;
	int i;

	(void)state;
	for (i = 0; i < 13; i++) {
		c = claims(JWT_ACCESS, 900);
		switch (i) {
		case 0: c.reference[0] = '\0'; break;
		case 1: strcpy(c.reference, so); break;
		case 2: c.context_value[0] = '\0'; break;
		case 3: c.auth_method[0] = '\0'; break;
		case 4: strcpy(c.permissions, ",InvoiceRead"); break;
		case 5: strcpy(c.permissions, "InvoiceRead,"); break;
		case 6: strcpy(c.permissions, "Invoice Read"); break;
		case 7: memset(c.context_type, 'N', sizeof(c.context_type));
			break;
		case 8: c.kind = (jwt_kind)7; break;
		case 9: c.exp = c.iat - 1; break;
		case 10: c.jti[0] = '\0'; break;
		case 11: strcpy(c.context_value, "5265877635\""); break;
		case 12: c.kind = JWT_REFRESH; break; /* with permissions */
		}
		assert_int_equal(jwt_issue(&token, secret, SECRET_LEN, &c,
					   &err), KSEF_EINVAL);
		assert_null(token);
		token = (char *)"untouched";
	}
	c = claims(JWT_ACCESS, 900);
	assert_int_equal(jwt_issue(&token, secret, JWT_SECRET_MIN - 1, &c,
				   NULL), KSEF_EINVAL);
	assert_int_equal(jwt_issue(&token, NULL, SECRET_LEN, &c, NULL),
			 KSEF_EINVAL);
	assert_int_equal(jwt_issue(&token, secret, SECRET_LEN, NULL, NULL),
			 KSEF_EINVAL);
	assert_int_equal(jwt_issue(NULL, secret, SECRET_LEN, &c, NULL),
			 KSEF_EINVAL);
}

static void claims_init_makes_fresh_ids_and_checks_its_bounds(void **state)
{
	jwt_claims a, b;
	size_t i;

	(void)state;
	assert_int_equal(jwt_claims_init(&a, JWT_REFRESH, NOW_MS + 999,
					 7 * 86400, NULL), 0);
	assert_int_equal(jwt_claims_init(&b, JWT_REFRESH, NOW_MS, 1, NULL), 0);
	assert_int_equal(strlen(a.jti), 32);
	for (i = 0; i < 32; i++)
		assert_non_null(strchr("0123456789abcdef", a.jti[i]));
	assert_string_not_equal(a.jti, b.jti);
	assert_int_equal(a.iat, NOW_MS / 1000);
	assert_int_equal(a.exp, NOW_MS / 1000 + 7 * 86400);
	assert_string_equal(a.reference, "");

	assert_int_equal(jwt_claims_init(&a, JWT_ACCESS, NOW_MS, 0, NULL),
			 KSEF_EINVAL);
	assert_int_equal(jwt_claims_init(&a, JWT_ACCESS, NOW_MS,
					 JWT_LIFETIME_MAX + 1, NULL),
			 KSEF_EINVAL);
	assert_int_equal(jwt_claims_init(&a, JWT_ACCESS, -1, 900, NULL),
			 KSEF_EINVAL);
	assert_int_equal(jwt_claims_init(&a, (jwt_kind)0, NOW_MS, 900, NULL),
			 KSEF_EINVAL);
	assert_int_equal(jwt_claims_init(NULL, JWT_ACCESS, NOW_MS, 900, NULL),
			 KSEF_EINVAL);
	assert_string_equal(jwt_kind_name(JWT_OPERATION), "OperationToken");
	assert_string_equal(jwt_kind_name(JWT_ACCESS), "ContextToken");
	assert_string_equal(jwt_kind_name(JWT_REFRESH), "RefreshToken");
	assert_null(jwt_kind_name((jwt_kind)0));
}

static void verify_checks_its_own_arguments(void **state)
{
	jwt_claims out;

	(void)state;
	assert_int_equal(jwt_verify(NULL, secret, SECRET_LEN, "a.b.c", 5,
				    NOW_MS, NULL), KSEF_EINVAL);
	assert_int_equal(jwt_verify(&out, NULL, SECRET_LEN, "a.b.c", 5,
				    NOW_MS, NULL), KSEF_EINVAL);
	assert_int_equal(jwt_verify(&out, secret, 5, "a.b.c", 5, NOW_MS,
				    NULL), KSEF_EINVAL);
	assert_int_equal(jwt_verify(&out, secret, SECRET_LEN, NULL, 5,
				    NOW_MS, NULL), KSEF_EINVAL);
	assert_int_equal(jwt_verify(&out, secret, SECRET_LEN, NULL, 0,
				    NOW_MS, NULL), KSEF_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verify_checks_its_own_arguments),
		cmocka_unit_test(garbage_is_not_a_token),
		cmocka_unit_test(
			an_over_long_token_is_refused_by_its_length_alone),
		cmocka_unit_test(any_alg_but_hs256_is_refused),
		cmocka_unit_test(a_tampered_payload_fails_the_signature),
		cmocka_unit_test(a_tampered_signature_fails),
		cmocka_unit_test(another_secret_does_not_verify),
		cmocka_unit_test(a_token_expires_at_exp_exactly),
		cmocka_unit_test(missing_or_ill_typed_claims_are_refused),
		cmocka_unit_test(genuine_tokens_with_bad_claims_are_refused),
		cmocka_unit_test(issue_refuses_claims_it_could_not_verify),
		cmocka_unit_test(each_kind_of_token_round_trips),
		cmocka_unit_test(an_ip_bound_access_token_says_so),
		cmocka_unit_test(an_operation_token_may_carry_its_context),
		cmocka_unit_test(
			an_access_token_without_permissions_keeps_the_claim),
		cmocka_unit_test(the_header_is_hs256_and_the_mac_is_standard),
		cmocka_unit_test(permissions_are_matched_by_whole_names),
		cmocka_unit_test(
			claims_init_makes_fresh_ids_and_checks_its_bounds),
	};
	return cmocka_run_group_tests(tests, make_refs, NULL);
}
