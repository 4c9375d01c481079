/*
 * cmd_permissions.c - `ksef permissions grant|revoke|status`: grant
 * permissions of every kind the API has (persons, entities,
 * authorizations, indirect, subunit and EU entity administrators, EU
 * entity representatives), revoke one by its id, and read how such an
 * operation went, with the login `ksef auth login` saved. A grant or a
 * revocation waits for its operation's final status, as `ksef send` waits
 * for its invoices, unless --no-wait. What a body may hold is libksef's
 * to check (ksef_client_permissions_grant); this file owns the command
 * line and the report. `list` is cmd_permissions_list.c's.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <jansson.h>
#include "cli.h"
#include "cmd_permissions.h"
#include "output.h"
#include "util/util.h"

const char cli_usage_permissions[] =
"usage: ksef permissions grant KIND ID --permission NAME... --description\n"
"                              TEXT [details] [options]\n"
"       ksef permissions revoke PERMISSION_ID [--authorization] [--no-wait]\n"
"       ksef permissions list [WHICH] [filters] [--page-size N]\n"
"                             [--page-offset N]\n"
"       ksef permissions status OPERATION_REF [--wait]\n"
"       ksef permissions status --attachments\n"
"\n"
"Grant, revoke and list permissions in the context 'ksef auth login'\n"
"saved. A grant or revocation is an operation that KSeF decides; ksef\n"
"waits for its final status (--no-wait: prints its reference number).\n"
"\n"
"ID is TYPE:VALUE: nip:NIP, pesel:PESEL, fingerprint:SHA256HEX,\n"
"internal:NIP-NNNNN, nipvatue:NIP-VATUE, peppol:ID, or all.\n"
"\n"
"grant KIND (one of):\n"
"  --person ID             a person (nip, pesel or fingerprint)\n"
"  --entity nip:NIP        an entity: InvoiceWrite, InvoiceRead\n"
"  --authorization ID      an entity permission (nip or peppol):\n"
"                          SelfInvoicing, RRInvoicing, TaxRepresentative\n"
"                          or PefInvoicing, one at a time\n"
"  --indirect ID           through the context as an intermediary, for\n"
"                          --target nip:|internal:|all (default all)\n"
"  --subunit-admin ID      the administrator of --subunit internal:|nip:\n"
"                          (--subunit-name TEXT for an internal one)\n"
"  --eu-admin fingerprint:HEX  the administrator of an EU entity:\n"
"                          --context nipvatue:NIP-VATUE --eu-name TEXT\n"
"                          --eu-full-name TEXT --eu-address TEXT\n"
"  --eu-representative fingerprint:HEX  an EU entity's representative\n"
"grant options:\n"
"  --permission NAME       InvoiceWrite, InvoiceRead, Introspection,\n"
"                          CredentialsRead, CredentialsManage,\n"
"                          SubunitManage, EnforcementOperations...;\n"
"                          repeat for more\n"
"  --description TEXT      5 to 256 characters (required)\n"
"  --can-delegate          entity grants: the entity may pass them on\n"
"  --first-name, --last-name TEXT  a person's names (required for\n"
"                          persons)\n"
"  --person-id pesel:|nip: a fingerprint's owner's PESEL or NIP\n"
"  --birth-date YYYY-MM-DD --id-document TYPE:NUMBER:COUNTRY\n"
"                          a fingerprint's owner without one\n"
"  --name TEXT             an entity's full name (entity, authorization;\n"
"                          an EU grantee that is an entity, with\n"
"                          --address TEXT)\n"
"\n"
"revoke options:\n"
"  --authorization         the id is an entity permission's\n"
"\n"
"list WHICH: personal (default), persons, subunits, entities,\n"
"authorizations, eu-entities, entity-roles, subordinate-roles\n"
"list filters:\n"
"  --context ID  --target ID  --author ID  --authorized ID\n"
"  --authorizing ID  --subunit ID  --permission NAME...\n"
"  --permission-state active|inactive  --granted-here (persons: those\n"
"  granted in this context)  --granted | --received (authorizations)\n"
"  --vat-ue NUMBER  --fingerprint HEX (eu-entities)\n"
"  --nip NIP (subordinate-roles)\n"
"\n"
"common options:\n"
"  --no-wait          grant, revoke: do not wait for the status\n"
"  --wait             status: wait while the operation is in progress\n"
"  --timeout SECONDS  how long to wait (default 60)\n"
"  --state FILE       the state file (default $KSEF_STATE or\n"
"                     ~/.local/state/ksef/auth.json)\n"
"  --json             JSON on standard output, also when it fails\n"
"\n"
"exit status: 0 done, 1 refused by KSeF (a 4xx answer, or an operation\n"
"that ended with a status other than 200), 2 usage, 3 could not run\n";

#define CMD "permissions"

/*
 * What grant, revoke and list share (cmd_permissions.h)
 */

