/*
 * tokens.h - KSeF tokens (tokeny-ksef.md, SPEC 4.23): making one, shared
 * by POST /tokens and `ksefd token create`.
 */
#ifndef KSEFD_TOKENS_H
#define KSEFD_TOKENS_H

#include "store.h"

/* The longest token string: {ref}|{type}-{value}|{64 hex}. */
#define TOKENS_MAX 160

/* The permissions a token may carry, comma-separated input checked
 * against TokenPermissionType; 0 or -1 (bad name written to bad). */
int tokens_check_permissions(const char *perms, char *bad, size_t bad_size);

/*
 * Make an Active token for a context. out_token receives the secret string
 * (shown once, never stored: the store keeps only its SHA-256); rec the
 * stored record.
 */
int tokens_create(store *st, const char *ctx_type, const char *ctx_value,
		  const char *permissions, const char *description,
		  const char *author_type, const char *author_value,
		  int64_t now_ms, char out_token[TOKENS_MAX + 1],
		  store_token *rec, ksef_error *err);

#endif
