/*
 * cmd_cert.c - `ksef cert` (being written).
 */
#include <stdio.h>
#include "cli.h"

int cmd_cert(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("cert", "not available yet");
	return CLI_USAGE;
}
