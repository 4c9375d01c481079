/*
 * client_permissions.h - the permission operations of the KSeF 2.0 API
 * (uprawnienia.md; the open-api tags "Nadawanie uprawnień", "Odbieranie
 * uprawnień", "Operacje" and "Wyszukiwanie nadanych uprawnień"): grants of
 * every kind, their revocation, the status of those operations, the
 * consent to invoices with attachments, and the lists of granted
 * permissions and entity roles.
 *
 * The rules of client.h hold here too: calls use the access token set with
 * ksef_client_set_access_token(), results are ksef_api_* structs handed
 * out by pointer only and freed with their _free, lists are opaque and
 * read with _count() and _at(), and the caller's inputs are versioned
 * structs started from their KSEF_..._INIT.
 *
 * Names come from open-api.json: a field `subject_value` is the contract's
 * subjectIdentifier.value, a value of ksef_perm_id_type is the type of an
 * identifier (Nip, Pesel...), a KSEF_PERM_* bit a permission's name.
 */
#ifndef KSEF_CLIENT_PERMISSIONS_H
#define KSEF_CLIENT_PERMISSIONS_H

#include <stdint.h>
#include "common.h"
#include "error.h"
#include "number.h"
#include "client.h"

KSEF_BEGIN_DECLS

/*
 * Names shared by requests and results
 */

/**
 * Permissions, as bits. The first seven have the values of the
 * KSEF_TOKEN_PERM_* bits of the same names.
 */
#define KSEF_PERM_INVOICE_READ 0x001u           /**< InvoiceRead */
#define KSEF_PERM_INVOICE_WRITE 0x002u          /**< InvoiceWrite */
#define KSEF_PERM_CREDENTIALS_READ 0x004u       /**< CredentialsRead */
#define KSEF_PERM_CREDENTIALS_MANAGE 0x008u     /**< CredentialsManage */
#define KSEF_PERM_SUBUNIT_MANAGE 0x010u         /**< SubunitManage */
/** EnforcementOperations */
#define KSEF_PERM_ENFORCEMENT_OPERATIONS 0x020u
#define KSEF_PERM_INTROSPECTION 0x040u          /**< Introspection */
#define KSEF_PERM_VAT_UE_MANAGE 0x080u          /**< VatUeManage */
#define KSEF_PERM_SELF_INVOICING 0x100u         /**< SelfInvoicing */
#define KSEF_PERM_RR_INVOICING 0x200u           /**< RRInvoicing */
#define KSEF_PERM_TAX_REPRESENTATIVE 0x400u     /**< TaxRepresentative */
#define KSEF_PERM_PEF_INVOICING 0x800u          /**< PefInvoicing */

/**
 * The name of one permission bit.
 *
 * @param bit one KSEF_PERM_* bit.
 * @return its name as open-api.json spells it ("InvoiceWrite"), a static
 *         string; NULL for anything but a single known bit.
 */
KSEF_API const char *ksef_permission_name(unsigned bit);

/**
 * The bit of a permission's name.
 *
 * @param name a name as open-api.json spells it; compared exactly.
 * @return its KSEF_PERM_* bit, or 0 for NULL or an unknown name.
 */
KSEF_API unsigned ksef_permission_bit(const char *name);

/** The types of identifiers in permission requests. */
typedef enum ksef_perm_id_type {
	KSEF_PERM_ID_NONE = 0,         /**< absent: the member is left out */
	KSEF_PERM_ID_NIP = 1,          /**< "Nip": 10 digits */
	KSEF_PERM_ID_PESEL = 2,        /**< "Pesel": 11 digits */
	/** "Fingerprint": a certificate's SHA-256, 64 hex digits */
	KSEF_PERM_ID_FINGERPRINT = 3,
	/** "InternalId": a NIP, '-' and 5 digits, the last a check digit */
	KSEF_PERM_ID_INTERNAL_ID = 4,
	/** "NipVatUe": a NIP, '-' and an EU VAT number */
	KSEF_PERM_ID_NIP_VAT_UE = 5,
	KSEF_PERM_ID_PEPPOL_ID = 6,    /**< "PeppolId", e.g. "PPL123456" */
	KSEF_PERM_ID_ALL_PARTNERS = 7, /**< "AllPartners": no value */
	KSEF_PERM_ID_SYSTEM = 8        /**< "System": no value */
} ksef_perm_id_type;

