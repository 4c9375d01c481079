/*
 * number.h - the identifiers and formats KSeF exchanges as text: KSeF
 * numbers, reference numbers, NIP and PESEL, ISO 8601 timestamps and
 * calendar dates (ksef-docs SPEC sections 7.1-7.5).
 *
 * Everything here works on caller-owned fixed-size buffers and plain value
 * types: nothing allocates, nothing keeps state, and every function is safe
 * to call from any thread. Inputs come as pointer plus length and need not
 * end in a NUL; outputs are always NUL-terminated.
 */
#ifndef KSEF_NUMBER_H
#define KSEF_NUMBER_H

#include <stdint.h>
#include "common.h"
#include "error.h"

KSEF_BEGIN_DECLS

/** Characters in a KSeF number: NNNNNNNNNN-YYYYMMDD-XXXXXXXXXXXX-CC. */
#define KSEF_NUMBER_LEN 35
/** Bytes a KSeF number needs, with its NUL. */
#define KSEF_NUMBER_BUFSZ 36
/** Characters in a reference number: YYYYMMDD-TT-HHHHHHHHHH-HHHHHHHHHH-CC. */
#define KSEF_REFNUM_LEN 36
/** Bytes a reference number needs, with its NUL. */
#define KSEF_REFNUM_BUFSZ 37
/** Digits in a NIP. */
#define KSEF_NIP_LEN 10
/** Bytes a NIP needs, with its NUL. */
#define KSEF_NIP_BUFSZ 11
/** Digits in a PESEL. */
#define KSEF_PESEL_LEN 11
/** Bytes a PESEL needs, with its NUL. */
#define KSEF_PESEL_BUFSZ 12
/** Bytes the longest timestamp needs: "YYYY-MM-DDTHH:MM:SS.mmm+HH:MM". */
#define KSEF_TIME_BUFSZ 30
/** Bytes a "YYYY-MM-DD" date needs, with its NUL. */
#define KSEF_DATE_BUFSZ 11

/** The largest technical part of a KSeF number: 12 hex digits. */
#define KSEF_NUMBER_TECHNICAL_MAX UINT64_C(0xFFFFFFFFFFFF)

/*
 * Dates and times
 */

/**
 * A calendar day of the proleptic Gregorian calendar, with no time zone.
 * Valid dates have year 1-9999, month 1-12 and a day that exists.
 *
 * Frozen: a value type of the formatting and parsing functions, passed and
 * returned by value, so it never grows (docs/abi.md).
 */
typedef struct ksef_date {
	int year;  /**< 1 to 9999 */
	int month; /**< 1 to 12 */
	int day;   /**< 1 to 28, 29, 30 or 31 */
} ksef_date;

/**
 * An instant together with the offset it is shown in. Two values with the
 * same unix_ms are the same instant whatever their offsets.
 *
 * Frozen: a value type of the formatting and parsing functions, passed and
 * returned by value, so it never grows (docs/abi.md). Results and options
 * elsewhere carry instants as int64_t milliseconds since the epoch, named
 * <name>_ms, with KSEF_TIME_UNSET for an instant that is absent.
 */
typedef struct ksef_time {
	int64_t unix_ms;    /**< milliseconds since 1970-01-01T00:00:00Z */
	int offset_minutes; /**< local offset east of UTC: 120 is +02:00 */
} ksef_time;

/**
 * The value of an int64_t <name>_ms field whose instant is absent: an
 * optional date the server left out, or an option left at its default.
 * No instant the library reads or writes (years 0001-9999) is this far
 * from the epoch.
 */
#define KSEF_TIME_UNSET INT64_MIN

/** ksef_time_format_ext(): write a zero offset as "Z", not "+00:00". */
#define KSEF_TIME_FMT_Z 0x1u
/** ksef_time_format_ext(): leave out the milliseconds. */
#define KSEF_TIME_FMT_SECONDS 0x2u