int cmd_perm_parse_id(ksef_perm_id_type *type, const char **value,
		      const char *option, const char *arg)
{
	static const struct {
		const char *name;
		ksef_perm_id_type type;
	} names[] = {
		{ "nip", KSEF_PERM_ID_NIP }, { "pesel", KSEF_PERM_ID_PESEL },
		{ "fingerprint", KSEF_PERM_ID_FINGERPRINT },
		{ "fp", KSEF_PERM_ID_FINGERPRINT },
		{ "internal", KSEF_PERM_ID_INTERNAL_ID },
		{ "internalid", KSEF_PERM_ID_INTERNAL_ID },
		{ "nipvatue", KSEF_PERM_ID_NIP_VAT_UE },
		{ "peppol", KSEF_PERM_ID_PEPPOL_ID },
		{ "peppolid", KSEF_PERM_ID_PEPPOL_ID },
		{ "all", KSEF_PERM_ID_ALL_PARTNERS },
		{ "allpartners", KSEF_PERM_ID_ALL_PARTNERS },
		{ "system", KSEF_PERM_ID_SYSTEM },
	};
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg), i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i].name) != n ||
		    strncasecmp(arg, names[i].name, n) != 0)
			continue;
		*type = names[i].type;
		*value = colon ? colon + 1 : NULL;
		/* AllPartners and System are types without a value. */
		if ((*value == NULL) != (*type == KSEF_PERM_ID_ALL_PARTNERS ||
					 *type == KSEF_PERM_ID_SYSTEM))
			break;
		return 0;
	}
	return cli_fail(CLI_F_USAGE, NULL, "%s %.80s: not an identifier; "
			"write TYPE:VALUE, e.g. nip:5265877635, "
			"pesel:90010112345, fingerprint:<64 hex digits>, "
			"internal:5265877635-00001, or all", option, arg);
}

int cmd_perm_parse_name(unsigned *bits, const char *name)
{
	unsigned b;

	for (b = 1; ksef_permission_name(b) != NULL; b <<= 1) {
		if (strcasecmp(name, ksef_permission_name(b)) == 0) {
			*bits |= b;
			return 0;
		}
	}
	return cli_fail(CLI_F_USAGE, NULL, "--permission %.64s: unknown "
			"permission; KSeF's are InvoiceWrite, InvoiceRead, "
			"Introspection, CredentialsRead, CredentialsManage, "
			"SubunitManage, EnforcementOperations, VatUeManage, "
			"SelfInvoicing, RRInvoicing, TaxRepresentative, "
			"PefInvoicing", name);
}

int cmd_perm_parse_int(int *out, const char *option, const char *arg,
		       int max)
{
	int64_t v;

	if (util_parse_i64(&v, arg, 0, max) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "%s must be a number from "
				"0 to %d", option, max);
	*out = (int)v;
	return 0;
}

int cmd_perm_client(ksef_client **out, struct cli_login *l,
		    const char *state)
{
	int rc;

	*out = NULL;
	if ((rc = cli_login_load(l, state)) != CLI_OK)
		return rc;
	return cli_login_client(out, l);
}

