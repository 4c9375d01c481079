/*
 * jwt_tokens.h - the bearer tokens ksefd hands out (SPEC 2.1, 10): the operation
 * token of one authentication (AU), and the access and refresh tokens it
 * is redeemed for. Each is a JWT signed HS256 with a server secret; the
 * claim names follow the OpenAPI examples, which are not a contract (SPEC
 * 13 #31), since clients treat the tokens as opaque.
 *
 * Claims of every token:
 *   token-type                  "OperationToken", "ContextToken" (access)
 *                               or "RefreshToken"
 *   operation-reference-number  the AU reference number it belongs to
 *   jti                         128 random bits as 32 lower-case hex digits
 *   iat, exp                    seconds since the epoch, iat <= exp
 *   iss, aud                    "ksefd"
 * and, required in access and refresh tokens and optional in operation
 * tokens (the method of a XAdES authentication is known only once the
 * signature is checked):
 *   context-identifier-type     e.g. "Nip"
 *   context-identifier-value    e.g. "5265877635"
 *   authentication-method       e.g. "Token", "QualifiedSeal"
 * and in access tokens only:
 *   permissions                 the permission names, comma-separated in
 *                               one string, e.g. "InvoiceWrite,InvoiceRead";
 *                               possibly empty. A string rather than an
 *                               array keeps the claim a fixed-size field.
 * A refresh token carries no permissions: a refresh reads the current
 * ones (SPEC 13 #17).
 *
 * Whether a token was revoked is the caller's question, by its jti or its
 * reference number; this module only knows signatures and time.
 *
 * Everything here is thread-safe: no state is kept between calls.
 */
#ifndef KSEFD_JWT_H
#define KSEFD_JWT_H

#include <stddef.h>
#include <stdint.h>
#include "ksef/error.h"
#include "ksef/number.h"

/** The longest token jwt_verify() reads, in bytes; longer ones are refused
 *  before any decoding. Tokens jwt_issue() makes are well under it. */
#define JWT_TOKEN_MAX 4096

/** Shortest and longest HS256 secret, in bytes. */
#define JWT_SECRET_MIN 32
#define JWT_SECRET_MAX 1024

/** Longest lifetime jwt_claims_init() gives, in seconds (the 7 days of a
 *  refresh token, SPEC 11.2, with room to spare). */
#define JWT_LIFETIME_MAX (31 * 86400)

/** Sizes of the claim fields, with their NULs. */
#define JWT_CONTEXT_TYPE_BUFSZ 32
#define JWT_CONTEXT_VALUE_BUFSZ 64
#define JWT_AUTH_METHOD_BUFSZ 32
#define JWT_JTI_BUFSZ 33
#define JWT_PERMISSIONS_BUFSZ 512

/**
 * The error jwt_verify() returns for a token that is genuine but past its
 * exp. ksefd adds no codes of its own to libksef's, so it borrows
 * KSEF_ENOTFOUND: the token no longer stands for anything.
 */
#define JWT_EEXPIRED KSEF_ENOTFOUND

/** The kinds of token; the values are only used inside ksefd. */
typedef enum jwt_kind {
	JWT_OPERATION = 1, /**< "OperationToken": authenticationToken */
	JWT_ACCESS = 2,    /**< "ContextToken": accessToken */
	JWT_REFRESH = 3    /**< "RefreshToken": refreshToken */
} jwt_kind;

/**
 * The claims of one token. Transparent and caller-owned; every string is
 * NUL-terminated, and an empty one means "absent". jwt_claims_init()
 * prepares one to fill in.
 */
typedef struct jwt_claims {
	jwt_kind kind;                              /**< token-type */
	char reference[KSEF_REFNUM_BUFSZ];          /**< the AU number */
	char context_type[JWT_CONTEXT_TYPE_BUFSZ];  /**< [A-Za-z0-9]+ */
	char context_value[JWT_CONTEXT_VALUE_BUFSZ]; /**< printable ASCII,
						       no space, " or \ */
	char auth_method[JWT_AUTH_METHOD_BUFSZ];    /**< [A-Za-z0-9]+ */
	char permissions[JWT_PERMISSIONS_BUFSZ];    /**< "A,B": [A-Za-z0-9]
						       names, access only */
	char jti[JWT_JTI_BUFSZ];                    /**< 32 hex digits */
	int64_t iat;                                /**< issued, seconds */
	int64_t exp;                                /**< expires, seconds */
	/** "ip-bound": the authentication named allowed client IPs, so a
	 *  request with this access token must be checked against them. Only
	 *  written when set, so unbound tokens cost no look-up. */
	int ip_bound;
} jwt_claims;

