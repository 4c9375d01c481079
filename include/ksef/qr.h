/*
 * qr.h - KOD I, the verification code of an invoice (ksef-docs
 * kody-qr.md section 1): the link that names an invoice by its seller's
 * NIP, its issue date and the SHA-256 of its file, and the QR code that
 * carries it, as PNG or SVG, with the KSeF number (or OFFLINE) under it.
 * ksef_qr_render() draws KOD II too (qr_cert.h), with its own label.
 *
 * Nothing here talks to a server or keeps state; every function is safe
 * to call from any thread. Bytes come back in caller-owned ksef_buf.
 */
#ifndef KSEF_QR_H
#define KSEF_QR_H

#include "common.h"
#include "buf.h"
#include "error.h"
#include "encoding.h"
#include "number.h"

KSEF_BEGIN_DECLS

/** The QR address of the TEST environment (kody-qr.md, "Środowiska"). */
#define KSEF_QR_BASE_TEST "https://qr-test.ksef.mf.gov.pl"
/** The QR address of the DEMO (pre-production) environment. */
#define KSEF_QR_BASE_DEMO "https://qr-demo.ksef.mf.gov.pl"
/** The QR address of the production environment. */
#define KSEF_QR_BASE_PRD "https://qr.ksef.mf.gov.pl"

/** The longest base URL the link functions take, in bytes. */
#define KSEF_QR_BASE_MAX 512
/** The longest text ksef_qr_render() encodes, in bytes. */
#define KSEF_QR_TEXT_MAX 1024
/** Characters of a SHA-256 digest in Base64URL without padding. */
#define KSEF_SHA256_B64URL_LEN 43
/** Bytes a "DD-MM-YYYY" date of a link needs, with its NUL. */
#define KSEF_QR_DATE_BUFSZ 11
/** The label under a code whose invoice has no KSeF number yet. */
#define KSEF_QR_LABEL_OFFLINE "OFFLINE"
/** The label under a KOD II, the certificate's code (kody-qr.md 2,
 *  "Oznaczenie pod kodem QR"). */
#define KSEF_QR_LABEL_CERT "CERTYFIKAT"
/** The longest free label (ksef_qr_options.label), in bytes. */
#define KSEF_QR_LABEL_MAX 64

/** The KSeF environments, as kody-qr.md lists their QR addresses. */
typedef enum ksef_qr_env {
	KSEF_QR_ENV_TEST = 0, /**< https://qr-test.ksef.mf.gov.pl */
	KSEF_QR_ENV_DEMO = 1, /**< https://qr-demo.ksef.mf.gov.pl */
	KSEF_QR_ENV_PRD = 2   /**< https://qr.ksef.mf.gov.pl */
} ksef_qr_env;

/**
 * The QR address of an environment, without a trailing '/'.
 *
 * @param env a ksef_qr_env.
 * @return a static string, or NULL for a value outside the enumeration.
 */
KSEF_API const char *ksef_qr_env_base(ksef_qr_env env);

/**
 * The QR address that goes with an API base URL: the Ministry's API hosts
 * (api-test, api-demo, api.ksef.mf.gov.pl) map to their environment's QR
 * address; any other URL (a local ksefd) is taken as serving the links
 * itself, at its root: the URL with a final "/v2" (and '/') removed.
 *
 * @param[out] out  receives the address, NUL-terminated, replacing what it
 *                  held; release it with ksef_buf_dispose(). Unchanged on
 *                  failure.
 * @param api_base  the API base URL, e.g. "http://127.0.0.1:8080/v2".
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL (NULL, empty, not http(s), or longer than
 *         KSEF_QR_BASE_MAX) or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_qr_base_for_api(ksef_buf *out,
	const char *api_base, ksef_error *err);

/**
 * What a KOD I link names.
 *
 * Frozen: the caller owns it and the library writes it whole, so it never
 * grows (docs/abi.md); more would come in a new type.
 */
typedef struct ksef_qr_invoice_ref {
	char seller_nip[KSEF_NIP_BUFSZ];       /**< 10 digits, NUL-terminated */
	ksef_date issue_date;                  /**< the invoice's P_1 */
	unsigned char sha256[KSEF_SHA256_LEN]; /**< of the invoice file */
} ksef_qr_invoice_ref;

