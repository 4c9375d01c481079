/*
 * conn_test.c - saving and resuming a ksef_conn and a ksef_session
 * (session.h): the state round-trips byte for byte; a connection resumed
 * with an expired access token refreshes it with the saved refresh token
 * (against a scripted HTTP server on 127.0.0.1), and without credentials
 * says so instead of authenticating; a session resumed from its state
 * encrypts with the saved key. Every malformed, tampered, oversized or
 * foreign state is refused with a message that names the member and never
 * the secret.
 */
#include "testsupport.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <jansson.h>
#include "ksef/ksef.h"
#include "ksef/session.h"

/*
 * A scripted server: each connection gets the next canned answer.
 */

#define MAX_EXCHANGES 8

static struct {
	int fd, port;
	pthread_t thread;
	pthread_mutex_t mu;
	const char *answers[MAX_EXCHANGES]; /* whole HTTP responses */
	size_t nanswers, next;
	char seen[MAX_EXCHANGES][8192];     /* request heads and bodies */
	size_t nseen;
	int stop;
} srv;

/* strcasestr is a GNU extension. */
static const char *ci_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		char buf[65536];
		const char *reply = "HTTP/1.1 500 X\r\nContent-Length: 0\r\n"
				    "Connection: close\r\n\r\n";
		size_t len = 0;
		ssize_t n;
		int fd = accept(srv.fd, NULL, NULL), stop;

		if (fd < 0)
			continue;
		pthread_mutex_lock(&srv.mu);
		stop = srv.stop;
		pthread_mutex_unlock(&srv.mu);
		if (stop) {
			close(fd);
			return NULL;
		}
		/* Read until the head and a body of Content-Length are in. */
		for (;;) {
			const char *end, *cl;
			size_t need;

			n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
			if (n <= 0)
				break;
			len += (size_t)n;
			buf[len] = '\0';
			if ((end = strstr(buf, "\r\n\r\n")) == NULL)
				continue;
			cl = ci_find(buf, "Content-Length:");
			need = cl != NULL && cl < end ?
			       strtoul(cl + 15, NULL, 10) : 0;
			if (len >= (size_t)(end + 4 - buf) + need)
				break;
		}
		pthread_mutex_lock(&srv.mu);
		if (srv.next < srv.nanswers)
			reply = srv.answers[srv.next++];
		if (srv.nseen < MAX_EXCHANGES) {
			size_t keep = len < sizeof(srv.seen[0]) - 1 ? len :
				      sizeof(srv.seen[0]) - 1;

			memcpy(srv.seen[srv.nseen], buf, keep);
			srv.seen[srv.nseen++][keep] = '\0';
		}
		pthread_mutex_unlock(&srv.mu);
		send(fd, reply, strlen(reply), MSG_NOSIGNAL);
		close(fd);
	}
}

static void server_start(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.mu, NULL);
	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(srv.fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(srv.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(srv.fd, 8), 0);
	assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&a, &alen), 0);
	srv.port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

