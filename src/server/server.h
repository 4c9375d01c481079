/*
 * server.h - what ksefd's modules share: the settings, the server's
 * long-lived state, and the per-request context. Each concern has its own
 * file: http.c owns connections, bodies and putting replies on the wire,
 * router.c owns dispatch and the bearer/permission/rate checks, errors.c
 * words the error bodies, api_<tag>.c answer one API tag each, worker.c
 * owns verification threads, reads.c the threads that run downloads and
 * listings, store_*.c own SQL, clock.c reads the time.
 *
 * Dependencies run one way: main.c hands router_dispatch to http.c as a
 * function pointer, so http.c knows nothing of routes; router.c and the
 * handlers call errors.c and context.c, which record their answer through
 * http.c's reply functions; nothing below calls back up.
 */
#ifndef KSEFD_SERVER_H
#define KSEFD_SERVER_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "ksef/ksef.h"
#include "jwt_cache.h"
#include "jwt_tokens.h"
#include "keys.h"
#include "proxy.h"
#include "ratelimit.h"
#include "store.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* --crl files at most: each may hold any number of CRLs, so this is room
 * for a CA hierarchy given one file a CA, not a bound on CRLs. */
#define CONFIG_MAX_CRL_FILES 64

/* ksefd settings: command-line flags, with defaults from config_init(). */
struct config {
	char data_dir[PATH_MAX];     /* SQLite's file; batch parts, exports */
	const char *store;           /* --store: PostgreSQL; NULL: data_dir */
	char listen_host[64];
	int port;                    /* 0: pick one */
	const char *tls_cert_path, *tls_key_path;
	const char *schema_dir;      /* NULL: the library's default */
	const char *trust_store;     /* PEM CA bundle for XAdES signers */
	const char *crl_files[CONFIG_MAX_CRL_FILES]; /* --crl, in order */
	int crl_count;
	int rate_limits;             /* 0 off, 1 the production numbers; a
					context's test-data limits apply
					either way (ctx_limits.h) */
	int production;              /* --profile production: NIP checksums */
	int workers;                 /* verification threads */
	int64_t session_ttl_ms;      /* validUntil - dateCreated: 12 h */
	int64_t challenge_ttl_ms;    /* 10 min */
	int64_t auth_token_ttl_ms;   /* operation token: 45 min */
	int64_t access_ttl_ms;       /* 15 min */
	int64_t refresh_ttl_ms;      /* 7 days */
	int64_t auth_retention_ms;   /* GET /auth/{ref} until 410: 7 days */
	size_t max_body;             /* request body limit, bytes */
	int max_invoices;            /* per session: 10 000 */
	size_t max_invoice_bytes;    /* plaintext limit: 1 000 000 */
	int invoice_cpu_ms;          /* CPU one invoice's verification may use */
	int processing_delay_ms;     /* seeming processing time (100, 150) */
	const char *faults_file;     /* --faults: the fault plan at start */
	const char *peppol_file;     /* --peppol-providers (peppol.h) */
	int max_connections;
	int max_connections_per_ip;
	struct proxies trusted_proxies; /* --trusted-proxy (proxy.h) */
	int connection_timeout_s;    /* idle: no byte in either direction */
	int header_timeout_s;        /* request line and headers, in all */
	int body_timeout_s;          /* the body, in all, from its headers */
	int io_threads;              /* event loops (epoll), one per core */
	int handlers;                /* threads running dispatched requests */
	int max_reads;               /* reads of stored rows at once */
	int read_wait_ms;            /* a read's longest wait for a slot */
	int64_t download_url_ttl_ms; /* pre-signed links: 3 days */
	int upo_page_size;           /* documents per session UPO page */
	int export_part_bytes;       /* an export part before encryption:
					50 MB */
	int export_max_invoices;     /* invoices in one export package
					before it is truncated: 10 000 */
	int metrics;                 /* --metrics: serve GET /metrics */
	int log_json;                /* --log-format json */
	char console_host[64];       /* --console: the console's address */
	int console_port;            /* -1: no console; 0: any free port */
};

