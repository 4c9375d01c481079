/*
 * client_invoices_export.c - exports of invoices (POST /invoices/exports,
 * GET /invoices/exports/{referenceNumber}) and the fetch of a built
 * package: each part downloaded from its pre-signed link straight through
 * a hash and the AES-256-CBC stream into one ZIP file on the disk, so
 * memory does not grow with the package (pobieranie-faktur.md: a part is
 * up to 50 MB, a package up to 10 000 invoices), then unpacked by
 * client_invoices_unzip.c and _metadata.json read. Filters are
 * client_invoices_query.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "internal.h"
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "client_invoices_int.h"

/* Longest part URL, name or hash read from a status. */
#define URL_MAX 4096

int ksef__invoice_export_body(json_t **out, const ksef_envelope *env,
			      const ksef_pubkey *pub,
			      const ksef_invoice_filters *f, int only_metadata,
			      ksef_error *err)
{
	json_t *body = NULL, *filters = NULL, *enc = NULL;
	int error;

	*out = NULL;
	if (env == NULL || pub == NULL || f == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "NULL argument");
	if ((error = ksef__invoice_filters_json(&filters, f, err)) < 0)
		return error;
	if ((error = ksef__req_encryption(&enc, env, pub, err)) < 0) {
		json_decref(filters);
		return error;
	}
	if ((body = json_object()) == NULL) {
		json_decref(enc);
		goto nomem;
	}
	if (ksef__req_json_set(body, "encryption", enc) < 0 ||
	    ksef__req_json_set(body, "onlyMetadata",
			       json_boolean(only_metadata != 0)) < 0)
		goto nomem;
	error = ksef__req_json_set(body, "filters", filters);
	filters = NULL; /* taken either way */
	if (error < 0)
		goto nomem;
	*out = body;
	return 0;
nomem:
	json_decref(filters);
	json_decref(body);
	return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
}

/* ExportInvoicesResponse. */
struct export_answer {
	const char *reference_number;
};

static int parse_export_answer(struct ksef__rd *r, const json_t *root,
			       void *res)
{
	struct export_answer *a = res;

	return ksef__rd_ref(r, root, "referenceNumber", 1,
			    &a->reference_number);
}

int ksef_client_invoices_export(char ref_out[KSEF_REFNUM_BUFSZ],
				ksef_client *c, const ksef_envelope *env,
				const ksef_pubkey *pub,
				const ksef_invoice_filters *filters,
				int only_metadata, ksef_error *err)
{
	ksef__request rq = { 0 };
	struct export_answer *a;
	json_t *body;
	void *res;
	int error;

	if ((error = ksef__req_begin(c, ref_out != NULL && env != NULL &&
				     pub != NULL && filters != NULL, err)) < 0)
		return error;
	if ((error = ksef__req_need_token(&rq.bearer, c, err)) < 0 ||
	    (error = ksef__invoice_export_body(&body, env, pub, filters,
					       only_metadata, err)) < 0)
		return error;
	rq.path = "/invoices/exports";
	/* Not retry_safe: a second POST would start a second export. */
	if ((error = ksef__req_post_result(&res, c, &rq, body,
					   sizeof(struct export_answer),
					   parse_export_answer, err)) < 0)
		return error;
	a = res;
	memcpy(ref_out, a->reference_number, KSEF_REFNUM_LEN);
	ref_out[KSEF_REFNUM_LEN] = '\0';
	ksef__result_free(res);
	return 0;
}

/*
 * Status
 */

static int parse_part(struct ksef__rd *r, const json_t *o, void *item)
{
	ksef_api_export_part *p = item;
	int64_t n;
	int error;

	if ((error = ksef__rd_int(r, o, "ordinalNumber", 1, 1, 100000,
				  &n)) < 0)
		return error;
	p->ordinal_number = (int)n;
	if ((error = ksef__rd_string(r, o, "partName", 1, 1, 400,
				     &p->part_name)) < 0 ||
	    (error = ksef__rd_string(r, o, "method", 1, 1, 16,
				     &p->method)) < 0 ||
	    (error = ksef__rd_header_safe(r, o, "url", 1, URL_MAX,
					  &p->url)) < 0 ||
	    (error = ksef__rd_int(r, o, "partSize", 1, 1, INT64_MAX,
				  &p->part_size)) < 0 ||
	    (error = ksef__rd_string(r, o, "partHash", 1, 44, 44,
				     &p->part_hash)) < 0 ||
	    (error = ksef__rd_int(r, o, "encryptedPartSize", 1, 1, INT64_MAX,
				  &p->encrypted_part_size)) < 0 ||
	    (error = ksef__rd_string(r, o, "encryptedPartHash", 1, 44, 44,
				     &p->encrypted_part_hash)) < 0)
		return error;
	return ksef__rd_time(r, o, "expirationDate", &p->expiration_ms);
}

