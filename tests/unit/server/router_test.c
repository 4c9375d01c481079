/*
 * router_test.c - dispatch (router.c) on requests built by hand, with no
 * connection: the route table (methods, literal and parameterised paths,
 * /storage), unknown routes, and the checks every API route shares in the
 * contract's order: body size (413), bearer token (401), IP policy and
 * permissions (403), rate limit (429), and only then the handler.
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "ksef/number.h"
#include "api.h"
#include "ctx_limits.h"
#include "router.h"

static const unsigned char jwt_secret[32] = "router-test-secret-0123456789ab";

struct fixture {
	struct server srv;
	char *dir;
	char au[KSEF_REFNUM_BUFSZ];   /* the authentication tokens name */
	char so[KSEF_REFNUM_BUFSZ];   /* a session the store does not have */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int64_t now = server_now_ms();
	ksef_error err;

	assert_non_null(f);
	config_init(&f->srv.cfg);
	f->srv.cfg.max_body = 1000;
	memcpy(f->srv.jwt_secret, jwt_secret, sizeof(jwt_secret));
	pthread_rwlock_init(&f->srv.keyring.lock, NULL);
	f->dir = ts_mkdtemp();
	if (store_open(&f->srv.store, f->dir, &err) != 0)
		fail_msg("store_open: %s", err.message);
	assert_int_equal(ratelimit_new(&f->srv.rl, 1), 0);
	assert_int_equal(ksef_refnum_generate(f->au, KSEF_REFNUM_AUTH,
		ksef_time_warsaw(now), NULL) < 0, 0);
	assert_int_equal(ksef_refnum_generate(f->so, KSEF_REFNUM_ONLINE_SESSION,
		ksef_time_warsaw(now), NULL) < 0, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	keyring_destroy(&f->srv);
	pthread_rwlock_destroy(&f->srv.keyring.lock);
	ratelimit_free(f->srv.rl);
	store_close(f->srv.store);
	ts_rmdir(f->dir);
	free(f);
	return 0;
}

/* A request as http.c would hand it over, and the header it borrows. */
struct call {
	struct request req;
	char authorization[JWT_TOKEN_MAX + 16];
};

static struct call *call_new(struct fixture *f, const char *method,
			     const char *path, const char *bearer)
{
	struct call *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->req.srv = &f->srv;
	snprintf(c->req.method, sizeof(c->req.method), "%s", method);
	if (strlen(path) >= sizeof(c->req.path))
		c->req.body_too_big = -1;
	/* A path over the limit is cut, as http.c cuts it. */
	snprintf(c->req.path, sizeof(c->req.path), "%.*s",
		 (int)sizeof(c->req.path) - 1, path);
	strcpy(c->req.ip, "192.0.2.1");
	strcpy(c->req.trace_id, "00112233445566778899aabbccddeeff");
	if (bearer != NULL) {
		snprintf(c->authorization, sizeof(c->authorization), "%s",
			 bearer);
		c->req.authorization = c->authorization;
	}
	return c;
}

static void call_free(struct call *c)
{
	ksef_buf_dispose(&c->req.reply);
	ksef_buf_dispose(&c->req.body);
	free(c);
}

/* Dispatch and return the status; exactly one reply is always there. */
static unsigned dispatch(struct call *c)
{
	router_dispatch(&c->req);
	assert_true(c->req.responded);
	return c->req.status;
}

static json_t *body_of(const struct call *c)
{
	json_t *j = json_loadb((const char *)c->req.reply.ptr,
			       c->req.reply.size, 0, NULL);

	assert_non_null(j);
	return j;
}

/* The exceptionCode of an ExceptionResponse. */
static int exception_code(const struct call *c)
{
	json_t *j = body_of(c);
	int code = (int)json_integer_value(json_object_get(json_array_get(
		json_object_get(json_object_get(j, "exception"),
				"exceptionDetailList"), 0), "exceptionCode"));

	json_decref(j);
	return code;
}

/* A member of a Problem Details body, as a string ("" if absent). */
static void problem_member(const struct call *c, const char *name,
			   char *out, size_t size)
{
	json_t *j = body_of(c);
	const char *s = json_string_value(json_object_get(j, name));

	assert_string_equal(c->req.content_type,
			    "application/problem+json; charset=utf-8");
	snprintf(out, size, "%s", s ? s : "");
	json_decref(j);
}

/* "Bearer <token>" for a token of this kind issued now (or, with a
 * negative age, one that expired that many seconds ago). */
