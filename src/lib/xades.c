/*
 * xades.c - owns XAdES authentication documents (SPEC 4.4,
 * uwierzytelnianie.md, auth/podpis-xades.md): writing an AuthTokenRequest,
 * signing it enveloped in XAdES-BES, making TEST certificates like the
 * official clients' (auth/testowe-certyfikaty-i-podpisy-xades.md), and
 * verifying a posted document on a server.
 *
 * DESIGN
 *
 * Parsing untrusted XML belongs to xml.c (ksef__xml_parse: no DTD, no
 * network, bounded size); xmlsec's one-time set-up and its error callback
 * to xmldsig.c (ksef__dsig_init), whose UPO signature shape is a cousin of
 * this one but whose verifier trusts a certificate its caller passes,
 * where this one must find and judge the certificate in the document. This file decides what a valid document is, in the order
 * a person debugging a refusal wants to hear about it: size, encoding,
 * well-formedness, root, how many signatures and where, the request's
 * fields (checked by hand, because the published auth XSDs do not work in
 * libxml2: SPEC 13 #26), the signature's shape and algorithms, the
 * certificate, and only then the cryptography. Each step names what it
 * refuses, since opaque XAdES errors are what users of peer libraries
 * complain about most.
 *
 * The cryptographic check is xmlsec's, but fenced: before xmlsec sees the
 * signature, every algorithm is matched against podpis-xades.md's lists
 * and every Reference against what this document needs (one covering the
 * whole document with the enveloped-signature transform, one covering the
 * XAdES SignedProperties), and xmlsec itself is limited to same-document
 * references and to those transforms. The key is taken from the
 * certificate this file chose and checked (the one the XAdES
 * SigningCertificate names), never looked up by xmlsec, so the
 * certificate reported is the certificate that verified.
 *
 * Certificate chains, revocation and whether a challenge was issued are
 * the server's (ksefd's) business; this file reports what it found.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/globals.h>
#include <libxml/hash.h>
#include <libxml/tree.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/templates.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "ksef/xades.h"
#include "ident.h"
#include "internal.h"
#include "client_int.h"
#include "options.h"
#include "xml.h"
#include "xmldsig.h"

_Static_assert(KSEF_CERT_MAX_BYTES <= INT_MAX, "BIO takes an int");

#define NS_AUTH_20 "http://ksef.mf.gov.pl/auth/token/2.0"
#define NS_AUTH_21 "http://ksef.mf.gov.pl/auth/token/2.1"
#define NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define NS_XADES "http://uri.etsi.org/01903/v1.3.2#"
#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"
#define NS_FILTER2 "http://www.w3.org/2002/06/xmldsig-filter2"
#define XADES_SIGNED_PROPS_TYPE "http://uri.etsi.org/01903#SignedProperties"

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

/* The Ids this file writes; fixed, so that a signature made at a given
 * time with an RSA key is reproducible byte for byte. */
#define SIGNATURE_ID "Signature"
#define SIGNED_PROPS_ID "SignedProperties"

/* The attributes that are Ids in a signature (XAdES names them Id). */
static const xmlChar *dsig_ids[] = { BAD_CAST "Id", NULL };

/* podpis-xades.md: RSA keys of at least 2048 bits, curves of at least
 * 256 bits. */
#define RSA_MIN_BITS 2048
#define EC_MIN_BITS 256

/* Longest text of the fields read from a request: the longest NipVatUe
 * is a NIP, a dash, a country and 12 characters. Anything longer cannot
 * match a pattern, so it is refused before it is copied anywhere. */
#define FIELD_MAX 64

/* The key family an algorithm needs. */
enum { FAM_RSA = 1, FAM_EC = 2 };

struct ksef_xades_signer {
	EVP_PKEY *key;
	X509 *cert;
	int family; /* FAM_RSA or FAM_EC */
	char fingerprint[KSEF_XADES_FINGERPRINT_LEN + 1];
};

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

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static int is_xml_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit((unsigned char)s[i]))
			return 0;
	return 1;
}

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

/* "YYYY-MM-DDThh:mm:ssZ", the xsd:dateTime of SigningTime and of
 * messages about validity. */
static void format_utc(char out[32], time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%lld (epoch seconds)", (long long)t);
}

/* Offset of the first byte that is not UTF-8, or len if all are. */
static size_t utf8_invalid_at(const unsigned char *p, size_t len)
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

static int line_at(const unsigned char *p, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off; i++)
		if (p[i] == '\n' && line < INT_MAX)
			line++;
	return line;
}

/*
 * The patterns of the auth XSD (schemat_auth_v2-1.xsd), by hand. The 2.0
 * schema's IP patterns use \b and \/, which XSD regexes do not have, and
 * 2.1's NipVatUe and PeppolId carry a literal $ and ^ (SPEC 13 #26); the
 * checks below are what those patterns evidently mean. \d is taken as
 * ASCII digits only, which is all KSeF issues.
 */

static int nip_ok(const char *s, size_t n)
{
	return n == 10 && ksef__nip_pattern_ok(s);
}

/* \d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2}, length 36. */
static int challenge_ok(const char *s, size_t n)
{
	if (n != 36 || !all_digits(s, 8) || memcmp(s + 8, "-CR-", 4) != 0 ||
	    s[22] != '-' || s[33] != '-')
		return 0;
	for (size_t i = 12; i < 36; i++) {
		if (i == 22 || i == 33)
			continue;
		if (!ksef__number_is_uhex(s[i]))
			return 0;
	}
	return 1;
}

/* TIID: NIP-\d{5}. */
static int internal_id_ok(const char *s, size_t n)
{
	return n == 16 && nip_ok(s, 10) && s[10] == '-' &&
	       all_digits(s + 11, 5);
}

/* TPeppolId: P[A-Z]{2}[0-9]{6}. */
static int peppol_ok(const char *s, size_t n)
{
	return n == 9 && s[0] == 'P' && is_upper((unsigned char)s[1]) &&
	       is_upper((unsigned char)s[2]) && all_digits(s + 3, 6);
}

/*
 * The EU VAT numbers of TNipVatUE (from the VIES FAQ, Q11), one shape per
 * line: 'd' a digit, 'a' a letter A-Z, 'x' a letter or digit, 'p' that or
 * '+' or '*', 'b' 0 or 1; any other character stands for itself.
 */
static const struct vat_shape {
	const char *country;
	const char *shape;
} vat_shapes[] = {
	{ "AT", "Udddddddd" },
	{ "BE", "bddddddddd" },
	{ "BG", "ddddddddd" }, { "BG", "dddddddddd" },
	{ "CY", "dddddddda" },
	{ "CZ", "dddddddd" }, { "CZ", "ddddddddd" }, { "CZ", "dddddddddd" },
	{ "DE", "ddddddddd" },
	{ "DK", "dddddddd" },
	{ "EE", "ddddddddd" },
	{ "EL", "ddddddddd" },
	{ "ES", "adddddddd" }, { "ES", "dddddddda" }, { "ES", "addddddda" },
	{ "FI", "dddddddd" },
	{ "FR", "xxddddddddd" },
	{ "HR", "ddddddddddd" },
	{ "HU", "dddddddd" },
	{ "IE", "dddddddaa" }, { "IE", "dpddddda" },
	{ "IT", "ddddddddddd" },
	{ "LT", "ddddddddd" }, { "LT", "dddddddddddd" },
	{ "LU", "dddddddd" },
	{ "LV", "ddddddddddd" },
	{ "MT", "dddddddd" },
	{ "NL", "pppppppppppp" },
	{ "PT", "ddddddddd" },
	{ "RO", "dd" }, { "RO", "ddd" }, { "RO", "dddd" }, { "RO", "ddddd" },
	{ "RO", "dddddd" }, { "RO", "ddddddd" }, { "RO", "dddddddd" },
	{ "RO", "ddddddddd" }, { "RO", "dddddddddd" },
	{ "SE", "dddddddddddd" },
	{ "SI", "dddddddd" },
	{ "SK", "dddddddddd" },
	{ "XI", "ddddddddd" }, { "XI", "dddddddddddd" }, { "XI", "GDddd" },
	{ "XI", "HAddd" },
};

