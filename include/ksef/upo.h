/*
 * upo.h - the UPO (Urzędowe Poświadczenie Odbioru), KSeF's official
 * receipt: building one in the upo-v4-3 format (SPEC section 9), signing
 * it with an enveloped XAdES-BES signature as the Ministry of Finance says
 * it does, and verifying such a signature against a known certificate.
 *
 * Ownership: a ksef_upo_desc and everything it points to belong to the
 * caller and are only read during the call that takes them. The desc's
 * version says which fields it, its page and its documents have: a field
 * is only ever added at the end of one of them together with a new
 * KSEF_UPO_DESC_VERSION, and the library reads no field a caller's version
 * does not have. Documents are passed as an array of pointers, so that
 * their size is never part of the array's layout. Bytes come
 * back in a caller-owned ksef_buf. A ksef_upo_signer is created once and
 * may be shared by any number of threads; it holds a private key, which
 * ksef_upo_signer_free() releases.
 */
#ifndef KSEF_UPO_H
#define KSEF_UPO_H

#include "common.h"
#include "buf.h"
#include "error.h"
#include "invoice.h"
#include "number.h"

KSEF_BEGIN_DECLS

/** The namespace of upo-v4-3.xsd; its root element is Potwierdzenie. */
#define KSEF_UPO_NAMESPACE "http://upo.schematy.mf.gov.pl/KSeF/v4-3"

/**
 * The XSD's fixed value of NazwaPodmiotuPrzyjmujacego, "Ministerstwo
 * Finansów" in UTF-8. The test environments write suffixed names such as
 * "Ministerstwo Finansów - środowisko testowe (TE)", which break the
 * fixed facet (SPEC 13 #6); pass one through ksef_upo_desc.receiver_name.
 */
#define KSEF_UPO_RECEIVER_DEFAULT "Ministerstwo Finans\xc3\xb3w"

/** Most Dokument entries one UPO (one session UPO page) may hold. */
#define KSEF_UPO_MAX_DOCUMENTS 10000

/**
 * Longest UPO accepted by ksef_upo_sign() and ksef_upo_verify(), signature
 * included: 10 000 documents whose every field is as long as the schema
 * allows and escaped to the worst take about 17 MB.
 */
#define KSEF_UPO_MAX_BYTES 20000000

/** Which identifier names the context (Uwierzytelnienie/IdKontekstu). */
typedef enum ksef_upo_context_type {
	KSEF_UPO_CONTEXT_NIP = 0,         /**< Nip: 10 digits */
	KSEF_UPO_CONTEXT_INTERNAL_ID = 1, /**< IdWewnetrzny: NIP-5 digits */
	KSEF_UPO_CONTEXT_NIP_VAT_UE = 2,  /**< IdZlozonyVatUE: NIP-EU VAT */
	KSEF_UPO_CONTEXT_PEPPOL_ID = 3    /**< IdDostawcyUslugPeppol */
} ksef_upo_context_type;

/** How the session was authenticated: the second half of Uwierzytelnienie. */
typedef enum ksef_upo_auth_type {
	/** SkrotDokumentuUwierzytelniajacego: the Base64 SHA-256 of the
	 *  signed authentication document as the server received it. */
	KSEF_UPO_AUTH_DOCUMENT_HASH = 0,
	/** NumerReferencyjnyTokenaKSeF: the reference number of the KSeF
	 *  token used, as in the internal-id examples. */
	KSEF_UPO_AUTH_TOKEN = 1
} ksef_upo_auth_type;

/** How an invoice was sent (TrybWysylki). */
typedef enum ksef_upo_mode {
	KSEF_UPO_MODE_ONLINE = 0,  /**< "Online" */
	KSEF_UPO_MODE_OFFLINE = 1  /**< "Offline" */
} ksef_upo_mode;

/**
 * One accepted invoice (a Dokument). Strings are UTF-8 and end in a NUL.
 * Times are written with their own offset and milliseconds; KSeF shows
 * Polish local time, so pass ksef_time_warsaw(ms) to match the examples
 * ("2025-09-16T11:05:40.841+02:00"). The times are ksef_time, not
 * milliseconds, because the offset is part of what is written.
 *
 * Frozen: the caller builds it and it carries no version, so it never
 * grows (docs/abi.md); more would come in a new type.
 */
typedef struct ksef_upo_document {
	const char *seller_nip;     /**< NipSprzedawcy: Podmiot1's NIP */
	const char *ksef_number;    /**< NumerKSeFDokumentu */
	const char *invoice_number; /**< NumerFaktury: P_2, 1-256 chars */
	ksef_date issue_date;       /**< DataWystawieniaFaktury: P_1 */
	ksef_time sent_at;          /**< DataPrzeslaniaDokumentu */
	ksef_time numbered_at;      /**< DataNadaniaNumeruKSeF */
	const char *invoice_hash;   /**< SkrotDokumentu: Base64 SHA-256 */
	ksef_upo_mode mode;         /**< TrybWysylki */
} ksef_upo_document;

