/*
 * ksefd_limits_test.c - the limits operations against the real ksefd
 * (limity/limity.md, limity-api.md): the defaults each GET reports, the
 * test data that change them and put them back, and what ksefd enforces
 * of them: a lowered session limit refuses the next invoice with 21155, a
 * lowered size limit refuses a larger invoice, a lowered rate limit
 * answers 429 with a Retry-After that grows with repeated violations, and
 * the production switch enforces the production numbers although this
 * ksefd runs with --rate-limits off. What was set survives a restart;
 * bodies out of the contract's bounds get 21405; the production profile
 * has none of the test-data operations.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "e2e.h"
#include "http_raw.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
#define OTHER_NIP "1234563218"

static struct ksefd_proc srv;

static int setup(void **state)
{
	(void)state;
	memset(&srv, 0, sizeof(srv));
	ksefd_start(&srv, NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ksefd_stop(&srv);
	ksefd_cleanup(&srv);
	return 0;
}

/* One call with l's access token: its status; its JSON body into *out
 * (NULL when it has none) and its first exception code into *code, when
 * asked. */
static long call(const struct ksefd_proc *p, struct login *l,
		 const char *method, const char *path, const char *body,
		 json_t **out, int *code)
{
	struct raw_response r;
	long status;

	raw_request(&r, method, url(p, path),
		    l ? l->tokens->access_token->token : NULL, NULL, body,
		    body ? strlen(body) : 0);
	status = r.status;
	if (code != NULL)
		*code = r.len ? raw_error_code(&r) : 0;
	if (out != NULL)
		*out = r.len ? raw_json(&r) : NULL;
	raw_free(&r);
	return status;
}

static json_t *get_json(struct login *l, const char *path)
{
	json_t *j = NULL;

	assert_int_equal(call(&srv, l, "GET", path, NULL, &j, NULL), 200);
	assert_non_null(j);
	return j;
}

static int member_int(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(o, a), b);

	assert_true(json_is_integer(v));
	return (int)json_integer_value(v);
}

static void assert_session_limits(json_t *j, const char *kind, int mb,
				  int attachment_mb, int invoices)
{
	json_t *o = json_object_get(j, kind);

	assert_int_equal(json_object_size(o), 3);
	assert_int_equal(member_int(j, kind, "maxInvoiceSizeInMB"), mb);
	assert_int_equal(member_int(j, kind,
				    "maxInvoiceWithAttachmentSizeInMB"),
			 attachment_mb);
	assert_int_equal(member_int(j, kind, "maxInvoices"), invoices);
}

/* The twelve groups of EffectiveApiRateLimits with limity-api.md's
 * production numbers, which TEST's defaults equal (changelog 2.5.0). */
static const struct {
	const char *name;
	int s, m, h;
} production[] = {
	{ "onlineSession", 10, 30, 120 },
	{ "batchSession", 10, 20, 60 },
	{ "invoiceSend", 10, 30, 180 },
	{ "invoiceStatus", 30, 120, 1200 },
	{ "sessionList", 5, 10, 60 },
	{ "sessionInvoiceList", 10, 20, 200 },
	{ "sessionMisc", 10, 120, 1200 },
	{ "invoiceMetadata", 8, 16, 20 },
	{ "invoiceExport", 8, 16, 20 },
	{ "invoiceExportStatus", 10, 60, 600 },
	{ "invoiceDownload", 8, 16, 64 },
	{ "other", 10, 30, 120 },
};
#define NGROUPS (sizeof(production) / sizeof(production[0]))

static void assert_rate_limits_are_production(struct login *l)
{
	json_t *j = get_json(l, "/rate-limits");
	size_t i;

	assert_int_equal(json_object_size(j), NGROUPS);
	for (i = 0; i < NGROUPS; i++) {
		assert_int_equal(member_int(j, production[i].name,
					    "perSecond"), production[i].s);
		assert_int_equal(member_int(j, production[i].name,
					    "perMinute"), production[i].m);
		assert_int_equal(member_int(j, production[i].name, "perHour"),
				 production[i].h);
	}
	json_decref(j);
}

