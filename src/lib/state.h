/*
 * state.h - the saved-state text that auth.c (ksef_conn_export/resume) and
 * session.c (ksef_session_export/resume) write and read: versioned JSON,
 * bounded before it is parsed, every member checked, secrets wiped from
 * jansson's buffers before they are freed.
 */
#ifndef KSEF_STATE_H
#define KSEF_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "ksef/buf.h"
#include "ksef/client.h"
#include "ksef/error.h"

/* Longest base URL, context value or token a state may hold. */
#define KSEF__STATE_URL_MAX 2048
#define KSEF__STATE_CONTEXT_MAX 256
#define KSEF__STATE_TOKEN_MAX 16384

/*
 * Parse a state: len checked against max before a byte is read, JSON with
 * duplicates refused, an object whose "version" is `version` and whose
 * members are all named in `members` (NULL-terminated; "version" is
 * implied). *out is the caller's, to release with ksef__state_free().
 * Returns 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_EPARSE, KSEF_EFORMAT or
 * KSEF_ENOMEM; `what` names the state in messages ("connection state").
 */
int ksef__state_parse(json_t **out, const char *text, size_t len,
		      size_t max, int version, const char *const *members,
		      const char *what, ksef_error *err);

/* Wipe every string of v in place, then release it. NULL does nothing. */
void ksef__state_free(json_t *v);

/*
 * json_object_set_new() for a value that may hold a secret: it takes v
 * either way, but on failure (out of memory) v is wiped before it is
 * freed, which jansson would not do. NULL v fails. Returns 0 or -1.
 */
int ksef__state_set(json_t *obj, const char *key, json_t *v);

/*
 * Write v as compact JSON into out (replacing and wiping what it held),
 * refusing more than max bytes. The text is assembled in one allocation
 * of its exact size, so no copy of a secret is left behind by a realloc.
 */
int ksef__state_dump(ksef_buf *out, const json_t *v, size_t max,
		     const char *what, ksef_error *err);

/*
 * A string member of a parsed state: present (unless optional), a string
 * of 1 to max bytes of printable ASCII. *value borrows from obj (NULL for
 * an absent optional member). Returns 0 or KSEF_EFORMAT naming the member.
 */
int ksef__state_str(const char **value, const json_t *obj, const char *key,
		    size_t max, int optional, const char *what,
		    ksef_error *err);

/* A reference number member, checked with ksef_refnum_validate(). */
int ksef__state_refnum(const char **value, const json_t *obj,
		       const char *key, const char *what, ksef_error *err);

/* An RFC 3339 time member, as Unix ms (KSEF_TIME_UNSET for an absent
 * optional one). */
int ksef__state_time(int64_t *value, const json_t *obj, const char *key,
		     int optional, const char *what, ksef_error *err);

/*
 * A token member { "token": ..., "validUntil": ... }. *token borrows from
 * obj; NULL (and *until 0) for an absent or null optional member.
 */
int ksef__state_token(const char **token, int64_t *until, const json_t *obj,
		      const char *key, int optional, const char *what,
		      ksef_error *err);

/* The same as JSON: { "token", "validUntil" }, or NULL out of memory. */
json_t *ksef__state_token_json(const char *token, int64_t until);

/* An instant as the state writes it, or NULL out of memory. */
json_t *ksef__state_time_json(int64_t unix_ms);

/* The context type as the API names it ("Nip", ...) and back. */
const char *ksef__state_context_name(ksef_context_type type);
int ksef__state_context(ksef_context_type *out, const json_t *obj,
			const char *key, const char *what, ksef_error *err);

#endif
