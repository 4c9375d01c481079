/*
 * xades_verify_sig.c - owns judging the one ds:Signature of a posted
 * AuthTokenRequest (auth/podpis-xades.md): its shape and algorithms,
 * which certificate in it signed, and the cryptographic check.
 *
 * DESIGN
 *
 * The cryptographic check is xmlsec's, but fenced: before xmlsec sees the
 * signature, every algorithm is matched against podpis-xades.md's lists
 * and every Reference against what this document needs (one covering the
 * whole document with the enveloped-signature transform, one covering the
 * XAdES SignedProperties), and xmlsec itself is limited to same-document
 * references and to those transforms. The key is taken from the
 * certificate this file chose (the one the XAdES SigningCertificate
 * names), never looked up by xmlsec, so the certificate reported is the
 * certificate that verified.
 *
 * The order of the checks, the request's fields, and what the chosen
 * certificate says about its holder and when it is valid, are
 * xades_verify.c's; it calls the steps here one by one. Judging the key
 * (families and sizes) and the glue between OpenSSL keys and xmlsec are
 * xades_sign.c's; xmlsec's set-up and error callback are xmldsig.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/hash.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/crypto.h>
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "ksef/xades.h"
#include "internal.h"
#include "xades_int.h"
#include "xmldsig.h"

#define NS_FILTER2 "http://www.w3.org/2002/06/xmldsig-filter2"

#define URI_SHA1 "http://www.w3.org/2000/09/xmldsig#sha1"
#define URI_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"
#define URI_SHA384 "http://www.w3.org/2001/04/xmldsig-more#sha384"
#define URI_SHA512 "http://www.w3.org/2001/04/xmlenc#sha512"
#define URI_SHA3_256 "http://www.w3.org/2007/05/xmldsig-more#sha3-256"
#define URI_SHA3_384 "http://www.w3.org/2007/05/xmldsig-more#sha3-384"
#define URI_SHA3_512 "http://www.w3.org/2007/05/xmldsig-more#sha3-512"
#define URI_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define URI_BASE64 "http://www.w3.org/2000/09/xmldsig#base64"
#define URI_XPATH "http://www.w3.org/TR/1999/REC-xpath-19991116"
#define URI_FILTER2 NS_FILTER2

/* The most ds:SignatureValue bytes any accepted key makes (RSA-8192). */
#define SIGVALUE_MAX 1024

/*
 * The algorithms podpis-xades.md lists
 */

static const struct ksef__xades_alg sign_algs[] = {
	{ "http://www.w3.org/2000/09/xmldsig#rsa-sha1", "rsa-sha1",
	  KSEF__XADES_FAM_RSA, 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "rsa-sha256",
	  KSEF__XADES_FAM_RSA, 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", "rsa-sha384",
	  KSEF__XADES_FAM_RSA, 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", "rsa-sha512",
	  KSEF__XADES_FAM_RSA, 1 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha1-rsa-MGF1", "RSASSA-PSS",
	  KSEF__XADES_FAM_RSA, 0 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
	  "RSASSA-PSS", KSEF__XADES_FAM_RSA, 0 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1",
	  "RSASSA-PSS", KSEF__XADES_FAM_RSA, 0 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1",
	  "RSASSA-PSS", KSEF__XADES_FAM_RSA, 0 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha3-256-rsa-MGF1",
	  "RSASSA-PSS", KSEF__XADES_FAM_RSA, 0 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha3-384-rsa-MGF1",
	  "RSASSA-PSS", KSEF__XADES_FAM_RSA, 0 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha3-512-rsa-MGF1",
	  "RSASSA-PSS", KSEF__XADES_FAM_RSA, 0 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1", "ecdsa-sha1",
	  KSEF__XADES_FAM_EC, 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "ecdsa-sha256",
	  KSEF__XADES_FAM_EC, 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", "ecdsa-sha384",
	  KSEF__XADES_FAM_EC, 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", "ecdsa-sha512",
	  KSEF__XADES_FAM_EC, 1 },
	{ "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-256",
	  "ecdsa-sha3-256", KSEF__XADES_FAM_EC, 0 },
	{ "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-384",
	  "ecdsa-sha3-384", KSEF__XADES_FAM_EC, 0 },
	{ "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-512",
	  "ecdsa-sha3-512", KSEF__XADES_FAM_EC, 0 },
};

static const struct ksef__xades_alg digest_algs[] = {
	{ URI_SHA1, "sha1", 0, 1 },
	{ URI_SHA256, "sha256", 0, 1 },
	{ URI_SHA384, "sha384", 0, 1 },
	{ URI_SHA512, "sha512", 0, 1 },
	{ URI_SHA3_256, "sha3-256", 0, 0 },
	{ URI_SHA3_384, "sha3-384", 0, 0 },
	{ URI_SHA3_512, "sha3-512", 0, 0 },
};

