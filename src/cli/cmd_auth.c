/*
 * cmd_auth.c - `ksef auth` (being written).
 */
#include <stdio.h>
#include "cli.h"

int cmd_auth(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("auth", "not available yet");
	return CLI_USAGE;
}
