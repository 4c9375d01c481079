/*
 * cmd_limits.c - `ksef limits`: the limits in force for the context and
 * subject of the login `ksef auth login` saved (GET /limits/context,
 * /limits/subject and /rate-limits), and the TEST environment's calls
 * that change them: `set session|certificate|rate`, `reset
 * session|certificate|rate` and `production`. A setter changes only the
 * values given: the rest are read from the server first and sent back as
 * they were, since the contract's requests carry every value. The calls
 * are libksef's (client_limits.h); the login is login.c's, and which
 * environments have no test data config.c's.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "config.h"
#include "output.h"
#include "util/util.h"

const char cli_usage_limits[] =
"usage: ksef limits [--json] [--state FILE]\n"
"       ksef limits set session [--online-session] [--batch-session]\n"
"                  [--max-invoice-size-in-mb MB]\n"
"                  [--max-invoice-with-attachment-size-in-mb MB]\n"
"                  [--max-invoices N]\n"
"       ksef limits set certificate [--max-enrollments N]\n"
"                  [--max-certificates N] [--subject-identifier-type T]\n"
"       ksef limits set rate --group GROUP [--per-second N]\n"
"                  [--per-minute N] [--per-hour N]\n"
"       ksef limits reset session|certificate|rate\n"
"       ksef limits production\n"
"\n"
"Without a subcommand, shows the limits in force for the logged-in\n"
"context and subject: the session limits, the certificate limits and the\n"
"rate limits of each group of endpoints. set, reset and production are\n"
"the TEST environment's (refused on DEMO and PRD): set changes only the\n"
"values given and keeps the others as the server reports them, reset\n"
"puts the defaults back, production holds the context to the production\n"
"rate limits.\n"
"\n"
"options:\n"
"  --online-session, --batch-session  set session: which kind of session\n"
"                     (default both)\n"
"  --max-invoice-size-in-mb MB                 0 to 5\n"
"  --max-invoice-with-attachment-size-in-mb MB 0 to 10\n"
"  --max-invoices N                            0 to 100000\n"
"  --max-enrollments N, --max-certificates N   set certificate\n"
"  --subject-identifier-type Nip|Pesel|Fingerprint\n"
"  --group GROUP      set rate: onlineSession, batchSession, invoiceSend,\n"
"                     invoiceStatus, sessionList, sessionInvoiceList,\n"
"                     sessionMisc, invoiceMetadata, invoiceExport,\n"
"                     invoiceExportStatus, invoiceDownload or other\n"
"  --per-second N, --per-minute N, --per-hour N   set rate: at least 1\n"
"  --json             JSON on standard output, also when it fails\n"
"  --state FILE       the state file (default $KSEF_STATE or\n"
"                     ~/.local/state/ksef/auth.json)\n"
"\n"
"exit status: 0 done, 1 refused by KSeF or not logged in, 2 usage,\n"
"3 could not run\n";

enum { OPT_JSON = 300, OPT_ONLINE, OPT_BATCH, OPT_SIZE, OPT_ATT_SIZE,
       OPT_INVOICES, OPT_ENROLLMENTS, OPT_CERTIFICATES, OPT_SUBJECT_TYPE,
       OPT_GROUP, OPT_PER_SECOND, OPT_PER_MINUTE, OPT_PER_HOUR };

/* What to do, from the words after `limits`. */
enum action { SHOW, SET_SESSION, SET_CERTIFICATE, SET_RATE, RESET_SESSION,
	      RESET_CERTIFICATE, RESET_RATE, PRODUCTION };

/* A value not given on the command line. */
#define UNSET INT64_MIN

struct limits_opts {
	const char *state, *subject_type, *group;
	int online, batch;
	int64_t size, att_size, invoices;       /* set session */
	int64_t enrollments, certificates;      /* set certificate */
	int64_t per_second, per_minute, per_hour; /* set rate */
};

