/*
 * ratelimit.h - request-rate limits (SPEC 2.5, 11.3; limity/limity-api.md):
 * per group of endpoints and per key, sliding windows of the last second,
 * minute and hour, all three at once; the first one exceeded answers 429
 * with a Retry-After, and the block grows with repeated violations.
 *
 * The key is what the SPEC counts by: "{context}|{ip}" for endpoints
 * behind a token (context = the ContextIdentifier of the authentication),
 * the client IP alone for the others. The caller builds it, and adds the
 * endpoint to it where each endpoint has a counter of its own (the group
 * "other").
 *
 * The limits of a check are the limiter's own for the group (the server's
 * default profile, applied only while the limiter is enabled), or limits
 * the caller passes for one check (a context's own, from the test data,
 * applied whatever the switch says).
 *
 * Time is always passed in, never read here, so the answers depend on the
 * arguments alone.
 *
 * Threads: every function may be called from any thread at any time; one
 * mutex guards the state, held for a constant-time update per check.
 */
#ifndef KSEFD_RATELIMIT_H
#define KSEFD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include "ksef/error.h"

/** Longest key ratelimit_check() takes, in bytes without the NUL. */
#define RATELIMIT_KEY_MAX 255

/** Most keys remembered by default; see ratelimit_set_max_keys(). */
#define RATELIMIT_DEFAULT_MAX_KEYS 100000

/** Highest limit one window may have (requests per window). */
#define RATELIMIT_LIMIT_MAX 100000

/** Room for ratelimit_message()'s text with its NUL. */
#define RATELIMIT_MESSAGE_BUFSZ 128

/**
 * The longest block, in ms. limity-api.md: "Wielokrotne przekroczenia mogą
 * skutkować znacznym wydłużeniem blokady" without a figure; an hour is the
 * longest window, so a block never outlasts what the windows can see.
 */
#define RATELIMIT_BLOCK_MAX_MS 3600000

/**
 * How long a key's violations count towards its next block's length, in
 * ms from the end of its last block: a key that keeps to its limits for an
 * hour after a block starts again from one strike.
 */
#define RATELIMIT_STRIKE_MEMORY_MS 3600000

/** Most strikes a key counts; past them a block stops doubling (a wait of
 *  110 ms or more reaches RATELIMIT_BLOCK_MAX_MS first). */
#define RATELIMIT_STRIKES_MAX 16

/**
 * The counters of SPEC 2.5, with the names GET /rate-limits and
 * POST /testdata/rate-limits use. Each has its own counters: calls in one
 * group never use up another's.
 */
typedef enum ratelimit_group {
	RATELIMIT_UNAUTHENTICATED = 0, /**< endpoints without a token, per
					    IP: 60 per second only */
	RATELIMIT_ONLINE_SESSION,      /**< onlineSession 10/30/120 */
	RATELIMIT_BATCH_SESSION,       /**< batchSession 10/20/60 */
	RATELIMIT_INVOICE_SEND,        /**< invoiceSend 10/30/180 */
	RATELIMIT_INVOICE_STATUS,      /**< invoiceStatus 30/120/1200 */
	RATELIMIT_SESSION_LIST,        /**< sessionList 5/10/60 */
	RATELIMIT_SESSION_INVOICE_LIST, /**< sessionInvoiceList 10/20/200 */
	RATELIMIT_SESSION_MISC,        /**< sessionMisc 10/120/1200 */
	RATELIMIT_INVOICE_METADATA,    /**< invoiceMetadata 8/16/20 */
	RATELIMIT_INVOICE_EXPORT,      /**< invoiceExport 8/16/20 */
	RATELIMIT_INVOICE_EXPORT_STATUS, /**< invoiceExportStatus 10/60/600 */
	RATELIMIT_INVOICE_DOWNLOAD,    /**< invoiceDownload 8/16/64 */
	RATELIMIT_OTHER,               /**< other 10/30/120 */
	RATELIMIT_GROUP_COUNT
} ratelimit_group;

/** The three windows, shortest first. */
typedef enum ratelimit_window {
	RATELIMIT_SECOND = 0, /**< the last 1 s */
	RATELIMIT_MINUTE,     /**< the last 60 s */
	RATELIMIT_HOUR,       /**< the last 3600 s */
	RATELIMIT_WINDOW_COUNT
} ratelimit_window;