static void bearer(const struct fixture *f, jwt_kind kind,
		   const char *context_value, const char *perms, int ip_bound,
		   int64_t expired_s, char *out, size_t size)
{
	int64_t now = server_now_ms();
	jwt_claims c;
	char *tok = NULL;
	ksef_error err;

	assert_int_equal(jwt_claims_init(&c, kind, expired_s > 0 ?
		now - (expired_s + 60) * 1000 : now, 60, NULL), 0);
	strcpy(c.reference, f->au);
	if (kind != JWT_OPERATION) {
		strcpy(c.context_type, "Nip");
		strcpy(c.context_value, context_value);
		strcpy(c.auth_method, "Token");
	}
	if (kind == JWT_ACCESS)
		snprintf(c.permissions, sizeof(c.permissions), "%s", perms);
	c.ip_bound = ip_bound;
	if (jwt_issue(&tok, f->srv.jwt_secret, sizeof(f->srv.jwt_secret), &c,
		      &err) != 0)
		fail_msg("jwt_issue: %s", err.message);
	snprintf(out, size, "Bearer %s", tok);
	free(tok);
}

#define NIP "5265877635"
#define OTHER_NIP "7010001454"

/* ---- the route table ---- */

static void routes_are_found_by_method_and_path_with_their_checks(
	void **state)
{
	static const struct {
		const char *method, *path;
		void (*handler)(struct request *req);
		enum auth_kind auth;
		const char *permission;    /* one of those required, or NULL */
		ratelimit_group group;
	} table[] = {
		{ "GET", "/v2/security/public-key-certificates",
		  api_public_keys, AUTH_NONE, NULL,
		  RATELIMIT_UNAUTHENTICATED },
		{ "POST", "/v2/auth/challenge", api_auth_challenge, AUTH_NONE,
		  NULL, RATELIMIT_UNAUTHENTICATED },
		{ "POST", "/v2/auth/ksef-token", api_auth_ksef_token,
		  AUTH_NONE, NULL, RATELIMIT_UNAUTHENTICATED },
		{ "POST", "/v2/auth/xades-signature", api_auth_xades,
		  AUTH_NONE, NULL, RATELIMIT_UNAUTHENTICATED },
		{ "POST", "/v2/auth/token/redeem", api_auth_redeem,
		  AUTH_OPERATION, NULL, RATELIMIT_UNAUTHENTICATED },
		{ "POST", "/v2/auth/token/refresh", api_auth_refresh,
		  AUTH_REFRESH, NULL, RATELIMIT_UNAUTHENTICATED },
		{ "GET", "/v2/auth/sessions", api_auth_sessions, AUTH_ACCESS,
		  NULL, RATELIMIT_OTHER },
		{ "DELETE", "/v2/auth/sessions/current",
		  api_auth_revoke_current, AUTH_ACCESS_OR_REFRESH, NULL,
		  RATELIMIT_OTHER },
		{ "POST", "/v2/sessions/online", api_session_open, AUTH_ACCESS,
		  "InvoiceWrite", RATELIMIT_ONLINE_SESSION },
		{ "POST", "/v2/sessions/online/S/invoices", api_session_send,
		  AUTH_ACCESS, "PefInvoiceWrite", RATELIMIT_INVOICE_SEND },
		{ "POST", "/v2/sessions/online/S/close", api_session_close,
		  AUTH_ACCESS, "EnforcementOperations",
		  RATELIMIT_ONLINE_SESSION },
		{ "GET", "/v2/sessions", api_sessions_list, AUTH_ACCESS,
		  "Introspection", RATELIMIT_SESSION_LIST },
		{ "GET", "/v2/sessions/S", api_session_status, AUTH_ACCESS,
		  "InvoiceWrite", RATELIMIT_SESSION_MISC },
		{ "GET", "/v2/sessions/S/invoices", api_session_invoices,
		  AUTH_ACCESS, "Introspection",
		  RATELIMIT_SESSION_INVOICE_LIST },
		{ "GET", "/v2/sessions/S/invoices/I", api_session_invoice,
		  AUTH_ACCESS, "InvoiceWrite", RATELIMIT_INVOICE_STATUS },
		{ "GET", "/v2/invoices/ksef/K", api_invoice_download,
		  AUTH_ACCESS, "InvoiceRead", RATELIMIT_INVOICE_DOWNLOAD },
		{ "POST", "/v2/tokens", api_tokens_create, AUTH_ACCESS, NULL,
		  RATELIMIT_OTHER },
		{ "GET", "/v2/tokens", api_tokens_list, AUTH_ACCESS, NULL,
		  RATELIMIT_OTHER },
		{ "GET", "/v2/tokens/T", api_tokens_get, AUTH_ACCESS, NULL,
		  RATELIMIT_OTHER },
		{ "DELETE", "/v2/tokens/T", api_tokens_revoke, AUTH_ACCESS,
		  NULL, RATELIMIT_OTHER },
	};
	struct fixture *f = *state;
	const struct route *r;
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct call *c = call_new(f, table[i].method, table[i].path,
					  NULL);

		if (router_find(&c->req, &r) != 0 || r == NULL)
			fail_msg("%s %s: no route", table[i].method,
				 table[i].path);
		assert_true(r->handler == table[i].handler);
		assert_int_equal(r->auth, table[i].auth);
		assert_int_equal(r->group, table[i].group);
		if (table[i].permission == NULL)
			assert_null(r->permissions);
		else
			assert_non_null(strstr(r->permissions,
					       table[i].permission));
		call_free(c);
	}
}

