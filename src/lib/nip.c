/*
 * nip.c - owns the Polish tax and personal identifiers: the NIP pattern
 * (shared with number.c, which embeds a NIP in every KSeF number), the NIP
 * check digit, random valid NIPs for test data, and the PESEL. Where a
 * check applies (production only, per faktury/weryfikacja-faktury.md) is
 * the caller's decision, so the pattern and the checksum are separate.
 */
#include <string.h>
#include <openssl/rand.h>
#include "ident.h"
#include "internal.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* [1-9]((\d[1-9])|([1-9]\d))\d{7}: the second and third digits are never
 * both 0, because 00 would be a tax-office code that does not exist. */
int ksef__nip_pattern_ok(const char *s)
{
	for (size_t i = 0; i < KSEF_NIP_LEN; i++)
		if (!is_digit(s[i]))
			return 0;
	return s[0] != '0' && !(s[1] == '0' && s[2] == '0');
}

/* The weighted sum mod 11 that the tenth digit must equal; 10 means no
 * digit can, so such a NIP is never issued. */
int ksef__nip_check_digit(const char *first9)
{
	static const int w[9] = { 6, 5, 7, 2, 3, 4, 5, 6, 7 };
	int sum = 0;

	for (size_t i = 0; i < 9; i++)
		sum += (first9[i] - '0') * w[i];
	return sum % 11;
}

int ksef_nip_validate_pattern(const char *s, size_t len, ksef_error *err)
{
	if (s == NULL && len > 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"NIP: NULL text with length %zu", len);
	if (len != KSEF_NIP_LEN)
		return ksef__error_set(err, KSEF_EFORMAT,
			"NIP is %zu characters, not %d", len, KSEF_NIP_LEN);
	if (!ksef__nip_pattern_ok(s))
		return ksef__error_set(err, KSEF_EFORMAT,
			"NIP does not match [1-9]((\\d[1-9])|([1-9]\\d))\\d{7}");
	return 0;
}

int ksef_nip_validate(const char *s, size_t len, ksef_error *err)
{
	int error = ksef_nip_validate_pattern(s, len, err);
	int check;

	if (error < 0)
		return error;
	check = ksef__nip_check_digit(s);
	if (check == 10)
		return ksef__error_set(err, KSEF_ECHECKSUM,
			"NIP: the weighted sum gives 10, which no NIP has");
	if (check != s[9] - '0')
		return ksef__error_set(err, KSEF_ECHECKSUM,
			"NIP: check digit is %c, the digits give %d", s[9],
			check);
	return 0;
}

int ksef_nip_generate(char out[KSEF_NIP_BUFSZ], ksef_error *err)
{
	unsigned char rnd[9];
	char n[KSEF_NIP_BUFSZ];

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "NIP: NULL output");
	/* About one draw in eleven sums to 10 and one in a hundred has 00 as
	 * its office code; retrying is simpler than steering the digits, and
	 * the bound only matters if RAND_bytes were broken. */
	for (int attempt = 0; attempt < 1000; attempt++) {
		int check;

		if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1)
			return ksef__error_openssl(err, KSEF_ECRYPTO,
				"NIP: RAND_bytes failed");
		/* 256 mod 9 and mod 10 leave a slight bias; test data does
		 * not need uniform NIPs. */
		n[0] = (char)('1' + rnd[0] % 9);
		for (size_t i = 1; i < 9; i++)
			n[i] = (char)('0' + rnd[i] % 10);
		check = ksef__nip_check_digit(n);
		if (check == 10 || (n[1] == '0' && n[2] == '0'))
			continue;
		n[9] = (char)('0' + check);
		n[KSEF_NIP_LEN] = '\0';
		memcpy(out, n, sizeof(n));
		return 0;
	}
	return ksef__error_set(err, KSEF_ECRYPTO,
		"NIP: the random generator gave no usable digits");
}

/* The month field carries the century: +80 for the 1800s, +0 for the
 * 1900s, +20, +40, +60 for the 2000s, 2100s, 2200s. Per the OpenAPI
 * pattern, month codes 01-12, 21-32, 41-52, 61-72 and 81-92. */
static int pesel_month_ok(const char *s)
{
	int mm = (s[0] - '0') * 10 + (s[1] - '0');
	int m = mm % 20;

	return m >= 1 && m <= 12;
}

int ksef_pesel_validate(const char *s, size_t len, ksef_error *err)
{
	static const int w[10] = { 1, 3, 7, 9, 1, 3, 7, 9, 1, 3 };
	int sum = 0;
	int check;

	if (s == NULL && len > 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"PESEL: NULL text with length %zu", len);
	if (len != KSEF_PESEL_LEN)
		return ksef__error_set(err, KSEF_EFORMAT,
			"PESEL is %zu characters, not %d", len,
			KSEF_PESEL_LEN);
	for (size_t i = 0; i < KSEF_PESEL_LEN; i++)
		if (!is_digit(s[i]))
			return ksef__error_set(err, KSEF_EFORMAT,
				"PESEL: character %zu is not a digit", i + 1);
	if (!pesel_month_ok(s + 2))
		return ksef__error_set(err, KSEF_EFORMAT,
			"PESEL: %.2s is not a month code", s + 2);
	for (size_t i = 0; i < 10; i++)
		sum += (s[i] - '0') * w[i];
	check = (10 - sum % 10) % 10;
	if (check != s[10] - '0')
		return ksef__error_set(err, KSEF_ECHECKSUM,
			"PESEL: check digit is %c, the digits give %d", s[10],
			check);
	return 0;
}
