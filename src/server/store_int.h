/*
 * store_int.h - what the files of the SQLite store share, and nothing the
 * rest of ksefd may use: store.h stays the one interface of the store.
 *
 * store_sqlite.c owns the connections, the writer thread and the helpers
 * below; store_schema.c owns the schema, its migrations and every SQL
 * statement (enum query); store_<entity>.c hold the functions of store.h
 * for one kind of record each, written with these helpers. Functions shared
 * between the store's files start with sql_, so that none of them can be
 * mistaken for the store_ interface.
 */
#ifndef KSEFD_STORE_INT_H
#define KSEFD_STORE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sqlite3.h>
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
	Q_COUNT
};

/* Each statement's text, and a name for error messages. */
struct query_text {
	const char *name;
	const char *sql;
};
extern const struct query_text sql_queries[Q_COUNT];

/* The schema's version, and the migrations that reach it: migration i
 * brings user_version i to i + 1 (store_schema.c; run by sql_migrate()). */
#define STORE_SCHEMA_VERSION 11
extern const char *const sql_migrations[STORE_SCHEMA_VERSION];

/* ---- the store (store_sqlite.c) ---- */

/* One connection and its prepared statements, used by one thread at a
 * time: the writer's, or a reader borrowed from the pool. */
struct conn {
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_COUNT];
	struct conn *next; /* in the idle list */
};

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
};

struct store {
	char *path;

	/* the writer thread and its queue, under lock */
	struct conn *wconn;
	pthread_t writer;
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

	/* the checkpointer: its thread and connection, woken under lock
	 * (see checkpointer_main) */
	struct conn *cconn;
	pthread_t checkpointer;
	pthread_cond_t wal_grown;
	int wal_pages, checkpointer_started;
	int catch_up; /* the checkpointer has copied the log: the writer
			 copies what came meanwhile (writer_main) */

	/* the read pool, under rlock */
	pthread_mutex_t rlock;
	pthread_cond_t rfree;
	struct conn *idle;
	int nreaders;
};

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
	enum { P_END, P_TEXT, P_FIELD, P_INT, P_BLOB } type;
	const void *ptr; /* P_TEXT (NULL binds NULL), P_FIELD or P_BLOB */
	size_t len;      /* P_FIELD: the field's size; P_BLOB: the length */
	int64_t num;     /* P_INT */
};
#define ARG_TEXT(v) { P_TEXT, (v), 0, 0 }
#define ARG_FIELD(f) { P_FIELD, (f), sizeof(f), 0 }
#define ARG_INT(v) { P_INT, NULL, 0, (int64_t)(v) }
#define ARG_BLOB(p, n) { P_BLOB, (p), (n), 0 }
/* The list, ended so that bind_params knows where; it lives until the end
 * of the enclosing block. */
#define ARGS(...) ((const struct param[]){ __VA_ARGS__, { P_END, NULL, 0, 0 } })

static inline int64_t limit_arg(size_t limit)
{
	return limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit;
}

/* Copy a text column into a field of `size` bytes, cutting overlong text
 * before the UTF-8 character that does not fit. */
void sql_col_text(char *dst, size_t size, sqlite3_stmt *s, int i);
#define COL_TEXT(f, s, i) sql_col_text((f), sizeof(f), (s), (i))
/* A text column as a malloc'd string, or NULL when memory runs out. */
char *sql_col_strdup(sqlite3_stmt *s, int i);
/* Copy blob column i into out[size] if it fits and give its length; 0
 * (nothing copied) for a longer one, written by something else and so
 * treated as absent. Wrapped keys and IVs are read with it. */
static inline size_t sql_col_blob(sqlite3_stmt *s, int i, void *out,
				  size_t size)
{
	const void *b = sqlite3_column_blob(s, i);
	size_t n = (size_t)sqlite3_column_bytes(s, i);

	if (n > size)
		return 0;
	if (b != NULL && n > 0)
		memcpy(out, b, n);
	return b != NULL ? n : 0;
}

/* ---- running statements ---- */

/* Copies the current row of s into dst; sets err when it fails. */
typedef int (*row_fn)(void *dst, sqlite3_stmt *s, ksef_error *err);

/*
 * Run q with p bound and hand its first row, if it has one, to fn (or to
 * no one: fn may be NULL) to copy into dst. Returns SQLITE_ROW,
 * SQLITE_DONE when there was no row, or a negative store_result with err
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
int sql_int64_row(void *dst, sqlite3_stmt *s, ksef_error *err);
/* A row_fn: the blob into a ksef_buf, NUL-terminated past its end. */
int sql_blob_row(void *dst, sqlite3_stmt *s, ksef_error *err);
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

/* Bring the schema up to date in one transaction (store_sqlite.c). */
int sql_migrate(struct conn *w, ksef_error *err);

#endif
