/*
 * client_tokens.c - the endpoints of the open-api tag "Tokeny KSeF" (SPEC
 * 4.23): making, listing, reading and revoking KSeF tokens.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "client_int.h"

static const struct ksef__bit_name perm_names[] = {
	{ KSEF_TOKEN_PERM_INVOICE_READ, "InvoiceRead" },
	{ KSEF_TOKEN_PERM_INVOICE_WRITE, "InvoiceWrite" },
	{ KSEF_TOKEN_PERM_CREDENTIALS_READ, "CredentialsRead" },
	{ KSEF_TOKEN_PERM_CREDENTIALS_MANAGE, "CredentialsManage" },
	{ KSEF_TOKEN_PERM_SUBUNIT_MANAGE, "SubunitManage" },
	{ KSEF_TOKEN_PERM_ENFORCEMENT_OPERATIONS, "EnforcementOperations" },
	{ KSEF_TOKEN_PERM_INTROSPECTION, "Introspection" },
};

#define PERM_ALL 0x7Fu

static const struct ksef__bit_name token_status_names[] = {
	{ KSEF_TOKEN_STATUS_PENDING, "Pending" },
	{ KSEF_TOKEN_STATUS_ACTIVE, "Active" },
	{ KSEF_TOKEN_STATUS_REVOKING, "Revoking" },
	{ KSEF_TOKEN_STATUS_REVOKED, "Revoked" },
	{ KSEF_TOKEN_STATUS_FAILED, "Failed" },
};

/*
 * KSeF tokens
 */

