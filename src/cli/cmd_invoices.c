/*
 * cmd_invoices.c - `ksef invoices query` (POST /invoices/query/metadata,
 * one page or --all of them, as a table or --json) and `ksef invoices
 * export` (POST /invoices/exports under a key of its own, waited for,
 * its parts fetched, decrypted and unpacked into --out), with the login
 * `ksef auth login` saved, and the filter options both share with sync
 * (cmd_invoices_sync.c). The calls are libksef's (<ksef/client_invoices.h>).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <jansson.h>
#include "cli.h"
#include "config.h"
#include "output.h"
#include "cmd_invoices.h"

const char cli_usage_invoices[] =
"usage: ksef invoices query [filters] [--page-size N] [--page-offset N]\n"
"                           [--sort-order Asc|Desc] [--all] [--json]\n"
"       ksef invoices export --out DIR [filters] [--only-metadata]\n"
"                            [--wait SECONDS] [--json]\n"
"       ksef invoices sync --out DIR [--subject-type TYPE]... [--since TIME]\n"
"                          [--max-exports N] [--wait SECONDS] [--json]\n"
"\n"
"Find invoices in KSeF by their metadata (query), have KSeF pack them\n"
"into an encrypted package and unpack it into a folder (export), or keep\n"
"a folder up to date with every invoice of the context, incrementally by\n"
"the permanent-storage high water mark (sync). Uses the login of\n"
"`ksef auth login`.\n"
"\n"
"filters (InvoiceQueryFilters; query and export):\n"
"  --subject-type TYPE    Subject1 (seller, default), Subject2 (buyer),\n"
"                         Subject3 or SubjectAuthorized\n"
"  --date-type TYPE       Issue, Invoicing or PermanentStorage (default)\n"
"  --from TIME            dateRange.from: 2025-08-28T09:22:13Z, with an\n"
"                         offset, or a day YYYY-MM-DD (midnight in Poland);\n"
"                         default 30 days ago\n"
"  --to TIME              dateRange.to (default: now, the server's)\n"
"  --restrict-to-permanent-storage-hwm-date\n"
"  --ksef-number N        --invoice-number TEXT     --seller-nip NIP\n"
"  --amount-type Brutto|Netto|Vat  --amount-from X  --amount-to X\n"
"  --buyer-identifier TYPE[:VALUE]  Nip:NIP, VatUe:ID, Other:ID or None\n"
"  --currency-code CODE   repeatable, or CODE,CODE\n"
"  --invoicing-mode Online|Offline   --form-type FA|PEF|FA_RR\n"
"  --invoice-type TYPE    Vat, Kor, Zal...; repeatable, or TYPE,TYPE\n"
"  --is-self-invoicing true|false    --has-attachment true|false\n"
"\n"
"query:\n"
"  --page-size N          10 to 250 (default 10)\n"
"  --page-offset N        the page, from 0\n"
"  --sort-order Asc|Desc  by the date type (default Asc)\n"
"  --all                  every page from --page-offset on\n"
"\n"
"export and sync:\n"
"  --out DIR              the folder the invoices go to (made if missing)\n"
"  --only-metadata        export: _metadata.json without the invoices\n"
"  --wait SECONDS         how long to wait for a package (default 300)\n"
"sync:\n"
"  --subject-type TYPE    repeatable (default Subject1 and Subject2)\n"
"  --since TIME           where a first sync starts (default 30 days ago)\n"
"  --max-exports N        stop after N exports; the next run goes on\n"
"\n"
"  --state FILE           the state file of `ksef auth login`\n"
"  --json                 print the result as JSON\n"
"\n"
"sync keeps DIR/<ksefNumber>.xml and .json per invoice and its place in\n"
"DIR/.ksef-sync.json; an invoice already in DIR is never written again.\n"
"\n"
"exit status: 0 done, 1 refused by KSeF, 2 usage, 3 could not run\n";

enum {
	OPT_PAGE_SIZE = INV_OPT_OWN, OPT_PAGE_OFFSET, OPT_SORT, OPT_ALL,
	OPT_OUT, OPT_ONLY_META, OPT_WAIT
};

#define DAY_MS INT64_C(86400000)

int inv_parse_time(int64_t *out, const char *s)
{
	ksef_time t;
	ksef_date d;
	int64_t days, ms;
	int y, m;

	if (ksef_time_parse(&t, s, strlen(s), NULL) == 0) {
		*out = t.unix_ms;
		return 0;
	}
	if (ksef_date_parse(&d, s, strlen(s), NULL) != 0)
		return -1;
	/* Days since 1970-01-01 (civil-from-days inverted). */
	y = d.year - (d.month <= 2);
	m = d.month <= 2 ? d.month + 9 : d.month - 3;
	days = (int64_t)365 * y + y / 4 - y / 100 + y / 400 +
	       (153 * m + 2) / 5 + d.day - 1 - 719468;
	ms = days * DAY_MS;
	/* Midnight in Poland: less the offset in force then. */
	*out = ms - (int64_t)ksef_time_warsaw_offset(ms - 2 * 3600000) *
		    60000;
	return 0;
}

