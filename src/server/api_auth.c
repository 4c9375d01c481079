/*
 * api_auth.c - the authentication tag (SPEC 4.2-4.10, 10): challenges,
 * KSeF-token authentication, the operation's status, redeeming and
 * refreshing tokens, and the authenticated sessions of a context.
 *
 * Token authentication is decided at once, while the request that starts
 * it is answered: the operation is stored with its final status (200, 415
 * or 450), which the client reads from GET /auth/{ref} as on KSeF. The
 * decrypted token string is wiped as soon as it has been looked up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "ksef/xades.h"
#include "api.h"
#include "context.h"
#include "permissions.h"
#include "processing.h"
#include "testdata.h"
#include "trust.h"
#include "certs_ca.h"
#include "errors.h"
#include "http.h"

static const struct {
	int code;
	const char *description;
} auth_statuses[] = {
	{ 100, "Uwierzytelnianie w toku" },
	{ 200, "Uwierzytelnianie zakończone sukcesem" },
	{ 415, "Uwierzytelnianie zakończone niepowodzeniem" },
	{ 425, "Uwierzytelnienie unieważnione" },
	{ 450, "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu" },
	{ 460, "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu" },
	{ 470, "Uwierzytelnianie zakończone niepowodzeniem" },
	{ 480, "Uwierzytelnienie zablokowane" },
	{ 500, "Nieznany błąd" },
	{ 550, "Operacja została anulowana przez system" },
};

static const char *auth_status_description(int code)
{
	size_t i;

	for (i = 0; i < sizeof(auth_statuses) / sizeof(auth_statuses[0]); i++)
		if (auth_statuses[i].code == code)
			return auth_statuses[i].description;
	return "Nieznany błąd";
}

void api_auth_challenge(struct request *req)
{
	struct server *srv = req->srv;
	int64_t now = server_now_ms();
	char challenge[KSEF_REFNUM_BUFSZ];
	ksef_error err;

	if (ksef_refnum_generate(challenge, KSEF_REFNUM_CHALLENGE,
				 ksef_time_warsaw(now), &err) != 0 ||
	    store_challenge_add(srv->store, challenge, now, req->ip, &err) != 0) {
		errors_internal(req, &err);
		return;
	}
	request_log_ref(req, challenge);
	http_reply_json(req, 200, json_pack("{s:s,s:o,s:I,s:s}",
		"challenge", challenge, "timestamp", api_time(now),
		"timestampMs", (json_int_t)now, "clientIp", req->ip));
}

/* Issue a JWT of a kind for an operation; 0 or -1 after answering 500. */
static int issue(struct request *req, jwt_kind kind, const store_auth *op,
		 int64_t ttl_ms, const char *permissions, char **token,
		 int64_t *valid_until)
{
	struct server *srv = req->srv;
	int64_t now = server_now_ms();
	jwt_claims c;
	ksef_error err;

	if (jwt_claims_init(&c, kind, now, ttl_ms / 1000, &err) != 0)
		goto fail;
	snprintf(c.reference, sizeof(c.reference), "%s", op->ref);
	snprintf(c.context_type, sizeof(c.context_type), "%s", op->ctx_type);
	/* A context value is at most 25 characters (NipVatUe); the store's
	 * field is wider for fingerprints. */
	snprintf(c.context_value, sizeof(c.context_value), "%.*s",
		 (int)sizeof(c.context_value) - 1, op->ctx_value);
	snprintf(c.auth_method, sizeof(c.auth_method), "%s", op->method);
	if (permissions != NULL)
		snprintf(c.permissions, sizeof(c.permissions), "%s",
			 permissions);
	c.ip_bound = kind == JWT_ACCESS && op->allowed_ips[0] != '\0';
	if (jwt_issue(token, srv->jwt_secret, sizeof(srv->jwt_secret), &c,
		      &err) != 0)
		goto fail;
	*valid_until = c.exp * 1000;
	return 0;
fail:
	errors_internal(req, &err);
	return -1;
}

static json_t *token_info(char *token, int64_t valid_until)
{
	json_t *o = json_pack("{s:s,s:o}", "token", token, "validUntil",
			      api_time(valid_until));

	free(token);
	return o;
}

/* Store a decided authentication and answer 202 with its operation
 * token, as both ways of authenticating do (SPEC 4.3, 4.4). */
