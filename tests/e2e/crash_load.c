/*
 * crash_load.c - kill -9 cycles of ksefd under load, and the count of what
 * a crash cost: invoices answered 202 that were lost, stuck or stored
 * twice, and whether the store survived each crash whole.
 *
 *   crash_load --cycles N [--data DIR] [--journal FILE] [--threads T]
 *              [--kill-ms MIN-MAX] [--settle S] [--size BYTES]
 *              [--seed SEED] [--nodes N]
 *   crash_load --check-only --data DIR --journal FILE [--settle S]
 *
 * Each cycle starts ksefd on the same data folder (tests/support's
 * harness: port 0, the "listening on" line), logs in with a KSeF token,
 * and lets T threads send distinct generated FA (3) invoices, one session
 * per thread, as fast as the server answers; now and then a thread closes
 * its session and opens another. Between MIN and MAX ms after the load
 * starts, ksefd gets SIGKILL. The threads keep their sessions for the next
 * cycle, where each either goes on sending into it or, one time in four,
 * closes it first; a session the server no longer takes is replaced.
 * After each crash the store's integrity is checked on a copy.
 *
 * With --nodes N (2 to 8; the store must be one that several ksefd share,
 * PostgreSQL through tests/support/ksefd_pg.sh as $KSEFD) N nodes serve
 * the same store and folder, and every thread sends each request to the
 * next node in turn. A cycle kills one node, chosen at random, and the
 * survivors carry the load for a while before the threads stop; the dead
 * node starts again at the next cycle. PostgreSQL itself is not killed,
 * so there is no file to check: what counts is what the API answers.
 *
 * Every send is written to the journal (crash.h) as soon as its answer,
 * or the lack of one, is known, so the client's record is complete
 * however the server ends. After the last cycle ksefd starts once more
 * and crash_check.c compares the server with the journal. --check-only
 * does only that last part, on a data folder and journal kept from a run.
 *
 * The client never resends an invoice: each POST carries a new document,
 * and libksef's own retries are off. A document stored twice is then the
 * server's doing, never the client's.
 *
 * Exit status: 0 when nothing was lost, stuck, duplicated or inconsistent
 * and every integrity check passed; 1 when something was; 2 for bad
 * arguments; 77 when the official schemas are absent. A failure of the
 * harness itself (ksefd does not start) ends the program at once.
 * scripts/crash-test.sh runs it.
 */
#include "testsupport.h"
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ksef/ksef.h"
#include "ksefd_harness.h"
#include "e2e.h"
#include "crash.h"

#define NIP "5265877635"
#define MAX_THREADS 64
#define MAX_NODES 8
/* With several nodes, how long the survivors carry the load after one
 * dies (ms, at least and at most). */
#define AFTER_MIN_MS 200
#define AFTER_MAX_MS 800
/* One acknowledged invoice in this many ends its session: at the rates
 * seen (a few hundred 202s per second per thread) a few closes a second. */
#define CLOSE_EVERY 256

static struct {
	unsigned cycles, threads, kill_min_ms, kill_max_ms, settle_s, nodes;
	size_t size;
	uint64_t seed;
	const char *data_dir, *journal;
	int check_only;
} opt = { 0, 4, 300, 2000, 120, 1, KSEF_GEN_MIN_BYTES, 0, NULL, NULL, 0 };

/* What the sending threads share with main during one cycle. */
static atomic_int stop, load_failed;
static atomic_uint_fast64_t next_index = 1;
static unsigned cycle;
static char base_url[MAX_NODES][128];
static char access_token[8192];

static FILE *journal;
static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;

struct sender {
	int id;
	pthread_t tid;
	uint64_t rng;
	/* The thread's session, kept across cycles; "" when it has none. */
	char sref[KSEF_REFNUM_BUFSZ];
	ksef_envelope *env;
	int refused_in_row;
	unsigned turn;          /* the node of the next request */
	/* This cycle's counts. */
	size_t acked, noanswer, refused;
};

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64: enough to spread kill times and choices. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* One journal line. The flush after each is what makes the record hold
 * whatever happens to the server; the client itself is never killed. */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&journal_lock);
	va_start(ap, fmt);
	vfprintf(journal, fmt, ap);
	va_end(ap);
	fputc('\n', journal);
	fflush(journal);
	pthread_mutex_unlock(&journal_lock);
}

