/*
 * cmd_permissions_list.c - `ksef permissions list [WHICH]`: one page of
 * one of the lists of granted permissions (personal, persons, subunits,
 * entities, authorizations, eu-entities) or of entity roles (entity-roles,
 * subordinate-roles), with the login `ksef auth login` saved. Text output
 * is a line per item, tab-separated, the id first so that it can be cut
 * for `ksef permissions revoke`; --json gives each item with the
 * contract's member names. The calls are libksef's.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "cli.h"
#include "cmd_permissions.h"
#include "output.h"

static const struct {
	const char *name;
	int list;      /* a ksef_permission_list_kind, or -1, -2: roles */
} which_names[] = {
	{ "personal", KSEF_PERMISSIONS_PERSONAL },
	{ "persons", KSEF_PERMISSIONS_PERSONS },
	{ "subunits", KSEF_PERMISSIONS_SUBUNITS },
	{ "entities", KSEF_PERMISSIONS_ENTITIES },
	{ "authorizations", KSEF_PERMISSIONS_AUTHORIZATIONS },
	{ "eu-entities", KSEF_PERMISSIONS_EU_ENTITIES },
	{ "entity-roles", -1 },
	{ "subordinate-roles", -2 },
};

/* What list's command line gave. */
struct list_args {
	ksef_client_permission_query q;
	const char *state, *nip;
	int which, filters;
};

/* "Type:value", or "Type" alone, of an identifier. */
static void id_text(char *out, size_t size, const ksef_api_identifier *id)
{
	if (id == NULL)
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%s%s%s", id->type, id->value ? ":" : "",
			 id->value ? id->value : "");
}

static void put_id(json_t *o, const char *key, const ksef_api_identifier *id)
{
	if (id != NULL)
		json_object_set_new(o, key, cmd_perm_id_json(id));
}

static void put_str(json_t *o, const char *key, const char *s)
{
	if (s != NULL)
		json_object_set_new(o, key, json_string(s));
}

static json_t *entity_json(const ksef_api_entity_details *d)
{
	json_t *o = json_object();

	put_str(o, "subjectDetailsType", d->subject_details_type);
	put_str(o, "fullName", d->full_name);
	put_str(o, "address", d->address);
	return o;
}

static json_t *person_json(const ksef_api_person_details *d)
{
	json_t *o = json_object();

	put_str(o, "subjectDetailsType", d->subject_details_type);
	put_str(o, "firstName", d->first_name);
	put_str(o, "lastName", d->last_name);
	put_id(o, "personIdentifier", d->person_identifier);
	put_str(o, "birthDate", d->birth_date);
	if (d->id_document_type != NULL)
		json_object_set_new(o, "idDocument", json_pack(
			"{s:s,s:s,s:s}", "type", d->id_document_type,
			"number", d->id_document_number, "country",
			d->id_document_country));
	return o;
}

/* One permission with the contract's member names (those of its list:
 * authorizations name the scope and the parties their own way). */
static json_t *permission_json(const ksef_api_permission *p, int authz)
{
	char start[KSEF_TIME_BUFSZ];
	json_t *o = json_object();

	cli_time_ms_text(start, p->start_date_ms);
	put_str(o, "id", p->id);
	put_str(o, authz ? "authorizationScope" : "permissionScope",
		p->scope);
	put_str(o, "description", p->description);
	put_str(o, "startDate", start);
	if (p->can_delegate >= 0)
		json_object_set_new(o, "canDelegate",
				    json_boolean(p->can_delegate));
	put_str(o, "permissionState", p->permission_state);
	put_id(o, "contextIdentifier", p->context);
	put_id(o, authz ? "authorizedEntityIdentifier" :
	       "authorizedIdentifier", p->authorized);
	put_id(o, "authorizingEntityIdentifier", p->authorizing);
	put_id(o, "targetIdentifier", p->target);
	put_id(o, "authorIdentifier", p->author);
	put_id(o, "subunitIdentifier", p->subunit);
	put_str(o, "subunitName", p->subunit_name);
	put_str(o, "vatUeIdentifier", p->vat_ue_identifier);
	put_str(o, "euEntityName", p->eu_entity_name);
	put_str(o, "authorizedFingerprintIdentifier",
		p->authorized_fingerprint);
	if (p->person_details != NULL)
		json_object_set_new(o, "subjectPersonDetails",
				    person_json(p->person_details));
	if (p->entity_details != NULL)
		json_object_set_new(o, "subjectEntityDetails",
				    entity_json(p->entity_details));
	if (p->eu_entity_details != NULL)
		json_object_set_new(o, "euEntityDetails",
				    entity_json(p->eu_entity_details));
	return o;
}

