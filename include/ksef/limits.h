/*
 * limits.h - every bound libksef puts on untrusted input, named once.
 * Error messages name the limit they enforce.
 */
#ifndef KSEF_LIMITS_H
#define KSEF_LIMITS_H

/*
 * The largest invoice accepted at all: 3 MB (10^6 bytes each, changelog
 * RC5.3) is the limit for an invoice with attachments
 * (faktury/weryfikacja-faktury.md). No document above it is ever parsed.
 */
#define KSEF_INVOICE_MAX_BYTES 3000000

/* The default limit for an invoice without attachments: 1 MB. */
#define KSEF_INVOICE_MAX_BYTES_PLAIN 1000000

/* Ciphertext of the largest invoice: PKCS#7 adds 1 to 16 bytes. */
#define KSEF_CIPHERTEXT_MAX_BYTES (KSEF_INVOICE_MAX_BYTES + 16)

/* Deepest element nesting accepted in an invoice; the FA (3) schema nests
 * about a dozen levels, so 256 stops stack-hungry inputs without
 * refusing any real invoice. */
#define KSEF_XML_MAX_DEPTH 256

/*
 * What one XML document may hold before libxml2 sees it: libxml2 checks
 * each new attribute and namespace against those before it, so their
 * cost grows with the square of their number (99,000 attributes on one
 * element took 16.5 s of CPU). The official schemas need few: at most 9
 * attributes on one element (UBL's CodeType, PEF/bazowe), and the
 * official samples carry at most 4 namespace declarations in all.
 */
/** Attributes, namespace declarations included, on one element. */
#define KSEF_XML_MAX_ATTRIBUTES 64
/** Namespace declarations (xmlns, xmlns:p) in one document. */
#define KSEF_XML_MAX_NAMESPACES 128
/** Longest element or attribute name, prefix included, in bytes. */
#define KSEF_XML_MAX_NAME 512

/* How many verification messages one result keeps; the rest are counted. */
#define KSEF_VERIFY_MAX_DETAILS 20

/* Longest certificate accepted, DER or PEM. */
#define KSEF_CERT_MAX_BYTES 65536

/* Longest plaintext wrapped with RSA-OAEP by the library. */
#define KSEF_OAEP_MAX_BYTES 512

#endif