static void literal_routes_win_over_parameterised_ones_of_the_same_shape(
	void **state)
{
	struct fixture *f = *state;
	const struct route *r;
	struct call *c;

	c = call_new(f, "GET", "/v2/auth/sessions", NULL);
	assert_int_equal(router_find(&c->req, &r), 0);
	assert_true(r->handler == api_auth_sessions);
	call_free(c);

	c = call_new(f, "GET", "/v2/auth/AU-1", NULL);
	assert_int_equal(router_find(&c->req, &r), 0);
	assert_true(r->handler == api_auth_status);
	assert_int_equal(r->auth, AUTH_OPERATION);
	call_free(c);

	c = call_new(f, "DELETE", "/v2/auth/sessions/current", NULL);
	assert_int_equal(router_find(&c->req, &r), 0);
	assert_true(r->handler == api_auth_revoke_current);
	call_free(c);

	c = call_new(f, "DELETE", "/v2/auth/sessions/AU-2", NULL);
	assert_int_equal(router_find(&c->req, &r), 0);
	assert_true(r->handler == api_auth_revoke);
	assert_string_equal(c->req.params[0], "AU-2");
	call_free(c);

	c = call_new(f, "GET", "/v2/sessions/S/invoices/failed", NULL);
	assert_int_equal(router_find(&c->req, &r), 0);
	assert_true(r->handler == api_session_invoices_failed);
	call_free(c);
}

static void path_parameters_are_captured_in_order(void **state)
{
	static const struct {
		const char *path;
		void (*handler)(struct request *req);
		size_t n;
		const char *p[3];
	} table[] = {
		{ "/v2/sessions/SES-1", api_session_status, 1, { "SES-1" } },
		{ "/v2/sessions/SES-1/invoices/INV-2", api_session_invoice, 2,
		  { "SES-1", "INV-2" } },
		{ "/v2/sessions/SES-1/invoices/INV-2/upo",
		  api_upo_by_invoice_ref, 2, { "SES-1", "INV-2" } },
		{ "/v2/sessions/SES-1/invoices/ksef/K-3/upo",
		  api_upo_by_ksef_number, 2, { "SES-1", "K-3" } },
		{ "/v2/sessions/SES-1/upo/UPO-4", api_upo_session_page, 2,
		  { "SES-1", "UPO-4" } },
		{ "/storage/SES-1/session-upo/1.xml", api_storage, 3,
		  { "SES-1", "session-upo", "1.xml" } },
	};
	struct fixture *f = *state;
	const struct route *r;
	size_t i, k;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct call *c = call_new(f, "GET", table[i].path, NULL);

		assert_int_equal(router_find(&c->req, &r), 0);
		assert_true(r->handler == table[i].handler);
		assert_int_equal(c->req.nparams, table[i].n);
		for (k = 0; k < table[i].n; k++)
			assert_string_equal(c->req.params[k], table[i].p[k]);
		call_free(c);
	}
}

/* The batch session's calls are served: POST /sessions/batch is no
 * method of /sessions/{referenceNumber}, and a part goes by PUT to its
 * /storage link, which has no other method. */
static void the_batch_routes_are_served(void **state)
{
	struct fixture *f = *state;
	const struct route *r;
	struct call *c = call_new(f, "POST", "/v2/sessions/batch", NULL);

	assert_int_equal(router_find(&c->req, &r), 0);
	assert_true(r->handler == api_batch_open);
	call_free(c);
	c = call_new(f, "POST", "/v2/sessions/batch/S/close", NULL);
	assert_int_equal(router_find(&c->req, &r), 0);
	assert_true(r->handler == api_batch_close);
	call_free(c);
	c = call_new(f, "PUT", "/storage/S/batch-parts/1", NULL);
	assert_int_equal(router_find(&c->req, &r), 0);
	assert_true(r->handler == api_batch_part_put);
	assert_true((r->flags & ROUTE_UPLOAD) != 0);
	call_free(c);
	c = call_new(f, "POST", "/storage/S/batch-parts/1", NULL);
	assert_int_equal(router_find(&c->req, &r), 405);
	call_free(c);
}

