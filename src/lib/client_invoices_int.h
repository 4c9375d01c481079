/*
 * client_invoices_int.h - what the files of invoice retrieval share:
 * client_invoices_query.c (filters, the metadata query, InvoiceMetadata),
 * client_invoices_export.c (exports: start, status, download of the
 * parts) and client_invoices_unzip.c (unpacking a package). The unit
 * tests reach the builders and the unpacker.
 */
#ifndef KSEF_CLIENT_INVOICES_INT_H
#define KSEF_CLIENT_INVOICES_INT_H

#include <stdint.h>
#include <jansson.h>
#include "ksef/client_invoices.h"
#include "client_int.h"

struct ksef_api_invoice_metadata_list { struct ksef__list l; };
struct ksef_api_export_parts { struct ksef__list l; };

/* InvoiceQueryFilters as JSON, every field checked first. */
int ksef__invoice_filters_json(json_t **out, const ksef_invoice_filters *f,
			       ksef_error *err);

/* The path and query of POST /invoices/query/metadata. */
int ksef__invoice_query_path(ksef_buf *path, int descending, int page_offset,
			     int page_size, ksef_error *err);

/* InvoiceExportRequest (POST /invoices/exports). */
int ksef__invoice_export_body(json_t **out, const ksef_envelope *env,
			      const ksef_pubkey *pub,
			      const ksef_invoice_filters *f, int only_metadata,
			      ksef_error *err);

/* Reads one InvoiceMetadata into a ksef_api_invoice_metadata. */
int ksef__rd_invoice_metadata(struct ksef__rd *r, const json_t *o,
			      void *item);

/*
 * Unpack the ZIP file zip_path into dir (client_invoices_unzip.c): only
 * regular files with plain names ([A-Za-z0-9._-], not starting with '.',
 * at most KSEF_EXPORT_NAME_MAX bytes), within the KSEF_EXPORT_* limits;
 * anything else is KSEF_EFORMAT before a byte of it is written. With
 * keep_existing, an entry whose file exists is skipped. on_entry (may be
 * NULL) is called for each file written. The counts go to *written,
 * *kept and *bytes.
 */
int ksef__export_unzip(const char *zip_path, const char *dir,
		       int keep_existing, ksef_export_entry_cb on_entry,
		       void *ud, size_t *written, size_t *kept,
		       uint64_t *bytes, ksef_error *err);

/* Whether name may be written into the package's folder. */
int ksef__export_name_ok(const char *name);

#endif
