#include "testsupport.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/rand.h>
#include "ksef/number.h"
#include "ident.h"

/* The example in faktury/numer-ksef.md. */
static const char doc_example[] = "5265877635-20250826-0100001AF629-AF";

static int validate(const char *s)
{
	return ksef_number_validate(s, strlen(s), NULL);
}

/* Replace the last two characters of a 35-character number with the
 * right check value, so that a test can break one other thing only. */
static void fix_check(char *s)
{
	ksef__number_put_hex(s + 33, ksef__number_crc8(s, 32), 2);
}

static void refuses_empty_short_and_long_input(void **state)
{
	char s[64];
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_number_validate("", 0, &err), KSEF_EFORMAT);
	assert_int_equal(ksef_number_validate(NULL, 0, NULL), KSEF_EFORMAT);
	assert_int_equal(ksef_number_validate(NULL, 35, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_number_validate("5", 1, NULL), KSEF_EFORMAT);
	/* One short: the reading stops at the length, not at a NUL. */
	assert_int_equal(ksef_number_validate(doc_example, 34, &err),
			 KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "34 characters"));
	snprintf(s, sizeof(s), "%sF", doc_example);
	assert_int_equal(validate(s), KSEF_EFORMAT);
	snprintf(s, sizeof(s), "%s--", doc_example);
	assert_int_equal(validate(s), KSEF_EFORMAT);
}

static void refuses_the_36_character_ksef_1_form(void **state)
{
	/* The OpenAPI pattern allows a hyphen in the middle of the technical
	 * part (KSeF 1.0); KSeF 2.0 never issues it, so we refuse it. */
	char s[] = "5265877635-20250826-0100001AF629-AF";
	char legacy[40];
	ksef_error err;

	(void)state;
	snprintf(legacy, sizeof(legacy), "%.26s-%s", s, s + 26);
	assert_int_equal(strlen(legacy), 36);
	assert_int_equal(ksef_number_validate(legacy, 36, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "KSeF 1.0"));
}

static void refuses_lower_case_hex(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_number_validate(
		"5265877635-20250826-0100001af629-AF", 35, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "character 28"));
	assert_int_equal(validate("5265877635-20250826-0100001AF629-af"),
			 KSEF_EFORMAT);
}

static void refuses_a_day_that_does_not_exist(void **state)
{
	static const char *const dates[] = {
		"20250230", /* 30 February */
		"20250229", /* not a leap year */
		"21000229", /* 2100 is not a leap year */
		"20250001", "20251301", "20250100", "20250431",
		"20191231", /* before 2020, outside the OpenAPI pattern */
		"2025O826", /* a letter O */
	};
	char s[KSEF_NUMBER_BUFSZ];
	ksef_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		memcpy(s, doc_example, sizeof(s));
		memcpy(s + 11, dates[i], 8);
		fix_check(s);
		assert_int_equal(ksef_number_validate(s, 35, &err),
				 KSEF_EFORMAT);
		assert_int_equal(err.code, KSEF_EFORMAT);
	}
	/* The same edit with a day that exists passes. */
	memcpy(s, doc_example, sizeof(s));
	memcpy(s + 11, "20240229", 8);
	fix_check(s);
	assert_int_equal(validate(s), 0);
}

static void refuses_a_nip_outside_the_pattern(void **state)
{
	static const char *const nips[] = {
		"0265877635", /* leading zero */
		"5005877635", /* tax office 00 */
		"526587763A", "52658776 5",
	};
	char s[KSEF_NUMBER_BUFSZ];

	(void)state;
	for (size_t i = 0; i < sizeof(nips) / sizeof(nips[0]); i++) {
		memcpy(s, doc_example, sizeof(s));
		memcpy(s, nips[i], 10);
		fix_check(s);
		assert_int_equal(validate(s), KSEF_EFORMAT);
	}
	/* Only the pattern counts: 5265877636 has a bad NIP check digit. */
	memcpy(s, doc_example, sizeof(s));
	memcpy(s, "5265877636", 10);
	fix_check(s);
	assert_int_equal(validate(s), 0);
}

