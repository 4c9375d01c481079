/*
 * permissions.c - what a subject may do in a context at this moment: the
 * owner's permissions, and those its grants give, as the one list an
 * access token carries. Authentication (api_auth.c) asks when a login is
 * decided and when an access token is refreshed, so that a revoked
 * permission stops working at the next login or refresh; the grant
 * handlers ask about roles. The grants themselves are the store's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "permissions.h"
#include "testdata.h"

int permissions_is_owner(const char *ctx_type, const char *ctx_value,
			 const char *subject_type, const char *subject_value)
{
	(void)ctx_type;
	/* The context's NIP is its first ten characters for Nip, InternalId
	 * ("NIP-nnnnn") and NipVatUe ("NIP-<VAT UE>") alike; a PeppolId
	 * never starts with ten digits. */
	return strcmp(subject_type, "Nip") == 0 &&
	       strlen(subject_value) == 10 &&
	       strncmp(subject_value, ctx_value, 10) == 0;
}

int permissions_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list, *e;

	if (n == 0)
		return 0;
	for (; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && memcmp(p, name, n) == 0)
			return 1;
	}
	return 0;
}

/* Append name to the list in out unless it is there or does not fit. */
static void add_name(char *out, size_t size, const char *name, size_t n)
{
	size_t len = strlen(out);
	char one[STORE_PERM_SCOPE_SZ];

	if (n == 0 || n >= sizeof(one))
		return;
	memcpy(one, name, n);
	one[n] = '\0';
	if (permissions_list_has(out, one) ||
	    len + (len ? 1 : 0) + n + 1 > size)
		return;
	snprintf(out + len, size - len, "%s%s", len ? "," : "", one);
}

static void add_all(char *out, size_t size, const char *list)
{
	const char *p = list, *e;

	for (; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		add_name(out, size, p, (size_t)(e - p));
	}
}

void permissions_intersect(char *out, size_t size, const char *a,
			   const char *b)
{
	char one[STORE_PERM_SCOPE_SZ];
	const char *p = a, *e;
	size_t n;

	if (size == 0)
		return;
	out[0] = '\0';
	for (; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n == 0 || n >= sizeof(one))
			continue;
		memcpy(one, p, n);
		one[n] = '\0';
		if (permissions_list_has(b, one))
			add_name(out, size, p, n);
	}
}

int permissions_has_role(store *st, const char *nip, const char *roles,
			 int *yes, ksef_error *err)
{
	store_entity *r = NULL;
	size_t n = 0, i;
	int error;

	*yes = 0;
	/* A context that is no NIP has no roles. */
	if (strlen(nip) != 10)
		return 0;
	/* An entity has a handful of roles at most: 16 is all of them. */
	if ((error = store_entity_roles(st, nip, 0, 16, &r, &n, err)) < 0)
		return error;
	for (i = 0; i < n; i++)
		if (permissions_list_has(roles, r[i].role))
			*yes = 1;
	free(r);
	return 0;
}

int permissions_effective(struct server *srv, const char *ctx_type,
			  const char *ctx_value, const char *subject_type,
			  const char *subject_value, char out[STORE_PERMS_SZ],
			  ksef_error *err)
{
	char granted[STORE_PERMS_SZ];
	store *st = srv->store;
	int error;

	out[0] = '\0';
	if (permissions_is_owner(ctx_type, ctx_value, subject_type,
				 subject_value) ||
	    testdata_pesel_owner(srv, ctx_value, subject_type,
				 subject_value)) {
		add_all(out, STORE_PERMS_SZ, PERMISSIONS_OWNER);
		/* EnforcementOperations belongs to the owner of a context
		 * whose entity is an enforcement body (PersonPermissionType's
		 * description; dane-testowe-scenariusze.md, scenario 1). */
		testdata_owner_permissions(srv, ctx_value, out,
					   STORE_PERMS_SZ);
	}
	if ((error = store_permissions_effective(st, ctx_type, ctx_value,
						 subject_type, subject_value,
						 granted, err)) < 0)
		return error;
	add_all(out, STORE_PERMS_SZ, granted);
	return 0;
}
