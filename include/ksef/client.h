/*
 * client.h - a client of the KSeF 2.0 API (SPEC sections 2-4): one
 * ksef_client per base URL, one function per endpoint of the interactive
 * workflow, typed results, and the server's error answers parsed into a
 * ksef_api_error.
 *
 * Ownership, stated once for the whole header:
 *
 *  - A ksef_client is opaque, made by ksef_client_new() and destroyed by
 *    ksef_client_free(). Use it from one thread at a time; different
 *    clients are independent.
 *  - Results are ksef_api_* structs the library allocates and the caller
 *    reads and frees with the matching ksef_api_*_free(); _free(NULL) does
 *    nothing. Every pointer inside a result (strings, lists, nested
 *    structs) is borrowed from it and lives until that _free.
 *  - A result struct is handed out only by pointer, and is transparent for
 *    reading through that pointer only: never allocate, copy or embed one
 *    yourself, since fields may be added at the end in later versions.
 *    For the same reason no such struct is ever handed out in an array or
 *    embedded by value in another: lists are opaque, read with their
 *    _count() and _at() accessors, and nested structs are pointers.
 *  - Strings in results are NUL-terminated UTF-8 without embedded NULs.
 *    An optional field the server left out or sent as null is NULL (for
 *    pointers), -1 (for counts and tri-state flags) or KSEF_TIME_UNSET
 *    (for times).
 *  - Times are int64_t milliseconds since the epoch, in fields named
 *    <name>_ms. The offset the server wrote them with is not kept: show
 *    them with ksef_time_warsaw() as KSeF does.
 *  - Bytes (UPO and invoice documents) come back in a caller-owned
 *    ksef_buf.
 *  - Results that hold a token (ksef_api_auth_init, ksef_api_tokens,
 *    ksef_api_token_created) hold a SECRET: their _free wipes them, and
 *    tokens are never put in an error message.
 *
 * Errors: a failing call returns a negative KSEF_E* code and fills err. When
 * the server answered with an error status the code is KSEF_EHTTP (or
 * KSEF_ERATELIMIT for a 429 that was not retried), the message summarises
 * the answer, and ksef_client_last_error() gives its parsed details, from
 * either of the API's error formats (SPEC 2.3).
 */
#ifndef KSEF_CLIENT_H
#define KSEF_CLIENT_H

#include <stdint.h>
#include "common.h"
#include "buf.h"
#include "error.h"
#include "envelope.h"
#include "invoice.h"
#include "number.h"

KSEF_BEGIN_DECLS

/*
 * Limits on what a server may send (STYLE: untrusted input)
 */

/** Default bound on one response body: 16 MiB, counted as bytes arrive. */
#define KSEF_CLIENT_RESPONSE_MAX_DEFAULT (16u * 1024u * 1024u)
/** Most items a list in a response may have (pages are 10-1000 long). */
#define KSEF_CLIENT_LIST_MAX_ITEMS 10000
/** Most strings kept from one details array; later ones are dropped. */
#define KSEF_CLIENT_DETAILS_MAX 64
/** Most problems kept from one error answer; later ones are dropped. */
#define KSEF_CLIENT_PROBLEMS_MAX 64
/** Longest string field accepted in a response (a JWT, a URL, a text). */
#define KSEF_CLIENT_FIELD_MAX 16384
/** Longest token (access, refresh, authentication) the client sends. */
#define KSEF_CLIENT_TOKEN_MAX 16384
/** Longest continuation token accepted or sent (SPEC 1.3). */
#define KSEF_CLIENT_CONTINUATION_MAX 8192
/** Longest Retry-After the client ever waits, whatever the options say. */
#define KSEF_CLIENT_RETRY_AFTER_CAP 3600

/*
 * The client
 */

/** A connection to one KSeF API base URL; opaque. */
typedef struct ksef_client ksef_client;

/**
 * The version of ksef_client_options this header describes. The library
 * takes a struct of any version from 1 to its own, reading only the fields
 * that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_OPTIONS_VERSION 1

/**
 * How a client connects and when it retries. Transparent: start from
 * KSEF_CLIENT_OPTIONS_INIT and change the fields you need.
 *
 * Retries: a request that may be repeated without effect (a GET, a DELETE,
 * POST /auth/challenge and POST /auth/token/refresh) is retried up to
 * max_retries times after a 5xx answer, a timeout or a broken connection,
 * waiting retry_backoff_ms, then twice that, and so on. Any request is
 * retried after a network failure in which no byte of it went out (the
 * connection could not be made, say). Any other request that went out,
 * even in part, is not sent again, not even by libcurl on a fresh
 * connection: the call fails with KSEF_ENETWORK, err says it may have
 * reached the server, and the caller asks the server (for an invoice, by
 * its hash). A 429 is retried for any method, since KSeF refused it before
 * doing anything, after waiting its Retry-After seconds, but only if that
 * is at most max_retry_after_s and at most max_rate_limit_waits times per
 * call; otherwise the call fails with KSEF_ERATELIMIT at once.
 */
typedef struct ksef_client_options {
	/** KSEF_CLIENT_OPTIONS_VERSION. */
	int version;
	/** The API base URL, e.g. "https://api-test.ksef.mf.gov.pl/v2" or
	 *  "http://127.0.0.1:8080/v2"; http or https, no query. Required. */
	const char *base_url;
	/** User-Agent header; NULL sends "libksef/" KSEF_VERSION. */
	const char *user_agent;
	/** Longest wait for a connection, in ms; at least 1. */
	long connect_timeout_ms;
	/** Longest whole exchange (one attempt), in ms; at least 1. */
	long timeout_ms;
	/** PEM file of CA certificates to trust; NULL: the system's. */
	const char *ca_file;
	/** Folder of hashed CA certificates; NULL: the system's. */
	const char *ca_path;
	/** Bound on one response body in bytes; at least 1024. */
	size_t max_response_bytes;
	/** Retries of idempotent requests after 5xx/timeouts; 0 to 10. */
	int max_retries;
	/** First wait before a retry, in ms, doubled each time; 0 to 60000. */
	long retry_backoff_ms;
	/** How many 429 answers one call may wait out; 0 to 10. */
	int max_rate_limit_waits;
	/** Longest Retry-After waited for, in seconds; 0 never waits. At most
	 *  KSEF_CLIENT_RETRY_AFTER_CAP. */
	long max_retry_after_s;
	/** Non-zero: send "X-Error-Format: problem-details" so that 400 and
	 *  429 answers come as Problem Details (SPEC 2.3). */
	int problem_details;
	/** Proxy URL; NULL: libcurl's default, from http_proxy/https_proxy
	 *  and no_proxy; "": no proxy at all. */
	const char *proxy;
} ksef_client_options;

/** Defaults: 10 s to connect, 120 s per exchange, 16 MiB responses, two
 *  retries from 0.5 s, up to three 429 waits of at most 60 s each. */
