/*
 * client_test.c - the API client against a scripted HTTP server on
 * 127.0.0.1 (plain POSIX sockets on a thread: one connection per request,
 * each answered with the next canned response and closed). It pins down
 * what the client sends (method, path, query, headers, body) and what it
 * makes of answers: typed results, both error formats, HTML error pages,
 * 429 and 5xx retries, the response-size bound, x-ms-meta-hash, and the
 * token that goes to the API but never to a pre-signed URL.
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
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "ksef/client.h"
#include "ksef/encoding.h"
#include "ksef/envelope.h"
#include "client_int.h"

/*
 * The scripted server
 */

#define MAX_EXCHANGES 16

struct canned {
	int status;
	const char *reason;  /* NULL: "X" */
	const char *headers; /* extra header lines, each ending in \r\n */
	const char *body;    /* NULL: empty */
	size_t body_len;     /* 0: strlen(body) */
	int no_length;       /* end the body by closing, no Content-Length */
	int stall_ms;        /* wait this long before answering */
};

struct seen {
	char method[16];
	char target[2048];
	char *head;          /* the header lines */
	char *body;
	size_t body_len;
};

static struct {
	int fd;
	int port;
	pthread_t thread;
	pthread_mutex_t mu;
	struct canned script[MAX_EXCHANGES];
	size_t nscript, next;
	struct seen seen[MAX_EXCHANGES];
	size_t nseen;
	int stop;
} srv;

static int read_request(int fd, struct seen *s)
{
	size_t cap = 65536, len = 0, need;
	char *buf = malloc(cap), *end, *cl;
	ssize_t n;

	if (buf == NULL)
		return -1;
	for (;;) {
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (len + 1 >= cap)
			goto fail;
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n <= 0)
			goto fail;
		len += (size_t)n;
	}
	*end = '\0';
	sscanf(buf, "%15s %2047s", s->method, s->target);
	s->head = strdup(strstr(buf, "\r\n") ? strstr(buf, "\r\n") + 2 : "");
	need = 0;
	for (cl = s->head; cl != NULL && *cl; cl = strstr(cl, "\r\n")) {
		if (*cl == '\r')
			cl += 2;
		if (strncasecmp(cl, "Content-Length:", 15) == 0)
			need = strtoul(cl + 15, NULL, 10);
		if (strstr(cl, "\r\n") == NULL)
			break;
	}
	/* The body: what came with the head, then the rest. */
	s->body = malloc(need + 1);
	if (s->body == NULL)
		goto fail;
	len -= (size_t)(end + 4 - buf);
	if (len > need)
		len = need;
	memcpy(s->body, end + 4, len);
	while (len < need) {
		n = recv(fd, s->body + len, need - len, 0);
		if (n <= 0)
			goto fail;
		len += (size_t)n;
	}
	s->body[need] = '\0';
	s->body_len = need;
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

static void send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void answer(int fd, const struct canned *c)
{
	char head[4096];
	size_t blen = c->body ? (c->body_len ? c->body_len :
				 strlen(c->body)) : 0;
	int n;

	if (c->stall_ms > 0) {
		struct timespec ts = { c->stall_ms / 1000,
				       (c->stall_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n%sConnection: "
		     "close\r\n", c->status, c->reason ? c->reason : "X",
		     c->headers ? c->headers : "");
	if (!c->no_length)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
			      "Content-Length: %zu\r\n", blen);
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	send_all(fd, head, (size_t)n);
	if (blen > 0)
		send_all(fd, c->body, blen);
}

static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		struct canned c = { 500, "No Script", NULL,
				    "{\"no\":\"script\"}", 0, 0, 0 };
		struct seen s;
		int fd = accept(srv.fd, NULL, NULL);
		int stop;

		if (fd < 0)
			continue;
		pthread_mutex_lock(&srv.mu);
		stop = srv.stop;
		pthread_mutex_unlock(&srv.mu);
		if (stop) {
			close(fd);
			break;
		}
		memset(&s, 0, sizeof(s));
		if (read_request(fd, &s) == 0) {
			pthread_mutex_lock(&srv.mu);
			if (srv.next < srv.nscript)
				c = srv.script[srv.next++];
			if (srv.nseen < MAX_EXCHANGES)
				srv.seen[srv.nseen++] = s;
			else
				free(s.head), free(s.body);
			pthread_mutex_unlock(&srv.mu);
			answer(fd, &c);
		} else {
			free(s.head);
			free(s.body);
		}
		close(fd);
	}
	return NULL;
}

static void server_start(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int one = 1;

	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.mu, NULL);
	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(srv.fd >= 0);
	setsockopt(srv.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	assert_int_equal(bind(srv.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(srv.fd, 16), 0);
	assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&a, &alen), 0);
	srv.port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

static void server_stop(void)
{
	struct sockaddr_in a;
	size_t i;
	int fd;

	pthread_mutex_lock(&srv.mu);
	srv.stop = 1;
	pthread_mutex_unlock(&srv.mu);
	/* Wake the accept() with one last connection. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)srv.port);
	connect(fd, (struct sockaddr *)&a, sizeof(a));
	pthread_join(srv.thread, NULL);
	close(fd);
	close(srv.fd);
	for (i = 0; i < srv.nseen; i++) {
		free(srv.seen[i].head);
		free(srv.seen[i].body);
	}
	pthread_mutex_destroy(&srv.mu);
}

static void script(const struct canned *c)
{
	pthread_mutex_lock(&srv.mu);
	assert_true(srv.nscript < MAX_EXCHANGES);
	srv.script[srv.nscript++] = *c;
	pthread_mutex_unlock(&srv.mu);
}

static void script_json(int status, const char *body)
{
	struct canned c = { status, NULL, "Content-Type: application/json\r\n",
			    body, 0, 0, 0 };

	script(&c);
}

static size_t nseen(void)
{
	size_t n;

	pthread_mutex_lock(&srv.mu);
	n = srv.nseen;
	pthread_mutex_unlock(&srv.mu);
	return n;
}

/* The value of a request header (case-insensitive name), or NULL; the
 * returned text is a static copy. */
static const char *header(size_t i, const char *name)
{
	static char val[8192];
	const char *p = srv.seen[i].head;
	size_t nlen = strlen(name);

	assert_true(i < nseen());
	while (p != NULL && *p) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			const char *v = p + nlen + 1;

			while (*v == ' ')
				v++;
			len -= (size_t)(v - p);
			if (len >= sizeof(val))
				len = sizeof(val) - 1;
			memcpy(val, v, len);
			val[len] = '\0';
			return val;
		}
		p = eol ? eol + 2 : NULL;
	}
	return NULL;
}

/*
 * Fixtures
 */

static char *dir;
static ksef_pubkey *key;
static ksef_privkey *priv;

static int group_setup(void **state)
{
	ksef_buf der = KSEF_BUF_INIT, pem = KSEF_BUF_INIT;
	char path[512];

	(void)state;
	dir = ts_mkdtemp();
	if (ts_system("cd '%s' && openssl req -x509 -newkey rsa:2048 -noenc "
		      "-keyout key.pem -out cert.pem -subj /CN=test -days 2 "
		      "2>/dev/null && openssl x509 -in cert.pem -outform DER "
		      "-out cert.der", dir) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/cert.der", dir);
	ts_read_file(&der, path);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	ts_read_file(&pem, path);
	if (ksef_pubkey_load(&key, der.ptr, der.size, NULL) != 0 ||
	    ksef_privkey_load_pem(&priv, (const char *)pem.ptr, pem.size,
				  NULL) != 0)
		return -1;
	ksef_buf_dispose(&der);
	ksef_buf_dispose_secure(&pem);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ksef_pubkey_free(key);
	ksef_privkey_free(priv);
	ts_rmdir(dir);
	return 0;
}

static ksef_client *client;

static ksef_client *make_client(const ksef_client_options *base)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	char url[64];
	ksef_client *c = NULL;

	if (base != NULL)
		o = *base;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v2/", srv.port);
	o.base_url = url;
	o.proxy = ""; /* whatever http_proxy says, loopback is direct */
	if (base == NULL) {
		o.retry_backoff_ms = 10;
		o.timeout_ms = 10000;
	}
	assert_int_equal(ksef_client_new(&c, &o, NULL), 0);
	return c;
}

