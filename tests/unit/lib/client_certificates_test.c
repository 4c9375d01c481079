/*
 * client_certificates_test.c - the calls of the tag "Certyfikaty" and GET
 * /peppol/query (client_certificates.c) and the key, request and files of
 * a certificate (client_certificates_csr.c): every body the calls build
 * holds against its request schema in open-api.json, and inputs the
 * schemas refuse are KSEF_EINVAL before anything is sent; the contract's
 * own example answers (held against the response schemas) come out field
 * by field, and answers that break the contract are KSEF_EPARSE; a
 * request's subject is exactly the enrolment data and its signature
 * verifies; the encrypted key and the PKCS#12 file open with the
 * passphrase and not without; and the whole enrolment runs against a
 * scripted server, to the files, to a refusal and to its time limit.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include "ksef/ksef.h"
#include "ksef/client_certificates.h"
#include "client_int.h"
#include "client_certificates_int.h"
#include "contract.h"

#define PASS "correct horse battery staple"
#define SERIAL "0321C82DA41B4362"
#define REF "20251010-EH-1B6C9EB000-4B15D3AEB9-89"
#define NEXT "\n--next-answer--\n"
#define OK_JSON "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"

static int setup(void **state)
{
	(void)state;
	return contract_load();
}

static int teardown(void **state)
{
	(void)state;
	contract_unload();
	return 0;
}

static void assert_request(const json_t *body, const char *path,
			   const char *method)
{
	char why[512] = "";

	if (contract_check(body, contract_request_schema(path, method), "body",
			   why, sizeof(why)) != 0)
		fail_msg("%s %s: %s", method, path, why);
}

static void assert_answer(const char *text, const char *path,
			  const char *method, int status)
{
	char why[512] = "";
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	if (contract_check(j, contract_response_schema(path, method, status,
			   "application/json"), "answer", why,
			   sizeof(why)) != 0)
		fail_msg("%s %s: %s", method, path, why);
	json_decref(j);
}

/* The contract's example answer of an operation, as JSON text (free()). */
static char *example(const char *path, const char *method, const char *status)
{
	json_t *ex = json_object_get(json_object_get(json_object_get(
		json_object_get(json_object_get(json_object_get(
		json_object_get(json_object_get(contract_api, "paths"), path),
		method), "responses"), status), "content"),
		"application/json"), "example");
	char *s;

	if (ex == NULL)
		fail_msg("%s %s %s has no example", method, path, status);
	s = json_dumps(ex, JSON_COMPACT);
	assert_non_null(s);
	return s;
}

/* A client of a server that is never reached: answers are scripted. */
static ksef_client *client(const char *token)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;

	o.base_url = "http://127.0.0.1:1/v2";
	o.max_retries = 0;
	o.max_rate_limit_waits = 0;
	assert_int_equal(ksef_client_new(&c, &o, NULL), 0);
	if (token != NULL)
		assert_int_equal(ksef_client_set_access_token(c, token, NULL),
				 0);
	return c;
}

/* Script c with the answers (each a whole HTTP answer), kept in *keep
 * until the test frees it: the script is borrowed. */
static void script(ksef_client *c, ksef_buf *keep, const char *const *answers,
		   size_t n)
{
	size_t i;

	ksef_buf_dispose(keep);
	for (i = 0; i < n; i++) {
		size_t len = strlen(answers[i]);
		unsigned char *p = realloc(keep->ptr, keep->size + len +
					   sizeof(NEXT));

		assert_non_null(p);
		memcpy(p + keep->size, answers[i], len);
		memcpy(p + keep->size + len, NEXT, sizeof(NEXT));
		keep->ptr = p;
		keep->size += len + sizeof(NEXT) - 1;
	}
	ksef__client_script(c, keep->ptr, keep->size);
}

/* An HTTP 200 (or status) answer with a JSON body (free() it). */
static char *answer(int status, const char *body)
{
	size_t n = strlen(body) + 128;
	char *s = malloc(n);

	assert_non_null(s);
	snprintf(s, n, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		 "\r\n%s", status, body);
	return s;
}

/*
 * Request bodies
 */

static void enroll_body_matches_EnrollCertificateRequest(void **state)
{
	static const unsigned char csr[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	ksef_client_enrollment r = KSEF_CLIENT_ENROLLMENT_INIT;
	json_t *body = NULL;

	(void)state;
	r.certificate_name = "Certyfikat Łódź_1-a";
	r.certificate_type = "Offline";
	r.csr_der = csr;
	r.csr_len = sizeof(csr);
	assert_int_equal(ksef__client_build_enroll_body(&body, &r, NULL), 0);
	assert_request(body, "/certificates/enrollments", "post");
	assert_string_equal(json_string_value(json_object_get(body, "csr")),
			    "MAMCAQA=");
	assert_null(json_object_get(body, "validFrom"));
	json_decref(body);

	r.certificate_type = "Authentication";
	r.valid_from_ms = INT64_C(1767225600000); /* 2026-01-01T00:00Z */
	assert_int_equal(ksef__client_build_enroll_body(&body, &r, NULL), 0);
	assert_request(body, "/certificates/enrollments", "post");
	assert_string_equal(json_string_value(json_object_get(body,
		"validFrom")), "2026-01-01T01:00:00.000+01:00");
	json_decref(body);
}

static void enroll_fields_the_schema_refuses_are_einval(void **state)
{
	static const unsigned char csr[] = { 0x30, 0x00 };
	static const struct {
		const char *name, *type;
		size_t csr_len;
		const char *field;
	} bad[] = {
		{ "abcd", "Offline", 2, "certificateName" },  /* 4 chars */
		{ "Łódźx", "Offline", 2, NULL },              /* 5: fine */
		{ "name/with/slash", "Offline", 2, "certificateName" },
		{ "tab\there", "Offline", 2, "certificateName" },
		{ "émile name", "Offline", 2, "certificateName" },
		{ NULL, "Offline", 2, "certificateName" },
		{ "Good name", "offline", 2, "certificateType" },
		{ "Good name", NULL, 2, "certificateType" },
		{ "Good name", "Offline", 0, "csr" },
	};
	char longname[102];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ksef_client_enrollment r = KSEF_CLIENT_ENROLLMENT_INIT;
		json_t *body = NULL;
		ksef_error err;
		int rc;

		r.certificate_name = bad[i].name;
		r.certificate_type = bad[i].type;
		r.csr_der = csr;
		r.csr_len = bad[i].csr_len;
		rc = ksef__client_build_enroll_body(&body, &r, &err);
		if (bad[i].field == NULL) {
			assert_int_equal(rc, 0);
			assert_request(body, "/certificates/enrollments",
				       "post");
			json_decref(body);
			continue;
		}
		assert_int_equal(rc, KSEF_EINVAL);
		assert_null(body);
		if (strstr(err.message, bad[i].field) == NULL)
			fail_msg("%zu: '%s' does not name %s", i, err.message,
				 bad[i].field);
	}
	/* 100 characters is the bound, 101 one past it. */
	memset(longname, 'a', 101);
	longname[101] = '\0';
	{
		ksef_client_enrollment r = KSEF_CLIENT_ENROLLMENT_INIT;
		json_t *body = NULL;

		r.certificate_name = longname;
		r.certificate_type = "Offline";
		r.csr_der = csr;
		r.csr_len = 2;
		assert_int_equal(ksef__client_build_enroll_body(&body, &r,
								NULL),
				 KSEF_EINVAL);
		longname[100] = '\0';
		assert_int_equal(ksef__client_build_enroll_body(&body, &r,
								NULL), 0);
		json_decref(body);
		r.version = KSEF_CLIENT_ENROLLMENT_VERSION + 1;
		assert_int_equal(ksef__client_build_enroll_body(&body, &r,
								NULL),
				 KSEF_EINVAL);
	}
}

