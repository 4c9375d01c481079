/*
 * xmldsig_test.c - the XML-signature module on its own (src/lib/xmldsig.c):
 * loading a signing key, the enveloped XAdES-BES signature it writes, and
 * the verifier that trusts only the certificate its caller passes. The
 * UPO tests reach the same code through ksef_upo_*; here the documents
 * are small and made by hand, so each refusal can be aimed at one part.
 *
 * Keys and certificates are made once per run with the openssl command,
 * and the signature is checked by openssl and xmlsec1 as well, where they
 * are installed: implementations other than ours.
 */
#include "testsupport.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/tree.h>
#include "ksef/encoding.h"
#include "ksef/limits.h"
#include "ksef/number.h"
#include "xml.h"
#include "xmldsig.h"

#define DOC "<Doc xmlns=\"urn:test\"><Amount>100.00</Amount>" \
	"<Buyer>5265877635</Buyer></Doc>"
#define PROPS_ID "ksef-signed-properties"

static struct {
	char *dir;
	ksef_buf key, cert, cert_der, key2, cert2, reissued;
	ksef__dsig_key *signer;
} fx;

static const char *path_in(const char *name)
{
	static char path[4][1024];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", fx.dir, name);
	return p;
}

static void read_in(ksef_buf *out, const char *name)
{
	ts_read_file(out, path_in(name));
}

static int group_setup(void **state)
{
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_global_init(), 0);
	fx.dir = ts_mkdtemp();
	/* The signer; another identity; the signer's key under a second
	 * certificate; and the keys a signature must not use: EC, RSA-1024,
	 * an encrypted one, and the public half alone. */
	assert_int_equal(ts_system("cd '%s' && ("
		"openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem "
		"-out cert.pem -days 3650 -subj '/CN=xmldsig test/O=ksef' && "
		"openssl x509 -in cert.pem -outform DER -out cert.der && "
		"openssl req -x509 -newkey rsa:2048 -nodes -keyout key2.pem "
		"-out cert2.pem -days 3650 -subj '/CN=Other' && "
		"openssl req -x509 -key key.pem -out reissued.pem -days 3650 "
		"-subj '/CN=xmldsig test reissued' && "
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		"-nodes -keyout ec.pem -out ec_cert.pem -days 3650 "
		"-subj '/CN=EC' && "
		"openssl req -x509 -newkey rsa:1024 -nodes -keyout small.pem "
		"-out small_cert.pem -days 3650 -subj '/CN=Small' && "
		"openssl pkey -in key.pem -aes256 -passout pass:secret "
		"-out enc.pem && "
		"openssl pkey -in key.pem -pubout -out pub.pem"
		") >/dev/null 2>&1", fx.dir), 0);
	read_in(&fx.key, "key.pem");
	read_in(&fx.cert, "cert.pem");
	read_in(&fx.cert_der, "cert.der");
	read_in(&fx.key2, "key2.pem");
	read_in(&fx.cert2, "cert2.pem");
	read_in(&fx.reissued, "reissued.pem");
	if (ksef__dsig_key_new(&fx.signer, (const char *)fx.key.ptr,
			       fx.key.size, fx.cert.ptr, fx.cert.size, &err))
		fail_msg("signer: %s", err.message);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ksef__dsig_key_free(fx.signer);
	ksef_buf_dispose(&fx.key);
	ksef_buf_dispose(&fx.cert);
	ksef_buf_dispose(&fx.cert_der);
	ksef_buf_dispose(&fx.key2);
	ksef_buf_dispose(&fx.cert2);
	ksef_buf_dispose(&fx.reissued);
	ts_rmdir(fx.dir);
	ksef_global_cleanup();
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static ksef_time signing_time(void)
{
	ksef_time t;

	assert_int_equal(ksef_time_parse(&t, "2025-09-16T13:00:00+02:00",
					 25, NULL), 0);
	return t;
}

static xmlDoc *parse(const char *xml, size_t len)
{
	xmlDoc *doc = NULL;
	ksef_error err;

	if (ksef__xml_parse(&doc, NULL, (const unsigned char *)xml, len,
			    KSEF_CERT_MAX_BYTES * 4, &err) != 0)
		fail_msg("test document: %s", err.message);
	return doc;
}

static void dump(ksef_buf *out, xmlDoc *doc)
{
	xmlChar *mem = NULL;
	int size = 0;

	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	assert_non_null(mem);
	ksef_buf_dispose(out);
	out->ptr = malloc((size_t)size + 1);
	assert_non_null(out->ptr);
	memcpy(out->ptr, mem, (size_t)size);
	out->ptr[size] = '\0';
	out->size = (size_t)size;
	out->asize = (size_t)size + 1;
	xmlFree(mem);
}

