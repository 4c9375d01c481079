#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/number.h"
#include "ident.h"

/* The test vector of SPEC 7.1, from open-api.json. */
static const char spec_example[] = "20250625-SO-2C3E6C8000-B675CF5D68-07";

static int validate(const char *s)
{
	return ksef_refnum_validate(s, strlen(s), NULL);
}

/* Put the right check value in the last two characters, so that a test
 * can break one other thing only. */
static void fix_check(char *s)
{
	ksef__number_put_hex(s + 34, ksef__number_crc8(s, 33), 2);
}

static void refuses_empty_short_and_long_input(void **state)
{
	char s[64];
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_refnum_validate("", 0, &err), KSEF_EFORMAT);
	assert_int_equal(ksef_refnum_validate(NULL, 0, NULL), KSEF_EFORMAT);
	assert_int_equal(ksef_refnum_validate(NULL, 36, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_refnum_validate("2", 1, NULL), KSEF_EFORMAT);
	assert_int_equal(ksef_refnum_validate(spec_example, 35, &err),
			 KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "35 characters"));
	snprintf(s, sizeof(s), "%s0", spec_example);
	assert_int_equal(validate(s), KSEF_EFORMAT);
}

static void refuses_lower_case(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_refnum_validate(
		"20250625-SO-2C3E6C8000-b675cf5d68-07", 36, &err),
		KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "character 24"));
	/* A lower-case type code is outside [0-9A-Z]{2}. */
	assert_int_equal(validate("20250625-so-2C3E6C8000-B675CF5D68-07"),
			 KSEF_EFORMAT);
}

static void refuses_a_day_that_does_not_exist(void **state)
{
	static const char *const dates[] = {
		"20250230", "20250229", "20250001", "20251301", "20250100",
		"20250931",
		"20191231", /* before 2020, outside the UPO schema's pattern */
		"2025-625", "2025062A",
	};
	char s[KSEF_REFNUM_BUFSZ];

	(void)state;
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		memcpy(s, spec_example, sizeof(s));
		memcpy(s, dates[i], 8);
		fix_check(s);
		assert_int_equal(validate(s), KSEF_EFORMAT);
	}
	memcpy(s, spec_example, sizeof(s));
	memcpy(s, "20280229", 8);
	fix_check(s);
	assert_int_equal(validate(s), 0);
}

static void refuses_a_type_code_outside_the_schema_pattern(void **state)
{
	static const char *const codes[] = { "S-", "S ", "s0", "\xc5\x9a" };
	char s[KSEF_REFNUM_BUFSZ];

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		memcpy(s, spec_example, sizeof(s));
		memcpy(s + 9, codes[i], 2);
		fix_check(s);
		assert_int_equal(validate(s), KSEF_EFORMAT);
	}
	/* Digits are allowed ([0-9A-Z]{2}); an unknown code is not an
	 * error, just KSEF_REFNUM_OTHER. */
	memcpy(s, spec_example, sizeof(s));
	memcpy(s + 9, "93", 2);
	fix_check(s);
	assert_int_equal(validate(s), 0);
	assert_int_equal(ksef_refnum_type_of(s, 36), KSEF_REFNUM_OTHER);
}

static void refuses_misplaced_hyphens(void **state)
{
	static const size_t at[] = { 8, 11, 22, 33 };
	char s[KSEF_REFNUM_BUFSZ];

	(void)state;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		memcpy(s, spec_example, sizeof(s));
		s[at[i]] = '0';
		assert_int_equal(validate(s), KSEF_EFORMAT);
	}
}

static void a_wrong_check_value_is_a_checksum_error(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_refnum_validate(
		"20250625-SO-2C3E6C8000-B675CF5D68-70", 36, &err),
		KSEF_ECHECKSUM);
	assert_non_null(strstr(err.message, "07"));
	/* SPEC 7.1's vector: CRC8 of the first 33 characters is 0x07. */
	assert_int_equal(ksef__number_crc8(spec_example, 33), 0x07);
}

static void every_single_character_change_is_refused(void **state)
{
	char s[KSEF_REFNUM_BUFSZ];

	(void)state;
	for (size_t i = 0; i < KSEF_REFNUM_LEN; i++) {
		for (int c = 1; c < 256; c++) {
			if ((char)c == spec_example[i])
				continue;
			memcpy(s, spec_example, sizeof(s));
			s[i] = (char)c;
			assert_int_not_equal(ksef_refnum_validate(s, 36, NULL),
					     0);
		}
	}
}

