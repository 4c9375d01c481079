/*
 * crash_check.c - the verdict of a crash run: the client's journal (see
 * crash.h) against what the restarted ksefd says through its API, and the
 * store's own integrity check.
 *
 * Only the HTTP API is asked about invoices, so the check holds whatever
 * the store looks like inside: every session of the journal is listed
 * (GET /sessions/{ref}/invoices), every invoice answered 202 is also asked
 * for alone (GET /sessions/{ref}/invoices/{iref}), and the two answers and
 * the session's counters must agree. Since the client sent every document
 * once, a hash or a KSeF number seen twice can only be the server's doing.
 * The integrity check opens ksefd.sqlite3 with SQLite itself (the store
 * file docs/ksefd.md names), so no sqlite3 program need be installed.
 */
#include "testsupport.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sqlite3.h>
#include "ksef/ksef.h"
#include "crash.h"

/* How many problems of one kind are printed; the count has them all. */
#define SHOWN_PER_KIND 10

struct sent {                   /* one send of the journal */
	char kind;              /* 'a' ack, 'n' no answer, 'r' refused */
	unsigned cycle;
	size_t sess;            /* index into the session table */
	char iref[KSEF_REFNUM_BUFSZ];
	char hash[KSEF_SHA256_B64_LEN + 1];
	unsigned long long idx;
	int http, code;
};

struct entry {                  /* one invoice of a session's listing */
	size_t sess;
	char iref[KSEF_REFNUM_BUFSZ];
	char hash[KSEF_SHA256_B64_LEN + 1];
	char ksef[KSEF_NUMBER_BUFSZ];
	int code;
};

struct session {
	char ref[KSEF_REFNUM_BUFSZ];
	int code;               /* last status seen */
	int64_t count, ok, failed;
	size_t listed, listed_ok, listed_failed;
};

struct run {
	struct session *sess;
	size_t nsess;
	struct sent *sent;
	size_t nsent;
	struct entry *ent;
	size_t nent;
	size_t closes, closes_failed;
	size_t shown[8];
};

enum { P_LOST, P_STUCK, P_DUP, P_REJECTED, P_INCONSISTENT, P_OPEN };

static const char *const kind_name[] = { "lost", "stuck", "duplicated",
	"wrong verdict", "inconsistent", "unsettled" };

