/*
 * xades_request.c - owns the AuthTokenRequest document (SPEC 4.4,
 * uwierzytelnianie.md): what its fields may hold, checked by hand against
 * the auth XSD's patterns (the EU VAT number shapes among them), and
 * writing an unsigned request.
 *
 * The patterns are the request's, so they live here, and the verifier
 * (xades_verify.c) reads a posted request's fields against the same
 * tables: what this file writes and what a server accepts cannot drift
 * apart. Signing the written tree is xades_sign.c's business; schema
 * validation of invoices is xsd.c's, and the published auth XSDs are not
 * used at all, because they do not work in libxml2 (SPEC 13 #26).
 */
#include <stdlib.h>
#include <string.h>
#include <libxml/tree.h>
#include "ksef/xades.h"
#include "ident.h"
#include "alloc.h"
#include "internal.h"
#include "client_int.h"
#include "options.h"
#include "xades_int.h"

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
int ksef__xades_challenge_ok(const char *s, size_t n)
{
	if (n != 36 || !ksef__xades_all_digits(s, 8) ||
	    memcmp(s + 8, "-CR-", 4) != 0 || s[22] != '-' || s[33] != '-')
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
	       ksef__xades_all_digits(s + 11, 5);
}

/* TPeppolId: P[A-Z]{2}[0-9]{6}. */
static int peppol_ok(const char *s, size_t n)
{
	return n == 9 && s[0] == 'P' && is_upper((unsigned char)s[1]) &&
	       is_upper((unsigned char)s[2]) &&
	       ksef__xades_all_digits(s + 3, 6);
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

const char *const ksef__xades_context_names[4] = {
	"Nip", "InternalId", "NipVatUe", "PeppolId"
};
const ksef__xades_pattern_fn ksef__xades_context_patterns[4] = {
	nip_ok, internal_id_ok, nip_vat_ue_ok, peppol_ok
};
const char *const ksef__xades_ip_names[3] = {
	"Ip4Address", "Ip4Range", "Ip4Mask"
};
const ksef__xades_pattern_fn ksef__xades_ip_patterns[3] = {
	ip4_address_ok, ip4_range_ok, ip4_mask_ok
};
const char *const ksef__xades_subject_names[2] = {
	"certificateSubject", "certificateFingerprint"
};

/*
 * Writing a request
 */

/* The bytes of each version of ksef_xades_auth_request (options.h). */
static const size_t request_sizes[] = {
	KSEF__OPTIONS_END(ksef_xades_auth_request, signing_time_ms), /* 1 */
};
KSEF__OPTIONS_SIZES(request_sizes, KSEF_XADES_AUTH_REQUEST_VERSION);

int ksef__xades_check_request(struct ksef__xades_request_copy *c,
			      const ksef_xades_auth_request *given,
			      ksef_error *err)
{
	static const ksef_xades_auth_request init =
		KSEF_XADES_AUTH_REQUEST_INIT;
	const ksef_xades_auth_request *req = &c->req;
	const ksef_client_ip_policy *p;
	size_t n;
	int ctx, error;

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
	if (!ksef__xades_challenge_ok(req->challenge, strlen(req->challenge)))
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
	ctx = (int)req->context_type;
	if (!ksef__xades_context_patterns[ctx](req->context_value, n))
		return ksef__error_set(err, KSEF_EFORMAT,
			"context identifier does not match the auth schema's "
			"pattern for <%s>", ksef__xades_context_names[ctx]);
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
		const char *name = ksef__xades_ip_names[k];

		if (count > KSEF_XADES_MAX_IPS)
			return ksef__error_set(err, KSEF_EFORMAT,
				"%zu <%s> entries, over the schema's limit of "
				"%d (KSEF_XADES_MAX_IPS)", count, name,
				KSEF_XADES_MAX_IPS);
		if (count > 0 && list == NULL)
			return ksef__error_set(err, KSEF_EINVAL,
				"no list for %zu <%s> entries", count, name);
		for (size_t i = 0; i < count; i++) {
			if (list[i] == NULL)
				return ksef__error_set(err, KSEF_EINVAL,
					"<%s> %zu is NULL", name, i + 1);
			if (!ksef__xades_ip_patterns[k](list[i],
							strlen(list[i])))
				return ksef__error_set(err, KSEF_EFORMAT,
					"<%s> %zu does not match the auth "
					"schema's pattern", name, i + 1);
		}
	}
	return 0;
}

static int has_ips(const ksef_client_ip_policy *p)
{
	return p != NULL &&
	       (p->address_count + p->range_count + p->mask_count) > 0;
}

int ksef__xades_build_doc(xmlDoc **out, const ksef_xades_auth_request *req,
			  ksef_error *err)
{
	xmlDoc *doc;
	xmlNode *root, *ctx, *pol, *ips;
	xmlNs *ns;
	const ksef_client_ip_policy *p = req->ip_policy;
	const char *context = ksef__xades_context_names[req->context_type];
	const char *subject = ksef__xades_subject_names[req->subject_type];

	*out = NULL;
	if ((doc = xmlNewDoc(BAD_CAST "1.0")) == NULL)
		goto oom;
	if ((root = xmlNewDocNode(doc, NULL, BAD_CAST "AuthTokenRequest",
				  NULL)) == NULL)
		goto oom;
	xmlDocSetRootElement(doc, root);
	ns = xmlNewNs(root, BAD_CAST(req->ns_version == KSEF_XADES_AUTH_NS_2_1 ?
				     KSEF__XADES_NS_AUTH_21 :
				     KSEF__XADES_NS_AUTH_20), NULL);
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
	if (xmlNewTextChild(ctx, ns, BAD_CAST context,
			    BAD_CAST req->context_value) == NULL)
		goto oom;
	if (xmlNewTextChild(root, ns, BAD_CAST "SubjectIdentifierType",
			    BAD_CAST subject) == NULL)
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
				if (xmlNewTextChild(ips, ns, BAD_CAST
						    ksef__xades_ip_names[k],
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

int ksef__xades_dump_doc(ksef_buf *out, xmlDoc *doc, int format,
			 ksef_error *err)
{
	xmlChar *mem = NULL;
	int size = 0, error;
	ksef_buf tmp = KSEF_BUF_INIT;
	unsigned long mark = ksef__alloc_failures();

	if (format)
		xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	else
		xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	/* The serialiser may skip what it could not allocate for. */
	if (mem == NULL || size <= 0 || ksef__alloc_failures() != mark) {
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
	struct ksef__xades_request_copy copy;
	const ksef_xades_auth_request *req = &copy.req;
	xmlDoc *doc = NULL;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL, "no output buffer");
	if ((error = ksef__xades_check_request(&copy, given, err)) < 0)
		return error;
	if ((error = ksef__xades_build_doc(&doc, req, err)) < 0)
		return error;
	error = ksef__xades_dump_doc(out, doc, 1, err);
	xmlFreeDoc(doc);
	return error;
}