/* DOC (or xml) signed by the fixture's key, serialised. */
static void sign_text(ksef_buf *out, const char *xml)
{
	xmlDoc *doc = parse(xml, strlen(xml));
	ksef_error err;

	if (ksef__dsig_sign_enveloped(doc, fx.signer, signing_time(), &err))
		fail_msg("sign: %s", err.message);
	dump(out, doc);
	xmlFreeDoc(doc);
}

/* The last element child of the root: where the signature goes. */
static xmlNode *last_element(xmlDoc *doc)
{
	xmlNode *n = xmlDocGetRootElement(doc)->last;

	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->prev;
	return n;
}

/* Parse a signed text and verify its last element against cert. */
static int verify_text(const ksef_buf *signed_doc, const ksef_buf *cert,
		       ksef_error *err)
{
	xmlDoc *doc = parse((const char *)signed_doc->ptr, signed_doc->size);
	int rc = ksef__dsig_verify_enveloped(doc, last_element(doc),
					     cert->ptr, cert->size, err);

	xmlFreeDoc(doc);
	return rc;
}

static xmlNode *child(const xmlNode *n, const char *ns, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->ns != NULL &&
		    strcmp((const char *)c->ns->href, ns) == 0 &&
		    strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

static void text_of(char *out, size_t size, xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);

	assert_non_null(t);
	snprintf(out, size, "%s", (const char *)t);
	xmlFree(t);
}

static void assert_has(const ksef_error *err, const char *what)
{
	if (strstr(err->message, what) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err->message, what);
}

/* A key and certificate made in the set-up, by name. */
static void load_pair(ksef_buf *key, ksef_buf *cert, const char *kname,
		      const char *cname)
{
	read_in(key, kname);
	read_in(cert, cname);
}

/* ---- loading a key ------------------------------------------------------- */

static void key_new_refuses_null_and_empty_arguments(void **state)
{
	ksef__dsig_key *k = NULL;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef__dsig_key_new(NULL, "k", 1, fx.cert.ptr,
					    fx.cert.size, &err), KSEF_EINVAL);
	assert_int_equal(ksef__dsig_key_new(&k, NULL, 5, fx.cert.ptr,
					    fx.cert.size, &err), KSEF_EINVAL);
	assert_int_equal(ksef__dsig_key_new(&k, (const char *)fx.key.ptr,
					    fx.key.size, NULL, 5, &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef__dsig_key_new(&k, "", 0, fx.cert.ptr,
					    fx.cert.size, &err), KSEF_EPARSE);
	assert_null(k);
	assert_has(&err, "private key is empty");
	assert_int_equal(ksef__dsig_key_new(&k, (const char *)fx.key.ptr,
					    fx.key.size, fx.cert.ptr, 0, &err),
			 KSEF_EPARSE);
	assert_null(k);
	assert_has(&err, "certificate is empty");
	/* NULL err is allowed. */
	assert_int_equal(ksef__dsig_key_new(&k, "", 0, fx.cert.ptr,
					    fx.cert.size, NULL), KSEF_EPARSE);
	ksef__dsig_key_free(NULL);
}

static void key_new_refuses_one_byte_and_garbage(void **state)
{
	ksef_buf der = KSEF_BUF_INIT;
	ksef__dsig_key *k = NULL;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef__dsig_key_new(&k, "-", 1, fx.cert.ptr,
					    fx.cert.size, &err), KSEF_EPARSE);
	assert_null(k);
	assert_int_equal(ksef__dsig_key_new(&k, (const char *)fx.key.ptr,
		fx.key.size, (const unsigned char *)"0", 1, &err), KSEF_EPARSE);
	assert_has(&err, "not one PEM or DER X.509 certificate");
	/* DER with a byte after it: what would be digested is not what was
	 * given, so it is refused. */
	der.ptr = malloc(fx.cert_der.size + 1);
	assert_non_null(der.ptr);
	memcpy(der.ptr, fx.cert_der.ptr, fx.cert_der.size);
	der.ptr[fx.cert_der.size] = 0;
	der.size = fx.cert_der.size + 1;
	der.asize = der.size;
	assert_int_equal(ksef__dsig_key_new(&k, (const char *)fx.key.ptr,
		fx.key.size, der.ptr, der.size, &err), KSEF_EPARSE);
	assert_null(k);
	ksef_buf_dispose(&der);
}

static void key_new_refuses_oversized_input_by_its_length_alone(void **state)
{
	/* One real byte and a longer claimed length: reading them first
	 * would trip ASan and valgrind. */
	const char one = '-';
	ksef__dsig_key *k = NULL;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef__dsig_key_new(&k, &one, KSEF_CERT_MAX_BYTES + 1,
		fx.cert.ptr, fx.cert.size, &err), KSEF_ETOOBIG);
	assert_has(&err, "KSEF_CERT_MAX_BYTES");
	assert_int_equal(ksef__dsig_key_new(&k, (const char *)fx.key.ptr,
		fx.key.size, (const unsigned char *)&one,
		KSEF_CERT_MAX_BYTES + 1, &err), KSEF_ETOOBIG);
	assert_has(&err, "KSEF_CERT_MAX_BYTES");
	assert_null(k);
}

