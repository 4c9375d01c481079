/*
 * client_contract_test.c - every JSON body the API client builds, held
 * against the contract: the request schemas of ksef-docs/open-api.json,
 * read at run time. Each property sent must exist in the schema with the
 * JSON type the schema gives (following $ref and allOf, into nested objects
 * and arrays), enums and lengths must hold, and every required property
 * must be sent. The checker itself is tested on bodies that break it.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "ksef/client.h"
#include "ksef/encoding.h"
#include "ksef/envelope.h"
#include "client_int.h"
#include "contract.h"
#include "contract_key.h"

static char *dir;            /* the test key's folder */
static ksef_pubkey *key;     /* an RSA-2048 certificate's key */

static int setup(void **state)
{
	(void)state;
	return contract_key_setup(&dir, &key);
}

static int teardown(void **state)
{
	(void)state;
	contract_key_teardown(dir, key);
	return 0;
}

static void assert_matches(const json_t *body, const char *path,
			   const char *method)
{
	char why[512] = "";

	if (contract_check(body, contract_request_schema(path, method), "body", why,
		  sizeof(why)) != 0)
		fail_msg("%s %s: %s", method, path, why);
}

static void assert_breaks(const char *text, const char *path,
			  const char *method, const char *expect)
{
	json_t *body = json_loads(text, 0, NULL);
	char why[512] = "";

	assert_non_null(body);
	assert_int_equal(contract_check(body, contract_request_schema(path,
					       method), "body",
			       why, sizeof(why)), -1);
	if (strstr(why, expect) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", expect, why);
	json_decref(body);
}

/*
 * The checker catches what it should
 */

static void checker_refuses_unknown_wrongly_typed_and_missing_fields(
	void **state)
{
	(void)state;
	assert_breaks("{\"permissions\":[\"InvoiceRead\"],\"description\":"
		      "\"abcde\",\"extra\":1}", "/tokens", "post",
		      "body.extra is not in the schema");
	assert_breaks("{\"permissions\":[\"InvoiceRead\"]}", "/tokens",
		      "post", "body.description is required");
	assert_breaks("{\"permissions\":[\"Everything\"],\"description\":"
		      "\"abcde\"}", "/tokens", "post", "not in the enum");
	assert_breaks("{\"permissions\":[\"InvoiceRead\"],\"description\":"
		      "\"abc\"}", "/tokens", "post", "length out of range");
	assert_breaks("{\"formCode\":{\"systemCode\":\"FA (3)\","
		      "\"schemaVersion\":\"1-0E\"},\"encryption\":"
		      "{\"encryptedSymmetricKey\":\"AAAA\","
		      "\"initializationVector\":\"AAAA\"}}",
		      "/sessions/online", "post",
		      "body.formCode.value is required");
	assert_breaks("{\"invoiceHash\":\"x\"}",
		      "/sessions/online/{referenceNumber}/invoices", "post",
		      "length out of range");
	assert_breaks("{\"challenge\":\"20250625-CR-2FDC223000-C2BFC98A9C-4E\","
		      "\"contextIdentifier\":{\"type\":\"nip\",\"value\":\"1\"},"
		      "\"encryptedToken\":\"AAAA\"}", "/auth/ksef-token", "post",
		      "body.contextIdentifier.type is not in the enum");
}

/*
 * The bodies the client builds
 */

static const ksef_api_challenge challenge = {
	"20250625-CR-2FDC223000-C2BFC98A9C-4E", 1750000000123, "192.0.2.1"
};

static void ksef_token_body_matches_InitTokenAuthenticationRequest(
	void **state)
{
	static const ksef_context_type types[] = {
		KSEF_CONTEXT_NIP, KSEF_CONTEXT_INTERNAL_ID,
		KSEF_CONTEXT_NIP_VAT_UE, KSEF_CONTEXT_PEPPOL_ID
	};
	json_t *body = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_int_equal(ksef__client_build_ksef_token_body(&body,
			&challenge, types[i], "5265877635", "ref|nip-1|secret",
			key, NULL, NULL), 0);
		assert_matches(body, "/auth/ksef-token", "post");
		assert_null(json_object_get(body, "authorizationPolicy"));
		json_decref(body);
	}
}

