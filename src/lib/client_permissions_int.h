/*
 * client_permissions_int.h - what the two files of the permission
 * endpoints share (client_permissions.c: grants, revocations, operations
 * and the attachment consent; client_permissions_query.c: the lists), and
 * what the unit tests reach: the request builders, which turn a call's
 * inputs into the JSON body (and path) it sends, so that the body can be
 * held against open-api.json without a network.
 */
#ifndef KSEF_CLIENT_PERMISSIONS_INT_H
#define KSEF_CLIENT_PERMISSIONS_INT_H

#include <jansson.h>
#include "ksef/client_permissions.h"
#include "client_int.h"

/* The pages of the lists: items, and hasMore instead of a continuation
 * token (the permission lists page by pageOffset). */
struct ksef_api_permission_list {
	struct ksef__list l;
	int has_more;
};

struct ksef_api_entity_role_list {
	struct ksef__list l;
	int has_more;
};

/* An identifier type's bit, for the sets of types a member admits. */
#define KSEF__PERM_ID(t) (1u << (unsigned)(t))

/* The API's name of an identifier type ("Nip"); NULL for NONE or a value
 * out of range. */
const char *ksef__perm_id_name(ksef_perm_id_type t);

/*
 * Put {type, value} as member `key` of obj, after checking that the type
 * is one of `types` (KSEF__PERM_ID bits) and the value has its form: a
 * NIP's or PESEL's digits, 64 hex digits, an InternalId, a NipVatUe, a
 * PeppolId; no value for AllPartners and System. A type of
 * KSEF_PERM_ID_NONE puts nothing (with a NULL value), unless required.
 * Returns 0, KSEF_EINVAL naming `key`, or KSEF_ENOMEM.
 */
int ksef__perm_put_id(json_t *obj, const char *key, ksef_perm_id_type type,
		      const char *value, unsigned types, int required,
		      ksef_error *err);

/*
 * Put a text as member `key` of obj: UTF-8 of min to max characters (the
 * contract counts characters). Returns 0, KSEF_EINVAL naming `key`, or
 * KSEF_ENOMEM.
 */
int ksef__perm_put_text(json_t *obj, const char *key, const char *s,
			size_t min, size_t max, ksef_error *err);

/*
 * Put the names of the KSEF_PERM_* bits set in `bits` as an array of
 * strings, in the bits' order, as member `key` of obj. Returns 0 or
 * KSEF_ENOMEM.
 */
int ksef__perm_put_names(json_t *obj, const char *key, unsigned bits);

/*
 * The body of a grant (one of the seven request schemas, by kind) and the
 * path it goes to (static). The grant is read as its version allows
 * (options.h). Returns 0 with *out a new reference, or KSEF_EINVAL naming
 * the field the contract would refuse, or KSEF_ENOMEM; *out is NULL on
 * failure.
 */
int ksef__client_build_grant_body(json_t **out, const char **path,
				  const ksef_client_grant *grant,
				  ksef_error *err);

/*
 * The body of a list query (one of the six request schemas, by list) and
 * its path with pageOffset and pageSize into path (which the caller
 * disposes of). Returns 0, KSEF_EINVAL naming the filter, or
 * KSEF_ENOMEM; *out is NULL on failure.
 */
int ksef__client_build_permission_query(json_t **out, ksef_buf *path,
	const ksef_client_permission_query *q, ksef_error *err);

/* SubordinateEntityRolesQueryRequest: {} or {subordinateEntityIdentifier}
 * of a NIP. */
int ksef__client_build_subordinate_roles_body(json_t **out,
					      const char *subordinate_nip,
					      ksef_error *err);

#endif