static int parse_package(struct ksef__rd *r, const json_t *o,
			 ksef_api_export_package *p)
{
	struct ksef__list *l;
	int error;

	if ((error = ksef__rd_int(r, o, "invoiceCount", 1, 0, 10000000,
				  &p->invoice_count)) < 0 ||
	    (error = ksef__rd_int(r, o, "size", 1, 0, INT64_MAX,
				  &p->size)) < 0 ||
	    (error = ksef__rd_opt_bool(r, o, "isTruncated",
				       &p->is_truncated)) < 0)
		return error;
	if (p->is_truncated < 0)
		return ksef__rd_fail(r, "isTruncated", "is required");
	if ((error = ksef__rd_string(r, o, "lastIssueDate", 0, 10, 10,
				     &p->last_issue_date)) < 0 ||
	    (error = ksef__rd_opt_time(r, o, "lastInvoicingDate",
				       &p->last_invoicing_date_ms)) < 0 ||
	    (error = ksef__rd_opt_time(r, o, "lastPermanentStorageDate",
				&p->last_permanent_storage_date_ms)) < 0 ||
	    (error = ksef__rd_opt_time(r, o, "permanentStorageHwmDate",
				       &p->permanent_storage_hwm_ms)) < 0)
		return error;
	if ((l = ksef__rd_list_new(r, sizeof(ksef_api_export_part))) == NULL)
		return KSEF_ENOMEM;
	p->parts = (const ksef_api_export_parts *)(void *)l;
	return ksef__rd_items(r, o, "parts", l, parse_part);
}

static int parse_status(struct ksef__rd *r, const json_t *root, void *res)
{
	ksef_api_export_status *st = res;
	ksef_api_export_package *p;
	const json_t *pkg;
	size_t at;
	int error;

	if ((error = ksef__rd_status(r, root, "status", &st->status,
				     NULL)) < 0 ||
	    (error = ksef__rd_opt_time(r, root, "completedDate",
				       &st->completed_ms)) < 0 ||
	    (error = ksef__rd_opt_time(r, root, "packageExpirationDate",
				       &st->package_expiration_ms)) < 0 ||
	    (error = ksef__rd_object(r, root, "package", 0, &pkg)) < 0)
		return error;
	if (pkg == NULL)
		return 0;
	if ((p = ksef__result_alloc(r->res, sizeof(*p))) == NULL)
		return ksef__rd_nomem(r);
	at = ksef__rd_push(r, "package");
	if ((error = parse_package(r, pkg, p)) < 0)
		return error;
	ksef__rd_pop(r, at);
	st->package = p;
	return 0;
}

int ksef_client_invoices_export_status(ksef_api_export_status **out,
				       ksef_client *c, const char *reference,
				       ksef_error *err)
{
	void *res;
	int error;

	if ((error = ksef__req_begin(c, out != NULL, err)) < 0)
		return error;
	*out = NULL;
	if ((error = ksef__req_get_on_ref(&res, c, "/invoices/exports/",
					  "referenceNumber", reference,
					  sizeof(ksef_api_export_status),
					  parse_status, err)) == 0)
		*out = res;
	return error;
}

void ksef_api_export_status_free(ksef_api_export_status *st)
{
	ksef__result_free(st);
}

size_t ksef_api_export_parts_count(const ksef_api_export_parts *l)
{
	return ksef__list_count(KSEF__LIST(l));
}

const ksef_api_export_part *ksef_api_export_parts_at(
	const ksef_api_export_parts *l, size_t i)
{
	return ksef__list_at(KSEF__LIST(l), i);
}

int64_t ksef_export_next_from(const ksef_api_export_package *pkg,
			      int64_t to_ms)
{
	if (pkg == NULL)
		return KSEF_TIME_UNSET;
	/* przyrostowe-pobieranie-faktur.md: a truncated package continues
	 * from its last date, the rest from the HWM; with neither, the
	 * window asked for was complete up to its end. */
	if (pkg->is_truncated > 0)
		return pkg->last_permanent_storage_date_ms;
	if (pkg->permanent_storage_hwm_ms != KSEF_TIME_UNSET)
		return pkg->permanent_storage_hwm_ms;
	return to_ms;
}

