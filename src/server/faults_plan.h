/*
 * faults_plan.h - a fault plan (docs/faults.md): its JSON form, checked
 * strictly, and the choice of the rule that fires for a request, an
 * invoice's verification or its store write. Pure: no server, no store,
 * no clock, so that the unit tests pin counts, nth and probability down.
 * faults.c applies what a rule says.
 */
#ifndef KSEFD_FAULTS_PLAN_H
#define KSEFD_FAULTS_PLAN_H

#include <stddef.h>
#include <stdint.h>

/* A plan's text, its rules, and their fields are bounded. */
#define FAULTS_PLAN_MAX_BYTES (64 * 1024)
#define FAULTS_MAX_RULES 64
#define FAULTS_ID_SZ 65          /* a rule's id, with its NUL */
#define FAULTS_DETAIL_SZ 257     /* a detail line, with its NUL */
#define FAULTS_WHY_SZ 256        /* room for a refusal's reason */

enum fault_action {
	FAULT_STATUS,               /* answer a status, JSON or HTML body */
	FAULT_DELAY,                /* wait, then go on */
	FAULT_DROP,                 /* close the connection unanswered */
	FAULT_RATE_LIMIT,           /* 429 with a chosen Retry-After */
	FAULT_SESSION_UNAVAILABLE,  /* 400/21184 for a send */
	FAULT_HOLD,                 /* show 150/170 for a while */
	FAULT_ROTATE_KEY,           /* a new encryption key, the old retired */
	FAULT_FAIL_VERIFICATION,    /* the invoice gets a chosen status */
	FAULT_STORE_FAILURE,        /* the invoice's write fails: 500 */
};

/* Where a rule is looked at: a request once its route's checks passed,
 * an invoice's verification, or its one durable write. */
enum fault_stage {
	FAULT_AT_DISPATCH,
	FAULT_AT_VERIFY,
	FAULT_AT_STORE,
};

/* What a fired rule asks for: a copy, so that the plan may change while
 * it is carried out. */
struct fault_effect {
	char id[FAULTS_ID_SZ];
	enum fault_action action;
	int status;                 /* STATUS, FAIL_VERIFICATION */
	int code;                   /* STATUS with a JSON body */
	int html;                   /* STATUS: an HTML page, not JSON */
	int after;                  /* DROP: once the handler answered */
	int64_t ms;                 /* DELAY, HOLD */
	int retry_after_s;          /* RATE_LIMIT */
	char detail[FAULTS_DETAIL_SZ];
	int64_t fired;              /* how often the rule fired, this time
				       included */
};

/* What is known of the request (or invoice) being looked at. Any field
 * may be NULL: a rule that asks for it then does not match. */
struct fault_probe {
	enum fault_stage stage;
	const char *method;         /* dispatch: the route's method */
	const char *route;          /* dispatch: its template, as in
				       router.c (storage ones under
				       /storage) */
	const char *context;        /* the context's identifier (its NIP) */
	const char *session;        /* the session's reference number */
};

typedef struct fault_plan fault_plan;

/*
 * Parse and check a plan. Every field is checked for its type, its range
 * and whether the action takes it; an unknown field is an error, so that a
 * typo never makes a rule match more than meant. known_route (may be
 * NULL) says whether "METHOD TEMPLATE" names a route.
 * @return 0 with *out set (free with faults_plan_free), or -1 with the
 *         reason in why (FAULTS_WHY_SZ bytes).
 */
int faults_plan_parse(fault_plan **out, const char *text, size_t len,
		      int (*known_route)(const char *method,
					 const char *route),
		      char why[FAULTS_WHY_SZ]);
void faults_plan_free(fault_plan *p);

/* How many rules the plan has, a rule's id, and its counters. */
size_t faults_plan_count(const fault_plan *p);
const char *faults_plan_rule_id(const fault_plan *p, size_t i);
int64_t faults_plan_rule_fired(const fault_plan *p, size_t i);

/*
 * The first rule, in the plan's order, whose filters take probe and that
 * fires now: past its nth match, under its count, and lucky by its
 * probability (drawn from the plan's seed, so a run is reproducible for
 * the same order of requests). Updates the counters; the caller
 * serialises calls. Returns 1 with *out filled, or 0.
 */
int faults_plan_match(fault_plan *p, const struct fault_probe *probe,
		      struct fault_effect *out);

/* The action's name in a plan ("status", "delay", ...). */
const char *faults_action_name(enum fault_action a);

#endif
