/*
 * error_test.c - ksef_strerror() describes every code every public header
 * defines, each in words of its own. The codes are read from the headers
 * themselves (every "#define KSEF_E... -N" under include/ksef/), so a code
 * added to any module without a description fails here. And
 * ksef_error_set(), which programs use to fill one, bounds its message.
 */
#include "testsupport.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/error.h"
#include "ksef/xades.h"

/* Every code the headers define, with its name. */
struct code {
	char name[64];
	int value;
};

#define MAX_CODES 256

/* Read "#define KSEF_E<NAME> -<N>" lines from one header. */
static size_t read_codes(struct code *out, size_t n, size_t max,
			 const char *path)
{
	char line[512], name[64];
	FILE *f = fopen(path, "r");
	int value;

	if (f == NULL)
		fail_msg("cannot read %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "#define %63s %d", name, &value) != 2 ||
		    strncmp(name, "KSEF_E", 6) != 0 || value >= 0)
			continue;
		assert_true(n < max);
		snprintf(out[n].name, sizeof(out[n].name), "%s", name);
		out[n].value = value;
		n++;
	}
	fclose(f);
	return n;
}

/* Every KSEF_E* code of every public header. */
static size_t all_codes(struct code *out, size_t max)
{
	const char *src = getenv("KSEF_SOURCE_DIR");
	char dir[4096], path[4200];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	if (src == NULL)
		fail_msg("KSEF_SOURCE_DIR is not set; run the tests with "
			 "ctest");
	snprintf(dir, sizeof(dir), "%s/include/ksef", src);
	if ((d = opendir(dir)) == NULL)
		fail_msg("cannot open %s", dir);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len < 3 || strcmp(e->d_name + len - 2, ".h") != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
		    (int)sizeof(path))
			fail_msg("the path of %s is too long", e->d_name);
		n = read_codes(out, n, max, path);
	}
	closedir(d);
	return n;
}

static void every_code_of_every_header_has_a_description_of_its_own(
	void **state)
{
	struct code codes[MAX_CODES];
	size_t n, i, j;

	(void)state;
	n = all_codes(codes, MAX_CODES);
	/* error.h's thirteen and xades.h's twelve, at least. */
	assert_true(n >= 25);
	for (i = 0; i < n; i++) {
		const char *text = ksef_strerror(codes[i].value);

		assert_non_null(text);
		if (strcmp(text, "unknown error") == 0 || text[0] == '\0')
			fail_msg("%s (%d) has no description", codes[i].name,
				 codes[i].value);
		if (strcmp(text, ksef_strerror(KSEF_OK)) == 0)
			fail_msg("%s reads as success", codes[i].name);
		for (j = 0; j < i; j++)
			if (codes[j].value != codes[i].value &&
			    strcmp(text, ksef_strerror(codes[j].value)) == 0)
				fail_msg("%s and %s share \"%s\"",
					 codes[j].name, codes[i].name, text);
	}
}

static void no_two_codes_share_a_value(void **state)
{
	struct code codes[MAX_CODES];
	size_t n, i, j;

	(void)state;
	n = all_codes(codes, MAX_CODES);
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (codes[i].value == codes[j].value)
				fail_msg("%s and %s are both %d",
					 codes[j].name, codes[i].name,
					 codes[i].value);
}

static void the_xades_codes_are_described(void **state)
{
	/* Named here too, so that the list above cannot come up empty. */
	static const int xades[] = {
		KSEF_EXADES_NOSIG, KSEF_EXADES_MANYSIG,
		KSEF_EXADES_NOT_ENVELOPED, KSEF_EXADES_STRUCTURE,
		KSEF_EXADES_ALGORITHM, KSEF_EXADES_DIGEST,
		KSEF_EXADES_SIGVALUE, KSEF_EXADES_CERT,
		KSEF_EXADES_CERT_EXPIRED, KSEF_EXADES_CERT_NOT_YET,
		KSEF_EXADES_ENCODING, KSEF_EXADES_CONTENT,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(xades) / sizeof(xades[0]); i++)
		assert_string_not_equal(ksef_strerror(xades[i]),
					"unknown error");
	assert_non_null(strstr(ksef_strerror(KSEF_EXADES_CERT_EXPIRED),
			       "expired"));
}