/** A group's limits; 0 means that window is not limited. */
typedef struct ratelimit_limits {
	int per_second;
	int per_minute;
	int per_hour;
} ratelimit_limits;

/** Why a request was refused: for Retry-After and the 429 body. */
typedef struct ratelimit_block {
	int retry_after_s;        /**< whole seconds, at least 1 */
	ratelimit_window window;  /**< the window that was full */
	int limit;                /**< that window's limit */
	int strikes;              /**< the key's violations still
				       remembered, the one that set the
				       block included (1: the first) */
} ratelimit_block;

/** The limiter; opaque. */
typedef struct ratelimit ratelimit;

/**
 * Make a limiter with the production limits (SPEC 13 #9). Memory for the
 * counters is taken at the first check made while enabled.
 *
 * @param[out] out  receives the limiter; free it with ratelimit_free().
 *                  Set to NULL on failure.
 * @param enabled   0: every request is allowed and nothing is counted
 *                  (the default of ksefd); non-zero: limits apply.
 * @return 0, KSEF_EINVAL if out is NULL, or KSEF_ENOMEM.
 */
int ratelimit_new(ratelimit **out, int enabled);

/**
 * Destroy a limiter. No other thread may be using it.
 *
 * @param rl the limiter; NULL does nothing.
 */
void ratelimit_free(ratelimit *rl);

/**
 * Switch limiting on or off. Counts made while on are kept while off, but
 * nothing is counted while off.
 *
 * @param rl      the limiter.
 * @param enabled 0 or non-zero.
 */
void ratelimit_set_enabled(ratelimit *rl, int enabled);

/**
 * Bound the number of keys remembered. When a new key would pass the
 * bound, the key used least recently is forgotten, whatever it held (its
 * block and strikes too); keys idle for an hour whose strikes no longer
 * count hold nothing and are dropped as checks go by. Each key
 * keeps at most as many timestamps as the largest limit of its group
 * (1200 for sessionMisc: 9.6 kB), so memory stays below about
 * max_keys * 10 kB.
 *
 * @param rl       the limiter.
 * @param max_keys at least 1; 0 restores RATELIMIT_DEFAULT_MAX_KEYS.
 */
void ratelimit_set_max_keys(ratelimit *rl, size_t max_keys);

/**
 * How many keys the limiter remembers now, for tests and metrics.
 *
 * @param rl the limiter; NULL gives 0.
 * @return the number of keys.
 */
size_t ratelimit_key_count(ratelimit *rl);

/**
 * Count one request and say whether it may proceed, under the group's
 * limits of the limiter (nothing is limited while it is disabled).
 *
 * A request that finds a window full is a violation (a strike): it blocks
 * the key for the wait until that window frees up (of several full
 * windows, the one that frees up last), doubled for each earlier strike
 * of the key still remembered (RATELIMIT_STRIKE_MEMORY_MS), at most
 * RATELIMIT_BLOCK_MAX_MS (limity-api.md: the block is dynamic and
 * repeated violations lengthen it). While the block lasts every request
 * of the key is refused with the time left; such requests are neither
 * counted nor strikes, so Retry-After is exact: once it has passed (and if
 * no other request of the key came in meanwhile), the next one is allowed.
 * A time earlier than the key's previous request is taken as that time,
 * so a clock stepping back cannot open the windows.
 *
 * @param rl      the limiter.
 * @param g       the endpoint's group.
 * @param key     "{context}|{ip}" or "{ip}", NUL-terminated, at most
 *                RATELIMIT_KEY_MAX bytes.
 * @param now_ms  the time of the request, milliseconds since the epoch.
 * @param[out] block receives why the request was refused when 1 is
 *                returned; cleared to zeros otherwise. May be NULL.
 * @return 0 allowed, 1 refused (answer 429), KSEF_EINVAL for a NULL
 *         argument, an unknown group or an over-long key, or KSEF_ENOMEM
 *         (the request is not counted; the caller may let it through).
 */
int ratelimit_check_ex(ratelimit *rl, ratelimit_group g, const char *key,
		       int64_t now_ms, ratelimit_block *block);

