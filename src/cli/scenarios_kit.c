/*
 * scenarios_kit.c - the steps of `ksef scenarios` and the kit the
 * scenarios share: recording a step, a taxpayer of the run (a random NIP
 * and a self-signed seal of it) logged in by XAdES, invoices from the
 * generator, sending one and waiting for its verdict, closing a session,
 * and reading a field of a UPO. Everything goes through libksef's public
 * API, as any integrator's program would; the scenarios themselves are
 * in scenarios_*.c, their table and the reports in cmd_scenarios.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "config.h"
#include "scenarios.h"

uint64_t scn_seed;

static char *vformat(const char *fmt, va_list ap)
{
	char buf[1024];

	if (fmt == NULL)
		return NULL;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	return strdup(buf);
}

/* Record one step that ends now. Out of memory loses the step but fails
 * the scenario: a run never passes on what it could not record. */
static int record(struct scn *s, const char *name, int passed, char *message)
{
	int64_t now = ksef_time_now().unix_ms;
	struct scn_step *st;

	if (s->nsteps == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct scn_step *n = realloc(s->steps, cap * sizeof(*n));

		if (n == NULL) {
			free(message);
			s->failed = 1;
			return passed;
		}
		s->steps = n;
		s->cap = cap;
	}
	st = &s->steps[s->nsteps];
	if ((st->name = strdup(name)) == NULL) {
		free(message);
		s->failed = 1;
		return passed;
	}
	s->nsteps++;
	st->passed = passed;
	st->message = message;
	st->seconds = (double)(now - s->mark_ms) / 1000.0;
	s->mark_ms = now;
	if (!passed)
		s->failed = 1;
	if (s->live) {
		printf("  %s  %s%s%s\n", passed ? "PASS" : "FAIL", name,
		       message ? ": " : "", message ? message : "");
		fflush(stdout);
	}
	return passed;
}

int scn_pass(struct scn *s, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	m = vformat(fmt, ap);
	va_end(ap);
	return record(s, name, 1, m);
}

int scn_fail(struct scn *s, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	m = vformat(fmt, ap);
	va_end(ap);
	return record(s, name, 0, m);
}

int scn_check(struct scn *s, const char *name, int ok, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;

	if (!ok) {
		va_start(ap, fmt);
		m = vformat(fmt, ap);
		va_end(ap);
	}
	return record(s, name, ok, m);
}

int scn_call(struct scn *s, const char *name, int rc, const ksef_error *err)
{
	if (rc == 0)
		return record(s, name, 1, NULL);
	return scn_fail(s, name, "%s: %s", ksef_strerror(rc),
			err && err->message[0] ? err->message : "no detail");
}

void scn_dispose(struct scn *s)
{
	size_t i;

	for (i = 0; i < s->nsteps; i++) {
		free(s->steps[i].name);
		free(s->steps[i].message);
	}
	free(s->steps);
	s->steps = NULL;
	s->nsteps = s->cap = 0;
}

/*
 * Taxpayers
 */

int scn_party_make(struct scn *s, struct scn_party *p)
{
	ksef_xades_cert_options co = KSEF_XADES_CERT_OPTIONS_INIT;
	ksef_buf key = KSEF_BUF_INIT, cert = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	char ident[32];
	int rc;

	memset(p, 0, sizeof(*p));
	/* A random NIP per party: on the shared TEST environment nobody
	 * else's invoices or permissions are in its context
	 * (srodowiska.md: "Do testów należy używać losowych identyfikatorów
	 * NIP"), and its check digit is right, so DEMO takes it too. */
	if ((rc = ksef_nip_generate(p->nip, &err)) != 0)
		return scn_call(s, "a random NIP", rc, &err);
	/* The company seal the official clients' tests make for TEST
	 * (auth/testowe-certyfikaty-i-podpisy-xades.md); P-256 keys are
	 * quick to make and podpis-xades.md accepts them. */
	snprintf(ident, sizeof(ident), "VATPL-%s", p->nip);
	co.kind = KSEF_XADES_CERT_SEAL;
	co.key_type = KSEF_XADES_KEY_EC_P256;
	co.organization_name = "Scenariusz testowy sp. z o.o.";
	co.organization_identifier = ident;
	co.common_name = "Scenariusz testowy sp. z o.o.";
	rc = ksef_xades_cert_generate(&key, &cert, &co, &err);
	if (rc == 0)
		rc = ksef_xades_signer_new(&p->signer, key.ptr, key.size,
					   cert.ptr, cert.size, NULL, &err);
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&cert);
	if (rc != 0)
		return scn_call(s, "a self-signed seal", rc, &err);
	return scn_pass(s, "a random NIP and a self-signed seal", "%s (%s)",
			p->nip, ident);
}

