/*
 * cmd_send.c - `ksef send`: authenticate (KSeF token or XAdES), open one
 * interactive session for the files' form code, encrypt and send each
 * file, close, wait for verification, print each file's outcome and save
 * the UPOs. Built on libksef's ksef_conn/ksef_session, so tokens are
 * renewed, keys refetched on 21470, and an invoice is never sent twice
 * blindly after an ambiguous failure. Exit 0 only when every invoice is
 * in KSeF.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "cli.h"
#include "config.h"
#include "ksef/client.h"
#include "ksef/session.h"
#include "ksef/xades.h"

static const char usage_text[] =
"usage: ksef send [options] FILE...\n"
"\n"
"Send invoices to KSeF (or a local ksefd) through one interactive session:\n"
"authenticate, open a session for the files' form code, send each file\n"
"encrypted, close, wait for verification, and print per file its status\n"
"and KSeF number or the reasons it was rejected.\n"
"\n"
"options:\n"
"  --base-url URL     API base URL, e.g. http://127.0.0.1:8080/v2\n"
"  --env test|demo|prd  the Ministry's environments instead of --base-url\n"
"  --allow-production needed to send to prd\n"
"  --config FILE      settings file (default ~/.config/ksef/config)\n"
"  --nip NIP          the context (seller) NIP\n"
"  --token TOKEN      the KSeF token\n"
"  --cert FILE --key FILE  log in with a XAdES signature instead of a token\n"
"                     (PEM certificate and key; --key-password if encrypted)\n"
"  --upo-dir DIR      save each invoice's UPO as DIR/<KSeF number>.xml and\n"
"                     the session UPO as DIR/session-<reference>-<page>.xml\n"
"  --timeout SECONDS  how long to wait for verification (default 300)\n"
"  --json             one JSON object on standard output\n"
"  -q, --quiet        print only failures\n"
"Settings also come from KSEF_BASE_URL, KSEF_ENV, KSEF_NIP, KSEF_TOKEN,\n"
"KSEF_CERT, KSEF_KEY and the config file, in that order after the flags.\n"
"\n"
"An invoice whose number the seller already used is a duplicate (440). If\n"
"the earlier one has the same bytes (a resend), it is reported as already\n"
"accepted under its KSeF number and counts as accepted.\n"
"\n"
"exit status: 0 all in KSeF, 1 some rejected, 2 usage, 3 could not send\n";

enum { OPT_TOKEN = 1000, OPT_CERT, OPT_KEY, OPT_KEY_PASSWORD, OPT_UPO_DIR,
       OPT_TIMEOUT, OPT_JSON };

struct outcome {
	const char *file;
	int sent;                  /* index in the session, or -1 */
	int status;                /* final code; -1 not sent, -2 no verdict */
	int already;               /* a resend of an accepted invoice */
	char ksef_number[KSEF_NUMBER_BUFSZ];
	char detail[1024];
};

static int save_file(const char *dir, const char *name, const ksef_buf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(b->ptr, 1, b->size, f) != b->size ||
	    fclose(f) != 0) {
		cli_error("send", "%s: cannot write", path);
		return -1;
	}
	return 0;
}

/*
 * A 440 names the invoice that holds the number. If that invoice has our
 * bytes, this was a resend (after a timeout, say): the invoice is in KSeF
 * already. Needs InvoiceRead; without it the duplicate stays a 440.
 */
static int is_resend(ksef_conn *conn, const char *original,
		     const ksef_buf *doc)
{
	ksef_buf orig = KSEF_BUF_INIT;
	int same = 0;

	if (ksef_conn_invoice_download(&orig, conn, original, NULL) == 0)
		same = orig.size == doc->size &&
		       memcmp(orig.ptr, doc->ptr, doc->size) == 0;
	ksef_buf_dispose(&orig);
	return same;
}