static int shape_ok(const char *s, size_t n, const char *shape)
{
	if (n != strlen(shape))
		return 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		switch (shape[i]) {
		case 'd': if (!is_digit(c)) return 0; break;
		case 'a': if (!is_upper(c)) return 0; break;
		case 'x': if (!is_upper(c) && !is_digit(c)) return 0; break;
		case 'p':
			if (!is_upper(c) && !is_digit(c) && c != '+' && c != '*')
				return 0;
			break;
		case 'b': if (c != '0' && c != '1') return 0; break;
		default: if (c != shape[i]) return 0; break;
		}
	}
	return 1;
}

/* TNipVatUE: NIP-<country><number>. */
static int nip_vat_ue_ok(const char *s, size_t n)
{
	if (n < 13 || !nip_ok(s, 10) || s[10] != '-')
		return 0;
	for (size_t i = 0; i < sizeof(vat_shapes) / sizeof(vat_shapes[0]);
	     i++) {
		const struct vat_shape *v = &vat_shapes[i];

		if (memcmp(s + 11, v->country, 2) == 0 &&
		    shape_ok(s + 13, n - 13, v->shape))
			return 1;
	}
	return 0;
}

/* One octet, 0-255 without leading zeros, as the XSD's alternation
 * 25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9] says. Returns the
 * characters used, or 0. */
static size_t octet_at(const char *s, size_t n, int max)
{
	size_t i = 0;
	int v = 0;

	while (i < n && i < 3 && is_digit((unsigned char)s[i]))
		v = v * 10 + (s[i++] - '0');
	if (i == 0 || (i > 1 && s[0] == '0') || v > max)
		return 0;
	return i;
}

/* A dotted IPv4 address at the start of s; returns its length or 0. */
static size_t ip4_at(const char *s, size_t n)
{
	size_t at = 0, k;

	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (at >= n || s[at] != '.')
				return 0;
			at++;
		}
		if ((k = octet_at(s + at, n - at, 255)) == 0)
			return 0;
		at += k;
	}
	return at;
}

static int ip4_address_ok(const char *s, size_t n)
{
	return ip4_at(s, n) == n && n > 0;
}

static int ip4_range_ok(const char *s, size_t n)
{
	size_t a = ip4_at(s, n);

	return a > 0 && a < n && s[a] == '-' &&
	       ip4_address_ok(s + a + 1, n - a - 1);
}

static int ip4_mask_ok(const char *s, size_t n)
{
	size_t a = ip4_at(s, n);

	return a > 0 && a < n && s[a] == '/' &&
	       octet_at(s + a + 1, n - a - 1, 32) == n - a - 1;
}

typedef int (*pattern_fn)(const char *, size_t);

static const char *const context_names[] = {
	"Nip", "InternalId", "NipVatUe", "PeppolId"
};
static const pattern_fn context_patterns[] = {
	nip_ok, internal_id_ok, nip_vat_ue_ok, peppol_ok
};
static const char *const ip_names[] = { "Ip4Address", "Ip4Range", "Ip4Mask" };
static const pattern_fn ip_patterns[] = {
	ip4_address_ok, ip4_range_ok, ip4_mask_ok
};
static const char *const subject_names[] = {
	"certificateSubject", "certificateFingerprint"
};

/*
 * Writing a request
 */

/* The bytes of each version of the options structs this file takes
 * (options.h). */
static const size_t request_sizes[] = {
	KSEF__OPTIONS_END(ksef_xades_auth_request, signing_time_ms), /* 1 */
};
KSEF__OPTIONS_SIZES(request_sizes, KSEF_XADES_AUTH_REQUEST_VERSION);
static const size_t cert_options_sizes[] = {
	KSEF__OPTIONS_END(ksef_xades_cert_options, not_after_ms), /* 1 */
};
KSEF__OPTIONS_SIZES(cert_options_sizes, KSEF_XADES_CERT_OPTIONS_VERSION);
static const size_t verify_options_sizes[] = {
	KSEF__OPTIONS_END(ksef_xades_verify_options,
			  allow_plain_xmldsig), /* 1 */
};
KSEF__OPTIONS_SIZES(verify_options_sizes, KSEF_XADES_VERIFY_OPTIONS_VERSION);

/* A caller's request and its IP policy, of whatever versions, as this
 * library's own structs (options.h). */
struct request_copy {
	ksef_xades_auth_request req;
	ksef_client_ip_policy policy;
};

