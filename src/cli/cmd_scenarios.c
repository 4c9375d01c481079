/*
 * cmd_scenarios.c - `ksef scenarios list|run`: end-to-end scenarios,
 * their steps written from the official documents, run against any KSeF
 * 2.0 server (ksefd, TEST, DEMO). This file owns the table of scenarios,
 * the command line, choosing which run, and the three reports of a run:
 * PASS/FAIL lines as the steps end, one JSON document (--json), and JUnit
 * XML for CI systems (--junit FILE: a testsuite per scenario, a testcase
 * per step). The scenarios are in scenarios_*.c, what they share in
 * scenarios_kit.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "cli.h"
#include "config.h"
#include "output.h"
#include "scenarios.h"

/* Numbered after the project's S7, S8 and S12 (docs/scenarios.md). */
const struct scn_def scn_table[] = {
	{ "fa3-online", "S13", "an FA (3) invoice sent online is accepted, "
	  "with its UPO and its bytes back", "sesja-interaktywna.md",
	  scn_fa3_online },
	{ "fa2-online", "S14", "the same with an FA (2) invoice (TEST only; "
	  "DEMO takes FA (3) alone)", "sesja-interaktywna.md, srodowiska.md",
	  scn_fa2_online },
	{ "upo-fields", "S15", "the invoice's UPO and the session's UPO say "
	  "what was sent", "faktury/sesje/sesja-sprawdzenie-stanu-i-pobranie-"
	  "upo.md", scn_upo_fields },
	{ "invalid-nip", "S16", "a buyer NIP outside the schema's pattern: "
	  "invoice 450, session 445", "faktury/weryfikacja-faktury.md",
	  scn_invalid_nip },
	{ "validation", "S17", "each verification rule broken once: BOM, "
	  "encoding, processing instruction, not XML, wrong form, P_1 in "
	  "the future (450), another seller (410)",
	  "faktury/weryfikacja-faktury.md", scn_validation },
	{ "offline-mode", "S18", "offline classification: declared offline, "
	  "and online with P_1 before today, are Offline; today's is Online",
	  "offline/automatyczne-okreslanie-trybu-offline.md", scn_offline_mode },
	{ "duplicate", "S19", "the same invoice number again online: 440 "
	  "naming the first invoice's KSeF number",
	  "faktury/weryfikacja-faktury.md", scn_duplicate },
	{ "session-search", "S20", "GET /sessions with filters finds exactly "
	  "the run's sessions", "faktury/sesje/sesja-sprawdzenie-stanu-i-"
	  "pobranie-upo.md", scn_session_search },
	{ "auth-revoke", "S21", "authentication sessions listed and revoked: "
	  "the refresh token stops working", "auth/sesje.md",
	  scn_auth_revoke },
	{ "technical-correction", "S22", "an offline invoice refused, then "
	  "its technical correction accepted", "offline/korekta-techniczna.md",
	  scn_technical_correction },
	{ "second-person", "S23", "a second taxpayer granted InvoiceWrite by "
	  "test data logs into the first's context and sends (TEST only)",
	  "dane-testowe-scenariusze.md, uprawnienia.md", scn_second_person },
	{ "duplicate-batch", "S24", "duplicates across channels: online then "
	  "batch, batch then online, each 440 naming the other",
	  "faktury/weryfikacja-faktury.md, sesja-wsadowa.md",
	  scn_duplicate_batch },
};

const size_t scn_table_count = sizeof(scn_table) / sizeof(scn_table[0]);

/* Scenarios that need what only TEST has: FA (2), or test data. */
static int test_only(const struct scn_def *d)
{
	return strcmp(d->name, "fa2-online") == 0 ||
	       strcmp(d->name, "second-person") == 0;
}

