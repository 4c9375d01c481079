/*
 * faults.c - fault injection in a running ksefd (faults.h). It owns the
 * plan in force, read from the store (where --faults and `ksefd faults
 * set` put it) whenever the store's plan version changes, and carrying
 * out what a fired rule says: an answer of its own, a wait, a dropped
 * connection, a key rotation, a held status, a failed verification or a
 * failed write. Which rule fires is faults_plan.c's; the log line and the
 * count of each injected fault are made here, in one place.
 *
 * The plan is looked at under one mutex: matching is a walk over at most
 * FAULTS_MAX_RULES rules, and what a rule does (a wait, a key) happens
 * after the lock is released, on a copy of the rule's effect.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "errors.h"
#include "faults.h"
#include "http.h"
#include "keys.h"
#include "ratelimit.h"
#include "router.h"
#include "util/util.h"

/* How often the store is asked whether the plan changed: a change made by
 * `ksefd faults set` applies within this time. */
#define REFRESH_MS 100

struct faults {
	pthread_mutex_t lock;
	fault_plan *plan;           /* NULL: none */
	int64_t version;            /* the store's, -1 before the first read */
	_Atomic int64_t checked_ms; /* monotonic, of the last look */
	_Atomic int active;
};

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int faults_new(faults **out)
{
	faults *f = calloc(1, sizeof(*f));

	*out = f;
	if (f == NULL)
		return KSEF_ENOMEM;
	pthread_mutex_init(&f->lock, NULL);
	f->version = -1;
	atomic_store(&f->checked_ms, INT64_MIN / 2);
	return 0;
}

void faults_free(faults *f)
{
	if (f == NULL)
		return;
	faults_plan_free(f->plan);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

int faults_install(store *st, const char *path, ksef_error *err)
{
	char why[FAULTS_WHY_SZ], *text = NULL;
	fault_plan *p = NULL;
	size_t len = 0;
	FILE *fp;
	int rc;

	if (path != NULL) {
		if ((fp = fopen(path, "rb")) == NULL)
			return ksef_error_set(err, KSEF_EIO, "%s: %s", path,
					      strerror(errno)), -1;
		text = malloc(FAULTS_PLAN_MAX_BYTES + 2);
		if (text == NULL) {
			fclose(fp);
			return ksef_error_set(err, KSEF_ENOMEM,
					      "out of memory"), -1;
		}
		len = fread(text, 1, FAULTS_PLAN_MAX_BYTES + 1, fp);
		fclose(fp);
		text[len] = '\0';
		if (faults_plan_parse(&p, text, len, router_known, why) != 0) {
			free(text);
			return ksef_error_set(err, KSEF_EINVAL,
					      "%s: fault plan refused: %s",
					      path, why), -1;
		}
		faults_plan_free(p);
		if (strlen(text) != len) {
			free(text);
			return ksef_error_set(err, KSEF_EINVAL, "%s: fault "
					      "plan refused: a NUL byte", path),
			       -1;
		}
	}
	rc = store_faults_set(st, text, err);
	free(text);
	return rc == STORE_OK ? 0 : -1;
}

/* Take the store's plan if it changed since the last look. */
static void refresh(struct server *srv)
{
	faults *f = srv->faults;
	int64_t now = monotonic_ms(), version, have;
	char why[FAULTS_WHY_SZ], esc[4 * FAULTS_WHY_SZ], *text = NULL;
	fault_plan *p = NULL, *old;
	ksef_error err;

	if (now - atomic_load(&f->checked_ms) < REFRESH_MS)
		return;
	atomic_store(&f->checked_ms, now);
	if ((version = store_faults_version(srv->store)) < 0)
		return;
	pthread_mutex_lock(&f->lock);
	have = f->version;
	pthread_mutex_unlock(&f->lock);
	if (version == have ||
	    store_faults_get(srv->store, &version, &text, &err) != STORE_OK)
		return;
	/* Checked when it was installed; a plan this ksefd cannot read
	 * (another version's) applies as none, and says so. */
	if (text != NULL && faults_plan_parse(&p, text, strlen(text),
					      router_known, why) != 0) {
		request_log_escape(esc, sizeof(esc), why);
		fprintf(stderr, "ksefd: fault plan %lld ignored: %s\n",
			(long long)version, esc);
		p = NULL;
	}
	free(text);
	pthread_mutex_lock(&f->lock);
	old = f->plan;
	f->plan = p;
	f->version = version;
	atomic_store(&f->active, faults_plan_count(p) > 0);
	pthread_mutex_unlock(&f->lock);
	faults_plan_free(old);
	fprintf(stderr, "ksefd: fault plan %lld in force: %zu rules\n",
		(long long)version, faults_plan_count(p));
}

int faults_active(struct server *srv)
{
	if (srv == NULL || srv->faults == NULL)
		return 0;
	refresh(srv);
	return atomic_load(&srv->faults->active);
}

/* The rule that fires for probe, if any, with the plan's version. */
static int match(struct server *srv, const struct fault_probe *probe,
		 struct fault_effect *e, int64_t *version)
{
	faults *f = srv->faults;
	int hit;

	if (f == NULL)
		return 0;
	refresh(srv);
	if (!atomic_load(&f->active))
		return 0;
	pthread_mutex_lock(&f->lock);
	hit = faults_plan_match(f->plan, probe, e);
	*version = f->version;
	pthread_mutex_unlock(&f->lock);
	return hit;
}

/* One line per injected fault, its fields escaped as the request log's,
 * and the rule's count in the store for `ksefd faults show`. */
static void injected(struct server *srv, const struct fault_effect *e,
		     int64_t version, const char *what, const char *where)
{
	char when[40], id[4 * FAULTS_ID_SZ], w1[64], w2[4 * REQUEST_PATH_MAX];
	struct timespec ts;
	struct tm tm;
	ksef_error err;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	request_log_escape(id, sizeof(id), e->id);
	request_log_escape(w1, sizeof(w1), what);
	request_log_escape(w2, sizeof(w2), where);
	fprintf(stderr, "%s fault injected rule=%s action=%s fired=%lld "
		"%s %s\n", when, id, faults_action_name(e->action),
		(long long)e->fired, w1, w2);
	if (store_faults_count(srv->store, version, e->id, e->fired,
			       &err) != STORE_OK)
		fprintf(stderr, "ksefd: fault count not kept: %s\n",
			err.message);
}

/* ---- what a rule does ---- */

static const char *reason_phrase(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Temporarily Unavailable";
	case 504: return "Gateway Time-out";
	default: return "Error";
	}
}