static void key_new_accepts_key_and_certificate_at_the_limit(void **state)
{
	/* PEM readers skip what follows the armour, so padding with line
	 * breaks makes each exactly KSEF_CERT_MAX_BYTES long. */
	char *key = malloc(KSEF_CERT_MAX_BYTES), *cert;
	ksef__dsig_key *k = NULL;
	ksef_error err;

	(void)state;
	cert = malloc(KSEF_CERT_MAX_BYTES);
	assert_non_null(key);
	assert_non_null(cert);
	memset(key, '\n', KSEF_CERT_MAX_BYTES);
	memset(cert, '\n', KSEF_CERT_MAX_BYTES);
	memcpy(key, fx.key.ptr, fx.key.size);
	memcpy(cert, fx.cert.ptr, fx.cert.size);
	if (ksef__dsig_key_new(&k, key, KSEF_CERT_MAX_BYTES,
			       (const unsigned char *)cert,
			       KSEF_CERT_MAX_BYTES, &err) != 0)
		fail_msg("at the limit: %s", err.message);
	ksef__dsig_key_free(k);
	free(key);
	free(cert);
}

static void key_new_refuses_keys_a_signature_cannot_use(void **state)
{
	static const struct {
		const char *key, *cert;
		int code;
		const char *says;
	} cases[] = {
		{ "enc.pem", "cert.pem", KSEF_EPARSE, "no unencrypted" },
		{ "pub.pem", "cert.pem", KSEF_EPARSE, "public key" },
		{ "ec.pem", "ec_cert.pem", KSEF_EFORMAT, "not RSA" },
		{ "small.pem", "small_cert.pem", KSEF_EFORMAT, "1024 bits" },
		{ "key2.pem", "cert.pem", KSEF_EFORMAT, "does not match" },
	};
	ksef_buf key = KSEF_BUF_INIT, cert = KSEF_BUF_INIT;
	ksef__dsig_key *k = NULL;
	ksef_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		load_pair(&key, &cert, cases[i].key, cases[i].cert);
		if (ksef__dsig_key_new(&k, (const char *)key.ptr, key.size,
				       cert.ptr, cert.size, &err) !=
		    cases[i].code)
			fail_msg("%s: %d, %s", cases[i].key, err.code,
				 err.message);
		assert_null(k);
		assert_has(&err, cases[i].says);
	}
	ksef_buf_dispose(&key);
	ksef_buf_dispose(&cert);
}

static void key_new_takes_the_certificate_as_pem_or_der(void **state)
{
	ksef__dsig_key *k = NULL;
	ksef_error err;

	(void)state;
	if (ksef__dsig_key_new(&k, (const char *)fx.key.ptr, fx.key.size,
			       fx.cert_der.ptr, fx.cert_der.size, &err) != 0)
		fail_msg("DER: %s", err.message);
	ksef__dsig_key_free(k);
}

/* ---- signing ------------------------------------------------------------- */

static void sign_refuses_null_arguments_and_a_rootless_document(
	void **state)
{
	xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
	ksef_error err;

	(void)state;
	assert_int_equal(ksef__dsig_sign_enveloped(NULL, fx.signer,
						   signing_time(), &err),
			 KSEF_EINVAL);
	assert_int_equal(ksef__dsig_sign_enveloped(doc, NULL, signing_time(),
						   &err), KSEF_EINVAL);
	assert_int_equal(ksef__dsig_sign_enveloped(doc, fx.signer,
						   signing_time(), &err),
			 KSEF_EFORMAT);
	assert_has(&err, "no root");
	xmlFreeDoc(doc);
}

static void sign_refuses_a_document_that_already_uses_its_id(void **state)
{
	static const char taken[] =
		"<Doc xml:id=\"" PROPS_ID "\"><A>1</A></Doc>";
	xmlDoc *doc = parse(taken, sizeof(taken) - 1);
	ksef_error err;

	(void)state;
	assert_int_equal(ksef__dsig_sign_enveloped(doc, fx.signer,
						   signing_time(), &err),
			 KSEF_EFORMAT);
	assert_has(&err, PROPS_ID);
	/* Nothing was added. */
	assert_false(ksef__dsig_is_signature(last_element(doc)));
	xmlFreeDoc(doc);

	/* A document signed once carries the Id, so a second signature is
	 * refused rather than nested. */
	doc = parse(DOC, strlen(DOC));
	assert_int_equal(ksef__dsig_sign_enveloped(doc, fx.signer,
						   signing_time(), &err), 0);
	assert_int_equal(ksef__dsig_sign_enveloped(doc, fx.signer,
						   signing_time(), &err),
			 KSEF_EFORMAT);
	xmlFreeDoc(doc);
}

