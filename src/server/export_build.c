/*
 * export_build.c - owns the building of export packages (export_build.h).
 * The ZIP is written by libarchive into a callback that cuts the stream
 * into parts of at most --export-part-bytes (EXPORT_PART_MAX_BYTES),
 * encrypts each part on its
 * own (AES-256-CBC, PKCS#7, the caller's key and IV, as the status
 * description says) and hashes it before and after, so no package is
 * ever held in memory. The invoices go in ascending order of the
 * filter's date, at most RETRIEVAL_MAX_RECORDS of them and at most
 * EXPORT_PACKAGE_MAX_BYTES, past which the package is truncated.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include "api.h"
#include "export_build.h"
#include "invoice_meta.h"
#include "retrieval.h"

void export_dir(const struct server *srv, const char *ref, char *out,
		size_t size)
{
	int n = snprintf(out, size, "%s/exports/%s", srv->cfg.data_dir, ref);

	if (n < 0 || (size_t)n >= size)
		out[0] = '\0';
}

/* <data>/exports and the export's folder in it. */
static int make_dirs(const struct server *srv, const char *dir)
{
	char top[PATH_MAX];
	int n = snprintf(top, sizeof(top), "%s/exports", srv->cfg.data_dir);

	if (n < 0 || (size_t)n >= sizeof(top) ||
	    (mkdir(top, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST))
		return -1;
	return 0;
}

struct parts {
	char dir[PATH_MAX];
	const char *ref;
	const unsigned char *key, *iv;
	FILE *f;
	EVP_CIPHER_CTX *cipher;
	EVP_MD_CTX *plain_md, *enc_md;
	int64_t max;           /* a part's bytes before encryption */
	int n;                 /* parts begun */
	int64_t plain, enc;    /* of the open part */
	int64_t total;         /* every part, before encryption */
	int failed;
	json_t *list;
};

static int digest_b64(EVP_MD_CTX *md, char out[64])
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int n;
	ksef_buf b = KSEF_BUF_INIT;

	if (EVP_DigestFinal_ex(md, h, &n) != 1 ||
	    ksef_base64_encode(&b, h, n, NULL) != 0)
		return -1;
	snprintf(out, 64, "%s", (const char *)b.ptr);
	ksef_buf_dispose(&b);
	return 0;
}

static int part_write(struct parts *p, const unsigned char *d, size_t n)
{
	if (n > 0 && (fwrite(d, 1, n, p->f) != n ||
		      EVP_DigestUpdate(p->enc_md, d, n) != 1))
		return -1;
	p->enc += (int64_t)n;
	return 0;
}

static int part_open(struct parts *p)
{
	char path[PATH_MAX + 64];

	p->n++;
	snprintf(path, sizeof(path), "%s/%s-%03d.zip.aes", p->dir, p->ref,
		 p->n);
	p->plain = p->enc = 0;
	if ((p->f = fopen(path, "wb")) == NULL ||
	    EVP_EncryptInit_ex(p->cipher, EVP_aes_256_cbc(), NULL, p->key,
			       p->iv) != 1 ||
	    EVP_DigestInit_ex(p->plain_md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(p->enc_md, EVP_sha256(), NULL) != 1)
		return -1;
	return 0;
}

static int part_close(struct parts *p)
{
	unsigned char out[32];
	char name[128], ph[64], eh[64];
	int n = 0, rc = 0;

	if (p->f == NULL)
		return 0;
	if (EVP_EncryptFinal_ex(p->cipher, out, &n) != 1 ||
	    part_write(p, out, (size_t)n) != 0 ||
	    digest_b64(p->plain_md, ph) != 0 ||
	    digest_b64(p->enc_md, eh) != 0)
		rc = -1;
	if (fclose(p->f) != 0)
		rc = -1;
	p->f = NULL;
	snprintf(name, sizeof(name), "%s-%03d.zip.aes", p->ref, p->n);
	if (rc == 0)
		json_array_append_new(p->list, json_pack("{s:i,s:s,s:I,s:s,"
			"s:I,s:s}", "ordinalNumber", p->n, "partName", name,
			"partSize", (json_int_t)p->plain, "partHash", ph,
			"encryptedPartSize", (json_int_t)p->enc,
			"encryptedPartHash", eh));
	return rc;
}

/* libarchive's output: cut into parts, encrypt, hash. */
static la_ssize_t on_write(struct archive *a, void *arg, const void *buf,
			   size_t len)
{
	struct parts *p = arg;
	const unsigned char *d = buf;
	unsigned char out[65536 + 32];
	size_t left = len, take;
	int n;

	(void)a;
	while (left > 0 && !p->failed) {
		if (p->f == NULL && part_open(p) != 0)
			break;
		take = (size_t)(p->max - p->plain);
		if (take > left)
			take = left;
		if (take > 65536)
			take = 65536;
		if (EVP_EncryptUpdate(p->cipher, out, &n, d, (int)take) != 1 ||
		    EVP_DigestUpdate(p->plain_md, d, take) != 1 ||
		    part_write(p, out, (size_t)n) != 0)
			break;
		p->plain += (int64_t)take;
		p->total += (int64_t)take;
		d += take;
		left -= take;
		if (p->plain == p->max && part_close(p) != 0)
			break;
	}
	if (left > 0 || p->failed) {
		p->failed = 1;
		archive_set_error(a, EIO, "cannot write an export part");
		return -1;
	}
	return (la_ssize_t)len;
}

static int add_file(struct archive *a, const char *name, const void *data,
		    size_t len, int64_t mtime_ms)
{
	struct archive_entry *e = archive_entry_new();
	int rc = -1;

	if (e == NULL)
		return -1;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, (time_t)(mtime_ms / 1000), 0);
	if (archive_write_header(a, e) == ARCHIVE_OK &&
	    archive_write_data(a, data, len) == (la_ssize_t)len)
		rc = 0;
	archive_entry_free(e);
	return rc;
}

