/*
 * refnum.c - owns reference numbers, the 36-character names KSeF gives to
 * sessions, invoices, UPO pages, challenges, authentication operations and
 * tokens: making them, checking them and reading their type. The CRC-8 and
 * date helpers are number.c's; the clock and offsets are timefmt.c's.
 *
 * Only the length is documented (OpenAPI ReferenceNumber); the pattern is
 * the UPO schema's TNumerReferencyjny, and the type codes and the CRC-8
 * check value are inferred from the examples (SPEC 7.1). Layout:
 *   0-7 date, 8 '-', 9-10 type, 11 '-', 12-21 hex, 22 '-', 23-32 hex,
 *   33 '-', 34-35 CC.
 */
#include <string.h>
#include <openssl/rand.h>
#include "ident.h"
#include "internal.h"

#define REFNUM_DATA_LEN 33 /* what the check value covers, hyphens included */

static const char *const type_codes[] = {
	[KSEF_REFNUM_CHALLENGE] = "CR",
	[KSEF_REFNUM_AUTH] = "AU",
	[KSEF_REFNUM_ONLINE_SESSION] = "SO",
	[KSEF_REFNUM_BATCH_SESSION] = "SB",
	[KSEF_REFNUM_INVOICE] = "EE",
	[KSEF_REFNUM_UPO] = "EU",
	[KSEF_REFNUM_TOKEN] = "EC",
	[KSEF_REFNUM_PERMISSION] = "EG",
	[KSEF_REFNUM_OPERATION] = "EH",
};

#define TYPE_COUNT (sizeof(type_codes) / sizeof(type_codes[0]))

const char *ksef_refnum_type_code(ksef_refnum_type type)
{
	/* Compare as unsigned: an out-of-range enum may be negative. */
	if ((unsigned)type >= TYPE_COUNT)
		return NULL;
	return type_codes[type];
}

static ksef_refnum_type type_from_code(const char *code)
{
	for (size_t i = 1; i < TYPE_COUNT; i++)
		if (memcmp(type_codes[i], code, 2) == 0)
			return (ksef_refnum_type)i;
	return KSEF_REFNUM_OTHER;
}

ksef_refnum_type ksef_refnum_type_of(const char *s, size_t len)
{
	if (s == NULL || len != KSEF_REFNUM_LEN)
		return KSEF_REFNUM_OTHER;
	return type_from_code(s + 9);
}

static int is_type_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

static int refnum_check(ksef_refnum_parts *parts, const char *s, size_t len,
			ksef_error *err)
{
	static const char what[] = "reference number";
	static const size_t hyphens[] = { 8, 11, 22, 33 };
	ksef_date date;
	char cc[2];
	int error;

	if (s == NULL && len > 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s: NULL text with length %zu", what, len);
	if (len != KSEF_REFNUM_LEN)
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s is %zu characters, not %d", what, len,
			KSEF_REFNUM_LEN);
	for (size_t i = 0; i < sizeof(hyphens) / sizeof(hyphens[0]); i++)
		if (s[hyphens[i]] != '-')
			return ksef__error_set(err, KSEF_EFORMAT,
				"%s: character %zu is not '-'", what,
				hyphens[i] + 1);
	error = ksef__number_read_date(&date, s, what, 0, err);
	if (error < 0)
		return error;
	if (!is_type_char(s[9]) || !is_type_char(s[10]))
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s: the type code is not two of 0-9 and A-Z", what);
	for (size_t i = 12; i < KSEF_REFNUM_LEN; i++) {
		if (i == 22 || i == 33)
			continue;
		if (!ksef__number_is_uhex(s[i]))
			return ksef__error_set(err, KSEF_EFORMAT,
				"%s: character %zu is not an upper-case hex "
				"digit", what, i + 1);
	}
	ksef__number_put_hex(cc, ksef__number_crc8(s, REFNUM_DATA_LEN), 2);
	if (memcmp(cc, s + 34, 2) != 0)
		return ksef__error_set(err, KSEF_ECHECKSUM,
			"%s: check value is %.2s, the data gives %.2s", what,
			s + 34, cc);
	if (parts != NULL) {
		parts->date = date;
		parts->type = type_from_code(s + 9);
		memcpy(parts->type_code, s + 9, 2);
		parts->type_code[2] = '\0';
	}
	return 0;
}

int ksef_refnum_validate(const char *s, size_t len, ksef_error *err)
{
	return refnum_check(NULL, s, len, err);
}

int ksef_refnum_parse(ksef_refnum_parts *out, const char *s, size_t len,
		      ksef_error *err)
{
	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"reference number: NULL output");
	return refnum_check(out, s, len, err);
}

int ksef_refnum_generate(char out[KSEF_REFNUM_BUFSZ], ksef_refnum_type type,
			 ksef_time when, ksef_error *err)
{
	const char *code = ksef_refnum_type_code(type);
	unsigned char rnd[7];
	char n[KSEF_REFNUM_BUFSZ];
	ksef_date date = ksef_time_date(when);
	int64_t day_start, ms_of_day;
	uint64_t first, second;

	if (out == NULL || code == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"reference number: NULL output or unknown type %d",
			(int)type);
	if (date.year < KSEF__NUMBER_MIN_YEAR || !ksef_date_is_valid(date))
		return ksef__error_set(err, KSEF_EINVAL,
			"reference number: the local year is not in %d-9999",
			KSEF__NUMBER_MIN_YEAR);
	if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1)
		return ksef__error_openssl(err, KSEF_ECRYPTO,
			"reference number: RAND_bytes failed");

	/* Milliseconds since local midnight, below 86400000 < 2^27, leave the
	 * 40-bit group room for 12 random bits below them. */
	day_start = ksef__time_days_from_civil(date.year, date.month,
					       date.day) * 86400000;
	ms_of_day = when.unix_ms + (int64_t)when.offset_minutes * 60000 -
		    day_start;
	first = (uint64_t)ms_of_day << 12 |
		((uint64_t)rnd[0] << 4 | rnd[1] >> 4);
	second = 0;
	for (size_t i = 2; i < sizeof(rnd); i++)
		second = second << 8 | rnd[i];

	ksef__number_put_date(n, date);
	n[8] = '-';
	memcpy(n + 9, code, 2);
	n[11] = '-';
	ksef__number_put_hex(n + 12, first, 10);
	n[22] = '-';
	ksef__number_put_hex(n + 23, second, 10);
	n[33] = '-';
	ksef__number_put_hex(n + 34, ksef__number_crc8(n, REFNUM_DATA_LEN), 2);
	n[KSEF_REFNUM_LEN] = '\0';
	memcpy(out, n, sizeof(n));
	return 0;
}
