/*
 * trust.c - owns certificate-chain and revocation checks against the
 * --trust-store bundle and the --crl files, with OpenSSL's X509_STORE.
 * What the verdicts mean to a login (status 460 and its detail) is
 * api_auth.c's to say.
 *
 * Revocation is by CRL files only. ksefd is an offline test server: it
 * fetches nothing, neither CRLs from their distribution points nor OCSP
 * answers, so an operator's files are the whole truth. Once any CRL is
 * given, every certificate of a chain, the signer's and each CA's, must be
 * covered by a current CRL of its issuer (X509_V_FLAG_CRL_CHECK_ALL). A CA
 * without one, or whose CRL has expired, leaves the question open, and an
 * open question refuses the login: checking only where a file happens to
 * exist would let a forgotten or stale file switch revocation off for a
 * whole CA without a sign. trust_warn() names those CAs at start instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include "trust.h"

/* Room for a certificate name in a message; longer ones are cut. */
#define NAME_MAX_TEXT 160

struct trust {
	X509_STORE *store;
	size_t crls;   /* CRLs added; 0 leaves revocation unchecked */
};

/* What one trust_check() found, for the verify callback to fill. */
struct check {
	trust_verdict verdict;
	char *why;
	size_t why_size;
};

/*
 * Append in to out as printable ASCII: names come from certificates that
 * anybody may make, and a newline or an escape sequence in one must not
 * forge or garble a line of the log. OpenSSL's RFC 2253 form already
 * escapes control characters and bytes over 0x7f (as \0A, \C5); this is
 * the guarantee whatever its flags do.
 */
static void printable(char *out, size_t size, const char *in)
{
	size_t o = strlen(out);
	const unsigned char *p = (const unsigned char *)in;

	for (; *p != '\0' && o + 1 < size; p++) {
		if (*p >= 0x20 && *p < 0x7f) {
			out[o++] = (char)*p;
		} else if (o + 4 < size) {
			snprintf(out + o, size - o, "\\x%02x", *p);
			o += 4;
		} else {
			break;
		}
	}
	out[o] = '\0';
}

/* A name as RFC 2253 text, made printable. */
static void name_text(char out[NAME_MAX_TEXT], const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	char raw[NAME_MAX_TEXT];
	int n = 0;

	out[0] = '\0';
	if (b != NULL && name != NULL &&
	    X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0)
		n = BIO_read(b, raw, (int)sizeof(raw) - 1);
	raw[n > 0 ? n : 0] = '\0';
	BIO_free(b);
	printable(out, NAME_MAX_TEXT, n > 0 ? raw : "(no name)");
}

/* An ASN.1 time as text, e.g. "Jan  2 03:04:05 2025 GMT". */
static void time_text(char *out, size_t size, const ASN1_TIME *t)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	if (b != NULL && t != NULL && ASN1_TIME_print(b, t) == 1)
		n = BIO_read(b, out, (int)size - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(b);
	if (n <= 0)
		snprintf(out, size, "(no date)");
}

int trust_load(trust **out, const char *pem_file, ksef_error *err)
{
	trust *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (t == NULL || (t->store = X509_STORE_new()) == NULL) {
		free(t);
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	}
	if (X509_STORE_load_file(t->store, pem_file) != 1) {
		ERR_clear_error();
		trust_free(t);
		return ksef_error_set(err, KSEF_EIO, "--trust-store: cannot "
				      "read CA certificates from %s", pem_file);
	}
	*out = t;
	return 0;
}

void trust_free(trust *t)
{
	if (t == NULL)
		return;
	X509_STORE_free(t->store);
	free(t);
}

/*
 * Check one CRL against the store and add it: its issuer must be a
 * certificate of the store whose key verifies it and which may sign CRLs.
 * OpenSSL would find each fault too, but only at a login, as an open
 * question; at start it is a mistake to show the operator.
 */
static int add_crl(trust *t, X509_CRL *crl, const char *file, int nth,
		   ksef_error *err)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(t->store);
	const X509_NAME *issuer = X509_CRL_get_issuer(crl);
	X509 *signer = NULL;
	char name[NAME_MAX_TEXT];
	int i, named = 0;

	name_text(name, issuer);
	if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0)
		return ksef_error_set(err, KSEF_EFORMAT, "--crl: %s: CRL %d "
			"(of \"%s\") is a delta CRL; give the full CRL",
			file, nth, name);
	for (i = 0; i < sk_X509_OBJECT_num(objs) && signer == NULL; i++) {
		X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

		if (ca == NULL ||
		    X509_NAME_cmp(X509_get_subject_name(ca), issuer) != 0)
			continue;
		named = 1;
		if (X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1)
			signer = ca;
	}
	ERR_clear_error();
	if (!named)
		return ksef_error_set(err, KSEF_ENOTFOUND, "--crl: %s: CRL %d "
			"is issued by \"%s\", which is not in the trust store",
			file, nth, name);
	if (signer == NULL)
		return ksef_error_set(err, KSEF_ECRYPTO, "--crl: %s: the "
			"signature of CRL %d does not verify with the key of "
			"\"%s\" in the trust store", file, nth, name);
	if ((X509_get_extension_flags(signer) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(signer) & KU_CRL_SIGN))
		return ksef_error_set(err, KSEF_EFORMAT, "--crl: %s: CRL %d "
			"is signed by \"%s\", whose keyUsage lacks cRLSign",
			file, nth, name);
	if (X509_STORE_add_crl(t->store, crl) != 1) {
		ERR_clear_error();
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	}
	t->crls++;
	return 0;
}

