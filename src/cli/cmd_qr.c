/*
 * cmd_qr.c - `ksef qr invoice`: the KOD I of an invoice file (kody-qr.md
 * section 1), its verification link printed and its QR code written as
 * PNG or SVG with the KSeF number (or OFFLINE) under it. It also owns
 * cli_qr_write(), with which `ksef send --qr-dir` writes the code of each
 * accepted invoice. The link and the drawing are libksef's (qr.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "cli.h"
#include "config.h"
#include "output.h"

const char cli_usage_qr[] =
"usage: ksef qr invoice FILE --out qr.png|qr.svg [options]\n"
"       ksef qr offline FILE --cert CERT --key KEY [--out qr.png|qr.svg]\n"
"                       [options]\n"
"\n"
"Make the verification code (KOD I) of an invoice file: the link that\n"
"names it by the seller's NIP (Podmiot1), its issue date (P_1) and the\n"
"SHA-256 of the file, drawn as a QR code with the invoice's KSeF number\n"
"under it, or OFFLINE while it has none. The link is printed on standard\n"
"output. Every form KSeF takes (FA, FA_RR, PEF) with a seller's NIP.\n"
"\n"
"options:\n"
"  --out FILE         the image; .png or .svg says which (required)\n"
"  --ksef-number N    the KSeF number to write under the code\n"
"  --env test|demo|prd  whose verification address the link takes\n"
"                     (default test)\n"
"  --base-url URL     the API base URL instead: the Ministry's map to\n"
"                     their environment, any other (a ksefd) serves the\n"
"                     links itself at its root\n"
"  --json             the link and the file as JSON on standard output\n"
"\n"
"ksef qr offline makes the certificate code (KOD II) of an invoice issued\n"
"offline: the link naming the context, the seller's NIP (Podmiot1), the\n"
"serial number of the KSeF Offline certificate and the file's SHA-256,\n"
"signed with the certificate's key (RSASSA-PSS or ECDSA P-256), drawn\n"
"with CERTYFIKAT under it. It prints the link; --out writes the image.\n"
"  --cert FILE        the Offline certificate, PEM or DER\n"
"  --key FILE         its private key, PEM (encrypted or not)\n"
"  --key-password P   the key's passphrase ($KSEF_KEY_PASSWORD)\n"
"  --context-type T   Nip, InternalId, NipVatUe or PeppolId (default Nip)\n"
"  --context VALUE    the context's identifier (default: the seller's\n"
"                     NIP)\n"
"  --ecdsa-der        an EC signature as ASN.1 DER, not IEEE P1363\n"
"  --env, --base-url, --json  as for qr invoice\n"
"\n"
"exit status: 0 written, 1 the file is no invoice with a NIP and P_1,\n"
"2 usage, 3 could not run (files)\n";

#define CMD "qr"

enum { OPT_OUT = 1000, OPT_KSEF_NUMBER, OPT_ENV, OPT_BASE_URL, OPT_JSON };

int cli_qr_format_of(ksef_qr_format *out, const char *path)
{
	size_t n = strlen(path);

	if (n > 4 && strcasecmp(path + n - 4, ".png") == 0)
		*out = KSEF_QR_PNG;
	else if (n > 4 && strcasecmp(path + n - 4, ".svg") == 0)
		*out = KSEF_QR_SVG;
	else
		return -1;
	return 0;
}

int cli_qr_base(ksef_buf *base, const char **qr_base, const char *env,
		const char *api)
{
	ksef_error err = { 0, 0, "" };

	if (env != NULL && api != NULL)
		return cli_fail(CLI_F_USAGE, NULL, "--env and --base-url "
				"exclude each other");
	if (api != NULL) {
		if (ksef_qr_base_for_api(base, api, &err) != 0)
			return cli_fail(CLI_F_USAGE, NULL, "--base-url: %s",
					err.message);
		*qr_base = (const char *)base->ptr;
	} else if (env == NULL || strcmp(env, "test") == 0) {
		*qr_base = ksef_qr_env_base(KSEF_QR_ENV_TEST);
	} else if (strcmp(env, "demo") == 0) {
		*qr_base = ksef_qr_env_base(KSEF_QR_ENV_DEMO);
	} else if (strcmp(env, "prd") == 0) {
		*qr_base = ksef_qr_env_base(KSEF_QR_ENV_PRD);
	} else {
		return cli_fail(CLI_F_USAGE, NULL, "--env %.20s: test, demo "
				"or prd", env);
	}
	return CLI_OK;
}

int cli_qr_write(ksef_buf *link, const char *path, ksef_qr_format format,
		 const char *qr_base, const ksef_buf *xml,
		 const char *ksef_number, ksef_error *err)
{
	ksef_qr_options o = KSEF_QR_OPTIONS_INIT;
	ksef_qr_invoice_ref ref;
	ksef_buf img = KSEF_BUF_INIT;
	int e;

	o.format = format;
	o.ksef_number = ksef_number;
	if ((e = ksef_qr_invoice_ref_from_xml(&ref, xml->ptr, xml->size,
					      err)) != 0 ||
	    (e = ksef_qr_invoice_link(link, qr_base, &ref, err)) != 0 ||
	    (e = ksef_qr_render(&img, (const char *)link->ptr,
				 link->size, &o, err)) != 0)
		return e;
	e = cli_write_file(path, img.ptr, img.size, 0644, err);
	ksef_buf_dispose(&img);
	return e;
}

int cmd_qr(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, OPT_OUT },
		{ "ksef-number", required_argument, NULL, OPT_KSEF_NUMBER },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "base-url", required_argument, NULL, OPT_BASE_URL },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *number = NULL, *env = NULL, *api = NULL;
	ksef_buf xml = KSEF_BUF_INIT, base = KSEF_BUF_INIT,
		 link = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	ksef_qr_format format;
	const char *qr_base;
	int c, e, rc = CLI_OK;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_OUT: out = optarg; break;
		case OPT_KSEF_NUMBER: number = optarg; break;
		case OPT_ENV: env = optarg; break;
		case OPT_BASE_URL: api = optarg; break;
		case OPT_JSON: break; /* main.c saw it */
		case 'h': fputs(cli_usage_qr, stdout); return CLI_OK;
		default: fputs(cli_usage_qr, stderr); return CLI_USAGE;
		}
	}
	if (optind + 1 != argc || out == NULL)
		return cli_fail(CLI_F_USAGE, NULL, "needs one FILE and --out");
	if (cli_qr_format_of(&format, out) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "--out %s: name a .png or "
				".svg file", out);
	if (number != NULL &&
	    ksef_number_validate(number, strlen(number), &err) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "--ksef-number %.40s: %s",
				number, err.message);
	if ((rc = cli_qr_base(&base, &qr_base, env, api)) != CLI_OK)
		return rc;
	if (cli_read_file(&xml, argv[optind], KSEF_INVOICE_MAX_BYTES,
			  &err) != 0) {
		rc = cli_fail(err.code == KSEF_ETOOBIG ? CLI_F_REJECTED :
			      CLI_F_IO, NULL, "%s: %s", argv[optind],
			      err.message);
		goto done;
	}
	if ((e = cli_qr_write(&link, out, format, qr_base, &xml, number,
			      &err)) != 0) {
		rc = cli_fail(e == KSEF_EIO ? CLI_F_IO : e == KSEF_ENOMEM ?
			      CLI_F_INTERNAL : CLI_F_REJECTED, NULL, "%s: %s",
			      e == KSEF_EIO ? out : argv[optind],
			      err.message);
		goto done;
	}
	if (cli_out_json())
		cli_json_print(json_pack("{s:s,s:s,s:s,s:s}", "link",
			(const char *)link.ptr, "file", out, "format",
			format == KSEF_QR_PNG ? "png" : "svg", "label",
			number ? number : KSEF_QR_LABEL_OFFLINE));
	else
		printf("%s\n", (const char *)link.ptr);
done:
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&base);
	ksef_buf_dispose(&link);
	return rc;
}
