/*
 * xades_int.h - what the XAdES files (xades_request.c, xades_sign.c,
 * xades_cert.c, xades_verify.c, xades_verify_sig.c) share and nobody else
 * sees. Each declaration says which file owns it. Never installed, never
 * exported.
 */
#ifndef KSEF_XADES_INT_H
#define KSEF_XADES_INT_H

#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/keys.h>
#include "ksef/xades.h"
#include "internal.h"
#include "xmldsig.h"

/* The AuthTokenRequest namespaces (the ds: and xades: ones, and the
 * SignedProperties reference type, are xmldsig.h's). */
#define KSEF__XADES_NS_AUTH_20 "http://ksef.mf.gov.pl/auth/token/2.0"
#define KSEF__XADES_NS_AUTH_21 "http://ksef.mf.gov.pl/auth/token/2.1"

/* The key family an algorithm needs. */
enum { KSEF__XADES_FAM_RSA = 1, KSEF__XADES_FAM_EC = 2 };

/*
 * Small helpers, inline because several files need them
 */

static inline int ksef__xades_is_xml_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline int ksef__xades_all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Offset of the first byte that is not UTF-8, or len if all are. */
static inline size_t ksef__xades_utf8_invalid_at(const unsigned char *p,
						 size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if (p[i] == 0)
			return i;
		n = ksef__utf8_next(p + i, len - i, NULL);
		if (n == 0)
			return i;
		i += n;
	}
	return len;
}

