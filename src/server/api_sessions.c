/*
 * api_sessions.c - the interactive-sending tag (SPEC 4.11-4.13): opening a
 * session, sending an invoice, closing. Sending does only what must be
 * answered at once (session state, the encrypted content's size and
 * hash) and hands the invoice to worker.c, which decides it (SPEC 5, 8)
 * and stores it with its verdict in one durable write before the 202. The session's key is unwrapped
 * and kept by session_keys.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "api.h"
#include "ctx_limits.h"
#include "errors.h"
#include "http.h"
#include "session_keys.h"
#include "worker.h"

/* Base64 text of `max` bytes is at most this long. */
#define B64_LEN(max) ((((max) + 2) / 3) * 4)

int api_session_fill(struct request *req, json_t *body, int type,
		     store_session *out)
{
	struct server *srv = req->srv;
	int64_t now = server_now_ms();
	json_t *fc, *enc;
	const char *sys, *ver, *val, *key_b64, *iv_b64, *key_id;
	ksef_buf wrapped = KSEF_BUF_INIT, iv = KSEF_BUF_INIT;
	ksef_form_code code;
	ksef_form form;
	struct ring_key *rk;
	store_session s;
	store_auth op;
	ksef_error err;
	int failed = 0, rc = -1;

	fc = json_object_get(body, "formCode");
	enc = json_object_get(body, "encryption");
	if (!json_is_object(fc) || !json_is_object(enc)) {
		errors_reply(req, 400, 21405, "Pola 'formCode' i 'encryption' "
			"są wymagane.");
		goto out;
	}
	sys = api_string(req, fc, "formCode.", "systemCode", 1, 64, 1, &failed);
	ver = api_string(req, fc, "formCode.", "schemaVersion", 1, 64, 1,
			 &failed);
	val = api_string(req, fc, "formCode.", "value", 1, 64, 1, &failed);
	key_b64 = api_string(req, enc, "encryption.", "encryptedSymmetricKey",
			     4, B64_LEN(1024), 1, &failed);
	iv_b64 = api_string(req, enc, "encryption.", "initializationVector", 4,
			    64, 1, &failed);
	key_id = api_string(req, enc, "encryption.", "publicKeyId", 44, 44, 0,
			    &failed);
	if (failed)
		goto out;
	code.system_code = sys;
	code.schema_version = ver;
	code.value = val;
	if (ksef_form_from_code(&form, &code, NULL) != 0) {
		errors_reply(req, 400, 21405,
			     "Wskazany kod formularza nie jest wspierany.");
		goto out;
	}
	if (ksef_base64_decode(&wrapped, key_b64, strlen(key_b64), 1024,
			       NULL) != 0 || wrapped.size == 0) {
		errors_reply(req, 400, 21405, "Pole "
			"'encryption.encryptedSymmetricKey' nie jest poprawnym "
			"Base64.");
		goto out;
	}
	if (ksef_base64_decode(&iv, iv_b64, strlen(iv_b64), 64, NULL) != 0 ||
	    iv.size != KSEF_AES_IV_LEN) {
		errors_reply(req, 400, 21405, "Pole "
			"'encryption.initializationVector' musi zawierać 16 "
			"bajtów w Base64.");
		goto out;
	}
	memset(&s, 0, sizeof(s));
	if (ksef_refnum_generate(s.ref, (ksef_refnum_type)type,
				 ksef_time_warsaw(now), &err) != 0) {
		errors_internal(req, &err);
		goto out;
	}
	memcpy(s.wrapped_key, wrapped.ptr, wrapped.size);
	s.wrapped_key_len = wrapped.size;
	memcpy(s.iv, iv.ptr, KSEF_AES_IV_LEN);
	if ((rk = api_server_key(req, KEY_USAGE_SYMMETRIC, key_id)) == NULL)
		goto out;
	s.key_id = rk->id;
	/* A key that does not unwrap still opens the session, which then
	 * ends in 415 (faktury/sesje/sesja-interaktywna-diagram-stanow.png):
	 * the client learns it from the session status, as on KSeF. */
	s.status = session_keys_open(srv->session_keys, &s, rk->key->priv,
				     NULL) == 0 ? 100 : 415;
	keyring_unlock(srv);

	snprintf(s.auth_ref, sizeof(s.auth_ref), "%s", req->claims.reference);
	snprintf(s.ctx_type, sizeof(s.ctx_type), "%.15s",
		 req->claims.context_type);
	snprintf(s.ctx_value, sizeof(s.ctx_value), "%s",
		 req->claims.context_value);
	if (store_auth_get(srv->store, req->claims.reference, &op,
			   NULL) == 0) {
		snprintf(s.subject_value, sizeof(s.subject_value), "%s",
			 op.subject_value);
		snprintf(s.auth_token_ref, sizeof(s.auth_token_ref), "%s",
			 op.token_ref);
		snprintf(s.auth_doc_hash, sizeof(s.auth_doc_hash), "%s",
			 op.doc_hash);
	}
	s.form = (int)form;
	s.created_ms = s.updated_ms = now;
	s.valid_until_ms = now + srv->cfg.session_ttl_ms;
	if (s.status != 100)
		s.closed_ms = now;
	/* limits: the context's maxInvoices in force now, kept by the
	 * session for its life (store_invoices.c's take_slot, 21155). */
	{
		ctx_limits_view lim;

		s.max_invoices = ctx_limits_get(srv->ctx_limits,
			s.ctx_type, s.ctx_value, &lim, NULL) == 0 ?
			lim.online.max_invoices : srv->cfg.max_invoices;
	}
	request_log_ref(req, s.ref);
	*out = s;
	rc = 0;
out:
	OPENSSL_cleanse(&s, sizeof(s));
	ksef_buf_dispose(&wrapped);
	ksef_buf_dispose(&iv);
	return rc;
}

