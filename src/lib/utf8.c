/*
 * utf8.c - owns strict UTF-8 decoding for the library: invoices, UPO
 * fields and XAdES documents are all checked with the same rules (no
 * overlong forms, no surrogates, nothing past U+10FFFF).
 */
#include "internal.h"

size_t ksef__utf8_next(const unsigned char *p, size_t avail,
		       unsigned long *cp)
{
	unsigned long c;
	size_t n, i;

	if (avail == 0)
		return 0;
	if (p[0] < 0x80) {
		if (cp != NULL)
			*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		n = 2; c = p[0] & 0x1F;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		n = 3; c = p[0] & 0x0F;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		n = 4; c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
		return 0;
	if (cp != NULL)
		*cp = c;
	return n;
}