/*
 * Fetch: parts through hashes and the cipher into one file
 */

struct part_sink {
	FILE *zip;
	long start;               /* the file's length before this part */
	const ksef_envelope *env;
	ksef_envelope_stream *dec;
	EVP_MD_CTX *enc_md;       /* over the ciphertext */
	EVP_MD_CTX *plain_md;     /* over the plaintext */
	ksef_buf out;             /* plaintext of one piece, then written */
	uint64_t plain_bytes;
	ksef_error *err;
};

static int sink_write(struct part_sink *s)
{
	if (s->out.size > 0) {
		if (EVP_DigestUpdate(s->plain_md, s->out.ptr,
				     s->out.size) != 1)
			return ksef__error_set(s->err, KSEF_ECRYPTO,
					       "SHA-256 failed");
		if (fwrite(s->out.ptr, 1, s->out.size, s->zip) !=
		    s->out.size)
			return ksef__error_set(s->err, KSEF_EIO, "cannot write "
				"the package: %s", strerror(errno));
		s->plain_bytes += s->out.size;
	}
	ksef__wipe(s->out.ptr, s->out.size);
	s->out.size = 0;
	return 0;
}

/* The transport's sink: (NULL, 0) starts the part over. */
static int on_part_bytes(void *ud, const unsigned char *p, size_t n)
{
	struct part_sink *s = ud;
	int error;

	if (p == NULL) {
		ksef_envelope_stream_free(s->dec);
		s->dec = NULL;
		s->plain_bytes = 0;
		if (fflush(s->zip) != 0 || ftruncate(fileno(s->zip),
						     s->start) != 0 ||
		    fseek(s->zip, s->start, SEEK_SET) != 0)
			return ksef__error_set(s->err, KSEF_EIO, "cannot "
				"write the package: %s", strerror(errno));
		if (EVP_DigestInit_ex(s->enc_md, ksef__sha256(), NULL) != 1 ||
		    EVP_DigestInit_ex(s->plain_md, ksef__sha256(), NULL) != 1)
			return ksef__error_set(s->err, KSEF_ECRYPTO,
					       "SHA-256 failed");
		return ksef_envelope_stream_new(&s->dec, s->env, 0, s->err);
	}
	if (EVP_DigestUpdate(s->enc_md, p, n) != 1)
		return ksef__error_set(s->err, KSEF_ECRYPTO, "SHA-256 failed");
	if ((error = ksef_envelope_stream_update(s->dec, &s->out, p, n,
						 n + 64, s->err)) < 0)
		return error;
	return sink_write(s);
}

static int digest_b64(char out[KSEF_SHA256_B64_LEN + 1], EVP_MD_CTX *md,
		      ksef_error *err)
{
	unsigned char h[32];
	unsigned int hl = 0;
	ksef_buf b = KSEF_BUF_INIT;
	int error;

	if (EVP_DigestFinal_ex(md, h, &hl) != 1 || hl != sizeof(h))
		return ksef__error_set(err, KSEF_ECRYPTO, "SHA-256 failed");
	if ((error = ksef_base64_encode(&b, h, sizeof(h), err)) < 0)
		return error;
	snprintf(out, KSEF_SHA256_B64_LEN + 1, "%s", (char *)b.ptr);
	ksef_buf_dispose(&b);
	return 0;
}