/*
 * The reference numbers of ksef-docs with a valid check value (SPEC 7.1),
 * by where they appear. number_test.c scans the docs for any others.
 */
static void the_genuine_documented_examples_validate(void **state)
{
	static const struct {
		const char *s;
		ksef_refnum_type type;
	} genuine[] = {
		/* open-api.json */
		{ "20250514-AU-2DFC46C000-3AC6D5877F-D4", KSEF_REFNUM_AUTH },
		{ "20250514-CR-226FB7B000-3ACF9BE4C0-10", KSEF_REFNUM_CHALLENGE },
		{ "20250625-CR-20F5EE4000-DA48AE4124-46", KSEF_REFNUM_CHALLENGE },
		{ "20250625-CR-2FDC223000-C2BFC98A9C-4E", KSEF_REFNUM_CHALLENGE },
		{ "20250625-EE-319D7EE000-B67F415CDC-2C", KSEF_REFNUM_INVOICE },
		{ "20250625-SO-2C3E6C8000-B675CF5D68-07",
		  KSEF_REFNUM_ONLINE_SESSION },
		{ "20250626-EE-2F20AD2000-242386DF86-52", KSEF_REFNUM_INVOICE },
		{ "20250626-EG-333C814000-C529F710D8-D2",
		  KSEF_REFNUM_PERMISSION },
		{ "20250626-SB-213D593000-4DE10D80A5-E9",
		  KSEF_REFNUM_BATCH_SESSION },
		{ "20250918-SB-3789A40000-20373E1269-A3",
		  KSEF_REFNUM_BATCH_SESSION },
		{ "20250925-SO-2F67776000-97273B191A-65",
		  KSEF_REFNUM_ONLINE_SESSION },
		{ "20250928-SO-494B541000-3AD87C01BA-5D",
		  KSEF_REFNUM_ONLINE_SESSION },
		{ "20251001-EC-220B0CE000-E228129563-96", KSEF_REFNUM_TOKEN },
		{ "20251001-EC-2DD3AFF000-A6B7F19A95-11", KSEF_REFNUM_TOKEN },
		{ "20251010-AU-19F5E39000-39B5B182BA-B8", KSEF_REFNUM_AUTH },
		{ "20251010-EC-1DCE3E3000-12ECB5B36E-45", KSEF_REFNUM_TOKEN },
		{ "20251010-EH-1B6C9EB000-4B15D3AEB9-89",
		  KSEF_REFNUM_OPERATION },
		/* open-api.json, export part names ("...-EE-001.zip.aes") */
		{ "20250925-EH-2D2C11B000-E9C9ED8340-EE",
		  KSEF_REFNUM_OPERATION },
		/* api-changelog.md, open-api.json */
		{ "20250626-SO-2F14610000-242991F8C9-B4",
		  KSEF_REFNUM_ONLINE_SESSION },
		/* auth/context-identifier-*.md, auth/subject-identifier-*.md */
		{ "20250604-CR-461EA5B000-537A6BA15D-D7", KSEF_REFNUM_CHALLENGE },
		/* faktury/sesje/sesja-sprawdzenie-stanu-i-pobranie-upo.md */
		{ "20250901-EU-47FDBE3000-5961A5D232-BF", KSEF_REFNUM_UPO },
		{ "20250901-EU-48D8488000-59667BB54C-C8", KSEF_REFNUM_UPO },
		{ "20250901-SB-47FA636000-5960B49115-9D",
		  KSEF_REFNUM_BATCH_SESSION },
	};
	ksef_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(genuine) / sizeof(genuine[0]); i++) {
		const char *s = genuine[i].s;

		if (ksef_refnum_validate(s, strlen(s), &err) != 0)
			fail_msg("%s: %s", s, err.message);
		assert_int_equal(ksef_refnum_type_of(s, strlen(s)),
				 genuine[i].type);
	}
}

/*
 * The edited copies and placeholders of ksef-docs (SPEC 7.1), by where
 * they appear, and the code each gets.
 */
