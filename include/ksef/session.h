/*
 * session.h - the high-level client: a ksef_conn is one authentication to
 * one context, kept fresh for as long as it lives, and a ksef_session is
 * one interactive session opened through it (SPEC section 3). Together they
 * do what every caller of client.h would otherwise write by hand: pick the
 * KSeF keys, authenticate with a KSeF token or a XAdES signature, redeem,
 * refresh the access token before it expires, open a session with a fresh
 * key, send, close, wait with backoff, and fetch the UPOs.
 *
 * Ownership, stated once for the whole header:
 *
 *  - ksef_conn and ksef_session are opaque, made by ksef_conn_new() and
 *    ksef_session_open() and destroyed by their _free; _free(NULL) does
 *    nothing. A session borrows its connection: free every session before
 *    the connection it was opened through.
 *  - Strings and ksef_session_invoice entries a session hands out are
 *    borrowed from it until the next call on that session (which may add
 *    or update entries) or ksef_session_free().
 *  - Documents (UPOs) come back in a caller-owned ksef_buf.
 *  - The connection keeps a copy of a KSeF token, and the access and
 *    refresh tokens; ksef_conn_free() wipes them. A XAdES signer is
 *    borrowed, not copied: keep it until ksef_conn_free().
 *
 * Threads: a connection may be shared by any number of threads, each
 * driving its own sessions; token renewal and the key cache are behind
 * the connection's lock, so one thread renews while the others wait for
 * it. A session is used by one thread at a time. Each session talks over
 * its own ksef_client, so sessions never wait for each other's requests.
 * Call ksef_global_init() before starting threads.
 *
 * Errors: as in client.h. Calls that reach the API give its answer, for
 * the last call on a session, through ksef_session_last_error().
 */
#ifndef KSEF_SESSION_H
#define KSEF_SESSION_H

#include "common.h"
#include "buf.h"
#include "error.h"
#include "client.h"
#include "invoice.h"
#include "number.h"
#include "xades.h"

KSEF_BEGIN_DECLS

/*
 * Session status codes (SPEC 5.1, GET /sessions/{referenceNumber}). The
 * invoice status codes are invoice.h's KSEF_INVOICE_STATUS_*, described by
 * ksef_invoice_status_description().
 */
#define KSEF_SESSION_CODE_OPEN 100      /**< open: invoices may be sent */
#define KSEF_SESSION_CODE_CLOSED 170    /**< closed, still processing */
#define KSEF_SESSION_CODE_OK 200        /**< processed; UPO available */
#define KSEF_SESSION_CODE_DECRYPT 415   /**< the key could not be unwrapped */
#define KSEF_SESSION_CODE_CANCELLED 440 /**< no invoice was sent */
#define KSEF_SESSION_CODE_NO_VALID 445  /**< no invoice passed */

/**
 * The official description of an interactive session's status code (SPEC
 * 5.1), verbatim in Polish as the API writes it, e.g. 200 "Sesja
 * interaktywna przetworzona pomyślnie".
 *
 * @param code a status code.
 * @return a static UTF-8 string; NULL for a code the API does not define
 *         for interactive sessions.
 */
KSEF_API const char *ksef_session_status_description(int code);

/**
 * Whether a session status code is final: anything but 100 and 170.
 *
 * @param code a status code.
 * @return 1 or 0.
 */
KSEF_API int ksef_session_status_is_final(int code);

/*
 * The connection
 */

/** One authentication to one context, renewed as needed; opaque. */
typedef struct ksef_conn ksef_conn;

/**
 * The version of ksef_conn_options this header describes. The library
 * takes a struct of any version from 1 to its own, reading only the fields
 * that version has and leaving later ones at their defaults.
 */
#define KSEF_CONN_OPTIONS_VERSION 2

/**
 * Where to connect, as whom, and how patiently. Transparent: start from
 * KSEF_CONN_OPTIONS_INIT, point client at a ksef_client_options with its
 * base_url set, and set the context and exactly one credential.
 */
