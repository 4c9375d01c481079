/*
 * qr_cert_test.c - KOD II: kody-qr.md 2's example link and signed text
 * byte for byte; links signed with RSA (RSASSA-PSS) and EC P-256 keys
 * (P1363 and DER), each checked by OpenSSL directly with the document's
 * parameters and by ksef_qr_cert_verify(); encrypted keys; the keys and
 * links the document does not allow refused; the parser's failures.
 */
#include "testsupport.h"
#include <stdio.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "ksef/qr_cert.h"
#include "ksef/xades.h"

/* kody-qr.md 2, "Generowanie linku" and "Format podpisu". */
#define DOC_HASH "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"
#define DOC_TEXT "qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/" \
	"1111111111/01F20A5D352AE590/" DOC_HASH
#define DOC_SIG "mSkm_XmM9fq7PgAJwiL32L9ujhyguOEV48cDB0ncemD2r9TMGa3lr0iRo" \
	"Fk588agCi8QPsOuscUY1rZ7ff76STbGquO-gZtQys5_fHdf2HUfDqPqVTnUS6HknB" \
	"u0zLkyf9ygoW7WbH06Ty_8BgQTlOmJFzNWSt9WZa7tAGuAE9JOooNps-KG2PYkkIP" \
	"4q4jPMp3FKypAygHVnXtS0RDGgOxhhM7LWtFP7D-dWINbh5yXD8Lr-JVbeOpyQjHa" \
	"6WmMYavCDQJ3X_Z-iS01LZu2s1B3xuOykl1h0sLObCdADrbxOONsXrvQa61Xt_rxy" \
	"prVraj2Uf9pANQgR4-12HEcMw"
#define DOC_LINK "https://" DOC_TEXT "/" DOC_SIG

/* The example's digest, decoded with base64(1) (as qr_test.c has it). */
static const unsigned char doc_sha[KSEF_SHA256_LEN] = {
	0x52, 0xd4, 0x29, 0xf4, 0x6a, 0x5c, 0xe7, 0x5c, 0xbe, 0xbb, 0x7c,
	0x40, 0xa5, 0x98, 0xc8, 0x8e, 0x09, 0x29, 0x67, 0x4d, 0x63, 0xb3,
	0xe2, 0x7c, 0x29, 0xf9, 0x52, 0x3d, 0x6f, 0x16, 0xcc, 0x81
};

static ksef_qr_cert_ref doc_ref(void)
{
	ksef_qr_cert_ref r;

	memset(&r, 0, sizeof(r));
	r.context_type = KSEF_CONTEXT_NIP;
	strcpy(r.context_value, "1111111111");
	strcpy(r.seller_nip, "1111111111");
	strcpy(r.cert_serial, "01F20A5D352AE590");
	memcpy(r.sha256, doc_sha, sizeof(doc_sha));
	return r;
}

/* A test key and certificate from the library's own generator. */
struct kc {
	ksef_buf key, cert;
};

static void make_kc(struct kc *kc, ksef_xades_key_type type)
{
	ksef_xades_cert_options o = KSEF_XADES_CERT_OPTIONS_INIT;

	memset(kc, 0, sizeof(*kc));
	o.key_type = type;
	o.given_name = "Jan";
	o.surname = "Kowalski";
	o.serial_number = "TINPL-1111111111";
	o.common_name = "Jan Kowalski";
	assert_int_equal(ksef_xades_cert_generate(&kc->key, &kc->cert, &o,
						  NULL), 0);
}

static void free_kc(struct kc *kc)
{
	ksef_buf_dispose_secure(&kc->key);
	ksef_buf_dispose(&kc->cert);
}

/* Any OpenSSL key as a PEM key and a self-signed PEM certificate with a
 * given serial, for keys the generator does not make. */