static void started(struct request *req, const store_auth *op)
{
	struct server *srv = req->srv;
	int64_t valid_until;
	char *token = NULL;
	ksef_error err;

	request_log_ref(req, op->ref);
	if (store_auth_add(srv->store, op, &err) != 0) {
		errors_internal(req, &err);
		return;
	}
	if (issue(req, JWT_OPERATION, op, srv->cfg.auth_token_ttl_ms, NULL,
		  &token, &valid_until) != 0)
		return;
	http_reply_json(req, 202, json_pack("{s:s,s:o}", "referenceNumber",
		op->ref, "authenticationToken", token_info(token, valid_until)));
}

/*
 * Decide a KSeF-token authentication (SPEC 6.4): decrypt, split on the
 * last '|', compare the timestamp with the challenge's, look the token
 * up, check its status and context. Fills op's status and, on success,
 * its subject and permissions.
 */
static void decide_token(struct server *srv, store_auth *op,
			 const server_key *key, const ksef_buf *cipher,
			 int64_t challenge_ms)
{
	ksef_buf plain = KSEF_BUF_INIT;
	char hash[KSEF_SHA256_B64_LEN + 1], ts[24], held[STORE_PERMS_SZ];
	const char *p, *bar = NULL;
	store_token tok;
	size_t i;

	op->status = 450;
	snprintf(op->status_details, sizeof(op->status_details),
		 "[\"Nieprawidłowy token\"]");
	if (ksef_rsa_oaep_decrypt(&plain, key->priv, cipher->ptr, cipher->size,
				  NULL) != 0)
		goto done;
	p = (const char *)plain.ptr;
	for (i = 0; i < plain.size; i++)
		if (p[i] == '|')
			bar = p + i;
	if (bar == NULL)
		goto done;
	snprintf(ts, sizeof(ts), "%lld", (long long)challenge_ms);
	if ((size_t)(plain.size - (size_t)(bar + 1 - p)) != strlen(ts) ||
	    memcmp(bar + 1, ts, strlen(ts)) != 0) {
		snprintf(op->status_details, sizeof(op->status_details),
			 "[\"Nieprawidłowy czas tokena\"]");
		goto done;
	}
	if (ksef_sha256_base64(hash, plain.ptr, (size_t)(bar - p), NULL) != 0 ||
	    store_token_find(srv->store, hash, &tok, NULL) != 0)
		goto done;
	snprintf(op->token_ref, sizeof(op->token_ref), "%s", tok.ref);
	if (strcmp(tok.status, "Revoked") == 0 ||
	    strcmp(tok.status, "Revoking") == 0) {
		snprintf(op->status_details, sizeof(op->status_details),
			 "[\"Token unieważniony\"]");
		goto done;
	}
	if (strcmp(tok.status, "Active") != 0) {
		snprintf(op->status_details, sizeof(op->status_details),
			 "[\"Token nieaktywny\"]");
		goto done;
	}
	/* Test data: a token is its author's means of authentication, so a
	 * deceased author's is 470; a blocked context is 480. */
	snprintf(op->subject_type, sizeof(op->subject_type), "%s",
		 tok.author_type);
	snprintf(op->subject_value, sizeof(op->subject_value), "%s",
		 tok.author_value);
	if (testdata_auth_refused(srv, op))
		goto done;
	/* The token works only in the context it was made for. */
	if (strcasecmp(tok.ctx_type, op->ctx_type) != 0 ||
	    strcmp(tok.ctx_value, op->ctx_value) != 0 ||
	    tok.permissions[0] == '\0') {
		op->status = 415;
		snprintf(op->status_details, sizeof(op->status_details),
			 "[\"Brak przypisanych uprawnień\"]");
		goto done;
	}
	/* permissions: a token works with what its author still holds
	 * (uwierzytelnianie.md: tokens lose what their author loses). */
	if (permissions_effective(srv, op->ctx_type, op->ctx_value,
				  tok.author_type, tok.author_value, held,
				  NULL) != 0) {
		op->status = 500;
		snprintf(op->status_details, sizeof(op->status_details),
			 "[\"Nieznany błąd\"]");
		goto done;
	}
	permissions_intersect(op->permissions, sizeof(op->permissions),
			      tok.permissions, held);
	if (op->permissions[0] == '\0') {
		op->status = 415;
		snprintf(op->status_details, sizeof(op->status_details),
			 "[\"Brak przypisanych uprawnień\"]");
		goto done;
	}
	op->status = 200;
	op->status_details[0] = '\0';
	snprintf(op->subject_type, sizeof(op->subject_type), "%s",
		 tok.author_type);
	snprintf(op->subject_value, sizeof(op->subject_value), "%s",
		 tok.author_value);
	(void)store_token_touch(srv->store, tok.ref, server_now_ms(), NULL);
done:
	ksef_buf_dispose_secure(&plain);
}