static int setup(void **state)
{
	(void)state;
	server_start();
	client = make_client(NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ksef_client_free(client);
	client = NULL;
	server_stop();
	return 0;
}

#define REF_SO "20250625-SO-2C3E6C8000-B675CF5D68-07"
#define REF_EE "20250625-EE-319D7EE000-B67F415CDC-2C"
#define REF_AU "20250514-AU-2DFC46C000-3AC6D5877F-D4"
#define REF_EU "20250918-EU-2EBD6FA000-242EB9B66D-43"
#define REF_EC "20251010-EC-1DCE3E3000-12ECB5B36E-45"
#define KSEF_NO "5265877635-20250626-010080DD2B5E-26"

/*
 * Options
 */

static void new_refuses_bad_options(void **state)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = (ksef_client *)1;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_client_new(&c, &o, &err), KSEF_EINVAL);
	assert_null(c);
	o.base_url = "ftp://example.com/v2";
	assert_int_equal(ksef_client_new(&c, &o, &err), KSEF_EINVAL);
	o.base_url = "https://example.com/v2?x=1";
	assert_int_equal(ksef_client_new(&c, &o, &err), KSEF_EINVAL);
	o.base_url = "https://exa mple.com/v2";
	assert_int_equal(ksef_client_new(&c, &o, &err), KSEF_EINVAL);
	o.base_url = "https://";
	assert_int_equal(ksef_client_new(&c, &o, &err), KSEF_EINVAL);
	o.base_url = "https://api-test.ksef.mf.gov.pl/v2";
	o.version = 2;
	assert_int_equal(ksef_client_new(&c, &o, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "version"));
	o.version = KSEF_CLIENT_OPTIONS_VERSION;
	o.max_retries = 11;
	assert_int_equal(ksef_client_new(&c, &o, &err), KSEF_EINVAL);
	o.max_retries = 0;
	o.max_response_bytes = 10;
	assert_int_equal(ksef_client_new(&c, &o, &err), KSEF_EINVAL);
	o.max_response_bytes = KSEF_CLIENT_RESPONSE_MAX_DEFAULT;
	o.max_retry_after_s = KSEF_CLIENT_RETRY_AFTER_CAP + 1;
	assert_int_equal(ksef_client_new(&c, &o, &err), KSEF_EINVAL);
	o.max_retry_after_s = 1;
	o.user_agent = "x\r\nX-Injected: 1";
	assert_int_equal(ksef_client_new(&c, &o, &err), KSEF_EINVAL);
	o.user_agent = NULL;
	assert_int_equal(ksef_client_new(&c, &o, &err), 0);
	assert_non_null(c);
	ksef_client_free(c);
	ksef_client_free(NULL);
}

static void access_token_must_be_printable_ascii(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "", &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_set_access_token(client, "a\r\nb", &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_set_access_token(client, "a b", &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_set_access_token(client, "abc.def", &err),
			 0);
	assert_int_equal(ksef_client_set_access_token(client, NULL, &err), 0);
}

/*
 * Successful answers
 */

static void challenge_is_parsed_and_sent_without_a_token(void **state)
{
	ksef_api_challenge *ch = NULL;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "access-jwt",
						      NULL), 0);
	script_json(200, "{\"challenge\":\"20250514-CR-226FB7B000-3ACF9BE4C0-"
		    "10\",\"timestamp\":\"2025-07-11T12:23:56.0154302+00:00\","
		    "\"timestampMs\":1752236636015,\"clientIp\":\"192.0.2.7\","
		    "\"futureField\":[1,2]}");
	assert_int_equal(ksef_client_auth_challenge(&ch, client, &err), 0);
	assert_string_equal(ch->challenge,
			    "20250514-CR-226FB7B000-3ACF9BE4C0-10");
	/* timestamp and timestampMs are the same instant; one field keeps
	 * it. */
	assert_true(ch->timestamp_ms == INT64_C(1752236636015));
	assert_string_equal(ch->client_ip, "192.0.2.7");
	assert_string_equal(srv.seen[0].method, "POST");
	assert_string_equal(srv.seen[0].target, "/v2/auth/challenge");
	assert_null(header(0, "Authorization"));
	assert_null(header(0, "X-Error-Format"));
	assert_non_null(strstr(header(0, "User-Agent"), "libksef/"));
	assert_int_equal(ksef_client_last_http_status(client), 200);
	assert_null(ksef_client_last_error(client));
	ksef_api_challenge_free(ch);
}

static void ksef_token_auth_encrypts_token_and_timestamp(void **state)
{
	static const ksef_api_challenge ch = {
		"20250625-CR-2FDC223000-C2BFC98A9C-4E", 1750000000123,
		"192.0.2.1"
	};
	ksef_api_auth_init *init = NULL;
	ksef_buf ct = KSEF_BUF_INIT, pt = KSEF_BUF_INIT;
	json_t *body;
	const char *b64;

	(void)state;
	script_json(202, "{\"referenceNumber\":\"" REF_AU "\","
		    "\"authenticationToken\":{\"token\":\"op.jwt.sig\","
		    "\"validUntil\":\"2025-07-11T12:23:56+00:00\"}}");
	assert_int_equal(ksef_client_auth_ksef_token(&init, client, &ch,
		KSEF_CONTEXT_NIP, "5265877635", REF_EC "|nip-5265877635|abc",
		key, NULL, NULL), 0);
	assert_string_equal(init->reference_number, REF_AU);
	assert_string_equal(init->authentication_token->token, "op.jwt.sig");
	assert_string_equal(header(0, "Content-Type"), "application/json");
	body = json_loads(srv.seen[0].body, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(body);
	assert_string_equal(json_string_value(json_object_get(body,
		"publicKeyId")), ksef_pubkey_id(key));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		body, "contextIdentifier"), "type")), "Nip");
	/* The server's side of it: decrypt and find "token|timestampMs". */
	b64 = json_string_value(json_object_get(body, "encryptedToken"));
	assert_int_equal(ksef_base64_decode(&ct, b64, strlen(b64), 4096, NULL),
			 0);
	assert_int_equal(ksef_rsa_oaep_decrypt(&pt, priv, ct.ptr, ct.size,
					       NULL), 0);
	assert_string_equal((char *)pt.ptr,
			    REF_EC "|nip-5265877635|abc|1750000000123");
	ksef_buf_dispose(&ct);
	ksef_buf_dispose_secure(&pt);
	json_decref(body);
	ksef_api_auth_init_free(init);
}