int cmd_perm_call_failed(ksef_client *c, int code, const ksef_error *err,
			 const char *what)
{
	return cli_fail_ksef(code, code == KSEF_EINVAL ? NULL :
			     ksef_client_last_error(c), "%s: %s", what,
			     err->message);
}

json_t *cmd_perm_id_json(const ksef_api_identifier *id)
{
	json_t *o;

	if (id == NULL)
		return NULL;
	o = json_pack("{s:s}", "type", id->type);
	/* AllPartners and System have no value: left out, as KSeF does. */
	if (o != NULL && id->value != NULL)
		json_object_set_new(o, "value", json_string(id->value));
	return o;
}

/*
 * An operation's status
 */

/* {code, description, details} */
static json_t *status_json(const ksef_api_status *st)
{
	json_t *d = json_array();
	size_t i;

	for (i = 0; i < st->detail_count; i++)
		json_array_append_new(d, json_string(st->details[i]));
	return json_pack("{s:i,s:s,s:o}", "code", st->code, "description",
			 st->description, "details", d);
}

/*
 * Read (with wait: until it leaves 100, for up to timeout_s) and report
 * an operation's status: 0 for 200, a refusal for 400 and up.
 */
static int report_operation(ksef_client *c, const char *ref, int wait,
			    int timeout_s, const char *done)
{
	ksef_api_permission_operation *op = NULL;
	ksef_error err = { 0, 0, "" };
	const ksef_api_status *st;
	time_t until = time(NULL) + timeout_s;
	json_t *doc;
	size_t i;
	int rc;

	for (;;) {
		if ((rc = ksef_client_permissions_operation(&op, c, ref,
							    &err)) != 0)
			return cmd_perm_call_failed(c, rc, &err, ref);
		if (!wait || op->status->code != 100 || time(NULL) >= until)
			break;
		ksef_api_permission_operation_free(op);
		op = NULL;
		cli_sleep_ms(1000);
	}
	st = op->status;
	rc = CLI_OK;
	if (st->code == 100 && wait)
		rc = cli_fail(CLI_F_NETWORK, NULL, "operation %s: still in "
			      "progress after %d s; ask again with 'ksef "
			      "permissions status %s --wait'", ref, timeout_s,
			      ref);
	else if (st->code >= 300)
		rc = cli_fail(CLI_F_REJECTED, NULL, "operation %s: %d %s%s%s",
			      ref, st->code, st->description,
			      st->detail_count ? ": " : "",
			      st->detail_count ? st->details[0] : "");
	for (i = 1; rc != CLI_OK && i < st->detail_count; i++)
		cli_note("%s", st->details[i]);
	if (cli_out_json()) {
		doc = json_pack("{s:s,s:o}", "referenceNumber", ref, "status",
				status_json(st));
		cli_json_print(doc);
	} else if (rc == CLI_OK) {
		printf("%s%soperation %s: %d %s\n", st->code == 200 ? done : "",
		       st->code == 200 && *done ? ": " : "", ref, st->code,
		       st->description);
		for (i = 0; i < st->detail_count; i++)
			printf("  %s\n", st->details[i]);
	}
	ksef_api_permission_operation_free(op);
	return rc;
}

/* The reference number of an operation not waited for. */
static int report_accepted(const char *ref)
{
	if (cli_out_json())
		cli_json_print(json_pack("{s:s}", "referenceNumber", ref));
	else
		printf("operation %s accepted; see 'ksef permissions status "
		       "%s'\n", ref, ref);
	return CLI_OK;
}

/*
 * grant
 */

/* What grant's command line gave. */
struct grant_args {
	ksef_client_grant g;
	const char *state, *kind_option, *target_option;
	int kinds, can_delegate, wait, timeout_s;
	char doc_type[24], doc_number[24], doc_country[4];
};