void api_auth_ksef_token(struct request *req)
{
	struct server *srv = req->srv;
	int64_t now = server_now_ms(), challenge_ms;
	const char *challenge, *enc, *key_id;
	json_t *body, *ctx, *policy;
	ksef_buf cipher = KSEF_BUF_INIT;
	struct ring_key *rk;
	struct context_id cid;
	store_auth op;
	ksef_error err;
	int failed = 0;

	if ((body = api_body_object(req)) == NULL)
		return;
	challenge = api_string(req, body, "", "challenge", 36, 36, 1, &failed);
	ctx = json_object_get(body, "contextIdentifier");
	if (!failed && !json_is_object(ctx)) {
		failed = 1;
		errors_reply(req, 400, 21405,
			"Pole 'contextIdentifier' jest wymagane.");
	}
	if (!failed && context_from_json(req, ctx, &cid) != 0)
		failed = 1;
	enc = api_string(req, body, "", "encryptedToken", 4, 2048, 1, &failed);
	key_id = api_string(req, body, "", "publicKeyId", 44, 44, 0, &failed);
	policy = json_object_get(body, "authorizationPolicy");
	if (!failed && policy != NULL && !json_is_null(policy) &&
	    context_check_policy(req, policy) != 0)
		failed = 1;
	if (failed)
		goto out;
	if (ksef_base64_decode(&cipher, enc, strlen(enc), 1024, &err) != 0) {
		errors_reply(req, 400, 21405,
			"Pole 'encryptedToken' nie jest poprawnym Base64: %s",
			err.message);
		goto out;
	}
	if ((rk = api_server_key(req, KEY_USAGE_TOKEN, key_id)) == NULL)
		goto out;
	if (store_challenge_take(srv->store, challenge, &challenge_ms,
				 NULL) != 0 ||
	    now - challenge_ms > srv->cfg.challenge_ttl_ms) {
		keyring_unlock(srv);
		errors_reply(req, 400, 21111,
			"Wyzwanie autoryzacyjne %s jest nieznane, wygasło lub "
			"zostało już wykorzystane.", challenge);
		goto out;
	}
	memset(&op, 0, sizeof(op));
	if (ksef_refnum_generate(op.ref, KSEF_REFNUM_AUTH,
				 ksef_time_warsaw(now), &err) != 0) {
		keyring_unlock(srv);
		errors_internal(req, &err);
		goto out;
	}
	snprintf(op.ctx_type, sizeof(op.ctx_type), "%s", cid.type);
	snprintf(op.ctx_value, sizeof(op.ctx_value), "%s", cid.value);
	snprintf(op.method, sizeof(op.method), "Token");
	snprintf(op.subject_type, sizeof(op.subject_type), "Token");
	op.start_ms = now;
	/* A policy that cannot be kept must not be dropped: the tokens
	 * would then work from any address. */
	if (policy != NULL && !json_is_null(policy) &&
	    context_policy_text(op.allowed_ips, sizeof(op.allowed_ips),
				policy) != 0) {
		keyring_unlock(srv);
		errors_reply(req, 500, 21405, "Nie można zapisać pola "
			"'authorizationPolicy'.");
		goto out;
	}
	decide_token(srv, &op, rk->key, &cipher, challenge_ms);
	keyring_unlock(srv);
	started(req, &op);
out:
	ksef_buf_dispose(&cipher);
	json_decref(body);
}

