/*
 * client_auth_sessions.c - the endpoints of the open-api tag "Aktywne
 * sesje" (SPEC 4.8-4.10): the context's authentications and their
 * revocation.
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

static int parse_auth_list_item(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_auth_status *st = item;
	int error = ksef__rd_auth_status(r, o, item);

	if (error == 0)
		error = ksef__rd_ref(r, o, "referenceNumber", 1,
				     &st->reference_number);
	return error;
}

static const struct ksef__list_kind auth_list = {
	"items", sizeof(ksef_api_auth_status), parse_auth_list_item
};

int ksef_client_auth_sessions(ksef_api_auth_list **out, ksef_client *c,
			      int page_size, const char *continuation,
			      ksef_error *err)
{
	struct ksef__page_query q = { "/auth/sessions", 0 };
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_check_page_size(page_size, 100, err)) < 0)
		return error;
	q.page_size = page_size;
	if ((error = ksef__req_get_page(&res, c, &auth_list,
					ksef__req_page_query_path, &q,
					continuation, err)) < 0)
		return error;
	*out = res;
	return 0;
}

size_t ksef_api_auth_list_count(const ksef_api_auth_list *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_auth_status *ksef_api_auth_list_at(const ksef_api_auth_list *l,
						  size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

const char *ksef_api_auth_list_continuation(const ksef_api_auth_list *l)
{
	return ksef__list_continuation(KSEF__LIST(l));
}

void ksef_api_auth_list_free(ksef_api_auth_list *list)
{
	ksef__result_free(list);
}

int ksef_client_auth_revoke_current(ksef_client *c, ksef_error *err)
{
	if (c == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "client is NULL");
	ksef__client_begin(c);
	return ksef__req_call_simple(c, "DELETE", "/auth/sessions/current", 1,
				     err);
}

int ksef_client_auth_revoke(ksef_client *c, const char *reference,
			    ksef_error *err)
{
	return ksef__req_call_on_ref(c, "DELETE", "/auth/sessions/",
				     "reference number", reference, "", 1, err);
}
