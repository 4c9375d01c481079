/*
 * ksefd_disk_full_test.c - ksefd when its store cannot grow (the hardening
 * issue's durability under faults): run under a file-size limit
 * (RLIMIT_FSIZE, which fails a write past it as a full disk does), it
 * answers 500 to the invoice it cannot store and acknowledges nothing it
 * did not store; once the limit is lifted it takes invoices again, and
 * every invoice it answered 202 is there, decided.
 */
#include "testsupport.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksef/ksef.h"
#include "ksef/client.h"
#include "e2e.h"
#include "ksefd_harness.h"

#define NIP "5265877635"
#define MAX_SENDS 4000

static char acked[MAX_SENDS][KSEF_REFNUM_BUFSZ];

static void a_full_store_refuses_and_recovers(void **state)
{
	struct ksefd_proc p;
	struct login l;
	char tok[256], sref[KSEF_REFNUM_BUFSZ], iref[KSEF_REFNUM_BUFSZ],
	     cmd[128];
	ksef_envelope *env = NULL;
	ksef_buf xml = KSEF_BUF_INIT;
	ksef_api_invoice_status *st;
	ksef_invoice_meta meta;
	ksef_error err;
	int i, n = 0, refused = 0, status = 0;

	(void)state;
	/* A soft limit of 2 MB, which the store's files reach after a few
	 * hundred invoices; raising it back needs no privilege. */
	setenv("KSEFD_WRAPPER", "prlimit --fsize=2000000:unlimited", 1);
	memset(&p, 0, sizeof(p));
	ksefd_start(&p, NULL, NULL);
	unsetenv("KSEFD_WRAPPER");
	ksefd_token(&p, NIP, "InvoiceWrite,InvoiceRead", tok, sizeof(tok));
	login(&l, &p, NIP, tok);
	open_session(&l, KSEF_FORM_FA3, &env, sref);

	for (i = 0; i < MAX_SENDS && !refused; i++) {
		gen(&xml, KSEF_FORM_FA3, NIP, "FULL", (uint64_t)i + 1, NULL);
		if (ksef_client_invoice_send(iref, &meta, l.c, sref, env,
					     xml.ptr, xml.size, NULL,
					     &err) == 0) {
			memcpy(acked[n++], iref, KSEF_REFNUM_BUFSZ);
			continue;
		}
		status = ksef_client_last_http_status(l.c);
		refused = 1;
	}
	/* The limit bit, and it was answered as the server's failure. */
	assert_true(refused);
	assert_int_equal(status, 500);
	assert_true(n > 0);
	printf("%d invoices acknowledged, the next refused with %d\n", n,
	       status);

	/* Space returns: the same server takes invoices again. */
	snprintf(cmd, sizeof(cmd), "prlimit --pid %d --fsize=unlimited:unlimited",
		 (int)p.pid);
	assert_int_equal(system(cmd), 0);
	for (i = 0; i < 5; i++) {
		gen(&xml, KSEF_FORM_FA3, NIP, "MORE", (uint64_t)i + 1, NULL);
		send_xml(&l, sref, env, &xml, acked[n++]);
	}
	/* Everything answered 202 is stored, with its verdict. */
	for (i = 0; i < n; i++) {
		st = wait_invoice(&l, sref, acked[i]);
		assert_int_equal(st->status->code, 200);
		ksef_api_invoice_status_free(st);
	}
	assert_int_equal(ksef_client_session_close(l.c, sref, &err), 0);
	assert_int_equal(wait_session(&l, sref, NULL), 200);
	ksef_envelope_free(env);
	ksef_buf_dispose(&xml);
	logout(&l);
	assert_int_equal(ksefd_stop(&p), 0);
	ksefd_cleanup(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_full_store_refuses_and_recovers),
	};

	if (ts_schemas_missing())
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
