/*
 * store_certs_test.c - what the store keeps of KSeF certificates
 * (store_certs.c): requests counted against their limit in the write that
 * adds one; a request finished once, with its certificate or its refusal;
 * a public key certified for one subject only; the limit of active
 * certificates checked as the certificate is stored; revocation once;
 * look-up by fingerprint; the query's filters, order and paging; all kept
 * across a reopen.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store.h"
#include "store_fixture.h"

#define NOW INT64_C(1764000000000)
#define DAY INT64_C(86400000)

struct fixture {
	char *dir;
	store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = ts_mkdtemp();
	f->st = open_store(f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	ts_rmdir(f->dir);
	free(f);
	return 0;
}

static store_enrollment *request(const char *ref, const char *nip,
				 int64_t at)
{
	store_enrollment *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	snprintf(e->ref, sizeof(e->ref), "%s", ref);
	snprintf(e->subject_type, sizeof(e->subject_type), "Nip");
	snprintf(e->subject_value, sizeof(e->subject_value), "%s", nip);
	snprintf(e->name, sizeof(e->name), "Certyfikat %s", ref);
	e->type = STORE_CERT_AUTHENTICATION;
	memcpy(e->csr, "\x30\x03\x02\x01\x00", 5);
	e->csr_len = 5;
	e->requested_ms = at;
	e->status = 100;
	return e;
}

/* A certificate for request e, of key `key`, valid from `from` for a
 * year. */
static store_cert *cert_for(const store_enrollment *e, const char *serial,
			    const char *key, int type, int64_t from)
{
	store_cert *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	snprintf(c->serial, sizeof(c->serial), "%s", serial);
	memcpy(c->enrollment_ref, e->ref, sizeof(c->enrollment_ref));
	memcpy(c->subject_type, e->subject_type, sizeof(c->subject_type));
	memcpy(c->subject_value, e->subject_value, sizeof(c->subject_value));
	memcpy(c->name, e->name, sizeof(c->name));
	c->type = type;
	snprintf(c->common_name, sizeof(c->common_name), "Firma");
	memcpy(c->der, serial, 16);
	c->der_len = 16;
	snprintf(c->fingerprint, sizeof(c->fingerprint), "FP-%s", serial);
	snprintf(c->key_hash, sizeof(c->key_hash), "%s", key);
	c->valid_from_ms = from;
	c->valid_to_ms = from + 365 * DAY;
	c->requested_ms = e->requested_ms;
	return c;
}

/* Add request ref and issue its certificate. */
static void issued(store *st, const char *ref, const char *nip,
		   const char *serial, const char *key, int type, int64_t at)
{
	store_enrollment *e = request(ref, nip, at);
	store_cert *c = cert_for(e, serial, key, type, at);
	ksef_error err;

	ok(store_enroll_add(st, e, 100, &err), &err);
	ok(store_enroll_finish(st, ref, c, 100, at, 200, NULL, &err), &err);
	free(c);
	free(e);
}

static void requests_stop_at_their_limit(void **state)
{
	struct fixture *f = *state;
	store_enrollment *e = request("EH-1", "1111111111", NOW), *back;
	ksef_error err;
	int64_t n;

	ok(store_enroll_add(f->st, e, 2, &err), &err);
	assert_int_equal(store_enroll_add(f->st, e, 2, &err), STORE_EXISTS);
	snprintf(e->ref, sizeof(e->ref), "EH-2");
	ok(store_enroll_add(f->st, e, 2, &err), &err);
	snprintf(e->ref, sizeof(e->ref), "EH-3");
	assert_int_equal(store_enroll_add(f->st, e, 2, &err), STORE_FULL);
	ok(store_enroll_count(f->st, "Nip", "1111111111", &n, &err), &err);
	assert_int_equal(n, 2);
	/* Another subject counts its own. */
	snprintf(e->subject_value, sizeof(e->subject_value), "2222222222");
	ok(store_enroll_add(f->st, e, 1, &err), &err);
	/* No CSR is no request. */
	e->csr_len = 0;
	assert_int_equal(store_enroll_add(f->st, e, 9, &err), STORE_INVALID);

	back = malloc(sizeof(*back));
	ok(store_enroll_get(f->st, "EH-1", back, &err), &err);
	assert_int_equal(back->status, 100);
	assert_int_equal(back->csr_len, 5);
	assert_memory_equal(back->csr, "\x30\x03\x02\x01\x00", 5);
	assert_string_equal(back->name, "Certyfikat EH-1");
	assert_int_equal(store_enroll_get(f->st, "EH-9", back, &err),
			 STORE_NOT_FOUND);
	free(back);
	free(e);
}

