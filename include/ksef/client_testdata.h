/*
 * client_testdata.h - the operations of the open-api tag "Dane testowe"
 * (dane-testowe-scenariusze.md): the TEST environment's test subjects
 * (VAT groups, local government units, enforcement authorities) and
 * persons, test permissions, the consent to invoices with attachments,
 * and blocking authentication into a context.
 *
 * None of these calls sends a token: the contract gives them no security,
 * so they work with a client that has none (and do not send the access
 * token of one that has). They exist only on TEST; other environments
 * answer 404. Each answers 200 with no body; a refusal is KSEF_EHTTP with
 * the server's answer in ksef_client_last_error() (21405 for a field out
 * of its schema, 30001 for a subject or person that exists).
 *
 * Every value is checked against the contract's schema before anything
 * is sent: a NIP or PESEL that does not match its pattern, a description
 * of fewer than 5 or more than 256 characters, a name outside an enum is
 * KSEF_EINVAL, with err naming the field. Check digits are not checked:
 * TEST takes made-up numbers.
 *
 * Inputs of several fields are versioned structs (client.h states the
 * rule): start from the _INIT macro and fill what you need.
 */
#ifndef KSEF_CLIENT_TESTDATA_H
#define KSEF_CLIENT_TESTDATA_H

#include <stdint.h>
#include "common.h"
#include "error.h"
#include "client.h"

KSEF_BEGIN_DECLS

/** Most subunits one ksef_client_testdata_subject may name. */
#define KSEF_CLIENT_TESTDATA_SUBUNITS_MAX 1000
/** Most permissions one ksef_client_testdata_permissions may name. */
#define KSEF_CLIENT_TESTDATA_PERMISSIONS_MAX 7

/*
 * Subjects and persons
 */

/**
 * The version of ksef_client_testdata_subject this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_TESTDATA_SUBJECT_VERSION 1

/** SubjectCreateRequest. */
typedef struct ksef_client_testdata_subject {
	int version; /**< KSEF_CLIENT_TESTDATA_SUBJECT_VERSION */
	/** subjectNip: the subject's NIP. Required. */
	const char *subject_nip;
	/** subjectType (SubjectType): "EnforcementAuthority", "VatGroup" or
	 *  "JST". Required. */
	const char *subject_type;
	/** description: 5 to 256 characters. Required. */
	const char *description;
	/** subunits[].subjectNip: the NIPs of a VAT group's members or a
	 *  JST's subordinate units, subunit_count of them; NULL for none. */
	const char *const *subunit_nips;
	/** subunits[].description: one per subunit, 5 to 256 characters. */
	const char *const *subunit_descriptions;
	/** How many subunits: 0 to KSEF_CLIENT_TESTDATA_SUBUNITS_MAX. */
	size_t subunit_count;
	/** createdDate, or KSEF_TIME_UNSET to leave it out. Making the same
	 *  NIP again needs a later date than the time before. */
	int64_t created_date_ms;
} ksef_client_testdata_subject;

/** No subject yet: set subject_nip, subject_type and description. */
#define KSEF_CLIENT_TESTDATA_SUBJECT_INIT                                  \
	{ KSEF_CLIENT_TESTDATA_SUBJECT_VERSION, NULL, NULL, NULL, NULL, NULL, \
	  0, KSEF_TIME_UNSET }

