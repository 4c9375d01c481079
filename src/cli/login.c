/*
 * login.c - the saved login of the step-by-step commands (`ksef auth`,
 * `ksef session`, `ksef invoice`), on top of libksef's one authentication
 * state machine. The state file holds what ksef_conn_export() writes,
 * beside the tool's own members ("method", "currentSession", "sessions"),
 * and in "sessions" what ksef_session_export() writes for each session
 * opened here. A command resumes the connection (and the session it is
 * about), lets the library renew, refresh and choose keys, and puts the
 * exported state back. This file owns that mapping and the words for a
 * login that is over; the file's privacy and atomic writes are config.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "config.h"
#include "output.h"

/* The members of the state file that are the tool's, not the library's. */
static const char *const own_members[] = { "method", "currentSession",
					   "sessions", NULL };

static int own(const char *key)
{
	size_t i;

	for (i = 0; own_members[i] != NULL; i++)
		if (strcmp(key, own_members[i]) == 0)
			return 1;
	return 0;
}

/* Free a JSON value that holds secrets, wiping its strings first. */
static void secret_decref(json_t *v)
{
	if (v != NULL && v->refcount == 1)
		cli_json_wipe(v);
	json_decref(v);
}

static int dump_secret(ksef_buf *out, const json_t *v)
{
	return cli_json_dump_secret(out, v, JSON_COMPACT |
				    JSON_PRESERVE_ORDER);
}

int cli_login_conn_text(ksef_buf *out, json_t *root)
{
	json_t *part = json_object(), *v;
	const char *key;
	int error;

	if (part == NULL)
		return KSEF_ENOMEM;
	json_object_foreach(root, key, v) {
		if (!own(key) && json_object_set(part, key, v) != 0) {
			json_decref(part);
			return KSEF_ENOMEM;
		}
	}
	error = dump_secret(out, part);
	/* The members are shared with root: root wipes them. */
	json_decref(part);
	return error;
}

int cli_login_load(struct cli_login *l, const char *state_flag)
{
	ksef_conn_options co = KSEF_CONN_OPTIONS_INIT;
	ksef_buf text = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	int rc;

	l->conn = NULL;
	if ((rc = cli_state_load(&l->st, state_flag, &err)) != CLI_OK)
		return cli_fail(rc == CLI_REJECTED ? CLI_F_AUTH : CLI_F_STATE,
				NULL, "%s", err.message);
	/* The server and context are the state's own; no credential, so
	 * the library refreshes but never logs in by itself. */
	if (cli_login_conn_text(&text, l->st.root) != 0)
		return cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
	rc = ksef_conn_resume(&l->conn, &co, (const char *)text.ptr,
			      text.size, &err);
	ksef_buf_dispose_secure(&text);
	if (rc != 0)
		return cli_fail(CLI_F_STATE, NULL, "%s is damaged or from "
				"another version of ksef (%s); remove it and "
				"log in again", l->st.path, err.message);
	return CLI_OK;
}

int cli_login_fail(struct cli_login *l, int code, const ksef_error *err,
		   const char *what)
{
	const ksef_api_error *api = ksef_conn_last_error(l->conn);

	if (code == KSEF_ENOTFOUND)
		return cli_fail(CLI_F_AUTH, NULL, "the login has expired "
				"(refresh token gone or out of date); run "
				"'ksef auth login'");
	if (code == KSEF_EHTTP && api != NULL && api->http_status < 500)
		return cli_fail(CLI_F_AUTH, api, "%s: KSeF refused the login "
				"(%s); run 'ksef auth login'", what,
				err->message);
	return cli_fail_ksef(code, api, "%s: %s", what, err->message);
}

int cli_login_client(ksef_client **out, struct cli_login *l)
{
	ksef_client *c = NULL;
	ksef_error err = { 0, 0, "" };
	int error;

	*out = NULL;
	if (cli_client_new(&c, ksef_conn_base_url(l->conn), &err) != 0)
		return cli_fail(CLI_F_STATE, NULL, "%s: %s", l->st.path,
				err.message);
	if ((error = ksef_conn_authorize(c, l->conn, &err)) != 0) {
		ksef_client_free(c);
		return cli_login_fail(l, error, &err,
				      "refreshing the access token");
	}
	*out = c;
	return CLI_OK;
}

