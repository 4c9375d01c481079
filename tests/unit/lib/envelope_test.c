#include "testsupport.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include "ksef/encoding.h"
#include "ksef/envelope.h"
#include "ksef/error.h"
#include "ksef/limits.h"

/*
 * The RSA tests share one folder of keys and certificates made once by the
 * openssl command (group set-up), so that every interop check runs against
 * a second, independent implementation.
 */
static char *dir;

static const char *at(const char *name)
{
	static char path[4][512];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

static int make_keys(void **state)
{
	(void)state;
	dir = ts_mkdtemp();
	/* The RSA-2048 key and its self-signed certificate, valid 30 days;
	 * the same key in traditional PEM and passphrase-protected; a
	 * second key that is not the certificate's; an EC and a weak RSA
	 * certificate that KSeF could not use. */
	if (ts_system("cd '%s' && "
		"openssl req -x509 -newkey rsa:2048 -noenc -keyout key.pem "
		"  -out cert.pem -subj '/CN=Ministerstwo Finansow' -days 30 "
		"  2>/dev/null && "
		"openssl x509 -in cert.pem -outform DER -out cert.der && "
		"openssl base64 -A -in cert.der -out cert.b64 && "
		"openssl x509 -in cert.pem -pubkey -noout -out pub.pem && "
		"openssl pkey -in key.pem -traditional -out key_trad.pem && "
		"openssl pkey -in key.pem -aes256 -passout pass:secret "
		"  -out key_enc.pem && "
		"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
		"  -out other.pem 2>/dev/null && "
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		"  -noenc -keyout ec_key.pem -out ec_cert.pem -subj /CN=ec "
		"  -days 1 2>/dev/null && "
		"openssl req -x509 -newkey rsa:1024 -noenc -keyout weak_key.pem "
		"  -out weak_cert.pem -subj /CN=weak -days 1 2>/dev/null",
		dir) != 0)
		return -1;
	return 0;
}

static int remove_keys(void **state)
{
	(void)state;
	ts_rmdir(dir);
	dir = NULL;
	return 0;
}

static void unhex(unsigned char *out, const char *hex)
{
	size_t i, n = strlen(hex) / 2;

	for (i = 0; i < n; i++) {
		unsigned int v;

		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

static ksef_pubkey *load_cert(const char *name)
{
	ksef_buf b = KSEF_BUF_INIT;
	ksef_pubkey *pub = NULL;
	ksef_error err;

	ts_read_file(&b, at(name));
	if (ksef_pubkey_load(&pub, b.ptr, b.size, &err) != 0)
		fail_msg("%s: %s", name, err.message);
	ksef_buf_dispose(&b);
	return pub;
}

static ksef_privkey *load_key(const char *name)
{
	ksef_buf b = KSEF_BUF_INIT;
	ksef_privkey *priv = NULL;
	ksef_error err;

	ts_read_file(&b, at(name));
	if (ksef_privkey_load_pem(&priv, (const char *)b.ptr, b.size,
				  &err) != 0)
		fail_msg("%s: %s", name, err.message);
	ksef_buf_dispose_secure(&b);
	return priv;
}

/* Run a shell pipeline that prints a Base64 digest and read it back. */
static void openssl_digest(char out[KSEF_SHA256_B64_LEN + 1], const char *cmd)
{
	ksef_buf b = KSEF_BUF_INIT;

	assert_int_equal(ts_system("cd '%s' && %s > digest.txt", dir, cmd), 0);
	ts_read_file(&b, at("digest.txt"));
	assert_true(b.size >= KSEF_SHA256_B64_LEN);
	memcpy(out, b.ptr, KSEF_SHA256_B64_LEN);
	out[KSEF_SHA256_B64_LEN] = '\0';
	ksef_buf_dispose(&b);
}

#define OAEP_OPTS "-pkeyopt rsa_padding_mode:oaep " \
	"-pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256"

/* NIST SP 800-38A F.2.5/F.2.6, CBC-AES256. */
#define NIST_KEY "603deb1015ca71be2b73aef0857d7781" \
		 "1f352c073b6108d72d9810a30914dff4"
#define NIST_IV "000102030405060708090a0b0c0d0e0f"
#define NIST_PT "6bc1bee22e409f96e93d7e117393172a" \
		"ae2d8a571e03ac9c9eb76fac45af8e51" \
		"30c81c46a35ce411e5fbc1191a0a52ef" \
		"f69f2445df4f9b17ad2b417be66c3710"
/* The four NIST ciphertext blocks, then the block PKCS#7 padding adds,
 * made with: xxd -r -p <<<$NIST_PT |
 *            openssl enc -aes-256-cbc -K $NIST_KEY -iv $NIST_IV | xxd -p */
#define NIST_CT "f58c4c04d6e5f1ba779eabfb5f7bfbd6" \
		"9cfc4e967edb808d679f777bc6702c7d" \
		"39f23369a9d9bacfa530e26304231461" \
		"b2eb05e2c39be9fcda6c19078c6a9d1b" \
		"3f461796d6b0d6b2e0c2a72b4d80e644"

static ksef_envelope *nist_envelope(void)
{
	unsigned char key[32], iv[16];
	ksef_envelope *env = NULL;

	unhex(key, NIST_KEY);
	unhex(iv, NIST_IV);
	assert_int_equal(ksef_envelope_from_key(&env, key, 32, iv, 16, NULL),
			 0);
	return env;
}

/* ---- AES-256-CBC: failures first -------------------------------------- */

static void decrypt_refuses_lengths_that_are_not_whole_blocks(void **state)
{
	static const size_t lens[] = { 0, 1, 15, 17, 63 };
	unsigned char ct[64] = { 0 };
	ksef_envelope *env = nist_envelope();
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		assert_int_equal(ksef_envelope_decrypt(&out, env, ct, lens[i],
						       &err), KSEF_ECRYPTO);
		assert_non_null(strstr(err.message, "multiple"));
		assert_null(out.ptr);
	}
	ksef_envelope_free(env);
}

static void decrypt_refuses_oversized_input_by_its_length_alone(void **state)
{
	/* One real byte, a longer claimed length: reading first trips ASan. */
	const unsigned char one = 0;
	ksef_envelope *env = nist_envelope();
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_envelope_decrypt(&out, env, &one,
		KSEF_CIPHERTEXT_MAX_BYTES + 16, &err), KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "KSEF_CIPHERTEXT_MAX_BYTES"));
	assert_int_equal(ksef_envelope_decrypt(&out, env, &one,
		KSEF_CIPHERTEXT_MAX_BYTES + 1, NULL), KSEF_ETOOBIG);
	assert_null(out.ptr);
	ksef_envelope_free(env);
}

