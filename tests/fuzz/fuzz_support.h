/*
 * fuzz_support.h - what the fuzz targets share, under libFuzzer and under
 * the plain replay driver alike: a scratch folder for targets whose parser
 * reads files, cutting an input into its parts, and the one-time library
 * set-up.
 */
#ifndef KSEF_FUZZ_SUPPORT_H
#define KSEF_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* Every target's entry point, called by libFuzzer or by replay.c. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ksef_global_init(), once; abort() if it fails, which no input causes. */
void fuzz_global_init(void);

/*
 * A private folder (mode 0700) for the target's files, made on the first
 * call and removed with its contents at exit: under $KSEF_FUZZ_TMPDIR,
 * else /dev/shm (file writes cost no disk I/O), else $TMPDIR or /tmp.
 * abort() if none can be made.
 */
const char *fuzz_scratch_dir(void);

/* Write bytes to path (created with `mode`, truncated); abort() on error. */
void fuzz_write_file(const char *path, const void *data, size_t len,
		     unsigned mode);

/* The unread rest of an input. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

/*
 * The next part of in, up to (not including) the byte sep, or all of the
 * rest when sep does not occur; in moves past the part and its sep.
 * *len receives the part's length.
 */
const uint8_t *fuzz_take(struct fuzz_in *in, uint8_t sep, size_t *len);

/* One byte of in (0 when empty), consumed. */
uint8_t fuzz_byte(struct fuzz_in *in);

/* A NUL-terminated malloc'd copy of p[0..n) (free() it); abort() when out
 * of memory. An embedded NUL simply ends the string early, as it would
 * for any C caller. */
char *fuzz_strndup(const uint8_t *p, size_t n);

/*
 * A throwaway RSA-2048 key and its self-signed certificate ("CN=ksef fuzz
 * test key", valid to 2125), made with `openssl req -x509 -newkey
 * rsa:2048 -nodes` for the fuzz targets only: the key that unwraps session
 * keys (envelope) and signs UPOs (upo), and the certificate a client
 * wraps keys for (client). Committed corpora were made with it, so it
 * must not change. It protects nothing.
 */
#define FUZZ_TEST_KEY_PEM \
	"-----BEGIN PRIVATE KEY-----\n" \
	"MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDgp7Hc5eUuJRWr\n" \
	"X4H6pOEURNPli6n9lJjUGzbBjWd5giCWOfpBWgm6qzjY5AlZCrh2ASc8WbkP+a3f\n" \
	"qhy2y3I9q1Dpmeltyh2HZYyPgL+1zxr1XKA2vplVzmEiAigqKJmZdY/L24B1sTZV\n" \
	"GFH6CfTjSfXzpBmpbYtrjVjPZpjexoMG0wa+gw2pFdnNBLm4cFx9TwxLzP70xFY+\n" \
	"FfF/UiskSju97WR++nQRIWWRFaIt1mqWIHvJdcr+IvQcr7UQeuGLXcBbMvDlfixx\n" \
	"MmBWqKaGVFZOP5g/hlflbCtAFhYJ9tcu+DjCKrVC0wPBGEtXkZBx9LJi22Hht1ir\n" \
	"HA9n6nYrAgMBAAECggEADRjO/l52B+9S3hTJUmq+UceEGu5o0JxodHp0V2r+TKUm\n" \
	"GoadbPs/dJ8lce+JY/mDW3h3Exuf9ashVIK+/cvKiIcuRmVvUwk6GM9LbH+drY8P\n" \
	"YUfZx0Hr/9vyPwtP0CAMea0oNELtsEQj3hN24/7PRK47z80R+etQT3WEEe3x8jrA\n" \
	"di0rcXWcn/RPKSmgaeZg9mjvf8z0f2cxsIj3h3GmwpVkLiGV5/ZibwghjWrf5Fzy\n" \
	"UtLkXHE5ktqy1QiFl9JneH3+i0qgsmQjiu+Dd6jMwsF+vN6jkEwopv7x9vY0kFXy\n" \
	"qyznuYRysSHjcXoAnrY5qM9P7aokYwk0jC3b673vkQKBgQD7qQ4MMIMdqAmv8D+N\n" \
	"Kg/GcD90uIn9nKKXstoOGwkS80SQ4JOSo2U2k5LVDYBsQYvG5knIWciSSu3gwBJf\n" \
	"v9UEDtIMv3hFV66h65Xd8VA6oz95/LM3kGFad0KAuxkjTbSSE7jvFMKgnZe/HYSw\n" \
	"MisLbhJhrm+E6fCvGay/ram9dwKBgQDkh20M3yNPW4eZe1aZ5M3VkAnKic5ahmKe\n" \
	"zVhiC+Unz11kOtCX0WD+xOaRklb84v0jAoeOig8uJxskzQBSvu/LsVYHaUN+PFKP\n" \
	"is/DRDo90WuCJsCRLU8u+wg71ciVNMmBjuFJsZgKn3mWhAhSEFloFuSLPtjO6E2X\n" \
	"eT3PpIIp7QKBgQDvkH/55Jh8O8F1BZxJ0leQDLyrbRyXG2vAQxbGxL+/lWqZC+AP\n" \
	"gJHSAWuOezrcUw0ve3uTSLzhXojSIaWcFm4+XalhT0e7ovtv0mcpDxXTrCG6C2/D\n" \
	"niK+zra0+ua0L72MLVAn77hS05Jn8T6lyCwnxlGjQT2R5m0jEqrbEQN7gwKBgD91\n" \
	"1/OGF1EXMr2NQYw0vG/8sqtav0HmJYbBsTRw5y65585IgtpV22CEHx73i05oXjEV\n" \
	"p70OW47Obzw17UwNF5vx39jpA0QPzkFsI6uuy5mVCQy4ZCsscNuz/CJZiHzejsJ6\n" \
	"gdcsCPOSO3pvqbvYLGu6R7bfOeejHMDeeyqpHTg1AoGBAOWRRelh/yR5BZkyhGj3\n" \
	"Qys1PRrKlN32K0BDpwlHecVeTQtLynDDDMyHRdQyx2/W92IWyWweRQEfJq6gpfdd\n" \
	"oR3pTxR3AKjvmG5EflZ5BTmznoq67KBkKHCdnfWwYOOD55ery+jQev8h7E7THayp\n" \
	"3zX7vozixS1va9dYRmQZJ5E3\n" \
	"-----END PRIVATE KEY-----\n"

