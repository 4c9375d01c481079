/*
 * ident.h - what the identifier files (number.c, refnum.c, nip.c,
 * timefmt.c, and gen.c, which makes valid NIPs and dates) share and nobody
 * else sees: the CRC-8 of KSeF and reference numbers, the compact YYYYMMDD
 * date, upper-case hex, the NIP pattern and check digit, and
 * days-from-civil arithmetic. Never installed, never exported.
 */
#ifndef KSEF_IDENT_H
#define KSEF_IDENT_H

#include <stddef.h>
#include <stdint.h>
#include "ksef/number.h"

/* The earliest year the OpenAPI and UPO patterns admit in a number:
 * (20[2-9][0-9]|2[1-9][0-9]{2}|[3-9][0-9]{3}). */
#define KSEF__NUMBER_MIN_YEAR 2020

/*
 * CRC-8 with polynomial 0x07, initial value 0, no reflection and no final
 * XOR (CRC-8/SMBUS), over n bytes of s. number.c owns it.
 */
uint8_t ksef__number_crc8(const char *s, size_t n);

/* Whether c is 0-9 or A-F; lower case is not hex to KSeF. */
int ksef__number_is_uhex(char c);

/* Write the low 4*n bits of v as n upper-case hex digits, no NUL. */
void ksef__number_put_hex(char *out, uint64_t v, size_t n);

/*
 * Read the 8 characters at s as a YYYYMMDD date in years 2020-9999, the
 * date part of KSeF and reference numbers. Returns 0, or KSEF_EFORMAT
 * (with err set, naming `what` and the position `at`) if they are not
 * digits or not a day that exists.
 */
int ksef__number_read_date(ksef_date *out, const char *s, const char *what,
			   size_t at, ksef_error *err);

/* Write d as 8 digits, no NUL; d must be valid. */
void ksef__number_put_date(char *out, ksef_date d);

/* Whether the 10 bytes at s match the NIP pattern. nip.c owns it. */
int ksef__nip_pattern_ok(const char *s);

/*
 * The check digit (weights 6 5 7 2 3 4 5 6 7, mod 11) that the 9 digits
 * at first9 call for: 0-9, or 10 if no digit fits and so no NIP starts
 * with them. nip.c owns it.
 */
int ksef__nip_check_digit(const char *first9);

/*
 * Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard
 * Hinnant's algorithms): exact for any int year, no tables, no libc time
 * functions, so thread-safe. timefmt.c owns them.
 */
int64_t ksef__time_days_from_civil(int y, int m, int d);
ksef_date ksef__time_civil_from_days(int64_t days);

#endif