typedef struct ksef_conn_options {
	/** KSEF_CONN_OPTIONS_VERSION. */
	int version;
	/** How to reach the API: base URL, timeouts, retries, 429 waits.
	 *  Required, never NULL; a pointer, so that the client options can
	 *  grow by themselves. Copied (with the strings it points to) by
	 *  ksef_conn_new(); every session's client is made from the copy. */
	const ksef_client_options *client;
	/** The kind of context to authenticate to. */
	ksef_context_type context_type;
	/** Its identifier, e.g. a NIP; copied. Required. */
	const char *context_value;
	/** Credential one: a KSeF token (a SECRET, copied and wiped at
	 *  ksef_conn_free()), or NULL. */
	const char *ksef_token;
	/** Credential two: a certificate and key to sign AuthTokenRequest
	 *  with (SPEC 4.4), or NULL. Borrowed until ksef_conn_free(). */
	const ksef_xades_signer *signer;
	/** With a signer: how KSeF is to identify the signer. */
	ksef_xades_subject_type subject_type;
	/** Longest wait for one authentication to leave status 100, in ms;
	 *  1 to 3600000. */
	long auth_timeout_ms;
	/** Renew the access token this many seconds before its validUntil;
	 *  0 to 86400. A margin longer than the token's lifetime renews it
	 *  before every call. */
	long refresh_margin_s;
	/** First pause between two polls, in ms, doubled after each poll up
	 *  to poll_max_ms; 1 to 60000. */
	long poll_initial_ms;
	/** Longest pause between two polls, in ms; poll_initial_ms to
	 *  600000. */
	long poll_max_ms;
	/** Version 2. How many new sessions one ksef_session_send() may open
	 *  in turn when a send is refused with 21184 ("Sesja tymczasowo
	 *  niedostępna"), to continue there; 0 to
	 *  KSEF_SESSION_REOPENS_MAX. 0 turns the continuation off: the send
	 *  fails with the 21184 answer. */
	int max_session_reopens;
} ksef_conn_options;

/** Most new sessions one send may open after 21184 (max_session_reopens):
 *  each stays in KSeF for its 12 hours, so a server that refuses every
 *  session must not make a client open them without end. */
#define KSEF_SESSION_REOPENS_MAX 10

/** Defaults: two minutes to authenticate, renew a minute before expiry,
 *  polls from 0.25 s to 5 s apart, up to 3 new sessions after 21184. */
#define KSEF_CONN_OPTIONS_INIT                                            \
	{ KSEF_CONN_OPTIONS_VERSION, NULL, KSEF_CONTEXT_NIP, NULL, NULL, NULL, \
	  KSEF_XADES_SUBJECT_CERTIFICATE, 120000, 60, 250, 5000, 3 }

/**
 * Authenticate and return the connection: fetch the KSeF keys, get a
 * challenge, answer it with the KSeF token (RSA-OAEP under the
 * KsefTokenEncryption key with the latest validFrom) or with a signed
 * AuthTokenRequest, poll GET /auth/{referenceNumber} with backoff until
 * its status leaves 100, and redeem the tokens. When POST /auth/ksef-token
 * answers 21470 (a withdrawn key) the keys are fetched again and the
 * authentication retried once.
 *
 * Later, before any call that needs it, the access token is refreshed
 * when it is within refresh_margin_s of its validUntil, and also when a
 * call gets 401; when the refresh token has expired or is refused (21301:
 * the authentication was revoked), the connection authenticates from
 * scratch with the same credential.
 *
 * @param[out] out  receives the connection; free it with ksef_conn_free()
 *                  after its sessions. NULL on failure.
 * @param opts      the options; copied, except the signer.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL (a NULL argument or client, a version outside 1
 *         to KSEF_CONN_OPTIONS_VERSION, or of the client options outside
 *         1 to KSEF_CLIENT_OPTIONS_VERSION,
 *         no context, none or both credentials, a field out of range, or
 *         an invalid client option), KSEF_EHTTP (an error answer, or an
 *         authentication that ended with a failure status: the message
 *         gives its code, description and details), KSEF_ENETWORK
 *         (also when the authentication is still in progress after
 *         auth_timeout_ms),
 *         KSEF_ERATELIMIT, KSEF_ENOTFOUND (the server lists no current key
 *         for a usage), KSEF_ECRYPTO, KSEF_EFORMAT (with a signer: a
 *         context value the AuthTokenRequest schema refuses), KSEF_EPARSE
 *         or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_conn_new(ksef_conn **out,
	const ksef_conn_options *opts, ksef_error *err);

/**
 * Make a connection as ksef_conn_new() does, but without authenticating
 * yet: it authenticates at its first use (ksef_conn_refresh(), a session,
 * a download). For a caller that must tell why a login failed: the
 * connection outlives the failure, so ksef_conn_auth_status() and
 * ksef_conn_last_error() can be read afterwards. Nothing is sent.
 *
 * @param[out] out  receives the connection; free it with ksef_conn_free().
 *                  NULL on failure.
 * @param opts      as for ksef_conn_new().
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL as for ksef_conn_new(), or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_conn_prepare(ksef_conn **out,
	const ksef_conn_options *opts, ksef_error *err);

/**
 * The server's error answer to the connection's last authentication,
 * refresh, revocation or key request, or to a ksef_session_open() that it
 * made fail (not to the calls of an open session: see
 * ksef_session_last_error()). Read it from the thread whose call failed,
 * while no other thread uses the connection.
 *
 * @param c the connection.
 * @return as ksef_client_last_error(), borrowed until the next call that
 *         uses c or ksef_conn_free(); NULL if that request did not end with
 *         an error answer.
 */
