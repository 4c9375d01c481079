/*
 * qr_fuzz.c - untrusted text through the KOD I readers: a link's path
 * (what ksefd serves), and an invoice file's NIP and P_1. Whatever a path
 * gives must build a link whose path reads back the same, and that link
 * must draw.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksef_qr_invoice_ref r, back;
	ksef_buf link = KSEF_BUF_INIT, img = KSEF_BUF_INIT;
	const char *path;

	fuzz_global_init();
	if (ksef_qr_invoice_path_parse(&r, (const char *)data, size,
				       NULL) == 0) {
		if (ksef_qr_invoice_link(&link, KSEF_QR_BASE_TEST, &r,
					 NULL) != 0)
			abort();
		path = strstr((const char *)link.ptr, "/invoice/");
		if (path == NULL || ksef_qr_invoice_path_parse(&back, path,
				strlen(path), NULL) != 0 ||
		    memcmp(&back, &r, sizeof(r)) != 0 ||
		    strlen(path) != size || memcmp(path, data, size) != 0)
			abort();
		if (ksef_qr_render(&img, (const char *)link.ptr, link.size,
				   NULL, NULL) != 0)
			abort();
	}
	if (ksef_qr_invoice_ref_from_xml(&r, data, size, NULL) == 0 &&
	    ksef_qr_invoice_link(&link, KSEF_QR_BASE_TEST, &r, NULL) != 0)
		abort();
	ksef_buf_dispose(&link);
	ksef_buf_dispose(&img);
	return 0;
}
