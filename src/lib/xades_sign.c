/*
 * xades_sign.c - owns signers and signing (SPEC 4.4,
 * auth/podpis-xades.md): reading a key and its certificate (PEM or
 * PKCS#12) into a ksef_xades_signer, judging the key (the RSA and EC
 * families and sizes KSeF accepts), the certificate's fingerprint and
 * name as XAdES writes them, and signing an AuthTokenRequest enveloped in
 * XAdES-BES with the qualifying properties the official clients write.
 *
 * It also keeps the little glue between libxml2, OpenSSL and xmlsec that
 * verifying needs too (an xmlsec key from an OpenSSL one, the error
 * handlers kept quiet while xmlsec works), so that xades_verify_sig.c
 * handles keys the same way. The request's fields and writing the
 * unsigned tree are xades_request.c's; xmlsec's one-time set-up and its
 * error callback are xmldsig.c's (ksef__dsig_init); test certificates are
 * xades_cert.c's; checking a signature is xades_verify*.c's.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/globals.h>
#include <libxml/tree.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/templates.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "ksef/xades.h"
#include "alloc.h"
#include "internal.h"
#include "xades_int.h"
#include "xmldsig.h"

_Static_assert(KSEF_CERT_MAX_BYTES <= INT_MAX, "BIO takes an int");

/* The Ids this file writes; fixed, so that a signature made at a given
 * time with an RSA key is reproducible byte for byte. */
#define SIGNATURE_ID "Signature"
#define SIGNED_PROPS_ID "SignedProperties"

/* podpis-xades.md: RSA keys of at least 2048 bits, curves of at least
 * 256 bits. */
#define RSA_MIN_BITS 2048
#define EC_MIN_BITS 256

struct ksef_xades_signer {
	EVP_PKEY *key;
	X509 *cert;
	int family; /* KSEF__XADES_FAM_RSA or KSEF__XADES_FAM_EC */
	char fingerprint[KSEF_XADES_FINGERPRINT_LEN + 1];
};

const xmlChar *ksef__xades_dsig_ids[] = { BAD_CAST "Id", NULL };

/*
 * Small helpers
 */

/* Upper-case hex of n bytes into out (2n characters and a NUL). */
static void hex_upper(char *out, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void ksef__xades_format_utc(char out[32], time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%lld (epoch seconds)", (long long)t);
}

/*
 * Signers
 */

int ksef__xades_fingerprint(char out[KSEF_XADES_FINGERPRINT_LEN + 1],
			    X509 *cert, ksef_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!X509_digest(cert, EVP_sha256(), md, &n) || n != 32)
		return ksef__error_openssl(err, KSEF_ECRYPTO,
			"cannot hash the certificate");
	hex_upper(out, md, n);
	return 0;
}

/*
 * The key families and sizes podpis-xades.md accepts. Returns
 * KSEF__XADES_FAM_RSA or KSEF__XADES_FAM_EC, or a KSEF_EXADES_CERT
 * failure naming what is wrong.
 */
int ksef__xades_key_family(EVP_PKEY *key, const char *whose,
			   ksef_error *err)
{
	int bits;

	if (key == NULL) {
		ERR_clear_error();
		return ksef__error_set(err, KSEF_EXADES_CERT,
			"%s public key cannot be read", whose);
	}
	bits = EVP_PKEY_get_bits(key);

	if (EVP_PKEY_is_a(key, "RSA")) {
		if (bits < RSA_MIN_BITS)
			return ksef__error_set(err, KSEF_EXADES_CERT,
				"%s RSA key has %d bits; podpis-xades.md "
				"requires at least %d", whose, bits,
				RSA_MIN_BITS);
		return KSEF__XADES_FAM_RSA;
	}
	if (EVP_PKEY_is_a(key, "EC")) {
		if (bits < EC_MIN_BITS)
			return ksef__error_set(err, KSEF_EXADES_CERT,
				"%s EC key is on a %d-bit curve; "
				"podpis-xades.md requires at least %d", whose,
				bits, EC_MIN_BITS);
		return KSEF__XADES_FAM_EC;
	}
	return ksef__error_set(err, KSEF_EXADES_CERT,
		"%s key is %s; KSeF accepts RSA and EC (ECDSA) keys only",
		whose, EVP_PKEY_get0_type_name(key) ?
		EVP_PKEY_get0_type_name(key) : "of an unknown type");
}

