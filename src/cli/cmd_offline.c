/*
 * cmd_offline.c - `ksef offline issue|status|deadline`: invoices issued
 * offline (ksef-docs tryby-offline.md). issue writes each invoice's two
 * codes beside it (KOD I with OFFLINE, KOD II with CERTYFIKAT) and records
 * it in a local register with its deadline; status lists the register
 * against today; deadline computes one deadline. The deadlines and the
 * links are libksef's (offline.h, qr.h, qr_cert.h); the register is a
 * private JSON file kept by the state file's code (config.c):
 *
 *   { "version": 1, "invoices": { HASH: { "file", "sellerNip",
 *     "issueDate", "mode", "deadline", "kod1", "kod2", "certSerial",
 *     "kod1Image", "kod2Image", "sentOn" (once sent), "ksefNumber"
 *     (once sent by offline send) } } }
 *
 * keyed by the invoice file's SHA-256 (Base64URL, as in its links), so
 * that issuing a file again updates its entry.
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "config.h"
#include "output.h"
#include "offline_register.h"

const char cli_usage_offline[] =
"usage: ksef offline issue FILE... --cert CERT --key KEY [options]\n"
"       ksef offline status [--register FILE] [--today YYYY-MM-DD]\n"
"       ksef offline send [--register FILE] [login and send options]\n"
"       ksef offline correct ORIGINAL.xml CORRECTED.xml [--register FILE]\n"
"       ksef offline sent FILE... [--register FILE] [--today YYYY-MM-DD]\n"
"       ksef offline deadline --issued YYYY-MM-DD [--mode M] [dates]\n"
"\n"
"Invoices issued offline (offline24, during an announced unavailability\n"
"of KSeF, or in emergency mode) must be sent to KSeF by a deadline, and\n"
"carry two QR codes until then: KOD I (the invoice, labelled OFFLINE) and\n"
"KOD II (the issuer's KSeF Offline certificate, labelled CERTYFIKAT).\n"
"\n"
"issue writes FILE-kod1.png and FILE-kod2.png beside each FILE.xml, prints\n"
"its deadline and records it in the register. status lists the register:\n"
"each invoice's deadline and whether it is due, overdue or sent. send\n"
"sends the ones not sent yet, declared offline, and marks them sent\n"
"('ksef offline send --help'); one KSeF refuses is marked refused.\n"
"correct registers CORRECTED.xml (the same invoice, made acceptable) as\n"
"the technical correction of a refused ORIGINAL.xml: send then sends it\n"
"with hashOfCorrectedInvoice (offline/korekta-techniczna.md). sent marks\n"
"invoices as sent to KSeF (on --today) by hand. deadline prints the\n"
"deadline of one issue date.\n"
"\n"
"options:\n"
"  --cert FILE, --key FILE, --key-password P, --context-type T,\n"
"  --context V, --ecdsa-der     the Offline certificate, as for qr offline\n"
"  --env test|demo|prd, --base-url URL  whose verification address\n"
"  --mode offline24|unavailable|emergency  (default offline24)\n"
"  --unavailable-end DATE   the last day of the announced unavailability\n"
"  --emergency-end DATE     the last day of the (last) emergency\n"
"  --emergency-announced DATE  offline24 or unavailable: the day an\n"
"                           emergency was announced, which moves the\n"
"                           deadline to 7 business days after its end\n"
"  --issued DATE            (deadline) the issue date, P_1\n"
"  --register FILE          the register ($KSEF_OFFLINE_REGISTER, else\n"
"                           $XDG_STATE_HOME/ksef/offline.json or\n"
"                           ~/.local/state/ksef/offline.json)\n"
"  --today DATE             (status, sent) the day to compare with, or\n"
"                           of sending (default: today in Poland)\n"
"  --json                   a JSON document on standard output\n"
"\n"
"exit status: 0 done (status: nothing overdue), 1 an invoice refused\n"
"(status: some overdue), 2 usage, 3 could not run (files)\n";

#define CMD "offline"

enum { OPT_CERT = 1000, OPT_KEY, OPT_KEY_PASSWORD, OPT_CTX_TYPE, OPT_CTX,
       OPT_ECDSA_DER, OPT_ENV, OPT_BASE_URL, OPT_MODE, OPT_UNAV_END,
       OPT_EMERG_END, OPT_EMERG_ANN, OPT_ISSUED, OPT_REGISTER, OPT_TODAY,
       OPT_JSON };

static const char *const mode_names[] = {
	"offline24", "unavailable", "emergency"
};

/* What the three subcommands read from the command line. */
struct args {
	const char *cert, *key, *pass, *ctx_type_s, *ctx, *env, *api,
		   *reg, *today;
	unsigned flags;
	ksef_offline_deadline_input in;
	int have_issued;
};