/**
 * Start the claims of a new token: everything empty, the kind, iat = now
 * (rounded down to the second), exp = iat + lifetime_s, and a fresh
 * random jti from OpenSSL's CSPRNG. The caller fills in the reference
 * number and the rest, then calls jwt_issue(); the jti is here to be
 * stored for revocation.
 *
 * @param[out] c       the claims to start; all zero on failure.
 * @param kind         the kind of token.
 * @param now_ms       the current time, milliseconds since the epoch;
 *                     not negative.
 * @param lifetime_s   1 to JWT_LIFETIME_MAX seconds.
 * @param err          receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL c or an argument out of range, or
 *         KSEF_ECRYPTO if the random generator fails.
 */
int jwt_claims_init(jwt_claims *c, jwt_kind kind, int64_t now_ms,
		    int64_t lifetime_s, ksef_error *err);

/**
 * Make a signed token. The claims are checked as jwt_verify() checks them
 * (all but the expiry), so that no token is issued that would be refused.
 *
 * @param[out] out    receives the token, NUL-terminated, in memory from
 *                    malloc(): the caller frees it with free(), after
 *                    wiping it if it may linger. Set to NULL on failure.
 * @param secret      the HS256 key.
 * @param secret_len  JWT_SECRET_MIN to JWT_SECRET_MAX bytes.
 * @param c           the claims.
 * @param err         receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL argument, a secret of the wrong
 *         length or claims that break the rules above (the message names
 *         the claim), KSEF_ENOMEM, or KSEF_ECRYPTO if libjwt fails.
 */
int jwt_issue(char **out, const unsigned char *secret, size_t secret_len,
	      const jwt_claims *c, ksef_error *err);

/**
 * Check a bearer token and read its claims. In this order: the length is
 * at most JWT_TOKEN_MAX; the token is three Base64url parts; its header
 * names alg "HS256" exactly ("none" and every other algorithm are refused
 * before libjwt sees the token); libjwt verifies the HMAC; the payload
 * holds the claims above with the right types and within the field sizes,
 * iss and aud are "ksefd"; and last, now is before exp.
 *
 * @param[out] out    receives the claims; unchanged on failure.
 * @param secret      the HS256 key the token was issued with.
 * @param secret_len  JWT_SECRET_MIN to JWT_SECRET_MAX bytes.
 * @param token       the token, as after "Bearer "; it need not end in a
 *                    NUL. Untrusted.
 * @param len         its length in bytes.
 * @param now_ms      the current time, milliseconds since the epoch.
 * @param err         receives the reason on failure; may be NULL. The
 *                    message never quotes the token.
 * @return 0; KSEF_EINVAL for a NULL argument or a bad secret length;
 *         KSEF_ETOOBIG for a token over JWT_TOKEN_MAX; KSEF_EPARSE for
 *         anything that is not a JWT (empty, bad characters, not three
 *         parts, header or payload not a JSON object); KSEF_ECHECKSUM for
 *         an algorithm other than HS256 or a signature that does not
 *         verify (tampering, another secret); KSEF_EFORMAT for a genuine
 *         token whose claims break the rules (which should never happen);
 *         JWT_EEXPIRED once now_ms reaches exp; or KSEF_ENOMEM.
 *         ksefd answers each failure with 401.
 */
int jwt_verify(jwt_claims *out, const unsigned char *secret,
	       size_t secret_len, const char *token, size_t len,
	       int64_t now_ms, ksef_error *err);

/**
 * The token-type claim of a kind.
 *
 * @param kind a jwt_kind.
 * @return "OperationToken", "ContextToken" or "RefreshToken", static; NULL
 *         for any other value.
 */
const char *jwt_kind_name(jwt_kind kind);

/**
 * Whether an access token grants a permission: an exact match with one of
 * its comma-separated names.
 *
 * @param c    verified claims.
 * @param name the permission, e.g. "InvoiceWrite"; NUL-terminated.
 * @return 1 if it is granted, 0 if not (or if c or name is NULL or c is
 *         not an access token).
 */
int jwt_has_permission(const jwt_claims *c, const char *name);

#endif
