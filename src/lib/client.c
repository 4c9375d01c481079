/*
 * client.c - the transport of the API client: the ksef_client object (one
 * libcurl easy handle, so connections are reused between calls), the
 * options, one HTTP exchange with its retries and the bound on what a
 * server may send (the options' checks are client_options.c's). An
 * error answer is handed to client_error.c, which
 * parses it into a ksef_api_error and a one-line message. Which endpoint
 * gets which body, and what a successful answer means, belongs to the
 * client_<tag>.c files, through the plumbing of client_request.c and
 * client_read.c.
 *
 * Secrets: the bearer token exists in our memory only in the client (wiped
 * when replaced or freed) and in the header list of one attempt (wiped
 * before it is freed). Response bodies are wiped when released, since some
 * carry tokens. Messages name the request by method and path, never by a
 * pre-signed URL (its query is a credential) and never with a header.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include <jansson.h>
#include "internal.h"
#include "ksef/encoding.h"
#include "client_int.h"

/* Longest X-System-Warning kept. */
#define WARNING_MAX 1024
/* Longest pause between two retries after a 5xx or timeout. */
#define BACKOFF_CAP_MS 30000L

struct ksef_client {
	CURL *curl;
	char *base_url;        /* without a trailing '/' */
	int base_is_http;
	char *user_agent;
	char *ca_file;
	char *ca_path;
	char *proxy;
	ksef_client_options o; /* its strings point at the copies above */
	char *access_token;    /* SECRET, wiped */
	size_t access_token_len;
	ksef_api_error *last_error; /* a result, see ksef__result_new */
	int last_status;
	char *last_warning;
	char curl_err[CURL_ERROR_SIZE];
	/* Answers read from memory instead of the network
	 * (ksef__client_script()); NULL in every client but a test's. */
	const unsigned char *script;
	size_t script_len;
};

/*
 * The client object
 */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

/* curl_global_init is thread-safe since 7.84 but not before, so it runs
 * once. Its cleanup is left to process exit: another part of the program
 * may use libcurl too. */
static void curl_init_once(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_opt(const char *s, int *nomem)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = strdup(s);
	if (p == NULL)
		*nomem = 1;
	return p;
}

int ksef_client_new(ksef_client **out, const ksef_client_options *given,
		    ksef_error *err)
{
	ksef_client_options copy, *opts = &copy;
	ksef_client *c;
	int nomem = 0, error;
	size_t len;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "out is NULL");
	*out = NULL;
	if (given == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "options are NULL");
	if ((error = ksef__client_options_copy(&copy, given, err)) < 0 ||
	    (error = ksef__client_options_check(opts, err)) < 0)
		return error;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_result != CURLE_OK)
		return ksef__error_set(err, KSEF_ENOMEM,
			"libcurl cannot be initialised: %s",
			curl_easy_strerror(curl_init_result));
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	c->o = *opts;
	c->base_url = dup_opt(opts->base_url, &nomem);
	c->user_agent = dup_opt(opts->user_agent ? opts->user_agent :
				"libksef/" KSEF_VERSION, &nomem);
	c->ca_file = dup_opt(opts->ca_file, &nomem);
	c->ca_path = dup_opt(opts->ca_path, &nomem);
	c->proxy = dup_opt(opts->proxy, &nomem);
	c->curl = curl_easy_init();
	if (nomem || c->curl == NULL) {
		ksef_client_free(c);
		return ksef__error_set(err, KSEF_ENOMEM,
			"out of memory setting up the client");
	}
	len = strlen(c->base_url);
	while (len > 0 && c->base_url[len - 1] == '/')
		c->base_url[--len] = '\0';
	c->base_is_http = strncmp(c->base_url, "http://", 7) == 0;
	c->o.base_url = c->base_url;
	c->o.user_agent = c->user_agent;
	c->o.ca_file = c->ca_file;
	c->o.ca_path = c->ca_path;
	c->o.proxy = c->proxy;
	*out = c;
	return 0;
}