int cli_login_ready(struct cli_login *l)
{
	ksef_client *c = NULL;
	int rc = cli_login_client(&c, l);

	ksef_client_free(c);
	return rc;
}

/*
 * The state's root made anew from the connection's export, with the tool's
 * members copied from `from` (NULL: none). *out is owned.
 */
static int login_root(json_t **out, ksef_conn *conn, json_t *from)
{
	ksef_buf text = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	json_error_t jerr;
	json_t *root;
	size_t i;

	*out = NULL;
	if (ksef_conn_export(&text, conn, &err) != 0)
		return cli_fail(CLI_F_INTERNAL, NULL, "%s", err.message);
	root = json_loadb((const char *)text.ptr, text.size, 0, &jerr);
	ksef_buf_dispose_secure(&text);
	if (root == NULL)
		return cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
	for (i = 0; from != NULL && own_members[i] != NULL; i++) {
		json_t *v = json_object_get(from, own_members[i]);

		/* Copies: `from` is wiped when it goes. */
		if (v != NULL && json_object_set_new(root, own_members[i],
						     json_deep_copy(v)) != 0) {
			secret_decref(root);
			return cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
		}
	}
	*out = root;
	return CLI_OK;
}

int cli_login_set(struct cli_state *st, ksef_conn *conn, json_t *from)
{
	json_t *root = NULL;
	int rc = login_root(&root, conn, from);

	if (rc != CLI_OK)
		return rc;
	secret_decref(st->root);
	st->root = root;
	return CLI_OK;
}

int cli_login_save(struct cli_login *l)
{
	ksef_error err = { 0, 0, "" };
	json_t *root = NULL;
	int rc;

	if (l->conn == NULL || l->st.root == NULL)
		return CLI_OK;
	if ((rc = login_root(&root, l->conn, l->st.root)) != CLI_OK)
		return rc;
	/* Unchanged (no renewal, no session change): leave the file be. */
	if (json_equal(root, l->st.root) && !l->dirty) {
		secret_decref(root);
		return CLI_OK;
	}
	secret_decref(l->st.root);
	l->st.root = root;
	if (cli_state_save(&l->st, &err) != CLI_OK)
		return cli_fail(CLI_F_IO, NULL, "%s", err.message);
	l->dirty = 0;
	return CLI_OK;
}

void cli_login_dispose(struct cli_login *l)
{
	ksef_conn_free(l->conn);
	l->conn = NULL;
	cli_state_dispose(&l->st);
}

int cli_login_open(struct cli_login *l, ksef_client **client,
		   const char *state_flag)
{
	int rc;

	*client = NULL;
	if ((rc = cli_login_load(l, state_flag)) != CLI_OK)
		return rc;
	return cli_login_client(client, l);
}

int cli_login_close(struct cli_login *l, ksef_client *client, int rc)
{
	int saved;

	if (client != NULL && (saved = cli_login_save(l)) != CLI_OK &&
	    rc == CLI_OK)
		rc = saved;
	ksef_client_free(client);
	cli_login_dispose(l);
	return rc;
}

/*
 * Sessions
 */

const char *cli_login_session_ref(struct cli_login *l, const char *given)
{
	const char *ref = given ? given : cli_json_str(l->st.root,
						       "currentSession");

	if (ref == NULL)
		cli_fail(CLI_F_USAGE, NULL, "no session: open one with 'ksef "
			 "session open' or name it");
	return ref;
}

json_t *cli_login_session_state(struct cli_login *l, const char *ref)
{
	return json_object_get(json_object_get(l->st.root, "sessions"), ref);
}

int cli_login_session(ksef_session **out, struct cli_login *l,
		      const char *ref)
{
	json_t *entry = cli_login_session_state(l, ref);
	ksef_buf text = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	int rc;

	*out = NULL;
	if (entry == NULL)
		return cli_fail(CLI_F_REJECTED, NULL, "no key for session %s "
				"here: it was closed, or opened with another "
				"state file", ref);
	if (dump_secret(&text, entry) != 0)
		return cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
	rc = ksef_session_resume(out, l->conn, (const char *)text.ptr,
				 text.size, &err);
	ksef_buf_dispose_secure(&text);
	if (rc != 0)
		return cli_fail(CLI_F_STATE, NULL, "%s: session %s is "
				"damaged: %s", l->st.path, ref, err.message);
	return CLI_OK;
}

