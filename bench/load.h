/*
 * load.h - the parts of bench_ksefd: the client side of a run against a
 * live ksefd (load_client.c), the closed-loop and open-loop loads
 * (load_closed.c, load_open.c), the downloads an open loop runs
 * alongside its sends (load_download.c), the SQLite group-commit ceiling
 * (sqlite_ceiling.c), the server's CPU and memory read from /proc
 * (proc_stat.c) and the report (report.c). bench_ksefd.c parses the
 * options and runs the phases in order.
 */
#ifndef BENCH_LOAD_H
#define BENCH_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "bench.h"

/* Final statuses (or HTTP statuses of failed sends) counted by code. */
#define TALLY_CODES 16
struct tally {
	struct { int code; size_t n; } c[TALLY_CODES];
	size_t kinds;  /* used entries of c */
	size_t other;  /* counts that found no free entry */
};

void tally_add(struct tally *t, int code, size_t n);
void tally_merge(struct tally *into, const struct tally *from);
size_t tally_total(const struct tally *t);
size_t tally_count(const struct tally *t, int code);

/* The server a run talks to, and the access token all clients share. */
struct target {
	const char *base_url, *nip, *token;
	char access_token[8192];
	int page_size;          /* invoice listing page, 10 to 1000 */
	double await_timeout;   /* seconds to wait for final statuses */
};

/* Authenticate with the KSeF token once; fills t->access_token. */
int load_login(struct target *t);

/* A client for t carrying its access token; NULL on failure. */
ksef_client *load_client_new(const struct target *t);

/* The server's public key for a usage (KSEF_KEY_USAGE_*); NULL on
 * failure. */
ksef_pubkey *load_key(ksef_client *c, unsigned usage);

/* One interactive FA (3) session as the client side knows it. */
struct session {
	char ref[KSEF_REFNUM_BUFSZ];
	ksef_envelope *env;
};

/* Open an FA (3) session with a fresh envelope; 0 or -1. */
int load_session_open(struct session *s, ksef_client *c,
		      const ksef_pubkey *key);

/* Close it on the server (unless never opened) and free the envelope. */
void load_session_close(struct session *s, ksef_client *c);

/*
 * One sender thread's own copies of n sessions' envelopes (the same key
 * and IV), since libksef uses an envelope from one thread at a time.
 * NULL on failure. Free with load_envelopes_free().
 */
ksef_envelope **load_envelopes_copy(const struct session *s, size_t n);

/* Free n envelope copies (wiping their keys) and the array; NULL does
 * nothing. */
void load_envelopes_free(ksef_envelope **env, size_t n);

/*
 * Read the session's invoices through GET /sessions/{ref}/invoices, page
 * by page with continuation tokens, until at least `expected` are listed
 * and every one listed has a final status (>= 200), or until
 * t->await_timeout passes. Adds each listed invoice's final status (or,
 * on a timeout, its last one) to *statuses and the pages requested to
 * *pages, and sets *done_at to the time the last listing ended.
 * @return 0 when all were final, 1 on a timeout, -1 if a listing failed.
 */
int load_session_await(struct tally *statuses, size_t *pages,
		       double *done_at, const struct target *t,
		       ksef_client *c, const char *session_ref,
		       size_t expected);

/* A server's CPU time and memory at one moment, from /proc/PID: of
 * every process proc_watch() named (the nodes of a run on several), and
 * of the database's processes when it named one. */
struct proc_sample {
	int ok;          /* 0: no pid given, or /proc could not be read */
	double cpu_s;    /* utime + stime of all its threads */
	long rss_kb;     /* VmRSS */
	long hwm_kb;     /* VmHWM: the peak RSS since it started */
	int db_ok;       /* a database was watched */
	double db_cpu_s; /* its processes' CPU that the phase may count */
};

/* The servers to sample (the pids of a comma-separated list, at most 16)
 * and the database's postmaster (0: none), whose children are its
 * backends. 0, or -1 for a bad list. */
int proc_watch(const char *pids, long db_pid);
/* A sample of what proc_watch() named; pid is the first server's (0: no
 * server, the sample is not ok). */
void proc_sample(struct proc_sample *out, long pid);

/* What a load phase reports about the server. */
struct server_use {
	int ok;
	double cpu_s;          /* CPU the server spent in the phase */
	double cpu_us_per_inv; /* that, per invoice sent */
	long rss_kb, hwm_kb;   /* at the phase's end */
	int db_ok;
	double db_cpu_s;       /* CPU the database spent in the phase */
	double db_us_per_inv;
};

void server_use_between(struct server_use *out,
			const struct proc_sample *before,
			const struct proc_sample *after, size_t invoices);

/* The SQLite group-commit insert ceiling. */
struct sqlite_ceiling_options {
	const char *dir;       /* where the temporary database goes */
	size_t rows;           /* rows to insert */
	size_t producers;      /* threads handing rows to the writer */
	size_t blob_bytes;     /* the ciphertext column's size */
};

struct sqlite_ceiling {
	double seconds;
	size_t rows, commits;
};

int sqlite_ceiling_run(struct sqlite_ceiling *out,
		       const struct sqlite_ceiling_options *o);