static void method_info(json_t *o, const store_auth *op)
{
	const char *category = "XadesSignature", *code, *name;

	if (strcmp(op->method, "Token") == 0) {
		category = "Token";
		code = "token.ksef";
		name = "Token KSeF";
	} else if (strcmp(op->method, "InternalCertificate") == 0) {
		/* No code is documented for it: ours (docs/certificates.md). */
		code = "xades.internal-certificate";
		name = "Certyfikat KSeF";
	} else if (strcmp(op->method, "QualifiedSeal") == 0) {
		code = "xades.qualified-seal";         /* the OpenAPI example */
		name = "Pieczęć kwalifikowana";
	} else {
		code = "xades.qualified-signature";
		name = "Podpis kwalifikowany";
	}
	json_object_set_new(o, "authenticationMethod", json_string(op->method));
	json_object_set_new(o, "authenticationMethodInfo", json_pack(
		"{s:s,s:s,s:s}", "category", category, "code", code,
		"displayName", name));
}

static json_t *auth_json(const store_auth *op)
{
	json_t *o = json_object();

	json_object_set_new(o, "startDate", api_time(op->start_ms));
	method_info(o, op);
	json_object_set_new(o, "status", api_status_info(op->status,
		auth_status_description(op->status), op->status_details));
	json_object_set_new(o, "isTokenRedeemed", json_boolean(op->redeemed));
	if (op->last_refresh_ms)
		json_object_set_new(o, "lastTokenRefreshDate",
				    api_time(op->last_refresh_ms));
	if (op->refresh_valid_until_ms)
		json_object_set_new(o, "refreshTokenValidUntil",
				    api_time(op->refresh_valid_until_ms));
	return o;
}

/* The operation the request's token belongs to; answers 21304 if gone. */
static int load_op(struct request *req, const char *ref, store_auth *op)
{
	ksef_error err;
	int rc = store_auth_get(req->srv->store, ref, op, &err);

	if (api_store_failed(req, rc, &err))
		return -1;
	if (rc != 0) {
		errors_reply(req, 400, 21304, "Operacja uwierzytelniania o "
			"numerze referencyjnym %s nie została znaleziona.", ref);
		return -1;
	}
	request_log_ref(req, ref);
	return 0;
}

void api_auth_status(struct request *req)
{
	const char *ref = req->params[0];
	store_auth op;

	if (api_param_refnum(req, 0) != 0)
		return;
	/* An operation token answers for its own operation only. */
	if (strcmp(ref, req->claims.reference) != 0 ||
	    load_op(req, ref, &op) != 0) {
		if (!req->responded)
			errors_reply(req, 400, 21304, "Operacja "
				"uwierzytelniania o numerze referencyjnym %s "
				"nie została znaleziona.", ref);
		return;
	}
	if (server_now_ms() - op.start_ms > req->srv->cfg.auth_retention_ms) {
		errors_gone(req, "Dane operacji uwierzytelniania nie są już "
			    "dostępne.");
		return;
	}
	if (processing_auth_pending(req->srv->processing, &op,
				    server_now_ms(), 1)) {
		op.status = 100;
		op.status_details[0] = '\0';
	}
	http_reply_json(req, 200, auth_json(&op));
}

/* A KSeF token used to authenticate must still be valid for redeem and
 * refresh (21301 "Token KSeF został unieważniony."). */
static int token_still_valid(struct request *req, const store_auth *op,
			     store_token *tok)
{
	ksef_error err;
	int rc;

	if (op->token_ref[0] == '\0')
		return 1;
	rc = store_token_get(req->srv->store, op->token_ref, tok, &err);
	if (api_store_failed(req, rc, &err))
		return 0;
	if (rc != 0 || strcmp(tok->status, "Active") != 0) {
		errors_reply(req, 400, 21301, "Token KSeF został unieważniony.");
		return 0;
	}
	return 1;
}

/* Test data: the tokens of a person who has since become a deceased one
 * are neither redeemed nor refreshed (21308, the 400 tables of both). */
static int alive(struct request *req, const store_auth *op)
{
	if (!testdata_deceased(req->srv, op->subject_type, op->subject_value))
		return 1;
	errors_reply(req, 400, 21308, "Podmiot %s %s jest osobą zmarłą.",
		     op->subject_type, op->subject_value);
	return 0;
}