/**
 * As ratelimit_check_ex(), under the limits given rather than the
 * group's, and whether or not the limiter is enabled: a context's own
 * limits (POST /testdata/rate-limits) apply even where the server's
 * default profile is off. A key's history made under other limits is
 * forgotten, block and strikes included.
 *
 * @param limits the limits for this check, each 0 (not limited) to
 *               RATELIMIT_LIMIT_MAX; all 0 allows every request.
 * @return as ratelimit_check_ex(); KSEF_EINVAL also for limits out of
 *         range.
 */
int ratelimit_check_with(ratelimit *rl, ratelimit_group g, const char *key,
			 const ratelimit_limits *limits, int64_t now_ms,
			 ratelimit_block *block);

/**
 * As ratelimit_check_ex(), giving only the Retry-After.
 *
 * @param[out] retry_after_s receives the seconds to wait (at least 1) when
 *                1 is returned, 0 otherwise. May be NULL.
 * @return as ratelimit_check_ex().
 */
int ratelimit_check(ratelimit *rl, ratelimit_group g, const char *key,
		    int64_t now_ms, int *retry_after_s);

/**
 * Replace a group's limits in the limiter's default profile. If they
 * differ from the current ones, the group's counts (and blocks) are
 * forgotten, key by key as each is next checked, since they were made
 * under other limits.
 *
 * @param rl     the limiter.
 * @param g      the group.
 * @param limits each 0 (not limited) to RATELIMIT_LIMIT_MAX.
 * @return 0, or KSEF_EINVAL for a NULL argument, an unknown group or a
 *         limit out of range.
 */
int ratelimit_set_limits(ratelimit *rl, ratelimit_group g,
			 const ratelimit_limits *limits);

/**
 * Share the limits with other nodes (ksefd on a shared store): each
 * window of this limiter lets through ceil(L / nodes) requests of a key
 * where the limit is L, so that the nodes together let through at most
 * L + nodes - 1 however a balancer spreads a key's requests, and about L
 * when it spreads them evenly (docs/store.md, "Rate limits across
 * nodes"). A key's history is kept across a change; 429 answers still
 * name L. The default is 1: the limits are this node's alone.
 *
 * @param rl    the limiter.
 * @param nodes the nodes serving the store, this one included; 0 is
 *              taken as 1.
 */
void ratelimit_set_nodes(ratelimit *rl, unsigned nodes);

/**
 * What ratelimit_set_nodes() set last.
 *
 * @param rl the limiter; NULL gives 1.
 * @return the nodes the limits are shared with, at least 1.
 */
unsigned ratelimit_nodes(ratelimit *rl);

/**
 * A group's limits as they are now, for GET /rate-limits.
 *
 * @param rl the limiter.
 * @param g  the group.
 * @param[out] out receives the limits; zeros for an unknown group.
 */
void ratelimit_get_limits(ratelimit *rl, ratelimit_group g,
			  ratelimit_limits *out);

/**
 * Put every group of the default profile back to its production limits,
 * forgetting the counts of groups whose limits change.
 *
 * @param rl the limiter.
 */
void ratelimit_reset_limits(ratelimit *rl);

/**
 * A group's production limits, whatever a limiter has now.
 *
 * @param g the group.
 * @param[out] out receives the limits; zeros for an unknown group.
 */
void ratelimit_default_limits(ratelimit_group g, ratelimit_limits *out);

/**
 * The group's API name, e.g. "onlineSession"; "unauthenticated" for the
 * per-IP counter of endpoints without a token, which has no API name.
 *
 * @param g the group.
 * @return a static string, or NULL for an unknown group.
 */
const char *ratelimit_group_name(ratelimit_group g);

/**
 * The detail text of a 429 answer, in Polish as the API writes it:
 * "Przekroczono limit 20 żądań na minutę. Spróbuj ponownie po 30
 * sekundach." (SPEC 2.5), in UTF-8. Numbers take the grammatical forms
 * they need: "limit 1 żądania", "po 1 sekundzie".
 *
 * @param[out] out receives the text, always NUL-terminated when size > 0.
 * @param size     the size of out; RATELIMIT_MESSAGE_BUFSZ is enough.
 * @param block    what ratelimit_check_ex() reported.
 * @return the length of the text (as snprintf), or -1 for a NULL block or
 *         an unknown window.
 */
int ratelimit_message(char *out, size_t size, const ratelimit_block *block);

#endif