/* Whether the last OpenSSL error is PEM's "no more blocks". */
static int pem_at_end(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_PEM &&
	       ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

int trust_add_crls(trust *t, const char *file, ksef_error *err)
{
	BIO *in;
	X509_CRL *crl;
	int n = 0, error = 0;

	ERR_clear_error();
	if ((in = BIO_new_file(file, "rb")) == NULL) {
		ERR_clear_error();
		return ksef_error_set(err, KSEF_EIO, "--crl: cannot open %s",
				      file);
	}
	/* Any number of PEM CRLs; anything between them is skipped, as
	 * OpenSSL's own tools do. */
	while (error == 0 &&
	       (crl = PEM_read_bio_X509_CRL(in, NULL, NULL, NULL)) != NULL) {
		error = add_crl(t, crl, file, ++n, err);
		X509_CRL_free(crl);
	}
	if (error == 0 && !pem_at_end()) {
		error = ksef_error_set(err, KSEF_EPARSE, "--crl: %s: CRL %d "
				       "cannot be read", file, n + 1);
	} else if (error == 0 && n == 0) {
		/* Not PEM: CAs publish CRLs in DER as often. */
		ERR_clear_error();
		if (BIO_reset(in) != 0 ||
		    (crl = d2i_X509_CRL_bio(in, NULL)) == NULL) {
			error = ksef_error_set(err, KSEF_EPARSE, "--crl: %s "
				"holds no CRL (PEM or DER)", file);
		} else {
			error = add_crl(t, crl, file, 1, err);
			X509_CRL_free(crl);
		}
	}
	ERR_clear_error();
	BIO_free(in);
	if (error == 0)
		X509_STORE_set_flags(t->store, X509_V_FLAG_CRL_CHECK |
				     X509_V_FLAG_CRL_CHECK_ALL);
	return error;
}

void trust_warn(const trust *t, void (*warn)(void *arg, const char *msg),
		void *arg)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(t->store);
	char name[NAME_MAX_TEXT], when[64], msg[NAME_MAX_TEXT + 192];
	int i, j, n = sk_X509_OBJECT_num(objs);

	if (t->crls == 0)
		return;
	for (i = 0; i < n; i++) {
		X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		int covered = 0;

		if (ca == NULL)
			continue;
		for (j = 0; j < n && !covered; j++) {
			X509_CRL *crl = X509_OBJECT_get0_X509_CRL(
				sk_X509_OBJECT_value(objs, j));

			covered = crl != NULL &&
				  X509_NAME_cmp(X509_CRL_get_issuer(crl),
						X509_get_subject_name(ca)) == 0;
		}
		if (covered)
			continue;
		name_text(name, X509_get_subject_name(ca));
		snprintf(msg, sizeof(msg), "--crl: no CRL of \"%s\": every "
			 "login whose chain has it will be refused", name);
		warn(arg, msg);
	}
	for (i = 0; i < n; i++) {
		X509_CRL *crl = X509_OBJECT_get0_X509_CRL(
			sk_X509_OBJECT_value(objs, i));
		const ASN1_TIME *next;

		if (crl == NULL)
			continue;
		name_text(name, X509_CRL_get_issuer(crl));
		next = X509_CRL_get0_nextUpdate(crl);
		if (next != NULL && X509_cmp_current_time(next) < 0) {
			time_text(when, sizeof(when), next);
			snprintf(msg, sizeof(msg), "--crl: the CRL of \"%s\" "
				 "expired on %s: logins under it will be "
				 "refused until a current one is given", name,
				 when);
			warn(arg, msg);
		} else if (X509_cmp_current_time(
				   X509_CRL_get0_lastUpdate(crl)) > 0) {
			time_text(when, sizeof(when),
				  X509_CRL_get0_lastUpdate(crl));
			snprintf(msg, sizeof(msg), "--crl: the CRL of \"%s\" "
				 "is valid only from %s", name, when);
			warn(arg, msg);
		}
	}
}

/* Whether a revoked certificate's CRL entry says certificateHold, which
 * KSeF reports as "Certyfikat zawieszony" rather than "odwołany". */
