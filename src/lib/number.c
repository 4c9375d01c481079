/*
 * number.c - owns KSeF numbers (faktury/numer-ksef.md): making, checking
 * and splitting them, and the CRC-8 and compact-date helpers they share
 * with reference numbers (refnum.c). The NIP pattern belongs to nip.c and
 * calendar arithmetic to timefmt.c.
 *
 * A KSeF number is NNNNNNNNNN-YYYYMMDD-XXXXXXXXXXXX-CC:
 *   0-9 NIP, 10 '-', 11-18 date, 19 '-', 20-31 technical, 32 '-', 33-34 CC.
 */
#include <string.h>
#include "ident.h"
#include "internal.h"

#define NUMBER_DATA_LEN 32 /* what the check value covers, hyphens included */

uint8_t ksef__number_crc8(const char *s, size_t n)
{
	uint8_t c = 0;

	for (size_t i = 0; i < n; i++) {
		c ^= (uint8_t)s[i];
		for (int b = 0; b < 8; b++)
			c = (c & 0x80) ? (uint8_t)((c << 1) ^ 0x07)
				       : (uint8_t)(c << 1);
	}
	return c;
}

int ksef__number_is_uhex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

void ksef__number_put_hex(char *out, uint64_t v, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";

	while (n > 0) {
		out[--n] = digits[v & 0xF];
		v >>= 4;
	}
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int read_digits(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int ksef__number_read_date(ksef_date *out, const char *s, const char *what,
			   size_t at, ksef_error *err)
{
	ksef_date d;

	for (size_t i = 0; i < 8; i++)
		if (!is_digit(s[i]))
			return ksef__error_set(err, KSEF_EFORMAT,
				"%s: character %zu of the date is not a digit",
				what, at + i + 1);
	d.year = read_digits(s, 4);
	d.month = read_digits(s + 4, 2);
	d.day = read_digits(s + 6, 2);
	/* Both patterns start the year at 2020; a real date also stops
	 * edited examples such as 20250230 from passing. */
	if (d.year < KSEF__NUMBER_MIN_YEAR || !ksef_date_is_valid(d))
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s: date %.8s is not a day in %d-9999", what, s,
			KSEF__NUMBER_MIN_YEAR);
	*out = d;
	return 0;
}

void ksef__number_put_date(char *out, ksef_date d)
{
	int v[3] = { d.year, d.month, d.day };
	int w[3] = { 4, 2, 2 };
	size_t pos = 0;

	for (int i = 0; i < 3; i++) {
		for (int k = w[i] - 1; k >= 0; k--) {
			out[pos + (size_t)k] = (char)('0' + v[i] % 10);
			v[i] /= 10;
		}
		pos += (size_t)w[i];
	}
}

/* Check everything but out; fill parts only when all of it holds. */
static int number_check(ksef_number_parts *parts, const char *s, size_t len,
			ksef_error *err)
{
	static const char what[] = "KSeF number";
	static const size_t hyphens[] = { 10, 19, 32 };
	ksef_date date;
	uint64_t technical = 0;
	char cc[2];
	int error;

	if (s == NULL && len > 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s: NULL text with length %zu", what, len);
	if (len == KSEF_NUMBER_LEN + 1)
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s is 36 characters; the KSeF 1.0 form is not "
			"accepted, KSeF 2.0 numbers have 35", what);
	if (len != KSEF_NUMBER_LEN)
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s is %zu characters, not %d", what, len,
			KSEF_NUMBER_LEN);
	for (size_t i = 0; i < sizeof(hyphens) / sizeof(hyphens[0]); i++)
		if (s[hyphens[i]] != '-')
			return ksef__error_set(err, KSEF_EFORMAT,
				"%s: character %zu is not '-'", what,
				hyphens[i] + 1);
	if (!ksef__nip_pattern_ok(s))
		return ksef__error_set(err, KSEF_EFORMAT,
			"%s: the first 10 characters are not a NIP", what);
	error = ksef__number_read_date(&date, s + 11, what, 11, err);
	if (error < 0)
		return error;
	for (size_t i = 20; i < KSEF_NUMBER_LEN; i++) {
		if (i == 32)
			continue;
		if (!ksef__number_is_uhex(s[i]))
			return ksef__error_set(err, KSEF_EFORMAT,
				"%s: character %zu is not an upper-case hex "
				"digit", what, i + 1);
		if (i < 32)
			technical = technical << 4 |
				(uint64_t)(s[i] <= '9' ? s[i] - '0'
						       : s[i] - 'A' + 10);
	}
	ksef__number_put_hex(cc, ksef__number_crc8(s, NUMBER_DATA_LEN), 2);
	if (memcmp(cc, s + 33, 2) != 0)
		return ksef__error_set(err, KSEF_ECHECKSUM,
			"%s: check value is %.2s, the data gives %.2s", what,
			s + 33, cc);
	if (parts != NULL) {
		memcpy(parts->nip, s, KSEF_NIP_LEN);
		parts->nip[KSEF_NIP_LEN] = '\0';
		parts->date = date;
		parts->technical = technical;
	}
	return 0;
}

int ksef_number_validate(const char *s, size_t len, ksef_error *err)
{
	return number_check(NULL, s, len, err);
}

int ksef_number_parse(ksef_number_parts *out, const char *s, size_t len,
		      ksef_error *err)
{
	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"KSeF number: NULL output");
	return number_check(out, s, len, err);
}

int ksef_number_generate(char out[KSEF_NUMBER_BUFSZ], const char *nip,
			 size_t nip_len, ksef_date date, uint64_t technical,
			 ksef_error *err)
{
	char n[KSEF_NUMBER_BUFSZ];

	if (out == NULL || nip == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"KSeF number: NULL output or NIP");
	if (nip_len != KSEF_NIP_LEN || !ksef__nip_pattern_ok(nip))
		return ksef__error_set(err, KSEF_EFORMAT,
			"KSeF number: the seller's NIP does not match the "
			"NIP pattern");
	if (date.year < KSEF__NUMBER_MIN_YEAR || !ksef_date_is_valid(date))
		return ksef__error_set(err, KSEF_EINVAL,
			"KSeF number: %04d-%02d-%02d is not a day in %d-9999",
			date.year, date.month, date.day,
			KSEF__NUMBER_MIN_YEAR);
	if (technical > KSEF_NUMBER_TECHNICAL_MAX)
		return ksef__error_set(err, KSEF_EINVAL,
			"KSeF number: technical part is over 12 hex digits");

	memcpy(n, nip, KSEF_NIP_LEN);
	n[10] = '-';
	ksef__number_put_date(n + 11, date);
	n[19] = '-';
	ksef__number_put_hex(n + 20, technical, 12);
	n[32] = '-';
	ksef__number_put_hex(n + 33, ksef__number_crc8(n, NUMBER_DATA_LEN), 2);
	n[KSEF_NUMBER_LEN] = '\0';
	memcpy(out, n, sizeof(n));
	return 0;
}