static void server_stop(void)
{
	struct sockaddr_in a;
	int fd;

	pthread_mutex_lock(&srv.mu);
	srv.stop = 1;
	pthread_mutex_unlock(&srv.mu);
	/* Wake accept() with one last connection. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)srv.port);
	(void)connect(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	pthread_join(srv.thread, NULL);
	close(srv.fd);
	pthread_mutex_destroy(&srv.mu);
}

/* A whole HTTP answer with a JSON body, its length counted. */
static void reply(char *out, size_t size, const char *status,
		  const char *body)
{
	snprintf(out, size, "HTTP/1.1 %s\r\nContent-Type: application/json"
		 "\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
		 status, strlen(body), body);
}

static void script(const char *answer)
{
	pthread_mutex_lock(&srv.mu);
	srv.answers[srv.nanswers++] = answer;
	pthread_mutex_unlock(&srv.mu);
}

/*
 * States
 */

/* Far from now either way, so that nothing renews by the clock alone. */
#define PAST "2001-01-01T00:00:00.000Z"
#define FUTURE "2099-01-01T00:00:00.000Z"
#define ACCESS "eyJhbGciOiJIUzI1NiJ9.YWNjZXNz.c2lnbmVk"
#define REFRESH "eyJhbGciOiJIUzI1NiJ9.cmVmcmVzaA.c2lnbmVk"
#define NEW_ACCESS "eyJhbGciOiJIUzI1NiJ9.bmV3.c2lnbmVk"
#define NIP "5265877635"

static char base_url[64];
static char au_ref[KSEF_REFNUM_BUFSZ], so_ref[KSEF_REFNUM_BUFSZ],
	    ee_ref[KSEF_REFNUM_BUFSZ];

static void make_refs(void)
{
	ksef_time now = ksef_time_warsaw(ksef_time_now().unix_ms);

	assert_int_equal(ksef_refnum_generate(au_ref, KSEF_REFNUM_AUTH, now,
					      NULL), 0);
	assert_int_equal(ksef_refnum_generate(so_ref,
		KSEF_REFNUM_ONLINE_SESSION, now, NULL), 0);
	assert_int_equal(ksef_refnum_generate(ee_ref, KSEF_REFNUM_INVOICE,
					      now, NULL), 0);
}

/* A connection state exactly as ksef_conn_export() writes it. */
static void conn_state(char *out, size_t size, const char *access_until,
		       const char *refresh_until)
{
	snprintf(out, size, "{\"version\":1,\"baseUrl\":\"%s\","
		 "\"contextType\":\"Nip\",\"contextValue\":\"" NIP "\","
		 "\"authReferenceNumber\":\"%s\",\"accessToken\":{\"token\":"
		 "\"" ACCESS "\",\"validUntil\":\"%s\"},\"refreshToken\":{"
		 "\"token\":\"" REFRESH "\",\"validUntil\":\"%s\"}}",
		 base_url, au_ref, access_until, refresh_until);
}

static ksef_conn *resume(const char *state)
{
	ksef_conn *c = NULL;
	ksef_error err;

	if (ksef_conn_resume(&c, NULL, state, strlen(state), &err) != 0)
		fail_msg("resume: %s", err.message);
	return c;
}

static int setup(void **state)
{
	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	server_start();
	snprintf(base_url, sizeof(base_url), "http://127.0.0.1:%d/v2",
		 srv.port);
	make_refs();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	server_stop();
	ksef_global_cleanup();
	return 0;
}

/* Each test starts with an empty script and record. */
static int reset(void **state)
{
	(void)state;
	pthread_mutex_lock(&srv.mu);
	srv.nanswers = srv.next = srv.nseen = 0;
	pthread_mutex_unlock(&srv.mu);
	return 0;
}

/*
 * Round trips
 */

static void a_resumed_connection_exports_the_same_state(void **state)
{
	char text[2048];
	ksef_buf out = KSEF_BUF_INIT;
	ksef_context_type type;
	ksef_conn *c;
	int64_t a, r;
	char ref[KSEF_REFNUM_BUFSZ];

	(void)state;
	conn_state(text, sizeof(text), FUTURE, FUTURE);
	c = resume(text);
	assert_int_equal(ksef_conn_export(&out, c, NULL), 0);
	assert_string_equal((const char *)out.ptr, text);
	assert_int_equal(out.size, strlen(text));
	assert_string_equal(ksef_conn_base_url(c), base_url);
	assert_string_equal(ksef_conn_context(&type, c), NIP);
	assert_int_equal(type, KSEF_CONTEXT_NIP);
	assert_int_equal(ksef_conn_auth_reference(ref, c), 0);
	assert_string_equal(ref, au_ref);
	assert_int_equal(ksef_conn_auth_status(c), 200);
	ksef_conn_token_expiry(&a, &r, c);
	assert_int_equal(a, 4070908800000LL);
	assert_int_equal(r, 4070908800000LL);
	/* Nothing was sent to resume or export. */
	assert_int_equal(srv.nseen, 0);
	ksef_buf_dispose_secure(&out);
	ksef_conn_free(c);
}

static void a_resume_may_name_the_same_server_and_context(void **state)
{
	ksef_conn_options o = KSEF_CONN_OPTIONS_INIT;
	ksef_client_options co = KSEF_CLIENT_OPTIONS_INIT;
	char text[2048];
	ksef_conn *c = NULL;
	ksef_error err;

	(void)state;
	o.client = &co;
	conn_state(text, sizeof(text), FUTURE, FUTURE);
	co.base_url = base_url;
	o.context_value = NIP;
	o.ksef_token = "20251010-EC-1DCE3E3000-12ECB5B36E-45|nip-" NIP "|00";
	if (ksef_conn_resume(&c, &o, text, strlen(text), &err) != 0)
		fail_msg("resume: %s", err.message);
	ksef_conn_free(c);
}

static void refuses_a_state_of_another_server_or_context(void **state)
{
	ksef_conn_options o = KSEF_CONN_OPTIONS_INIT;
	ksef_client_options co = KSEF_CLIENT_OPTIONS_INIT;
	char text[2048];
	ksef_conn *c = NULL;
	ksef_error err;

	(void)state;
	o.client = &co;
	conn_state(text, sizeof(text), FUTURE, FUTURE);
	co.base_url = "http://127.0.0.1:1/v2";
	assert_int_equal(ksef_conn_resume(&c, &o, text, strlen(text), &err),
			 KSEF_EINVAL);
	assert_null(c);
	assert_non_null(strstr(err.message, "another server"));
	co.base_url = NULL;
	o.context_value = "7010012385";
	assert_int_equal(ksef_conn_resume(&c, &o, text, strlen(text), &err),
			 KSEF_EINVAL);
	assert_non_null(strstr(err.message, "another context"));
	o.context_value = NIP;
	o.context_type = KSEF_CONTEXT_INTERNAL_ID;
	assert_int_equal(ksef_conn_resume(&c, &o, text, strlen(text), &err),
			 KSEF_EINVAL);
	assert_null(c);
}

/*
 * Renewal after a resume
 */

static void refreshes_an_expired_access_token_after_a_resume(void **state)
{
	char text[2048], answer[512];
	ksef_buf out = KSEF_BUF_INIT;
	ksef_client_options co = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *client = NULL;
	ksef_conn *c;
	ksef_error err;
	unsigned long auths, refreshes;

	(void)state;
	reply(answer, sizeof(answer), "200 OK", "{\"accessToken\":{\"token\":"
	      "\"" NEW_ACCESS "\",\"validUntil\":\"2099-01-01T00:00:00Z\"}}");
	script(answer);
	conn_state(text, sizeof(text), PAST, FUTURE);
	c = resume(text);
	co.base_url = base_url;
	assert_int_equal(ksef_client_new(&client, &co, NULL), 0);
	if (ksef_conn_authorize(client, c, &err) != 0)
		fail_msg("authorize: %s", err.message);
	/* One request: the refresh, with the saved refresh token. */
	assert_int_equal(srv.nseen, 1);
	assert_non_null(strstr(srv.seen[0], "POST /v2/auth/token/refresh "));
	assert_non_null(ci_find(srv.seen[0],
				   "Authorization: Bearer " REFRESH));
	ksef_conn_counters(&auths, &refreshes, c);
	assert_int_equal(auths, 0);
	assert_int_equal(refreshes, 1);
	/* The new token is what a later run resumes with. */
	assert_int_equal(ksef_conn_export(&out, c, NULL), 0);
	assert_non_null(strstr((const char *)out.ptr, NEW_ACCESS));
	assert_null(strstr((const char *)out.ptr, ACCESS));
	assert_non_null(strstr((const char *)out.ptr, REFRESH));
	ksef_buf_dispose_secure(&out);
	ksef_client_free(client);
	ksef_conn_free(c);
}

static void a_refused_refresh_without_credentials_is_an_http_error(
	void **state)
{
	char text[2048], answer[512];
	ksef_conn *c;
	ksef_error err;
	int64_t r;

	(void)state;
	reply(answer, sizeof(answer), "401 Unauthorized", "{}");
	script(answer);
	conn_state(text, sizeof(text), PAST, FUTURE);
	c = resume(text);
	assert_int_equal(ksef_conn_refresh(c, &err), KSEF_EHTTP);
	/* Refused once, it is not tried again, and no login either. */
	ksef_conn_token_expiry(NULL, &r, c);
	assert_int_equal(r, 0);
	assert_int_equal(srv.nseen, 1);
	assert_int_equal(ksef_conn_refresh(c, &err), KSEF_ENOTFOUND);
	assert_int_equal(srv.nseen, 1);
	ksef_conn_free(c);
}

static void an_expired_login_without_credentials_sends_nothing(void **state)
{
	char text[2048];
	ksef_client_options co = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *client = NULL;
	ksef_conn *c;
	ksef_error err;

	(void)state;
	conn_state(text, sizeof(text), PAST, PAST);
	c = resume(text);
	co.base_url = base_url;
	assert_int_equal(ksef_client_new(&client, &co, NULL), 0);
	assert_int_equal(ksef_conn_authorize(client, c, &err),
			 KSEF_ENOTFOUND);
	assert_non_null(strstr(err.message, "no credential"));
	assert_int_equal(srv.nseen, 0);
	ksef_client_free(client);
	ksef_conn_free(c);
}

static void a_prepared_connection_keeps_the_answer_of_a_failed_login(
	void **state)
{
	ksef_conn_options o = KSEF_CONN_OPTIONS_INIT;
	ksef_client_options co = KSEF_CLIENT_OPTIONS_INIT;
	const ksef_api_error *e;
	ksef_conn *c = NULL;
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;
	char answer[512];

	(void)state;
	o.client = &co;
	reply(answer, sizeof(answer), "404 Not Found", "{}");
	script(answer);
	co.base_url = base_url;
	co.max_retries = 0;
	o.context_value = NIP;
	o.ksef_token = "t";
	assert_int_equal(ksef_conn_prepare(&c, &o, &err), 0);
	/* Nothing is sent until the first use, and nothing is to export. */
	assert_int_equal(srv.nseen, 0);
	assert_int_equal(ksef_conn_export(&out, c, &err), KSEF_EINVAL);
	assert_null(ksef_conn_last_error(c));
	assert_int_equal(ksef_conn_refresh(c, &err), KSEF_EHTTP);
	assert_int_equal(srv.nseen, 1);
	/* A login starts with a challenge. */
	assert_non_null(strstr(srv.seen[0], "POST /v2/auth/challenge "));
	e = ksef_conn_last_error(c);
	assert_non_null(e);
	assert_int_equal(e->http_status, 404);
	assert_int_equal(ksef_conn_auth_status(c), 0);
	ksef_conn_free(c);
	assert_int_equal(ksef_conn_prepare(&c, NULL, &err), KSEF_EINVAL);
	o.ksef_token = NULL;
	assert_int_equal(ksef_conn_prepare(&c, &o, &err), KSEF_EINVAL);
	assert_null(c);
}

/*
 * Refusals
 */

static void refuses_oversized_state_by_its_length_alone(void **state)
{
	/* One real byte, a longer claimed length: reading first trips ASan. */
	const char one = '{';
	ksef_conn *c = NULL;
	ksef_session *s = NULL;

	(void)state;
	assert_int_equal(ksef_conn_resume(&c, NULL, &one,
		KSEF_CONN_STATE_MAX_BYTES + 1, NULL), KSEF_ETOOBIG);
	assert_null(c);
	assert_int_equal(ksef_conn_resume(&c, NULL, &one, 0, NULL),
			 KSEF_ETOOBIG);
	assert_int_equal(ksef_conn_resume(&c, NULL, NULL, 1, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_session_resume(&s, NULL, &one, 1, NULL),
			 KSEF_EINVAL);
}

static void refuses_a_state_at_the_limit_plus_one(void **state)
{
	char *text = malloc(KSEF_CONN_STATE_MAX_BYTES + 2);
	ksef_conn *c = NULL;
	ksef_error err;
	size_t n;

	(void)state;
	assert_non_null(text);
	/* Valid JSON padded with spaces to exactly the limit... */
	conn_state(text, KSEF_CONN_STATE_MAX_BYTES, FUTURE, FUTURE);
	n = strlen(text);
	memset(text + n, ' ', KSEF_CONN_STATE_MAX_BYTES + 1 - n);
	assert_int_equal(ksef_conn_resume(&c, NULL, text,
		KSEF_CONN_STATE_MAX_BYTES, &err), 0);
	ksef_conn_free(c);
	c = NULL;
	/* ... and one byte more. */
	assert_int_equal(ksef_conn_resume(&c, NULL, text,
		KSEF_CONN_STATE_MAX_BYTES + 1, &err), KSEF_ETOOBIG);
	assert_null(c);
	free(text);
}

/* Replace the first `from` in a state with `to`. */
static void edit(char *text, size_t size, const char *from, const char *to)
{
	char *p = strstr(text, from), rest[4096];

	assert_non_null(p);
	snprintf(rest, sizeof(rest), "%s", p + strlen(from));
	snprintf(p, size - (size_t)(p - text), "%s%s", to, rest);
}

static void refuses_tampered_connection_states(void **state)
{
	static const struct {
		const char *from, *to;
		int code;
		const char *says;
	} cases[] = {
		{ "\"version\":1", "\"version\":2", KSEF_EFORMAT, "version 2" },
		{ "\"version\":1,", "", KSEF_EFORMAT, "no version" },
		{ "\"version\":1", "\"version\":\"1\"", KSEF_EFORMAT,
		  "no version" },
		{ "\"version\":1", "\"version\":1,\"extra\":0", KSEF_EFORMAT,
		  "unknown member 'extra'" },
		{ "\"version\":1", "\"version\":1,\"version\":1", KSEF_EPARSE,
		  "not valid JSON" },
		{ "{\"version\"", "[{\"version\"", KSEF_EPARSE, "JSON" },
		{ "\"contextType\":\"Nip\"", "\"contextType\":\"nip\"",
		  KSEF_EFORMAT, "not a context type" },
		{ "\"contextValue\":\"" NIP "\"", "\"contextValue\":5",
		  KSEF_EFORMAT, "contextValue is not a string" },
		{ "\"baseUrl\":\"", "\"baseUrl\":\"\\n", KSEF_EFORMAT,
		  "baseUrl must be" },
		{ "\"accessToken\":{", "\"accessToken\":{\"x\":1,",
		  KSEF_EFORMAT, "unknown member 'x'" },
		{ "\"token\":\"" ACCESS, "\"token\":\"a " ACCESS,
		  KSEF_EFORMAT, "accessToken.token holds a space" },
		{ "\"token\":\"" ACCESS "\"", "\"token\":7", KSEF_EFORMAT,
		  "accessToken.token is not a string" },
		{ "\"validUntil\":\"" FUTURE "\"", "\"validUntil\":\"soon\"",
		  KSEF_EFORMAT, "accessToken.validUntil is not" },
		{ ",\"refreshToken\":{", ",\"refreshToken\":[{",
		  KSEF_EPARSE, "JSON" },
		{ "\"accessToken\":{\"token\":\"" ACCESS "\",",
		  "\"accessToken\":{", KSEF_EFORMAT,
		  "accessToken.token is missing" },
	};
	char text[2048];
	ksef_conn *c = NULL;
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conn_state(text, sizeof(text), FUTURE, FUTURE);
		edit(text, sizeof(text), cases[i].from, cases[i].to);
		memset(&err, 0, sizeof(err));
		if (ksef_conn_resume(&c, NULL, text, strlen(text), &err) !=
		    cases[i].code)
			fail_msg("case %zu: got %d (%s)", i, err.code,
				 err.message);
		assert_null(c);
		if (strstr(err.message, cases[i].says) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.message,
				 cases[i].says);
		/* No secret in any message. */
		assert_null(strstr(err.message, "eyJ"));
	}
	/* A reference number whose check value is wrong. */
	conn_state(text, sizeof(text), FUTURE, FUTURE);
	text[strstr(text, au_ref) - text + 35] ^= 1;
	assert_int_equal(ksef_conn_resume(&c, NULL, text, strlen(text), &err),
			 KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "authReferenceNumber"));
	/* Both credentials at once. */
	{
		ksef_conn_options o = KSEF_CONN_OPTIONS_INIT;

		conn_state(text, sizeof(text), FUTURE, FUTURE);
		o.ksef_token = "t";
		o.signer = (const ksef_xades_signer *)text;
		assert_int_equal(ksef_conn_resume(&c, &o, text, strlen(text),
						  &err), KSEF_EINVAL);
		o.signer = NULL;
		o.version = 99;
		assert_int_equal(ksef_conn_resume(&c, &o, text, strlen(text),
						  &err), KSEF_EINVAL);
	}
}

