/*
 * cmd_cert_ksef.c - the KSeF certificates of the logged-in subject
 * (certyfikaty-KSeF.md): `ksef cert enroll` obtains one and writes it with
 * its encrypted key to a folder, `ksef cert list` shows a page of them,
 * `ksef cert revoke` revokes one, `ksef cert limits` says how many more
 * may be requested. The calls, the key and the files' contents are
 * libksef's (client_certificates.h); the login is login.c's. Self-signed
 * TEST certificates are cmd_cert.c's `ksef cert generate`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "cli.h"
#include "cmd_invoices.h"
#include "config.h"
#include "output.h"
#include "util/util.h"

const char cli_usage_cert_ksef[] =
"usage: ksef cert enroll --type Authentication|Offline --out DIR [options]\n"
"       ksef cert list [--type T] [--status S] [--name TEXT]\n"
"                      [--serial SERIAL] [--expires-after TIME]\n"
"                      [--page-size N] [--page-offset N]\n"
"       ksef cert revoke SERIAL [--reason REASON]\n"
"       ksef cert limits\n"
"\n"
"The KSeF certificates of the subject logged in with 'ksef auth login'.\n"
"enroll asks KSeF for one: it reads the subject's data (a login by\n"
"certificate is needed, not by KSeF token), makes a key and a request\n"
"for exactly that subject, files it, waits until it is processed and\n"
"writes to DIR cert.pem, key.pem (PKCS#8, encrypted) and cert.p12\n"
"(PKCS#12, AES-256), both under the key password. Log in with it by\n"
"'ksef auth login --cert DIR/cert.pem --key DIR/key.pem' (an\n"
"Authentication certificate), the password in $KSEF_KEY_PASSWORD.\n"
"list shows one page, a line per certificate: serial number, type,\n"
"status, valid to, name. revoke revokes one by its serial number.\n"
"limits shows how many requests and certificates remain.\n"
"\n"
"options:\n"
"  --type T           Authentication or Offline (enroll, list)\n"
"  --out DIR          enroll: the folder (made 0700 if missing)\n"
"  --name NAME        enroll: the certificate's name, 5 to 100 letters,\n"
"                     digits, spaces, '_' or '-' (default \"ksef TYPE\n"
"                     YYYYMMDD\"); list: names containing NAME\n"
"  --key-type rsa|ec  enroll: RSA 2048 or EC P-256 (default ec)\n"
"  --key-password P   enroll: the password of key.pem and cert.p12\n"
"                     ($KSEF_KEY_PASSWORD); required\n"
"  --valid-from TIME  enroll: valid from TIME, not from its issue\n"
"  --wait SECONDS     enroll: wait at most this long (default 120)\n"
"  --force            enroll: replace files already in DIR\n"
"  --status S         list: Active, Blocked, Revoked or Expired\n"
"  --serial SERIAL    list: this serial number only\n"
"  --expires-after T  list: expiring after T (2026-01-01 or a time)\n"
"  --page-size N      list: 10 to 50; --page-offset N: the page, from 0\n"
"  --reason R         revoke: Unspecified, Superseded or KeyCompromise\n"
"  --json             JSON on standard output, also when it fails\n"
"  --state FILE       the state file (default $KSEF_STATE or\n"
"                     ~/.local/state/ksef/auth.json)\n"
"\n"
"exit status: 0 done, 1 refused by KSeF or not logged in, 2 usage,\n"
"3 could not run\n";

enum { OPT_TYPE = 300, OPT_OUT, OPT_NAME, OPT_KEY_TYPE, OPT_KEY_PASSWORD,
       OPT_VALID_FROM, OPT_WAIT, OPT_FORCE, OPT_STATUS, OPT_SERIAL,
       OPT_EXPIRES_AFTER, OPT_PAGE_SIZE, OPT_PAGE_OFFSET, OPT_REASON,
       OPT_JSON };

/* The files enroll writes, under --out. */
static const char *const out_files[] = { "cert.pem", "key.pem", "cert.p12" };