static void make_any(struct kc *kc, EVP_PKEY *pk, long serial)
{
	X509 *x = X509_new();
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	char *p;
	long n;

	memset(kc, 0, sizeof(*kc));
	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
				   MBSTRING_ASC, (const unsigned char *)"t",
				   -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, pk);
	assert_true(X509_sign(x, pk, EVP_PKEY_is_a(pk, "ED25519") ? NULL :
				EVP_sha256()) > 0);
	assert_true(PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL,
					     NULL));
	assert_true(PEM_write_bio_X509(cb, x));
	n = BIO_get_mem_data(kb, &p);
	assert_int_equal(ksef_buf_append(&kc->key, p, (size_t)n, 1 << 20), 0);
	n = BIO_get_mem_data(cb, &p);
	assert_int_equal(ksef_buf_append(&kc->cert, p, (size_t)n, 1 << 20), 0);
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
}

static ksef_qr_signer *signer_of(const struct kc *kc)
{
	ksef_qr_signer *s = NULL;

	assert_int_equal(ksef_qr_signer_new(&s, kc->key.ptr, kc->key.size,
					    kc->cert.ptr, kc->cert.size, NULL,
					    NULL), 0);
	return s;
}

/* ---- the document's example ------------------------------------------ */

static void the_docs_signed_text_is_built_byte_for_byte(void **state)
{
	ksef_qr_cert_ref r = doc_ref();
	ksef_buf b = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef_qr_cert_signed_text(&b, KSEF_QR_BASE_TEST, &r,
						  NULL), 0);
	assert_string_equal((const char *)b.ptr, DOC_TEXT);
	/* A final '/' on the base changes nothing. */
	assert_int_equal(ksef_qr_cert_signed_text(&b,
		"https://qr-test.ksef.mf.gov.pl/", &r, NULL), 0);
	assert_string_equal((const char *)b.ptr, DOC_TEXT);
	ksef_buf_dispose(&b);
}

static void the_docs_link_reads_back_and_reassembles(void **state)
{
	ksef_qr_cert_ref r, want = doc_ref();
	ksef_buf sig = KSEF_BUF_INIT, link = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef_qr_cert_link_parse(&r, &sig, DOC_LINK,
					strlen(DOC_LINK), NULL), 0);
	assert_memory_equal(&r, &want, sizeof(r));
	/* RSA 2048: a 256-byte signature. */
	assert_int_equal(sig.size, 256);
	assert_int_equal(ksef_qr_cert_link_assemble(&link, KSEF_QR_BASE_TEST,
				&r, sig.ptr, sig.size, NULL), 0);
	assert_string_equal((const char *)link.ptr, DOC_LINK);
	ksef_buf_dispose(&sig);
	ksef_buf_dispose(&link);
}

/* ---- signing, checked by OpenSSL itself ------------------------------ */

/* The document's parameters, set here and not taken from the library. */
static int openssl_verifies(const ksef_buf *cert, const char *text,
			    const ksef_buf *sig, int ec_p1363)
{
	BIO *bio = BIO_new_mem_buf(cert->ptr, (int)cert->size);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	EVP_PKEY *pk = X509_get0_pubkey(x);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	const unsigned char *s = sig->ptr;
	size_t slen = sig->size;
	int ok;

	if (ec_p1363) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		int n;

		assert_int_equal(sig->size, 64);
		ECDSA_SIG_set0(es, BN_bin2bn(sig->ptr, 32, NULL),
			       BN_bin2bn(sig->ptr + 32, 32, NULL));
		n = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		s = der;
		slen = (size_t)n;
	}
	assert_int_equal(EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL,
					      pk), 1);
	if (EVP_PKEY_is_a(pk, "RSA")) {
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx,
			RSA_PKCS1_PSS_PADDING) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx,
							  EVP_sha256()) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0);
	}
	ok = EVP_DigestVerify(md, s, slen, (const unsigned char *)text,
			      strlen(text)) == 1;
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	X509_free(x);
	BIO_free(bio);
	return ok;
}

