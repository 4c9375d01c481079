/*
 * xades_verify.c - owns verifying a posted XAdES authentication document
 * on a server (SPEC 4.4, uwierzytelnianie.md, auth/podpis-xades.md): the
 * order of the checks, the document's encoding and frame, the request's
 * fields, what the signing certificate says about its holder, and the
 * ksef_xades_verified result with its accessors.
 *
 * DESIGN
 *
 * Parsing untrusted XML belongs to xml.c (ksef__xml_parse: no DTD, no
 * network, bounded size); xmlsec's one-time set-up and its error callback
 * to xmldsig.c (ksef__dsig_init), whose UPO signature shape is a cousin of
 * this one but whose verifier trusts a certificate its caller passes,
 * where this one must find and judge the certificate in the document.
 * This file decides what a valid document is, in the order a person
 * debugging a refusal wants to hear about it: size, encoding,
 * well-formedness, root, how many signatures and where, the request's
 * fields (checked by hand against xades_request.c's patterns, because the
 * published auth XSDs do not work in libxml2: SPEC 13 #26), the
 * signature's shape and algorithms, the certificate, and only then the
 * cryptography. Each step names what it refuses, since opaque XAdES
 * errors are what users of peer libraries complain about most.
 *
 * The signature's shape, the choice of the certificate that signed and
 * the fenced cryptographic check are xades_verify_sig.c's; this file calls
 * them in that order. Judging the key is xades_sign.c's.
 *
 * Certificate chains, revocation and whether a challenge was issued are
 * the server's (ksefd's) business; this file reports what it found.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/tree.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "ksef/limits.h"
#include "ksef/xades.h"
#include "ident.h"
#include "alloc.h"
#include "internal.h"
#include "options.h"
#include "xades_int.h"
#include "xml.h"
#include "xmldsig.h"

#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* Longest text of the fields read from a request: the longest NipVatUe
 * is a NIP, a dash, a country and 12 characters. Anything longer cannot
 * match a pattern, so it is refused before it is copied anywhere. */
#define FIELD_MAX 64

struct ksef_xades_verified {
	ksef_xades_auth_ns ns;
	char challenge[37];
	ksef_context_type context_type;
	char context_value[FIELD_MAX + 1];
	ksef_xades_subject_type subject_type;
	int has_policy;
	ksef_client_ip_policy policy;
	/* The policy's lists point into these: addresses, ranges, masks. */
	char *ips[3][KSEF_XADES_MAX_IPS];
	size_t nips[3];

	char nip[11];
	char pesel[12];
	int is_seal;
	char fingerprint[KSEF_XADES_FINGERPRINT_LEN + 1];
	char *subject;
	time_t not_before;
	time_t not_after;
	int self_signed;
	unsigned char *der;
	size_t der_len;
	char *signing_time;
};

/*
 * Small helpers
 */

static int ascii_ieq(const char *a, size_t alen, const char *b)
{
	size_t i;

	if (alen != strlen(b))
		return 0;
	for (i = 0; i < alen; i++) {
		int x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'a' && x <= 'z')
			x -= 'a' - 'A';
		if (y >= 'a' && y <= 'z')
			y -= 'a' - 'A';
		if (x != y)
			return 0;
	}
	return 1;
}

/* Seconds since the epoch of an ASN.1 time, without timegm (not POSIX)
 * and without the process's time zone. */
static int asn1_to_time(time_t *out, const ASN1_TIME *t)
{
	struct tm tm;
	int64_t secs;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	secs = ksef__time_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1,
					  tm.tm_mday) * 86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	/* Only a 32-bit time_t can fail this, for dates past 2038. */
	if ((int64_t)(time_t)secs != secs)
		return -1;
	*out = (time_t)secs;
	return 0;
}

static int line_at(const unsigned char *p, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off; i++)
		if (p[i] == '\n' && line < INT_MAX)
			line++;
	return line;
}

/*
 * The document's encoding and frame
 */

/*
 * KSeF requires UTF-8 (21217 otherwise). The parser is told the document
 * is UTF-8 whatever it declares, so a declaration of anything else, a
 * UTF-16 byte order mark or a byte sequence that is not UTF-8 is refused
 * here, by name, before it can be misread.
 */
