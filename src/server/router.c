/*
 * router.c - owns dispatch: the route table (method, path under /v2,
 * handler, which bearer token, which permissions, which rate-limit group),
 * matching a path to it, and the checks every route shares, in the order
 * the API applies them: body size, bearer token (401), permissions (403),
 * rate limit (429). Handlers then see only well-formed, authorised calls.
 * It sits above everything it calls: http.c reaches router_dispatch() only
 * through the pointer main.c gives http_start().
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "api.h"
#include "context.h"
#include "ctx_limits.h"
#include "errors.h"
#include "faults.h"
#include "http.h"
#include "metrics.h"
#include "reads.h"
#include "router.h"

#define PERM_SEND "InvoiceWrite|PefInvoiceWrite|EnforcementOperations"
#define PERM_STATUS "InvoiceWrite|Introspection|PefInvoiceWrite|EnforcementOperations"
#define PERM_LIST "InvoiceWrite|Introspection|PefInvoiceWrite|EnforcementOperations"

/* Literal routes come before parameterised ones with the same shape. */
static const struct route routes[] = {
	{ "GET", "/security/public-key-certificates", api_public_keys,
	  AUTH_NONE, NULL, RATELIMIT_UNAUTHENTICATED, 0 },
	{ "POST", "/auth/challenge", api_auth_challenge, AUTH_NONE, NULL,
	  RATELIMIT_UNAUTHENTICATED, 0 },
	{ "POST", "/auth/ksef-token", api_auth_ksef_token, AUTH_NONE, NULL,
	  RATELIMIT_UNAUTHENTICATED, 0 },
	{ "POST", "/auth/xades-signature", api_auth_xades, AUTH_NONE, NULL,
	  RATELIMIT_UNAUTHENTICATED, 0 },
	{ "POST", "/auth/token/redeem", api_auth_redeem, AUTH_OPERATION, NULL,
	  RATELIMIT_UNAUTHENTICATED, 0 },
	{ "POST", "/auth/token/refresh", api_auth_refresh, AUTH_REFRESH, NULL,
	  RATELIMIT_UNAUTHENTICATED, 0 },
	{ "GET", "/auth/sessions", api_auth_sessions, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, 0 },
	{ "DELETE", "/auth/sessions/current", api_auth_revoke_current,
	  AUTH_ACCESS_OR_REFRESH, NULL, RATELIMIT_OTHER, 0 },
	{ "DELETE", "/auth/sessions/{ref}", api_auth_revoke, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, 0 },
	{ "GET", "/auth/{ref}", api_auth_status, AUTH_OPERATION, NULL,
	  RATELIMIT_UNAUTHENTICATED, 0 },

	{ "POST", "/sessions/online", api_session_open, AUTH_ACCESS, PERM_SEND,
	  RATELIMIT_ONLINE_SESSION, 0 },
	{ "POST", "/sessions/online/{ref}/invoices", api_session_send,
	  AUTH_ACCESS, PERM_SEND, RATELIMIT_INVOICE_SEND,
	  ROUTE_INVOICE_BODY | ROUTE_QUICK },
	{ "POST", "/sessions/online/{ref}/close", api_session_close,
	  AUTH_ACCESS, PERM_SEND, RATELIMIT_ONLINE_SESSION, 0 },
	{ "GET", "/sessions", api_sessions_list, AUTH_ACCESS, PERM_LIST,
	  RATELIMIT_SESSION_LIST, ROUTE_READ },
	{ "GET", "/sessions/{ref}", api_session_status, AUTH_ACCESS,
	  PERM_STATUS, RATELIMIT_SESSION_MISC, ROUTE_QUICK },
	{ "GET", "/sessions/{ref}/invoices", api_session_invoices, AUTH_ACCESS,
	  PERM_STATUS, RATELIMIT_SESSION_INVOICE_LIST, ROUTE_READ },
	{ "GET", "/sessions/{ref}/invoices/failed", api_session_invoices_failed,
	  AUTH_ACCESS, PERM_STATUS, RATELIMIT_SESSION_INVOICE_LIST, ROUTE_READ },
	{ "GET", "/sessions/{ref}/invoices/ksef/{ksef}/upo",
	  api_upo_by_ksef_number, AUTH_ACCESS, PERM_STATUS,
	  RATELIMIT_SESSION_MISC, ROUTE_READ },
	{ "GET", "/sessions/{ref}/invoices/{iref}/upo", api_upo_by_invoice_ref,
	  AUTH_ACCESS, PERM_STATUS, RATELIMIT_SESSION_MISC, ROUTE_READ },
	{ "GET", "/sessions/{ref}/invoices/{iref}", api_session_invoice,
	  AUTH_ACCESS, PERM_STATUS, RATELIMIT_INVOICE_STATUS, ROUTE_QUICK },
	{ "GET", "/sessions/{ref}/upo/{upo}", api_upo_session_page, AUTH_ACCESS,
	  PERM_STATUS, RATELIMIT_SESSION_MISC, ROUTE_READ },

	{ "GET", "/invoices/ksef/{ksef}", api_invoice_download, AUTH_ACCESS,
	  "InvoiceRead", RATELIMIT_INVOICE_DOWNLOAD, ROUTE_READ },

	{ "POST", "/tokens", api_tokens_create, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, 0 },
	{ "GET", "/tokens", api_tokens_list, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, 0 },
	{ "GET", "/tokens/{ref}", api_tokens_get, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, 0 },
	{ "DELETE", "/tokens/{ref}", api_tokens_revoke, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, 0 },

	/* Test data (api_testdata.c): no token, as in the contract; TEST
	 * only (router_find). The subject, person and attachment calls have
	 * 60 requests a second and no group, as unauthenticated calls do;
	 * the context blocks are in "other". */
	{ "POST", "/testdata/subject", api_testdata_subject, AUTH_NONE, NULL,
	  RATELIMIT_UNAUTHENTICATED, 0 },
	{ "POST", "/testdata/subject/remove", api_testdata_subject_remove,
	  AUTH_NONE, NULL, RATELIMIT_UNAUTHENTICATED, 0 },
	{ "POST", "/testdata/person", api_testdata_person, AUTH_NONE, NULL,
	  RATELIMIT_UNAUTHENTICATED, 0 },
	{ "POST", "/testdata/person/remove", api_testdata_person_remove,
	  AUTH_NONE, NULL, RATELIMIT_UNAUTHENTICATED, 0 },
	{ "POST", "/testdata/attachment", api_testdata_attachment, AUTH_NONE,
	  NULL, RATELIMIT_UNAUTHENTICATED, 0 },
	{ "POST", "/testdata/attachment/revoke",
	  api_testdata_attachment_revoke, AUTH_NONE, NULL,
	  RATELIMIT_UNAUTHENTICATED, 0 },
	{ "POST", "/testdata/context/block", api_testdata_context_block,
	  AUTH_NONE, NULL, RATELIMIT_OTHER, 0 },
	{ "POST", "/testdata/context/unblock", api_testdata_context_unblock,
	  AUTH_NONE, NULL, RATELIMIT_OTHER, 0 },
	/* Limits (limity/limity.md, limity-api.md; api_limits.c): any
	 * access token of the context, group "other"; the test data only on
	 * the TEST profile. */
	{ "GET", "/limits/context", api_limits_context, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, ROUTE_QUICK },
	{ "GET", "/limits/subject", api_limits_subject, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, ROUTE_QUICK },
	{ "GET", "/rate-limits", api_rate_limits, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, ROUTE_QUICK },
	{ "POST", "/testdata/limits/context/session",
	  api_testdata_session_limits_set, AUTH_ACCESS, NULL, RATELIMIT_OTHER,
	  ROUTE_TEST_ONLY },
	{ "DELETE", "/testdata/limits/context/session",
	  api_testdata_session_limits_reset, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, ROUTE_TEST_ONLY },
	{ "POST", "/testdata/limits/subject/certificate",
	  api_testdata_subject_limits_set, AUTH_ACCESS, NULL, RATELIMIT_OTHER,
	  ROUTE_TEST_ONLY },
	{ "DELETE", "/testdata/limits/subject/certificate",
	  api_testdata_subject_limits_reset, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, ROUTE_TEST_ONLY },
	{ "POST", "/testdata/rate-limits", api_testdata_rate_limits_set,
	  AUTH_ACCESS, NULL, RATELIMIT_OTHER, ROUTE_TEST_ONLY },
	{ "DELETE", "/testdata/rate-limits", api_testdata_rate_limits_reset,
	  AUTH_ACCESS, NULL, RATELIMIT_OTHER, ROUTE_TEST_ONLY },
	{ "POST", "/testdata/rate-limits/production",
	  api_testdata_rate_limits_production, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, ROUTE_TEST_ONLY },
	/* permissions (uprawnienia.md): grants, revocations, operations,
	 * queries (x-required-permissions of open-api.json), and the test
	 * data's grants (no token; TEST only, api_permissions.c). */
	{ "POST", "/permissions/persons/grants", api_perm_grant_persons,
	  AUTH_ACCESS, "CredentialsManage", RATELIMIT_OTHER, 0 },
	{ "POST", "/permissions/entities/grants", api_perm_grant_entities,
	  AUTH_ACCESS, "CredentialsManage", RATELIMIT_OTHER, 0 },
	{ "POST", "/permissions/authorizations/grants",
	  api_perm_grant_authorizations, AUTH_ACCESS, "CredentialsManage",
	  RATELIMIT_OTHER, 0 },
	{ "POST", "/permissions/indirect/grants", api_perm_grant_indirect,
	  AUTH_ACCESS, "CredentialsManage", RATELIMIT_OTHER, 0 },
	{ "POST", "/permissions/subunits/grants", api_perm_grant_subunits,
	  AUTH_ACCESS, "SubunitManage", RATELIMIT_OTHER, 0 },
	{ "POST", "/permissions/eu-entities/administration/grants",
	  api_perm_grant_eu_admin, AUTH_ACCESS, "CredentialsManage",
	  RATELIMIT_OTHER, 0 },
	{ "POST", "/permissions/eu-entities/grants", api_perm_grant_eu_rep,
	  AUTH_ACCESS, "VatUeManage", RATELIMIT_OTHER, 0 },
	{ "DELETE", "/permissions/common/grants/{id}", api_perm_revoke_common,
	  AUTH_ACCESS, "CredentialsManage|VatUeManage|SubunitManage",
	  RATELIMIT_OTHER, 0 },
	{ "DELETE", "/permissions/authorizations/grants/{id}",
	  api_perm_revoke_authorization, AUTH_ACCESS, "CredentialsManage",
	  RATELIMIT_OTHER, 0 },
	{ "GET", "/permissions/operations/{ref}", api_perm_operation,
	  AUTH_ACCESS, NULL, RATELIMIT_OTHER, ROUTE_QUICK },
	{ "GET", "/permissions/attachments/status",
	  api_perm_attachments_status, AUTH_ACCESS,
	  "CredentialsManage|CredentialsRead", RATELIMIT_OTHER, ROUTE_QUICK },
	{ "POST", "/permissions/query/personal/grants",
	  api_perm_query_personal, AUTH_ACCESS, NULL, RATELIMIT_OTHER,
	  ROUTE_QUICK },
	{ "POST", "/permissions/query/persons/grants", api_perm_query_persons,
	  AUTH_ACCESS, "CredentialsManage|CredentialsRead|SubunitManage",
	  RATELIMIT_OTHER, ROUTE_QUICK },
	{ "POST", "/permissions/query/subunits/grants",
	  api_perm_query_subunits, AUTH_ACCESS,
	  "CredentialsManage|CredentialsRead|SubunitManage", RATELIMIT_OTHER,
	  ROUTE_QUICK },
	{ "POST", "/permissions/query/entities/grants",
	  api_perm_query_entities, AUTH_ACCESS,
	  "CredentialsManage|CredentialsRead", RATELIMIT_OTHER, ROUTE_QUICK },
	{ "GET", "/permissions/query/entities/roles",
	  api_perm_query_entity_roles, AUTH_ACCESS,
	  "CredentialsManage|CredentialsRead", RATELIMIT_OTHER, ROUTE_QUICK },
	{ "POST", "/permissions/query/subordinate-entities/roles",
	  api_perm_query_subordinates, AUTH_ACCESS,
	  "CredentialsManage|CredentialsRead|SubunitManage", RATELIMIT_OTHER,
	  ROUTE_QUICK },
	{ "POST", "/permissions/query/authorizations/grants",
	  api_perm_query_authorizations, AUTH_ACCESS,
	  "CredentialsManage|CredentialsRead|PefInvoiceWrite", RATELIMIT_OTHER,
	  ROUTE_QUICK },
	{ "POST", "/permissions/query/eu-entities/grants", api_perm_query_eu,
	  AUTH_ACCESS, "CredentialsManage|CredentialsRead|VatUeManage",
	  RATELIMIT_OTHER, ROUTE_QUICK },
	{ "POST", "/testdata/permissions", api_testdata_permissions, AUTH_NONE,
	  NULL, RATELIMIT_UNAUTHENTICATED, 0 },
	{ "POST", "/testdata/permissions/revoke",
	  api_testdata_permissions_revoke, AUTH_NONE, NULL,
	  RATELIMIT_UNAUTHENTICATED, 0 },
	/* batch sessions (sesja-wsadowa.md; api_batch.c): opening and
	 * closing; the parts go to /storage links, the status and UPOs to
	 * the routes of every session above. */
	{ "POST", "/sessions/batch", api_batch_open, AUTH_ACCESS,
	  "InvoiceWrite|EnforcementOperations", RATELIMIT_BATCH_SESSION, 0 },
	{ "POST", "/sessions/batch/{ref}/close", api_batch_close, AUTH_ACCESS,
	  "InvoiceWrite|EnforcementOperations", RATELIMIT_BATCH_SESSION, 0 },

	/* KSeF certificates (certyfikaty-KSeF.md; api_certificates.c): any
	 * access token, for the authenticated subject; group "other". */
	{ "GET", "/certificates/limits", api_certs_limits, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, 0 },
	{ "GET", "/certificates/enrollments/data", api_certs_enrollment_data,
	  AUTH_ACCESS, NULL, RATELIMIT_OTHER, 0 },
	{ "POST", "/certificates/enrollments", api_certs_enroll, AUTH_ACCESS,
	  NULL, RATELIMIT_OTHER, 0 },
	{ "GET", "/certificates/enrollments/{ref}",
	  api_certs_enrollment_status, AUTH_ACCESS, NULL, RATELIMIT_OTHER, 0 },
	{ "POST", "/certificates/retrieve", api_certs_retrieve, AUTH_ACCESS,
	  NULL, RATELIMIT_OTHER, 0 },
	{ "POST", "/certificates/query", api_certs_query, AUTH_ACCESS, NULL,
	  RATELIMIT_OTHER, 0 },
	{ "POST", "/certificates/{serial}/revoke", api_certs_revoke,
	  AUTH_ACCESS, NULL, RATELIMIT_OTHER, 0 },
	/* Peppol providers (api_peppol.c): public, 60 a second per IP. */
	{ "GET", "/peppol/query", api_peppol_query, AUTH_NONE, NULL,
	  RATELIMIT_UNAUTHENTICATED, ROUTE_QUICK },

	/* invoice retrieval (api_retrieval.c, api_exports.c) */
	{ "POST", "/invoices/query/metadata", api_invoices_query_metadata,
	  AUTH_ACCESS, "InvoiceRead", RATELIMIT_INVOICE_METADATA, ROUTE_READ },
	{ "POST", "/invoices/exports", api_invoices_export, AUTH_ACCESS,
	  "InvoiceRead", RATELIMIT_INVOICE_EXPORT, 0 },
	{ "GET", "/invoices/exports/{ref}", api_invoices_export_status,
	  AUTH_ACCESS, "InvoiceRead", RATELIMIT_INVOICE_EXPORT_STATUS, 0 },
};