static const char *const c14n_algs[] = {
	"http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
	"http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
	"http://www.w3.org/2006/12/xml-c14n11",
	"http://www.w3.org/2006/12/xml-c14n11#WithComments",
	"http://www.w3.org/2001/10/xml-exc-c14n#",
	"http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
};

static const struct ksef__xades_alg *find_alg(
	const struct ksef__xades_alg *t, size_t n, const char *uri)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].uri, uri) == 0)
			return &t[i];
	return NULL;
}

static int is_c14n(const char *uri)
{
	for (size_t i = 0; i < sizeof(c14n_algs) / sizeof(c14n_algs[0]); i++)
		if (strcmp(c14n_algs[i], uri) == 0)
			return 1;
	return 0;
}

/*
 * Reading the signature's elements
 */

/* Base64 text of an element, white space (line breaks) removed, decoded
 * strictly. */
static int element_base64(ksef_buf *out, xmlNode *el, size_t max,
			  ksef_error *err)
{
	xmlChar *t = xmlNodeGetContent(el);
	size_t n = 0;
	int error;

	if (t == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	for (size_t i = 0; t[i] != '\0'; i++)
		if (!ksef__xades_is_xml_space(t[i]))
			t[n++] = t[i];
	error = ksef_base64_decode(out, (const char *)t, n, max, err);
	xmlFree(t);
	return error;
}

/* The Algorithm attribute of el, which must exist. */
static int algorithm_of(char **out, xmlNode *el, ksef_error *err)
{
	xmlChar *a = xmlGetNoNsProp(el, BAD_CAST "Algorithm");

	if (a == NULL)
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			ksef__xades_line_of(el), "<ds:%s> has no Algorithm",
			el->name);
	*out = (char *)a;
	return 0;
}

/* The first element child of el at or after n, any namespace. */
static xmlNode *el_from(xmlNode *n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

/* The trimmed text of el equals want, with the ds prefix it uses bound
 * to the XML-DSig namespace at el. */
static int xpath_text_is(xmlNode *el, const char *const *wants, size_t nw)
{
	xmlChar *t = xmlNodeGetContent(el);
	xmlNs *ds = xmlSearchNs(el->doc, el, BAD_CAST "ds");
	size_t a = 0, b;
	int ok = 0;

	if (t == NULL)
		return 0;
	b = strlen((char *)t);
	while (a < b && ksef__xades_is_xml_space(t[a]))
		a++;
	while (b > a && ksef__xades_is_xml_space(t[b - 1]))
		b--;
	if (ds != NULL && ds->href != NULL &&
	    strcmp((const char *)ds->href, KSEF__DSIG_NS) == 0)
		for (size_t i = 0; i < nw && !ok; i++)
			ok = strlen(wants[i]) == b - a &&
			     memcmp(t + a, wants[i], b - a) == 0;
	xmlFree(t);
	return ok;
}

/*
 * The signature's shape
 */

/*
 * One ds:Transform of Reference number `idx`. Each must be one
 * podpis-xades.md allows, and the two filtering ones may only remove the
 * signature: a free XPath could drop the Challenge from what is signed
 * while the signature still verifies.
 */
static int check_transform(xmlNode *t, size_t idx, int whole_doc,
			   ksef_error *err)
{
	static const char *const xpath_ok[] = {
		"not(ancestor-or-self::ds:Signature)"
	};
	static const char *const filter2_ok[] = {
		"/descendant::ds:Signature", "//ds:Signature",
		"here()/ancestor::ds:Signature[1]"
	};
	char *alg = NULL;
	xmlNode *x;
	int error = 0;

	if ((error = algorithm_of(&alg, t, err)) < 0)
		return error;
	if (is_c14n(alg) || strcmp(alg, URI_ENVELOPED) == 0) {
		/* allowed as they are */
	} else if (strcmp(alg, URI_BASE64) == 0) {
		if (whole_doc)
			error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
				ksef__xades_line_of(t), "Reference %zu covers "
				"the document through a base64 transform, "
				"which would leave its structure unsigned",
				idx);
	} else if (strcmp(alg, URI_XPATH) == 0) {
		x = el_from(t->children);
		if (!ksef__xades_is_el(x, KSEF__DSIG_NS, "XPath") ||
		    el_from(x->next) != NULL ||
		    !xpath_text_is(x, xpath_ok, 1))
			error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
				ksef__xades_line_of(t), "Reference %zu has an "
				"XPath transform other than "
				"not(ancestor-or-self::ds:Signature), the only "
				"one podpis-xades.md allows", idx);
	} else if (strcmp(alg, URI_FILTER2) == 0) {
		x = el_from(t->children);
		if (x == NULL)
			error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
				ksef__xades_line_of(t), "Reference %zu has an "
				"empty XPath filter 2.0 transform", idx);
		for (; x != NULL && error == 0; x = el_from(x->next)) {
			xmlChar *f = xmlGetNoNsProp(x, BAD_CAST "Filter");
			int ok = ksef__xades_is_el(x, NS_FILTER2, "XPath") &&
				 f != NULL &&
				 strcmp((char *)f, "subtract") == 0 &&
				 xpath_text_is(x, filter2_ok, 3);

			xmlFree(f);
			if (!ok)
				error = ksef__error_set_line(err,
					KSEF_EXADES_ALGORITHM,
					ksef__xades_line_of(x), "Reference %zu "
					"has an XPath filter 2.0 other than "
					"subtracting the signature "
					"(Filter=\"subtract\" of "
					"/descendant::ds:Signature)", idx);
		}
	} else {
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			ksef__xades_line_of(t), "Reference %zu uses the "
			"transform %.100s, which podpis-xades.md does not "
			"allow", idx, alg);
	}
	xmlFree(alg);
	return error;
}

