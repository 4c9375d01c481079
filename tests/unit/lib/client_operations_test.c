/*
 * client_operations_test.c - libksef calls every operation of the
 * contract: open-api.json, read at run time, lists its operations (method
 * and path template); the table below holds, for each, a call of the
 * public function that performs it. Each call is made against a server on
 * 127.0.0.1 (a thread, one connection per request) that notes the request
 * line and answers 400 whatever was asked: what is checked is that the
 * call's first request has exactly the operation's method and a path that
 * fits its template. Every operation of the contract must have an entry,
 * and every entry must name an operation of the contract; the failure
 * message lists all that are missing or wrong, not just the first.
 *
 * Opening a batch session has no public call of its own: ksef_batch_send()
 * opens, uploads and closes in one, so its entry calls the library's
 * ksef__client_batch_open(), which ksef_batch_send() uses.
 */
#include "testsupport.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <jansson.h>
#include "ksef/client.h"
#include "ksef/client_batch.h"
#include "ksef/client_certificates.h"
#include "ksef/client_invoices.h"
#include "ksef/client_limits.h"
#include "ksef/client_permissions.h"
#include "ksef/client_testdata.h"
#include "ksef/envelope.h"
#include "client_int.h"
#include "client_batch_int.h"
#include "contract_key.h"

/* Values that fit the path parameters and the calls' own checks. */
#define REF "20250625-SO-2C3E6C8000-B675CF5D68-07"
#define INV_REF "20250625-EE-319D7EE000-B67F415CDC-2C"
#define KSEF_NO "5265877635-20250826-0100001AF629-AF"
#define NIP "7762811692"
#define PESEL "15062788702"
#define FP "CEB3643BAC2C111ADDE971BDA5A80163441867D65389FC0BC0DFF8B4C1CD4E59"
#define TOKEN "a.b.c"

/*
 * The server: notes each request line and answers every one with 400.
 */

#define MAX_SEEN 8

static struct {
	int fd;
	int port;
	pthread_t thread;
	pthread_mutex_t mu;
	char seen[MAX_SEEN][2 + 16 + 2048];
	size_t nseen;
	int stop;
} srv;

#define ANSWER_BODY \
	"{\"exception\":{\"exceptionDetailList\":[{\"exceptionCode\":21405," \
	"\"exceptionDescription\":\"scripted\",\"details\":[]}]}}"

static char answer400[512];

/* Read up to the end of the head (the body, if any, is left unread: the
 * answer does not need it) and note the request line. */
static void note_request(int fd)
{
	char buf[16384];
	size_t len = 0;
	ssize_t n;
	char *eol;

	for (;;) {
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			break;
		if (len + 1 >= sizeof(buf))
			break;
		n = recv(fd, buf + len, sizeof(buf) - len - 1, 0);
		if (n <= 0)
			return;
		len += (size_t)n;
	}
	if ((eol = strstr(buf, "\r\n")) == NULL)
		return;
	*eol = '\0';
	pthread_mutex_lock(&srv.mu);
	if (srv.nseen < MAX_SEEN)
		snprintf(srv.seen[srv.nseen++], sizeof(srv.seen[0]), "%.2060s",
			 buf);
	pthread_mutex_unlock(&srv.mu);
}

/* Drain what the client still sends (a body), so that closing does not
 * reset the connection before it reads the answer. */
static void drain(int fd)
{
	char buf[4096];
	struct timeval tv = { 0, 20000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
}

static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(srv.fd, NULL, NULL);
		int stop;

		if (fd < 0)
			continue;
		pthread_mutex_lock(&srv.mu);
		stop = srv.stop;
		pthread_mutex_unlock(&srv.mu);
		if (stop) {
			close(fd);
			break;
		}
		note_request(fd);
		(void)!send(fd, answer400, strlen(answer400), MSG_NOSIGNAL);
		shutdown(fd, SHUT_WR);
		drain(fd);
		close(fd);
	}
	return NULL;
}

static void server_start(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int one = 1;

	memset(&srv, 0, sizeof(srv));
	snprintf(answer400, sizeof(answer400), "HTTP/1.1 400 Bad Request\r\n"
		 "Content-Type: application/json\r\nConnection: close\r\n"
		 "Content-Length: %zu\r\n\r\n%s", strlen(ANSWER_BODY),
		 ANSWER_BODY);
	pthread_mutex_init(&srv.mu, NULL);
	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(srv.fd >= 0);
	setsockopt(srv.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(srv.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(srv.fd, 16), 0);
	assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&a, &alen), 0);
	srv.port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

