/*
 * xmldsig.c - owns XML signatures: xmlsec's one-time initialisation and
 * error reporting, signing keys, and the one signature shape libksef makes
 * and accepts, an enveloped XAdES-BES ds:Signature. It is the only file
 * that calls xmlsec. What gets signed (the UPO) is upo.c's; turning
 * untrusted bytes into a tree is xml.c's; SHA-256 and Base64 are
 * encoding.c's.
 *
 * The shape, chosen once here:
 *   - ds:Signature is the last child of the root ("enveloped"), with a
 *     Reference URI="" carrying the enveloped-signature transform, so the
 *     whole document except the signature itself is covered;
 *   - a second Reference points by Id at xades:SignedProperties (Type
 *     http://uri.etsi.org/01903#SignedProperties), which binds the signing
 *     time and the signer's certificate (XAdES-BES, ETSI TS 101 903
 *     v1.3.2);
 *   - exclusive c14n everywhere. SignedProperties sits inside ds:Signature
 *     inside the document's root, whose default namespace inclusive c14n
 *     would drag into the digest; exclusive c14n makes each digest depend
 *     only on the namespaces the signed subtree uses, so moving the
 *     signature into another envelope cannot break it;
 *   - rsa-sha256 and sha256 digests; the certificate in KeyInfo/X509Data,
 *     for readers only: verification trusts the certificate its caller
 *     passes, never one found in the document.
 *
 * Threads: xmlsec is initialised under a pthread_once. A signing key is
 * never used directly; each signature takes its own duplicate (which
 * shares OpenSSL's reference-counted EVP_PKEY), because xmlsec's
 * signature context takes ownership of the key it is given.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <libxml/xmlstring.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include "ksef/common.h"
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "internal.h"
#include "xmldsig.h"

/* xmlsec sizes are unsigned int in this build (XMLSEC_NO_SIZE_T) and
 * BIO and d2i lengths are int or long. */
_Static_assert(KSEF_CERT_MAX_BYTES <= INT_MAX, "xmlsec and BIO take an int");

/* Ids of the signature's parts. Fixed rather than random: a UPO has no
 * other Id, and fixed values make signatures reproducible in tests. */
#define SIGNATURE_ID "ksef-signature"
#define SIGNED_PROPERTIES_ID "ksef-signed-properties"

/* The weakest RSA key a signature may use (NIST SP 800-57: 112 bits of
 * security until 2030). */
#define RSA_MIN_BITS 2048

struct ksef__dsig_key {
	xmlSecKeyPtr key;     /* private key and certificate */
	pthread_mutex_t lock; /* around xmlSecKeyDuplicate, see below */
	char cert_digest[KSEF_SHA256_B64_LEN + 1]; /* of the DER */
	char *issuer;         /* RFC 4514 issuer name */
	char *serial;         /* serial number, decimal */
};

/* ---- initialisation and errors --------------------------------------- */

static pthread_once_t dsig_once = PTHREAD_ONCE_INIT;
static int dsig_ready;
static const char *dsig_init_failure = "not attempted";

/*
 * xmlsec reports errors through one process-wide callback, by default to
 * stderr. Keep the first message of the current operation of each thread
 * instead, so that concurrent operations do not mix their reasons and a
 * library never writes to its caller's stderr.
 */
static _Thread_local char first_error[160];
/* Whether any message of the current operation says an allocation failed:
 * xmlsec's own reason, or OpenSSL's or libxml2's text, which xmlsec passes
 * on. Then the operation failed for want of memory, whatever step gave
 * up. */
static _Thread_local int saw_nomem;

/* xmlsec's text for a reason code, e.g. "transform is disabled". */
static const char *reason_text(int reason)
{
	xmlSecSize i;
	int code;

	for (i = 0; (code = xmlSecErrorsGetCode(i)) != 0; i++)
		if (code == reason)
			return xmlSecErrorsGetMsg(i);
	return "error";
}

/* xmlsec says "unknown" where it has no object or subject. */
static int known(const char *s)
{
	return s != NULL && *s != '\0' && strcmp(s, "unknown") != 0;
}

