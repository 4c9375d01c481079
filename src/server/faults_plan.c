/*
 * faults_plan.c - owns the fault plan's format and the choice of the rule
 * that fires (faults_plan.h). A plan is read once, checked whole, and
 * refused with the first thing wrong in it, named by rule and field: a
 * plan that half-applies would make a test pass for the wrong reason.
 * Carrying a rule out (answering, waiting, rotating a key) is faults.c's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "faults_plan.h"

#define ROUTE_SZ 160
#define SESSION_SZ 64

struct rule {
	struct fault_effect e;       /* e.fired is the counter */
	enum fault_stage stage;
	char method[8];              /* "": any */
	char route[ROUTE_SZ];        /* "": any */
	char group[16];              /* "": any */
	char context[SESSION_SZ];    /* "": any */
	char session[SESSION_SZ];    /* "": any */
	int64_t nth, count;          /* 0: from the first; no limit */
	double probability;          /* 1: always */
	int64_t matched;
	uint64_t rng;
};

struct fault_plan {
	size_t n;
	struct rule rules[FAULTS_MAX_RULES];
};

static const struct {
	const char *name;
	enum fault_action action;
	enum fault_stage stage;
} actions[] = {
	{ "status", FAULT_STATUS, FAULT_AT_DISPATCH },
	{ "delay", FAULT_DELAY, FAULT_AT_DISPATCH },
	{ "drop", FAULT_DROP, FAULT_AT_DISPATCH },
	{ "rate_limit", FAULT_RATE_LIMIT, FAULT_AT_DISPATCH },
	{ "session_unavailable", FAULT_SESSION_UNAVAILABLE,
	  FAULT_AT_DISPATCH },
	{ "hold", FAULT_HOLD, FAULT_AT_DISPATCH },
	{ "rotate_key", FAULT_ROTATE_KEY, FAULT_AT_DISPATCH },
	{ "fail_verification", FAULT_FAIL_VERIFICATION, FAULT_AT_VERIFY },
	{ "store_failure", FAULT_STORE_FAILURE, FAULT_AT_STORE },
};

/* Groups of routes, by the first segment of their template; "send" is
 * the online send, "status" every GET under /sessions. */
static const char *const groups[] = {
	"all", "send", "status", "auth", "sessions", "invoices", "tokens",
	"permissions", "limits", "testdata", "security", "storage",
};

#define SEND_METHOD "POST"
#define SEND_ROUTE "/sessions/online/{ref}/invoices"

const char *faults_action_name(enum fault_action a)
{
	size_t i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (actions[i].action == a)
			return actions[i].name;
	return "?";
}

/* The plan's fields, and which actions take each. */
enum field_bit {
	F_ID = 1 << 0, F_ACTION = 1 << 1, F_ROUTE = 1 << 2, F_GROUP = 1 << 3,
	F_CONTEXT = 1 << 4, F_SESSION = 1 << 5, F_NTH = 1 << 6,
	F_COUNT = 1 << 7, F_PROBABILITY = 1 << 8, F_STATUS = 1 << 9,
	F_BODY = 1 << 10, F_CODE = 1 << 11, F_DETAIL = 1 << 12,
	F_MS = 1 << 13, F_RETRY_AFTER = 1 << 14, F_WHEN = 1 << 15,
};

static const struct {
	const char *name;
	unsigned bit;
} fields[] = {
	{ "id", F_ID }, { "action", F_ACTION }, { "route", F_ROUTE },
	{ "group", F_GROUP }, { "context", F_CONTEXT },
	{ "session", F_SESSION }, { "nth", F_NTH }, { "count", F_COUNT },
	{ "probability", F_PROBABILITY }, { "status", F_STATUS },
	{ "body", F_BODY }, { "code", F_CODE }, { "detail", F_DETAIL },
	{ "delay_ms", F_MS }, { "hold_ms", F_MS },
	{ "retry_after", F_RETRY_AFTER }, { "when", F_WHEN },
};

