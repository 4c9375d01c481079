/*
 * qr_cert.h - KOD II, the certificate code of an invoice issued offline
 * (ksef-docs kody-qr.md section 2): the link that names the context, the
 * seller's NIP, the serial number of the issuer's KSeF Offline
 * certificate and the SHA-256 of the invoice file, signed with that
 * certificate's private key; and its verification, for whoever serves
 * the links. The code is drawn by ksef_qr_render() (qr.h) with the label
 * KSEF_QR_LABEL_CERT.
 *
 * Nothing here talks to a server or keeps state. A signer may be used
 * from one thread at a time; everything else is safe from any thread.
 */
#ifndef KSEF_QR_CERT_H
#define KSEF_QR_CERT_H

#include "common.h"
#include "buf.h"
#include "error.h"
#include "encoding.h"
#include "number.h"
#include "client.h"
#include "qr.h"

KSEF_BEGIN_DECLS

/** The longest context identifier value a link carries, in bytes. */
#define KSEF_QR_CONTEXT_MAX 64
/** Bytes a context identifier value needs, with its NUL. */
#define KSEF_QR_CONTEXT_BUFSZ (KSEF_QR_CONTEXT_MAX + 1)
/** The most hex digits of a serial number: RFC 5280 4.1.2.2 allows 20
 *  octets. */
#define KSEF_QR_CERT_SERIAL_MAX 40
/** Bytes a serial number needs, with its NUL. */
#define KSEF_QR_CERT_SERIAL_BUFSZ (KSEF_QR_CERT_SERIAL_MAX + 1)
/** The longest signature a link carries, in bytes: RSA of 4096 bits,
 *  which keeps the whole link within KSEF_QR_TEXT_MAX. */
#define KSEF_QR_CERT_SIG_MAX 512
/** The longest RSA key accepted, in bits (see KSEF_QR_CERT_SIG_MAX). */
#define KSEF_QR_CERT_RSA_MAX_BITS 4096
/** The shortest RSA key accepted, in bits (kody-qr.md 2: "Minimum 2048
 *  bity"). */
#define KSEF_QR_CERT_RSA_MIN_BITS 2048

/** ksef_qr_cert_link() flag: an ECDSA signature as ASN.1 DER (RFC 3279)
 *  instead of the recommended IEEE P1363 r || s. No effect with RSA. */
#define KSEF_QR_CERT_ECDSA_DER 0x1u

/**
 * What a KOD II link names.
 *
 * Frozen: the caller owns it and the library writes it whole, so it never
 * grows (docs/abi.md); more would come in a new type.
 */
typedef struct ksef_qr_cert_ref {
	/** The type of the context the issuer works in (kody-qr.md 2:
	 *  "Nip", "InternalId", "NipVatUe", "PeppolId"). */
	ksef_context_type context_type;
	/** Its value, NUL-terminated: 1 to KSEF_QR_CONTEXT_MAX of A-Z, a-z,
	 *  0-9 and '-', a NIP for KSEF_CONTEXT_NIP. */
	char context_value[KSEF_QR_CONTEXT_BUFSZ];
	char seller_nip[KSEF_NIP_BUFSZ]; /**< Podmiot1's NIP, 10 digits */
	/** The serial number of the issuer's KSeF Offline certificate in
	 *  upper-case hex, as KSeF lists it (e.g. "01F20A5D352AE590"); ""
	 *  for ksef_qr_cert_link() to take the signer's. */
	char cert_serial[KSEF_QR_CERT_SERIAL_BUFSZ];
	unsigned char sha256[KSEF_SHA256_LEN]; /**< of the invoice file */
} ksef_qr_cert_ref;

/** A KSeF Offline certificate's private key and serial number. */
typedef struct ksef_qr_signer ksef_qr_signer;

/**
 * Make a signer from a PEM private key (PKCS#8 or traditional, optionally
 * encrypted) and its certificate (PEM, or DER as KSeF hands it out).
 * kody-qr.md 2 accepts RSA keys of at least 2048 bits (here at most
 * KSEF_QR_CERT_RSA_MAX_BITS) and EC keys on NIST P-256.
 *
 * @param[out] out     receives the signer; free it with
 *                     ksef_qr_signer_free(). NULL on failure.
 * @param key_pem      the key; it need not end in a NUL. Not kept.
 * @param key_len      its length, 1 to KSEF_CERT_MAX_BYTES.
 * @param cert         the certificate; it need not end in a NUL.
 * @param cert_len     its length, 1 to KSEF_CERT_MAX_BYTES.
 * @param passphrase   the key's passphrase, or NULL for an unencrypted key.
 * @param err          receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_EPARSE (key or certificate
 *         unreadable, or a wrong passphrase), KSEF_EFORMAT (a key of
 *         another kind or size, not the certificate's, or a negative
 *         serial number) or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_qr_signer_new(ksef_qr_signer **out,
	const unsigned char *key_pem, size_t key_len,
	const unsigned char *cert, size_t cert_len, const char *passphrase,
	ksef_error *err);

/**
 * Destroy a signer; OpenSSL wipes the private key as it frees it.
 *
 * @param signer the signer; NULL does nothing.
 */
KSEF_API void ksef_qr_signer_free(ksef_qr_signer *signer);

/**
 * The serial number of the signer's certificate, in upper-case hex with
 * an even number of digits (e.g. "01F20A5D352AE590").
 *
 * @param signer the signer.
 * @return a string borrowed until the signer is freed; NULL for NULL.
 */
KSEF_API const char *ksef_qr_signer_serial(const ksef_qr_signer *signer);

