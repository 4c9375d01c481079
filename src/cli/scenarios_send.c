/*
 * scenarios_send.c - the scenarios of sending invoices online: the happy
 * paths of FA (3) and FA (2) (sesja-interaktywna.md), the UPO's fields
 * (sesja-sprawdzenie-stanu-i-pobranie-upo.md), an invalid NIP and the
 * other rules of faktury/weryfikacja-faktury.md, offline classification
 * (offline/automatyczne-okreslanie-trybu-offline.md) and duplicates.
 * Each step is what the document says KSeF does; docs/scenarios.md lists
 * them. The kit they use is scenarios_kit.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "config.h"
#include "scenarios.h"

/* The bytes of an accepted invoice come back from KSeF once stored for
 * good, which the live system does asynchronously (permanentStorageDate):
 * while it answers 404, ask again a second later, within the timeout. */
static int download_same(struct scn *s, struct scn_party *p,
			 const char *number, const ksef_buf *sent)
{
	ksef_buf got = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	int64_t until = ksef_time_now().unix_ms + s->timeout_ms;
	size_t n;
	int rc, same;

	for (;;) {
		rc = scn_authorize(p, &err);
		if (rc == 0)
			rc = ksef_client_invoice_download(&got, p->client,
							  number, &err);
		/* Only "not there yet" (404) is waited out. */
		if (rc == 0 || ksef_time_now().unix_ms >= until ||
		    ksef_client_last_http_status(p->client) != 404)
			break;
		cli_sleep_ms(1000);
	}
	if (rc != 0)
		return scn_call(s, "download the invoice by its KSeF number",
				rc, &err);
	n = got.size;
	same = n == sent->size && memcmp(got.ptr, sent->ptr, n) == 0;
	ksef_buf_dispose(&got);
	return scn_check(s, "download the invoice by its KSeF number: the "
			 "bytes sent", same, "%zu bytes that differ from the "
			 "%zu sent", n, sent->size);
}

/* A count of SessionStatusResponse: nullable and not required, and left
 * out when it is 0 (-1 here), so absent reads as none. */
static long count_of(int64_t n)
{
	return n < 0 ? 0 : (long)n;
}

/* GET /sessions/{ref}: the counts and the UPO of a processed session. */
static int session_counts(struct scn *s, struct scn_party *p,
			  const char *ref, long total, long ok, long failed,
			  int want_upo)
{
	ksef_api_session_status *st = NULL;
	ksef_error err = { 0, 0, "" };
	char name[96];
	int rc, good;

	snprintf(name, sizeof(name), "session status: %ld invoice%s, %ld "
		 "accepted, %ld failed%s", total, total == 1 ? "" : "s", ok,
		 failed, want_upo ? ", UPO" : "");
	if ((rc = scn_authorize(p, &err)) != 0 ||
	    (rc = ksef_client_session_status(&st, p->client, ref, &err)) != 0)
		return scn_call(s, name, rc, &err);
	good = count_of(st->invoice_count) == total &&
	       count_of(st->successful_invoice_count) == ok &&
	       count_of(st->failed_invoice_count) == failed &&
	       (!want_upo || ksef_api_upo_pages_count(st->upo_pages) > 0);
	rc = scn_check(s, name, good, "invoiceCount %ld, successful %ld, "
		       "failed %ld, %zu UPO pages",
		       count_of(st->invoice_count),
		       count_of(st->successful_invoice_count),
		       count_of(st->failed_invoice_count),
		       ksef_api_upo_pages_count(st->upo_pages));
	ksef_api_session_status_free(st);
	return rc;
}

/* The KSeF number names the seller (faktury/numer-ksef.md). */
static int number_of(struct scn *s, const char *number, const char *nip)
{
	ksef_number_parts parts;
	ksef_error err = { 0, 0, "" };

	if (ksef_number_parse(&parts, number, strlen(number), &err) != 0)
		return scn_fail(s, "the KSeF number is well-formed", "%s: %s",
				number, err.message);
	return scn_check(s, "the KSeF number is well-formed and names the "
			 "seller", strcmp(parts.nip, nip) == 0, "%s names %s",
			 number, parts.nip);
}

