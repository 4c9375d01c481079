/*
 * trust_test.c - the trust store and its CRLs (trust.c), on a hierarchy
 * made here: a root, an intermediate under it, people's certificates under
 * the intermediate, a second root with a certificate of its own, and a CA
 * that may not sign CRLs. Verdicts: chained or not; revoked (the signer,
 * or the intermediate above it), on hold; undecided when a CA of the chain
 * has no CRL, or only an expired or not yet valid one. Files that must
 * stop ksefd at start: a CRL signed by another key, one of a CA outside
 * the store, a delta CRL, and files holding no readable CRL.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pki.h"
#include "trust.h"

#define NIP "5265877635"
#define DAY 86400L

static struct pki_cert root, inter, good, bad, held, other_root, other_leaf,
	no_crl_sign, stranger, self_signed;
static EVP_PKEY *impostor;
static char *dir, store_path[300];

static int setup(void **state)
{
	(void)state;
	pki_ca(&root, "Test Root", NULL, 1, 1);
	pki_ca(&inter, "Test Intermediate", &root, 2, 1);
	pki_person(&good, NIP, "Test Leaf Good", &inter, 1001);
	pki_person(&bad, NIP, "Test Leaf Bad", &inter, 1002);
	pki_person(&held, NIP, "Test Leaf Held", &inter, 1003);
	pki_ca(&other_root, "Other Root", NULL, 3, 1);
	pki_person(&other_leaf, NIP, "Other Leaf", &other_root, 2001);
	pki_ca(&no_crl_sign, "No CRL Sign", NULL, 4, 0);
	pki_ca(&stranger, "Stranger CA", NULL, 5, 1);
	pki_person(&self_signed, NIP, "Self Signed", NULL, 7);
	impostor = EVP_EC_gen("P-256");
	dir = ts_mkdtemp();
	snprintf(store_path, sizeof(store_path), "%s/store.pem", dir);
	pki_write_cert(store_path, "w", root.cert);
	pki_write_cert(store_path, "a", inter.cert);
	pki_write_cert(store_path, "a", other_root.cert);
	pki_write_cert(store_path, "a", no_crl_sign.cert);
	return impostor != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	struct pki_cert *all[] = { &root, &inter, &good, &bad, &held,
				   &other_root, &other_leaf, &no_crl_sign,
				   &stranger, &self_signed };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		pki_free(all[i]);
	EVP_PKEY_free(impostor);
	ts_rmdir(dir);
	return 0;
}

/* The intermediate's usual CRL: Bad revoked (keyCompromise), Held on
 * hold; current for a day. */
static X509_CRL *inter_crl(void)
{
	const struct pki_revoked rev[] = {
		{ 1002, CRL_REASON_KEY_COMPROMISE },
		{ 1003, CRL_REASON_CERTIFICATE_HOLD },
	};

	return pki_crl(&inter, rev, 2, -60, DAY, NULL);
}

/* The root's CRL, listing nobody; current for a day. */
static X509_CRL *root_crl(void)
{
	return pki_crl(&root, NULL, 0, -60, DAY, NULL);
}

/* crl as PEM in dir/name; its path in out. Frees crl. */
static const char *crl_file(char out[300], const char *name, X509_CRL *crl)
{
	snprintf(out, 300, "%s/%s", dir, name);
	pki_write_crl(out, "w", crl);
	X509_CRL_free(crl);
	return out;
}

/* The store with each CRL file of the NULL-terminated list added. */
static trust *load(const char *const *crls)
{
	trust *t = NULL;
	ksef_error err;

	if (trust_load(&t, store_path, &err) != 0)
		fail_msg("trust_load: %s", err.message);
	for (; crls != NULL && *crls != NULL; crls++)
		if (trust_add_crls(t, *crls, &err) != 0)
			fail_msg("trust_add_crls %s: %s", *crls, err.message);
	return t;
}

/* The CRLs of the root (listing nobody), the intermediate and the other
 * root: every CA of both hierarchies covered. */
static trust *load_all(void)
{
	char r[300], i[300], o[300];
	const char *files[] = { crl_file(r, "root.crl", root_crl()),
				crl_file(i, "inter.crl", inter_crl()),
				crl_file(o, "other.crl",
					 pki_crl(&other_root, NULL, 0, -60, DAY,
						 NULL)),
				NULL };

	return load(files);
}

