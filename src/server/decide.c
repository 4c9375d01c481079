/*
 * decide.c - owns an invoice's verification verdict (decide.h): decrypt,
 * check the declared size and hash, libksef's verification, the seller's
 * right to issue in the session's context, and the KSeF number of an
 * accepted invoice (decide_plaintext() alone for an invoice of a batch
 * package, which comes decrypted). Every refusal carries the detail the
 * status answers show. It writes nothing to the store: the send path
 * and the recovery of invoices left by an older ksefd both store its
 * verdict. It reads only test data (testdata.c), and only for what is
 * rare: a seller other than the context's NIP, and a technical
 * correction of an offline invoice, which may carry an attachment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>
#include "ctx_limits.h"
#include "decide.h"
#include "faults.h"
#include "invoice_meta.h"
#include "metrics.h"
#include "session_keys.h"
#include "testdata.h"

/* details as a JSON array text of one or more strings. */
static void set_details(store_invoice *inv, const char *const *lines,
			size_t n)
{
	json_t *a = json_array();
	char *s;
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(lines[i]));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	inv->status_details[0] = '\0';
	/* Cut whole details off rather than store broken JSON. */
	while (s != NULL && strlen(s) >= sizeof(inv->status_details) && n > 1) {
		free(s);
		n--;
		a = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(a, json_string(lines[i]));
		s = json_dumps(a, JSON_COMPACT);
		json_decref(a);
	}
	if (s != NULL && strlen(s) < sizeof(inv->status_details))
		strcpy(inv->status_details, s);
	free(s);
}

void decide_refuse(store_invoice *inv, int status, const char *line)
{
	inv->status = status;
	set_details(inv, &line, 1);
}

static void set_detail(store_invoice *inv, const char *line)
{
	set_details(inv, &line, 1);
}

static void copy_field(char *dst, size_t size, const ksef_verdict *v,
		       ksef_field f)
{
	const char *s = ksef_verdict_field(v, f);

	if (s != NULL && strlen(s) < size)
		strcpy(dst, s);
}

/* The seller may issue invoices in this context (SPEC 8.10): its NIP is
 * the context's, or the NIP part of an InternalId/NipVatUe context; or
 * test data relates the two (a VAT group member or JST subunit for its
 * parent, a bailiff or enforcement authority for a debtor). */
static int seller_allowed(struct server *srv, const store_session *s,
			  const char *seller)
{
	if (seller == NULL || strlen(seller) != 10)
		return 0;
	if (strcmp(s->ctx_type, "Nip") == 0 ?
	    strcmp(s->ctx_value, seller) == 0 :
	    strncmp(s->ctx_value, seller, 10) == 0)
		return 1;
	return testdata_seller_related(srv, s->ctx_type, s->ctx_value,
				       seller);
}

static void assign_number(store_invoice *inv, const char *p1)
{
	int64_t now = server_now_ms();
	ksef_date today = ksef_time_date(ksef_time_warsaw(now)),
		  invoicing = ksef_time_date(ksef_time_warsaw(inv->invoicing_ms)),
		  issue;
	unsigned char rnd[6];
	uint64_t tech = 0;
	size_t i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		tech = (tech << 8) | rnd[i];
	if (ksef_number_generate(inv->ksef_number, inv->seller_nip,
				 strlen(inv->seller_nip), today, tech,
				 NULL) != 0)
		inv->ksef_number[0] = '\0';
	inv->acquisition_ms = now;
	/* Permanent storage follows acquisition (SPEC 4.16: always later);
	 * the write that stores the invoice sets it (store_invoice_add). */
	inv->permanent_storage_ms = now + 1;
	/* offline/automatyczne-okreslanie-trybu-offline.md: an issue date
	 * before the day of sending makes the invoice an offline one. */
	if (inv->offline_mode ||
	    (p1 && ksef_date_parse(&issue, p1, strlen(p1), NULL) == 0 &&
	     ksef_date_cmp(issue, invoicing) < 0))
		strcpy(inv->invoicing_mode, "Offline");
	else
		strcpy(inv->invoicing_mode, "Online");
}

static void verify_plaintext(struct server *srv, const store_session *s,
			     store_invoice *inv, ksef_buf *plain);

static int64_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void decrypt_and_verify(struct server *srv, const store_session *s,
			       const unsigned char *ct, size_t ct_len,
			       store_invoice *inv, ksef_buf *plain)
{
	char hash[KSEF_SHA256_B64_LEN + 1], line[512];

	if (session_keys_decrypt(srv->session_keys, s, ct, ct_len, plain,
				 NULL) != 0) {
		inv->status = 435;
		set_detail(inv, "Nie udało się odszyfrować faktury kluczem "
			   "sesji (AES-256-CBC, PKCS#7).");
		goto refused;
	}
	if ((int64_t)plain->size != inv->invoice_size) {
		inv->status = 430;
		snprintf(line, sizeof(line), "Rozmiar odszyfrowanej faktury "
			 "(%zu) nie zgadza się z invoiceSize (%lld).",
			 plain->size, (long long)inv->invoice_size);
		set_detail(inv, line);
		goto refused;
	}
	if (ksef_sha256_base64(hash, plain->ptr, plain->size, NULL) != 0 ||
	    strcmp(hash, inv->invoice_hash) != 0) {
		inv->status = 430;
		set_detail(inv, "Skrót odszyfrowanej faktury nie zgadza się z "
			   "invoiceHash.");
		goto refused;
	}
	verify_plaintext(srv, s, inv, plain);
	return;
refused:
	ksef_buf_dispose_secure(plain);
}

