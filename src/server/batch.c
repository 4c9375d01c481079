/*
 * batch.c - owns the processing of a batch package (batch.h), run by
 * worker.c's batch thread. The parts are decrypted one at a time with
 * the session's key and appended to one package file next to them, whose
 * size and SHA-256 must be the declared ones; batch_archive.c checks the
 * whole package before any invoice is looked at, then hands the invoices
 * over one by one to decide.c and the store's one write of an invoice,
 * exactly as an online invoice goes (so duplicates are found across
 * online and batch sessions alike).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "batch.h"
#include "batch_archive.h"
#include "batch_parts.h"
#include "decide.h"
#include "session_keys.h"
#include "verdict.h"

struct run {
	struct server *srv;
	store_session s;
	store_batch_file f;
	int skip;              /* invoices a previous run stored */
	int seen;
	int store_result;      /* of the failed write, if one failed */
};

/* One asynchronous write awaited. */
struct wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done, result;
};

static void written(void *arg, int result)
{
	struct wait *w = arg;

	pthread_mutex_lock(&w->lock);
	w->done = 1;
	w->result = result;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static int read_file(ksef_buf *out, const char *path, int64_t size)
{
	FILE *fp = fopen(path, "rb");
	int rc = -1;

	if (fp == NULL)
		return -1;
	if (size >= 0 && size <= BATCH_MAX_PART_BYTES &&
	    ksef_buf_reserve(out, (size_t)size + 1,
			     (size_t)BATCH_MAX_PART_BYTES + 1) == 0 &&
	    fread(out->ptr, 1, (size_t)size, fp) == (size_t)size &&
	    fgetc(fp) == EOF) {
		out->size = (size_t)size;
		rc = 0;
	}
	fclose(fp);
	return rc;
}

/* Decrypt and join the parts into pkg: 0, or the session's status. */
static int join(struct run *r, const char *pkg, char *why, size_t n_why)
{
	struct server *srv = r->srv;
	store_batch_part *parts = NULL;
	unsigned char d[EVP_MAX_MD_SIZE];
	char path[PATH_MAX], b64[STORE_B64_SHA_SZ + 4];
	ksef_buf ct = KSEF_BUF_INIT, plain = KSEF_BUF_INIT;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t total = 0;
	unsigned dlen = 0;
	size_t n = 0, i;
	int fd = -1, status = 500;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    store_batch_parts(srv->store, r->s.ref, &parts, &n, NULL) != 0 ||
	    (fd = open(pkg, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		ssize_t w = 0;
		size_t off;

		if (batch_part_file(path, sizeof(path), srv->cfg.data_dir,
				    r->s.ref, parts[i].ordinal) != 0 ||
		    read_file(&ct, path, parts[i].file_size) != 0) {
			status = 405; /* a part went missing on disk */
			snprintf(why, n_why, "Nie można odczytać części %d.",
				 parts[i].ordinal);
			goto out;
		}
		if (session_keys_decrypt(srv->session_keys, &r->s, ct.ptr,
					 ct.size, &plain, NULL) != 0) {
			status = 435;
			snprintf(why, n_why, "Nie udało się odszyfrować części "
				 "%d.", parts[i].ordinal);
			goto out;
		}
		ksef_buf_dispose(&ct);
		if (EVP_DigestUpdate(md, plain.ptr, plain.size) != 1)
			goto out;
		for (off = 0; off < plain.size; off += (size_t)w) {
			w = write(fd, plain.ptr + off, plain.size - off);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0)
				goto out;
		}
		total += plain.size;
		ksef_buf_dispose_secure(&plain);
	}
	if (EVP_DigestFinal_ex(md, d, &dlen) != 1 || dlen != 32)
		goto out;
	EVP_EncodeBlock((unsigned char *)b64, d, (int)dlen);
	/* The package must be the one declared (BatchFileInfo). */
	status = 0;
	if (total != (uint64_t)r->f.file_size) {
		status = 405;
		snprintf(why, n_why, "Rozmiar paczki (%llu B) nie zgadza się z "
			 "zadeklarowanym (%lld B).", (unsigned long long)total,
			 (long long)r->f.file_size);
	} else if (strcmp(b64, r->f.file_hash) != 0) {
		status = 405;
		snprintf(why, n_why, "Skrót paczki nie zgadza się z "
			 "zadeklarowanym.");
	}
out:
	if (fd >= 0 && close(fd) != 0 && status == 0)
		status = 500;
	ksef_buf_dispose(&ct);
	ksef_buf_dispose_secure(&plain);
	EVP_MD_CTX_free(md);
	free(parts);
	return status;
}

static int one_invoice(void *arg, const char *name,
		       const unsigned char *data, size_t len)
{
	struct run *r = arg;
	struct server *srv = r->srv;
	struct wait w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			  0, 0 };
	ksef_buf plain = KSEF_BUF_INIT;
	store_invoice inv;
	ksef_error err;
	int session_status = 0;

	if (++r->seen <= r->skip)
		return 0; /* stored by the run a restart cut short */
	memset(&inv, 0, sizeof(inv));
	if (ksef_refnum_generate(inv.ref, KSEF_REFNUM_INVOICE,
				 ksef_time_warsaw(server_now_ms()),
				 &err) != 0 ||
	    ksef_sha256_base64(inv.invoice_hash, data, len, NULL) != 0 ||
	    ksef_buf_append(&plain, data, len, len) != 0)
		return -1;
	snprintf(inv.session_ref, sizeof(inv.session_ref), "%s", r->s.ref);
	snprintf(inv.file_name, sizeof(inv.file_name), "%s", name);
	/* A batch invoice is not encrypted on its own: its "encrypted"
	 * hash and size are its own. */
	memcpy(inv.encrypted_hash, inv.invoice_hash, sizeof(inv.invoice_hash));
	inv.invoice_size = inv.encrypted_size = (int64_t)len;
	inv.offline_mode = r->f.offline;
	inv.invoicing_ms = server_now_ms();
	inv.status = 100;
	decide_plaintext(srv, &r->s, &inv, &plain);
	if (store_invoice_add(srv->store, &inv, plain.ptr, plain.size,
			      verdict_duplicate, &session_status, written, &w,
			      &err) < 0) {
		w.result = STORE_ERROR;
	} else {
		pthread_mutex_lock(&w.lock);
		while (!w.done)
			pthread_cond_wait(&w.cond, &w.lock);
		pthread_mutex_unlock(&w.lock);
	}
	ksef_buf_dispose_secure(&plain);
	if (w.result != STORE_OK) {
		r->store_result = w.result;
		return -1;
	}
	return 0;
}