static void a_request_is_finished_once(void **state)
{
	struct fixture *f = *state;
	store_enrollment *e = request("EH-1", "1111111111", NOW);
	store_cert *c = cert_for(e, "4000000000000001", "K1",
				 STORE_CERT_OFFLINE, NOW), *got;
	ksef_error err;
	int64_t n;

	ok(store_enroll_add(f->st, e, 10, &err), &err);
	ok(store_enroll_finish(f->st, "EH-1", c, 10, NOW, 200, NULL, &err),
	   &err);
	assert_int_equal(store_enroll_finish(f->st, "EH-1", NULL, 0, NOW, 400,
		"[\"x\"]", &err), STORE_WRONG_STATE);
	assert_int_equal(store_enroll_finish(f->st, "EH-9", NULL, 0, NOW, 400,
		"[\"x\"]", &err), STORE_NOT_FOUND);
	/* A refusal needs a refusing status. */
	assert_int_equal(store_enroll_finish(f->st, "EH-1", NULL, 0, NOW, 200,
		NULL, &err), STORE_INVALID);
	ok(store_enroll_get(f->st, "EH-1", e, &err), &err);
	assert_int_equal(e->status, 200);
	assert_string_equal(e->serial, "4000000000000001");

	got = malloc(sizeof(*got));
	ok(store_cert_get(f->st, "4000000000000001", got, &err), &err);
	assert_int_equal(got->type, STORE_CERT_OFFLINE);
	assert_int_equal(got->der_len, 16);
	assert_string_equal(got->key_hash, "K1");
	ok(store_cert_by_fingerprint(f->st, "FP-4000000000000001", got, &err),
	   &err);
	assert_string_equal(got->serial, "4000000000000001");
	assert_int_equal(store_cert_by_fingerprint(f->st, "FP-x", got, &err),
			 STORE_NOT_FOUND);
	ok(store_certs_active(f->st, "Nip", "1111111111", NOW, &n, &err),
	   &err);
	assert_int_equal(n, 1);
	/* Expired: no longer active. */
	ok(store_certs_active(f->st, "Nip", "1111111111", NOW + 366 * DAY, &n,
			      &err), &err);
	assert_int_equal(n, 0);
	free(got);
	free(c);
	free(e);
}

static void a_key_and_the_active_limit_are_checked_at_issue(void **state)
{
	struct fixture *f = *state;
	store_enrollment *e;
	store_cert *c;
	ksef_error err;

	issued(f->st, "EH-1", "1111111111", "4000000000000001", "K1",
	       STORE_CERT_AUTHENTICATION, NOW);
	/* The same key for another subject. */
	e = request("EH-2", "2222222222", NOW);
	c = cert_for(e, "4000000000000002", "K1", STORE_CERT_AUTHENTICATION,
		     NOW);
	ok(store_enroll_add(f->st, e, 10, &err), &err);
	assert_int_equal(store_enroll_finish(f->st, "EH-2", c, 10, NOW, 200,
					     NULL, &err), STORE_EXISTS);
	/* Nothing of it stayed: the request is still open. */
	ok(store_enroll_get(f->st, "EH-2", e, &err), &err);
	assert_int_equal(e->status, 100);
	assert_int_equal(store_cert_get(f->st, "4000000000000002", c, &err),
			 STORE_NOT_FOUND);
	ok(store_enroll_finish(f->st, "EH-2", NULL, 0, NOW, 400,
			       "[\"Klucz\"]", &err), &err);
	ok(store_enroll_get(f->st, "EH-2", e, &err), &err);
	assert_int_equal(e->status, 400);
	assert_string_equal(e->details, "[\"Klucz\"]");
	free(c);
	free(e);

	/* The same key for the same subject is fine; a full subject not. */
	e = request("EH-3", "1111111111", NOW);
	c = cert_for(e, "4000000000000003", "K1", STORE_CERT_AUTHENTICATION,
		     NOW);
	ok(store_enroll_add(f->st, e, 10, &err), &err);
	assert_int_equal(store_enroll_finish(f->st, "EH-3", c, 1, NOW, 200,
					     NULL, &err), STORE_FULL);
	ok(store_enroll_finish(f->st, "EH-3", c, 2, NOW, 200, NULL, &err),
	   &err);
	free(c);
	free(e);
}

