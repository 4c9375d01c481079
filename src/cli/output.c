/*
 * output.c - the one voice of the ksef command. It owns the table that
 * gives every kind of failure its exit code, the "ksef: <cmd>: <reason>"
 * lines on standard error, the --json contract (a document on standard
 * output even when the command fails), hints, and the JSON shape of an
 * invoice's status. What a command does, and which failure it met, are
 * the command's; how that reads is decided here alone, so that the same
 * failure reads and exits alike in every subcommand.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "output.h"

/*
 * The exit status table (docs/ksef.1 EXIT STATUS, docs/cli.md). 1 means
 * that something ran and was refused: trying again unchanged will not
 * help. 3 means that it could not run: trying again later may.
 */
static const struct {
	const char *name;
	int exit;
} failures[CLI_F_COUNT] = {
	[CLI_F_REJECTED] = { "rejected", CLI_REJECTED },
	[CLI_F_AUTH] = { "auth", CLI_REJECTED },
	[CLI_F_HTTP] = { "http", CLI_REJECTED },
	[CLI_F_USAGE] = { "usage", CLI_USAGE },
	[CLI_F_SERVER] = { "server", CLI_FAILED },
	[CLI_F_RATE_LIMIT] = { "rate-limit", CLI_FAILED },
	[CLI_F_NETWORK] = { "network", CLI_FAILED },
	[CLI_F_IO] = { "io", CLI_FAILED },
	[CLI_F_STATE] = { "state", CLI_FAILED },
	[CLI_F_INTERNAL] = { "internal", CLI_FAILED },
};

int cli_failure_exit(enum cli_failure kind)
{
	return (unsigned)kind < CLI_F_COUNT ? failures[kind].exit : CLI_FAILED;
}

const char *cli_failure_name(enum cli_failure kind)
{
	return (unsigned)kind < CLI_F_COUNT ? failures[kind].name : "internal";
}

enum cli_failure cli_failure_of(int code, const ksef_api_error *api)
{
	switch (code) {
	case KSEF_EHTTP:
		return api != NULL && api->http_status >= 500 ? CLI_F_SERVER :
							      CLI_F_HTTP;
	case KSEF_ERATELIMIT: return CLI_F_RATE_LIMIT;
	case KSEF_ENETWORK: return CLI_F_NETWORK;
	case KSEF_EIO: return CLI_F_IO;
	case KSEF_EINVAL: return CLI_F_USAGE;
	case KSEF_EPARSE:
	case KSEF_EFORMAT:
	case KSEF_ECHECKSUM:
	case KSEF_ETOOBIG:
	case KSEF_ENOTFOUND:
		return CLI_F_REJECTED;
	default: return CLI_F_INTERNAL;
	}
}

/*
 * The run: one subcommand per process, so one report.
 */

static struct {
	const char *cmd;
	int json;
	int printed;              /* the command printed its document */
	enum cli_failure kind;    /* the failure shown, if failed */
	int failed;
	json_t *error;            /* its JSON, built when reported */
	char hint[512];
} run = { "ksef", 0, 0, CLI_F_INTERNAL, 0, NULL, "" };

void cli_out_begin(const char *cmd, int json)
{
	run.cmd = cmd;
	run.json = json;
}

int cli_out_json(void)
{
	return run.json;
}

/* The server's answer as JSON: its status and every error it listed. */
static json_t *api_json(const ksef_api_error *e)
{
	json_t *o = json_pack("{s:i}", "httpStatus", e->http_status),
	       *list = json_array();
	size_t i, j;

	for (i = 0; i < ksef_api_problems_count(e->problems); i++) {
		const ksef_api_problem *p = ksef_api_problems_at(e->problems, i);
		json_t *d = json_array();

		for (j = 0; j < p->detail_count; j++)
			json_array_append_new(d, json_string(p->details[j]));
		json_array_append_new(list, json_pack("{s:i,s:s?,s:o}",
			"code", p->code, "description", p->description,
			"details", d));
	}
	json_object_set_new(o, "errors", list);
	if (e->title != NULL)
		json_object_set_new(o, "title", json_string(e->title));
	if (e->detail != NULL)
		json_object_set_new(o, "detail", json_string(e->detail));
	if (e->reason_code != NULL)
		json_object_set_new(o, "reasonCode",
				    json_string(e->reason_code));
	if (e->reference_number != NULL)
		json_object_set_new(o, "referenceNumber",
				    json_string(e->reference_number));
	if (e->trace_id != NULL)
		json_object_set_new(o, "traceId", json_string(e->trace_id));
	return o;
}

/* printf-like on a va_list, so that clang checks the callers' formats
 * instead of refusing a non-literal one here (-Wformat-nonliteral). */