static void auth_status_and_redeem_use_the_operation_token(void **state)
{
	ksef_api_auth_status *st = NULL;
	ksef_api_tokens *t = NULL;

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "access-jwt",
						      NULL), 0);
	script_json(200, "{\"startDate\":\"2025-06-25T10:00:00+02:00\","
		    "\"authenticationMethod\":\"Token\","
		    "\"authenticationMethodInfo\":{\"category\":\"Token\","
		    "\"code\":\"token.ksef\",\"displayName\":\"Token KSeF\"},"
		    "\"status\":{\"code\":450,\"description\":\"Uwierzytelnianie"
		    " zakończone niepowodzeniem z powodu błędnego tokenu\","
		    "\"details\":[\"Nieprawidłowy token\"]},"
		    "\"isTokenRedeemed\":null}");
	assert_int_equal(ksef_client_auth_status(&st, client, REF_AU,
						 "op.jwt.sig", NULL), 0);
	assert_int_equal(st->status->code, 450);
	assert_int_equal(st->status->detail_count, 1);
	assert_string_equal(st->status->details[0], "Nieprawidłowy token");
	assert_string_equal(st->method_category, "Token");
	assert_int_equal(st->is_token_redeemed, -1);
	assert_true(st->last_token_refresh_date_ms == KSEF_TIME_UNSET);
	/* 10:00 at +02:00 is 08:00Z: the offset was applied. */
	assert_true(st->start_date_ms == INT64_C(1750838400000));
	assert_string_equal(srv.seen[0].target, "/v2/auth/" REF_AU);
	assert_string_equal(header(0, "Authorization"), "Bearer op.jwt.sig");
	ksef_api_auth_status_free(st);

	script_json(200, "{\"accessToken\":{\"token\":\"acc\",\"validUntil\":"
		    "\"2025-06-25T10:15:00Z\"},\"refreshToken\":{\"token\":"
		    "\"ref\",\"validUntil\":\"2025-07-02T10:00:00Z\"}}");
	assert_int_equal(ksef_client_auth_redeem(&t, client, "op.jwt.sig",
						 NULL), 0);
	assert_string_equal(t->access_token->token, "acc");
	assert_string_equal(t->refresh_token->token, "ref");
	assert_string_equal(srv.seen[1].method, "POST");
	assert_string_equal(header(1, "Authorization"), "Bearer op.jwt.sig");
	ksef_api_tokens_free(t);

	script_json(200, "{\"accessToken\":{\"token\":\"acc2\",\"validUntil\":"
		    "\"2025-06-25T10:30:00Z\"}}");
	assert_int_equal(ksef_client_auth_refresh(&t, client, "ref", NULL), 0);
	assert_string_equal(t->access_token->token, "acc2");
	assert_null(t->refresh_token->token);
	assert_string_equal(header(2, "Authorization"), "Bearer ref");
	ksef_api_tokens_free(t);
}

static void open_send_close_use_the_access_token(void **state)
{
	static const char xml[] = "<Faktura>test</Faktura>";
	ksef_api_session_opened *s = NULL;
	ksef_envelope *env = NULL;
	ksef_invoice_meta meta;
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_buf ct = KSEF_BUF_INIT, pt = KSEF_BUF_INIT;
	json_t *body;
	const char *b64;
	ksef_error err;

	(void)state;
	/* Without an access token nothing is sent. */
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	assert_int_equal(ksef_client_session_open(&s, client, KSEF_FORM_FA3,
						  env, key, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "access token"));
	assert_int_equal(nseen(), 0);

	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	script_json(201, "{\"referenceNumber\":\"" REF_SO "\","
		    "\"validUntil\":\"2025-07-11T12:23:56.0154302+00:00\"}");
	assert_int_equal(ksef_client_session_open(&s, client, KSEF_FORM_FA3,
						  env, key, NULL), 0);
	assert_string_equal(s->reference_number, REF_SO);
	assert_string_equal(srv.seen[0].target, "/v2/sessions/online");
	assert_string_equal(header(0, "Authorization"), "Bearer acc");
	body = json_loads(srv.seen[0].body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		body, "formCode"), "systemCode")), "FA (3)");
	json_decref(body);

	script_json(202, "{\"referenceNumber\":\"" REF_EE "\"}");
	assert_int_equal(ksef_client_invoice_send(ref, &meta, client,
		s->reference_number, env, (const unsigned char *)xml,
		strlen(xml), NULL, NULL), 0);
	assert_string_equal(ref, REF_EE);
	assert_string_equal(srv.seen[1].target,
			    "/v2/sessions/online/" REF_SO "/invoices");
	body = json_loads(srv.seen[1].body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(body,
		"invoiceHash")), meta.invoice_hash);
	/* The server can decrypt what was sent back to the invoice. */
	b64 = json_string_value(json_object_get(body,
						"encryptedInvoiceContent"));
	assert_int_equal(ksef_base64_decode(&ct, b64, strlen(b64), 1 << 20,
					    NULL), 0);
	assert_int_equal(ct.size, meta.encrypted_size);
	assert_int_equal(ksef_envelope_decrypt(&pt, env, ct.ptr, ct.size,
					       NULL), 0);
	assert_memory_equal(pt.ptr, xml, strlen(xml));
	json_decref(body);

	script_json(204, NULL);
	assert_int_equal(ksef_client_session_close(client, REF_SO, NULL), 0);
	assert_string_equal(srv.seen[2].target,
			    "/v2/sessions/online/" REF_SO "/close");
	assert_int_equal(srv.seen[2].body_len, 0);
	assert_null(header(2, "Content-Type"));
	ksef_buf_dispose(&ct);
	ksef_buf_dispose(&pt);
	ksef_api_session_opened_free(s);
	ksef_envelope_free(env);
}

static void session_status_reads_upo_pages_and_optional_counts(void **state)
{
	ksef_api_session_status *st = NULL;
	const ksef_api_upo_page *page;

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	script_json(200, "{\"status\":{\"code\":200,\"description\":\"Sesja "
		    "interaktywna przetworzona pomyślnie\"},\"dateCreated\":"
		    "\"2025-09-18T15:00:30+00:00\",\"dateUpdated\":"
		    "\"2025-09-18T15:01:20+00:00\",\"upo\":{\"pages\":[{"
		    "\"referenceNumber\":\"" REF_EU "\",\"downloadUrl\":"
		    "\"https://storage.example/upo_00.xml?sv=1&sig=abc\","
		    "\"downloadUrlExpirationDate\":\"2025-09-21T15:00:50+00:00"
		    "\"}]},\"invoiceCount\":10,\"successfulInvoiceCount\":8,"
		    "\"failedInvoiceCount\":null}");
	assert_int_equal(ksef_client_session_status(&st, client, REF_SO, NULL),
			 0);
	assert_int_equal(st->status->code, 200);
	assert_int_equal(st->status->detail_count, 0);
	assert_true(st->valid_until_ms == KSEF_TIME_UNSET);
	assert_int_equal(ksef_api_upo_pages_count(st->upo_pages), 1);
	page = ksef_api_upo_pages_at(st->upo_pages, 0);
	assert_string_equal(page->reference_number, REF_EU);
	assert_non_null(strstr(page->download_url, "sig=abc"));
	assert_null(ksef_api_upo_pages_at(st->upo_pages, 1));
	assert_true(st->invoice_count == 10);
	assert_true(st->successful_invoice_count == 8);
	assert_true(st->failed_invoice_count == -1);
	ksef_api_session_status_free(st);
}

static void invoice_lists_page_with_the_continuation_header(void **state)
{
	ksef_api_invoice_list *l = NULL;
	const ksef_api_invoice_status *inv;

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	script_json(200, "{\"continuationToken\":\"eyJjIjoxfQ==\","
		    "\"invoices\":[{\"ordinalNumber\":2,\"referenceNumber\":\""
		    REF_EE "\",\"invoiceHash\":\"mkht+3m5trnfxlTYhq3QFn74LkEO"
		    "69MFNlsMAkCDSPA=\",\"invoicingDate\":\"2025-09-18T12:23:"
		    "56.0154302+00:00\",\"status\":{\"code\":440,\"description"
		    "\":\"Duplikat faktury\",\"details\":[\"Duplikat\"],"
		    "\"extensions\":{\"originalKsefNumber\":\"" KSEF_NO "\","
		    "\"nothing\":null}}}]}");
	assert_int_equal(ksef_client_session_invoices(&l, client, REF_SO, 1,
						      50, "tok-1", NULL), 0);
	assert_string_equal(srv.seen[0].target, "/v2/sessions/" REF_SO
			    "/invoices/failed?pageSize=50");
	assert_string_equal(header(0, "x-continuation-token"), "tok-1");
	assert_string_equal(ksef_api_invoice_list_continuation(l),
			    "eyJjIjoxfQ==");
	assert_int_equal(ksef_api_invoice_list_count(l), 1);
	inv = ksef_api_invoice_list_at(l, 0);
	assert_int_equal(inv->ordinal_number, 2);
	assert_int_equal(inv->status->code, 440);
	assert_null(inv->ksef_number);
	assert_int_equal(ksef_api_pairs_count(inv->extensions), 2);
	assert_string_equal(ksef_api_pairs_at(inv->extensions, 0)->key,
			    "originalKsefNumber");
	assert_null(ksef_api_pairs_at(inv->extensions, 1)->value);
	assert_null(ksef_api_pairs_at(inv->extensions, 2));
	assert_null(ksef_api_invoice_list_at(l, 1));
	ksef_api_invoice_list_free(l);

	/* An empty continuation token ends the list. */
	script_json(200, "{\"continuationToken\":\"\",\"invoices\":[]}");
	assert_int_equal(ksef_client_session_invoices(&l, client, REF_SO, 0, 0,
						      NULL, NULL), 0);
	assert_string_equal(srv.seen[1].target,
			    "/v2/sessions/" REF_SO "/invoices");
	assert_null(header(1, "x-continuation-token"));
	assert_null(ksef_api_invoice_list_continuation(l));
	assert_int_equal(ksef_api_invoice_list_count(l), 0);
	ksef_api_invoice_list_free(l);
}