static int fetch_part(ksef_client *c, struct part_sink *s,
		      const ksef_api_export_part *part, ksef_error *err)
{
	ksef__request rq = { 0 };
	ksef__response rs = KSEF__RESPONSE_INIT;
	char got[KSEF_SHA256_B64_LEN + 1];
	int error;

	if (part->encrypted_part_size > (int64_t)KSEF_EXPORT_PART_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG, "part %d: %lld "
			"bytes, over KSEF_EXPORT_PART_MAX_BYTES",
			part->ordinal_number,
			(long long)part->encrypted_part_size);
	if (strcmp(part->method, "GET") != 0)
		return ksef__error_set(err, KSEF_EFORMAT, "part %d: method "
			"%s is not GET", part->ordinal_number, part->method);
	if ((s->start = ftell(s->zip)) < 0)
		return ksef__error_set(err, KSEF_EIO, "cannot write the "
				       "package: %s", strerror(errno));
	rq.method = "GET";
	rq.url = part->url;
	rq.accept = "application/octet-stream";
	rq.retry_safe = 1;
	rq.sink = on_part_bytes;
	rq.sink_ud = s;
	rq.sink_max = (uint64_t)part->encrypted_part_size;
	error = ksef__client_perform(c, &rq, &rs, err);
	ksef__response_dispose(&rs);
	if (error < 0)
		return error;
	if ((error = ksef_envelope_stream_final(s->dec, &s->out, 64,
						err)) < 0 ||
	    (error = sink_write(s)) < 0)
		return error;
	if ((error = digest_b64(got, s->enc_md, err)) < 0)
		return error;
	if (strcmp(got, part->encrypted_part_hash) != 0)
		return ksef__error_set(err, KSEF_ECHECKSUM, "part %d does not "
			"match its encryptedPartHash", part->ordinal_number);
	if ((error = digest_b64(got, s->plain_md, err)) < 0)
		return error;
	if (s->plain_bytes != (uint64_t)part->part_size ||
	    strcmp(got, part->part_hash) != 0)
		return ksef__error_set(err, KSEF_ECHECKSUM, "part %d does not "
			"match its partSize and partHash once decrypted",
			part->ordinal_number);
	return 0;
}

/* The parts in order: ordinal numbers 1 to n, each once. */
static int order_parts(const ksef_api_export_part ***out,
		       const ksef_api_export_parts *parts, ksef_error *err)
{
	size_t i, n = ksef_api_export_parts_count(parts);
	const ksef_api_export_part **v = calloc(n ? n : 1, sizeof(*v));

	*out = NULL;
	if (v == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const ksef_api_export_part *p = ksef_api_export_parts_at(parts,
									 i);

		if (p->ordinal_number < 1 || (size_t)p->ordinal_number > n ||
		    v[p->ordinal_number - 1] != NULL) {
			free(v);
			return ksef__error_set(err, KSEF_EFORMAT, "the "
				"package's parts are not numbered 1 to %zu",
				n);
		}
		v[p->ordinal_number - 1] = p;
	}
	*out = v;
	return 0;
}

static int download_parts(ksef_client *c, FILE *zip,
			  const ksef_api_export_package *pkg,
			  const ksef_envelope *env, ksef_error *err)
{
	struct part_sink s;
	const ksef_api_export_part **v = NULL;
	size_t i, n = ksef_api_export_parts_count(pkg->parts);
	int error;

	memset(&s, 0, sizeof(s));
	s.zip = zip;
	s.env = env;
	s.err = err;
	if ((error = order_parts(&v, pkg->parts, err)) < 0)
		return error;
	if ((s.enc_md = EVP_MD_CTX_new()) == NULL ||
	    (s.plain_md = EVP_MD_CTX_new()) == NULL) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < n && error == 0; i++)
		error = fetch_part(c, &s, v[i], err);
	if (error == 0 && fflush(zip) != 0)
		error = ksef__error_set(err, KSEF_EIO, "cannot write the "
					"package: %s", strerror(errno));
done:
	ksef_envelope_stream_free(s.dec);
	ksef_buf_dispose_secure(&s.out);
	EVP_MD_CTX_free(s.enc_md);
	EVP_MD_CTX_free(s.plain_md);
	free(v);
	return error;
}

