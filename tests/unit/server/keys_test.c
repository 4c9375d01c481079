#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/buf.h"
#include "ksef/encoding.h"
#include "ksef/envelope.h"
#include "ksef/error.h"
#include "ksef/limits.h"
#include "keys.h"

/* 2025-10-09T08:53:20.123Z */
#define NOW_MS INT64_C(1760000000123)

/*
 * RSA key generation is slow under valgrind, so the group set-up makes two
 * keys once: one for both usages, one for session keys only.
 */
static server_key *both, *sym;
static char *dir;

static int make_keys(void **state)
{
	ksef_error err;

	(void)state;
	if (keys_generate(&both, KEY_USAGE_ALL, 2048, NOW_MS, 30, &err) != 0 ||
	    keys_generate(&sym, KEY_USAGE_SYMMETRIC, 2048, NOW_MS, 1, &err) !=
		    0) {
		fprintf(stderr, "keys_generate: %s\n", err.message);
		return -1;
	}
	dir = ts_mkdtemp();
	return 0;
}

static int free_keys(void **state)
{
	(void)state;
	keys_free(both);
	keys_free(sym);
	ts_rmdir(dir);
	return 0;
}

static const char *at(const char *name)
{
	static char path[8][512];
	static int next;
	char *p = path[next++ % 8];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

static ksef_pubkey *load_pub(const server_key *key)
{
	ksef_pubkey *pub = NULL;
	ksef_error err;

	if (ksef_pubkey_load(&pub, (const unsigned char *)key->cert_b64,
			     strlen(key->cert_b64), &err) != 0)
		fail_msg("ksef_pubkey_load: %s", err.message);
	return pub;
}

static void the_certificate_loads_in_libksef_with_the_same_ids(void **state)
{
	ksef_pubkey *pub = load_pub(both);

	(void)state;
	assert_string_equal(ksef_pubkey_id(pub), both->public_key_id);
	assert_string_equal(ksef_pubkey_certificate_id(pub),
			    both->certificate_id);
	assert_int_equal(strlen(both->public_key_id), KSEF_SHA256_B64_LEN);
	/* Whole seconds, from now, for 30 days. */
	assert_int_equal(both->valid_from_ms, NOW_MS - 123);
	assert_int_equal(both->valid_to_ms,
			 NOW_MS - 123 + INT64_C(30) * 86400000);
	assert_int_equal(ksef_pubkey_not_before(pub), both->valid_from_ms);
	assert_int_equal(ksef_pubkey_not_after(pub), both->valid_to_ms);
	/* Base64 DER without armour, a PKCS#8 private key. */
	assert_null(strchr(both->cert_b64, '-'));
	assert_null(strchr(both->cert_b64, '\n'));
	assert_true(strncmp(both->key_pem, "-----BEGIN PRIVATE KEY-----\n",
			    28) == 0);
	assert_int_equal(strlen(both->key_pem), both->key_pem_len);
	assert_non_null(both->priv);
	assert_int_equal(both->usage, KEY_USAGE_ALL);
	ksef_pubkey_free(pub);

	/* Two keys, two ids. */
	assert_string_not_equal(both->public_key_id, sym->public_key_id);
	assert_string_not_equal(both->certificate_id, sym->certificate_id);
}

static void a_session_key_wrapped_to_the_certificate_unwraps(void **state)
{
	ksef_pubkey *pub = load_pub(sym);
	ksef_envelope *env = NULL, *back = NULL;
	ksef_buf wrapped = KSEF_BUF_INIT, token = KSEF_BUF_INIT,
		 plain = KSEF_BUF_INIT;
	static const char tok[] = "20251009-EC-1234567890-ABCDEF0123-45|"
				  "1760000000123";

	(void)state;
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	assert_int_equal(ksef_envelope_wrap_key(&wrapped, env, pub, NULL), 0);
	assert_int_equal(ksef_envelope_unwrap_key(&back, sym->priv,
						  wrapped.ptr, wrapped.size,
						  ksef_envelope_iv(env),
						  KSEF_AES_IV_LEN, NULL), 0);
	assert_memory_equal(ksef_envelope_key(back), ksef_envelope_key(env),
			    KSEF_AES_KEY_LEN);
	/* And a KSeF token string, as /auth/ksef-token sends it. */
	assert_int_equal(ksef_rsa_oaep_encrypt(&token, pub,
					       (const unsigned char *)tok,
					       strlen(tok), NULL), 0);
	assert_int_equal(ksef_rsa_oaep_decrypt(&plain, sym->priv, token.ptr,
					       token.size, NULL), 0);
	assert_string_equal((const char *)plain.ptr, tok);
	/* Not with the other server key. */
	ksef_envelope_free(back);
	back = NULL;
	assert_int_equal(ksef_envelope_unwrap_key(&back, both->priv,
						  wrapped.ptr, wrapped.size,
						  ksef_envelope_iv(env),
						  KSEF_AES_IV_LEN, NULL),
			 KSEF_ECRYPTO);
	assert_null(back);
	ksef_buf_dispose(&wrapped);
	ksef_buf_dispose(&token);
	ksef_buf_dispose_secure(&plain);
	ksef_envelope_free(env);
	ksef_pubkey_free(pub);
}

static void the_openssl_command_reads_the_certificate(void **state)
{
	ksef_buf der = KSEF_BUF_INIT, text = KSEF_BUF_INIT;
	const char *s;

	(void)state;
	assert_int_equal(ksef_base64_decode(&der, both->cert_b64,
					    strlen(both->cert_b64),
					    KSEF_CERT_MAX_BYTES, NULL), 0);
	ts_write_file(at("cert.der"), der.ptr, der.size);
	assert_int_equal(ts_system("openssl x509 -inform DER -in '%s' -noout "
				   "-subject -issuer -dates -nameopt "
				   "RFC2253,-esc_msb >'%s'",
				   at("cert.der"), at("out.txt")), 0);
	ts_read_file(&text, at("out.txt"));
	s = (const char *)text.ptr;
	assert_non_null(strstr(s, "subject=CN=ksefd (KSeF look-alike),"
			       "O=Ministerstwo Finansów (test),C=PL\n"));
	assert_non_null(strstr(s, "issuer=CN=ksefd (KSeF look-alike),"
			       "O=Ministerstwo Finansów (test),C=PL\n"));
	assert_non_null(strstr(s, "notBefore=Oct  9 08:53:20 2025 GMT"));
	assert_non_null(strstr(s, "notAfter=Nov  8 08:53:20 2025 GMT"));
	ksef_buf_dispose(&text);

	/* An end-entity certificate for key transport, self-signed. */
	assert_int_equal(ts_system("openssl x509 -inform DER -in '%s' -noout "
				   "-text >'%s'", at("cert.der"),
				   at("out.txt")), 0);
	ts_read_file(&text, at("out.txt"));
	s = (const char *)text.ptr;
	assert_non_null(strstr(s, "Version: 3 (0x2)"));
	assert_non_null(strstr(s, "Signature Algorithm: "
			       "sha256WithRSAEncryption"));
	assert_non_null(strstr(s, "Public-Key: (2048 bit)"));
	assert_non_null(strstr(s, "X509v3 Basic Constraints: critical\n"
			       "                CA:FALSE"));
	assert_non_null(strstr(s, "X509v3 Key Usage: critical\n"
			       "                Key Encipherment\n"));
	ksef_buf_dispose(&text);
	assert_int_equal(ts_system("openssl x509 -inform DER -in '%s' "
				   "-out '%s' && openssl verify -x509_strict "
				   "-attime 1760000001 -check_ss_sig "
				   "-partial_chain -CAfile '%s' '%s' "
				   ">/dev/null", at("cert.der"),
				   at("cert.pem"), at("cert.pem"),
				   at("cert.pem")), 0);

	/* The PEM is what openssl calls a private key, and it is this
	 * certificate's. */
	ts_write_file(at("key.pem"), both->key_pem, both->key_pem_len);
	assert_int_equal(ts_system("openssl pkey -in '%s' -pubout -outform DER "
				   "-out '%s' && openssl x509 -in '%s' "
				   "-pubkey -noout | openssl pkey -pubin "
				   "-outform DER -out '%s' && cmp -s '%s' '%s'",
				   at("key.pem"), at("a.der"), at("cert.pem"),
				   at("b.der"), at("a.der"), at("b.der")), 0);
	assert_int_equal(ts_system("openssl dgst -sha256 -binary '%s' | "
				   "openssl base64 -A >'%s'", at("a.der"),
				   at("id.txt")), 0);
	ts_read_file(&text, at("id.txt"));
	assert_string_equal((const char *)text.ptr, both->public_key_id);
	ksef_buf_dispose(&text);
	ksef_buf_dispose(&der);
}

static void a_stored_key_loads_back_the_same(void **state)
{
	server_key *k = NULL;
	ksef_buf trad = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	if (keys_load(&k, KEY_USAGE_TOKEN, both->cert_b64, both->key_pem,
		      both->valid_from_ms, both->valid_from_ms + 1000,
		      &err) != 0)
		fail_msg("keys_load: %s", err.message);
	assert_int_equal(k->usage, KEY_USAGE_TOKEN);
	assert_string_equal(k->cert_b64, both->cert_b64);
	assert_string_equal(k->certificate_id, both->certificate_id);
	assert_string_equal(k->public_key_id, both->public_key_id);
	assert_string_equal(k->key_pem, both->key_pem);
	assert_int_equal(k->valid_from_ms, both->valid_from_ms);
	assert_int_equal(k->valid_to_ms, both->valid_from_ms + 1000);
	keys_free(k);

	/* A traditional RSA PEM comes back as PKCS#8. */
	ts_write_file(at("k.pem"), sym->key_pem, sym->key_pem_len);
	assert_int_equal(ts_system("openssl pkey -in '%s' -traditional "
				   "-out '%s'", at("k.pem"), at("t.pem")), 0);
	ts_read_file(&trad, at("t.pem"));
	assert_non_null(strstr((const char *)trad.ptr,
			       "BEGIN RSA PRIVATE KEY"));
	assert_int_equal(keys_load(&k, KEY_USAGE_SYMMETRIC, sym->cert_b64,
				   (const char *)trad.ptr, 0, 1, NULL), 0);
	assert_string_equal(k->key_pem, sym->key_pem);
	keys_free(k);
	ksef_buf_dispose_secure(&trad);
}

static void a_key_that_is_not_the_certificates_is_refused(void **state)
{
	server_key *k = (server_key *)&k;
	ksef_error err;

	(void)state;
	assert_int_equal(keys_load(&k, KEY_USAGE_ALL, both->cert_b64,
				   sym->key_pem, 0, 1, &err), KSEF_ECHECKSUM);
	assert_null(k);
	assert_non_null(strstr(err.message, "does not belong"));
	assert_int_equal(keys_load(&k, KEY_USAGE_ALL, sym->cert_b64,
				   both->key_pem, 0, 1, NULL), KSEF_ECHECKSUM);
}

static void stored_strings_that_are_not_a_key_are_refused(void **state)
{
	static const char *const pem_garbage[] = {
		"",
		("-----BEGIN PRIVATE KEY-----\nAAAA\n"
		 "-----END PRIVATE KEY-----\n"),
		"not a key",
	};
	char *big;
	server_key *k = NULL;
	size_t i;

	(void)state;
	/* The certificate: not Base64, Base64 of no DER, DER with a tail. */
	assert_int_equal(keys_load(&k, KEY_USAGE_ALL, "MII!", both->key_pem,
				   0, 1, NULL), KSEF_EPARSE);
	assert_int_equal(keys_load(&k, KEY_USAGE_ALL, "", both->key_pem, 0, 1,
				   NULL), KSEF_EPARSE);
	assert_int_equal(keys_load(&k, KEY_USAGE_ALL, "AAAA", both->key_pem,
				   0, 1, NULL), KSEF_EPARSE);
	{
		/* Whole zero quanta after the DER (or after its padding,
		 * which is no Base64 at all). */
		size_t n = strlen(both->cert_b64);
		char *tail = malloc(n + 5);

		assert_non_null(tail);
		memcpy(tail, both->cert_b64, n);
		strcpy(tail + n, "AAAA");
		assert_int_equal(keys_load(&k, KEY_USAGE_ALL, tail,
					   both->key_pem, 0, 1, NULL),
				 KSEF_EPARSE);
		free(tail);
	}
	/* The key. */
	for (i = 0; i < sizeof(pem_garbage) / sizeof(pem_garbage[0]); i++)
		assert_int_equal(keys_load(&k, KEY_USAGE_ALL, both->cert_b64,
					   pem_garbage[i], 0, 1, NULL),
				 KSEF_EPARSE);
	/* Over-long strings, refused before they are read. */
	big = malloc(4 * KSEF_CERT_MAX_BYTES);
	assert_non_null(big);
	memset(big, 'A', 4 * KSEF_CERT_MAX_BYTES - 1);
	big[4 * KSEF_CERT_MAX_BYTES - 1] = '\0';
	assert_int_equal(keys_load(&k, KEY_USAGE_ALL, big, both->key_pem, 0,
				   1, NULL), KSEF_ETOOBIG);
	assert_int_equal(keys_load(&k, KEY_USAGE_ALL, both->cert_b64, big, 0,
				   1, NULL), KSEF_ETOOBIG);
	free(big);
	/* The contract. */
	assert_int_equal(keys_load(&k, 0, both->cert_b64, both->key_pem, 0,
				   1, NULL), KSEF_EINVAL);
	assert_int_equal(keys_load(&k, 4, both->cert_b64, both->key_pem, 0,
				   1, NULL), KSEF_EINVAL);
	assert_int_equal(keys_load(&k, KEY_USAGE_ALL, both->cert_b64,
				   both->key_pem, 1, 1, NULL), KSEF_EINVAL);
	assert_int_equal(keys_load(&k, KEY_USAGE_ALL, NULL, both->key_pem, 0,
				   1, NULL), KSEF_EINVAL);
	assert_int_equal(keys_load(&k, KEY_USAGE_ALL, both->cert_b64, NULL, 0,
				   1, NULL), KSEF_EINVAL);
	assert_int_equal(keys_load(NULL, KEY_USAGE_ALL, both->cert_b64,
				   both->key_pem, 0, 1, NULL), KSEF_EINVAL);
	assert_null(k);
}

static void a_weak_stored_key_is_refused(void **state)
{
	ksef_buf key = KSEF_BUF_INIT, cert = KSEF_BUF_INIT;
	server_key *k = NULL;

	(void)state;
	assert_int_equal(ts_system("cd '%s' && openssl req -x509 -newkey "
				   "rsa:1024 -noenc -keyout weak.pem -out "
				   "weak.crt -subj /CN=weak -days 1 "
				   "2>/dev/null && openssl x509 -in weak.crt "
				   "-outform DER | openssl base64 -A "
				   ">weak.b64", dir), 0);
	ts_read_file(&key, at("weak.pem"));
	ts_read_file(&cert, at("weak.b64"));
	assert_int_equal(keys_load(&k, KEY_USAGE_ALL, (const char *)cert.ptr,
				   (const char *)key.ptr, 0, 1, NULL),
			 KSEF_EFORMAT);
	assert_null(k);
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&cert);
}

