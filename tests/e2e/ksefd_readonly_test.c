/*
 * ksefd_readonly_test.c - ksefd when its store stops taking writes (the
 * hardening issue's durability under faults): a store remounted read-only
 * (EROFS), a failing disk (EIO) and a full one (ENOSPC). The real ksefd
 * runs with tests/support/iofault.c preloaded, which fails every write to
 * the store's files (ksefd.sqlite3 and its -wal, -shm and -journal) while
 * a trigger file exists; ksefd's log, lock and sockets are left alone.
 *
 * For each errno:
 *  - invoices sent while the writes fail are answered 500, none 202, and
 *    the answer names the request, not the database's failure;
 *  - what was stored before can still be read, and a close is refused
 *    (the session stays open);
 *  - once the writes work again, the same ksefd takes invoices (202, then
 *    200), closes the session and makes its UPO;
 *  - the writes fail again, and ksefd is killed (SIGKILL) in the middle
 *    of it; started again on the same folder, every invoice answered 202
 *    is there exactly once with status 200, none that was refused is, and
 *    both sessions close with their UPO.
 * A fourth case fails only fsync (a_disk_that_cannot_sync), where one
 * thing differs after the kill.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "e2e.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
/* Invoices of each phase. */
#define BEFORE 3
#define DURING 4
#define AFTER 3
#define MAX_ACKED (BEFORE + AFTER + 1)
#define MAX_REFUSED (2 * DURING)

/* What one session was answered: the invoices acknowledged (with the
 * KSeF number each got) and the hashes of those refused. A refused one
 * may be there after all only where may_appear says so (see
 * a_disk_that_cannot_sync); `appeared` counts those found. */
struct ledger {
	char sref[KSEF_REFNUM_BUFSZ];
	char acked[MAX_ACKED][KSEF_REFNUM_BUFSZ];
	char ksef[MAX_ACKED][KSEF_NUMBER_BUFSZ];
	int nacked;
	char refused[MAX_REFUSED][KSEF_SHA256_B64_LEN + 1];
	int nrefused;
	int may_appear;
	int appeared;
};

struct world {
	char *dir;               /* scratch: the data folder and the trigger */
	char data[300];
	char trigger[300];
	const char *errname;
	const char *ops;         /* IOFAULT_OPS, or NULL: every call */
	struct ksefd_proc p;
	char tok[256];
	struct login l;
	ksef_buf xml;
	uint64_t serial;         /* every invoice of the run is distinct */
};

/* The current case's, for teardown() to clean up after a failure. */
static struct world run;

static void start_faulty(struct world *w)
{
	char preload[1024], prefix[400];

	snprintf(preload, sizeof(preload), "%s%s%s", KSEF_ASAN_RUNTIME,
		 KSEF_ASAN_RUNTIME[0] ? " " : "", KSEF_IOFAULT_LIB);
	snprintf(prefix, sizeof(prefix), "%s/ksefd.sqlite3", w->data);
	assert_int_equal(access(KSEF_IOFAULT_LIB, R_OK), 0);
	setenv("LD_PRELOAD", preload, 1);
	setenv("IOFAULT_PREFIX", prefix, 1);
	setenv("IOFAULT_TRIGGER", w->trigger, 1);
	setenv("IOFAULT_ERRNO", w->errname, 1);
	if (w->ops != NULL)
		setenv("IOFAULT_OPS", w->ops, 1);
	ksefd_start(&w->p, w->data, NULL);
	unsetenv("LD_PRELOAD");
	unsetenv("IOFAULT_PREFIX");
	unsetenv("IOFAULT_TRIGGER");
	unsetenv("IOFAULT_ERRNO");
	unsetenv("IOFAULT_OPS");
}

static void faults(const struct world *w, int on)
{
	FILE *f;

	if (on) {
		f = fopen(w->trigger, "w");
		assert_non_null(f);
		fclose(f);
	} else {
		assert_int_equal(unlink(w->trigger), 0);
	}
}