static trust_verdict check(const trust *t, const struct pki_cert *c,
			   char *why, size_t size)
{
	unsigned char *der = NULL;
	int len = i2d_X509(c->cert, &der);
	trust_verdict v;

	assert_true(len > 0);
	v = trust_check(t, der, (size_t)len, why, size);
	OPENSSL_free(der);
	return v;
}

/* trust_warn's messages, one a line. */
static char warnings[4096];

static void collect(void *arg, const char *msg)
{
	(void)arg;
	snprintf(warnings + strlen(warnings),
		 sizeof(warnings) - strlen(warnings), "%s\n", msg);
}

static const char *warned(const trust *t)
{
	warnings[0] = '\0';
	trust_warn(t, collect, NULL);
	return warnings;
}

static void without_crls_only_the_chain_counts(void **state)
{
	trust *t = load(NULL);
	char why[512];

	(void)state;
	assert_int_equal(check(t, &good, why, sizeof(why)), TRUST_OK);
	/* Nothing says it is revoked: no CRL was given. */
	assert_int_equal(check(t, &bad, why, sizeof(why)), TRUST_OK);
	assert_int_equal(check(t, &other_leaf, why, sizeof(why)), TRUST_OK);
	assert_int_equal(check(t, &self_signed, why, sizeof(why)),
			 TRUST_UNTRUSTED);
	assert_non_null(strstr(why, "CN=Self Signed"));
	assert_int_equal(trust_check(t, (const unsigned char *)"\x30\x03", 2,
				     why, sizeof(why)), TRUST_UNTRUSTED);
	assert_string_equal(why, "the certificate cannot be parsed");
	assert_string_equal(warned(t), "");
	trust_free(t);
}

static void a_revoked_signer_is_refused_and_its_sibling_is_not(void **state)
{
	trust *t = load_all();
	char why[512];

	(void)state;
	assert_int_equal(check(t, &good, why, sizeof(why)), TRUST_OK);
	assert_string_equal(why, "");
	assert_int_equal(check(t, &other_leaf, why, sizeof(why)), TRUST_OK);
	assert_int_equal(check(t, &bad, why, sizeof(why)), TRUST_REVOKED);
	assert_non_null(strstr(why, "CN=Test Leaf Bad"));
	assert_non_null(strstr(why, "(chain depth 0) is listed as revoked in "
				    "the CRL of \"CN=Test Intermediate\""));
	/* Not in the chain-of-trust sense: it chains, and is revoked. */
	assert_int_equal(check(t, &self_signed, why, sizeof(why)),
			 TRUST_UNTRUSTED);
	trust_free(t);
}

static void a_certificate_on_hold_is_suspended(void **state)
{
	trust *t = load_all();
	char why[512];

	(void)state;
	assert_int_equal(check(t, &held, why, sizeof(why)), TRUST_SUSPENDED);
	assert_non_null(strstr(why, "CN=Test Leaf Held"));
	assert_non_null(strstr(why, "is listed as on hold in the CRL of"));
	trust_free(t);
}

static void a_revoked_intermediate_refuses_every_signer_under_it(void **state)
{
	const struct pki_revoked rev[] = { { 2, CRL_REASON_CA_COMPROMISE } };
	char r[300], i[300], why[512];
	X509_CRL *revokes = pki_crl(&root, rev, 1, -60, DAY, NULL);
	const char *files[] = { crl_file(r, "root-revokes.crl", revokes),
				crl_file(i, "inter.crl", inter_crl()), NULL };
	trust *t = load(files);

	(void)state;
	assert_int_equal(check(t, &good, why, sizeof(why)), TRUST_REVOKED);
	assert_non_null(strstr(why, "\"CN=Test Intermediate\" (chain depth 1) "
				    "is listed as revoked in the CRL of "
				    "\"CN=Test Root\""));
	trust_free(t);
}

static void an_expired_crl_leaves_revocation_undecided(void **state)
{
	char r[300], i[300], i2[300], why[512];
	const char *old[] = { crl_file(r, "root.crl", root_crl()),
			      crl_file(i, "inter-old.crl",
				       pki_crl(&inter, NULL, 0, -2 * DAY, -60,
					       NULL)),
			      NULL };
	const char *both[] = { r, i, crl_file(i2, "inter.crl", inter_crl()),
			       NULL };
	trust *t = load(old);

	(void)state;
	assert_int_equal(check(t, &good, why, sizeof(why)), TRUST_UNDECIDED);
	assert_non_null(strstr(why, "the CRL of \"CN=Test Intermediate\" "
				    "expired on "));
	assert_non_null(strstr(why, "\"CN=Test Leaf Good"));
	assert_non_null(strstr(warned(t), "--crl: the CRL of \"CN=Test "
					  "Intermediate\" expired on "));
	trust_free(t);

	/* A current CRL given beside the stale one is the one used. */
	t = load(both);
	assert_int_equal(check(t, &good, why, sizeof(why)), TRUST_OK);
	assert_int_equal(check(t, &bad, why, sizeof(why)), TRUST_REVOKED);
	trust_free(t);
}

