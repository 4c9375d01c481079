/*
 * options_test.c - options structs of every version from 1 to the current
 * one are read, and no further than the caller's version goes: the copy
 * helper against a table whose current version is 2, with a version-1
 * caller allocated on the heap at exactly its size (so ASan and valgrind
 * catch a byte read too far), and every public *_OPTIONS_VERSION struct
 * refusing versions 0, negative and newer than the library's, by name.
 */
#include "testsupport.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "ksef/gen.h"
#include "ksef/session.h"
#include "ksef/upo.h"
#include "ksef/xades.h"
#include "options.h"

/*
 * A made-up options struct at version 2, and the version 1 it grew from:
 * version 2 added a field whose alignment puts it right after version 1's
 * last member, where version 1's sizeof still counts trailing padding.
 */
struct opts_v1 {
	int version;
	int flags;
	const char *name;
	char tag;
};

struct opts_v2 {
	int version;
	int flags;
	const char *name;
	char tag;
	/* version 2 */
	char mode;
	long limit;
};

#define OPTS_V2_INIT { 2, 0, "default", 'd', 'm', 42 }

static const size_t opts_sizes[] = {
	KSEF__OPTIONS_END(struct opts_v2, tag),   /* 1 */
	KSEF__OPTIONS_END(struct opts_v2, limit), /* 2 */
};
KSEF__OPTIONS_SIZES(opts_sizes, 2);

static int copy(struct opts_v2 *dst, const void *src, ksef_error *err)
{
	return KSEF__OPTIONS_COPY(dst, src, opts_sizes, 2, "struct opts", err);
}

static void a_version_1_caller_is_read_only_as_far_as_version_1(void **state)
{
	struct opts_v2 dst = OPTS_V2_INIT;
	struct opts_v1 *src;
	ksef_error err;

	(void)state;
	/* Exactly version 1's size: reading version 2's fields, or the
	 * padding after tag where mode now lies, trips ASan and valgrind. */
	src = malloc(sizeof(*src));
	assert_non_null(src);
	src->version = 1;
	src->flags = 7;
	src->name = "caller";
	src->tag = 't';
	assert_int_equal(copy(&dst, src, &err), 0);
	assert_int_equal(dst.version, 2);
	assert_int_equal(dst.flags, 7);
	assert_string_equal(dst.name, "caller");
	assert_int_equal(dst.tag, 't');
	/* Fields version 1 does not have keep their defaults. */
	assert_int_equal(dst.mode, 'm');
	assert_int_equal(dst.limit, 42);
	free(src);
}

static void the_first_version_ends_at_its_last_member_not_its_sizeof(
	void **state)
{
	(void)state;
	assert_int_equal(opts_sizes[0],
			 offsetof(struct opts_v1, tag) + sizeof(char));
	assert_true(opts_sizes[0] < sizeof(struct opts_v1));
	assert_true(offsetof(struct opts_v2, mode) < sizeof(struct opts_v1));
}

static void a_current_version_caller_is_copied_whole(void **state)
{
	struct opts_v2 dst = OPTS_V2_INIT, *src;
	ksef_error err;

	(void)state;
	src = malloc(sizeof(*src));
	assert_non_null(src);
	src->version = 2;
	src->flags = 1;
	src->name = "all";
	src->tag = 'a';
	src->mode = 'z';
	src->limit = -5;
	assert_int_equal(copy(&dst, src, &err), 0);
	assert_int_equal(dst.version, 2);
	assert_int_equal(dst.flags, 1);
	assert_string_equal(dst.name, "all");
	assert_int_equal(dst.tag, 'a');
	assert_int_equal(dst.mode, 'z');
	assert_int_equal(dst.limit, -5);
	free(src);
}

static void versions_0_negative_and_newer_are_refused_naming_both(
	void **state)
{
	static const int bad[] = { 0, -1, INT_MIN, 3, INT_MAX };
	struct opts_v2 dst = OPTS_V2_INIT, src = OPTS_V2_INIT;
	char want[64];
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		src.version = bad[i];
		src.flags = 99;
		assert_int_equal(copy(&dst, &src, &err), KSEF_EINVAL);
		assert_int_equal(err.code, KSEF_EINVAL);
		snprintf(want, sizeof(want), "struct opts version %d ", bad[i]);
		assert_non_null(strstr(err.message, want));
		assert_non_null(strstr(err.message, "versions 1 to 2"));
		/* Nothing was copied. */
		assert_int_equal(dst.version, 2);
		assert_int_equal(dst.flags, 0);
	}
}

static void a_null_caller_struct_is_refused(void **state)
{
	struct opts_v2 dst = OPTS_V2_INIT;
	ksef_error err;

	(void)state;
	assert_int_equal(copy(&dst, NULL, &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "struct opts is NULL"));
	assert_int_equal(copy(&dst, NULL, NULL), KSEF_EINVAL);
}