/* The package of e (its key unwrapped into env): status 200 with the
 * package JSON in *package, or a failure status. */
static int build(struct server *srv, const store_export *e,
		 const ksef_envelope *env, char **package)
{
	struct retrieval_filters f;
	struct parts p;
	store_meta_row *rows = NULL;
	struct archive *a = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	json_t *filters, *meta = json_array(), *pkg;
	size_t n = 0, i, included = 0, max;
	int64_t hwm, now = server_now_ms();
	int truncated, status = 500;
	char msg[256], *text;
	ksef_error err;

	memset(&p, 0, sizeof(p));
	filters = json_loads(e->filters, 0, NULL);
	if (filters == NULL || meta == NULL ||
	    retrieval_filters_parse(&f, filters, e->created_ms, msg,
				    sizeof(msg)) != 0)
		goto out;
	if (retrieval_apply_hwm(&f, store_hwm_ms(srv->store), &hwm) != 0) {
		status = 420;
		goto out;
	}
	f.q.nip = e->nip;
	max = srv->cfg.export_max_invoices > 0 &&
	      srv->cfg.export_max_invoices < RETRIEVAL_MAX_RECORDS ?
	      (size_t)srv->cfg.export_max_invoices : RETRIEVAL_MAX_RECORDS;
	f.q.limit = max + 1;
	if (store_meta_query_run(srv->store, &f.q, &rows, &n, &err) != 0)
		goto out;
	export_dir(srv, e->ref, p.dir, sizeof(p.dir));
	p.ref = e->ref;
	p.max = srv->cfg.export_part_bytes > 0 &&
		srv->cfg.export_part_bytes < EXPORT_PART_MAX_BYTES ?
		srv->cfg.export_part_bytes : EXPORT_PART_MAX_BYTES;
	p.key = ksef_envelope_key(env);
	p.iv = ksef_envelope_iv(env);
	p.list = json_array();
	p.cipher = EVP_CIPHER_CTX_new();
	p.plain_md = EVP_MD_CTX_new();
	p.enc_md = EVP_MD_CTX_new();
	a = archive_write_new();
	if (p.list == NULL || p.cipher == NULL || p.plain_md == NULL ||
	    p.enc_md == NULL || a == NULL ||
	    p.dir[0] == '\0' || make_dirs(srv, p.dir) != 0 ||
	    archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &p, NULL, on_write, NULL) != ARCHIVE_OK)
		goto out;
	truncated = n > max;
	for (i = 0; i < n && i < max; i++) {
		char name[KSEF_NUMBER_BUFSZ + 8];

		if (!e->only_metadata) {
			if (p.total >= EXPORT_PACKAGE_MAX_BYTES) {
				truncated = 1;
				break;
			}
			if (store_invoice_plaintext(srv->store, rows[i].inv.ref,
						    &xml, &err) != 0)
				goto out;
			snprintf(name, sizeof(name), "%s.xml",
				 rows[i].inv.ksef_number);
			if (add_file(a, name, xml.ptr, xml.size,
				     rows[i].inv.permanent_storage_ms) != 0)
				goto out;
		}
		json_array_append_new(meta, invoice_meta_json(&rows[i]));
		included++;
	}
	pkg = json_pack("{s:O}", "invoices", meta);
	text = pkg ? json_dumps(pkg, JSON_COMPACT | JSON_REAL_PRECISION(15)) :
		     NULL;
	json_decref(pkg);
	if (text == NULL || add_file(a, "_metadata.json", text, strlen(text),
				     now) != 0) {
		free(text);
		goto out;
	}
	free(text);
	if (archive_write_close(a) != ARCHIVE_OK || p.failed ||
	    part_close(&p) != 0)
		goto out;
	pkg = json_pack("{s:I,s:I,s:O,s:b}", "invoiceCount",
			(json_int_t)included, "size", (json_int_t)p.total,
			"parts", p.list, "isTruncated", truncated);
	if (truncated && included > 0) {
		const store_meta_row *last = &rows[included - 1];

		if (f.q.date_type == 0)
			json_object_set_new(pkg, "lastIssueDate",
					    json_string(last->inv.issue_date));
		else
			json_object_set_new(pkg, f.q.date_type == 1 ?
				"lastInvoicingDate" :
				"lastPermanentStorageDate", api_time(last->key));
	}
	if (f.q.date_type == 2)
		json_object_set_new(pkg, "permanentStorageHwmDate",
				    api_time(hwm));
	*package = json_dumps(pkg, JSON_COMPACT);
	json_decref(pkg);
	status = *package != NULL ? 200 : 500;
