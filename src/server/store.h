/*
 * store.h - ksefd's durable state, behind one interface so that the SQLite
 * store (store_sqlite.c and its store_*.c) and a later PostgreSQL one can
 * be swapped. Every record is a plain struct of bounded fields; strings are
 * NUL-terminated copies owned by the record, so nothing points into the
 * database.
 *
 * Writes that a client's answer depends on (an accepted invoice above all)
 * are durable when the call returns: the store commits them with fsync
 * before it comes back, and batches concurrent writers into one commit
 * (group commit) so throughput does not pay one fsync per request.
 *
 * The store keeps data and answers what happened to it, in its own result
 * codes (store_result): "not found", "this key is taken (by X)", "the
 * session is not open". What that means to a client (a KSeF status, an
 * exception code, the Polish wording) is decided above it: verdict.c for
 * the statuses verification gives, api_*.c for the answers. Functions that
 * can fail return a store_result with err set: its message says what
 * failed, and err->code holds store_result_code() of the result, so a
 * caller whose own contract is a KSEF_E* code can pass err on.
 *
 * Lists come back in one malloc'd array (*out, or *refs) that the caller
 * releases with free(), except keys (store_keys_free). An empty list is
 * NULL with count 0. `limit` caps the rows; the array grows with the rows
 * found, never sized from `limit` alone.
 */
#ifndef KSEFD_STORE_H
#define KSEFD_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "ksef/ksef.h"

typedef struct store store;

#define STORE_REF_SZ KSEF_REFNUM_BUFSZ   /* 36 + NUL */
#define STORE_B64_SHA_SZ 45               /* 44 + NUL */
/* A context or subject value: the longest is a certificate fingerprint,
 * 64 hex digits (SPEC 13 #16), with its NUL. */
#define STORE_CTX_VALUE_SZ 65
#define STORE_CTX_TYPE_SZ 16
#define STORE_PERMS_SZ 256     /* comma-separated permission names */
/* An authorizationPolicy as context_policy_text() writes it: at most 10
 * entries in each of its 3 lists (open-api.json), none longer than a
 * range's 31 characters ("255.255.255.255-255.255.255.255") plus quotes
 * and a comma, and about 60 bytes of names: under 1,200 in all. */
#define STORE_POLICY_SZ 1280
#define STORE_DETAILS_SZ 2048  /* JSON array of strings */
#define STORE_P2_SZ 1032       /* P_2 is at most 256 characters of UTF-8 */
#define STORE_FILE_NAME_SZ 256 /* an entry name in a batch package */
/* The subject attributes of a login's certificate as JSON: at most 8
 * attributes (certyfikaty-KSeF.md 2) of at most 64 characters of UTF-8
 * (X.520's upper bounds), escaped, with their names. */
#define STORE_CERT_SUBJECT_SZ 4096

/*
 * What a store call answers. Failures are negative, so `rc != 0` and
 * `rc < 0` both test for one; each function's comment names the results
 * it gives besides STORE_OK, STORE_INVALID, STORE_NO_MEMORY and
 * STORE_ERROR, which any of them may give.
 */
typedef enum store_result {
	STORE_OK = 0,
	/** No record has this key (or it is not in the state asked for). */
	STORE_NOT_FOUND = -1,
	/** The key is taken: a reference, a token secret, a challenge, or
	 *  an invoice's duplicate key (whose holder is then reported). */
	STORE_EXISTS = -2,
	/** The record's state does not allow the change: a session not
	 *  open, an invoice already decided, tokens already redeemed. */
	STORE_WRONG_STATE = -3,
	/** The session already holds its limit of invoices. */
	STORE_FULL = -4,
	/** The call breaks this interface's contract: an argument missing,
	 *  a string longer than its field, a status the store does not know. */
	STORE_INVALID = -5,
	/** Bytes over their KSEF_*_MAX_BYTES limit. */
	STORE_TOO_BIG = -6,
	STORE_NO_MEMORY = -7,
	/** The database failed: I/O, a full disk, another process holding
	 *  the lock past the busy timeout, a damaged or newer file. */
	STORE_ERROR = -8,
} store_result;

/* Told how an asynchronous write ended (a store_result), on the store's
 * writer thread, after its commit: it must not wait for another write. */
typedef void store_done_fn(void *arg, int result);

/* The KSEF_E* code nearest to a result (STORE_OK is 0), for a caller that
 * passes a store failure on under a KSEF_E* contract of its own. */
int store_result_code(store_result r);

/* Open the store `where` names: a data folder, whose ksefd.sqlite3 is
 * created if need be (WAL, synchronous=FULL), or a PostgreSQL connection
 * string (store_is_postgresql()), whose database must exist. The schema is
 * migrated; STORE_ERROR also for a database of a newer schema. */
store_result store_open(store **out, const char *where, ksef_error *err);
/* Whether `where` is a PostgreSQL connection string (a postgresql:// or
 * postgres:// URI, or libpq's key=value form, which starts with a
 * lower-case keyword and '=') rather than a folder. */
int store_is_postgresql(const char *where);
/* Finish the queued writes and close. No other call may be running. */
void store_close(store *st);

/* ---- claims (store_core.c) ---- */

/*
 * A claim on a piece of work that one process does at a time (a batch
 * package's processing, an export's build). With SQLite one process
 * serves the file, and a claim keeps two threads of it apart. With
 * PostgreSQL it also keeps the nodes apart: it is an advisory lock held
 * on a connection of its own, which the database drops when the node
 * holding it dies, so another node can take the work up.
 */
typedef struct store_claim store_claim;
/* Claim `name` (any text): STORE_OK and *out, to release with
 * store_unclaim(); STORE_EXISTS when it is held by this process or
 * another node. */
store_result store_claim_take(store *st, const char *name,
			      store_claim **out, ksef_error *err);
/* Release a claim; NULL does nothing. */
void store_unclaim(store_claim *c);
/* Whether other processes serve the same store (PostgreSQL): work that a
 * dead node left (a package in processing) is then looked for from time
 * to time, not only at start. */
int store_is_shared(store *st);
/* How many processes serve the store now, this one included: 1 for a
 * store that is not shared; with PostgreSQL, the nodes whose writer is
 * connected (a dead node's connection is dropped with it). 1 too when
 * the database cannot be asked. */
int store_nodes(store *st);
/* On a shared store, call fn(arg) each time a node (this one too) commits
 * work that any node may take: a closed batch package (PostgreSQL's
 * LISTEN/NOTIFY, on a connection of its own). fn runs on the listening
 * thread, and must only wake the thread that takes the work. fn NULL
 * stops listening (before what arg points to goes); store_close() does
 * too. Nothing on a store that one process serves. 0, or a failure to
 * listen (the work is then found by polling alone). */
int store_on_work(store *st, void (*fn)(void *arg), void *arg,
		  ksef_error *err);
/* How many such notices came (for /metrics and the tests). */
uint64_t store_work_notices(store *st);

/* ---- the writer's health (store_core.c) ---- */

/* Called on the writer's thread after each of its transactions (a group
 * commit) with how many writes it held and whether it committed; it must
 * be quick and must not call the store. */
typedef void store_batch_fn(void *arg, size_t writes, int committed);
/* Set the one batch observer (NULL: none), before or while writes run. */
void store_on_batch(store *st, store_batch_fn *fn, void *arg);
/* Writes queued for the writer and not yet taken. */
size_t store_queued(store *st);
/* Whether the store takes writes now: STORE_OK when the writer committed
 * within the last fresh_ms and nothing failed since; otherwise one small
 * real write (a row of its own, fsync'd), whose result this is. */
