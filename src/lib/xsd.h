/*
 * xsd.h - schema validation of a parsed document against a form's
 * compiled schema (xsd.c owns the ksef_schemas set).
 */
#ifndef KSEF_XSD_H
#define KSEF_XSD_H

#include <libxml/tree.h>
#include "ksef/invoice.h"

/* Called once per validation message, with the input line (0 if unknown). */
typedef void (*ksef__xsd_report)(void *ctx, int line, const char *message);

/*
 * Validate doc against the form's schema, compiling it first if needed.
 * Returns 0 if valid, 1 if invalid (each problem reported through report),
 * or a negative KSEF_E* code (KSEF_ESCHEMA, KSEF_ENOMEM) with err set.
 * Safe to call from several threads at once on the same schemas.
 */
int ksef__xsd_validate(ksef_schemas *schemas, ksef_form form, xmlDoc *doc,
		       ksef__xsd_report report, void *ctx, ksef_error *err);

#endif
