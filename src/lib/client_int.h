/*
 * client_int.h - what the files of the API client share: client.c (the
 * transport), client_error.c (error answers), client_request.c (arguments,
 * paths, exchanges, results and lists), client_read.c (reading answers)
 * and the client_<tag>.c files (one per open-api tag, one function per
 * endpoint). The unit tests reach the request builders, which turn a
 * call's inputs into the JSON body it sends, so the body can be checked
 * against open-api.json without a network.
 */
#ifndef KSEF_CLIENT_INT_H
#define KSEF_CLIENT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "ksef/client.h"
#include "internal.h"
#include "options.h"

/*
 * Result memory. Every ksef_api_* result is one allocation with a hidden
 * header in front: the list of the blocks its strings and arrays live in.
 * ksef__result_free() wipes and frees them all, so a result that holds a
 * token needs no special care.
 */

/* A zeroed result of `size` bytes, or NULL when out of memory. */
void *ksef__result_new(size_t size);

/* Zeroed memory owned by res, freed with it; NULL when out of memory. */
void *ksef__result_alloc(void *res, size_t size);

/* A NUL-terminated copy of s[0..len) owned by res; NULL when out of
 * memory. */
char *ksef__result_strndup(void *res, const char *s, size_t len);

/* Wipe and free a result and all it owns; NULL does nothing. */
void ksef__result_free(void *res);

/*
 * Lists. Every list a result hands out, a page of a list endpoint or a
 * list inside a result, is a struct ksef__list behind an opaque public
 * type whose only member it is. Its items lie in one array of the
 * library's own item size, which callers never see: they read items one
 * by one through the _at() accessors, so an item struct may grow without
 * breaking binaries built against an older one.
 */
struct ksef__list {
	const unsigned char *items; /* count items of item_size bytes */
	size_t item_size;
	size_t count;
	const char *continuation;   /* a page's continuationToken, or NULL */
};

struct ksef_api_problems { struct ksef__list l; };
struct ksef_api_pairs { struct ksef__list l; };
struct ksef_api_pubkey_certs { struct ksef__list l; };
struct ksef_api_auth_list { struct ksef__list l; };
struct ksef_api_upo_pages { struct ksef__list l; };
struct ksef_api_session_list { struct ksef__list l; };
struct ksef_api_invoice_list { struct ksef__list l; };
struct ksef_api_token_list { struct ksef__list l; };

/* A public list type seen as the struct ksef__list it wraps (its first
 * member), NULL staying NULL. */
#define KSEF__LIST(l) ((const struct ksef__list *)(const void *)(l))

/* How many items l holds; 0 when l is NULL. */
size_t ksef__list_count(const struct ksef__list *l);

/* Item i of l, or NULL when l is NULL or i is out of range. */
const void *ksef__list_at(const struct ksef__list *l, size_t i);

/* A page's continuation token, or NULL when l is NULL or the last page. */
const char *ksef__list_continuation(const struct ksef__list *l);

/*
 * Transport
 */

/* One API exchange, as a client_<tag>.c file describes it to client.c. */
typedef struct ksef__request {
	const char *method;       /* "GET", "POST" or "DELETE" */
	/* The path under the base URL, starting with '/', with its query
	 * already percent-encoded; or NULL when url is set. */
	const char *path;
	const char *url;          /* an absolute pre-signed URL, or NULL */
	const char *bearer;       /* token for Authorization, or NULL */
	const char *content_type; /* of body, or NULL for none */
	const unsigned char *body;
	size_t body_len;
	const char *accept;       /* Accept header, or NULL for JSON */
	const char *continuation; /* x-continuation-token, or NULL */
	/* Non-zero: repeating the request changes nothing, so a 5xx or a
	 * timeout may be retried (ksef_client_options). */
	int retry_safe;
	/* Non-zero: check x-ms-meta-hash against the body when present. */
	int check_meta_hash;
	/* When set, a 2xx body goes here piece by piece instead of into the
	 * response, up to sink_max bytes in all: a download too large for
	 * memory (export parts). Called with (NULL, 0) before each retry,
	 * to start over. A negative return ends the exchange with that
	 * code. The body is not hashed: the sink checks what it must. */
	int (*sink)(void *ud, const unsigned char *p, size_t n);
	void *sink_ud;
	uint64_t sink_max;
} ksef__request;