static void a_size_table_larger_than_the_copy_is_refused(void **state)
{
	/* The library's own mistake: it must not overrun its own struct. */
	static const size_t wrong[] = { sizeof(struct opts_v2) + 1 };
	struct opts_v2 dst = OPTS_V2_INIT, src = OPTS_V2_INIT;
	ksef_error err;

	(void)state;
	src.version = 1;
	assert_int_equal(ksef__options_copy(&dst, sizeof(dst), &src, wrong, 1,
					    "struct opts", &err), KSEF_EINVAL);
	assert_non_null(strstr(err.message, "size"));
}

/*
 * Every public options struct: each takes the library's own version and
 * refuses 0, -1 and one past it, naming the struct in the message. The
 * calls fail before anything touches the network or a schema.
 */

enum which {
	CLIENT, CONN, CONN_CLIENT, SEND, SESSION_QUERY, TOKEN_QUERY, IP_POLICY,
	UPO_DESC, GEN, VERIFY, XADES_REQUEST, XADES_CERT, XADES_VERIFY,
	WHICH_COUNT
};

static const struct {
	const char *name;
	int current;
} structs[WHICH_COUNT] = {
	[CLIENT] = { "ksef_client_options", KSEF_CLIENT_OPTIONS_VERSION },
	[CONN] = { "ksef_conn_options", KSEF_CONN_OPTIONS_VERSION },
	[CONN_CLIENT] = { "ksef_client_options",
			  KSEF_CLIENT_OPTIONS_VERSION },
	[SEND] = { "ksef_client_send_options",
		   KSEF_CLIENT_SEND_OPTIONS_VERSION },
	[SESSION_QUERY] = { "ksef_client_session_query",
			    KSEF_CLIENT_SESSION_QUERY_VERSION },
	[TOKEN_QUERY] = { "ksef_client_token_query",
			  KSEF_CLIENT_TOKEN_QUERY_VERSION },
	[IP_POLICY] = { "ksef_client_ip_policy",
			KSEF_CLIENT_IP_POLICY_VERSION },
	[UPO_DESC] = { "ksef_upo_desc", KSEF_UPO_DESC_VERSION },
	[GEN] = { "ksef_gen_options", KSEF_GEN_OPTIONS_VERSION },
	[VERIFY] = { "ksef_verify_options", KSEF_VERIFY_OPTIONS_VERSION },
	[XADES_REQUEST] = { "ksef_xades_auth_request",
			    KSEF_XADES_AUTH_REQUEST_VERSION },
	[XADES_CERT] = { "ksef_xades_cert_options",
			 KSEF_XADES_CERT_OPTIONS_VERSION },
	[XADES_VERIFY] = { "ksef_xades_verify_options",
			   KSEF_XADES_VERIFY_OPTIONS_VERSION },
};

#define REF_SO "20250625-SO-2F67B8B000-F4A9C8E4C1-1C"

/* Call the public function that takes struct `which`, at `version`, with
 * every other argument valid enough to reach the version check. */