#define KSEF_CLIENT_OPTIONS_INIT                                            \
	{ KSEF_CLIENT_OPTIONS_VERSION, NULL, NULL, 10000, 120000, NULL, NULL, \
	  KSEF_CLIENT_RESPONSE_MAX_DEFAULT, 2, 500, 3, 60, 0, NULL }

/**
 * Make a client. Nothing is sent until the first call.
 *
 * @param[out] out  receives the client; free it with ksef_client_free().
 *                  Set to NULL on failure.
 * @param opts      the options; copied, so they need not outlive the call.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL argument, an options version outside
 *         1 to KSEF_CLIENT_OPTIONS_VERSION,
 *         a base URL that is not http(s) or a field out of range, or
 *         KSEF_ENOMEM (also when libcurl cannot be set up).
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_new(ksef_client **out,
	const ksef_client_options *opts, ksef_error *err);

/**
 * Destroy a client, wiping the access token it holds.
 *
 * @param c the client; NULL does nothing.
 */
KSEF_API void ksef_client_free(ksef_client *c);

/**
 * Set the bearer token sent with every call that needs the access token
 * (SPEC 2.1): sessions, invoices, tokens, the auth session list. The
 * authentication token and the refresh token are passed to the calls that
 * need them instead. The client keeps a copy and wipes it when replaced.
 *
 * @param c      the client.
 * @param token  the accessToken.token; NULL forgets the current one.
 * @param err    receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL client or a token that is empty, longer
 *         than KSEF_CLIENT_TOKEN_MAX or not printable ASCII, or
 *         KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_set_access_token(ksef_client *c,
	const char *token, ksef_error *err);

/** The body format of an error answer. */
typedef enum ksef_api_error_format {
	KSEF_API_ERROR_EMPTY = 0,     /**< no body */
	KSEF_API_ERROR_EXCEPTION = 1, /**< ExceptionResponse (the default) */
	KSEF_API_ERROR_PROBLEM = 2,   /**< Problem Details (RFC 9457) */
	KSEF_API_ERROR_STATUS = 3,    /**< TooManyRequestsResponse {status} */
	KSEF_API_ERROR_OTHER = 4      /**< not JSON, or JSON of no known form */
} ksef_api_error_format;

/**
 * One error the server reported: an exceptionDetailList entry, an errors
 * entry of Problem Details, or the status of a 429 answer.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_problem {
	/** exceptionCode, code or status.code (SPEC 2.7), or 0 if missing. */
	int code;
	/** Its fixed description, or NULL. */
	const char *description;
	/** The instance-specific messages, at most KSEF_CLIENT_DETAILS_MAX. */
	const char *const *details;
	/** How many strings details holds. */
	size_t detail_count;
} ksef_api_problem;

/** The problems of an error answer, in the server's order; opaque. */
typedef struct ksef_api_problems ksef_api_problems;

/**
 * How many problems a list holds.
 *
 * @param l the list; may be NULL.
 * @return the count, at most KSEF_CLIENT_PROBLEMS_MAX; 0 for NULL.
 */
KSEF_API size_t ksef_api_problems_count(const ksef_api_problems *l);

/**
 * One problem of a list.
 *
 * @param l the list; may be NULL.
 * @param i from 0 to ksef_api_problems_count() - 1.
 * @return the problem, borrowed from the error answer that holds l; NULL
 *         when i is out of range or l is NULL.
 */
KSEF_API const ksef_api_problem *ksef_api_problems_at(
	const ksef_api_problems *l, size_t i);

/**
 * An error answer of the server, as parsed from its body and headers. Any
 * field the body did not have is NULL (or 0 / -1 as said). Strings are
 * sanitised: control characters are replaced by spaces.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_error {
	/** The HTTP status, e.g. 400, 401, 403, 429, 502. */
	int http_status;
	/** Which format the body had. */
	ksef_api_error_format format;
	/** The errors listed, at most KSEF_CLIENT_PROBLEMS_MAX; NULL when
	 *  the body lists none (the accessors take NULL as an empty list). */
	const ksef_api_problems *problems;
	/** Problem Details title, e.g. "Forbidden". */
	const char *title;
	/** Problem Details detail: the general description. */
	const char *detail;
	/** 403 reasonCode, e.g. "missing-permissions" (SPEC 2.4). */
	const char *reason_code;
	/** 403 security object, as compact JSON text. */
	const char *security;
	/** Problem Details instance. */
	const char *instance;
	/** Problem Details traceId, or the ExceptionResponse serviceCode. */
	const char *trace_id;
	/** ExceptionResponse referenceNumber. */
	const char *reference_number;
	/** Retry-After in seconds, or -1 when absent or not a number. */
	long retry_after;
	/** For KSEF_API_ERROR_OTHER: the status line's reason phrase and the
	 *  first bytes of the body, printable ASCII only; else NULL. */
	const char *excerpt;
} ksef_api_error;

/**
 * The server's error answer to the last call made on this client.
 *
 * @param c the client.
 * @return the parsed answer, borrowed until the next call on c or
 *         ksef_client_free(); NULL if the last call did not end with an
 *         error answer (it succeeded, or failed before or without one).
 */
KSEF_API const ksef_api_error *ksef_client_last_error(const ksef_client *c);

/**
 * Whether an error answer lists a given exception code, e.g. 21470 (an
 * unknown publicKeyId: fetch the keys again) or 21165 (the invoice is not
 * downloadable yet).
 *
 * @param e    an error answer; may be NULL.
 * @param code the code.
 * @return 1 if one of e's problems has that code, else 0.
 */
KSEF_API int ksef_api_error_has_code(const ksef_api_error *e, int code);

/**
 * The HTTP status of the last answer the client received, whether the
 * call succeeded or not.
 *
 * @param c the client.
 * @return the status, or 0 if the last call got no answer.
 */
KSEF_API int ksef_client_last_http_status(const ksef_client *c);

/**
 * The X-System-Warning header of the last answer (SPEC 2.6): a technical
 * warning that does not change the result. Log it; never fail on it.
 *
 * @param c the client.
 * @return the header's value, printable ASCII, borrowed until the next
 *         call on c; NULL if the last answer had none.
 */
KSEF_API const char *ksef_client_last_warning(const ksef_client *c);

/*
 * Values shared by requests and results
 */

/**
 * A status as the API reports it (StatusInfo, InvoiceStatusInfo).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_status {
	/** The status code, e.g. 100, 200, 440. */
	int code;
	/** Its description. */
	const char *description;
	/** Details, at most KSEF_CLIENT_DETAILS_MAX. */
	const char *const *details;
	/** How many strings details holds. */
	size_t detail_count;
} ksef_api_status;