/* The options each action takes. */
static int allowed(enum action a, int opt)
{
	switch (opt) {
	case CLI_OPT_STATE:
	case OPT_JSON:
		return 1;
	case OPT_ONLINE: case OPT_BATCH: case OPT_SIZE: case OPT_ATT_SIZE:
	case OPT_INVOICES:
		return a == SET_SESSION;
	case OPT_ENROLLMENTS: case OPT_CERTIFICATES: case OPT_SUBJECT_TYPE:
		return a == SET_CERTIFICATE;
	case OPT_GROUP: case OPT_PER_SECOND: case OPT_PER_MINUTE:
	case OPT_PER_HOUR:
		return a == SET_RATE;
	default:
		return 0;
	}
}

static int parse_action(enum action *out, int n, char **words)
{
	static const struct {
		const char *verb, *what;
		enum action a;
	} table[] = {
		{ "set", "session", SET_SESSION },
		{ "set", "certificate", SET_CERTIFICATE },
		{ "set", "rate", SET_RATE },
		{ "reset", "session", RESET_SESSION },
		{ "reset", "certificate", RESET_CERTIFICATE },
		{ "reset", "rate", RESET_RATE },
	};
	size_t i;

	if (n == 0) {
		*out = SHOW;
		return CLI_OK;
	}
	if (n == 1 && strcmp(words[0], "production") == 0) {
		*out = PRODUCTION;
		return CLI_OK;
	}
	for (i = 0; n == 2 && i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(words[0], table[i].verb) == 0 &&
		    strcmp(words[1], table[i].what) == 0) {
			*out = table[i].a;
			return CLI_OK;
		}
	if (n >= 1 && (strcmp(words[0], "set") == 0 ||
		       strcmp(words[0], "reset") == 0) && n < 3)
		return cli_fail(CLI_F_USAGE, NULL, "%s needs one of session, "
				"certificate or rate", words[0]);
	return cli_fail(CLI_F_USAGE, NULL, "unexpected '%s': the "
			"subcommands are set, reset and production",
			words[n > 2 ? 2 : n - 1]);
}

/* A count option: a whole number 0 to INT32_MAX; its bounds are the
 * library's to check, which names the field. */
static int count_arg(int64_t *out, const char *name, const char *arg)
{
	if (util_parse_i64(out, arg, 0, INT64_C(2147483647)) != 0)
		return cli_fail(CLI_F_USAGE, NULL, "--%s must be a whole "
				"number, not '%.20s'", name, arg);
	return CLI_OK;
}

/* Report a failed call: a 404 from the test-data paths means the server
 * has none (DEMO, PRD, or ksefd --profile production). */
static int call_failed(ksef_client *c, int code, const ksef_error *err)
{
	const ksef_api_error *api = ksef_client_last_error(c);
	int rc = cli_fail_ksef(code, api, "%s", err->message);

	if (code == KSEF_EHTTP && api != NULL && api->http_status == 404)
		cli_hint("the server has no test data (404): these calls exist "
			 "only on the TEST environment, and not on ksefd "
			 "--profile production");
	return rc;
}

/*
 * Showing the limits
 */

static json_t *session_json(const ksef_api_session_limits *l)
{
	return json_pack("{s:I,s:I,s:I}",
		"maxInvoiceSizeInMB", (json_int_t)l->max_invoice_size_in_mb,
		"maxInvoiceWithAttachmentSizeInMB",
		(json_int_t)l->max_invoice_with_attachment_size_in_mb,
		"maxInvoices", (json_int_t)l->max_invoices);
}

/* A nullable part of EffectiveSubjectLimits: {member: v}, or null. */
static json_t *part_json(const char *member, int64_t v)
{
	return v < 0 ? json_null() : json_pack("{s:I}", member, (json_int_t)v);
}

static void print_session(const char *kind, const ksef_api_session_limits *l)
{
	printf("  %-16s invoice %lld MB, with attachment %lld MB, %lld "
	       "invoices\n", kind, (long long)l->max_invoice_size_in_mb,
	       (long long)l->max_invoice_with_attachment_size_in_mb,
	       (long long)l->max_invoices);
}

