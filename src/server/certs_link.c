/*
 * certs_link.c - reading a KOD II link and checking its signature
 * (certs_link.h). The path is checked segment by segment before any of it
 * is decoded; OpenSSL's queue is cleared after each check.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "certs_link.h"
#include "ksef/buf.h"
#include "ksef/encoding.h"

static int fail(char *why, size_t size, const char *msg)
{
	if (why != NULL && size > 0)
		snprintf(why, size, "%s", msg);
	return -1;
}

/* Base64URL without padding into out; -1 unless all of it decodes. */
static int b64url(unsigned char *out, size_t max, size_t *len,
		  const char *s, size_t n)
{
	char buf[CERTS_LINK_SIG_MAX + 4];
	ksef_buf b = KSEF_BUF_INIT;
	size_t i;

	if (n == 0 || n > CERTS_LINK_SIG_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9')))
			return -1;
		buf[i] = c;
	}
	while (i % 4 != 0)
		buf[i++] = '=';
	if (ksef_base64_decode(&b, buf, i, max, NULL) != 0)
		return -1;
	memcpy(out, b.ptr, b.size);
	*len = b.size;
	ksef_buf_dispose(&b);
	return 0;
}

int certs_link_parse(certs_link *out, const char *path, char *why,
		     size_t why_size)
{
	const char *seg[6], *p;
	size_t len[6], i, n;
	unsigned char digest[32];

	memset(out, 0, sizeof(*out));
	if (strncmp(path, CERTS_LINK_PREFIX, strlen(CERTS_LINK_PREFIX)) != 0)
		return fail(why, why_size, "not a /certificate/ link");
	p = path + strlen(CERTS_LINK_PREFIX);
	for (i = 0; i < 6; i++) {
		const char *e = strchr(p, '/');

		seg[i] = p;
		len[i] = e ? (size_t)(e - p) : strlen(p);
		if (len[i] == 0 || (i < 5 && e == NULL) || (i == 5 && e))
			return fail(why, why_size, "a link has six parts");
		p += len[i] + (e ? 1 : 0);
	}
	if (len[0] >= sizeof(out->context_type) ||
	    len[1] >= sizeof(out->context_value) || len[2] != 10 ||
	    len[3] != 16 || len[4] != 43)
		return fail(why, why_size, "a part has the wrong length");
	memcpy(out->context_type, seg[0], len[0]);
	if (strcmp(out->context_type, "Nip") != 0 &&
	    strcmp(out->context_type, "InternalId") != 0 &&
	    strcmp(out->context_type, "NipVatUe") != 0 &&
	    strcmp(out->context_type, "PeppolId") != 0)
		return fail(why, why_size, "unknown context type");
	for (i = 0; i < len[1]; i++)
		if (seg[1][i] <= ' ' || seg[1][i] > '~')
			return fail(why, why_size, "context value");
	memcpy(out->context_value, seg[1], len[1]);
	for (i = 0; i < 10; i++)
		if (seg[2][i] < '0' || seg[2][i] > '9')
			return fail(why, why_size, "seller NIP");
	memcpy(out->seller_nip, seg[2], 10);
	for (i = 0; i < 16; i++)
		if (!((seg[3][i] >= '0' && seg[3][i] <= '9') ||
		      (seg[3][i] >= 'A' && seg[3][i] <= 'F')))
			return fail(why, why_size, "certificate serial");
	memcpy(out->serial, seg[3], 16);
	if (b64url(digest, sizeof(digest), &n, seg[4], 43) != 0 || n != 32)
		return fail(why, why_size, "invoice hash");
	memcpy(out->hash, seg[4], 43);
	if (b64url(out->sig, sizeof(out->sig), &out->sig_len, seg[5],
		   len[5]) != 0)
		return fail(why, why_size, "signature");
	n = (size_t)(seg[5] - 1 - path);
	if (n >= sizeof(out->signed_path))
		return fail(why, why_size, "link too long");
	memcpy(out->signed_path, path, n);
	return 0;
}

/* r||s of P-256 as DER; caller frees with OPENSSL_free. */
static unsigned char *p1363_to_der(const unsigned char *sig, int *len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32,
							      NULL);
	unsigned char *der = NULL;

	*len = 0;
	if (s == NULL || r == NULL || ss == NULL ||
	    !ECDSA_SIG_set0(s, r, ss)) {
		BN_free(r);
		BN_free(ss);
		ECDSA_SIG_free(s);
		return NULL;
	}
	*len = i2d_ECDSA_SIG(s, &der);
	ECDSA_SIG_free(s);
	return *len > 0 ? der : NULL;
}

int certs_link_verify(const certs_link *l, const char *host,
		      const unsigned char *cert_der, size_t cert_len)
{
	const unsigned char *p = cert_der;
	char msg[512];
	X509 *x = d2i_X509(NULL, &p, (long)cert_len);
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	const unsigned char *sig = l->sig;
	size_t sig_len = l->sig_len;
	int ok = 0, n, dlen;

	n = snprintf(msg, sizeof(msg), "%s%s", host, l->signed_path);
	if (k == NULL || n < 0 || (size_t)n >= sizeof(msg))
		goto done;
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC && sig_len == 64) {
		if ((der = p1363_to_der(sig, &dlen)) == NULL)
			goto done;
		sig = der;
		sig_len = (size_t)dlen;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, k) != 1)
		goto done;
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1))
		goto done;
	ok = EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)msg,
			      (size_t)n) == 1;
done:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	X509_free(x);
	ERR_clear_error();
	return ok;
}