static int check_encoding(const unsigned char *p, size_t len,
			  ksef_error *err)
{
	size_t i, end, bad;

	if (len >= 2 && ((p[0] == 0xFE && p[1] == 0xFF) ||
			 (p[0] == 0xFF && p[1] == 0xFE)))
		return ksef__error_set_line(err, KSEF_EXADES_ENCODING, 1,
			"document is UTF-16 (it starts with a byte order "
			"mark); KSeF requires UTF-8");
	if (len >= 2 && (p[0] == 0 || p[1] == 0))
		return ksef__error_set_line(err, KSEF_EXADES_ENCODING, 1,
			"document is UTF-16 or UTF-32; KSeF requires UTF-8");
	i = len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
	if (len - i >= 6 && memcmp(p + i, "<?xml", 5) == 0 &&
	    ksef__xades_is_xml_space(p[i + 5])) {
		for (end = i; end + 1 < len && end < i + 256; end++)
			if (p[end] == '?' && p[end + 1] == '>')
				break;
		for (size_t k = i + 5; k + 8 < end; k++) {
			size_t v, q;

			if (memcmp(p + k, "encoding", 8) != 0 ||
			    !ksef__xades_is_xml_space(p[k - 1]))
				continue;
			v = k + 8;
			while (v < end && ksef__xades_is_xml_space(p[v]))
				v++;
			if (v >= end || p[v] != '=')
				break;
			v++;
			while (v < end && ksef__xades_is_xml_space(p[v]))
				v++;
			if (v >= end || (p[v] != '"' && p[v] != '\''))
				break;
			for (q = v + 1; q < end && p[q] != p[v]; q++)
				;
			if (q >= end)
				break;
			if (!ascii_ieq((const char *)p + v + 1, q - v - 1,
				       "UTF-8"))
				return ksef__error_set_line(err,
					KSEF_EXADES_ENCODING, line_at(p, k),
					"document declares encoding \"%.*s\"; "
					"KSeF requires UTF-8",
					(int)(q - v - 1 > 40 ? 40 : q - v - 1),
					(const char *)p + v + 1);
			break;
		}
	}
	if ((bad = ksef__xades_utf8_invalid_at(p, len)) != len)
		return ksef__error_set_line(err, KSEF_EXADES_ENCODING,
			line_at(p, bad), p[bad] == 0 ?
			"document has a NUL byte at offset %zu" :
			"document is not valid UTF-8 at byte offset %zu", bad);
	return 0;
}

/* Every ds:Signature in the document, counting past the first. */
static void find_signatures(xmlNode *n, xmlNode **first, size_t *count)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (ksef__xades_is_el(n, KSEF__DSIG_NS, "Signature")) {
			if (*count == 0)
				*first = n;
			(*count)++;
		}
		find_signatures(n->children, first, count);
	}
}

/* Root, namespace, signature count and place: the document's frame.
 * *sig_out is left NULL when there is no signature. */
static int check_frame(struct ksef_xades_verified *v, xmlNode **sig_out,
		       xmlDoc *doc, ksef_error *err)
{
	xmlNode *root = xmlDocGetRootElement(doc), *sig = NULL;
	const char *ns;
	size_t count = 0;

	if (root == NULL)
		return ksef__error_set(err, KSEF_EPARSE, "document is empty");
	ns = root->ns && root->ns->href ? (const char *)root->ns->href : NULL;
	if (ksef__xades_is_el(root, KSEF__DSIG_NS, "Signature"))
		return ksef__error_set_line(err, KSEF_EFORMAT,
			ksef__xades_line_of(root), "the root is ds:Signature "
			"(an enveloping signature); this verifier accepts "
			"AuthTokenRequest with an enveloped signature only");
	if (strcmp((const char *)root->name, "AuthTokenRequest") != 0)
		return ksef__error_set_line(err, KSEF_EFORMAT,
			ksef__xades_line_of(root), "the root element is "
			"<%.60s>, not <AuthTokenRequest>",
			(const char *)root->name);
	if (ns != NULL && strcmp(ns, KSEF__XADES_NS_AUTH_20) == 0)
		v->ns = KSEF_XADES_AUTH_NS_2_0;
	else if (ns != NULL && strcmp(ns, KSEF__XADES_NS_AUTH_21) == 0)
		v->ns = KSEF_XADES_AUTH_NS_2_1;
	else
		return ksef__error_set_line(err, KSEF_EFORMAT,
			ksef__xades_line_of(root), "AuthTokenRequest is in the "
			"namespace \"%.80s\", not " KSEF__XADES_NS_AUTH_20
			" or " KSEF__XADES_NS_AUTH_21, ns ? ns : "");

	/* Several signatures, or one out of place, are reported before the
	 * fields are read (a misplaced one would read as a field's stray
	 * element); a missing one after, so that an unsigned draft still
	 * hears what is wrong with its fields. */
	find_signatures(root, &sig, &count);
	if (count == 0)
		return 0;
	if (count > 1)
		return ksef__error_set(err, KSEF_EXADES_MANYSIG,
			"the document has %zu ds:Signature elements; exactly "
			"one is allowed", count);
	if (sig->parent != root)
		return ksef__error_set_line(err, KSEF_EXADES_NOT_ENVELOPED,
			ksef__xades_line_of(sig), "ds:Signature is inside "
			"<%.60s>; an enveloped signature is a child of "
			"AuthTokenRequest", (const char *)sig->parent->name);
	*sig_out = sig;
	return 0;
}