/* A SetRateLimitsRequest of the production numbers but sessionList and
 * other, given as "s/m/h" texts. */
static void rate_body(char *out, size_t size, const char *session_list,
		      const char *other)
{
	size_t i, used;
	int s, m, h;

	used = (size_t)snprintf(out, size, "{\"rateLimits\":{");
	for (i = 0; i < NGROUPS; i++) {
		const char *own = strcmp(production[i].name, "sessionList") ==
			0 ? session_list : strcmp(production[i].name,
						  "other") == 0 ? other : NULL;

		s = production[i].s;
		m = production[i].m;
		h = production[i].h;
		if (own != NULL)
			assert_int_equal(sscanf(own, "%d/%d/%d", &s, &m, &h),
					 3);
		used += (size_t)snprintf(out + used, size - used,
			"%s\"%s\":{\"perSecond\":%d,\"perMinute\":%d,"
			"\"perHour\":%d}", i ? "," : "", production[i].name,
			s, m, h);
		assert_true(used < size);
	}
	snprintf(out + used, size - used, "}}");
}

static void the_defaults_are_reported(void **state)
{
	struct login l;
	json_t *j;

	(void)state;
	login_xades(&l, &srv, NIP, NIP, NULL);
	j = get_json(&l, "/limits/context");
	assert_int_equal(json_object_size(j), 2);
	assert_session_limits(j, "onlineSession", 1, 3, 10000);
	assert_session_limits(j, "batchSession", 1, 3, 10000);
	json_decref(j);
	/* A NIP subject: 300 requests and 100 certificates (limity.md). */
	j = get_json(&l, "/limits/subject");
	assert_int_equal(member_int(j, "enrollment", "maxEnrollments"), 300);
	assert_int_equal(member_int(j, "certificate", "maxCertificates"), 100);
	json_decref(j);
	assert_rate_limits_are_production(&l);
	/* Without a token: 401, before anything else. */
	assert_int_equal(call(&srv, NULL, "GET", "/limits/context", NULL, NULL,
			      NULL), 401);
	assert_int_equal(call(&srv, NULL, "DELETE", "/testdata/rate-limits",
			      NULL, NULL, NULL), 401);
	logout(&l);
}

/* Send xml into sref without the library, so the answer's detail shows. */
static long raw_send(struct login *l, const char *sref, ksef_envelope *env,
		     const ksef_buf *xml, json_t **out, int *code)
{
	ksef_buf ct = KSEF_BUF_INIT, b64 = KSEF_BUF_INIT;
	ksef_invoice_meta meta;
	char path[128], *body;
	size_t n;
	long status;
	ksef_error err;

	assert_int_equal(ksef_envelope_seal(&ct, &meta, env, xml->ptr,
					    xml->size, &err), 0);
	assert_int_equal(ksef_base64_encode(&b64, ct.ptr, ct.size, &err), 0);
	ts_replace(&b64, "\n", "");
	n = b64.size + 512;
	body = malloc(n);
	assert_non_null(body);
	snprintf(body, n, "{\"invoiceHash\":\"%s\",\"invoiceSize\":%zu,"
		 "\"encryptedInvoiceHash\":\"%s\",\"encryptedInvoiceSize\":%zu,"
		 "\"encryptedInvoiceContent\":\"%s\"}", meta.invoice_hash,
		 meta.invoice_size, meta.encrypted_hash, meta.encrypted_size,
		 (char *)b64.ptr);
	snprintf(path, sizeof(path), "/sessions/online/%s/invoices", sref);
	status = call(&srv, l, "POST", path, body, out, code);
	free(body);
	ksef_buf_dispose(&ct);
	ksef_buf_dispose(&b64);
	return status;
}

