/*
 * client_certificates_fuzz.c - a hostile or broken server against the
 * readers of the certificate calls and the Peppol list
 * (client_certificates.c): the limits, the enrolment data, a request and
 * its status, retrieval (Base64 certificates), a page of certificates, a
 * revocation's error answer and a page of Peppol providers read their
 * answers from the input instead of the network (ksef__client_script(),
 * client_int.h); the whole enrolment runs over the same script with an EC
 * key (a request, a wait of a millisecond, a certificate that must hold
 * the key); and the certificate reader takes the input as DER. The first
 * byte picks the call; the rest is its script, as in client_fuzz.c.
 * Every result is read through the public accessors afterwards, one past
 * each list's end too, so that a string without its NUL or a list
 * miscounted shows under ASan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "client_int.h"
#include "fuzz_client.h"

#define SERIAL "0321C82DA41B4362"
#define REF "20251010-EH-1B6C9EB000-4B15D3AEB9-89"

static size_t touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static size_t touch_status(const ksef_api_status *s)
{
	size_t i, t = touch(s->description) + (size_t)s->code;

	for (i = 0; i < s->detail_count; i++)
		t += touch(s->details[i]);
	return t;
}

static size_t data_sum(const ksef_api_enrollment_data *d)
{
	return touch(d->common_name) + touch(d->country_name) +
	       touch(d->given_name) + touch(d->surname) +
	       touch(d->serial_number) + touch(d->unique_identifier) +
	       touch(d->organization_name) +
	       touch(d->organization_identifier);
}

static size_t reads(ksef_client *c, unsigned which)
{
	static const unsigned char csr[] = { 0x30, 0x00 };
	const char *serials[] = { SERIAL };
	size_t i, t = 0;

	switch (which) {
	case 0: {
		ksef_api_certificate_limits *l = NULL;

		if (ksef_client_certificates_limits(&l, c, NULL) == 0)
			t += (size_t)(l->can_request + l->enrollment_limit +
				      l->certificate_remaining);
		ksef_api_certificate_limits_free(l);
		break;
	}
	case 1: {
		ksef_api_enrollment_data *d = NULL;

		if (ksef_client_certificates_enrollment_data(&d, c, NULL) == 0)
			t += data_sum(d);
		ksef_api_enrollment_data_free(d);
		break;
	}
	case 2: {
		ksef_client_enrollment r = KSEF_CLIENT_ENROLLMENT_INIT;
		ksef_api_enrollment *e = NULL;

		r.certificate_name = "Certyfikat";
		r.certificate_type = "Offline";
		r.csr_der = csr;
		r.csr_len = sizeof(csr);
		if (ksef_client_certificates_enroll(&e, c, &r, NULL) == 0)
			t += touch(e->reference_number) +
			     (size_t)e->timestamp_ms;
		ksef_api_enrollment_free(e);
		break;
	}
	case 3: {
		ksef_api_enrollment_status *s = NULL;

		if (ksef_client_certificates_enrollment_status(&s, c, REF,
							       NULL) == 0)
			t += touch_status(s->status) +
			     touch(s->certificate_serial_number);
		ksef_api_enrollment_status_free(s);
		break;
	}
	case 4: {
		ksef_api_retrieved_certificates *l = NULL;

		if (ksef_client_certificates_retrieve(&l, c, serials, 1,
						      NULL) == 0)
			for (i = 0;
			     i <= ksef_api_retrieved_certificates_count(l);
			     i++) {
				const ksef_api_retrieved_certificate *r =
					ksef_api_retrieved_certificates_at(l,
									   i);

				if (r != NULL)
					t += touch(r->name) +
					     touch(r->serial_number) +
					     touch(r->type) + r->der_len +
					     r->der[r->der_len - 1];
			}
		ksef_api_retrieved_certificates_free(l);
		break;
	}
	case 5: {
		ksef_client_certificate_query q =
			KSEF_CLIENT_CERTIFICATE_QUERY_INIT;
		ksef_api_certificate_list *l = NULL;

		if (ksef_client_certificates_query(&l, c, &q, NULL) == 0) {
			for (i = 0; i <= ksef_api_certificate_list_count(l);
			     i++) {
				const ksef_api_certificate_info *x =
					ksef_api_certificate_list_at(l, i);

				if (x != NULL)
					t += touch(x->serial_number) +
					     touch(x->name) + touch(x->type) +
					     touch(x->common_name) +
					     touch(x->status) +
					     touch(x->subject_identifier_type) +
					     touch(x->
						subject_identifier_value) +
					     (size_t)x->last_use_date_ms;
			}
			t += (size_t)ksef_api_certificate_list_has_more(l);
		}
		ksef_api_certificate_list_free(l);
		break;
	}
	case 6:
		(void)!ksef_client_certificates_revoke(c, SERIAL,
						       "KeyCompromise", NULL);
		break;
	default: {
		ksef_api_peppol_list *l = NULL;

		if (ksef_client_peppol_query(&l, c, 0, 0, NULL) == 0) {
			for (i = 0; i <= ksef_api_peppol_list_count(l); i++) {
				const ksef_api_peppol_provider *p =
					ksef_api_peppol_list_at(l, i);

				if (p != NULL)
					t += touch(p->id) + touch(p->name) +
					     (size_t)p->date_created_ms;
			}
			t += (size_t)ksef_api_peppol_list_has_more(l);
		}
		ksef_api_peppol_list_free(l);
		break;
	}
	}
	return t;
}

/* The whole enrolment over the script: a millisecond's wait at most. */
static size_t obtain(ksef_client *c)
{
	ksef_client_enroll_options o = KSEF_CLIENT_ENROLL_OPTIONS_INIT;
	ksef_enrolled_certificate *e = NULL;
	size_t t = 0;

	o.certificate_name = "Certyfikat";
	o.certificate_type = "Authentication";
	o.passphrase = "fuzz";
	o.wait_ms = 1;
	o.poll_initial_ms = 1;
	o.poll_max_ms = 1;
	if (ksef_client_certificates_obtain(&e, c, &o, NULL) == 0)
		t += touch(e->serial_number) + e->cert_pem_len +
		     e->pkcs12_len + e->key_pem_len;
	ksef_enrolled_certificate_free(e);
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	ksef_client *c = NULL;
	ksef_buf pem = KSEF_BUF_INIT;
	unsigned first;
	volatile size_t sink = 0;

	fuzz_global_init();
	first = fuzz_byte(&in) % 10;
	if (first == 9) {
		/* The certificate reader, on the bytes themselves. */
		if (ksef_certificate_der_to_pem(&pem, in.p, in.n,
						NULL) == 0)
			sink = pem.size;
		ksef_buf_dispose(&pem);
		return 0;
	}
	c = fuzz_scripted_client(&in);
	sink = first == 8 ? obtain(c) : reads(c, first);
	sink += fuzz_touch_last_error(c);
	(void)sink;
	ksef_client_free(c);
	return 0;
}