/*
 * The request's fields
 */

static int blank(const xmlChar *s)
{
	if (s == NULL)
		return 1;
	for (; *s; s++)
		if (!ksef__xades_is_xml_space(*s))
			return 0;
	return 1;
}

/*
 * The next element child at or after n, refusing text that is not white
 * space (the schema's content is element-only). Comments are allowed;
 * processing instructions never reach the tree (xml.c).
 */
static int next_el(xmlNode **out, xmlNode *n, const char *where,
		   ksef_error *err)
{
	for (; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE)
			break;
		if ((n->type == XML_TEXT_NODE ||
		     n->type == XML_CDATA_SECTION_NODE) && !blank(n->content))
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				ksef__xades_line_of(n), "<%s> has text outside "
				"its elements", where);
	}
	*out = n;
	return 0;
}

/* Only xsi: attributes (always allowed by XSD) and none the schema does
 * not declare: it declares none. */
static int no_attributes(const xmlNode *el, ksef_error *err)
{
	for (const xmlAttr *a = el->properties; a != NULL; a = a->next) {
		if (a->ns != NULL && a->ns->href != NULL &&
		    strcmp((const char *)a->ns->href, NS_XSI) == 0)
			continue;
		return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
			ksef__xades_line_of(el), "<%s> has the attribute '%s', "
			"which the auth schema does not allow", el->name,
			a->name);
	}
	return 0;
}

/*
 * The text of a simple-typed element into out (size FIELD_MAX + 1). For
 * xsd:token, white space is collapsed first, as the schema's patterns
 * apply to the collapsed value; xsd:string is taken as written.
 */
static int simple_text(char out[FIELD_MAX + 1], size_t *len,
		       const xmlNode *el, int token, ksef_error *err)
{
	xmlChar *text;
	size_t n = 0, i;
	int error;

	if ((error = no_attributes(el, err)) < 0)
		return error;
	for (const xmlNode *c = el->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				ksef__xades_line_of(c), "<%s> must hold text "
				"only, not <%s>", el->name, c->name);
	if ((text = xmlNodeGetContent(el)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	for (i = 0; text[i] != '\0'; i++) {
		int c = text[i];

		if (token && ksef__xades_is_xml_space(c)) {
			if (n == 0 || out[n - 1] == ' ')
				continue;
			c = ' ';
		}
		if (n == FIELD_MAX) {
			xmlFree(text);
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				ksef__xades_line_of(el), "<%s> is over %d "
				"characters, longer than its pattern allows",
				el->name, FIELD_MAX);
		}
		out[n++] = (char)c;
	}
	xmlFree(text);
	if (token && n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	*len = n;
	return 0;
}

static int pattern_error(const xmlNode *el, const char *pattern,
			 ksef_error *err)
{
	return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
		ksef__xades_line_of(el), "<%s> does not match the auth "
		"schema's pattern %s", el->name, pattern);
}

static int read_context(struct ksef_xades_verified *v, xmlNode *ctx,
			const char *ns, ksef_error *err)
{
	static const char *const shapes[] = {
		"[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}",
		"<NIP>-\\d{5}",
		"<NIP>-<EU VAT number>",
		"P[A-Z]{2}[0-9]{6}",
	};
	xmlNode *c, *extra;
	size_t n;
	int error, k;

	if ((error = no_attributes(ctx, err)) < 0 ||
	    (error = next_el(&c, ctx->children, "ContextIdentifier",
			     err)) < 0)
		return error;
	if (c == NULL)
		return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
			ksef__xades_line_of(ctx), "<ContextIdentifier> is "
			"empty; it needs one of Nip, InternalId, NipVatUe, "
			"PeppolId");
	for (k = 0; k < 4; k++)
		if (ksef__xades_is_el(c, ns, ksef__xades_context_names[k]))
			break;
	if (k == 4)
		return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
			ksef__xades_line_of(c), "<ContextIdentifier> holds "
			"<%s>; it must be one of Nip, InternalId, NipVatUe, "
			"PeppolId in the request's namespace", c->name);
	if ((error = next_el(&extra, c->next, "ContextIdentifier", err)) < 0)
		return error;
	if (extra != NULL)
		return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
			ksef__xades_line_of(extra), "<ContextIdentifier> holds "
			"a second element <%s>; it is a choice of one",
			extra->name);
	/* xsd:string: no white space is stripped before the pattern. */
	if ((error = simple_text(v->context_value, &n, c, 0, err)) < 0)
		return error;
	if (!ksef__xades_context_patterns[k](v->context_value, n))
		return pattern_error(c, shapes[k], err);
	v->context_type = (ksef_context_type)k;
	return 0;
}