static void print_count(const char *what, int64_t v)
{
	if (v < 0)
		printf("  %-16s (not reported)\n", what);
	else
		printf("  %-16s %lld\n", what, (long long)v);
}

static int show(ksef_client *c, struct cli_login *l)
{
	ksef_api_context_limits *cl = NULL;
	ksef_api_subject_limits *sl = NULL;
	ksef_api_rate_limits *rl = NULL;
	ksef_context_type type;
	const char *ctx = ksef_conn_context(&type, l->conn);
	ksef_error err = { 0, 0, "" };
	json_t *rates;
	size_t i;
	int error, rc = CLI_OK;

	if ((error = ksef_client_limits_context(&cl, c, &err)) != 0 ||
	    (error = ksef_client_limits_subject(&sl, c, &err)) != 0 ||
	    (error = ksef_client_limits_rate(&rl, c, &err)) != 0) {
		/* Not the setters' 404: every environment has these. */
		rc = cli_fail_ksef(error, ksef_client_last_error(c), "%s",
				   err.message);
		goto out;
	}
	if (cli_out_json()) {
		rates = json_object();
		for (i = 0; i < ksef_api_rate_limits_count(rl); i++) {
			const ksef_api_rate_limit *g =
				ksef_api_rate_limits_at(rl, i);

			json_object_set_new(rates, g->group, json_pack(
				"{s:I,s:I,s:I}", "perSecond",
				(json_int_t)g->per_second, "perMinute",
				(json_int_t)g->per_minute, "perHour",
				(json_int_t)g->per_hour));
		}
		cli_json_print(json_pack("{s:{s:s,s:s},s:{s:o,s:o},s:{s:o,s:o},"
			"s:o}", "contextIdentifier", "type",
			cli_context_name(type), "value", ctx, "contextLimits",
			"onlineSession", session_json(cl->online_session),
			"batchSession", session_json(cl->batch_session),
			"subjectLimits", "enrollment",
			part_json("maxEnrollments", sl->max_enrollments),
			"certificate",
			part_json("maxCertificates", sl->max_certificates),
			"rateLimits", rates));
		goto out;
	}
	printf("session limits of context %s %s:\n", cli_context_name(type),
	       ctx);
	print_session("online session", cl->online_session);
	print_session("batch session", cl->batch_session);
	printf("certificate limits of the subject:\n");
	print_count("enrollments", sl->max_enrollments);
	print_count("certificates", sl->max_certificates);
	printf("rate limits (per second / minute / hour):\n");
	for (i = 0; i < ksef_api_rate_limits_count(rl); i++) {
		const ksef_api_rate_limit *g = ksef_api_rate_limits_at(rl, i);

		printf("  %-20s %lld / %lld / %lld\n", g->group,
		       (long long)g->per_second, (long long)g->per_minute,
		       (long long)g->per_hour);
	}
out:
	ksef_api_context_limits_free(cl);
	ksef_api_subject_limits_free(sl);
	ksef_api_rate_limits_free(rl);
	return rc;
}

/*
 * Changing them
 */

/* Take v when it was given. */
static void take(int *dst, int64_t v)
{
	if (v != UNSET)
		*dst = (int)v;
}

static json_t *values_json(const ksef_session_limit_values *v)
{
	return json_pack("{s:i,s:i,s:i}", "maxInvoiceSizeInMB",
			 v->max_invoice_size_in_mb,
			 "maxInvoiceWithAttachmentSizeInMB",
			 v->max_invoice_with_attachment_size_in_mb,
			 "maxInvoices", v->max_invoices);
}

