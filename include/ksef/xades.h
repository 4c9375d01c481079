/*
 * xades.h - XAdES authentication documents (SPEC 4.4, uwierzytelnianie.md,
 * auth/podpis-xades.md): a client builds an AuthTokenRequest and signs it
 * enveloped in XAdES-BES with a ksef_xades_signer; a test client makes the
 * self-signed certificates the official clients make for TEST
 * (auth/testowe-certyfikaty-i-podpisy-xades.md); a server verifies a
 * posted document and reads who signed it for what.
 *
 * Ownership: ksef_xades_signer and ksef_xades_verified are opaque, made by
 * a _new (or the verifier) and destroyed by their _free; _free(NULL) does
 * nothing. Strings returned by accessors are borrowed from the object and
 * live until it is freed. Documents, keys and certificates computed for
 * the caller come back in a ksef_buf.
 *
 * Threads: an object may be used from one thread at a time; different
 * objects are independent, and a const signer may be shared once made.
 * Call ksef_global_init() before the first use from several threads.
 */
#ifndef KSEF_XADES_H
#define KSEF_XADES_H

#include <stdint.h>
#include "common.h"
#include "buf.h"
#include "error.h"
#include "client.h"
#include "number.h"

KSEF_BEGIN_DECLS

/*
 * Why a document was refused. These codes extend error.h's list for this
 * module: they are numbered from -101 down, apart from error.h's own
 * sequence, so that codes added there cannot collide with them; like all
 * codes they are ABI and never renumbered. ksef_strerror() describes each
 * one. ksef_xades_exception_code() maps each one, and error.h's generic
 * codes, to the KSeF exception code a server answers with.
 */
#define KSEF_EXADES_NOSIG -101       /**< no ds:Signature (9102) */
#define KSEF_EXADES_MANYSIG -102     /**< more than one ds:Signature (9103) */
#define KSEF_EXADES_NOT_ENVELOPED -103 /**< detached, or misplaced (9105) */
#define KSEF_EXADES_STRUCTURE -104   /**< signature parts missing or at odds (9105) */
#define KSEF_EXADES_ALGORITHM -105   /**< an algorithm not accepted (9105) */
#define KSEF_EXADES_DIGEST -106      /**< a Reference digest differs (9105) */
#define KSEF_EXADES_SIGVALUE -107    /**< SignatureValue is wrong (9105) */
#define KSEF_EXADES_CERT -108        /**< certificate absent/unusable (21115) */
#define KSEF_EXADES_CERT_EXPIRED -109 /**< certificate expired (21115) */
#define KSEF_EXADES_CERT_NOT_YET -110 /**< certificate not yet valid (21115) */
#define KSEF_EXADES_ENCODING -111    /**< not UTF-8 (21217) */
#define KSEF_EXADES_CONTENT -112     /**< breaks the auth schema (21401) */

/*
 * Limits on a document to verify. The request itself is a few hundred
 * bytes and its signature a few kilobytes (more with a certificate
 * chain), so 1 MB refuses nothing real; the counts bound the work an
 * attacker can ask for (each Reference is a canonicalisation and a
 * digest of the whole document).
 */
/** Largest AuthTokenRequest accepted by default, in bytes. */
#define KSEF_XADES_AUTH_MAX_BYTES 1000000
/** Most ds:Reference elements one SignedInfo may hold. */
#define KSEF_XADES_MAX_REFERENCES 8
/** Most ds:Transform elements one Reference may hold. */
#define KSEF_XADES_MAX_TRANSFORMS 6
/** Most certificates KeyInfo may carry (the signer's and its chain). */
#define KSEF_XADES_MAX_CERTS 10
/** Most addresses in each list of AllowedIps (auth XSD maxOccurs). */
#define KSEF_XADES_MAX_IPS 10

/** Characters of a SHA-256 fingerprint in hex, without the NUL. */
#define KSEF_XADES_FINGERPRINT_LEN 64

/*
 * Requests (client side)
 */