static int check_digest_method(xmlNode *dm, const char *what, size_t idx,
			       ksef_error *err)
{
	const struct ksef__xades_alg *a;
	char *alg = NULL;
	int error;

	if ((error = algorithm_of(&alg, dm, err)) < 0)
		return error;
	a = find_alg(digest_algs, sizeof(digest_algs) / sizeof(digest_algs[0]),
		     alg);
	if (a == NULL)
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			ksef__xades_line_of(dm), "%s %zu uses the digest "
			"%.100s, which podpis-xades.md does not allow", what,
			idx, alg);
	else if (!a->here)
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			ksef__xades_line_of(dm), "%s %zu uses %s, which KSeF "
			"accepts but this build (xmlsec %s) cannot verify",
			what, idx, a->name, XMLSEC_VERSION);
	xmlFree(alg);
	return error;
}

/*
 * One ds:Reference. Only references inside the document are accepted:
 * a missing URI or one naming another resource is a detached signature,
 * which podpis-xades.md refuses.
 */
static int check_reference(xmlNode *ref, size_t idx,
			   int *whole_doc, xmlChar **uri_out, ksef_error *err)
{
	xmlChar *uri = xmlGetNoNsProp(ref, BAD_CAST "URI");
	ksef_buf digest = KSEF_BUF_INIT;
	xmlNode *c, *t;
	size_t nt = 0, n;
	int error;

	*uri_out = NULL;
	if (uri == NULL)
		return ksef__error_set_line(err, KSEF_EXADES_NOT_ENVELOPED,
			ksef__xades_line_of(ref), "Reference %zu has no URI, "
			"so it signs data outside the document; detached "
			"signatures are not accepted (podpis-xades.md)", idx);
	if (uri[0] != '\0' && uri[0] != '#') {
		error = ksef__error_set_line(err, KSEF_EXADES_NOT_ENVELOPED,
			ksef__xades_line_of(ref), "Reference %zu points "
			"outside the document (URI=\"%.60s\"); detached "
			"signatures are not accepted (podpis-xades.md)", idx,
			(char *)uri);
		xmlFree(uri);
		return error;
	}
	*whole_doc = uri[0] == '\0' ||
		     strcmp((char *)uri, "#xpointer(/)") == 0;
	*uri_out = uri;

	c = el_from(ref->children);
	if (ksef__xades_is_el(c, KSEF__DSIG_NS, "Transforms")) {
		for (t = el_from(c->children); t != NULL;
		     t = el_from(t->next)) {
			if (!ksef__xades_is_el(t, KSEF__DSIG_NS, "Transform"))
				return ksef__error_set_line(err,
					KSEF_EXADES_STRUCTURE,
					ksef__xades_line_of(t), "Reference "
					"%zu: <%s> in ds:Transforms", idx,
					t->name);
			if (++nt > KSEF_XADES_MAX_TRANSFORMS)
				return ksef__error_set_line(err,
					KSEF_EXADES_STRUCTURE,
					ksef__xades_line_of(t), "Reference %zu "
					"has more than %d transforms "
					"(KSEF_XADES_MAX_TRANSFORMS)", idx,
					KSEF_XADES_MAX_TRANSFORMS);
			if ((error = check_transform(t, idx, *whole_doc,
						     err)) < 0)
				return error;
		}
		c = el_from(c->next);
	}
	if (!ksef__xades_is_el(c, KSEF__DSIG_NS, "DigestMethod"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			ksef__xades_line_of(ref), "Reference %zu has no "
			"ds:DigestMethod", idx);
	if ((error = check_digest_method(c, "Reference", idx, err)) < 0)
		return error;
	c = el_from(c->next);
	if (!ksef__xades_is_el(c, KSEF__DSIG_NS, "DigestValue"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			ksef__xades_line_of(ref), "Reference %zu has no "
			"ds:DigestValue", idx);
	error = element_base64(&digest, c, EVP_MAX_MD_SIZE, err);
	n = digest.size;
	ksef_buf_dispose(&digest);
	if (error == KSEF_ENOMEM)
		return error;
	if (error < 0 || n == 0)
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			ksef__xades_line_of(c), "Reference %zu: ds:DigestValue "
			"is not Base64 of a digest", idx);
	return 0;
}

/* The Id attribute of el, borrowed from the tree, or NULL. */
static const xmlChar *id_of(xmlNode *el)
{
	xmlAttr *a = xmlHasNsProp(el, BAD_CAST "Id", NULL);

	return a && a->children && a->children->type == XML_TEXT_NODE ?
	       a->children->content : NULL;
}

/*
 * Ids inside the signature must be unique: a second element with the
 * SignedProperties' Id is how a wrapping attack makes the verifier check
 * one copy while the reader reads the other.
 */
static int unique_ids(xmlNode *n, xmlHashTablePtr seen, ksef_error *err)
{
	int error;

	for (; n != NULL; n = n->next) {
		const xmlChar *id;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if ((id = id_of(n)) != NULL &&
		    xmlHashAddEntry(seen, id, n) != 0)
			return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				ksef__xades_line_of(n), "the Id \"%.60s\" "
				"appears twice in the signature",
				(const char *)id);
		if ((error = unique_ids(n->children, seen, err)) < 0)
			return error;
	}
	return 0;
}