/* Take key and cert (both owned by the new signer on success). */
static int signer_make(ksef_xades_signer **out, EVP_PKEY *key, X509 *cert,
		       ksef_error *err)
{
	ksef_xades_signer *s;
	int fam, error;

	if ((fam = ksef__xades_key_family(key, "the signer's", err)) < 0)
		return fam;
	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		return ksef__error_set(err, KSEF_EXADES_CERT,
			"the private key does not belong to the certificate");
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((error = ksef__xades_fingerprint(s->fingerprint, cert, err)) < 0) {
		free(s);
		return error;
	}
	s->key = key;
	s->cert = cert;
	s->family = fam;
	*out = s;
	return 0;
}

int ksef_xades_signer_new(ksef_xades_signer **out,
	const unsigned char *key_pem, size_t key_len,
	const unsigned char *cert_pem, size_t cert_len, const char *passphrase,
	ksef_error *err)
{
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output pointer");
	*out = NULL;
	if (key_pem == NULL || cert_pem == NULL || key_len == 0 ||
	    cert_len == 0)
		return ksef__error_set(err, KSEF_EINVAL,
			"no key or no certificate");
	if (key_len > KSEF_CERT_MAX_BYTES || cert_len > KSEF_CERT_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"key or certificate over KSEF_CERT_MAX_BYTES (%d)",
			KSEF_CERT_MAX_BYTES);
	if ((bio = BIO_new_mem_buf(key_pem, (int)key_len)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	key = PEM_read_bio_PrivateKey(bio, NULL, ksef__pem_passphrase,
				      (void *)passphrase);
	BIO_free(bio);
	if (key == NULL)
		return ksef__error_openssl(err, KSEF_EPARSE, passphrase ?
			"cannot read the PEM private key (or the passphrase "
			"is wrong)" : "cannot read the PEM private key");
	if ((bio = BIO_new_mem_buf(cert_pem, (int)cert_len)) == NULL) {
		EVP_PKEY_free(key);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	cert = PEM_read_bio_X509(bio, NULL, ksef__pem_passphrase, NULL);
	BIO_free(bio);
	if (cert == NULL) {
		EVP_PKEY_free(key);
		return ksef__error_openssl(err, KSEF_EPARSE,
			"cannot read the PEM certificate");
	}
	if ((error = signer_make(out, key, cert, err)) < 0) {
		EVP_PKEY_free(key);
		X509_free(cert);
	}
	return error;
}

int ksef_xades_signer_from_pkcs12(ksef_xades_signer **out,
	const unsigned char *p12, size_t len, const char *password,
	ksef_error *err)
{
	const unsigned char *p = p12;
	PKCS12 *pk = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output pointer");
	*out = NULL;
	if (p12 == NULL || len == 0)
		return ksef__error_set(err, KSEF_EINVAL, "no PKCS#12 data");
	if (len > KSEF_CERT_MAX_BYTES)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"PKCS#12 file is %zu bytes, over KSEF_CERT_MAX_BYTES "
			"(%d)", len, KSEF_CERT_MAX_BYTES);
	if ((pk = d2i_PKCS12(NULL, &p, (long)len)) == NULL)
		return ksef__error_openssl(err, KSEF_EPARSE,
			"not a PKCS#12 file");
	if (!PKCS12_parse(pk, password, &key, &cert, &ca)) {
		PKCS12_free(pk);
		return ksef__error_openssl(err, KSEF_EPARSE,
			"cannot open the PKCS#12 file (wrong password?)");
	}
	PKCS12_free(pk);
	/* The chain is not sent: KSeF finds issuers itself, and the official
	 * clients send the signer's certificate alone. */
	sk_X509_pop_free(ca, X509_free);
	if (key == NULL || cert == NULL) {
		EVP_PKEY_free(key);
		X509_free(cert);
		return ksef__error_set(err, KSEF_EPARSE,
			"the PKCS#12 file holds no key with its certificate");
	}
	if ((error = signer_make(out, key, cert, err)) < 0) {
		EVP_PKEY_free(key);
		X509_free(cert);
	}
	return error;
}

void ksef_xades_signer_free(ksef_xades_signer *signer)
{
	if (signer == NULL)
		return;
	/* EVP_PKEY_free clears the key material as it frees it. */
	EVP_PKEY_free(signer->key);
	X509_free(signer->cert);
	free(signer);
}

const char *ksef_xades_signer_fingerprint(const ksef_xades_signer *signer)
{
	return signer ? signer->fingerprint : NULL;
}

/*
 * xmlsec, for signing and for xades_verify_sig.c
 */

/* Keep the first line of what libxml2 reports while xmlsec works (see
 * struct ksef__xades_quiet); the caller's handlers are put back after. */
static void KSEF__PRINTF(2, 3) quiet_note(void *ctx, const char *fmt, ...)
{
	struct ksef__xades_quiet *q = ctx;
	va_list ap;
	int n;

	if (q->used + 1 >= sizeof(q->first) || memchr(q->first, '\n', q->used))
		return;
	va_start(ap, fmt);
	n = vsnprintf(q->first + q->used, sizeof(q->first) - q->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		q->used += (size_t)n < sizeof(q->first) - q->used ?
			   (size_t)n : sizeof(q->first) - q->used - 1;
}

void ksef__xades_quiet_begin(struct ksef__xades_quiet *q)
{
	memset(q, 0, sizeof(*q));
	q->generic = xmlGenericError;
	q->generic_ctx = xmlGenericErrorContext;
	q->structured = xmlStructuredError;
	q->structured_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlSetGenericErrorFunc(q, quiet_note);
}

const char *ksef__xades_quiet_end(struct ksef__xades_quiet *q)
{
	char *nl = memchr(q->first, '\n', q->used);

	xmlSetGenericErrorFunc(q->generic_ctx, q->generic);
	xmlSetStructuredErrorFunc(q->structured_ctx, q->structured);
	if (nl != NULL)
		*nl = '\0';
	return q->first;
}

xmlSecKeyPtr ksef__xades_xmlsec_key(EVP_PKEY *pkey)
{
	xmlSecKeyDataPtr data;
	xmlSecKeyPtr key;

	/* A copy, not a reference: a failure while OpenSSL renews the key's
	 * RSA blinding would otherwise spoil every later signature with it
	 * (see ksef__pkey_copy). */
	if ((pkey = ksef__pkey_copy(pkey)) == NULL)
		return NULL;
	if ((data = xmlSecOpenSSLEvpKeyAdopt(pkey)) == NULL) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	if ((key = xmlSecKeyCreate()) == NULL) {
		xmlSecKeyDataDestroy(data);
		return NULL;
	}
	if (xmlSecKeySetValue(key, data) < 0) {
		xmlSecKeyDataDestroy(data);
		xmlSecKeyDestroy(key);
		return NULL;
	}
	return key;
}

/*
 * Signing
 */

/* The certificate's DER, Base64 in one line, as X509Certificate holds. */
static int cert_base64(ksef_buf *out, X509 *cert, ksef_error *err)
{
	unsigned char *der = NULL;
	int n = i2d_X509(cert, &der), error;

	if (n <= 0)
		return ksef__error_openssl(err, KSEF_ECRYPTO,
			"cannot encode the certificate");
	error = ksef_base64_encode(out, der, (size_t)n, err);
	OPENSSL_free(der);
	return error;
}

/* For X509IssuerName and for messages (declared in xades_int.h). */
char *ksef__xades_name_string(const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	char *data = NULL, *s = NULL;
	long n;

	if (bio == NULL)
		return NULL;
	for (int pass = 0; pass < 2 && s == NULL; pass++) {
		(void)BIO_reset(bio);
		if (X509_NAME_print_ex(bio, name, 0, flags) < 0)
			break;
		n = BIO_get_mem_data(bio, &data);
		if (n < 0 || (pass == 0 && ksef__xades_utf8_invalid_at(
			(unsigned char *)data, (size_t)n) != (size_t)n)) {
			flags = XN_FLAG_RFC2253;
			continue;
		}
		if ((s = malloc((size_t)n + 1)) != NULL) {
			memcpy(s, data, (size_t)n);
			s[n] = '\0';
		}
		break;
	}
	BIO_free(bio);
	ERR_clear_error();
	return s;
}

/*
 * The XAdES-BES qualifying properties in obj (a ds:Object): SigningTime
 * and SigningCertificate with the certificate's SHA-256 and its issuer
 * and serial, the shape the official C# client writes (SignatureService).
 */
static int add_qualifying_properties(xmlNode *obj, xmlNs *ds,
				     const ksef_xades_signer *signer,
				     time_t when, ksef_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char b64[EVP_MAX_MD_SIZE * 2], stamp[32];
	char *issuer = NULL, *serial = NULL;
	BIGNUM *bn = NULL;
	xmlNode *qp, *sp, *ssp, *sc, *cert, *dig, *is, *n;
	xmlNs *x;
	int error = 0;

	if (!X509_digest(signer->cert, EVP_sha256(), md, &mdlen) ||
	    EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen) <= 0)
		return ksef__error_openssl(err, KSEF_ECRYPTO,
			"cannot hash the certificate");
	issuer = ksef__xades_name_string(X509_get_issuer_name(signer->cert));
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(signer->cert), NULL);
	serial = bn ? BN_bn2dec(bn) : NULL;
	BN_free(bn);
	if (issuer == NULL || serial == NULL) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	ksef__xades_format_utc(stamp, when);

	error = KSEF_ENOMEM;
	if ((qp = xmlNewChild(obj, NULL, BAD_CAST "QualifyingProperties",
			      NULL)) == NULL ||
	    (x = xmlNewNs(qp, BAD_CAST KSEF__XADES_NS,
			  BAD_CAST "xades")) == NULL)
		goto oom;
	xmlSetNs(qp, x);
	if (xmlNewProp(qp, BAD_CAST "Target", BAD_CAST "#" SIGNATURE_ID) == NULL ||
	    (sp = xmlNewChild(qp, x, BAD_CAST "SignedProperties",
			      NULL)) == NULL ||
	    xmlNewProp(sp, BAD_CAST "Id", BAD_CAST SIGNED_PROPS_ID) == NULL ||
	    (ssp = xmlNewChild(sp, x, BAD_CAST "SignedSignatureProperties",
			       NULL)) == NULL ||
	    xmlNewTextChild(ssp, x, BAD_CAST "SigningTime",
			    BAD_CAST stamp) == NULL ||
	    (sc = xmlNewChild(ssp, x, BAD_CAST "SigningCertificate",
			      NULL)) == NULL ||
	    (cert = xmlNewChild(sc, x, BAD_CAST "Cert", NULL)) == NULL ||
	    (dig = xmlNewChild(cert, x, BAD_CAST "CertDigest", NULL)) == NULL ||
	    (n = xmlNewChild(dig, ds, BAD_CAST "DigestMethod", NULL)) == NULL ||
	    xmlNewProp(n, BAD_CAST "Algorithm", xmlSecHrefSha256) == NULL ||
	    xmlNewTextChild(dig, ds, BAD_CAST "DigestValue",
			    BAD_CAST b64) == NULL ||
	    (is = xmlNewChild(cert, x, BAD_CAST "IssuerSerial", NULL)) == NULL ||
	    xmlNewTextChild(is, ds, BAD_CAST "X509IssuerName",
			    BAD_CAST issuer) == NULL ||
	    xmlNewTextChild(is, ds, BAD_CAST "X509SerialNumber",
			    BAD_CAST serial) == NULL)
		goto oom;
	error = 0;
	goto done;
oom:
	error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
done:
	free(issuer);
	OPENSSL_free(serial);
	return error;
}

int ksef_xades_sign_auth_request(ksef_buf *out,
	const ksef_xades_auth_request *given, const ksef_xades_signer *signer,
	ksef_error *err)
{
	struct ksef__xades_request_copy copy;
	const ksef_xades_auth_request *req = &copy.req;
	xmlDoc *doc = NULL;
	xmlNode *root, *sig, *ref, *obj, *ki, *x509, *certnode;
	xmlSecDSigCtxPtr dsig = NULL;
	ksef_buf b64 = KSEF_BUF_INIT;
	struct ksef__xades_quiet q;
	unsigned long mark = ksef__alloc_failures();
	time_t when;
	int error, rc;

	if (out == NULL || signer == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"no output buffer or no signer");
	if ((error = ksef__xades_check_request(&copy, given, err)) < 0)
		return error;
	if ((error = ksef__dsig_init(err)) < 0)
		return error;
	ERR_clear_error();
	if ((error = ksef__xades_build_doc(&doc, req, err)) < 0)
		return error;
	root = xmlDocGetRootElement(doc);
	when = req->signing_time_ms != KSEF_TIME_UNSET ?
	       (time_t)ksef__ms_to_s(req->signing_time_ms) : time(NULL);

	/* Enveloped: the Signature is the root's last child, its first
	 * Reference is the whole document minus the Signature. */
	error = KSEF_ENOMEM;
	sig = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId,
		signer->family == KSEF__XADES_FAM_EC ?
			xmlSecTransformEcdsaSha256Id :
			xmlSecTransformRsaSha256Id,
		BAD_CAST SIGNATURE_ID, BAD_CAST "ds");
	if (sig == NULL)
		goto oom;
	if (xmlAddChild(root, sig) == NULL) {
		xmlFreeNode(sig);
		goto oom;
	}
	if ((ref = xmlSecTmplSignatureAddReference(sig,
			xmlSecTransformSha256Id, NULL, BAD_CAST "",
			NULL)) == NULL ||
	    xmlSecTmplReferenceAddTransform(ref,
			xmlSecTransformEnvelopedId) == NULL ||
	    xmlSecTmplReferenceAddTransform(ref,
			xmlSecTransformExclC14NId) == NULL ||
	    (ref = xmlSecTmplSignatureAddReference(sig,
			xmlSecTransformSha256Id, NULL,
			BAD_CAST "#" SIGNED_PROPS_ID,
			BAD_CAST KSEF__XADES_SIGNED_PROPERTIES_TYPE)) == NULL ||
	    xmlSecTmplReferenceAddTransform(ref,
			xmlSecTransformExclC14NId) == NULL ||
	    (obj = xmlSecTmplSignatureAddObject(sig, NULL, NULL,
						NULL)) == NULL)
		goto oom;
	if ((error = add_qualifying_properties(obj, sig->ns, signer, when,
					       err)) < 0)
		goto done;
	/* The SignedProperties reference resolves through the Id. */
	xmlSecAddIDs(doc, sig, ksef__xades_dsig_ids);

	if ((dsig = xmlSecDSigCtxCreate(NULL)) == NULL)
		goto oom;
	dsig->enabledReferenceUris = xmlSecTransformUriTypeEmpty |
				     xmlSecTransformUriTypeSameDocument;
	if ((dsig->signKey = ksef__xades_xmlsec_key(signer->key)) == NULL)
		goto oom;
	ksef__xades_quiet_begin(&q);
	rc = xmlSecDSigCtxSign(dsig, sig);
	(void)ksef__xades_quiet_end(&q);
	if (rc < 0 || dsig->status != xmlSecDSigStatusSucceeded) {
		/* xmlsec's own messages go to xmldsig.c's error callback;
		 * OpenSSL's queue still says why a key operation failed. */
		error = ksef__error_openssl(err, KSEF_ECRYPTO,
					    "cannot sign the request");
		error = ksef__alloc_check(error, mark, err);
		goto done;
	}
	/* KeyInfo is written after signing: nothing signs it (the XAdES
	 * SigningCertificate binds the certificate), so xmlsec need not
	 * know it, and the certificate is exactly the signer's. */
	if ((error = cert_base64(&b64, signer->cert, err)) < 0)
		goto done;
	error = KSEF_ENOMEM;
	if ((ki = xmlSecTmplSignatureEnsureKeyInfo(sig, NULL)) == NULL ||
	    (x509 = xmlSecTmplKeyInfoAddX509Data(ki)) == NULL ||
	    (certnode = xmlSecTmplX509DataAddCertificate(x509)) == NULL)
		goto oom;
	xmlNodeSetContent(certnode, b64.ptr);
	/* libxml2 and xmlsec go on past some allocations they could not
	 * make (an ID, a node's text): what they signed or wrote may then
	 * be short of the request. */
	if (ksef__alloc_failures() != mark)
		goto oom;
	error = ksef__xades_dump_doc(out, doc, 0, err);
	goto done;
oom:
	error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
done:
	if (dsig != NULL)
		xmlSecDSigCtxDestroy(dsig);
	ksef_buf_dispose(&b64);
	xmlFreeDoc(doc);
	return error;
}
