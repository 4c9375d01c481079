/*
 * invoice_summary.h - the summary of an FA invoice that a server's
 * metadata needs (names, currency, amounts, annotations, roles), taken
 * from the parsed document by invoice.c's extraction.
 */
#ifndef KSEF_INVOICE_SUMMARY_H
#define KSEF_INVOICE_SUMMARY_H

#include <libxml/tree.h>
#include "ksef/invoice.h"

/* FA (3) allows at most 100 Podmiot3; as invoice.c. */
#define KSEF__SUMMARY_ROLES_MAX 128

struct ksef__summary {
	char *values[KSEF_SUMMARY_COUNT];
	size_t nroles;
	int roles[KSEF__SUMMARY_ROLES_MAX];
};

/* Fill s from root (Faktura); 0 or KSEF_ENOMEM. */
int ksef__summary_extract(struct ksef__summary *s, xmlNode *root);
void ksef__summary_clear(struct ksef__summary *s);

/* What invoice.c's extraction and the summary share. The first element
 * child with this local name (any namespace: the schema pins namespaces;
 * extraction must work on invalid input too), or NULL. */
xmlNode *ksef__invoice_child(xmlNode *parent, const char *name);
/* A copy of the node's text cut at max bytes; NULL for no node, or NULL
 * with *oom set on failure. */
char *ksef__invoice_text(xmlNode *node, size_t max, int *oom);

#endif