/* ds:Object/xades:QualifyingProperties: exactly one SignedProperties. */
static int scan_xades(struct ksef__xades_scan *s, xmlNode *obj,
		      ksef_error *err)
{
	xmlNode *qp, *sp, *ssp, *c;

	for (qp = el_from(obj->children); qp != NULL; qp = el_from(qp->next)) {
		if (!ksef__xades_is_el(qp, KSEF__XADES_NS,
				       "QualifyingProperties"))
			continue;
		for (sp = el_from(qp->children); sp != NULL;
		     sp = el_from(sp->next)) {
			if (!ksef__xades_is_el(sp, KSEF__XADES_NS,
					       "SignedProperties"))
				continue;
			if (s->signed_props != NULL)
				return ksef__error_set_line(err,
					KSEF_EXADES_STRUCTURE,
					ksef__xades_line_of(sp), "the "
					"signature has more than one "
					"xades:SignedProperties");
			s->signed_props = sp;
			ssp = el_from(sp->children);
			if (!ksef__xades_is_el(ssp, KSEF__XADES_NS,
					       "SignedSignatureProperties"))
				continue;
			for (c = el_from(ssp->children); c != NULL;
			     c = el_from(c->next)) {
				if (ksef__xades_is_el(c, KSEF__XADES_NS,
						      "SigningTime"))
					s->signing_time = c;
				else if (ksef__xades_is_el(c, KSEF__XADES_NS,
						"SigningCertificate") ||
					 ksef__xades_is_el(c, KSEF__XADES_NS,
						"SigningCertificateV2"))
					s->signing_cert = c;
			}
		}
	}
	return 0;
}

/*
 * The shape of the signature, before any cryptography: SignedInfo with an
 * allowed canonicalisation and signature method, references that stay in
 * the document and cover it, a certificate in KeyInfo, and (for XAdES)
 * SignedProperties that a reference covers.
 */