static void session_query_is_percent_encoded_and_repeats_statuses(
	void **state)
{
	ksef_client_session_query q = KSEF_CLIENT_SESSION_QUERY_INIT;
	ksef_api_session_list *l = NULL;
	int64_t from = INT64_C(1735689600000); /* shown at +01:00 */

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	q.page_size = 10;
	q.date_created_from_ms = from;
	q.statuses = KSEF_SESSION_STATUS_IN_PROGRESS |
		     KSEF_SESSION_STATUS_FAILED;
	script_json(200, "{\"sessions\":[{\"referenceNumber\":\"" REF_SO "\","
		    "\"status\":{\"code\":100,\"description\":\"Sesja "
		    "interaktywna otwarta\"},\"dateCreated\":\"2025-01-01T01:00"
		    ":00+01:00\",\"dateUpdated\":\"2025-01-01T01:00:00+01:00\","
		    "\"totalInvoiceCount\":0,\"successfulInvoiceCount\":0,"
		    "\"failedInvoiceCount\":0}]}");
	assert_int_equal(ksef_client_sessions(&l, client, &q, NULL, NULL), 0);
	assert_string_equal(srv.seen[0].target, "/v2/sessions?sessionType="
		"Online&pageSize=10&dateCreatedFrom=2025-01-01T01%3A00%3A00."
		"000%2B01%3A00&statuses=InProgress&statuses=Failed");
	assert_int_equal(ksef_api_session_list_count(l), 1);
	assert_null(ksef_api_session_list_continuation(l));
	ksef_api_session_list_free(l);
}

static void tokens_are_created_listed_read_and_revoked(void **state)
{
	ksef_client_token_query q = KSEF_CLIENT_TOKEN_QUERY_INIT;
	ksef_api_token_created *t = NULL;
	ksef_api_token_status *st = NULL;
	ksef_api_token_list *l = NULL;
	static const char item[] = "{\"referenceNumber\":\"" REF_EC "\","
		"\"authorIdentifier\":{\"type\":\"Nip\",\"value\":\"5265877635"
		"\"},\"contextIdentifier\":{\"type\":\"Nip\",\"value\":"
		"\"5265877635\"},\"description\":\"Wystawianie faktur\","
		"\"requestedPermissions\":[\"InvoiceRead\",\"InvoiceWrite\","
		"\"SomethingNew\"],\"dateCreated\":\"2025-10-10T10:00:00Z\","
		"\"status\":\"Active\",\"statusDetails\":null}";
	char list[1024];

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	script_json(202, "{\"referenceNumber\":\"" REF_EC "\",\"token\":\""
		    REF_EC "|nip-5265877635|919f70\"}");
	assert_int_equal(ksef_client_token_create(&t, client,
		KSEF_TOKEN_PERM_INVOICE_READ | KSEF_TOKEN_PERM_INVOICE_WRITE,
		"Wystawianie faktur", NULL), 0);
	assert_string_equal(t->reference_number, REF_EC);
	assert_string_equal(srv.seen[0].body, "{\"description\":\"Wystawianie "
		"faktur\",\"permissions\":[\"InvoiceRead\",\"InvoiceWrite\"]}");
	ksef_api_token_created_free(t);

	script_json(200, item);
	assert_int_equal(ksef_client_token_status(&st, client, REF_EC, NULL),
			 0);
	assert_int_equal(st->requested_permissions,
		KSEF_TOKEN_PERM_INVOICE_READ | KSEF_TOKEN_PERM_INVOICE_WRITE);
	assert_string_equal(st->status, "Active");
	assert_string_equal(st->author_value, "5265877635");
	assert_true(st->last_use_date_ms == KSEF_TIME_UNSET);
	ksef_api_token_status_free(st);

	snprintf(list, sizeof(list), "{\"continuationToken\":\"n\","
		 "\"tokens\":[%s,%s]}", item, item);
	script_json(200, list);
	q.statuses = KSEF_TOKEN_STATUS_ACTIVE | KSEF_TOKEN_STATUS_PENDING;
	q.description = "faktur & co";
	q.page_size = 20;
	assert_int_equal(ksef_client_tokens(&l, client, &q, NULL, NULL), 0);
	assert_string_equal(srv.seen[2].target, "/v2/tokens?status=Pending&"
		"status=Active&description=faktur%20%26%20co&pageSize=20");
	assert_int_equal(ksef_api_token_list_count(l), 2);
	assert_string_equal(ksef_api_token_list_continuation(l), "n");
	ksef_api_token_list_free(l);

	script_json(204, NULL);
	assert_int_equal(ksef_client_token_revoke(client, REF_EC, NULL), 0);
	assert_string_equal(srv.seen[3].method, "DELETE");
	assert_string_equal(srv.seen[3].target, "/v2/tokens/" REF_EC);
}

static void auth_sessions_list_and_revocation(void **state)
{
	ksef_api_auth_list *l = NULL;

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	script_json(200, "{\"items\":[{\"referenceNumber\":\"" REF_AU "\","
		    "\"isCurrent\":true,\"startDate\":\"2025-06-25T10:00:00Z\","
		    "\"authenticationMethodInfo\":{\"category\":\"XadesSignatu"
		    "re\",\"code\":\"xades.qualified-seal\",\"displayName\":"
		    "\"Pieczęć kwalifikowana\"},\"status\":{\"code\":200,"
		    "\"description\":\"Uwierzytelnianie zakończone sukcesem\"}}"
		    "]}");
	assert_int_equal(ksef_client_auth_sessions(&l, client, 10, NULL, NULL),
			 0);
	assert_string_equal(srv.seen[0].target,
			    "/v2/auth/sessions?pageSize=10");
	assert_int_equal(ksef_api_auth_list_count(l), 1);
	assert_string_equal(ksef_api_auth_list_at(l, 0)->reference_number,
			    REF_AU);
	assert_int_equal(ksef_api_auth_list_at(l, 0)->is_current, 1);
	assert_null(ksef_api_auth_list_at(l, 0)->authentication_method);
	ksef_api_auth_list_free(l);

	script_json(204, NULL);
	script_json(204, NULL);
	assert_int_equal(ksef_client_auth_revoke_current(client, NULL), 0);
	assert_int_equal(ksef_client_auth_revoke(client, REF_AU, NULL), 0);
	assert_string_equal(srv.seen[1].method, "DELETE");
	assert_string_equal(srv.seen[1].target, "/v2/auth/sessions/current");
	assert_string_equal(srv.seen[2].target, "/v2/auth/sessions/" REF_AU);
}