#define API_PREFIX "/v2"
#define STORAGE_PREFIX "/storage"

/* KOD I (kody-qr.md 1; api_qr.c): the path of a verification link under
 * ksefd's own root, as qr-test.ksef.mf.gov.pl serves it beside the API.
 * Public, so no token; limited per client IP as unauthenticated calls
 * are. Outside the contract, so not in routes[]. */
#define QR_PREFIX "/invoice/"
static const struct route qr_routes[] = {
	{ "GET", "/invoice/{nip}/{date}/{hash}", api_qr_invoice, AUTH_NONE,
	  NULL, RATELIMIT_UNAUTHENTICATED, ROUTE_READ },
	/* KOD II (kody-qr.md 2; api_qr.c): six parts, a signature longer
	 * than a parameter may be, so the handler reads the whole path. */
	{ "GET", "/certificate/{type}/{value}/{nip}/{serial}/{hash}/{sig}",
	  api_qr_certificate, AUTH_NONE, NULL, RATELIMIT_UNAUTHENTICATED,
	  ROUTE_READ },
};
#define QR_CERT_PREFIX "/certificate/"

/* Pre-signed links live outside the API, as KSeF's storage links do: no
 * bearer token, no rate limit (SPEC 2.5); the link's signature is the
 * credential (presign.c). */
