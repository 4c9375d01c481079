/*
 * cmd_invoice.c - `ksef invoice` (being written).
 */
#include <stdio.h>
#include "cli.h"

int cmd_invoice(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("invoice", "not available yet");
	return CLI_USAGE;
}