/** How KSeF identifies the signer (SubjectIdentifierType). */
typedef enum ksef_xades_subject_type {
	/** "certificateSubject": NIP or PESEL from the certificate. */
	KSEF_XADES_SUBJECT_CERTIFICATE = 0,
	/** "certificateFingerprint": the certificate's SHA-256. */
	KSEF_XADES_SUBJECT_FINGERPRINT = 1
} ksef_xades_subject_type;

/** The AuthTokenRequest namespace versions KSeF accepts (SPEC 4.4). */
typedef enum ksef_xades_auth_ns {
	KSEF_XADES_AUTH_NS_2_0 = 0, /**< http://ksef.mf.gov.pl/auth/token/2.0 */
	KSEF_XADES_AUTH_NS_2_1 = 1  /**< http://ksef.mf.gov.pl/auth/token/2.1 */
} ksef_xades_auth_ns;

/**
 * The version of ksef_xades_auth_request this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_XADES_AUTH_REQUEST_VERSION 1

/**
 * What an AuthTokenRequest says (SPEC 4.4). Transparent: the caller owns
 * it and the strings it points to.
 */
typedef struct ksef_xades_auth_request {
	int version;                /**< KSEF_XADES_AUTH_REQUEST_VERSION */
	/** The challenge from POST /auth/challenge (36 characters). */
	const char *challenge;
	/** The kind of context to authenticate to. */
	ksef_context_type context_type;
	/** Its identifier: a NIP, "NIP-nnnnn", "NIP-<EU VAT>" or "PXXnnnnnn". */
	const char *context_value;
	/** How KSeF is to identify the signer. */
	ksef_xades_subject_type subject_type;
	/** AuthorizationPolicy/AllowedIps, or NULL (or all lists empty) for
	 *  none. */
	const ksef_client_ip_policy *ip_policy;
	/** Which namespace to write; 2.0 by default, as the examples use. */
	ksef_xades_auth_ns ns_version;
	/** The xades:SigningTime to write, in milliseconds since the epoch
	 *  (written to the second); KSEF_TIME_UNSET means now. */
	int64_t signing_time_ms;
} ksef_xades_auth_request;

/** A request with only the defaults set; fill challenge and context. */
#define KSEF_XADES_AUTH_REQUEST_INIT                                      \
	{ KSEF_XADES_AUTH_REQUEST_VERSION, NULL, KSEF_CONTEXT_NIP, NULL,  \
	  KSEF_XADES_SUBJECT_CERTIFICATE, NULL, KSEF_XADES_AUTH_NS_2_0,   \
	  KSEF_TIME_UNSET }

/** A private key with its certificate, ready to sign. */
typedef struct ksef_xades_signer ksef_xades_signer;

/**
 * Make a signer from a PEM private key (PKCS#8 or traditional, optionally
 * encrypted) and its PEM certificate. The key must be RSA of at least 2048
 * bits or EC on a curve of at least 256 bits (podpis-xades.md), and must
 * belong to the certificate.
 *
 * @param[out] out    receives the signer; free it with
 *                    ksef_xades_signer_free(). NULL on failure.
 * @param key_pem     the key; it need not end in a NUL. Copied; the caller
 *                    may wipe its own copy.
 * @param key_len     its length, at most KSEF_CERT_MAX_BYTES.
 * @param cert_pem    the certificate; it need not end in a NUL.
 * @param cert_len    its length, at most KSEF_CERT_MAX_BYTES.
 * @param passphrase  the key's passphrase, or NULL for an unencrypted key.
 * @param err         receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_EPARSE if the key or the
 *         certificate cannot be read (or the passphrase is wrong),
 *         KSEF_EXADES_CERT if the key is too weak, of another kind or not
 *         the certificate's, or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_xades_signer_new(ksef_xades_signer **out,
	const unsigned char *key_pem, size_t key_len,
	const unsigned char *cert_pem, size_t cert_len, const char *passphrase,
	ksef_error *err);

/**
 * Make a signer from a PKCS#12 file (.p12/.pfx, as the official clients
 * save their test certificates), holding one key and its certificate.
 *
 * @param[out] out      receives the signer; NULL on failure.
 * @param p12           the file's bytes.
 * @param len           their length, at most KSEF_CERT_MAX_BYTES.
 * @param password      its password; NULL or "" for none.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_EPARSE if the file cannot be
 *         read or the password is wrong, KSEF_EXADES_CERT as for
 *         ksef_xades_signer_new(), or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_xades_signer_from_pkcs12(
	ksef_xades_signer **out, const unsigned char *p12, size_t len,
	const char *password, ksef_error *err);

/**
 * Destroy a signer; OpenSSL wipes the private key as it frees it.
 *
 * @param signer the signer; NULL does nothing.
 */
