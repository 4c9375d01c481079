/*
 * invoice_meta.h - the metadata of an invoice as POST
 * /invoices/query/metadata lists it (InvoiceMetadata of open-api.json):
 * made from a verdict when the invoice is accepted, written as JSON from
 * the store's rows for the query's answer and an export's _metadata.json.
 */
#ifndef KSEFD_INVOICE_META_H
#define KSEFD_INVOICE_META_H

#include <jansson.h>
#include "store.h"

/* Fill m from the verdict of an accepted invoice of form `form`. */
void invoice_meta_from_verdict(store_invoice_meta *m, const ksef_verdict *v,
			       int form);

/* The day key of a "YYYY-MM-DD" date (its midnight UTC, in ms), or
 * INT64_MIN when it is not a date. */
int64_t invoice_meta_day_key(const char *date);

/* One InvoiceMetadata object (new reference), or NULL without memory. */
json_t *invoice_meta_json(const store_meta_row *r);

#endif
