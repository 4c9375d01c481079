/*
 * lanes.h - a fair queue: items wait in one lane per key (a context), and
 * are taken from the lanes in turn, oldest first within each. A key with
 * a thousand items waiting delays another key's next item by at most one
 * round, not by its whole backlog. Not thread-safe: its owner locks it.
 */
#ifndef KSEFD_LANES_H
#define KSEFD_LANES_H

#include <stddef.h>

/* What the queue holds: the owner's struct, with this link in it. */
struct lane_item {
	struct lane_item *next;
};

struct lanes {
	struct lane *first, *last;  /* lanes with items, in turn */
	size_t count;               /* items in all lanes */
};

#define LANES_INIT { NULL, NULL, 0 }
/* Longest key, NUL included. */
#define LANES_KEY_SZ 96

/* Queue item under key (cut to LANES_KEY_SZ - 1 bytes): 0, or -1 when a
 * new lane cannot be allocated (the item is then not queued). */
int lanes_push(struct lanes *q, const char *key, struct lane_item *item);
/* The next item in turn, or NULL when none waits. */
struct lane_item *lanes_pop(struct lanes *q);

#endif
