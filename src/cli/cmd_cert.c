/*
 * cmd_cert.c - `ksef cert generate`: self-signed certificates for the
 * TEST environment, as the official clients make them (a person with
 * serialNumber TINPL-/PNOPL-, or a company seal with organizationIdentifier
 * VATPL-). The certificate's contents and key belong to libksef
 * (ksef_xades_cert_generate); this file owns the command line and the
 * files, the key's made private (0600) before a byte is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "output.h"
#include "config.h"
#include "ksef/xades.h"

const char cli_usage_cert[] =
"usage: ksef cert generate --person (--nip NIP | --pesel PESEL)\n"
"                          --name \"GIVEN SURNAME\" [options]\n"
"       ksef cert generate --seal --nip NIP --org NAME [options]\n"
"       ksef cert enroll|list|revoke|limits ...  KSeF certificates:\n"
"                          see 'ksef cert enroll --help'\n"
"\n"
"Make a self-signed certificate and its private key for the KSeF TEST\n"
"environment (which alone accepts self-signed ones), to log in with\n"
"'ksef auth login --cert FILE --key FILE'. A person's certificate names\n"
"the NIP (serialNumber TINPL-NIP) or PESEL (PNOPL-PESEL); a company\n"
"seal names the NIP as organizationIdentifier VATPL-NIP.\n"
"\n"
"options:\n"
"  --out-key FILE     the private key, PKCS#8 PEM, unencrypted; made with\n"
"                     mode 0600 and never overwritten without --force\n"
"  --out-cert FILE    the certificate, PEM\n"
"  --ec               an ECDSA P-256 key instead of RSA 2048\n"
"  --days N           valid for N days from now (default 365)\n"
"  --cn NAME          the common name (default: --name or --org)\n"
"  --force            replace an existing key file\n"
"\n"
"exit status: 0 written, 2 usage, 3 could not run\n";

#define CMD "cert"

enum { OPT_PERSON = 300, OPT_SEAL, OPT_NIP, OPT_PESEL, OPT_NAME, OPT_ORG,
       OPT_CN, OPT_EC, OPT_OUT_KEY, OPT_OUT_CERT, OPT_DAYS, OPT_FORCE };

/* Write the key to a file that is private from the moment it exists:
 * O_EXCL so that no file (or link) someone else put there is reused. */