KSEF_API void ksef_xades_signer_free(ksef_xades_signer *signer);

/**
 * The SHA-256 fingerprint of the signer's certificate, the value on which
 * permissions are granted for certificateFingerprint.
 *
 * @param signer the signer.
 * @return KSEF_XADES_FINGERPRINT_LEN upper-case hex digits borrowed from
 *         the signer, or NULL if signer is NULL.
 */
KSEF_API const char *ksef_xades_signer_fingerprint(
	const ksef_xades_signer *signer);

/**
 * Write an unsigned AuthTokenRequest, for signing elsewhere (a qualified
 * signature card, Profil Zaufany). Every field is checked as the auth XSD
 * would (SPEC 4.4) before anything is written.
 *
 * @param[out] out  receives the UTF-8 document, replacing what it held;
 *                  release it with ksef_buf_dispose(). Unchanged on
 *                  failure.
 * @param req       what to say; see ksef_xades_auth_request.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a NULL or unknown field, KSEF_EFORMAT for a
 *         value that breaks its pattern (the message names the field), or
 *         KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_xades_build_auth_request(ksef_buf *out,
	const ksef_xades_auth_request *req, ksef_error *err);

/**
 * Write an AuthTokenRequest and sign it enveloped in XAdES-BES: the
 * ds:Signature is the last child of the root, exclusive canonicalisation,
 * RSA-SHA256 (ECDSA-SHA256 for an EC key), one Reference URI="" with the
 * enveloped-signature transform, one to the xades:SignedProperties
 * (SigningTime, SigningCertificate with the certificate's SHA-256), and
 * KeyInfo with the certificate. This is the shape the official C# client
 * sends, so KSeF accepts it.
 *
 * @param[out] out  receives the signed document, replacing what it held;
 *                  release it with ksef_buf_dispose(). Unchanged on
 *                  failure.
 * @param req       what to say; see ksef_xades_build_auth_request().
 * @param signer    the key and certificate to sign with.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_EFORMAT as for
 *         ksef_xades_build_auth_request(), KSEF_ECRYPTO if signing fails,
 *         or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_xades_sign_auth_request(ksef_buf *out,
	const ksef_xades_auth_request *req, const ksef_xades_signer *signer,
	ksef_error *err);

/*
 * Test certificates
 */

/** Whom a test certificate stands for. */
typedef enum ksef_xades_cert_kind {
	/** A person's qualified signature: serialNumber "TINPL-<NIP>" or
	 *  "PNOPL-<PESEL>", givenName, surname, CN, C. */
	KSEF_XADES_CERT_PERSON = 0,
	/** A company seal: organizationIdentifier "VATPL-<NIP>"
	 *  (2.5.4.97), O, CN, C; never givenName or surname. */
	KSEF_XADES_CERT_SEAL = 1
} ksef_xades_cert_kind;

/** The key a test certificate gets. */
typedef enum ksef_xades_key_type {
	KSEF_XADES_KEY_RSA_2048 = 0, /**< RSA, 2048 bits (the C# default) */
	KSEF_XADES_KEY_EC_P256 = 1   /**< ECDSA on P-256 */
} ksef_xades_key_type;