/* One line: id, scope, state, who holds it, its description. */
static void permission_line(const ksef_api_permission *p)
{
	char who[128], target[128];

	if (p->authorized != NULL)
		id_text(who, sizeof(who), p->authorized);
	else if (p->authorized_fingerprint != NULL)
		snprintf(who, sizeof(who), "Fingerprint:%s",
			 p->authorized_fingerprint);
	else
		id_text(who, sizeof(who), p->context);
	target[0] = '\0';
	if (p->target != NULL) {
		snprintf(target, sizeof(target), " for ");
		id_text(target + 5, sizeof(target) - 5, p->target);
	}
	printf("%s\t%s\t%s\t%s%s%s\t%s\n", p->id, p->scope,
	       p->permission_state ? p->permission_state : "-", who, target,
	       p->can_delegate > 0 ? " (canDelegate)" : "", p->description);
}

static void more_note(int has_more, int offset)
{
	if (has_more && !cli_out_json())
		cli_note("more on the next page: --page-offset %d",
			 offset + 1);
}

static int list_permissions(ksef_client *c, struct list_args *a)
{
	ksef_api_permission_list *l = NULL;
	ksef_error err = { 0, 0, "" };
	int authz = a->q.list == KSEF_PERMISSIONS_AUTHORIZATIONS, rc;
	json_t *items;
	size_t i, n;

	if ((rc = ksef_client_permissions_query(&l, c, &a->q, &err)) != 0)
		return cmd_perm_call_failed(c, rc, &err,
					    which_names[a->which].name);
	n = ksef_api_permission_list_count(l);
	if (cli_out_json()) {
		items = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(items, permission_json(
				ksef_api_permission_list_at(l, i), authz));
		cli_json_print(json_pack("{s:s,s:i,s:b,s:o}", "list",
			which_names[a->which].name, "pageOffset",
			a->q.page_offset, "hasMore",
			ksef_api_permission_list_has_more(l), authz ?
			"authorizationGrants" : "permissions", items));
	} else {
		for (i = 0; i < n; i++)
			permission_line(ksef_api_permission_list_at(l, i));
	}
	more_note(ksef_api_permission_list_has_more(l), a->q.page_offset);
	ksef_api_permission_list_free(l);
	return CLI_OK;
}