int ksef__client_build_token_body(json_t **out, unsigned permissions,
				  const char *description, ksef_error *err)
{
	json_t *body = NULL, *perms, *desc;
	size_t i, len, chars;

	*out = NULL;
	if (description == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "description is NULL");
	if (permissions == 0 || (permissions & ~PERM_ALL) != 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"permissions must be a non-empty set of "
			"KSEF_TOKEN_PERM_* bits");
	len = strnlen(description, 4 * 256 + 1);
	desc = json_stringn(description, len);
	if (desc == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"description is not UTF-8 (or out of memory)");
	chars = ksef__req_utf8_chars(description, len);
	if (chars < 5 || chars > 256) {
		json_decref(desc);
		return ksef__error_set(err, KSEF_EINVAL,
			"description must be 5 to 256 characters");
	}
	if ((body = json_object()) == NULL) {
		json_decref(desc);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	if (ksef__req_json_set(body, "description", desc) < 0 ||
	    ksef__req_json_set(body, "permissions", perms = json_array()) < 0) {
		json_decref(body);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	for (i = 0; i < sizeof(perm_names) / sizeof(perm_names[0]); i++)
		if ((permissions & perm_names[i].bit) &&
		    json_array_append_new(perms,
			json_string(perm_names[i].name)) < 0) {
			json_decref(body);
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		}
	*out = body;
	return 0;
}

/* GenerateTokenResponse. */
static int parse_token_created(struct ksef__rd *r, const json_t *root,
			       void *res)
{
	ksef_api_token_created *t = res;
	int error = ksef__rd_ref(r, root, "referenceNumber", 1,
				 &t->reference_number);

	return error < 0 ? error : ksef__rd_string(r, root, "token", 1, 1,
					KSEF__TOKEN_MAX_CHARS, &t->token);
}

int ksef_client_token_create(ksef_api_token_created **out, ksef_client *c,
			     unsigned permissions, const char *description,
			     ksef_error *err)
{
	ksef__request rq = { 0 };
	json_t *body;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_need_token(&rq.bearer, c, err)) < 0 ||
	    (error = ksef__client_build_token_body(&body, permissions,
						   description, err)) < 0)
		return error;
	rq.path = "/tokens";
	if ((error = ksef__req_post_result(&res, c, &rq, body,
					   sizeof(ksef_api_token_created),
					   parse_token_created, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_token_created_free(ksef_api_token_created *t)
{
	ksef__result_free(t);
}

static int parse_identifier(struct ksef__rd *r, const json_t *o,
			    const char *key, const char **type,
			    const char **value)
{
	const json_t *id;
	size_t old;
	int error;

	if ((error = ksef__rd_object(r, o, key, 1, &id)) < 0)
		return error;
	old = ksef__rd_push(r, key);
	if ((error = ksef__rd_string(r, id, "type", 1, 1, 64, type)) == 0)
		error = ksef__rd_string(r, id, "value", 1, 0, 256, value);
	ksef__rd_pop(r, old);
	return error;
}

static int parse_token_status(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_token_status *t = item;
	const json_t *perms;
	size_t i, j;
	int error;

	if ((error = ksef__rd_ref(r, o, "referenceNumber", 1,
				  &t->reference_number)) < 0 ||
	    (error = parse_identifier(r, o, "authorIdentifier", &t->author_type,
				      &t->author_value)) < 0 ||
	    (error = parse_identifier(r, o, "contextIdentifier",
				      &t->context_type,
				      &t->context_value)) < 0 ||
	    (error = ksef__rd_string(r, o, "description", 1, 0, 1024,
				     &t->description)) < 0 ||
	    (error = ksef__rd_array(r, o, "requestedPermissions", 1,
				    &perms)) < 0 ||
	    (error = ksef__rd_time(r, o, "dateCreated",
				   &t->date_created_ms)) < 0 ||
	    (error = ksef__rd_opt_time(r, o, "lastUseDate",
				       &t->last_use_date_ms)) < 0 ||
	    (error = ksef__rd_string(r, o, "status", 1, 1, 64,
				     &t->status)) < 0 ||
	    (error = ksef__rd_strings(r, o, "statusDetails", &t->status_details,
				      &t->status_detail_count)) < 0)
		return error;
	for (i = 0; i < json_array_size(perms); i++) {
		const char *p = json_string_value(json_array_get(perms, i));

		if (p == NULL)
			return ksef__rd_fail(r, "requestedPermissions",
					     "holds a non-string");
		for (j = 0; j < sizeof(perm_names) / sizeof(perm_names[0]); j++)
			if (strcmp(p, perm_names[j].name) == 0)
				t->requested_permissions |= perm_names[j].bit;
	}
	return 0;
}

int ksef_client_token_status(ksef_api_token_status **out, ksef_client *c,
			     const char *reference, ksef_error *err)
{
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_get_on_ref(&res, c, "/tokens/",
					  "token reference number", reference,
					  sizeof(ksef_api_token_status),
					  parse_token_status, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_token_status_free(ksef_api_token_status *st)
{
	ksef__result_free(st);
}

static const struct ksef__list_kind token_list = {
	"tokens", sizeof(ksef_api_token_status), parse_token_status
};

/* The bytes of each version of ksef_client_token_query (options.h). */
static const size_t token_query_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_token_query, page_size), /* 1 */
};
KSEF__OPTIONS_SIZES(token_query_sizes, KSEF_CLIENT_TOKEN_QUERY_VERSION);

/* A ksef__path_fn: args is the caller's ksef_client_token_query, or NULL. */
static int token_query(ksef_buf *path, const void *args, ksef_error *err)
{
	ksef_client_token_query copy = KSEF_CLIENT_TOKEN_QUERY_INIT;
	const ksef_client_token_query *q = &copy;
	int error;

	if ((error = ksef__buf_printf(path, KSEF__PATH_MAX_BYTES,
				      "/tokens")) < 0)
		return ksef__req_path_fail(error, err);
	if (args == NULL)
		return 0;
	if ((error = KSEF__OPTIONS_COPY(&copy, args, token_query_sizes,
					KSEF_CLIENT_TOKEN_QUERY_VERSION,
					"ksef_client_token_query", err)) < 0)
		return error;
	if ((error = ksef__req_check_page_size(q->page_size, 100, err)) < 0)
		return error;
	if (q->statuses & ~0x1Fu)
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown token status bits 0x%x", q->statuses);
	if ((q->description != NULL &&
	     strnlen(q->description, 3) < 3) ||
	    (q->author_identifier != NULL &&
	     strnlen(q->author_identifier, 3) < 3))
		return ksef__error_set(err, KSEF_EINVAL,
			"text filters must have at least 3 characters");
	if (q->author_identifier_type != NULL &&
	    strcmp(q->author_identifier_type, "Nip") != 0 &&
	    strcmp(q->author_identifier_type, "Pesel") != 0 &&
	    strcmp(q->author_identifier_type, "Fingerprint") != 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"author identifier type must be Nip, Pesel or "
			"Fingerprint");
	if ((error = ksef__req_put_flag_params(path, "status",
					       token_status_names,
					       sizeof(token_status_names) /
						       sizeof(token_status_names
								      [0]),
					       q->statuses)) < 0)
		return ksef__req_path_fail(error, err);
	if ((q->description != NULL &&
	     (error = ksef__req_put_param(path, "description",
					  q->description)) < 0) ||
	    (q->author_identifier != NULL &&
	     (error = ksef__req_put_param(path, "authorIdentifier",
					  q->author_identifier)) < 0) ||
	    (q->author_identifier_type != NULL &&
	     (error = ksef__req_put_param(path, "authorIdentifierType",
					  q->author_identifier_type)) < 0) ||
	    (q->page_size != 0 &&
	     (error = ksef__req_put_int_param(path, "pageSize",
					      q->page_size)) < 0))
		return ksef__req_path_fail(error, err);
	return 0;
}

int ksef_client_tokens(ksef_api_token_list **out, ksef_client *c,
		       const ksef_client_token_query *q,
		       const char *continuation, ksef_error *err)
{
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_get_page(&res, c, &token_list, token_query, q,
					continuation, err)) < 0)
		return error;
	*out = res;
	return 0;
}

size_t ksef_api_token_list_count(const ksef_api_token_list *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_token_status *ksef_api_token_list_at(
	const ksef_api_token_list *l, size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

const char *ksef_api_token_list_continuation(const ksef_api_token_list *l)
{
	return ksef__list_continuation(KSEF__LIST(l));
}

void ksef_api_token_list_free(ksef_api_token_list *list)
{
	ksef__result_free(list);
}

int ksef_client_token_revoke(ksef_client *c, const char *reference,
			     ksef_error *err)
{
	return ksef__req_call_on_ref(c, "DELETE", "/tokens/",
				     "token reference number", reference, "", 1,
				     err);
}