/* Copy a caller's request into c, then check c->req. */
static int check_request(struct request_copy *c,
			 const ksef_xades_auth_request *given, ksef_error *err)
{
	static const ksef_xades_auth_request init =
		KSEF_XADES_AUTH_REQUEST_INIT;
	const ksef_xades_auth_request *req = &c->req;
	const ksef_client_ip_policy *p;
	size_t n;
	int error;

	if (given == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no request");
	c->req = init;
	if ((error = KSEF__OPTIONS_COPY(&c->req, given, request_sizes,
					KSEF_XADES_AUTH_REQUEST_VERSION,
					"ksef_xades_auth_request", err)) < 0)
		return error;
	if (c->req.ip_policy != NULL) {
		if ((error = ksef__client_ip_policy_copy(&c->policy,
				c->req.ip_policy, err)) < 0)
			return error;
		c->req.ip_policy = &c->policy;
	}
	if (req->challenge == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no challenge");
	if (!challenge_ok(req->challenge, strlen(req->challenge)))
		return ksef__error_set(err, KSEF_EFORMAT,
			"challenge does not match the auth schema's pattern "
			"\\d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2}");
	if ((unsigned)req->context_type > KSEF_CONTEXT_PEPPOL_ID)
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown context type %d", (int)req->context_type);
	if (req->context_value == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"no context identifier");
	n = strlen(req->context_value);
	if (!context_patterns[req->context_type](req->context_value, n))
		return ksef__error_set(err, KSEF_EFORMAT,
			"context identifier does not match the auth schema's "
			"pattern for <%s>", context_names[req->context_type]);
	if ((unsigned)req->subject_type > KSEF_XADES_SUBJECT_FINGERPRINT)
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown subject identifier type %d",
			(int)req->subject_type);
	if ((unsigned)req->ns_version > KSEF_XADES_AUTH_NS_2_1)
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown namespace version %d", (int)req->ns_version);
	if ((p = req->ip_policy) == NULL)
		return 0;
	for (int k = 0; k < 3; k++) {
		const char *const *list = k == 0 ? p->addresses :
					  k == 1 ? p->ranges : p->masks;
		size_t count = k == 0 ? p->address_count :
			       k == 1 ? p->range_count : p->mask_count;

		if (count > KSEF_XADES_MAX_IPS)
			return ksef__error_set(err, KSEF_EFORMAT,
				"%zu <%s> entries, over the schema's limit of "
				"%d (KSEF_XADES_MAX_IPS)", count, ip_names[k],
				KSEF_XADES_MAX_IPS);
		if (count > 0 && list == NULL)
			return ksef__error_set(err, KSEF_EINVAL,
				"no list for %zu <%s> entries", count,
				ip_names[k]);
		for (size_t i = 0; i < count; i++) {
			if (list[i] == NULL)
				return ksef__error_set(err, KSEF_EINVAL,
					"<%s> %zu is NULL", ip_names[k], i + 1);
			if (!ip_patterns[k](list[i], strlen(list[i])))
				return ksef__error_set(err, KSEF_EFORMAT,
					"<%s> %zu does not match the auth "
					"schema's pattern", ip_names[k], i + 1);
		}
	}
	return 0;
}

static int has_ips(const ksef_client_ip_policy *p)
{
	return p != NULL &&
	       (p->address_count + p->range_count + p->mask_count) > 0;
}

/* The unsigned document, as a tree; check_request() has passed. */
static int build_doc(xmlDoc **out, const ksef_xades_auth_request *req,
		     ksef_error *err)
{
	xmlDoc *doc;
	xmlNode *root, *ctx, *pol, *ips;
	xmlNs *ns;
	const ksef_client_ip_policy *p = req->ip_policy;

	*out = NULL;
	if ((doc = xmlNewDoc(BAD_CAST "1.0")) == NULL)
		goto oom;
	if ((root = xmlNewDocNode(doc, NULL, BAD_CAST "AuthTokenRequest",
				  NULL)) == NULL)
		goto oom;
	xmlDocSetRootElement(doc, root);
	ns = xmlNewNs(root, BAD_CAST(req->ns_version == KSEF_XADES_AUTH_NS_2_1 ?
				     NS_AUTH_21 : NS_AUTH_20), NULL);
	if (ns == NULL)
		goto oom;
	xmlSetNs(root, ns);
	/* xsd:sequence order: Challenge, ContextIdentifier,
	 * SubjectIdentifierType, AuthorizationPolicy. */
	if (xmlNewTextChild(root, ns, BAD_CAST "Challenge",
			    BAD_CAST req->challenge) == NULL)
		goto oom;
	if ((ctx = xmlNewChild(root, ns, BAD_CAST "ContextIdentifier",
			       NULL)) == NULL)
		goto oom;
	if (xmlNewTextChild(ctx, ns, BAD_CAST context_names[req->context_type],
			    BAD_CAST req->context_value) == NULL)
		goto oom;
	if (xmlNewTextChild(root, ns, BAD_CAST "SubjectIdentifierType",
			    BAD_CAST subject_names[req->subject_type]) == NULL)
		goto oom;
	if (has_ips(p)) {
		if ((pol = xmlNewChild(root, ns, BAD_CAST "AuthorizationPolicy",
				       NULL)) == NULL ||
		    (ips = xmlNewChild(pol, ns, BAD_CAST "AllowedIps",
				       NULL)) == NULL)
			goto oom;
		for (int k = 0; k < 3; k++) {
			const char *const *list = k == 0 ? p->addresses :
						  k == 1 ? p->ranges : p->masks;
			size_t count = k == 0 ? p->address_count :
				       k == 1 ? p->range_count : p->mask_count;

			for (size_t i = 0; i < count; i++)
				if (xmlNewTextChild(ips, ns,
						    BAD_CAST ip_names[k],
						    BAD_CAST list[i]) == NULL)
					goto oom;
		}
	}
	*out = doc;
	return 0;
oom:
	xmlFreeDoc(doc);
	return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
}

static int dump_doc(ksef_buf *out, xmlDoc *doc, int format, ksef_error *err)
{
	xmlChar *mem = NULL;
	int size = 0, error;
	ksef_buf tmp = KSEF_BUF_INIT;

	if (format)
		xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	else
		xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	if (mem == NULL || size <= 0) {
		xmlFree(mem);
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	}
	error = ksef__buf_put(&tmp, mem, (size_t)size, (size_t)size);
	xmlFree(mem);
	if (error < 0)
		return ksef__error_set(err, error, "out of memory");
	ksef__buf_swap_in(out, &tmp);
	return 0;
}

int ksef_xades_build_auth_request(ksef_buf *out,
	const ksef_xades_auth_request *given, ksef_error *err)
{
	struct request_copy copy;
	const ksef_xades_auth_request *req = &copy.req;
	xmlDoc *doc = NULL;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output buffer");
	if ((error = check_request(&copy, given, err)) < 0)
		return error;
	if ((error = build_doc(&doc, req, err)) < 0)
		return error;
	error = dump_doc(out, doc, 1, err);
	xmlFreeDoc(doc);
	return error;
}

/*
 * Signers
 */

/* PEM passphrases come only from the caller: OpenSSL's default would
 * prompt on the terminal, which a library must never do. */
static int passphrase_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pass = u;
	size_t n;

	(void)rwflag;
	if (pass == NULL || size <= 0)
		return 0;
	n = strlen(pass);
	if (n > (size_t)size)
		return 0;
	memcpy(buf, pass, n);
	return (int)n;
}

static int fingerprint_of(char out[KSEF_XADES_FINGERPRINT_LEN + 1], X509 *cert,
			  ksef_error *err)
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
 * The key families and sizes podpis-xades.md accepts. Returns FAM_RSA or
 * FAM_EC, or a KSEF_EXADES_CERT failure naming what is wrong.
 */