int cli_login_put_session(struct cli_login *l, ksef_session *s)
{
	ksef_buf text = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	json_error_t jerr;
	json_t *sessions, *entry, *old;
	const char *ref = ksef_session_reference(s);

	if (ksef_session_export(&text, s, &err) != 0)
		return cli_fail(CLI_F_INTERNAL, NULL, "%s", err.message);
	entry = json_loadb((const char *)text.ptr, text.size, 0, &jerr);
	ksef_buf_dispose_secure(&text);
	sessions = json_object_get(l->st.root, "sessions");
	if (!json_is_object(sessions)) {
		sessions = json_object();
		json_object_set_new(l->st.root, "sessions", sessions);
	}
	/* The entry replaced held the same key: wipe it before it goes. */
	if ((old = json_object_get(sessions, ref)) != NULL)
		cli_json_wipe(old);
	if (entry == NULL || !json_is_object(sessions) ||
	    json_object_set_new(sessions, ref, entry) != 0 ||
	    json_object_set_new(l->st.root, "currentSession",
				json_string(ref)) != 0)
		return cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
	l->dirty = 1;
	return CLI_OK;
}

void cli_login_forget_session(struct cli_login *l, const char *ref)
{
	json_t *sessions = json_object_get(l->st.root, "sessions");
	char keep[KSEF_REFNUM_BUFSZ + 64];

	/* ref may point into the entry about to go. */
	snprintf(keep, sizeof(keep), "%s", ref);
	if (json_is_object(sessions) &&
	    json_object_get(sessions, keep) != NULL) {
		cli_json_wipe(json_object_get(sessions, keep));
		json_object_del(sessions, keep);
	}
	json_object_set_new(l->st.root, "currentSession", json_string(keep));
	l->dirty = 1;
}

/*
 * Before and after a first login
 */

int cli_login_check(const char *nip, const char *token)
{
	ksef_error err = { 0, 0, "" };
	const char *p, *q;
	size_t n;

	/* Production refuses a NIP whose check digit is wrong, and on TEST
	 * such a context belongs to nobody: say so before sending. */
	if (ksef_nip_validate(nip, strlen(nip), &err) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "--nip %.20s is not a NIP: "
				"%s", nip, err.message);
	/*
	 * A KSeF token reads "<reference>|<type>-<value>|<secret>"
	 * (tokeny-ksef.md, open-api.json's example): it works only in the
	 * context it was made for, and says which. Other shapes say nothing
	 * we can read, and are left to KSeF.
	 */
	if (token == NULL || (p = strchr(token, '|')) == NULL ||
	    strncmp(p + 1, "nip-", 4) != 0 ||
	    (q = strchr(p + 5, '|')) == NULL)
		return CLI_OK;
	n = (size_t)(q - (p + 5));
	if (n == KSEF_NIP_LEN && (n != strlen(nip) ||
				  memcmp(p + 5, nip, n) != 0))
		return cli_fail(CLI_F_USAGE, NULL, "the KSeF token was made "
				"for NIP %.10s, not for --nip %s: a token "
				"works only in its own context", p + 5, nip);
	return CLI_OK;
}

/* Whether a base URL's path ends in /v2, where KSeF's API lives. */
static int has_v2(const char *url)
{
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	return n >= 3 && strncmp(url + n - 3, "/v2", 3) == 0;
}

void cli_base_url_hint(const char *url, const ksef_api_error *api)
{
	size_t n;

	if (url == NULL || api == NULL || api->http_status != 404 ||
	    has_v2(url))
		return;
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	cli_hint("%s answered 404: KSeF's API is under /v2; try --base-url "
		 "%.*s/v2", url, (int)n, url);
}

int cli_login_refused(ksef_conn *conn, int code, const ksef_error *err,
		      const char *prefix)
{
	const ksef_api_error *api = ksef_conn_last_error(conn);
	enum cli_failure kind = cli_failure_of(code, api);
	int rc;

	/* A login that KSeF answered with a refusal (a 4xx, or a final
	 * status other than 200) is refused, whatever step said so. */
	if (kind == CLI_F_HTTP || kind == CLI_F_REJECTED)
		kind = CLI_F_AUTH;
	rc = cli_fail(kind, api, "%s%s", prefix, err->message);
	cli_base_url_hint(ksef_conn_base_url(conn), api);
	return rc;
}