static void next_invoice(struct world *w)
{
	gen(&w->xml, KSEF_FORM_FA3, NIP, w->errname, ++w->serial, NULL);
}

static void send_acked(struct world *w, struct ledger *s, ksef_envelope *env)
{
	assert_true(s->nacked < MAX_ACKED);
	next_invoice(w);
	send_xml(&w->l, s->sref, env, &w->xml, s->acked[s->nacked++]);
}

/* The failure's answer says where to look (the request's number) and
 * keeps the database's own words for the log. */
static void assert_opaque(const ksef_api_error *e)
{
	static const char *const internal[] = {
		"database", "sqlite", "SQL", "disk", "I/O", "readonly",
		"read-only", "transaction",
	};
	const ksef_api_problem *pr;
	size_t i, j, k, mentions = 0;

	assert_non_null(e);
	assert_non_null(e->reference_number);
	for (i = 0; i < ksef_api_problems_count(e->problems); i++) {
		pr = ksef_api_problems_at(e->problems, i);
		for (j = 0; j < pr->detail_count; j++) {
			for (k = 0; k < sizeof(internal) / sizeof(*internal);
			     k++)
				if (strstr(pr->details[j], internal[k]))
					fail_msg("detail shows the store's "
						 "failure: %s", pr->details[j]);
			if (strstr(pr->details[j], e->reference_number))
				mentions++;
		}
	}
	assert_true(mentions > 0);
}

/* Send an invoice while the writes fail: a 500, never a 202. */
static void send_refused(struct world *w, struct ledger *s,
			 ksef_envelope *env)
{
	char iref[KSEF_REFNUM_BUFSZ];
	ksef_invoice_meta meta;
	ksef_error err;

	assert_true(s->nrefused < MAX_REFUSED);
	next_invoice(w);
	assert_int_equal(ksef_sha256_base64(s->refused[s->nrefused++],
		w->xml.ptr, w->xml.size, &err), 0);
	if (ksef_client_invoice_send(iref, &meta, w->l.c, s->sref, env,
				     w->xml.ptr, w->xml.size, NULL, &err) == 0)
		fail_msg("%s: invoice %s acknowledged while the store fails",
			 w->errname, iref);
	assert_int_equal(ksef_client_last_http_status(w->l.c), 500);
	assert_opaque(ksef_client_last_error(w->l.c));
}

/* Wait for every acknowledged invoice's verdict: 200 and a KSeF number,
 * the same one each time it is asked. */
static void wait_acked(struct world *w, struct ledger *s)
{
	ksef_api_invoice_status *st;
	int i;

	for (i = 0; i < s->nacked; i++) {
		st = wait_invoice(&w->l, s->sref, s->acked[i]);
		assert_int_equal(st->status->code, 200);
		assert_non_null(st->ksef_number);
		if (s->ksef[i][0] == '\0')
			snprintf(s->ksef[i], sizeof(s->ksef[i]), "%s",
				 st->ksef_number);
		assert_string_equal(st->ksef_number, s->ksef[i]);
		ksef_api_invoice_status_free(st);
	}
}

/* The session's listing holds each acknowledged invoice once, with 200,
 * and nothing else: none of the refused ones, unless they may appear, and
 * then once and decided. */