static void pick_takes_the_valid_key_with_the_latest_valid_from(void **state)
{
	ksef_api_pubkey_certs *certs = NULL;
	const ksef_api_pubkey_cert *k;
	int64_t now = INT64_C(1760000000000); /* 2025-10-09 */

	(void)state;
	script_json(200, "[{\"certificate\":\"QQ==\",\"certificateId\":\"a\","
		"\"publicKeyId\":\"old\",\"validFrom\":\"2024-01-01T00:00:00Z\","
		"\"validTo\":\"2026-01-01T00:00:00Z\",\"usage\":["
		"\"KsefTokenEncryption\",\"SymmetricKeyEncryption\"]},"
		"{\"certificate\":\"QQ==\",\"certificateId\":\"b\","
		"\"publicKeyId\":\"new\",\"validFrom\":\"2025-06-01T00:00:00Z\","
		"\"validTo\":\"2027-01-01T00:00:00Z\",\"usage\":["
		"\"SymmetricKeyEncryption\",\"FutureUsage\"]},"
		"{\"certificate\":\"QQ==\",\"certificateId\":\"c\","
		"\"publicKeyId\":\"future\",\"validFrom\":\"2026-06-01T00:00:00Z"
		"\",\"validTo\":\"2028-01-01T00:00:00Z\",\"usage\":["
		"\"SymmetricKeyEncryption\",\"KsefTokenEncryption\"]}]");
	assert_int_equal(ksef_client_pubkey_certs(&certs, client, NULL), 0);
	assert_int_equal(ksef_api_pubkey_certs_count(certs), 3);
	assert_int_equal(ksef_api_pubkey_certs_at(certs, 1)->usage,
			 KSEF_KEY_USAGE_SYMMETRIC_KEY);
	assert_null(ksef_api_pubkey_certs_at(certs, 3));
	k = ksef_api_pubkey_certs_pick(certs, KSEF_KEY_USAGE_SYMMETRIC_KEY,
				       now);
	assert_string_equal(k->public_key_id, "new");
	k = ksef_api_pubkey_certs_pick(certs, KSEF_KEY_USAGE_KSEF_TOKEN, now);
	assert_string_equal(k->public_key_id, "old");
	now = INT64_C(1900000000000); /* 2030: all expired */
	assert_null(ksef_api_pubkey_certs_pick(certs,
					       KSEF_KEY_USAGE_KSEF_TOKEN, now));
	assert_null(ksef_api_pubkey_certs_pick(NULL, 1, now));
	ksef_api_pubkey_certs_free(certs);
}

static void list_accessors_take_null_and_stop_at_the_end(void **state)
{
	ksef_api_token_list *l = NULL;

	(void)state;
	/* A NULL list is empty: what a failed call left in *out. */
	assert_int_equal(ksef_api_pubkey_certs_count(NULL), 0);
	assert_null(ksef_api_pubkey_certs_at(NULL, 0));
	assert_int_equal(ksef_api_auth_list_count(NULL), 0);
	assert_null(ksef_api_auth_list_at(NULL, 0));
	assert_null(ksef_api_auth_list_continuation(NULL));
	assert_int_equal(ksef_api_session_list_count(NULL), 0);
	assert_null(ksef_api_session_list_at(NULL, 0));
	assert_null(ksef_api_session_list_continuation(NULL));
	assert_int_equal(ksef_api_invoice_list_count(NULL), 0);
	assert_null(ksef_api_invoice_list_at(NULL, 0));
	assert_null(ksef_api_invoice_list_continuation(NULL));
	assert_int_equal(ksef_api_token_list_count(NULL), 0);
	assert_null(ksef_api_token_list_at(NULL, 0));
	assert_null(ksef_api_token_list_continuation(NULL));
	assert_int_equal(ksef_api_problems_count(NULL), 0);
	assert_null(ksef_api_problems_at(NULL, 0));
	assert_int_equal(ksef_api_upo_pages_count(NULL), 0);
	assert_null(ksef_api_upo_pages_at(NULL, 0));
	assert_int_equal(ksef_api_pairs_count(NULL), 0);
	assert_null(ksef_api_pairs_at(NULL, 0));

	/* A real page: every index past the end, however large, is NULL. */
	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	script_json(200, "{\"tokens\":[]}");
	assert_int_equal(ksef_client_tokens(&l, client, NULL, NULL, NULL), 0);
	assert_int_equal(ksef_api_token_list_count(l), 0);
	assert_null(ksef_api_token_list_at(l, 0));
	assert_null(ksef_api_token_list_at(l, SIZE_MAX));
	assert_null(ksef_api_token_list_continuation(l));
	ksef_api_token_list_free(l);
}

/*
 * Answers that break the contract
 */

static void malformed_success_answers_are_refused_by_field(void **state)
{
	static const struct {
		const char *body;
		const char *field;
	} cases[] = {
		{ "", "not JSON" },
		{ "[]", "not a JSON object" },
		{ "{\"challenge\":\"x\"}", "challenge has 1 bytes" },
		{ "{\"challenge\":\"20250514-CR-226FB7B000-3ACF9BE4C0-10\","
		  "\"timestamp\":\"2025-07-11T12:23:56\",\"timestampMs\":1,"
		  "\"clientIp\":\"x\"}", "timestamp is not a date-time" },
		{ "{\"challenge\":\"20250514-CR-226FB7B000-3ACF9BE4C0-10\","
		  "\"timestamp\":\"2025-07-11T12:23:56Z\",\"timestampMs\":"
		  "\"1\",\"clientIp\":\"x\"}", "timestampMs is not an integer" },
		{ "{\"challenge\":\"20250514-CR-226FB7B000-3ACF9BE4C0-10\","
		  "\"timestamp\":\"2025-07-11T12:23:56Z\",\"timestampMs\":1}",
		  "clientIp is missing" },
		{ "{\"challenge\":\"20250514-CR-226FB7B000-3ACF9BE4C0-10\","
		  "\"challenge\":\"20250514-CR-226FB7B000-3ACF9BE4C0-10\"}",
		  "not JSON" },
		{ "{\"challenge\":\"20250514-CR-226FB7B000-3ACF9BE4C0-1\\u0000"
		  "\",\"timestamp\":\"2025-07-11T12:23:56Z\",\"timestampMs\":1,"
		  "\"clientIp\":\"x\"}", "not JSON" }, /* no JSON_ALLOW_NUL */
	};
	ksef_api_challenge *ch = (ksef_api_challenge *)1;
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		script_json(200, cases[i].body);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ksef_client_auth_challenge(&ch, client, &err),
				 KSEF_EPARSE);
		assert_null(ch);
		if (strstr(err.message, cases[i].field) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i,
				 err.message, cases[i].field);
	}
}

static void a_token_with_a_newline_is_refused_not_stored(void **state)
{
	ksef_api_tokens *t = (ksef_api_tokens *)1;
	ksef_error err;

	(void)state;
	script_json(200, "{\"accessToken\":{\"token\":\"a\\r\\nX-Evil: 1\","
		    "\"validUntil\":\"2025-06-25T10:15:00Z\"},\"refreshToken\":"
		    "{\"token\":\"r\",\"validUntil\":\"2025-06-25T10:15:00Z\"}}");
	assert_int_equal(ksef_client_auth_redeem(&t, client, "op", &err),
			 KSEF_EPARSE);
	assert_null(t);
	assert_non_null(strstr(err.message, "accessToken.token"));
	assert_null(strstr(err.message, "Evil"));
}

