/*
 * api_permissions_ops.c - the tags "Odbieranie uprawnień" and "Operacje"
 * (uprawnienia.md): revoking a grant by its permissionId, the status of
 * a grant or revocation operation, and the status of the consent to send
 * invoices with attachments.
 *
 * A revocation is an operation as a grant is: decided at once, recorded
 * with its status, answered 202 with its reference number. A grant can be
 * revoked from the context it was granted in, by whoever holds there the
 * permission its kind needs: CredentialsManage, or SubunitManage for a
 * subunit administrator, or VatUeManage for an EU entity's representative
 * (the route's three alternatives). Entity permissions (self-invoicing
 * and the others) have their own endpoint and are refused on the common
 * one, and the other way round.
 */
#include <stdio.h>
#include <string.h>
#include "api_permissions.h"
#include "errors.h"
#include "http.h"
#include "permissions.h"


/* The permission a kind of grant needs to be revoked. */
static const char *revoker_needs(int kind)
{
	switch (kind) {
	case STORE_PERM_SUBUNIT: return "SubunitManage";
	case STORE_PERM_EU_REP: return "VatUeManage";
	default: return "CredentialsManage";
	}
}

static void revoke(struct request *req, int authorization)
{
	const char *id = req->params[0];
	struct perm_caller c;
	store_permission p;
	store_perm_op op;
	char why[256] = "";
	ksef_error err;
	int status = 200, rc;

	/* PermissionId: 36 characters (open-api.json). */
	if (strlen(id) != 36) {
		errors_reply(req, 400, 21405, "Identyfikator uprawnienia "
			"'%.40s' musi mieć 36 znaków.", id);
		return;
	}
	if (perm_caller_load(req, &c) != 0)
		return;
	rc = store_permission_get(req->srv->store, id, &p, &err);
	if (rc != 0 && rc != STORE_NOT_FOUND) {
		errors_internal(req, &err);
		return;
	}
	/* Another context's grant is one that does not exist here. */
	if (rc == STORE_NOT_FOUND || strcmp(p.grantor_type, c.ctx_type) != 0 ||
	    strcmp(p.grantor_value, c.ctx_value) != 0) {
		status = 400;
		snprintf(why, sizeof(why), "Nie znaleziono uprawnienia %s "
			 "nadanego w bieżącym kontekście.", id);
	} else if ((p.kind == STORE_PERM_AUTHORIZATION) != authorization) {
		status = 450;
		snprintf(why, sizeof(why), authorization ?
			 "Uprawnienie %s nie jest uprawnieniem podmiotowym." :
			 "Uprawnienie %s jest uprawnieniem podmiotowym; "
			 "odbiera się je przez "
			 "/permissions/authorizations/grants.", id);
	} else if (!request_has_permission(req, revoker_needs(p.kind))) {
		status = 420;
		snprintf(why, sizeof(why), "Odebranie uprawnienia %s wymaga "
			 "uprawnienia %s.", id, revoker_needs(p.kind));
	}
	if (perm_op_init(req, &c, status, status == 200 ? NULL : why,
			 &op) != 0)
		return;
	rc = status == 200 ?
		store_permission_revoke(req->srv->store, id, &op, &err) :
		store_perm_op_add(req->srv->store, &op, &err);
	if (rc == STORE_NOT_FOUND) {
		/* Revoked in the meantime by another request. */
		op.status = 400;
		snprintf(op.details, sizeof(op.details), "[\"Nie znaleziono "
			 "uprawnienia %s nadanego w bieżącym kontekście.\"]",
			 id);
		rc = store_perm_op_add(req->srv->store, &op, &err);
	}
	if (rc != 0) {
		errors_internal(req, &err);
		return;
	}
	perm_op_reply(req, &op);
}

void api_perm_revoke_common(struct request *req)
{
	revoke(req, 0);
}

void api_perm_revoke_authorization(struct request *req)
{
	revoke(req, 1);
}

void api_perm_operation(struct request *req)
{
	const char *ref = req->params[0];
	store_perm_op op;
	ksef_error err;
	int rc;

	if (api_param_refnum(req, 0) != 0)
		return;
	rc = store_perm_op_get(req->srv->store, ref, &op, &err);
	if (rc != 0 && rc != STORE_NOT_FOUND) {
		errors_internal(req, &err);
		return;
	}
	/* Another context's operation is, to this caller, none. */
	if (rc == STORE_NOT_FOUND ||
	    strcmp(op.ctx_type, req->claims.context_type) != 0 ||
	    strcmp(op.ctx_value, req->claims.context_value) != 0) {
		errors_reply(req, 400, 21405, "Operacja o numerze "
			"referencyjnym %s nie została znaleziona.", ref);
		return;
	}
	if (server_now_ms() - op.created_ms > PERMISSIONS_OP_RETENTION_MS) {
		errors_gone(req, "Status operacji nie jest już dostępny.");
		return;
	}
	http_reply_json(req, 200, json_pack("{s:o}", "status",
		api_status_info(op.status, perm_status_description(op.status),
				op.details)));
}

/*
 * GET /permissions/attachments/status: the consent of the caller's
 * context (store_attachment_get; POST /testdata/attachment gives it on
 * TEST). Allowed from its start until its end, if it has one; revokedDate
 * is that end whenever it is known, absent for a consent without one and
 * for a context that never had any.
 */
void api_perm_attachments_status(struct request *req)
{
	int64_t allowed_ms = 0, end_ms = 0, now = server_now_ms();
	ksef_error err;
	json_t *o;
	int rc;

	rc = store_attachment_get(req->srv->store, req->claims.context_type,
				  req->claims.context_value, &allowed_ms,
				  &end_ms, &err);
	if (rc != 0 && rc != STORE_NOT_FOUND) {
		errors_internal(req, &err);
		return;
	}
	o = json_pack("{s:b}", "isAttachmentAllowed", rc == 0 &&
		      allowed_ms <= now && (end_ms == 0 || now < end_ms));
	if (rc == 0 && end_ms != 0)
		json_object_set_new(o, "revokedDate", api_time(end_ms));
	http_reply_json(req, 200, o);
}
