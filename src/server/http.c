/*
 * http.c - owns connections and bodies: the libmicrohttpd daemon, request
 * contexts, body accumulation under the route's limit, the handler pool
 * that runs dispatched requests, replies, deadlines, and the log line
 * written when a request completes. Dispatch belongs to whoever
 * http_start() is given (router.c); this file includes nothing above it.
 *
 * DESIGN. libmicrohttpd runs io_threads event loops (epoll), which only
 * read and write sockets, so a thousand idle or slow connections cost no
 * thread each. A request whose body is in is suspended and queued to a
 * fixed pool of handler threads; the handler's reply resumes it, and the
 * event loop that owns the connection sends it. A handler may block on a
 * read or a durable commit without stalling any socket, and one that
 * hands its request on (http_defer: an invoice going to verification and
 * its one durable write) frees its thread at once; whoever answers later
 * calls http_complete(). Threads are fixed, so no client can make more of
 * them; connections are capped in all and per address. Reads of stored
 * documents are deferred the same way, to the read gate's threads
 * (reads.c), which answer them through http_run().
 *
 * A body is bounded by its route's limit (router_body_limit): a
 * Content-Length over it is refused with 413 before a byte of body is
 * read, and a chunked body is refused as soon as it passes it. Each phase
 * of a connection has a deadline that activity cannot extend (waiting for
 * a request, its headers, its body): libmicrohttpd's own timeout restarts
 * with every byte, so a client trickling a byte every few seconds could
 * otherwise hold a connection for ever. A sweeper thread shuts the socket
 * of a connection past its deadline, and the event loop closes it.
 *
 * A reply is recorded on the request (status, type, body, one header) and
 * queued to libmicrohttpd when the request comes back to its event loop.
 * Everything above this file thereby runs on a request that has no
 * connection too (the unit tests).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <stdatomic.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "http.h"
#include "metrics.h"

/* Where a connection is; each phase has its own deadline. */
enum phase {
	PHASE_WAIT,      /* connected, or kept alive: no request yet */
	PHASE_HEADERS,   /* the request line is in */
	PHASE_BODY,      /* headers in, body arriving */
	PHASE_BUSY,      /* dispatched, or its reply going out */
};

/* Phase and start are atomics: the event loop moves them on every
 * request, and only the sweeper reads them (under conns_lock, which
 * guards the list). */
struct http_conn {
	MHD_socket fd;
	_Atomic int phase;           /* enum phase */
	_Atomic int served;          /* requests completed on it */
	_Atomic int64_t since_us;    /* monotonic start of the phase */
	struct http_conn *prev, *next;
};

struct http {
	struct server *srv;
	/* the handler pool: a FIFO of dispatched requests */
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct request *head, *tail;
	pthread_t *threads;
	int nthreads, stopping;
	int suspended;           /* requests handed to the pool, not back */
	pthread_cond_t drained;  /* suspended fell to 0 */
	/* connections, for the sweeper (under conns_lock) */
	pthread_mutex_t conns_lock;
	pthread_cond_t sweep;
	struct http_conn *conns;
	pthread_t sweeper;
	int sweeper_started;
	int quiesced;            /* http_quiesce(): no new connection */
};

/* Set by http_defer() on the handler thread running a request. */
static _Thread_local int deferred;

static int64_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *http_header(struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
					   name);
}

struct collect {
	const char *name;
	const char **vals;
	size_t max, n;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	struct collect *c = cls;

	(void)kind;
	if (key != NULL && strcmp(key, c->name) == 0) {
		if (c->n < c->max)
			c->vals[c->n] = value ? value : "";
		c->n++;
	}
	return MHD_YES;
}

size_t http_query_all(struct request *req, const char *name,
		      const char **vals, size_t max)
{
	struct collect c = { name, vals, max, 0 };

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND,
				  collect_arg, &c);
	return c.n;
}

/*
 * Record the answer unless one is already there. On running out of memory
 * the body is left empty: the status still goes out, as it did when
 * json_dumps() failed.
 */