/* A client of this cycle's server. No retries: a POST that got no answer
 * is recorded as such and never sent again. */
static ksef_client *load_client(unsigned node)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;

	o.base_url = base_url[node];
	o.max_retries = 0;
	o.max_retry_after_s = 0;
	o.connect_timeout_ms = 2000;
	o.timeout_ms = 30000;
	if (ksef_client_new(&c, &o, NULL) != 0)
		return NULL;
	if (ksef_client_set_access_token(c, access_token, NULL) != 0) {
		ksef_client_free(c);
		return NULL;
	}
	return c;
}

static ksef_pubkey *load_key(ksef_client *c)
{
	ksef_api_pubkey_certs *certs = NULL;
	const ksef_api_pubkey_cert *pick;
	ksef_pubkey *k = NULL;

	if (ksef_client_pubkey_certs(&certs, c, NULL) != 0)
		return NULL;
	pick = ksef_api_pubkey_certs_pick(certs, KSEF_KEY_USAGE_SYMMETRIC_KEY,
					  ksef_time_now().unix_ms);
	if (pick != NULL &&
	    ksef_pubkey_load(&k, (const unsigned char *)pick->certificate,
			     strlen(pick->certificate), NULL) != 0)
		k = NULL;
	ksef_api_pubkey_certs_free(certs);
	return k;
}

static void drop_session(struct sender *s)
{
	s->sref[0] = '\0';
	s->refused_in_row = 0;
	ksef_envelope_free(s->env);
	s->env = NULL;
}

/* Close the thread's session and forget it, whatever the answer: a close
 * that got none may or may not have happened, and the final check closes
 * whatever is still open. */
static void close_one(struct sender *s, ksef_client *c)
{
	int rc = ksef_client_session_close(c, s->sref, NULL);

	note("close\t%u\t%s\t%s", cycle, s->sref, rc ? "failed" : "ok");
	drop_session(s);
}

static int open_one(struct sender *s, ksef_client *c, ksef_pubkey **key)
{
	ksef_api_session_opened *so = NULL;

	if (*key == NULL && (*key = load_key(c)) == NULL)
		return -1;
	if (ksef_envelope_new(&s->env, NULL) != 0)
		return -1;
	if (ksef_client_session_open(&so, c, KSEF_FORM_FA3, s->env, *key,
				     NULL) != 0) {
		drop_session(s);
		return -1;
	}
	snprintf(s->sref, sizeof(s->sref), "%s", so->reference_number);
	ksef_api_session_opened_free(so);
	note("open\t%u\t%s", cycle, s->sref);
	return 0;
}

/* The first exception code of the last error answer, or 0. */
static int answer_code(const ksef_client *c)
{
	const ksef_api_error *e = ksef_client_last_error(c);
	const ksef_api_problem *pr;

	if (e == NULL)
		return 0;
	pr = ksef_api_problems_at(e->problems, 0);
	return pr ? pr->code : 0;
}

