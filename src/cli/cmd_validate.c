/*
 * cmd_validate.c - `ksef validate`: the library's verification of invoices,
 * offline, before anything is sent. It reports per file the invoice status
 * KSeF would give (200, or 430/415/450 with the reasons) and exits 0 only
 * when every file passes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "output.h"

const char cli_usage_validate[] =
"usage: ksef validate [options] FILE...\n"
"\n"
"Check invoices as KSeF does on receipt: UTF-8 without BOM, no other\n"
"declared encoding, no processing instructions, none of the discouraged\n"
"characters, well-formed XML without DTD, and the official schema of the\n"
"form code. FILE '-' reads standard input.\n"
"\n"
"options:\n"
"  --form CODE        the session's form code: 'FA (3)', 'FA (2)', 'PEF (3)',\n"
"                     'PEF_KOR (3)', 'FA_RR (1)' (or fa3, fa2, pef3, ...);\n"
"                     default: taken from each document's root element\n"
"  --interactive      refuse attachments, as an interactive session does\n"
"  --date YYYY-MM-DD  refuse an issue date (P_1) after this date\n"
"  --production       check NIP checksums, as production KSeF does\n"
"  --max-bytes N      size limit (default 1000000)\n"
"  --schemas DIR      the official schemas (default $KSEF_SCHEMA_DIR or the\n"
"                     folder set at build time)\n"
"  --json             one JSON array on standard output (an object with\n"
"                     the error when nothing could be checked)\n"
"  -q, --quiet        print only failures\n"
"\n"
"exit status: 0 all valid, 1 some invalid, 2 usage, 3 could not check\n";

struct validate_opts {
	int have_form;
	ksef_form form;
	ksef_verify_options verify;
	const char *schema_dir;
	int quiet;
};

/* The verdict in the one shape of an invoice's status (output.h). */
static json_t *verdict_json(const char *file, ksef_form form,
			    const ksef_verdict *v)
{
	static const char *const field_names[KSEF_FIELD_COUNT] = {
		"sellerNip", "invoiceKind", "invoiceNumber", "issueDate",
		"buyerNip", "buyerVatUe", "buyerOtherId",
	};
	struct cli_invoice_status st = CLI_INVOICE_STATUS_INIT;
	const char *details[KSEF_VERIFY_MAX_DETAILS];
	json_t *fields = json_object();
	size_t i;

	for (i = 0; i < KSEF_FIELD_COUNT; i++) {
		const char *f = ksef_verdict_field(v, (ksef_field)i);

		if (f != NULL)
			json_object_set_new(fields, field_names[i],
					    json_string(f));
	}
	for (i = 0; i < ksef_verdict_detail_count(v) &&
		    i < KSEF_VERIFY_MAX_DETAILS; i++)
		details[i] = ksef_verdict_detail(v, i);
	st.file = file;
	st.form_code = ksef_form_code_of(form).system_code;
	st.status = ksef_verdict_status(v);
	st.details = details;
	st.detail_count = i;
	st.line = ksef_verdict_line(v);
	st.invoice_number = ksef_verdict_field(v, KSEF_FIELD_INVOICE_NUMBER);
	st.fields = fields;
	st.has_attachment = ksef_verdict_has_attachment(v) ? 1 : 0;
	return cli_invoice_status_json(&st);
}

/* A file that could not be checked, in the same shape. */
static json_t *unchecked_json(const char *file, enum cli_failure kind,
			      const char *why)
{
	struct cli_invoice_status st = CLI_INVOICE_STATUS_INIT;

	st.file = file;
	st.error = why;
	st.error_kind = kind;
	return cli_invoice_status_json(&st);
}

