/*
 * alloc_test.c - the library's main paths with each allocation failing in
 * turn (fault_alloc.c), in the manner of SQLite's malloc tests: envelope
 * encryption and decryption, RSA-OAEP key wrapping, identifier parsing,
 * invoice generation and verification against the official schemas, UPO
 * signing and verification, XAdES signing and verification, and the
 * saved state of a connection and a session.
 *
 * Each path runs once to warm the process-wide caches (OpenSSL's fetched
 * algorithms, libxml2's dictionaries) and to count its allocations. Then
 * it runs again with allocation n failing, for n = 1, 2, 3, ... until a
 * run makes no n-th allocation, and must then succeed; and once more with
 * nothing failing, so that what a failure left in a shared object (a key,
 * a cache) shows. A run whose allocation failed must return a KSEF_E* code
 * with a message (the same code in err), or succeed with the right result:
 * some failures are absorbed, by OpenSSL's fallbacks for one, and what
 * came out is checked (a signed UPO or request must verify, a ciphertext
 * must match). Either way the run must leave as many blocks allocated as
 * there were before it (its results freed, per-thread error state
 * dropped). A path with more allocations than its table entry allows
 * fails each of the first DENSE_RUNS and then a spread of the rest;
 * KSEF_ALLOC_EVERY=1 in the environment fails every one.
 *
 * Some codes are refused outright where a failed allocation must not pass
 * for bad input: a verdict on an invoice, a UPO called unsigned, a
 * signature called bad, a saved state called broken. Others are let
 * through: OpenSSL 3.0 reports some of its allocation failures only as
 * "decode error", "initialization error" or a signature mismatch, and
 * libksef cannot tell those from bad input.
 *
 * Not under a sanitizer (the allocator is replaced) nor valgrind (which
 * replaces it again, so nothing would be counted). To look at one failure:
 * KSEF_ALLOC_ONLY=<path> KSEF_ALLOC_FROM=n KSEF_ALLOC_TO=n, with
 * KSEF_ALLOC_VERBOSE=1 (every code other than KSEF_ENOMEM),
 * KSEF_ALLOC_TRACE=1 (where leaked blocks were made) or
 * KSEF_ALLOC_SURVEY=1 (report every problem and go on).
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/xmlerror.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include "testsupport.h"
#include "fault_alloc.h"
#include "ksef/client.h"
#include "ksef/encoding.h"
#include "ksef/envelope.h"
#include "ksef/gen.h"
#include "ksef/invoice.h"
#include "ksef/number.h"
#include "ksef/session.h"
#include "ksef/upo.h"
#include "ksef/xades.h"
#include "xsd.h"
#include "client_batch_int.h"
#include "alloc_test.h"

/* Failures at each of the first DENSE_RUNS allocations of every path. */
#define DENSE_RUNS 200

#define NIP "5265877635"
#define CHALLENGE "20250625-CR-20F5EE4000-DA48AE4124-46"

/*
 * The driver (struct path is in alloc_test.h)
 */

/* Whether a code is one of libksef's: ksef_strerror() knows it. */
static int is_ksef_code(int rc)
{
	return rc < 0 && strcmp(ksef_strerror(rc), "unknown error") != 0;
}

static int is_forbidden(const struct path *p, int rc)
{
	size_t i;

	if (p->strict)
		return rc != KSEF_ENOMEM;
	for (i = 0; i < sizeof(p->forbidden) / sizeof(p->forbidden[0]) &&
		    p->forbidden[i] != 0; i++)
		if (rc == p->forbidden[i])
			return 1;
	return 0;
}

static long env_long(const char *name, long otherwise)
{
	const char *v = getenv(name);

	return v != NULL ? atol(v) : otherwise;
}

/* KSEF_ALLOC_SURVEY=1: report every problem and go on, to see them all. */
static int problems;

#define PROBLEM(...)                                                     \
	do {                                                             \
		if (getenv("KSEF_ALLOC_SURVEY") == NULL)                 \
			fail_msg(__VA_ARGS__);                           \
		fprintf(stderr, __VA_ARGS__);                            \
		fputc('\n', stderr);                                    \
		problems++;                                              \
	} while (0)

/*
 * Per-thread error state that outlives a call by design, dropped before
 * each count so that it does not pass for a leak: OpenSSL's error queue
 * keeps the text buffers of cleared entries for reuse (and its thread
 * state holds the thread's random generators, made again on next use),
 * and libxml2 keeps a copy of its last error.
 */
static void settle(void)
{
	OPENSSL_thread_stop();
	xmlResetLastError();
}