store_result store_check_writable(store *st, int64_t fresh_ms,
				  ksef_error *err);

/* ---- server secrets and keys ---- */

/* A random secret created on first use and kept (the JWT/HMAC key).
 * STORE_INVALID if the name holds a secret of another length. */
store_result store_secret(store *st, const char *name, unsigned char *out,
			  size_t len, ksef_error *err);

typedef struct store_key {
	int64_t id;
	unsigned usage;                 /* KEY_USAGE_* mask (keys.h) */
	char public_key_id[STORE_B64_SHA_SZ];
	char *cert_b64;                 /* owned */
	char *key_pem;                  /* owned, secret */
	int64_t valid_from_ms, valid_to_ms;
	int retired;
} store_key;

/* Add a key pair; key->id is set. */
store_result store_key_add(store *st, store_key *key, ksef_error *err);
/* All keys, retired ones too, newest first. */
store_result store_keys_list(store *st, store_key **out, size_t *count,
			     ksef_error *err);
/* Retire by id or by publicKeyId (whichever `id` matches);
 * STORE_NOT_FOUND if neither does. */
store_result store_key_retire(store *st, const char *id, ksef_error *err);
void store_keys_free(store_key *keys, size_t count);
/* A number that changes whenever the key table changes, so a running
 * server notices `ksefd keys rotate` made by another process. */
int64_t store_keys_version(store *st);

/* ---- KSeF tokens ---- */

typedef struct store_token {
	char ref[STORE_REF_SZ];
	char secret_hash[STORE_B64_SHA_SZ]; /* SHA-256 of the whole token */
	char ctx_type[STORE_CTX_TYPE_SZ];
	char ctx_value[STORE_CTX_VALUE_SZ];
	char author_type[STORE_CTX_TYPE_SZ];
	char author_value[STORE_CTX_VALUE_SZ];
	char permissions[STORE_PERMS_SZ];
	char description[260];
	char status[16];                 /* Pending Active Revoking Revoked Failed */
	int64_t created_ms, last_use_ms; /* last_use_ms 0: never */
} store_token;

/* STORE_EXISTS if the reference or the secret's hash is taken. */
store_result store_token_add(store *st, const store_token *t, ksef_error *err);
/* By reference or by the secret's hash; STORE_NOT_FOUND if none. */
store_result store_token_get(store *st, const char *ref, store_token *out,
			     ksef_error *err);
store_result store_token_find(store *st, const char *secret_hash,
			      store_token *out, ksef_error *err);
/* STORE_NOT_FOUND if there is no such token. */
store_result store_token_set_status(store *st, const char *ref,
				    const char *status, ksef_error *err);
store_result store_token_touch(store *st, const char *ref, int64_t now_ms,
			       ksef_error *err);
typedef struct store_token_query {
	const char *ctx_type, *ctx_value;   /* required */
	unsigned statuses;          /* bit i: status i of Pending..Failed; 0 all */
	const char *description;    /* case-insensitive substring, or NULL */
	const char *author_value;   /* substring, or NULL */
	const char *author_type;    /* exact, or NULL */
	int64_t after_created_ms;   /* paging cursor: 0 = first page */
	const char *after_ref;
	size_t limit;
} store_token_query;
store_result store_tokens_list(store *st, const store_token_query *q,
			       store_token **out, size_t *count,
			       ksef_error *err);

/* ---- authentication challenges and operations ---- */

/* STORE_EXISTS if the challenge was issued before. */
store_result store_challenge_add(store *st, const char *challenge,
				 int64_t ts_ms, const char *client_ip,
				 ksef_error *err);
/* Forget every challenge issued before before_ms, used or not; *count
 * (may be NULL) receives how many. A challenge past its lifetime can no
 * longer be taken, so forgetting it changes no answer: it only keeps the
 * store from growing with every challenge ever asked for. */
store_result store_challenges_purge(store *st, int64_t before_ms, int *count,
				    ksef_error *err);

/*
 * Forget authentication operations that started before before_ms and
 * whose refresh token is not valid at now_ms (or was never issued): no
 * token of theirs can be used any more, and their sessions keep what
 * UPOs need. At most 10,000 a call, in transactions of 500; count (may
 * be NULL) receives how many.
 */
store_result store_auth_purge(store *st, int64_t before_ms, int64_t now_ms,
			      int *count, ksef_error *err);

/* Mark a challenge used, once: STORE_NOT_FOUND if unknown or already
 * used. */
store_result store_challenge_take(store *st, const char *challenge,
				  int64_t *ts_ms, ksef_error *err);

typedef struct store_auth {
	char ref[STORE_REF_SZ];          /* AU number */
	char ctx_type[STORE_CTX_TYPE_SZ];
	char ctx_value[STORE_CTX_VALUE_SZ];
	char subject_type[STORE_CTX_TYPE_SZ];  /* Nip Pesel Fingerprint Token */
	char subject_value[STORE_CTX_VALUE_SZ];
	char method[32];                 /* authenticationMethod */
	char token_ref[STORE_REF_SZ];    /* the KSeF token used, or "" */
	char permissions[STORE_PERMS_SZ];
	char allowed_ips[STORE_POLICY_SZ]; /* authorizationPolicy, or "" */
	int status;                      /* 100 200 415 425 450 460 ... */
	char status_details[STORE_DETAILS_SZ]; /* JSON array, or "" */
	int64_t start_ms;
	int redeemed;
	int64_t refresh_valid_until_ms;  /* 0 until redeemed */
	int64_t last_refresh_ms;         /* 0: never */
	int revoked;
	/* Base64 SHA-256 of the signed AuthTokenRequest of a XAdES
	 * authentication (for the UPO), or "". */
	char doc_hash[STORE_B64_SHA_SZ];
	/* The subject attributes of the certificate that signed a XAdES
	 * authentication, as the JSON of GET /certificates/enrollments/data
	 * (certs_ca.c), or "" for any other method. */
	char cert_subject[STORE_CERT_SUBJECT_SZ];
} store_auth;

/* STORE_EXISTS if the reference is taken. */
store_result store_auth_add(store *st, const store_auth *a, ksef_error *err);
/* STORE_NOT_FOUND if there is no such operation; so for the calls below
 * that name one. */
store_result store_auth_get(store *st, const char *ref, store_auth *out,
			    ksef_error *err);
/* Record the outcome of an operation's verification: copies a's
 * subject_type, subject_value, method, token_ref, permissions, status,
 * status_details and doc_hash onto the operation a->ref. */
store_result store_auth_finish(store *st, const store_auth *a, ksef_error *err);
/* Set redeemed once: STORE_WRONG_STATE if it already was. */
store_result store_auth_redeem(store *st, const char *ref,
			       int64_t refresh_until_ms, ksef_error *err);
store_result store_auth_refreshed(store *st, const char *ref, int64_t now_ms,
				  ksef_error *err);
/* Revoke (status 425): the refresh token stops working. */
store_result store_auth_revoke(store *st, const char *ref, ksef_error *err);
/* Active (redeemed, not revoked, refresh still valid) operations of a
 * context, newest first, after the cursor. */
store_result store_auth_list(store *st, const char *ctx_type,
			     const char *ctx_value, int64_t now_ms,
			     int64_t after_start_ms, const char *after_ref,
			     size_t limit, store_auth **out, size_t *count,
			     ksef_error *err);

/* ---- sessions ---- */

