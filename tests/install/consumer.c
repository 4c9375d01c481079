/*
 * consumer.c - a program as an ERP vendor would write it against an
 * installed libksef: only <ksef/ksef.h>, found by pkg-config or by
 * find_package(ksef). It checks that the headers and the library agree on
 * the version, and uses the library for real: a NIP's checksum and an
 * AES envelope round trip.
 */
#include <stdio.h>
#include <string.h>
#include <ksef/ksef.h>

int main(void)
{
	static const unsigned char text[] = "<Faktura/>";
	ksef_envelope *env = NULL;
	ksef_buf ct = KSEF_BUF_INIT, pt = KSEF_BUF_INIT;
	ksef_error err = { 0, 0, "" };
	int rc = 1;

	if (ksef_global_init() != 0)
		return 1;
	if (ksef_version() != KSEF_VERSION_NUMBER ||
	    strcmp(ksef_version_string(), KSEF_VERSION) != 0) {
		fprintf(stderr, "headers %s, library %s\n", KSEF_VERSION,
			ksef_version_string());
		goto out;
	}
	if (ksef_nip_validate("5265877635", 10, &err) != 0 ||
	    ksef_nip_validate("5265877636", 10, NULL) == 0) {
		fprintf(stderr, "NIP checks disagree: %s\n", err.message);
		goto out;
	}
	if (ksef_envelope_new(&env, &err) != 0 ||
	    ksef_envelope_encrypt(&ct, env, text, sizeof(text) - 1, &err) != 0 ||
	    ksef_envelope_decrypt(&pt, env, ct.ptr, ct.size, &err) != 0) {
		fprintf(stderr, "envelope: %s\n", err.message);
		goto out;
	}
	if (pt.size != sizeof(text) - 1 || memcmp(pt.ptr, text, pt.size) != 0 ||
	    ct.size != 16) {
		fprintf(stderr, "envelope round trip differs\n");
		goto out;
	}
	printf("libksef %s: ok\n", ksef_version_string());
	rc = 0;
out:
	ksef_buf_dispose(&ct);
	ksef_buf_dispose_secure(&pt);
	ksef_envelope_free(env);
	ksef_global_cleanup();
	return rc;
}