static void sign_appends_an_enveloped_xades_bes_signature(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;
	char text[4096];
	xmlDoc *doc;
	xmlNode *sig, *si, *ref, *props, *sp;
	xmlChar *a;

	(void)state;
	sign_text(&out, DOC);
	doc = parse((const char *)out.ptr, out.size);
	sig = last_element(doc);
	assert_true(ksef__dsig_is_signature(sig));
	assert_false(ksef__dsig_is_signature(xmlDocGetRootElement(doc)));
	assert_false(ksef__dsig_is_signature(NULL));

	si = child(sig, KSEF__DSIG_NS, "SignedInfo");
	a = xmlGetProp(child(si, KSEF__DSIG_NS, "CanonicalizationMethod"),
		       (const xmlChar *)"Algorithm");
	assert_string_equal((char *)a,
			    "http://www.w3.org/2001/10/xml-exc-c14n#");
	xmlFree(a);
	a = xmlGetProp(child(si, KSEF__DSIG_NS, "SignatureMethod"),
		       (const xmlChar *)"Algorithm");
	assert_string_equal((char *)a,
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
	xmlFree(a);

	/* First Reference: the whole document, less the signature. */
	ref = child(si, KSEF__DSIG_NS, "Reference");
	a = xmlGetProp(ref, (const xmlChar *)"URI");
	assert_string_equal((char *)a, "");
	xmlFree(a);
	a = xmlGetProp(child(child(ref, KSEF__DSIG_NS, "Transforms"),
			     KSEF__DSIG_NS, "Transform"),
		       (const xmlChar *)"Algorithm");
	assert_string_equal((char *)a,
		"http://www.w3.org/2000/09/xmldsig#enveloped-signature");
	xmlFree(a);

	/* Second: the SignedProperties, by Id and Type. */
	for (ref = ref->next; ref && ref->type != XML_ELEMENT_NODE;
	     ref = ref->next)
		;
	assert_non_null(ref);
	a = xmlGetProp(ref, (const xmlChar *)"URI");
	assert_string_equal((char *)a, "#" PROPS_ID);
	xmlFree(a);
	a = xmlGetProp(ref, (const xmlChar *)"Type");
	assert_string_equal((char *)a, KSEF__XADES_SIGNED_PROPERTIES_TYPE);
	xmlFree(a);

	/* The certificate travels for readers, and the properties bind the
	 * signing time and the certificate. */
	text_of(text, sizeof(text), child(child(child(sig, KSEF__DSIG_NS,
		"KeyInfo"), KSEF__DSIG_NS, "X509Data"), KSEF__DSIG_NS,
		"X509Certificate"));
	assert_true(strlen(text) > 100);
	props = child(child(sig, KSEF__DSIG_NS, "Object"), KSEF__XADES_NS,
		      "QualifyingProperties");
	sp = child(props, KSEF__XADES_NS, "SignedProperties");
	assert_non_null(sp);
	text_of(text, sizeof(text), child(child(sp, KSEF__XADES_NS,
		"SignedSignatureProperties"), KSEF__XADES_NS, "SigningTime"));
	assert_non_null(strstr(text, "2025-09-16T13:00:00"));
	xmlFreeDoc(doc);
	ksef_buf_dispose(&out);
}

static void the_same_document_key_and_time_give_the_same_bytes(void **state)
{
	ksef_buf a = KSEF_BUF_INIT, b = KSEF_BUF_INIT;

	(void)state;
	/* RSA PKCS#1 v1.5 has no randomness, and the Ids are fixed. */
	sign_text(&a, DOC);
	sign_text(&b, DOC);
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.ptr, b.ptr, a.size);
	ksef_buf_dispose(&a);
	ksef_buf_dispose(&b);
}

/* ---- verifying ----------------------------------------------------------- */

static void verify_accepts_what_was_signed_with_pem_or_der(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sign_text(&out, DOC);
	if (verify_text(&out, &fx.cert, &err) != 0)
		fail_msg("PEM: %s", err.message);
	if (verify_text(&out, &fx.cert_der, &err) != 0)
		fail_msg("DER: %s", err.message);
	ksef_buf_dispose(&out);
}

static void verify_refuses_null_arguments_and_bad_certificates(void **state)
{
	const unsigned char one = '0';
	ksef_buf out = KSEF_BUF_INIT;
	xmlDoc *doc;
	ksef_error err;

	(void)state;
	sign_text(&out, DOC);
	doc = parse((const char *)out.ptr, out.size);
	assert_int_equal(ksef__dsig_verify_enveloped(NULL, last_element(doc),
		fx.cert.ptr, fx.cert.size, &err), KSEF_EINVAL);
	assert_int_equal(ksef__dsig_verify_enveloped(doc, NULL, fx.cert.ptr,
		fx.cert.size, &err), KSEF_EINVAL);
	assert_int_equal(ksef__dsig_verify_enveloped(doc, last_element(doc),
		NULL, 3, &err), KSEF_EINVAL);
	assert_int_equal(ksef__dsig_verify_enveloped(doc, last_element(doc),
		fx.cert.ptr, 0, &err), KSEF_EPARSE);
	assert_int_equal(ksef__dsig_verify_enveloped(doc, last_element(doc),
		&one, 1, &err), KSEF_EPARSE);
	assert_int_equal(ksef__dsig_verify_enveloped(doc, last_element(doc),
		&one, KSEF_CERT_MAX_BYTES + 1, &err), KSEF_ETOOBIG);
	xmlFreeDoc(doc);
	ksef_buf_dispose(&out);
}

