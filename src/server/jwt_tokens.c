/*
 * jwt_tokens.c - issuing and checking ksefd's bearer tokens. It owns the claim
 * set, its bounds and the order of the checks; libjwt owns the JWS
 * encoding and the HMAC. Which token an endpoint wants, revocation and
 * the mapping to 401 belong to the router and the auth handlers.
 *
 * A token is untrusted until its HMAC verifies, so everything before that
 * is done on bounded copies: the length is capped first, the characters
 * and the three-part shape are checked, the header is decoded here to
 * refuse any alg but HS256 before libjwt is involved (the "alg":"none" and
 * algorithm-confusion attacks), and only then does libjwt check the
 * signature. The claims are read from our own strict parse of the payload
 * (duplicate keys refused, every type checked), not through libjwt's
 * getters, which cannot tell a missing claim from one of the wrong type.
 */
#include "jwt_tokens.h"
#include <jwt.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "ksef/buf.h"
#include "ksef/encoding.h"

_Static_assert(JWT_SECRET_MAX <= INT_MAX, "libjwt takes an int key length");

/* The issuer and audience of every token. */
#define ISSUER "ksefd"

/* The last second X.509 and RFC 3339 can write, 9999-12-31T23:59:59Z: a
 * bound on exp that keeps every later computation in range. */
#define EXP_MAX INT64_C(253402300799)

/* Bytes of randomness in a jti. */
#define JTI_BYTES 16

const char *jwt_kind_name(jwt_kind kind)
{
	switch (kind) {
	case JWT_OPERATION:
		return "OperationToken";
	case JWT_ACCESS:
		return "ContextToken";
	case JWT_REFRESH:
		return "RefreshToken";
	default:
		return NULL;
	}
}

static int kind_from_name(jwt_kind *out, const char *s)
{
	static const jwt_kind kinds[] = { JWT_OPERATION, JWT_ACCESS,
					  JWT_REFRESH };
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(s, jwt_kind_name(kinds[i])) == 0) {
			*out = kinds[i];
			return 0;
		}
	}
	return -1;
}

static int is_alnum(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= 'A' && ch <= 'Z');
}

/* Printable ASCII that needs no escaping in JSON or in a log line. */
static int is_plain(unsigned char ch)
{
	return ch > ' ' && ch < 0x7f && ch != '"' && ch != '\\';
}

static int is_b64url(unsigned char ch)
{
	return is_alnum(ch) || ch == '-' || ch == '_';
}

enum field_rule { RULE_ALNUM, RULE_PLAIN };

/*
 * Check one fixed-size string field: NUL-terminated within its array, and
 * made of allowed characters only. Empty is allowed here; whether the
 * claim is required is decided by the caller.
 */
static int check_field(const char *s, size_t bufsz, enum field_rule rule,
		       const char *claim, int code, ksef_error *err)
{
	size_t i, n = strnlen(s, bufsz);

	if (n == bufsz)
		return ksef_error_set(err, code, "claim %s is longer than %zu "
				"characters", claim, bufsz - 1);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (rule == RULE_ALNUM ? !is_alnum(ch) : !is_plain(ch))
			return ksef_error_set(err, code, "claim %s has a "
					"character that is not allowed", claim);
	}
	return 0;
}

/* "Name,Name": non-empty alphanumeric names, single commas between. */
static int check_permissions(const char *s, int code, ksef_error *err)
{
	size_t i, n = strnlen(s, JWT_PERMISSIONS_BUFSZ), run = 0;

	if (n == JWT_PERMISSIONS_BUFSZ)
		return ksef_error_set(err, code, "claim permissions is longer "
				"than %d characters",
				JWT_PERMISSIONS_BUFSZ - 1);
	for (i = 0; i < n; i++) {
		if (s[i] == ',') {
			if (run == 0)
				break;
			run = 0;
		} else if (is_alnum((unsigned char)s[i])) {
			run++;
		} else {
			break;
		}
	}
	if (i < n || (n > 0 && run == 0))
		return ksef_error_set(err, code, "claim permissions is not a "
				"comma-separated list of names");
	return 0;
}

