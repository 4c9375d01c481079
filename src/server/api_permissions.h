/*
 * api_permissions.h - what the permission handlers share (the tags
 * "Nadawanie uprawnień", "Odbieranie uprawnień", "Operacje" and
 * "Wyszukiwanie nadanych uprawnień"): who the caller is, the identifiers,
 * texts and subject details of the request bodies checked against their
 * schemas, and the recording of an operation with its 202 answer
 * (api_permissions_common.c). Grants are api_permissions.c, revocations
 * and operation statuses api_permissions_ops.c, queries
 * api_permissions_query.c.
 */
#ifndef KSEFD_API_PERMISSIONS_H
#define KSEFD_API_PERMISSIONS_H

#include <jansson.h>
#include "api.h"
#include "store.h"

/* The caller of a permission operation: its context, who authenticated,
 * and whether that subject owns the context. */
struct perm_caller {
	char ctx_type[STORE_CTX_TYPE_SZ];
	char ctx_value[STORE_CTX_VALUE_SZ];
	char subject_type[STORE_CTX_TYPE_SZ];
	char subject_value[STORE_CTX_VALUE_SZ];
	int owner;
};

/* The caller of req (its access token's authentication); 0, or -1 after
 * answering 500. */
int perm_caller_load(struct request *req, struct perm_caller *out);

/* An identifier {type, value} of a request body. */
struct perm_id {
	char type[STORE_CTX_TYPE_SZ];   /* canonical: Nip, Pesel, ... */
	char value[STORE_CTX_VALUE_SZ]; /* "" for AllPartners and System */
};

/* Identifier types, as a mask for perm_ident(). */
enum {
	PERM_ID_NIP = 1 << 0,
	PERM_ID_PESEL = 1 << 1,
	PERM_ID_FINGERPRINT = 1 << 2,
	PERM_ID_INTERNAL_ID = 1 << 3,
	PERM_ID_NIP_VAT_UE = 1 << 4,
	PERM_ID_PEPPOL_ID = 1 << 5,
	PERM_ID_ALL_PARTNERS = 1 << 6,
	PERM_ID_SYSTEM = 1 << 7,
};

/*
 * The identifier object `name` of obj, one of the types in `types`, its
 * value of that type's form (a NIP or PESEL by pattern, and on the
 * production profile by check digit too; a fingerprint as 64 hex digits,
 * kept in upper case). 1 when present, 0 when absent or null and not
 * required, -1 after answering 400/21405.
 */
int perm_ident(struct request *req, json_t *obj, const char *name,
	       unsigned types, int required, struct perm_id *out);

/* A string member of min..max characters (UTF-8 code points, as the
 * schemas count them); NULL if absent and optional, or after answering
 * 21405 (then *failed is set). */
const char *perm_text(struct request *req, json_t *obj, const char *path,
		      const char *name, size_t min, size_t max, int required,
		      int *failed);

/*
 * The array `name` of obj: names out of `allowed` (NULL-terminated), each
 * once, at least one. The names (canonical, from `allowed`) go to
 * out[0..*n); with_delegate reads EntityPermission objects {type,
 * canDelegate} and their flags into delegate[]. 0, or -1 after answering
 * 21405.
 */
int perm_names(struct request *req, json_t *obj, const char *name,
	       const char *const *allowed, int with_delegate,
	       const char *out[], int delegate[], size_t max, size_t *n);

/* The kinds of subjectDetails a grant takes. */
enum perm_details_kind {
	PERM_DETAILS_PERSON,   /* PersonPermissionSubjectDetails */
	PERM_DETAILS_ENTITY,   /* EntityDetails */
	PERM_DETAILS_EU,       /* EuEntityPermissionSubjectDetails */
};

/*
 * The subjectDetails of body, checked against its schema and against the
 * grantee's identifier type (a fingerprint is a person or entity "by
 * fingerprint", a NIP or PESEL a person "by identifier"), and turned into
 * the member a query shows (subjectPersonDetails or subjectEntityDetails),
 * set on `details` (a JSON object). 0, or -1 after answering 21405.
 */
int perm_subject_details(struct request *req, json_t *body,
			 enum perm_details_kind kind,
			 const struct perm_id *grantee, json_t *details);

/* A grant row of the caller's: kind, grantee and description set, its
 * grantor and author the caller's, its context the caller's (change it
 * for the kinds whose context is another). */
void perm_row_init(store_permission *row, int kind,
		   const struct perm_caller *c, const struct perm_id *grantee,
		   const char *description, int64_t now_ms);

/* Dump details into the rows' details field; 0, or -1 after answering
 * 21405 when they do not fit. */
int perm_rows_details(struct request *req, store_permission *rows, size_t n,
		      json_t *details);

/* A new operation of the caller's with its status and detail (NULL:
 * none), under a fresh EG reference number; 0, or -1 after answering
 * 500. */
int perm_op_init(struct request *req, const struct perm_caller *c,
		 int status, const char *detail, store_perm_op *op);
/* The 202 of an operation recorded: {referenceNumber}. */
void perm_op_reply(struct request *req, const store_perm_op *op);

/*
 * End a grant operation: record it with its status (200:
 * rows[0..n) granted with it; any other: nothing changed, detail says
 * why) under a fresh EG reference number, and answer 202 with it.
 */
void perm_operation(struct request *req, const struct perm_caller *c,
		    store_permission *rows, size_t n, int status,
		    const char *detail);

/* The description of an operation status
 * (PermissionsOperationStatusResponse). */
const char *perm_status_description(int code);

/* The part of the query that every list shares: pageOffset and pageSize
 * (10..100, default 10). 0, or -1 after answering 21405. */
int perm_page(struct request *req, size_t *offset, size_t *limit);

#endif