/* The verification's time, for metrics.c: every invoice, online or in a
 * batch package, accepted or refused, passes one of these two. */
void decide_invoice(struct server *srv, const store_session *s,
		    const unsigned char *ct, size_t ct_len,
		    store_invoice *inv, ksef_buf *plain)
{
	int64_t start = monotonic_us();

	decrypt_and_verify(srv, s, ct, ct_len, inv, plain);
	metrics_verification(srv->metrics, monotonic_us() - start);
}

void decide_plaintext(struct server *srv, const store_session *s,
		      store_invoice *inv, ksef_buf *plain)
{
	int64_t start = monotonic_us();

	verify_plaintext(srv, s, inv, plain);
	metrics_verification(srv->metrics, monotonic_us() - start);
}

static void verify_plaintext(struct server *srv, const store_session *s,
			     store_invoice *inv, ksef_buf *plain)
{
	ksef_verify_options opts = KSEF_VERIFY_OPTIONS_INIT;
	char date[KSEF_DATE_BUFSZ], line[512];
	const char *details[KSEF_VERIFY_MAX_DETAILS];
	ksef_verdict *v = NULL;
	ksef_error err;
	size_t i, n;
	int correction, consent;

	/* limits: the context's size limit; 0 MB takes nothing (libksef reads
	 * a 0 as its default). */
	opts.max_bytes = ctx_limits_invoice_bytes(srv->ctx_limits, s->ctx_type,
		s->ctx_value, srv->cfg.max_invoice_bytes);
	if (opts.max_bytes == 0)
		opts.max_bytes = 1;
	/* Attachments go only in batch sessions, except in a technical
	 * correction of an offline invoice, and then only where the
	 * context has the consent (faktury/weryfikacja-faktury.md,
	 * "Ograniczenia dotyczące załączników"; uprawnienia.md). */
	correction = inv->hash_of_corrected[0] != '\0' && inv->offline_mode;
	consent = testdata_attachments_allowed(srv, s->ctx_type, s->ctx_value,
					       server_now_ms(), NULL);
	opts.reject_attachments = inv->file_name[0] != '\0' ? !consent :
		!correction || !consent;
	if (ksef_date_format(date, ksef_time_date(ksef_time_warsaw(
			     inv->invoicing_ms)), NULL) == 0)
		opts.acceptance_date = date;
	opts.check_nip_checksums = srv->cfg.production;
	opts.cpu_budget_ms = (unsigned)srv->cfg.invoice_cpu_ms;
	if (ksef_invoice_verify(&v, srv->schemas, (ksef_form)s->form,
				plain->ptr, plain->size, &opts, &err) != 0) {
		inv->status = 500;
		set_detail(inv, err.message);
		goto refused;
	}
	copy_field(inv->invoice_number, sizeof(inv->invoice_number), v,
		   KSEF_FIELD_INVOICE_NUMBER);
	copy_field(inv->seller_nip, sizeof(inv->seller_nip), v,
		   KSEF_FIELD_SELLER_NIP);
	copy_field(inv->invoice_kind, sizeof(inv->invoice_kind), v,
		   KSEF_FIELD_INVOICE_KIND);
	copy_field(inv->issue_date, sizeof(inv->issue_date), v,
		   KSEF_FIELD_ISSUE_DATE);
	inv->status = ksef_verdict_status(v);
	if (inv->status == KSEF_INVOICE_STATUS_ATTACHMENT &&
	    (correction || inv->file_name[0] != '\0')) {
		snprintf(line, sizeof(line), "Brak zgody na wystawianie "
			 "faktur z załącznikiem w kontekście %s %s.",
			 s->ctx_type, s->ctx_value);
		set_detail(inv, line);
		goto refused;
	}
	if (inv->status != KSEF_INVOICE_STATUS_OK) {
		n = ksef_verdict_detail_count(v);
		for (i = 0; i < n; i++)
			details[i] = ksef_verdict_detail(v, i);
		set_details(inv, details, n);
		goto refused;
	}
	if (!seller_allowed(srv, s, inv->seller_nip)) {
		inv->status = 410;
		snprintf(line, sizeof(line), "Brak uprawnień do wystawienia "
			 "faktury w imieniu podmiotu %s w kontekście %s %s.",
			 inv->seller_nip, s->ctx_type, s->ctx_value);
		set_detail(inv, line);
		goto refused;
	}
	/* fault injection (faults.c): a rule may refuse it all the same. */
	if (faults_verify(srv, s, &inv->status, line, sizeof(line))) {
		set_detail(inv, line);
		goto refused;
	}
	assign_number(inv, ksef_verdict_field(v, KSEF_FIELD_ISSUE_DATE));
	if (inv->meta != NULL)
		invoice_meta_from_verdict(inv->meta, v, s->form);
	ksef_verdict_free(v);
	return;
refused:
	ksef_verdict_free(v);
	ksef_buf_dispose_secure(plain);
}