static void forget_token(ksef_client *c)
{
	if (c->access_token != NULL) {
		ksef__wipe(c->access_token, c->access_token_len);
		free(c->access_token);
	}
	c->access_token = NULL;
	c->access_token_len = 0;
}

void ksef__client_begin(ksef_client *c)
{
	ksef__result_free(c->last_error);
	c->last_error = NULL;
	c->last_status = 0;
	free(c->last_warning);
	c->last_warning = NULL;
}

void ksef_client_free(ksef_client *c)
{
	if (c == NULL)
		return;
	ksef__client_begin(c);
	forget_token(c);
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	free(c->base_url);
	free(c->user_agent);
	free(c->ca_file);
	free(c->ca_path);
	free(c->proxy);
	free(c);
}

int ksef_client_set_access_token(ksef_client *c, const char *token,
				 ksef_error *err)
{
	size_t len;
	char *copy;

	if (c == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "client is NULL");
	if (token == NULL) {
		forget_token(c);
		return 0;
	}
	len = strnlen(token, KSEF_CLIENT_TOKEN_MAX + 1);
	if (len == 0 || len > KSEF_CLIENT_TOKEN_MAX)
		return ksef__error_set(err, KSEF_EINVAL,
			"access token must be 1 to %d characters "
			"(KSEF_CLIENT_TOKEN_MAX)", KSEF_CLIENT_TOKEN_MAX);
	if (!ksef__client_token_text(token, len))
		return ksef__error_set(err, KSEF_EINVAL,
			"access token must be printable ASCII");
	copy = malloc(len + 1);
	if (copy == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	memcpy(copy, token, len + 1);
	forget_token(c);
	c->access_token = copy;
	c->access_token_len = len;
	return 0;
}

const char *ksef__client_access_token(const ksef_client *c)
{
	return c->access_token;
}

const ksef_client_options *ksef__client_opts(const ksef_client *c)
{
	return &c->o;
}

int ksef__client_base_is_http(const ksef_client *c)
{
	return c->base_is_http;
}

const ksef_api_error *ksef_client_last_error(const ksef_client *c)
{
	return c != NULL ? c->last_error : NULL;
}

int ksef_client_last_http_status(const ksef_client *c)
{
	return c != NULL ? c->last_status : 0;
}

const char *ksef_client_last_warning(const ksef_client *c)
{
	return c != NULL ? c->last_warning : NULL;
}

/*
 * One attempt
 */

/* Most bytes of an error answer to a download that goes to a sink. */
#define SINK_ERROR_MAX 65536

struct xfer {
	ksef_buf body;
	size_t max;
	int too_big;
	int nomem;
	int retry_safe; /* the request's */
	int sent;       /* a byte of the request went out, see on_debug */
	int held_back;  /* libcurl's own resend was stopped, see on_prereq */
	int status;
	char reason[KSEF__REASON_MAX];
	long retry_after;
	int has_meta_hash;
	char meta_hash[96];
	int has_warning;
	char warning[WARNING_MAX];
	const ksef__request *rq; /* for its sink */
	int line_status;         /* of the status line, for the sink */
	uint64_t sunk;           /* bytes the sink took */
	int sink_error;          /* what the sink returned, when negative */
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = nmemb; /* size is always 1 for libcurl */
	int error;

	(void)size;
	if (x->rq != NULL && x->rq->sink != NULL && x->line_status >= 200 &&
	    x->line_status <= 299) {
		if (n > x->rq->sink_max - x->sunk) {
			x->too_big = 1;
			return 0;
		}
		x->sunk += n;
		if ((error = x->rq->sink(x->rq->sink_ud,
					 (const unsigned char *)ptr, n)) < 0) {
			x->sink_error = error;
			return 0;
		}
		return n;
	}
	/* Counted as the bytes arrive: Content-Length is only a hint, and a
	 * body without one is still bounded. A download's error answer is
	 * kept to a size that reads as an error. */
	error = ksef__buf_put(&x->body, ptr, n, x->rq != NULL &&
			      x->rq->sink != NULL ? SINK_ERROR_MAX : x->max);
	if (error == KSEF_ETOOBIG) {
		x->too_big = 1;
		return 0;
	}
	if (error < 0) {
		x->nomem = 1;
		return 0;
	}
	return n;
}

/*
 * Whether a request that failed reached the server. libcurl passes each
 * piece of the request here (HEADER_OUT, DATA_OUT) once it is written to
 * the connection, or for HTTP/2 handed to its framing, which errs on the
 * safe side; after the first, the server may have read it. The TLS
 * handshake comes as SSL_DATA_OUT and says nothing of the request. The
 * data holds the token: it is not copied, only noted.
 */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size,
		    void *ud)
{
	struct xfer *x = ud;

	(void)h;
	(void)data;
	if ((type == CURLINFO_HEADER_OUT || type == CURLINFO_DATA_OUT) &&
	    size > 0)
		x->sent = 1;
	return 0;
}