static int call_with(enum which which, int version, ksef_error *err)
{
	ksef_client_options co = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;
	int error = 0;

	co.base_url = "http://127.0.0.1:9/v2";
	co.max_retries = 0; /* nothing listens there: fail at once */
	if (which != CLIENT && which != CONN && which != CONN_CLIENT) {
		assert_int_equal(ksef_client_new(&c, &co, err), 0);
		assert_int_equal(ksef_client_set_access_token(c, "acc", err),
				 0);
	}
	switch (which) {
	case CLIENT:
		co.version = version;
		error = ksef_client_new(&c, &co, err);
		break;
	case CONN:
	case CONN_CLIENT: {
		ksef_conn_options o = KSEF_CONN_OPTIONS_INIT;
		ksef_conn *conn = NULL;

		if (which == CONN)
			o.version = version;
		else
			co.version = version;
		o.client = &co;
		o.context_value = "5265877635";
		o.ksef_token = "token";
		error = ksef_conn_new(&conn, &o, err);
		ksef_conn_free(conn);
		break;
	}
	case SEND: {
		ksef_client_send_options o = KSEF_CLIENT_SEND_OPTIONS_INIT;
		ksef_envelope *env = NULL;
		char ref[KSEF_REFNUM_BUFSZ];

		assert_int_equal(ksef_envelope_new(&env, err), 0);
		o.version = version;
		error = ksef_client_invoice_send(ref, NULL, c, REF_SO, env,
			(const unsigned char *)"<x/>", 4, &o, err);
		ksef_envelope_free(env);
		break;
	}
	case SESSION_QUERY: {
		ksef_client_session_query q = KSEF_CLIENT_SESSION_QUERY_INIT;
		ksef_api_session_list *l = NULL;

		q.version = version;
		error = ksef_client_sessions(&l, c, &q, NULL, err);
		ksef_api_session_list_free(l);
		break;
	}
	case TOKEN_QUERY: {
		ksef_client_token_query q = KSEF_CLIENT_TOKEN_QUERY_INIT;
		ksef_api_token_list *l = NULL;

		q.version = version;
		error = ksef_client_tokens(&l, c, &q, NULL, err);
		ksef_api_token_list_free(l);
		break;
	}
	case IP_POLICY:
	case XADES_REQUEST: {
		ksef_xades_auth_request rq = KSEF_XADES_AUTH_REQUEST_INIT;
		ksef_client_ip_policy p = KSEF_CLIENT_IP_POLICY_INIT;
		ksef_buf out = KSEF_BUF_INIT;

		rq.challenge = "20250625-CR-2FDC223000-C2BFC98A9C-4E";
		rq.context_value = "5265877635";
		rq.ip_policy = &p;
		if (which == IP_POLICY)
			p.version = version;
		else
			rq.version = version;
		error = ksef_xades_build_auth_request(&out, &rq, err);
		ksef_buf_dispose(&out);
		break;
	}
	case UPO_DESC: {
		ksef_upo_desc d = KSEF_UPO_DESC_INIT;
		ksef_buf out = KSEF_BUF_INIT;

		d.version = version;
		error = ksef_upo_build(&out, &d, err);
		ksef_buf_dispose(&out);
		break;
	}
	case GEN: {
		ksef_gen_options o = KSEF_GEN_OPTIONS_INIT;
		ksef_buf out = KSEF_BUF_INIT;

		o.version = version;
		o.seller_nip = "5265877635";
		error = ksef_gen_invoice(&out, &o, 1, err);
		ksef_buf_dispose(&out);
		break;
	}
	case VERIFY: {
		ksef_verify_options o = KSEF_VERIFY_OPTIONS_INIT;
		ksef_schemas *schemas = NULL;
		ksef_verdict *v = NULL;

		/* Nothing is compiled until a form is verified. */
		assert_int_equal(ksef_schemas_new(&schemas, "/", err), 0);
		o.version = version;
		error = ksef_invoice_verify(&v, schemas, KSEF_FORM_FA3,
			(const unsigned char *)"<x/>", 4, &o, err);
		ksef_verdict_free(v);
		ksef_schemas_free(schemas);
		break;
	}
	case XADES_CERT: {
		ksef_xades_cert_options o = KSEF_XADES_CERT_OPTIONS_INIT;
		ksef_buf key = KSEF_BUF_INIT, cert = KSEF_BUF_INIT;

		o.version = version;
		o.common_name = "CN";
		error = ksef_xades_cert_generate(&key, &cert, &o, err);
		ksef_buf_dispose_secure(&key);
		ksef_buf_dispose(&cert);
		break;
	}
	case XADES_VERIFY: {
		ksef_xades_verify_options o = KSEF_XADES_VERIFY_OPTIONS_INIT;
		ksef_xades_verified *v = NULL;

		o.version = version;
		error = ksef_xades_verify_auth_request(&v,
			(const unsigned char *)"<x/>", 4, &o, err);
		ksef_xades_verified_free(v);
		break;
	}
	default:
		fail();
	}
	ksef_client_free(c);
	return error;
}

static void every_public_options_struct_refuses_versions_it_does_not_know(
	void **state)
{
	char want[96];
	ksef_error err;
	size_t i, j;

	(void)state;
	for (i = 0; i < WHICH_COUNT; i++) {
		const int bad[] = { 0, -1, structs[i].current + 1 };

		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			memset(&err, 0, sizeof(err));
			if (call_with((enum which)i, bad[j], &err) !=
			    KSEF_EINVAL)
				fail_msg("%s version %d was not refused",
					 structs[i].name, bad[j]);
			snprintf(want, sizeof(want), "%s version %d ",
				 structs[i].name, bad[j]);
			if (strstr(err.message, want) == NULL)
				fail_msg("%s version %d: \"%s\"",
					 structs[i].name, bad[j], err.message);
		}
	}
}

static void every_public_options_struct_takes_its_own_version(void **state)
{
	ksef_error err;
	size_t i;

	(void)state;
	/* Whatever else goes wrong (no server, a made-up invoice), it is
	 * not the version. */
	for (i = 0; i < WHICH_COUNT; i++) {
		memset(&err, 0, sizeof(err));
		(void)call_with((enum which)i, structs[i].current, &err);
		if (strstr(err.message, "version") != NULL)
			fail_msg("%s version %d: \"%s\"", structs[i].name,
				 structs[i].current, err.message);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			a_version_1_caller_is_read_only_as_far_as_version_1),
		cmocka_unit_test(
		the_first_version_ends_at_its_last_member_not_its_sizeof),
		cmocka_unit_test(a_current_version_caller_is_copied_whole),
		cmocka_unit_test(
			versions_0_negative_and_newer_are_refused_naming_both),
		cmocka_unit_test(a_null_caller_struct_is_refused),
		cmocka_unit_test(a_size_table_larger_than_the_copy_is_refused),
		cmocka_unit_test(
		every_public_options_struct_refuses_versions_it_does_not_know),
		cmocka_unit_test(
			every_public_options_struct_takes_its_own_version),
	};

	if (ksef_global_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