static void a_known_path_with_another_method_is_405(void **state)
{
	static const struct {
		const char *method, *path;
	} table[] = {
		{ "PUT", "/v2/sessions/online" },
		{ "GET", "/v2/sessions/online/S/invoices" },
		{ "PUT", "/v2/tokens/T" },
		{ "DELETE", "/v2/tokens" },
		{ "POST", "/v2/security/public-key-certificates" },
		{ "PUT", "/v2/auth/challenge" },
		{ "HEAD", "/v2/sessions/S" },
	};
	struct fixture *f = *state;
	const struct route *r;
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct call *c = call_new(f, table[i].method, table[i].path,
					  NULL);

		assert_int_equal(router_find(&c->req, &r), 405);
		assert_null(r);
		assert_int_equal(dispatch(c), 405);
		assert_int_equal(exception_code(c), 21405);
		call_free(c);
	}
}

static void an_unknown_route_is_404_with_an_exception_body(void **state)
{
	static const char *const paths[] = {
		"/", "", "/v2", "/v2/", "/v3/sessions", "/v2x/sessions",
		"/sessions", "/v2/nothing", "/v2/sessions/", "/v2//sessions",
		"/v2/sessions/S/", "/v2/sessions//invoices",
		"/v2/sessions/S/invoices/I/upo/extra", "/V2/sessions",
		"/storage/", "/storage", "/storage/a/b", "/storage/a/b/c/d",
	};
	struct fixture *f = *state;
	const struct route *r;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct call *c = call_new(f, "GET", paths[i], NULL);

		if (router_find(&c->req, &r) != 404)
			fail_msg("%s: not a 404", paths[i]);
		assert_int_equal(dispatch(c), 404);
		assert_int_equal(exception_code(c), 21405);
		assert_string_equal(c->req.content_type,
				    "application/json; charset=utf-8");
		call_free(c);
	}
}

static void an_over_long_path_is_414_and_an_over_long_parameter_404(
	void **state)
{
	struct fixture *f = *state;
	char path[REQUEST_PATH_MAX + 10];
	const struct route *r;
	struct call *c;

	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	memcpy(path, "/v2/sessions/", 13);
	c = call_new(f, "GET", path, NULL);
	assert_int_equal(router_find(&c->req, &r), 414);
	assert_int_equal(dispatch(c), 414);
	assert_int_equal(exception_code(c), 21405);
	call_free(c);

	/* A parameter one byte too long for its field matches no route;
	 * one that just fits does. */
	path[13 + REQUEST_PATH_MAX / 4] = '\0';
	c = call_new(f, "GET", path, NULL);
	assert_int_equal(router_find(&c->req, &r), 404);
	call_free(c);
	path[13 + REQUEST_PATH_MAX / 4 - 1] = '\0';
	c = call_new(f, "GET", path, NULL);
	assert_int_equal(router_find(&c->req, &r), 0);
	assert_true(r->handler == api_session_status);
	call_free(c);
}

static void storage_links_are_routed_outside_the_api_and_only_for_get(
	void **state)
{
	struct fixture *f = *state;
	const struct route *r;
	struct call *c;

	c = call_new(f, "GET", "/storage/upo-certificate.pem", NULL);
	assert_int_equal(router_find(&c->req, &r), 0);
	assert_true(r->handler == api_storage_certificate);
	assert_int_equal(r->auth, AUTH_STORAGE);
	call_free(c);

	c = call_new(f, "GET", "/storage/S/invoice-upo/I.xml", NULL);
	assert_int_equal(router_find(&c->req, &r), 0);
	assert_true(r->handler == api_storage);
	assert_int_equal(r->auth, AUTH_STORAGE);
	call_free(c);

	c = call_new(f, "POST", "/storage/S/invoice-upo/I.xml", NULL);
	assert_int_equal(router_find(&c->req, &r), 405);
	assert_int_equal(dispatch(c), 405);
	call_free(c);

	/* The API's routes do not exist under /storage, nor its under /v2. */
	c = call_new(f, "GET", "/storage/sessions/S", NULL);
	assert_int_equal(router_find(&c->req, &r), 404);
	call_free(c);
	c = call_new(f, "GET", "/v2/upo-certificate.pem", NULL);
	assert_int_equal(router_find(&c->req, &r), 404);
	call_free(c);
}

/* ---- the checks, in the contract's order ---- */