static void path_arguments_are_checked_before_sending(void **state)
{
	ksef_api_session_status *st = NULL;
	ksef_buf b = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	assert_int_equal(ksef_client_session_status(&st, client,
		"20250625-SO-2C3E6C8000-B675CF5D6/../x", &err), KSEF_EINVAL);
	assert_int_equal(ksef_client_session_status(&st, client, "short", &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_invoice_download(&b, client,
		"5265877635-20250626-010080DD2B5E-26?a", &err), KSEF_EINVAL);
	assert_int_equal(ksef_client_download_url(&b, client,
		"file:///etc/passwd", &err), KSEF_EINVAL);
	assert_int_equal(ksef_client_sessions(NULL, client, NULL, NULL, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef_client_session_invoices(NULL, client, REF_SO, 0,
						      5, NULL, &err),
			 KSEF_EINVAL);
	assert_int_equal(nseen(), 0);
}

/*
 * Error answers
 */

static void exception_response_gives_codes_and_details(void **state)
{
	const ksef_api_error *e;
	ksef_api_session_opened *s = NULL;
	ksef_envelope *env = NULL;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "secret-acc",
						      NULL), 0);
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	script_json(400, "{\"exception\":{\"exceptionDetailList\":[{"
		"\"exceptionCode\":21470,\"exceptionDescription\":\"Przesłany "
		"identyfikator klucza jest nieznany lub wskazuje na wycofany "
		"klucz.\",\"details\":[\"Klucz o identyfikatorze X nie jest "
		"wspierany.\"]},{\"exceptionCode\":21405,\"exceptionDescripti"
		"on\":\"Błąd walidacji danych wejściowych.\",\"details\":null}]"
		",\"referenceNumber\":\"a1b2c3d4-e5f6-4789-ab12-cd34ef567890\","
		"\"serviceCode\":\"00-c02cc3747020c605be02159bf3324f0e-eee764"
		"7dc67aa74a-00\",\"serviceCtx\":\"srvABCDA\",\"serviceName\":"
		"\"Undefined\",\"timestamp\":\"2025-10-11T12:23:56.0154302\"}}");
	assert_int_equal(ksef_client_session_open(&s, client, KSEF_FORM_FA3,
						  env, key, &err), KSEF_EHTTP);
	assert_null(s);
	assert_int_equal(err.code, KSEF_EHTTP);
	assert_non_null(strstr(err.message, "POST /sessions/online: HTTP 400"));
	assert_non_null(strstr(err.message, "21470"));
	assert_non_null(strstr(err.message, "(and 1 more)"));
	assert_null(strstr(err.message, "secret-acc"));
	e = ksef_client_last_error(client);
	assert_non_null(e);
	assert_int_equal(e->http_status, 400);
	assert_int_equal(e->format, KSEF_API_ERROR_EXCEPTION);
	assert_int_equal(ksef_api_problems_count(e->problems), 2);
	assert_int_equal(ksef_api_problems_at(e->problems, 0)->code, 21470);
	assert_int_equal(ksef_api_problems_at(e->problems, 0)->detail_count, 1);
	assert_string_equal(ksef_api_problems_at(e->problems, 0)->details[0],
			    "Klucz o identyfikatorze X nie jest wspierany.");
	assert_int_equal(ksef_api_problems_at(e->problems, 1)->code, 21405);
	assert_int_equal(ksef_api_problems_at(e->problems, 1)->detail_count, 0);
	assert_true(ksef_api_error_has_code(e, 21470));
	assert_false(ksef_api_error_has_code(e, 21111));
	assert_string_equal(e->reference_number,
			    "a1b2c3d4-e5f6-4789-ab12-cd34ef567890");
	assert_non_null(e->trace_id);
	assert_int_equal(e->retry_after, -1);
	assert_null(e->excerpt);
	/* The next call forgets it. */
	script_json(201, "{\"referenceNumber\":\"" REF_SO "\","
		    "\"validUntil\":\"2025-07-11T12:23:56Z\"}");
	assert_int_equal(ksef_client_session_open(&s, client, KSEF_FORM_FA3,
						  env, key, NULL), 0);
	assert_null(ksef_client_last_error(client));
	ksef_api_session_opened_free(s);
	ksef_envelope_free(env);
}

static void problem_details_are_asked_for_and_parsed(void **state)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_api_token_created *t = NULL;
	const ksef_api_error *e;
	ksef_client *pd;
	ksef_error err;
	struct canned c = { 400, "Bad Request",
		"Content-Type: application/problem+json\r\n",
		"{\"title\":\"Bad Request\",\"status\":400,\"instance\":"
		"\"/tokens\",\"detail\":\"Żądanie jest nieprawidłowe.\","
		"\"errors\":[{\"code\":26002,\"description\":\"Nie można "
		"wygenerować tokena dla obecnego typu kontekstu.\",\"details\""
		":[\"NipVatUe\",\"Nip,\\nInternalId\"]}],\"timestamp\":"
		"\"2025-07-11T12:23:56.0154302+00:00\",\"traceId\":"
		"\"673843e023c432286660bc0501a3af44\"}", 0, 0, 0 };

	(void)state;
	o.problem_details = 1;
	pd = make_client(&o);
	assert_int_equal(ksef_client_set_access_token(pd, "acc", NULL), 0);
	script(&c);
	assert_int_equal(ksef_client_token_create(&t, pd,
		KSEF_TOKEN_PERM_INVOICE_READ, "abcdef", &err), KSEF_EHTTP);
	assert_string_equal(header(0, "X-Error-Format"), "problem-details");
	e = ksef_client_last_error(pd);
	assert_int_equal(e->format, KSEF_API_ERROR_PROBLEM);
	assert_int_equal(ksef_api_problems_count(e->problems), 1);
	assert_int_equal(ksef_api_problems_at(e->problems, 0)->code, 26002);
	assert_int_equal(ksef_api_problems_at(e->problems, 0)->detail_count, 2);
	/* Control characters from the server become spaces. */
	assert_string_equal(ksef_api_problems_at(e->problems, 0)->details[1],
			    "Nip, InternalId");
	assert_string_equal(e->title, "Bad Request");
	assert_string_equal(e->detail, "Żądanie jest nieprawidłowe.");
	assert_string_equal(e->trace_id, "673843e023c432286660bc0501a3af44");
	assert_string_equal(e->instance, "/tokens");
	assert_non_null(strstr(err.message, "26002"));
	ksef_client_free(pd);
}

static void forbidden_and_unauthorized_carry_reason_and_detail(void **state)
{
	ksef_api_session_status *st = NULL;
	const ksef_api_error *e;
	ksef_error err;
	struct canned forbidden = { 403, "Forbidden",
		"Content-Type: application/problem+json\r\n",
		"{\"title\":\"Forbidden\",\"status\":403,\"detail\":\"Brak "
		"wymaganych uprawnień.\",\"reasonCode\":\"missing-permissions"
		"\",\"security\":{\"requiredAnyOfPermissions\":[\"InvoiceRead"
		"\"],\"presentPermissions\":[]},\"timestamp\":\"2025-07-11T12:"
		"23:56Z\"}", 0, 0, 0 };
	struct canned unauth = { 401, "Unauthorized",
		"Content-Type: application/problem+json\r\n",
		"{\"title\":\"Unauthorized\",\"status\":401,\"detail\":"
		"\"Wymagane jest uwierzytelnienie.\",\"timestamp\":\"2025-07-"
		"11T12:23:56Z\"}", 0, 0, 0 };

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "tok-123456",
						      NULL), 0);
	script(&forbidden);
	script(&unauth);
	assert_int_equal(ksef_client_session_status(&st, client, REF_SO, &err),
			 KSEF_EHTTP);
	e = ksef_client_last_error(client);
	assert_int_equal(e->http_status, 403);
	assert_int_equal(ksef_api_problems_count(e->problems), 0);
	assert_string_equal(e->reason_code, "missing-permissions");
	assert_string_equal(e->security, "{\"presentPermissions\":[],"
		"\"requiredAnyOfPermissions\":[\"InvoiceRead\"]}");
	assert_non_null(strstr(err.message, "(missing-permissions)"));
	assert_int_equal(ksef_client_session_status(&st, client, REF_SO, &err),
			 KSEF_EHTTP);
	e = ksef_client_last_error(client);
	assert_int_equal(e->http_status, 401);
	assert_string_equal(e->detail, "Wymagane jest uwierzytelnienie.");
	assert_non_null(strstr(err.message,
		"HTTP 401: Unauthorized: Wymagane jest uwierzytelnienie."));
	assert_null(strstr(err.message, "tok-123456"));
	/* 4xx are never retried, even on a GET. */
	assert_int_equal(nseen(), 2);
}

static void an_html_502_gives_a_readable_message(void **state)
{
	ksef_api_tokens *t = NULL;
	const ksef_api_error *e;
	ksef_error err;
	struct canned c = { 502, "Bad Gateway", "Content-Type: text/html\r\n",
		"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
		"<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
		"<hr><center>nginx</center>\r\n\x01\xff</body>\r\n</html>\r\n",
		0, 0, 0 };

	(void)state;
	script(&c);
	assert_int_equal(ksef_client_auth_redeem(&t, client, "op", &err),
			 KSEF_EHTTP);
	assert_string_equal(err.message, "POST /auth/token/redeem: HTTP 502: "
		"Bad Gateway: 502 Bad Gateway 502 Bad Gateway nginx ??");
	e = ksef_client_last_error(client);
	assert_int_equal(e->format, KSEF_API_ERROR_OTHER);
	assert_int_equal(e->http_status, 502);
	assert_int_equal(ksef_api_problems_count(e->problems), 0);
	assert_non_null(e->excerpt);
	/* A redeem works once: a 5xx is not retried. */
	assert_int_equal(nseen(), 1);
}