static void retrieve_body_matches_and_checks_serials(void **state)
{
	const char *serials[11];
	json_t *body = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < 11; i++)
		serials[i] = SERIAL;
	assert_int_equal(ksef__client_build_retrieve_body(&body, serials, 10,
							  NULL), 0);
	assert_request(body, "/certificates/retrieve", "post");
	assert_int_equal(json_array_size(json_object_get(body,
		"certificateSerialNumbers")), 10);
	json_decref(body);
	assert_int_equal(ksef__client_build_retrieve_body(&body, serials, 11,
							  NULL), KSEF_EINVAL);
	assert_int_equal(ksef__client_build_retrieve_body(&body, serials, 0,
							  NULL), KSEF_EINVAL);
	serials[3] = "0321c82da41b4362"; /* lower case */
	assert_int_equal(ksef__client_build_retrieve_body(&body, serials, 5,
							  NULL), KSEF_EINVAL);
	serials[3] = "0321C82DA41B436"; /* 15 */
	assert_int_equal(ksef__client_build_retrieve_body(&body, serials, 5,
							  NULL), KSEF_EINVAL);
	assert_null(body);
}

static void query_body_and_path_match_the_contract(void **state)
{
	ksef_client_certificate_query q = KSEF_CLIENT_CERTIFICATE_QUERY_INIT;
	ksef_buf path = KSEF_BUF_INIT;
	json_t *body = NULL;

	(void)state;
	assert_int_equal(ksef__client_build_certificate_query(&body, &path,
							      &q, NULL), 0);
	assert_request(body, "/certificates/query", "post");
	assert_int_equal(json_object_size(body), 0);
	assert_string_equal((const char *)path.ptr, "/certificates/query");
	json_decref(body);
	ksef_buf_dispose(&path);

	q.serial_number = SERIAL;
	q.name = "Certyfikat";
	q.type = "Offline";
	q.status = "Active";
	q.expires_after_ms = 0;
	q.page_size = 50;
	q.page_offset = 2;
	assert_int_equal(ksef__client_build_certificate_query(&body, &path,
							      &q, NULL), 0);
	assert_request(body, "/certificates/query", "post");
	assert_int_equal(json_object_size(body), 5);
	assert_string_equal((const char *)path.ptr,
			    "/certificates/query?pageSize=50&pageOffset=2");
	json_decref(body);
	ksef_buf_dispose(&path);
}

static void query_filters_the_schema_refuses_are_einval(void **state)
{
	static const struct {
		const char *serial, *type, *status;
		int size, offset;
	} bad[] = {
		{ "XYZ", NULL, NULL, 0, 0 },
		{ NULL, "Both", NULL, 0, 0 },
		{ NULL, NULL, "Gone", 0, 0 },
		{ NULL, NULL, NULL, 9, 0 },
		{ NULL, NULL, NULL, 51, 0 },
		{ NULL, NULL, NULL, 10, -1 },
		{ NULL, NULL, NULL, -1, 0 }, /* name "\xff" below */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ksef_client_certificate_query q =
			KSEF_CLIENT_CERTIFICATE_QUERY_INIT;
		ksef_buf path = KSEF_BUF_INIT;
		json_t *body = NULL;

		q.serial_number = bad[i].serial;
		q.type = bad[i].type;
		q.status = bad[i].status;
		q.page_size = bad[i].size;
		q.page_offset = bad[i].offset;
		if (bad[i].size < 0) {
			q.name = "\xff";
			q.page_size = 0;
		}
		if (ksef__client_build_certificate_query(&body, &path, &q,
							 NULL) != KSEF_EINVAL)
			fail_msg("%zu: accepted", i);
		assert_null(body);
		ksef_buf_dispose(&path);
	}
}

static void revoke_body_matches_RevokeCertificateRequest(void **state)
{
	static const char *const reasons[] = { "Unspecified", "Superseded",
					       "KeyCompromise", NULL };
	json_t *body = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_int_equal(ksef__client_build_revoke_body(&body,
					reasons[i], NULL), 0);
		assert_request(body, "/certificates/{certificateSerialNumber}"
			       "/revoke", "post");
		json_decref(body);
	}
	assert_int_equal(ksef__client_build_revoke_body(&body, "Lost", NULL),
			 KSEF_EINVAL);
	assert_null(body);
}