static void record(struct request *req, unsigned status,
		   const char *content_type, const void *data, size_t len,
		   const char *header, const char *value)
{
	if (req->responded)
		return;
	req->responded = 1;
	req->status = status;
	snprintf(req->content_type, sizeof(req->content_type), "%s",
		 content_type ? content_type : "");
	snprintf(req->reply_header, sizeof(req->reply_header), "%s",
		 header ? header : "");
	snprintf(req->reply_value, sizeof(req->reply_value), "%s",
		 header && value ? value : "");
	if (len > 0 && ksef_buf_append(&req->reply, data, len, SIZE_MAX) != 0)
		ksef_buf_dispose(&req->reply);
}

void http_reply_json_header(struct request *req, unsigned status,
			    const char *content_type, json_t *json,
			    const char *header, const char *value)
{
	/* 15 digits: an amount in grosze reads back as written (81195.08,
	 * not 81195.080000000002). */
	char *text = json ? json_dumps(json, JSON_COMPACT |
				       JSON_REAL_PRECISION(15)) : NULL;

	json_decref(json);
	record(req, status, content_type, text, text ? strlen(text) : 0,
	       header, value);
	free(text);
}

void http_reply_json_type(struct request *req, unsigned status,
			  const char *content_type, json_t *json)
{
	http_reply_json_header(req, status, content_type, json, NULL, NULL);
}

void http_reply_json(struct request *req, unsigned status, json_t *json)
{
	http_reply_json_type(req, status, "application/json; charset=utf-8",
			     json);
}

void http_reply_empty(struct request *req, unsigned status)
{
	record(req, status, NULL, NULL, 0, NULL, NULL);
}

void http_reply_bytes(struct request *req, unsigned status,
		      const char *content_type, const void *data, size_t len,
		      const char *meta_hash)
{
	record(req, status, content_type, data, len,
	       meta_hash ? "x-ms-meta-hash" : NULL, meta_hash);
}

/*
 * The SystemWarning header's value (open-api.json): "normalised with ASCII
 * folding". Polish letters become their base letters, any other byte
 * outside printable ASCII is dropped (a header must not carry a line
 * break), and the result is cut at a length a header can bear.
 */
static void ascii_fold(char *out, size_t size, const char *in)
{
	static const struct { const char *utf8; char ascii; } pl[] = {
		{ "\xc4\x85", 'a' }, { "\xc4\x87", 'c' }, { "\xc4\x99", 'e' },
		{ "\xc5\x82", 'l' }, { "\xc5\x84", 'n' }, { "\xc3\xb3", 'o' },
		{ "\xc5\x9b", 's' }, { "\xc5\xba", 'z' }, { "\xc5\xbc", 'z' },
		{ "\xc4\x84", 'A' }, { "\xc4\x86", 'C' }, { "\xc4\x98", 'E' },
		{ "\xc5\x81", 'L' }, { "\xc5\x83", 'N' }, { "\xc3\x93", 'O' },
		{ "\xc5\x9a", 'S' }, { "\xc5\xb9", 'Z' }, { "\xc5\xbb", 'Z' },
	};
	size_t n = 0, k;

	while (*in != '\0' && n + 1 < size) {
		unsigned char c = (unsigned char)*in;

		if (c >= 0x20 && c < 0x7f) {
			out[n++] = *in++;
			continue;
		}
		for (k = 0; k < sizeof(pl) / sizeof(pl[0]); k++)
			if (strncmp(in, pl[k].utf8, 2) == 0)
				break;
		if (k < sizeof(pl) / sizeof(pl[0])) {
			out[n++] = pl[k].ascii;
			in += 2;
		} else {
			in++;
		}
	}
	out[n] = '\0';
}

/* Put the recorded answer on the wire. The body's buffer goes to
 * libmicrohttpd, which frees it once sent. */
