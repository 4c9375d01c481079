/*
 * certs_ca.c - ksefd as the CA of KSeF certificates (certyfikaty-KSeF.md):
 * the subject a login's certificate gives, the checks of a certificate
 * request, and issuing. Every OpenSSL failure is turned into a ksef_error
 * or a verdict on the spot and its queue cleared. The store and the
 * answers belong to store_certs.c and api_certificates.c.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "certs_ca.h"
#include "ksef/buf.h"
#include "ksef/encoding.h"

_Static_assert(CERTS_CSR_MAX_BYTES <= INT_MAX, "d2i takes a long");

#define MS_PER_DAY INT64_C(86400000)

/* The attributes of certyfikaty-KSeF.md 2, in the order of its table. */
static const struct {
	int nid;
	const char *name;
} fields[] = {
	{ NID_commonName, "commonName" },
	{ NID_surname, "surname" },
	{ NID_serialNumber, "serialNumber" },
	{ NID_countryName, "countryName" },
	{ NID_organizationName, "organizationName" },
	{ NID_givenName, "givenName" },
	{ NID_x500UniqueIdentifier, "uniqueIdentifier" },
	{ NID_organizationIdentifier, "organizationIdentifier" },
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static int field_of(int nid)
{
	size_t i;

	for (i = 0; i < COUNT_OF(fields); i++)
		if (fields[i].nid == nid)
			return (int)i;
	return -1;
}

int certs_sha256_hex(char out[65], const unsigned char *data, size_t len)
{
	unsigned char md[32];
	unsigned int n = 0;
	size_t i;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 ||
	    n != sizeof(md)) {
		ERR_clear_error();
		out[0] = '\0';
		return KSEF_ECRYPTO;
	}
	for (i = 0; i < sizeof(md); i++)
		snprintf(out + 2 * i, 3, "%02X", md[i]);
	return 0;
}

/* A name's entries of the KSeF fields as a JSON object (repeated
 * givenNames joined); entries of other types, repeats of any other field
 * and values that are not text are counted in *others. */
static json_t *name_json(const X509_NAME *name, int *others)
{
	json_t *o = json_object();
	int i, n = X509_NAME_entry_count(name);

	*others = 0;
	for (i = 0; o != NULL && i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		int f = field_of(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)));
		unsigned char *utf8 = NULL;
		int len;
		json_t *v;

		if (f < 0) {
			(*others)++;
			continue;
		}
		len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
		if (len < 0) {
			ERR_clear_error();
			(*others)++;
			continue;
		}
		/* A NUL is no text: jansson would keep it as \u0000, which
		 * no reader of the stored subject takes back (found by
		 * fuzz/ksefd_certs). */
		if (memchr(utf8, '\0', (size_t)len) != NULL) {
			OPENSSL_free(utf8);
			(*others)++;
			continue;
		}
		v = json_stringn((const char *)utf8, (size_t)len);
		OPENSSL_free(utf8);
		if (v == NULL) {          /* not UTF-8 */
			(*others)++;
			continue;
		}
		if (fields[f].nid == NID_givenName &&
		    json_object_get(o, fields[f].name) != NULL) {
			/* givenName may repeat: the names in their order,
			 * one space apart, as the response's one string
			 * (CertificateEnrollmentDataResponse) carries them
			 * and as a CSR with one entry repeats them. */
			json_t *joined = json_sprintf("%s %s",
				json_string_value(json_object_get(o,
					fields[f].name)),
				json_string_value(v));

			json_decref(v);
			if (joined == NULL) {
				(*others)++;
				continue;
			}
			json_object_set_new(o, fields[f].name, joined);
		} else if (json_object_get(o, fields[f].name) != NULL) {
			/* Only givenName may repeat. */
			json_decref(v);
			(*others)++;
		} else {
			json_object_set_new(o, fields[f].name, v);
		}
	}
	return o;
}