void config_init(struct config *cfg);

/* One server key with what the store knows of it. */
struct ring_key {
	int64_t id;
	int retired;
	server_key *key;
};

/* The server keys currently known, reloaded when the store's key table
 * changes (another process may rotate or retire keys). */
struct keyring {
	pthread_rwlock_t lock;
	int64_t version;
	struct ring_key *keys;       /* newest first */
	size_t count;
};

struct workers;
struct session_keys;
struct ctx_limits;
struct request;
struct http;
struct http_conn;
struct reads;
struct metrics;
struct console;

/* What http.c must know of a request before its body. */
struct http_traits {
	size_t body_max;   /* the most body bytes its route takes */
	int quick;         /* run on the event loop: it only reads */
	int refuse;        /* answer now, without reading the body */
	/* Where the body goes instead of memory (a batch part, written to
	 * disk as it comes): called with each piece; non-zero refuses the
	 * rest of the body. NULL: the body is kept in req->body. */
	int (*sink)(struct request *req, const char *data, size_t len);
};

struct server {
	struct config cfg;
	store *store;
	ratelimit *rl;
	struct ctx_limits *ctx_limits;     /* limits of each context */
	ksef_schemas *schemas;
	struct keyring keyring;
	struct workers *workers;
	struct session_keys *session_keys; /* session_keys.c */
	unsigned char jwt_secret[32];
	jwt_cache *jwt_cache;              /* verified bearer tokens */
	struct processing *processing;     /* --processing-delay */
	struct faults *faults;             /* fault injection, faults.c */
	unsigned char presign_secret[32];  /* pre-signed download links */
	ksef_upo_signer *upo_signer;       /* upo_service.c */
	char *upo_cert_pem;                /* its certificate, published */
	struct trust *trust;               /* --trust-store, or NULL */
	json_t *peppol_providers;          /* GET /peppol/query (peppol.h) */
	struct MHD_Daemon *mhd;
	struct http *http;           /* http.c: handler pool, connections */
	struct reads *reads;         /* reads.c: the read gate, or NULL */
	struct metrics *metrics;     /* metrics.c, or NULL: none counted */
	struct console *console;     /* console.c, or NULL: off */
	char *tls_cert, *tls_key;    /* PEM, read at start (key wiped) */
	int port;                    /* the one actually bound */
	/* Requests in flight, so shutdown can wait for them. */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int in_flight;
	int stopping;
	/* Called by http.c with each complete request, on a handler thread;
	 * set by http_start() (main.c passes router_dispatch). */
	void (*dispatch)(struct request *req);
	/* What http.c must know of a request's route when its headers are
	 * in (router_traits). */
	void (*traits)(struct request *req, struct http_traits *out);
};

/* Which bearer token a route takes (SPEC 2.1). */
enum auth_kind {
	AUTH_NONE = 0,
	AUTH_OPERATION,    /* authenticationToken */
	AUTH_REFRESH,      /* refreshToken */
	AUTH_ACCESS,       /* accessToken */
	AUTH_ACCESS_OR_REFRESH,
	AUTH_STORAGE,      /* /storage, outside the API: no token and no
			      rate limit; a pre-signed link's signature,
			      checked by its handler, is the credential */
};

#define REQUEST_MAX_PARAMS 4
#define REQUEST_PATH_MAX 512

/* One HTTP request, from its first byte to its log line. Everything it
 * allocates hangs off it and is freed in one place (http.c's completion
 * callback). */