static void encrypt_refuses_oversized_input_by_its_length_alone(void **state)
{
	const unsigned char one = '<';
	ksef_envelope *env = nist_envelope();
	ksef_buf out = KSEF_BUF_INIT;
	ksef_invoice_meta meta;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_envelope_encrypt(&out, env, &one,
		KSEF_INVOICE_MAX_BYTES + 1, &err), KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "KSEF_INVOICE_MAX_BYTES"));
	assert_int_equal(ksef_envelope_seal(&out, &meta, env, &one,
		KSEF_INVOICE_MAX_BYTES + 1, NULL), KSEF_ETOOBIG);
	assert_null(out.ptr);
	ksef_envelope_free(env);
}

static void decrypt_refuses_bad_padding_and_leaves_output_alone(void **state)
{
	unsigned char ct[80];
	ksef_envelope *env = nist_envelope();
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	unsigned char pt[64], key[32], iv[16];
	ksef_envelope *wrong = NULL;

	(void)state;
	unhex(ct, NIST_CT);
	unhex(pt, NIST_PT);
	assert_int_equal(ksef_envelope_decrypt(&out, env, ct, 80, NULL), 0);
	/* The last plaintext block is D(C5) XOR C4, so flipping a bit of
	 * C4's last byte flips the pad byte: 0x10 becomes 0x11, which no
	 * PKCS#7 padding of a 16-byte block can be. */
	ct[63] ^= 0x01;
	assert_int_equal(ksef_envelope_decrypt(&out, env, ct, 80, &err),
			 KSEF_ECRYPTO);
	assert_non_null(strstr(err.message, "padding"));
	assert_int_equal(ERR_peek_error(), 0);
	/* ... and 0x00 is no padding either. */
	ct[63] ^= 0x01 ^ 0x10;
	assert_int_equal(ksef_envelope_decrypt(&out, env, ct, 80, NULL),
			 KSEF_ECRYPTO);
	/* The buffer still holds the earlier plaintext. */
	assert_int_equal(out.size, 64);
	assert_memory_equal(out.ptr, pt, 64);
	/* The wrong key garbles the last block too (for these fixed
	 * bytes; in general about 1 time in 256 the padding survives). */
	ct[63] ^= 0x10;
	unhex(key, NIST_KEY);
	unhex(iv, NIST_IV);
	key[0] ^= 0x80;
	assert_int_equal(ksef_envelope_from_key(&wrong, key, 32, iv, 16,
						NULL), 0);
	assert_int_equal(ksef_envelope_decrypt(&out, wrong, ct, 80, NULL),
			 KSEF_ECRYPTO);
	ksef_buf_dispose(&out);
	ksef_envelope_free(wrong);
	ksef_envelope_free(env);
}

static void envelope_from_key_refuses_wrong_lengths(void **state)
{
	unsigned char key[33] = { 0 }, iv[17] = { 0 };
	ksef_envelope *env = (ksef_envelope *)&env;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_envelope_from_key(&env, key, 31, iv, 16, &err),
			 KSEF_EINVAL);
	assert_null(env);
	assert_int_equal(ksef_envelope_from_key(&env, key, 33, iv, 16, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_envelope_from_key(&env, key, 32, iv, 15, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_envelope_from_key(&env, key, 32, iv, 17, NULL),
			 KSEF_EINVAL);
	assert_int_equal(ksef_envelope_from_key(&env, NULL, 32, iv, 16, NULL),
			 KSEF_EINVAL);
	assert_null(env);
	ksef_envelope_free(NULL);
	assert_null(ksef_envelope_iv(NULL));
	assert_null(ksef_envelope_key(NULL));
}

/* ---- AES-256-CBC: known answers ---------------------------------------- */

static void encrypt_matches_nist_sp800_38a_cbc_aes256(void **state)
{
	unsigned char pt[64], ct[80];
	ksef_envelope *env = nist_envelope();
	ksef_buf out = KSEF_BUF_INIT;

	(void)state;
	unhex(pt, NIST_PT);
	unhex(ct, NIST_CT);
	assert_int_equal(ksef_envelope_encrypt(&out, env, pt, 64, NULL), 0);
	/* 64 bytes are whole blocks, so PKCS#7 adds a fifth. */
	assert_int_equal(out.size, 80);
	assert_memory_equal(out.ptr, ct, 64); /* F.2.5 */
	assert_memory_equal(out.ptr + 64, ct + 64, 16);
	ksef_buf_dispose(&out);
	ksef_envelope_free(env);
}

static void decrypt_matches_nist_sp800_38a_cbc_aes256(void **state)
{
	unsigned char pt[64], ct[80];
	ksef_envelope *env = nist_envelope();
	ksef_buf out = KSEF_BUF_INIT;

	(void)state;
	unhex(pt, NIST_PT);
	unhex(ct, NIST_CT);
	assert_int_equal(ksef_envelope_decrypt(&out, env, ct, 80, NULL), 0);
	assert_int_equal(out.size, 64); /* F.2.6 */
	assert_memory_equal(out.ptr, pt, 64);
	ksef_buf_dispose(&out);
	ksef_envelope_free(env);
}

static void encrypt_matches_openssl_enc_at_every_padding_length(void **state)
{
	/* Each length pads differently: a full block, one byte, fifteen. */
	static const size_t lens[] = { 0, 1, 3, 15, 16, 17, 31, 32, 1000 };
	unsigned char data[1000];
	ksef_envelope *env = nist_envelope();
	ksef_buf ours = KSEF_BUF_INIT, theirs = KSEF_BUF_INIT;
	ksef_buf back = KSEF_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)("abc"[i % 3] + i / 3);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = lens[i];

		ts_write_file(at("pt.bin"), data, n);
		assert_int_equal(ts_system("openssl enc -aes-256-cbc -K "
			NIST_KEY " -iv " NIST_IV " -in '%s' -out '%s'",
			at("pt.bin"), at("ct.bin")), 0);
		ts_read_file(&theirs, at("ct.bin"));
		assert_int_equal(ksef_envelope_encrypt(&ours, env, data, n,
						       NULL), 0);
		assert_int_equal(ours.size, 16 * (n / 16 + 1));
		assert_int_equal(ours.size, theirs.size);
		assert_memory_equal(ours.ptr, theirs.ptr, ours.size);
		assert_int_equal(ksef_envelope_decrypt(&back, env, theirs.ptr,
						       theirs.size, NULL), 0);
		assert_int_equal(back.size, n);
		if (n > 0)
			assert_memory_equal(back.ptr, data, n);
	}
	/* And one answer kept in the source: "abc", made the same way. */
	assert_int_equal(ksef_envelope_encrypt(&ours, env,
		(const unsigned char *)"abc", 3, NULL), 0);
	unhex(data, "83286afe49594ce405a251bdb203750f");
	assert_int_equal(ours.size, 16);
	assert_memory_equal(ours.ptr, data, 16);
	ksef_buf_dispose(&ours);
	ksef_buf_dispose(&theirs);
	ksef_buf_dispose(&back);
	ksef_envelope_free(env);
}

