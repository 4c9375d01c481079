/*
 * ksefd_upo_test.c - UPO receipts and XAdES authentication against the real
 * ksefd: the per-invoice and session UPOs list exactly the accepted
 * invoices, validate against upo-v4-3.xsd once the signature is removed,
 * verify with the xmlsec1 command and ksefd's published certificate and
 * stop verifying when one byte changes; session pages split; pre-signed
 * links work without a token and fail when altered or expired. XAdES:
 * person (TINPL) and seal (VATPL) certificates authenticate; tampering, a
 * wrong or expired challenge, and a certificate of another NIP without a
 * grant are each refused with their codes.
 */
#include "testsupport.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include "ksef/ksef.h"
#include "e2e.h"
#include "http_raw.h"
#include "ksefd_harness.h"

#define NIP "5265877635"

static struct ksefd_proc srv;
static char token_main[256];

static int setup(void **state)
{
	static const char *const args[] = { "--upo-page-size", "2", NULL };

	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	memset(&srv, 0, sizeof(srv));
	ksefd_start(&srv, NULL, args);
	ksefd_token(&srv, NIP, "InvoiceWrite,InvoiceRead", token_main,
		    sizeof(token_main));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(ksefd_stop(&srv), 0);
	ksefd_cleanup(&srv);
	return 0;
}

static int count(const ksef_buf *xml, const char *needle)
{
	const char *p = (const char *)xml->ptr;
	int n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* The document with ds:Signature removed validates against upo-v4-3.xsd. */
static void assert_valid_without_signature(const ksef_buf *xml)
{
	xmlDoc *doc = xmlReadMemory((const char *)xml->ptr, (int)xml->size, NULL,
				    NULL, XML_PARSE_NONET);
	xmlSchemaParserCtxt *pc;
	xmlSchema *schema;
	xmlSchemaValidCtxt *vc;
	xmlNode *n, *sig = NULL;
	ksef_buf xsd = KSEF_BUF_INIT;

	/* From memory: libksef's entity loader refuses files outside its own
	 * schema compilation, by design. */
	ts_read_file(&xsd, ts_shared_path(
		"ksef-docs/faktury/upo/schemy/upo-v4-3.xsd"));
	pc = xmlSchemaNewMemParserCtxt((const char *)xsd.ptr, (int)xsd.size);
	schema = xmlSchemaParse(pc);
	ksef_buf_dispose(&xsd);

	assert_non_null(doc);
	assert_non_null(schema);
	for (n = xmlDocGetRootElement(doc)->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, "Signature") == 0)
			sig = n;
	assert_non_null(sig);
	/* The signature is the last child of Potwierdzenie. */
	for (n = sig->next; n; n = n->next)
		assert_int_not_equal(n->type, XML_ELEMENT_NODE);
	xmlUnlinkNode(sig);
	xmlFreeNode(sig);
	vc = xmlSchemaNewValidCtxt(schema);
	assert_int_equal(xmlSchemaValidateDoc(vc, doc), 0);
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(schema);
	xmlSchemaFreeParserCtxt(pc);
	xmlFreeDoc(doc);
}

/* xmlsec1 --verify with ksefd's published certificate: 0 if it verifies. */
static int xmlsec_verify(const ksef_buf *xml, const char *cert_path)
{
	char *dir = ts_mkdtemp(), path[300];
	int rc;

	snprintf(path, sizeof(path), "%s/upo.xml", dir);
	ts_write_file(path, xml->ptr, xml->size);
	rc = ts_system("xmlsec1 --verify --pubkey-cert-pem '%s' "
		"--id-attr:Id 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties' "
		"'%s' >/dev/null 2>&1", cert_path, path);
	ts_rmdir(dir);
	return rc;
}

/* A UPO names the KSeF token the session was opened with: the session
 * keeps it, so the authentication operation may be purged long before. */
static void assert_token_named(const ksef_buf *upo)
{
	char want[200];
	size_t n = strcspn(token_main, "|");

	snprintf(want, sizeof(want), "<NumerReferencyjnyTokenaKSeF>%.*s<",
		 (int)n, token_main);
	if (strstr((const char *)upo->ptr, want) == NULL)
		fail_msg("the UPO does not name the token: %s", want);
}

