/*
 * api_peppol.c - the tag "Usługi Peppol": GET /peppol/query, the Peppol
 * service providers of --peppol-providers (peppol.c), one page at a time
 * (pageOffset, pageSize 10..100), already in the order of its x-sort.
 * Public, as in open-api.json: no token.
 */
#include "api.h"
#include "errors.h"
#include "http.h"

void api_peppol_query(struct request *req)
{
	json_t *all = req->srv->peppol_providers, *page;
	size_t offset, limit, n, i;

	if (api_page(req, 100, &offset, &limit) != 0)
		return;
	n = all ? json_array_size(all) : 0;
	page = json_array();
	for (i = offset; i < n && i - offset < limit; i++)
		json_array_append(page, json_array_get(all, i));
	http_reply_json(req, 200, json_pack("{s:o,s:b}", "peppolProviders",
					    page, "hasMore",
					    offset < n && n - offset > limit));
}