static int key_family(EVP_PKEY *key, const char *whose, ksef_error *err)
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
		return FAM_RSA;
	}
	if (EVP_PKEY_is_a(key, "EC")) {
		if (bits < EC_MIN_BITS)
			return ksef__error_set(err, KSEF_EXADES_CERT,
				"%s EC key is on a %d-bit curve; "
				"podpis-xades.md requires at least %d", whose,
				bits, EC_MIN_BITS);
		return FAM_EC;
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

	if ((fam = key_family(key, "the signer's", err)) < 0)
		return fam;
	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		return ksef__error_set(err, KSEF_EXADES_CERT,
			"the private key does not belong to the certificate");
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	if ((error = fingerprint_of(s->fingerprint, cert, err)) < 0) {
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
	key = PEM_read_bio_PrivateKey(bio, NULL, passphrase_cb,
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
	cert = PEM_read_bio_X509(bio, NULL, passphrase_cb, NULL);
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
 * Signing
 */

/*
 * While xmlsec works, libxml2's canonicaliser reports its errors through
 * the thread's generic error handler, stderr by default; a library must
 * not write there. They are kept instead (the first line), to name the
 * cause when xmlsec gives up, and the caller's handlers are put back.
 */
struct quiet {
	xmlGenericErrorFunc generic;
	void *generic_ctx;
	xmlStructuredErrorFunc structured;
	void *structured_ctx;
	char first[160];
	size_t used;
};

static void KSEF__PRINTF(2, 3) quiet_note(void *ctx, const char *fmt, ...)
{
	struct quiet *q = ctx;
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

static void quiet_begin(struct quiet *q)
{
	memset(q, 0, sizeof(*q));
	q->generic = xmlGenericError;
	q->generic_ctx = xmlGenericErrorContext;
	q->structured = xmlStructuredError;
	q->structured_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlSetGenericErrorFunc(q, quiet_note);
}

/* Put the handlers back; returns the first line noted, or "". */
static const char *quiet_end(struct quiet *q)
{
	char *nl = memchr(q->first, '\n', q->used);

	xmlSetGenericErrorFunc(q->generic_ctx, q->generic);
	xmlSetStructuredErrorFunc(q->structured_ctx, q->structured);
	if (nl != NULL)
		*nl = '\0';
	return q->first;
}

/* An xmlsec key holding a reference to pkey (public or private). */
static xmlSecKeyPtr xmlsec_key(EVP_PKEY *pkey)
{
	xmlSecKeyDataPtr data;
	xmlSecKeyPtr key;

	if (!EVP_PKEY_up_ref(pkey))
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

/* The RFC 2253 form of a name in UTF-8 (or escaped ASCII if the name
 * does not convert cleanly), for X509IssuerName and messages. */
static char *name_string(const X509_NAME *name)
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
		if (n < 0 || (pass == 0 &&
			      utf8_invalid_at((unsigned char *)data,
					      (size_t)n) != (size_t)n)) {
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
	issuer = name_string(X509_get_issuer_name(signer->cert));
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(signer->cert), NULL);
	serial = bn ? BN_bn2dec(bn) : NULL;
	BN_free(bn);
	if (issuer == NULL || serial == NULL) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	format_utc(stamp, when);

	error = KSEF_ENOMEM;
	if ((qp = xmlNewChild(obj, NULL, BAD_CAST "QualifyingProperties",
			      NULL)) == NULL ||
	    (x = xmlNewNs(qp, BAD_CAST NS_XADES, BAD_CAST "xades")) == NULL)
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
	    xmlNewProp(n, BAD_CAST "Algorithm", BAD_CAST URI_SHA256) == NULL ||
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

/* xmlsec's own messages go to xmldsig.c's error callback; OpenSSL's
 * queue still says why a key operation failed. */
static int xmlsec_failure(ksef_error *err, int code, const char *what)
{
	return ksef__error_openssl(err, code, what);
}

int ksef_xades_sign_auth_request(ksef_buf *out,
	const ksef_xades_auth_request *given, const ksef_xades_signer *signer,
	ksef_error *err)
{
	struct request_copy copy;
	const ksef_xades_auth_request *req = &copy.req;
	xmlDoc *doc = NULL;
	xmlNode *root, *sig, *ref, *obj, *ki, *x509, *certnode;
	xmlSecDSigCtxPtr dsig = NULL;
	ksef_buf b64 = KSEF_BUF_INIT;
	struct quiet q;
	time_t when;
	int error, rc;

	if (out == NULL || signer == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"no output buffer or no signer");
	if ((error = check_request(&copy, given, err)) < 0)
		return error;
	if ((error = ksef__dsig_init(err)) < 0)
		return error;
	ERR_clear_error();
	if ((error = build_doc(&doc, req, err)) < 0)
		return error;
	root = xmlDocGetRootElement(doc);
	when = req->signing_time_ms != KSEF_TIME_UNSET ?
	       (time_t)ksef__ms_to_s(req->signing_time_ms) : time(NULL);

	/* Enveloped: the Signature is the root's last child, its first
	 * Reference is the whole document minus the Signature. */
	error = KSEF_ENOMEM;
	sig = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId,
		signer->family == FAM_EC ? xmlSecTransformEcdsaSha256Id :
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
			BAD_CAST XADES_SIGNED_PROPS_TYPE)) == NULL ||
	    xmlSecTmplReferenceAddTransform(ref,
			xmlSecTransformExclC14NId) == NULL ||
	    (obj = xmlSecTmplSignatureAddObject(sig, NULL, NULL,
						NULL)) == NULL)
		goto oom;
	if ((error = add_qualifying_properties(obj, sig->ns, signer, when,
					       err)) < 0)
		goto done;
	/* The SignedProperties reference resolves through the Id. */
	xmlSecAddIDs(doc, sig, dsig_ids);

	if ((dsig = xmlSecDSigCtxCreate(NULL)) == NULL)
		goto oom;
	dsig->enabledReferenceUris = xmlSecTransformUriTypeEmpty |
				     xmlSecTransformUriTypeSameDocument;
	if ((dsig->signKey = xmlsec_key(signer->key)) == NULL)
		goto oom;
	quiet_begin(&q);
	rc = xmlSecDSigCtxSign(dsig, sig);
	(void)quiet_end(&q);
	if (rc < 0 || dsig->status != xmlSecDSigStatusSucceeded) {
		error = xmlsec_failure(err, KSEF_ECRYPTO,
				       "cannot sign the request");
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
	error = dump_doc(out, doc, 0, err);
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

/*
 * Test certificates
 */

/* Copy a caller's options into o, then check them. */
static int check_cert_options(ksef_xades_cert_options *o,
			      const ksef_xades_cert_options *given,
			      ksef_error *err)
{
	int error;

	if (given == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no options");
	if ((error = KSEF__OPTIONS_COPY(o, given, cert_options_sizes,
					KSEF_XADES_CERT_OPTIONS_VERSION,
					"ksef_xades_cert_options", err)) < 0)
		return error;
	if (o->common_name == NULL || *o->common_name == '\0')
		return ksef__error_set(err, KSEF_EINVAL,
			"a test certificate needs a common name");
	switch (o->kind) {
	case KSEF_XADES_CERT_PERSON:
		if (!o->given_name || !*o->given_name || !o->surname ||
		    !*o->surname || !o->serial_number || !*o->serial_number)
			return ksef__error_set(err, KSEF_EINVAL,
				"a person's certificate needs givenName, "
				"surname and serialNumber (podpis-xades.md)");
		break;
	case KSEF_XADES_CERT_SEAL:
		if (!o->organization_name || !*o->organization_name ||
		    !o->organization_identifier ||
		    !*o->organization_identifier)
			return ksef__error_set(err, KSEF_EINVAL,
				"a seal needs organizationName and "
				"organizationIdentifier (podpis-xades.md)");
		break;
	default:
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown certificate kind %d", (int)o->kind);
	}
	if (o->key_type != KSEF_XADES_KEY_RSA_2048 &&
	    o->key_type != KSEF_XADES_KEY_EC_P256)
		return ksef__error_set(err, KSEF_EINVAL,
			"unknown key type %d", (int)o->key_type);
	return 0;
}

static int add_name(X509_NAME *name, int nid, const char *value,
		    const char *what, ksef_error *err)
{
	if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
					(const unsigned char *)value, -1, -1, 0))
		return ksef__error_openssl(err, KSEF_EINVAL, what);
	return 0;
}

/* Copy a memory BIO's bytes into a fresh buffer, then into out. */
static int bio_to_buf(ksef_buf *out, BIO *bio, ksef_error *err)
{
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);
	ksef_buf tmp = KSEF_BUF_INIT;

	if (n <= 0 || ksef__buf_put(&tmp, data, (size_t)n, (size_t)n) < 0)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	ksef__buf_swap_in(out, &tmp);
	return 0;
}

int ksef_xades_cert_generate(ksef_buf *key_pem, ksef_buf *cert_pem,
	const ksef_xades_cert_options *given, ksef_error *err)
{
	ksef_xades_cert_options copy = KSEF_XADES_CERT_OPTIONS_INIT,
				*o = &copy;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *name = NULL;
	X509_EXTENSION *ext = NULL;
	X509V3_CTX v3;
	BIGNUM *bn = NULL;
	BIO *kbio = NULL, *cbio = NULL;
	unsigned char serial[16];
	time_t now = time(NULL), nb, na;
	ksef_buf kbuf = KSEF_BUF_INIT, cbuf = KSEF_BUF_INIT;
	int error;

	if (key_pem == NULL || cert_pem == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output buffers");
	if ((error = check_cert_options(&copy, given, err)) < 0)
		return error;
	nb = o->not_before_ms != KSEF_TIME_UNSET ?
	     (time_t)ksef__ms_to_s(o->not_before_ms) : now - 3600;
	na = o->not_after_ms != KSEF_TIME_UNSET ?
	     (time_t)ksef__ms_to_s(o->not_after_ms) : nb + 365L * 86400;
	if (na <= nb)
		return ksef__error_set(err, KSEF_EINVAL,
			"not_after_ms is not after not_before_ms");

	key = o->key_type == KSEF_XADES_KEY_EC_P256 ?
	      EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") :
	      EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (key == NULL)
		return ksef__error_openssl(err, KSEF_ECRYPTO,
			"cannot make a key");
	error = KSEF_ENOMEM;
	if ((x = X509_new()) == NULL || (name = X509_NAME_new()) == NULL)
		goto oom;
	if (!X509_set_version(x, X509_VERSION_3))
		goto crypto;
	/* A positive 128-bit serial: RFC 5280 wants it unique and at most
	 * 20 bytes; random makes two test certificates never clash. */
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto crypto;
	serial[0] = (unsigned char)((serial[0] & 0x7F) | 0x40);
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto crypto;

	/* podpis-xades.md's required attributes; a seal never has
	 * givenName or surname. */
	if ((error = add_name(name, NID_countryName,
			      o->country ? o->country : "PL",
			      "country must be two letters", err)) < 0)
		goto done;
	if (o->kind == KSEF_XADES_CERT_PERSON) {
		if ((error = add_name(name, NID_givenName, o->given_name,
				      "bad givenName", err)) < 0 ||
		    (error = add_name(name, NID_surname, o->surname,
				      "bad surname", err)) < 0 ||
		    (error = add_name(name, NID_serialNumber,
				      o->serial_number,
				      "serialNumber must be printable ASCII",
				      err)) < 0)
			goto done;
	} else {
		if ((error = add_name(name, NID_organizationName,
				      o->organization_name,
				      "bad organizationName", err)) < 0 ||
		    (error = add_name(name, NID_organizationIdentifier,
				      o->organization_identifier,
				      "bad organizationIdentifier", err)) < 0)
			goto done;
	}
	if ((error = add_name(name, NID_commonName, o->common_name,
			      "bad commonName", err)) < 0)
		goto done;
	if (!X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL ||
	    !X509_set_pubkey(x, key))
		goto crypto;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	/* A signing certificate: digitalSignature for the XAdES signature,
	 * nonRepudiation as qualified certificates carry. */
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage,
			"critical,digitalSignature,nonRepudiation")) == NULL ||
	    !X509_add_ext(x, ext, -1))
		goto crypto;
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		goto crypto;

	/* The key goes through secure memory, which is wiped when freed. */
	if ((kbio = BIO_new(BIO_s_secmem())) == NULL ||
	    (cbio = BIO_new(BIO_s_mem())) == NULL)
		goto oom;
	if (!PEM_write_bio_PrivateKey(kbio, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cbio, x))
		goto crypto;
	if ((error = bio_to_buf(&kbuf, kbio, err)) < 0 ||
	    (error = bio_to_buf(&cbuf, cbio, err)) < 0)
		goto done;
	ksef_buf_dispose_secure(key_pem);
	*key_pem = kbuf;
	kbuf.ptr = NULL;
	kbuf.size = kbuf.asize = 0;
	ksef__buf_swap_in(cert_pem, &cbuf);
	error = 0;
	goto done;
crypto:
	error = ksef__error_openssl(err, KSEF_ECRYPTO,
				    "cannot make the certificate");
	goto done;
oom:
	error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
done:
	ksef__wipe(serial, sizeof(serial));
	ksef_buf_dispose_secure(&kbuf);
	ksef_buf_dispose(&cbuf);
	BIO_free(kbio);
	BIO_free(cbio);
	BN_free(bn);
	X509_EXTENSION_free(ext);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
	return error;
}