static void send_one(struct sender *s, ksef_client *c, ksef_buf *xml)
{
	ksef_gen_options go = KSEF_GEN_OPTIONS_INIT;
	char iref[KSEF_REFNUM_BUFSZ], hash[KSEF_SHA256_B64_LEN + 1];
	uint64_t idx = atomic_fetch_add(&next_index, 1);
	int rc, http, code;

	go.seller_nip = NIP;
	go.target_bytes = opt.size;
	go.seed = opt.seed;
	if (ksef_gen_invoice(xml, &go, idx, NULL) != 0 ||
	    ksef_sha256_base64(hash, xml->ptr, xml->size, NULL) != 0) {
		atomic_store(&load_failed, 1);
		atomic_store(&stop, 1);
		fprintf(stderr, "crash_load: cannot generate invoice %" PRIu64
			"\n", idx);
		return;
	}
	rc = ksef_client_invoice_send(iref, NULL, c, s->sref, s->env,
				      xml->ptr, xml->size, NULL, NULL);
	if (rc == 0) {
		note("ack\t%u\t%s\t%s\t%s\t%" PRIu64, cycle, s->sref, iref,
		     hash, idx);
		s->acked++;
		s->refused_in_row = 0;
		/* Now and then a session ends under load, so that some
		 * kills fall on a close. */
		if (rng_next(&s->rng) % CLOSE_EVERY == 0)
			close_one(s, c);
		return;
	}
	http = ksef_client_last_http_status(c);
	if (http == 0) {
		/* Killed mid-request, or not listening any more: whether it
		 * was stored is for the check to find out. */
		note("noanswer\t%u\t%s\t-\t%s\t%" PRIu64, cycle, s->sref,
		     hash, idx);
		s->noanswer++;
		pause_ms(10);
		return;
	}
	code = answer_code(c);
	note("refused\t%u\t%s\t-\t%s\t%" PRIu64 "\t%d\t%d", cycle, s->sref,
	     hash, idx, http, code);
	s->refused++;
	/* Not open any more (21180), unknown (21173) or full (21155): the
	 * session takes no more invoices; go on in a new one. So too after
	 * a few refusals in a row of any other kind. */
	if (code == 21180 || code == 21173 || code == 21155 ||
	    ++s->refused_in_row >= 3)
		drop_session(s);
	else
		pause_ms(20);
}

static void *sender_run(void *arg)
{
	struct sender *s = arg;
	ksef_client *cs[MAX_NODES] = { NULL }, *c;
	ksef_pubkey *key = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	unsigned i;

	for (i = 0; i < opt.nodes; i++)
		if ((cs[i] = load_client(i)) == NULL)
			goto out;
	/* Each request to the next node: a session opened on one takes
	 * invoices on the others and is closed on any. */
#define NEXT_CLIENT() (cs[s->turn++ % opt.nodes])
	/* Sometimes the crash's survivor is closed first, so that closing a
	 * session whose invoices were cut off mid-verification is tried
	 * too. */
	if (s->sref[0] && rng_next(&s->rng) % 4 == 0)
		close_one(s, NEXT_CLIENT());
	while (!atomic_load(&stop)) {
		c = NEXT_CLIENT();
		if (s->sref[0] == '\0' && open_one(s, c, &key) != 0) {
			pause_ms(20);
			continue;
		}
		send_one(s, c, &xml);
	}
#undef NEXT_CLIENT
out:
	ksef_buf_dispose(&xml);
	ksef_pubkey_free(key);
	for (i = 0; i < opt.nodes; i++)
		ksef_client_free(cs[i]);
	return NULL;
}

/* A failing harness call ends the program through exit(): the server it
 * started must not outlive it, holding the data folder's lock. */
static struct ksefd_proc *running;

static void kill_running(void)
{
	unsigned i;

	for (i = 0; running != NULL && i < opt.nodes; i++)
		ksefd_kill9(&running[i]);
}

/* Whether the store is PostgreSQL: ksefd_pg.sh leaves the schema's name
 * in the folder. Then there is no SQLite file to check. */
static int store_is_pg(const char *data_dir)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/.pg-schema", data_dir);
	return access(path, F_OK) == 0;
}

/* crash_integrity, or nothing to check on PostgreSQL (which was not
 * killed). */
static int integrity(const char *data_dir, int copy, char *why,
		     size_t size)
{
	if (store_is_pg(data_dir)) {
		snprintf(why, size, "n/a (PostgreSQL)");
		return 0;
	}
	return crash_integrity(data_dir, copy, why, size);
}

static int usage(void)
{
	fprintf(stderr, "usage: crash_load --cycles N [--data DIR] "
		"[--journal FILE] [--threads T] [--kill-ms MIN-MAX] "
		"[--settle SECONDS] [--size BYTES] [--seed SEED] "
		"[--nodes N]\n"
		"       crash_load --check-only --data DIR --journal FILE "
		"[--settle SECONDS]\n");
	return 2;
}