/**
 * The version of ksef_xades_cert_options this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_XADES_CERT_OPTIONS_VERSION 1

/** What to put in a test certificate. Strings are UTF-8. */
typedef struct ksef_xades_cert_options {
	int version;                   /**< KSEF_XADES_CERT_OPTIONS_VERSION */
	ksef_xades_cert_kind kind;     /**< person or seal */
	ksef_xades_key_type key_type;  /**< RSA-2048 by default */
	/** Person: givenName, surname and serialNumber (e.g.
	 *  "TINPL-5265877635"), all required. */
	const char *given_name;
	const char *surname;           /**< see given_name */
	const char *serial_number;     /**< see given_name */
	/** Seal: organizationName and organizationIdentifier (e.g.
	 *  "VATPL-5265877635"), both required. */
	const char *organization_name;
	const char *organization_identifier; /**< see organization_name */
	/** CN; required for both kinds. */
	const char *common_name;
	/** countryName; NULL means "PL". */
	const char *country;
	/** Start of validity, in milliseconds since the epoch (kept to the
	 *  second, rounded down); KSEF_TIME_UNSET means an hour ago (so that
	 *  clocks a little behind still accept it). */
	int64_t not_before_ms;
	/** End of validity, likewise; KSEF_TIME_UNSET means a year after
	 *  the start. */
	int64_t not_after_ms;
} ksef_xades_cert_options;

/** Options with only the defaults set. */
#define KSEF_XADES_CERT_OPTIONS_INIT                                      \
	{ KSEF_XADES_CERT_OPTIONS_VERSION, KSEF_XADES_CERT_PERSON,        \
	  KSEF_XADES_KEY_RSA_2048, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
	  KSEF_TIME_UNSET, KSEF_TIME_UNSET }

/**
 * Make a self-signed certificate and its key as the official clients do
 * for the TEST environment, which alone accepts them (SPEC 4.4). It has a
 * random 128-bit serial, keyUsage digitalSignature and nonRepudiation,
 * and is signed with SHA-256.
 *
 * @param[out] key_pem   receives the private key as unencrypted PKCS#8
 *                       PEM, replacing what it held. It is a SECRET:
 *                       release it with ksef_buf_dispose_secure().
 * @param[out] cert_pem  receives the certificate as PEM.
 *                       Both are unchanged on failure.
 * @param opts           what to put in it; see ksef_xades_cert_options.
 * @param err            receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL for a missing field or not_after_ms not after
 *         not_before_ms, KSEF_ECRYPTO if OpenSSL refuses, or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_xades_cert_generate(ksef_buf *key_pem,
	ksef_buf *cert_pem, const ksef_xades_cert_options *opts,
	ksef_error *err);

/*
 * Verification (server side)
 */

/**
 * The version of ksef_xades_verify_options this header describes. The
 * library takes a struct of any version from 1 to its own, reading only
 * the fields that version has and leaving later ones at their defaults.
 */
#define KSEF_XADES_VERIFY_OPTIONS_VERSION 1

/** How to verify. */
typedef struct ksef_xades_verify_options {
	int version;          /**< KSEF_XADES_VERIFY_OPTIONS_VERSION */
	/** The instant to check the certificate's validity at, in
	 *  milliseconds since the epoch; KSEF_TIME_UNSET means now. */
	int64_t now_ms;
	/** Non-zero: accept an expired or not yet valid certificate (its
	 *  dates are still reported). */
	int ignore_validity;
	/** Largest document accepted; 0 means KSEF_XADES_AUTH_MAX_BYTES. */
	size_t max_bytes;
	/** Non-zero: accept a plain XMLDSig signature without XAdES
	 *  SignedProperties. KSeF requires a XAdES profile. */
	int allow_plain_xmldsig;
} ksef_xades_verify_options;

/** Options with only the defaults set. */
#define KSEF_XADES_VERIFY_OPTIONS_INIT \
	{ KSEF_XADES_VERIFY_OPTIONS_VERSION, KSEF_TIME_UNSET, 0, 0, 0 }

/** A verified AuthTokenRequest: what it asks and who signed it. */
typedef struct ksef_xades_verified ksef_xades_verified;

