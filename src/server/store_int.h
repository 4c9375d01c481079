/*
 * store_int.h - what the files of the store share, and nothing the rest of
 * ksefd may use: store.h stays the one interface of the store.
 *
 * The store has two engines behind one core: store_core.c owns the writer
 * thread, its queue, the read pool and the helpers below; store_sqlite.c
 * (the embedded file) and store_pg.c (PostgreSQL, libpq) each implement
 * struct sql_engine: connections, statements, rows and what the engine
 * does between two transactions. store_schema.c owns the SQLite schema, its
 * migrations and the text of every statement (enum query); store_pg_sql.c
 * the PostgreSQL schema and the statements whose text differs there.
 * store_<entity>.c hold the functions of store.h for one kind of record
 * each, written with these helpers and never with an engine's own API, so
 * that one copy of the records' logic serves both engines. Functions shared
 * between the store's files start with sql_, so that none of them can be
 * mistaken for the store_ interface.
 */
#ifndef KSEFD_STORE_INT_H
#define KSEFD_STORE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "store.h"

#if defined(__GNUC__) || defined(__clang__)
#define STORE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define STORE_PRINTF(f, a)
#endif

/* ---- statements (store_schema.c) ---- */

enum query {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_SAVEPOINT, Q_ROLLBACK_TO, Q_RELEASE,
	Q_SECRET_GET, Q_SECRET_ADD,
	Q_KEY_ADD, Q_KEYS_LIST, Q_KEY_RETIRE, Q_KEYS_VERSION,
	Q_TOKEN_ADD, Q_TOKEN_GET, Q_TOKEN_FIND, Q_TOKEN_SET_STATUS,
	Q_TOKEN_TOUCH, Q_TOKENS_LIST,
	Q_CHALLENGE_ADD, Q_CHALLENGE_TAKE, Q_CHALLENGES_PURGE, Q_AUTH_PURGE,
	Q_AUTH_ADD, Q_AUTH_GET, Q_AUTH_FINISH, Q_AUTH_REDEEM, Q_AUTH_EXISTS,
	Q_AUTH_REFRESHED, Q_AUTH_REVOKE, Q_AUTH_LIST,
	Q_SESSION_ADD, Q_SESSION_GET, Q_SESSION_STATE, Q_SESSION_CLOSE,
	Q_SESSION_SET_UPO, Q_SESSION_COUNT_ACCEPT, Q_SESSION_COUNT_FINISH,
	Q_SESSION_COUNT_ADD,
	Q_SESSIONS_EXPIRE, Q_SESSIONS_DONE, Q_SESSION_FINISH, Q_SESSIONS_LIST,
	Q_INVOICE_ADD, Q_INVOICE_GET, Q_INVOICE_BY_KSEF, Q_CORRECTION_ACCEPTED,
	Q_INVOICE_BY_HASH,
	Q_INVOICE_STATE, Q_INVOICE_FINISH, Q_INVOICES_LIST, Q_INVOICES_PENDING,
	Q_INVOICES_ACCEPTED,
	Q_BLOB_ADD, Q_BLOB_GET, Q_DUPKEY_CLAIM, Q_DUPKEY_HOLDER,
	Q_UPO_ADD, Q_UPO_GET, Q_UPO_PAGE_ADD, Q_UPO_PAGES, Q_UPO_PAGES_SET,
	Q_GRANT_SET, Q_GRANT_GET, Q_GRANT_REVOKE,
	/* test data (store_testdata.c) */
	Q_TD_ENTITY_STATE, Q_TD_ENTITY_PUT, Q_TD_ENTITY_REMOVE,
	Q_TD_ENTITY_ROLES, Q_TD_ENTITY_SUBUNITS,
	Q_TD_PERSON_STATE, Q_TD_PERSON_PUT, Q_TD_PERSON_REMOVE,
	Q_TD_PERSON_GET, Q_TD_PERSON_FIND, Q_TD_PERSON_GRANTS_DROP,
	Q_TD_ATTACH_ALLOW, Q_TD_ATTACH_REVOKE, Q_TD_ATTACH_GET,
	Q_TD_BLOCK, Q_TD_UNBLOCK, Q_TD_BLOCKED,
	/* limits (store_limits.c) */
	Q_CTX_LIMITS_GET, Q_CTX_SESSION_SET, Q_CTX_SESSION_CLEAR,
	Q_CTX_RATE_SET, Q_CTX_RATE_CLEAR, Q_CTX_LIMITS_PRUNE,
	Q_SUBJECT_LIMITS_GET, Q_SUBJECT_LIMITS_SET, Q_SUBJECT_LIMITS_CLEAR,
	/* permissions (store_permissions.c) */
	Q_PERM_UPSERT, Q_PERM_GET, Q_PERM_DELETE, Q_PERM_DELETE_SUBJECT,
	Q_PERM_EFFECTIVE, Q_PERM_DELEGABLE, Q_GRANT_TRIM,
	Q_PERMS_PERSONAL, Q_PERMS_IN_CONTEXT, Q_PERMS_GRANTED,
	Q_PERMS_SUBUNITS, Q_PERMS_ENTITIES, Q_PERMS_AUTH_GRANTED,
	Q_PERMS_AUTH_RECEIVED, Q_PERMS_EU,
	Q_PERM_OP_ADD, Q_PERM_OP_GET, Q_PERM_OP_PURGE,
	/* KOD I verification (store_invoices.c) */
	Q_QR_VERIFY,
	/* batch sessions (store_batch.c) */
	Q_BATCH_FILE_ADD, Q_BATCH_PART_ADD, Q_BATCH_FILE_GET, Q_BATCH_PARTS,
	Q_BATCH_PART_RECEIVED, Q_BATCH_MISSING, Q_BATCH_CLOSE,
	Q_BATCH_SET_STATUS, Q_BATCH_PROCESSING, Q_BATCH_DETAILS,
	/* invoice retrieval (store_retrieval.c) */
	Q_META_ADD, Q_META_QUERY, Q_EXPORT_ADD, Q_EXPORT_GET, Q_EXPORT_RUNNING,
	Q_EXPORTS_PENDING, Q_EXPORT_FINISH, Q_EXPORTS_EXPIRED, Q_EXPORT_FORGET,
	/* fault injection (store_faults.c) */
	Q_FAULT_PLAN_SET, Q_FAULT_PLAN_GET, Q_FAULT_VERSION,
	Q_FAULT_COUNTS_CLEAR, Q_FAULT_COUNT_SET, Q_FAULT_COUNTS,
	/* the console's overview (store_contexts.c) */
	Q_CONTEXTS_LIST,
	/* the writer's health (store_check_writable) */
	Q_HEALTH_PROBE,
	/* KSeF certificates (store_certs.c) */
	Q_ENROLL_ADD, Q_ENROLL_GET, Q_ENROLL_COUNT, Q_ENROLL_FINISH,
	Q_CERT_ADD, Q_CERT_GET, Q_CERT_BY_FINGERPRINT, Q_CERT_COUNT_ACTIVE,
	Q_CERT_KEY_OTHER, Q_CERT_REVOKE, Q_CERT_USED, Q_CERTS_QUERY,
	/* the earliest start of another node's running write (store_hwm_ms;
	 * PostgreSQL only) */
	Q_OTHER_WRITERS,
	/* how many processes serve the store (store_nodes; PostgreSQL) */
	Q_NODES,
	/* take a claim between processes (store_claim_take; PostgreSQL) */
	Q_CLAIM,
	/* lock a session's row for the batch (store_core.c's prelock) */
	Q_SESSION_LOCK,
	/* tell every node there is work (sql_notify_work; PostgreSQL) */
	Q_NOTIFY_WORK,
	Q_COUNT
};

