/*
 * cmd_testdata.c - `ksef testdata subject|person|permissions|attachment|
 * context ...`: the TEST environment's test data (the open-api tag "Dane
 * testowe"), one libksef call each (client_testdata.h). The flags are
 * named after the contract's fields. The calls take no token, so no login
 * is needed: the server comes from --base-url or --env (or the
 * environment and config file, as for a login), and the Ministry's DEMO
 * and PRD, which have no test data, are refused before anything is sent.
 * Any other server decides for itself: a local ksefd --profile production
 * answers 404, reported as such.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "config.h"
#include "output.h"

const char cli_usage_testdata[] =
"usage: ksef testdata subject add --subject-nip NIP --subject-type TYPE\n"
"                  --description TEXT [--subunit NIP:DESCRIPTION]...\n"
"                  [--created-date DATETIME]\n"
"       ksef testdata subject remove --subject-nip NIP\n"
"       ksef testdata person add --nip NIP --pesel PESEL --description TEXT\n"
"                  [--is-bailiff] [--is-deceased] [--created-date DATETIME]\n"
"       ksef testdata person remove --nip NIP\n"
"       ksef testdata permissions grant --context-identifier NIP\n"
"                  --authorized-identifier ID [--authorized-identifier-type T]\n"
"                  --permission-type TYPE... --description TEXT\n"
"       ksef testdata permissions revoke --context-identifier NIP\n"
"                  --authorized-identifier ID [--authorized-identifier-type T]\n"
"       ksef testdata attachment allow --nip NIP\n"
"       ksef testdata attachment revoke --nip NIP\n"
"                  [--expected-end-date YYYY-MM-DD]\n"
"       ksef testdata context block|unblock --context-identifier ID\n"
"                  [--context-identifier-type Nip|InternalId|NipVatUe|"
"PeppolId]\n"
"\n"
"The TEST environment's test data: subjects (an EnforcementAuthority, a\n"
"VatGroup or a JST, the last two with their --subunit members), persons\n"
"(the owners of their NIP's context; --is-bailiff, --is-deceased), test\n"
"permissions (--permission-type InvoiceRead, InvoiceWrite, Introspection,\n"
"CredentialsRead, CredentialsManage, EnforcementOperations or\n"
"SubunitManage, repeated), the consent to invoices with attachments, and\n"
"blocking authentication into a context (it then ends in 480). No login\n"
"is needed. DEMO and PRD have no test data and are refused.\n"
"\n"
"options:\n"
"  --base-url URL       API base URL (default $KSEF_BASE_URL, base_url)\n"
"  --env test           the Ministry's TEST environment\n"
"  --config FILE        the config file\n"
"  --authorized-identifier-type Nip|Pesel|Fingerprint  default: by the\n"
"                       identifier's length (10, 11 or 64)\n"
"  --created-date DATETIME  e.g. 2025-08-25T14:15:22+02:00\n"
"  --json               JSON on standard output, also when it fails\n"
"\n"
"exit status: 0 done, 1 refused by the server, 2 usage (DEMO or PRD\n"
"included), 3 could not run\n";

enum { OPT_JSON = 300, OPT_SUBJECT_NIP, OPT_SUBJECT_TYPE, OPT_DESCRIPTION,
       OPT_SUBUNIT, OPT_CREATED, OPT_NIP, OPT_PESEL, OPT_BAILIFF,
       OPT_DECEASED, OPT_CONTEXT, OPT_CONTEXT_TYPE, OPT_AUTHORIZED,
       OPT_AUTHORIZED_TYPE, OPT_PERMISSION, OPT_END_DATE };

/* Most --subunit and --permission-type flags kept: the contract's and
 * the library's bounds, so that more are refused there, by name. */
#define SUBUNITS_MAX (KSEF_CLIENT_TESTDATA_SUBUNITS_MAX + 1)
#define PERMISSIONS_MAX (KSEF_CLIENT_TESTDATA_PERMISSIONS_MAX + 1)

struct td_opts {
	const char *subject_nip, *subject_type, *description, *created;
	const char *nip, *pesel, *context, *context_type, *authorized;
	const char *authorized_type, *end_date;
	int bailiff, deceased;
	char **subunits;            /* "NIP:DESCRIPTION", borrowed */
	size_t subunit_count;
	const char *permissions[PERMISSIONS_MAX];
	size_t permission_count;
};