/**
 * Whether a date exists: year 1-9999 and a day its month has.
 *
 * @param d the date.
 * @return 1 if it exists, 0 if not.
 */
KSEF_API int ksef_date_is_valid(ksef_date d);

/**
 * Compare two dates by calendar order.
 *
 * @param a the first date.
 * @param b the second date.
 * @return a negative number, 0 or a positive number as a is before, the
 *         same day as, or after b.
 */
KSEF_API int ksef_date_cmp(ksef_date a, ksef_date b);

/**
 * Write a date as an xsd:date without a zone ("2025-09-16"), the form of
 * an invoice's P_1.
 *
 * @param[out] out receives the text and its NUL; unchanged on failure.
 * @param d        the date.
 * @param err      receives the reason on failure; may be NULL.
 * @return 0, or KSEF_EINVAL if d does not exist or out is NULL.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_date_format(char out[KSEF_DATE_BUFSZ],
	ksef_date d, ksef_error *err);

/**
 * Read a "YYYY-MM-DD" date: exactly ten characters, a day that exists,
 * years 0001-9999. Time zones, signs and extra digits are refused.
 *
 * @param[out] out receives the date; unchanged on failure.
 * @param s        the text; it need not end in a NUL.
 * @param len      its length in bytes.
 * @param err      receives the reason on failure; may be NULL.
 * @return 0, KSEF_EFORMAT if the text is not such a date, or KSEF_EINVAL
 *         if out is NULL or s is NULL with a non-zero len.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_date_parse(ksef_date *out, const char *s,
	size_t len, ksef_error *err);

/**
 * The current time, in UTC (offset 0). Reads CLOCK_REALTIME.
 *
 * @return the current instant.
 */
KSEF_API ksef_time ksef_time_now(void);

/**
 * Europe/Warsaw's offset from UTC at an instant: +60 (CET) or +120
 * (CEST). Computed from the EU rule in force since 1996, summer time from
 * 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
 * October, and applied to every year. It reads no tz database and no
 * environment, so it is thread-safe and gives the same answer everywhere.
 *
 * @param unix_ms the instant, in milliseconds since the epoch.
 * @return 60 or 120; 60 for instants outside the years 0001-9999.
 */
KSEF_API int ksef_time_warsaw_offset(int64_t unix_ms);

/**
 * An instant shown in Polish local time, as the UPO and the date part of
 * KSeF numbers use it.
 *
 * @param unix_ms the instant, in milliseconds since the epoch.
 * @return the instant with ksef_time_warsaw_offset(unix_ms).
 */
KSEF_API ksef_time ksef_time_warsaw(int64_t unix_ms);

/**
 * The calendar day an instant falls on at its own offset; 23:30Z on the
 * 15th is the 16th at +02:00.
 *
 * @param t the instant and offset.
 * @return the local date; it does not exist (ksef_date_is_valid() is 0) if
 *         t is outside the years 0001-9999.
 */
KSEF_API ksef_date ksef_time_date(ksef_time t);