static int parse_args(int argc, char **argv)
{
	int a;

	for (a = 1; a < argc; a += 2) {
		const char *k = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;
		char *end = NULL;

		if (strcmp(k, "--check-only") == 0) {
			opt.check_only = 1;
			a--;
			continue;
		}
		if (v == NULL || *v == '\0')
			return -1;
		if (strcmp(k, "--data") == 0) {
			opt.data_dir = v;
			continue;
		}
		if (strcmp(k, "--journal") == 0) {
			opt.journal = v;
			continue;
		}
		errno = 0;
		if (strcmp(k, "--cycles") == 0)
			opt.cycles = (unsigned)strtoul(v, &end, 10);
		else if (strcmp(k, "--threads") == 0)
			opt.threads = (unsigned)strtoul(v, &end, 10);
		else if (strcmp(k, "--nodes") == 0)
			opt.nodes = (unsigned)strtoul(v, &end, 10);
		else if (strcmp(k, "--settle") == 0)
			opt.settle_s = (unsigned)strtoul(v, &end, 10);
		else if (strcmp(k, "--size") == 0)
			opt.size = strtoul(v, &end, 10);
		else if (strcmp(k, "--seed") == 0)
			opt.seed = strtoull(v, &end, 10);
		else if (strcmp(k, "--kill-ms") == 0) {
			opt.kill_min_ms = (unsigned)strtoul(v, &end, 10);
			if (*end != '-')
				return -1;
			opt.kill_max_ms = (unsigned)strtoul(end + 1, &end, 10);
		} else
			return -1;
		if (errno != 0 || *end != '\0')
			return -1;
	}
	if (opt.check_only)
		return opt.data_dir && opt.journal ? 0 : -1;
	if (opt.cycles < 1 || opt.threads < 1 || opt.threads > MAX_THREADS ||
	    opt.nodes < 1 || opt.nodes > MAX_NODES ||
	    opt.kill_min_ms > opt.kill_max_ms || opt.kill_max_ms > 600000 ||
	    opt.size < KSEF_GEN_MIN_BYTES)
		return -1;
	return 0;
}

/* One crash: ksefd up on the data folder (every node that is down), the
 * load, SIGKILL (to the one server, or to one node chosen at random while
 * the others carry the load a while longer), the threads told to stop
 * once it is gone, and the store checked. Returns whether the crashed
 * store passed its integrity check. */
static int one_cycle(struct ksefd_proc *p, struct sender *senders,
		     const char *ksef_token, uint64_t *rng, double *restart_ms)
{
	struct login l;
	unsigned i, kill_ms, victim = 0, after_ms = 0;
	size_t acked = 0, noanswer = 0, refused = 0;
	double t0 = now_ms();
	char why[256];
	int ok;

	for (i = 0; i < opt.nodes; i++) {
		if (p[i].pid > 0)
			continue;
		ksefd_start(&p[i], p[i].data_dir[0] ? p[i].data_dir : NULL,
			    NULL);
		snprintf(base_url[i], sizeof(base_url[i]), "%s",
			 p[i].base_url);
	}
	*restart_ms = now_ms() - t0;
	/* The token of a login on one node is good on every node. */
	login(&l, &p[cycle % opt.nodes], NIP, ksef_token);
	snprintf(access_token, sizeof(access_token), "%s",
		 l.tokens->access_token->token);
	kill_ms = opt.kill_min_ms + (unsigned)(rng_next(rng) %
		(opt.kill_max_ms - opt.kill_min_ms + 1));
	if (opt.nodes > 1) {
		victim = (unsigned)(rng_next(rng) % opt.nodes);
		after_ms = AFTER_MIN_MS + (unsigned)(rng_next(rng) %
			(AFTER_MAX_MS - AFTER_MIN_MS + 1));
	}
	atomic_store(&stop, 0);
	for (i = 0; i < opt.threads; i++) {
		senders[i].acked = senders[i].noanswer = senders[i].refused = 0;
		if (pthread_create(&senders[i].tid, NULL, sender_run,
				   &senders[i]) != 0)
			fail_msg("cannot start a sending thread");
	}
	pause_ms((long)kill_ms);
	ksefd_kill9(&p[victim]);
	/* Only now: until the kill the load must not slacken. With several
	 * nodes the survivors take it a while longer, so that what the dead
	 * node had in hand meets their work. */
	if (after_ms)
		pause_ms((long)after_ms);
	atomic_store(&stop, 1);
	for (i = 0; i < opt.threads; i++) {
		pthread_join(senders[i].tid, NULL);
		acked += senders[i].acked;
		noanswer += senders[i].noanswer;
		refused += senders[i].refused;
	}
	logout(&l);
	ok = integrity(p[victim].data_dir, 1, why, sizeof(why)) == 0;
	if (opt.nodes > 1)
		printf("cycle %u: node %u of %u killed %u ms into the load, "
		       "the others on for %u ms; 202: %zu, no answer: %zu, "
		       "refused: %zu; integrity: %s\n", cycle, victim + 1,
		       opt.nodes, kill_ms, after_ms, acked, noanswer, refused,
		       ok && !store_is_pg(p[victim].data_dir) ? "ok" : why);
	else
		printf("cycle %u: killed %u ms into the load; 202: %zu, no "
		       "answer: %zu, refused: %zu; integrity: %s\n", cycle,
		       kill_ms, acked, noanswer, refused, ok ? "ok" : why);
	fflush(stdout);
	return ok;
}