/* What the command line gave, for every subcommand. */
struct cert_args {
	const char *state, *type, *out, *name, *pass, *status, *serial,
		   *reason;
	ksef_xades_key_type key_type;
	int64_t valid_from_ms, expires_after_ms;
	int wait_s, force, page_size, page_offset;
};

static int call_failed(ksef_client *c, int code, const ksef_error *err)
{
	return cli_fail_ksef(code, code == KSEF_EINVAL ? NULL :
			     ksef_client_last_error(c), "%s", err->message);
}

static int int_arg(int *out, const char *name, const char *arg, int min,
		   int max)
{
	int64_t v;

	if (util_parse_i64(&v, arg, min, max) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "%s must be a whole number "
				"%d to %d, not '%.20s'", name, min, max, arg);
	*out = (int)v;
	return CLI_OK;
}

/* Options of every subcommand; the ones a subcommand does not take are
 * refused by it. Returns CLI_OK, or the exit code (-1: --help shown). */
static int parse(struct cert_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "key-type", required_argument, NULL, OPT_KEY_TYPE },
		{ "key-password", required_argument, NULL, OPT_KEY_PASSWORD },
		{ "valid-from", required_argument, NULL, OPT_VALID_FROM },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "serial", required_argument, NULL, OPT_SERIAL },
		{ "expires-after", required_argument, NULL,
		  OPT_EXPIRES_AFTER },
		{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
		{ "page-offset", required_argument, NULL, OPT_PAGE_OFFSET },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = CLI_OK;

	memset(a, 0, sizeof(*a));
	a->key_type = KSEF_XADES_KEY_EC_P256;
	a->valid_from_ms = a->expires_after_ms = KSEF_TIME_UNSET;
	a->wait_s = 120;
	a->pass = getenv("KSEF_KEY_PASSWORD");
	optind = 1;
	while (rc == CLI_OK &&
	       (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_TYPE: a->type = optarg; break;
		case OPT_OUT: a->out = optarg; break;
		case OPT_NAME: a->name = optarg; break;
		case OPT_KEY_PASSWORD: a->pass = optarg; break;
		case OPT_FORCE: a->force = 1; break;
		case OPT_STATUS: a->status = optarg; break;
		case OPT_SERIAL: a->serial = optarg; break;
		case OPT_REASON: a->reason = optarg; break;
		case CLI_OPT_STATE: a->state = optarg; break;
		case OPT_JSON: break; /* main.c saw it */
		case OPT_KEY_TYPE:
			if (strcmp(optarg, "rsa") == 0)
				a->key_type = KSEF_XADES_KEY_RSA_2048;
			else if (strcmp(optarg, "ec") == 0)
				a->key_type = KSEF_XADES_KEY_EC_P256;
			else
				rc = cli_fail(CLI_F_USAGE, NULL, "--key-type "
					      "must be rsa or ec");
			break;
		case OPT_VALID_FROM:
		case OPT_EXPIRES_AFTER:
			if (inv_parse_time(c == OPT_VALID_FROM ?
					   &a->valid_from_ms :
					   &a->expires_after_ms, optarg) != 0)
				rc = cli_fail(CLI_F_USAGE, NULL,
					"--%s: '%.40s' is not a date or a "
					"time with an offset",
					c == OPT_VALID_FROM ? "valid-from" :
					"expires-after", optarg);
			break;
		case OPT_WAIT:
			rc = int_arg(&a->wait_s, "--wait", optarg, 1, 3600);
			break;
		case OPT_PAGE_SIZE:
			rc = int_arg(&a->page_size, "--page-size", optarg, 10,
				     50);
			break;
		case OPT_PAGE_OFFSET:
			rc = int_arg(&a->page_offset, "--page-offset", optarg,
				     0, 1000000);
			break;
		case 'h':
			fputs(cli_usage_cert_ksef, stdout);
			return -1;
		default:
			fputs(cli_usage_cert_ksef, stderr);
			return CLI_USAGE;
		}
	}
	return rc;
}