static int check_jti(const char *s, int code, ksef_error *err)
{
	size_t i;

	if (strnlen(s, JWT_JTI_BUFSZ) != JWT_JTI_BUFSZ - 1)
		return ksef_error_set(err, code, "claim jti is not %d hex "
				"digits", JWT_JTI_BUFSZ - 1);
	for (i = 0; i < JWT_JTI_BUFSZ - 1; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return ksef_error_set(err, code, "claim jti is not "
					"lower-case hex");
	return 0;
}

/*
 * Every rule on a claim set but the expiry, reported with `code`:
 * KSEF_EINVAL when we are about to issue, KSEF_EFORMAT when a verified
 * token breaks them.
 */
static int check_claims(const jwt_claims *c, int code, ksef_error *err)
{
	int error, need_context;

	if (jwt_kind_name(c->kind) == NULL)
		return ksef_error_set(err, code, "claim token-type is unknown");
	if (strnlen(c->reference, KSEF_REFNUM_BUFSZ) != KSEF_REFNUM_LEN ||
	    ksef_refnum_validate(c->reference, KSEF_REFNUM_LEN, NULL) < 0 ||
	    ksef_refnum_type_of(c->reference, KSEF_REFNUM_LEN) !=
		    KSEF_REFNUM_AUTH)
		return ksef_error_set(err, code,
				"claim operation-reference-number is not an "
				"AU reference number");
	if ((error = check_field(c->context_type, JWT_CONTEXT_TYPE_BUFSZ,
				 RULE_ALNUM, "context-identifier-type", code,
				 err)) < 0 ||
	    (error = check_field(c->context_value, JWT_CONTEXT_VALUE_BUFSZ,
				 RULE_PLAIN, "context-identifier-value", code,
				 err)) < 0 ||
	    (error = check_field(c->auth_method, JWT_AUTH_METHOD_BUFSZ,
				 RULE_ALNUM, "authentication-method", code,
				 err)) < 0 ||
	    (error = check_permissions(c->permissions, code, err)) < 0 ||
	    (error = check_jti(c->jti, code, err)) < 0)
		return error;

	/* A context is all or nothing. */
	if ((c->context_type[0] == '\0') != (c->context_value[0] == '\0'))
		return ksef_error_set(err, code,
				"claims context-identifier-type and -value "
				"must come together");
	need_context = c->kind != JWT_OPERATION;
	if (need_context && (c->context_type[0] == '\0' ||
			     c->auth_method[0] == '\0'))
		return ksef_error_set(err, code, "%s needs claims "
				"context-identifier-* and "
				"authentication-method",
				jwt_kind_name(c->kind));
	if (c->kind != JWT_ACCESS && c->permissions[0] != '\0')
		return ksef_error_set(err, code, "only a ContextToken carries "
				"claim permissions");

	if (c->iat < 0 || c->exp < c->iat || c->exp > EXP_MAX ||
	    c->exp > LONG_MAX)
		return ksef_error_set(err, code, "claims iat and exp are out "
				"of range or reversed");
	return 0;
}

int jwt_claims_init(jwt_claims *c, jwt_kind kind, int64_t now_ms,
		    int64_t lifetime_s, ksef_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[JTI_BYTES];
	size_t i;

	if (c == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "jwt: NULL argument");
	memset(c, 0, sizeof(*c));
	if (jwt_kind_name(kind) == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "jwt: unknown token "
				"kind %d", (int)kind);
	if (lifetime_s < 1 || lifetime_s > JWT_LIFETIME_MAX)
		return ksef_error_set(err, KSEF_EINVAL, "jwt: lifetime %lld s "
				"is outside 1 to %d (JWT_LIFETIME_MAX)",
				(long long)lifetime_s, JWT_LIFETIME_MAX);
	if (now_ms < 0 || now_ms / 1000 > EXP_MAX - lifetime_s)
		return ksef_error_set(err, KSEF_EINVAL, "jwt: time %lld ms is "
				"out of range", (long long)now_ms);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return ksef_error_set(err, KSEF_ECRYPTO, "jwt: the random "
				"generator failed");
	for (i = 0; i < sizeof(rnd); i++) {
		c->jti[2 * i] = hex[rnd[i] >> 4];
		c->jti[2 * i + 1] = hex[rnd[i] & 0xf];
	}
	c->kind = kind;
	c->iat = now_ms / 1000;
	c->exp = c->iat + lifetime_s;
	return 0;
}

/* libjwt reports failures as errno values. */
static int fail_libjwt(ksef_error *err, int rc, const char *what)
{
	if (rc == ENOMEM)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	return ksef_error_set(err, KSEF_ECRYPTO, "libjwt cannot %s (errno %d)",
			what, rc);
}

/* Add a string claim; an empty value means "absent" and is left out. */
static int add_str(jwt_t *j, const char *name, const char *value)
{
	return value[0] == '\0' ? 0 : jwt_add_grant(j, name, value);
}

static int add_claims(jwt_t *j, const jwt_claims *c)
{
	int rc;

	if ((rc = add_str(j, "token-type", jwt_kind_name(c->kind))) != 0 ||
	    (rc = add_str(j, "operation-reference-number",
			  c->reference)) != 0 ||
	    (rc = add_str(j, "context-identifier-type",
			  c->context_type)) != 0 ||
	    (rc = add_str(j, "context-identifier-value",
			  c->context_value)) != 0 ||
	    (rc = add_str(j, "authentication-method", c->auth_method)) != 0 ||
	    (rc = add_str(j, "jti", c->jti)) != 0 ||
	    (rc = add_str(j, "iss", ISSUER)) != 0 ||
	    (rc = add_str(j, "aud", ISSUER)) != 0 ||
	    (rc = jwt_add_grant_int(j, "iat", (long)c->iat)) != 0 ||
	    (rc = jwt_add_grant_int(j, "exp", (long)c->exp)) != 0)
		return rc;
	/* An access token says what it grants even when that is nothing. */
	if (c->kind == JWT_ACCESS)
		rc = jwt_add_grant(j, "permissions", c->permissions);
	if (rc == 0 && c->ip_bound)
		rc = jwt_add_grant_bool(j, "ip-bound", 1);
	return rc;
}

int jwt_issue(char **out, const unsigned char *secret, size_t secret_len,
	      const jwt_claims *c, ksef_error *err)
{
	jwt_t *j = NULL;
	char *token;
	int rc, error;

	if (out == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "jwt: NULL argument");
	*out = NULL;
	if (secret == NULL || c == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "jwt: NULL argument");
	if (secret_len < JWT_SECRET_MIN || secret_len > JWT_SECRET_MAX)
		return ksef_error_set(err, KSEF_EINVAL, "jwt: secret of %zu "
				"bytes is outside %d to %d", secret_len,
				JWT_SECRET_MIN, JWT_SECRET_MAX);
	if ((error = check_claims(c, KSEF_EINVAL, err)) < 0)
		return error;

	if ((rc = jwt_new(&j)) != 0)
		return fail_libjwt(err, rc, "make a token");
	if ((rc = add_claims(j, c)) != 0) {
		error = fail_libjwt(err, rc, "add a claim");
		goto done;
	}
	if ((rc = jwt_set_alg(j, JWT_ALG_HS256, secret, (int)secret_len)) !=
	    0) {
		error = fail_libjwt(err, rc, "set HS256");
		goto done;
	}
	errno = 0;
	if ((token = jwt_encode_str(j)) == NULL) {
		error = fail_libjwt(err, errno ? errno : ENOMEM, "sign");
		goto done;
	}
	if (strnlen(token, JWT_TOKEN_MAX + 1) > JWT_TOKEN_MAX) {
		/* The field sizes keep tokens near 1.5 kB; this cannot be. */
		free(token);
		error = ksef_error_set(err, KSEF_ETOOBIG, "jwt: token would be "
				"over %d bytes (JWT_TOKEN_MAX)", JWT_TOKEN_MAX);
		goto done;
	}
	*out = token;
	error = 0;
done:
	jwt_free(j); /* libjwt scrubs its copy of the key */
	return error;
}

/*
 * Decode one Base64url part (no padding, as JWS writes it) and parse it as
 * a JSON object, strictly. libksef's decoder is strict standard Base64, so
 * the part is translated and padded first.
 */
static int part_to_json(json_t **out, const char *part, size_t len,
			const char *what, ksef_error *err)
{
	char b64[JWT_TOKEN_MAX + 4];
	ksef_buf raw = KSEF_BUF_INIT;
	json_error_t jerr;
	size_t i;
	json_t *json;

	if (len % 4 == 1)
		return ksef_error_set(err, KSEF_EPARSE, "token's %s is not "
				"Base64url", what);
	for (i = 0; i < len; i++)
		b64[i] = part[i] == '-' ? '+' : part[i] == '_' ? '/' : part[i];
	while (i % 4 != 0)
		b64[i++] = '=';
	if (ksef_base64_decode(&raw, b64, i, JWT_TOKEN_MAX, NULL) < 0)
		return ksef_error_set(err, KSEF_EPARSE, "token's %s is not "
				"Base64url", what);
	json = json_loadb((const char *)raw.ptr, raw.size,
			  JSON_REJECT_DUPLICATES, &jerr);
	ksef_buf_dispose(&raw);
	if (json == NULL || !json_is_object(json)) {
		json_decref(json);
		return ksef_error_set(err, KSEF_EPARSE, "token's %s is not a "
				"JSON object", what);
	}
	*out = json;
	return 0;
}

/* Copy a string claim into its field; absent leaves the field empty. */
static int get_str(char *dst, size_t bufsz, json_t *payload, const char *name,
		   ksef_error *err)
{
	json_t *v = json_object_get(payload, name);
	size_t n;

	dst[0] = '\0';
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return ksef_error_set(err, KSEF_EFORMAT, "claim %s is not a "
				"string", name);
	n = json_string_length(v);
	if (n >= bufsz || memchr(json_string_value(v), '\0', n) != NULL)
		return ksef_error_set(err, KSEF_EFORMAT, "claim %s is too long "
				"or holds a NUL", name);
	memcpy(dst, json_string_value(v), n);
	dst[n] = '\0';
	return 0;
}

static int get_int(int64_t *dst, json_t *payload, const char *name,
		   ksef_error *err)
{
	json_t *v = json_object_get(payload, name);

	if (v == NULL || !json_is_integer(v))
		return ksef_error_set(err, KSEF_EFORMAT, "claim %s is missing "
				"or not an integer", name);
	*dst = (int64_t)json_integer_value(v);
	return 0;
}

static int read_claims(jwt_claims *c, json_t *payload, ksef_error *err)
{
	char type[24], iss[8], aud[8];
	int error;

	memset(c, 0, sizeof(*c));
	if ((error = get_str(type, sizeof(type), payload, "token-type",
			     err)) < 0 ||
	    (error = get_str(iss, sizeof(iss), payload, "iss", err)) < 0 ||
	    (error = get_str(aud, sizeof(aud), payload, "aud", err)) < 0)
		return error;
	if (strcmp(iss, ISSUER) != 0 || strcmp(aud, ISSUER) != 0)
		return ksef_error_set(err, KSEF_EFORMAT, "claims iss and aud "
				"are not \"" ISSUER "\"");
	if (kind_from_name(&c->kind, type) < 0)
		return ksef_error_set(err, KSEF_EFORMAT, "claim token-type is "
				"missing or unknown");
	if ((error = get_str(c->reference, sizeof(c->reference), payload,
			     "operation-reference-number", err)) < 0 ||
	    (error = get_str(c->context_type, sizeof(c->context_type),
			     payload, "context-identifier-type", err)) < 0 ||
	    (error = get_str(c->context_value, sizeof(c->context_value),
			     payload, "context-identifier-value", err)) < 0 ||
	    (error = get_str(c->auth_method, sizeof(c->auth_method), payload,
			     "authentication-method", err)) < 0 ||
	    (error = get_str(c->permissions, sizeof(c->permissions), payload,
			     "permissions", err)) < 0 ||
	    (error = get_str(c->jti, sizeof(c->jti), payload, "jti",
			     err)) < 0 ||
	    (error = get_int(&c->iat, payload, "iat", err)) < 0 ||
	    (error = get_int(&c->exp, payload, "exp", err)) < 0)
		return error;
	{
		json_t *b = json_object_get(payload, "ip-bound");

		if (b != NULL && !json_is_true(b))
			return ksef_error_set(err, KSEF_EFORMAT, "claim "
					      "ip-bound is not true");
		c->ip_bound = b != NULL;
	}
	/* Present exactly in access tokens, even when empty. */
	if ((c->kind == JWT_ACCESS) !=
	    (json_object_get(payload, "permissions") != NULL))
		return ksef_error_set(err, KSEF_EFORMAT, "claim permissions "
				"belongs in a ContextToken and only there");
	return check_claims(c, KSEF_EFORMAT, err);
}

/* Three Base64url parts separated by two dots, the first two non-empty;
 * gives where the second and third start. */
static int split(const char *t, size_t len, size_t *p2, size_t *p3)
{
	size_t i, dots = 0, at[2] = { 0, 0 };

	for (i = 0; i < len; i++) {
		if (t[i] == '.') {
			if (dots == 2)
				return -1;
			at[dots++] = i;
		} else if (!is_b64url((unsigned char)t[i])) {
			return -1;
		}
	}
	/* An empty signature is let through to fail where it belongs: at
	 * the alg check for "none", at the HMAC for anything else. */
	if (dots != 2 || at[0] == 0 || at[1] == at[0] + 1)
		return -1;
	*p2 = at[0] + 1;
	*p3 = at[1] + 1;
	return 0;
}

int jwt_verify(jwt_claims *out, const unsigned char *secret,
	       size_t secret_len, const char *token, size_t len,
	       int64_t now_ms, ksef_error *err)
{
	char copy[JWT_TOKEN_MAX + 1];
	json_t *header = NULL, *payload = NULL, *alg;
	jwt_claims c;
	jwt_t *j = NULL;
	size_t p2, p3;
	int error;

	if (out == NULL || secret == NULL || (token == NULL && len > 0))
		return ksef_error_set(err, KSEF_EINVAL, "jwt: NULL argument");
	if (secret_len < JWT_SECRET_MIN || secret_len > JWT_SECRET_MAX)
		return ksef_error_set(err, KSEF_EINVAL, "jwt: secret of %zu "
				"bytes is outside %d to %d", secret_len,
				JWT_SECRET_MIN, JWT_SECRET_MAX);
	if (len > JWT_TOKEN_MAX)
		return ksef_error_set(err, KSEF_ETOOBIG, "token is %zu bytes, "
				"over the limit of %d (JWT_TOKEN_MAX)", len,
				JWT_TOKEN_MAX);
	if (len == 0)
		return ksef_error_set(err, KSEF_EPARSE, "token is empty");
	if (split(token, len, &p2, &p3) < 0)
		return ksef_error_set(err, KSEF_EPARSE, "token is not three "
				"Base64url parts");

	if ((error = part_to_json(&header, token, p2 - 1, "header",
				  err)) < 0)
		goto done;
	alg = json_object_get(header, "alg");
	if (!json_is_string(alg)) {
		error = ksef_error_set(err, KSEF_EPARSE, "token's header has "
				"no alg");
		goto done;
	}
	if (strcmp(json_string_value(alg), "HS256") != 0 ||
	    json_string_length(alg) != 5) {
		error = ksef_error_set(err, KSEF_ECHECKSUM, "token's alg is "
				"not HS256");
		goto done;
	}
	if ((error = part_to_json(&payload, token + p2, p3 - p2 - 1,
				  "payload", err)) < 0)
		goto done;

	/* libjwt wants a C string; the copy is wiped below. */
	memcpy(copy, token, len);
	copy[len] = '\0';
	if (jwt_decode(&j, copy, secret, (int)secret_len) != 0 || j == NULL ||
	    jwt_get_alg(j) != JWT_ALG_HS256) {
		error = ksef_error_set(err, KSEF_ECHECKSUM, "token's signature "
				"does not verify");
		goto done;
	}

	if ((error = read_claims(&c, payload, err)) < 0)
		goto done;
	/* RFC 7519 4.1.4: not accepted on or after exp. */
	if (now_ms / 1000 >= c.exp) {
		error = ksef_error_set(err, JWT_EEXPIRED, "%s expired %lld s "
				"ago", jwt_kind_name(c.kind),
				(long long)(now_ms / 1000 - c.exp));
		goto done;
	}
	*out = c;
done:
	OPENSSL_cleanse(copy, sizeof(copy));
	OPENSSL_cleanse(&c, sizeof(c));
	jwt_free(j);
	json_decref(header);
	json_decref(payload);
	return error;
}

int jwt_has_permission(const jwt_claims *c, const char *name)
{
	size_t n;
	const char *p, *end;

	if (c == NULL || name == NULL || c->kind != JWT_ACCESS)
		return 0;
	n = strlen(name);
	if (n == 0)
		return 0;
	p = c->permissions;
	end = p + strnlen(p, sizeof(c->permissions));
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t item = comma ? (size_t)(comma - p) : (size_t)(end - p);

		if (item == n && memcmp(p, name, n) == 0)
			return 1;
		p += item + 1;
	}
	return 0;
}