void inv_filters_init(struct inv_filters *a)
{
	ksef_invoice_filters init = KSEF_INVOICE_FILTERS_INIT;

	memset(a, 0, sizeof(*a));
	a->f = init;
	a->f.subject = KSEF_SUBJECT_1;
	a->f.date_type = KSEF_DATE_PERMANENT_STORAGE;
	a->f.from_ms = ksef_time_now().unix_ms - 30 * DAY_MS;
	a->f.currency_codes = a->currencies;
	a->f.invoice_types = a->types;
}

static int parse_bool(int *out, const char *opt, const char *arg)
{
	if (strcmp(arg, "true") == 0)
		*out = 1;
	else if (strcmp(arg, "false") == 0)
		*out = 0;
	else
		return cli_fail(CLI_F_USAGE, NULL, "%s must be true or false",
				opt);
	return 0;
}

/* "A,B,C" or repeated options into a list. The text stays argv's. */
static int add_names(const char **v, size_t *n, const char *opt, char *arg)
{
	char *save = NULL, *p;

	for (p = strtok_r(arg, ",", &save); p != NULL;
	     p = strtok_r(NULL, ",", &save)) {
		if (*n == KSEF_INVOICE_FILTER_LIST_MAX)
			return cli_fail(CLI_F_USAGE, NULL, "%s: at most %d",
					opt, KSEF_INVOICE_FILTER_LIST_MAX);
		v[(*n)++] = p;
	}
	return 0;
}