/**
 * A key and a value that may be NULL (InvoiceStatusInfo.extensions).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_pair {
	const char *key;   /**< the name */
	const char *value; /**< the value, or NULL for a JSON null */
} ksef_api_pair;

/** Key-value pairs, in the server's order; opaque. */
typedef struct ksef_api_pairs ksef_api_pairs;

/**
 * How many pairs a list holds.
 *
 * @param l the list; may be NULL.
 * @return the count, at most KSEF_CLIENT_DETAILS_MAX; 0 for NULL.
 */
KSEF_API size_t ksef_api_pairs_count(const ksef_api_pairs *l);

/**
 * One pair of a list.
 *
 * @param l the list; may be NULL.
 * @param i from 0 to ksef_api_pairs_count() - 1.
 * @return the pair, borrowed from the result that holds l; NULL when i is
 *         out of range or l is NULL.
 */
KSEF_API const ksef_api_pair *ksef_api_pairs_at(const ksef_api_pairs *l,
	size_t i);

/**
 * A token with its expiry (TokenInfo). The token is a SECRET.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_token_info {
	const char *token;      /**< the JWT; NULL when the answer has none */
	/** When it expires; KSEF_TIME_UNSET when the answer has no token. */
	int64_t valid_until_ms;
} ksef_api_token_info;

/** The kinds of context one authenticates to (SPEC 4.3). */
typedef enum ksef_context_type {
	KSEF_CONTEXT_NIP = 0,         /**< "Nip" */
	KSEF_CONTEXT_INTERNAL_ID = 1, /**< "InternalId" */
	KSEF_CONTEXT_NIP_VAT_UE = 2,  /**< "NipVatUe" */
	KSEF_CONTEXT_PEPPOL_ID = 3    /**< "PeppolId" */
} ksef_context_type;

/*
 * Public keys (SPEC 4.1)
 */

/** A KSeF key used to encrypt KSeF tokens (usage KsefTokenEncryption). */
#define KSEF_KEY_USAGE_KSEF_TOKEN 0x1u
/** A KSeF key used to wrap session keys (usage SymmetricKeyEncryption). */
#define KSEF_KEY_USAGE_SYMMETRIC_KEY 0x2u

/**
 * One PublicKeyCertificate.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_pubkey_cert {
	/** The X.509 certificate, DER in Base64, for ksef_pubkey_load(). */
	const char *certificate;
	/** certificateId: Base64(SHA-256(DER)). */
	const char *certificate_id;
	/** publicKeyId: send it back with what the key encrypted. */
	const char *public_key_id;
	/** Start of validity. */
	int64_t valid_from_ms;
	/** End of validity. */
	int64_t valid_to_ms;
	/** KSEF_KEY_USAGE_* bits; usages this version does not know are left
	 *  out. */
	unsigned usage;
} ksef_api_pubkey_cert;

/** The answer of GET /security/public-key-certificates; opaque. */
typedef struct ksef_api_pubkey_certs ksef_api_pubkey_certs;

/**
 * GET /security/public-key-certificates: the KSeF keys. No token needed.
 *
 * @param[out] out receives the list; free it with
 *                 ksef_api_pubkey_certs_free(). NULL on failure.
 * @param c        the client.
 * @param err      receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ENETWORK, KSEF_EHTTP, KSEF_ERATELIMIT,
 *         KSEF_ETOOBIG (response over the bound), KSEF_EPARSE (a response
 *         that breaks the contract) or KSEF_ENOMEM. The same codes, with
 *         the additions each function names, hold for every call below.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_pubkey_certs(
	ksef_api_pubkey_certs **out, ksef_client *c, ksef_error *err);

/**
 * How many certificates a list holds.
 *
 * @param l the list; may be NULL.
 * @return the count; 0 for NULL.
 */
KSEF_API size_t ksef_api_pubkey_certs_count(const ksef_api_pubkey_certs *l);

/**
 * One certificate of a list, in the server's order.
 *
 * @param l the list; may be NULL.
 * @param i from 0 to ksef_api_pubkey_certs_count() - 1.
 * @return the certificate, borrowed from l until
 *         ksef_api_pubkey_certs_free(); NULL when i is out of range or l
 *         is NULL.
 */
KSEF_API const ksef_api_pubkey_cert *ksef_api_pubkey_certs_at(
	const ksef_api_pubkey_certs *l, size_t i);

/**
 * Pick the certificate to use for one purpose (SPEC 4.1): of those with
 * the usage that are valid at `now`, the one with the latest validFrom.
 *
 * @param certs  the list.
 * @param usage  one KSEF_KEY_USAGE_* bit.
 * @param now_ms the time to judge validity at, in milliseconds since the
 *               epoch, e.g. ksef_time_now().unix_ms.
 * @return an entry borrowed from certs, or NULL if none fits.
 */
KSEF_API const ksef_api_pubkey_cert *ksef_api_pubkey_certs_pick(
	const ksef_api_pubkey_certs *certs, unsigned usage, int64_t now_ms);

/**
 * Free a certificate list.
 *
 * @param certs the list; NULL does nothing.
 */
KSEF_API void ksef_api_pubkey_certs_free(ksef_api_pubkey_certs *certs);

/*
 * Authentication (SPEC 4.2-4.10, 10)
 */

/**
 * The answer of POST /auth/challenge.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_challenge {
	const char *challenge; /**< 36 characters, valid for 10 minutes */
	/** When it was made: timestampMs, the instant the answer's timestamp
	 *  also gives. */
	int64_t timestamp_ms;
	const char *client_ip; /**< the caller's IP as KSeF sees it */
} ksef_api_challenge;

/**
 * POST /auth/challenge: start authenticating. No token needed.
 *
 * @param[out] out receives the challenge; free it with
 *                 ksef_api_challenge_free(). NULL on failure.
 * @param c        the client.
 * @param err      receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_auth_challenge(
	ksef_api_challenge **out, ksef_client *c, ksef_error *err);

/**
 * Free a challenge.
 *
 * @param ch the challenge; NULL does nothing.
 */
KSEF_API void ksef_api_challenge_free(ksef_api_challenge *ch);

/**
 * The answer of POST /auth/ksef-token and /auth/xades-signature.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_auth_init {
	/** The authentication operation's number (type AU). */
	const char *reference_number;
	/** The operation token: a SECRET, for ksef_client_auth_status() and
	 *  ksef_client_auth_redeem(). Never NULL. */
	const ksef_api_token_info *authentication_token;
} ksef_api_auth_init;

/**
 * Free an authentication answer, wiping its token.
 *
 * @param init the answer; NULL does nothing.
 */
KSEF_API void ksef_api_auth_init_free(ksef_api_auth_init *init);