/**
 * Build the KOD I link of an invoice (kody-qr.md 1): base + "/invoice/" +
 * seller NIP + "/" + issue date as DD-MM-YYYY + "/" + the SHA-256 of the
 * invoice file in Base64URL without padding. For the docs' example
 * (1111111111, 2026-02-01, UtQp9Gpc...WzIE) on KSEF_QR_BASE_TEST it gives
 * https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE
 *
 * @param[out] out  receives the link, NUL-terminated, replacing what it
 *                  held; release it with ksef_buf_dispose(). Unchanged on
 *                  failure.
 * @param base      the QR address, e.g. ksef_qr_env_base(); one final '/'
 *                  is dropped. At most KSEF_QR_BASE_MAX bytes, http(s).
 * @param ref       the seller's NIP (pattern only, as TEST checks it), a
 *                  date that exists, and the digest.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL (NULL argument, bad base or date), KSEF_EFORMAT
 *         (NIP) or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_qr_invoice_link(ksef_buf *out,
	const char *base, const ksef_qr_invoice_ref *ref, ksef_error *err);

/**
 * Read what a KOD I link names from an invoice file: the seller's NIP and
 * the issue date where each form keeps them (FA (2), FA (3): Podmiot1's
 * NIP and Fa/P_1; FA_RR (1): Podmiot1's NIP and FakturaRR/P_4B; PEF:
 * AccountingSupplierParty's CompanyID without "PL" and IssueDate, as
 * invoice verification reads them), and the SHA-256 of exactly these
 * bytes. The document is parsed with the
 * library's one safe XML parser; it is not validated against its schema.
 *
 * @param[out] out  receives the parts; unchanged on failure.
 * @param xml       the invoice file; it need not end in a NUL.
 * @param len       its length, at most KSEF_INVOICE_MAX_BYTES.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL, KSEF_ETOOBIG, KSEF_EPARSE (not well-formed),
 *         KSEF_ENOTFOUND (not an invoice of a form KSeF takes, or one
 *         without a seller NIP or issue date), KSEF_EFORMAT (a NIP or
 *         date of the wrong shape) or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_qr_invoice_ref_from_xml(
	ksef_qr_invoice_ref *out, const unsigned char *xml, size_t len,
	ksef_error *err);

/**
 * Read the path of a KOD I link, "/invoice/NIP/DD-MM-YYYY/HASH" (what a
 * server serving the links receives), strictly: exactly these four
 * segments, a NIP matching its pattern, a date that exists, and 43
 * Base64URL characters that are a canonical encoding of 32 bytes.
 *
 * @param[out] out  receives the parts; unchanged on failure.
 * @param path      the path; it need not end in a NUL. No query string.
 * @param len       its length in bytes.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EFORMAT if the path is not such a link's, or KSEF_EINVAL
 *         for a NULL out or path.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_qr_invoice_path_parse(
	ksef_qr_invoice_ref *out, const char *path, size_t len,
	ksef_error *err);

/** Image formats of ksef_qr_render(). The values are ABI. */
typedef enum ksef_qr_format {
	KSEF_QR_PNG = 0, /**< 8-bit greyscale PNG */
	KSEF_QR_SVG = 1  /**< SVG 1.1, modules as one path, label as text */
} ksef_qr_format;

/** How to draw a code. Start from KSEF_QR_OPTIONS_INIT and set fields. */
typedef struct ksef_qr_options {
	int version;           /**< KSEF_QR_OPTIONS_VERSION */
	ksef_qr_format format; /**< KSEF_QR_PNG (default) or KSEF_QR_SVG */
	/** Pixels (SVG: user units) per module, 1 to 40; 0 means 5, the
	 *  official clients' PixelsPerModule. */
	unsigned module_px;
	/** Quiet zone around the code in modules, 0 to 16; ISO/IEC 18004
	 *  asks for 4, which is what -1 (the default) gives. */
	int quiet_zone;
	/** The invoice's KSeF number, written under the code; NULL or ""
	 *  writes KSEF_QR_LABEL_OFFLINE instead, as kody-qr.md prescribes
	 *  for an invoice with no number yet. Checked with
	 *  ksef_number_validate(). */
	const char *ksef_number;
	/** Non-zero: no label at all (a bare code). */
	int no_label;
	/** Version 2: a label of one's own, written instead of ksef_number
	 *  or OFFLINE, such as KSEF_QR_LABEL_CERT under a KOD II; NULL or ""
	 *  for none. 1 to KSEF_QR_LABEL_MAX of A-Z, 0-9, '-' and ' '. */
	const char *label;
} ksef_qr_options;

/**
 * The version of ksef_qr_options this header describes. The library takes
 * a struct of any version from 1 to its own.
 */
#define KSEF_QR_OPTIONS_VERSION 2
#define KSEF_QR_OPTIONS_INIT { KSEF_QR_OPTIONS_VERSION, KSEF_QR_PNG, 0, -1, \
	NULL, 0, NULL }

/**
 * Draw text (a KOD I link) as a QR code (ISO/IEC 18004, byte mode, error
 * correction level M, the smallest version that holds it; the matrix
 * comes from libqrencode) in black on white, with the label centred
 * under it.
 *
 * @param[out] out  receives the PNG or SVG file, replacing what it held;
 *                  release it with ksef_buf_dispose(). An SVG ends in a
 *                  NUL that size does not count. Unchanged on failure.
 * @param text      the text; it need not end in a NUL.
 * @param len       its length, 1 to KSEF_QR_TEXT_MAX bytes.
 * @param opts      options, or NULL for KSEF_QR_OPTIONS_INIT.
 * @param err       receives the reason on failure; may be NULL.
 * @return 0, KSEF_EINVAL (NULL, empty, an option out of range, an unknown
 *         options version), KSEF_EFORMAT (ksef_number is no KSeF number, or label
 *         has a character outside its set),
 *         KSEF_ETOOBIG (text over KSEF_QR_TEXT_MAX) or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_qr_render(ksef_buf *out, const char *text,
	size_t len, const ksef_qr_options *opts, ksef_error *err);

KSEF_END_DECLS

#endif