/*
 * Grants (POST /permissions/.../grants)
 */

/** Which grant operation: one endpoint each. */
typedef enum ksef_grant_kind {
	/** POST /permissions/persons/grants (PersonPermissionsGrantRequest) */
	KSEF_GRANT_PERSON = 0,
	/** POST /permissions/entities/grants */
	KSEF_GRANT_ENTITY = 1,
	/** POST /permissions/authorizations/grants: SelfInvoicing,
	 *  RRInvoicing, TaxRepresentative or PefInvoicing, one at a time */
	KSEF_GRANT_AUTHORIZATION = 2,
	/** POST /permissions/indirect/grants: by an intermediary */
	KSEF_GRANT_INDIRECT = 3,
	/** POST /permissions/subunits/grants: a subunit's administrator */
	KSEF_GRANT_SUBUNIT = 4,
	/** POST /permissions/eu-entities/administration/grants */
	KSEF_GRANT_EU_ADMINISTRATION = 5,
	/** POST /permissions/eu-entities/grants: an EU entity's
	 *  representative */
	KSEF_GRANT_EU_REPRESENTATIVE = 6
} ksef_grant_kind;

/** subjectDetails.subjectDetailsType of a grant. */
typedef enum ksef_subject_details_type {
	/** Chosen from the grant: a NIP or PESEL is PersonByIdentifier; a
	 *  fingerprint is PersonByFingerprintWithIdentifier when
	 *  person_id_value is set, PersonByFingerprintWithoutIdentifier when
	 *  birth_date is, else (EU grants) EntityByFingerprint. Entity and
	 *  authorization grants have no type: their details are fullName. */
	KSEF_SUBJECT_DETAILS_AUTO = 0,
	KSEF_SUBJECT_PERSON_BY_IDENTIFIER = 1, /**< PersonByIdentifier */
	/** PersonByFingerprintWithIdentifier */
	KSEF_SUBJECT_PERSON_BY_FINGERPRINT_WITH_ID = 2,
	/** PersonByFingerprintWithoutIdentifier */
	KSEF_SUBJECT_PERSON_BY_FINGERPRINT_NO_ID = 3,
	/** EntityByFingerprint (EU grants only) */
	KSEF_SUBJECT_ENTITY_BY_FINGERPRINT = 4
} ksef_subject_details_type;

/**
 * The version of ksef_client_grant this header describes. The library
 * takes a struct of any version from 1 to its own, reading only the fields
 * that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_GRANT_VERSION 1

/**
 * One grant: what ksef_client_permissions_grant() sends. Start from
 * KSEF_CLIENT_GRANT_INIT; leave what the kind does not use NULL, 0 or
 * KSEF_PERM_ID_NONE (anything else is KSEF_EINVAL). Texts are UTF-8 and
 * their lengths are counted in characters, as the contract's are.
 *
 * - PERSON: subject Nip, Pesel or Fingerprint; permissions of the first
 *   seven bits; no target.
 * - ENTITY: subject Nip; InvoiceWrite, InvoiceRead; no target.
 * - AUTHORIZATION: subject Nip or PeppolId; exactly one of SelfInvoicing,
 *   RRInvoicing, TaxRepresentative, PefInvoicing; no target.
 * - INDIRECT: subject Nip, Pesel or Fingerprint; InvoiceWrite,
 *   InvoiceRead; target Nip, InternalId or AllPartners, or none (a general
 *   grant).
 * - SUBUNIT: subject Nip, Pesel or Fingerprint; permissions 0 (the grant
 *   gives CredentialsManage); target InternalId or Nip, required.
 * - EU_ADMINISTRATION: subject Fingerprint; permissions 0 (the grant gives
 *   the administrator's set); target NipVatUe, required.
 * - EU_REPRESENTATIVE: subject Fingerprint; InvoiceWrite, InvoiceRead; no
 *   target.
 */