/* Whether n is the element name in the namespace ns. */
static inline int ksef__xades_is_el(const xmlNode *n, const char *ns,
				    const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

/* The input line of n for a message, or 0. */
static inline int ksef__xades_line_of(const xmlNode *n)
{
	long l = xmlGetLineNo(n);

	return l > 0 && l <= INT_MAX ? (int)l : 0;
}

/*
 * The request (xades_request.c)
 */

/* One of the auth XSD's field patterns, checked by hand. */
typedef int (*ksef__xades_pattern_fn)(const char *, size_t);

/* The ContextIdentifier choices, indexed by ksef_context_type. */
extern const char *const ksef__xades_context_names[4];
extern const ksef__xades_pattern_fn ksef__xades_context_patterns[4];
/* The AllowedIps kinds, in their xsd:sequence order. */
extern const char *const ksef__xades_ip_names[3];
extern const ksef__xades_pattern_fn ksef__xades_ip_patterns[3];
/* The SubjectIdentifierType values, indexed by ksef_xades_subject_type. */
extern const char *const ksef__xades_subject_names[2];

/* Whether the n bytes at s are a challenge as the auth XSD's pattern says. */
int ksef__xades_challenge_ok(const char *s, size_t n);

/* A caller's request and its IP policy, of whatever versions, as this
 * library's own structs (options.h). */
struct ksef__xades_request_copy {
	ksef_xades_auth_request req;
	ksef_client_ip_policy policy;
};

/*
 * Copy a caller's request (any version from 1) into c, then check c->req
 * before anything is written: each field against the auth XSD's patterns,
 * the IP lists' sizes. Returns 0, KSEF_EINVAL or KSEF_EFORMAT.
 */
int ksef__xades_check_request(struct ksef__xades_request_copy *c,
			      const ksef_xades_auth_request *given,
			      ksef_error *err);

/* The unsigned document, as a tree the caller frees; the request has
 * passed ksef__xades_check_request(). Returns 0 or KSEF_ENOMEM. */
int ksef__xades_build_doc(xmlDoc **out, const ksef_xades_auth_request *req,
			  ksef_error *err);

/* Serialise doc as UTF-8 into out (indented when format is not 0);
 * out is unchanged on failure. Returns 0 or KSEF_ENOMEM. */
int ksef__xades_dump_doc(ksef_buf *out, xmlDoc *doc, int format,
			 ksef_error *err);

/*
 * Keys, certificates and xmlsec (xades_sign.c)
 */

/* The attributes that are Ids in a signature (XAdES names them Id). */
extern const xmlChar *ksef__xades_dsig_ids[];

/* "YYYY-MM-DDThh:mm:ssZ", the xsd:dateTime of SigningTime and of
 * messages about validity. */
void ksef__xades_format_utc(char out[32], time_t t);

/* The certificate's SHA-256 in upper-case hex. Returns 0 or
 * KSEF_ECRYPTO. */
int ksef__xades_fingerprint(char out[KSEF_XADES_FINGERPRINT_LEN + 1],
			    X509 *cert, ksef_error *err);

/*
 * The key families and sizes podpis-xades.md accepts; `whose` starts the
 * message ("the signer's"). Returns KSEF__XADES_FAM_RSA or
 * KSEF__XADES_FAM_EC, or KSEF_EXADES_CERT naming what is wrong.
 */
int ksef__xades_key_family(EVP_PKEY *key, const char *whose,
			   ksef_error *err);

/* The RFC 2253 form of a name in UTF-8 (or escaped ASCII if the name
 * does not convert cleanly), to free(); NULL when out of memory. */
char *ksef__xades_name_string(const X509_NAME *name);

/*
 * While xmlsec works, libxml2's canonicaliser reports its errors through
 * the thread's generic error handler, stderr by default; a library must
 * not write there. Between begin and end they are kept instead (the first
 * line), to name the cause when xmlsec gives up.
 */
struct ksef__xades_quiet {
	xmlGenericErrorFunc generic;
	void *generic_ctx;
	xmlStructuredErrorFunc structured;
	void *structured_ctx;
	char first[160];
	size_t used;
};
void ksef__xades_quiet_begin(struct ksef__xades_quiet *q);
/* Put the caller's handlers back; returns the first line noted, or "". */
const char *ksef__xades_quiet_end(struct ksef__xades_quiet *q);

/* An xmlsec key holding a reference to pkey (public or private), or
 * NULL when out of memory. */
xmlSecKeyPtr ksef__xades_xmlsec_key(EVP_PKEY *pkey);

/*
 * The signature's shape and its cryptography (xades_verify_sig.c)
 */

/* An algorithm of podpis-xades.md's lists. `here` is 0 for those KSeF
 * accepts but xmlsec 1.2 cannot compute (RSASSA-PSS, SHA-3), so the
 * refusal can say so instead of calling them invalid. */
struct ksef__xades_alg {
	const char *uri;
	const char *name;
	int family;
	int here;
};

/* What ksef__xades_scan_signature() learns, pointers into the tree. */
struct ksef__xades_scan {
	xmlNode *sig;
	const struct ksef__xades_alg *sign_alg;
	size_t nrefs;
	xmlNode *certs[KSEF_XADES_MAX_CERTS];
	size_t ncerts;
	xmlNode *signed_props;       /* xades:SignedProperties, or NULL */
	xmlNode *signing_cert;       /* xades:SigningCertificate(V2) */
	xmlNode *signing_time;       /* xades:SigningTime */
	int key_info_signed;         /* a Reference covers ds:KeyInfo */
	size_t sigvalue_len;         /* decoded ds:SignatureValue bytes */
};

/*
 * The shape of the signature sig, before any cryptography, as its
 * definition lists it; allow_plain accepts plain XML-DSig without XAdES
 * properties. Registers the signature's Ids in its document. Returns 0,
 * KSEF_EXADES_STRUCTURE, KSEF_EXADES_ALGORITHM, KSEF_EXADES_NOT_ENVELOPED,
 * KSEF_EXADES_SIGVALUE, KSEF_EXADES_CERT or KSEF_ENOMEM.
 */
int ksef__xades_scan_signature(struct ksef__xades_scan *s, xmlNode *sig,
			       int allow_plain, ksef_error *err);

/* The certificate in X509Certificate element el, number idx (1-based),
 * for the caller to free. Returns 0, KSEF_EXADES_CERT or KSEF_ENOMEM. */
int ksef__xades_read_cert(X509 **out, xmlNode *el, size_t idx,
			  ksef_error *err);

/*
 * Which of certs (read from s->certs) signed: the one the XAdES
 * SigningCertificate names, else the first. *out is borrowed from certs.
 * Returns 0, KSEF_EXADES_STRUCTURE, KSEF_EXADES_ALGORITHM, KSEF_ECRYPTO or
 * KSEF_ENOMEM.
 */
int ksef__xades_choose_cert(X509 **out, const struct ksef__xades_scan *s,
			    X509 **certs, ksef_error *err);

/* Whether the signature value has the length cert's key (of family fam)
 * gives it. Returns 0 or KSEF_EXADES_SIGVALUE. */
int ksef__xades_check_sigvalue_size(const struct ksef__xades_scan *s,
				    X509 *cert, int fam, ksef_error *err);

/*
 * The cryptographic check, by xmlsec fenced to what the scan allowed,
 * with cert's key. Returns 0, KSEF_EXADES_DIGEST, KSEF_EXADES_SIGVALUE,
 * KSEF_EXADES_STRUCTURE or KSEF_ENOMEM.
 */
int ksef__xades_verify_crypto(const struct ksef__xades_scan *s, X509 *cert,
			      ksef_error *err);

#endif