/**
 * The version of ksef_client_ip_policy this header describes. The library
 * takes a struct of any version from 1 to its own, reading only the fields
 * that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_IP_POLICY_VERSION 1

/**
 * authorizationPolicy.allowedIps of a KSeF-token authentication: the
 * addresses from which the resulting access token may be used (SPEC 4.3).
 * Each list holds 0 to 10 strings; an empty list is left out.
 */
typedef struct ksef_client_ip_policy {
	int version;                    /**< KSEF_CLIENT_IP_POLICY_VERSION */
	const char *const *addresses;   /**< e.g. "192.168.0.10" */
	size_t address_count;           /**< how many addresses */
	const char *const *ranges;      /**< e.g. "10.0.0.1-10.0.0.254" */
	size_t range_count;             /**< how many ranges */
	const char *const *masks;       /**< e.g. "172.16.0.0/16" */
	size_t mask_count;              /**< how many masks */
} ksef_client_ip_policy;

/** An empty policy. */
#define KSEF_CLIENT_IP_POLICY_INIT \
	{ KSEF_CLIENT_IP_POLICY_VERSION, NULL, 0, NULL, 0, NULL, 0 }

/**
 * POST /auth/ksef-token: authenticate with a KSeF token (SPEC 4.3, 6.4).
 * Encrypts "{token}|{timestampMs}" with RSA-OAEP under `key` and sends it
 * with the challenge, the context and the key's publicKeyId. The plaintext
 * is wiped. Not retried after a 5xx: a challenge is used once.
 *
 * @param[out] out    receives the operation; free it with
 *                    ksef_api_auth_init_free(). NULL on failure.
 * @param c           the client.
 * @param challenge   a fresh answer of ksef_client_auth_challenge().
 * @param ctx_type    the context's kind.
 * @param ctx_value   the context's identifier, e.g. a NIP; 1 to 64
 *                    printable ASCII characters.
 * @param ksef_token  the KSeF token: a SECRET, 1 to 160 characters.
 * @param key         the key with usage KsefTokenEncryption, from
 *                    ksef_pubkey_load() of the picked certificate.
 * @param policy      allowed IPs, or NULL for none.
 * @param err         receives the reason on failure; may be NULL.
 * @return 0, KSEF_ECRYPTO if the encryption fails, or a code as for
 *         ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_auth_ksef_token(
	ksef_api_auth_init **out, ksef_client *c,
	const ksef_api_challenge *challenge, ksef_context_type ctx_type,
	const char *ctx_value, const char *ksef_token, const ksef_pubkey *key,
	const ksef_client_ip_policy *policy, ksef_error *err);

/**
 * POST /auth/xades-signature: authenticate with a signed AuthTokenRequest
 * document (SPEC 4.4), sent as application/xml exactly as given.
 *
 * @param[out] out      receives the operation; free it with
 *                      ksef_api_auth_init_free(). NULL on failure.
 * @param c             the client.
 * @param xml           the signed document.
 * @param len           its length, 1 to KSEF_INVOICE_MAX_BYTES.
 * @param verify_chain  non-zero adds verifyCertificateChain=true.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_auth_xades(ksef_api_auth_init **out,
	ksef_client *c, const unsigned char *xml, size_t len, int verify_chain,
	ksef_error *err);

/**
 * An authentication operation's state (SPEC 4.5, 4.8).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_auth_status {
	/** Its number; only set in a list from ksef_client_auth_sessions(). */
	const char *reference_number;
	/** When it started. */
	int64_t start_date_ms;
	/** The deprecated authenticationMethod, e.g. "Token", or NULL. */
	const char *authentication_method;
	/** authenticationMethodInfo.category, e.g. "Token". */
	const char *method_category;
	/** authenticationMethodInfo.code, e.g. "xades.qualified-seal". */
	const char *method_code;
	/** authenticationMethodInfo.displayName. */
	const char *method_display_name;
	/** 100 in progress, 200 done; 4xx/5xx failed (SPEC 4.5). Never
	 *  NULL. */
	const ksef_api_status *status;
	/** isTokenRedeemed: 1, 0, or -1 when absent. */
	int is_token_redeemed;
	/** lastTokenRefreshDate, or KSEF_TIME_UNSET. */
	int64_t last_token_refresh_date_ms;
	/** refreshTokenValidUntil, or KSEF_TIME_UNSET. */
	int64_t refresh_token_valid_until_ms;
	/** isCurrent (lists only): 1, 0, or -1 when absent. */
	int is_current;
} ksef_api_auth_status;

/**
 * GET /auth/{referenceNumber}: poll an authentication until status.code is
 * no longer 100.
 *
 * @param[out] out       receives the state; free it with
 *                       ksef_api_auth_status_free(). NULL on failure.
 * @param c              the client.
 * @param reference      the operation's number, from ksef_api_auth_init.
 * @param auth_token     its authentication token (the bearer here).
 * @param err            receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs(); KSEF_EHTTP with
 *         status 410 once the operation is older than 7 days.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_auth_status(
	ksef_api_auth_status **out, ksef_client *c, const char *reference,
	const char *auth_token, ksef_error *err);

/**
 * Free an authentication state.
 *
 * @param st the state; NULL does nothing.
 */
KSEF_API void ksef_api_auth_status_free(ksef_api_auth_status *st);

/**
 * Access and refresh tokens (SPEC 4.6, 4.7). Both are SECRETS.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_tokens {
	/** The access token: pass it to ksef_client_set_access_token().
	 *  Never NULL. */
	const ksef_api_token_info *access_token;
	/** The refresh token; never NULL, but its token is NULL after
	 *  ksef_client_auth_refresh(), which does not rotate it. */
	const ksef_api_token_info *refresh_token;
} ksef_api_tokens;

/**
 * POST /auth/token/redeem: get the access and refresh tokens of a
 * successful authentication; works once. Not retried after a 5xx.
 *
 * @param[out] out        receives the tokens; free them with
 *                        ksef_api_tokens_free(). NULL on failure.
 * @param c               the client.
 * @param auth_token      the operation's authentication token.
 * @param err             receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_auth_redeem(ksef_api_tokens **out,
	ksef_client *c, const char *auth_token, ksef_error *err);

/**
 * POST /auth/token/refresh: a new access token.
 *
 * @param[out] out           receives it in access_token; free it with
 *                           ksef_api_tokens_free(). NULL on failure.
 * @param c                  the client.
 * @param refresh_token      the refresh token (the bearer here).
 * @param err                receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_auth_refresh(ksef_api_tokens **out,
	ksef_client *c, const char *refresh_token, ksef_error *err);

/**
 * Free tokens, wiping them.
 *
 * @param t the tokens; NULL does nothing.
 */
KSEF_API void ksef_api_tokens_free(ksef_api_tokens *t);

/** One page of GET /auth/sessions; opaque. */
typedef struct ksef_api_auth_list ksef_api_auth_list;

/**
 * How many authentications a page holds.
 *
 * @param l the page; may be NULL.
 * @return the count; 0 for NULL.
 */