/* One operation: the words that name it, its path, and the flags it
 * takes (option codes, 0-terminated). */
struct op {
	const char *topic, *action, *path;
	int flags[10];
};

static const struct op ops[] = {
	{ "subject", "add", "/testdata/subject", { OPT_SUBJECT_NIP,
	  OPT_SUBJECT_TYPE, OPT_DESCRIPTION, OPT_SUBUNIT, OPT_CREATED } },
	{ "subject", "remove", "/testdata/subject/remove",
	  { OPT_SUBJECT_NIP } },
	{ "person", "add", "/testdata/person", { OPT_NIP, OPT_PESEL,
	  OPT_DESCRIPTION, OPT_BAILIFF, OPT_DECEASED, OPT_CREATED } },
	{ "person", "remove", "/testdata/person/remove", { OPT_NIP } },
	{ "permissions", "grant", "/testdata/permissions", { OPT_CONTEXT,
	  OPT_AUTHORIZED, OPT_AUTHORIZED_TYPE, OPT_PERMISSION,
	  OPT_DESCRIPTION } },
	{ "permissions", "revoke", "/testdata/permissions/revoke",
	  { OPT_CONTEXT, OPT_AUTHORIZED, OPT_AUTHORIZED_TYPE } },
	{ "attachment", "allow", "/testdata/attachment", { OPT_NIP } },
	{ "attachment", "revoke", "/testdata/attachment/revoke",
	  { OPT_NIP, OPT_END_DATE } },
	{ "context", "block", "/testdata/context/block", { OPT_CONTEXT,
	  OPT_CONTEXT_TYPE } },
	{ "context", "unblock", "/testdata/context/unblock", { OPT_CONTEXT,
	  OPT_CONTEXT_TYPE } },
};

#define NOPS (sizeof(ops) / sizeof(ops[0]))

static int takes(const struct op *op, int opt)
{
	size_t i;

	if (opt == OPT_JSON || opt == CLI_OPT_CONFIG || opt == CLI_OPT_ENV ||
	    opt == CLI_OPT_BASE_URL || opt == CLI_OPT_ALLOW_PRD)
		return 1;
	for (i = 0; i < sizeof(op->flags) / sizeof(op->flags[0]) &&
		    op->flags[i] != 0; i++)
		if (op->flags[i] == opt)
			return 1;
	return 0;
}

/* A required flag that was not given. */
static int need(const char *v, const char *flag)
{
	if (v == NULL)
		return cli_fail(CLI_F_USAGE, NULL, "%s is required", flag);
	return CLI_OK;
}

/* A refusal of the server, with what a 404 means here. */
static int call_failed(ksef_client *c, int code, const ksef_error *err)
{
	const ksef_api_error *api = ksef_client_last_error(c);
	int rc = cli_fail_ksef(code, api, "%s", err->message);

	if (code == KSEF_EHTTP && api != NULL && api->http_status == 404)
		cli_hint("the server has no test data (404): it exists only on "
			 "the TEST environment, and not on ksefd --profile "
			 "production");
	return rc;
}

/* --created-date: a date-time with its offset. */
static int created(int64_t *out, const char *s)
{
	ksef_time t;

	*out = KSEF_TIME_UNSET;
	if (s == NULL)
		return CLI_OK;
	if (ksef_time_parse(&t, s, strlen(s), NULL) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "--created-date must be a "
				"date and time with its offset, e.g. "
				"2025-08-25T14:15:22+02:00");
	*out = t.unix_ms;
	return CLI_OK;
}

