/*
 * error_test.c - ksef_strerror() describes every code every public header
 * defines, each in words of its own. The codes are read from the headers
 * themselves (every "#define KSEF_E... -N" under include/ksef/), so a code
 * added to any module without a description fails here.
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
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		every_code_of_every_header_has_a_description_of_its_own),
		cmocka_unit_test(no_two_codes_share_a_value),
		cmocka_unit_test(the_xades_codes_are_described),
		cmocka_unit_test(what_is_no_code_is_an_unknown_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