static void the_body_limit_is_checked_before_the_token(void **state)
{
	struct fixture *f = *state;
	struct call *c = call_new(f, "POST", "/v2/sessions/online", NULL);

	c->req.body_too_big = 1;
	assert_int_equal(dispatch(c), 413);
	assert_int_equal(exception_code(c), 21405);
	call_free(c);
}

static void a_missing_malformed_expired_or_misused_token_is_401(
	void **state)
{
	struct fixture *f = *state;
	char auth[JWT_TOKEN_MAX + 16], detail[256];
	struct call *c;
	size_t i;
	static const char *const bad[] = {
		NULL, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ",
		"Bearer abc.def.ghi", "Bearerxyz",
	};

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = call_new(f, "GET", "/v2/sessions/S", bad[i]);
		assert_int_equal(dispatch(c), 401);
		call_free(c);
	}

	c = call_new(f, "GET", "/v2/sessions/S", NULL);
	assert_int_equal(dispatch(c), 401);
	problem_member(c, "detail", detail, sizeof(detail));
	assert_string_equal(detail, "Wymagane jest uwierzytelnienie.");
	call_free(c);

	c = call_new(f, "GET", "/v2/sessions/S", "Bearer abc.def.ghi");
	assert_int_equal(dispatch(c), 401);
	problem_member(c, "detail", detail, sizeof(detail));
	assert_string_equal(detail, "Nieprawidłowy token.");
	call_free(c);

	bearer(f, JWT_ACCESS, NIP, "InvoiceWrite", 0, 5, auth, sizeof(auth));
	c = call_new(f, "GET", "/v2/sessions/S", auth);
	assert_int_equal(dispatch(c), 401);
	problem_member(c, "detail", detail, sizeof(detail));
	assert_string_equal(detail, "Token wygasł.");
	call_free(c);

	/* A genuine token of the wrong kind: refresh where access is due,
	 * access where the operation token is. */
	bearer(f, JWT_REFRESH, NIP, NULL, 0, 0, auth, sizeof(auth));
	c = call_new(f, "GET", "/v2/sessions/S", auth);
	assert_int_equal(dispatch(c), 401);
	problem_member(c, "detail", detail, sizeof(detail));
	assert_non_null(strstr(detail, "rodzaj tokenu"));
	call_free(c);
	bearer(f, JWT_ACCESS, NIP, "InvoiceWrite", 0, 0, auth, sizeof(auth));
	c = call_new(f, "POST", "/v2/auth/token/redeem", auth);
	assert_int_equal(dispatch(c), 401);
	call_free(c);

	/* Under another secret: forged. */
	bearer(f, JWT_ACCESS, NIP, "InvoiceWrite", 0, 0, auth, sizeof(auth));
	f->srv.jwt_secret[0] ^= 1;
	c = call_new(f, "GET", "/v2/sessions/S", auth);
	assert_int_equal(dispatch(c), 401);
	call_free(c);
	f->srv.jwt_secret[0] ^= 1;
}

static void a_missing_permission_is_403_naming_required_and_present(
	void **state)
{
	struct fixture *f = *state;
	char auth[JWT_TOKEN_MAX + 16], reason[64];
	json_t *body, *required, *present;
	struct call *c;

	bearer(f, JWT_ACCESS, NIP, "InvoiceRead,CredentialsRead", 0, 0, auth,
	       sizeof(auth));
	c = call_new(f, "POST", "/v2/sessions/online", auth);
	assert_int_equal(dispatch(c), 403);
	problem_member(c, "reasonCode", reason, sizeof(reason));
	assert_string_equal(reason, "missing-permissions");
	body = body_of(c);
	required = json_object_get(json_object_get(body, "security"),
				   "requiredAnyOfPermissions");
	present = json_object_get(json_object_get(body, "security"),
				  "presentPermissions");
	assert_int_equal(json_array_size(required), 3);
	assert_string_equal(json_string_value(json_array_get(required, 0)),
			    "InvoiceWrite");
	assert_int_equal(json_array_size(present), 2);
	assert_string_equal(json_string_value(json_array_get(present, 0)),
			    "InvoiceRead");
	assert_string_equal(json_string_value(json_array_get(present, 1)),
			    "CredentialsRead");
	json_decref(body);
	call_free(c);

	/* Any one of the listed permissions is enough. */
	bearer(f, JWT_ACCESS, NIP, "EnforcementOperations", 0, 0, auth,
	       sizeof(auth));
	c = call_new(f, "GET", "/v2/sessions/SES", auth);
	assert_int_equal(dispatch(c), 400); /* the handler's: bad reference */
	call_free(c);
}