KSEF_API size_t ksef_api_auth_list_count(const ksef_api_auth_list *l);

/**
 * One authentication of a page, newest first.
 *
 * @param l the page; may be NULL.
 * @param i from 0 to ksef_api_auth_list_count() - 1.
 * @return the operation, borrowed from l until ksef_api_auth_list_free();
 *         NULL when i is out of range or l is NULL.
 */
KSEF_API const ksef_api_auth_status *ksef_api_auth_list_at(
	const ksef_api_auth_list *l, size_t i);

/**
 * The token that asks for the next page.
 *
 * @param l the page; may be NULL.
 * @return a string borrowed from l, to pass as the next call's
 *         continuation; NULL when this is the last page or l is NULL.
 */
KSEF_API const char *ksef_api_auth_list_continuation(
	const ksef_api_auth_list *l);

/**
 * GET /auth/sessions: the context's active authentications, newest first.
 * Uses the access token.
 *
 * @param[out] out          receives the page; free it with
 *                          ksef_api_auth_list_free(). NULL on failure.
 * @param c                 the client.
 * @param page_size         10 to 100, or 0 for the server's default.
 * @param continuation      ksef_api_auth_list_continuation() of the
 *                          previous page, or NULL for the first page.
 * @param err               receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_auth_sessions(
	ksef_api_auth_list **out, ksef_client *c, int page_size,
	const char *continuation, ksef_error *err);

/**
 * Free a page of authentications.
 *
 * @param list the page; NULL does nothing.
 */
KSEF_API void ksef_api_auth_list_free(ksef_api_auth_list *list);

/**
 * DELETE /auth/sessions/current: revoke the authentication the client's
 * token belongs to; its refresh token stops working, access tokens already
 * issued stay valid until they expire. The token set with
 * ksef_client_set_access_token() may be an access or a refresh token here.
 *
 * @param c   the client.
 * @param err receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_auth_revoke_current(ksef_client *c,
	ksef_error *err);

/**
 * DELETE /auth/sessions/{referenceNumber}: revoke another authentication
 * of the context.
 *
 * @param c         the client.
 * @param reference the operation's number.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_auth_revoke(ksef_client *c,
	const char *reference, ksef_error *err);

/*
 * Interactive sessions and invoices (SPEC 4.11-4.22)
 */

/**
 * The answer of POST /sessions/online.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_session_opened {
	const char *reference_number; /**< the session's number (type SO) */
	int64_t valid_until_ms;       /**< when it closes by itself */
} ksef_api_session_opened;

/**
 * POST /sessions/online: open an interactive session for one form, with
 * the envelope's key wrapped under `key` (SPEC 4.11, 6.2). Keep the
 * envelope to encrypt the session's invoices. Not retried after a 5xx.
 *
 * @param[out] out  receives the session; free it with
 *                  ksef_api_session_opened_free(). NULL on failure.
 * @param c         the client.
 * @param form      the form of every invoice to be sent.
 * @param env       a fresh envelope from ksef_envelope_new().
 * @param key       the key with usage SymmetricKeyEncryption.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_ECRYPTO, or a code as for ksef_client_pubkey_certs();
 *         21470 in the error answer means the key is no longer accepted.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_session_open(
	ksef_api_session_opened **out, ksef_client *c, ksef_form form,
	const ksef_envelope *env, const ksef_pubkey *key, ksef_error *err);

/**
 * Free an opened session's answer.
 *
 * @param s the answer; NULL does nothing.
 */
KSEF_API void ksef_api_session_opened_free(ksef_api_session_opened *s);

/**
 * The version of ksef_client_send_options this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_SEND_OPTIONS_VERSION 1

/** Optional parts of sending an invoice (SPEC 4.12). */
typedef struct ksef_client_send_options {
	int version;     /**< KSEF_CLIENT_SEND_OPTIONS_VERSION */
	/** Non-zero declares offline invoicing (offlineMode). */
	int offline_mode;
	/** For a technical correction: the Base64 SHA-256 (44 characters) of
	 *  the corrected invoice (hashOfCorrectedInvoice); else NULL. */
	const char *hash_of_corrected_invoice;
} ksef_client_send_options;

/** An online invoice that corrects nothing. */
#define KSEF_CLIENT_SEND_OPTIONS_INIT \
	{ KSEF_CLIENT_SEND_OPTIONS_VERSION, 0, NULL }

/**
 * POST /sessions/online/{referenceNumber}/invoices: encrypt one invoice
 * with the session's envelope (ksef_envelope_seal()) and send it with its
 * hashes and sizes. Verification then runs on the server; poll
 * ksef_client_session_invoice() with the returned number. Not retried
 * after a 5xx, nor after a network failure once any of it went out: the
 * server may hold it (see ksef_client_options).
 *
 * @param[out] ref_out  receives the invoice's reference number (type EE)
 *                      and a NUL; unchanged on failure.
 * @param[out] meta_out receives the hashes and sizes that were declared;
 *                      may be NULL.
 * @param c             the client.
 * @param session_ref   the session's number.
 * @param env           the envelope the session was opened with.
 * @param xml           the invoice exactly as it is to be stored.
 * @param len           its length, 1 to KSEF_INVOICE_MAX_BYTES.
 * @param opts          offline mode and correction, or NULL for neither.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0, KSEF_ECRYPTO, KSEF_EFORMAT (empty invoice), KSEF_ETOOBIG, or
 *         a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_invoice_send(
	char ref_out[KSEF_REFNUM_BUFSZ], ksef_invoice_meta *meta_out,
	ksef_client *c, const char *session_ref, const ksef_envelope *env,
	const unsigned char *xml, size_t len,
	const ksef_client_send_options *opts, ksef_error *err);

/**
 * POST /sessions/online/{referenceNumber}/close: close a session; the
 * server then makes its UPO (status 170, then 200). Not retried after a
 * 5xx.
 *
 * @param c           the client.
 * @param session_ref the session's number.
 * @param err         receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_session_close(ksef_client *c,
	const char *session_ref, ksef_error *err);

/**
 * One page of a session's collective UPO (UpoPageResponse).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_upo_page {
	const char *reference_number; /**< the page's number (type EU) */
	/** A pre-signed URL: fetch it with ksef_client_download_url(). */
	const char *download_url;
	/** When download_url stops working. */
	int64_t download_url_expiration_date_ms;
} ksef_api_upo_page;

/** The pages of a session's collective UPO; opaque. */
typedef struct ksef_api_upo_pages ksef_api_upo_pages;

/**
 * How many UPO pages a list holds.
 *
 * @param l the list; may be NULL.
 * @return the count; 0 for NULL.
 */
KSEF_API size_t ksef_api_upo_pages_count(const ksef_api_upo_pages *l);