int ksef__xades_scan_signature(struct ksef__xades_scan *s, xmlNode *sig,
			       int allow_plain, ksef_error *err)
{
	xmlNode *si, *sv, *ki = NULL, *c, *ref;
	xmlChar *uris[KSEF_XADES_MAX_REFERENCES];
	xmlHashTablePtr seen;
	char *alg = NULL;
	const xmlChar *props_id = NULL, *ki_id = NULL;
	size_t i;
	int error = 0, whole = 0, doc_refs = 0, props_ref = 0;

	memset(s, 0, sizeof(*s));
	s->sig = sig;
	if ((seen = xmlHashCreate(16)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	error = unique_ids(sig, seen, err);
	xmlHashFree(seen, NULL);
	if (error < 0)
		return error;
	/* "#SignedProperties" resolves through the registered Id; there is
	 * no DTD to declare it, and unique_ids() made it unambiguous. Only
	 * the signature's own Ids are registered: the request's elements
	 * carry no attributes, so nothing else could be referenced. */
	xmlSecAddIDs(sig->doc, sig, ksef__xades_dsig_ids);

	/* ds:Signature: SignedInfo, SignatureValue, KeyInfo?, Object*. */
	si = el_from(sig->children);
	if (!ksef__xades_is_el(si, KSEF__DSIG_NS, "SignedInfo"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			ksef__xades_line_of(sig), "ds:Signature does not start "
			"with ds:SignedInfo");
	sv = el_from(si->next);
	if (!ksef__xades_is_el(sv, KSEF__DSIG_NS, "SignatureValue"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			ksef__xades_line_of(sig), "ds:Signature has no "
			"ds:SignatureValue after ds:SignedInfo");
	{
		ksef_buf value = KSEF_BUF_INIT;

		error = element_base64(&value, sv, SIGVALUE_MAX, err);
		s->sigvalue_len = value.size;
		ksef_buf_dispose(&value);
		if (error == KSEF_ENOMEM)
			return error;
		if (error < 0 || s->sigvalue_len == 0)
			return ksef__error_set_line(err, KSEF_EXADES_SIGVALUE,
				ksef__xades_line_of(sv),
				"ds:SignatureValue is %s",
				error == KSEF_ETOOBIG ? "longer than any "
				"accepted key makes" : "not Base64");
	}
	for (c = el_from(sv->next); c != NULL; c = el_from(c->next)) {
		if (ksef__xades_is_el(c, KSEF__DSIG_NS, "KeyInfo") &&
		    ki == NULL) {
			ki = c;
		} else if (ksef__xades_is_el(c, KSEF__DSIG_NS, "Object")) {
			if ((error = scan_xades(s, c, err)) < 0)
				return error;
		} else {
			return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				ksef__xades_line_of(c), "unexpected <%s> in "
				"ds:Signature", c->name);
		}
	}

	/* SignedInfo: CanonicalizationMethod, SignatureMethod, Reference+. */
	c = el_from(si->children);
	if (!ksef__xades_is_el(c, KSEF__DSIG_NS, "CanonicalizationMethod"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			ksef__xades_line_of(si), "ds:SignedInfo has no "
			"ds:CanonicalizationMethod");
	if ((error = algorithm_of(&alg, c, err)) < 0)
		return error;
	if (!is_c14n(alg))
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			ksef__xades_line_of(c), "CanonicalizationMethod %.100s "
			"is not one podpis-xades.md allows", alg);
	xmlFree(alg);
	if (error < 0)
		return error;
	c = el_from(c->next);
	if (!ksef__xades_is_el(c, KSEF__DSIG_NS, "SignatureMethod"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			ksef__xades_line_of(si), "ds:SignedInfo has no "
			"ds:SignatureMethod");
	if ((error = algorithm_of(&alg, c, err)) < 0)
		return error;
	s->sign_alg = find_alg(sign_algs,
			       sizeof(sign_algs) / sizeof(sign_algs[0]), alg);
	if (s->sign_alg == NULL)
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			ksef__xades_line_of(c), "SignatureMethod %.100s is not "
			"one podpis-xades.md allows (RSA PKCS#1 v1.5, "
			"RSASSA-PSS or ECDSA)", alg);
	else if (!s->sign_alg->here)
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			ksef__xades_line_of(c), "SignatureMethod %s (%.100s) "
			"is accepted by KSeF but this build (xmlsec %s) cannot "
			"verify it", s->sign_alg->name, alg, XMLSEC_VERSION);
	xmlFree(alg);
	if (error < 0)
		return error;

	props_id = s->signed_props ? id_of(s->signed_props) : NULL;
	ki_id = ki ? id_of(ki) : NULL;
	for (ref = el_from(c->next); ref != NULL; ref = el_from(ref->next)) {
		if (!ksef__xades_is_el(ref, KSEF__DSIG_NS, "Reference")) {
			error = ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				ksef__xades_line_of(ref), "unexpected <%s> in "
				"ds:SignedInfo", ref->name);
			break;
		}
		if (s->nrefs == KSEF_XADES_MAX_REFERENCES) {
			error = ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				ksef__xades_line_of(ref), "ds:SignedInfo has "
				"more than %d references "
				"(KSEF_XADES_MAX_REFERENCES)",
				KSEF_XADES_MAX_REFERENCES);
			break;
		}
		error = check_reference(ref, s->nrefs + 1, &whole,
					&uris[s->nrefs], err);
		if (error < 0) {
			xmlFree(uris[s->nrefs]); /* NULL, or this one's URI */
			break;
		}
		if (!whole && uris[s->nrefs][0] == '#' &&
		    strncmp((char *)uris[s->nrefs], "#xpointer(", 10) != 0 &&
		    xmlGetID(sig->doc, uris[s->nrefs] + 1) == NULL) {
			error = ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				ksef__xades_line_of(ref), "Reference %zu "
				"points to \"%.60s\", which no element of the "
				"signature has as its Id", s->nrefs + 1,
				(char *)uris[s->nrefs]);
			s->nrefs++;
			break;
		}
		if (whole)
			doc_refs++;
		else if (props_id &&
			 strcmp((char *)uris[s->nrefs] + 1,
				(const char *)props_id) == 0)
			props_ref = 1;
		else if (ki_id &&
			 strcmp((char *)uris[s->nrefs] + 1,
				(const char *)ki_id) == 0)
			s->key_info_signed = 1;
		s->nrefs++;
	}
	for (i = 0; i < s->nrefs; i++)
		xmlFree(uris[i]);
	if (error < 0)
		return error;
	if (s->nrefs == 0)
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			ksef__xades_line_of(si), "ds:SignedInfo has no "
			"ds:Reference");
	if (doc_refs == 0)
		return ksef__error_set_line(err, KSEF_EXADES_NOT_ENVELOPED,
			ksef__xades_line_of(si), "no Reference has URI=\"\", "
			"so the AuthTokenRequest itself is not signed; the "
			"signature must be enveloped");

	/* XAdES-BES: SignedProperties, covered by a Reference, naming the
	 * signing certificate (or with KeyInfo itself signed). */
	if (s->signed_props == NULL) {
		if (!allow_plain)
			return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				ksef__xades_line_of(sig), "the signature has "
				"no xades:QualifyingProperties/SignedProperties"
				": it is plain XML-DSig, and KSeF requires "
				"XAdES");
	} else {
		if (props_id == NULL)
			return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				ksef__xades_line_of(s->signed_props),
				"xades:SignedProperties has no Id, so no "
				"Reference can sign it");
		/* The parser registers xml:id attributes by itself; an Id
		 * claimed first by another element would make the reference
		 * resolve there instead. */
		if (xmlGetID(sig->doc, props_id) == NULL ||
		    xmlGetID(sig->doc, props_id)->parent != s->signed_props)
			return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				ksef__xades_line_of(s->signed_props), "the Id "
				"\"%.60s\" of xades:SignedProperties also "
				"names another element",
				(const char *)props_id);
		if (!props_ref)
			return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				ksef__xades_line_of(s->signed_props), "no "
				"Reference covers xades:SignedProperties "
				"(URI=\"#%.60s\"), so the XAdES properties are "
				"not signed", (const char *)props_id);
		if (s->signing_cert == NULL && !s->key_info_signed)
			return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				ksef__xades_line_of(s->signed_props),
				"xades:SignedProperties names no "
				"SigningCertificate and KeyInfo is not signed, "
				"so nothing binds the certificate (XAdES-BES)");
	}

	/* KeyInfo/X509Data/X509Certificate: the signer's certificate must
	 * travel with the signature (KSeF has no other way to find it). */
	if (ki != NULL) {
		for (c = el_from(ki->children); c != NULL;
		     c = el_from(c->next)) {
			if (!ksef__xades_is_el(c, KSEF__DSIG_NS, "X509Data"))
				continue;
			for (xmlNode *x = el_from(c->children); x != NULL;
			     x = el_from(x->next)) {
				if (!ksef__xades_is_el(x, KSEF__DSIG_NS,
						       "X509Certificate"))
					continue;
				if (s->ncerts == KSEF_XADES_MAX_CERTS)
					return ksef__error_set_line(err,
						KSEF_EXADES_CERT,
						ksef__xades_line_of(x),
						"KeyInfo has more than %d "
						"certificates "
						"(KSEF_XADES_MAX_CERTS)",
						KSEF_XADES_MAX_CERTS);
				s->certs[s->ncerts++] = x;
			}
		}
	}
	if (s->ncerts == 0)
		return ksef__error_set_line(err, KSEF_EXADES_CERT,
			ksef__xades_line_of(ki ? ki : sig), "ds:KeyInfo "
			"carries no X509Certificate; the signer's certificate "
			"must be in the signature");
	return 0;
}