static void sign_and_check(ksef_xades_key_type type, unsigned flags,
			   size_t want_sig)
{
	struct kc kc;
	ksef_qr_signer *s;
	ksef_qr_cert_ref r = doc_ref(), back;
	ksef_buf link = KSEF_BUF_INIT, link2 = KSEF_BUF_INIT,
		 text = KSEF_BUF_INIT, sig = KSEF_BUF_INIT;
	ksef_error err;

	make_kc(&kc, type);
	s = signer_of(&kc);
	r.cert_serial[0] = '\0'; /* the signer's */
	assert_int_equal(ksef_qr_cert_link(&link, KSEF_QR_BASE_TEST, &r, s,
					   flags, &err), 0);
	assert_int_equal(ksef_qr_cert_link_parse(&back, &sig,
		(const char *)link.ptr, link.size, NULL), 0);
	assert_string_equal(back.cert_serial, ksef_qr_signer_serial(s));
	if (want_sig)
		assert_int_equal(sig.size, want_sig);
	else /* DER: a SEQUENCE of two INTEGERs */
		assert_true(sig.size >= 8 && sig.size <= 72 &&
			    sig.ptr[0] == 0x30);
	assert_int_equal(ksef_qr_cert_signed_text(&text, KSEF_QR_BASE_TEST,
						  &back, NULL), 0);
	assert_true(strncmp((const char *)link.ptr + 8,
			    (const char *)text.ptr, text.size) == 0);
	assert_true(openssl_verifies(&kc.cert, (const char *)text.ptr, &sig,
		type == KSEF_XADES_KEY_EC_P256 && want_sig == 64));
	assert_int_equal(ksef_qr_cert_verify(&back, (const char *)link.ptr,
		link.size, kc.cert.ptr, kc.cert.size, &err), 0);
	assert_memory_equal(back.sha256, doc_sha, sizeof(doc_sha));
	/* Randomised: another call, another signature, as valid. */
	assert_int_equal(ksef_qr_cert_link(&link2, KSEF_QR_BASE_TEST, &back,
					   s, flags, NULL), 0);
	assert_string_not_equal((const char *)link.ptr,
				(const char *)link2.ptr);
	assert_int_equal(ksef_qr_cert_verify(NULL, (const char *)link2.ptr,
		link2.size, kc.cert.ptr, kc.cert.size, NULL), 0);
	ksef_buf_dispose(&link);
	ksef_buf_dispose(&link2);
	ksef_buf_dispose(&text);
	ksef_buf_dispose(&sig);
	ksef_qr_signer_free(s);
	free_kc(&kc);
}

static void rsa_signs_pss_with_sha256_mgf1_and_a_32_byte_salt(void **state)
{
	(void)state;
	sign_and_check(KSEF_XADES_KEY_RSA_2048, 0, 256);
}

static void ec_signs_p1363_r_and_s_of_32_bytes(void **state)
{
	(void)state;
	sign_and_check(KSEF_XADES_KEY_EC_P256, 0, 64);
}

static void ec_signs_der_when_asked(void **state)
{
	(void)state;
	sign_and_check(KSEF_XADES_KEY_EC_P256, KSEF_QR_CERT_ECDSA_DER, 0);
}

static void an_encrypted_key_needs_its_passphrase(void **state)
{
	struct kc kc;
	ksef_qr_signer *s = NULL;
	BIO *in, *out;
	EVP_PKEY *pk;
	ksef_error err;
	char *p;
	long n;

	(void)state;
	make_kc(&kc, KSEF_XADES_KEY_EC_P256);
	in = BIO_new_mem_buf(kc.key.ptr, (int)kc.key.size);
	pk = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
	out = BIO_new(BIO_s_mem());
	assert_true(PEM_write_bio_PKCS8PrivateKey(out, pk,
		EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"tajne haslo"));
	n = BIO_get_mem_data(out, &p);
	assert_int_equal(ksef_qr_signer_new(&s, (unsigned char *)p, (size_t)n,
		kc.cert.ptr, kc.cert.size, "tajne haslo", NULL), 0);
	assert_non_null(s);
	ksef_qr_signer_free(s);
	assert_int_equal(ksef_qr_signer_new(&s, (unsigned char *)p, (size_t)n,
		kc.cert.ptr, kc.cert.size, "zle", &err), KSEF_EPARSE);
	assert_non_null(strstr(err.message, "passphrase"));
	assert_int_equal(ksef_qr_signer_new(&s, (unsigned char *)p, (size_t)n,
		kc.cert.ptr, kc.cert.size, NULL, NULL), KSEF_EPARSE);
	assert_null(s);
	BIO_free(in);
	BIO_free(out);
	EVP_PKEY_free(pk);
	free_kc(&kc);
}