int cli_write_private(const char *path, const void *data, size_t len,
		      int force)
{
	const unsigned char *p = data;
	size_t off = 0;
	int fd, rc;

	if (force && unlink(path) != 0 && errno != ENOENT)
		return cli_fail(CLI_F_IO, NULL, "%s: %s", path,
				strerror(errno));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;

		return cli_fail(e == EEXIST ? CLI_F_USAGE : CLI_F_IO, NULL,
				"%s: %s%s", path, strerror(e), e == EEXIST ?
				" (--force replaces it)" : "");
	}
	if (fchmod(fd, 0600) != 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return CLI_OK;
fail:
	rc = cli_fail(CLI_F_IO, NULL, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(path);
	return rc;
}

int cmd_cert_generate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "person", no_argument, NULL, OPT_PERSON },
		{ "seal", no_argument, NULL, OPT_SEAL },
		{ "nip", required_argument, NULL, OPT_NIP },
		{ "pesel", required_argument, NULL, OPT_PESEL },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "org", required_argument, NULL, OPT_ORG },
		{ "cn", required_argument, NULL, OPT_CN },
		{ "ec", no_argument, NULL, OPT_EC },
		{ "out-key", required_argument, NULL, OPT_OUT_KEY },
		{ "out-cert", required_argument, NULL, OPT_OUT_CERT },
		{ "days", required_argument, NULL, OPT_DAYS },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	ksef_xades_cert_options co = KSEF_XADES_CERT_OPTIONS_INIT;
	const char *nip = NULL, *pesel = NULL, *name = NULL, *org = NULL,
		   *cn = NULL, *out_key = NULL, *out_cert = NULL, *sp;
	ksef_buf key = KSEF_BUF_INIT, cert = KSEF_BUF_INIT;
	ksef_xades_signer *signer = NULL;
	ksef_error err = { 0, 0, "" };
	char given[256], serial[32], orgid[32];
	int c, person = 0, seal = 0, force = 0, days = 365, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PERSON: person = 1; break;
		case OPT_SEAL: seal = 1; break;
		case OPT_NIP: nip = optarg; break;
		case OPT_PESEL: pesel = optarg; break;
		case OPT_NAME: name = optarg; break;
		case OPT_ORG: org = optarg; break;
		case OPT_CN: cn = optarg; break;
		case OPT_EC: co.key_type = KSEF_XADES_KEY_EC_P256; break;
		case OPT_OUT_KEY: out_key = optarg; break;
		case OPT_OUT_CERT: out_cert = optarg; break;
		case OPT_FORCE: force = 1; break;
		case OPT_DAYS:
			if (cli_parse_seconds(&days, optarg, 36500) != 0) {
				return cli_fail(CLI_F_USAGE, NULL, "--days must be 1 to 36500");
			}
			break;
		case 'h': fputs(cli_usage_cert, stdout); return CLI_OK;
		default: fputs(cli_usage_cert, stderr); return CLI_USAGE;
		}
	}
	if (optind < argc) {
		return cli_fail(CLI_F_USAGE, NULL, "generate takes no arguments ('%s')",   argv[optind]);
	}
	if (person == seal) {
		return cli_fail(CLI_F_USAGE, NULL, "give one of --person and --seal");
	}
	if (out_key == NULL || out_cert == NULL) {
		return cli_fail(CLI_F_USAGE, NULL, "give --out-key and --out-cert");
	}
	if (nip != NULL &&
	    ksef_nip_validate_pattern(nip, strlen(nip), &err) != 0) {
		return cli_fail(CLI_F_USAGE, NULL, "--nip %s: %s", nip, err.message);
	}
	if (pesel != NULL && ksef_pesel_validate(pesel, strlen(pesel),
						 &err) != 0) {
		return cli_fail(CLI_F_USAGE, NULL, "--pesel %s: %s", pesel, err.message);
	}
	if (person) {
		if ((nip == NULL) == (pesel == NULL) || name == NULL ||
		    org != NULL) {
			return cli_fail(CLI_F_USAGE, NULL, "--person needs --name and one of --nip "   "and --pesel");
		}
		/* "Jan Maria Kowalski": the last word is the surname. */
		sp = strrchr(name, ' ');
		if (sp == NULL || sp == name || sp[1] == '\0' ||
		    (size_t)(sp - name) >= sizeof(given)) {
			return cli_fail(CLI_F_USAGE, NULL, "--name must be \"GIVEN SURNAME\"");
		}
		snprintf(given, sizeof(given), "%.*s", (int)(sp - name), name);
		snprintf(serial, sizeof(serial), "%s-%s",
			 nip ? "TINPL" : "PNOPL", nip ? nip : pesel);
		co.kind = KSEF_XADES_CERT_PERSON;
		co.given_name = given;
		co.surname = sp + 1;
		co.serial_number = serial;
		co.common_name = cn ? cn : name;
	} else {
		if (nip == NULL || org == NULL || pesel != NULL ||
		    name != NULL) {
			return cli_fail(CLI_F_USAGE, NULL, "--seal needs --nip and --org");
		}
		snprintf(orgid, sizeof(orgid), "VATPL-%s", nip);
		co.kind = KSEF_XADES_CERT_SEAL;
		co.organization_name = org;
		co.organization_identifier = orgid;
		co.common_name = cn ? cn : org;
	}
	co.not_before_ms = ((int64_t)time(NULL) - 3600) * 1000;
	co.not_after_ms = ((int64_t)time(NULL) + (int64_t)days * 86400) * 1000;
	if (ksef_xades_cert_generate(&key, &cert, &co, &err) != 0 ||
	    ksef_xades_signer_new(&signer, key.ptr, key.size, cert.ptr,
				  cert.size, NULL, &err) != 0) {
		rc = cli_fail(CLI_F_INTERNAL, NULL, "%s", err.message);
		goto out;
	}
	if ((rc = cli_write_private(out_key, key.ptr, key.size, force)) !=
	    CLI_OK)
		goto out;
	if (cli_write_file(out_cert, cert.ptr, cert.size, 0644, &err) != 0) {
		rc = cli_fail(CLI_F_IO, NULL, "%s", err.message);
		goto out;
	}
	printf("%s: %s %s for TEST, valid %d days\n%s: its private key "
	       "(mode 0600)\nSHA-256 fingerprint: %s\n", out_cert,
	       person ? "person" : "seal", person ? serial : orgid, days,
	       out_key, ksef_xades_signer_fingerprint(signer));
out:
	ksef_xades_signer_free(signer);
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&cert);
	return rc;
}
