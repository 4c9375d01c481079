/*
 * tokens.c - owns the making of KSeF tokens. A token is
 * "{referenceNumber}|{contextType}-{contextValue}|{64 hex}" as in the
 * tokeny-ksef.md example; its last part is 256 bits from the CSPRNG. Only
 * the SHA-256 of the whole string is stored, so a copy of the database
 * does not let anyone authenticate.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "tokens.h"

static const char *const allowed[] = {
	"InvoiceRead", "InvoiceWrite", "CredentialsRead", "CredentialsManage",
	"SubunitManage", "EnforcementOperations", "Introspection",
};

int tokens_check_permissions(const char *perms, char *bad, size_t bad_size)
{
	const char *p = perms, *e;
	size_t i, n;

	if (perms == NULL || *perms == '\0')
		return -1;
	for (; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			if (strlen(allowed[i]) == n &&
			    memcmp(allowed[i], p, n) == 0)
				break;
		if (i == sizeof(allowed) / sizeof(allowed[0])) {
			snprintf(bad, bad_size, "%.*s", (int)(n > 40 ? 40 : n), p);
			return -1;
		}
	}
	return 0;
}

int tokens_create(store *st, const char *ctx_type, const char *ctx_value,
		  const char *permissions, const char *description,
		  const char *author_type, const char *author_value,
		  int64_t now_ms, char out_token[TOKENS_MAX + 1],
		  store_token *rec, ksef_error *err)
{
	unsigned char secret[32];
	char hex[65], type[24];
	size_t i;
	int n, error;

	memset(rec, 0, sizeof(*rec));
	if (ksef_refnum_generate(rec->ref, KSEF_REFNUM_TOKEN,
				 ksef_time_warsaw(now_ms), err) != 0)
		return err ? err->code : KSEF_ECRYPTO;
	if (RAND_priv_bytes(secret, sizeof(secret)) != 1)
		return ksef_error_set(err, KSEF_ECRYPTO, "no random bytes");
	for (i = 0; i < sizeof(secret); i++)
		snprintf(hex + 2 * i, 3, "%02x", secret[i]);
	OPENSSL_cleanse(secret, sizeof(secret));
	/* "Nip" -> "nip", "InternalId" -> "internalId". */
	snprintf(type, sizeof(type), "%s", ctx_type);
	if (type[0] >= 'A' && type[0] <= 'Z')
		type[0] = (char)(type[0] - 'A' + 'a');
	n = snprintf(out_token, TOKENS_MAX + 1, "%s|%s-%s|%s", rec->ref, type,
		     ctx_value, hex);
	OPENSSL_cleanse(hex, sizeof(hex));
	if (n < 0 || n > TOKENS_MAX)
		return ksef_error_set(err, KSEF_EINVAL, "context value too long");
	if ((error = ksef_sha256_base64(rec->secret_hash,
			(const unsigned char *)out_token, (size_t)n, err)) != 0)
		return error;
	snprintf(rec->ctx_type, sizeof(rec->ctx_type), "%s", ctx_type);
	snprintf(rec->ctx_value, sizeof(rec->ctx_value), "%s", ctx_value);
	snprintf(rec->author_type, sizeof(rec->author_type), "%s", author_type);
	snprintf(rec->author_value, sizeof(rec->author_value), "%s",
		 author_value);
	snprintf(rec->permissions, sizeof(rec->permissions), "%s", permissions);
	snprintf(rec->description, sizeof(rec->description), "%s", description);
	snprintf(rec->status, sizeof(rec->status), "Active");
	rec->created_ms = now_ms;
	return store_result_code(store_token_add(st, rec, err));
}