/* The first detail of an ExceptionResponse. */
static const char *detail_of(json_t *j)
{
	json_t *first = json_array_get(json_object_get(json_object_get(j,
		"exception"), "exceptionDetailList"), 0);

	return json_string_value(json_array_get(json_object_get(first,
		"details"), 0));
}

static void a_lowered_session_limit_refuses_the_next_invoice(void **state)
{
	static const char limits[] =
		"{\"onlineSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":2},"
		"\"batchSession\":{\"maxInvoiceSizeInMB\":2,"
		"\"maxInvoiceWithAttachmentSizeInMB\":4,\"maxInvoices\":7}}";
	struct login l;
	ksef_envelope *env = NULL, *env2 = NULL;
	char sref[KSEF_REFNUM_BUFSZ], sref2[KSEF_REFNUM_BUFSZ],
	     iref[KSEF_REFNUM_BUFSZ], want[160];
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_error err;
	json_t *j;
	int code, i;

	(void)state;
	login_xades(&l, &srv, NIP, NIP, NULL);
	assert_int_equal(call(&srv, &l, "POST",
			      "/testdata/limits/context/session", limits, &j,
			      NULL), 200);
	assert_null(j);
	j = get_json(&l, "/limits/context");
	assert_session_limits(j, "onlineSession", 1, 3, 2);
	assert_session_limits(j, "batchSession", 2, 4, 7);
	json_decref(j);

	open_session(&l, KSEF_FORM_FA3, &env, sref);
	for (i = 1; i <= 2; i++) {
		gen(&xml, KSEF_FORM_FA3, NIP, "LIM", (uint64_t)i, NULL);
		send_xml(&l, sref, env, &xml, iref);
	}
	gen(&xml, KSEF_FORM_FA3, NIP, "LIM", 3, NULL);
	assert_int_equal(raw_send(&l, sref, env, &xml, &j, &code), 400);
	assert_int_equal(code, 21155);
	snprintf(want, sizeof(want), "Sesja o numerze referencyjnym %s "
		 "osiągnęła dozwolony limit liczby faktur 2.", sref);
	assert_string_equal(detail_of(j), want);
	json_decref(j);

	/* Back to the defaults: a new session takes a third invoice... */
	assert_int_equal(call(&srv, &l, "DELETE",
			      "/testdata/limits/context/session", NULL, NULL,
			      NULL), 200);
	j = get_json(&l, "/limits/context");
	assert_session_limits(j, "onlineSession", 1, 3, 10000);
	assert_session_limits(j, "batchSession", 1, 3, 10000);
	json_decref(j);
	open_session(&l, KSEF_FORM_FA3, &env2, sref2);
	for (i = 3; i <= 5; i++) {
		gen(&xml, KSEF_FORM_FA3, NIP, "LIM", (uint64_t)i, NULL);
		send_xml(&l, sref2, env2, &xml, iref);
	}
	/* ...while the first keeps the limit it opened with. */
	gen(&xml, KSEF_FORM_FA3, NIP, "LIM", 6, NULL);
	assert_int_equal(raw_send(&l, sref, env, &xml, NULL, &code), 400);
	assert_int_equal(code, 21155);
	/* A second reset changes nothing and is no error. */
	assert_int_equal(call(&srv, &l, "DELETE",
			      "/testdata/limits/context/session", NULL, NULL,
			      NULL), 200);

	assert_int_equal(ksef_client_session_close(l.c, sref, &err), 0);
	assert_int_equal(ksef_client_session_close(l.c, sref2, &err), 0);
	ksef_envelope_free(env);
	ksef_envelope_free(env2);
	ksef_buf_dispose(&xml);
	logout(&l);
}

