/*
 * certs_link_test.c - the KOD II link (certs_link.c): its refusals first
 * (another prefix, too few or too many parts, a part of the wrong length
 * or alphabet, an unknown context type, a hash that is not 32 bytes, a
 * signature that is not Base64URL), then the documented example read
 * part by part, and signatures checked: ECDSA P-256 as r||s and as DER,
 * RSASSA-PSS with a 32-byte salt, each refused for another host, another
 * key or a changed path.
 */
#include "testsupport.h"
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "certs_link.h"
#include "ksef/encoding.h"

/* kody-qr.md 2's example link, without its host. */
#define EXAMPLE "/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/" \
	"UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE/mSkm_XmM9fq7PgAJwiL32L9u" \
	"jhyguOEV48cDB0ncemD2r9TMGa3lr0iRoFk588agCi8QPsOuscUY1rZ7ff76STbGquO-" \
	"gZtQys5_fHdf2HUfDqPqVTnUS6HknBu0zLkyf9ygoW7WbH06Ty_8BgQTlOmJFzNWSt9W" \
	"Za7tAGuAE9JOooNps-KG2PYkkIP4q4jPMp3FKypAygHVnXtS0RDGgOxhhM7LWtFP7D-d" \
	"WINbh5yXD8Lr-JVbeOpyQjHa6WmMYavCDQJ3X_Z-iS01LZu2s1B3xuOykl1h0sLObCdA" \
	"DrbxOONsXrvQa61Xt_rxyprVraj2Uf9pANQgR4-12HEcMw"

#define HASH "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"

static void malformed_links_are_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"/",
		"/invoice/Nip/1111111111/1111111111/01F20A5D352AE590/" HASH "/AA",
		"/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/" HASH,
		"/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/" HASH
		"/AA/",
		"/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/" HASH
		"/AA/BB",
		"/certificate/Pesel/1111111111/1111111111/01F20A5D352AE590/"
		HASH "/AA",
		"/certificate/Nip//1111111111/01F20A5D352AE590/" HASH "/AA",
		"/certificate/Nip/1111111111/111111111/01F20A5D352AE590/"
		HASH "/AA",
		"/certificate/Nip/1111111111/11111111x1/01F20A5D352AE590/"
		HASH "/AA",
		"/certificate/Nip/1111111111/1111111111/01f20a5d352ae590/"
		HASH "/AA",
		"/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/"
		"UtQp9Gpc51y+u3xApZjIjgkpZ01js-J8KflSPW8WzIE/AA",
		"/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/"
		"UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzI/AA",
		"/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/"
		HASH "/A=A",
	};
	certs_link *l = malloc(sizeof(*l));
	char why[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (certs_link_parse(l, bad[i], why, sizeof(why)) != -1)
			fail_msg("link %zu was read", i);
	free(l);
}

static void the_documented_example_reads(void **state)
{
	certs_link *l = malloc(sizeof(*l));
	char why[64];

	(void)state;
	assert_int_equal(certs_link_parse(l, EXAMPLE, why, sizeof(why)), 0);
	assert_string_equal(l->context_type, "Nip");
	assert_string_equal(l->context_value, "1111111111");
	assert_string_equal(l->seller_nip, "1111111111");
	assert_string_equal(l->serial, "01F20A5D352AE590");
	assert_string_equal(l->hash, HASH);
	assert_int_equal(l->sig_len, 256);   /* RSA-2048 */
	assert_string_equal(l->signed_path, "/certificate/Nip/1111111111/"
			    "1111111111/01F20A5D352AE590/" HASH);
	free(l);
}

/* A self-signed certificate of key, as DER. */
static unsigned char *cert_of(EVP_PKEY *k, size_t *len)
{
	X509 *x = X509_new();
	unsigned char *der = NULL;
	int n;

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 60);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	X509_free(x);
	return der;
}

/* A link for host signed by k (pss for RSA; p1363 for EC). */
static void link_of(certs_link *l, const char *host, EVP_PKEY *k,
		    int p1363)
{
	char msg[256], path[1200];
	unsigned char sig[600];
	size_t sig_len = sizeof(sig), i, n;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	ksef_buf b = KSEF_BUF_INIT;

	snprintf(msg, sizeof(msg), "%s/certificate/Nip/1111111111/1111111111/"
		 "01F20A5D352AE590/" HASH, host);
	assert_int_equal(EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, k),
			 1);
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA) {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
	}
	assert_int_equal(EVP_DigestSign(md, sig, &sig_len,
		(const unsigned char *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(md);
	if (p1363) {
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);

		assert_non_null(es);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
		sig_len = 64;
		ECDSA_SIG_free(es);
	}
	assert_int_equal(ksef_base64_encode(&b, sig, sig_len, NULL), 0);
	n = snprintf(path, sizeof(path), "%s/", strchr(msg, '/'));
	for (i = 0; i < b.size && ((char *)b.ptr)[i] != '='; i++) {
		char c = ((char *)b.ptr)[i];

		path[n++] = c == '+' ? '-' : c == '/' ? '_' : c;
	}
	path[n] = '\0';
	ksef_buf_dispose(&b);
	assert_int_equal(certs_link_parse(l, path, NULL, 0), 0);
}

static void signatures_verify_for_their_host_and_key_only(void **state)
{
	EVP_PKEY *ec = EVP_EC_gen("prime256v1"), *rsa = EVP_RSA_gen(2048),
		 *other = EVP_EC_gen("prime256v1");
	unsigned char *ec_der, *rsa_der, *other_der;
	size_t ec_len, rsa_len, other_len;
	certs_link *l = malloc(sizeof(*l));
	int p1363;

	(void)state;
	ec_der = cert_of(ec, &ec_len);
	rsa_der = cert_of(rsa, &rsa_len);
	other_der = cert_of(other, &other_len);
	for (p1363 = 0; p1363 <= 1; p1363++) {
		link_of(l, "qr-test.ksef.mf.gov.pl", ec, p1363);
		assert_int_equal(certs_link_verify(l, "qr-test.ksef.mf.gov.pl",
						   ec_der, ec_len), 1);
		assert_int_equal(certs_link_verify(l, "qr.ksef.mf.gov.pl",
						   ec_der, ec_len), 0);
		assert_int_equal(certs_link_verify(l, "qr-test.ksef.mf.gov.pl",
						   other_der, other_len), 0);
		l->signed_path[20] ^= 1;
		assert_int_equal(certs_link_verify(l, "qr-test.ksef.mf.gov.pl",
						   ec_der, ec_len), 0);
	}
	link_of(l, "127.0.0.1:8443", rsa, 0);
	assert_int_equal(certs_link_verify(l, "127.0.0.1:8443", rsa_der,
					   rsa_len), 1);
	assert_int_equal(certs_link_verify(l, "127.0.0.1:8443", ec_der,
					   ec_len), 0);
	assert_int_equal(certs_link_verify(l, "127.0.0.1:8443",
		(const unsigned char *)"x", 1), 0);
	free(l);
	OPENSSL_free(ec_der);
	OPENSSL_free(rsa_der);
	OPENSSL_free(other_der);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(malformed_links_are_refused),
		cmocka_unit_test(the_documented_example_reads),
		cmocka_unit_test(signatures_verify_for_their_host_and_key_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