static int set_session(ksef_client *c, const struct limits_opts *o)
{
	ksef_client_session_limits in = KSEF_CLIENT_SESSION_LIMITS_INIT;
	ksef_api_context_limits *now = NULL;
	ksef_session_limit_values *kinds[2] = { &in.online_session,
						&in.batch_session };
	const ksef_api_session_limits *had[2];
	ksef_error err = { 0, 0, "" };
	int error, k, both = !o->online && !o->batch;

	if (o->size == UNSET && o->att_size == UNSET && o->invoices == UNSET)
		return cli_fail(CLI_F_USAGE, NULL, "set session needs "
				"--max-invoice-size-in-mb, "
				"--max-invoice-with-attachment-size-in-mb or "
				"--max-invoices");
	if ((error = ksef_client_limits_context(&now, c, &err)) != 0)
		return call_failed(c, error, &err);
	had[0] = now->online_session;
	had[1] = now->batch_session;
	for (k = 0; k < 2; k++) {
		kinds[k]->max_invoice_size_in_mb =
			(int)had[k]->max_invoice_size_in_mb;
		kinds[k]->max_invoice_with_attachment_size_in_mb =
			(int)had[k]->max_invoice_with_attachment_size_in_mb;
		kinds[k]->max_invoices = (int)had[k]->max_invoices;
		if (!both && !(k == 0 ? o->online : o->batch))
			continue;
		take(&kinds[k]->max_invoice_size_in_mb, o->size);
		take(&kinds[k]->max_invoice_with_attachment_size_in_mb,
		     o->att_size);
		take(&kinds[k]->max_invoices, o->invoices);
	}
	ksef_api_context_limits_free(now);
	if ((error = ksef_client_limits_session_set(c, &in, &err)) != 0)
		return call_failed(c, error, &err);
	if (cli_out_json()) {
		cli_json_print(json_pack("{s:o,s:o}", "onlineSession",
			values_json(&in.online_session), "batchSession",
			values_json(&in.batch_session)));
		return CLI_OK;
	}
	printf("session limits set:\n");
	for (k = 0; k < 2; k++)
		printf("  %-16s invoice %d MB, with attachment %d MB, %d "
		       "invoices\n", k == 0 ? "online session" :
		       "batch session", kinds[k]->max_invoice_size_in_mb,
		       kinds[k]->max_invoice_with_attachment_size_in_mb,
		       kinds[k]->max_invoices);
	return CLI_OK;
}

static int set_certificate(ksef_client *c, const struct limits_opts *o)
{
	ksef_client_subject_limits in = KSEF_CLIENT_SUBJECT_LIMITS_INIT;
	ksef_error err = { 0, 0, "" };
	int error;

	if (o->enrollments == UNSET && o->certificates == UNSET)
		return cli_fail(CLI_F_USAGE, NULL, "set certificate needs "
				"--max-enrollments or --max-certificates");
	in.subject_identifier_type = o->subject_type;
	if (o->enrollments != UNSET)
		in.max_enrollments = o->enrollments;
	if (o->certificates != UNSET)
		in.max_certificates = o->certificates;
	if ((error = ksef_client_limits_certificate_set(c, &in, &err)) != 0)
		return call_failed(c, error, &err);
	if (cli_out_json()) {
		cli_json_print(json_pack("{s:o,s:o}", "enrollment",
			part_json("maxEnrollments", in.max_enrollments),
			"certificate",
			part_json("maxCertificates", in.max_certificates)));
		return CLI_OK;
	}
	printf("certificate limits set:");
	if (in.max_enrollments >= 0)
		printf(" enrollments %lld", (long long)in.max_enrollments);
	if (in.max_certificates >= 0)
		printf(" certificates %lld", (long long)in.max_certificates);
	putchar('\n');
	return CLI_OK;
}