static void an_invoice_at_the_size_limit_encrypts_and_decrypts(void **state)
{
	unsigned char *xml = malloc(KSEF_INVOICE_MAX_BYTES);
	ksef_envelope *env = NULL;
	ksef_buf ct = KSEF_BUF_INIT, pt = KSEF_BUF_INIT;

	(void)state;
	assert_non_null(xml);
	memset(xml, 'x', KSEF_INVOICE_MAX_BYTES);
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	assert_int_equal(ksef_envelope_encrypt(&ct, env, xml,
		KSEF_INVOICE_MAX_BYTES, NULL), 0);
	/* The limit is a whole number of blocks, so this is the largest
	 * ciphertext there can be. */
	assert_int_equal(ct.size, KSEF_CIPHERTEXT_MAX_BYTES);
	assert_int_equal(ksef_envelope_decrypt(&pt, env, ct.ptr, ct.size,
					       NULL), 0);
	assert_int_equal(pt.size, KSEF_INVOICE_MAX_BYTES);
	assert_memory_equal(pt.ptr, xml, KSEF_INVOICE_MAX_BYTES);
	ksef_buf_dispose(&ct);
	ksef_buf_dispose(&pt);
	ksef_envelope_free(env);
	free(xml);
}

/* A stream fed in pieces gives what one call gives for the whole, and
 * takes more than one call may: 5 MB in uneven pieces. */
static void a_stream_matches_the_whole_and_passes_its_limit(void **state)
{
	size_t big = 5u << 20, off, k, i;
	unsigned char *plain = malloc(big);
	ksef_envelope *env = NULL;
	ksef_envelope_stream *s = NULL;
	ksef_buf whole = KSEF_BUF_INIT, ct = KSEF_BUF_INIT,
		 back = KSEF_BUF_INIT;

	(void)state;
	for (i = 0; i < big; i++)
		plain[i] = (unsigned char)(i * 131 + 7);
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	/* Small: the same bytes as ksef_envelope_encrypt(). */
	assert_int_equal(ksef_envelope_encrypt(&whole, env, plain, 1000,
					       NULL), 0);
	assert_int_equal(ksef_envelope_stream_new(&s, env, 1, NULL), 0);
	assert_int_equal(ksef_envelope_stream_update(s, &ct, plain, 333,
						     SIZE_MAX, NULL), 0);
	assert_int_equal(ksef_envelope_stream_update(s, &ct, plain + 333, 667,
						     SIZE_MAX, NULL), 0);
	assert_int_equal(ksef_envelope_stream_final(s, &ct, SIZE_MAX, NULL),
			 0);
	/* Finished, it takes nothing more. */
	assert_int_equal(ksef_envelope_stream_update(s, &ct, plain, 1,
						     SIZE_MAX, NULL),
			 KSEF_EINVAL);
	ksef_envelope_stream_free(s);
	assert_int_equal(ct.size, whole.size);
	assert_memory_equal(ct.ptr, whole.ptr, ct.size);
	ksef_buf_dispose(&ct);
	/* Big: encrypted and decrypted in pieces of odd sizes. */
	assert_int_equal(ksef_envelope_stream_new(&s, env, 1, NULL), 0);
	for (off = 0; off < big; off += k) {
		k = big - off < 77777 ? big - off : 77777;
		assert_int_equal(ksef_envelope_stream_update(s, &ct,
			plain + off, k, SIZE_MAX, NULL), 0);
	}
	assert_int_equal(ksef_envelope_stream_final(s, &ct, SIZE_MAX, NULL),
			 0);
	ksef_envelope_stream_free(s);
	assert_int_equal(ct.size, (big / 16 + 1) * 16);
	assert_int_equal(ksef_envelope_stream_new(&s, env, 0, NULL), 0);
	for (off = 0; off < ct.size; off += k) {
		k = ct.size - off < 4099 ? ct.size - off : 4099;
		assert_int_equal(ksef_envelope_stream_update(s, &back,
			ct.ptr + off, k, SIZE_MAX, NULL), 0);
	}
	assert_int_equal(ksef_envelope_stream_final(s, &back, SIZE_MAX, NULL),
			 0);
	ksef_envelope_stream_free(s);
	assert_int_equal(back.size, big);
	assert_memory_equal(back.ptr, plain, big);
	/* A cut-off or corrupted stream fails at its end. */
	ksef_buf_dispose(&back);
	assert_int_equal(ksef_envelope_stream_new(&s, env, 0, NULL), 0);
	for (off = 0; off < ct.size - 1; off += k) {
		k = ct.size - 1 - off < (1u << 20) ? ct.size - 1 - off :
		    (1u << 20);
		assert_int_equal(ksef_envelope_stream_update(s, &back,
			ct.ptr + off, k, SIZE_MAX, NULL), 0);
	}
	assert_int_equal(ksef_envelope_stream_final(s, &back, SIZE_MAX, NULL),
			 KSEF_ECRYPTO);
	ksef_envelope_stream_free(s);
	/* Output past its bound is refused. */
	ksef_buf_dispose(&back);
	assert_int_equal(ksef_envelope_stream_new(&s, env, 1, NULL), 0);
	assert_int_equal(ksef_envelope_stream_update(s, &back, plain, 1000,
						     100, NULL), KSEF_ETOOBIG);
	ksef_envelope_stream_free(s);
	ksef_envelope_stream_free(NULL);
	ksef_buf_dispose(&back);
	ksef_buf_dispose(&ct);
	ksef_buf_dispose(&whole);
	ksef_envelope_free(env);
	free(plain);
}

