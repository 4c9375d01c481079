/*
 * upo_service.h - ksefd's UPO receipts (SPEC 9): made and signed once, on
 * first request, and kept, so signing never sits on the acceptance path;
 * pre-signed links to them; the session's UPO pages.
 */
#ifndef KSEFD_UPO_SERVICE_H
#define KSEFD_UPO_SERVICE_H

#include "server.h"

/* Load the UPO signing key and certificate from the keyring. */
int upo_service_init(struct server *srv, ksef_error *err);
void upo_service_free(struct server *srv);

/* The signing certificate as PEM (for publishing), or NULL. */
const char *upo_certificate_pem(struct server *srv);

/* The UPO of an accepted invoice, made and kept on first use. */
int upo_for_invoice(struct server *srv, const store_session *s,
		    const store_invoice *inv, ksef_buf *out, ksef_error *err);

/* Page `page_ref` of a session's UPO; KSEF_ENOTFOUND if the session has no
 * such page. */
int upo_for_page(struct server *srv, const store_session *s,
		 const char *page_ref, ksef_buf *out, ksef_error *err);

/* Give a session that just reached 200 its UPO page numbers. */
int upo_assign_pages(struct server *srv, const char *session_ref,
		     ksef_error *err);

/* Pre-signed links (absolute URLs, malloc'd) and their expiry. */
char *upo_invoice_link(struct request *req, const store_invoice *inv,
		       int64_t *expires_ms);
char *upo_page_link(struct request *req, const char *session_ref,
		    const char *page_ref, int64_t *expires_ms);

#endif
