/*
 * api.h - the API handlers (one api_<tag>.c per OpenAPI tag) and the
 * helpers they share for reading requests and writing the contract's
 * shapes (api_common.c).
 */
#ifndef KSEFD_API_H
#define KSEFD_API_H

#include <jansson.h>
#include "server.h"

/* api_security.c */
void api_public_keys(struct request *req);
/* api_auth.c */
void api_auth_challenge(struct request *req);
void api_auth_ksef_token(struct request *req);
void api_auth_xades(struct request *req);
void api_auth_status(struct request *req);
void api_auth_redeem(struct request *req);
void api_auth_refresh(struct request *req);
void api_auth_sessions(struct request *req);
void api_auth_revoke_current(struct request *req);
void api_auth_revoke(struct request *req);
/* api_tokens.c */
void api_tokens_create(struct request *req);
void api_tokens_list(struct request *req);
void api_tokens_get(struct request *req);
void api_tokens_revoke(struct request *req);
/* api_sessions.c: sending */
void api_session_open(struct request *req);
/* What opening a session of either type (KSEF_REFNUM_ONLINE_SESSION or
 * KSEF_REFNUM_BATCH_SESSION) reads from its body: formCode and
 * encryption (its key unwrapped and kept, or status 415), the caller's
 * context and the limits in force, into *out, not yet stored. 0, or -1
 * when the request was answered. */
int api_session_fill(struct request *req, json_t *body, int type,
		     store_session *out);
/* 1 for a batch session (an SB reference number). */
int api_session_is_batch(const store_session *s);
/* A session status's description, in the words of the state diagrams
 * (faktury/sesje/): an interactive session's, or a batch session's. */
const char *api_session_description(int code, int batch);
void api_session_send(struct request *req);
void api_session_close(struct request *req);
/* How closing a session of either type answers the store's rc: 204 with
 * the workers woken, 400/21180 naming status on STORE_WRONG_STATE, 500
 * with err otherwise. */
void api_session_close_reply(struct request *req, int rc, int status,
			     const ksef_error *err);
/* api_status.c: status and lists */
void api_sessions_list(struct request *req);
void api_session_status(struct request *req);
void api_session_invoices(struct request *req);
void api_session_invoices_failed(struct request *req);
void api_session_invoice(struct request *req);
/* api_upo.c */
void api_upo_by_invoice_ref(struct request *req);
void api_upo_by_ksef_number(struct request *req);
void api_upo_session_page(struct request *req);
void api_storage(struct request *req);
void api_storage_certificate(struct request *req);
/* api_batch.c: batch sessions (sesja-wsadowa.md) */
void api_batch_open(struct request *req);
void api_batch_close(struct request *req);
void api_batch_part_put(struct request *req);
/* For a ROUTE_UPLOAD route, once its headers are in: check the part's
 * link and open its file, so that the body streams to disk (out->sink);
 * a link that does not hold is answered by api_batch_part_put() without
 * reading the body (out->refuse). */
void api_batch_upload_traits(struct request *req, struct http_traits *out);
/* api_invoices.c */
void api_invoice_download(struct request *req);
/* api_testdata.c: test data (TEST profile only) */
void api_testdata_subject(struct request *req);
void api_testdata_subject_remove(struct request *req);
void api_testdata_person(struct request *req);
void api_testdata_person_remove(struct request *req);
void api_testdata_attachment(struct request *req);
void api_testdata_attachment_revoke(struct request *req);
void api_testdata_context_block(struct request *req);
void api_testdata_context_unblock(struct request *req);
/* api_limits.c: limits (limity/limity.md, limity-api.md) */
void api_limits_context(struct request *req);
void api_limits_subject(struct request *req);
void api_rate_limits(struct request *req);
void api_testdata_session_limits_set(struct request *req);
void api_testdata_session_limits_reset(struct request *req);
void api_testdata_subject_limits_set(struct request *req);
void api_testdata_subject_limits_reset(struct request *req);
void api_testdata_rate_limits_set(struct request *req);
void api_testdata_rate_limits_reset(struct request *req);
void api_testdata_rate_limits_production(struct request *req);
/* permissions: api_permissions.c (grants, test data) */
void api_perm_grant_persons(struct request *req);
void api_perm_grant_entities(struct request *req);
void api_perm_grant_authorizations(struct request *req);
void api_perm_grant_indirect(struct request *req);
void api_perm_grant_subunits(struct request *req);
void api_perm_grant_eu_admin(struct request *req);
void api_perm_grant_eu_rep(struct request *req);
void api_testdata_permissions(struct request *req);
void api_testdata_permissions_revoke(struct request *req);
/* permissions: api_permissions_ops.c (revocations, operations) */
void api_perm_revoke_common(struct request *req);
void api_perm_revoke_authorization(struct request *req);
void api_perm_operation(struct request *req);
void api_perm_attachments_status(struct request *req);
/* permissions: api_permissions_query.c */
void api_perm_query_personal(struct request *req);
void api_perm_query_persons(struct request *req);
void api_perm_query_subunits(struct request *req);
void api_perm_query_entities(struct request *req);
void api_perm_query_entity_roles(struct request *req);
void api_perm_query_subordinates(struct request *req);
void api_perm_query_authorizations(struct request *req);
void api_perm_query_eu(struct request *req);
/* The certificate limits in force for a subject (limity/limity.md: the
 * defaults of its kind of identifier, or what the test data set):
 * 0, or -1 after answering 500 (api_limits.c). */
int api_subject_cert_limits(struct request *req, const char *subject_type,
			    const char *subject_value, int *max_enrollments,
			    int *max_certificates);
