/*
 * envelope_stream_fuzz.c - the streamed AES-256-CBC of a batch session's
 * parts (ksef_envelope_stream_*, envelope.h): ksefd decrypts a part of up
 * to 100 MB piece by piece as it reads it from disk, and a client encrypts
 * its package the same way. The ciphertext is the client's, so anything;
 * where the pieces end is the reader's, so the input chooses that too.
 *
 * Byte 0: bit 0 decrypts the input's bytes (else encrypts them), bit 1
 * takes the key and IV from the next 48 bytes (else a fixed pair), bits 2
 * to 7 bound the output (0: no bound; n: n * 16 bytes). The rest is
 * pieces, each a length byte and up to that many bytes.
 *
 * Checked: a stream gives the same bytes as the one-shot call over the
 * whole (ksef_envelope_decrypt(), ksef_envelope_encrypt()), and succeeds
 * whenever that does and the output is unbounded; its output never passes
 * its bound and stays NUL-terminated; a piece fails only for the bound;
 * a finished stream takes nothing more; what it encrypts decrypts back.
 * With KSEF_FUZZ_VERBOSE set, each outcome goes to standard error, to
 * check a seed by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "fuzz_support.h"

static const unsigned char fixed_key[KSEF_AES_KEY_LEN] =
	"fuzz-stream-key-0123456789abcde";
static const unsigned char fixed_iv[KSEF_AES_IV_LEN] = "fuzz-stream-iv0";

static void fail(const char *what, int rc)
{
	fprintf(stderr, "envelope_stream_fuzz: %s (%d)\n", what, rc);
	abort();
}

/* Run the pieces of in through a stream; 0 or the first error. whole
 * receives the pieces joined. */
static int run(ksef_buf *out, ksef_buf *whole, const ksef_envelope *env,
	       int encrypt, struct fuzz_in in, size_t max)
{
	ksef_envelope_stream *s = NULL;
	int rc = 0, again;

	if (ksef_envelope_stream_new(&s, env, encrypt, NULL) != 0)
		fail("stream_new", -1);
	while (in.n > 0) {
		size_t n = fuzz_byte(&in);

		if (n > in.n)
			n = in.n;
		if (whole != NULL &&
		    ksef_buf_append(whole, in.p, n, SIZE_MAX) != 0)
			abort();
		if (rc == 0) {
			rc = ksef_envelope_stream_update(s, out, in.p, n, max,
							 NULL);
			if (rc != 0 && (rc != KSEF_ETOOBIG || max == SIZE_MAX))
				fail("a piece failed but for the bound", rc);
		}
		in.p += n;
		in.n -= n;
	}
	if (rc == 0)
		rc = ksef_envelope_stream_final(s, out, max, NULL);
	if (rc == 0 && ((out->size > 0 && out->ptr[out->size] != '\0') ||
			out->size > max))
		fail("output unterminated or over its bound", rc);
	/* Finished or failed, the stream takes nothing more. */
	if (rc == 0 &&
	    ((again = ksef_envelope_stream_update(s, out,
			(const unsigned char *)"x", 1, max, NULL)) !=
	     KSEF_EINVAL ||
	     (again = ksef_envelope_stream_final(s, out, max, NULL)) !=
	     KSEF_EINVAL))
		fail("a finished stream took more", again);
	ksef_envelope_stream_free(s);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	ksef_envelope *env = NULL;
	ksef_buf out = KSEF_BUF_INIT, whole = KSEF_BUF_INIT,
		 once = KSEF_BUF_INIT;
	const unsigned char *key = fixed_key, *iv = fixed_iv;
	unsigned first;
	size_t max;
	int decrypt, rc, rc1;

	fuzz_global_init();
	first = fuzz_byte(&in);
	decrypt = first & 1;
	max = (first >> 2) == 0 ? SIZE_MAX : (size_t)(first >> 2) * 16;
	if (first & 2) {
		if (in.n < KSEF_AES_KEY_LEN + KSEF_AES_IV_LEN)
			return 0;
		key = in.p;
		iv = in.p + KSEF_AES_KEY_LEN;
		in.p += KSEF_AES_KEY_LEN + KSEF_AES_IV_LEN;
		in.n -= KSEF_AES_KEY_LEN + KSEF_AES_IV_LEN;
	}
	if (ksef_envelope_from_key(&env, key, KSEF_AES_KEY_LEN, iv,
				   KSEF_AES_IV_LEN, NULL) != 0)
		abort();

	rc = run(&out, &whole, env, !decrypt, in, max);
	rc1 = decrypt ? ksef_envelope_decrypt(&once, env, whole.ptr,
					      whole.size, NULL) :
			ksef_envelope_encrypt(&once, env, whole.ptr,
					      whole.size, NULL);
	if (getenv("KSEF_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "%s %zu bytes: stream %d (%zu bytes), whole "
			"%d\n", decrypt ? "decrypt" : "encrypt", whole.size, rc,
			out.size, rc1);
	if (rc == 0 && (rc1 != 0 || once.size != out.size ||
			(out.size > 0 &&
			 memcmp(once.ptr, out.ptr, out.size) != 0)))
		fail("the stream and the whole differ", rc1);
	if (rc1 == 0 && max == SIZE_MAX && rc != 0)
		fail("the whole went through, the stream did not", rc);
	if (rc == 0 && !decrypt) {
		/* What was encrypted decrypts back. */
		ksef_buf_dispose(&once);
		if (ksef_envelope_decrypt(&once, env, out.ptr, out.size,
					  NULL) != 0 ||
		    once.size != whole.size ||
		    (once.size > 0 &&
		     memcmp(once.ptr, whole.ptr, whole.size) != 0))
			fail("encrypted bytes do not decrypt back", 0);
	}
	ksef_buf_dispose_secure(&out);
	ksef_buf_dispose_secure(&once);
	ksef_buf_dispose(&whole);
	ksef_envelope_free(env);
	return 0;
}