static int parse_date(ksef_date *out, const char *flag, const char *s)
{
	if (ksef_date_parse(out, s, strlen(s), NULL) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "%s %.20s: not a "
				"YYYY-MM-DD date", flag, s);
	return CLI_OK;
}

static int parse_args(struct args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "key-password", required_argument, NULL, OPT_KEY_PASSWORD },
		{ "context-type", required_argument, NULL, OPT_CTX_TYPE },
		{ "context", required_argument, NULL, OPT_CTX },
		{ "ecdsa-der", no_argument, NULL, OPT_ECDSA_DER },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "base-url", required_argument, NULL, OPT_BASE_URL },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "unavailable-end", required_argument, NULL, OPT_UNAV_END },
		{ "emergency-end", required_argument, NULL, OPT_EMERG_END },
		{ "emergency-announced", required_argument, NULL,
		  OPT_EMERG_ANN },
		{ "issued", required_argument, NULL, OPT_ISSUED },
		{ "register", required_argument, NULL, OPT_REGISTER },
		{ "today", required_argument, NULL, OPT_TODAY },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const ksef_offline_deadline_input init =
		KSEF_OFFLINE_DEADLINE_INPUT_INIT;
	size_t i;
	int c, rc = CLI_OK;

	memset(a, 0, sizeof(*a));
	a->in = init;
	a->pass = getenv("KSEF_KEY_PASSWORD");
	while (rc == CLI_OK &&
	       (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CERT: a->cert = optarg; break;
		case OPT_KEY: a->key = optarg; break;
		case OPT_KEY_PASSWORD: a->pass = optarg; break;
		case OPT_CTX_TYPE: a->ctx_type_s = optarg; break;
		case OPT_CTX: a->ctx = optarg; break;
		case OPT_ECDSA_DER: a->flags |= KSEF_QR_CERT_ECDSA_DER; break;
		case OPT_ENV: a->env = optarg; break;
		case OPT_BASE_URL: a->api = optarg; break;
		case OPT_MODE:
			for (i = 0; i < 3; i++)
				if (strcmp(optarg, mode_names[i]) == 0)
					break;
			if (i == 3)
				rc = cli_fail(CLI_F_USAGE, NULL, "--mode %.20s: "
					"offline24, unavailable or emergency",
					optarg);
			a->in.mode = (ksef_offline_mode)i;
			break;
		case OPT_UNAV_END:
			rc = parse_date(&a->in.unavailable_end,
					"--unavailable-end", optarg);
			break;
		case OPT_EMERG_END:
			rc = parse_date(&a->in.emergency_end, "--emergency-end",
					optarg);
			break;
		case OPT_EMERG_ANN:
			rc = parse_date(&a->in.emergency_announced,
					"--emergency-announced", optarg);
			break;
		case OPT_ISSUED:
			rc = parse_date(&a->in.issued, "--issued", optarg);
			a->have_issued = 1;
			break;
		case OPT_REGISTER: a->reg = optarg; break;
		case OPT_TODAY: a->today = optarg; break;
		case OPT_JSON: break; /* main.c saw it */
		case 'h': fputs(cli_usage_offline, stdout); return -1;
		default: fputs(cli_usage_offline, stderr); return CLI_USAGE;
		}
	}
	return rc;
}