static void new_envelopes_get_fresh_keys_and_ivs(void **state)
{
	ksef_envelope *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(ksef_envelope_new(&a, NULL), 0);
	assert_int_equal(ksef_envelope_new(&b, NULL), 0);
	assert_memory_not_equal(ksef_envelope_key(a), ksef_envelope_key(b),
				KSEF_AES_KEY_LEN);
	assert_memory_not_equal(ksef_envelope_iv(a), ksef_envelope_iv(b),
				KSEF_AES_IV_LEN);
	assert_int_equal(ksef_envelope_new(NULL, NULL), KSEF_EINVAL);
	ksef_envelope_free(a);
	ksef_envelope_free(b);
}

static void seal_declares_both_hashes_and_sizes(void **state)
{
	/* The OpenAPI example: 6480 bytes of invoice, 6496 of ciphertext. */
	enum { N = 6480 };
	unsigned char *xml = malloc(N);
	char h[KSEF_SHA256_B64_LEN + 1];
	ksef_envelope *env = nist_envelope();
	ksef_buf ct = KSEF_BUF_INIT, plain = KSEF_BUF_INIT;
	ksef_invoice_meta meta;

	(void)state;
	assert_non_null(xml);
	memset(xml, '<', N);
	assert_int_equal(ksef_envelope_seal(&ct, &meta, env, xml, N, NULL), 0);
	assert_int_equal(meta.invoice_size, 6480);
	assert_int_equal(meta.encrypted_size, 6496);
	assert_int_equal(ct.size, 6496);
	assert_int_equal(ksef_sha256_base64(h, xml, N, NULL), 0);
	assert_string_equal(meta.invoice_hash, h);
	assert_int_equal(ksef_sha256_base64(h, ct.ptr, ct.size, NULL), 0);
	assert_string_equal(meta.encrypted_hash, h);
	assert_int_equal(ksef_envelope_encrypt(&plain, env, xml, N, NULL), 0);
	assert_memory_equal(plain.ptr, ct.ptr, ct.size);
	ksef_buf_dispose(&ct);
	ksef_buf_dispose(&plain);
	ksef_envelope_free(env);
	free(xml);
}

static void seal_refuses_an_empty_invoice(void **state)
{
	ksef_envelope *env = nist_envelope();
	ksef_buf ct = KSEF_BUF_INIT;
	ksef_invoice_meta meta = { "unchanged", 7, "", 0 };

	(void)state;
	assert_int_equal(ksef_envelope_seal(&ct, &meta, env,
		(const unsigned char *)"", 0, NULL), KSEF_EFORMAT);
	assert_null(ct.ptr);
	assert_string_equal(meta.invoice_hash, "unchanged");
	assert_int_equal(meta.invoice_size, 7);
	ksef_envelope_free(env);
}

/* ---- certificates ------------------------------------------------------- */