/* The last start: recovery, every session closed and settled, the
 * journal checked against the server (the first node), a clean stop of
 * every node, the store checked. */
static int final_check(struct ksefd_proc *p, const char *jpath, char *tok,
		       size_t toksize, unsigned *integrity_bad,
		       unsigned *integrity_runs, double *worst_restart)
{
	struct crash_report r;
	struct login l;
	char why[256] = "";
	double t0 = now_ms();
	int stop_status = 0, final_ok, failed;
	unsigned i;

	for (i = 0; i < opt.nodes; i++)
		if (p[i].pid <= 0)
			ksefd_start(&p[i], p[0].data_dir, NULL);
	if (now_ms() - t0 > *worst_restart)
		*worst_restart = now_ms() - t0;
	if (tok[0] == '\0')
		ksefd_token(&p[0], NIP, "InvoiceWrite,InvoiceRead", tok,
			    toksize);
	login(&l, &p[0], NIP, tok);
	if (crash_check(&r, &p[0], l.tokens->access_token->token, jpath,
			opt.settle_s) != 0)
		return 2;
	logout(&l);
	for (i = 0; i < opt.nodes; i++) {
		int st = ksefd_stop(&p[i]);

		if (st != 0)
			stop_status = st;
	}
	(*integrity_runs)++;
	final_ok = integrity(p[0].data_dir, 0, why, sizeof(why)) == 0;
	if (!final_ok)
		(*integrity_bad)++;

	failed = r.lost || r.stuck || r.duplicated || r.rejected ||
		 r.inconsistent || r.open_left || *integrity_bad ||
		 stop_status != 0;
	printf("cycles:             %u\n", opt.cycles);
	if (opt.nodes > 1)
		printf("nodes:              %u, one killed a cycle\n",
		       opt.nodes);
	printf("sessions:           %zu, %zu closed under load (%zu "
	       "without a 204)\n", r.sessions, r.closes, r.closes_failed);
	printf("acknowledged:       %zu (202)\n", r.acked);
	printf("no answer:          %zu (of which stored: %zu)\n", r.noanswer,
	       r.stored_unacked);
	printf("refused:            %zu\n", r.refused);
	printf("lost:               %zu\n", r.lost);
	printf("stuck:              %zu\n", r.stuck);
	printf("duplicated:         %zu\n", r.duplicated);
	printf("wrong verdict:      %zu\n", r.rejected);
	printf("inconsistent:       %zu\n", r.inconsistent);
	printf("sessions unsettled: %zu\n", r.open_left);
	if (store_is_pg(p[0].data_dir))
		printf("integrity:          n/a (PostgreSQL, not killed)\n");
	else
		printf("integrity:          %s (%u checks, %u failed%s%s)\n",
		       *integrity_bad ? "FAILED" : "ok", *integrity_runs,
		       *integrity_bad, final_ok ? "" : "; final: ",
		       final_ok ? "" : why);
	printf("restart:            longest %.0f ms; final stop: exit %d\n",
	       *worst_restart, stop_status);
	printf("result:             %s\n", failed ? "FAIL" : "PASS");
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sender senders[MAX_THREADS];
	/* outlive main() for kill_running() */
	static struct ksefd_proc p[MAX_NODES];
	char tok[256] = "", jpath[512];
	unsigned i, integrity_bad = 0, integrity_runs = 0;
	uint64_t rng;
	double restart_ms, worst_restart = 0;
	int rc;

	if (parse_args(argc, argv) != 0)
		return usage();
	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	if (opt.seed == 0)
		opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	rng = opt.seed;
	if (ksef_global_init() != 0)
		return 1;
	memset(p, 0, sizeof(p));
	running = p;
	atexit(kill_running);
	memset(senders, 0, sizeof(senders));
	if (opt.data_dir != NULL) {
		/* Made here, so that the harness can open ksefd's log in it
		 * from the first start. */
		if (mkdir(opt.data_dir, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "crash_load: %s: %s\n", opt.data_dir,
				strerror(errno));
			return 2;
		}
		snprintf(p[0].data_dir, sizeof(p[0].data_dir), "%s",
			 opt.data_dir);
	}
	if (opt.check_only) {
		char why[256];

		/* A store that fails its check may not let ksefd start; say
		 * so rather than fail on the start. */
		snprintf(jpath, sizeof(jpath), "%s", opt.journal);
		if (integrity(p[0].data_dir, 1, why, sizeof(why)) != 0) {
			printf("integrity:          FAILED (%s)\n"
			       "result:             FAIL\n", why);
			return 1;
		}
		integrity_runs++;
		return final_check(p, jpath, tok, sizeof(tok),
				   &integrity_bad, &integrity_runs,
				   &worst_restart);
	}
	printf("crash test: %u cycles, %u sessions at a time, kill after "
	       "%u-%u ms of load, invoices of ~%zu bytes, seed %" PRIu64 "%s"
	       "\n", opt.cycles, opt.threads, opt.kill_min_ms,
	       opt.kill_max_ms, opt.size, opt.seed,
	       opt.nodes > 1 ? ", several nodes" : "");
	fflush(stdout);

	/* The token is stored in the data folder, so it is made once, with
	 * a first server up (the harness runs the command in its folder). */
	ksefd_start(&p[0], p[0].data_dir[0] ? p[0].data_dir : NULL, NULL);
	ksefd_token(&p[0], NIP, "InvoiceWrite,InvoiceRead", tok, sizeof(tok));
	ksefd_stop(&p[0]);
	if (opt.nodes > 1 && !store_is_pg(p[0].data_dir)) {
		fprintf(stderr, "crash_load: --nodes needs a store that "
			"several ksefd share (PostgreSQL: KSEFD="
			"tests/support/ksefd_pg.sh)\n");
		if (opt.data_dir == NULL)
			ksefd_cleanup(&p[0]);
		return 2;
	}
	/* Every node serves the same folder, and so (ksefd_pg.sh) the same
	 * schema. */
	for (i = 1; i < opt.nodes; i++)
		snprintf(p[i].data_dir, sizeof(p[i].data_dir), "%s",
			 p[0].data_dir);
	if (opt.journal != NULL)
		snprintf(jpath, sizeof(jpath), "%s", opt.journal);
	else
		snprintf(jpath, sizeof(jpath), "%s/crash-journal",
			 p[0].data_dir);
	journal = fopen(jpath, "a");
	if (journal == NULL) {
		fprintf(stderr, "crash_load: %s: %s\n", jpath, strerror(errno));
		return 2;
	}
	for (cycle = 1; cycle <= opt.cycles; cycle++) {
		for (i = 0; i < opt.threads; i++)
			senders[i].rng = rng_next(&rng);
		integrity_runs++;
		if (!one_cycle(p, senders, tok, &rng, &restart_ms))
			integrity_bad++;
		if (cycle > 1 && restart_ms > worst_restart)
			worst_restart = restart_ms;
		if (atomic_load(&load_failed))
			return 2;
	}
	fclose(journal);
	for (i = 0; i < opt.threads; i++)
		drop_session(&senders[i]);

	rc = final_check(p, jpath, tok, sizeof(tok), &integrity_bad,
			 &integrity_runs, &worst_restart);
	if (rc == 0 && opt.data_dir == NULL)
		ksefd_cleanup(&p[0]);
	else if (rc != 0)
		fprintf(stderr, "crash_load: data folder and journal kept: %s, "
			"%s\n", p[0].data_dir, jpath);
	ksef_global_cleanup();
	return rc;
}
