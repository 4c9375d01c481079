/*
 * client_admin.h - what the files of the TEST environment's administrative
 * tags share: client_limits.c ("Limity i ograniczenia") and
 * client_testdata.c ("Dane testowe"). Both send JSON bodies whose answer
 * is a bare 200, so the one exchange they make is here; and the unit
 * tests reach their body builders, which turn a call's inputs into the
 * body it sends, so that each body can be held against open-api.json
 * without a network. The rest of the client's plumbing is client_int.h's.
 */
#ifndef KSEF_CLIENT_ADMIN_H
#define KSEF_CLIENT_ADMIN_H

#include <jansson.h>
#include "ksef/client.h"
#include "ksef/client_limits.h"
#include "ksef/client_testdata.h"

/*
 * One exchange whose answer has no body we need (the contract's 200 with
 * no content). body (may be NULL: no body) is taken, whatever happens;
 * with_token sends the access token, and fails with KSEF_EINVAL when the
 * client has none; retry_safe as in ksef__request. The caller has called
 * ksef__req_begin().
 */
int ksef__admin_call(ksef_client *c, const char *method, const char *path,
		     json_t *body, int with_token, int retry_safe,
		     ksef_error *err);

/*
 * Request bodies. Each builds the JSON object a call sends from the same
 * inputs as the public call, after checking them against the request
 * schema, and returns 0 with *out set to a new reference (json_decref()
 * it), or a negative code (KSEF_EINVAL naming the field, KSEF_ENOMEM)
 * with *out NULL.
 */

/* SetSessionLimitsRequest (POST /testdata/limits/context/session). */
int ksef__client_build_session_limits_body(json_t **out,
	const ksef_client_session_limits *limits, ksef_error *err);

/* SetSubjectLimitsRequest (POST /testdata/limits/subject/certificate). */
int ksef__client_build_subject_limits_body(json_t **out,
	const ksef_client_subject_limits *limits, ksef_error *err);

/* SetRateLimitsRequest (POST /testdata/rate-limits). */
int ksef__client_build_rate_limits_body(json_t **out,
	const ksef_client_rate_limits *limits, ksef_error *err);

/* SubjectCreateRequest (POST /testdata/subject). */
int ksef__client_build_testdata_subject_body(json_t **out,
	const ksef_client_testdata_subject *s, ksef_error *err);

/* PersonCreateRequest (POST /testdata/person). */
int ksef__client_build_testdata_person_body(json_t **out,
	const ksef_client_testdata_person *p, ksef_error *err);

/* TestDataPermissionsGrantRequest (POST /testdata/permissions). */
int ksef__client_build_testdata_grant_body(json_t **out,
	const ksef_client_testdata_permissions *p, ksef_error *err);

/* TestDataPermissionsRevokeRequest (POST /testdata/permissions/revoke). */
int ksef__client_build_testdata_revoke_body(json_t **out,
	const char *context_identifier, const char *authorized_identifier_type,
	const char *authorized_identifier, ksef_error *err);

/* A body of one NIP under `key`: SubjectRemoveRequest ("subjectNip"),
 * PersonRemoveRequest and AttachmentPermissionGrantRequest ("nip"). */
int ksef__client_build_testdata_nip_body(json_t **out, const char *key,
	const char *nip, ksef_error *err);

/* AttachmentPermissionRevokeRequest (POST /testdata/attachment/revoke);
 * expected_end_date may be NULL. */
int ksef__client_build_attachment_revoke_body(json_t **out, const char *nip,
	const char *expected_end_date, ksef_error *err);

/* BlockContextAuthenticationRequest and its unblocking twin, alike. */
int ksef__client_build_context_block_body(json_t **out,
	ksef_context_type ctx_type, const char *ctx_value, ksef_error *err);

#endif
