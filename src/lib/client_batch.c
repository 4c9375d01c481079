/*
 * client_batch.c - owns the ksef_batch object and its package
 * (sesja-wsadowa.md steps 1-3): the files zipped with libarchive, the ZIP
 * stream cut into parts and each part encrypted on its own, all as the
 * bytes come, into one unlinked temporary file. No stage holds the
 * package: libarchive hands over a block at a time, the splitter hashes
 * it into the package's SHA-256, encrypts it into the current part and
 * writes the ciphertext out, hashing it into the part's SHA-256. The
 * request that declares it all is client_batch_api.c's; sending, waiting
 * and the UPOs are client_batch_send.c's.
 *
 * The entry names are the files' base names, once each: KSeF gives every
 * invoice its entry name back (invoiceFileName), which is how a file's
 * verdict is found again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include "internal.h"
#include "options.h"
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "client_batch_int.h"
#include "session_int.h"

/* Bytes read from a file, and encrypted, per step: bounds the memory of
 * the whole build. */
#define CHUNK 262144
/* libarchive's output block. */
#define ARCHIVE_BLOCK 65536
/* The longest entry name (NAME_MAX of the file systems the names come
 * from). */
#define NAME_MAX_BYTES 255

/* The bytes of each version of ksef_batch_options (options.h). */
static const size_t batch_options_sizes[] = {
	KSEF__OPTIONS_END(ksef_batch_options, offline_mode), /* 1 */
};
KSEF__OPTIONS_SIZES(batch_options_sizes, KSEF_BATCH_OPTIONS_VERSION);

const char *ksef__batch_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

void ksef_batch_free(ksef_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	if (b->fd >= 0)
		close(b->fd);
	ksef_envelope_free(b->env);
	ksef_client_free(b->client);
	for (i = 0; i < b->count; i++) {
		if (b->inv != NULL)
			ksef__session_invoice_clear(&b->inv[i]);
		if (b->files != NULL)
			free(b->files[i]);
	}
	free(b->inv);
	free(b->files);
	free(b->by_name);
	for (i = 0; i < b->upo_count; i++)
		free(b->upo_refs[i]);
	free(b->upo_refs);
	free(b->status_description);
	free(b->status_details);
	free(b->temp_dir);
	free(b);
}

/*
 * Names
 */

/* What the package may hold as a name: ksefd refuses, as a hostile
 * package, names with a path, a drive or a control character
 * (docs/ksefd.md "Batch sessions"), and takes .xml files only. */
static int check_name(const char *path, const char *name, ksef_error *err)
{
	size_t i, len = strlen(name);

	if (len < 5 || strcasecmp(name + len - 4, ".xml") != 0)
		return ksef__error_set(err, KSEF_EINVAL, "%s: the package "
			"takes invoice files named *.xml only", path);
	if (len > NAME_MAX_BYTES)
		return ksef__error_set(err, KSEF_EINVAL, "%s: the name is over "
			"%d bytes", path, NAME_MAX_BYTES);
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f ||
		    name[i] == '\\' || name[i] == ':')
			return ksef__error_set(err, KSEF_EINVAL, "%s: a "
				"name in the package may hold no control "
				"character, '\\' or ':'", path);
	return 0;
}

