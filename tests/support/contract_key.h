/*
 * contract_key.h - the fixture of the library tests that build request
 * bodies and hold them against open-api.json: the contract loaded and a
 * throw-away RSA-2048 certificate whose key the bodies encrypt to.
 */
#ifndef KSEF_TEST_CONTRACT_KEY_H
#define KSEF_TEST_CONTRACT_KEY_H

#include "ksef/envelope.h"

/* Load the contract (contract_load()), make a fresh folder *dir holding
 * key.pem, cert.pem and cert.der (a self-signed RSA-2048 certificate)
 * and load its public key into *key: 0, or -1. */
int contract_key_setup(char **dir, ksef_pubkey **key);
/* Undo contract_key_setup(): free the key, remove the folder (with
 * whatever the test put in it) and unload the contract. */
void contract_key_teardown(char *dir, ksef_pubkey *key);

#endif
