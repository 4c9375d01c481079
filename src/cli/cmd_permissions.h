/*
 * cmd_permissions.h - what the two files of `ksef permissions` share:
 * cmd_permissions.c (grant, revoke, status) and cmd_permissions_list.c
 * (list): the option codes, the TYPE:VALUE identifiers of the command
 * line, permission names, and the login both start from.
 */
#ifndef KSEF_CLI_CMD_PERMISSIONS_H
#define KSEF_CLI_CMD_PERMISSIONS_H

#include <jansson.h>
#include "ksef/ksef.h"
#include "ksef/client_permissions.h"
#include "config.h"

/* Option codes of every permissions subcommand, above the shared ones. */
enum {
	PERM_OPT_JSON = 300, PERM_OPT_PERSON, PERM_OPT_ENTITY,
	PERM_OPT_AUTHORIZATION, PERM_OPT_INDIRECT, PERM_OPT_SUBUNIT_ADMIN,
	PERM_OPT_EU_ADMIN, PERM_OPT_EU_REP, PERM_OPT_PERMISSION,
	PERM_OPT_DESCRIPTION, PERM_OPT_CAN_DELEGATE, PERM_OPT_TARGET,
	PERM_OPT_SUBUNIT, PERM_OPT_SUBUNIT_NAME, PERM_OPT_CONTEXT,
	PERM_OPT_FIRST_NAME, PERM_OPT_LAST_NAME, PERM_OPT_PERSON_ID,
	PERM_OPT_BIRTH_DATE, PERM_OPT_ID_DOCUMENT, PERM_OPT_NAME,
	PERM_OPT_ADDRESS, PERM_OPT_EU_NAME, PERM_OPT_EU_FULL_NAME,
	PERM_OPT_EU_ADDRESS, PERM_OPT_NO_WAIT, PERM_OPT_WAIT,
	PERM_OPT_TIMEOUT, PERM_OPT_AUTHORIZATION_ID, PERM_OPT_ATTACHMENTS,
	PERM_OPT_AUTHOR, PERM_OPT_AUTHORIZED, PERM_OPT_AUTHORIZING,
	PERM_OPT_STATE_FILTER, PERM_OPT_GRANTED, PERM_OPT_RECEIVED,
	PERM_OPT_GRANTED_HERE, PERM_OPT_VAT_UE, PERM_OPT_FINGERPRINT,
	PERM_OPT_PAGE_SIZE, PERM_OPT_PAGE_OFFSET, PERM_OPT_NIP_FILTER
};

/*
 * An identifier as the command line writes it, TYPE:VALUE, the type in
 * any case: nip:, pesel:, fingerprint: (or fp:), internal: (InternalId),
 * nipvatue:, peppol:; "all" (AllPartners) and "system" have no value.
 * *value points into arg. Returns 0, or reports a usage failure naming
 * `option` and returns its exit code.
 */
int cmd_perm_parse_id(ksef_perm_id_type *type, const char **value,
		      const char *option, const char *arg);

/* Add the bit of a permission name (any case) to *bits; 0, or reports a
 * usage failure listing the names and returns its exit code. */
int cmd_perm_parse_name(unsigned *bits, const char *name);

/* A whole number from 0 to max for `option`: 0, or a usage failure. */
int cmd_perm_parse_int(int *out, const char *option, const char *arg,
		       int max);

/* Load the saved login and a client holding a current access token. */
int cmd_perm_client(ksef_client **out, struct cli_login *l,
		    const char *state);

/* Report a failed call of the client, naming what it was doing. */
int cmd_perm_call_failed(ksef_client *c, int code, const ksef_error *err,
			 const char *what);

/* {type, value} of a result, or NULL for NULL (a new reference). */
json_t *cmd_perm_id_json(const ksef_api_identifier *id);

#endif