static int read_policy(struct ksef_xades_verified *v, xmlNode *pol,
		       const char *ns, ksef_error *err)
{
	static const char *const shapes[] = {
		"for an IPv4 address", "for an IPv4 range (a.b.c.d-e.f.g.h)",
		"for an IPv4 mask (a.b.c.d/n)"
	};
	xmlNode *ips, *c, *extra;
	char text[FIELD_MAX + 1];
	size_t n;
	int error, k = 0;

	if ((error = no_attributes(pol, err)) < 0 ||
	    (error = next_el(&ips, pol->children, "AuthorizationPolicy",
			     err)) < 0)
		return error;
	if (!ksef__xades_is_el(ips, ns, "AllowedIps"))
		return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
			ksef__xades_line_of(ips ? ips : pol),
			"<AuthorizationPolicy> must hold <AllowedIps>");
	if ((error = next_el(&extra, ips->next, "AuthorizationPolicy",
			     err)) < 0)
		return error;
	if (extra != NULL)
		return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
			ksef__xades_line_of(extra), "unexpected <%s> after "
			"<AllowedIps>", extra->name);
	if ((error = no_attributes(ips, err)) < 0)
		return error;
	v->has_policy = 1;
	for (c = ips->children;; c = c->next) {
		if ((error = next_el(&c, c, "AllowedIps", err)) < 0)
			return error;
		if (c == NULL)
			break;
		/* xsd:sequence: all addresses, then ranges, then masks. */
		while (k < 3 &&
		       !ksef__xades_is_el(c, ns, ksef__xades_ip_names[k]))
			k++;
		if (k == 3)
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				ksef__xades_line_of(c), "<AllowedIps> holds "
				"<%s> where only Ip4Address, Ip4Range, Ip4Mask "
				"may be, in that order", c->name);
		if (v->nips[k] == KSEF_XADES_MAX_IPS)
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				ksef__xades_line_of(c), "more than %d <%s> "
				"(KSEF_XADES_MAX_IPS)", KSEF_XADES_MAX_IPS,
				ksef__xades_ip_names[k]);
		if ((error = simple_text(text, &n, c, 1, err)) < 0)
			return error;
		if (!ksef__xades_ip_patterns[k](text, n))
			return pattern_error(c, shapes[k], err);
		if ((v->ips[k][v->nips[k]] = strdup(text)) == NULL)
			return ksef__error_set(err, KSEF_ENOMEM,
					       "out of memory");
		v->nips[k]++;
	}
	v->policy.version = KSEF_CLIENT_IP_POLICY_VERSION;
	v->policy.addresses = (const char *const *)v->ips[0];
	v->policy.address_count = v->nips[0];
	v->policy.ranges = (const char *const *)v->ips[1];
	v->policy.range_count = v->nips[1];
	v->policy.masks = (const char *const *)v->ips[2];
	v->policy.mask_count = v->nips[2];
	return 0;
}

/*
 * The request's fields, as the auth XSD's xsd:sequence says: Challenge,
 * ContextIdentifier, SubjectIdentifierType, then an optional
 * AuthorizationPolicy. The XSD has no place for ds:Signature, so one
 * between them is passed over here (where it may be is decided later).
 */