/*
 * Sessions
 */

#define KEY_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define IV_B64 "ICEiIyQlJicoKSorLC0uLw=="
#define HASH_B64 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

static void session_state(char *out, size_t size)
{
	snprintf(out, size, "{\"version\":1,\"baseUrl\":\"%s\","
		 "\"contextType\":\"Nip\",\"contextValue\":\"" NIP "\","
		 "\"referenceNumber\":\"%s\",\"formCode\":\"FA (3)\","
		 "\"key\":\"" KEY_B64 "\",\"iv\":\"" IV_B64 "\","
		 "\"validUntil\":\"" FUTURE "\",\"closed\":false,"
		 "\"invoices\":[{\"referenceNumber\":\"%s\","
		 "\"invoiceHash\":\"" HASH_B64 "\"}]}", base_url, so_ref,
		 ee_ref);
}

static void a_resumed_session_exports_the_same_state(void **state)
{
	char ctext[2048], stext[2048];
	ksef_buf out = KSEF_BUF_INIT;
	const ksef_session_invoice *e;
	ksef_session *s = NULL;
	ksef_conn *c;
	ksef_error err;

	(void)state;
	conn_state(ctext, sizeof(ctext), FUTURE, FUTURE);
	c = resume(ctext);
	session_state(stext, sizeof(stext));
	if (ksef_session_resume(&s, c, stext, strlen(stext), &err) != 0)
		fail_msg("resume: %s", err.message);
	assert_string_equal(ksef_session_reference(s), so_ref);
	assert_int_equal(ksef_session_form(s), KSEF_FORM_FA3);
	assert_int_equal(ksef_session_valid_until(s), 4070908800000LL);
	assert_int_equal(ksef_session_status(s), KSEF_SESSION_CODE_OPEN);
	assert_int_equal(ksef_session_invoice_count(s), 1);
	e = ksef_session_invoice_at(s, 0);
	assert_string_equal(e->reference_number, ee_ref);
	assert_string_equal(e->invoice_hash, HASH_B64);
	assert_int_equal(e->status, KSEF_INVOICE_STATUS_ACCEPTED);
	assert_int_equal(ksef_session_export(&out, s, NULL), 0);
	assert_string_equal((const char *)out.ptr, stext);
	ksef_buf_dispose_secure(&out);
	ksef_session_free(s);
	ksef_conn_free(c);
}

