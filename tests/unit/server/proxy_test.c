/*
 * proxy_test.c - the client's address behind trusted balancers
 * (proxy.c): which lists --trusted-proxy takes, and which address of
 * X-Forwarded-For counts, never one a client could have written.
 */
#include "testsupport.h"
#include <string.h>
#include "proxy.h"

static const char *client(const struct proxies *p, const char *peer,
			  const char *xff)
{
	static char out[64];

	proxies_client(p, peer, xff, out, sizeof(out));
	return out;
}

static void lists_are_addresses_and_networks(void **state)
{
	static const char *const bad[] = {
		"", "x", "10.0.0.1,", ",10.0.0.1", "10.0.0.1/33", "10.0.0.0/",
		"10.0.0.0/-1", "10.0.0.0/8x", "fd00::/129", "10.0.0.1 ",
		"256.0.0.1", "balancer",
	};
	struct proxies p;
	size_t i;
	char many[16 * 12 + 20] = "";

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0, sizeof(p));
		if (proxies_add(&p, bad[i]) != -1)
			fail_msg("took \"%s\"", bad[i]);
		assert_int_equal(p.n, 0);
	}
	memset(&p, 0, sizeof(p));
	assert_int_equal(proxies_add(&p, NULL), -1);
	assert_int_equal(proxies_add(&p, "10.0.0.5,10.89.0.0/24"), 0);
	assert_int_equal(proxies_add(&p, "fd00::/8"), 0);
	assert_int_equal(p.n, 3);
	/* At most PROXY_MAX in all; a list that would pass it adds none. */
	for (i = 0; i < PROXY_MAX - 3 + 1; i++)
		strcat(many, i ? ",10.1.1.1" : "10.1.1.1");
	assert_int_equal(proxies_add(&p, many), -1);
	assert_int_equal(p.n, 3);
}

static void only_a_trusted_peer_is_believed(void **state)
{
	struct proxies p;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(proxies_add(&p, "10.89.0.0/24,::1"), 0);
	/* Not trusted: its header is the client's own words. */
	assert_string_equal(client(&p, "192.0.2.9", "203.0.113.7"),
			    "192.0.2.9");
	assert_string_equal(client(&p, "10.89.1.1", "203.0.113.7"),
			    "10.89.1.1");
	/* Trusted: the address it appended. */
	assert_string_equal(client(&p, "10.89.0.10", "203.0.113.7"),
			    "203.0.113.7");
	assert_string_equal(client(&p, "::1", " 2001:db8::1 "),
			    "2001:db8::1");
	/* No header, or an empty one: the balancer itself. */
	assert_string_equal(client(&p, "10.89.0.10", NULL), "10.89.0.10");
	assert_string_equal(client(&p, "10.89.0.10", ""), "10.89.0.10");
	/* No proxies at all: the peer, whatever the header says. */
	memset(&p, 0, sizeof(p));
	assert_string_equal(client(&p, "127.0.0.1", "203.0.113.7"),
			    "127.0.0.1");
	assert_string_equal(client(NULL, "127.0.0.1", "203.0.113.7"),
			    "127.0.0.1");
}

static void the_rightmost_untrusted_hop_counts(void **state)
{
	struct proxies p;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(proxies_add(&p, "10.89.0.0/24,10.0.0.1"), 0);
	/* A client's forged entry on the left is never reached. */
	assert_string_equal(client(&p, "10.89.0.10",
				   "1.2.3.4, 203.0.113.7"), "203.0.113.7");
	/* Two trusted hops: walk over the inner balancer's entry. */
	assert_string_equal(client(&p, "10.89.0.10",
				   "198.51.100.3,203.0.113.7, 10.0.0.1"),
			    "203.0.113.7");
	/* Every hop trusted: the leftmost. */
	assert_string_equal(client(&p, "10.89.0.10", "10.0.0.1,10.89.0.2"),
			    "10.0.0.1");
	/* Garbage where an address should be: the last trusted hop. */
	assert_string_equal(client(&p, "10.89.0.10", "203.0.113.7, junk"),
			    "10.89.0.10");
	assert_string_equal(client(&p, "10.89.0.10",
				   "junk, 203.0.113.7, 10.0.0.1"),
			    "203.0.113.7");
	assert_string_equal(client(&p, "10.89.0.10", "203.0.113.7,,10.0.0.1"),
			    "10.0.0.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lists_are_addresses_and_networks),
		cmocka_unit_test(only_a_trusted_peer_is_believed),
		cmocka_unit_test(the_rightmost_untrusted_hop_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