/* A whole file of at most max bytes. */
static int read_small_file(ksef_buf *out, const char *path, size_t max,
			   ksef_error *err)
{
	unsigned char chunk[65536];
	FILE *f = fopen(path, "rb");
	size_t n;
	int error = 0;

	if (f == NULL)
		return ksef__error_set(err, KSEF_EIO, "%s", strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((error = ksef__buf_put(out, chunk, n, max)) < 0)
			break;
	if (error == 0 && ferror(f))
		error = ksef__error_set(err, KSEF_EIO, "cannot read it");
	else if (error == KSEF_ETOOBIG)
		ksef__error_set(err, error, "over %zu bytes "
				"(KSEF_EXPORT_METADATA_MAX_BYTES)", max);
	else if (error < 0)
		ksef__error_set(err, error, "out of memory");
	fclose(f);
	return error;
}

/* _metadata.json, when the package had one (in dir; NULL: none), into
 * the result. */
static int read_metadata(struct ksef__rd *r, ksef_api_export_result *res,
			 const char *dir)
{
	struct ksef__list *l;
	json_error_t jerr;
	ksef_buf b = KSEF_BUF_INIT;
	char path[4096];
	json_t *root;
	ksef_error e;
	int error;

	if ((l = ksef__rd_list_new(r, sizeof(ksef_api_invoice_metadata))) ==
	    NULL)
		return KSEF_ENOMEM;
	res->invoices = (const ksef_api_invoice_metadata_list *)(void *)l;
	if (dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/_metadata.json", dir);
	if (access(path, F_OK) != 0)
		return 0;
	if ((error = read_small_file(&b, path, KSEF_EXPORT_METADATA_MAX_BYTES,
				     &e)) < 0)
		return ksef__error_set(r->err, error, "_metadata.json: %s",
				       e.message);
	root = json_loadb((const char *)b.ptr, b.size,
			  JSON_REJECT_DUPLICATES, &jerr);
	ksef_buf_dispose(&b);
	if (root == NULL)
		return ksef__error_set(r->err, KSEF_EPARSE, "_metadata.json: "
				       "line %d: %s", jerr.line, jerr.text);
	error = json_is_object(root) ? ksef__rd_items(r, root, "invoices", l,
		ksef__rd_invoice_metadata) : ksef__rd_fail(r, "",
		"is not an object");
	json_decref(root);
	return error;
}

int ksef_client_invoices_export_fetch(ksef_api_export_result **out,
				      ksef_client *c,
				      const ksef_api_export_status *st,
				      const ksef_envelope *env,
				      const char *dir,
				      const ksef_export_fetch_options *opts,
				      ksef_error *err)
{
	static const size_t sizes[] = {
		KSEF__OPTIONS_END(ksef_export_fetch_options, ud),
	};
	ksef_export_fetch_options o = KSEF_EXPORT_FETCH_OPTIONS_INIT;
	ksef_api_export_result *res;
	struct ksef__rd r;
	char zpath[4096];
	FILE *zip = NULL;
	int fd, error;

	KSEF__OPTIONS_SIZES(sizes, KSEF_EXPORT_FETCH_OPTIONS_VERSION);
	if ((error = ksef__req_begin(c, out != NULL && st != NULL &&
				     env != NULL && dir != NULL, err)) < 0)
		return error;
	*out = NULL;
	if (opts != NULL &&
	    (error = KSEF__OPTIONS_COPY(&o, opts, sizes,
					KSEF_EXPORT_FETCH_OPTIONS_VERSION,
					"ksef_export_fetch_options", err)) < 0)
		return error;
	if (st->status == NULL || st->status->code != 200 ||
	    st->package == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "the export is not "
				       "built (status %d)", st->status ?
				       st->status->code : 0);
	if (snprintf(zpath, sizeof(zpath), "%s/.ksef-export-XXXXXX.zip",
		     dir) >= (int)sizeof(zpath))
		return ksef__error_set(err, KSEF_EINVAL,
				       "folder name too long");
	if ((fd = mkstemps(zpath, 4)) < 0)
		return ksef__error_set(err, KSEF_EIO, "%s: %s", dir,
				       strerror(errno));
	if ((zip = fdopen(fd, "w+b")) == NULL) {
		close(fd);
		unlink(zpath);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	if ((error = ksef__rd_new(&r, sizeof(*res), "_metadata.json",
				  err)) < 0)
		goto done;
	res = r.res;
	/* A package of nothing may come without parts: no ZIP to open. */
	if (ksef_api_export_parts_count(st->package->parts) == 0) {
		if ((error = read_metadata(&r, res, NULL)) < 0) {
			ksef__result_free(res);
			goto done;
		}
		*out = res;
		goto done;
	}
	if ((error = download_parts(c, zip, st->package, env, err)) < 0 ||
	    (error = ksef__export_unzip(zpath, dir, o.keep_existing,
					o.on_entry, o.ud, &res->files_written,
					&res->files_kept, &res->bytes,
					err)) < 0 ||
	    (error = read_metadata(&r, res, dir)) < 0) {
		ksef__result_free(res);
		goto done;
	}
	*out = res;
done:
	fclose(zip);
	unlink(zpath);
	return error;
}

void ksef_api_export_result_free(ksef_api_export_result *r)
{
	ksef__result_free(r);
}