const char cli_usage_scenarios[] =
"usage: ksef scenarios list [--json]\n"
"       ksef scenarios run --base-url URL | --env test|demo\n"
"                  [--only NAME,...] [--timeout SECONDS] [--json]\n"
"                  [--junit FILE]\n"
"\n"
"End-to-end scenarios written from the official documents (listed by\n"
"'ksef scenarios list', described in docs/scenarios.md), run against any\n"
"KSeF 2.0 server: a local ksefd, TEST or DEMO. Each scenario makes its\n"
"own taxpayers (random NIPs with self-signed company seals, logged in by\n"
"XAdES as the official clients' tests do on TEST), so runs never share\n"
"data on a shared environment. Each step prints PASS or FAIL; a scenario\n"
"stops at its first failed step. On DEMO, the scenarios that need TEST\n"
"(FA (2), test data) are skipped. Production is refused.\n"
"\n"
"options:\n"
"  --base-url URL     API base URL, e.g. http://127.0.0.1:8080/v2\n"
"  --env test|demo    the Ministry's environments instead of --base-url\n"
"  --config FILE      settings file (default ~/.config/ksef/config)\n"
"  --only NAME,...    run only these scenarios (in the table's order)\n"
"  --timeout SECONDS  longest wait for one verdict (default 120)\n"
"  --json             one JSON document on standard output\n"
"  --junit FILE       also write JUnit XML: a testsuite per scenario, a\n"
"                     testcase per step\n"
"\n"
"exit status: 0 every step passed, 1 a step failed, 2 usage, 3 the\n"
"report could not be written\n";

enum { OPT_ONLY = 300, OPT_TIMEOUT, OPT_JSON, OPT_JUNIT };

/* --only: each name must be a scenario's. Marks the chosen ones. */
static int choose(unsigned char *chosen, const char *only)
{
	const char *p = only;
	size_t i, n;

	if (only == NULL) {
		memset(chosen, 1, scn_table_count);
		return CLI_OK;
	}
	memset(chosen, 0, scn_table_count);
	while (*p != '\0') {
		n = strcspn(p, ",");
		for (i = 0; i < scn_table_count; i++)
			if (strlen(scn_table[i].name) == n &&
			    strncmp(scn_table[i].name, p, n) == 0)
				break;
		if (i == scn_table_count)
			return cli_fail(CLI_F_USAGE, NULL, "--only: no scenario "
					"'%.*s' ('ksef scenarios list' names "
					"them)", (int)(n > 64 ? 64 : n), p);
		chosen[i] = 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return CLI_OK;
}

static int list(int json)
{
	json_t *arr;
	size_t i;

	if (!json) {
		for (i = 0; i < scn_table_count; i++)
			printf("%-4s %-21s %s\n     %21s from %s\n",
			       scn_table[i].id, scn_table[i].name,
			       scn_table[i].title, "", scn_table[i].source);
		return CLI_OK;
	}
	arr = json_array();
	for (i = 0; i < scn_table_count; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:b}",
			"name", scn_table[i].name, "id", scn_table[i].id,
			"title", scn_table[i].title, "source",
			scn_table[i].source, "testOnly",
			test_only(&scn_table[i])));
	cli_json_print(json_pack("{s:o}", "scenarios", arr));
	return CLI_OK;
}

/*
 * Reports
 */

struct totals {
	size_t scenarios, failed_scenarios, skipped, steps, failed_steps;
	double seconds;
};

static void count(struct totals *t, const struct scn *runs,
		  const unsigned char *chosen, const unsigned char *skipped)
{
	size_t i, j;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < scn_table_count; i++) {
		if (!chosen[i])
			continue;
		t->scenarios++;
		t->skipped += skipped[i];
		t->failed_scenarios += runs[i].failed ? 1 : 0;
		t->seconds += runs[i].seconds;
		for (j = 0; j < runs[i].nsteps; j++) {
			t->steps++;
			t->failed_steps += !runs[i].steps[j].passed;
		}
	}
}

