/*
 * cmd_peppol.c - `ksef peppol list`: one page of the Peppol service
 * providers KSeF knows (GET /peppol/query), newest first. The endpoint is
 * public, so no login is needed: the server is the one the settings name
 * (--env, --base-url, the environment, the config file), else the one of
 * the saved login. The call is libksef's (client_certificates.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "config.h"
#include "output.h"
#include "util/util.h"

const char cli_usage_peppol[] =
"usage: ksef peppol list [--page-size N] [--page-offset N] [options]\n"
"\n"
"List the Peppol service providers registered in KSeF, newest first, a\n"
"line per provider: id, registration date, name. No login is needed.\n"
"\n"
"options:\n"
"  --page-size N      10 to 100 (default the server's, 10)\n"
"  --page-offset N    the page, from 0\n"
"  --env test|demo|prd, --base-url URL, --config FILE\n"
"                     the server (default: the settings, else the\n"
"                     server of the saved login)\n"
"  --state FILE       the state file of that login\n"
"  --json             JSON on standard output, also when it fails\n"
"\n"
"exit status: 0 done, 1 refused by KSeF, 2 usage, 3 could not run\n";

enum { OPT_PAGE_SIZE = 300, OPT_PAGE_OFFSET, OPT_JSON };

static int page_arg(int *out, const char *name, const char *arg, int min,
		    int max)
{
	int64_t v;

	if (util_parse_i64(&v, arg, min, max) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "%s must be a whole number "
				"%d to %d, not '%.20s'", name, min, max, arg);
	*out = (int)v;
	return CLI_OK;
}

/* The server: the settings', else the saved login's (owned: free()). */
static int server(char **url, const struct cli_settings *s,
		  const char *state)
{
	struct cli_config cfg = { 0 };
	struct cli_login l = CLI_LOGIN_INIT;
	ksef_error err = { 0, 0, "" };
	int rc;

	*url = NULL;
	if ((rc = cli_config_resolve(&cfg, s, 0, &err)) != CLI_OK) {
		cli_config_dispose(&cfg);
		return cli_fail(rc == CLI_USAGE ? CLI_F_USAGE : CLI_F_IO, NULL,
				"%s", err.message);
	}
	if (cfg.base_url != NULL) {
		*url = strdup(cfg.base_url);
	} else {
		cli_config_dispose(&cfg);
		if ((rc = cli_login_load(&l, state)) != CLI_OK) {
			cli_login_dispose(&l);
			cli_hint("give --env or --base-url, or log in first");
			return rc;
		}
		*url = strdup(ksef_conn_base_url(l.conn));
		cli_login_dispose(&l);
	}
	cli_config_dispose(&cfg);
	return *url != NULL ? CLI_OK : cli_fail(CLI_F_INTERNAL, NULL,
						"out of memory");
}

int cmd_peppol_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_SETTINGS_LONGOPTS,
		{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
		{ "page-offset", required_argument, NULL, OPT_PAGE_OFFSET },
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_settings s = { 0 };
	ksef_api_peppol_list *l = NULL;
	ksef_client *client = NULL;
	ksef_error err = { 0, 0, "" };
	const char *state = NULL;
	char *url = NULL, date[KSEF_TIME_BUFSZ];
	int c, rc = CLI_OK, size = 0, offset = 0, error;
	json_t *items;
	size_t i, n;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (cli_settings_option(&s, c, optarg))
			continue;
		switch (c) {
		case OPT_PAGE_SIZE:
			rc = page_arg(&size, "--page-size", optarg, 10, 100);
			break;
		case OPT_PAGE_OFFSET:
			rc = page_arg(&offset, "--page-offset", optarg, 0,
				      1000000);
			break;
		case CLI_OPT_STATE: state = optarg; break;
		case OPT_JSON: break; /* main.c saw it */
		case 'h': fputs(cli_usage_peppol, stdout); return CLI_OK;
		default: fputs(cli_usage_peppol, stderr); return CLI_USAGE;
		}
		if (rc != CLI_OK)
			return rc;
	}
	if (optind < argc)
		return cli_fail(CLI_F_USAGE, NULL, "list takes no arguments "
				"('%s')", argv[optind]);
	/* A public list: reading it from production changes nothing. */
	s.allow_production = 1;
	if ((rc = server(&url, &s, state)) != CLI_OK)
		return rc;
	if (cli_client_new(&client, url, &err) != 0) {
		rc = cli_fail(CLI_F_USAGE, NULL, "%s", err.message);
		goto out;
	}
	if ((error = ksef_client_peppol_query(&l, client, size, offset,
					      &err)) != 0) {
		rc = cli_fail_ksef(error, ksef_client_last_error(client), "%s",
				   err.message);
		goto out;
	}
	n = ksef_api_peppol_list_count(l);
	if (cli_out_json()) {
		items = json_array();
		for (i = 0; i < n; i++) {
			const ksef_api_peppol_provider *p =
				ksef_api_peppol_list_at(l, i);

			cli_time_ms_text(date, p->date_created_ms);
			json_array_append_new(items, json_pack("{s:s,s:s,s:s}",
				"id", p->id, "name", p->name, "dateCreated",
				date));
		}
		cli_json_print(json_pack("{s:i,s:b,s:o}", "pageOffset", offset,
			"hasMore", ksef_api_peppol_list_has_more(l),
			"peppolProviders", items));
	} else {
		for (i = 0; i < n; i++) {
			const ksef_api_peppol_provider *p =
				ksef_api_peppol_list_at(l, i);

			cli_time_ms_text(date, p->date_created_ms);
			printf("%s\t%s\t%s\n", p->id, date, p->name);
		}
		if (ksef_api_peppol_list_has_more(l))
			cli_note("more on the next page: --page-offset %d",
				 offset + 1);
	}
out:
	ksef_api_peppol_list_free(l);
	ksef_client_free(client);
	free(url);
	return rc;
}