static int parse_enum(int *out, const char *opt, const char *arg,
		      const char *const *names, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (strcmp(arg, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	return cli_fail(CLI_F_USAGE, NULL, "%s: unknown value '%s'", opt,
			arg);
}

int inv_filter_option(struct inv_filters *a, int c, const char *arg)
{
	static const char *const amounts[] = { "", "Brutto", "Netto", "Vat" };
	static const char *const buyers[] = { "", "Nip", "VatUe", "Other",
					      "None" };
	static const char *const modes[] = { "", "Online", "Offline" };
	ksef_invoice_filters *f = &a->f;
	const char *colon;
	int v = 0, rc;

	switch (c) {
	case INV_OPT_SUBJECT:
		if ((f->subject = ksef_invoice_subject_of(arg)) ==
		    KSEF_SUBJECT_NONE)
			return cli_fail(CLI_F_USAGE, NULL, "--subject-type: "
				"Subject1, Subject2, Subject3 or "
				"SubjectAuthorized");
		return 0;
	case INV_OPT_DATE_TYPE:
		if ((f->date_type = ksef_invoice_date_type_of(arg)) ==
		    KSEF_DATE_NONE)
			return cli_fail(CLI_F_USAGE, NULL, "--date-type: "
				"Issue, Invoicing or PermanentStorage");
		return 0;
	case INV_OPT_FROM:
	case INV_OPT_TO:
		if (inv_parse_time(c == INV_OPT_FROM ? &f->from_ms : &f->to_ms,
				   arg) != 0)
			return cli_fail(CLI_F_USAGE, NULL, "%s: '%s' is no "
				"time (2025-08-28T09:22:13Z or YYYY-MM-DD)",
				c == INV_OPT_FROM ? "--from" : "--to", arg);
		a->from_given |= c == INV_OPT_FROM;
		return 0;
	case INV_OPT_RESTRICT: f->restrict_to_hwm = 1; return 0;
	case INV_OPT_KSEF_NUMBER: f->ksef_number = arg; return 0;
	case INV_OPT_INVOICE_NUMBER: f->invoice_number = arg; return 0;
	case INV_OPT_AMOUNT_TYPE:
		if ((rc = parse_enum(&v, "--amount-type", arg, amounts,
				     4)) != 0)
			return rc;
		f->amount_type = (ksef_invoice_amount_type)v;
		return 0;
	case INV_OPT_AMOUNT_FROM: f->amount_from = arg; return 0;
	case INV_OPT_AMOUNT_TO: f->amount_to = arg; return 0;
	case INV_OPT_SELLER: f->seller_nip = arg; return 0;
	case INV_OPT_BUYER:
		colon = strchr(arg, ':');
		snprintf(a->buyer_type, sizeof(a->buyer_type), "%.*s",
			 colon ? (int)(colon - arg) : (int)strlen(arg), arg);
		if ((rc = parse_enum(&v, "--buyer-identifier", a->buyer_type,
				     buyers, 5)) != 0)
			return rc;
		f->buyer_type = (ksef_invoice_buyer_type)v;
		f->buyer_value = colon ? colon + 1 : NULL;
		return 0;
	case INV_OPT_CURRENCY:
		return add_names(a->currencies, &f->currency_code_count,
				 "--currency-code", (char *)arg);
	case INV_OPT_MODE:
		if ((rc = parse_enum(&v, "--invoicing-mode", arg, modes,
				     3)) != 0)
			return rc;
		f->invoicing_mode = (ksef_invoicing_mode)v;
		return 0;
	case INV_OPT_SELF:
		return parse_bool(&f->is_self_invoicing, "--is-self-invoicing",
				  arg);
	case INV_OPT_FORM: f->form_type = arg; return 0;
	case INV_OPT_TYPE:
		return add_names(a->types, &f->invoice_type_count,
				 "--invoice-type", (char *)arg);
	case INV_OPT_ATTACHMENT:
		return parse_bool(&f->has_attachment, "--has-attachment", arg);
	default:
		return 1;
	}
}

static int parse_int(int *out, const char *opt, const char *s, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > max)
		return cli_fail(CLI_F_USAGE, NULL, "%s must be 0 to %d", opt,
				max);
	*out = (int)v;
	return 0;
}

static int call_failed(ksef_client *c, int code, const ksef_error *err,
		       const char *what)
{
	return cli_fail_ksef(code, code == KSEF_EINVAL ? NULL :
			     ksef_client_last_error(c), "%s: %s", what,
			     err->message);
}

/*
 * query
 */

static void table_line(const ksef_api_invoice_metadata *m)
{
	printf("%s\t%s\t%s\t%s\t%s%s%s\t%.2f %s\t%s\n", m->ksef_number,
	       m->invoice_number, m->issue_date, m->seller_nip,
	       m->buyer_id_type, m->buyer_id_value ? ":" : "",
	       m->buyer_id_value ? m->buyer_id_value : "", m->gross_amount,
	       m->currency, m->invoice_type);
}

static int run_query(ksef_client *c, struct inv_filters *a, int desc,
		     int offset, int size, int all)
{
	ksef_api_invoice_query *q = NULL;
	ksef_error err = { 0, 0, "" };
	char hwm[KSEF_TIME_BUFSZ] = "";
	json_t *items = cli_out_json() ? json_array() : NULL;
	int rc, pages = 0, truncated = 0, more = 0;
	size_t i, n;

	if (!cli_out_json())
		printf("ksefNumber\tinvoiceNumber\tissueDate\tsellerNip\t"
		       "buyer\tgrossAmount\tinvoiceType\n");
	do {
		ksef_api_invoice_query_free(q);
		q = NULL;
		if ((rc = ksef_client_invoices_query(&q, c, &a->f, desc,
						     offset + pages, size,
						     &err)) != 0) {
			rc = call_failed(c, rc, &err, "query");
			json_decref(items);
			return rc;
		}
		n = ksef_api_invoice_metadata_list_count(q->invoices);
		for (i = 0; i < n; i++) {
			const ksef_api_invoice_metadata *m =
				ksef_api_invoice_metadata_list_at(q->invoices,
								  i);

			if (items != NULL)
				json_array_append_new(items, json_loads(
					m->json, 0, NULL));
			else
				table_line(m);
		}
		pages++;
		more = q->has_more;
		truncated = q->is_truncated;
		if (q->permanent_storage_hwm_ms != KSEF_TIME_UNSET)
			cli_time_ms_text(hwm, q->permanent_storage_hwm_ms);
	} while (all && more && pages < 100000);
	ksef_api_invoice_query_free(q);
	if (items != NULL) {
		json_t *doc = json_pack("{s:b,s:b,s:i,s:o}", "hasMore", more,
					"isTruncated", truncated, "pages",
					pages, "invoices", items);

		if (hwm[0] != '\0')
			json_object_set_new(doc, "permanentStorageHwmDate",
					    json_string(hwm));
		cli_json_print(doc);
	} else {
		if (more)
			cli_note("more on the next page: --page-offset %d, "
				 "or --all", offset + pages);
		if (truncated)
			cli_note("truncated at 10 000 records: narrow the "
				 "dates and start from the last one");
	}
	return CLI_OK;
}

int cmd_invoices_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		INV_FILTER_LONGOPTS,
		{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
		{ "page-offset", required_argument, NULL, OPT_PAGE_OFFSET },
		{ "sort-order", required_argument, NULL, OPT_SORT },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "json", no_argument, NULL, INV_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_login l = CLI_LOGIN_INIT;
	struct inv_filters a;
	ksef_client *client = NULL;
	const char *state = NULL;
	int c, rc, size = 0, offset = 0, desc = 0, all = 0;

	inv_filters_init(&a);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if ((rc = inv_filter_option(&a, c, optarg)) == 0)
			continue;
		if (rc != 1)
			return rc;
		switch (c) {
		case OPT_PAGE_SIZE:
			if ((rc = parse_int(&size, "--page-size", optarg,
					    250)) != 0)
				return rc;
			break;
		case OPT_PAGE_OFFSET:
			if ((rc = parse_int(&offset, "--page-offset", optarg,
					    1000000)) != 0)
				return rc;
			break;
		case OPT_SORT:
			if (strcmp(optarg, "Asc") != 0 &&
			    strcmp(optarg, "Desc") != 0)
				return cli_fail(CLI_F_USAGE, NULL,
					"--sort-order: Asc or Desc");
			desc = strcmp(optarg, "Desc") == 0;
			break;
		case OPT_ALL: all = 1; break;
		case CLI_OPT_STATE: state = optarg; break;
		case INV_OPT_JSON: break; /* main.c saw it */
		case 'h': fputs(cli_usage_invoices, stdout); return CLI_OK;
		default: fputs(cli_usage_invoices, stderr); return CLI_USAGE;
		}
	}
	if (optind < argc)
		return cli_fail(CLI_F_USAGE, NULL, "query takes no argument "
				"('%s')", argv[optind]);
	if ((rc = cli_login_open(&l, &client, state)) == CLI_OK)
		rc = run_query(client, &a, desc, offset, size, all);
	return cli_login_close(&l, client, rc);
}

