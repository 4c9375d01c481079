/*
 * jwt_cache_test.c - the cache of verified bearer tokens (jwt_cache.c)
 * answers what jwt_verify() answers: the same claims for a good token,
 * the same refusal for a tampered, foreign or expired one, also after the
 * good one was cached, and many tokens through a small table lose none.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/number.h"
#include "jwt_cache.h"

#define NOW_MS INT64_C(1760000000000)
static const unsigned char secret[] = "ksefd-test-secret-0123456789abcd";
static const unsigned char other[] = "ksefd-test-secret-0123456789abce";
#define SECRET_LEN (sizeof(secret) - 1)

static char *issue(int64_t lifetime_s, const char *perms)
{
	jwt_claims c;
	char *token = NULL;

	assert_int_equal(jwt_claims_init(&c, JWT_ACCESS, NOW_MS, lifetime_s,
					 NULL), 0);
	assert_int_equal(ksef_refnum_generate(c.reference, KSEF_REFNUM_AUTH,
			 ksef_time_warsaw(NOW_MS), NULL), 0);
	strcpy(c.context_type, "Nip");
	strcpy(c.context_value, "5265877635");
	strcpy(c.auth_method, "Token");
	snprintf(c.permissions, sizeof(c.permissions), "%s", perms);
	assert_int_equal(jwt_issue(&token, secret, SECRET_LEN, &c, NULL), 0);
	return token;
}

static int verify(jwt_cache *c, jwt_claims *out, const unsigned char *key,
		  const char *token, int64_t now_ms)
{
	return jwt_cache_verify(c, out, key, SECRET_LEN, token, strlen(token),
				now_ms, NULL);
}

static void a_cached_token_gives_the_same_claims(void **state)
{
	jwt_cache *c = NULL;
	jwt_claims a, b, direct;
	char *t = issue(900, "InvoiceWrite");

	(void)state;
	assert_int_equal(jwt_cache_new(&c), 0);
	assert_int_equal(verify(c, &a, secret, t, NOW_MS), 0);
	assert_int_equal(verify(c, &b, secret, t, NOW_MS + 1000), 0);
	assert_int_equal(jwt_verify(&direct, secret, SECRET_LEN, t, strlen(t),
				    NOW_MS, NULL), 0);
	assert_memory_equal(&a, &direct, sizeof(a));
	assert_memory_equal(&b, &direct, sizeof(b));
	assert_string_equal(b.permissions, "InvoiceWrite");
	jwt_cache_free(c);
	free(t);
}

static void refusals_are_never_cached_as_successes(void **state)
{
	jwt_cache *c = NULL;
	jwt_claims out;
	char *t = issue(900, "InvoiceWrite");
	size_t n = strlen(t);

	(void)state;
	assert_int_equal(jwt_cache_new(&c), 0);
	assert_int_equal(verify(c, &out, secret, t, NOW_MS), 0);
	/* A token one character off is another token: refused. */
	t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A';
	assert_int_not_equal(verify(c, &out, secret, t, NOW_MS), 0);
	assert_int_not_equal(verify(c, &out, secret, t, NOW_MS), 0);
	jwt_cache_free(c);
	free(t);

	/* Refused under another secret before it is cached. */
	assert_int_equal(jwt_cache_new(&c), 0);
	t = issue(900, "InvoiceWrite");
	assert_int_not_equal(verify(c, &out, other, t, NOW_MS), 0);
	jwt_cache_free(c);
	free(t);
}

static void a_cached_token_still_expires_at_exp(void **state)
{
	jwt_cache *c = NULL;
	jwt_claims out;
	ksef_error err;
	char *t = issue(60, "InvoiceWrite");

	(void)state;
	assert_int_equal(jwt_cache_new(&c), 0);
	assert_int_equal(verify(c, &out, secret, t, NOW_MS), 0);
	assert_int_equal(verify(c, &out, secret, t, NOW_MS + 59999), 0);
	assert_int_equal(jwt_cache_verify(c, &out, secret, SECRET_LEN, t,
					  strlen(t), NOW_MS + 60000, &err),
			 JWT_EEXPIRED);
	jwt_cache_free(c);
	free(t);
}

static void many_tokens_share_a_small_table(void **state)
{
	enum { N = 600 };
	jwt_cache *c = NULL;
	jwt_claims out;
	char *t[N], perms[32];
	int i, round;

	(void)state;
	assert_int_equal(jwt_cache_new(&c), 0);
	for (i = 0; i < N; i++) {
		snprintf(perms, sizeof(perms), "P%d", i);
		t[i] = issue(900, perms);
	}
	for (round = 0; round < 2; round++)
		for (i = 0; i < N; i++) {
			snprintf(perms, sizeof(perms), "P%d", i);
			assert_int_equal(verify(c, &out, secret, t[i], NOW_MS),
					 0);
			assert_string_equal(out.permissions, perms);
		}
	for (i = 0; i < N; i++)
		free(t[i]);
	jwt_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_cached_token_gives_the_same_claims),
		cmocka_unit_test(refusals_are_never_cached_as_successes),
		cmocka_unit_test(a_cached_token_still_expires_at_exp),
		cmocka_unit_test(many_tokens_share_a_small_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
