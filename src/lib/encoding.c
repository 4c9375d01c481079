/*
 * encoding.c - owns Base64 and the SHA-256 digests KSeF exchanges as Base64.
 * The bit-shuffling is OpenSSL's (EVP_EncodeBlock, EVP_DecodeBlock); what
 * this file adds is the strictness OpenSSL lacks - EVP_DecodeBlock skips
 * surrounding whitespace, takes '=' anywhere and counts padding as data -
 * and the int-sized chunking its interface needs. Ciphers and keys belong
 * to envelope.c.
 */
#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <openssl/evp.h>
#include "ksef/encoding.h"
#include "internal.h"

/* EVP_{En,De}codeBlock take an int length, so long input goes through in
 * chunks that keep 3-byte groups and 4-character quads whole. */
#define ENCODE_CHUNK (3 * 16384)
#define DECODE_CHUNK (4 * 16384)
_Static_assert(ENCODE_CHUNK / 3 * 4 <= INT_MAX, "chunks are ints");

int ksef_base64_encode(ksef_buf *out, const unsigned char *data, size_t len,
		       ksef_error *err)
{
	ksef_buf tmp = KSEF_BUF_INIT;
	size_t groups, olen, done = 0, pos = 0;
	int error;

	if (out == NULL || (data == NULL && len > 0))
		return ksef__error_set(err, KSEF_EINVAL,
			"base64 encode: NULL argument");
	groups = len / 3 + (len % 3 != 0);
	if (groups > (SIZE_MAX - 1) / 4)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"base64 encode: %zu bytes would not fit in memory",
			len);
	olen = groups * 4;
	/* One allocation of the exact size: EVP_EncodeBlock writes a NUL
	 * after each chunk, which lands in the byte ksef_buf keeps spare. */
	if ((error = ksef__buf_grow(&tmp, olen, olen)) < 0)
		return ksef__error_set(err, error, "base64 encode: out of memory");
	while (done < len) {
		size_t n = len - done < ENCODE_CHUNK ? len - done : ENCODE_CHUNK;

		pos += (size_t)EVP_EncodeBlock(tmp.ptr + pos, data + done,
					       (int)n);
		done += n;
	}
	assert(pos == olen);
	tmp.size = olen;
	tmp.ptr[olen] = '\0';
	ksef__buf_swap_in(out, &tmp);
	return 0;
}

/* The RFC 4648 section 4 alphabet; '-' and '_' (base64url) are not in
 * it. A table, not isalnum(), so the locale cannot widen it, and one load
 * a character: a 1 MB invoice is 1.3 million of them. */
static const unsigned char b64_alphabet[256] = {
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['+'] = 1, ['/'] = 1,
};

static int is_b64_char(unsigned char c)
{
	return b64_alphabet[c];
}

int ksef_base64_decode(ksef_buf *out, const char *b64, size_t len,
		       size_t max, ksef_error *err)
{
	const unsigned char *in = (const unsigned char *)b64;
	ksef_buf tmp = KSEF_BUF_INIT;
	unsigned char last[4];
	size_t pad = 0, full, exact, i, done = 0, pos = 0;
	unsigned char all = 1;
	int error;

	if (out == NULL || (b64 == NULL && len > 0))
		return ksef__error_set(err, KSEF_EINVAL,
			"base64 decode: NULL argument");
	if (len % 4 != 0)
		return ksef__error_set(err, KSEF_EPARSE,
			"base64 is %zu characters, not a multiple of 4", len);
	/* Judge by the length alone before reading a byte: at most two of
	 * the decoded bytes are padding. */
	full = len / 4 * 3;
	if (full > 2 && full - 2 > max)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"base64 of %zu characters decodes to at least %zu "
			"bytes, over the limit of %zu", len, full - 2, max);
	if (len > 0 && in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	/* Then by the exact size, still before any allocation, so that a
	 * caller asking for at most 32 bytes gets no more. */
	exact = full - pad;
	if (exact > max)
		return ksef__error_set(err, KSEF_ETOOBIG,
			"base64 decodes to %zu bytes, over the limit of %zu",
			exact, max);
	/* One pass with no branch a character; only a bad text is walked
	 * again, to name the character. */
	for (i = 0; i < len - pad; i++)
		all &= b64_alphabet[in[i]];
	for (i = 0; !all && i < len - pad; i++)
		if (!is_b64_char(in[i]))
			return ksef__error_set(err, KSEF_EPARSE,
				"base64 has a%s character 0x%02X at offset %zu",
				in[i] == '=' ? " misplaced '='" : "n invalid",
				in[i], i);
	if ((error = ksef__buf_grow(&tmp, full, full)) < 0)
		return ksef__error_set(err, error, "base64 decode: out of memory");

	/* Every quad but the last has been checked to hold no '=', so
	 * EVP_DecodeBlock sees only alphabet characters. */
	while (len > 4 && done < len - 4) {
		size_t n = len - 4 - done;

		if (n > DECODE_CHUNK)
			n = DECODE_CHUNK;
		if (EVP_DecodeBlock(tmp.ptr + pos, in + done, (int)n) < 0) {
			ksef_buf_dispose(&tmp);
			return ksef__error_openssl(err, KSEF_EPARSE,
						   "base64 decode");
		}
		pos += n / 4 * 3;
		done += n;
	}
	/* The last quad's padding becomes 'A' (zero bits); its bytes are then
	 * cut off by setting the size to the exact length. */
	if (len > 0) {
		memcpy(last, in + len - 4, 4);
		for (i = 4 - pad; i < 4; i++)
			last[i] = 'A';
		if (EVP_DecodeBlock(tmp.ptr + pos, last, 4) < 0) {
			ksef_buf_dispose(&tmp);
			return ksef__error_openssl(err, KSEF_EPARSE,
						   "base64 decode");
		}
	}
	tmp.size = exact;
	tmp.ptr[exact] = '\0';
	ksef__buf_swap_in(out, &tmp);
	return 0;
}