void api_auth_redeem(struct request *req)
{
	struct server *srv = req->srv;
	int64_t access_until, refresh_until;
	char *access = NULL, *refresh = NULL;
	store_token tok;
	store_auth op;
	ksef_error err;
	store_result rc;

	if (load_op(req, req->claims.reference, &op) != 0)
		return;
	if (op.redeemed) {
		errors_reply(req, 400, 21301, "Tokeny dla operacji "
			"uwierzytelniania %s zostały już pobrane.", op.ref);
		return;
	}
	/* What the status call shows is what redeem goes by: 100 while the
	 * operation seems in progress. */
	if (processing_auth_pending(srv->processing, &op, server_now_ms(), 0))
		op.status = 100;
	if (op.status != 200) {
		errors_reply(req, 400, 21301, "Status uwierzytelniania (%d) nie "
			"pozwala na pobranie tokenów.", op.status);
		return;
	}
	if (!token_still_valid(req, &op, &tok) || !alive(req, &op))
		return;
	if (issue(req, JWT_ACCESS, &op, srv->cfg.access_ttl_ms,
		  op.permissions, &access, &access_until) != 0)
		return;
	if (issue(req, JWT_REFRESH, &op, srv->cfg.refresh_ttl_ms, NULL,
		  &refresh, &refresh_until) != 0) {
		free(access);
		return;
	}
	/* Once only, decided by the store: two concurrent redeems cannot
	 * both win. */
	if ((rc = store_auth_redeem(srv->store, op.ref, refresh_until,
				    &err)) != STORE_OK) {
		free(access);
		free(refresh);
		if (rc == STORE_WRONG_STATE)
			errors_reply(req, 400, 21301, "Tokeny dla operacji "
				"uwierzytelniania %s zostały już pobrane.",
				op.ref);
		else
			errors_internal(req, &err);
		return;
	}
	http_reply_json(req, 200, json_pack("{s:o,s:o}",
		"accessToken", token_info(access, access_until),
		"refreshToken", token_info(refresh, refresh_until)));
}

/* permissions: what the authenticated subject holds in its context now
 * (with tok, a KSeF token's, bounded by its author's); 0, or -1 after
 * answering 500. */
static int current_permissions(struct request *req, const store_auth *op,
			       const store_token *tok,
			       char out[STORE_PERMS_SZ])
{
	char held[STORE_PERMS_SZ];
	ksef_error err;

	if (permissions_effective(req->srv, op->ctx_type,
				  op->ctx_value,
				  tok ? tok->author_type : op->subject_type,
				  tok ? tok->author_value : op->subject_value,
				  held, &err) != 0) {
		errors_internal(req, &err);
		return -1;
	}
	if (tok != NULL)
		permissions_intersect(out, STORE_PERMS_SZ, tok->permissions,
				      held);
	else
		snprintf(out, STORE_PERMS_SZ, "%s", held);
	return 0;
}

void api_auth_refresh(struct request *req)
{
	struct server *srv = req->srv;
	int64_t until;
	char *access = NULL;
	store_token tok;
	store_auth op;
	char perms[STORE_PERMS_SZ];

	if (load_op(req, req->claims.reference, &op) != 0)
		return;
	if (op.status != 200 || op.revoked || !op.redeemed) {
		errors_reply(req, 400, 21301, "Status uwierzytelniania (%d) nie "
			"pozwala na odświeżenie tokenu dostępowego.", op.status);
		return;
	}
	if (!token_still_valid(req, &op, &tok) || !alive(req, &op))
		return;
	/* permissions: a refreshed access token carries the permissions as
	 * they are now (uwierzytelnianie.md): what the subject's grants give
	 * it, and for a KSeF token what of the token's its author still
	 * holds. None left is an access token that opens nothing. */
	if (current_permissions(req, &op, op.token_ref[0] ? &tok : NULL,
				perms) != 0)
		return;
	if (issue(req, JWT_ACCESS, &op, srv->cfg.access_ttl_ms, perms, &access,
		  &until) != 0)
		return;
	(void)store_auth_refreshed(srv->store, op.ref, server_now_ms(), NULL);
	http_reply_json(req, 200, json_pack("{s:o}", "accessToken",
					    token_info(access, until)));
}