static int by_name_cmp(const void *a, const void *b)
{
	const struct ksef__batch_name *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Copy the paths, check their names, and refuse a name given twice:
 * the package could hold only one of them. */
static int take_files(ksef_batch *b, const char *const *files, size_t count,
		      ksef_error *err)
{
	size_t i;
	int error;

	if ((b->files = calloc(count, sizeof(*b->files))) == NULL ||
	    (b->by_name = calloc(count, sizeof(*b->by_name))) == NULL ||
	    (b->inv = calloc(count, sizeof(*b->inv))) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	b->count = count;
	for (i = 0; i < count; i++) {
		if (files[i] == NULL)
			return ksef__error_set(err, KSEF_EINVAL,
					       "file %zu is NULL", i + 1);
		if ((b->files[i] = strdup(files[i])) == NULL)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		b->by_name[i].name = ksef__batch_base_name(b->files[i]);
		b->by_name[i].index = i;
		if ((error = check_name(files[i], b->by_name[i].name,
					err)) < 0)
			return error;
	}
	qsort(b->by_name, count, sizeof(*b->by_name), by_name_cmp);
	for (i = 1; i < count; i++)
		if (strcmp(b->by_name[i - 1].name, b->by_name[i].name) == 0)
			return ksef__error_set(err, KSEF_EINVAL, "%s and %s "
				"have the same name in the package",
				b->files[b->by_name[i - 1].index],
				b->files[b->by_name[i].index]);
	return 0;
}

/*
 * The splitter: ZIP bytes in, encrypted parts out
 */

struct splitter {
	ksef_batch *b;
	ksef_error *err;
	int error;                /* the first failure, kept for libarchive */
	EVP_MD_CTX *package_md;
	EVP_MD_CTX *part_md;
	ksef_envelope_stream *es; /* the current part's, or NULL */
	ksef_buf out;             /* ciphertext not yet written */
	int64_t written;          /* bytes in the temporary file */
};

static int write_all(int fd, const unsigned char *p, size_t n,
		     ksef_error *err)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return ksef__error_set(err, KSEF_EIO, "writing the "
				"batch's temporary file: %s", w < 0 ?
				strerror(errno) : "nothing written");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int flush_out(struct splitter *sp)
{
	struct ksef__batch_part *p = &sp->b->parts[sp->b->part_count];
	int error;

	if (sp->out.size == 0)
		return 0;
	if (EVP_DigestUpdate(sp->part_md, sp->out.ptr, sp->out.size) != 1)
		return ksef__error_openssl(sp->err, KSEF_ECRYPTO, "SHA-256");
	if ((error = write_all(sp->b->fd, sp->out.ptr, sp->out.size,
			       sp->err)) < 0)
		return error;
	p->enc_size += (int64_t)sp->out.size;
	sp->written += (int64_t)sp->out.size;
	sp->out.size = 0;
	return 0;
}

static int part_begin(struct splitter *sp)
{
	ksef_batch *b = sp->b;
	struct ksef__batch_part *p;
	int error;

	if (b->part_count == KSEF_BATCH_MAX_PARTS)
		return ksef__error_set(sp->err, KSEF_ETOOBIG, "the package "
			"needs more than %d parts (KSEF_BATCH_MAX_PARTS) of "
			"%lld bytes", KSEF_BATCH_MAX_PARTS,
			(long long)b->o.part_size);
	p = &b->parts[b->part_count];
	memset(p, 0, sizeof(*p));
	p->offset = sp->written;
	if ((error = ksef_envelope_stream_new(&sp->es, b->env, 1,
					      sp->err)) < 0)
		return error;
	if (EVP_DigestInit_ex(sp->part_md, ksef__sha256(), NULL) != 1)
		return ksef__error_openssl(sp->err, KSEF_ECRYPTO, "SHA-256");
	return 0;
}

/* Base64 of a digest just finished into md. */
static int digest_b64(char out[KSEF_SHA256_B64_LEN + 1], EVP_MD_CTX *md,
		      ksef_error *err)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	ksef_buf b64 = KSEF_BUF_INIT;
	int error;

	if (EVP_DigestFinal_ex(md, d, &dlen) != 1 || dlen != KSEF_SHA256_LEN)
		return ksef__error_openssl(err, KSEF_ECRYPTO, "SHA-256");
	if ((error = ksef_base64_encode(&b64, d, dlen, err)) < 0)
		return error;
	memcpy(out, b64.ptr, KSEF_SHA256_B64_LEN);
	out[KSEF_SHA256_B64_LEN] = '\0';
	ksef_buf_dispose(&b64);
	return 0;
}

static int part_end(struct splitter *sp)
{
	ksef_batch *b = sp->b;
	int error;

	if ((error = ksef_envelope_stream_final(sp->es, &sp->out, CHUNK * 2,
						sp->err)) < 0 ||
	    (error = flush_out(sp)) < 0 ||
	    (error = digest_b64(b->parts[b->part_count].hash, sp->part_md,
				sp->err)) < 0)
		return error;
	ksef_envelope_stream_free(sp->es);
	sp->es = NULL;
	b->part_count++;
	return 0;
}

static int feed(struct splitter *sp, const unsigned char *p, size_t n)
{
	ksef_batch *b = sp->b;
	struct ksef__batch_part *part;
	int64_t room;
	size_t k;
	int error;

	if ((int64_t)n > KSEF_BATCH_PACKAGE_MAX_BYTES - b->package_size)
		return ksef__error_set(sp->err, KSEF_ETOOBIG, "the package is "
			"over %lld bytes (KSEF_BATCH_PACKAGE_MAX_BYTES)",
			(long long)KSEF_BATCH_PACKAGE_MAX_BYTES);
	if (EVP_DigestUpdate(sp->package_md, p, n) != 1)
		return ksef__error_openssl(sp->err, KSEF_ECRYPTO, "SHA-256");
	b->package_size += (int64_t)n;
	while (n > 0) {
		if (sp->es == NULL && (error = part_begin(sp)) < 0)
			return error;
		part = &b->parts[b->part_count];
		room = b->o.part_size - part->plain_size;
		k = n < CHUNK ? n : CHUNK;
		if ((int64_t)k > room)
			k = (size_t)room;
		if ((error = ksef_envelope_stream_update(sp->es, &sp->out, p,
				k, CHUNK * 2, sp->err)) < 0 ||
		    (error = flush_out(sp)) < 0)
			return error;
		part->plain_size += (int64_t)k;
		p += k;
		n -= k;
		if (part->plain_size == b->o.part_size &&
		    (error = part_end(sp)) < 0)
			return error;
	}
	return 0;
}

static la_ssize_t on_archive_bytes(struct archive *a, void *ctx,
				   const void *buf, size_t n)
{
	struct splitter *sp = ctx;

	(void)a;
	if (sp->error == 0)
		sp->error = feed(sp, buf, n);
	/* A failure is kept in sp->error and the bytes are dropped, never
	 * reported to libarchive: in its fatal state libarchive 3.6 frees
	 * the ZIP writer without ending the entry's zlib stream (a leak),
	 * while archive_write_close() ends it. */
	return (la_ssize_t)n;
}

/*
 * The package
 */

/* libarchive does no I/O here: it writes only to on_archive_bytes(),
 * whose failure is kept in sp->error, and the files are read by
 * add_file(). What else fails in it (the format, zlib's state, a buffer)
 * is memory. */
static int archive_fail(struct splitter *sp, struct archive *a,
			const char *what)
{
	if (sp->error < 0)
		return sp->error;
	return ksef__error_set(sp->err, KSEF_ENOMEM, "out of memory (%s: %s)",
			       what, archive_error_string(a) ?
			       archive_error_string(a) : "libarchive failed");
}

/* An entry's name and header. libarchive 3.6's string functions end the
 * process when they cannot grow a string (__archive_errx, "Out of
 * memory"), and naming an entry and writing its header use them: the
 * allocation-failure tests (tests/alloc) spare the allocations made in
 * here, which is why it is a function of its own and not static. */
__attribute__((noinline)) int ksef__batch_entry_header(struct archive *a,
	struct archive_entry *ae, const char *name)
{
	archive_entry_set_pathname(ae, name);
	return archive_write_header(a, ae) == ARCHIVE_OK ? 0 : -1;
}

/* One file into the package, its SHA-256 (invoiceHash) into its entry. */
static int add_file(struct splitter *sp, struct archive *a, size_t i,
		    unsigned char *buf)
{
	ksef_batch *b = sp->b;
	const char *path = b->files[i];
	struct archive_entry *ae = NULL;
	char hash[KSEF_SHA256_B64_LEN + 1];
	EVP_MD_CTX *md = NULL;
	struct stat st;
	int64_t left;
	ssize_t r;
	int fd, error = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ksef__error_set(sp->err, KSEF_EIO, "%s: %s", path,
				       strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		error = ksef__error_set(sp->err, KSEF_EIO, "%s: not a "
					"regular file", path);
		goto done;
	}
	if (st.st_size == 0) {
		error = ksef__error_set(sp->err, KSEF_EFORMAT, "%s: is empty",
					path);
		goto done;
	}
	if (st.st_size > KSEF_INVOICE_MAX_BYTES) {
		error = ksef__error_set(sp->err, KSEF_ETOOBIG, "%s: %lld "
			"bytes, over the limit of %d (KSEF_INVOICE_MAX_BYTES)",
			path, (long long)st.st_size, KSEF_INVOICE_MAX_BYTES);
		goto done;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, ksef__sha256(), NULL) != 1) {
		error = ksef__error_openssl(sp->err, KSEF_ENOMEM, "SHA-256");
		goto done;
	}
	if ((ae = archive_entry_new()) == NULL) {
		error = ksef__error_set(sp->err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0644);
	archive_entry_set_size(ae, (la_int64_t)st.st_size);
	archive_entry_set_mtime(ae, st.st_mtime, 0);
	if (ksef__batch_entry_header(a, ae, ksef__batch_base_name(path)) !=
	    0) {
		error = archive_fail(sp, a, path);
		goto done;
	}
	/* The size declared in the header is what is written, even if the
	 * file changes meanwhile: a short read is an error. */
	for (left = st.st_size; left > 0; left -= r) {
		size_t want = left < CHUNK ? (size_t)left : CHUNK;

		r = read(fd, buf, want);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0) {
			error = ksef__error_set(sp->err, KSEF_EIO, "%s: %s",
				path, r < 0 ? strerror(errno) :
				"the file shrank while it was read");
			goto done;
		}
		if (EVP_DigestUpdate(md, buf, (size_t)r) != 1) {
			error = ksef__error_openssl(sp->err, KSEF_ECRYPTO,
						    "SHA-256");
			goto done;
		}
		if (archive_write_data(a, buf, (size_t)r) != r) {
			error = archive_fail(sp, a, path);
			goto done;
		}
		if (sp->error < 0) {
			error = sp->error;
			goto done;
		}
	}
	if ((error = digest_b64(hash, md, sp->err)) < 0)
		goto done;
	if (ksef__session_str_set(&b->inv[i].invoice_hash, hash) != 0)
		error = ksef__error_set(sp->err, KSEF_ENOMEM, "out of memory");
done:
	archive_entry_free(ae);
	EVP_MD_CTX_free(md);
	close(fd);
	return error;
}

