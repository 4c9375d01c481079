/*
 * invoice_summary.c - owns the summary of an FA invoice (invoice_summary.h):
 * what a server lists as its metadata and invoice.c's checks do not need.
 * Amounts are added in whole grosze, as the generator computes them, so a
 * sum never picks up binary rounding.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invoice_summary.h"

#define SUMMARY_TEXT_MAX 512

/* Short names for invoice.c's readers (invoice_summary.h). */
static xmlNode *child(xmlNode *parent, const char *name)
{
	return ksef__invoice_child(parent, name);
}

static char *text(xmlNode *node, int *oom)
{
	return ksef__invoice_text(node, SUMMARY_TEXT_MAX, oom);
}

static int grosze(const char *s, int64_t *out)
{
	int64_t whole = 0, frac = 0;
	int neg = 0, digits = 0, places = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (whole > (INT64_MAX / 100 - 9) / 10)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	if (digits == 0)
		return -1;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (++places > 2)
				return -1;
			frac = frac * 10 + (*s - '0');
		}
	}
	if (*s != '\0')
		return -1;
	if (places == 1)
		frac *= 10;
	*out = (whole * 100 + frac) * (neg ? -1 : 1);
	return 0;
}

static char *format_grosze(int64_t g, int *oom)
{
	char buf[32], *out;
	int64_t a = g < 0 ? -g : g;

	snprintf(buf, sizeof(buf), "%s%" PRId64 ".%02" PRId64,
		 g < 0 ? "-" : "", a / 100, a % 100);
	if ((out = strdup(buf)) == NULL)
		*oom = 1;
	return out;
}

/* The sum of Fa's elements whose name starts with prefix (and, for VAT,
 * does not end in W: those repeat the tax in PLN). NULL when none is
 * present or one is not an amount. */
static char *sum_of(xmlNode *fa, const char *prefix, int skip_w, int *oom)
{
	xmlNode *n;
	int64_t sum = 0, g;
	int found = 0, bad = 0;
	size_t plen = strlen(prefix), len;
	char *s;

	for (n = fa ? fa->children : NULL; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE ||
		    strncmp((const char *)n->name, prefix, plen) != 0)
			continue;
		len = strlen((const char *)n->name);
		if (skip_w && n->name[len - 1] == 'W')
			continue;
		if ((s = text(n, oom)) == NULL)
			return NULL;
		if (grosze(s, &g) != 0 || sum > INT64_MAX / 2 ||
		    sum < INT64_MIN / 2 || g > INT64_MAX / 4 ||
		    g < INT64_MIN / 4)
			bad = 1;
		else
			sum += g;
		free(s);
		found = 1;
	}
	return found && !bad ? format_grosze(sum, oom) : NULL;
}

int ksef__summary_extract(struct ksef__summary *s, xmlNode *root)
{
	xmlNode *fa = child(root, "Fa"), *n, *pu;
	int oom = 0;
	int64_t g;
	char *t;

	s->values[KSEF_SUMMARY_SELLER_NAME] = text(child(child(child(root,
		"Podmiot1"), "DaneIdentyfikacyjne"), "Nazwa"), &oom);
	s->values[KSEF_SUMMARY_BUYER_NAME] = text(child(child(child(root,
		"Podmiot2"), "DaneIdentyfikacyjne"), "Nazwa"), &oom);
	s->values[KSEF_SUMMARY_CURRENCY] = text(child(fa, "KodWaluty"), &oom);
	s->values[KSEF_SUMMARY_NET] = sum_of(fa, "P_13_", 0, &oom);
	s->values[KSEF_SUMMARY_VAT] = sum_of(fa, "P_14_", 1, &oom);
	if ((t = text(child(fa, "P_15"), &oom)) != NULL) {
		if (grosze(t, &g) == 0)
			s->values[KSEF_SUMMARY_GROSS] = format_grosze(g, &oom);
		free(t);
	}
	s->values[KSEF_SUMMARY_SELF_INVOICING] =
		text(child(child(fa, "Adnotacje"), "P_17"), &oom);
	pu = child(root, "PodmiotUpowazniony");
	s->values[KSEF_SUMMARY_AUTHORIZED_NIP] =
		text(child(child(pu, "DaneIdentyfikacyjne"), "NIP"), &oom);
	s->values[KSEF_SUMMARY_AUTHORIZED_ROLE] =
		text(child(pu, "RolaPU"), &oom);
	for (n = root->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE ||
		    strcmp((const char *)n->name, "Podmiot3") != 0 ||
		    s->nroles >= KSEF__SUMMARY_ROLES_MAX)
			continue;
		t = text(child(n, "Rola"), &oom);
		s->roles[s->nroles++] = t ? atoi(t) : 0;
		free(t);
	}
	return oom ? KSEF_ENOMEM : 0;
}

void ksef__summary_clear(struct ksef__summary *s)
{
	size_t i;

	for (i = 0; i < KSEF_SUMMARY_COUNT; i++) {
		free(s->values[i]);
		s->values[i] = NULL;
	}
	s->nroles = 0;
}
