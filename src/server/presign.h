/*
 * presign.h - pre-signed download links (SPEC 4.15, 4.16): an absolute
 * URL under /storage/ that works without an access token until it
 * expires, signed with an HMAC the server keeps, so it cannot be altered
 * or extended.
 */
#ifndef KSEFD_PRESIGN_H
#define KSEFD_PRESIGN_H

#include <stddef.h>
#include <stdint.h>
#include "server.h"

/*
 * Make a link to `path` (starting with "/storage/") valid until
 * expires_ms, for the host the request came in on. Returns a malloc'd URL
 * or NULL.
 */
char *presign_url(struct request *req, const char *path, int64_t expires_ms);

/*
 * Check a link: the query's "se" (expiry, Unix seconds) and "sig"
 * (signature) against the request's path. 0 if valid and not expired;
 * -1 otherwise.
 */
int presign_check(struct request *req);

#endif