typedef struct store_session {
	char ref[STORE_REF_SZ];          /* SO number */
	char auth_ref[STORE_REF_SZ];
	char ctx_type[STORE_CTX_TYPE_SZ];
	char ctx_value[STORE_CTX_VALUE_SZ];
	char subject_value[STORE_CTX_VALUE_SZ];
	int form;                        /* ksef_form */
	int64_t key_id;                  /* the server key that wraps it */
	unsigned char wrapped_key[1024]; /* encryptedSymmetricKey as sent */
	size_t wrapped_key_len;
	unsigned char iv[KSEF_AES_IV_LEN];
	int status;                      /* 100 170 200 415 440 445 */
	int64_t created_ms, updated_ms, valid_until_ms, closed_ms;
	int invoice_count, success_count, failed_count;
	int max_invoices;
	char upo_ref[STORE_REF_SZ];      /* set when the session UPO exists */
	/* What its UPOs say of its authentication, copied from the operation
	 * when the session opens (the operation is purged later). */
	char auth_token_ref[STORE_REF_SZ];     /* the KSeF token, or "" */
	char auth_doc_hash[STORE_B64_SHA_SZ];  /* the XAdES document's, or "" */
} store_session;

/* STORE_EXISTS if the reference is taken. */
store_result store_session_add(store *st, const store_session *s,
			       ksef_error *err);
store_result store_session_get(store *st, const char *ref, store_session *out,
			       ksef_error *err);

/* Close a session in status 100 (to 170). STORE_WRONG_STATE with *status
 * set to the current code when it is not open; STORE_NOT_FOUND. */
store_result store_session_close(store *st, const char *ref, int64_t now_ms,
				 int *status, ksef_error *err);
/* Record the reference of the session's UPO once it exists. */
store_result store_session_set_upo(store *st, const char *ref,
				   const char *upo_ref, int64_t now_ms,
				   ksef_error *err);
/* Open sessions whose valid_until has passed move to 170; returns how
 * many did. */
store_result store_sessions_expire(store *st, int64_t now_ms, int *count,
				   ksef_error *err);
/* What a closed session's final status is decided from. */
typedef struct store_session_tally {
	int invoice_count;   /* invoices accepted into the session */
	int success_count;   /* of them, reached 200 */
	int failed_count;    /* of them, refused (status >= 300) */
} store_session_tally;

/* Decides the final status (200 or more) of a closed session whose
 * invoices are all decided (verdict_session_final). */
typedef int (*store_final_fn)(const store_session_tally *tally);

/*
 * Sessions in 170 with no invoice still in 100/150 get the final status
 * `decide` gives each, in one transaction, and their refs come back
 * (caller frees). The store counts; the status is the caller's. A status
 * below 200 from `decide` is STORE_INVALID and sets none.
 */
store_result store_sessions_finish(store *st, int64_t now_ms,
				   store_final_fn decide,
				   char (**refs)[STORE_REF_SZ], size_t *count,
				   ksef_error *err);

typedef struct store_session_query {
	const char *ctx_type, *ctx_value;   /* required */
	const char *subject_value;   /* only sessions of this subject, or NULL */
	const char *ref;             /* exact, or NULL */
	const char *type;            /* "SO" or "SB" (the reference number's
					type), or NULL: both */
	int64_t created_from, created_to;   /* 0: unbounded */
	int64_t closed_from, closed_to;
	int64_t updated_from, updated_to;
	unsigned statuses;           /* bit 0 InProgress, 1 Succeeded,
					2 Failed, 3 Cancelled; 0: all */
	int64_t after_created_ms;    /* cursor */
	const char *after_ref;
	size_t limit;
} store_session_query;
store_result store_sessions_list(store *st, const store_session_query *q,
				 store_session **out, size_t *count,
				 ksef_error *err);

/* ---- invoices ---- */

typedef struct store_invoice {
	char ref[STORE_REF_SZ];          /* EE number */
	char session_ref[STORE_REF_SZ];
	int ordinal;
	char invoice_hash[STORE_B64_SHA_SZ];
	int64_t invoice_size;
	char encrypted_hash[STORE_B64_SHA_SZ];
	int64_t encrypted_size;
	int offline_mode;
	char hash_of_corrected[STORE_B64_SHA_SZ]; /* "" if none */
	int64_t invoicing_ms;
	int status;                      /* 100 150 200 4xx 500 550 */
	char status_details[STORE_DETAILS_SZ]; /* JSON array, or "" */
	char orig_ksef_number[KSEF_NUMBER_BUFSZ];  /* 440 extensions */
	char orig_session_ref[STORE_REF_SZ];
	char invoice_number[STORE_P2_SZ];  /* P_2 when readable */
	char seller_nip[KSEF_NIP_BUFSZ];
	char invoice_kind[16];
	char ksef_number[KSEF_NUMBER_BUFSZ];
	int64_t acquisition_ms, permanent_storage_ms; /* 0: not yet */
	char invoicing_mode[8];          /* Online Offline, or "" */
	char issue_date[KSEF_DATE_BUFSZ]; /* P_1 when readable, or "" */
	char file_name[STORE_FILE_NAME_SZ]; /* in its batch package, or "" */
	/* What the metadata of an accepted invoice lists (decide.c fills it,
	 * store_invoice_add stores it with the invoice); NULL: none, as for
	 * what reading an invoice back gives. Not owned. */
	struct store_invoice_meta *meta;
} store_invoice;

/*
 * The two-step life of an invoice as ksefd 0.2 wrote it (accepted, then
 * decided): ksefd itself now stores an invoice once, with
 * store_invoice_add(). These stay for invoices such a data folder still
 * holds undecided (worker.c finishes them) and for the tests that make
 * them.
 *
 * Accept an invoice into an open session, durably: checks (in the same
 * transaction) that the session is in status 100 and below its invoice
 * limit, gives the invoice the next ordinal number and stores it with its
 * ciphertext. inv->ordinal is set. Returns STORE_NOT_FOUND (no session),
 * STORE_WRONG_STATE with *session_status (not open), STORE_FULL (the
 * session's limit), STORE_EXISTS (the reference is taken; *session_status
 * is 100) or STORE_TOO_BIG (over KSEF_CIPHERTEXT_MAX_BYTES).
 * inv->status 0 means 100; an invoice refused at once (>= 300) counts as
 * failed; 200 is only reached through store_invoice_finish.
 */
store_result store_invoice_accept(store *st, store_invoice *inv,
				  const unsigned char *ciphertext, size_t len,
				  int *session_status, ksef_error *err);
/* By reference or by KSeF number; STORE_NOT_FOUND if none. */
store_result store_invoice_get(store *st, const char *ref, store_invoice *out,
			       ksef_error *err);
store_result store_invoice_by_ksef_number(store *st, const char *ksef_number,
					  store_invoice *out, ksef_error *err);
/* The ciphertext (or, for accepted invoices, the plaintext) bytes;
 * STORE_NOT_FOUND if not stored. */
store_result store_invoice_ciphertext(store *st, const char *ref, ksef_buf *out,
				      ksef_error *err);
store_result store_invoice_plaintext(store *st, const char *ref, ksef_buf *out,
				     ksef_error *err);
/* STORE_OK when the context already has a technical correction of the
 * invoice with this hash that was accepted (200); STORE_NOT_FOUND if
 * not. */
store_result store_correction_accepted(store *st, const char *ctx_value,
				       const char *corrected_hash,
				       ksef_error *err);
/* Technical correction look-up: the newest invoice of a seller context
 * with this plaintext hash; STORE_NOT_FOUND if none. */
store_result store_invoice_by_hash(store *st, const char *ctx_value,
				   const char *invoice_hash, store_invoice *out,
				   ksef_error *err);