out:
	if (p.f != NULL)
		fclose(p.f);
	if (a != NULL)
		archive_write_free(a);
	EVP_CIPHER_CTX_free(p.cipher);
	EVP_MD_CTX_free(p.plain_md);
	EVP_MD_CTX_free(p.enc_md);
	json_decref(p.list);
	json_decref(meta);
	json_decref(filters);
	ksef_buf_dispose(&xml);
	free(rows);
	return status;
}

/* Remove an export's folder and the parts in it (names we made). */
static void remove_dir(const char *dir)
{
	char path[PATH_MAX + 300];
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (dp == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		unlink(path);
	}
	closedir(dp);
	rmdir(dir);
}

static void build_one(struct server *srv, const char *ref)
{
	store_export *e = malloc(sizeof(*e));
	struct ring_key *rk;
	ksef_envelope *env = NULL;
	char *package = NULL, dir[PATH_MAX];
	int status = 415;
	store_claim *claim = NULL;
	ksef_error err;

	/* One process builds an export (with PostgreSQL, one node): the
	 * status is read under the claim. */
	if (e == NULL || store_claim_take(srv->store, ref, &claim, NULL) != 0 ||
	    store_export_get(srv->store, ref, e, &err) != 0 ||
	    e->status != 100) {
		store_unclaim(claim);
		free(e);
		return;
	}
	if (keyring_refresh(srv, &err) == 0) {
		keyring_lock(srv);
		rk = keyring_by_id(srv, e->key_id);
		if (rk != NULL && ksef_envelope_unwrap_key(&env, rk->key->priv,
			e->wrapped_key, e->wrapped_key_len, e->iv,
			sizeof(e->iv), NULL) != 0)
			env = NULL;
		keyring_unlock(srv);
	}
	if (env != NULL)
		status = build(srv, e, env, &package);
	if (status != 200) {
		/* nothing half-built stays behind */
		export_dir(srv, ref, dir, sizeof(dir));
		remove_dir(dir);
	}
	if (store_export_finish(srv->store, ref, status, server_now_ms(),
				package ? package : "", &err) != 0)
		fprintf(stderr, "ksefd: export %s: %s\n", ref, err.message);
	ksef_envelope_free(env);
	free(package);
	OPENSSL_cleanse(e->wrapped_key, sizeof(e->wrapped_key));
	free(e);
	store_unclaim(claim);
}

void export_build_pending(struct server *srv)
{
	char (*refs)[STORE_REF_SZ] = NULL;
	size_t n = 0, i;
	ksef_error err;

	if (store_exports_pending(srv->store, EXPORT_BUILD_PER_TICK, &refs, &n,
				  &err) != 0)
		return;
	for (i = 0; i < n; i++)
		build_one(srv, refs[i]);
	free(refs);
}

void export_purge(struct server *srv)
{
	char (*refs)[STORE_REF_SZ] = NULL, dir[PATH_MAX];
	size_t n = 0, i;
	ksef_error err;

	if (store_exports_expired(srv->store, server_now_ms() - EXPORT_KEEP_MS,
				  16, &refs, &n, &err) != 0)
		return;
	for (i = 0; i < n; i++) {
		export_dir(srv, refs[i], dir, sizeof(dir));
		remove_dir(dir);
		if (store_export_forget(srv->store, refs[i], &err) != 0)
			fprintf(stderr, "ksefd: export %s: %s\n", refs[i],
				err.message);
	}
	free(refs);
}