static void an_empty_error_body_still_names_the_status(void **state)
{
	ksef_buf b = KSEF_BUF_INIT;
	ksef_error err;
	struct canned c = { 410, "Gone", NULL, NULL, 0, 0, 0 };

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	script(&c);
	assert_int_equal(ksef_client_invoice_download(&b, client, KSEF_NO,
						      &err), KSEF_EHTTP);
	assert_string_equal(err.message, "GET /invoices/ksef/" KSEF_NO
			    ": HTTP 410: Gone");
	assert_int_equal(ksef_client_last_error(client)->format,
			 KSEF_API_ERROR_EMPTY);
	assert_null(b.ptr);
}

/*
 * Retries
 */

static void rate_limit_is_waited_out_within_the_cap(void **state)
{
	ksef_api_challenge *ch = NULL;
	struct canned limited = { 429, "Too Many Requests",
		"Retry-After: 1\r\nContent-Type: application/json\r\n",
		"{\"status\":{\"code\":429,\"description\":\"Too Many Requests"
		"\",\"details\":[\"Przekroczono limit 20 żądań na minutę.\"]}}",
		0, 0, 0 };
	struct timespec t0, t1;

	(void)state;
	/* A 429 is retried even for a POST: KSeF refused it untouched. */
	script(&limited);
	script_json(200, "{\"challenge\":\"20250514-CR-226FB7B000-3ACF9BE4C0-"
		    "10\",\"timestamp\":\"2025-07-11T12:23:56Z\",\"timestampMs"
		    "\":1,\"clientIp\":\"x\"}");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ksef_client_auth_challenge(&ch, client, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(nseen(), 2);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 900);
	assert_null(ksef_client_last_error(client));
	ksef_api_challenge_free(ch);
}

static void rate_limit_over_the_cap_fails_at_once(void **state)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_api_pubkey_certs *certs = NULL;
	const ksef_api_error *e;
	ksef_client *c;
	ksef_error err;
	struct canned limited = { 429, "Too Many Requests",
		"Retry-After: 120\r\nContent-Type: application/json\r\n",
		"{\"status\":{\"code\":429,\"description\":\"Too Many Requests"
		"\",\"details\":[\"Spróbuj ponownie po 120 sekundach.\"]}}",
		0, 0, 0 };

	(void)state;
	o.max_retry_after_s = 5;
	c = make_client(&o);
	script(&limited);
	assert_int_equal(ksef_client_pubkey_certs(&certs, c, &err),
			 KSEF_ERATELIMIT);
	assert_int_equal(nseen(), 1);
	assert_non_null(strstr(err.message,
		"HTTP 429 (Retry-After 120 s is over the cap of 5 s)"));
	e = ksef_client_last_error(c);
	assert_int_equal(e->format, KSEF_API_ERROR_STATUS);
	assert_int_equal(e->retry_after, 120);
	assert_int_equal(ksef_api_problems_count(e->problems), 1);
	assert_int_equal(ksef_api_problems_at(e->problems, 0)->code, 429);
	assert_string_equal(ksef_api_problems_at(e->problems, 0)->details[0],
			    "Spróbuj ponownie po 120 sekundach.");
	ksef_client_free(c);
}

static void rate_limit_waits_are_counted(void **state)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_api_pubkey_certs *certs = NULL;
	ksef_client *c;
	ksef_error err;
	struct canned limited = { 429, NULL, "Retry-After: 0\r\n",
		"{\"title\":\"Too Many Requests\",\"status\":429,\"detail\":"
		"\"Przekroczono limit.\",\"instance\":\"/x\",\"timestamp\":"
		"\"2025-07-11T12:23:56Z\",\"traceId\":\"t\"}", 0, 0, 0 };

	(void)state;
	o.max_rate_limit_waits = 2;
	c = make_client(&o);
	script(&limited);
	script(&limited);
	script(&limited);
	assert_int_equal(ksef_client_pubkey_certs(&certs, c, &err),
			 KSEF_ERATELIMIT);
	assert_int_equal(nseen(), 3);
	assert_non_null(strstr(err.message, "(after 2 waits)"));
	assert_int_equal(ksef_client_last_error(c)->format,
			 KSEF_API_ERROR_PROBLEM);
	ksef_client_free(c);
}

static void server_errors_on_a_get_are_retried(void **state)
{
	ksef_api_session_status *st = NULL;
	struct canned unavailable = { 503, "Service Unavailable", NULL,
				      "busy", 0, 0, 0 };

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	script(&unavailable);
	script(&unavailable);
	script_json(200, "{\"status\":{\"code\":100,\"description\":\"Sesja "
		    "interaktywna otwarta\"},\"dateCreated\":\"2025-09-18T15:00"
		    ":30+00:00\",\"dateUpdated\":\"2025-09-18T15:01:20+00:00\"}");
	assert_int_equal(ksef_client_session_status(&st, client, REF_SO, NULL),
			 0);
	assert_int_equal(nseen(), 3);
	assert_int_equal(st->status->code, 100);
	assert_int_equal(ksef_api_upo_pages_count(st->upo_pages), 0);
	assert_null(st->upo_pages);
	ksef_api_session_status_free(st);
}

static void server_errors_give_up_after_max_retries(void **state)
{
	ksef_api_session_status *st = NULL;
	struct canned unavailable = { 500, "Internal Server Error", NULL,
				      NULL, 0, 0, 0 };
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	script(&unavailable);
	script(&unavailable);
	script(&unavailable);
	script(&unavailable);
	assert_int_equal(ksef_client_session_status(&st, client, REF_SO, &err),
			 KSEF_EHTTP);
	assert_int_equal(nseen(), 3); /* one try and the two retries */
	assert_int_equal(ksef_client_last_http_status(client), 500);
}

static void a_post_is_not_blindly_retried(void **state)
{
	static const char xml[] = "<Faktura/>";
	struct canned failed = { 500, "Internal Server Error", NULL, "oops",
				 0, 0, 0 };
	ksef_envelope *env = NULL;
	char ref[KSEF_REFNUM_BUFSZ] = "unchanged";
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	script(&failed);
	script_json(202, "{\"referenceNumber\":\"" REF_EE "\"}");
	assert_int_equal(ksef_client_invoice_send(ref, NULL, client, REF_SO,
		env, (const unsigned char *)xml, strlen(xml), NULL, &err),
		KSEF_EHTTP);
	assert_int_equal(nseen(), 1);
	assert_string_equal(ref, "unchanged");
	assert_non_null(strstr(err.message, "HTTP 500"));
	ksef_envelope_free(env);
}

static void a_timeout_is_a_network_error(void **state)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_api_challenge *ch = NULL;
	struct canned slow = { 200, NULL, NULL, "{}", 0, 0, 1500 };
	ksef_client *c;
	ksef_error err;

	(void)state;
	o.timeout_ms = 300;
	o.max_retries = 0;
	c = make_client(&o);
	script(&slow);
	assert_int_equal(ksef_client_auth_challenge(&ch, c, &err),
			 KSEF_ENETWORK);
	assert_non_null(strstr(err.message, "POST /auth/challenge: "));
	assert_int_equal(ksef_client_last_http_status(c), 0);
	assert_null(ksef_client_last_error(c));
	ksef_client_free(c);
}

static void a_refused_connection_is_a_network_error(void **state)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_api_challenge *ch = NULL;
	ksef_client *c = NULL;
	ksef_error err;
	int port;

	(void)state;
	/* A port nobody listens on: the server's own, once it is gone. */
	port = srv.port;
	teardown(NULL);
	{
		char url[64];

		snprintf(url, sizeof(url), "http://127.0.0.1:%d/v2", port);
		o.base_url = url;
		o.proxy = "";
		o.retry_backoff_ms = 1;
		assert_int_equal(ksef_client_new(&c, &o, NULL), 0);
	}
	assert_int_equal(ksef_client_auth_challenge(&ch, c, &err),
			 KSEF_ENETWORK);
	assert_null(ch);
	ksef_client_free(c);
	setup(NULL);
}