/* KOD I verification: the accepted (200) invoice whose seller NIP, P_1
 * ("YYYY-MM-DD") and plaintext hash (Base64) are these, the first
 * accepted if several; STORE_NOT_FOUND if none. */
store_result store_invoice_by_link(store *st, const char *seller_nip,
				   const char *issue_date,
				   const char *invoice_hash, store_invoice *out,
				   ksef_error *err);

/*
 * Record the verdict on an invoice and update its session's counters, in
 * one transaction. Fields stored: status, status_details,
 * orig_ksef_number, orig_session_ref, invoice_number, seller_nip,
 * invoice_kind, ksef_number, acquisition_ms, permanent_storage_ms,
 * invoicing_mode, issue_date; inv->session_ref is set. Status 150 may be
 * recorded on the way; an invoice already in a final status (>= 200)
 * gives STORE_WRONG_STATE, so no verdict is counted twice. The session's
 * updated_ms is the wall clock.
 *
 * For status 200, plaintext is stored and the duplicate key (seller NIP,
 * RodzajFaktury, P_2; SPEC 8.3) is claimed. If another invoice holds it,
 * nothing is written: STORE_EXISTS, with the holder's KSeF number and
 * session in inv->orig_ksef_number and inv->orig_session_ref. What that
 * makes of the invoice (a 440, verdict_duplicate()) is the caller's to
 * record, with a second call. Nothing is lost in between: a key once held
 * is never released, so the answer cannot change, and until its verdict
 * is recorded the invoice stays in 100/150, which a restarted server
 * verifies again.
 */
store_result store_invoice_finish(store *st, store_invoice *inv,
				  const unsigned char *plaintext, size_t len,
				  ksef_error *err);

/*
 * Add an invoice whose verdict is already reached, with its plaintext when
 * accepted (status 200), in one durable write: the one write of an
 * invoice's life. The same transaction checks that the session is in
 * status 100 and below its limit, gives the invoice the next ordinal
 * (inv->ordinal), counts it in the session's totals and, for status 200,
 * claims the duplicate key (seller NIP, RodzajFaktury, P_2; SPEC 8.3). If
 * another invoice holds the key, the holder's KSeF number and session go
 * to inv->orig_ksef_number and inv->orig_session_ref, duplicate(inv) turns
 * the verdict into what that makes of it (verdict_duplicate(), a 440), and
 * the invoice is stored so. An accepted invoice's permanent_storage_ms is
 * the time of this write (acquisition_ms is kept before it).
 *
 * Asynchronous: returns 0 once queued, and done(arg, result) tells the
 * outcome after the commit: STORE_OK, STORE_NOT_FOUND (no session),
 * STORE_WRONG_STATE (not open; its status in *session_status),
 * STORE_FULL (the limit), STORE_EXISTS (the reference or the KSeF number is
 * taken) or STORE_ERROR. inv, plaintext, session_status and err must live
 * until then. A negative return means done will never be called.
 */
store_result store_invoice_add(store *st, store_invoice *inv,
			       const unsigned char *plaintext, size_t len,
			       void (*duplicate)(store_invoice *inv),
			       int *session_status, store_done_fn *done,
			       void *arg, ksef_error *err);

/* Invoices of a session in ordinal order after `after_ordinal`; failed
 * only (status >= 300) when failed_only. */
store_result store_invoices_list(store *st, const char *session_ref,
				 int failed_only, int after_ordinal,
				 size_t limit, store_invoice **out,
				 size_t *count, ksef_error *err);
/* References of invoices still waiting (status 100/150), oldest first:
 * what a restarted server must finish. */
store_result store_invoices_pending(store *st, char (**refs)[STORE_REF_SZ],
				    size_t *count, ksef_error *err);

/* Accepted invoices (status 200) of a session in ordinal order after
 * `after_ordinal`: the documents of its UPO pages. */
store_result store_invoices_accepted(store *st, const char *session_ref,
				     int after_ordinal, size_t limit,
				     store_invoice **out, size_t *count,
				     ksef_error *err);

/* ---- UPO documents ---- */

/*
 * A UPO is signed once and kept: `key` is the invoice's reference number
 * (its own UPO) or a session UPO page's. store_upo_put keeps the first
 * document stored under a key; a later put of the same key is ignored, so
 * concurrent first requests all get the same bytes from store_upo_get.
 * store_upo_get: STORE_NOT_FOUND if none; store_upo_put: STORE_TOO_BIG
 * over KSEF_UPO_MAX_BYTES.
 */
store_result store_upo_get(store *st, const char *key, ksef_buf *out,
			   ksef_error *err);
store_result store_upo_put(store *st, const char *key, const unsigned char *xml,
			   size_t len, ksef_error *err);

/* The UPO page references of a session, in page order (set once, when it
 * reaches 200); STORE_NOT_FOUND before (and for no such session when
 * setting them). refs is malloc'd. */
store_result store_upo_pages_set(store *st, const char *session_ref,
				 char (*refs)[STORE_REF_SZ], size_t count,
				 ksef_error *err);
store_result store_upo_pages(store *st, const char *session_ref,
			     char (**refs)[STORE_REF_SZ], size_t *count,
			     ksef_error *err);

/* ---- permission grants (who may act for a context) ---- */

/* The admin shortcuts of `ksefd grant` over the permission store below:
 * the direct (STORE_PERM_PERSON) grants of one subject in one context,
 * made by the system (author "System"), as one comma-separated list.
 *
 * Grant (or replace) a subject's permissions in a context: the subject's
 * direct grants become exactly these. subject_type is Nip, Pesel or
 * Fingerprint. */
store_result store_grant_set(store *st, const char *ctx_type,
			     const char *ctx_value, const char *subject_type,
			     const char *subject_value, const char *permissions,
			     ksef_error *err);
/* The subject's direct grants in the context, sorted by name, or
 * STORE_NOT_FOUND when it has none. */
store_result store_grant_get(store *st, const char *ctx_type,
			     const char *ctx_value, const char *subject_type,
			     const char *subject_value,
			     char permissions[STORE_PERMS_SZ], ksef_error *err);
/* Withdraw the subject's direct grants in the context; STORE_NOT_FOUND if
 * it had none. */
store_result store_grant_revoke(store *st, const char *ctx_type,
				const char *ctx_value, const char *subject_type,
				const char *subject_value, ksef_error *err);


/* ---- permissions (uprawnienia.md; store_permissions.c) ---- */

/*
 * Every grant of the permission operations, one row a permission scope,
 * each with its permissionId. Which context a row works in, and who made
 * it, depend on its kind:
 *
 *   kind            ctx (where it works)       grantor (where made)
 *   PERSON          the grantor's context      the caller's context
 *   ENTITY          the grantor's context      the caller's context
 *   AUTHORIZATION   the authorizing context    the caller's context
 *   INDIRECT        the client: Nip or         the intermediary's
 *                   InternalId, or AllPartners context
 *                   with an empty value
 *   SUBUNIT         the subunit (InternalId    the parent's context
 *                   or Nip)
 *   EU_ADMIN        the NipVatUe context       the Polish NIP context
 *   EU_REP          the NipVatUe context       the same NipVatUe context
 *
 * The store keeps rows and answers questions about them; who may grant
 * what, and what a refusal is called, belong to permissions.c and the
 * api_permissions*.c handlers.
 */
typedef enum store_perm_kind {
	STORE_PERM_PERSON = 1,
	STORE_PERM_ENTITY = 2,
	STORE_PERM_AUTHORIZATION = 3,
	STORE_PERM_INDIRECT = 4,
	STORE_PERM_SUBUNIT = 5,
	STORE_PERM_EU_ADMIN = 6,
	STORE_PERM_EU_REP = 7,
} store_perm_kind;