static void capture_error(const char *file, int line, const char *func,
			  const char *object, const char *subject, int reason,
			  const char *msg)
{
	(void)file; (void)line;
	if (reason == XMLSEC_ERRORS_R_MALLOC_FAILED ||
	    (msg != NULL && (strstr(msg, "malloc failure") != NULL ||
			     strstr(msg, "Memory allocation failed") != NULL)))
		saw_nomem = 1;
	if (first_error[0] != '\0')
		return;
	/* e.g. "xmlSecTransformNodeRead: transform is disabled (xpath):
	 * href=http://www.w3.org/TR/1999/REC-xpath-19991116" */
	snprintf(first_error, sizeof(first_error), "%s: %s%s%s%s%s%s",
		 known(func) ? func : "xmlsec", reason_text(reason),
		 known(object) || known(subject) ? " (" : "",
		 known(object) ? object : known(subject) ? subject : "",
		 known(object) || known(subject) ? ")" : "",
		 msg && *msg ? ": " : "", msg ? msg : "");
}

static void init_once(void)
{
	xmlExternalEntityLoader ours;

	/* Not ksef_global_init(): it calls this, from inside its own
	 * pthread_once, which would wait for itself. */
	xmlInitParser();
	/* xmlSecInit() installs its own process-wide entity loader over
	 * the one xml.c installed. Put xml.c's back: that file owns the
	 * policy (nothing from the network, local files only while a schema
	 * compiles), and xmlsec never loads entities for us, as no document
	 * reaches it but through ksef__xml_parse(), which refuses DTDs. */
	ours = xmlGetExternalEntityLoader();
	if (xmlSecInit() < 0) {
		xmlSetExternalEntityLoader(ours);
		dsig_init_failure = "xmlSecInit failed";
		return;
	}
	xmlSetExternalEntityLoader(ours);
	/* The headers we were compiled with must describe the library we
	 * run with: struct layouts (xmlSecDSigCtx) are used directly. */
	if (xmlSecCheckVersion() != 1) {
		dsig_init_failure = "xmlsec library and headers differ";
		return;
	}
	if (xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		dsig_init_failure = "xmlsec-openssl could not be initialised";
		return;
	}
	/* Last: initialisation installs xmlsec's default callback. */
	xmlSecErrorsSetCallback(capture_error);
	dsig_ready = 1;
}

int ksef__dsig_init(ksef_error *err)
{
	pthread_once(&dsig_once, init_once);
	if (!dsig_ready)
		return ksef__error_set(err, KSEF_ECRYPTO,
			"XML signatures are unavailable: %s",
			dsig_init_failure);
	return 0;
}

const char *ksef__dsig_error(void)
{
	return first_error;
}

void ksef__dsig_clear_error(void)
{
	first_error[0] = '\0';
	saw_nomem = 0;
	ERR_clear_error();
}

/* Start an operation: forget the previous one's messages. */
static void begin(void)
{
	ksef__dsig_clear_error();
}

/* Report an xmlsec failure with its first message, and clear both the
 * message and OpenSSL's queue so nothing leaks into a later call. */
static int fail(ksef_error *err, int code, const char *what)
{
	/* Not a bad key or signature: something could not allocate. */
	if (saw_nomem || ksef__openssl_nomem())
		code = KSEF_ENOMEM;
	if (first_error[0] != '\0')
		ksef__error_set(err, code, "%s: %s", what, first_error);
	else
		code = ksef__error_openssl(err, code, what);
	first_error[0] = '\0';
	saw_nomem = 0;
	ERR_clear_error();
	return code;
}

/* ---- certificates ---------------------------------------------------- */

/* The facts about a certificate that a XAdES signature states. */
struct cert_facts {
	X509 *x509;
	unsigned char *der; /* OPENSSL_malloc'd */
	int der_len;
	char digest[KSEF_SHA256_B64_LEN + 1];
};

static void cert_facts_dispose(struct cert_facts *c)
{
	X509_free(c->x509);
	OPENSSL_free(c->der);
	memset(c, 0, sizeof(*c));
}

/*
 * Read a certificate, PEM or DER, into its DER form and SHA-256 digest.
 * DER must be exactly one certificate: trailing bytes are refused, so
 * what is digested is what was given.
 */
