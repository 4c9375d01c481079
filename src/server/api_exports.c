/*
 * api_exports.c - POST /invoices/exports and GET
 * /invoices/exports/{referenceNumber} (pobieranie-faktur.md,
 * przyrostowe-pobieranie-faktur.md), and the download of a package's
 * parts behind pre-signed links (/storage/{ref}/invoice-part/{name}).
 * The request is checked and stored here; the housekeeping thread builds
 * the package (export_build.c); the status lists its parts with links
 * made when it is asked for, as the changelog says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "errors.h"
#include "export_build.h"
#include "http.h"
#include "presign.h"
#include "retrieval.h"
#include "worker.h"

/* At most this many exports of a context are being built at once. */
#define EXPORTS_RUNNING_MAX 10
/* How long a part's link works. */
#define EXPORT_LINK_MS ((int64_t)3600 * 1000)

static const char *status_description(int code)
{
	switch (code) {
	case 100: return "Eksport faktur w toku";
	case 200: return "Eksport faktur zakończony sukcesem";
	case 210: return "Eksport faktur wygasł i nie jest już dostępny do "
			 "pobrania";
	case 415: return "Błąd odszyfrowania dostarczonego klucza";
	case 420: return "Zakres filtrowania wykracza poza dostępny zakres "
			 "danych";
	case 550: return "Operacja została anulowana przez system";
	default: return "Nieznany błąd (500)";
	}
}

static int decode(struct request *req, ksef_buf *out, const char *b64,
		  size_t max, const char *name)
{
	if (ksef_base64_decode(out, b64, strlen(b64), max, NULL) != 0 ||
	    out->size == 0) {
		errors_reply(req, 400, 21405, "Pole 'encryption.%s' nie jest "
			"poprawnym Base64.", name);
		return -1;
	}
	return 0;
}

void api_invoices_export(struct request *req)
{
	struct server *srv = req->srv;
	struct retrieval_filters f;
	ksef_buf wrapped = KSEF_BUF_INIT, iv = KSEF_BUF_INIT;
	const char *key_b64, *iv_b64, *key_id, *ct;
	json_t *body, *enc, *filters;
	store_export *e = NULL;
	struct ring_key *rk;
	char msg[256], *text = NULL, nip[11];
	int64_t running;
	int failed = 0, only;
	ksef_error err;

	if ((body = api_body_object(req)) == NULL)
		return;
	enc = json_object_get(body, "encryption");
	filters = json_object_get(body, "filters");
	if (!json_is_object(enc) || !json_is_object(filters)) {
		errors_reply(req, 400, 21405, "Pola 'encryption' i 'filters' "
			"są wymagane.");
		goto out;
	}
	key_b64 = api_string(req, enc, "encryption.", "encryptedSymmetricKey",
			     4, 2048, 1, &failed);
	iv_b64 = api_string(req, enc, "encryption.", "initializationVector", 4,
			    64, 1, &failed);
	key_id = api_string(req, enc, "encryption.", "publicKeyId", 44, 44, 0,
			    &failed);
	if (failed || api_boolean(req, body, "onlyMetadata", 0, &only) != 0)
		goto out;
	ct = json_string_value(json_object_get(body, "compressionType"));
	if (json_object_get(body, "compressionType") != NULL &&
	    !json_is_null(json_object_get(body, "compressionType")) &&
	    (ct == NULL || strcmp(ct, "Zip") != 0)) {
		errors_reply(req, 400, 21405, "Pole 'compressionType' "
			"obsługuje wartość Zip.");
		goto out;
	}
	if (decode(req, &wrapped, key_b64, 1024, "encryptedSymmetricKey") ||
	    decode(req, &iv, iv_b64, 64, "initializationVector"))
		goto out;
	if (iv.size != KSEF_AES_IV_LEN) {
		errors_reply(req, 400, 21405, "Pole "
			"'encryption.initializationVector' musi zawierać 16 "
			"bajtów w Base64.");
		goto out;
	}
	if (retrieval_filters_parse(&f, filters, server_now_ms(), msg,
				    sizeof(msg)) != 0) {
		errors_reply(req, 400, 21405, "%s", msg);
		goto out;
	}
	if (retrieval_context_nip(req, nip) != 0) {
		errors_reply(req, 400, 21181, "Nie można wyeksportować paczki "
			"faktur dla wybranego podmiotu (%s) i zalogowanego "
			"identyfikatora kontekstu (%s).",
			json_string_value(json_object_get(filters,
				"subjectType")), req->claims.context_type);
		goto out;
	}
	if (store_exports_running(srv->store, req->claims.context_type,
				  req->claims.context_value, &running,
				  &err) != 0) {
		errors_internal(req, &err);
		goto out;
	}
	if (running >= EXPORTS_RUNNING_MAX) {
		errors_reply(req, 400, 21182, "Dla uwierzytelnionego podmiotu "
			"w bieżącym kontekście osiągnięto maksymalny limit %d "
			"równoczesnych eksportów faktur. Spróbuj ponownie "
			"później.", EXPORTS_RUNNING_MAX);
		goto out;
	}
	text = json_dumps(filters, JSON_COMPACT);
	if ((e = calloc(1, sizeof(*e))) == NULL || text == NULL ||
	    strlen(text) >= sizeof(e->filters)) {
		errors_reply(req, 400, 21405, "Pole 'filters' jest za długie.");
		goto out;
	}
	if ((rk = api_server_key(req, KEY_USAGE_SYMMETRIC, key_id)) == NULL)
		goto out;
	e->key_id = rk->id;
	keyring_unlock(srv);
	if (ksef_refnum_generate(e->ref, KSEF_REFNUM_OPERATION,
				 ksef_time_warsaw(server_now_ms()), &err) != 0) {
		errors_internal(req, &err);
		goto out;
	}
	snprintf(e->ctx_type, sizeof(e->ctx_type), "%.15s",
		 req->claims.context_type);
	snprintf(e->ctx_value, sizeof(e->ctx_value), "%s",
		 req->claims.context_value);
	snprintf(e->nip, sizeof(e->nip), "%s", nip);
	e->status = 100;
	snprintf(e->filters, sizeof(e->filters), "%s", text);
	e->only_metadata = only;
	memcpy(e->wrapped_key, wrapped.ptr, wrapped.size);
	e->wrapped_key_len = wrapped.size;
	memcpy(e->iv, iv.ptr, KSEF_AES_IV_LEN);
	e->created_ms = server_now_ms();
	request_log_ref(req, e->ref);
	if (store_export_add(srv->store, e, &err) != 0) {
		errors_internal(req, &err);
		goto out;
	}
	workers_kick(srv);
	http_reply_json(req, 201, json_pack("{s:s}", "referenceNumber",
					    e->ref));
out:
	free(text);
	free(e);
	ksef_buf_dispose(&wrapped);
	ksef_buf_dispose(&iv);
	json_decref(body);
}