/**
 * One UPO page of a list, in the server's order.
 *
 * @param l the list; may be NULL.
 * @param i from 0 to ksef_api_upo_pages_count() - 1.
 * @return the page, borrowed from the session state that holds l; NULL
 *         when i is out of range or l is NULL.
 */
KSEF_API const ksef_api_upo_page *ksef_api_upo_pages_at(
	const ksef_api_upo_pages *l, size_t i);

/**
 * The answer of GET /sessions/{referenceNumber} (SPEC 4.15, 5.1).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_session_status {
	/** 100 open, 170 closed, 200 processed; 4xx failed. Never NULL. */
	const ksef_api_status *status;
	int64_t date_created_ms;      /**< when it was opened */
	int64_t date_updated_ms;      /**< last activity */
	/** When it closes by itself, or KSEF_TIME_UNSET. */
	int64_t valid_until_ms;
	/** The UPO pages, once made; NULL before (the accessors take NULL
	 *  as an empty list). */
	const ksef_api_upo_pages *upo_pages;
	int64_t invoice_count;        /**< invoices accepted, or -1 */
	int64_t successful_invoice_count; /**< processed well, or -1 */
	int64_t failed_invoice_count; /**< rejected, or -1 */
} ksef_api_session_status;

/**
 * GET /sessions/{referenceNumber}: a session's state.
 *
 * @param[out] out      receives the state; free it with
 *                      ksef_api_session_status_free(). NULL on failure.
 * @param c             the client.
 * @param session_ref   the session's number.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_session_status(
	ksef_api_session_status **out, ksef_client *c, const char *session_ref,
	ksef_error *err);

/**
 * Free a session state.
 *
 * @param st the state; NULL does nothing.
 */
KSEF_API void ksef_api_session_status_free(ksef_api_session_status *st);

/** Session kinds for ksef_client_sessions(). */
typedef enum ksef_session_type {
	KSEF_SESSION_TYPE_ONLINE = 0, /**< "Online": interactive */
	KSEF_SESSION_TYPE_BATCH = 1   /**< "Batch" */
} ksef_session_type;

/** Session states for ksef_client_session_query.statuses. */
#define KSEF_SESSION_STATUS_IN_PROGRESS 0x1u /**< "InProgress" */
#define KSEF_SESSION_STATUS_SUCCEEDED 0x2u   /**< "Succeeded" */
#define KSEF_SESSION_STATUS_FAILED 0x4u      /**< "Failed" */
#define KSEF_SESSION_STATUS_CANCELLED 0x8u   /**< "Cancelled" */

/**
 * The version of ksef_client_session_query this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_SESSION_QUERY_VERSION 1

/**
 * Filters of GET /sessions (SPEC 4.14); NULL, 0 or KSEF_TIME_UNSET leaves
 * one out. Times are sent in Polish local time, as KSeF writes them.
 */
typedef struct ksef_client_session_query {
	int version;                 /**< KSEF_CLIENT_SESSION_QUERY_VERSION */
	ksef_session_type type;      /**< sessionType, always sent */
	int page_size;               /**< 10 to 1000, or 0 */
	const char *reference_number;/**< one session's number, or NULL */
	int64_t date_created_from_ms;  /**< dateCreatedFrom */
	int64_t date_created_to_ms;    /**< dateCreatedTo */
	int64_t date_closed_from_ms;   /**< dateClosedFrom */
	int64_t date_closed_to_ms;     /**< dateClosedTo */
	int64_t date_modified_from_ms; /**< dateModifiedFrom */
	int64_t date_modified_to_ms;   /**< dateModifiedTo */
	unsigned statuses;           /**< KSEF_SESSION_STATUS_* bits, or 0 */
} ksef_client_session_query;

/** Online sessions, no other filter. */
#define KSEF_CLIENT_SESSION_QUERY_INIT                                     \
	{ KSEF_CLIENT_SESSION_QUERY_VERSION, KSEF_SESSION_TYPE_ONLINE, 0,    \
	  NULL, KSEF_TIME_UNSET, KSEF_TIME_UNSET, KSEF_TIME_UNSET,           \
	  KSEF_TIME_UNSET, KSEF_TIME_UNSET, KSEF_TIME_UNSET, 0u }

/**
 * One session of a list (SessionsQueryResponseItem).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_session_item {
	const char *reference_number;     /**< the session's number */
	const ksef_api_status *status;    /**< its state; never NULL */
	int64_t date_created_ms;          /**< when it was opened */
	int64_t date_updated_ms;          /**< last activity */
	/** Auto-close time, or KSEF_TIME_UNSET. */
	int64_t valid_until_ms;
	int64_t total_invoice_count;      /**< all invoices, in progress too */
	int64_t successful_invoice_count; /**< processed well */
	int64_t failed_invoice_count;     /**< rejected */
} ksef_api_session_item;

/** One page of GET /sessions; opaque. */
typedef struct ksef_api_session_list ksef_api_session_list;

/**
 * How many sessions a page holds.
 *
 * @param l the page; may be NULL.
 * @return the count; 0 for NULL.
 */
KSEF_API size_t ksef_api_session_list_count(const ksef_api_session_list *l);

/**
 * One session of a page, newest first.
 *
 * @param l the page; may be NULL.
 * @param i from 0 to ksef_api_session_list_count() - 1.
 * @return the session, borrowed from l until
 *         ksef_api_session_list_free(); NULL when i is out of range or l
 *         is NULL.
 */
KSEF_API const ksef_api_session_item *ksef_api_session_list_at(
	const ksef_api_session_list *l, size_t i);

/**
 * The token that asks for the next page.
 *
 * @param l the page; may be NULL.
 * @return a string borrowed from l, to pass as the next call's
 *         continuation; NULL when this is the last page or l is NULL.
 */
KSEF_API const char *ksef_api_session_list_continuation(
	const ksef_api_session_list *l);

/**
 * GET /sessions: sessions of the context, newest first.
 *
 * @param[out] out          receives the page; free it with
 *                          ksef_api_session_list_free(). NULL on failure.
 * @param c                 the client.
 * @param q                 the filters; sessionType is required.
 * @param continuation      ksef_api_session_list_continuation() of the
 *                          previous page, or NULL for the first.
 * @param err               receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_sessions(ksef_api_session_list **out,
	ksef_client *c, const ksef_client_session_query *q,
	const char *continuation, ksef_error *err);

/**
 * Free a page of sessions.
 *
 * @param list the page; NULL does nothing.
 */
KSEF_API void ksef_api_session_list_free(ksef_api_session_list *list);