static void the_edited_documented_examples_fail(void **state)
{
	static const struct {
		const char *s;
		int code;
	} edited[] = {
		/* faktury/upo/przyklady/v4-3/kontekst-internal-id/,
		 * NumerReferencyjnyTokenaKSeF */
		{ "20250819-EC-1ECDD12000-5EE71AE5E3-B7", KSEF_ECHECKSUM },
		/* open-api.json, batch session invoices */
		{ "20250918-EE-2F15D39000-242207E5C4-1B", KSEF_ECHECKSUM },
		/* open-api.json: the genuine 20250626-EE-... redated */
		{ "20250918-EE-2F20AD2000-242386DF86-52", KSEF_ECHECKSUM },
		/* open-api.json, upo.pages */
		{ "20250918-EU-2EBD6FA000-242EB9B66D-43", KSEF_ECHECKSUM },
		/* UPO examples (kontekst-nip, kontekst-id-zlozony-vat-ue):
		 * placeholder with year 3695 and type "93" */
		{ "36950822-93-9D5A28BFDA-47C899773E-5C", KSEF_ECHECKSUM },
		/* UPO examples (kontekst-internal-id): placeholder */
		{ "58550905-BD-D0587DA4A3-4AE171EDED-46", KSEF_ECHECKSUM },
		/* open-api.json storage URLs, lower-cased */
		{ "20250626-eh-2d2c11b000-e9c9ed8340-ee", KSEF_EFORMAT },
		{ "20250626-sb-213d593000-4de10d80a5-e9", KSEF_EFORMAT },
		{ "20250918-so-3789a40000-20373e1269-a3", KSEF_EFORMAT },
		/* ... and upper-cased again: the SB one is genuine, the
		 * other two were edited (date, and SB to SO). */
		{ "20250626-EH-2D2C11B000-E9C9ED8340-EE", KSEF_ECHECKSUM },
		{ "20250626-SB-213D593000-4DE10D80A5-E9", 0 },
		{ "20250918-SO-3789A40000-20373E1269-A3", KSEF_ECHECKSUM },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(edited) / sizeof(edited[0]); i++)
		if (validate(edited[i].s) != edited[i].code)
			fail_msg("%s: got %d, expected %d", edited[i].s,
				 validate(edited[i].s), edited[i].code);
}

static void parse_gives_date_and_type(void **state)
{
	ksef_refnum_parts p;

	(void)state;
	assert_int_equal(ksef_refnum_parse(&p, spec_example, 36, NULL), 0);
	assert_int_equal(p.date.year, 2025);
	assert_int_equal(p.date.month, 6);
	assert_int_equal(p.date.day, 25);
	assert_int_equal(p.type, KSEF_REFNUM_ONLINE_SESSION);
	assert_string_equal(p.type_code, "SO");

	memset(&p, 0x5A, sizeof(p));
	assert_int_equal(ksef_refnum_parse(&p, spec_example, 35, NULL),
			 KSEF_EFORMAT);
	assert_int_equal(p.date.year, 0x5A5A5A5A);
	assert_int_equal(ksef_refnum_parse(NULL, spec_example, 36, NULL),
			 KSEF_EINVAL);
}