/**
 * Write a timestamp as ISO 8601 with milliseconds and offset, as KSeF
 * writes them: "2025-09-16T11:05:40.841+02:00". A zero offset is written
 * "+00:00", like the OpenAPI examples; see ksef_time_format_ext() for "Z".
 *
 * @param[out] out receives the text and its NUL; unchanged on failure.
 * @param t        the instant and the offset to show it in.
 * @param err      receives the reason on failure; may be NULL.
 * @return 0, or KSEF_EINVAL if out is NULL, the offset is beyond
 *         +-23:59, or the local time is outside the years 0001-9999.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_time_format(char out[KSEF_TIME_BUFSZ],
	ksef_time t, ksef_error *err);

/**
 * As ksef_time_format(), with choices.
 *
 * @param[out] out receives the text and its NUL; unchanged on failure.
 * @param t        the instant and the offset to show it in.
 * @param flags    0 or KSEF_TIME_FMT_* values or-ed together.
 * @param err      receives the reason on failure; may be NULL.
 * @return 0, or KSEF_EINVAL as ksef_time_format() or for unknown flags.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_time_format_ext(char out[KSEF_TIME_BUFSZ],
	ksef_time t, unsigned flags, ksef_error *err);

/**
 * Read an RFC 3339 timestamp with an offset, the API's date-time format:
 * "YYYY-MM-DDTHH:MM:SS", then optionally "." and 1 to 7 fraction digits
 * (truncated to milliseconds), then "Z" or "+HH:MM"/"-HH:MM". Only the
 * upper-case "T" and "Z" are accepted; a missing offset, a leap second
 * (":60"), hour 24, an offset beyond 23:59 and a day the month does not
 * have are refused.
 *
 * @param[out] out receives the instant and its offset ("-00:00" reads as
 *                 0); unchanged on failure.
 * @param s        the text; it need not end in a NUL.
 * @param len      its length in bytes.
 * @param err      receives the reason on failure; may be NULL.
 * @return 0, KSEF_EFORMAT if the text is not such a timestamp, or
 *         KSEF_EINVAL if out is NULL or s is NULL with a non-zero len.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_time_parse(ksef_time *out, const char *s,
	size_t len, ksef_error *err);

/*
 * KSeF numbers (faktury/numer-ksef.md)
 */

/**
 * The parts of a KSeF number.
 *
 * Frozen: the caller owns it and the library writes it whole, so it never
 * grows (docs/abi.md); more would come in a new type.
 */
typedef struct ksef_number_parts {
	char nip[KSEF_NIP_BUFSZ]; /**< the seller's NIP, NUL-terminated */
	ksef_date date;           /**< the day the invoice was accepted */
	uint64_t technical;       /**< the 12 hex digits, as a number */
} ksef_number_parts;

/**
 * Make a KSeF number: NIP, date, technical part and the CRC-8 check value
 * (polynomial 0x07, initial value 0) of the first 32 characters, in
 * upper-case hex. KSeF takes the date as the Polish local day of
 * acceptance: pass ksef_time_date(ksef_time_warsaw(ms)). How the technical
 * part is chosen is undocumented; a server may use a counter or random
 * bits, as long as numbers stay unique.
 *
 * @param[out] out     receives the 35 characters and a NUL; unchanged on
 *                     failure.
 * @param nip          the seller's NIP; only its pattern is checked, as
 *                     the test environments do not check NIP checksums.
 * @param nip_len      its length, which must be 10.
 * @param date         the day; its year must be 2020-9999, as the
 *                     OpenAPI pattern requires.
 * @param technical    at most KSEF_NUMBER_TECHNICAL_MAX.
 * @param err          receives the reason on failure; may be NULL.
 * @return 0, KSEF_EFORMAT if the NIP does not match its pattern, or
 *         KSEF_EINVAL for a NULL out or nip, a date that does not exist or
 *         is out of range, or a technical part over 12 hex digits.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_number_generate(
	char out[KSEF_NUMBER_BUFSZ], const char *nip, size_t nip_len,
	ksef_date date, uint64_t technical, ksef_error *err);

/**
 * Check a KSeF number: exactly 35 characters, hyphens in place, a NIP
 * matching the pattern [1-9]((\d[1-9])|([1-9]\d))\d{7} (its checksum is
 * not checked), a date that exists in 2020-9999, upper-case hex digits
 * and the right check value.
 *
 * The OpenAPI pattern also admits a 36-character KSeF 1.0 form with a
 * hyphen inside the technical part. KSeF 2.0 never issues it and its check
 * value is undocumented, so it is refused with KSEF_EFORMAT; a client
 * that must carry such numbers should treat them as opaque strings.
 *
 * @param s   the text; it need not end in a NUL.
 * @param len its length in bytes.
 * @param err receives the reason on failure; may be NULL.
 * @return 0, KSEF_EFORMAT if the text is not shaped like a KSeF number,
 *         KSEF_ECHECKSUM if only the check value is wrong, or KSEF_EINVAL
 *         if s is NULL with a non-zero len.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_number_validate(const char *s, size_t len,
	ksef_error *err);

/**
 * Validate a KSeF number as ksef_number_validate() does and split it.
 *
 * @param[out] out receives the NIP, date and technical part; unchanged on
 *                 failure.
 * @param s        the text; it need not end in a NUL.
 * @param len      its length in bytes.
 * @param err      receives the reason on failure; may be NULL.
 * @return as ksef_number_validate(), or KSEF_EINVAL if out is NULL.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_number_parse(ksef_number_parts *out,
	const char *s, size_t len, ksef_error *err);

/*
 * Reference numbers (SPEC 7.1; the format is inferred from the examples)
 */