/* Happy path: log in, open, send, accepted, close, UPO, the bytes back. */
static void happy(struct scn *s, ksef_form form)
{
	struct scn_party p;
	struct scn_invoice o = { form, NULL, NULL, NULL, 1, 0 };
	struct scn_sent sent;
	ksef_session *ses = NULL;
	ksef_buf xml = KSEF_BUF_INIT;

	if (!scn_party_make(s, &p))
		return;
	o.seller = p.nip;
	if (!scn_login(s, &p, NULL) || !scn_open(s, &p, form, &ses) ||
	    !scn_generate(s, &xml, &o) ||
	    !scn_send_expect(s, ses, "send an invoice: accepted (200)", &xml,
			     NULL, KSEF_INVOICE_STATUS_OK, &sent) ||
	    !number_of(s, sent.ksef_number, p.nip) ||
	    !scn_close_expect(s, ses, KSEF_SESSION_CODE_OK) ||
	    !session_counts(s, &p, ksef_session_reference(ses), 1, 1, 0, 1))
		goto out;
	(void)download_same(s, &p, sent.ksef_number, &xml);
out:
	ksef_buf_dispose(&xml);
	ksef_session_free(ses);
	scn_party_free(&p);
}

void scn_fa3_online(struct scn *s)
{
	happy(s, KSEF_FORM_FA3);
}

void scn_fa2_online(struct scn *s)
{
	happy(s, KSEF_FORM_FA2);
}

/* One field of a UPO against what it must say. */
static int upo_field(struct scn *s, const char *what, const ksef_buf *upo,
		     const char *element, const char *want)
{
	char got[512], name[128];

	snprintf(name, sizeof(name), "%s UPO: %s is %s", what, element, want);
	if (scn_xml_text(got, sizeof(got), upo, element) != 0)
		return scn_fail(s, name, "the UPO has no %s", element);
	return scn_check(s, name, strcmp(got, want) == 0, "it is '%s'", got);
}

void scn_upo_fields(struct scn *s)
{
	struct scn_party p;
	struct scn_invoice o = { KSEF_FORM_FA3, NULL, NULL, NULL, 1, 0 };
	struct scn_sent sent;
	ksef_session *ses = NULL;
	ksef_buf xml = KSEF_BUF_INIT, upo = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	char p1[KSEF_DATE_BUFSZ], p2[256], sref[KSEF_REFNUM_BUFSZ];
	int rc;

	if (!scn_party_make(s, &p))
		return;
	o.seller = p.nip;
	if (!scn_login(s, &p, NULL) ||
	    !scn_open(s, &p, KSEF_FORM_FA3, &ses) ||
	    !scn_generate(s, &xml, &o) ||
	    !scn_send_expect(s, ses, "send an invoice: accepted (200)", &xml,
			     NULL, KSEF_INVOICE_STATUS_OK, &sent))
		goto out;
	snprintf(sref, sizeof(sref), "%s", ksef_session_reference(ses));
	if (scn_xml_text(p1, sizeof(p1), &xml, "P_1") != 0 ||
	    scn_xml_text(p2, sizeof(p2), &xml, "P_2") != 0) {
		scn_fail(s, "read P_1 and P_2 of the invoice", "not found");
		goto out;
	}
	/* The invoice's UPO (5.1: by its reference number), then the
	 * session's (7.), each field as the upo-v4-3 examples show it. */
	rc = ksef_session_invoice_upo(&upo, ses, sent.ref, &err);
	if (!scn_call(s, "download the invoice's UPO", rc, &err) ||
	    !upo_field(s, "invoice", &upo, "NumerReferencyjnySesji", sref) ||
	    !upo_field(s, "invoice", &upo, "Nip", p.nip) ||
	    !upo_field(s, "invoice", &upo, "KodFormularza", "FA (3)") ||
	    !upo_field(s, "invoice", &upo, "NipSprzedawcy", p.nip) ||
	    !upo_field(s, "invoice", &upo, "NumerKSeFDokumentu",
		       sent.ksef_number) ||
	    !upo_field(s, "invoice", &upo, "NumerFaktury", p2) ||
	    !upo_field(s, "invoice", &upo, "DataWystawieniaFaktury", p1) ||
	    !upo_field(s, "invoice", &upo, "SkrotDokumentu", sent.hash) ||
	    !upo_field(s, "invoice", &upo, "TrybWysylki", "Online") ||
	    !scn_close_expect(s, ses, KSEF_SESSION_CODE_OK))
		goto out;
	rc = ksef_session_upo_page_count(ses) > 0 ?
	     ksef_session_upo(&upo, ses, 0, &err) :
	     ksef_error_set(&err, KSEF_ENOTFOUND, "the session has no UPO "
			    "page");
	if (!scn_call(s, "download the session's UPO", rc, &err) ||
	    !upo_field(s, "session", &upo, "NumerReferencyjnySesji", sref) ||
	    !upo_field(s, "session", &upo, "NumerKSeFDokumentu",
		       sent.ksef_number) ||
	    !upo_field(s, "session", &upo, "SkrotDokumentu", sent.hash))
		goto out;
out:
	ksef_buf_dispose(&upo);
	ksef_buf_dispose(&xml);
	ksef_session_free(ses);
	scn_party_free(&p);
}