static void a_resumed_session_encrypts_with_the_saved_key(void **state)
{
	static const char xml[] = "<Faktura/>";
	char ctext[2048], stext[2048], ref[KSEF_REFNUM_BUFSZ], answer[512],
	     body[128];
	ksef_buf plain = KSEF_BUF_INIT, ct = KSEF_BUF_INIT,
		 kb = KSEF_BUF_INIT, ivb = KSEF_BUF_INIT;
	ksef_envelope *env = NULL;
	ksef_session *s = NULL;
	ksef_conn *c;
	ksef_error err;
	json_t *sent;
	const char *enc;

	(void)state;
	snprintf(body, sizeof(body), "{\"referenceNumber\":\"%s\"}", ee_ref);
	reply(answer, sizeof(answer), "202 Accepted", body);
	script(answer);
	conn_state(ctext, sizeof(ctext), FUTURE, FUTURE);
	c = resume(ctext);
	session_state(stext, sizeof(stext));
	assert_int_equal(ksef_session_resume(&s, c, stext, strlen(stext),
					     &err), 0);
	if (ksef_session_send(ref, s, (const unsigned char *)xml,
			      sizeof(xml) - 1, NULL, &err) != 0)
		fail_msg("send: %s", err.message);
	assert_string_equal(ref, ee_ref);
	assert_int_equal(srv.nseen, 1);
	assert_non_null(ci_find(srv.seen[0], "Authorization: Bearer "
				   ACCESS));
	/* The server decrypts it with the key of the state. */
	sent = json_loads(strstr(srv.seen[0], "\r\n\r\n") + 4, 0, NULL);
	assert_non_null(sent);
	enc = json_string_value(json_object_get(sent,
						"encryptedInvoiceContent"));
	assert_non_null(enc);
	assert_int_equal(ksef_base64_decode(&ct, enc, strlen(enc),
					    KSEF_CIPHERTEXT_MAX_BYTES, NULL), 0);
	assert_int_equal(ksef_base64_decode(&kb, KEY_B64, strlen(KEY_B64), 32,
					    NULL), 0);
	assert_int_equal(ksef_base64_decode(&ivb, IV_B64, strlen(IV_B64), 16,
					    NULL), 0);
	assert_int_equal(ksef_envelope_from_key(&env, kb.ptr, kb.size,
						ivb.ptr, ivb.size, NULL), 0);
	assert_int_equal(ksef_envelope_decrypt(&plain, env, ct.ptr, ct.size,
					       NULL), 0);
	assert_memory_equal(plain.ptr, xml, sizeof(xml) - 1);
	json_decref(sent);
	ksef_buf_dispose(&plain);
	ksef_buf_dispose(&ct);
	ksef_buf_dispose(&kb);
	ksef_buf_dispose(&ivb);
	ksef_envelope_free(env);
	ksef_session_free(s);
	ksef_conn_free(c);
}

