/*
 * trust.h - the optional trust store of ksefd (--trust-store FILE): which
 * CAs a XAdES signer's certificate must chain to. Without one, any
 * certificate is accepted, self-signed ones included, as on the Ministry's
 * TEST environment.
 */
#ifndef KSEFD_TRUST_H
#define KSEFD_TRUST_H

#include <stddef.h>
#include "ksef/error.h"

typedef struct trust trust;

/* Load a PEM bundle of CA certificates. */
int trust_load(trust **out, const char *pem_file, ksef_error *err);
void trust_free(trust *t);

/* Whether a DER certificate chains to the store (dates not checked here:
 * the caller judges validity with its own message). 1 yes, 0 no. */
int trust_check(const trust *t, const unsigned char *der, size_t len);

#endif