/* Make doc's buyer NIP (Podmiot2) break the schema's TNrNIP pattern
 * [1-9]((\d[1-9])|([1-9]\d))\d{7}: a leading zero. */
static int break_buyer_nip(ksef_buf *doc, const char *buyer)
{
	char from[32], to[32];

	snprintf(from, sizeof(from), "<NIP>%s</NIP>", buyer);
	snprintf(to, sizeof(to), "<NIP>0%s</NIP>", buyer + 1);
	return scn_replace(doc, "<Podmiot2>", from, to);
}

void scn_invalid_nip(struct scn *s)
{
	struct scn_party p;
	struct scn_invoice o = { KSEF_FORM_FA3, NULL, NULL, NULL, 1, 0 };
	ksef_session *ses = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	char buyer[KSEF_NIP_BUFSZ];

	if (!scn_party_make(s, &p))
		return;
	o.seller = p.nip;
	o.buyer = buyer;
	if (ksef_nip_generate(buyer, &err) != 0) {
		scn_call(s, "a random buyer NIP", KSEF_ECRYPTO, &err);
		goto out;
	}
	if (!scn_login(s, &p, NULL) ||
	    !scn_open(s, &p, KSEF_FORM_FA3, &ses) ||
	    !scn_generate(s, &xml, &o))
		goto out;
	if (break_buyer_nip(&xml, buyer) != 0) {
		scn_fail(s, "give the buyer an invalid NIP", "no Podmiot2 NIP");
		goto out;
	}
	if (!scn_send_expect(s, ses, "an invoice whose buyer NIP breaks the "
			     "schema: 450", &xml, NULL,
			     KSEF_INVOICE_STATUS_SEMANTIC, NULL) ||
	    !scn_close_expect(s, ses, KSEF_SESSION_CODE_NO_VALID))
		goto out;
	(void)session_counts(s, &p, ksef_session_reference(ses), 1, 0, 1, 0);
out:
	ksef_buf_dispose(&xml);
	ksef_session_free(ses);
	scn_party_free(&p);
}

/* The invoices of the validation scenario, each breaking one rule. */
enum bad { BAD_BOM, BAD_ENCODING, BAD_PI, BAD_XML, BAD_FORM, BAD_DATE,
	   BAD_SELLER, BAD_COUNT };

static const struct {
	const char *name;
	int status;
} bads[BAD_COUNT] = {
	{ "UTF-8 with a BOM: 450", KSEF_INVOICE_STATUS_SEMANTIC },
	{ "a prolog naming another encoding: 450",
	  KSEF_INVOICE_STATUS_SEMANTIC },
	{ "a processing instruction: 450", KSEF_INVOICE_STATUS_SEMANTIC },
	{ "not well-formed XML: 450", KSEF_INVOICE_STATUS_SEMANTIC },
	{ "an FA (2) document in an FA (3) session: 450",
	  KSEF_INVOICE_STATUS_SEMANTIC },
	{ "P_1 after the day it is sent: 450", KSEF_INVOICE_STATUS_SEMANTIC },
	{ "a seller other than the context: 410",
	  KSEF_INVOICE_STATUS_PERMISSION },
};