static void refuses_misplaced_hyphens(void **state)
{
	static const size_t at[] = { 10, 19, 32 };
	char s[KSEF_NUMBER_BUFSZ];

	(void)state;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		memcpy(s, doc_example, sizeof(s));
		s[at[i]] = '_';
		assert_int_equal(validate(s), KSEF_EFORMAT);
	}
}

static void a_wrong_check_value_is_a_checksum_error(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_number_validate(
		"5265877635-20250826-0100001AF629-AE", 35, &err),
		KSEF_ECHECKSUM);
	assert_int_equal(err.code, KSEF_ECHECKSUM);
	assert_non_null(strstr(err.message, "AF"));
}

static void every_single_character_change_is_refused(void **state)
{
	/* CRC-8 catches every burst of up to 8 bits, so changing any one
	 * character to any other must fail with one code or the other. */
	char s[KSEF_NUMBER_BUFSZ];

	(void)state;
	for (size_t i = 0; i < KSEF_NUMBER_LEN; i++) {
		for (int c = 1; c < 256; c++) {
			if ((char)c == doc_example[i])
				continue;
			memcpy(s, doc_example, sizeof(s));
			s[i] = (char)c;
			assert_int_not_equal(ksef_number_validate(s, 35, NULL),
					     0);
		}
	}
}

static void crc8_matches_the_catalogue_check_value(void **state)
{
	(void)state;
	/* CRC-8/SMBUS (poly 0x07, init 0, no reflection, xorout 0) of
	 * "123456789" is 0xF4 in the Williams/reveng catalogue. */
	assert_int_equal(ksef__number_crc8("123456789", 9), 0xF4);
	assert_int_equal(ksef__number_crc8("", 0), 0);
	assert_int_equal(ksef__number_crc8(doc_example, 32), 0xAF);
}

/*
 * Every KSeF number in ksef-docs, by where it appears. SPEC 7.2: all nine
 * distinct examples carry a valid check value.
 */
static void the_documented_examples_validate(void **state)
{
	static const char *const genuine[] = {
		/* faktury/numer-ksef.md */
		"5265877635-20250826-0100001AF629-AF",
		/* api-changelog.md, open-api.json */
		"5265877635-20250626-010080DD2B5E-26",
		/* open-api.json */
		"5265877635-20250925-010020A0A242-0A",
		"5555555555-20250828-010080615740-E4",
		/* faktury/upo/przyklady/v4-3/kontekst-nip/ */
		"5265877635-20250916-010040741B3E-46",
		/* .../kontekst-internal-id/ */
		"5265877635-20250916-0100C002FF3E-D5",
		"5265877635-20250916-02000009FF3E-FB",
		/* .../kontekst-id-zlozony-vat-ue/ */
		"5265877635-20250916-020000583241-84",
		/* .../kontekst-id-zlozony-vat-ue/ and .../kontekst-nip/ */
		"5265877635-20250916-0200A0D6723E-C2",
	};
	ksef_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(genuine) / sizeof(genuine[0]); i++) {
		if (ksef_number_validate(genuine[i], strlen(genuine[i]),
					 &err) != 0)
			fail_msg("%s: %s", genuine[i], err.message);
	}
}

static void parse_gives_back_the_parts(void **state)
{
	ksef_number_parts p;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_number_parse(&p, doc_example, 35, &err), 0);
	assert_string_equal(p.nip, "5265877635");
	assert_int_equal(p.date.year, 2025);
	assert_int_equal(p.date.month, 8);
	assert_int_equal(p.date.day, 26);
	assert_true(p.technical == UINT64_C(0x0100001AF629));

	/* A failure leaves the output alone. */
	memset(&p, 0x5A, sizeof(p));
	assert_int_equal(ksef_number_parse(&p, doc_example, 34, NULL),
			 KSEF_EFORMAT);
	assert_int_equal(p.date.year, 0x5A5A5A5A);
	assert_int_equal(ksef_number_parse(NULL, doc_example, 35, NULL),
			 KSEF_EINVAL);
}

