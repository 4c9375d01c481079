/*
 * context_test.c - context identifiers and IP policies (context.c): which
 * client addresses a stored authorizationPolicy lets through (addresses,
 * ranges, masks, IPv6, malformed entries), which policies are accepted
 * when an authentication names one, and the forms of identifier values.
 */
#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "context.h"

/* A stored policy with one list holding the given entries. */
static const char *policy(const char *list, const char *entries)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "{\"allowedIps\":{\"%s\":[%s]}}", list,
		 entries);
	return buf;
}

static void no_policy_allows_every_address(void **state)
{
	(void)state;
	assert_true(context_ip_allowed(NULL, "10.0.0.1"));
	assert_true(context_ip_allowed("", "10.0.0.1"));
	assert_true(context_ip_allowed("{}", "10.0.0.1"));
	assert_true(context_ip_allowed("{\"allowedIps\":null}", "10.0.0.1"));
	/* Lists that are all empty name nobody, so they bind nothing. */
	assert_true(context_ip_allowed("{\"allowedIps\":{\"ip4Addresses\":[],"
				       "\"ip4Ranges\":[],\"ip4Masks\":[]}}",
				       "10.0.0.1"));
}

static void a_listed_address_is_allowed_and_any_other_refused(void **state)
{
	const char *p = policy("ip4Addresses", "\"192.168.1.10\","
			       "\"10.0.0.1\"");

	(void)state;
	assert_true(context_ip_allowed(p, "192.168.1.10"));
	assert_true(context_ip_allowed(p, "10.0.0.1"));
	assert_false(context_ip_allowed(p, "192.168.1.11"));
	assert_false(context_ip_allowed(p, "10.0.0.10"));
	assert_false(context_ip_allowed(p, "127.0.0.1"));
}

static void a_range_includes_both_ends_and_nothing_outside(void **state)
{
	const char *p = policy("ip4Ranges", "\"10.0.0.5-10.0.1.20\"");

	(void)state;
	assert_true(context_ip_allowed(p, "10.0.0.5"));
	assert_true(context_ip_allowed(p, "10.0.0.255"));
	assert_true(context_ip_allowed(p, "10.0.1.20"));
	assert_false(context_ip_allowed(p, "10.0.0.4"));
	assert_false(context_ip_allowed(p, "10.0.1.21"));
	/* A range of one address. */
	p = policy("ip4Ranges", "\"8.8.8.8-8.8.8.8\"");
	assert_true(context_ip_allowed(p, "8.8.8.8"));
	assert_false(context_ip_allowed(p, "8.8.8.9"));
}

static void a_mask_covers_its_network_from_first_to_last_address(
	void **state)
{
	const char *p = policy("ip4Masks", "\"192.168.1.77/24\"");

	(void)state;
	/* The host bits of the listed address do not matter. */
	assert_true(context_ip_allowed(p, "192.168.1.0"));
	assert_true(context_ip_allowed(p, "192.168.1.255"));
	assert_false(context_ip_allowed(p, "192.168.0.255"));
	assert_false(context_ip_allowed(p, "192.168.2.0"));

	p = policy("ip4Masks", "\"172.16.5.4/32\"");
	assert_true(context_ip_allowed(p, "172.16.5.4"));
	assert_false(context_ip_allowed(p, "172.16.5.5"));

	p = policy("ip4Masks", "\"0.0.0.0/0\"");
	assert_true(context_ip_allowed(p, "0.0.0.0"));
	assert_true(context_ip_allowed(p, "255.255.255.255"));

	p = policy("ip4Masks", "\"10.128.0.0/9\"");
	assert_true(context_ip_allowed(p, "10.255.255.255"));
	assert_false(context_ip_allowed(p, "10.127.255.255"));
}

static void any_list_that_matches_is_enough(void **state)
{
	const char *p = "{\"allowedIps\":{\"ip4Addresses\":[\"1.1.1.1\"],"
			"\"ip4Ranges\":[\"2.2.2.0-2.2.2.9\"],"
			"\"ip4Masks\":[\"3.3.0.0/16\"]}}";

	(void)state;
	assert_true(context_ip_allowed(p, "1.1.1.1"));
	assert_true(context_ip_allowed(p, "2.2.2.9"));
	assert_true(context_ip_allowed(p, "3.3.200.1"));
	assert_false(context_ip_allowed(p, "4.4.4.4"));
}