static int register_path(char *out, size_t size, const char *flag)
{
	const char *base;

	if (flag == NULL)
		flag = getenv("KSEF_OFFLINE_REGISTER");
	if (flag != NULL && *flag != '\0')
		snprintf(out, size, "%s", flag);
	else if ((base = getenv("XDG_STATE_HOME")) != NULL && base[0] == '/')
		snprintf(out, size, "%s/ksef/offline.json", base);
	else if ((base = getenv("HOME")) != NULL && *base != '\0')
		snprintf(out, size, "%s/.local/state/ksef/offline.json", base);
	else
		return cli_fail(CLI_F_USAGE, NULL, "no HOME to keep the "
				"register in; give --register FILE");
	return CLI_OK;
}

/* Load the register, or start an empty one when there is none. */
int offline_register_load(struct cli_state *st, const char *flag, int create)
{
	ksef_error err = { 0, 0, "" };
	char path[4096];
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = register_path(path, sizeof(path), flag)) != CLI_OK)
		return rc;
	rc = cli_state_load(st, path, &err);
	if (rc == CLI_REJECTED && err.code == KSEF_ENOTFOUND) {
		if (!create)
			return CLI_OK; /* nothing recorded yet */
		st->root = json_pack("{s:i,s:{}}", "version", 1, "invoices");
		return st->root ? CLI_OK : cli_fail(CLI_F_INTERNAL, NULL,
						     "out of memory");
	}
	if (rc != CLI_OK)
		return cli_fail(CLI_F_STATE, NULL, "the register: %s",
				err.message);
	if (!json_is_object(json_object_get(st->root, "invoices")))
		return cli_fail(CLI_F_STATE, NULL, "%s is not a register of "
				"offline invoices", st->path);
	return CLI_OK;
}

void offline_date_text(char out[KSEF_DATE_BUFSZ], ksef_date d)
{
	if (ksef_date_format(out, d, NULL) != 0)
		snprintf(out, KSEF_DATE_BUFSZ, "?");
}

/* FILE.xml -> FILE-kodN.png (or FILE-kodN.png beside a name without
 * .xml). */
static int image_path(char *out, size_t size, const char *xml, int n)
{
	size_t len = strlen(xml);
	int k;

	if (len > 4 && strcmp(xml + len - 4, ".xml") == 0)
		len -= 4;
	k = snprintf(out, size, "%.*s-kod%d.png", (int)len, xml, n);
	return k < 0 || (size_t)k >= size ? -1 : 0;
}

/* A digest as its links write it: Base64URL without padding. */
int offline_hash_key(char out[KSEF_SHA256_B64URL_LEN + 1],
		     const unsigned char md[KSEF_SHA256_LEN])
{
	ksef_buf b = KSEF_BUF_INIT;

	if (ksef_base64url_encode(&b, md, KSEF_SHA256_LEN, NULL) != 0)
		return -1;
	memcpy(out, b.ptr, KSEF_SHA256_B64URL_LEN + 1);
	ksef_buf_dispose(&b);
	return 0;
}

int offline_file_key(char out[KSEF_SHA256_B64URL_LEN + 1], const char *file,
		     ksef_error *err)
{
	ksef_buf xml = KSEF_BUF_INIT;
	unsigned char md[KSEF_SHA256_LEN];
	int e;

	if ((e = cli_read_file(&xml, file, KSEF_INVOICE_MAX_BYTES, err)) == 0 &&
	    (e = ksef_sha256(md, xml.ptr, xml.size, err)) == 0 &&
	    (e = offline_hash_key(out, md)) != 0)
		e = ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	ksef_buf_dispose(&xml);
	return e;
}

