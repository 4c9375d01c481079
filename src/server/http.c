/*
 * http.c - owns connections and bodies: the libmicrohttpd daemon (one
 * thread per connection, so a handler may block on a durable commit
 * without stalling other clients), request contexts, body accumulation
 * under the configured limit, replies, and the log line written when a
 * request completes. Dispatch belongs to whoever http_start() is given
 * (router.c); this file includes nothing above it.
 *
 * A body is counted as libmicrohttpd delivers it: Content-Length is only a
 * hint, and the bytes past the limit are read and dropped, so the client
 * gets a clean 413 instead of a reset connection.
 *
 * A reply is recorded on the request (status, type, body, one header) and
 * queued to libmicrohttpd only when the dispatcher returns. libmicrohttpd
 * sends nothing before the access handler returns anyway, so this changes
 * nothing on the wire, and it lets everything above this file run on a
 * request that has no connection (the unit tests).
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
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "http.h"

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
	char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;

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

/* Put the recorded answer on the wire. The body is copied, so the
 * request's copy goes at once. */
static void send_reply(struct request *req)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		req->reply.size, req->reply.ptr ? (void *)req->reply.ptr : "",
		MHD_RESPMEM_MUST_COPY);

	ksef_buf_dispose(&req->reply);
	if (resp == NULL)
		return;
	if (req->content_type[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					req->content_type);
	if (req->reply_header[0] != '\0')
		MHD_add_response_header(resp, req->reply_header,
					req->reply_value);
	MHD_queue_response(req->conn, req->status, resp);
	MHD_destroy_response(resp);
}

static int64_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
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
}

static struct request *request_new(struct server *srv,
				   struct MHD_Connection *conn,
				   const char *url, const char *method)
{
	struct request *req = calloc(1, sizeof(*req));
	unsigned char rnd[16];
	const char *fmt;
	size_t i;

	if (req == NULL)
		return NULL;
	req->srv = srv;
	req->conn = conn;
	req->start_us = monotonic_us();
	snprintf(req->method, sizeof(req->method), "%s", method);
	if (strlen(url) >= sizeof(req->path))
		req->body_too_big = -1; /* marks an over-long path */
	snprintf(req->path, sizeof(req->path), "%s", url);
	client_ip(req);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(req->trace_id + 2 * i, 3, "%02x", rnd[i]);
	fmt = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					  "X-Error-Format");
	req->problem_details = fmt && strcasecmp(fmt, "problem-details") == 0;
	req->authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 "Authorization");
	pthread_mutex_lock(&srv->lock);
	srv->in_flight++;
	pthread_mutex_unlock(&srv->lock);
	return req;
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
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (req->body_too_big == 0 &&
		    ksef_buf_append(&req->body, upload_data,
					 *upload_data_size,
					 srv->cfg.max_body) != 0) {
			/* Keep reading, drop the rest, answer at the end. */
			ksef_buf_dispose(&req->body);
			req->body_too_big = 1;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->responded)
		return MHD_YES;
	srv->dispatch(req);
	/* The dispatcher always answers; should it not, the client still
	 * gets a status instead of a connection left hanging. */
	if (!req->responded)
		http_reply_empty(req, 500);
	send_reply(req);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct request *req = *con_cls;
	char when[40], method[4 * sizeof(req->method)],
	     path[4 * REQUEST_PATH_MAX];
	struct timespec ts;
	struct tm tm;

	(void)conn;
	if (req == NULL)
		return;
	request_log_escape(method, sizeof(method), req->method);
	request_log_escape(path, sizeof(path), req->path);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* One line per request: method, path (never the query, which may
	 * carry filters), status, time, reference numbers. Never a token,
	 * never a body. */
	fprintf(stderr, "%s %s %s %u %.2fms%s%s\n", when, method, path,
		req->responded ? req->status : 0,
		(double)(monotonic_us() - req->start_us) / 1000.0, req->log_refs,
		toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" :
		" (connection closed early)");
	ksef_buf_dispose(&req->body);
	ksef_buf_dispose(&req->reply);
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

int http_start(struct server *srv, http_dispatch_fn *dispatch,
	       ksef_error *err)
{
	struct sockaddr_in addr;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;

	srv->dispatch = dispatch;
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
	}
	if (srv->tls_cert != NULL)
		srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
			MHD_OPTION_CONNECTION_LIMIT,
			(unsigned)srv->cfg.max_connections,
			MHD_OPTION_CONNECTION_TIMEOUT,
			(unsigned)srv->cfg.connection_timeout_s,
			MHD_OPTION_HTTPS_MEM_CERT, srv->tls_cert,
			MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key,
			MHD_OPTION_END);
	else
		srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
			MHD_OPTION_CONNECTION_LIMIT,
			(unsigned)srv->cfg.max_connections,
			MHD_OPTION_CONNECTION_TIMEOUT,
			(unsigned)srv->cfg.connection_timeout_s,
			MHD_OPTION_END);
	if (srv->mhd == NULL)
		return ksef_error_set(err, KSEF_EIO,
			"cannot listen on %s:%d: %s", srv->cfg.listen_host,
			srv->cfg.port, strerror(errno));
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : srv->cfg.port;
	return 0;
}

void http_quiesce(struct server *srv)
{
	if (srv->mhd != NULL) {
		MHD_socket s = MHD_quiesce_daemon(srv->mhd);

		if (s != MHD_INVALID_SOCKET)
			close(s);
	}
}

void http_stop(struct server *srv, int timeout_ms)
{
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
	if (srv->mhd != NULL)
		MHD_stop_daemon(srv->mhd);
	srv->mhd = NULL;
	if (srv->tls_key != NULL)
		OPENSSL_cleanse(srv->tls_key, strlen(srv->tls_key));
	free(srv->tls_cert);
	free(srv->tls_key);
	srv->tls_cert = srv->tls_key = NULL;
}