KSEF_API const ksef_api_error *ksef_conn_last_error(const ksef_conn *c);

/**
 * Destroy a connection, wiping the tokens it holds. Nothing is sent: the
 * authentication stays valid until its refresh token expires; call
 * ksef_conn_revoke() first to end it.
 *
 * @param c the connection; NULL does nothing. No session may use it any
 *          more.
 */
KSEF_API void ksef_conn_free(ksef_conn *c);

/**
 * Get a new access token now, as is otherwise done shortly before it
 * expires: with the refresh token, or by authenticating from scratch when
 * there is none or it is refused. The new token reflects the context's
 * current permissions (SPEC 4.7).
 *
 * @param c    the connection.
 * @param err  receives the reason on failure; may be NULL.
 * @return 0, or a code as for ksef_conn_new(). A connection resumed
 *         without credentials (ksef_conn_resume()) cannot authenticate
 *         from scratch: it returns KSEF_EHTTP when the server refuses the
 *         refresh token (a 4xx answer), and KSEF_ENOTFOUND when it has no
 *         refresh token left or the one it has expired.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_conn_refresh(ksef_conn *c,
	ksef_error *err);

/**
 * End the authentication (DELETE /auth/sessions/current): its refresh
 * token stops working, while the access token stays valid until it
 * expires (SPEC 10). The connection forgets the refresh token, so its next
 * renewal authenticates from scratch.
 *
 * @param c    the connection.
 * @param err  receives the reason on failure; may be NULL.
 * @return 0, or a code as for ksef_conn_new().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_conn_revoke(ksef_conn *c,
	ksef_error *err);

/**
 * The reference number (type AU) of the connection's current
 * authentication, e.g. to find it in GET /auth/sessions.
 *
 * @param[out] out receives the number and a NUL.
 * @param c        the connection.
 * @return 0, or KSEF_EINVAL for a NULL argument.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_conn_auth_reference(
	char out[KSEF_REFNUM_BUFSZ], ksef_conn *c);

/**
 * The final status code of the connection's last authentication attempt
 * (SPEC 4.5): 200 once authenticated; e.g. 450 when a later renewal from
 * scratch failed because the KSeF token was revoked meanwhile.
 *
 * @param c the connection.
 * @return the code, or 0 if no attempt got that far.
 */
KSEF_API int ksef_conn_auth_status(ksef_conn *c);

/**
 * How many times the connection authenticated from scratch (1 after
 * ksef_conn_new()) and how many times it refreshed the access token.
 *
 * @param[out] authentications receives the first count; may be NULL.
 * @param[out] refreshes       receives the second; may be NULL.
 * @param c                    the connection.
 */
KSEF_API void ksef_conn_counters(unsigned long *authentications,
	unsigned long *refreshes, ksef_conn *c);

/*
 * Saving a connection and resuming it
 *
 * A program that runs once per step (a command-line tool) keeps its login
 * between runs by exporting the connection's state and resuming it in the
 * next run, instead of authenticating every time. The state is a versioned
 * JSON object:
 *
 *   { "version": 1, "baseUrl": URL, "contextType": "Nip",
 *     "contextValue": "5265877635", "authReferenceNumber": AU-REF,
 *     "accessToken": { "token": JWT, "validUntil": RFC 3339 },
 *     "refreshToken": { "token": JWT, "validUntil": RFC 3339 } }
 *
 * refreshToken is left out after ksef_conn_revoke(). The text holds the
 * tokens, so it is a SECRET: keep it in a file only its owner can read,
 * and release the buffer with ksef_buf_dispose_secure().
 */

/** The version of the state ksef_conn_export() writes and the only one
 *  ksef_conn_resume() reads. */
#define KSEF_CONN_STATE_VERSION 1

/** The longest connection state read, in bytes: two JWTs of a few
 *  kilobytes each and their context fit many times over. */
#define KSEF_CONN_STATE_MAX_BYTES 65536