/* Session limits with online maxInvoiceSizeInMB mb. */
static void set_size_limit(struct login *l, int mb)
{
	char body[300];

	snprintf(body, sizeof(body), "{\"onlineSession\":{"
		 "\"maxInvoiceSizeInMB\":%d,"
		 "\"maxInvoiceWithAttachmentSizeInMB\":3,"
		 "\"maxInvoices\":10000},\"batchSession\":{"
		 "\"maxInvoiceSizeInMB\":1,"
		 "\"maxInvoiceWithAttachmentSizeInMB\":3,"
		 "\"maxInvoices\":10000}}", mb);
	assert_int_equal(call(&srv, l, "POST",
			      "/testdata/limits/context/session", body, NULL,
			      NULL), 200);
}

/* 33 bytes that claim to be an invoice of `declared` bytes: a size check
 * answers at once, or the 202 comes and decryption fails later. */
static long declare_size(struct login *l, const char *sref, long declared,
			 json_t **out, int *code)
{
	unsigned char junk[33];
	char h[KSEF_SHA256_B64_LEN + 1], body[512], path[128];
	ksef_buf b64 = KSEF_BUF_INIT;
	ksef_error err;
	long status;

	memset(junk, 0x5A, sizeof(junk));
	assert_int_equal(ksef_sha256_base64(h, junk, sizeof(junk), &err), 0);
	assert_int_equal(ksef_base64_encode(&b64, junk, sizeof(junk), &err), 0);
	snprintf(body, sizeof(body), "{\"invoiceHash\":\"%s\",\"invoiceSize\":"
		 "%ld,\"encryptedInvoiceHash\":\"%s\",\"encryptedInvoiceSize\":"
		 "33,\"encryptedInvoiceContent\":\"%s\"}", h, declared, h,
		 (char *)b64.ptr);
	snprintf(path, sizeof(path), "/sessions/online/%s/invoices", sref);
	status = call(&srv, l, "POST", path, body, out, code);
	ksef_buf_dispose(&b64);
	return status;
}

static void the_size_limit_follows_the_context(void **state)
{
	struct login l;
	ksef_envelope *env = NULL;
	char sref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ];
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_error err;
	json_t *j;
	int code;

	(void)state;
	login_xades(&l, &srv, NIP, NIP, NULL);
	open_session(&l, KSEF_FORM_FA3, &env, sref);
	/* 1.5 MB is over the default 1 MB... */
	assert_int_equal(declare_size(&l, sref, 1500000, &j, &code), 400);
	assert_int_equal(code, 21405);
	assert_non_null(strstr(detail_of(j), "przekracza limit rozmiaru "
			       "faktury w bieżącym kontekście: 1000000 B"));
	json_decref(j);
	/* ...and within 2 MB, in the session already open. */
	set_size_limit(&l, 2);
	assert_int_equal(declare_size(&l, sref, 1500000, NULL, NULL), 202);
	/* 0 MB takes nothing, not even a small real invoice. */
	set_size_limit(&l, 0);
	gen(&xml, KSEF_FORM_FA3, NIP, "SIZE", 1, NULL);
	assert_int_equal(raw_send(&l, sref, env, &xml, &j, &code), 400);
	assert_int_equal(code, 21405);
	assert_non_null(strstr(detail_of(j), "limit rozmiaru faktury w "
			       "bieżącym kontekście: 0 B"));
	json_decref(j);
	assert_int_equal(call(&srv, &l, "DELETE",
			      "/testdata/limits/context/session", NULL, NULL,
			      NULL), 200);
	send_xml(&l, sref, env, &xml, iref);
	assert_int_equal(ksef_client_session_close(l.c, sref, &err), 0);
	ksef_envelope_free(env);
	ksef_buf_dispose(&xml);
	logout(&l);
}

