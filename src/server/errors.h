/*
 * errors.h - the API's error bodies, in both formats the contract has
 * (SPEC 2.3): the default ExceptionResponse and, when the request says
 * `X-Error-Format: problem-details`, Problem Details. 401, 403 and 410 are
 * always Problem Details. One table maps each exception code to its
 * official description.
 */
#ifndef KSEFD_ERRORS_H
#define KSEFD_ERRORS_H

#include <jansson.h>
#include "ksef/error.h"

struct request;

/* The official exceptionDescription of a code (SPEC 2.7), or NULL. */
const char *errors_description(int code);

/*
 * Answer 400 (or `http_status`, e.g. 413) with one exception code and one
 * detail line (printf format; NULL for none).
 */
void errors_reply(struct request *req, unsigned http_status, int code,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The same for a code outside the table, with its description (fault
 * injection's 21184, announced after open-api.json was last published). */
void errors_reply_described(struct request *req, unsigned http_status,
			    int code, const char *description,
			    const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * 500 for a failure of the server itself (the store, memory, a library):
 * the reason (err's message, which may name tables or files) goes to the
 * server's log with the request's referenceNumber, and the client gets a
 * detail that names no internals. The contract has no code of its own for
 * this, so it keeps 21405 (docs/ksefd.md).
 */
void errors_internal(struct request *req, const ksef_error *err);

/* 401 with a detail ("Wymagane jest uwierzytelnienie." when NULL). */
void errors_unauthorized(struct request *req, const char *detail);

/*
 * 403 with a reasonCode and its security object (stolen; may be NULL).
 */
void errors_forbidden(struct request *req, const char *reason_code,
		      const char *detail, json_t *security);

/* 410 Gone. */
void errors_gone(struct request *req, const char *detail);

/* 429 with Retry-After and the documented body in the requested format. */
void errors_too_many(struct request *req, int retry_after_s,
		     const char *detail);

/* 404 / 405 for routes outside the contract: 400/21405 bodies with the
 * HTTP status that says what happened. */
void errors_no_route(struct request *req, unsigned http_status);

#endif
