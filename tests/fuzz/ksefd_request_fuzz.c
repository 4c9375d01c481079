/*
 * ksefd_request_fuzz.c - whole untrusted HTTP requests through ksefd's
 * router and handlers, without a connection (as tests/unit/server does):
 * the method and path (path parameters), the query arguments (page sizes,
 * dates, filters), the headers (x-continuation-token, Host,
 * X-Error-Format, the bearer token) and the JSON body of every route,
 * against a real store in a scratch folder.
 *
 * An input is up to MAX_REQUESTS requests, each written as on the wire
 * without the HTTP version, separated by the line "--next-request--":
 *
 *   POST /v2/sessions/online?pageSize=10
 *   Authorization: @access
 *   x-continuation-token: azF8MXwy
 *
 *   {"formCode": ...}
 *   --next-request--
 *   GET /v2/sessions/@session
 *   ...
 *
 * Percent escapes in the path and query are decoded as libmicrohttpd
 * decodes them. So that the fuzzer can get past the checks it cannot
 * forge, a few words are replaced before dispatch:
 *   Authorization: @operation | @access | @access-bound | @access-seal |
 *                  @refresh
 *       a genuine "Bearer" token of that kind, issued now for the NIP
 *       5265877635 with every permission, from a KSeF-token login
 *       (@access-bound: bound to the authentication's IP policy;
 *       @access-seal: from a XAdES login with a qualified seal);
 *   @session, @auth in the path
 *       the last session or authentication reference an earlier request
 *       of the same input was answered with;
 *   @wrapped-key in the body
 *       a session key wrapped with the server's current public key, so
 *       that POST /sessions/online opens a session that can take invoices;
 *   @challenge, @encrypted-token in the body
 *       the last challenge an earlier request of the input was given, and
 *       encryptedToken for it: the last KSeF token POST /tokens made, with
 *       the challenge's timestampMs, encrypted for the server's current
 *       KsefTokenEncryption key, so that a whole KSeF-token login runs;
 *   @token in the path
 *       the reference number of that KSeF token;
 *   @part in the path
 *       the path and query of the first part's upload link the last
 *       POST /sessions/batch of the input gave (/storage/...?se=&sig=),
 *       so that a part's PUT passes its signature;
 *   @export in the path
 *       the reference number the last POST /invoices/exports gave;
 *   @grant in the path
 *       the reference number of the last grant or revocation of a
 *       permission (POST or DELETE /permissions/...).
 *
 * A route whose body is streamed (a batch part's PUT) gets it as ksefd
 * gives it: router_traits() opens the upload, and the body goes to the
 * route's sink in pieces of up to 1,000 bytes instead of req->body.
 *
 * Checked on every input: exactly one reply, a status from 200 to 599,
 * and a JSON reply that is valid JSON. The store starts afresh every
 * STORE_RESET_EXECS inputs, so its files stay small in a long campaign.
 * Verification workers do not run: workers_submit() and workers_kick() are
 * wrapped (-Wl,--wrap) and only counted, and workers_send() decides the
 * invoice at once (decrypt, verify) and answers as if its write had
 * committed. With KSEF_FUZZ_VERBOSE set, each
 * request and its answer go to standard error, to check a seed by hand.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "ksef/ksef.h"
#include "fake_http.h"
#include "fuzz_support.h"
#include "keys.h"
#include "router.h"
#include "server.h"
#include "session_keys.h"
#include "upo_service.h"
#include "decide.h"
#include "worker.h"

#define NIP "5265877635"
#define ALL_PERMISSIONS "InvoiceWrite,InvoiceRead,Introspection," \
	"CredentialsRead,CredentialsManage,SubunitManage,PefInvoiceWrite," \
	"EnforcementOperations,VatUeManage"
#define STORE_RESET_EXECS 2048
#define MAX_REQUESTS 8
#define SEPARATOR "\n--next-request--\n"

void __wrap_workers_submit(struct server *srv, const char *invoice_ref);
int __wrap_workers_send(struct server *srv, struct invoice_job *job);
void __wrap_workers_kick(struct server *srv);

static struct server srv;
static server_key *keys[3];
static char *wrapped_key_b64;
static char last_session[KSEF_REFNUM_BUFSZ];
/* The sessions an input opened: their keys are dropped after it (the
 * workers, which would drop them as the sessions end, do not run), so
 * memory does not grow from input to input. */