#define FUZZ_TEST_CERT_PEM \
	"-----BEGIN CERTIFICATE-----\n" \
	"MIIDRzCCAi+gAwIBAgIUNHvH/s7kvXaA5HxKPWYHU1bGLYgwDQYJKoZIhvcNAQEL\n" \
	"BQAwMjEbMBkGA1UEAwwSa3NlZiBmdXp6IHRlc3Qga2V5MRMwEQYDVQQKDAprc2Vm\n" \
	"IHRlc3RzMCAXDTI2MTIwMzEyMDQ1NVoYDzIxMjYxMTA5MTIwNDU1WjAyMRswGQYD\n" \
	"VQQDDBJrc2VmIGZ1enogdGVzdCBrZXkxEzARBgNVBAoMCmtzZWYgdGVzdHMwggEi\n" \
	"MA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDgp7Hc5eUuJRWrX4H6pOEURNPl\n" \
	"i6n9lJjUGzbBjWd5giCWOfpBWgm6qzjY5AlZCrh2ASc8WbkP+a3fqhy2y3I9q1Dp\n" \
	"meltyh2HZYyPgL+1zxr1XKA2vplVzmEiAigqKJmZdY/L24B1sTZVGFH6CfTjSfXz\n" \
	"pBmpbYtrjVjPZpjexoMG0wa+gw2pFdnNBLm4cFx9TwxLzP70xFY+FfF/UiskSju9\n" \
	"7WR++nQRIWWRFaIt1mqWIHvJdcr+IvQcr7UQeuGLXcBbMvDlfixxMmBWqKaGVFZO\n" \
	"P5g/hlflbCtAFhYJ9tcu+DjCKrVC0wPBGEtXkZBx9LJi22Hht1irHA9n6nYrAgMB\n" \
	"AAGjUzBRMB0GA1UdDgQWBBTlbysHD8Ty7FJwcWNRPT415ShoxDAfBgNVHSMEGDAW\n" \
	"gBTlbysHD8Ty7FJwcWNRPT415ShoxDAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3\n" \
	"DQEBCwUAA4IBAQBC97nxiyuJb4T9HoR3XQFWurUaF1OaHLpwCP9bAPxqvOAI60nT\n" \
	"C95m010QSupEOdZoYYc9QigLHVV8ovJy1rODhF5sqUfXpB+R+GQg+lgY2AcyAdcU\n" \
	"yuQOqnQopKI3UINU+Zfr/GGc+eDuj6J4TSZweuzPQxWtoYt/tSaJQ3yUFTWcqKz4\n" \
	"+vNeqwhqvhCkcnYvEWxQTdBd7Eg/kOatuwK91Of2cUrw8UtBSq4QZLhQ1cp6i3oO\n" \
	"t5guAtJocDzzD3tDQUM875jM+JsvReZiQngJoP5zFQ+PEhAtdgFIb66HmtMffPLC\n" \
	"M7hleXarSk7bhDqYORLP5Gfeqbd2LL0PrSnN\n" \
	"-----END CERTIFICATE-----\n"

#endif