#if LIBCURL_VERSION_NUM >= 0x075000
/*
 * Called before the request goes out on a connection, new or reused. When
 * a reused connection dies without an answer, libcurl sends the request
 * again on a fresh one by itself (Curl_retry_request), however much of it
 * the server read; and when that fresh connection is refused, it reports
 * "Couldn't connect", as if nothing had gone anywhere. A request that is
 * not safe to repeat is stopped here instead, once a byte of it is out.
 */
static int on_prereq(void *ud, char *primary_ip, char *local_ip,
		     int primary_port, int local_port)
{
	struct xfer *x = ud;

	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	if (x->sent && !x->retry_safe) {
		x->held_back = 1;
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}
#endif

/* The value of a header line if its name is `name`, trimmed. */
static int header_value(const char *line, size_t len, const char *name,
			const char **val, size_t *vlen)
{
	size_t nlen = strlen(name);

	if (len <= nlen || line[nlen] != ':' ||
	    strncasecmp(line, name, nlen) != 0)
		return 0;
	line += nlen + 1;
	len -= nlen + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
			   line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	*val = line;
	*vlen = len;
	return 1;
}

/* A non-negative decimal up to limit, or -1. */
static long parse_seconds(const char *s, size_t len, long limit)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= limit ? v : -1;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
	struct xfer *x = ud;
	size_t len = nitems; /* size is always 1 for libcurl */
	const char *v;
	size_t vlen;

	(void)size;
	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		/* A new header block (after a 100 Continue): start over. */
		const char *sp = memchr(buf, ' ', len);
		size_t rest;

		x->retry_after = -1;
		x->has_meta_hash = x->has_warning = 0;
		x->reason[0] = '\0';
		x->line_status = sp != NULL && (size_t)(sp - buf) + 4 <= len ?
			(int)parse_seconds(sp + 1, 3, 999) : 0;
		if (sp != NULL && (size_t)(sp - buf) + 4 < len) {
			sp += 4; /* past " NNN" */
			rest = len - (size_t)(sp - buf);
			ksef__client_excerpt(x->reason, sizeof(x->reason),
					     (const unsigned char *)sp, rest,
					     0);
		}
		return len;
	}
	if (header_value(buf, len, "Retry-After", &v, &vlen)) {
		x->retry_after = parse_seconds(v, vlen, INT32_MAX);
	} else if (header_value(buf, len, "x-ms-meta-hash", &v, &vlen)) {
		x->has_meta_hash = 1;
		if (vlen >= sizeof(x->meta_hash))
			vlen = sizeof(x->meta_hash) - 1;
		memcpy(x->meta_hash, v, vlen);
		x->meta_hash[vlen] = '\0';
	} else if (header_value(buf, len, "X-System-Warning", &v, &vlen)) {
		x->has_warning = 1;
		ksef__client_excerpt(x->warning, sizeof(x->warning),
				     (const unsigned char *)v, vlen, 0);
	} else if (header_value(buf, len, "Content-Length", &v, &vlen)) {
		/* Refuse a body that announces itself too big before a byte
		 * of it is read; a lying length is caught in on_body. */
		unsigned long long n = 0;
		size_t i;

		for (i = 0; i < vlen && v[i] >= '0' && v[i] <= '9'; i++) {
			if (n > (ULLONG_MAX - 9) / 10)
				break;
			n = n * 10 + (unsigned)(v[i] - '0');
		}
		if (i == vlen && vlen > 0 && n > x->max) {
			x->too_big = 1;
			return 0;
		}
	}
	return len;
}