static void upos_list_exactly_the_accepted_invoices(void **state)
{
	struct login l;
	ksef_envelope *env = NULL;
	char sref[KSEF_REFNUM_BUFSZ], refs[5][KSEF_REFNUM_BUFSZ],
	     ksef[3][KSEF_NUMBER_BUFSZ], *cert_dir, cert_path[300];
	ksef_buf xml = KSEF_BUF_INIT, upo = KSEF_BUF_INIT, page = KSEF_BUF_INIT;
	int found[3] = { 0, 0, 0 };
	ksef_api_invoice_status *st;
	ksef_api_session_status *ss = NULL;
	struct raw_response r;
	ksef_error err;
	size_t p;
	int i, k = 0;

	(void)state;
	login(&l, &srv, NIP, token_main);
	open_session(&l, KSEF_FORM_FA3, &env, sref);
	for (i = 0; i < 5; i++) {
		gen(&xml, KSEF_FORM_FA3, NIP, "UPO", (uint64_t)i + 1, NULL);
		if (i == 1 || i == 3) { /* two rejected ones */
			ts_replace(&xml, "<P_15>", "<P_15X>");
			ts_replace(&xml, "</P_15>", "</P_15X>");
		}
		send_xml(&l, sref, env, &xml, refs[i]);
	}
	for (i = 0; i < 5; i++) {
		st = wait_invoice(&l, sref, refs[i]);
		if (i == 1 || i == 3) {
			assert_int_equal(st->status->code, 450);
			assert_null(st->upo_download_url);
			/* A rejected invoice has no UPO: 21178. */
			assert_int_not_equal(ksef_client_upo_by_invoice_ref(&upo,
				l.c, sref, refs[i], &err), 0);
			assert_true(ksef_api_error_has_code(
				ksef_client_last_error(l.c), 21178));
		} else {
			assert_int_equal(st->status->code, 200);
			snprintf(ksef[k++], KSEF_NUMBER_BUFSZ, "%s",
				 st->ksef_number);
			/* Per-invoice UPO three ways: by reference, by KSeF
			 * number, and by the pre-signed link (no token). */
			assert_int_equal(ksef_client_upo_by_invoice_ref(&upo, l.c,
				sref, refs[i], &err), 0);
			assert_int_equal(count(&upo, "<Dokument>"), 1);
			assert_non_null(strstr((char *)upo.ptr, st->ksef_number));
			assert_token_named(&upo);
			assert_valid_without_signature(&upo);
			assert_int_equal(ksef_client_upo_by_ksef_number(&page, l.c,
				sref, st->ksef_number, &err), 0);
			assert_int_equal(page.size, upo.size);
			assert_memory_equal(page.ptr, upo.ptr, upo.size);
			assert_non_null(st->upo_download_url);
			assert_int_equal(ksef_client_download_url(&page, l.c,
				st->upo_download_url, &err), 0);
			assert_memory_equal(page.ptr, upo.ptr, upo.size);
		}
		ksef_api_invoice_status_free(st);
	}
	assert_int_equal(ksef_client_session_close(l.c, sref, &err), 0);
	assert_int_equal(wait_session(&l, sref, &ss), 200);
	/* Three documents in pages of two: two pages. */
	assert_int_equal(ksef_api_upo_pages_count(ss->upo_pages), 2);
	for (p = 0; p < ksef_api_upo_pages_count(ss->upo_pages); p++) {
		const ksef_api_upo_page *pg =
			ksef_api_upo_pages_at(ss->upo_pages, p);

		assert_int_equal(ksef_client_upo_session_page(&page, l.c, sref,
			pg->reference_number, &err), 0);
		assert_int_equal(count(&page, "<Dokument>"), p == 0 ? 2 : 1);
		assert_non_null(strstr((char *)page.ptr, p == 0 ?
			"<Strona>1</Strona>" : "<Strona>2</Strona>"));
		assert_non_null(strstr((char *)page.ptr,
			"<LiczbaStron>2</LiczbaStron>"));
		assert_non_null(strstr((char *)page.ptr,
			"<CalkowitaLiczbaDokumentow>3</CalkowitaLiczbaDokumentow>"));
		assert_valid_without_signature(&page);
		assert_int_equal(ksef_client_download_url(&upo, l.c,
			pg->download_url, &err), 0);
		assert_int_equal(upo.size, page.size);
		for (i = 0; i < 3; i++)
			if (strstr((char *)page.ptr, ksef[i]))
				found[i]++;
	}
	/* Each accepted invoice is on exactly one page. */
	for (i = 0; i < 3; i++)
		assert_int_equal(found[i], 1);

	/* The signature verifies with ksefd's certificate, and not after one
	 * byte of the content changes. */
	{
		char u[200];

		snprintf(u, sizeof(u), "http://127.0.0.1:%d/storage/"
			 "upo-certificate.pem", srv.port);
		raw_request(&r, "GET", u, NULL, NULL, NULL, 0);
		assert_int_equal(r.status, 200);
		cert_dir = ts_mkdtemp();
		snprintf(cert_path, sizeof(cert_path), "%s/upo.pem", cert_dir);
		ts_write_file(cert_path, r.body, r.len);
		raw_free(&r);
	}
	assert_int_equal(ksef_client_upo_by_invoice_ref(&upo, l.c, sref,
							refs[0], &err), 0);
	assert_int_equal(xmlsec_verify(&upo, cert_path), 0);
	{
		char *pos = strstr((char *)upo.ptr, ksef[0]);

		assert_non_null(pos);
		pos[11] = pos[11] == '1' ? '2' : '1'; /* a digit of the date */
		assert_int_not_equal(xmlsec_verify(&upo, cert_path), 0);
	}
	ts_rmdir(cert_dir);

	/* A link that is altered, or whose expiry is moved, fails. */
	ksef_api_session_status_free(ss);
	ss = NULL;
	assert_int_equal(ksef_client_session_status(&ss, l.c, sref, &err), 0);
	{
		char bad[1024];
		char *sig;

		snprintf(bad, sizeof(bad), "%s",
			 ksef_api_upo_pages_at(ss->upo_pages, 0)->download_url);
		sig = strstr(bad, "sig=");
		assert_non_null(sig);
		sig[4] = sig[4] == 'A' ? 'B' : 'A';
		raw_request(&r, "GET", bad, NULL, NULL, NULL, 0);
		assert_int_equal(r.status, 403);
		raw_free(&r);
		snprintf(bad, sizeof(bad), "%s",
			 ksef_api_upo_pages_at(ss->upo_pages, 0)->download_url);
		sig = strstr(bad, "se=");
		sig[3] = sig[3] == '9' ? '8' : '9';
		raw_request(&r, "GET", bad, NULL, NULL, NULL, 0);
		assert_int_equal(r.status, 403);
		raw_free(&r);
	}
	ksef_api_session_status_free(ss);
	ksef_envelope_free(env);
	ksef_buf_dispose(&xml);
	ksef_buf_dispose(&upo);
	ksef_buf_dispose(&page);
	logout(&l);
}

