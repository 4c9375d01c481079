/*
 * contract.h - what the contract tests share: open-api.json, read at run
 * time, and a checker that holds a JSON value against one of its schemas
 * (following $ref and allOf into nested objects and arrays): every
 * property must be in the schema with its JSON type, enums, lengths and
 * minimums must hold, Base64 must decode, and every required property must
 * be there. Used for the bodies the client builds and the answers ksefd
 * gives.
 */
#ifndef KSEF_TEST_CONTRACT_H
#define KSEF_TEST_CONTRACT_H

#include <stddef.h>
#include <jansson.h>

/* open-api.json, loaded by contract_load(); NULL before. */
extern json_t *contract_api;

/* Load ../shared/ksef-docs/open-api.json; 0 or -1 (with a message). */
int contract_load(void);
void contract_unload(void);

/* Check v against schema s (`at` names v in the message): 0, or -1 with
 * the first mismatch described in why. */
int contract_check(const json_t *v, const json_t *s, const char *at,
		   char *why, size_t whysz);

/* The JSON request schema of an operation (path as in open-api.json, e.g.
 * "/sessions/online/{referenceNumber}/invoices", method in lower case);
 * the test fails if there is none. */
const json_t *contract_request_schema(const char *path, const char *method);

/* The schema of an operation's answer with this status and content type
 * ("application/json" or "application/problem+json"), or NULL if the
 * contract gives none. */
const json_t *contract_response_schema(const char *path, const char *method,
				       int status, const char *content_type);

#endif