static int cert_load(struct cert_facts *c, const unsigned char *data,
		     size_t len, ksef_error *err)
{
	size_t i = 0;
	int error;

	memset(c, 0, sizeof(*c));
	if (data == NULL || len == 0)
		return ksef__error_set(err, KSEF_EPARSE,
				       "certificate is empty");
	if (len > KSEF_CERT_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"certificate is %zu bytes, over the limit of %d "
			"(KSEF_CERT_MAX_BYTES)", len, KSEF_CERT_MAX_BYTES);
	while (i < len && (data[i] == ' ' || data[i] == '\t' ||
			   data[i] == '\r' || data[i] == '\n'))
		i++;
	if (len - i >= 10 && memcmp(data + i, "-----BEGIN", 10) == 0) {
		BIO *bio = BIO_new_mem_buf(data, (int)len);

		if (bio == NULL)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		c->x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		const unsigned char *p = data;

		c->x509 = d2i_X509(NULL, &p, (long)len);
		if (c->x509 != NULL && p != data + len) {
			X509_free(c->x509);
			c->x509 = NULL;
		}
	}
	if (c->x509 == NULL)
		return ksef__error_openssl(err, KSEF_EPARSE,
			"certificate is not one PEM or DER X.509 certificate");
	if ((c->der_len = i2d_X509(c->x509, &c->der)) <= 0) {
		cert_facts_dispose(c);
		return ksef__error_openssl(err, KSEF_ECRYPTO,
			"certificate cannot be encoded");
	}
	if ((error = ksef_sha256_base64(c->digest, c->der, (size_t)c->der_len,
					err)) < 0) {
		cert_facts_dispose(c);
		return error;
	}
	return 0;
}

/* A NUL-terminated copy of a memory BIO's contents. */
static char *bio_string(BIO *bio)
{
	char *data = NULL, *s;
	long n = BIO_get_mem_data(bio, &data);

	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

/*
 * The issuer as an RFC 4514 string and the serial in decimal, as
 * xades:IssuerSerial wants them. Non-ASCII names are written as UTF-8
 * (XAdES readers compare names, not bytes); should OpenSSL give anything
 * that is not UTF-8, the fully escaped form is used instead.
 */
static int cert_issuer_serial(char **issuer, char **serial, X509 *x509)
{
	unsigned long flags =
		XN_FLAG_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB;
	BIGNUM *bn = NULL;
	char *dec = NULL;
	BIO *bio;
	int pass;

	*issuer = *serial = NULL;
	for (pass = 0; pass < 2 && *issuer == NULL; pass++) {
		if ((bio = BIO_new(BIO_s_mem())) == NULL)
			return -1;
		if (X509_NAME_print_ex(bio, X509_get_issuer_name(x509), 0,
				       flags) >= 0)
			*issuer = bio_string(bio);
		BIO_free(bio);
		if (*issuer == NULL)
			return -1;
		if (xmlCheckUTF8((const xmlChar *)*issuer))
			break;
		free(*issuer);
		*issuer = NULL;
		flags = XN_FLAG_RFC2253;
	}
	if (*issuer == NULL)
		return -1;
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509), NULL)) ==
		    NULL ||
	    (dec = BN_bn2dec(bn)) == NULL || (*serial = strdup(dec)) == NULL) {
		BN_free(bn);
		OPENSSL_free(dec);
		free(*issuer);
		*issuer = NULL;
		return -1;
	}
	BN_free(bn);
	OPENSSL_free(dec);
	return 0;
}

/* ---- signing keys ---------------------------------------------------- */