/* Base64URL is Base64 with two other characters and no padding: the
 * same OpenSSL coding, translated on the way in and out. */
int ksef_base64url_encode(ksef_buf *out, const unsigned char *data,
			  size_t len, ksef_error *err)
{
	ksef_buf tmp = KSEF_BUF_INIT;
	size_t i;
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"base64url encode: NULL argument");
	if ((error = ksef_base64_encode(&tmp, data, len, err)) != 0)
		return error;
	while (tmp.size > 0 && tmp.ptr[tmp.size - 1] == '=')
		tmp.ptr[--tmp.size] = '\0';
	for (i = 0; i < tmp.size; i++)
		if (tmp.ptr[i] == '+')
			tmp.ptr[i] = '-';
		else if (tmp.ptr[i] == '/')
			tmp.ptr[i] = '_';
	ksef__buf_swap_in(out, &tmp);
	return 0;
}

int ksef_base64url_decode(ksef_buf *out, const char *text, size_t len,
			  size_t max, ksef_error *err)
{
	ksef_buf b64 = KSEF_BUF_INIT, bytes = KSEF_BUF_INIT,
		 again = KSEF_BUF_INIT;
	size_t i, padded;
	int error;

	if (out == NULL || (text == NULL && len > 0))
		return ksef__error_set(err, KSEF_EINVAL,
			"base64url decode: NULL argument");
	if (len % 4 == 1)
		return ksef__error_set(err, KSEF_EPARSE,
			"base64url of %zu characters: no encoding is that "
			"long", len);
	for (i = 0; i < len; i++)
		if (text[i] == '+' || text[i] == '/' || text[i] == '=')
			return ksef__error_set(err, KSEF_EPARSE,
				"base64url has '%c' at offset %zu", text[i], i);
	padded = len + (4 - len % 4) % 4;
	if ((error = ksef__buf_grow(&b64, padded, padded)) < 0)
		return ksef__error_set(err, error,
				       "base64url decode: out of memory");
	for (i = 0; i < len; i++)
		b64.ptr[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' :
			(unsigned char)text[i];
	for (; i < padded; i++)
		b64.ptr[i] = '=';
	b64.size = padded;
	/* A character outside both alphabets is refused here, as in Base64;
	 * then a value spelled with spare bits set encodes back otherwise. */
	error = ksef_base64_decode(&bytes, (const char *)b64.ptr, padded, max,
				   err);
	if (error == 0 &&
	    (error = ksef_base64url_encode(&again, bytes.ptr, bytes.size,
					   err)) == 0 &&
	    (again.size != len || memcmp(again.ptr, text, len) != 0))
		error = ksef__error_set(err, KSEF_EPARSE, "base64url: the last "
			"character has bits set that no encoding sets");
	ksef_buf_dispose(&b64);
	ksef_buf_dispose(&again);
	if (error != 0) {
		ksef_buf_dispose(&bytes);
		return error;
	}
	ksef__buf_swap_in(out, &bytes);
	return 0;
}

int ksef_sha256(unsigned char out[KSEF_SHA256_LEN], const unsigned char *data,
		size_t len, ksef_error *err)
{
	unsigned int dlen = 0;

	if (out == NULL || (data == NULL && len > 0))
		return ksef__error_set(err, KSEF_EINVAL, "sha256: NULL argument");
	/* EVP_DigestUpdate with a zero length never reads data, but a NULL
	 * pointer is still not something to hand across the API. */
	if (!EVP_Digest(len > 0 ? (const void *)data : (const void *)"", len,
			out, &dlen, ksef__sha256(), NULL) ||
	    dlen != KSEF_SHA256_LEN)
		return ksef__error_openssl(err, KSEF_ECRYPTO, "SHA-256 failed");
	return 0;
}

int ksef_sha256_base64(char out[KSEF_SHA256_B64_LEN + 1],
		       const unsigned char *data, size_t len, ksef_error *err)
{
	unsigned char md[KSEF_SHA256_LEN];
	int error;

	if (out == NULL)
		return ksef__error_set(err, KSEF_EINVAL,
			"sha256 base64: NULL argument");
	out[0] = '\0';
	if ((error = ksef_sha256(md, data, len, err)) < 0)
		return error;
	/* 32 bytes are 10 whole groups and 2 bytes: 44 characters, one '='. */
	if (EVP_EncodeBlock((unsigned char *)out, md, KSEF_SHA256_LEN) !=
	    KSEF_SHA256_B64_LEN) {
		out[0] = '\0';
		return ksef__error_set(err, KSEF_ECRYPTO,
			"sha256 base64: encoding failed");
	}
	return 0;
}