/**
 * The text a KOD II signs (kody-qr.md 2, "Format podpisu"): the link
 * without its scheme and without the signature segment, e.g.
 * qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE
 *
 * @param[out] out  receives the text, NUL-terminated, replacing what it
 *                  held; release it with ksef_buf_dispose(). Unchanged on
 *                  failure.
 * @param base      the QR address, as for ksef_qr_invoice_link().
 * @param ref       the parts; cert_serial must be set.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL (NULL argument, bad base, unknown context type),
 *         KSEF_EFORMAT (a part of the wrong shape) or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_qr_cert_signed_text(ksef_buf *out,
	const char *base, const ksef_qr_cert_ref *ref, ksef_error *err);

/**
 * Build and sign the KOD II link of an invoice (kody-qr.md 2): base +
 * "/certificate/" + context type + "/" + context value + "/" + seller NIP
 * + "/" + serial + "/" + SHA-256 of the file + "/" + signature, the hash
 * and the signature in Base64URL without padding. The signed text is
 * ksef_qr_cert_signed_text(). An RSA key signs RSASSA-PSS with SHA-256,
 * MGF1 with SHA-256 and a 32-byte salt; an EC key signs ECDSA P-256 with
 * SHA-256, as IEEE P1363 r || s (32 bytes each), or ASN.1 DER with
 * KSEF_QR_CERT_ECDSA_DER. Both are randomised: each call gives another
 * signature.
 *
 * @param[out] out  receives the link, NUL-terminated, replacing what it
 *                  held; release it with ksef_buf_dispose(). Unchanged on
 *                  failure.
 * @param base      the QR address, e.g. ksef_qr_env_base().
 * @param ref       the parts; an empty cert_serial takes the signer's,
 *                  any other must equal it (upper or lower case).
 * @param signer    the Offline certificate's key.
 * @param flags     0 or KSEF_QR_CERT_ECDSA_DER.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL (NULL argument, bad base, unknown flag or context
 *         type, a serial other than the signer's), KSEF_EFORMAT, KSEF_ECRYPTO
 *         if OpenSSL refuses to sign, or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_qr_cert_link(ksef_buf *out,
	const char *base, const ksef_qr_cert_ref *ref,
	const ksef_qr_signer *signer, unsigned flags, ksef_error *err);

/**
 * Build a KOD II link around a signature made elsewhere (a smart card, an
 * HSM) over ksef_qr_cert_signed_text(). The signature is not checked.
 *
 * @param[out] out  receives the link, as for ksef_qr_cert_link().
 * @param base      the QR address.
 * @param ref       the parts; cert_serial must be set.
 * @param sig       the signature's bytes.
 * @param sig_len   their number, 1 to KSEF_QR_CERT_SIG_MAX.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_EFORMAT, KSEF_ETOOBIG or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_qr_cert_link_assemble(ksef_buf *out,
	const char *base, const ksef_qr_cert_ref *ref,
	const unsigned char *sig, size_t sig_len, ksef_error *err);

/**
 * Read a KOD II link strictly: "http(s)://HOST[:PORT][/PREFIX]/certificate/
 * TYPE/CONTEXT/NIP/SERIAL/HASH/SIGNATURE", the last six segments as
 * ksef_qr_cert_link() writes them (the hash 43 canonical Base64URL
 * characters, the signature canonical Base64URL of 1 to
 * KSEF_QR_CERT_SIG_MAX bytes), nothing after them.
 *
 * @param[out] out      receives the parts; unchanged on failure.
 * @param[out] sig_out  receives the signature's bytes, replacing what it
 *                      held; may be NULL. Unchanged on failure.
 * @param link          the link; it need not end in a NUL.
 * @param len           its length, at most KSEF_QR_TEXT_MAX.
 * @param err           receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL (NULL out or link), KSEF_ETOOBIG, KSEF_EFORMAT if
 *         it is no such link, or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_qr_cert_link_parse(ksef_qr_cert_ref *out,
	ksef_buf *sig_out, const char *link, size_t len, ksef_error *err);

/**
 * Check a KOD II link against a certificate: the link is read as by
 * ksef_qr_cert_link_parse(), its serial must be the certificate's, the
 * certificate's key must be one kody-qr.md 2 allows, and the signature
 * must verify over the link's signed text (RSASSA-PSS SHA-256, MGF1
 * SHA-256, 32-byte salt; or ECDSA P-256 SHA-256 in P1363 or DER form).
 * Whether the certificate is a valid, unrevoked KSeF Offline certificate
 * and its holder may issue in the context for the seller is the caller's
 * to check (kody-qr.md 2, "Weryfikacja po zeskanowaniu kodu QR II").
 *
 * @param[out] out  receives the link's parts when the signature verifies;
 *                  may be NULL. Unchanged on failure.
 * @param link      the link as scanned; it need not end in a NUL. A
 *                  server answering the links rebuilds it from its own
 *                  base and the path it was asked for: the host is part
 *                  of the signed text.
 * @param len       its length, at most KSEF_QR_TEXT_MAX.
 * @param cert      the certificate, PEM or DER.
 * @param cert_len  its length, 1 to KSEF_CERT_MAX_BYTES.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0 if the link is the certificate's and its signature verifies;
 *         KSEF_EFORMAT (not a KOD II link, or a key kody-qr.md does not
 *         allow), KSEF_ENOTFOUND (the link names another certificate),
 *         KSEF_ECHECKSUM (the signature does not verify), KSEF_EPARSE
 *         (the certificate cannot be read), KSEF_EINVAL, KSEF_ETOOBIG or
 *         KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_qr_cert_verify(ksef_qr_cert_ref *out,
	const char *link, size_t len, const unsigned char *cert,
	size_t cert_len, ksef_error *err);

KSEF_END_DECLS

#endif