static void a_pre_signed_link_expires(void **state)
{
	struct ksefd_proc p;
	static const char *const args[] = { "--download-url-ttl", "1", NULL };
	struct login l;
	char tok[256], sref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ];
	ksef_envelope *env = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_api_invoice_status *st;
	struct raw_response r;

	(void)state;
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, args);
	ksefd_token(&p, NIP, "InvoiceWrite", tok, sizeof(tok));
	login(&l, &p, NIP, tok);
	open_session(&l, KSEF_FORM_FA3, &env, sref);
	gen(&xml, KSEF_FORM_FA3, NIP, "EXP", 1, NULL);
	send_xml(&l, sref, env, &xml, iref);
	st = wait_invoice(&l, sref, iref);
	assert_int_equal(st->status->code, 200);
	raw_request(&r, "GET", st->upo_download_url, NULL, NULL, NULL, 0);
	assert_int_equal(r.status, 200);
	assert_true(strlen(r.meta_hash) == 44);
	raw_free(&r);
	e2e_sleep_us(2100000);
	raw_request(&r, "GET", st->upo_download_url, NULL, NULL, NULL, 0);
	assert_int_equal(r.status, 403);
	raw_free(&r);
	ksef_api_invoice_status_free(st);
	ksef_envelope_free(env);
	ksef_buf_dispose(&xml);
	logout(&l);
	assert_int_equal(ksefd_stop(&p), 0);
	ksefd_cleanup(&p);
}

/* Sign an AuthTokenRequest for the context with a fresh certificate and
 * send it; returns the HTTP status, the auth status through *auth. */
