/*
 * xml.h - libksef's only doors into libxml2 parsing: the safe parse entry
 * point for untrusted documents and the entity loader that keeps every
 * parse (schemas included) off the network.
 */
#ifndef KSEF_XML_H
#define KSEF_XML_H

#include <stddef.h>
#include <libxml/tree.h>
#include "ksef/error.h"
#include "budget.h"

/* What ksef__xml_parse found besides the tree. */
typedef struct ksef__xml_facts {
	int has_pi;        /* a processing instruction occurred */
	int pi_line;       /* the line of the first one */
} ksef__xml_facts;

/*
 * Parse untrusted XML of at most `max` bytes into a tree: no DTD (any
 * DOCTYPE stops the parse before its declarations are read), no entity
 * expansion, no network, libxml2's default depth limit, line numbers kept
 * (past 65535 too). Processing instructions are not put in the tree; they
 * are counted in facts (which may be NULL).
 *
 * Returns 0 with *out set, KSEF_ETOOBIG (over max), KSEF_EPARSE (DOCTYPE
 * or not well-formed, with the line in err) or KSEF_ENOMEM.
 */
int ksef__xml_parse(xmlDoc **out, ksef__xml_facts *facts,
		    const unsigned char *data, size_t len, size_t max,
		    ksef_error *err);
/* As ksef__xml_parse(), for a tree that is only read, never changed (the
 * invoice verification): parsed with less memory. With a budget (may be
 * NULL) the parse stops once the thread's CPU time runs past it, and
 * returns KSEF_ETOOBIG; ksef__budget_spent() then tells it from a
 * document over max. */
int ksef__xml_parse_frozen(xmlDoc **out, ksef__xml_facts *facts,
			   const unsigned char *data, size_t len, size_t max,
			   const ksef__budget *budget, ksef_error *err);

/* Install and remove the process-wide entity loader (global.c calls it). */
void ksef__xml_install_loader(void);
void ksef__xml_uninstall_loader(void);

/*
 * While set on this thread, the loader resolves imports of the official
 * base schemas by http://crd.gov.pl/... URL to files under `schema_dir`
 * and allows local files; when NULL (the default), it refuses every
 * external resource. xsd.c sets it around schema compilation only.
 */
void ksef__xml_set_schema_dir(const char *schema_dir);

#endif