/**
 * POST /testdata/subject: make a test subject, and for a VAT group or a
 * JST its subunits. Not retried after a 5xx: a second one is 30001.
 *
 * @param c   the client; no token is needed.
 * @param s   the subject; copied as its version says.
 * @param err receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL argument, an unknown version or a
 *         field that breaks its schema (named in err), or a code as for
 *         ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_testdata_subject_create(
	ksef_client *c, const ksef_client_testdata_subject *s,
	ksef_error *err);

/**
 * POST /testdata/subject/remove: remove a test subject; a VAT group or a
 * JST takes its subunits with it.
 *
 * @param c           the client; no token is needed.
 * @param subject_nip the subject's NIP (SubjectRemoveRequest.subjectNip).
 * @param err         receives the reason on failure; may be NULL.
 * @return as ksef_client_testdata_subject_create().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_testdata_subject_remove(
	ksef_client *c, const char *subject_nip, ksef_error *err);

/**
 * The version of ksef_client_testdata_person this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_TESTDATA_PERSON_VERSION 1

/** PersonCreateRequest. */
typedef struct ksef_client_testdata_person {
	int version; /**< KSEF_CLIENT_TESTDATA_PERSON_VERSION */
	const char *nip;         /**< nip: the person's NIP. Required. */
	const char *pesel;       /**< pesel: the person's PESEL. Required. */
	/** description: 5 to 256 characters. Required. */
	const char *description;
	int is_bailiff;          /**< isBailiff: non-zero for a bailiff */
	int is_deceased;         /**< isDeceased: non-zero for a deceased one */
	/** createdDate, or KSEF_TIME_UNSET to leave it out. */
	int64_t created_date_ms;
} ksef_client_testdata_person;

/** No person yet: set nip, pesel and description. */
#define KSEF_CLIENT_TESTDATA_PERSON_INIT                                   \
	{ KSEF_CLIENT_TESTDATA_PERSON_VERSION, NULL, NULL, NULL, 0, 0,       \
	  KSEF_TIME_UNSET }

/**
 * POST /testdata/person: make a test person, the owner of its NIP's
 * context. Not retried after a 5xx: a second one is 30001.
 *
 * @param c   the client; no token is needed.
 * @param p   the person; copied as its version says.
 * @param err receives the reason on failure; may be NULL.
 * @return as ksef_client_testdata_subject_create().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_testdata_person_create(
	ksef_client *c, const ksef_client_testdata_person *p, ksef_error *err);

/**
 * POST /testdata/person/remove: remove a test person and all its
 * permissions.
 *
 * @param c   the client; no token is needed.
 * @param nip the person's NIP (PersonRemoveRequest.nip).
 * @param err receives the reason on failure; may be NULL.
 * @return as ksef_client_testdata_subject_create().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_testdata_person_remove(
	ksef_client *c, const char *nip, ksef_error *err);

/*
 * Test permissions
 */

/**
 * The version of ksef_client_testdata_permissions this header describes.
 * The library takes a struct of any version from 1 to its own, reading
 * only the fields that version has and leaving later ones at their
 * defaults.
 */
#define KSEF_CLIENT_TESTDATA_PERMISSIONS_VERSION 1

/** TestDataPermissionsGrantRequest. */
typedef struct ksef_client_testdata_permissions {
	int version; /**< KSEF_CLIENT_TESTDATA_PERMISSIONS_VERSION */
	/** contextIdentifier.value: the NIP of the context (its type is
	 *  "Nip", the only TestDataContextIdentifierType). Required. */
	const char *context_identifier;
	/** authorizedIdentifier.type: "Nip", "Pesel" or "Fingerprint".
	 *  Required. */
	const char *authorized_identifier_type;
	/** authorizedIdentifier.value: a NIP, a PESEL or a certificate's
	 *  SHA-256 fingerprint (64 hex digits). Required. */
	const char *authorized_identifier;
	/** permissions[].permissionType (TestDataPermissionType):
	 *  "InvoiceRead", "InvoiceWrite", "Introspection", "CredentialsRead",
	 *  "CredentialsManage", "EnforcementOperations" or "SubunitManage",
	 *  each at most once; permission_count of them. */
	const char *const *permission_types;
	/** permissions[].description: one per permission, 5 to 256
	 *  characters. */
	const char *const *descriptions;
	/** How many permissions: 1 to KSEF_CLIENT_TESTDATA_PERMISSIONS_MAX. */
	size_t permission_count;
} ksef_client_testdata_permissions;

