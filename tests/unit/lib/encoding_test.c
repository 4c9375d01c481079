#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/encoding.h"
#include "ksef/error.h"

/* Decode a C string with a generous max. */
static int decode(ksef_buf *out, const char *s, size_t max)
{
	return ksef_base64_decode(out, s, strlen(s), max, NULL);
}

static void decode_refuses_malformed_base64(void **state)
{
	/* Each row is one way text can fail to be strict RFC 4648 Base64.
	 * Lengths are explicit so that an embedded NUL is tested too. */
	static const struct {
		const char *text;
		size_t len;
	} bad[] = {
		{ "=", 1 },
		{ "A", 1 },
		{ "AB", 2 },            /* missing padding */
		{ "ABC", 3 },
		{ "AB=", 3 },
		{ "ABCDE", 5 },
		{ "====", 4 },
		{ "A===", 4 },          /* three pads encode nothing */
		{ "A=BC", 4 },          /* '=' inside */
		{ "AB=C", 4 },
		{ "AB==AB==", 8 },      /* padding, then more data */
		{ "ABCD\n", 5 },        /* trailing newline */
		{ "ABCD\nABCD", 9 },    /* a line break, as PEM has */
		{ " ABC", 4 },          /* leading space (OpenSSL skips it) */
		{ "ABC ", 4 },          /* trailing space (OpenSSL trims it) */
		{ "AB C", 4 },
		{ "AB\tC", 4 },
		{ "AB\rC", 4 },
		{ "AB-_", 4 },          /* base64url alphabet */
		{ "AB.C", 4 },
		{ "ABC\0", 4 },         /* embedded NUL */
		{ "AB\xc3\xa9", 4 },    /* UTF-8 'é' */
	};
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.message[0] = '\0';
		if (ksef_base64_decode(&out, bad[i].text, bad[i].len, 100,
				       &err) != KSEF_EPARSE)
			fail_msg("row %zu was accepted", i);
		assert_int_equal(err.code, KSEF_EPARSE);
		assert_true(strlen(err.message) > 0);
		assert_null(out.ptr);
	}
}

static void decode_refuses_output_over_max_by_length_alone(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	/* "Zm9vYmFy" is 6 bytes: max 6 is the limit, 5 is one under. */
	assert_int_equal(decode(&out, "Zm9vYmFy", 6), 0);
	assert_int_equal(out.size, 6);
	assert_int_equal(ksef_base64_decode(&out, "Zm9vYmFy", 8, 5, &err),
			 KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "limit of 5"));
	/* Output is unchanged on failure. */
	assert_int_equal(out.size, 6);
	assert_memory_equal(out.ptr, "foobar", 6);
	/* Padding counts: "Zm8=" is 2 bytes, so max 2 takes it. */
	assert_int_equal(decode(&out, "Zm8=", 2), 0);
	assert_int_equal(decode(&out, "Zm8=", 1), KSEF_ETOOBIG);
	/* A length claimed far beyond the data is refused before reading. */
	assert_int_equal(ksef_base64_decode(&out, "AAAA", (size_t)1 << 40, 32,
					    NULL), KSEF_ETOOBIG);
	ksef_buf_dispose(&out);
}

static void decode_rejects_null_arguments(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef_base64_decode(NULL, "AAAA", 4, 3, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_base64_decode(&out, NULL, 4, 3, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_base64_encode(NULL, (const unsigned char *)"a",
					    1, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_base64_encode(&out, NULL, 1, NULL), KSEF_EINVAL);
}

static void empty_text_decodes_to_zero_bytes(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef_base64_decode(&out, "", 0, 0, NULL), 0);
	assert_int_equal(out.size, 0);
	assert_non_null(out.ptr);
	ksef_buf_dispose(&out);
	assert_int_equal(ksef_base64_decode(&out, NULL, 0, 0, NULL), 0);
	assert_int_equal(out.size, 0);
	ksef_buf_dispose(&out);
}

static void rfc4648_vectors_encode_and_decode(void **state)
{
	/* RFC 4648 section 10. */
	static const char *vec[][2] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	ksef_buf out = KSEF_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		size_t n = strlen(vec[i][0]);

		assert_int_equal(ksef_base64_encode(&out,
			(const unsigned char *)vec[i][0], n, NULL), 0);
		assert_int_equal(out.size, strlen(vec[i][1]));
		assert_string_equal((char *)out.ptr, vec[i][1]);
		assert_int_equal(decode(&out, vec[i][1], 100), 0);
		assert_int_equal(out.size, n);
		assert_memory_equal(out.ptr, vec[i][0], n);
		assert_int_equal(out.ptr[n], '\0');
	}
	ksef_buf_dispose(&out);
}

static void padding_bits_need_not_be_zero(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;

	(void)state;
	/* "AB==" leaves four non-zero bits unused; RFC 4648 3.5 lets a
	 * decoder accept it, and it decodes to the same byte as "AA==". */
	assert_int_equal(decode(&out, "AB==", 1), 0);
	assert_int_equal(out.size, 1);
	assert_int_equal(out.ptr[0], 0);
	assert_int_equal(decode(&out, "AA==", 1), 0);
	assert_int_equal(out.size, 1);
	assert_int_equal(decode(&out, "+/+/", 3), 0);
	assert_memory_equal(out.ptr, "\xfb\xff\xbf", 3);
	ksef_buf_dispose(&out);
}