/*
 * The certificate that signed
 */

/* The certificate in X509Certificate number idx (1-based). */
int ksef__xades_read_cert(X509 **out, xmlNode *el, size_t idx, ksef_error *err)
{
	ksef_buf der = KSEF_BUF_INIT;
	const unsigned char *p;
	X509 *x;
	int error;

	*out = NULL;
	error = element_base64(&der, el, KSEF_CERT_MAX_BYTES, err);
	if (error == KSEF_ENOMEM)
		return error;
	if (error < 0 || der.size == 0) {
		ksef_buf_dispose(&der);
		return ksef__error_set_line(err, KSEF_EXADES_CERT,
			ksef__xades_line_of(el), "X509Certificate %zu is %s",
			idx, error == KSEF_ETOOBIG ?
			"over KSEF_CERT_MAX_BYTES" : "not Base64");
	}
	p = der.ptr;
	x = d2i_X509(NULL, &p, (long)der.size);
	/* One certificate and nothing after it. */
	if (x == NULL || p != der.ptr + der.size) {
		X509_free(x);
		ksef_buf_dispose(&der);
		ERR_clear_error();
		return ksef__error_set_line(err, KSEF_EXADES_CERT,
			ksef__xades_line_of(el), "X509Certificate %zu is not a "
			"readable DER certificate", idx);
	}
	ksef_buf_dispose(&der);
	*out = x;
	return 0;
}

static const EVP_MD *md_of(const char *uri)
{
	if (strcmp(uri, URI_SHA1) == 0) return EVP_sha1();
	if (strcmp(uri, URI_SHA256) == 0) return EVP_sha256();
	if (strcmp(uri, URI_SHA384) == 0) return EVP_sha384();
	if (strcmp(uri, URI_SHA512) == 0) return EVP_sha512();
	if (strcmp(uri, URI_SHA3_256) == 0) return EVP_sha3_256();
	if (strcmp(uri, URI_SHA3_384) == 0) return EVP_sha3_384();
	if (strcmp(uri, URI_SHA3_512) == 0) return EVP_sha3_512();
	return NULL;
}