/**
 * Write the connection's state: its server and context, the reference
 * number of its authentication, and the access and refresh tokens with
 * their validUntil. Nothing is sent. Thread-safe.
 *
 * @param[out] out  receives the JSON text (no NUL counted in size, one
 *                  after it), replacing what it held; a SECRET: release it
 *                  with ksef_buf_dispose_secure(). Unchanged on failure.
 * @param c         the connection.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL argument or a connection that has not
 *         logged in yet (ksef_conn_prepare()), KSEF_ETOOBIG if the text
 *         would pass KSEF_CONN_STATE_MAX_BYTES, or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_conn_export(ksef_buf *out, ksef_conn *c,
	ksef_error *err);

/**
 * Make a connection from a state ksef_conn_export() wrote, without
 * contacting the server: it goes on with the saved tokens, refreshing the
 * access token as ksef_conn_new() describes.
 *
 * The state is checked strictly: valid JSON of at most
 * KSEF_CONN_STATE_MAX_BYTES, version KSEF_CONN_STATE_VERSION, no member
 * but those listed above, each of its type, reference numbers with their
 * check values, times in RFC 3339.
 *
 * Credentials are optional here. With one (a KSeF token or a signer), the
 * connection authenticates from scratch when the refresh token has expired
 * or is refused, as one from ksef_conn_new() does. With none, it cannot:
 * the renewal that would need it fails instead (see the return codes of
 * ksef_conn_refresh()), and the caller logs in anew.
 *
 * @param[out] out  receives the connection; free it with ksef_conn_free().
 *                  NULL on failure.
 * @param opts      as for ksef_conn_new(), or NULL for the defaults;
 *                  copied, except the signer. client.base_url and
 *                  context_value may be NULL to take them from the state;
 *                  when given, they must be the state's (the same bytes),
 *                  so that tokens never go to another server or context.
 * @param state     the text; it need not end in a NUL; the caller keeps
 *                  (and wipes) it.
 * @param len       its length in bytes.
 * @param err       receives the reason on failure; may be NULL. The
 *                  message names the member at fault, never a token.
 * @return 0, KSEF_EINVAL (a NULL argument, an invalid option, both
 *         credentials, or a state of another server or context),
 *         KSEF_ETOOBIG (len is 0 or over KSEF_CONN_STATE_MAX_BYTES),
 *         KSEF_EPARSE (not JSON, or a duplicate member), KSEF_EFORMAT (an
 *         unknown version, an unknown, missing or mistyped member, a bad
 *         reference number or time), or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_conn_resume(ksef_conn **out,
	const ksef_conn_options *opts, const char *state, size_t len,
	ksef_error *err);

/**
 * When the connection's tokens expire, as the server said: for showing,
 * or for telling that a login without credentials is over.
 *
 * @param[out] access_until_ms  receives the access token's validUntil in
 *                              Unix milliseconds; may be NULL.
 * @param[out] refresh_until_ms receives the refresh token's, or 0 when the
 *                              connection has none any more (after
 *                              ksef_conn_revoke() or a refusal); may be
 *                              NULL.
 * @param c                     the connection; NULL gives 0 and 0.
 */
KSEF_API void ksef_conn_token_expiry(int64_t *access_until_ms,
	int64_t *refresh_until_ms, ksef_conn *c);

/**
 * The base URL the connection talks to, e.g. "https://api-test.ksef.mf.
 * gov.pl/v2".
 *
 * @param c the connection.
 * @return a string borrowed from c until ksef_conn_free(), or NULL if c
 *         is NULL.
 */
KSEF_API const char *ksef_conn_base_url(const ksef_conn *c);

/**
 * The context the connection is authenticated to.
 *
 * @param[out] type_out receives its type; may be NULL.
 * @param c             the connection.
 * @return its identifier, e.g. a NIP, borrowed from c until
 *         ksef_conn_free(); NULL if c is NULL.
 */
KSEF_API const char *ksef_conn_context(ksef_context_type *type_out,
	const ksef_conn *c);

/**
 * Give a caller's client the connection's current access token, renewing
 * it first when it is within refresh_margin_s of its end or was refused:
 * for the endpoints a ksef_session does not wrap (session status and
 * lists, UPOs of any session, invoice downloads). The client does not
 * renew the token by itself: call this before each group of calls, and
 * after a 401 call ksef_conn_refresh() and then this again.
 *
 * @param client  a client of the same server (made with ksef_client_new()
 *                from the same base URL); its access token is replaced.
 * @param c       the connection.
 * @param err     receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL argument, or a code as for
 *         ksef_conn_refresh().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_conn_authorize(ksef_client *client,
	ksef_conn *c, ksef_error *err);

/*
 * Sessions
 */