/* Wipe each header before the list is freed: one holds the token. */
static void free_headers(struct curl_slist *h)
{
	struct curl_slist *p;

	for (p = h; p != NULL; p = p->next)
		if (p->data != NULL)
			ksef__wipe(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

static int add_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *n = curl_slist_append(*list, line);

	if (n == NULL)
		return KSEF_ENOMEM;
	*list = n;
	return 0;
}

static int build_headers(struct curl_slist **out, ksef_client *c,
			 const ksef__request *rq)
{
	struct curl_slist *h = NULL;
	char line[KSEF_CLIENT_CONTINUATION_MAX + 64];
	int error = 0;

	*out = NULL;
	/* curl would wait for "100 Continue" before a large body; KSeF
	 * does not need the round trip. */
	error = add_header(&h, "Expect:");
	if (!error) {
		snprintf(line, sizeof(line), "Accept: %s",
			 rq->accept ? rq->accept :
			 "application/json, application/problem+json");
		error = add_header(&h, line);
	}
	if (!error) {
		if (rq->content_type != NULL) {
			snprintf(line, sizeof(line), "Content-Type: %s",
				 rq->content_type);
			error = add_header(&h, line);
		} else if (strcmp(rq->method, "POST") == 0) {
			/* No body: no form-encoded content type either. */
			error = add_header(&h, "Content-Type:");
		}
	}
	if (!error && c->o.problem_details && rq->url == NULL)
		error = add_header(&h, "X-Error-Format: problem-details");
	if (!error && rq->continuation != NULL) {
		snprintf(line, sizeof(line), "x-continuation-token: %s",
			 rq->continuation);
		error = add_header(&h, line);
	}
	if (!error && rq->bearer != NULL) {
		size_t blen = strlen(rq->bearer);
		char *auth = malloc(blen + sizeof("Authorization: Bearer "));

		if (auth == NULL) {
			error = KSEF_ENOMEM;
		} else {
			memcpy(auth, "Authorization: Bearer ", 22);
			memcpy(auth + 22, rq->bearer, blen + 1);
			error = add_header(&h, auth);
			ksef__wipe(auth, blen + 22);
			free(auth);
		}
	}
	if (error) {
		free_headers(h);
		return error;
	}
	*out = h;
	return 0;
}

/*
 * Scripted answers. A test plays a hostile or broken server without a
 * socket: each attempt takes the next answer of the script and feeds it,
 * line by line and then in body chunks, to the callbacks libcurl would
 * call, so everything after the wire is the code real answers meet.
 */
#define SCRIPT_SEPARATOR "\n--next-answer--\n"

void ksef__client_script(ksef_client *c, const unsigned char *script,
			 size_t len)
{
	c->script = script;
	c->script_len = script != NULL ? len : 0;
}

/* One header block: the status line, the headers and the empty line. */
static CURLcode script_headers(const unsigned char **pp,
			       const unsigned char *end, struct xfer *x)
{
	const unsigned char *p = *pp;
	int first = 1;

	while (p < end) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		int blank = len == 1 || (len == 2 && p[0] == '\r');

		if (first) {
			/* "HTTP/1.1 200 OK": what libcurl insists on. */
			if (len < 12 || memcmp(p, "HTTP/", 5) != 0 ||
			    memchr(p, ' ', len) == NULL)
				return CURLE_WEIRD_SERVER_REPLY;
			{
				const unsigned char *sp = memchr(p, ' ', len);
				size_t rest = len - (size_t)(sp - p);

				if (rest < 4 || sp[1] < '1' || sp[1] > '5' ||
				    sp[2] < '0' || sp[2] > '9' ||
				    sp[3] < '0' || sp[3] > '9')
					return CURLE_WEIRD_SERVER_REPLY;
				x->status = (sp[1] - '0') * 100 +
					    (sp[2] - '0') * 10 + (sp[3] - '0');
			}
			first = 0;
		}
		if (on_header((char *)p, 1, len, x) != len)
			return CURLE_WRITE_ERROR;
		p += len;
		if (blank)
			break;
	}
	*pp = p;
	return first ? CURLE_GOT_NOTHING : CURLE_OK;
}

