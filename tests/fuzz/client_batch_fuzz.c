/*
 * client_batch_fuzz.c - a hostile or broken server against the reading of
 * POST /sessions/batch's answer (client_batch_api.c): its reference
 * number, and each part's link, method and headers, which the client
 * then uses as they come. The first byte picks how many parts were
 * declared (1 to 50); the rest is the script of answers, as in
 * client_fuzz.c. An answer read whole is walked through every link and
 * header, so a string without its NUL or a list miscounted shows under
 * ASan; a header that could end its line must never get through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "client_batch_int.h"
#include "fuzz_client.h"

static size_t walk(const struct ksef__batch_opened *o, size_t parts)
{
	const struct ksef__batch_upload *u;
	size_t i, k, t = strlen(o->reference_number);

	for (i = 1; i <= parts; i++) {
		if ((u = ksef__batch_upload_of(o, (int)i)) == NULL)
			abort(); /* a link is promised for every part */
		t += strlen(u->method) + strlen(u->url);
		for (k = 0; k < u->header_count; k++) {
			if (strpbrk(u->names[k], "\r\n:") != NULL ||
			    strpbrk(u->values[k], "\r\n") != NULL)
				abort();
			t += strlen(u->names[k]) + strlen(u->values[k]);
		}
	}
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hash[] =
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
	struct ksef__batch_part parts[KSEF_BATCH_MAX_PARTS];
	struct ksef__batch_decl d;
	struct ksef__batch_opened *opened = NULL;
	struct fuzz_in in = { data, size };
	static ksef_envelope *env;
	static ksef_pubkey *key;
	ksef_client *c = NULL;
	volatile size_t sink = 0;
	size_t i;

	fuzz_global_init();
	if (env == NULL) {
		static const char cert[] = FUZZ_TEST_CERT_PEM;

		if (ksef_pubkey_load(&key, (const unsigned char *)cert,
				     sizeof(cert) - 1, NULL) != 0 ||
		    ksef_envelope_new(&env, NULL) != 0)
			abort();
	}
	memset(parts, 0, sizeof(parts));
	for (i = 0; i < KSEF_BATCH_MAX_PARTS; i++) {
		parts[i].plain_size = 16;
		parts[i].enc_size = 32;
		memcpy(parts[i].hash, hash, sizeof(hash));
	}
	d.form = KSEF_FORM_FA3;
	d.package_size = 16;
	d.package_hash = hash;
	d.parts = parts;
	d.part_count = fuzz_byte(&in) % KSEF_BATCH_MAX_PARTS + 1;
	d.offline_mode = 0;
	c = fuzz_scripted_client(&in);
	if (ksef__client_batch_open(&opened, c, &d, env, key, NULL) == 0)
		sink = walk(opened, d.part_count);
	(void)sink;
	ksef__result_free(opened);
	ksef_client_free(c);
	return 0;
}