static void an_ip_bound_token_from_another_address_is_403_first(
	void **state)
{
	struct fixture *f = *state;
	char auth[JWT_TOKEN_MAX + 16], reason[64];
	store_auth op;
	ksef_error err;
	json_t *body;
	struct call *c;

	memset(&op, 0, sizeof(op));
	strcpy(op.ref, f->au);
	strcpy(op.ctx_type, "Nip");
	strcpy(op.ctx_value, NIP);
	strcpy(op.subject_type, "Token");
	strcpy(op.method, "Token");
	strcpy(op.allowed_ips,
	       "{\"allowedIps\":{\"ip4Addresses\":[\"198.51.100.7\"]}}");
	op.status = 200;
	op.start_ms = server_now_ms();
	if (store_auth_add(f->srv.store, &op, &err) != 0)
		fail_msg("store_auth_add: %s", err.message);

	/* No permission either: the IP policy is what answers. */
	bearer(f, JWT_ACCESS, NIP, "InvoiceRead", 1, 0, auth, sizeof(auth));
	c = call_new(f, "POST", "/v2/sessions/online", auth);
	assert_int_equal(dispatch(c), 403);
	problem_member(c, "reasonCode", reason, sizeof(reason));
	assert_string_equal(reason, "ip-not-allowed");
	body = body_of(c);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		body, "security"), "clientIp")), "192.0.2.1");
	json_decref(body);
	call_free(c);

	/* From the allowed address the next check, permissions, answers. */
	c = call_new(f, "POST", "/v2/sessions/online", auth);
	strcpy(c->req.ip, "198.51.100.7");
	assert_int_equal(dispatch(c), 403);
	problem_member(c, "reasonCode", reason, sizeof(reason));
	assert_string_equal(reason, "missing-permissions");
	call_free(c);

	/* A token that does not say it is bound costs no look-up and is
	 * not held to the policy. */
	bearer(f, JWT_ACCESS, NIP, "InvoiceRead", 0, 0, auth, sizeof(auth));
	c = call_new(f, "POST", "/v2/sessions/online", auth);
	assert_int_equal(dispatch(c), 403);
	problem_member(c, "reasonCode", reason, sizeof(reason));
	assert_string_equal(reason, "missing-permissions");
	call_free(c);
}

/* One request an hour for a group, so the second is refused. */
static void one_an_hour(struct fixture *f, ratelimit_group g)
{
	ratelimit_limits l = { 0, 0, 1 };

	assert_int_equal(ratelimit_set_limits(f->srv.rl, g, &l), 0);
}

static void the_rate_limit_is_checked_last_and_answers_429(void **state)
{
	struct fixture *f = *state;
	char auth[JWT_TOKEN_MAX + 16], weak[JWT_TOKEN_MAX + 16], path[128];
	struct call *c;
	json_t *body;

	one_an_hour(f, RATELIMIT_SESSION_MISC);
	snprintf(path, sizeof(path), "/v2/sessions/%s", f->so);
	bearer(f, JWT_ACCESS, NIP, "InvoiceWrite", 0, 0, auth, sizeof(auth));
	bearer(f, JWT_ACCESS, NIP, "InvoiceRead", 0, 0, weak, sizeof(weak));

	/* Refused before the rate check, so not counted. */
	c = call_new(f, "GET", path, NULL);
	assert_int_equal(dispatch(c), 401);
	call_free(c);
	c = call_new(f, "GET", path, weak);
	assert_int_equal(dispatch(c), 403);
	call_free(c);

	/* The one allowed call reaches the handler: no such session. */
	c = call_new(f, "GET", path, auth);
	assert_int_equal(dispatch(c), 400);
	assert_int_equal(exception_code(c), 21173);
	call_free(c);

	c = call_new(f, "GET", path, auth);
	assert_int_equal(dispatch(c), 429);
	assert_string_equal(c->req.reply_header, "Retry-After");
	assert_true(atoi(c->req.reply_value) >= 1);
	body = body_of(c);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		body, "status"), "code")), 429);
	json_decref(body);
	call_free(c);

	/* Still 401 and 403 first, even while the limit is reached. */
	c = call_new(f, "GET", path, NULL);
	assert_int_equal(dispatch(c), 401);
	call_free(c);
	c = call_new(f, "GET", path, weak);
	assert_int_equal(dispatch(c), 403);
	call_free(c);

	/* Problem Details when the client asks for them. */
	c = call_new(f, "GET", path, auth);
	c->req.problem_details = 1;
	assert_int_equal(dispatch(c), 429);
	assert_string_equal(c->req.content_type,
			    "application/problem+json; charset=utf-8");
	call_free(c);
}