static void a_crl_not_yet_valid_leaves_revocation_undecided(void **state)
{
	char r[300], i[300], why[512];
	const char *files[] = { crl_file(r, "root.crl", root_crl()),
				crl_file(i, "inter-future.crl",
					 pki_crl(&inter, NULL, 0, DAY, 2 * DAY,
						 NULL)),
				NULL };
	trust *t = load(files);

	(void)state;
	assert_int_equal(check(t, &good, why, sizeof(why)), TRUST_UNDECIDED);
	assert_non_null(strstr(why, "CRL is not yet valid"));
	assert_non_null(strstr(warned(t), "--crl: the CRL of "
				"\"CN=Test Intermediate\" is valid only "
				"from "));
	trust_free(t);
}

static void a_ca_without_a_crl_refuses_the_chains_it_is_in(void **state)
{
	char r[300], i[300], why[512];
	const char *two[] = { crl_file(r, "root.crl", root_crl()),
			      crl_file(i, "inter.crl", inter_crl()), NULL };
	const char *inter_only[] = { i, NULL };
	const char *w;
	trust *t = load(two);

	(void)state;
	/* The first hierarchy is covered; the other root is not. */
	assert_int_equal(check(t, &good, why, sizeof(why)), TRUST_OK);
	assert_int_equal(check(t, &bad, why, sizeof(why)), TRUST_REVOKED);
	assert_int_equal(check(t, &other_leaf, why, sizeof(why)),
			 TRUST_UNDECIDED);
	assert_non_null(strstr(why, "no CRL of \"CN=Other Root\" was given"));
	w = warned(t);
	assert_non_null(strstr(w, "--crl: no CRL of \"CN=Other Root\""));
	assert_non_null(strstr(w, "--crl: no CRL of \"CN=No CRL Sign\""));
	assert_null(strstr(w, "\"CN=Test Root\""));
	assert_null(strstr(w, "\"CN=Test Intermediate\""));
	trust_free(t);

	/* The root's own CRL is needed too: it decides the intermediate. */
	t = load(inter_only);
	assert_int_equal(check(t, &good, why, sizeof(why)), TRUST_UNDECIDED);
	assert_non_null(strstr(why, "no CRL of \"CN=Test Root\" was given"));
	assert_non_null(strstr(why,
			       "\"CN=Test Intermediate\" (chain depth 1)"));
	trust_free(t);
}

/* trust_add_crls on a fresh store: its code, the message in err. */
static int add(const char *file, ksef_error *err)
{
	trust *t = load(NULL);
	int rc = trust_add_crls(t, file, err);

	trust_free(t);
	return rc;
}

static void a_crl_signed_by_another_key_stops_the_start(void **state)
{
	char f[300];
	ksef_error err;

	(void)state;
	/* The intermediate's name, a stranger's signature: a forged CRL
	 * that would, say, list nobody. */
	crl_file(f, "forged.crl", pki_crl(&inter, NULL, 0, -60, DAY, impostor));
	assert_int_equal(add(f, &err), KSEF_ECRYPTO);
	assert_non_null(strstr(err.message, "forged.crl: the signature of "
				"CRL 1 does not verify with the key of "
				"\"CN=Test Intermediate\""));
}

static void a_crl_of_a_ca_outside_the_store_stops_the_start(void **state)
{
	char f[300];
	ksef_error err;

	(void)state;
	crl_file(f, "stranger.crl",
		 pki_crl(&stranger, NULL, 0, -60, DAY, NULL));
	assert_int_equal(add(f, &err), KSEF_ENOTFOUND);
	assert_non_null(strstr(err.message, "is issued by \"CN=Stranger CA\", "
				"which is not in the trust store"));
}