/* Invoice number i of the validation scenario. */
static int make_bad(struct scn *s, ksef_buf *xml, enum bad which,
		    const char *nip)
{
	struct scn_invoice o = { KSEF_FORM_FA3, NULL, NULL, NULL, 0, 0 };
	char tomorrow[KSEF_DATE_BUFSZ], other[KSEF_NIP_BUFSZ];
	ksef_error err = { 0, 0, "" };
	int rc = 0;

	o.seller = nip;
	o.index = (uint64_t)which + 1;
	if (which == BAD_FORM)
		o.form = KSEF_FORM_FA2;
	if (which == BAD_DATE) {
		scn_date(tomorrow, 1);
		o.date = tomorrow;
	}
	if (which == BAD_SELLER) {
		if (ksef_nip_generate(other, &err) != 0)
			return scn_call(s, "a random NIP", KSEF_ECRYPTO, &err);
		o.seller = other;
	}
	if (!scn_generate(s, xml, &o))
		return 0;
	switch (which) {
	case BAD_BOM:
		rc = scn_replace(xml, NULL, "<?xml", "\xef\xbb\xbf<?xml");
		break;
	case BAD_ENCODING:
		rc = scn_replace(xml, NULL, "encoding=\"UTF-8\"",
				 "encoding=\"ISO-8859-2\"");
		break;
	case BAD_PI:
		rc = scn_replace(xml, NULL, "<Faktura", "<?xml-stylesheet "
				 "type=\"text/xsl\" href=\"faktura.xsl\"?>\n"
				 "<Faktura");
		break;
	case BAD_XML:
		rc = scn_replace(xml, NULL, "</Faktura>", "</Fakt");
		break;
	default:
		break;
	}
	if (rc != 0)
		return scn_fail(s, bads[which].name, "the generated invoice "
				"could not be changed");
	return 1;
}

void scn_validation(struct scn *s)
{
	struct scn_party p;
	ksef_session *ses = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	int i;

	if (!scn_party_make(s, &p))
		return;
	if (!scn_login(s, &p, NULL) ||
	    !scn_open(s, &p, KSEF_FORM_FA3, &ses))
		goto out;
	for (i = 0; i < BAD_COUNT; i++)
		if (!make_bad(s, &xml, (enum bad)i, p.nip) ||
		    !scn_send_expect(s, ses, bads[i].name, &xml, NULL,
				     bads[i].status, NULL))
			goto out;
	if (!scn_close_expect(s, ses, KSEF_SESSION_CODE_NO_VALID))
		goto out;
	(void)session_counts(s, &p, ksef_session_reference(ses), BAD_COUNT,
			     0, BAD_COUNT, 0);
out:
	ksef_buf_dispose(&xml);
	ksef_session_free(ses);
	scn_party_free(&p);
}

void scn_offline_mode(struct scn *s)
{
	struct scn_party p;
	struct scn_invoice o = { KSEF_FORM_FA3, NULL, NULL, NULL, 1, 0 };
	ksef_client_send_options offline = KSEF_CLIENT_SEND_OPTIONS_INIT;
	struct scn_sent sent;
	ksef_session *ses = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	char yesterday[KSEF_DATE_BUFSZ], sref[KSEF_REFNUM_BUFSZ];

	if (!scn_party_make(s, &p))
		return;
	o.seller = p.nip;
	offline.offline_mode = 1;
	if (!scn_login(s, &p, NULL) ||
	    !scn_open(s, &p, KSEF_FORM_FA3, &ses))
		goto out;
	snprintf(sref, sizeof(sref), "%s", ksef_session_reference(ses));
	/* P_1 today, sent as online: stays online. */
	if (!scn_generate(s, &xml, &o) ||
	    !scn_send_expect(s, ses, "P_1 today, offlineMode false: 200",
			     &xml, NULL, KSEF_INVOICE_STATUS_OK, &sent) ||
	    !scn_mode_is(s, &p, sref, &sent, "Online"))
		goto out;
	/* P_1 yesterday, sent as online: KSeF makes it offline. */
	scn_date(yesterday, -1);
	o.date = yesterday;
	o.index = 2;
	if (!scn_generate(s, &xml, &o) ||
	    !scn_send_expect(s, ses, "P_1 yesterday, offlineMode false: 200",
			     &xml, NULL, KSEF_INVOICE_STATUS_OK, &sent) ||
	    !scn_mode_is(s, &p, sref, &sent, "Offline"))
		goto out;
	/* Declared offline: offline whatever the date. */
	o.date = NULL;
	o.index = 3;
	if (!scn_generate(s, &xml, &o) ||
	    !scn_send_expect(s, ses, "P_1 today, offlineMode true: 200",
			     &xml, &offline, KSEF_INVOICE_STATUS_OK, &sent) ||
	    !scn_mode_is(s, &p, sref, &sent, "Offline"))
		goto out;
	(void)scn_close_expect(s, ses, KSEF_SESSION_CODE_OK);
out:
	ksef_buf_dispose(&xml);
	ksef_session_free(ses);
	scn_party_free(&p);
}