static int list_roles(ksef_client *c, struct list_args *a)
{
	ksef_api_entity_role_list *l = NULL;
	ksef_error err = { 0, 0, "" };
	char start[KSEF_TIME_BUFSZ], who[128];
	int sub = which_names[a->which].list == -2, rc;
	json_t *items, *o;
	size_t i, n;

	rc = sub ? ksef_client_permissions_subordinate_roles(&l, c, a->nip,
			a->q.page_size, a->q.page_offset, &err) :
		   ksef_client_permissions_entity_roles(&l, c,
			a->q.page_size, a->q.page_offset, &err);
	if (rc != 0)
		return cmd_perm_call_failed(c, rc, &err,
					    which_names[a->which].name);
	n = ksef_api_entity_role_list_count(l);
	items = cli_out_json() ? json_array() : NULL;
	for (i = 0; i < n; i++) {
		const ksef_api_entity_role *r = ksef_api_entity_role_list_at(l,
									     i);

		cli_time_ms_text(start, r->start_date_ms);
		if (items == NULL) {
			id_text(who, sizeof(who), sub ? r->subordinate_entity :
				r->parent_entity);
			printf("%s\t%s\t%s\t%s\n", r->role, who, start,
			       r->description);
			continue;
		}
		o = json_pack("{s:s,s:s,s:s}", "role", r->role, "description",
			      r->description, "startDate", start);
		put_id(o, "parentEntityIdentifier", r->parent_entity);
		put_id(o, "subordinateEntityIdentifier",
		       r->subordinate_entity);
		json_array_append_new(items, o);
	}
	if (items != NULL)
		cli_json_print(json_pack("{s:s,s:i,s:b,s:o}", "list",
			which_names[a->which].name, "pageOffset",
			a->q.page_offset, "hasMore",
			ksef_api_entity_role_list_has_more(l), "roles",
			items));
	more_note(ksef_api_entity_role_list_has_more(l), a->q.page_offset);
	ksef_api_entity_role_list_free(l);
	return CLI_OK;
}

/* One option of list; 0, or the exit code of a reported failure. */
static int list_option(struct list_args *a, int c, const char *arg)
{
	ksef_client_permission_query *q = &a->q;

	a->filters += c != CLI_OPT_STATE && c != PERM_OPT_JSON &&
		      c != PERM_OPT_PAGE_SIZE && c != PERM_OPT_PAGE_OFFSET &&
		      c != PERM_OPT_NIP_FILTER;
	switch (c) {
	case PERM_OPT_CONTEXT:
		return cmd_perm_parse_id(&q->context_type, &q->context_value,
					 "--context", arg);
	case PERM_OPT_TARGET:
		return cmd_perm_parse_id(&q->target_type, &q->target_value,
					 "--target", arg);
	case PERM_OPT_AUTHOR:
		return cmd_perm_parse_id(&q->author_type, &q->author_value,
					 "--author", arg);
	case PERM_OPT_AUTHORIZED:
		return cmd_perm_parse_id(&q->authorized_type,
					 &q->authorized_value, "--authorized",
					 arg);
	case PERM_OPT_AUTHORIZING:
		return cmd_perm_parse_id(&q->authorizing_type,
					 &q->authorizing_value,
					 "--authorizing", arg);
	case PERM_OPT_SUBUNIT:
		return cmd_perm_parse_id(&q->subunit_type, &q->subunit_value,
					 "--subunit", arg);
	case PERM_OPT_PERMISSION:
		return cmd_perm_parse_name(&q->permission_types, arg);
	case PERM_OPT_STATE_FILTER:
		if (strcasecmp(arg, "active") == 0)
			q->state = KSEF_PERM_STATE_ACTIVE;
		else if (strcasecmp(arg, "inactive") == 0)
			q->state = KSEF_PERM_STATE_INACTIVE;
		else
			return cli_fail(CLI_F_USAGE, NULL, "--permission-state "
					"must be active or inactive");
		return 0;
	case PERM_OPT_GRANTED_HERE:
		q->query_type = KSEF_PERM_QUERY_GRANTED_IN_CURRENT_CONTEXT;
		return 0;
	case PERM_OPT_GRANTED:
		q->query_type = KSEF_PERM_QUERY_GRANTED;
		return 0;
	case PERM_OPT_RECEIVED:
		q->query_type = KSEF_PERM_QUERY_RECEIVED;
		return 0;
	case PERM_OPT_VAT_UE: q->vat_ue_identifier = arg; return 0;
	case PERM_OPT_FINGERPRINT: q->authorized_fingerprint = arg; return 0;
	case PERM_OPT_NIP_FILTER: a->nip = arg; return 0;
	case PERM_OPT_PAGE_SIZE:
		return cmd_perm_parse_int(&q->page_size, "--page-size", arg,
					  100);
	case PERM_OPT_PAGE_OFFSET:
		return cmd_perm_parse_int(&q->page_offset, "--page-offset",
					  arg, 2147483647);
	case CLI_OPT_STATE: a->state = arg; return 0;
	case PERM_OPT_JSON: return 0; /* main.c saw it */
	default:
		fputs(cli_usage_permissions, stderr);
		return CLI_USAGE;
	}
}