/** One interactive session; opaque. */
/**
 * GET /invoices/ksef/{ksefNumber} with the connection's access token
 * (renewed when needed): an accepted invoice's exact bytes, x-ms-meta-hash
 * checked. Needs InvoiceRead in the context. Thread-safe.
 *
 * @param[out] out      receives the document; release it with
 *                      ksef_buf_dispose().
 * @param c             the connection.
 * @param ksef_number   the invoice's KSeF number.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0, or what ksef_client_invoice_download() returns.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_conn_invoice_download(ksef_buf *out,
	ksef_conn *c, const char *ksef_number, ksef_error *err);

typedef struct ksef_session ksef_session;

/**
 * What a session knows about one invoice sent through it. Read-only and
 * borrowed (see the top of this header). Any string may be NULL until the
 * server has said it.
 *
 * The invoice is in KSeF when status is 200 (ksef_number says under which
 * number) or when status is 440 with duplicate_of set: an earlier send of
 * the same invoice was accepted under that number, in duplicate_session.
 * A caller reconciling a resend treats the second like the first.
 *
 * Read through the pointer only; fields may be added at the end. Never
 * allocate, copy or embed one.
 */
typedef struct ksef_session_invoice {
	/** The invoice's reference number (type EE). */
	const char *reference_number;
	/** invoiceHash: Base64(SHA-256) of the invoice as sent. */
	const char *invoice_hash;
	/** The status code (KSEF_INVOICE_STATUS_*): 100 after sending, then
	 *  150, then final (200 or 4xx/5xx). */
	int status;
	/** The status description the server sent. */
	const char *description;
	/** The status details, joined with "; ", or NULL. */
	const char *details;
	/** The KSeF number, once status is 200. */
	const char *ksef_number;
	/** P_2 as the server read it. */
	const char *invoice_number;
	/** With status 440: extensions.originalKsefNumber, the number the
	 *  invoice was already accepted under. */
	const char *duplicate_of;
	/** With status 440: extensions.originalSessionReferenceNumber. */
	const char *duplicate_session;
	/** 1 when sending found the invoice already in the session (after
	 *  an ambiguous failure) instead of sending it again, else 0. */
	int reconciled;
	/** The session (type SO) the invoice was sent into: for a
	 *  ksef_session, one of its parts (ksef_session_part_reference()),
	 *  which is not the current one for an invoice sent before a
	 *  continuation after 21184; for a batch, the batch session. */
	const char *session_reference;
} ksef_session_invoice;

/**
 * POST /sessions/online: open an interactive session for one form, with a
 * fresh AES key and IV wrapped under the SymmetricKeyEncryption key with
 * the latest validFrom. On 21470 the keys are fetched again and the open
 * retried once.
 *
 * @param[out] out  receives the session; free it with ksef_session_free().
 *                  NULL on failure.
 * @param conn      the connection; borrowed until ksef_session_free().
 * @param form      the form of every invoice to be sent.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, or a code as for ksef_conn_new(). After KSEF_EHTTP or
 *         KSEF_ERATELIMIT, ksef_conn_last_error(conn) gives the server's
 *         answer (to the open, or to the renewal that preceded it).
 */
KSEF_API KSEF_WARN_UNUSED int ksef_session_open(ksef_session **out,
	ksef_conn *conn, ksef_form form, ksef_error *err);

/**
 * Destroy a session object, wiping its key. Nothing is sent: close the
 * session first, or KSeF closes it by itself at its validUntil.
 *
 * @param s the session; NULL does nothing.
 */
KSEF_API void ksef_session_free(ksef_session *s);

/**
 * The session's reference number (type SO).
 *
 * @param s the session.
 * @return a string borrowed from s, or NULL if s is NULL.
 */
KSEF_API const char *ksef_session_reference(const ksef_session *s);

/**
 * The form the session was opened for: every invoice sent through it must
 * be of this form.
 *
 * @param s the session.
 * @return the form, or KSEF_FORM_COUNT if s is NULL.
 */
KSEF_API ksef_form ksef_session_form(const ksef_session *s);

/**
 * When KSeF closes the session by itself (validUntil of the open answer).
 *
 * @param s the session.
 * @return Unix milliseconds, or KSEF_TIME_UNSET if s is NULL or the
 *         server did not say.
 */
KSEF_API int64_t ksef_session_valid_until(const ksef_session *s);