/* The closed loop: each sender sends its invoices as fast as it can. */
struct closed_options {
	size_t threads;         /* sessions */
	size_t in_flight;       /* sender threads a session, each with its
				   own connection: at most threads *
				   in_flight requests in flight */
	size_t per_thread;      /* invoices a session, shared out among
				   its senders in contiguous slices */
	ksef_gen_options gen;   /* the series; session k sends indexes
				   first_index + k * per_thread + i */
	uint64_t first_index;
	long server_pid;        /* 0: none */
};

struct closed_result {
	size_t sent;            /* answered 202 */
	struct tally send_errors; /* by HTTP status, 0 for no answer */
	double accept_s;        /* first send to the last 202 */
	double verified_s;      /* first send to the last final status */
	size_t timed_out;       /* sessions whose statuses did not all
				   become final in time */
	struct tally statuses;  /* final status of each invoice */
	size_t pages;           /* invoice listing pages read */
	size_t doc_bytes;       /* size of all invoices sent */
	size_t peak_in_flight;  /* most sends under way at one moment */
	struct server_use server;
};

int closed_run(struct closed_result *out, const struct target *t,
	       const struct closed_options *o);

/*
 * Downloads alongside an open loop (load_download.c): what earlier
 * sessions stored, fetched back on a schedule of their own. Each kind is
 * one GET of the API, authorised as the sessions' owner.
 */
enum download_kind {
	DL_INVOICE,      /* /invoices/ksef/{ksefNumber} */
	DL_INVOICE_UPO,  /* /sessions/{ref}/invoices/ksef/{ksefNumber}/upo */
	DL_SESSION_UPO,  /* /sessions/{ref}/upo/{upoReferenceNumber} */
	DL_LISTING,      /* /sessions/{ref}/invoices, the first page */
	DL_KINDS
};

/* The name of a kind in the report: "invoice", "invoice_upo", ... */
const char *download_kind_name(enum download_kind k);

struct download_result {
	double rate;            /* downloads a second, offered; 0: none */
	/* What the run found to download, before its start. */
	size_t target_sessions, target_invoices, target_upo_pages;
	size_t scheduled;       /* 0 when nothing was stored yet */
	size_t ok;              /* answered 200 */
	struct tally errors;    /* the others, by HTTP status (0: none) */
	size_t bytes;           /* of the 200s' bodies */
	double achieved;        /* 200s a second, start to the last one */
	double p50, p90, p99, max; /* seconds, of the 200s, each from its
				      scheduled start */
	size_t late;            /* started over 1 ms after schedule */
	double max_lag;
	struct {
		size_t scheduled, ok;
		double p50, p99;
	} kind[DL_KINDS];
};

struct download_plan;

/*
 * Find what the server already holds for the target's context (its
 * processed sessions, their accepted invoices and UPO pages) and make a
 * schedule of rate * duration downloads over it, each worker with its
 * own client. Nothing stored yet makes an empty schedule, not a failure.
 * @return 0, or -1 if the server could not be asked.
 */
int download_plan_new(struct download_plan **out, const struct target *t,
		      ksef_client *c, double rate, double duration,
		      size_t workers);

/* Start the workers on a schedule from t0 (bench_now() time); call it
 * before t0. 0, or -1 if a thread cannot be started. */
int download_start(struct download_plan *p, double t0);

/* Wait for the workers and fill *out. */
void download_finish(struct download_result *out, struct download_plan *p);

/* Free a plan (after download_finish() if started); NULL does nothing. */
void download_plan_free(struct download_plan *p);

/* The open loop: one run per offered rate. */
struct open_options {
	double rate;            /* invoices a second, offered */
	double duration;        /* seconds */
	size_t sessions;
	size_t senders;         /* threads starting requests */
	double download_rate;   /* downloads a second alongside; 0: none */
	size_t downloaders;     /* threads starting downloads */
	ksef_gen_options gen;
	uint64_t first_index;
	long server_pid;
};

struct open_result {
	double rate;
	size_t scheduled;       /* requests the schedule held */
	size_t accepted;        /* 202s */
	struct tally send_errors;
	double achieved;        /* 202s a second, schedule start to the
				   last 202 */
	double p50, p90, p99, max; /* seconds, of the 202s, each from its
				      scheduled start */
	size_t late;            /* started over 1 ms after schedule */
	double max_lag;         /* the latest start, seconds */
	size_t timed_out;
	struct tally statuses;
	size_t pages;
	struct download_result dl;
	struct server_use server;
};

int open_run(struct open_result *out, const struct target *t,
	     const struct open_options *o);

/* Everything one bench_ksefd run measured, for the report. */
struct run_report {
	const char *base_url;
	long server_pid;
	size_t doc_bytes;       /* average invoice size */
	int have_verify;
	size_t verify_n, verify_threads;
	struct verify_ceiling verify;
	int have_sqlite;
	struct sqlite_ceiling_options sqlite_opts;
	struct sqlite_ceiling sqlite;
	int have_closed;
	struct closed_options closed_opts;
	struct closed_result closed;
	size_t open_count;
	struct open_options open_opts; /* rate unused */
	struct open_result *open;
};

void report_text(FILE *f, const struct run_report *r);
void report_json(FILE *f, const struct run_report *r);

#endif
