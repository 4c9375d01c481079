/*
 * batch.c - owns the processing of a batch package (batch.h), run by
 * worker.c's batch thread. The parts are decrypted one at a time, each a
 * stream under the session's key (a part is up to 100 MB, never held
 * whole), and appended to one package file next to them, whose
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
#include "metrics.h"
#include "session_keys.h"
#include "verdict.h"

/*
 * Invoices whose writes may be queued at once. Each write is durable
 * (its own place in a group commit); awaiting each before deciding the
 * next made a batch as slow as one fsync an invoice, so the batch thread
 * keeps up to this many in the store's queue and reuses their slots in
 * turn. The store's writer commits in queue order, so what a crash leaves
 * stored is always the package's first invoices, which is what a restart
 * skips (r->skip).
 */
#define BATCH_WINDOW 64

struct run;

/* One invoice on its way to the store: what store_invoice_add() needs
 * to live until its write is done. */
struct slot {
	struct run *r;
	int busy;
	store_invoice inv;
	store_invoice_meta meta;  /* for retrieval, filled by decide.c */
	ksef_buf plain;
	int session_status;
	ksef_error err;
};

struct run {
	struct server *srv;
	store_session s;
	store_batch_file f;
	int skip;              /* invoices a previous run stored */
	int seen;
	int store_result;      /* of the first failed write, if one failed */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int outstanding;       /* writes queued and not done */
	struct slot *slots;    /* BATCH_WINDOW of them */
	size_t next;           /* the slot the next invoice takes */
};