static int conn_for(ksef_conn **out, struct scn_party *p, const char *ctx,
		    const char *base, long timeout_ms, ksef_error *err)
{
	ksef_conn_options co = KSEF_CONN_OPTIONS_INIT;
	ksef_client_options copts = KSEF_CLIENT_OPTIONS_INIT;

	copts.base_url = base;
	co.client = &copts;
	co.context_type = KSEF_CONTEXT_NIP;
	co.context_value = ctx ? ctx : p->nip;
	co.signer = p->signer;
	co.subject_type = KSEF_XADES_SUBJECT_CERTIFICATE;
	co.auth_timeout_ms = timeout_ms;
	return ksef_conn_prepare(out, &co, err);
}

int scn_login(struct scn *s, struct scn_party *p, const char *ctx_nip)
{
	/* Names without the NIP, which changes every run: CI systems follow
	 * a test case by its name from run to run. */
	const char *name = ctx_nip ? "XAdES login into another's context" :
			   "XAdES login into its own context";
	ksef_error err = { 0, 0, "" };
	int rc;

	rc = conn_for(&p->conn, p, ctx_nip, s->base_url, s->timeout_ms, &err);
	if (rc == 0)
		rc = ksef_conn_refresh(p->conn, &err);
	if (rc == 0)
		rc = cli_client_new(&p->client, s->base_url, &err);
	if (rc == 0)
		rc = ksef_conn_authorize(p->client, p->conn, &err);
	if (rc != 0)
		return scn_call(s, name, rc, &err);
	return scn_pass(s, name, "Nip %s", ctx_nip ? ctx_nip : p->nip);
}

int scn_login_again(struct scn *s, struct scn_party *p, ksef_conn **out)
{
	ksef_error err = { 0, 0, "" };
	int rc;

	rc = conn_for(out, p, NULL, s->base_url, s->timeout_ms, &err);
	if (rc == 0)
		rc = ksef_conn_refresh(*out, &err);
	return scn_call(s, "a second XAdES login into the same context", rc,
			&err);
}

int scn_try_login(struct scn_party *p, const char *ctx_nip, const char *base,
		  int *code_out, ksef_error *err)
{
	ksef_conn *c = NULL;
	int rc;

	*code_out = 0;
	rc = conn_for(&c, p, ctx_nip, base, 120000, err);
	if (rc == 0)
		rc = ksef_conn_refresh(c, err);
	*code_out = c ? ksef_conn_auth_status(c) : 0;
	ksef_conn_free(c);
	return rc;
}

int scn_authorize(struct scn_party *p, ksef_error *err)
{
	return ksef_conn_authorize(p->client, p->conn, err);
}

void scn_party_free(struct scn_party *p)
{
	ksef_client_free(p->client);
	ksef_conn_free(p->conn);
	ksef_xades_signer_free(p->signer);
	memset(p, 0, sizeof(*p));
}

/*
 * Invoices
 */

int scn_generate(struct scn *s, ksef_buf *out, const struct scn_invoice *o)
{
	ksef_gen_options g = KSEF_GEN_OPTIONS_INIT;
	ksef_error err = { 0, 0, "" };
	int rc;

	g.form = o->form;
	g.seller_nip = o->seller;
	g.buyer_nip = o->buyer;
	g.issue_date = o->date;
	g.target_bytes = o->bytes;
	g.seed = scn_seed;
	rc = ksef_gen_invoice(out, &g, o->index, &err);
	return rc == 0 ? 1 : scn_call(s, "generate an invoice", rc, &err);
}

void scn_date(char out[KSEF_DATE_BUFSZ], int days)
{
	ksef_time t = ksef_time_warsaw(ksef_time_now().unix_ms +
				       (int64_t)days * 86400000);

	if (ksef_date_format(out, ksef_time_date(t), NULL) != 0)
		snprintf(out, KSEF_DATE_BUFSZ, "?");
}

int scn_open(struct scn *s, struct scn_party *p, ksef_form form,
	     ksef_session **out)
{
	ksef_error err = { 0, 0, "" };
	char name[80];
	int rc;

	snprintf(name, sizeof(name), "open an interactive session (%s)",
		 ksef_form_code_of(form).system_code);
	rc = ksef_session_open(out, p->conn, form, &err);
	if (rc != 0)
		return scn_call(s, name, rc, &err);
	return scn_pass(s, name, "%s", ksef_session_reference(*out));
}