#define F_COMMON (F_ID | F_ACTION | F_CONTEXT | F_SESSION | F_NTH | \
		  F_COUNT | F_PROBABILITY)
#define F_DISPATCH (F_COMMON | F_ROUTE | F_GROUP)

/* The fields each action takes, beyond which it requires. */
static unsigned allowed(enum fault_action a, const char *field)
{
	switch (a) {
	case FAULT_STATUS:
		return F_DISPATCH | F_STATUS | F_BODY | F_CODE | F_DETAIL;
	case FAULT_DELAY:
		return F_DISPATCH | (strcmp(field, "delay_ms") == 0 ? F_MS : 0);
	case FAULT_DROP: return F_DISPATCH | F_WHEN;
	case FAULT_RATE_LIMIT: return F_DISPATCH | F_RETRY_AFTER | F_DETAIL;
	case FAULT_SESSION_UNAVAILABLE: return F_DISPATCH | F_DETAIL;
	case FAULT_HOLD:
		return F_DISPATCH | (strcmp(field, "hold_ms") == 0 ? F_MS : 0);
	case FAULT_ROTATE_KEY: return F_DISPATCH;
	case FAULT_FAIL_VERIFICATION: return F_COMMON | F_STATUS | F_DETAIL;
	case FAULT_STORE_FAILURE: return F_COMMON;
	}
	return 0;
}

static int fail(char *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, FAULTS_WHY_SZ, fmt, ap);
	va_end(ap);
	return -1;
}

static int get_int(int64_t *out, json_t *v, int64_t min, int64_t max)
{
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* A string of 1 to size - 1 bytes of the characters in `set` (NULL: any
 * but control characters), copied into out. */
static int get_str(char *out, size_t size, json_t *v, const char *set)
{
	const char *s;
	size_t len, i;

	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || len >= size || strlen(s) != len)
		return -1;
	for (i = 0; i < len; i++) {
		if (set != NULL ? strchr(set, s[i]) == NULL :
				  (unsigned char)s[i] < 0x20)
			return -1;
	}
	memcpy(out, s, len + 1);
	return 0;
}

#define ID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
		 "0123456789._-"
#define ROUTE_CHARS ID_CHARS "/{}"

