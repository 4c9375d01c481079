/*
 * presign_test.c - pre-signed links (presign.c): made and checked, and
 * refused when the path, the expiry or the signature is altered, when
 * expired, and when the query is malformed.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "presign.h"

/* 00 01 .. 1f: the key of the known-answer vector below. */
static unsigned char secret[32];

#define SES "/storage/20250101-SE-0000000000-0000000000-0"
#define PATH SES "0/session-upo/1.xml"
#define EXP_S 1700000000LL
/* printf '<PATH>\n1700000000' | openssl dgst -sha256 -mac HMAC \
 *   -macopt hexkey:000102..1f -binary | base64 | tr '+/' '-_' | tr -d '=' */
#define KAT_SIG "qibpN4G44WvizdcOCuuFo2xklJaAF_2J7nPhCACoJAU"

static int setup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (unsigned char)i;
	return 0;
}

/* The se and sig of a link, as a client would send them back. */
static void query_of(const char *url, char *se, size_t se_size, char *sig,
		     size_t sig_size)
{
	const char *q = strchr(url, '?'), *amp;

	assert_non_null(q);
	assert_true(strncmp(q, "?se=", 4) == 0);
	amp = strchr(q, '&');
	assert_non_null(amp);
	assert_true((size_t)(amp - (q + 4)) < se_size);
	memcpy(se, q + 4, (size_t)(amp - (q + 4)));
	se[amp - (q + 4)] = '\0';
	assert_true(strncmp(amp, "&sig=", 5) == 0);
	assert_true(strlen(amp + 5) < sig_size);
	strcpy(sig, amp + 5);
}

static void a_link_is_made_and_then_checks_until_it_expires(void **state)
{
	char se[32], sig[PRESIGN_SIG_BUFSZ + 8];
	char *url = presign_link(secret, sizeof(secret), 0, "ksef.local:8080",
				 PATH, EXP_S * 1000);

	(void)state;
	assert_non_null(url);
	assert_string_equal(url, "http://ksef.local:8080" PATH
			    "?se=1700000000&sig=" KAT_SIG);
	query_of(url, se, sizeof(se), sig, sizeof(sig));
	assert_int_equal(presign_verify(secret, sizeof(secret), PATH, se, sig,
					EXP_S * 1000 - 3600 * 1000), 0);
	assert_int_equal(presign_verify(secret, sizeof(secret), PATH, se, sig,
					EXP_S * 1000 - 1), 0);
	free(url);
}

static void the_signature_is_the_hmac_of_path_and_expiry(void **state)
{
	(void)state;
	/* The known answer, made with the openssl command (see KAT_SIG). */
	assert_int_equal(presign_verify(secret, sizeof(secret), PATH,
					"1700000000", KAT_SIG, 0), 0);
}

static void the_expiry_is_cut_to_whole_seconds_and_https_kept(void **state)
{
	char *url = presign_link(secret, sizeof(secret), 1, "example.org",
				 PATH, EXP_S * 1000 + 999);

	(void)state;
	assert_non_null(url);
	assert_string_equal(url, "https://example.org" PATH
			    "?se=1700000000&sig=" KAT_SIG);
	free(url);
}