static void a_crl_of_a_ca_that_may_not_sign_crls_stops_the_start(void **state)
{
	char f[300];
	ksef_error err;

	(void)state;
	crl_file(f, "nosign.crl",
		 pki_crl(&no_crl_sign, NULL, 0, -60, DAY, NULL));
	assert_int_equal(add(f, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "keyUsage lacks cRLSign"));
}

static void a_delta_crl_stops_the_start(void **state)
{
	X509_CRL *crl = pki_crl(&inter, NULL, 0, -60, DAY, NULL);
	ASN1_INTEGER *base = ASN1_INTEGER_new();
	char f[300];
	ksef_error err;

	(void)state;
	assert_int_equal(ASN1_INTEGER_set(base, 1), 1);
	assert_int_equal(X509_CRL_add1_ext_i2d(crl, NID_delta_crl, base, 1, 0),
			 1);
	assert_true(X509_CRL_sign(crl, inter.key, EVP_sha256()) > 0);
	ASN1_INTEGER_free(base);
	crl_file(f, "delta.crl", crl);
	assert_int_equal(add(f, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "is a delta CRL"));
}

static void files_without_a_readable_crl_stop_the_start(void **state)
{
	char good_pem[300], path[300], buf[8192];
	ksef_buf pem = KSEF_BUF_INIT;
	ksef_error err;
	size_t half;
	FILE *f;

	(void)state;
	crl_file(good_pem, "inter.crl", inter_crl());
	ts_read_file(&pem, good_pem);
	half = pem.size / 2;

	snprintf(path, sizeof(path), "%s/no-such-file.crl", dir);
	assert_int_equal(add(path, &err), KSEF_EIO);
	assert_non_null(strstr(err.message, "--crl: cannot open "));

	snprintf(path, sizeof(path), "%s/empty.crl", dir);
	ts_write_file(path, "", 0);
	assert_int_equal(add(path, &err), KSEF_EPARSE);
	assert_non_null(strstr(err.message, "holds no CRL (PEM or DER)"));

	snprintf(path, sizeof(path), "%s/garbage.crl", dir);
	ts_write_file(path, "not a CRL at all\n", 17);
	assert_int_equal(add(path, &err), KSEF_EPARSE);

	/* A certificate where a CRL should be (a mixed-up file name). */
	snprintf(path, sizeof(path), "%s/cert.crl", dir);
	pki_write_cert(path, "w", inter.cert);
	assert_int_equal(add(path, &err), KSEF_EPARSE);
	assert_non_null(strstr(err.message, "holds no CRL"));

	/* Cut in the middle of its Base64. */
	snprintf(path, sizeof(path), "%s/cut.crl", dir);
	ts_write_file(path, pem.ptr, half);
	assert_int_equal(add(path, &err), KSEF_EPARSE);

	/* A good CRL, then a damaged one: the second is named. */
	snprintf(path, sizeof(path), "%s/second-bad.crl", dir);
	assert_true(2 * pem.size < sizeof(buf));
	memcpy(buf, pem.ptr, pem.size);
	memcpy(buf + pem.size, pem.ptr, pem.size);
	memcpy(buf + pem.size + 40, "!!!!", 4);
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite(buf, 1, 2 * pem.size, f);
	fclose(f);
	assert_int_equal(add(path, &err), KSEF_EPARSE);
	assert_non_null(strstr(err.message, "second-bad.crl: CRL 2 cannot "
				"be read"));
	ksef_buf_dispose(&pem);
}

static void one_file_may_hold_several_crls_and_der_is_read(void **state)
{
	char bundle[300], rd[300], id[300], why[512];
	X509_CRL *r = root_crl(),
		 *i = inter_crl(),
		 *o = pki_crl(&other_root, NULL, 0, -60, DAY, NULL);
	const char *one[] = { bundle, NULL };
	const char *der[] = { rd, id, NULL };
	trust *t;

	(void)state;
	snprintf(bundle, sizeof(bundle), "%s/bundle.crl", dir);
	pki_write_crl(bundle, "w", r);
	pki_write_crl(bundle, "a", i);
	pki_write_crl(bundle, "a", o);
	t = load(one);
	assert_int_equal(check(t, &good, why, sizeof(why)), TRUST_OK);
	assert_int_equal(check(t, &bad, why, sizeof(why)), TRUST_REVOKED);
	assert_int_equal(check(t, &other_leaf, why, sizeof(why)), TRUST_OK);
	trust_free(t);

	snprintf(rd, sizeof(rd), "%s/root.der", dir);
	snprintf(id, sizeof(id), "%s/inter.der", dir);
	pki_write_crl_der(rd, r);
	pki_write_crl_der(id, i);
	t = load(der);
	assert_int_equal(check(t, &good, why, sizeof(why)), TRUST_OK);
	assert_int_equal(check(t, &bad, why, sizeof(why)), TRUST_REVOKED);
	trust_free(t);
	X509_CRL_free(r);
	X509_CRL_free(i);
	X509_CRL_free(o);
}

