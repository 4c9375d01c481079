/*
 * error.c - owns ksef_error: formatting messages (for the library and,
 * through ksef_error_set(), for programs), the static code table (every
 * code of every module: error.h's and xades.h's), and draining OpenSSL's
 * per-thread error queue into a message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include "ksef/xades.h"
#include "internal.h"

/* Declared a printf-like function taking a va_list (format index 4, no
 * variadic arguments), so compilers check its callers' formats instead of
 * warning that the format reaching vsnprintf() is not a literal (clang's
 * -Wformat-nonliteral under -Wformat=2). */
static int error_vset(ksef_error *err, int code, int line, const char *fmt,
		      va_list ap) KSEF__PRINTF(4, 0);

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

int ksef__openssl_nomem(void)
{
	/* The failed allocation is usually the first entry, raised where it
	 * happened; the callers above add theirs after it. */
	return ERR_GET_REASON(ERR_peek_error()) == ERR_R_MALLOC_FAILURE ||
	       ERR_GET_REASON(ERR_peek_last_error()) == ERR_R_MALLOC_FAILURE;
}

int ksef__error_openssl(ksef_error *err, int code, const char *what)
{
	unsigned long e = ERR_peek_error(), q;
	const char *reason = e ? ERR_reason_error_string(e) : NULL;

	/* An allocation that failed anywhere in the queue makes it out of
	 * memory, whatever step failed: a caller that took it for bad input
	 * (a key that does not decrypt, a signature that does not verify)
	 * would refuse for good what a retry would accept. */
	while ((q = ERR_get_error()) != 0)
		if (ERR_GET_REASON(q) == ERR_R_MALLOC_FAILURE)
			code = KSEF_ENOMEM;
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
	case KSEF_EXADES_NOSIG: return "XAdES: the document is not signed";
	case KSEF_EXADES_MANYSIG:
		return "XAdES: the document has more than one signature";
	case KSEF_EXADES_NOT_ENVELOPED:
		return "XAdES: the signature is not enveloped";
	case KSEF_EXADES_STRUCTURE:
		return "XAdES: signature parts are missing or inconsistent";
	case KSEF_EXADES_ALGORITHM:
		return "XAdES: an algorithm is not accepted";
	case KSEF_EXADES_DIGEST:
		return "XAdES: a reference digest does not match";
	case KSEF_EXADES_SIGVALUE:
		return "XAdES: the signature value does not verify";
	case KSEF_EXADES_CERT:
		return "XAdES: the signing certificate is missing or unusable";
	case KSEF_EXADES_CERT_EXPIRED:
		return "XAdES: the signing certificate has expired";
	case KSEF_EXADES_CERT_NOT_YET:
		return "XAdES: the signing certificate is not yet valid";
	case KSEF_EXADES_ENCODING: return "XAdES: the document is not UTF-8";
	case KSEF_EXADES_CONTENT:
		return "XAdES: the document breaks the authentication schema";
	default: return "unknown error";
	}
}