static int temp_file(ksef_batch *b, ksef_error *err)
{
	const char *dir = b->o.temp_dir;
	char path[4096];
	int n;

	if (dir == NULL && (dir = getenv("TMPDIR")) == NULL)
		dir = "/tmp";
	n = snprintf(path, sizeof(path), "%s/ksef-batch-XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ksef__error_set(err, KSEF_EINVAL, "the temporary "
				       "folder's name is too long");
	if ((b->fd = mkstemp(path)) < 0)
		return ksef__error_set(err, KSEF_EIO, "cannot make a temporary "
				       "file in %s: %s", dir, strerror(errno));
	/* Nobody else needs its name: it goes when its descriptor does. */
	unlink(path);
	(void)fcntl(b->fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

static int build(ksef_batch *b, ksef_error *err)
{
	struct splitter sp;
	struct archive *a = NULL;
	unsigned char *buf = NULL;
	size_t i;
	int error = 0;

	memset(&sp, 0, sizeof(sp));
	sp.b = b;
	sp.err = err;
	if ((sp.package_md = EVP_MD_CTX_new()) == NULL ||
	    (sp.part_md = EVP_MD_CTX_new()) == NULL ||
	    (buf = malloc(CHUNK)) == NULL ||
	    (a = archive_write_new()) == NULL) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	if (EVP_DigestInit_ex(sp.package_md, ksef__sha256(), NULL) != 1) {
		error = ksef__error_openssl(err, KSEF_ECRYPTO, "SHA-256");
		goto done;
	}
	/* No padding after the last block: the package is exactly the ZIP
	 * bytes, as fileSize and fileHash declare them. */
	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "zip:compression=deflate") !=
		    ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, ARCHIVE_BLOCK) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &sp, NULL, on_archive_bytes, NULL) !=
		    ARCHIVE_OK) {
		error = archive_fail(&sp, a, "starting the package");
		goto done;
	}
	for (i = 0; i < b->count && error == 0; i++)
		error = add_file(&sp, a, i, buf);
	/* Closed even after a failure, to end the last entry's zlib
	 * stream (what it writes then is dropped). */
	if (archive_write_close(a) != ARCHIVE_OK && error == 0)
		error = archive_fail(&sp, a, "ending the package");
	if (error == 0 && sp.error < 0)
		error = sp.error;
	if (error == 0 && sp.es != NULL)
		error = part_end(&sp);
	if (error == 0)
		error = digest_b64(b->package_hash, sp.package_md, err);
