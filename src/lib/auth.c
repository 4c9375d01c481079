/*
 * auth.c - owns the ksef_conn: one authentication to one context (SPEC 3,
 * 4.2-4.7, 10) and everything that keeps it usable. It authenticates with
 * a KSeF token or a XAdES-signed AuthTokenRequest, polls the operation
 * with backoff, redeems the tokens, renews the access token with the
 * refresh token before it runs out (or after a 401), and starts over from
 * the challenge when the refresh token is gone. It also caches the KSeF
 * public keys and picks one per usage. Sessions (session.c) borrow the
 * access token through ksef__conn_use(); the HTTP exchanges are client.c's.
 *
 * A connection can also be saved and resumed (ksef_conn_export/resume), so
 * that a program run once per step keeps one login across runs on this
 * same state machine; the text format's checks are state.c's. Resumed
 * without a credential, it refreshes while it can and then says so,
 * instead of authenticating. ksef_conn_prepare() makes one that logs in at
 * its first use, so that a caller can read why a login failed.
 *
 * Threads: every field that changes after ksef_conn_new() is guarded by
 * `lock`, and so is `client`, the ksef_client authentication and key
 * requests go through. Renewal happens with the lock held, so when several
 * sessions find the token stale at once, one renews and the others then
 * find it fresh. Sessions never share `client`: each has its own.
 *
 * Secrets: the KSeF token, the access and refresh tokens live here only,
 * wiped when replaced and at ksef_conn_free(); no message contains them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"
#include "auth.h"
#include "client_int.h"
#include "options.h"
#include "state.h"

/* Do not use a refresh token this close to its end: it may expire on the
 * way. */
#define REFRESH_TOKEN_SLACK_MS 5000
/* The exception code of a withdrawn or unknown publicKeyId (SPEC 6.3). */
#define CODE_UNKNOWN_KEY 21470

struct ksef_conn {
	pthread_mutex_t lock;
	/* Set once by ksef_conn_new() and only read afterwards. */
	ksef_client_options copts; /* its strings point at the copies below */
	char *base_url, *user_agent, *ca_file, *ca_path, *proxy;
	ksef_context_type ctx_type;
	char *ctx_value;
	char *ksef_token;           /* SECRET, or NULL with a signer */
	size_t ksef_token_len;
	const ksef_xades_signer *signer; /* borrowed */
	ksef_xades_subject_type subject_type;
	long auth_timeout_ms, refresh_margin_s, poll_initial_ms, poll_max_ms;
	int max_session_reopens;

	/* Guarded by lock. */
	ksef_client *client;
	char *access;               /* SECRET */
	size_t access_len;
	int64_t access_until_ms;
	char *refresh;              /* SECRET */
	size_t refresh_len;
	int64_t refresh_until_ms;
	int stale;                  /* access refused with 401 */
	unsigned long gen;          /* bumped with every new access token */
	char auth_ref[KSEF_REFNUM_BUFSZ];
	int auth_status;
	unsigned long authentications, refreshes;
	ksef_api_pubkey_certs *certs;
};

/*
 * Small helpers
 */

int64_t ksef__mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ksef__sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int64_t wall_ms(void)
{
	return ksef_time_now().unix_ms;
}

/* Wipe and free a secret string. */
static void secret_free(char **s, size_t *len)
{
	if (*s != NULL) {
		ksef__wipe(*s, *len);
		free(*s);
	}
	*s = NULL;
	*len = 0;
}

/* Replace a secret string by a copy of src. */
static int secret_set(char **s, size_t *len, const char *src)
{
	size_t n = strlen(src);
	char *copy = malloc(n + 1);

	if (copy == NULL)
		return KSEF_ENOMEM;
	memcpy(copy, src, n + 1);
	secret_free(s, len);
	*s = copy;
	*len = n;
	return 0;
}

/* A copy of an optional option string; 0 or KSEF_ENOMEM. */
static int opt_dup(char **copy, const char **field)
{
	*copy = NULL;
	if (*field == NULL)
		return 0;
	if ((*copy = strdup(*field)) == NULL)
		return KSEF_ENOMEM;
	*field = *copy;
	return 0;
}