/* Each statement's text, and a name for error messages. */
struct query_text {
	const char *name;
	const char *sql;
};
extern const struct query_text sql_queries[Q_COUNT];

/* The schema's version, and the migrations that reach it: migration i
 * brings user_version i to i + 1 (store_schema.c; run by store_sqlite.c). */
#define STORE_SCHEMA_VERSION 11
extern const char *const sql_migrations[STORE_SCHEMA_VERSION];

/* The PostgreSQL schema's version and migrations, and the statements
 * whose text differs there (store_pg_sql.c; NULL where it does not). */
#define STORE_PG_SCHEMA_VERSION 1
extern const char *const sql_pg_migrations[STORE_PG_SCHEMA_VERSION];
extern const char *const sql_pg_queries[Q_COUNT];
/* The text PostgreSQL runs for q (malloc'd; NULL when memory runs out). */
char *sql_pg_text(enum query q);

/* ---- engines, connections and rows ---- */

/* What a statement gave: a row (whose columns the sql_col_ functions
 * read), or no more rows. The values are SQLite's, for the engine that
 * has them; the other uses the same. */
#define SQL_ROW 100
#define SQL_DONE 101

/* One row of a result, while the engine holds it: a row_fn copies what
 * it needs, as the row is gone when it returns. */
typedef struct sql_row sql_row;