/**
 * Where a session UPO page sits (OpisPotwierdzenia). The range is
 * inclusive, as in the examples ("Od 1, Do 2" for two documents), although
 * the XSD's annotation calls its end exclusive (SPEC 13 #7).
 *
 * Frozen: the caller builds it and it carries no version, so it never
 * grows (docs/abi.md).
 */
typedef struct ksef_upo_page {
	size_t page;       /**< Strona: this page's number, from 1 */
	size_t page_count; /**< LiczbaStron: how many pages there are */
	size_t first;      /**< ZakresDokumentowOd: first document, from 1 */
	size_t last;       /**< ZakresDokumentowDo: last document, inclusive */
	size_t total;      /**< CalkowitaLiczbaDokumentow: on all pages */
} ksef_upo_page;

/** What a UPO says. Set it up with KSEF_UPO_DESC_INIT. */
typedef struct ksef_upo_desc {
	int version; /**< KSEF_UPO_DESC_VERSION */
	/** NazwaPodmiotuPrzyjmujacego, 1-240 chars; NULL means
	 *  KSEF_UPO_RECEIVER_DEFAULT, the only value the XSD accepts. */
	const char *receiver_name;
	/** NumerReferencyjnySesji: the session's reference number. */
	const char *session_reference;
	ksef_upo_context_type context_type; /**< which IdKontekstu element */
	const char *context_id;             /**< its value */
	ksef_upo_auth_type auth_type;       /**< which proof follows */
	/** The 44-character hash or the token's reference number. */
	const char *auth_value;
	/** OpisPotwierdzenia for a session UPO page; NULL for the UPO of one
	 *  invoice, which has none. */
	const ksef_upo_page *page;
	/** The form of the invoices: gives KodFormularza (its system code,
	 *  "FA (3)") and NazwaStrukturyLogicznej ("Schemat_FA(3)_v1-0E.xsd":
	 *  the system code without spaces and the schema version). */
	ksef_form form;
	/** Overrides NazwaStrukturyLogicznej when not NULL, 1-240 chars. */
	const char *structure_name;
	/** Overrides KodFormularza when not NULL, 1-240 chars. */
	const char *form_code;
	/** The Dokument entries, in order: document_count pointers, none
	 *  NULL. */
	const ksef_upo_document *const *documents;
	size_t document_count; /**< 1 to KSEF_UPO_MAX_DOCUMENTS */
} ksef_upo_desc;

/**
 * The version of ksef_upo_desc this header describes. The library takes a
 * description of any version from 1 to its own (see the top of this
 * header).
 */
#define KSEF_UPO_DESC_VERSION 1
#define KSEF_UPO_DESC_INIT { KSEF_UPO_DESC_VERSION, NULL, NULL, \
	KSEF_UPO_CONTEXT_NIP, NULL, KSEF_UPO_AUTH_DOCUMENT_HASH, NULL, NULL, \
	KSEF_FORM_FA3, NULL, NULL, NULL, 0 }

/**
 * Write a UPO: Potwierdzenie in KSEF_UPO_NAMESPACE with its elements in
 * the schema's order, indented with tabs like the official examples,
 * UTF-8 with an XML declaration. Every value is checked against
 * upo-v4-3.xsd before anything is written (patterns, lengths, dates from
 * 2006-01-01 and times from 2021-10-01T00:00:00Z, unique KSeF numbers),
 * so the result validates unless receiver_name differs from the XSD's
 * fixed value. Check values (the CRC-8 of KSeF and reference numbers) are
 * not checked: the schema does not, and the UPO attests what was issued.
 * Text is escaped, so any XML character may appear in an invoice number.
 *
 * @param[out] out  receives the document, replacing what it held; release
 *                  it with ksef_buf_dispose(). Unchanged on failure.
 * @param desc      what the UPO says; read only during the call.
 * @param err       receives the reason on failure, naming the element
 *                  (and the document's index) at fault; may be NULL.
 * @return 0, KSEF_EINVAL (NULL argument or document, a version outside 1
 *         to KSEF_UPO_DESC_VERSION, an unknown enum value, a count of 0
 *         or over KSEF_UPO_MAX_DOCUMENTS, a page whose numbers do not add
 *         up), KSEF_EFORMAT (a value the schema refuses, text that is not
 *         UTF-8 or holds a character XML 1.0 cannot carry),
 *         KSEF_ETOOBIG (the document would pass KSEF_UPO_MAX_BYTES, which
 *         only values padded with whitespace can make it do), or
 *         KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_upo_build(ksef_buf *out,
	const ksef_upo_desc *desc, ksef_error *err);

/** A private key and its certificate, ready to sign UPOs. */
typedef struct ksef_upo_signer ksef_upo_signer;