/*
 * Verification: the document
 */

static int is_el(const xmlNode *n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

static int line_of(const xmlNode *n)
{
	long l = xmlGetLineNo(n);

	return l > 0 && l <= INT_MAX ? (int)l : 0;
}

static int blank(const xmlChar *s)
{
	if (s == NULL)
		return 1;
	for (; *s; s++)
		if (!is_xml_space(*s))
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
				line_of(n), "<%s> has text outside its "
				"elements", where);
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
			line_of(el), "<%s> has the attribute '%s', which the "
			"auth schema does not allow", el->name, a->name);
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
				line_of(c), "<%s> must hold text only, not "
				"<%s>", el->name, c->name);
	if ((text = xmlNodeGetContent(el)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	for (i = 0; text[i] != '\0'; i++) {
		int c = text[i];

		if (token && is_xml_space(c)) {
			if (n == 0 || out[n - 1] == ' ')
				continue;
			c = ' ';
		}
		if (n == FIELD_MAX) {
			xmlFree(text);
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				line_of(el), "<%s> is over %d characters, "
				"longer than its pattern allows", el->name,
				FIELD_MAX);
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
	return ksef__error_set_line(err, KSEF_EXADES_CONTENT, line_of(el),
		"<%s> does not match the auth schema's pattern %s", el->name,
		pattern);
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
			line_of(ctx), "<ContextIdentifier> is empty; it needs "
			"one of Nip, InternalId, NipVatUe, PeppolId");
	for (k = 0; k < 4; k++)
		if (is_el(c, ns, context_names[k]))
			break;
	if (k == 4)
		return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
			line_of(c), "<ContextIdentifier> holds <%s>; it must "
			"be one of Nip, InternalId, NipVatUe, PeppolId in the "
			"request's namespace", c->name);
	if ((error = next_el(&extra, c->next, "ContextIdentifier", err)) < 0)
		return error;
	if (extra != NULL)
		return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
			line_of(extra), "<ContextIdentifier> holds a second "
			"element <%s>; it is a choice of one", extra->name);
	/* xsd:string: no white space is stripped before the pattern. */
	if ((error = simple_text(v->context_value, &n, c, 0, err)) < 0)
		return error;
	if (!context_patterns[k](v->context_value, n))
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
	if (!is_el(ips, ns, "AllowedIps"))
		return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
			line_of(ips ? ips : pol), "<AuthorizationPolicy> must "
			"hold <AllowedIps>");
	if ((error = next_el(&extra, ips->next, "AuthorizationPolicy",
			     err)) < 0)
		return error;
	if (extra != NULL)
		return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
			line_of(extra), "unexpected <%s> after <AllowedIps>",
			extra->name);
	if ((error = no_attributes(ips, err)) < 0)
		return error;
	v->has_policy = 1;
	for (c = ips->children;; c = c->next) {
		if ((error = next_el(&c, c, "AllowedIps", err)) < 0)
			return error;
		if (c == NULL)
			break;
		/* xsd:sequence: all addresses, then ranges, then masks. */
		while (k < 3 && !is_el(c, ns, ip_names[k]))
			k++;
		if (k == 3)
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				line_of(c), "<AllowedIps> holds <%s> where only "
				"Ip4Address, Ip4Range, Ip4Mask may be, in that "
				"order", c->name);
		if (v->nips[k] == KSEF_XADES_MAX_IPS)
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				line_of(c), "more than %d <%s> "
				"(KSEF_XADES_MAX_IPS)", KSEF_XADES_MAX_IPS,
				ip_names[k]);
		if ((error = simple_text(text, &n, c, 1, err)) < 0)
			return error;
		if (!ip_patterns[k](text, n))
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
		if (is_el(c, NS_DS, "Signature"))
			continue;
		for (k = 0; k < 4; k++)
			if (is_el(c, ns, names[k]))
				break;
		if (k == 4)
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				line_of(c), "unexpected element <%s>%s%s%s in "
				"AuthTokenRequest", c->name,
				c->ns ? " in namespace " : "",
				c->ns ? (const char *)c->ns->href : "",
				c->ns ? "" : " without a namespace");
		if (k < pos)
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				line_of(c), "<%s> is repeated or out of order; "
				"the order is Challenge, ContextIdentifier, "
				"SubjectIdentifierType, AuthorizationPolicy",
				c->name);
		if (k > pos)
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				line_of(c), "<%s> is missing before <%s>",
				names[pos], c->name);
		kids[k] = c;
		pos = k + 1;
	}
	for (k = 0; k < 3; k++)
		if (kids[k] == NULL)
			return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
				line_of(root), "AuthTokenRequest has no <%s>",
				names[k]);

	if ((error = simple_text(text, &n, kids[0], 1, err)) < 0)
		return error;
	if (!challenge_ok(text, n))
		return pattern_error(kids[0],
			"\\d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2}", err);
	memcpy(v->challenge, text, n + 1);
	if ((error = read_context(v, kids[1], ns, err)) < 0)
		return error;
	if ((error = simple_text(text, &n, kids[2], 1, err)) < 0)
		return error;
	if (strcmp(text, subject_names[0]) == 0)
		v->subject_type = KSEF_XADES_SUBJECT_CERTIFICATE;
	else if (strcmp(text, subject_names[1]) == 0)
		v->subject_type = KSEF_XADES_SUBJECT_FINGERPRINT;
	else
		return ksef__error_set_line(err, KSEF_EXADES_CONTENT,
			line_of(kids[2]), "<SubjectIdentifierType> must be "
			"certificateSubject or certificateFingerprint");
	if (kids[3] != NULL && (error = read_policy(v, kids[3], ns, err)) < 0)
		return error;
	return 0;
}

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
	    is_xml_space(p[i + 5])) {
		for (end = i; end + 1 < len && end < i + 256; end++)
			if (p[end] == '?' && p[end + 1] == '>')
				break;
		for (size_t k = i + 5; k + 8 < end; k++) {
			size_t v, q;

			if (memcmp(p + k, "encoding", 8) != 0 ||
			    !is_xml_space(p[k - 1]))
				continue;
			v = k + 8;
			while (v < end && is_xml_space(p[v]))
				v++;
			if (v >= end || p[v] != '=')
				break;
			v++;
			while (v < end && is_xml_space(p[v]))
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
	if ((bad = utf8_invalid_at(p, len)) != len)
		return ksef__error_set_line(err, KSEF_EXADES_ENCODING,
			line_at(p, bad), p[bad] == 0 ?
			"document has a NUL byte at offset %zu" :
			"document is not valid UTF-8 at byte offset %zu", bad);
	return 0;
}

/*
 * Verification: the signature
 */

/* Every ds:Signature in the document, counting past the first. */
static void find_signatures(xmlNode *n, xmlNode **first, size_t *count)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(n, NS_DS, "Signature")) {
			if (*count == 0)
				*first = n;
			(*count)++;
		}
		find_signatures(n->children, first, count);
	}
}

