/*
 * client_security.c - the endpoint of the open-api tag "Certyfikaty klucza
 * publicznego" (SPEC 4.1): the KSeF public keys, and the choice of the key
 * for one purpose.
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

/*
 * Public keys
 */

static int parse_pubkey_cert(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_pubkey_cert *k = item;
	const json_t *usage;
	size_t i;
	int error;

	if ((error = ksef__rd_string(r, o, "certificate", 1, 1,
				     2 * KSEF_CERT_MAX_BYTES,
				     &k->certificate)) < 0 ||
	    (error = ksef__rd_string(r, o, "certificateId", 1, 1, 256,
				     &k->certificate_id)) < 0 ||
	    (error = ksef__rd_string(r, o, "publicKeyId", 1, 1, 256,
				     &k->public_key_id)) < 0 ||
	    (error = ksef__rd_time(r, o, "validFrom", &k->valid_from_ms)) < 0 ||
	    (error = ksef__rd_time(r, o, "validTo", &k->valid_to_ms)) < 0 ||
	    (error = ksef__rd_array(r, o, "usage", 1, &usage)) < 0)
		return error;
	for (i = 0; i < json_array_size(usage); i++) {
		const char *u = json_string_value(json_array_get(usage, i));

		if (u == NULL)
			return ksef__rd_fail(r, "usage", "holds a non-string");
		if (strcmp(u, "KsefTokenEncryption") == 0)
			k->usage |= KSEF_KEY_USAGE_KSEF_TOKEN;
		else if (strcmp(u, "SymmetricKeyEncryption") == 0)
			k->usage |= KSEF_KEY_USAGE_SYMMETRIC_KEY;
	}
	return 0;
}

/* The answer is a bare array: wrap it to reuse ksef__rd_items. jansson's
 * json_object_set() takes a reference of its own, so root is not
 * changed, only its reference count. */
static int parse_pubkey_certs(struct ksef__rd *r, const json_t *root, void *res)
{
	struct ksef__list *l = res;
	json_t *wrap = json_object();
	int error;

	l->item_size = sizeof(ksef_api_pubkey_cert);
	if (wrap == NULL || json_object_set(wrap, "certificates",
					    (json_t *)root) < 0)
		error = ksef__rd_nomem(r);
	else
		error = ksef__rd_items(r, wrap, "certificates", l,
				       parse_pubkey_cert);
	json_decref(wrap);
	return error;
}

int ksef_client_pubkey_certs(ksef_api_pubkey_certs **out, ksef_client *c,
			     ksef_error *err)
{
	ksef__request rq = { 0 };
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	rq.method = "GET";
	rq.path = "/security/public-key-certificates";
	rq.retry_safe = 1;
	if ((error = ksef__req_call_result(&res, c, &rq, 1,
					   sizeof(struct ksef_api_pubkey_certs),
					   parse_pubkey_certs, err)) == 0)
		*out = res;
	return error;
}

size_t ksef_api_pubkey_certs_count(const ksef_api_pubkey_certs *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_pubkey_cert *ksef_api_pubkey_certs_at(
	const ksef_api_pubkey_certs *l, size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

const ksef_api_pubkey_cert *ksef_api_pubkey_certs_pick(
	const ksef_api_pubkey_certs *certs, unsigned usage, int64_t now_ms)
{
	const ksef_api_pubkey_cert *best = NULL, *k;
	size_t i;

	if (certs == NULL || usage == 0)
		return NULL;
	for (i = 0; (k = ksef_api_pubkey_certs_at(certs, i)) != NULL; i++) {
		if ((k->usage & usage) != usage || k->valid_from_ms > now_ms ||
		    k->valid_to_ms < now_ms)
			continue;
		if (best == NULL || k->valid_from_ms > best->valid_from_ms)
			best = k;
	}
	return best;
}

void ksef_api_pubkey_certs_free(ksef_api_pubkey_certs *certs)
{
	ksef__result_free(certs);
}
