/*
 * qr_cert_fuzz.c - untrusted text through the KOD II reader and verifier
 * (qr_cert.h): a scanned link, what ksefd's verification page will get.
 * Whatever the parser takes must assemble back to the same bytes (one
 * link, one spelling), and verification against two fixed certificates
 * (RSA 2048 and EC P-256, both with the serial of kody-qr.md's example,
 * so that the seeds reach the signature checks) must not crash. The
 * seeds include links signed with these certificates' keys, which are
 * not kept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "fuzz_support.h"

static const char rsa_cert[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIDCzCCAfOgAwIBAgIIAfIKXTUq5ZAwDQYJKoZIhvcNAQELBQAwGjEYMBYGA1UE\n"
	"AwwPS09EIElJIGZ1enogUlNBMCAXDTI2MTIwNDE2MTEzNVoYDzIxMjYxMTEwMTYx\n"
	"MTM1WjAaMRgwFgYDVQQDDA9LT0QgSUkgZnV6eiBSU0EwggEiMA0GCSqGSIb3DQEB\n"
	"AQUAA4IBDwAwggEKAoIBAQDAoqwRs7aMdIfyEwvV6HHI/VCujJlxKPKciZz/ksTo\n"
	"9dgXX08MJ0NgxCV6IGVTr/5f//c0SnOFMf7OW6YdXSJlg2sBSycaqCmg2oUxJsxq\n"
	"ThsDoa/w95CqBYroEelv6U1T31YOmDnr+8nD5tO6y/vsXaKcATW0kjviesbYiRn/\n"
	"y3OVIUTR7S02NGJqXtg37jWSBCtZHwdsXl/fNENftSnphHpAmHH+ZJG7ALIr7Zhb\n"
	"dK+PLV82g+MdihzPubBrImKPnbi3YlKvFL6J1Jyut/Y+3K41+wLWJ/GtbPS1+mdw\n"
	"UMEPQtyvfgtSG36Gyht7TkGU0BrQzwmrLB63l7wEoe8fAgMBAAGjUzBRMB0GA1Ud\n"
	"DgQWBBQBiJACamKLAbyPfF3mZwfC5Zfh5DAfBgNVHSMEGDAWgBQBiJACamKLAbyP\n"
	"fF3mZwfC5Zfh5DAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQCI\n"
	"l4/R3z/jFRAGWbfPihQLwk0L/J1b51vZUPE3ISRnck80WMTSI2zhp3xgcWV2gyVd\n"
	"OSmoP5Yq7LklmrMSvg2tM6dFZD5H3gl3vXo8UnC3t3Q1dZgA9RXmsq6RIdqzeVNM\n"
	"iYrVgqi/AVCFVZCA9r8yRbGRnuNDXGDUXwZs74rjlZXG4r5yDHr7CrNz5wMpI5Tg\n"
	"Q9y72dlBmTXpiArLh9dB+0aIZCQIBo9QS3vIWqO++5R8ghj4enGn2BBFh2xGJe93\n"
	"ZITgZrc1o5FmVvxDz+eT3ZZxSyNtYqcXp7/eqYAit2BJzQZiJpYGSWczdyU6l5qR\n"
	"mi00RMR+ljza1JuN23jz\n"
	"-----END CERTIFICATE-----\n";

static const char ec_cert[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBfjCCASOgAwIBAgIIAfIKXTUq5ZAwCgYIKoZIzj0EAwIwGTEXMBUGA1UEAwwO\n"
	"S09EIElJIGZ1enogRUMwIBcNMjYxMjA0MTYxMTM1WhgPMjEyNjExMTAxNjExMzVa\n"
	"MBkxFzAVBgNVBAMMDktPRCBJSSBmdXp6IEVDMFkwEwYHKoZIzj0CAQYIKoZIzj0D\n"
	"AQcDQgAE4vpjY6ZvmH6B9ZCHxcs/1GgmcbSNh+QHhfkBYLreu1N8txLQloc96tNe\n"
	"FI9wZERXLvMLjIv8onba24VLtgEbcaNTMFEwHQYDVR0OBBYEFDyN0XgfCxXWl/4y\n"
	"PrB+YNcecnynMB8GA1UdIwQYMBaAFDyN0XgfCxXWl/4yPrB+YNcecnynMA8GA1Ud\n"
	"EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhAK0CbpWj8gEqqDDBtCSn584D\n"
	"uhNWvJ2NHnaP4crxDeApAiEAxASK1rjmi34lEQIi9rWzNDyo2sShqwo61B8kdQOo\n"
	"7XI=\n"
	"-----END CERTIFICATE-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksef_qr_cert_ref r, v;
	ksef_buf sig = KSEF_BUF_INIT, link = KSEF_BUF_INIT;
	const char *cert_at;
	char base[KSEF_QR_BASE_MAX + 1];
	size_t n;
	int e;

	fuzz_global_init();
	if (ksef_qr_cert_link_parse(&r, &sig, (const char *)data, size,
				    NULL) == 0) {
		/* The base is all before the seventh segment from the end. */
		cert_at = (const char *)data + size;
		for (n = 0; n < 7; n++)
			do
				cert_at--;
			while (*cert_at != '/');
		n = (size_t)(cert_at - (const char *)data);
		if (n <= KSEF_QR_BASE_MAX) {
			memcpy(base, data, n);
			base[n] = '\0';
			if (ksef_qr_cert_link_assemble(&link, base, &r,
					sig.ptr, sig.size, NULL) != 0 ||
			    link.size != size ||
			    memcmp(link.ptr, data, size) != 0)
				abort();
		}
	}
	e = ksef_qr_cert_verify(&v, (const char *)data, size,
				(const unsigned char *)rsa_cert,
				sizeof(rsa_cert) - 1, NULL);
	if (e == 0 && memcmp(&v, &r, sizeof(r)) != 0)
		abort();
	e = ksef_qr_cert_verify(&v, (const char *)data, size,
				(const unsigned char *)ec_cert,
				sizeof(ec_cert) - 1, NULL);
	if (e == 0 && memcmp(&v, &r, sizeof(r)) != 0)
		abort();
	ksef_buf_dispose(&sig);
	ksef_buf_dispose(&link);
	return 0;
}
