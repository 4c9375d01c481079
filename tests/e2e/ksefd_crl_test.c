/*
 * ksefd_crl_test.c - revocation of XAdES signers by CRL files, against the
 * real ksefd: with --trust-store and --crl, a person whose certificate the
 * intermediate CA revoked is refused (460, "Certyfikat odwołany") while
 * another one under the same CA logs in; a CA left without a current CRL
 * refuses its logins (460, "Błąd weryfikacji łańcucha certyfikatów"), and
 * the log and the start-up warnings say why. Files that cannot be trusted
 * stop ksefd at start with exit 1: --crl without --trust-store, a CRL
 * signed by another key, a file holding no CRL.
 */
#include "testsupport.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "e2e.h"
#include "ksefd_harness.h"
#include "pki.h"

#define NIP "5265877635"
#define DAY 86400L

static struct pki_cert root, inter, good, bad;
static char *dir;
static char store_path[300], crls_path[300], root_crl[300], stale_crl[300];

/* p's stderr so far, into out (NUL-terminated). */
static void read_log(ksef_buf *out, const struct ksefd_proc *p)
{
	ts_read_file(out, p->log_path);
}

static int setup(void **state)
{
	const struct pki_revoked rev[] = {
		{ 1002, CRL_REASON_KEY_COMPROMISE },
	};
	X509_CRL *r, *i, *old;

	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	pki_ca(&root, "E2E Root", NULL, 1, 1);
	pki_ca(&inter, "E2E Intermediate", &root, 2, 1);
	pki_person(&good, NIP, "Jan Good", &inter, 1001);
	pki_person(&bad, NIP, "Jan Revoked", &inter, 1002);
	dir = ts_mkdtemp();
	snprintf(store_path, sizeof(store_path), "%s/store.pem", dir);
	pki_write_cert(store_path, "w", root.cert);
	pki_write_cert(store_path, "a", inter.cert);
	/* Both CAs' CRLs in one file; the root's alone in another; and an
	 * intermediate's CRL whose nextUpdate has passed. */
	r = pki_crl(&root, NULL, 0, -60, DAY, NULL);
	i = pki_crl(&inter, rev, 1, -60, DAY, NULL);
	old = pki_crl(&inter, NULL, 0, -2 * DAY, -60, NULL);
	snprintf(crls_path, sizeof(crls_path), "%s/crls.pem", dir);
	pki_write_crl(crls_path, "w", r);
	pki_write_crl(crls_path, "a", i);
	snprintf(root_crl, sizeof(root_crl), "%s/root.crl", dir);
	pki_write_crl(root_crl, "w", r);
	snprintf(stale_crl, sizeof(stale_crl), "%s/stale.crl", dir);
	pki_write_crl(stale_crl, "w", old);
	X509_CRL_free(r);
	X509_CRL_free(i);
	X509_CRL_free(old);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pki_free(&root);
	pki_free(&inter);
	pki_free(&good);
	pki_free(&bad);
	ts_rmdir(dir);
	return 0;
}

/* The PEM of a person's key and certificate, as a signer takes them. */
static void pem_pair(ksef_buf *key, ksef_buf *cert, const struct pki_cert *c)
{
	char kp[300], cp[300];

	snprintf(kp, sizeof(kp), "%s/signer.key", dir);
	snprintf(cp, sizeof(cp), "%s/signer.pem", dir);
	pki_write_key(kp, c->key);
	pki_write_cert(cp, "w", c->cert);
	ts_read_file(key, kp);
	ts_read_file(cert, cp);
	remove(kp);
}

/*
 * Log in to NIP's context with a XAdES signature by c; returns the
 * authentication's final status code, and its first detail in detail.
 */