done:
	if (a != NULL)
		archive_write_free(a);
	ksef_envelope_stream_free(sp.es);
	ksef_buf_dispose(&sp.out);
	EVP_MD_CTX_free(sp.package_md);
	EVP_MD_CTX_free(sp.part_md);
	if (buf != NULL)
		ksef__wipe(buf, CHUNK);
	free(buf);
	return error;
}

int ksef_batch_new(ksef_batch **out, ksef_form form,
		   const char *const *files, size_t count,
		   const ksef_batch_options *opts, ksef_error *err)
{
	ksef_batch_options defaults = KSEF_BATCH_OPTIONS_INIT;
	ksef_batch *b;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "out is NULL");
	*out = NULL;
	if (files == NULL || count == 0)
		return ksef__error_set(err, KSEF_EINVAL,
				       "a batch needs at least one file");
	if (count > KSEF_BATCH_MAX_FILES)
		return ksef__error_set(err, KSEF_ETOOBIG, "%zu files, over the "
			"limit of %d (KSEF_BATCH_MAX_FILES)", count,
			KSEF_BATCH_MAX_FILES);
	if (ksef_form_code_of(form).system_code == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "unknown form %d",
				       (int)form);
	if (opts != NULL &&
	    (error = KSEF__OPTIONS_COPY(&defaults, opts, batch_options_sizes,
					KSEF_BATCH_OPTIONS_VERSION,
					"ksef_batch_options", err)) < 0)
		return error;
	if (defaults.part_size == 0)
		defaults.part_size = KSEF_BATCH_PART_MAX_BYTES;
	if (defaults.part_size < 1 ||
	    defaults.part_size > KSEF_BATCH_PART_MAX_BYTES)
		return ksef__error_set(err, KSEF_EINVAL, "part_size must be 1 "
			"to %d bytes (KSEF_BATCH_PART_MAX_BYTES)",
			KSEF_BATCH_PART_MAX_BYTES);
	if (defaults.parallel < 1 ||
	    defaults.parallel > KSEF_BATCH_PARALLEL_MAX)
		return ksef__error_set(err, KSEF_EINVAL, "parallel must be 1 "
			"to %d", KSEF_BATCH_PARALLEL_MAX);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	b->fd = -1;
	b->form = form;
	b->o = defaults;
	if (defaults.temp_dir != NULL &&
	    (b->o.temp_dir = b->temp_dir = strdup(defaults.temp_dir)) ==
		    NULL) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto fail;
	}
	/* A fresh key and IV for every session (sesja-wsadowa.md). */
	if ((error = take_files(b, files, count, err)) < 0 ||
	    (error = temp_file(b, err)) < 0 ||
	    (error = ksef_envelope_new(&b->env, err)) < 0 ||
	    (error = build(b, err)) < 0)
		goto fail;
	*out = b;
	return 0;