typedef struct ksef_client_grant {
	int version;                    /**< KSEF_CLIENT_GRANT_VERSION */
	ksef_grant_kind kind;           /**< which operation */
	ksef_perm_id_type subject_type; /**< subjectIdentifier.type */
	const char *subject_value;      /**< subjectIdentifier.value */
	/** KSEF_PERM_* bits: permissions (permission for an authorization) */
	unsigned permissions;
	/** Entity grants: the bits of `permissions` given with
	 *  canDelegate true (the others false); 0 for the other kinds. */
	unsigned can_delegate;
	const char *description;        /**< 5 to 256 characters */
	/** targetIdentifier (indirect) or contextIdentifier (subunit, EU
	 *  administration): its type */
	ksef_perm_id_type target_type;
	/** Its value; NULL for AllPartners. */
	const char *target_value;
	/** subjectDetails.subjectDetailsType (persons, indirect, subunit
	 *  and EU grants). */
	ksef_subject_details_type details_type;
	const char *first_name;         /**< a person's: 2 to 30 characters */
	const char *last_name;          /**< a person's: 2 to 81 characters */
	/** PersonByFingerprintWithIdentifier: identifier.type, Pesel or
	 *  Nip. */
	ksef_perm_id_type person_id_type;
	const char *person_id_value;    /**< and its value */
	/** PersonByFingerprintWithoutIdentifier: birthDate, YYYY-MM-DD. */
	const char *birth_date;
	/** and its idDocument: type (1 to 20 characters)... */
	const char *id_document_type;
	const char *id_document_number; /**< ...number (1 to 20)... */
	const char *id_document_country;/**< ...and country ("DE") */
	/** Entity and authorization grants: subjectDetails.fullName, 5 to
	 *  90 characters; EntityByFingerprint: its fullName, 1 to 100. */
	const char *full_name;
	/** EntityByFingerprint: its address, 1 to 512 characters. */
	const char *address;
	/** Subunit grants: subunitName, 5 to 256 characters; required for
	 *  an InternalId subunit. */
	const char *subunit_name;
	/** EU administration: euEntityName, 5 to 256 characters. */
	const char *eu_entity_name;
	/** EU administration: euEntityDetails.fullName, 1 to 100. */
	const char *eu_entity_full_name;
	/** EU administration: euEntityDetails.address, 1 to 512. */
	const char *eu_entity_address;
} ksef_client_grant;

/** A person grant with nothing filled in yet. */
#define KSEF_CLIENT_GRANT_INIT                                              \
	{ KSEF_CLIENT_GRANT_VERSION, KSEF_GRANT_PERSON, KSEF_PERM_ID_NONE,  \
	  NULL, 0u, 0u, NULL, KSEF_PERM_ID_NONE, NULL,                      \
	  KSEF_SUBJECT_DETAILS_AUTO, NULL, NULL, KSEF_PERM_ID_NONE, NULL,   \
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL }

/**
 * POST one of the grant endpoints (the grant's kind says which). KSeF
 * accepts the operation (202) and decides it later: read its outcome with
 * ksef_client_permissions_operation(). Not retried after a 5xx.
 *
 * @param[out] ref_out  receives the operation's reference number (type
 *                      EG) and a NUL; unchanged on failure.
 * @param c             the client.
 * @param grant         the grant; read, not kept.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a grant the contract would refuse (the
 *         message names the field), or a code as for
 *         ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_permissions_grant(
	char ref_out[KSEF_REFNUM_BUFSZ], ksef_client *c,
	const ksef_client_grant *grant, ksef_error *err);

/**
 * DELETE /permissions/common/grants/{permissionId}, or with authorization
 * DELETE /permissions/authorizations/grants/{permissionId}: revoke one
 * granted permission (an id from a list). Entity permissions
 * (SelfInvoicing, RRInvoicing, TaxRepresentative, PefInvoicing) are
 * revoked through the second; every other grant through the first. Not
 * retried after a 5xx.
 *
 * @param[out] ref_out      as for ksef_client_permissions_grant().
 * @param c                 the client.
 * @param permission_id     the grant's id: 36 letters, digits or hyphens.
 * @param authorization     non-zero for an entity permission.
 * @param err               receives the reason on failure; may be NULL.
 * @return as ksef_client_permissions_grant().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_permissions_revoke(
	char ref_out[KSEF_REFNUM_BUFSZ], ksef_client *c,
	const char *permission_id, int authorization, ksef_error *err);

/**
 * The answer of GET /permissions/operations/{referenceNumber}.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_permission_operation {
	/** 100 in progress, 200 done; 400 and up refused (410, 420, 430,
	 *  440, 450...), with the reason in details. Never NULL. */
	const ksef_api_status *status;
} ksef_api_permission_operation;

/**
 * GET /permissions/operations/{referenceNumber}: how a grant or a
 * revocation went. Poll until status.code is no longer 100.
 *
 * @param[out] out      receives the status; free it with
 *                      ksef_api_permission_operation_free(). NULL on
 *                      failure.
 * @param c             the client.
 * @param reference     the operation's number.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_permissions_operation(
	ksef_api_permission_operation **out, ksef_client *c,
	const char *reference, ksef_error *err);

/**
 * Free an operation's status.
 *
 * @param op the status; NULL does nothing.
 */
KSEF_API void ksef_api_permission_operation_free(
	ksef_api_permission_operation *op);

/**
 * The answer of GET /permissions/attachments/status.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_attachment_status {
	/** isAttachmentAllowed: 1, 0, or -1 when absent. */
	int is_attachment_allowed;
	/** revokedDate, or KSEF_TIME_UNSET. */
	int64_t revoked_date_ms;
} ksef_api_attachment_status;

/**
 * GET /permissions/attachments/status: whether the context may send
 * invoices with attachments.
 *
 * @param[out] out  receives the status; free it with
 *                  ksef_api_attachment_status_free(). NULL on failure.
 * @param c         the client.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_permissions_attachment_status(
	ksef_api_attachment_status **out, ksef_client *c, ksef_error *err);

/**
 * Free an attachment status.
 *
 * @param st the status; NULL does nothing.
 */
KSEF_API void ksef_api_attachment_status_free(ksef_api_attachment_status *st);

/*
 * Lists of granted permissions (POST /permissions/query/.../grants)
 */

/** Which list. */
typedef enum ksef_permission_list_kind {
	/** POST /permissions/query/personal/grants: the caller's own */
	KSEF_PERMISSIONS_PERSONAL = 0,
	/** POST /permissions/query/persons/grants */
	KSEF_PERMISSIONS_PERSONS = 1,
	/** POST /permissions/query/subunits/grants: subunit administrators */
	KSEF_PERMISSIONS_SUBUNITS = 2,
	/** POST /permissions/query/entities/grants: those the context's
	 *  entity received */
	KSEF_PERMISSIONS_ENTITIES = 3,
	/** POST /permissions/query/authorizations/grants: entity
	 *  permissions (SelfInvoicing...) */
	KSEF_PERMISSIONS_AUTHORIZATIONS = 4,
	/** POST /permissions/query/eu-entities/grants */
	KSEF_PERMISSIONS_EU_ENTITIES = 5
} ksef_permission_list_kind;

/** queryType of the persons and authorizations lists. */
typedef enum ksef_permission_query_type {
	/** PermissionsInCurrentContext for persons, Granted for
	 *  authorizations */
	KSEF_PERM_QUERY_DEFAULT = 0,
	/** PermissionsInCurrentContext (persons) */
	KSEF_PERM_QUERY_IN_CURRENT_CONTEXT = 1,
	/** PermissionsGrantedInCurrentContext (persons) */
	KSEF_PERM_QUERY_GRANTED_IN_CURRENT_CONTEXT = 2,
	KSEF_PERM_QUERY_GRANTED = 3,   /**< Granted (authorizations) */
	KSEF_PERM_QUERY_RECEIVED = 4   /**< Received (authorizations) */
} ksef_permission_query_type;

