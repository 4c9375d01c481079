/*
 * session_keys.h - the one owner of the AES keys of interactive sessions.
 *
 * A client sends its session key wrapped (RSA-OAEP) under one of the
 * server's keys (SPEC 6.2). This module unwraps it: when the session opens,
 * which decides whether it opens at all (100) or ends at once (415), and
 * again after a restart, from the wrapped key the store kept. It keeps each
 * unwrapped key while its session may still have invoices to decrypt,
 * decrypts under it, and wipes it (ksef_envelope_free() overwrites the key)
 * when the session ends or the server stops. No other module holds an
 * unwrapped session key.
 *
 * Threads: every function may be called from any thread. Decryption holds
 * the module's lock, so a key is never wiped under a running decryption
 * and one envelope is never used by two threads at once (AES of an
 * invoice takes microseconds).
 */
#ifndef KSEFD_SESSION_KEYS_H
#define KSEFD_SESSION_KEYS_H

#include "server.h"

typedef struct session_keys session_keys;

/*
 * Make an empty set of session keys.
 *
 * @param[out] out receives the set; free it with session_keys_free().
 * @param srv      the server whose keyring (srv->keyring, refreshed from
 *                 srv->store) unwraps the keys again after a restart;
 *                 borrowed for the set's life.
 * @param err      receives the reason on failure; may be NULL.
 * @return 0, or KSEF_ENOMEM.
 */
int session_keys_new(session_keys **out, struct server *srv,
		     ksef_error *err);

/* Wipe every key kept and free the set; NULL does nothing. */
void session_keys_free(session_keys *sk);

/*
 * Unwrap the key of a session being opened and keep it under s->ref.
 *
 * @param sk  the set.
 * @param s   the session: ref, wrapped_key and iv are read.
 * @param key the server key the client named (SymmetricKeyEncryption),
 *            borrowed under the keyring lock the caller holds.
 * @param err receives the reason on failure; may be NULL.
 * @return 0 when the key unwraps: the session opens (100). When it could
 *         not be kept (memory), it is unwrapped again at the first
 *         decryption. Otherwise the libksef code of the failed unwrapping
 *         (KSEF_ECRYPTO for a key that is not the server key's, KSEF_EINVAL,
 *         KSEF_EFORMAT, KSEF_ENOMEM): the session ends in 415, and nothing
 *         is kept.
 */
int session_keys_open(session_keys *sk, const store_session *s,
		      const ksef_privkey *key, ksef_error *err);

/*
 * Decrypt an invoice of session s under its key: the one kept or, when
 * none is (after a restart), the session's stored wrapped key unwrapped
 * again with server key s->key_id and kept from then on.
 *
 * @param sk    the set.
 * @param s     the session as stored: ref, key_id, wrapped_key and iv.
 * @param ct    the ciphertext.
 * @param len   its length.
 * @param[out] plain receives the plaintext (release it with
 *              ksef_buf_dispose_secure()); unchanged on failure.
 * @param err   receives the reason on failure; may be NULL.
 * @return 0, KSEF_ENOTFOUND when the server key s->key_id is gone,
 *         KSEF_ECRYPTO when the key does not unwrap or the ciphertext does
 *         not decrypt, or another code of libksef or the keyring.
 */
int session_keys_decrypt(session_keys *sk, const store_session *s,
			 const unsigned char *ct, size_t len, ksef_buf *plain,
			 ksef_error *err);

/* A decrypting stream under the session's key and IV (a batch part, too
 * large for session_keys_decrypt()), the key unwrapped again if need be
 * as there. Free it with ksef_envelope_stream_free(). */
int session_keys_stream(session_keys *sk, const store_session *s,
			ksef_envelope_stream **out, ksef_error *err);

/*
 * Wipe and forget a session's key: when the session has ended (nothing of
 * it is left to decrypt), or when its opening was not stored. Nothing
 * happens when no key of the session is kept.
 */
void session_keys_evict(session_keys *sk, const char *session_ref);

/* How many keys are kept now. */
size_t session_keys_count(session_keys *sk);

#endif