static char opened[MAX_REQUESTS][KSEF_REFNUM_BUFSZ];
static size_t nopened;
static char last_auth[KSEF_REFNUM_BUFSZ];
static char last_challenge[KSEF_REFNUM_BUFSZ];
static char last_token_ref[KSEF_REFNUM_BUFSZ];
static char last_token[256];
static char last_part[512];
static char last_export[KSEF_REFNUM_BUFSZ];
static char last_grant[KSEF_REFNUM_BUFSZ];
static int64_t last_challenge_ms;
static unsigned long execs, stores;
static unsigned long submitted;
static int verbose;

void __wrap_workers_submit(struct server *s, const char *invoice_ref)
{
	(void)s;
	(void)invoice_ref;
	submitted++;
}

int __wrap_workers_send(struct server *s, struct invoice_job *job)
{
	job->srv = s;
	decide_invoice(s, &job->session, job->ciphertext.ptr,
		       job->ciphertext.size, &job->inv, &job->plain);
	submitted++;
	job->done(job, STORE_OK);
	return 0;
}

void __wrap_workers_kick(struct server *s)
{
	(void)s;
}

static void die(const char *what, const ksef_error *err)
{
	fprintf(stderr, "ksefd_request_fuzz: %s: %s\n", what,
		err ? err->message : "failed");
	abort();
}

/* A fresh store with the process's keys, as `ksefd serve` makes one. */
static void open_store(void)
{
	char dir[4200];
	ksef_error err;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/store%lu", fuzz_scratch_dir(),
		 stores++);
	if (store_open(&srv.store, dir, &err) != 0)
		die("store_open", &err);
	/* Batch parts and exports are files under the data folder. */
	if (snprintf(srv.cfg.data_dir, sizeof(srv.cfg.data_dir), "%s", dir) >=
	    (int)sizeof(srv.cfg.data_dir))
		die("the scratch folder's name is too long", NULL);
	if (store_secret(srv.store, "jwt", srv.jwt_secret,
			 sizeof(srv.jwt_secret), &err) != 0 ||
	    store_secret(srv.store, "presign", srv.presign_secret,
			 sizeof(srv.presign_secret), &err) != 0)
		die("store_secret", &err);
	for (i = 0; i < 3; i++) {
		store_key row;

		memset(&row, 0, sizeof(row));
		row.usage = keys[i]->usage;
		snprintf(row.public_key_id, sizeof(row.public_key_id), "%s",
			 keys[i]->public_key_id);
		row.cert_b64 = keys[i]->cert_b64;
		row.key_pem = keys[i]->key_pem;
		row.valid_from_ms = keys[i]->valid_from_ms;
		row.valid_to_ms = keys[i]->valid_to_ms;
		if (store_key_add(srv.store, &row, &err) != 0)
			die("store_key_add", &err);
	}
	if (keyring_refresh(&srv, &err) != 0)
		die("keyring_refresh", &err);
}