struct request {
	struct server *srv;
	struct MHD_Connection *conn;
	char method[8];
	char path[REQUEST_PATH_MAX];          /* as received, without query */
	char params[REQUEST_MAX_PARAMS][REQUEST_PATH_MAX / 4];
	size_t nparams;
	ksef_buf body;
	size_t body_max;                      /* its route's limit */
	int quick;                            /* its route only reads */
	int refuse;                           /* answered before its body */
	int body_too_big;
	int problem_details;                  /* X-Error-Format: problem-details */
	/* The Authorization header router.c checks, or NULL; borrowed from
	 * libmicrohttpd for the life of the request. */
	const char *authorization;
	/* X-Test-System-Warning, echoed as X-System-Warning on TEST; borrowed
	 * like authorization. */
	const char *test_warning;
	/* Its route, set by router_find(): an id for metrics.c (0: none
	 * matched) and the template, prefix and pattern, for the log
	 * (NULL: none matched). */
	unsigned route_id;
	const char *route_prefix, *route_pattern;
	char ip[64];
	char trace_id[33];
	int64_t start_us;                     /* monotonic, for the log */
	char log_refs[200];                   /* reference numbers, for the log */
	/* The one answer, recorded by http_reply_*() (the first call wins)
	 * and put on the wire by http.c when the dispatcher returns. */
	int responded;
	unsigned status;                      /* also for the log */
	char content_type[64];                /* empty: no Content-Type */
	char reply_header[32];                /* one extra header, or empty */
	char reply_value[128];
	ksef_buf reply;                       /* the body */
	/* Set by router.c for authenticated routes. */
	jwt_claims claims;
	int authed;
	/* http.c's: the handler queue's link, the connection's deadlines. */
	struct request *queue_next;
	struct http_conn *hc;
	int dispatched;
	/* A streamed body's (http_traits.sink): its state, and how to free
	 * it when the request ends (http.c calls it once, if set). */
	int (*sink)(struct request *req, const char *data, size_t len);
	void *upload;
	void (*upload_free)(void *upload);
	/* fault injection (faults.c): close the connection instead of
	 * sending the answer; show final statuses as still in progress
	 * (150/170) for this long after their change. */
	int drop;
	int64_t fault_hold_ms;
};

/* Milliseconds since the epoch, now (clock.c). */
int64_t server_now_ms(void);

/* Add a reference number to the request's log line (request.c). */
void request_log_ref(struct request *req, const char *ref);
/* The request's id as a UUID (its trace id with the dashes): the
 * referenceNumber of its error bodies, and request_id in the JSON log. */
void request_id(const struct request *req, char out[37]);
/* Write req's log line to stderr as one JSON object (--log-format json):
 * its fields escaped by request_log_escape(), then by jansson, so that
 * nothing a client sends can end the line or forge a field. closed_early:
 * the connection went before the answer was sent. */
void request_log_json(const struct request *req, double duration_ms,
		      int closed_early);
/* in as one log field: visible ASCII kept, anything else (spaces, control
 * characters, bytes over 0x7e, '\\') as \xHH; cut to fit size with its
 * NUL. Returns the length written. */
size_t request_log_escape(char *out, size_t size, const char *in);

/* Whether the request's access token carries a permission; router.c
 * verifies the token and parses the claim once (request.c). */
int request_has_permission(const struct request *req, const char *perm);

/* Keyring: reload if the store changed; the newest current key for a
 * usage, or the key with this publicKeyId among current ones. Returned keys
 * are borrowed under keyring_lock()/keyring_unlock(). */
int keyring_refresh(struct server *srv, ksef_error *err);
void keyring_lock(struct server *srv);
void keyring_unlock(struct server *srv);
struct ring_key *keyring_current(struct server *srv, unsigned usage,
				 int64_t now_ms);
struct ring_key *keyring_find(struct server *srv, const char *public_key_id,
			      unsigned usage, int64_t now_ms);
struct ring_key *keyring_by_id(struct server *srv, int64_t id);
void keyring_destroy(struct server *srv);
/* Store a key pair just made (`ksefd keys`, the rotate_key fault) as a
 * key row; *id (if not NULL) gets the row's id. The keyring picks it up
 * at its next keyring_refresh(). */
store_result keyring_store_key(store *st, const server_key *k, int64_t *id,
			       ksef_error *err);

#endif