/** permissionState filter. */
typedef enum ksef_permission_state {
	KSEF_PERM_STATE_ANY = 0,       /**< left out */
	KSEF_PERM_STATE_ACTIVE = 1,    /**< "Active" */
	KSEF_PERM_STATE_INACTIVE = 2   /**< "Inactive" */
} ksef_permission_state;

/**
 * The version of ksef_client_permission_query this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_CLIENT_PERMISSION_QUERY_VERSION 1

/**
 * One page of one list, with its filters. A filter is left out when its
 * type is KSEF_PERM_ID_NONE, its string NULL or its bits 0; a filter the
 * list does not have must be left out (KSEF_EINVAL otherwise):
 *
 * - personal: context, target, permission_types, state;
 * - persons: query_type, author, authorized, context, target,
 *   permission_types, state;
 * - subunits: subunit;
 * - entities: context;
 * - authorizations: query_type, authorizing, authorized,
 *   permission_types;
 * - eu-entities: vat_ue_identifier, authorized_fingerprint,
 *   permission_types.
 */
typedef struct ksef_client_permission_query {
	int version;  /**< KSEF_CLIENT_PERMISSION_QUERY_VERSION */
	ksef_permission_list_kind list;          /**< which list */
	int page_size;    /**< pageSize, 10 to 100, or 0 (the server's 10) */
	int page_offset;  /**< pageOffset: the page's number, from 0 */
	ksef_permission_query_type query_type;   /**< queryType */
	/** contextIdentifier: Nip or InternalId */
	ksef_perm_id_type context_type;
	const char *context_value;               /**< its value */
	/** targetIdentifier: Nip, InternalId or AllPartners */
	ksef_perm_id_type target_type;
	const char *target_value;                /**< NULL for AllPartners */
	/** authorIdentifier: Nip, Pesel, Fingerprint or System */
	ksef_perm_id_type author_type;
	const char *author_value;                /**< NULL for System */
	/** authorizedIdentifier: Nip, Pesel or Fingerprint (persons); Nip
	 *  or PeppolId (authorizations) */
	ksef_perm_id_type authorized_type;
	const char *authorized_value;            /**< its value */
	/** authorizingIdentifier (authorizations): Nip */
	ksef_perm_id_type authorizing_type;
	const char *authorizing_value;           /**< its value */
	/** subunitIdentifier (subunits): InternalId or Nip */
	ksef_perm_id_type subunit_type;
	const char *subunit_value;               /**< its value */
	/** permissionTypes: KSEF_PERM_* bits the list's items may have */
	unsigned permission_types;
	ksef_permission_state state;             /**< permissionState */
	/** vatUeIdentifier, e.g. "DE123456789" */
	const char *vat_ue_identifier;
	/** authorizedFingerprintIdentifier: a fingerprint or part of one */
	const char *authorized_fingerprint;
} ksef_client_permission_query;

/** The first page of the personal list, unfiltered. */
#define KSEF_CLIENT_PERMISSION_QUERY_INIT                                  \
	{ KSEF_CLIENT_PERMISSION_QUERY_VERSION, KSEF_PERMISSIONS_PERSONAL,  \
	  0, 0, KSEF_PERM_QUERY_DEFAULT, KSEF_PERM_ID_NONE, NULL,           \
	  KSEF_PERM_ID_NONE, NULL, KSEF_PERM_ID_NONE, NULL,                 \
	  KSEF_PERM_ID_NONE, NULL, KSEF_PERM_ID_NONE, NULL,                 \
	  KSEF_PERM_ID_NONE, NULL, 0u, KSEF_PERM_STATE_ANY, NULL, NULL }