int certs_subject_json(char *out, size_t size, const unsigned char *der,
		       size_t len, ksef_error *err)
{
	const unsigned char *p = der;
	X509 *cert;
	json_t *o;
	char *text;
	int others, error = 0;

	if (der == NULL || len == 0 || len > LONG_MAX ||
	    (cert = d2i_X509(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return ksef_error_set(err, KSEF_EPARSE, "certificate cannot "
				      "be read");
	}
	o = name_json(X509_get_subject_name(cert), &others);
	X509_free(cert);
	text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (text == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	if (strlen(text) >= size)
		error = ksef_error_set(err, KSEF_ETOOBIG, "the certificate's "
				       "subject is over %zu bytes", size - 1);
	else
		memcpy(out, text, strlen(text) + 1);
	free(text);
	return error;
}

/* A verdict with its reason: msg, and arg after it when not NULL. */
static certs_csr_verdict refuse(certs_csr_verdict v, char *why,
				size_t why_size, const char *msg,
				const char *arg)
{
	if (why != NULL && why_size > 0)
		snprintf(why, why_size, "%s%s", msg, arg ? arg : "");
	ERR_clear_error();
	return v;
}

/* RSA of exactly 2048 bits (rsaEncryption) or EC on P-256. */
static int key_allowed(EVP_PKEY *pkey)
{
	char group[64];
	size_t glen = 0;

	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA)
		return EVP_PKEY_get_bits(pkey) == 2048;
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC)
		return EVP_PKEY_get_utf8_string_param(pkey, "group", group,
						      sizeof(group), &glen) &&
		       strcmp(group, "prime256v1") == 0;
	return 0;
}

/* PKCS#1 v1.5 or ECDSA with SHA-1/256/384/512, or RSASSA-PSS (whose
 * digest lives in its parameters, judged by X509_REQ_verify). */
static int algorithm_allowed(const X509_REQ *req, EVP_PKEY *pkey)
{
	int sig = X509_REQ_get_signature_nid(req), md, pk;

	if (sig == NID_rsassaPss)
		return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA;
	if (!OBJ_find_sigid_algs(sig, &md, &pk))
		return 0;
	if (md != NID_sha1 && md != NID_sha256 && md != NID_sha384 &&
	    md != NID_sha512)
		return 0;
	return (pk == NID_rsaEncryption &&
		EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) ||
	       (pk == NID_X9_62_id_ecPublicKey &&
		EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC);
}

certs_csr_verdict certs_csr_check(const unsigned char *der, size_t len,
				  const char *subject_json,
				  char key_hash[STORE_CTX_VALUE_SZ],
				  char *why, size_t why_size)
{
	const unsigned char *p = der;
	certs_csr_verdict v = CERTS_CSR_OK;
	X509_REQ *req = NULL;
	EVP_PKEY *pkey;
	json_t *want = NULL, *got = NULL;
	unsigned char *spki = NULL;
	int others, n;

	key_hash[0] = '\0';
	if (der == NULL || len == 0 || len > CERTS_CSR_MAX_BYTES)
		return refuse(CERTS_CSR_FORMAT, why, why_size, "the CSR is "
			      "empty or over the limit", NULL);
	req = d2i_X509_REQ(NULL, &p, (long)len);
	if (req == NULL || p != der + len) {
		X509_REQ_free(req);
		return refuse(CERTS_CSR_FORMAT, why, why_size, "the CSR is no "
			      "PKCS#10 DER", NULL);
	}
	if ((pkey = X509_REQ_get0_pubkey(req)) == NULL) {
		v = refuse(CERTS_CSR_FORMAT, why, why_size, "the CSR's public "
			   "key cannot be read", NULL);
		goto done;
	}
	if (!key_allowed(pkey)) {
		v = refuse(CERTS_CSR_KEY, why, why_size, "the key is not RSA "
			   "2048 nor EC P-256: ",
			   OBJ_nid2sn(EVP_PKEY_get_base_id(pkey)));
		goto done;
	}
	if (!algorithm_allowed(req, pkey)) {
		v = refuse(CERTS_CSR_ALGORITHM, why, why_size, "signature "
			   "algorithm not allowed: ",
			   OBJ_nid2sn(X509_REQ_get_signature_nid(req)));
		goto done;
	}
	if (X509_REQ_verify(req, pkey) != 1) {
		v = refuse(CERTS_CSR_FORMAT, why, why_size, "the CSR's "
			   "signature does not verify", NULL);
		goto done;
	}
	want = json_loads(subject_json ? subject_json : "", 0, NULL);
	got = name_json(X509_REQ_get_subject_name(req), &others);
	if (want == NULL || got == NULL || others != 0 ||
	    !json_equal(want, got)) {
		v = refuse(CERTS_CSR_SUBJECT, why, why_size, "the CSR's "
			   "subject is not the one of "
			   "/certificates/enrollments/data", NULL);
		goto done;
	}
	n = i2d_PUBKEY(pkey, &spki);
	if (n <= 0 || certs_sha256_hex(key_hash, spki, (size_t)n) != 0)
		v = refuse(CERTS_CSR_FORMAT, why, why_size, "the CSR's public "
			   "key cannot be encoded", NULL);
	OPENSSL_free(spki);
done:
	json_decref(want);
	json_decref(got);
	X509_REQ_free(req);
	return v;
}

static int fail_openssl(ksef_error *err, int code, const char *what)
{
	unsigned long e = ERR_peek_error();
	char reason[128];

	if (e != 0) {
		ERR_error_string_n(e, reason, sizeof(reason));
		ksef_error_set(err, code, "%s: %s", what, reason);
	} else {
		ksef_error_set(err, code, "%s", what);
	}
	ERR_clear_error();
	return code;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return -1;
}

/* The CA's certificate and private key from the server key. */
static int load_ca(X509 **cert, EVP_PKEY **pkey, const server_key *ca,
		   ksef_error *err)
{
	ksef_buf der = KSEF_BUF_INIT;
	const unsigned char *p;
	BIO *bio;
	int error;

	*cert = NULL;
	*pkey = NULL;
	if ((error = ksef_base64_decode(&der, ca->cert_b64,
					strlen(ca->cert_b64),
					KSEF_CERT_MAX_BYTES, err)) < 0)
		return error;
	p = der.ptr;
	*cert = d2i_X509(NULL, &p, (long)der.size);
	ksef_buf_dispose(&der);
	if (*cert == NULL)
		return fail_openssl(err, KSEF_EPARSE, "CA certificate");
	if ((bio = BIO_new_mem_buf(ca->key_pem, (int)ca->key_pem_len)) ==
	    NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	*pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (*pkey == NULL)
		return fail_openssl(err, KSEF_EPARSE, "CA private key");
	return 0;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value,
		   ksef_error *err)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return fail_openssl(err, KSEF_ECRYPTO, "certificate extension");
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : fail_openssl(err, KSEF_ECRYPTO,
				     "certificate extension");
}

/* 64 random bits with the top one clear and the next set: a positive
 * INTEGER of exactly 8 octets, so 16 hex digits (CertificateListItem's
 * pattern ^[0-9A-F]{16}$). */
static int serial(X509 *cert, char out[STORE_SERIAL_SZ], ksef_error *err)
{
	BIGNUM *bn = BN_new();
	char *hex = NULL;
	int ok;

	ok = bn != NULL && BN_rand(bn, 63, BN_RAND_TOP_ONE,
				   BN_RAND_BOTTOM_ANY) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL &&
	     (hex = BN_bn2hex(bn)) != NULL && strlen(hex) == 16;
	if (ok)
		memcpy(out, hex, 17);
	OPENSSL_free(hex);
	BN_free(bn);
	return ok ? 0 : fail_openssl(err, KSEF_ECRYPTO, "serial number");
}

int certs_issue(store_cert *c, const server_key *ca,
		const unsigned char *csr, size_t csr_len, int type,
		int64_t from_ms, ksef_error *err)
{
	const unsigned char *p = csr;
	X509 *ca_cert = NULL, *cert = NULL;
	EVP_PKEY *ca_key = NULL;
	X509_REQ *req = NULL;
	unsigned char *der = NULL;
	int64_t from_s = from_ms / 1000, to_s;
	int error, n, idx;

	if (c == NULL || ca == NULL || csr == NULL || csr_len == 0 ||
	    csr_len > CERTS_CSR_MAX_BYTES || from_ms < 0 ||
	    from_ms > CERTS_VALID_FROM_MAX_MS ||
	    (type != STORE_CERT_AUTHENTICATION && type != STORE_CERT_OFFLINE))
		return ksef_error_set(err, KSEF_EINVAL, "certs: bad argument");
	to_s = from_s + (int64_t)CERTS_VALIDITY_DAYS * 86400;
	if ((req = d2i_X509_REQ(NULL, &p, (long)csr_len)) == NULL)
		return fail_openssl(err, KSEF_EPARSE, "certificate request");
	if ((error = load_ca(&ca_cert, &ca_key, ca, err)) < 0)
		goto done;
	if ((cert = X509_new()) == NULL) {
		error = ksef_error_set(err, KSEF_ENOMEM, "out of memory");
		goto done;
	}
	if (!X509_set_version(cert, X509_VERSION_3) ||
	    (error = serial(cert, c->serial, err)) < 0 ||
	    ASN1_TIME_set(X509_getm_notBefore(cert), (time_t)from_s) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(cert), (time_t)to_s) == NULL ||
	    !X509_set_subject_name(cert, X509_REQ_get_subject_name(req)) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(ca_cert)) ||
	    !X509_set_pubkey(cert, X509_REQ_get0_pubkey(req))) {
		error = error < 0 ? error :
			fail_openssl(err, KSEF_ECRYPTO, "certificate fields");
		goto done;
	}
	/* One type a certificate, with its keyUsage (certyfikaty-KSeF.md:
	 * Digital Signature for Authentication, Non-Repudiation for
	 * Offline). */
	if ((error = add_ext(cert, ca_cert, NID_basic_constraints,
			     "critical,CA:FALSE", err)) < 0 ||
	    (error = add_ext(cert, ca_cert, NID_key_usage,
			     type == STORE_CERT_AUTHENTICATION ?
			     "critical,digitalSignature" :
			     "critical,nonRepudiation", err)) < 0 ||
	    (error = add_ext(cert, ca_cert, NID_subject_key_identifier,
			     "hash", err)) < 0 ||
	    (error = add_ext(cert, ca_cert, NID_authority_key_identifier,
			     "keyid:always", err)) < 0)
		goto done;
	if (X509_sign(cert, ca_key, EVP_sha256()) <= 0) {
		error = fail_openssl(err, KSEF_ECRYPTO, "certificate signing");
		goto done;
	}
	n = i2d_X509(cert, &der);
	if (n <= 0 || (size_t)n > sizeof(c->der)) {
		error = fail_openssl(err, KSEF_ECRYPTO, "certificate encoding");
		goto done;
	}
	memcpy(c->der, der, (size_t)n);
	c->der_len = (size_t)n;
	error = certs_sha256_hex(c->fingerprint, der, (size_t)n);
	OPENSSL_free(der);
	if (error < 0) {
		der = NULL;
		ksef_error_set(err, error, "certificate fingerprint");
		goto done;
	}
	der = NULL;
	n = i2d_PUBKEY(X509_REQ_get0_pubkey(req), &der);
	if (n <= 0 || certs_sha256_hex(c->key_hash, der, (size_t)n) != 0) {
		error = fail_openssl(err, KSEF_ECRYPTO, "public key encoding");
		goto done;
	}
	c->common_name[0] = '\0';
	idx = X509_NAME_get_index_by_NID(X509_get_subject_name(cert),
					 NID_commonName, -1);
	if (idx >= 0) {
		unsigned char *cn = NULL;
		int len = ASN1_STRING_to_UTF8(&cn, X509_NAME_ENTRY_get_data(
			X509_NAME_get_entry(X509_get_subject_name(cert), idx)));

		if (len > 0 && (size_t)len < sizeof(c->common_name)) {
			memcpy(c->common_name, cn, (size_t)len);
			c->common_name[len] = '\0';
		}
		OPENSSL_free(cn);
		ERR_clear_error();
	}
	c->valid_from_ms = from_s * 1000;
	c->valid_to_ms = to_s * 1000;
	c->type = type;
	error = 0;
done:
	OPENSSL_free(der);
	X509_free(cert);
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	X509_REQ_free(req);
	return error;
}