static int vfail(enum cli_failure kind, const ksef_api_error *api,
		 const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static int vfail(enum cli_failure kind, const ksef_api_error *api,
		 const char *fmt, va_list ap)
{
	char msg[1024];
	int code = cli_failure_exit(kind);

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "ksef: %s: %s\n", run.cmd, msg);
	/* The first failure of the highest exit code decides. */
	if (run.failed && code <= cli_failure_exit(run.kind))
		return code;
	json_decref(run.error);
	run.error = json_pack("{s:s,s:s,s:i}", "code", cli_failure_name(kind),
			      "message", msg, "exitCode", code);
	if (run.error != NULL && api != NULL)
		json_object_set_new(run.error, "api", api_json(api));
	run.kind = kind;
	run.failed = 1;
	run.hint[0] = '\0';
	return code;
}

int cli_fail(enum cli_failure kind, const ksef_api_error *api,
	     const char *fmt, ...)
{
	va_list ap;
	int code;

	va_start(ap, fmt);
	code = vfail(kind, api, fmt, ap);
	va_end(ap);
	return code;
}

int cli_fail_ksef(int code, const ksef_api_error *api, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(cli_failure_of(code, api), api, fmt, ap);
	va_end(ap);
	return rc;
}

void cli_note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ksef: %s: ", run.cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(run.hint, sizeof(run.hint), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ksef: %s: hint: %s\n", run.cmd, run.hint);
	if (run.error != NULL)
		json_object_set_new(run.error, "hint", json_string(run.hint));
}

void cli_json_print(json_t *doc)
{
	if (doc == NULL)
		return;
	if (run.failed && run.error != NULL && json_is_object(doc))
		json_object_set(doc, "error", run.error);
	json_dumpf(doc, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(doc);
	run.printed = 1;
}

int cli_out_end(int rc)
{
	if (run.json && rc != CLI_OK && !run.printed) {
		json_t *e = run.error;

		/* A failure nobody described (cannot happen by design, but
		 * the contract holds whatever the command did). */
		if (e == NULL)
			e = json_pack("{s:s,s:s,s:i}", "code", rc == CLI_USAGE ?
				      "usage" : rc == CLI_REJECTED ?
				      "rejected" : "internal", "message",
				      rc == CLI_USAGE ? "bad command line; see "
				      "--help" : "see standard error",
				      "exitCode", rc);
		else
			json_incref(e);
		e = json_pack("{s:o}", "error", e);
		json_dumpf(e, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(e);
	}
	json_decref(run.error);
	run.error = NULL;
	return rc;
}

/*
 * An invoice's status (docs/cli.md, "The status of an invoice")
 */

json_t *cli_invoice_status_json(const struct cli_invoice_status *s)
{
	json_t *o = json_object(), *d;
	const char *desc = s->description;
	size_t i;

	if (s->file != NULL)
		json_object_set_new(o, "file", json_string(s->file));
	if (s->ordinal > 0)
		json_object_set_new(o, "ordinalNumber",
				    json_integer(s->ordinal));
	if (s->reference_number != NULL)
		json_object_set_new(o, "referenceNumber",
				    json_string(s->reference_number));
	if (s->invoice_number != NULL)
		json_object_set_new(o, "invoiceNumber",
				    json_string(s->invoice_number));
	if (s->form_code != NULL)
		json_object_set_new(o, "formCode", json_string(s->form_code));
	if (s->status > 0) {
		if (desc == NULL)
			desc = ksef_invoice_status_description(s->status);
		json_object_set_new(o, "status", json_integer(s->status));
		json_object_set_new(o, "description",
				    json_string(desc ? desc : ""));
		d = json_array();
		for (i = 0; i < s->detail_count; i++)
			json_array_append_new(d, json_string(s->details[i]));
		json_object_set_new(o, "details", d);
	}
	if (s->ksef_number != NULL)
		json_object_set_new(o, "ksefNumber",
				    json_string(s->ksef_number));
	if (s->already_accepted)
		json_object_set_new(o, "alreadyAccepted", json_true());
	if (s->duplicate_of != NULL)
		json_object_set_new(o, "duplicateOf",
				    json_string(s->duplicate_of));
	if (s->line > 0)
		json_object_set_new(o, "line", json_integer(s->line));
	if (s->fields != NULL)
		json_object_set_new(o, "fields", s->fields);
	if (s->has_attachment >= 0)
		json_object_set_new(o, "hasAttachment",
				    json_boolean(s->has_attachment));
	if (s->error != NULL)
		json_object_set_new(o, "error", json_pack("{s:s,s:s}", "code",
			cli_failure_name(s->error_kind), "message", s->error));
	return o;
}