static void type_codes_map_both_ways(void **state)
{
	static const char *const codes[] = {
		NULL, "CR", "AU", "SO", "SB", "EE", "EU", "EC", "EG", "EH",
	};
	char s[KSEF_REFNUM_BUFSZ];

	(void)state;
	for (int t = 0; t <= KSEF_REFNUM_OPERATION; t++) {
		const char *c = ksef_refnum_type_code((ksef_refnum_type)t);

		if (codes[t] == NULL) {
			assert_null(c);
			continue;
		}
		assert_string_equal(c, codes[t]);
		memcpy(s, spec_example, sizeof(s));
		memcpy(s + 9, c, 2);
		assert_int_equal(ksef_refnum_type_of(s, 36), t);
	}
	assert_null(ksef_refnum_type_code((ksef_refnum_type)10));
	assert_null(ksef_refnum_type_code((ksef_refnum_type)-1));
	assert_int_equal(ksef_refnum_type_of(spec_example, 35),
			 KSEF_REFNUM_OTHER);
	assert_int_equal(ksef_refnum_type_of(NULL, 36), KSEF_REFNUM_OTHER);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void generated_numbers_validate_and_do_not_repeat(void **state)
{
	enum { N = 4000 };
	static char seen[N][KSEF_REFNUM_BUFSZ];
	/* 2025-06-25T12:53:13.032Z: many numbers in one millisecond. */
	ksef_time when = ksef_time_warsaw(INT64_C(1750855993032));

	(void)state;
	for (int i = 0; i < N; i++) {
		ksef_refnum_type t = (ksef_refnum_type)(1 + i % 9);
		ksef_refnum_parts p;

		assert_int_equal(ksef_refnum_generate(seen[i], t, when, NULL),
				 0);
		assert_int_equal(strlen(seen[i]), KSEF_REFNUM_LEN);
		assert_int_equal(ksef_refnum_parse(&p, seen[i], 36, NULL), 0);
		assert_int_equal(p.type, t);
		assert_memory_equal(seen[i], "20250625-", 9);
	}
	qsort(seen, N, sizeof(seen[0]), cmp_str);
	for (int i = 1; i < N; i++)
		assert_string_not_equal(seen[i - 1], seen[i]);
}

static void generate_puts_the_local_day_and_time_first(void **state)
{
	/* 2025-06-30T22:30:00.000Z is 00:30 on 1 July in Warsaw. */
	ksef_time when = ksef_time_warsaw(INT64_C(1751322600000));
	char out[KSEF_REFNUM_BUFSZ];
	uint64_t first = 0;

	(void)state;
	assert_int_equal(ksef_refnum_generate(out, KSEF_REFNUM_INVOICE, when,
					      NULL), 0);
	assert_memory_equal(out, "20250701-EE-", 12);
	for (int i = 12; i < 22; i++)
		first = first << 4 | (uint64_t)(out[i] <= '9' ? out[i] - '0'
							     : out[i] - 'A' + 10);
	/* The group is milliseconds since local midnight, times 4096. */
	assert_true(first >> 12 == 30 * 60 * 1000);

	/* The same instant in UTC is still 30 June. */
	when.offset_minutes = 0;
	assert_int_equal(ksef_refnum_generate(out, KSEF_REFNUM_UPO, when,
					      NULL), 0);
	assert_memory_equal(out, "20250630-EU-", 12);
}

static void generate_refuses_bad_arguments(void **state)
{
	char out[KSEF_REFNUM_BUFSZ] = "untouched";
	ksef_time now = ksef_time_now();
	/* 2019-12-31T23:00:00Z: 2020 in Warsaw, 2019 in UTC. */
	ksef_time nye = { INT64_C(1577833200000), 0 };
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_refnum_generate(out, KSEF_REFNUM_OTHER, now,
					      &err), KSEF_EINVAL);
	assert_int_equal(ksef_refnum_generate(out, (ksef_refnum_type)42, now,
					      NULL), KSEF_EINVAL);
	assert_int_equal(ksef_refnum_generate(NULL, KSEF_REFNUM_AUTH, now,
					      NULL), KSEF_EINVAL);
	assert_int_equal(ksef_refnum_generate(out, KSEF_REFNUM_AUTH, nye,
					      NULL), KSEF_EINVAL);
	assert_string_equal(out, "untouched");
	nye.offset_minutes = 60;
	assert_int_equal(ksef_refnum_generate(out, KSEF_REFNUM_AUTH, nye,
					      NULL), 0);
	assert_memory_equal(out, "20200101-AU-", 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refuses_empty_short_and_long_input),
		cmocka_unit_test(refuses_lower_case),
		cmocka_unit_test(refuses_a_day_that_does_not_exist),
		cmocka_unit_test(refuses_a_type_code_outside_the_schema_pattern),
		cmocka_unit_test(refuses_misplaced_hyphens),
		cmocka_unit_test(a_wrong_check_value_is_a_checksum_error),
		cmocka_unit_test(every_single_character_change_is_refused),
		cmocka_unit_test(the_genuine_documented_examples_validate),
		cmocka_unit_test(the_edited_documented_examples_fail),
		cmocka_unit_test(parse_gives_date_and_type),
		cmocka_unit_test(type_codes_map_both_ways),
		cmocka_unit_test(generated_numbers_validate_and_do_not_repeat),
		cmocka_unit_test(generate_puts_the_local_day_and_time_first),
		cmocka_unit_test(generate_refuses_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