static void pubkey_refuses_what_is_not_a_usable_certificate(void **state)
{
	ksef_buf der = KSEF_BUF_INIT, pem = KSEF_BUF_INIT;
	ksef_buf b64 = KSEF_BUF_INIT, keypem = KSEF_BUF_INIT;
	unsigned char *big = calloc(1, KSEF_CERT_MAX_BYTES + 1);
	ksef_pubkey *pub = (ksef_pubkey *)&pub;
	ksef_error err;
	struct {
		const char *what;
		const unsigned char *data;
		size_t len;
		int code;
	} rows[10];
	size_t i, n = 0;

	(void)state;
	assert_non_null(big);
	ts_read_file(&der, at("cert.der"));
	ts_read_file(&pem, at("cert.pem"));
	ts_read_file(&b64, at("cert.b64"));
	ts_read_file(&keypem, at("key.pem"));
#define ROW(w, d, l, c) rows[n].what = (w), rows[n].data = (d), \
	rows[n].len = (l), rows[n++].code = (c)
	ROW("empty", der.ptr, 0, KSEF_EPARSE);
	ROW("one byte of DER", der.ptr, 1, KSEF_EPARSE);
	ROW("one byte of Base64", b64.ptr, 1, KSEF_EPARSE);
	ROW("garbage", (const unsigned char *)"hello, world", 12,
	    KSEF_EPARSE);
	ROW("truncated DER", der.ptr, der.size - 1, KSEF_EPARSE);
	ROW("truncated Base64", b64.ptr, b64.size - 4, KSEF_EPARSE);
	ROW("truncated PEM", pem.ptr, pem.size / 2, KSEF_EPARSE);
	ROW("a private key, no certificate", keypem.ptr, keypem.size,
	    KSEF_EPARSE);
	ROW("the limit, all zeros", big, KSEF_CERT_MAX_BYTES, KSEF_EPARSE);
	ROW("one over the limit", big, KSEF_CERT_MAX_BYTES + 1,
	    KSEF_ETOOBIG);
#undef ROW
	for (i = 0; i < n; i++) {
		pub = (ksef_pubkey *)&pub;
		if (ksef_pubkey_load(&pub, rows[i].data, rows[i].len, &err) !=
		    rows[i].code)
			fail_msg("%s: got \"%s\"", rows[i].what, err.message);
		assert_null(pub);
		/* The OpenSSL error queue is drained, not left to leak into
		 * the next call on this thread. */
		assert_int_equal(ERR_peek_error(), 0);
	}
	ksef_buf_dispose(&der);
	ksef_buf_dispose(&pem);
	ksef_buf_dispose(&b64);
	ksef_buf_dispose_secure(&keypem);
	free(big);
}

static void pubkey_refuses_der_with_bytes_after_it(void **state)
{
	ksef_buf der = KSEF_BUF_INIT;
	ksef_pubkey *pub = NULL;
	ksef_error err;

	(void)state;
	ts_read_file(&der, at("cert.der"));
	der.ptr[der.size] = 0; /* the spare byte ksef_buf keeps */
	assert_int_equal(ksef_pubkey_load(&pub, der.ptr, der.size + 1, &err),
			 KSEF_EPARSE);
	assert_non_null(strstr(err.message, "followed by 1 more"));
	assert_null(pub);
	ksef_buf_dispose(&der);
}

static void pubkey_refuses_ec_and_weak_rsa_keys(void **state)
{
	ksef_buf b = KSEF_BUF_INIT;
	ksef_pubkey *pub = NULL;
	ksef_error err;

	(void)state;
	ts_read_file(&b, at("ec_cert.pem"));
	assert_int_equal(ksef_pubkey_load(&pub, b.ptr, b.size, &err),
			 KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "not RSA"));
	assert_null(pub);
	ts_read_file(&b, at("weak_cert.pem"));
	assert_int_equal(ksef_pubkey_load(&pub, b.ptr, b.size, &err),
			 KSEF_EFORMAT);
	assert_non_null(strstr(err.message, "RSA-1024"));
	assert_null(pub);
	ksef_buf_dispose(&b);
}

static void pubkey_loads_der_pem_and_base64_der_alike(void **state)
{
	ksef_buf b64 = KSEF_BUF_INIT;
	ksef_pubkey *der = load_cert("cert.der");
	ksef_pubkey *pem = load_cert("cert.pem");
	ksef_pubkey *txt = load_cert("cert.b64"), *nl = NULL;

	(void)state;
	assert_string_equal(ksef_pubkey_id(der), ksef_pubkey_id(pem));
	assert_string_equal(ksef_pubkey_id(der), ksef_pubkey_id(txt));
	assert_string_equal(ksef_pubkey_certificate_id(der),
			    ksef_pubkey_certificate_id(pem));
	assert_string_equal(ksef_pubkey_certificate_id(der),
			    ksef_pubkey_certificate_id(txt));
	assert_true(ksef_pubkey_not_after(der) == ksef_pubkey_not_after(txt));
	/* Base64 saved to a file with a newline still loads. */
	ts_read_file(&b64, at("cert.b64"));
	b64.ptr[b64.size] = '\n';
	assert_int_equal(ksef_pubkey_load(&nl, b64.ptr, b64.size + 1, NULL),
			 0);
	assert_string_equal(ksef_pubkey_id(nl), ksef_pubkey_id(der));
	assert_null(ksef_pubkey_id(NULL));
	assert_null(ksef_pubkey_certificate_id(NULL));
	ksef_pubkey_free(NULL);
	ksef_pubkey_free(der);
	ksef_pubkey_free(pem);
	ksef_pubkey_free(txt);
	ksef_pubkey_free(nl);
	ksef_buf_dispose(&b64);
}

static void public_key_id_matches_openssl(void **state)
{
	char want[KSEF_SHA256_B64_LEN + 1];
	ksef_pubkey *pub = load_cert("cert.pem");

	(void)state;
	openssl_digest(want, "openssl x509 -in cert.pem -pubkey -noout | "
		"openssl pkey -pubin -outform DER | "
		"openssl dgst -sha256 -binary | openssl base64 -A");
	assert_string_equal(ksef_pubkey_id(pub), want);
	assert_int_equal(strlen(ksef_pubkey_id(pub)), KSEF_SHA256_B64_LEN);
	ksef_pubkey_free(pub);
}

static void certificate_id_matches_openssl(void **state)
{
	char want[KSEF_SHA256_B64_LEN + 1];
	ksef_pubkey *pub = load_cert("cert.pem");

	(void)state;
	openssl_digest(want, "openssl x509 -in cert.pem -outform DER | "
		"openssl dgst -sha256 -binary | openssl base64 -A");
	assert_string_equal(ksef_pubkey_certificate_id(pub), want);
	ksef_pubkey_free(pub);
}