/* One invoice: its codes, its deadline, its entry. */
static int issue_one(json_t *invoices, json_t *list, const char *file,
		     const struct args *a, const ksef_qr_signer *signer,
		     const char *qr_base, ksef_context_type ctx_type)
{
	ksef_offline_deadline_input in = a->in;
	ksef_buf xml = KSEF_BUF_INIT, l1 = KSEF_BUF_INIT, l2 = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	ksef_qr_invoice_ref ref;
	ksef_date due = { 0, 0, 0 };
	char p1[PATH_MAX + 16], p2[PATH_MAX + 16], abs[PATH_MAX];
	char issued[KSEF_DATE_BUFSZ], deadline[KSEF_DATE_BUFSZ];
	char hash[KSEF_SHA256_B64URL_LEN + 1];
	json_t *entry;
	int e, rc = CLI_OK;

	if (image_path(p1, sizeof(p1), file, 1) != 0 ||
	    image_path(p2, sizeof(p2), file, 2) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "%s: name too long", file);
	if (cli_read_file(&xml, file, KSEF_INVOICE_MAX_BYTES, &err) != 0)
		return cli_fail(err.code == KSEF_ETOOBIG ? CLI_F_REJECTED :
				CLI_F_IO, NULL, "%s: %s", file, err.message);
	if ((e = ksef_qr_invoice_ref_from_xml(&ref, xml.ptr, xml.size,
					      &err)) != 0) {
		rc = cli_fail_ksef(e, NULL, "%s: %s", file, err.message);
		goto done;
	}
	in.issued = ref.issue_date;
	if (ksef_offline_deadline(&due, &in, &err) != 0) {
		rc = cli_fail(CLI_F_USAGE, NULL, "%s: %s", file, err.message);
		goto done;
	}
	if ((e = cli_qr_write(&l1, p1, KSEF_QR_PNG, qr_base, &xml, NULL,
			      &err)) != 0 ||
	    (e = cli_qr_offline_write(&l2, p2, KSEF_QR_PNG, qr_base, &xml,
			signer, ctx_type, a->ctx, a->flags, &err)) != 0) {
		rc = cli_fail(e == KSEF_EIO ? CLI_F_IO : e == KSEF_ENOMEM ||
			      e == KSEF_ECRYPTO ? CLI_F_INTERNAL :
			      CLI_F_REJECTED, NULL, "%s: %s", file,
			      err.message);
		goto done;
	}
	if (offline_hash_key(hash, ref.sha256) != 0) {
		rc = cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
		goto done;
	}
	offline_date_text(issued, ref.issue_date);
	offline_date_text(deadline, due);
	/* The register names files wherever it is read from. */
	if (realpath(file, abs) == NULL)
		snprintf(abs, sizeof(abs), "%s", file);
	if (image_path(p1, sizeof(p1), abs, 1) != 0 ||
	    image_path(p2, sizeof(p2), abs, 2) != 0) {
		rc = cli_fail(CLI_F_USAGE, NULL, "%s: name too long", file);
		goto done;
	}
	entry = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
		"file", abs, "sellerNip", ref.seller_nip, "issueDate", issued,
		"mode", mode_names[in.mode],
		"deadline", deadline,
		"kod1", (const char *)l1.ptr, "kod2", (const char *)l2.ptr,
		"certSerial", ksef_qr_signer_serial(signer),
		"kod1Image", p1, "kod2Image", p2);
	if (entry == NULL || json_object_set(invoices, hash, entry) != 0 ||
	    json_array_append(list, entry) != 0) {
		json_decref(entry);
		rc = cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
		goto done;
	}
	json_decref(entry);
	if (!cli_out_json())
		printf("%s: issued %s, send by %s\n", file, issued, deadline);
done:
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&l1);
	ksef_buf_dispose(&l2);
	return rc;
}