static void exercise(const struct path *p)
{
	const char *only = getenv("KSEF_ALLOC_ONLY");
	long total, n, step = 1, runs = 0, nomem = 0, other = 0, absorbed = 0,
	     spared = 0, to = env_long("KSEF_ALLOC_TO", LONG_MAX);
	int rc, last_other = 0;
	ksef_error err;

	if (only != NULL && strcmp(only, p->name) != 0)
		return;
	fa_trace(getenv("KSEF_ALLOC_TRACE") != NULL);
	/* The warm-up: caches filled here stay filled. */
	memset(&err, 0, sizeof(err));
	fa_arm(0);
	rc = p->run(&err);
	total = fa_disarm();
	if (rc != 0)
		fail_msg("%s: warm-up failed: %s", p->name, err.message);
	p->done(rc);
	if (p->max_runs > 0 && total > p->max_runs &&
	    env_long("KSEF_ALLOC_EVERY", 0) != 1)
		step = (total - DENSE_RUNS) / (p->max_runs - DENSE_RUNS) + 1;

	for (n = env_long("KSEF_ALLOC_FROM", 1); n > 0 && n <= to;
	     n += n < DENSE_RUNS ? 1 : step) {
		long before, after;

		memset(&err, 0, sizeof(err));
		settle();
		before = fa_live();
		fa_arm(n);
		rc = p->run(&err);
		fa_disarm();
		spared += fa_spared();
		if (!fa_failed()) {
			/* Past the last allocation: the whole path works. */
			if (rc != 0)
				PROBLEM("%s: fails with no allocation failing "
					"(%d): %s", p->name, rc, err.message);
			p->done(rc);
			break;
		}
		runs++;
		if (rc == 0) {
			absorbed++;
		} else if (!is_ksef_code(rc)) {
			PROBLEM("%s: allocation %ld failing: %d is no KSEF_E* "
				"code", p->name, n, rc);
		} else if (err.message[0] == '\0') {
			PROBLEM("%s: allocation %ld failing: %s without a "
				"message", p->name, n, ksef_strerror(rc));
		} else if (err.code != rc) {
			PROBLEM("%s: allocation %ld failing: returned %d, "
				"err.code %d", p->name, n, rc, err.code);
		} else if (is_forbidden(p, rc)) {
			PROBLEM("%s: allocation %ld failing gave \"%s\", "
				"which blames the input: %s", p->name, n,
				ksef_strerror(rc), err.message);
		} else if (rc == KSEF_ENOMEM) {
			nomem++;
		} else {
			other++;
			last_other = rc;
			if (getenv("KSEF_ALLOC_VERBOSE") != NULL)
				fprintf(stderr, "  %s: allocation %ld: %s: "
					"%s\n", p->name, n, ksef_strerror(rc),
					err.message);
		}
		p->done(rc);
		settle();
		after = fa_live();
		if (after != before && getenv("KSEF_ALLOC_TRACE") != NULL)
			fa_trace_dump();
		if (after != before)
			PROBLEM("%s: allocation %ld failing: %ld block(s) "
				"leaked (%s: %s)", p->name, n, after - before,
				rc ? ksef_strerror(rc) : "success",
				rc ? err.message : "");
	}
	/* And nothing a failure left behind (in a shared key, a cache)
	 * spoils the next run. */
	memset(&err, 0, sizeof(err));
	fa_arm(0);
	rc = p->run(&err);
	fa_disarm();
	if (rc != 0)
		PROBLEM("%s: fails after the failures (%d): %s", p->name, rc,
			err.message);
	p->done(rc);
	printf("%-22s %6ld allocations, %5ld failed: %5ld ENOMEM, %4ld "
	       "other%s%s, %4ld absorbed, %ld spared\n", p->name, total, runs,
	       nomem, other, other ? " e.g. " : "",
	       other ? ksef_strerror(last_other) : "", absorbed, spared);
}

/*
 * Fixtures, made with no allocation failing
 */

static struct {
	ksef_envelope *env;
	ksef_pubkey *pub;
	ksef_privkey *priv;
	ksef_buf rsa_key, rsa_cert; /* PEM: RSA-2048 */
	ksef_buf ec_key, ec_cert;   /* PEM: P-256, a person's */
	ksef_buf cert_der;          /* rsa_cert as DER */
	ksef_buf invoice;           /* a generated FA(3) invoice */
	ksef_buf ciphertext;        /* invoice under env */
	ksef_buf wrapped;           /* env's key under pub */
	ksef_buf upo;               /* a signed UPO */
	ksef_buf auth;              /* a signed AuthTokenRequest */
	ksef_upo_signer *upo_signer;
	ksef_xades_signer *xades_signer;
	ksef_schemas *schemas;      /* FA(3) compiled, or NULL */
	char refs[3][KSEF_REFNUM_BUFSZ];
	char ksef_number[KSEF_NUMBER_BUFSZ];
	char conn_state[2048];
	char session_state[2048];
	ksef_conn *conn;            /* resumed from conn_state */
} fx;

/* The certificate in DER, for ksef_pubkey_load(). */
static void pem_to_der(ksef_buf *der, const ksef_buf *pem)
{
	const char *b = strstr((const char *)pem->ptr, "-----\n");
	const char *e = strstr((const char *)pem->ptr, "\n-----END");
	char *text;
	size_t i, j;

	assert_non_null(b);
	assert_non_null(e);
	b += 6;
	text = malloc((size_t)(e - b) + 1);
	assert_non_null(text);
	for (i = 0, j = 0; b + i < e; i++)
		if (b[i] != '\n')
			text[j++] = b[i];
	assert_int_equal(ksef_base64_decode(der, text, j, 1 << 20, NULL), 0);
	free(text);
}