/* The first detail of the last refused xades_login(). */
static char last_detail[512];

static long xades_login(const char *ctx_nip, ksef_xades_cert_kind kind,
			const char *id, int tamper, int stale_challenge,
			int *auth, int *code)
{
	ksef_xades_cert_options co = KSEF_XADES_CERT_OPTIONS_INIT;
	ksef_xades_auth_request ar = KSEF_XADES_AUTH_REQUEST_INIT;
	ksef_buf key = KSEF_BUF_INIT, cert = KSEF_BUF_INIT, doc = KSEF_BUF_INIT;
	ksef_xades_signer *signer = NULL;
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	ksef_client *c = client_for(&srv);
	char ident[40];
	ksef_error err;
	long status;

	co.kind = kind;
	co.key_type = KSEF_XADES_KEY_RSA_2048;
	co.common_name = "Jan Testowy";
	if (kind == KSEF_XADES_CERT_PERSON) {
		co.given_name = "Jan";
		co.surname = "Testowy";
		snprintf(ident, sizeof(ident), "TINPL-%s", id);
		co.serial_number = ident;
	} else {
		co.organization_name = "Testowa sp. z o.o.";
		snprintf(ident, sizeof(ident), "VATPL-%s", id);
		co.organization_identifier = ident;
	}
	if (ksef_xades_cert_generate(&key, &cert, &co, &err) != 0 ||
	    ksef_xades_signer_new(&signer, key.ptr, key.size, cert.ptr,
				  cert.size, NULL, &err) != 0 ||
	    ksef_client_auth_challenge(&ch, c, &err) != 0)
		fail_msg("xades setup: %s", err.message);
	ar.challenge = stale_challenge ? "20250101-CR-0000000000-0000000000-00" :
					 ch->challenge;
	ar.context_type = KSEF_CONTEXT_NIP;
	ar.context_value = ctx_nip;
	if (ksef_xades_sign_auth_request(&doc, &ar, signer, &err) != 0)
		fail_msg("sign: %s", err.message);
	if (tamper)
		ts_replace(&doc, ctx_nip, "1234563218");
	*auth = 0;
	*code = 0;
	if (ksef_client_auth_xades(&init, c, doc.ptr, doc.size, 0, &err) == 0) {
		status = 202;
		*auth = auth_wait(c, init->reference_number,
				  init->authentication_token->token);
	} else {
		const ksef_api_error *e = ksef_client_last_error(c);
		const ksef_api_problem *pr =
			e ? ksef_api_problems_at(e->problems, 0) : NULL;

		status = e ? e->http_status : -1;
		*code = pr ? pr->code : 0;
		snprintf(last_detail, sizeof(last_detail), "%s",
			 pr && pr->detail_count > 0 ? pr->details[0] : "");
	}
	ksef_api_auth_init_free(init);
	ksef_api_challenge_free(ch);
	ksef_xades_signer_free(signer);
	ksef_client_free(c);
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&cert);
	ksef_buf_dispose(&doc);
	return status;
}

static void xades_authentication_accepts_and_refuses_as_it_should(void **state)
{
	char out[256];
	int auth, code;

	(void)state;
	/* A person with the context's NIP, and a company seal: owners. */
	assert_int_equal(xades_login(NIP, KSEF_XADES_CERT_PERSON, NIP, 0, 0,
				     &auth, &code), 202);
	assert_int_equal(auth, 200);
	assert_int_equal(xades_login(NIP, KSEF_XADES_CERT_SEAL, NIP, 0, 0,
				     &auth, &code), 202);
	assert_int_equal(auth, 200);
	/* A changed document: the signature no longer verifies. */
	assert_int_equal(xades_login(NIP, KSEF_XADES_CERT_PERSON, NIP, 1, 0,
				     &auth, &code), 400);
	assert_int_equal(code, 9105);
	/* KSeF's words first, then the technical reason. */
	assert_true(strncmp(last_detail, "Nieprawidłowy podpis. ",
			    strlen("Nieprawidłowy podpis. ")) == 0);
	assert_true(strlen(last_detail) > strlen("Nieprawidłowy podpis. "));
	/* A challenge the server never gave. */
	assert_int_equal(xades_login(NIP, KSEF_XADES_CERT_PERSON, NIP, 0, 1,
				     &auth, &code), 400);
	assert_int_equal(code, 21111);
	/* Someone else's NIP: no permissions in this context, until granted. */
	assert_int_equal(xades_login(NIP, KSEF_XADES_CERT_PERSON, "7010012385",
				     0, 0, &auth, &code), 202);
	assert_int_equal(auth, 415);
	assert_int_equal(ksefd_command(&srv, "grant --nip " NIP
		" --subject-nip 7010012385 --permissions InvoiceWrite", out,
		sizeof(out)), 0);
	assert_int_equal(xades_login(NIP, KSEF_XADES_CERT_PERSON, "7010012385",
				     0, 0, &auth, &code), 202);
	assert_int_equal(auth, 200);
}

