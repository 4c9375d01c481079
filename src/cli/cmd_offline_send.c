/*
 * cmd_offline_send.c - `ksef offline send`: the registered offline
 * invoices not sent yet go to KSeF through one interactive session, each
 * declared offline (offlineMode), exactly as `ksef send --offline` sends
 * them (send_online(), cmd_send.c). Each accepted one, and each found
 * already accepted, is then marked in the register with the day and its
 * KSeF number, so that `ksef offline status` shows it sent; each refused
 * one is marked refused with the reason, and waits for its technical
 * correction (`ksef offline correct`), which goes with
 * hashOfCorrectedInvoice naming it (offline/korekta-techniczna.md).
 *
 * An entry whose file is gone, or whose bytes are no longer those it was
 * issued with (its KOD I names the old ones), is not sent: the codes
 * printed on the invoice would not match what KSeF holds.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "offline_register.h"
#include "send_common.h"

const char cli_usage_offline_send[] =
"usage: ksef offline send [--register FILE] [--today YYYY-MM-DD] [options]\n"
"\n"
"Send the offline invoices of the register that are not sent yet through\n"
"one interactive session, declared offline (offlineMode), and mark each\n"
"one accepted (or found already accepted) as sent, with its KSeF number,\n"
"and each one refused as refused. A technical correction registered by\n"
"'ksef offline correct' goes with hashOfCorrectedInvoice.\n"
"\n"
SEND_USAGE_LOGIN
"  --register FILE    the register (as for 'ksef offline status')\n"
"  --today DATE       the day recorded as sent (default: today)\n"
"  --upo-dir DIR      save each invoice's UPO as DIR/<KSeF number>.xml and\n"
"                     the session UPO as DIR/session-<reference>-<page>.xml\n"
"  --timeout SECONDS  how long to wait for verification (default 300)\n"
SEND_USAGE_OUTPUT
"\n"
"exit status: 0 all in KSeF (or nothing to send), 1 something refused,\n"
"2 usage, 3 could not run (network, server, files)\n";

enum { OPT_REGISTER = SEND_OPT_OWN, OPT_TODAY };

/* The pending entries: each file with its register key. */
struct pending {
	char **files;
	json_t **entries;
	int n;
	char day[KSEF_DATE_BUFSZ];
	int marked;
	int failed;        /* out of memory while marking */
};

static int collect(struct pending *p, json_t *invoices)
{
	char key[KSEF_SHA256_B64URL_LEN + 1];
	const char *k, *file;
	size_t max = json_object_size(invoices);
	ksef_error err = { 0, 0, "" };
	json_t *entry;
	int rc = CLI_OK;

	p->files = calloc(max + 1, sizeof(*p->files));
	p->entries = calloc(max + 1, sizeof(*p->entries));
	if (p->files == NULL || p->entries == NULL)
		return cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
	json_object_foreach(invoices, k, entry) {
		/* Sent, or refused and waiting for its technical correction
		 * ('ksef offline correct'): nothing to send. */
		if (cli_json_str(entry, "sentOn") != NULL ||
		    json_object_get(entry, "refused") != NULL)
			continue;
		if ((file = cli_json_str(entry, "file")) == NULL) {
			rc = cli_fail(CLI_F_STATE, NULL, "register entry %s "
				      "names no file", k);
			continue;
		}
		if (offline_file_key(key, file, &err) != 0) {
			rc = cli_fail(CLI_F_IO, NULL, "%s: %s", file,
				      err.message);
			continue;
		}
		if (strcmp(key, k) != 0) {
			if (cli_fail(CLI_F_REJECTED, NULL, "%s: changed since "
				     "it was issued (its codes name other "
				     "bytes); not sent", file) > rc)
				rc = CLI_REJECTED;
			continue;
		}
		p->files[p->n] = (char *)file;
		p->entries[p->n++] = entry;
	}
	return rc;
}