static void server_stop(void)
{
	struct sockaddr_in a;
	int fd;

	pthread_mutex_lock(&srv.mu);
	srv.stop = 1;
	pthread_mutex_unlock(&srv.mu);
	/* Wake the accept() with one last connection. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)srv.port);
	(void)!connect(fd, (struct sockaddr *)&a, sizeof(a));
	pthread_join(srv.thread, NULL);
	close(fd);
	close(srv.fd);
	pthread_mutex_destroy(&srv.mu);
}

/*
 * The calls: one per operation. Each returns what the library returned;
 * the answer is always 400, so only a call that never reached the server
 * could tell otherwise, and its err says why.
 */

static ksef_pubkey *key;     /* an RSA-2048 certificate's key */
static char *keydir;

static int auth_sessions(ksef_client *c, ksef_error *err)
{
	ksef_api_auth_list *l = NULL;
	int e = ksef_client_auth_sessions(&l, c, 0, NULL, err);

	ksef_api_auth_list_free(l);
	return e;
}

static int auth_revoke_current(ksef_client *c, ksef_error *err)
{
	return ksef_client_auth_revoke_current(c, err);
}

static int auth_revoke(ksef_client *c, ksef_error *err)
{
	return ksef_client_auth_revoke(c, REF, err);
}

static int cert_limits(ksef_client *c, ksef_error *err)
{
	ksef_api_certificate_limits *l = NULL;
	int e = ksef_client_certificates_limits(&l, c, err);

	ksef_api_certificate_limits_free(l);
	return e;
}

static int cert_enrollment_data(ksef_client *c, ksef_error *err)
{
	ksef_api_enrollment_data *d = NULL;
	int e = ksef_client_certificates_enrollment_data(&d, c, err);

	ksef_api_enrollment_data_free(d);
	return e;
}

static int cert_enroll(ksef_client *c, ksef_error *err)
{
	static const unsigned char csr[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	ksef_client_enrollment r = KSEF_CLIENT_ENROLLMENT_INIT;
	ksef_api_enrollment *out = NULL;
	int e;

	r.certificate_name = "Certyfikat testowy";
	r.certificate_type = "Authentication";
	r.csr_der = csr;
	r.csr_len = sizeof(csr);
	e = ksef_client_certificates_enroll(&out, c, &r, err);
	ksef_api_enrollment_free(out);
	return e;
}

static int cert_enrollment_status(ksef_client *c, ksef_error *err)
{
	ksef_api_enrollment_status *st = NULL;
	int e = ksef_client_certificates_enrollment_status(&st, c, REF, err);

	ksef_api_enrollment_status_free(st);
	return e;
}

static int cert_retrieve(ksef_client *c, ksef_error *err)
{
	static const char *const serials[] = { "0123456789ABCDEF" };
	ksef_api_retrieved_certificates *r = NULL;
	int e = ksef_client_certificates_retrieve(&r, c, serials, 1, err);

	ksef_api_retrieved_certificates_free(r);
	return e;
}

static int cert_revoke(ksef_client *c, ksef_error *err)
{
	return ksef_client_certificates_revoke(c, "0123456789ABCDEF", NULL,
					       err);
}

static int cert_query(ksef_client *c, ksef_error *err)
{
	ksef_client_certificate_query q = KSEF_CLIENT_CERTIFICATE_QUERY_INIT;
	ksef_api_certificate_list *l = NULL;
	int e = ksef_client_certificates_query(&l, c, &q, err);

	ksef_api_certificate_list_free(l);
	return e;
}

static int pubkey_certs(ksef_client *c, ksef_error *err)
{
	ksef_api_pubkey_certs *p = NULL;
	int e = ksef_client_pubkey_certs(&p, c, err);

	ksef_api_pubkey_certs_free(p);
	return e;
}

static int td_subject(ksef_client *c, ksef_error *err)
{
	ksef_client_testdata_subject s = KSEF_CLIENT_TESTDATA_SUBJECT_INIT;

	s.subject_nip = NIP;
	s.subject_type = "VatGroup";
	s.description = "Grupa VAT";
	return ksef_client_testdata_subject_create(c, &s, err);
}

static int td_subject_remove(ksef_client *c, ksef_error *err)
{
	return ksef_client_testdata_subject_remove(c, NIP, err);
}

static int td_person(ksef_client *c, ksef_error *err)
{
	ksef_client_testdata_person p = KSEF_CLIENT_TESTDATA_PERSON_INIT;

	p.nip = NIP;
	p.pesel = PESEL;
	p.description = "Osoba testowa";
	return ksef_client_testdata_person_create(c, &p, err);
}

static int td_person_remove(ksef_client *c, ksef_error *err)
{
	return ksef_client_testdata_person_remove(c, NIP, err);
}

static int td_permissions(ksef_client *c, ksef_error *err)
{
	static const char *const types[] = { "InvoiceRead" };
	static const char *const descs[] = { "Odczyt faktur" };
	ksef_client_testdata_permissions p =
		KSEF_CLIENT_TESTDATA_PERMISSIONS_INIT;

	p.context_identifier = NIP;
	p.authorized_identifier_type = "Pesel";
	p.authorized_identifier = PESEL;
	p.permission_types = types;
	p.descriptions = descs;
	p.permission_count = 1;
	return ksef_client_testdata_permissions_grant(c, &p, err);
}

static int td_permissions_revoke(ksef_client *c, ksef_error *err)
{
	return ksef_client_testdata_permissions_revoke(c, NIP, "Pesel", PESEL,
						       err);
}

static int td_attachment(ksef_client *c, ksef_error *err)
{
	return ksef_client_testdata_attachment_allow(c, NIP, err);
}

static int td_attachment_revoke(ksef_client *c, ksef_error *err)
{
	return ksef_client_testdata_attachment_revoke(c, NIP, NULL, err);
}

static int td_block(ksef_client *c, ksef_error *err)
{
	return ksef_client_testdata_context_block(c, KSEF_CONTEXT_NIP, NIP,
						  err);
}

static int td_unblock(ksef_client *c, ksef_error *err)
{
	return ksef_client_testdata_context_unblock(c, KSEF_CONTEXT_NIP, NIP,
						    err);
}

static int limits_context(ksef_client *c, ksef_error *err)
{
	ksef_api_context_limits *l = NULL;
	int e = ksef_client_limits_context(&l, c, err);

	ksef_api_context_limits_free(l);
	return e;
}

static int limits_subject(ksef_client *c, ksef_error *err)
{
	ksef_api_subject_limits *l = NULL;
	int e = ksef_client_limits_subject(&l, c, err);

	ksef_api_subject_limits_free(l);
	return e;
}

static int limits_rate(ksef_client *c, ksef_error *err)
{
	ksef_api_rate_limits *l = NULL;
	int e = ksef_client_limits_rate(&l, c, err);

	ksef_api_rate_limits_free(l);
	return e;
}

static int limits_session_set(ksef_client *c, ksef_error *err)
{
	ksef_client_session_limits l = KSEF_CLIENT_SESSION_LIMITS_INIT;

	return ksef_client_limits_session_set(c, &l, err);
}

static int limits_session_reset(ksef_client *c, ksef_error *err)
{
	return ksef_client_limits_session_reset(c, err);
}

static int limits_cert_set(ksef_client *c, ksef_error *err)
{
	ksef_client_subject_limits l = KSEF_CLIENT_SUBJECT_LIMITS_INIT;

	return ksef_client_limits_certificate_set(c, &l, err);
}

static int limits_cert_reset(ksef_client *c, ksef_error *err)
{
	return ksef_client_limits_certificate_reset(c, err);
}

static int rate_set(ksef_client *c, ksef_error *err)
{
	ksef_client_rate_limits l = KSEF_CLIENT_RATE_LIMITS_INIT;

	return ksef_client_rate_limits_set(c, &l, err);
}

static int rate_reset(ksef_client *c, ksef_error *err)
{
	return ksef_client_rate_limits_reset(c, err);
}

static int rate_production(ksef_client *c, ksef_error *err)
{
	return ksef_client_rate_limits_production(c, err);
}

/* A grant of each kind, as client_permissions_test.c builds them. */
static int grant(ksef_client *c, ksef_grant_kind kind, ksef_error *err)
{
	ksef_client_grant g = KSEF_CLIENT_GRANT_INIT;
	char ref[KSEF_REFNUM_BUFSZ];

	g.kind = kind;
	g.description = "Uprawnienie testowe";
	switch (kind) {
	case KSEF_GRANT_PERSON:
	case KSEF_GRANT_INDIRECT:
		g.subject_type = KSEF_PERM_ID_PESEL;
		g.subject_value = PESEL;
		g.permissions = KSEF_PERM_INVOICE_WRITE;
		g.first_name = "Adam";
		g.last_name = "Abacki";
		if (kind == KSEF_GRANT_INDIRECT)
			g.target_type = KSEF_PERM_ID_ALL_PARTNERS;
		break;
	case KSEF_GRANT_ENTITY:
		g.subject_type = KSEF_PERM_ID_NIP;
		g.subject_value = NIP;
		g.permissions = KSEF_PERM_INVOICE_READ;
		g.full_name = "Firma sp. z o.o.";
		break;
	case KSEF_GRANT_AUTHORIZATION:
		g.subject_type = KSEF_PERM_ID_NIP;
		g.subject_value = NIP;
		g.permissions = KSEF_PERM_SELF_INVOICING;
		g.full_name = "Firma sp. z o.o.";
		break;
	case KSEF_GRANT_SUBUNIT:
		g.subject_type = KSEF_PERM_ID_PESEL;
		g.subject_value = PESEL;
		g.first_name = "Adam";
		g.last_name = "Abacki";
		g.target_type = KSEF_PERM_ID_INTERNAL_ID;
		g.target_value = NIP "-12345";
		g.subunit_name = "Jednostka 014";
		break;
	case KSEF_GRANT_EU_ADMINISTRATION:
		g.subject_type = KSEF_PERM_ID_FINGERPRINT;
		g.subject_value = FP;
		g.target_type = KSEF_PERM_ID_NIP_VAT_UE;
		g.target_value = NIP "-DE123456789";
		g.full_name = "Firma G.m.b.H.";
		g.address = "Berlin, Unter den Linden 1";
		g.eu_entity_name = "Firma G.m.b.H.";
		g.eu_entity_full_name = "Firma G.m.b.H.";
		g.eu_entity_address = "Berlin, Unter den Linden 1";
		break;
	case KSEF_GRANT_EU_REPRESENTATIVE:
		g.subject_type = KSEF_PERM_ID_FINGERPRINT;
		g.subject_value = FP;
		g.permissions = KSEF_PERM_INVOICE_READ;
		g.first_name = "Adam";
		g.last_name = "Abacki";
		g.person_id_type = KSEF_PERM_ID_PESEL;
		g.person_id_value = PESEL;
		break;
	}
	return ksef_client_permissions_grant(ref, c, &g, err);
}

static int grant_person(ksef_client *c, ksef_error *err)
{
	return grant(c, KSEF_GRANT_PERSON, err);
}

static int grant_entity(ksef_client *c, ksef_error *err)
{
	return grant(c, KSEF_GRANT_ENTITY, err);
}

static int grant_authorization(ksef_client *c, ksef_error *err)
{
	return grant(c, KSEF_GRANT_AUTHORIZATION, err);
}

static int grant_indirect(ksef_client *c, ksef_error *err)
{
	return grant(c, KSEF_GRANT_INDIRECT, err);
}

static int grant_subunit(ksef_client *c, ksef_error *err)
{
	return grant(c, KSEF_GRANT_SUBUNIT, err);
}

static int grant_eu_admin(ksef_client *c, ksef_error *err)
{
	return grant(c, KSEF_GRANT_EU_ADMINISTRATION, err);
}

static int grant_eu(ksef_client *c, ksef_error *err)
{
	return grant(c, KSEF_GRANT_EU_REPRESENTATIVE, err);
}

static int revoke_common(ksef_client *c, ksef_error *err)
{
	char ref[KSEF_REFNUM_BUFSZ];

	return ksef_client_permissions_revoke(ref, c, REF, 0, err);
}

static int revoke_authorization(ksef_client *c, ksef_error *err)
{
	char ref[KSEF_REFNUM_BUFSZ];

	return ksef_client_permissions_revoke(ref, c, REF, 1, err);
}

static int permissions_operation(ksef_client *c, ksef_error *err)
{
	ksef_api_permission_operation *op = NULL;
	int e = ksef_client_permissions_operation(&op, c, REF, err);

	ksef_api_permission_operation_free(op);
	return e;
}

static int attachment_status(ksef_client *c, ksef_error *err)
{
	ksef_api_attachment_status *st = NULL;
	int e = ksef_client_permissions_attachment_status(&st, c, err);

	ksef_api_attachment_status_free(st);
	return e;
}

static int query(ksef_client *c, ksef_permission_list_kind list,
		 ksef_error *err)
{
	ksef_client_permission_query q = KSEF_CLIENT_PERMISSION_QUERY_INIT;
	ksef_api_permission_list *l = NULL;
	int e;

	q.list = list;
	switch (list) {
	case KSEF_PERMISSIONS_PERSONS:
		q.query_type = KSEF_PERM_QUERY_GRANTED_IN_CURRENT_CONTEXT;
		break;
	case KSEF_PERMISSIONS_AUTHORIZATIONS:
		q.query_type = KSEF_PERM_QUERY_RECEIVED;
		break;
	default:
		break;
	}
	e = ksef_client_permissions_query(&l, c, &q, err);
	ksef_api_permission_list_free(l);
	return e;
}

static int query_personal(ksef_client *c, ksef_error *err)
{
	return query(c, KSEF_PERMISSIONS_PERSONAL, err);
}

static int query_persons(ksef_client *c, ksef_error *err)
{
	return query(c, KSEF_PERMISSIONS_PERSONS, err);
}

static int query_subunits(ksef_client *c, ksef_error *err)
{
	return query(c, KSEF_PERMISSIONS_SUBUNITS, err);
}

static int query_entities(ksef_client *c, ksef_error *err)
{
	return query(c, KSEF_PERMISSIONS_ENTITIES, err);
}

static int query_authorizations(ksef_client *c, ksef_error *err)
{
	return query(c, KSEF_PERMISSIONS_AUTHORIZATIONS, err);
}

static int query_eu(ksef_client *c, ksef_error *err)
{
	return query(c, KSEF_PERMISSIONS_EU_ENTITIES, err);
}

static int entity_roles(ksef_client *c, ksef_error *err)
{
	ksef_api_entity_role_list *l = NULL;
	int e = ksef_client_permissions_entity_roles(&l, c, 0, 0, err);

	ksef_api_entity_role_list_free(l);
	return e;
}

static int subordinate_roles(ksef_client *c, ksef_error *err)
{
	ksef_api_entity_role_list *l = NULL;
	int e = ksef_client_permissions_subordinate_roles(&l, c, NULL, 0, 0,
							  err);

	ksef_api_entity_role_list_free(l);
	return e;
}

static int invoice_download(ksef_client *c, ksef_error *err)
{
	ksef_buf b = KSEF_BUF_INIT;
	int e = ksef_client_invoice_download(&b, c, KSEF_NO, err);

	ksef_buf_dispose(&b);
	return e;
}

static void filters(ksef_invoice_filters *f)
{
	f->subject = KSEF_SUBJECT_1;
	f->date_type = KSEF_DATE_ISSUE;
	f->from_ms = 1750000000000LL;
}

static int invoices_query(ksef_client *c, ksef_error *err)
{
	ksef_invoice_filters f = KSEF_INVOICE_FILTERS_INIT;
	ksef_api_invoice_query *q = NULL;
	int e;

	filters(&f);
	e = ksef_client_invoices_query(&q, c, &f, 0, 0, 10, err);
	ksef_api_invoice_query_free(q);
	return e;
}

static int invoices_export(ksef_client *c, ksef_error *err)
{
	ksef_invoice_filters f = KSEF_INVOICE_FILTERS_INIT;
	ksef_envelope *env = NULL;
	char ref[KSEF_REFNUM_BUFSZ];
	int e;

	filters(&f);
	if ((e = ksef_envelope_new(&env, err)) != 0)
		return e;
	e = ksef_client_invoices_export(ref, c, env, key, &f, 0, err);
	ksef_envelope_free(env);
	return e;
}

static int export_status(ksef_client *c, ksef_error *err)
{
	ksef_api_export_status *st = NULL;
	int e = ksef_client_invoices_export_status(&st, c, REF, err);

	ksef_api_export_status_free(st);
	return e;
}

static int sessions(ksef_client *c, ksef_error *err)
{
	ksef_client_session_query q = KSEF_CLIENT_SESSION_QUERY_INIT;
	ksef_api_session_list *l = NULL;
	int e = ksef_client_sessions(&l, c, &q, NULL, err);

	ksef_api_session_list_free(l);
	return e;
}

static int session_status(ksef_client *c, ksef_error *err)
{
	ksef_api_session_status *st = NULL;
	int e = ksef_client_session_status(&st, c, REF, err);

	ksef_api_session_status_free(st);
	return e;
}

static int session_invoices(ksef_client *c, int failed, ksef_error *err)
{
	ksef_api_invoice_list *l = NULL;
	int e = ksef_client_session_invoices(&l, c, REF, failed, 0, NULL,
					     err);

	ksef_api_invoice_list_free(l);
	return e;
}

static int session_invoices_all(ksef_client *c, ksef_error *err)
{
	return session_invoices(c, 0, err);
}

static int session_invoices_failed(ksef_client *c, ksef_error *err)
{
	return session_invoices(c, 1, err);
}

static int session_invoice(ksef_client *c, ksef_error *err)
{
	ksef_api_invoice_status *st = NULL;
	int e = ksef_client_session_invoice(&st, c, REF, INV_REF, err);

	ksef_api_invoice_status_free(st);
	return e;
}

static int upo_by_ksef_number(ksef_client *c, ksef_error *err)
{
	ksef_buf b = KSEF_BUF_INIT;
	int e = ksef_client_upo_by_ksef_number(&b, c, REF, KSEF_NO, err);

	ksef_buf_dispose(&b);
	return e;
}

static int upo_by_invoice_ref(ksef_client *c, ksef_error *err)
{
	ksef_buf b = KSEF_BUF_INIT;
	int e = ksef_client_upo_by_invoice_ref(&b, c, REF, INV_REF, err);

	ksef_buf_dispose(&b);
	return e;
}

static int upo_session_page(ksef_client *c, ksef_error *err)
{
	ksef_buf b = KSEF_BUF_INIT;
	int e = ksef_client_upo_session_page(&b, c, REF, INV_REF, err);

	ksef_buf_dispose(&b);
	return e;
}

static int token_create(ksef_client *c, ksef_error *err)
{
	ksef_api_token_created *t = NULL;
	int e = ksef_client_token_create(&t, c, KSEF_TOKEN_PERM_INVOICE_READ,
					 "Token testowy", err);

	ksef_api_token_created_free(t);
	return e;
}

static int tokens(ksef_client *c, ksef_error *err)
{
	ksef_client_token_query q = KSEF_CLIENT_TOKEN_QUERY_INIT;
	ksef_api_token_list *l = NULL;
	int e = ksef_client_tokens(&l, c, &q, NULL, err);

	ksef_api_token_list_free(l);
	return e;
}

static int token_status(ksef_client *c, ksef_error *err)
{
	ksef_api_token_status *st = NULL;
	int e = ksef_client_token_status(&st, c, REF, err);

	ksef_api_token_status_free(st);
	return e;
}

static int token_revoke(ksef_client *c, ksef_error *err)
{
	return ksef_client_token_revoke(c, REF, err);
}

static int peppol(ksef_client *c, ksef_error *err)
{
	ksef_api_peppol_list *l = NULL;
	int e = ksef_client_peppol_query(&l, c, 0, 0, err);

	ksef_api_peppol_list_free(l);
	return e;
}

static int auth_challenge(ksef_client *c, ksef_error *err)
{
	ksef_api_challenge *ch = NULL;
	int e = ksef_client_auth_challenge(&ch, c, err);

	ksef_api_challenge_free(ch);
	return e;
}

static int auth_xades(ksef_client *c, ksef_error *err)
{
	static const char xml[] =
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>"
		"<AuthTokenRequest xmlns=\"http://ksef.mf.gov.pl/auth/token/"
		"2.0\"/>";
	ksef_api_auth_init *a = NULL;
	int e = ksef_client_auth_xades(&a, c, (const unsigned char *)xml,
				       sizeof(xml) - 1, 0, err);

	ksef_api_auth_init_free(a);
	return e;
}

static int auth_ksef_token(ksef_client *c, ksef_error *err)
{
	ksef_api_challenge ch = { REF, 1750924800000LL, "192.0.2.1" };
	ksef_api_auth_init *a = NULL;
	int e = ksef_client_auth_ksef_token(&a, c, &ch, KSEF_CONTEXT_NIP, NIP,
					    "token-ksef", key, NULL, err);

	ksef_api_auth_init_free(a);
	return e;
}

static int auth_status(ksef_client *c, ksef_error *err)
{
	ksef_api_auth_status *st = NULL;
	int e = ksef_client_auth_status(&st, c, REF, TOKEN, err);

	ksef_api_auth_status_free(st);
	return e;
}

static int auth_redeem(ksef_client *c, ksef_error *err)
{
	ksef_api_tokens *t = NULL;
	int e = ksef_client_auth_redeem(&t, c, TOKEN, err);

	ksef_api_tokens_free(t);
	return e;
}

static int auth_refresh(ksef_client *c, ksef_error *err)
{
	ksef_api_tokens *t = NULL;
	int e = ksef_client_auth_refresh(&t, c, TOKEN, err);

	ksef_api_tokens_free(t);
	return e;
}

static int session_open(ksef_client *c, ksef_error *err)
{
	ksef_api_session_opened *o = NULL;
	ksef_envelope *env = NULL;
	int e;

	if ((e = ksef_envelope_new(&env, err)) != 0)
		return e;
	e = ksef_client_session_open(&o, c, KSEF_FORM_FA3, env, key, err);
	ksef_api_session_opened_free(o);
	ksef_envelope_free(env);
	return e;
}

static int invoice_send(ksef_client *c, ksef_error *err)
{
	static const char xml[] = "<Faktura/>";
	ksef_invoice_meta meta;
	ksef_envelope *env = NULL;
	char ref[KSEF_REFNUM_BUFSZ];
	int e;

	if ((e = ksef_envelope_new(&env, err)) != 0)
		return e;
	e = ksef_client_invoice_send(ref, &meta, c, REF, env,
				     (const unsigned char *)xml,
				     sizeof(xml) - 1, NULL, err);
	ksef_envelope_free(env);
	return e;
}

static int session_close(ksef_client *c, ksef_error *err)
{
	return ksef_client_session_close(c, REF, err);
}

static int batch_open(ksef_client *c, ksef_error *err)
{
	static const struct ksef__batch_part parts[1] = {
		{ 0, 10, 16, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	};
	struct ksef__batch_decl d = { KSEF_FORM_FA3, 10,
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", parts, 1, 0 };
	struct ksef__batch_opened *o = NULL;
	ksef_envelope *env = NULL;
	int e;

	if ((e = ksef_envelope_new(&env, err)) != 0)
		return e;
	e = ksef__client_batch_open(&o, c, &d, env, key, err);
	ksef__result_free(o);
	ksef_envelope_free(env);
	return e;
}

static int batch_close(ksef_client *c, ksef_error *err)
{
	return ksef_client_batch_close(c, REF, err);
}

/*
 * The table: the contract's operations, each with its call.
 */

static const struct op {
	const char *method;
	const char *path;
	int (*call)(ksef_client *c, ksef_error *err);
} ops[] = {
	{ "GET", "/auth/sessions", auth_sessions },
	{ "DELETE", "/auth/sessions/current", auth_revoke_current },
	{ "DELETE", "/auth/sessions/{referenceNumber}", auth_revoke },
	{ "GET", "/certificates/limits", cert_limits },
	{ "GET", "/certificates/enrollments/data", cert_enrollment_data },
	{ "POST", "/certificates/enrollments", cert_enroll },
	{ "GET", "/certificates/enrollments/{referenceNumber}",
	  cert_enrollment_status },
	{ "POST", "/certificates/retrieve", cert_retrieve },
	{ "POST", "/certificates/{certificateSerialNumber}/revoke",
	  cert_revoke },
	{ "POST", "/certificates/query", cert_query },
	{ "GET", "/security/public-key-certificates", pubkey_certs },
	{ "POST", "/testdata/subject", td_subject },
	{ "POST", "/testdata/subject/remove", td_subject_remove },
	{ "POST", "/testdata/person", td_person },
	{ "POST", "/testdata/person/remove", td_person_remove },
	{ "POST", "/testdata/permissions", td_permissions },
	{ "POST", "/testdata/permissions/revoke", td_permissions_revoke },
	{ "POST", "/testdata/attachment", td_attachment },
	{ "POST", "/testdata/attachment/revoke", td_attachment_revoke },
	{ "POST", "/testdata/context/block", td_block },
	{ "POST", "/testdata/context/unblock", td_unblock },
	{ "GET", "/limits/context", limits_context },
	{ "GET", "/limits/subject", limits_subject },
	{ "GET", "/rate-limits", limits_rate },
	{ "POST", "/testdata/limits/context/session", limits_session_set },
	{ "DELETE", "/testdata/limits/context/session", limits_session_reset },
	{ "POST", "/testdata/limits/subject/certificate", limits_cert_set },
	{ "DELETE", "/testdata/limits/subject/certificate", limits_cert_reset },
	{ "POST", "/testdata/rate-limits", rate_set },
	{ "DELETE", "/testdata/rate-limits", rate_reset },
	{ "POST", "/testdata/rate-limits/production", rate_production },
	{ "POST", "/permissions/persons/grants", grant_person },
	{ "POST", "/permissions/entities/grants", grant_entity },
	{ "POST", "/permissions/authorizations/grants", grant_authorization },
	{ "POST", "/permissions/indirect/grants", grant_indirect },
	{ "POST", "/permissions/subunits/grants", grant_subunit },
	{ "POST", "/permissions/eu-entities/administration/grants",
	  grant_eu_admin },
	{ "POST", "/permissions/eu-entities/grants", grant_eu },
	{ "DELETE", "/permissions/common/grants/{permissionId}",
	  revoke_common },
	{ "DELETE", "/permissions/authorizations/grants/{permissionId}",
	  revoke_authorization },
	{ "GET", "/permissions/operations/{referenceNumber}",
	  permissions_operation },
	{ "GET", "/permissions/attachments/status", attachment_status },
	{ "GET", "/invoices/ksef/{ksefNumber}", invoice_download },
	{ "POST", "/invoices/query/metadata", invoices_query },
	{ "POST", "/invoices/exports", invoices_export },
	{ "GET", "/invoices/exports/{referenceNumber}", export_status },
	{ "GET", "/sessions", sessions },
	{ "GET", "/sessions/{referenceNumber}", session_status },
	{ "GET", "/sessions/{referenceNumber}/invoices",
	  session_invoices_all },
	{ "GET", "/sessions/{referenceNumber}/invoices/"
	  "{invoiceReferenceNumber}", session_invoice },
	{ "GET", "/sessions/{referenceNumber}/invoices/failed",
	  session_invoices_failed },
	{ "GET", "/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo",
	  upo_by_ksef_number },
	{ "GET", "/sessions/{referenceNumber}/invoices/"
	  "{invoiceReferenceNumber}/upo", upo_by_invoice_ref },
	{ "GET", "/sessions/{referenceNumber}/upo/{upoReferenceNumber}",
	  upo_session_page },
	{ "POST", "/tokens", token_create },
	{ "GET", "/tokens", tokens },
	{ "GET", "/tokens/{referenceNumber}", token_status },
	{ "DELETE", "/tokens/{referenceNumber}", token_revoke },
	{ "GET", "/peppol/query", peppol },
	{ "POST", "/auth/challenge", auth_challenge },
	{ "POST", "/auth/xades-signature", auth_xades },
	{ "POST", "/auth/ksef-token", auth_ksef_token },
	{ "GET", "/auth/{referenceNumber}", auth_status },
	{ "POST", "/auth/token/redeem", auth_redeem },
	{ "POST", "/auth/token/refresh", auth_refresh },
	{ "POST", "/sessions/online", session_open },
	{ "POST", "/sessions/online/{referenceNumber}/invoices",
	  invoice_send },
	{ "POST", "/sessions/online/{referenceNumber}/close", session_close },
	{ "POST", "/sessions/batch", batch_open },
	{ "POST", "/sessions/batch/{referenceNumber}/close", batch_close },
	{ "POST", "/permissions/query/personal/grants", query_personal },
	{ "POST", "/permissions/query/persons/grants", query_persons },
	{ "POST", "/permissions/query/subunits/grants", query_subunits },
	{ "POST", "/permissions/query/entities/grants", query_entities },
	{ "GET", "/permissions/query/entities/roles", entity_roles },
	{ "POST", "/permissions/query/subordinate-entities/roles",
	  subordinate_roles },
	{ "POST", "/permissions/query/authorizations/grants",
	  query_authorizations },
	{ "POST", "/permissions/query/eu-entities/grants", query_eu },
};

#define NOPS (sizeof(ops) / sizeof(ops[0]))

/*
 * Matching
 */

/* Whether a request target ("/v2/a/b?x=1") fits a template ("/a/{p}"):
 * the same segments, each {parameter} one non-empty segment. */
static int fits(const char *target, const char *tmpl)
{
	const char *t = target, *p = tmpl;

	if (strncmp(t, "/v2/", 4) != 0)
		return 0;
	t += 3;
	while (*p != '\0') {
		if (*p == '{') {
			size_t n = strcspn(t, "/?");

			if (n == 0)
				return 0;
			t += n;
			if ((p = strchr(p, '}')) == NULL)
				return 0;
			p++;
		} else if (*p++ != *t++) {
			return 0;
		}
	}
	return *t == '\0' || *t == '?';
}

static const struct op *entry_of(const char *method, const char *path)
{
	size_t i;

	for (i = 0; i < NOPS; i++)
		if (strcmp(ops[i].method, method) == 0 &&
		    strcmp(ops[i].path, path) == 0)
			return &ops[i];
	return NULL;
}

static int in_contract(json_t *paths, const struct op *o)
{
	char m[8];
	size_t i;

	for (i = 0; o->method[i] != '\0' && i + 1 < sizeof(m); i++)
		m[i] = (char)(o->method[i] | 0x20);
	m[i] = '\0';
	return json_is_object(json_object_get(json_object_get(paths, o->path),
					      m));
}

/* Make o's call against the server; on a mismatch, say why in msg. */
static int call_reaches(const struct op *o, char *msg, size_t msgsz)
{
	ksef_client_options co = KSEF_CLIENT_OPTIONS_INIT;
	ksef_error err;
	ksef_client *c = NULL;
	char url[64], want[32], target[2048];
	const char *first;
	int e;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v2", srv.port);
	co.base_url = url;
	co.max_retries = 0;
	co.max_rate_limit_waits = 0;
	assert_int_equal(ksef_client_new(&c, &co, NULL), 0);
	assert_int_equal(ksef_client_set_access_token(c, TOKEN, NULL), 0);
	pthread_mutex_lock(&srv.mu);
	srv.nseen = 0;
	pthread_mutex_unlock(&srv.mu);
	memset(&err, 0, sizeof(err));
	e = o->call(c, &err);
	ksef_client_free(c);

	pthread_mutex_lock(&srv.mu);
	first = srv.nseen > 0 ? srv.seen[0] : NULL;
	snprintf(want, sizeof(want), "%s ", o->method);
	if (first == NULL) {
		snprintf(msg, msgsz, "never reached the server (%s: %s)",
			 ksef_strerror(e), err.message);
	} else {
		/* "METHOD target HTTP/1.1": the target alone. */
		const char *t = first + strlen(want);
		const char *sp = strchr(t, ' ');

		snprintf(target, sizeof(target), "%.*s",
			 sp != NULL ? (int)(sp - t) : 0, t);
		if (strncmp(first, want, strlen(want)) != 0 || sp == NULL ||
		    strncmp(sp, " HTTP/", 6) != 0 || !fits(target, o->path)) {
			snprintf(msg, msgsz, "sent \"%.900s\"", first);
			first = NULL;
		}
	}
	pthread_mutex_unlock(&srv.mu);
	return first != NULL;
}

static void fits_reads_templates_as_the_contract_writes_them(void **state)
{
	(void)state;
	assert_true(fits("/v2/sessions/" REF "/invoices",
			 "/sessions/{referenceNumber}/invoices"));
	assert_true(fits("/v2/sessions?pageSize=10", "/sessions"));
	assert_false(fits("/v2/sessions/" REF, "/sessions"));
	assert_false(fits("/v2/sessions//invoices",
			  "/sessions/{referenceNumber}/invoices"));
	assert_false(fits("/v2/sessions/" REF "/invoices/failed",
			  "/sessions/{referenceNumber}/invoices"));
	assert_false(fits("/sessions", "/sessions"));
}

static void every_operation_is_called_as_the_contract_says(void **state)
{
	json_error_t je;
	json_t *api, *paths, *pops, *op;
	const char *path, *method;
	const struct op *o;
	char m[8], msg[1024];
	size_t i, n = 0, bad = 0;

	(void)state;
	api = json_load_file(ts_shared_path("ksef-docs/open-api.json"), 0,
			     &je);
	if (api == NULL)
		fail_msg("open-api.json: %s", je.text);
	paths = json_object_get(api, "paths");
	server_start();

	/* Each operation of the contract has an entry. */
	json_object_foreach(paths, path, pops) {
		json_object_foreach(pops, method, op) {
			if (!json_is_object(op) ||
			    strcmp(method, "parameters") == 0)
				continue;
			for (i = 0; method[i] && i + 1 < sizeof(m); i++)
				m[i] = (char)(method[i] & ~0x20);
			m[i] = '\0';
			n++;
			if ((o = entry_of(m, path)) == NULL) {
				print_error("%s %s: no libksef call\n", m, path);
				bad++;
			}
		}
	}
	/* Each entry names an operation of the contract, and its call
	 * sends exactly that. */
	for (i = 0; i < NOPS; i++) {
		if (!in_contract(paths, &ops[i])) {
			print_error("%s %s: not an operation of the "
				    "contract\n", ops[i].method, ops[i].path);
			bad++;
		} else if (!call_reaches(&ops[i], msg, sizeof(msg))) {
			print_error("%s %s: %s\n", ops[i].method, ops[i].path,
				    msg);
			bad++;
		}
	}
	server_stop();
	json_decref(api);
	if (bad > 0)
		fail_msg("%zu mismatches with the contract's %zu operations "
			 "(listed above)", bad, n);
	/* The contract's 78 operations, all called. */
	assert_int_equal(n, 78);
	assert_int_equal(NOPS, n);
}

static int setup(void **state)
{
	(void)state;
	return contract_key_setup(&keydir, &key);
}

static int teardown(void **state)
{
	(void)state;
	contract_key_teardown(keydir, key);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fits_reads_templates_as_the_contract_writes_them),
		cmocka_unit_test(every_operation_is_called_as_the_contract_says),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