static void send_reply(struct request *req)
{
	struct MHD_Response *resp;

	if (req->reply.size > 0) {
		resp = MHD_create_response_from_buffer(req->reply.size,
			req->reply.ptr, MHD_RESPMEM_MUST_FREE);
		if (resp != NULL)
			req->reply = (ksef_buf)KSEF_BUF_INIT;
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"",
						       MHD_RESPMEM_PERSISTENT);
	}
	ksef_buf_dispose(&req->reply);
	if (resp == NULL)
		return;
	if (req->content_type[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					req->content_type);
	if (req->reply_header[0] != '\0')
		MHD_add_response_header(resp, req->reply_header,
					req->reply_value);
	/* On TEST a client may ask for a warning to see that it handles one
	 * (api-changelog.md 2.6.0); production never echoes it. */
	if (req->test_warning != NULL && !req->srv->cfg.production) {
		char folded[512];

		ascii_fold(folded, sizeof(folded), req->test_warning);
		if (folded[0] != '\0')
			MHD_add_response_header(resp, "X-System-Warning",
						folded);
	}
	MHD_queue_response(req->conn, req->status, resp);
	MHD_destroy_response(resp);
}

/* ---- connections and their deadlines ---- */

static void set_phase(struct http_conn *hc, enum phase p)
{
	if (hc == NULL)
		return;
	hc->since_us = monotonic_us();
	hc->phase = p;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http *h = ((struct server *)cls)->http;
	struct http_conn *hc = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn,
					     MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci == NULL || (hc = calloc(1, sizeof(*hc))) == NULL)
			return; /* untracked: libmicrohttpd's timeout only */
		hc->fd = ci->connect_fd;
		hc->phase = PHASE_WAIT;
		hc->since_us = monotonic_us();
		pthread_mutex_lock(&h->conns_lock);
		hc->next = h->conns;
		if (h->conns != NULL)
			h->conns->prev = hc;
		h->conns = hc;
		pthread_mutex_unlock(&h->conns_lock);
		*socket_context = hc;
		return;
	}
	/* Closed: libmicrohttpd closes the socket after this returns, so
	 * the sweeper (under the same lock) never sees a reused fd. */
	if (hc == NULL)
		return;
	pthread_mutex_lock(&h->conns_lock);
	if (hc->prev != NULL)
		hc->prev->next = hc->next;
	else
		h->conns = hc->next;
	if (hc->next != NULL)
		hc->next->prev = hc->prev;
	pthread_mutex_unlock(&h->conns_lock);
	free(hc);
	*socket_context = NULL;
}

/* The request line is in: the headers' deadline starts. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	(void)cls;
	(void)uri;
	if (ci != NULL)
		set_phase(ci->socket_context, PHASE_HEADERS);
	return NULL;
}

static int64_t deadline_us(const struct config *cfg,
			   const struct http_conn *hc)
{
	enum phase phase = (enum phase)atomic_load(&hc->phase);

	switch (phase) {
	case PHASE_WAIT:
		/* A new connection is for a request now; a kept-alive one
		 * may idle as long as the idle timeout allows. */
		return (int64_t)(hc->served ? cfg->connection_timeout_s :
				 cfg->header_timeout_s) * 1000000;
	case PHASE_HEADERS:
		return (int64_t)cfg->header_timeout_s * 1000000;
	case PHASE_BODY:
		return (int64_t)cfg->body_timeout_s * 1000000;
	case PHASE_BUSY:
		break;
	}
	return INT64_MAX;
}

static void *sweeper_main(void *arg)
{
	struct http *h = arg;
	const struct config *cfg = &h->srv->cfg;
	struct http_conn *hc;
	struct timespec until;
	int64_t now, limit;

	pthread_mutex_lock(&h->conns_lock);
	while (!h->stopping) {
		now = monotonic_us();
		for (hc = h->conns; hc != NULL; hc = hc->next) {
			limit = deadline_us(cfg, hc);
			if (limit != INT64_MAX && now - hc->since_us > limit) {
				/* The event loop sees the end of the stream
				 * and closes the connection itself. */
				shutdown(hc->fd, SHUT_RDWR);
				hc->phase = PHASE_BUSY;
			}
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&h->sweep, &h->conns_lock, &until);
	}
	pthread_mutex_unlock(&h->conns_lock);
	return NULL;
}