static void make_upo_desc(ksef_upo_desc *desc, ksef_upo_document *doc,
			  const ksef_upo_document **docs)
{
	static const ksef_upo_desc init = KSEF_UPO_DESC_INIT;
	ksef_time t;
	ksef_date d;

	assert_int_equal(ksef_time_parse(&t, "2025-09-16T11:02:41.584+02:00",
					 29, NULL), 0);
	assert_int_equal(ksef_date_parse(&d, "2025-09-16", 10, NULL), 0);
	memset(doc, 0, sizeof(*doc));
	doc->seller_nip = NIP;
	doc->ksef_number = fx.ksef_number;
	doc->invoice_number = "FV/1/2025";
	doc->issue_date = d;
	doc->sent_at = t;
	doc->numbered_at = t;
	doc->invoice_hash = "jli86Kp2Kw7jppX59P8VmjWRcwLTvsPK3DcPEB87mNk=";
	doc->mode = KSEF_UPO_MODE_ONLINE;
	docs[0] = doc;
	*desc = init;
	desc->session_reference = fx.refs[1];
	desc->context_type = KSEF_UPO_CONTEXT_NIP;
	desc->context_id = NIP;
	desc->auth_type = KSEF_UPO_AUTH_DOCUMENT_HASH;
	desc->auth_value = "kyqH+QUgP8ATWd/95IY632mP4uqibwG66Oqclq9+qno=";
	desc->documents = docs;
	desc->document_count = 1;
}

/*
 * Allocations this test never fails, each a dependency's bug that would
 * crash the program or leak whatever libksef did (Debian 12: libxml2
 * 2.9.14, xmlsec 1.2.37, OpenSSL 3.0):
 * - xmlParserInputGrow: when the input buffer cannot grow, libxml2 takes
 *   the buffer's NULL content for the text to parse and dereferences it.
 * - ECDSA_size: it returns 0 when its allocation fails, and xmlsec then
 *   hands OpenSSL a signature buffer of that size to decode.
 * - schema validation (ksef__xsd_validate, but for xmlSchemaNewValidCtxt,
 *   whose failures xsd.c catches): a failed allocation of an attribute's
 *   or element's record leaks it or frees it twice.
 * - xmlSecNodeSetCreate: when it fails, xmlSecNodeSetGetChildren leaks the
 *   XPath node set it made for it.
 * - xmlsec's transforms fed by an xmlOutputBuffer (the canonical form on
 *   its way to a digest or a signature): when an allocation fails in them,
 *   xmlsec's close callback returns before freeing its context.
 * - xmlXPtrEval: when an allocation fails while it evaluates xmlsec's
 *   xpointer(id('...')), the node set left on its value stack leaks.
 * - ksef__batch_entry_header (an entry's name and header, libarchive
 *   3.6): libarchive's string functions end the process ("Out of
 *   memory", exit 1) when they cannot grow.
 * Schema compilation is not exercised at all: libxml2's schema parser
 * leaks its dictionary when its construction context cannot be made and
 * corrupts the heap when an allocation fails in xmlRegexpCompile. Schemas
 * are compiled once, at start.
 */
static const struct {
	const char *in[FA_RULE_FNS], *with[FA_RULE_FNS], *unless[FA_RULE_FNS];
} spared[] = {
	{ { "xmlParserInputGrow" }, { NULL }, { NULL } },
	{ { "ECDSA_size" }, { NULL }, { NULL } },
	{ { "xmlSecNodeSetCreate" }, { NULL }, { NULL } },
	{ { "xmlSecTransformDefaultPushBin" },
	  { "xmlOutputBufferWrite", "xmlOutputBufferWriteString",
	    "xmlOutputBufferFlush", "xmlOutputBufferClose" }, { NULL } },
	{ { "xmlXPtrEval" }, { NULL }, { NULL } },
	{ { "ksef__xsd_validate" }, { NULL }, { "xmlSchemaNewValidCtxt" } },
	{ { "ksef__batch_entry_header" }, { NULL }, { NULL } },
};
static struct fa_rule rules[sizeof(spared) / sizeof(spared[0])];

/* A function of the program (libksef is linked in) or of a library. */
static void *function(const char *name)
{
	void *f = strcmp(name, "ksef__xsd_validate") == 0 ?
		  (void *)ksef__xsd_validate :
		  strcmp(name, "ksef__batch_entry_header") == 0 ?
		  (void *)ksef__batch_entry_header : dlsym(RTLD_DEFAULT, name);

	if (f == NULL)
		fail_msg("%s is not in the program", name);
	return f;
}

static void spare_known_bugs(void)
{
	size_t r, i;

	for (r = 0; r < sizeof(spared) / sizeof(spared[0]); r++)
		for (i = 0; i < FA_RULE_FNS; i++) {
			if (spared[r].in[i] != NULL)
				rules[r].in[i] = function(spared[r].in[i]);
			if (spared[r].with[i] != NULL)
				rules[r].with[i] = function(spared[r].with[i]);
			if (spared[r].unless[i] != NULL)
				rules[r].unless[i] =
					function(spared[r].unless[i]);
		}
	fa_spare(rules, sizeof(rules) / sizeof(rules[0]));
}