/**
 * One invoice's state in a session (SessionInvoiceStatusResponse).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_invoice_status {
	int ordinal_number;            /**< its place in the session, from 1 */
	const char *invoice_number;    /**< P_2 if readable, or NULL */
	const char *ksef_number;       /**< set once status is 200, or NULL */
	const char *reference_number;  /**< the invoice's number (type EE) */
	const char *invoice_hash;      /**< Base64 SHA-256 of the invoice */
	const char *invoice_file_name; /**< batch only, or NULL */
	/** When the KSeF number was given, or KSEF_TIME_UNSET. */
	int64_t acquisition_date_ms;
	int64_t invoicing_date_ms;     /**< when KSeF accepted it */
	/** When it became downloadable, or KSEF_TIME_UNSET. */
	int64_t permanent_storage_date_ms;
	/** A pre-signed URL of its UPO, for ksef_client_download_url(). */
	const char *upo_download_url;
	/** When upo_download_url stops working, or KSEF_TIME_UNSET. */
	int64_t upo_download_url_expiration_date_ms;
	const char *invoicing_mode;    /**< "Online", "Offline" or NULL */
	/** 100, 150, 200 or a failure; never NULL. */
	const ksef_api_status *status;
	/** status.extensions; NULL when absent (the accessors take NULL as
	 *  an empty list). */
	const ksef_api_pairs *extensions;
} ksef_api_invoice_status;

/**
 * GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}.
 *
 * @param[out] out          receives the state; free it with
 *                          ksef_api_invoice_status_free(). NULL on failure.
 * @param c                 the client.
 * @param session_ref       the session's number.
 * @param invoice_ref       the invoice's number.
 * @param err               receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_session_invoice(
	ksef_api_invoice_status **out, ksef_client *c, const char *session_ref,
	const char *invoice_ref, ksef_error *err);

/**
 * Free an invoice state.
 *
 * @param st the state; NULL does nothing.
 */
KSEF_API void ksef_api_invoice_status_free(ksef_api_invoice_status *st);

/** One page of a session's invoices; opaque. */
typedef struct ksef_api_invoice_list ksef_api_invoice_list;

/**
 * How many invoices a page holds.
 *
 * @param l the page; may be NULL.
 * @return the count; 0 for NULL.
 */
KSEF_API size_t ksef_api_invoice_list_count(const ksef_api_invoice_list *l);

/**
 * One invoice of a page, in the server's order.
 *
 * @param l the page; may be NULL.
 * @param i from 0 to ksef_api_invoice_list_count() - 1.
 * @return the invoice's state, borrowed from l until
 *         ksef_api_invoice_list_free(); NULL when i is out of range or l
 *         is NULL.
 */
KSEF_API const ksef_api_invoice_status *ksef_api_invoice_list_at(
	const ksef_api_invoice_list *l, size_t i);

/**
 * The token that asks for the next page.
 *
 * @param l the page; may be NULL.
 * @return a string borrowed from l, to pass as the next call's
 *         continuation; NULL when this is the last page or l is NULL.
 */
KSEF_API const char *ksef_api_invoice_list_continuation(
	const ksef_api_invoice_list *l);

/**
 * GET /sessions/{referenceNumber}/invoices, or with failed_only
 * GET /sessions/{referenceNumber}/invoices/failed.
 *
 * @param[out] out          receives the page; free it with
 *                          ksef_api_invoice_list_free(). NULL on failure.
 * @param c                 the client.
 * @param session_ref       the session's number.
 * @param failed_only       non-zero lists only rejected invoices.
 * @param page_size         10 to 1000, or 0 for the server's default.
 * @param continuation      ksef_api_invoice_list_continuation() of the
 *                          previous page, or NULL for the first.
 * @param err               receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_session_invoices(
	ksef_api_invoice_list **out, ksef_client *c, const char *session_ref,
	int failed_only, int page_size, const char *continuation,
	ksef_error *err);

/**
 * Free a page of invoices.
 *
 * @param list the page; NULL does nothing.
 */
KSEF_API void ksef_api_invoice_list_free(ksef_api_invoice_list *list);

/*
 * Documents: UPO and invoices. Each download checks the x-ms-meta-hash
 * header, when the server sends one, against the SHA-256 of the body.
 */

/**
 * GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo:
 * one invoice's UPO.
 *
 * @param[out] out      receives the XML, replacing what it held; unchanged
 *                      on failure.
 * @param c             the client.
 * @param session_ref   the session's number.
 * @param invoice_ref   the invoice's number.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0, KSEF_ECHECKSUM if x-ms-meta-hash does not match, or a code as
 *         for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_upo_by_invoice_ref(ksef_buf *out,
	ksef_client *c, const char *session_ref, const char *invoice_ref,
	ksef_error *err);

/**
 * GET /sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo: one
 * invoice's UPO by its KSeF number.
 *
 * @param[out] out      as for ksef_client_upo_by_invoice_ref().
 * @param c             the client.
 * @param session_ref   the session's number.
 * @param ksef_number   the invoice's KSeF number.
 * @param err           receives the reason on failure; may be NULL.
 * @return as ksef_client_upo_by_invoice_ref().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_upo_by_ksef_number(ksef_buf *out,
	ksef_client *c, const char *session_ref, const char *ksef_number,
	ksef_error *err);

/**
 * GET /sessions/{referenceNumber}/upo/{upoReferenceNumber}: one page of a
 * session's collective UPO.
 *
 * @param[out] out      as for ksef_client_upo_by_invoice_ref().
 * @param c             the client.
 * @param session_ref   the session's number.
 * @param upo_ref       the page's number, from ksef_api_upo_page.
 * @param err           receives the reason on failure; may be NULL.
 * @return as ksef_client_upo_by_invoice_ref().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_upo_session_page(ksef_buf *out,
	ksef_client *c, const char *session_ref, const char *upo_ref,
	ksef_error *err);

/**
 * GET a pre-signed absolute URL the API handed out (upo_download_url, an
 * UPO page's download_url). The access token is NOT sent: the URL carries
 * its own signature (SPEC 4.15). The URL must be https, or http when the
 * client's base URL is http too (a local test server). The URL, whose query
 * is a credential, never appears in error messages.
 *
 * @param[out] out  as for ksef_client_upo_by_invoice_ref().
 * @param c         the client.
 * @param url       the URL; at most KSEF_CLIENT_FIELD_MAX characters.
 * @param err       receives the reason on failure; may be NULL.
 * @return as ksef_client_upo_by_invoice_ref().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_download_url(ksef_buf *out,
	ksef_client *c, const char *url, ksef_error *err);

/**
 * GET /invoices/ksef/{ksefNumber}: an accepted invoice's XML. Until it is
 * stored for good the server answers 400 with code 21165: retry later.
 *
 * @param[out] out      as for ksef_client_upo_by_invoice_ref().
 * @param c             the client.
 * @param ksef_number   the invoice's KSeF number.
 * @param err           receives the reason on failure; may be NULL.
 * @return as ksef_client_upo_by_invoice_ref().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_invoice_download(ksef_buf *out,
	ksef_client *c, const char *ksef_number, ksef_error *err);

/*
 * KSeF tokens (SPEC 4.23)
 */

