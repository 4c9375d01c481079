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

/* Room for a signature: 43 characters of Base64url and a NUL. */
#define PRESIGN_SIG_BUFSZ 44

/*
 * What presign_url() does without a request, for it and the unit tests:
 * the link to path valid until expires_ms (cut to whole seconds), signed
 * with secret, on host (NULL, over 255 bytes or holding any of "/?#@",
 * space, CR or LF: 127.0.0.1). Returns a malloc'd URL or NULL.
 */
char *presign_link(const unsigned char *secret, size_t secret_len,
		   int https, const char *host, const char *path,
		   int64_t expires_ms);

/*
 * What presign_check() does without a request: the query values se and
 * sig (either may be NULL) against path at now_ms. 0 if the signature is
 * genuine and se is still ahead of now; -1 otherwise.
 */
int presign_verify(const unsigned char *secret, size_t secret_len,
		   const char *path, const char *se, const char *sig,
		   int64_t now_ms);

#endif