static void assert_listing(struct world *w, struct ledger *s)
{
	ksef_api_invoice_list *list = NULL;
	const ksef_api_invoice_status *it;
	int seen[MAX_ACKED] = { 0 }, found[MAX_REFUSED] = { 0 }, i, j;
	size_t k, n;
	ksef_error err;

	assert_int_equal(ksef_client_session_invoices(&list, w->l.c, s->sref,
		0, 1000, NULL, &err), 0);
	assert_null(ksef_api_invoice_list_continuation(list));
	n = ksef_api_invoice_list_count(list);
	s->appeared = 0;
	for (k = 0; k < n; k++) {
		it = ksef_api_invoice_list_at(list, k);
		assert_int_equal(it->status->code, 200);
		for (j = 0; j < s->nrefused; j++)
			if (strcmp(it->invoice_hash, s->refused[j]) == 0)
				break;
		if (j < s->nrefused) {
			if (!s->may_appear)
				fail_msg("%s: a refused invoice is stored",
					 w->errname);
			assert_int_equal(++found[j], 1);
			s->appeared++;
			continue;
		}
		for (i = 0; i < s->nacked; i++)
			if (strcmp(it->reference_number, s->acked[i]) == 0)
				break;
		assert_true(i < s->nacked);
		seen[i]++;
		if (s->ksef[i][0] != '\0')
			assert_string_equal(it->ksef_number, s->ksef[i]);
	}
	for (i = 0; i < s->nacked; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(n, (size_t)(s->nacked + s->appeared));
	ksef_api_invoice_list_free(list);
}

/* Reads of what is stored need no write. */
static void assert_readable(struct world *w, struct ledger *s)
{
	ksef_api_session_status *ss = NULL;
	ksef_api_invoice_status *st = NULL;
	ksef_error err;

	assert_listing(w, s);
	assert_int_equal(ksef_client_session_status(&ss, w->l.c, s->sref,
						    &err), 0);
	assert_int_equal(ss->status->code, 100);
	assert_int_equal(ss->invoice_count, s->nacked + s->appeared);
	ksef_api_session_status_free(ss);
	assert_int_equal(ksef_client_session_invoice(&st, w->l.c, s->sref,
						     s->acked[0], &err), 0);
	assert_int_equal(st->status->code, 200);
	ksef_api_invoice_status_free(st);
}

/* An invoice's UPO is made at its first request and kept, so that every
 * later request gets the same bytes: the first one needs a write, the
 * others only a read. */
static int fetch_upo(struct world *w, const struct ledger *s, int i,
		     ksef_buf *out)
{
	ksef_error err;
	int error;

	error = ksef_client_upo_by_invoice_ref(out, w->l.c, s->sref,
					       s->acked[i], &err);
	if (error == 0)
		assert_non_null(strstr((const char *)out->ptr, s->ksef[i]));
	return error;
}

/* A closed session: 200, its counts, and every KSeF number once in the
 * pages of its UPO. */
static void assert_closed(struct world *w, struct ledger *s)
{
	ksef_api_session_status *ss = NULL;
	ksef_buf page = KSEF_BUF_INIT;
	int found[MAX_ACKED] = { 0 }, i;
	size_t k;
	ksef_error err;

	assert_int_equal(wait_session(&w->l, s->sref, &ss), 200);
	assert_listing(w, s);
	assert_int_equal(ss->invoice_count, s->nacked + s->appeared);
	assert_int_equal(ss->successful_invoice_count,
			 s->nacked + s->appeared);
	assert_true(ss->failed_invoice_count <= 0); /* absent: none */
	assert_true(ksef_api_upo_pages_count(ss->upo_pages) > 0);
	for (k = 0; k < ksef_api_upo_pages_count(ss->upo_pages); k++) {
		assert_int_equal(ksef_client_upo_session_page(&page, w->l.c,
			s->sref, ksef_api_upo_pages_at(ss->upo_pages, k)
				->reference_number, &err), 0);
		for (i = 0; i < s->nacked; i++)
			if (strstr((const char *)page.ptr, s->ksef[i]))
				found[i]++;
	}
	for (i = 0; i < s->nacked; i++)
		assert_int_equal(found[i], 1);
	ksef_buf_dispose(&page);
	ksef_api_session_status_free(ss);
}

static void close_with_upo(struct world *w, struct ledger *s)
{
	ksef_error err;

	assert_int_equal(ksef_client_session_close(w->l.c, s->sref, &err), 0);
	assert_closed(w, s);
}

static int count_in_log(const struct world *w, const char *what)
{
	char line[1024];
	FILE *f = fopen(w->p.log_path, "r");
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, what))
			n++;
	fclose(f);
	return n;
}