static const struct route storage_routes[] = {
	{ "GET", "/upo-certificate.pem", api_storage_certificate,
	  AUTH_STORAGE, NULL, RATELIMIT_GROUP_COUNT, 0 },
	/* an invoice export's parts (api_exports.c) */
	{ "GET", "/{ref}/invoice-part/{file}", api_export_part, AUTH_STORAGE,
	  NULL, RATELIMIT_GROUP_COUNT, ROUTE_READ },
	{ "GET", "/{session}/{kind}/{file}", api_storage, AUTH_STORAGE, NULL,
	  RATELIMIT_GROUP_COUNT, ROUTE_READ },
	/* batch sessions: a part of a package, put to the link the
	 * session's opening gave (api_batch.c). */
	{ "PUT", "/{session}/batch-parts/{part}", api_batch_part_put,
	  AUTH_STORAGE, NULL, RATELIMIT_GROUP_COUNT, ROUTE_UPLOAD },
};

/* Service routes (api_health.c): what an orchestrator or a monitor asks
 * of ksefd itself, outside /v2 and outside the contract (open-api.json
 * has no such path; router_contract_test holds that). No token, no rate
 * limit, no fault of a plan and no read gate: a probe must see the
 * server, not a limit or a fault meant for clients (docs/ksefd.md). Only
 * liveness is quick: readiness may wait for a write, and the metrics
 * read the store's fault counts. */