static void validity_dates_match_the_certificate(void **state)
{
	ksef_pubkey *pub = load_cert("cert.der");
	ksef_buf b = KSEF_BUF_INIT;
	long long from = 0, to = 0;
	time_t now = time(NULL);

	(void)state;
	/* GNU date reads openssl's "Sep 29 06:03:18 2027 GMT" form. */
	assert_int_equal(ts_system("cd '%s' && "
		"date -u +%%s -d \"$(openssl x509 -in cert.pem -noout "
		"-startdate | cut -d= -f2)\" > dates.txt && "
		"date -u +%%s -d \"$(openssl x509 -in cert.pem -noout "
		"-enddate | cut -d= -f2)\" >> dates.txt", dir), 0);
	ts_read_file(&b, at("dates.txt"));
	assert_int_equal(sscanf((char *)b.ptr, "%lld %lld", &from, &to), 2);
	assert_true(ksef_pubkey_not_before(pub) == from * 1000);
	assert_true(ksef_pubkey_not_after(pub) == to * 1000);
	assert_true(to - from == 30LL * 86400);
	/* Made by the set-up, so it became valid within the last hour. */
	assert_true(ksef_pubkey_not_before(pub) <= (int64_t)now * 1000);
	assert_true(ksef_pubkey_not_before(pub) > ((int64_t)now - 3600) * 1000);
	assert_true(ksef_pubkey_not_before(NULL) == 0);
	ksef_buf_dispose(&b);
	ksef_pubkey_free(pub);
}

/* ---- RSA-OAEP ------------------------------------------------------------ */

static void oaep_encrypt_refuses_empty_and_oversized_messages(void **state)
{
	unsigned char msg[KSEF_OAEP_MAX_BYTES + 1];
	ksef_pubkey *pub = load_cert("cert.pem");
	ksef_buf out = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	memset(msg, 'a', sizeof(msg));
	assert_int_equal(ksef_rsa_oaep_encrypt(&out, pub, msg, 0, &err),
			 KSEF_EINVAL);
	/* RSA-2048 with SHA-256 carries 256 - 66 = 190 bytes at most. */
	assert_int_equal(ksef_rsa_oaep_encrypt(&out, pub, msg, 191, &err),
			 KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "at most 190"));
	assert_int_equal(ksef_rsa_oaep_encrypt(&out, pub, msg,
		KSEF_OAEP_MAX_BYTES + 1, &err), KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "KSEF_OAEP_MAX_BYTES"));
	assert_null(out.ptr);
	assert_int_equal(ksef_rsa_oaep_encrypt(&out, pub, msg, 190, NULL), 0);
	assert_int_equal(out.size, 256);
	assert_int_equal(ksef_rsa_oaep_encrypt(&out, NULL, msg, 1, NULL),
			 KSEF_EINVAL);
	ksef_buf_dispose(&out);
	ksef_pubkey_free(pub);
}

static void wrapped_key_decrypts_with_openssl_pkeyutl(void **state)
{
	ksef_pubkey *pub = load_cert("cert.b64");
	ksef_envelope *env = NULL;
	ksef_buf wrapped = KSEF_BUF_INIT, key = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	assert_int_equal(ksef_envelope_wrap_key(&wrapped, env, pub, NULL), 0);
	assert_int_equal(wrapped.size, 256);
	ts_write_file(at("wrapped.bin"), wrapped.ptr, wrapped.size);
	assert_int_equal(ts_system("cd '%s' && openssl pkeyutl -decrypt "
		"-inkey key.pem " OAEP_OPTS " -in wrapped.bin -out key.bin",
		dir), 0);
	ts_read_file(&key, at("key.bin"));
	assert_int_equal(key.size, KSEF_AES_KEY_LEN);
	assert_memory_equal(key.ptr, ksef_envelope_key(env), KSEF_AES_KEY_LEN);
	ksef_buf_dispose_secure(&key);
	ksef_buf_dispose(&wrapped);
	ksef_envelope_free(env);
	ksef_pubkey_free(pub);
}

static void token_encrypted_here_decrypts_with_openssl(void **state)
{
	/* The KSeF-token string of SPEC 6.4. */
	static const char token[] = "20250625-EC-2C3E6C8000-B675CF5D68-07|"
		"f4a1c2b3d4e5f60718293a4b5c6d7e8f|1752236636015";
	ksef_pubkey *pub = load_cert("cert.pem");
	ksef_buf ct = KSEF_BUF_INIT, ct2 = KSEF_BUF_INIT, pt = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef_rsa_oaep_encrypt(&ct, pub,
		(const unsigned char *)token, strlen(token), NULL), 0);
	/* OAEP is randomised: the same message never encrypts the same. */
	assert_int_equal(ksef_rsa_oaep_encrypt(&ct2, pub,
		(const unsigned char *)token, strlen(token), NULL), 0);
	assert_memory_not_equal(ct.ptr, ct2.ptr, ct.size);
	ts_write_file(at("token.bin"), ct.ptr, ct.size);
	assert_int_equal(ts_system("cd '%s' && openssl pkeyutl -decrypt "
		"-inkey key.pem " OAEP_OPTS " -in token.bin -out token.txt",
		dir), 0);
	ts_read_file(&pt, at("token.txt"));
	assert_int_equal(pt.size, strlen(token));
	assert_memory_equal(pt.ptr, token, pt.size);
	ksef_buf_dispose(&ct);
	ksef_buf_dispose(&ct2);
	ksef_buf_dispose(&pt);
	ksef_pubkey_free(pub);
}

