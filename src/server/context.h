/*
 * context.h - context identifiers (SPEC 4.3, 7.4): parsing and checking
 * {type, value} objects, and the authorizationPolicy of an authentication.
 */
#ifndef KSEFD_CONTEXT_H
#define KSEFD_CONTEXT_H

#include <jansson.h>
#include "server.h"

struct context_id {
	char type[16];     /* canonical: Nip InternalId NipVatUe PeppolId */
	char value[64];
};

/* Parse {type, value}; enum names are accepted in any case (SPEC 13 #25).
 * Answers 21405 and returns -1 when invalid. */
int context_from_json(struct request *req, json_t *obj,
		      struct context_id *out);

/* Check an authorizationPolicy object: lists of at most 10 addresses,
 * ranges and masks of the documented forms. Answers 21405 if not. */
int context_check_policy(struct request *req, json_t *policy);

/* A checked authorizationPolicy as the compact JSON that binds tokens:
 * only the three known lists, so that no unknown member can make it
 * longer than STORE_POLICY_SZ. Writes "" for a policy with no list.
 * Returns 0, or -1 if it does not fit (it always does once checked). */
int context_policy_text(char *out, size_t size, json_t *policy);

/* The same for the AuthorizationPolicy of a XAdES document: checked as
 * context_check_policy() does (answering 21405 if invalid), then written
 * as context_policy_text() writes it. Returns 0 or -1 (answered). */
int context_policy_from_lists(struct request *req,
			      const ksef_client_ip_policy *policy, char *out,
			      size_t size);

/* Whether ip (dotted IPv4) is allowed by a stored policy (JSON text);
 * an empty policy allows all. */
int context_ip_allowed(const char *policy_json, const char *ip);

/* Whether the value is a valid identifier of that type (pattern only). */
int context_value_ok(const char *type, const char *value);

#endif