/* Called with each file's outcome before the session goes. */
static void mark(void *arg, const struct send_file *f)
{
	struct pending *p = arg;
	const char *number = NULL;
	int i;

	if (f->inv == NULL)
		return;
	if (f->inv->status == 200)
		number = f->inv->ksef_number;
	else if (f->already)
		number = f->inv->duplicate_of;
	for (i = 0; i < p->n; i++) {
		if (p->files[i] != f->file)
			continue;
		if (number != NULL) {
			if (json_object_set_new(p->entries[i], "sentOn",
						json_string(p->day)) != 0 ||
			    json_object_set_new(p->entries[i], "ksefNumber",
						json_string(number)) != 0)
				p->failed = 1;
		} else if (f->inv->status >= 300) {
			/* Refused: it waits for a technical correction, a
			 * new file with the same content that KSeF takes
			 * (offline/korekta-techniczna.md). */
			if (json_object_set_new(p->entries[i], "refused",
				json_pack("{s:i,s:s,s:s}", "status",
					  f->inv->status, "on", p->day,
					  "reason", f->detail)) != 0)
				p->failed = 1;
		} else {
			continue;
		}
		p->marked++;
	}
}

int cmd_offline_send(int argc, char **argv)
{
	static const struct option longopts[] = {
		SEND_LONGOPTS,
		{ "register", required_argument, NULL, OPT_REGISTER },
		{ "today", required_argument, NULL, OPT_TODAY },
		{ NULL, 0, NULL, 0 },
	};
	struct send_run r;
	struct cli_state st;
	struct pending p;
	const char *reg = NULL, *today_flag = NULL;
	ksef_error err = { 0, 0, "" };
	ksef_date today;
	json_t *invoices;
	int c, e, i, rc, skipped;

	memset(&st, 0, sizeof(st));
	memset(&p, 0, sizeof(p));
	send_run_init(&r);
	r.cmd = "offline send";
	r.offline = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		if ((e = send_option(&r, c, optarg)) < 0) {
			rc = CLI_USAGE;
			goto out;
		}
		if (e > 0)
			continue;
		if (c == OPT_REGISTER) {
			reg = optarg;
		} else if (c == OPT_TODAY) {
			today_flag = optarg;
		} else if (c == 'h') {
			fputs(cli_usage_offline_send, stdout);
			rc = CLI_OK;
			goto out;
		} else {
			fputs(cli_usage_offline_send, stderr);
			rc = CLI_USAGE;
			goto out;
		}
	}
	if (optind != argc) {
		rc = cli_fail(CLI_F_USAGE, NULL, "takes no files: it sends "
			      "the register's");
		goto out;
	}
	if ((rc = offline_today(&today, today_flag)) != CLI_OK ||
	    (rc = offline_register_load(&st, reg, 0)) != CLI_OK)
		goto out;
	offline_date_text(p.day, today);
	invoices = st.root ? json_object_get(st.root, "invoices") : NULL;
	skipped = collect(&p, invoices);
	if (p.n == 0) {
		if (!r.quiet && !cli_out_json())
			fprintf(stderr, "ksef: offline send: nothing to send\n");
		if (cli_out_json())
			cli_json_print(json_pack("{s:i}", "sent", 0));
		rc = skipped;
		goto out;
	}
	if ((rc = send_prepare(&r, p.n, p.files, 0)) != CLI_OK)
		goto out;
	for (i = 0; i < p.n; i++)
		r.files[i].corrects = cli_json_str(p.entries[i], "corrects");
	if ((rc = send_login(&r)) != CLI_OK)
		goto out;
	rc = send_online(&r, mark, &p);
	if (p.failed)
		rc = cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
	if (p.marked > 0 && cli_state_save(&st, &err) != CLI_OK)
		rc = cli_fail(CLI_F_IO, NULL, "the register: %s (%d invoice%s "
			      "not marked)", err.message,
			      p.marked, p.marked == 1 ? "" : "s");
	if (skipped > rc)
		rc = skipped;
out:
	free(p.files);
	free(p.entries);
	cli_state_dispose(&st);
	send_run_dispose(&r);
	return rc;
}