struct sql_engine;
struct param;

/* One connection, used by one thread at a time: a writer's, or a reader
 * borrowed from the pool. Each engine embeds it first in its own. */
struct conn {
	const struct sql_engine *engine;
	int64_t changes;       /* rows the last statement changed */
	int64_t total_changes; /* and every statement since it opened */
	struct conn *next;     /* in the idle list */
};

/* Copies the current row into dst; sets err when it fails. */
typedef int (*row_fn)(void *dst, const sql_row *s, ksef_error *err);
/* Takes one row of many: 0 for the next, 1 to stop, < 0 (err set) to
 * fail. */
typedef int (*each_fn)(void *ctx, const sql_row *s, ksef_error *err);

/* What the core asks of an engine. Every function but the column readers
 * returns 0 or a negative store_result with err set. */
struct sql_engine {
	const char *name;
	int max_readers;       /* connections in the read pool, at most */
	/* Make st ready for the writer: open st->wconn (and whatever the
	 * engine keeps in st->engine_state), migrate the schema. */
	int (*start)(store *st, ksef_error *err);
	/* Open a connection of st; `writer` for one that may write. */
	int (*open)(struct conn **out, store *st, int writer,
		    ksef_error *err);
	void (*close)(struct conn *c);
	/* Run q with p bound, handing each row to each (which may be NULL:
	 * no row is wanted) until it stops; SQL_ROW when there was a row,
	 * SQL_DONE when none, or < 0. A statement that writes is always run
	 * to its end, and sets c->changes. */
	int (*run)(struct conn *c, enum query q, const struct param *p,
		   each_fn each, void *ctx, ksef_error *err);
	/* Whether c is still inside the transaction that Q_BEGIN started:
	 * an engine may end one on its own after some failures (SQLite
	 * after a full disk, PostgreSQL when the connection is lost). */
	int (*in_transaction)(struct conn *c);
	/* Whether the last failure on c was one that the same op, run
	 * again from its savepoint, may not meet (a deadlock or
	 * serialisation failure between nodes). */
	int (*retryable)(struct conn *c);
	/* The columns of a row. An integer column of NULL is 0; bytes are
	 * NULL for a NULL column, with *len 0. Text is NUL-terminated. */
	int64_t (*col_int64)(const sql_row *r, int i);
	const void *(*col_bytes)(const sql_row *r, int i, size_t *len);
	const char *(*col_text)(const sql_row *r, int i, size_t *len);
	int (*col_is_null)(const sql_row *r, int i);
	/* Called by the writer between two transactions (may be NULL). */
	void (*between)(store *st);
	/* Stop the engine's own threads, before the connections close (may
	 * be NULL). */
	void (*stop)(store *st);
	/* Free what the engine keeps in st->engine_state. */
	void (*free_state)(store *st);
	/* Several processes may serve the store at once (claims then also
	 * take Q_CLAIM on a connection of their own). */
	int shared;
	/* The time a write stamps on what it stores (an invoice's permanent
	 * storage), in ms since 1970, on the clock store_hwm_ms compares it
	 * with; NULL: this process's clock. */
	int64_t (*stamp_ms)(struct conn *w);
	/* The high-water mark: no transaction of any process can still
	 * commit a row stamped before it (store_hwm_ms); NULL: the core's
	 * own, from its writer's batch. */
	int64_t (*hwm_ms)(store *st);
	/* Start listening for other processes' Q_NOTIFY_WORK, calling
	 * sql_work_notice() for each (NULL: none can come); unlisten stops
	 * it (and is called by store_close too). */
	int (*listen)(store *st, ksef_error *err);
	void (*unlisten)(store *st);
};

extern const struct sql_engine sql_sqlite_engine;
extern const struct sql_engine sql_pg_engine;

/* A row as an engine hands it over: the core and the engines see inside
 * it; the store's entity files only through the sql_col_ functions. */