/*
 * Whether cert is the one a xades:Cert's CertDigest names. Returns 1, 0,
 * or a negative code for a CertDigest that cannot be read.
 */
static int cert_digest_matches(xmlNode *certel, X509 *cert, ksef_error *err)
{
	xmlNode *cd = el_from(certel->children), *dm, *dv;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	ksef_buf want = KSEF_BUF_INIT;
	const EVP_MD *type;
	char *alg = NULL;
	int error, match;

	if (!ksef__xades_is_el(cd, KSEF__XADES_NS, "CertDigest") ||
	    !ksef__xades_is_el(dm = el_from(cd->children), KSEF__DSIG_NS,
			       "DigestMethod") ||
	    !ksef__xades_is_el(dv = el_from(dm->next), KSEF__DSIG_NS,
			       "DigestValue"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			ksef__xades_line_of(certel), "xades:Cert has no "
			"CertDigest with ds:DigestMethod and ds:DigestValue");
	if ((error = algorithm_of(&alg, dm, err)) < 0)
		return error;
	type = md_of(alg);
	if (type == NULL) {
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			ksef__xades_line_of(dm), "CertDigest uses the digest "
			"%.100s, which podpis-xades.md does not allow", alg);
		xmlFree(alg);
		return error;
	}
	xmlFree(alg);
	if ((error = element_base64(&want, dv, EVP_MAX_MD_SIZE, err)) < 0) {
		ksef_buf_dispose(&want);
		if (error == KSEF_ENOMEM)
			return error;
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			ksef__xades_line_of(dv), "CertDigest's DigestValue is "
			"not Base64 of a digest");
	}
	if (!X509_digest(cert, type, md, &mdlen)) {
		ksef_buf_dispose(&want);
		return ksef__error_openssl(err, KSEF_ECRYPTO,
			"cannot hash the certificate");
	}
	match = want.size == mdlen && CRYPTO_memcmp(want.ptr, md, mdlen) == 0;
	ksef_buf_dispose(&want);
	return match;
}

/*
 * Which KeyInfo certificate signed: the one the XAdES SigningCertificate
 * names (XAdES-BES's binding), else with KeyInfo signed or plain XML-DSig
 * allowed, the first. *out is one of certs, borrowed.
 */
int ksef__xades_choose_cert(X509 **out, const struct ksef__xades_scan *s,
			    X509 **certs, ksef_error *err)
{
	xmlNode *c;
	int r;

	*out = NULL;
	if (s->signing_cert == NULL) {
		*out = certs[0];
		return 0;
	}
	for (c = el_from(s->signing_cert->children); c != NULL;
	     c = el_from(c->next)) {
		if (!ksef__xades_is_el(c, KSEF__XADES_NS, "Cert"))
			continue;
		for (size_t i = 0; i < s->ncerts; i++) {
			if ((r = cert_digest_matches(c, certs[i], err)) < 0)
				return r;
			if (r == 1) {
				*out = certs[i];
				return 0;
			}
		}
		/* The first Cert is the signer's; the rest (if any) are
		 * its chain, which need not be in KeyInfo. */
		break;
	}
	return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
		ksef__xades_line_of(s->signing_cert), "the certificate named "
		"by xades:%s (its CertDigest) is not the one in ds:KeyInfo",
		s->signing_cert->name);
}

/*
 * A signature value has the length its key fixes: the modulus for RSA,
 * and for ECDSA R||S of two field-sized halves (podpis-xades.md, RFC
 * 4050) rather than the DER that some signers wrongly write.
 */
int ksef__xades_check_sigvalue_size(const struct ksef__xades_scan *s,
				    X509 *cert, int fam, ksef_error *err)
{
	EVP_PKEY *key = X509_get0_pubkey(cert);
	size_t want = fam == KSEF__XADES_FAM_EC ?
		      2 * (((size_t)EVP_PKEY_get_bits(key) + 7) / 8) :
		      (size_t)EVP_PKEY_get_size(key);

	if (s->sigvalue_len == want)
		return 0;
	if (fam == KSEF__XADES_FAM_EC)
		return ksef__error_set(err, KSEF_EXADES_SIGVALUE,
			"ds:SignatureValue is %zu bytes; an ECDSA signature "
			"with this %d-bit key is R||S, %zu bytes "
			"(podpis-xades.md)", s->sigvalue_len,
			EVP_PKEY_get_bits(key), want);
	return ksef__error_set(err, KSEF_EXADES_SIGVALUE,
		"ds:SignatureValue is %zu bytes; an RSA signature with this "
		"%d-bit key is %zu", s->sigvalue_len, EVP_PKEY_get_bits(key),
		want);
}