/* ---- the handler pool ---- */

/* Take req out of its event loop until http_complete(). Called on the
 * loop itself (libmicrohttpd allows suspending nowhere else): when a
 * request goes to the pool, or when a quick one defers. */
static void suspend(struct http *h, struct request *req)
{
	req->dispatched = 1;
	set_phase(req->hc, PHASE_BUSY);
	pthread_mutex_lock(&h->lock);
	h->suspended++;
	pthread_mutex_unlock(&h->lock);
	MHD_suspend_connection(req->conn);
}

void http_defer(struct request *req)
{
	deferred = 1;
	/* A pooled request is suspended already; a quick one is on its
	 * event loop now, and must be before anyone may complete it. */
	if (!req->dispatched && req->conn != NULL)
		suspend(req->srv->http, req);
}

int http_deferred(void)
{
	return deferred;
}

void http_complete(struct request *req)
{
	struct http *h;

	/* The dispatcher always answers; should it not, the client still
	 * gets a status instead of a connection left hanging. */
	if (!req->responded)
		http_reply_empty(req, 500);
	if (req->conn == NULL || !req->dispatched)
		return;
	h = req->srv->http;
	/* Back to its event loop, which sends the reply. After this req
	 * belongs to that thread. */
	MHD_resume_connection(req->conn);
	pthread_mutex_lock(&h->lock);
	if (--h->suspended == 0)
		pthread_cond_broadcast(&h->drained);
	pthread_mutex_unlock(&h->lock);
}

void http_run(struct request *req, void (*fn)(struct request *req))
{
	deferred = 0;
	fn(req);
	if (!deferred)
		http_complete(req);
	deferred = 0;
}

static void *handler_main(void *arg)
{
	struct http *h = arg;
	struct request *req;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (h->head == NULL && !h->stopping)
			pthread_cond_wait(&h->work, &h->lock);
		if (h->head == NULL)
			break;
		req = h->head;
		h->head = req->queue_next;
		if (h->head == NULL)
			h->tail = NULL;
		pthread_mutex_unlock(&h->lock);

		deferred = 0;
		h->srv->dispatch(req);
		/* A deferred request may be answered, sent and freed by now:
		 * it is not touched again here. */
		if (!deferred)
			http_complete(req);

		pthread_mutex_lock(&h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* Hand a complete request to the pool; called from its event loop. */
static void dispatch_later(struct http *h, struct request *req)
{
	suspend(h, req);
	pthread_mutex_lock(&h->lock);
	req->queue_next = NULL;
	if (h->tail != NULL)
		h->tail->queue_next = req;
	else
		h->head = req;
	h->tail = req;
	pthread_cond_signal(&h->work);
	pthread_mutex_unlock(&h->lock);
}

/* Answer on the event loop itself: a quick route (reads only), or a body
 * refused for its size (router.c words the 413 before anything else).
 * One that defers is suspended by http_defer() and comes back later. */
static void dispatch_now(struct server *srv, struct request *req)
{
	deferred = 0;
	srv->dispatch(req);
	if (deferred)
		return;
	if (!req->responded)
		http_reply_empty(req, 500);
	set_phase(req->hc, PHASE_BUSY);
	if (!req->drop)
		send_reply(req);
}

static void client_ip(struct request *req)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	strcpy(req->ip, "unknown");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  req->ip, sizeof(req->ip));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr,
			  req->ip, sizeof(req->ip));
	/* Behind a trusted balancer, the client it names (proxy.h). */
	if (req->srv->cfg.trusted_proxies.n > 0) {
		char peer[sizeof(req->ip)];

		memcpy(peer, req->ip, sizeof(peer));
		proxies_client(&req->srv->cfg.trusted_proxies, peer,
			       MHD_lookup_connection_value(req->conn,
				       MHD_HEADER_KIND, "X-Forwarded-For"),
			       req->ip, sizeof(req->ip));
	}
}

