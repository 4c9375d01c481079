/*
 * client_int.h - what client.c (the transport and the error model) and
 * client_api.c (one function per endpoint) share, and what the unit tests
 * reach: the request builders that turn a call's inputs into the JSON body
 * it sends, so the body can be checked against open-api.json without a
 * network.
 */
#ifndef KSEF_CLIENT_INT_H
#define KSEF_CLIENT_INT_H

#include <stddef.h>
#include <jansson.h>
#include "ksef/client.h"

/*
 * Result memory. Every ksef_api_* result is one allocation with a hidden
 * header in front: the list of the blocks its strings and arrays live in.
 * ksef__result_free() wipes and frees them all, so a result that holds a
 * token needs no special care.
 */

/* A zeroed result of `size` bytes, or NULL when out of memory. */
void *ksef__result_new(size_t size);

/* Zeroed memory owned by res, freed with it; NULL when out of memory. */
void *ksef__result_alloc(void *res, size_t size);

/* A NUL-terminated copy of s[0..len) owned by res; NULL when out of
 * memory. */
char *ksef__result_strndup(void *res, const char *s, size_t len);

/* Wipe and free a result and all it owns; NULL does nothing. */
void ksef__result_free(void *res);

/*
 * Transport
 */

/* One API exchange, as client_api.c describes it to client.c. */
typedef struct ksef__request {
	const char *method;       /* "GET", "POST" or "DELETE" */
	/* The path under the base URL, starting with '/', with its query
	 * already percent-encoded; or NULL when url is set. */
	const char *path;
	const char *url;          /* an absolute pre-signed URL, or NULL */
	const char *bearer;       /* token for Authorization, or NULL */
	const char *content_type; /* of body, or NULL for none */
	const unsigned char *body;
	size_t body_len;
	const char *accept;       /* Accept header, or NULL for JSON */
	const char *continuation; /* x-continuation-token, or NULL */
	/* Non-zero: repeating the request changes nothing, so a 5xx or a
	 * timeout may be retried (ksef_client_options). */
	int retry_safe;
	/* Non-zero: check x-ms-meta-hash against the body when present. */
	int check_meta_hash;
} ksef__request;

/* What a successful (2xx) exchange returned. */
typedef struct ksef__response {
	int status;    /* the HTTP status */
	ksef_buf body; /* the body, NUL-terminated; wiped on dispose */
} ksef__response;

/* An empty response. */
#define KSEF__RESPONSE_INIT { 0, KSEF_BUF_INIT }

/*
 * Forget what the previous call left: its error answer, status and
 * warning. Every public call starts with it.
 */
void ksef__client_begin(ksef_client *c);

/*
 * Make one exchange with the retries the options allow. On a 2xx answer
 * returns 0 and fills rs. Otherwise returns KSEF_EHTTP or KSEF_ERATELIMIT
 * (the error answer is parsed for ksef_client_last_error()),
 * KSEF_ENETWORK, KSEF_ETOOBIG (body over max_response_bytes),
 * KSEF_ECHECKSUM (x-ms-meta-hash mismatch), KSEF_EINVAL or KSEF_ENOMEM,
 * and err says which request failed and why.
 */
int ksef__client_perform(ksef_client *c, const ksef__request *rq,
			 ksef__response *rs, ksef_error *err);

/* Wipe and release a response's body. */
void ksef__response_dispose(ksef__response *rs);

/* The client's access token (NUL-terminated), or NULL if none is set. */
const char *ksef__client_access_token(const ksef_client *c);

/* Non-zero when the base URL is plain http (a local test server). */
int ksef__client_base_is_http(const ksef_client *c);

/*
 * Request bodies. Each builds the JSON object a call sends, from the same
 * inputs as the public call, and returns 0 with *out set to a new
 * reference (json_decref() it), or a negative code with *out NULL.
 */

/* InitTokenAuthenticationRequest (POST /auth/ksef-token). */
int ksef__client_build_ksef_token_body(json_t **out,
	const ksef_api_challenge *challenge, ksef_context_type ctx_type,
	const char *ctx_value, const char *ksef_token, const ksef_pubkey *key,
	const ksef_client_ip_policy *policy, ksef_error *err);

/* OpenOnlineSessionRequest (POST /sessions/online). */
int ksef__client_build_open_session_body(json_t **out, ksef_form form,
	const ksef_envelope *env, const ksef_pubkey *key, ksef_error *err);

/* SendInvoiceRequest (POST /sessions/online/{ref}/invoices); meta_out
 * (may be NULL) receives the declared hashes and sizes. */
int ksef__client_build_send_invoice_body(json_t **out,
	ksef_invoice_meta *meta_out, const ksef_envelope *env,
	const unsigned char *xml, size_t len,
	const ksef_client_send_options *opts, ksef_error *err);

/* GenerateTokenRequest (POST /tokens). */
int ksef__client_build_token_body(json_t **out, unsigned permissions,
	const char *description, ksef_error *err);

#endif