void api_auth_sessions(struct request *req)
{
	struct server *srv = req->srv;
	store_auth *ops = NULL;
	size_t limit, n = 0, i;
	int has;
	int64_t after_ms = 0;
	char after_ref[KSEF_REFNUM_BUFSZ] = "";
	json_t *items, *o;
	ksef_error err;

	if (api_page_size(req, 10, 100, 10, &limit) != 0 ||
	    api_cursor(req, &has, &after_ms, after_ref, sizeof(after_ref)) != 0)
		return;
	if (store_auth_list(srv->store, req->claims.context_type,
			    req->claims.context_value, server_now_ms(),
			    has ? after_ms : 0, has ? after_ref : NULL,
			    limit + 1, &ops, &n, &err) != 0) {
		errors_internal(req, &err);
		return;
	}
	items = json_array();
	for (i = 0; i < n && i < limit; i++) {
		o = auth_json(&ops[i]);
		json_object_set_new(o, "referenceNumber",
				    json_string(ops[i].ref));
		json_object_set_new(o, "isCurrent", json_boolean(
			strcmp(ops[i].ref, req->claims.reference) == 0));
		json_array_append_new(items, o);
	}
	o = json_object();
	api_set_continuation(o, n > limit, n > limit ? ops[limit - 1].start_ms : 0,
			     n > limit ? ops[limit - 1].ref : "");
	json_object_set_new(o, "items", items);
	free(ops);
	http_reply_json(req, 200, o);
}

/* The only 400 code the contract gives DELETE /auth/sessions/... is
 * 21405: an unknown session, or another context's, is that, with its own
 * detail (21304 belongs to GET /auth/{referenceNumber}). */
static void revoke(struct request *req, const char *ref)
{
	store_auth op;
	ksef_error err;
	int rc = store_auth_get(req->srv->store, ref, &op, &err);

	if (api_store_failed(req, rc, &err))
		return;
	if (rc != 0 || strcmp(op.ctx_type, req->claims.context_type) != 0 ||
	    strcmp(op.ctx_value, req->claims.context_value) != 0) {
		errors_reply(req, 400, 21405, "Sesja uwierzytelniania o numerze "
			"referencyjnym %s nie została znaleziona.", ref);
		return;
	}
	request_log_ref(req, ref);
	if (store_auth_revoke(req->srv->store, ref, &err) != 0) {
		errors_internal(req, &err);
		return;
	}
	http_reply_empty(req, 204);
}

void api_auth_revoke_current(struct request *req)
{
	revoke(req, req->claims.reference);
}

void api_auth_revoke(struct request *req)
{
	if (api_param_refnum(req, 0) != 0)
		return;
	revoke(req, req->params[0]);
}

/*
 * Who the signer is, as KSeF identifies it (SPEC 4.4): for
 * certificateSubject the NIP (VATPL-/TINPL-) or PESEL (PNOPL-) the
 * certificate carries, for certificateFingerprint its SHA-256. Returns 0,
 * or -1 when the certificate carries no identifier of the asked kind.
 */
static int xades_subject(const ksef_xades_verified *v, store_auth *op)
{
	const char *nip = ksef_xades_verified_cert_nip(v),
		   *pesel = ksef_xades_verified_cert_pesel(v);

	if (ksef_xades_verified_subject_type(v) ==
	    KSEF_XADES_SUBJECT_FINGERPRINT) {
		snprintf(op->subject_type, sizeof(op->subject_type),
			 "Fingerprint");
		snprintf(op->subject_value, sizeof(op->subject_value), "%s",
			 ksef_xades_verified_cert_fingerprint(v));
		return 0;
	}
	if (nip != NULL) {
		snprintf(op->subject_type, sizeof(op->subject_type), "Nip");
		snprintf(op->subject_value, sizeof(op->subject_value), "%s", nip);
		return 0;
	}
	if (pesel != NULL) {
		snprintf(op->subject_type, sizeof(op->subject_type), "Pesel");
		snprintf(op->subject_value, sizeof(op->subject_value), "%s",
			 pesel);
		return 0;
	}
	return -1;
}

/* The documented detail of status 460 for a trust verdict (open-api.json,
 * GET /auth/{referenceNumber}): a revoked certificate, one on hold, and a
 * chain whose revocation cannot be decided each have their own. */
static const char *trust_detail(trust_verdict tv)
{
	switch (tv) {
	case TRUST_REVOKED:
		return "Certyfikat odwołany";
	case TRUST_SUSPENDED:
		return "Certyfikat zawieszony";
	case TRUST_UNDECIDED:
		return "Błąd weryfikacji łańcucha certyfikatów";
	default:
		return "Niezaufany łańcuch certyfikatów";
	}
}