static void a_certificate_is_revoked_once(void **state)
{
	struct fixture *f = *state;
	store_cert *c = malloc(sizeof(*c));
	ksef_error err;
	int64_t n;

	issued(f->st, "EH-1", "1111111111", "4000000000000001", "K1",
	       STORE_CERT_AUTHENTICATION, NOW);
	ok(store_cert_revoke(f->st, "4000000000000001", NOW + 5,
			     "KeyCompromise", &err), &err);
	assert_int_equal(store_cert_revoke(f->st, "4000000000000001", NOW + 6,
					   "Unspecified", &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_cert_revoke(f->st, "4000000000000009", NOW,
					   "Unspecified", &err),
			 STORE_NOT_FOUND);
	ok(store_cert_get(f->st, "4000000000000001", c, &err), &err);
	assert_int_equal(c->revoked_ms, NOW + 5);
	assert_string_equal(c->revocation_reason, "KeyCompromise");
	ok(store_certs_active(f->st, "Nip", "1111111111", NOW, &n, &err),
	   &err);
	assert_int_equal(n, 0);
	ok(store_cert_used(f->st, "4000000000000001", NOW + 7, &err), &err);
	/* Kept across a reopen. */
	store_close(f->st);
	f->st = open_store(f->dir);
	ok(store_cert_get(f->st, "4000000000000001", c, &err), &err);
	assert_int_equal(c->last_use_ms, NOW + 7);
	assert_int_equal(c->revoked_ms, NOW + 5);
	free(c);
}

static void the_query_filters_sorts_and_pages(void **state)
{
	struct fixture *f = *state;
	store_cert_filter flt;
	store_cert *rows = NULL;
	ksef_error err;
	size_t n;
	char ref[16], serial[17], key[8];
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(ref, sizeof(ref), "EH-%d", i);
		snprintf(serial, sizeof(serial), "400000000000000%d", i);
		snprintf(key, sizeof(key), "K%d", i);
		issued(f->st, ref, "1111111111", serial, key,
		       i % 2 ? STORE_CERT_OFFLINE : STORE_CERT_AUTHENTICATION,
		       NOW + i * DAY);
	}
	issued(f->st, "EH-other", "2222222222", "4000000000000009", "K9",
	       STORE_CERT_AUTHENTICATION, NOW);
	ok(store_cert_revoke(f->st, "4000000000000002", NOW, "Superseded",
			     &err), &err);

	/* Newest request first, the subject's only. */
	ok(store_certs_query(f->st, "Nip", "1111111111", NULL, NOW, 10, 0,
			     &rows, &n, &err), &err);
	assert_int_equal(n, 5);
	assert_string_equal(rows[0].serial, "4000000000000004");
	assert_string_equal(rows[4].serial, "4000000000000000");
	free(rows);
	/* Pages. */
	ok(store_certs_query(f->st, "Nip", "1111111111", NULL, NOW, 2, 4,
			     &rows, &n, &err), &err);
	assert_int_equal(n, 1);
	free(rows);

	memset(&flt, 0, sizeof(flt));
	flt.type = STORE_CERT_OFFLINE;
	ok(store_certs_query(f->st, "Nip", "1111111111", &flt, NOW, 10, 0,
			     &rows, &n, &err), &err);
	assert_int_equal(n, 2);
	free(rows);

	memset(&flt, 0, sizeof(flt));
	flt.status = 3;  /* Revoked */
	ok(store_certs_query(f->st, "Nip", "1111111111", &flt, NOW, 10, 0,
			     &rows, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].serial, "4000000000000002");
	free(rows);
	flt.status = 2;  /* Blocked: none, revocation is immediate */
	ok(store_certs_query(f->st, "Nip", "1111111111", &flt, NOW, 10, 0,
			     &rows, &n, &err), &err);
	assert_int_equal(n, 0);
	free(rows);
	/* Expired a year and a half day on: the first two. */
	flt.status = 4;
	ok(store_certs_query(f->st, "Nip", "1111111111", &flt,
			     NOW + 366 * DAY + DAY / 2, 10, 0, &rows, &n,
			     &err), &err);
	assert_int_equal(n, 2);
	free(rows);
	flt.status = 1;  /* Active now: all but the revoked one */
	ok(store_certs_query(f->st, "Nip", "1111111111", &flt, NOW, 10, 0,
			     &rows, &n, &err), &err);
	assert_int_equal(n, 4);
	free(rows);

	memset(&flt, 0, sizeof(flt));
	flt.name_part = "EH-3";
	ok(store_certs_query(f->st, "Nip", "1111111111", &flt, NOW, 10, 0,
			     &rows, &n, &err), &err);
	assert_int_equal(n, 1);
	free(rows);
	memset(&flt, 0, sizeof(flt));
	flt.serial = "4000000000000009";   /* another subject's */
	ok(store_certs_query(f->st, "Nip", "1111111111", &flt, NOW, 10, 0,
			     &rows, &n, &err), &err);
	assert_int_equal(n, 0);
	free(rows);
	memset(&flt, 0, sizeof(flt));
	flt.has_expires_after = 1;
	/* validTo is 365 to 369 days on; strictly after 367. */
	flt.expires_after_ms = NOW + 367 * DAY;
	ok(store_certs_query(f->st, "Nip", "1111111111", &flt, NOW, 10, 0,
			     &rows, &n, &err), &err);
	assert_int_equal(n, 2);
	free(rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(requests_stop_at_their_limit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_request_is_finished_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_key_and_the_active_limit_are_checked_at_issue, setup,
			teardown),
		cmocka_unit_test_setup_teardown(a_certificate_is_revoked_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			the_query_filters_sorts_and_pages, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
