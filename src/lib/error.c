/*
 * error.c - owns ksef_error: formatting messages (for the library and,
 * through ksef_error_set(), for programs), the static code table, and
 * draining OpenSSL's per-thread error queue into a message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include "internal.h"

static int error_vset(ksef_error *err, int code, int line, const char *fmt,
		      va_list ap)
{
	if (err == NULL)
		return code;
	err->code = code;
	err->line = line;
	if (fmt == NULL)
		err->message[0] = '\0';
	else
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return code;
}

/* The public face of ksef__error_set(), for programs. */
int ksef_error_set(ksef_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int ksef__error_set(ksef_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int ksef__error_set_line(ksef_error *err, int code, int line,
			 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, code, line, fmt, ap);
	va_end(ap);
	return code;
}

int ksef__error_openssl(ksef_error *err, int code, const char *what)
{
	unsigned long e = ERR_peek_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	if (reason != NULL)
		return ksef__error_set(err, code, "%s: %s", what, reason);
	return ksef__error_set(err, code, "%s", what);
}

const char *ksef_strerror(int code)
{
	switch (code) {
	case KSEF_OK: return "success";
	case KSEF_EINVAL: return "invalid argument";
	case KSEF_ENOMEM: return "out of memory";
	case KSEF_ETOOBIG: return "input over the size limit";
	case KSEF_EPARSE: return "malformed input";
	case KSEF_ECRYPTO: return "cryptographic operation failed";
	case KSEF_EIO: return "input/output error";
	case KSEF_ESCHEMA: return "schema missing or unusable";
	case KSEF_ENOTFOUND: return "not found";
	case KSEF_ECHECKSUM: return "check value does not match";
	case KSEF_EFORMAT: return "wrong format";
	case KSEF_EHTTP: return "the server answered with an error";
	case KSEF_ENETWORK: return "network error";
	case KSEF_ERATELIMIT: return "request rate limit exceeded";
	default: return "unknown error";
	}
}