/* Options given that the subcommand does not take. */
static int refuse(const char *sub, int given, const char *names)
{
	if (given)
		return cli_fail(CLI_F_USAGE, NULL, "%s does not take %s", sub,
				names);
	return CLI_OK;
}

/*
 * enroll
 */

/* Refuse before anything is asked of KSeF: a request counts against the
 * subject's limit, so files that could not be written must not waste
 * one. */
static int check_out(const struct cert_args *a)
{
	ksef_error err = { 0, 0, "" };
	char path[4096];
	struct stat st;
	size_t i;

	if (cli_make_dirs(a->out, 0700, &err) != 0)
		return cli_fail(CLI_F_IO, NULL, "%s: %s", a->out, err.message);
	for (i = 0; !a->force && i < sizeof(out_files) / sizeof(*out_files);
	     i++) {
		snprintf(path, sizeof(path), "%s/%s", a->out, out_files[i]);
		if (lstat(path, &st) == 0)
			return cli_fail(CLI_F_USAGE, NULL, "%s exists (--force "
					"replaces it)", path);
	}
	return CLI_OK;
}

static int write_out(const struct cert_args *a,
		     const ksef_enrolled_certificate *e)
{
	ksef_error err = { 0, 0, "" };
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/key.pem", a->out);
	if ((rc = cli_write_private(path, e->key_pem, e->key_pem_len,
				    a->force)) != CLI_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/cert.p12", a->out);
	if ((rc = cli_write_private(path, e->pkcs12, e->pkcs12_len,
				    a->force)) != CLI_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/cert.pem", a->out);
	if (cli_write_file(path, e->cert_pem, e->cert_pem_len, 0644,
			   &err) != 0)
		return cli_fail(CLI_F_IO, NULL, "%s", err.message);
	return CLI_OK;
}

static int enroll(ksef_client *c, const struct cert_args *a)
{
	ksef_client_enroll_options o = KSEF_CLIENT_ENROLL_OPTIONS_INIT;
	ksef_enrolled_certificate *e = NULL;
	ksef_error err = { 0, 0, "" };
	char name[64];
	time_t now = time(NULL);
	struct tm tm;
	int error, rc;

	if (a->name == NULL) {
		gmtime_r(&now, &tm);
		snprintf(name, sizeof(name), "ksef %s %04d%02d%02d", a->type,
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	}
	o.certificate_name = a->name ? a->name : name;
	o.certificate_type = a->type;
	o.key_type = a->key_type;
	o.passphrase = a->pass;
	o.valid_from_ms = a->valid_from_ms;
	o.wait_ms = a->wait_s * 1000;
	if ((error = ksef_client_certificates_obtain(&e, c, &o, &err)) != 0) {
		rc = call_failed(c, error, &err);
		if (error == KSEF_EHTTP && ksef_client_last_error(c) != NULL &&
		    ksef_client_last_error(c)->http_status == 400)
			cli_hint("the enrolment data is given only after a "
				 "login by certificate (XAdES), not by KSeF "
				 "token");
		return rc;
	}
	if ((rc = write_out(a, e)) != CLI_OK)
		goto out;
	if (cli_out_json()) {
		char cert[4096], key[4096], p12[4096];

		snprintf(cert, sizeof(cert), "%s/cert.pem", a->out);
		snprintf(key, sizeof(key), "%s/key.pem", a->out);
		snprintf(p12, sizeof(p12), "%s/cert.p12", a->out);
		cli_json_print(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}",
			"referenceNumber", e->reference_number,
			"certificateSerialNumber", e->serial_number,
			"certificateType", e->type, "certificate", cert,
			"privateKey", key, "pkcs12", p12));
	} else {
		printf("%s/cert.pem: KSeF %s certificate %s (request %s)\n"
		       "%s/key.pem: its private key, encrypted (mode 0600)\n"
		       "%s/cert.p12: both, PKCS#12 (mode 0600)\n", a->out,
		       e->type, e->serial_number, e->reference_number, a->out,
		       a->out);
	}
out:
	ksef_enrolled_certificate_free(e);
	return rc;
}

/*
 * list
 */

static json_t *info_json(const ksef_api_certificate_info *i)
{
	char from[KSEF_TIME_BUFSZ], to[KSEF_TIME_BUFSZ], req[KSEF_TIME_BUFSZ],
	     used[KSEF_TIME_BUFSZ];
	json_t *o;

	cli_time_ms_text(from, i->valid_from_ms);
	cli_time_ms_text(to, i->valid_to_ms);
	cli_time_ms_text(req, i->request_date_ms);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:s,s:s}",
		"certificateSerialNumber", i->serial_number, "name", i->name,
		"type", i->type, "commonName", i->common_name, "status",
		i->status, "subjectIdentifier", "type",
		i->subject_identifier_type, "value",
		i->subject_identifier_value, "validFrom", from, "validTo", to,
		"requestDate", req);
	if (o != NULL && i->last_use_date_ms != KSEF_TIME_UNSET) {
		cli_time_ms_text(used, i->last_use_date_ms);
		json_object_set_new(o, "lastUseDate", json_string(used));
	}
	return o;
}

