#include "testsupport.h"
#include <string.h>
#include "ksef/number.h"

struct row {
	const char *s;
	int pattern; /* what ksef_nip_validate_pattern() returns */
	int full;    /* what ksef_nip_validate() returns */
};

static void nip_failures_and_successes_follow_the_table(void **state)
{
	static const struct row rows[] = {
		/* Failures first. */
		{ "", KSEF_EFORMAT, KSEF_EFORMAT },
		{ "5", KSEF_EFORMAT, KSEF_EFORMAT },
		{ "526587763", KSEF_EFORMAT, KSEF_EFORMAT },    /* one short */
		{ "52658776350", KSEF_EFORMAT, KSEF_EFORMAT },  /* one long */
		{ "0265877635", KSEF_EFORMAT, KSEF_EFORMAT },   /* leading 0 */
		{ "5005877635", KSEF_EFORMAT, KSEF_EFORMAT },   /* office 00 */
		{ "5000000000", KSEF_EFORMAT, KSEF_EFORMAT },
		{ "526587763A", KSEF_EFORMAT, KSEF_EFORMAT },
		{ "526-587-76-35", KSEF_EFORMAT, KSEF_EFORMAT },
		{ "PL5265877635", KSEF_EFORMAT, KSEF_EFORMAT },
		{ " 526587763", KSEF_EFORMAT, KSEF_EFORMAT },
		/* The pattern holds, the check digit does not. */
		{ "5265877636", 0, KSEF_ECHECKSUM },
		{ "1234445678", 0, KSEF_ECHECKSUM },
		/* 1*6+2*5+3*7+4*2+5*3+6*4+7*5+8*6+9*7 = 230, mod 11 = 10: no
		 * digit can follow 123456789. */
		{ "1234567890", 0, KSEF_ECHECKSUM },
		{ "1234567891", 0, KSEF_ECHECKSUM },
		/* Valid: SPEC 7.3's example, and NIPs from the docs
		 * (open-api.json, dane-testowe-scenariusze.md). */
		{ "5265877635", 0, 0 },
		{ "5555555555", 0, 0 },
		{ "1111111111", 0, 0 },
		{ "3393244202", 0, 0 },
		{ "7980332920", 0, 0 }, /* check digit 0 */
		{ "9999999999", 0, 0 },
		{ "1050000008", 0, 0 }, /* office 05: only 00 is refused */
	};
	ksef_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = strlen(rows[i].s);

		if (ksef_nip_validate_pattern(rows[i].s, len, &err) !=
		    rows[i].pattern)
			fail_msg("%s: pattern check", rows[i].s);
		if (ksef_nip_validate(rows[i].s, len, &err) != rows[i].full)
			fail_msg("%s: full check", rows[i].s);
		if (rows[i].full != 0)
			assert_int_equal(err.code, rows[i].full);
	}
}

static void nip_is_read_by_length_not_up_to_a_nul(void **state)
{
	(void)state;
	assert_int_equal(ksef_nip_validate("5265877635999", 10, NULL), 0);
	assert_int_equal(ksef_nip_validate("5265877635", 9, NULL),
			 KSEF_EFORMAT);
	assert_int_equal(ksef_nip_validate("5265877\0" "35", 10, NULL),
			 KSEF_EFORMAT);
	assert_int_equal(ksef_nip_validate(NULL, 0, NULL), KSEF_EFORMAT);
	assert_int_equal(ksef_nip_validate(NULL, 10, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_nip_validate_pattern(NULL, 10, NULL),
			 KSEF_EINVAL);
}

static void nip_checksum_10_names_the_reason(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_nip_validate("1234567890", 10, &err),
			 KSEF_ECHECKSUM);
	assert_non_null(strstr(err.message, "10"));
}

static void generated_nips_are_valid_and_varied(void **state)
{
	char out[KSEF_NIP_BUFSZ];
	int first_digit[10] = { 0 };

	(void)state;
	for (int i = 0; i < 20000; i++) {
		assert_int_equal(ksef_nip_generate(out, NULL), 0);
		assert_int_equal(strlen(out), KSEF_NIP_LEN);
		assert_int_equal(ksef_nip_validate(out, KSEF_NIP_LEN, NULL), 0);
		first_digit[out[0] - '0']++;
	}
	assert_int_equal(first_digit[0], 0);
	for (int d = 1; d <= 9; d++)
		assert_true(first_digit[d] > 1000);
	assert_int_equal(ksef_nip_generate(NULL, NULL), KSEF_EINVAL);
}

static void pesel_failures_and_successes_follow_the_table(void **state)
{
	static const struct {
		const char *s;
		int code;
	} rows[] = {
		{ "", KSEF_EFORMAT },
		{ "4", KSEF_EFORMAT },
		{ "4405140135", KSEF_EFORMAT },   /* one short */
		{ "440514013590", KSEF_EFORMAT }, /* one long */
		{ "4405140135X", KSEF_EFORMAT },
		{ "44001401358", KSEF_EFORMAT },  /* month 00 */
		{ "44131401358", KSEF_EFORMAT },  /* month 13 */
		{ "44201401358", KSEF_EFORMAT },  /* month 20 */
		{ "44331401358", KSEF_EFORMAT },  /* month 33 */
		{ "44051401358", KSEF_ECHECKSUM },
		{ "44051401350", KSEF_ECHECKSUM },
		/* The usual textbook PESEL, and those in the docs
		 * (uwierzytelnianie.md, open-api.json,
		 * dane-testowe-scenariusze.md). */
		{ "44051401359", 0 },
		{ "88102341294", 0 },
		{ "15062788702", 0 },
		{ "22271569167", 0 }, /* month 27: July 2022 */
		{ "30112206276", 0 },
		{ "38092277125", 0 },
		{ "02270803624", 0 },
		{ "02810100006", 0 }, /* month 81: January 1802 */
	};
	ksef_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (ksef_pesel_validate(rows[i].s, strlen(rows[i].s), &err) !=
		    rows[i].code)
			fail_msg("%s: expected %d", rows[i].s, rows[i].code);
	assert_int_equal(ksef_pesel_validate(NULL, 11, NULL), KSEF_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nip_failures_and_successes_follow_the_table),
		cmocka_unit_test(nip_is_read_by_length_not_up_to_a_nul),
		cmocka_unit_test(nip_checksum_10_names_the_reason),
		cmocka_unit_test(generated_nips_are_valid_and_varied),
		cmocka_unit_test(pesel_failures_and_successes_follow_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