/*
 * export
 */

int inv_server_key(ksef_pubkey **out, ksef_client *c)
{
	ksef_api_pubkey_certs *certs = NULL;
	const ksef_api_pubkey_cert *cert;
	ksef_error err = { 0, 0, "" };
	int rc;

	*out = NULL;
	if ((rc = ksef_client_pubkey_certs(&certs, c, &err)) != 0)
		return call_failed(c, rc, &err, "public-key-certificates");
	cert = ksef_api_pubkey_certs_pick(certs, KSEF_KEY_USAGE_SYMMETRIC_KEY,
					  ksef_time_now().unix_ms);
	if (cert == NULL)
		rc = cli_fail(CLI_F_SERVER, NULL, "the server has no valid "
			      "SymmetricKeyEncryption key");
	else if ((rc = ksef_pubkey_load(out, (const unsigned char *)
					cert->certificate,
					strlen(cert->certificate), &err)) != 0)
		rc = cli_fail(CLI_F_SERVER, NULL, "the server's key: %s",
			      err.message);
	ksef_api_pubkey_certs_free(certs);
	return rc;
}

int inv_export_wait(ksef_api_export_status **out, char ref[KSEF_REFNUM_BUFSZ],
		    ksef_client *c, const ksef_envelope *env,
		    const ksef_pubkey *pub, const ksef_invoice_filters *f,
		    int only_metadata, int wait_s)
{
	ksef_error err = { 0, 0, "" };
	time_t until;
	long pause = 250;
	int rc;

	*out = NULL;
	if ((rc = ksef_client_invoices_export(ref, c, env, pub, f,
					      only_metadata, &err)) != 0)
		return call_failed(c, rc, &err, "export");
	until = time(NULL) + wait_s;
	for (;;) {
		if ((rc = ksef_client_invoices_export_status(out, c, ref,
							     &err)) != 0)
			return call_failed(c, rc, &err, ref);
		if ((*out)->status->code != 100 || time(NULL) >= until)
			break;
		ksef_api_export_status_free(*out);
		*out = NULL;
		cli_sleep_ms(pause);
		pause = pause < 2000 ? pause * 2 : 2000;
	}
	if ((*out)->status->code == 100)
		return cli_fail(CLI_F_NETWORK, NULL, "export %s: not built "
				"after %d seconds", ref, wait_s);
	return CLI_OK;
}

