/*
 * permissions.h - the rules of KSeF permissions (uprawnienia.md) that more
 * than one module needs: who owns a context, which permissions a subject
 * holds in one at this moment (what an access token then carries), and the
 * permission names each grant operation takes. The store keeps the grants
 * (store_permissions.c); the API handlers decide each operation
 * (api_permissions*.c); authentication asks here (api_auth.c).
 */
#ifndef KSEFD_PERMISSIONS_H
#define KSEFD_PERMISSIONS_H

#include <stddef.h>
#include "server.h"

/* Every permission the owner of a context holds (uprawnienia.md: all but
 * VatUeManage); EnforcementOperations too where the context is a court
 * bailiff or an enforcement authority. */
#define PERMISSIONS_OWNER "InvoiceWrite,InvoiceRead,Introspection," \
	"CredentialsRead,CredentialsManage,SubunitManage"

/* How long an operation's status can be read: "Status operacji jest
 * dostępny przez 30 dni." (GET /permissions/operations/{ref}); after that
 * it is 410. */
#define PERMISSIONS_OP_RETENTION_MS (30LL * 86400 * 1000)
/* When the housekeeper forgets an operation (its GET is then 400/21405,
 * as for any unknown number): the 410 is kept for 60 days more, so that
 * a client polling late learns the status is gone, while the store does
 * not grow with every grant ever made. */
#define PERMISSIONS_OP_FORGET_MS (90LL * 86400 * 1000)

/*
 * Whether the subject owns the context: a subject whose NIP is the
 * context's (for InternalId and NipVatUe, the NIP the context starts
 * with). Returns 1 or 0.
 */
int permissions_is_owner(const char *ctx_type, const char *ctx_value,
			 const char *subject_type, const char *subject_value);

/*
 * The permissions the subject holds in the context now, comma-separated
 * into out ("" when none): an owner's, and whatever its grants give
 * (store_permissions_effective). 0, or a negative store_result with err
 * set.
 */
int permissions_effective(struct server *srv, const char *ctx_type,
			  const char *ctx_value, const char *subject_type,
			  const char *subject_value, char out[STORE_PERMS_SZ],
			  ksef_error *err);

/* The names in both comma-separated lists a and b, in a's order, into
 * out (size bytes; names that do not fit are left out). */
void permissions_intersect(char *out, size_t size, const char *a,
			   const char *b);

/* Whether the comma-separated list holds name exactly. */
int permissions_list_has(const char *list, const char *name);

/* Whether the entity `nip` has one of the roles in the comma-separated
 * list: *yes 1 or 0. 0, or a negative store_result with err set. */
int permissions_has_role(store *st, const char *nip, const char *roles,
			 int *yes, ksef_error *err);

#endif