static int parse_route(struct rule *r, json_t *v,
		       int (*known)(const char *, const char *), char *why)
{
	char text[ROUTE_SZ + 8];
	const char *sp;

	if (get_str(text, sizeof(text), v, ROUTE_CHARS " ") != 0)
		goto bad;
	sp = strchr(text, ' ');
	if (sp != NULL) {
		if ((size_t)(sp - text) >= sizeof(r->method) ||
		    strchr(sp + 1, ' ') != NULL)
			goto bad;
		memcpy(r->method, text, (size_t)(sp - text));
		r->method[sp - text] = '\0';
		if (strspn(r->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
		    strlen(r->method))
			goto bad;
		sp++;
	} else {
		sp = text;
	}
	if (sp[0] != '/' || strlen(sp) >= sizeof(r->route))
		goto bad;
	strcpy(r->route, sp);
	if (known != NULL && !known(r->method[0] ? r->method : NULL, r->route))
		return fail(why, "rule %s: route \"%s\" names no route of "
			    "ksefd (a template as in router.c, e.g. \"POST "
			    SEND_ROUTE "\")", r->e.id, text);
	return 0;
bad:
	return fail(why, "rule %s: route must be \"[METHOD ]/template\"",
		    r->e.id);
}

/* splitmix64: small, seedable, and the same on every platform. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int parse_rule(struct rule *r, json_t *o, size_t index,
		      int (*known)(const char *, const char *), char *why)
{
	const char *key;
	json_t *v;
	int64_t n;
	size_t i;
	unsigned seen = 0;

	if (!json_is_object(o))
		return fail(why, "rules[%zu]: not an object", index);
	v = json_object_get(o, "id");
	if (v == NULL || get_str(r->e.id, sizeof(r->e.id), v, ID_CHARS) != 0)
		return fail(why, "rules[%zu]: id must be 1 to %d of "
			    "[A-Za-z0-9._-]", index, FAULTS_ID_SZ - 1);
	v = json_object_get(o, "action");
	if (!json_is_string(v))
		return fail(why, "rule %s: action is required", r->e.id);
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(json_string_value(v), actions[i].name) == 0)
			break;
	if (i == sizeof(actions) / sizeof(actions[0]))
		return fail(why, "rule %s: unknown action \"%.40s\"", r->e.id,
			    json_string_value(v));
	r->e.action = actions[i].action;
	r->stage = actions[i].stage;
	r->probability = 1.0;
	json_object_foreach(o, key, v) {
		unsigned bit = 0;

		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(key, fields[i].name) == 0)
				bit = fields[i].bit;
		if (bit == 0)
			return fail(why, "rule %s: unknown field \"%.40s\"",
				    r->e.id, key);
		if (!(allowed(r->e.action, key) & bit))
			return fail(why, "rule %s: action %s takes no \"%s\"",
				    r->e.id, faults_action_name(r->e.action),
				    key);
		seen |= bit;
		switch (bit) {
		case F_ID: case F_ACTION:
			break;
		case F_ROUTE:
			if (parse_route(r, v, known, why) != 0)
				return -1;
			break;
		case F_GROUP:
			if (!json_is_string(v))
				return fail(why, "rule %s: group must be a "
					    "string", r->e.id);
			for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
				if (!strcmp(json_string_value(v), groups[i]))
					break;
			if (i == sizeof(groups) / sizeof(groups[0]))
				return fail(why, "rule %s: unknown group "
					    "\"%.40s\"", r->e.id,
					    json_string_value(v));
			strcpy(r->group, groups[i]);
			break;
		case F_CONTEXT:
			if (get_str(r->context, sizeof(r->context), v,
				    ID_CHARS) != 0)
				return fail(why, "rule %s: context must be a "
					    "context identifier (a NIP)",
					    r->e.id);
			break;
		case F_SESSION:
			if (get_str(r->session, sizeof(r->session), v,
				    ID_CHARS) != 0)
				return fail(why, "rule %s: session must be a "
					    "reference number", r->e.id);
			break;
		case F_NTH:
			if (get_int(&r->nth, v, 1, 1000000000) != 0)
				return fail(why, "rule %s: nth must be 1 to "
					    "1000000000", r->e.id);
			break;
		case F_COUNT:
			if (get_int(&r->count, v, 1, 1000000000) != 0)
				return fail(why, "rule %s: count must be 1 to "
					    "1000000000", r->e.id);
			break;
		case F_PROBABILITY:
			if (!json_is_number(v) || json_number_value(v) <= 0 ||
			    json_number_value(v) > 1)
				return fail(why, "rule %s: probability must "
					    "be a number over 0, at most 1",
					    r->e.id);
			r->probability = json_number_value(v);
			break;
		case F_STATUS:
			if (get_int(&n, v, r->e.action == FAULT_STATUS ?
				    400 : 300, 599) != 0)
				return fail(why, "rule %s: status must be %s "
					    "to 599", r->e.id, r->e.action ==
					    FAULT_STATUS ? "400" : "300");
			r->e.status = (int)n;
			break;
		case F_BODY:
			if (!json_is_string(v) ||
			    (strcmp(json_string_value(v), "json") != 0 &&
			     strcmp(json_string_value(v), "html") != 0))
				return fail(why, "rule %s: body must be "
					    "\"json\" or \"html\"", r->e.id);
			r->e.html = strcmp(json_string_value(v), "html") == 0;
			break;
		case F_CODE:
			if (get_int(&n, v, 1, 99999) != 0)
				return fail(why, "rule %s: code must be 1 to "
					    "99999", r->e.id);
			r->e.code = (int)n;
			break;
		case F_DETAIL:
			if (get_str(r->e.detail, sizeof(r->e.detail), v,
				    NULL) != 0)
				return fail(why, "rule %s: detail must be 1 to "
					    "%d bytes of text", r->e.id,
					    FAULTS_DETAIL_SZ - 1);
			break;
		case F_MS:
			if (get_int(&r->e.ms, v, 1, 3600000) != 0)
				return fail(why, "rule %s: %s must be 1 to "
					    "3600000", r->e.id, key);
			break;
		case F_RETRY_AFTER:
			if (get_int(&n, v, 1, 86400) != 0)
				return fail(why, "rule %s: retry_after must be "
					    "1 to 86400 seconds", r->e.id);
			r->e.retry_after_s = (int)n;
			break;
		case F_WHEN:
			if (!json_is_string(v) ||
			    (strcmp(json_string_value(v), "before") != 0 &&
			     strcmp(json_string_value(v), "after") != 0))
				return fail(why, "rule %s: when must be "
					    "\"before\" or \"after\"", r->e.id);
			r->e.after = strcmp(json_string_value(v), "after") == 0;
			break;
		}
	}
	/* What each action cannot do without. */
	if ((r->e.action == FAULT_STATUS ||
	     r->e.action == FAULT_FAIL_VERIFICATION) && !(seen & F_STATUS))
		return fail(why, "rule %s: action %s needs a status", r->e.id,
			    faults_action_name(r->e.action));
	if ((r->e.action == FAULT_DELAY || r->e.action == FAULT_HOLD) &&
	    !(seen & F_MS))
		return fail(why, "rule %s: action %s needs %s", r->e.id,
			    faults_action_name(r->e.action),
			    r->e.action == FAULT_DELAY ? "delay_ms" :
			    "hold_ms");
	if (r->e.action == FAULT_RATE_LIMIT && !(seen & F_RETRY_AFTER))
		return fail(why, "rule %s: action rate_limit needs "
			    "retry_after", r->e.id);
	/* 21184 is an answer to a send; nothing else gets it. */
	if (r->e.action == FAULT_SESSION_UNAVAILABLE) {
		if ((seen & F_ROUTE) && (strcmp(r->route, SEND_ROUTE) != 0 ||
		    (r->method[0] && strcmp(r->method, SEND_METHOD) != 0)))
			return fail(why, "rule %s: session_unavailable "
				    "answers sends only (" SEND_METHOD " "
				    SEND_ROUTE ")", r->e.id);
		if ((seen & F_GROUP) && strcmp(r->group, "send") != 0)
			return fail(why, "rule %s: session_unavailable "
				    "answers sends only (group send)",
				    r->e.id);
		strcpy(r->group, "send");
	}
	if (r->e.action == FAULT_STATUS && !r->e.html && r->e.code == 0)
		r->e.code = 21405;
	return 0;
}