static void bodies_out_of_bounds_are_refused_with_21405(void **state)
{
	static const char *const session[] = {
		"",
		"[]",
		"{\"onlineSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":5}}",
		"{\"onlineSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,"
		"\"maxInvoices\":100001},\"batchSession\":{"
		"\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":5}}",
		"{\"onlineSession\":{\"maxInvoiceSizeInMB\":6,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":5},"
		"\"batchSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":5}}",
		"{\"onlineSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":11,\"maxInvoices\":5},"
		"\"batchSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":5}}",
		"{\"onlineSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":5},"
		"\"batchSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":-1}}",
		"{\"onlineSession\":{\"maxInvoiceSizeInMB\":1.5,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":5},"
		"\"batchSession\":{\"maxInvoiceSizeInMB\":1,"
		"\"maxInvoiceWithAttachmentSizeInMB\":3,\"maxInvoices\":5}}",
	};
	static const char *const subject[] = {
		"{\"subjectIdentifierType\":\"Token\"}",
		"{\"subjectIdentifierType\":\"Pesel\"}",
		"{\"certificate\":{\"maxCertificates\":-1}}",
		"{\"enrollment\":7}",
	};
	char body[2048];
	struct login l;
	size_t i;
	json_t *j;
	int code;

	(void)state;
	login_xades(&l, &srv, NIP, NIP, NULL);
	for (i = 0; i < sizeof(session) / sizeof(session[0]); i++) {
		assert_int_equal(call(&srv, &l, "POST",
			"/testdata/limits/context/session", session[i][0] ?
			session[i] : NULL, NULL, &code), 400);
		assert_int_equal(code, 21405);
	}
	for (i = 0; i < sizeof(subject) / sizeof(subject[0]); i++) {
		assert_int_equal(call(&srv, &l, "POST",
			"/testdata/limits/subject/certificate", subject[i],
			NULL, &code), 400);
		assert_int_equal(code, 21405);
	}
	/* 0 and one over the production limit, as the live TEST refuses
	 * them; a group missing. */
	rate_body(body, sizeof(body), "0/10/60", "10/30/120");
	assert_int_equal(call(&srv, &l, "POST", "/testdata/rate-limits", body,
			      &j, &code), 400);
	assert_int_equal(code, 21405);
	assert_string_equal(detail_of(j), "Pole 'rateLimits.sessionList."
			    "perSecond' musi być liczbą całkowitą od 1 do 5.");
	json_decref(j);
	rate_body(body, sizeof(body), "5/10/60", "10/30/121");
	assert_int_equal(call(&srv, &l, "POST", "/testdata/rate-limits", body,
			      NULL, &code), 400);
	assert_int_equal(code, 21405);
	assert_int_equal(call(&srv, &l, "POST", "/testdata/rate-limits",
		"{\"rateLimits\":{\"other\":{\"perSecond\":1,\"perMinute\":1,"
		"\"perHour\":1}}}", NULL, &code), 400);
	assert_int_equal(code, 21405);
	/* Nothing refused changed anything. */
	j = get_json(&l, "/limits/context");
	assert_session_limits(j, "onlineSession", 1, 3, 10000);
	json_decref(j);
	j = get_json(&l, "/limits/subject");
	assert_int_equal(member_int(j, "certificate", "maxCertificates"), 100);
	json_decref(j);
	assert_rate_limits_are_production(&l);
	logout(&l);
}

static void subject_limits_are_set_and_restored(void **state)
{
	struct login l;
	json_t *j;

	(void)state;
	login_xades(&l, &srv, NIP, NIP, NULL);
	assert_int_equal(call(&srv, &l, "POST",
		"/testdata/limits/subject/certificate",
		"{\"subjectIdentifierType\":\"Nip\",\"enrollment\":"
		"{\"maxEnrollments\":15},\"certificate\":{\"maxCertificates\":"
		"15}}", NULL, NULL), 200);
	j = get_json(&l, "/limits/subject");
	assert_int_equal(member_int(j, "enrollment", "maxEnrollments"), 15);
	assert_int_equal(member_int(j, "certificate", "maxCertificates"), 15);
	json_decref(j);
	/* What a request leaves out (or null) stays as it was. */
	assert_int_equal(call(&srv, &l, "POST",
		"/testdata/limits/subject/certificate",
		"{\"enrollment\":null,\"certificate\":{\"maxCertificates\":3}}",
		NULL, NULL), 200);
	j = get_json(&l, "/limits/subject");
	assert_int_equal(member_int(j, "enrollment", "maxEnrollments"), 15);
	assert_int_equal(member_int(j, "certificate", "maxCertificates"), 3);
	json_decref(j);
	assert_int_equal(call(&srv, &l, "DELETE",
			      "/testdata/limits/subject/certificate", NULL,
			      NULL, NULL), 200);
	j = get_json(&l, "/limits/subject");
	assert_int_equal(member_int(j, "enrollment", "maxEnrollments"), 300);
	assert_int_equal(member_int(j, "certificate", "maxCertificates"), 100);
	json_decref(j);
	logout(&l);
}

