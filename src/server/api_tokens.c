/*
 * api_tokens.c - KSeF token management (SPEC 4.23): create, list, read,
 * revoke, within the caller's context. Who sees what: CredentialsManage or
 * CredentialsRead see every token of the context; a caller authenticated
 * with a token sees that token; anyone else the tokens it authored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "api.h"
#include "errors.h"
#include "http.h"
#include "tokens.h"

static const char *const token_statuses[] = { "Pending", "Active",
	"Revoking", "Revoked", "Failed" };

static json_t *perms_array(const char *perms)
{
	json_t *a = json_array();
	const char *p, *e;

	for (p = perms; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if (e > p)
			json_array_append_new(a, json_stringn(p, (size_t)(e - p)));
	}
	return a;
}

static json_t *token_json(const store_token *t)
{
	json_t *o = json_pack("{s:s,s:{s:s,s:s},s:{s:s,s:s},s:s,s:o,s:o,s:s}",
		"referenceNumber", t->ref,
		"authorIdentifier", "type", t->author_type, "value",
		t->author_value,
		"contextIdentifier", "type", t->ctx_type, "value", t->ctx_value,
		"description", t->description,
		"requestedPermissions", perms_array(t->permissions),
		"dateCreated", api_time(t->created_ms),
		"status", t->status);

	if (t->last_use_ms)
		json_object_set_new(o, "lastUseDate", api_time(t->last_use_ms));
	return o;
}

void api_tokens_create(struct request *req)
{
	struct server *srv = req->srv;
	char perms[STORE_PERMS_SZ] = "", bad[64], token[TOKENS_MAX + 1];
	const char *desc;
	json_t *body, *arr, *v;
	store_token rec;
	store_auth op;
	ksef_error err;
	size_t i, n = 0;
	int failed = 0;

	/* tokeny-ksef.md: a KSeF token is made only after a login with an
	 * electronic signature (XAdES). Were a token login enough, a stolen
	 * 15-minute access token could mint a token that never expires. */
	if (strcmp(req->claims.auth_method, "Token") == 0) {
		errors_forbidden(req, "auth-method-not-allowed", "Ta operacja "
			"nie jest dostępna dla użytej metody uwierzytelnienia.",
			json_pack("{s:s}", "authenticationMethodCategory",
				  "Token"));
		return;
	}
	if ((body = api_body_object(req)) == NULL)
		return;
	desc = api_string(req, body, "", "description", 5, 256, 1, &failed);
	arr = json_object_get(body, "permissions");
	if (!failed && (!json_is_array(arr) || json_array_size(arr) == 0 ||
			json_array_size(arr) > 7)) {
		failed = 1;
		errors_reply(req, 400, 21405, "Pole 'permissions' musi być "
			"niepustą listą uprawnień.");
	}
	if (failed)
		goto out;
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) ||
		    n + json_string_length(v) + 2 >= sizeof(perms)) {
			errors_reply(req, 400, 21405, "Nieprawidłowe uprawnienie "
				"w polu 'permissions'.");
			goto out;
		}
		n += (size_t)snprintf(perms + n, sizeof(perms) - n, "%s%s",
				      n ? "," : "", json_string_value(v));
	}
	if (tokens_check_permissions(perms, bad, sizeof(bad)) != 0) {
		errors_reply(req, 400, 21405, "Nieznane uprawnienie '%s'.", bad);
		goto out;
	}
	if (strcmp(req->claims.context_type, "Nip") != 0 &&
	    strcmp(req->claims.context_type, "InternalId") != 0) {
		errors_reply(req, 400, 26002, "Bieżący typ kontekstu: %s; "
			"dozwolone: Nip, InternalId.", req->claims.context_type);
		goto out;
	}
	json_array_foreach(arr, i, v) {
		if (!request_has_permission(req, json_string_value(v))) {
			errors_reply(req, 400, 26001, "Brakujące uprawnienie: "
				"%s.", json_string_value(v));
			goto out;
		}
	}
	memset(&op, 0, sizeof(op));
	(void)store_auth_get(srv->store, req->claims.reference, &op, NULL);
	if (tokens_create(srv->store, req->claims.context_type,
			  req->claims.context_value, perms, desc,
			  op.subject_type[0] && strcmp(op.subject_type, "Token") ?
			  op.subject_type : "Nip",
			  op.subject_value[0] ? op.subject_value :
			  req->claims.context_value,
			  server_now_ms(), token, &rec, &err) != 0) {
		errors_internal(req, &err);
		goto out;
	}
	request_log_ref(req, rec.ref);
	http_reply_json(req, 202, json_pack("{s:s,s:s}", "referenceNumber",
					    rec.ref, "token", token));
	OPENSSL_cleanse(token, sizeof(token));
out:
	json_decref(body);
}

/* Which tokens the caller may see; fills q's author filters. Returns 1
 * when only the caller's own authentication token is visible (its ref in
 * own_ref). */
