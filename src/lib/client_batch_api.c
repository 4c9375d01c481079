/*
 * client_batch_api.c - the endpoints of the open-api tag "Wysyłka
 * wsadowa": POST /sessions/batch (OpenBatchSessionRequest built from a
 * batch's declaration, OpenBatchSessionResponse read strictly, since its
 * links and headers are used as they come) and POST
 * /sessions/batch/{referenceNumber}/close. The package is
 * client_batch.c's, the PUTs client_batch_upload.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "internal.h"
#include "ksef/encoding.h"
#include "client_batch_int.h"

int ksef__client_build_open_batch_body(json_t **out,
	const struct ksef__batch_decl *d, const ksef_envelope *env,
	const ksef_pubkey *key, ksef_error *err)
{
	json_t *body = NULL, *bf, *parts, *part;
	size_t i;
	int error;

	*out = NULL;
	if (d == NULL || d->package_hash == NULL || d->parts == NULL ||
	    d->part_count == 0 || d->part_count > KSEF_BATCH_MAX_PARTS)
		return ksef__error_set(err, KSEF_EINVAL, "a package of 1 to "
				       "%d parts is required",
				       KSEF_BATCH_MAX_PARTS);
	/* formCode and encryption as for an online session. */
	if ((error = ksef__client_build_open_session_body(&body, d->form, env,
							  key, err)) < 0)
		return error;
	if ((bf = json_object()) == NULL ||
	    ksef__req_json_set(body, "batchFile", bf) < 0 ||
	    ksef__req_json_set(bf, "fileSize",
			       json_integer((json_int_t)d->package_size)) < 0 ||
	    ksef__req_json_set(bf, "fileHash",
			       json_string(d->package_hash)) < 0 ||
	    (parts = json_array()) == NULL ||
	    ksef__req_json_set(bf, "fileParts", parts) < 0 ||
	    ksef__req_json_set(body, "offlineMode",
			       json_boolean(d->offline_mode)) < 0)
		goto nomem;
	for (i = 0; i < d->part_count; i++) {
		const struct ksef__batch_part *p = &d->parts[i];

		if ((part = json_object()) == NULL ||
		    json_array_append_new(parts, part) != 0 ||
		    ksef__req_json_set(part, "ordinalNumber",
				       json_integer((json_int_t)(i + 1))) < 0 ||
		    ksef__req_json_set(part, "fileSize",
				json_integer((json_int_t)p->enc_size)) < 0 ||
		    ksef__req_json_set(part, "fileHash",
				       json_string(p->hash)) < 0)
			goto nomem;
	}
	*out = body;
	return 0;
nomem:
	json_decref(body);
	return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
}

/* A header name: an RFC 9110 token. */
static int is_token(const char *s)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
			return 0;
	return 1;
}

/* PartUploadRequest.headers: names and values go out as they are, so
 * each is held to what a header line may carry. A null value is left
 * out (additionalProperties is nullable). */
static int parse_headers(struct ksef__rd *r, const json_t *o,
			 struct ksef__batch_upload *u)
{
	const json_t *h, *v;
	const char *name, **names, **values;
	size_t n = 0;

	if (ksef__rd_object(r, o, "headers", 1, &h) < 0)
		return KSEF_EPARSE;
	if (json_object_size(h) > KSEF__BATCH_HEADERS_MAX)
		return ksef__rd_fail(r, "headers", "has over %d members",
				     KSEF__BATCH_HEADERS_MAX);
	names = ksef__result_alloc(r->res, (json_object_size(h) + 1) *
				   sizeof(*names));
	values = ksef__result_alloc(r->res, (json_object_size(h) + 1) *
				    sizeof(*values));
	if (names == NULL || values == NULL)
		return ksef__rd_nomem(r);
	json_object_foreach((json_t *)h, name, v) {
		const char *s;

		if (json_is_null(v))
			continue;
		if (!json_is_string(v))
			return ksef__rd_fail(r, "headers", "member is not a "
					     "string");
		s = json_string_value(v);
		if (strlen(name) > KSEF__BATCH_HEADER_NAME_MAX ||
		    !is_token(name) ||
		    json_string_length(v) > KSEF__BATCH_HEADER_VALUE_MAX ||
		    strlen(s) != json_string_length(v) ||
		    !ksef__printable_ascii(s, strlen(s)))
			return ksef__rd_fail(r, "headers", "holds a header "
					     "that cannot be sent");
		/* Who we are is ours to say: the link may not set the
		 * length, the host or an authorisation. */
		if (strcasecmp(name, "Content-Length") == 0 ||
		    strcasecmp(name, "Host") == 0 ||
		    strcasecmp(name, "Authorization") == 0 ||
		    strcasecmp(name, "Transfer-Encoding") == 0)
			return ksef__rd_fail(r, "headers", "sets %s", name);
		if ((names[n] = ksef__result_strndup(r->res, name,
						     strlen(name))) == NULL ||
		    (values[n] = ksef__result_strndup(r->res, s,
						      strlen(s))) == NULL)
			return ksef__rd_nomem(r);
		n++;
	}
	u->names = names;
	u->values = values;
	u->header_count = n;
	return 0;
}