/**
 * An identifier in a result: {type, value}.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_identifier {
	const char *type;   /**< "Nip", "Pesel", "AllPartners"... */
	const char *value;  /**< NULL for AllPartners and System */
} ksef_api_identifier;

/**
 * What a list shows of a person (subjectPersonDetails).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_person_details {
	const char *subject_details_type; /**< "PersonByIdentifier"... */
	const char *first_name;           /**< firstName */
	const char *last_name;            /**< lastName */
	/** personIdentifier, or NULL */
	const ksef_api_identifier *person_identifier;
	const char *birth_date;           /**< YYYY-MM-DD, or NULL */
	const char *id_document_type;     /**< idDocument.type, or NULL */
	const char *id_document_number;   /**< idDocument.number, or NULL */
	const char *id_document_country;  /**< idDocument.country, or NULL */
} ksef_api_person_details;

/**
 * What a list shows of an entity (subjectEntityDetails, and
 * euEntityDetails, which has no type).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_entity_details {
	/** "EntityByIdentifier", "EntityByFingerprint", or NULL */
	const char *subject_details_type;
	const char *full_name;            /**< fullName */
	const char *address;              /**< address, or NULL */
} ksef_api_entity_details;

/**
 * One granted permission of any list: every member that an item of any
 * of the six lists has (PersonalPermission, PersonPermission,
 * SubunitPermission, EntityPermissionItem, EntityAuthorizationGrant,
 * EuEntityPermission). What an item does not have is NULL, -1 or
 * KSEF_TIME_UNSET.
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_permission {
	const char *id;                  /**< the grant's id, to revoke it */
	/** permissionScope, or authorizationScope (authorizations) */
	const char *scope;
	/** scope's KSEF_PERM_* bit; 0 for a name this version does not
	 *  know */
	unsigned scope_bit;
	const char *description;         /**< description */
	int64_t start_date_ms;           /**< startDate */
	int can_delegate;                /**< canDelegate: 1, 0 or -1 */
	/** permissionState: "Active", "Inactive", or NULL */
	const char *permission_state;
	const ksef_api_identifier *context;      /**< contextIdentifier */
	/** authorizedIdentifier, or authorizedEntityIdentifier
	 *  (authorizations) */
	const ksef_api_identifier *authorized;
	/** authorizingEntityIdentifier (authorizations) */
	const ksef_api_identifier *authorizing;
	const ksef_api_identifier *target;       /**< targetIdentifier */
	const ksef_api_identifier *author;       /**< authorIdentifier */
	const ksef_api_identifier *subunit;      /**< subunitIdentifier */
	const char *subunit_name;                /**< subunitName */
	const char *vat_ue_identifier;           /**< vatUeIdentifier */
	const char *eu_entity_name;              /**< euEntityName */
	/** authorizedFingerprintIdentifier */
	const char *authorized_fingerprint;
	/** subjectPersonDetails */
	const ksef_api_person_details *person_details;
	/** subjectEntityDetails */
	const ksef_api_entity_details *entity_details;
	/** euEntityDetails */
	const ksef_api_entity_details *eu_entity_details;
} ksef_api_permission;

/** One page of a permission list; opaque. */
typedef struct ksef_api_permission_list ksef_api_permission_list;

/**
 * How many permissions a page holds.
 *
 * @param l the page; may be NULL.
 * @return the count; 0 for NULL.
 */
KSEF_API size_t ksef_api_permission_list_count(
	const ksef_api_permission_list *l);

/**
 * One permission of a page, newest first.
 *
 * @param l the page; may be NULL.
 * @param i from 0 to ksef_api_permission_list_count() - 1.
 * @return the permission, borrowed from l until
 *         ksef_api_permission_list_free(); NULL when i is out of range or
 *         l is NULL.
 */
KSEF_API const ksef_api_permission *ksef_api_permission_list_at(
	const ksef_api_permission_list *l, size_t i);

/**
 * Whether another page follows (hasMore): ask for it with page_offset
 * one higher.
 *
 * @param l the page; may be NULL.
 * @return 1 or 0; 0 for NULL.
 */