int faults_plan_parse(fault_plan **out, const char *text, size_t len,
		      int (*known_route)(const char *method,
					 const char *route),
		      char why[FAULTS_WHY_SZ])
{
	json_error_t jerr;
	json_t *root = NULL, *rules, *v;
	fault_plan *p = NULL;
	const char *key;
	int64_t seed = 0;
	size_t i, j;

	*out = NULL;
	if (len > FAULTS_PLAN_MAX_BYTES)
		return fail(why, "the plan is %zu bytes, over the limit of %d",
			    len, FAULTS_PLAN_MAX_BYTES);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return fail(why, "line %d: %s", jerr.line, jerr.text);
	if (!json_is_object(root)) {
		fail(why, "the plan must be a JSON object");
		goto bad;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "seed") != 0 && strcmp(key, "rules") != 0) {
			fail(why, "unknown field \"%.40s\" (a plan has seed "
			     "and rules)", key);
			goto bad;
		}
	}
	v = json_object_get(root, "seed");
	if (v != NULL && get_int(&seed, v, 0, INT64_MAX) != 0) {
		fail(why, "seed must be a whole number, 0 or more");
		goto bad;
	}
	rules = json_object_get(root, "rules");
	if (!json_is_array(rules) ||
	    json_array_size(rules) > FAULTS_MAX_RULES) {
		fail(why, "rules must be a list of at most %d rules",
		     FAULTS_MAX_RULES);
		goto bad;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		fail(why, "out of memory");
		goto bad;
	}
	p->n = json_array_size(rules);
	for (i = 0; i < p->n; i++) {
		struct rule *r = &p->rules[i];

		if (parse_rule(r, json_array_get(rules, i), i, known_route,
			       why) != 0)
			goto bad;
		for (j = 0; j < i; j++)
			if (strcmp(p->rules[j].e.id, r->e.id) == 0) {
				fail(why, "rule %s: the id is used twice",
				     r->e.id);
				goto bad;
			}
		/* Each rule draws from its own sequence, so adding a rule
		 * does not change when the others fire. */
		r->rng = (uint64_t)seed ^ ((uint64_t)(i + 1) *
					   0x2545f4914f6cdd1dULL);
	}
	json_decref(root);
	*out = p;
	return 0;
