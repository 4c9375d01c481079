/*
 * pki.c - builds test certificate hierarchies and CRLs with OpenSSL's API,
 * so that a test controls every field (serials, reasons, dates, the key a
 * CRL is signed with) without the openssl command's CA database. Test
 * code only: failures end the test through cmocka's fail_msg.
 */
#include <stdio.h>
#include "testsupport.h"
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "pki.h"

/* Certificates start an hour back, so a clock a little behind still
 * finds them valid, and last two days, the length of any test. */
#define PKI_BACK_S 3600L
#define PKI_DAYS 2

static void ok_or_fail(int ok, const char *what)
{
	char msg[256];

	if (ok)
		return;
	ERR_error_string_n(ERR_get_error(), msg, sizeof(msg));
	ERR_clear_error();
	fail_msg("pki: %s: %s", what, msg);
}

static void add_ext(X509 *cert, const X509 *issuer, int nid, const char *v)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, (X509 *)issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, v);
	ok_or_fail(ext != NULL && X509_add_ext(cert, ext, -1) == 1, v);
	X509_EXTENSION_free(ext);
}

/* A certificate of name for out's new key, signed by issuer (or itself). */
static void make(struct pki_cert *out, X509_NAME *name,
		 const struct pki_cert *issuer, long serial, const char *ku,
		 int ca)
{
	X509 *x;

	out->key = EVP_EC_gen("P-256");
	out->cert = x = X509_new();
	ok_or_fail(out->key != NULL && x != NULL, "new");
	ok_or_fail(X509_set_version(x, X509_VERSION_3) == 1 &&
		   ASN1_INTEGER_set(X509_get_serialNumber(x), serial) == 1 &&
		   X509_set_subject_name(x, name) == 1 &&
		   X509_set_issuer_name(x, issuer ?
				X509_get_subject_name(issuer->cert) : name) ==
			   1 &&
		   X509_gmtime_adj(X509_getm_notBefore(x), -PKI_BACK_S) !=
			   NULL &&
		   X509_gmtime_adj(X509_getm_notAfter(x),
				   PKI_DAYS * 86400L) != NULL &&
		   X509_set_pubkey(x, out->key) == 1, "fields");
	if (ca)
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(x, x, NID_key_usage, ku);
	ok_or_fail(X509_sign(x, issuer ? issuer->key : out->key,
			     EVP_sha256()) > 0, "sign");
}

void pki_ca(struct pki_cert *out, const char *cn,
	    const struct pki_cert *issuer, long serial, int crl_sign)
{
	X509_NAME *name = X509_NAME_new();

	ok_or_fail(name != NULL && X509_NAME_add_entry_by_txt(name, "CN",
			MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0),
		   "name");
	make(out, name, issuer, serial, crl_sign ?
	     "critical,keyCertSign,cRLSign" : "critical,keyCertSign", 1);
	X509_NAME_free(name);
}

void pki_person(struct pki_cert *out, const char *nip, const char *cn,
		const struct pki_cert *issuer, long serial)
{
	X509_NAME *name = X509_NAME_new();
	char sn[32];
	const char *const fields[][2] = {
		{ "C", "PL" }, { "GN", "Jan" }, { "SN", "Testowy" },
		{ "serialNumber", sn }, { "CN", cn },
	};
	size_t i;

	snprintf(sn, sizeof(sn), "TINPL-%s", nip);
	ok_or_fail(name != NULL, "name");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		ok_or_fail(X509_NAME_add_entry_by_txt(name, fields[i][0],
				MBSTRING_UTF8,
				(const unsigned char *)fields[i][1], -1, -1, 0),
			   fields[i][0]);
	make(out, name, issuer, serial, "critical,digitalSignature,"
	     "nonRepudiation", 0);
	X509_NAME_free(name);
}

void pki_set_not_after(struct pki_cert *c, const struct pki_cert *issuer,
		       long offset_s)
{
	ok_or_fail(X509_gmtime_adj(X509_getm_notAfter(c->cert), offset_s) !=
			   NULL &&
		   X509_sign(c->cert, issuer->key, EVP_sha256()) > 0,
		   "not after");
}

void pki_free(struct pki_cert *c)
{
	EVP_PKEY_free(c->key);
	X509_free(c->cert);
	c->key = NULL;
	c->cert = NULL;
}

X509_CRL *pki_crl(const struct pki_cert *issuer, const struct pki_revoked *rev,
		  size_t n, long this_s, long next_s, EVP_PKEY *sign_key)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	size_t i;

	ok_or_fail(crl != NULL && t != NULL &&
		   X509_CRL_set_version(crl, X509_CRL_VERSION_2) == 1 &&
		   X509_CRL_set_issuer_name(crl,
			X509_get_subject_name(issuer->cert)) == 1 &&
		   X509_gmtime_adj(t, this_s) != NULL &&
		   X509_CRL_set1_lastUpdate(crl, t) == 1 &&
		   X509_gmtime_adj(t, next_s) != NULL &&
		   X509_CRL_set1_nextUpdate(crl, t) == 1, "crl");
	for (i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *serial = ASN1_INTEGER_new();
		ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();

		ok_or_fail(r != NULL && serial != NULL && reason != NULL &&
			   ASN1_INTEGER_set(serial, rev[i].serial) == 1 &&
			   X509_REVOKED_set_serialNumber(r, serial) == 1 &&
			   X509_gmtime_adj(t, -60) != NULL &&
			   X509_REVOKED_set_revocationDate(r, t) == 1,
			   "entry");
		if (rev[i].reason != CRL_REASON_NONE)
			ok_or_fail(ASN1_ENUMERATED_set(reason,
						       rev[i].reason) == 1 &&
				   X509_REVOKED_add1_ext_i2d(r, NID_crl_reason,
						reason, 0, 0) == 1, "reason");
		ok_or_fail(X509_CRL_add0_revoked(crl, r) == 1, "add entry");
		ASN1_INTEGER_free(serial);
		ASN1_ENUMERATED_free(reason);
	}
	ok_or_fail(X509_CRL_sort(crl) == 1 &&
		   X509_CRL_sign(crl, sign_key ? sign_key : issuer->key,
				 EVP_sha256()) > 0, "sign crl");
	ASN1_TIME_free(t);
	return crl;
}

static FILE *open_or_fail(const char *path, const char *mode)
{
	FILE *f = fopen(path, mode);

	if (f == NULL)
		fail_msg("pki: cannot write %s", path);
	return f;
}

void pki_write_cert(const char *path, const char *mode, X509 *cert)
{
	FILE *f = open_or_fail(path, mode);

	ok_or_fail(PEM_write_X509(f, cert) == 1, path);
	fclose(f);
}

void pki_write_crl(const char *path, const char *mode, X509_CRL *crl)
{
	FILE *f = open_or_fail(path, mode);

	ok_or_fail(PEM_write_X509_CRL(f, crl) == 1, path);
	fclose(f);
}

void pki_write_key(const char *path, EVP_PKEY *key)
{
	FILE *f = open_or_fail(path, "w");

	ok_or_fail(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) ==
			   1, path);
	fclose(f);
}

void pki_write_crl_der(const char *path, X509_CRL *crl)
{
	FILE *f = open_or_fail(path, "w");

	ok_or_fail(i2d_X509_CRL_fp(f, crl) == 1, path);
	fclose(f);
}