/* libxml2 tells stderr of each allocation it could not make, through its
 * generic error handler (libksef's parses take their errors through their
 * own context): thousands of lines here. */
static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static int setup(void **state)
{
	ksef_xades_cert_options co = KSEF_XADES_CERT_OPTIONS_INIT;
	ksef_xades_auth_request rq = KSEF_XADES_AUTH_REQUEST_INIT;
	ksef_gen_options go = KSEF_GEN_OPTIONS_INIT;
	ksef_invoice_meta meta;
	ksef_upo_desc desc;
	ksef_upo_document doc;
	const ksef_upo_document *docs[1];
	ksef_time now = ksef_time_warsaw(ksef_time_now().unix_ms);
	ksef_error err;

	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	spare_known_bugs();
	xmlSetGenericErrorFunc(NULL, quiet);
	co.kind = KSEF_XADES_CERT_SEAL;
	co.organization_name = "Kowalski sp. z o.o.";
	co.organization_identifier = "VATPL-" NIP;
	co.common_name = "Kowalski";
	if (ksef_xades_cert_generate(&fx.rsa_key, &fx.rsa_cert, &co, &err))
		fail_msg("RSA certificate: %s", err.message);
	co = (ksef_xades_cert_options)KSEF_XADES_CERT_OPTIONS_INIT;
	co.key_type = KSEF_XADES_KEY_EC_P256;
	co.given_name = "Jan";
	co.surname = "Kowalski";
	co.serial_number = "TINPL-" NIP;
	co.common_name = "Jan Kowalski";
	if (ksef_xades_cert_generate(&fx.ec_key, &fx.ec_cert, &co, &err))
		fail_msg("EC certificate: %s", err.message);
	pem_to_der(&fx.cert_der, &fx.rsa_cert);
	assert_int_equal(ksef_pubkey_load(&fx.pub, fx.cert_der.ptr,
					  fx.cert_der.size, NULL), 0);
	assert_int_equal(ksef_privkey_load_pem(&fx.priv,
		(const char *)fx.rsa_key.ptr, fx.rsa_key.size, NULL), 0);
	assert_int_equal(ksef_envelope_new(&fx.env, NULL), 0);

	go.seller_nip = NIP;
	go.issue_date = "2025-09-01";
	go.seed = 7;
	assert_int_equal(ksef_gen_invoice(&fx.invoice, &go, 1, NULL), 0);
	assert_int_equal(ksef_envelope_seal(&fx.ciphertext, &meta, fx.env,
		fx.invoice.ptr, fx.invoice.size, NULL), 0);
	assert_int_equal(ksef_envelope_wrap_key(&fx.wrapped, fx.env, fx.pub,
						NULL), 0);

	assert_int_equal(ksef_refnum_generate(fx.refs[0], KSEF_REFNUM_AUTH,
					      now, NULL), 0);
	assert_int_equal(ksef_refnum_generate(fx.refs[1],
		KSEF_REFNUM_ONLINE_SESSION, now, NULL), 0);
	assert_int_equal(ksef_refnum_generate(fx.refs[2], KSEF_REFNUM_INVOICE,
					      now, NULL), 0);
	assert_int_equal(ksef_number_generate(fx.ksef_number, NIP, 10,
		ksef_time_date(now), 0x0100A0D6723EULL, NULL), 0);

	if (ksef_upo_signer_new(&fx.upo_signer, (const char *)fx.rsa_key.ptr,
				fx.rsa_key.size, fx.rsa_cert.ptr,
				fx.rsa_cert.size, &err))
		fail_msg("UPO signer: %s", err.message);
	make_upo_desc(&desc, &doc, docs);
	if (ksef_upo_build_signed(&fx.upo, &desc, fx.upo_signer, NULL, &err))
		fail_msg("UPO: %s", err.message);

	if (ksef_xades_signer_new(&fx.xades_signer, fx.ec_key.ptr,
				  fx.ec_key.size, fx.ec_cert.ptr,
				  fx.ec_cert.size, NULL, &err))
		fail_msg("XAdES signer: %s", err.message);
	rq.challenge = CHALLENGE;
	rq.context_value = NIP;
	if (ksef_xades_sign_auth_request(&fx.auth, &rq, fx.xades_signer, &err))
		fail_msg("AuthTokenRequest: %s", err.message);

	snprintf(fx.conn_state, sizeof(fx.conn_state), "{\"version\":1,"
		 "\"baseUrl\":\"http://127.0.0.1:9/v2\",\"contextType\":"
		 "\"Nip\",\"contextValue\":\"" NIP "\",\"authReferenceNumber\":"
		 "\"%s\",\"accessToken\":{\"token\":\"eyJhbGciOiJIUzI1NiJ9."
		 "YWNjZXNz.c2lnbmVk\",\"validUntil\":\"2099-01-01T00:00:00.000"
		 "Z\"},\"refreshToken\":{\"token\":\"eyJhbGciOiJIUzI1NiJ9."
		 "cmVmcmVzaA.c2lnbmVk\",\"validUntil\":\"2099-01-01T00:00:00."
		 "000Z\"}}", fx.refs[0]);
	snprintf(fx.session_state, sizeof(fx.session_state), "{\"version\":1,"
		 "\"baseUrl\":\"http://127.0.0.1:9/v2\",\"contextType\":"
		 "\"Nip\",\"contextValue\":\"" NIP "\",\"referenceNumber\":"
		 "\"%s\",\"formCode\":\"FA (3)\",\"key\":\"AAECAwQFBgcICQoLDA0O"
		 "DxAREhMUFRYXGBkaGxwdHh8=\",\"iv\":"
		 "\"ICEiIyQlJicoKSorLC0uLw==\","
		 "\"validUntil\":\"2099-01-01T00:00:00.000Z\",\"closed\":false,"
		 "\"invoices\":[{\"referenceNumber\":\"%s\",\"invoiceHash\":"
		 "\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"}]}",
		 fx.refs[1], fx.refs[2]);
	if (ksef_conn_resume(&fx.conn, NULL, fx.conn_state,
			     strlen(fx.conn_state), &err))
		fail_msg("connection state: %s", err.message);

	if (!ts_schemas_missing()) {
		if (ksef_schemas_new(&fx.schemas, ts_schema_dir(), &err) ||
		    ksef_schemas_compile(fx.schemas, KSEF_FORM_FA3, &err))
			fail_msg("schemas: %s", err.message);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ksef_conn_free(fx.conn);
	ksef_schemas_free(fx.schemas);
	ksef_xades_signer_free(fx.xades_signer);
	ksef_upo_signer_free(fx.upo_signer);
	ksef_envelope_free(fx.env);
	ksef_pubkey_free(fx.pub);
	ksef_privkey_free(fx.priv);
	ksef_buf_dispose_secure(&fx.rsa_key);
	ksef_buf_dispose_secure(&fx.ec_key);
	ksef_buf_dispose(&fx.rsa_cert);
	ksef_buf_dispose(&fx.ec_cert);
	ksef_buf_dispose(&fx.cert_der);
	ksef_buf_dispose(&fx.invoice);
	ksef_buf_dispose(&fx.ciphertext);
	ksef_buf_dispose(&fx.wrapped);
	ksef_buf_dispose(&fx.upo);
	ksef_buf_dispose(&fx.auth);
	return 0;
}

