/*
 * qr_int.h - what the KOD I (qr_link.c) and KOD II (qr_cert.c) links
 * share inside libksef. Never installed.
 */
#ifndef KSEF_QR_INT_H
#define KSEF_QR_INT_H

#include <stddef.h>
#include "ksef/error.h"

/*
 * Check a link's base: an absolute http(s) URL of at most
 * KSEF_QR_BASE_MAX bytes with no character that would end the link's
 * path early or need escaping in it. Returns its length without one
 * final '/', or 0 when refused, with *error the code (KSEF_EINVAL) or 0
 * for an empty base.
 */
size_t ksef__qr_base_len(const char *base, ksef_error *err, int *error);

#endif