/* Decide the permissions of a XAdES-authenticated subject: the owner of
 * the context has them all; anyone else what its grants give it now
 * (permissions.c). */
static void xades_decide(struct server *srv, const ksef_xades_verified *v,
			 const store_cert *own, store_auth *op)
{
	time_t now = time(NULL);
	char perms[STORE_PERMS_SZ];
	size_t der_len = 0;
	const unsigned char *der = ksef_xades_verified_cert_der(v, &der_len);
	char why[512];
	trust_verdict tv;

	op->status = 200;
	if ((int64_t)now * 1000 < ksef_xades_verified_cert_not_before(v) ||
	    (int64_t)now * 1000 > ksef_xades_verified_cert_not_after(v)) {
		op->status = 460;
		snprintf(op->status_details, sizeof(op->status_details),
			 "[\"Nieważny certyfikat\"]");
		return;
	}
	/* A KSeF certificate of ksefd's own CA (api_certificates.c) is
	 * trusted in every profile, as its issuer is the environment
	 * itself, unless it was revoked; and only the Authentication type
	 * authenticates (certyfikaty-KSeF.md: Offline "Nie umożliwia
	 * uwierzytelnienia"). */
	if (own != NULL && own->revoked_ms != 0) {
		op->status = 460;
		snprintf(op->status_details, sizeof(op->status_details),
			 "[\"Certyfikat odwołany\"]");
		return;
	}
	if (own != NULL && own->type != STORE_CERT_AUTHENTICATION) {
		op->status = 460;
		snprintf(op->status_details, sizeof(op->status_details),
			 "[\"Niepoprawny certyfikat\"]");
		return;
	}
	/* The TEST environment accepts self-signed certificates. With a
	 * trust store, the certificate must chain to one of its CAs. The
	 * production profile without one can chain nothing, so it refuses
	 * every certificate: refusing only self-signed ones let anybody's own
	 * root issue a VATPL-<victim> seal and own the victim's context. */
	if (own == NULL && srv->trust == NULL && srv->cfg.production) {
		op->status = 460;
		snprintf(op->status_details, sizeof(op->status_details),
			 "[\"Niezaufany łańcuch certyfikatów\"]");
		return;
	}
	if (own == NULL && srv->trust != NULL &&
	    (tv = trust_check(srv->trust, der, der_len, why,
			      sizeof(why))) != TRUST_OK) {
		op->status = 460;
		snprintf(op->status_details, sizeof(op->status_details),
			 "[\"%s\"]", trust_detail(tv));
		/* The detail is all the client learns; the log says which
		 * certificate and which CRL (why is printable ASCII). */
		fprintf(stderr, "ksefd: auth %s: certificate refused: %s\n",
			op->ref, why);
		return;
	}
	/* Test data: a deceased person's means (470), a blocked context
	 * (480). */
	if (testdata_auth_refused(srv, op))
		return;
	/* permissions: the owner's (the context's NIP, or a PESEL the test
	 * data links to it) and the granted, in one list. */
	if (permissions_effective(srv, op->ctx_type, op->ctx_value,
				  op->subject_type, op->subject_value, perms,
				  NULL) != 0) {
		op->status = 500;
		snprintf(op->status_details, sizeof(op->status_details),
			 "[\"Nieznany błąd\"]");
		return;
	}
	if (perms[0] != '\0') {
		snprintf(op->permissions, sizeof(op->permissions), "%s", perms);
		return;
	}
	op->status = 415;
	snprintf(op->status_details, sizeof(op->status_details),
		 "[\"Brak przypisanych uprawnień\"]");
}

static const char *const context_names[] = { "Nip", "InternalId", "NipVatUe",
					     "PeppolId" };