static int has_code(const ksef_client *client, int code)
{
	return ksef_api_error_has_code(ksef_client_last_error(client), code);
}

/*
 * Keys (SPEC 4.1, 6.3)
 */

static int fetch_keys_locked(ksef_conn *c, ksef_error *err)
{
	ksef_api_pubkey_certs *certs = NULL;
	int error = ksef_client_pubkey_certs(&certs, c->client, err);

	if (error != 0)
		return error;
	ksef_api_pubkey_certs_free(c->certs);
	c->certs = certs;
	return 0;
}

static int key_locked(ksef_pubkey **out, ksef_conn *c, unsigned usage,
		      int refetch, ksef_error *err)
{
	const ksef_api_pubkey_cert *pick = NULL;
	int fetched = 0, error;

	*out = NULL;
	if (refetch || c->certs == NULL) {
		if ((error = fetch_keys_locked(c, err)) != 0)
			return error;
		fetched = 1;
	}
	pick = ksef_api_pubkey_certs_pick(c->certs, usage,
					  ksef_time_now().unix_ms);
	/* The cached list may be older than a rotation: ask once more. */
	if (pick == NULL && !fetched) {
		if ((error = fetch_keys_locked(c, err)) != 0)
			return error;
		pick = ksef_api_pubkey_certs_pick(c->certs, usage,
						  ksef_time_now().unix_ms);
	}
	if (pick == NULL)
		return ksef__error_set(err, KSEF_ENOTFOUND,
			"the server lists no current key with usage %s",
			usage == KSEF_KEY_USAGE_KSEF_TOKEN ?
			"KsefTokenEncryption" : "SymmetricKeyEncryption");
	return ksef_pubkey_load(out, (const unsigned char *)pick->certificate,
				strlen(pick->certificate), err);
}

int ksef__conn_key(ksef_pubkey **out, ksef_conn *c, unsigned usage,
		   int refetch, ksef_error *err)
{
	int error;

	pthread_mutex_lock(&c->lock);
	error = key_locked(out, c, usage, refetch, err);
	pthread_mutex_unlock(&c->lock);
	return error;
}

/*
 * Authentication (SPEC 3 steps 1-5)
 */

/* POST /auth/ksef-token or /auth/xades-signature for one challenge. */
static int submit_locked(ksef_api_auth_init **init, ksef_conn *c,
			 const ksef_api_challenge *ch, int refetch,
			 ksef_error *err)
{
	ksef_xades_auth_request rq = KSEF_XADES_AUTH_REQUEST_INIT;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_pubkey *key = NULL;
	int error;

	if (c->ksef_token != NULL) {
		error = key_locked(&key, c, KSEF_KEY_USAGE_KSEF_TOKEN, refetch,
				   err);
		if (error == 0)
			error = ksef_client_auth_ksef_token(init, c->client, ch,
				c->ctx_type, c->ctx_value, c->ksef_token, key,
				NULL, err);
		ksef_pubkey_free(key);
		return error;
	}
	rq.challenge = ch->challenge;
	rq.context_type = c->ctx_type;
	rq.context_value = c->ctx_value;
	rq.subject_type = c->subject_type;
	error = ksef_xades_sign_auth_request(&doc, &rq, c->signer, err);
	if (error == 0)
		error = ksef_client_auth_xades(init, c->client, doc.ptr,
					       doc.size, 0, err);
	ksef_buf_dispose(&doc);
	return error;
}