static void ksef_token_body_with_an_ip_policy_matches_the_schema(
	void **state)
{
	const char *addrs[] = { "192.168.0.10", "10.0.0.7" };
	const char *ranges[] = { "10.0.0.1-10.0.0.254" };
	const char *masks[] = { "172.16.0.0/16" };
	ksef_client_ip_policy p = KSEF_CLIENT_IP_POLICY_INIT;
	json_t *body = NULL, *allowed;

	(void)state;
	p.addresses = addrs;
	p.address_count = 2;
	p.ranges = ranges;
	p.range_count = 1;
	p.masks = masks;
	p.mask_count = 1;
	assert_int_equal(ksef__client_build_ksef_token_body(&body, &challenge,
		KSEF_CONTEXT_NIP, "5265877635", "tok", key, &p, NULL), 0);
	assert_matches(body, "/auth/ksef-token", "post");
	allowed = json_object_get(json_object_get(body, "authorizationPolicy"),
				  "allowedIps");
	assert_int_equal(json_array_size(json_object_get(allowed,
							 "ip4Addresses")), 2);
	json_decref(body);
}

static void open_session_body_matches_OpenOnlineSessionRequest(void **state)
{
	ksef_envelope *env = NULL;
	json_t *body = NULL;
	int form;

	(void)state;
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	for (form = 0; form < KSEF_FORM_COUNT; form++) {
		assert_int_equal(ksef__client_build_open_session_body(&body,
			(ksef_form)form, env, key, NULL), 0);
		assert_matches(body, "/sessions/online", "post");
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(body, "encryption"), "publicKeyId")),
			ksef_pubkey_id(key));
		json_decref(body);
	}
	ksef_envelope_free(env);
}

static void send_invoice_body_matches_SendInvoiceRequest(void **state)
{
	static const char xml[] = "<Faktura>contract</Faktura>";
	ksef_client_send_options o = KSEF_CLIENT_SEND_OPTIONS_INIT;
	ksef_envelope *env = NULL;
	ksef_invoice_meta meta;
	json_t *body = NULL;

	(void)state;
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	assert_int_equal(ksef__client_build_send_invoice_body(&body, &meta,
		env, (const unsigned char *)xml, strlen(xml), NULL, NULL), 0);
	assert_matches(body, "/sessions/online/{referenceNumber}/invoices",
		       "post");
	assert_int_equal(json_integer_value(json_object_get(body,
		"invoiceSize")), strlen(xml));
	assert_int_equal(meta.encrypted_size, 32);
	assert_null(json_object_get(body, "hashOfCorrectedInvoice"));
	json_decref(body);

	o.offline_mode = 1;
	o.hash_of_corrected_invoice = meta.invoice_hash;
	assert_int_equal(ksef__client_build_send_invoice_body(&body, NULL,
		env, (const unsigned char *)xml, strlen(xml), &o, NULL), 0);
	assert_matches(body, "/sessions/online/{referenceNumber}/invoices",
		       "post");
	assert_true(json_is_true(json_object_get(body, "offlineMode")));
	json_decref(body);
	ksef_envelope_free(env);
}

static void token_body_matches_GenerateTokenRequest(void **state)
{
	json_t *body = NULL;

	(void)state;
	assert_int_equal(ksef__client_build_token_body(&body, 0x7Fu,
		"Wystawianie i przeglądanie faktur.", NULL), 0);
	assert_matches(body, "/tokens", "post");
	assert_int_equal(json_array_size(json_object_get(body,
							 "permissions")), 7);
	json_decref(body);
	assert_int_equal(ksef__client_build_token_body(&body,
		KSEF_TOKEN_PERM_INVOICE_READ, "ćwierć", NULL), 0);
	assert_matches(body, "/tokens", "post");
	json_decref(body);
}

