/*
 * faults_plan_test.c - the fault plan (faults_plan.c): refusals first (not
 * JSON, the wrong shape, an unknown field or action, a field the action
 * does not take, values out of range, a route that names nothing, an id
 * used twice, a plan over the size limit), then which rule fires: filters
 * by route, group, context and session, the nth match, a count, a
 * probability drawn from the seed (the same seed, the same requests), and
 * the stages kept apart.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "faults_plan.h"
#include "router.h"

#define SEND "/sessions/online/{ref}/invoices"

static fault_plan *parse_ok(const char *text)
{
	char why[FAULTS_WHY_SZ];
	fault_plan *p = NULL;

	if (faults_plan_parse(&p, text, strlen(text), router_known, why) != 0)
		fail_msg("refused: %s", why);
	return p;
}

/* The reason a plan is refused with, which must name `part`. */
static void refused(const char *text, const char *part)
{
	char why[FAULTS_WHY_SZ] = "";
	fault_plan *p = NULL;

	if (faults_plan_parse(&p, text, strlen(text), router_known,
			      why) == 0)
		fail_msg("accepted: %s", text);
	assert_null(p);
	if (strstr(why, part) == NULL)
		fail_msg("reason \"%s\" does not name \"%s\"", why, part);
}

static void bad_plans_are_refused_with_their_reason(void **state)
{
	static const struct { const char *text, *part; } cases[] = {
		{ "", "line" },
		{ "{", "line" },
		{ "[]", "JSON object" },
		{ "{\"rules\": {}}", "rules must be a list" },
		{ "{}", "rules must be a list" },
		{ "{\"rules\": [], \"extra\": 1}", "unknown field \"extra\"" },
		{ "{\"seed\": -1, \"rules\": []}", "seed" },
		{ "{\"seed\": 1.5, \"rules\": []}", "seed" },
		{ "{\"rules\": [1]}", "rules[0]: not an object" },
		{ "{\"rules\": [{\"action\": \"drop\"}]}", "rules[0]: id" },
		{ "{\"rules\": [{\"id\": \"a b\", \"action\": \"drop\"}]}",
		  "rules[0]: id" },
		{ "{\"rules\": [{\"id\": \"a\"}]}", "action is required" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"explode\"}]}",
		  "unknown action \"explode\"" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"drop\", "
		  "\"rout\": \"/x\"}]}", "unknown field \"rout\"" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"drop\", "
		  "\"status\": 502}]}", "drop takes no \"status\"" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"store_failure\", "
		  "\"route\": \"POST " SEND "\"}]}",
		  "store_failure takes no \"route\"" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"status\"}]}",
		  "needs a status" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"status\", "
		  "\"status\": 200}]}", "status must be 400" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"status\", "
		  "\"status\": 600}]}", "status must be 400" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"status\", "
		  "\"status\": 502, \"body\": \"xml\"}]}", "body must be" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"delay\"}]}",
		  "needs delay_ms" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"delay\", "
		  "\"hold_ms\": 5}]}", "delay takes no \"hold_ms\"" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"delay\", "
		  "\"delay_ms\": 0}]}", "delay_ms must be 1" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"rate_limit\"}]}",
		  "needs retry_after" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"rate_limit\", "
		  "\"retry_after\": 0}]}", "retry_after must be" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"drop\", "
		  "\"probability\": 0}]}", "probability" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"drop\", "
		  "\"probability\": 1.5}]}", "probability" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"drop\", "
		  "\"count\": 0}]}", "count must be" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"drop\", "
		  "\"nth\": \"2\"}]}", "nth must be" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"drop\", "
		  "\"when\": \"during\"}]}", "when must be" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"drop\", "
		  "\"group\": \"everything\"}]}", "unknown group" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"drop\", "
		  "\"route\": \"POST /sessions/online/{ref}/invoice\"}]}",
		  "names no route" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"drop\", "
		  "\"route\": \"GET " SEND "\"}]}", "names no route" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"drop\", "
		  "\"route\": \"sessions\"}]}", "route must be" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": "
		  "\"session_unavailable\", \"route\": \"POST "
		  "/sessions/online\"}]}", "sends only" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": "
		  "\"session_unavailable\", \"group\": \"auth\"}]}",
		  "sends only" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"drop\"}, "
		  "{\"id\": \"a\", \"action\": \"delay\", \"delay_ms\": 1}]}",
		  "used twice" },
		{ "{\"rules\": [{\"id\": \"a\", \"action\": \"drop\", "
		  "\"id\": \"b\"}]}", "line" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		refused(cases[i].text, cases[i].part);
}

static void a_plan_over_the_size_limit_is_refused(void **state)
{
	size_t len = FAULTS_PLAN_MAX_BYTES + 1;
	char *text = malloc(len + 1), why[FAULTS_WHY_SZ];
	fault_plan *p = NULL;

	(void)state;
	assert_non_null(text);
	memset(text, ' ', len);
	text[0] = '{';
	text[len - 1] = '}';
	text[len] = '\0';
	assert_int_equal(faults_plan_parse(&p, text, len, NULL, why), -1);
	assert_non_null(strstr(why, "over the limit"));
	free(text);
}

static void too_many_rules_are_refused(void **state)
{
	char text[8192];
	size_t n = 0;
	int i;

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "{\"rules\": [");
	for (i = 0; i <= FAULTS_MAX_RULES; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
			"%s{\"id\": \"r%d\", \"action\": \"drop\"}",
			i ? "," : "", i);
	snprintf(text + n, sizeof(text) - n, "]}");
	refused(text, "at most");
}

static struct fault_probe at(const char *method, const char *route,
			     const char *ctx, const char *session)
{
	struct fault_probe p = { FAULT_AT_DISPATCH, method, route, ctx,
				 session };

	return p;
}

static void rules_match_by_route_group_context_and_session(void **state)
{
	fault_plan *p = parse_ok("{\"rules\": ["
		"{\"id\": \"ctx\", \"action\": \"drop\", \"context\": "
		"\"1111111111\"},"
		"{\"id\": \"ses\", \"action\": \"drop\", \"session\": \"S1\"},"
		"{\"id\": \"route\", \"action\": \"drop\", \"route\": "
		"\"POST " SEND "\"},"
		"{\"id\": \"anymethod\", \"action\": \"drop\", \"route\": "
		"\"/sessions/{ref}\"},"
		"{\"id\": \"status\", \"action\": \"hold\", \"hold_ms\": 5, "
		"\"group\": \"status\"},"
		"{\"id\": \"auth\", \"action\": \"drop\", \"group\": "
		"\"auth\"}]}");
	struct fault_effect e;
	struct fault_probe pr;

	(void)state;
	pr = at("GET", "/tokens", "1111111111", NULL);
	assert_int_equal(faults_plan_match(p, &pr, &e), 1);
	assert_string_equal(e.id, "ctx");
	pr = at("GET", "/tokens", "2222222222", "S1");
	assert_int_equal(faults_plan_match(p, &pr, &e), 1);
	assert_string_equal(e.id, "ses");
	pr = at("POST", SEND, "2222222222", "S2");
	assert_int_equal(faults_plan_match(p, &pr, &e), 1);
	assert_string_equal(e.id, "route");
	pr = at("GET", "/sessions/{ref}", NULL, "S2");
	assert_int_equal(faults_plan_match(p, &pr, &e), 1);
	assert_string_equal(e.id, "anymethod");
	pr = at("GET", "/sessions/{ref}/invoices/{iref}", NULL, "S2");
	assert_int_equal(faults_plan_match(p, &pr, &e), 1);
	assert_string_equal(e.id, "status");
	assert_int_equal(e.action, FAULT_HOLD);
	assert_int_equal(e.ms, 5);
	pr = at("POST", "/auth/challenge", NULL, NULL);
	assert_int_equal(faults_plan_match(p, &pr, &e), 1);
	assert_string_equal(e.id, "auth");
	/* /authx would not be in group auth; nothing else matches. */
	pr = at("GET", "/limits/context", "2222222222", NULL);
	assert_int_equal(faults_plan_match(p, &pr, &e), 0);
	faults_plan_free(p);
}

static void nth_and_count_pick_which_matches_fire(void **state)
{
	fault_plan *p = parse_ok("{\"rules\": [{\"id\": \"third\", "
		"\"action\": \"status\", \"status\": 502, \"body\": \"html\", "
		"\"nth\": 3, \"count\": 2, \"group\": \"send\"}]}");
	struct fault_probe pr = at("POST", SEND, "1111111111", "S");
	struct fault_effect e;
	int fired[7], i;

	(void)state;
	for (i = 0; i < 7; i++)
		fired[i] = faults_plan_match(p, &pr, &e);
	/* the 3rd and 4th sends, then the count is spent */
	assert_int_equal(fired[0], 0);
	assert_int_equal(fired[1], 0);
	assert_int_equal(fired[2], 1);
	assert_int_equal(fired[3], 1);
	assert_int_equal(fired[4], 0);
	assert_int_equal(fired[6], 0);
	assert_int_equal(faults_plan_rule_fired(p, 0), 2);
	assert_int_equal(e.status, 502);
	assert_int_equal(e.html, 1);
	/* a request outside the rule does not count as a match */
	faults_plan_free(p);
	p = parse_ok("{\"rules\": [{\"id\": \"second\", \"action\": "
		"\"drop\", \"nth\": 2, \"count\": 1, \"group\": \"send\"}]}");
	pr = at("GET", "/sessions", NULL, NULL);
	assert_int_equal(faults_plan_match(p, &pr, &e), 0);
	pr = at("POST", SEND, NULL, "S");
	assert_int_equal(faults_plan_match(p, &pr, &e), 0);
	assert_int_equal(faults_plan_match(p, &pr, &e), 1);
	assert_int_equal(e.fired, 1);
	faults_plan_free(p);
}

/* Which of 200 sends a rule of probability 0.3 fires on, as a bitmap. */
static void draws(const char *seed, unsigned char out[200], int *hits)
{
	char text[256];
	fault_plan *p;
	struct fault_probe pr = at("POST", SEND, NULL, "S");
	struct fault_effect e;
	int i;

	snprintf(text, sizeof(text), "{\"seed\": %s, \"rules\": [{\"id\": "
		 "\"p\", \"action\": \"drop\", \"probability\": 0.3}]}", seed);
	p = parse_ok(text);
	*hits = 0;
	for (i = 0; i < 200; i++) {
		out[i] = (unsigned char)faults_plan_match(p, &pr, &e);
		*hits += out[i];
	}
	faults_plan_free(p);
}

static void a_probability_is_reproducible_from_its_seed(void **state)
{
	unsigned char a[200], b[200], c[200];
	int ha, hb, hc;

	(void)state;
	draws("42", a, &ha);
	draws("42", b, &hb);
	draws("43", c, &hc);
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(ha, hb);
	assert_true(memcmp(a, c, sizeof(a)) != 0);
	/* 0.3 of 200 is 60; a fair draw lands well within 30..90 */
	assert_in_range(ha, 30, 90);
	assert_in_range(hc, 30, 90);
}

static void the_first_rule_that_fires_wins_and_stages_stay_apart(void **state)
{
	fault_plan *p = parse_ok("{\"rules\": ["
		"{\"id\": \"v\", \"action\": \"fail_verification\", "
		"\"status\": 450, \"detail\": \"Zły NIP\", \"count\": 1},"
		"{\"id\": \"s\", \"action\": \"store_failure\", \"session\": "
		"\"S\"},"
		"{\"id\": \"one\", \"action\": \"delay\", \"delay_ms\": 10, "
		"\"count\": 1},"
		"{\"id\": \"two\", \"action\": \"session_unavailable\"}]}");
	struct fault_probe pr = at("POST", SEND, NULL, "S");
	struct fault_probe verify = { FAULT_AT_VERIFY, NULL, NULL, "1",
				      "S" };
	struct fault_probe write = { FAULT_AT_STORE, NULL, NULL, "1", "T" };
	struct fault_effect e;

	(void)state;
	assert_int_equal(faults_plan_match(p, &pr, &e), 1);
	assert_string_equal(e.id, "one");
	assert_int_equal(faults_plan_match(p, &pr, &e), 1);
	assert_string_equal(e.id, "two");
	/* 21184 answers sends only */
	pr = at("GET", "/sessions/{ref}", NULL, "S");
	assert_int_equal(faults_plan_match(p, &pr, &e), 0);
	assert_int_equal(faults_plan_match(p, &verify, &e), 1);
	assert_string_equal(e.id, "v");
	assert_int_equal(e.status, 450);
	assert_string_equal(e.detail, "Zły NIP");
	assert_int_equal(faults_plan_match(p, &verify, &e), 0);
	/* the store rule names session S, not T */
	assert_int_equal(faults_plan_match(p, &write, &e), 0);
	write.session = "S";
	assert_int_equal(faults_plan_match(p, &write, &e), 1);
	assert_string_equal(e.id, "s");
	assert_int_equal(faults_plan_count(p), 4);
	assert_string_equal(faults_plan_rule_id(p, 3), "two");
	faults_plan_free(p);
}

static void every_route_of_ksefd_is_known_by_its_template(void **state)
{
	(void)state;
	assert_true(router_known("POST", SEND));
	assert_true(router_known(NULL, "/sessions/{ref}"));
	assert_true(router_known("GET", "/storage/{session}/{kind}/{file}"));
	assert_false(router_known("PUT", SEND));
	assert_false(router_known(NULL, "/sessions/{referenceNumber}"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_plans_are_refused_with_their_reason),
		cmocka_unit_test(a_plan_over_the_size_limit_is_refused),
		cmocka_unit_test(too_many_rules_are_refused),
		cmocka_unit_test(
			rules_match_by_route_group_context_and_session),
		cmocka_unit_test(nth_and_count_pick_which_matches_fire),
		cmocka_unit_test(a_probability_is_reproducible_from_its_seed),
		cmocka_unit_test(
			the_first_rule_that_fires_wins_and_stages_stay_apart),
		cmocka_unit_test(
			every_route_of_ksefd_is_known_by_its_template),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