/*
 * The paths. Each run_* makes its result in `out` (file scope, so that
 * done_* can check and free it with nothing failing).
 */

static ksef_buf out_buf = KSEF_BUF_INIT;
static ksef_buf out_key = KSEF_BUF_INIT;
static ksef_envelope *out_env;
static ksef_pubkey *out_pub;
static ksef_privkey *out_priv;

/* Envelopes and keys */

static int run_envelope_new(ksef_error *err)
{
	return ksef_envelope_new(&out_env, err);
}

static void done_envelope(int rc)
{
	assert_true((rc == 0) == (out_env != NULL));
	ksef_envelope_free(out_env);
	out_env = NULL;
}

static int run_envelope_seal(ksef_error *err)
{
	ksef_invoice_meta meta;

	return ksef_envelope_seal(&out_buf, &meta, fx.env, fx.invoice.ptr,
				  fx.invoice.size, err);
}

static void done_envelope_seal(int rc)
{
	/* The same key and IV: AES-CBC gives the same bytes. */
	if (rc == 0) {
		assert_int_equal(out_buf.size, fx.ciphertext.size);
		assert_memory_equal(out_buf.ptr, fx.ciphertext.ptr,
				    out_buf.size);
	}
	ksef_buf_dispose(&out_buf);
}

static int run_envelope_decrypt(ksef_error *err)
{
	return ksef_envelope_decrypt(&out_buf, fx.env, fx.ciphertext.ptr,
				     fx.ciphertext.size, err);
}

static void done_envelope_decrypt(int rc)
{
	if (rc == 0) {
		assert_int_equal(out_buf.size, fx.invoice.size);
		assert_memory_equal(out_buf.ptr, fx.invoice.ptr,
				    fx.invoice.size);
	}
	ksef_buf_dispose_secure(&out_buf);
}

static int run_pubkey_load(ksef_error *err)
{
	return ksef_pubkey_load(&out_pub, fx.cert_der.ptr, fx.cert_der.size,
				err);
}

static void done_pubkey(int rc)
{
	if (rc == 0)
		assert_string_equal(ksef_pubkey_id(out_pub),
				    ksef_pubkey_id(fx.pub));
	ksef_pubkey_free(out_pub);
	out_pub = NULL;
}

static int run_privkey_load(ksef_error *err)
{
	return ksef_privkey_load_pem(&out_priv, (const char *)fx.rsa_key.ptr,
				     fx.rsa_key.size, err);
}

static void done_privkey(int rc)
{
	assert_true((rc == 0) == (out_priv != NULL));
	ksef_privkey_free(out_priv);
	out_priv = NULL;
}

static int run_wrap_key(ksef_error *err)
{
	return ksef_envelope_wrap_key(&out_buf, fx.env, fx.pub, err);
}