static void a_der_certificate_is_taken_too(void **state)
{
	struct kc kc;
	ksef_qr_signer *s = NULL;
	ksef_qr_cert_ref r = doc_ref();
	ksef_buf link = KSEF_BUF_INIT;
	unsigned char *der = NULL;
	BIO *bio;
	X509 *x;
	int n;

	(void)state;
	make_kc(&kc, KSEF_XADES_KEY_EC_P256);
	bio = BIO_new_mem_buf(kc.cert.ptr, (int)kc.cert.size);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	n = i2d_X509(x, &der);
	assert_int_equal(ksef_qr_signer_new(&s, kc.key.ptr, kc.key.size, der,
					    (size_t)n, NULL, NULL), 0);
	r.cert_serial[0] = '\0';
	assert_int_equal(ksef_qr_cert_link(&link, KSEF_QR_BASE_PRD, &r, s, 0,
					   NULL), 0);
	assert_true(strncmp((const char *)link.ptr,
			    "https://qr.ksef.mf.gov.pl/certificate/Nip/", 42) == 0);
	assert_int_equal(ksef_qr_cert_verify(NULL, (const char *)link.ptr,
		link.size, der, (size_t)n, NULL), 0);
	/* DER with a byte of trailing garbage is no certificate. */
	assert_int_equal(ksef_qr_cert_verify(NULL, (const char *)link.ptr,
		link.size, der, (size_t)n - 1, NULL), KSEF_EPARSE);
	ksef_buf_dispose(&link);
	ksef_qr_signer_free(s);
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
	free_kc(&kc);
}

/* ---- what verification refuses --------------------------------------- */

static void a_tampered_link_does_not_verify(void **state)
{
	struct kc kc, other;
	ksef_qr_signer *s;
	ksef_qr_cert_ref r = doc_ref();
	ksef_buf link = KSEF_BUF_INIT;
	ksef_error err;
	char *nip;

	(void)state;
	make_kc(&kc, KSEF_XADES_KEY_RSA_2048);
	make_kc(&other, KSEF_XADES_KEY_RSA_2048);
	s = signer_of(&kc);
	r.cert_serial[0] = '\0';
	assert_int_equal(ksef_qr_cert_link(&link, KSEF_QR_BASE_TEST, &r, s, 0,
					   NULL), 0);
	/* Another seller NIP: the text signed is not the text read. */
	nip = strstr((char *)link.ptr, "/1111111111/1111111111/") + 12;
	memcpy(nip, "5265877635", 10);
	assert_int_equal(ksef_qr_cert_verify(NULL, (const char *)link.ptr,
		link.size, kc.cert.ptr, kc.cert.size, &err), KSEF_ECHECKSUM);
	assert_non_null(strstr(err.message, "does not verify"));
	memcpy(nip, "1111111111", 10);
	assert_int_equal(ksef_qr_cert_verify(NULL, (const char *)link.ptr,
		link.size, kc.cert.ptr, kc.cert.size, NULL), 0);
	/* Another host: it is signed too. */
	assert_int_equal(ksef_qr_cert_verify(NULL, (const char *)link.ptr + 1,
		link.size - 1, kc.cert.ptr, kc.cert.size, NULL), KSEF_EFORMAT);
	memcpy(link.ptr + 8, "qr-demo", 7);
	assert_int_equal(ksef_qr_cert_verify(NULL, (const char *)link.ptr,
		link.size, kc.cert.ptr, kc.cert.size, NULL), KSEF_ECHECKSUM);
	memcpy(link.ptr + 8, "qr-test", 7);
	/* Another certificate: its serial is not the link's. */
	assert_int_equal(ksef_qr_cert_verify(NULL, (const char *)link.ptr,
		link.size, other.cert.ptr, other.cert.size, &err),
		KSEF_ENOTFOUND);
	assert_non_null(strstr(err.message, "not this one"));
	ksef_buf_dispose(&link);
	ksef_qr_signer_free(s);
	free_kc(&kc);
	free_kc(&other);
}