/** TokenPermissionType values, as bits. */
#define KSEF_TOKEN_PERM_INVOICE_READ 0x01u          /**< InvoiceRead */
#define KSEF_TOKEN_PERM_INVOICE_WRITE 0x02u         /**< InvoiceWrite */
#define KSEF_TOKEN_PERM_CREDENTIALS_READ 0x04u      /**< CredentialsRead */
#define KSEF_TOKEN_PERM_CREDENTIALS_MANAGE 0x08u    /**< CredentialsManage */
#define KSEF_TOKEN_PERM_SUBUNIT_MANAGE 0x10u        /**< SubunitManage */
/** EnforcementOperations */
#define KSEF_TOKEN_PERM_ENFORCEMENT_OPERATIONS 0x20u
#define KSEF_TOKEN_PERM_INTROSPECTION 0x40u         /**< Introspection */

/**
 * The answer of POST /tokens.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_token_created {
	const char *reference_number; /**< the token's number (type EC) */
	/** The KSeF token: a SECRET, returned this once. */
	const char *token;
} ksef_api_token_created;

/**
 * POST /tokens: make a KSeF token. It is usable once its status becomes
 * "Active". Not retried after a 5xx.
 *
 * @param[out] out          receives the token; free it with
 *                          ksef_api_token_created_free(). NULL on failure.
 * @param c                 the client.
 * @param permissions       KSEF_TOKEN_PERM_* bits; at least one.
 * @param description       5 to 256 characters of UTF-8.
 * @param err               receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_token_create(
	ksef_api_token_created **out, ksef_client *c, unsigned permissions,
	const char *description, ksef_error *err);

/**
 * Free a created token, wiping it.
 *
 * @param t the token; NULL does nothing.
 */
KSEF_API void ksef_api_token_created_free(ksef_api_token_created *t);

/**
 * A KSeF token's state (TokenStatusResponse, QueryTokensResponseItem).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_token_status {
	const char *reference_number;   /**< the token's number */
	const char *author_type;        /**< "Nip", "Pesel" or "Fingerprint" */
	const char *author_value;       /**< who made it */
	const char *context_type;       /**< "Nip", "InternalId", ... */
	const char *context_value;      /**< the context it opens */
	const char *description;        /**< its description */
	/** requestedPermissions as KSEF_TOKEN_PERM_* bits; names this version
	 *  does not know are left out. */
	unsigned requested_permissions;
	int64_t date_created_ms;        /**< when it was made */
	int64_t last_use_date_ms;       /**< or KSEF_TIME_UNSET */
	/** "Pending", "Active", "Revoking", "Revoked" or "Failed". */
	const char *status;
	const char *const *status_details; /**< statusDetails */
	size_t status_detail_count;     /**< how many */
} ksef_api_token_status;

/**
 * GET /tokens/{referenceNumber}.
 *
 * @param[out] out      receives the state; free it with
 *                      ksef_api_token_status_free(). NULL on failure.
 * @param c             the client.
 * @param reference     the token's number.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_token_status(
	ksef_api_token_status **out, ksef_client *c, const char *reference,
	ksef_error *err);

/**
 * Free a token state.
 *
 * @param st the state; NULL does nothing.
 */
KSEF_API void ksef_api_token_status_free(ksef_api_token_status *st);

/** Token states for ksef_client_token_query.statuses. */
#define KSEF_TOKEN_STATUS_PENDING 0x01u  /**< "Pending" */
#define KSEF_TOKEN_STATUS_ACTIVE 0x02u   /**< "Active" */
#define KSEF_TOKEN_STATUS_REVOKING 0x04u /**< "Revoking" */
#define KSEF_TOKEN_STATUS_REVOKED 0x08u  /**< "Revoked" */
#define KSEF_TOKEN_STATUS_FAILED 0x10u   /**< "Failed" */

/**
 * The version of ksef_client_token_query this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_TOKEN_QUERY_VERSION 1

/** Filters of GET /tokens; NULL or 0 leaves one out. */
typedef struct ksef_client_token_query {
	int version;                /**< KSEF_CLIENT_TOKEN_QUERY_VERSION */
	unsigned statuses;          /**< KSEF_TOKEN_STATUS_* bits */
	const char *description;    /**< at least 3 characters */
	const char *author_identifier; /**< at least 3 characters */
	/** "Nip", "Pesel" or "Fingerprint" (authorIdentifierType). */
	const char *author_identifier_type;
	int page_size;              /**< 10 to 100, or 0 */
} ksef_client_token_query;

/** No filter. */
#define KSEF_CLIENT_TOKEN_QUERY_INIT \
	{ KSEF_CLIENT_TOKEN_QUERY_VERSION, 0u, NULL, NULL, NULL, 0 }

/** One page of GET /tokens; opaque. */
typedef struct ksef_api_token_list ksef_api_token_list;

/**
 * How many tokens a page holds.
 *
 * @param l the page; may be NULL.
 * @return the count; 0 for NULL.
 */
KSEF_API size_t ksef_api_token_list_count(const ksef_api_token_list *l);

/**
 * One token of a page, newest first.
 *
 * @param l the page; may be NULL.
 * @param i from 0 to ksef_api_token_list_count() - 1.
 * @return the token's state, borrowed from l until
 *         ksef_api_token_list_free(); NULL when i is out of range or l is
 *         NULL.
 */
KSEF_API const ksef_api_token_status *ksef_api_token_list_at(
	const ksef_api_token_list *l, size_t i);

/**
 * The token that asks for the next page.
 *
 * @param l the page; may be NULL.
 * @return a string borrowed from l, to pass as the next call's
 *         continuation; NULL when this is the last page or l is NULL.
 */
KSEF_API const char *ksef_api_token_list_continuation(
	const ksef_api_token_list *l);

/**
 * GET /tokens: the tokens the caller may see, newest first.
 *
 * @param[out] out          receives the page; free it with
 *                          ksef_api_token_list_free(). NULL on failure.
 * @param c                 the client.
 * @param q                 filters, or NULL for none.
 * @param continuation      ksef_api_token_list_continuation() of the
 *                          previous page, or NULL for the first.
 * @param err               receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_tokens(ksef_api_token_list **out,
	ksef_client *c, const ksef_client_token_query *q,
	const char *continuation, ksef_error *err);

/**
 * Free a page of tokens.
 *
 * @param list the page; NULL does nothing.
 */
KSEF_API void ksef_api_token_list_free(ksef_api_token_list *list);

/**
 * DELETE /tokens/{referenceNumber}: revoke a KSeF token.
 *
 * @param c         the client.
 * @param reference the token's number.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_token_revoke(ksef_client *c,
	const char *reference, ksef_error *err);

KSEF_END_DECLS

#endif