static void long_input_matches_openssl_base64_across_chunks(void **state)
{
	/* Longer than one internal chunk (48 KiB in, 64 KiB out) and not a
	 * multiple of 3, so chunk edges and the final padding both show. */
	enum { N = 200001 };
	char *dir = ts_mkdtemp(), path[512], path64[512];
	unsigned char *data = malloc(N);
	ksef_buf ours = KSEF_BUF_INIT, theirs = KSEF_BUF_INIT;
	ksef_buf back = KSEF_BUF_INIT;
	size_t i;

	(void)state;
	assert_non_null(data);
	for (i = 0; i < N; i++)
		data[i] = (unsigned char)(i * 7919u >> 3);
	snprintf(path, sizeof(path), "%s/in.bin", dir);
	snprintf(path64, sizeof(path64), "%s/in.b64", dir);
	ts_write_file(path, data, N);
	assert_int_equal(ts_system("openssl base64 -A -in '%s' -out '%s'",
				   path, path64), 0);
	ts_read_file(&theirs, path64);
	while (theirs.size > 0 && theirs.ptr[theirs.size - 1] == '\n')
		theirs.size--;

	assert_int_equal(ksef_base64_encode(&ours, data, N, NULL), 0);
	assert_int_equal(ours.size, theirs.size);
	assert_memory_equal(ours.ptr, theirs.ptr, ours.size);
	assert_int_equal(ksef_base64_decode(&back, (const char *)theirs.ptr,
					    theirs.size, N, NULL), 0);
	assert_int_equal(back.size, N);
	assert_memory_equal(back.ptr, data, N);
	/* One byte under the exact size is refused. */
	assert_int_equal(ksef_base64_decode(&back, (const char *)theirs.ptr,
					    theirs.size, N - 1, NULL),
			 KSEF_ETOOBIG);

	ksef_buf_dispose(&ours);
	ksef_buf_dispose(&theirs);
	ksef_buf_dispose(&back);
	free(data);
	ts_rmdir(dir);
}

/* Base64URL: RFC 4648's vectors without their padding, the two URL
 * characters, and the strictness the links need (one spelling a value). */
static void base64url_encodes_and_decodes_strictly(void **state)
{
	static const char *vec[][2] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" }, { "\xfb\xff\xbf", "-_-_" },
	};
	static const char *bad[] = {
		"Zm9vY", "Zg==", "Zm8=", "+/+/", "Zm9v/g", "Zh", "Zm9", "Zm9 ",
		"Zm\n9", "Z!",
	};
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		size_t n = strlen(vec[i][0]);

		assert_int_equal(ksef_base64url_encode(&out,
			(const unsigned char *)vec[i][0], n, NULL), 0);
		assert_string_equal((char *)out.ptr, vec[i][1]);
		assert_int_equal(ksef_base64url_decode(&out, vec[i][1],
			strlen(vec[i][1]), 100, NULL), 0);
		assert_int_equal(out.size, n);
		assert_memory_equal(out.ptr, vec[i][0], n);
	}
	/* "Zh" and "Zm9" spell "f" and "fo" with spare bits set: refused,
	 * as are padding, the standard alphabet's two characters, a length
	 * no encoding has and characters of neither alphabet. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ksef_base64url_decode(&out, bad[i], strlen(bad[i]), 100,
					  &err) != KSEF_EPARSE)
			fail_msg("\"%s\" was not refused", bad[i]);
	assert_int_equal(ksef_base64url_decode(&out, "Zm9vYmFy", 8, 5, NULL),
			 KSEF_ETOOBIG);
	assert_int_equal(ksef_base64url_decode(NULL, "Zg", 2, 5, NULL),
			 KSEF_EINVAL);
	ksef_buf_dispose(&out);
}

static void sha256_base64_of_abc_is_the_fips_vector(void **state)
{
	char b64[KSEF_SHA256_B64_LEN + 1];
	unsigned char md[KSEF_SHA256_LEN];

	(void)state;
	/* FIPS 180-2 appendix B.1, ba7816bf...f20015ad, in Base64, as
	 * printf abc | openssl dgst -sha256 -binary | openssl base64 gives. */
	assert_int_equal(ksef_sha256_base64(b64, (const unsigned char *)"abc",
					    3, NULL), 0);
	assert_string_equal(b64,
			    "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
	assert_int_equal(strlen(b64), KSEF_SHA256_B64_LEN);
	assert_int_equal(ksef_sha256(md, (const unsigned char *)"abc", 3,
				     NULL), 0);
	assert_memory_equal(md, "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41"
			    "\x40\xde\x5d\xae\x22\x23\xb0\x03\x61\xa3\x96\x17"
			    "\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad", 32);
}

static void sha256_base64_of_nothing_is_the_empty_digest(void **state)
{
	char b64[KSEF_SHA256_B64_LEN + 1];

	(void)state;
	assert_int_equal(ksef_sha256_base64(b64, NULL, 0, NULL), 0);
	assert_string_equal(b64,
			    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	assert_int_equal(ksef_sha256_base64(b64, NULL, 1, NULL), KSEF_EINVAL);
	assert_string_equal(b64, "");
	assert_int_equal(ksef_sha256_base64(NULL, (const unsigned char *)"a",
					    1, NULL), KSEF_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_refuses_malformed_base64),
		cmocka_unit_test(decode_refuses_output_over_max_by_length_alone),
		cmocka_unit_test(decode_rejects_null_arguments),
		cmocka_unit_test(empty_text_decodes_to_zero_bytes),
		cmocka_unit_test(rfc4648_vectors_encode_and_decode),
		cmocka_unit_test(padding_bits_need_not_be_zero),
		cmocka_unit_test(long_input_matches_openssl_base64_across_chunks),
		cmocka_unit_test(base64url_encodes_and_decodes_strictly),
		cmocka_unit_test(sha256_base64_of_abc_is_the_fips_vector),
		cmocka_unit_test(sha256_base64_of_nothing_is_the_empty_digest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
