/*
 * offline.h - the deadlines of invoices issued offline (ksef-docs
 * tryby-offline.md): by when an invoice issued in offline24 mode, during
 * an announced unavailability of KSeF or in emergency mode must be sent,
 * counted in Polish business days (Saturdays, Sundays and the statutory
 * public holidays excluded).
 *
 * Nothing here talks to a server or keeps state; every function is safe
 * to call from any thread. Dates are calendar dates in Poland.
 */
#ifndef KSEF_OFFLINE_H
#define KSEF_OFFLINE_H

#include "common.h"
#include "error.h"
#include "number.h"

KSEF_BEGIN_DECLS

/** The first year the holiday calendar covers: Epiphany (6 January) is a
 *  public holiday from 2011 on, and no invoice older than that is sent to
 *  KSeF. */
#define KSEF_OFFLINE_YEAR_MIN 2011
/** The last year the holiday calendar covers (ksef_date's own limit,
 *  less the year a deadline may run into). */
#define KSEF_OFFLINE_YEAR_MAX 9998
/** Business days an emergency gives after its end (tryby-offline.md:
 *  "do 7 dni rob. od zakończenia awarii"). */
#define KSEF_OFFLINE_EMERGENCY_DAYS 7

/** The modes of tryby-offline.md's table. The values are ABI. */
typedef enum ksef_offline_mode {
	/** offline24, the taxpayer's choice (art. 106nda): by the next
	 *  business day after the issue date. */
	KSEF_OFFLINE_24 = 0,
	/** KSeF unavailability announced by the Ministry (art. 106nh): by
	 *  the next business day after the unavailability ends. */
	KSEF_OFFLINE_UNAVAILABLE = 1,
	/** Emergency mode, a failure announced by the Ministry (art. 106nf):
	 *  within 7 business days of the failure's end. */
	KSEF_OFFLINE_EMERGENCY = 2
} ksef_offline_mode;

/**
 * Whether a day is a Polish statutory public holiday (ustawa o dniach
 * wolnych od pracy, art. 1): 1 January, 6 January, Easter Sunday and
 * Monday, 1 and 3 May, Pentecost Sunday, Corpus Christi (Easter + 60
 * days), 15 August, 1 and 11 November, 24 December (from 2025, by the
 * amendment of 6 December 2024), 25 and 26 December.
 *
 * @param d a date from KSEF_OFFLINE_YEAR_MIN to KSEF_OFFLINE_YEAR_MAX.
 * @return 1 if it is one, 0 if not or if the date does not exist or lies
 *         outside the covered years.
 */
KSEF_API int ksef_date_is_pl_holiday(ksef_date d);

/**
 * Whether a day is a business day: neither a Saturday, a Sunday nor a
 * public holiday (ksef_date_is_pl_holiday()).
 *
 * @param d a date from KSEF_OFFLINE_YEAR_MIN to KSEF_OFFLINE_YEAR_MAX.
 * @return 1 if it is, 0 if not or if the date is invalid or not covered.
 */
KSEF_API int ksef_date_is_business_day(ksef_date d);

/**
 * The n-th business day after a date: 1 gives the next business day
 * after it, whatever d itself is.
 *
 * @param[out] out  receives the day; unchanged on failure.
 * @param d         the date counted from; it need not be a business day.
 * @param n         how many business days, 1 to 366.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, or KSEF_EINVAL (NULL out, invalid date, a year outside
 *         KSEF_OFFLINE_YEAR_MIN..KSEF_OFFLINE_YEAR_MAX, n out of range).
 */
KSEF_API KSEF_WARN_UNUSED int ksef_date_add_business_days(ksef_date *out,
	ksef_date d, int n, ksef_error *err);

/**
 * What an offline invoice's deadline depends on. Start from
 * KSEF_OFFLINE_DEADLINE_INPUT_INIT and set fields; a date left at
 * { 0, 0, 0 } is absent.
 */
typedef struct ksef_offline_deadline_input {
	int version;            /**< KSEF_OFFLINE_DEADLINE_INPUT_VERSION */
	ksef_offline_mode mode; /**< which mode the invoice was issued in */
	ksef_date issued;       /**< the issue date, the invoice's P_1 */
	/** KSEF_OFFLINE_UNAVAILABLE: the day the announced unavailability
	 *  ended (required); it may not be before issued. */
	ksef_date unavailable_end;
	/** KSEF_OFFLINE_EMERGENCY: the day the emergency ended, of the last
	 *  one announced when they followed each other (required, not before
	 *  issued). In the other modes: the day announced by an emergency that
	 *  was announced while the invoice was still to be sent (with
	 *  emergency_announced), or absent. */
	ksef_date emergency_end;
	/** In the other modes: the day the emergency was announced. Only an
	 *  emergency announced by the mode's own deadline moves it. */
	ksef_date emergency_announced;
	/** Non-zero: a total failure was announced (tryby-offline.md, "Tryb
	 *  awarii całkowitej"), which lifts the duty to send at all. */
	int total_failure;
} ksef_offline_deadline_input;

/** The version of ksef_offline_deadline_input this header describes. */
#define KSEF_OFFLINE_DEADLINE_INPUT_VERSION 1
#define KSEF_OFFLINE_DEADLINE_INPUT_INIT \
	{ KSEF_OFFLINE_DEADLINE_INPUT_VERSION, KSEF_OFFLINE_24, { 0, 0, 0 }, \
	  { 0, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 }, 0 }

/**
 * The last day on which an offline invoice may be sent to KSeF, as
 * tryby-offline.md defines it: offline24 the next business day after the
 * issue date; an announced unavailability the next business day after its
 * end; emergency mode the 7th business day after the emergency's end. When
 * an emergency is announced in offline24 or unavailability mode before the
 * deadline has passed, the deadline becomes the 7th business day after the
 * emergency's end ("Termin przesłania faktury do KSeF przy kolejnych
 * zdarzeniach"; the document's example: issued 2025-07-08, emergency
 * announced 2025-07-09 and over on Saturday 2025-07-12, deadline
 * 2025-07-22), unless that would be earlier than the mode's own.
 *
 * @param[out] out  receives the deadline, a business day; unchanged on
 *                  failure.
 * @param in        the mode and its dates.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0; KSEF_ENOTFOUND when a total failure lifts the duty to send
 *         (there is no deadline); KSEF_EINVAL for a NULL argument, an
 *         unknown version or mode, a missing or invalid date, a date
 *         outside the covered years, or an end before the issue date.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_offline_deadline(ksef_date *out,
	const ksef_offline_deadline_input *in, ksef_error *err);

KSEF_END_DECLS

#endif