static int visibility(struct request *req, store_token_query *q,
		      store_auth *op, char *own_ref, size_t size)
{
	if (request_has_permission(req, "CredentialsManage") ||
	    request_has_permission(req, "CredentialsRead"))
		return 0;
	memset(op, 0, sizeof(*op));
	(void)store_auth_get(req->srv->store, req->claims.reference, op, NULL);
	if (op->token_ref[0]) {
		snprintf(own_ref, size, "%s", op->token_ref);
		return 1;
	}
	q->author_value = op->subject_value;
	return 0;
}

void api_tokens_list(struct request *req)
{
	store_token_query q;
	store_token *rows = NULL;
	store_auth op;
	char cref[KSEF_REFNUM_BUFSZ] = "", own[KSEF_REFNUM_BUFSZ] = "";
	const char *vals[8];
	size_t limit, n = 0, i, k, nvals;
	int has, own_only;
	json_t *arr, *o;
	ksef_error err;

	memset(&q, 0, sizeof(q));
	if (api_page_size(req, 10, 100, 10, &limit) != 0 ||
	    api_cursor(req, &has, &q.after_created_ms, cref, sizeof(cref)) != 0)
		return;
	nvals = http_query_all(req, "status", vals, 8);
	for (i = 0; i < nvals && i < 8; i++) {
		for (k = 0; k < 5 && strcmp(vals[i], token_statuses[k]); k++)
			;
		if (k == 5) {
			errors_reply(req, 400, 21405, "Nieznany status tokena "
				"'%.32s'.", vals[i]);
			return;
		}
		q.statuses |= 1u << k;
	}
	q.description = http_query(req, "description");
	q.author_value = http_query(req, "authorIdentifier");
	q.author_type = http_query(req, "authorIdentifierType");
	if ((q.description && strlen(q.description) < 3) ||
	    (q.author_value && strlen(q.author_value) < 3)) {
		errors_reply(req, 400, 21405, "Filtry 'description' i "
			"'authorIdentifier' wymagają co najmniej 3 znaków.");
		return;
	}
	own_only = visibility(req, &q, &op, own, sizeof(own));
	q.ctx_type = req->claims.context_type;
	q.ctx_value = req->claims.context_value;
	q.after_ref = cref[0] ? cref : NULL;
	q.limit = limit + 1;
	if (store_tokens_list(req->srv->store, &q, &rows, &n, &err) != 0) {
		errors_internal(req, &err);
		return;
	}
	arr = json_array();
	for (i = 0; i < n && i < limit; i++)
		if (!own_only || strcmp(rows[i].ref, own) == 0)
			json_array_append_new(arr, token_json(&rows[i]));
	o = json_object();
	api_set_continuation(o, n > limit,
			     n > limit ? rows[limit - 1].created_ms : 0,
			     n > limit ? rows[limit - 1].ref : "");
	json_object_set_new(o, "tokens", arr);
	free(rows);
	http_reply_json(req, 200, o);
}

/*
 * The token of the path if the caller may see it (or, with `manage`,
 * revoke it: CredentialsManage may revoke any token of the context, others
 * only tokens they could see without CredentialsRead). Answers 21405.
 */
static int load_token(struct request *req, store_token *t, int manage)
{
	store_token_query q;
	store_auth op;
	char own[KSEF_REFNUM_BUFSZ] = "";
	int all = request_has_permission(req, "CredentialsManage") ||
		  (!manage && request_has_permission(req, "CredentialsRead"));
	int visible;

	if (api_param_refnum(req, 0) != 0)
		return -1;
	memset(&q, 0, sizeof(q));
	memset(&op, 0, sizeof(op));
	(void)store_auth_get(req->srv->store, req->claims.reference, &op, NULL);
	snprintf(own, sizeof(own), "%s", op.token_ref);
	visible = store_token_get(req->srv->store, req->params[0], t,
				  NULL) == 0 &&
		  strcmp(t->ctx_type, req->claims.context_type) == 0 &&
		  strcmp(t->ctx_value, req->claims.context_value) == 0 &&
		  (all || (own[0] ? strcmp(t->ref, own) == 0 :
			   strcmp(t->author_value, op.subject_value) == 0));
	if (!visible) {
		errors_reply(req, 400, 21405, "Token o numerze referencyjnym %s "
			"nie istnieje.", req->params[0]);
		return -1;
	}
	return 0;
}

void api_tokens_get(struct request *req)
{
	store_token t;

	if (load_token(req, &t, 0) != 0)
		return;
	http_reply_json(req, 200, token_json(&t));
}

void api_tokens_revoke(struct request *req)
{
	store_token t;
	ksef_error err;

	if (load_token(req, &t, 1) != 0)
		return;
	if (store_token_set_status(req->srv->store, t.ref, "Revoked",
				   &err) != 0) {
		errors_internal(req, &err);
		return;
	}
	http_reply_empty(req, 204);
}