static void a_signature_of_another_key_with_the_same_serial_fails(void **state)
{
	EVP_PKEY *a = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *b = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct kc ka, kb;
	ksef_qr_signer *s;
	ksef_qr_cert_ref r = doc_ref();
	ksef_buf link = KSEF_BUF_INIT;

	(void)state;
	make_any(&ka, a, 0x01f20a5dL);
	make_any(&kb, b, 0x01f20a5dL);
	s = signer_of(&ka);
	assert_string_equal(ksef_qr_signer_serial(s), "01F20A5D");
	strcpy(r.cert_serial, "01f20a5d"); /* either case */
	assert_int_equal(ksef_qr_cert_link(&link, KSEF_QR_BASE_TEST, &r, s, 0,
					   NULL), 0);
	assert_non_null(strstr((const char *)link.ptr, "/01F20A5D/"));
	assert_int_equal(ksef_qr_cert_verify(NULL, (const char *)link.ptr,
		link.size, kb.cert.ptr, kb.cert.size, NULL), KSEF_ECHECKSUM);
	/* A serial the signer's certificate does not have. */
	strcpy(r.cert_serial, "01F20A5E");
	assert_int_equal(ksef_qr_cert_link(&link, KSEF_QR_BASE_TEST, &r, s, 0,
					   NULL), KSEF_EINVAL);
	ksef_buf_dispose(&link);
	ksef_qr_signer_free(s);
	free_kc(&ka);
	free_kc(&kb);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

static void keys_the_document_does_not_allow_are_refused(void **state)
{
	EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
					      (size_t)1024);
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct kc k;
	ksef_qr_signer *s = NULL;
	ksef_error err;

	(void)state;
	make_any(&k, rsa1024, 7);
	assert_int_equal(ksef_qr_signer_new(&s, k.key.ptr, k.key.size,
		k.cert.ptr, k.cert.size, NULL, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "1024 bits"));
	free_kc(&k);
	make_any(&k, p384, 7);
	assert_int_equal(ksef_qr_signer_new(&s, k.key.ptr, k.key.size,
		k.cert.ptr, k.cert.size, NULL, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "P-256 only"));
	free_kc(&k);
	make_any(&k, ed, 7);
	assert_int_equal(ksef_qr_signer_new(&s, k.key.ptr, k.key.size,
		k.cert.ptr, k.cert.size, NULL, &err), KSEF_EFORMAT);
	free_kc(&k);
	assert_null(s);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(ed);
}