/* 440 naming the first invoice (extensions.originalKsefNumber). */
static int duplicate_of(struct scn *s, const struct scn_sent *sent,
			const char *first)
{
	return scn_check(s, "440 names the first invoice's KSeF number",
			 strcmp(sent->duplicate_of, first) == 0,
			 "it names '%s', the first is %s", sent->duplicate_of,
			 first);
}

void scn_duplicate(struct scn *s)
{
	struct scn_party p;
	struct scn_invoice o = { KSEF_FORM_FA3, NULL, NULL, NULL, 1, 0 };
	struct scn_sent first, again;
	ksef_session *ses = NULL;
	ksef_buf xml = KSEF_BUF_INIT;

	if (!scn_party_make(s, &p))
		return;
	o.seller = p.nip;
	if (!scn_login(s, &p, NULL) ||
	    !scn_open(s, &p, KSEF_FORM_FA3, &ses) ||
	    !scn_generate(s, &xml, &o) ||
	    !scn_send_expect(s, ses, "send an invoice: accepted (200)", &xml,
			     NULL, KSEF_INVOICE_STATUS_OK, &first) ||
	    !scn_close_expect(s, ses, KSEF_SESSION_CODE_OK))
		goto out;
	ksef_session_free(ses);
	ses = NULL;
	/* In a second session: the same bytes, then another document with
	 * the same seller, kind and P_2 (the uniqueness key). */
	if (!scn_open(s, &p, KSEF_FORM_FA3, &ses) ||
	    !scn_send_expect(s, ses, "the same invoice again: 440", &xml,
			     NULL, KSEF_INVOICE_STATUS_DUPLICATE, &again) ||
	    !duplicate_of(s, &again, first.ksef_number))
		goto out;
	o.bytes = KSEF_GEN_DEFAULT_BYTES + 2000;
	if (!scn_generate(s, &xml, &o) ||
	    !scn_send_expect(s, ses, "other content, the same number: 440",
			     &xml, NULL, KSEF_INVOICE_STATUS_DUPLICATE,
			     &again) ||
	    !duplicate_of(s, &again, first.ksef_number))
		goto out;
	(void)scn_close_expect(s, ses, KSEF_SESSION_CODE_NO_VALID);
out:
	ksef_buf_dispose(&xml);
	ksef_session_free(ses);
	scn_party_free(&p);
}

/*
 * Duplicates across channels: the uniqueness key holds whichever way an
 * invoice came (weryfikacja-faktury.md: "globalnie").
 */

/* The two files of the batch, written to a private temporary folder:
 * ksef_batch_new() reads invoices from files, as `ksef batch send` does. */
struct batch_files {
	char dir[4096];
	char path[2][4200];
	int written;
};

static int batch_files_write(struct scn *s, struct batch_files *f,
			     const ksef_buf *const docs[2])
{
	const char *tmp = getenv("TMPDIR");
	ksef_error err = { 0, 0, "" };
	int i;

	snprintf(f->dir, sizeof(f->dir), "%s/ksef-scenario-XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return scn_fail(s, "write the batch's invoices", "%s: cannot "
				"make a temporary folder", f->dir);
	for (i = 0; i < 2; i++) {
		snprintf(f->path[i], sizeof(f->path[i]), "%s/invoice-%d.xml",
			 f->dir, i + 1);
		if (cli_write_file(f->path[i], docs[i]->ptr, docs[i]->size,
				   0600, &err) != 0)
			return scn_call(s, "write the batch's invoices",
					KSEF_EIO, &err);
		f->written = i + 1;
	}
	return 1;
}

static void batch_files_remove(struct batch_files *f)
{
	int i;

	for (i = 0; i < f->written; i++)
		(void)unlink(f->path[i]);
	if (f->dir[0] != '\0')
		(void)rmdir(f->dir);
}

/* One file's outcome in the batch: `want`, and for 440 the number of the
 * invoice it repeats. */