static void key_wrapped_by_openssl_unwraps_here(void **state)
{
	unsigned char key[32], iv[16];
	ksef_privkey *priv = load_key("key.pem");
	ksef_envelope *env = NULL;
	ksef_buf wrapped = KSEF_BUF_INIT, tok = KSEF_BUF_INIT;
	ksef_buf pt = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	unhex(key, NIST_KEY);
	unhex(iv, NIST_IV);
	ts_write_file(at("aes.bin"), key, sizeof(key));
	ts_write_file(at("tok.txt"), "token|1752236636015", 19);
	assert_int_equal(ts_system("cd '%s' && "
		"openssl pkeyutl -encrypt -certin -inkey cert.pem " OAEP_OPTS
		" -in aes.bin -out aes.wrapped && "
		"openssl pkeyutl -encrypt -pubin -inkey pub.pem " OAEP_OPTS
		" -in tok.txt -out tok.wrapped", dir), 0);
	ts_read_file(&wrapped, at("aes.wrapped"));
	if (ksef_envelope_unwrap_key(&env, priv, wrapped.ptr, wrapped.size,
				     iv, sizeof(iv), &err) != 0)
		fail_msg("%s", err.message);
	assert_memory_equal(ksef_envelope_key(env), key, 32);
	assert_memory_equal(ksef_envelope_iv(env), iv, 16);
	ts_read_file(&tok, at("tok.wrapped"));
	assert_int_equal(ksef_rsa_oaep_decrypt(&pt, priv, tok.ptr, tok.size,
					       NULL), 0);
	assert_int_equal(pt.size, 19);
	assert_string_equal((char *)pt.ptr, "token|1752236636015");
	ksef_buf_dispose_secure(&pt);
	ksef_buf_dispose(&tok);
	ksef_buf_dispose(&wrapped);
	ksef_envelope_free(env);
	ksef_privkey_free(priv);
}

static void unwrap_with_the_wrong_private_key_fails_cleanly(void **state)
{
	ksef_pubkey *pub = load_cert("cert.pem");
	ksef_privkey *other = load_key("other.pem");
	ksef_envelope *env = NULL, *back = (ksef_envelope *)&back;
	ksef_buf wrapped = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	assert_int_equal(ksef_envelope_wrap_key(&wrapped, env, pub, NULL), 0);
	assert_int_equal(ksef_envelope_unwrap_key(&back, other, wrapped.ptr,
		wrapped.size, ksef_envelope_iv(env), 16, &err), KSEF_ECRYPTO);
	assert_int_equal(err.code, KSEF_ECRYPTO);
	assert_non_null(strstr(err.message, "decryption failed"));
	assert_null(back);
	assert_int_equal(ERR_peek_error(), 0);
	ksef_buf_dispose(&wrapped);
	ksef_envelope_free(env);
	ksef_privkey_free(other);
	ksef_pubkey_free(pub);
}

static void unwrap_refuses_wrong_lengths(void **state)
{
	unsigned char blob[257] = { 0 }, short_key[31] = { 1 };
	ksef_pubkey *pub = load_cert("cert.pem");
	ksef_privkey *priv = load_key("key.pem");
	ksef_envelope *env = NULL, *back = NULL;
	ksef_buf wrapped = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_envelope_new(&env, NULL), 0);
	assert_int_equal(ksef_envelope_wrap_key(&wrapped, env, pub, NULL), 0);
	/* The wrapped key must be exactly the modulus long. */
	assert_int_equal(ksef_envelope_unwrap_key(&back, priv, blob, 0,
		ksef_envelope_iv(env), 16, &err), KSEF_ECRYPTO);
	assert_int_equal(ksef_envelope_unwrap_key(&back, priv, blob, 255,
		ksef_envelope_iv(env), 16, &err), KSEF_ECRYPTO);
	assert_int_equal(ksef_envelope_unwrap_key(&back, priv, blob, 257,
		ksef_envelope_iv(env), 16, &err), KSEF_ECRYPTO);
	assert_non_null(strstr(err.message, "needs 256"));
	/* The IV must be one block. */
	assert_int_equal(ksef_envelope_unwrap_key(&back, priv, wrapped.ptr,
		wrapped.size, ksef_envelope_iv(env), 15, &err), KSEF_EFORMAT);
	assert_int_equal(ksef_envelope_unwrap_key(&back, priv, wrapped.ptr,
		wrapped.size, ksef_envelope_iv(env), 17, &err), KSEF_EFORMAT);
	/* A message that decrypts but is not 32 bytes is no AES-256 key. */
	assert_int_equal(ksef_rsa_oaep_encrypt(&wrapped, pub, short_key,
					       sizeof(short_key), NULL), 0);
	assert_int_equal(ksef_envelope_unwrap_key(&back, priv, wrapped.ptr,
		wrapped.size, ksef_envelope_iv(env), 16, &err), KSEF_ECRYPTO);
	assert_non_null(strstr(err.message, "31 bytes"));
	assert_null(back);
	ksef_buf_dispose(&wrapped);
	ksef_envelope_free(env);
	ksef_privkey_free(priv);
	ksef_pubkey_free(pub);
}

static void oaep_decrypt_refuses_a_tampered_ciphertext(void **state)
{
	ksef_pubkey *pub = load_cert("cert.pem");
	ksef_privkey *priv = load_key("key.pem");
	ksef_buf ct = KSEF_BUF_INIT, pt = KSEF_BUF_INIT;
	ksef_error err;

	(void)state;
	assert_int_equal(ksef_rsa_oaep_encrypt(&ct, pub,
		(const unsigned char *)"secret", 6, NULL), 0);
	ct.ptr[100] ^= 0x01;
	assert_int_equal(ksef_rsa_oaep_decrypt(&pt, priv, ct.ptr, ct.size,
					       &err), KSEF_ECRYPTO);
	assert_null(pt.ptr);
	assert_int_equal(ERR_peek_error(), 0);
	ct.ptr[100] ^= 0x01;
	assert_int_equal(ksef_rsa_oaep_decrypt(&pt, priv, ct.ptr, ct.size,
					       &err), 0);
	assert_string_equal((char *)pt.ptr, "secret");
	ksef_buf_dispose_secure(&pt);
	ksef_buf_dispose(&ct);
	ksef_privkey_free(priv);
	ksef_pubkey_free(pub);
}