static const struct {
	int opt;
	ksef_grant_kind kind;
	const char *name;
} kind_options[] = {
	{ PERM_OPT_PERSON, KSEF_GRANT_PERSON, "--person" },
	{ PERM_OPT_ENTITY, KSEF_GRANT_ENTITY, "--entity" },
	{ PERM_OPT_AUTHORIZATION, KSEF_GRANT_AUTHORIZATION,
	  "--authorization" },
	{ PERM_OPT_INDIRECT, KSEF_GRANT_INDIRECT, "--indirect" },
	{ PERM_OPT_SUBUNIT_ADMIN, KSEF_GRANT_SUBUNIT, "--subunit-admin" },
	{ PERM_OPT_EU_ADMIN, KSEF_GRANT_EU_ADMINISTRATION, "--eu-admin" },
	{ PERM_OPT_EU_REP, KSEF_GRANT_EU_REPRESENTATIVE,
	  "--eu-representative" },
};

/* --id-document TYPE:NUMBER:COUNTRY into a's buffers. */
static int parse_document(struct grant_args *a, const char *arg)
{
	const char *p = strchr(arg, ':'), *q = p ? strchr(p + 1, ':') : NULL;

	if (q == NULL || p == arg || q == p + 1 ||
	    (size_t)(p - arg) >= sizeof(a->doc_type) ||
	    (size_t)(q - p - 1) >= sizeof(a->doc_number) ||
	    strlen(q + 1) >= sizeof(a->doc_country))
		return cli_fail(CLI_F_USAGE, NULL, "--id-document must be "
				"TYPE:NUMBER:COUNTRY, e.g. "
				"passport:AB1234567:DE");
	snprintf(a->doc_type, sizeof(a->doc_type), "%.*s", (int)(p - arg),
		 arg);
	snprintf(a->doc_number, sizeof(a->doc_number), "%.*s",
		 (int)(q - p - 1), p + 1);
	snprintf(a->doc_country, sizeof(a->doc_country), "%s", q + 1);
	a->g.id_document_type = a->doc_type;
	a->g.id_document_number = a->doc_number;
	a->g.id_document_country = a->doc_country;
	return 0;
}

/* One option of grant; 0, or the exit code of a reported failure. */
static int grant_option(struct grant_args *a, int c, const char *arg)
{
	ksef_client_grant *g = &a->g;
	size_t i;

	for (i = 0; i < sizeof(kind_options) / sizeof(kind_options[0]); i++) {
		if (kind_options[i].opt != c)
			continue;
		a->kinds++;
		a->kind_option = kind_options[i].name;
		g->kind = kind_options[i].kind;
		return cmd_perm_parse_id(&g->subject_type, &g->subject_value,
					 kind_options[i].name, arg);
	}
	switch (c) {
	case PERM_OPT_PERMISSION:
		return cmd_perm_parse_name(&g->permissions, arg);
	case PERM_OPT_DESCRIPTION: g->description = arg; return 0;
	case PERM_OPT_CAN_DELEGATE: a->can_delegate = 1; return 0;
	case PERM_OPT_TARGET:
	case PERM_OPT_SUBUNIT:
	case PERM_OPT_CONTEXT:
		if (a->target_option != NULL)
			return cli_fail(CLI_F_USAGE, NULL, "give one of "
					"--target, --subunit and --context");
		a->target_option = c == PERM_OPT_TARGET ? "--target" :
				   c == PERM_OPT_SUBUNIT ? "--subunit" :
				   "--context";
		return cmd_perm_parse_id(&g->target_type, &g->target_value,
					 a->target_option, arg);
	case PERM_OPT_SUBUNIT_NAME: g->subunit_name = arg; return 0;
	case PERM_OPT_FIRST_NAME: g->first_name = arg; return 0;
	case PERM_OPT_LAST_NAME: g->last_name = arg; return 0;
	case PERM_OPT_PERSON_ID:
		return cmd_perm_parse_id(&g->person_id_type,
					 &g->person_id_value, "--person-id",
					 arg);
	case PERM_OPT_BIRTH_DATE: g->birth_date = arg; return 0;
	case PERM_OPT_ID_DOCUMENT: return parse_document(a, arg);
	case PERM_OPT_NAME: g->full_name = arg; return 0;
	case PERM_OPT_ADDRESS: g->address = arg; return 0;
	case PERM_OPT_EU_NAME: g->eu_entity_name = arg; return 0;
	case PERM_OPT_EU_FULL_NAME: g->eu_entity_full_name = arg; return 0;
	case PERM_OPT_EU_ADDRESS: g->eu_entity_address = arg; return 0;
	case PERM_OPT_NO_WAIT: a->wait = 0; return 0;
	case PERM_OPT_TIMEOUT:
		return cli_parse_seconds(&a->timeout_s, arg, 3600) == 0 ? 0 :
			cli_fail(CLI_F_USAGE, NULL, "--timeout must be 1 to "
				 "3600 seconds");
	case CLI_OPT_STATE: a->state = arg; return 0;
	case PERM_OPT_JSON: return 0; /* main.c saw it */
	default:
		fputs(cli_usage_permissions, stderr);
		return CLI_USAGE;
	}
}