/* What a successful (2xx) exchange returned. */
typedef struct ksef__response {
	int status;    /* the HTTP status */
	ksef_buf body; /* the body, NUL-terminated; wiped on dispose */
} ksef__response;

/* An empty response. */
#define KSEF__RESPONSE_INIT { 0, KSEF_BUF_INIT }

/*
 * Forget what the previous call left: its error answer, status and
 * warning. Every public call starts with it.
 */
void ksef__client_begin(ksef_client *c);

/*
 * Make one exchange with the retries the options allow. On a 2xx answer
 * returns 0 and fills rs. Otherwise returns KSEF_EHTTP or KSEF_ERATELIMIT
 * (the error answer is parsed for ksef_client_last_error()),
 * KSEF_ENETWORK, KSEF_ETOOBIG (body over max_response_bytes),
 * KSEF_ECHECKSUM (x-ms-meta-hash mismatch), KSEF_EINVAL or KSEF_ENOMEM,
 * and err says which request failed and why.
 */
int ksef__client_perform(ksef_client *c, const ksef__request *rq,
			 ksef__response *rs, ksef_error *err);

/* Wipe and release a response's body. */
void ksef__response_dispose(ksef__response *rs);

/*
 * For tests: take every answer from script instead of the network. The
 * script is raw HTTP answers (status line, headers, empty line, body),
 * each ended by the line "--next-answer--" ("\n--next-answer--\n"), used
 * one per attempt, retries included; once it is used up, an attempt fails
 * as an empty reply would. It is borrowed until the client is freed or
 * given another; NULL goes back to the network.
 */
void ksef__client_script(ksef_client *c, const unsigned char *script,
			 size_t len);

/*
 * Copy a caller's ksef_client_options of any version into dst, the
 * fields of later versions at their defaults (options.h); the strings
 * stay the caller's. Returns 0 or KSEF_EINVAL.
 */
int ksef__client_options_copy(ksef_client_options *dst,
			      const ksef_client_options *src, ksef_error *err);

/* Check copied options before a client is made of them: 0 or
 * KSEF_EINVAL naming the option (client_options.c). */
int ksef__client_options_check(const ksef_client_options *o,
			       ksef_error *err);

/* Printable ASCII without spaces: what may go in a header or a URL. */
int ksef__client_token_text(const char *s, size_t len);

/* The same for a ksef_client_ip_policy (client_auth.c); xades.c takes
 * one too. */
int ksef__client_ip_policy_copy(ksef_client_ip_policy *dst,
				const ksef_client_ip_policy *src,
				ksef_error *err);

/* The client's access token (NUL-terminated), or NULL if none is set. */
const char *ksef__client_access_token(const ksef_client *c);

/* The client's options, its strings borrowed from it: for transfers
 * made outside it with the same settings (the batch parts). */
const ksef_client_options *ksef__client_opts(const ksef_client *c);

/* Non-zero when the base URL is plain http (a local test server). */
int ksef__client_base_is_http(const ksef_client *c);

/*
 * Error answers and text from the network (client_error.c)
 */

/* Longest status-line reason phrase kept, with its NUL. */
#define KSEF__REASON_MAX 64

/* An error answer as a result: status, Retry-After (-1 when absent), the
 * status line's reason phrase and the body. NULL when out of memory. */
ksef_api_error *ksef__api_error_parse(int status, long retry_after,
	const char *reason, const ksef_buf *body);

/* The one-line summary of an error answer, for a ksef_error message. */
void ksef__api_error_summarise(char *out, size_t outsz,
			       const ksef_api_error *e);

/* Text from the network made fit for a message: anything but printable
 * ASCII shown as '?', runs of white space as one space, and with
 * strip_tags markup dropped, so an HTML error page reads as its text. */
void ksef__client_excerpt(char *out, size_t outsz, const unsigned char *s,
			  size_t len, int strip_tags);

/* After snprintf truncated a message, drop a partial UTF-8 sequence. */
void ksef__client_trim_utf8(char *msg);

/*
 * Requests (client_request.c)
 */

/* Longest path with its query that a call builds. */
#define KSEF__PATH_MAX_BYTES 8192
/* Longest KSeF token (GenerateTokenResponse.token maxLength). */
#define KSEF__TOKEN_MAX_CHARS 160

/* A flag of the public API and the name the API gives it. */
struct ksef__bit_name {
	unsigned bit;
	const char *name;
};