/* Poll GET /auth/{ref} with backoff until the status leaves 100. */
static int poll_locked(ksef_conn *c, const ksef_api_auth_init *init,
		       ksef_error *err)
{
	ksef_api_auth_status *st = NULL;
	int64_t deadline = ksef__mono_ms() + c->auth_timeout_ms, left;
	long delay = c->poll_initial_ms;
	int error;

	for (;;) {
		error = ksef_client_auth_status(&st, c->client,
			init->reference_number,
			init->authentication_token->token, err);
		if (error != 0)
			return error;
		if (st->status->code != 100)
			break;
		ksef_api_auth_status_free(st);
		st = NULL;
		left = deadline - ksef__mono_ms();
		if (left <= 0)
			return ksef__error_set(err, KSEF_ENETWORK,
				"authentication %s is still in progress (100) "
				"after %ld ms", init->reference_number,
				c->auth_timeout_ms);
		ksef__sleep_ms(delay < left ? delay : (long)left);
		delay = delay > c->poll_max_ms / 2 ? c->poll_max_ms : delay * 2;
	}
	c->auth_status = st->status->code;
	if (st->status->code != 200) {
		char details[160] = "";
		size_t i, n = 0;

		for (i = 0; i < st->status->detail_count &&
			    n < sizeof(details) - 1; i++) {
			int w = snprintf(details + n, sizeof(details) - n,
					 "%s%s", i ? "; " : ": ",
					 st->status->details[i]);
			if (w < 0)
				break;
			n += (size_t)w;
		}
		error = ksef__error_set(err, KSEF_EHTTP,
			"authentication %s ended with status %d (%s)%s",
			init->reference_number, st->status->code,
			st->status->description ?
			st->status->description : "", details);
	}
	ksef_api_auth_status_free(st);
	return error;
}