static void done_wrap_key(int rc)
{
	ksef_envelope *env = NULL;

	/* OAEP is randomised: the key must come back out. */
	if (rc == 0 && fa_failed()) {
		assert_int_equal(ksef_envelope_unwrap_key(&env, fx.priv,
			out_buf.ptr, out_buf.size, ksef_envelope_iv(fx.env),
			KSEF_AES_IV_LEN, NULL), 0);
		assert_memory_equal(ksef_envelope_key(env),
				    ksef_envelope_key(fx.env),
				    KSEF_AES_KEY_LEN);
		ksef_envelope_free(env);
	}
	ksef_buf_dispose(&out_buf);
}

static int run_unwrap_key(ksef_error *err)
{
	return ksef_envelope_unwrap_key(&out_env, fx.priv, fx.wrapped.ptr,
		fx.wrapped.size, ksef_envelope_iv(fx.env), KSEF_AES_IV_LEN,
		err);
}

static void done_unwrap_key(int rc)
{
	if (rc == 0)
		assert_memory_equal(ksef_envelope_key(out_env),
				    ksef_envelope_key(fx.env),
				    KSEF_AES_KEY_LEN);
	done_envelope(rc);
}

/* Identifiers: parsing and checking make no allocation today; the path
 * pins that down (a first allocation would be failed and must be clean). */

static int run_identifiers(ksef_error *err)
{
	ksef_number_parts np;
	ksef_refnum_parts rp;
	int rc;

	if ((rc = ksef_number_parse(&np, fx.ksef_number,
				    strlen(fx.ksef_number), err)) < 0 ||
	    (rc = ksef_refnum_parse(&rp, fx.refs[1], strlen(fx.refs[1]),
				    err)) < 0 ||
	    (rc = ksef_nip_validate(NIP, 10, err)) < 0)
		return rc;
	return 0;
}

static void done_nothing(int rc)
{
	(void)rc;
}

/* Invoices */

static int run_gen_invoice(ksef_error *err)
{
	ksef_gen_options go = KSEF_GEN_OPTIONS_INIT;

	go.seller_nip = NIP;
	go.issue_date = "2025-09-01";
	go.seed = 7;
	return ksef_gen_invoice(&out_buf, &go, 1, err);
}

static void done_gen_invoice(int rc)
{
	if (rc == 0) {
		assert_int_equal(out_buf.size, fx.invoice.size);
		assert_memory_equal(out_buf.ptr, fx.invoice.ptr,
				    fx.invoice.size);
	}
	ksef_buf_dispose(&out_buf);
}

static ksef_verdict *out_verdict;

static int run_invoice_verify(ksef_error *err)
{
	return ksef_invoice_verify(&out_verdict, fx.schemas, KSEF_FORM_FA3,
				   fx.invoice.ptr, fx.invoice.size, NULL, err);
}

static void done_invoice_verify(int rc)
{
	/* A verdict is the invoice's, never the allocator's: an invoice
	 * refused for want of memory would stay refused. */
	if (rc == 0 && ksef_verdict_status(out_verdict) !=
	    KSEF_INVOICE_STATUS_OK)
		fail_msg("a failed allocation gave the verdict %d: %s",
			 ksef_verdict_status(out_verdict),
			 ksef_verdict_detail_count(out_verdict) ?
			 ksef_verdict_detail(out_verdict, 0) : "");
	ksef_verdict_free(out_verdict);
	out_verdict = NULL;
}

/* UPO */

static ksef_upo_signer *out_upo_signer;

static int run_upo_signer_new(ksef_error *err)
{
	return ksef_upo_signer_new(&out_upo_signer,
		(const char *)fx.rsa_key.ptr, fx.rsa_key.size, fx.rsa_cert.ptr,
		fx.rsa_cert.size, err);
}

static void done_upo_signer(int rc)
{
	assert_true((rc == 0) == (out_upo_signer != NULL));
	ksef_upo_signer_free(out_upo_signer);
	out_upo_signer = NULL;
}

static int run_upo_build_signed(ksef_error *err)
{
	ksef_upo_desc desc;
	ksef_upo_document doc;
	const ksef_upo_document *docs[1];

	make_upo_desc(&desc, &doc, docs);
	return ksef_upo_build_signed(&out_buf, &desc, fx.upo_signer, NULL,
				     err);
}

static void done_upo_build_signed(int rc)
{
	ksef_error err;

	/* A UPO signed after, or while, something could not allocate must
	 * be whole and verify. */
	if (rc == 0 && ksef_upo_verify(out_buf.ptr,
			out_buf.size, fx.rsa_cert.ptr, fx.rsa_cert.size, &err))
		PROBLEM("upo_build_signed: a failed allocation gave a UPO "
			"that does not verify: %s", err.message);
	if (rc == 0)
		assert_true(out_buf.size > 0);
	ksef_buf_dispose(&out_buf);
}

static int run_upo_verify(ksef_error *err)
{
	return ksef_upo_verify(fx.upo.ptr, fx.upo.size, fx.rsa_cert.ptr,
			       fx.rsa_cert.size, err);
}