static void refuses_tampered_session_states(void **state)
{
	static const struct {
		const char *from, *to;
		int code;
		const char *says;
	} cases[] = {
		{ "\"version\":1", "\"version\":0", KSEF_EFORMAT, "version 0" },
		{ "\"key\":\"" KEY_B64 "\"", "\"key\":\"AAEC\"", KSEF_EFORMAT,
		  "key must be the Base64 of 32 bytes" },
		{ "\"iv\":\"" IV_B64 "\",", "", KSEF_EFORMAT, "iv is missing" },
		{ "\"formCode\":\"FA (3)\"", "\"formCode\":\"FA(3)\"",
		  KSEF_EFORMAT, "not a form code" },
		{ "\"closed\":false", "\"closed\":0", KSEF_EFORMAT,
		  "closed is not" },
		{ "\"invoiceHash\":\"" HASH_B64 "\"", "\"invoiceHash\":\"AA==\"",
		  KSEF_EFORMAT, "invoiceHash is not a SHA-256" },
		{ "\"invoices\":[", "\"invoices\":[7,", KSEF_EFORMAT,
		  "invoice 1 is not an object" },
		{ "\"invoices\":[{", "\"invoices\":[{\"status\":200,",
		  KSEF_EFORMAT, "unknown member 'status'" },
		{ "\"contextValue\":\"" NIP "\"",
		  "\"contextValue\":\"7010012385\"", KSEF_EINVAL,
		  "another server or context" },
		{ "\"baseUrl\":\"http://127.0.0.1:",
		  "\"baseUrl\":\"http://127.0.0.2:", KSEF_EINVAL,
		  "another server or context" },
	};
	char ctext[2048], stext[2048];
	ksef_session *s = NULL;
	ksef_conn *c;
	ksef_error err;
	size_t i;

	(void)state;
	conn_state(ctext, sizeof(ctext), FUTURE, FUTURE);
	c = resume(ctext);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		session_state(stext, sizeof(stext));
		edit(stext, sizeof(stext), cases[i].from, cases[i].to);
		memset(&err, 0, sizeof(err));
		if (ksef_session_resume(&s, c, stext, strlen(stext), &err) !=
		    cases[i].code)
			fail_msg("case %zu: got %d (%s)", i, err.code,
				 err.message);
		assert_null(s);
		if (strstr(err.message, cases[i].says) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.message,
				 cases[i].says);
		assert_null(strstr(err.message, KEY_B64));
	}
	/* A connection state is not a session state. */
	assert_int_equal(ksef_session_resume(&s, c, ctext, strlen(ctext),
					     &err), KSEF_EFORMAT);
	assert_null(s);
	ksef_conn_free(c);
}