/* podpis-xades.md's lists. `here` is 0 for those KSeF accepts but
 * xmlsec 1.2 cannot compute (RSASSA-PSS, SHA-3), so the refusal can say
 * so instead of calling them invalid. */
struct alg {
	const char *uri;
	const char *name;
	int family;
	int here;
};

static const struct alg sign_algs[] = {
	{ "http://www.w3.org/2000/09/xmldsig#rsa-sha1", "rsa-sha1", FAM_RSA, 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "rsa-sha256",
	  FAM_RSA, 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", "rsa-sha384",
	  FAM_RSA, 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", "rsa-sha512",
	  FAM_RSA, 1 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha1-rsa-MGF1", "RSASSA-PSS",
	  FAM_RSA, 0 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1", "RSASSA-PSS",
	  FAM_RSA, 0 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1", "RSASSA-PSS",
	  FAM_RSA, 0 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1", "RSASSA-PSS",
	  FAM_RSA, 0 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha3-256-rsa-MGF1",
	  "RSASSA-PSS", FAM_RSA, 0 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha3-384-rsa-MGF1",
	  "RSASSA-PSS", FAM_RSA, 0 },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha3-512-rsa-MGF1",
	  "RSASSA-PSS", FAM_RSA, 0 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1", "ecdsa-sha1",
	  FAM_EC, 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "ecdsa-sha256",
	  FAM_EC, 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", "ecdsa-sha384",
	  FAM_EC, 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", "ecdsa-sha512",
	  FAM_EC, 1 },
	{ "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-256",
	  "ecdsa-sha3-256", FAM_EC, 0 },
	{ "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-384",
	  "ecdsa-sha3-384", FAM_EC, 0 },
	{ "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-512",
	  "ecdsa-sha3-512", FAM_EC, 0 },
};

static const struct alg digest_algs[] = {
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

static const struct alg *find_alg(const struct alg *t, size_t n,
				  const char *uri)
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
		if (!is_xml_space(t[i]))
			t[n++] = t[i];
	error = ksef_base64_decode(out, (const char *)t, n, max, err);
	xmlFree(t);
	return error;
}

/* What scan_signature() learns, pointers into the tree. */
struct scan {
	xmlNode *sig;
	const struct alg *sign_alg;
	size_t nrefs;
	xmlNode *certs[KSEF_XADES_MAX_CERTS];
	size_t ncerts;
	xmlNode *signed_props;       /* xades:SignedProperties, or NULL */
	xmlNode *signing_cert;       /* xades:SigningCertificate(V2) */
	xmlNode *signing_time;       /* xades:SigningTime */
	int key_info_signed;         /* a Reference covers ds:KeyInfo */
	size_t sigvalue_len;         /* decoded ds:SignatureValue bytes */
};

/* The most ds:SignatureValue bytes any accepted key makes (RSA-8192). */
#define SIGVALUE_MAX 1024

/* The Algorithm attribute of el, which must exist. */
static int algorithm_of(char **out, xmlNode *el, ksef_error *err)
{
	xmlChar *a = xmlGetNoNsProp(el, BAD_CAST "Algorithm");

	if (a == NULL)
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			line_of(el), "<ds:%s> has no Algorithm", el->name);
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
	while (a < b && is_xml_space(t[a]))
		a++;
	while (b > a && is_xml_space(t[b - 1]))
		b--;
	if (ds != NULL && ds->href != NULL &&
	    strcmp((const char *)ds->href, NS_DS) == 0)
		for (size_t i = 0; i < nw && !ok; i++)
			ok = strlen(wants[i]) == b - a &&
			     memcmp(t + a, wants[i], b - a) == 0;
	xmlFree(t);
	return ok;
}

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
				line_of(t), "Reference %zu covers the document "
				"through a base64 transform, which would leave "
				"its structure unsigned", idx);
	} else if (strcmp(alg, URI_XPATH) == 0) {
		x = el_from(t->children);
		if (!is_el(x, NS_DS, "XPath") || el_from(x->next) != NULL ||
		    !xpath_text_is(x, xpath_ok, 1))
			error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
				line_of(t), "Reference %zu has an XPath "
				"transform other than "
				"not(ancestor-or-self::ds:Signature), the only "
				"one podpis-xades.md allows", idx);
	} else if (strcmp(alg, URI_FILTER2) == 0) {
		x = el_from(t->children);
		if (x == NULL)
			error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
				line_of(t), "Reference %zu has an empty "
				"XPath filter 2.0 transform", idx);
		for (; x != NULL && error == 0; x = el_from(x->next)) {
			xmlChar *f = xmlGetNoNsProp(x, BAD_CAST "Filter");
			int ok = is_el(x, NS_FILTER2, "XPath") && f != NULL &&
				 strcmp((char *)f, "subtract") == 0 &&
				 xpath_text_is(x, filter2_ok, 3);

			xmlFree(f);
			if (!ok)
				error = ksef__error_set_line(err,
					KSEF_EXADES_ALGORITHM, line_of(x),
					"Reference %zu has an XPath filter 2.0 "
					"other than subtracting the signature "
					"(Filter=\"subtract\" of "
					"/descendant::ds:Signature)", idx);
		}
	} else {
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			line_of(t), "Reference %zu uses the transform %.100s, "
			"which podpis-xades.md does not allow", idx, alg);
	}
	xmlFree(alg);
	return error;
}

static int check_digest_method(xmlNode *dm, const char *what, size_t idx,
			       ksef_error *err)
{
	const struct alg *a;
	char *alg = NULL;
	int error;

	if ((error = algorithm_of(&alg, dm, err)) < 0)
		return error;
	a = find_alg(digest_algs, sizeof(digest_algs) / sizeof(digest_algs[0]),
		     alg);
	if (a == NULL)
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			line_of(dm), "%s %zu uses the digest %.100s, which "
			"podpis-xades.md does not allow", what, idx, alg);
	else if (!a->here)
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			line_of(dm), "%s %zu uses %s, which KSeF accepts but "
			"this build (xmlsec %s) cannot verify", what, idx,
			a->name, XMLSEC_VERSION);
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
			line_of(ref), "Reference %zu has no URI, so it signs "
			"data outside the document; detached signatures are "
			"not accepted (podpis-xades.md)", idx);
	if (uri[0] != '\0' && uri[0] != '#') {
		error = ksef__error_set_line(err, KSEF_EXADES_NOT_ENVELOPED,
			line_of(ref), "Reference %zu points outside the "
			"document (URI=\"%.60s\"); detached signatures are not "
			"accepted (podpis-xades.md)", idx, (char *)uri);
		xmlFree(uri);
		return error;
	}
	*whole_doc = uri[0] == '\0' ||
		     strcmp((char *)uri, "#xpointer(/)") == 0;
	*uri_out = uri;

	c = el_from(ref->children);
	if (is_el(c, NS_DS, "Transforms")) {
		for (t = el_from(c->children); t != NULL;
		     t = el_from(t->next)) {
			if (!is_el(t, NS_DS, "Transform"))
				return ksef__error_set_line(err,
					KSEF_EXADES_STRUCTURE, line_of(t),
					"Reference %zu: <%s> in ds:Transforms",
					idx, t->name);
			if (++nt > KSEF_XADES_MAX_TRANSFORMS)
				return ksef__error_set_line(err,
					KSEF_EXADES_STRUCTURE, line_of(t),
					"Reference %zu has more than %d "
					"transforms (KSEF_XADES_MAX_TRANSFORMS)",
					idx, KSEF_XADES_MAX_TRANSFORMS);
			if ((error = check_transform(t, idx, *whole_doc,
						     err)) < 0)
				return error;
		}
		c = el_from(c->next);
	}
	if (!is_el(c, NS_DS, "DigestMethod"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			line_of(ref), "Reference %zu has no ds:DigestMethod",
			idx);
	if ((error = check_digest_method(c, "Reference", idx, err)) < 0)
		return error;
	c = el_from(c->next);
	if (!is_el(c, NS_DS, "DigestValue"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			line_of(ref), "Reference %zu has no ds:DigestValue",
			idx);
	error = element_base64(&digest, c, EVP_MAX_MD_SIZE, err);
	n = digest.size;
	ksef_buf_dispose(&digest);
	if (error == KSEF_ENOMEM)
		return error;
	if (error < 0 || n == 0)
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			line_of(c), "Reference %zu: ds:DigestValue is not "
			"Base64 of a digest", idx);
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
				line_of(n), "the Id \"%.60s\" appears twice in "
				"the signature", (const char *)id);
		if ((error = unique_ids(n->children, seen, err)) < 0)
			return error;
	}
	return 0;
}

