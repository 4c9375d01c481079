/*
 * retrieval.h - invoice retrieval (issue 11, the pobieranie-faktur documents):
 * the filters of InvoiceQueryFilters, read and checked once for both POST
 * /invoices/query/metadata and POST /invoices/exports, and the
 * permanent-storage watermark (HWM) both report.
 */
#ifndef KSEFD_RETRIEVAL_H
#define KSEFD_RETRIEVAL_H

#include <jansson.h>
#include "store.h"

/* The widest dateRange: 3 months (InvoiceQueryFilters.dateRange). */
#define RETRIEVAL_MAX_MONTHS 3
/* Records one set of filters may page through (the query's technical
 * limit); an export's package holds as many invoices at most. */
#define RETRIEVAL_MAX_RECORDS 10000
/* Bounds of the lists a filter may hold. */
#define RETRIEVAL_MAX_CURRENCIES 50
#define RETRIEVAL_MAX_TYPES 12

struct retrieval_filters {
	store_meta_query q;  /* strings borrowed from the parsed object */
	int restrict_hwm;    /* restrictToPermanentStorageHwmDate */
	int has_to;
	int64_t from_ms, to_ms; /* the range as instants */
	char currencies[RETRIEVAL_MAX_CURRENCIES * 4 + 2];
	char types[RETRIEVAL_MAX_TYPES * 10 + 2];
};

/*
 * Read InvoiceQueryFilters from obj (which must outlive f): 0, or -1 with
 * the reason (for 21405) in msg. The range's missing `to` is now_ms.
 * q.nip, paging and sorting are the caller's.
 */
int retrieval_filters_parse(struct retrieval_filters *f, json_t *obj,
			    int64_t now_ms, char *msg, size_t size);

/*
 * The watermark for filters f, given the store's (store_hwm_ms: every
 * invoice stamped up to it is stored for good, and none can come): that,
 * or the range's end when it is earlier. Applies
 * restrictToPermanentStorageHwmDate to f (its `to` becomes at most the
 * HWM). Returns -1 when the range starts after the HWM with the
 * restriction on (21183), else 0.
 */
int retrieval_apply_hwm(struct retrieval_filters *f, int64_t durable_ms,
			int64_t *hwm);

/*
 * A page of a query: with `got` rows fetched for a page of `size` at
 * `offset` (one more than the page when more follow), how many are shown
 * (never past the RETRIEVAL_MAX_RECORDS-th record), hasMore and
 * isTruncated (more follow, but past the limit).
 */
void retrieval_page(size_t offset, size_t size, size_t got, size_t *shown,
		    int *has_more, int *truncated);

/* An ISO 8601 date-time as the filters take it: with "Z", an offset, or
 * none (Europe/Warsaw local time). 0 or -1. */
int retrieval_parse_time(const char *s, int64_t *ms);

#endif