static void privkey_loads_pkcs8_and_traditional_pem(void **state)
{
	ksef_pubkey *pub = load_cert("cert.pem");
	ksef_privkey *p8 = load_key("key.pem");
	ksef_privkey *trad = load_key("key_trad.pem");
	ksef_buf ct = KSEF_BUF_INIT, a = KSEF_BUF_INIT, b = KSEF_BUF_INIT;

	(void)state;
	assert_int_equal(ksef_rsa_oaep_encrypt(&ct, pub,
		(const unsigned char *)"xyz", 3, NULL), 0);
	assert_int_equal(ksef_rsa_oaep_decrypt(&a, p8, ct.ptr, ct.size, NULL),
			 0);
	assert_int_equal(ksef_rsa_oaep_decrypt(&b, trad, ct.ptr, ct.size,
					       NULL), 0);
	assert_int_equal(a.size, 3);
	assert_int_equal(b.size, 3);
	assert_memory_equal(a.ptr, b.ptr, 3);
	ksef_privkey_free(NULL);
	ksef_privkey_free(p8);
	ksef_privkey_free(trad);
	ksef_buf_dispose_secure(&a);
	ksef_buf_dispose_secure(&b);
	ksef_buf_dispose(&ct);
	ksef_pubkey_free(pub);
}

static void privkey_refuses_what_it_cannot_use(void **state)
{
	ksef_buf cert = KSEF_BUF_INIT, enc = KSEF_BUF_INIT, ec = KSEF_BUF_INIT;
	char *big = calloc(1, KSEF_CERT_MAX_BYTES + 1);
	ksef_privkey *priv = (ksef_privkey *)&priv;
	ksef_error err;

	(void)state;
	assert_non_null(big);
	assert_int_equal(ksef_privkey_load_pem(&priv, "", 0, &err),
			 KSEF_EPARSE);
	assert_null(priv);
	assert_int_equal(ksef_privkey_load_pem(&priv, "-", 1, &err),
			 KSEF_EPARSE);
	assert_int_equal(ksef_privkey_load_pem(&priv, big,
		KSEF_CERT_MAX_BYTES + 1, &err), KSEF_ETOOBIG);
	assert_non_null(strstr(err.message, "KSEF_CERT_MAX_BYTES"));
	ts_read_file(&cert, at("cert.pem"));
	assert_int_equal(ksef_privkey_load_pem(&priv, (char *)cert.ptr,
					       cert.size, &err), KSEF_EPARSE);
	/* Refused, not prompted for: the test would hang on a prompt. */
	ts_read_file(&enc, at("key_enc.pem"));
	assert_int_equal(ksef_privkey_load_pem(&priv, (char *)enc.ptr,
					       enc.size, &err), KSEF_EPARSE);
	ts_read_file(&ec, at("ec_key.pem"));
	assert_int_equal(ksef_privkey_load_pem(&priv, (char *)ec.ptr, ec.size,
					       &err), KSEF_EFORMAT);
	assert_null(priv);
	assert_int_equal(ERR_peek_error(), 0);
	ksef_buf_dispose(&cert);
	ksef_buf_dispose(&enc);
	ksef_buf_dispose_secure(&ec);
	free(big);
}

int main(void)
{
	const struct CMUnitTest aes[] = {
		cmocka_unit_test(decrypt_refuses_lengths_that_are_not_whole_blocks),
		cmocka_unit_test(decrypt_refuses_oversized_input_by_its_length_alone),
		cmocka_unit_test(encrypt_refuses_oversized_input_by_its_length_alone),
		cmocka_unit_test(decrypt_refuses_bad_padding_and_leaves_output_alone),
		cmocka_unit_test(envelope_from_key_refuses_wrong_lengths),
		cmocka_unit_test(encrypt_matches_nist_sp800_38a_cbc_aes256),
		cmocka_unit_test(decrypt_matches_nist_sp800_38a_cbc_aes256),
		cmocka_unit_test(encrypt_matches_openssl_enc_at_every_padding_length),
		cmocka_unit_test(an_invoice_at_the_size_limit_encrypts_and_decrypts),
		cmocka_unit_test(new_envelopes_get_fresh_keys_and_ivs),
		cmocka_unit_test(a_stream_matches_the_whole_and_passes_its_limit),
		cmocka_unit_test(seal_declares_both_hashes_and_sizes),
		cmocka_unit_test(seal_refuses_an_empty_invoice),
		cmocka_unit_test(pubkey_refuses_what_is_not_a_usable_certificate),
		cmocka_unit_test(pubkey_refuses_der_with_bytes_after_it),
		cmocka_unit_test(pubkey_refuses_ec_and_weak_rsa_keys),
		cmocka_unit_test(pubkey_loads_der_pem_and_base64_der_alike),
		cmocka_unit_test(public_key_id_matches_openssl),
		cmocka_unit_test(certificate_id_matches_openssl),
		cmocka_unit_test(validity_dates_match_the_certificate),
		cmocka_unit_test(oaep_encrypt_refuses_empty_and_oversized_messages),
		cmocka_unit_test(wrapped_key_decrypts_with_openssl_pkeyutl),
		cmocka_unit_test(token_encrypted_here_decrypts_with_openssl),
		cmocka_unit_test(key_wrapped_by_openssl_unwraps_here),
		cmocka_unit_test(unwrap_with_the_wrong_private_key_fails_cleanly),
		cmocka_unit_test(unwrap_refuses_wrong_lengths),
		cmocka_unit_test(oaep_decrypt_refuses_a_tampered_ciphertext),
		cmocka_unit_test(privkey_loads_pkcs8_and_traditional_pem),
		cmocka_unit_test(privkey_refuses_what_it_cannot_use),
	};
	return cmocka_run_group_tests(aes, make_keys, remove_keys);
}
