/*
 * testdata.c - owns what test data means to authentication and to
 * verification (testdata.h): owners through a test person's NIP-PESEL
 * link, the enforcement permission, the 470 and 480 refusals, the
 * relations that let a context invoice for another seller, and the
 * consent to attachments. It reads the store and decides; it words no
 * HTTP answer (api_auth.c and decide.c do) and makes no record
 * (api_testdata.c does).
 *
 * A store failure here is logged and read as "no test data": the
 * request then goes on as it would on a server without any, and the
 * store's next write reports the failure to the client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testdata.h"

/* Roles of a context's NIP read at once: an entity holds one, and a
 * bailiff person adds one. */
#define ROLES_MAX 4

static int active(const struct server *srv)
{
	return !srv->cfg.production;
}

static void logged(const char *what, const ksef_error *err)
{
	fprintf(stderr, "ksefd: test data: %s: %s\n", what, err->message);
}

/* The NIP a context is of: a Nip context's value, or the NIP part of an
 * InternalId or NipVatUe (their first ten characters). 0 if it has none
 * (PeppolId). */
static int context_nip(char nip[KSEF_NIP_BUFSZ], const char *ctx_value)
{
	if (strlen(ctx_value) < 10 ||
	    ksef_nip_validate_pattern(ctx_value, 10, NULL) != 0)
		return 0;
	memcpy(nip, ctx_value, 10);
	nip[10] = '\0';
	return 1;
}

static int is_deceased(struct server *srv, const char *type,
		       const char *value)
{
	store_person p;
	ksef_error err;
	int rc;

	if (strcmp(type, "Nip") != 0 && strcmp(type, "Pesel") != 0)
		return 0;
	rc = store_person_find(srv->store, type, value, &p, &err);
	if (rc != STORE_OK && rc != STORE_NOT_FOUND)
		logged("person", &err);
	return rc == STORE_OK && p.is_deceased;
}

static void refuse(store_auth *op, int status, const char *detail)
{
	op->status = status;
	op->permissions[0] = '\0';
	snprintf(op->status_details, sizeof(op->status_details), "[\"%s\"]",
		 detail);
}

int testdata_auth_refused(struct server *srv, store_auth *op)
{
	ksef_error err;
	int rc;

	if (!active(srv))
		return 0;
	/* The means belong to a deceased person: a fault of the means, so
	 * before anything about the context. */
	if (is_deceased(srv, op->subject_type, op->subject_value)) {
		refuse(op, 470, TESTDATA_DECEASED_DETAIL);
		return 1;
	}
	rc = store_context_blocked(srv->store, op->ctx_type, op->ctx_value,
				   NULL, &err);
	if (rc == STORE_OK) {
		refuse(op, 480, TESTDATA_BLOCKED_DETAIL);
		return 1;
	}
	if (rc != STORE_NOT_FOUND)
		logged("context block", &err);
	return 0;
}

int testdata_pesel_owner(struct server *srv, const char *ctx_value,
			 const char *subject_type, const char *subject_value)
{
	char nip[KSEF_NIP_BUFSZ];
	store_person p;
	ksef_error err;
	int rc;

	if (!active(srv) || strcmp(subject_type, "Pesel") != 0 ||
	    !context_nip(nip, ctx_value))
		return 0;
	rc = store_person_get(srv->store, nip, &p, &err);
	if (rc != STORE_OK && rc != STORE_NOT_FOUND)
		logged("person", &err);
	return rc == STORE_OK && strcmp(p.pesel, subject_value) == 0;
}

/* The roles of the context's NIP into roles[ROLES_MAX]; their count. */
static size_t context_roles(struct server *srv, const char *ctx_value,
			    store_entity **roles)
{
	char nip[KSEF_NIP_BUFSZ];
	size_t n = 0;
	ksef_error err;

	*roles = NULL;
	if (!context_nip(nip, ctx_value))
		return 0;
	if (store_entity_roles(srv->store, nip, 0, ROLES_MAX, roles, &n,
			       &err) != 0) {
		logged("roles", &err);
		return 0;
	}
	return n;
}

static int enforcement_role(const store_entity *e)
{
	return strcmp(e->role, "CourtBailiff") == 0 ||
	       strcmp(e->role, "EnforcementAuthority") == 0;
}

void testdata_owner_permissions(struct server *srv, const char *ctx_value,
				char *perms, size_t size)
{
	store_entity *roles;
	size_t n, i, len;
	int enforcement = 0;

	if (!active(srv))
		return;
	n = context_roles(srv, ctx_value, &roles);
	for (i = 0; i < n; i++)
		enforcement |= enforcement_role(&roles[i]);
	free(roles);
	len = strlen(perms);
	if (enforcement && strstr(perms, "EnforcementOperations") == NULL)
		snprintf(perms + len, size - len, "%sEnforcementOperations",
			 len > 0 ? "," : "");
}

int testdata_deceased(struct server *srv, const char *subject_type,
		      const char *subject_value)
{
	return active(srv) && is_deceased(srv, subject_type, subject_value);
}

int testdata_seller_related(struct server *srv, const char *ctx_type,
			    const char *ctx_value, const char *seller)
{
	store_entity *roles;
	size_t n, i;
	int ok = 0;

	/* Subjects and their subunits are NIPs: only a Nip context is
	 * one of them. */
	if (!active(srv) || strcmp(ctx_type, "Nip") != 0)
		return 0;
	n = context_roles(srv, ctx_value, &roles);
	for (i = 0; i < n && !ok; i++)
		ok = enforcement_role(&roles[i]) ||
		     ((strcmp(roles[i].role, "VatGroupSubUnit") == 0 ||
		       strcmp(roles[i].role, "LocalGovernmentSubUnit") == 0) &&
		      strcmp(roles[i].parent_nip, seller) == 0);
	free(roles);
	return ok;
}

int testdata_attachments_allowed(struct server *srv, const char *ctx_type,
				 const char *ctx_value, int64_t now_ms,
				 int64_t *revoked_ms)
{
	int64_t allowed = 0, revoked = 0;
	ksef_error err;
	int rc;

	if (revoked_ms != NULL)
		*revoked_ms = 0;
	if (!active(srv))
		return 0;
	rc = store_attachment_get(srv->store, ctx_type, ctx_value, &allowed,
				  &revoked, &err);
	if (rc != STORE_OK) {
		if (rc != STORE_NOT_FOUND)
			logged("attachment consent", &err);
		return 0;
	}
	if (revoked_ms != NULL)
		*revoked_ms = revoked;
	return revoked == 0 || now_ms < revoked;
}