static void written(void *arg, int result)
{
	struct slot *sl = arg;
	struct run *r = sl->r;

	if (result == STORE_OK)
		metrics_invoice(r->srv->metrics, sl->inv.status);
	pthread_mutex_lock(&r->lock);
	if (result != STORE_OK && r->store_result == 0)
		r->store_result = result;
	sl->busy = 0;
	r->outstanding--;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* Wait until at most `most` writes are queued; the first failure, or 0. */
static int drain(struct run *r, int most)
{
	int failed;

	pthread_mutex_lock(&r->lock);
	while (r->outstanding > most)
		pthread_cond_wait(&r->cond, &r->lock);
	failed = r->store_result;
	pthread_mutex_unlock(&r->lock);
	return failed;
}

/* Bytes read from a part at a time. */
#define PART_CHUNK (256 * 1024)

static int write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Decrypt one part file, of `size` bytes, onto fd and into md: 0, -1 if
 * it cannot be read or written, 1 if it does not decrypt. */
static int decrypt_part(struct run *r, const char *path, int64_t size,
			int fd, EVP_MD_CTX *md, uint64_t *total)
{
	static const size_t out_max = PART_CHUNK + 64;
	unsigned char *in = malloc(PART_CHUNK);
	ksef_envelope_stream *st = NULL;
	ksef_buf plain = KSEF_BUF_INIT;
	int64_t done = 0;
	FILE *fp = NULL;
	size_t n;
	int rc = -1;

	if (in == NULL || (fp = fopen(path, "rb")) == NULL)
		goto out;
	if (session_keys_stream(r->srv->session_keys, &r->s, &st, NULL) != 0) {
		rc = 1;
		goto out;
	}
	while ((n = fread(in, 1, PART_CHUNK, fp)) > 0) {
		done += (int64_t)n;
		plain.size = 0;
		if (done > size ||
		    ksef_envelope_stream_update(st, &plain, in, n, out_max,
						NULL) != 0)
			goto out;
		if (EVP_DigestUpdate(md, plain.ptr, plain.size) != 1 ||
		    write_all(fd, plain.ptr, plain.size) != 0)
			goto out;
		*total += plain.size;
	}
	if (ferror(fp) || done != size)
		goto out;
	plain.size = 0;
	if (ksef_envelope_stream_final(st, &plain, out_max, NULL) != 0) {
		rc = 1;
		goto out;
	}
	if (EVP_DigestUpdate(md, plain.ptr, plain.size) != 1 ||
	    write_all(fd, plain.ptr, plain.size) != 0)
		goto out;
	*total += plain.size;
	rc = 0;
out:
	if (fp != NULL)
		fclose(fp);
	ksef_envelope_stream_free(st);
	ksef_buf_dispose_secure(&plain);
	free(in);
	return rc;
}

/* Decrypt and join the parts into pkg: 0, or the session's status. */
static int join(struct run *r, const char *pkg, char *why, size_t n_why)
{
	struct server *srv = r->srv;
	store_batch_part *parts = NULL;
	unsigned char d[EVP_MAX_MD_SIZE];
	char path[PATH_MAX], b64[STORE_B64_SHA_SZ + 4];
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
		int rc;

		if (batch_part_file(path, sizeof(path), srv->cfg.data_dir,
				    r->s.ref, parts[i].ordinal) != 0 ||
		    (rc = decrypt_part(r, path, parts[i].file_size, fd, md,
				       &total)) < 0) {
			status = 405; /* a part went missing on disk */
			snprintf(why, n_why, "Nie można odczytać części %d.",
				 parts[i].ordinal);
			goto out;
		}
		if (rc > 0) {
			status = 435;
			snprintf(why, n_why, "Nie udało się odszyfrować części "
				 "%d.", parts[i].ordinal);
			goto out;
		}
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
	EVP_MD_CTX_free(md);
	free(parts);
	return status;
}

static int one_invoice(void *arg, const char *name,
		       const unsigned char *data, size_t len)
{
	struct run *r = arg;
	struct server *srv = r->srv;
	struct slot *sl;
	store_invoice *inv;

	if (++r->seen <= r->skip)
		return 0; /* stored by the run a restart cut short */
	/* Slots are taken in turn and writes end in queue order, so once
	 * fewer than BATCH_WINDOW are queued this one is free. */
	if (drain(r, BATCH_WINDOW - 1) != 0)
		return -1;
	sl = &r->slots[r->next];
	r->next = (r->next + 1) % BATCH_WINDOW;
	ksef_buf_dispose_secure(&sl->plain);
	inv = &sl->inv;
	memset(inv, 0, sizeof(*inv));
	memset(&sl->meta, 0, sizeof(sl->meta));
	sl->session_status = 0;
	if (ksef_refnum_generate(inv->ref, KSEF_REFNUM_INVOICE,
				 ksef_time_warsaw(server_now_ms()),
				 &sl->err) != 0 ||
	    ksef_sha256_base64(inv->invoice_hash, data, len, NULL) != 0 ||
	    ksef_buf_append(&sl->plain, data, len, len) != 0)
		return -1;
	snprintf(inv->session_ref, sizeof(inv->session_ref), "%s", r->s.ref);
	snprintf(inv->file_name, sizeof(inv->file_name), "%s", name);
	/* A batch invoice is not encrypted on its own: its "encrypted"
	 * hash and size are its own. */
	memcpy(inv->encrypted_hash, inv->invoice_hash,
	       sizeof(inv->invoice_hash));
	inv->invoice_size = inv->encrypted_size = (int64_t)len;
	inv->offline_mode = r->f.offline;
	inv->invoicing_ms = server_now_ms();
	inv->status = 100;
	inv->meta = &sl->meta;
	decide_plaintext(srv, &r->s, inv, &sl->plain);
	pthread_mutex_lock(&r->lock);
	sl->busy = 1;
	r->outstanding++;
	pthread_mutex_unlock(&r->lock);
	if (store_invoice_add(srv->store, inv, sl->plain.ptr, sl->plain.size,
			      verdict_duplicate, &sl->session_status, written,
			      sl, &sl->err) < 0) {
		written(sl, STORE_ERROR);
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
	store_claim *claim = NULL;
	batch_archive_limits lim;
	char pkg[PATH_MAX], why[512] = "", *details = NULL;
	json_t *a;
	int status, rc;
	size_t i;
	ksef_error err;

	memset(&r, 0, sizeof(r));
	r.srv = srv;
	/* One process takes a package at a time (with PostgreSQL, one
	 * node); the status is read under the claim, so a package that
	 * another finished meanwhile is left alone. */
	if (store_claim_take(srv->store, ref, &claim, NULL) != 0)
		return;
	if (store_session_get(srv->store, ref, &r.s, &err) != 0 ||
	    r.s.status != 150) {
		store_unclaim(claim);
		return;
	}
	r.slots = calloc(BATCH_WINDOW, sizeof(*r.slots));
	if (r.slots == NULL) {
		/* left in 150: processed again at the next look */
		store_unclaim(claim);
		return;
	}
	for (i = 0; i < BATCH_WINDOW; i++)
		r.slots[i].r = &r;
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	if (store_batch_get(srv->store, ref, &r.f, &err) != 0) {
		snprintf(why, sizeof(why), "Brak opisu paczki.");
		status = 405;
		goto done;
	}
	r.skip = r.s.invoice_count;
	/* Another run (this node's before a restart, or a node that died)
	 * got this far: say so, as an operator looks for it after a death. */
	if (r.skip > 0)
		fprintf(stderr, "ksefd: batch: %s: taken up, %d of its "
			"invoices stored by an earlier run\n", ref, r.skip);
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
	/* Every queued write is done before the session moves on; a write
	 * that failed after the walk ended fails the package as one that
	 * failed during it. */
	if (drain(&r, 0) != 0 && rc == BATCH_ARCHIVE_OK)
		rc = BATCH_ARCHIVE_IO;
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
	drain(&r, 0);
	for (i = 0; i < BATCH_WINDOW; i++)
		ksef_buf_dispose_secure(&r.slots[i].plain);
	free(r.slots);
	pthread_mutex_destroy(&r.lock);
	pthread_cond_destroy(&r.cond);
	store_unclaim(claim);
}