void api_session_open(struct request *req)
{
	struct server *srv = req->srv;
	store_session s;
	ksef_error err;
	json_t *body;

	if ((body = api_body_object(req)) == NULL)
		return;
	if (api_session_fill(req, body, KSEF_REFNUM_ONLINE_SESSION, &s) != 0)
		goto out;
	if (store_session_add(srv->store, &s, &err) != 0) {
		/* No session: its key must not stay behind. */
		session_keys_evict(srv->session_keys, s.ref);
		errors_internal(req, &err);
		goto out;
	}
	http_reply_json(req, 201, json_pack("{s:s,s:o}", "referenceNumber",
		s.ref, "validUntil", api_time(s.valid_until_ms)));
out:
	json_decref(body);
}

/* The end of an invoice's one durable write (worker.h): the 202, or why
 * the session took no invoice after all. */
static void send_done(struct invoice_job *job, int result)
{
	struct request *req = job->req;
	const store_session *s = &job->session;

	switch (result) {
	case STORE_OK:
		http_reply_json(req, 202, json_pack("{s:s}",
			"referenceNumber", job->inv.ref));
		break;
	case STORE_NOT_FOUND:
		errors_reply(req, 400, 21173, "Sesja o numerze referencyjnym "
			"%s nie została odnaleziona.", s->ref);
		break;
	case STORE_WRONG_STATE:
	case STORE_EXISTS:
		errors_reply(req, 400, 21180, "Status sesji %d uniemożliwia "
			"wysyłkę faktur.", job->session_status ?
			job->session_status : 100);
		break;
	case STORE_FULL:
		errors_reply(req, 400, 21155, "Sesja o numerze referencyjnym "
			"%s osiągnęła dozwolony limit liczby faktur %d.", s->ref,
			s->max_invoices);
		break;
	default:
		errors_internal(req, &job->err);
		break;
	}
	ksef_buf_dispose(&job->ciphertext);
	ksef_buf_dispose_secure(&job->plain);
	free(job);
	http_complete(req);
}

