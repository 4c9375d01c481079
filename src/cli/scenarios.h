/*
 * scenarios.h - what `ksef scenarios` (cmd_scenarios.c) shares with the
 * scenarios themselves (scenarios_*.c): the table of scenarios, the record
 * of one scenario's run (its steps, each passed or failed, with a reason
 * and a duration), and the kit every scenario uses to log in, generate
 * and send invoices and wait for KSeF's verdicts through libksef.
 *
 * A scenario is a function that runs its steps in order and stops at the
 * first that fails: later steps depend on earlier ones (no session, no
 * invoice to check), so they are not run rather than reported as failing
 * for a reason that is not theirs. How a run is shown (text, --json,
 * --junit) is cmd_scenarios.c's; a scenario only says what it checked.
 */
#ifndef KSEF_CLI_SCENARIOS_H
#define KSEF_CLI_SCENARIOS_H

#include <stddef.h>
#include <stdint.h>
#include "ksef/ksef.h"
#include "ksef/session.h"
#include "ksef/xades.h"

/* One step as it ended. */
struct scn_step {
	char *name;    /* what was checked, e.g. "invoice accepted (200)" */
	int passed;
	char *message; /* failed: why; passed: a note (a number...) or NULL */
	double seconds;
};

/* One scenario's run. */
struct scn {
	const struct scn_def *def;
	const char *base_url;
	long timeout_ms;          /* longest wait for one verdict */
	int live;                 /* print each step as it ends (text mode) */
	struct scn_step *steps;
	size_t nsteps, cap;
	int failed;               /* a step failed: the scenario stopped */
	int64_t mark_ms;          /* when the current step started */
	double seconds;           /* the whole scenario */
};

/* A scenario of the table: its name for --only, its number in
 * docs/scenarios.md, one line for `list`, the official document its steps
 * come from, and the function that runs it. */
struct scn_def {
	const char *name;
	const char *id;
	const char *title;
	const char *source;
	void (*run)(struct scn *s);
};

/* The table, in the order they run (cmd_scenarios.c). */
extern const struct scn_def scn_table[];
extern const size_t scn_table_count;

/* The scenarios of each group (scenarios_*.c). */
void scn_fa3_online(struct scn *s);
void scn_fa2_online(struct scn *s);
void scn_upo_fields(struct scn *s);
void scn_invalid_nip(struct scn *s);
void scn_validation(struct scn *s);
void scn_offline_mode(struct scn *s);
void scn_duplicate(struct scn *s);
void scn_duplicate_batch(struct scn *s);
void scn_session_search(struct scn *s);
void scn_auth_revoke(struct scn *s);
void scn_technical_correction(struct scn *s);
void scn_second_person(struct scn *s);

/*
 * Steps. Each records one step that ended now and returns whether it
 * passed, so that a scenario reads `if (!scn_check(...)) return;`.
 */