/* The page a reverse proxy answers with when what is behind it fails:
 * HTML, not the API's JSON, which is what a client must survive. */
static void reply_html(struct request *req, int status)
{
	char page[512];
	int n;

	n = snprintf(page, sizeof(page), "<html>\r\n<head><title>%d %s"
		     "</title></head>\r\n<body>\r\n<center><h1>%d %s</h1>"
		     "</center>\r\n</body>\r\n</html>\r\n", status,
		     reason_phrase(status), status, reason_phrase(status));
	http_reply_bytes(req, (unsigned)status, "text/html", page,
			 (size_t)n, NULL);
}

/* As `ksefd keys rotate --usage SymmetricKeyEncryption` followed by
 * `ksefd keys retire` of the key it replaced: sessions opened under the
 * old key go on, a new one opened with it gets 400/21470. */
static void rotate_key(struct server *srv)
{
	char old[KSEF_SHA256_B64_LEN + 1] = "";
	int64_t now = server_now_ms();
	struct ring_key *rk;
	server_key *k = NULL;
	ksef_error err;

	if (keyring_refresh(srv, &err) == 0) {
		keyring_lock(srv);
		rk = keyring_current(srv, KEY_USAGE_SYMMETRIC, now);
		if (rk != NULL)
			snprintf(old, sizeof(old), "%s",
				 rk->key->public_key_id);
		keyring_unlock(srv);
	}
	if (keys_generate(&k, KEY_USAGE_SYMMETRIC, 2048, now, 730,
			  &err) != 0) {
		fprintf(stderr, "ksefd: fault rotate_key: %s\n", err.message);
		return;
	}
	if (keyring_store_key(srv->store, k, NULL, &err) != STORE_OK ||
	    (old[0] != '\0' &&
	     store_key_retire(srv->store, old, &err) != STORE_OK) ||
	    keyring_refresh(srv, &err) != 0)
		fprintf(stderr, "ksefd: fault rotate_key: %s\n", err.message);
	keys_free(k);
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
			       (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int faults_dispatch(struct request *req, const char *method,
		    const char *pattern)
{
	struct server *srv = req->srv;
	char route[REQUEST_PATH_MAX];
	struct fault_probe probe;
	struct fault_effect e;
	ratelimit_block block;
	char msg[RATELIMIT_MESSAGE_BUFSZ];
	int64_t version;
	int storage = strncmp(req->path, "/storage/", 9) == 0;

	if (srv == NULL || srv->faults == NULL)
		return 0;
	snprintf(route, sizeof(route), "%s%s", storage ? "/storage" : "",
		 pattern);
	memset(&probe, 0, sizeof(probe));
	probe.stage = FAULT_AT_DISPATCH;
	probe.method = method;
	probe.route = route;
	probe.context = req->authed ? req->claims.context_value : NULL;
	/* Every route of a session names it first: /sessions/{ref}/...,
	 * /sessions/online/{ref}/..., a storage link's /{session}/... */
	if (req->nparams > 0 &&
	    (strncmp(pattern, "/sessions/", 10) == 0 ||
	     (storage && strncmp(pattern, "/{session}/", 11) == 0)))
		probe.session = req->params[0];
	if (!match(srv, &probe, &e, &version))
		return 0;
	injected(srv, &e, version, req->method, req->path);
	switch (e.action) {
	case FAULT_STATUS:
		if (e.html)
			reply_html(req, e.status);
		else
			errors_reply(req, (unsigned)e.status, e.code, "%s",
				     e.detail[0] ? e.detail :
				     "Błąd wstrzyknięty planem awarii.");
		return 1;
	case FAULT_DELAY:
		sleep_ms(e.ms);
		return 0;
	case FAULT_DROP:
		req->drop = 1;
		if (e.after)
			return 0;
		http_reply_empty(req, 500);
		return 1;
	case FAULT_RATE_LIMIT:
		memset(&block, 0, sizeof(block));
		block.retry_after_s = e.retry_after_s;
		block.window = RATELIMIT_SECOND;
		block.limit = 1;
		block.strikes = 1;
		ratelimit_message(msg, sizeof(msg), &block);
		errors_too_many(req, e.retry_after_s,
				e.detail[0] ? e.detail : msg);
		return 1;
	case FAULT_SESSION_UNAVAILABLE:
		/* ksef-api's announcement (docs/faults.md): a send during
		 * maintenance; the client opens a new session and goes on. */
		errors_reply_described(req, 400, 21184,
			"Sesja tymczasowo niedostępna", "%s", e.detail[0] ?
			e.detail : "Sesja tymczasowo niedostępna. Otwórz nową "
			"sesję i kontynuuj wysyłkę.");
		return 1;
	case FAULT_HOLD:
		req->fault_hold_ms = e.ms;
		return 0;
	case FAULT_ROTATE_KEY:
		rotate_key(srv);
		return 0;
	default:
		return 0;
	}
}

/* The rule firing at a session's invoice stage (verify or store), its
 * effect logged: 1 with *e filled, or 0 when none does. */
static int session_fault(struct server *srv, enum fault_stage stage,
			 const store_session *s, struct fault_effect *e)
{
	struct fault_probe probe = { stage, NULL, NULL, s->ctx_value,
				     s->ref };
	int64_t version;

	if (srv == NULL || srv->faults == NULL ||
	    !match(srv, &probe, e, &version))
		return 0;
	injected(srv, e, version, "session", s->ref);
	return 1;
}

int faults_verify(struct server *srv, const store_session *s, int *status,
		  char *detail, size_t size)
{
	struct fault_effect e;

	if (!session_fault(srv, FAULT_AT_VERIFY, s, &e))
		return 0;
	*status = e.status;
	snprintf(detail, size, "%s", e.detail[0] ? e.detail :
		 "Weryfikacja faktury nie powiodła się (błąd wstrzyknięty "
		 "planem awarii).");
	return 1;
}

int faults_store(struct server *srv, const store_session *s,
		 ksef_error *err)
{
	struct fault_effect e;

	if (!session_fault(srv, FAULT_AT_STORE, s, &e))
		return 0;
	ksef_error_set(err, KSEF_EIO, "fault injected by rule %s: the "
		       "invoice's write failed; nothing was stored", e.id);
	return 1;
}