/* GET /sessions once: its status, and its Retry-After and 429 detail. */
static long list_sessions(struct login *l, int *retry, char *detail,
			  size_t size)
{
	struct raw_response r;
	long status;
	json_t *j;

	raw_request(&r, "GET", url(&srv, "/sessions?sessionType=Online"),
		    l->tokens->access_token->token, NULL, NULL, 0);
	status = r.status;
	*retry = atoi(r.retry_after);
	if (status == 429 && detail != NULL) {
		j = raw_json(&r);
		assert_int_equal(json_integer_value(json_object_get(
			json_object_get(j, "status"), "code")), 429);
		snprintf(detail, size, "%s", json_string_value(json_array_get(
			json_object_get(json_object_get(j, "status"),
					"details"), 0)));
		json_decref(j);
	}
	raw_free(&r);
	return status;
}

static void a_lowered_rate_limit_answers_429_and_repeats_cost_more(
	void **state)
{
	char body[2048], detail[256];
	struct login l, other;
	json_t *j;
	int retry, i;

	(void)state;
	login_xades(&l, &srv, NIP, NIP, NULL);
	login_xades(&other, &srv, OTHER_NIP, OTHER_NIP, NULL);
	rate_body(body, sizeof(body), "1/10/60", "1/30/120");
	assert_int_equal(call(&srv, &l, "POST", "/testdata/rate-limits", body,
			      NULL, NULL), 200);
	j = get_json(&l, "/rate-limits");
	assert_int_equal(member_int(j, "sessionList", "perSecond"), 1);
	assert_int_equal(member_int(j, "sessionList", "perMinute"), 10);
	assert_int_equal(member_int(j, "other", "perSecond"), 1);
	assert_int_equal(member_int(j, "invoiceSend", "perHour"), 180);
	json_decref(j);

	/* Limited although this ksefd runs with --rate-limits off. */
	assert_int_equal(list_sessions(&l, &retry, NULL, 0), 200);
	assert_int_equal(list_sessions(&l, &retry, detail, sizeof(detail)),
			 429);
	assert_int_equal(retry, 1);
	assert_string_equal(detail, "Przekroczono limit 1 żądania na "
			    "sekundę. Spróbuj ponownie po 1 sekundzie.");
	/* Back after the Retry-After, and too fast again: the block
	 * doubles. */
	e2e_sleep_us(1100000);
	assert_int_equal(list_sessions(&l, &retry, NULL, 0), 200);
	assert_int_equal(list_sessions(&l, &retry, detail, sizeof(detail)),
			 429);
	assert_int_equal(retry, 2);
	assert_string_equal(detail, "Przekroczono limit 1 żądania na "
			    "sekundę. Spróbuj ponownie po 2 sekundach.");
	/* Another context is not touched. */
	for (i = 0; i < 8; i++)
		assert_int_equal(list_sessions(&other, &retry, NULL, 0), 200);

	/* "other" counts each endpoint apart: the second GET
	 * /limits/context waits, GET /limits/subject does not. */
	assert_int_equal(call(&srv, &l, "GET", "/limits/context", NULL, NULL,
			      NULL), 200);
	assert_int_equal(call(&srv, &l, "GET", "/limits/context", NULL, NULL,
			      NULL), 429);
	assert_int_equal(call(&srv, &l, "GET", "/limits/subject", NULL, NULL,
			      NULL), 200);

	/* Restored: the server's profile, which is off here. */
	assert_int_equal(call(&srv, &l, "DELETE", "/testdata/rate-limits",
			      NULL, NULL, NULL), 200);
	assert_rate_limits_are_production(&l);
	for (i = 0; i < 8; i++)
		assert_int_equal(list_sessions(&l, &retry, NULL, 0), 200);
	logout(&l);
	logout(&other);
}