/* Log in with a company seal whose AuthorizationPolicy allows only
 * `mask`, and call GET /sessions from 127.0.0.1 with the access token;
 * returns that call's HTTP status, its body in reason. */
static long xades_policy_call(const char *mask, char *reason, size_t size)
{
	ksef_client_ip_policy pol = KSEF_CLIENT_IP_POLICY_INIT;
	const char *masks[1] = { mask };
	struct raw_response r;
	struct login l;
	long status;

	pol.masks = masks;
	pol.mask_count = 1;
	login_xades(&l, &srv, NIP, NIP, &pol);
	raw_request(&r, "GET", url(&srv, "/sessions?sessionType=Online"),
		    l.tokens->access_token->token, NULL, NULL, 0);
	status = r.status;
	snprintf(reason, size, "%s", r.body);
	raw_free(&r);
	logout(&l);
	return status;
}

static void a_xades_ip_policy_binds_the_access_token(void **state)
{
	char body[1024];

	(void)state;
	/* Once, the AllowedIps of a signed document were never stored, and
	 * its tokens worked from any address. */
	assert_int_equal(xades_policy_call("10.0.0.0/8", body, sizeof(body)),
			 403);
	assert_non_null(strstr(body, "\"ip-not-allowed\""));
	assert_int_equal(xades_policy_call("127.0.0.0/8", body, sizeof(body)),
			 200);
}

/* Sign with the given PEM key and certificate and authenticate to p,
 * waiting pause_us between the challenge and the answer. */
static long xades_with(const struct ksefd_proc *p, const ksef_buf *key,
		       const ksef_buf *cert, unsigned pause_us, int *auth,
		       int *code)
{
	ksef_xades_auth_request ar = KSEF_XADES_AUTH_REQUEST_INIT;
	ksef_xades_signer *signer = NULL;
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_client *c = client_for(p);
	ksef_error err;
	long status = 202;

	if (ksef_xades_signer_new(&signer, key->ptr, key->size, cert->ptr,
				  cert->size, NULL, &err) != 0 ||
	    ksef_client_auth_challenge(&ch, c, &err) != 0)
		fail_msg("xades setup: %s", err.message);
	e2e_sleep_us(pause_us);
	ar.challenge = ch->challenge;
	ar.context_type = KSEF_CONTEXT_NIP;
	ar.context_value = NIP;
	if (ksef_xades_sign_auth_request(&doc, &ar, signer, &err) != 0)
		fail_msg("sign: %s", err.message);
	*auth = *code = 0;
	if (ksef_client_auth_xades(&init, c, doc.ptr, doc.size, 0, &err) == 0) {
		*auth = auth_wait(c, init->reference_number,
				  init->authentication_token->token);
	} else {
		const ksef_api_error *e = ksef_client_last_error(c);
		const ksef_api_problem *pr =
			e ? ksef_api_problems_at(e->problems, 0) : NULL;

		status = e ? e->http_status : -1;
		*code = pr ? pr->code : 0;
		snprintf(last_detail, sizeof(last_detail), "%s",
			 pr && pr->detail_count > 0 ? pr->details[0] : "");
	}
	ksef_api_auth_init_free(init);
	ksef_api_challenge_free(ch);
	ksef_xades_signer_free(signer);
	ksef_client_free(c);
	ksef_buf_dispose(&doc);
	return status;
}