/* A step that passed; fmt (may be NULL) is a note shown beside it. */
int scn_pass(struct scn *s, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A step that failed, fmt saying why. Returns 0. */
int scn_fail(struct scn *s, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Passed when ok, else failed with fmt as the reason. */
int scn_check(struct scn *s, const char *name, int ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A libksef call as a step: passed when rc is 0, else failed with the
 * library's message (which names the server's answer). */
int scn_call(struct scn *s, const char *name, int rc, const ksef_error *err);

/* Free what a run recorded. */
void scn_dispose(struct scn *s);

/*
 * The kit
 */

/* A taxpayer of the run: a random NIP (a valid check digit, so that
 * production-like checks pass too), a self-signed company seal of it
 * (organizationIdentifier VATPL-<NIP>), as the official clients' tests
 * make on TEST, and a connection logged in by XAdES into a context. */
struct scn_party {
	char nip[KSEF_NIP_BUFSZ];
	ksef_xades_signer *signer;
	ksef_conn *conn;    /* NULL until scn_login() */
	ksef_client *client; /* for the calls a ksef_session does not wrap */
};

/* A fresh NIP and seal; a step "a test seal for NIP ...". */
int scn_party_make(struct scn *s, struct scn_party *p);

/* Log p in by XAdES into the Nip context ctx_nip (NULL: its own), and
 * make its client; a step. */
int scn_login(struct scn *s, struct scn_party *p, const char *ctx_nip);

/* Another login of p into its own context, a connection of its own;
 * a step. */
int scn_login_again(struct scn *s, struct scn_party *p, ksef_conn **out);

/* The final status code of a login of p into ctx_nip that is expected to
 * fail, or 200; *code_out gets it (0 when no status was reached) and err
 * the reason. Not a step. */
int scn_try_login(struct scn_party *p, const char *ctx_nip, const char *base,
		  int *code_out, ksef_error *err);

/* Hand the party's client a current access token (before each group of
 * calls). 0 or a libksef code. */
int scn_authorize(struct scn_party *p, ksef_error *err);

void scn_party_free(struct scn_party *p);

/* Options of an invoice to generate. */
struct scn_invoice {
	ksef_form form;
	const char *seller;  /* the seller's NIP */
	const char *buyer;   /* NULL: the generator's */
	const char *date;    /* P_1, NULL: today in Poland */
	uint64_t index;      /* its place in the series: P_2 FV/<tag>/<index> */
	size_t bytes;        /* 0: the generator's default */
};

/* Generate an invoice into out; a step only when it fails. The series'
 * seed is the run's, so no two runs share a number. */
int scn_generate(struct scn *s, ksef_buf *out, const struct scn_invoice *o);

/* Today's date in Poland moved by `days`, "YYYY-MM-DD". */
void scn_date(char out[KSEF_DATE_BUFSZ], int days);

/* What became of one invoice sent, copied out of the session (whose
 * entries live only until its next call). */
struct scn_sent {
	char ref[KSEF_REFNUM_BUFSZ];            /* its reference number */
	char hash[KSEF_SHA256_B64_LEN + 1];     /* SHA-256 of what was sent */
	int status;                             /* the final status code */
	char ksef_number[KSEF_NUMBER_BUFSZ];    /* 200: its KSeF number */
	char duplicate_of[KSEF_NUMBER_BUFSZ];   /* 440: the original's */
	char details[512];                      /* the status's details */
};

/* Send xml in session ses and wait for its final status; a step named
 * `name` that passes when the status is `want`, noting the KSeF number
 * or the details. out (may be NULL) receives what became of it. */
int scn_send_expect(struct scn *s, ksef_session *ses, const char *name,
		    const ksef_buf *xml, const ksef_client_send_options *o,
		    int want, struct scn_sent *out);

/* GET /sessions/{ref}/invoices/{ref}: a step that passes when KSeF gives
 * the invoice sent the invoicingMode `want` ("Online", "Offline"). */
int scn_mode_is(struct scn *s, struct scn_party *p, const char *sref,
		const struct scn_sent *sent, const char *want);

/* Open a session of p for a form; a step. */
int scn_open(struct scn *s, struct scn_party *p, ksef_form form,
	     ksef_session **out);

/* Close ses and wait for its final status; a step that passes when it is
 * `want` (200, or 445 when no invoice passed). */
int scn_close_expect(struct scn *s, ksef_session *ses, int want);

/* The first element named `name` (any prefix) of a small XML document
 * from the server, its text copied to out (at most size - 1 bytes); 0, or
 * -1 when there is none. For reading the fields of a UPO. */
int scn_xml_text(char *out, size_t size, const ksef_buf *doc,
		 const char *name);

/* Replace the first `from` after the first `after` (NULL: from the
 * start) in doc by `to`, in place; 0, or -1 when absent or out of
 * memory. For making an invoice that breaks one rule. */
int scn_replace(ksef_buf *doc, const char *after, const char *from,
		const char *to);

/* The run's seed, set once by cmd_scenarios.c before the first
 * scenario. */
extern uint64_t scn_seed;

#endif