/*
 * Bounds and integrity
 */

static void an_oversized_response_is_refused(void **state)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_api_pubkey_certs *certs = NULL;
	ksef_buf b = KSEF_BUF_INIT;
	ksef_client *c;
	ksef_error err;
	static char big[5000];
	struct canned announced = { 200, NULL, NULL, big, sizeof(big), 0, 0 };
	struct canned unannounced = { 200, NULL, NULL, big, sizeof(big), 1, 0 };
	struct canned at_limit = { 200, NULL, NULL, big, 1024, 1, 0 };

	(void)state;
	memset(big, 'x', sizeof(big));
	o.max_response_bytes = 1024;
	c = make_client(&o);
	assert_int_equal(ksef_client_set_access_token(c, "acc", NULL), 0);
	/* Refused by its Content-Length, and by counting without one. */
	script(&announced);
	script(&unannounced);
	script(&at_limit);
	assert_int_equal(ksef_client_pubkey_certs(&certs, c, &err),
			 KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "1024 bytes"));
	assert_int_equal(ksef_client_invoice_download(&b, c, KSEF_NO, &err),
			 KSEF_ETOOBIG);
	assert_null(b.ptr);
	/* Exactly at the limit is fine. */
	assert_int_equal(ksef_client_invoice_download(&b, c, KSEF_NO, &err), 0);
	assert_int_equal(b.size, 1024);
	ksef_buf_dispose(&b);
	ksef_client_free(c);
}

static void downloads_check_x_ms_meta_hash(void **state)
{
	static const char upo[] = "<Potwierdzenie>upo</Potwierdzenie>";
	char hash[KSEF_SHA256_B64_LEN + 1], good[128], bad[128];
	ksef_buf b = KSEF_BUF_INIT;
	ksef_error err;
	struct canned ok = { 200, NULL, good, upo, 0, 0, 0 };
	struct canned wrong = { 200, NULL, bad, upo, 0, 0, 0 };
	struct canned none = { 200, NULL, "Content-Type: application/xml\r\n",
			       upo, 0, 0, 0 };

	(void)state;
	assert_int_equal(ksef_sha256_base64(hash, (const unsigned char *)upo,
					    strlen(upo), NULL), 0);
	snprintf(good, sizeof(good), "x-ms-meta-hash: %s\r\n", hash);
	hash[3] ^= 1;
	snprintf(bad, sizeof(bad), "X-MS-META-HASH:%s\r\n", hash);
	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	script(&ok);
	script(&wrong);
	script(&none);
	assert_int_equal(ksef_client_upo_by_invoice_ref(&b, client, REF_SO,
							REF_EE, &err), 0);
	assert_string_equal((char *)b.ptr, upo);
	assert_string_equal(srv.seen[0].target,
			    "/v2/sessions/" REF_SO "/invoices/" REF_EE "/upo");
	assert_int_equal(ksef_client_upo_by_ksef_number(&b, client, REF_SO,
							KSEF_NO, &err),
			 KSEF_ECHECKSUM);
	assert_non_null(strstr(err.message, "x-ms-meta-hash"));
	/* The buffer keeps what it held on failure. */
	assert_string_equal((char *)b.ptr, upo);
	assert_string_equal(srv.seen[1].target, "/v2/sessions/" REF_SO
			    "/invoices/ksef/" KSEF_NO "/upo");
	assert_int_equal(ksef_client_upo_session_page(&b, client, REF_SO,
						      REF_EU, &err), 0);
	assert_string_equal(srv.seen[2].target,
			    "/v2/sessions/" REF_SO "/upo/" REF_EU);
	ksef_buf_dispose(&b);
}

static void presigned_urls_get_no_token_but_api_calls_do(void **state)
{
	static const char upo[] = "<Potwierdzenie/>";
	char url[160];
	ksef_buf b = KSEF_BUF_INIT;
	ksef_error err;
	struct canned doc = { 200, NULL, NULL, upo, 0, 0, 0 };
	struct canned denied = { 403, "Forbidden", NULL,
		"<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code>"
		"</Error>", 0, 0, 0 };

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "acc-secret",
						      NULL), 0);
	script(&doc);
	script(&doc);
	script(&denied);
	assert_int_equal(ksef_client_invoice_download(&b, client, KSEF_NO,
						      NULL), 0);
	assert_string_equal(header(0, "Authorization"), "Bearer acc-secret");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/storage/upo_00.xml"
		 "?sv=2024&sig=SECRETSIG", srv.port);
	assert_int_equal(ksef_client_download_url(&b, client, url, NULL), 0);
	assert_string_equal(srv.seen[1].target,
			    "/storage/upo_00.xml?sv=2024&sig=SECRETSIG");
	assert_null(header(1, "Authorization"));
	assert_null(header(1, "X-Error-Format"));
	assert_string_equal((char *)b.ptr, upo);
	/* The URL's signature never reaches a message. */
	assert_int_equal(ksef_client_download_url(&b, client, url, &err),
			 KSEF_EHTTP);
	assert_null(strstr(err.message, "SECRETSIG"));
	assert_non_null(strstr(err.message, "GET pre-signed URL: HTTP 403"));
	ksef_buf_dispose(&b);
}

static void system_warnings_are_kept_for_the_caller(void **state)
{
	ksef_buf b = KSEF_BUF_INIT;
	struct canned warned = { 200, NULL,
		"X-System-Warning: [W1]: Uwaga <b> | [W2]: druga\r\n", "<a/>",
		0, 0, 0 };

	(void)state;
	assert_int_equal(ksef_client_set_access_token(client, "acc", NULL), 0);
	script(&warned);
	assert_int_equal(ksef_client_invoice_download(&b, client, KSEF_NO,
						      NULL), 0);
	assert_string_equal(ksef_client_last_warning(client),
			    "[W1]: Uwaga <b> | [W2]: druga");
	ksef_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_refuses_bad_options),
		cmocka_unit_test_setup_teardown(
			access_token_must_be_printable_ascii, setup, teardown),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(challenge_is_parsed_and_sent_without_a_token),
		T(ksef_token_auth_encrypts_token_and_timestamp),
		T(auth_status_and_redeem_use_the_operation_token),
		T(open_send_close_use_the_access_token),
		T(session_status_reads_upo_pages_and_optional_counts),
		T(invoice_lists_page_with_the_continuation_header),
		T(session_query_is_percent_encoded_and_repeats_statuses),
		T(tokens_are_created_listed_read_and_revoked),
		T(auth_sessions_list_and_revocation),
		T(pick_takes_the_valid_key_with_the_latest_valid_from),
		T(list_accessors_take_null_and_stop_at_the_end),
		T(malformed_success_answers_are_refused_by_field),
		T(a_token_with_a_newline_is_refused_not_stored),
		T(path_arguments_are_checked_before_sending),
		T(exception_response_gives_codes_and_details),
		T(problem_details_are_asked_for_and_parsed),
		T(forbidden_and_unauthorized_carry_reason_and_detail),
		T(an_html_502_gives_a_readable_message),
		T(an_empty_error_body_still_names_the_status),
		T(rate_limit_is_waited_out_within_the_cap),
		T(rate_limit_over_the_cap_fails_at_once),
		T(rate_limit_waits_are_counted),
		T(server_errors_on_a_get_are_retried),
		T(server_errors_give_up_after_max_retries),
		T(a_post_is_not_blindly_retried),
		T(a_timeout_is_a_network_error),
		T(a_refused_connection_is_a_network_error),
		T(an_oversized_response_is_refused),
		T(downloads_check_x_ms_meta_hash),
		T(presigned_urls_get_no_token_but_api_calls_do),
		T(system_warnings_are_kept_for_the_caller),
#undef T
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
