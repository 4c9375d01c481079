/*
 * xmldsig.h - enveloped XAdES-BES signatures made and checked with xmlsec
 * (xmldsig.c). The UPO module calls it; so may any later signer, such as
 * the XAdES authentication request.
 */
#ifndef KSEF_XMLDSIG_H
#define KSEF_XMLDSIG_H

#include <stddef.h>
#include <libxml/tree.h>
#include "ksef/error.h"
#include "ksef/number.h"

/* The namespaces and the SignedProperties reference type, XAdES 1.3.2. */
#define KSEF__DSIG_NS "http://www.w3.org/2000/09/xmldsig#"
#define KSEF__XADES_NS "http://uri.etsi.org/01903/v1.3.2#"
#define KSEF__XADES_SIGNED_PROPERTIES_TYPE \
	"http://uri.etsi.org/01903#SignedProperties"

/*
 * xmlsec reports through one process-wide callback, installed by
 * ksef__dsig_init(); it keeps the first message of each thread since
 * ksef__dsig_clear_error() (which also clears OpenSSL's queue), e.g.
 * "xmlSecTransformNodeRead: transform is disabled (xpath): href=...".
 * ksef__dsig_error() returns "" when there is none.
 */
const char *ksef__dsig_error(void);
void ksef__dsig_clear_error(void);

/* A private RSA key and its certificate; read-only once made. */
typedef struct ksef__dsig_key ksef__dsig_key;

/*
 * Initialise xmlsec and its OpenSSL back end, once per process (the
 * signing and verifying functions call it themselves). Returns 0 or
 * KSEF_ECRYPTO.
 */
int ksef__dsig_init(ksef_error *err);

/*
 * Load an unencrypted PEM private key (RSA, at least 2048 bits) and its
 * certificate (PEM or DER), checking that they match. Returns 0,
 * KSEF_EINVAL, KSEF_ETOOBIG, KSEF_EPARSE, KSEF_EFORMAT, KSEF_ECRYPTO or
 * KSEF_ENOMEM; *out is NULL on failure.
 */
int ksef__dsig_key_new(ksef__dsig_key **out, const char *key_pem,
		       size_t key_len, const unsigned char *cert,
		       size_t cert_len, ksef_error *err);

/* Free a key (NULL does nothing); OpenSSL clears the private parts. */
void ksef__dsig_key_free(ksef__dsig_key *key);

/*
 * Append an enveloped XAdES-BES ds:Signature as the last child of doc's
 * root and sign it with key: exclusive c14n, rsa-sha256, sha256 references
 * to URI="" (enveloped) and to the xades:SignedProperties. Safe to call
 * from several threads at once with the same key and different docs.
 * Returns 0, KSEF_EFORMAT (doc has no root, or already uses our Ids),
 * KSEF_EINVAL (signing_time cannot be written), KSEF_ECRYPTO or
 * KSEF_ENOMEM; on failure the signature is removed again.
 */
int ksef__dsig_sign_enveloped(xmlDoc *doc, const ksef__dsig_key *key,
			      ksef_time signing_time, ksef_error *err);

/* Whether node is a ds:Signature element. */
int ksef__dsig_is_signature(const xmlNode *node);

/*
 * Verify the ds:Signature `sig` of doc (a tree from ksef__xml_parse())
 * with the certificate cert (PEM or DER) only; see ksef_upo_verify() for
 * the rules. Registers the SignedProperties Id in doc. Returns 0,
 * KSEF_ECHECKSUM (the signature does not match), KSEF_EFORMAT, KSEF_EPARSE
 * (certificate), KSEF_EINVAL, KSEF_ETOOBIG, KSEF_ECRYPTO or KSEF_ENOMEM.
 */
int ksef__dsig_verify_enveloped(xmlDoc *doc, xmlNode *sig,
				const unsigned char *cert, size_t cert_len,
				ksef_error *err);

#endif
