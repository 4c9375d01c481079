/*
 * client_online.c - the endpoints of the open-api tag "Wysylka
 * interaktywna" (SPEC 4.11-4.13): opening an interactive session with a
 * wrapped key, sending an encrypted invoice, closing the session.
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
 * Sessions
 */

int ksef__req_encryption(json_t **out, const ksef_envelope *env,
			 const ksef_pubkey *key, ksef_error *err)
{
	ksef_buf wrapped = KSEF_BUF_INIT, kb64 = KSEF_BUF_INIT,
		 ivb64 = KSEF_BUF_INIT;
	json_t *enc = NULL;
	int error;

	*out = NULL;
	if ((error = ksef_envelope_wrap_key(&wrapped, env, key, err)) < 0 ||
	    (error = ksef_base64_encode(&kb64, wrapped.ptr, wrapped.size,
					err)) < 0 ||
	    (error = ksef_base64_encode(&ivb64, ksef_envelope_iv(env),
					KSEF_AES_IV_LEN, err)) < 0)
		goto done;
	error = KSEF_ENOMEM;
	if ((enc = json_object()) == NULL ||
	    ksef__req_json_set(enc, "encryptedSymmetricKey",
			       json_string((char *)kb64.ptr)) < 0 ||
	    ksef__req_json_set(enc, "initializationVector",
			       json_string((char *)ivb64.ptr)) < 0 ||
	    ksef__req_json_set(enc, "publicKeyId",
			       json_string(ksef_pubkey_id(key))) < 0) {
		ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	*out = enc;
	enc = NULL;
	error = 0;
done:
	json_decref(enc);
	ksef_buf_dispose(&wrapped);
	ksef_buf_dispose(&kb64);
	ksef_buf_dispose(&ivb64);
	return error;
}

int ksef__client_build_open_session_body(json_t **out, ksef_form form,
	const ksef_envelope *env, const ksef_pubkey *key, ksef_error *err)
{
	ksef_form_code fc = ksef_form_code_of(form);
	json_t *body = NULL, *fcj, *enc = NULL;
	int error;

	*out = NULL;
	if (env == NULL || key == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "NULL argument");
	if (fc.system_code == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "unknown form %d",
				       (int)form);
	if ((error = ksef__req_encryption(&enc, env, key, err)) < 0)
		return error;
	if ((body = json_object()) == NULL || (fcj = json_object()) == NULL ||
	    ksef__req_json_set(body, "formCode", fcj) < 0 ||
	    ksef__req_json_set(fcj, "systemCode",
			       json_string(fc.system_code)) < 0 ||
	    ksef__req_json_set(fcj, "schemaVersion",
			       json_string(fc.schema_version)) < 0 ||
	    ksef__req_json_set(fcj, "value", json_string(fc.value)) < 0) {
		json_decref(enc);
		json_decref(body);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	if (ksef__req_json_set(body, "encryption", enc) < 0) {
		json_decref(body);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	*out = body;
	return 0;
}

/* OpenOnlineSessionResponse. */
static int parse_session_opened(struct ksef__rd *r, const json_t *root,
				void *res)
{
	ksef_api_session_opened *s = res;
	int error = ksef__rd_ref(r, root, "referenceNumber", 1,
				 &s->reference_number);

	return error < 0 ? error : ksef__rd_time(r, root, "validUntil",
						 &s->valid_until_ms);
}

int ksef_client_session_open(ksef_api_session_opened **out, ksef_client *c,
			     ksef_form form, const ksef_envelope *env,
			     const ksef_pubkey *key, ksef_error *err)
{
	ksef__request rq = { 0 };
	json_t *body;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_need_token(&rq.bearer, c, err)) < 0 ||
	    (error = ksef__client_build_open_session_body(&body, form, env, key,
							  err)) < 0)
		return error;
	rq.path = "/sessions/online";
	if ((error = ksef__req_post_result(&res, c, &rq, body,
					   sizeof(ksef_api_session_opened),
					   parse_session_opened, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_session_opened_free(ksef_api_session_opened *s)
{
	ksef__result_free(s);
}

static int check_sha256_b64(const char *name, const char *s, ksef_error *err)
{
	ksef_buf raw = KSEF_BUF_INIT;
	size_t len = strnlen(s, KSEF_SHA256_B64_LEN + 1);
	int error;

	if (len != KSEF_SHA256_B64_LEN)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s must be %d characters of Base64", name,
			KSEF_SHA256_B64_LEN);
	error = ksef_base64_decode(&raw, s, len, KSEF_SHA256_LEN, NULL);
	if (error == 0 && raw.size != KSEF_SHA256_LEN)
		error = KSEF_EPARSE;
	ksef_buf_dispose(&raw);
	if (error < 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"%s is not the Base64 of a SHA-256 digest", name);
	return 0;
}

/* The bytes of each version of ksef_client_send_options (options.h). */
static const size_t send_options_sizes[] = {
	KSEF__OPTIONS_END(ksef_client_send_options,
			  hash_of_corrected_invoice), /* 1 */
};
KSEF__OPTIONS_SIZES(send_options_sizes, KSEF_CLIENT_SEND_OPTIONS_VERSION);

/*
 * SendInvoiceRequest. With content non-NULL, the Base64 of the ciphertext
 * goes there and the object holds "" for it, to be spliced into the text
 * (splice_content): jansson would copy the 13 KB string and then escape
 * it a byte at a time.
 */
static int build_send_body(json_t **out, ksef_buf *content,
	ksef_invoice_meta *meta_out, const ksef_envelope *env,
	const unsigned char *xml, size_t len,
	const ksef_client_send_options *given, ksef_error *err)
{
	ksef_client_send_options copy = KSEF_CLIENT_SEND_OPTIONS_INIT,
				 *opts = &copy;
	ksef_buf ct = KSEF_BUF_INIT, b64 = KSEF_BUF_INIT;
	ksef_invoice_meta meta;
	json_t *body = NULL;
	int error;

	*out = NULL;
	if (given != NULL &&
	    (error = KSEF__OPTIONS_COPY(&copy, given, send_options_sizes,
					KSEF_CLIENT_SEND_OPTIONS_VERSION,
					"ksef_client_send_options", err)) < 0)
		return error;
	if (opts->hash_of_corrected_invoice != NULL &&
	    (error = check_sha256_b64("hash of the corrected invoice",
				      opts->hash_of_corrected_invoice,
				      err)) < 0)
		return error;
	if ((error = ksef_envelope_seal(&ct, &meta, env, xml, len, err)) < 0)
		return error;
	if ((error = ksef_base64_encode(&b64, ct.ptr, ct.size, err)) < 0)
		goto done;
	/* Sizes are at most KSEF_CIPHERTEXT_MAX_BYTES: they fit json_int_t. */
	error = KSEF_ENOMEM;
	if ((body = json_object()) == NULL ||
	    ksef__req_json_set(body, "invoiceHash",
			       json_string(meta.invoice_hash)) < 0 ||
	    ksef__req_json_set(body, "invoiceSize",
		json_integer((json_int_t)meta.invoice_size)) < 0 ||
	    ksef__req_json_set(body, "encryptedInvoiceHash",
			       json_string(meta.encrypted_hash)) < 0 ||
	    ksef__req_json_set(body, "encryptedInvoiceSize",
		json_integer((json_int_t)meta.encrypted_size)) < 0 ||
	    ksef__req_json_set(body, "encryptedInvoiceContent",
			       content != NULL ? json_string("") :
			       json_stringn((char *)b64.ptr, b64.size)) < 0 ||
	    ksef__req_json_set(body, "offlineMode",
			       json_boolean(opts->offline_mode)) < 0 ||
	    (opts->hash_of_corrected_invoice != NULL &&
	     ksef__req_json_set(body, "hashOfCorrectedInvoice",
		json_string(opts->hash_of_corrected_invoice)) < 0)) {
		ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	if (meta_out != NULL)
		*meta_out = meta;
	*out = body;
	body = NULL;
	if (content != NULL)
		ksef__buf_swap_in(content, &b64);
	error = 0;
done:
	json_decref(body);
	ksef_buf_dispose(&ct);
	ksef_buf_dispose(&b64);
	return error;
}

int ksef__client_build_send_invoice_body(json_t **out,
	ksef_invoice_meta *meta_out, const ksef_envelope *env,
	const unsigned char *xml, size_t len,
	const ksef_client_send_options *given, ksef_error *err)
{
	return build_send_body(out, NULL, meta_out, env, xml, len, given, err);
}

/* The body's text with the content put where the object holds "". Every
 * other member is a hash, a number or a boolean, so the member's name
 * appears once. */
static int splice_content(ksef_buf *text, json_t *body,
			  const ksef_buf *content, ksef_error *err)
{
	static const char member[] = "\"encryptedInvoiceContent\":\"";
	char *dumped = json_dumps(body, JSON_COMPACT);
	const char *at = dumped ? strstr(dumped, member) : NULL;
	size_t head, n;
	int error;

	if (at == NULL) {
		free(dumped);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	head = (size_t)(at - dumped) + sizeof(member) - 1;
	n = strlen(dumped);
	if ((error = ksef__buf_grow(text, n + content->size, SIZE_MAX)) < 0) {
		free(dumped);
		return ksef__error_set(err, error, "out of memory");
	}
	memcpy(text->ptr, dumped, head);
	memcpy(text->ptr + head, content->ptr, content->size);
	memcpy(text->ptr + head + content->size, dumped + head, n - head);
	text->size = n + content->size;
	text->ptr[text->size] = '\0';
	free(dumped);
	return 0;
}

/* SendInvoiceResponse: only the reference is kept, in the caller's
 * buffer, so the result is scratch. */
struct sent {
	const char *ref;
};

static int parse_sent(struct ksef__rd *r, const json_t *root, void *res)
{
	struct sent *sent = res;

	return ksef__rd_ref(r, root, "referenceNumber", 1, &sent->ref);
}

int ksef_client_invoice_send(char ref_out[KSEF_REFNUM_BUFSZ],
			     ksef_invoice_meta *meta_out, ksef_client *c,
			     const char *session_ref, const ksef_envelope *env,
			     const unsigned char *xml, size_t len,
			     const ksef_client_send_options *opts,
			     ksef_error *err)
{
	ksef__request rq = { 0 };
	ksef_invoice_meta meta;
	ksef_buf content = KSEF_BUF_INIT, text = KSEF_BUF_INIT;
	struct sent *sent;
	json_t *body;
	char path[96];
	void *res;
	int error;

	if ((error = ksef__req_begin(c, ref_out != NULL, err)) < 0)
		return error;
	if ((error = ksef__req_check_ref("session reference number",
					 session_ref, err)) < 0 ||
	    (error = ksef__req_need_token(&rq.bearer, c, err)) < 0 ||
	    (error = build_send_body(&body, &content, &meta, env, xml, len,
				     opts, err)) < 0)
		return error;
	error = splice_content(&text, body, &content, err);
	json_decref(body);
	ksef_buf_dispose(&content);
	if (error < 0)
		return error;
	snprintf(path, sizeof(path), "/sessions/online/%s/invoices",
		 session_ref);
	rq.path = path;
	error = ksef__req_post_text_result(&res, c, &rq, (const char *)text.ptr,
					   text.size, sizeof(struct sent),
					   parse_sent, err);
	ksef_buf_dispose(&text);
	if (error < 0)
		return error;
	sent = res;
	memcpy(ref_out, sent->ref, KSEF_REFNUM_LEN + 1);
	if (meta_out != NULL)
		*meta_out = meta;
	ksef__result_free(res);
	return 0;
}

int ksef_client_session_close(ksef_client *c, const char *session_ref,
			      ksef_error *err)
{
	return ksef__req_call_on_ref(c, "POST", "/sessions/online/",
				     "session reference number", session_ref,
				     "/close", 0, err);
}