static int list(ksef_client *c, const struct cert_args *a)
{
	ksef_client_certificate_query q = KSEF_CLIENT_CERTIFICATE_QUERY_INIT;
	ksef_api_certificate_list *l = NULL;
	ksef_error err = { 0, 0, "" };
	char to[KSEF_TIME_BUFSZ];
	json_t *items;
	size_t i, n;
	int error;

	q.serial_number = a->serial;
	q.name = a->name;
	q.type = a->type;
	q.status = a->status;
	q.expires_after_ms = a->expires_after_ms;
	q.page_size = a->page_size;
	q.page_offset = a->page_offset;
	if ((error = ksef_client_certificates_query(&l, c, &q, &err)) != 0)
		return call_failed(c, error, &err);
	n = ksef_api_certificate_list_count(l);
	if (cli_out_json()) {
		items = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(items, info_json(
				ksef_api_certificate_list_at(l, i)));
		cli_json_print(json_pack("{s:i,s:b,s:o}", "pageOffset",
			a->page_offset, "hasMore",
			ksef_api_certificate_list_has_more(l), "certificates",
			items));
	} else {
		for (i = 0; i < n; i++) {
			const ksef_api_certificate_info *x =
				ksef_api_certificate_list_at(l, i);

			cli_time_ms_text(to, x->valid_to_ms);
			printf("%s\t%s\t%s\t%s\t%s\n", x->serial_number,
			       x->type, x->status, to, x->name);
		}
		if (ksef_api_certificate_list_has_more(l))
			cli_note("more on the next page: --page-offset %d",
				 a->page_offset + 1);
	}
	ksef_api_certificate_list_free(l);
	return CLI_OK;
}

/*
 * limits, revoke
 */

static int limits(ksef_client *c)
{
	ksef_api_certificate_limits *l = NULL;
	ksef_error err = { 0, 0, "" };
	int error;

	if ((error = ksef_client_certificates_limits(&l, c, &err)) != 0)
		return call_failed(c, error, &err);
	if (cli_out_json())
		cli_json_print(json_pack("{s:b,s:{s:I,s:I},s:{s:I,s:I}}",
			"canRequest", l->can_request, "enrollment",
			"remaining", (json_int_t)l->enrollment_remaining,
			"limit", (json_int_t)l->enrollment_limit,
			"certificate", "remaining",
			(json_int_t)l->certificate_remaining, "limit",
			(json_int_t)l->certificate_limit));
	else
		printf("can request: %s\nrequests:     %lld of %lld remain\n"
		       "certificates: %lld of %lld remain\n",
		       l->can_request ? "yes" : "no",
		       (long long)l->enrollment_remaining,
		       (long long)l->enrollment_limit,
		       (long long)l->certificate_remaining,
		       (long long)l->certificate_limit);
	ksef_api_certificate_limits_free(l);
	return CLI_OK;
}

