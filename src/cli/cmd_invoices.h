/*
 * cmd_invoices.h - what the `ksef invoices` subcommands share
 * (cmd_invoices.c: query, export and the filter options;
 * cmd_invoices_sync.c: sync).
 */
#ifndef KSEF_CLI_CMD_INVOICES_H
#define KSEF_CLI_CMD_INVOICES_H

#include <getopt.h>
#include "ksef/ksef.h"

/* Option values of the filters, after CLI_OPT_* and before the
 * commands' own. */
enum {
	INV_OPT_SUBJECT = 400, INV_OPT_DATE_TYPE, INV_OPT_FROM, INV_OPT_TO,
	INV_OPT_RESTRICT, INV_OPT_KSEF_NUMBER, INV_OPT_INVOICE_NUMBER,
	INV_OPT_AMOUNT_TYPE, INV_OPT_AMOUNT_FROM, INV_OPT_AMOUNT_TO,
	INV_OPT_SELLER, INV_OPT_BUYER, INV_OPT_CURRENCY, INV_OPT_MODE,
	INV_OPT_SELF, INV_OPT_FORM, INV_OPT_TYPE, INV_OPT_ATTACHMENT,
	INV_OPT_JSON, INV_OPT_STATE_FILE, INV_OPT_OWN = 450
};

/* The filter options as getopt_long entries. */
#define INV_FILTER_LONGOPTS                                                  \
	{ "subject-type", required_argument, NULL, INV_OPT_SUBJECT },        \
	{ "date-type", required_argument, NULL, INV_OPT_DATE_TYPE },         \
	{ "from", required_argument, NULL, INV_OPT_FROM },                   \
	{ "to", required_argument, NULL, INV_OPT_TO },                       \
	{ "restrict-to-permanent-storage-hwm-date", no_argument, NULL,       \
	  INV_OPT_RESTRICT },                                                \
	{ "ksef-number", required_argument, NULL, INV_OPT_KSEF_NUMBER },     \
	{ "invoice-number", required_argument, NULL,                         \
	  INV_OPT_INVOICE_NUMBER },                                          \
	{ "amount-type", required_argument, NULL, INV_OPT_AMOUNT_TYPE },     \
	{ "amount-from", required_argument, NULL, INV_OPT_AMOUNT_FROM },     \
	{ "amount-to", required_argument, NULL, INV_OPT_AMOUNT_TO },         \
	{ "seller-nip", required_argument, NULL, INV_OPT_SELLER },           \
	{ "buyer-identifier", required_argument, NULL, INV_OPT_BUYER },      \
	{ "currency-code", required_argument, NULL, INV_OPT_CURRENCY },      \
	{ "invoicing-mode", required_argument, NULL, INV_OPT_MODE },         \
	{ "is-self-invoicing", required_argument, NULL, INV_OPT_SELF },      \
	{ "form-type", required_argument, NULL, INV_OPT_FORM },              \
	{ "invoice-type", required_argument, NULL, INV_OPT_TYPE },           \
	{ "has-attachment", required_argument, NULL, INV_OPT_ATTACHMENT }

/* The filters a command line gave, with the storage their lists use. */
struct inv_filters {
	ksef_invoice_filters f;
	const char *currencies[KSEF_INVOICE_FILTER_LIST_MAX];
	const char *types[KSEF_INVOICE_FILTER_LIST_MAX];
	char buyer_type[16];
	int from_given;
};

/* Defaults: Subject1, PermanentStorage, from 30 days ago. */
void inv_filters_init(struct inv_filters *a);

/* One filter option: 0, 1 when c is not a filter option, or the exit
 * code of a reported failure. */
int inv_filter_option(struct inv_filters *a, int c, const char *arg);

/* An instant on the command line: RFC 3339 with an offset, or a day
 * YYYY-MM-DD (its midnight in Poland). 0 or -1. */
int inv_parse_time(int64_t *out, const char *s);

/* The SymmetricKeyEncryption key of the client's server; reports why
 * not. */
int inv_server_key(ksef_pubkey **out, ksef_client *c);

/* Start an export and wait up to wait_s seconds for it to be built:
 * the status through *out (freed by the caller). Reports failures. */
int inv_export_wait(ksef_api_export_status **out, char ref[KSEF_REFNUM_BUFSZ],
		    ksef_client *c, const ksef_envelope *env,
		    const ksef_pubkey *pub, const ksef_invoice_filters *f,
		    int only_metadata, int wait_s);

#endif
