/*
 * offline_register.h - what the offline commands share (cmd_offline.c,
 * cmd_offline_send.c): the register of invoices issued offline, a private
 * JSON file kept by the state file's code, whose entries are keyed by the
 * invoice file's SHA-256 as its links write it.
 */
#ifndef KSEF_CLI_OFFLINE_REGISTER_H
#define KSEF_CLI_OFFLINE_REGISTER_H

#include "config.h"
#include "ksef/ksef.h"

/* Load the register (--register flag, else $KSEF_OFFLINE_REGISTER, else
 * under $XDG_STATE_HOME or ~/.local/state), or start an empty one when
 * there is none and create is set. Returns CLI_OK or the exit code
 * (reported). */
int offline_register_load(struct cli_state *st, const char *flag,
			  int create);
/* A digest as the links write it: Base64URL without padding; -1 when
 * memory runs out. */
int offline_hash_key(char out[KSEF_SHA256_B64URL_LEN + 1],
		     const unsigned char md[KSEF_SHA256_LEN]);
/* The register's key of a file: its bytes' digest, as above. */
int offline_file_key(char out[KSEF_SHA256_B64URL_LEN + 1], const char *file,
		     ksef_error *err);
/* --today's date, or today's local date. Returns CLI_OK or the exit
 * code (reported). */
int offline_today(ksef_date *out, const char *flag);
/* A date as YYYY-MM-DD ("?" if it cannot be written). */
void offline_date_text(char out[KSEF_DATE_BUFSZ], ksef_date d);

#endif