static void an_ipv6_caller_matches_no_listed_ipv4_entry(void **state)
{
	static const char *const v6[] = {
		"::1", "2001:db8::1", "::ffff:10.0.0.1", "fe80::1%eth0",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		assert_false(context_ip_allowed(
			policy("ip4Addresses", "\"10.0.0.1\""), v6[i]));
		/* Not even the widest IPv4 entries let it in. */
		assert_false(context_ip_allowed(
			policy("ip4Masks", "\"0.0.0.0/0\""), v6[i]));
		assert_false(context_ip_allowed(
			policy("ip4Addresses", "\"255.255.255.255\""), v6[i]));
		/* With no policy it is as welcome as anyone. */
		assert_true(context_ip_allowed(NULL, v6[i]));
	}
}

static void a_caller_address_that_does_not_parse_matches_nothing(
	void **state)
{
	static const char *const bad[] = {
		"unknown", "", "10.0.0", "10.0.0.1.2", "10.0.0.256",
		" 10.0.0.1", "10.0.0.1 ", "10.0.0.01x",
	};
	const char *p = policy("ip4Masks", "\"0.0.0.0/0\"");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(context_ip_allowed(p, bad[i]));
	assert_false(context_ip_allowed(p, NULL));
}

static void a_malformed_stored_entry_lets_nobody_in(void **state)
{
	static const struct {
		const char *list, *entry;
	} bad[] = {
		{ "ip4Addresses", "\"10.0.0\"" },
		{ "ip4Addresses", "\"10.0.0.1/32\"" },
		{ "ip4Addresses", "7" },
		{ "ip4Ranges", "\"10.0.0.9-10.0.0.1\"" },   /* backwards */
		{ "ip4Ranges", "\"10.0.0.1\"" },
		{ "ip4Ranges", "\"10.0.0.1-\"" },
		{ "ip4Masks", "\"10.0.0.0/33\"" },
		{ "ip4Masks", "\"10.0.0.0/08\"" },
		{ "ip4Masks", "\"10.0.0.0/\"" },
		{ "ip4Masks", "\"10.0.0.0/-1\"" },
		{ "ip4Masks", "\"10.0.0.0\"" },
		{ "ip4Masks", "\"10.0.0.0/8/8\"" },
		{ "ip4Masks",
		  "\"10.0.0.0/8xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *p = policy(bad[i].list, bad[i].entry);

		assert_false(context_ip_allowed(p, "10.0.0.1"));
		assert_false(context_ip_allowed(p, "10.0.0.5"));
	}
}

/* ---- context_check_policy: what an authentication may name ---- */

static struct request *request_new(void)
{
	struct request *req = calloc(1, sizeof(*req));

	assert_non_null(req);
	strcpy(req->method, "POST");
	strcpy(req->path, "/v2/auth/ksef-token");
	strcpy(req->trace_id, "00112233445566778899aabbccddeeff");
	return req;
}

static void request_free(struct request *req)
{
	ksef_buf_dispose(&req->reply);
	free(req);
}

/* Check a policy given as JSON text: 0, or -1 with the 400/21405. */
static int check(const char *text)
{
	struct request *req = request_new();
	json_t *p = json_loads(text, JSON_DECODE_ANY, NULL), *body, *code;
	int rc;

	assert_non_null(p);
	rc = context_check_policy(req, p);
	json_decref(p);
	if (rc == 0) {
		assert_false(req->responded);
	} else {
		assert_int_equal(rc, -1);
		assert_int_equal(req->status, 400);
		body = json_loadb((const char *)req->reply.ptr, req->reply.size,
				  0, NULL);
		assert_non_null(body);
		code = json_object_get(json_array_get(json_object_get(
			json_object_get(body, "exception"),
			"exceptionDetailList"), 0), "exceptionCode");
		assert_int_equal(json_integer_value(code), 21405);
		json_decref(body);
	}
	request_free(req);
	return rc;
}

static void policies_of_the_documented_forms_are_accepted(void **state)
{
	(void)state;
	assert_int_equal(check("{}"), 0);
	assert_int_equal(check("{\"allowedIps\":null}"), 0);
	assert_int_equal(check("{\"allowedIps\":{}}"), 0);
	assert_int_equal(check("{\"allowedIps\":{\"ip4Addresses\":null}}"), 0);
	assert_int_equal(check("{\"allowedIps\":{"
			       "\"ip4Addresses\":[\"1.2.3.4\"],"
			       "\"ip4Ranges\":[\"1.2.3.4-1.2.3.9\"],"
			       "\"ip4Masks\":[\"10.0.0.0/8\",\"0.0.0.0/0\","
			       "\"1.2.3.4/32\"]}}"), 0);
}

static void a_list_of_ten_is_accepted_and_of_eleven_refused(void **state)
{
	char text[512], *p;
	int i;

	(void)state;
	p = text + sprintf(text, "{\"allowedIps\":{\"ip4Addresses\":[");
	for (i = 0; i < 10; i++)
		p += sprintf(p, "%s\"10.0.0.%d\"", i ? "," : "", i);
	strcpy(p, "]}}");
	assert_int_equal(check(text), 0);
	strcpy(p, ",\"10.0.0.10\"]}}");
	assert_int_equal(check(text), -1);
}

static void malformed_policies_are_refused_with_21405(void **state)
{
	static const char *const bad[] = {
		"[]",
		"\"10.0.0.1\"",
		"{\"allowedIps\":[]}",
		"{\"allowedIps\":\"10.0.0.1\"}",
		"{\"allowedIps\":{\"ip4Addresses\":\"10.0.0.1\"}}",
		"{\"allowedIps\":{\"ip4Addresses\":[1]}}",
		"{\"allowedIps\":{\"ip4Addresses\":[\"10.0.0\"]}}",
		"{\"allowedIps\":{\"ip4Addresses\":[\"::1\"]}}",
		"{\"allowedIps\":{\"ip4Addresses\":[\"10.0.0.1/8\"]}}",
		"{\"allowedIps\":{\"ip4Ranges\":[\"10.0.0.9-10.0.0.1\"]}}",
		"{\"allowedIps\":{\"ip4Ranges\":[\"10.0.0.1\"]}}",
		"{\"allowedIps\":{\"ip4Masks\":[\"10.0.0.0/33\"]}}",
		"{\"allowedIps\":{\"ip4Masks\":[\"10.0.0.0/08\"]}}",
		"{\"allowedIps\":{\"ip4Masks\":[\"10.0.0.0\"]}}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(check(bad[i]), -1);
}

/* ---- identifiers ---- */

static void identifier_values_follow_their_type_patterns(void **state)
{
	(void)state;
	assert_true(context_value_ok("Nip", "5265877635"));
	assert_false(context_value_ok("Nip", "526587763"));
	assert_false(context_value_ok("Nip", "52658776350"));
	assert_true(context_value_ok("InternalId", "5265877635-12345"));
	assert_false(context_value_ok("InternalId", "5265877635-1234"));
	assert_false(context_value_ok("InternalId", "5265877635+12345"));
	assert_true(context_value_ok("NipVatUe", "5265877635-DE123456789"));
	assert_false(context_value_ok("NipVatUe", "5265877635-de123456789"));
	assert_false(context_value_ok("NipVatUe", "5265877635-DE1"));
	assert_true(context_value_ok("PeppolId", "PAB123456"));
	assert_false(context_value_ok("PeppolId", "PAB12345"));
	assert_false(context_value_ok("Pesel", "5265877635"));
}

static void an_identifier_type_is_read_in_any_case_and_canonicalised(
	void **state)
{
	struct request *req = request_new();
	struct context_id id;
	json_t *o = json_pack("{s:s,s:s}", "type", "nIP", "value",
			      "5265877635");

	(void)state;
	assert_int_equal(context_from_json(req, o, &id), 0);
	assert_string_equal(id.type, "Nip");
	assert_string_equal(id.value, "5265877635");
	assert_false(req->responded);
	json_decref(o);

	o = json_pack("{s:s,s:s}", "type", "Regon", "value", "5265877635");
	assert_int_equal(context_from_json(req, o, &id), -1);
	assert_int_equal(req->status, 400);
	json_decref(o);
	request_free(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_policy_allows_every_address),
		cmocka_unit_test(
			a_listed_address_is_allowed_and_any_other_refused),
		cmocka_unit_test(
			a_range_includes_both_ends_and_nothing_outside),
		cmocka_unit_test(
		  a_mask_covers_its_network_from_first_to_last_address),
		cmocka_unit_test(any_list_that_matches_is_enough),
		cmocka_unit_test(an_ipv6_caller_matches_no_listed_ipv4_entry),
		cmocka_unit_test(
		  a_caller_address_that_does_not_parse_matches_nothing),
		cmocka_unit_test(a_malformed_stored_entry_lets_nobody_in),
		cmocka_unit_test(policies_of_the_documented_forms_are_accepted),
		cmocka_unit_test(
			a_list_of_ten_is_accepted_and_of_eleven_refused),
		cmocka_unit_test(malformed_policies_are_refused_with_21405),
		cmocka_unit_test(identifier_values_follow_their_type_patterns),
		cmocka_unit_test(
		  an_identifier_type_is_read_in_any_case_and_canonicalised),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