/**
 * Encrypt one invoice with the session's key and send it with its hashes
 * and sizes (POST /sessions/online/{referenceNumber}/invoices).
 *
 * An invoice is never sent twice blindly. When the send fails so that the
 * server may have taken it all the same (a timeout, a dropped connection,
 * a 5xx, an unreadable 2xx answer), the session's invoices are listed
 * (GET /sessions/{referenceNumber}/invoices, every page) and one with the
 * same invoiceHash is taken as this one: its number is returned and the
 * entry is marked reconciled. Only when none is there is the invoice sent
 * once more; if that send fails too, the error is returned. Should both
 * sends have got through after all, the second ends as 440 and names the
 * first in duplicate_of.
 *
 * A send refused with 21184, "Sesja tymczasowo niedostępna" (KSeF's
 * maintenance: a 400, so the invoice was not taken), continues in a new
 * session: one is opened for the same form with a fresh key, the old one
 * is closed (when KSeF refuses that, it is left to close by itself at its
 * validUntil), and the invoice is sent into the new one, as are those
 * that follow. ksef_session_reference() then names the new session, and
 * ksef_session_part_count() has grown by one; ksef_session_wait() and the
 * UPO calls cover every part. At most max_session_reopens
 * (ksef_conn_options) new sessions are opened in one call; past that, or
 * with 0, the call fails with KSEF_EHTTP, the message names the 21184,
 * and ksef_session_last_error() holds the answer.
 *
 * @param[out] ref_out  receives the invoice's reference number and a NUL;
 *                      unchanged on failure.
 * @param s             the session, open.
 * @param xml           the invoice exactly as it is to be stored.
 * @param len           its length, 1 to KSEF_INVOICE_MAX_BYTES.
 * @param opts          offline mode and correction, or NULL for neither.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL (also after ksef_session_close()), KSEF_ETOOBIG
 *         (a continuation past KSEF_SESSION_PARTS_MAX parts), a code as
 *         for ksef_session_open() (opening the new session failed; the
 *         object stays in the old one), or a code as for
 *         ksef_client_invoice_send().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_session_send(
	char ref_out[KSEF_REFNUM_BUFSZ], ksef_session *s,
	const unsigned char *xml, size_t len,
	const ksef_client_send_options *opts, ksef_error *err);

/**
 * The reconciling send on its own, for a caller whose own earlier attempt
 * to send this invoice in this session ended ambiguously: first look for
 * an invoice with the same invoiceHash among the session's invoices, and
 * send only when there is none. Safe to repeat: the invoice ends up in the
 * session once. A 21184 continues in a new session as for
 * ksef_session_send().
 *
 * @param[out] ref_out   receives the reference number of the invoice found
 *                       or sent, and a NUL; unchanged on failure.
 * @param[out] found_out receives 1 if it was found, 0 if it was sent; may
 *                       be NULL.
 * @param s              the session, open.
 * @param xml            the invoice, byte for byte as first sent.
 * @param len            its length, 1 to KSEF_INVOICE_MAX_BYTES.
 * @param opts           as for ksef_session_send().
 * @param err            receives the reason on failure; may be NULL.
 * @return as ksef_session_send().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_session_send_or_find(
	char ref_out[KSEF_REFNUM_BUFSZ], int *found_out, ksef_session *s,
	const unsigned char *xml, size_t len,
	const ksef_client_send_options *opts, ksef_error *err);

/**
 * POST /sessions/online/{referenceNumber}/close, of the current part. No
 * invoice can be sent afterwards; the server verifies the rest and makes
 * the UPO. A part left after 21184 that KSeF refused to close then is
 * asked once more; a second refusal is not an error (the part stays
 * KSEF_SESSION_CODE_OPEN, and KSeF closes it at its validUntil).
 *
 * @param s    the session.
 * @param err  receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL if it is closed already, or a code as for
 *         ksef_conn_new().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_session_close(ksef_session *s,
	ksef_error *err);

/**
 * Wait until every invoice sent through this object has a final status
 * and, once the session is closed, until the session has one too,
 * polling with the connection's backoff (poll_initial_ms doubling to
 * poll_max_ms). Invoices are polled all at once through the session's
 * invoice list. Read the outcome with ksef_session_invoice_at() and
 * ksef_session_status(). After a continuation (21184) every part is
 * waited for: its invoices, and its status if it was closed.
 *
 * @param s           the session.
 * @param timeout_ms  the longest wait in all, in ms; at least 1.
 * @param err         receives the reason on failure; may be NULL.
 * @return 0 when everything is final, whether accepted or rejected;
 *         KSEF_ENETWORK when the time ran out (the message says what is
 *         still in progress; what is known so far can be read, and a later
 *         call waits on), or a code as for ksef_conn_new().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_session_wait(ksef_session *s,
	long timeout_ms, ksef_error *err);

/**
 * How many invoices were sent through this object.
 *
 * @param s the session.
 * @return the count, or 0 if s is NULL.
 */