static void a_key_must_be_its_certificates(void **state)
{
	struct kc a, b;
	ksef_qr_signer *s = NULL;
	ksef_error err;

	(void)state;
	make_kc(&a, KSEF_XADES_KEY_EC_P256);
	make_kc(&b, KSEF_XADES_KEY_EC_P256);
	assert_int_equal(ksef_qr_signer_new(&s, a.key.ptr, a.key.size,
		b.cert.ptr, b.cert.size, NULL, &err), KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "does not belong"));
	assert_int_equal(ksef_qr_signer_new(&s, a.key.ptr, a.key.size,
		(const unsigned char *)"junk", 4, NULL, NULL), KSEF_EPARSE);
	assert_int_equal(ksef_qr_signer_new(&s, (const unsigned char *)"k", 1,
		a.cert.ptr, a.cert.size, NULL, NULL), KSEF_EPARSE);
	assert_int_equal(ksef_qr_signer_new(&s, NULL, 0, a.cert.ptr,
		a.cert.size, NULL, NULL), KSEF_EINVAL);
	assert_int_equal(ksef_qr_signer_new(NULL, a.key.ptr, a.key.size,
		a.cert.ptr, a.cert.size, NULL, NULL), KSEF_EINVAL);
	assert_null(s);
	assert_null(ksef_qr_signer_serial(NULL));
	ksef_qr_signer_free(NULL);
	free_kc(&a);
	free_kc(&b);
}

/* ---- the parser ------------------------------------------------------ */

static void malformed_links_are_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"h",
		"ftp://qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/"
		"1111111111/01/" DOC_HASH "/AAAA",
		"https:///certificate/Nip/1111111111/1111111111/01/" DOC_HASH
		"/AAAA",
		"https://certificate/Nip/1111111111/1111111111/01/" DOC_HASH
		"/AAAA",
		"https://h/certificat/Nip/1111111111/1111111111/01/" DOC_HASH
		"/AAAA",
		"https://h/certificate/NIP/1111111111/1111111111/01/" DOC_HASH
		"/AAAA",
		"https://h/certificate/Nip/111111111/1111111111/01/" DOC_HASH
		"/AAAA",
		"https://h/certificate/Nip/1111111111/111111111X/01/" DOC_HASH
		"/AAAA",
		"https://h/certificate/PeppolId/P%20L/1111111111/01/" DOC_HASH
		"/AAAA",
		"https://h/certificate/Nip/1111111111/1111111111//" DOC_HASH
		"/AAAA",
		"https://h/certificate/Nip/1111111111/1111111111/0G/" DOC_HASH
		"/AAAA",
		"https://h/certificate/Nip/1111111111/1111111111/0a/" DOC_HASH
		"/AAAA",
		"https://h/certificate/Nip/1111111111/1111111111/"
		"01234567890123456789012345678901234567890/" DOC_HASH "/AAAA",
		"https://h/certificate/Nip/1111111111/1111111111/01/"
		"UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIF/AAAA",
		"https://h/certificate/Nip/1111111111/1111111111/01/"
		"UtQp9Gpc51y+u3xApZjIjgkpZ01js-J8KflSPW8WzIE/AAAA",
		"https://h/certificate/Nip/1111111111/1111111111/01/" DOC_HASH
		"/",
		"https://h/certificate/Nip/1111111111/1111111111/01/" DOC_HASH
		"/AAAA=",
		"https://h/certificate/Nip/1111111111/1111111111/01/" DOC_HASH
		"/AAB",  /* a non-zero spare bit */
		"https://h/certificate/Nip/1111111111/1111111111/01/" DOC_HASH
		"/A",
		"https://h/certificate/Nip/1111111111/1111111111/01/" DOC_HASH
		"/AAAA/",
		"https://h/certificate/Nip/1111111111/1111111111/01/" DOC_HASH
		"/AAAA?x",
		"https://h/certificate/Nip/1111111111/1111111111/01/" DOC_HASH
		"/AA AA",
		"https://h/invoice/1111111111/01-02-2026/" DOC_HASH,
		/* Found by the fuzzer: a base with its final '/' written. */
		"https://h/x//certificate/Nip/1111111111/1111111111/01/"
		DOC_HASH "/AAAA",
	};
	ksef_qr_cert_ref r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0x5a, sizeof(r));
		if (ksef_qr_cert_link_parse(&r, NULL, bad[i], strlen(bad[i]),
					    NULL) != KSEF_EFORMAT)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(((unsigned char *)&r)[0], 0x5a);
	}
	assert_int_equal(ksef_qr_cert_link_parse(&r, NULL, NULL, 0, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_qr_cert_link_parse(NULL, NULL, DOC_LINK,
					strlen(DOC_LINK), NULL), KSEF_EINVAL);
}

