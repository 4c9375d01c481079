/*
 * ctx_limits.h - the limits in force for each context (limity/limity.md,
 * limity-api.md): its session limits (GET /limits/context; a session takes
 * its maxInvoices when it opens, an invoice is held to the size limit when
 * it is sent) and its own API rate limits (GET /rate-limits; router.c's
 * check), as the test data set them (POST/DELETE
 * /testdata/limits/context/session, /testdata/rate-limits*) or else the
 * defaults. The store keeps what was set (store_limits.c); this module
 * caches each context's limits in memory, a bounded number of contexts,
 * so that a request reads them without the store.
 *
 * Threads: every function may be called from any thread; one mutex guards
 * the cache, held for a hash look-up at a time, never across a store call.
 * Changes go to the store first and then invalidate the context's entry,
 * and a read that raced with a change does not cache what it read.
 */
#ifndef KSEFD_CTX_LIMITS_H
#define KSEFD_CTX_LIMITS_H

#include <stddef.h>
#include "ksef/error.h"
#include "ratelimit.h"
#include "store.h"

/** Most contexts whose limits are cached; the least recently used goes
 *  first. 10,000 entries are about 3 MB. */
#define CTX_LIMITS_CACHE_MAX 10000

/** Room for ctx_limits_rate_format()'s text: 12 groups of a name and
 *  three numbers of at most 6 digits. */
#define CTX_LIMITS_RATE_TEXT_MAX STORE_RATE_LIMITS_SZ

/** Where a context's rate limits come from. */
typedef enum ctx_rate_mode {
	CTX_RATE_DEFAULT = 0,    /**< the server's profile (--rate-limits) */
	CTX_RATE_CUSTOM = 1,     /**< POST /testdata/rate-limits */
	CTX_RATE_PRODUCTION = 2  /**< POST /testdata/rate-limits/production */
} ctx_rate_mode;

/** A context's limits as they are in force. */
typedef struct ctx_limits_view {
	store_session_limits online;   /**< onlineSession */
	store_session_limits batch;    /**< batchSession */
	int session_set;               /**< 1: set through the test data */
	ctx_rate_mode rate_mode;
	/** Each group's limits unless rate_mode is CTX_RATE_DEFAULT (zeros
	 *  then); RATELIMIT_UNAUTHENTICATED is never the context's. */
	ratelimit_limits rate[RATELIMIT_GROUP_COUNT];
} ctx_limits_view;

typedef struct ctx_limits ctx_limits;

/**
 * Make the cache over a store.
 *
 * @param[out] out   receives it; free with ctx_limits_free().
 * @param st         the store, borrowed for the cache's life.
 * @param defaults   the session limits of a context that set none (both
 *                   onlineSession and batchSession), copied.
 * @param max_contexts most contexts cached; 0 means CTX_LIMITS_CACHE_MAX.
 * @return 0, KSEF_EINVAL or KSEF_ENOMEM.
 */
int ctx_limits_new(ctx_limits **out, store *st,
		   const store_session_limits *defaults, size_t max_contexts);

/** Free the cache; NULL does nothing. */
void ctx_limits_free(ctx_limits *cl);

/**
 * Forget every context's cached limits, so the next request of each reads
 * the store again: with a shared store, another node may have changed
 * them (the housekeeper calls this every tick, so a change made through
 * one node is in force on all within half a second). NULL does nothing.
 */
void ctx_limits_forget_all(ctx_limits *cl);

/**
 * A context's limits in force: from the cache, or read from the store
 * once and cached.
 *
 * @param[out] out the limits; on failure the defaults (no rate limits of
 *                 its own), so a caller may go on with them.
 * @return 0, or a negative store_result (or KSEF_EINVAL for a NULL
 *         argument) with err set.
 */
int ctx_limits_get(ctx_limits *cl, const char *ctx_type,
		   const char *ctx_value, ctx_limits_view *out,
		   ksef_error *err);

/**
 * A context's own rate limits for one group, for the rate check of every
 * request.
 *
 * @param[out] out the limits when 1 is returned.
 * @return 1 when the context has limits of its own (set through the test
 *         data), 0 when the server's profile applies, also when they
 *         cannot be read (cl NULL, the store failing).
 */
int ctx_limits_rate(ctx_limits *cl, const char *ctx_type,
		    const char *ctx_value, ratelimit_group g,
		    ratelimit_limits *out);

/** Set a context's session limits (each at least 0). @return as
 *  ctx_limits_get(). */
int ctx_limits_set_session(ctx_limits *cl, const char *ctx_type,
			   const char *ctx_value,
			   const store_session_limits *online,
			   const store_session_limits *batch, ksef_error *err);
/** Put a context's session limits back to the defaults. */
int ctx_limits_reset_session(ctx_limits *cl, const char *ctx_type,
			     const char *ctx_value, ksef_error *err);

/**
 * Give a context rate limits of its own (CTX_RATE_CUSTOM): rate[g] for
 * each group but RATELIMIT_UNAUTHENTICATED, each 0 to RATELIMIT_LIMIT_MAX.
 * @return as ctx_limits_get(); KSEF_EINVAL for a value out of range.
 */
int ctx_limits_set_rate(ctx_limits *cl, const char *ctx_type,
			const char *ctx_value,
			const ratelimit_limits rate[RATELIMIT_GROUP_COUNT],
			ksef_error *err);
/** Give a context the production rate limits (CTX_RATE_PRODUCTION),
 *  enforced whatever the server's profile. */
int ctx_limits_set_production(ctx_limits *cl, const char *ctx_type,
			      const char *ctx_value, ksef_error *err);
/** Put a context back on the server's profile (CTX_RATE_DEFAULT). */
int ctx_limits_reset_rate(ctx_limits *cl, const char *ctx_type,
			  const char *ctx_value, ksef_error *err);

/**
 * The largest invoice a context's interactive sessions take now, in bytes
 * (onlineSession.maxInvoiceSizeInMB, 1 MB = 10^6 B), at most
 * KSEF_INVOICE_MAX_BYTES, which no limit raises.
 *
 * @param dflt what to answer when the limits cannot be read.
 */
size_t ctx_limits_invoice_bytes(ctx_limits *cl, const char *ctx_type,
				const char *ctx_value, size_t dflt);

/** How many contexts are cached, for tests. */
size_t ctx_limits_cached(ctx_limits *cl);

/**
 * The text a context's own rate limits are stored in:
 * "onlineSession=10/30/120,batchSession=10/20/60,..." in group order.
 *
 * @return its length, or -1 if it does not fit size (or an argument is
 *         NULL or a value out of range).
 */
int ctx_limits_rate_format(char *out, size_t size,
			   const ratelimit_limits rate[RATELIMIT_GROUP_COUNT]);

/**
 * Read such a text. A group it lacks gets its production limits, and
 * unknown names are skipped, so a text written by another version of
 * ksefd still reads.
 *
 * @return 0, or -1 for a malformed text (rate then holds production
 *         limits).
 */
int ctx_limits_rate_parse(ratelimit_limits rate[RATELIMIT_GROUP_COUNT],
			  const char *text);

#endif
