/*
 * e2e.c - what the end-to-end programs share: logging in to ksefd with a
 * KSeF token or a XAdES signature of a test certificate through
 * libksef's client, opening sessions, generating and sending invoices,
 * waiting for verdicts.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "e2e.h"

int e2e_sleep_us(unsigned us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	return nanosleep(&ts, NULL);
}

ksef_client *client_for(const struct ksefd_proc *p)
{
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;
	ksef_error err;

	o.base_url = p->base_url;
	o.max_retry_after_s = 0; /* a 429 must show, not be waited out */
	if (ksef_client_new(&c, &o, &err) != 0)
		fail_msg("client: %s", err.message);
	return c;
}

void conn_options_for(ksef_conn_options *o, ksef_client_options *client,
		      const struct ksefd_proc *p, const char *nip)
{
	ksef_conn_options init = KSEF_CONN_OPTIONS_INIT;
	ksef_client_options client_init = KSEF_CLIENT_OPTIONS_INIT;

	*client = client_init;
	client->base_url = p->base_url;
	client->max_retry_after_s = 0; /* a 429 must show, not be waited out */
	*o = init;
	o->client = client;
	o->context_value = nip;
	o->poll_initial_ms = 20;
	o->poll_max_ms = 200;
}

ksef_pubkey *server_key(ksef_client *c, unsigned usage)
{
	ksef_api_pubkey_certs *certs = NULL;
	const ksef_api_pubkey_cert *pick;
	ksef_pubkey *key = NULL;
	ksef_error err;

	if (ksef_client_pubkey_certs(&certs, c, &err) != 0)
		fail_msg("certificates: %s", err.message);
	pick = ksef_api_pubkey_certs_pick(certs, usage,
					  ksef_time_now().unix_ms);
	assert_non_null(pick);
	if (ksef_pubkey_load(&key, (const unsigned char *)pick->certificate,
			     strlen(pick->certificate), &err) != 0)
		fail_msg("certificate: %s", err.message);
	assert_string_equal(ksef_pubkey_id(key), pick->public_key_id);
	ksef_api_pubkey_certs_free(certs);
	return key;
}

/* Poll an authentication's status until it leaves 100; returns it. This
 * and the waits below poll every 20 ms for up to 30 s: ksefd shows 100/150
 * for --processing-delay (500 ms) and a loaded machine, a sanitiser or
 * valgrind stretches that; a test must fail on a wrong answer, not on a
 * slow one. */
int auth_wait(ksef_client *c, const char *ref, const char *auth_token)
{
	ksef_api_auth_status *st = NULL;
	ksef_error err;
	int code, tries = 0;

	do {
		ksef_api_auth_status_free(st);
		st = NULL;
		if (ksef_client_auth_status(&st, c, ref, auth_token, &err) != 0)
			fail_msg("auth status: %s", err.message);
	} while (st->status->code == 100 && ++tries < 1500 &&
		 e2e_sleep_us(20000) == 0);
	code = st->status->code;
	ksef_api_auth_status_free(st);
	return code;
}

int authenticate(struct login *l, const struct ksefd_proc *p,
			const char *nip, const char *token, int64_t ts_skew)
{
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	ksef_pubkey *key;
	ksef_error err;
	int code;

	memset(l, 0, sizeof(*l));
	l->c = client_for(p);
	key = server_key(l->c, KSEF_KEY_USAGE_KSEF_TOKEN);
	if (ksef_client_auth_challenge(&ch, l->c, &err) != 0)
		fail_msg("challenge: %s", err.message);
	assert_int_equal(strlen(ch->challenge), 36);
	ch->timestamp_ms += ts_skew;
	if (ksef_client_auth_ksef_token(&init, l->c, ch, KSEF_CONTEXT_NIP, nip,
					token, key, NULL, &err) != 0)
		fail_msg("ksef-token: %s", err.message);
	snprintf(l->auth_ref, sizeof(l->auth_ref), "%s", init->reference_number);
	snprintf(l->auth_token, sizeof(l->auth_token), "%s",
		 init->authentication_token->token);
	code = auth_wait(l->c, l->auth_ref, l->auth_token);
	ksef_api_auth_init_free(init);
	ksef_api_challenge_free(ch);
	ksef_pubkey_free(key);
	return code;
}