static int read_content(struct ksef_xades_verified *v, xmlNode *root,
			const char *ns, ksef_error *err)
{
	static const char *const names[] = {
		"Challenge", "ContextIdentifier", "SubjectIdentifierType",
		"AuthorizationPolicy"
	};
	xmlNode *kids[4] = { NULL, NULL, NULL, NULL }, *c;
	char text[FIELD_MAX + 1];
	size_t n;
	int error, pos = 0, k;

	if ((error = no_attributes(root, err)) < 0)
		return error;
	for (c = root->children;; c = c->next) {
		if ((error = next_el(&c, c, "AuthTokenRequest", err)) < 0)
			return error;
		if (c == NULL)
			break;
		if (ksef__xades_is_el(c, KSEF__DSIG_NS, "Signature"))
			continue;
		for (k = 0; k < 4; k++)
			if (ksef__xades_is_el(c, ns, names[k]))
				break;
		if (k == 4)
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				ksef__xades_line_of(c), "unexpected element "
				"<%s>%s%s%s in AuthTokenRequest", c->name,
				c->ns ? " in namespace " : "",
				c->ns ? (const char *)c->ns->href : "",
				c->ns ? "" : " without a namespace");
		if (k < pos)
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				ksef__xades_line_of(c), "<%s> is repeated or "
				"out of order; the order is Challenge, "
				"ContextIdentifier, SubjectIdentifierType, "
				"AuthorizationPolicy", c->name);
		if (k > pos)
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				ksef__xades_line_of(c), "<%s> is missing "
				"before <%s>", names[pos], c->name);
		kids[k] = c;
		pos = k + 1;
	}
	for (k = 0; k < 3; k++)
		if (kids[k] == NULL)
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				ksef__xades_line_of(root), "AuthTokenRequest "
				"has no <%s>", names[k]);

	if ((error = simple_text(text, &n, kids[0], 1, err)) < 0)
		return error;
	if (!ksef__xades_challenge_ok(text, n))
		return pattern_error(kids[0],
			"\\d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2}", err);
	memcpy(v->challenge, text, n + 1);
	if ((error = read_context(v, kids[1], ns, err)) < 0)
		return error;
	if ((error = simple_text(text, &n, kids[2], 1, err)) < 0)
		return error;
	if (strcmp(text, ksef__xades_subject_names[0]) == 0)
		v->subject_type = KSEF_XADES_SUBJECT_CERTIFICATE;
	else if (strcmp(text, ksef__xades_subject_names[1]) == 0)
		v->subject_type = KSEF_XADES_SUBJECT_FINGERPRINT;
	else
		return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
			ksef__xades_line_of(kids[2]), "<SubjectIdentifierType> "
			"must be certificateSubject or certificateFingerprint");
	if (kids[3] != NULL && (error = read_policy(v, kids[3], ns, err)) < 0)
		return error;
	return 0;
}

/*
 * The signing certificate: when it is valid, and whom it names
 */

static int check_validity(X509 *cert, time_t now, ksef_error *err)
{
	time_t t;
	char when[32];
	int r;

	r = X509_cmp_time(X509_get0_notBefore(cert), &now);
	if (r == 0)
		return ksef__error_set(err, KSEF_EXADES_CERT,
			"the certificate's notBefore cannot be read");
	if (r > 0) {
		if (asn1_to_time(&t, X509_get0_notBefore(cert)) < 0)
			t = 0;
		ksef__xades_format_utc(when, t);
		return ksef__error_set(err, KSEF_EXADES_CERT_NOT_YET,
			"the signing certificate is not valid until %s", when);
	}
	r = X509_cmp_time(X509_get0_notAfter(cert), &now);
	if (r == 0)
		return ksef__error_set(err, KSEF_EXADES_CERT,
			"the certificate's notAfter cannot be read");
	if (r < 0) {
		if (asn1_to_time(&t, X509_get0_notAfter(cert)) < 0)
			t = 0;
		ksef__xades_format_utc(when, t);
		return ksef__error_set(err, KSEF_EXADES_CERT_EXPIRED,
			"the signing certificate expired on %s", when);
	}
	return 0;
}

/* A certificate that says what its key is for (keyUsage) must allow
 * signatures: digitalSignature, or nonRepudiation as qualified
 * certificates carry (RFC 5280 4.2.1.3). One issued for encryption only
 * does not authenticate anybody. */