static void refuses_a_session_with_too_many_invoices(void **state)
{
	ksef_buf text = KSEF_BUF_INIT;
	char ctext[2048], head[1024];
	ksef_session *s = NULL;
	ksef_conn *c;
	ksef_error err;
	int i;

	(void)state;
	conn_state(ctext, sizeof(ctext), FUTURE, FUTURE);
	c = resume(ctext);
	session_state(head, sizeof(head));
	*strstr(head, "\"invoices\":[") = '\0';
	text.ptr = (unsigned char *)malloc(2 * KSEF_SESSION_STATE_MAX_BYTES);
	assert_non_null(text.ptr);
	text.size = (size_t)sprintf((char *)text.ptr, "%s\"invoices\":[",
				    head);
	for (i = 0; i <= KSEF_SESSION_STATE_MAX_INVOICES; i++)
		text.size += (size_t)sprintf((char *)text.ptr + text.size,
			"%s{\"referenceNumber\":\"%s\"}", i ? "," : "", ee_ref);
	text.size += (size_t)sprintf((char *)text.ptr + text.size, "]}");
	assert_int_equal(ksef_session_resume(&s, c, (const char *)text.ptr,
					     text.size, &err), KSEF_ETOOBIG);
	assert_null(s);
	assert_non_null(strstr(err.message, "10001 invoices"));
	free(text.ptr);
	ksef_conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
			a_resumed_connection_exports_the_same_state, reset),
		cmocka_unit_test_setup(
			a_resume_may_name_the_same_server_and_context, reset),
		cmocka_unit_test_setup(
			refuses_a_state_of_another_server_or_context, reset),
		cmocka_unit_test_setup(
			refreshes_an_expired_access_token_after_a_resume,
			reset),
		cmocka_unit_test_setup(
			a_refused_refresh_without_credentials_is_an_http_error,
			reset),
		cmocka_unit_test_setup(
			an_expired_login_without_credentials_sends_nothing,
			reset),
		cmocka_unit_test_setup(
			a_prepared_connection_keeps_the_answer_of_a_failed_login,
			reset),
		cmocka_unit_test_setup(
			refuses_oversized_state_by_its_length_alone, reset),
		cmocka_unit_test_setup(
			refuses_a_state_at_the_limit_plus_one, reset),
		cmocka_unit_test_setup(refuses_tampered_connection_states,
				       reset),
		cmocka_unit_test_setup(
			a_resumed_session_exports_the_same_state, reset),
		cmocka_unit_test_setup(
			a_resumed_session_encrypts_with_the_saved_key, reset),
		cmocka_unit_test_setup(refuses_tampered_session_states, reset),
		cmocka_unit_test_setup(
			refuses_a_session_with_too_many_invoices, reset),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