/**
 * What a reference number names, from its two-character type code. The
 * meanings are inferred from where the codes appear in the documentation.
 * The values are ABI and never change.
 */
typedef enum ksef_refnum_type {
	KSEF_REFNUM_OTHER = 0,          /**< any other code, e.g. "93" */
	KSEF_REFNUM_CHALLENGE = 1,      /**< "CR": an authentication challenge */
	KSEF_REFNUM_AUTH = 2,           /**< "AU": an authentication operation */
	KSEF_REFNUM_ONLINE_SESSION = 3, /**< "SO": an interactive session */
	KSEF_REFNUM_BATCH_SESSION = 4,  /**< "SB": a batch session */
	KSEF_REFNUM_INVOICE = 5,        /**< "EE": an invoice in a session */
	KSEF_REFNUM_UPO = 6,            /**< "EU": a session UPO page */
	KSEF_REFNUM_TOKEN = 7,          /**< "EC": a KSeF token */
	KSEF_REFNUM_PERMISSION = 8,     /**< "EG": a permission operation */
	KSEF_REFNUM_OPERATION = 9       /**< "EH": enrollment, invoice export */
} ksef_refnum_type;

/**
 * The parts of a reference number.
 *
 * Frozen: the caller owns it and the library writes it whole, so it never
 * grows (docs/abi.md); more would come in a new type.
 */
typedef struct ksef_refnum_parts {
	ksef_date date;        /**< the day it was made */
	ksef_refnum_type type; /**< what it names, or KSEF_REFNUM_OTHER */
	char type_code[3];     /**< the two-character code, NUL-terminated */
} ksef_refnum_parts;

/**
 * The two-character code of a type.
 *
 * @param type a ksef_refnum_type.
 * @return a static string such as "SO", or NULL for KSEF_REFNUM_OTHER and
 *         values outside the enumeration.
 */
KSEF_API const char *ksef_refnum_type_code(ksef_refnum_type type);

/**
 * The type named by the code at characters 10-11 of a reference number.
 * It looks at those two characters only; call ksef_refnum_validate()
 * first when s is untrusted.
 *
 * @param s   the reference number; it need not end in a NUL.
 * @param len its length in bytes.
 * @return the type, or KSEF_REFNUM_OTHER for an unknown code or a string
 *         that is not KSEF_REFNUM_LEN long.
 */
KSEF_API ksef_refnum_type ksef_refnum_type_of(const char *s, size_t len);

