/*
 * batch_parts.c - owns a batch package's parts on disk and the checks of
 * their declaration (batch_parts.h). A part is written to a temporary
 * file as its body arrives and renamed into place only when its size and
 * hash are what the session declared, so a part file is always whole.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "batch_parts.h"

int batch_parts_check(const store_batch_part *parts, size_t n, char *why,
		      size_t why_size)
{
	unsigned char seen[BATCH_MAX_PARTS + 1] = { 0 };
	size_t i;

	if (n > BATCH_MAX_PARTS) {
		snprintf(why, why_size, "Zadeklarowano %zu części, dozwolone "
			 "jest %d.", n, BATCH_MAX_PARTS);
		return 21161;
	}
	if (n == 0) {
		snprintf(why, why_size, "Pole 'batchFile.fileParts' musi "
			 "zawierać co najmniej jedną część.");
		return 21405;
	}
	for (i = 0; i < n; i++) {
		if (parts[i].ordinal < 1 || (size_t)parts[i].ordinal > n ||
		    seen[parts[i].ordinal]) {
			snprintf(why, why_size, "Numery części muszą być "
				 "kolejnymi liczbami od 1 do %zu, każda raz.",
				 n);
			return 21405;
		}
		seen[parts[i].ordinal] = 1;
		if (parts[i].file_size < 1 ||
		    parts[i].file_size > BATCH_MAX_PART_BYTES) {
			snprintf(why, why_size, "Rozmiar części %d (%lld B) "
				 "jest poza dozwolonym zakresem 1-%lld B.",
				 parts[i].ordinal,
				 (long long)parts[i].file_size,
				 (long long)BATCH_MAX_PART_BYTES);
			return 21157;
		}
	}
	return 0;
}

int batch_part_link_path(char *out, size_t size, const char *ref,
			 int ordinal)
{
	int n = snprintf(out, size, "/storage/%s/batch-parts/%d", ref,
			 ordinal);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int batch_dir(char *out, size_t size, const char *data_dir, const char *ref)
{
	int n = snprintf(out, size, "%s/batch/%s", data_dir, ref);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int batch_part_file(char *out, size_t size, const char *data_dir,
		    const char *ref, int ordinal)
{
	int n = snprintf(out, size, "%s/batch/%s/%d.part", data_dir, ref,
			 ordinal);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

void batch_dir_remove(const char *data_dir, const char *ref)
{
	char dir[PATH_MAX], file[PATH_MAX + 300];
	struct dirent *e;
	DIR *d;

	if (batch_dir(dir, sizeof(dir), data_dir, ref) != 0 ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
		unlink(file);
	}
	closedir(d);
	rmdir(dir);
}

struct batch_upload {
	int fd;
	EVP_MD_CTX *md;
	int64_t size, declared;
	char hash[STORE_B64_SHA_SZ];
	char tmp[PATH_MAX], final[PATH_MAX];
	int finished;
};

int batch_upload_open(batch_upload **out, const char *data_dir,
		      const char *ref, int ordinal, int64_t size,
		      const char *hash)
{
	batch_upload *u = calloc(1, sizeof(*u));
	char dir[PATH_MAX];
	int n;

	*out = NULL;
	if (u == NULL)
		return BATCH_UPLOAD_IO;
	u->fd = -1;
	u->declared = size;
	snprintf(u->hash, sizeof(u->hash), "%s", hash);
	snprintf(dir, sizeof(dir), "%s/batch", data_dir);
	if ((mkdir(dir, 0700) != 0 && errno != EEXIST) ||
	    batch_dir(dir, sizeof(dir), data_dir, ref) != 0 ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST) ||
	    batch_part_file(u->final, sizeof(u->final), data_dir, ref,
			    ordinal) != 0)
		goto fail;
	/* Two puts of one part at once each write their own file; the last
	 * whole one wins the rename. */
	n = snprintf(u->tmp, sizeof(u->tmp), "%s.XXXXXX", u->final);
	if (n < 0 || (size_t)n >= sizeof(u->tmp) ||
	    (u->fd = mkstemp(u->tmp)) < 0)
		goto fail;
	if ((u->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1)
		goto fail;
	*out = u;
	return 0;
fail:
	batch_upload_free(u);
	return BATCH_UPLOAD_IO;
}

int batch_upload_write(batch_upload *u, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t keep = len;
	ssize_t w;

	if (u->size >= u->declared)
		keep = 0;
	else if ((int64_t)len > u->declared - u->size)
		keep = (size_t)(u->declared - u->size);
	u->size += (int64_t)len;
	if (keep > 0 && EVP_DigestUpdate(u->md, p, keep) != 1)
		return BATCH_UPLOAD_IO;
	while (keep > 0) {
		w = write(u->fd, p, keep);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return BATCH_UPLOAD_IO;
		p += w;
		keep -= (size_t)w;
	}
	return 0;
}

int batch_upload_finish(batch_upload *u)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	char b64[STORE_B64_SHA_SZ + 4];
	unsigned dlen = 0;

	if (u->size != u->declared)
		return BATCH_UPLOAD_SIZE;
	if (EVP_DigestFinal_ex(u->md, d, &dlen) != 1 || dlen != 32)
		return BATCH_UPLOAD_IO;
	EVP_EncodeBlock((unsigned char *)b64, d, (int)dlen);
	if (strcmp(b64, u->hash) != 0)
		return BATCH_UPLOAD_HASH;
	if (fsync(u->fd) != 0 || rename(u->tmp, u->final) != 0)
		return BATCH_UPLOAD_IO;
	u->finished = 1;
	return 0;
}

int64_t batch_upload_size(const batch_upload *u)
{
	return u->size;
}

void batch_upload_free(batch_upload *u)
{
	if (u == NULL)
		return;
	if (u->fd >= 0) {
		close(u->fd);
		if (!u->finished)
			unlink(u->tmp);
	}
	EVP_MD_CTX_free(u->md);
	free(u);
}
