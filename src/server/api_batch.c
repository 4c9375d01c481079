/*
 * api_batch.c - the batch-sending tag (sesja-wsadowa.md): opening a
 * batch session with its package's declaration, the upload of each part
 * to the pre-signed link the opening gave (served by ksefd itself under
 * /storage, streamed to disk by batch_parts.c), and closing, which hands
 * the package to batch.c through the workers. Status, invoices and UPOs
 * of a batch session are the routes every session has (api_status.c,
 * api_upo.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "batch_parts.h"
#include "ctx_limits.h"
#include "errors.h"
#include "http.h"
#include "presign.h"
#include "session_keys.h"
#include "worker.h"

/* fileParts as declared; 0, or -1 when answered. */
static int read_parts(struct request *req, json_t *arr,
		      store_batch_part *parts, size_t *n)
{
	char why[256];
	size_t i;
	int code, failed = 0;

	if (!json_is_array(arr)) {
		errors_reply(req, 400, 21405, "Pole 'batchFile.fileParts' "
			"jest wymagane.");
		return -1;
	}
	*n = json_array_size(arr);
	if (*n > BATCH_MAX_PARTS) {
		errors_reply(req, 400, 21161, "Zadeklarowano %zu części, "
			"dozwolone jest %d.", *n, BATCH_MAX_PARTS);
		return -1;
	}
	for (i = 0; i < *n; i++) {
		json_t *p = json_array_get(arr, i);
		const char *h;
		int64_t ord, size;

		if (!json_is_object(p)) {
			errors_reply(req, 400, 21405, "Element %zu pola "
				"'batchFile.fileParts' nie jest obiektem.", i);
			return -1;
		}
		if (api_integer(req, p, "ordinalNumber", 1, BATCH_MAX_PARTS,
				1, &ord) != 0 ||
		    api_integer(req, p, "fileSize", 1, INT64_MAX, 1,
				&size) != 0)
			return -1;
		h = api_string(req, p, "batchFile.fileParts.", "fileHash", 44,
			       44, 1, &failed);
		if (failed)
			return -1;
		parts[i].ordinal = (int)ord;
		parts[i].file_size = size;
		snprintf(parts[i].file_hash, sizeof(parts[i].file_hash), "%s",
			 h);
		parts[i].received_ms = 0;
	}
	if ((code = batch_parts_check(parts, *n, why, sizeof(why))) != 0) {
		errors_reply(req, 400, code, "%s", why);
		return -1;
	}
	return 0;
}

void api_batch_open(struct request *req)
{
	struct server *srv = req->srv;
	store_batch_part parts[BATCH_MAX_PARTS];
	store_batch_file f;
	store_session s;
	ctx_limits_view lim;
	json_t *body, *bf, *ct, *arr = NULL;
	const char *hash;
	int64_t now = server_now_ms(), until;
	size_t n = 0, i;
	int failed = 0, offline = 0;
	ksef_error err;

	if ((body = api_body_object(req)) == NULL)
		return;
	memset(&f, 0, sizeof(f));
	bf = json_object_get(body, "batchFile");
	if (!json_is_object(bf)) {
		errors_reply(req, 400, 21405, "Pole 'batchFile' jest "
			"wymagane.");
		goto out;
	}
	if (api_integer(req, bf, "fileSize", 1, BATCH_MAX_FILE_BYTES, 1,
			&f.file_size) != 0)
		goto out;
	hash = api_string(req, bf, "batchFile.", "fileHash", 44, 44, 1,
			  &failed);
	if (failed)
		goto out;
	snprintf(f.file_hash, sizeof(f.file_hash), "%s", hash);
	/* compressionType (2.6.0): Zip unless it says TarGz. */
	ct = json_object_get(bf, "compressionType");
	if (ct == NULL || json_is_null(ct) ||
	    (json_is_string(ct) && strcmp(json_string_value(ct), "Zip") == 0)) {
		strcpy(f.compression, "Zip");
	} else if (json_is_string(ct) &&
		   strcmp(json_string_value(ct), "TarGz") == 0) {
		strcpy(f.compression, "TarGz");
	} else {
		errors_reply(req, 400, 21405, "Pole "
			"'batchFile.compressionType' musi mieć wartość Zip "
			"albo TarGz.");
		goto out;
	}
	if (read_parts(req, json_object_get(bf, "fileParts"), parts, &n) != 0 ||
	    api_boolean(req, body, "offlineMode", 0, &offline) != 0)
		goto out;
	f.part_count = (int)n;
	f.offline = offline;
	if (api_session_fill(req, body, KSEF_REFNUM_BATCH_SESSION, &s) != 0)
		goto out;
	/* limits: a batch session has the context's batchSession limits. */
	if (ctx_limits_get(srv->ctx_limits, s.ctx_type, s.ctx_value, &lim,
			   NULL) == 0)
		s.max_invoices = lim.batch.max_invoices;
	if (store_session_add(srv->store, &s, &err) != 0 ||
	    store_batch_add(srv->store, s.ref, &f, parts, n, &err) != 0) {
		session_keys_evict(srv->session_keys, s.ref);
		errors_internal(req, &err);
		goto out;
	}
	/* Every part may be put for 20 minutes times the number of parts
	 * (sesja-wsadowa.md). */
	until = now + (int64_t)n * BATCH_PART_WINDOW_MS;
	arr = json_array();
	for (i = 0; i < n; i++) {
		char path[160], *url;

		if (batch_part_link_path(path, sizeof(path), s.ref,
					 (int)(i + 1)) != 0 ||
		    (url = presign_url(req, path, until)) == NULL) {
			errors_reply(req, 500, 21405, "Brak pamięci.");
			goto out;
		}
		json_array_append_new(arr, json_pack("{s:i,s:s,s:s,s:{s:s}}",
			"ordinalNumber", (int)(i + 1), "method", "PUT",
			"url", url, "headers", "x-ms-blob-type", "BlockBlob"));
		free(url);
	}
	http_reply_json(req, 201, json_pack("{s:s,s:O}", "referenceNumber",
		s.ref, "partUploadRequests", arr));
out:
	json_decref(arr);
	json_decref(body);
}