/* ds:Object/xades:QualifyingProperties: exactly one SignedProperties. */
static int scan_xades(struct scan *s, xmlNode *obj, ksef_error *err)
{
	xmlNode *qp, *sp, *ssp, *c;

	for (qp = el_from(obj->children); qp != NULL; qp = el_from(qp->next)) {
		if (!is_el(qp, NS_XADES, "QualifyingProperties"))
			continue;
		for (sp = el_from(qp->children); sp != NULL;
		     sp = el_from(sp->next)) {
			if (!is_el(sp, NS_XADES, "SignedProperties"))
				continue;
			if (s->signed_props != NULL)
				return ksef__error_set_line(err,
					KSEF_EXADES_STRUCTURE, line_of(sp),
					"the signature has more than one "
					"xades:SignedProperties");
			s->signed_props = sp;
			ssp = el_from(sp->children);
			if (!is_el(ssp, NS_XADES, "SignedSignatureProperties"))
				continue;
			for (c = el_from(ssp->children); c != NULL;
			     c = el_from(c->next)) {
				if (is_el(c, NS_XADES, "SigningTime"))
					s->signing_time = c;
				else if (is_el(c, NS_XADES,
					       "SigningCertificate") ||
					 is_el(c, NS_XADES,
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
static int scan_signature(struct scan *s, xmlNode *sig, int allow_plain,
			  ksef_error *err)
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
	xmlSecAddIDs(sig->doc, sig, dsig_ids);

	/* ds:Signature: SignedInfo, SignatureValue, KeyInfo?, Object*. */
	si = el_from(sig->children);
	if (!is_el(si, NS_DS, "SignedInfo"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			line_of(sig), "ds:Signature does not start with "
			"ds:SignedInfo");
	sv = el_from(si->next);
	if (!is_el(sv, NS_DS, "SignatureValue"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			line_of(sig), "ds:Signature has no ds:SignatureValue "
			"after ds:SignedInfo");
	{
		ksef_buf value = KSEF_BUF_INIT;

		error = element_base64(&value, sv, SIGVALUE_MAX, err);
		s->sigvalue_len = value.size;
		ksef_buf_dispose(&value);
		if (error == KSEF_ENOMEM)
			return error;
		if (error < 0 || s->sigvalue_len == 0)
			return ksef__error_set_line(err, KSEF_EXADES_SIGVALUE,
				line_of(sv), "ds:SignatureValue is %s",
				error == KSEF_ETOOBIG ? "longer than any "
				"accepted key makes" : "not Base64");
	}
	for (c = el_from(sv->next); c != NULL; c = el_from(c->next)) {
		if (is_el(c, NS_DS, "KeyInfo") && ki == NULL) {
			ki = c;
		} else if (is_el(c, NS_DS, "Object")) {
			if ((error = scan_xades(s, c, err)) < 0)
				return error;
		} else {
			return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				line_of(c), "unexpected <%s> in ds:Signature",
				c->name);
		}
	}

	/* SignedInfo: CanonicalizationMethod, SignatureMethod, Reference+. */
	c = el_from(si->children);
	if (!is_el(c, NS_DS, "CanonicalizationMethod"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			line_of(si), "ds:SignedInfo has no "
			"ds:CanonicalizationMethod");
	if ((error = algorithm_of(&alg, c, err)) < 0)
		return error;
	if (!is_c14n(alg))
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			line_of(c), "CanonicalizationMethod %.100s is not one "
			"podpis-xades.md allows", alg);
	xmlFree(alg);
	if (error < 0)
		return error;
	c = el_from(c->next);
	if (!is_el(c, NS_DS, "SignatureMethod"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			line_of(si), "ds:SignedInfo has no ds:SignatureMethod");
	if ((error = algorithm_of(&alg, c, err)) < 0)
		return error;
	s->sign_alg = find_alg(sign_algs,
			       sizeof(sign_algs) / sizeof(sign_algs[0]), alg);
	if (s->sign_alg == NULL)
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			line_of(c), "SignatureMethod %.100s is not one "
			"podpis-xades.md allows (RSA PKCS#1 v1.5, RSASSA-PSS "
			"or ECDSA)", alg);
	else if (!s->sign_alg->here)
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			line_of(c), "SignatureMethod %s (%.100s) is accepted by "
			"KSeF but this build (xmlsec %s) cannot verify it",
			s->sign_alg->name, alg, XMLSEC_VERSION);
	xmlFree(alg);
	if (error < 0)
		return error;

	props_id = s->signed_props ? id_of(s->signed_props) : NULL;
	ki_id = ki ? id_of(ki) : NULL;
	for (ref = el_from(c->next); ref != NULL; ref = el_from(ref->next)) {
		if (!is_el(ref, NS_DS, "Reference")) {
			error = ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				line_of(ref), "unexpected <%s> in "
				"ds:SignedInfo", ref->name);
			break;
		}
		if (s->nrefs == KSEF_XADES_MAX_REFERENCES) {
			error = ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				line_of(ref), "ds:SignedInfo has more than %d "
				"references (KSEF_XADES_MAX_REFERENCES)",
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
				line_of(ref), "Reference %zu points to "
				"\"%.60s\", which no element of the signature "
				"has as its Id", s->nrefs + 1,
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
			line_of(si), "ds:SignedInfo has no ds:Reference");
	if (doc_refs == 0)
		return ksef__error_set_line(err, KSEF_EXADES_NOT_ENVELOPED,
			line_of(si), "no Reference has URI=\"\", so the "
			"AuthTokenRequest itself is not signed; the signature "
			"must be enveloped");

	/* XAdES-BES: SignedProperties, covered by a Reference, naming the
	 * signing certificate (or with KeyInfo itself signed). */
	if (s->signed_props == NULL) {
		if (!allow_plain)
			return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				line_of(sig), "the signature has no "
				"xades:QualifyingProperties/SignedProperties: "
				"it is plain XML-DSig, and KSeF requires XAdES");
	} else {
		if (props_id == NULL)
			return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				line_of(s->signed_props), "xades:SignedProperties "
				"has no Id, so no Reference can sign it");
		/* The parser registers xml:id attributes by itself; an Id
		 * claimed first by another element would make the reference
		 * resolve there instead. */
		if (xmlGetID(sig->doc, props_id) == NULL ||
		    xmlGetID(sig->doc, props_id)->parent != s->signed_props)
			return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				line_of(s->signed_props), "the Id \"%.60s\" of "
				"xades:SignedProperties also names another "
				"element", (const char *)props_id);
		if (!props_ref)
			return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				line_of(s->signed_props), "no Reference covers "
				"xades:SignedProperties (URI=\"#%.60s\"), so the "
				"XAdES properties are not signed",
				(const char *)props_id);
		if (s->signing_cert == NULL && !s->key_info_signed)
			return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
				line_of(s->signed_props), "xades:SignedProperties "
				"names no SigningCertificate and KeyInfo is not "
				"signed, so nothing binds the certificate "
				"(XAdES-BES)");
	}

	/* KeyInfo/X509Data/X509Certificate: the signer's certificate must
	 * travel with the signature (KSeF has no other way to find it). */
	if (ki != NULL) {
		for (c = el_from(ki->children); c != NULL; c = el_from(c->next)) {
			if (!is_el(c, NS_DS, "X509Data"))
				continue;
			for (xmlNode *x = el_from(c->children); x != NULL;
			     x = el_from(x->next)) {
				if (!is_el(x, NS_DS, "X509Certificate"))
					continue;
				if (s->ncerts == KSEF_XADES_MAX_CERTS)
					return ksef__error_set_line(err,
						KSEF_EXADES_CERT, line_of(x),
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
			line_of(ki ? ki : sig), "ds:KeyInfo carries no "
			"X509Certificate; the signer's certificate must be in "
			"the signature");
	return 0;
}

/* The certificate in X509Certificate number idx (1-based). */
static int read_cert(X509 **out, xmlNode *el, size_t idx, ksef_error *err)
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
		return ksef__error_set_line(err, KSEF_EXADES_CERT, line_of(el),
			"X509Certificate %zu is %s", idx, error == KSEF_ETOOBIG ?
			"over KSEF_CERT_MAX_BYTES" : "not Base64");
	}
	p = der.ptr;
	x = d2i_X509(NULL, &p, (long)der.size);
	/* One certificate and nothing after it. */
	if (x == NULL || p != der.ptr + der.size) {
		X509_free(x);
		ksef_buf_dispose(&der);
		ERR_clear_error();
		return ksef__error_set_line(err, KSEF_EXADES_CERT, line_of(el),
			"X509Certificate %zu is not a readable DER "
			"certificate", idx);
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

	if (!is_el(cd, NS_XADES, "CertDigest") ||
	    !is_el(dm = el_from(cd->children), NS_DS, "DigestMethod") ||
	    !is_el(dv = el_from(dm->next), NS_DS, "DigestValue"))
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			line_of(certel), "xades:Cert has no CertDigest with "
			"ds:DigestMethod and ds:DigestValue");
	if ((error = algorithm_of(&alg, dm, err)) < 0)
		return error;
	type = md_of(alg);
	if (type == NULL) {
		error = ksef__error_set_line(err, KSEF_EXADES_ALGORITHM,
			line_of(dm), "CertDigest uses the digest %.100s, which "
			"podpis-xades.md does not allow", alg);
		xmlFree(alg);
		return error;
	}
	xmlFree(alg);
	if ((error = element_base64(&want, dv, EVP_MAX_MD_SIZE, err)) < 0) {
		ksef_buf_dispose(&want);
		if (error == KSEF_ENOMEM)
			return error;
		return ksef__error_set_line(err, KSEF_EXADES_STRUCTURE,
			line_of(dv), "CertDigest's DigestValue is not Base64 "
			"of a digest");
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
static int choose_cert(X509 **out, const struct scan *s, X509 **certs,
		       ksef_error *err)
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
		if (!is_el(c, NS_XADES, "Cert"))
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
		line_of(s->signing_cert), "the certificate named by "
		"xades:%s (its CertDigest) is not the one in ds:KeyInfo",
		s->signing_cert->name);
}

/*
 * A signature value has the length its key fixes: the modulus for RSA,
 * and for ECDSA R||S of two field-sized halves (podpis-xades.md, RFC
 * 4050) rather than the DER that some signers wrongly write.
 */
static int check_sigvalue_size(const struct scan *s, X509 *cert, int fam,
			       ksef_error *err)
{
	EVP_PKEY *key = X509_get0_pubkey(cert);
	size_t want = fam == FAM_EC ?
		      2 * (((size_t)EVP_PKEY_get_bits(key) + 7) / 8) :
		      (size_t)EVP_PKEY_get_size(key);

	if (s->sigvalue_len == want)
		return 0;
	if (fam == FAM_EC)
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
		format_utc(when, t);
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
		format_utc(when, t);
		return ksef__error_set(err, KSEF_EXADES_CERT_EXPIRED,
			"the signing certificate expired on %s", when);
	}
	return 0;
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
		if (all_digits(s + i, digits)) {
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
	if ((v->subject = name_string(name)) == NULL)
		return ksef__error_set(err, KSEF_ENOMEM, "out of memory");
	return 0;
}

static int read_cert_facts(struct ksef_xades_verified *v, X509 *cert,
			   ksef_error *err)
{
	unsigned char *der = NULL;
	int n, error;

	if ((error = fingerprint_of(v->fingerprint, cert, err)) < 0)
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

/* Restrict xmlsec to what scan_signature() allowed, as a second fence. */
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
static int verify_crypto(const struct scan *s, X509 *cert, ksef_error *err)
{
	xmlSecDSigCtxPtr d;
	const xmlChar *props_id = s->signed_props ? id_of(s->signed_props) :
				  NULL;
	char what[120];
	struct quiet q;
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
	if ((d->signKey = xmlsec_key(X509_get0_pubkey(cert))) == NULL) {
		error = ksef__error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	ERR_clear_error();
	quiet_begin(&q);
	rc = xmlSecDSigCtxVerify(d, s->sig);
	why = quiet_end(&q);
	if (rc < 0) {
		if (*why != '\0')
			error = ksef__error_set(err, KSEF_EXADES_STRUCTURE,
				"the signature cannot be processed: %s", why);
		else
			error = xmlsec_failure(err, KSEF_EXADES_STRUCTURE,
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
	if (is_el(root, NS_DS, "Signature"))
		return ksef__error_set_line(err, KSEF_EFORMAT, line_of(root),
			"the root is ds:Signature (an enveloping signature); "
			"this verifier accepts AuthTokenRequest with an "
			"enveloped signature only");
	if (strcmp((const char *)root->name, "AuthTokenRequest") != 0)
		return ksef__error_set_line(err, KSEF_EFORMAT, line_of(root),
			"the root element is <%.60s>, not <AuthTokenRequest>",
			(const char *)root->name);
	if (ns != NULL && strcmp(ns, NS_AUTH_20) == 0)
		v->ns = KSEF_XADES_AUTH_NS_2_0;
	else if (ns != NULL && strcmp(ns, NS_AUTH_21) == 0)
		v->ns = KSEF_XADES_AUTH_NS_2_1;
	else
		return ksef__error_set_line(err, KSEF_EFORMAT, line_of(root),
			"AuthTokenRequest is in the namespace \"%.80s\", not "
			NS_AUTH_20 " or " NS_AUTH_21, ns ? ns : "");

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
			line_of(sig), "ds:Signature is inside <%.60s>; an "
			"enveloped signature is a child of AuthTokenRequest",
			(const char *)sig->parent->name);
	*sig_out = sig;
	return 0;
}

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
	struct scan s;
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
				  v->ns == KSEF_XADES_AUTH_NS_2_1 ? NS_AUTH_21 :
				  NS_AUTH_20, err)) < 0)
		goto done;
	if (sig == NULL) {
		error = ksef__error_set(err, KSEF_EXADES_NOSIG,
			"the document has no ds:Signature (Brak podpisu)");
		goto done;
	}
	if ((error = scan_signature(&s, sig, opts->allow_plain_xmldsig,
				    err)) < 0)
		goto done;
	for (i = 0; i < s.ncerts; i++)
		if ((error = read_cert(&certs[i], s.certs[i], i + 1, err)) < 0)
			goto done;
	if ((error = choose_cert(&cert, &s, certs, err)) < 0)
		goto done;
	if ((fam = key_family(X509_get0_pubkey(cert), "the signing "
			      "certificate's", err)) < 0) {
		error = fam;
		goto done;
	}
	if (fam != s.sign_alg->family) {
		error = ksef__error_set(err, KSEF_EXADES_ALGORITHM,
			"SignatureMethod is %s but the certificate's key is %s",
			s.sign_alg->name, fam == FAM_RSA ? "RSA" : "EC");
		goto done;
	}
	if ((error = check_sigvalue_size(&s, cert, fam, err)) < 0)
		goto done;
	now = opts->now_ms != KSEF_TIME_UNSET ?
	      (time_t)ksef__ms_to_s(opts->now_ms) : time(NULL);
	if (!opts->ignore_validity &&
	    (error = check_validity(cert, now, err)) < 0)
		goto done;
	if ((error = verify_crypto(&s, cert, err)) < 0)
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
	*out = v;
	v = NULL;
done:
	for (i = 0; i < KSEF_XADES_MAX_CERTS; i++)
		X509_free(certs[i]);
	ksef_xades_verified_free(v);
	xmlFreeDoc(doc);
	ERR_clear_error();
	return error;
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