#define HEALTH_PREFIX "/health/"
#define METRICS_PATH "/metrics"
static const struct route service_routes[] = {
	{ "GET", "/health/live", api_health_live, AUTH_NONE, NULL,
	  RATELIMIT_GROUP_COUNT, ROUTE_SERVICE | ROUTE_QUICK },
	{ "GET", "/health/ready", api_health_ready, AUTH_NONE, NULL,
	  RATELIMIT_GROUP_COUNT, ROUTE_SERVICE },
	{ "GET", METRICS_PATH, api_metrics, AUTH_NONE, NULL,
	  RATELIMIT_GROUP_COUNT, ROUTE_SERVICE },
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Every table, in the order of the route ids (1 on), with the prefix a
 * path has before its pattern. */
static const struct {
	const char *prefix;
	const struct route *t;
	size_t n;
} tables[] = {
	{ API_PREFIX, routes, COUNT_OF(routes) },
	{ STORAGE_PREFIX, storage_routes, COUNT_OF(storage_routes) },
	{ "", qr_routes, COUNT_OF(qr_routes) },
	{ "", service_routes, COUNT_OF(service_routes) },
};

unsigned router_route_count(void)
{
	size_t i, n = 0;

	for (i = 0; i < COUNT_OF(tables); i++)
		n += tables[i].n;
	return (unsigned)n;
}

int router_route_name(unsigned id, const char **method, const char **prefix,
		      const char **pattern)
{
	size_t i, k = id;

	if (id == 0)
		return -1;
	for (i = 0, k--; i < COUNT_OF(tables); k -= tables[i].n, i++) {
		if (k < tables[i].n) {
			*method = tables[i].t[k].method;
			*prefix = tables[i].prefix;
			*pattern = tables[i].t[k].pattern;
			return 0;
		}
	}
	return -1;
}

/* Record r as req's route (router_find's success). */
static unsigned found(struct request *req, const struct route *r,
		      const struct route **out)
{
	size_t i, base = 1;

	for (i = 0; i < COUNT_OF(tables); base += tables[i].n, i++) {
		if (r >= tables[i].t && r < tables[i].t + tables[i].n) {
			req->route_id = (unsigned)(base +
						   (size_t)(r - tables[i].t));
			req->route_prefix = tables[i].prefix;
			req->route_pattern = r->pattern;
			break;
		}
	}
	*out = r;
	return 0;
}

/*
 * Match path (under /v2) against a pattern, capturing parameters.
 * Returns 1 on a match. Parameters are bounded by the request's fields;
 * an over-long segment simply does not match.
 */
static int match(const char *pattern, const char *path, struct request *req)
{
	size_t np = 0;

	while (*pattern != '\0' && *path != '\0') {
		const char *pe, *se;
		size_t plen, slen;

		if (*pattern != '/' || *path != '/')
			return 0;
		pattern++;
		path++;
		pe = strchr(pattern, '/');
		se = strchr(path, '/');
		plen = pe ? (size_t)(pe - pattern) : strlen(pattern);
		slen = se ? (size_t)(se - path) : strlen(path);
		if (plen > 0 && pattern[0] == '{') {
			if (slen == 0 || slen >= sizeof(req->params[0]) ||
			    np >= REQUEST_MAX_PARAMS)
				return 0;
			memcpy(req->params[np], path, slen);
			req->params[np][slen] = '\0';
			np++;
		} else if (plen != slen || memcmp(pattern, path, slen) != 0) {
			return 0;
		}
		pattern += plen;
		path += slen;
	}
	if (*pattern != '\0' || *path != '\0')
		return 0;
	req->nparams = np;
	return 1;
}

/* The request's bearer token into req->claims: 0, or -1 with the 401's
 * detail (NULL: the default one) in *why. Answers nothing. */
static int read_bearer(struct request *req, const char **why)
{
	const char *h = req->authorization;
	ksef_error err;

	*why = NULL;
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return -1;
	h += 7;
	while (*h == ' ')
		h++;
	if (jwt_cache_verify(req->srv->jwt_cache, &req->claims,
			     req->srv->jwt_secret,
			     sizeof(req->srv->jwt_secret), h, strlen(h),
			     server_now_ms(), &err) != 0) {
		*why = err.code == JWT_EEXPIRED ? "Token wygasł." :
			"Nieprawidłowy token.";
		return -1;
	}
	return 0;
}

static int check_bearer(struct request *req, enum auth_kind kind)
{
	const char *why;
	int ok;

	if (read_bearer(req, &why) != 0) {
		errors_unauthorized(req, why);
		return -1;
	}
	switch (kind) {
	case AUTH_OPERATION: ok = req->claims.kind == JWT_OPERATION; break;
	case AUTH_REFRESH: ok = req->claims.kind == JWT_REFRESH; break;
	case AUTH_ACCESS: ok = req->claims.kind == JWT_ACCESS; break;
	case AUTH_ACCESS_OR_REFRESH:
		ok = req->claims.kind == JWT_ACCESS ||
		     req->claims.kind == JWT_REFRESH;
		break;
	default: ok = 0;
	}
	if (!ok) {
		errors_unauthorized(req, "Ten rodzaj tokenu nie uprawnia do "
				    "tej operacji.");
		return -1;
	}
	req->authed = 1;
	return 0;
}

/*
 * An access token may be bound to the client IPs its authentication named
 * (authorizationPolicy, SPEC 2.4): a call from elsewhere is 403
 * ip-not-allowed. The policy lives with the authentication operation.
 */
static int check_ip(struct request *req)
{
	store_auth op;

	/* Only tokens that say they are bound cost a look-up. */
	if (req->claims.kind != JWT_ACCESS || !req->claims.ip_bound ||
	    store_auth_get(req->srv->store, req->claims.reference, &op,
			   NULL) != 0 ||
	    context_ip_allowed(op.allowed_ips, req->ip))
		return 0;
	errors_forbidden(req, "ip-not-allowed", "Żądanie z adresu IP "
		"nieobjętego polityką autoryzacji.",
		json_pack("{s:s}", "clientIp", req->ip));
	return -1;
}

static int check_permissions(struct request *req, const char *any)
{
	json_t *required = json_array(), *present = json_array();
	char buf[128], *tok, *save = NULL;
	const char *p, *e;
	int ok = 0;

	snprintf(buf, sizeof(buf), "%s", any);
	for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		json_array_append_new(required, json_string(tok));
		if (jwt_has_permission(&req->claims, tok))
			ok = 1;
	}
	if (ok) {
		json_decref(required);
		json_decref(present);
		return 0;
	}
	for (p = req->claims.permissions; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if (e > p)
			json_array_append_new(present,
				json_stringn(p, (size_t)(e - p)));
	}
	errors_forbidden(req, "missing-permissions", "Brak wymaganych "
		"uprawnień do wykonania operacji w bieżącym kontekście.",
		json_pack("{s:o,s:o}", "requiredAnyOfPermissions", required,
			  "presentPermissions", present));
	return -1;
}