void api_batch_close(struct request *req)
{
	store_batch_file f;
	store_session s;
	int status = 0, missing = 0, rc;
	ksef_error err;

	if (api_load_session(req, &s, "odnaleziona") != 0)
		return;
	if (!api_session_is_batch(&s)) {
		errors_reply(req, 400, 21173, "Sesja o numerze referencyjnym "
			"%s nie została odnaleziona.", s.ref);
		return;
	}
	rc = store_batch_close(req->srv->store, s.ref, server_now_ms(),
			       &status, &missing, &err);
	if (rc == STORE_INVALID && missing > 0) {
		/* A part missing after the time to put it has run out:
		 * the session can no longer be completed. */
		if (store_batch_get(req->srv->store, s.ref, &f, NULL) == 0 &&
		    server_now_ms() > s.created_ms +
		    (int64_t)f.part_count * BATCH_PART_WINDOW_MS)
			errors_reply(req, 400, 21208, "Sesja anulowana, "
				"przekroczony czas wysyłki.");
		else
			errors_reply(req, 400, 21205, "Nie przesłano "
				"zadeklarowanej '%d' części pliku.", missing);
		return;
	}
	api_session_close_reply(req, rc, status, &err);
}

/* ---- the parts ---- */

/* The part a /storage/{session}/batch-parts/{part} request names, if its
 * link holds and the session takes parts: 0, or the HTTP status to
 * answer with. */
static unsigned part_target(struct request *req, store_session *s,
			    store_batch_part *part)
{
	store_batch_part *parts = NULL;
	size_t n = 0, i;
	char *end;
	long ord;
	int rc;

	if (presign_check(req) != 0)
		return 403;
	ord = strtol(req->params[1], &end, 10);
	if (*end != '\0' || ord < 1 || ord > BATCH_MAX_PARTS)
		return 404;
	rc = store_session_get(req->srv->store, req->params[0], s, NULL);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? 404 : 500;
	if (s->status != 100)
		return 403;
	if (store_batch_parts(req->srv->store, s->ref, &parts, &n, NULL) != 0)
		return 404;
	for (i = 0; i < n && parts[i].ordinal != (int)ord; i++)
		;
	if (i == n) {
		free(parts);
		return 404;
	}
	*part = parts[i];
	free(parts);
	return 0;
}

static int part_sink(struct request *req, const char *data, size_t len)
{
	return batch_upload_write(req->upload, data, len) != 0;
}

static void upload_free(void *u)
{
	batch_upload_free(u);
}

void api_batch_upload_traits(struct request *req, struct http_traits *out)
{
	store_session s;
	store_batch_part part;
	batch_upload *u;

	out->body_max = (size_t)BATCH_MAX_PART_BYTES;
	if (part_target(req, &s, &part) != 0 ||
	    batch_upload_open(&u, req->srv->cfg.data_dir, s.ref, part.ordinal,
			      part.file_size, part.file_hash) != 0) {
		out->refuse = 1;
		return;
	}
	req->upload = u;
	req->upload_free = upload_free;
	out->sink = part_sink;
}

void api_batch_part_put(struct request *req)
{
	store_session s;
	store_batch_part part;
	ksef_error err;
	unsigned st;
	int rc;

	if (req->upload == NULL) {
		st = part_target(req, &s, &part);
		if (st == 500)
			errors_internal(req, NULL);
		else if (st == 403 || st == 0)
			errors_forbidden(req, "insufficient-resource-access",
				"Odnośnik jest nieprawidłowy, wygasł albo sesja "
				"nie przyjmuje już części.", NULL);
		else
			errors_reply(req, 404, 21405, "Nie ma takiej części "
				"paczki.");
		return;
	}
	/* The link held when the upload began: it completes, even if it
	 * has expired meanwhile (sesja-wsadowa.md). */
	rc = store_session_get(req->srv->store, req->params[0], &s, &err);
	if (api_store_failed(req, rc, &err))
		return;
	if (rc != 0 || s.status != 100) {
		errors_forbidden(req, "insufficient-resource-access", "Sesja "
			"nie przyjmuje już części.", NULL);
		return;
	}
	request_log_ref(req, req->params[0]);
	switch (batch_upload_finish(req->upload)) {
	case BATCH_UPLOAD_OK:
		break;
	case BATCH_UPLOAD_SIZE:
		errors_reply(req, 400, 21157, "Zadeklarowany rozmiar części "
			"'%s' nie zgadza się z rzeczywistym.", req->params[1]);
		return;
	case BATCH_UPLOAD_HASH:
		errors_reply(req, 400, 21405, "Skrót części '%s' nie zgadza "
			"się z zadeklarowanym.", req->params[1]);
		return;
	default:
		errors_reply(req, 500, 21405, "Nie udało się zapisać części.");
		return;
	}
	if (store_batch_part_received(req->srv->store, req->params[0],
				      atoi(req->params[1]), server_now_ms(),
				      &err) != 0) {
		errors_internal(req, &err);
		return;
	}
	http_reply_empty(req, 201);
}
