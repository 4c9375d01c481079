/*
 * ksefd_nodes_contention_test.c - two ksefd nodes on one PostgreSQL store
 * taking invoices for the same sessions at once: 32 threads, four a
 * session, each sending every invoice to the other node than its last.
 * Each node's writer commits its invoices in batches, and each invoice
 * takes its session's row for its slot, so two nodes' batches want the
 * same rows: they must take them in one order and wait for each other's
 * commit. Checked: every invoice is answered 202 and ends 200, each
 * session lists all of its own with distinct ordinals, and PostgreSQL
 * counted no deadlock in the database meanwhile (each costs a second of
 * deadlock_timeout and a retry; an early build met 140 of them in 2,000
 * invoices). Skipped on the embedded store, which one process serves.
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "e2e.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
#define SESSIONS 8
#define PER_SESSION 4           /* threads a session */
#define EACH 10                 /* invoices a thread */

static struct ksefd_proc node[2];
static char access_token[8192];

struct sender {
	pthread_t tid;
	int id;
	const char *sref;
	ksef_envelope *env;     /* the thread's own copy of the session's */
	ksef_client *c[2];      /* one for each node */
	atomic_int *failures;
	char irefs[EACH][KSEF_REFNUM_BUFSZ];
};

static int on_pg(void)
{
	const char *k = getenv("KSEFD");

	return k != NULL && strstr(k, "ksefd_pg.sh") != NULL &&
	       getenv("KSEF_TEST_PG") != NULL;
}

/* pg_stat_database's deadlocks of the test's database, through psql. */
static long deadlocks(void)
{
	char cmd[1024], out[64] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "psql \"$KSEF_TEST_PG\" -AtX -c \"SELECT "
		 "deadlocks FROM pg_stat_database WHERE datname = "
		 "current_database()\"");
	f = popen(cmd, "r");
	assert_non_null(f);
	if (fgets(out, sizeof(out), f) == NULL)
		out[0] = '\0';
	assert_int_equal(pclose(f), 0);
	assert_true(out[0] >= '0' && out[0] <= '9');
	return strtol(out, NULL, 10);
}

static void *send_run(void *arg)
{
	struct sender *s = arg;
	ksef_gen_options go = KSEF_GEN_OPTIONS_INIT;
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_error err;
	int i;

	go.seller_nip = NIP;
	for (i = 0; i < EACH; i++) {
		ksef_client *to = s->c[(s->id + i) % 2];

		if (ksef_gen_invoice(&xml, &go, (uint64_t)(s->id * EACH + i +
							    1), NULL) != 0 ||
		    ksef_client_invoice_send(s->irefs[i], NULL, to, s->sref,
					     s->env, xml.ptr, xml.size, NULL,
					     &err) != 0) {
			s->irefs[i][0] = '\0';
			atomic_fetch_add(s->failures, 1);
		}
	}
	ksef_buf_dispose(&xml);
	return NULL;
}

/* Whatever an assertion cut short, no node outlives the test. */
static int stop_nodes(void **state)
{
	(void)state;
	ksefd_kill9(&node[1]);
	ksefd_kill9(&node[0]);
	ksefd_cleanup(&node[0]);
	return 0;
}

static int by_ordinal(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static void same_sessions_on_two_nodes_never_deadlock(void **state)
{
	struct sender s[SESSIONS * PER_SESSION];
	ksef_envelope *env[SESSIONS];
	char sref[SESSIONS][KSEF_REFNUM_BUFSZ], tok[256];
	struct login l;
	atomic_int failures = 0;
	long before, ordinals[PER_SESSION * EACH];
	int i, k;

	(void)state;
	ksefd_start(&node[0], NULL, NULL);
	ksefd_start(&node[1], node[0].data_dir, NULL);
	ksefd_token(&node[0], NIP, "InvoiceWrite,InvoiceRead", tok,
		    sizeof(tok));
	login(&l, &node[0], NIP, tok);
	snprintf(access_token, sizeof(access_token), "%s",
		 l.tokens->access_token->token);
	for (k = 0; k < SESSIONS; k++)
		open_session(&l, KSEF_FORM_FA3, &env[k], sref[k]);

	before = deadlocks();
	memset(s, 0, sizeof(s));
	for (i = 0; i < SESSIONS * PER_SESSION; i++) {
		const ksef_envelope *e = env[i % SESSIONS];

		s[i].id = i;
		s[i].sref = sref[i % SESSIONS];
		s[i].failures = &failures;
		for (k = 0; k < 2; k++) {
			s[i].c[k] = client_for(&node[k]);
			assert_int_equal(ksef_client_set_access_token(s[i].c[k],
					 access_token, NULL), 0);
		}
		assert_int_equal(ksef_envelope_from_key(&s[i].env,
				 ksef_envelope_key(e), KSEF_AES_KEY_LEN,
				 ksef_envelope_iv(e), KSEF_AES_IV_LEN, NULL),
				 0);
		assert_int_equal(pthread_create(&s[i].tid, NULL, send_run,
						&s[i]), 0);
	}
	for (i = 0; i < SESSIONS * PER_SESSION; i++) {
		pthread_join(s[i].tid, NULL);
		ksef_envelope_free(s[i].env);
		ksef_client_free(s[i].c[0]);
		ksef_client_free(s[i].c[1]);
	}
	assert_int_equal(atomic_load(&failures), 0);
	assert_int_equal(deadlocks() - before, 0);

	/* Every invoice final and 200, each session's ordinals 1..40. */
	for (k = 0; k < SESSIONS; k++) {
		int n = 0;

		for (i = k; i < SESSIONS * PER_SESSION; i += SESSIONS) {
			int j;

			for (j = 0; j < EACH; j++) {
				ksef_api_invoice_status *st =
					wait_invoice(&l, sref[k],
						     s[i].irefs[j]);

				assert_int_equal(st->status->code, 200);
				ordinals[n++] = (long)st->ordinal_number;
				ksef_api_invoice_status_free(st);
			}
		}
		qsort(ordinals, (size_t)n, sizeof(ordinals[0]), by_ordinal);
		for (i = 0; i < n; i++)
			assert_int_equal(ordinals[i], i + 1);
		ksef_envelope_free(env[k]);
	}
	logout(&l);
	assert_int_equal(ksefd_stop(&node[1]), 0);
	assert_int_equal(ksefd_stop(&node[0]), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(
			same_sessions_on_two_nodes_never_deadlock, stop_nodes),
	};

	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	if (!on_pg()) {
		printf("needs the PostgreSQL store (pg/e2e/"
		       "ksefd_nodes_contention_test): skipped\n");
		return TS_EXIT_SKIP;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