KSEF_API size_t ksef_session_invoice_count(const ksef_session *s);

/**
 * One invoice sent through this object, in the order of sending.
 *
 * @param s the session.
 * @param i from 0 to ksef_session_invoice_count() - 1.
 * @return an entry borrowed from s (see the top of this header), or NULL
 *         past the end.
 */
KSEF_API const ksef_session_invoice *ksef_session_invoice_at(
	const ksef_session *s, size_t i);

/**
 * The session's status code as last seen: KSEF_SESSION_CODE_OPEN after
 * opening, the server's code after ksef_session_wait().
 *
 * @param s the session.
 * @return the code, or 0 if s is NULL.
 */
KSEF_API int ksef_session_status(const ksef_session *s);

/**
 * GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo:
 * one accepted invoice's UPO, its x-ms-meta-hash checked. It is asked of
 * the part the invoice was sent into (its session_reference), or of the
 * current part for an invoice this object did not send.
 *
 * @param[out] out      receives the XML, replacing what it held; unchanged
 *                      on failure.
 * @param s             the session.
 * @param invoice_ref   the invoice's reference number.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0, or a code as for ksef_client_upo_by_invoice_ref().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_session_invoice_upo(ksef_buf *out,
	ksef_session *s, const char *invoice_ref, ksef_error *err);

/**
 * How many pages the session's collective UPO has: 0 until
 * ksef_session_wait() has seen the session end with 200.
 *
 * @param s the session.
 * @return the count, or 0 if s is NULL.
 */
KSEF_API size_t ksef_session_upo_page_count(const ksef_session *s);

/**
 * GET /sessions/{referenceNumber}/upo/{upoReferenceNumber}: one page of
 * the session's UPO, its x-ms-meta-hash checked.
 *
 * @param[out] out  receives the XML, replacing what it held; unchanged on
 *                  failure.
 * @param s         the session.
 * @param page      from 0 to ksef_session_upo_page_count() - 1.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a page past the end, or a code as for
 *         ksef_client_upo_session_page().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_session_upo(ksef_buf *out,
	ksef_session *s, size_t page, ksef_error *err);

/*
 * Parts: the sessions of one ksef_session
 *
 * A ksef_session starts as one KSeF session and gains another each time a
 * send continues after 21184 (see ksef_session_send()). These are its
 * parts, in the order they were opened: part 0 is the session
 * ksef_session_open() opened, the last is the current one, which
 * ksef_session_reference(), ksef_session_status(), ksef_session_close(),
 * ksef_session_upo_page_count() and ksef_session_upo() are about. Each
 * invoice's session_reference says which part it went into.
 */

/** Most parts one ksef_session may have: one open and 99 continuations
 *  after 21184, far more than maintenance windows in a session's 12
 *  hours; a server refusing so often is broken. */
#define KSEF_SESSION_PARTS_MAX 100

/**
 * How many KSeF sessions this object has sent into.
 *
 * @param s the session.
 * @return 1 plus the continuations after 21184, or 0 if s is NULL.
 */
KSEF_API size_t ksef_session_part_count(const ksef_session *s);

/**
 * One part's reference number (type SO).
 *
 * @param s    the session.
 * @param part from 0 to ksef_session_part_count() - 1.
 * @return a string borrowed from s, or NULL past the end.
 */
KSEF_API const char *ksef_session_part_reference(const ksef_session *s,
	size_t part);

/**
 * One part's status code as last seen (as ksef_session_status() for the
 * current one): an earlier part is KSEF_SESSION_CODE_CLOSED once closed
 * when the object left it, and final after ksef_session_wait(); it stays
 * KSEF_SESSION_CODE_OPEN if KSeF refused that close and the one
 * ksef_session_close() tries again (KSeF closes it at its validUntil).
 *
 * @param s    the session.
 * @param part from 0 to ksef_session_part_count() - 1.
 * @return the code, or 0 past the end.
 */
KSEF_API int ksef_session_part_status(const ksef_session *s, size_t part);

/**
 * How many pages one part's collective UPO has: 0 until
 * ksef_session_wait() has seen that part end with 200.
 *
 * @param s    the session.
 * @param part from 0 to ksef_session_part_count() - 1.
 * @return the count, or 0 past the end.
 */
KSEF_API size_t ksef_session_part_upo_page_count(const ksef_session *s,
	size_t part);