void login(struct login *l, const struct ksefd_proc *p, const char *nip,
		  const char *token)
{
	ksef_error err;

	assert_int_equal(authenticate(l, p, nip, token, 0), 200);
	if (ksef_client_auth_redeem(&l->tokens, l->c, l->auth_token, &err) != 0)
		fail_msg("redeem: %s", err.message);
	if (ksef_client_set_access_token(l->c, l->tokens->access_token->token,
					 &err) != 0)
		fail_msg("set token: %s", err.message);
}

void login_xades(struct login *l, const struct ksefd_proc *p, const char *nip,
		 const char *subject_nip, const ksef_client_ip_policy *policy)
{
	ksef_xades_cert_options co = KSEF_XADES_CERT_OPTIONS_INIT;
	ksef_xades_auth_request ar = KSEF_XADES_AUTH_REQUEST_INIT;
	ksef_buf key = KSEF_BUF_INIT, cert = KSEF_BUF_INIT, doc = KSEF_BUF_INIT;
	ksef_xades_signer *signer = NULL;
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	char ident[40];
	ksef_error err;

	memset(l, 0, sizeof(*l));
	l->c = client_for(p);
	/* A company seal: with the context's NIP it is the owner; with
	 * another, it has what `ksefd grant` gave it (ksefd.md). */
	co.kind = KSEF_XADES_CERT_SEAL;
	co.key_type = KSEF_XADES_KEY_EC_P256;
	co.common_name = "Testowa sp. z o.o.";
	co.organization_name = "Testowa sp. z o.o.";
	snprintf(ident, sizeof(ident), "VATPL-%s", subject_nip);
	co.organization_identifier = ident;
	if (ksef_xades_cert_generate(&key, &cert, &co, &err) != 0 ||
	    ksef_xades_signer_new(&signer, key.ptr, key.size, cert.ptr,
				  cert.size, NULL, &err) != 0 ||
	    ksef_client_auth_challenge(&ch, l->c, &err) != 0)
		fail_msg("xades login: %s", err.message);
	ar.challenge = ch->challenge;
	ar.context_type = KSEF_CONTEXT_NIP;
	ar.context_value = nip;
	ar.ip_policy = policy;
	if (ksef_xades_sign_auth_request(&doc, &ar, signer, &err) != 0 ||
	    ksef_client_auth_xades(&init, l->c, doc.ptr, doc.size, 0,
				   &err) != 0)
		fail_msg("xades login: %s", err.message);
	snprintf(l->auth_ref, sizeof(l->auth_ref), "%s", init->reference_number);
	snprintf(l->auth_token, sizeof(l->auth_token), "%s",
		 init->authentication_token->token);
	assert_int_equal(auth_wait(l->c, l->auth_ref, l->auth_token), 200);
	if (ksef_client_auth_redeem(&l->tokens, l->c, l->auth_token, &err) != 0 ||
	    ksef_client_set_access_token(l->c, l->tokens->access_token->token,
					 &err) != 0)
		fail_msg("redeem: %s", err.message);
	ksef_api_auth_init_free(init);
	ksef_api_challenge_free(ch);
	ksef_xades_signer_free(signer);
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&cert);
	ksef_buf_dispose(&doc);
}

void logout(struct login *l)
{
	ksef_api_tokens_free(l->tokens);
	ksef_client_free(l->c);
	memset(l, 0, sizeof(*l));
}