/* XAdES */

static int run_xades_cert_generate(ksef_error *err)
{
	ksef_xades_cert_options co = KSEF_XADES_CERT_OPTIONS_INIT;
	int rc;

	co.key_type = KSEF_XADES_KEY_EC_P256;
	co.given_name = "Jan";
	co.surname = "Kowalski";
	co.serial_number = "TINPL-" NIP;
	co.common_name = "Jan Kowalski";
	rc = ksef_xades_cert_generate(&out_key, &out_buf, &co, err);
	return rc;
}

static void done_xades_cert_generate(int rc)
{
	ksef_xades_signer *s = NULL;
	ksef_error err;

	/* Key and certificate must make a signer, whatever was absorbed. */
	if (rc == 0 && fa_failed() && ksef_xades_signer_new(&s, out_key.ptr,
			out_key.size, out_buf.ptr, out_buf.size, NULL, &err))
		PROBLEM("xades_cert_generate: a failed allocation gave a key "
			"and certificate that make no signer: %s",
			err.message);
	ksef_xades_signer_free(s);
	ksef_buf_dispose_secure(&out_key);
	ksef_buf_dispose(&out_buf);
}

static ksef_xades_signer *out_xades_signer;

static int run_xades_signer_new(ksef_error *err)
{
	return ksef_xades_signer_new(&out_xades_signer, fx.ec_key.ptr,
		fx.ec_key.size, fx.ec_cert.ptr, fx.ec_cert.size, NULL, err);
}

static void done_xades_signer(int rc)
{
	assert_true((rc == 0) == (out_xades_signer != NULL));
	if (rc == 0)
		assert_string_equal(
			ksef_xades_signer_fingerprint(out_xades_signer),
			ksef_xades_signer_fingerprint(fx.xades_signer));
	ksef_xades_signer_free(out_xades_signer);
	out_xades_signer = NULL;
}

static int run_xades_sign(ksef_error *err)
{
	ksef_xades_auth_request rq = KSEF_XADES_AUTH_REQUEST_INIT;

	rq.challenge = CHALLENGE;
	rq.context_value = NIP;
	return ksef_xades_sign_auth_request(&out_buf, &rq, fx.xades_signer,
					    err);
}

static ksef_xades_verified *out_verified;

static void done_xades_sign(int rc)
{
	ksef_xades_verified *v = NULL;
	ksef_error err;

	if (rc == 0 && ksef_xades_verify_auth_request(&v,
			out_buf.ptr, out_buf.size, NULL, &err))
		PROBLEM("xades_sign: a failed allocation gave a request "
			"that does not verify: %s", err.message);
	ksef_xades_verified_free(v);
	if (rc == 0)
		assert_true(out_buf.size > 0);
	ksef_buf_dispose(&out_buf);
}

static int run_xades_verify(ksef_error *err)
{
	return ksef_xades_verify_auth_request(&out_verified, fx.auth.ptr,
					      fx.auth.size, NULL, err);
}

static void done_xades_verify(int rc)
{
	if (rc == 0) {
		const char *ch = ksef_xades_verified_challenge(out_verified);
		const char *nip = ksef_xades_verified_cert_nip(out_verified);

		if (ch == NULL || strcmp(ch, CHALLENGE) != 0 || nip == NULL ||
		    strcmp(nip, NIP) != 0)
			PROBLEM("xades_verify: a failed allocation gave "
				"challenge %s, NIP %s", ch ? ch : "NULL",
				nip ? nip : "NULL");
	}
	ksef_xades_verified_free(out_verified);
	out_verified = NULL;
}

/* Saved state */

static ksef_conn *out_conn;

static int run_conn_resume(ksef_error *err)
{
	return ksef_conn_resume(&out_conn, NULL, fx.conn_state,
				strlen(fx.conn_state), err);
}

static void done_conn_resume(int rc)
{
	ksef_buf b = KSEF_BUF_INIT;

	if (rc == 0) {
		assert_int_equal(ksef_conn_export(&b, out_conn, NULL), 0);
		assert_string_equal((const char *)b.ptr, fx.conn_state);
		ksef_buf_dispose_secure(&b);
	}
	ksef_conn_free(out_conn);
	out_conn = NULL;
}

static int run_conn_export(ksef_error *err)
{
	return ksef_conn_export(&out_buf, fx.conn, err);
}

static void done_conn_export(int rc)
{
	if (rc == 0)
		assert_string_equal((const char *)out_buf.ptr, fx.conn_state);
	ksef_buf_dispose_secure(&out_buf);
}

static ksef_session *out_session;

static int run_session_resume_export(ksef_error *err)
{
	int rc = ksef_session_resume(&out_session, fx.conn, fx.session_state,
				     strlen(fx.session_state), err);

	return rc < 0 ? rc : ksef_session_export(&out_buf, out_session, err);
}

static void done_session(int rc)
{
	if (rc == 0)
		assert_string_equal((const char *)out_buf.ptr,
				    fx.session_state);
	ksef_buf_dispose_secure(&out_buf);
	ksef_session_free(out_session);
	out_session = NULL;
}

/*
 * The tests: one per module, each over its table of paths
 */