static void authenticated_calls_are_counted_per_context_and_address(
	void **state)
{
	struct fixture *f = *state;
	char auth[JWT_TOKEN_MAX + 16], other[JWT_TOKEN_MAX + 16], path[128];
	struct call *c;

	one_an_hour(f, RATELIMIT_SESSION_MISC);
	snprintf(path, sizeof(path), "/v2/sessions/%s", f->so);
	bearer(f, JWT_ACCESS, NIP, "InvoiceWrite", 0, 0, auth, sizeof(auth));
	bearer(f, JWT_ACCESS, OTHER_NIP, "InvoiceWrite", 0, 0, other,
	       sizeof(other));

	c = call_new(f, "GET", path, auth);
	assert_int_equal(dispatch(c), 400);
	call_free(c);
	c = call_new(f, "GET", path, auth);
	assert_int_equal(dispatch(c), 429);
	call_free(c);
	/* Another context from the same address has its own count... */
	c = call_new(f, "GET", path, other);
	assert_int_equal(dispatch(c), 400);
	call_free(c);
	/* ...and so has the same context from another address. */
	c = call_new(f, "GET", path, auth);
	strcpy(c->req.ip, "192.0.2.99");
	assert_int_equal(dispatch(c), 400);
	call_free(c);
	/* Groups do not share counts. */
	c = call_new(f, "GET", "/v2/sessions/x/invoices/y", auth);
	assert_int_equal(dispatch(c), 400);
	assert_int_not_equal(c->req.status, 429);
	call_free(c);
}

static void calls_without_a_token_are_counted_per_address(void **state)
{
	struct fixture *f = *state;
	struct call *c;

	one_an_hour(f, RATELIMIT_UNAUTHENTICATED);
	c = call_new(f, "GET", "/v2/security/public-key-certificates", NULL);
	assert_int_equal(dispatch(c), 200);
	assert_string_equal((const char *)c->req.reply.ptr, "[]");
	call_free(c);
	c = call_new(f, "GET", "/v2/security/public-key-certificates", NULL);
	assert_int_equal(dispatch(c), 429);
	call_free(c);
	c = call_new(f, "GET", "/v2/security/public-key-certificates", NULL);
	strcpy(c->req.ip, "192.0.2.2");
	assert_int_equal(dispatch(c), 200);
	call_free(c);
}

/* ---- limits (api_limits.c) ---- */

static void limits_routes_exist_and_test_data_only_on_test(void **state)
{
	static const struct {
		const char *method, *path;
		void (*handler)(struct request *req);
		unsigned flags;
	} table[] = {
		{ "GET", "/v2/limits/context", api_limits_context,
		  ROUTE_QUICK },
		{ "GET", "/v2/limits/subject", api_limits_subject,
		  ROUTE_QUICK },
		{ "GET", "/v2/rate-limits", api_rate_limits, ROUTE_QUICK },
		{ "POST", "/v2/testdata/limits/context/session",
		  api_testdata_session_limits_set, ROUTE_TEST_ONLY },
		{ "DELETE", "/v2/testdata/limits/context/session",
		  api_testdata_session_limits_reset, ROUTE_TEST_ONLY },
		{ "POST", "/v2/testdata/limits/subject/certificate",
		  api_testdata_subject_limits_set, ROUTE_TEST_ONLY },
		{ "DELETE", "/v2/testdata/limits/subject/certificate",
		  api_testdata_subject_limits_reset, ROUTE_TEST_ONLY },
		{ "POST", "/v2/testdata/rate-limits",
		  api_testdata_rate_limits_set, ROUTE_TEST_ONLY },
		{ "DELETE", "/v2/testdata/rate-limits",
		  api_testdata_rate_limits_reset, ROUTE_TEST_ONLY },
		{ "POST", "/v2/testdata/rate-limits/production",
		  api_testdata_rate_limits_production, ROUTE_TEST_ONLY },
	};
	struct fixture *f = *state;
	const struct route *r;
	struct call *c;
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		c = call_new(f, table[i].method, table[i].path, NULL);
		assert_int_equal(router_find(&c->req, &r), 0);
		assert_ptr_equal(r->handler, table[i].handler);
		assert_int_equal(r->auth, AUTH_ACCESS);
		assert_null(r->permissions);
		assert_int_equal(r->group, RATELIMIT_OTHER);
		assert_int_equal(r->flags, table[i].flags);
		call_free(c);
	}
	/* --profile production: the test data are paths that do not exist,
	 * the reading operations stay. */
	f->srv.cfg.production = 1;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		c = call_new(f, table[i].method, table[i].path, NULL);
		assert_int_equal(router_find(&c->req, &r),
				 table[i].flags & ROUTE_TEST_ONLY ? 404 : 0);
		if (table[i].flags & ROUTE_TEST_ONLY) {
			assert_int_equal(dispatch(c), 404);
			assert_int_equal(exception_code(c), 21405);
		}
		call_free(c);
	}
}

