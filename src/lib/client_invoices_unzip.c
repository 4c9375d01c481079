/*
 * client_invoices_unzip.c - unpacks an export package (a ZIP, joined
 * from its decrypted parts) into a folder, with libarchive. It owns the
 * refusal of what a package must not hold: the package is flat
 * ({ksefNumber}.xml and _metadata.json, pobieranie-faktur.md), so every
 * entry must be a regular file with a plain name; a name with a folder,
 * an absolute one, "..", a link or a device would let the server write
 * outside the folder or over the caller's files. Each file is written
 * under a temporary name and renamed once complete, so that a file with
 * the final name is always whole (what deduplication by name relies on).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <archive.h>
#include <archive_entry.h>
#include "internal.h"
#include "client_invoices_int.h"

int ksef__export_name_ok(const char *name)
{
	size_t i, len;

	if (name == NULL)
		return 0;
	len = strnlen(name, KSEF_EXPORT_NAME_MAX + 1);
	/* A leading dot also refuses "." and "..", and the temporary
	 * names this file and the fetch use. */
	if (len == 0 || len > KSEF_EXPORT_NAME_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		char ch = name[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '-'))
			return 0;
	}
	return 1;
}

/* Copy the entry's data into fd, counting against the package's limit. */
static int copy_data(struct archive *a, int fd, uint64_t *total,
		     uint64_t *size, const char *name, ksef_error *err)
{
	unsigned char buf[65536];
	la_ssize_t n;
	size_t off;

	*size = 0;
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		if ((uint64_t)n > KSEF_EXPORT_MAX_UNPACKED_BYTES - *total)
			return ksef__error_set(err, KSEF_ETOOBIG, "the package "
				"unpacks to more than %llu bytes "
				"(KSEF_EXPORT_MAX_UNPACKED_BYTES)",
				(unsigned long long)
				KSEF_EXPORT_MAX_UNPACKED_BYTES);
		*total += (uint64_t)n;
		*size += (uint64_t)n;
		for (off = 0; off < (size_t)n;) {
			ssize_t w = write(fd, buf + off, (size_t)n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return ksef__error_set(err, KSEF_EIO, "%s: %s",
						       name, strerror(errno));
			off += (size_t)w;
		}
	}
	if (n < 0)
		return ksef__error_set(err, KSEF_EFORMAT, "%s: %s", name,
				       archive_error_string(a) ?
				       archive_error_string(a) : "bad data");
	return 0;
}

/* Why an entry may not be unpacked, or NULL when it may. */
static const char *refusal(struct archive_entry *e, const char *name)
{
	if (name == NULL)
		return "has no name";
	if (name[0] == '/' || name[0] == '\\')
		return "has an absolute name";
	if (strstr(name, "..") != NULL)
		return "names a parent folder";
	if (archive_entry_symlink(e) != NULL ||
	    archive_entry_hardlink(e) != NULL)
		return "is a link";
	if (archive_entry_filetype(e) != AE_IFREG)
		return "is not a regular file";
	if (!ksef__export_name_ok(name))
		return "is not a plain file name ([A-Za-z0-9._-], no "
		       "folder, not starting with '.')";
	return NULL;
}

/* Write one entry to dir/name through a temporary file. */
static int put_entry(struct archive *a, int dfd, const char *name,
		     uint64_t *total, uint64_t *size, ksef_error *err)
{
	char tmp[KSEF_EXPORT_NAME_MAX + 32];
	int fd, error;

	snprintf(tmp, sizeof(tmp), ".ksef-tmp-%ld-%s", (long)getpid(), name);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
	if (fd < 0)
		return ksef__error_set(err, KSEF_EIO, "%s: %s", name,
				       strerror(errno));
	error = copy_data(a, fd, total, size, name, err);
	if (close(fd) != 0 && error == 0)
		error = ksef__error_set(err, KSEF_EIO, "%s: %s", name,
					strerror(errno));
	if (error == 0 && renameat(dfd, tmp, dfd, name) != 0)
		error = ksef__error_set(err, KSEF_EIO, "%s: %s", name,
					strerror(errno));
	if (error < 0)
		unlinkat(dfd, tmp, 0);
	return error;
}

int ksef__export_unzip(const char *zip_path, const char *dir,
		       int keep_existing, ksef_export_entry_cb on_entry,
		       void *ud, size_t *written, size_t *kept,
		       uint64_t *bytes, ksef_error *err)
{
	struct archive *a;
	struct archive_entry *e;
	char path[4096];
	size_t entries = 0;
	uint64_t size;
	int dfd, r, error = 0;

	*written = *kept = 0;
	*bytes = 0;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return ksef__error_set(err, KSEF_EIO, "%s: %s", dir,
				       strerror(errno));
	if ((a = archive_read_new()) == NULL) {
		close(dfd);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	/* ZIP only, read from its central directory's end as written: no
	 * other format or filter is tried on a server's bytes. */
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, zip_path, 65536) != ARCHIVE_OK) {
		error = ksef__error_set(err, KSEF_EFORMAT, "the package is "
			"not a ZIP: %s", archive_error_string(a) ?
			archive_error_string(a) : "unreadable");
		goto done;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		const char *why = refusal(e, name);

		if (why != NULL) {
			error = ksef__error_set(err, KSEF_EFORMAT, "package "
				"entry %zu %s; nothing of it was written",
				entries + 1, why);
			goto done;
		}
		if (++entries > KSEF_EXPORT_MAX_ENTRIES) {
			error = ksef__error_set(err, KSEF_ETOOBIG,
				"the package has more than %d entries "
				"(KSEF_EXPORT_MAX_ENTRIES)",
				KSEF_EXPORT_MAX_ENTRIES);
			goto done;
		}
		/* _metadata.json describes this package: always the new
		 * one. */
		if (keep_existing && strcmp(name, "_metadata.json") != 0 &&
		    faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			(*kept)++;
			archive_read_data_skip(a);
			continue;
		}
		if ((error = put_entry(a, dfd, name, bytes, &size, err)) < 0)
			goto done;
		(*written)++;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (on_entry != NULL && on_entry(ud, name, path, size) != 0) {
			error = ksef__error_set(err, KSEF_EINVAL, "%s: stopped "
						"by the caller", name);
			goto done;
		}
	}
	if (r != ARCHIVE_EOF)
		error = ksef__error_set(err, KSEF_EFORMAT, "the package is "
			"damaged: %s", archive_error_string(a) ?
			archive_error_string(a) : "bad header");
done:
	archive_read_free(a);
	close(dfd);
	return error;
}