static void generate_checks_its_arguments(void **state)
{
	server_key *k = (server_key *)&k;

	(void)state;
	assert_int_equal(keys_generate(&k, KEY_USAGE_ALL, 1024, NOW_MS, 30,
				       NULL), KSEF_EINVAL);
	assert_null(k);
	assert_int_equal(keys_generate(&k, KEY_USAGE_ALL, 8193, NOW_MS, 30,
				       NULL), KSEF_EINVAL);
	assert_int_equal(keys_generate(&k, 0, 2048, NOW_MS, 30, NULL),
			 KSEF_EINVAL);
	assert_int_equal(keys_generate(&k, 8, 2048, NOW_MS, 30, NULL),
			 KSEF_EINVAL);
	assert_int_equal(keys_generate(&k, KEY_USAGE_ALL, 2048, NOW_MS, 0,
				       NULL), KSEF_EINVAL);
	assert_int_equal(keys_generate(&k, KEY_USAGE_ALL, 2048, NOW_MS,
				       KEYS_MAX_VALIDITY_DAYS + 1, NULL),
			 KSEF_EINVAL);
	assert_int_equal(keys_generate(&k, KEY_USAGE_ALL, 2048, -1, 30, NULL),
			 KSEF_EINVAL);
	assert_int_equal(keys_generate(&k, KEY_USAGE_ALL, 2048,
				       INT64_C(253402300799000), 30, NULL),
			 KSEF_EINVAL);
	assert_int_equal(keys_generate(NULL, KEY_USAGE_ALL, 2048, NOW_MS, 30,
				       NULL), KSEF_EINVAL);
	assert_null(k);
	keys_free(NULL);
}

