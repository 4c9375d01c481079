/*
 * error.h - the one error convention of libksef: functions that can fail
 * return 0 or a negative KSEF_E* code, and fill a caller-owned ksef_error
 * with the details. There is no hidden "last error".
 */
#ifndef KSEF_ERROR_H
#define KSEF_ERROR_H

#include "common.h"

KSEF_BEGIN_DECLS

/*
 * Error codes. They are ABI: new codes are added at the end and no code is
 * ever renumbered.
 */
#define KSEF_OK 0
#define KSEF_EINVAL -1    /**< an argument breaks the API contract */
#define KSEF_ENOMEM -2    /**< out of memory */
#define KSEF_ETOOBIG -3   /**< input over a named limit */
#define KSEF_EPARSE -4    /**< malformed input (XML, Base64, a number) */
#define KSEF_ECRYPTO -5   /**< OpenSSL refused an operation */
#define KSEF_EIO -6       /**< a file could not be read or written */
#define KSEF_ESCHEMA -7   /**< a schema is missing or does not compile */
#define KSEF_ENOTFOUND -8 /**< the thing asked for does not exist */
#define KSEF_ECHECKSUM -9 /**< a check digit or digest does not match */
#define KSEF_EFORMAT -10  /**< well-formed input in the wrong format */
#define KSEF_EHTTP -11    /**< the server answered with an error status */
#define KSEF_ENETWORK -12 /**< no usable answer: connection, TLS, timeout */
#define KSEF_ERATELIMIT -13 /**< HTTP 429 beyond the caller's wait cap */

/** The longest message a ksef_error holds, with its NUL. */
#define KSEF_ERROR_MESSAGE_MAX 256

/**
 * Details of a failure. Owned by the caller, usually on the stack; the
 * library only writes to it and never allocates inside it.
 */
typedef struct ksef_error {
	int code;    /**< the KSEF_E* code the function returned */
	int line;    /**< line of the input where it was found, or 0 */
	char message[KSEF_ERROR_MESSAGE_MAX]; /**< one line, never a secret */
} ksef_error;

/** Lets the compiler check a printf-style format against its arguments. */
#if defined(__GNUC__) || defined(__clang__)
#define KSEF_PRINTF(fmt_index, first_arg) \
	__attribute__((format(printf, fmt_index, first_arg)))
#else
#define KSEF_PRINTF(fmt_index, first_arg)
#endif

/**
 * Fill a ksef_error the way libksef does, for programs and callbacks that
 * report failures in the same convention: code, line 0, and a one-line
 * message formatted as by printf(), cut at KSEF_ERROR_MESSAGE_MAX - 1
 * bytes. Never put a key, token or invoice content in the message.
 *
 * @param err   the error to fill; may be NULL, when only the code is
 *              returned.
 * @param code  the KSEF_E* code to record and return.
 * @param fmt   a printf() format; NULL leaves the message empty.
 * @return code, so that a failure can be reported in one statement:
 *         `return ksef_error_set(err, KSEF_EIO, "cannot read %s", path);`
 */
KSEF_API int ksef_error_set(ksef_error *err, int code, const char *fmt, ...)
	KSEF_PRINTF(3, 4);

/**
 * A static description of a code: every KSEF_E* code of every header has
 * its own, error.h's and the modules' (xades.h's KSEF_EXADES_*).
 *
 * @param code a KSEF_E* code (or any int).
 * @return a static English string; "unknown error" for an int that is no
 *         code.
 */
KSEF_API const char *ksef_strerror(int code);

KSEF_END_DECLS

#endif