static int subject_add(ksef_client *c, const struct td_opts *o,
		       ksef_error *err)
{
	ksef_client_testdata_subject s = KSEF_CLIENT_TESTDATA_SUBJECT_INIT;
	const char **nips = NULL, **descs = NULL;
	size_t i, n = 0;
	int rc;

	if ((rc = need(o->subject_nip, "--subject-nip")) != CLI_OK ||
	    (rc = need(o->subject_type, "--subject-type")) != CLI_OK ||
	    (rc = need(o->description, "--description")) != CLI_OK ||
	    (rc = created(&s.created_date_ms, o->created)) != CLI_OK)
		return rc;
	s.subject_nip = o->subject_nip;
	s.subject_type = o->subject_type;
	s.description = o->description;
	if (o->subunit_count > 0) {
		nips = calloc(o->subunit_count, sizeof(*nips));
		descs = calloc(o->subunit_count, sizeof(*descs));
		if (nips == NULL || descs == NULL) {
			rc = cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
			goto out;
		}
		/* Each "NIP:DESCRIPTION" split at its first colon, in place
		 * in argv (a NIP has none). */
		for (i = 0; i < o->subunit_count; i++) {
			char *colon = strchr(o->subunits[i], ':');

			if (colon == NULL) {
				rc = cli_fail(CLI_F_USAGE, NULL, "--subunit "
					      "'%.40s' must be NIP:DESCRIPTION",
					      o->subunits[i]);
				goto out;
			}
			*colon = '\0';
			nips[n] = o->subunits[i];
			descs[n++] = colon + 1;
		}
		s.subunit_nips = nips;
		s.subunit_descriptions = descs;
		s.subunit_count = n;
	}
	rc = ksef_client_testdata_subject_create(c, &s, err);
out:
	free(nips);
	free(descs);
	return rc;
}

/* The authorized identifier's type: given, or told by its length. */
static const char *authorized_type(const struct td_opts *o)
{
	size_t n;

	if (o->authorized_type != NULL)
		return o->authorized_type;
	n = strlen(o->authorized);
	return n == 10 ? "Nip" : n == 11 ? "Pesel" : n == 64 ? "Fingerprint" :
	       NULL;
}

static int permissions_call(ksef_client *c, const struct op *op,
			    const struct td_opts *o, ksef_error *err)
{
	ksef_client_testdata_permissions p =
		KSEF_CLIENT_TESTDATA_PERMISSIONS_INIT;
	const char *descs[PERMISSIONS_MAX], *type;
	size_t i;
	int rc;

	if ((rc = need(o->context, "--context-identifier")) != CLI_OK ||
	    (rc = need(o->authorized, "--authorized-identifier")) != CLI_OK)
		return rc;
	if ((type = authorized_type(o)) == NULL)
		return cli_fail(CLI_F_USAGE, NULL, "give "
				"--authorized-identifier-type: '%.70s' is "
				"not 10 (Nip), 11 (Pesel) or 64 (Fingerprint) "
				"characters long", o->authorized);
	if (strcmp(op->action, "revoke") == 0)
		return ksef_client_testdata_permissions_revoke(c, o->context,
				type, o->authorized, err);
	if ((rc = need(o->description, "--description")) != CLI_OK)
		return rc;
	if (o->permission_count == 0)
		return cli_fail(CLI_F_USAGE, NULL, "--permission-type is "
				"required (it may be repeated)");
	for (i = 0; i < o->permission_count; i++)
		descs[i] = o->description;
	p.context_identifier = o->context;
	p.authorized_identifier_type = type;
	p.authorized_identifier = o->authorized;
	p.permission_types = o->permissions;
	p.descriptions = descs;
	p.permission_count = o->permission_count;
	return ksef_client_testdata_permissions_grant(c, &p, err);
}

static int context_call(ksef_client *c, const struct op *op,
			const struct td_opts *o, ksef_error *err)
{
	static const char *const names[] = { "Nip", "InternalId", "NipVatUe",
					     "PeppolId" };
	const char *type = o->context_type ? o->context_type : "Nip";
	size_t t;
	int rc;

	if ((rc = need(o->context, "--context-identifier")) != CLI_OK)
		return rc;
	for (t = 0; t < sizeof(names) / sizeof(names[0]); t++)
		if (strcmp(type, names[t]) == 0)
			break;
	if (t == sizeof(names) / sizeof(names[0]))
		return cli_fail(CLI_F_USAGE, NULL, "--context-identifier-type "
				"must be Nip, InternalId, NipVatUe or PeppolId");
	if (strcmp(op->action, "block") == 0)
		return ksef_client_testdata_context_block(c,
			(ksef_context_type)t, o->context, err);
	return ksef_client_testdata_context_unblock(c, (ksef_context_type)t,
						    o->context, err);
}

/*
 * Run one operation. Returns a libksef code (err set), or a positive
 * CLI_* exit code when it reported a usage failure itself.
 */