/* api_certificates.c: KSeF certificates (certyfikaty-KSeF.md) */
void api_certs_limits(struct request *req);
void api_certs_enrollment_data(struct request *req);
void api_certs_enroll(struct request *req);
void api_certs_enrollment_status(struct request *req);
void api_certs_retrieve(struct request *req);
void api_certs_query(struct request *req);
void api_certs_revoke(struct request *req);
/* api_peppol.c: GET /peppol/query from --peppol-providers */
void api_peppol_query(struct request *req);
/* api_qr.c: the path of a KOD I link, outside /v2 */
void api_qr_invoice(struct request *req);
/* api_qr.c: the path of a KOD II link (kody-qr.md 2), outside /v2 */
void api_qr_certificate(struct request *req);
/* api_health.c: service routes outside /v2 and the contract */
void api_health_live(struct request *req);
void api_health_ready(struct request *req);
void api_metrics(struct request *req);

/* invoice retrieval (api_retrieval.c, api_exports.c) */
void api_invoices_query_metadata(struct request *req);
void api_invoices_export(struct request *req);
void api_invoices_export_status(struct request *req);
void api_export_part(struct request *req);
struct retrieval_filters;
/* The NIP of the caller's context (Nip, or the NIP an InternalId or
 * NipVatUe context begins with): 0, or -1 for a context without one. */
int retrieval_context_nip(const struct request *req, char nip[11]);
/* Read the filters of obj and apply the HWM: 0, or -1 having answered
 * 21405 or 21183. */
int retrieval_read_filters(struct request *req, json_t *obj,
			   struct retrieval_filters *f, int64_t *hwm);

/*
 * Shared helpers (api_common.c). Those that can fail answer the request
 * themselves (400/21405 with a detail naming the field) and return NULL or
 * -1, so a handler just returns.
 */

/* The body as a JSON object. */
json_t *api_body_object(struct request *req);
/*
 * The body as a JSON object, with the top-level string member `name` left
 * in place: *val and *len point at its text inside req->body (no escapes,
 * so it is the string itself), and the object holds "" for it. A 13 KB
 * Base64 invoice then costs jansson nothing (it reads strings a byte at a
 * time, and copies them). When the member is absent, not a plain string,
 * or written with escapes, *val is NULL and the object is the whole body's,
 * as api_body_object() gives it.
 */
json_t *api_body_object_lifting(struct request *req, const char *name,
				const char **val, size_t *len);
/* A string member of bounded length (bytes); NULL if absent and optional. */
const char *api_string(struct request *req, json_t *obj, const char *path,
		       const char *name, size_t min, size_t max, int required,
		       int *failed);
/* An integer member within [min, max]. */
int api_integer(struct request *req, json_t *obj, const char *name,
		int64_t min, int64_t max, int required, int64_t *out);
/* An optional boolean member (default when absent or null). */
int api_boolean(struct request *req, json_t *obj, const char *name,
		int dflt, int *out);

/* The query argument pageSize within [min, max], default dflt. */
int api_page_size(struct request *req, int min, int max, int dflt,
		  size_t *out);
/* The x-continuation-token header: absent (returns 0 with *has = 0), or a
 * cursor of a time and a reference number, or an ordinal; a token this
 * server did not make gets 400/21418. */
int api_cursor(struct request *req, int *has, int64_t *ms, char *ref,
	       size_t ref_size);
/* Make a continuation token for the cursor (ms, ref); caller frees. */
char *api_cursor_make(int64_t ms, const char *ref);

/* A date-time as the API writes it: 2025-09-18T12:23:56.015+00:00. */
json_t *api_time(int64_t ms);
/* StatusInfo {code, description, details?}; details_json is a JSON array
 * text or "" (omitted). */
json_t *api_status_info(int code, const char *description,
			const char *details_json);

/* The session's form code names: ksef_form_code_of((ksef_form)s->form). */

/* Parse an ISO date-time query argument; 0 with *has = 0 when absent. */
int api_query_time(struct request *req, const char *name, int *has,
		   int64_t *ms);

/* A path parameter that must be a reference number (36 characters of
 * the reference-number shape): answers 21405 and returns -1 if not. */
int api_param_refnum(struct request *req, size_t i);

/* 1 when k matches the KsefNumber schema's pattern (35 characters, or 36
 * in the form of KSeF 1.0), its check value unchecked; else 0. */
int api_ksef_number_shaped(const char *k);

/*
 * The server key for a usage (by publicKeyId when key_id is set, else the
 * current one), returned with the keyring read-locked: the caller calls
 * keyring_unlock(). Answers 21470 (or 500) and returns NULL otherwise.
 */
struct ring_key *api_server_key(struct request *req, unsigned usage,
				const char *key_id);

/* The session of path parameter 0 in the caller's context; otherwise
 * answers 21173 ("... nie została <verb>.") and returns -1. Another
 * context's session is "not found", so its existence leaks nothing. */
int api_load_session(struct request *req, store_session *s, const char *verb);
/* Whether a store read failed as the store's own failure (a lost
 * connection, an I/O error), neither a row nor "no such row": then it
 * answers 500 (errors_internal) and returns 1, so that a client is never
 * told "not found" of what may well exist. */
int api_store_failed(struct request *req, int rc, const ksef_error *err);

/* The paging of a list by page number: pageOffset (from 0) and pageSize
 * (10..max_size, default 10) into the rows to skip and take. 0, or -1
 * after answering 21405. */
int api_page(struct request *req, int max_size, size_t *offset,
	     size_t *limit);

/* Set continuationToken on a list answer when there is a next page. */
void api_set_continuation(json_t *o, int more, int64_t ms, const char *ref);

#endif