/** Nothing granted yet. */
#define KSEF_CLIENT_TESTDATA_PERMISSIONS_INIT \
	{ KSEF_CLIENT_TESTDATA_PERMISSIONS_VERSION, NULL, NULL, NULL, NULL, \
	  NULL, 0 }

/**
 * POST /testdata/permissions: grant test permissions to a subject or a
 * person in a NIP's context. Not retried after a 5xx.
 *
 * @param c   the client; no token is needed.
 * @param p   the grant; copied as its version says.
 * @param err receives the reason on failure; may be NULL.
 * @return as ksef_client_testdata_subject_create().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_testdata_permissions_grant(
	ksef_client *c, const ksef_client_testdata_permissions *p,
	ksef_error *err);

/**
 * POST /testdata/permissions/revoke: take back the permissions granted to
 * a subject or person in a NIP's context (TestDataPermissionsRevokeRequest).
 * Revoking again changes nothing, so a 5xx or a timeout is retried.
 *
 * @param c                          the client; no token is needed.
 * @param context_identifier         the context's NIP.
 * @param authorized_identifier_type "Nip", "Pesel" or "Fingerprint".
 * @param authorized_identifier      the NIP, PESEL or fingerprint.
 * @param err                        receives the reason on failure; may be
 *                                   NULL.
 * @return as ksef_client_testdata_subject_create().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_testdata_permissions_revoke(
	ksef_client *c, const char *context_identifier,
	const char *authorized_identifier_type,
	const char *authorized_identifier, ksef_error *err);

/*
 * Attachments and blocked contexts
 */

/**
 * POST /testdata/attachment: allow invoices with attachments in the
 * context of a NIP (AttachmentPermissionGrantRequest). Allowing again
 * changes nothing, so a 5xx or a timeout is retried.
 *
 * @param c   the client; no token is needed.
 * @param nip the NIP.
 * @param err receives the reason on failure; may be NULL.
 * @return as ksef_client_testdata_subject_create().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_testdata_attachment_allow(
	ksef_client *c, const char *nip, ksef_error *err);

/**
 * POST /testdata/attachment/revoke: withdraw that consent
 * (AttachmentPermissionRevokeRequest), now or from a day on. Retried like
 * ksef_client_testdata_attachment_allow().
 *
 * @param c                 the client; no token is needed.
 * @param nip               the NIP.
 * @param expected_end_date expectedEndDate: "YYYY-MM-DD", the day the
 *                          consent ends; NULL for now.
 * @param err               receives the reason on failure; may be NULL.
 * @return as ksef_client_testdata_subject_create().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_testdata_attachment_revoke(
	ksef_client *c, const char *nip, const char *expected_end_date,
	ksef_error *err);

/**
 * POST /testdata/context/block: authentication into the context then
 * ends in status 480 (BlockContextAuthenticationRequest). Blocking a
 * blocked context changes nothing, so a 5xx or a timeout is retried.
 *
 * @param c         the client; no token is needed.
 * @param ctx_type  contextIdentifier.type.
 * @param ctx_value contextIdentifier.value: 1 to 64 printable ASCII
 *                  characters, e.g. a NIP.
 * @param err       receives the reason on failure; may be NULL.
 * @return as ksef_client_testdata_subject_create().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_testdata_context_block(
	ksef_client *c, ksef_context_type ctx_type, const char *ctx_value,
	ksef_error *err);

/**
 * POST /testdata/context/unblock: authentication into the context works
 * again (UnblockContextAuthenticationRequest). Retried like
 * ksef_client_testdata_context_block().
 *
 * @param c         the client; no token is needed.
 * @param ctx_type  contextIdentifier.type.
 * @param ctx_value contextIdentifier.value, as for blocking.
 * @param err       receives the reason on failure; may be NULL.
 * @return as ksef_client_testdata_subject_create().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_testdata_context_unblock(
	ksef_client *c, ksef_context_type ctx_type, const char *ctx_value,
	ksef_error *err);

KSEF_END_DECLS

#endif