static void the_other_context_types_and_a_local_base(void **state)
{
	static const char link[] = "http://127.0.0.1:8080/certificate/"
		"InternalId/1111111111-12345/5265877635/0A/" DOC_HASH "/AAE";
	ksef_qr_cert_ref r;
	ksef_buf sig = KSEF_BUF_INIT, back = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef_qr_cert_link_parse(&r, &sig, link,
						 strlen(link), NULL), 0);
	assert_int_equal(r.context_type, KSEF_CONTEXT_INTERNAL_ID);
	assert_string_equal(r.context_value, "1111111111-12345");
	assert_string_equal(r.seller_nip, "5265877635");
	assert_string_equal(r.cert_serial, "0A");
	assert_int_equal(sig.size, 2);
	assert_int_equal(ksef_qr_cert_link_assemble(&back,
		"http://127.0.0.1:8080/", &r, sig.ptr, sig.size, NULL), 0);
	assert_string_equal((const char *)back.ptr, link);
	assert_int_equal(ksef_qr_cert_signed_text(&back,
		"http://127.0.0.1:8080", &r, NULL), 0);
	assert_string_equal((const char *)back.ptr, "127.0.0.1:8080/"
		"certificate/InternalId/1111111111-12345/5265877635/0A/"
		DOC_HASH);
	r.context_type = KSEF_CONTEXT_PEPPOL_ID;
	strcpy(r.context_value, "PPL123456");
	assert_int_equal(ksef_qr_cert_signed_text(&back, KSEF_QR_BASE_DEMO,
						  &r, NULL), 0);
	assert_non_null(strstr((const char *)back.ptr,
			       "/certificate/PeppolId/PPL123456/"));
	r.context_type = KSEF_CONTEXT_NIP_VAT_UE;
	strcpy(r.context_value, "1111111111-DE123456789");
	assert_int_equal(ksef_qr_cert_signed_text(&back, KSEF_QR_BASE_DEMO,
						  &r, NULL), 0);
	assert_non_null(strstr((const char *)back.ptr,
			       "/NipVatUe/1111111111-DE123456789/"));
	ksef_buf_dispose(&sig);
	ksef_buf_dispose(&back);
}

static void the_context_and_serial_limits_hold_at_the_bound(void **state)
{
	char link[1024], ctx[KSEF_QR_CONTEXT_MAX + 2],
	     serial[KSEF_QR_CERT_SERIAL_MAX + 1];
	ksef_qr_cert_ref r;

	(void)state;
	memset(ctx, 'A', sizeof(ctx) - 1);
	ctx[KSEF_QR_CONTEXT_MAX] = '\0';
	memset(serial, 'F', sizeof(serial) - 1);
	serial[KSEF_QR_CERT_SERIAL_MAX] = '\0';
	snprintf(link, sizeof(link), "https://h/certificate/PeppolId/%s/"
		 "1111111111/%s/" DOC_HASH "/AAAA", ctx, serial);
	assert_int_equal(ksef_qr_cert_link_parse(&r, NULL, link, strlen(link),
						 NULL), 0);
	assert_string_equal(r.context_value, ctx);
	assert_string_equal(r.cert_serial, serial);
	ctx[KSEF_QR_CONTEXT_MAX] = 'A';
	ctx[KSEF_QR_CONTEXT_MAX + 1] = '\0';
	snprintf(link, sizeof(link), "https://h/certificate/PeppolId/%s/"
		 "1111111111/%s/" DOC_HASH "/AAAA", ctx, serial);
	assert_int_equal(ksef_qr_cert_link_parse(&r, NULL, link, strlen(link),
						 NULL), KSEF_EFORMAT);
}