static void problem(struct run *run, size_t *count, int kind,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void problem(struct run *run, size_t *count, int kind,
		    const char *fmt, ...)
{
	va_list ap;

	(*count)++;
	if (run->shown[kind]++ >= SHOWN_PER_KIND)
		return;
	fprintf(stderr, "crash_load: %s: ", kind_name[kind]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void *grow(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	p = realloc(p, *cap * size);
	if (p == NULL) {
		fprintf(stderr, "crash_load: out of memory\n");
		exit(2);
	}
	return p;
}

static size_t session_index(struct run *run, const char *ref, size_t *cap)
{
	size_t i;

	for (i = 0; i < run->nsess; i++)
		if (strcmp(run->sess[i].ref, ref) == 0)
			return i;
	run->sess = grow(run->sess, run->nsess, cap, sizeof(*run->sess));
	memset(&run->sess[i], 0, sizeof(run->sess[i]));
	snprintf(run->sess[i].ref, sizeof(run->sess[i].ref), "%s", ref);
	return run->nsess++;
}

static int copy_field(char *out, size_t size, const char *in)
{
	if (in == NULL || strlen(in) >= size)
		return -1;
	memcpy(out, in, strlen(in) + 1);
	return 0;
}

static int read_journal(struct run *run, const char *path)
{
	FILE *f = fopen(path, "r");
	size_t scap = 0, ncap = 0, lineno = 0;
	char *line = NULL;
	size_t linecap = 0;

	if (f == NULL) {
		fprintf(stderr, "crash_load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &linecap, f) > 0) {
		char *fld[8] = { 0 }, *save = NULL, *t;
		int n = 0;

		lineno++;
		for (t = strtok_r(line, "\t\n", &save); t && n < 8;
		     t = strtok_r(NULL, "\t\n", &save))
			fld[n++] = t;
		if (n < 3)
			goto bad;
		if (strcmp(fld[0], "open") == 0 ||
		    strcmp(fld[0], "close") == 0) {
			if (strlen(fld[2]) >= KSEF_REFNUM_BUFSZ)
				goto bad;
			session_index(run, fld[2], &scap);
			if (fld[0][0] == 'c') {
				run->closes++;
				if (n > 3 && strcmp(fld[3], "ok") != 0)
					run->closes_failed++;
			}
			continue;
		}
		if (n < 6)
			goto bad;
		run->sent = grow(run->sent, run->nsent, &ncap,
				 sizeof(*run->sent));
		{
			struct sent *s = &run->sent[run->nsent];

			memset(s, 0, sizeof(*s));
			s->kind = fld[0][0];
			s->cycle = (unsigned)strtoul(fld[1], NULL, 10);
			if (strlen(fld[2]) >= KSEF_REFNUM_BUFSZ ||
			    copy_field(s->iref, sizeof(s->iref), fld[3]) ||
			    copy_field(s->hash, sizeof(s->hash), fld[4]))
				goto bad;
			s->sess = session_index(run, fld[2], &scap);
			s->idx = strtoull(fld[5], NULL, 10);
			if (s->kind == 'r' && n >= 8) {
				s->http = atoi(fld[6]);
				s->code = atoi(fld[7]);
			}
			if (s->kind != 'a' && s->kind != 'n' && s->kind != 'r')
				goto bad;
			run->nsent++;
		}
	}
	free(line);
	fclose(f);
	return 0;
bad:
	fprintf(stderr, "crash_load: %s:%zu: not a journal line\n", path,
		lineno);
	free(line);
	fclose(f);
	return -1;
}

static ksef_client *check_client(const struct ksefd_proc *p, const char *token)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;
	ksef_error err;

	/* Reads only: the library's retries of idempotent calls may stay. */
	o.base_url = p->base_url;
	if (ksef_client_new(&c, &o, &err) != 0 ||
	    ksef_client_set_access_token(c, token, &err) != 0)
		fail_msg("check client: %s", err.message);
	return c;
}

static int final_code(int code)
{
	return code != 100 && code != 170;
}

static int refresh_session(ksef_client *c, struct session *s)
{
	ksef_api_session_status *st = NULL;
	ksef_error err;

	if (ksef_client_session_status(&st, c, s->ref, &err) != 0) {
		fprintf(stderr, "crash_load: session %s: %s\n", s->ref,
			err.message);
		return -1;
	}
	s->code = st->status->code;
	s->count = st->invoice_count < 0 ? 0 : st->invoice_count;
	s->ok = st->successful_invoice_count < 0 ? 0 :
		st->successful_invoice_count;
	s->failed = st->failed_invoice_count < 0 ? 0 :
		    st->failed_invoice_count;
	ksef_api_session_status_free(st);
	return 0;
}

/* Every session to a final status, or the deadline. Sessions a crash left
 * open are closed here: nothing else would ever close them. */
static void settle_sessions(struct run *run, ksef_client *c, double deadline)
{
	size_t i, pending;
	ksef_error err;

	for (i = 0; i < run->nsess; i++) {
		struct session *s = &run->sess[i];

		if (refresh_session(c, s) == 0 && s->code == 100 &&
		    ksef_client_session_close(c, s->ref, &err) != 0)
			fprintf(stderr, "crash_load: close %s: %s\n", s->ref,
				err.message);
	}
	do {
		pending = 0;
		for (i = 0; i < run->nsess; i++) {
			struct session *s = &run->sess[i];

			if (s->code != 0 && final_code(s->code))
				continue;
			if (refresh_session(c, s) != 0 || !final_code(s->code))
				pending++;
		}
		if (pending)
			pause_ms(200);
	} while (pending && now_s() < deadline);
}

static int list_session(struct run *run, ksef_client *c, size_t si,
			size_t *cap)
{
	char cont[4096] = "";
	ksef_error err;

	do {
		ksef_api_invoice_list *l = NULL;
		const char *next;
		size_t i;

		if (ksef_client_session_invoices(&l, c, run->sess[si].ref, 0,
				1000, cont[0] ? cont : NULL, &err) != 0) {
			fprintf(stderr, "crash_load: list %s: %s\n",
				run->sess[si].ref, err.message);
			return -1;
		}
		for (i = 0; i < ksef_api_invoice_list_count(l); i++) {
			const ksef_api_invoice_status *st =
				ksef_api_invoice_list_at(l, i);
			struct entry *e;

			run->ent = grow(run->ent, run->nent, cap,
					sizeof(*run->ent));
			e = &run->ent[run->nent++];
			memset(e, 0, sizeof(*e));
			e->sess = si;
			e->code = st->status->code;
			(void)copy_field(e->iref, sizeof(e->iref),
					 st->reference_number);
			(void)copy_field(e->hash, sizeof(e->hash),
					 st->invoice_hash);
			if (st->ksef_number != NULL)
				(void)copy_field(e->ksef, sizeof(e->ksef),
						 st->ksef_number);
		}
		next = ksef_api_invoice_list_continuation(l);
		snprintf(cont, sizeof(cont), "%s", next ? next : "");
		ksef_api_invoice_list_free(l);
	} while (cont[0]);
	return 0;
}

/* All sessions listed; returns how many listed invoices are not final
 * yet, or -1 when a listing failed. */
static long list_all(struct run *run, ksef_client *c)
{
	size_t i, cap = 0;
	long pending = 0;

	free(run->ent);
	run->ent = NULL;
	run->nent = 0;
	for (i = 0; i < run->nsess; i++)
		if (list_session(run, c, i, &cap) != 0)
			return -1;
	for (i = 0; i < run->nent; i++)
		if (run->ent[i].code < 200)
			pending++;
	return pending;
}

static int by_sess_iref(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->sess != y->sess)
		return x->sess < y->sess ? -1 : 1;
	return strcmp(x->iref, y->iref);
}

static int by_hash(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->hash,
		      ((const struct entry *)b)->hash);
}

static int by_ksef(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->ksef,
		      ((const struct entry *)b)->ksef);
}