static struct request *request_new(struct server *srv,
				   struct MHD_Connection *conn,
				   const char *url, const char *method)
{
	struct request *req = calloc(1, sizeof(*req));
	const union MHD_ConnectionInfo *ci;
	unsigned char rnd[16];
	const char *fmt;
	size_t i;

	if (req == NULL)
		return NULL;
	req->srv = srv;
	req->conn = conn;
	req->start_us = monotonic_us();
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	req->hc = ci ? ci->socket_context : NULL;
	snprintf(req->method, sizeof(req->method), "%s", method);
	if (strlen(url) >= sizeof(req->path))
		req->body_too_big = -1; /* marks an over-long path */
	snprintf(req->path, sizeof(req->path), "%s", url);
	client_ip(req);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	/* The bits of a version-4 UUID: errors.c shows the id as one. */
	rnd[6] = (unsigned char)((rnd[6] & 0x0f) | 0x40);
	rnd[8] = (unsigned char)((rnd[8] & 0x3f) | 0x80);
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(req->trace_id + 2 * i, 3, "%02x", rnd[i]);
	fmt = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					  "X-Error-Format");
	req->problem_details = fmt && strcasecmp(fmt, "problem-details") == 0;
	req->test_warning = MHD_lookup_connection_value(conn,
		MHD_HEADER_KIND, "X-Test-System-Warning");
	req->authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 "Authorization");
	if (srv->traits != NULL) {
		struct http_traits t;

		srv->traits(req, &t);
		req->body_max = t.body_max;
		req->quick = t.quick;
		req->refuse = t.refuse;
		req->sink = t.sink;
	} else {
		req->body_max = srv->cfg.max_body;
	}
	pthread_mutex_lock(&srv->lock);
	srv->in_flight++;
	pthread_mutex_unlock(&srv->lock);
	return req;
}

/* The body's declared length over the route's limit: refuse it before
 * reading any. Otherwise reserve what it declares, once. */
