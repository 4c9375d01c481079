/*
 * ksefd_invoice_html_fuzz.c - untrusted invoice XML rendered for the
 * console (invoice_html.c and its stylesheet). An input is the document.
 *
 * Checked: a render fails cleanly or gives one <article class="invoice">
 * fragment in which every tag is a plain lower-case element whose only
 * attributes are the stylesheet's own (class of fixed names, a numeric
 * colspan), so no invoice text ever becomes markup, a script, a link or
 * a style; and a document is rendered only if libksef takes it for an
 * FA (3) invoice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_support.h"
#include "ksef/invoice.h"
#include "invoice_html.h"

static void check_fragment(const char *html, size_t len)
{
	const char *p, *a, *end;

	if (strlen(html) != len ||
	    strncmp(html, "<article class=\"invoice\">", 25) != 0 ||
	    strstr(html, "</article>") == NULL) {
		fprintf(stderr, "not one <article class=\"invoice\">\n");
		abort();
	}
	for (p = strchr(html, '<'); p != NULL; p = strchr(end, '<')) {
		if ((end = strchr(p, '>')) == NULL)
			abort();
		for (a = p + 1; a < end && *a != ' '; a++)
			if (!((*a >= 'a' && *a <= 'z') ||
			      (*a >= '0' && *a <= '9') || *a == '/'))
				abort();
		while (a < end) {
			if (strncmp(a, " class=\"", 8) == 0) {
				for (a += 8; *a != '"'; a++)
					if (!((*a >= 'a' && *a <= 'z') ||
					      *a == '-' || *a == ' '))
						abort();
			} else if (strncmp(a, " colspan=\"", 10) == 0) {
				for (a += 10; *a != '"'; a++)
					if (!(*a >= '0' && *a <= '9'))
						abort();
			} else {
				fprintf(stderr, "attribute %.40s\n", a);
				abort();
			}
			a++;
		}
		if (a != end || strncmp(p, "<script", 7) == 0 ||
		    strncmp(p, "<style", 6) == 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksef_buf html = KSEF_BUF_INIT;
	ksef_form form;

	fuzz_global_init();
	if (invoice_html_render(data, size, &html, NULL) == 0) {
		if (ksef_form_detect(&form, data, size, NULL) != 0 ||
		    form != KSEF_FORM_FA3) {
			fprintf(stderr, "rendered a document that is not "
				"FA (3)\n");
			abort();
		}
		check_fragment((const char *)html.ptr, html.size);
	}
	ksef_buf_dispose(&html);
	return 0;
}