static CURLcode script_attempt(ksef_client *c, struct xfer *x)
{
	const unsigned char *p = c->script, *end, *next;
	size_t seplen = strlen(SCRIPT_SEPARATOR), i;
	CURLcode cc;

	if (c->script_len == 0) {
		snprintf(c->curl_err, sizeof(c->curl_err),
			 "the script has no more answers");
		return CURLE_GOT_NOTHING;
	}
	for (i = 0; i + seplen <= c->script_len; i++)
		if (memcmp(p + i, SCRIPT_SEPARATOR, seplen) == 0)
			break;
	if (i + seplen <= c->script_len) {
		end = p + i;
		next = end + seplen;
	} else {
		end = next = p + c->script_len;
	}
	c->script_len -= (size_t)(next - c->script);
	c->script = next;
	/* An interim answer (100 Continue) comes before the real one. */
	do {
		if ((cc = script_headers(&p, end, x)) != CURLE_OK)
			return cc;
	} while (x->status < 200 && p < end);
	while (p < end) {
		size_t n = (size_t)(end - p) < CURL_MAX_WRITE_SIZE ?
			(size_t)(end - p) : CURL_MAX_WRITE_SIZE;

		if (on_body((char *)p, 1, n, x) != n)
			return CURLE_WRITE_ERROR;
		p += n;
	}
	return CURLE_OK;
}

#define SETOPT(opt, val) \
	do { if (cc == CURLE_OK) cc = curl_easy_setopt(h, opt, val); } while (0)

int ksef__curl_transport(void *curl, const char *ca_file,
			 const char *ca_path, const char *proxy,
			 long connect_timeout_ms)
{
	CURL *h = curl;
	CURLcode cc = CURLE_OK;

	SETOPT(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (ca_file != NULL)
		SETOPT(CURLOPT_CAINFO, ca_file);
	if (ca_path != NULL)
		SETOPT(CURLOPT_CAPATH, ca_path);
	if (proxy != NULL)
		SETOPT(CURLOPT_PROXY, proxy);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
	return (int)cc;
}

static CURLcode attempt(ksef_client *c, const ksef__request *rq,
			const char *url, struct curl_slist *headers,
			struct xfer *x)
{
	CURL *h = c->curl;
	CURLcode cc = CURLE_OK;
	long status = 0;

	c->curl_err[0] = '\0';
	if (c->script != NULL)
		return script_attempt(c, x);
	curl_easy_reset(h);
	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_ERRORBUFFER, c->curl_err);
	if (cc == CURLE_OK)
		cc = (CURLcode)ksef__curl_transport(h, c->ca_file, c->ca_path,
						    c->proxy,
						    c->o.connect_timeout_ms);
	SETOPT(CURLOPT_TIMEOUT_MS, c->o.timeout_ms);
	SETOPT(CURLOPT_USERAGENT, c->user_agent);
	SETOPT(CURLOPT_HTTPHEADER, headers);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, x);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, x);
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max);
	/* VERBOSE only turns the debug callback on: nothing is printed. */
	SETOPT(CURLOPT_DEBUGFUNCTION, on_debug);
	SETOPT(CURLOPT_DEBUGDATA, x);
	SETOPT(CURLOPT_VERBOSE, 1L);