static int revoke(ksef_client *c, const char *serial, const char *reason)
{
	ksef_error err = { 0, 0, "" };
	int error;

	if ((error = ksef_client_certificates_revoke(c, serial, reason,
						     &err)) != 0)
		return call_failed(c, error, &err);
	if (cli_out_json())
		cli_json_print(json_pack("{s:s,s:s?}",
			"certificateSerialNumber", serial,
			"revocationReason", reason));
	else
		printf("certificate %s revoked\n", serial);
	return CLI_OK;
}

/*
 * The entry points
 */

enum sub { ENROLL, LIST, REVOKE, LIMITS };

static int run(enum sub sub, int argc, char **argv)
{
	static const char *const names[] = { "enroll", "list", "revoke",
					     "limits" };
	struct cli_login l = CLI_LOGIN_INIT;
	ksef_client *client = NULL;
	struct cert_args a;
	int rc, args = sub == REVOKE ? 1 : 0;
	int enroll_opts, list_opts;

	if ((rc = parse(&a, argc, argv)) != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if (argc - optind != args)
		return args ? cli_fail(CLI_F_USAGE, NULL, "revoke takes one "
				       "serial number") :
			cli_fail(CLI_F_USAGE, NULL, "%s takes no arguments "
				 "('%s')", names[sub], argv[optind]);
	enroll_opts = a.out != NULL || a.key_type != KSEF_XADES_KEY_EC_P256 ||
		      a.valid_from_ms != KSEF_TIME_UNSET || a.wait_s != 120 ||
		      a.force;
	list_opts = a.status != NULL || a.serial != NULL ||
		    a.expires_after_ms != KSEF_TIME_UNSET ||
		    a.page_size != 0 || a.page_offset != 0;
	switch (sub) {
	case ENROLL:
		if ((rc = refuse("enroll", list_opts || a.reason, "--status, "
				 "--serial, --expires-after, --page-*, "
				 "--reason")) != CLI_OK)
			return rc;
		if (a.type == NULL || a.out == NULL)
			return cli_fail(CLI_F_USAGE, NULL, "enroll needs "
					"--type and --out");
		if (a.pass == NULL || a.pass[0] == '\0')
			return cli_fail(CLI_F_USAGE, NULL, "enroll needs "
					"--key-password or $KSEF_KEY_PASSWORD: "
					"the key is kept encrypted");
		if ((rc = check_out(&a)) != CLI_OK)
			return rc;
		break;
	case LIST:
		rc = refuse("list", enroll_opts || a.reason, "--out, "
			    "--key-type, --valid-from, --wait, --force, "
			    "--reason");
		break;
	default:
		rc = refuse(names[sub], enroll_opts || list_opts ||
			    a.type != NULL || a.name != NULL ||
			    (sub == LIMITS && a.reason != NULL),
			    "these options (see --help)");
		break;
	}
	if (rc != CLI_OK)
		return rc;
	if ((rc = cli_login_open(&l, &client, a.state)) != CLI_OK)
		return cli_login_close(&l, client, rc);
	switch (sub) {
	case ENROLL: rc = enroll(client, &a); break;
	case LIST: rc = list(client, &a); break;
	case REVOKE: rc = revoke(client, argv[optind], a.reason); break;
	default: rc = limits(client); break;
	}
	return cli_login_close(&l, client, rc);
}

int cmd_cert_enroll(int argc, char **argv)
{
	return run(ENROLL, argc, argv);
}

int cmd_cert_list(int argc, char **argv)
{
	return run(LIST, argc, argv);
}

int cmd_cert_revoke(int argc, char **argv)
{
	return run(REVOKE, argc, argv);
}

int cmd_cert_limits(int argc, char **argv)
{
	return run(LIMITS, argc, argv);
}