void who_make(struct who *w, enum who_kind kind, const char *id)
{
	ksef_xades_cert_options co = KSEF_XADES_CERT_OPTIONS_INIT;
	ksef_xades_signer *s = NULL;
	char serial[48];
	ksef_error err;

	memset(w, 0, sizeof(*w));
	w->kind = kind;
	co.key_type = KSEF_XADES_KEY_EC_P256;
	co.common_name = "Test Testowy";
	if (kind == WHO_SEAL) {
		co.kind = KSEF_XADES_CERT_SEAL;
		co.organization_name = "Testowa sp. z o.o.";
		snprintf(serial, sizeof(serial), "VATPL-%s", id);
		co.organization_identifier = serial;
	} else {
		co.kind = KSEF_XADES_CERT_PERSON;
		co.given_name = "Test";
		co.surname = "Testowy";
		/* A fingerprint's certificate names no NIP nor PESEL that
		 * KSeF reads. */
		snprintf(serial, sizeof(serial), "%s-%s", kind == WHO_PESEL ?
			 "PNOPL" : kind == WHO_PERSON_NIP ? "TINPL" : "IDCDE",
			 id);
		co.serial_number = serial;
	}
	if (ksef_xades_cert_generate(&w->key, &w->cert, &co, &err) != 0 ||
	    ksef_xades_signer_new(&s, w->key.ptr, w->key.size, w->cert.ptr,
				  w->cert.size, NULL, &err) != 0)
		fail_msg("certificate: %s", err.message);
	snprintf(w->fp, sizeof(w->fp), "%s", ksef_xades_signer_fingerprint(s));
	ksef_xades_signer_free(s);
}

void who_free(struct who *w)
{
	ksef_buf_dispose_secure(&w->key);
	ksef_buf_dispose(&w->cert);
}

void xlogin_redeem(struct login *l)
{
	ksef_error err;

	if (ksef_client_auth_redeem(&l->tokens, l->c, l->auth_token,
				    &err) != 0 ||
	    ksef_client_set_access_token(l->c, l->tokens->access_token->token,
					 &err) != 0)
		fail_msg("redeem: %s", err.message);
}

/* The first detail of the authentication's status, or "". */
static void auth_detail(struct login *l, char *detail, size_t size)
{
	ksef_api_auth_status *st = NULL;
	ksef_error err;

	detail[0] = '\0';
	if (ksef_client_auth_status(&st, l->c, l->auth_ref, l->auth_token,
				    &err) != 0)
		fail_msg("auth status: %s", err.message);
	if (st->status->detail_count > 0)
		snprintf(detail, size, "%s", st->status->details[0]);
	ksef_api_auth_status_free(st);
}

int xlogin_ex(struct login *l, const struct ksefd_proc *p,
	      ksef_context_type ctx, const char *ctx_value,
	      const struct who *w, int redeem, char *detail,
	      size_t detail_size)
{
	ksef_xades_auth_request ar = KSEF_XADES_AUTH_REQUEST_INIT;
	ksef_xades_signer *signer = NULL;
	ksef_api_challenge *ch = NULL;
	ksef_api_auth_init *init = NULL;
	ksef_buf doc = KSEF_BUF_INIT;
	ksef_error err;
	int code;

	memset(l, 0, sizeof(*l));
	l->c = client_for(p);
	if (ksef_xades_signer_new(&signer, w->key.ptr, w->key.size,
				  w->cert.ptr, w->cert.size, NULL, &err) != 0 ||
	    ksef_client_auth_challenge(&ch, l->c, &err) != 0)
		fail_msg("xades login: %s", err.message);
	ar.challenge = ch->challenge;
	ar.context_type = ctx;
	ar.context_value = ctx_value;
	ar.subject_type = w->kind == WHO_FINGERPRINT ?
		KSEF_XADES_SUBJECT_FINGERPRINT : KSEF_XADES_SUBJECT_CERTIFICATE;
	if (ksef_xades_sign_auth_request(&doc, &ar, signer, &err) != 0 ||
	    ksef_client_auth_xades(&init, l->c, doc.ptr, doc.size, 0,
				   &err) != 0)
		fail_msg("xades login: %s", err.message);
	snprintf(l->auth_ref, sizeof(l->auth_ref), "%s",
		 init->reference_number);
	snprintf(l->auth_token, sizeof(l->auth_token), "%s",
		 init->authentication_token->token);
	code = auth_wait(l->c, l->auth_ref, l->auth_token);
	if (detail != NULL)
		auth_detail(l, detail, detail_size);
	if (code == 200 && redeem)
		xlogin_redeem(l);
	ksef_api_auth_init_free(init);
	ksef_api_challenge_free(ch);
	ksef_xades_signer_free(signer);
	ksef_buf_dispose(&doc);
	return code;
}