/* A kind's bit in a mask of kinds. */
#define STORE_PERM_BIT(kind) (1u << (kind))

#define STORE_PERM_ID_SZ 37        /* a UUID: 36 + NUL */
#define STORE_PERM_SCOPE_SZ 32     /* the longest name is 21 */
/* A description of at most 256 characters, up to 4 bytes of UTF-8 each. */
#define STORE_PERM_DESC_SZ 1028
/* What the responses show of the grantee and of an EU entity, as a JSON
 * object (subjectPersonDetails, subjectEntityDetails, euEntityDetails,
 * euEntityName, subunitName). Each field is bounded by its schema (at most
 * 512 characters); all of them fit twice over. */
#define STORE_PERM_DETAILS_SZ 8192

typedef struct store_permission {
	char id[STORE_PERM_ID_SZ];       /* set by the store when empty */
	int kind;                        /* store_perm_kind */
	char ctx_type[STORE_CTX_TYPE_SZ];
	char ctx_value[STORE_CTX_VALUE_SZ];
	char subject_type[STORE_CTX_TYPE_SZ];   /* the grantee */
	char subject_value[STORE_CTX_VALUE_SZ];
	char scope[STORE_PERM_SCOPE_SZ];  /* e.g. InvoiceWrite */
	char description[STORE_PERM_DESC_SZ];
	int can_delegate;
	char author_type[STORE_CTX_TYPE_SZ];    /* Nip Pesel Fingerprint
						   System */
	char author_value[STORE_CTX_VALUE_SZ];  /* "" for System */
	char grantor_type[STORE_CTX_TYPE_SZ];
	char grantor_value[STORE_CTX_VALUE_SZ];
	int64_t start_ms;
	char details[STORE_PERM_DETAILS_SZ];    /* JSON object, or "" */
	/* Lists only: an INDIRECT grant whose intermediary no longer holds
	 * the permission from the client with canDelegate (Inactive). */
	int inactive;
} store_permission;

/* An asynchronous permission operation (grant or revocation) and how it
 * ended: a status of PermissionsOperationStatusResponse. */
typedef struct store_perm_op {
	char ref[STORE_REF_SZ];          /* EG number */
	char ctx_type[STORE_CTX_TYPE_SZ];       /* whose operation it is */
	char ctx_value[STORE_CTX_VALUE_SZ];
	int status;
	char details[STORE_DETAILS_SZ];  /* JSON array, or "" */
	int64_t created_ms;
} store_perm_op;

/*
 * Record the grants p[0..n) and the operation op in one transaction. A
 * grant already held (same kind, context, grantor, grantee and scope)
 * keeps its id, author and start date, and takes the new description,
 * canDelegate and details: granting twice is not an error. Each p[i].id
 * left empty is given a fresh UUID (the one kept, for a grant already
 * held, is not written back). op may be NULL: grants that no operation
 * made (the test data's). STORE_EXISTS if op's reference is taken.
 */
store_result store_permissions_grant(store *st, store_permission *p,
				     size_t n, const store_perm_op *op,
				     ksef_error *err);
/* The grant with this id; STORE_NOT_FOUND. */
store_result store_permission_get(store *st, const char *id,
				  store_permission *out, ksef_error *err);
/* Delete the grant `id` and record op, in one transaction;
 * STORE_NOT_FOUND (nothing recorded) if there is no such grant. */
store_result store_permission_revoke(store *st, const char *id,
				     const store_perm_op *op, ksef_error *err);
/* Delete every grant whose grantee is the subject in the context (the
 * context a row works in), of the kinds in `kinds` (STORE_PERM_BIT; 0:
 * all); *count (may be NULL) receives how many. */
store_result store_permissions_revoke_subject(store *st, const char *ctx_type,
					      const char *ctx_value,
					      const char *subject_type,
					      const char *subject_value,
					      unsigned kinds, int *count,
					      ksef_error *err);

/*
 * The scopes the grants give a subject in a context, sorted and
 * comma-separated into out ("" when none): its direct, entity, subunit
 * and EU grants there, and the indirect ones whose intermediary holds
 * the same scope from that context with canDelegate (or, for
 * AllPartners, from the context). STORE_TOO_BIG if they do not fit.
 */
store_result store_permissions_effective(store *st, const char *ctx_type,
					 const char *ctx_value,
					 const char *subject_type,
					 const char *subject_value,
					 char out[STORE_PERMS_SZ],
					 ksef_error *err);

/* Whether the entity `nip` holds `scope` in the context with
 * canDelegate: *yes 1 or 0. */
store_result store_permission_delegable(store *st, const char *ctx_type,
					const char *ctx_value, const char *nip,
					const char *scope, int *yes,
					ksef_error *err);

/* The lists of the query operations (api_permissions_query.c). */
typedef enum store_perm_list {
	STORE_PERMS_PERSONAL,        /* the caller's own */
	STORE_PERMS_IN_CONTEXT,      /* working in the context */
	STORE_PERMS_GRANTED,         /* granted in it by the caller */
	STORE_PERMS_SUBUNITS,        /* subunit administrators */
	STORE_PERMS_ENTITIES,        /* received by the context's entity */
	STORE_PERMS_AUTH_GRANTED,    /* authorizations it gave */
	STORE_PERMS_AUTH_RECEIVED,   /* authorizations it received */
	STORE_PERMS_EU,              /* EU administrators, representatives */
	STORE_PERMS_LIST_COUNT
} store_perm_list;

/*
 * What a list is of (ctx, subject, owner) and its filters. Every string
 * is exact unless said otherwise, and NULL means "any". The filters are
 * on the row's columns; which request field maps to which is the
 * handler's business.
 */
typedef struct store_perm_query {
	const char *ctx_type, *ctx_value;          /* the caller's context */
	const char *subject_type, *subject_value;  /* the caller */
	int owner;                   /* the caller owns the context */
	unsigned kinds;              /* STORE_PERM_BIT mask; 0: any */
	const char *author_type, *author_value;
	const char *grantee_type, *grantee_value;
	const char *row_ctx_type, *row_ctx_value;
	const char *grantor_type, *grantor_value;
	const char *scopes;          /* ",A,B," */
	int state;                   /* 0 any, 1 Active, 2 Inactive */
	const char *grantee_contains;   /* substring of the grantee */
	const char *vat_ue;          /* the NipVatUe context's part after
					"NIP-" */
	size_t offset, limit;
} store_perm_query;

/* The rows of a list, newest first (then by id), from q->offset, at most
 * q->limit. */
store_result store_permissions_query(store *st, store_perm_list which,
				     const store_perm_query *q,
				     store_permission **out, size_t *count,
				     ksef_error *err);

/* Record an operation (one that changed nothing: a refused grant or
 * revocation); STORE_EXISTS if its reference is taken. */
store_result store_perm_op_add(store *st, const store_perm_op *op,
			       ksef_error *err);
store_result store_perm_op_get(store *st, const char *ref, store_perm_op *out,
			       ksef_error *err);
/* Forget the operations made before before_ms, at most 10,000 a call
 * (sql_purge); *count (may be NULL) receives how many. */
store_result store_perm_ops_purge(store *st, int64_t before_ms, int *count,
				  ksef_error *err);

/* ---- test data (dane-testowe-scenariusze.md; store_testdata.c) ---- */

/*
 * What the TEST profile's /testdata operations create: subjects with
 * their subunits and roles, persons, the consent to invoices with
 * attachments, and blocks of authentication. The store keeps them; what
 * they mean to authentication, verification and the permission rules is
 * testdata.c's and permissions.c's, and the answers api_testdata.c's.
 */