static int archive_status(int rc, const struct run *r)
{
	switch (rc) {
	case BATCH_ARCHIVE_OK: return 170;
	case BATCH_ARCHIVE_EMPTY: return 170; /* no invoice: 440 */
	case BATCH_ARCHIVE_NOT_ARCHIVE:
	case BATCH_ARCHIVE_HOSTILE: return 405;
	case BATCH_ARCHIVE_CORRUPT: return 430;
	case BATCH_ARCHIVE_TOO_MANY: return 420;
	default: return r->store_result == STORE_FULL ? 420 : 500;
	}
}

void batch_process(struct server *srv, const char *ref)
{
	struct run r;
	batch_archive_limits lim;
	char pkg[PATH_MAX], why[512] = "", *details = NULL;
	json_t *a;
	int status, rc;
	ksef_error err;

	memset(&r, 0, sizeof(r));
	r.srv = srv;
	if (store_session_get(srv->store, ref, &r.s, &err) != 0 ||
	    r.s.status != 150)
		return;
	if (store_batch_get(srv->store, ref, &r.f, &err) != 0) {
		snprintf(why, sizeof(why), "Brak opisu paczki.");
		status = 405;
		goto done;
	}
	r.skip = r.s.invoice_count;
	if (batch_dir(pkg, sizeof(pkg) - 16, srv->cfg.data_dir, ref) != 0) {
		status = 500;
		goto done;
	}
	strcat(pkg, "/package");
	if ((status = join(&r, pkg, why, sizeof(why))) != 0)
		goto done;
	memset(&lim, 0, sizeof(lim));
	lim.targz = strcmp(r.f.compression, "TarGz") == 0;
	lim.max_entries = r.s.max_invoices > 0 ? (size_t)r.s.max_invoices : 1;
	lim.max_entry_bytes = BATCH_MAX_ENTRY_BYTES;
	lim.max_total_bytes = BATCH_MAX_UNPACKED_BYTES;
	lim.max_ratio = BATCH_MAX_RATIO;
	rc = batch_archive_check(pkg, &lim, why, sizeof(why));
	if (rc == BATCH_ARCHIVE_OK)
		rc = batch_archive_each(pkg, &lim, one_invoice, &r, why,
					sizeof(why));
	status = archive_status(rc, &r);
	if (rc != BATCH_ARCHIVE_OK && rc != BATCH_ARCHIVE_EMPTY)
		fprintf(stderr, "ksefd: batch: %s: status %d\n", ref, status);
done:
	if (status != 170 && why[0] != '\0') {
		a = json_pack("[s]", why);
		details = a ? json_dumps(a, JSON_COMPACT) : NULL;
		json_decref(a);
	}
	if (store_batch_set_status(srv->store, ref, status, details,
				   server_now_ms(), &err) != 0)
		fprintf(stderr, "ksefd: batch: %s: %s\n", ref, err.message);
	free(details);
	batch_dir_remove(srv->cfg.data_dir, ref);
	if (status != 170)
		session_keys_evict(srv->session_keys, ref);
}