static void print_json(const char *base, const struct scn *runs,
		       const unsigned char *chosen,
		       const unsigned char *skipped)
{
	json_t *arr = json_array(), *steps, *o;
	struct totals t;
	size_t i, j;

	count(&t, runs, chosen, skipped);
	for (i = 0; i < scn_table_count; i++) {
		if (!chosen[i])
			continue;
		steps = json_array();
		for (j = 0; j < runs[i].nsteps; j++) {
			const struct scn_step *st = &runs[i].steps[j];

			o = json_pack("{s:s,s:s,s:f}", "name", st->name,
				      "result", st->passed ? "pass" : "fail",
				      "seconds", st->seconds);
			if (st->message != NULL)
				json_object_set_new(o, "message",
						    json_string(st->message));
			json_array_append_new(steps, o);
		}
		json_array_append_new(arr, json_pack(
			"{s:s,s:s,s:s,s:s,s:s,s:f,s:o}", "name",
			scn_table[i].name, "id", scn_table[i].id, "title",
			scn_table[i].title, "source", scn_table[i].source,
			"result", skipped[i] ? "skip" : runs[i].failed ?
			"fail" : "pass", "seconds", runs[i].seconds,
			"steps", steps));
	}
	cli_json_print(json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:o}",
		"baseUrl", base, "passed", t.failed_steps == 0 &&
		t.failed_scenarios == 0,
		"scenarioCount", (json_int_t)t.scenarios,
		"failedScenarios", (json_int_t)t.failed_scenarios,
		"skippedScenarios", (json_int_t)t.skipped,
		"stepCount", (json_int_t)t.steps,
		"failedSteps", (json_int_t)t.failed_steps, "scenarios", arr));
}

/* Text for an XML attribute or element: the five escapes, and the
 * control characters XML 1.0 cannot carry left out. */
static void xml_text(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (c >= 0x20 || c == '\t' || c == '\n')
				fputc(c, f);
		}
	}
}