static int run_op(ksef_client *c, const struct op *op,
		  const struct td_opts *o, ksef_error *err)
{
	ksef_client_testdata_person p = KSEF_CLIENT_TESTDATA_PERSON_INIT;
	int rc;

	if (strcmp(op->topic, "subject") == 0) {
		if (strcmp(op->action, "add") == 0)
			return subject_add(c, o, err);
		if ((rc = need(o->subject_nip, "--subject-nip")) != CLI_OK)
			return rc;
		return ksef_client_testdata_subject_remove(c, o->subject_nip,
							   err);
	}
	if (strcmp(op->topic, "person") == 0) {
		if ((rc = need(o->nip, "--nip")) != CLI_OK)
			return rc;
		if (strcmp(op->action, "remove") == 0)
			return ksef_client_testdata_person_remove(c, o->nip,
								  err);
		if ((rc = need(o->pesel, "--pesel")) != CLI_OK ||
		    (rc = need(o->description, "--description")) != CLI_OK ||
		    (rc = created(&p.created_date_ms, o->created)) != CLI_OK)
			return rc;
		p.nip = o->nip;
		p.pesel = o->pesel;
		p.description = o->description;
		p.is_bailiff = o->bailiff;
		p.is_deceased = o->deceased;
		return ksef_client_testdata_person_create(c, &p, err);
	}
	if (strcmp(op->topic, "permissions") == 0)
		return permissions_call(c, op, o, err);
	if (strcmp(op->topic, "attachment") == 0) {
		if ((rc = need(o->nip, "--nip")) != CLI_OK)
			return rc;
		if (strcmp(op->action, "allow") == 0)
			return ksef_client_testdata_attachment_allow(c, o->nip,
								     err);
		return ksef_client_testdata_attachment_revoke(c, o->nip,
							      o->end_date, err);
	}
	return context_call(c, op, o, err);
}

/* What was done, in words and in JSON: the operation and the identifier
 * it was about, as the contract names it. */
static void report(const struct op *op, const struct td_opts *o)
{
	const char *key, *value;
	char name[32];

	snprintf(name, sizeof(name), "%s %s", op->topic, op->action);
	if (strcmp(op->topic, "subject") == 0) {
		key = "subjectNip";
		value = o->subject_nip;
	} else if (o->nip != NULL) {
		key = "nip";
		value = o->nip;
	} else {
		key = "contextIdentifier";
		value = o->context;
	}
	if (cli_out_json())
		cli_json_print(json_pack("{s:s,s:s,s:s,s:s}", "operation",
			name, "path", op->path, "result", "done", key, value));
	else
		printf("%s: done (%s %s)\n", name, key, value);
}

