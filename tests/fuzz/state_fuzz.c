/*
 * state_fuzz.c - untrusted saved state (session.h): what
 * ksef_conn_resume() and ksef_session_resume() read back from a file a
 * program kept between runs, which anyone who can write that file
 * controls. The first byte chooses:
 *   even  the rest is a connection state;
 *   odd   the rest is a session state, resumed through a fixed connection
 *         (baseUrl http://127.0.0.1:1/v2, Nip 5265877635).
 * Checked: a state that resumes exports, and the export resumes and
 * exports again to the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "fuzz_support.h"

static ksef_conn *conn;

static void setup(void)
{
	char ref[KSEF_REFNUM_BUFSZ], state[1024];
	int n;

	fuzz_global_init();
	if (ksef_refnum_generate(ref, KSEF_REFNUM_AUTH,
				 ksef_time_warsaw(1750000000000LL), NULL) < 0)
		abort();
	n = snprintf(state, sizeof(state),
		"{\"version\":1,\"baseUrl\":\"http://127.0.0.1:1/v2\","
		"\"contextType\":\"Nip\",\"contextValue\":\"5265877635\","
		"\"authReferenceNumber\":\"%s\",\"accessToken\":{\"token\":"
		"\"a.b.c\",\"validUntil\":\"2125-01-01T00:00:00Z\"},"
		"\"refreshToken\":{\"token\":\"d.e.f\",\"validUntil\":"
		"\"2125-01-01T00:00:00Z\"}}", ref);
	if (ksef_conn_resume(&conn, NULL, state, (size_t)n, NULL) != 0)
		abort();
}

static void same_export(const ksef_buf *a, const ksef_buf *b)
{
	if (a->size != b->size || memcmp(a->ptr, b->ptr, a->size) != 0) {
		fprintf(stderr, "export, resume, export changed the state\n");
		abort();
	}
}

static void conn_state(const uint8_t *p, size_t n)
{
	ksef_conn *c = NULL, *c2 = NULL;
	ksef_buf out = KSEF_BUF_INIT, out2 = KSEF_BUF_INIT;
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_context_type type;
	int64_t a, r;

	if (ksef_conn_resume(&c, NULL, (const char *)p, n, NULL) != 0)
		return;
	(void)strlen(ksef_conn_base_url(c));
	(void)strlen(ksef_conn_context(&type, c));
	ksef_conn_token_expiry(&a, &r, c);
	if (ksef_conn_auth_reference(ref, c) == 0)
		(void)strlen(ref);
	if (ksef_conn_export(&out, c, NULL) != 0 ||
	    ksef_conn_resume(&c2, NULL, (const char *)out.ptr, out.size,
			     NULL) != 0 ||
	    ksef_conn_export(&out2, c2, NULL) != 0) {
		fprintf(stderr, "a resumed connection's export fails\n");
		abort();
	}
	same_export(&out, &out2);
	ksef_buf_dispose_secure(&out);
	ksef_buf_dispose_secure(&out2);
	ksef_conn_free(c2);
	ksef_conn_free(c);
}

static void session_state(const uint8_t *p, size_t n)
{
	ksef_session *s = NULL, *s2 = NULL;
	ksef_buf out = KSEF_BUF_INIT, out2 = KSEF_BUF_INIT;
	size_t i;

	if (ksef_session_resume(&s, conn, (const char *)p, n, NULL) != 0)
		return;
	(void)strlen(ksef_session_reference(s));
	(void)ksef_session_form(s);
	(void)ksef_session_valid_until(s);
	for (i = 0; i <= ksef_session_invoice_count(s); i++) {
		const ksef_session_invoice *inv =
			ksef_session_invoice_at(s, i);

		if (inv != NULL && inv->reference_number != NULL)
			(void)strlen(inv->reference_number);
	}
	if (ksef_session_export(&out, s, NULL) != 0 ||
	    ksef_session_resume(&s2, conn, (const char *)out.ptr, out.size,
				NULL) != 0 ||
	    ksef_session_export(&out2, s2, NULL) != 0) {
		fprintf(stderr, "a resumed session's export fails\n");
		abort();
	}
	same_export(&out, &out2);
	ksef_buf_dispose_secure(&out);
	ksef_buf_dispose_secure(&out2);
	ksef_session_free(s2);
	ksef_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	if (conn == NULL)
		setup();
	if ((fuzz_byte(&in) & 1) == 0)
		conn_state(in.p, in.n);
	else
		session_state(in.p, in.n);
	return 0;
}
