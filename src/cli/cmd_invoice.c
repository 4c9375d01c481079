/*
 * cmd_invoice.c - `ksef invoice get KSEF_NUMBER`: download an accepted
 * invoice with the login `ksef auth login` saved, and write exactly the
 * bytes KSeF stores. The login (and its renewal) is login.c's and
 * libksef's.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "config.h"
#include "output.h"

const char cli_usage_invoice[] =
"usage: ksef invoice get KSEF_NUMBER [--out FILE] [--wait SECONDS]\n"
"\n"
"Download an accepted invoice by its KSeF number, as the user\n"
"'ksef auth login' saved, and write its XML exactly as KSeF stores it to\n"
"FILE (default: standard output).\n"
"\n"
"options:\n"
"  --out FILE         where to write it ('-' is standard output)\n"
"  --wait SECONDS     while KSeF answers that the invoice is not stored\n"
"                     yet (21165), retry for this long (default 30)\n"
"  --state FILE       the state file (default $KSEF_STATE or\n"
"                     ~/.local/state/ksef/auth.json)\n"
"  --json             what was written, or why not, as JSON on standard\n"
"                     output (needs --out FILE)\n"
"\n"
"exit status: 0 written, 1 refused by KSeF (unknown number, no\n"
"permission), 2 usage, 3 could not run\n";

#define CMD "invoice"

enum { OPT_OUT = 300, OPT_WAIT, OPT_JSON };

int cmd_invoice_get(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_login l = CLI_LOGIN_INIT;
	const char *state = NULL, *out = "-", *number;
	ksef_client *client = NULL;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	int c, rc, wait_s = 30;
	time_t until;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case CLI_OPT_STATE: state = optarg; break;
		case 'o':
		case OPT_OUT: out = optarg; break;
		case OPT_WAIT:
			if (strcmp(optarg, "0") == 0)
				wait_s = 0;
			else if (cli_parse_seconds(&wait_s, optarg,
						   3600) != 0)
				return cli_fail(CLI_F_USAGE, NULL, "--wait "
						"must be 0 to 3600 seconds");
			break;
		case OPT_JSON: break; /* main.c saw it */
		case 'h': fputs(cli_usage_invoice, stdout); return CLI_OK;
		default: fputs(cli_usage_invoice, stderr); return CLI_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_fail(CLI_F_USAGE, NULL, "get needs one KSEF_NUMBER");
	number = argv[optind];
	if (cli_out_json() && strcmp(out, "-") == 0)
		return cli_fail(CLI_F_USAGE, NULL, "--json needs --out FILE: "
				"standard output is for the JSON");
	if (ksef_number_validate(number, strlen(number), &err) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "%s: %s", number,
				err.message);
	if ((rc = cli_login_load(&l, state)) != CLI_OK ||
	    (rc = cli_login_client(&client, &l)) != CLI_OK)
		goto done;
	until = time(NULL) + wait_s;
	/* 21165: accepted, but not yet in permanent storage (SPEC 4.22). */
	while ((rc = ksef_client_invoice_download(&doc, client, number,
						  &err)) != 0 &&
	       ksef_api_error_has_code(ksef_client_last_error(client), 21165) &&
	       time(NULL) < until)
		cli_sleep_ms(1000);
	if (rc != 0) {
		rc = cli_fail_ksef(rc, ksef_client_last_error(client), "%s: %s",
				   number, err.message);
		goto done;
	}
	if (cli_write_file(out, doc.ptr, doc.size, 0644, &err) != 0) {
		rc = cli_fail(CLI_F_IO, NULL, "%s", err.message);
		goto done;
	}
	if ((rc = cli_login_save(&l)) == CLI_OK && cli_out_json())
		cli_json_print(json_pack("{s:s,s:s,s:I}", "ksefNumber", number,
					 "file", out, "size",
					 (json_int_t)doc.size));
done:
	ksef_buf_dispose(&doc);
	ksef_client_free(client);
	cli_login_dispose(&l);
	return rc;
}