struct sql_row {
	struct conn *c;
	void *impl;
	int index;
};

/* ---- the store (store_core.c) ---- */

/* A write, run by the writer thread inside the batch's transaction:
 * STORE_OK, or a failure (then its savepoint is rolled back). */
typedef int (*op_fn)(struct conn *w, void *arg, ksef_error *err);

/* A queued write. A waiting caller's lives on its stack, and the caller
 * sleeps until the writer sets done, under st->lock. An asynchronous
 * one's is allocated by sql_submit_async() and freed by the writer after
 * it has called complete(complete_arg, result) outside the lock. */
struct op {
	op_fn fn;
	void *arg;
	ksef_error *err;
	int result;
	int done;
	store_done_fn *complete;      /* NULL: a caller waits */
	void *complete_arg;
	struct op *next;
	/* The session whose row the op locks (NULL: none): on a shared
	 * store the batch takes these first, in one order (store_core.c). */
	const char *lock_key;
};

struct store {
	const struct sql_engine *engine;
	void *engine_state;    /* the engine's own (its checkpointer...) */
	char *location;        /* the file's path, or the connection string */
	int max_readers;

	/* the writer thread and its queue, under lock */
	struct conn *wconn;
	pthread_t writer;
	int writer_started;
	pthread_mutex_t lock;
	pthread_cond_t queued;   /* the writer waits for work */
	pthread_cond_t finished; /* callers wait for their op */
	struct op *head, *tail;
	int nqueued;
	int stopping;
	int64_t batch_start_ms;  /* the clock when the running batch began;
				    0 when none runs (store_hwm_ms) */
	/* the monotonic clock at the last transaction that committed and
	 * the last that failed, 0 before any (store_check_writable) */
	int64_t committed_mono_ms, failed_mono_ms;
	store_batch_fn *on_batch;  /* store_on_batch() */
	void *on_batch_arg;

	/* the read pool, under rlock */
	pthread_mutex_t rlock;
	pthread_cond_t rfree;
	struct conn *idle;
	int nreaders;

	/* the claims this process holds, under rlock */
	struct store_claim *claims;

	/* store_on_work(): called when a node committed work for all */
	void (*work_fn)(void *arg);
	void *work_arg;
	uint64_t work_notices;   /* how many came; atomic */
};

/* The engine's listener heard that a node committed work for all (a
 * closed batch package): count it and call store_on_work()'s function. */
void sql_work_notice(store *st);
/* Inside a write op: tell every node, once the op's transaction commits,
 * that there is work for whichever takes it first (Q_NOTIFY_WORK;
 * nothing on a store that one process serves). */
int sql_notify_work(struct conn *w, ksef_error *err);

/* Start the writer thread on st->wconn, once the engine has opened it and
 * migrated the schema. */
int sql_start_writer(store *st, ksef_error *err);
/* The store's mutex, conditions and read pool, empty; sql_store_free()
 * undoes it and whatever the engine and the core opened since. */
store *sql_store_new(const struct sql_engine *engine, const char *location,
		     int max_readers);
void sql_store_free(store *st);
/* The wall clock and the monotonic clock, in milliseconds. */
int64_t sql_clock_ms(void);
int64_t sql_mono_ms(void);
/* Inside an op: the time to stamp on what it stores (struct sql_engine's
 * stamp_ms), which store_hwm_ms() is on the same clock as. */
int64_t sql_stamp_ms(struct conn *w);

/* ---- failures ---- */

/* Set err (when not NULL) to `r` and a printf-style message, and return
 * r. err->code is store_result_code(r) (see store.h). Every failure of
 * the store is reported through here. */
int sql_fail(ksef_error *err, store_result r, const char *fmt, ...)
	STORE_PRINTF(3, 4);

/* ---- binding and reading columns ---- */

/*
 * A statement's parameters ?1, ?2, ... as data: ARGS(ARG_TEXT(ref),
 * ARG_INT(now_ms)). With the parameters passed as a value, the helpers
 * below prepare, bind, step and reset every statement, so no caller can
 * forget the reset (the bindings point into the caller's memory) or
 * report a failed bind differently.
 */
