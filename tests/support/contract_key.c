/*
 * contract_key.c - owns the contract-and-test-key fixture that the
 * library's body-building tests share (contract_key.h).
 */
#include "contract_key.h"
#include <stdio.h>
#include "contract.h"
#include "testsupport.h"

int contract_key_setup(char **dir, ksef_pubkey **key)
{
	ksef_buf der = KSEF_BUF_INIT;
	char path[512];
	int rc;

	if (contract_load() != 0)
		return -1;
	*dir = ts_mkdtemp();
	if (ts_system("cd '%s' && openssl req -x509 -newkey rsa:2048 -noenc "
		      "-keyout key.pem -out cert.pem -subj /CN=test -days 2 "
		      "2>/dev/null && openssl x509 -in cert.pem -outform DER "
		      "-out cert.der", *dir) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/cert.der", *dir);
	ts_read_file(&der, path);
	rc = ksef_pubkey_load(key, der.ptr, der.size, NULL);
	ksef_buf_dispose(&der);
	return rc != 0 ? -1 : 0;
}

void contract_key_teardown(char *dir, ksef_pubkey *key)
{
	ksef_pubkey_free(key);
	ts_rmdir(dir);
	contract_unload();
}
