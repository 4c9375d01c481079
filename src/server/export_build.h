/*
 * export_build.h - builds the packages of invoice exports (POST
 * /invoices/exports), called by the housekeeping thread: the invoices of
 * the export's filters and _metadata.json in a ZIP written by libarchive,
 * streamed to disk in parts, each encrypted with the caller's AES key.
 */
#ifndef KSEFD_EXPORT_BUILD_H
#define KSEFD_EXPORT_BUILD_H

#include "server.h"

/* Largest part of a package before encryption (the status
 * description: 50 MB). */
#define EXPORT_PART_MAX_BYTES (50 * 1000 * 1000)
/* Largest package: 1 GB of compressed data. */
#define EXPORT_PACKAGE_MAX_BYTES ((int64_t)1000 * 1000 * 1000)
/* How many exports one housekeeping tick builds at most. */
#define EXPORT_BUILD_PER_TICK 2

/* How long a built package is kept: its status's 7 days. */
#define EXPORT_KEEP_MS ((int64_t)7 * 24 * 3600 * 1000)

/* Remove the parts of packages older than EXPORT_KEEP_MS, a few at a
 * time. */
void export_purge(struct server *srv);

/* Build the oldest pending exports. */
void export_build_pending(struct server *srv);

/* The folder of an export's parts under the data folder. */
void export_dir(const struct server *srv, const char *ref, char *out,
		size_t size);

#endif