/* The stored package with each part's link, valid until `until`. */
static json_t *package_with_links(struct request *req, const store_export *e,
				  int64_t until)
{
	json_t *pkg = json_loads(e->package, 0, NULL), *part;
	char path[256], *link;
	size_t i;

	if (pkg == NULL)
		return NULL;
	json_array_foreach(json_object_get(pkg, "parts"), i, part) {
		snprintf(path, sizeof(path), "/storage/%s/invoice-part/%s",
			 e->ref, json_string_value(json_object_get(part,
			 "partName")));
		link = presign_url(req, path, until);
		json_object_set_new(part, "method", json_string("GET"));
		json_object_set_new(part, "url", json_string(link ? link : ""));
		json_object_set_new(part, "expirationDate", api_time(until));
		free(link);
	}
	return pkg;
}

void api_invoices_export_status(struct request *req)
{
	store_export *e;
	int64_t now = server_now_ms(), expires, until;
	json_t *out, *pkg;
	ksef_error err;
	int status, rc;

	if (api_param_refnum(req, 0) != 0)
		return;
	if ((e = malloc(sizeof(*e))) == NULL) {
		errors_internal(req, NULL);
		return;
	}
	rc = store_export_get(req->srv->store, req->params[0], e, &err);
	if (api_store_failed(req, rc, &err))
		goto out;
	if (rc != 0 || strcmp(e->ctx_type, req->claims.context_type) != 0 ||
	    strcmp(e->ctx_value, req->claims.context_value) != 0) {
		errors_reply(req, 400, 21175, "Wynik zapytania o podanym "
			"identyfikatorze nie istnieje.");
		goto out;
	}
	status = e->status;
	expires = e->completed_ms + EXPORT_KEEP_MS;
	if (status == 200 && now >= expires)
		status = 210;
	out = json_pack("{s:o}", "status", api_status_info(status,
		status_description(status), status == 420 ?
		"[\"Parametr dateRange.from jest późniejszy niż "
		"PermanentStorageHwmDate przy włączonym "
		"restrictToPermanentStorageHwmDate.\"]" : ""));
	if (status != 100)
		json_object_set_new(out, "completedDate",
				    api_time(e->completed_ms));
	if (status == 200) {
		until = now + EXPORT_LINK_MS < expires ? now + EXPORT_LINK_MS :
							 expires;
		json_object_set_new(out, "packageExpirationDate",
				    api_time(expires));
		if ((pkg = package_with_links(req, e, until)) != NULL)
			json_object_set_new(out, "package", pkg);
	}
	http_reply_json(req, 200, out);
out:
	free(e);
}

void api_export_part(struct request *req)
{
	const char *ref = req->params[0], *name = req->params[1];
	char dir[PATH_MAX], path[PATH_MAX + 128];
	ksef_buf data = KSEF_BUF_INIT;
	size_t n = strlen(name);
	FILE *f;
	long size;

	if (presign_check(req) != 0) {
		errors_forbidden(req, "insufficient-resource-access",
			"Odnośnik jest nieprawidłowy albo wygasł.", NULL);
		return;
	}
	/* only "<ref>-NNN.zip.aes" of this export: no other file is named */
	if (strlen(ref) != KSEF_REFNUM_LEN || n != KSEF_REFNUM_LEN + 12 ||
	    strncmp(name, ref, KSEF_REFNUM_LEN) != 0 ||
	    name[KSEF_REFNUM_LEN] != '-' ||
	    strspn(name + KSEF_REFNUM_LEN + 1, "0123456789") != 3 ||
	    strcmp(name + KSEF_REFNUM_LEN + 4, ".zip.aes") != 0 ||
	    strchr(ref, '/') != NULL || strchr(ref, '.') != NULL)
		goto missing;
	export_dir(req->srv, ref, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		goto missing;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    size > EXPORT_PART_MAX_BYTES + 32 || fseek(f, 0, SEEK_SET) != 0 ||
	    ksef_buf_reserve(&data, (size_t)size + 1,
			     (size_t)size + 1) != 0 ||
	    fread(data.ptr, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		ksef_buf_dispose(&data);
		errors_internal(req, NULL);
		return;
	}
	fclose(f);
	http_reply_bytes(req, 200, "application/octet-stream", data.ptr,
			 (size_t)size, NULL);
	ksef_buf_dispose(&data);
	return;
missing:
	errors_no_route(req, 404);
}