/*
 * The cryptographic check, fenced
 */

/* Restrict xmlsec to what ksef__xades_scan_signature() allowed, as a
 * second fence. */
static int enable_transforms(xmlSecDSigCtxPtr d)
{
	xmlSecTransformId refs[] = {
		xmlSecTransformEnvelopedId, xmlSecTransformInclC14NId,
		xmlSecTransformInclC14NWithCommentsId,
		xmlSecTransformInclC14N11Id,
		xmlSecTransformInclC14N11WithCommentsId,
		xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId,
		xmlSecTransformXPathId, xmlSecTransformXPath2Id,
		xmlSecTransformBase64Id, xmlSecTransformSha1Id,
		xmlSecTransformSha256Id, xmlSecTransformSha384Id,
		xmlSecTransformSha512Id,
	};
	xmlSecTransformId sigs[] = {
		xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId,
		xmlSecTransformInclC14N11Id,
		xmlSecTransformInclC14N11WithCommentsId,
		xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId,
		xmlSecTransformRsaSha1Id, xmlSecTransformRsaSha256Id,
		xmlSecTransformRsaSha384Id, xmlSecTransformRsaSha512Id,
		xmlSecTransformEcdsaSha1Id, xmlSecTransformEcdsaSha256Id,
		xmlSecTransformEcdsaSha384Id, xmlSecTransformEcdsaSha512Id,
	};

	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		if (xmlSecDSigCtxEnableReferenceTransform(d, refs[i]) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (xmlSecDSigCtxEnableSignatureTransform(d, sigs[i]) < 0)
			return -1;
	return 0;
}

/* Describe Reference ref for a message. */
static void describe_ref(char *out, size_t size, const xmlChar *uri,
			 const xmlChar *props_id)
{
	if (uri == NULL || uri[0] == '\0')
		snprintf(out, size, "the document (URI=\"\")");
	else if (strcmp((const char *)uri, "#xpointer(/)") == 0)
		snprintf(out, size, "the document (URI=\"#xpointer(/)\")");
	else if (props_id != NULL && uri[0] == '#' &&
		 strcmp((const char *)uri + 1, (const char *)props_id) == 0)
		snprintf(out, size, "xades:SignedProperties (URI=\"%.60s\")",
			 (const char *)uri);
	else
		snprintf(out, size, "URI=\"%.60s\"", (const char *)uri);
}

/* The cryptographic check, with the key of the chosen certificate. */
int ksef__xades_verify_crypto(const struct ksef__xades_scan *s, X509 *cert,
			      ksef_error *err)
{
	xmlSecDSigCtxPtr d;
	const xmlChar *props_id = s->signed_props ? id_of(s->signed_props) :
				  NULL;
	char what[120];
	struct ksef__xades_quiet q;
	const char *why;
	int rc, error = 0;

	if ((d = xmlSecDSigCtxCreate(NULL)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	/* Same-document references only (STYLE.md), manifests not followed,
	 * and only the algorithms podpis-xades.md lists. */
	d->enabledReferenceUris = xmlSecTransformUriTypeEmpty |
				  xmlSecTransformUriTypeSameDocument;
	d->flags |= XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
	if (enable_transforms(d) < 0) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	d->signKey = ksef__xades_xmlsec_key(X509_get0_pubkey(cert));
	if (d->signKey == NULL) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	ERR_clear_error();
	ksef__xades_quiet_begin(&q);
	rc = xmlSecDSigCtxVerify(d, s->sig);
	why = ksef__xades_quiet_end(&q);
	if (rc < 0) {
		if (*why != '\0')
			error = ksef__error_set(err, KSEF_EXADES_STRUCTURE,
				"the signature cannot be processed: %s", why);
		else
			error = ksef__error_openssl(err, KSEF_EXADES_STRUCTURE,
				"the signature cannot be processed");
		goto done;
	}
	if (d->status == xmlSecDSigStatusSucceeded)
		goto done;
	/* xmlsec stops at the first reference that fails; name it. */
	for (xmlSecSize i = 0; i < xmlSecPtrListGetSize(&d->signedInfoReferences);
	     i++) {
		xmlSecDSigReferenceCtxPtr r =
			xmlSecPtrListGetItem(&d->signedInfoReferences, i);

		if (r == NULL || r->status == xmlSecDSigStatusSucceeded)
			continue;
		describe_ref(what, sizeof(what), r->uri, props_id);
		error = ksef__error_set(err, KSEF_EXADES_DIGEST,
			"the digest of Reference %u, %s, does not match: it "
			"was changed after signing", (unsigned)i + 1, what);
		goto done;
	}
	error = ksef__error_set(err, KSEF_EXADES_SIGVALUE,
		"ds:SignatureValue does not verify with the certificate's "
		"key: ds:SignedInfo was changed, or another key signed it");
done:
	xmlSecDSigCtxDestroy(d);
	return error;
}