static int xades_login(const struct ksefd_proc *p, const struct pki_cert *c,
		       char *detail, size_t size)
{
	ksef_xades_auth_request ar = KSEF_XADES_AUTH_REQUEST_INIT;
	ksef_xades_signer *signer = NULL;
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	ksef_api_auth_status *st = NULL;
	ksef_buf doc = KSEF_BUF_INIT, key = KSEF_BUF_INIT, cert = KSEF_BUF_INIT;
	ksef_client *cl = client_for(p);
	ksef_error err;
	int code, tries = 0;

	pem_pair(&key, &cert, c);
	if (ksef_xades_signer_new(&signer, key.ptr, key.size, cert.ptr,
				  cert.size, NULL, &err) != 0 ||
	    ksef_client_auth_challenge(&ch, cl, &err) != 0)
		fail_msg("xades setup: %s", err.message);
	ar.challenge = ch->challenge;
	ar.context_type = KSEF_CONTEXT_NIP;
	ar.context_value = NIP;
	if (ksef_xades_sign_auth_request(&doc, &ar, signer, &err) != 0 ||
	    ksef_client_auth_xades(&init, cl, doc.ptr, doc.size, 0, &err) != 0)
		fail_msg("xades: %s", err.message);
	do {
		ksef_api_auth_status_free(st);
		st = NULL;
		if (ksef_client_auth_status(&st, cl, init->reference_number,
					    init->authentication_token->token,
					    &err) != 0)
			fail_msg("auth status: %s", err.message);
	} while (st->status->code == 100 && ++tries < 500 &&
		 e2e_sleep_us(20000) == 0);
	code = st->status->code;
	snprintf(detail, size, "%s", st->status->detail_count > 0 ?
		 st->status->details[0] : "");
	ksef_api_auth_status_free(st);
	ksef_api_auth_init_free(init);
	ksef_api_challenge_free(ch);
	ksef_xades_signer_free(signer);
	ksef_client_free(cl);
	ksef_buf_dispose(&doc);
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&cert);
	return code;
}

static void a_revoked_signer_is_refused_and_one_beside_it_logs_in(void **state)
{
	const char *args[] = { "--trust-store", store_path, "--crl", crls_path,
			       NULL };
	struct ksefd_proc p;
	ksef_buf log = KSEF_BUF_INIT;
	char detail[256];

	(void)state;
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, args);
	assert_int_equal(xades_login(&p, &good, detail, sizeof(detail)), 200);
	assert_int_equal(xades_login(&p, &bad, detail, sizeof(detail)), 460);
	assert_string_equal(detail, "Certyfikat odwołany");
	/* Still refused on a second try, and the good one still passes. */
	assert_int_equal(xades_login(&p, &bad, detail, sizeof(detail)), 460);
	assert_int_equal(xades_login(&p, &good, detail, sizeof(detail)), 200);
	assert_int_equal(ksefd_stop(&p), 0);
	read_log(&log, &p);
	assert_non_null(strstr((const char *)log.ptr, "certificate refused: "
		"\"CN=Jan Revoked,"));
	assert_non_null(strstr((const char *)log.ptr, "(chain depth 0) is "
		"listed as revoked in the CRL of \"CN=E2E Intermediate\""));
	/* Every CA had its CRL: nothing to warn of. */
	assert_null(strstr((const char *)log.ptr, "warning"));
	ksef_buf_dispose(&log);
	ksefd_cleanup(&p);
}