static void verify_refuses_an_element_that_is_no_signature(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;
	xmlDoc *doc;
	ksef_error err;

	(void)state;
	/* The unsigned document: its last element is Buyer. */
	doc = parse(DOC, strlen(DOC));
	assert_int_equal(ksef__dsig_verify_enveloped(doc, last_element(doc),
		fx.cert.ptr, fx.cert.size, &err), KSEF_EFORMAT);
	assert_has(&err, "no SignedInfo");
	xmlFreeDoc(doc);

	/* A signature emptied of everything but itself. */
	sign_text(&out, DOC);
	doc = parse((const char *)out.ptr, out.size);
	while (last_element(doc)->children != NULL) {
		xmlNode *c = last_element(doc)->children;

		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
	assert_int_equal(ksef__dsig_verify_enveloped(doc, last_element(doc),
		fx.cert.ptr, fx.cert.size, &err), KSEF_EFORMAT);
	xmlFreeDoc(doc);
	ksef_buf_dispose(&out);
}

static void a_changed_byte_in_the_document_breaks_the_signature(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sign_text(&out, DOC);
	ts_replace(&out, "100.00", "900.00");
	assert_int_equal(verify_text(&out, &fx.cert, &err), KSEF_ECHECKSUM);
	assert_has(&err, "does not match");
	ksef_buf_dispose(&out);
}

static void a_changed_signing_time_breaks_the_signature(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sign_text(&out, DOC);
	ts_replace(&out, "2025-09-16T13:00:00", "2025-09-16T14:00:00");
	assert_int_equal(verify_text(&out, &fx.cert, &err), KSEF_ECHECKSUM);
	ksef_buf_dispose(&out);
}

static void a_changed_signature_value_fails(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;
	char *v;
	ksef_error err;

	(void)state;
	sign_text(&out, DOC);
	v = strstr((char *)out.ptr, "SignatureValue>");
	assert_non_null(v);
	v += strlen("SignatureValue>") + 10;
	*v = *v == 'A' ? 'B' : 'A';
	assert_int_equal(verify_text(&out, &fx.cert, &err), KSEF_ECHECKSUM);
	ksef_buf_dispose(&out);
}

static void another_certificate_does_not_verify(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sign_text(&out, DOC);
	assert_int_equal(verify_text(&out, &fx.cert2, &err), KSEF_ECHECKSUM);
	ksef_buf_dispose(&out);
}

static void the_certificate_in_keyinfo_is_not_trusted(void **state)
{
	ksef_buf out = KSEF_BUF_INIT, b64 = KSEF_BUF_INIT;
	char mine[8192];
	xmlDoc *doc;
	xmlNode *x509;
	ksef_error err;

	(void)state;
	sign_text(&out, DOC);
	/* Put the other certificate in KeyInfo, which nothing signs. */
	doc = parse((const char *)out.ptr, out.size);
	x509 = child(child(child(last_element(doc), KSEF__DSIG_NS, "KeyInfo"),
			   KSEF__DSIG_NS, "X509Data"), KSEF__DSIG_NS,
		     "X509Certificate");
	text_of(mine, sizeof(mine), x509);
	xmlFreeDoc(doc);
	assert_int_equal(ts_system("openssl x509 -in '%s' -outform DER | "
		"base64 -w0 > '%s'", path_in("cert2.pem"),
		path_in("cert2.b64")), 0);
	read_in(&b64, "cert2.b64");
	ts_replace(&out, mine, (const char *)b64.ptr);
	assert_null(strstr((const char *)out.ptr, mine));
	/* Still the signer's signature; KeyInfo claiming another changes
	 * nothing either way. */
	if (verify_text(&out, &fx.cert, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(verify_text(&out, &fx.cert2, &err), KSEF_ECHECKSUM);
	ksef_buf_dispose(&b64);
	ksef_buf_dispose(&out);
}

static void the_signing_certificate_must_be_the_given_one(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	/* The signer's key under a second certificate: the mathematics
	 * verifies with either, but the signature names the first. */
	sign_text(&out, DOC);
	assert_int_equal(verify_text(&out, &fx.reissued, &err),
			 KSEF_ECHECKSUM);
	assert_has(&err, "SigningCertificate does not name");
	ksef_buf_dispose(&out);
}

/*
 * A signature xmlsec1 makes from a template in our shape, with the
 * SigningCertificate's digest computed by openssl: the verifier accepts
 * another implementation's signature, and refuses a CertDigest other than
 * sha256 even when everything is correctly signed.
 */
static void sign_template_with_xmlsec1(ksef_buf *out, const char *md)
{
	ksef_buf digest = KSEF_BUF_INIT;
	char tmpl[4096];

	assert_int_equal(ts_system("openssl x509 -in '%s' -outform DER | "
		"openssl dgst -%s -binary | base64 -w0 > '%s'",
		path_in("cert.pem"), md, path_in("certdigest.b64")), 0);
	read_in(&digest, "certdigest.b64");
	snprintf(tmpl, sizeof(tmpl),
		"<Doc xmlns=\"urn:test\"><Amount>100.00</Amount>"
		"<ds:Signature xmlns:ds=\"" KSEF__DSIG_NS "\" Id=\"s\">"
		"<ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\""
		"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
		"<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/"
		"xmldsig-more#rsa-sha256\"/><ds:Reference URI=\"\">"
		"<ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/"
		"2000/09/xmldsig#enveloped-signature\"/></ds:Transforms>"
		"<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/"
		"xmlenc#sha256\"/><ds:DigestValue/></ds:Reference>"
		"<ds:Reference URI=\"#p\" Type=\""
		KSEF__XADES_SIGNED_PROPERTIES_TYPE "\"><ds:Transforms>"
		"<ds:Transform Algorithm=\"http://www.w3.org/2001/10/"
		"xml-exc-c14n#\"/></ds:Transforms><ds:DigestMethod "
		"Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>"
		"<ds:DigestValue/></ds:Reference></ds:SignedInfo>"
		"<ds:SignatureValue/><ds:Object><xades:QualifyingProperties "
		"xmlns:xades=\"" KSEF__XADES_NS "\" Target=\"#s\">"
		"<xades:SignedProperties Id=\"p\">"
		"<xades:SignedSignatureProperties><xades:SigningTime>"
		"2025-09-16T11:00:00Z</xades:SigningTime>"
		"<xades:SigningCertificate><xades:Cert><xades:CertDigest>"
		"<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/"
		"xmlenc#%s\"/><ds:DigestValue>%s</ds:DigestValue>"
		"</xades:CertDigest></xades:Cert></xades:SigningCertificate>"
		"</xades:SignedSignatureProperties></xades:SignedProperties>"
		"</xades:QualifyingProperties></ds:Object></ds:Signature>"
		"</Doc>", md, (const char *)digest.ptr);
	ts_write_file(path_in("tmpl.xml"), tmpl, strlen(tmpl));
	assert_int_equal(ts_system("xmlsec1 --sign --privkey-pem '%s' "
		"--id-attr:Id '" KSEF__XADES_NS ":SignedProperties' "
		"--output '%s' '%s' >/dev/null 2>&1", path_in("key.pem"),
		path_in("by-xmlsec1.xml"), path_in("tmpl.xml")), 0);
	read_in(out, "by-xmlsec1.xml");
	ksef_buf_dispose(&digest);
}

static void a_signature_by_xmlsec1_verifies_if_it_names_by_sha256(
	void **state)
{
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	if (ts_system("command -v xmlsec1 >/dev/null") != 0) {
		print_message("xmlsec1 not installed; not cross-checked\n");
		return;
	}
	sign_template_with_xmlsec1(&out, "sha256");
	if (verify_text(&out, &fx.cert, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(verify_text(&out, &fx.cert2, &err), KSEF_ECHECKSUM);
	sign_template_with_xmlsec1(&out, "sha512");
	assert_int_equal(verify_text(&out, &fx.cert, &err), KSEF_EFORMAT);
	assert_has(&err, "other than sha256");
	ksef_buf_dispose(&out);
}

static void a_reference_to_an_external_uri_is_refused(void **state)
{
	static const char *const uris[] = {
		"http://example.invalid/doc.xml",
		"file:///etc/hostname",
		"doc.xml",
	};
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;
	char ref[512];

	(void)state;
	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		sign_text(&out, DOC);
		/* A third Reference, before the signature value is checked:
		 * xmlsec must refuse to fetch it rather than read it. */
		snprintf(ref, sizeof(ref), "<ds:Reference URI=\"%s\">"
			"<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/"
			"04/xmlenc#sha256\"/><ds:DigestValue>AAAA"
			"</ds:DigestValue></ds:Reference></ds:SignedInfo>",
			uris[i]);
		ts_replace(&out, "</ds:SignedInfo>", ref);
		if (verify_text(&out, &fx.cert, &err) == 0)
			fail_msg("%s was accepted", uris[i]);
		assert_int_equal(err.code, KSEF_EFORMAT);
		assert_has(&err, "cannot be processed");
		/* The reason was reported, then forgotten. */
		assert_string_equal(ksef__dsig_error(), "");
	}
	ksef_buf_dispose(&out);
}

static void an_xslt_or_xpath_transform_is_refused(void **state)
{
	static const char *const transforms[] = {
		"<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/"
		"REC-xslt-19991116\"/>",
		"<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/"
		"REC-xpath-19991116\"><ds:XPath>1</ds:XPath></ds:Transform>",
	};
	static const char enveloped[] = "<ds:Transform Algorithm=\""
		"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>";
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;
	char t[512];

	(void)state;
	for (size_t i = 0; i < sizeof(transforms) / sizeof(transforms[0]);
	     i++) {
		/* Into the first Reference, the whole document's: xmlsec
		 * would otherwise run code the document brings. */
		sign_text(&out, DOC);
		snprintf(t, sizeof(t), "%s%s", enveloped, transforms[i]);
		ts_replace(&out, enveloped, t);
		assert_non_null(strstr((const char *)out.ptr, t));
		if (verify_text(&out, &fx.cert, &err) == 0)
			fail_msg("transform %zu was accepted", i);
		assert_int_equal(err.code, KSEF_EFORMAT);
		assert_has(&err, "disabled");
	}
	ksef_buf_dispose(&out);
}

static void a_signature_must_cover_the_whole_document(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sign_text(&out, DOC);
	ts_replace(&out, "<ds:Reference URI=\"\">",
		   "<ds:Reference URI=\"#" PROPS_ID "\">");
	assert_int_equal(verify_text(&out, &fx.cert, &err), KSEF_EFORMAT);
	assert_has(&err, "whole document");
	ksef_buf_dispose(&out);
}

static void a_signature_must_reference_its_signed_properties(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	sign_text(&out, DOC);
	ts_replace(&out, "Type=\"" KSEF__XADES_SIGNED_PROPERTIES_TYPE "\"",
		   "Type=\"urn:other\"");
	assert_int_equal(verify_text(&out, &fx.cert, &err), KSEF_EFORMAT);
	assert_has(&err, "SignedProperties");

	/* Its Reference must name the signature's own properties. */
	sign_text(&out, DOC);
	ts_replace(&out, "URI=\"#" PROPS_ID "\"", "URI=\"#elsewhere\"");
	assert_int_equal(verify_text(&out, &fx.cert, &err), KSEF_EFORMAT);
	assert_has(&err, "its own");
	ksef_buf_dispose(&out);
}

static void an_id_claimed_twice_is_refused(void **state)
{
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	/* An xml:id elsewhere with the SignedProperties' value: a wrapping
	 * attack's way to make the reference resolve to another element. */
	sign_text(&out, DOC);
	ts_replace(&out, "<Buyer>", "<Buyer xml:id=\"" PROPS_ID "\">");
	assert_int_equal(verify_text(&out, &fx.cert, &err), KSEF_EFORMAT);
	assert_has(&err, "not unique");
	ksef_buf_dispose(&out);
}

/*
 * The digest of the document and the signature value, computed by xmllint
 * and openssl: exclusive c14n of the unsigned document, SHA-256, Base64;
 * and an RSA-SHA256 signature of SignedInfo's exclusive c14n. xmlsec1,
 * where installed, verifies the whole signature too.
 */
static void digest_and_signature_match_xmllint_openssl_and_xmlsec1(
	void **state)
{
	ksef_buf out = KSEF_BUF_INIT, expect = KSEF_BUF_INIT;
	char text[1024];
	xmlDoc *doc, *si_doc;
	xmlNode *sig, *si;

	(void)state;
	if (ts_system("command -v xmllint >/dev/null && command -v openssl "
		      ">/dev/null") != 0) {
		print_message("xmllint or openssl not installed; not compared"
			      "\n");
		return;
	}
	sign_text(&out, DOC);
	ts_write_file(path_in("plain.xml"), DOC, strlen(DOC));
	assert_int_equal(ts_system("xmllint --exc-c14n '%s' | openssl dgst "
		"-sha256 -binary | base64 -w0 > '%s'", path_in("plain.xml"),
		path_in("plain.b64")), 0);
	read_in(&expect, "plain.b64");

	doc = parse((const char *)out.ptr, out.size);
	sig = last_element(doc);
	si = child(sig, KSEF__DSIG_NS, "SignedInfo");
	text_of(text, sizeof(text), child(child(si, KSEF__DSIG_NS,
		"Reference"), KSEF__DSIG_NS, "DigestValue"));
	assert_string_equal(text, (const char *)expect.ptr);

	si_doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlDocSetRootElement(si_doc, xmlDocCopyNode(si, si_doc, 1));
	assert_true(xmlSaveFile(path_in("si.xml"), si_doc) > 0);
	xmlFreeDoc(si_doc);
	text_of(text, sizeof(text), child(sig, KSEF__DSIG_NS,
					  "SignatureValue"));
	ts_write_file(path_in("sig.b64"), text, strlen(text));
	assert_int_equal(ts_system("cd '%s' && xmllint --exc-c14n si.xml > "
		"si.c14n && base64 -d sig.b64 > sig.bin && openssl x509 -in "
		"cert.pem -pubkey -noout > certpub.pem && openssl dgst "
		"-sha256 -verify certpub.pem -signature sig.bin si.c14n "
		">/dev/null", fx.dir), 0);
	xmlFreeDoc(doc);

	if (ts_system("command -v xmlsec1 >/dev/null") == 0) {
		ts_write_file(path_in("signed.xml"), out.ptr, out.size);
		assert_int_equal(ts_system("xmlsec1 --verify --id-attr:Id "
			"'" KSEF__XADES_NS ":SignedProperties' "
			"--pubkey-cert-pem '%s' '%s' >/dev/null 2>&1",
			path_in("cert.pem"), path_in("signed.xml")), 0);
	} else {
		print_message("xmlsec1 not installed; not cross-checked\n");
	}
	ksef_buf_dispose(&expect);
	ksef_buf_dispose(&out);
}

/* ---- threads ------------------------------------------------------------- */

struct worker {
	ksef_time when;
	int ok;
};

/* Sign, serialise, read back and verify, five times; no cmocka calls
 * here, as this runs outside the test's thread. */
static void *sign_and_verify_many(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 5; i++) {
		xmlDoc *doc = NULL, *back = NULL;
		xmlChar *mem = NULL;
		int size = 0;
		ksef_error err;

		if (ksef__xml_parse(&doc, NULL, (const unsigned char *)DOC,
				    strlen(DOC), 4096, &err) == 0 &&
		    ksef__dsig_sign_enveloped(doc, fx.signer, w->when,
					      &err) == 0)
			xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
		if (mem != NULL && ksef__xml_parse(&back, NULL, mem,
				(size_t)size, 65536, &err) == 0 &&
		    ksef__dsig_verify_enveloped(back, last_element(back),
			fx.cert.ptr, fx.cert.size, &err) == 0)
			w->ok++;
		xmlFree(mem);
		xmlFreeDoc(doc);
		xmlFreeDoc(back);
	}
	return NULL;
}

static void one_key_signs_from_several_threads_at_once(void **state)
{
	struct worker w[4];
	pthread_t t[4];

	(void)state;
	memset(w, 0, sizeof(w));
	for (int i = 0; i < 4; i++) {
		w[i].when = signing_time();
		assert_int_equal(pthread_create(&t[i], NULL,
						sign_and_verify_many, &w[i]),
				 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].ok, 5);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_new_refuses_null_and_empty_arguments),
		cmocka_unit_test(key_new_refuses_one_byte_and_garbage),
		cmocka_unit_test(
			key_new_refuses_oversized_input_by_its_length_alone),
		cmocka_unit_test(
			key_new_accepts_key_and_certificate_at_the_limit),
		cmocka_unit_test(key_new_refuses_keys_a_signature_cannot_use),
		cmocka_unit_test(key_new_takes_the_certificate_as_pem_or_der),
		cmocka_unit_test(
			sign_refuses_null_arguments_and_a_rootless_document),
		cmocka_unit_test(
			sign_refuses_a_document_that_already_uses_its_id),
		cmocka_unit_test(sign_appends_an_enveloped_xades_bes_signature),
		cmocka_unit_test(
			the_same_document_key_and_time_give_the_same_bytes),
		cmocka_unit_test(
			verify_accepts_what_was_signed_with_pem_or_der),
		cmocka_unit_test(
			verify_refuses_null_arguments_and_bad_certificates),
		cmocka_unit_test(
			verify_refuses_an_element_that_is_no_signature),
		cmocka_unit_test(
			a_changed_byte_in_the_document_breaks_the_signature),
		cmocka_unit_test(a_changed_signing_time_breaks_the_signature),
		cmocka_unit_test(a_changed_signature_value_fails),
		cmocka_unit_test(another_certificate_does_not_verify),
		cmocka_unit_test(the_certificate_in_keyinfo_is_not_trusted),
		cmocka_unit_test(the_signing_certificate_must_be_the_given_one),
		cmocka_unit_test(
			a_signature_by_xmlsec1_verifies_if_it_names_by_sha256),
		cmocka_unit_test(a_reference_to_an_external_uri_is_refused),
		cmocka_unit_test(an_xslt_or_xpath_transform_is_refused),
		cmocka_unit_test(a_signature_must_cover_the_whole_document),
		cmocka_unit_test(
			a_signature_must_reference_its_signed_properties),
		cmocka_unit_test(an_id_claimed_twice_is_refused),
		cmocka_unit_test(
			digest_and_signature_match_xmllint_openssl_and_xmlsec1),
		cmocka_unit_test(one_key_signs_from_several_threads_at_once),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