int cmd_testdata(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, CLI_OPT_CONFIG },
		{ "env", required_argument, NULL, CLI_OPT_ENV },
		{ "base-url", required_argument, NULL, CLI_OPT_BASE_URL },
		{ "allow-production", no_argument, NULL, CLI_OPT_ALLOW_PRD },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "subject-nip", required_argument, NULL, OPT_SUBJECT_NIP },
		{ "subject-type", required_argument, NULL, OPT_SUBJECT_TYPE },
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ "subunit", required_argument, NULL, OPT_SUBUNIT },
		{ "created-date", required_argument, NULL, OPT_CREATED },
		{ "nip", required_argument, NULL, OPT_NIP },
		{ "pesel", required_argument, NULL, OPT_PESEL },
		{ "is-bailiff", no_argument, NULL, OPT_BAILIFF },
		{ "is-deceased", no_argument, NULL, OPT_DECEASED },
		{ "context-identifier", required_argument, NULL, OPT_CONTEXT },
		{ "context-identifier-type", required_argument, NULL,
		  OPT_CONTEXT_TYPE },
		{ "authorized-identifier", required_argument, NULL,
		  OPT_AUTHORIZED },
		{ "authorized-identifier-type", required_argument, NULL,
		  OPT_AUTHORIZED_TYPE },
		{ "permission-type", required_argument, NULL, OPT_PERMISSION },
		{ "expected-end-date", required_argument, NULL, OPT_END_DATE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_settings s = { 0 };
	struct cli_config cfg = { 0 };
	struct td_opts o;
	const struct op *op = NULL;
	ksef_client *client = NULL;
	ksef_error err = { 0, 0, "" };
	const char *topic = argv[0], *env;
	size_t i;
	int c, rc;

	memset(&o, 0, sizeof(o));
	if ((o.subunits = calloc(SUBUNITS_MAX, sizeof(*o.subunits))) == NULL)
		return cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
	optind = 1;
	/* The word after the topic names the operation; the flags are
	 * checked against it once it is known. */
	for (i = 0; i < NOPS && op == NULL; i++)
		if (strcmp(ops[i].topic, topic) == 0 && argc > 1 &&
		    strcmp(ops[i].action, argv[1]) == 0)
			op = &ops[i];
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
			 strcmp(argv[1], "-h") == 0)) {
		fputs(cli_usage_testdata, stdout);
		rc = CLI_OK;
		goto out;
	}
	if (op == NULL) {
		char acts[64] = "";

		for (i = 0; i < NOPS; i++)
			if (strcmp(ops[i].topic, topic) == 0)
				snprintf(acts + strlen(acts),
					 sizeof(acts) - strlen(acts), "%s%s",
					 acts[0] ? " or " : "",
					 ops[i].action);
		fputs(cli_usage_testdata, stderr);
		rc = cli_fail(CLI_F_USAGE, NULL, "testdata %s needs %s", topic,
			      acts);
		goto out;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(cli_usage_testdata, stdout);
			rc = CLI_OK;
			goto out;
		}
		if (c == '?') {
			fputs(cli_usage_testdata, stderr);
			rc = CLI_USAGE;
			goto out;
		}
		if (!takes(op, c)) {
			for (i = 0; longopts[i].name != NULL &&
				    longopts[i].val != c; i++)
				;
			rc = cli_fail(CLI_F_USAGE, NULL, "%s %s does not take "
				      "--%s", topic, op->action,
				      longopts[i].name ? longopts[i].name :
				      "?");
			goto out;
		}
		if (cli_settings_option(&s, c, optarg))
			continue;
		switch (c) {
		case OPT_SUBJECT_NIP: o.subject_nip = optarg; break;
		case OPT_SUBJECT_TYPE: o.subject_type = optarg; break;
		case OPT_DESCRIPTION: o.description = optarg; break;
		case OPT_CREATED: o.created = optarg; break;
		case OPT_NIP: o.nip = optarg; break;
		case OPT_PESEL: o.pesel = optarg; break;
		case OPT_BAILIFF: o.bailiff = 1; break;
		case OPT_DECEASED: o.deceased = 1; break;
		case OPT_CONTEXT: o.context = optarg; break;
		case OPT_CONTEXT_TYPE: o.context_type = optarg; break;
		case OPT_AUTHORIZED: o.authorized = optarg; break;
		case OPT_AUTHORIZED_TYPE: o.authorized_type = optarg; break;
		case OPT_END_DATE: o.end_date = optarg; break;
		case OPT_SUBUNIT:
			if (o.subunit_count < SUBUNITS_MAX)
				o.subunits[o.subunit_count++] = optarg;
			break;
		case OPT_PERMISSION:
			if (o.permission_count < PERMISSIONS_MAX)
				o.permissions[o.permission_count++] = optarg;
			break;
		default: break; /* --json: main.c saw it */
		}
	}
	if (optind < argc) {
		rc = cli_fail(CLI_F_USAGE, NULL, "unexpected '%s'",
			      argv[optind]);
		goto out;
	}
	/* Production is refused below with the reason that matters here,
	 * not for want of --allow-production. */
	s.allow_production = 1;
	if ((rc = cli_config_resolve(&cfg, &s, 1, &err)) != CLI_OK) {
		rc = cli_fail(rc == CLI_USAGE ? CLI_F_USAGE : CLI_F_IO, NULL,
			      "%s", err.message);
		goto out;
	}
	if ((env = cli_url_not_test(cfg.base_url)) != NULL) {
		rc = cli_fail(CLI_F_USAGE, NULL, "test data exists only on the "
			      "TEST environment; %s is %s", cfg.base_url, env);
		goto out;
	}
	if (cli_client_new(&client, cfg.base_url, &err) != 0) {
		rc = cli_fail(CLI_F_USAGE, NULL, "%s", err.message);
		goto out;
	}
	rc = run_op(client, op, &o, &err);
	if (rc < 0)
		rc = call_failed(client, rc, &err);
	else if (rc == CLI_OK)
		report(op, &o);
out:
	ksef_client_free(client);
	cli_config_dispose(&cfg);
	free(o.subunits);
	return rc;
}