static void a_ca_without_a_current_crl_refuses_its_logins(void **state)
{
	const char *none[] = { "--trust-store", store_path, "--crl", root_crl,
			       NULL };
	const char *stale[] = { "--trust-store", store_path, "--crl",
				root_crl, "--crl", stale_crl, NULL };
	struct ksefd_proc p;
	ksef_buf log = KSEF_BUF_INIT;
	char detail[256];

	(void)state;
	/* Only the root's CRL: the intermediate has none. */
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, none);
	assert_int_equal(xades_login(&p, &good, detail, sizeof(detail)), 460);
	assert_string_equal(detail, "Błąd weryfikacji łańcucha certyfikatów");
	assert_int_equal(ksefd_stop(&p), 0);
	read_log(&log, &p);
	assert_non_null(strstr((const char *)log.ptr, "ksefd: warning: --crl: "
		"no CRL of \"CN=E2E Intermediate\""));
	assert_non_null(strstr((const char *)log.ptr, "certificate refused: "
		"no CRL of \"CN=E2E Intermediate\" was given"));
	ksef_buf_dispose(&log);
	ksefd_cleanup(&p);

	/* The intermediate's CRL expired: the same refusal, and why. */
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, stale);
	assert_int_equal(xades_login(&p, &good, detail, sizeof(detail)), 460);
	assert_string_equal(detail, "Błąd weryfikacji łańcucha certyfikatów");
	assert_int_equal(ksefd_stop(&p), 0);
	read_log(&log, &p);
	assert_non_null(strstr((const char *)log.ptr, "ksefd: warning: --crl: "
		"the CRL of \"CN=E2E Intermediate\" expired on "));
	assert_non_null(strstr((const char *)log.ptr, "certificate refused: "
		"the CRL of \"CN=E2E Intermediate\" expired on "));
	ksef_buf_dispose(&log);
	ksefd_cleanup(&p);
}

/* Run ksefd with args on a fresh data folder, which it must refuse to
 * serve (a time limit, should it start after all); its exit status, its
 * stderr in err_out. */
static int refused_start(const char *args, ksef_buf *err_out)
{
	const char *build = getenv("KSEF_BUILD_DIR");
	char data[300], errf[300];
	int rc;

	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(errf, sizeof(errf), "%s/start.err", dir);
	rc = ts_system("timeout 30 '%s/ksefd' serve --data '%s' %s "
		       ">/dev/null 2>'%s'", build ? build : ".", data, args,
		       errf);
	ts_read_file(err_out, errf);
	return rc;
}

static void files_that_cannot_be_trusted_stop_the_start(void **state)
{
	EVP_PKEY *impostor = EVP_EC_gen("P-256");
	X509_CRL *forged;
	ksef_buf err = KSEF_BUF_INIT;
	char args[1024], forged_path[300], junk[300];

	(void)state;
	assert_non_null(impostor);
	snprintf(args, sizeof(args), "--crl '%s'", crls_path);
	assert_int_equal(refused_start(args, &err), 1);
	assert_non_null(strstr((const char *)err.ptr, "ksefd: --crl needs "
		"--trust-store"));
	ksef_buf_dispose(&err);

	/* The intermediate's name, signed by someone else. */
	forged = pki_crl(&inter, NULL, 0, -60, DAY, impostor);
	snprintf(forged_path, sizeof(forged_path), "%s/forged.crl", dir);
	pki_write_crl(forged_path, "w", forged);
	X509_CRL_free(forged);
	EVP_PKEY_free(impostor);
	snprintf(args, sizeof(args), "--trust-store '%s' --crl '%s' --crl '%s'",
		 store_path, root_crl, forged_path);
	assert_int_equal(refused_start(args, &err), 1);
	assert_non_null(strstr((const char *)err.ptr, "forged.crl: the "
		"signature of CRL 1 does not verify with the key of \"CN=E2E "
		"Intermediate\" in the trust store"));
	ksef_buf_dispose(&err);

	snprintf(junk, sizeof(junk), "%s/junk.crl", dir);
	ts_write_file(junk, "junk\n", 5);
	snprintf(args, sizeof(args), "--trust-store '%s' --crl '%s'",
		 store_path, junk);
	assert_int_equal(refused_start(args, &err), 1);
	assert_non_null(strstr((const char *)err.ptr, "junk.crl holds no CRL"));
	ksef_buf_dispose(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_revoked_signer_is_refused_and_one_beside_it_logs_in),
		cmocka_unit_test(a_ca_without_a_current_crl_refuses_its_logins),
		cmocka_unit_test(files_that_cannot_be_trusted_stop_the_start),
	};
	/* ksefd compiles the FA (3) schema as it starts. */
	if (ts_schemas_missing())
		return TS_EXIT_SKIP;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