static void bad_parts_are_refused_when_building(void **state)
{
	ksef_qr_cert_ref r = doc_ref();
	ksef_buf b = KSEF_BUF_INIT;
	unsigned char sig[KSEF_QR_CERT_SIG_MAX + 1] = { 0 };

	(void)state;
	assert_int_equal(ksef_qr_cert_signed_text(&b, "qr-test", &r, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_qr_cert_signed_text(&b, "https://", &r, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_qr_cert_signed_text(NULL, KSEF_QR_BASE_TEST, &r,
						  NULL), KSEF_EINVAL);
	strcpy(r.context_value, "11111111-1"); /* not a NIP for Nip */
	assert_int_equal(ksef_qr_cert_signed_text(&b, KSEF_QR_BASE_TEST, &r,
						  NULL), KSEF_EFORMAT);
	r = doc_ref();
	r.context_type = (ksef_context_type)4;
	assert_int_equal(ksef_qr_cert_signed_text(&b, KSEF_QR_BASE_TEST, &r,
						  NULL), KSEF_EINVAL);
	r = doc_ref();
	r.cert_serial[0] = '\0';
	assert_int_equal(ksef_qr_cert_signed_text(&b, KSEF_QR_BASE_TEST, &r,
						  NULL), KSEF_EFORMAT);
	r = doc_ref();
	memset(r.seller_nip, '1', sizeof(r.seller_nip)); /* no NUL */
	assert_int_equal(ksef_qr_cert_signed_text(&b, KSEF_QR_BASE_TEST, &r,
						  NULL), KSEF_EFORMAT);
	r = doc_ref();
	assert_int_equal(ksef_qr_cert_link_assemble(&b, KSEF_QR_BASE_TEST, &r,
		sig, sizeof(sig), NULL), KSEF_ETOOBIG);
	assert_int_equal(ksef_qr_cert_link_assemble(&b, KSEF_QR_BASE_TEST, &r,
		sig, KSEF_QR_CERT_SIG_MAX, NULL), 0);
	assert_int_equal(ksef_qr_cert_link_assemble(&b, KSEF_QR_BASE_TEST, &r,
		sig, 0, NULL), KSEF_EINVAL);
	{
		/* A long base and an RSA 4096 signature: over the QR text
		 * limit, said so. */
		char base[KSEF_QR_BASE_MAX + 1];
		ksef_error err;

		memset(base, 'a', sizeof(base) - 1);
		memcpy(base, "https://", 8);
		base[KSEF_QR_BASE_MAX] = '\0';
		assert_int_equal(ksef_qr_cert_link_assemble(&b, base, &r, sig,
			KSEF_QR_CERT_SIG_MAX, &err), KSEF_ETOOBIG);
		assert_non_null(strstr(err.message, "KSEF_QR_TEXT_MAX"));
	}
	ksef_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_docs_signed_text_is_built_byte_for_byte),
		cmocka_unit_test(the_docs_link_reads_back_and_reassembles),
		cmocka_unit_test(rsa_signs_pss_with_sha256_mgf1_and_a_32_byte_salt),
		cmocka_unit_test(ec_signs_p1363_r_and_s_of_32_bytes),
		cmocka_unit_test(ec_signs_der_when_asked),
		cmocka_unit_test(an_encrypted_key_needs_its_passphrase),
		cmocka_unit_test(a_der_certificate_is_taken_too),
		cmocka_unit_test(a_tampered_link_does_not_verify),
		cmocka_unit_test(a_signature_of_another_key_with_the_same_serial_fails),
		cmocka_unit_test(keys_the_document_does_not_allow_are_refused),
		cmocka_unit_test(a_key_must_be_its_certificates),
		cmocka_unit_test(malformed_links_are_refused),
		cmocka_unit_test(the_other_context_types_and_a_local_base),
		cmocka_unit_test(the_context_and_serial_limits_hold_at_the_bound),
		cmocka_unit_test(bad_parts_are_refused_when_building),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