/**
 * Load a signing key and its certificate. The key must be RSA of at least
 * 2048 bits, as the signature method is rsa-sha256, and must match the
 * certificate. Nothing checks the certificate's validity period or chain:
 * who trusts it is the verifier's decision.
 *
 * A signer is read-only once made: any number of threads may sign with it
 * at once (each signature works on its own copy of the key handle).
 *
 * @param[out] out  receives the signer; free it with
 *                  ksef_upo_signer_free(). Set to NULL on failure.
 * @param key_pem   an unencrypted private key in PEM (PKCS#1 or PKCS#8);
 *                  it need not end in a NUL. The caller keeps (and wipes)
 *                  its copy.
 * @param key_len   its length, at most KSEF_CERT_MAX_BYTES.
 * @param cert      the X.509 certificate of the key, PEM or DER.
 * @param cert_len  its length, at most KSEF_CERT_MAX_BYTES.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_EPARSE (not a key or
 *         certificate, or an encrypted key), KSEF_EFORMAT (not RSA, under
 *         2048 bits, or a key that does not match the certificate),
 *         KSEF_ECRYPTO (xmlsec could not be initialised) or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_upo_signer_new(ksef_upo_signer **out,
	const char *key_pem, size_t key_len, const unsigned char *cert,
	size_t cert_len, ksef_error *err);

/**
 * Free a signer, releasing (and so clearing) its private key.
 *
 * @param signer the signer; NULL does nothing.
 */
KSEF_API void ksef_upo_signer_free(ksef_upo_signer *signer);

/**
 * Sign a UPO. The signature is an enveloped XAdES-BES ds:Signature
 * appended as the last child of Potwierdzenie: exclusive canonicalisation,
 * rsa-sha256, one sha256 Reference URI="" with the enveloped-signature
 * transform (the whole receipt), one to the xades:SignedProperties by its
 * Id (SigningTime, and SigningCertificate with the certificate's sha256
 * digest and issuer/serial), and the certificate in KeyInfo/X509Data.
 * Nothing before the signature changes: removing it gives back the input
 * document and its schema validity (for ksef_upo_build() output, the same
 * bytes). RSA PKCS#1 v1.5 is deterministic, so the same UPO, key and
 * signing time always give the same bytes.
 *
 * @param[out] out     receives the signed document, replacing what it
 *                     held; release it with ksef_buf_dispose(). Unchanged
 *                     on failure.
 * @param signer       from ksef_upo_signer_new().
 * @param xml          an unsigned UPO, e.g. from ksef_upo_build(); it is
 *                     parsed with the library's safe parser (no DTD, no
 *                     network) and need not end in a NUL.
 * @param len          its length, at most KSEF_UPO_MAX_BYTES.
 * @param signing_time the xades:SigningTime; NULL means now, in Polish
 *                     local time.
 * @param err          receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_EPARSE (not well-formed),
 *         KSEF_EFORMAT (the root is not a UPO Potwierdzenie, or it is
 *         signed already), KSEF_ECRYPTO (xmlsec failed) or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_upo_sign(ksef_buf *out,
	const ksef_upo_signer *signer, const unsigned char *xml, size_t len,
	const ksef_time *signing_time, ksef_error *err);

/**
 * ksef_upo_build() and ksef_upo_sign() in one step, without parsing the
 * freshly built document again.
 *
 * @param[out] out     receives the signed document; unchanged on failure.
 * @param desc         what the UPO says, as for ksef_upo_build().
 * @param signer       from ksef_upo_signer_new().
 * @param signing_time the xades:SigningTime; NULL means now.
 * @param err          receives the reason on failure; may be NULL.
 * @return as ksef_upo_build(), or KSEF_ECRYPTO if signing fails.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_upo_build_signed(ksef_buf *out,
	const ksef_upo_desc *desc, const ksef_upo_signer *signer,
	const ksef_time *signing_time, ksef_error *err);

/**
 * Verify a signed UPO against a certificate the caller trusts (e.g. the
 * Ministry's). The document is parsed with the library's safe parser; its
 * root must be Potwierdzenie and its last element child the ds:Signature.
 * The signature is checked with the given certificate's key only: a
 * certificate in KeyInfo is ignored, and neither validity dates nor chains
 * are checked. References may only be URI="" or same-document, and only
 * c14n, enveloped-signature, sha256/384/512 and RSA/ECDSA-SHA2 transforms
 * are allowed, so no XSLT, XPath or network fetch ever runs. The signature
 * must include a Reference URI="" (so all of the receipt is covered) and
 * one to xades:SignedProperties, whose SigningCertificate must carry the
 * sha256 digest of the given certificate.
 *
 * The content is not validated against the schema; do that separately.
 *
 * @param xml      the signed UPO; it need not end in a NUL.
 * @param len      its length, at most KSEF_UPO_MAX_BYTES.
 * @param cert     the trusted certificate, PEM or DER.
 * @param cert_len its length, at most KSEF_CERT_MAX_BYTES.
 * @param err      receives the reason on failure; may be NULL.
 * @return 0 if the signature is valid, KSEF_ECHECKSUM if it is not (a
 *         digest or the signature value does not match: the document was
 *         changed or signed with another key), KSEF_ENOTFOUND (no
 *         signature), KSEF_EFORMAT (not a UPO, or a signature of the wrong
 *         shape or with a refused algorithm or URI), KSEF_EPARSE (XML or
 *         certificate unreadable), KSEF_EINVAL, KSEF_ETOOBIG, KSEF_ECRYPTO
 *         or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_upo_verify(const unsigned char *xml,
	size_t len, const unsigned char *cert, size_t cert_len,
	ksef_error *err);

KSEF_END_DECLS

#endif