static void remove_tree(const char *dir)
{
	char cmd[4300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

static void reset_store(void)
{
	char dir[4200];

	store_close(srv.store);
	snprintf(dir, sizeof(dir), "%s/store%lu", fuzz_scratch_dir(),
		 stores - 1);
	remove_tree(dir);
	open_store();
}

/* The session key a client would send, wrapped for the current
 * SymmetricKeyEncryption key. */
static void make_wrapped_key(void)
{
	static const unsigned char aes[KSEF_AES_KEY_LEN] =
		"fuzz-session-key-0123456789abcd";
	static const unsigned char iv[KSEF_AES_IV_LEN] = "fuzz-iv-0123456";
	ksef_envelope *env = NULL;
	ksef_pubkey *pub = NULL;
	ksef_buf wrapped = KSEF_BUF_INIT, b64 = KSEF_BUF_INIT;
	ksef_error err;
	size_t i;

	for (i = 0; i < 3 && !(keys[i]->usage & KEY_USAGE_SYMMETRIC); i++)
		;
	if (ksef_pubkey_load(&pub, (const unsigned char *)keys[i]->cert_b64,
			     strlen(keys[i]->cert_b64), &err) != 0 ||
	    ksef_envelope_from_key(&env, aes, sizeof(aes), iv, sizeof(iv),
				   &err) != 0 ||
	    ksef_envelope_wrap_key(&wrapped, env, pub, &err) != 0 ||
	    ksef_base64_encode(&b64, wrapped.ptr, wrapped.size, &err) != 0)
		die("wrapping a session key", &err);
	wrapped_key_b64 = strdup((const char *)b64.ptr);
	if (wrapped_key_b64 == NULL)
		abort();
	ksef_buf_dispose(&b64);
	ksef_buf_dispose(&wrapped);
	ksef_envelope_free(env);
	ksef_pubkey_free(pub);
}

/* encryptedToken for the last token and challenge, in Base64 (malloc'd). */
static char *encrypted_token(void)
{
	ksef_pubkey *pub = NULL;
	ksef_buf ct = KSEF_BUF_INIT, b64 = KSEF_BUF_INIT;
	char plain[320];
	char *out;
	size_t i;
	int n;

	for (i = 0; i < 3 && !(keys[i]->usage & KEY_USAGE_TOKEN); i++)
		;
	n = snprintf(plain, sizeof(plain), "%s|%" PRId64, last_token,
		     last_challenge_ms);
	if (ksef_pubkey_load(&pub, (const unsigned char *)keys[i]->cert_b64,
			     strlen(keys[i]->cert_b64), NULL) != 0 ||
	    ksef_rsa_oaep_encrypt(&ct, pub, (const unsigned char *)plain,
				  (size_t)n, NULL) != 0 ||
	    ksef_base64_encode(&b64, ct.ptr, ct.size, NULL) != 0)
		abort();
	out = strdup((const char *)b64.ptr);
	if (out == NULL)
		abort();
	ksef_buf_dispose(&b64);
	ksef_buf_dispose(&ct);
	ksef_pubkey_free(pub);
	return out;
}

static void setup(void)
{
	static const unsigned usages[3] = { KEY_USAGE_SYMMETRIC,
		KEY_USAGE_TOKEN, KEY_USAGE_UPO_SIGNING };
	ksef_error err;
	size_t i;

	fuzz_global_init();
	verbose = getenv("KSEF_FUZZ_VERBOSE") != NULL;
	config_init(&srv.cfg);
	pthread_mutex_init(&srv.lock, NULL);
	pthread_cond_init(&srv.idle, NULL);
	pthread_rwlock_init(&srv.keyring.lock, NULL);
	for (i = 0; i < 3; i++)
		if (keys_generate(&keys[i], usages[i], 2048, server_now_ms(),
				  365, &err) != 0)
			die("keys_generate", &err);
	open_store();
	if (ratelimit_new(&srv.rl, 0) != 0)
		die("ratelimit_new", NULL);
	if (session_keys_new(&srv.session_keys, &srv, &err) != 0 ||
	    upo_service_init(&srv, &err) != 0)
		die("server set-up", &err);
	make_wrapped_key();
}

/* "Bearer <token>" of the kind a magic word names, or NULL. */
static char *magic_bearer(const char *word)
{
	jwt_claims c;
	jwt_kind kind;
	char *tok = NULL, *out;
	ksef_error err;
	size_t n;

	if (strcmp(word, "@operation") == 0)
		kind = JWT_OPERATION;
	else if (strcmp(word, "@access") == 0 ||
		 strcmp(word, "@access-bound") == 0 ||
		 strcmp(word, "@access-seal") == 0)
		kind = JWT_ACCESS;
	else if (strcmp(word, "@refresh") == 0)
		kind = JWT_REFRESH;
	else
		return NULL;
	if (jwt_claims_init(&c, kind, server_now_ms(), 900, &err) != 0)
		die("jwt_claims_init", &err);
	if (last_auth[0] != '\0')
		snprintf(c.reference, sizeof(c.reference), "%s", last_auth);
	else if (ksef_refnum_generate(c.reference, KSEF_REFNUM_AUTH,
			ksef_time_warsaw(server_now_ms()), &err) < 0)
		die("ksef_refnum_generate", &err);
	if (kind != JWT_OPERATION) {
		strcpy(c.context_type, "Nip");
		strcpy(c.context_value, NIP);
		strcpy(c.auth_method, strcmp(word, "@access-seal") == 0 ?
		       "QualifiedSeal" : "Token");
	}
	if (kind == JWT_ACCESS)
		strcpy(c.permissions, ALL_PERMISSIONS);
	c.ip_bound = strcmp(word, "@access-bound") == 0;
	if (jwt_issue(&tok, srv.jwt_secret, sizeof(srv.jwt_secret), &c,
		      &err) != 0)
		die("jwt_issue", &err);
	n = strlen(tok) + 8;
	out = malloc(n);
	if (out == NULL)
		abort();
	snprintf(out, n, "Bearer %s", tok);
	free(tok);
	return out;
}

/* s with every `word` replaced by `with`, in a new malloc'd string. */
static char *replace(const char *s, const char *word, const char *with)
{
	size_t wl = strlen(word), hits = 0, n;
	const char *p;
	char *out, *o;

	for (p = s; (p = strstr(p, word)) != NULL; p += wl)
		hits++;
	n = strlen(s) + hits * strlen(with) + 1;
	out = o = malloc(n);
	if (out == NULL)
		abort();
	for (p = s; hits > 0; hits--) {
		const char *q = strstr(p, word);

		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		strcpy(o, with);
		o += strlen(with);
		p = q + wl;
	}
	strcpy(o, p);
	return out;
}

static void strip_cr(const uint8_t *p, size_t *n)
{
	if (*n > 0 && p[*n - 1] == '\r')
		(*n)--;
}

/* The first part's upload link of a batch session's opening, from
 * "/storage" on (@part). */
static void remember_part(const json_t *j)
{
	const json_t *parts = json_object_get(j, "partUploadRequests");
	const char *url = json_string_value(json_object_get(
		json_array_get(parts, 0), "url"));
	const char *at = url != NULL ? strstr(url, "/storage/") : NULL;

	if (at != NULL && strlen(at) < sizeof(last_part))
		strcpy(last_part, at);
}

/* What a reply gave that later requests of the input may use: a session
 * or authentication reference number (@session, @auth), a challenge
 * (@challenge), a KSeF token and its reference (@encrypted-token, @token),
 * a batch part's link (@part), an export's reference (@export), a
 * permission operation's (@grant). */
static void remember(const struct request *req, const json_t *j)
{
	const char *ref = json_string_value(json_object_get(j,
							    "referenceNumber"));
	const char *ch = json_string_value(json_object_get(j, "challenge"));
	const char *tok = json_string_value(json_object_get(j, "token"));

	if (ch != NULL && strlen(ch) < sizeof(last_challenge)) {
		strcpy(last_challenge, ch);
		last_challenge_ms = json_integer_value(json_object_get(j,
							"timestampMs"));
	}
	if (tok != NULL && ref != NULL && strlen(tok) < sizeof(last_token) &&
	    strlen(ref) == KSEF_REFNUM_LEN) {
		strcpy(last_token, tok);
		strcpy(last_token_ref, ref);
		return;
	}
	if (ref == NULL || strlen(ref) != KSEF_REFNUM_LEN ||
	    req->status < 200 || req->status > 299)
		return;
	if (strstr(req->path, "/sessions/online") != NULL ||
	    strstr(req->path, "/sessions/batch") != NULL) {
		snprintf(last_session, sizeof(last_session), "%s", ref);
		if (nopened < MAX_REQUESTS)
			strcpy(opened[nopened++], ref);
		remember_part(j);
	} else if (strstr(req->path, "/invoices/exports") != NULL) {
		snprintf(last_export, sizeof(last_export), "%s", ref);
	} else if (strstr(req->path, "/permissions/") != NULL) {
		snprintf(last_grant, sizeof(last_grant), "%s", ref);
	} else if (strstr(req->path, "/auth/") != NULL) {
		snprintf(last_auth, sizeof(last_auth), "%s", ref);
	}
}

static void check_reply(struct request *req)
{
	json_t *j;

	if (!req->responded || req->status < 200 || req->status > 599) {
		fprintf(stderr, "%s %s: no reply or status %u\n", req->method,
			req->path, req->status);
		abort();
	}
	if (strncmp(req->content_type, "application/json", 16) != 0 &&
	    strncmp(req->content_type, "application/problem+json", 24) != 0)
		return;
	j = json_loadb((const char *)req->reply.ptr, req->reply.size, 0,
		       NULL);
	if (j == NULL) {
		fprintf(stderr, "%s %s: %u with a JSON type and a body that "
			"is not JSON\n", req->method, req->path, req->status);
		abort();
	}
	remember(req, j);
	json_decref(j);
}

static void one_request(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	/* Replaced in turn; no value holds an '@'. */
	const struct {
		const char *word, *with;
	} words[] = {
		{ "@part", last_part }, { "@export", last_export },
		{ "@grant", last_grant }, { "@session", last_session },
		{ "@auth", last_auth }, { "@token", last_token_ref },
	};
	struct request *req;
	struct http_traits traits;
	const uint8_t *line, *sp;
	char *target, *path, *p, *authorization = NULL, *body;
	size_t n, tlen, k;

	req = calloc(1, sizeof(*req));
	if (req == NULL)
		abort();
	req->srv = &srv;
	strcpy(req->ip, "192.0.2.1");
	strcpy(req->trace_id, "00112233445566778899aabbccddeeff");
	fake_http_reset();

	/* Request line: METHOD SP target. */
	line = fuzz_take(&in, '\n', &n);
	strip_cr(line, &n);
	sp = memchr(line, ' ', n);
	tlen = sp ? n - (size_t)(sp - line) - 1 : 0;
	snprintf(req->method, sizeof(req->method), "%.*s",
		 (int)(sp ? sp - line : (ptrdiff_t)n), (const char *)line);
	path = fuzz_strndup(sp ? sp + 1 : line + n, tlen);
	for (k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		target = replace(path, words[k].word, words[k].with);
		free(path);
		path = target;
	}
	tlen = strlen(path);
	if ((p = strchr(path, '?')) != NULL) {
		*p = '\0';
		fake_http_query_string(p + 1, tlen - (size_t)(p + 1 - path));
	}
	fake_http_unescape(path, strlen(path));
	if (strlen(path) >= sizeof(req->path))
		req->body_too_big = -1; /* as http.c marks it */
	snprintf(req->path, sizeof(req->path), "%s", path);
	free(path);

	/* Headers, up to an empty line. */
	while (in.n > 0) {
		const uint8_t *colon, *v;
		size_t vlen;

		line = fuzz_take(&in, '\n', &n);
		strip_cr(line, &n);
		if (n == 0)
			break;
		colon = memchr(line, ':', n);
		if (colon == NULL)
			continue;
		v = colon + 1;
		vlen = n - (size_t)(v - line);
		while (vlen > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		fake_http_header((const char *)line, (size_t)(colon - line),
				 (const char *)v, vlen);
		if ((size_t)(colon - line) == 13 &&
		    strncasecmp((const char *)line, "Authorization", 13) == 0 &&
		    authorization == NULL) {
			char *word = fuzz_strndup(v, vlen);

			authorization = magic_bearer(word);
			if (authorization == NULL)
				authorization = word;
			else
				free(word);
		} else if ((size_t)(colon - line) == 14 &&
			   strncasecmp((const char *)line, "X-Error-Format",
				       14) == 0) {
			req->problem_details = vlen == 15 &&
				strncasecmp((const char *)v, "problem-details",
					    15) == 0;
		}
	}
	req->authorization = authorization;

	/* A streamed body goes to its route's sink, as http.c sends it;
	 * a refused one is not read. */
	router_traits(req, &traits);
	req->refuse = traits.refuse;
	req->sink = traits.sink;
	if (req->sink != NULL || req->refuse) {
		while (req->sink != NULL && in.n > 0 && !req->body_too_big) {
			size_t piece = in.n < 1000 ? in.n : 1000;

			if (req->sink(req, (const char *)in.p, piece) != 0)
				req->body_too_big = 1;
			in.p += piece;
			in.n -= piece;
		}
	/* The body: what is left, over the limit refused as http.c does. */
	} else if (in.n > srv.cfg.max_body) {
		req->body_too_big = req->body_too_big < 0 ? -1 : 1;
	} else if (in.n > 0) {
		body = fuzz_strndup(in.p, in.n);
		if (memchr(in.p, '\0', in.n) == NULL && strchr(body, '@')) {
			char *b = replace(body, "@wrapped-key",
					  wrapped_key_b64), *enc = NULL;

			free(body);
			body = replace(b, "@challenge", last_challenge);
			free(b);
			if (strstr(body, "@encrypted-token") != NULL) {
				enc = encrypted_token();
				b = replace(body, "@encrypted-token", enc);
				free(body);
				body = b;
				free(enc);
			}
			if (ksef_buf_append(&req->body, body, strlen(body),
					    SIZE_MAX) != 0)
				abort();
		} else if (ksef_buf_append(&req->body, in.p, in.n,
					   SIZE_MAX) != 0) {
			abort();
		}
		free(body);
	}

	router_dispatch(req);
	check_reply(req);
	if (verbose)
		fprintf(stderr, "%s %s -> %u %.*s\n", req->method, req->path,
			req->status, (int)(req->reply.size > 300 ? 300 :
			req->reply.size), req->reply.ptr ?
			(const char *)req->reply.ptr : "");

	ksef_buf_dispose(&req->reply);
	ksef_buf_dispose(&req->body);
	if (req->upload_free != NULL && req->upload != NULL)
		req->upload_free(req->upload);
	free(authorization);
	free(req);
	fake_http_reset();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t seplen = strlen(SEPARATOR), i, n = 0;
	const uint8_t *start = data;

	if (srv.store == NULL)
		setup();
	if (++execs % STORE_RESET_EXECS == 0)
		reset_store();
	last_session[0] = last_auth[0] = last_challenge[0] = '\0';
	last_token[0] = last_token_ref[0] = '\0';
	last_part[0] = last_export[0] = last_grant[0] = '\0';
	last_challenge_ms = 0;
	for (i = 0; i + seplen <= size && n < MAX_REQUESTS - 1; i++) {
		if (memcmp(data + i, SEPARATOR, seplen) != 0)
			continue;
		one_request(start, (size_t)(data + i - start));
		n++;
		start = data + i + seplen;
		i += seplen - 1;
	}
	one_request(start, (size_t)(data + size - start));
	while (nopened > 0)
		session_keys_evict(srv.session_keys, opened[--nopened]);
	return 0;
}