/* What the command line can tell before anything is sent. */
static int grant_check(struct grant_args *a)
{
	ksef_grant_kind k = a->g.kind;
	const char *t = a->target_option;

	if (a->kinds != 1)
		return cli_fail(CLI_F_USAGE, NULL, "grant needs one kind: "
				"--person, --entity, --authorization, "
				"--indirect, --subunit-admin, --eu-admin or "
				"--eu-representative");
	if (t != NULL &&
	    !(strcmp(t, "--target") == 0 && k == KSEF_GRANT_INDIRECT) &&
	    !(strcmp(t, "--subunit") == 0 && k == KSEF_GRANT_SUBUNIT) &&
	    !(strcmp(t, "--context") == 0 &&
	      k == KSEF_GRANT_EU_ADMINISTRATION))
		return cli_fail(CLI_F_USAGE, NULL, "%s does not go with %s",
				t, a->kind_option);
	if ((k == KSEF_GRANT_SUBUNIT || k == KSEF_GRANT_EU_ADMINISTRATION) &&
	    t == NULL)
		return cli_fail(CLI_F_USAGE, NULL, "%s needs %s",
				a->kind_option, k == KSEF_GRANT_SUBUNIT ?
				"--subunit internal:ID or nip:NIP" :
				"--context nipvatue:NIP-VATUE");
	if (a->can_delegate && k != KSEF_GRANT_ENTITY)
		return cli_fail(CLI_F_USAGE, NULL, "--can-delegate is for "
				"--entity grants");
	if (a->g.description == NULL)
		return cli_fail(CLI_F_USAGE, NULL, "grant needs --description "
				"(5 to 256 characters)");
	if (a->can_delegate)
		a->g.can_delegate = a->g.permissions;
	return CLI_OK;
}