static int sent_by_hash(const void *a, const void *b)
{
	return strcmp(((const struct sent *)a)->hash,
		      ((const struct sent *)b)->hash);
}

/* One GET of an acknowledged invoice: 0 with its status, 1 when the
 * server does not know it (400/21405, docs/ksefd.md), -1 on failure. */
static int get_invoice(ksef_client *c, const struct session *s,
		       const struct sent *a, int *code, char *ksef_number)
{
	ksef_api_invoice_status *st = NULL;
	ksef_error err;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		if (ksef_client_session_invoice(&st, c, s->ref, a->iref,
						&err) == 0) {
			*code = st->status->code;
			ksef_number[0] = '\0';
			if (st->ksef_number != NULL)
				(void)copy_field(ksef_number, KSEF_NUMBER_BUFSZ,
						 st->ksef_number);
			ksef_api_invoice_status_free(st);
			return 0;
		}
		if (ksef_client_last_http_status(c) == 400 &&
		    ksef_api_error_has_code(ksef_client_last_error(c), 21405))
			return 1;
		pause_ms(100);
	}
	fprintf(stderr, "crash_load: invoice %s: %s\n", a->iref, err.message);
	return -1;
}

static void check_acks(struct run *run, struct crash_report *r,
		       ksef_client *c)
{
	size_t i;

	qsort(run->ent, run->nent, sizeof(*run->ent), by_sess_iref);
	for (i = 0; i < run->nsent; i++) {
		const struct sent *a = &run->sent[i];
		const struct session *s = &run->sess[a->sess];
		struct entry key, *e;
		char ksef_number[KSEF_NUMBER_BUFSZ];
		int code = 0, got;

		if (a->kind != 'a')
			continue;
		r->acked++;
		key.sess = a->sess;
		memcpy(key.iref, a->iref, sizeof(key.iref));
		e = bsearch(&key, run->ent, run->nent, sizeof(*run->ent),
			    by_sess_iref);
		got = get_invoice(c, s, a, &code, ksef_number);
		if (got < 0) {
			problem(run, &r->inconsistent, P_INCONSISTENT,
				"invoice %s of %s cannot be read", a->iref,
				s->ref);
			continue;
		}
		if (got == 1 && e == NULL) {
			problem(run, &r->lost, P_LOST, "invoice %s (#%llu, "
				"cycle %u) of %s is unknown", a->iref, a->idx,
				a->cycle, s->ref);
			continue;
		}
		if (got == 1 || e == NULL) {
			problem(run, &r->inconsistent, P_INCONSISTENT,
				"invoice %s of %s is %s the listing but %s",
				a->iref, s->ref, e ? "in" : "not in",
				got ? "unknown alone" : "known alone");
			continue;
		}
		if (strcmp(e->hash, a->hash) != 0)
			problem(run, &r->inconsistent, P_INCONSISTENT,
				"invoice %s of %s has another hash", a->iref,
				s->ref);
		if (code >= 200 && e->code >= 200 && code != e->code)
			problem(run, &r->duplicated, P_DUP, "invoice %s of %s "
				"is %d alone and %d in the listing", a->iref,
				s->ref, code, e->code);
		if (code < 200)
			problem(run, &r->stuck, P_STUCK, "invoice %s (#%llu, "
				"cycle %u) of %s is still %d", a->iref, a->idx,
				a->cycle, s->ref, code);
		else if (code == 440)
			problem(run, &r->duplicated, P_DUP, "invoice %s (#%llu)"
				" sent once ended 440 (duplicate)", a->iref,
				a->idx);
		else if (code != 200)
			problem(run, &r->rejected, P_REJECTED, "invoice %s "
				"(#%llu) of %s ended %d", a->iref, a->idx,
				s->ref, code);
		else if (ksef_number[0] == '\0' ||
			 strcmp(ksef_number, e->ksef) != 0)
			problem(run, &r->inconsistent, P_INCONSISTENT,
				"invoice %s of %s: 200 with KSeF numbers "
				"'%s' alone and '%s' listed", a->iref, s->ref,
				ksef_number, e->ksef);
	}
}

