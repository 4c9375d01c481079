/*
 * envelope_fuzz.c - what a server does with a session's untrusted
 * encryption fields: unwrap encryptedSymmetricKey with its private key
 * (RSA-OAEP), take initializationVector, and decrypt each
 * encryptedInvoiceContent (AES-256-CBC, PKCS#7). The first byte of an
 * input chooses the layout of the rest:
 *   0  wrapped key (256 bytes) | IV (16) | ciphertext, as a client sent
 *      them: ksef_envelope_unwrap_key() with the test key (fuzz_support.h),
 *      then ksef_envelope_decrypt(); and ksef_rsa_oaep_decrypt() of the
 *      same key bytes, as for encryptedToken.
 *   1  session key (32) | IV (16) | ciphertext: the key is wrapped for the
 *      test certificate first, so it unwraps and the decryption runs on
 *      the fuzzer's ciphertext under the fuzzer's key.
 *   2  key length | key | IV length | IV | ciphertext, for
 *      ksef_envelope_from_key(), lengths wrong included.
 * Checked: an unwrapped key is the one wrapped; plaintext that comes out
 * encrypts back to the same ciphertext.
 */
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "fuzz_support.h"

static ksef_privkey *priv;
static ksef_pubkey *pub;

static void setup(void)
{
	static const char key[] = FUZZ_TEST_KEY_PEM;
	static const char cert[] = FUZZ_TEST_CERT_PEM;

	fuzz_global_init();
	if (ksef_privkey_load_pem(&priv, key, sizeof(key) - 1, NULL) != 0 ||
	    ksef_pubkey_load(&pub, (const unsigned char *)cert,
			     sizeof(cert) - 1, NULL) != 0)
		abort();
}

/* Decrypt ct; what comes out must encrypt back to ct. */
static void decrypt(const ksef_envelope *env, const uint8_t *ct, size_t n)
{
	ksef_buf plain = KSEF_BUF_INIT, again = KSEF_BUF_INIT;

	if (ksef_envelope_decrypt(&plain, env, ct, n, NULL) == 0) {
		if (ksef_envelope_encrypt(&again, env, plain.ptr, plain.size,
					  NULL) != 0 ||
		    again.size != n || memcmp(again.ptr, ct, n) != 0)
			abort();
	}
	ksef_buf_dispose_secure(&plain);
	ksef_buf_dispose(&again);
}

static void take(struct fuzz_in *in, const uint8_t **p, size_t *n,
		 size_t want)
{
	*n = in->n < want ? in->n : want;
	*p = in->p;
	in->p += *n;
	in->n -= *n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	ksef_envelope *env = NULL;
	ksef_buf wrapped = KSEF_BUF_INIT, token = KSEF_BUF_INIT;
	const uint8_t *key, *iv;
	size_t key_len, iv_len;
	uint8_t mode;

	if (priv == NULL)
		setup();
	mode = fuzz_byte(&in) % 3;
	if (mode == 0) {
		take(&in, &key, &key_len, 256);
		take(&in, &iv, &iv_len, KSEF_AES_IV_LEN);
		if (ksef_rsa_oaep_decrypt(&token, priv, key, key_len,
					  NULL) == 0)
			ksef_buf_dispose_secure(&token);
		if (ksef_envelope_unwrap_key(&env, priv, key, key_len, iv,
					     iv_len, NULL) == 0)
			decrypt(env, in.p, in.n);
	} else if (mode == 1) {
		ksef_envelope *sender = NULL;

		take(&in, &key, &key_len, KSEF_AES_KEY_LEN);
		take(&in, &iv, &iv_len, KSEF_AES_IV_LEN);
		if (key_len < KSEF_AES_KEY_LEN || iv_len < KSEF_AES_IV_LEN)
			return 0;
		if (ksef_envelope_from_key(&sender, key, key_len, iv, iv_len,
					   NULL) != 0 ||
		    ksef_envelope_wrap_key(&wrapped, sender, pub, NULL) != 0 ||
		    ksef_envelope_unwrap_key(&env, priv, wrapped.ptr,
					     wrapped.size, iv, iv_len,
					     NULL) != 0 ||
		    memcmp(ksef_envelope_key(env), key, key_len) != 0 ||
		    memcmp(ksef_envelope_iv(env), iv, iv_len) != 0)
			abort();
		ksef_envelope_free(sender);
		decrypt(env, in.p, in.n);
	} else {
		take(&in, &key, &key_len, fuzz_byte(&in));
		take(&in, &iv, &iv_len, fuzz_byte(&in));
		if (ksef_envelope_from_key(&env, key, key_len, iv, iv_len,
					   NULL) == 0)
			decrypt(env, in.p, in.n);
	}
	ksef_buf_dispose(&wrapped);
	ksef_envelope_free(env);
	return 0;
}