/* Validate one file. Returns CLI_OK, CLI_REJECTED or CLI_FAILED. */
static int validate_one(ksef_schemas *schemas, const struct validate_opts *o,
			const char *file, json_t *out)
{
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_verdict *v = NULL;
	ksef_error err = { 0, 0, "" };
	ksef_form form = o->form;
	enum cli_failure kind;
	int rc = CLI_OK, status;
	size_t i;

	/* Read a little past the limit, so the verdict can say "over". */
	if (cli_read_file(&doc, file, KSEF_INVOICE_MAX_BYTES, &err) < 0) {
		kind = err.code == KSEF_ETOOBIG ? CLI_F_REJECTED : CLI_F_IO;
		if (out != NULL)
			json_array_append_new(out, unchecked_json(file, kind,
								  err.message));
		return cli_fail(kind, NULL, "%s: %s", file, err.message);
	}
	if (!o->have_form &&
	    ksef_form_detect(&form, doc.ptr, doc.size, &err) < 0) {
		/* Not recognisable: verify as FA (3), the common case, so
		 * the report gives the real reason (malformed, BOM...). */
		form = KSEF_FORM_FA3;
	}
	if (ksef_invoice_verify(&v, schemas, form, doc.ptr, doc.size,
				&o->verify, &err) < 0) {
		if (out != NULL)
			json_array_append_new(out, unchecked_json(file,
				CLI_F_INTERNAL, err.message));
		ksef_buf_dispose(&doc);
		return cli_fail(CLI_F_INTERNAL, NULL, "%s: %s", file,
				err.message);
	}
	status = ksef_verdict_status(v);
	if (out != NULL)
		json_array_append_new(out, verdict_json(file, form, v));
	if (status == KSEF_INVOICE_STATUS_OK) {
		if (out == NULL && !o->quiet)
			printf("%s: valid %s invoice %s of seller %s\n", file,
			       ksef_form_code_of(form).system_code,
			       ksef_verdict_field(v, KSEF_FIELD_INVOICE_NUMBER) ?
			       ksef_verdict_field(v, KSEF_FIELD_INVOICE_NUMBER) : "?",
			       ksef_verdict_field(v, KSEF_FIELD_SELLER_NIP) ?
			       ksef_verdict_field(v, KSEF_FIELD_SELLER_NIP) : "?");
	} else {
		rc = cli_fail(CLI_F_REJECTED, NULL, "%s: status %d (%s) as %s",
			      file, status,
			      ksef_invoice_status_description(status),
			      ksef_form_code_of(form).system_code);
		for (i = 0; i < ksef_verdict_detail_count(v); i++)
			cli_note("%s: %s", file, ksef_verdict_detail(v, i));
	}
	ksef_verdict_free(v);
	ksef_buf_dispose(&doc);
	return rc;
}

int cmd_validate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "form", required_argument, NULL, 'f' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "date", required_argument, NULL, 'd' },
		{ "production", no_argument, NULL, 'p' },
		{ "max-bytes", required_argument, NULL, 'm' },
		{ "schemas", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct validate_opts o;
	ksef_verify_options vinit = KSEF_VERIFY_OPTIONS_INIT;
	ksef_schemas *schemas = NULL;
	ksef_error err;
	json_t *out = NULL;
	ksef_date date;
	char *end;
	int c, i, rc = CLI_OK, one;

	memset(&o, 0, sizeof(o));
	o.verify = vinit;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cli_parse_form(&o.form, optarg) < 0)
				return cli_fail(CLI_F_USAGE, NULL, "unknown "
						"form code '%s'", optarg);
			o.have_form = 1;
			break;
		case 'i': o.verify.reject_attachments = 1; break;
		case 'd':
			if (ksef_date_parse(&date, optarg, strlen(optarg),
					    &err) < 0)
				return cli_fail(CLI_F_USAGE, NULL, "--date: %s",
						err.message);
			o.verify.acceptance_date = optarg;
			break;
		case 'p': o.verify.check_nip_checksums = 1; break;
		case 'm':
			o.verify.max_bytes = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' ||
			    o.verify.max_bytes == 0 ||
			    o.verify.max_bytes > KSEF_INVOICE_MAX_BYTES)
				return cli_fail(CLI_F_USAGE, NULL, "--max-bytes "
						"must be 1 to %d",
						KSEF_INVOICE_MAX_BYTES);
			break;
		case 's': o.schema_dir = optarg; break;
		case 'j': break; /* main.c saw it */
		case 'q': o.quiet = 1; break;
		case 'h': fputs(cli_usage_validate, stdout); return CLI_OK;
		default: fputs(cli_usage_validate, stderr); return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(cli_usage_validate, stderr);
		return cli_fail(CLI_F_USAGE, NULL, "no files given");
	}
	if (ksef_schemas_new(&schemas, o.schema_dir, &err) < 0) {
		rc = cli_fail(CLI_F_INTERNAL, NULL, "%s", err.message);
		cli_hint("'ksef schemas fetch' puts the official schemas where "
			 "ksef looks for them");
		return rc;
	}
	if (cli_out_json())
		out = json_array();
	for (i = optind; i < argc; i++) {
		one = validate_one(schemas, &o, argv[i], out);
		if (one > rc)
			rc = one;
	}
	if (out != NULL)
		cli_json_print(out);
	ksef_schemas_free(schemas);
	return rc;
}