static void each_endpoint_of_the_group_other_counts_apart(void **state)
{
	struct fixture *f = *state;
	char auth[JWT_TOKEN_MAX + 16];
	struct call *c;

	one_an_hour(f, RATELIMIT_OTHER);
	bearer(f, JWT_ACCESS, NIP, "CredentialsManage", 0, 0, auth,
	       sizeof(auth));
	c = call_new(f, "GET", "/v2/tokens", auth);
	assert_int_equal(dispatch(c), 200);
	call_free(c);
	c = call_new(f, "GET", "/v2/tokens", auth);
	assert_int_equal(dispatch(c), 429);
	call_free(c);
	/* limity-api.md, Pozostałe: "Każdy taki endpoint posiada własny
	 * licznik limitów". */
	c = call_new(f, "GET", "/v2/auth/sessions", auth);
	assert_int_not_equal(dispatch(c), 429);
	call_free(c);
	c = call_new(f, "GET", "/v2/auth/sessions", auth);
	assert_int_equal(dispatch(c), 429);
	call_free(c);
}

static void a_contexts_own_rate_limits_hold_with_the_profile_off(
	void **state)
{
	struct fixture *f = *state;
	store_session_limits dl = { 10000, 1, 3 };
	ratelimit_limits rate[RATELIMIT_GROUP_COUNT];
	char auth[JWT_TOKEN_MAX + 16], other[JWT_TOKEN_MAX + 16], path[128];
	struct call *c;
	ksef_error err;
	int i;

	ratelimit_set_enabled(f->srv.rl, 0);
	assert_int_equal(ctx_limits_new(&f->srv.ctx_limits, f->srv.store, &dl,
					0), 0);
	for (i = 0; i < RATELIMIT_GROUP_COUNT; i++)
		ratelimit_default_limits((ratelimit_group)i, &rate[i]);
	rate[RATELIMIT_SESSION_MISC].per_second = 1;
	if (ctx_limits_set_rate(f->srv.ctx_limits, "Nip", NIP, rate,
				&err) != 0)
		fail_msg("set rate: %s", err.message);
	snprintf(path, sizeof(path), "/v2/sessions/%s", f->so);
	bearer(f, JWT_ACCESS, NIP, "InvoiceWrite", 0, 0, auth, sizeof(auth));
	bearer(f, JWT_ACCESS, OTHER_NIP, "InvoiceWrite", 0, 0, other,
	       sizeof(other));
	c = call_new(f, "GET", path, auth);
	assert_int_equal(dispatch(c), 400);
	call_free(c);
	c = call_new(f, "GET", path, auth);
	assert_int_equal(dispatch(c), 429);
	assert_string_equal(c->req.reply_header, "Retry-After");
	assert_string_equal(c->req.reply_value, "1");
	call_free(c);
	/* A context without limits of its own follows the profile: off. */
	for (i = 0; i < 20; i++) {
		c = call_new(f, "GET", path, other);
		assert_int_equal(dispatch(c), 400);
		call_free(c);
	}
	/* Back on the profile, the context is not limited either. */
	assert_int_equal(ctx_limits_reset_rate(f->srv.ctx_limits, "Nip", NIP,
					       &err), 0);
	for (i = 0; i < 20; i++) {
		c = call_new(f, "GET", path, auth);
		assert_int_equal(dispatch(c), 400);
		call_free(c);
	}
	ctx_limits_free(f->srv.ctx_limits);
	f->srv.ctx_limits = NULL;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(routes_are_found_by_method_and_path_with_their_checks),
		T(literal_routes_win_over_parameterised_ones_of_the_same_shape),
		T(path_parameters_are_captured_in_order),
		T(a_known_path_with_another_method_is_405),
		T(the_batch_routes_are_served),
		T(an_unknown_route_is_404_with_an_exception_body),
		T(an_over_long_path_is_414_and_an_over_long_parameter_404),
		T(storage_links_are_routed_outside_the_api_and_only_for_get),
		T(the_body_limit_is_checked_before_the_token),
		T(a_missing_malformed_expired_or_misused_token_is_401),
		T(a_missing_permission_is_403_naming_required_and_present),
		T(an_ip_bound_token_from_another_address_is_403_first),
		T(the_rate_limit_is_checked_last_and_answers_429),
		T(authenticated_calls_are_counted_per_context_and_address),
		T(calls_without_a_token_are_counted_per_address),
		T(limits_routes_exist_and_test_data_only_on_test),
		T(each_endpoint_of_the_group_other_counts_apart),
		T(a_contexts_own_rate_limits_hold_with_the_profile_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