int xlogin(struct login *l, const struct ksefd_proc *p,
	   ksef_context_type ctx, const char *ctx_value, const struct who *w)
{
	return xlogin_ex(l, p, ctx, ctx_value, w, 1, NULL, 0);
}

void open_session(struct login *l, ksef_form form, ksef_envelope **env,
			 char ref[KSEF_REFNUM_BUFSZ])
{
	ksef_api_session_opened *s = NULL;
	ksef_pubkey *key = server_key(l->c, KSEF_KEY_USAGE_SYMMETRIC_KEY);
	ksef_error err;

	if (ksef_envelope_new(env, &err) != 0 ||
	    ksef_client_session_open(&s, l->c, form, *env, key, &err) != 0)
		fail_msg("open: %s", err.message);
	snprintf(ref, KSEF_REFNUM_BUFSZ, "%s", s->reference_number);
	ksef_api_session_opened_free(s);
	ksef_pubkey_free(key);
}

void gen(ksef_buf *out, ksef_form form, const char *nip,
		const char *prefix, uint64_t index, const char *date)
{
	ksef_gen_options o = KSEF_GEN_OPTIONS_INIT;
	ksef_error err;

	o.form = form;
	o.seller_nip = nip;
	o.number_prefix = prefix;
	o.issue_date = date;
	o.seed = 1;
	if (ksef_gen_invoice(out, &o, index, &err) != 0)
		fail_msg("gen: %s", err.message);
}

void send_xml(struct login *l, const char *sref, ksef_envelope *env,
		     const ksef_buf *xml, char iref[KSEF_REFNUM_BUFSZ])
{
	ksef_invoice_meta meta;
	ksef_error err;

	if (ksef_client_invoice_send(iref, &meta, l->c, sref, env, xml->ptr,
				     xml->size, NULL, &err) != 0)
		fail_msg("send: %s", err.message);
}

/* Poll an invoice until its status is final. */
ksef_api_invoice_status *wait_invoice(struct login *l, const char *sref,
					     const char *iref)
{
	ksef_api_invoice_status *st = NULL;
	ksef_error err;
	int tries = 0;

	for (;;) {
		if (ksef_client_session_invoice(&st, l->c, sref, iref, &err) != 0)
			fail_msg("invoice status: %s", err.message);
		if (st->status->code >= 200 || ++tries > 1500)
			return st;
		ksef_api_invoice_status_free(st);
		e2e_sleep_us(20000);
	}
}

int wait_session(struct login *l, const char *sref,
			ksef_api_session_status **out)
{
	ksef_api_session_status *st = NULL;
	ksef_error err;
	int tries = 0, code;

	for (;;) {
		if (ksef_client_session_status(&st, l->c, sref, &err) != 0)
			fail_msg("session status: %s", err.message);
		code = st->status->code;
		if ((code != 100 && code != 170) || ++tries > 1500)
			break;
		ksef_api_session_status_free(st);
		e2e_sleep_us(20000);
	}
	if (out != NULL)
		*out = st;
	else
		ksef_api_session_status_free(st);
	return code;
}

const char *url(const struct ksefd_proc *p, const char *path)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s%s", p->base_url, path);
	return buf;
}

void date_from_today(char out[KSEF_DATE_BUFSZ], int days)
{
	ksef_time t = ksef_time_warsaw(ksef_time_now().unix_ms +
				       (int64_t)days * 86400000);

	assert_int_equal(ksef_date_format(out, ksef_time_date(t), NULL), 0);
}