static void the_production_switch_enforces_the_production_numbers(
	void **state)
{
	struct login l;
	int retry, i;
	long status = 200;

	(void)state;
	login_xades(&l, &srv, NIP, NIP, NULL);
	assert_int_equal(call(&srv, &l, "POST",
			      "/testdata/rate-limits/production", NULL, NULL,
			      NULL), 200);
	assert_rate_limits_are_production(&l);
	/* sessionList is 5 a second: a burst meets a 429 by its sixth. */
	for (i = 0; i < 6 && status == 200; i++)
		status = list_sessions(&l, &retry, NULL, 0);
	assert_int_equal(status, 429);
	assert_true(retry >= 1);
	assert_int_equal(call(&srv, &l, "DELETE", "/testdata/rate-limits",
			      NULL, NULL, NULL), 200);
	for (i = 0; i < 12; i++)
		assert_int_equal(list_sessions(&l, &retry, NULL, 0), 200);
	logout(&l);
}

/* Stop ksefd and start it again on its data folder, which stays srv's to
 * remove. */
static void restart(void)
{
	struct ksefd_proc again;

	assert_int_equal(ksefd_stop(&srv), 0);
	memset(&again, 0, sizeof(again));
	ksefd_start(&again, srv.data_dir, NULL);
	srv.pid = again.pid;
	srv.port = again.port;
	snprintf(srv.base_url, sizeof(srv.base_url), "%s", again.base_url);
}

static void what_was_set_survives_a_restart(void **state)
{
	static const char limits[] =
		"{\"onlineSession\":{\"maxInvoiceSizeInMB\":2,"
		"\"maxInvoiceWithAttachmentSizeInMB\":5,\"maxInvoices\":9},"
		"\"batchSession\":{\"maxInvoiceSizeInMB\":3,"
		"\"maxInvoiceWithAttachmentSizeInMB\":6,\"maxInvoices\":8}}";
	char body[2048];
	struct login l;
	json_t *j;

	(void)state;
	login_xades(&l, &srv, OTHER_NIP, OTHER_NIP, NULL);
	rate_body(body, sizeof(body), "4/9/59", "9/29/119");
	assert_int_equal(call(&srv, &l, "POST",
			      "/testdata/limits/context/session", limits, NULL,
			      NULL), 200);
	assert_int_equal(call(&srv, &l, "POST", "/testdata/rate-limits", body,
			      NULL, NULL), 200);
	assert_int_equal(call(&srv, &l, "POST",
		"/testdata/limits/subject/certificate",
		"{\"certificate\":{\"maxCertificates\":4}}", NULL, NULL), 200);
	logout(&l);

	restart();
	login_xades(&l, &srv, OTHER_NIP, OTHER_NIP, NULL);
	j = get_json(&l, "/limits/context");
	assert_session_limits(j, "onlineSession", 2, 5, 9);
	assert_session_limits(j, "batchSession", 3, 6, 8);
	json_decref(j);
	j = get_json(&l, "/rate-limits");
	assert_int_equal(member_int(j, "sessionList", "perSecond"), 4);
	assert_int_equal(member_int(j, "sessionList", "perMinute"), 9);
	assert_int_equal(member_int(j, "sessionList", "perHour"), 59);
	assert_int_equal(member_int(j, "other", "perHour"), 119);
	assert_int_equal(member_int(j, "onlineSession", "perHour"), 120);
	json_decref(j);
	j = get_json(&l, "/limits/subject");
	assert_int_equal(member_int(j, "certificate", "maxCertificates"), 4);
	assert_int_equal(member_int(j, "enrollment", "maxEnrollments"), 300);
	json_decref(j);
	/* And each restore goes as far as the store. */
	assert_int_equal(call(&srv, &l, "DELETE", "/testdata/rate-limits",
			      NULL, NULL, NULL), 200);
	assert_int_equal(call(&srv, &l, "DELETE",
			      "/testdata/limits/context/session", NULL, NULL,
			      NULL), 200);
	logout(&l);
	restart();
	login_xades(&l, &srv, OTHER_NIP, OTHER_NIP, NULL);
	assert_rate_limits_are_production(&l);
	j = get_json(&l, "/limits/context");
	assert_session_limits(j, "onlineSession", 1, 3, 10000);
	json_decref(j);
	logout(&l);
}