static int check_key_usage(X509 *cert, ksef_error *err)
{
	if (!(X509_get_extension_flags(cert) & EXFLAG_KUSAGE) ||
	    (X509_get_key_usage(cert) &
	     (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0)
		return 0;
	return ksef__error_set(err, KSEF_EXADES_CERT,
		"the signing certificate's keyUsage allows no signature "
		"(neither digitalSignature nor nonRepudiation)");
}

/*
 * podpis-xades.md's subject patterns, as the regexes
 * (PNOPL|PESEL).*?(\d{11}), (TINPL|NIP).*?(\d{10}) and
 * (VATPL).*?(\d{10}) search: the earliest prefix, then the first run of
 * that many digits after it. Writes the digits and a NUL to out.
 */
static int find_id(char *out, const char *s, size_t n,
		   const char *const *prefixes, size_t np, size_t digits)
{
	size_t best = n, blen = 0;

	for (size_t k = 0; k < np; k++) {
		size_t pl = strlen(prefixes[k]);

		for (size_t i = 0; i + pl <= n && i < best; i++)
			if (memcmp(s + i, prefixes[k], pl) == 0) {
				best = i;
				blen = pl;
				break;
			}
	}
	if (best == n)
		return 0;
	for (size_t i = best + blen; i + digits <= n; i++)
		if (ksef__xades_all_digits(s + i, digits)) {
			memcpy(out, s + i, digits);
			out[digits] = '\0';
			return 1;
		}
	return 0;
}

/* What the certificate says about its holder (podpis-xades.md). */
static int read_identity(struct ksef_xades_verified *v, X509 *cert,
			 ksef_error *err)
{
	static const char *const pesel_p[] = { "PNOPL", "PESEL" };
	static const char *const nip_p[] = { "TINPL", "NIP" };
	static const char *const vat_p[] = { "VATPL" };
	const X509_NAME *name = X509_get_subject_name(cert);
	char serial_nip[11] = "", org_nip[11] = "";
	int person = 0, has_org = 0;

	for (int i = 0; i < X509_NAME_entry_count(name); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		unsigned char *u = NULL;
		int n;

		if (nid == NID_givenName || nid == NID_surname) {
			person = 1;
			continue;
		}
		if (nid != NID_serialNumber && nid != NID_organizationIdentifier)
			continue;
		n = ASN1_STRING_to_UTF8(&u,
			X509_NAME_ENTRY_get_data((X509_NAME_ENTRY *)e));
		if (n < 0 && ksef__openssl_nomem())
			/* Skipped, it would lose the signer's NIP. */
			return ksef__error_openssl(err, KSEF_ENOMEM,
				"the certificate's subject cannot be read");
		if (n < 0) {
			ERR_clear_error();
			continue;
		}
		if (nid == NID_serialNumber) {
			if (v->pesel[0] == '\0')
				find_id(v->pesel, (char *)u, (size_t)n,
					pesel_p, 2, 11);
			if (serial_nip[0] == '\0')
				find_id(serial_nip, (char *)u, (size_t)n,
					nip_p, 2, 10);
		} else {
			has_org = 1;
			if (org_nip[0] == '\0')
				find_id(org_nip, (char *)u, (size_t)n,
					vat_p, 1, 10);
		}
		OPENSSL_free(u);
	}
	/* A seal has an organizationIdentifier and no person's names; only
	 * then does its VATPL number identify the signer. */
	v->is_seal = has_org && !person;
	if (v->is_seal && org_nip[0] != '\0')
		memcpy(v->nip, org_nip, sizeof(v->nip));
	else if (serial_nip[0] != '\0')
		memcpy(v->nip, serial_nip, sizeof(v->nip));
	if ((v->subject = ksef__xades_name_string(name)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

static int read_cert_facts(struct ksef_xades_verified *v, X509 *cert,
			   ksef_error *err)
{
	unsigned char *der = NULL;
	int n, error;

	if ((error = ksef__xades_fingerprint(v->fingerprint, cert, err)) < 0)
		return error;
	if (asn1_to_time(&v->not_before, X509_get0_notBefore(cert)) < 0 ||
	    asn1_to_time(&v->not_after, X509_get0_notAfter(cert)) < 0)
		return ksef__error_set(err, KSEF_EXADES_CERT,
			"the certificate's validity dates cannot be read");
	v->self_signed = X509_self_signed(cert, 1) == 1;
	ERR_clear_error();
	if ((n = i2d_X509(cert, &der)) <= 0)
		return ksef__error_openssl(err, KSEF_ECRYPTO,
			"cannot encode the certificate");
	if ((v->der = malloc((size_t)n)) == NULL) {
		OPENSSL_free(der);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	memcpy(v->der, der, (size_t)n);
	v->der_len = (size_t)n;
	OPENSSL_free(der);
	return read_identity(v, cert, err);
}

/*
 * Verifying
 */

static void verified_free_fields(struct ksef_xades_verified *v)
{
	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < v->nips[k]; i++)
			free(v->ips[k][i]);
	free(v->subject);
	free(v->der);
	free(v->signing_time);
}

void ksef_xades_verified_free(ksef_xades_verified *v)
{
	if (v == NULL)
		return;
	verified_free_fields(v);
	free(v);
}

/* The bytes of each version of ksef_xades_verify_options (options.h). */
static const size_t verify_options_sizes[] = {
	KSEF__OPTIONS_END(ksef_xades_verify_options,
			  allow_plain_xmldsig), /* 1 */
};
KSEF__OPTIONS_SIZES(verify_options_sizes, KSEF_XADES_VERIFY_OPTIONS_VERSION);

int ksef_xades_verify_auth_request(ksef_xades_verified **out,
	const unsigned char *xml, size_t len,
	const ksef_xades_verify_options *given, ksef_error *err)
{
	ksef_xades_verify_options copy = KSEF_XADES_VERIFY_OPTIONS_INIT,
				  *opts = &copy;
	struct ksef_xades_verified *v = NULL;
	X509 *certs[KSEF_XADES_MAX_CERTS] = { NULL };
	X509 *cert = NULL;
	xmlDoc *doc = NULL;
	xmlNode *sig = NULL;
	struct ksef__xades_scan s;
	unsigned long mark = ksef__alloc_failures();
	size_t max, i;
	time_t now;
	int error, fam;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output pointer");
	*out = NULL;
	if (given != NULL &&
	    (error = KSEF__OPTIONS_COPY(&copy, given, verify_options_sizes,
					KSEF_XADES_VERIFY_OPTIONS_VERSION,
					"ksef_xades_verify_options", err)) < 0)
		return error;
	if (xml == NULL && len > 0)
		return ksef__error_set(err, KSEF_EINVAL, "no document bytes");
	max = opts->max_bytes ? opts->max_bytes : KSEF_XADES_AUTH_MAX_BYTES;
	if (len > max)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"document is %zu bytes, over the limit of %zu "
			"(KSEF_XADES_AUTH_MAX_BYTES)", len, max);
	if (len == 0)
		return ksef__error_set(err, KSEF_EPARSE, "document is empty");
	if ((error = check_encoding(xml, len, err)) < 0)
		return error;
	if ((error = ksef__dsig_init(err)) < 0)
		return error;
	if ((error = ksef__xml_parse(&doc, NULL, xml, len, max, err)) < 0)
		return error;
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = check_frame(v, &sig, doc, err)) < 0)
		goto done;
	if ((error = read_content(v, xmlDocGetRootElement(doc),
				  v->ns == KSEF_XADES_AUTH_NS_2_1 ?
				  KSEF__XADES_NS_AUTH_21 :
				  KSEF__XADES_NS_AUTH_20, err)) < 0)
		goto done;
	if (sig == NULL) {
		error = ksef__error_set(err, KSEF_EXADES_NOSIG,
			"the document has no ds:Signature (Brak podpisu)");
		goto done;
	}
	if ((error = ksef__xades_scan_signature(&s, sig,
			opts->allow_plain_xmldsig, err)) < 0)
		goto done;
	for (i = 0; i < s.ncerts; i++)
		if ((error = ksef__xades_read_cert(&certs[i], s.certs[i],
						   i + 1, err)) < 0)
			goto done;
	if ((error = ksef__xades_choose_cert(&cert, &s, certs, err)) < 0)
		goto done;
	if ((fam = ksef__xades_key_family(X509_get0_pubkey(cert),
			"the signing certificate's", err)) < 0) {
		error = fam;
		goto done;
	}
	if (fam != s.sign_alg->family) {
		error = ksef__error_set(err, KSEF_EXADES_ALGORITHM,
			"SignatureMethod is %s but the certificate's key is %s",
			s.sign_alg->name,
			fam == KSEF__XADES_FAM_RSA ? "RSA" : "EC");
		goto done;
	}
	if ((error = ksef__xades_check_sigvalue_size(&s, cert, fam, err)) < 0 ||
	    (error = check_key_usage(cert, err)) < 0)
		goto done;
	now = opts->now_ms != KSEF_TIME_UNSET ?
	      (time_t)ksef__ms_to_s(opts->now_ms) : time(NULL);
	if (!opts->ignore_validity &&
	    (error = check_validity(cert, now, err)) < 0)
		goto done;
	if ((error = ksef__xades_verify_crypto(&s, cert, err)) < 0)
		goto done;
	if ((error = read_cert_facts(v, cert, err)) < 0)
		goto done;
	if (s.signing_time != NULL) {
		xmlChar *t = xmlNodeGetContent(s.signing_time);

		if (t == NULL || (v->signing_time = strdup((char *)t)) == NULL) {
			xmlFree(t);
			error = ksef__error_set(err, KSEF_ENOMEM,
						"out of memory");
			goto done;
		}
		xmlFree(t);
	}
	/* What libxml2 or xmlsec read while short of memory may be short
	 * of the document. */
	if (ksef__alloc_failures() != mark) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	*out = v;
	v = NULL;
done:
	for (i = 0; i < KSEF_XADES_MAX_CERTS; i++)
		X509_free(certs[i]);
	ksef_xades_verified_free(v);
	xmlFreeDoc(doc);
	ERR_clear_error();
	/* A signature is not called bad because xmlsec ran out of memory:
	 * the server would refuse for good what a retry would take. */
	return ksef__alloc_check(error, mark, err);
}

int ksef_xades_exception_code(int error)
{
	switch (error) {
	case KSEF_EXADES_NOSIG: return 9102;
	case KSEF_EXADES_MANYSIG: return 9103;
	case KSEF_EXADES_NOT_ENVELOPED:
	case KSEF_EXADES_STRUCTURE:
	case KSEF_EXADES_ALGORITHM:
	case KSEF_EXADES_DIGEST:
	case KSEF_EXADES_SIGVALUE: return 9105;
	case KSEF_EXADES_CERT:
	case KSEF_EXADES_CERT_EXPIRED:
	case KSEF_EXADES_CERT_NOT_YET: return 21115;
	case KSEF_EXADES_ENCODING: return 21217;
	case KSEF_EXADES_CONTENT: return 21401;
	case KSEF_EFORMAT: return 9101;
	case KSEF_EPARSE: return 21001;
	case KSEF_ETOOBIG: return 21405;
	default: return 0;
	}
}

/*
 * Accessors
 */

ksef_xades_auth_ns ksef_xades_verified_ns_version(const ksef_xades_verified *v)
{
	return v ? v->ns : KSEF_XADES_AUTH_NS_2_0;
}

const char *ksef_xades_verified_challenge(const ksef_xades_verified *v)
{
	return v ? v->challenge : NULL;
}

ksef_context_type ksef_xades_verified_context_type(
	const ksef_xades_verified *v)
{
	return v ? v->context_type : KSEF_CONTEXT_NIP;
}

const char *ksef_xades_verified_context_value(const ksef_xades_verified *v)
{
	return v ? v->context_value : NULL;
}

ksef_xades_subject_type ksef_xades_verified_subject_type(
	const ksef_xades_verified *v)
{
	return v ? v->subject_type : KSEF_XADES_SUBJECT_CERTIFICATE;
}

const ksef_client_ip_policy *ksef_xades_verified_ip_policy(
	const ksef_xades_verified *v)
{
	return v && v->has_policy ? &v->policy : NULL;
}

const char *ksef_xades_verified_cert_nip(const ksef_xades_verified *v)
{
	return v && v->nip[0] ? v->nip : NULL;
}

const char *ksef_xades_verified_cert_pesel(const ksef_xades_verified *v)
{
	return v && v->pesel[0] ? v->pesel : NULL;
}

int ksef_xades_verified_cert_is_seal(const ksef_xades_verified *v)
{
	return v ? v->is_seal : 0;
}

const char *ksef_xades_verified_cert_fingerprint(const ksef_xades_verified *v)
{
	return v ? v->fingerprint : NULL;
}

const char *ksef_xades_verified_cert_subject(const ksef_xades_verified *v)
{
	return v ? v->subject : NULL;
}

int64_t ksef_xades_verified_cert_not_before(const ksef_xades_verified *v)
{
	return v ? (int64_t)v->not_before * 1000 : 0;
}

int64_t ksef_xades_verified_cert_not_after(const ksef_xades_verified *v)
{
	return v ? (int64_t)v->not_after * 1000 : 0;
}

int ksef_xades_verified_cert_self_signed(const ksef_xades_verified *v)
{
	return v ? v->self_signed : 0;
}

const unsigned char *ksef_xades_verified_cert_der(
	const ksef_xades_verified *v, size_t *len)
{
	if (len != NULL)
		*len = v ? v->der_len : 0;
	return v ? v->der : NULL;
}

const char *ksef_xades_verified_signing_time(const ksef_xades_verified *v)
{
	return v ? v->signing_time : NULL;
}
