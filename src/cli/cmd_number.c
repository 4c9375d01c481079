/*
 * cmd_number.c - `ksef number check`: tells whether each argument is a
 * valid KSeF number, reference number or NIP, and what it contains.
 */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "output.h"

const char cli_usage_number[] =
"usage: ksef number check VALUE...\n"
"\n"
"Check KSeF numbers (35 characters), reference numbers (36) and NIPs (10):\n"
"shape, date, and check value (CRC-8 or NIP checksum).\n"
"exit status: 0 all valid, 1 some invalid, 2 usage\n";

static int check_one(const char *s)
{
	size_t len = strlen(s);
	ksef_number_parts np;
	ksef_refnum_parts rp;
	ksef_error err;

	if (len == KSEF_NUMBER_LEN) {
		if (ksef_number_parse(&np, s, len, &err) < 0)
			goto bad;
		printf("%s: valid KSeF number: seller %s, accepted %04d-%02d-%02d\n",
		       s, np.nip, np.date.year, np.date.month, np.date.day);
		return CLI_OK;
	}
	if (len == KSEF_REFNUM_LEN) {
		if (ksef_refnum_parse(&rp, s, len, &err) < 0)
			goto bad;
		printf("%s: valid reference number: type %s, made %04d-%02d-%02d\n",
		       s, rp.type_code, rp.date.year, rp.date.month, rp.date.day);
		return CLI_OK;
	}
	if (len == KSEF_NIP_LEN) {
		if (ksef_nip_validate(s, len, &err) < 0)
			goto bad;
		printf("%s: valid NIP\n", s);
		return CLI_OK;
	}
	return cli_fail(CLI_F_REJECTED, NULL, "%s: %zu characters: not a "
			"KSeF number (35), reference number (36) or NIP (10)",
			s, len);
bad:
	return cli_fail(CLI_F_REJECTED, NULL, "%s: %s", s, err.message);
}

int cmd_number_check(int argc, char **argv)
{
	int i, rc = CLI_OK;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		fputs(cli_usage_number, stdout);
		return CLI_OK;
	}
	if (argc < 2) {
		fputs(cli_usage_number, stderr);
		return cli_fail(CLI_F_USAGE, NULL, "check needs a VALUE");
	}
	for (i = 1; i < argc; i++)
		if (check_one(argv[i]) != CLI_OK)
			rc = CLI_REJECTED;
	return rc;
}