bad:
	json_decref(root);
	free(p);
	return -1;
}

void faults_plan_free(fault_plan *p)
{
	free(p);
}

size_t faults_plan_count(const fault_plan *p)
{
	return p ? p->n : 0;
}

const char *faults_plan_rule_id(const fault_plan *p, size_t i)
{
	return p && i < p->n ? p->rules[i].e.id : NULL;
}

int64_t faults_plan_rule_fired(const fault_plan *p, size_t i)
{
	return p && i < p->n ? p->rules[i].e.fired : 0;
}

/* The group a route belongs to: "send", "status" (a GET under
 * /sessions), or the first segment of its template. */
static int in_group(const char *group, const char *method,
		    const char *route)
{
	size_t n = strlen(group);

	if (strcmp(group, "all") == 0)
		return 1;
	if (strcmp(group, "send") == 0)
		return strcmp(method, SEND_METHOD) == 0 &&
		       strcmp(route, SEND_ROUTE) == 0;
	if (strcmp(group, "status") == 0)
		return strcmp(method, "GET") == 0 &&
		       strncmp(route, "/sessions", 9) == 0;
	if (strcmp(group, "limits") == 0 &&
	    strncmp(route, "/rate-limits", 12) == 0)
		return 1;
	return route[0] == '/' && strncmp(route + 1, group, n) == 0 &&
	       (route[1 + n] == '/' || route[1 + n] == '\0');
}

static int takes(const struct rule *r, const struct fault_probe *pr)
{
	if (r->stage != pr->stage)
		return 0;
	if (r->context[0] &&
	    (pr->context == NULL || strcmp(r->context, pr->context) != 0))
		return 0;
	if (r->session[0] &&
	    (pr->session == NULL || strcmp(r->session, pr->session) != 0))
		return 0;
	if (pr->stage != FAULT_AT_DISPATCH)
		return 1;
	if (pr->method == NULL || pr->route == NULL)
		return 0;
	if (r->method[0] && strcmp(r->method, pr->method) != 0)
		return 0;
	if (r->route[0] && strcmp(r->route, pr->route) != 0)
		return 0;
	return !r->group[0] || in_group(r->group, pr->method, pr->route);
}

int faults_plan_match(fault_plan *p, const struct fault_probe *probe,
		      struct fault_effect *out)
{
	size_t i;

	for (i = 0; p != NULL && i < p->n; i++) {
		struct rule *r = &p->rules[i];

		if (!takes(r, probe))
			continue;
		r->matched++;
		if (r->matched < r->nth)
			continue;
		if (r->count > 0 && r->e.fired >= r->count)
			continue;
		if (r->probability < 1.0 &&
		    (double)(next_random(&r->rng) >> 11) * 0x1.0p-53 >=
		    r->probability)
			continue;
		r->e.fired++;
		*out = r->e;
		return 1;
	}
	return 0;
}