#if LIBCURL_VERSION_NUM >= 0x075000
	SETOPT(CURLOPT_PREREQFUNCTION, on_prereq);
	SETOPT(CURLOPT_PREREQDATA, x);
#else
	/* No pre-request callback: a request that is not safe to repeat
	 * never rides a reused connection, so libcurl never resends it. */
	if (!rq->retry_safe)
		SETOPT(CURLOPT_FRESH_CONNECT, 1L);
#endif
	if (strcmp(rq->method, "POST") == 0) {
		SETOPT(CURLOPT_POST, 1L);
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		SETOPT(CURLOPT_POSTFIELDS, rq->body_len > 0 ?
		       (const char *)rq->body : "");
	} else if (strcmp(rq->method, "DELETE") == 0) {
		SETOPT(CURLOPT_CUSTOMREQUEST, "DELETE");
	} else {
		SETOPT(CURLOPT_HTTPGET, 1L);
	}
	if (cc != CURLE_OK)
		return cc;
	cc = curl_easy_perform(h);
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
		x->status = (int)status;
	return cc;
}

#undef SETOPT

static void sleep_ms(long ms)
{
	struct timespec ts, rem;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
		ts = rem;
}

static long backoff_ms(const ksef_client *c, int tries)
{
	long ms = c->o.retry_backoff_ms;

	while (tries-- > 0 && ms < BACKOFF_CAP_MS)
		ms *= 2;
	return ms < BACKOFF_CAP_MS ? ms : BACKOFF_CAP_MS;
}

/* Failures of the connection itself: the request is sent again only
 * if none of it went out (on_debug). */
static int unreachable(CURLcode cc)
{
	return cc == CURLE_COULDNT_CONNECT ||
	       cc == CURLE_COULDNT_RESOLVE_HOST ||
	       cc == CURLE_COULDNT_RESOLVE_PROXY;
}

/* Failures where the request may or may not have had an effect. */
static int transient(CURLcode cc)
{
	return cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_RECV_ERROR ||
	       cc == CURLE_SEND_ERROR || cc == CURLE_GOT_NOTHING ||
	       cc == CURLE_PARTIAL_FILE || cc == CURLE_HTTP2 ||
	       cc == CURLE_HTTP2_STREAM;
}

/* What a request is called in messages: method and path, no query. */
static void describe(char *out, size_t outsz, const ksef__request *rq)
{
	if (rq->url != NULL) {
		snprintf(out, outsz, "%s pre-signed URL", rq->method);
		return;
	}
	snprintf(out, outsz, "%s %.*s", rq->method,
		 (int)strcspn(rq->path, "?"), rq->path);
}

static int fail_http(ksef_client *c, const struct xfer *x, const char *what,
		     const char *why, ksef_error *err)
{
	char summary[KSEF_ERROR_MESSAGE_MAX];
	int code = x->status == 429 ? KSEF_ERATELIMIT : KSEF_EHTTP;

	c->last_error = ksef__api_error_parse(x->status, x->retry_after,
					      x->reason, &x->body);
	if (c->last_error == NULL)
		return ksef__error_set(err, KSEF_ENOMEM,
			"%s: HTTP %d: out of memory reading the error",
			what, x->status);
	ksef__api_error_summarise(summary, sizeof(summary), c->last_error);
	ksef__error_set(err, code, "%s: HTTP %d%s: %s", what, x->status,
			why, summary);
	if (err != NULL)
		ksef__client_trim_utf8(err->message);
	return code;
}

