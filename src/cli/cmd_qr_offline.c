/*
 * cmd_qr_offline.c - `ksef qr offline`: the KOD II of an invoice issued
 * offline (kody-qr.md section 2), its signed certificate link printed and
 * its QR code written with CERTYFIKAT under it. It also owns loading the
 * Offline certificate's key and cli_qr_offline_write(), which `ksef
 * offline issue` shares. The link, the signature and the drawing are
 * libksef's (qr_cert.h, qr.h); the usage text is cmd_qr.c's.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "cli.h"
#include "config.h"
#include "output.h"

#define CMD "qr"

enum { OPT_OUT = 1000, OPT_CERT, OPT_KEY, OPT_KEY_PASSWORD, OPT_CTX_TYPE,
       OPT_CTX, OPT_ECDSA_DER, OPT_ENV, OPT_BASE_URL, OPT_JSON };

int cli_qr_signer_load(ksef_qr_signer **out, const char *cert,
		       const char *key, const char *pass)
{
	ksef_buf kb = KSEF_BUF_INIT, cb = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	const char *bad = key;
	int rc;

	if (cli_read_file(&kb, key, KSEF_CERT_MAX_BYTES, &err) != 0 ||
	    (bad = cert, cli_read_file(&cb, cert, KSEF_CERT_MAX_BYTES,
				      &err)) != 0) {
		rc = cli_fail(CLI_F_IO, NULL, "%s: %s", bad, err.message);
		goto out;
	}
	/* A key or certificate that does not load is a bad argument. */
	rc = ksef_qr_signer_new(out, kb.ptr, kb.size, cb.ptr, cb.size, pass,
				&err) == 0 ? CLI_OK :
	     cli_fail(CLI_F_USAGE, NULL, "--cert %s --key %s: %s", cert, key,
		      err.message);
out:
	ksef_buf_dispose_secure(&kb);
	ksef_buf_dispose(&cb);
	return rc;
}

int cli_qr_offline_write(ksef_buf *link, const char *path,
			 ksef_qr_format format, const char *qr_base,
			 const ksef_buf *xml, const ksef_qr_signer *signer,
			 ksef_context_type ctx_type, const char *ctx_value,
			 unsigned flags, ksef_error *err)
{
	ksef_qr_options o = KSEF_QR_OPTIONS_INIT;
	ksef_qr_invoice_ref inv;
	ksef_qr_cert_ref ref;
	ksef_buf img = KSEF_BUF_INIT;
	int e;

	/* What KOD II names of the invoice is what KOD I does: Podmiot1's
	 * NIP and the file's SHA-256. */
	if ((e = ksef_qr_invoice_ref_from_xml(&inv, xml->ptr, xml->size,
					      err)) != 0)
		return e;
	memset(&ref, 0, sizeof(ref));
	ref.context_type = ctx_type;
	if (ctx_value == NULL)
		ctx_value = inv.seller_nip;
	if (strlen(ctx_value) >= sizeof(ref.context_value))
		return ksef_error_set(err, KSEF_EFORMAT, "the context value "
			"is over %d characters", KSEF_QR_CONTEXT_MAX);
	strcpy(ref.context_value, ctx_value);
	memcpy(ref.seller_nip, inv.seller_nip, sizeof(ref.seller_nip));
	memcpy(ref.sha256, inv.sha256, sizeof(ref.sha256));
	if ((e = ksef_qr_cert_link(link, qr_base, &ref, signer, flags,
				   err)) != 0 || path == NULL)
		return e;
	o.format = format;
	o.label = KSEF_QR_LABEL_CERT;
	if ((e = ksef_qr_render(&img, (const char *)link->ptr, link->size, &o,
				err)) != 0)
		return e;
	e = cli_write_file(path, img.ptr, img.size, 0644, err);
	ksef_buf_dispose(&img);
	return e;
}

/* "Nip", "InternalId", "NipVatUe", "PeppolId", in any case. */
static int context_type_of(ksef_context_type *out, const char *s)
{
	static const char *const names[] = {
		"Nip", "InternalId", "NipVatUe", "PeppolId"
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0) {
			*out = (ksef_context_type)i;
			return 0;
		}
	return -1;
}