int ksef__dsig_key_new(ksef__dsig_key **out, const char *key_pem,
		       size_t key_len, const unsigned char *cert,
		       size_t cert_len, ksef_error *err)
{
	struct cert_facts c;
	ksef__dsig_key *k;
	xmlSecKeyDataPtr value;
	int error;

	if (out == NULL || (key_pem == NULL && key_len > 0) ||
	    (cert == NULL && cert_len > 0))
		return ksef__error_set(err, KSEF_EINVAL,
			"signing key: NULL argument");
	*out = NULL;
	if (key_len == 0)
		return ksef__error_set(err, KSEF_EPARSE,
				       "private key is empty");
	if (key_len > KSEF_CERT_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"private key is %zu bytes, over the limit of %d "
			"(KSEF_CERT_MAX_BYTES)", key_len, KSEF_CERT_MAX_BYTES);
	if ((error = ksef__dsig_init(err)) < 0)
		return error;
	if ((error = cert_load(&c, cert, cert_len, err)) < 0)
		return error;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		cert_facts_dispose(&c);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	if (pthread_mutex_init(&k->lock, NULL) != 0) {
		free(k);
		cert_facts_dispose(&c);
		return ksef__error_set(err, KSEF_ENOMEM,
				       "cannot create a mutex");
	}
	memcpy(k->cert_digest, c.digest, sizeof(k->cert_digest));
	if (cert_issuer_serial(&k->issuer, &k->serial, c.x509) < 0) {
		error = ksef__error_openssl(err, KSEF_ENOMEM,
			"cannot read the certificate's issuer and serial");
		goto fail;
	}

	begin();
	/* The empty password makes xmlsec answer OpenSSL's passphrase
	 * callback itself: with none, OpenSSL would prompt on the terminal
	 * for an encrypted key. Such a key then fails to load. */
	k->key = xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)key_pem,
		(xmlSecSize)key_len, xmlSecKeyDataFormatPem, "", NULL, NULL);
	if (k->key == NULL) {
		error = fail(err, KSEF_EPARSE,
			"PEM holds no unencrypted private key");
		goto fail;
	}
	value = xmlSecKeyGetValue(k->key);
	/* xmlsec falls back to reading a public key from the same PEM. */
	if ((xmlSecKeyGetType(k->key) & xmlSecKeyDataTypePrivate) == 0) {
		error = ksef__error_set(err, KSEF_EPARSE,
			"PEM holds a public key, not a private key");
		goto fail;
	}
	if (!xmlSecKeyDataCheckId(value, xmlSecKeyDataRsaId)) {
		error = ksef__error_set(err, KSEF_EFORMAT,
			"signing key is not RSA; the signature method is "
			"rsa-sha256");
		goto fail;
	}
	if (xmlSecKeyDataGetSize(value) < RSA_MIN_BITS) {
		error = ksef__error_set(err, KSEF_EFORMAT,
			"RSA key has %u bits, fewer than %d",
			(unsigned)xmlSecKeyDataGetSize(value), RSA_MIN_BITS);
		goto fail;
	}
	/* A mismatch would give signatures nobody can verify with the
	 * certificate the signature names; catch it once, here. */
	if (X509_check_private_key(c.x509,
				   xmlSecOpenSSLKeyDataRsaGetEvp(value)) != 1) {
		ERR_clear_error();
		error = ksef__error_set(err, KSEF_EFORMAT,
			"private key does not match the certificate");
		goto fail;
	}
	if (xmlSecCryptoAppKeyCertLoadMemory(k->key, c.der,
			(xmlSecSize)c.der_len,
			xmlSecKeyDataFormatCertDer) < 0) {
		error = fail(err, KSEF_ECRYPTO,
			"certificate cannot be attached to the key");
		goto fail;
	}
	cert_facts_dispose(&c);
	ERR_clear_error();
	*out = k;
	return 0;
fail:
	cert_facts_dispose(&c);
	ksef__dsig_key_free(k);
	ERR_clear_error();
	return error;
}

void ksef__dsig_key_free(ksef__dsig_key *key)
{
	if (key == NULL)
		return;
	/* xmlSecKeyDestroy frees the EVP_PKEY; OpenSSL clears RSA private
	 * components (BN_clear_free) as it does so. */
	if (key->key != NULL)
		xmlSecKeyDestroy(key->key);
	pthread_mutex_destroy(&key->lock);
	free(key->issuer);
	free(key->serial);
	free(key);
}

/* ---- signing --------------------------------------------------------- */

int ksef__dsig_is_signature(const xmlNode *node)
{
	return node != NULL && node->type == XML_ELEMENT_NODE &&
	       node->ns != NULL && node->ns->href != NULL &&
	       xmlStrEqual(node->ns->href, (const xmlChar *)KSEF__DSIG_NS) &&
	       xmlStrEqual(node->name, (const xmlChar *)"Signature");
}

/* An element child with optional text; NULL when out of memory. */
static xmlNode *child(xmlNode *parent, xmlNs *ns, const char *name,
		      const char *text)
{
	if (parent == NULL)
		return NULL;
	/* xmlNewTextChild escapes the text; xmlNewChild would read '&'
	 * as the start of an entity reference. */
	return xmlNewTextChild(parent, ns, (const xmlChar *)name,
			       (const xmlChar *)text);
}

/*
 * Fill ds:Object with the XAdES-BES qualifying properties: SigningTime and
 * SigningCertificate (sha256 digest of the certificate's DER, and its
 * issuer and serial), all under the SignedProperties the second Reference
 * names. Its Id is registered with libxml2 so that xmlsec's same-document
 * reference can find it. Returns 0 or -1 (out of memory or a taken Id).
 */
