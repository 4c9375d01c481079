/*
 * session_int.h - what session.c shares about the ksef_session_invoice
 * entries it owns with client_batch.c and client_batch_send.c, whose
 * batch hands out the same entries: their strings are malloc'd copies
 * that only these two functions replace and free.
 */
#ifndef KSEF_SESSION_INT_H
#define KSEF_SESSION_INT_H

#include "ksef/session.h"

/* Replace a malloc'd string of an entry (NULL allowed): 0 or ENOMEM. */
int ksef__session_str_set(const char **field, const char *value);

/* Free the strings of an entry and zero it. */
void ksef__session_invoice_clear(ksef_session_invoice *e);

#endif