struct param {
	/* P_NULL_INT: NULL where an integer goes (PostgreSQL types every
	 * parameter once, when a connection prepares the statement, so an
	 * optional integer must not be sent as a NULL text). */
	enum { P_END, P_TEXT, P_FIELD, P_INT, P_BLOB, P_NULL_INT } type;
	const void *ptr; /* P_TEXT (NULL binds NULL), P_FIELD or P_BLOB */
	size_t len;      /* P_FIELD: the field's size; P_BLOB: the length */
	int64_t num;     /* P_INT */
};
#define ARG_TEXT(v) { P_TEXT, (v), 0, 0 }
#define ARG_FIELD(f) { P_FIELD, (f), sizeof(f), 0 }
#define ARG_INT(v) { P_INT, NULL, 0, (int64_t)(v) }
#define ARG_BLOB(p, n) { P_BLOB, (p), (n), 0 }
#define ARG_NULL_INT { P_NULL_INT, NULL, 0, 0 }
/* The list, ended so that bind_params knows where; it lives until the end
 * of the enclosing block. */
#define ARGS(...) ((const struct param[]){ __VA_ARGS__, { P_END, NULL, 0, 0 } })

static inline int64_t limit_arg(size_t limit)
{
	return limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit;
}

/* The columns of a row (see struct sql_engine). */
static inline int64_t sql_col_int64(const sql_row *s, int i)
{
	return s->c->engine->col_int64(s, i);
}
static inline int sql_col_int(const sql_row *s, int i)
{
	int64_t v = sql_col_int64(s, i);

	return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int)v;
}
static inline int sql_col_is_null(const sql_row *s, int i)
{
	return s->c->engine->col_is_null(s, i);
}
static inline const void *sql_col_bytes(const sql_row *s, int i,
					size_t *len)
{
	return s->c->engine->col_bytes(s, i, len);
}
/* Rows a write changed (its last statement's). */
static inline int64_t sql_changes(struct conn *c)
{
	return c->changes;
}

/* Copy a text column into a field of `size` bytes, cutting overlong text
 * before the UTF-8 character that does not fit. */
void sql_col_text(char *dst, size_t size, const sql_row *s, int i);
#define COL_TEXT(f, s, i) sql_col_text((f), sizeof(f), (s), (i))
/* A text column as a malloc'd string, or NULL when memory runs out. */
char *sql_col_strdup(const sql_row *s, int i);
/* Copy blob column i into out[size] if it fits and give its length; 0
 * (nothing copied) for a longer one, written by something else and so
 * treated as absent. Wrapped keys and IVs are read with it. */
static inline size_t sql_col_blob(const sql_row *s, int i, void *out,
				  size_t size)
{
	size_t n;
	const void *b = sql_col_bytes(s, i, &n);

	if (n > size)
		return 0;
	if (b != NULL && n > 0)
		memcpy(out, b, n);
	return b != NULL ? n : 0;
}

/* ---- running statements ---- */

/*
 * Run q with p bound and hand its first row, if it has one, to fn (or to
 * no one: fn may be NULL) to copy into dst. Returns SQL_ROW,
 * SQL_DONE when there was no row, or a negative store_result with err
 * set.
 * An UPDATE ... RETURNING is stepped to its end, so its write completes.
 */
int sql_lookup(struct conn *c, enum query q, const struct param *p,
	       row_fn fn, void *dst, ksef_error *err);
/* Run a statement whose rows, if any, are not wanted. */
int sql_exec(struct conn *c, enum query q, const struct param *p,
	     ksef_error *err);
/* Run a statement that takes no parameters and returns no rows. */
int sql_run(struct conn *c, enum query q, ksef_error *err);
/* Run an UPDATE (or DELETE) of the one row that the parameters name:
 * STORE_NOT_FOUND, "<what> not found", when it changed none. */
int sql_update(struct conn *w, enum query q, const struct param *p,
	       const char *what, ksef_error *err);

/* ---- writes ---- */

/* Queue a write and wait until it is committed (or failed). */
int sql_submit(store *st, op_fn fn, void *arg, ksef_error *err);

/* Run q, a DELETE of at most ?3 rows chosen by ?1 and ?2 (either may be
 * unused), in transactions of 500 until fewer go or 10,000 went: a purge
 * after a flood never holds the writer long while invoices wait for
 * their commit. *count (may be NULL) receives how many rows went. */
int sql_purge(store *st, enum query q, int64_t a1, int64_t a2, int *count,
	      ksef_error *err);