static int set_rate(ksef_client *c, const struct limits_opts *o)
{
	ksef_client_rate_limits in = KSEF_CLIENT_RATE_LIMITS_INIT;
	ksef_api_rate_limits *now = NULL;
	ksef_rate_limit_values *v;
	ksef_error err = { 0, 0, "" };
	size_t i;
	int error;

	if (o->group == NULL)
		return cli_fail(CLI_F_USAGE, NULL, "set rate needs --group "
				"(see --help for the groups)");
	if ((v = ksef_client_rate_limits_group(&in, o->group)) == NULL)
		return cli_fail(CLI_F_USAGE, NULL, "unknown group '%.40s' (see "
				"--help for the groups)", o->group);
	if (o->per_second == UNSET && o->per_minute == UNSET &&
	    o->per_hour == UNSET)
		return cli_fail(CLI_F_USAGE, NULL, "set rate needs "
				"--per-second, --per-minute or --per-hour");
	/* Every group is sent: the others as the server has them now. */
	if ((error = ksef_client_limits_rate(&now, c, &err)) != 0)
		return call_failed(c, error, &err);
	for (i = 0; i < ksef_api_rate_limits_count(now); i++) {
		const ksef_api_rate_limit *g = ksef_api_rate_limits_at(now, i);
		ksef_rate_limit_values *dst =
			ksef_client_rate_limits_group(&in, g->group);

		if (dst != NULL) {
			dst->per_second = (int)g->per_second;
			dst->per_minute = (int)g->per_minute;
			dst->per_hour = (int)g->per_hour;
		}
	}
	ksef_api_rate_limits_free(now);
	take(&v->per_second, o->per_second);
	take(&v->per_minute, o->per_minute);
	take(&v->per_hour, o->per_hour);
	if ((error = ksef_client_rate_limits_set(c, &in, &err)) != 0)
		return call_failed(c, error, &err);
	if (cli_out_json())
		cli_json_print(json_pack("{s:{s:i,s:i,s:i}}", o->group,
			"perSecond", v->per_second, "perMinute",
			v->per_minute, "perHour", v->per_hour));
	else
		printf("rate limits of %s set: %d / %d / %d per second / "
		       "minute / hour\n", o->group, v->per_second,
		       v->per_minute, v->per_hour);
	return CLI_OK;
}

/* The resets and the production switch: one call each. */
static int bare(ksef_client *c, enum action a)
{
	static const char *const said[] = {
		[RESET_SESSION] = "session limits are the defaults again",
		[RESET_CERTIFICATE] = "certificate limits are the defaults "
				      "again",
		[RESET_RATE] = "rate limits are the defaults again",
		[PRODUCTION] = "rate limits are the production ones",
	};
	static const char *const names[] = {
		[RESET_SESSION] = "session", [RESET_CERTIFICATE] = "certificate",
		[RESET_RATE] = "rate", [PRODUCTION] = "production",
	};
	ksef_error err = { 0, 0, "" };
	int error;

	switch (a) {
	case RESET_SESSION:
		error = ksef_client_limits_session_reset(c, &err);
		break;
	case RESET_CERTIFICATE:
		error = ksef_client_limits_certificate_reset(c, &err);
		break;
	case RESET_RATE:
		error = ksef_client_rate_limits_reset(c, &err);
		break;
	default:
		error = ksef_client_rate_limits_production(c, &err);
		break;
	}
	if (error != 0)
		return call_failed(c, error, &err);
	if (cli_out_json())
		cli_json_print(json_pack("{s:s}", a == PRODUCTION ?
					 "rateLimits" : "reset", names[a]));
	else
		printf("%s\n", said[a]);
	return CLI_OK;
}