/*
 * limity-api.md: requests are counted per context and client IP, per
 * group; in the group "other" (Pozostałe) each endpoint has its own
 * counter, so the endpoint is part of the key. A context with rate limits
 * of its own (the test data) is held to them whatever --rate-limits says;
 * any other to the server's profile.
 */
static int check_rate(struct request *req, const struct route *r)
{
	char key[RATELIMIT_KEY_MAX + 1], msg[RATELIMIT_MESSAGE_BUFSZ];
	ratelimit_group group = r->group;
	ratelimit_limits own;
	ratelimit_block block;
	int rc, has_own = 0;

	if (req->authed && group != RATELIMIT_UNAUTHENTICATED) {
		snprintf(key, sizeof(key), "%s:%s|%s%s%s%s%s",
			 req->claims.context_type, req->claims.context_value,
			 req->ip, group == RATELIMIT_OTHER ? "|" : "",
			 group == RATELIMIT_OTHER ? r->method : "",
			 group == RATELIMIT_OTHER ? " " : "",
			 group == RATELIMIT_OTHER ? r->pattern : "");
		has_own = ctx_limits_rate(req->srv->ctx_limits,
					  req->claims.context_type,
					  req->claims.context_value, group,
					  &own);
	} else {
		snprintf(key, sizeof(key), "%s", req->ip);
	}
	rc = has_own ? ratelimit_check_with(req->srv->rl, group, key, &own,
					    server_now_ms(), &block) :
		       ratelimit_check_ex(req->srv->rl, group, key,
					  server_now_ms(), &block);
	if (rc != 1)
		return 0;
	metrics_rate_limited(req->srv->metrics, group);
	ratelimit_message(msg, sizeof(msg), &block);
	errors_too_many(req, block.retry_after_s, msg);
	return -1;
}

