/*
 * client_auth.c - the endpoints of the open-api tag "Uzyskiwanie dostepu"
 * (SPEC 4.2-4.7): the challenge, authentication with a KSeF token (whose
 * encryption is envelope.c's) or a signed XAdES document, its status, and
 * the redeeming and refreshing of tokens.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "client_int.h"

/* Longest context identifier value accepted from the caller. */
#define CTX_VALUE_MAX 64

static const char *const context_names[] = {
	"Nip", "InternalId", "NipVatUe", "PeppolId"
};

/*
 * Authentication
 */

/* AuthenticationChallengeResponse. */
static int parse_challenge(struct ksef__rd *r, const json_t *root, void *res)
{
	ksef_api_challenge *ch = res;
	int64_t timestamp;
	int error;

	/* timestamp is required and checked, but timestampMs is what the
	 * KSeF-token answer is built from (SPEC 4.3), so it is kept. */
	if ((error = ksef__rd_string(r, root, "challenge", 1, 36, 36,
				     &ch->challenge)) < 0 ||
	    (error = ksef__rd_time(r, root, "timestamp", &timestamp)) < 0 ||
	    (error = ksef__rd_int(r, root, "timestampMs", 1, 0, INT64_MAX,
				  &ch->timestamp_ms)) < 0)
		return error;
	return ksef__rd_string(r, root, "clientIp", 1, 0, 256, &ch->client_ip);
}