void api_auth_xades(struct request *req)
{
	struct server *srv = req->srv;
	ksef_xades_verify_options vo = KSEF_XADES_VERIFY_OPTIONS_INIT;
	ksef_xades_verified *v = NULL;
	store_cert *own = NULL;
	const unsigned char *cert_der;
	size_t cert_len = 0;
	int64_t now = server_now_ms(), challenge_ms;
	const char *challenge;
	store_auth op;
	ksef_error err;
	int rc;

	if (req->body.size == 0) {
		errors_reply(req, 400, 21001, "Brak dokumentu w treści żądania.");
		return;
	}
	/* Dates are judged below, so an expired certificate still gets a
	 * status that says so instead of a bare 400. */
	vo.ignore_validity = 1;
	rc = ksef_xades_verify_auth_request(&v, req->body.ptr, req->body.size,
					    &vo, &err);
	/* KSeF's own words for the failure lead, as the live system's
	 * details do; our technical reason follows for the integrator. */
	if (rc != 0) {
		int code = ksef_xades_exception_code(rc);
		const char *words = errors_description(code);

		errors_reply(req, 400, code, "%s %s", words ? words : "",
			     err.message);
		return;
	}
	challenge = ksef_xades_verified_challenge(v);
	if (store_challenge_take(srv->store, challenge, &challenge_ms, NULL) != 0 ||
	    now - challenge_ms > srv->cfg.challenge_ttl_ms) {
		errors_reply(req, 400, 21111, "Wyzwanie autoryzacyjne %s jest "
			"nieznane, wygasło lub zostało już wykorzystane.",
			challenge);
		goto out;
	}
	memset(&op, 0, sizeof(op));
	snprintf(op.ctx_type, sizeof(op.ctx_type), "%s",
		 context_names[ksef_xades_verified_context_type(v)]);
	snprintf(op.ctx_value, sizeof(op.ctx_value), "%s",
		 ksef_xades_verified_context_value(v));
	if (xades_subject(v, &op) != 0) {
		errors_reply(req, 400, 21406, "Certyfikat nie zawiera "
			"identyfikatora podmiotu (NIP w organizationIdentifier "
			"VATPL- lub serialNumber TINPL-, PESEL w serialNumber "
			"PNOPL-), a SubjectIdentifierType to certificateSubject.");
		goto out;
	}
	/* AuthorizationPolicy/AllowedIps binds the tokens as the JSON
	 * authorizationPolicy of a token login does. */
	if (ksef_xades_verified_ip_policy(v) != NULL &&
	    context_policy_from_lists(req, ksef_xades_verified_ip_policy(v),
				      op.allowed_ips,
				      sizeof(op.allowed_ips)) != 0)
		goto out;
	if (ksef_refnum_generate(op.ref, KSEF_REFNUM_AUTH, ksef_time_warsaw(now),
				 &err) != 0 ||
	    ksef_sha256_base64(op.doc_hash, req->body.ptr, req->body.size,
			       &err) != 0) {
		errors_internal(req, &err);
		goto out;
	}
	snprintf(op.method, sizeof(op.method), "%s",
		 ksef_xades_verified_cert_is_seal(v) ? "QualifiedSeal" :
						       "QualifiedSignature");
	/* A KSeF certificate carries the identity of its request: the
	 * subject that asked for it, whatever the login names. */
	if ((own = malloc(sizeof(*own))) == NULL) {
		errors_reply(req, 500, 21405, "internal error: out of memory");
		goto out;
	}
	rc = store_cert_by_fingerprint(srv->store,
		ksef_xades_verified_cert_fingerprint(v), own, &err);
	if (rc != 0 && rc != STORE_NOT_FOUND) {
		errors_internal(req, &err);
		goto out;
	}
	if (rc == STORE_NOT_FOUND) {
		free(own);
		own = NULL;
	} else {
		snprintf(op.method, sizeof(op.method), "InternalCertificate");
		snprintf(op.subject_type, sizeof(op.subject_type), "%s",
			 own->subject_type);
		snprintf(op.subject_value, sizeof(op.subject_value), "%s",
			 own->subject_value);
	}
	/* What a certificate request of this subject must carry
	 * (GET /certificates/enrollments/data). */
	cert_der = ksef_xades_verified_cert_der(v, &cert_len);
	if (certs_subject_json(op.cert_subject, sizeof(op.cert_subject),
			       cert_der, cert_len, &err) != 0)
		op.cert_subject[0] = '\0';
	op.start_ms = now;
	xades_decide(srv, v, own, &op);
	if (own != NULL && op.status == 200)
		(void)store_cert_used(srv->store, own->serial, now, NULL);
	started(req, &op);
out:
	free(own);
	ksef_xades_verified_free(v);
}