void exercise_all(const struct path *paths, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		exercise(&paths[i]);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Key loading is done once per key and makes thousands of allocations,
 * mostly OpenSSL's decoders trying one format after another: a spread of
 * them is enough in a routine run. */
#define KEY_RUNS 1200

static void envelopes_and_keys_fail_cleanly(void **state)
{
	static const struct path paths[] = {
		{ "envelope_new", run_envelope_new, done_envelope, 0, 0,
		  { 0 } },
		{ "envelope_seal", run_envelope_seal, done_envelope_seal, 0,
		  0, { 0 } },
		{ "envelope_decrypt", run_envelope_decrypt,
		  done_envelope_decrypt, 0, 0, { 0 } },
		{ "pubkey_load", run_pubkey_load, done_pubkey, KEY_RUNS, 0,
		  { 0 } },
		{ "privkey_load_pem", run_privkey_load, done_privkey, KEY_RUNS,
		  0, { 0 } },
		{ "envelope_wrap_key", run_wrap_key, done_wrap_key, 0, 0,
		  { 0 } },
		{ "envelope_unwrap_key", run_unwrap_key, done_unwrap_key, 0, 0,
		  { 0 } },
	};

	(void)state;
	exercise_all(paths, N(paths));
}

static void identifiers_fail_cleanly(void **state)
{
	static const struct path paths[] = {
		{ "identifiers", run_identifiers, done_nothing, 0, 1, { 0 } },
	};

	(void)state;
	exercise_all(paths, N(paths));
}

static void invoices_fail_cleanly(void **state)
{
	/* A verdict stays with the invoice: only KSEF_ENOMEM, which a
	 * server answers with a 5xx and a client retries, may come of a
	 * failed allocation. */
	static const struct path paths[] = {
		{ "gen_invoice", run_gen_invoice, done_gen_invoice, 0, 1,
		  { 0 } },
		{ "invoice_verify", run_invoice_verify, done_invoice_verify, 0,
		  1, { 0 } },
	};

	(void)state;
	exercise(&paths[0]);
	ts_schema_dir_or_skip();
	exercise(&paths[1]);
}

static void upos_fail_cleanly(void **state)
{
	/* A UPO is never called unsigned or ill-formed for want of memory.
	 * (OpenSSL 3.0 may report an allocation that failed while it checks
	 * an RSA signature as a mismatch: EVP_VerifyFinal() returns 0, and
	 * nothing tells it apart, so KSEF_ECHECKSUM is let through.) */
	static const struct path paths[] = {
		{ "upo_signer_new", run_upo_signer_new, done_upo_signer,
		  KEY_RUNS, 0, { 0 } },
		{ "upo_build_signed", run_upo_build_signed,
		  done_upo_build_signed, 0, 0, { 0 } },
		{ "upo_verify", run_upo_verify, done_nothing, 0, 0,
		  { KSEF_ENOTFOUND, 0 } },
	};

	(void)state;
	exercise_all(paths, N(paths));
}

static void xades_fails_cleanly(void **state)
{
	/* Nor is a signature called bad, or a request ill-formed. */
	static const struct path paths[] = {
		{ "xades_cert_generate", run_xades_cert_generate,
		  done_xades_cert_generate, KEY_RUNS, 0, { 0 } },
		{ "xades_signer_new", run_xades_signer_new, done_xades_signer,
		  KEY_RUNS, 0, { 0 } },
		{ "xades_sign", run_xades_sign, done_xades_sign, 0, 0, { 0 } },
		{ "xades_verify", run_xades_verify, done_xades_verify, 0, 0,
		  { KSEF_EXADES_DIGEST, KSEF_EXADES_SIGVALUE, KSEF_EXADES_NOSIG,
		    KSEF_EXADES_CONTENT, 0 } },
	};

	(void)state;
	exercise_all(paths, N(paths));
}

static void saved_state_fails_cleanly(void **state)
{
	/* A state refused as broken may be thrown away with its session
	 * key: only KSEF_ENOMEM. */
	static const struct path paths[] = {
		{ "conn_resume", run_conn_resume, done_conn_resume, 0, 1,
		  { 0 } },
		{ "conn_export", run_conn_export, done_conn_export, 0, 1,
		  { 0 } },
		{ "session_resume_export", run_session_resume_export,
		  done_session, 0, 1, { 0 } },
	};

	(void)state;
	exercise_all(paths, N(paths));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(envelopes_and_keys_fail_cleanly),
		cmocka_unit_test(identifiers_fail_cleanly),
		cmocka_unit_test(invoices_fail_cleanly),
		cmocka_unit_test(upos_fail_cleanly),
		cmocka_unit_test(xades_fails_cleanly),
		cmocka_unit_test(saved_state_fails_cleanly),
		cmocka_unit_test(batches_fail_cleanly),
		cmocka_unit_test(qr_certs_fail_cleanly),
		cmocka_unit_test(certificates_fail_cleanly),
	};

	int failed = cmocka_run_group_tests(tests, setup, teardown);

	/* A survey goes on past problems, but still fails. */
	return failed || problems ? 1 : 0;
}