/* What the listings say on their own: one entry per reference, per
 * document and per KSeF number, every document one the client sent, and
 * counters that add up. */
static void check_listings(struct run *run, struct crash_report *r)
{
	size_t i;

	qsort(run->ent, run->nent, sizeof(*run->ent), by_sess_iref);
	for (i = 0; i + 1 < run->nent; i++)
		if (by_sess_iref(&run->ent[i], &run->ent[i + 1]) == 0)
			problem(run, &r->duplicated, P_DUP, "invoice %s "
				"listed twice in %s", run->ent[i].iref,
				run->sess[run->ent[i].sess].ref);
	for (i = 0; i < run->nent; i++) {
		const struct entry *e = &run->ent[i];
		struct session *s = &run->sess[e->sess];

		s->listed++;
		if (e->code == 200)
			s->listed_ok++;
		else if (e->code >= 300)
			s->listed_failed++;
	}
	qsort(run->ent, run->nent, sizeof(*run->ent), by_hash);
	qsort(run->sent, run->nsent, sizeof(*run->sent), sent_by_hash);
	for (i = 0; i < run->nent; i++) {
		const struct entry *e = &run->ent[i];
		struct sent key, *s;

		if (i + 1 < run->nent && strcmp(e->hash, e[1].hash) == 0)
			problem(run, &r->duplicated, P_DUP, "one document "
				"stored twice: %s (%d) and %s (%d)", e->iref,
				e->code, e[1].iref, e[1].code);
		memcpy(key.hash, e->hash, sizeof(key.hash));
		s = bsearch(&key, run->sent, run->nsent, sizeof(*run->sent),
			    sent_by_hash);
		if (s == NULL)
			problem(run, &r->inconsistent, P_INCONSISTENT,
				"invoice %s was never sent", e->iref);
		else if (s->kind == 'n' ||
			 (s->kind == 'r' && s->http >= 500)) {
			/* Kept although no 202 came: allowed, but then it
			 * is verified like any other. */
			r->stored_unacked++;
			if (e->code < 200)
				problem(run, &r->stuck, P_STUCK, "invoice %s "
					"(#%llu, stored without a 202) is "
					"still %d", e->iref, s->idx, e->code);
			else if (e->code != 200)
				problem(run, &r->rejected, P_REJECTED,
					"invoice %s (#%llu, stored without a "
					"202) ended %d", e->iref, s->idx,
					e->code);
		}
		else if (s->kind == 'r')
			problem(run, &r->inconsistent, P_INCONSISTENT,
				"invoice #%llu refused with %d/%d is stored "
				"as %s", s->idx, s->http, s->code, e->iref);
	}
	qsort(run->ent, run->nent, sizeof(*run->ent), by_ksef);
	for (i = 0; i + 1 < run->nent; i++)
		if (run->ent[i].ksef[0] &&
		    strcmp(run->ent[i].ksef, run->ent[i + 1].ksef) == 0)
			problem(run, &r->duplicated, P_DUP, "KSeF number %s "
				"given to %s and %s", run->ent[i].ksef,
				run->ent[i].iref, run->ent[i + 1].iref);
	for (i = 0; i < run->nsess; i++) {
		const struct session *s = &run->sess[i];

		if (!final_code(s->code)) {
			problem(run, &r->open_left, P_OPEN, "session %s is "
				"still %d", s->ref, s->code);
			continue;
		}
		if ((size_t)s->count != s->listed ||
		    (size_t)s->ok != s->listed_ok ||
		    (size_t)s->failed != s->listed_failed)
			problem(run, &r->inconsistent, P_INCONSISTENT,
				"session %s counts %lld/%lld/%lld (all/ok/"
				"failed) but lists %zu/%zu/%zu", s->ref,
				(long long)s->count, (long long)s->ok,
				(long long)s->failed, s->listed, s->listed_ok,
				s->listed_failed);
	}
}