/*
 * Builders refuse what the schema would refuse
 */

static void builders_refuse_input_the_contract_forbids(void **state)
{
	ksef_client_send_options o = KSEF_CLIENT_SEND_OPTIONS_INIT;
	const char *eleven[11] = { "1.1.1.1", "1.1.1.1", "1.1.1.1", "1.1.1.1",
		"1.1.1.1", "1.1.1.1", "1.1.1.1", "1.1.1.1", "1.1.1.1",
		"1.1.1.1", "1.1.1.1" };
	ksef_client_ip_policy p = KSEF_CLIENT_IP_POLICY_INIT;
	char long_token[200];
	ksef_envelope *env = NULL;
	json_t *body = NULL;
	ksef_error err;

	(void)state;
	/* Descriptions of 4 and 257 characters, unknown permission bits. */
	assert_int_equal(ksef__client_build_token_body(&body, 1u, "abcd",
						       &err), KSEF_EINVAL);
	assert_int_equal(ksef__client_build_token_body(&body, 0x80u, "abcde",
						       &err), KSEF_EINVAL);
	assert_int_equal(ksef__client_build_token_body(&body, 0u, "abcde",
						       &err), KSEF_EINVAL);
	assert_int_equal(ksef__client_build_token_body(&body, 1u,
						       "\xff\xfe\xfd\xfc\xfb",
						       &err), KSEF_EINVAL);
	/* A KSeF token over 160 characters, a context value with a
	 * space, an IP list of eleven. */
	memset(long_token, 'a', sizeof(long_token) - 1);
	long_token[sizeof(long_token) - 1] = '\0';
	assert_int_equal(ksef__client_build_ksef_token_body(&body, &challenge,
		KSEF_CONTEXT_NIP, "5265877635", long_token, key, NULL, &err),
		KSEF_EINVAL);
	assert_int_equal(ksef__client_build_ksef_token_body(&body, &challenge,
		KSEF_CONTEXT_NIP, "52 65", "tok", key, NULL, &err),
		KSEF_EINVAL);
	assert_int_equal(ksef__client_build_ksef_token_body(&body, &challenge,
		(ksef_context_type)9, "5265877635", "tok", key, NULL, &err),
		KSEF_EINVAL);
	p.addresses = eleven;
	p.address_count = 11;
	assert_int_equal(ksef__client_build_ksef_token_body(&body, &challenge,
		KSEF_CONTEXT_NIP, "5265877635", "tok", key, &p, &err),
		KSEF_EINVAL);
	assert_non_null(strstr(err.message, "0 to 10"));
	/* A correction hash that is not a SHA-256 in Base64. */
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	o.hash_of_corrected_invoice = "not-a-hash";
	assert_int_equal(ksef__client_build_send_invoice_body(&body, NULL,
		env, (const unsigned char *)"<a/>", 4, &o, &err), KSEF_EINVAL);
	/* An empty invoice: invoiceSize has minimum 1. */
	assert_int_equal(ksef__client_build_send_invoice_body(&body, NULL,
		env, (const unsigned char *)"", 0, NULL, &err), KSEF_EFORMAT);
	assert_int_equal(ksef__client_build_open_session_body(&body,
		KSEF_FORM_COUNT, env, key, &err), KSEF_EINVAL);
	assert_null(body);
	ksef_envelope_free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			checker_refuses_unknown_wrongly_typed_and_missing_fields),
		cmocka_unit_test(
			ksef_token_body_matches_InitTokenAuthenticationRequest),
		cmocka_unit_test(
			ksef_token_body_with_an_ip_policy_matches_the_schema),
		cmocka_unit_test(
			open_session_body_matches_OpenOnlineSessionRequest),
		cmocka_unit_test(send_invoice_body_matches_SendInvoiceRequest),
		cmocka_unit_test(token_body_matches_GenerateTokenRequest),
		cmocka_unit_test(builders_refuse_input_the_contract_forbids),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