int cmd_limits(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "online-session", no_argument, NULL, OPT_ONLINE },
		{ "batch-session", no_argument, NULL, OPT_BATCH },
		{ "max-invoice-size-in-mb", required_argument, NULL, OPT_SIZE },
		{ "max-invoice-with-attachment-size-in-mb", required_argument,
		  NULL, OPT_ATT_SIZE },
		{ "max-invoices", required_argument, NULL, OPT_INVOICES },
		{ "max-enrollments", required_argument, NULL,
		  OPT_ENROLLMENTS },
		{ "max-certificates", required_argument, NULL,
		  OPT_CERTIFICATES },
		{ "subject-identifier-type", required_argument, NULL,
		  OPT_SUBJECT_TYPE },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "per-second", required_argument, NULL, OPT_PER_SECOND },
		{ "per-minute", required_argument, NULL, OPT_PER_MINUTE },
		{ "per-hour", required_argument, NULL, OPT_PER_HOUR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct limits_opts o = { NULL, NULL, NULL, 0, 0, UNSET, UNSET, UNSET,
				 UNSET, UNSET, UNSET, UNSET, UNSET };
	struct cli_login l = CLI_LOGIN_INIT;
	ksef_client *client = NULL;
	const char *env;
	enum action a = SHOW;
	int c, rc, seen[64], nseen = 0, i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(cli_usage_limits, stdout);
			return CLI_OK;
		}
		if (c == '?') {
			fputs(cli_usage_limits, stderr);
			return CLI_USAGE;
		}
		/* Checked against the action once the words are known. */
		if (nseen < (int)(sizeof(seen) / sizeof(seen[0])))
			seen[nseen++] = c;
		rc = CLI_OK;
		switch (c) {
		case CLI_OPT_STATE: o.state = optarg; break;
		case OPT_ONLINE: o.online = 1; break;
		case OPT_BATCH: o.batch = 1; break;
		case OPT_SIZE:
			rc = count_arg(&o.size, "max-invoice-size-in-mb",
				       optarg);
			break;
		case OPT_ATT_SIZE:
			rc = count_arg(&o.att_size,
				"max-invoice-with-attachment-size-in-mb",
				optarg);
			break;
		case OPT_INVOICES:
			rc = count_arg(&o.invoices, "max-invoices", optarg);
			break;
		case OPT_ENROLLMENTS:
			rc = count_arg(&o.enrollments, "max-enrollments",
				       optarg);
			break;
		case OPT_CERTIFICATES:
			rc = count_arg(&o.certificates, "max-certificates",
				       optarg);
			break;
		case OPT_SUBJECT_TYPE: o.subject_type = optarg; break;
		case OPT_GROUP: o.group = optarg; break;
		case OPT_PER_SECOND:
			rc = count_arg(&o.per_second, "per-second", optarg);
			break;
		case OPT_PER_MINUTE:
			rc = count_arg(&o.per_minute, "per-minute", optarg);
			break;
		case OPT_PER_HOUR:
			rc = count_arg(&o.per_hour, "per-hour", optarg);
			break;
		default: break; /* --json: main.c saw it */
		}
		if (rc != CLI_OK)
			return rc;
	}
	if ((rc = parse_action(&a, argc - optind, argv + optind)) != CLI_OK)
		return rc;
	for (i = 0; i < nseen; i++)
		if (!allowed(a, seen[i])) {
			for (c = 0; longopts[c].name != NULL; c++)
				if (longopts[c].val == seen[i])
					break;
			return cli_fail(CLI_F_USAGE, NULL, "--%s does not go "
					"with this subcommand (see --help)",
					longopts[c].name ? longopts[c].name :
					"?");
		}
	if ((rc = cli_login_load(&l, o.state)) != CLI_OK)
		goto out;
	env = cli_url_not_test(ksef_conn_base_url(l.conn));
	if (a != SHOW && env != NULL) {
		rc = cli_fail(CLI_F_USAGE, NULL, "the limits are changed only "
			      "on the TEST environment; the login is to %s "
			      "(%s)", env, ksef_conn_base_url(l.conn));
		goto out;
	}
	if ((rc = cli_login_client(&client, &l)) != CLI_OK)
		goto out;
	switch (a) {
	case SHOW: rc = show(client, &l); break;
	case SET_SESSION: rc = set_session(client, &o); break;
	case SET_CERTIFICATE: rc = set_certificate(client, &o); break;
	case SET_RATE: rc = set_rate(client, &o); break;
	default: rc = bare(client, a); break;
	}
	/* A token renewed on the way is kept for the next command. */
	if (cli_login_save(&l) != CLI_OK && rc == CLI_OK)
		rc = CLI_FAILED;
out:
	ksef_client_free(client);
	cli_login_dispose(&l);
	return rc;
}