int crash_check(struct crash_report *r, const struct ksefd_proc *p,
		const char *token, const char *journal, unsigned settle_s)
{
	struct run run;
	ksef_client *c;
	double deadline = now_s() + settle_s;
	long pending;
	size_t i;

	memset(r, 0, sizeof(*r));
	memset(&run, 0, sizeof(run));
	if (read_journal(&run, journal) != 0)
		return -1;
	c = check_client(p, token);
	settle_sessions(&run, c, deadline);
	/* A session may be final before the last of its invoices is: wait
	 * for the invoices too, within the same deadline. */
	while ((pending = list_all(&run, c)) != 0 && now_s() < deadline)
		pause_ms(500);
	if (pending < 0)
		fail_msg("cannot list the sessions' invoices");
	for (i = 0; i < run.nsess; i++)
		(void)refresh_session(c, &run.sess[i]);
	r->sessions = run.nsess;
	r->closes = run.closes;
	r->closes_failed = run.closes_failed;
	for (i = 0; i < run.nsent; i++) {
		if (run.sent[i].kind == 'n')
			r->noanswer++;
		else if (run.sent[i].kind == 'r')
			r->refused++;
	}
	check_acks(&run, r, c);
	check_listings(&run, r);
	ksef_client_free(c);
	free(run.sess);
	free(run.sent);
	free(run.ent);
	return 0;
}

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[65536];
	size_t n;
	int rc = 0;

	if (in == NULL)
		return errno == ENOENT ? 1 : -1;
	out = fopen(to, "wb");
	if (out == NULL) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (ferror(in))
		rc = -1;
	fclose(in);
	if (fclose(out) != 0)
		rc = -1;
	return rc;
}

int crash_integrity(const char *data_dir, int copy, char *why, size_t size)
{
	char db[600], from[620], to[620];
	char tmp[600] = "", *t;
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int rc = 1;

	snprintf(db, sizeof(db), "%s/ksefd.sqlite3", data_dir);
	snprintf(why, size, "not checked");
	if (copy) {
		/* The WAL holds the last commits; the shared-memory index is
		 * rebuilt from it, as after any crash. */
		/* Beside the data folder, so that whoever removes the
		 * run's folder removes this one too if the check is cut
		 * short. */
		snprintf(tmp, sizeof(tmp), "%s.integrity", data_dir);
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
			snprintf(why, size, "cannot make %s", tmp);
			tmp[0] = '\0';
			goto out;
		}
		snprintf(to, sizeof(to), "%s/ksefd.sqlite3", tmp);
		if (copy_file(db, to) != 0) {
			snprintf(why, size, "cannot copy %s", db);
			goto out;
		}
		snprintf(from, sizeof(from), "%s-wal", db);
		snprintf(to, sizeof(to), "%s/ksefd.sqlite3-wal", tmp);
		if (copy_file(from, to) < 0) {
			snprintf(why, size, "cannot copy %s", from);
			goto out;
		}
		snprintf(db, sizeof(db), "%s/ksefd.sqlite3", tmp);
	}
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st,
			       NULL) != SQLITE_OK) {
		snprintf(why, size, "%s: %s", db, sqlite3_errmsg(h));
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		snprintf(why, size, "%s: %s", db, sqlite3_errmsg(h));
		goto out;
	}
	snprintf(why, size, "%s", sqlite3_column_text(st, 0) ?
		 (const char *)sqlite3_column_text(st, 0) : "(null)");
	rc = strcmp(why, "ok") == 0 ? 0 : 1;
	/* A report of many lines goes on one. */
	for (t = why; *t; t++)
		if (*t == '\n')
			*t = ' ';
out:
	sqlite3_finalize(st);
	sqlite3_close(h);
	if (tmp[0])
		ts_system("rm -rf '%s'", tmp);
	return rc;
}