static void what_is_no_code_is_an_unknown_error(void **state)
{
	(void)state;
	assert_string_equal(ksef_strerror(KSEF_OK), "success");
	assert_string_equal(ksef_strerror(1), "unknown error");
	assert_string_equal(ksef_strerror(-100), "unknown error");
	assert_string_equal(ksef_strerror(-1000), "unknown error");
}

static void set_fills_code_line_and_message_and_returns_the_code(
	void **state)
{
	ksef_error err;

	(void)state;
	memset(&err, 0x5A, sizeof(err));
	err.line = 12;
	assert_int_equal(ksef_error_set(&err, KSEF_EIO, "cannot read %s: %d",
					"inv.xml", 2), KSEF_EIO);
	assert_int_equal(err.code, KSEF_EIO);
	/* A program's error has no input line: an old one is cleared. */
	assert_int_equal(err.line, 0);
	assert_string_equal(err.message, "cannot read inv.xml: 2");
}

static void set_with_a_null_error_only_returns_the_code(void **state)
{
	(void)state;
	assert_int_equal(ksef_error_set(NULL, KSEF_ENOMEM, "out of memory"),
			 KSEF_ENOMEM);
	assert_int_equal(ksef_error_set(NULL, 0, "%s", "fine"), 0);
}

static void set_cuts_a_long_message_at_the_buffer_and_terminates_it(
	void **state)
{
	char longer[KSEF_ERROR_MESSAGE_MAX * 2];
	ksef_error err;

	(void)state;
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(ksef_error_set(&err, KSEF_ETOOBIG, "%s!", longer),
			 KSEF_ETOOBIG);
	assert_int_equal(strlen(err.message), KSEF_ERROR_MESSAGE_MAX - 1);
	assert_int_equal(err.message[0], 'x');
	assert_int_equal(err.message[KSEF_ERROR_MESSAGE_MAX - 2], 'x');
}

static void set_keeps_a_message_of_exactly_the_limit_whole(void **state)
{
	char exact[KSEF_ERROR_MESSAGE_MAX];
	ksef_error err;

	(void)state;
	memset(exact, 'y', sizeof(exact) - 1);
	exact[sizeof(exact) - 1] = '\0';
	ksef_error_set(&err, KSEF_EPARSE, "%s", exact);
	assert_string_equal(err.message, exact);
}

static void set_without_a_format_leaves_the_message_empty(void **state)
{
	/* Through a pointer, which has no format attribute to trip over. */
	int (*set)(ksef_error *, int, const char *, ...) = ksef_error_set;
	ksef_error err;

	(void)state;
	strcpy(err.message, "old");
	assert_int_equal(set(&err, KSEF_EINVAL, NULL), KSEF_EINVAL);
	assert_int_equal(err.code, KSEF_EINVAL);
	assert_string_equal(err.message, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		  set_fills_code_line_and_message_and_returns_the_code),
		cmocka_unit_test(set_with_a_null_error_only_returns_the_code),
		cmocka_unit_test(
		  set_cuts_a_long_message_at_the_buffer_and_terminates_it),
		cmocka_unit_test(
			set_keeps_a_message_of_exactly_the_limit_whole),
		cmocka_unit_test(set_without_a_format_leaves_the_message_empty),
		cmocka_unit_test(
		every_code_of_every_header_has_a_description_of_its_own),
		cmocka_unit_test(no_two_codes_share_a_value),
		cmocka_unit_test(the_xades_codes_are_described),
		cmocka_unit_test(what_is_no_code_is_an_unknown_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