/* Every public call starts so: refuse a NULL argument, then forget what
 * the previous call left (its error answer, status and warning). */
int ksef__req_begin(ksef_client *c, int args_ok, ksef_error *err);

/* A reference number that goes into a path; name is for the message. */
int ksef__req_check_ref(const char *name, const char *s, ksef_error *err);

/* Page sizes are 10 to max, or 0 for the server's default. */
int ksef__req_check_page_size(int page_size, int max, ksef_error *err);

/* A KSeF number that goes into a path. */
int ksef__req_check_ksef_number(const char *s, ksef_error *err);

/* Non-zero when s[0..len) is printable ASCII, spaces allowed. Inline, as
 * both the request side and the answer side use it. */
static inline int ksef__printable_ascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* UTF-8 characters in a string jansson has already validated. */
size_t ksef__req_utf8_chars(const char *s, size_t len);

/* Append "?name=value" or "&name=value", the value percent-encoded. */
int ksef__req_put_param(ksef_buf *b, const char *name, const char *value);

/* The same with a decimal value. */
int ksef__req_put_int_param(ksef_buf *b, const char *name, int v);

/* Array parameters repeat the name (SPEC 1.2): name=value for each flag
 * set, in the table's order. */
int ksef__req_put_flag_params(ksef_buf *b, const char *name,
			      const struct ksef__bit_name *names, size_t n,
			      unsigned flags);

/* A date-time parameter in Polish local time; nothing when ms is
 * KSEF_TIME_UNSET. */
int ksef__req_put_time_param(ksef_buf *b, const char *name, int64_t ms,
			     ksef_error *err);

/* The message for a failure to build a path: too long, or no memory. */
int ksef__req_path_fail(int error, ksef_error *err);

/* What a request is called in messages: method and path, no query. */
void ksef__req_describe(char *out, size_t outsz, const ksef__request *rq);

/* The access token a call needs, or EINVAL when none is set. */
int ksef__req_need_token(const char **tok, ksef_client *c, ksef_error *err);

/* A call under the access token whose answer has no body we need. */
int ksef__req_call_simple(ksef_client *c, const char *method,
			  const char *path, int retry_safe, ksef_error *err);

/* The same about one reference, a public call of its own: the path is
 * prefix, the reference (once checked as `name`) and suffix. */
int ksef__req_call_on_ref(ksef_client *c, const char *method,
			  const char *prefix, const char *name,
			  const char *ref, const char *suffix, int retry_safe,
			  ksef_error *err);

/* An exchange whose answer is a document, checked by x-ms-meta-hash. */
int ksef__req_call_bytes(ksef_buf *out, ksef_client *c, ksef__request *rq,
			 ksef_error *err);

/* GET a document under the access token. */
int ksef__req_download(ksef_buf *out, ksef_client *c, const char *path,
		       ksef_error *err);

/* json_object_set_new that reports failure; it steals v either way. */
int ksef__req_json_set(json_t *obj, const char *key, json_t *v);

/* EncryptionInfo of an online session's opening and of an export
 * (client_online.c): the envelope's key wrapped for `key`, its IV, the
 * key's id. */
int ksef__req_encryption(json_t **out, const ksef_envelope *env,
			 const ksef_pubkey *key, ksef_error *err);

/*
 * Reading answers (client_read.c)
 */

/* Where a field is, for messages: "GET /sessions: sessions[3].status". */
struct ksef__rd {
	void *res;
	char what[160];
	char at[64];
	ksef_error *err;
};

/* Reads one answer, or one item of a list, into res. */
typedef int (*ksef__parse_fn)(struct ksef__rd *r, const json_t *obj,
			      void *res);

/* Start reading rq's answer into a new result of `size` bytes, which
 * will own every string and array read into it. */
int ksef__rd_new(struct ksef__rd *r, size_t size, const char *what,
		 ksef_error *err);

/* KSEF_EPARSE naming the field: "<what>: response field <at><key> <why>". */
int ksef__rd_fail(struct ksef__rd *r, const char *key, const char *fmt, ...)
	KSEF__PRINTF(3, 4);

/* KSEF_ENOMEM naming the request. */
int ksef__rd_nomem(struct ksef__rd *r);

/* A string of minlen to maxlen bytes, without NULs, copied into the
 * result; when optional and absent, *out is NULL. */