/**
 * Verify a posted AuthTokenRequest and read it. The document is parsed
 * with the library's safe parser (no DTD, bounded size), must have
 * AuthTokenRequest in the 2.0 or 2.1 namespace as its root, its fields
 * must match the auth XSD's patterns (checked by hand: SPEC 13 #26), and
 * it must carry exactly one ds:Signature, as a child of the root, whose
 * references stay inside the document and cover all of it, whose
 * algorithms podpis-xades.md allows, and which verifies with the
 * certificate in its KeyInfo. That certificate must be the one the XAdES
 * SigningCertificate names, with an RSA key of 2048 bits or more or an
 * EC key of 256 bits or more, and (unless told otherwise) valid now. Its
 * chain of trust is not checked: a server that needs it (production, or
 * verifyCertificateChain) checks ksef_xades_verified_cert_der() itself.
 * The challenge is only read, not judged: whether it is one the server
 * issued is the server's question (21111).
 *
 * Every failure names what failed, with the line when there is one.
 *
 * @param[out] out  receives the result; free it with
 *                  ksef_xades_verified_free(). NULL on failure.
 * @param xml       the document as posted; it need not end in a NUL.
 * @param len       its length in bytes.
 * @param opts      how to verify, or NULL for the defaults.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, or:
 *         KSEF_EINVAL for a NULL argument or an options version outside
 *         1 to KSEF_XADES_VERIFY_OPTIONS_VERSION;
 *         KSEF_ETOOBIG over the size limit;
 *         KSEF_EXADES_ENCODING if it is not UTF-8;
 *         KSEF_EPARSE if it is not well-formed or has a DOCTYPE;
 *         KSEF_EFORMAT if the root is not AuthTokenRequest in a known
 *         namespace;
 *         KSEF_EXADES_CONTENT if a field breaks the auth schema;
 *         KSEF_EXADES_NOSIG or KSEF_EXADES_MANYSIG for no or several
 *         signatures;
 *         KSEF_EXADES_NOT_ENVELOPED, KSEF_EXADES_STRUCTURE,
 *         KSEF_EXADES_ALGORITHM, KSEF_EXADES_DIGEST or
 *         KSEF_EXADES_SIGVALUE when the signature is wrong;
 *         KSEF_EXADES_CERT, KSEF_EXADES_CERT_EXPIRED or
 *         KSEF_EXADES_CERT_NOT_YET when the certificate is;
 *         KSEF_ENOMEM, or KSEF_ECRYPTO if the XML security library fails.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_xades_verify_auth_request(
	ksef_xades_verified **out, const unsigned char *xml, size_t len,
	const ksef_xades_verify_options *opts, ksef_error *err);

/**
 * Destroy a verification result.
 *
 * @param v the result; NULL does nothing.
 */
KSEF_API void ksef_xades_verified_free(ksef_xades_verified *v);

/**
 * The KSeF exception code a server answers a failed verification with
 * (SPEC 2.7): 9101 invalid document, 9102 no signature, 9103 too many
 * signatures, 9105 invalid signature, 21001 unreadable content, 21115
 * invalid certificate, 21217 bad character encoding, 21401 schema
 * violation, 21405 input validation (the size limit).
 *
 * @param error a code ksef_xades_verify_auth_request() returned.
 * @return the exception code, or 0 for success and for failures that are
 *         the server's own (KSEF_ENOMEM, KSEF_ECRYPTO, KSEF_EINVAL), which
 *         deserve a 500 rather than a 400.
 */
KSEF_API int ksef_xades_exception_code(int error);

/**
 * Which namespace the document used.
 *
 * @param v the result.
 * @return KSEF_XADES_AUTH_NS_2_0 or KSEF_XADES_AUTH_NS_2_1.
 */
KSEF_API ksef_xades_auth_ns ksef_xades_verified_ns_version(
	const ksef_xades_verified *v);

/**
 * The Challenge, whitespace-collapsed as xsd:token is.
 *
 * @param v the result.
 * @return 36 characters borrowed from v, or NULL if v is NULL.
 */
KSEF_API const char *ksef_xades_verified_challenge(
	const ksef_xades_verified *v);

/**
 * The kind of ContextIdentifier.
 *
 * @param v the result.
 * @return the type.
 */
KSEF_API ksef_context_type ksef_xades_verified_context_type(
	const ksef_xades_verified *v);

/**
 * The ContextIdentifier's value, as written (it matched its pattern).
 *
 * @param v the result.
 * @return a string borrowed from v, or NULL if v is NULL.
 */
KSEF_API const char *ksef_xades_verified_context_value(
	const ksef_xades_verified *v);