/* A description: 256 characters (open-api.json) of UTF-8, and its NUL. */
#define STORE_DESCRIPTION_SZ 1025
/* An EntityRoleType name ("LocalGovernmentSubUnit" is the longest). */
#define STORE_ROLE_SZ 24
/* Subunits of one subject created at once: a body of ROUTER_SMALL_BODY
 * (64 KiB) holds at most about a thousand of the smallest. */
#define STORE_TESTDATA_SUBUNITS_MAX 1000

/* One entity: a subject or a subunit, under its role (EntityRoleType:
 * EnforcementAuthority, VatGroupUnit, VatGroupSubUnit,
 * LocalGovernmentUnit, LocalGovernmentSubUnit; CourtBailiff comes from a
 * person, in lists only). */
typedef struct store_entity {
	char nip[KSEF_NIP_BUFSZ];
	char role[STORE_ROLE_SZ];
	char parent_nip[KSEF_NIP_BUFSZ];  /* "" unless a subunit */
	char description[STORE_DESCRIPTION_SZ];
	int64_t created_ms;
} store_entity;

/*
 * Create entities e[0..n) in one transaction: a subject and its subunits.
 * An entity removed before is created again. STORE_EXISTS if one of the
 * NIPs is an entity that was not removed; STORE_WRONG_STATE if
 * date_given and one of the NIPs was created before at or after its
 * created_ms. Either way nothing is written and *conflict (may be NULL)
 * is the index of the entity at fault. STORE_INVALID above
 * STORE_TESTDATA_SUBUNITS_MAX + 1 entities.
 */
store_result store_entities_add(store *st, const store_entity *e, size_t n,
				int date_given, size_t *conflict,
				ksef_error *err);
/* Remove the entity nip and the subunits it is the parent of;
 * STORE_NOT_FOUND if it is none. */
store_result store_entity_remove(store *st, const char *nip, ksef_error *err);
/* The roles nip holds (its entity's, and CourtBailiff when a bailiff
 * person has its NIP), newest first, `offset` rows skipped. */
store_result store_entity_roles(store *st, const char *nip, size_t offset,
				size_t limit, store_entity **out,
				size_t *count, ksef_error *err);
/* The subunits of parent_nip (only the one with NIP `only` when it is
 * not NULL), newest first, `offset` rows skipped. */
store_result store_entity_subunits(store *st, const char *parent_nip,
				   const char *only, size_t offset,
				   size_t limit, store_entity **out,
				   size_t *count, ksef_error *err);

typedef struct store_person {
	char nip[KSEF_NIP_BUFSZ];
	char pesel[KSEF_PESEL_BUFSZ];
	char description[STORE_DESCRIPTION_SZ];
	int is_bailiff;
	int is_deceased;
	int64_t created_ms;
} store_person;

/* Create a person (again, when removed before). STORE_EXISTS if its NIP
 * is a person's that was not removed; STORE_WRONG_STATE if date_given and
 * its NIP was created before at or after p->created_ms. */
store_result store_person_add(store *st, const store_person *p,
			      int date_given, ksef_error *err);
/* Remove the person of nip and, in the same transaction, every
 * permission granted to its PESEL or NIP; STORE_NOT_FOUND if none. */
store_result store_person_remove(store *st, const char *nip,
				 ksef_error *err);
/* The person of nip; STORE_NOT_FOUND if none. */
store_result store_person_get(store *st, const char *nip, store_person *out,
			      ksef_error *err);
/* A person identified by a Nip or a Pesel (identifier_type), a deceased
 * one first; STORE_NOT_FOUND if none. */
store_result store_person_find(store *st, const char *identifier_type,
			       const char *value, store_person *out,
			       ksef_error *err);

/* The consent to invoices with attachments of a context: given at
 * allowed_ms (again after a revocation: the end is cleared), and ending
 * at revoked_ms. store_attachment_revoke and store_attachment_get:
 * STORE_NOT_FOUND if the context never had it; *revoked_ms 0 means no
 * end. */
store_result store_attachment_allow(store *st, const char *ctx_type,
				    const char *ctx_value, int64_t allowed_ms,
				    ksef_error *err);
store_result store_attachment_revoke(store *st, const char *ctx_type,
				     const char *ctx_value, int64_t revoked_ms,
				     ksef_error *err);
store_result store_attachment_get(store *st, const char *ctx_type,
				  const char *ctx_value, int64_t *allowed_ms,
				  int64_t *revoked_ms, ksef_error *err);

/* Blocks of authentication into a context. Blocking a blocked context
 * keeps its first time; store_context_unblock gives STORE_NOT_FOUND when
 * it was not blocked, store_context_blocked when it is not (else
 * STORE_OK, with the time in *blocked_ms, which may be NULL). */
store_result store_context_block(store *st, const char *ctx_type,
				 const char *ctx_value, int64_t now_ms,
				 ksef_error *err);
store_result store_context_unblock(store *st, const char *ctx_type,
				   const char *ctx_value, ksef_error *err);
store_result store_context_blocked(store *st, const char *ctx_type,
				   const char *ctx_value, int64_t *blocked_ms,
				   ksef_error *err);
/* ---- limits a context or subject set through the test data ----
 * (limits: POST/DELETE /testdata/limits/..., /testdata/rate-limits; what
 * the values mean, and their defaults, belong to ctx_limits.c and
 * api_limits.c) */

/* One kind of session's limits (onlineSession, batchSession). */
typedef struct store_session_limits {
	int max_invoices;
	int max_invoice_mb;
	int max_invoice_with_attachment_mb;
} store_session_limits;

/* The text a context's rate limits are kept in, with its NUL. */
#define STORE_RATE_LIMITS_SZ 512

/* What one context set: its session limits when has_session, and rate
 * limits when rate_mode is not 0 (mode and text are the caller's: the
 * store keeps them as given). */
typedef struct store_context_limits {
	int has_session;
	store_session_limits online, batch;
	int rate_mode;
	char rate[STORE_RATE_LIMITS_SZ];
} store_context_limits;

/* STORE_NOT_FOUND when the context set nothing. */
store_result store_context_limits_get(store *st, const char *ctx_type,
				      const char *ctx_value,
				      store_context_limits *out,
				      ksef_error *err);
/* Set (replace) the context's session limits. */
store_result store_context_session_limits_set(store *st, const char *ctx_type,
	const char *ctx_value, const store_session_limits *online,
	const store_session_limits *batch, ksef_error *err);
/* Forget them; nothing set is no failure. */
store_result store_context_session_limits_clear(store *st,
	const char *ctx_type, const char *ctx_value, ksef_error *err);
/* Set (replace) the context's rate limits: mode at least 1, and the text
 * (at most STORE_RATE_LIMITS_SZ - 1 bytes; may be ""). */
store_result store_context_rate_limits_set(store *st, const char *ctx_type,
	const char *ctx_value, int mode, const char *rate, ksef_error *err);
/* Forget them; nothing set is no failure. */
store_result store_context_rate_limits_clear(store *st, const char *ctx_type,
	const char *ctx_value, ksef_error *err);

/* A subject's certificate limits; -1 for one it did not set. */
typedef struct store_subject_limits {
	int max_enrollments;
	int max_certificates;
} store_subject_limits;

/* STORE_NOT_FOUND when the subject set nothing. */
store_result store_subject_limits_get(store *st, const char *subject_type,
				      const char *subject_value,
				      store_subject_limits *out,
				      ksef_error *err);
/* Set the limits of l that are not -1, keeping what was set of the other
 * (both -1 changes nothing). */
