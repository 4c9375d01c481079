/*
 * router_reads_test.c - which routes go through the read gate (reads.c):
 * the downloads and listings are ROUTE_READ and run their checks on the
 * event loop (quick); the status reads stay quick routes of their own;
 * and a read dispatched with a gate is deferred, runs on a reader thread
 * and is answered exactly as without one.
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "http.h"
#include "reads.h"
#include "router.h"

static const unsigned char jwt_secret[32] = "router-test-secret-0123456789ab";

#define NIP "5265877635"

struct fixture {
	struct server srv;
	char *dir;
	char auth[JWT_TOKEN_MAX + 16];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	jwt_claims c;
	char *tok = NULL;
	ksef_error err;

	assert_non_null(f);
	config_init(&f->srv.cfg);
	memcpy(f->srv.jwt_secret, jwt_secret, sizeof(jwt_secret));
	pthread_rwlock_init(&f->srv.keyring.lock, NULL);
	f->dir = ts_mkdtemp();
	if (store_open(&f->srv.store, f->dir, &err) != 0)
		fail_msg("store_open: %s", err.message);
	assert_int_equal(ratelimit_new(&f->srv.rl, 0), 0);
	assert_int_equal(jwt_claims_init(&c, JWT_ACCESS, server_now_ms(), 60,
					 NULL), 0);
	assert_int_equal(ksef_refnum_generate(c.reference, KSEF_REFNUM_AUTH,
		ksef_time_warsaw(server_now_ms()), NULL) < 0, 0);
	strcpy(c.context_type, "Nip");
	strcpy(c.context_value, NIP);
	strcpy(c.auth_method, "Token");
	strcpy(c.permissions, "InvoiceRead,InvoiceWrite");
	if (jwt_issue(&tok, f->srv.jwt_secret, sizeof(f->srv.jwt_secret), &c,
		      &err) != 0)
		fail_msg("jwt_issue: %s", err.message);
	snprintf(f->auth, sizeof(f->auth), "Bearer %s", tok);
	free(tok);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	reads_stop(f->srv.reads);
	keyring_destroy(&f->srv);
	pthread_rwlock_destroy(&f->srv.keyring.lock);
	ratelimit_free(f->srv.rl);
	store_close(f->srv.store);
	ts_rmdir(f->dir);
	free(f);
	return 0;
}

static struct request *req_new(struct fixture *f, const char *method,
			       const char *path)
{
	struct request *req = calloc(1, sizeof(*req));

	assert_non_null(req);
	req->srv = &f->srv;
	snprintf(req->method, sizeof(req->method), "%s", method);
	snprintf(req->path, sizeof(req->path), "%s", path);
	strcpy(req->ip, "192.0.2.1");
	strcpy(req->trace_id, "00112233445566778899aabbccddeeff");
	req->authorization = f->auth;
	return req;
}

static void req_free(struct request *req)
{
	ksef_buf_dispose(&req->reply);
	ksef_buf_dispose(&req->body);
	free(req);
}

static void downloads_and_listings_are_reads(void **state)
{
	static const struct {
		const char *method, *path;
		int read;
	} table[] = {
		{ "GET", "/v2/invoices/ksef/X", 1 },
		{ "GET", "/v2/sessions", 1 },
		{ "GET", "/v2/sessions/S/invoices", 1 },
		{ "GET", "/v2/sessions/S/invoices/failed", 1 },
		{ "GET", "/v2/sessions/S/invoices/ksef/K/upo", 1 },
		{ "GET", "/v2/sessions/S/invoices/I/upo", 1 },
		{ "GET", "/v2/sessions/S/upo/U", 1 },
		{ "POST", "/v2/invoices/query/metadata", 1 },
		{ "GET", "/storage/S/upo/F", 1 },
		{ "GET", "/storage/R/invoice-part/F", 1 },
		{ "GET", "/invoice/5265877635/01-02-2026/abc", 1 },
		/* Status reads of work just done stay on the loop. */
		{ "GET", "/v2/sessions/S", 0 },
		{ "GET", "/v2/sessions/S/invoices/I", 0 },
		{ "POST", "/v2/sessions/online/S/invoices", 0 },
	};
	struct fixture *f = *state;
	struct http_traits t;
	const struct route *r;
	struct request *req;
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		req = req_new(f, table[i].method, table[i].path);
		assert_int_equal(router_find(req, &r), 0);
		if (((r->flags & ROUTE_READ) != 0) != table[i].read)
			fail_msg("%s %s: ROUTE_READ is %s", table[i].method,
				 table[i].path, table[i].read ? "off" : "on");
		router_traits(req, &t);
		assert_int_equal(t.quick, 1);
		req_free(req);
	}
}

static void a_read_through_the_gate_is_answered_as_without_it(void **state)
{
	struct fixture *f = *state;
	struct request *plain, *gated;
	size_t waiting, running;
	int i;

	/* Without a gate the handler answers at once. */
	plain = req_new(f, "GET", "/v2/invoices/ksef/not-a-number");
	router_dispatch(plain);
	assert_true(plain->responded);
	assert_int_equal(plain->status, 400);

	assert_int_equal(reads_start(&f->srv.reads, 1, 10000, NULL), 0);
	gated = req_new(f, "GET", "/v2/invoices/ksef/not-a-number");
	router_dispatch(gated);
	assert_true(http_deferred());
	for (i = 0; i < 5000; i++) {
		reads_counts(f->srv.reads, &waiting, &running);
		if (waiting == 0 && running == 0)
			break;
		nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
	}
	reads_stop(f->srv.reads);
	f->srv.reads = NULL;
	assert_true(gated->responded);
	assert_int_equal(gated->status, plain->status);
	assert_string_equal(gated->content_type, plain->content_type);
	/* The same body but for its timestamp and reference. */
	assert_non_null(strstr((const char *)gated->reply.ptr, "21405"));
	assert_non_null(strstr((const char *)gated->reply.ptr,
			       "not-a-number"));
	req_free(plain);
	req_free(gated);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(downloads_and_listings_are_reads),
		T(a_read_through_the_gate_is_answered_as_without_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
