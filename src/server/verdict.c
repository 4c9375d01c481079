/*
 * verdict.c - the statuses ksefd decides from what the store reports, and
 * their Polish wording (see verdict.h). Nothing here reads or writes the
 * store: callers pass what it reported and record what comes back, so a
 * rule can change without touching SQL.
 */
#include <stdio.h>
#include "verdict.h"

/* JSON string content for text we did not write (numbers and references
 * read back from the store): escape what JSON requires, so a damaged row
 * cannot break the document. */
static void json_escape(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	for (; *src != '\0' && n + 7 < size; src++) {
		unsigned char ch = (unsigned char)*src;

		if (ch == '"' || ch == '\\') {
			dst[n++] = '\\';
			dst[n++] = (char)ch;
		} else if (ch < 0x20) {
			n += (size_t)snprintf(dst + n, size - n, "\\u%04x", ch);
		} else {
			dst[n++] = (char)ch;
		}
	}
	dst[n] = '\0';
}

void verdict_duplicate(store_invoice *inv)
{
	char ksef[2 * KSEF_NUMBER_BUFSZ], sess[2 * STORE_REF_SZ];

	/* The wording of the official example (SPEC 5.2, status 440 of
	 * GET /sessions/{ref}/invoices), with the original's number and
	 * session also in the extensions api_status.c adds. */
	json_escape(ksef, sizeof(ksef), inv->orig_ksef_number);
	json_escape(sess, sizeof(sess), inv->orig_session_ref);
	inv->status = VERDICT_DUPLICATE;
	snprintf(inv->status_details, sizeof(inv->status_details),
		 "[\"Duplikat faktury. Faktura o numerze KSeF: %s została już "
		 "prawidłowo przesłana do systemu w sesji: %s\"]", ksef, sess);
	/* Not accepted: no number, and none of the dates acceptance gives. */
	inv->ksef_number[0] = '\0';
	inv->acquisition_ms = 0;
	inv->permanent_storage_ms = 0;
}

int verdict_session_final(const store_session_tally *tally)
{
	if (tally->success_count > 0)
		return VERDICT_SESSION_PROCESSED;
	if (tally->invoice_count == 0)
		return VERDICT_SESSION_EMPTY;
	return VERDICT_SESSION_NONE_VALID;
}