store_result store_subject_limits_set(store *st, const char *subject_type,
				      const char *subject_value,
				      const store_subject_limits *l,
				      ksef_error *err);
/* Forget them; nothing set is no failure. */
store_result store_subject_limits_clear(store *st, const char *subject_type,
					const char *subject_value,
					ksef_error *err);

/* ---- KSeF certificates (store_certs.c) ---- */

#define STORE_SERIAL_SZ 17      /* 16 upper-case hex digits + NUL */
#define STORE_CERT_NAME_SZ 404  /* certificateName: 100 characters of
				   UTF-8, 4 bytes each at most, + NUL */
#define STORE_CERT_CN_SZ 260    /* a commonName: 64 characters of UTF-8 */
#define STORE_CSR_MAX 8192      /* a CSR's DER (certs_ca.h's limit) */
#define STORE_CERT_DER_MAX 4096 /* an issued certificate's DER */

/* certificateType (KsefCertificateType). */
#define STORE_CERT_AUTHENTICATION 1
#define STORE_CERT_OFFLINE 2

/* A certificate request (POST /certificates/enrollments): status 100
 * until it is processed, then 200 with the serial, or 400/500 with
 * details. */
typedef struct store_enrollment {
	char ref[STORE_REF_SZ];                 /* its EH-less reference */
	char subject_type[STORE_CTX_TYPE_SZ];   /* Nip Pesel Fingerprint */
	char subject_value[STORE_CTX_VALUE_SZ];
	char name[STORE_CERT_NAME_SZ];          /* certificateName */
	int type;                               /* STORE_CERT_* */
	unsigned char csr[STORE_CSR_MAX];       /* DER */
	size_t csr_len;
	int64_t valid_from_ms;                  /* 0: from its issue */
	int64_t requested_ms;
	int status;
	char details[STORE_DETAILS_SZ];         /* JSON array, or "" */
	char serial[STORE_SERIAL_SZ];           /* once issued */
} store_enrollment;

/* A certificate the CA issued. */
typedef struct store_cert {
	char serial[STORE_SERIAL_SZ];
	char enrollment_ref[STORE_REF_SZ];
	char subject_type[STORE_CTX_TYPE_SZ];
	char subject_value[STORE_CTX_VALUE_SZ];
	char name[STORE_CERT_NAME_SZ];
	int type;                               /* STORE_CERT_* */
	char common_name[STORE_CERT_CN_SZ];
	unsigned char der[STORE_CERT_DER_MAX];
	size_t der_len;
	char fingerprint[STORE_CTX_VALUE_SZ];   /* SHA-256 of der, hex */
	char key_hash[STORE_CTX_VALUE_SZ];      /* SHA-256 of its SPKI, hex */
	int64_t valid_from_ms, valid_to_ms, requested_ms;
	int64_t revoked_ms;                     /* 0: not revoked */
	char revocation_reason[32];             /* CertificateRevocationReason */
	int64_t last_use_ms;                    /* 0: never used */
} store_cert;

/* Store a request, unless its subject already made max_enrollments of
 * them: STORE_FULL then; STORE_EXISTS if the reference is taken. */
store_result store_enroll_add(store *st, const store_enrollment *e,
			      int max_enrollments, ksef_error *err);
store_result store_enroll_get(store *st, const char *ref,
			      store_enrollment *out, ksef_error *err);
/* How many requests a subject made, whatever became of them. */
store_result store_enroll_count(store *st, const char *subject_type,
				const char *subject_value, int64_t *count,
				ksef_error *err);
/*
 * Finish a request in status 100. With cert (its serial, subject and
 * request as e's), in one transaction: STORE_EXISTS when another subject
 * holds a certificate for the same public key (or, by a chance of 2^-63,
 * the serial is taken), STORE_FULL when the subject already holds
 * max_certificates active ones at now_ms, else the certificate is stored
 * and the request gets 200 and its serial. Without cert, the request gets
 * status and details. STORE_WRONG_STATE if it was no longer 100;
 * STORE_NOT_FOUND.
 */
store_result store_enroll_finish(store *st, const char *ref,
				 const store_cert *cert, int max_certificates,
				 int64_t now_ms, int status,
				 const char *details, ksef_error *err);
/* Active certificates (neither revoked nor expired at now_ms). */
store_result store_certs_active(store *st, const char *subject_type,
				const char *subject_value, int64_t now_ms,
				int64_t *count, ksef_error *err);
store_result store_cert_get(store *st, const char *serial, store_cert *out,
			    ksef_error *err);
/* The certificate whose DER has this SHA-256 (hex, upper case). */
store_result store_cert_by_fingerprint(store *st, const char *fingerprint,
				       store_cert *out, ksef_error *err);
/* STORE_NOT_FOUND also when it is already revoked. */
store_result store_cert_revoke(store *st, const char *serial, int64_t now_ms,
			       const char *reason, ksef_error *err);
store_result store_cert_used(store *st, const char *serial, int64_t now_ms,
			     ksef_error *err);

/* POST /certificates/query's filters; NULL or 0 leaves one out. */
typedef struct store_cert_filter {
	const char *serial;
	const char *name_part;
	int type;                 /* STORE_CERT_* */
	int status;               /* 1 Active, 2 Blocked, 3 Revoked, 4 Expired */
	int has_expires_after;
	int64_t expires_after_ms;
} store_cert_filter;

/* A page of a subject's certificates, newest request first; the caller
 * frees *out. */
store_result store_certs_query(store *st, const char *subject_type,
			       const char *subject_value,
			       const store_cert_filter *f, int64_t now_ms,
			       size_t limit, size_t offset, store_cert **out,
			       size_t *count, ksef_error *err);

/* ---- batch sessions (store_batch.c) ---- */

/* One part of a batch package as declared when the session opened, and
 * when it came in (received_ms 0: not yet). */
typedef struct store_batch_part {
	int ordinal;
	int64_t file_size;
	char file_hash[STORE_B64_SHA_SZ];
	int64_t received_ms;
} store_batch_part;

/* The package of a batch session: its size and hash before encryption,
 * "Zip" or "TarGz", and how many parts. */
typedef struct store_batch_file {
	int64_t file_size;
	char file_hash[STORE_B64_SHA_SZ];
	char compression[8];
	int part_count;
	int offline;         /* offlineMode of the opening */
	/* Why processing failed, a JSON array of strings, or "". */
	char details[STORE_DETAILS_SZ];
} store_batch_file;

/* Record the package and parts a batch session declared (the session is
 * stored first, with store_session_add()), in one transaction.
 * STORE_EXISTS if the session has them already. */
store_result store_batch_add(store *st, const char *session_ref,
			     const store_batch_file *f,
			     const store_batch_part *parts, size_t n,
			     ksef_error *err);
/* STORE_NOT_FOUND when the session declared no package. */
store_result store_batch_get(store *st, const char *session_ref,
			     store_batch_file *out, ksef_error *err);
/* The parts in ordinal order (caller frees). */
store_result store_batch_parts(store *st, const char *session_ref,
			       store_batch_part **out, size_t *count,
			       ksef_error *err);
/* A part came in whole (its size and hash checked): STORE_NOT_FOUND if
 * the session declared no such part. */
store_result store_batch_part_received(store *st, const char *session_ref,
				       int ordinal, int64_t now_ms,
				       ksef_error *err);
/*
 * Close a batch session in status 100 to 150 (processing) when every part
 * came in. STORE_NOT_FOUND (no session), STORE_WRONG_STATE with *status
 * set to the current code, or STORE_INVALID with *missing set to the
 * lowest ordinal not received; *missing is 0 otherwise.
 */
