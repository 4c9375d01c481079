/*
 * testdata.h - what the TEST profile's test data means to the rest of
 * ksefd (dane-testowe-scenariusze.md, open-api.json "Dane testowe"): the
 * NIP-PESEL link of a test person, which makes the person an owner; the
 * EnforcementOperations of bailiffs and enforcement authorities; the 470
 * of a deceased person and the 480 of a blocked context at
 * authentication; the seller a VAT group member or a JST subunit may
 * invoice for; and the consent to invoices with attachments.
 *
 * The records are the store's (store_testdata.c); the /testdata
 * operations that make them are api_testdata.c's. Under
 * `--profile production` there is no test data: every function here
 * answers as if none existed, without reading the store.
 */
#ifndef KSEFD_TESTDATA_H
#define KSEFD_TESTDATA_H

#include <stddef.h>
#include <stdint.h>
#include "server.h"

/* Status 470's detail (open-api.json, GET /auth/{referenceNumber}). */
#define TESTDATA_DECEASED_DETAIL \
	"Próba wykorzystania metod autoryzacyjnych osoby zmarłej"
/* Status 480's detail (the same table). */
#define TESTDATA_BLOCKED_DETAIL "Podejrzenie incydentu bezpieczeństwa. " \
	"Skontaktuj się z Ministerstwem Finansów przez formularz zgłoszeniowy."

/*
 * Refuse an authentication whose means were verified (a valid token, a
 * trusted certificate) when its subject is a deceased test person (470)
 * or its context is blocked (480): sets op's status and details and
 * returns 1; 0 leaves op as it was.
 */
int testdata_auth_refused(struct server *srv, store_auth *op);

/*
 * Whether the subject owns the context through a test person: its PESEL
 * is linked to the context's NIP (uprawnienia.md, "Właściciel": the
 * NIP-PESEL link gives the owner's rights to the PESEL too).
 */
int testdata_pesel_owner(struct server *srv, const char *ctx_value,
			 const char *subject_type, const char *subject_value);

/*
 * The owner's permissions of a context, extended by test data: a bailiff
 * person's NIP or an EnforcementAuthority subject adds
 * EnforcementOperations (dane-testowe-scenariusze.md, scenario 1).
 * perms holds the owner's list and is extended in place (size bytes).
 */
void testdata_owner_permissions(struct server *srv, const char *ctx_value,
				char *perms, size_t size);

/* Whether a subject (Nip or Pesel) is a deceased test person: redeeming
 * and refreshing its tokens is then 21308. */
int testdata_deceased(struct server *srv, const char *subject_type,
		      const char *subject_value);

/*
 * Whether a session in this context may issue invoices whose seller
 * (Podmiot1) is another NIP, by a relation test data made (kody-qr.md,
 * "Zgodność kontekstu i NIP sprzedawcy"): a VAT group member or JST
 * subunit for its parent, a bailiff or enforcement authority for anyone.
 */
int testdata_seller_related(struct server *srv, const char *ctx_type,
			    const char *ctx_value, const char *seller);

/*
 * The context's consent to invoices with attachments at now_ms
 * (uprawnienia.md, "Sprawdzenie statusu zgody"): 1 allowed, 0 not.
 * *revoked_ms (may be NULL) receives the end of the consent, 0 when it
 * has none or there is no consent at all: GET
 * /permissions/attachments/status's isAttachmentAllowed and revokedDate.
 */
int testdata_attachments_allowed(struct server *srv, const char *ctx_type,
				 const char *ctx_value, int64_t now_ms,
				 int64_t *revoked_ms);

#endif