static void generate_reproduces_the_documented_example(void **state)
{
	char out[KSEF_NUMBER_BUFSZ];
	ksef_date d = { 2025, 8, 26 };

	(void)state;
	assert_int_equal(ksef_number_generate(out, "5265877635", 10, d,
					      UINT64_C(0x0100001AF629), NULL),
			 0);
	assert_string_equal(out, doc_example);
	/* The NIP is read by length: a longer buffer is fine. */
	assert_int_equal(ksef_number_generate(out, "5555555555xyz", 10,
		(ksef_date){ 2025, 8, 28 }, UINT64_C(0x010080615740), NULL), 0);
	assert_string_equal(out, "5555555555-20250828-010080615740-E4");
}

static void generate_refuses_bad_arguments(void **state)
{
	char out[KSEF_NUMBER_BUFSZ] = "untouched";
	ksef_date d = { 2025, 8, 26 };
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_number_generate(out, "0265877635", 10, d, 1,
					      &err), KSEF_EFORMAT);
	assert_int_equal(ksef_number_generate(out, "5265877635", 9, d, 1,
					      NULL), KSEF_EFORMAT);
	assert_int_equal(ksef_number_generate(out, "5265877635", 10, d,
		KSEF_NUMBER_TECHNICAL_MAX + 1, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_number_generate(out, "5265877635", 10,
		(ksef_date){ 2025, 2, 30 }, 1, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_number_generate(out, "5265877635", 10,
		(ksef_date){ 2019, 12, 31 }, 1, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_number_generate(out, NULL, 10, d, 1, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_number_generate(NULL, "5265877635", 10, d, 1,
					      NULL), KSEF_EINVAL);
	assert_string_equal(out, "untouched");
	/* The largest technical part is fine. */
	assert_int_equal(ksef_number_generate(out, "5265877635", 10,
		(ksef_date){ 9999, 12, 31 }, KSEF_NUMBER_TECHNICAL_MAX, NULL), 0);
	assert_int_equal(validate(out), 0);
	assert_memory_equal(out + 11, "99991231-FFFFFFFFFFFF-", 22);
}

static void generated_numbers_validate_and_parse_back(void **state)
{
	(void)state;
	for (int i = 0; i < 5000; i++) {
		unsigned char r[12];
		char nip[KSEF_NIP_BUFSZ], out[KSEF_NUMBER_BUFSZ];
		ksef_number_parts p;
		ksef_date d;
		uint64_t tech = 0;
		int64_t first = ksef__time_days_from_civil(2020, 1, 1);
		int64_t last = ksef__time_days_from_civil(9999, 12, 31);
		uint32_t day = 0;

		assert_int_equal(RAND_bytes(r, sizeof(r)), 1);
		assert_int_equal(ksef_nip_generate(nip, NULL), 0);
		for (int k = 0; k < 6; k++)
			tech = tech << 8 | r[k];
		for (int k = 6; k < 10; k++)
			day = day << 8 | r[k];
		d = ksef__time_civil_from_days(first +
			(int64_t)(day % (uint32_t)(last - first + 1)));
		assert_int_equal(ksef_number_generate(out, nip, 10, d, tech,
						      NULL), 0);
		assert_int_equal(strlen(out), KSEF_NUMBER_LEN);
		assert_int_equal(ksef_number_parse(&p, out, 35, NULL), 0);
		assert_string_equal(p.nip, nip);
		assert_int_equal(ksef_date_cmp(p.date, d), 0);
		assert_true(p.technical == tech);
	}
}

/*
 * The docs scanner: every token shaped like a KSeF number in any text file
 * of ksef-docs. A shape is a string of 'D' (a digit), 'A' (a letter or
 * digit, either case, so that lower-case and placeholder copies are found
 * too) and '-'. A token may not touch another letter or digit, but may
 * touch a hyphen ("<ref>-001.zip.aes" names a batch part).
 */
struct found {
	char tok[40];
	int code;
	char file[128];
};

struct scan {
	const char *shape;
	size_t shape_len;
	int (*check)(const char *, size_t, ksef_error *);
	struct found items[256];
	size_t n;
	size_t occurrences;
};

static int is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static int shape_at(const char *p, const char *shape, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (shape[i] == 'D' && !(c >= '0' && c <= '9'))
			return 0;
		if (shape[i] == 'A' && !is_alnum(c))
			return 0;
		if (shape[i] == '-' && c != '-')
			return 0;
	}
	return 1;
}

static void scan_text(struct scan *sc, const char *text, size_t len,
		      const char *file)
{
	size_t n = sc->shape_len;

	for (size_t i = 0; i + n <= len; i++) {
		size_t k, fl;

		if ((i > 0 && is_alnum(text[i - 1])) ||
		    (i + n < len && is_alnum(text[i + n])) ||
		    !shape_at(text + i, sc->shape, n))
			continue;
		sc->occurrences++;
		for (k = 0; k < sc->n; k++)
			if (memcmp(sc->items[k].tok, text + i, n) == 0)
				break;
		if (k < sc->n)
			continue;
		assert_true(sc->n < sizeof(sc->items) / sizeof(sc->items[0]));
		memcpy(sc->items[k].tok, text + i, n);
		sc->items[k].tok[n] = '\0';
		sc->items[k].code = sc->check(text + i, n, NULL);
		fl = strlen(file);
		if (fl >= sizeof(sc->items[k].file))
			fl = sizeof(sc->items[k].file) - 1;
		memcpy(sc->items[k].file, file, fl);
		sc->items[k].file[fl] = '\0';
		sc->n++;
	}
}

static void scan_dir(struct scan *sc, const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		fail_msg("cannot open %s", dir);
	while ((e = readdir(d)) != NULL) {
		char path[4096], sub[1024];
		struct stat st;
		size_t nl = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
			 e->d_name);
		assert_int_equal(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			scan_dir(sc, path, sub);
		} else if (S_ISREG(st.st_mode) &&
			   !(nl > 4 && strcmp(e->d_name + nl - 4, ".png") == 0)) {
			ksef_buf b = KSEF_BUF_INIT;

			ts_read_file(&b, path);
			scan_text(sc, (const char *)b.ptr, b.size, sub);
			ksef_buf_dispose(&b);
		}
	}
	closedir(d);
}

struct known_bad {
	const char *tok;
	int code;
};

/* Scan the docs; the invalid tokens must be exactly the known ones, each
 * failing with its code, so a genuine example that stops validating (or a
 * new edited one) fails the test. Returns how many were valid. */
static size_t scan_docs(struct scan *sc, const struct known_bad *bad,
			size_t nbad)
{
	size_t valid = 0, invalid = 0;

	sc->shape_len = strlen(sc->shape);
	scan_dir(sc, ts_shared_path("ksef-docs"), "");
	for (size_t i = 0; i < sc->n; i++) {
		size_t k;

		if (sc->items[i].code == 0) {
			valid++;
			continue;
		}
		invalid++;
		for (k = 0; k < nbad; k++)
			if (strcmp(bad[k].tok, sc->items[i].tok) == 0)
				break;
		if (k == nbad)
			fail_msg("%s in %s fails with %d and is not a known "
				 "edited example", sc->items[i].tok,
				 sc->items[i].file, sc->items[i].code);
		if (bad[k].code != sc->items[i].code)
			fail_msg("%s in %s fails with %d, not %d",
				 sc->items[i].tok, sc->items[i].file,
				 sc->items[i].code, bad[k].code);
	}
	if (invalid != nbad)
		fail_msg("%zu known edited examples, %zu found in the docs",
			 nbad, invalid);
	return valid;
}

static void every_ksef_number_in_the_docs_validates(void **state)
{
	/* SPEC 7.2: no KSeF number in the docs is an edited copy. */
	static struct scan sc = { .shape = "DDDDDDDDDD-DDDDDDDD-AAAAAAAAAAAA-AA",
				  .check = ksef_number_validate };
	/* The KSeF 1.0 form: none in the docs either. */
	static struct scan legacy = {
		.shape = "DDDDDDDDDD-DDDDDDDD-AAAAAA-AAAAAA-AA",
		.check = ksef_number_validate };

	(void)state;
	assert_true(scan_docs(&sc, NULL, 0) >= 9);
	assert_int_equal(scan_docs(&legacy, NULL, 0), 0);
}

static void every_reference_number_in_the_docs_validates_but_the_edited(
	void **state)
{
	/*
	 * The ones that do not validate, each an edited copy or placeholder
	 * (SPEC 7.1). Lower case is a format error: storage URLs carry
	 * lower-cased numbers, which the API never accepts as such.
	 */
	static const struct known_bad bad[] = {
		/* open-api.json, storage URL; lower-cased, and even
		 * upper-cased it is a redated copy of the part names'
		 * 20250925-EH-2D2C11B000-E9C9ED8340-EE. */
		{ "20250626-eh-2d2c11b000-e9c9ed8340-ee", KSEF_EFORMAT },
		/* open-api.json, batch-part upload URL: lower-cased copy of
		 * the genuine 20250626-SB-213D593000-4DE10D80A5-E9. */
		{ "20250626-sb-213d593000-4de10d80a5-e9", KSEF_EFORMAT },
		/* open-api.json, UPO downloadUrl: lower-cased copy of
		 * 20250918-SB-3789A40000-20373E1269-A3 with SB edited to
		 * SO. */
		{ "20250918-so-3789a40000-20373e1269-a3", KSEF_EFORMAT },
		/* faktury/upo/przyklady/v4-3/kontekst-internal-id/ (both files),
		 * NumerReferencyjnyTokenaKSeF. */
		{ "20250819-EC-1ECDD12000-5EE71AE5E3-B7", KSEF_ECHECKSUM },
		/* open-api.json, session invoice list (batch example). */
		{ "20250918-EE-2F15D39000-242207E5C4-1B", KSEF_ECHECKSUM },
		/* open-api.json: redated copy of the genuine
		 * 20250626-EE-2F20AD2000-242386DF86-52. */
		{ "20250918-EE-2F20AD2000-242386DF86-52", KSEF_ECHECKSUM },
		/* open-api.json, session status upo.pages. */
		{ "20250918-EU-2EBD6FA000-242EB9B66D-43", KSEF_ECHECKSUM },
		/* faktury/upo/przyklady/v4-3/kontekst-nip/ and
		 * kontekst-id-zlozony-vat-ue/: placeholder, year 3695. */
		{ "36950822-93-9D5A28BFDA-47C899773E-5C", KSEF_ECHECKSUM },
		/* faktury/upo/przyklady/v4-3/kontekst-internal-id/:
		 * placeholder, year 5855. */
		{ "58550905-BD-D0587DA4A3-4AE171EDED-46", KSEF_ECHECKSUM },
	};
	static struct scan sc = {
		.shape = "DDDDDDDD-AA-AAAAAAAAAA-AAAAAAAAAA-AA",
		.check = ksef_refnum_validate };

	(void)state;
	/* 23 genuine ones at the time of writing. */
	assert_true(scan_docs(&sc, bad, sizeof(bad) / sizeof(bad[0])) >= 23);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refuses_empty_short_and_long_input),
		cmocka_unit_test(refuses_the_36_character_ksef_1_form),
		cmocka_unit_test(refuses_lower_case_hex),
		cmocka_unit_test(refuses_a_day_that_does_not_exist),
		cmocka_unit_test(refuses_a_nip_outside_the_pattern),
		cmocka_unit_test(refuses_misplaced_hyphens),
		cmocka_unit_test(a_wrong_check_value_is_a_checksum_error),
		cmocka_unit_test(every_single_character_change_is_refused),
		cmocka_unit_test(crc8_matches_the_catalogue_check_value),
		cmocka_unit_test(the_documented_examples_validate),
		cmocka_unit_test(parse_gives_back_the_parts),
		cmocka_unit_test(generate_reproduces_the_documented_example),
		cmocka_unit_test(generate_refuses_bad_arguments),
		cmocka_unit_test(generated_numbers_validate_and_parse_back),
		cmocka_unit_test(every_ksef_number_in_the_docs_validates),
		cmocka_unit_test(
			every_reference_number_in_the_docs_validates_but_the_edited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