int ksef__rd_string(struct ksef__rd *r, const json_t *obj, const char *key,
		    int required, size_t minlen, size_t maxlen,
		    const char **out);

/* A string that goes back to the server in a header or a path: a token,
 * a continuation token. Printable ASCII only, so it cannot inject one. */
int ksef__rd_header_safe(struct ksef__rd *r, const json_t *obj,
			 const char *key, int required, size_t maxlen,
			 const char **out);

/* continuationToken; NULL when empty, null or absent (the last page). */
int ksef__rd_continuation(struct ksef__rd *r, const json_t *obj,
			  const char **out);

/* A reference number. */
int ksef__rd_ref(struct ksef__rd *r, const json_t *obj, const char *key,
		 int required, const char **out);

/* A required date-time with an offset, as milliseconds since the epoch. */
int ksef__rd_time(struct ksef__rd *r, const json_t *obj, const char *key,
		  int64_t *out_ms);

/* An optional date-time: KSEF_TIME_UNSET when absent or null. */
int ksef__rd_opt_time(struct ksef__rd *r, const json_t *obj, const char *key,
		      int64_t *out_ms);

/* An integer in [min, max]; when optional and absent, *out is -1. */
int ksef__rd_int(struct ksef__rd *r, const json_t *obj, const char *key,
		 int required, int64_t min, int64_t max, int64_t *out);

/* 1, 0, or -1 when absent or null. */
int ksef__rd_opt_bool(struct ksef__rd *r, const json_t *obj, const char *key,
		      int *out);

/* An object; when optional and absent, *out is NULL. */
int ksef__rd_object(struct ksef__rd *r, const json_t *obj, const char *key,
		    int required, const json_t **out);

/* An array of at most KSEF_CLIENT_LIST_MAX_ITEMS; when optional and
 * absent, *out is NULL. */
int ksef__rd_array(struct ksef__rd *r, const json_t *obj, const char *key,
		   int required, const json_t **out);

/* An array of strings, of which the first KSEF_CLIENT_DETAILS_MAX are
 * kept. */
int ksef__rd_strings(struct ksef__rd *r, const json_t *obj, const char *key,
		     const char *const **out, size_t *count);

/* Enter a nested object: append "key." to r->at, so that messages name
 * the field as a path. Returns what ksef__rd_pop() needs to leave it. */
size_t ksef__rd_push(struct ksef__rd *r, const char *key);

/* Leave a nested object entered with ksef__rd_push(). */
void ksef__rd_pop(struct ksef__rd *r, size_t old);

/* StatusInfo or InvoiceStatusInfo: {code, description, details}, into a
 * new ksef_api_status of the result; node (may be NULL) receives the
 * object, for fields beyond those. */
int ksef__rd_status(struct ksef__rd *r, const json_t *obj, const char *key,
		    const ksef_api_status **out, const json_t **node);

/* TokenInfo: {token, validUntil}; the token is a secret sent in headers.
 * *out is a new ksef_api_token_info of the result even when an optional
 * one is absent: then its token is NULL and its time KSEF_TIME_UNSET. */
int ksef__rd_token_info(struct ksef__rd *r, const json_t *obj,
			const char *key, int required,
			const ksef_api_token_info **out);

/* A new empty list of the result, for items of size bytes; NULL when out
 * of memory (the message is set). */
struct ksef__list *ksef__rd_list_new(struct ksef__rd *r, size_t size);

/* Run parse over the array of objects under key into l's items, of
 * l->item_size bytes each. */
int ksef__rd_items(struct ksef__rd *r, const json_t *obj, const char *key,
		   struct ksef__list *l, ksef__parse_fn parse);

/* AuthenticationOperationStatusResponse, also an item of GET
 * /auth/sessions (client_auth.c). */
int ksef__rd_auth_status(struct ksef__rd *r, const json_t *o, void *item);

/*
 * Results and lists (client_request.c). Every call that answers with a
 * typed result makes it the same way: a new result that parse fills from
 * the answer, handed out only when all of it was read, so that a failed
 * call never returns half a result and frees what it had read in one
 * place.
 */

/* An exchange whose JSON answer (an object, or with want_array an array)
 * becomes a result of `size` bytes. */
int ksef__req_call_result(void **out, ksef_client *c,
			  const ksef__request *rq, int want_array,
			  size_t size, ksef__parse_fn parse, ksef_error *err);