/* Paths of open-api.json that a parameter of a served template would
 * match; each leaves this list when its operation is served. */
static const char *const unserved[] = {
	NULL,
};

unsigned router_find(struct request *req, const struct route **out)
{
	const char *path = req->path;
	int path_known = 0;
	size_t i;

	*out = NULL;
	req->route_id = METRICS_NO_ROUTE;
	req->route_prefix = req->route_pattern = NULL;
	if (req->body_too_big < 0)
		return 414;
	if (strncmp(path, STORAGE_PREFIX "/", strlen(STORAGE_PREFIX) + 1) == 0) {
		path += strlen(STORAGE_PREFIX);
		for (i = 0; i < sizeof(storage_routes) /
				sizeof(storage_routes[0]); i++) {
			if (!match(storage_routes[i].pattern, path, req))
				continue;
			path_known = 1;
			if (strcmp(req->method, storage_routes[i].method) != 0)
				continue;
			return found(req, &storage_routes[i], out);
		}
		return path_known ? 405 : 404;
	}
	if (strncmp(path, QR_PREFIX, strlen(QR_PREFIX)) == 0) {
		if (!match(qr_routes[0].pattern, path, req))
			return 404;
		if (strcmp(req->method, "GET") != 0)
			return 405;
		return found(req, &qr_routes[0], out);
	}
	if (strncmp(path, QR_CERT_PREFIX, strlen(QR_CERT_PREFIX)) == 0) {
		if (strcmp(req->method, "GET") != 0)
			return 405;
		return found(req, &qr_routes[1], out);
	}
	if (strncmp(path, HEALTH_PREFIX, strlen(HEALTH_PREFIX)) == 0 ||
	    strcmp(path, METRICS_PATH) == 0) {
		/* --metrics off: the path is not there at all. */
		if (req->srv != NULL && !req->srv->cfg.metrics &&
		    strcmp(path, METRICS_PATH) == 0)
			return 404;
		for (i = 0; i < COUNT_OF(service_routes); i++) {
			if (strcmp(service_routes[i].pattern, path) != 0)
				continue;
			if (strcmp(req->method, service_routes[i].method) != 0)
				return 405;
			return found(req, &service_routes[i], out);
		}
		return 404;
	}
	if (strncmp(path, API_PREFIX, strlen(API_PREFIX)) != 0 ||
	    (path[strlen(API_PREFIX)] != '/' &&
	     path[strlen(API_PREFIX)] != '\0'))
		return 404;
	path += strlen(API_PREFIX);
	/* A path of the contract ksefd does not serve yet is unknown, even
	 * where a template with a parameter would take it (POST
	 * /sessions/batch is no method of /sessions/{referenceNumber}). */
	for (i = 0; i < sizeof(unserved) / sizeof(unserved[0]); i++)
		if (unserved[i] != NULL && strcmp(unserved[i], path) == 0)
			return 404;
	/* Test data: the production environment has no /testdata
	 * operations (they are the TEST environment's, "dostępny tylko na
	 * środowisku TE" in api-changelog.md), so under --profile
	 * production every one of them is an unknown path. */
	if (req->srv != NULL && req->srv->cfg.production &&
	    strncmp(path, "/testdata/", strlen("/testdata/")) == 0)
		return 404;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		/* limits: PRD has no test-data operations at all. */
		if ((routes[i].flags & ROUTE_TEST_ONLY) && req->srv != NULL &&
		    req->srv->cfg.production)
			continue;
		if (!match(routes[i].pattern, path, req))
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, req->method) == 0)
			return found(req, &routes[i], out);
	}
	return path_known ? 405 : 404;
}