/* Give the checkpointer (which wakes at least once a second) time to
 * run into the faults: wait up to 2.5 s for a failed sync of the store in
 * the log. With every call failing, a commit stops at its first write and
 * only a checkpoint gets as far as a sync; but it does so only if some
 * commit is left to copy, and the last one came just before the faults,
 * so a checkpoint in between (rare) leaves nothing for it to fail on. */
static int wait_failed_sync(const struct world *w)
{
	int i, n;

	for (i = 0; i < 50 && (n = count_in_log(w, "iofault: fdatasync")) == 0;
	     i++)
		e2e_sleep_us(50000);
	return n;
}

/* After a clean stop: the last connection has copied the log back and
 * removed it, and SQLite finds the file whole. */
static void assert_store_sound(const struct world *w)
{
	char db[400], wal[420];
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	struct stat sb;

	snprintf(db, sizeof(db), "%s/ksefd.sqlite3", w->data);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	assert_true(stat(wal, &sb) != 0 || sb.st_size == 0);
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1,
					    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static void a_store_that_fails_writes(const char *errname, const char *ops)
{
	struct world *w = &run;
	struct ledger a, b;
	ksef_envelope *env_a = NULL, *env_b = NULL;
	ksef_buf upo = KSEF_BUF_INIT, again = KSEF_BUF_INIT;
	ksef_error err;
	int i, synced;

	memset(w, 0, sizeof(*w));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	w->errname = errname;
	w->ops = ops;
	w->xml = (ksef_buf)KSEF_BUF_INIT;
	w->dir = ts_mkdtemp();
	snprintf(w->data, sizeof(w->data), "%s/data", w->dir);
	snprintf(w->trigger, sizeof(w->trigger), "%s/faults-on", w->dir);
	/* Made here, so that the library finds its real path at once. */
	assert_int_equal(mkdir(w->data, 0700), 0);
	start_faulty(w);
	ksefd_token(&w->p, NIP, "InvoiceWrite,InvoiceRead", w->tok,
		    sizeof(w->tok));
	login(&w->l, &w->p, NIP, w->tok);

	/* Session A: stored, then refused, then stored again. */
	open_session(&w->l, KSEF_FORM_FA3, &env_a, a.sref);
	for (i = 0; i < BEFORE; i++)
		send_acked(w, &a, env_a);
	wait_acked(w, &a);
	assert_int_equal(fetch_upo(w, &a, 0, &upo), 0);
	faults(w, 1);
	for (i = 0; i < DURING; i++)
		send_refused(w, &a, env_a);
	assert_readable(w, &a);
	/* A UPO already made is read back; one not yet made cannot be
	 * kept, so it is not handed out either. */
	assert_int_equal(fetch_upo(w, &a, 0, &again), 0);
	assert_int_equal(again.size, upo.size);
	assert_memory_equal(again.ptr, upo.ptr, upo.size);
	assert_int_not_equal(fetch_upo(w, &a, 1, &again), 0);
	assert_int_equal(ksef_client_last_http_status(w->l.c), 500);
	assert_opaque(ksef_client_last_error(w->l.c));
	assert_int_not_equal(ksef_client_session_close(w->l.c, a.sref, &err),
			     0);
	assert_int_equal(ksef_client_last_http_status(w->l.c), 500);
	assert_opaque(ksef_client_last_error(w->l.c));
	assert_readable(w, &a); /* still open */
	synced = wait_failed_sync(w);
	assert_readable(w, &a);
	/* Only the store's files fail: the log still takes each reason. */
	assert_true(count_in_log(w, "internal error") >= DURING);

	/* The writes work again: the same process takes invoices. */
	faults(w, 0);
	assert_int_equal(fetch_upo(w, &a, 1, &again), 0);
	for (i = 0; i < AFTER; i++)
		send_acked(w, &a, env_a);
	wait_acked(w, &a);
	assert_listing(w, &a);
	close_with_upo(w, &a);

	/* Session B: one stored, then the writes fail again and the
	 * process is killed in the middle of it. */
	open_session(&w->l, KSEF_FORM_FA3, &env_b, b.sref);
	send_acked(w, &b, env_b);
	wait_acked(w, &b);
	faults(w, 1);
	for (i = 0; i < DURING; i++)
		send_refused(w, &b, env_b);
	logout(&w->l);
	ksefd_kill9(&w->p);
	faults(w, 0);
	b.may_appear = ops != NULL && strcmp(ops, "sync") == 0;

	/* Started again on the same folder, as it is: everything
	 * acknowledged is there once, decided, and nothing refused. */
	ksefd_start(&w->p, w->data, NULL);
	login(&w->l, &w->p, NIP, w->tok);
	assert_listing(w, &a);
	wait_acked(w, &a);
	assert_readable(w, &b);
	wait_acked(w, &b);
	close_with_upo(w, &b);
	assert_closed(w, &a);
	assert_int_equal(fetch_upo(w, &a, 0, &again), 0);
	assert_memory_equal(again.ptr, upo.ptr, upo.size);
	printf("%s%s%s: %d + %d invoices acknowledged, %d + %d refused with "
	       "500; %d calls failed, %d syncs in the first outage; after "
	       "the restart %d of the refused were there\n", errname,
	       ops ? " on " : "", ops ? ops : "", a.nacked, b.nacked,
	       a.nrefused, b.nrefused, count_in_log(w, "iofault: "), synced,
	       b.appeared);

	ksef_envelope_free(env_a);
	ksef_envelope_free(env_b);
	ksef_buf_dispose(&w->xml);
	ksef_buf_dispose(&upo);
	ksef_buf_dispose(&again);
	logout(&w->l);
	assert_int_equal(ksefd_stop(&w->p), 0);
	assert_store_sound(w);
}

static void a_read_only_store_refuses_and_recovers(void **state)
{
	(void)state;
	a_store_that_fails_writes("EROFS", NULL);
}

static void a_failing_disk_refuses_and_recovers(void **state)
{
	(void)state;
	a_store_that_fails_writes("EIO", NULL);
}

static void a_full_disk_refuses_and_recovers(void **state)
{
	(void)state;
	a_store_that_fails_writes("ENOSPC", NULL);
}

/* A disk that takes the writes but fails every fsync: the log frames of
 * a commit are written, their sync fails, and the invoice is answered 500.
 * The same process never shows it (SQLite's shared index of the log does
 * not count those frames, and the next commit writes over them), but
 * nothing takes the frames back: after a kill -9 the next start reads
 * them from the page cache, whole and with a commit mark, and the last
 * invoice refused before the kill may be there after all. It is then
 * there once and decided; a 500 leaves the outcome open, and a client
 * asks by hash (ksef_client_invoice_send's doc). */
static void a_disk_that_cannot_sync(void **state)
{
	(void)state;
	a_store_that_fails_writes("EIO", "sync");
}

/* A failed case leaves its ksefd running and its folder behind. */
static int teardown(void **state)
{
	(void)state;
	if (run.p.pid > 0)
		ksefd_kill9(&run.p);
	if (run.dir != NULL)
		ts_rmdir(run.dir);
	run.dir = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(
			a_read_only_store_refuses_and_recovers, teardown),
		cmocka_unit_test_teardown(a_failing_disk_refuses_and_recovers,
					  teardown),
		cmocka_unit_test_teardown(a_full_disk_refuses_and_recovers,
					  teardown),
		cmocka_unit_test_teardown(a_disk_that_cannot_sync,
					  teardown),
	};

	if (ts_schemas_missing())
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
