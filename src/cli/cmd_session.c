/*
 * cmd_session.c - `ksef session` (being written).
 */
#include <stdio.h>
#include "cli.h"

int cmd_session(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("session", "not available yet");
	return CLI_USAGE;
}