static int on_hold(X509_STORE_CTX *ctx)
{
	X509_CRL *crl = X509_STORE_CTX_get0_current_crl(ctx);
	X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
	X509_REVOKED *rev = NULL;
	ASN1_ENUMERATED *reason;
	int hold = 0;

	if (crl == NULL || cert == NULL ||
	    X509_CRL_get0_by_cert(crl, &rev, cert) != 1)
		return 0;
	reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
	hold = reason != NULL &&
	       ASN1_ENUMERATED_get(reason) == CRL_REASON_CERTIFICATE_HOLD;
	ASN1_ENUMERATED_free(reason);
	ERR_clear_error();
	return hold;
}

/* OpenSSL's errors that leave revocation undecided rather than say the
 * chain is wrong. */
static int crl_error(int e)
{
	switch (e) {
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
	case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE:
	case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* Word the first failure of a chain for the log. */
static void explain(struct check *c, X509_STORE_CTX *ctx, int e)
{
	X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
	X509_CRL *crl = X509_STORE_CTX_get0_current_crl(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	char subject[NAME_MAX_TEXT], issuer[NAME_MAX_TEXT], when[64];

	name_text(subject, cert ? X509_get_subject_name(cert) : NULL);
	name_text(issuer, crl ? X509_CRL_get_issuer(crl) :
		  cert ? X509_get_issuer_name(cert) : NULL);
	if (c->why == NULL || c->why_size == 0)
		return;
	switch (e) {
	case X509_V_ERR_CERT_REVOKED:
		snprintf(c->why, c->why_size, "\"%s\" (chain depth %d) is "
			 "listed as %s in the CRL of \"%s\"", subject, depth,
			 c->verdict == TRUST_SUSPENDED ? "on hold" : "revoked",
			 issuer);
		break;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
		snprintf(c->why, c->why_size, "no CRL of \"%s\" was given "
			 "(--crl), so \"%s\" (chain depth %d) cannot be "
			 "checked", issuer, subject, depth);
		break;
	case X509_V_ERR_CRL_HAS_EXPIRED:
		time_text(when, sizeof(when),
			  crl ? X509_CRL_get0_nextUpdate(crl) : NULL);
		snprintf(c->why, c->why_size, "the CRL of \"%s\" expired on "
			 "%s, so \"%s\" (chain depth %d) cannot be checked",
			 issuer, when, subject, depth);
		break;
	default:
		snprintf(c->why, c->why_size,
			 "\"%s\" (chain depth %d): %s%s%s%s",
			 subject, depth, X509_verify_cert_error_string(e),
			 crl_error(e) ? " (CRL of \"" : "",
			 crl_error(e) ? issuer : "", crl_error(e) ? "\")" : "");
		break;
	}
}

/*
 * Called by X509_verify_cert() for each certificate and each fault. The
 * dates of certificates are the caller's to judge (the login reports an
 * expired signer as such), so those faults pass; those of CRLs do not.
 * The first other fault decides and stops the check.
 */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct check *c = X509_STORE_CTX_get_app_data(ctx);
	int e = X509_STORE_CTX_get_error(ctx);

	if (ok)
		return 1;
	switch (e) {
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
		return 1;
	}
	if (c != NULL && c->verdict == TRUST_OK) {
		if (e == X509_V_ERR_CERT_REVOKED)
			c->verdict = on_hold(ctx) ? TRUST_SUSPENDED :
						    TRUST_REVOKED;
		else if (crl_error(e))
			c->verdict = TRUST_UNDECIDED;
		else
			c->verdict = TRUST_UNTRUSTED;
		explain(c, ctx, e);
	}
	return 0;
}

trust_verdict trust_check(const trust *t, const unsigned char *der,
			  size_t len, char *why, size_t why_size)
{
	const unsigned char *p = der;
	X509 *cert = NULL;
	X509_STORE_CTX *ctx = NULL;
	struct check c = { TRUST_OK, why, why_size };
	int rc = 0;

	if (why != NULL && why_size > 0)
		why[0] = '\0';
	if (len <= 0x7fffffff)
		cert = d2i_X509(NULL, &p, (long)len);
	ctx = X509_STORE_CTX_new();
	if (cert == NULL || ctx == NULL ||
	    X509_STORE_CTX_init(ctx, t->store, cert, NULL) != 1) {
		c.verdict = TRUST_UNTRUSTED;
		if (why != NULL && why_size > 0)
			snprintf(why, why_size, "%s", cert == NULL ?
				 "the certificate cannot be parsed" :
				 "out of memory");
		goto done;
	}
	X509_STORE_CTX_set_app_data(ctx, &c);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	rc = X509_verify_cert(ctx);
	if (rc != 1 && c.verdict == TRUST_OK) {
		/* A failure the callback never saw (out of memory). */
		c.verdict = TRUST_UNTRUSTED;
		if (why != NULL && why_size > 0)
			snprintf(why, why_size, "%s",
				 X509_verify_cert_error_string(
					 X509_STORE_CTX_get_error(ctx)));
	}
done:
	X509_STORE_CTX_free(ctx);
	X509_free(cert);
	ERR_clear_error();
	return c.verdict;
}