int cmd_qr_offline(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, OPT_OUT },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "key-password", required_argument, NULL, OPT_KEY_PASSWORD },
		{ "context-type", required_argument, NULL, OPT_CTX_TYPE },
		{ "context", required_argument, NULL, OPT_CTX },
		{ "ecdsa-der", no_argument, NULL, OPT_ECDSA_DER },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "base-url", required_argument, NULL, OPT_BASE_URL },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *cert = NULL, *key = NULL, *env = NULL,
		   *api = NULL, *ctx = NULL, *ctx_type_s = NULL,
		   *pass = getenv("KSEF_KEY_PASSWORD");
	ksef_buf xml = KSEF_BUF_INIT, base = KSEF_BUF_INIT,
		 link = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	ksef_context_type ctx_type = KSEF_CONTEXT_NIP;
	ksef_qr_format format = KSEF_QR_PNG;
	ksef_qr_signer *signer = NULL;
	unsigned flags = 0;
	const char *qr_base;
	int c, e, rc = CLI_OK;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_OUT: out = optarg; break;
		case OPT_CERT: cert = optarg; break;
		case OPT_KEY: key = optarg; break;
		case OPT_KEY_PASSWORD: pass = optarg; break;
		case OPT_CTX_TYPE: ctx_type_s = optarg; break;
		case OPT_CTX: ctx = optarg; break;
		case OPT_ECDSA_DER: flags |= KSEF_QR_CERT_ECDSA_DER; break;
		case OPT_ENV: env = optarg; break;
		case OPT_BASE_URL: api = optarg; break;
		case OPT_JSON: break; /* main.c saw it */
		case 'h': fputs(cli_usage_qr, stdout); return CLI_OK;
		default: fputs(cli_usage_qr, stderr); return CLI_USAGE;
		}
	}
	if (optind + 1 != argc || cert == NULL || key == NULL)
		return cli_fail(CLI_F_USAGE, NULL, "needs one FILE, --cert and "
				"--key");
	if (out != NULL && cli_qr_format_of(&format, out) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "--out %s: name a .png or "
				".svg file", out);
	if (ctx_type_s != NULL && context_type_of(&ctx_type, ctx_type_s) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "--context-type %.20s: Nip, "
				"InternalId, NipVatUe or PeppolId", ctx_type_s);
	if (ctx_type != KSEF_CONTEXT_NIP && ctx == NULL)
		return cli_fail(CLI_F_USAGE, NULL, "--context-type %s needs "
				"--context", ctx_type_s);
	if ((rc = cli_qr_base(&base, &qr_base, env, api)) != CLI_OK)
		return rc;
	if ((rc = cli_qr_signer_load(&signer, cert, key, pass)) != CLI_OK)
		goto done;
	if (cli_read_file(&xml, argv[optind], KSEF_INVOICE_MAX_BYTES,
			  &err) != 0) {
		rc = cli_fail(err.code == KSEF_ETOOBIG ? CLI_F_REJECTED :
			      CLI_F_IO, NULL, "%s: %s", argv[optind],
			      err.message);
		goto done;
	}
	if ((e = cli_qr_offline_write(&link, out, format, qr_base, &xml,
				      signer, ctx_type, ctx, flags,
				      &err)) != 0) {
		rc = cli_fail(e == KSEF_EIO ? CLI_F_IO : e == KSEF_ENOMEM ||
			      e == KSEF_ECRYPTO ? CLI_F_INTERNAL :
			      CLI_F_REJECTED, NULL, "%s: %s",
			      e == KSEF_EIO ? out : argv[optind],
			      err.message);
		goto done;
	}
	if (cli_out_json())
		cli_json_print(json_pack("{s:s,s:s?,s:s,s:s}", "link",
			(const char *)link.ptr, "file", out, "serial",
			ksef_qr_signer_serial(signer), "label",
			KSEF_QR_LABEL_CERT));
	else
		printf("%s\n", (const char *)link.ptr);
done:
	ksef_qr_signer_free(signer);
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&base);
	ksef_buf_dispose(&link);
	return rc;
}