int cmd_offline_issue(int argc, char **argv)
{
	struct args a;
	struct cli_state st;
	ksef_buf base = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	ksef_context_type ctx_type = KSEF_CONTEXT_NIP;
	ksef_qr_signer *signer = NULL;
	const char *qr_base;
	json_t *list = NULL;
	int rc, r, i, done = 0;

	memset(&st, 0, sizeof(st));
	if ((rc = parse_args(&a, argc, argv)) != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if (optind >= argc || a.cert == NULL || a.key == NULL)
		return cli_fail(CLI_F_USAGE, NULL, "needs FILE..., --cert and "
				"--key");
	if (a.ctx_type_s != NULL) {
		static const char *const names[] = {
			"Nip", "InternalId", "NipVatUe", "PeppolId"
		};
		for (i = 0; i < 4 && strcmp(a.ctx_type_s, names[i]); i++)
			;
		if (i == 4 || (i != 0 && a.ctx == NULL))
			return cli_fail(CLI_F_USAGE, NULL, "--context-type "
				"%.20s: Nip, InternalId, NipVatUe or PeppolId, "
				"the last three with --context", a.ctx_type_s);
		ctx_type = (ksef_context_type)i;
	}
	if ((rc = cli_qr_base(&base, &qr_base, a.env, a.api)) != CLI_OK)
		return rc;
	if ((rc = cli_qr_signer_load(&signer, a.cert, a.key, a.pass)) !=
	    CLI_OK || (rc = offline_register_load(&st, a.reg, 1)) != CLI_OK)
		goto out;
	if ((list = json_array()) == NULL) {
		rc = cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (i = optind; i < argc; i++) {
		r = issue_one(json_object_get(st.root, "invoices"), list,
			      argv[i], &a, signer, qr_base, ctx_type);
		if (r == CLI_OK)
			done++;
		else if (r > rc)
			rc = r;
	}
	/* What was issued is recorded even when another file failed. */
	if (done > 0 && cli_state_save(&st, &err) != CLI_OK)
		rc = cli_fail(CLI_F_IO, NULL, "the register: %s", err.message);
	if (cli_out_json())
		cli_json_print(json_pack("{s:O,s:s}", "invoices", list,
					 "register", st.path));
out:
	json_decref(list);
	cli_state_dispose(&st);
	ksef_qr_signer_free(signer);
	ksef_buf_dispose(&base);
	return rc;
}

int offline_today(ksef_date *out, const char *flag)
{
	if (flag != NULL)
		return parse_date(out, "--today", flag);
	/* The day in Poland, whatever the machine's zone: the offline
	 * deadlines and the invoices' dates are Polish days, and a machine
	 * on UTC is still on yesterday for an hour or two after midnight
	 * in Warsaw. */
	*out = ksef_time_date(ksef_time_warsaw(ksef_time_now().unix_ms));
	if (!ksef_date_is_valid(*out))
		return cli_fail(CLI_F_INTERNAL, NULL, "no date for now");
	return CLI_OK;
}

int cmd_offline_status(int argc, char **argv)
{
	struct args a;
	struct cli_state st;
	ksef_date today, due;
	const char *key, *file, *deadline, *state;
	json_t *entry, *list = NULL, *row;
	int rc, overdue = 0, refused = 0;

	memset(&st, 0, sizeof(st));
	if ((rc = parse_args(&a, argc, argv)) != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if (optind != argc)
		return cli_fail(CLI_F_USAGE, NULL, "takes no arguments");
	if ((rc = offline_today(&today, a.today)) != CLI_OK ||
	    (rc = offline_register_load(&st, a.reg, 0)) != CLI_OK)
		goto out;
	if ((list = json_array()) == NULL) {
		rc = cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
		goto out;
	}
	json_object_foreach(st.root ? json_object_get(st.root, "invoices") :
			    NULL, key, entry) {
		file = cli_json_str(entry, "file");
		deadline = cli_json_str(entry, "deadline");
		if (cli_json_str(entry, "sentOn") != NULL)
			state = "sent";
		else if (cli_json_str(entry, "correctedBy") != NULL)
			state = "corrected";
		else if (json_object_get(entry, "refused") != NULL) {
			state = "refused";
			refused++;
		} else if (deadline == NULL)
			state = "damaged";
		else if (ksef_date_parse(&due, deadline, strlen(deadline),
					 NULL) != 0)
			state = "damaged";
		else if (ksef_date_cmp(today, due) > 0) {
			state = "overdue";
			overdue++;
		} else if (ksef_date_cmp(today, due) == 0)
			state = "due today";
		else
			state = "due";
		if ((row = json_deep_copy(entry)) == NULL ||
		    json_object_set_new(row, "state", json_string(state)) != 0 ||
		    json_array_append_new(list, row) != 0) {
			rc = cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
			goto out;
		}
		if (!cli_out_json())
			printf("%-10s %-11s %-10s %s\n", deadline ? deadline :
			       "-", state, cli_json_str(entry, "mode") ?
			       cli_json_str(entry, "mode") : "?",
			       file ? file : "?");
	}
	if (cli_out_json())
		cli_json_print(json_pack("{s:O,s:i,s:i}", "invoices", list,
					 "overdue", overdue, "refused",
					 refused));
	if (overdue)
		rc = cli_fail(CLI_F_REJECTED, NULL, "%d invoice%s overdue",
			      overdue, overdue == 1 ? " is" : "s are");
	if (refused)
		rc = cli_fail(CLI_F_REJECTED, NULL, "%d invoice%s refused by "
			      "KSeF and need%s a technical correction "
			      "('ksef offline correct')", refused,
			      refused == 1 ? " was" : "s were",
			      refused == 1 ? "s" : "");
out:
	json_decref(list);
	cli_state_dispose(&st);
	return rc;
}

int cmd_offline_deadline(int argc, char **argv)
{
	struct args a;
	ksef_error err = { 0, 0, "" };
	char text[KSEF_DATE_BUFSZ];
	ksef_date due;
	int rc, e;

	if ((rc = parse_args(&a, argc, argv)) != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if (optind != argc || !a.have_issued)
		return cli_fail(CLI_F_USAGE, NULL, "needs --issued and no "
				"arguments");
	if ((e = ksef_offline_deadline(&due, &a.in, &err)) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "%s", err.message);
	offline_date_text(text, due);
	if (cli_out_json())
		cli_json_print(json_pack("{s:s,s:s}", "mode",
			mode_names[a.in.mode], "deadline", text));
	else
		printf("%s\n", text);
	return CLI_OK;
}

int cmd_offline_sent(int argc, char **argv)
{
	struct args a;
	struct cli_state st;
	ksef_error err = { 0, 0, "" };
	char day[KSEF_DATE_BUFSZ], hash[KSEF_SHA256_B64URL_LEN + 1];
	ksef_date today;
	json_t *invoices, *entry;
	int rc, i, marked = 0;

	memset(&st, 0, sizeof(st));
	if ((rc = parse_args(&a, argc, argv)) != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if (optind >= argc)
		return cli_fail(CLI_F_USAGE, NULL, "needs FILE...");
	if ((rc = offline_today(&today, a.today)) != CLI_OK ||
	    (rc = offline_register_load(&st, a.reg, 0)) != CLI_OK)
		goto out;
	offline_date_text(day, today);
	invoices = st.root ? json_object_get(st.root, "invoices") : NULL;
	for (i = optind; i < argc; i++) {
		/* The entry's key is the file's hash in its links' form. */
		if (offline_file_key(hash, argv[i], &err) != 0) {
			rc = cli_fail(err.code == KSEF_EIO ? CLI_F_IO :
				      CLI_F_INTERNAL, NULL, "%s: %s", argv[i],
				      err.message);
			continue;
		}
		entry = invoices ? json_object_get(invoices, hash) : NULL;
		if (entry == NULL) {
			if (cli_fail(CLI_F_REJECTED, NULL, "%s: not in the "
				     "register", argv[i]) > rc)
				rc = CLI_REJECTED;
			continue;
		}
		if (json_object_set_new(entry, "sentOn", json_string(day))) {
			rc = cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
			goto out;
		}
		marked++;
		if (!cli_out_json())
			printf("%s: sent on %s\n", argv[i], day);
	}
	if (marked > 0 && cli_state_save(&st, &err) != CLI_OK)
		rc = cli_fail(CLI_F_IO, NULL, "the register: %s", err.message);
	if (cli_out_json())
		cli_json_print(json_pack("{s:i,s:s}", "marked", marked,
					 "sentOn", day));
out:
	cli_state_dispose(&st);
	return rc;
}

int cmd_offline_correct(int argc, char **argv)
{
	struct args a;
	struct cli_state st;
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	char old_key[KSEF_SHA256_B64URL_LEN + 1],
	     new_key[KSEF_SHA256_B64URL_LEN + 1],
	     old_hash[KSEF_SHA256_B64_LEN + 1], abs[PATH_MAX];
	const char *old_file;
	json_t *invoices, *old, *entry = NULL;
	int rc;

	memset(&st, 0, sizeof(st));
	if ((rc = parse_args(&a, argc, argv)) != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if (argc - optind != 2)
		return cli_fail(CLI_F_USAGE, NULL, "needs ORIGINAL.xml and "
				"CORRECTED.xml");
	if ((rc = offline_register_load(&st, a.reg, 0)) != CLI_OK)
		goto out;
	invoices = st.root ? json_object_get(st.root, "invoices") : NULL;
	old_file = argv[optind];
	/* The original is known by its bytes: its hash is what KSeF has
	 * refused and what the correction names. */
	if (offline_file_key(old_key, old_file, &err) != 0 ||
	    cli_read_file(&xml, old_file, KSEF_INVOICE_MAX_BYTES, &err) != 0 ||
	    ksef_sha256_base64(old_hash, xml.ptr, xml.size, &err) != 0) {
		rc = cli_fail(CLI_F_IO, NULL, "%s: %s", old_file, err.message);
		goto out;
	}
	old = invoices ? json_object_get(invoices, old_key) : NULL;
	if (old == NULL || json_object_get(old, "refused") == NULL ||
	    cli_json_str(old, "sentOn") != NULL) {
		rc = cli_fail(CLI_F_REJECTED, NULL, "%s: not a registered "
			      "invoice that KSeF refused (only those take a "
			      "technical correction)", old_file);
		goto out;
	}
	if (cli_json_str(old, "correctedBy") != NULL) {
		rc = cli_fail(CLI_F_REJECTED, NULL, "%s: already corrected "
			      "(korekta-techniczna.md allows one)", old_file);
		goto out;
	}
	if (offline_file_key(new_key, argv[optind + 1], &err) != 0) {
		rc = cli_fail(CLI_F_IO, NULL, "%s: %s", argv[optind + 1],
			      err.message);
		goto out;
	}
	if (strcmp(new_key, old_key) == 0) {
		rc = cli_fail(CLI_F_REJECTED, NULL, "%s: the same bytes as "
			      "the refused invoice", argv[optind + 1]);
		goto out;
	}
	if (realpath(argv[optind + 1], abs) == NULL)
		snprintf(abs, sizeof(abs), "%s", argv[optind + 1]);
	/* The correction keeps the original's codes, deadline and mode (a
	 * customer holds the original's print) and names it. */
	if ((entry = json_deep_copy(old)) == NULL ||
	    json_object_del(entry, "refused") != 0 ||
	    json_object_set_new(entry, "file", json_string(abs)) != 0 ||
	    json_object_set_new(entry, "corrects", json_string(old_hash)) ||
	    json_object_set(invoices, new_key, entry) != 0 ||
	    json_object_set_new(old, "correctedBy", json_string(new_key))) {
		rc = cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (cli_state_save(&st, &err) != CLI_OK) {
		rc = cli_fail(CLI_F_IO, NULL, "the register: %s", err.message);
		goto out;
	}
	if (cli_out_json())
		cli_json_print(json_pack("{s:s,s:s}", "corrected", old_file,
					 "hashOfCorrectedInvoice", old_hash));
	else
		printf("%s: a technical correction of %s, sent by 'ksef "
		       "offline send'\n", argv[optind + 1], old_file);
out:
	json_decref(entry);
	ksef_buf_dispose(&xml);
	cli_state_dispose(&st);
	return rc;
}