static void peppol_pages_are_10_to_100(void **state)
{
	ksef_buf path = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef__client_peppol_path(&path, 100, 3, NULL), 0);
	assert_string_equal((const char *)path.ptr,
			    "/peppol/query?pageSize=100&pageOffset=3");
	ksef_buf_dispose(&path);
	assert_int_equal(ksef__client_peppol_path(&path, 0, 0, NULL), 0);
	assert_string_equal((const char *)path.ptr, "/peppol/query");
	ksef_buf_dispose(&path);
	assert_int_equal(ksef__client_peppol_path(&path, 101, 0, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef__client_peppol_path(&path, 10, -1, NULL),
			 KSEF_EINVAL);
	ksef_buf_dispose(&path);
}

/*
 * Answers
 */

static const char limits_answer[] =
	"{\"canRequest\":true,\"enrollment\":{\"remaining\":3,\"limit\":6},"
	"\"certificate\":{\"remaining\":1,\"limit\":2}}";

static void limits_are_read_field_by_field(void **state)
{
	ksef_client *c = client("a.b.c");
	ksef_api_certificate_limits *l = NULL;
	ksef_buf keep = KSEF_BUF_INIT;
	char *a = answer(200, limits_answer);
	ksef_error err;

	(void)state;
	assert_answer(limits_answer, "/certificates/limits", "get", 200);
	script(c, &keep, (const char *const *)&a, 1);
	if (ksef_client_certificates_limits(&l, c, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(l->can_request, 1);
	assert_int_equal(l->enrollment_remaining, 3);
	assert_int_equal(l->enrollment_limit, 6);
	assert_int_equal(l->certificate_remaining, 1);
	assert_int_equal(l->certificate_limit, 2);
	ksef_api_certificate_limits_free(l);
	ksef_client_free(c);
	ksef_buf_dispose(&keep);
	free(a);
}

static void enrollment_data_example_is_read(void **state)
{
	char *ex = example("/certificates/enrollments/data", "get", "200");
	char *a = answer(200, ex);
	ksef_client *c = client("a.b.c");
	ksef_api_enrollment_data *d = NULL;
	ksef_buf keep = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	assert_answer(ex, "/certificates/enrollments/data", "get", 200);
	script(c, &keep, (const char *const *)&a, 1);
	if (ksef_client_certificates_enrollment_data(&d, c, &err) != 0)
		fail_msg("%s", err.message);
	assert_string_equal(d->common_name, "Firma Kowalski Certyfikat");
	assert_string_equal(d->country_name, "PL");
	assert_string_equal(d->serial_number, "ABC123456789");
	assert_string_equal(d->organization_identifier, "7762811692");
	assert_null(d->given_name);
	assert_null(d->surname);
	ksef_api_enrollment_data_free(d);
	ksef_client_free(c);
	ksef_buf_dispose(&keep);
	free(a);
	free(ex);
}

static void enrollment_and_status_examples_are_read(void **state)
{
	char *ex[2] = { example("/certificates/enrollments", "post", "202"),
			example("/certificates/enrollments/{referenceNumber}",
				"get", "200") };
	char *a[2] = { answer(202, ex[0]), answer(200, ex[1]) };
	static const unsigned char csr[] = { 0x30, 0x00 };
	ksef_client_enrollment r = KSEF_CLIENT_ENROLLMENT_INIT;
	ksef_client *c = client("a.b.c");
	ksef_api_enrollment *e = NULL;
	ksef_api_enrollment_status *s = NULL;
	ksef_buf keep = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	assert_answer(ex[0], "/certificates/enrollments", "post", 202);
	assert_answer(ex[1], "/certificates/enrollments/{referenceNumber}",
		      "get", 200);
	script(c, &keep, (const char *const *)a, 2);
	r.certificate_name = "Mój certyfikat";
	r.certificate_type = "Authentication";
	r.csr_der = csr;
	r.csr_len = sizeof(csr);
	if (ksef_client_certificates_enroll(&e, c, &r, &err) != 0)
		fail_msg("%s", err.message);
	assert_string_equal(e->reference_number, REF);
	assert_true(e->timestamp_ms > 0);
	if (ksef_client_certificates_enrollment_status(&s, c,
			e->reference_number, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(s->status->code, 100);
	assert_null(s->certificate_serial_number);
	assert_int_equal(s->request_date_ms, e->timestamp_ms);
	ksef_api_enrollment_status_free(s);
	ksef_api_enrollment_free(e);
	ksef_client_free(c);
	ksef_buf_dispose(&keep);
	free(a[0]);
	free(a[1]);
	free(ex[0]);
	free(ex[1]);
}

static void retrieve_example_is_decoded(void **state)
{
	char *ex = example("/certificates/retrieve", "post", "200");
	char *a = answer(200, ex);
	const char *serials[] = { SERIAL };
	ksef_client *c = client("a.b.c");
	ksef_api_retrieved_certificates *l = NULL;
	const ksef_api_retrieved_certificate *rc;
	ksef_buf keep = KSEF_BUF_INIT;
	ksef_error err;
	size_t i;

	(void)state;
	assert_answer(ex, "/certificates/retrieve", "post", 200);
	script(c, &keep, (const char *const *)&a, 1);
	if (ksef_client_certificates_retrieve(&l, c, serials, 1, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(ksef_api_retrieved_certificates_count(l), 1);
	rc = ksef_api_retrieved_certificates_at(l, 0);
	assert_non_null(rc);
	assert_null(ksef_api_retrieved_certificates_at(l, 1));
	assert_string_equal(rc->serial_number, SERIAL);
	assert_string_equal(rc->type, "Authentication");
	/* The example is the bytes 0, 1, 2... in turn. */
	assert_true(rc->der_len > 256);
	for (i = 0; i < rc->der_len; i++)
		assert_int_equal(rc->der[i], i & 0xFF);
	ksef_api_retrieved_certificates_free(l);
	ksef_client_free(c);
	ksef_buf_dispose(&keep);
	free(a);
	free(ex);
}

static void query_example_is_read_with_has_more(void **state)
{
	char *ex = example("/certificates/query", "post", "200");
	char *a = answer(200, ex);
	ksef_client_certificate_query q = KSEF_CLIENT_CERTIFICATE_QUERY_INIT;
	ksef_client *c = client("a.b.c");
	ksef_api_certificate_list *l = NULL;
	const ksef_api_certificate_info *i;
	ksef_buf keep = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	assert_answer(ex, "/certificates/query", "post", 200);
	script(c, &keep, (const char *const *)&a, 1);
	if (ksef_client_certificates_query(&l, c, &q, &err) != 0)
		fail_msg("%s", err.message);
	assert_true(ksef_api_certificate_list_count(l) >= 1);
	i = ksef_api_certificate_list_at(l, 0);
	assert_string_equal(i->serial_number, "018209160C631F1E");
	assert_string_equal(i->name, "Certyfikat 1");
	assert_string_equal(i->type, "Authentication");
	assert_string_equal(i->common_name, "Jan Kowalski");
	assert_string_equal(i->status, "Active");
	assert_string_equal(i->subject_identifier_type, "Nip");
	assert_string_equal(i->subject_identifier_value, "1234445678");
	assert_true(i->valid_to_ms > i->valid_from_ms);
	assert_true(i->last_use_date_ms != KSEF_TIME_UNSET);
	assert_int_equal(ksef_api_certificate_list_has_more(l),
			 strstr(ex, "\"hasMore\":true") != NULL);
	ksef_api_certificate_list_free(l);
	ksef_client_free(c);
	ksef_buf_dispose(&keep);
	free(a);
	free(ex);
}

static void peppol_example_is_read_without_a_token(void **state)
{
	char *ex = example("/peppol/query", "get", "200");
	char *a = answer(200, ex);
	ksef_client *c = client(NULL);
	ksef_api_peppol_list *l = NULL;
	const ksef_api_peppol_provider *p;
	ksef_buf keep = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	script(c, &keep, (const char *const *)&a, 1);
	if (ksef_client_peppol_query(&l, c, 0, 0, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(ksef_api_peppol_list_count(l), 1);
	p = ksef_api_peppol_list_at(l, 0);
	assert_string_equal(p->id, "P123456789");
	assert_string_equal(p->name, "Dostawca usług Peppol");
	assert_true(p->date_created_ms > 0);
	assert_int_equal(ksef_api_peppol_list_has_more(l), 0);
	assert_null(ksef_api_peppol_list_at(l, 1));
	ksef_api_peppol_list_free(l);
	ksef_client_free(c);
	ksef_buf_dispose(&keep);
	free(a);
	free(ex);
}

static void answers_that_break_the_contract_are_eparse(void **state)
{
	/* Which call, and its answer. */
	static const struct {
		int call;
		const char *body, *field;
	} bad[] = {
		{ 0, "{\"enrollment\":{\"remaining\":3,\"limit\":6},"
		  "\"certificate\":{\"remaining\":1,\"limit\":2}}",
		  "canRequest" },
		{ 0, "{\"canRequest\":true,\"enrollment\":{\"limit\":6},"
		  "\"certificate\":{\"remaining\":1,\"limit\":2}}",
		  "remaining" },
		{ 1, "{\"commonName\":\"X\"}", "countryName" },
		{ 1, "{\"commonName\":\"X\",\"countryName\":\"Poland\"}",
		  "countryName" },
		{ 1, "{\"commonName\":7,\"countryName\":\"PL\"}",
		  "commonName" },
		{ 2, "{\"requestDate\":\"2025-10-11T12:23:56+00:00\","
		  "\"status\":{\"code\":200,\"description\":\"ok\"},"
		  "\"certificateSerialNumber\":\"../../x/revoke00\"}",
		  "certificateSerialNumber" },
		{ 2, "{\"requestDate\":\"yesterday\",\"status\":{\"code\":"
		  "200,\"description\":\"ok\"}}", "requestDate" },
		{ 3, "{\"certificates\":[{\"certificate\":\"AAE=\n\","
		  "\"certificateName\":\"n\",\"certificateSerialNumber\":\""
		  SERIAL "\",\"certificateType\":\"Offline\"}]}",
		  "certificate" },
		{ 3, "{\"certificates\":[{\"certificate\":\"AAE=\","
		  "\"certificateName\":\"n\",\"certificateSerialNumber\":\""
		  SERIAL "\",\"certificateType\":\"Signing\"}]}",
		  "certificateType" },
		{ 4, "{\"certificates\":[]}", "hasMore" },
		{ 4, "{\"certificates\":[{\"certificateSerialNumber\":\""
		  SERIAL "\"}],\"hasMore\":false}", "name" },
		{ 5, "{\"peppolProviders\":[{\"id\":\"P 1\",\"name\":\"n\","
		  "\"dateCreated\":\"2025-07-11T12:23:56+00:00\"}],"
		  "\"hasMore\":false}", "id" },
		{ 5, "{\"peppolProviders\":[],\"hasMore\":\"no\"}",
		  "hasMore" },
	};
	const char *serials[] = { SERIAL };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ksef_client_certificate_query q =
			KSEF_CLIENT_CERTIFICATE_QUERY_INIT;
		ksef_client *c = client("a.b.c");
		ksef_buf keep = KSEF_BUF_INIT;
		char *a = answer(200, bad[i].body);
		void *res = NULL;
		ksef_error err;
		int rc = 0;

		script(c, &keep, (const char *const *)&a, 1);
		switch (bad[i].call) {
		case 0:
			rc = ksef_client_certificates_limits(
				(ksef_api_certificate_limits **)&res, c, &err);
			break;
		case 1:
			rc = ksef_client_certificates_enrollment_data(
				(ksef_api_enrollment_data **)&res, c, &err);
			break;
		case 2:
			rc = ksef_client_certificates_enrollment_status(
				(ksef_api_enrollment_status **)&res, c, REF,
				&err);
			break;
		case 3:
			rc = ksef_client_certificates_retrieve(
				(ksef_api_retrieved_certificates **)&res, c,
				serials, 1, &err);
			break;
		case 4:
			rc = ksef_client_certificates_query(
				(ksef_api_certificate_list **)&res, c, &q,
				&err);
			break;
		default:
			rc = ksef_client_peppol_query(
				(ksef_api_peppol_list **)&res, c, 0, 0, &err);
			break;
		}
		if (rc != KSEF_EPARSE)
			fail_msg("%zu: %d, not EPARSE", i, rc);
		assert_null(res);
		if (strstr(err.message, bad[i].field) == NULL)
			fail_msg("%zu: '%s' does not name %s", i, err.message,
				 bad[i].field);
		ksef_client_free(c);
		ksef_buf_dispose(&keep);
		free(a);
	}
}

static void error_answers_are_ehttp_with_the_details(void **state)
{
	static const char refused[] =
		"{\"exception\":{\"exceptionDetailList\":[{\"exceptionCode\":"
		"25007,\"exceptionDescription\":\"Osiągnięto limit\","
		"\"details\":[\"limit\"]}],\"serviceCode\":\"x\","
		"\"referenceNumber\":\"" REF "\",\"timestamp\":"
		"\"2025-10-11T12:23:56+00:00\"}}";
	ksef_client *c = client("a.b.c");
	ksef_api_certificate_limits *l = NULL;
	ksef_buf keep = KSEF_BUF_INIT;
	char *a[2] = { answer(400, refused), NULL };
	const ksef_api_error *api;
	ksef_error err;

	(void)state;
	assert_answer(refused, "/certificates/limits", "get", 400);
	script(c, &keep, (const char *const *)a, 1);
	assert_int_equal(ksef_client_certificates_limits(&l, c, &err),
			 KSEF_EHTTP);
	assert_null(l);
	api = ksef_client_last_error(c);
	assert_non_null(api);
	assert_int_equal(api->http_status, 400);
	assert_int_equal(ksef_api_problems_at(api->problems, 0)->code, 25007);

	/* A revocation: 204 is done, 404 is refused. */
	a[1] = answer(404, "{}");
	free(a[0]);
	a[0] = strdup("HTTP/1.1 204 No Content\r\n\r\n");
	script(c, &keep, (const char *const *)a, 2);
	if (ksef_client_certificates_revoke(c, SERIAL, "Superseded", &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(ksef_client_certificates_revoke(c, SERIAL, NULL,
							 &err), KSEF_EHTTP);
	assert_int_equal(ksef_client_last_error(c)->http_status, 404);
	ksef_client_free(c);
	ksef_buf_dispose(&keep);
	free(a[0]);
	free(a[1]);
}

static void every_certificate_call_needs_the_access_token(void **state)
{
	ksef_client_certificate_query q = KSEF_CLIENT_CERTIFICATE_QUERY_INIT;
	ksef_client *c = client(NULL);
	const char *serials[] = { SERIAL };
	void *res = NULL;

	(void)state;
	assert_int_equal(ksef_client_certificates_limits(
		(ksef_api_certificate_limits **)&res, c, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_client_certificates_enrollment_data(
		(ksef_api_enrollment_data **)&res, c, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_client_certificates_enrollment_status(
		(ksef_api_enrollment_status **)&res, c, REF, NULL),
		KSEF_EINVAL);
	assert_int_equal(ksef_client_certificates_retrieve(
		(ksef_api_retrieved_certificates **)&res, c, serials, 1, NULL),
		KSEF_EINVAL);
	assert_int_equal(ksef_client_certificates_query(
		(ksef_api_certificate_list **)&res, c, &q, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_client_certificates_revoke(c, SERIAL, NULL,
							 NULL), KSEF_EINVAL);
	assert_null(res);
	ksef_client_free(c);
	/* And a bad serial is refused before the path is made. */
	c = client("a.b.c");
	assert_int_equal(ksef_client_certificates_revoke(c, "../limits", NULL,
							 NULL), KSEF_EINVAL);
	ksef_client_free(c);
}

/*
 * Requests, keys and files
 */

static const ksef_api_enrollment_data person = {
	"Jan Kowalski", "PL", "Jan Maria", "Kowalski", "TINPL-5265877635",
	NULL, NULL, NULL
};

static const ksef_api_enrollment_data seal = {
	"Firma Łódź", "PL", NULL, NULL, NULL,
	"d9d22724-4696-460c-9e5e-b9e3aafb0af3", "Firma Łódź Sp. z o.o.",
	"VATPL-5265877635"
};

/* The subject's entry of a nid as UTF-8, or NULL (OPENSSL_free it). */
static char *entry(const X509_NAME *n, int nid)
{
	int i = X509_NAME_get_index_by_NID(n, nid, -1);
	unsigned char *u = NULL;

	if (i < 0)
		return NULL;
	assert_true(X509_NAME_get_index_by_NID(n, nid, i) < 0); /* once */
	assert_true(ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(
		X509_NAME_get_entry(n, i))) >= 0);
	return (char *)u;
}

static void assert_entry(const X509_NAME *n, int nid, const char *want)
{
	char *got = entry(n, nid);

	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
	OPENSSL_free(got);
}

static void check_csr(const ksef_buf *csr, const ksef_api_enrollment_data *d,
		      int key_id)
{
	const unsigned char *p = csr->ptr;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)csr->size);
	const X509_NAME *n;
	EVP_PKEY *pub;

	assert_non_null(req);
	assert_ptr_equal(p, csr->ptr + csr->size);
	pub = X509_REQ_get0_pubkey(req);
	assert_int_equal(EVP_PKEY_get_base_id(pub), key_id);
	if (key_id == EVP_PKEY_RSA)
		assert_int_equal(EVP_PKEY_get_bits(pub), 2048);
	assert_int_equal(X509_REQ_verify(req, pub), 1);
	n = X509_REQ_get_subject_name(req);
	/* Exactly the data: no attribute more, none changed. */
	assert_int_equal(X509_NAME_entry_count(n),
			 !!d->common_name + !!d->country_name +
			 !!d->given_name + !!d->surname + !!d->serial_number +
			 !!d->unique_identifier + !!d->organization_name +
			 !!d->organization_identifier);
	assert_entry(n, NID_commonName, d->common_name);
	assert_entry(n, NID_countryName, d->country_name);
	assert_entry(n, NID_givenName, d->given_name);
	assert_entry(n, NID_surname, d->surname);
	assert_entry(n, NID_serialNumber, d->serial_number);
	assert_entry(n, NID_x500UniqueIdentifier, d->unique_identifier);
	assert_entry(n, NID_organizationName, d->organization_name);
	assert_entry(n, NID_organizationIdentifier,
		     d->organization_identifier);
	X509_REQ_free(req);
}

/* Load a PEM key with a passphrase (NULL: none), as a caller would. */
static EVP_PKEY *load_key(const ksef_buf *pem, const char *pass)
{
	BIO *b = BIO_new_mem_buf(pem->ptr, (int)pem->size);
	EVP_PKEY *k;

	assert_non_null(b);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)(pass ? pass : ""));
	BIO_free(b);
	ERR_clear_error();
	return k;
}

static void csr_subject_is_the_enrolment_data_and_verifies(void **state)
{
	ksef_buf csr = KSEF_BUF_INIT, key = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef_certificate_csr_new(&csr, &key, &person,
			 KSEF_XADES_KEY_RSA_2048, PASS, NULL), 0);
	check_csr(&csr, &person, EVP_PKEY_RSA);
	ksef_buf_dispose(&csr);
	ksef_buf_dispose_secure(&key);
	assert_int_equal(ksef_certificate_csr_new(&csr, &key, &seal,
			 KSEF_XADES_KEY_EC_P256, PASS, NULL), 0);
	check_csr(&csr, &seal, EVP_PKEY_EC);
	ksef_buf_dispose(&csr);
	ksef_buf_dispose_secure(&key);
}

static void csr_key_is_encrypted_pkcs8_that_needs_the_passphrase(void **state)
{
	ksef_buf csr = KSEF_BUF_INIT, key = KSEF_BUF_INIT;
	EVP_PKEY *k;
	const unsigned char *p;
	X509_REQ *req;

	(void)state;
	assert_int_equal(ksef_certificate_csr_new(&csr, &key, &person,
			 KSEF_XADES_KEY_EC_P256, PASS, NULL), 0);
	assert_non_null(strstr((const char *)key.ptr,
			       "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
	assert_null(load_key(&key, NULL));
	assert_null(load_key(&key, "wrong"));
	k = load_key(&key, PASS);
	assert_non_null(k);
	/* It is the request's key. */
	p = csr.ptr;
	req = d2i_X509_REQ(NULL, &p, (long)csr.size);
	assert_int_equal(EVP_PKEY_eq(k, X509_REQ_get0_pubkey(req)), 1);
	/* PBES2: PBKDF2 and AES-256-CBC, as `openssl asn1parse` shows. */
	ts_write_file("pkcs8_test.pem", key.ptr, key.size);
	assert_int_equal(ts_system("openssl asn1parse -in pkcs8_test.pem | "
		"grep -q PBKDF2 && openssl asn1parse -in pkcs8_test.pem | "
		"grep -q aes-256-cbc"), 0);
	remove("pkcs8_test.pem");
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	ksef_buf_dispose(&csr);
	ksef_buf_dispose_secure(&key);
}

static void csr_arguments_the_docs_refuse_are_einval(void **state)
{
	ksef_api_enrollment_data no_cn = person;
	ksef_buf csr = KSEF_BUF_INIT, key = KSEF_BUF_INIT;

	(void)state;
	no_cn.common_name = NULL;
	assert_int_equal(ksef_certificate_csr_new(&csr, &key, &person,
			 KSEF_XADES_KEY_EC_P256, "", NULL), KSEF_EINVAL);
	assert_int_equal(ksef_certificate_csr_new(&csr, &key, &person,
			 KSEF_XADES_KEY_EC_P256, NULL, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_certificate_csr_new(&csr, &key, &no_cn,
			 KSEF_XADES_KEY_EC_P256, PASS, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_certificate_csr_new(&csr, &key, &person,
			 (ksef_xades_key_type)7, PASS, NULL), KSEF_EINVAL);
	assert_null(csr.ptr);
	assert_null(key.ptr);
}

/* A self-signed certificate for key, DER, as KSeF would issue one. */
static void issue(ksef_buf *der, EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *n;
	unsigned char *p = NULL;
	int len;

	assert_non_null(x);
	n = X509_get_subject_name(x);
	assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
		(const unsigned char *)cn, -1, -1, 0));
	assert_true(X509_set_issuer_name(x, n));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 0x0321));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_true(X509_set_pubkey(x, key));
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	len = i2d_X509(x, &p);
	assert_true(len > 0);
	ksef_buf_dispose(der);
	der->ptr = malloc((size_t)len + 1);
	assert_non_null(der->ptr);
	memcpy(der->ptr, p, (size_t)len);
	der->size = (size_t)len;
	OPENSSL_free(p);
	X509_free(x);
}

static void pkcs12_round_trip_opens_with_the_passphrase_only(void **state)
{
	ksef_buf csr = KSEF_BUF_INIT, key = KSEF_BUF_INIT, der = KSEF_BUF_INIT,
		 p12 = KSEF_BUF_INIT, pem = KSEF_BUF_INIT;
	ksef_xades_signer *s = NULL;
	EVP_PKEY *k, *other;

	(void)state;
	assert_int_equal(ksef_certificate_csr_new(&csr, &key, &person,
			 KSEF_XADES_KEY_RSA_2048, PASS, NULL), 0);
	k = load_key(&key, PASS);
	issue(&der, k, "Jan Kowalski");
	assert_int_equal(ksef_certificate_pkcs12(&p12, key.ptr, key.size, PASS,
			 der.ptr, der.size, PASS, "KSeF", NULL), 0);
	assert_int_equal(ksef_xades_signer_from_pkcs12(&s, p12.ptr, p12.size,
						       PASS, NULL), 0);
	ksef_xades_signer_free(s);
	s = NULL;
	assert_int_equal(ksef_xades_signer_from_pkcs12(&s, p12.ptr, p12.size,
						       "wrong", NULL),
			 KSEF_EPARSE);
	assert_int_equal(ksef_xades_signer_from_pkcs12(&s, p12.ptr, p12.size,
						       NULL, NULL),
			 KSEF_EPARSE);
	assert_null(s);
	/* The PEM pair opens as `ksef auth login --cert --key` opens it. */
	assert_int_equal(ksef_certificate_der_to_pem(&pem, der.ptr, der.size,
						     NULL), 0);
	assert_int_equal(ksef_xades_signer_new(&s, key.ptr, key.size, pem.ptr,
					       pem.size, PASS, NULL), 0);
	ksef_xades_signer_free(s);
	s = NULL;
	assert_int_equal(ksef_xades_signer_new(&s, key.ptr, key.size, pem.ptr,
					       pem.size, NULL, NULL),
			 KSEF_EPARSE);
	/* The file's algorithms: AES-256-CBC bags, the MAC SHA-256. */
	ts_write_file("p12_test.p12", p12.ptr, p12.size);
	assert_int_equal(ts_system("openssl pkcs12 -in p12_test.p12 -info "
		"-noout -passin pass:'" PASS "' 2>&1 | grep -q "
		"'PBES2, PBKDF2, AES-256-CBC' && openssl pkcs12 -in "
		"p12_test.p12 -info -noout -passin pass:'" PASS "' 2>&1 | "
		"grep -q 'MAC: sha256'"), 0);
	remove("p12_test.p12");
	/* Wrong key passphrase, and a key not the certificate's. */
	assert_int_equal(ksef_certificate_pkcs12(&p12, key.ptr, key.size,
			 "wrong", der.ptr, der.size, PASS, NULL, NULL),
			 KSEF_EPARSE);
	other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	issue(&der, other, "Someone else");
	assert_int_equal(ksef_certificate_pkcs12(&p12, key.ptr, key.size,
			 PASS, der.ptr, der.size, PASS, NULL, NULL),
			 KSEF_EXADES_CERT);
	assert_int_equal(ksef_certificate_der_to_pem(&pem, csr.ptr, csr.size,
						     NULL), KSEF_EPARSE);
	EVP_PKEY_free(other);
	EVP_PKEY_free(k);
	ksef_buf_dispose(&csr);
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&der);
	ksef_buf_dispose(&pem);
	ksef_buf_dispose_secure(&p12);
}

/*
 * The whole enrolment
 */

static const char data_answer[] =
	"{\"commonName\":\"Jan Kowalski\",\"countryName\":\"PL\","
	"\"givenName\":\"Jan\",\"surname\":\"Kowalski\","
	"\"serialNumber\":\"TINPL-5265877635\"}";
static const char enroll_answer[] =
	"{\"referenceNumber\":\"" REF "\",\"timestamp\":"
	"\"2025-10-11T12:23:56.0154302+00:00\"}";
static const char pending[] =
	"{\"requestDate\":\"2025-10-11T12:23:56+00:00\",\"status\":{\"code\":"
	"100,\"description\":\"Wniosek przyjęty do realizacji\"}}";
static const char issued[] =
	"{\"requestDate\":\"2025-10-11T12:23:56+00:00\",\"status\":{\"code\":"
	"200,\"description\":\"Wniosek obsłużony\"},"
	"\"certificateSerialNumber\":\"" SERIAL "\"}";
static const char refused[] =
	"{\"requestDate\":\"2025-10-11T12:23:56+00:00\",\"status\":{\"code\":"
	"400,\"description\":\"Wniosek odrzucony\",\"details\":[\"Klucz "
	"publiczny został już certyfikowany przez inny podmiot.\"]}}";

/* The answers of a whole enrolment, the certificate issued for key. */
static void enrolment_script(char **a, EVP_PKEY *key)
{
	ksef_buf der = KSEF_BUF_INIT, b64 = KSEF_BUF_INIT;
	char *body;
	size_t n;

	issue(&der, key, "Jan Kowalski");
	assert_int_equal(ksef_base64_encode(&b64, der.ptr, der.size, NULL), 0);
	n = b64.size + 256;
	body = malloc(n);
	assert_non_null(body);
	snprintf(body, n, "{\"certificates\":[{\"certificate\":\"%s\","
		 "\"certificateName\":\"Mój certyfikat\","
		 "\"certificateSerialNumber\":\"" SERIAL "\","
		 "\"certificateType\":\"Authentication\"}]}",
		 (const char *)b64.ptr);
	assert_answer(data_answer, "/certificates/enrollments/data", "get",
		      200);
	assert_answer(enroll_answer, "/certificates/enrollments", "post", 202);
	assert_answer(issued, "/certificates/enrollments/{referenceNumber}",
		      "get", 200);
	assert_answer(refused, "/certificates/enrollments/{referenceNumber}",
		      "get", 200);
	assert_answer(body, "/certificates/retrieve", "post", 200);
	a[0] = answer(200, data_answer);
	a[1] = answer(202, enroll_answer);
	a[2] = answer(200, pending);
	a[3] = answer(200, pending);
	a[4] = answer(200, issued);
	a[5] = answer(200, body);
	free(body);
	ksef_buf_dispose(&der);
	ksef_buf_dispose(&b64);
}

static void obtain_runs_from_the_data_to_the_files(void **state)
{
	ksef_client_enroll_options o = KSEF_CLIENT_ENROLL_OPTIONS_INIT;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ksef_enrolled_certificate *e = NULL;
	ksef_xades_signer *s = NULL;
	ksef_client *c = client("a.b.c");
	ksef_buf keep = KSEF_BUF_INIT, kb = KSEF_BUF_INIT;
	char *a[6];
	ksef_error err;
	size_t i;

	(void)state;
	enrolment_script(a, key);
	script(c, &keep, (const char *const *)a, 6);
	o.certificate_name = "Mój certyfikat";
	o.certificate_type = "Authentication";
	o.passphrase = PASS;
	o.poll_initial_ms = 1;
	o.poll_max_ms = 2;
	ksef__cert_test_key = key;
	if (ksef_client_certificates_obtain(&e, c, &o, &err) != 0)
		fail_msg("%s", err.message);
	ksef__cert_test_key = NULL;
	assert_string_equal(e->reference_number, REF);
	assert_string_equal(e->serial_number, SERIAL);
	assert_string_equal(e->type, "Authentication");
	assert_non_null(strstr(e->cert_pem, "-----BEGIN CERTIFICATE-----"));
	assert_int_equal(strlen(e->cert_pem), e->cert_pem_len);
	assert_non_null(strstr(e->key_pem,
			       "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
	assert_int_equal(ksef_xades_signer_new(&s,
		(const unsigned char *)e->key_pem, e->key_pem_len,
		(const unsigned char *)e->cert_pem, e->cert_pem_len, PASS,
		NULL), 0);
	ksef_xades_signer_free(s);
	s = NULL;
	assert_int_equal(ksef_xades_signer_from_pkcs12(&s, e->pkcs12,
						       e->pkcs12_len, PASS,
						       NULL), 0);
	ksef_xades_signer_free(s);
	kb.ptr = (unsigned char *)(void *)e->key_pem;
	kb.size = e->key_pem_len;
	assert_null(load_key(&kb, NULL));
	ksef_enrolled_certificate_free(e);
	for (i = 0; i < 6; i++)
		free(a[i]);
	EVP_PKEY_free(key);
	ksef_client_free(c);
	ksef_buf_dispose(&keep);
}

static void obtain_reports_a_refusal_and_the_time_limit(void **state)
{
	ksef_client_enroll_options o = KSEF_CLIENT_ENROLL_OPTIONS_INIT;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"),
		 *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ksef_enrolled_certificate *e = NULL;
	ksef_client *c = client("a.b.c");
	ksef_buf keep = KSEF_BUF_INIT;
	char *a[6], *r;
	const char *many[40];
	ksef_error err;
	size_t i;

	(void)state;
	o.certificate_name = "Mój certyfikat";
	o.certificate_type = "Offline";
	o.passphrase = PASS;
	o.poll_initial_ms = 1;
	o.poll_max_ms = 1;
	ksef__cert_test_key = key;

	/* Refused: status 400 and its reason. */
	enrolment_script(a, key);
	free(a[4]);
	a[4] = answer(200, refused);
	script(c, &keep, (const char *const *)a, 5);
	assert_int_equal(ksef_client_certificates_obtain(&e, c, &o, &err),
			 KSEF_EHTTP);
	assert_non_null(strstr(err.message, "status 400"));
	assert_non_null(strstr(err.message, "certyfikowany"));
	assert_null(e);

	/* A certificate for another key is not taken. */
	for (i = 0; i < 6; i++)
		free(a[i]);
	enrolment_script(a, other);
	script(c, &keep, (const char *const *)a, 6);
	assert_int_equal(ksef_client_certificates_obtain(&e, c, &o, &err),
			 KSEF_EXADES_CERT);
	assert_null(e);

	/* Still 100 after wait_ms: the reference, to ask again later. */
	r = answer(200, pending);
	many[0] = a[0];
	many[1] = a[1];
	for (i = 2; i < 40; i++)
		many[i] = r;
	o.wait_ms = 5;
	script(c, &keep, many, 40);
	assert_int_equal(ksef_client_certificates_obtain(&e, c, &o, &err),
			 KSEF_ENETWORK);
	assert_non_null(strstr(err.message, REF));

	/* Options refused before anything is sent or made. */
	o.passphrase = "";
	assert_int_equal(ksef_client_certificates_obtain(&e, c, &o, &err),
			 KSEF_EINVAL);
	o.passphrase = PASS;
	o.certificate_type = "Both";
	assert_int_equal(ksef_client_certificates_obtain(&e, c, &o, &err),
			 KSEF_EINVAL);
	o.certificate_type = "Offline";
	o.wait_ms = 0;
	assert_int_equal(ksef_client_certificates_obtain(&e, c, &o, &err),
			 KSEF_EINVAL);
	ksef__cert_test_key = NULL;
	for (i = 0; i < 6; i++)
		free(a[i]);
	free(r);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	ksef_client_free(c);
	ksef_buf_dispose(&keep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(enroll_body_matches_EnrollCertificateRequest),
		cmocka_unit_test(enroll_fields_the_schema_refuses_are_einval),
		cmocka_unit_test(retrieve_body_matches_and_checks_serials),
		cmocka_unit_test(query_body_and_path_match_the_contract),
		cmocka_unit_test(query_filters_the_schema_refuses_are_einval),
		cmocka_unit_test(revoke_body_matches_RevokeCertificateRequest),
		cmocka_unit_test(peppol_pages_are_10_to_100),
		cmocka_unit_test(limits_are_read_field_by_field),
		cmocka_unit_test(enrollment_data_example_is_read),
		cmocka_unit_test(enrollment_and_status_examples_are_read),
		cmocka_unit_test(retrieve_example_is_decoded),
		cmocka_unit_test(query_example_is_read_with_has_more),
		cmocka_unit_test(peppol_example_is_read_without_a_token),
		cmocka_unit_test(answers_that_break_the_contract_are_eparse),
		cmocka_unit_test(error_answers_are_ehttp_with_the_details),
		cmocka_unit_test(every_certificate_call_needs_the_access_token),
		cmocka_unit_test(
			csr_subject_is_the_enrolment_data_and_verifies),
		cmocka_unit_test(
		    csr_key_is_encrypted_pkcs8_that_needs_the_passphrase),
		cmocka_unit_test(csr_arguments_the_docs_refuse_are_einval),
		cmocka_unit_test(
			pkcs12_round_trip_opens_with_the_passphrase_only),
		cmocka_unit_test(obtain_runs_from_the_data_to_the_files),
		cmocka_unit_test(obtain_reports_a_refusal_and_the_time_limit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
