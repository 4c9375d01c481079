/*
 * qr_int.h - what the KOD I (qr_link.c) and KOD II (qr_cert.c) links
 * share inside libksef. Never installed.
 */
#ifndef KSEF_QR_INT_H
#define KSEF_QR_INT_H

#include <stddef.h>
#include "ksef/error.h"
#include "ksef/qr.h"

/*
 * Check a link's base: an absolute http(s) URL of at most
 * KSEF_QR_BASE_MAX bytes with no character that would end the link's
 * path early or need escaping in it. Returns its length without one
 * final '/', or 0 when refused, with *error the code (KSEF_EINVAL) or 0
 * for an empty base.
 */
size_t ksef__qr_base_len(const char *base, ksef_error *err, int *error);

/* A SHA-256 digest as a link writes it: 43 Base64URL characters and a
 * NUL (libksef's Base64URL, encoding.h). */
int ksef__qr_digest_text(char out[KSEF_SHA256_B64URL_LEN + 1],
			 const unsigned char md[KSEF_SHA256_LEN],
			 ksef_error *err);
/* And back, strictly (one spelling a digest): 0, or -1 for n characters
 * that are not a digest's. */
int ksef__qr_digest_parse(unsigned char md[KSEF_SHA256_LEN], const char *s,
			  size_t n);

#endif