void router_traits(struct request *req, struct http_traits *out)
{
	const struct route *r;

	const char *why;

	out->body_max = ROUTER_SMALL_BODY;
	out->quick = 0;
	out->refuse = 0;
	out->sink = NULL;
	if (router_find(req, &r) != 0)
		return; /* answered at once, with no body wanted */
	/* A read's checks run on the loop too; the read itself goes to
	 * the read gate (router_dispatch). Under a fault plan every route
	 * runs on a handler thread, where a rule's delay holds no event
	 * loop. */
	out->quick = (r->flags & (ROUTE_QUICK | ROUTE_READ)) != 0 &&
		     !faults_active(req->srv);
	if (r->flags & ROUTE_UPLOAD) {
		api_batch_upload_traits(req, out);
		return;
	}
	if (!(r->flags & ROUTE_INVOICE_BODY))
		return;
	/* Only a caller with a valid token may make the server hold 5 MB:
	 * without one the 401 goes out before any of the body is read. */
	if (r->auth != AUTH_NONE && read_bearer(req, &why) != 0)
		out->refuse = 1;
	else
		out->body_max = req->srv->cfg.max_body;
}

/* The checks of an API route, in the contract's order; storage routes
 * carry their credential in the link and have no more. */
static int check(struct request *req, const struct route *r)
{
	if (req->body_too_big > 0) {
		errors_reply(req, 413, 21405, "Treść żądania przekracza limit "
			"%zu bajtów.", req->body_max);
		return -1;
	}
	if (r->auth == AUTH_STORAGE || (r->flags & ROUTE_SERVICE))
		return 0;
	if (r->auth != AUTH_NONE &&
	    (check_bearer(req, r->auth) != 0 || check_ip(req) != 0))
		return -1;
	if (r->permissions != NULL && check_permissions(req, r->permissions))
		return -1;
	return check_rate(req, r);
}