/* As ksef__req_post_result(), with the body's JSON text ready (borrowed). */
int ksef__req_post_text_result(void **out, ksef_client *c, ksef__request *rq,
			       const char *text, size_t len, size_t size,
			       ksef__parse_fn parse, ksef_error *err);

/* POST a JSON body made by a ksef__client_build_*_body builder (it takes
 * the reference) and read the answer into a result. The body is wiped
 * before the answer is read: it may hold an encrypted token. */
int ksef__req_post_result(void **out, ksef_client *c, ksef__request *rq,
			  json_t *body, size_t size, ksef__parse_fn parse,
			  ksef_error *err);

/* GET one object under the access token: the status calls. Reads only,
 * so it may be retried. */
int ksef__req_get_one(void **out, ksef_client *c, const char *path,
		      size_t size, ksef__parse_fn parse, ksef_error *err);

/* The same for the path prefix and one reference, checked first by
 * ksef__req_check_ref() as `name`: GET /tokens/{ref} and the like. */
int ksef__req_get_on_ref(void **out, ksef_client *c, const char *prefix,
			 const char *name, const char *ref, size_t size,
			 ksef__parse_fn parse, ksef_error *err);

/*
 * Lists. The list endpoints answer alike (SPEC 1.3): a continuationToken
 * and an array of objects under a name of their own; the next page is
 * asked for with the token in x-continuation-token.
 */

/* What tells one list endpoint from another. */
struct ksef__list_kind {
	const char *key;      /* the answer's member that holds the items */
	size_t item_size;     /* of one item */
	ksef__parse_fn parse; /* reads one item */
};

/* Builds a list call's path and query from its arguments, checking them;
 * on failure err says why. */
typedef int (*ksef__path_fn)(ksef_buf *path, const void *args,
			     ksef_error *err);

/* GET one page of a list under the access token; build makes the path
 * from args, after the token is found. *out receives the page, a result
 * that is a struct ksef__list, for the caller to hand out as its public
 * list type. */
int ksef__req_get_page(void **out, ksef_client *c,
		       const struct ksef__list_kind *kind,
		       ksef__path_fn build, const void *args,
		       const char *continuation, ksef_error *err);

/* The query of the lists that take only a page size. */
struct ksef__page_query {
	char base[96]; /* the path, its references checked */
	int page_size; /* 0 for the server's default */
};

/* A ksef__path_fn for a struct ksef__page_query. */
int ksef__req_page_query_path(ksef_buf *path, const void *args,
			      ksef_error *err);

/*
 * Request bodies. Each builds the JSON object a call sends, from the same
 * inputs as the public call, and returns 0 with *out set to a new
 * reference (json_decref() it), or a negative code with *out NULL.
 */

/* InitTokenAuthenticationRequest (POST /auth/ksef-token). */
int ksef__client_build_ksef_token_body(json_t **out,
	const ksef_api_challenge *challenge, ksef_context_type ctx_type,
	const char *ctx_value, const char *ksef_token, const ksef_pubkey *key,
	const ksef_client_ip_policy *policy, ksef_error *err);

/* OpenOnlineSessionRequest (POST /sessions/online). */
int ksef__client_build_open_session_body(json_t **out, ksef_form form,
	const ksef_envelope *env, const ksef_pubkey *key, ksef_error *err);

/* SendInvoiceRequest (POST /sessions/online/{ref}/invoices); meta_out
 * (may be NULL) receives the declared hashes and sizes. */
int ksef__client_build_send_invoice_body(json_t **out,
	ksef_invoice_meta *meta_out, const ksef_envelope *env,
	const unsigned char *xml, size_t len,
	const ksef_client_send_options *opts, ksef_error *err);

/* GenerateTokenRequest (POST /tokens). */
int ksef__client_build_token_body(json_t **out, unsigned permissions,
	const char *description, ksef_error *err);

/* The transport settings every libcurl handle of the library takes
 * (client.c's API exchanges, client_batch_upload.c's part uploads):
 * http(s) only, no redirects, TLS 1.2 or later with the peer verified,
 * the CA, proxy and connect timeout given. `curl` is a CURL handle.
 * Returns CURLE_OK or the first failed setting's CURLcode. */
int ksef__curl_transport(void *curl, const char *ca_file,
			 const char *ca_path, const char *proxy,
			 long connect_timeout_ms);

#endif