int cmd_permissions_grant(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "person", required_argument, NULL, PERM_OPT_PERSON },
		{ "entity", required_argument, NULL, PERM_OPT_ENTITY },
		{ "authorization", required_argument, NULL,
		  PERM_OPT_AUTHORIZATION },
		{ "indirect", required_argument, NULL, PERM_OPT_INDIRECT },
		{ "subunit-admin", required_argument, NULL,
		  PERM_OPT_SUBUNIT_ADMIN },
		{ "eu-admin", required_argument, NULL, PERM_OPT_EU_ADMIN },
		{ "eu-representative", required_argument, NULL,
		  PERM_OPT_EU_REP },
		{ "permission", required_argument, NULL, PERM_OPT_PERMISSION },
		{ "description", required_argument, NULL,
		  PERM_OPT_DESCRIPTION },
		{ "can-delegate", no_argument, NULL, PERM_OPT_CAN_DELEGATE },
		{ "target", required_argument, NULL, PERM_OPT_TARGET },
		{ "subunit", required_argument, NULL, PERM_OPT_SUBUNIT },
		{ "context", required_argument, NULL, PERM_OPT_CONTEXT },
		{ "subunit-name", required_argument, NULL,
		  PERM_OPT_SUBUNIT_NAME },
		{ "first-name", required_argument, NULL, PERM_OPT_FIRST_NAME },
		{ "last-name", required_argument, NULL, PERM_OPT_LAST_NAME },
		{ "person-id", required_argument, NULL, PERM_OPT_PERSON_ID },
		{ "birth-date", required_argument, NULL, PERM_OPT_BIRTH_DATE },
		{ "id-document", required_argument, NULL,
		  PERM_OPT_ID_DOCUMENT },
		{ "name", required_argument, NULL, PERM_OPT_NAME },
		{ "address", required_argument, NULL, PERM_OPT_ADDRESS },
		{ "eu-name", required_argument, NULL, PERM_OPT_EU_NAME },
		{ "eu-full-name", required_argument, NULL,
		  PERM_OPT_EU_FULL_NAME },
		{ "eu-address", required_argument, NULL, PERM_OPT_EU_ADDRESS },
		{ "no-wait", no_argument, NULL, PERM_OPT_NO_WAIT },
		{ "timeout", required_argument, NULL, PERM_OPT_TIMEOUT },
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "json", no_argument, NULL, PERM_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct grant_args a;
	struct cli_login l = CLI_LOGIN_INIT;
	ksef_client_grant init = KSEF_CLIENT_GRANT_INIT;
	ksef_client *client = NULL;
	ksef_error err = { 0, 0, "" };
	char ref[KSEF_REFNUM_BUFSZ];
	int c, rc;

	memset(&a, 0, sizeof(a));
	a.g = init;
	a.wait = 1;
	a.timeout_s = 60;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(cli_usage_permissions, stdout);
			return CLI_OK;
		}
		if ((rc = grant_option(&a, c, optarg)) != 0)
			return rc;
	}
	if (optind < argc)
		return cli_fail(CLI_F_USAGE, NULL, "grant takes no arguments "
				"('%s')", argv[optind]);
	if ((rc = grant_check(&a)) != CLI_OK ||
	    (rc = cmd_perm_client(&client, &l, a.state)) != CLI_OK)
		goto out;
	if ((rc = ksef_client_permissions_grant(ref, client, &a.g,
						&err)) != 0) {
		rc = cmd_perm_call_failed(client, rc, &err, "grant");
		goto out;
	}
	rc = a.wait ? report_operation(client, ref, 1, a.timeout_s,
				       "granted") : report_accepted(ref);
	if ((c = cli_login_save(&l)) != CLI_OK && rc == CLI_OK)
		rc = c;
out:
	ksef_client_free(client);
	cli_login_dispose(&l);
	return rc;
}

/*
 * revoke
 */

int cmd_permissions_revoke(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "authorization", no_argument, NULL,
		  PERM_OPT_AUTHORIZATION_ID },
		{ "no-wait", no_argument, NULL, PERM_OPT_NO_WAIT },
		{ "timeout", required_argument, NULL, PERM_OPT_TIMEOUT },
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "json", no_argument, NULL, PERM_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_login l = CLI_LOGIN_INIT;
	const char *state = NULL, *id;
	ksef_client *client = NULL;
	ksef_error err = { 0, 0, "" };
	char ref[KSEF_REFNUM_BUFSZ];
	int c, rc, authorization = 0, wait = 1, timeout_s = 60;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case PERM_OPT_AUTHORIZATION_ID: authorization = 1; break;
		case PERM_OPT_NO_WAIT: wait = 0; break;
		case PERM_OPT_TIMEOUT:
			if (cli_parse_seconds(&timeout_s, optarg, 3600) != 0)
				return cli_fail(CLI_F_USAGE, NULL, "--timeout "
						"must be 1 to 3600 seconds");
			break;
		case CLI_OPT_STATE: state = optarg; break;
		case PERM_OPT_JSON: break; /* main.c saw it */
		case 'h': fputs(cli_usage_permissions, stdout); return CLI_OK;
		default: fputs(cli_usage_permissions, stderr); return CLI_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_fail(CLI_F_USAGE, NULL, "revoke needs one "
				"PERMISSION_ID (from 'ksef permissions list')");
	id = argv[optind];
	if ((rc = cmd_perm_client(&client, &l, state)) != CLI_OK)
		goto out;
	if ((rc = ksef_client_permissions_revoke(ref, client, id,
						 authorization, &err)) != 0) {
		rc = cmd_perm_call_failed(client, rc, &err, id);
		goto out;
	}
	rc = wait ? report_operation(client, ref, 1, timeout_s, "revoked") :
		    report_accepted(ref);
	if ((c = cli_login_save(&l)) != CLI_OK && rc == CLI_OK)
		rc = c;
