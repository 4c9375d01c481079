/*
 * lanes.c - owns the fair queue of lanes.h. Lanes with items form a
 * round: pop takes the first lane's oldest item and sends the lane to the
 * back of the round, or frees it once empty, so only keys with work cost
 * memory. Finding a key's lane walks the round: there are as many lanes as
 * contexts with invoices waiting, a handful in practice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lanes.h"

struct lane {
	char key[LANES_KEY_SZ];
	struct lane_item *head, *tail;
	struct lane *next;
};

static void append_lane(struct lanes *q, struct lane *l)
{
	l->next = NULL;
	if (q->last != NULL)
		q->last->next = l;
	else
		q->first = l;
	q->last = l;
}

int lanes_push(struct lanes *q, const char *key, struct lane_item *item)
{
	char k[LANES_KEY_SZ];
	struct lane *l;

	snprintf(k, sizeof(k), "%s", key);
	for (l = q->first; l != NULL; l = l->next)
		if (strcmp(l->key, k) == 0)
			break;
	if (l == NULL) {
		if ((l = calloc(1, sizeof(*l))) == NULL)
			return -1;
		memcpy(l->key, k, sizeof(k));
		append_lane(q, l);
	}
	item->next = NULL;
	if (l->tail != NULL)
		l->tail->next = item;
	else
		l->head = item;
	l->tail = item;
	q->count++;
	return 0;
}

struct lane_item *lanes_pop(struct lanes *q)
{
	struct lane *l = q->first;
	struct lane_item *item;

	if (l == NULL)
		return NULL;
	item = l->head;
	l->head = item->next;
	q->first = l->next;
	if (q->first == NULL)
		q->last = NULL;
	if (l->head == NULL)
		free(l);
	else
		append_lane(q, l);
	q->count--;
	item->next = NULL;
	return item;
}