int cmd_send(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_SETTINGS_LONGOPTS,
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "key-password", required_argument, NULL, OPT_KEY_PASSWORD },
		{ "upo-dir", required_argument, NULL, OPT_UPO_DIR },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_settings flags;
	struct cli_config cfg;
	ksef_conn_options co = KSEF_CONN_OPTIONS_INIT;
	ksef_client_options copts = KSEF_CLIENT_OPTIONS_INIT;
	const char *key_password = NULL, *upo_dir = NULL;
	int json = 0, quiet = 0, timeout_s = 300, c, i, nfiles, rc = CLI_OK;
	ksef_xades_signer *signer = NULL;
	ksef_conn *conn = NULL;
	ksef_session *s = NULL;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	ksef_form form = KSEF_FORM_FA3;
	struct outcome *out = NULL;
	char ref[KSEF_REFNUM_BUFSZ], name[160];
	int nsent = 0;

	memset(&flags, 0, sizeof(flags));
	memset(&cfg, 0, sizeof(cfg));
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		if (cli_settings_option(&flags, c, optarg))
			continue;
		switch (c) {
		case OPT_TOKEN: flags.token = optarg; break;
		case OPT_CERT: flags.cert = optarg; break;
		case OPT_KEY: flags.key = optarg; break;
		case OPT_KEY_PASSWORD: key_password = optarg; break;
		case OPT_UPO_DIR: upo_dir = optarg; break;
		case OPT_TIMEOUT:
			if (cli_parse_seconds(&timeout_s, optarg, 86400) != 0) {
				cli_error("send", "--timeout: 1 to 86400 seconds");
				return CLI_USAGE;
			}
			break;
		case OPT_JSON: json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return CLI_OK;
		default: fputs(usage_text, stderr); return CLI_USAGE;
		}
	}
	if ((rc = cli_config_resolve(&cfg, &flags, 1, &err)) != CLI_OK) {
		cli_error("send", "%s", err.message);
		goto out;
	}
	if ((cfg.cert == NULL) != (cfg.key == NULL)) {
		cli_error("send", "--cert and --key go together");
		rc = CLI_USAGE;
		goto out;
	}
	if (cfg.nip == NULL || (cfg.token == NULL && cfg.cert == NULL) ||
	    optind >= argc) {
		cli_error("send", "needs --base-url (or --env), --nip, --token "
			  "(or --cert and --key) and at least one file");
		rc = CLI_USAGE;
		goto out;
	}
	nfiles = argc - optind;
	out = calloc((size_t)nfiles, sizeof(*out));
	if (out == NULL) {
		rc = CLI_FAILED;
		goto out;
	}
	/* All files go into one session, so they must share a form code. */
	for (i = 0; i < nfiles; i++) {
		ksef_form f;

		out[i].file = argv[optind + i];
		out[i].sent = -1;
		out[i].status = -1;
		if (cli_read_file(&doc, out[i].file, KSEF_INVOICE_MAX_BYTES,
				  &err) != 0) {
			cli_error("send", "%s: %s", out[i].file, err.message);
			rc = CLI_FAILED;
			goto out;
		}
		if (ksef_form_detect(&f, doc.ptr, doc.size, &err) != 0) {
			cli_error("send", "%s: %s", out[i].file, err.message);
			rc = CLI_REJECTED;
			goto out;
		}
		if (i > 0 && f != form) {
			cli_error("send", "%s: is %s but %s is %s; send them "
				  "separately", out[i].file,
				  ksef_form_code_of(f).system_code, out[0].file,
				  ksef_form_code_of(form).system_code);
			rc = CLI_USAGE;
			goto out;
		}
		form = f;
	}
	if (cfg.cert != NULL) {
		ksef_buf kb = KSEF_BUF_INIT, cb = KSEF_BUF_INIT;

		if (cli_read_file(&kb, cfg.key, 1 << 20, &err) != 0 ||
		    cli_read_file(&cb, cfg.cert, 1 << 20, &err) != 0 ||
		    ksef_xades_signer_new(&signer, kb.ptr, kb.size, cb.ptr,
					  cb.size, key_password, &err) != 0) {
			cli_error("send", "%s / %s: %s", cfg.cert, cfg.key,
				  err.message);
			rc = CLI_USAGE;
		}
		ksef_buf_dispose_secure(&kb);
		ksef_buf_dispose(&cb);
		if (rc != CLI_OK)
			goto out;
	}
	if (upo_dir != NULL && cli_make_dirs(upo_dir, 0755, &err) != 0) {
		cli_error("send", "--upo-dir: %s", err.message);
		rc = CLI_FAILED;
		goto out;
	}
	copts.base_url = cfg.base_url;
	co.client = &copts;
	co.context_type = KSEF_CONTEXT_NIP;
	co.context_value = cfg.nip;
	co.ksef_token = signer ? NULL : cfg.token;
	co.signer = signer;
	if (ksef_conn_new(&conn, &co, &err) != 0) {
		cli_error("send", "authentication: %s", err.message);
		rc = CLI_FAILED;
		goto out;
	}
	if (ksef_session_open(&s, conn, form, &err) != 0) {
		cli_error("send", "opening a session: %s", err.message);
		rc = CLI_FAILED;
		goto out;
	}
	if (!quiet && !json)
		fprintf(stderr, "ksef: send: session %s (%s)\n",
			ksef_session_reference(s),
			ksef_form_code_of(form).system_code);
	for (i = 0; i < nfiles; i++) {
		if (cli_read_file(&doc, out[i].file, KSEF_INVOICE_MAX_BYTES,
				  &err) != 0 ||
		    ksef_session_send(ref, s, doc.ptr, doc.size, NULL,
				      &err) != 0) {
			snprintf(out[i].detail, sizeof(out[i].detail), "%s",
				 err.message);
			continue;
		}
		out[i].sent = nsent++;
		if (!quiet && !json && isatty(2))
			fprintf(stderr, "\rksef: send: %d/%d sent", i + 1,
				nfiles);
	}
	if (!quiet && !json && isatty(2))
		fputc('\n', stderr);
	if (ksef_session_close(s, &err) != 0) {
		cli_error("send", "closing session %s: %s",
			  ksef_session_reference(s), err.message);
		rc = CLI_FAILED;
	}
	if (ksef_session_wait(s, (long)timeout_s * 1000, &err) != 0)
		cli_error("send", "waiting for verification: %s", err.message);
	for (i = 0; i < nfiles; i++) {
		const ksef_session_invoice *inv;

		if (out[i].sent < 0)
			continue;
		inv = ksef_session_invoice_at(s, (size_t)out[i].sent);
		out[i].status = inv->status >= 200 ? inv->status : -2;
		if (inv->ksef_number != NULL)
			snprintf(out[i].ksef_number, sizeof(out[i].ksef_number),
				 "%s", inv->ksef_number);
		snprintf(out[i].detail, sizeof(out[i].detail), "%s%s%s",
			 inv->description ? inv->description : "",
			 inv->details ? ": " : "",
			 inv->details ? inv->details : "");
		if (inv->status == 440 && inv->duplicate_of != NULL &&
		    cli_read_file(&doc, out[i].file, KSEF_INVOICE_MAX_BYTES,
				  &err) == 0 &&
		    is_resend(conn, inv->duplicate_of, &doc)) {
			out[i].already = 1;
			snprintf(out[i].ksef_number, sizeof(out[i].ksef_number),
				 "%s", inv->duplicate_of);
			snprintf(out[i].detail, sizeof(out[i].detail),
				 "already accepted as %s in session %s",
				 inv->duplicate_of, inv->duplicate_session ?
				 inv->duplicate_session : "?");
		}
		if (upo_dir != NULL && inv->status == 200) {
			ksef_buf upo = KSEF_BUF_INIT;

			snprintf(name, sizeof(name), "%s.xml", inv->ksef_number);
			if (ksef_session_invoice_upo(&upo, s,
					inv->reference_number, &err) != 0) {
				cli_error("send", "%s: UPO: %s", out[i].file,
					  err.message);
				rc = CLI_FAILED;
			} else if (save_file(upo_dir, name, &upo) != 0) {
				rc = CLI_FAILED;
			}
			ksef_buf_dispose(&upo);
		}
	}
	if (upo_dir != NULL) {
		size_t p, pages = ksef_session_upo_page_count(s);

		for (p = 0; p < pages; p++) {
			ksef_buf upo = KSEF_BUF_INIT;

			snprintf(name, sizeof(name), "session-%s-%zu.xml",
				 ksef_session_reference(s), p + 1);
			if (ksef_session_upo(&upo, s, p, &err) != 0) {
				cli_error("send", "session UPO page %zu: %s",
					  p + 1, err.message);
				rc = CLI_FAILED;
			} else if (save_file(upo_dir, name, &upo) != 0) {
				rc = CLI_FAILED;
			}
			ksef_buf_dispose(&upo);
		}
	}
	if (json) {
		json_t *o = json_object(), *arr = json_array();

		json_object_set_new(o, "sessionReferenceNumber",
				    json_string(ksef_session_reference(s)));
		json_object_set_new(o, "sessionStatus",
				    json_integer(ksef_session_status(s)));
		for (i = 0; i < nfiles; i++) {
			const ksef_session_invoice *inv = out[i].sent < 0 ? NULL :
				ksef_session_invoice_at(s, (size_t)out[i].sent);
			json_t *f = json_pack("{s:s,s:i}", "file", out[i].file,
					      "status", out[i].status);

			if (inv != NULL)
				json_object_set_new(f, "referenceNumber",
					json_string(inv->reference_number));
			if (out[i].ksef_number[0])
				json_object_set_new(f, "ksefNumber",
					json_string(out[i].ksef_number));
			if (out[i].already)
				json_object_set_new(f, "alreadyAccepted",
						    json_true());
			if (out[i].status != 200)
				json_object_set_new(f, "detail",
					json_string(out[i].detail));
			json_array_append_new(arr, f);
		}
		json_object_set_new(o, "invoices", arr);
		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
	}
	for (i = 0; i < nfiles; i++) {
		if (out[i].status == 200 || out[i].already) {
			if (!json && !quiet)
				printf("%s: %d %s%s\n", out[i].file,
				       out[i].status, out[i].ksef_number,
				       out[i].already ? " (already accepted)" :
				       "");
			continue;
		}
		if (rc == CLI_OK)
			rc = CLI_REJECTED;
		if (!json)
			cli_error("send", "%s: %d %s", out[i].file,
				  out[i].status, out[i].detail);
	}
	if (!json && !quiet)
		fprintf(stderr, "ksef: send: session %s ended with %d %s\n",
			ksef_session_reference(s), ksef_session_status(s),
			ksef_session_status_description(ksef_session_status(s)) ?
			ksef_session_status_description(ksef_session_status(s)) :
			"");
out:
	ksef_session_free(s);
	ksef_conn_free(conn);
	ksef_xades_signer_free(signer);
	cli_config_dispose(&cfg);
	ksef_buf_dispose(&doc);
	free(out);
	return rc;
}
