/*
 * fuzz_client.h - what the client targets that read scripted answers
 * share: the client itself, and the reading of the error answer a call
 * leaves behind.
 */
#ifndef KSEF_FUZZ_CLIENT_H
#define KSEF_FUZZ_CLIENT_H

#include <stddef.h>
#include "ksef/ksef.h"
#include "fuzz_support.h"

/*
 * A client with an access token whose HTTP answers are the rest of in
 * (ksef__client_script()) instead of the network: one retry and one rate
 * limit wait, neither of them waiting, answers up to 1 MiB. abort() if it
 * cannot be made, which no input causes. Free it with ksef_client_free().
 */
ksef_client *fuzz_scripted_client(const struct fuzz_in *in);

/* Read every string of the client's last error answer, if any; a sum of
 * their lengths, so that the reads are not optimised away. */
size_t fuzz_touch_last_error(const ksef_client *c);

#endif
