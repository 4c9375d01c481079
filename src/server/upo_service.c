/*
 * upo_service.c - owns the UPO receipts of ksefd. A UPO is built from the
 * stored invoice and session (libksef's ksef_upo_build), signed with the
 * server's UPO key in XAdES-BES (ksef_upo_sign), stored, and from then on
 * served from the store byte for byte: a receipt must not change between
 * two downloads, and RSA signing (about a millisecond) happens once per
 * document, never while an invoice is being accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "presign.h"
#include "upo_service.h"

static char *pem_of(const char *b64)
{
	size_t n = strlen(b64), lines = n / 64 + 2, i, o = 0;
	char *pem = malloc(n + lines + 64);

	if (pem == NULL)
		return NULL;
	o += (size_t)sprintf(pem, "-----BEGIN CERTIFICATE-----\n");
	for (i = 0; i < n; i += 64) {
		size_t k = n - i < 64 ? n - i : 64;

		memcpy(pem + o, b64 + i, k);
		o += k;
		pem[o++] = '\n';
	}
	sprintf(pem + o, "-----END CERTIFICATE-----\n");
	return pem;
}

int upo_service_init(struct server *srv, ksef_error *err)
{
	struct ring_key *rk;
	int error;

	if ((error = keyring_refresh(srv, err)) != 0)
		return error;
	keyring_lock(srv);
	rk = keyring_current(srv, KEY_USAGE_UPO_SIGNING, server_now_ms());
	if (rk == NULL) {
		keyring_unlock(srv);
		return ksef_error_set(err, KSEF_ENOTFOUND,
				      "no UPO signing key in the store");
	}
	srv->upo_cert_pem = pem_of(rk->key->cert_b64);
	error = srv->upo_cert_pem == NULL ?
		ksef_error_set(err, KSEF_ENOMEM, "out of memory") :
		ksef_upo_signer_new(&srv->upo_signer, rk->key->key_pem,
			rk->key->key_pem_len,
			(const unsigned char *)srv->upo_cert_pem,
			strlen(srv->upo_cert_pem), err);
	keyring_unlock(srv);
	return error;
}

void upo_service_free(struct server *srv)
{
	ksef_upo_signer_free(srv->upo_signer);
	srv->upo_signer = NULL;
	free(srv->upo_cert_pem);
	srv->upo_cert_pem = NULL;
}

const char *upo_certificate_pem(struct server *srv)
{
	return srv->upo_cert_pem;
}

static ksef_upo_context_type context_type(const char *t)
{
	if (strcmp(t, "InternalId") == 0)
		return KSEF_UPO_CONTEXT_INTERNAL_ID;
	if (strcmp(t, "NipVatUe") == 0)
		return KSEF_UPO_CONTEXT_NIP_VAT_UE;
	if (strcmp(t, "PeppolId") == 0)
		return KSEF_UPO_CONTEXT_PEPPOL_ID;
	return KSEF_UPO_CONTEXT_NIP;
}

static void document_of(ksef_upo_document *d, const store_invoice *inv)
{
	ksef_date issue;

	memset(d, 0, sizeof(*d));
	d->seller_nip = inv->seller_nip;
	d->ksef_number = inv->ksef_number;
	d->invoice_number = inv->invoice_number;
	if (ksef_date_parse(&issue, inv->issue_date, strlen(inv->issue_date),
			    NULL) != 0)
		issue = ksef_time_date(ksef_time_warsaw(inv->invoicing_ms));
	d->issue_date = issue;
	/* The examples give both times in Polish local time. */
	d->sent_at = ksef_time_warsaw(inv->invoicing_ms);
	d->numbered_at = ksef_time_warsaw(inv->acquisition_ms);
	d->invoice_hash = inv->invoice_hash;
	d->mode = strcmp(inv->invoicing_mode, "Offline") == 0 ?
		  KSEF_UPO_MODE_OFFLINE : KSEF_UPO_MODE_ONLINE;
}

/* The parts of a UPO that come from the session and its authentication
 * (kept in the session: the operation itself is purged in time). */
static void desc_of(ksef_upo_desc *desc, const store_session *s)
{
	ksef_upo_desc init = KSEF_UPO_DESC_INIT;

	*desc = init;
	desc->session_reference = s->ref;
	desc->context_type = context_type(s->ctx_type);
	desc->context_id = s->ctx_value;
	desc->form = (ksef_form)s->form;
	if (s->auth_token_ref[0] != '\0') {
		desc->auth_type = KSEF_UPO_AUTH_TOKEN;
		desc->auth_value = s->auth_token_ref;
	} else {
		desc->auth_type = KSEF_UPO_AUTH_DOCUMENT_HASH;
		desc->auth_value = s->auth_doc_hash;
	}
}

/* Build, sign, keep; then read back what was kept (another request may
 * have kept its copy first). */
static int make_and_keep(struct server *srv, const char *key,
			 const ksef_upo_desc *desc, ksef_buf *out,
			 ksef_error *err)
{
	ksef_buf signed_xml = KSEF_BUF_INIT;
	int error;

	if (srv->upo_signer == NULL)
		return ksef_error_set(err, KSEF_EINVAL, "no UPO signer");
	if ((error = ksef_upo_build_signed(&signed_xml, desc, srv->upo_signer,
					   NULL, err)) != 0)
		return error;
	error = store_upo_put(srv->store, key, signed_xml.ptr, signed_xml.size,
			      err);
	ksef_buf_dispose(&signed_xml);
	if (error != 0)
		return store_result_code(error);
	return store_result_code(store_upo_get(srv->store, key, out, err));
}