static int declared_too_big(struct request *req)
{
	const char *cl = MHD_lookup_connection_value(req->conn,
		MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end;

	if (cl == NULL)
		return 0;
	errno = 0;
	n = strtoull(cl, &end, 10);
	if (errno != 0 || end == cl || n > req->body_max)
		return 1;
	/* A streamed body is never held: nothing to reserve. */
	if (n > 0 && req->sink == NULL &&
	    ksef_buf_reserve(&req->body, (size_t)n, req->body_max) != 0)
		return 1;
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct server *srv = cls;
	struct request *req = *con_cls;

	(void)version;
	if (req == NULL) {
		req = request_new(srv, conn, url, method);
		if (req == NULL)
			return MHD_NO;
		*con_cls = req;
		set_phase(req->hc, PHASE_BODY);
		if (req->refuse) {
			/* The route says no before the body (a bad token on
			 * an invoice route): its answer needs no body. */
			dispatch_now(srv, req);
		} else if (req->body_too_big == 0 && declared_too_big(req)) {
			req->body_too_big = 1;
			dispatch_now(srv, req);
		}
		return MHD_YES;
	}
	if (req->dispatched || req->responded) {
		/* Back from the pool with the reply (or refused while the
		 * body still came: the connection closes after the reply). */
		*upload_data_size = 0;
		if (req->dispatched && req->conn != NULL) {
			req->dispatched = 0;
			/* fault injection: no answer, the connection goes */
			if (req->drop)
				return MHD_NO;
			send_reply(req);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0 && req->sink != NULL) {
		if (req->sink(req, upload_data, *upload_data_size) != 0) {
			req->body_too_big = 1;
			dispatch_now(srv, req);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (ksef_buf_append(&req->body, upload_data, *upload_data_size,
				    req->body_max) != 0) {
			ksef_buf_dispose(&req->body);
			req->body_too_big = 1;
			dispatch_now(srv, req);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!req->quick) {
		dispatch_later(srv->http, req);
		return MHD_YES;
	}
	dispatch_now(srv, req);
	/* fault injection: a quick route's drop closes it now */
	return req->drop && !req->dispatched ? MHD_NO : MHD_YES;
}

/* One line per request: method, path (never the query, which may carry
 * filters), status, time, reference numbers. Never a token, never a
 * body. The JSON form is request_log_json()'s. */
static void log_text(const struct request *req, double ms, int closed_early)
{
	char when[40], method[4 * sizeof(req->method)],
	     path[4 * REQUEST_PATH_MAX];
	struct timespec ts;
	struct tm tm;

	request_log_escape(method, sizeof(method), req->method);
	request_log_escape(path, sizeof(path), req->path);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s %s %u %.2fms%s%s\n", when, method, path,
		req->responded ? req->status : 0, ms, req->log_refs,
		closed_early ? " (connection closed early)" : "");
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct request *req = *con_cls;
	int early = toe != MHD_REQUEST_TERMINATED_COMPLETED_OK;
	double ms;

	(void)conn;
	if (req == NULL)
		return;
	if (req->hc != NULL) {
		req->hc->served++;
		set_phase(req->hc, PHASE_WAIT);
	}
	/* Counted here, where every request ends, whatever answered it:
	 * lock-free (metrics.h). */
	metrics_request(srv->metrics, req->route_id,
			req->responded ? req->status : 0);
	ms = (double)(monotonic_us() - req->start_us) / 1000.0;
	if (srv->cfg.log_json)
		request_log_json(req, ms, early);
	else
		log_text(req, ms, early);
	ksef_buf_dispose(&req->body);
	ksef_buf_dispose(&req->reply);
	if (req->upload_free != NULL && req->upload != NULL)
		req->upload_free(req->upload);
	free(req);
	*con_cls = NULL;
	pthread_mutex_lock(&srv->lock);
	srv->in_flight--;
	if (srv->in_flight == 0)
		pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > 1 << 20 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void http_free(struct server *srv)
{
	struct http *h = srv->http;
	int t;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = 1;
	pthread_cond_broadcast(&h->work);
	pthread_mutex_unlock(&h->lock);
	pthread_mutex_lock(&h->conns_lock);
	pthread_cond_broadcast(&h->sweep);
	pthread_mutex_unlock(&h->conns_lock);
	for (t = 0; t < h->nthreads; t++)
		pthread_join(h->threads[t], NULL);
	if (h->sweeper_started)
		pthread_join(h->sweeper, NULL);
	free(h->threads);
	pthread_cond_destroy(&h->work);
	pthread_cond_destroy(&h->drained);
	pthread_cond_destroy(&h->sweep);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->conns_lock);
	free(h);
	srv->http = NULL;
}

static int pool_start(struct server *srv, ksef_error *err)
{
	struct http *h = calloc(1, sizeof(*h));
	int n = srv->cfg.handlers > 0 ? srv->cfg.handlers : 1;

	if (h == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	h->srv = srv;
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->conns_lock, NULL);
	pthread_cond_init(&h->work, NULL);
	pthread_cond_init(&h->drained, NULL);
	pthread_cond_init(&h->sweep, NULL);
	srv->http = h;
	if ((h->threads = calloc((size_t)n, sizeof(*h->threads))) == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	for (h->nthreads = 0; h->nthreads < n; h->nthreads++)
		if (pthread_create(&h->threads[h->nthreads], NULL,
				   handler_main, h) != 0)
			return ksef_error_set(err, KSEF_ENOMEM,
					      "cannot start a handler thread");
	if (pthread_create(&h->sweeper, NULL, sweeper_main, h) != 0)
		return ksef_error_set(err, KSEF_ENOMEM,
				      "cannot start the connection sweeper");
	h->sweeper_started = 1;
	return 0;
}

/* libmicrohttpd's accept policy: every connection until http_quiesce(),
 * none after (it is closed as soon as it is accepted). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr,
				 socklen_t addrlen)
{
	struct server *srv = cls;

	(void)addr;
	(void)addrlen;
	return __atomic_load_n(&srv->http->quiesced, __ATOMIC_ACQUIRE) ?
		MHD_NO : MHD_YES;
}

int http_start(struct server *srv, http_dispatch_fn *dispatch,
	       void (*traits)(struct request *req, struct http_traits *out),
	       ksef_error *err)
{
	struct sockaddr_in addr;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
			 MHD_USE_TURBO;
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem opts[4];
	size_t nopt = 0;

	srv->dispatch = dispatch;
	srv->traits = traits;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)srv->cfg.port);
	if (inet_pton(AF_INET, srv->cfg.listen_host, &addr.sin_addr) != 1)
		return ksef_error_set(err, KSEF_EINVAL,
			"--listen: %s is not an IPv4 address",
			srv->cfg.listen_host);
	if (srv->cfg.tls_cert_path != NULL) {
		srv->tls_cert = read_file(srv->cfg.tls_cert_path);
		srv->tls_key = read_file(srv->cfg.tls_key_path);
		if (srv->tls_cert == NULL || srv->tls_key == NULL)
			return ksef_error_set(err, KSEF_EIO,
				"cannot read --tls-cert/--tls-key");
		flags |= MHD_USE_TLS;
		opts[nopt++] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert };
		opts[nopt++] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key };
	}
	opts[nopt++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	if (pool_start(srv, err) != 0) {
		http_free(srv);
		return err ? err->code : KSEF_ENOMEM;
	}
	srv->mhd = MHD_start_daemon(flags, 0, on_accept, srv, on_request, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)(srv->cfg.io_threads > 0 ? srv->cfg.io_threads : 1),
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)srv->cfg.max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)srv->cfg.max_connections_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)srv->cfg.connection_timeout_s,
		/* Bodies arrive in pieces of this buffer: 64 KiB reads a
		 * 10 KB invoice at once and a 1 MB one in 20 calls. */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
		MHD_OPTION_ARRAY, opts,
		MHD_OPTION_END);
	if (srv->mhd == NULL) {
		int e = errno;

		http_free(srv);
		return ksef_error_set(err, KSEF_EIO,
			"cannot listen on %s:%d: %s", srv->cfg.listen_host,
			srv->cfg.port, strerror(e));
	}
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : srv->cfg.port;
	return 0;
}

/*
 * Not MHD_quiesce_daemon(): in libmicrohttpd 0.9.75 it races with the
 * daemon's own epoll threads, both taking the listening socket out of a
 * thread's epoll set, and the loser panics (ksefd aborted at a SIGTERM
 * in CI). The socket stays open until http_stop(); a connection made
 * meanwhile is closed as soon as it is accepted (on_accept).
 */
void http_quiesce(struct server *srv)
{
	if (srv->http != NULL)
		__atomic_store_n(&srv->http->quiesced, 1, __ATOMIC_RELEASE);
}

void http_stop(struct server *srv, int timeout_ms)
{
	struct http *h = srv->http;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&srv->lock);
	while (srv->in_flight > 0)
		if (pthread_cond_timedwait(&srv->idle, &srv->lock, &until) ==
		    ETIMEDOUT)
			break;
	pthread_mutex_unlock(&srv->lock);
	/* libmicrohttpd must not stop with a connection suspended. Those
	 * in the pool always come back (verification ends, a write
	 * commits or fails), so wait for them past the timeout. */
	if (h != NULL) {
		pthread_mutex_lock(&h->lock);
		while (h->suspended > 0)
			pthread_cond_wait(&h->drained, &h->lock);
		pthread_mutex_unlock(&h->lock);
	}
	if (srv->mhd != NULL)
		MHD_stop_daemon(srv->mhd);
	srv->mhd = NULL;
	http_free(srv);
	if (srv->tls_key != NULL)
		OPENSSL_cleanse(srv->tls_key, strlen(srv->tls_key));
	free(srv->tls_cert);
	free(srv->tls_key);
	srv->tls_cert = srv->tls_key = NULL;
}
