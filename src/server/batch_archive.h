/*
 * batch_archive.h - reading a batch package (ZIP, or TarGz where the
 * session said so) with libarchive, and refusing a hostile one before any
 * of its invoices is looked at: entry names that leave the package or
 * repeat, links and other non-files, archives within it, and more bytes
 * than its limits or its compression ratio allow (a zip bomb).
 */
#ifndef KSEFD_BATCH_ARCHIVE_H
#define KSEFD_BATCH_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

typedef struct batch_archive_limits {
	int targz;                 /* a gzip'd tar, else a ZIP */
	size_t max_entries;        /* invoices in one package */
	size_t max_entry_bytes;    /* one invoice, uncompressed */
	uint64_t max_total_bytes;  /* every entry, uncompressed */
	unsigned max_ratio;        /* uncompressed bytes per package byte */
} batch_archive_limits;

/* What a package is found to be; the session statuses they lead to are
 * batch.c's. */
enum batch_archive_result {
	BATCH_ARCHIVE_OK = 0,
	BATCH_ARCHIVE_NOT_ARCHIVE = -1, /* not of its declared kind */
	BATCH_ARCHIVE_CORRUPT = -2,     /* its data does not decompress */
	BATCH_ARCHIVE_HOSTILE = -3,     /* a name, type, nesting or bomb */
	BATCH_ARCHIVE_TOO_MANY = -4,    /* more entries than max_entries */
	BATCH_ARCHIVE_EMPTY = -5,       /* no invoice at all */
	BATCH_ARCHIVE_IO = -6,          /* the file or memory failed */
};

/* Called for each invoice of a checked package, in package order: its
 * entry name and bytes (borrowed for the call). Non-zero stops the
 * walk, and batch_archive_each() returns BATCH_ARCHIVE_IO. */
typedef int batch_entry_fn(void *arg, const char *name,
			   const unsigned char *data, size_t len);

/*
 * Check the package at path against lim without keeping any entry: every
 * name, type and size, decompressing it all once. Returns a
 * batch_archive_result; why (why_size bytes) receives a one-line reason
 * in Polish for the session's status details.
 */
int batch_archive_check(const char *path, const batch_archive_limits *lim,
			char *why, size_t why_size);

/* Read a package batch_archive_check() passed, calling fn for each
 * invoice. Returns a batch_archive_result. */
int batch_archive_each(const char *path, const batch_archive_limits *lim,
		       batch_entry_fn *fn, void *arg, char *why,
		       size_t why_size);

/* 1 when an entry name may stand in a package: relative, without "..",
 * backslashes, colons or control characters, shorter than 256 bytes,
 * ending in ".xml". */
int batch_archive_name_ok(const char *name);

#endif