static int batch_outcome(struct scn *s, const char *name, const ksef_batch *b,
			 size_t i, int want, const char *dup_of, char *number,
			 size_t number_size)
{
	const ksef_session_invoice *inv = ksef_batch_invoice_at(b, i);

	if (inv == NULL)
		return scn_fail(s, name, "the batch has no outcome for it");
	if (number != NULL)
		snprintf(number, number_size, "%s",
			 inv->ksef_number ? inv->ksef_number : "");
	if (inv->status != want)
		return scn_fail(s, name, "status %d (%s%s%s), expected %d",
				inv->status, inv->description ?
				inv->description : "", inv->details ? ": " : "",
				inv->details ? inv->details : "", want);
	if (dup_of != NULL)
		return scn_check(s, name, inv->duplicate_of != NULL &&
				 strcmp(inv->duplicate_of, dup_of) == 0,
				 "it names '%s', the first is %s",
				 inv->duplicate_of ? inv->duplicate_of : "",
				 dup_of);
	return scn_pass(s, name, "%d %s", inv->status,
			inv->ksef_number ? inv->ksef_number : "");
}

void scn_duplicate_batch(struct scn *s)
{
	struct scn_party p;
	struct scn_invoice o = { KSEF_FORM_FA3, NULL, NULL, NULL, 1, 0 };
	struct scn_sent first, again;
	struct batch_files files;
	ksef_session *ses = NULL;
	ksef_batch *b = NULL;
	ksef_buf one = KSEF_BUF_INIT, two = KSEF_BUF_INIT;
	const ksef_buf *docs[2] = { &one, &two };
	const char *paths[2];
	ksef_error err = { 0, 0, "" };
	char batched[KSEF_NUMBER_BUFSZ] = "";
	int rc;

	memset(&files, 0, sizeof(files));
	if (!scn_party_make(s, &p))
		return;
	o.seller = p.nip;
	/* Invoice 1 online. */
	if (!scn_login(s, &p, NULL) ||
	    !scn_open(s, &p, KSEF_FORM_FA3, &ses) ||
	    !scn_generate(s, &one, &o) ||
	    !scn_send_expect(s, ses, "invoice 1 online: accepted (200)", &one,
			     NULL, KSEF_INVOICE_STATUS_OK, &first) ||
	    !scn_close_expect(s, ses, KSEF_SESSION_CODE_OK))
		goto out;
	ksef_session_free(ses);
	ses = NULL;
	/* Then in a batch: other content under invoice 1's number, and a
	 * new invoice 2. */
	o.bytes = KSEF_GEN_DEFAULT_BYTES + 2000;
	if (!scn_generate(s, &one, &o))
		goto out;
	o.bytes = 0;
	o.index = 2;
	if (!scn_generate(s, &two, &o) || !batch_files_write(s, &files, docs))
		goto out;
	paths[0] = files.path[0];
	paths[1] = files.path[1];
	rc = ksef_batch_new(&b, KSEF_FORM_FA3, paths, 2, NULL, &err);
	if (rc == 0)
		rc = ksef_batch_send(b, p.conn, &err);
	if (rc == 0)
		rc = ksef_batch_wait(b, s->timeout_ms, &err);
	if (!scn_call(s, "a batch session of invoice 1 again and invoice 2",
		      rc, &err) ||
	    !scn_check(s, "the batch session: status 200",
		       ksef_batch_status(b) == KSEF_SESSION_CODE_OK,
		       "status %d", ksef_batch_status(b)) ||
	    !batch_outcome(s, "invoice 1 in the batch: 440 naming the online "
			   "one", b, 0, KSEF_INVOICE_STATUS_DUPLICATE,
			   first.ksef_number, NULL, 0) ||
	    !batch_outcome(s, "invoice 2 in the batch: accepted (200)", b, 1,
			   KSEF_INVOICE_STATUS_OK, NULL, batched,
			   sizeof(batched)))
		goto out;
	/* Invoice 2 online again, other content: the batch's is the one. */
	o.bytes = KSEF_GEN_DEFAULT_BYTES + 2000;
	if (!scn_open(s, &p, KSEF_FORM_FA3, &ses) ||
	    !scn_generate(s, &two, &o) ||
	    !scn_send_expect(s, ses, "invoice 2 online: 440", &two, NULL,
			     KSEF_INVOICE_STATUS_DUPLICATE, &again) ||
	    !scn_check(s, "440 names the batch's invoice",
		       strcmp(again.duplicate_of, batched) == 0,
		       "it names '%s', the batch's is %s", again.duplicate_of,
		       batched))
		goto out;
	(void)scn_close_expect(s, ses, KSEF_SESSION_CODE_NO_VALID);
out:
	batch_files_remove(&files);
	ksef_batch_free(b);
	ksef_buf_dispose(&one);
	ksef_buf_dispose(&two);
	ksef_session_free(ses);
	scn_party_free(&p);
}