/**
 * The SubjectIdentifierType.
 *
 * @param v the result.
 * @return the type.
 */
KSEF_API ksef_xades_subject_type ksef_xades_verified_subject_type(
	const ksef_xades_verified *v);

/**
 * AuthorizationPolicy/AllowedIps, when the document has one.
 *
 * @param v the result.
 * @return a policy borrowed from v (its lists may be empty), or NULL when
 *         the document has no AuthorizationPolicy.
 */
KSEF_API const ksef_client_ip_policy *ksef_xades_verified_ip_policy(
	const ksef_xades_verified *v);

/**
 * The NIP the signing certificate names: from organizationIdentifier
 * "VATPL...<10 digits>" on a seal (no givenName or surname), or from
 * serialNumber "TINPL...<10 digits>" or "NIP...<10 digits>"
 * (podpis-xades.md's patterns).
 *
 * @param v the result.
 * @return 10 digits borrowed from v, or NULL when there is none.
 */
KSEF_API const char *ksef_xades_verified_cert_nip(
	const ksef_xades_verified *v);

/**
 * The PESEL the signing certificate names, from serialNumber
 * "PNOPL...<11 digits>" or "PESEL...<11 digits>".
 *
 * @param v the result.
 * @return 11 digits borrowed from v, or NULL when there is none.
 */
KSEF_API const char *ksef_xades_verified_cert_pesel(
	const ksef_xades_verified *v);

/**
 * Whether the signing certificate is a seal's: it has an
 * organizationIdentifier and no givenName or surname.
 *
 * @param v the result.
 * @return 1 or 0.
 */
KSEF_API int ksef_xades_verified_cert_is_seal(const ksef_xades_verified *v);

/**
 * The SHA-256 fingerprint of the signing certificate (SPEC 13 #16: 64 hex
 * digits, not the 40 of the example).
 *
 * @param v the result.
 * @return KSEF_XADES_FINGERPRINT_LEN upper-case hex digits borrowed from
 *         v, or NULL if v is NULL.
 */
KSEF_API const char *ksef_xades_verified_cert_fingerprint(
	const ksef_xades_verified *v);

/**
 * The signing certificate's subject, one line in RFC 2253 form, for logs
 * and messages.
 *
 * @param v the result.
 * @return a string borrowed from v, or NULL if v is NULL.
 */
KSEF_API const char *ksef_xades_verified_cert_subject(
	const ksef_xades_verified *v);

/**
 * Start of the signing certificate's validity.
 *
 * @param v the result.
 * @return milliseconds since the epoch (a whole number of seconds), or 0
 *         if v is NULL.
 */
KSEF_API int64_t ksef_xades_verified_cert_not_before(
	const ksef_xades_verified *v);

/**
 * End of the signing certificate's validity.
 *
 * @param v the result.
 * @return milliseconds since the epoch (a whole number of seconds), or 0
 *         if v is NULL.
 */
KSEF_API int64_t ksef_xades_verified_cert_not_after(
	const ksef_xades_verified *v);

/**
 * Whether the signing certificate is self-signed (acceptable on TEST
 * only, uwierzytelnianie.md).
 *
 * @param v the result.
 * @return 1 if its issuer is its subject and its own key verifies its
 *         signature, else 0.
 */
KSEF_API int ksef_xades_verified_cert_self_signed(
	const ksef_xades_verified *v);

/**
 * The signing certificate in DER, for chain and revocation checks.
 *
 * @param v        the result.
 * @param[out] len receives its length; may be NULL.
 * @return bytes borrowed from v, or NULL if v is NULL.
 */
KSEF_API const unsigned char *ksef_xades_verified_cert_der(
	const ksef_xades_verified *v, size_t *len);

/**
 * The xades:SigningTime as written, or NULL for a plain XMLDSig signature
 * accepted with allow_plain_xmldsig. Informative only: nothing vouches
 * for it but the signer.
 *
 * @param v the result.
 * @return a string borrowed from v, or NULL.
 */
KSEF_API const char *ksef_xades_verified_signing_time(
	const ksef_xades_verified *v);

KSEF_END_DECLS

#endif