/* Queue a write and return at once: 0, or a negative store_result (the
 * store is closing, no memory) when it could not be queued and complete
 * will never be called. Otherwise the writer calls complete(complete_arg,
 * result) once the write is committed or has failed; arg and err must
 * live until then. */
int sql_submit_async(store *st, op_fn fn, void *arg, ksef_error *err,
		     store_done_fn *complete, void *complete_arg);
/* sql_submit() and sql_submit_async() of an op that locks the row of
 * session `lock_key` (which must live as long as the op). */
int sql_submit_locking(store *st, op_fn fn, void *arg, const char *lock_key,
		       ksef_error *err);
int sql_submit_async_locking(store *st, op_fn fn, void *arg,
			     const char *lock_key, ksef_error *err,
			     store_done_fn *complete, void *complete_arg);

/* A write that is one UPDATE of the row ?1 names (see sql_update()). The
 * parameters live in the caller's frame, which waits in sql_submit(). */
struct update_args {
	enum query q;
	const struct param *p;
	const char *what;
};
int sql_op_update(struct conn *w, void *arg, ksef_error *err);

/* A write that is one statement, whatever rows it changes (an insert
 * that may find its row already there). */
struct exec_args {
	enum query q;
	const struct param *p;
};
int sql_op_exec(struct conn *w, void *arg, ksef_error *err);

/* ---- generic reads ---- */

/* What a list holds: rows of `size` bytes, each made by copy and, if it
 * owns memory, released by clear when the list fails half-read. */
struct row_type {
	size_t size;
	row_fn copy;
	void (*clear)(void *row);
};

/* Run q with p bound, appending each row (built by the row type's copy
 * into a zeroed element) to a growing array. The array grows by doubling,
 * never sized from the caller's limit alone. */
int sql_fetch_rows(void **out, size_t *count, struct conn *c, enum query q,
		   const struct param *p, const struct row_type *t,
		   ksef_error *err);
/* sql_fetch_rows on a pooled connection. */
int sql_read_rows(store *st, enum query q, const struct param *p,
		  const struct row_type *t, void **out, size_t *count,
		  ksef_error *err);
/* sql_lookup on a pooled connection. */
int sql_read_row(store *st, enum query q, const struct param *p, row_fn fn,
		 void *dst, ksef_error *err);
/* One row by a text key (?1) on a pooled connection; STORE_NOT_FOUND with
 * `what` in the message when there is none. */
int sql_read_one(store *st, enum query q, const char *key, void *out,
		 row_fn fn, const char *what, ksef_error *err);

/* A row_fn for a single integer column (an int64_t). */
int sql_int64_row(void *dst, const sql_row *s, ksef_error *err);
/* A row_fn: the blob into a ksef_buf, NUL-terminated past its end. */
int sql_blob_row(void *dst, const sql_row *s, ksef_error *err);
/* Rows of one reference column, into char[STORE_REF_SZ] elements. */
extern const struct row_type sql_ref_rows;

/* A caller's string that fits its field, or STORE_INVALID if it is
 * missing or longer than the field (so nothing is stored that could not
 * be read back). */
int sql_check_len(const char *v, size_t size, const char *what,
		  ksef_error *err);

/* ---- shared between entities ---- */

/* The state of a session as the writer sees it (store_sessions.c). */
struct session_state {
	int status;
	int invoice_count;
	int max_invoices;
};
/* STORE_NOT_FOUND if there is no session `ref`. */
int sql_session_state(struct conn *w, const char *ref,
		      struct session_state *out, ksef_error *err);

/* A fresh permissionId, a version-4 UUID (store_permissions.c). */
int sql_permission_id(char out[STORE_PERM_ID_SZ], ksef_error *err);
/* Insert a grant, or update the one it repeats (Q_PERM_UPSERT). */
int sql_permission_upsert(struct conn *w, const store_permission *p,
			  ksef_error *err);
/* The one text column of q's one row (a group_concat) into out; *none is
 * 1 when there was no row or the column is NULL; STORE_TOO_BIG when it
 * does not fit. */
int sql_read_list_text(store *st, enum query q, const struct param *p,
		       char *out, size_t size, int *none, ksef_error *err);

/* Store an accepted invoice's metadata (inv->meta; nothing when NULL) in
 * the write that stores the invoice (store_retrieval.c). */
int sql_meta_add(struct conn *w, const store_invoice *inv, ksef_error *err);


#endif