static void a_trust_store_decides_which_certificates_count(void **state)
{
	struct ksefd_proc p;
	char *dir = ts_mkdtemp(), ca[300], trust_arg[310];
	const char *args[5];
	ksef_buf key = KSEF_BUF_INIT, cert = KSEF_BUF_INIT, own_key = KSEF_BUF_INIT,
		 own_cert = KSEF_BUF_INIT;
	ksef_xades_cert_options co = KSEF_XADES_CERT_OPTIONS_INIT;
	ksef_error err;
	int auth, code;

	(void)state;
	/* A CA, and a person's certificate it issued (TINPL-<NIP>). */
	assert_int_equal(ts_system("cd %s && openssl req -x509 -newkey rsa:2048 "
		"-nodes -days 2 -subj '/CN=Test CA' -keyout ca.key -out ca.pem "
		"2>/dev/null && openssl req -newkey rsa:2048 -nodes -subj "
		"'/C=PL/GN=Jan/SN=Testowy/serialNumber=TINPL-" NIP "/CN=Jan' "
		"-keyout leaf.key -out leaf.csr 2>/dev/null && openssl x509 -req "
		"-in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
		"-out leaf.pem 2>/dev/null", dir), 0);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(trust_arg, sizeof(trust_arg), "%s", ca);
	args[0] = "--trust-store";
	args[1] = trust_arg;
	args[2] = "--challenge-ttl";
	args[3] = "1";
	args[4] = NULL;
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, args);
	{
		char kp[300], cp[300];

		snprintf(kp, sizeof(kp), "%s/leaf.key", dir);
		snprintf(cp, sizeof(cp), "%s/leaf.pem", dir);
		ts_read_file(&key, kp);
		ts_read_file(&cert, cp);
	}
	/* Issued by the trusted CA: accepted. */
	assert_int_equal(xades_with(&p, &key, &cert, 0, &auth, &code), 202);
	assert_int_equal(auth, 200);
	/* Self-signed, with the same NIP: not trusted here (460). */
	co.given_name = "Jan";
	co.surname = "Testowy";
	co.serial_number = "TINPL-" NIP;
	co.common_name = "Jan Testowy";
	assert_int_equal(ksef_xades_cert_generate(&own_key, &own_cert, &co,
						  &err), 0);
	assert_int_equal(xades_with(&p, &own_key, &own_cert, 0, &auth, &code),
			 202);
	assert_int_equal(auth, 460);
	/* A challenge older than its lifetime: 21111. */
	assert_int_equal(xades_with(&p, &key, &cert, 1300000, &auth, &code),
			 400);
	assert_int_equal(code, 21111);
	assert_int_equal(ksefd_stop(&p), 0);
	ksefd_cleanup(&p);

	/* --profile production chains to its trust store only: with one, the
	 * CA's certificate counts; without one, no certificate does, not even
	 * one a CA issued (an attacker's own CA could issue a seal for any
	 * NIP, and its holder would own that context). */
	{
		const char *with[] = { "--profile", "production",
				       "--trust-store", trust_arg, NULL };
		const char *without[] = { "--profile", "production", NULL };

		memset(&p, 0, sizeof(p));
		ksefd_start(&p, NULL, with);
		assert_int_equal(xades_with(&p, &key, &cert, 0, &auth, &code),
				 202);
		assert_int_equal(auth, 200);
		assert_int_equal(ksefd_stop(&p), 0);
		ksefd_cleanup(&p);
		memset(&p, 0, sizeof(p));
		ksefd_start(&p, NULL, without);
		assert_int_equal(xades_with(&p, &key, &cert, 0, &auth, &code),
				 202);
		assert_int_equal(auth, 460);
		assert_int_equal(xades_with(&p, &own_key, &own_cert, 0, &auth,
					    &code), 202);
		assert_int_equal(auth, 460);
		assert_int_equal(ksefd_stop(&p), 0);
		ksefd_cleanup(&p);
	}
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&cert);
	ksef_buf_dispose_secure(&own_key);
	ksef_buf_dispose(&own_cert);
	ts_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(upos_list_exactly_the_accepted_invoices),
		cmocka_unit_test(a_pre_signed_link_expires),
		cmocka_unit_test(xades_authentication_accepts_and_refuses_as_it_should),
		cmocka_unit_test(a_xades_ip_policy_binds_the_access_token),
		cmocka_unit_test(a_trust_store_decides_which_certificates_count),
	};
	/* ksefd compiles the FA (3) schema as it starts. */
	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