KSEF_API int ksef_api_permission_list_has_more(
	const ksef_api_permission_list *l);

/**
 * One page of a list of granted permissions.
 *
 * @param[out] out  receives the page; free it with
 *                  ksef_api_permission_list_free(). NULL on failure.
 * @param c         the client.
 * @param q         the list, page and filters.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a query the contract would refuse, or a code
 *         as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_permissions_query(
	ksef_api_permission_list **out, ksef_client *c,
	const ksef_client_permission_query *q, ksef_error *err);

/**
 * Free a page of permissions.
 *
 * @param list the page; NULL does nothing.
 */
KSEF_API void ksef_api_permission_list_free(ksef_api_permission_list *list);

/*
 * Entity roles
 */

/**
 * One role (EntityRole, SubordinateEntityRole).
 *
 * Read through the pointer only; fields may be added at the end.
 */
typedef struct ksef_api_entity_role {
	/** role: "CourtBailiff", "VatGroupUnit", "VatGroupSubUnit"... */
	const char *role;
	const char *description;         /**< description */
	int64_t start_date_ms;           /**< startDate */
	/** parentEntityIdentifier (entity roles), or NULL */
	const ksef_api_identifier *parent_entity;
	/** subordinateEntityIdentifier (subordinate roles), or NULL */
	const ksef_api_identifier *subordinate_entity;
} ksef_api_entity_role;

/** One page of roles; opaque. */
typedef struct ksef_api_entity_role_list ksef_api_entity_role_list;

/**
 * How many roles a page holds.
 *
 * @param l the page; may be NULL.
 * @return the count; 0 for NULL.
 */
KSEF_API size_t ksef_api_entity_role_list_count(
	const ksef_api_entity_role_list *l);

/**
 * One role of a page.
 *
 * @param l the page; may be NULL.
 * @param i from 0 to ksef_api_entity_role_list_count() - 1.
 * @return the role, borrowed from l until
 *         ksef_api_entity_role_list_free(); NULL when i is out of range or
 *         l is NULL.
 */
KSEF_API const ksef_api_entity_role *ksef_api_entity_role_list_at(
	const ksef_api_entity_role_list *l, size_t i);

/**
 * Whether another page follows (hasMore).
 *
 * @param l the page; may be NULL.
 * @return 1 or 0; 0 for NULL.
 */
KSEF_API int ksef_api_entity_role_list_has_more(
	const ksef_api_entity_role_list *l);

/**
 * GET /permissions/query/entities/roles: the roles of the context's
 * entity.
 *
 * @param[out] out      receives the page; free it with
 *                      ksef_api_entity_role_list_free(). NULL on failure.
 * @param c             the client.
 * @param page_size     10 to 100, or 0 for the server's default.
 * @param page_offset   the page's number, from 0.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_permissions_entity_roles(
	ksef_api_entity_role_list **out, ksef_client *c, int page_size,
	int page_offset, ksef_error *err);

/**
 * POST /permissions/query/subordinate-entities/roles: the entities under
 * the context's entity (the members of its VAT group, its local
 * government subunits).
 *
 * @param[out] out              as for
 *                              ksef_client_permissions_entity_roles().
 * @param c                     the client.
 * @param subordinate_nip       subordinateEntityIdentifier: one member's
 *                              NIP, or NULL for all.
 * @param page_size             10 to 100, or 0.
 * @param page_offset           the page's number, from 0.
 * @param err                   receives the reason on failure; may be
 *                              NULL.
 * @return 0 or a code as for ksef_client_pubkey_certs().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_client_permissions_subordinate_roles(
	ksef_api_entity_role_list **out, ksef_client *c,
	const char *subordinate_nip, int page_size, int page_offset,
	ksef_error *err);

/**
 * Free a page of roles.
 *
 * @param list the page; NULL does nothing.
 */
KSEF_API void ksef_api_entity_role_list_free(ksef_api_entity_role_list *list);

KSEF_END_DECLS

#endif
