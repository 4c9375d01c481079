/*
 * peppol.h - the Peppol service providers ksefd lists (GET /peppol/query):
 * read once at start from --peppol-providers FILE, a JSON array of
 * PeppolProvider objects ({"id", "name", "dateCreated"}), checked against
 * open-api.json's schema and kept sorted as the operation's x-sort says
 * (dateCreated descending, then id). Read-only once loaded, so any thread
 * may read it.
 */
#ifndef KSEFD_PEPPOL_H
#define KSEFD_PEPPOL_H

#include <jansson.h>
#include "ksef/error.h"

/** Most providers a file may list. */
#define PEPPOL_MAX_PROVIDERS 10000

/**
 * Load and check the file.
 *
 * @param[out] out  a JSON array of the providers, sorted, each with id,
 *                  name and dateCreated (written as the API writes
 *                  times); the caller decrefs it.
 * @param path      the file; NULL gives an empty list.
 * @return 0, KSEF_EIO, KSEF_EPARSE (naming the entry and field), or
 *         KSEF_ENOMEM.
 */
int peppol_load(json_t **out, const char *path, ksef_error *err);

#endif