int scn_send_expect(struct scn *s, ksef_session *ses, const char *name,
		    const ksef_buf *xml, const ksef_client_send_options *o,
		    int want, struct scn_sent *out)
{
	const ksef_session_invoice *inv;
	struct scn_sent local;
	ksef_error err = { 0, 0, "" };
	size_t n;
	int rc;

	if (out == NULL)
		out = &local;
	memset(out, 0, sizeof(*out));
	if ((rc = ksef_sha256_base64(out->hash, xml->ptr, xml->size,
				     &err)) != 0 ||
	    (rc = ksef_session_send(out->ref, ses, xml->ptr, xml->size, o,
				    &err)) != 0 ||
	    (rc = ksef_session_wait(ses, s->timeout_ms, &err)) != 0)
		return scn_call(s, name, rc, &err);
	n = ksef_session_invoice_count(ses);
	inv = n ? ksef_session_invoice_at(ses, n - 1) : NULL;
	if (inv == NULL)
		return scn_fail(s, name, "the session lists no invoice");
	out->status = inv->status;
	snprintf(out->ksef_number, sizeof(out->ksef_number), "%s",
		 inv->ksef_number ? inv->ksef_number : "");
	snprintf(out->duplicate_of, sizeof(out->duplicate_of), "%s",
		 inv->duplicate_of ? inv->duplicate_of : "");
	snprintf(out->details, sizeof(out->details), "%s",
		 inv->details ? inv->details : "");
	if (inv->status != want)
		return scn_fail(s, name, "status %d (%s%s%s), expected %d",
				inv->status, inv->description ?
				inv->description : "", inv->details ? ": " : "",
				inv->details ? inv->details : "", want);
	if (want == KSEF_INVOICE_STATUS_OK)
		return scn_pass(s, name, "%d %s", inv->status,
				out->ksef_number);
	return scn_pass(s, name, "%d%s%s", inv->status,
			inv->details ? ": " : "",
			inv->details ? inv->details : "");
}

int scn_mode_is(struct scn *s, struct scn_party *p, const char *sref,
		const struct scn_sent *sent, const char *want)
{
	ksef_api_invoice_status *st = NULL;
	ksef_error err = { 0, 0, "" };
	char name[80];
	int rc;

	snprintf(name, sizeof(name), "its invoicingMode is %s", want);
	if ((rc = scn_authorize(p, &err)) != 0 ||
	    (rc = ksef_client_session_invoice(&st, p->client, sref, sent->ref,
					      &err)) != 0)
		return scn_call(s, name, rc, &err);
	rc = scn_check(s, name, st->invoicing_mode != NULL &&
		       strcmp(st->invoicing_mode, want) == 0, "it is %s",
		       st->invoicing_mode ? st->invoicing_mode : "absent");
	ksef_api_invoice_status_free(st);
	return rc;
}

int scn_close_expect(struct scn *s, ksef_session *ses, int want)
{
	ksef_error err = { 0, 0, "" };
	char name[64];
	int rc, code;

	snprintf(name, sizeof(name), "close the session: status %d", want);
	if ((rc = ksef_session_close(ses, &err)) != 0 ||
	    (rc = ksef_session_wait(ses, s->timeout_ms, &err)) != 0)
		return scn_call(s, name, rc, &err);
	code = ksef_session_status(ses);
	return scn_check(s, name, code == want, "status %d (%s), expected %d",
			 code, ksef_session_status_description(code) ?
			 ksef_session_status_description(code) : "?", want);
}

/*
 * Reading and editing documents
 */

/* Whether c ends an element's name. */
static int name_end(char c)
{
	return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\n' ||
	       c == '\r';
}

int scn_xml_text(char *out, size_t size, const ksef_buf *doc,
		 const char *name)
{
	const char *p = (const char *)doc->ptr, *end = p + doc->size;
	size_t nlen = strlen(name);

	/* A UPO is a few kilobytes of the server's; its fields are digits,
	 * dates, Base64 and invoice numbers, which a scenario compares
	 * byte for byte, so entities are not decoded. */
	while (p != NULL && p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		const char *n, *q, *text;
		size_t tlen;

		if (lt == NULL)
			break;
		p = lt + 1;
		/* The start tag's name, after its prefix if it has one. */
		for (n = q = lt + 1; q < end && !name_end(*q); q++)
			if (*q == ':')
				n = q + 1;
		if ((size_t)(q - n) != nlen || memcmp(n, name, nlen) != 0 ||
		    q == lt + 1)
			continue;
		while (q < end && *q != '>')
			q++;
		if (q >= end || q[-1] == '/')
			continue; /* cut short, or an empty element */
		text = q + 1;
		q = memchr(text, '<', (size_t)(end - text));
		if (q == NULL || size == 0)
			break;
		tlen = (size_t)(q - text);
		if (tlen >= size)
			tlen = size - 1;
		memcpy(out, text, tlen);
		out[tlen] = '\0';
		return 0;
	}
	return -1;
}

int scn_replace(ksef_buf *doc, const char *after, const char *from,
		const char *to)
{
	ksef_buf out = KSEF_BUF_INIT;
	const char *base = (const char *)doc->ptr, *at = base, *hit;
	size_t flen = strlen(from), off;

	if (base == NULL)
		return -1;
	if (after != NULL) {
		at = strstr(base, after);
		if (at == NULL)
			return -1;
	}
	hit = strstr(at, from);
	if (hit == NULL)
		return -1;
	off = (size_t)(hit - base);
	if (ksef_buf_append(&out, base, off, KSEF_INVOICE_MAX_BYTES) != 0 ||
	    ksef_buf_append(&out, to, strlen(to),
			    KSEF_INVOICE_MAX_BYTES) != 0 ||
	    ksef_buf_append(&out, hit + flen, doc->size - off - flen,
			    KSEF_INVOICE_MAX_BYTES) != 0) {
		ksef_buf_dispose(&out);
		return -1;
	}
	ksef_buf_dispose(doc);
	*doc = out;
	return 0;
}