static int run_export(ksef_client *c, struct inv_filters *a, const char *dir,
		      int only_meta, int wait_s)
{
	ksef_export_fetch_options fo = KSEF_EXPORT_FETCH_OPTIONS_INIT;
	ksef_api_export_status *st = NULL;
	ksef_api_export_result *res = NULL;
	ksef_envelope *env = NULL;
	ksef_pubkey *pub = NULL;
	ksef_error err = { 0, 0, "" };
	char ref[KSEF_REFNUM_BUFSZ] = "";
	int rc;

	if ((rc = cli_make_dirs(dir, 0755, &err)) != 0)
		return cli_fail(CLI_F_IO, NULL, "%s", err.message);
	if ((rc = inv_server_key(&pub, c)) != CLI_OK)
		return rc;
	if ((rc = ksef_envelope_new(&env, &err)) != 0) {
		rc = cli_fail_ksef(rc, NULL, "%s", err.message);
		goto done;
	}
	if ((rc = inv_export_wait(&st, ref, c, env, pub, &a->f, only_meta,
				  wait_s)) != CLI_OK)
		goto done;
	if (st->status->code != 200) {
		rc = cli_fail(CLI_F_HTTP, NULL, "export %s: %d %s", ref,
			      st->status->code, st->status->description);
		goto done;
	}
	if ((rc = ksef_client_invoices_export_fetch(&res, c, st, env, dir, &fo,
						    &err)) != 0) {
		rc = cli_fail_ksef(rc, ksef_client_last_error(c), "export %s: "
				   "%s", ref, err.message);
		goto done;
	}
	if (cli_out_json()) {
		json_t *doc = json_pack("{s:s,s:s,s:I,s:I,s:b,s:I}",
			"referenceNumber", ref, "out", dir, "invoiceCount",
			(json_int_t)st->package->invoice_count, "files",
			(json_int_t)res->files_written, "isTruncated",
			st->package->is_truncated > 0, "parts",
			(json_int_t)ksef_api_export_parts_count(
				st->package->parts));
		char t[KSEF_TIME_BUFSZ];

		if (st->package->permanent_storage_hwm_ms != KSEF_TIME_UNSET) {
			cli_time_ms_text(t,
					 st->package->permanent_storage_hwm_ms);
			json_object_set_new(doc, "permanentStorageHwmDate",
					    json_string(t));
		}
		if (st->package->last_permanent_storage_date_ms !=
		    KSEF_TIME_UNSET) {
			cli_time_ms_text(t,
				st->package->last_permanent_storage_date_ms);
			json_object_set_new(doc, "lastPermanentStorageDate",
					    json_string(t));
		}
		cli_json_print(doc);
	} else {
		printf("exported: %lld invoices in %zu parts into %s "
		       "(export %s)%s\n",
		       (long long)st->package->invoice_count,
		       ksef_api_export_parts_count(st->package->parts), dir,
		       ref, st->package->is_truncated > 0 ?
		       "; truncated: export again from the last date" : "");
	}
	rc = CLI_OK;
done:
	ksef_api_export_result_free(res);
	ksef_api_export_status_free(st);
	ksef_envelope_free(env);
	ksef_pubkey_free(pub);
	return rc;
}

int cmd_invoices_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		INV_FILTER_LONGOPTS,
		{ "out", required_argument, NULL, OPT_OUT },
		{ "only-metadata", no_argument, NULL, OPT_ONLY_META },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "json", no_argument, NULL, INV_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_login l = CLI_LOGIN_INIT;
	struct inv_filters a;
	ksef_client *client = NULL;
	const char *state = NULL, *dir = NULL;
	int c, rc, only_meta = 0, wait_s = 300;

	inv_filters_init(&a);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		if ((rc = inv_filter_option(&a, c, optarg)) == 0)
			continue;
		if (rc != 1)
			return rc;
		switch (c) {
		case 'o':
		case OPT_OUT: dir = optarg; break;
		case OPT_ONLY_META: only_meta = 1; break;
		case OPT_WAIT:
			if ((rc = parse_int(&wait_s, "--wait", optarg,
					    86400)) != 0)
				return rc;
			break;
		case CLI_OPT_STATE: state = optarg; break;
		case INV_OPT_JSON: break;
		case 'h': fputs(cli_usage_invoices, stdout); return CLI_OK;
		default: fputs(cli_usage_invoices, stderr); return CLI_USAGE;
		}
	}
	if (dir == NULL || optind < argc)
		return cli_fail(CLI_F_USAGE, NULL, "export needs --out DIR and "
				"no argument");
	if ((rc = cli_login_open(&l, &client, state)) == CLI_OK)
		rc = run_export(client, &a, dir, only_meta, wait_s);
	return cli_login_close(&l, client, rc);
}