store_result store_batch_close(store *st, const char *session_ref,
			       int64_t now_ms, int *status, int *missing,
			       ksef_error *err);
/* Move a session out of 150 to `status` (170 when its invoices are all
 * stored, or a final error status) with why (a JSON array of strings, or
 * NULL) kept for its status answers, in one transaction. STORE_NOT_FOUND
 * if not in 150. */
store_result store_batch_set_status(store *st, const char *session_ref,
				    int status, const char *details,
				    int64_t now_ms, ksef_error *err);
/* Sessions in 150, oldest close first (caller frees). */
store_result store_batch_processing(store *st, char (**refs)[STORE_REF_SZ],
				    size_t *count, ksef_error *err);
/* ---- invoice retrieval (store_retrieval.c) ---- */

#define STORE_NAME_SZ 520       /* names are at most 512 characters */
#define STORE_THIRD_SZ 4096     /* thirdSubjects as JSON */
#define STORE_SUBJECT3_SZ 1400  /* ",nip,nip," of up to 100 Podmiot3 */

/* What POST /invoices/query/metadata lists of an invoice besides the
 * invoices table's columns. Amounts are in grosze. */
typedef struct store_invoice_meta {
	int64_t issue_key;            /* P_1 as midnight UTC, in ms */
	char seller_name[STORE_NAME_SZ];
	char buyer_id_type[8];        /* Nip VatUe Other None */
	char buyer_id[64];
	char buyer_name[STORE_NAME_SZ];
	char currency[4];
	int64_t net, vat, gross;
	int self_invoicing, has_attachment;
	int form;                     /* ksef_form */
	char form_type[8];            /* FA PEF FA_RR */
	char invoice_type[12];        /* InvoiceType: Vat Kor ... */
	char authorized_nip[KSEF_NIP_BUFSZ];
	int authorized_role;
	char subject3_nips[STORE_SUBJECT3_SZ];
	char third[STORE_THIRD_SZ];   /* JSON array, or "" */
} store_invoice_meta;

/* One row of a metadata query: the invoice and its metadata. */
typedef struct store_meta_row {
	store_invoice inv;  /* ksef_number, invoice_number, issue_date,
			     * the dates, hashes, invoicing_mode, ref */
	store_invoice_meta meta;
	int64_t key;        /* the value of the query's date type */
} store_meta_row;

/* A metadata query: NULL strings and -1 flags leave a filter out. */
typedef struct store_meta_query {
	int subject;        /* 1 Subject1 .. 4 SubjectAuthorized */
	const char *nip;    /* the caller's context NIP */
	int date_type;      /* 0 Issue, 1 Invoicing, 2 PermanentStorage */
	int64_t from, to;   /* inclusive; Issue: day keys */
	const char *ksef_number, *invoice_number, *seller_nip;
	const char *buyer_type, *buyer_value;
	int amount_type;    /* 0 none, 1 Brutto, 2 Netto, 3 Vat */
	int64_t amount_from, amount_to;
	const char *currencies;    /* ",PLN,EUR," */
	const char *invoicing_mode;
	int self_invoicing, has_attachment;
	const char *form_type;
	const char *invoice_types; /* ",Vat,Kor," */
	int descending;
	size_t offset, limit;
} store_meta_query;

/* The permanent-storage watermark: every write stamped at or before it
 * is committed, and none stamped at or before it can come. */
int64_t store_hwm_ms(store *st);

/* The rows of q, at most q->limit (and never more than
 * STORE_META_QUERY_MAX); free *out. */
#define STORE_META_QUERY_MAX 10001
store_result store_meta_query_run(store *st, const store_meta_query *q,
				  store_meta_row **out, size_t *count,
				  ksef_error *err);

#define STORE_EXPORT_FILTERS_SZ 8192
#define STORE_EXPORT_PACKAGE_SZ 65536

/* An invoice export (POST /invoices/exports). */
typedef struct store_export {
	char ref[STORE_REF_SZ];
	char ctx_type[STORE_CTX_TYPE_SZ];
	char ctx_value[STORE_CTX_VALUE_SZ];
	char nip[KSEF_NIP_BUFSZ];       /* the context's NIP */
	int status;                     /* 100, 200, 415, 420, 500 */
	char filters[STORE_EXPORT_FILTERS_SZ]; /* InvoiceQueryFilters */
	int only_metadata;
	int64_t key_id;                 /* the server key that wraps it */
	unsigned char wrapped_key[1024];
	size_t wrapped_key_len;         /* 0 once the package is built */
	unsigned char iv[KSEF_AES_IV_LEN];
	int64_t created_ms, completed_ms;
	char package[STORE_EXPORT_PACKAGE_SZ]; /* JSON, "" until built */
} store_export;

store_result store_export_add(store *st, const store_export *e,
			      ksef_error *err);
/* STORE_NOT_FOUND if there is none. */
store_result store_export_get(store *st, const char *ref, store_export *out,
			      ksef_error *err);
/* How many exports of the context are still being built. */
store_result store_exports_running(store *st, const char *ctx_type,
				   const char *ctx_value, int64_t *count,
				   ksef_error *err);
/* The oldest exports still to build, at most limit; free *refs. */
store_result store_exports_pending(store *st, size_t limit,
				   char (**refs)[STORE_REF_SZ], size_t *count,
				   ksef_error *err);
/* Built exports completed before before_ms whose parts are still kept,
 * at most limit; free *refs. */
store_result store_exports_expired(store *st, int64_t before_ms, size_t limit,
				   char (**refs)[STORE_REF_SZ], size_t *count,
				   ksef_error *err);
/* Record that an export's parts are gone. */
store_result store_export_forget(store *st, const char *ref, ksef_error *err);
/* Record the outcome and forget the wrapped key. */
store_result store_export_finish(store *st, const char *ref, int status,
				 int64_t completed_ms, const char *package,
				 ksef_error *err);

/* ---- the console's overview (store_contexts.c) ---- */

/* A context something was stored for: its sessions, the invoices sent
 * in them, its KSeF tokens and the grants that work in it. */
typedef struct store_context_row {
	char ctx_type[STORE_CTX_TYPE_SZ];
	char ctx_value[STORE_CTX_VALUE_SZ];
	int64_t sessions, invoices, tokens, permissions;
	int64_t last_ms;  /* its newest session update, token or grant */
} store_context_row;

/* The contexts, the most recently active first, from offset, at most
 * limit (caller frees *out). */
store_result store_contexts_list(store *st, size_t offset, size_t limit,
				 store_context_row **out, size_t *count,
				 ksef_error *err);

/* ---- fault injection (store_faults.c) ---- */

/* Replace the fault plan (its JSON text, already validated; NULL: none)
 * and forget the counts of the old one; its version goes up by one. */
store_result store_faults_set(store *st, const char *plan, ksef_error *err);
/* The plan in force: *version (0 before any was set) and its text in
 * *plan (malloc'd; NULL when there is none: free it). */
store_result store_faults_get(store *st, int64_t *version, char **plan,
			      ksef_error *err);
/* The plan's version alone, cheap enough to ask often; -1 on failure. */
int64_t store_faults_version(store *st);
/* Record that rule `rule` of plan `version` has fired `fired` times. */
store_result store_faults_count(store *st, int64_t version, const char *rule,
				int64_t fired, ksef_error *err);
/* How often each rule of plan `version` fired: calls fn for each rule
 * that has fired. */
store_result store_faults_counts(store *st, int64_t version,
				 void (*fn)(void *arg, const char *rule,
					    int64_t fired),
				 void *arg, ksef_error *err);

#endif