static void usages_have_their_api_names(void **state)
{
	const char *names[2] = { NULL, NULL };

	(void)state;
	assert_string_equal(keys_usage_name(KEY_USAGE_SYMMETRIC),
			    "SymmetricKeyEncryption");
	assert_string_equal(keys_usage_name(KEY_USAGE_TOKEN),
			    "KsefTokenEncryption");
	assert_null(keys_usage_name(KEY_USAGE_ALL));
	assert_null(keys_usage_name(0));
	assert_int_equal(keys_usage_names(names, KEY_USAGE_ALL), 2);
	assert_string_equal(names[0], "KsefTokenEncryption");
	assert_string_equal(names[1], "SymmetricKeyEncryption");
	assert_int_equal(keys_usage_names(names, KEY_USAGE_SYMMETRIC | 8), 1);
	assert_string_equal(names[0], "SymmetricKeyEncryption");
	assert_int_equal(keys_usage_names(names, 0), 0);
	assert_int_equal(keys_usage_names(NULL, KEY_USAGE_ALL), 0);
	assert_int_equal(keys_usage_from_name("KsefTokenEncryption", 19),
			 KEY_USAGE_TOKEN);
	assert_int_equal(keys_usage_from_name("SymmetricKeyEncryption", 22),
			 KEY_USAGE_SYMMETRIC);
	assert_int_equal(keys_usage_from_name("KsefTokenEncryption", 18), 0);
	assert_int_equal(keys_usage_from_name("ksefTokenEncryption", 19), 0);
	assert_int_equal(keys_usage_from_name(NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(generate_checks_its_arguments),
		cmocka_unit_test(stored_strings_that_are_not_a_key_are_refused),
		cmocka_unit_test(a_weak_stored_key_is_refused),
		cmocka_unit_test(a_key_that_is_not_the_certificates_is_refused),
		cmocka_unit_test(
			the_certificate_loads_in_libksef_with_the_same_ids),
		cmocka_unit_test(
			a_session_key_wrapped_to_the_certificate_unwraps),
		cmocka_unit_test(the_openssl_command_reads_the_certificate),
		cmocka_unit_test(a_stored_key_loads_back_the_same),
		cmocka_unit_test(usages_have_their_api_names),
	};
	return cmocka_run_group_tests(tests, make_keys, free_keys);
}