/*
 * Sending an invoice (SPEC 4.12). What can be answered at once is: the
 * session, the body's fields, the Base64 and the encrypted hash. The rest
 * (decryption, verification, the one durable write) runs in worker.c,
 * and the 202 leaves when the invoice and its verdict are committed.
 */
void api_session_send(struct request *req)
{
	struct server *srv = req->srv;
	/* limits: the context's maxInvoiceSizeInMB in force now. */
	size_t max_plain = ctx_limits_invoice_bytes(srv->ctx_limits,
		req->claims.context_type, req->claims.context_value,
		srv->cfg.max_invoice_bytes);
	json_t *body, *declared;
	const char *ih, *eh, *content, *corrected;
	size_t content_len;
	int64_t isize, esize;
	int offline, failed = 0;
	char hash[KSEF_SHA256_B64_LEN + 1];
	struct invoice_job *job;
	store_invoice orig, *inv;
	ksef_error err;

	if ((job = calloc(1, sizeof(*job))) == NULL) {
		errors_reply(req, 500, 21405, "Brak pamięci.");
		return;
	}
	body = NULL;
	if (api_load_session(req, &job->session, "odnaleziona") != 0)
		goto out;
	if (job->session.status != 100 || api_session_is_batch(&job->session)) {
		errors_reply(req, 400, 21180, "Status sesji %d uniemożliwia "
			"wysyłkę faktur.", job->session.status);
		goto out;
	}
	if ((body = api_body_object_lifting(req, "encryptedInvoiceContent",
					    &content, &content_len)) == NULL)
		goto out;
	/* limits: an invoice over the context's size limit is refused before
	 * anything sized by that limit is looked at (SPEC 13 #11: at once,
	 * 21405, like every other size the body declares). */
	declared = json_object_get(body, "invoiceSize");
	if (json_is_integer(declared) &&
	    json_integer_value(declared) > (json_int_t)max_plain) {
		errors_reply(req, 400, 21405, "Faktura o rozmiarze %lld B "
			"przekracza limit rozmiaru faktury w bieżącym "
			"kontekście: %zu B.",
			(long long)json_integer_value(declared), max_plain);
		goto out;
	}
	ih = api_string(req, body, "", "invoiceHash", 44, 44, 1, &failed);
	eh = api_string(req, body, "", "encryptedInvoiceHash", 44, 44, 1,
			&failed);
	if (content == NULL) {
		/* Not lifted out of the body: jansson has it. */
		content = api_string(req, body, "", "encryptedInvoiceContent",
				     4, B64_LEN(max_plain + 16), 1, &failed);
		content_len = content ? strlen(content) : 0;
	} else if (!failed && (content_len < 4 ||
			       content_len > B64_LEN(max_plain + 16))) {
		failed = 1;
		errors_reply(req, 400, 21405, "Pole 'encryptedInvoiceContent' "
			"musi mieć długość od 4 do %zu.",
			(size_t)B64_LEN(max_plain + 16));
	}
	corrected = api_string(req, body, "", "hashOfCorrectedInvoice", 44, 44,
			       0, &failed);
	if (failed ||
	    api_integer(req, body, "invoiceSize", 1, (int64_t)max_plain, 1,
			&isize) != 0 ||
	    api_integer(req, body, "encryptedInvoiceSize", 1,
			(int64_t)max_plain + 16, 1, &esize) != 0 ||
	    api_boolean(req, body, "offlineMode", 0, &offline) != 0)
		goto out;
	if (ksef_base64_decode(&job->ciphertext, content, content_len,
			       max_plain + 16, NULL) != 0) {
		errors_reply(req, 400, 21405, "Pole 'encryptedInvoiceContent' "
			"nie jest poprawnym Base64.");
		goto out;
	}
	if ((int64_t)job->ciphertext.size != esize) {
		errors_reply(req, 400, 21402, "Długość treści nie zgadza się z "
			"rozmiarem pliku.");
		goto out;
	}
	if (ksef_sha256_base64(hash, job->ciphertext.ptr, job->ciphertext.size,
			       NULL) != 0 || strcmp(hash, eh) != 0) {
		errors_reply(req, 400, 21403, "Skrót treści nie zgadza się ze "
			"skrótem pliku.");
		goto out;
	}
	/* A technical correction (offline/korekta-techniczna.md) may only
	 * replace an invoice that was rejected. */
	if (corrected != NULL &&
	    store_invoice_by_hash(srv->store, job->session.ctx_value,
				  corrected, &orig, NULL) == 0 &&
	    orig.status == 200) {
		errors_reply(req, 400, 21167, "Nie można wysłać korekty "
			"technicznej do prawidłowo przetworzonej faktury.");
		goto out;
	}
	/* ... and only once: a second correction of it is refused. */
	if (corrected != NULL &&
	    store_correction_accepted(srv->store, job->session.ctx_value,
				      corrected, NULL) == STORE_OK) {
		errors_reply(req, 400, 21166, "Faktura posiada już "
			"przetworzoną prawidłowo korektę techniczną.");
		goto out;
	}
	inv = &job->inv;
	if (ksef_refnum_generate(inv->ref, KSEF_REFNUM_INVOICE,
				 ksef_time_warsaw(server_now_ms()), &err) != 0) {
		errors_internal(req, &err);
		goto out;
	}
	snprintf(inv->session_ref, sizeof(inv->session_ref), "%s",
		 job->session.ref);
	snprintf(inv->invoice_hash, sizeof(inv->invoice_hash), "%s", ih);
	snprintf(inv->encrypted_hash, sizeof(inv->encrypted_hash), "%s", eh);
	if (corrected != NULL)
		snprintf(inv->hash_of_corrected, sizeof(inv->hash_of_corrected),
			 "%s", corrected);
	inv->invoice_size = isize;
	inv->encrypted_size = esize;
	inv->offline_mode = offline;
	inv->invoicing_ms = server_now_ms();
	inv->status = 100;
	request_log_ref(req, inv->ref);
	json_decref(body);
	/* The body is decoded: its copy goes now, not with the request. */
	ksef_buf_dispose(&req->body);
	job->req = req;
	job->done = send_done;
	http_defer(req);
	if (workers_send(srv, job) != 0) {
		errors_reply(req, 500, 21405, "Brak pamięci.");
		ksef_buf_dispose(&job->ciphertext);
		free(job);
		http_complete(req);
	}
	return;
out:
	ksef_buf_dispose(&job->ciphertext);
	free(job);
	json_decref(body);
}

void api_session_close(struct request *req)
{
	store_session s;
	int status = 0, rc;
	ksef_error err;

	if (api_load_session(req, &s, "odnaleziona") != 0)
		return;
	/* A batch session closes with its own call (api_batch.c). */
	if (api_session_is_batch(&s)) {
		api_session_close_reply(req, STORE_WRONG_STATE, s.status, NULL);
		return;
	}
	rc = store_session_close(req->srv->store, s.ref, server_now_ms(),
				 &status, &err);
	api_session_close_reply(req, rc, status, &err);
}

void api_session_close_reply(struct request *req, int rc, int status,
			     const ksef_error *err)
{
	switch (rc) {
	case STORE_OK:
		/* The UPO is the workers' to build. */
		workers_kick(req->srv);
		http_reply_empty(req, 204);
		return;
	case STORE_WRONG_STATE:
		errors_reply(req, 400, 21180, "Status sesji %d uniemożliwia jej "
			"zamknięcie.", status);
		return;
	default:
		errors_internal(req, err);
		return;
	}
}

int api_session_is_batch(const store_session *s)
{
	/* yyyymmdd-SB-...: the type is the second part of the number. */
	return strlen(s->ref) > 11 && strncmp(s->ref + 9, "SB-", 3) == 0;
}