/**
 * Make a new reference number, YYYYMMDD-TT-HHHHHHHHHH-HHHHHHHHHH-CC. The
 * date is when's local day. The first hex group is the milliseconds since
 * the start of that local day times 4096 plus 12 random bits, so numbers
 * of one day and type sort by creation time to the millisecond, as the
 * real ones appear to; the second group is 40 random bits. Both come from
 * OpenSSL's CSPRNG, so two numbers made in the same millisecond collide
 * with probability 2^-52. CC is the CRC-8 of the first 33 characters.
 *
 * @param[out] out receives the 36 characters and a NUL; unchanged on
 *                 failure.
 * @param type     any type except KSEF_REFNUM_OTHER.
 * @param when     the instant and offset; use ksef_time_warsaw() for the
 *                 Polish date. Its local year must be 2020-9999.
 * @param err      receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL out, an unknown type or a year out of
 *         range, or KSEF_ECRYPTO if the random generator fails.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_refnum_generate(
	char out[KSEF_REFNUM_BUFSZ], ksef_refnum_type type, ksef_time when,
	ksef_error *err);

/**
 * Check a reference number against the UPO schema's TNumerReferencyjny
 * pattern: exactly 36 characters, a date that exists in 2020-9999, a type
 * of two characters from [0-9A-Z], upper-case hex groups, and the CRC-8
 * check value of the first 33 characters.
 *
 * @param s   the text; it need not end in a NUL.
 * @param len its length in bytes.
 * @param err receives the reason on failure; may be NULL.
 * @return 0, KSEF_EFORMAT if the text is not shaped like a reference
 *         number, KSEF_ECHECKSUM if only the check value is wrong, or
 *         KSEF_EINVAL if s is NULL with a non-zero len.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_refnum_validate(const char *s, size_t len,
	ksef_error *err);

/**
 * Validate a reference number as ksef_refnum_validate() does and split it.
 *
 * @param[out] out receives the date and type; unchanged on failure.
 * @param s        the text; it need not end in a NUL.
 * @param len      its length in bytes.
 * @param err      receives the reason on failure; may be NULL.
 * @return as ksef_refnum_validate(), or KSEF_EINVAL if out is NULL.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_refnum_parse(ksef_refnum_parts *out,
	const char *s, size_t len, ksef_error *err);

/*
 * NIP and PESEL (SPEC 7.3, 7.4)
 */

/**
 * Check that a NIP matches the schema pattern [1-9]((\d[1-9])|([1-9]\d))\d{7}
 * and nothing more. This is what the test environments check, where
 * made-up NIPs are common.
 *
 * @param s   the text; it need not end in a NUL.
 * @param len its length in bytes.
 * @param err receives the reason on failure; may be NULL.
 * @return 0, KSEF_EFORMAT, or KSEF_EINVAL if s is NULL with a non-zero len.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_nip_validate_pattern(const char *s,
	size_t len, ksef_error *err);

/**
 * Check a NIP's pattern (as ksef_nip_validate_pattern()) and its check
 * digit: the digits weighted 6 5 7 2 3 4 5 6 7, summed mod 11, must equal
 * the tenth digit (a sum of 10 is never valid). Production checks this.
 *
 * @param s   the text; it need not end in a NUL.
 * @param len its length in bytes.
 * @param err receives the reason on failure; may be NULL.
 * @return 0, KSEF_EFORMAT for a pattern mismatch, KSEF_ECHECKSUM for a
 *         wrong check digit, or KSEF_EINVAL if s is NULL with a non-zero
 *         len.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_nip_validate(const char *s, size_t len,
	ksef_error *err);

/**
 * Make a random NIP that passes ksef_nip_validate(), for test data. It
 * may happen to belong to a real taxpayer.
 *
 * @param[out] out receives 10 digits and a NUL; unchanged on failure.
 * @param err      receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL if out is NULL, or KSEF_ECRYPTO if the random
 *         generator fails.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_nip_generate(char out[KSEF_NIP_BUFSZ],
	ksef_error *err);

/**
 * Check a PESEL: the OpenAPI pattern (11 digits, month 01-12 plus 0, 20,
 * 40, 60 or 80 for the century) and the check digit, with weights
 * 1 3 7 9 1 3 7 9 1 3: (10 - sum mod 10) mod 10 must be the last digit.
 * The day is not checked against the month, as the pattern does not.
 *
 * @param s   the text; it need not end in a NUL.
 * @param len its length in bytes.
 * @param err receives the reason on failure; may be NULL.
 * @return 0, KSEF_EFORMAT, KSEF_ECHECKSUM, or KSEF_EINVAL if s is NULL
 *         with a non-zero len.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_pesel_validate(const char *s, size_t len,
	ksef_error *err);

KSEF_END_DECLS

#endif