out:
	ksef_client_free(client);
	cli_login_dispose(&l);
	return rc;
}

/*
 * status
 */

/* GET /permissions/attachments/status, reported. */
static int attachments(ksef_client *c)
{
	ksef_api_attachment_status *st = NULL;
	ksef_error err = { 0, 0, "" };
	char until[KSEF_TIME_BUFSZ];
	int rc;

	if ((rc = ksef_client_permissions_attachment_status(&st, c,
							    &err)) != 0)
		return cmd_perm_call_failed(c, rc, &err, "attachments");
	if (st->revoked_date_ms != KSEF_TIME_UNSET)
		cli_time_ms_text(until, st->revoked_date_ms);
	if (cli_out_json())
		cli_json_print(json_pack("{s:b,s:s?}", "isAttachmentAllowed",
			st->is_attachment_allowed > 0, "revokedDate",
			st->revoked_date_ms != KSEF_TIME_UNSET ? until :
			NULL));
	else
		printf("invoices with attachments: %s%s%s\n",
		       st->is_attachment_allowed > 0 ? "allowed" :
		       "not allowed", st->revoked_date_ms != KSEF_TIME_UNSET ?
		       "; revoked from " : "",
		       st->revoked_date_ms != KSEF_TIME_UNSET ? until : "");
	ksef_api_attachment_status_free(st);
	return CLI_OK;
}

int cmd_permissions_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "wait", no_argument, NULL, PERM_OPT_WAIT },
		{ "timeout", required_argument, NULL, PERM_OPT_TIMEOUT },
		{ "attachments", no_argument, NULL, PERM_OPT_ATTACHMENTS },
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "json", no_argument, NULL, PERM_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_login l = CLI_LOGIN_INIT;
	const char *state = NULL;
	ksef_client *client = NULL;
	int c, rc, wait = 0, timeout_s = 60, attach = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case PERM_OPT_WAIT: wait = 1; break;
		case PERM_OPT_TIMEOUT:
			if (cli_parse_seconds(&timeout_s, optarg, 3600) != 0)
				return cli_fail(CLI_F_USAGE, NULL, "--timeout "
						"must be 1 to 3600 seconds");
			break;
		case PERM_OPT_ATTACHMENTS: attach = 1; break;
		case CLI_OPT_STATE: state = optarg; break;
		case PERM_OPT_JSON: break; /* main.c saw it */
		case 'h': fputs(cli_usage_permissions, stdout); return CLI_OK;
		default: fputs(cli_usage_permissions, stderr); return CLI_USAGE;
		}
	}
	if (argc - optind != (attach ? 0 : 1))
		return cli_fail(CLI_F_USAGE, NULL, "status needs one "
				"OPERATION_REF, or --attachments alone");
	if ((rc = cmd_perm_client(&client, &l, state)) != CLI_OK)
		goto out;
	rc = attach ? attachments(client) :
		report_operation(client, argv[optind], wait, timeout_s, "");
	if ((c = cli_login_save(&l)) != CLI_OK && rc == CLI_OK)
		rc = c;
out:
	ksef_client_free(client);
	cli_login_dispose(&l);
	return rc;
}