static int add_qualifying_properties(xmlNode *obj, const ksef__dsig_key *key,
				     const char *signing_time)
{
	xmlNode *qp, *sp, *ssp, *cert, *digest, *is, *dm;
	xmlNs *ds, *xades;
	xmlAttr *id;

	ds = xmlSearchNsByHref(obj->doc, obj, (const xmlChar *)KSEF__DSIG_NS);
	if (ds == NULL || (qp = child(obj, NULL, "QualifyingProperties",
				      NULL)) == NULL)
		return -1;
	if ((xades = xmlNewNs(qp, (const xmlChar *)KSEF__XADES_NS,
			      (const xmlChar *)"xades")) == NULL)
		return -1;
	xmlSetNs(qp, xades);
	if (xmlSetProp(qp, (const xmlChar *)"Target",
		       (const xmlChar *)"#" SIGNATURE_ID) == NULL)
		return -1;
	if ((sp = child(qp, xades, "SignedProperties", NULL)) == NULL ||
	    (id = xmlSetProp(sp, (const xmlChar *)"Id",
			     (const xmlChar *)SIGNED_PROPERTIES_ID)) == NULL ||
	    xmlAddID(NULL, obj->doc, (const xmlChar *)SIGNED_PROPERTIES_ID,
		     id) == NULL)
		return -1;
	ssp = child(sp, xades, "SignedSignatureProperties", NULL);
	if (child(ssp, xades, "SigningTime", signing_time) == NULL)
		return -1;
	cert = child(child(ssp, xades, "SigningCertificate", NULL), xades,
		     "Cert", NULL);
	digest = child(cert, xades, "CertDigest", NULL);
	if ((dm = child(digest, ds, "DigestMethod", NULL)) == NULL ||
	    xmlSetProp(dm, (const xmlChar *)"Algorithm", xmlSecHrefSha256) ==
		    NULL ||
	    child(digest, ds, "DigestValue", key->cert_digest) == NULL)
		return -1;
	is = child(cert, xades, "IssuerSerial", NULL);
	if (child(is, ds, "X509IssuerName", key->issuer) == NULL ||
	    child(is, ds, "X509SerialNumber", key->serial) == NULL)
		return -1;
	return 0;
}

/* Build the signature template; NULL when out of memory. */
static xmlNode *signature_template(xmlDoc *doc, const ksef__dsig_key *key,
				   const char *signing_time)
{
	xmlNode *sig, *ref, *x509, *obj;

	sig = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId,
		xmlSecTransformRsaSha256Id, (const xmlChar *)SIGNATURE_ID,
		(const xmlChar *)"ds");
	if (sig == NULL)
		return NULL;
	/* The whole document, less this signature. */
	ref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id,
		NULL, (const xmlChar *)"", NULL);
	if (ref == NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) ==
		    NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) ==
		    NULL)
		goto fail;
	/* The XAdES properties, by Id. */
	ref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id,
		NULL, (const xmlChar *)"#" SIGNED_PROPERTIES_ID,
		(const xmlChar *)KSEF__XADES_SIGNED_PROPERTIES_TYPE);
	if (ref == NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) ==
		    NULL)
		goto fail;
	/* An empty X509Certificate asks xmlsec to write the key's one. */
	x509 = xmlSecTmplKeyInfoAddX509Data(
		xmlSecTmplSignatureEnsureKeyInfo(sig, NULL));
	if (x509 == NULL || xmlSecTmplX509DataAddCertificate(x509) == NULL)
		goto fail;
	if ((obj = xmlSecTmplSignatureAddObject(sig, NULL, NULL, NULL)) ==
		    NULL ||
	    add_qualifying_properties(obj, key, signing_time) < 0)
		goto fail;
	return sig;
fail:
	xmlFreeNode(sig); /* unregisters the Id with its attribute */
	return NULL;
}

/*
 * Give a signature's copy of the key an RSA key of its own: a failure
 * while OpenSSL renews the key's RSA blinding would otherwise spoil every
 * later signature with it, which nothing would notice before a UPO fails
 * to verify (see ksef__pkey_copy). xmlSecKeyDuplicate() only takes a
 * reference to the key.
 */