int upo_for_invoice(struct server *srv, const store_session *s,
		    const store_invoice *inv, ksef_buf *out, ksef_error *err)
{
	ksef_upo_desc desc;
	ksef_upo_document doc;
	const ksef_upo_document *docp = &doc;

	if (inv->status != 200)
		return ksef_error_set(err, KSEF_ENOTFOUND, "no UPO yet");
	if (store_upo_get(srv->store, inv->ref, out, NULL) == 0)
		return 0;
	desc_of(&desc, s);
	document_of(&doc, inv);
	desc.documents = &docp;
	desc.document_count = 1;
	return make_and_keep(srv, inv->ref, &desc, out, err);
}

int upo_assign_pages(struct server *srv, const char *session_ref,
		     ksef_error *err)
{
	char (*refs)[STORE_REF_SZ];
	store_session s;
	size_t pages, i;
	int error;

	if ((error = store_session_get(srv->store, session_ref, &s, err)) != 0)
		return store_result_code(error);
	if (s.status != 200 || s.success_count <= 0)
		return 0;
	pages = ((size_t)s.success_count + (size_t)srv->cfg.upo_page_size - 1) /
		(size_t)srv->cfg.upo_page_size;
	refs = calloc(pages, sizeof(*refs));
	if (refs == NULL)
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	for (i = 0; i < pages; i++)
		if ((error = ksef_refnum_generate(refs[i], KSEF_REFNUM_UPO,
				ksef_time_warsaw(server_now_ms()), err)) != 0)
			break;
	if (error == 0)
		error = store_result_code(store_upo_pages_set(srv->store,
					  session_ref, refs, pages, err));
	free(refs);
	return error;
}

int upo_for_page(struct server *srv, const store_session *s,
		 const char *page_ref, ksef_buf *out, ksef_error *err)
{
	char (*refs)[STORE_REF_SZ] = NULL;
	size_t npages = 0, page, i, size = (size_t)srv->cfg.upo_page_size,
	       got = 0, total = (size_t)s->success_count;
	store_invoice *rows = NULL;
	ksef_upo_document *docs = NULL;
	const ksef_upo_document **ptrs = NULL;
	ksef_upo_desc desc;
	ksef_upo_page info;
	int after = 0, error;

	if ((error = store_upo_pages(srv->store, s->ref, &refs, &npages,
				     err)) != 0)
		return store_result_code(error);
	for (page = 0; page < npages && strcmp(refs[page], page_ref); page++)
		;
	free(refs);
	if (page == npages)
		return ksef_error_set(err, KSEF_ENOTFOUND, "no such UPO page");
	if (store_upo_get(srv->store, page_ref, out, NULL) == 0)
		return 0;
	/* Skip to the page: accepted invoices in ordinal order. */
	for (i = 0; i <= page; i++) {
		free(rows);
		rows = NULL;
		if ((error = store_invoices_accepted(srv->store, s->ref, after,
				size, &rows, &got, err)) != 0)
			return store_result_code(error);
		if (got == 0)
			break;
		after = rows[got - 1].ordinal;
	}
	if (got == 0) {
		free(rows);
		return ksef_error_set(err, KSEF_ENOTFOUND, "UPO page is empty");
	}
	docs = calloc(got, sizeof(*docs));
	ptrs = calloc(got, sizeof(*ptrs));
	if (docs == NULL || ptrs == NULL) {
		free(ptrs);
		free(docs);
		free(rows);
		return ksef_error_set(err, KSEF_ENOMEM, "out of memory");
	}
	for (i = 0; i < got; i++) {
		document_of(&docs[i], &rows[i]);
		ptrs[i] = &docs[i];
	}
	desc_of(&desc, s);
	/* Inclusive range, as the examples write it (SPEC 13 #7). */
	info.page = page + 1;
	info.page_count = npages;
	info.first = page * size + 1;
	info.last = page * size + got;
	info.total = total;
	desc.page = &info;
	desc.documents = ptrs;
	desc.document_count = got;
	error = make_and_keep(srv, page_ref, &desc, out, err);
	free(ptrs);
	free(docs);
	free(rows);
	return error;
}

char *upo_invoice_link(struct request *req, const store_invoice *inv,
		       int64_t *expires_ms)
{
	char path[160];

	*expires_ms = server_now_ms() + req->srv->cfg.download_url_ttl_ms;
	snprintf(path, sizeof(path), "/storage/%s/invoice-upo/%s.xml",
		 inv->session_ref, inv->ref);
	return presign_url(req, path, *expires_ms);
}

char *upo_page_link(struct request *req, const char *session_ref,
		    const char *page_ref, int64_t *expires_ms)
{
	char path[160];

	*expires_ms = server_now_ms() + req->srv->cfg.download_url_ttl_ms;
	snprintf(path, sizeof(path), "/storage/%s/session-upo/%s.xml",
		 session_ref, page_ref);
	return presign_url(req, path, *expires_ms);
}