fail:
	ksef_batch_free(b);
	return error;
}

/*
 * Accessors
 */

int64_t ksef_batch_package_size(const ksef_batch *b)
{
	return b != NULL ? b->package_size : 0;
}

const char *ksef_batch_package_hash(const ksef_batch *b)
{
	return b != NULL ? b->package_hash : NULL;
}

size_t ksef_batch_part_count(const ksef_batch *b)
{
	return b != NULL ? b->part_count : 0;
}

const char *ksef_batch_part_at(int64_t *plain_size, int64_t *encrypted_size,
			       const ksef_batch *b, size_t i)
{
	if (b == NULL || i >= b->part_count)
		return NULL;
	if (plain_size != NULL)
		*plain_size = b->parts[i].plain_size;
	if (encrypted_size != NULL)
		*encrypted_size = b->parts[i].enc_size;
	return b->parts[i].hash;
}

int ksef_batch_part_read(ksef_buf *out, const ksef_batch *b, size_t i,
			 size_t max, ksef_error *err)
{
	const struct ksef__batch_part *p;
	ksef_buf tmp = KSEF_BUF_INIT;
	size_t done = 0, n;
	ssize_t r;
	int error;

	if (out == NULL || b == NULL || i >= b->part_count)
		return ksef__error_set(err, KSEF_EINVAL,
				       "out, a batch and a part are required");
	p = &b->parts[i];
	if ((uint64_t)p->enc_size > max)
		return ksef__error_set(err, KSEF_ETOOBIG, "part %zu is %lld "
			"bytes, over %zu", i + 1, (long long)p->enc_size, max);
	n = (size_t)p->enc_size;
	if ((error = ksef__buf_grow(&tmp, n, n)) < 0)
		return ksef__error_set(err, error, "out of memory");
	while (done < n) {
		r = pread(b->fd, tmp.ptr + done, n - done,
			  (off_t)(p->offset + (int64_t)done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ksef_buf_dispose(&tmp);
			return ksef__error_set(err, KSEF_EIO, "reading part "
				"%zu: %s", i + 1, r < 0 ? strerror(errno) :
				"the temporary file is short");
		}
		done += (size_t)r;
	}
	tmp.size = n;
	ksef__buf_swap_in(out, &tmp);
	return 0;
}

const char *ksef_batch_file_name(const ksef_batch *b, size_t i)
{
	return b != NULL && i < b->count ?
	       ksef__batch_base_name(b->files[i]) : NULL;
}

size_t ksef_batch_invoice_count(const ksef_batch *b)
{
	return b != NULL ? b->count : 0;
}

const ksef_session_invoice *ksef_batch_invoice_at(const ksef_batch *b,
						  size_t i)
{
	return b != NULL && i < b->count ? &b->inv[i] : NULL;
}