static int parse_upload(struct ksef__rd *r, const json_t *o, void *item)
{
	struct ksef__batch_upload *u = item;
	int64_t ordinal;
	int error;

	if ((error = ksef__rd_int(r, o, "ordinalNumber", 1, 1,
				 KSEF_BATCH_MAX_PARTS, &ordinal)) < 0 ||
	    (error = ksef__rd_string(r, o, "method", 1, 1, 16,
				     &u->method)) < 0 ||
	    (error = ksef__rd_header_safe(r, o, "url", 1, KSEF__BATCH_URL_MAX,
					  &u->url)) < 0)
		return error;
	u->ordinal = (int)ordinal;
	/* Only what the documents name: each part is PUT. */
	if (strcmp(u->method, "PUT") != 0)
		return ksef__rd_fail(r, "method", "is not PUT");
	if (strncmp(u->url, "https://", 8) != 0 &&
	    strncmp(u->url, "http://", 7) != 0)
		return ksef__rd_fail(r, "url", "is not an http(s) link");
	return parse_headers(r, o, u);
}

static int parse_opened(struct ksef__rd *r, const json_t *root, void *res)
{
	struct ksef__batch_opened *o = res;
	int error;

	if ((error = ksef__rd_ref(r, root, "referenceNumber", 1,
				  &o->reference_number)) < 0)
		return error;
	o->uploads.item_size = sizeof(struct ksef__batch_upload);
	return ksef__rd_items(r, root, "partUploadRequests", &o->uploads,
			      parse_upload);
}

const struct ksef__batch_upload *ksef__batch_upload_of(
	const struct ksef__batch_opened *o, int ordinal)
{
	const struct ksef__batch_upload *u;
	size_t i;

	for (i = 0; (u = ksef__list_at(&o->uploads, i)) != NULL; i++)
		if (u->ordinal == ordinal)
			return u;
	return NULL;
}

int ksef__client_batch_open(struct ksef__batch_opened **out, ksef_client *c,
	const struct ksef__batch_decl *d, const ksef_envelope *env,
	const ksef_pubkey *key, ksef_error *err)
{
	ksef__request rq = { 0 };
	struct ksef__batch_opened *o;
	json_t *body;
	void *res;
	size_t i;
	int error;

	if ((error = ksef__req_begin(c, out != NULL && d != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_need_token(&rq.bearer, c, err)) < 0 ||
	    (error = ksef__client_build_open_batch_body(&body, d, env, key,
							err)) < 0)
		return error;
	rq.path = "/sessions/batch";
	if ((error = ksef__req_post_result(&res, c, &rq, body,
					   sizeof(struct ksef__batch_opened),
					   parse_opened, err)) < 0)
		return error;
	o = res;
	/* Every declared part needs its link, once. */
	if (ksef__list_count(&o->uploads) != d->part_count)
		error = ksef__error_set(err, KSEF_EPARSE, "POST "
			"/sessions/batch: %zu part links for %zu parts",
			ksef__list_count(&o->uploads), d->part_count);
	for (i = 0; error == 0 && i < d->part_count; i++)
		if (ksef__batch_upload_of(o, (int)i + 1) == NULL)
			error = ksef__error_set(err, KSEF_EPARSE,
				"POST /sessions/batch: no link for part %zu",
				i + 1);
	if (error < 0) {
		ksef__result_free(o);
		return error;
	}
	*out = o;
	return 0;
}

int ksef_client_batch_close(ksef_client *c, const char *session_ref,
			    ksef_error *err)
{
	return ksef__req_call_on_ref(c, "POST", "/sessions/batch/",
				     "session reference number", session_ref,
				     "/close", 0, err);
}