static int check_meta_hash(const struct xfer *x, const char *what,
			   ksef_error *err)
{
	char want[KSEF_SHA256_B64_LEN + 1];
	int error;

	if ((error = ksef_sha256_base64(want, x->body.ptr, x->body.size,
					err)) < 0)
		return error;
	if (strlen(x->meta_hash) != KSEF_SHA256_B64_LEN ||
	    memcmp(want, x->meta_hash, KSEF_SHA256_B64_LEN) != 0)
		return ksef__error_set(err, KSEF_ECHECKSUM,
			"%s: the body (%zu bytes) does not match its "
			"x-ms-meta-hash", what, x->body.size);
	return 0;
}

static int make_url(char **out, const ksef_client *c, const ksef__request *rq,
		    ksef_error *err)
{
	size_t blen, plen;
	char *u;

	*out = NULL;
	if (rq->url != NULL) {
		size_t len = strnlen(rq->url, KSEF_CLIENT_FIELD_MAX + 1);

		if (len > KSEF_CLIENT_FIELD_MAX ||
		    !ksef__client_token_text(rq->url, len))
			return ksef__error_set(err, KSEF_EINVAL,
				"download URL must be printable ASCII of at "
				"most %d characters (KSEF_CLIENT_FIELD_MAX)",
				KSEF_CLIENT_FIELD_MAX);
		if (strncmp(rq->url, "https://", 8) != 0 &&
		    !(c->base_is_http && strncmp(rq->url, "http://", 7) == 0))
			return ksef__error_set(err, KSEF_EINVAL,
				"download URL must be https%s",
				c->base_is_http ? " or http" : "");
		u = strdup(rq->url);
	} else {
		blen = strlen(c->base_url);
		plen = strlen(rq->path);
		u = malloc(blen + plen + 1);
		if (u != NULL) {
			memcpy(u, c->base_url, blen);
			memcpy(u + blen, rq->path, plen + 1);
		}
	}
	if (u == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	*out = u;
	return 0;
}

static void xfer_dispose(struct xfer *x)
{
	ksef_buf_dispose_secure(&x->body);
}

int ksef__client_perform(ksef_client *c, const ksef__request *rq,
			 ksef__response *rs, ksef_error *err)
{
	struct curl_slist *headers = NULL;
	struct xfer x;
	char what[160], *url = NULL;
	int tries = 0, waits = 0, error;
	CURLcode cc;

	describe(what, sizeof(what), rq);
	if (rq->continuation != NULL) {
		size_t len = strnlen(rq->continuation,
				     KSEF_CLIENT_CONTINUATION_MAX + 1);

		if (len == 0 || len > KSEF_CLIENT_CONTINUATION_MAX ||
		    strspn(rq->continuation, " !\"#$%&'()*+,-./0123456789:;"
			   "<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghij"
			   "klmnopqrstuvwxyz{|}~") != len)
			return ksef__error_set(err, KSEF_EINVAL,
				"%s: continuation token must be 1 to %d "
				"printable ASCII characters", what,
				KSEF_CLIENT_CONTINUATION_MAX);
	}
	if (rq->bearer != NULL) {
		size_t len = strnlen(rq->bearer, KSEF_CLIENT_TOKEN_MAX + 1);

		if (len == 0 || len > KSEF_CLIENT_TOKEN_MAX ||
		    !ksef__client_token_text(rq->bearer, len))
			return ksef__error_set(err, KSEF_EINVAL,
				"%s: token must be 1 to %d printable ASCII "
				"characters", what, KSEF_CLIENT_TOKEN_MAX);
	}
	if ((error = make_url(&url, c, rq, err)) < 0)
		return error;
	if ((error = build_headers(&headers, c, rq)) < 0) {
		free(url);
		return ksef__error_set(err, error, "%s: out of memory", what);
	}
	memset(&x, 0, sizeof(x));
	x.max = c->o.max_response_bytes;
	for (;;) {
		xfer_dispose(&x);
		memset(&x, 0, sizeof(x));
		x.max = c->o.max_response_bytes;
		x.retry_after = -1;
		x.retry_safe = rq->retry_safe;
		x.rq = rq;
		if (rq->sink != NULL) {
			x.max = rq->sink_max < SIZE_MAX ? (size_t)rq->sink_max :
				SIZE_MAX;
			if ((error = rq->sink(rq->sink_ud, NULL, 0)) < 0)
				break;
		}
		cc = attempt(c, rq, url, headers, &x);
		if (x.sink_error < 0) {
			error = x.sink_error;
			break;
		}
		if (x.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
			error = ksef__error_set(err, KSEF_ETOOBIG,
				"%s: the response is over the limit of %zu "
				"bytes (max_response_bytes)", what, x.max);
			break;
		}
		if (x.nomem) {
			error = ksef__error_set(err, KSEF_ENOMEM,
				"%s: out of memory reading the response", what);
			break;
		}
		if (cc != CURLE_OK) {
			/* Sent again only when that cannot store it twice:
			 * a retry-safe request, or none of it went out. */
			int again = rq->retry_safe ? unreachable(cc) ||
				transient(cc) : !x.sent && (unreachable(cc) ||
				transient(cc));

			if (again && tries < c->o.max_retries) {
				sleep_ms(backoff_ms(c, tries++));
				continue;
			}
			if (!rq->retry_safe && x.sent)
				/* A connection that failed after the request
				 * went out is libcurl's own resend failing:
				 * the first connection closed unanswered. */
				error = ksef__error_set(err, KSEF_ENETWORK,
					"%s: no answer after the request went "
					"out (%s); it may have reached the "
					"server, so it was not sent again",
					what, x.held_back || unreachable(cc) ?
					"the connection closed" :
					c->curl_err[0] ? c->curl_err :
					curl_easy_strerror(cc));
			else
				error = ksef__error_set(err, KSEF_ENETWORK,
					"%s: %s", what, c->curl_err[0] ?
					c->curl_err : curl_easy_strerror(cc));
			break;
		}
		c->last_status = x.status;
		if (x.status == 429) {
			/* Retry-After is compared in seconds before it is
			 * multiplied, so a huge value cannot overflow. */
			int fits = x.retry_after >= 0 ?
				x.retry_after <= c->o.max_retry_after_s :
				backoff_ms(c, waits) <=
					c->o.max_retry_after_s * 1000L;
			char why[96] = "";

			if (fits && waits < c->o.max_rate_limit_waits) {
				sleep_ms(x.retry_after >= 0 ?
					 x.retry_after * 1000L :
					 backoff_ms(c, waits));
				waits++;
				continue;
			}
			if (!fits && x.retry_after >= 0)
				snprintf(why, sizeof(why), " (Retry-After %ld "
					 "s is over the cap of %ld s)",
					 x.retry_after, c->o.max_retry_after_s);
			else if (waits > 0)
				snprintf(why, sizeof(why), " (after %d waits)",
					 waits);
			error = fail_http(c, &x, what, why, err);
			break;
		}
		if (x.status >= 500 && rq->retry_safe &&
		    tries < c->o.max_retries) {
			sleep_ms(backoff_ms(c, tries++));
			continue;
		}
		if (x.status < 200 || x.status > 299) {
			error = fail_http(c, &x, what, "", err);
			break;
		}
		error = 0;
		if (rq->check_meta_hash && x.has_meta_hash)
			error = check_meta_hash(&x, what, err);
		if (!error) {
			rs->status = x.status;
			ksef__buf_swap_in(&rs->body, &x.body);
		}
		break;
	}
	if (x.has_warning && x.warning[0] != '\0')
		c->last_warning = strdup(x.warning);
	xfer_dispose(&x);
	free_headers(headers);
	free(url);
	return error;
}

void ksef__response_dispose(ksef__response *rs)
{
	ksef_buf_dispose_secure(&rs->body);
	rs->status = 0;
}