static int write_junit(const char *path, const char *base,
		       const struct scn *runs, const unsigned char *chosen,
		       const unsigned char *skipped)
{
	struct totals t;
	size_t i, j;
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return cli_fail(CLI_F_IO, NULL, "--junit %s: cannot write it",
				path);
	count(&t, runs, chosen, skipped);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"ksef scenarios\" tests=\"%zu\" "
		"failures=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
		t.steps + t.skipped, t.failed_steps, t.skipped, t.seconds);
	for (i = 0; i < scn_table_count; i++) {
		const struct scn *r = &runs[i];
		size_t failures = 0;

		if (!chosen[i])
			continue;
		for (j = 0; j < r->nsteps; j++)
			failures += !r->steps[j].passed;
		fprintf(f, "  <testsuite name=\"%s\" id=\"%s\" tests=\"%zu\" "
			"failures=\"%zu\" errors=\"0\" skipped=\"%d\" "
			"time=\"%.3f\">\n    <properties>\n      <property "
			"name=\"title\" value=\"", scn_table[i].name,
			scn_table[i].id, r->nsteps + skipped[i], failures,
			skipped[i], r->seconds);
		xml_text(f, scn_table[i].title);
		fputs("\"/>\n      <property name=\"source\" value=\"", f);
		xml_text(f, scn_table[i].source);
		fputs("\"/>\n      <property name=\"baseUrl\" value=\"", f);
		xml_text(f, base);
		fputs("\"/>\n    </properties>\n", f);
		if (skipped[i])
			fprintf(f, "    <testcase classname=\"%s\" "
				"name=\"scenario\" time=\"0\">\n      <skipped "
				"message=\"needs the TEST environment\"/>\n"
				"    </testcase>\n", scn_table[i].name);
		for (j = 0; j < r->nsteps; j++) {
			const struct scn_step *st = &r->steps[j];

			fprintf(f, "    <testcase classname=\"%s\" name=\"",
				scn_table[i].name);
			xml_text(f, st->name);
			fprintf(f, "\" time=\"%.3f\"", st->seconds);
			if (st->passed) {
				fputs("/>\n", f);
				continue;
			}
			fputs(">\n      <failure message=\"", f);
			xml_text(f, st->message ? st->message : "failed");
			fputs("\">", f);
			xml_text(f, st->message ? st->message : "failed");
			fputs("</failure>\n    </testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	if (ferror(f) | fclose(f))
		return cli_fail(CLI_F_IO, NULL, "--junit %s: write error",
				path);
	return CLI_OK;
}

/*
 * The command
 */

static int run(const char *base, const unsigned char *chosen, long timeout_ms,
	       int demo, const char *junit)
{
	struct scn *runs = calloc(scn_table_count, sizeof(*runs));
	unsigned char skipped[sizeof(scn_table) / sizeof(scn_table[0])];
	struct totals t;
	size_t i, j;
	int json = cli_out_json(), rc = CLI_OK;

	if (runs == NULL)
		return cli_fail(CLI_F_INTERNAL, NULL, "out of memory");
	memset(skipped, 0, sizeof(skipped));
	scn_seed = (uint64_t)ksef_time_now().unix_ms * 1000003u ^
		   (uint64_t)getpid();
	for (i = 0; i < scn_table_count; i++) {
		struct scn *s = &runs[i];

		if (!chosen[i])
			continue;
		s->def = &scn_table[i];
		s->base_url = base;
		s->timeout_ms = timeout_ms;
		s->live = !json;
		s->mark_ms = ksef_time_now().unix_ms;
		if (!json)
			printf("%s %s: %s\n", s->def->id, s->def->name,
			       s->def->title);
		if (demo && test_only(s->def)) {
			skipped[i] = 1;
			if (!json)
				printf("  SKIP  needs the TEST environment\n");
			continue;
		}
		s->def->run(s);
		for (j = 0; j < s->nsteps; j++)
			s->seconds += s->steps[j].seconds;
		if (!json)
			fflush(stdout);
	}
	count(&t, runs, chosen, skipped);
	if (json)
		print_json(base, runs, chosen, skipped);
	else
		printf("%zu scenario%s: %zu passed, %zu failed, %zu skipped "
		       "(%zu of %zu steps passed)\n", t.scenarios,
		       t.scenarios == 1 ? "" : "s", t.scenarios -
		       t.failed_scenarios - t.skipped, t.failed_scenarios,
		       t.skipped, t.steps - t.failed_steps, t.steps);
	if (junit != NULL)
		rc = write_junit(junit, base, runs, chosen, skipped);
	if (rc == CLI_OK && (t.failed_steps > 0 || t.failed_scenarios > 0))
		rc = CLI_REJECTED;
	for (i = 0; i < scn_table_count; i++)
		scn_dispose(&runs[i]);
	free(runs);
	return rc;
}

int cmd_scenarios(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, CLI_OPT_CONFIG },
		{ "env", required_argument, NULL, CLI_OPT_ENV },
		{ "base-url", required_argument, NULL, CLI_OPT_BASE_URL },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "junit", required_argument, NULL, OPT_JUNIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char chosen[sizeof(scn_table) / sizeof(scn_table[0])];
	struct cli_settings set = { 0 };
	struct cli_config cfg = { 0 };
	const char *only = NULL, *junit = NULL, *env;
	ksef_error err = { 0, 0, "" };
	int c, rc, timeout_s = 120, is_list = strcmp(argv[0], "list") == 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(cli_usage_scenarios, stdout);
			return CLI_OK;
		}
		if (c == '?') {
			fputs(cli_usage_scenarios, stderr);
			return CLI_USAGE;
		}
		if (is_list && c != OPT_JSON)
			return cli_fail(CLI_F_USAGE, NULL, "scenarios list "
					"takes only --json");
		if (cli_settings_option(&set, c, optarg))
			continue;
		switch (c) {
		case OPT_ONLY: only = optarg; break;
		case OPT_JUNIT: junit = optarg; break;
		case OPT_TIMEOUT:
			if (cli_parse_seconds(&timeout_s, optarg, 3600) != 0)
				return cli_fail(CLI_F_USAGE, NULL, "--timeout "
						"must be 1 to 3600 seconds");
			break;
		default: break; /* --json: main.c saw it */
		}
	}
	if (optind < argc)
		return cli_fail(CLI_F_USAGE, NULL, "unexpected '%s'",
				argv[optind]);
	if (is_list)
		return list(cli_out_json());
	if ((rc = choose(chosen, only)) != CLI_OK)
		return rc;
	/* Production is refused below with the reason that matters here,
	 * not for want of --allow-production. */
	set.allow_production = 1;
	if ((rc = cli_config_resolve(&cfg, &set, 1, &err)) != CLI_OK) {
		rc = cli_fail(rc == CLI_USAGE ? CLI_F_USAGE : CLI_F_IO, NULL,
			      "%s", err.message);
		goto out;
	}
	env = cli_url_not_test(cfg.base_url);
	if (env != NULL && strcmp(env, "PRD") == 0) {
		rc = cli_fail(CLI_F_USAGE, NULL, "the scenarios send invoices; "
			      "%s is production, where they would be real",
			      cfg.base_url);
		goto out;
	}
	rc = run(cfg.base_url, chosen, (long)timeout_s * 1000,
		 env != NULL, junit);
out:
	cli_config_dispose(&cfg);
	return rc;
}