static int private_copy(xmlSecKeyPtr key)
{
	EVP_PKEY *pkey = ksef__pkey_copy(xmlSecOpenSSLKeyDataRsaGetEvp(
		xmlSecKeyGetValue(key)));
	xmlSecKeyDataPtr data;

	if (pkey == NULL)
		return KSEF_ENOMEM;
	if ((data = xmlSecOpenSSLEvpKeyAdopt(pkey)) == NULL) {
		EVP_PKEY_free(pkey);
		return KSEF_ENOMEM;
	}
	if (xmlSecKeySetValue(key, data) < 0) {
		xmlSecKeyDataDestroy(data);
		return KSEF_ENOMEM;
	}
	return 0;
}

int ksef__dsig_sign_enveloped(xmlDoc *doc, const ksef__dsig_key *key,
			      ksef_time signing_time, ksef_error *err)
{
	char when[KSEF_TIME_BUFSZ];
	ksef__dsig_key *k = (ksef__dsig_key *)key; /* for its lock only */
	xmlSecDSigCtxPtr ctx = NULL;
	xmlNode *root, *sig;
	int error;

	if (doc == NULL || key == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "sign: NULL argument");
	if ((error = ksef__dsig_init(err)) < 0)
		return error;
	if ((root = xmlDocGetRootElement(doc)) == NULL)
		return ksef__error_set(err, KSEF_EFORMAT,
			"document has no root element to sign");
	if (xmlGetID(doc, (const xmlChar *)SIGNED_PROPERTIES_ID) != NULL)
		return ksef__error_set(err, KSEF_EFORMAT,
			"document already has an element with Id %s",
			SIGNED_PROPERTIES_ID);
	if ((error = ksef_time_format(when, signing_time, err)) < 0)
		return error;

	begin();
	if ((sig = signature_template(doc, key, when)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if (xmlAddChild(root, sig) == NULL) {
		xmlFreeNode(sig);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	if ((ctx = xmlSecDSigCtxCreate(NULL)) == NULL) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto fail;
	}
	ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty |
				    xmlSecTransformUriTypeSameDocument;
	/* xmlsec documents no thread-safety for reading a key while it is
	 * duplicated; a lock held for the copy costs nothing next to an RSA
	 * signature, and the signature itself runs unlocked. */
	pthread_mutex_lock(&k->lock);
	ctx->signKey = xmlSecKeyDuplicate(key->key);
	pthread_mutex_unlock(&k->lock);
	if (ctx->signKey == NULL ||
	    (error = private_copy(ctx->signKey)) < 0) {
		error = fail(err, KSEF_ENOMEM, "signing key cannot be copied");
		goto fail;
	}
	if (xmlSecDSigCtxSign(ctx, sig) < 0) {
		error = fail(err, KSEF_ECRYPTO, "signing failed");
		goto fail;
	}
	xmlSecDSigCtxDestroy(ctx); /* and its copy of the key */
	ERR_clear_error();
	return 0;
fail:
	if (ctx != NULL)
		xmlSecDSigCtxDestroy(ctx);
	xmlUnlinkNode(sig);
	xmlFreeNode(sig);
	ERR_clear_error();
	return error;
}

/* ---- verifying ------------------------------------------------------- */

static int is_element(const xmlNode *n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       xmlStrEqual(n->ns->href, (const xmlChar *)ns) &&
	       xmlStrEqual(n->name, (const xmlChar *)name);
}

/* The first element child of n with this namespace and name, or NULL. */
static xmlNode *find_child(const xmlNode *n, const char *ns, const char *name)
{
	xmlNode *c;

	for (c = n ? n->children : NULL; c != NULL; c = c->next)
		if (is_element(c, ns, name))
			return c;
	return NULL;
}

/* Whether an attribute (no namespace) has exactly this value. */
static int attr_is(xmlNode *n, const char *name, const char *value)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	int same = v != NULL && xmlStrEqual(v, (const xmlChar *)value);

	xmlFree(v);
	return same;
}

/*
 * The xades:SignedProperties with this Id inside this signature's own
 * ds:Object elements. Looking only there (never by a document-wide Id
 * lookup) is what stops a wrapping attack: a second SignedProperties
 * planted elsewhere with the same Id is never the one checked.
 */
static xmlNode *find_signed_properties(const xmlNode *sig, const char *id)
{
	xmlNode *obj, *qp, *sp;

	for (obj = sig->children; obj != NULL; obj = obj->next) {
		if (!is_element(obj, KSEF__DSIG_NS, "Object"))
			continue;
		for (qp = obj->children; qp != NULL; qp = qp->next) {
			if (!is_element(qp, KSEF__XADES_NS,
					"QualifyingProperties"))
				continue;
			for (sp = qp->children; sp != NULL; sp = sp->next)
				if (is_element(sp, KSEF__XADES_NS,
					       "SignedProperties") &&
				    attr_is(sp, "Id", id))
					return sp;
		}
	}
	return NULL;
}

/*
 * Whether SigningCertificate (or SigningCertificateV2) in these signed
 * properties names the certificate with this sha256 digest. XAdES-BES
 * requires it; a digest method other than sha256 is refused, as nothing
 * else is computed here.
 */
static int names_certificate(const xmlNode *sp, const char *digest,
			     ksef_error *err)
{
	xmlNode *ssp, *sc, *cert, *cd, *dm, *dv;
	const char *names[] = { "SigningCertificate", "SigningCertificateV2" };
	size_t i;

	ssp = find_child(sp, KSEF__XADES_NS, "SignedSignatureProperties");
	for (i = 0; i < 2; i++) {
		sc = find_child(ssp, KSEF__XADES_NS, names[i]);
		for (cert = sc ? sc->children : NULL; cert; cert = cert->next) {
			xmlChar *v;
			int same;

			if (!is_element(cert, KSEF__XADES_NS, "Cert"))
				continue;
			cd = find_child(cert, KSEF__XADES_NS, "CertDigest");
			dm = find_child(cd, KSEF__DSIG_NS, "DigestMethod");
			dv = find_child(cd, KSEF__DSIG_NS, "DigestValue");
			if (dm == NULL || dv == NULL)
				continue;
			if (!attr_is(dm, "Algorithm",
				     (const char *)xmlSecHrefSha256))
				return ksef__error_set(err, KSEF_EFORMAT,
					"signature's SigningCertificate uses a "
					"digest other than sha256");
			v = xmlNodeGetContent(dv);
			if (v == NULL)
				return ksef__error_set(err, KSEF_ENOMEM,
						       "out of memory");
			same = xmlStrEqual(v, (const xmlChar *)digest);
			xmlFree(v);
			if (same)
				return 0;
		}
	}
	return ksef__error_set(err, KSEF_ECHECKSUM,
		"signature's SigningCertificate does not name the given "
		"certificate");
}

/*
 * Only these algorithms may appear. xmlsec otherwise runs whatever a
 * document asks for, XSLT and XPath included: code an attacker supplies.
 */
static int restrict_transforms(xmlSecDSigCtxPtr ctx)
{
	const xmlSecTransformId c14n[] = {
		xmlSecTransformExclC14NId,
		xmlSecTransformExclC14NWithCommentsId,
		xmlSecTransformInclC14NId,
		xmlSecTransformInclC14NWithCommentsId,
		xmlSecTransformInclC14N11Id,
		xmlSecTransformInclC14N11WithCommentsId,
	};
	const xmlSecTransformId digests[] = {
		xmlSecTransformSha256Id, xmlSecTransformSha384Id,
		xmlSecTransformSha512Id,
	};
	const xmlSecTransformId signatures[] = {
		xmlSecTransformRsaSha256Id, xmlSecTransformRsaSha384Id,
		xmlSecTransformRsaSha512Id, xmlSecTransformEcdsaSha256Id,
		xmlSecTransformEcdsaSha384Id, xmlSecTransformEcdsaSha512Id,
	};
	size_t i;

	for (i = 0; i < sizeof(c14n) / sizeof(c14n[0]); i++)
		if (xmlSecDSigCtxEnableReferenceTransform(ctx, c14n[i]) < 0 ||
		    xmlSecDSigCtxEnableSignatureTransform(ctx, c14n[i]) < 0)
			return -1;
	for (i = 0; i < sizeof(digests) / sizeof(digests[0]); i++)
		if (xmlSecDSigCtxEnableReferenceTransform(ctx, digests[i]) < 0)
			return -1;
	for (i = 0; i < sizeof(signatures) / sizeof(signatures[0]); i++)
		if (xmlSecDSigCtxEnableSignatureTransform(ctx,
							  signatures[i]) < 0)
			return -1;
	if (xmlSecDSigCtxEnableReferenceTransform(ctx,
			xmlSecTransformEnvelopedId) < 0)
		return -1;
	return 0;
}

/*
 * Find the two references libksef requires: URI="" (the document) and the
 * SignedProperties one. Sets *props_id to the Id it names (xmlFree it).
 */
static int find_references(xmlNode *sig, xmlChar **props_id, ksef_error *err)
{
	xmlNode *si, *ref;
	int whole = 0;

	*props_id = NULL;
	if ((si = find_child(sig, KSEF__DSIG_NS, "SignedInfo")) == NULL)
		return ksef__error_set(err, KSEF_EFORMAT,
			"signature has no SignedInfo");
	for (ref = si->children; ref != NULL; ref = ref->next) {
		xmlChar *uri;

		if (!is_element(ref, KSEF__DSIG_NS, "Reference"))
			continue;
		uri = xmlGetNoNsProp(ref, (const xmlChar *)"URI");
		if (uri != NULL && uri[0] == '\0')
			whole = 1;
		else if (attr_is(ref, "Type",
				 KSEF__XADES_SIGNED_PROPERTIES_TYPE) &&
			 uri != NULL && uri[0] == '#' && uri[1] != '\0' &&
			 *props_id == NULL)
			*props_id = xmlStrdup(uri + 1);
		xmlFree(uri);
	}
	if (!whole) {
		xmlFree(*props_id);
		*props_id = NULL;
		return ksef__error_set(err, KSEF_EFORMAT,
			"signature does not cover the whole document "
			"(no Reference URI=\"\")");
	}
	if (*props_id == NULL)
		return ksef__error_set(err, KSEF_EFORMAT,
			"signature has no Reference to xades:SignedProperties");
	return 0;
}

int ksef__dsig_verify_enveloped(xmlDoc *doc, xmlNode *sig,
				const unsigned char *cert, size_t cert_len,
				ksef_error *err)
{
	struct cert_facts c;
	xmlSecDSigCtxPtr ctx = NULL;
	xmlChar *props_id = NULL;
	xmlNode *props;
	xmlAttr *id;
	int error;

	if (doc == NULL || sig == NULL || (cert == NULL && cert_len > 0))
		return ksef__error_set(err, KSEF_EINVAL,
			"verify: NULL argument");
	if ((error = ksef__dsig_init(err)) < 0)
		return error;
	if ((error = cert_load(&c, cert, cert_len, err)) < 0)
		return error;
	if ((error = find_references(sig, &props_id, err)) < 0)
		goto done;
	if ((props = find_signed_properties(sig, (const char *)props_id)) ==
	    NULL) {
		error = ksef__error_set(err, KSEF_EFORMAT,
			"signature's SignedProperties Reference does not name "
			"its own xades:SignedProperties");
		goto done;
	}
	/* The parser registered no Ids (there is no DTD), so this is the
	 * only one xmlsec can resolve; a clash (an xml:id of the same
	 * value) is refused rather than left to chance. */
	id = xmlHasProp(props, (const xmlChar *)"Id");
	if (id == NULL || xmlGetID(doc, props_id) != NULL ||
	    xmlAddID(NULL, doc, props_id, id) == NULL) {
		error = ksef__error_set(err, KSEF_EFORMAT,
			"signature's SignedProperties Id is not unique");
		goto done;
	}

	begin();
	if ((ctx = xmlSecDSigCtxCreate(NULL)) == NULL ||
	    restrict_transforms(ctx) < 0) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty |
				    xmlSecTransformUriTypeSameDocument;
	/* With signKey set, xmlsec never reads KeyInfo: the caller's
	 * certificate is the only key that can make the signature valid. */
	ctx->signKey = xmlSecCryptoAppKeyLoadMemory(c.der,
		(xmlSecSize)c.der_len, xmlSecKeyDataFormatCertDer, NULL, NULL,
		NULL);
	if (ctx->signKey == NULL) {
		error = fail(err, KSEF_EPARSE,
			"certificate's public key cannot be used");
		goto done;
	}
	if (xmlSecDSigCtxVerify(ctx, sig) < 0) {
		error = fail(err, KSEF_EFORMAT,
			"signature cannot be processed");
		goto done;
	}
	if (ctx->status != xmlSecDSigStatusSucceeded) {
		/* xmlsec's message tells a changed document ("data and
		 * digest do not match") from another key ("data do not
		 * match" of rsa-sha256). */
		error = fail(err, KSEF_ECHECKSUM, "signature does not match");
		goto done;
	}
	error = names_certificate(props, c.digest, err);
done:
	if (ctx != NULL)
		xmlSecDSigCtxDestroy(ctx);
	xmlFree(props_id);
	cert_facts_dispose(&c);
	first_error[0] = '\0';
	saw_nomem = 0;
	ERR_clear_error();
	return error;
}
