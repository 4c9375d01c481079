/*
 * api_security.c - GET /security/public-key-certificates (SPEC 4.1): every
 * key the server accepts now, each with its usage; retired keys are not
 * listed, so a client that refetches after 21470 finds the new one.
 */
#include "api.h"
#include "errors.h"
#include "http.h"

void api_public_keys(struct request *req)
{
	struct server *srv = req->srv;
	int64_t now = server_now_ms();
	json_t *arr = json_array();
	ksef_error err;
	size_t i;

	if (keyring_refresh(srv, &err) != 0) {
		json_decref(arr);
		errors_internal(req, &err);
		return;
	}
	keyring_lock(srv);
	for (i = 0; i < srv->keyring.count; i++) {
		server_key *k = srv->keyring.keys[i].key;
		json_t *usage;

		/* Only the API's two usages; the UPO signing key is not an
		 * encryption key and is published elsewhere. */
		if (srv->keyring.keys[i].retired || now >= k->valid_to_ms ||
		    !(k->usage & (KEY_USAGE_TOKEN | KEY_USAGE_SYMMETRIC)))
			continue;
		usage = json_array();
		if (k->usage & KEY_USAGE_TOKEN)
			json_array_append_new(usage,
				json_string("KsefTokenEncryption"));
		if (k->usage & KEY_USAGE_SYMMETRIC)
			json_array_append_new(usage,
				json_string("SymmetricKeyEncryption"));
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}",
			"certificate", k->cert_b64,
			"certificateId", k->certificate_id,
			"publicKeyId", k->public_key_id,
			"validFrom", api_time(k->valid_from_ms),
			"validTo", api_time(k->valid_to_ms),
			"usage", usage));
	}
	keyring_unlock(srv);
	http_reply_json(req, 200, arr);
}