/**
 * One page of one part's UPO, as ksef_session_upo() is for the current
 * part.
 *
 * @param[out] out  receives the XML, replacing what it held; unchanged on
 *                  failure.
 * @param s         the session.
 * @param part      from 0 to ksef_session_part_count() - 1.
 * @param page      from 0 to ksef_session_part_upo_page_count() - 1.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a part or page past the end, or a code as
 *         for ksef_client_upo_session_page().
 */
KSEF_API KSEF_WARN_UNUSED int ksef_session_part_upo(ksef_buf *out,
	ksef_session *s, size_t part, size_t page, ksef_error *err);

/*
 * Saving a session and resuming it
 *
 * A session can outlive the process that opened it: export it, and resume
 * it later through a connection to the same server and context (resumed
 * itself with ksef_conn_resume(), say). The state is a versioned JSON
 * object:
 *
 *   { "version": 1, "baseUrl": URL, "contextType": "Nip",
 *     "contextValue": "5265877635", "referenceNumber": SO-REF,
 *     "formCode": "FA (3)", "key": BASE64, "iv": BASE64,
 *     "validUntil": RFC 3339, "closed": false,
 *     "invoices": [ { "referenceNumber": EE-REF,
 *                     "invoiceHash": BASE64 }, ... ] }
 *
 * validUntil is left out when the server did not give it. The invoices are
 * those sent through the session object into its current part (see
 * "Parts" above: the state is of the current session alone), in the order
 * of sending, so that ksef_session_wait() after a resume waits for them
 * too. The AES key and
 * IV are in it: anyone who has them can read the session's invoices in
 * transit, so the text is a SECRET; release the buffer with
 * ksef_buf_dispose_secure().
 */

/** The version of the state ksef_session_export() writes and the only one
 *  ksef_session_resume() reads. */
#define KSEF_SESSION_STATE_VERSION 1

/** Most invoices a session state lists: the most one session may hold
 *  (limity/limity.md: 10 000 invoices in an interactive session). */
#define KSEF_SESSION_STATE_MAX_INVOICES 10000

/** The longest session state read, in bytes: the most invoices at about
 *  a hundred bytes each, with room to spare. */
#define KSEF_SESSION_STATE_MAX_BYTES 2097152

/**
 * Write the session's state: its reference number, form, key and IV,
 * validUntil, whether it is closed, and the invoices sent through it.
 * Nothing is sent.
 *
 * @param[out] out  receives the JSON text, replacing what it held; a
 *                  SECRET: release it with ksef_buf_dispose_secure().
 *                  Unchanged on failure.
 * @param s         the session.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL argument, KSEF_ETOOBIG if the session
 *         holds more than KSEF_SESSION_STATE_MAX_INVOICES invoices, or
 *         KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_session_export(ksef_buf *out,
	ksef_session *s, ksef_error *err);

/**
 * Make a session object from a state ksef_session_export() wrote, without
 * contacting the server: invoices can be sent with the saved key (unless
 * the state says closed), and the session closed, waited for and its UPOs
 * fetched. Its invoices start from status 100 until ksef_session_wait()
 * asks again.
 *
 * The state is checked as strictly as ksef_conn_resume() checks its own:
 * at most KSEF_SESSION_STATE_MAX_BYTES, version
 * KSEF_SESSION_STATE_VERSION, known members only, a key of
 * KSEF_AES_KEY_LEN and an IV of KSEF_AES_IV_LEN bytes, at most
 * KSEF_SESSION_STATE_MAX_INVOICES invoices.
 *
 * @param[out] out  receives the session; free it with ksef_session_free()
 *                  before the connection. NULL on failure.
 * @param conn      the connection, of the state's server and context;
 *                  borrowed until ksef_session_free().
 * @param state     the text; it need not end in a NUL; the caller keeps
 *                  (and wipes) it.
 * @param len       its length in bytes.
 * @param err       receives the reason on failure; may be NULL. The
 *                  message never contains the key.
 * @return 0, KSEF_EINVAL (a NULL argument, or a state of another server or
 *         context than conn's), KSEF_ETOOBIG (len is 0 or over the
 *         limit, or too many invoices), KSEF_EPARSE (not JSON),
 *         KSEF_EFORMAT (an unknown version; an unknown, missing or
 *         mistyped member; a bad reference number, form code, key, IV,
 *         hash or time), or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_session_resume(ksef_session **out,
	ksef_conn *conn, const char *state, size_t len, ksef_error *err);

/**
 * The server's error answer to the last call made through the session.
 *
 * @param s the session.
 * @return as ksef_client_last_error(), borrowed until the next call on s.
 */
KSEF_API const ksef_api_error *ksef_session_last_error(
	const ksef_session *s);

KSEF_END_DECLS

#endif