int ksef_client_auth_challenge(ksef_api_challenge **out, ksef_client *c,
			       ksef_error *err)
{
	ksef__request rq = { 0 };
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	rq.method = "POST";
	rq.path = "/auth/challenge";
	rq.retry_safe = 1; /* a new challenge replaces nothing */
	if ((error = ksef__req_call_result(&res, c, &rq, 0,
					   sizeof(ksef_api_challenge),
					   parse_challenge, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_challenge_free(ksef_api_challenge *ch)
{
	ksef__result_free(ch);
}

static int add_ip_list(json_t *allowed, const char *key,
		       const char *const *list, size_t n, ksef_error *err)
{
	json_t *arr;
	size_t i;

	if (n == 0)
		return 0;
	if (n > 10 || list == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"authorization policy: %s must have 0 to 10 entries",
			key);
	if ((arr = json_array()) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		size_t len = list[i] ? strnlen(list[i], 40) : 0;

		if (len == 0 || len > 31 ||
		    !ksef__printable_ascii(list[i], len)) {
			json_decref(arr);
			return ksef__error_set(err, KSEF_EINVAL,
				"authorization policy: %s[%zu] is not an "
				"IPv4 address, range or mask", key, i);
		}
		if (json_array_append_new(arr, json_string(list[i])) < 0) {
			json_decref(arr);
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		}
	}
	if (ksef__req_json_set(allowed, key, arr) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

/* The bytes of each version of ksef_client_ip_policy (options.h). */
static const size_t ip_policy_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_ip_policy, mask_count), /* 1 */
};
KSEF__OPTIONS_SIZES(ip_policy_sizes, KSEF_CLIENT_IP_POLICY_VERSION);

int ksef__client_ip_policy_copy(ksef_client_ip_policy *dst,
				const ksef_client_ip_policy *src,
				ksef_error *err)
{
	ksef_client_ip_policy p = KSEF_CLIENT_IP_POLICY_INIT;
	int error = KSEF__OPTIONS_COPY(&p, src, ip_policy_sizes,
				       KSEF_CLIENT_IP_POLICY_VERSION,
				       "ksef_client_ip_policy", err);

	if (error == 0)
		*dst = p;
	return error;
}

static int build_policy(json_t *body, const ksef_client_ip_policy *given,
			ksef_error *err)
{
	ksef_client_ip_policy copy = KSEF_CLIENT_IP_POLICY_INIT, *p = &copy;
	json_t *policy, *allowed;
	int error;

	if (given == NULL)
		return 0;
	if ((error = ksef__client_ip_policy_copy(&copy, given, err)) < 0)
		return error;
	if (p->address_count == 0 && p->range_count == 0 &&
	    p->mask_count == 0)
		return 0;
	allowed = json_object();
	policy = json_object();
	if (allowed == NULL || policy == NULL ||
	    ksef__req_json_set(policy, "allowedIps", allowed) < 0 ||
	    ksef__req_json_set(body, "authorizationPolicy", policy) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((error = add_ip_list(allowed, "ip4Addresses", p->addresses,
				 p->address_count, err)) < 0 ||
	    (error = add_ip_list(allowed, "ip4Ranges", p->ranges,
				 p->range_count, err)) < 0)
		return error;
	return add_ip_list(allowed, "ip4Masks", p->masks, p->mask_count, err);
}

int ksef__client_build_ksef_token_body(json_t **out,
	const ksef_api_challenge *challenge, ksef_context_type ctx_type,
	const char *ctx_value, const char *ksef_token, const ksef_pubkey *key,
	const ksef_client_ip_policy *policy, ksef_error *err)
{
	/* "{token}|{timestampMs}": at most 160 + 1 + 19 characters. */
	char plain[KSEF__TOKEN_MAX_CHARS + 32];
	ksef_buf ct = KSEF_BUF_INIT, b64 = KSEF_BUF_INIT;
	json_t *body = NULL, *ctx;
	size_t tlen, vlen;
	int n, error;

	*out = NULL;
	if (challenge == NULL || challenge->challenge == NULL ||
	    ctx_value == NULL || ksef_token == NULL || key == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "NULL argument");
	if (strnlen(challenge->challenge, 37) != 36 ||
	    !ksef__printable_ascii(challenge->challenge, 36))
		return ksef__error_set(err, KSEF_EINVAL,
			"challenge must be 36 printable ASCII characters");
	if ((unsigned)ctx_type > KSEF_CONTEXT_PEPPOL_ID)
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown context type %d", (int)ctx_type);
	vlen = strnlen(ctx_value, CTX_VALUE_MAX + 1);
	if (vlen == 0 || vlen > CTX_VALUE_MAX ||
	    !ksef__printable_ascii(ctx_value, vlen) ||
	    strchr(ctx_value, ' ') != NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"context identifier must be 1 to %d printable ASCII "
			"characters", CTX_VALUE_MAX);
	tlen = strnlen(ksef_token, KSEF__TOKEN_MAX_CHARS + 1);
	if (tlen == 0 || tlen > KSEF__TOKEN_MAX_CHARS ||
	    !ksef__printable_ascii(ksef_token, tlen))
		return ksef__error_set(err, KSEF_EINVAL,
			"KSeF token must be 1 to %d printable ASCII "
			"characters", KSEF__TOKEN_MAX_CHARS);
	if (challenge->timestamp_ms < 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"challenge timestampMs is negative");
	n = snprintf(plain, sizeof(plain), "%s|%lld", ksef_token,
		     (long long)challenge->timestamp_ms);
	error = ksef_rsa_oaep_encrypt(&ct, key, (const unsigned char *)plain,
				      (size_t)n, err);
	ksef__wipe(plain, sizeof(plain));
	if (error < 0)
		return error;
	if ((error = ksef_base64_encode(&b64, ct.ptr, ct.size, err)) < 0)
		goto done;
	error = KSEF_ENOMEM;
	if ((body = json_object()) == NULL || (ctx = json_object()) == NULL ||
	    ksef__req_json_set(body, "challenge",
			       json_string(challenge->challenge)) < 0 ||
	    ksef__req_json_set(body, "contextIdentifier", ctx) < 0 ||
	    ksef__req_json_set(ctx, "type",
			       json_string(context_names[ctx_type])) < 0 ||
	    ksef__req_json_set(ctx, "value", json_string(ctx_value)) < 0 ||
	    ksef__req_json_set(body, "encryptedToken",
			       json_string((char *)b64.ptr)) < 0 ||
	    ksef__req_json_set(body, "publicKeyId",
			       json_string(ksef_pubkey_id(key))) < 0) {
		ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = build_policy(body, policy, err)) < 0)
		goto done;
	*out = body;
	body = NULL;
	error = 0;
done:
	json_decref(body);
	ksef_buf_dispose(&ct);
	ksef_buf_dispose(&b64);
	return error;
}

/* AuthenticationInitResponse: the same for both ways in. */
static int parse_auth_init(struct ksef__rd *r, const json_t *root, void *res)
{
	ksef_api_auth_init *init = res;
	int error = ksef__rd_ref(r, root, "referenceNumber", 1,
				 &init->reference_number);

	if (error == 0)
		error = ksef__rd_token_info(r, root, "authenticationToken", 1,
					    &init->authentication_token);
	return error;
}

int ksef_client_auth_ksef_token(ksef_api_auth_init **out, ksef_client *c,
	const ksef_api_challenge *challenge, ksef_context_type ctx_type,
	const char *ctx_value, const char *ksef_token, const ksef_pubkey *key,
	const ksef_client_ip_policy *policy, ksef_error *err)
{
	ksef__request rq = { 0 };
	json_t *body;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__client_build_ksef_token_body(&body, challenge,
			ctx_type, ctx_value, ksef_token, key, policy, err)) < 0)
		return error;
	rq.path = "/auth/ksef-token";
	if ((error = ksef__req_post_result(&res, c, &rq, body,
					   sizeof(ksef_api_auth_init),
					   parse_auth_init, err)) == 0)
		*out = res;
	return error;
}

int ksef_client_auth_xades(ksef_api_auth_init **out, ksef_client *c,
			   const unsigned char *xml, size_t len,
			   int verify_chain, ksef_error *err)
{
	ksef__request rq = { 0 };
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL && xml != NULL, err)) < 0)
		return error;
	*out = NULL;
	if (len == 0 || len > KSEF_INVOICE_MAX_BYTES)
		return ksef__error_set(err, KSEF_EINVAL,
			"signed document must be 1 to %d bytes "
			"(KSEF_INVOICE_MAX_BYTES)", KSEF_INVOICE_MAX_BYTES);
	rq.method = "POST";
	rq.path = verify_chain ?
		"/auth/xades-signature?verifyCertificateChain=true" :
		"/auth/xades-signature";
	rq.content_type = "application/xml";
	rq.body = xml;
	rq.body_len = len;
	if ((error = ksef__req_call_result(&res, c, &rq, 0,
					   sizeof(ksef_api_auth_init),
					   parse_auth_init, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_auth_init_free(ksef_api_auth_init *init)
{
	ksef__result_free(init);
}

int ksef__rd_auth_status(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_auth_status *st = item;
	const json_t *info;
	size_t old;
	int error;

	if ((error = ksef__rd_time(r, o, "startDate",
				   &st->start_date_ms)) < 0 ||
	    /* Deprecated (removal planned 2026-11-16): optional here. */
	    (error = ksef__rd_string(r, o, "authenticationMethod", 0, 1, 256,
				     &st->authentication_method)) < 0 ||
	    (error = ksef__rd_object(r, o, "authenticationMethodInfo", 1,
				     &info)) < 0)
		return error;
	old = ksef__rd_push(r, "authenticationMethodInfo");
	if ((error = ksef__rd_string(r, info, "category", 1, 1, 256,
				     &st->method_category)) == 0 &&
	    (error = ksef__rd_string(r, info, "code", 1, 0, 256,
				     &st->method_code)) == 0)
		error = ksef__rd_string(r, info, "displayName", 1, 0, 1024,
					&st->method_display_name);
	ksef__rd_pop(r, old);
	if (error < 0 ||
	    (error = ksef__rd_status(r, o, "status", &st->status, NULL)) < 0 ||
	    (error = ksef__rd_opt_bool(r, o, "isTokenRedeemed",
				       &st->is_token_redeemed)) < 0 ||
	    (error = ksef__rd_opt_time(r, o, "lastTokenRefreshDate",
				       &st->last_token_refresh_date_ms)) < 0 ||
	    (error = ksef__rd_opt_time(r, o, "refreshTokenValidUntil",
			&st->refresh_token_valid_until_ms)) < 0 ||
	    (error = ksef__rd_opt_bool(r, o, "isCurrent", &st->is_current)) < 0)
		return error;
	return 0;
}
int ksef_client_auth_status(ksef_api_auth_status **out, ksef_client *c,
			    const char *reference, const char *auth_token,
			    ksef_error *err)
{
	ksef__request rq = { 0 };
	char path[64];
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL && auth_token != NULL,
				     err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_check_ref("reference number", reference,
					 err)) < 0)
		return error;
	snprintf(path, sizeof(path), "/auth/%s", reference);
	rq.method = "GET";
	rq.path = path;
	rq.bearer = auth_token;
	rq.retry_safe = 1;
	if ((error = ksef__req_call_result(&res, c, &rq, 0,
					   sizeof(ksef_api_auth_status),
					   ksef__rd_auth_status, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_auth_status_free(ksef_api_auth_status *st)
{
	ksef__result_free(st);
}

/* AuthenticationTokensResponse; a refresh answers without refreshToken,
 * a redeem with it. */
static int parse_tokens(struct ksef__rd *r, const json_t *root,
			ksef_api_tokens *t, int redeem)
{
	int error = ksef__rd_token_info(r, root, "accessToken", 1,
					&t->access_token);

	if (error == 0)
		error = ksef__rd_token_info(r, root, "refreshToken", redeem,
					    &t->refresh_token);
	return error;
}

static int parse_redeemed(struct ksef__rd *r, const json_t *root, void *res)
{
	return parse_tokens(r, root, res, 1);
}

static int parse_refreshed(struct ksef__rd *r, const json_t *root, void *res)
{
	return parse_tokens(r, root, res, 0);
}

static int token_call(ksef_api_tokens **out, ksef_client *c,
		      const char *path, const char *bearer, int redeem,
		      ksef_error *err)
{
	ksef__request rq = { 0 };
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL && bearer != NULL,
				     err)) < 0)
		return error;
	*out = NULL;
	rq.method = "POST";
	rq.path = path;
	rq.bearer = bearer;
	/* A refresh only mints another access token; a redeem works once. */
	rq.retry_safe = !redeem;
	if ((error = ksef__req_call_result(&res, c, &rq, 0,
					   sizeof(ksef_api_tokens),
					   redeem ? parse_redeemed :
					   parse_refreshed, err)) == 0)
		*out = res;
	return error;
}

int ksef_client_auth_redeem(ksef_api_tokens **out, ksef_client *c,
			    const char *auth_token, ksef_error *err)
{
	return token_call(out, c, "/auth/token/redeem", auth_token, 1, err);
}

int ksef_client_auth_refresh(ksef_api_tokens **out, ksef_client *c,
			     const char *refresh_token, ksef_error *err)
{
	return token_call(out, c, "/auth/token/refresh", refresh_token, 0,
			  err);
}

void ksef_api_tokens_free(ksef_api_tokens *t)
{
	ksef__result_free(t);
}