static void certificate_dates_stay_the_callers_to_judge(void **state)
{
	struct pki_cert old_good, old_bad;
	const struct pki_revoked rev[] = { { 1005, CRL_REASON_NONE } };
	char r[300], i[300], why[512];
	const char *files[] = { crl_file(r, "root.crl", root_crl()),
				crl_file(i, "inter-1005.crl",
					 pki_crl(&inter, rev, 1, -60, DAY,
						 NULL)),
				NULL };
	trust *t = load(files);

	(void)state;
	/* Expired an hour ago: the login says "Nieważny certyfikat" itself;
	 * here only the chain and the CRLs count, with or without CRLs. */
	pki_person(&old_good, NIP, "Expired Good", &inter, 1004);
	pki_person(&old_bad, NIP, "Expired Bad", &inter, 1005);
	pki_set_not_after(&old_good, &inter, -3600);
	pki_set_not_after(&old_bad, &inter, -3600);
	assert_int_equal(check(t, &old_good, why, sizeof(why)), TRUST_OK);
	assert_int_equal(check(t, &old_bad, why, sizeof(why)), TRUST_REVOKED);
	trust_free(t);
	t = load(NULL);
	assert_int_equal(check(t, &old_good, why, sizeof(why)), TRUST_OK);
	trust_free(t);
	pki_free(&old_good);
	pki_free(&old_bad);
}

static void a_name_cannot_forge_a_log_line(void **state)
{
	struct pki_cert evil;
	const struct pki_revoked rev[] = { { 1006, CRL_REASON_NONE } };
	char r[300], i[300], why[512];
	const char *files[] = { crl_file(r, "root.crl", root_crl()),
				crl_file(i, "inter-1006.crl",
					 pki_crl(&inter, rev, 1, -60, DAY,
						 NULL)),
				NULL };
	trust *t = load(files);
	size_t k;

	(void)state;
	pki_person(&evil, NIP, "x\nksefd: forged \xc5\x82\x1b[2J\x7f\\", &inter,
		   1006);
	assert_int_equal(check(t, &evil, why, sizeof(why)), TRUST_REVOKED);
	for (k = 0; why[k] != '\0'; k++)
		assert_true(why[k] >= 0x20 && why[k] < 0x7f);
	assert_non_null(strstr(why,
			       "CN=x\\0Aksefd: forged \\C5\\82\\1B[2J\\7F"));
	assert_null(strchr(why, '\n'));
	/* Cut to the buffer, never past it. */
	assert_int_equal(check(t, &evil, why, 16), TRUST_REVOKED);
	assert_int_equal(strlen(why), 15);
	assert_int_equal(check(t, &evil, NULL, 0), TRUST_REVOKED);
	trust_free(t);
	pki_free(&evil);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(without_crls_only_the_chain_counts),
		cmocka_unit_test(a_revoked_signer_is_refused_and_its_sibling_is_not),
		cmocka_unit_test(a_certificate_on_hold_is_suspended),
		cmocka_unit_test(a_revoked_intermediate_refuses_every_signer_under_it),
		cmocka_unit_test(an_expired_crl_leaves_revocation_undecided),
		cmocka_unit_test(a_crl_not_yet_valid_leaves_revocation_undecided),
		cmocka_unit_test(a_ca_without_a_crl_refuses_the_chains_it_is_in),
		cmocka_unit_test(a_crl_signed_by_another_key_stops_the_start),
		cmocka_unit_test(a_crl_of_a_ca_outside_the_store_stops_the_start),
		cmocka_unit_test(a_crl_of_a_ca_that_may_not_sign_crls_stops_the_start),
		cmocka_unit_test(a_delta_crl_stops_the_start),
		cmocka_unit_test(files_without_a_readable_crl_stop_the_start),
		cmocka_unit_test(one_file_may_hold_several_crls_and_der_is_read),
		cmocka_unit_test(certificate_dates_stay_the_callers_to_judge),
		cmocka_unit_test(a_name_cannot_forge_a_log_line),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