void router_dispatch(struct request *req)
{
	const struct route *r;
	unsigned status = router_find(req, &r);

	if (status == 414) {
		errors_reply(req, 414, 21405, "Adres żądania jest zbyt długi.");
		return;
	}
	if (status != 0) {
		errors_no_route(req, status);
		return;
	}
	if (check(req, r) != 0)
		return;
	/* fault injection (faults.c): a rule may answer in its place;
	 * never on a service route, which reports on the server itself. */
	if (!(r->flags & ROUTE_SERVICE) &&
	    faults_dispatch(req, r->method, r->pattern))
		return;
	if ((r->flags & ROUTE_READ) && req->srv != NULL &&
	    req->srv->reads != NULL) {
		reads_submit(req->srv->reads, req, r->handler);
		return;
	}
	r->handler(req);
	/* A deferred request is another thread's now. */
	if (!http_deferred() && !req->responded)
		errors_reply(req, 500, 21405, "internal error: no reply");
}

/* fault injection: whether a plan's "METHOD ROUTE" is one of ours; a
 * storage route is named under /storage. */
int router_known(const char *method, const char *route)
{
	const struct route *t = routes;
	size_t i, n = sizeof(routes) / sizeof(routes[0]);

	if (strncmp(route, STORAGE_PREFIX "/", strlen(STORAGE_PREFIX) + 1) ==
	    0) {
		route += strlen(STORAGE_PREFIX);
		t = storage_routes;
		n = sizeof(storage_routes) / sizeof(storage_routes[0]);
	} else if (strncmp(route, QR_PREFIX, strlen(QR_PREFIX)) == 0 ||
		   strncmp(route, QR_CERT_PREFIX, strlen(QR_CERT_PREFIX)) == 0) {
		t = qr_routes;
		n = COUNT_OF(qr_routes);
	}
	for (i = 0; i < n; i++)
		if (strcmp(t[i].pattern, route) == 0 &&
		    (method == NULL || strcmp(t[i].method, method) == 0))
			return 1;
	return 0;
}
