/*
 * client_resend_test.c - when the API client sends a request again after a
 * network failure. A request that is not safe to repeat (an invoice sent
 * into a session) may go out a second time only when no byte of it went
 * out the first time; libcurl retries a request on a reused connection by
 * itself, and reports the failure of that retry as "Couldn't connect",
 * which must not pass for "nothing was sent". A retry-safe request (a GET)
 * is still retried after a dropped connection, and a refused connection is
 * retried as the options say.
 *
 * The server here keeps connections alive (unlike client_test.c's, which
 * closes each), so that libcurl reuses them, and follows a script that can
 * answer a request, drop it after reading it whole, or go away and come
 * back on the same port.
 */
#include "testsupport.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "ksef/client.h"
#include "ksef/envelope.h"

/*
 * The scripted keep-alive server
 */

enum act {
	ANSWER,     /* answer, keep the connection open */
	ANSWER_END, /* answer as if keeping it open, then close it at once */
	DROP,       /* read the whole request, close without a word */
	DROP_DOWN   /* DROP, stop listening, come back after down_ms */
};

struct step {
	enum act act;
	int status;
	const char *body;
};

#define MAX_STEPS 8
#define MAX_CONNS 8

static struct {
	int running;
	int lfd;          /* the listener, -1 while down */
	int port;
	int listen_after_ms; /* bound but refusing until then */
	int down_ms;
	pthread_t thread;
	pthread_mutex_t mu;
	struct step script[MAX_STEPS];
	size_t nscript, next;
	int posts, gets;  /* requests read whole */
	int conns;        /* connections accepted */
	int stop;
} srv;

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int listen_on(int port)
{
	struct sockaddr_in a;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct conn {
	int fd;
	char buf[65536];
	size_t len;
};

/* A whole request at the front of cn->buf: its length, or 0 if more must
 * come. The method is copied to method. */
static size_t whole_request(const struct conn *cn, char *method, size_t msz)
{
	const char *end, *cl;
	size_t head, need = 0;
	char copy[sizeof(cn->buf) + 1];

	memcpy(copy, cn->buf, cn->len);
	copy[cn->len] = '\0';
	if ((end = strstr(copy, "\r\n\r\n")) == NULL)
		return 0;
	head = (size_t)(end - copy) + 4;
	for (cl = copy; cl < end; cl = strstr(cl, "\r\n") + 2)
		if (strncasecmp(cl, "Content-Length:", 15) == 0)
			need = strtoul(cl + 15, NULL, 10);
	if (cn->len < head + need)
		return 0;
	snprintf(method, msz, "%.*s", (int)strcspn(copy, " "), copy);
	return head + need;
}

static void reply(int fd, const struct step *s)
{
	char msg[4096];
	const char *body = s->body ? s->body : "";
	int n = snprintf(msg, sizeof(msg), "HTTP/1.1 %d X\r\nContent-Type: "
			 "application/json\r\nContent-Length: %zu\r\n\r\n%s",
			 s->status, strlen(body), body);

	(void)send(fd, msg, (size_t)n, MSG_NOSIGNAL);
}

static void conn_close(struct conn *cn)
{
	close(cn->fd);
	cn->fd = -1;
	cn->len = 0;
}

/* Handle what arrived on cn; returns the step's act when a request was
 * acted on, -1 otherwise. */
static int serve_conn(struct conn *cn)
{
	struct step s = { ANSWER, 500, "{\"no\":\"script\"}" };
	char method[16];
	size_t used;
	ssize_t n;

	n = recv(cn->fd, cn->buf + cn->len, sizeof(cn->buf) - cn->len, 0);
	if (n <= 0) {
		conn_close(cn);
		return -1;
	}
	cn->len += (size_t)n;
	if ((used = whole_request(cn, method, sizeof(method))) == 0)
		return -1;
	memmove(cn->buf, cn->buf + used, cn->len - used);
	cn->len -= used;
	pthread_mutex_lock(&srv.mu);
	if (strcmp(method, "POST") == 0)
		srv.posts++;
	else
		srv.gets++;
	if (srv.next < srv.nscript)
		s = srv.script[srv.next++];
	pthread_mutex_unlock(&srv.mu);
	if (s.act == ANSWER || s.act == ANSWER_END)
		reply(cn->fd, &s);
	if (s.act != ANSWER)
		conn_close(cn);
	return (int)s.act;
}

static void *serve(void *arg)
{
	static struct conn conns[MAX_CONNS];
	size_t i;

	(void)arg;
	for (i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1, conns[i].len = 0;
	if (srv.listen_after_ms > 0) {
		sleep_ms(srv.listen_after_ms);
		if (listen(srv.lfd, 16) != 0)
			return NULL;
	}
	for (;;) {
		struct pollfd p[MAX_CONNS + 1];
		int stop;

		pthread_mutex_lock(&srv.mu);
		stop = srv.stop;
		pthread_mutex_unlock(&srv.mu);
		if (stop)
			break;
		p[0].fd = srv.lfd;
		p[0].events = POLLIN;
		for (i = 0; i < MAX_CONNS; i++) {
			p[i + 1].fd = conns[i].fd;
			p[i + 1].events = POLLIN;
		}
		if (poll(p, MAX_CONNS + 1, 20) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int fd = accept(srv.lfd, NULL, NULL);

			for (i = 0; fd >= 0 && i < MAX_CONNS; i++)
				if (conns[i].fd < 0)
					break;
			if (fd >= 0 && i < MAX_CONNS) {
				conns[i].fd = fd;
				pthread_mutex_lock(&srv.mu);
				srv.conns++;
				pthread_mutex_unlock(&srv.mu);
			} else if (fd >= 0) {
				close(fd);
			}
		}
		for (i = 0; i < MAX_CONNS; i++) {
			if (conns[i].fd < 0 || !(p[i + 1].revents &
						  (POLLIN | POLLHUP)))
				continue;
			if (serve_conn(&conns[i]) != DROP_DOWN)
				continue;
			/* Gone: a connection now is refused. Back on the
			 * same port after down_ms. */
			close(srv.lfd);
			sleep_ms(srv.down_ms);
			srv.lfd = listen_on(srv.port);
			if (srv.lfd < 0 || listen(srv.lfd, 16) != 0)
				break; /* the test sees the refusals */
		}
	}
	for (i = 0; i < MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
	return NULL;
}

/* Start on a fresh loopback port; refuse connections for the first
 * listen_after_ms. */
static void server_start(int listen_after_ms)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.mu, NULL);
	srv.lfd = listen_on(0);
	assert_true(srv.lfd >= 0);
	assert_int_equal(getsockname(srv.lfd, (struct sockaddr *)&a, &alen), 0);
	srv.port = ntohs(a.sin_port);
	srv.listen_after_ms = listen_after_ms;
	srv.running = 1;
	if (listen_after_ms == 0)
		assert_int_equal(listen(srv.lfd, 16), 0);
	assert_int_equal(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

static void server_stop(void)
{
	if (!srv.running)
		return;
	srv.running = 0;
	pthread_mutex_lock(&srv.mu);
	srv.stop = 1;
	pthread_mutex_unlock(&srv.mu);
	pthread_join(srv.thread, NULL);
	if (srv.lfd >= 0)
		close(srv.lfd);
	pthread_mutex_destroy(&srv.mu);
}

static void script(enum act act, int status, const char *body)
{
	struct step s = { act, status, body };

	pthread_mutex_lock(&srv.mu);
	assert_true(srv.nscript < MAX_STEPS);
	srv.script[srv.nscript++] = s;
	pthread_mutex_unlock(&srv.mu);
}

static int count(const int *field)
{
	int n;

	pthread_mutex_lock(&srv.mu);
	n = *field;
	pthread_mutex_unlock(&srv.mu);
	return n;
}

/* The count once it reaches want, or what it is after a second: the
 * server may accept a connection after the client has given up on it. */
static int count_reaching(const int *field, int want)
{
	int i, n = count(field);

	for (i = 0; i < 100 && n < want; i++) {
		sleep_ms(10);
		n = count(field);
	}
	return n;
}

/*
 * Fixtures
 */

#define REF_SO "20250625-SO-2C3E6C8000-B675CF5D68-07"
#define REF_EE "20250625-EE-319D7EE000-B67F415CDC-2C"
#define STATUS_OK "{\"status\":{\"code\":100,\"description\":\"Sesja " \
	"interaktywna otwarta\"},\"dateCreated\":\"2025-09-18T15:00:30+00:00" \
	"\",\"dateUpdated\":\"2025-09-18T15:01:20+00:00\"}"
#define SENT_OK "{\"referenceNumber\":\"" REF_EE "\"}"

static ksef_client *client; /* the test's, freed by teardown */

static int teardown(void **state)
{
	(void)state;
	ksef_client_free(client);
	client = NULL;
	server_stop();
	return 0;
}

static ksef_client *make_client(int port, int retries, int backoff_ms)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v2", port);
	o.base_url = url;
	o.proxy = ""; /* whatever http_proxy says, loopback is direct */
	o.max_retries = retries;
	o.retry_backoff_ms = backoff_ms;
	o.timeout_ms = 10000;
	assert_int_equal(ksef_client_new(&c, &o, NULL), 0);
	assert_int_equal(ksef_client_set_access_token(c, "acc", NULL), 0);
	client = c;
	return c;
}

static int status(ksef_client *c, ksef_error *err)
{
	ksef_api_session_status *st = NULL;
	int error = ksef_client_session_status(&st, c, REF_SO, err);

	ksef_api_session_status_free(st);
	return error;
}

static int send_invoice(ksef_client *c, ksef_error *err)
{
	static const char xml[] = "<Faktura>test</Faktura>";
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_envelope *env = NULL;
	int error;

	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	error = ksef_client_invoice_send(ref, NULL, c, REF_SO, env,
		(const unsigned char *)xml, strlen(xml), NULL, err);
	ksef_envelope_free(env);
	return error;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * A request that may have arrived is not sent again
 */

static void a_post_read_on_a_reused_connection_is_not_resent(void **state)
{
	ksef_client *c;
	ksef_error err;

	(void)state;
	server_start(0);
	c = make_client(srv.port, 3, 10);
	script(ANSWER, 200, STATUS_OK);
	script(DROP, 0, NULL);
	script(ANSWER, 202, SENT_OK);
	assert_int_equal(status(c, NULL), 0);
	/* The server read the invoice whole: it may have stored it. libcurl
	 * would send it again on a fresh connection by itself. */
	assert_int_equal(send_invoice(c, &err), KSEF_ENETWORK);
	assert_int_equal(count(&srv.posts), 1);
	assert_non_null(strstr(err.message, "POST /sessions/online/"));
	assert_non_null(strstr(err.message, "not sent again"));
	/* libcurl did open a fresh connection for its resend. */
	assert_int_equal(count_reaching(&srv.conns, 2), 2);
}

static void a_post_is_not_resent_when_the_server_comes_back(void **state)
{
	ksef_client *c;
	ksef_error err;

	(void)state;
	/* The failure seen in a run: the server read the invoice and died,
	 * libcurl's own retry found the port closed ("Couldn't connect"),
	 * and the invoice went again once the server was back. */
	server_start(0);
	srv.down_ms = 100;
	c = make_client(srv.port, 3, 300);
	script(ANSWER, 200, STATUS_OK);
	script(DROP_DOWN, 0, NULL);
	script(ANSWER, 202, SENT_OK);
	assert_int_equal(status(c, NULL), 0);
	assert_int_equal(send_invoice(c, &err), KSEF_ENETWORK);
	assert_int_equal(count(&srv.posts), 1);
	assert_non_null(strstr(err.message, "not sent again"));
}

static void a_post_dropped_on_a_fresh_connection_is_not_resent(void **state)
{
	ksef_client *c;
	ksef_error err;

	(void)state;
	server_start(0);
	c = make_client(srv.port, 3, 10);
	script(DROP, 0, NULL);
	script(ANSWER, 202, SENT_OK);
	assert_int_equal(send_invoice(c, &err), KSEF_ENETWORK);
	assert_int_equal(count(&srv.posts), 1);
	assert_non_null(strstr(err.message, "not sent again"));
}

/*
 * A request that surely did not arrive is sent again
 */

static void a_post_after_an_idle_close_goes_once_on_a_new_connection(
	void **state)
{
	ksef_client *c;

	(void)state;
	/* The server closes the kept connection after answering, as at an
	 * idle timeout; libcurl sees it dead before using it. */
	server_start(0);
	c = make_client(srv.port, 0, 10);
	script(ANSWER_END, 200, STATUS_OK);
	script(ANSWER, 202, SENT_OK);
	assert_int_equal(status(c, NULL), 0);
	sleep_ms(50); /* the FIN arrives */
	assert_int_equal(send_invoice(c, NULL), 0);
	assert_int_equal(count(&srv.posts), 1);
	assert_int_equal(count_reaching(&srv.conns, 2), 2);
}

static void a_refused_post_is_retried_until_the_server_listens(void **state)
{
	ksef_client *c;

	(void)state;
	/* Bound, not listening: each connection is refused for 150 ms. */
	server_start(150);
	c = make_client(srv.port, 4, 60);
	script(ANSWER, 202, SENT_OK);
	assert_int_equal(send_invoice(c, NULL), 0);
	assert_int_equal(count(&srv.posts), 1);
}

static void a_refused_post_gives_up_after_max_retries(void **state)
{
	ksef_client *c;
	ksef_error err;
	long t0;
	int port;

	(void)state;
	/* A port nobody listens on: the server's own, once it is gone. */
	server_start(0);
	port = srv.port;
	server_stop();
	c = make_client(port, 2, 100);
	t0 = now_ms();
	assert_int_equal(send_invoice(c, &err), KSEF_ENETWORK);
	/* Two retries, after 100 and 200 ms. */
	assert_true(now_ms() - t0 >= 300);
	assert_null(strstr(err.message, "not sent again"));
}

static void a_get_dropped_on_a_reused_connection_is_retried(void **state)
{
	ksef_client *c;

	(void)state;
	server_start(0);
	c = make_client(srv.port, 0, 10);
	script(ANSWER, 200, STATUS_OK);
	script(DROP, 0, NULL);
	script(ANSWER, 200, STATUS_OK);
	assert_int_equal(status(c, NULL), 0);
	/* Even with max_retries 0: libcurl's own fresh-connection retry. */
	assert_int_equal(status(c, NULL), 0);
	assert_int_equal(count(&srv.gets), 3);
}

static void a_get_dropped_on_a_fresh_connection_is_retried(void **state)
{
	ksef_client *c;

	(void)state;
	server_start(0);
	c = make_client(srv.port, 1, 10);
	script(DROP, 0, NULL);
	script(ANSWER, 200, STATUS_OK);
	assert_int_equal(status(c, NULL), 0);
	assert_int_equal(count(&srv.gets), 2);
}

int main(void)
{
#define T(name) cmocka_unit_test_teardown(name, teardown)
	const struct CMUnitTest tests[] = {
		T(a_post_read_on_a_reused_connection_is_not_resent),
		T(a_post_is_not_resent_when_the_server_comes_back),
		T(a_post_dropped_on_a_fresh_connection_is_not_resent),
		T(a_post_after_an_idle_close_goes_once_on_a_new_connection),
		T(a_refused_post_is_retried_until_the_server_listens),
		T(a_refused_post_gives_up_after_max_retries),
		T(a_get_dropped_on_a_reused_connection_is_retried),
		T(a_get_dropped_on_a_fresh_connection_is_retried),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