int cmd_permissions_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "context", required_argument, NULL, PERM_OPT_CONTEXT },
		{ "target", required_argument, NULL, PERM_OPT_TARGET },
		{ "author", required_argument, NULL, PERM_OPT_AUTHOR },
		{ "authorized", required_argument, NULL, PERM_OPT_AUTHORIZED },
		{ "authorizing", required_argument, NULL,
		  PERM_OPT_AUTHORIZING },
		{ "subunit", required_argument, NULL, PERM_OPT_SUBUNIT },
		{ "permission", required_argument, NULL, PERM_OPT_PERMISSION },
		{ "permission-state", required_argument, NULL,
		  PERM_OPT_STATE_FILTER },
		{ "granted-here", no_argument, NULL, PERM_OPT_GRANTED_HERE },
		{ "granted", no_argument, NULL, PERM_OPT_GRANTED },
		{ "received", no_argument, NULL, PERM_OPT_RECEIVED },
		{ "vat-ue", required_argument, NULL, PERM_OPT_VAT_UE },
		{ "fingerprint", required_argument, NULL,
		  PERM_OPT_FINGERPRINT },
		{ "nip", required_argument, NULL, PERM_OPT_NIP_FILTER },
		{ "page-size", required_argument, NULL, PERM_OPT_PAGE_SIZE },
		{ "page-offset", required_argument, NULL,
		  PERM_OPT_PAGE_OFFSET },
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "json", no_argument, NULL, PERM_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	ksef_client_permission_query init = KSEF_CLIENT_PERMISSION_QUERY_INIT;
	struct cli_login l = CLI_LOGIN_INIT;
	struct list_args a;
	ksef_client *client = NULL;
	size_t i;
	int c, rc;

	memset(&a, 0, sizeof(a));
	a.q = init;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(cli_usage_permissions, stdout);
			return CLI_OK;
		}
		if ((rc = list_option(&a, c, optarg)) != 0)
			return rc;
	}
	if (argc - optind > 1)
		return cli_fail(CLI_F_USAGE, NULL, "list takes one list name "
				"at most ('%s')", argv[optind + 1]);
	for (i = 0; optind < argc &&
	     i < sizeof(which_names) / sizeof(which_names[0]); i++)
		if (strcmp(argv[optind], which_names[i].name) == 0)
			break;
	if (i == sizeof(which_names) / sizeof(which_names[0]))
		return cli_fail(CLI_F_USAGE, NULL, "unknown list '%s': "
				"personal, persons, subunits, entities, "
				"authorizations, eu-entities, entity-roles or "
				"subordinate-roles", argv[optind]);
	a.which = optind < argc ? (int)i : 0;
	if (which_names[a.which].list < 0 && a.filters > 0)
		return cli_fail(CLI_F_USAGE, NULL, "%s takes no filter but "
				"--nip (subordinate-roles)",
				which_names[a.which].name);
	if (a.nip != NULL && which_names[a.which].list != -2)
		return cli_fail(CLI_F_USAGE, NULL, "--nip is a filter of "
				"subordinate-roles");
	if (which_names[a.which].list >= 0)
		a.q.list = (ksef_permission_list_kind)
			   which_names[a.which].list;
	if ((rc = cmd_perm_client(&client, &l, a.state)) != CLI_OK)
		goto out;
	rc = which_names[a.which].list < 0 ? list_roles(client, &a) :
		list_permissions(client, &a);
	if ((c = cli_login_save(&l)) != CLI_OK && rc == CLI_OK)
		rc = c;
out:
	ksef_client_free(client);
	cli_login_dispose(&l);
	return rc;
}