/* Take a fresh access token from an answer. */
static int take_access_locked(ksef_conn *c, const ksef_api_token_info *t,
			      ksef_error *err)
{
	if (t->token == NULL)
		return ksef__error_set(err, KSEF_EPARSE,
			"the answer holds no access token");
	if (secret_set(&c->access, &c->access_len, t->token) != 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	c->access_until_ms = t->valid_until_ms;
	c->stale = 0;
	c->gen++;
	return 0;
}

static int authenticate_locked(ksef_conn *c, ksef_error *err)
{
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	ksef_api_tokens *tok = NULL;
	int error, refetch = 0;

	c->auth_status = 0;
	for (;;) {
		if ((error = ksef_client_auth_challenge(&ch, c->client,
							err)) != 0)
			goto done;
		error = submit_locked(&init, c, ch, refetch, err);
		ksef_api_challenge_free(ch);
		ch = NULL;
		/* A key withdrawn since we cached the list: fetch it again
		 * and answer a new challenge, once (SPEC 6.3). */
		if (error == KSEF_EHTTP && !refetch &&
		    has_code(c->client, CODE_UNKNOWN_KEY)) {
			refetch = 1;
			continue;
		}
		break;
	}
	if (error != 0)
		goto done;
	if ((error = poll_locked(c, init, err)) != 0)
		goto done;
	if ((error = ksef_client_auth_redeem(&tok, c->client,
			init->authentication_token->token, err)) != 0)
		goto done;
	if (tok->refresh_token->token == NULL) {
		error = ksef__error_set(err, KSEF_EPARSE,
			"the redeem answer holds no refresh token");
		goto done;
	}
	if ((error = take_access_locked(c, tok->access_token, err)) != 0)
		goto done;
	if (secret_set(&c->refresh, &c->refresh_len,
		       tok->refresh_token->token) != 0) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	c->refresh_until_ms = tok->refresh_token->valid_until_ms;
	snprintf(c->auth_ref, sizeof(c->auth_ref), "%s",
		 init->reference_number);
	c->authentications++;
done:
	ksef_api_tokens_free(tok);
	ksef_api_auth_init_free(init);
	return error;
}

/* A new access token: refreshed if the refresh token still works, else
 * from a new authentication (SPEC 4.7, 10). */
static int renew_locked(ksef_conn *c, ksef_error *err)
{
	ksef_api_tokens *tok = NULL;
	int error = 0;

	if (c->refresh != NULL &&
	    wall_ms() + REFRESH_TOKEN_SLACK_MS < c->refresh_until_ms) {
		error = ksef_client_auth_refresh(&tok, c->client, c->refresh,
						 err);
		if (error == 0) {
			error = take_access_locked(c, tok->access_token, err);
			ksef_api_tokens_free(tok);
			if (error == 0)
				c->refreshes++;
			return error;
		}
		/* A network failure or a 5xx says nothing about the refresh
		 * token; a 4xx (400/21301 revoked, 401 expired) says it is
		 * no good any more. */
		if (error != KSEF_EHTTP ||
		    ksef_client_last_http_status(c->client) >= 500)
			return error;
	}
	secret_free(&c->refresh, &c->refresh_len);
	if (c->ksef_token == NULL && c->signer == NULL) {
		/* Resumed without credentials: only the caller can log in
		 * again. A refusal of the refresh token is already in err. */
		if (error != 0)
			return error;
		return ksef__error_set(err, KSEF_ENOTFOUND,
			"the refresh token has expired and the connection "
			"has no credential to authenticate again");
	}
	return authenticate_locked(c, err);
}

static int needs_renewal_locked(const ksef_conn *c)
{
	return c->access == NULL || c->stale ||
	       wall_ms() + c->refresh_margin_s * 1000 >= c->access_until_ms;
}

int ksef__conn_use(ksef_conn *c, ksef_client *client, unsigned long *gen,
		   ksef_error *err)
{
	int error = 0;

	pthread_mutex_lock(&c->lock);
	if (needs_renewal_locked(c))
		error = renew_locked(c, err);
	if (error == 0 && *gen != c->gen) {
		error = ksef_client_set_access_token(client, c->access, err);
		if (error == 0)
			*gen = c->gen;
	}
	pthread_mutex_unlock(&c->lock);
	return error;
}

void ksef__conn_unauthorized(ksef_conn *c, unsigned long gen)
{
	pthread_mutex_lock(&c->lock);
	if (gen == c->gen)
		c->stale = 1;
	pthread_mutex_unlock(&c->lock);
}

int ksef__conn_retry_unauthorized(ksef_conn *c, ksef_client *client,
				  unsigned long gen, int error, int *tried)
{
	if (error != KSEF_EHTTP || *tried ||
	    ksef_client_last_http_status(client) != 401)
		return 0;
	*tried = 1;
	ksef__conn_unauthorized(c, gen);
	return 1;
}

int ksef__conn_call_with_key(ksef_conn *c, ksef_client *client,
			     unsigned long *gen, unsigned usage,
			     int (*call)(void *ctx, const ksef_pubkey *key,
					 ksef_error *err),
			     void *ctx, int *from_call, ksef_error *err)
{
	ksef_pubkey *key = NULL;
	int error, tried = 0, refetch = 0, own;

	for (;;) {
		own = 0;
		if ((error = ksef__conn_use(c, client, gen, err)) != 0 ||
		    (error = ksef__conn_key(&key, c, usage, refetch,
					    err)) != 0)
			break;
		error = call(ctx, key, err);
		own = 1;
		ksef_pubkey_free(key);
		key = NULL;
		if (ksef__conn_retry_unauthorized(c, client, *gen, error,
						  &tried))
			continue;
		if (error == KSEF_EHTTP && !refetch &&
		    ksef_api_error_has_code(ksef_client_last_error(client),
					    21470)) {
			refetch = 1;
			continue;
		}
		break;
	}
	if (from_call != NULL)
		*from_call = own;
	return error;
}

int ksef__conn_client_new(ksef_client **out, const ksef_conn *c,
			  ksef_error *err)
{
	return ksef_client_new(out, &c->copts, err);
}

void ksef__conn_keep_error(ksef_conn *c, ksef_client **client)
{
	ksef_client *mine;

	pthread_mutex_lock(&c->lock);
	mine = c->client;
	c->client = *client;
	*client = mine;
	/* The connection's client carries no bearer between its calls;
	 * clearing one cannot fail. */
	if (ksef_client_set_access_token(c->client, NULL, NULL) != 0)
		c->stale = 1;
	pthread_mutex_unlock(&c->lock);
}

void ksef__conn_poll(const ksef_conn *c, long *initial_ms, long *max_ms)
{
	*initial_ms = c->poll_initial_ms;
	*max_ms = c->poll_max_ms;
}

int ksef__conn_max_session_reopens(const ksef_conn *c)
{
	return c->max_session_reopens;
}

void ksef__conn_spoil_access_token(ksef_conn *c)
{
	pthread_mutex_lock(&c->lock);
	if (secret_set(&c->access, &c->access_len,
		       "eyJhbGciOiJIUzI1NiJ9.e30.c3BvaWxlZA") == 0)
		c->gen++;
	pthread_mutex_unlock(&c->lock);
}

/*
 * The public API
 */

/* The bytes of each version of ksef_conn_options (options.h). */
static const size_t conn_options_sizes[] = {
	KSEF__OPTIONS_END(ksef_conn_options, poll_max_ms), /* 1 */
	KSEF__OPTIONS_END(ksef_conn_options, max_session_reopens), /* 2 */
};
KSEF__OPTIONS_SIZES(conn_options_sizes, KSEF_CONN_OPTIONS_VERSION);

/* A caller's options, of any version from 1, into this library's own
 * struct, newer fields at their defaults. */
static int options_in(ksef_conn_options *copy, const ksef_conn_options *given,
		      ksef_error *err)
{
	static const ksef_conn_options init = KSEF_CONN_OPTIONS_INIT;

	*copy = init;
	return KSEF__OPTIONS_COPY(copy, given, conn_options_sizes,
				  KSEF_CONN_OPTIONS_VERSION, "ksef_conn_options",
				  err);
}

/* What ksef_conn_new() and ksef_conn_resume() both require. */
static int check_common(const ksef_conn_options *o, ksef_error *err)
{
	if (o->ksef_token != NULL && o->signer != NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"give one credential: ksef_token or signer");
	if (o->ksef_token != NULL && o->ksef_token[0] == '\0')
		return ksef__error_set(err, KSEF_EINVAL, "ksef_token is empty");
	if (o->auth_timeout_ms < 1 || o->auth_timeout_ms > 3600000)
		return ksef__error_set(err, KSEF_EINVAL,
			"auth_timeout_ms must be 1 to 3600000");
	if (o->refresh_margin_s < 0 || o->refresh_margin_s > 86400)
		return ksef__error_set(err, KSEF_EINVAL,
			"refresh_margin_s must be 0 to 86400");
	if (o->poll_initial_ms < 1 || o->poll_initial_ms > 60000)
		return ksef__error_set(err, KSEF_EINVAL,
			"poll_initial_ms must be 1 to 60000");
	if (o->poll_max_ms < o->poll_initial_ms || o->poll_max_ms > 600000)
		return ksef__error_set(err, KSEF_EINVAL,
			"poll_max_ms must be poll_initial_ms to 600000");
	if (o->max_session_reopens < 0 ||
	    o->max_session_reopens > KSEF_SESSION_REOPENS_MAX)
		return ksef__error_set(err, KSEF_EINVAL,
			"max_session_reopens must be 0 to %d "
			"(KSEF_SESSION_REOPENS_MAX)", KSEF_SESSION_REOPENS_MAX);
	return 0;
}

static int check_options(const ksef_conn_options *o, ksef_error *err)
{
	int error = check_common(o, err);

	if (error != 0)
		return error;
	if (o->client == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"client options are required");
	if (o->context_value == NULL || o->context_value[0] == '\0')
		return ksef__error_set(err, KSEF_EINVAL,
			"context_value is required");
	if (o->ksef_token == NULL && o->signer == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"give exactly one credential: ksef_token or signer");
	return 0;
}

/*
 * A connection with the options copied and nothing else: no tokens, not
 * authenticated, its own client made. base_url and context_value override
 * the options' (for a resume, where the state names them); without client
 * options (a resume may give none) the client's defaults are used.
 */
static int conn_make(ksef_conn **out, const ksef_conn_options *opts,
		     const char *base_url, ksef_context_type ctx_type,
		     const char *context_value, ksef_error *err)
{
	static const ksef_client_options client_init =
		KSEF_CLIENT_OPTIONS_INIT;
	ksef_client_options copts = client_init;
	ksef_conn *c;
	int error;

	*out = NULL;
	if (opts->client != NULL &&
	    (error = ksef__client_options_copy(&copts, opts->client,
					       err)) != 0)
		return error;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return ksef__error_set(err, KSEF_ENOMEM,
				       "cannot make the connection's lock");
	}
	c->copts = copts;
	c->copts.base_url = base_url;
	c->ctx_type = ctx_type;
	c->signer = opts->signer;
	c->subject_type = opts->subject_type;
	c->auth_timeout_ms = opts->auth_timeout_ms;
	c->refresh_margin_s = opts->refresh_margin_s;
	c->poll_initial_ms = opts->poll_initial_ms;
	c->poll_max_ms = opts->poll_max_ms;
	c->max_session_reopens = opts->max_session_reopens;
	if (opt_dup(&c->base_url, &c->copts.base_url) != 0 ||
	    opt_dup(&c->user_agent, &c->copts.user_agent) != 0 ||
	    opt_dup(&c->ca_file, &c->copts.ca_file) != 0 ||
	    opt_dup(&c->ca_path, &c->copts.ca_path) != 0 ||
	    opt_dup(&c->proxy, &c->copts.proxy) != 0 ||
	    (c->ctx_value = strdup(context_value)) == NULL ||
	    (opts->ksef_token != NULL &&
	     secret_set(&c->ksef_token, &c->ksef_token_len,
			opts->ksef_token) != 0)) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto fail;
	}
	if ((error = ksef_client_new(&c->client, &c->copts, err)) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	ksef_conn_free(c);
	return error;
}