static void an_altered_path_is_refused(void **state)
{
	static const char *const others[] = {
		SES "0/session-upo/2.xml",
		SES "1/session-upo/1.xml",
		SES "0/invoice-upo/1.xml",
		PATH "/",
		PATH "x",
		SES "0/session-upo/1.xm",
		"",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_int_equal(presign_verify(secret, sizeof(secret),
						others[i], "1700000000",
						KAT_SIG, 0), -1);
}

static void an_altered_expiry_is_refused(void **state)
{
	static const char *const others[] = {
		"1700000001",     /* extended by a second */
		"1699999999",     /* shortened */
		"2700000000",     /* extended by years */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_int_equal(presign_verify(secret, sizeof(secret), PATH,
						others[i], KAT_SIG, 0), -1);
	/* What is signed is the number, so another spelling of the same
	 * expiry grants nothing more. */
	assert_int_equal(presign_verify(secret, sizeof(secret), PATH,
					"01700000000", KAT_SIG, 0), 0);
}

static void an_expired_link_is_refused_from_its_expiry_on(void **state)
{
	(void)state;
	assert_int_equal(presign_verify(secret, sizeof(secret), PATH,
					"1700000000", KAT_SIG,
					EXP_S * 1000 - 1), 0);
	assert_int_equal(presign_verify(secret, sizeof(secret), PATH,
					"1700000000", KAT_SIG, EXP_S * 1000),
			 -1);
	assert_int_equal(presign_verify(secret, sizeof(secret), PATH,
					"1700000000", KAT_SIG,
					EXP_S * 1000 + 86400 * 1000), -1);
}

static void a_signature_under_another_secret_is_refused(void **state)
{
	unsigned char other[32];

	(void)state;
	memcpy(other, secret, sizeof(other));
	other[31] ^= 1;
	assert_int_equal(presign_verify(other, sizeof(other), PATH,
					"1700000000", KAT_SIG, 0), -1);
}

static void a_malformed_query_is_refused(void **state)
{
	static const struct {
		const char *se, *sig;
	} bad[] = {
		{ NULL, KAT_SIG },
		{ "1700000000", NULL },
		{ NULL, NULL },
		{ "", KAT_SIG },
		{ "1700000000", "" },
		{ "abc", KAT_SIG },
		{ "-1", KAT_SIG },
		{ "+1700000000", KAT_SIG },
		{ " 1700000000", KAT_SIG },
		{ "1700000000 ", KAT_SIG },
		{ "1.7e9", KAT_SIG },
		{ "99999999999999999999", KAT_SIG },   /* overflows int64 */
		{ "9223372036854776", KAT_SIG },       /* ms would overflow */
		{ "1700000000", KAT_SIG "=" },         /* padded Base64 */
		{ "1700000000", KAT_SIG "A" },
		{ "1700000000", "qibpN4G44WvizdcOCuuFo2xklJaAF_2J7nPhCACoJA" },
		{ "1700000000", "QibpN4G44WvizdcOCuuFo2xklJaAF_2J7nPhCACoJAU" },
		{ "1700000000", "qibpN4G44WvizdcOCuuFo2xklJaAF/2J7nPhCACoJAU" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(presign_verify(secret, sizeof(secret), PATH,
						bad[i].se, bad[i].sig, 0), -1);
}

static void a_host_that_could_change_the_link_falls_back_to_loopback(
	void **state)
{
	static const char *const hosts[] = {
		NULL, "evil.example/x", "a?b", "a#b", "user@host", "a b",
		"a\r\nSet-Cookie: x",
	};
	char longest[300];
	char *url;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		url = presign_link(secret, sizeof(secret), 0, hosts[i], PATH,
				   EXP_S * 1000);
		assert_non_null(url);
		assert_true(strncmp(url, "http://127.0.0.1" PATH "?",
				    strlen("http://127.0.0.1" PATH "?")) == 0);
		free(url);
	}
	/* 255 bytes is a host name's limit; one more is refused. */
	memset(longest, 'h', 256);
	longest[256] = '\0';
	url = presign_link(secret, sizeof(secret), 0, longest, PATH, 0);
	assert_non_null(url);
	assert_true(strncmp(url, "http://127.0.0.1/", 17) == 0);
	free(url);
	longest[255] = '\0';
	url = presign_link(secret, sizeof(secret), 0, longest, PATH, 0);
	assert_non_null(url);
	assert_true(strncmp(url + 7, longest, 255) == 0);
	free(url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			a_link_is_made_and_then_checks_until_it_expires),
		cmocka_unit_test(the_signature_is_the_hmac_of_path_and_expiry),
		cmocka_unit_test(
			the_expiry_is_cut_to_whole_seconds_and_https_kept),
		cmocka_unit_test(an_altered_path_is_refused),
		cmocka_unit_test(an_altered_expiry_is_refused),
		cmocka_unit_test(an_expired_link_is_refused_from_its_expiry_on),
		cmocka_unit_test(a_signature_under_another_secret_is_refused),
		cmocka_unit_test(a_malformed_query_is_refused),
		cmocka_unit_test(
		  a_host_that_could_change_the_link_falls_back_to_loopback),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