static void the_production_profile_has_no_test_data(void **state)
{
	static const char *const test_only[][2] = {
		{ "POST", "/testdata/limits/context/session" },
		{ "DELETE", "/testdata/limits/context/session" },
		{ "POST", "/testdata/limits/subject/certificate" },
		{ "DELETE", "/testdata/limits/subject/certificate" },
		{ "POST", "/testdata/rate-limits" },
		{ "DELETE", "/testdata/rate-limits" },
		{ "POST", "/testdata/rate-limits/production" },
	};
	static const char *const args[] = { "--profile", "production", NULL };
	struct ksefd_proc prd;
	char token[256];
	struct login l;
	size_t i;
	json_t *j;
	int code;

	(void)state;
	memset(&prd, 0, sizeof(prd));
	ksefd_start(&prd, NULL, args);
	ksefd_token(&prd, NIP, "InvoiceWrite,InvoiceRead", token,
		    sizeof(token));
	login(&l, &prd, NIP, token);
	/* As on PRD, where they do not exist: 404 like any unknown path,
	 * with or without a token. */
	for (i = 0; i < sizeof(test_only) / sizeof(test_only[0]); i++) {
		assert_int_equal(call(&prd, &l, test_only[i][0],
				      test_only[i][1], "{}", NULL, &code),
				 404);
		assert_int_equal(code, 21405);
		assert_int_equal(call(&prd, NULL, test_only[i][0],
				      test_only[i][1], NULL, NULL, NULL), 404);
	}
	/* The reading operations are there. */
	assert_int_equal(call(&prd, &l, "GET", "/limits/context", NULL, &j,
			      NULL), 200);
	assert_session_limits(j, "onlineSession", 1, 3, 10000);
	json_decref(j);
	assert_int_equal(call(&prd, &l, "GET", "/rate-limits", NULL, &j,
			      NULL), 200);
	assert_int_equal(json_object_size(j), NGROUPS);
	json_decref(j);
	assert_int_equal(call(&prd, &l, "GET", "/limits/subject", NULL, &j,
			      NULL), 200);
	json_decref(j);
	logout(&l);
	assert_int_equal(ksefd_stop(&prd), 0);
	ksefd_cleanup(&prd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_defaults_are_reported),
		cmocka_unit_test(
			a_lowered_session_limit_refuses_the_next_invoice),
		cmocka_unit_test(the_size_limit_follows_the_context),
		cmocka_unit_test(bodies_out_of_bounds_are_refused_with_21405),
		cmocka_unit_test(subject_limits_are_set_and_restored),
		cmocka_unit_test(
		    a_lowered_rate_limit_answers_429_and_repeats_cost_more),
		cmocka_unit_test(
		    the_production_switch_enforces_the_production_numbers),
		cmocka_unit_test(what_was_set_survives_a_restart),
		cmocka_unit_test(the_production_profile_has_no_test_data),
	};

	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	return cmocka_run_group_tests(tests, setup, teardown);
}