int ksef_conn_prepare(ksef_conn **out, const ksef_conn_options *given,
		      ksef_error *err)
{
	ksef_conn_options copy;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "out is NULL");
	*out = NULL;
	if (given == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "options are NULL");
	if ((error = options_in(&copy, given, err)) != 0 ||
	    (error = check_options(&copy, err)) != 0)
		return error;
	/* No access token yet: the first use authenticates. */
	return conn_make(out, &copy, copy.client->base_url,
			 copy.context_type, copy.context_value, err);
}

int ksef_conn_new(ksef_conn **out, const ksef_conn_options *opts,
		  ksef_error *err)
{
	ksef_conn *c;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "out is NULL");
	*out = NULL;
	if ((error = ksef_conn_prepare(&c, opts, err)) != 0)
		return error;
	/* Nobody else can see c yet, but the helpers expect the lock. */
	pthread_mutex_lock(&c->lock);
	error = authenticate_locked(c, err);
	pthread_mutex_unlock(&c->lock);
	if (error != 0) {
		ksef_conn_free(c);
		return error;
	}
	*out = c;
	return 0;
}

void ksef_conn_free(ksef_conn *c)
{
	if (c == NULL)
		return;
	ksef_client_free(c->client);
	ksef_api_pubkey_certs_free(c->certs);
	secret_free(&c->access, &c->access_len);
	secret_free(&c->refresh, &c->refresh_len);
	secret_free(&c->ksef_token, &c->ksef_token_len);
	free(c->ctx_value);
	free(c->base_url);
	free(c->user_agent);
	free(c->ca_file);
	free(c->ca_path);
	free(c->proxy);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int ksef_conn_refresh(ksef_conn *c, ksef_error *err)
{
	int error;

	if (c == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "connection is NULL");
	pthread_mutex_lock(&c->lock);
	error = renew_locked(c, err);
	pthread_mutex_unlock(&c->lock);
	return error;
}

int ksef_conn_revoke(ksef_conn *c, ksef_error *err)
{
	int error = 0, tried = 0;

	if (c == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "connection is NULL");
	pthread_mutex_lock(&c->lock);
	for (;;) {
		if (needs_renewal_locked(c) &&
		    (error = renew_locked(c, err)) != 0)
			break;
		if ((error = ksef_client_set_access_token(c->client, c->access,
							  err)) != 0)
			break;
		error = ksef_client_auth_revoke_current(c->client, err);
		if (error == KSEF_EHTTP && !tried &&
		    ksef_client_last_http_status(c->client) == 401) {
			tried = 1;
			c->stale = 1;
			continue;
		}
		break;
	}
	if (error == 0)
		secret_free(&c->refresh, &c->refresh_len);
	/* The auth client keeps no bearer between calls. */
	if (ksef_client_set_access_token(c->client, NULL, NULL) != 0 &&
	    error == 0)
		error = KSEF_EINVAL;
	pthread_mutex_unlock(&c->lock);
	return error;
}

int ksef_conn_auth_reference(char out[KSEF_REFNUM_BUFSZ], ksef_conn *c)
{
	if (out == NULL || c == NULL)
		return KSEF_EINVAL;
	pthread_mutex_lock(&c->lock);
	memcpy(out, c->auth_ref, KSEF_REFNUM_BUFSZ);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int ksef_conn_auth_status(ksef_conn *c)
{
	int code;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	code = c->auth_status;
	pthread_mutex_unlock(&c->lock);
	return code;
}

void ksef_conn_counters(unsigned long *authentications,
			unsigned long *refreshes, ksef_conn *c)
{
	unsigned long a = 0, r = 0;

	if (c != NULL) {
		pthread_mutex_lock(&c->lock);
		a = c->authentications;
		r = c->refreshes;
		pthread_mutex_unlock(&c->lock);
	}
	if (authentications != NULL)
		*authentications = a;
	if (refreshes != NULL)
		*refreshes = r;
}

int ksef_conn_invoice_download(ksef_buf *out, ksef_conn *c,
			       const char *ksef_number, ksef_error *err)
{
	ksef_client *client = NULL;
	unsigned long gen = 0;
	int error, attempt;

	if (out == NULL || c == NULL || ksef_number == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "NULL argument");
	if ((error = ksef__conn_client_new(&client, c, err)) != 0)
		return error;
	/* One more try after a 401: the token may have been revoked. */
	for (attempt = 0; attempt < 2; attempt++) {
		if ((error = ksef__conn_use(c, client, &gen, err)) != 0)
			break;
		error = ksef_client_invoice_download(out, client, ksef_number,
						     err);
		if (error == 0 || ksef_client_last_http_status(client) != 401)
			break;
		ksef__conn_unauthorized(c, gen);
	}
	ksef_client_free(client);
	return error;
}

/*
 * Saving and resuming (session.h: "Saving a connection and resuming it")
 */

static const char *const conn_members[] = {
	"baseUrl", "contextType", "contextValue", "authReferenceNumber",
	"accessToken", "refreshToken", NULL
};

#define CONN_STATE "connection state"

int ksef_conn_export(ksef_buf *out, ksef_conn *c, ksef_error *err)
{
	json_t *o = NULL;
	int error;

	if (out == NULL || c == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
				       "out and connection are required");
	pthread_mutex_lock(&c->lock);
	if (c->access == NULL) {
		pthread_mutex_unlock(&c->lock);
		return ksef__error_set(err, KSEF_EINVAL,
				       "the connection holds no access token");
	}
	o = json_pack("{s:i,s:s,s:s,s:s}", "version", KSEF_CONN_STATE_VERSION,
		      "baseUrl", c->base_url, "contextType",
		      ksef__state_context_name(c->ctx_type), "contextValue",
		      c->ctx_value);
	if (o == NULL)
		goto nomem;
	if (c->auth_ref[0] != '\0' &&
	    json_object_set_new(o, "authReferenceNumber",
				json_string(c->auth_ref)) != 0)
		goto nomem;
	if (ksef__state_set(o, "accessToken", ksef__state_token_json(
			c->access, c->access_until_ms)) != 0)
		goto nomem;
	if (c->refresh != NULL &&
	    ksef__state_set(o, "refreshToken", ksef__state_token_json(
			c->refresh, c->refresh_until_ms)) != 0)
		goto nomem;
	pthread_mutex_unlock(&c->lock);
	error = ksef__state_dump(out, o, KSEF_CONN_STATE_MAX_BYTES,
				 CONN_STATE, err);
	ksef__state_free(o);
	return error;
nomem:
	pthread_mutex_unlock(&c->lock);
	ksef__state_free(o);
	return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
}

/* The tokens and reference of a parsed state, into a new connection. */
static int take_state(ksef_conn *c, const json_t *root, ksef_error *err)
{
	const char *access, *refresh, *ref = NULL;
	int64_t access_until, refresh_until;
	int error;

	if ((error = ksef__state_token(&access, &access_until, root,
				       "accessToken", 0, CONN_STATE,
				       err)) != 0 ||
	    (error = ksef__state_token(&refresh, &refresh_until, root,
				       "refreshToken", 1, CONN_STATE,
				       err)) != 0)
		return error;
	if (json_object_get(root, "authReferenceNumber") != NULL &&
	    (error = ksef__state_refnum(&ref, root, "authReferenceNumber",
					CONN_STATE, err)) != 0)
		return error;
	if (secret_set(&c->access, &c->access_len, access) != 0 ||
	    (refresh != NULL &&
	     secret_set(&c->refresh, &c->refresh_len, refresh) != 0))
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	c->access_until_ms = access_until;
	c->refresh_until_ms = refresh_until;
	if (ref != NULL)
		memcpy(c->auth_ref, ref, strlen(ref) + 1);
	/* The state is of an authentication that succeeded. */
	c->auth_status = 200;
	c->gen = 1;
	return 0;
}

int ksef_conn_resume(ksef_conn **out, const ksef_conn_options *given,
		     const char *state, size_t len, ksef_error *err)
{
	static const ksef_conn_options defaults = KSEF_CONN_OPTIONS_INIT;
	ksef_conn_options copy = defaults;
	const ksef_conn_options *opts = &copy;
	const char *url, *ctx_value;
	ksef_context_type ctx_type;
	json_t *root = NULL;
	ksef_conn *c = NULL;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "out is NULL");
	*out = NULL;
	if (given != NULL && (error = options_in(&copy, given, err)) != 0)
		return error;
	if ((error = check_common(opts, err)) != 0 ||
	    (error = ksef__state_parse(&root, state, len,
				       KSEF_CONN_STATE_MAX_BYTES,
				       KSEF_CONN_STATE_VERSION, conn_members,
				       CONN_STATE, err)) != 0)
		return error;
	if ((error = ksef__state_str(&url, root, "baseUrl",
				     KSEF__STATE_URL_MAX, 0, CONN_STATE,
				     err)) != 0 ||
	    (error = ksef__state_context(&ctx_type, root, "contextType",
					 CONN_STATE, err)) != 0 ||
	    (error = ksef__state_str(&ctx_value, root, "contextValue",
				     KSEF__STATE_CONTEXT_MAX, 0, CONN_STATE,
				     err)) != 0)
		goto done;
	/* Tokens go only where they were issued. */
	if (opts->client != NULL && opts->client->base_url != NULL &&
	    strcmp(opts->client->base_url, url) != 0) {
		error = ksef__error_set(err, KSEF_EINVAL, "the %s is of "
			"another server (%.200s)", CONN_STATE, url);
		goto done;
	}
	if (opts->context_value != NULL &&
	    (opts->context_type != ctx_type ||
	     strcmp(opts->context_value, ctx_value) != 0)) {
		error = ksef__error_set(err, KSEF_EINVAL, "the %s is of "
			"another context (%s %.64s)", CONN_STATE,
			ksef__state_context_name(ctx_type), ctx_value);
		goto done;
	}
	if ((error = conn_make(&c, opts, url, ctx_type, ctx_value,
			       err)) != 0)
		goto done;
	pthread_mutex_lock(&c->lock);
	error = take_state(c, root, err);
	pthread_mutex_unlock(&c->lock);
	if (error != 0)
		goto done;
	*out = c;
	c = NULL;
done:
	ksef_conn_free(c);
	ksef__state_free(root);
	return error;
}

void ksef_conn_token_expiry(int64_t *access_until_ms,
			    int64_t *refresh_until_ms, ksef_conn *c)
{
	int64_t a = 0, r = 0;

	if (c != NULL) {
		pthread_mutex_lock(&c->lock);
		a = c->access != NULL ? c->access_until_ms : 0;
		r = c->refresh != NULL ? c->refresh_until_ms : 0;
		pthread_mutex_unlock(&c->lock);
	}
	if (access_until_ms != NULL)
		*access_until_ms = a;
	if (refresh_until_ms != NULL)
		*refresh_until_ms = r;
}

const ksef_api_error *ksef_conn_last_error(const ksef_conn *c)
{
	return c != NULL ? ksef_client_last_error(c->client) : NULL;
}

const char *ksef_conn_base_url(const ksef_conn *c)
{
	return c != NULL ? c->base_url : NULL;
}

const char *ksef_conn_context(ksef_context_type *type_out, const ksef_conn *c)
{
	if (c == NULL)
		return NULL;
	if (type_out != NULL)
		*type_out = c->ctx_type;
	return c->ctx_value;
}

int ksef_conn_authorize(ksef_client *client, ksef_conn *c, ksef_error *err)
{
	unsigned long gen = 0; /* no generation: always hand it over */

	if (client == NULL || c == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
				       "client and connection are required");
	return ksef__conn_use(c, client, &gen, err);
}
